"""Reproduce the classic GAN failures with this project's code, for notes/04_failures.md.

    python -m mnist_gan.failures all            # every case (about 10 minutes on 2 CPU cores)
    python -m mnist_gan.failures checkerboard   # one case: checkerboard, bn_trap, tanh, d_wins, collapse

Each case trains the real models through mnist_gan.train.Trainer for a few hundred steps with one
setting changed, writes its pictures to notes/images/failures/, and prints the numbers quoted in the notes.
"""
import argparse
import json
import time
from pathlib import Path

import torch
from torch import nn

from ganlab.data import REPO_ROOT
from ganlab.plotting import save_grid
from mnist_gan.classifier import classify, load_classifier
from mnist_gan.generate import load_generator
from mnist_gan.train import Trainer, parse_args

OUT = REPO_ROOT / "notes" / "images" / "failures"


def build(flags: list[str], seed: int = 0, prepare=None) -> Trainer:
    """A fresh trainer (no EMA, so pictures show G itself); `prepare(trainer)` may alter it first."""
    trainer = Trainer(parse_args([*flags, "--seed", str(seed), "--ema", "0"]))
    if prepare:
        prepare(trainer)
    return trainer


def train_on(trainer: Trainer, steps: int) -> list[dict]:
    """Train `steps` more steps; returns the per-step statistics."""
    history = []
    for _ in range(steps):
        stats = trainer.train_step()
        history.append({k: float(v) for k, v in stats.items()})
        trainer.step += 1
    return history


def run(flags: list[str], steps: int, seed: int = 0, prepare=None) -> tuple[Trainer, list[dict]]:
    trainer = build(flags, seed, prepare)
    return trainer, train_on(trainer, steps)


@torch.no_grad()
def grid_of(trainer: Trainer) -> torch.Tensor:
    trainer.G.eval()
    images = trainer.G(trainer.fixed_z,
                       trainer.fixed_y if trainer.model_cfg["num_classes"] else None)
    trainer.G.train()
    return images


def mean(history, key, last=50):
    tail = history[-last:]
    return sum(h[key] for h in tail) / len(tail)


def checkerboard():
    """Transposed convolution with kernel 3, stride 2 vs nearest-neighbour upsampling + convolution."""
    figures = {}
    for mode in ("transposed3", "nearest"):
        trainer = build(["--upsample", mode])
        for steps in (0, 300):
            train_on(trainer, steps - trainer.step)
            images = grid_of(trainer)
            shown = images[:20]
            if steps == 0:  # untrained outputs vary by ~1e-2: stretch each image's contrast to see the pattern
                lo = shown.amin(dim=(1, 2, 3), keepdim=True)
                hi = shown.amax(dim=(1, 2, 3), keepdim=True)
                shown = (shown - lo) / (hi - lo + 1e-8) * 2 - 1
            save_grid(shown, OUT / f"checkerboard_{mode}_step{steps}.png", nrow=10, scale=3)
            # strength of the 2-pixel period: energy at the highest spatial frequency of each image
            spectrum = torch.fft.fft2(images.squeeze(1)).abs()
            figures[f"{mode}_step{steps}_nyquist_energy"] = float(spectrum[:, 14, 14].mean() / spectrum.mean())
    return figures


def bn_trap():
    """BatchNorm's two modes, met twice: sampling a generator in train() mode, and the owner's trap, a
    discriminator with BatchNorm switched to eval() while the generator learns from it."""
    figures = {}
    g = load_generator()
    torch.manual_seed(5)
    z, y = torch.randn(10, g.z_dim), torch.arange(10)
    with torch.no_grad():
        evaluated = g.eval()(z, y)
        g.train()
        one_by_one = torch.cat([g(z[i:i + 1], y[i:i + 1]) for i in range(10)])
        all_sevens = g(z, torch.full((10,), 7))[:10]
    save_grid(torch.cat([evaluated, one_by_one]), OUT / "bn_trap_sampling.png", nrow=10, scale=2)
    figures["sampling_max_pixel_diff_eval_vs_train_batch1"] = float((evaluated - one_by_one).abs().max())
    judge = load_classifier()
    acc = lambda trainer: trainer.conditional_accuracy(judge)
    for name, flags in {"d_batchnorm_train_mode": ["--d-norm", "batch"],
                        "d_batchnorm_eval_in_g_step": ["--d-norm", "batch", "--d-eval-in-g-step"],
                        "d_no_norm": []}.items():
        trainer, history = run(flags, 800)
        figures[f"{name}_cond_acc"] = acc(trainer)
        figures[f"{name}_d_fake_last50"] = mean(history, "d_fake")
        figures[f"{name}_d_real_last50"] = mean(history, "d_real")
        save_grid(grid_of(trainer)[:40], OUT / f"bn_trap_{name}.png", nrow=10, scale=2)
    return figures


