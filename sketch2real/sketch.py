"""Turn photos into line drawings that look like what a person draws with a mouse.

A user of the demo draws a few clean strokes: the outline of the head, the hair line, brows, eyes, nose
and mouth. A plain edge detector gives a much busier picture (skin texture, hair strands, JPEG noise), and
a model trained on that would not understand a doodle. So the photo goes through a chain of small stages,
one function each, so the notes can show what every stage does:

    grey + auto-levels -> blur -> edges (Canny-style: gradient, thinning, two thresholds)
        -> drop short strokes -> pen width -> elastic jitter -> drop pieces -> average down

Strokes are drawn at UPSCALE x the output size and averaged down, so they come out anti-aliased like the
lines of a browser canvas. Everything works on batches of torch tensors (CPU or GPU). The standard steps
come from libraries: grey, Gaussian blur and Sobel gradient from kornia, the numbering of strokes from
scipy (on the CPU). This module keeps what is its own: the per-neighbourhood edge score and its two
thresholds, the pen, the wobble and the missing pieces, and Canny's thinning, which kornia has only inside
its canny (see thin_edges). All the randomness comes from one torch.Generator, so a seed gives the same
sketches every time.

    python -m sketch2real.sketch --demo notes/images/sketch2real/sketch_pipeline.png --n 8
"""
import argparse
import math
from pathlib import Path

import numpy as np
import torch
import torch.nn.functional as F
from kornia.color import rgb_to_grayscale
from kornia.filters import gaussian_blur2d, spatial_gradient
from scipy import ndimage

from ganlab import cli

# Settled by looking at held-out CelebA faces. Lengths are in pixels of the *output* image.
UPSCALE = 2             # draw at 2x, then average down: smooth, anti-aliased strokes
BLUR_SIGMA = 0.8        # wipes out skin pores and single hair strands, keeps eyes, nose and mouth
MIN_EDGE = 0.02         # weaker gradients (grey levels per pixel, after auto-levels) are noise
LOCAL_WINDOW = 4        # an edge is judged against the strongest edge within this radius
DETAIL = (0.2, 0.35)    # edges weaker than this share of the photo's strong edges are left out; random per
                        # image with augment=True, so some sketches are sparse and some detailed
HIGH, LOW = 0.7, 0.35   # Canny's two thresholds, on the edge score (0..1)
MIN_STROKE = 10         # strokes with fewer pixels are speckle, not something anyone draws
WIDTH = (1.0, 3.0)      # pen width range with augment=True (thin pens are drawn more often)
PLAIN_WIDTH = 1.5       # pen width with augment=False
PRESSURE = 0.25         # the width varies along a stroke by up to this fraction, like a hand's pressure
JITTER = 0.02           # size of the smooth random displacement, as a share of the picture's width
DROP = (0.0, 0.15)      # share of the picture where strokes are wiped out (random per image)
# Pixels touching at a side or a corner are one stroke; the pictures of a batch [N, H, W] never touch.
WITHIN_A_PICTURE = np.array([np.zeros((3, 3)), np.ones((3, 3)), np.zeros((3, 3))], dtype=bool)


# --------------------------------------------------------------------------------------------------
# Small image tools


def per_image_quantile(values: torch.Tensor, q: torch.Tensor) -> torch.Tensor:
    """The q[i] quantile of row i of `values` [N, M] (nearest rank; torch.quantile takes one q for all)."""
    ordered = values.sort(dim=1).values
    index = (q.to(values.device) * (values.shape[1] - 1)).round().long().clamp(0, values.shape[1] - 1)
    return ordered.gather(1, index.view(-1, 1)).squeeze(1)


def gaussian_blur(x: torch.Tensor, sigma: float) -> torch.Tensor:
    """Gaussian blur of every channel (kornia's, 3 sigma each side); borders are extended, not darkened."""
    if sigma <= 0:
        return x
    radius = max(1, math.ceil(3 * sigma))
    # The pictures as the channels of one: one depthwise convolution is 3x faster on the CPU than N small ones.
    flat = x.reshape(1, -1, *x.shape[-2:])
    return gaussian_blur2d(flat, 2 * radius + 1, (sigma, sigma), border_type="replicate").view(x.shape)


