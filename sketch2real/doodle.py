"""Landmark doodles: training sketches drawn from a face's *structure*, the way people draw faces.

The edge sketches of sketch2real.sketch trace the photo's exact lines; a person's doodle does not. It has
a head outline, eyes as dots, circles or almonds, brows, a nose as a line or a hook, a mouth as an arc or a
lip outline, the outline of the hair, sometimes ears and a neck. This module draws such doodles *on top of
each training photo's own features*, from the 468 face-mesh landmarks and the head/hair silhouette that
`python -m sketch2real.landmarks` caches (mediapipe, in its own environment), so the pair (doodle, photo)
teaches the model what a doodled eye or mouth should become, and where.

Every doodle is drawn in one of a few styles (STYLES):

    clean        smooth lines, every part
    wobbly       a shaky hand: lines wander, loops overshoot or stay open
    sparse       a quick drawing: thin lines, parts left out, strokes cut short
    heavy        a thick pen
    exaggerated  cartoon proportions: big eyes, a round or long head, a bigger or smaller mouth and nose

and, whatever the style, the drawing is bent by a random smooth warp (a small rotation, scaling and shift
plus a slow displacement field), so the model learns to follow a drawing's intent rather than its exact
lines. Strokes are drawn at OVERSAMPLE x the output size with PIL and averaged down: anti-aliased, like the
page's canvas. Output convention as sketch_bank's: uint8, 255 = paper, 0 = ink.

The parts themselves (one function per eye, brow, nose, mouth, head, ears, neck) and the curve and warp
helpers are in sketch2real.doodle_parts, the hair in sketch2real.doodle_hair; this module picks and styles
them (doodle_strokes), renders them (landmark_doodles) and caches banks of them for training (doodle_bank).
More ways of drawing were measured and are there to try, switched off because they did not help at this
budget (notes/06 section 5.9): the whole skull as the head (SKULL_SHARE), four more hair styles
(doodle_hair.HAIR_SHARE) and two more noses (doodle_parts.NOSE_SHARE). Bump DOODLE_VERSION with them.

    from sketch2real.doodle import doodle_bank
    bank, found = doodle_bank(photos, variants=4, seed=0)   # uint8 [4, N, 1, 64, 64], bool [N]
    # faces without landmarks (found False) are blank paper in `bank`: keep their edge sketches
    sketches = mix_doodles(sketch_bank(...), bank, found, share=0.5)   # half doodles, where there are some

    python -m sketch2real.doodle --demo out.png      # held-out photos and their doodles, a row per style
"""
import argparse
import hashlib
import sys
from pathlib import Path

import numpy as np
import torch
from PIL import Image, ImageDraw

from ganlab import cli
from ganlab.data import DataError
# The parts of a face and the curves they are drawn with live in doodle_parts; the face-mesh indices and
# SmoothWarp are imported here too, so `from sketch2real.doodle import EYES, SmoothWarp` keeps working.
from sketch2real.doodle_parts import (BROWS, CHIN, EARS, EYES, FACE_OVAL, FOREHEAD, JAW,  # noqa: F401
                                      LIPS_INNER, LIPS_OUTER, MOUTH_CORNERS, NOSE_BOTTOM, NOSE_BRIDGE,
                                      NOSE_TIP, NOSE_WINGS, SmoothWarp, brows, ears, ellipse, eye_shape, eyes,
                                      head, mouth, neck, nose, part_of, resample, spline, wobble)
from sketch2real.doodle_hair import HAIR_STYLES, hair, skull  # noqa: F401
from sketch2real.landmarks import (CACHE_DIR, COMMAND, FACE_SIZE, LandmarkError, cache_path, find_source,
                                   pixel_keys)

OVERSAMPLE = 4      # draw at 4x, then average down
DOODLE_VERSION = 1  # bump when the drawing changes, so cached doodle banks are made again
STYLES = ("clean", "wobbly", "sparse", "heavy", "exaggerated")
STYLE_SHARE = (0.25, 0.25, 0.2, 0.15, 0.15)  # how often each is drawn when the style is random
DRAW_STEP = 0.8     # strokes are drawn as straight pieces this long (pixels of the 64x64 face): shorter
                    # pieces make PIL's wide lines ragged