def tanh_saturation():
    """DCGAN init (std 0.02) vs PyTorch-default-looking large weights (std 0.3) in the generator."""
    figures = {}
    for std in (0.02, 0.3):
        def big_init(trainer, std=std):
            for m in trainer.G.modules():
                if isinstance(m, (nn.Conv2d, nn.Linear, nn.Embedding)):
                    nn.init.normal_(m.weight, 0.0, std)
        trainer = build([], prepare=big_init)
        start = grid_of(trainer)
        figures[f"std{std}_saturated_share_at_init"] = float((start.abs() > 0.99).float().mean())
        history = train_on(trainer, 400)
        images = grid_of(trainer)
        figures[f"std{std}_saturated_share_after_400"] = float((images.abs() > 0.99).float().mean())
        figures[f"std{std}_d_fake_last50"] = mean(history, "d_fake")
        save_grid(torch.cat([start[:20], images[:20]]), OUT / f"tanh_std{std}.png", nrow=10)
    return figures


def d_wins():
    """A discriminator 10x faster than the generator, with the original (saturating) G loss and the usual one."""
    figures = {}
    for loss in ("saturating", "nonsaturating"):
        trainer, history = run(["--g-loss", loss, "--lr-d", "2e-3", "--lr-g", "2e-4"], 600)
        figures[f"{loss}_d_fake_last50"] = mean(history, "d_fake")
        figures[f"{loss}_d_real_last50"] = mean(history, "d_real")
        save_grid(grid_of(trainer)[:40], OUT / f"d_wins_{loss}.png", nrow=10)
        (OUT / f"d_wins_{loss}.json").write_text(json.dumps([round(h["d_fake"], 4) for h in history]))
    plot_d_wins()
    return figures


def plot_d_wins():
    import matplotlib

    matplotlib.use("Agg")
    import matplotlib.pyplot as plt

    fig, ax = plt.subplots(figsize=(6, 3))
    for loss in ("saturating", "nonsaturating"):
        trace = json.loads((OUT / f"d_wins_{loss}.json").read_text())
        ax.plot(trace, label=f"G loss: {loss}", lw=0.8)
    ax.set_xlabel("step"), ax.set_ylabel("D(G(z))"), ax.set_ylim(0, 1), ax.legend()
    ax.set_title("D learns 10x faster than G")
    fig.tight_layout()
    fig.savefig(OUT / "d_wins_trace.png", dpi=100)
    plt.close(fig)


def collapse():
    """Unconditional GAN with a learning rate 10x too high and no momentum damping."""
    figures = {}
    judge = load_classifier()
    for name, flags in {"healthy": ["--unconditional"],
                        "collapsed": ["--unconditional", "--lr-g", "2e-3", "--lr-d", "2e-3", "--beta1", "0.9"]}.items():
        trainer, history = run(flags, 1500)
        images = grid_of(trainer)
        save_grid(images[:50], OUT / f"collapse_{name}.png", nrow=10)
        with torch.no_grad():
            trainer.G.eval()
            many = trainer.G(torch.randn(2000, trainer.args.z_dim))
        pred, _ = classify(judge, many)
        share = torch.bincount(pred, minlength=10).float() / len(pred)
        figures[f"{name}_class_share"] = [round(float(s), 3) for s in share]
        figures[f"{name}_pixel_spread"] = float(many.flatten(1).std(0).mean())
    return figures


CASES = {"checkerboard": checkerboard, "bn_trap": bn_trap, "tanh": tanh_saturation, "d_wins": d_wins,
         "collapse": collapse}


def main(argv=None):
    p = argparse.ArgumentParser(prog="python -m mnist_gan.failures", description=__doc__.split("\n\n")[0])
    p.add_argument("case", choices=[*CASES, "all"])
    args = p.parse_args(argv)
    OUT.mkdir(parents=True, exist_ok=True)
    results_path = OUT / "results.json"
    results = json.loads(results_path.read_text()) if results_path.exists() else {}
    for name in CASES if args.case == "all" else [args.case]:
        start = time.time()
        results[name] = {**CASES[name](), "seconds": round(time.time() - start, 1)}
        print(name, json.dumps(results[name], indent=1))
        results_path.write_text(json.dumps(results, indent=1))


if __name__ == "__main__":
    main()