def _shift(x: torch.Tensor, dy: int, dx: int) -> torch.Tensor:
    """out[y, x] = x[y + dy, x + dx], zero (False) outside the picture."""
    h, w = x.shape[-2:]
    out = torch.zeros_like(x)
    out[..., max(0, -dy):h - max(0, dy), max(0, -dx):w - max(0, dx)] = \
        x[..., max(0, dy):h - max(0, -dy), max(0, dx):w - max(0, -dx)]
    return out


def smooth_noise(n: int, channels: int, size, cells: int, generator, device) -> torch.Tensor:
    """Random values on a coarse cells x cells grid, smoothly upsampled: slow, blobby variation in [-1, 1].
    Drawn on the CPU from `generator`, so the same seed gives the same result on any device."""
    coarse = torch.rand(n, channels, cells, cells, generator=generator) * 2 - 1
    # Bicubic up to a small grid does the smoothing; bilinear from there to full size is cheap.
    middle = F.interpolate(coarse.to(device), size=(16, 16), mode="bicubic", align_corners=True)
    return F.interpolate(middle, size=tuple(size), mode="bilinear", align_corners=True).clamp(-1, 1)


# --------------------------------------------------------------------------------------------------
# Finding the lines


def to_grey(photos: torch.Tensor) -> torch.Tensor:
    """uint8 [N, 3, H, W] (or already grey [N, 1, H, W]) -> float luminance [N, 1, H, W] in [0, 1]."""
    x = photos.float() / 255
    return x if x.shape[1] == 1 else rgb_to_grayscale(x)  # 0.299 R + 0.587 G + 0.114 B


def auto_levels(grey: torch.Tensor, clip: float = 0.02) -> torch.Tensor:
    """Stretch each picture so its darkest and brightest 2 % touch black and white: a dim or hazy photo
    then gives the same edges as a crisp one."""
    n = len(grey)
    ordered = grey.flatten(1).sort(dim=1).values
    last = ordered.shape[1] - 1
    lo = ordered[:, round(clip * last)].view(n, 1, 1, 1)
    hi = ordered[:, round((1 - clip) * last)].view(n, 1, 1, 1)
    return ((grey - lo) / (hi - lo).clamp_min(0.1)).clamp(0, 1)


def gradient(grey: torch.Tensor) -> tuple[torch.Tensor, torch.Tensor]:
    """Sobel derivatives (d/dx, d/dy), kornia's, normalised so a ramp rising by s per pixel reads s."""
    g = spatial_gradient(grey, mode="sobel", normalized=True)
    return g[:, :, 0], g[:, :, 1]


