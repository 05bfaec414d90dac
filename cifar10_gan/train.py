"""Train a GAN on CIFAR-10: the DCGAN baseline or the SNGAN-style ResNet GAN.

    python -m cifar10_gan.train --arch sngan                  # the strong model, runs/cifar10_sngan
    python -m cifar10_gan.train --arch dcgan                  # the baseline, runs/cifar10_dcgan
    python -m cifar10_gan.train --arch sngan --minutes 20     # stop after 20 minutes of training
    python -m cifar10_gan.train --arch sngan --resume         # continue from the newest checkpoint

`--arch` picks a whole recipe (models, loss, optimiser, augmentation, EMA); every part of it can be
overridden by its own flag. notes/07_cifar10_gan.md explains the differences.
"""
import argparse
import json
import sys
import time
from pathlib import Path

import torch
import torch.nn.functional as F
from torch.optim.swa_utils import AveragedModel

from ganlab import checkpoint as ckpt
from ganlab import cli, distributed
from ganlab.augment import diff_augment
from ganlab.data import DeviceBatches, load_cifar10
from ganlab.images import CACHE_DIR
from ganlab.device import autocast, pick_device, resolve_precision, seed_everything
from ganlab.plotting import plot_training, save_grid
from ganlab.training import MetricsLog, ema_update, release_sampler, run_cli, run_loop, start_run
from cifar10_gan.models import ARCHS, build_models, generator_config, model_config

PROJECT = "cifar10_gan"
# What --arch sets unless a flag says otherwise: the classic recipe and the modern one.
RECIPES = {
    "dcgan": dict(z_dim=100, width=64, d_width=64, loss="bce", lr_g=2e-4, lr_d=2e-4, beta1=0.5, beta2=0.999,
                  d_steps=1, diffaug="", ema=0.0, d_batches="separate", g_noise="reuse"),
    "sngan": dict(z_dim=128, width=128, d_width=128, loss="hinge", lr_g=2e-4, lr_d=2e-4, beta1=0.0, beta2=0.9,
                  d_steps=2, diffaug="color,translation,cutout", ema=0.999, d_batches="joint", g_noise="fresh"),
}


