"""DiffAugment (Zhao et al. 2020, "Differentiable Augmentation for Data-Efficient GAN Training").

With little data a discriminator memorises the training pictures and its verdicts stop teaching the
generator anything. DiffAugment shows D only randomly altered pictures, real and generated alike, and
because every alteration is differentiable the generator's gradient passes through it. Nothing leaks into
what G draws: D sees the reals altered the same way, so an altered picture is no cheaper for G.

The CIFAR-10 GAN augments single pictures. sketch2real's D judges a (sketch, photo) pair, so the pair is
stacked on the channels and moves as one, one shift and one cut-out per sample, so D still sees the lines
on the photo; colour changes only the photos (`rgb_pictures` of them lead the channels), since a sketch
is ink on paper. Pictures are in [-1, 1]; what is shifted in or cut out is 0, a mid grey.
"""
import torch
import torch.nn.functional as F

from ganlab import distributed

POLICY = "color,translation,cutout"  # the paper's choice for small datasets


def diff_augment(x: torch.Tensor, policy: str = POLICY, generator: torch.Generator | None = None,
                 rgb_pictures: int = 1) -> torch.Tensor:
    """Augment a batch [N, C, H, W] with operations that gradients flow through.

    `policy` is a comma-separated subset of color, translation, cutout. Each sample gets its own random
    parameters, the same for all its channels; "color" recolours the first 3 x `rgb_pictures` channels,
    picture by picture with the same change, and leaves the rest alone. Everything is batched tensor
    arithmetic; under torchrun every rank draws the parameters of the whole global batch and keeps its
    rows (ganlab.distributed), so the run is the same on any number of GPUs."""
    if not policy:
        return x
    n, c, h, w = x.shape
    rand = lambda *shape: distributed.draw(lambda m: torch.rand(m, *shape[1:], generator=generator, device=x.device,
                                                                dtype=x.dtype), shape[0])
    randint = lambda low, high: distributed.draw(lambda m: torch.randint(low, high, (m,), generator=generator,
                                                                         device=x.device), n)
    for op in policy.split(","):
        if op == "color":
            rgb = x[:, : 3 * rgb_pictures].unflatten(1, (rgb_pictures, 3))                   # [N, pictures, 3, H, W]
            rgb = rgb + (rand(n, 1, 1, 1, 1) - 0.5)                                            # brightness
            mean = rgb.mean(2, keepdim=True)
            rgb = (rgb - mean) * (rand(n, 1, 1, 1, 1) * 2) + mean                              # saturation
            mean = rgb.mean((2, 3, 4), keepdim=True)
            rgb = (rgb - mean) * (rand(n, 1, 1, 1, 1) + 0.5) + mean                            # contrast
            x = torch.cat([rgb.flatten(1, 2), x[:, 3 * rgb_pictures:]], dim=1)
        elif op == "translation":  # shift by up to 1/8 of each side, filling with zeros
            sy, sx = h // 8, w // 8
            dy, dx = randint(-sy, sy + 1), randint(-sx, sx + 1)
            rows = (torch.arange(h, device=x.device)[None] + dy[:, None] + sy)[:, None, :, None]
            cols = (torch.arange(w, device=x.device)[None] + dx[:, None] + sx)[:, None, None, :]
            padded = F.pad(x, [sx, sx, sy, sy])
            x = padded[torch.arange(n, device=x.device)[:, None, None, None],
                       torch.arange(c, device=x.device)[None, :, None, None], rows, cols]
        elif op == "cutout":  # zero a rectangle of half each side at a random place (it may hang off the edge)
            x = x * (~(_half_box(h, randint(0, h + 1 - h // 2 % 2), x.device)[:, :, None]
                       & _half_box(w, randint(0, w + 1 - w // 2 % 2), x.device)[:, None, :]))[:, None].to(x.dtype)
        else:
            raise ValueError(f"unknown DiffAugment operation {op!r}; use color, translation or cutout")
    return x


def _half_box(length: int, centre: torch.Tensor, device) -> torch.Tensor:
    """[N, length] bools: inside a run of length // 2 positions centred on each sample's `centre`."""
    size = length // 2
    at = torch.arange(length, device=device)[None, :]
    return (at - centre[:, None] + size // 2).clamp(min=-1) // size == 0
