"""Person drawings: training sketches of whole people, the way people draw them.

The "person" mode of sketch2real turns a drawing of a person into a photo of one. Nobody traces a photo's
edges to draw a person: they draw a stick figure, or the outline of the body and its clothes, or a mix of
the two. This module draws such drawings *over each training photo's own body*, from the body keypoints
and the person mask that `python -m sketch2real.pose` caches (mediapipe, in its own environment) and from
the photo's clothing label map where it has one (sketch2real.data.load_people), so the pair (drawing,
photo) teaches the model what a stick arm or an outlined skirt should become, and where.

Every drawing is in one of a few styles (STYLES):

    stick    a stick figure: round head, neck, spine, shoulder line, arms and legs along the photo's
             limbs; sometimes hands, feet, a hip line, a box for a torso, or a tiny face
    outline  the body's silhouette and the lines between hair, skin, clothes, shoes and bag (from the label
             map; from the pose model's mask, the silhouette only), sometimes a head circle and eyes
    mixed    the clothes drawn as outlines with stick arms and legs coming out of them (where there is a
             label map), or the silhouette with the stick figure inside it (a mannequin)
    sparse   a quick drawing of any of the three: thin pen, parts left out, lines cut short
    wobbly   a shaky hand: lines wander, loops overshoot, a thicker pen

and, whatever the style, the whole drawing is bent by a random smooth warp (sketch2real.doodle_parts.
SmoothWarp), so the model follows a drawing's intent rather than its exact lines. Joints the pose model
could not see (visibility <= 0.5) are left out: missing limbs happen. Strokes are drawn at 4x with PIL and
averaged down (sketch2real.doodle._draw): uint8 [1, 192, 128], 255 = paper, 0 = ink, anti-aliased.

    from sketch2real.data import load_people
    from sketch2real.person import person_bank, test_drawings, load_pose, pck
    photos, labels = load_people("train")
    bank, found = person_bank(photos, labels, variants=4, seed=0)  # uint8 [4, N, 1, 192, 128], bool [N]
    # found False: no pose, no label map: blank paper; drop those rows

    python -m sketch2real.person OUT.png --n 8     # held-out photos and their drawings, a row per style
"""
import argparse
import hashlib
import sys
from pathlib import Path

import numpy as np
import torch
from PIL import Image

from ganlab import cli
from ganlab.data import DataError, to_unit_range
from sketch2real.doodle import _draw
from sketch2real.doodle_parts import SmoothWarp, part_of, resample, wobble
from sketch2real.landmarks import CACHE_DIR, pixel_keys
from sketch2real.person_parts import (ANKLES, BODY_POINTS, HEAD_POINTS, NOSE, PICTURE, SHOULDERS, VISIBLE,
                                      outline_geometry, outside_of, seen, stick_parts)
from sketch2real.pose import COMMAND, cache_path, find_source

PERSON_VERSION = 1  # bump when the drawings change, so cached banks are made again
STYLES = ("stick", "outline", "mixed", "sparse", "wobbly")
STYLE_SHARE = (0.3, 0.25, 0.2, 0.15, 0.1)  # how often each is drawn when the style is random
TEST_SEED = 17      # the held-out drawings' seed
TEST_PEN = 1.6      # their pen, in pixels

STYLE_RULES = {
    # kinds: what is drawn (stick, outline, mixed) and how often; pen: width in output pixels; wobble:
    # sideways tremor in pixels; warp: size of the smooth displacement in pixels; drop: the chance of
    # leaving out each limb or line; gap: the largest share of a loop left open; trim: the largest share
    # cut off an open stroke; overshoot: how far a loop runs on past its start.
    "stick": dict(kinds={"stick": 1.0}, pen=(1.3, 2.8), wobble=(0.0, 0.25), warp=(1.5, 3.0), drop=0.0,
                  gap=0.06, trim=0.0),
    "outline": dict(kinds={"outline": 1.0}, pen=(1.0, 2.0), wobble=(0.0, 0.35), warp=(1.5, 3.0), drop=0.0,
                    gap=0.1, trim=0.05),
    "mixed": dict(kinds={"mixed": 1.0}, pen=(1.1, 2.4), wobble=(0.0, 0.3), warp=(1.5, 3.0), drop=0.0,
                  gap=0.08, trim=0.03),
    "sparse": dict(kinds={"stick": 0.5, "outline": 0.25, "mixed": 0.25}, pen=(0.9, 1.5), wobble=(0.0, 0.4),
                   warp=(2.0, 3.5), drop=0.3, gap=0.4, trim=0.3),
    "wobbly": dict(kinds={"stick": 0.4, "outline": 0.3, "mixed": 0.3}, pen=(1.4, 3.0), wobble=(0.4, 0.9),
                   warp=(3.0, 5.0), drop=0.05, gap=0.2, trim=0.1, overshoot=0.12),
}
LIMBS = ("arm_l", "arm_r", "leg_l", "leg_r", "hand_l", "hand_r", "foot_l", "foot_r")


