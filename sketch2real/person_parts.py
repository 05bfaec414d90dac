"""The pieces of a person drawing (sketch2real.person picks, styles and renders them).

Two sources of shape, both in pixels of the 128x192 picture (x to the right, y down):

  * the body pose: mediapipe's 33 keypoints [33, 3] (x, y, visibility), from which a stick figure is
    built: a round head, neck, spine, shoulder and hip lines, arms, legs, hands, feet and a tiny face;
  * the body's regions: the clothing label map (59 labels, grouped below into hair, skin, top, outer
    clothes, dress, lower clothes, shoes, bag...) or, without one, the pose model's person mask; their
    contours give the outline of the body and the lines between pieces of clothing.

Strokes are the doodles' (sketch2real.doodle_parts): ("line", points [K, 2], width factor) or
("dot", centre [2], radius). Pure numpy (plus scikit-image's contour tracer); randomness comes from the
numpy Generator each function is given.
"""
import math

import numpy as np
from scipy import ndimage
from skimage.measure import find_contours

from sketch2real.doodle_parts import ellipse, resample

PICTURE = (192, 128)  # (height, width) of the drawings and of the coordinates
VISIBLE = 0.5         # a keypoint whose visibility is at most this is left out of the drawings

# ---- mediapipe pose keypoints (the person's own left and right; (left, right) pairs) --------------------
NOSE = 0
EYES, EYES_OUTER, EARS, MOUTH = (2, 5), (3, 6), (7, 8), (9, 10)
SHOULDERS, ELBOWS, WRISTS = (11, 12), (13, 14), (15, 16)
PINKIES, INDEXES, THUMBS = (17, 18), (19, 20), (21, 22)
HIPS, KNEES, ANKLES, HEELS, TOES = (23, 24), (25, 26), (27, 28), (29, 30), (31, 32)
HEAD_POINTS = tuple(range(11))
# the 13 points PCK scores: nose, shoulders, elbows, wrists, hips, knees, ankles
BODY_POINTS = (NOSE, *SHOULDERS, *ELBOWS, *WRISTS, *HIPS, *KNEES, *ANKLES)

# ---- the clothing labels (Clothing Co-Parsing's 59, in the npz's `labels` order) and their groups -------
LABEL_NAMES = (
    "null", "accessories", "bag", "belt", "blazer", "blouse", "bodysuit", "boots", "bra", "bracelet", "cape",
    "cardigan", "clogs", "coat", "dress", "earrings", "flats", "glasses", "gloves", "hair", "hat", "heels",
    "hoodie", "intimate", "jacket", "jeans", "jumper", "leggings", "loafers", "necklace", "panties", "pants",
    "pumps", "purse", "ring", "romper", "sandals", "scarf", "shirt", "shoes", "shorts", "skin", "skirt",
    "sneakers", "socks", "stockings", "suit", "sunglasses", "sweater", "sweatshirt", "swimwear", "t-shirt",
    "tie", "tights", "top", "vest", "wallet", "watch", "wedges")
# Lines a person would draw separate these groups; labels within a group are one region. Small things worn
# on the skin (jewellery, glasses, gloves, tights) belong to the skin: at 128x192 they are a few pixels.
GROUPS = {
    "background": ("null",),
    "skin": ("skin", "accessories", "bracelet", "earrings", "necklace", "ring", "watch", "glasses",
             "sunglasses", "gloves", "socks", "stockings", "tights"),
    "hair": ("hair",),
    "hat": ("hat",),
    "top": ("blouse", "bodysuit", "bra", "hoodie", "jumper", "shirt", "sweater", "sweatshirt", "t-shirt",
            "tie", "top"),
    "outer": ("blazer", "cape", "cardigan", "coat", "jacket", "suit", "vest"),
    "scarf": ("scarf",),
    "dress": ("dress", "intimate", "romper", "swimwear"),
    "lower": ("belt", "jeans", "leggings", "panties", "pants", "shorts", "skirt"),
    "shoes": ("boots", "clogs", "flats", "heels", "loafers", "pumps", "sandals", "shoes", "sneakers", "wedges"),
    "bag": ("bag", "purse", "wallet"),
}
GROUP_NAMES = tuple(GROUPS)
GROUP_OF_LABEL = np.zeros(256, dtype=np.uint8)  # label -> group index; 255 ("no label map") -> background
for _g, _names in enumerate(GROUPS.values()):
    for _name in _names:
        GROUP_OF_LABEL[LABEL_NAMES.index(_name)] = _g
