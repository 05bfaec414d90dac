"""Training throughput: this project's steps against a textbook loop, same models, same batch.

    python -m cifar10_gan.benchmark                    # both architectures, CPU or GPU (--device auto)
    python -m cifar10_gan.benchmark --seconds 60 --compile

The textbook loop is written the way pytorch/examples/dcgan writes it: a Dataset that decodes each JPEG
with PIL and applies ToTensor + Normalize, a DataLoader with worker processes that collates the batch,
float32 NCHW, real and fake through D in separate passes, and a generator step that also computes
gradients for D's weights (then thrown away), with the losses read back every step. The project's step
(cifar10_gan.train.Trainer.train_step) keeps the decoded dataset on the device as one uint8 tensor, freezes
D during G's step, and on a GPU uses bf16 autocast, channels_last and optionally torch.compile. Both run
the same recipe otherwise (loss, augmentation, D steps, EMA). Prints images/s and ratios; a figure, not a
test: run it on an otherwise idle machine.
"""
import argparse
import io

import numpy as np
import torch
import torch.nn.functional as F
from PIL import Image
from torch.utils.data import DataLoader, Dataset

from ganlab import cli
from ganlab.augment import diff_augment
from ganlab.data import DataError, _load_npz, resolve_data_file
from ganlab.device import pick_device
from ganlab.training import images_per_second
from cifar10_gan.models import build_models, model_config
from cifar10_gan.train import Trainer, parse_args


class JpegCifar(Dataset):
    """CIFAR-10 read the textbook way: one PIL decode and one transform per sample, every epoch."""

    def __init__(self, path):
        from torchvision import transforms  # here: it takes seconds to import, and main checks flags first

        d = _load_npz(path, ["train_jpg", "train_offsets", "y_train"])
        self.blob, self.offsets, self.labels = d["train_jpg"], d["train_offsets"], d["y_train"].astype(np.int64)
        self.transform = transforms.Compose([transforms.ToTensor(), transforms.Normalize((0.5,) * 3, (0.5,) * 3)])

    def __len__(self):
        return len(self.labels)

    def __getitem__(self, i):
        image = Image.open(io.BytesIO(self.blob[self.offsets[i]:self.offsets[i + 1]].tobytes())).convert("RGB")
        return self.transform(image), int(self.labels[i])


def textbook_step(G, D, opt_g, opt_d, batches, recipe, device):
    """One generator update with recipe.d_steps discriminator updates before it, tutorial style."""
    for _ in range(recipe.d_steps):
        real, labels = next(batches)
        real, labels = real.to(device), labels.to(device)
        b = real.size(0)
        fake_y = torch.randint(0, 10, (b,), device=device)
        fake = G(torch.randn(b, recipe.z_dim, device=device), fake_y)
        D.zero_grad()
        logit_real = D(diff_augment(real, recipe.diffaug), labels)
        logit_fake = D(diff_augment(fake.detach(), recipe.diffaug), fake_y)
        if recipe.loss == "hinge":
            loss_d = F.relu(1 - logit_real).mean() + F.relu(1 + logit_fake).mean()
        else:
            loss_d = F.softplus(-logit_real).mean() + F.softplus(logit_fake).mean()
        loss_d.backward()
        opt_d.step()
    G.zero_grad()
    logit = D(diff_augment(fake, recipe.diffaug), fake_y)
    loss_g = -logit.mean() if recipe.loss == "hinge" else F.softplus(-logit).mean()
    loss_g.backward()
    opt_g.step()
    return loss_d.item(), loss_g.item()


def endless(loader):
    while True:
        yield from loader


