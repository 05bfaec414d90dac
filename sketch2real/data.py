"""Faces, shoes/handbags and people as uint8 tensors, decoded once and cached.

The shared datasets store every picture as JPEG/PNG bytes, which take seconds to decode. The first load
decodes them all and writes the pixels to data/cache/ (git-ignored); later loads read that file back, and
a changed source (another size or modification time) gets a fresh cache.

Where the data comes from (like ganlab.data): --data-dir, which may be the .npz itself, a folder holding
it, or a folder of image files; without --data-dir, ../shared/data beside the repository.

    from sketch2real.data import load_faces, load_shoes_bags
    faces = load_faces("train")                                  # uint8 [15223, 3, 64, 64]
    edges, photos = load_shoes_bags("test", kind="shoes")        # uint8 [200, 1, 128, 128], [200, 3, 128, 128]
    people, labels = load_people("test")                         # uint8 [200, 3, 192, 128], [200, 192, 128]
"""
import io
import re
import zlib
from pathlib import Path

import numpy as np
import torch
from PIL import Image, ImageOps

from ganlab.data import SHARED_DATA, DataError, _load_npz, resolve_data_file
from ganlab.images import (CACHE_DIR, cached as _cached, decode_many as _decode_many,
                           fit_image as _fit, image_files as _image_files, npz_blobs as _npz_blobs,
                           warn_skipped as _warn_skipped)

FACES_SUBDIR, FACES_FILE, FACE_SIZE = "faces_celeba", "faces_64_jpg.npz", 64
SHOES_SUBDIR, SHOES_FILE, SHOE_SIZE = "shoes_bags_edges", "shoes_bags_edges_128.npz", 128
FOLDER_TEST_SHARE = 0.05  # an image folder has no held-out list: this share of it becomes the test split
KINDS = {"all": None, "shoes": 0, "bags": 1}
PEOPLE_SUBDIR, PEOPLE_FILE = "people_ccp", "people_ccp.npz"
PEOPLE_SIZE = (192, 128)  # (height, width): full-body photos are 2:3 portraits
NO_LABELS = 255           # the label of every pixel of a photo that has no label map



def _check_split(split: str) -> str:
    if split not in ("train", "test", "val"):
        raise ValueError(f"split must be 'train' or 'test', not {split!r}")
    return "test" if split == "val" else split


# --------------------------------------------------------------------------------------------------
# Public loaders


def load_faces(split: str = "train", data_dir=None, cache_dir=CACHE_DIR) -> torch.Tensor:
    """Aligned faces as uint8 [N, 3, 64, 64].

    From the shared npz, 'test' is its 500 held-out faces (test_index) and 'train' all the others. From a
    folder of images (any size, grey or with alpha: they are converted and centre-cropped to 64x64) a
    fixed 5 % of the files, chosen by a hash of their names, is the test split."""
    source, arrays, chosen = _decoded(data_dir, FACES_SUBDIR, FACES_FILE, "faces", _decode_face_folder,
                                      _decode_face_npz, cache_dir, split)
    if not chosen.any():
        hint = "; an image folder needs at least 2 images to have both splits" if source.is_dir() else ""
        raise DataError(f"{source} gives no {split} faces ({len(chosen)} readable in all){hint}")
    # contiguous whether freshly decoded (HWC transposed) or read from the cache: the same layout, the same
    # convolution kernels, so a run that made the cache and one that read it compute the same bits
    return torch.from_numpy(np.ascontiguousarray(arrays["images"][chosen]))


