"""Body pose keypoints for the person drawings, found once and cached.

The "person" mode of sketch2real turns a drawing of a person (a stick figure, an outline) into a photo. Its
training drawings (sketch2real.person) are drawn over each photo's own body, so the trainer needs to know
where each photo's head, shoulders, elbows, hips, knees and feet are. mediapipe's pose model finds 33 body
keypoints and a person mask; this command runs it on every photo once and writes the result to data/cache/
(git-ignored: it is derived from the dataset and never committed).

Like sketch2real.landmarks it runs in its own environment (mediapipe 0.10.14 needs protobuf < 5), and this
module imports only numpy, PIL, ganlab.images (numpy and PIL too) and, inside PoseDetector, mediapipe:

    bash scripts/setup_landmarks.sh
    .venv-landmarks/bin/python -m sketch2real.pose                   # the shared people npz
    .venv-landmarks/bin/python -m sketch2real.pose --data-dir DIR    # another npz, or a folder of photos

The cache, people_pose_<fingerprint of the source>.npz, holds one row per photo in the source's order (the
npz's order, or the sorted file names of a folder):

    points    float32 [N, 33, 3]   x, y in pixels of the 128x192 picture, and mediapipe's visibility 0..1;
                                   all 0 where no person was found
    found     bool    [N]          a person was found
    mask      uint8   [N, 192, 128] the pose model's person probability x 255 (0 where none was found)
    key       uint64  [N]          a hash of the decoded 128x192 pixels (sketch2real.landmarks.pixel_keys):
                                   how the trainer matches its photos to rows, whatever split it uses
    index     int32   [N]          position in the source
    readable  bool    [N]          the photo could be decoded (an unreadable one is counted, not fatal)
    name      str     [N]          the file name within a folder ('' for the npz)

Photos are decoded with ganlab.images.fit_image, the very function sketch2real.data.load_people uses, so the
keys match the photos the trainer loads. Detection runs on the photo at 256x384 (the shared file's own size;
a folder's photo is centre-cropped to 2:3 as for training), and the coordinates are scaled to 128x192.
mediapipe 0.10.14's wheel holds only the "full" pose model (model_complexity=1; the lite and heavy ones are
downloaded on first use, which does not work offline); it takes about 0.04 s a photo on one CPU core.

A second mode finds the poses in generated pictures, for the PCK score of sketch2real.person.pck:

    .venv-landmarks/bin/python -m sketch2real.pose --images IN.npy --out OUT.npz

IN.npy is uint8 [N, 3, H, W]; OUT.npz gets points float32 [N, 33, 3] (x, y in pixels of H x W, visibility)
and found bool [N]. A picture shorter than 384 pixels is upscaled (bicubic, by a whole factor) before
detection, so that generated 128x192 people are seen at the scale the reference poses were found at.
"""
import argparse
import io
import math
import sys
import time
from pathlib import Path

import numpy as np
from PIL import Image

from ganlab import cli  # the standard library only
from ganlab.images import DataError, fit_image, image_files, npz_blobs
from sketch2real.landmarks import (CACHE_DIR, REPO_ROOT, cache_target, locate_source, pixel_keys,
                                   source_fingerprint, write_atomic)

PEOPLE_SUBDIR, PEOPLE_FILE = "people_ccp", "people_ccp.npz"  # as sketch2real.data (which imports torch)
PEOPLE_SIZE = (192, 128)      # (height, width) of the training photos: the unit of the cached coordinates
DETECT_SIZE = (384, 256)      # (height, width) the pose model looks at
SHARED_PEOPLE = REPO_ROOT.parent / "shared" / "data" / PEOPLE_SUBDIR / PEOPLE_FILE
POINTS = 33                   # mediapipe pose landmarks
MODEL_COMPLEXITY = 1          # "full": the only pose model inside the mediapipe 0.10.14 wheel
CACHE_VERSION = 1             # bump when the cache's contents change, so old caches are not reused
COMMAND = "bash scripts/setup_landmarks.sh && .venv-landmarks/bin/python -m sketch2real.pose"


# --------------------------------------------------------------------------------------------------
# Finding and decoding the photos


def find_source(data_dir=None) -> Path:
    """The people npz or image folder: --data-dir (the npz, a folder holding it, or a folder of photos),
    else the shared npz beside the repository (sketch2real.landmarks.locate_source)."""
    return locate_source(data_dir, SHARED_PEOPLE, PEOPLE_SUBDIR, DataError)


def decode_photo(data) -> tuple[np.ndarray, np.ndarray]:
    """Image bytes (a file object) or a path -> (uint8 [3, 192, 128] exactly as load_people gives it,
    uint8 [384, 256, 3] for the detector). Raises on a broken file."""
    with Image.open(data) as image:
        image.load()
        small = fit_image(image, PEOPLE_SIZE, "RGB")
        big = fit_image(image, DETECT_SIZE, "RGB").transpose(1, 2, 0)
    return small, np.ascontiguousarray(big)


