"""Clean a photo or scan of a drawing on paper into ink on white, as the drawing page does with an upload.

A phone photo of a pencil drawing has grey or tinted paper, light that falls off across the sheet, shadows,
faint and shaded lines and far more pixels than the model's 64x64 (128x128); fed as it is, the model sees a
grey picture unlike any sketch it was trained on. `clean_drawing` makes it a sketch: paper white, lines
dark, cropped to the drawing, lines at least a pen's width at the size the model will see them.

web/js/clean_drawing.mjs (cleanDrawing) is the same arithmetic in the same order, in float64 as
JavaScript's numbers are, and tests/test_sketch_upload.py checks that the two agree on the same pixels.
What the browser does before (decoding, shrinking a 12-megapixel photo to the working size) and after
(drawing the crop onto the 256-pixel canvas) is not part of it; `place_on_canvas` is a Python stand-in
for the second.

    from sketch2real.clean import FRAMES, clean_drawing, frame_pixels, place_on_canvas
    result = clean_drawing(rgba_uint8_hwc, frame=frame_pixels(FRAMES["faces"], 64))   # frame in model pixels
    if result.status == "ok": canvas = place_on_canvas(result, FRAMES["faces"])       # uint8 [256, 256, 4]
    # then sketch2real.export.canvas_to_sketch(torch.from_numpy(canvas), 64) is the model's input
"""
import math
from dataclasses import dataclass

import numpy as np
import torch
import torch.nn.functional as F

GREY_WEIGHTS = (0.299, 0.587, 0.114)  # ITU-R BT.601 luma, as canvas_to_sketch
WORK = 768              # the working size: the longer side is block-averaged down to at most this
SAMPLES = 16384         # statistics (median, quantiles) use about this many pixels, every k-th one
BACKGROUND = 1 / 24     # radius of the paper estimate (max filter, then box blur), share of the longer side
NOISE_MADS = 4          # the ink threshold sits this many (normal-scaled) MADs above the paper's median
NOISE_FLOOR = 0.02      # ... and at least this much darker than the paper (share of the paper's brightness)
INK_QUANTILE = 0.9      # strong ink: this quantile of the darkness of the pixels above the threshold
FULL_INK = 0.5          # a pixel reaches full black at this share of the way from threshold to strong ink
MIN_CONTRAST = 0.08     # strong ink must be at least this much darker than the threshold, or there is no drawing
MIN_INK = 0.0003        # share of pixels that must be ink (s >= 0.5) for a drawing
MAX_NOISE = 0.05        # paper's MAD of darkness above this: no plain paper anywhere, a photograph
MAX_INK = 0.35          # more ink than this share of the crop, with many mid-tones: a photo, not a drawing
MAX_MID = 0.45          # share of the ink pixels in mid-tones (0.1 < s < 0.9) above which it looks like a photo
TRIM = 0.002            # the crop leaves out this share of the ink mass on each side (stray specks)
MARGIN = 0.02           # and adds this share of the crop's longer side around it
MIN_WIDTH = 1.25        # lines narrower than this (model pixels, once fitted) are widened to it
MAX_WIDEN = 6           # the widening radius is capped at this many working pixels
TRANSPARENT = 0.01      # with at least this share of (mostly) transparent pixels, the image is a cut-out
# A light-on-dark image: the paper (median) is dark and the minority tail is on the bright side.
INVERT_PAPER = 110      # the median grey must be below this ...
INVERT_TAIL = 2.0       # ... and the bright tail this many times longer than the dark one


@dataclass
class Cleaned:
    """What clean_drawing found. `ink` is the cropped drawing, float64 [h, w], 0 = paper, 1 = full ink;
    `box` = (x0, y0, x1, y1) of the crop in pixels of the working image (x1, y1 exclusive), whose size is
    `work` = (width, height); `status` 'ok', 'empty' (no drawing) or 'photo' (looks like a photograph);
    `inverted` says the image was light lines on dark and was flipped; `stats` the numbers behind it."""
    status: str
    ink: np.ndarray | None
    box: tuple | None
    work: tuple
    inverted: bool
    widened: int
    stats: dict


def rnd(x: float) -> int:
    """Round half up, as JavaScript's Math.round (Python's round() rounds half to even)."""
    return math.floor(x + 0.5)


def quantile(values: torch.Tensor, q: float) -> float:
    """The q-quantile without interpolation: sorted[floor(q * (n - 1))] (as the JS)."""
    ordered = torch.sort(values.flatten()).values
    return float(ordered[int(q * (ordered.numel() - 1))])