# --------------------------------------------------------------------------------------------------
# One drawing


PART_CHANCE = {  # how often each optional part of a stick figure is drawn (before a sparse style's drop)
    "head": 1.0, "neck": 1.0, "face": 0.35, "shoulders": 0.85, "hips": 0.3, "torso": 0.15,
    "arm": 1.0, "leg": 1.0, "hand": 0.4, "foot": 0.4}


def _strokes_of_kind(kind: str, points, geometry: dict, rng: np.random.Generator, drop: float) -> list:
    """The strokes (in photo pixels, before styling) of one drawing of `kind`: stick, outline or mixed."""
    points = np.asarray(points, dtype=np.float64) if points is not None else None
    parts = stick_parts(points, rng) if points is not None else {}

    def keep(name: str, chance: float | None = None) -> bool:
        if name not in parts:
            return False
        chance = PART_CHANCE[name.split("_")[0]] if chance is None else chance
        return bool(rng.random() < chance * (1 - (drop / 3 if name == "head" else drop)))

    def lines(polylines, width: float, chance: float = 1.0, main: bool = False) -> list:
        """Each of the polylines with the given chance, less a sparse style's drop; a `main` set (the
        silhouette, the clothes) always keeps its longest line, so a sparse outline is never empty."""
        longest = int(np.argmax([len(line) for line in polylines])) if main and polylines else -1
        return [("line", line, width) for i, line in enumerate(polylines)
                if i == longest or rng.random() < chance * (1 - drop)]

    if kind == "stick":
        torso_box = keep("torso")
        shoulder_line = not torso_box and keep("shoulders")
        names = ["torso" if torso_box else "spine", "head", "neck", "face", "shoulders" if shoulder_line else "",
                 "" if torso_box else "hips", *LIMBS]
        strokes = []
        drawn = set()
        for name in names:
            if name not in parts or not (name in ("spine", "torso", "shoulders") or keep(name)):
                continue
            if name == "face" and "head" not in drawn:
                continue  # eyes and a smile need a head round them
            drawn.add(name)
            part = parts[name]
            if name.startswith("arm") and not (shoulder_line or torso_box) and "neck" in parts:
                arm = part[0][1]
                if any(np.allclose(arm[0], points[j, :2]) for j in SHOULDERS):
                    # no shoulder line: the arm starts where the neck meets the body, as children draw it
                    part = [("line", np.concatenate([parts["neck"][0][1][-1:], arm[1:]]), 1.0)]
            strokes += part
        return strokes
    if kind == "outline":
        strokes = lines(geometry["silhouette"], 1.0, main=True) + lines(geometry["inner"], 0.8, 0.85)
        for name, chance in (("head", 0.3), ("face", 0.4)):
            if keep(name, chance):
                strokes += parts[name]
        return strokes
    if geometry["clothes"] and rng.random() < 0.75:
        # mixed: the clothes as outlines, stick limbs coming out of the sleeves and the skirt or trousers
        strokes = lines(geometry["clothes"], 1.0, main=True) + lines(geometry["clothes_inner"], 0.8, 0.8)
        if rng.random() < 0.5:
            strokes += lines(geometry["hair"], 0.9)
        drawn = set()
        for name in ("head", "face", "neck", *LIMBS):
            if keep(name) and (name != "face" or "head" in drawn):
                drawn.add(name)
                for k, a, b in parts[name]:
                    whole = k == "dot" or name in ("head", "face")
                    pieces = [a] if whole else outside_of(a, geometry["clothes_region"])
                    strokes += [(k, piece, b) for piece in pieces]
        return strokes
    # mixed, without a label map (or now and then with one): a mannequin, the stick figure inside the silhouette
    strokes = lines(geometry["silhouette"], 0.9, main=True)
    for name in ("spine", "head", "neck", "shoulders", "hips", *LIMBS):
        if name in parts and (name in ("spine", "shoulders") or keep(name)):
            strokes += parts[name]
    return strokes