SKULL_SHARE = 0.0   # how often the head outline goes over the whole skull (sketch2real.doodle_hair.skull);
                    # 0.4 was measured and made both kinds of doodle worse (notes/06 section 5.9)
FEATURE_PEN = 2.2   # the widest line for eyes, brows, nose and mouth, in pixels of a 64x64 doodle

STYLE_RULES = {
    # pen: width in output pixels (at 64x64); wobble: sideways tremor in pixels; warp: size of the smooth
    # displacement in pixels; keep: the chance of drawing each optional part; gap: the largest share of a
    # loop left open; trim: the largest share cut off an open stroke.
    "clean": dict(pen=(1.0, 1.6), wobble=(0.0, 0.12), warp=(0.8, 1.8),
                  keep=dict(head=1.0, brows=0.85, nose=0.9, mouth=1.0, hair=0.85, ears=0.3, neck=0.45),
                  gap=0.08, trim=0.05),
    "wobbly": dict(pen=(1.0, 2.0), wobble=(0.3, 0.7), warp=(1.5, 2.8),
                   keep=dict(head=1.0, brows=0.8, nose=0.85, mouth=1.0, hair=0.8, ears=0.3, neck=0.4),
                   gap=0.2, trim=0.1, overshoot=0.12),
    "sparse": dict(pen=(0.8, 1.3), wobble=(0.0, 0.3), warp=(1.0, 2.5),
                   keep=dict(head=0.6, brows=0.35, nose=0.5, mouth=0.85, hair=0.3, ears=0.05, neck=0.1),
                   gap=0.4, trim=0.3),
    "heavy": dict(pen=(2.0, 3.2), wobble=(0.05, 0.35), warp=(1.0, 2.2),
                  keep=dict(head=1.0, brows=0.8, nose=0.8, mouth=1.0, hair=0.8, ears=0.25, neck=0.35),
                  gap=0.1, trim=0.05),
    "exaggerated": dict(pen=(1.0, 2.0), wobble=(0.0, 0.4), warp=(1.0, 2.2),
                        keep=dict(head=1.0, brows=0.8, nose=0.75, mouth=1.0, hair=0.75, ears=0.35, neck=0.4),
                        gap=0.1, trim=0.05),
}


# --------------------------------------------------------------------------------------------------
# One doodle


def _draw(strokes: list, pen: float, size, source_size: float) -> np.ndarray:
    """Render strokes (in pixels of a face `source_size` wide) at OVERSAMPLE x `size` (S for a square, or
    (H, W)), averaged down to uint8 [H, W]. `pen` is in output pixels; a stroke's width factor multiplies
    it, and a negative factor marks a small feature (eye, nose, mouth, brow), whose width is capped at
    FEATURE_PEN x W / 64 so that a heavy pen does not turn an eye or a mouth into a blob."""
    height, width = (size, size) if np.isscalar(size) else size
    k = width * OVERSAMPLE / source_size
    image = Image.new("L", (width * OVERSAMPLE, height * OVERSAMPLE), 255)
    draw = ImageDraw.Draw(image)
    for kind, a, b in strokes:
        if kind == "dot":
            x, y = np.asarray(a) * k
            r = max(float(b) * k, pen * OVERSAMPLE / 2)
            draw.ellipse((x - r, y - r, x + r, y + r), fill=0)
            continue
        if len(a) == 0:
            continue
        pts = resample(np.asarray(a, dtype=np.float64), DRAW_STEP) * k
        w = pen * abs(b)
        if b < 0:
            w = min(w, FEATURE_PEN * width / FACE_SIZE)
        w = max(1.0, w * OVERSAMPLE)
        ends = [pts[0], pts[-1]]
        if len(pts) > 1:
            # PIL's joint="curve" costs a Python call per point; the curves are dense and smooth, so plain
            # joints are seamless except at real corners, which get a round joint of their own.
            draw.line([tuple(q) for q in pts], fill=0, width=int(round(w)))
            if len(pts) > 2:
                d = np.diff(pts, axis=0)
                turn = (d[:-1] * d[1:]).sum(1) / (np.linalg.norm(d[:-1], axis=1) * np.linalg.norm(d[1:], axis=1) + 1e-9)
                ends += list(pts[1:-1][turn < 0.97])
        r = w / 2
        for x, y in ends:  # round pen ends and corners
            draw.ellipse((x - r, y - r, x + r, y + r), fill=0)
    return np.asarray(image.reduce(OVERSAMPLE), dtype=np.uint8)


