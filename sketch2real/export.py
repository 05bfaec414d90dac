"""Export a released sketch -> photo generator to ONNX for the drawing page, and the canvas preprocessing.

    python -m sketch2real.export                          # sketch2real/release/faces.safetensors -> web/models/
    python -m sketch2real.export --release sketch2real/release/shoes_bags.safetensors

The ONNX model takes  sketch: float32 [batch, 1, H, W]  (1 = white paper, -1 = ink) and, for a model
trained with colour hints, hints: float32 [batch, 4, H, W] (the colour pen: RGB in [-1, 1] times the
coverage, then the coverage; all zeros = no colour), and returns photo: float32 [batch, 3, H, W] in [-1, 1]:
pixels are (v + 1) * 127.5. H = W for faces, shoes and handbags; people are portrait (128 wide, 192 high).
Batch size is dynamic. A JSON sidecar beside it says W (image_size), H (image_height), the inputs, their
conventions and where the weights came from.

`canvas_to_sketch` and `canvas_to_hints` are the page's preprocessing written in PyTorch:
web/js/sketch_input.mjs and web/js/sketch_colour.mjs do the same arithmetic in the same order, and the
browser tests check that both give the model the same numbers.
"""
import argparse
import json
from pathlib import Path

import torch

from ganlab import checkpoint as ckpt
from ganlab import cli
from ganlab.data import REPO_ROOT
from ganlab.export import export_onnx, onnx_parity, report_export
from sketch2real.hints import HINT_CHANNELS, sample_hints
from sketch2real.models import build_generator

RELEASE = Path(__file__).resolve().parent / "release"
WEB_MODELS = REPO_ROOT / "web" / "models"
GREY_WEIGHTS = (0.299, 0.587, 0.114)  # ITU-R BT.601 luma, as most "convert to greyscale" tools use
CELEBA_NOTE = ("Trained on CelebA faces, which are licensed for non-commercial research only; "
               "the weights inherit that restriction.")
CCP_NOTE = ("Trained on the Clothing Co-Parsing photos (Yang, Luo and Lin, CVPR 2014): 2 000 street-fashion "
            "photos from the web, mostly of standing women; for research and demo use, citing the paper.")


def _model_shape(size) -> tuple[int, int]:
    """(height, width) of the model's picture from `size`: an int (square) or a (height, width) pair."""
    return (size, size) if isinstance(size, int) else (int(size[0]), int(size[1]))


def _check_canvas(rgba: torch.Tensor, size, what: str) -> tuple[int, int]:
    """(H, W) of canvas pixels that the model's preprocessing can take: uint8 [H, W, 4], whole multiples of
    the model's picture (the same multiple across and down)."""
    if rgba.ndim != 3 or rgba.shape[-1] != 4 or rgba.dtype != torch.uint8:
        raise ValueError(f"{what} must be uint8 [H, W, 4]; got {rgba.dtype} {tuple(rgba.shape)}")
    h, w, _ = rgba.shape
    mh, mw = _model_shape(size)
    if h % mh or w % mw or h // mh != w // mw:
        raise ValueError(f"canvas {w}x{h} is not a whole multiple of the model's {mw}x{mh}")
    return h, w


