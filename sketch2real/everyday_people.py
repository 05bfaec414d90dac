"""Stick figures as people draw them without a photo: standing, waving, arms up, walking, lying down, a head
alone, a tiny figure in a corner, one arm missing.

The held-out stick figures (sketch2real.person.test_drawings) follow real photos' poses, which in this
dataset are nearly all "standing, facing the camera". A visitor's drawing is not tied to any photo, so the
evaluation grids, the notebook and the release test also show the people model these made-up poses. Each is
a handful of joints in the 128x192 frame, turned into mediapipe's 33 keypoints (face points around the nose,
hands and feet at the ends of the limbs) and drawn by sketch2real.person.stick_figure, the same pen as the
held-out drawings. They need no dataset and no pose cache.

    python -m sketch2real.everyday_people notes/images/sketch2real/everyday_people.png
"""
import argparse

import numpy as np
import torch

from ganlab import cli
from ganlab.data import to_unit_range
from sketch2real.person_parts import PICTURE

# The person's own left is on the picture's right (they face us). x, y in pixels of the 128x192 frame.
STANDING = {"nose": (64, 26), "shoulder_l": (79, 47), "shoulder_r": (49, 47), "elbow_l": (85, 76),
            "elbow_r": (43, 76), "wrist_l": (88, 102), "wrist_r": (40, 102), "hip_l": (73, 100),
            "hip_r": (55, 100), "knee_l": (74, 136), "knee_r": (54, 136), "ankle_l": (75, 171),
            "ankle_r": (53, 171)}


def _moved(base: dict, **changes) -> dict:
    return {**base, **changes}


POSES = {
    "standing": STANDING,
    "waving": _moved(STANDING, elbow_l=(96, 40), wrist_l=(104, 16)),
    "arms up": _moved(STANDING, elbow_l=(92, 28), wrist_l=(100, 8), elbow_r=(36, 28), wrist_r=(28, 8)),
    "arms out": _moved(STANDING, elbow_l=(100, 50), wrist_l=(122, 52), elbow_r=(28, 50), wrist_r=(6, 52)),
    "walking": _moved(STANDING, elbow_l=(90, 72), wrist_l=(98, 94), elbow_r=(40, 74), wrist_r=(34, 98),
                      knee_l=(84, 134), ankle_l=(96, 168), knee_r=(50, 136), ankle_r=(38, 170)),
    "hands on hips": _moved(STANDING, elbow_l=(96, 74), wrist_l=(76, 98), elbow_r=(32, 74), wrist_r=(52, 98)),
    "one arm missing": {k: v for k, v in STANDING.items() if k not in ("elbow_r", "wrist_r")},
    "head only": {"nose": (64, 40)},
}
# made from the standing figure: rotated, upside down, shrunk into a corner
VARIANTS = {"lying down": ("standing", 90, 1.0, (0, 0)), "upside down": ("standing", 180, 1.0, (0, 0)),
            "tiny, in a corner": ("standing", 0, 0.35, (-38, -56))}
NAMES = (*POSES, *VARIANTS)


def _transform(joints: dict, degrees: float, scale: float, shift) -> dict:
    """Rotate about the frame's centre, scale, then shift (pixels)."""
    centre = np.array([PICTURE[1] / 2, PICTURE[0] / 2])
    a = np.radians(degrees)
    turn = np.array([[np.cos(a), -np.sin(a)], [np.sin(a), np.cos(a)]])
    out = {}
    for name, xy in joints.items():
        v = turn @ (np.asarray(xy, float) - centre) * scale
        if degrees % 180 == 90:  # lying down: squeeze the 170 px figure into the 128 px width
            v = v * (PICTURE[1] - 12) / 170
        out[name] = tuple(centre + v + np.asarray(shift, float))
    return out


