"""The CIFAR-10 classifier that judges the generators.

Inception-v3's weights (the usual FID) cannot be downloaded here, so the project trains its own judge, as
it did for MNIST: a small VGG-like network (conv, pool, BatchNorm, GELU; three stages) in the spirit of the
fast CIFAR-10 training recipes (Page 2018, "How to train your ResNet"; Jordan 2024, "94% on CIFAR-10 in
3.29 seconds"): BatchNorm everywhere, a short triangular learning-rate schedule, label smoothing, flips and
2-pixel translations, and test-time augmentation over mirrored and shifted views. It is used three ways:
conditional accuracy (is the picture the class that was asked for?), the Fréchet distance between its
penultimate features for generated and real test images, and an Inception-Score-like figure from its class
probabilities.

    python -m cifar10_gan.classifier                # trains it (about 1 hour on 2 CPU cores, minutes on a GPU)
    python -m cifar10_gan.classifier --evaluate     # test accuracy of the committed weights
"""
import argparse
import time
from pathlib import Path

import torch
import torch.nn.functional as F
from torch import nn
from tqdm import tqdm

from ganlab import cli
from ganlab.checkpoint import CheckpointError, load_release, save_release
from ganlab.data import DataError, load_cifar10, to_unit_range
from ganlab.device import pick_device
from ganlab.images import CACHE_DIR

WEIGHTS = Path(__file__).resolve().parent / "weights" / "classifier.safetensors"


def conv_bn(c_in: int, c_out: int, pool: bool = False) -> nn.Sequential:
    layers = [nn.Conv2d(c_in, c_out, 3, padding=1, bias=False)]
    if pool:  # pooling before the norm and activation: they then run on a quarter of the pixels
        layers.append(nn.MaxPool2d(2))
    return nn.Sequential(*layers, nn.BatchNorm2d(c_out), nn.GELU())


class Classifier(nn.Module):
    """32x32 -> stem -> three stages (each halves the size) -> global max pool -> `features` -> 10 logits."""

    def __init__(self, widths: tuple = (64, 128, 192), stem: int = 32):
        super().__init__()
        self.widths, self.stem = tuple(widths), stem
        stages, c = [conv_bn(3, stem)], stem
        for w in widths:
            stages += [conv_bn(c, w, pool=True), conv_bn(w, w)]
            c = w
        self.body = nn.Sequential(*stages, nn.AdaptiveMaxPool2d(1), nn.Flatten())
        self.head = nn.Linear(c, 10, bias=False)
        self.feature_dim = c

    def features(self, x: torch.Tensor) -> torch.Tensor:
        return self.body(x)

    def forward(self, x: torch.Tensor) -> torch.Tensor:
        return self.head(self.body(x))


def load_classifier(path: Path = WEIGHTS, device="cpu") -> Classifier:
    if not Path(path).is_file():
        raise CheckpointError(f"classifier weights {path} are missing; train them with python -m cifar10_gan.classifier")
    model, _ = load_release(path, Classifier)
    return model.to(device).eval()


def tta_views(x: torch.Tensor, tta: str):
    """(view, weight) pairs for test-time augmentation: the image, its mirror, and for "multicrop" also the
    image shifted one pixel up-left and one down-right, each mirrored too, at half weight (the test-time
    augmentation of Jordan 2024's fast CIFAR-10 trainer)."""
    yield x, 1.0
    if tta in ("flip", "multicrop"):
        yield x.flip(3), 1.0
    if tta == "multicrop":
        padded = F.pad(x, [1] * 4, mode="reflect")
        for crop in (padded[:, :, :-2, :-2], padded[:, :, 2:, 2:]):
            yield crop, 0.5
            yield crop.flip(3), 0.5


TTA = ("none", "flip", "multicrop")