def parse_args(argv=None):
    p = argparse.ArgumentParser(prog="python -m cifar10_gan.train", description=__doc__.split("\n\n")[0],
                                formatter_class=argparse.ArgumentDefaultsHelpFormatter)
    recipe = lambda what: f"(default: the --arch recipe: dcgan {RECIPES['dcgan'][what]!r}, sngan {RECIPES['sngan'][what]!r})"
    g = p.add_argument_group("data and output")
    g.add_argument("--data-dir", type=cli.existing_path, default=None,
                   help="cifar10_jpg.npz, a folder holding it, or torchvision's "
                   "cifar-10-batches-py (default: ../shared/data/cifar10, else torchvision downloads it into ./data)")
    g.add_argument("--out", type=cli.output_dir, default=None, help="run folder (default: runs/cifar10_<arch>)")
    g.add_argument("--resume", action="store_true", help="continue from the newest checkpoint in --out")
    g.add_argument("--cache-dir", type=cli.output_dir, default=CACHE_DIR, help="where the decoded images are cached")
    g.add_argument("--limit", type=cli.non_negative_int, default=0,
                   help="train on N evenly spaced images only (0: all); for smoke tests")
    g = p.add_argument_group("model")
    g.add_argument("--arch", default="sngan", choices=ARCHS, help="dcgan: the baseline; sngan: the strong model")
    g.add_argument("--z-dim", type=cli.positive_int, default=None, help="noise length " + recipe("z_dim"))
    g.add_argument("--width", type=cli.positive_int, default=None, help="generator channels " + recipe("width"))
    g.add_argument("--d-width", type=cli.positive_int, default=None, help="discriminator channels " + recipe("d_width"))
    g = p.add_argument_group("optimisation")
    g.add_argument("--steps", type=cli.positive_int, default=50000, help="generator updates")
    g.add_argument("--minutes", type=cli.positive_float, default=None, help="also stop after this much training time")
    g.add_argument("--batch-size", type=cli.positive_int, default=64)
    g.add_argument("--loss", default=None, choices=["bce", "hinge"], help="GAN loss " + recipe("loss"))
    g.add_argument("--lr-g", type=cli.positive_float, default=None, help=recipe("lr_g"))
    g.add_argument("--lr-d", type=cli.positive_float, default=None, help=recipe("lr_d"))
    g.add_argument("--beta1", type=cli.float_in(0, 1, high_open=True), default=None,
                   help="Adam beta1 " + recipe("beta1"))
    g.add_argument("--beta2", type=cli.float_in(0, 1, high_open=True), default=None,
                   help="Adam beta2 " + recipe("beta2"))
    g.add_argument("--d-steps", type=cli.positive_int, default=None, help="D updates per G update " + recipe("d_steps"))
    g.add_argument("--diffaug", default=None, help="DiffAugment policy for everything D sees, e.g. "
                   "color,translation,cutout; 'none' for off " + recipe("diffaug"))
    g.add_argument("--ema", type=cli.float_in(0, 1, high_open=True), default=None,
                   help="decay of G's weight average, 0: off " + recipe("ema"))
    g.add_argument("--d-batches", default=None, choices=["joint", "separate"],
                   help="D sees real and fake in one pass or two; with BatchNorm in D (dcgan) it must be two, so "
                        "that D is trained on the same all-fake batches it judges in G's step " + recipe("d_batches"))
    g.add_argument("--g-noise", default=None, choices=["reuse", "fresh"],
                   help="G's step reuses the fakes of the last D step (as DCGAN's code does: one G forward per "
                        "step fewer) or draws new noise (as SNGAN's code does) " + recipe("g_noise"))
    g.add_argument("--seed", type=int, default=0)
    g = p.add_argument_group("speed")
    g.add_argument("--device", type=cli.device, default="auto", help="auto, cpu or cuda")
    g.add_argument("--precision", default="auto", choices=["auto", "fp32", "bf16"],
                   help="auto: bf16 autocast on CUDA, fp32 on CPU")
    g.add_argument("--channels-last", action=argparse.BooleanOptionalAction, default=True,
                   help="NHWC memory layout (faster convolutions on tensor cores and on CPU)")
    g.add_argument("--compile", action="store_true", help="torch.compile G and D (worth it on CUDA)")
    g.add_argument("--threads", type=cli.non_negative_int, default=0, help="CPU threads (0: PyTorch's default)")
    g.add_argument("--clock", default="wall", choices=["wall", "cpu"],
                   help="what --minutes and train_seconds count: wall-clock time, or this process's CPU time "
                        "(fair budgets for single-threaded runs that share a machine)")
    g = p.add_argument_group("logging")
    g.add_argument("--log-every", type=cli.positive_int, default=50)
    g.add_argument("--sample-every", type=cli.non_negative_int, default=1000)
    g.add_argument("--eval-every", type=cli.non_negative_int, default=1000,
                   help="Fréchet distance, Inception-Score-like score and conditional accuracy by the "
                        "project's classifier (0: off)")
    g.add_argument("--eval-samples", type=cli.int_in(20), default=2000,
                   help="generated images per evaluation (at least 20: two per class for a covariance)")
    g.add_argument("--ckpt-every", type=cli.positive_int, default=1000)
    g.add_argument("--keep", type=cli.positive_int, default=3, help="checkpoints kept")
    g.add_argument("--quiet", action="store_true", help="no progress bar")
    p.add_argument("--debug-nan-at-step", type=int, default=None, help=argparse.SUPPRESS)  # tests the NaN guard
    args = p.parse_args(argv)
    for name, value in RECIPES[args.arch].items():
        if getattr(args, name) is None:
            setattr(args, name, value)
    args.diffaug = "" if args.diffaug in ("none", "off") else args.diffaug
    if args.out is None:
        args.out = Path(f"runs/cifar10_{args.arch}")
    try:
        diff_augment(torch.zeros(1, 3, 32, 32), args.diffaug)
    except ValueError as e:
        p.error(f"--diffaug: {e}")
    return args