def keypoints(joints: dict) -> np.ndarray:
    """mediapipe's 33 pose keypoints [33, 3] (x, y, visibility) for a few named joints: the face points
    are placed around the nose, facing the way the shoulders say; hands and feet continue the limbs.
    Keypoints that cannot be placed get visibility 0 (the drawing leaves them out)."""
    p = np.zeros((33, 3), np.float32)
    at = lambda i, xy: p.__setitem__(i, (*xy, 1.0))  # noqa: E731
    index = {"nose": 0, "shoulder_l": 11, "shoulder_r": 12, "elbow_l": 13, "elbow_r": 14, "wrist_l": 15,
             "wrist_r": 16, "hip_l": 23, "hip_r": 24, "knee_l": 25, "knee_r": 26, "ankle_l": 27, "ankle_r": 28}
    for name, xy in joints.items():
        at(index[name], xy)
    nose = np.asarray(joints["nose"], float)
    if "shoulder_l" in joints and "shoulder_r" in joints:
        across = np.subtract(joints["shoulder_l"], joints["shoulder_r"]) / 20.0  # ears 0.65 shoulders apart
        mid = np.add(joints["shoulder_l"], joints["shoulder_r"]) / 2
        up = (nose - mid) / max(np.linalg.norm(nose - mid), 1e-6)
    else:
        across, up = np.array([2.5, 0.0]), np.array([0.0, -1.0])  # a head alone: drawn big
    # eyes (inner, centre, outer: 1-3 left, 4-6 right), ears 7-8, mouth 9-10, in head-width units
    for i, (sx, su) in zip(range(1, 11), [(1.5, 2.5), (2.5, 2.5), (3.5, 2.5), (-1.5, 2.5), (-2.5, 2.5),
                                          (-3.5, 2.5), (6.5, 1.0), (-6.5, 1.0), (2.0, -3.0), (-2.0, -3.0)]):
        at(i, nose + across * sx + up * su * np.linalg.norm(across))
    for side, (elbow, wrist) in enumerate((("elbow_l", "wrist_l"), ("elbow_r", "wrist_r"))):
        if elbow in joints and wrist in joints:
            hand = np.subtract(joints[wrist], joints[elbow]) * 0.2
            for j in (17, 19, 21):  # pinky, index, thumb
                at(j + side, np.asarray(joints[wrist]) + hand)
    for side, ankle in enumerate(("ankle_l", "ankle_r")):
        if ankle in joints:
            a = np.asarray(joints[ankle], float)
            down = a - np.asarray(joints[f"knee_{'lr'[side]}"], float)
            down /= max(np.linalg.norm(down), 1e-6)
            out = np.array([-down[1], down[0]]) * (1 if side == 0 else -1)
            at(29 + side, a + down * 3)           # heel
            at(31 + side, a + down * 4 + out * 7)  # toes point outwards
    return p


def everyday_people(seed: int = 0) -> tuple[torch.Tensor, list[str]]:
    """One clean stick figure per pose in NAMES: (float [-1, 1] [K, 1, 192, 128], the names)."""
    from sketch2real.person import stick_figure
    drawings = []
    for i, name in enumerate(NAMES):
        if name in POSES:
            joints = POSES[name]
        else:
            base, degrees, scale, shift = VARIANTS[name]
            joints = _transform(POSES[base], degrees, scale, shift)
        drawings.append(stick_figure(keypoints(joints), np.random.default_rng([seed, i]), clean=True))
    return to_unit_range(torch.from_numpy(np.stack(drawings))), list(NAMES)


def main(argv=None):
    from ganlab.plotting import save_grid
    p = argparse.ArgumentParser(prog="python -m sketch2real.everyday_people", description=__doc__.split("\n\n")[0])
    p.add_argument("out", type=cli.output_file, help="PNG to write")
    args = p.parse_args(argv)
    drawings, names = everyday_people()
    print(save_grid(drawings.expand(-1, 3, -1, -1), args.out, nrow=len(names)), ", ".join(names))


if __name__ == "__main__":
    main()
