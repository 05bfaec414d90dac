"""Extra losses for sketch2real's trainer, each off by default: the colour pen's (--hint-colour) and a perceptual
L1 (--perceptual) between what a frozen classifier sees in the generated and in the real photo.

Perceptual losses (Johnson et al. 2016; pix2pixHD's VGG loss) usually use an ImageNet VGG, whose weights
cannot be downloaded here; the project's own CIFAR-10 classifier (cifar10_gan.classifier) stands in. It
was trained on 32x32 pictures, so both photos are shrunk to 32 pixels on their shorter side first: the loss
compares layout, colour and coarse texture, not the full-size pixels (L1 and the discriminator do those).
"""
from pathlib import Path

import torch
import torch.nn.functional as F
from torch import nn

from cifar10_gan.classifier import WEIGHTS as CLASSIFIER_WEIGHTS
from cifar10_gan.classifier import load_classifier
from sketch2real.hints import hint_colour

CLASSIFIER_SIZE = 32  # the classifier's training pictures were 32x32 (CIFAR-10)


def hint_colour_l1(fake: torch.Tensor, hints: torch.Tensor) -> torch.Tensor:
    """L1 between the generated picture's local colour (3x3 mean) and the asked-for colour, over the pixels a
    hint mostly covers: the mean per picture, then over the batch (a picture without hints adds 0). Per
    picture, so that a batch split across processes (torchrun) gives the same loss as the whole batch. The
    local mean leaves the model its texture; the evaluation's colour error is measured on the same pixels."""
    colour, where = hint_colour(hints)
    local = F.avg_pool2d(fake, 3, stride=1, padding=1, count_include_pad=False)
    weight = where.to(fake.dtype)
    per_picture = ((local - colour).abs() * weight).sum(dim=(1, 2, 3)) / (3 * weight.sum(dim=(1, 2, 3))).clamp_min(1.0)
    return per_picture.mean()


def to_classifier_size(x: torch.Tensor) -> torch.Tensor:
    """Pictures shrunk (antialiased) so that their shorter side is CLASSIFIER_SIZE pixels; the classifier is
    convolutional up to the layers used here, so a portrait picture keeps its shape."""
    scale = CLASSIFIER_SIZE / min(x.shape[-2:])
    size = (round(x.shape[-2] * scale), round(x.shape[-1] * scale))
    return F.interpolate(x, size=size, mode="bilinear", antialias=True, align_corners=False)


class PerceptualL1(nn.Module):
    """(fake, real) photos in [-1, 1] -> the mean over layers of the L1 between their classifier features.

    The layers: the outputs of the stem (32 px, 32 channels) and of the first two stages (16 px, 64 channels;
    8 px, 128 channels), one per resolution as the VGG losses take one per stage. These early layers describe
    edges, colour and local texture, which carry over from CIFAR-10's objects to faces, shoes and people;
    the last stage (4x4 at 32 px) is left out: too coarse, and tuned to CIFAR-10's ten classes.

    The classifier is frozen (no gradients, always in eval mode: its BatchNorm keeps the statistics it was
    trained with) and is no part of the checkpoints: it is the same file every time."""

    def __init__(self, path: Path = CLASSIFIER_WEIGHTS):
        super().__init__()
        with torch.random.fork_rng(devices=[]):  # building it draws random initial weights: leave the
            body = load_classifier(path).body    # caller's draws (augmentation...) as they were without it
        self.stages = nn.ModuleList([body[:1], body[1:3], body[3:5]])
        self.requires_grad_(False)
        self.train(False)

    def train(self, mode: bool = True):
        return super().train(False)  # frozen: BatchNorm must not switch to batch statistics

    def features(self, x: torch.Tensor) -> list[torch.Tensor]:
        # the classifier was trained on to_unit_range pictures, [-1, 1], the generator's own range: no rescaling
        out = []
        for stage in self.stages:
            x = stage(x)
            out.append(x)
        return out

    def forward(self, fake: torch.Tensor, real: torch.Tensor) -> torch.Tensor:
        fake, real = to_classifier_size(fake.float()), to_classifier_size(real.float())
        with torch.no_grad():
            targets = self.features(real)
        layers = [(f.float() - t.float()).abs().mean() for f, t in zip(self.features(fake), targets)]
        return sum(layers) / len(layers)