def canvas_to_sketch(rgba: torch.Tensor, size) -> torch.Tensor:
    """A canvas's RGBA pixels (uint8 [H, W, 4], a whole multiple of the model's picture) -> the model's
    input float32 [1, 1, h, w]: 1 = white paper, -1 = ink. `size` is the model's side (square) or
    (h, w).

    1. composite over white paper: a transparent pixel is paper, whatever its colour channels say;
    2. grey = 0.299 R + 0.587 G + 0.114 B (0..255);
    3. average each (H/h x W/w) block: the same anti-aliasing as the training sketches got;
    4. scale 0..255 to -1..1."""
    h, w = _check_canvas(rgba, size, "canvas pixels")
    mh, mw = _model_shape(size)
    px = rgba.float()
    alpha = px[..., 3] / 255
    grey = sum(weight * px[..., c] for c, weight in enumerate(GREY_WEIGHTS))
    grey = grey * alpha + 255 * (1 - alpha)
    blocks = grey.view(mh, h // mh, mw, w // mw).mean(dim=(1, 3))
    return (blocks / 127.5 - 1).view(1, 1, mh, mw)


def canvas_to_hints(rgba: torch.Tensor, size) -> torch.Tensor:
    """The colour layer's RGBA pixels (uint8 [H, W, 4]; transparent where nothing is painted) -> the
    model's hints, float32 [1, 4, h, w] (`size` as for canvas_to_sketch):

    1. a = alpha / 255 (the coverage of each canvas pixel), premultiplied colour p = R * a (and G, B);
    2. average a and p over each (H/h x W/w) block: m, p̄;
    3. hint RGB = p̄ / 127.5 - m (the block's mean colour in [-1, 1], times its coverage), coverage = m."""
    h, w = _check_canvas(rgba, size, "colour layer pixels")
    mh, mw = _model_shape(size)
    px = rgba.float()
    alpha = px[..., 3] / 255
    planes = torch.stack([px[..., 0] * alpha, px[..., 1] * alpha, px[..., 2] * alpha, alpha])
    blocks = planes.view(4, mh, h // mh, mw, w // mw).mean(dim=(2, 4))
    coverage = blocks[3:]
    return torch.cat([blocks[:3] / 127.5 - coverage, coverage]).view(1, 4, mh, mw)


def export(release: Path, out: Path | None = None, check_batch: int = 8) -> dict:
    model, meta = ckpt.load_release(release, build_generator)
    model.eval()
    size, height = model.image_size, model.image_height
    dataset = meta.get("dataset", "faces")
    out = Path(out) if out else WEB_MODELS / f"sketch2real_{Path(release).stem}.onnx"
    hinted = model.hint_channels > 0
    names = ["sketch", "hints"] if hinted else ["sketch"]
    example = (torch.ones(2, 1, height, size),) + ((torch.zeros(2, HINT_CHANNELS, height, size),) if hinted else ())
    export_onnx(model, example, out, input_names=names, output_names=["photo"])
    gen = torch.Generator().manual_seed(1)
    check = {"sketch": torch.where(torch.rand(check_batch, 1, height, size, generator=gen) < 0.1, -1.0, 1.0)}
    if hinted:  # colour over half the pictures, none on the rest
        photos = torch.randint(0, 256, (check_batch, 3, height, size), dtype=torch.uint8, generator=gen)
        check["hints"] = sample_hints(photos, gen, p_none=0.5)
    max_diff = onnx_parity(model, out, check)
    sidecar = {"model": f"sketch2real pix2pix U-Net generator ({dataset})", "dataset": dataset,
               "kind": meta.get("kind", "all"), "image_size": size, "image_height": height,
               "inputs": {"sketch": ["batch", 1, height, size],
                          **({"hints": ["batch", HINT_CHANNELS, height, size]} if hinted else {})},
               "output": {"photo": ["batch", 3, height, size]},
               "input_convention": ("grey canvas averaged down to image_size wide x image_height high, scaled to "
                                   "[-1, 1]: 1 = white paper, -1 = ink"),
               **({"hints_convention": "colour layer averaged down to the same size: RGB in [-1, 1] times the coverage, "
                                       "then the coverage in [0, 1]; zeros = no colour"} if hinted else {}),
               "output_range": [-1, 1], "config": meta.get("config"), "trained": meta.get("trained", {}),
               "onnx_bytes": out.stat().st_size, "parity_max_abs_diff": max_diff,
               **({"licence": CELEBA_NOTE} if dataset == "faces" else {}),
               **({"licence": CCP_NOTE} if dataset == "people" else {})}
    out.with_suffix(".json").write_text(json.dumps(sidecar, indent=2))
    return sidecar


def main(argv=None):
    p = argparse.ArgumentParser(prog="python -m sketch2real.export", description="Export a generator to ONNX.")
    p.add_argument("--release", type=cli.release_file, default=RELEASE / "faces.safetensors",
                   help="released weights (.safetensors with its .json beside it)")
    p.add_argument("--out", type=cli.output_file, default=None,
                   help="default: web/models/sketch2real_<release name>.onnx")
    args = p.parse_args(argv)
    try:
        meta = export(args.release, args.out)
    except ckpt.CheckpointError as e:
        raise SystemExit(f"error: {e}")
    report_export(args.out or WEB_MODELS / f"sketch2real_{args.release.stem}.onnx", meta)


if __name__ == "__main__":
    main()
