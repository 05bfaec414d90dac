"""The textbook reference: a pytorch/examples-style DCGAN, written the way tutorials write it.

Two uses:
* `python -m mnist_gan.benchmark` runs `textbook_step` with *this project's* models, to show what the
  project's training step gains over the usual loop on the same architecture and batch.
* `python -m mnist_gan.baseline --minutes 30` trains the plain DCGAN below (transposed convolutions,
  BatchNorm in both networks, no labels, no EMA) for a fixed time, as the quality baseline.

What makes the textbook loop slower, on purpose (it is the reference): torchvision's MNIST dataset turns
every digit into a PIL image and back into a tensor in Python, a DataLoader collates them, the
discriminator sees real and fake in two separate passes, and the generator step also computes gradients
for the discriminator's weights, which are then thrown away.
"""
import argparse
import tempfile
import time
from pathlib import Path

import torch
import torch.nn.functional as F
from torch import nn
from torch.utils.data import DataLoader

from ganlab.checkpoint import save_release
from ganlab import cli
from ganlab.data import DataError, load_mnist, write_mnist_idx
from mnist_gan.models import init_weights


class DCGANGenerator(nn.Module):
    def __init__(self, z_dim: int = 100, width: int = 64):
        super().__init__()
        self.z_dim, self.num_classes = z_dim, 0
        self.net = nn.Sequential(
            nn.ConvTranspose2d(z_dim, 4 * width, 7, 1, 0, bias=False), nn.BatchNorm2d(4 * width), nn.ReLU(True),  # 7x7
            nn.ConvTranspose2d(4 * width, 2 * width, 4, 2, 1, bias=False), nn.BatchNorm2d(2 * width), nn.ReLU(True),  # 14
            nn.ConvTranspose2d(2 * width, 1, 4, 2, 1, bias=False), nn.Tanh())  # 28
        self.apply(init_weights)

    def forward(self, z, y=None):
        return self.net(z[:, :, None, None])


class DCGANDiscriminator(nn.Module):
    def __init__(self, width: int = 64):
        super().__init__()
        self.net = nn.Sequential(
            nn.Conv2d(1, width, 4, 2, 1, bias=False), nn.LeakyReLU(0.2, True),
            nn.Conv2d(width, 2 * width, 4, 2, 1, bias=False), nn.BatchNorm2d(2 * width), nn.LeakyReLU(0.2, True),
            nn.Conv2d(2 * width, 1, 7, 1, 0, bias=False), nn.Flatten())
        self.apply(init_weights)

    def forward(self, x, y=None):
        return self.net(x).squeeze(1)


def textbook_loader(images, labels, batch_size: int, workers: int = 2) -> tuple[DataLoader, tempfile.TemporaryDirectory]:
    """torchvision.datasets.MNIST read from idx files (written to a temp dir), ToTensor + Normalize."""
    from torchvision import datasets, transforms  # here: it takes seconds to import, and commands check flags first

    tmp = tempfile.TemporaryDirectory(prefix="mnist_idx_")
    arrays = (images.numpy(), labels.numpy())
    write_mnist_idx(tmp.name, train=arrays, test=arrays)
    ds = datasets.MNIST(tmp.name, train=True, download=False,
                        transform=transforms.Compose([transforms.ToTensor(), transforms.Normalize((0.5,), (0.5,))]))
    loader = DataLoader(ds, batch_size=batch_size, shuffle=True, num_workers=workers, drop_last=True,
                        persistent_workers=workers > 0)
    return loader, tmp


def textbook_step(G, D, opt_g, opt_d, real, labels, z_dim: int, conditional: bool) -> tuple[float, float]:
    """One iteration as pytorch/examples/dcgan writes it (with logits and BCE-with-logits)."""
    b = real.size(0)
    y = labels if conditional else None
    ones, zeros = torch.ones(b), torch.zeros(b)
    D.zero_grad()
    err_real = F.binary_cross_entropy_with_logits(D(real, y), ones)
    err_real.backward()
    fake_y = torch.randint(0, 10, (b,)) if conditional else None
    fake = G(torch.randn(b, z_dim), fake_y)
    err_fake = F.binary_cross_entropy_with_logits(D(fake.detach(), fake_y), zeros)
    err_fake.backward()
    opt_d.step()
    G.zero_grad()
    err_g = F.binary_cross_entropy_with_logits(D(fake, fake_y), ones)
    err_g.backward()
    opt_g.step()
    return (err_real + err_fake).item(), err_g.item()


def main(argv=None):
    p = argparse.ArgumentParser(prog="python -m mnist_gan.baseline", description="Train the textbook DCGAN for a fixed time.")
    p.add_argument("--minutes", type=cli.positive_float, default=30)
    p.add_argument("--batch-size", type=cli.positive_int, default=64)
    p.add_argument("--data-dir", type=cli.existing_path, default=None)
    p.add_argument("--workers", type=cli.non_negative_int, default=2)
    p.add_argument("--seed", type=int, default=0)
    p.add_argument("--out", type=cli.output_dir, default=Path("runs/baseline"))
    args = p.parse_args(argv)
    torch.manual_seed(args.seed)
    try:
        x, y = load_mnist("train", args.data_dir)
    except DataError as e:
        raise SystemExit(f"error: {e}")
    loader, tmp = textbook_loader(x, y, args.batch_size, args.workers)
    G, D = DCGANGenerator(), DCGANDiscriminator()
    opt_g = torch.optim.Adam(G.parameters(), lr=2e-4, betas=(0.5, 0.999))
    opt_d = torch.optim.Adam(D.parameters(), lr=2e-4, betas=(0.5, 0.999))
    start, step, done = time.perf_counter(), 0, False
    while not done:
        for real, labels in loader:
            loss_d, loss_g = textbook_step(G, D, opt_g, opt_d, real, labels, G.z_dim, conditional=False)
            step += 1
            if step % 200 == 0:
                print(f"step {step}  loss_D {loss_d:.3f}  loss_G {loss_g:.3f}  {(time.perf_counter() - start) / 60:.1f} min",
                      flush=True)
            if time.perf_counter() - start >= 60 * args.minutes:
                done = True
                break
    save_release(G.eval(), {"z_dim": G.z_dim}, args.out / "generator.safetensors",
                 extra={"steps": step, "minutes": args.minutes, "batch_size": args.batch_size})
    print(f"trained {step} steps in {args.minutes} min; saved {args.out / 'generator.safetensors'}")
    tmp.cleanup()


if __name__ == "__main__":
    main()
