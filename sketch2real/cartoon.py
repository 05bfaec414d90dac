"""Procedural cartoon faces: the kind of doodle a person draws in the demo, made up by a few rules.

They test the sketch -> face model on input that is *not* an edge map of a photo: an oval head, dot or
ring eyes, maybe brows, a line for a nose, an arc for a mouth and scribbled hair. Proportions and
positions are random but centred where the aligned CelebA faces have them (measured on the mean of the
held-out sketches: eyes 42 % from the top, 27 % of the width apart, mouth at 72 %, chin at 95 %), so a
doodle lands where the model's training sketches have their features.

Each face is drawn at 4x with PIL and averaged down, which anti-aliases the strokes like a browser canvas.

    python -m sketch2real.cartoon notes/images/sketch2real/cartoon_faces.png --n 32
"""
import argparse
import math
import random

import numpy as np
import torch
from PIL import Image, ImageDraw

from ganlab import cli

OVERSAMPLE = 4          # draw at 4x, then average down
WIDTH = (1.0, 3.0)      # pen width range in output pixels, as in sketch.py
EYE_Y, EYE_GAP = 0.42, 0.27   # as shares of the picture: eye height, distance between the eyes
NOSE_Y, MOUTH_Y, CHIN_Y = 0.60, 0.72, 0.95


class Pen:
    """Draws wobbly polylines with round ends on a 4x canvas; coordinates are shares of the picture."""

    def __init__(self, size: int, width: float, rng: random.Random):
        self.scale = size * OVERSAMPLE
        self.image = Image.new("L", (self.scale, self.scale), 255)
        self.draw = ImageDraw.Draw(self.image)
        self.width = width
        self.rng = rng

    def line(self, points, width_factor: float = 1.0) -> None:
        """A stroke through `points` [(x, y), ...], round at the ends and joints like a real pen."""
        px = [(x * self.scale, y * self.scale) for x, y in points]
        w = max(1.0, self.width * width_factor * OVERSAMPLE)
        if len(px) > 1:
            self.draw.line(px, fill=0, width=round(w), joint="curve")
        r = w / 2
        for x, y in (px[0], px[-1]):
            self.draw.ellipse((x - r, y - r, x + r, y + r), fill=0)

    def dot(self, x: float, y: float, radius: float) -> None:
        r, x, y = radius * self.scale, x * self.scale, y * self.scale
        self.draw.ellipse((x - r, y - r, x + r, y + r), fill=0)

    def wobble(self, amount: float):
        """A smooth random function of t in [0, 1]: a hand does not draw exact curves."""
        phases = [self.rng.uniform(0, 2 * math.pi) for _ in range(2)]
        sizes = [amount * self.rng.uniform(0.5, 1.0), amount * self.rng.uniform(0.2, 0.5)]
        return lambda t: (sizes[0] * math.sin(2 * math.pi * t + phases[0])
                          + sizes[1] * math.sin(5 * math.pi * t + phases[1]))

    def arc(self, cx, cy, rx, ry, start, end, steps=40, wobble=0.0, taper=0.0) -> list:
        """Points of an elliptical arc from angle `start` to `end` (degrees; 90 is straight down).
        `taper` narrows the lower half, which turns an oval into an egg-shaped head."""
        wiggle = self.wobble(wobble)
        points = []
        for i in range(steps + 1):
            t = i / steps
            a = math.radians(start + (end - start) * t)
            squeeze = 1 - taper * max(0.0, math.sin(a))
            r = 1 + wiggle(t)
            points.append((cx + rx * r * squeeze * math.cos(a), cy + ry * r * math.sin(a)))
        return points


# --------------------------------------------------------------------------------------------------
# Parts of a face. Each takes the pen, the random source and the head (cx, cy, rx, ry).