def edge_score(magnitude: torch.Tensor, detail: torch.Tensor, window: int, floor: float = MIN_EDGE):
    """How much each edge stands out, 0..1: its gradient over the strongest gradient within `window`.

    Judged against its neighbourhood, an eyelid on a softly lit face counts as much as the hard edge
    between black hair and a white wall, which is how a person drawing weighs them, and a hair strand next
    to a strong contour scores low. Edges weaker than `detail` x the photo's strong edges (its 97th
    percentile), or weaker than `floor`, score 0: a flat photo stays blank paper."""
    n, _, h, w = magnitude.shape
    # The neighbourhood maximum is smooth, so it is found at half resolution: 4x less work.
    half = F.max_pool2d(magnitude, 2)
    nearby = F.max_pool2d(half, 2 * (window // 2) + 1, stride=1, padding=window // 2)
    nearby = F.interpolate(gaussian_blur(nearby, window / 4), size=(h, w), mode="bilinear", align_corners=False)
    top = max(1, round(0.03 * half[0].numel()))
    strong = half.flatten(1).topk(top, dim=1).values[:, -1].view(n, 1, 1, 1)
    relevant = (magnitude >= floor) & (magnitude >= detail.view(n, 1, 1, 1) * strong)
    return torch.where(relevant, magnitude / (nearby + 1e-3), torch.zeros_like(magnitude)).clamp(max=1)


def thin_edges(gx: torch.Tensor, gy: torch.Tensor) -> torch.Tensor:
    """True where the gradient magnitude peaks across the edge (Canny's non-maximum suppression), which is
    what makes the lines one pixel wide instead of a blurry band. kornia does this step only inside its
    canny, which also blurs and differentiates again and takes one global pair of thresholds; run for its
    thinning alone it costs 7x these lines on the CPU."""
    magnitude = torch.sqrt(gx ** 2 + gy ** 2)
    # The gradient direction, folded to [0, pi) and rounded to one of the four neighbour directions.
    direction = torch.remainder(torch.round(torch.atan2(gy, gx) / (math.pi / 4)), 4)
    peak = torch.zeros_like(magnitude, dtype=torch.bool)
    for d, (dy, dx) in enumerate([(0, 1), (1, 1), (1, 0), (1, -1)]):
        ahead, behind = _shift(magnitude, dy, dx), _shift(magnitude, -dy, -dx)
        # > on one side and >= on the other, so a two-pixel plateau keeps exactly one pixel.
        peak |= (direction == d) & (magnitude > ahead) & (magnitude >= behind)
    return peak


def stroke_labels(ink: torch.Tensor) -> torch.Tensor:
    """Number the strokes (8-connected groups of ink pixels) of a bool map [N, 1, H, W]: paper gets 0, the
    strokes 1, 2, ... (unique across the batch). scipy's labelling, one call for the whole batch, on the CPU:
    on sparse line maps it is 30x faster than kornia's union-find, which works on every pixel."""
    labels, _ = ndimage.label(ink.reshape(-1, *ink.shape[-2:]).cpu().numpy(), structure=WITHIN_A_PICTURE)
    return torch.from_numpy(labels).to(ink.device, torch.long).view(ink.shape)


def hysteresis(thin: torch.Tensor, score: torch.Tensor, high: float = HIGH, low: float = LOW) -> torch.Tensor:
    """Canny's two thresholds, on the edge score rather than the gradient: keep thin edge pixels scoring
    above `high`, plus whole strokes of pixels above `low` that touch one, so a contour survives where it
    fades a little instead of breaking up."""
    weak = thin & (score >= low)
    labels = stroke_labels(weak)
    strong_strokes = torch.zeros(int(labels.max()) + 1, dtype=torch.bool, device=thin.device)
    strong_strokes[labels[weak & (score >= high)]] = True
    return strong_strokes[labels]  # index 0 is paper, never kept


def drop_short_strokes(ink: torch.Tensor, min_pixels: float) -> torch.Tensor:
    """The bool map `ink` without its strokes of fewer than `min_pixels` pixels: specks from texture and
    noise that nobody would draw."""
    labels = stroke_labels(ink)
    return ink & (torch.bincount(labels.flatten())[labels] >= min_pixels)


# --------------------------------------------------------------------------------------------------
# Drawing them like a hand would


def widen(lines: torch.Tensor, radius: torch.Tensor) -> torch.Tensor:
    """Trace bool one-pixel lines with a round pen of `radius`: float ink in [0, 1], soft at the edge
    (anti-aliased). `radius` broadcasts against [N, 1, H, W], so it may vary per picture and along a
    stroke (pen pressure). A pen of radius r leaves a stroke about 2r pixels wide."""
    reach = math.ceil(float(radius.max()) + 0.5)
    offsets = [(dy, dx) for dy in range(-reach, reach + 1) for dx in range(-reach, reach + 1)]
    by_distance = {}
    for dy, dx in offsets:
        by_distance.setdefault(round(math.hypot(dy, dx), 6), []).append((dy, dx))
    rings = [d for d in sorted(by_distance) if d <= reach]
    # How far each pixel is from the nearest line pixel, as a ring number: growing the line ring by ring
    # with cheap bool ORs, every ring a pixel is still outside of adds one.
    covered = lines.clone()
    ring = torch.zeros_like(lines, dtype=torch.uint8)
    for distance in rings[1:]:
        ring += ~covered
        for dy, dx in by_distance[distance]:
            covered |= _shift(lines, dy, dx)
    ring += ~covered  # beyond the last ring: far from every line
    distance = torch.tensor(rings + [float(reach) + 1], device=lines.device)[ring.long()]
    # The pen covers radius + 0.5 - distance of a pixel's width: 1 near the line, fading to 0 at its edge.
    return (radius + 0.5 - distance).clamp(0, 1)


def jitter(ink: torch.Tensor, amount: float, generator, cells: int = 4) -> torch.Tensor:
    """Bend the drawing with a smooth random displacement plus a small random rotation, scale and shift,
    so strokes wobble and features move a little, as in a hand drawing. `amount` is in pixels."""
    n, _, h, w = ink.shape
    device = ink.device
    # A small affine: +-3 degrees, +-4 % size, +-amount pixels of shift (grid coordinates run -1..1).
    rand = (torch.rand(n, 4, generator=generator) * 2 - 1).to(device)
    angle, scale = rand[:, 0] * math.radians(3), 1 + rand[:, 1] * 0.04
    cos, sin = torch.cos(angle) * scale, torch.sin(angle) * scale
    shift = rand[:, 2:] * (2 * amount / w)
    theta = torch.stack([torch.stack([cos, -sin, shift[:, 0]], -1),
                         torch.stack([sin, cos, shift[:, 1]], -1)], 1)  # [N, 2, 3]
    grid = F.affine_grid(theta, [n, 1, h, w], align_corners=True)
    wobble = smooth_noise(n, 2, (h, w), cells, generator, device).permute(0, 2, 3, 1)
    grid = grid + wobble * (2 * amount / w)
    return F.grid_sample(ink, grid, mode="bilinear", padding_mode="zeros", align_corners=True)


def drop_pieces(ink: torch.Tensor, share: torch.Tensor, generator, cells: int = 7) -> torch.Tensor:
    """Wipe out random blobs covering about `share` of the picture (per image), breaking strokes into
    pieces and losing a few, as a quick drawing does."""
    n, _, h, w = ink.shape
    field = smooth_noise(n, 1, (h, w), cells, generator, ink.device)
    # The `share` quantile of each image's own field gives blobs of the wanted area whatever the noise;
    # the field is smooth, so a 32 x 32 sample of it is enough to find that quantile.
    sample = F.interpolate(field, size=(32, 32), mode="nearest").flatten(1)
    cut = per_image_quantile(sample, share.clamp(0, 1)).view(n, 1, 1, 1)
    keep = ((field - cut) / 0.08).clamp(0, 1)  # a soft edge: a cut stroke fades out instead of a step
    return ink * keep


def draw_lines(lines: torch.Tensor, size, generator: torch.Generator, augment: bool, width=WIDTH,
               line_width: float = 1.0) -> dict:
    """bool lines at UPSCALE x `size` -> the stages 'width', 'jitter' and 'drop' (float ink, 1 = ink;
    the last two only with augment) and 'sketch' (at `size`, 1 = white paper, 0 = ink).

    Shared by photos and ready-made edge maps. `width` is the (low, high) pen width in output pixels;
    `line_width` is how wide the input lines already are, in pixels of `lines`."""
    n, device = lines.shape[0], lines.device
    stages = {}
    if augment:
        u = torch.rand(n, 1, 1, 1, generator=generator) ** 1.5  # leans towards thin pens, as people do
        pen = (width[0] + (width[1] - width[0]) * u).to(device)
        pen = pen * (1 + PRESSURE * smooth_noise(n, 1, lines.shape[-2:], 5, generator, device))
    else:
        pen = torch.full((n, 1, 1, 1), PLAIN_WIDTH, device=device)
    radius = (pen * UPSCALE / 2 - (line_width - 1) / 2).clamp_min(0.5)
    stages["width"] = ink = widen(lines, radius)
    if augment:
        stages["jitter"] = ink = jitter(ink, JITTER * lines.shape[-1], generator)
        share = torch.empty(n).uniform_(*DROP, generator=generator)
        stages["drop"] = ink = drop_pieces(ink, share, generator)
    if tuple(ink.shape[-2:]) != tuple(size):
        ink = F.adaptive_avg_pool2d(ink, tuple(size))  # averaging the 2x drawing down anti-aliases it
    stages["sketch"] = 1 - ink.clamp(0, 1)
    return stages


# --------------------------------------------------------------------------------------------------
# The whole pipeline


def sketch_stages(photos: torch.Tensor, generator: torch.Generator | None = None, augment: bool = True) -> dict:
    """Every intermediate picture of the pipeline, in order (see the module docstring), each [N, 1, h, w]:
    'grey' (float, 1 = white, at the photo's size), 'blur' (float, at UPSCALE x size), the bool line maps
    'edges' and 'cleaned', the float ink maps 'width', 'jitter', 'drop' (1 = ink; the last two only with
    augment), and 'sketch', the result (at the photo's size, 1 = white paper, 0 = ink)."""
    if photos.ndim != 4 or photos.shape[1] not in (1, 3):
        raise ValueError(f"photos must be [N, 3, H, W] (or [N, 1, H, W]); got {tuple(photos.shape)}")
    n, _, h, w = photos.shape
    generator = generator if generator is not None else torch.Generator().manual_seed(0)
    stages = {"grey": auto_levels(to_grey(photos))}
    # Blurring before upscaling gives the same picture as after, for a quarter of the work.
    blurred = gaussian_blur(stages["grey"], BLUR_SIGMA)
    stages["blur"] = F.interpolate(blurred, scale_factor=UPSCALE, mode="bilinear") if UPSCALE > 1 else blurred
    gx, gy = gradient(stages["blur"])
    magnitude = torch.sqrt(gx ** 2 + gy ** 2) * UPSCALE  # per output pixel, so MIN_EDGE ignores UPSCALE
    if augment:
        detail = torch.empty(n).uniform_(*DETAIL, generator=generator)
    else:
        detail = torch.full((n,), sum(DETAIL) / 2)
    score = edge_score(magnitude, detail.to(photos.device), LOCAL_WINDOW * UPSCALE)
    stages["edges"] = hysteresis(thin_edges(gx, gy), score)
    stages["cleaned"] = drop_short_strokes(stages["edges"], MIN_STROKE * UPSCALE)
    stages.update(draw_lines(stages["cleaned"], (h, w), generator, augment))
    return stages


def photo_to_sketch(photos_uint8: torch.Tensor, generator: torch.Generator | None = None,
                    augment: bool = True) -> torch.Tensor:
    """uint8 photos [N, 3, H, W] -> sketches float [N, 1, H, W] in [0, 1], 1 = white paper, 0 = ink.

    With augment=True the detail level, pen width and pressure, wobble and missing pieces are random
    (from `generator`; seeded 0 when None); augment=False gives one plain, repeatable drawing per photo."""
    return sketch_stages(photos_uint8, generator, augment)["sketch"]


def edges_to_sketch(edges_uint8: torch.Tensor, generator: torch.Generator | None = None,
                    augment: bool = True, width=WIDTH) -> torch.Tensor:
    """Ready-made edge maps (uint8 [N, 1, H, W], dark lines on white, as in the shoes/bags set) -> the
    same kind of sketch as photo_to_sketch: specks removed, then the same pen, wobble and missing pieces
    when augment=True. Float [N, 1, H, W], 1 = white paper, 0 = ink."""
    if edges_uint8.ndim != 4 or edges_uint8.shape[1] != 1:
        raise ValueError(f"edges must be [N, 1, H, W]; got {tuple(edges_uint8.shape)}")
    generator = generator if generator is not None else torch.Generator().manual_seed(0)
    lines = edges_uint8 < 0.7 * 255  # the maps' one-pixel lines are anti-aliased grey
    lines = drop_short_strokes(lines, MIN_STROKE)
    if UPSCALE > 1:
        lines = F.interpolate(lines.float(), scale_factor=UPSCALE, mode="nearest").bool()
    return draw_lines(lines, edges_uint8.shape[-2:], generator, augment, width, line_width=UPSCALE)["sketch"]


# --------------------------------------------------------------------------------------------------
# The figure for the notes


def _label_rows(grid: torch.Tensor, labels: list[str], row_height: int, margin: int = 150):
    """A PIL image of `grid` (3, H, W in [0, 1]) with one label left of each row."""
    from PIL import Image, ImageDraw, ImageFont

    body = Image.fromarray((grid.clamp(0, 1) * 255).round().byte().permute(1, 2, 0).numpy())
    canvas = Image.new("RGB", (body.width + margin, body.height), "white")
    canvas.paste(body, (margin, 0))
    draw = ImageDraw.Draw(canvas)
    font = ImageFont.load_default(size=13)
    for i, label in enumerate(labels):
        y = i * row_height + row_height // 2 - 14
        draw.multiline_text((6, y), label, fill="black", font=font, spacing=3)
    return canvas


def demo(out: Path, n: int = 8, seed: int = 0, data_dir=None, scale: int = 2) -> Path:
    """One row per stage for `n` held-out faces (the test split, never trained on)."""

    from sketch2real.data import load_faces

    faces = load_faces("test", data_dir)[:n]
    stages = sketch_stages(faces, torch.Generator().manual_seed(seed))
    plain = photo_to_sketch(faces, augment=False)
    size = (faces.shape[-2] * scale, faces.shape[-1] * scale)

    def cell(x, ink=True):
        """A stage at the figure's cell size (with scale == UPSCALE, the 2x stages show their own pixels)."""
        x = x.float()
        x = F.interpolate(x, size=size, mode="area" if x.shape[-1] > size[-1] else "nearest")
        return (1 - x if ink else x).expand(-1, 3, -1, -1)

    rows = [("photo", cell(faces / 255, ink=False)),
            ("grey,\nauto-levels", cell(stages["grey"], ink=False)),
            ("edges (gradient,\nthinning, hysteresis)", cell(stages["edges"])),
            ("short strokes\ndropped", cell(stages["cleaned"])),
            ("random pen width\nand pressure", cell(stages["width"])),
            ("jitter + dropped\npieces = sketch", cell(stages["sketch"], ink=False)),
            ("augment=False", cell(plain, ink=False))]
    return save_labelled_grid(rows, n, size[0], out)


def save_labelled_grid(rows: list, ncol: int, cell_height: int, out, margin: int = 150) -> Path:
    """A figure of labelled rows, rows = [(label, images [k*ncol, 3, H, W] in [0, 1]), ...], as a PNG."""
    from torchvision.utils import make_grid

    pad = 2
    grid = make_grid(torch.cat([x for _, x in rows]), nrow=ncol, padding=pad, pad_value=1.0)
    figure = _label_rows(grid, [label for label, _ in rows], cell_height + pad, margin=margin)
    out = Path(out)
    out.parent.mkdir(parents=True, exist_ok=True)
    figure.save(out, optimize=True)
    return out


def main(argv=None):
    p = argparse.ArgumentParser(prog="python -m sketch2real.sketch",
                                description="Show the photo -> sketch pipeline, one row per stage.")
    p.add_argument("--demo", type=cli.output_file, required=True, metavar="OUT.png", help="where to write the figure")
    p.add_argument("--n", type=cli.positive_int, default=8, help="how many held-out faces (columns)")
    p.add_argument("--seed", type=int, default=0, help="seed of the random pen, jitter and dropped pieces")
    p.add_argument("--data-dir", type=cli.existing_path, default=None,
                   help="the faces npz, a folder holding it, or a folder of images")
    args = p.parse_args(argv)
    print(f"wrote {demo(args.demo, args.n, args.seed, args.data_dir)}")


if __name__ == "__main__":
    main()