def doodle_strokes(points: np.ndarray, silhouette, rng: np.random.Generator, style: str,
                   source_size: float = FACE_SIZE, warp: bool = True) -> tuple[list, float]:
    """The strokes of one doodle and its pen width: (list of strokes, pen in output pixels at 64x64)."""
    rules = STYLE_RULES[style]
    keep = {part: rng.random() < chance for part, chance in rules["keep"].items()}
    if not (keep["head"] or keep["hair"]):
        keep["head"] = rng.random() < 0.5  # a face with no outline at all happens, but rarely
    exaggerate = style == "exaggerated"
    grow_eyes = rng.uniform(1.3, 1.8) if exaggerate else rng.uniform(0.9, 1.12)
    parts = {}
    head_strokes, oval = head(points, rng, style)
    if keep["head"]:
        # People often draw the whole head, over the top of the skull, not the face's outline at the hairline
        whole = SKULL_SHARE > 0 and silhouette is not None and rng.random() < SKULL_SHARE
        parts["head"] = [("line", skull(points, silhouette, rng), 1.0)] if whole else head_strokes
    parts["eyes"] = eyes(points, rng, style, grow_eyes)
    if keep["brows"]:
        eye_height = np.mean([eye_shape(points, e)[4] for e in range(2)])
        lift = (grow_eyes - 1) * 2 * eye_height + (rng.uniform(0.5, 2.0) if exaggerate else rng.uniform(-0.3, 0.6))
        parts["brows"] = brows(points, rng, lift)
    if keep["nose"]:
        parts["nose"] = nose(points, rng, rng.uniform(0.6, 1.3) if exaggerate else rng.uniform(0.9, 1.1))
    if keep["mouth"]:
        parts["mouth"] = mouth(points, rng, rng.uniform(0.8, 1.4) if exaggerate else rng.uniform(0.9, 1.1))
    if keep["hair"]:
        parts["hair"] = hair(points, oval, silhouette, rng)
    if keep["ears"]:
        parts["ears"] = ears(points, oval, rng)
    if keep["neck"]:
        parts["neck"] = neck(points, rng, source_size)
    strokes = []
    tremor = rng.uniform(*rules["wobble"])
    warper = SmoothWarp(rng, source_size, amount=rng.uniform(*rules["warp"])) if warp else None
    for name, part in parts.items():
        nudge = rng.normal(0, 0.4, 2)  # each part sits a little off, independently
        for kind, a, b in part:
            if kind == "line" and name in ("eyes", "brows", "nose", "mouth"):
                b = -b  # a small feature: _draw caps its width
            a = np.asarray(a, dtype=np.float64) + nudge
            if kind == "line":
                closed = len(a) > 2 and np.allclose(a[0], a[-1])
                if closed and rng.random() < 0.6:
                    a = part_of(a, rng.random(), 1 - rng.uniform(0, rules["gap"]))
                elif closed and "overshoot" in rules:  # the pen runs past where the loop closes
                    a = resample(a)
                    a = np.concatenate([a, a[1:max(2, int(len(a) * rng.uniform(0, rules["overshoot"])))]])
                elif not closed and rules["trim"] > 0.06:
                    a = part_of(a, rng.uniform(0, rules["trim"] / 2), 1 - rng.uniform(0, rules["trim"]))
                a = wobble(a, rng, tremor)
            if warper is not None:
                a = warper(a[None])[0] if kind == "dot" else warper(a)
            strokes.append((kind, a, b))
    return strokes, rng.uniform(*rules["pen"])


