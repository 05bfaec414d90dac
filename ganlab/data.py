"""Finding datasets and turning them into tensors.

Small image datasets fit in memory many times over, so every project loads its data once as a uint8 tensor
and keeps it on the training device: a batch is then one indexing operation instead of thousands of
per-sample Python calls through a DataLoader.
"""
import struct
from pathlib import Path

import numpy as np
import torch

from ganlab import distributed, images
from ganlab.images import REPO_ROOT, DataError  # owned by the decoding layer; callers import them from here too

# The owner's checkout keeps the real datasets beside the repository; users pass --data-dir instead.
SHARED_DATA = REPO_ROOT.parent / "shared" / "data"


def resolve_data_file(data_dir, subdir: str, filename: str) -> Path | None:
    """Where `filename` lives: --data-dir (a folder or the file itself), else ../shared/data/<subdir>.

    Returns None when no candidate exists, so the caller can fall back to a download."""
    if data_dir is not None:
        p = Path(data_dir)
        if p.is_file():
            return p
        for candidate in (p / filename, p / subdir / filename):
            if candidate.is_file():
                return candidate
        raise DataError(f"--data-dir {p} holds no {filename} (looked in {p} and {p / subdir})")
    shared = SHARED_DATA / subdir / filename
    return shared if shared.is_file() else None


def _load_npz(path: Path, keys: list[str]) -> dict:
    try:
        with np.load(path) as d:
            missing = [k for k in keys if k not in d.files]
            if missing:
                raise DataError(f"{path} lacks the arrays {missing} (it has {d.files})")
            return {k: d[k] for k in keys}
    except DataError:
        raise
    except Exception as e:
        raise DataError(f"{path} is not a readable .npz file ({type(e).__name__}: {e})") from e


def load_mnist(split: str = "train", data_dir=None, download_root=None) -> tuple[torch.Tensor, torch.Tensor]:
    """MNIST as (images uint8 [N, 28, 28], labels int64 [N]).

    Order of preference: --data-dir (mnist.npz with x_train/y_train/x_test/y_test), ../shared/data/mnist,
    then torchvision's download into `download_root` (default: ./data)."""
    if split not in ("train", "test"):
        raise ValueError(f"split must be 'train' or 'test', not {split!r}")
    path = resolve_data_file(data_dir, "mnist", "mnist.npz")
    if path is not None:
        arrays = _load_npz(path, [f"x_{split}", f"y_{split}"])
        x, y = arrays[f"x_{split}"], arrays[f"y_{split}"]
    else:
        x, y = _download_mnist(split, Path(download_root or REPO_ROOT / "data"))
    x, y = np.asarray(x), np.asarray(y)
    if x.ndim != 3 or x.shape[1:] != (28, 28) or x.dtype != np.uint8:
        raise DataError(f"MNIST images must be uint8 of shape [N, 28, 28]; got {x.dtype} {x.shape}")
    if len(x) == 0:
        raise DataError("the MNIST file holds no images")
    if len(y) != len(x):
        raise DataError(f"MNIST has {len(x)} images but {len(y)} labels")
    if y.min() < 0 or y.max() > 9:
        raise DataError(f"MNIST labels must be 0..9; found {int(y.min())}..{int(y.max())}")
    return torch.from_numpy(x.copy()), torch.from_numpy(y.astype(np.int64))


def _download_mnist(split: str, root: Path):
    import torchvision

    try:
        ds = torchvision.datasets.MNIST(root, train=(split == "train"), download=True)
    except Exception as e:
        raise DataError(
            "MNIST was not found and could not be downloaded "
            f"({type(e).__name__}: {str(e)[:120]}). Pass --data-dir pointing at a folder with mnist.npz, "
            "or run once with internet access so torchvision can download it."
        ) from e
    return ds.data.numpy(), ds.targets.numpy()


def write_mnist_idx(root: Path, train: tuple, test: tuple) -> Path:
    """Write (images, labels) arrays as the original idx files, so torchvision.datasets.MNIST(root) reads
    them offline (it wants both splits present). The benchmark's textbook loop reads MNIST this way."""
    raw = Path(root) / "MNIST" / "raw"
    raw.mkdir(parents=True, exist_ok=True)
    for prefix, (images, labels) in (("train", train), ("t10k", test)):
        n = len(images)
        with open(raw / f"{prefix}-images-idx3-ubyte", "wb") as f:
            f.write(struct.pack(">IIII", 2051, n, 28, 28))
            f.write(np.ascontiguousarray(images, dtype=np.uint8).tobytes())
        with open(raw / f"{prefix}-labels-idx1-ubyte", "wb") as f:
            f.write(struct.pack(">II", 2049, n))
            f.write(np.ascontiguousarray(labels, dtype=np.uint8).tobytes())
    return Path(root)


CIFAR10_CLASSES = ("airplane", "automobile", "bird", "cat", "deer", "dog", "frog", "horse", "ship", "truck")


