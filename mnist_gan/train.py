"""Train the MNIST GAN.

    python -m mnist_gan.train                      # conditional GAN, default settings, runs/mnist_gan
    python -m mnist_gan.train --minutes 5          # stop after 5 minutes of training
    python -m mnist_gan.train --resume             # continue the run in --out from its last checkpoint

Each step: the generator draws a batch of fakes; the discriminator takes one optimiser step on real and
fake images together (real -> 1, fake -> 0); then the generator takes one step to make the discriminator
call its fakes real. notes/02_training_loop.md walks through this file line by line.
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
from ganlab.data import DeviceBatches, load_mnist
from ganlab.metrics import frechet_distance
from ganlab.device import autocast, pick_device, resolve_precision, seed_everything
from ganlab.plotting import plot_training, save_grid
from ganlab.training import MetricsLog, ema_update, release_sampler, run_cli, run_loop, start_run
from mnist_gan.models import build_models, generator_config, model_config

PROJECT = "mnist_gan"


def parse_args(argv=None):
    p = argparse.ArgumentParser(prog="python -m mnist_gan.train", description=__doc__.split("\n\n")[0],
                                formatter_class=argparse.ArgumentDefaultsHelpFormatter)
    g = p.add_argument_group("data and output")
    g.add_argument("--data-dir", type=cli.existing_path, default=None,
                   help="folder holding mnist.npz (default: ../shared/data/mnist, "
                        "else torchvision downloads MNIST into ./data)")
    g.add_argument("--out", type=cli.output_dir, default=Path("runs/mnist_gan"),
                   help="run folder: checkpoints, samples, logs")
    g.add_argument("--resume", action="store_true", help="continue from the newest checkpoint in --out")
    g = p.add_argument_group("model")
    g.add_argument("--unconditional", action="store_true", help="ignore the labels: a plain GAN")
    g.add_argument("--z-dim", type=cli.positive_int, default=64, help="length of the noise vector")
    g.add_argument("--width", type=cli.positive_int, default=32, help="generator channels at 14x14")
    g.add_argument("--d-width", type=cli.positive_int, default=32, help="discriminator channels at 14x14")
    g.add_argument("--upsample", default="nearest", choices=["nearest", "transposed", "transposed3"])
    g.add_argument("--d-norm", default="none", choices=["none", "batch", "spectral"], help="normalisation in D")
    g = p.add_argument_group("optimisation")
    g.add_argument("--steps", type=cli.positive_int, default=10000, help="training steps (one D and one G update each)")
    g.add_argument("--minutes", type=cli.positive_float, default=None, help="also stop after this much training time")
    g.add_argument("--batch-size", type=cli.positive_int, default=64)
    g.add_argument("--lr-g", type=cli.positive_float, default=2e-4)
    g.add_argument("--lr-d", type=cli.positive_float, default=2e-4)
    g.add_argument("--beta1", type=cli.float_in(0, 1, high_open=True), default=0.5,
                   help="Adam beta1; 0.5 as in DCGAN damps oscillation")
    g.add_argument("--g-loss", default="nonsaturating", choices=["nonsaturating", "saturating"],
                   help="G minimises -log D(G(z)) (non-saturating) or log(1 - D(G(z))) (the original minimax)")
    g.add_argument("--ema", type=cli.float_in(0, 1, high_open=True), default=0.999,
                   help="decay of the generator's weight average (0: off)")
    g.add_argument("--seed", type=int, default=0)
    g = p.add_argument_group("balancing the game (the experiments in notes/experiments/ use these)")
    g.add_argument("--schedule", default="both", choices=["both", "loser", "streak"],
                   help="both: D and G step every batch; loser: only the network that lost the batch steps "
                        "(D wins when it classifies more than half of real+fake correctly); streak: both step, "
                        "but after --streak-k wins in a row by one network only the other steps for --streak-m batches")
    g.add_argument("--streak-k", type=cli.positive_int, default=5, help="wins in a row that start a catch-up phase")
    g.add_argument("--streak-m", type=cli.positive_int, default=3, help="batches in a catch-up phase")
    g.add_argument("--d-steps", type=cli.positive_int, default=1,
                   help="discriminator steps (each on a new batch) per generator step")
    g.add_argument("--d-pretrain", type=cli.non_negative_int, default=0,
                   help="steps of D alone against the untrained G before the game")
    g.add_argument("--real-label", type=cli.float_in(0.5, 1, low_open=True), default=1.0,
                   help="D's target for real images; 0.9 = one-sided label smoothing")
    g.add_argument("--instance-noise", type=cli.non_negative_float, default=0.0,
                   help="std of Gaussian noise added to every image D sees, fading linearly to 0 over --noise-steps")
    g.add_argument("--noise-steps", type=cli.positive_int, default=2000,
                   help="steps over which --instance-noise fades out")
    g.add_argument("--d-batches", default="joint", choices=["joint", "separate"],
                   help="D sees real and fake in one forward pass (joint) or two (separate, the DCGAN tutorial way)")
    g.add_argument("--d-eval-in-g-step", action="store_true",
                   help="put D in eval() mode during the G step: the BatchNorm trap (notes/experiments/bn_trap.md)")
    g.add_argument("--freeze-d", action=argparse.BooleanOptionalAction, default=True,
                   help="requires_grad_(False) on D during G's step, so no gradients are computed for D's weights")
    g.add_argument("--detach-fake", action=argparse.BooleanOptionalAction, default=True,
                   help="detach() the fakes in D's step, so D's loss does not backpropagate into G")
    g = p.add_argument_group("speed")
    g.add_argument("--device", type=cli.device, default="auto", help="auto, cpu or cuda")
    g.add_argument("--precision", default="auto", choices=["auto", "fp32", "bf16"],
                   help="auto: bf16 autocast on CUDA, fp32 on CPU")
    g.add_argument("--channels-last", action=argparse.BooleanOptionalAction, default=True,
                   help="NHWC memory layout (faster convolutions on CPU and on tensor cores)")
    g.add_argument("--compile", action="store_true", help="torch.compile the models (worth it on CUDA)")
    g.add_argument("--clock", default="wall", choices=["wall", "cpu"],
                   help="what --minutes and train_seconds count: wall-clock time, or this process's CPU time "
                        "(fair budgets for single-threaded runs that share a machine)")
    g = p.add_argument_group("logging")
    g.add_argument("--log-every", type=cli.positive_int, default=50)
    g.add_argument("--sample-every", type=cli.non_negative_int, default=500)
    g.add_argument("--eval-every", type=cli.non_negative_int, default=250,
                   help="conditional accuracy and Fréchet distance by the classifier (0: off)")
    g.add_argument("--eval-samples", type=cli.int_in(20), default=1000,
                   help="generated digits per evaluation (at least 20: two per digit for a covariance)")
    g.add_argument("--ckpt-every", type=cli.positive_int, default=500)
    g.add_argument("--keep", type=cli.positive_int, default=3, help="checkpoints kept")
    g.add_argument("--quiet", action="store_true", help="no progress bar")
    p.add_argument("--debug-nan-at-step", type=int, default=None, help=argparse.SUPPRESS)  # tests the NaN guard
    args = p.parse_args(argv)
    if args.schedule != "both" and args.d_steps != 1:
        p.error(f"--schedule {args.schedule} decides per batch which network steps; use it with --d-steps 1")
    return args


class Trainer:
    """Everything one run needs, kept in one place so a checkpoint can capture it and restore it."""

    def __init__(self, args):
        self.args = args
        self.device = pick_device(args.device)
        self.precision = resolve_precision(args.precision, self.device)
        self.model_cfg = model_config(args)
        seed_everything(args.seed)
        x, y = load_mnist("train", args.data_dir)
        self.data = DeviceBatches(x, y, args.batch_size, self.device, seed=args.seed)
        self.G, self.D = build_models(self.model_cfg)
        self.G.to(self.device), self.D.to(self.device)
        if args.channels_last:
            self.G.to(memory_format=torch.channels_last)
            self.D.to(memory_format=torch.channels_last)
        self.G_ema = AveragedModel(self.G, multi_avg_fn=ema_update(args.ema), use_buffers=True)
        self.opt_g = torch.optim.Adam(self.G.parameters(), lr=args.lr_g, betas=(args.beta1, 0.999))
        self.opt_d = torch.optim.Adam(self.D.parameters(), lr=args.lr_d, betas=(args.beta1, 0.999))
        self.noise = torch.Generator(self.device).manual_seed(args.seed)
        self.step, self.train_seconds, self.batches_seen = 0, 0.0, 0
        # the streak schedule's memory: who won the last batches, and any catch-up phase in progress
        self.streak = {"winner": None, "length": 0, "trailing": None, "catch_up_left": 0}
        self.clock = time.process_time if args.clock == "cpu" else time.perf_counter
        # what forward passes run through: DDP under torchrun, compiled when asked, the same weights either way
        self.G_fwd, self.D_fwd = distributed.wrap(self.G, args.compile), distributed.wrap(self.D, args.compile)
        n = 10 if self.model_cfg["num_classes"] else 100
        fixed = torch.Generator(self.device).manual_seed(12345)
        self.fixed_z = torch.randn(n * 10, args.z_dim, generator=fixed, device=self.device)
        self.fixed_y = torch.arange(10, device=self.device).repeat_interleave(n)[: n * 10]  # a row per digit

    # -- one training step ---------------------------------------------------------------------------------
    def sample_labels(self, n):
        if not self.model_cfg["num_classes"]:
            return None
        return distributed.draw(lambda m: torch.randint(0, self.model_cfg["num_classes"], (m,), generator=self.noise,
                                                        device=self.device), n)

    def next_batch(self):
        """The next real mini-batch. Counted apart from `step`: with --d-steps k a step uses k batches."""
        batch = self.data.batch(self.batches_seen)
        self.batches_seen += 1
        return batch

    def make_fakes(self, n):
        z = distributed.draw(lambda m: torch.randn(m, self.args.z_dim, generator=self.noise, device=self.device), n)
        fake_y = self.sample_labels(n)
        with autocast(self.device, self.precision):
            return self.G_fwd(z, fake_y), fake_y

    def judge(self, images, labels):
        """D's logits, with instance noise added first when it is on (the same noise for real and fake)."""
        sigma = self.args.instance_noise * max(0.0, 1.0 - self.step / self.args.noise_steps)
        if sigma > 0:
            noise = distributed.draw(lambda m: torch.randn(m, *images.shape[1:], generator=self.noise,
                                                           device=self.device, dtype=images.dtype), len(images))
            images = images + sigma * noise
        with autocast(self.device, self.precision):
            return self.D_fwd(images, labels).float()

    def d_loss(self, real, real_y, fake, fake_y):
        """Binary cross-entropy: real -> --real-label (1, or 0.9 when smoothing), fake -> 0.

        -log sigmoid(l) is softplus(-l) and -log(1 - sigmoid(l)) is softplus(l): the stable way to write it."""
        b = real.size(0)
        if self.args.detach_fake:  # stops D's loss at G's output: G's weights get no gradient from it
            fake = fake.detach()
        if self.args.d_batches == "joint":
            logits = self.judge(torch.cat([real, fake]), None if fake_y is None else torch.cat([real_y, fake_y]))
            logit_real, logit_fake = logits[:b], logits[b:]
        else:  # two passes: with BatchNorm in D, each pass is normalised with its own batch's statistics
            logit_real, logit_fake = self.judge(real, real_y), self.judge(fake, fake_y)
        t = self.args.real_label
        loss = (t * F.softplus(-logit_real) + (1 - t) * F.softplus(logit_real)).mean() + F.softplus(logit_fake).mean()
        return loss, logit_real.detach(), logit_fake.detach()

    def d_update(self, loss_d):
        self.opt_d.zero_grad(set_to_none=True)
        # Without detach() the fakes' graph is still needed by G's step after this backward: keep it.
        loss_d.backward(retain_graph=not self.args.detach_fake)
        self.opt_d.step()

    def g_update(self, fake, fake_y):
        """One generator step on `fake`, judged by D (frozen: gradients flow through D, not into it)."""
        if self.args.freeze_d:
            self.D.requires_grad_(False)  # no time spent on gradients for D's weights, which G must not change
        if self.args.d_eval_in_g_step:
            self.D.eval()  # the trap: with BatchNorm, D now answers with running averages, not batch statistics
        logit = self.judge(fake, fake_y)
        if self.args.g_loss == "nonsaturating":  # -log D(G(z))
            loss_g = F.softplus(-logit).mean()
        else:  # log(1 - D(G(z))) = -softplus(logit): flat exactly when D confidently says "fake"
            loss_g = -F.softplus(logit).mean()
        self.opt_g.zero_grad(set_to_none=True)
        loss_g.backward()
        grad_norm = torch.linalg.vector_norm(torch.stack(torch._foreach_norm(
            [p.grad for p in self.G.parameters() if p.grad is not None])))
        self.opt_g.step()
        self.D.requires_grad_(True)
        self.D.train()
        if self.args.ema:
            self.G_ema.update_parameters(self.G)
        return loss_g.detach(), grad_norm

    def who_steps(self, d_won: bool) -> tuple[bool, bool]:
        """(step D?, step G?) for this batch under --schedule. `d_won`: D classified > half of it correctly."""
        schedule = self.args.schedule
        if schedule == "both":
            return True, True
        if schedule == "loser":  # only the network that was wrong about this batch learns from it
            return (not d_won, d_won)
        s = self.streak
        if s["catch_up_left"] > 0:  # a catch-up phase: only the trailing network steps
            s["catch_up_left"] -= 1
            return s["trailing"] == "D", s["trailing"] == "G"
        winner = "D" if d_won else "G"
        s["length"] = s["length"] + 1 if winner == s["winner"] else 1
        s["winner"] = winner
        if s["length"] < self.args.streak_k:
            return True, True
        # K wins in a row: the other network alone steps on this batch and the next M - 1
        s.update(trailing="G" if winner == "D" else "D", catch_up_left=self.args.streak_m - 1, length=0, winner=None)
        return s["trailing"] == "D", s["trailing"] == "G"

    def train_step(self) -> dict:
        """One step of the game: --d-steps discriminator updates, then one generator update (or, under the
        loser and streak schedules, only the updates that this batch's outcome calls for)."""
        for _ in range(self.args.d_steps):
            real, real_y = self.next_batch()
            fake, fake_y = self.make_fakes(real.size(0))
            loss_d, logit_real, logit_fake = self.d_loss(real, real_y, fake, fake_y)
            if self.args.schedule == "both":
                self.d_update(loss_d)
                step_d, step_g = True, True
            else:  # deciding needs the batch's outcome on the CPU: one sync per step, part of this schedule's cost
                d_acc = ((logit_real > 0).float().sum() + (logit_fake < 0).float().sum()) / (2 * real.size(0))
                step_d, step_g = self.who_steps(bool(distributed.mean(d_acc) > 0.5))  # the same on every rank
                if step_d:
                    self.d_update(loss_d)
        stats = {"loss_d": loss_d.detach(), "d_real": torch.sigmoid(logit_real).mean(),
                 "d_fake": torch.sigmoid(logit_fake).mean(),
                 "d_updates": float(self.args.d_steps if step_d else 0), "g_updates": float(step_g)}
        if step_g:
            stats["loss_g"], stats["g_grad_norm"] = self.g_update(fake, fake_y)
        else:  # G sat this batch out: report the loss it would have had, on the batch D just judged
            stats["loss_g"] = F.softplus(-logit_fake).mean()
        return stats

    def pretrain_d(self, steps: int) -> None:
        """The tip "pre-train the discriminator": `steps` updates of D alone, against the untrained G."""
        for _ in range(steps):
            real, real_y = self.next_batch()
            with torch.no_grad():
                fake, fake_y = self.make_fakes(real.size(0))
            self.d_update(self.d_loss(real, real_y, fake, fake_y)[0])

    @property
    def steps_per_epoch(self) -> float:
        return self.data.steps_per_epoch

    @property
    def sampler(self):
        """The generator used for pictures and release: the weight average when EMA is on."""
        return self.G_ema.module if self.args.ema else self.G

    # -- checkpoints ---------------------------------------------------------------------------------------
    def state(self) -> dict:
        return {"project": PROJECT, "step": self.step, "train_seconds": self.train_seconds,
                "config": {k: (str(v) if isinstance(v, Path) else v) for k, v in vars(self.args).items()},
                "model_config": self.model_cfg,
                "G": self.G.state_dict(), "D": self.D.state_dict(), "G_ema": self.G_ema.state_dict(),
                "opt_g": self.opt_g.state_dict(), "opt_d": self.opt_d.state_dict(),
                "rng": ckpt.rng_state(self.noise), "batches_seen": self.batches_seen, "streak": dict(self.streak)}

    def load_state(self, state: dict, path) -> None:
        ckpt.check_same_model(state["model_config"], self.model_cfg, path)
        self.G.load_state_dict(state["G"]), self.D.load_state_dict(state["D"])
        self.G_ema.load_state_dict(state["G_ema"])
        self.opt_g.load_state_dict(state["opt_g"]), self.opt_d.load_state_dict(state["opt_d"])
        ckpt.restore_rng_state(state["rng"], self.noise)
        self.step, self.train_seconds = state["step"], state["train_seconds"]
        self.batches_seen = state.get("batches_seen", self.step)  # older checkpoints: one batch per step
        self.streak = state.get("streak", self.streak)

    # -- pictures and evaluation ---------------------------------------------------------------------------
    @torch.no_grad()
    def save_samples(self, out: Path) -> Path:
        g = self.sampler.eval()
        images = g(self.fixed_z, self.fixed_y if self.model_cfg["num_classes"] else None)
        self.G.train()
        path = save_grid(images, out / "samples" / f"step_{self.step:07d}.png", nrow=10)
        save_grid(images, out / "samples" / "latest.png", nrow=10)
        return path

    def quick_eval(self, classifier, real_features=None) -> dict:
        """quick_eval() of the sampler (the EMA generator when EMA is on) with --eval-samples digits."""
        figures = quick_eval(self.sampler, classifier, self.args.eval_samples, self.device, real_features)
        self.G.train()  # the sampler may be G itself (EMA off): back to training mode
        return figures

    def conditional_accuracy(self, classifier) -> float:
        return self.quick_eval(classifier)["cond_acc"]