def landmark_doodles(landmarks, silhouettes=None, generator: torch.Generator | None = None, size: int = FACE_SIZE,
                     style: str | None = None, source_size: float = FACE_SIZE,
                     warp: bool = True) -> tuple[torch.Tensor, torch.Tensor]:
    """Doodles of faces from their landmarks: (uint8 [N, 1, size, size], 255 = paper, 0 = ink; bool [N]).

    `landmarks`: float [N, 468, 2] (or [N, 468, 3]; z is ignored) in pixels of the `source_size` photo,
    a face with no landmarks being all NaN. `silhouettes`: uint8 [N, h, w] head + hair masks (x 255) at
    the photo's size, or None (no hair then). The second result says which faces have landmarks; the
    others come back as blank paper, and a caller keeps their edge sketches. `style`: one of STYLES, or
    None for a random one per face. The randomness comes from `generator` (seeded 0 when None)."""
    points = torch.as_tensor(landmarks).detach().cpu().double().numpy() if not isinstance(landmarks, np.ndarray) \
        else np.asarray(landmarks, dtype=np.float64)
    if points.ndim != 3 or points.shape[1] < 468 or points.shape[2] not in (2, 3):
        raise ValueError(f"landmarks must be [N, 468, 2] (or [N, 468, 3]); got {tuple(points.shape)}")
    if style is not None and style not in STYLES:
        raise ValueError(f"style must be one of {STYLES} or None, not {style!r}")
    points = points[..., :2]
    n = len(points)
    if silhouettes is not None:
        silhouettes = silhouettes.numpy() if isinstance(silhouettes, torch.Tensor) else np.asarray(silhouettes)
        if len(silhouettes) != n:
            raise ValueError(f"{n} landmark sets but {len(silhouettes)} silhouettes")
    generator = generator if generator is not None else torch.Generator().manual_seed(0)
    seed = int(torch.randint(0, 2 ** 62, (1,), generator=generator))
    found = np.isfinite(points).all((1, 2))
    out = np.full((n, 1, size, size), 255, dtype=np.uint8)
    for i, rng in enumerate(np.random.default_rng(seed).spawn(n)):
        if not found[i]:
            continue
        chosen = style or STYLES[rng.choice(len(STYLES), p=STYLE_SHARE)]
        sil = None if silhouettes is None else silhouettes[i]
        strokes, pen = doodle_strokes(points[i], sil, rng, chosen, source_size, warp)
        out[i, 0] = _draw(strokes, pen * size / FACE_SIZE, size, source_size)
    return torch.from_numpy(out), torch.from_numpy(found)


# --------------------------------------------------------------------------------------------------
# The landmark cache and the doodle bank


class LandmarksMissing(DataError):
    """No landmark cache for these faces; the message names the command that makes it."""


def load_landmarks(photos_source=None, cache_dir=CACHE_DIR, path=None) -> dict:
    """The landmark cache of a faces source (the npz, a folder holding it, a folder of images; None: the
    shared faces), written by `python -m sketch2real.landmarks`, or the cache file at `path`:

        points      float32 [M, 468, 2]  x, y in pixels of the 64x64 face; NaN where no face was found
        silhouette  uint8   [M, 64, 64]  head + hair probability x 255
        found       bool    [M]
        key         uint64  [M]          hash of the face's pixels (pixel_keys), to match photos
        index, celeba_id                 the face's position in the source, and its CelebA number
        path        Path                 the cache file

    Raises LandmarksMissing, naming the command to run, when there is no cache."""
    if path is None:
        try:
            source = find_source(photos_source)
        except LandmarkError as e:
            raise DataError(str(e)) from e
        path = cache_path(source, cache_dir)
        where = "" if photos_source is None else f" --data-dir {photos_source}"
        hint = f"{COMMAND}{where}" + ("" if Path(cache_dir) == CACHE_DIR else f" --cache-dir {cache_dir}")
    else:
        path, hint = Path(path), f"{COMMAND} --out {path}"
    if not Path(path).is_file():
        raise LandmarksMissing(f"no facial landmark cache at {path}: the landmark doodles need it. Make it once "
                               f"(mediapipe, in its own environment; a few minutes) with:\n    {hint}\n"
                               "Without it, train on the edge sketches only.")
    try:
        with np.load(path) as d:
            found = d["found"].astype(bool)
            points = d["points"][..., :2].astype(np.float32)
            points[~found] = np.nan
            return {"points": points, "silhouette": d["silhouette"], "found": found, "key": d["key"],
                    "readable": d["readable"] if "readable" in d.files else np.ones_like(found),
                    "index": d["index"], "celeba_id": d["celeba_id"], "path": Path(path)}
    except (OSError, ValueError, KeyError) as e:
        raise LandmarksMissing(f"{path} is not a readable landmark cache ({type(e).__name__}: {e}); make it "
                               f"again with:\n    {hint} --force") from e


