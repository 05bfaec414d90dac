"""Facial landmarks for the landmark-doodle training sketches, found once and cached.

A person's doodle of a face follows the face's *structure* (head outline, eyes, brows, nose, mouth, hair),
not its edges. To draw such doodles on top of each training photo (sketch2real/doodle.py), the trainer
needs to know where that photo's features are. mediapipe's face mesh finds 468 landmarks per face, and its
selfie segmentation a head + hair + shoulders mask; this command runs both on every face once and writes
them to data/cache/ (git-ignored: landmarks are derived from the dataset and are never committed).

mediapipe 0.10.14 needs protobuf < 5 and this project's onnx needs protobuf >= 6, so it lives in its own
environment, and this module imports only numpy, PIL and (inside `detect`) mediapipe — never torch:

    bash scripts/setup_landmarks.sh
    .venv-landmarks/bin/python -m sketch2real.landmarks                  # the shared faces npz
    .venv-landmarks/bin/python -m sketch2real.landmarks --data-dir DIR   # another npz, or a folder of images

The cache, face_landmarks_<fingerprint of the source>.npz, holds one row per face in the source's order
(the npz's order, or the sorted file names of a folder):

    points      float16 [N, 468, 3]  x, y (and mediapipe's relative depth z) in pixels of the 64x64 face;
                                     0 where no face was found
    found       bool    [N]          the face mesh found a face
    silhouette  uint8   [N, 64, 64]  the selfie segmentation's person probability x 255 (head, hair, neck)
    key         uint64  [N]          a hash of the decoded 64x64 pixels (pixel_keys): how the trainer matches
                                     its photos to rows, whatever split or subset it uses
    index       int32   [N]          position in the source
    celeba_id   int32   [N]          CelebA's image number (-1 for a folder)
    name        str     [N]          the file name within a folder ('' for the npz)

Faces are decoded exactly as sketch2real.data decodes them (same PIL conversion, centre crop and resize),
so the keys match the photos the trainer loads. Each face is upscaled to 256x256 (bicubic) before
detection: the face mesh finds almost no faces at 64x64.
"""
import argparse
import hashlib
import io
import sys
import time
from pathlib import Path

import numpy as np
from PIL import Image, ImageOps

REPO_ROOT = Path(__file__).resolve().parent.parent
CACHE_DIR = REPO_ROOT / "data" / "cache"
SHARED_FACES = REPO_ROOT.parent / "shared" / "data" / "faces_celeba" / "faces_64_jpg.npz"
FACES_FILE, FACES_SUBDIR = "faces_64_jpg.npz", "faces_celeba"
FACE_SIZE = 64            # the faces' size, and the unit of the cached coordinates
DETECT_SIZE = 256         # faces are upscaled to this before detection
POINTS = 468              # mediapipe face mesh landmarks (without the iris refinement)
CACHE_VERSION = 1         # bump when the cache's contents change, so old caches are not reused
IMAGE_SUFFIXES = {".jpg", ".jpeg", ".png", ".bmp", ".gif", ".webp"}  # as ganlab.images
COMMAND = "bash scripts/setup_landmarks.sh && .venv-landmarks/bin/python -m sketch2real.landmarks"


class LandmarkError(Exception):
    """The faces to look at are missing or unreadable; the message says what to pass instead."""


# --------------------------------------------------------------------------------------------------
# Finding and decoding the faces (torch-free copies of what sketch2real.data / ganlab.images do)


def locate_source(data_dir, shared: Path, subdir: str, error=None) -> Path:
    """The npz or image folder to read: --data-dir (the npz, a folder holding it, or a folder of images),
    else `shared` beside the repository; `error` (an exception class) says what to pass instead. Mirrors
    sketch2real.data._find_source without importing torch; sketch2real.pose uses it for the people."""
    error = error or LandmarkError
    filename = shared.name
    if data_dir is None:
        if not shared.is_file():
            raise error(f"{filename} was not found in {shared.parent}; pass --data-dir with the {filename} file, "
                        "a folder holding it, or a folder of image files")
        return shared
    path = Path(data_dir).expanduser()
    if not path.exists():
        raise error(f"--data-dir {path} does not exist")
    if path.is_file():
        return path
    for candidate in (path / filename, path / subdir / filename):
        if candidate.is_file():
            return candidate
    return path  # a folder of images