@torch.no_grad()
def classify(model: Classifier, images: torch.Tensor, batch_size: int = 500, tta: str = "multicrop"):
    """(class probabilities [N, 10], features [N, D]) for images in [-1, 1], [N, 3, 32, 32].

    Features are averaged over the test-time views (`tta`); the logits are the linear head applied to that
    average, which is the same as averaging the views' logits."""
    if tta not in TTA:
        raise ValueError(f"tta must be one of {TTA}, not {tta!r}")
    device = next(model.parameters()).device
    probs, feats = [], []
    for chunk in images.split(batch_size):
        chunk = chunk.to(device, torch.float32)
        total, weights = 0, 0.0
        for view, weight in tta_views(chunk, tta):
            total = total + weight * model.features(view.contiguous(memory_format=torch.channels_last))
            weights += weight
        f = (total / weights).float()
        feats.append(f)
        probs.append(model.head(f).float().softmax(1))
    return torch.cat(probs), torch.cat(feats)


def augment(x: torch.Tensor, generator: torch.Generator, shift: int = 2) -> torch.Tensor:
    """Random horizontal flips and translations by up to `shift` pixels (reflect-padded), per image, with
    no Python loop over the batch: one gather builds every shifted crop."""
    n, _, h, w = x.shape
    flip = torch.rand(n, generator=generator, device=x.device) < 0.5
    x = torch.where(flip[:, None, None, None], x.flip(3), x)
    padded = F.pad(x, [shift] * 4, mode="reflect")
    dy, dx = torch.randint(0, 2 * shift + 1, (2, n), generator=generator, device=x.device)
    rows = (dy[:, None] + torch.arange(h, device=x.device))[:, None, :, None]
    cols = (dx[:, None] + torch.arange(w, device=x.device))[:, None, None, :]
    batch = torch.arange(n, device=x.device)[:, None, None, None]
    channel = torch.arange(x.size(1), device=x.device)[None, :, None, None]
    return padded[batch, channel, rows, cols]


def accuracy(model: Classifier, x_uint8: torch.Tensor, y: torch.Tensor, tta: str = "multicrop") -> float:
    model.eval()
    probs, _ = classify(model, to_unit_range(x_uint8), tta=tta)
    return (probs.argmax(1).cpu() == y.cpu()).float().mean().item()