def draw_head(pen: Pen, rng: random.Random, head) -> None:
    cx, cy, rx, ry = head
    taper = rng.uniform(0.0, 0.25)
    if rng.random() < 0.5:  # the whole outline
        start = rng.uniform(0, 360)
        end = start + 360 - rng.uniform(0, 40)  # people often leave a small gap
    else:  # only the lower part: the top is hidden under the hair
        start, end = rng.uniform(-40, 10), rng.uniform(170, 220)
    pen.line(pen.arc(cx, cy, rx, ry, start, end, steps=60, wobble=0.03, taper=taper))
    if rng.random() < 0.4:  # ears
        for side in (-1, 1):
            ex = cx + side * rx * 0.97
            pen.line(pen.arc(ex, EYE_Y + 0.06, 0.035, 0.06, -90 if side > 0 else 90, 90 if side > 0 else 270,
                             steps=12, wobble=0.05))
    if rng.random() < 0.5:  # a neck down to the edge of the picture
        for side in (-1, 1):
            x = cx + side * rx * rng.uniform(0.45, 0.6)
            pen.line([(x, cy + ry * 0.85), (x + side * rng.uniform(0, 0.03), 1.02)])


def draw_eyes(pen: Pen, rng: random.Random, head) -> None:
    cx = head[0]
    y = EYE_Y + rng.uniform(-0.03, 0.03)
    gap = EYE_GAP * rng.uniform(0.85, 1.15) / 2
    size = rng.uniform(0.025, 0.055)
    style = rng.choice(["dot", "ring", "ring+pupil", "closed", "almond"])
    for side in (-1, 1):
        x = cx + side * gap + rng.uniform(-0.008, 0.008)
        yy = y + rng.uniform(-0.008, 0.008)
        if style == "dot":
            pen.dot(x, yy, size * 0.6)
        elif style in ("ring", "ring+pupil"):
            pen.line(pen.arc(x, yy, size, size * rng.uniform(0.8, 1.1), 0, 360, steps=24, wobble=0.05))
            if style == "ring+pupil":
                pen.dot(x + rng.uniform(-0.3, 0.3) * size, yy, size * 0.35)
        elif style == "closed":  # a happy ^ or a sleepy u
            start = 180 if rng.random() < 0.5 else 0
            pen.line(pen.arc(x, yy, size * 1.2, size * 0.8, start, start + 180, steps=16))
        else:  # almond: two arcs meeting at the corners, with a pupil
            pen.line(pen.arc(x, yy + size * 0.5, size * 1.4, size * 1.0, 200, 340, steps=16))
            pen.line(pen.arc(x, yy - size * 0.5, size * 1.4, size * 0.7, 20, 160, steps=16))
            pen.dot(x, yy, size * 0.35)
    if rng.random() < 0.7:  # brows
        lift = rng.uniform(0.06, 0.09)
        tilt = rng.uniform(-0.02, 0.02)
        for side in (-1, 1):
            x = cx + side * gap
            half = rng.uniform(0.04, 0.065)
            inner, outer = (x - side * half, y - lift + tilt), (x + side * half, y - lift - tilt)
            middle = ((inner[0] + outer[0]) / 2, (inner[1] + outer[1]) / 2 - rng.uniform(0, 0.02))
            pen.line([inner, middle, outer])


def draw_nose(pen: Pen, rng: random.Random, head) -> None:
    cx = head[0] + rng.uniform(-0.02, 0.02)
    top, bottom = EYE_Y + rng.uniform(0.04, 0.08), NOSE_Y + rng.uniform(-0.03, 0.02)
    style = rng.choice(["line", "L", "L", "hook", "nostrils", "none"])
    if style == "line":
        pen.line([(cx, top), (cx + rng.uniform(-0.015, 0.015), bottom)])
    elif style == "L":
        side = rng.choice([-1, 1])
        pen.line([(cx, top), (cx + side * 0.01, bottom), (cx - side * rng.uniform(0.03, 0.05), bottom)])
    elif style == "hook":
        pen.line(pen.arc(cx, bottom - 0.02, 0.03, 0.025, -30, 200, steps=16))
    elif style == "nostrils":
        for side in (-1, 1):
            pen.dot(cx + side * 0.025, bottom, 0.009)