CLOTHES = tuple(GROUP_NAMES.index(g) for g in ("top", "outer", "scarf", "dress", "lower"))
HAIR = GROUP_NAMES.index("hair")
MIN_AREA = 12     # regions and holes smaller than this (pixels) are left out of the outline
MIN_LENGTH = 6.0  # contour pieces shorter than this (pixels) are not drawn


# --------------------------------------------------------------------------------------------------
# Keypoints


def seen(points: np.ndarray, threshold: float = VISIBLE) -> np.ndarray:
    """bool [33]: the keypoints visible enough to draw (and finite)."""
    points = np.asarray(points, dtype=np.float64)
    return np.isfinite(points).all(1) & (points[:, 2] > threshold)


def _middle(p, ok, pair):
    """The midpoint of a (left, right) pair, the one of them that is visible, or None."""
    a, b = pair
    if ok[a] and ok[b]:
        return (p[a] + p[b]) / 2
    return p[a] if ok[a] else p[b] if ok[b] else None


def _apart(p, ok, pair):
    a, b = pair
    return float(np.linalg.norm(p[a] - p[b])) if ok[a] and ok[b] else None


def _unit(v, default=(0.0, -1.0)) -> np.ndarray:
    n = np.linalg.norm(v)
    return np.asarray(v, dtype=np.float64) / n if n > 1e-6 else np.array(default)


def head_shape(p: np.ndarray, ok: np.ndarray) -> dict | None:
    """Where the head is: centre, half width rx, half height ry, `up` (unit vector from the neck to the
    crown) and the ellipse's tilt in degrees; None when no head keypoint is visible.

    The width is the largest of three estimates (ears apart x 1.15, outer eye corners apart x 1.6,
    shoulders apart x 0.42: about equal on the shared photos' front views), so that a head turned sideways,
    whose ears and eyes close up, keeps its size."""
    face = [i for i in HEAD_POINTS if ok[i]]
    if not face:
        return None
    estimates = [k * d for k, d in ((1.15, _apart(p, ok, EARS)), (1.6, _apart(p, ok, EYES_OUTER)),
                                    (0.42, _apart(p, ok, SHOULDERS))) if d is not None]
    width = max(estimates) if estimates else 10.0
    eyes, ears, mouth = _middle(p, ok, EYES), _middle(p, ok, EARS), _middle(p, ok, MOUTH)
    shoulders = _middle(p, ok, SHOULDERS)
    top = eyes if eyes is not None else p[face].mean(0)
    if shoulders is not None and np.linalg.norm(top - shoulders) > 0.3 * width:
        up = _unit(top - shoulders)
    elif mouth is not None and eyes is not None:
        up = _unit(eyes - mouth)
    else:
        up = np.array([0.0, -1.0])
    anchors = [q for q in (eyes, ears if ok[EARS[0]] and ok[EARS[1]] else None) if q is not None]
    base = np.mean(anchors, 0) if anchors else p[NOSE] if ok[NOSE] else p[face].mean(0)
    rx, ry = width / 2, width / 2 * 1.25
    tilt = math.degrees(math.atan2(up[1], up[0])) + 90
    return {"centre": base + up * 0.1 * ry, "rx": rx, "ry": ry, "up": up, "tilt": tilt, "width": width}


def _chain(p, ok, joints) -> np.ndarray | None:
    """The visible run of a limb's joints from its root (shoulder or hip) outwards, at least two of them;
    a limb whose root is hidden starts at its middle joint."""
    run = []
    for j in joints:
        if ok[j]:
            run.append(p[j])
        elif run:
            break
    return np.array(run) if len(run) >= 2 else None


