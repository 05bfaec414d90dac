"""How good are a generator's pictures? Three figures from the project's own CIFAR-10 classifier.

* Fréchet distance (FD) between the classifier's penultimate features of generated images and of the
  10 000 real test images: FID's recipe with this classifier in place of Inception-v3, whose weights
  cannot be downloaded here. Lower is better; numbers compare only with numbers from the same classifier.
* An Inception-Score-like figure, exp(E_x KL(p(y|x) || p(y))) from the classifier's class probabilities:
  high when each picture is clearly one class and all classes appear. 10 is the maximum.
* Conditional accuracy: the share of pictures the classifier puts in the class that was asked for
  (conditional generators only).

For users who can download Inception's weights, `--inception` adds the real FID through torchmetrics
(`pip install torchmetrics[image]`); without the package or the download it says why and carries on.

    python -m cifar10_gan.evaluate cifar10_gan/release/generator.safetensors runs/cifar10_dcgan/generator.safetensors
    python -m cifar10_gan.evaluate runs/cifar10_sngan/generator.safetensors --samples 10000 --inception
    python -m cifar10_gan.evaluate --curve runs/cifar10_dcgan runs/cifar10_sngan --samples 2000 --plot fd.png
"""
import argparse
import json
from pathlib import Path

import torch

from ganlab import checkpoint as ckpt
from ganlab import cli
from ganlab.data import DataError, load_cifar10, to_unit_range
from ganlab.images import CACHE_DIR
from ganlab.metrics import frechet_distance
from cifar10_gan.classifier import WEIGHTS, classify, load_classifier
from cifar10_gan.models import build_generator


def inception_like_score(probs: torch.Tensor) -> float:
    """exp(mean KL(p(y|x) || p(y))), with p(y) the average of the p(y|x) over the set."""
    p = probs.double().clamp(min=1e-12)
    marginal = p.mean(0, keepdim=True)
    return float((p * (p.log() - marginal.log())).sum(1).mean().exp())


def load_generator(path, device="cpu"):
    model, meta = ckpt.load_release(path, build_generator)
    return model.to(device).eval(), meta


@torch.no_grad()
def generate(generator, n: int, seed: int = 777, batch_size: int = 500):
    """n images and the classes asked for (0..9 in equal shares), from the same noise every time."""
    device = next(generator.parameters()).device
    gen = torch.Generator(device).manual_seed(seed)
    z = torch.randn(n, generator.z_dim, generator=gen, device=device)
    y = torch.arange(n, device=device) % 10
    images = torch.cat([generator(zs, ys).float() for zs, ys in zip(z.split(batch_size), y.split(batch_size))])
    return images, y