def _choose_kind(style: str, has_pose: bool, has_shape: bool, rng) -> str | None:
    kinds = STYLE_RULES[style]["kinds"]
    names = list(kinds)
    kind = names[rng.choice(len(names), p=np.array(list(kinds.values())) / sum(kinds.values()))]
    if kind == "stick" and not has_pose:
        kind = "outline"
    if kind == "outline" and not has_shape:
        kind = "stick"
    if kind == "mixed" and not (has_pose and has_shape):
        kind = "stick" if has_pose else "outline"
    return kind if (has_pose if kind == "stick" else has_shape) else None


def person_strokes(points, geometry: dict, rng: np.random.Generator, style: str, warp: bool = True,
                   kind: str | None = None) -> tuple[list, float]:
    """The styled and warped strokes of one drawing and its pen (output pixels): ([], pen) when the photo
    has neither a pose nor a shape to draw."""
    rules = STYLE_RULES[style]
    has_pose = points is not None and seen(points).any()
    has_shape = bool(geometry["silhouette"])
    kind = kind or _choose_kind(style, has_pose, has_shape, rng)
    pen = rng.uniform(*rules["pen"])
    if kind is None:
        return [], pen
    raw = _strokes_of_kind(kind, points if has_pose else None, geometry, rng, rules["drop"])
    if not raw:  # everything dropped (a head-only pose, say): a sparse drawing still draws something
        raw = _strokes_of_kind(kind, points if has_pose else None, geometry, rng, 0.0)
    tremor = rng.uniform(*rules["wobble"])
    warper = SmoothWarp(rng, PICTURE[::-1], amount=rng.uniform(*rules["warp"]), shift=3.0, cycles=1.5) if warp else None
    strokes = []
    for k, a, b in raw:
        a = np.asarray(a, dtype=np.float64)
        if k == "line":
            closed = len(a) > 2 and np.allclose(a[0], a[-1])
            if closed and rng.random() < 0.6:
                a = part_of(a, rng.random(), 1 - rng.uniform(0, rules["gap"]))
            elif closed and "overshoot" in rules:  # the pen runs past where the loop closes
                a = resample(a)
                a = np.concatenate([a, a[1:max(2, int(len(a) * rng.uniform(0, rules["overshoot"])))]])
            elif not closed and rules["trim"] > 0.06:
                a = part_of(a, rng.uniform(0, rules["trim"] / 2), 1 - rng.uniform(0, rules["trim"]))
            a = wobble(resample(a), rng, tremor)
        if warper is not None:
            a = warper(a[None])[0] if k == "dot" else warper(a)
        strokes.append((k, a, b))
    return strokes, pen


def render(strokes: list, pen: float) -> np.ndarray:
    """Strokes in pixels of the 128x192 picture -> uint8 [1, 192, 128], 255 = paper, 0 = ink."""
    return np.array(_draw(strokes, pen, PICTURE, PICTURE[1])[None])  # a writable copy


def draw_person(points, labels, mask, rng: np.random.Generator, style: str | None = None, warp: bool = True,
                geometry: dict | None = None) -> np.ndarray:
    """One drawing of a person, uint8 [1, 192, 128] (blank paper when there is nothing to draw from).

    points: float [33, 3] keypoints (x, y in pixels of the 128x192 photo, visibility) or None; labels:
    uint8 [192, 128] label map (255 everywhere: none) or None; mask: uint8 [192, 128] person mask or None;
    style: one of STYLES, or None for a random one (STYLE_SHARE). `geometry`: outline_geometry(labels,
    mask) when the caller has it already (it is the slow part, and the same for every drawing of a photo)."""
    if style is None:
        style = STYLES[rng.choice(len(STYLES), p=STYLE_SHARE)]
    if style not in STYLES:
        raise ValueError(f"style must be one of {STYLES} or None, not {style!r}")
    geometry = geometry if geometry is not None else outline_geometry(labels, mask)
    strokes, pen = person_strokes(points, geometry, rng, style, warp)
    return render(strokes, pen)


def stick_figure(points, rng: np.random.Generator, clean: bool = False, warp: bool = True) -> np.ndarray:
    """A stick figure of the pose, uint8 [1, 192, 128]. `clean`: the fixed, unwarped figure of the held-out
    drawings (oval head, neck, spine, shoulders, hips' middle, arms, legs; TEST_PEN wide)."""
    if clean:
        parts = stick_parts(points, rng, clean=True)
        names = ("head", "neck", "spine", "shoulders", "arm_l", "arm_r", "leg_l", "leg_r")
        return render([s for name in names for s in parts.get(name, [])], TEST_PEN)
    strokes, pen = person_strokes(points, outline_geometry(None, None), rng, "stick", warp, kind="stick")
    return render(strokes, pen)