def stick_parts(points: np.ndarray, rng: np.random.Generator, clean: bool = False,
                threshold: float = VISIBLE) -> dict:
    """A stick figure's parts: {name: [strokes]} for head, face, neck, spine, shoulders, hips, torso,
    arm_l/arm_r, hand_l/hand_r, leg_l/leg_r, foot_l/foot_r (only those that can be drawn: a limb with
    hidden joints is shortened or left out). `clean`: the fixed figure of the held-out drawings (an oval
    head, straight lines, no face, hands or feet, arms from the shoulders); otherwise the shape of each
    part is random (the caller decides which optional parts to keep)."""
    p = np.asarray(points, dtype=np.float64)[:, :2]
    ok = seen(points, threshold)
    parts = {}
    head = head_shape(p, ok)
    shoulders, hips = _middle(p, ok, SHOULDERS), _middle(p, ok, HIPS)
    if head is not None:
        round_head = 1.0 if clean else rng.uniform(0.8, 1.0)  # a circle or an egg
        rx, ry = head["rx"], head["ry"] * round_head + head["rx"] * (1 - round_head)
        start = 90.0 if clean else rng.uniform(0, 360)
        parts["head"] = [("line", ellipse(head["centre"], rx, ry, start, start + 360, head["tilt"]), 1.0)]
        chin = head["centre"] - head["up"] * ry
        if shoulders is not None and np.dot(shoulders - head["centre"], -head["up"]) > ry + 1.5:
            parts["neck"] = [("line", np.array([chin, shoulders]), 1.0)]
        if ok[EYES[0]] and ok[EYES[1]] and head["width"] >= 8:
            dot = max(0.6, 0.06 * head["width"])
            face = [("dot", p[e], dot) for e in EYES]
            if ok[MOUTH[0]] and ok[MOUTH[1]]:
                a, b = p[MOUTH[0]], p[MOUTH[1]]
                bow = rng.uniform(0.15, 0.4) * np.linalg.norm(b - a)
                t = np.linspace(0, 1, 7)[:, None]
                face.append(("line", a + (b - a) * t - head["up"] * bow * 4 * t * (1 - t), 0.7))
            parts["face"] = face
    if shoulders is not None and hips is not None:
        parts["spine"] = [("line", np.array([shoulders, hips]), 1.0)]
        if all(ok[j] for j in (*SHOULDERS, *HIPS)):
            loop = p[[SHOULDERS[0], SHOULDERS[1], HIPS[1], HIPS[0], SHOULDERS[0]]]
            parts["torso"] = [("line", loop, 1.0)]
    if ok[SHOULDERS[0]] and ok[SHOULDERS[1]]:
        parts["shoulders"] = [("line", p[list(SHOULDERS)], 1.0)]
    if ok[HIPS[0]] and ok[HIPS[1]]:
        parts["hips"] = [("line", p[list(HIPS)], 1.0)]
    for side, name in enumerate("lr"):
        arm = _chain(p, ok, (SHOULDERS[side], ELBOWS[side], WRISTS[side]))
        if arm is not None:
            parts[f"arm_{name}"] = [("line", arm, 1.0)]
        leg = _chain(p, ok, (HIPS[side], KNEES[side], ANKLES[side]))
        if leg is not None:
            parts[f"leg_{name}"] = [("line", leg, 1.0)]
        if ok[WRISTS[side]] and not clean:
            parts[f"hand_{name}"] = _hand(p, ok, side, head["width"] if head else 10.0, rng)
        toe = TOES[side]
        if ok[ANKLES[side]] and ok[toe] and not clean:
            heel = HEELS[side] if ok[HEELS[side]] and rng.random() < 0.5 else ANKLES[side]
            if np.linalg.norm(p[toe] - p[heel]) > 1.5:
                parts[f"foot_{name}"] = [("line", np.array([p[heel], p[toe]]), 1.0)]
    return parts


