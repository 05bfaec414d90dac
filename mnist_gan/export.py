"""Export the MNIST generator to ONNX for the web page.

    python -m mnist_gan.export          # released generator -> web/models/mnist_generator.onnx (+ .json)

The ONNX model takes  z: float32 [batch, z_dim]  (standard normal noise)  and  digit: int64 [batch]
(0-9) and returns  image: float32 [batch, 1, 28, 28]  in [-1, 1] (tanh): map it to pixels with
(v + 1) * 127.5. Batch size is dynamic. BatchNorm runs with its stored statistics (eval mode), so an
image does not depend on the others in its batch.
"""
import argparse
import json
from pathlib import Path

import torch

from ganlab import checkpoint as ckpt
from ganlab import cli
from ganlab.data import REPO_ROOT
from ganlab.export import export_onnx, onnx_parity, report_export
from mnist_gan.generate import RELEASED, load_generator

DEFAULT_OUT = REPO_ROOT / "web" / "models" / "mnist_generator.onnx"


class WithDigit(torch.nn.Module):
    """Unconditional generators still get a (then unused) digit input, so the page calls every model alike."""

    def __init__(self, g):
        super().__init__()
        self.g = g

    def forward(self, z, digit):
        return self.g(z, digit) if self.g.num_classes else self.g(z) + 0 * digit[:, None, None, None]


def export(weights: Path = RELEASED, out: Path = DEFAULT_OUT, check_batch: int = 16) -> dict:
    g = WithDigit(load_generator(weights)).eval()
    z = torch.randn(2, g.g.z_dim)
    digit = torch.tensor([3, 7])
    export_onnx(g, (z, digit), out, input_names=["z", "digit"], output_names=["image"])
    gen = torch.Generator().manual_seed(1)
    check = {"z": torch.randn(check_batch, g.g.z_dim, generator=gen),
             "digit": torch.randint(0, 10, (check_batch,), generator=gen)}
    max_diff = onnx_parity(g, out, check)
    meta = {"model": "mnist_gan conditional DCGAN generator", "inputs": {"z": ["batch", g.g.z_dim], "digit": ["batch"]},
            "z_dim": g.g.z_dim, "num_classes": g.g.num_classes, "output": {"image": ["batch", 1, 28, 28]},
            "output_range": [-1, 1], "onnx_bytes": out.stat().st_size, "parity_max_abs_diff": max_diff}
    out.with_suffix(".json").write_text(json.dumps(meta, indent=2))
    return meta


def main(argv=None):
    p = argparse.ArgumentParser(prog="python -m mnist_gan.export", description="Export the generator to ONNX.")
    p.add_argument("--weights", type=cli.weights_file, default=RELEASED,
                   help="released .safetensors or a training ckpt_*.pt")
    p.add_argument("--out", type=cli.output_file, default=DEFAULT_OUT)
    args = p.parse_args(argv)
    try:
        meta = export(args.weights, args.out)
    except ckpt.CheckpointError as e:
        raise SystemExit(f"error: {e}")
    report_export(args.out, meta)


if __name__ == "__main__":
    main()