@torch.no_grad()
def quick_eval(generator, classifier, n: int, device, real_features=None) -> dict:
    """Conditional accuracy (and Fréchet distance to `real_features`) of n digits, 0..9 in equal shares,
    from the same noise every time so a curve over training is fair. Leaves the generator in eval()."""
    from mnist_gan.classifier import classify
    generator.eval()
    gen = torch.Generator(device).manual_seed(777)
    z = torch.randn(n, generator.z_dim, generator=gen, device=device)
    y = torch.arange(n, device=device) % 10
    pred, feats = classify(classifier, generator(z, y).float())
    figures = {"cond_acc": (pred.to(y.device) == y).float().mean().item()}
    if real_features is not None:
        figures["fd"] = frechet_distance(feats, real_features)
    return figures


def real_test_features(classifier, data_dir):
    """Classifier features of the 10,000 real test digits: the reference for the Fréchet distance (cached)."""
    from mnist_gan.evaluate import real_features
    with torch.no_grad():
        return real_features(classifier, data_dir)[0]


def load_eval_classifier(trainer):
    if not trainer.args.eval_every or not trainer.model_cfg["num_classes"] or not distributed.is_main():
        return None
    from mnist_gan.classifier import load_classifier
    try:
        return load_classifier(device=trainer.device)
    except ckpt.CheckpointError as e:
        print(f"note: no conditional-accuracy curve ({e})", file=sys.stderr)
        return None