def _hand(p, ok, side: int, head_width: float, rng) -> list:
    """A small loop or dot round the hand, or two or three short fingers from the wrist."""
    wrist = p[WRISTS[side]]
    tips = [p[j[side]] for j in (INDEXES, PINKIES, THUMBS) if ok[j[side]]]
    centre = np.mean([wrist, *tips], 0) if tips else wrist
    kind = rng.choice(["loop", "dot", "fingers"], p=[0.45, 0.3, 0.25])
    r = max(1.0, rng.uniform(0.1, 0.16) * head_width)
    if kind == "fingers" and len(tips) >= 2:
        return [("line", np.array([wrist, wrist + (t - wrist) * rng.uniform(1.0, 1.4)]), 0.7) for t in tips]
    if kind == "dot":
        return [("dot", centre, r * 0.8)]
    return [("line", ellipse(centre, r, r, 0, 360), 0.8)]


# --------------------------------------------------------------------------------------------------
# Regions and their contours


def regions(labels: np.ndarray | None, mask: np.ndarray | None) -> tuple[np.ndarray | None, np.ndarray | None]:
    """(group map int [H, W] or None, body silhouette bool [H, W] or None): from the label map where the
    photo has one (labels not all 255), else from the pose model's person mask (> 127)."""
    groups = None
    if labels is not None and (np.asarray(labels) != 255).any():
        groups = GROUP_OF_LABEL[np.asarray(labels)]
        body = groups > 0
    elif mask is not None and (np.asarray(mask) > 127).any():
        body = np.asarray(mask) > 127
    else:
        return None, None
    body = _tidy(body)
    if groups is not None:
        groups = np.where(body, groups, 0)
    return groups, (body if body.any() else None)


def _tidy(region: np.ndarray) -> np.ndarray:
    """A region without its specks and pinholes (smaller than MIN_AREA pixels)."""
    parts, count = ndimage.label(region)
    if count:
        sizes = ndimage.sum_labels(region, parts, np.arange(1, count + 1))
        region = np.isin(parts, 1 + np.flatnonzero(sizes >= MIN_AREA))
    holes, count = ndimage.label(~region)
    if count:
        sizes = ndimage.sum_labels(~region, holes, np.arange(1, count + 1))
        region = region | np.isin(holes, 1 + np.flatnonzero(sizes < MIN_AREA))
    return region


def contour_lines(region: np.ndarray, keep=None, smooth: int = 5) -> list:
    """The outline of a bool [H, W] region as smooth polylines (x, y in pixels; a pixel spans i..i+1).

    `keep(outside)`: which stretches to draw, given the (row, col) of the pixel just outside the region
    at each contour point, in a picture padded by one pixel (row 0 and H + 1, col 0 and W + 1 are beyond
    the picture); by default everything but the picture's edge, where the body is cut off."""
    h, w = region.shape
    padded = np.pad(region, 1).astype(np.float32)
    lines = []
    for c in find_contours(padded, 0.5):
        c = np.round(c * 2) / 2  # on a binary picture each point is half-way between two pixel centres
        lo, hi = np.floor(c).astype(int), np.ceil(c).astype(int)
        outside = np.where((padded[lo[:, 0], lo[:, 1]] == 0)[:, None], lo, hi)
        if keep is None:
            good = (outside[:, 0] > 0) & (outside[:, 0] <= h) & (outside[:, 1] > 0) & (outside[:, 1] <= w)
        else:
            good = keep(outside)
        xy = c[:, ::-1] - 1 + 0.5  # padded (row, col) -> picture (x, y) of the pixel-centre grid
        closed = len(c) > 2 and np.allclose(c[0], c[-1])
        if good.all() and closed:
            lines.append(_smooth(xy, closed=True, window=smooth))
            continue
        for run in _runs(good, closed):
            if len(run) >= 2:
                lines.append(_smooth(xy[run], closed=False, window=smooth))
    return [line for line in lines if _length(line) >= MIN_LENGTH]


