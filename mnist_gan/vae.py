"""A conditional variational autoencoder (VAE) for MNIST, to set beside the GAN.

    python -m mnist_gan.vae --minutes 3               # train; runs/mnist_vae
    python -m mnist_gan.evaluate runs/mnist_vae/generator.safetensors

The decoder is the GAN's own Generator class, so the two differ only in how they are trained:
the GAN's generator learns from a discriminator's verdict; the VAE's decoder learns to rebuild real digits
from a short code that an encoder squeezes each digit into, while a KL term keeps those codes close to
N(0, I) so that fresh noise decodes to digits too. notes/experiments/vae_vs_gan.md compares them.
"""
import argparse
import json
import sys
import time
from pathlib import Path

import torch
import torch.nn.functional as F
from torch import nn

from ganlab import checkpoint as ckpt
from ganlab import cli
from ganlab.data import DataError, DeviceBatches, load_mnist
from ganlab.device import pick_device, seed_everything
from ganlab.plotting import save_grid
from ganlab.training import MetricsLog, NonFiniteGuard, NonFiniteLossError, progress
from mnist_gan.models import Generator, generator_config, init_weights
from mnist_gan.train import quick_eval, real_test_features

PROJECT = "mnist_vae"


class Encoder(nn.Module):
    """(image, digit) -> mean and log-variance of the code q(z | x, y)."""

    def __init__(self, z_dim: int, num_classes: int = 10, width: int = 32):
        super().__init__()
        self.features = nn.Sequential(
            nn.Conv2d(1, width, 4, stride=2, padding=1), nn.LeakyReLU(0.2),              # 28 -> 14
            nn.Conv2d(width, 2 * width, 4, stride=2, padding=1), nn.LeakyReLU(0.2),      # 14 -> 7
            nn.Flatten())
        self.embed = nn.Embedding(num_classes, 16)
        self.head = nn.Sequential(nn.Linear(2 * width * 49 + 16, 256), nn.LeakyReLU(0.2), nn.Linear(256, 2 * z_dim))

    def forward(self, x, y):
        mu, logvar = self.head(torch.cat([self.features(x), self.embed(y)], 1)).chunk(2, dim=1)
        return mu, logvar.clamp(-10, 10)  # keeps exp(logvar) finite early in training


class ConditionalVAE(nn.Module):
    def __init__(self, z_dim: int = 16, width: int = 32):
        super().__init__()
        self.encoder = Encoder(z_dim)
        self.decoder = Generator(z_dim, 10, width, "nearest")
        self.encoder.apply(init_weights)

    def forward(self, x, y):
        mu, logvar = self.encoder(x, y)
        z = mu + torch.randn_like(mu) * (0.5 * logvar).exp()  # the reparameterisation trick
        return self.decoder(z, y), mu, logvar


def vae_loss(recon, x, mu, logvar):
    """Negative ELBO per image: pixel-wise Bernoulli reconstruction error + KL(q(z|x,y) || N(0, I)).

    Images live in [-1, 1]; (v + 1) / 2 maps both the target and the decoder's tanh output to [0, 1]."""
    p = ((recon + 1) / 2).clamp(1e-6, 1 - 1e-6)
    reconstruction = F.binary_cross_entropy(p, (x + 1) / 2, reduction="sum") / len(x)
    kl = -0.5 * (1 + logvar - mu.square() - logvar.exp()).sum() / len(x)
    return reconstruction + kl, reconstruction, kl


def parse_args(argv=None):
    p = argparse.ArgumentParser(prog="python -m mnist_gan.vae", description=__doc__.split("\n\n")[0],
                                formatter_class=argparse.ArgumentDefaultsHelpFormatter)
    p.add_argument("--data-dir", type=cli.existing_path, default=None,
                   help="folder holding mnist.npz (default: ../shared/data/mnist)")
    p.add_argument("--out", type=cli.output_dir, default=Path("runs/mnist_vae"))
    p.add_argument("--resume", action="store_true", help="continue from the newest checkpoint in --out")
    p.add_argument("--z-dim", type=cli.positive_int, default=16, help="length of the code")
    p.add_argument("--width", type=cli.positive_int, default=32,
                   help="decoder channels at 14x14 (the GAN's generator width)")
    p.add_argument("--steps", type=cli.positive_int, default=10000)
    p.add_argument("--minutes", type=cli.positive_float, default=None, help="also stop after this much training time")
    p.add_argument("--clock", default="wall", choices=["wall", "cpu"], help="what --minutes counts (see mnist_gan.train)")
    p.add_argument("--batch-size", type=cli.positive_int, default=64)
    p.add_argument("--lr", type=cli.positive_float, default=1e-3)
    p.add_argument("--seed", type=int, default=0)
    p.add_argument("--device", type=cli.device, default="auto")
    p.add_argument("--log-every", type=cli.positive_int, default=50)
    p.add_argument("--eval-every", type=cli.non_negative_int, default=250,
                   help="conditional accuracy and Fréchet distance (0: off)")
    p.add_argument("--eval-samples", type=cli.int_in(20), default=1000, help="at least 20: two per digit")
    p.add_argument("--ckpt-every", type=cli.positive_int, default=500)
    p.add_argument("--quiet", action="store_true")
    return p.parse_args(argv)