def cache_rows(photos, landmarks: dict) -> np.ndarray:
    """Each photo's row in the landmark cache (int [N]), -1 for a photo the cache does not hold."""
    keys = pixel_keys(photos.numpy() if isinstance(photos, torch.Tensor) else photos)
    rows = {int(k): i for i, k in enumerate(landmarks["key"]) if landmarks["readable"][i]}
    return np.array([rows.get(int(k), -1) for k in keys], dtype=np.int64)


def match_landmarks(photos: torch.Tensor, landmarks: dict) -> tuple[np.ndarray, np.ndarray, np.ndarray]:
    """Each photo's row of the landmark cache, found by the hash of its pixels: (points float32 [N, 468, 2],
    NaN where none; silhouettes uint8 [N, 64, 64]; found bool [N])."""
    where = cache_rows(photos, landmarks)
    known = where >= 0
    points = np.full((len(where), *landmarks["points"].shape[1:]), np.nan, dtype=np.float32)
    points[known] = landmarks["points"][where[known]]
    silhouettes = np.zeros((len(where), *landmarks["silhouette"].shape[1:]), dtype=np.uint8)
    silhouettes[known] = landmarks["silhouette"][where[known]]
    found = known & np.isfinite(points).all((1, 2))
    return points, silhouettes, found


def doodle_bank(photos: torch.Tensor, variants: int, seed: int, cache_dir=CACHE_DIR, landmarks_path=None,
                data_dir=None, chunk: int = 256) -> tuple[torch.Tensor, torch.Tensor]:
    """`variants` landmark doodles of every photo (uint8 [N, 3, 64, 64]), like sketch_bank's edge sketches:
    (uint8 [V, N, 1, S, S], 255 = paper; bool [N], which photos have landmarks). Photos without landmarks
    (no face found, or not in the cache) are blank paper in every variant: the caller keeps their edge
    sketches; their count is printed. Cached in `cache_dir` by content (None: made every time).

    The landmarks come from `landmarks_path`, else the cache of `data_dir`'s faces (None: the shared ones)
    in `cache_dir` (or data/cache when cache_dir is None); LandmarksMissing says how to make them."""
    from tqdm import tqdm

    landmarks = load_landmarks(data_dir, cache_dir if cache_dir is not None else CACHE_DIR, landmarks_path)
    points, silhouettes, found = match_landmarks(photos, landmarks)
    n, size = photos.shape[0], photos.shape[-1]
    missing = n - int(found.sum())
    unmatched = int((cache_rows(photos, landmarks) < 0).sum())
    print(f"landmark doodles: {n - missing} of {n} faces have landmarks; {missing} keep their edge sketches"
          + (f" ({unmatched} are not in {landmarks['path'].name}: was it made from other faces?)" if unmatched else ""),
          file=sys.stderr)

    def make():
        generator = torch.Generator().manual_seed(seed)
        bank = torch.empty(variants, n, 1, size, size, dtype=torch.uint8)
        for v in range(variants):
            for start in tqdm(range(0, n, chunk), desc=f"doodles {v + 1}/{variants}", leave=False):
                end = start + chunk
                bank[v, start:end] = landmark_doodles(points[start:end], silhouettes[start:end], generator,
                                                      size=size)[0]
        return bank

    if cache_dir is None:
        return make(), torch.from_numpy(found)
    key = hashlib.sha1(photos.numpy().tobytes())
    key.update(f"v{DOODLE_VERSION} {landmarks['path'].name}".encode())
    path = Path(cache_dir) / f"doodles_faces_{n}x{variants}_s{seed}_{key.hexdigest()[:12]}.npy"
    if path.is_file():
        try:
            bank = np.load(path)
            if bank.shape == (variants, n, 1, size, size):
                return torch.from_numpy(bank), torch.from_numpy(found)
        except (OSError, ValueError):
            pass  # a damaged cache is simply made again
    bank = make()
    path.parent.mkdir(parents=True, exist_ok=True)
    partial = path.with_name(path.stem + ".partial.npy")
    np.save(partial, bank.numpy())
    partial.replace(path)  # atomic: a reader never sees half a bank
    return bank, torch.from_numpy(found)


