"""How good is a generator? Measured with the project's own MNIST classifier.

    python -m mnist_gan.evaluate                                  # the released generator
    python -m mnist_gan.evaluate runs/mnist_gan/ckpt_00004000.pt --n 10000

Prints (a) conditional accuracy: the share of generated digits the classifier reads as the digit asked for,
(b) Fréchet distance between classifier features of the generated digits and of the real test set
(lower is better; the test set against the training set gives the floor), and (c) per-class figures:
accuracy, Fréchet distance within each class, and how often each digit is produced, which exposes mode
collapse — a missing digit, or a digit drawn in only one style.
"""
import argparse
import hashlib
import json
import pickle
from pathlib import Path

import torch

from ganlab import checkpoint as ckpt
from ganlab import cli
from ganlab.data import DataError, load_mnist, to_unit_range
from ganlab.images import CACHE_DIR
from ganlab.metrics import frechet_distance
from mnist_gan.classifier import classify, load_classifier
from mnist_gan.generate import RELEASED, load_generator


@torch.no_grad()
def generated_images(g, n: int, seed: int = 0, batch: int = 1000) -> tuple[torch.Tensor, torch.Tensor]:
    """n images with digits 0..9 in equal shares (random digits for an unconditional generator: None)."""
    gen = torch.Generator().manual_seed(seed)
    images, labels = [], []
    for start in range(0, n, batch):
        m = min(batch, n - start)
        y = (torch.arange(start, start + m) % 10)
        z = torch.randn(m, g.z_dim, generator=gen)
        images.append(g(z, y if g.num_classes else None))
        labels.append(y)
    return torch.cat(images), (torch.cat(labels) if g.num_classes else None)


@torch.no_grad()
def real_features(classifier, data_dir=None, split="test", limit: int | None = None, cache_dir=CACHE_DIR):
    """The classifier's features, labels and predictions for the real digits of `split` (the first `limit`).
    Cached in cache_dir under a hash of the classifier's weights and of the digits: every training run's
    quality curve and every evaluation needs them, and the 10,000 test digits take a CPU thread ~15 s."""
    x, y = load_mnist(split, data_dir)
    x, y = x[:limit], y[:limit]
    key = hashlib.sha1(x.numpy().tobytes())
    for t in classifier.state_dict().values():
        key.update(t.detach().cpu().contiguous().numpy().tobytes())
    path = Path(cache_dir) / f"mnist_{split}_features_{x.shape[0]}_{key.hexdigest()[:16]}.pt"
    device = next(classifier.parameters()).device
    try:
        cached = torch.load(path, weights_only=True)
        return cached["feats"].to(device), y, cached["pred"].to(device)
    except (OSError, RuntimeError, KeyError, EOFError, pickle.UnpicklingError):
        pass  # not made yet, or damaged: made again
    pred, feats = classify(classifier, to_unit_range(x).unsqueeze(1).to(device))
    ckpt.atomic_write(path, lambda f: torch.save({"feats": feats.cpu(), "pred": pred.cpu()}, f))
    return feats, y, pred


def evaluate(g, classifier, real_feats, real_y, n: int = 10_000, seed: int = 0) -> dict:
    images, asked = generated_images(g, n, seed)
    pred, feats = classify(classifier, images)
    result = {"n": n, "frechet_distance": frechet_distance(feats, real_feats),
              "class_share": [float((pred == c).float().mean()) for c in range(10)]}
    if asked is not None:
        result["cond_acc"] = float((pred == asked).float().mean())
        result["per_class"] = [
            {"digit": c, "acc": float((pred[asked == c] == c).float().mean()),
             "frechet_distance": frechet_distance(feats[asked == c], real_feats[real_y == c])}
            for c in range(10)]
    return result


def format_report(r: dict, name: str) -> str:
    lines = [f"generator: {name}", f"samples:   {r['n']}"]
    if "cond_acc" in r:
        lines.append(f"conditional accuracy: {100 * r['cond_acc']:.2f}%")
    lines.append(f"Fréchet distance (classifier features, vs test set): {r['frechet_distance']:.3f}")
    if "floor" in r:
        lines.append(f"  floor (real train digits vs test set):             {r['floor']:.3f}")
    lines.append("digit  share%" + ("   acc%   FD" if "per_class" in r else ""))
    for c in range(10):
        row = f"  {c}    {100 * r['class_share'][c]:5.1f}"
        if "per_class" in r:
            pc = r["per_class"][c]
            row += f"  {100 * pc['acc']:5.1f}  {pc['frechet_distance']:6.3f}"
        lines.append(row)
    return "\n".join(lines)


def main(argv=None):
    p = argparse.ArgumentParser(prog="python -m mnist_gan.evaluate", description=__doc__.split("\n\n")[0])
    p.add_argument("weights", nargs="?", type=cli.weights_file, default=RELEASED,
                   help="released .safetensors (default: the committed one) or a training ckpt_*.pt")
    p.add_argument("--textbook", action="store_true",
                   help="the weights are mnist_gan.baseline's textbook DCGAN (unconditional), not this project's model")
    p.add_argument("--n", type=cli.int_in(20), default=10_000,
                   help="generated samples (at least 20: two per class for a covariance)")
    p.add_argument("--seed", type=int, default=0)
    p.add_argument("--data-dir", type=cli.existing_path, default=None,
                   help="folder with mnist.npz (default: ../shared/data/mnist)")
    p.add_argument("--floor", action="store_true", help="also measure 10k real training digits vs the test set")
    p.add_argument("--json", type=cli.output_file, default=None, help="also write the figures here")
    args = p.parse_args(argv)
    try:
        if args.textbook:
            from mnist_gan.baseline import DCGANGenerator
            g = ckpt.load_release(args.weights, DCGANGenerator)[0].eval()
        else:
            g = load_generator(args.weights)
        classifier = load_classifier()
        feats, y, _ = real_features(classifier, args.data_dir)
        r = evaluate(g, classifier, feats, y, args.n, args.seed)
        if args.floor:
            train_feats, _, _ = real_features(classifier, args.data_dir, split="train")
            r["floor"] = frechet_distance(train_feats[: args.n], feats)
    except (DataError, ckpt.CheckpointError) as e:
        raise SystemExit(f"error: {e}")
    print(format_report(r, str(args.weights)))
    if args.json:
        args.json.parent.mkdir(parents=True, exist_ok=True)
        args.json.write_text(json.dumps(r, indent=2))


if __name__ == "__main__":
    main()