def draw_mouth(pen: Pen, rng: random.Random, head) -> None:
    cx = head[0] + rng.uniform(-0.015, 0.015)
    y = MOUTH_Y + rng.uniform(-0.03, 0.03)
    half = rng.uniform(0.08, 0.16)
    style = rng.choice(["smile", "smile", "flat", "open", "small"])
    if style == "smile":
        depth = rng.uniform(0.02, 0.06)
        pen.line(pen.arc(cx, y - depth, half, depth * 2, 20, 160, steps=20))
    elif style == "flat":
        pen.line([(cx - half, y), (cx, y + rng.uniform(-0.01, 0.01)), (cx + half, y)])
    elif style == "open":  # a D lying on its back: a straight top and a round bottom
        depth = rng.uniform(0.04, 0.07)
        pen.line([(cx - half, y - depth * 0.3), (cx + half, y - depth * 0.3)])
        pen.line(pen.arc(cx, y - depth * 0.3, half, depth, 0, 180, steps=20))
    else:
        pen.line(pen.arc(cx, y, half * 0.35, half * 0.25, 0, 360, steps=16))


def draw_hair(pen: Pen, rng: random.Random, head) -> None:
    """Scribbled hair on top of the head: a zigzag fringe, curls, strands, a cap, or long hair."""
    cx, cy, rx, ry = head
    style = rng.choice(["zigzag", "curls", "strands", "cap", "long", "spikes"])
    # The hair sits on the upper arc of the head (angles around 270, i.e. straight up).
    left, right = rng.uniform(170, 200), rng.uniform(340, 370)
    grow = rng.uniform(1.05, 1.2)  # how far the hair stands off the skull
    if style == "zigzag":
        points = []
        teeth = rng.randint(7, 14)
        for i in range(teeth * 2 + 1):
            a = math.radians(left + (right - left) * i / (teeth * 2))
            r = grow if i % 2 == 0 else rng.uniform(0.8, 0.92)
            points.append((cx + rx * r * math.cos(a), cy + ry * r * math.sin(a)))
        pen.line(points)
        pen.line(pen.arc(cx, cy, rx * grow, ry * grow, left, right, steps=30, wobble=0.04))
    elif style == "curls":
        curls = rng.randint(6, 11)
        for i in range(curls):
            a = math.radians(left + (right - left) * (i + 0.5) / curls)
            x, y = cx + rx * grow * math.cos(a), cy + ry * grow * math.sin(a)
            r = rng.uniform(0.03, 0.05)
            start = rng.uniform(0, 360)
            pen.line(pen.arc(x, y, r, r, start, start + rng.uniform(270, 400), steps=14, wobble=0.1))
    elif style in ("strands", "spikes"):
        for i in range(rng.randint(6, 12)):
            a = math.radians(rng.uniform(left, right))
            root = (cx + rx * 0.85 * math.cos(a), cy + ry * 0.85 * math.sin(a))
            reach = rng.uniform(1.15, 1.35) if style == "spikes" else rng.uniform(1.0, 1.15)
            tip_a = a + (0 if style == "spikes" else rng.uniform(-0.5, 0.5))
            tip = (cx + rx * reach * math.cos(tip_a), cy + ry * reach * math.sin(tip_a))
            bend = ((root[0] + tip[0]) / 2 + rng.uniform(-0.03, 0.03), (root[1] + tip[1]) / 2)
            pen.line([root, bend, tip])
        pen.line(pen.arc(cx, cy, rx * grow, ry * grow, left, right, steps=30, wobble=0.04))
    else:  # a cap of hair, with a fringe; long hair also falls down both sides
        pen.line(pen.arc(cx, cy, rx * grow, ry * grow, left - 10, right + 10, steps=40, wobble=0.04))
        for i in range(rng.randint(2, 5)):  # fringe lines across the forehead
            a = math.radians(rng.uniform(220, 320))
            start = (cx + rx * grow * math.cos(a), cy + ry * grow * math.sin(a))
            pen.line([start, (start[0] + rng.uniform(-0.08, 0.08), EYE_Y - rng.uniform(0.1, 0.16))])
        if style == "long":
            for side in (-1, 1):
                top = (cx + side * rx * grow * 0.98, cy - ry * 0.1)
                pen.line([top, (top[0] + side * rng.uniform(0.0, 0.05), CHIN_Y - 0.15),
                          (top[0] + side * rng.uniform(0.02, 0.1), 1.02)])