def sample(x: torch.Tensor) -> torch.Tensor:
    """Every k-th value of x (row-major), k = max(1, floor(n / SAMPLES))."""
    flat = x.flatten()
    return flat[:: max(1, flat.numel() // SAMPLES)]


def grey_of(rgba: torch.Tensor) -> tuple[torch.Tensor, dict]:
    """1. RGBA uint8 [H, W, 4] -> grey float64 [H, W] (0..255), composited over paper by alpha.
    A cut-out (>= TRANSPARENT of its pixels with alpha < 128) whose opaque pixels are light on average is
    composited over black instead of white, so light lines stay visible (and are flipped in step 3)."""
    px = rgba.to(torch.float64)
    alpha = px[..., 3] / 255
    grey = GREY_WEIGHTS[0] * px[..., 0] + GREY_WEIGHTS[1] * px[..., 1] + GREY_WEIGHTS[2] * px[..., 2]
    clear = rgba[..., 3] < 128
    paper = 255.0
    if float(clear.to(torch.float64).mean()) >= TRANSPARENT and not bool(clear.all()):
        if float(grey[~clear].mean()) > 127.5:
            paper = 0.0
    return grey * alpha + paper * (1 - alpha), {"cutout_background": paper}


def block_average(grey: torch.Tensor, limit: int = WORK) -> torch.Tensor:
    """2. Average f x f blocks, f = ceil(longer side / limit), dropping the last partial rows and columns."""
    h, w = grey.shape
    f = -(-max(h, w) // limit)
    if f == 1:
        return grey
    h2, w2 = h // f, w // f
    return grey[: h2 * f, : w2 * f].reshape(h2, f, w2, f).mean(dim=(1, 3))


def max_filter(x: torch.Tensor, r: int) -> torch.Tensor:
    """The maximum over the (2r+1)^2 window, cut off at the edges (separable)."""
    x = x[None, None]
    x = F.max_pool2d(x, (1, 2 * r + 1), stride=1, padding=(0, r))
    x = F.max_pool2d(x, (2 * r + 1, 1), stride=1, padding=(r, 0))
    return x[0, 0]


def box_mean(x: torch.Tensor, r: int) -> torch.Tensor:
    """The mean over the (2r+1)^2 window, cut off at the edges (separable: rows, then columns)."""
    x = x[None, None]
    x = F.avg_pool2d(x, (1, 2 * r + 1), stride=1, padding=(0, r), count_include_pad=False)
    x = F.avg_pool2d(x, (2 * r + 1, 1), stride=1, padding=(r, 0), count_include_pad=False)
    return x[0, 0]


def border_connected(mask: torch.Tensor) -> torch.Tensor:
    """The pixels of `mask` 4-connected to a mask pixel on the image's border (a flood fill; here as
    alternating row and column sweeps until nothing changes)."""
    m = mask.numpy()
    reached = np.zeros_like(m)
    reached[0, :], reached[-1, :], reached[:, 0], reached[:, -1] = m[0, :], m[-1, :], m[:, 0], m[:, -1]

    def sweep(mk, rc):  # spread along rows: a run of mask pixels with one reached pixel is reached
        starts = mk & ~np.concatenate([np.zeros((mk.shape[0], 1), bool), mk[:, :-1]], axis=1)
        run = np.cumsum(starts.ravel()).reshape(mk.shape) * mk
        hit = np.zeros(run.max() + 1, bool)
        hit[run[rc & mk]] = True
        hit[0] = False
        return hit[run]

    while True:
        before = int(reached.sum())
        reached = sweep(m, reached)
        reached = sweep(m.T, reached.T).T
        if int(reached.sum()) == before:
            return torch.from_numpy(reached)


def clean_drawing(rgba, frame: tuple[float, float] | None = None, work: int = WORK) -> Cleaned:
    """RGBA pixels (uint8 [H, W, 4], numpy or torch) of a photo or scan of a drawing -> Cleaned.

    1. grey, composited over paper by alpha (grey_of);
    2. block-average down to at most `work` pixels on the longer side;
    3. light lines on a dark ground (median < INVERT_PAPER, bright tail INVERT_TAIL x the dark one): 255 - grey;
    4. the paper: B = box mean of the max filter of grey, both of radius r = round(longer side * BACKGROUND):
       the max wipes out lines narrower than the window, the mean smooths it; shading, tint and light
       fall-off are slower than r, so they are in B;
    5. darkness D = clamp(1 - grey / max(B, 1), 0, 1): 0 = paper, whatever its colour or light;
    6. levels: lo = median(D) + NOISE_MADS * 1.4826 MAD(D) + NOISE_FLOOR (paper noise), strong ink
       q = INK_QUANTILE quantile of D above lo, hi = lo + FULL_INK * (q - lo); ink s = smoothstep of
       (D - lo) / (hi - lo): a soft threshold that keeps faint pencil and anti-aliased edges;
    7. no plain paper (MAD > MAX_NOISE) -> 'photo'; no drawing (q - lo < MIN_CONTRAST or fewer than MIN_INK of pixels with s >= 0.5) -> 'empty';
    8. ink 4-connected to the border (s >= 0.5) is the paper's edge, a table or a shadow: removed;
    9. the crop: the box holding all but TRIM of the ink mass on each side, plus MARGIN;
       a crop with more than MAX_INK ink and mostly mid-tones is a photograph -> 'photo';
    10. with `frame` (the model's frame, width and height in model pixels): lines are widened by a max
       filter until they are MIN_WIDTH model pixels wide once the crop is fitted into that frame.
    Statistics use every k-th pixel (`sample`) and the quantile of `quantile`."""
    rgba = torch.as_tensor(np.asarray(rgba))
    if rgba.ndim != 3 or rgba.shape[-1] != 4 or rgba.dtype != torch.uint8:
        raise ValueError(f"pixels must be uint8 [H, W, 4]; got {rgba.dtype} {tuple(rgba.shape)}")
    grey, stats = grey_of(rgba)                                                     # 1
    grey = block_average(grey, work)                                                # 2
    h, w = grey.shape
    g = sample(grey)
    med, q01, q99 = quantile(g, 0.5), quantile(g, 0.01), quantile(g, 0.99)
    inverted = med < INVERT_PAPER and (q99 - med) > INVERT_TAIL * (med - q01) and q99 - med > 32
    if inverted:                                                                    # 3
        grey = 255 - grey
    r = max(2, rnd(max(h, w) * BACKGROUND))
    paper = box_mean(max_filter(grey, r), r)                                        # 4
    dark = (1 - grey / paper.clamp(min=1)).clamp(0, 1)                              # 5
    d = sample(dark)
    med = quantile(d, 0.5)
    mad = quantile((d - med).abs(), 0.5)
    lo = med + NOISE_MADS * 1.4826 * mad + NOISE_FLOOR                              # 6
    above = d[d > lo]
    q = quantile(above, INK_QUANTILE) if above.numel() else lo
    stats.update(median=med, mad=mad, lo=lo, strong=q, radius=r, inverted=inverted)
    result = Cleaned("empty", None, None, (w, h), inverted, 0, stats)
    if mad > MAX_NOISE:
        result.status = "photo"
        return result
    if q - lo < MIN_CONTRAST:                                                       # 7
        return result
    hi = lo + FULL_INK * (q - lo)
    t = ((dark - lo) / (hi - lo)).clamp(0, 1)
    ink = t * t * (3 - 2 * t)
    strong = ink >= 0.5
    if float(strong.to(torch.float64).mean()) < MIN_INK:
        return result
    edge = border_connected(strong)                                                 # 8
    if bool(edge.any()):
        edge = max_filter(edge.to(torch.float64), 1) > 0
        ink = torch.where(edge, torch.zeros_like(ink), ink)
        strong = ink >= 0.5
    stats["ink_share"] = float(strong.to(torch.float64).mean())
    if stats["ink_share"] < MIN_INK:
        return result
    box = crop_box(ink)                                                             # 9
    x0, y0, x1, y1 = box
    crop = ink[y0:y1, x0:x1]
    cs = crop >= 0.5
    share = float(cs.to(torch.float64).mean())
    inked = crop[crop > 0.1]
    mid = float(((inked > 0.1) & (inked < 0.9)).to(torch.float64).mean()) if inked.numel() else 0.0
    stats.update(crop_ink=share, mid_tones=mid)
    if share > MAX_INK and mid > MAX_MID:
        result.status = "photo"
        return result
    widened = 0
    if frame is not None:                                                           # 10
        width = stroke_width(cs)
        scale = min(frame[0] / (x1 - x0), frame[1] / (y1 - y0))   # model pixels per working pixel
        stats.update(stroke_width=width, scale=scale)
        widened = min(MAX_WIDEN, max(0, rnd((MIN_WIDTH / scale - width) / 2)))
        if widened:
            crop = max_filter(crop, widened)
    return Cleaned("ok", crop.numpy(), box, (w, h), inverted, widened, stats)


def crop_box(ink: torch.Tensor) -> tuple[int, int, int, int]:
    """9. (x0, y0, x1, y1): the rows and columns holding all but TRIM of the ink mass at each end, then
    MARGIN of the longer side around, kept inside the image."""
    h, w = ink.shape

    def span(mass):
        c = torch.cumsum(mass, 0)
        total = float(c[-1])
        lo = int((c < TRIM * total).sum())
        hi = int((c <= (1 - TRIM) * total).sum())
        return lo, min(len(mass), hi + 1)

    x0, x1 = span(ink.sum(dim=0))
    y0, y1 = span(ink.sum(dim=1))
    m = rnd(MARGIN * max(x1 - x0, y1 - y0))
    return max(0, x0 - m), max(0, y0 - m), min(w, x1 + m), min(h, y1 + m)


def stroke_width(mask: torch.Tensor) -> float:
    """The lines' mean width in pixels: 2 x ink area / ink-paper pixel edges (a line of width w and
    length L has area wL and about 2L edges)."""
    m = mask.to(torch.int64)
    edges = (m[:, 1:] != m[:, :-1]).sum() + (m[1:, :] != m[:-1, :]).sum() + m[:, 0].sum() + m[:, -1].sum() \
        + m[0, :].sum() + m[-1, :].sum()
    return 2 * float(m.sum()) / max(1, int(edges))


def fitted_box(crop_w: int, crop_h: int, frame_box: dict, aspect: float = 1.0) -> tuple[float, float, float, float]:
    """Where a crop goes on the canvas, in shares of its width and height: as large as fits in `frame_box`
    ({x0, y0, x1, y1}, one of sketch_input.mjs's FRAMES) keeping its aspect, centred there (the page's
    fittedBox). `aspect` is the canvas's width / height (2/3 for the people's portrait canvas)."""
    fw, fh = (frame_box["x1"] - frame_box["x0"]) * aspect, frame_box["y1"] - frame_box["y0"]  # canvas heights
    scale = min(fw / crop_w, fh / crop_h)
    cx, cy = (frame_box["x0"] + frame_box["x1"]) / 2, (frame_box["y0"] + frame_box["y1"]) / 2
    hw, hh = crop_w * scale / 2 / aspect, crop_h * scale / 2
    return cx - hw, cy - hh, cx + hw, cy + hh


def place_on_canvas(result: Cleaned, frame_box: dict, side: int = 256, height: int | None = None) -> np.ndarray:
    """The cleaned crop drawn onto a white canvas (side wide, `height` high, default square) where the page
    puts it: uint8 [height, side, 4]. The page draws it with the browser's smoothed drawImage; this uses
    PIL's area-averaging resize."""
    from PIL import Image

    height = height or side
    ch, cw = result.ink.shape
    x0, y0, x1, y1 = fitted_box(cw, ch, frame_box, side / height)
    x0, x1, y0, y1 = x0 * side, x1 * side, y0 * height, y1 * height
    ix0, iy0 = round(x0), round(y0)
    tw, th = max(1, round(x1) - ix0), max(1, round(y1) - iy0)
    grey = Image.fromarray(np.round(255 * (1 - result.ink)).astype(np.uint8)).resize((tw, th), Image.Resampling.BOX)
    canvas = np.full((height, side, 4), 255, np.uint8)
    canvas[iy0:iy0 + th, ix0:ix0 + tw, :3] = np.asarray(grey)[..., None]
    return canvas


FRAMES = {"faces": {"x0": 0.2, "y0": 0.1, "x1": 0.8, "y1": 0.95},       # sketch_input.mjs's FRAMES
          "objects": {"x0": 0.05, "y0": 0.05, "x1": 0.95, "y1": 0.95},
          "people": {"x0": 0.1, "y0": 0.03, "x1": 0.9, "y1": 0.97}}


def frame_pixels(frame_box: dict, size: int, height: int | None = None) -> tuple[float, float]:
    """A frame's width and height in model pixels (clean_drawing's `frame`), for a model `size` wide and
    `height` high (default square)."""
    return (frame_box["x1"] - frame_box["x0"]) * size, (frame_box["y1"] - frame_box["y0"]) * (height or size)