def photos_in(source: Path):
    """(count, iterator of (index, name, (small, big) as decode_photo gives, or None when unreadable))."""
    if source.is_dir():
        files = image_files(source)

        def folder():
            for i, f in enumerate(files):
                name = f.relative_to(source).as_posix()
                try:
                    yield i, name, decode_photo(f)
                except Exception:  # PIL raises many kinds for a broken file; it is counted, not fatal
                    yield i, name, None
        return len(files), folder()
    try:
        with np.load(source) as d:
            jpg, offsets = d["photo_jpg"], d["photo_offsets"]
    except Exception as e:
        raise DataError(f"{source} is not a people npz with 'photo_jpg' and 'photo_offsets' arrays "
                        f"({type(e).__name__}: {e}); this command reads that npz or a folder of photos") from e

    def packed():  # npz_blobs checks the offsets (a DataError) as the first photo is read
        for i, blob in npz_blobs(jpg, offsets, source, "photo_jpg"):
            try:
                yield i, "", decode_photo(io.BytesIO(blob))
            except Exception:  # a broken JPEG is counted, not fatal
                yield i, "", None
    return len(offsets) - 1, packed()


def cache_path(source: Path, cache_dir=CACHE_DIR) -> Path:
    header = f"pose v{CACHE_VERSION} {POINTS} {MODEL_COMPLEXITY} {PEOPLE_SIZE} {DETECT_SIZE}\n"
    return Path(cache_dir) / f"people_pose_{source_fingerprint(source, header)}.npz"


# --------------------------------------------------------------------------------------------------
# Detection


class PoseDetector:
    """mediapipe's pose model (static images, with its person segmentation), one picture at a time."""

    def __init__(self, min_confidence: float = 0.5, segmentation: bool = True):
        import os
        import warnings

        os.environ.setdefault("GLOG_minloglevel", "2")  # mediapipe's C++ logs a few lines per model otherwise
        os.environ.setdefault("TF_CPP_MIN_LOG_LEVEL", "2")
        warnings.filterwarnings("ignore", message="SymbolDatabase.GetPrototype", category=UserWarning)
        import mediapipe as mp  # only here: the rest of this module (and sketch2real.person) runs without it

        self.pose = mp.solutions.pose.Pose(static_image_mode=True, model_complexity=MODEL_COMPLEXITY,
                                           enable_segmentation=segmentation,
                                           min_detection_confidence=min_confidence)

    def __call__(self, rgb: np.ndarray, out_size: tuple[int, int]) -> tuple[np.ndarray | None, np.ndarray | None]:
        """uint8 [h, w, 3] -> (float32 [33, 3]: x, y in pixels of an out_size = (H, W) picture of the same
        view, and visibility; or None when no person is found) and the person mask, uint8 [H, W] (or None)."""
        result = self.pose.process(np.ascontiguousarray(rgb))
        if result.pose_landmarks is None:
            return None, None
        height, width = out_size
        marks = result.pose_landmarks.landmark
        # normalised 0..1 across the picture -> pixels (pixel i spans i..i+1, as the drawings use)
        points = np.array([(p.x * width, p.y * height, p.visibility) for p in marks[:POINTS]], dtype=np.float32)
        mask = None
        if result.segmentation_mask is not None:
            probability = Image.fromarray(np.asarray(result.segmentation_mask, dtype=np.float32))  # mode F
            small = np.asarray(probability.resize((width, height), Image.Resampling.BOX), dtype=np.float32)
            mask = (small.clip(0, 1) * 255).round().astype(np.uint8)
        return points, mask

    def close(self):
        self.pose.close()


def find_poses(source: Path, limit: int | None = None, progress: bool = True) -> dict:
    """Run the detector on every photo of `source` (the first `limit` with limit): the cache's arrays."""
    from tqdm import tqdm

    total, photos = photos_in(source)
    n = total if limit is None else min(limit, total)
    arrays = {"points": np.zeros((n, POINTS, 3), np.float32), "found": np.zeros(n, bool),
              "mask": np.zeros((n, *PEOPLE_SIZE), np.uint8), "key": np.zeros(n, np.uint64),
              "index": np.arange(n, dtype=np.int32), "readable": np.zeros(n, bool)}
    names = [""] * n
    detector = PoseDetector()
    try:
        bar = tqdm(photos, total=n, desc="poses", unit="photo", disable=not progress, mininterval=2)
        for i, name, decoded in bar:
            if i >= n:
                break
            names[i] = name
            if decoded is None:
                continue
            small, big = decoded
            arrays["readable"][i] = True
            arrays["key"][i] = pixel_keys(small[None])[0]
            points, mask = detector(big, PEOPLE_SIZE)
            if points is not None:
                arrays["points"][i], arrays["found"][i] = points, True
                if mask is not None:
                    arrays["mask"][i] = mask
            bar.set_postfix(no_person=int(arrays["readable"][:i + 1].sum() - arrays["found"][:i + 1].sum()),
                            refresh=False)
    finally:
        detector.close()
    arrays["name"] = np.array(names, dtype=str)
    arrays["source"] = np.array(str(source))
    arrays["version"] = np.array(CACHE_VERSION)
    arrays["model_complexity"] = np.array(MODEL_COMPLEXITY)
    return arrays