def _runs(good: np.ndarray, closed: bool) -> list:
    """Index runs where `good` holds; on a closed contour a run may wrap round its end."""
    n = len(good) - 1 if closed else len(good)  # a closed contour repeats its first point last
    good = good[:n]
    if not good.any():
        return []
    start = int(np.argmin(good)) if closed and not good.all() else 0
    order = (start + np.arange(n)) % n if closed else np.arange(n)
    runs, run = [], []
    for i in order:
        if good[i]:
            run.append(i)
        elif run:
            runs.append(run)
            run = []
    if run:
        runs.append(run)
    return [np.array(r) for r in runs]


def _smooth(line: np.ndarray, closed: bool, window: int) -> np.ndarray:
    """A moving average along a polyline (resampled every pixel first): the pixel steps become curves."""
    line = resample(line, 1.0)
    if len(line) < 3 or window < 2:
        return line
    half = window // 2
    if closed:
        body = line[:-1]
        ext = np.concatenate([body[-half:], body, body[:half]])
    else:
        ext = np.concatenate([np.repeat(line[:1], half, 0), line, np.repeat(line[-1:], half, 0)])
    kernel = np.ones(2 * half + 1) / (2 * half + 1)
    out = np.stack([np.convolve(ext[:, i], kernel, mode="valid") for i in range(2)], 1)
    if closed:
        out = np.concatenate([out, out[:1]])
    else:
        out[0], out[-1] = line[0], line[-1]
    return out


def _length(line: np.ndarray) -> float:
    return float(np.linalg.norm(np.diff(line, axis=0), axis=1).sum()) if len(line) > 1 else 0.0


def outline_geometry(labels: np.ndarray | None, mask: np.ndarray | None) -> dict:
    """Everything the outline styles draw from one photo, found once per photo (it does not depend on the
    randomness): the silhouette's contour, the lines between clothing groups, the contour of the clothes
    alone and of the hair, and the clothes' region (to clip stick limbs to outside it). Empty lists and
    None where the photo has no label map (then only the silhouette, from the mask) or no shape at all."""
    groups, body = regions(labels, mask)
    out = {"silhouette": [], "inner": [], "clothes": [], "clothes_inner": [], "hair": [], "clothes_region": None,
           "labelled": groups is not None}
    if body is None:
        return out
    out["silhouette"] = contour_lines(body)
    if groups is None:
        return out
    padded = np.pad(groups, 1)
    for g in range(1, len(GROUP_NAMES)):
        region = groups == g
        if region.sum() < MIN_AREA:
            continue
        # each line between two groups is drawn once: from the lower group's side, where the higher lies
        beyond = lambda o, g=g: padded[o[:, 0], o[:, 1]] > g  # noqa: E731
        lines = contour_lines(region, keep=beyond)
        out["inner"] += lines
        if g in CLOTHES:
            out["clothes_inner"] += contour_lines(
                region, keep=lambda o, g=g: np.isin(padded[o[:, 0], o[:, 1]], [c for c in CLOTHES if c > g]))
    clothes = _tidy(np.isin(groups, CLOTHES))
    if clothes.sum() >= MIN_AREA:
        out["clothes"] = contour_lines(clothes)
        out["clothes_region"] = ndimage.binary_dilation(clothes, iterations=1)
    hair = _tidy(groups == HAIR)
    if hair.sum() >= MIN_AREA:
        out["hair"] = contour_lines(hair)
    return out


def outside_of(line: np.ndarray, region: np.ndarray | None, min_length: float = 2.0) -> list:
    """The pieces of a polyline that lie outside a bool [H, W] region (all of it when region is None):
    a stick arm starting where the sleeve ends."""
    if region is None:
        return [line]
    pts = resample(np.asarray(line, dtype=np.float64), 0.5)
    h, w = region.shape
    ix = np.clip(np.floor(pts).astype(int), 0, [w - 1, h - 1])
    inside = region[ix[:, 1], ix[:, 0]] & (pts >= 0).all(1) & (pts[:, 0] < w) & (pts[:, 1] < h)
    return [pts[r] for r in _runs(~inside, closed=False) if len(r) >= 2 and _length(pts[r]) >= min_length]