def cache_target(out: Path | None, default: Path, limit: int | None, force: bool) -> Path | None:
    """Where a cache-making run writes: --out, else `default` (with a _first<N> suffix for a trial run on N
    pictures, a name the trainer does not read). None, said on stdout, when that file exists and not `force`."""
    target = out or default
    if out is None and limit is not None:
        target = target.with_name(f"{target.stem}_first{limit}.npz")
    if target.is_file() and not force:
        print(f"{target} exists (use --force to run again)")
        return None
    return target


def find_source(data_dir=None) -> Path:
    """The faces npz or image folder (see locate_source)."""
    return locate_source(data_dir, SHARED_FACES, FACES_SUBDIR)


def image_files(folder: Path) -> list[Path]:
    """Image files anywhere under `folder`, sorted, hidden ones left out (as ganlab.images.image_files)."""
    files = sorted(p for p in folder.rglob("*") if p.is_file() and p.suffix.lower() in IMAGE_SUFFIXES
                   and not any(part.startswith(".") for part in p.relative_to(folder).parts))
    if not files:
        raise LandmarkError(f"--data-dir {folder} holds no image files ({', '.join(sorted(IMAGE_SUFFIXES))})")
    return files


def fit_image(image: Image.Image, size: int = FACE_SIZE) -> np.ndarray:
    """A PIL image -> uint8 [3, size, size] RGB, exactly as ganlab.images.fit_image(image, size, 'RGB')."""
    if image.mode in ("I", "I;16", "I;16B", "F"):
        pixels = np.asarray(image, dtype=np.float64)
        image = Image.fromarray((pixels * (255 / max(pixels.max(), 255))).astype(np.uint8))
    if image.mode in ("RGBA", "LA", "PA") or "transparency" in image.info:
        image = Image.alpha_composite(Image.new("RGBA", image.size, "white"), image.convert("RGBA"))
    image = image.convert("RGB")
    if image.size != (size, size):
        image = ImageOps.fit(image, (size, size), Image.Resampling.LANCZOS)
    return np.asarray(image, dtype=np.uint8).transpose(2, 0, 1)


def decode(data) -> np.ndarray:
    with Image.open(data) as image:
        image.load()
        return fit_image(image)


def faces_in(source: Path):
    """(count, iterator of (index, celeba_id, name, uint8 [3, 64, 64] or None when unreadable))."""
    if source.is_dir():
        files = image_files(source)

        def folder():
            for i, f in enumerate(files):
                try:
                    yield i, -1, f.relative_to(source).as_posix(), decode(f)
                except Exception:  # PIL raises many kinds for a broken file; it is counted, not fatal
                    yield i, -1, f.relative_to(source).as_posix(), None
        return len(files), folder()
    try:
        d = np.load(source)
        jpg, offsets = d["jpg"], d["offsets"]
        ids = d["celeba_id"] if "celeba_id" in d.files else np.full(len(offsets) - 1, -1)
    except Exception as e:
        raise LandmarkError(f"{source} is not a faces npz with 'jpg' and 'offsets' arrays "
                            f"({type(e).__name__}: {e}); this command reads that npz or a folder of images") from e
    if (offsets.ndim != 1 or len(offsets) < 2 or offsets[0] < 0 or offsets[-1] > len(jpg)
            or (np.diff(offsets) < 0).any()):
        raise LandmarkError(f"{source}: the offsets do not index its {len(jpg)} bytes of JPEG")

    def packed():
        for i in range(len(offsets) - 1):
            try:
                yield i, int(ids[i]), "", decode(io.BytesIO(memoryview(jpg[offsets[i]:offsets[i + 1]])))
            except Exception:
                yield i, int(ids[i]), "", None
    return len(offsets) - 1, packed()


