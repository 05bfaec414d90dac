"""The pieces a landmark doodle is made of (sketch2real.doodle puts them together and renders them).

Curves through landmarks (Catmull-Rom splines, ellipses, pieces of a loop), a hand's tremor (wobble), the
smooth random warp between doodle and photo (SmoothWarp), and one function per part of a face: eyes, brows,
nose, mouth, head, ears, neck (the hair, and a head drawn over the skull, are in sketch2real.doodle_hair).
Each part returns a list of strokes, ("line", points [K, 2], width factor) or ("dot", centre [2], radius),
in pixels of the 64x64 face; `p` is the face's landmarks [468, 2].
Pure numpy: the randomness comes from the numpy Generator `rng` each function is given.
"""
import math

import numpy as np

from sketch2real.landmarks import FACE_SIZE


# ---- mediapipe face-mesh indices -----------------------------------------------------------------------
# From mediapipe 0.10.14's connection sets (mp.solutions.face_mesh.FACEMESH_FACE_OVAL, _LEFT_EYE, _RIGHT_EYE,
# _LEFT_EYEBROW, _RIGHT_EYEBROW, _NOSE, _LIPS), chained into ordered paths. "Right" is the person's right,
# the left side of the picture. Hard-coded so this module does not need mediapipe.
FACE_OVAL = [10, 338, 297, 332, 284, 251, 389, 356, 454, 323, 361, 288, 397, 365, 379, 378, 400, 377, 152,
             148, 176, 149, 150, 136, 172, 58, 132, 93, 234, 127, 162, 21, 54, 103, 67, 109]  # from the forehead
EYES = [  # (upper lid, lower lid), each from the outer corner to the inner one
    ([33, 246, 161, 160, 159, 158, 157, 173, 133], [33, 7, 163, 144, 145, 153, 154, 155, 133]),
    ([263, 466, 388, 387, 386, 385, 384, 398, 362], [263, 249, 390, 373, 374, 380, 381, 382, 362])]
BROWS = [  # (upper edge, lower edge), from the outer end to the inner one
    ([70, 63, 105, 66, 107], [46, 53, 52, 65, 55]),
    ([300, 293, 334, 296, 336], [276, 283, 282, 295, 285])]
NOSE_BRIDGE = [168, 6, 197, 195, 5, 4]       # between the eyes -> the tip
NOSE_TIP, NOSE_BOTTOM = 4, 2                 # the tip, and where the nose meets the upper lip
NOSE_WINGS = [(98, 97), (327, 326)]          # each nostril's outer wing, and a point between it and 2
LIPS_OUTER = ([61, 185, 40, 39, 37, 0, 267, 269, 270, 409, 291],   # upper lip's top edge, corner to corner
              [61, 146, 91, 181, 84, 17, 314, 405, 321, 375, 291])  # lower lip's bottom edge
LIPS_INNER = ([78, 191, 80, 81, 82, 13, 312, 311, 310, 415, 308],   # where the lips meet
              [78, 95, 88, 178, 87, 14, 317, 402, 318, 324, 308])
MOUTH_CORNERS = (61, 291)
EARS = [(127, 234, 132), (356, 454, 361)]     # on the face oval: above, at and below each ear
JAW = [(136, 150), (365, 379)]                # where a neck leaves the jaw, each side
CHIN, FOREHEAD = 152, 10


# --------------------------------------------------------------------------------------------------
# Curves


def spline(points, closed: bool = False, step: float = 0.5) -> np.ndarray:
    """A smooth curve through `points` [K, 2] (Catmull-Rom), sampled about every `step` pixels.
    A closed curve comes back to its first point."""
    p = np.asarray(points, dtype=np.float64)
    if len(p) < 2:
        return p.copy()
    if closed:
        ext = np.concatenate([p[-1:], p, p[:2]])
    else:
        ext = np.concatenate([2 * p[:1] - p[1:2], p, 2 * p[-1:] - p[-2:-1]])
    p0, p1, p2, p3 = ext[:-3], ext[1:-2], ext[2:-1], ext[3:]
    length = np.linalg.norm(p2 - p1, axis=1).sum()
    per = max(2, int(math.ceil(length / step / len(p1))))
    t = np.linspace(0, 1, per, endpoint=False)[None, :, None]
    p0, p1, p2, p3 = (q[:, None] for q in (p0, p1, p2, p3))
    curve = 0.5 * (2 * p1 + (p2 - p0) * t + (2 * p0 - 5 * p1 + 4 * p2 - p3) * t ** 2
                   + (3 * p1 - p0 - 3 * p2 + p3) * t ** 3)
    curve = curve.reshape(-1, 2)
    end = p[:1] if closed else p[-1:]
    return np.concatenate([curve, end])