def train(args) -> dict:
    out: Path = args.out
    trainer, log = start_run(args, PROJECT, Trainer)
    classifier = load_eval_classifier(trainer)
    test_features = None if classifier is None else real_test_features(classifier, args.data_dir)
    if args.d_pretrain and trainer.step == 0:
        t0 = trainer.clock()
        trainer.pretrain_d(args.d_pretrain)
        trainer.train_seconds += trainer.clock() - t0  # part of the budget: pre-training is not free
        print(f"pre-trained D for {args.d_pretrain} steps ({trainer.train_seconds:.1f} s)")

    def evaluate():
        figures = trainer.quick_eval(classifier, test_features)
        return figures, (f"conditional accuracy {100 * figures['cond_acc']:.1f}%, "
                         f"Fréchet distance {figures['fd']:.1f}")
    postfix = lambda m: dict(D=f"{m['loss_d']:.3f}", G=f"{m['loss_g']:.3f}", Dx=f"{m['d_real']:.2f}",
                             DGz=f"{m['d_fake']:.2f}")
    # Ctrl-C or SIGTERM finishes the current step, then the final checkpoint and pictures are written as usual.
    if not run_loop(trainer, args, out, log, desc="mnist_gan", evaluate=None if classifier is None else evaluate,
                    postfix=postfix):
        return {}  # under torchrun, rank 0 alone evaluates and releases
    summary = {"step": trainer.step, "train_seconds": round(trainer.train_seconds, 1), "device": str(trainer.device)}
    if classifier is not None:
        figures = trainer.quick_eval(classifier, test_features)
        summary.update(cond_acc=figures["cond_acc"], fd=figures["fd"], eval_samples=args.eval_samples)
        log.write(step=trainer.step, train_seconds=round(trainer.train_seconds, 2), **figures)
    log.close()
    plot_training(MetricsLog.read(out / "metrics.jsonl"), out / "training.png", title=f"mnist_gan: {out}")
    release_sampler(trainer, generator_config(trainer.model_cfg), out / "generator.safetensors",
                    extra={"trained": summary})
    print(json.dumps(summary))
    return summary


def main(argv=None):
    run_cli(train, parse_args(argv))


if __name__ == "__main__":
    main()