def pixel_keys(images: np.ndarray) -> np.ndarray:
    """uint8 [N, 3, H, W] (C-order, as the trainer's tensors) -> uint64 [N]: a hash of each picture's pixels,
    which is how a photo finds its row in the cache whatever split, subset or order the caller has."""
    images = np.ascontiguousarray(images, dtype=np.uint8)
    return np.array([int.from_bytes(hashlib.blake2b(im.tobytes(), digest_size=8).digest(), "little")
                     for im in images], dtype=np.uint64)


def source_fingerprint(source: Path, header: str | None = None) -> str:
    """Changes whenever the faces do: the npz's content (sha1), or a folder's file names, sizes and
    modification times. The cache is named after it, so a copy of the npz elsewhere finds the same cache.
    `header` says what the cache holds (another kind of cache, sketch2real.pose's, passes its own)."""
    h = hashlib.sha1((header or f"landmarks v{CACHE_VERSION} {POINTS} {DETECT_SIZE}\n").encode())
    if source.is_dir():
        for f in image_files(source):
            stat = f.stat()
            h.update(f"{f.relative_to(source).as_posix()}:{stat.st_size}:{stat.st_mtime_ns}\n".encode())
    else:
        with open(source, "rb") as f:
            for block in iter(lambda: f.read(1 << 22), b""):
                h.update(block)
    return h.hexdigest()[:16]


def cache_path(source: Path, cache_dir=CACHE_DIR) -> Path:
    return Path(cache_dir) / f"face_landmarks_{source_fingerprint(source)}.npz"


# --------------------------------------------------------------------------------------------------
# Detection


class Detector:
    """mediapipe's face mesh and selfie segmentation, run on one 64x64 face at a time (upscaled)."""

    def __init__(self, min_confidence: float = 0.5):
        import os
        import warnings

        os.environ.setdefault("GLOG_minloglevel", "2")  # mediapipe's C++ logs a few lines per model otherwise
        os.environ.setdefault("TF_CPP_MIN_LOG_LEVEL", "2")
        warnings.filterwarnings("ignore", message="SymbolDatabase.GetPrototype", category=UserWarning)
        import mediapipe as mp  # only here: the rest of this module (and sketch2real.doodle) runs without it

        self.mesh = mp.solutions.face_mesh.FaceMesh(static_image_mode=True, max_num_faces=1,
                                                    refine_landmarks=False,
                                                    min_detection_confidence=min_confidence)
        self.segmentation = mp.solutions.selfie_segmentation.SelfieSegmentation(model_selection=0)

    def __call__(self, face_chw: np.ndarray) -> tuple[np.ndarray | None, np.ndarray]:
        """uint8 [3, 64, 64] -> (float32 [468, 3] in 64-px units or None, uint8 [64, 64] silhouette)."""
        small = Image.fromarray(face_chw.transpose(1, 2, 0))
        big = np.ascontiguousarray(np.asarray(small.resize((DETECT_SIZE, DETECT_SIZE), Image.Resampling.BICUBIC)))
        result = self.mesh.process(big)
        points = None
        if result.multi_face_landmarks:
            marks = result.multi_face_landmarks[0].landmark
            # Normalised 0..1 across the picture (z: depth on the same scale as x) -> pixels of the 64x64 face.
            points = np.array([(p.x, p.y, p.z) for p in marks[:POINTS]], dtype=np.float32) * FACE_SIZE
        mask = self.segmentation.process(big).segmentation_mask  # float [256, 256], person probability
        f = DETECT_SIZE // FACE_SIZE
        mask = np.asarray(mask, dtype=np.float32).reshape(FACE_SIZE, f, FACE_SIZE, f).mean((1, 3))
        return points, (mask.clip(0, 1) * 255).round().astype(np.uint8)

    def close(self):
        self.mesh.close()
        self.segmentation.close()