def read_images(path: Path) -> np.ndarray:
    """The generated pictures of --images: uint8 [N, 3, H, W], or a DataError saying what is wrong."""
    try:
        images = np.load(path, mmap_mode="r")
    except Exception as e:
        raise DataError(f"--images {path} is not a readable .npy file ({type(e).__name__}: {e})") from e
    if images.dtype != np.uint8 or images.ndim != 4 or images.shape[1] != 3 or images.shape[0] == 0:
        raise DataError(f"--images must hold uint8 [N, 3, H, W] pictures (N > 0); {path} holds "
                        f"{images.dtype} {tuple(images.shape)}")
    return images


def poses_of_images(images: np.ndarray, progress: bool = True) -> dict:
    """points float32 [N, 33, 3] (pixels of the pictures' H x W, visibility) and found bool [N] for
    uint8 [N, 3, H, W] pictures."""
    from tqdm import tqdm

    n, _, height, width = images.shape
    factor = max(1, math.ceil(DETECT_SIZE[0] / height))
    points, found = np.zeros((n, POINTS, 3), np.float32), np.zeros(n, bool)
    detector = PoseDetector(segmentation=False)
    try:
        for i in tqdm(range(n), desc="poses", unit="picture", disable=not progress, mininterval=2):
            picture = Image.fromarray(np.ascontiguousarray(images[i].transpose(1, 2, 0)))
            if factor > 1:
                picture = picture.resize((width * factor, height * factor), Image.Resampling.BICUBIC)
            p, _ = detector(np.asarray(picture), (height, width))
            if p is not None:
                points[i], found[i] = p, True
    finally:
        detector.close()
    return {"points": points, "found": found, "size": np.array([height, width], np.int32)}


def main(argv=None):
    p = argparse.ArgumentParser(prog="python -m sketch2real.pose", description=(
        "Find 33 body keypoints and a person mask for every people photo (mediapipe pose, in .venv-landmarks: "
        "bash scripts/setup_landmarks.sh) and cache them in data/cache/ for the person drawings; or, with "
        "--images, find the poses in generated pictures (for PCK)."))
    p.add_argument("--data-dir", type=cli.existing_path, default=None,
                   help="the people npz, a folder holding it, or a folder of photos (default: ../shared/data)")
    p.add_argument("--images", type=cli.existing_file, default=None, metavar="IN.npy",
                   help="instead: uint8 [N, 3, H, W] pictures to find poses in (needs --out)")
    p.add_argument("--out", type=cli.output_file, default=None,
                   help="where to write (default: data/cache/people_pose_<fingerprint>.npz, where the trainer looks)")
    p.add_argument("--cache-dir", type=Path, default=CACHE_DIR, help="the default --out's folder")
    p.add_argument("--limit", type=cli.positive_int, default=None,
                   help="only the first N photos (a trial run; without --out it is written beside the full "
                        "cache's name with a _first<N> suffix, which the trainer does not read)")
    p.add_argument("--force", action="store_true", help="run again even when the cache exists")
    p.add_argument("--quiet", action="store_true", help="no progress bar")
    args = p.parse_args(argv)
    start = time.time()
    try:
        if args.images is not None:
            if args.out is None:
                raise DataError("--images needs --out OUT.npz, where the poses are written")
            images = read_images(args.images)
            arrays = poses_of_images(images, progress=not args.quiet)
            write_atomic(args.out, arrays)
            print(f"a person found in {int(arrays['found'].sum())} of {len(images)} pictures "
                  f"({time.time() - start:.0f} s); wrote {args.out}")
            return 0
        source = find_source(args.data_dir)
        out = cache_target(args.out, cache_path(source, args.cache_dir), args.limit, args.force)
        if out is None:
            return 0
        kind = "folder of photos" if source.is_dir() else "npz"
        print(f"finding poses in {source} ({kind}); writing {out}")
        arrays = find_poses(source, args.limit, progress=not args.quiet)
    except DataError as e:
        print(f"error: {e}", file=sys.stderr)
        return 2
    write_atomic(out, arrays)
    n, readable, found = len(arrays["found"]), int(arrays["readable"].sum()), int(arrays["found"].sum())
    missed = np.flatnonzero(arrays["readable"] & ~arrays["found"])
    listed = ", ".join(str(i) for i in missed[:20]) + (", ..." if len(missed) > 20 else "")
    print(f"{found} of {n} photos have a pose; no person found in {readable - found}"
          + (f" (photos {listed})" if len(missed) else "")
          + (f"; {n - readable} unreadable" if readable < n else "")
          + f" ({time.time() - start:.0f} s); wrote {out}")
    return 0


if __name__ == "__main__":
    sys.exit(main())