def resample(curve: np.ndarray, step: float = 0.5) -> np.ndarray:
    """The polyline `curve` with points every `step` pixels of arc length."""
    if len(curve) < 2:
        return curve
    s = np.concatenate([[0], np.cumsum(np.linalg.norm(np.diff(curve, axis=0), axis=1))])
    if s[-1] < 1e-6:
        return curve[:1]
    at = np.linspace(0, s[-1], max(2, int(math.ceil(s[-1] / step)) + 1))
    return np.stack([np.interp(at, s, curve[:, 0]), np.interp(at, s, curve[:, 1])], 1)


def ellipse(center, rx: float, ry: float, start: float = 0.0, end: float = 360.0, tilt: float = 0.0,
            step: float = 0.5) -> np.ndarray:
    """Points of an elliptical arc (angles in degrees, 90 = down in the picture), rotated by `tilt`."""
    length = math.radians(abs(end - start)) * max(rx, ry, 0.1)
    a = np.radians(np.linspace(start, end, max(8, int(length / step))))
    x, y = rx * np.cos(a), ry * np.sin(a)
    c, s = math.cos(math.radians(tilt)), math.sin(math.radians(tilt))
    return np.stack([x * c - y * s, x * s + y * c], 1) + np.asarray(center, dtype=np.float64)


def part_of(curve: np.ndarray, start: float, share: float) -> np.ndarray:
    """The piece of a polyline from `start` (0..1 of its length, wrapping round for a closed one) that
    covers `share` of it: a loop left open, a stroke cut short."""
    curve = resample(curve)
    n = len(curve)
    if n < 3 or share >= 1:
        return curve
    count = max(2, int(round(share * n)))
    begin = int(start * n) % n
    closed = np.allclose(curve[0], curve[-1])
    if closed:
        loop = curve[:-1]
        return loop[(begin + np.arange(count)) % len(loop)]
    begin = min(begin, n - count)
    return curve[begin:begin + count]


# --------------------------------------------------------------------------------------------------
# The warp between sketch and photo


class SmoothWarp:
    """A random smooth map of the picture onto itself: a small rotation, scaling and shift about the
    centre, plus a slow displacement field (a sum of a few sine waves of at most `cycles` periods across
    the picture). Its displacement is at most `shift` + `amount` + the affine's reach, and it changes by at
    most about 2 pi cycles amount / size per pixel: lines bend, they do not break. `size` is a square's
    side, or (width, height) of an oblong picture (the waves are then counted across its longer side)."""

    def __init__(self, rng: np.random.Generator, size=FACE_SIZE, amount: float = 1.5,
                 degrees: float = 4.0, scale: float = 0.05, shift: float = 1.5, cycles: float = 1.2,
                 waves: int = 3):
        extent = np.broadcast_to(np.asarray(size, dtype=np.float64), (2,))
        self.size, self.centre = size, extent / 2
        size = float(extent.max())
        angle = math.radians(rng.uniform(-degrees, degrees))
        zoom = 1 + rng.uniform(-scale, scale)
        self.matrix = zoom * np.array([[math.cos(angle), -math.sin(angle)], [math.sin(angle), math.cos(angle)]])
        self.shift = rng.uniform(-shift, shift, 2)
        self.freq = rng.uniform(-cycles, cycles, (2, waves, 2)) * (2 * math.pi / size)  # [axis, wave, xy]
        self.phase = rng.uniform(0, 2 * math.pi, (2, waves))
        weights = rng.uniform(0.3, 1.0, (2, waves))
        self.amplitude = amount * weights / weights.sum(1, keepdims=True)  # each axis sums to `amount`

    def displacement(self, points: np.ndarray) -> np.ndarray:
        """The smooth field alone, [K, 2] for points [K, 2]."""
        angles = np.einsum("kc,awc->kaw", points, self.freq) + self.phase[None]
        return (np.sin(angles) * self.amplitude[None]).sum(-1)

    def __call__(self, points: np.ndarray) -> np.ndarray:
        points = np.asarray(points, dtype=np.float64)
        moved = (points - self.centre) @ self.matrix.T + self.centre + self.shift
        return moved + self.displacement(points)


