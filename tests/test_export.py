import json

import numpy as np
import onnx
import onnxruntime as ort
import pytest
import torch

from ganlab import checkpoint as ckpt
from mnist_gan.export import DEFAULT_OUT, export
from mnist_gan.generate import RELEASED, load_generator
from mnist_gan.models import Generator


@pytest.fixture
def small_generator(tmp_path):
    torch.manual_seed(0)
    g = Generator(z_dim=16, width=8)
    g.train()
    g(torch.randn(32, 16), torch.randint(0, 10, (32,)))  # non-trivial BatchNorm running statistics
    path = tmp_path / "weights" / "g.safetensors"
    ckpt.save_release(g.eval(), {"z_dim": 16, "num_classes": 10, "width": 8, "upsample": "nearest"}, path)
    return path


def run_onnx(path, z, digit):
    session = ort.InferenceSession(str(path), providers=["CPUExecutionProvider"])
    return session.run(None, {"z": z.numpy(), "digit": digit.numpy()})[0]


def test_export_matches_pytorch_for_any_batch(small_generator, tmp_path):
    out = tmp_path / "g.onnx"
    meta = export(small_generator, out)
    model = onnx.load(str(out))
    onnx.checker.check_model(model)
    assert model.opset_import[0].version >= 18
    assert meta["parity_max_abs_diff"] <= 1e-4
    g = load_generator(small_generator)
    for batch in (1, 7, 64):
        z, digit = torch.randn(batch, 16), torch.randint(0, 10, (batch,))
        with torch.no_grad():
            expected = g(z, digit).numpy()
        got = run_onnx(out, z, digit)
        assert got.shape == (batch, 1, 28, 28)
        np.testing.assert_allclose(got, expected, atol=1e-4, rtol=0)


def test_committed_onnx_model_matches_the_released_weights():
    meta = json.loads(DEFAULT_OUT.with_suffix(".json").read_text())
    assert meta["output_range"] == [-1, 1] and meta["z_dim"] == 64
    g = load_generator(RELEASED)
    gen = torch.Generator().manual_seed(42)
    z, digit = torch.randn(16, meta["z_dim"], generator=gen), torch.arange(16) % 10
    with torch.no_grad():
        expected = g(z, digit).numpy()
    np.testing.assert_allclose(run_onnx(DEFAULT_OUT, z, digit), expected, atol=1e-4, rtol=0)


def test_export_refuses_a_broken_weights_file(tmp_path):
    bad = tmp_path / "g.safetensors"
    bad.write_bytes(b"\x00" * 100)
    (tmp_path / "g.json").write_text(json.dumps({"config": {"z_dim": 16, "num_classes": 10, "width": 8,
                                                            "upsample": "nearest"}}))
    with pytest.raises(ckpt.CheckpointError, match="not a readable safetensors"):
        export(bad, tmp_path / "g.onnx")
    assert not (tmp_path / "g.onnx").exists()
