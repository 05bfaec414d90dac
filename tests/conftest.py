import os
from pathlib import Path

import pytest
import torch

REPO = Path(__file__).resolve().parent.parent
SHARED_MNIST = REPO.parent / "shared" / "data" / "mnist" / "mnist.npz"


@pytest.fixture(scope="session")
def shared_mnist() -> Path:
    if not SHARED_MNIST.is_file():
        pytest.skip(f"real MNIST not available at {SHARED_MNIST}")
    return SHARED_MNIST


@pytest.fixture(scope="session")
def tiny_mnist(tmp_path_factory) -> Path:
    """A made-up MNIST-shaped npz: blobs whose position depends on the label, 256 train / 64 test."""
    import numpy as np

    rng = np.random.default_rng(0)

    def make(n):
        y = rng.integers(0, 10, n).astype(np.uint8)
        x = np.zeros((n, 28, 28), np.uint8)
        for i, label in enumerate(y):
            r, c = 4 + 2 * (label // 5) * 4, 4 + (label % 5) * 4
            x[i, r:r + 8, c:c + 6] = rng.integers(150, 256)
        return x, y

    x_train, y_train = make(256)
    x_test, y_test = make(64)
    path = tmp_path_factory.mktemp("data") / "mnist.npz"
    np.savez(path, x_train=x_train, y_train=y_train, x_test=x_test, y_test=y_test)
    return path


@pytest.fixture
def every_core():
    """For the tests that only score a committed model: every core (nothing there is compared bit for bit, and
    they are among the suite's slowest); the thread count they found (a module's single thread) afterwards."""
    threads = torch.get_num_threads()
    torch.set_num_threads(os.cpu_count() or 1)
    yield
    torch.set_num_threads(threads)
