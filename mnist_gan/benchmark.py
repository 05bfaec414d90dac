"""Training throughput: this project's step against the textbook loop, same models, same batch.

    python -m mnist_gan.benchmark                 # CPU or GPU, whichever `--device auto` picks
    python -m mnist_gan.benchmark --seconds 60 --batch-size 64

Both loops train the project's conditional models (same architecture, same batch size). The textbook
loop reads torchvision's MNIST through a DataLoader in float32 NCHW; the project's step keeps MNIST on the
device as one uint8 tensor, sends real and fake through D in one pass, skips gradients for D's weights
during the G step, and (on a GPU) uses bf16 autocast and channels_last. Prints images/s for each and the
ratio. A figure, not a test: run it by hand, on an otherwise idle machine.
"""
import argparse

import torch

from ganlab import cli
from ganlab.data import DataError, load_mnist
from ganlab.device import pick_device
from ganlab.training import images_per_second
from mnist_gan.baseline import textbook_loader, textbook_step
from mnist_gan.models import build_models, model_config
from mnist_gan.train import Trainer, parse_args


def textbook_images_per_s(args, device) -> float:
    torch.manual_seed(0)
    x, y = load_mnist("train", args.data_dir)
    loader, tmp = textbook_loader(x, y, args.batch_size, args.workers)
    cfg = model_config(parse_args(["--width", str(args.width), "--d-width", str(args.d_width)]))
    G, D = (m.to(device) for m in build_models(cfg))
    opt_g = torch.optim.Adam(G.parameters(), lr=2e-4, betas=(0.5, 0.999))
    opt_d = torch.optim.Adam(D.parameters(), lr=2e-4, betas=(0.5, 0.999))
    batches = iter(())

    def step():
        nonlocal batches
        try:
            real, labels = next(batches)
        except StopIteration:
            batches = iter(loader)
            real, labels = next(batches)
        with torch.device(device):
            textbook_step(G, D, opt_g, opt_d, real.to(device), labels.to(device), 64, conditional=True)

    rate = images_per_second(step, args.warmup, args.seconds, args.batch_size, device)
    tmp.cleanup()
    return rate


def project_images_per_s(args, extra_flags: list[str]) -> float:
    targs = parse_args(["--batch-size", str(args.batch_size), "--device", args.device, "--width", str(args.width),
                        "--d-width", str(args.d_width), *extra_flags]
                       + (["--data-dir", str(args.data_dir)] if args.data_dir else []))
    trainer = Trainer(targs)
    return images_per_second(trainer.train_step, args.warmup, args.seconds, args.batch_size, trainer.device)


def main(argv=None):
    p = argparse.ArgumentParser(prog="python -m mnist_gan.benchmark", description=__doc__.split("\n\n")[0])
    p.add_argument("--device", type=cli.device, default="auto")
    p.add_argument("--batch-size", type=cli.positive_int, default=64)
    p.add_argument("--width", type=cli.positive_int, default=parse_args([]).width,
                   help="generator width (default: train.py's)")
    p.add_argument("--d-width", type=cli.positive_int, default=parse_args([]).d_width)
    p.add_argument("--seconds", type=cli.positive_float, default=30, help="timed seconds per loop")
    p.add_argument("--warmup", type=cli.non_negative_int, default=5, help="untimed steps first")
    p.add_argument("--workers", type=cli.non_negative_int, default=2, help="DataLoader workers for the textbook loop")
    p.add_argument("--data-dir", type=cli.existing_path, default=None)
    p.add_argument("--compile", action="store_true", help="also time the project's step with torch.compile")
    args = p.parse_args(argv)
    device = pick_device(args.device)
    print(f"device {device}, batch {args.batch_size}, widths G {args.width} / D {args.d_width}, {torch.get_num_threads()} CPU threads, torch {torch.__version__}")
    try:
        results = {"textbook loop (DataLoader, fp32, NCHW)": textbook_images_per_s(args, device)}
        results["project step (fp32, NCHW)"] = project_images_per_s(args, ["--precision", "fp32", "--no-channels-last"])
        results["project step (default)"] = project_images_per_s(args, [])
        if args.compile:
            results["project step (default + compile)"] = project_images_per_s(args, ["--compile"])
    except DataError as e:
        raise SystemExit(f"error: {e}")
    base = results["textbook loop (DataLoader, fp32, NCHW)"]
    for name, rate in results.items():
        print(f"{name:40s} {rate:9.0f} images/s   {rate / base:5.2f}x")


if __name__ == "__main__":
    main()