def wobble(curve: np.ndarray, rng: np.random.Generator, amount: float) -> np.ndarray:
    """Push a polyline sideways by a smooth random amount along its length: a hand's tremor."""
    if amount <= 0 or len(curve) < 3:
        return curve
    curve = resample(curve)
    s = np.arange(len(curve)) * 0.5
    tangent = np.gradient(curve, axis=0)
    normal = np.stack([-tangent[:, 1], tangent[:, 0]], 1) / (np.linalg.norm(tangent, axis=1, keepdims=True) + 1e-9)
    slow, fast = rng.uniform(8, 20), rng.uniform(3, 6)
    offset = (0.75 * np.sin(2 * math.pi * s / slow + rng.uniform(0, 2 * math.pi))
              + 0.25 * np.sin(2 * math.pi * s / fast + rng.uniform(0, 2 * math.pi)))
    return curve + normal * (amount * offset)[:, None]



# --------------------------------------------------------------------------------------------------
# The parts of a face. Each returns a list of strokes: ("line", points [K, 2], width factor) or
# ("dot", centre [2], radius). Coordinates are pixels of the 64x64 face; `p` is the landmarks [468, 2].


def eye_shape(p, e: int):
    """One eye's (upper lid, lower lid, centre, width, height); e = 0 is the person's right eye."""
    upper, lower = (p[EYES[e][0]], p[EYES[e][1]])
    centre = np.concatenate([upper, lower]).mean(0)
    width = np.linalg.norm(upper[0] - upper[-1])
    height = np.linalg.norm(upper[4] - lower[4])
    return upper, lower, centre, width, height


def eyes(p, rng, style: str, grow: float) -> list:
    """Dots, circles (with or without a pupil), almond outlines (with a pupil), or the upper lids."""
    kinds = ["dot", "circle", "circle+pupil", "almond", "almond+pupil", "lid"]
    share = {"sparse": [0.4, 0.15, 0.05, 0.15, 0.1, 0.15], "heavy": [0.3, 0.1, 0.2, 0.1, 0.3, 0.0],
             "exaggerated": [0.1, 0.2, 0.35, 0.05, 0.3, 0.0]}.get(style, [0.2, 0.15, 0.15, 0.2, 0.25, 0.05])
    kind = kinds[rng.choice(len(kinds), p=share)]
    strokes = []
    for e in range(2):
        upper, lower, centre, width, height = eye_shape(p, e)
        g = grow * rng.uniform(0.93, 1.07)
        scale = lambda q: centre + (q - centre) * g
        open_height = max(height, 0.28 * width)  # a squint still gets a visible eye
        if kind == "dot":
            strokes.append(("dot", centre, g * rng.uniform(0.14, 0.22) * width))
        elif kind.startswith("circle"):
            r = g * rng.uniform(0.3, 0.42) * width
            strokes.append(("line", ellipse(centre, r, r * rng.uniform(0.85, 1.05), rng.uniform(0, 360),
                                            rng.uniform(0, 360) + 360), 1.0))
            if kind == "circle+pupil":
                strokes.append(("dot", centre + rng.uniform(-0.15, 0.15, 2) * r, r * rng.uniform(0.3, 0.45)))
        elif kind.startswith("almond"):
            lift = (open_height - height) / 2  # open a squinting eye a little
            up = upper + np.array([0, -1]) * lift * np.sin(np.linspace(0, np.pi, len(upper)))[:, None]
            down = lower + np.array([0, 1]) * lift * np.sin(np.linspace(0, np.pi, len(lower)))[:, None]
            loop = np.concatenate([up, down[::-1][1:-1]])
            strokes.append(("line", spline(scale(loop), closed=True), 1.0))
            if kind == "almond+pupil":
                strokes.append(("dot", centre, g * open_height * rng.uniform(0.3, 0.45)))
        else:  # the upper lid alone
            strokes.append(("line", spline(scale(upper)), 1.0))
    return strokes


def brows(p, rng, lift: float) -> list:
    """Each brow as one arc along its middle."""
    strokes = []
    for upper, lower in BROWS:
        middle = (p[upper] + p[lower]) / 2 + np.array([0, -lift])
        strokes.append(("line", spline(middle), rng.uniform(1.0, 1.4)))
    return strokes


NOSE_KINDS = ("line", "straight", "L", "hook", "nostrils", "u", "dots")
# How often each is drawn. The released faces model trained without the straight stroke and the u; with them
# (0.15, 0.25, 0.2, 0.12, 0.13, 0.08, 0.07) a drawn nose still cost the cartoons as much (notes/06 §5.9).
NOSE_SHARE = (0.25, 0.0, 0.25, 0.2, 0.2, 0.0, 0.1)


