"""Export the released CIFAR-10 generator to ONNX for the web page.

    python -m cifar10_gan.export        # cifar10_gan/release/generator.safetensors -> web/models/cifar10_generator.onnx

The ONNX model takes  z: float32 [batch, z_dim]  (standard normal noise)  and  digit: int64 [batch]  (the
class, 0-9; the input keeps the MNIST model's name so the page and its worker call both generators alike)
and returns  image: float32 [batch, 3, 32, 32]  in [-1, 1]. Batch size is dynamic; BatchNorm uses its
stored statistics, so an image does not depend on the rest of its batch. The JSON sidecar names the classes.
"""
import argparse
import json
from contextlib import contextmanager
from pathlib import Path

import torch

from ganlab import checkpoint as ckpt
from ganlab import cli
from ganlab.data import CIFAR10_CLASSES, REPO_ROOT
from ganlab.export import export_onnx, onnx_parity, report_export
from cifar10_gan.evaluate import load_generator
from cifar10_gan.models import ConditionalBatchNorm

RELEASED = Path(__file__).resolve().parent / "release" / "generator.safetensors"
DEFAULT_OUT = REPO_ROOT / "web" / "models" / "cifar10_generator.onnx"


class WithClass(torch.nn.Module):
    """The generator with a class input even when it is unconditional (it is then ignored)."""

    def __init__(self, g):
        super().__init__()
        self.g = g

    def forward(self, z, digit):
        image = self.g(z, digit)
        return image if self.g.num_classes else image + 0 * digit[:, None, None, None]


@contextmanager
def class_maps(model: torch.nn.Module):
    """Export the conditional BatchNorms in their convertible form (ConditionalBatchNorm.forward); the parity
    check below then compares that graph with the lookup form the model trained with."""
    layers = [m for m in model.modules() if isinstance(m, ConditionalBatchNorm)]
    for m in layers:
        m.as_class_maps = True
    try:
        yield
    finally:
        for m in layers:
            m.as_class_maps = False


def export(weights: Path = RELEASED, out: Path = DEFAULT_OUT, check_batch: int = 16) -> dict:
    generator, release_meta = load_generator(weights)
    g = WithClass(generator).eval()
    z_dim = generator.z_dim
    with class_maps(g):
        export_onnx(g, (torch.randn(2, z_dim), torch.tensor([3, 7])), out, input_names=["z", "digit"],
                    output_names=["image"])
    gen = torch.Generator().manual_seed(1)
    check = {"z": torch.randn(check_batch, z_dim, generator=gen),
             "digit": torch.randint(0, 10, (check_batch,), generator=gen)}
    max_diff = onnx_parity(g, out, check)
    meta = {"model": f"cifar10_gan {release_meta['config']['arch']} generator",
            "inputs": {"z": ["batch", z_dim], "digit": ["batch"]}, "z_dim": z_dim,
            "num_classes": generator.num_classes or 10, "conditional": bool(generator.num_classes),
            "classes": list(CIFAR10_CLASSES), "output": {"image": ["batch", 3, 32, 32]}, "output_range": [-1, 1],
            "onnx_bytes": out.stat().st_size, "parity_max_abs_diff": max_diff,
            "trained": release_meta.get("trained", {})}
    out.with_suffix(".json").write_text(json.dumps(meta, indent=2) + "\n")
    return meta


def main(argv=None):
    p = argparse.ArgumentParser(prog="python -m cifar10_gan.export", description="Export the generator to ONNX.")
    p.add_argument("--weights", type=cli.release_file, default=RELEASED,
                   help="a released generator (.safetensors + .json)")
    p.add_argument("--out", type=cli.output_file, default=DEFAULT_OUT)
    args = p.parse_args(argv)
    try:
        meta = export(args.weights, args.out)
    except ckpt.CheckpointError as e:
        raise SystemExit(f"error: {e}")
    report_export(args.out, meta)


if __name__ == "__main__":
    main()