def find_landmarks(source: Path, limit: int | None = None, progress: bool = True) -> dict:
    """Run the detector on every face of `source` (the first `limit` with limit): the cache's arrays."""
    from tqdm import tqdm

    total, faces = faces_in(source)
    n = total if limit is None else min(limit, total)
    arrays = {"points": np.zeros((n, POINTS, 3), np.float16), "found": np.zeros(n, bool),
              "silhouette": np.zeros((n, FACE_SIZE, FACE_SIZE), np.uint8), "key": np.zeros(n, np.uint64),
              "index": np.arange(n, dtype=np.int32), "celeba_id": np.full(n, -1, np.int32),
              "readable": np.zeros(n, bool)}
    names = [""] * n
    detector = Detector()
    try:
        bar = tqdm(faces, total=n, desc="landmarks", unit="face", disable=not progress, mininterval=2)
        for i, celeba_id, name, face in bar:
            if i >= n:
                break
            arrays["celeba_id"][i], names[i] = celeba_id, name
            if face is None:
                continue
            arrays["readable"][i] = True
            arrays["key"][i] = pixel_keys(face[None])[0]
            points, arrays["silhouette"][i] = detector(face)
            if points is not None:
                arrays["points"][i], arrays["found"][i] = points, True
            bar.set_postfix(no_face=int(arrays["readable"][:i + 1].sum() - arrays["found"][:i + 1].sum()),
                            refresh=False)
    finally:
        detector.close()
    arrays["name"] = np.array(names, dtype=str)
    arrays["source"] = np.array(str(source))
    arrays["version"] = np.array(CACHE_VERSION)
    return arrays


def write_atomic(path: Path, arrays: dict) -> Path:
    """np.savez_compressed to a temporary name, then rename: a reader never sees half a cache."""
    path.parent.mkdir(parents=True, exist_ok=True)
    partial = path.with_name(path.stem + ".partial.npz")
    np.savez_compressed(partial, **arrays)
    partial.replace(path)
    return path


def main(argv=None):
    p = argparse.ArgumentParser(prog="python -m sketch2real.landmarks", description=(
        "Find 468 facial landmarks and a head/hair silhouette for every face (mediapipe, in .venv-landmarks: "
        "bash scripts/setup_landmarks.sh) and cache them in data/cache/ for the landmark-doodle sketches."))
    p.add_argument("--data-dir", default=None,
                   help="the faces npz, a folder holding it, or a folder of images (default: ../shared/data)")
    p.add_argument("--out", type=Path, default=None,
                   help="where to write the cache (default: data/cache/face_landmarks_<fingerprint>.npz, "
                        "where the trainer looks)")
    p.add_argument("--cache-dir", type=Path, default=CACHE_DIR, help="the default --out's folder")
    p.add_argument("--limit", type=int, default=None,
                   help="only the first N faces (a trial run; without --out it is written beside the full "
                        "cache's name with a _first<N> suffix, which the trainer does not read)")
    p.add_argument("--force", action="store_true", help="run again even when the cache exists")
    args = p.parse_args(argv)
    try:
        source = find_source(args.data_dir)
        out = cache_target(args.out, cache_path(source, args.cache_dir), args.limit, args.force)
        if out is None:
            return 0
        kind = "folder of images" if source.is_dir() else "npz"
        print(f"finding landmarks in {source} ({kind}); writing {out}")
        start = time.time()
        arrays = find_landmarks(source, args.limit)
    except LandmarkError as e:
        print(f"error: {e}", file=sys.stderr)
        return 2
    write_atomic(out, arrays)
    n, readable, found = len(arrays["found"]), int(arrays["readable"].sum()), int(arrays["found"].sum())
    print(f"{found} of {n} faces have landmarks; no face found in {readable - found}"
          + (f"; {n - readable} unreadable" if readable < n else "")
          + f" ({time.time() - start:.0f} s); wrote {out}")
    return 0


if __name__ == "__main__":
    sys.exit(main())