def nose(p, rng, grow: float) -> list:
    """A line down the bridge, a straight stroke, an L, a hook round the tip, the curve under the nostrils, a
    small u under the tip, or two dots. The model should turn any of them into the photo's nose, not copy
    the stroke: people draw noses in many ways, most often as one straight line down."""
    kind = rng.choice(NOSE_KINDS, p=NOSE_SHARE)
    tip, bottom = p[NOSE_TIP], p[NOSE_BOTTOM]
    side = int(rng.integers(2))
    wing, between = p[NOSE_WINGS[side][0]], p[NOSE_WINGS[side][1]]
    other = p[NOSE_WINGS[1 - side][0]]
    top = p[NOSE_BRIDGE[rng.integers(1, 3)]]   # the line starts between the eyes or a little lower
    centre = (top + bottom) / 2
    scale = lambda q: centre + (np.asarray(q) - centre) * grow
    if kind == "line":
        pts = spline(scale([top, p[195], p[5], tip * 0.6 + bottom * 0.4]))
    elif kind == "straight":  # from anywhere on the upper bridge to the tip or a little below it
        start = p[NOSE_BRIDGE[0]] + (p[195] - p[NOSE_BRIDGE[0]]) * rng.uniform(0.1, 0.9)
        end = tip + (bottom - tip) * rng.uniform(0.0, 0.6)
        if rng.random() < 0.5:  # straight down the picture, whichever way the head is turned
            start = np.array([end[0], start[1]])
        pts = resample(np.array(scale([start, end])))
    elif kind == "u":  # a small u (or a flat v) under the tip
        r = 0.3 * np.linalg.norm(wing - other) * rng.uniform(0.8, 1.2)
        pts = scale(ellipse(tip + (bottom - tip) * 0.3, r, r * rng.uniform(0.4, 0.8), rng.uniform(0, 30),
                            rng.uniform(150, 180)))
    elif kind == "L":
        foot = bottom * 0.7 + wing * 0.3
        pts = np.array(scale([top, p[195], (tip + bottom) / 2 * 0.7 + foot * 0.3, foot, wing * 0.9 + bottom * 0.1]))
        pts = resample(np.array([pts[0], pts[2], pts[4]]))
    elif kind == "hook":
        pts = spline(scale([top, p[195], tip, (tip + wing) / 2 + (tip - bottom) * 0.1, between, bottom]))
    elif kind == "nostrils":
        pts = spline(scale([wing, between, bottom, p[NOSE_WINGS[1 - side][1]], other]))
    else:
        r = 0.12 * np.linalg.norm(wing - other)
        return [("dot", scale(q * 0.55 + bottom * 0.45), r * grow) for q in (wing, other)]
    return [("line", pts, 1.0)]


def mouth(p, rng, grow: float) -> list:
    """An arc (a smile), a line where the lips meet, the lips' outline (with or without that line), or
    an open mouth."""
    left, right = p[MOUTH_CORNERS[0]], p[MOUTH_CORNERS[1]]
    meet = (p[LIPS_INNER[0]] + p[LIPS_INNER[1]]) / 2  # 11 points along where the lips meet
    width = np.linalg.norm(right - left)
    gap = np.linalg.norm(p[13] - p[14])
    is_open = gap > 0.12 * width
    kinds = ["arc", "line", "lips", "lips+line"] + (["open"] if is_open else [])
    share = np.array([0.35, 0.2, 0.15, 0.2] + ([0.25] if is_open else []))
    kind = kinds[rng.choice(len(kinds), p=share / share.sum())]
    centre = (left + right) / 2
    scale = lambda q: centre + (np.asarray(q) - centre) * np.array([grow, grow ** 0.5])
    line = np.concatenate([left[None], meet[1:-1], right[None]])
    if kind == "arc":
        across = (right - left) / max(width, 1e-6)
        down = np.array([-across[1], across[0]])
        smile = rng.uniform(0.05, 0.25) * width
        t = np.linspace(-1, 1, 7)[:, None]
        mid = meet[5]
        arc = centre + across * t * width / 2 + down * (1 - t ** 2) * smile + (mid - centre) * (1 - t ** 2)
        return [("line", spline(scale(arc)), 1.0)]
    if kind == "line":
        return [("line", spline(scale(line)), 1.0)]
    outline = np.concatenate([p[LIPS_OUTER[0]], p[LIPS_OUTER[1]][::-1][1:-1]])
    strokes = [("line", spline(scale(outline), closed=True), 1.0)]
    if kind == "lips+line":
        strokes.append(("line", spline(scale(line)), 1.0))
    elif kind == "open":
        inner = np.concatenate([p[LIPS_INNER[0]], p[LIPS_INNER[1]][::-1][1:-1]])
        strokes = [("line", spline(scale(inner), closed=True), 1.0)]
        if rng.random() < 0.5:
            strokes.append(("line", spline(scale(outline), closed=True), 1.0))
    return strokes