def textbook_images_per_s(recipe, args, device) -> float:
    path = resolve_data_file(args.data_dir, "cifar10", "cifar10_jpg.npz")
    if path is None:
        raise DataError("the benchmark's textbook loop reads cifar10_jpg.npz; pass --data-dir")
    loader = DataLoader(JpegCifar(path), batch_size=args.batch_size, shuffle=True, num_workers=args.workers,
                        drop_last=True, persistent_workers=args.workers > 0)
    torch.manual_seed(0)
    G, D = (m.to(device) for m in build_models(model_config(recipe)))
    betas = (recipe.beta1, recipe.beta2)
    opt_g = torch.optim.Adam(G.parameters(), lr=recipe.lr_g, betas=betas)
    opt_d = torch.optim.Adam(D.parameters(), lr=recipe.lr_d, betas=betas)
    batches = endless(loader)
    step = lambda: textbook_step(G, D, opt_g, opt_d, batches, recipe, device)
    return images_per_second(step, args.warmup, args.seconds, args.batch_size, device)


def project_images_per_s(flags: list[str], args) -> float:
    trainer = Trainer(parse_args(flags))
    return images_per_second(trainer.train_step, args.warmup, args.seconds, args.batch_size, trainer.device)


def main(argv=None):
    p = argparse.ArgumentParser(prog="python -m cifar10_gan.benchmark", description=__doc__.split("\n\n")[0])
    p.add_argument("--arch", nargs="+", default=["dcgan", "sngan"], choices=["dcgan", "sngan"])
    p.add_argument("--device", type=cli.device, default="auto")
    p.add_argument("--batch-size", type=cli.positive_int, default=64)
    p.add_argument("--width", type=cli.positive_int, default=None, help="G and D widths (default: each recipe's)")
    p.add_argument("--d-steps", type=cli.positive_int, default=None, help="D steps per G step (default: each recipe's)")
    p.add_argument("--seconds", type=cli.positive_float, default=30, help="timed seconds per loop")
    p.add_argument("--warmup", type=cli.non_negative_int, default=3, help="untimed steps first")
    p.add_argument("--workers", type=cli.non_negative_int, default=2, help="DataLoader workers for the textbook loop")
    p.add_argument("--data-dir", type=cli.existing_path, default=None)
    p.add_argument("--compile", action="store_true", help="also time the project's step with torch.compile")
    args = p.parse_args(argv)
    device = pick_device(args.device)
    print(f"device {device}, batch {args.batch_size}, {torch.get_num_threads()} CPU threads, torch {torch.__version__}")
    try:
        for arch in args.arch:
            flags = ["--arch", arch, "--batch-size", str(args.batch_size), "--device", args.device, "--quiet"]
            flags += ["--width", str(args.width), "--d-width", str(args.width)] if args.width else []
            flags += ["--d-steps", str(args.d_steps)] if args.d_steps else []
            flags += ["--data-dir", str(args.data_dir)] if args.data_dir else []
            recipe = parse_args(flags)
            print(f"\n{arch}: widths G {recipe.width} / D {recipe.d_width}, {recipe.d_steps} D step(s) per G step, "
                  f"loss {recipe.loss}, DiffAugment {recipe.diffaug or 'off'}; images/s count real images read")
            per_step = args.batch_size * recipe.d_steps
            args_per_step = argparse.Namespace(**{**vars(args), "batch_size": per_step})
            results = {"textbook loop (DataLoader, fp32, NCHW)": textbook_images_per_s(recipe, args_per_step, device)}
            results["project step (fp32, NCHW)"] = project_images_per_s(
                flags + ["--precision", "fp32", "--no-channels-last"], args_per_step)
            results["project step (default)"] = project_images_per_s(flags, args_per_step)
            if args.compile:
                results["project step (default + compile)"] = project_images_per_s(flags + ["--compile"], args_per_step)
            base = results["textbook loop (DataLoader, fp32, NCHW)"]
            for name, rate in results.items():
                print(f"  {name:40s} {rate:9.0f} images/s   {rate / base:5.2f}x")
    except DataError as e:
        raise SystemExit(f"error: {e}")


if __name__ == "__main__":
    main()