def outline_drawing(labels, mask, rng: np.random.Generator, points=None, warp: bool = True) -> np.ndarray:
    """The outline of the body (and its clothes, with a label map), uint8 [1, 192, 128]; blank paper when
    there is neither a label map nor a mask. `points`: the pose, for the occasional head circle and eyes."""
    strokes, pen = person_strokes(points, outline_geometry(labels, mask), rng, "outline", warp, kind="outline")
    return render(strokes, pen)


# --------------------------------------------------------------------------------------------------
# The pose cache


class PoseMissing(DataError):
    """No body pose cache for these photos; the message names the command that makes it."""


def load_pose(photos, cache_dir=CACHE_DIR, data_dir=None) -> dict:
    """Each photo's row of the pose cache written by `python -m sketch2real.pose` for `data_dir`'s people
    (None: the shared ones), found by the hash of its pixels whatever the split, subset or order:

        points  float32 [N, 33, 3]    x, y in pixels of the 128x192 photo, visibility; 0 where none
        found   bool    [N]           a person was found (and the photo is in the cache)
        mask    uint8   [N, 192, 128] the pose model's person probability x 255
        in_cache bool   [N]           the photo has a row (False: the cache was made from other photos)
        path    Path                  the cache file

    Raises PoseMissing, naming the command to run, when there is no cache."""
    source = find_source(data_dir)
    path = cache_path(source, cache_dir if cache_dir is not None else CACHE_DIR)
    where = "" if data_dir is None else f" --data-dir {data_dir}"
    elsewhere = cache_dir is not None and Path(cache_dir) != CACHE_DIR
    hint = f"{COMMAND}{where}" + (f" --cache-dir {cache_dir}" if elsewhere else "")
    if not path.is_file():
        raise PoseMissing(f"no body pose cache at {path}: the person drawings need it. Make it once (mediapipe, "
                          f"in its own environment; about a minute) with:\n    {hint}")
    try:
        with np.load(path) as d:
            points, found, mask, keys = d["points"], d["found"].astype(bool), d["mask"], d["key"]
            readable = d["readable"] if "readable" in d.files else np.ones_like(found)
    except (OSError, ValueError, KeyError) as e:
        raise PoseMissing(f"{path} is not a readable pose cache ({type(e).__name__}: {e}); make it again "
                          f"with:\n    {hint} --force") from e
    photos = photos.numpy() if isinstance(photos, torch.Tensor) else np.asarray(photos)
    rows = {int(k): i for i, k in enumerate(keys) if readable[i]}
    where_row = np.array([rows.get(int(k), -1) for k in pixel_keys(photos)], dtype=np.int64)
    known = where_row >= 0
    n = len(photos)
    out = {"points": np.zeros((n, *points.shape[1:]), np.float32), "found": np.zeros(n, bool),
           "mask": np.zeros((n, *mask.shape[1:]), np.uint8), "in_cache": known, "path": path}
    out["points"][known] = points[where_row[known]]
    out["found"][known] = found[where_row[known]]
    out["mask"][known] = mask[where_row[known]]
    return out


def _numpy(x) -> np.ndarray:
    return x.numpy() if isinstance(x, torch.Tensor) else np.asarray(x)


