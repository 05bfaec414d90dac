"""Colour hints: what the drawing page's colour pen gives the model, and how training imitates it.

A hint is 4 planes at the model's size: R, G, B in [-1, 1] multiplied by the coverage, and the coverage
itself in [0, 1] (0: no colour here). Storing colour times coverage ("premultiplied") makes the page's
arithmetic linear: averaging a block of canvas pixels and compositing one stroke over another are then
plain weighted sums, the same on the page (web/js/sketch_colour.mjs) and here.

In training the hints are sampled from the photo the model must draw: a few blobs and brush strokes, each
filled with one flat colour, the photo's mean colour under it (a person paints "yellow" on the hair, not
every strand's shade), jittered a little because nobody picks the exact colour. Often there are no hints
at all, so a drawing without colour still gives a face of the model's own choosing.

    hints = sample_hints(photos_uint8, generator)          # float [B, 4, S, S]
    sketch_rgb, coverage = hints[:, :3], hints[:, 3:]
"""
import math

import torch

HINT_CHANNELS = 4


def _blob_masks(n: int, size: int, generator: torch.Generator, height: int | None = None) -> torch.Tensor:
    """n soft-edged shapes at random places, float [n, H, W] in [0, 1] (W = size, H = height or size):
    half ellipses (a patch of background, a cheek), half brush strokes (a capsule: the disc of a round
    brush swept along a line). Sizes are shares of the width, so a tall picture gets the same shapes."""
    u = lambda *shape: torch.rand(*shape, generator=generator)
    height = height or size
    ys, xs = torch.meshgrid(torch.arange(height) + 0.5, torch.arange(size) + 0.5, indexing="ij")
    cx, cy = u(n, 1, 1) * size, u(n, 1, 1) * height
    # ellipses: radii from 2 px to 40 % of the picture (a painted background, the hair), at any angle
    rx = 2 + u(n, 1, 1) ** 1.5 * size * 0.4
    ry = rx * (0.4 + 0.6 * u(n, 1, 1))
    angle = u(n, 1, 1) * math.pi
    dx, dy = xs - cx, ys - cy
    ex = (dx * torch.cos(angle) + dy * torch.sin(angle)) / rx
    ey = (-dx * torch.sin(angle) + dy * torch.cos(angle)) / ry
    ellipse_dist = (torch.sqrt(ex ** 2 + ey ** 2) - 1) * torch.minimum(rx, ry)  # ~ pixels outside the edge
    # strokes: a segment of length up to 60 % of the picture, brush radius 1..5 px
    length = u(n, 1, 1) * size * 0.6
    theta = u(n, 1, 1) * 2 * math.pi
    x1, y1 = cx + length * torch.cos(theta), cy + length * torch.sin(theta)
    seg = torch.stack([x1 - cx, y1 - cy])
    t = ((dx * seg[0] + dy * seg[1]) / (seg[0] ** 2 + seg[1] ** 2 + 1e-6)).clamp(0, 1)
    brush = 1 + 4 * u(n, 1, 1)
    stroke_dist = torch.sqrt((dx - t * seg[0]) ** 2 + (dy - t * seg[1]) ** 2) - brush
    dist = torch.where(u(n, 1, 1) < 0.5, ellipse_dist, stroke_dist)
    return (0.5 - dist).clamp(0, 1)  # a one-pixel soft edge, like an anti-aliased brush


def sample_hints(photos: torch.Tensor, generator: torch.Generator, p_none: float = 0.4, max_blobs: int = 6,
                 jitter: float = 0.06) -> torch.Tensor:
    """Colour hints for a batch of photos (uint8 [B, 3, H, W]) -> float [B, 4, H, W], on the CPU.

    With probability `p_none` a picture gets none; otherwise 1..max_blobs shapes, painted one over the
    other, each with the photo's mean colour under it plus Gaussian jitter of `jitter` (in [-1, 1] units)."""
    b, _, height, size = photos.shape
    colour = photos.float() / 127.5 - 1
    hints = torch.zeros(b, HINT_CHANNELS, height, size)
    counts = torch.randint(1, max_blobs + 1, (b,), generator=generator)
    counts = torch.where(torch.rand(b, generator=generator) < p_none, 0, counts)
    for k in range(max_blobs):
        masks = _blob_masks(b, size, generator, height)
        masks = torch.where((counts > k).view(b, 1, 1), masks, torch.zeros(()))
        area = masks.sum(dim=(1, 2)).clamp_min(1e-6)
        mean = (colour * masks[:, None]).sum(dim=(2, 3)) / area[:, None]                   # [B, 3]
        mean = (mean + jitter * torch.randn(b, 3, generator=generator)).clamp(-1, 1)
        m = masks[:, None]
        hints[:, :3] = hints[:, :3] * (1 - m) + mean[:, :, None, None] * m             # paint over
        hints[:, 3:] = hints[:, 3:] * (1 - m) + m
    return hints


def hint_colour(hints: torch.Tensor, min_coverage: float = 0.5) -> tuple[torch.Tensor, torch.Tensor]:
    """(the asked-for colour in [-1, 1], [B, 3, S, S]; where it was asked for, bool [B, 1, S, S]): the
    premultiplied RGB divided by the coverage, where the coverage is at least `min_coverage`."""
    coverage = hints[:, 3:]
    where = coverage >= min_coverage
    return hints[:, :3] / coverage.clamp_min(1e-6), where


def hint_preview(hints: torch.Tensor) -> torch.Tensor:
    """Hints as a picture in [-1, 1], [B, 3, S, S]: the colour painted over white paper, as the page shows it."""
    return hints[:, :3] + (1 - hints[:, 3:])