class Trainer:
    """Models, optimisers, data and counters of one run, so a checkpoint can capture and restore them."""

    def __init__(self, args):
        self.args = args
        if args.threads:
            torch.set_num_threads(args.threads)
        self.device = pick_device(args.device)
        self.precision = resolve_precision(args.precision, self.device)
        self.model_cfg = model_config(args)
        seed_everything(args.seed)
        x, y = load_cifar10("train", args.data_dir, cache_dir=args.cache_dir)
        if args.limit:  # evenly spaced, so every class is in (the shared file is sorted by class)
            keep = torch.linspace(0, len(x) - 1, min(args.limit, len(x))).long()
            x, y = x[keep], y[keep]
        # the whole training set on the device as uint8 (150 MB): a batch is one indexing operation
        self.data = DeviceBatches(x, y, args.batch_size, self.device, seed=args.seed)
        self.G, self.D = (m.to(self.device) for m in build_models(self.model_cfg))
        if args.channels_last:
            self.G.to(memory_format=torch.channels_last)
            self.D.to(memory_format=torch.channels_last)
        self.G_ema = AveragedModel(self.G, multi_avg_fn=ema_update(args.ema), use_buffers=True)
        betas = (args.beta1, args.beta2)
        self.opt_g = torch.optim.Adam(self.G.parameters(), lr=args.lr_g, betas=betas)
        self.opt_d = torch.optim.Adam(self.D.parameters(), lr=args.lr_d, betas=betas)
        self.noise = torch.Generator(self.device).manual_seed(args.seed)
        self.step, self.train_seconds, self.batches_seen = 0, 0.0, 0
        self.clock = time.process_time if args.clock == "cpu" else time.perf_counter
        self.G_fwd, self.D_fwd = distributed.wrap(self.G, args.compile), distributed.wrap(self.D, args.compile)
        fixed = torch.Generator(self.device).manual_seed(12345)
        self.fixed_z = torch.randn(100, args.z_dim, generator=fixed, device=self.device)
        self.fixed_y = torch.arange(10, device=self.device).repeat_interleave(10)  # a row per class

    @property
    def conditional(self) -> bool:
        return self.model_cfg["num_classes"] > 0

    @property
    def steps_per_epoch(self) -> float:
        """Generator steps per pass over the data (each step reads --d-steps real batches)."""
        return self.data.steps_per_epoch / self.args.d_steps

    @property
    def sampler(self):
        """The generator used for pictures, evaluation and release: the weight average when EMA is on."""
        return self.G_ema.module if self.args.ema else self.G

    # -- one training step ---------------------------------------------------------------------------------
    def fakes(self, n: int):
        z = distributed.draw(lambda m: torch.randn(m, self.args.z_dim, generator=self.noise, device=self.device), n)
        y = distributed.draw(lambda m: torch.randint(0, 10, (m,), generator=self.noise, device=self.device), n)
        with autocast(self.device, self.precision):
            return self.G_fwd(z, y), y

    def judge(self, images, labels):
        """D's logits for augmented images (DiffAugment: the same kind of augmentation for real and fake)."""
        images = diff_augment(images, self.args.diffaug, self.noise)
        if self.args.channels_last:
            images = images.contiguous(memory_format=torch.channels_last)
        with autocast(self.device, self.precision):
            return self.D_fwd(images, labels if self.conditional else None).float()

    def d_step(self, keep_fakes: bool = False):
        """One D update. With keep_fakes, G's forward keeps its graph and the fakes are returned for G's step."""
        real, real_y = self.data.batch(self.batches_seen)
        self.batches_seen += 1
        with torch.set_grad_enabled(keep_fakes):
            fake, fake_y = self.fakes(real.size(0))
        if self.args.d_batches == "joint":  # one pass: cheaper, and fine for a D without BatchNorm
            b = real.size(0)
            logits = self.judge(torch.cat([real, fake.detach().float()]), torch.cat([real_y, fake_y]))
            logit_real, logit_fake = logits[:b], logits[b:]
        else:  # two passes: a BatchNorm D normalises all-real and all-fake batches, as in G's step
            logit_real, logit_fake = self.judge(real, real_y), self.judge(fake.detach().float(), fake_y)
        if self.args.loss == "hinge":  # D wants real logits above +1 and fake below -1, and no further
            loss = F.relu(1 - logit_real).mean() + F.relu(1 + logit_fake).mean()
        else:  # binary cross-entropy: -log sigmoid(real) - log(1 - sigmoid(fake))
            loss = F.softplus(-logit_real).mean() + F.softplus(logit_fake).mean()
        self.opt_d.zero_grad(set_to_none=True)
        loss.backward()
        self.opt_d.step()
        return loss.detach(), logit_real.detach(), logit_fake.detach(), (fake, fake_y) if keep_fakes else None

    def g_step(self, fakes=None):
        """One G update, on the fakes D just saw if given (judged by the updated D), else on fresh noise."""
        self.D.requires_grad_(False)  # gradients flow through D to G, but none are computed for D's weights
        fake, fake_y = fakes if fakes is not None else self.fakes(distributed.local(self.args.batch_size))
        logit = self.judge(fake.float(), fake_y)
        loss = -logit.mean() if self.args.loss == "hinge" else F.softplus(-logit).mean()
        self.opt_g.zero_grad(set_to_none=True)
        loss.backward()
        self.opt_g.step()
        self.D.requires_grad_(True)
        if self.args.ema:
            self.G_ema.update_parameters(self.G)
        return loss.detach()

    def train_step(self) -> dict:
        for i in range(self.args.d_steps):
            last = i == self.args.d_steps - 1
            loss_d, logit_real, logit_fake, fakes = self.d_step(keep_fakes=last and self.args.g_noise == "reuse")
        loss_g = self.g_step(fakes)
        # D(x) and D(G(z)) in the logs: the sigmoid of D's logits, read as "how sure D is that it is real"
        # (for the hinge loss a monotone reading of the logit rather than a trained probability)
        return {"loss_d": loss_d, "loss_g": loss_g, "d_real": torch.sigmoid(logit_real).mean(),
                "d_fake": torch.sigmoid(logit_fake).mean()}

    # -- checkpoints ---------------------------------------------------------------------------------------
    def state(self) -> dict:
        return {"project": PROJECT, "step": self.step, "train_seconds": self.train_seconds,
                "config": {k: (str(v) if isinstance(v, Path) else v) for k, v in vars(self.args).items()},
                "model_config": self.model_cfg,
                "G": self.G.state_dict(), "D": self.D.state_dict(), "G_ema": self.G_ema.state_dict(),
                "opt_g": self.opt_g.state_dict(), "opt_d": self.opt_d.state_dict(),
                "rng": ckpt.rng_state(self.noise), "batches_seen": self.batches_seen}

    def load_state(self, state: dict, path) -> None:
        ckpt.check_same_model(state["model_config"], self.model_cfg, path)
        self.G.load_state_dict(state["G"]), self.D.load_state_dict(state["D"])
        self.G_ema.load_state_dict(state["G_ema"])
        self.opt_g.load_state_dict(state["opt_g"]), self.opt_d.load_state_dict(state["opt_d"])
        ckpt.restore_rng_state(state["rng"], self.noise)
        self.step, self.train_seconds, self.batches_seen = state["step"], state["train_seconds"], state["batches_seen"]

    # -- pictures ------------------------------------------------------------------------------------------
    @torch.no_grad()
    def save_samples(self, out: Path) -> Path:
        images = self.sampler.eval()(self.fixed_z, self.fixed_y)
        self.G.train()
        path = save_grid(images, out / "samples" / f"step_{self.step:07d}.png", nrow=10)
        save_grid(images, out / "samples" / "latest.png", nrow=10)
        return path


