import numpy as np
import pytest
import torch
from torchvision import datasets

from ganlab.data import DataError, DeviceBatches, load_mnist, write_mnist_idx


def test_load_mnist_from_npz(tiny_mnist):
    x, y = load_mnist("train", tiny_mnist)
    assert x.shape == (256, 28, 28) and x.dtype == torch.uint8
    assert y.shape == (256,) and y.dtype == torch.int64 and 0 <= y.min() and y.max() <= 9
    x_test, _ = load_mnist("test", tiny_mnist.parent)  # a folder works too
    assert x_test.shape == (64, 28, 28)


def test_missing_file_names_the_folder(tmp_path):
    with pytest.raises(DataError, match="holds no mnist.npz"):
        load_mnist("train", tmp_path)


def test_corrupt_npz_is_reported(tmp_path):
    bad = tmp_path / "mnist.npz"
    bad.write_bytes(b"this is not a zip file at all")
    with pytest.raises(DataError, match="not a readable .npz"):
        load_mnist("train", bad)


def test_npz_without_the_expected_arrays(tmp_path):
    path = tmp_path / "mnist.npz"
    np.savez(path, images=np.zeros((4, 28, 28), np.uint8))
    with pytest.raises(DataError, match="lacks the arrays"):
        load_mnist("train", path)


@pytest.mark.parametrize("x, message", [
    (np.zeros((4, 32, 32), np.uint8), "shape"),
    (np.zeros((4, 28, 28), np.float32), "uint8"),
    (np.zeros((0, 28, 28), np.uint8), "no images"),
])
def test_odd_images_are_rejected(tmp_path, x, message):
    path = tmp_path / "mnist.npz"
    np.savez(path, x_train=x, y_train=np.zeros(len(x), np.uint8))
    with pytest.raises(DataError, match=message):
        load_mnist("train", path)


def test_idx_files_read_back_by_torchvision(tiny_mnist, tmp_path):
    x, y = load_mnist("train", tiny_mnist)
    x_test, y_test = load_mnist("test", tiny_mnist)
    write_mnist_idx(tmp_path, train=(x.numpy(), y.numpy()), test=(x_test.numpy(), y_test.numpy()))
    ds = datasets.MNIST(tmp_path, train=True, download=False)
    assert torch.equal(ds.data, x) and torch.equal(ds.targets, y)
    assert torch.equal(datasets.MNIST(tmp_path, train=False).data, x_test)


def test_device_batches_are_a_reproducible_shuffle(tiny_mnist):
    x, y = load_mnist("train", tiny_mnist)
    a = DeviceBatches(x, y, batch_size=32, device="cpu", seed=3)
    b = DeviceBatches(x, y, batch_size=32, device="cpu", seed=3)
    assert a.steps_per_epoch == 8
    # step 9 straight away equals step 9 after walking there: resume needs exactly this
    for s in range(10):
        a.batch(s)
    xa, ya = a.batch(9)
    xb, yb = b.batch(9)
    assert torch.equal(xa, xb) and torch.equal(ya, yb)
    assert xa.shape == (32, 1, 28, 28) and xa.min() >= -1 and xa.max() <= 1
    # one epoch visits every image exactly once
    seen = torch.cat([a.batch(s)[1] for s in range(8)])
    assert torch.equal(seen.sort().values, y.sort().values)
    # a new epoch is shuffled differently
    assert not torch.equal(a.batch(0)[0], a.batch(8)[0])


def test_dataset_smaller_than_a_batch(tiny_mnist):
    x, y = load_mnist("train", tiny_mnist)
    with pytest.raises(DataError, match="fewer than one batch"):
        DeviceBatches(x[:10], y[:10], batch_size=32, device="cpu")
