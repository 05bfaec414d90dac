"""Training and held-out pairs for sketch2real: each photo with the drawings the model learns from.

Faces have no drawings, so every training photo gets `variants` synthetic sketches (sketch2real.sketch:
random pen, wobble, missing strokes) and, where mediapipe found the face, landmark doodles
(sketch2real.doodle) in place of a share of them. Shoes and handbags come with edge maps, which get the
same pen treatment. People get stick figures and outlines drawn from their pose (sketch2real.person).
Sketches are made once and cached in data/cache/ by content.

    photos, edges = load_pairs("faces", "train")                  # uint8 photos; edges None for faces
    bank = sketch_bank("faces", photos, edges, variants=4, seed=0) # uint8 [4, N, 1, 64, 64], 255 = paper
    held_out = test_sketches("faces", *load_pairs("faces", "test"))  # float [-1, 1], the same every run
    strange = distorted_drawings(to_unit_range(bank[0, :32]), generator)  # drawings that match no photo
"""
import hashlib
import sys
from pathlib import Path

import numpy as np
import torch

from ganlab import checkpoint as ckpt
from ganlab.data import DataError, to_unit_range
from sketch2real.data import CACHE_DIR, load_faces, load_people, load_shoes_bags
from sketch2real.sketch import edges_to_sketch, photo_to_sketch

def make_sketches(dataset: str, photos: torch.Tensor, edges: torch.Tensor | None, generator, augment=True,
                  chunk: int = 256, desc: str | None = None) -> torch.Tensor:
    """One synthetic sketch per photo as uint8 [N, 1, S, S] (255 = paper): from the photo (faces) or from its
    edge map (shoes/bags)."""
    from tqdm import tqdm
    out = torch.empty(photos.shape[0], 1, *photos.shape[-2:], dtype=torch.uint8)
    for start in tqdm(range(0, photos.shape[0], chunk), desc=desc, leave=False, disable=desc is None):
        end = start + chunk
        if edges is None:
            s = photo_to_sketch(photos[start:end], generator, augment)
        else:
            s = edges_to_sketch(edges[start:end], generator, augment)
        out[start:end] = (s * 255).round().to(torch.uint8)
    return out


def sketch_bank(dataset: str, photos: torch.Tensor, edges, variants: int, seed: int,
                cache_dir: Path = CACHE_DIR) -> torch.Tensor:
    """`variants` augmented sketches of every photo, uint8 [V, N, 1, S, S], cached on disk by content
    (cache_dir None: made every time)."""
    generator = torch.Generator().manual_seed(seed)
    make = lambda: torch.stack([make_sketches(dataset, photos, edges, generator, desc=f"sketches {v + 1}/{variants}")
                                for v in range(variants)])
    if cache_dir is None:
        return make()
    key = hashlib.sha1(photos.numpy().tobytes())
    if edges is not None:
        key.update(edges.numpy().tobytes())
    path = Path(cache_dir) / f"sketches_{dataset}_{photos.shape[0]}x{variants}_s{seed}_{key.hexdigest()[:12]}.npy"
    if path.is_file():
        try:
            bank = np.load(path, mmap_mode=None)
            if bank.shape == (variants, *photos.shape[:1], 1, *photos.shape[-2:]):
                return torch.from_numpy(bank)
        except (OSError, ValueError):
            pass  # a damaged cache is simply made again
    bank = make()
    ckpt.atomic_write(path, lambda f: np.save(f, bank.numpy()))
    return bank


def with_doodles(sketches: torch.Tensor, photos: torch.Tensor, args) -> torch.Tensor:
    """The faces' sketch bank with a share of its entries swapped for landmark doodles of the same photo
    (args.doodles; None: half, when the landmark cache exists). Photos without landmarks keep their edge
    sketches. A missing cache is an error only when doodles were asked for by name."""
    from sketch2real.doodle import LandmarksMissing, doodle_bank, mix_doodles
    share = 0.5 if args.doodles is None else args.doodles
    if share == 0:
        return sketches
    try:
        doodles, found = doodle_bank(photos, sketches.shape[0], args.seed, args.cache_dir, data_dir=args.data_dir)
    except LandmarksMissing as e:
        if args.doodles is not None:
            raise
        print(f"note: training on edge sketches only. {e}", file=sys.stderr)
        return sketches
    return mix_doodles(sketches, doodles, found, share, torch.Generator().manual_seed(args.seed))


def load_pairs(dataset: str, split: str, data_dir=None, kind: str = "all", cache_dir=CACHE_DIR):
    """(photos uint8 [N, 3, H, W], extra): extra is None for faces, the edge maps uint8 [N, 1, S, S] for
    shoes/bags, the label maps uint8 [N, H, W] (255: none) for people."""
    if dataset == "faces":
        return load_faces(split, data_dir, cache_dir=cache_dir), None
    if dataset == "people":
        return load_people(split, data_dir, cache_dir=cache_dir)
    edges, photos = load_shoes_bags(split, data_dir, kind=kind, cache_dir=cache_dir)
    return photos, edges