def train(args) -> float:
    torch.manual_seed(args.seed)
    torch.set_num_threads(args.threads) if args.threads else None
    device = pick_device(args.device)
    x_train, y_train = load_cifar10("train", args.data_dir, cache_dir=args.cache_dir)
    x_test, y_test = load_cifar10("test", args.data_dir, cache_dir=args.cache_dir)
    if args.limit:
        step = max(1, len(x_train) // args.limit)  # evenly spaced: the shared file is sorted by class
        x_train, y_train = x_train[::step], y_train[::step]
        x_test, y_test = x_test[::10], y_test[::10]
    x_train, y_train = x_train.to(device), y_train.to(device)
    model = Classifier(tuple(args.widths)).to(device).to(memory_format=torch.channels_last)
    decay, no_decay = [], []
    for name, p in model.named_parameters():
        (no_decay if p.ndim <= 1 else decay).append(p)  # no weight decay on BatchNorm's scales and shifts
    opt = torch.optim.SGD([{"params": decay, "weight_decay": args.weight_decay},
                           {"params": no_decay, "weight_decay": 0.0}], lr=args.lr, momentum=0.9, nesterov=True)
    steps_per_epoch = len(x_train) // args.batch_size
    total = args.epochs * steps_per_epoch
    warmup = max(1, int(0.2 * total))  # triangular: up for the first 20 %, then linearly down to zero
    sched = torch.optim.lr_scheduler.LambdaLR(
        opt, lambda s: (s + 1) / warmup if s < warmup else max(0.0, (total - s) / (total - warmup)))
    gen = torch.Generator(device).manual_seed(args.seed)
    start, acc = time.time(), 0.0
    for epoch in range(args.epochs):
        model.train()
        perm = torch.randperm(len(x_train), generator=gen, device=device)
        bar = tqdm(range(steps_per_epoch), desc=f"epoch {epoch + 1}/{args.epochs}", dynamic_ncols=True,
                   disable=args.quiet)
        for i in bar:
            idx = perm[i * args.batch_size:(i + 1) * args.batch_size]
            x = augment(to_unit_range(x_train[idx]), gen).contiguous(memory_format=torch.channels_last)
            loss = F.cross_entropy(model(x), y_train[idx], label_smoothing=args.label_smoothing)
            opt.zero_grad(set_to_none=True)
            loss.backward()
            opt.step()
            sched.step()
            if i % 20 == 0:
                bar.set_postfix(loss=f"{loss.item():.3f}")
        if args.eval_each_epoch and epoch < args.epochs - 1:
            acc = accuracy(model, x_test, y_test, tta="flip")
            print(f"epoch {epoch + 1}: test accuracy {100 * acc:.2f}% (flip TTA, {time.time() - start:.0f} s)", flush=True)
    train_seconds = round(time.time() - start, 1)
    by_tta = report_accuracy(model, x_test, y_test, f"after {args.epochs} epochs ({train_seconds:.0f} s)")
    model.eval().to(memory_format=torch.contiguous_format)
    save_release(model.cpu(), {"widths": list(model.widths), "stem": model.stem}, args.out,
                 extra=accuracy_meta(by_tta, len(x_test)) | {"epochs": args.epochs, "train_seconds": train_seconds})
    print(f"saved {args.out}")
    return by_tta["multicrop"]


def report_accuracy(model: Classifier, x_test, y_test, where: str) -> dict:
    """Test accuracy under each test-time augmentation, printed; the judge uses "multicrop"."""
    by_tta = {tta: accuracy(model, x_test, y_test, tta) for tta in TTA}
    print(f"{where}: test accuracy on {len(x_test)} images: " +
          ", ".join(f"{100 * a:.2f}% ({tta} TTA)" for tta, a in by_tta.items()), flush=True)
    return by_tta


def accuracy_meta(by_tta: dict, test_images: int) -> dict:
    return {"test_accuracy": by_tta["multicrop"], "tta": "multicrop", "test_accuracy_by_tta": by_tta,
            "test_images": test_images}


def main(argv=None):
    p = argparse.ArgumentParser(prog="python -m cifar10_gan.classifier",
                                description="Train (or check) the CIFAR-10 classifier used to evaluate generators.",
                                formatter_class=argparse.ArgumentDefaultsHelpFormatter)
    p.add_argument("--data-dir", type=cli.existing_path, default=None,
                   help="cifar10_jpg.npz or a folder holding it (default: ../shared/data/cifar10, else download)")
    p.add_argument("--cache-dir", type=cli.output_dir, default=CACHE_DIR, help="where the decoded images are cached")
    p.add_argument("--evaluate", action="store_true", help="only report the test accuracy of --out's weights")
    p.add_argument("--epochs", type=cli.positive_int, default=20)
    p.add_argument("--batch-size", type=cli.positive_int, default=256)
    p.add_argument("--lr", type=cli.positive_float, default=0.2, help="peak SGD learning rate (Nesterov momentum 0.9)")
    p.add_argument("--weight-decay", type=cli.non_negative_float, default=5e-4)
    p.add_argument("--label-smoothing", type=cli.float_in(0, 1), default=0.2)
    p.add_argument("--widths", type=cli.positive_int, nargs=3, default=[64, 128, 192],
                   help="channels of the three stages")
    p.add_argument("--limit", type=cli.non_negative_int, default=0,
                   help="train on about this many images (0: all); for tests")
    p.add_argument("--eval-each-epoch", action="store_true")
    p.add_argument("--threads", type=cli.non_negative_int, default=0, help="CPU threads (0: PyTorch's default)")
    p.add_argument("--seed", type=int, default=0)
    p.add_argument("--device", type=cli.device, default="auto")
    p.add_argument("--quiet", action="store_true")
    p.add_argument("--out", type=cli.output_file, default=WEIGHTS,
                   help="where the weights are written (with --evaluate: read; released weights with .json beside)")
    args = p.parse_args(argv)
    if args.evaluate:  # --out is then the weights to read, so they must be there
        cli.check(p, "--out", cli.release_file, args.out)
    try:
        if args.evaluate:
            x, y = load_cifar10("test", args.data_dir, cache_dir=args.cache_dir)
            report_accuracy(load_classifier(args.out), x, y, str(args.out))
        else:
            train(args)
    except (DataError, CheckpointError) as e:
        raise SystemExit(f"error: {e}")


if __name__ == "__main__":
    main()