def person_bank(photos, labels, variants: int, seed: int, cache_dir=CACHE_DIR,
                data_dir=None) -> tuple[torch.Tensor, torch.Tensor]:
    """`variants` drawings of every photo (uint8 [N, 3, 192, 128], with its labels uint8 [N, 192, 128]):
    (uint8 [V, N, 1, 192, 128], 255 = paper; bool [N]). A photo without a pose gets outline drawings when
    it has a label map; one with neither is blank paper in every variant and found False (drop it); the
    counts are printed. Cached in `cache_dir` by content (None: made every time). The pose comes from the
    cache of `data_dir`'s people (see load_pose); PoseMissing says how to make it."""
    from tqdm import tqdm

    photos, labels = _numpy(photos), _numpy(labels)
    if photos.shape[1:] != (3, *PICTURE) or labels.shape != (len(photos), *PICTURE):
        raise ValueError(f"photos must be [N, 3, 192, 128] and labels [N, 192, 128]; got {photos.shape}, "
                         f"{labels.shape}")
    pose = load_pose(photos, cache_dir, data_dir)
    labelled = (labels != 255).reshape(len(labels), -1).any(1)
    found = pose["found"] | labelled
    n = len(photos)
    print(f"person drawings: {int(pose['found'].sum())} of {n} photos have a pose, {int(labelled.sum())} a label "
          f"map; {int((~pose['found'] & labelled).sum())} get outlines only, {n - int(found.sum())} nothing "
          "(blank, found False)" + (f"; {int((~pose['in_cache']).sum())} are not in {pose['path'].name}"
                                    if not pose["in_cache"].all() else ""), file=sys.stderr)

    def make():
        bank = np.full((variants, n, 1, *PICTURE), 255, dtype=np.uint8)
        for i in tqdm(range(n), desc="person drawings", unit="photo", leave=False, mininterval=2):
            if not found[i]:
                continue
            points = pose["points"][i] if pose["found"][i] else None
            geometry = outline_geometry(labels[i], pose["mask"][i] if pose["found"][i] else None)
            for v in range(variants):
                rng = np.random.default_rng([seed, v, i])
                bank[v, i] = draw_person(points, None, None, rng, geometry=geometry)
        return bank

    if cache_dir is None:
        return torch.from_numpy(make()), torch.from_numpy(found)
    key = hashlib.sha1(np.ascontiguousarray(photos).tobytes())
    key.update(np.ascontiguousarray(labels).tobytes())
    key.update(f"v{PERSON_VERSION} {pose['path'].name}".encode())
    path = Path(cache_dir) / f"person_drawings_{n}x{variants}_s{seed}_{key.hexdigest()[:12]}.npy"
    if path.is_file():
        try:
            bank = np.load(path)
            if bank.shape == (variants, n, 1, *PICTURE):
                return torch.from_numpy(bank), torch.from_numpy(found)
        except (OSError, ValueError):
            pass  # a damaged cache is simply made again
    bank = make()
    path.parent.mkdir(parents=True, exist_ok=True)
    partial = path.with_name(path.stem + ".partial.npy")
    np.save(partial, bank)
    partial.replace(path)  # atomic: a reader never sees half a bank
    return torch.from_numpy(bank), torch.from_numpy(found)


def test_drawings(photos, labels, pose: dict) -> tuple[torch.Tensor, np.ndarray]:
    """The held-out drawings every evaluation uses: one clean stick figure per photo (stick_figure(clean=
    True), seeded by TEST_SEED and the photo's position), as float [-1, 1] [N, 1, 192, 128], and the
    keypoints it was drawn from, float32 [N, 33, 3] (the reference for pck). `pose`: load_pose(photos).
    A photo without a pose is blank paper with all visibilities 0, so pck does not count it; drop
    those rows (pose['found'] False) before FD."""
    n = len(_numpy(photos))
    points = np.asarray(pose["points"], dtype=np.float32).copy()
    points[~np.asarray(pose["found"], dtype=bool)] = 0
    out = np.full((n, 1, *PICTURE), 255, dtype=np.uint8)
    for i in range(n):
        if pose["found"][i]:
            out[i] = stick_figure(points[i], np.random.default_rng([TEST_SEED, i]), clean=True)
    return to_unit_range(torch.from_numpy(out)), points


# --------------------------------------------------------------------------------------------------
# Scoring generated people


def body_height(points: np.ndarray, threshold: float = VISIBLE) -> float:
    """From the nose (or the head's visible points) to the farthest visible ankle, in pixels; without a
    visible ankle, the largest distance between two visible body keypoints; 0 with nothing visible."""
    p, ok = np.asarray(points, dtype=np.float64)[:, :2], seen(points, threshold)
    face = [i for i in HEAD_POINTS if ok[i]]
    head = p[NOSE] if ok[NOSE] else p[face].mean(0) if face else None
    ankles = [p[a] for a in ANKLES if ok[a]]
    if head is not None and ankles:
        return float(max(np.linalg.norm(a - head) for a in ankles))
    body = p[[i for i in BODY_POINTS if ok[i]]]
    if len(body) < 2:
        return 0.0
    return float(np.linalg.norm(body[:, None] - body[None], axis=-1).max())