def mix_doodles(sketches: torch.Tensor, doodles: torch.Tensor, found, share: float,
                generator: torch.Generator | None = None) -> torch.Tensor:
    """A sketch bank (uint8 [V, N, 1, S, S]) with about `share` of its entries swapped for the doodle of the
    same photo and variant, only where the photo has landmarks (`found`, bool [N]); the others keep their
    edge sketches. A new tensor; the choice is random from `generator` (seeded 0 when None)."""
    if sketches.shape != doodles.shape:
        raise ValueError(f"sketches {tuple(sketches.shape)} and doodles {tuple(doodles.shape)} differ in shape")
    if not 0 <= share <= 1:
        raise ValueError(f"share must be in [0, 1], not {share}")
    generator = generator if generator is not None else torch.Generator().manual_seed(0)
    found = torch.as_tensor(found, dtype=torch.bool)
    pick = (torch.rand(sketches.shape[:2], generator=generator) < share) & found[None]
    return torch.where(pick[..., None, None, None], doodles, sketches)


# --------------------------------------------------------------------------------------------------
# The figure


def demo(out: Path, n: int = 8, seed: int = 0, data_dir=None, scale: int = 2, split: str = "test") -> Path:
    """Photos (held-out by default), their doodles in each style, a random-style row, and the doodle laid
    over the photo (to see that it sits on the features)."""
    from sketch2real.data import load_faces
    from sketch2real.sketch import save_labelled_grid

    landmarks = load_landmarks(data_dir)  # first: when it is missing, say so before decoding any faces
    faces = load_faces(split, data_dir)
    points, silhouettes, found = match_landmarks(faces, landmarks)
    chosen = np.flatnonzero(found)[:n]
    faces, points, silhouettes = faces[chosen], points[chosen], silhouettes[chosen]
    rows = [("photo", faces.float() / 255)]
    generator = torch.Generator().manual_seed(seed)
    for style in STYLES:
        rows.append((style, landmark_doodles(points, silhouettes, generator, style=style)[0].float() / 255))
    mixed = landmark_doodles(points, silhouettes, generator)[0].float() / 255
    rows.append(("random style", mixed))
    plain = landmark_doodles(points, silhouettes, generator, style="clean", warp=False)[0].float() / 255
    rows.append(("clean, no warp,\nover the photo", faces.float() / 255 * (0.35 + 0.65 * plain)
                 + (1 - plain) * torch.tensor([1.0, 0.1, 0.1]).view(1, 3, 1, 1) * 0.65))
    size = (faces.shape[-2] * scale, faces.shape[-1] * scale)
    cells = [(label, torch.nn.functional.interpolate(x.expand(-1, 3, -1, -1), size=size, mode="nearest"))
             for label, x in rows]
    return save_labelled_grid(cells, len(chosen), size[0], out, margin=120)


def main(argv=None):
    p = argparse.ArgumentParser(prog="python -m sketch2real.doodle",
                                description="Show landmark doodles of held-out faces, a row per style.")
    p.add_argument("--demo", type=cli.output_file, required=True, metavar="OUT.png", help="where to write the figure")
    p.add_argument("--n", type=cli.positive_int, default=8, help="how many faces (columns)")
    p.add_argument("--seed", type=int, default=0)
    p.add_argument("--split", default="test", choices=["train", "test"])
    p.add_argument("--data-dir", type=cli.existing_path, default=None, help="the faces npz, a folder holding it, or a folder of images")
    args = p.parse_args(argv)
    try:
        print(f"wrote {demo(args.demo, args.n, args.seed, args.data_dir, split=args.split)}")
    except DataError as e:
        print(f"error: {e}", file=sys.stderr)
        return 2
    return 0


if __name__ == "__main__":
    sys.exit(main())