class Judge:
    """The classifier plus the real test images' features, computed once and reused for every evaluation."""

    def __init__(self, device="cpu", data_dir=None, classifier_path: Path = WEIGHTS, real_limit: int = 0,
                 cache_dir="default"):
        self.classifier = load_classifier(classifier_path, device)
        x, y = load_cifar10("test", data_dir, cache_dir=cache_dir)
        if real_limit:
            x, y = x[:: max(1, len(x) // real_limit)], y[:: max(1, len(y) // real_limit)]
        probs, self.real_features = classify(self.classifier, to_unit_range(x))
        self.real_accuracy = (probs.argmax(1).cpu() == y).float().mean().item()
        self.real_is = inception_like_score(probs)

    def evaluate(self, generator, n: int, conditional: bool = True) -> dict:
        generator.eval()
        images, asked = generate(generator, n)
        probs, feats = classify(self.classifier, images)
        figures = {"fd": frechet_distance(feats, self.real_features), "is_like": inception_like_score(probs)}
        if conditional:
            figures["cond_acc"] = (probs.argmax(1) == asked.to(probs.device)).float().mean().item()
        return figures

    @staticmethod
    def describe(figures: dict) -> str:
        text = f"FD {figures['fd']:.1f}, IS-like {figures['is_like']:.2f}"
        if "cond_acc" in figures:
            text += f", conditional accuracy {100 * figures['cond_acc']:.1f}%"
        return text


def generator_from_checkpoint(path, device="cpu"):
    """The sampler of a training checkpoint: the EMA generator when the run kept one, else G."""
    state = ckpt.load_checkpoint(path, "cifar10_gan", map_location=device)
    cfg = state["model_config"]
    generator = build_generator(cfg["arch"], cfg["z_dim"], cfg["width"], cfg["num_classes"])
    if state["config"].get("ema"):
        weights = {k.removeprefix("module."): v for k, v in state["G_ema"].items() if k.startswith("module.")}
    else:
        weights = state["G"]
    generator.load_state_dict(weights)
    return generator.to(device).eval(), state


def quality_curve(run_dir: Path, judge: Judge, n: int) -> list[dict]:
    """The figures of every checkpoint a run kept, against its training time."""
    rows = []
    for path in ckpt.list_checkpoints(run_dir):
        generator, state = generator_from_checkpoint(path, next(judge.classifier.parameters()).device)
        figures = judge.evaluate(generator, n, conditional=generator.num_classes > 0)
        rows.append({"step": state["step"], "minutes": round(state["train_seconds"] / 60, 2), **figures})
        print(f"{run_dir} step {state['step']:6d} ({rows[-1]['minutes']:5.1f} min): {judge.describe(figures)}",
              flush=True)
    if not rows:
        raise ckpt.CheckpointError(f"{run_dir} holds no checkpoints to evaluate")
    return rows


def plot_curves(curves: dict, path: Path, clock: str = "training minutes") -> Path:
    import matplotlib

    matplotlib.use("Agg")
    import matplotlib.pyplot as plt

    fig, ax = plt.subplots(figsize=(6, 3.8))
    for name, rows in curves.items():
        ax.plot([r["minutes"] for r in rows], [r["fd"] for r in rows], marker="o", ms=3, label=name)
    ax.set_yscale("log")
    ax.set_xlabel(clock)
    ax.set_ylabel("Fréchet distance (classifier features)")
    ax.set_title("CIFAR-10: distance to the real test images over training")
    ax.grid(alpha=0.3, which="both")
    ax.legend()
    fig.tight_layout()
    Path(path).parent.mkdir(parents=True, exist_ok=True)
    fig.savefig(path, dpi=110)
    plt.close(fig)
    return Path(path)


@torch.no_grad()
def save_side_by_side(generators: dict, path: Path, per_class: int = 8) -> Path:
    """One panel per generator, side by side: a row per class (per_class samples each) for conditional
    generators, the same number of unconditional samples for the others. Same noise for every panel."""
    from torchvision.utils import make_grid

    from ganlab.plotting import save_grid

    panels = []
    for generator in generators.values():
        generator.eval()
        gen = torch.Generator().manual_seed(2024)
        z = torch.randn(10 * per_class, generator.z_dim, generator=gen)
        y = torch.arange(10).repeat_interleave(per_class)
        panels.append(make_grid(generator(z, y).float().clamp(-1, 1), nrow=per_class, padding=2, pad_value=1.0))
    gap = torch.ones(3, panels[0].shape[1], 12)
    joined = torch.cat([t for panel in panels for t in (panel, gap)][:-1], dim=2)
    return save_grid(joined[None], path, nrow=1, padding=0, scale=2)


def inception_fid(generator, n: int, data_dir=None, device="cpu"):
    """(FID with Inception-v3 via torchmetrics, None) or (None, why it could not be computed)."""
    try:
        from torchmetrics.image.fid import FrechetInceptionDistance
    except Exception as e:  # not installed (it is optional), or a broken install
        return None, f"torchmetrics[image] is not installed ({type(e).__name__}); pip install 'torchmetrics[image]'"
    try:
        fid = FrechetInceptionDistance(feature=2048, normalize=True).to(device)
    except Exception as e:  # the Inception weights are downloaded on first use
        return None, f"Inception-v3 weights could not be loaded ({type(e).__name__}: {str(e)[:100]})"
    x, _ = load_cifar10("test", data_dir)
    for chunk in x.split(500):
        fid.update(chunk.to(device).float() / 255, real=True)
    images, _ = generate(generator, n)
    for chunk in images.split(500):
        fid.update(((chunk + 1) / 2).clamp(0, 1).to(device), real=False)
    return float(fid.compute()), None


def main(argv=None):
    p = argparse.ArgumentParser(prog="python -m cifar10_gan.evaluate", description=__doc__.split("\n\n")[0],
                                formatter_class=argparse.ArgumentDefaultsHelpFormatter)
    p.add_argument("generators", nargs="*", type=cli.release_file,
                   help="released generators (.safetensors with .json beside)")
    p.add_argument("--curve", nargs="+", type=cli.existing_dir, default=None,
                   help="instead: evaluate every checkpoint of these run folders (figures over training time)")
    p.add_argument("--plot", type=cli.output_file, default=None, help="with --curve: draw FD over time into this PNG")
    p.add_argument("--samples", type=cli.int_in(20), default=10000, help="generated images per generator")
    p.add_argument("--data-dir", type=cli.existing_path, default=None)
    p.add_argument("--cache-dir", type=cli.output_dir, default=CACHE_DIR, help="where the decoded images are cached")
    p.add_argument("--classifier", type=cli.release_file, default=WEIGHTS)
    p.add_argument("--inception", action="store_true", help="also the real FID (needs torchmetrics and a download)")
    p.add_argument("--json", type=cli.output_file, default=None, help="write the figures here")
    p.add_argument("--grid", type=cli.output_file, default=None,
                   help="also save the generators' samples side by side here")
    p.add_argument("--device", type=cli.device, default="cpu")
    args = p.parse_args(argv)
    if not args.generators and not args.curve:
        p.error("name released generators, or run folders with --curve")
    for run in args.curve or []:
        if not ckpt.list_checkpoints(run):
            p.error(f"argument --curve: {run} holds no checkpoints (ckpt_*.pt) to evaluate")
    try:
        judge = Judge(args.device, args.data_dir, args.classifier, cache_dir=args.cache_dir)
        if args.curve:
            curves = {}
            for run in args.curve:
                rows = quality_curve(run, judge, args.samples)
                arch = ckpt.load_checkpoint(ckpt.latest_checkpoint(run), "cifar10_gan")["config"]["arch"]
                curves[f"{arch} ({run.name})"] = rows
            if args.json:
                args.json.parent.mkdir(parents=True, exist_ok=True)
                args.json.write_text(json.dumps({"samples": args.samples, "curves": curves}, indent=2) + "\n")
            if args.plot:
                plot_curves(curves, args.plot)
            return curves
        x, _ = load_cifar10("train", args.data_dir, cache_dir=args.cache_dir)
        _, train_feats = classify(judge.classifier, to_unit_range(x[::5][:args.samples]))
        panels = {}
        results = {"real train images vs test": {"fd": frechet_distance(train_feats, judge.real_features),
                                                 "is_like": judge.real_is, "cond_acc": judge.real_accuracy}}
        for path in args.generators:
            generator, meta = load_generator(path, args.device)
            conditional = generator.num_classes > 0
            figures = judge.evaluate(generator, args.samples, conditional)
            if args.inception:
                figures["inception_fid"], why = inception_fid(generator, args.samples, args.data_dir, args.device)
                if why:
                    print(f"note: no Inception FID for {path}: {why}")
            results[str(path)] = {**figures, "arch": meta["config"]["arch"]}
            if args.grid:
                panels[str(path)] = generator.cpu()
    except (DataError, ckpt.CheckpointError) as e:
        raise SystemExit(f"error: {e}")
    print(f"{'':60s} {'FD':>8s} {'IS-like':>8s} {'cond acc':>9s}")
    for name, f in results.items():
        acc = f"{100 * f['cond_acc']:8.1f}%" if "cond_acc" in f else f"{'-':>9s}"
        print(f"{name[-60:]:60s} {f['fd']:8.2f} {f['is_like']:8.2f} {acc}")
    if args.json:
        args.json.parent.mkdir(parents=True, exist_ok=True)
        args.json.write_text(json.dumps({"samples": args.samples, "results": results}, indent=2) + "\n")
    if args.grid:
        print(f"wrote {save_side_by_side(panels, args.grid)}")
    return results


if __name__ == "__main__":
    main()
