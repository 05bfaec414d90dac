"""Load a trained MNIST generator and draw digits with it.

    python -m mnist_gan.generate                         # a 10x10 grid, one row per digit
    python -m mnist_gan.generate --digit 7 --n 64        # 64 sevens
    python -m mnist_gan.generate --weights runs/mnist_gan/ckpt_00004000.pt

--weights takes the released safetensors file or a training checkpoint (its EMA generator is used).
"""
import argparse
from pathlib import Path

import torch

from ganlab import checkpoint as ckpt
from ganlab import cli
from ganlab.plotting import save_grid
from mnist_gan.models import Generator, generator_config

RELEASED = Path(__file__).resolve().parent / "release" / "generator.safetensors"


def load_generator(path: Path = RELEASED, device="cpu") -> Generator:
    """A generator in eval() mode from a released .safetensors file or a training checkpoint (.pt)."""
    path = Path(path)
    if path.suffix == ".pt":
        state = ckpt.load_checkpoint(path, "mnist_gan")
        g = Generator(**generator_config(state["model_config"]))
        # AveragedModel stores the average under 'module.' plus a step counter; strip them back off.
        ema = {k.removeprefix("module."): v for k, v in state["G_ema"].items() if k.startswith("module.")}
        try:
            g.load_state_dict(ema if state["config"].get("ema") else state["G"])
        except RuntimeError as e:
            raise ckpt.CheckpointError(f"{path} does not fit the generator it describes: {str(e)[:200]}") from e
    else:
        g, _ = ckpt.load_release(path, Generator)
    return g.to(device).eval()


def noise(n: int, z_dim: int, seed: int = 0) -> torch.Tensor:
    return torch.randn(n, z_dim, generator=torch.Generator().manual_seed(seed))


def main(argv=None):
    p = argparse.ArgumentParser(prog="python -m mnist_gan.generate", description="Draw digits with a trained generator.")
    p.add_argument("--weights", type=cli.weights_file, default=RELEASED,
                   help="released .safetensors or a training ckpt_*.pt")
    p.add_argument("--digit", type=cli.int_in(0, 9), default=None, help="0-9; default: every digit, one row each")
    p.add_argument("--n", type=cli.positive_int, default=100, help="how many images")
    p.add_argument("--seed", type=int, default=0)
    p.add_argument("--out", type=cli.output_file, default=Path("samples.png"))
    args = p.parse_args(argv)
    try:
        g = load_generator(args.weights)
    except ckpt.CheckpointError as e:
        raise SystemExit(f"error: {e}")
    if args.digit is not None:
        digits, z, columns = torch.full((args.n,), args.digit), noise(args.n, g.z_dim, args.seed), 8
    else:  # one row per digit; a column shares its noise, so it keeps one handwriting style
        columns = (args.n + 9) // 10
        digits = torch.arange(10).repeat_interleave(columns)[: args.n]
        z = noise(columns, g.z_dim, args.seed).repeat(10, 1)[: args.n]
    with torch.no_grad():
        images = g(z, digits if g.num_classes else None)
    save_grid(images, args.out, nrow=columns)
    print(f"wrote {args.out} ({args.n} digits)")


if __name__ == "__main__":
    main()