def test_sketches(dataset: str, photos, edges, data_dir=None, cache_dir=CACHE_DIR) -> torch.Tensor:
    """The held-out sketches every evaluation uses: one plain (augment=False) drawing per photo, so numbers
    compare across runs and models (people: a clean stick figure at the photo's pose). Float [-1, 1]."""
    if dataset == "people":
        from sketch2real.person import load_pose, test_drawings
        pose = load_pose(photos, cache_dir=cache_dir, data_dir=data_dir)
        return test_drawings(photos, edges, pose)[0]
    return to_unit_range(make_sketches(dataset, photos, edges, torch.Generator().manual_seed(0), augment=False))


def people_bank(photos, labels, args) -> tuple[torch.Tensor, torch.Tensor]:
    """People's training drawings (stick figures, outlines, mixes: sketch2real.person) and the photos that
    have them: a photo where mediapipe found no person and that has no label map gets no drawing and is
    left out, with a count."""
    from sketch2real.person import person_bank
    bank, found = person_bank(photos, labels, args.variants, args.seed, args.cache_dir, data_dir=args.data_dir)
    found = torch.as_tensor(np.asarray(found), dtype=torch.bool)
    if not found.all():
        print(f"people: {int((~found).sum())} of {len(found)} training photos have no pose and no outline; "
              "left out", file=sys.stderr)
    if not found.any():
        raise DataError("no training photo has a drawing (no pose found and no label map in any)")
    return bank[:, found], photos[found]


def zoomed_pairs(sketches: torch.Tensor, photos: torch.Tensor, generator: torch.Generator,
                 max_zoom: float = 1.15) -> tuple[torch.Tensor, torch.Tensor]:
    """For --zoom: each pair (uint8 sketch [B, 1, H, W], photo [B, 3, H, W]) cropped to the same random window,
    1 to 1/`max_zoom` of the picture across, at a random place inside it, and resized back. The drawing and its
    photo move together, so the pair still matches: the model sees faces a little larger and a few pixels off
    the dataset's framing, as people draw them, and learns to make those look real too. The window stays inside
    the picture, so no border is invented."""
    b = sketches.shape[0]
    u = lambda *shape: torch.rand(*shape, generator=generator)  # noqa: E731
    zoom = 1 + (max_zoom - 1) * u(b)
    room = 1 - 1 / zoom  # how far the window's centre may move, in affine_grid's units (the picture spans 2)
    shift = (u(b, 2) * 2 - 1) * room[:, None]
    theta = torch.zeros(b, 2, 3)
    theta[:, 0, 0] = theta[:, 1, 1] = 1 / zoom
    theta[:, :, 2] = shift
    both = torch.cat([sketches, photos], 1).float()
    grid = torch.nn.functional.affine_grid(theta, list(both.shape), align_corners=False)
    out = torch.nn.functional.grid_sample(both, grid, mode="bilinear", align_corners=False)
    out = out.round().clamp(0, 255).to(torch.uint8)
    return out[:, :sketches.shape[1]], out[:, sketches.shape[1]:]


def distorted_drawings(sketches: torch.Tensor, generator: torch.Generator, max_turn: float = 20.0,
                       stretch: tuple[float, float] = (0.75, 1.3), max_shift: float = 0.1,
                       erase: float = 0.5) -> torch.Tensor:
    """Drawings that match no photo, for --unpaired: each sketch (float [-1, 1], 1 = paper) turned by up to
    `max_turn` degrees, stretched along x and y independently (exaggerated proportions: a long chin, a wide
    head), shifted by up to `max_shift` of its size, and with probability `erase` one block of it wiped out (a
    part left out). Ink moves, paper stays paper: what leaves the picture is gone, what comes in is blank."""
    b, _, h, w = sketches.shape
    u = lambda *shape: torch.rand(*shape, generator=generator)  # noqa: E731
    turn = torch.deg2rad((u(b) * 2 - 1) * max_turn)
    low, high = stretch
    sx, sy = low + (high - low) * u(b), low + (high - low) * u(b)
    shift = (u(b, 2) * 2 - 1) * max_shift * 2  # affine_grid's coordinates span 2 across the picture
    cos, sin = torch.cos(turn), torch.sin(turn)
    # affine_grid maps output coordinates to where they are read from: the inverse of the stretch
    theta = torch.stack([torch.stack([cos / sx, -sin / sx, shift[:, 0]], 1),
                         torch.stack([sin / sy, cos / sy, shift[:, 1]], 1)], 1)
    grid = torch.nn.functional.affine_grid(theta.to(sketches.dtype), list(sketches.shape), align_corners=False)
    ink = torch.nn.functional.grid_sample((1 - sketches) / 2, grid.to(sketches.device), padding_mode="zeros",
                                          align_corners=False)
    wipe = u(b) < erase
    for i in torch.nonzero(wipe).flatten().tolist():
        bh, bw = int(h * (0.15 + 0.2 * u(1).item())), int(w * (0.15 + 0.2 * u(1).item()))
        top, left = int((h - bh) * u(1).item()), int((w - bw) * u(1).item())
        ink[i, :, top:top + bh, left:left + bw] = 0
    return 1 - 2 * ink
