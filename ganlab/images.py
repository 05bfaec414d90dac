"""Decoding packed or loose image files into uint8 arrays once, and caching the result.

The shared datasets store pictures as JPEG/PNG bytes, which take seconds to decode. The first load decodes
them all and writes the pixels to data/cache/ (git-ignored); later loads read that file back, and a changed
source (another size or modification time) gets a fresh cache. Used by the CIFAR-10 loader in ganlab.data
and by sketch2real.data.

This module is the bottom layer of the data code: it owns DataError and the repository root, and imports
nothing from ganlab, so ganlab.data can build on it without the two importing each other.
"""
import hashlib
import re
import warnings
from pathlib import Path

import numpy as np
from PIL import Image, ImageOps

REPO_ROOT = Path(__file__).resolve().parent.parent
CACHE_DIR = REPO_ROOT / "data" / "cache"
CACHE_VERSION = 1  # bump when decoding changes, so old caches are not reused
IMAGE_SUFFIXES = {".jpg", ".jpeg", ".png", ".bmp", ".gif", ".webp"}


class DataError(Exception):
    """Data that is missing, empty or not what the loader expects. The message says what to do."""


class DataWarning(UserWarning):
    """Something in the data was skipped; loading went on without it."""


def image_files(folder: Path) -> list[Path]:
    """Image files anywhere under `folder`, sorted; DataError when there are none."""
    files = sorted(p for p in folder.rglob("*") if p.is_file() and p.suffix.lower() in IMAGE_SUFFIXES
                   and not any(part.startswith(".") for part in p.relative_to(folder).parts))
    if not files:
        what = "is empty" if not any(folder.iterdir()) else "holds no image files"
        raise DataError(f"--data-dir {folder} {what}; it should hold the .npz file or images "
                        f"({', '.join(sorted(IMAGE_SUFFIXES))})")
    return files

def fit_image(image: Image.Image, size, mode: str) -> np.ndarray:
    """A PIL image -> uint8 [C, H, W] in `mode` ('RGB' or 'L'); `size` is H = W (a square) or (H, W).

    Odd pictures are converted rather than refused: transparency is laid on white paper, 16-bit grey is
    scaled to 8 bits, and anything of another size is centre-cropped to the H:W shape and resized."""
    height, width = (size, size) if np.isscalar(size) else size
    if image.mode in ("I", "I;16", "I;16B", "F"):
        pixels = np.asarray(image, dtype=np.float64)
        image = Image.fromarray((pixels * (255 / max(pixels.max(), 255))).astype(np.uint8))
    if image.mode in ("RGBA", "LA", "PA") or "transparency" in image.info:
        image = Image.alpha_composite(Image.new("RGBA", image.size, "white"), image.convert("RGBA"))
    image = image.convert(mode)
    if image.size != (width, height):
        image = ImageOps.fit(image, (width, height), Image.Resampling.LANCZOS)
    pixels = np.asarray(image, dtype=np.uint8)
    return pixels[None] if pixels.ndim == 2 else pixels.transpose(2, 0, 1)

def decode_image(data, size: int, mode: str) -> np.ndarray:
    """Image bytes (a file object) or a path -> uint8 [C, size, size]; raises on a broken file."""
    with Image.open(data) as image:
        image.load()  # JPEG/PNG decode lazily; this makes a truncated file fail here, inside the caller's try
        return fit_image(image, size, mode)

def decode_many(items, size: int, mode: str, what: str, decode=decode_image) -> tuple[np.ndarray, np.ndarray, list]:
    """Decode (name, data) pairs: (images [M, C, size, size], positions decoded, names skipped).

    An unreadable picture is skipped, not fatal, as long as some are readable."""
    images, ok, skipped = [], [], []
    for i, (name, data) in enumerate(items):
        try:
            images.append(decode(data, size, mode))
            ok.append(i)
        except Exception as e:  # PIL raises OSError, ValueError, SyntaxError... for broken files
            skipped.append(f"{name} ({type(e).__name__}: {str(e)[:80]})")
    if not images:
        example = f"; the first: {skipped[0]}" if skipped else ""
        raise DataError(f"none of the {len(skipped)} {what} could be read{example}")
    return np.stack(images), np.array(ok, dtype=np.int64), skipped

def npz_blobs(buffer: np.ndarray, offsets: np.ndarray, path: Path, key: str):
    if offsets.ndim != 1 or len(offsets) < 2 or offsets[0] < 0 or offsets[-1] > len(buffer) \
            or (np.diff(offsets) < 0).any():
        raise DataError(f"{path}: the offsets for {key} do not index its {len(buffer)} bytes")
    for i in range(len(offsets) - 1):
        yield i, memoryview(buffer[offsets[i]:offsets[i + 1]])

def warn_skipped(skipped: np.ndarray, source: Path) -> None:
    if len(skipped):
        listed = "; ".join(skipped[:5]) + (f"; and {len(skipped) - 5} more" if len(skipped) > 5 else "")
        warnings.warn(f"skipped {len(skipped)} unreadable image(s) in {source}: {listed}", DataWarning,
                      stacklevel=3)

def fingerprint(source: Path) -> str:
    """Changes whenever the source does: its path plus size and modification time (of every image file,
    for a folder)."""
    source = source.resolve()
    parts = [str(CACHE_VERSION), str(source)]
    files = [source] if source.is_file() else image_files(source)
    for f in files:
        stat = f.stat()
        parts.append(f"{f.relative_to(source) if f != source else ''}:{stat.st_size}:{stat.st_mtime_ns}")
    return hashlib.sha1("\n".join(parts).encode()).hexdigest()[:16]

def cached(source: Path, tag: str, decode, cache_dir) -> dict:
    """decode()'s arrays, from cache_dir when a cache of this very source exists (None: no caching)."""
    if cache_dir is None:
        return decode()
    cache_dir = Path(cache_dir)
    stem = f"{tag}-{source.stem}"
    path = cache_dir / f"{stem}-{fingerprint(source)}.npz"
    if path.is_file():
        try:
            with np.load(path) as d:
                return {k: d[k] for k in d.files}
        except Exception:
            pass  # a damaged cache (say, an interrupted write on another tool) is rebuilt below
    arrays = decode()
    try:
        cache_dir.mkdir(parents=True, exist_ok=True)
        for old in cache_dir.glob(f"{stem}-*.npz"):  # caches of an older version of this source
            if re.fullmatch(rf"{re.escape(stem)}-[0-9a-f]{{16}}(\.partial)?\.npz", old.name):
                old.unlink(missing_ok=True)
        partial = path.with_name(path.stem + ".partial.npz")
        np.savez(partial, **arrays)  # uncompressed: loading it back is a plain read
        partial.replace(path)  # atomic, so a reader never sees half a cache
    except OSError as e:
        warnings.warn(f"could not write the data cache {path} ({e}); the next load decodes again",
                      DataWarning, stacklevel=3)
    return arrays