def load_shoes_bags(split: str = "train", data_dir=None, kind: str = "all",
                    cache_dir=CACHE_DIR) -> tuple[torch.Tensor, torch.Tensor]:
    """Edge maps and their photos: (edges uint8 [N, 1, 128, 128], photos uint8 [N, 3, 128, 128]).

    Edges are black lines on white, as in the file. 'test' is the source's validation split (400 pairs).
    `kind` is 'shoes', 'bags' or 'all'. The shared file carries no label, but its source numbered the
    shoes first in each split (train 1-1000, val 1-200; checked by eye on all 2 400 photos), so the label
    is known for that layout. A folder of pix2pix-style side-by-side pairs (photo and edges in either
    order, told apart automatically) works too; its train/ and val/ (or test/) subfolders are the splits,
    else a fixed 5 % of the files is the test split."""
    if kind not in KINDS:
        raise ValueError(f"kind must be one of {sorted(KINDS)}, not {kind!r}")
    source, arrays, chosen = _decoded(data_dir, SHOES_SUBDIR, SHOES_FILE, "shoes_bags", _decode_pair_folder,
                                      _decode_shoes_npz, cache_dir, split)
    if KINDS[kind] is not None:
        if (arrays["kind"][chosen] < 0).any():
            raise DataError(f"{source} does not tell shoes from handbags (only the shared file's layout "
                            "does); use kind='all', or put the shoes and the bags in separate folders")
        chosen &= arrays["kind"] == KINDS[kind]
    if not chosen.any():
        raise DataError(f"{source} gives no {split} pairs of kind {kind!r}")
    return (torch.from_numpy(np.ascontiguousarray(arrays["edges"][chosen])),
            torch.from_numpy(np.ascontiguousarray(arrays["photos"][chosen])))


def load_people(split: str = "train", data_dir=None, cache_dir=CACHE_DIR) -> tuple[torch.Tensor, torch.Tensor]:
    """Full-body photos of people and their clothing label maps:
    (photos uint8 [N, 3, 192, 128], labels uint8 [N, 192, 128]).

    From the shared npz (Clothing Co-Parsing), 'test' is its 200 held-out photos (test_index) and 'train'
    the others. Each 256x384 photo is downscaled with Lanczos; its label map, where it has one (about half
    do; 59 labels, 0 the background, names in the npz's `labels`), is downscaled by nearest neighbour, and
    a photo without one has the label NO_LABELS (255) everywhere. From a folder of images (any size: each
    is centre-cropped to a 2:3 portrait and resized) every label is 255 and a fixed 5 % of the files,
    chosen by a hash of their names, is the test split."""
    source, arrays, chosen = _decoded(data_dir, PEOPLE_SUBDIR, PEOPLE_FILE, "people", _decode_people_folder,
                                      _decode_people_npz, cache_dir, split)
    if not chosen.any():
        hint = "; an image folder needs at least 2 images to have both splits" if source.is_dir() else ""
        raise DataError(f"{source} gives no {split} photos of people ({len(chosen)} readable in all){hint}")
    return (torch.from_numpy(np.ascontiguousarray(arrays["photos"][chosen])),
            torch.from_numpy(np.ascontiguousarray(arrays["labels"][chosen])))


# --------------------------------------------------------------------------------------------------
# Finding the data


def _decoded(data_dir, subdir: str, filename: str, tag: str, decode_folder, decode_npz, cache_dir, split: str):
    """(source, decoded arrays, mask of the split's rows): the shared first half of both loaders."""
    split = _check_split(split)
    source = _find_source(data_dir, subdir, filename)
    decode = decode_folder if source.is_dir() else decode_npz
    arrays = _cached(source, tag, lambda: decode(source), cache_dir)
    _warn_skipped(arrays["skipped"], source)
    return source, arrays, arrays["is_test"] == (split == "test")


def _find_source(data_dir, subdir: str, filename: str) -> Path:
    """The npz file or image folder to read, or a DataError that says what to pass instead."""
    if data_dir is None:
        found = resolve_data_file(None, subdir, filename)
        if found is None:
            raise DataError(f"{filename} was not found in {SHARED_DATA / subdir}; pass --data-dir with the "
                            f"{filename} file, a folder holding it, or a folder of image files")
        return found
    path = Path(data_dir).expanduser()
    if not path.exists():
        raise DataError(f"--data-dir {path} does not exist")
    if path.is_dir() and not (path / filename).is_file() and not (path / subdir / filename).is_file():
        return path  # a folder of images; _image_files checks that it has some
    return resolve_data_file(path, subdir, filename)


def _test_by_name(names: list[str], share: float = FOLDER_TEST_SHARE) -> np.ndarray:
    """A fixed test split for a folder: files whose name hashes below `share` (so adding files never moves
    an old one between splits), and at least one file when there are two or more."""
    fraction = np.array([zlib.crc32(n.encode()) / 2 ** 32 for n in names])
    if len(names) < 2:
        return np.zeros(len(names), dtype=bool)  # a lone image is for training
    is_test = fraction < share
    if not is_test.any():
        is_test[fraction.argmin()] = True
    return is_test


