import pytest
import torch

from ganlab import checkpoint as ckpt
from mnist_gan.models import Generator


def test_keeps_only_the_newest(tmp_path):
    for step in (10, 20, 30, 40):
        ckpt.save_checkpoint(tmp_path, step, {"project": "p", "step": step}, keep=2)
    assert [p.name for p in ckpt.list_checkpoints(tmp_path)] == ["ckpt_00000030.pt", "ckpt_00000040.pt"]
    assert ckpt.load_checkpoint(ckpt.latest_checkpoint(tmp_path), "p")["step"] == 40
    assert not list(tmp_path.glob("*.tmp")), "temporary files must not be left behind"


def test_a_failed_write_leaves_the_old_file(tmp_path):
    target = tmp_path / "file.bin"
    ckpt.atomic_write(target, lambda f: f.write(b"good"))

    def broken(f):
        f.write(b"half")
        raise OSError("disk full")

    with pytest.raises(OSError):
        ckpt.atomic_write(target, broken)
    assert target.read_bytes() == b"good"
    assert [p.name for p in tmp_path.iterdir()] == ["file.bin"]


def test_checkpoint_of_another_project(tmp_path):
    path = ckpt.save_checkpoint(tmp_path, 1, {"project": "cifar10_gan"})
    with pytest.raises(ckpt.CheckpointError, match="cifar10_gan"):
        ckpt.load_checkpoint(path, "mnist_gan")


def test_truncated_checkpoint(tmp_path):
    path = ckpt.save_checkpoint(tmp_path, 1, {"project": "p", "w": torch.randn(1000)})
    path.write_bytes(path.read_bytes()[:500])
    with pytest.raises(ckpt.CheckpointError, match="could not be read"):
        ckpt.load_checkpoint(path, "p")


def test_pickled_objects_are_refused(tmp_path):
    """weights_only=True: a checkpoint holding arbitrary objects does not load (and runs no code)."""
    path = tmp_path / "ckpt_00000001.pt"
    torch.save({"project": "p", "obj": Generator}, path)
    with pytest.raises(ckpt.CheckpointError):
        ckpt.load_checkpoint(path, "p")


def test_model_mismatch_names_the_setting():
    with pytest.raises(ckpt.CheckpointError, match="width: checkpoint has 64, you asked for 32"):
        ckpt.check_same_model({"width": 64, "z_dim": 8}, {"width": 32, "z_dim": 8}, "x.pt")


def test_release_round_trip_and_wrong_weights(tmp_path):
    g = Generator(z_dim=8, width=8).eval()
    config = {"z_dim": 8, "num_classes": 10, "width": 8, "upsample": "nearest"}
    ckpt.save_release(g, config, tmp_path / "g.safetensors", extra={"note": "test"})
    loaded, meta = ckpt.load_release(tmp_path / "g.safetensors", Generator)
    assert meta["note"] == "test"
    z, y = torch.randn(3, 8), torch.tensor([0, 4, 9])
    torch.testing.assert_close(loaded.eval()(z, y), g(z, y))
    # weights of a wider model under this config: a clear error, not a crash deep inside torch
    ckpt.save_release(Generator(z_dim=8, width=16), config, tmp_path / "wide.safetensors")
    (tmp_path / "wide.json").write_text((tmp_path / "g.json").read_text())
    with pytest.raises(ckpt.CheckpointError, match="does not fit"):
        ckpt.load_release(tmp_path / "wide.safetensors", Generator)
    with pytest.raises(ckpt.CheckpointError, match="missing"):
        ckpt.load_release(tmp_path / "absent.safetensors", Generator)