def load_cifar10(split: str = "train", data_dir=None, download_root=None,
                 cache_dir="default") -> tuple[torch.Tensor, torch.Tensor]:
    """CIFAR-10 as (images uint8 [N, 3, 32, 32], labels int64 [N]).

    Order of preference: --data-dir (cifar10_jpg.npz, a folder holding it, or torchvision's
    cifar-10-batches-py folder or its parent), ../shared/data/cifar10, then torchvision's download into
    `download_root` (default: ./data). The JPEG-packed file is decoded once and cached in data/cache."""
    if split not in ("train", "test"):
        raise ValueError(f"split must be 'train' or 'test', not {split!r}")
    if data_dir is not None and not Path(data_dir).expanduser().exists():
        raise DataError(f"--data-dir {data_dir} does not exist")
    tv_root = _torchvision_cifar_root(data_dir)
    if tv_root is not None:
        x, y = _torchvision_cifar(split, tv_root, download=False)
    else:
        path = resolve_data_file(data_dir, "cifar10", "cifar10_jpg.npz")
        if path is not None:
            x, y = _decode_cifar_npz(path, split, cache_dir)
        else:
            x, y = _torchvision_cifar(split, Path(download_root or REPO_ROOT / "data"), download=True)
    if x.ndim != 4 or x.shape[1:] != (3, 32, 32) or x.dtype != np.uint8:
        raise DataError(f"CIFAR-10 images must be uint8 of shape [N, 3, 32, 32]; got {x.dtype} {x.shape}")
    if len(x) == 0 or len(y) != len(x):
        raise DataError(f"CIFAR-10 {split} has {len(x)} images and {len(y)} labels")
    if y.min() < 0 or y.max() > 9:
        raise DataError(f"CIFAR-10 labels must be 0..9; found {int(y.min())}..{int(y.max())}")
    return torch.from_numpy(np.ascontiguousarray(x)), torch.from_numpy(y.astype(np.int64))


def _torchvision_cifar_root(data_dir) -> Path | None:
    """The root torchvision.datasets.CIFAR10 wants, when --data-dir is (or holds) cifar-10-batches-py."""
    if data_dir is None:
        return None
    p = Path(data_dir).expanduser()
    if p.name == "cifar-10-batches-py" and p.is_dir():
        return p.parent
    return p if (p / "cifar-10-batches-py").is_dir() else None


def _decode_cifar_npz(path: Path, split: str, cache_dir):
    import io

    def decode():
        d = _load_npz(path, [f"{split}_jpg", f"{split}_offsets", f"y_{split}"])
        blobs = images.npz_blobs(d[f"{split}_jpg"], d[f"{split}_offsets"], path, f"{split}_jpg")
        pixels, ok, skipped = images.decode_many(((f"{split} image {i}", io.BytesIO(v)) for i, v in blobs),
                                                 32, "RGB", f"{split} images in {path.name}")
        labels = np.asarray(d[f"y_{split}"])
        if len(labels) != len(d[f"{split}_offsets"]) - 1:
            raise DataError(f"{path}: {len(labels)} labels for {len(d[f'{split}_offsets']) - 1} {split} images")
        return {"images": pixels, "labels": labels[ok], "skipped": np.array(skipped, dtype=str)}

    arrays = images.cached(path, f"cifar10_{split}", decode, images.CACHE_DIR if cache_dir == "default" else cache_dir)
    images.warn_skipped(arrays["skipped"], path)
    return arrays["images"], arrays["labels"]


def _torchvision_cifar(split: str, root: Path, download: bool):
    import torchvision

    try:
        ds = torchvision.datasets.CIFAR10(root, train=(split == "train"), download=download)
    except Exception as e:
        raise DataError(
            f"CIFAR-10 was not found and could not be {'downloaded' if download else 'read from ' + str(root)} "
            f"({type(e).__name__}: {str(e)[:120]}). Pass --data-dir pointing at cifar10_jpg.npz or torchvision's "
            "cifar-10-batches-py folder, or run once with internet access so torchvision can download it."
        ) from e
    return ds.data.transpose(0, 3, 1, 2), np.asarray(ds.targets)


def to_unit_range(images_uint8: torch.Tensor) -> torch.Tensor:
    """uint8 [0, 255] -> float [-1, 1], the range of the generator's tanh output."""
    return images_uint8.float().div_(127.5).sub_(1.0)


class DeviceBatches:
    """The whole dataset as one tensor on the device, served as shuffled mini-batches.

    The shuffle of epoch e depends only on (seed, e), so a resumed run picks up the exact batch sequence
    without storing the permutation in the checkpoint."""

    def __init__(self, images: torch.Tensor, labels: torch.Tensor, batch_size: int, device, seed: int = 0):
        if len(images) < batch_size:
            raise DataError(f"the dataset has {len(images)} images, fewer than one batch of {batch_size}; "
                            "lower --batch-size or add data")
        if images.ndim == 3:  # [N, H, W] -> [N, 1, H, W]
            images = images.unsqueeze(1)
        self.images = images.to(device)
        self.labels = labels.to(device)
        self.batch_size = batch_size
        self.seed = seed
        self.steps_per_epoch = len(images) // batch_size  # the ragged last batch is dropped
        self._epoch, self._perm = None, None

    def batch(self, step: int) -> tuple[torch.Tensor, torch.Tensor]:
        """The mini-batch for global training step `step` (images in [-1, 1], labels); under torchrun, this
        rank's rows of it (`batch_size` is the global batch)."""
        epoch, i = divmod(step, self.steps_per_epoch)
        if epoch != self._epoch:
            g = torch.Generator().manual_seed(self.seed * 100_003 + epoch)
            self._perm = torch.randperm(len(self.images), generator=g).to(self.images.device)
            self._epoch = epoch
        idx = self._perm[i * self.batch_size:(i + 1) * self.batch_size]
        idx = distributed.rows(idx)  # under torchrun: this rank's share of the global batch
        return to_unit_range(self.images[idx]), self.labels[idx]