PARTS = ("head", "hair", "eyes", "nose", "mouth")


def cartoon_face(size: int = 64, rng: random.Random | None = None, leave_out: tuple = ()) -> np.ndarray:
    """One doodle, float [size, size] in [0, 1], 1 = white paper, 0 = ink. The PARTS in `leave_out` are
    drawn on a scrap of paper that is thrown away, so the rest of the face comes out exactly as it would
    with them: the same faces with and without, say, a nose tell what a nose does to a model."""
    rng = rng or random.Random(0)
    unknown = set(leave_out) - set(PARTS)
    if unknown:
        raise ValueError(f"no cartoon part {sorted(unknown)}; the parts are {', '.join(PARTS)}")
    u = rng.random() ** 1.5  # thin pens more often, as in sketch.py
    pen = Pen(size, WIDTH[0] + (WIDTH[1] - WIDTH[0]) * u, rng)
    scrap = Pen(size, pen.width, rng)
    chin = CHIN_Y + rng.uniform(-0.04, 0.03)
    ry = rng.uniform(0.36, 0.44)
    head = (0.5 + rng.uniform(-0.03, 0.03), chin - ry, rng.uniform(0.26, 0.34), ry)
    for part, draw in zip(PARTS, (draw_head, draw_hair, draw_eyes, draw_nose, draw_mouth)):
        draw(scrap if part in leave_out else pen, rng, head)
    small = pen.image.reduce(OVERSAMPLE)  # a box filter: each output pixel is the mean of a 4x4 block
    return np.asarray(small, dtype=np.float32) / 255


def cartoon_faces(n: int, size: int = 64, seed: int = 0, leave_out: tuple = ()) -> torch.Tensor:
    """n doodles, float [n, 1, size, size] in [0, 1], 1 = white paper, 0 = ink (the sketches' convention),
    without the PARTS in `leave_out`.

    Face i depends only on (seed, i), so the first faces stay the same whatever n is."""
    faces = [cartoon_face(size, random.Random(f"{seed}-{i}"), leave_out) for i in range(n)]
    return torch.from_numpy(np.stack(faces)).unsqueeze(1) if faces else torch.ones(0, 1, size, size)


# The drawings most people make when asked for a face, fixed so that figures compare models on the same
# ones: the sparse "circle, two dots and a smile" first, then the same face with one feature that should
# change the picture (a beard, glasses, spiky hair, long hair, a bald head with ears).
EVERYDAY_FACES = ("sparse", "beard", "glasses", "spiky hair", "long hair", "bald", "sad", "surprised")