def sample_quality(decoder, classifier, real_features, n, device) -> dict:
    """The GAN trainer's figures for the decoder fed with prior noise: same noise, same digits."""
    figures = quick_eval(decoder, classifier, n, device, real_features)
    decoder.train()
    return figures


def train(args) -> dict:
    existing = ckpt.checkpoint_to_resume(args.out, args.resume)
    device = pick_device(args.device)
    seed_everything(args.seed)
    x, y = load_mnist("train", args.data_dir)
    data = DeviceBatches(x, y, args.batch_size, device, seed=args.seed)
    model = ConditionalVAE(args.z_dim, args.width).to(device)
    opt = torch.optim.Adam(model.parameters(), lr=args.lr)
    config = {k: (str(v) if isinstance(v, Path) else v) for k, v in vars(args).items()}
    model_cfg = {"z_dim": args.z_dim, "width": args.width}
    step, seconds = 0, 0.0
    if args.resume:
        state = ckpt.load_checkpoint(existing, PROJECT, map_location=device)
        ckpt.check_same_model(state["model_config"], model_cfg, existing)
        model.load_state_dict(state["model"]), opt.load_state_dict(state["opt"])
        ckpt.restore_rng_state(state["rng"])
        step, seconds = state["step"], state["train_seconds"]
    clock = time.process_time if args.clock == "cpu" else time.perf_counter
    classifier = None
    if args.eval_every:  # 0 switches the classifier off, as in the GAN trainer
        from mnist_gan.classifier import load_classifier
        classifier = load_classifier(device=device)
    test_features = None if classifier is None else real_test_features(classifier, args.data_dir)
    args.out.mkdir(parents=True, exist_ok=True)
    (args.out / "config.json").write_text(json.dumps(config, indent=2))
    log = MetricsLog(args.out / "metrics.jsonl", resume_step=step if args.resume else None)
    guard = NonFiniteGuard(device)
    bar = progress(args.steps, step, desc="mnist_vae", disable=args.quiet)
    state = lambda: {"project": PROJECT, "step": step, "train_seconds": seconds, "config": config,
                     "model_config": model_cfg, "model": model.state_dict(), "opt": opt.state_dict(),
                     "rng": ckpt.rng_state()}
    try:
        while step < args.steps and (args.minutes is None or seconds < 60 * args.minutes):
            t0 = clock()
            real, labels = data.batch(step)
            recon, mu, logvar = model(real, labels)
            loss, rec, kl = vae_loss(recon, real, mu, logvar)
            opt.zero_grad(set_to_none=True)
            loss.backward()
            opt.step()
            guard.observe(step + 1, loss)
            step += 1
            seconds += clock() - t0
            bar.update(1)
            if step % args.log_every == 0:
                guard.check(f"The last good checkpoint is kept ({ckpt.latest_checkpoint(args.out)}).")
                log.write(step=step, loss=loss.item(), reconstruction=rec.item(), kl=kl.item(),
                          train_seconds=round(seconds, 2))
                bar.set_postfix(loss=f"{loss.item():.1f}", kl=f"{kl.item():.1f}")
            if classifier is not None and args.eval_every and step % args.eval_every == 0:
                log.write(step=step, train_seconds=round(seconds, 2),
                          **sample_quality(model.decoder, classifier, test_features, args.eval_samples, device))
            if step % args.ckpt_every == 0:
                guard.check(f"The last good checkpoint is kept ({ckpt.latest_checkpoint(args.out)}).")
                ckpt.save_checkpoint(args.out, step, state(), keep=2)
        guard.check("The last good checkpoint is kept.")
    except NonFiniteLossError as e:
        raise SystemExit(f"error: {e}")
    finally:
        bar.close()
    ckpt.save_checkpoint(args.out, step, state(), keep=2)
    summary = {"step": step, "train_seconds": round(seconds, 1)}
    if classifier is not None:
        figures = sample_quality(model.decoder, classifier, test_features, args.eval_samples, device)
        log.write(step=step, train_seconds=round(seconds, 2), **figures)
        summary.update(figures)
    log.close()
    decoder = model.decoder.cpu().eval()
    cfg = generator_config({"z_dim": args.z_dim, "num_classes": 10, "width": args.width, "upsample": "nearest"})
    ckpt.save_release(decoder, cfg, args.out / "generator.safetensors", extra={"trained": summary, "kind": "vae"})
    with torch.no_grad():
        save_grid(decoder(torch.randn(100, args.z_dim), torch.arange(10).repeat_interleave(10)),
                  args.out / "samples.png", nrow=10)
    print(json.dumps(summary))
    return summary


def main(argv=None):
    try:
        train(parse_args(argv))
    except (DataError, ckpt.CheckpointError) as e:
        raise SystemExit(f"error: {e}")


if __name__ == "__main__":
    sys.exit(main())