def head(p, rng, style: str) -> tuple[list, np.ndarray]:
    """The face's outline: the face-mesh oval, a simplified (egg) or round version of it, or only the jaw.
    Also returns the oval used, for the hair and ears."""
    oval = p[FACE_OVAL]
    centre = oval.mean(0)
    kinds = ["oval", "egg", "circle", "jaw"]
    share = [0.2, 0.2, 0.4, 0.2] if style == "exaggerated" else [0.35, 0.3, 0.1, 0.25]
    kind = kinds[rng.choice(4, p=share)]
    if kind in ("egg", "circle"):
        # Keep the outline's first Fourier terms around its centre: the head's shape without its bumps.
        d = oval - centre
        angle, radius = np.arctan2(d[:, 1], d[:, 0]), np.linalg.norm(d, axis=1)
        terms = 2 if kind == "egg" else 0
        grid = np.linspace(-np.pi, np.pi, 72, endpoint=False)
        order = np.argsort(angle)
        r = np.interp(grid, angle[order], radius[order], period=2 * np.pi)
        coeffs = np.fft.rfft(r)
        coeffs[terms + 1:] = 0
        r = np.fft.irfft(coeffs, len(grid))
        if kind == "circle":
            # round, but keep the head's height and width
            half_w, half_h = (oval.max(0) - oval.min(0)) / 2
            stretch = np.array([half_w, half_h]) / max(half_w, half_h) * max(half_w, half_h) / r.mean()
            oval = centre + np.stack([np.cos(grid), np.sin(grid)], 1) * r[:, None] * stretch * rng.uniform(0.95, 1.08)
        else:
            oval = centre + np.stack([np.cos(grid), np.sin(grid)], 1) * r[:, None]
        oval = np.roll(oval, -int(np.argmin(oval[:, 1])), axis=0)  # start at the top, like FACE_OVAL
    if style == "exaggerated":
        oval = centre + (oval - centre) * np.array([rng.uniform(0.92, 1.08), rng.uniform(0.95, 1.12)])
    curve = spline(oval, closed=True)
    if kind == "jaw":  # from above one ear, round the chin, to above the other: the top is under the hair
        angle = np.arctan2(curve[:, 1] - centre[1], curve[:, 0] - centre[0])
        low = rng.uniform(-0.35, 0.05)  # radians above the horizontal where the jaw line starts and ends
        keep = np.sin(angle) > np.sin(low)
        start = int(np.argmax(keep & ~np.roll(keep, 1)))
        curve = np.roll(curve[:-1], -start, axis=0)[:int(keep.sum())]
    return [("line", curve, 1.0)], oval


def ears(p, oval, rng) -> list:
    """A C on each side of the head, between the brows' and the nose's height."""
    strokes = []
    centre = oval.mean(0)
    face_width = np.linalg.norm(p[EARS[1][1]] - p[EARS[0][1]])
    for above, at, below in EARS:
        out = p[at] - centre
        out = np.array([np.sign(out[0]) or 1.0, 0.0])
        bulge = rng.uniform(0.08, 0.13) * face_width
        pts = [p[above], p[above] * 0.4 + p[at] * 0.6 + out * bulge, p[at] * 0.4 + p[below] * 0.6 + out * bulge * 0.8,
               p[below]]
        strokes.append(("line", spline(pts), 1.0))
    return strokes


def neck(p, rng, size: float) -> list:
    """Two lines from under the jaw down off the picture."""
    strokes = []
    chin = p[CHIN]
    for (outer, inner), sign in zip(JAW, (-1, 1)):
        start = p[outer] * 0.55 + p[inner] * 0.45 + (chin - p[outer]) * rng.uniform(0.05, 0.2)
        end = np.array([start[0] + sign * rng.uniform(0, 3), size + 2])
        if end[1] - start[1] > 2:
            strokes.append(("line", spline([start, (start + end) / 2 + np.array([-sign * 0.5, 0]), end]), 1.0))
    return strokes