def pck(ref_points, gen_points, gen_found, threshold: float = 0.1) -> float:
    """Percentage of correct keypoints, as a share: of the 13 body keypoints (nose, shoulders, elbows,
    wrists, hips, knees, ankles) visible (> 0.5) in each reference pose, the share whose keypoint in the
    generated picture's pose lies within `threshold` x the reference's body height (body_height) of it.
    A generated picture with no pose found (gen_found False) misses all its points. [N, 33, 3] arrays in
    the same pixels; NaN when no reference has a visible keypoint."""
    ref, gen = _numpy(ref_points).astype(np.float64), _numpy(gen_points).astype(np.float64)
    gen_found = _numpy(gen_found).astype(bool)
    if ref.shape != gen.shape or ref.ndim != 3 or ref.shape[1] < 33 or len(gen_found) != len(ref):
        raise ValueError(f"pck needs [N, 33, 3] points and [N] found; got {ref.shape}, {gen.shape}, {gen_found.shape}")
    body = list(BODY_POINTS)
    hits = total = 0
    for r, g, f in zip(ref, gen, gen_found):
        counted = seen(r)[body]
        height = body_height(r)
        if not counted.any() or height <= 0:
            continue
        total += int(counted.sum())
        if f:
            distance = np.linalg.norm(r[body, :2] - g[body, :2], axis=1)
            hits += int((counted & (distance <= threshold * height)).sum())
    return hits / total if total else float("nan")


# --------------------------------------------------------------------------------------------------
# The figure


def demo(out: Path, n: int = 8, seed: int = 0, data_dir=None, split: str = "test", cache_dir=CACHE_DIR) -> Path:
    """Held-out photos (half of them with a label map, where there are some), their drawings in each style
    and in a random style, and the clean held-out stick figure laid over the photo."""
    from sketch2real.data import load_people
    from sketch2real.sketch import save_labelled_grid

    photos, labels = load_people(split, data_dir, cache_dir)
    pose = load_pose(photos, cache_dir, data_dir)
    if not pose["found"].any():
        raise DataError(f"no {split} photo has a pose in {pose['path']}")
    labelled = (labels != 255).flatten(1).any(1).numpy()
    with_map, without = np.flatnonzero(pose["found"] & labelled), np.flatnonzero(pose["found"] & ~labelled)
    half = max(n - len(without), (n + 1) // 2)
    chosen = np.sort(np.concatenate([with_map[:half], without[:n - min(half, len(with_map))]]))
    photos, labels = photos[chosen], labels[chosen]
    picked = {k: v[chosen] for k, v in pose.items() if isinstance(v, np.ndarray)}
    geometry = [outline_geometry(labels[i].numpy(), picked["mask"][i]) for i in range(len(chosen))]
    rows = [("photo", photos.float() / 255)]
    for r, style in enumerate((*STYLES, None)):
        drawn = [draw_person(picked["points"][i], None, None, np.random.default_rng([seed, r, i]), style,
                             geometry=geometry[i]) for i in range(len(chosen))]
        rows.append((style or "random style", torch.from_numpy(np.stack(drawn)).float() / 255))
    clean = (test_drawings(photos, labels, picked)[0] + 1) / 2
    rows.append(("held-out stick\nfigure, over\nthe photo", photos.float() / 255 * (0.35 + 0.65 * clean)
                 + (1 - clean) * torch.tensor([1.0, 0.1, 0.1]).view(1, 3, 1, 1) * 0.65))
    cells = [(label, x.expand(-1, 3, -1, -1)) for label, x in rows]
    out = save_labelled_grid(cells, len(chosen), PICTURE[0], out, margin=120)
    # 256 colours: a third of the size of full colour (the photos dominate), and they look the same
    with Image.open(out) as figure:
        small = figure.convert("RGB").quantize(256, method=Image.Quantize.MAXCOVERAGE, dither=Image.Dither.NONE)
    small.save(out, optimize=True)
    return out


def main(argv=None):
    p = argparse.ArgumentParser(prog="python -m sketch2real.person",
                                description="Show person drawings of held-out photos, a row per style.")
    p.add_argument("out", type=cli.output_file, metavar="OUT.png", help="where to write the figure")
    p.add_argument("--n", type=cli.positive_int, default=8, help="how many photos (columns)")
    p.add_argument("--seed", type=int, default=0)
    p.add_argument("--split", default="test", choices=["train", "test"])
    p.add_argument("--data-dir", type=cli.existing_path, default=None,
                   help="the people npz, a folder holding it, or a folder of photos")
    args = p.parse_args(argv)
    try:
        print(f"wrote {demo(args.out, args.n, args.seed, args.data_dir, split=args.split)}")
    except DataError as e:
        print(f"error: {e}", file=sys.stderr)
        return 2
    return 0


if __name__ == "__main__":
    sys.exit(main())