# --------------------------------------------------------------------------------------------------
# Decoding


def _decode_face_npz(path: Path) -> dict:
    d = _load_npz(path, ["jpg", "offsets", "test_index"])
    n = len(d["offsets"]) - 1
    test_index = d["test_index"].astype(np.int64)
    if ((test_index < 0) | (test_index >= n)).any():
        raise DataError(f"{path}: test_index points outside its {n} faces")
    items = ((f"face {i}", io.BytesIO(v)) for i, v in _npz_blobs(d["jpg"], d["offsets"], path, "jpg"))
    images, ok, skipped = _decode_many(items, FACE_SIZE, "RGB", f"faces in {path.name}")
    return {"images": images, "is_test": np.isin(ok, test_index), "skipped": np.array(skipped, dtype=str)}


def _decode_face_folder(folder: Path) -> dict:
    files = _image_files(folder)
    names = [f.relative_to(folder).as_posix() for f in files]
    images, ok, skipped = _decode_many(zip(names, files), FACE_SIZE, "RGB", f"images in {folder}")
    return {"images": images, "is_test": _test_by_name([names[i] for i in ok]),
            "skipped": np.array(skipped, dtype=str)}


def _shoe_or_bag(names: np.ndarray, is_test: np.ndarray) -> np.ndarray:
    """0 shoe, 1 handbag, -1 unknown. Only the shared file's layout is known: train/1..2000 and
    val/1..400, with the shoes in the first half of each (see load_shoes_bags)."""
    numbers = np.array([int(m.group(1)) if (m := re.search(r"(\d+)_AB\.\w+$", str(n))) else -1
                        for n in names])
    kind = np.full(len(names), -1, dtype=np.int8)
    counts = {False: int((~is_test).sum()), True: int(is_test.sum())}
    if counts != {False: 2000, True: 400}:
        return kind
    for test, count in counts.items():
        part = is_test == test
        if sorted(numbers[part]) != list(range(1, count + 1)):
            return np.full(len(names), -1, dtype=np.int8)
        kind[part] = (numbers[part] > count // 2).astype(np.int8)
    return kind


def _decode_shoes_npz(path: Path) -> dict:
    d = _load_npz(path, ["photo_jpg", "photo_offsets", "edges_png", "edges_offsets", "split", "name"])
    n = len(d["split"])
    if len(d["photo_offsets"]) != n + 1 or len(d["edges_offsets"]) != n + 1 or len(d["name"]) != n:
        raise DataError(f"{path}: split has {n} entries but the photo/edges offsets or names disagree")
    what = f"pairs in {path.name}"
    photo_items = ((f"photo of {d['name'][i]}", io.BytesIO(v))
                   for i, v in _npz_blobs(d["photo_jpg"], d["photo_offsets"], path, "photo_jpg"))
    edge_items = ((f"edges of {d['name'][i]}", io.BytesIO(v))
                  for i, v in _npz_blobs(d["edges_png"], d["edges_offsets"], path, "edges_png"))
    photos, ok_photos, skipped_photos = _decode_many(photo_items, SHOE_SIZE, "RGB", what)
    edges, ok_edges, skipped_edges = _decode_many(edge_items, SHOE_SIZE, "L", what)
    both = np.intersect1d(ok_photos, ok_edges)  # a pair with either half broken is skipped whole
    is_test = d["split"] == 1
    return {"photos": photos[np.isin(ok_photos, both)], "edges": edges[np.isin(ok_edges, both)],
            "is_test": is_test[both], "kind": _shoe_or_bag(d["name"], is_test)[both],
            "skipped": np.array(skipped_photos + skipped_edges, dtype=str)}


def _decode_side_by_side(file: Path, size: int, mode: str) -> np.ndarray:
    """One pix2pix-style pair file -> uint8 [6, size, size]: its left half's RGB, then its right half's."""
    with Image.open(file) as image:
        image.load()
        w, h = image.size
        if w != 2 * h:
            raise ValueError(f"{w}x{h} is not two squares side by side")
        left, right = image.crop((0, 0, h, h)), image.crop((h, 0, w, h))
        return np.concatenate([_fit(left, size, mode), _fit(right, size, mode)])


def _decode_pair_folder(folder: Path) -> dict:
    """Side-by-side pairs (pix2pix's edges2shoes layout): each file is [photo | edges] or [edges | photo]."""
    files = _image_files(folder)
    names = [f.relative_to(folder).as_posix() for f in files]
    pairs, ok, skipped = _decode_many(zip(names, files), SHOE_SIZE, "RGB", f"side-by-side pairs in {folder}",
                                      decode=_decode_side_by_side)
    left, right = pairs[:, :3], pairs[:, 3:]
    # Edge maps are mostly white paper, photos much less so: a vote over the folder decides the order.
    white = (left > 230).all(1).mean((1, 2)) - (right > 230).all(1).mean((1, 2))
    photos, edges = (right, left) if np.median(white) > 0 else (left, right)
    grey = edges.astype(np.float32).transpose(0, 2, 3, 1) @ np.array([0.299, 0.587, 0.114], np.float32)
    ok_names = [names[i] for i in ok]
    top = [name.split("/")[0] if "/" in name else "" for name in ok_names]
    if "train" in top and ("val" in top or "test" in top):  # pix2pix's own train/ and val/ folders
        is_test = np.array([t in ("val", "test") for t in top])
    else:
        is_test = _test_by_name(ok_names)
    return {"photos": np.ascontiguousarray(photos), "edges": grey.round().astype(np.uint8)[:, None],
            "is_test": is_test, "kind": np.full(len(ok), -1, dtype=np.int8),  # no labels in a folder
            "skipped": np.array(skipped, dtype=str)}


def _decode_label_map(data) -> np.ndarray:
    """A label map's PNG bytes -> uint8 [192, 128], nearest neighbour (labels are names, not intensities)."""
    with Image.open(data) as image:
        image.load()
        if image.mode not in ("L", "P"):
            raise ValueError(f"a label map is 8-bit single-channel, not {image.mode}")
        if image.size != PEOPLE_SIZE[::-1]:
            image = ImageOps.fit(image, PEOPLE_SIZE[::-1], Image.Resampling.NEAREST)
        labels = np.asarray(image, dtype=np.uint8)
    if labels.max() == NO_LABELS:
        raise ValueError(f"label {NO_LABELS} is reserved for 'no label map'")
    return labels


def _decode_people_npz(path: Path) -> dict:
    d = _load_npz(path, ["photo_jpg", "photo_offsets", "mask_png", "mask_offsets", "mask_index", "test_index"])
    n = len(d["photo_offsets"]) - 1
    test_index, mask_index = d["test_index"].astype(np.int64), d["mask_index"].astype(np.int64)
    if ((test_index < 0) | (test_index >= n)).any() or ((mask_index < 0) | (mask_index >= n)).any():
        raise DataError(f"{path}: test_index or mask_index points outside its {n} photos")
    if len(d["mask_offsets"]) != len(mask_index) + 1:
        raise DataError(f"{path}: {len(mask_index)} mask_index entries for {len(d['mask_offsets']) - 1} label maps")
    items = ((f"photo {i}", io.BytesIO(v))
             for i, v in _npz_blobs(d["photo_jpg"], d["photo_offsets"], path, "photo_jpg"))
    photos, ok, skipped = _decode_many(items, PEOPLE_SIZE, "RGB", f"photos in {path.name}")
    labels = np.full((n, *PEOPLE_SIZE), NO_LABELS, dtype=np.uint8)
    for k, blob in _npz_blobs(d["mask_png"], d["mask_offsets"], path, "mask_png"):
        try:
            labels[mask_index[k]] = _decode_label_map(io.BytesIO(blob))
        except Exception as e:  # the photo stays, without labels
            skipped.append(f"label map {k}, photo {mask_index[k]} kept without labels ({type(e).__name__}: "
                           f"{str(e)[:80]})")
    return {"photos": photos, "labels": labels[ok], "is_test": np.isin(ok, test_index),
            "skipped": np.array(skipped, dtype=str)}


def _decode_people_folder(folder: Path) -> dict:
    files = _image_files(folder)
    names = [f.relative_to(folder).as_posix() for f in files]
    photos, ok, skipped = _decode_many(zip(names, files), PEOPLE_SIZE, "RGB", f"images in {folder}")
    return {"photos": photos, "labels": np.full((len(ok), *PEOPLE_SIZE), NO_LABELS, dtype=np.uint8),
            "is_test": _test_by_name([names[i] for i in ok]), "skipped": np.array(skipped, dtype=str)}
