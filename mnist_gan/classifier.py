"""The MNIST classifier that judges the generator.

A GAN has no accuracy of its own, so this project trains an ordinary CNN on the real digits and uses it
three ways: (a) conditional accuracy — does the generator draw the digit it was asked for? (b) Fréchet
distance between its penultimate-layer features for generated and real test digits, (c) per-class
coverage, to see whether some digits (or some styles) went missing.

    python -m mnist_gan.classifier            # trains it (~5 min on 2 CPU cores) and saves the weights
"""
import argparse
import time
from pathlib import Path

import torch
import torch.nn.functional as F
from torch import nn
from tqdm import tqdm

from ganlab.checkpoint import CheckpointError, load_release, save_release
from ganlab import cli
from ganlab.data import DataError, load_mnist, to_unit_range
from ganlab.device import pick_device

WEIGHTS = Path(__file__).resolve().parent / "weights" / "classifier.safetensors"


class Classifier(nn.Module):
    """Two conv blocks and a 128-unit hidden layer; `features` is that hidden layer."""

    def __init__(self, width: int = 32, feature_dim: int = 128):
        super().__init__()
        w = width
        self.body = nn.Sequential(
            nn.Conv2d(1, w, 3, padding=1), nn.BatchNorm2d(w), nn.ReLU(),
            nn.Conv2d(w, w, 3, padding=1), nn.BatchNorm2d(w), nn.ReLU(), nn.MaxPool2d(2),           # 14x14
            nn.Conv2d(w, 2 * w, 3, padding=1), nn.BatchNorm2d(2 * w), nn.ReLU(),
            nn.Conv2d(2 * w, 2 * w, 3, padding=1), nn.BatchNorm2d(2 * w), nn.ReLU(), nn.MaxPool2d(2),  # 7x7
            nn.Flatten(), nn.Linear(2 * w * 7 * 7, feature_dim), nn.ReLU())
        self.head = nn.Sequential(nn.Dropout(0.3), nn.Linear(feature_dim, 10))

    def features(self, x: torch.Tensor) -> torch.Tensor:
        return self.body(x)

    def forward(self, x: torch.Tensor) -> torch.Tensor:
        return self.head(self.body(x))


def load_classifier(path: Path = WEIGHTS, device="cpu") -> Classifier:
    if not Path(path).is_file():
        raise CheckpointError(f"classifier weights {path} are missing; train them with python -m mnist_gan.classifier")
    model, _ = load_release(path, Classifier)
    return model.to(device).eval()


@torch.no_grad()
def classify(model: Classifier, images: torch.Tensor, batch_size: int = 1000) -> tuple[torch.Tensor, torch.Tensor]:
    """(predicted labels, features) for images in [-1, 1], [N, 1, 28, 28]."""
    preds, feats = [], []
    for chunk in images.split(batch_size):
        f = model.features(chunk)
        feats.append(f)
        preds.append(model.head(f).argmax(1))
    return torch.cat(preds), torch.cat(feats)


def random_shift(x: torch.Tensor, max_shift: int = 2) -> torch.Tensor:
    """Shift each image by up to max_shift pixels (cheap augmentation that makes it robust to offsets)."""
    padded = F.pad(x, [max_shift] * 4, value=-1.0)
    n, _, h, w = x.shape
    dx, dy = torch.randint(0, 2 * max_shift + 1, (2,)).tolist()
    return padded[:, :, dy:dy + h, dx:dx + w]


def train(args) -> float:
    torch.manual_seed(args.seed)
    device = pick_device(args.device)
    x_train, y_train = load_mnist("train", args.data_dir)
    x_test, y_test = load_mnist("test", args.data_dir)
    x_train, y_train = to_unit_range(x_train).unsqueeze(1).to(device), y_train.to(device)
    x_test, y_test = to_unit_range(x_test).unsqueeze(1).to(device), y_test.to(device)
    model = Classifier().to(device)
    opt = torch.optim.AdamW(model.parameters(), lr=args.lr, weight_decay=1e-4)
    steps_per_epoch = len(x_train) // args.batch_size
    sched = torch.optim.lr_scheduler.OneCycleLR(opt, args.lr, total_steps=args.epochs * steps_per_epoch)
    start = time.time()
    for epoch in range(args.epochs):
        model.train()
        perm = torch.randperm(len(x_train), device=device)
        bar = tqdm(range(steps_per_epoch), desc=f"epoch {epoch + 1}/{args.epochs}", dynamic_ncols=True)
        for i in bar:
            idx = perm[i * args.batch_size:(i + 1) * args.batch_size]
            loss = F.cross_entropy(model(random_shift(x_train[idx])), y_train[idx])
            opt.zero_grad(set_to_none=True)
            loss.backward()
            opt.step()
            sched.step()
            if i % 50 == 0:
                bar.set_postfix(loss=f"{loss.item():.4f}")
        model.eval()
        pred, _ = classify(model, x_test)
        acc = (pred == y_test).float().mean().item()
        print(f"epoch {epoch + 1}: test accuracy {100 * acc:.2f}%  ({time.time() - start:.0f}s)")
    save_release(model, {}, args.out, extra={"test_accuracy": acc, "epochs": args.epochs,
                                            "train_seconds": round(time.time() - start, 1)})
    print(f"saved {args.out}")
    return acc


def main(argv=None):
    p = argparse.ArgumentParser(prog="python -m mnist_gan.classifier",
                                description="Train the MNIST classifier used to evaluate generators.")
    p.add_argument("--data-dir", type=cli.existing_path, default=None,
                   help="folder with mnist.npz (default: ../shared/data/mnist, else download)")
    p.add_argument("--epochs", type=cli.positive_int, default=3)
    p.add_argument("--batch-size", type=cli.positive_int, default=128)
    p.add_argument("--lr", type=cli.positive_float, default=3e-3)
    p.add_argument("--seed", type=int, default=0)
    p.add_argument("--device", type=cli.device, default="auto")
    p.add_argument("--out", type=cli.output_file, default=WEIGHTS)
    args = p.parse_args(argv)
    try:
        train(args)
    except DataError as e:
        raise SystemExit(f"error: {e}")


if __name__ == "__main__":
    main()