def everyday_face(kind: str, size: int = 64, width: float = 1.5) -> np.ndarray:
    """One of EVERYDAY_FACES drawn with a steady hand, float [size, size] in [0, 1] (1 = paper)."""
    if kind not in EVERYDAY_FACES:
        raise ValueError(f"no everyday face {kind!r}; choose from {', '.join(EVERYDAY_FACES)}")
    pen = Pen(size, width, random.Random(0))
    cx, cy, rx, ry = 0.5, 0.56, 0.3, 0.39
    pen.line(pen.arc(cx, cy, rx, ry, 0, 360, steps=60))
    eye_y, gap = EYE_Y + 0.02, EYE_GAP / 2
    if kind == "surprised":
        for side in (-1, 1):
            pen.line(pen.arc(cx + side * gap, eye_y, 0.04, 0.04, 0, 360, steps=20))
        pen.line(pen.arc(cx, MOUTH_Y + 0.01, 0.05, 0.05, 0, 360, steps=20))
    else:
        for side in (-1, 1):
            pen.dot(cx + side * gap, eye_y, 0.022)
        start, end = (200, 340) if kind == "sad" else (20, 160)
        y = MOUTH_Y + (0.05 if kind == "sad" else -0.03)
        pen.line(pen.arc(cx, y, 0.12, 0.06, start, end, steps=20))
    if kind == "beard":
        pen.line(pen.arc(cx, cy + 0.05, rx * 0.85, ry * 0.75, 10, 170, steps=30))
        for i in range(7):
            x = cx - 0.17 + i * 0.057
            pen.line([(x, MOUTH_Y + 0.07), (x + 0.01, MOUTH_Y + 0.13)])
    elif kind == "glasses":
        for side in (-1, 1):
            pen.line(pen.arc(cx + side * gap, eye_y, 0.075, 0.06, 0, 360, steps=24))
        pen.line([(cx - gap + 0.075, eye_y), (cx + gap - 0.075, eye_y)])
    elif kind == "spiky hair":
        for i in range(9):
            a = math.radians(200 + i * 17.5)
            root = (cx + rx * 0.95 * math.cos(a), cy + ry * 0.95 * math.sin(a))
            tip = (cx + rx * 1.3 * math.cos(a), cy + ry * 1.3 * math.sin(a))
            pen.line([root, tip])
    elif kind == "long hair":
        pen.line(pen.arc(cx, cy, rx * 1.12, ry * 1.08, 170, 370, steps=40))
        for side in (-1, 1):
            pen.line([(cx + side * rx * 1.1, cy), (cx + side * rx * 1.15, 1.02)])
    elif kind == "bald":
        for side in (-1, 1):
            ex = cx + side * rx
            pen.line(pen.arc(ex, eye_y + 0.05, 0.035, 0.06, -90 if side > 0 else 90, 90 if side > 0 else 270, steps=12))
    small = pen.image.reduce(OVERSAMPLE)
    return np.asarray(small, dtype=np.float32) / 255


def everyday_faces(size: int = 64) -> torch.Tensor:
    """All EVERYDAY_FACES, float [n, 1, size, size] in [0, 1], 1 = white paper."""
    return torch.from_numpy(np.stack([everyday_face(k, size) for k in EVERYDAY_FACES])).unsqueeze(1)


def main(argv=None):
    p = argparse.ArgumentParser(prog="python -m sketch2real.cartoon",
                                description="Draw a grid of procedural cartoon faces.")
    p.add_argument("out", type=cli.output_file, metavar="OUT.png", help="where to write the grid")
    p.add_argument("--n", type=cli.positive_int, default=32, help="how many faces")
    p.add_argument("--size", type=cli.positive_int, default=64, help="pixels per face")
    p.add_argument("--seed", type=int, default=0)
    p.add_argument("--nrow", type=cli.positive_int, default=8, help="faces per row of the grid")
    p.add_argument("--scale", type=cli.positive_int, default=2, help="enlarge each pixel this many times in the grid")
    args = p.parse_args(argv)
    from torchvision.utils import save_image  # after the checks: torchvision takes seconds to import

    faces = cartoon_faces(args.n, args.size, args.seed)
    if args.scale > 1:
        faces = torch.nn.functional.interpolate(faces, scale_factor=args.scale, mode="nearest")
    args.out.parent.mkdir(parents=True, exist_ok=True)
    save_image(faces, args.out, nrow=args.nrow, padding=2, pad_value=0.6)
    print(f"wrote {args.out}")


if __name__ == "__main__":
    main()