def load_judge(trainer):
    """The classifier and the real test set's statistics, or None (with a note) when its weights are missing."""
    if not trainer.args.eval_every or not distributed.is_main():
        return None
    from cifar10_gan.evaluate import Judge
    try:
        return Judge(trainer.device, trainer.args.data_dir, cache_dir=trainer.args.cache_dir)
    except ckpt.CheckpointError as e:
        print(f"note: no quality curve ({e})", file=sys.stderr)
        return None


def train(args) -> dict:
    out: Path = args.out
    trainer, log = start_run(args, PROJECT, Trainer)
    judge = load_judge(trainer)

    def evaluate():
        figures = judge.evaluate(trainer.sampler, args.eval_samples, conditional=trainer.conditional)
        trainer.G.train()
        return figures, judge.describe(figures)
    postfix = lambda m: dict(D=f"{m['loss_d']:.3f}", G=f"{m['loss_g']:.3f}")
    if not run_loop(trainer, args, out, log, desc=f"cifar10 {args.arch}",
                    evaluate=None if judge is None else evaluate, postfix=postfix):
        return {}  # under torchrun, rank 0 alone evaluates and releases
    summary = {"arch": args.arch, "step": trainer.step, "train_seconds": round(trainer.train_seconds, 1),
               "device": str(trainer.device)}
    if judge is not None:
        figures, _ = evaluate()
        summary.update(figures, eval_samples=args.eval_samples)
        log.write(step=trainer.step, train_seconds=round(trainer.train_seconds, 2), **figures)
    log.close()
    plot_training(MetricsLog.read(out / "metrics.jsonl"), out / "training.png", title=f"cifar10 {args.arch}: {out}")
    release_sampler(trainer, generator_config(trainer.model_cfg), out / "generator.safetensors",
                    extra={"trained": summary})
    print(json.dumps(summary))
    return summary


def main(argv=None):
    run_cli(train, parse_args(argv))


if __name__ == "__main__":
    main()
