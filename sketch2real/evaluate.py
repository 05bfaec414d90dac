"""Measure sketch -> photo models on held-out pairs: L1 to the real photo, and a Fréchet distance.

    python -m sketch2real.evaluate                                  # the released faces GAN vs its L1-only baseline
    python -m sketch2real.evaluate --models sketch2real/release/shoes_bags.safetensors --dataset shoes_bags
    python -m sketch2real.evaluate --models runs/sketch2real_faces/generator.safetensors
    python -m sketch2real.evaluate --dataset people                 # people: FD, and PCK of the pose (mediapipe)
    python -m sketch2real.evaluate --cartoon-parts                  # + the cartoons' FD with each part left out
    python -m sketch2real.evaluate --cartoon-moves                  # + their FD drawn a little higher, lower, smaller, larger

For faces there are more figures: the distance for the outputs on procedural cartoon doodles
(sketch2real.cartoon) and on landmark doodles of the held-out faces (sketch2real.doodle, when the landmark
cache exists), and for a model that takes colour hints, how well it follows them: hints are sampled from
each held-out photo, and the CIEDE2000 colour difference between the output and the asked-for colour is
measured inside the hinted regions (median over pixels; 1 is a just-noticeable difference, 10 a clearly
different shade).

For people the held-out drawings are clean stick figures at each held-out photo's pose, and one more figure
says whether the person in the picture stands as drawn: mediapipe's pose model (in .venv-landmarks, run as
`python -m sketch2real.pose --images`) looks at every generated picture, and PCK is the share of the 13 body
keypoints it finds within 0.1 of the body's height of where the stick figure put them
(sketch2real.person.pck). The same detector on the real held-out photos gives the ceiling, and on the real
photos against other photos' stick figures the chance level.

L1 rewards the average answer: a blurry face that gets the colours right scores well. The Fréchet distance
asks whether the outputs, as a set, look like real photos: it compares the mean and covariance of image
features of the outputs with those of real photos. The features come from a network that has nothing to
do with either model (see `feature_network`), so neither model was trained to please it.
"""
import argparse
import json
import os
import subprocess
import sys
import tempfile
from pathlib import Path

import numpy as np

import torch
import torch.nn.functional as F
from torch import nn

from ganlab import checkpoint as ckpt
from ganlab import cli
from ganlab.data import REPO_ROOT, DataError, to_unit_range
from ganlab.metrics import frechet_distance, frechet_parts
from ganlab.plotting import save_grid
from sketch2real.models import build_generator
from sketch2real.sketch import gaussian_blur
from sketch2real.pairs import load_pairs, test_sketches

RELEASE = Path(__file__).resolve().parent / "release"
FEATURE_SEED = 2024


def feature_network(seed: int = FEATURE_SEED) -> nn.Module:
    """Two fixed, randomly initialised 3-layer CNNs whose activations, averaged over the picture at three
    scales, are the features (448 numbers per picture).

    Why not Inception (the usual FID)? Its weights must be downloaded, which this project cannot rely on.
    Why not the GAN's own discriminator? It was trained against this very generator, so it is blind to
    exactly the flaws that generator learned to hide. A random network was trained on nothing: it cannot
    favour either model. One of the two networks has ordinary random filters, which respond to colour and
    brightness as much as to shapes; the other has zero-mean filters, which ignore flat colour and respond
    only to edges and texture — the thing a blurred guess lacks. `evaluate` standardises every feature by
    its spread over real photos, so each counts alike, and prints sanity checks (real vs real, real vs
    blurred real) that show what the distance responds to."""
    gen = torch.Generator().manual_seed(seed)
    branches = []
    for zero_mean in (False, True):
        convs, c = [], 3
        for c_out in (32, 64, 128):
            conv = nn.Conv2d(c, c_out, 3, padding=1, bias=False)
            with torch.no_grad():
                w = torch.randn(conv.weight.shape, generator=gen) * (2 / (9 * c)) ** 0.5
                conv.weight.copy_(w - w.mean(dim=(2, 3), keepdim=True) if zero_mean else w)
            convs.append(conv)
            c = c_out
        branches.append(_MultiScaleFeatures(nn.ModuleList(convs)))
    return _Concat(nn.ModuleList(branches)).eval().requires_grad_(False)


class _Concat(nn.Module):
    def __init__(self, branches: nn.ModuleList):
        super().__init__()
        self.branches = branches

    def forward(self, images):
        return torch.cat([b(images) for b in self.branches], dim=1)


class _MultiScaleFeatures(nn.Module):
    def __init__(self, convs: nn.ModuleList):
        super().__init__()
        self.convs = convs

    def forward(self, images):  # images in [-1, 1], [B, 3, H, W]
        x, pooled = images, []
        for i, conv in enumerate(self.convs):
            x = F.relu(conv(x))
            pooled.append(x.mean(dim=(2, 3)))  # what is there, on average, at this scale
            if i < len(self.convs) - 1:
                x = F.avg_pool2d(x, 2)
        return torch.cat(pooled, dim=1)


@torch.no_grad()
def features(net: nn.Module, images: torch.Tensor, batch: int = 250) -> torch.Tensor:
    return torch.cat([net(chunk.float()) for chunk in images.split(batch)])


@torch.no_grad()
def generate(generator: nn.Module, sketches: torch.Tensor, hints: torch.Tensor | None = None,
             batch: int = 100) -> torch.Tensor:
    generator.eval()
    if hints is None:
        return torch.cat([generator(chunk) for chunk in sketches.split(batch)])
    return torch.cat([generator(s, h) for s, h in zip(sketches.split(batch), hints.split(batch))])


HINT_SEED = 11


def held_out_hints(photos_u8: torch.Tensor) -> torch.Tensor:
    """The colour hints every evaluation uses: sampled from each held-out photo with a fixed seed, every
    picture painted somewhere, no jitter (the asked-for colour is the photo's own)."""
    from sketch2real.hints import sample_hints
    return sample_hints(photos_u8, torch.Generator().manual_seed(HINT_SEED), p_none=0.0, jitter=0.0)


def colour_error(outputs: torch.Tensor, hints: torch.Tensor) -> float:
    """Median CIEDE2000 difference between the outputs ([-1, 1]) and the asked-for colour, over the pixels
    where a hint covers at least half the pixel."""
    from skimage.color import deltaE_ciede2000, rgb2lab

    from sketch2real.hints import hint_colour
    colour, where = hint_colour(hints)
    to_lab = lambda x: rgb2lab(((x.clamp(-1, 1) + 1) / 2).permute(0, 2, 3, 1).numpy())  # noqa: E731
    delta = deltaE_ciede2000(to_lab(outputs), to_lab(colour))                        # [B, S, S]
    return float(torch.from_numpy(delta)[where[:, 0]].median())


def held_out_doodles(photos_u8: torch.Tensor, data_dir=None) -> torch.Tensor | None:
    """One landmark doodle per held-out face that has landmarks (fixed seed, random style), float [-1, 1];
    None without the landmark cache."""
    from sketch2real.doodle import LandmarksMissing, landmark_doodles, load_landmarks, match_landmarks
    try:
        landmarks = load_landmarks(data_dir)
    except LandmarksMissing:
        return None
    points, silhouettes, found = match_landmarks(photos_u8, landmarks)
    found = torch.as_tensor(found, dtype=torch.bool)
    doodles, _ = landmark_doodles(points[found.numpy()], silhouettes[found.numpy()],
                                  torch.Generator().manual_seed(5), size=photos_u8.shape[-1])
    return to_unit_range(doodles)


LANDMARKS_PYTHON = REPO_ROOT / ".venv-landmarks" / "bin" / "python"


def find_poses(images: torch.Tensor) -> tuple[np.ndarray, np.ndarray] | None:
    """mediapipe's pose on pictures in [-1, 1] [N, 3, H, W]: (points [N, 33, 3] in pixels, found [N]).
    mediapipe lives in its own environment (.venv-landmarks), so this runs `sketch2real.pose --images` there;
    None (with a note) when that environment is missing."""
    if not LANDMARKS_PYTHON.is_file():
        print(f"note: no PCK: {LANDMARKS_PYTHON} is missing (bash scripts/setup_landmarks.sh makes it)",
              file=sys.stderr)
        return None
    with tempfile.TemporaryDirectory() as tmp:
        src, out = Path(tmp) / "images.npy", Path(tmp) / "poses.npz"
        np.save(src, ((images.clamp(-1, 1) + 1) * 127.5).round().to(torch.uint8).numpy())
        env = {**os.environ, "PYTHONPATH": str(REPO_ROOT)}
        done = subprocess.run([str(LANDMARKS_PYTHON), "-m", "sketch2real.pose", "--images", str(src), "--out", str(out)],
                              cwd=REPO_ROOT, env=env, capture_output=True, text=True)
        if done.returncode != 0:
            raise RuntimeError(f"sketch2real.pose --images failed:\n{done.stderr[-2000:]}")
        with np.load(out) as d:
            return d["points"], d["found"].astype(bool)


OUTLINE_SEED = 23


def held_out_outlines(labels: torch.Tensor) -> tuple[torch.Tensor, torch.Tensor]:
    """Outline drawings (sketch2real.person.outline_drawing, unwarped, fixed seed) of the held-out photos that
    have a label map: (which rows, bool [N]; drawings float [-1, 1] [M, 1, 192, 128]). They need no pose
    cache, so they check the people model wherever the shared data is."""
    from sketch2real.data import NO_LABELS
    from sketch2real.person import outline_drawing
    has_map = (labels != NO_LABELS).flatten(1).any(1)
    drawings = [outline_drawing(labels[i].numpy(), None, np.random.default_rng([OUTLINE_SEED, int(i)]), warp=False)
                for i in torch.nonzero(has_map).flatten()]
    return has_map, to_unit_range(torch.from_numpy(np.stack(drawings)))


def people_drawings(photos_u8: torch.Tensor, labels, data_dir=None):
    """The held-out stick figures of the photos that have a pose: (keep bool [N], drawings [-1, 1], their
    keypoints [M, 33, 3])."""
    from sketch2real.person import load_pose, test_drawings
    pose = load_pose(photos_u8, data_dir=data_dir)
    keep = torch.as_tensor(np.asarray(pose["found"]), dtype=torch.bool)
    drawings, points = test_drawings(photos_u8, labels, pose)  # each drawing seeded by its photo's position
    return keep, drawings[keep], np.asarray(points)[keep.numpy()]


def _name(path: Path) -> str:
    """A model's path as the tables show it: relative to the repository when it lies inside."""
    path = Path(path).resolve()
    return str(path.relative_to(REPO_ROOT)) if path.is_relative_to(REPO_ROOT) else str(path)


def load_model(path: Path):
    model, meta = ckpt.load_release(path, build_generator)
    return model.eval(), meta


def fd_judge(train_photos_u8: torch.Tensor, reference: int = 5000):
    """(feats, ref): feats(images in [-1, 1]) gives the standardised features of pictures, ref those of up to
    `reference` training photos spread over the set; frechet_distance(feats(outputs), ref) is the figure."""
    step = max(1, train_photos_u8.shape[0] // reference)
    net = feature_network()
    raw = features(net, to_unit_range(train_photos_u8[::step][:reference]))
    mean, spread = raw.mean(0), raw.std(0) + 1e-6
    feats = lambda images: (features(net, images) - mean) / spread  # noqa: E731  every feature in units of its real spread
    return feats, (raw - mean) / spread


# the cartoons every figure uses (sketch2real.cartoon, face i from (seed, i)); --cartoon-seed draws another set, to
# check a checkpoint picked on these on cartoons it was not picked on
CARTOON_SEED = 7

# --cartoon-moves: the same cartoons drawn a little higher, lower, smaller or larger (scale, shift down in pixels
# at 64 px); how much the figure owes to where sketch2real.cartoon puts the face rather than to how it is drawn
CARTOON_MOVES = {"3 px higher": (1.0, -3), "3 px lower": (1.0, 3), "10 % smaller": (0.9, 0), "10 % larger": (1.1, 0)}


def _moved(pictures: torch.Tensor, scale: float, down: float, padding_mode: str) -> torch.Tensor:
    b, _, h, w = pictures.shape
    theta = torch.tensor([[1 / scale, 0, 0], [0, 1 / scale, -2 * down / h]], dtype=pictures.dtype).expand(b, 2, 3)
    grid = F.affine_grid(theta, list(pictures.shape), align_corners=False)
    return F.grid_sample(pictures, grid, align_corners=False, padding_mode=padding_mode)


def moved_drawings(drawings: torch.Tensor, scale: float, down: float) -> torch.Tensor:
    """Drawings (float [-1, 1], 1 = paper) resized by `scale` about the centre and moved `down` pixels (negative:
    up); paper comes in at the edges."""
    return 1 - _moved(1 - drawings, scale, down, "zeros")  # ink moves; outside is paper


def moved_photos(photos: torch.Tensor, scale: float, down: float) -> torch.Tensor:
    """Photos moved as moved_drawings moves drawings; the edge pixels are repeated where nothing comes in. Their
    FD is what the move alone costs a perfect picture: the rest of a moved cartoon's cost is the model's."""
    return _moved(photos, scale, down, "border")


def evaluate(model_paths: list[Path], dataset: str = "faces", data_dir=None, kind: str = "all",
             reference: int = 5000, grids: Path | None = None, limit: int = 0, cartoon_parts: tuple = (),
             cartoon_moves: bool = False, cartoon_seed: int = CARTOON_SEED) -> dict:
    """L1 and Fréchet distance of each model on the held-out pairs (the first `limit` of them when
    limit > 0: quicker, but the distances then carry more small-sample bias), plus the metric's sanity
    checks. With `cartoon_parts` (faces; some of sketch2real.cartoon.PARTS), also the cartoons' FD with each
    of those parts left out (fd_cartoons_without): which drawn part the model turns into something unlike a
    photo. With `cartoon_moves`, also their FD drawn a little higher, lower, smaller and larger
    (fd_cartoons_moved; CARTOON_MOVES). `cartoon_seed` picks the set of cartoons (CARTOON_SEED: the figures')."""
    test_photos_u8, test_edges = load_pairs(dataset, "test", data_dir, kind)
    if limit:
        test_photos_u8, test_edges = test_photos_u8[:limit], None if test_edges is None else test_edges[:limit]
    train_photos_u8, _ = load_pairs(dataset, "train", data_dir, kind)
    ref_points = outlines = None
    if dataset == "people":  # the held-out photos that have a pose, each with its stick figure
        outlines = held_out_outlines(test_edges)[1]
        keep, sketches, ref_points = people_drawings(test_photos_u8, test_edges, data_dir)
        test_photos_u8, test_edges = test_photos_u8[keep], test_edges[keep]
    else:
        sketches = test_sketches(dataset, test_photos_u8, test_edges)
    photos = to_unit_range(test_photos_u8)
    feats, ref = fd_judge(train_photos_u8, reference)
    results = {"dataset": dataset, "held_out_pairs": photos.shape[0], "reference_photos": ref.shape[0],
               "feature_network": f"two random 3-layer CNNs (plain and zero-mean filters), seed {FEATURE_SEED}, "
                                  f"pooled at 3 scales, standardised ({ref.shape[1]} features)",
               "sanity": {"real held-out photos": frechet_distance(feats(photos), ref),
                          "held-out photos blurred (sigma 1)": frechet_distance(feats(gaussian_blur(photos, 1.0)), ref)},
               "models": {}}
    if dataset == "faces":
        results["cartoon_seed"] = cartoon_seed
    doodles = held_out_doodles(test_photos_u8, data_dir) if dataset == "faces" else None
    if doodles is not None:
        results["held_out_doodles"] = doodles.shape[0]
    if outlines is not None:
        results["held_out_outlines"] = outlines.shape[0]
    hints = held_out_hints(test_photos_u8)  # the same colour for every model, the floor and the grids
    if cartoon_moves and dataset == "faces":
        for name, move in CARTOON_MOVES.items():
            results["sanity"][f"real held-out photos {name}"] = frechet_distance(feats(moved_photos(photos, *move)), ref)
    outputs = {}
    for path in model_paths:
        model, meta = load_model(path)
        if (model.image_height, model.image_size) != tuple(photos.shape[-2:]):
            raise DataError(f"{path} makes {model.image_size}x{model.image_height} pictures but {dataset} is "
                            f"{photos.shape[-1]}x{photos.shape[-2]}")
        out = generate(model, sketches)
        outputs[path] = out
        entry = {"l1": (out - photos).abs().mean().item(), "trained": meta.get("trained", {}), "fd_parts": {}}

        def fd(key: str, part: str, pictures: torch.Tensor) -> None:
            """entry[key] = the FD of these outputs; entry["fd_parts"][part] = its mean term and spread"""
            parts = frechet_parts(feats(pictures), ref)
            entry[key] = parts.pop("fd")
            entry["fd_parts"][part] = parts
        fd("fd", "sketches", out)
        if outlines is not None:
            fd("fd_outlines", "outlines", generate(model, outlines))
        if dataset == "faces":
            from sketch2real.cartoon import cartoon_faces
            cartoons = cartoon_faces(photos.shape[0], size=model.image_size, seed=cartoon_seed) * 2 - 1
            fd("fd_cartoons", "cartoons", generate(model, cartoons))
            if cartoon_parts:
                entry["fd_cartoons_without"] = {part: frechet_distance(feats(generate(model, cartoon_faces(
                    photos.shape[0], size=model.image_size, seed=cartoon_seed, leave_out=(part,)) * 2 - 1)), ref)
                    for part in cartoon_parts}
            if cartoon_moves:
                entry["fd_cartoons_moved"] = {name: frechet_distance(feats(generate(
                    model, moved_drawings(cartoons, *move))), ref) for name, move in CARTOON_MOVES.items()}
            if doodles is not None:
                fd("fd_doodles", "doodles", generate(model, doodles))
        if model.hint_channels:
            coloured = generate(model, sketches, hints)
            entry["colour_error"] = colour_error(coloured, hints)
            entry["colour_error_no_hints"] = colour_error(out, hints)  # the same regions, no colour given
            fd("fd_with_colour", "with colour", coloured)
        results["models"][_name(path)] = entry
    if any("colour_error" in m for m in results["models"].values()):
        # the photos' own texture is not the flat colour asked for: what an exact copy of the photo scores
        results["colour_error_real_photos"] = colour_error(photos, hints)
    if ref_points is not None:
        add_pose_fidelity(results, photos, outputs, ref_points)
    if grids is not None:
        save_comparison_grids(dataset, sketches, photos, outputs, Path(grids), doodles=doodles,
                              hints=hints, outlines=outlines)
    return results


def add_pose_fidelity(results: dict, photos: torch.Tensor, outputs: dict, ref_points: np.ndarray) -> None:
    """PCK of each model's people against the stick figures they were drawn from, with the detector's
    ceiling (the real photos) and the chance level (the real photos against other photos' figures); one
    mediapipe run for all the pictures."""
    from sketch2real.person import pck
    found = find_poses(torch.cat([photos, *outputs.values()]))
    if found is None:
        return
    points, ok = found
    n = photos.shape[0]
    other = np.roll(np.arange(n), n // 2)  # every photo paired with a far-away one
    # Most of these people stand upright in the middle of the picture, so another photo's figure already
    # matches most keypoints at 0.1: the chance level is high, and 0.05 of the height tells more apart.
    for label, t in (("", 0.1), (" at 0.05", 0.05)):
        results["sanity"][f"PCK{label}: real photos vs their own stick figures"] = pck(ref_points, points[:n], ok[:n], t)
        results["sanity"][f"PCK{label}: real photos vs other photos' stick figures"] = pck(
            ref_points[other], points[:n], ok[:n], t)
    for i, path in enumerate(outputs):
        part = slice(n * (i + 1), n * (i + 2))
        entry = results["models"][_name(path)]
        entry["pck"] = pck(ref_points, points[part], ok[part], 0.1)
        entry["pck_05"] = pck(ref_points, points[part], ok[part], 0.05)
        entry["pose_found"] = float(ok[part].mean())


@torch.no_grad()
def save_comparison_grids(dataset, sketches, photos, outputs: dict, folder: Path, n: int = 8, doodles=None,
                          hints=None, outlines=None) -> list[Path]:
    """Grids with a row per model, in the order given:
    <dataset>_held_out.png: held-out sketch / each model / photo; and for faces:
    people_everyday.png: made-up stick figures (sketch2real.everyday_people) / each model;
    people_outlines.png: outline drawings of held-out people (from their label maps) / each model;
    faces_cartoons.png: cartoon doodle / each model;  faces_everyday.png: the everyday doodles (the sparse
    "circle, two dots and a smile" first) / each model;  faces_doodles.png: landmark doodles of held-out
    faces / each model;  <dataset>_colour.png (models with hints): sketch with its colour hints painted
    under it / each model without the colour / with it / photo."""
    from sketch2real.hints import hint_preview
    folder.mkdir(parents=True, exist_ok=True)
    models = {path: load_model(path)[0] for path in outputs}
    pick = torch.linspace(0, sketches.shape[0] - 1, n).long()
    rows = [sketches[pick].expand(-1, 3, -1, -1)] + [o[pick] for o in outputs.values()] + [photos[pick]]
    paths = [save_grid(torch.cat(rows), folder / f"{dataset}_held_out.png", nrow=n, scale=2)]

    def model_rows(name: str, drawings: torch.Tensor) -> Path:
        rows = [drawings.expand(-1, 3, -1, -1)] + [generate(m, drawings) for m in models.values()]
        return save_grid(torch.cat(rows), folder / name, nrow=drawings.shape[0], scale=2)

    if dataset == "faces":
        from sketch2real.cartoon import cartoon_faces, everyday_faces
        paths.append(model_rows("faces_cartoons.png", cartoon_faces(n, size=sketches.shape[-1], seed=1) * 2 - 1))
        paths.append(model_rows("faces_everyday.png", everyday_faces(size=sketches.shape[-1]) * 2 - 1))
        if doodles is not None:
            paths.append(model_rows("faces_doodles.png", doodles[torch.linspace(0, doodles.shape[0] - 1, n).long()]))
    if dataset == "people":  # made-up poses, as visitors draw them: waving, arms up, lying down, a head alone, ...
        from sketch2real.everyday_people import everyday_people
        paths.append(model_rows("people_everyday.png", everyday_people()[0]))
        if outlines is not None:
            paths.append(model_rows("people_outlines.png", outlines[torch.linspace(0, outlines.shape[0] - 1, n).long()]))
    hinted = {p: m for p, m in models.items() if m.hint_channels}
    if hints is not None and hinted:
        h = hints[pick]
        # the drawing as the page shows it: the colour under the ink (ink multiplies over the colour)
        shown = (hint_preview(h) + 1) * ((sketches[pick] + 1) / 2) - 1
        rows = [shown]
        for m in hinted.values():
            rows += [generate(m, sketches[pick]), generate(m, sketches[pick], h)]
        paths.append(save_grid(torch.cat(rows + [photos[pick]]), folder / f"{dataset}_colour.png", nrow=n, scale=2))
    return paths


def print_table(results: dict) -> None:
    print(f"{results['dataset']}: {results['held_out_pairs']} held-out pairs; Fréchet distance against "
          f"{results['reference_photos']} training photos, features: {results['feature_network']}")
    if results.get("cartoon_seed", CARTOON_SEED) != CARTOON_SEED:
        print(f"  cartoon doodles: set {results['cartoon_seed']} (the stated figures use set {CARTOON_SEED})")
    for name, value in results["sanity"].items():
        print(f"  {name:56s} {value:.3f}" if name.startswith("PCK") else f"  {name:44s} FD {value:8.2f}")
    if "colour_error_real_photos" in results:
        print(f"  colour error of the held-out photos themselves (CIEDE2000, median) "
              f"{results['colour_error_real_photos']:.1f}")
    for name, m in results["models"].items():
        extra = f"   cartoon doodles FD {m['fd_cartoons']:8.2f}" if "fd_cartoons" in m else ""
        extra += f"   landmark doodles FD {m['fd_doodles']:8.2f}" if "fd_doodles" in m else ""
        extra += f"   outlines FD {m['fd_outlines']:8.2f}" if "fd_outlines" in m else ""
        extra += (f"   with colour: FD {m['fd_with_colour']:8.2f}, colour error (CIEDE2000, median) "
                  f"{m['colour_error']:.1f} (no colour given: {m['colour_error_no_hints']:.1f})"
                  if "colour_error" in m else "")
        extra += (f"   PCK {m['pck']:.3f} (at 0.05: {m['pck_05']:.3f}; a person found in {m['pose_found']:.0%})"
                  if "pck" in m else "")
        print(f"  {name:44s} FD {m['fd']:8.2f}   L1 {m['l1']:.4f}{extra}")
        if m.get("fd_cartoons_without"):
            print(f"  {'':44s} cartoon doodles FD without their:   "
                  + "   ".join(f"{part} {v:.0f}" for part, v in m["fd_cartoons_without"].items()))
        if m.get("fd_cartoons_moved"):
            print(f"  {'':44s} cartoon doodles FD drawn:   "
                  + "   ".join(f"{move} {v:.0f}" for move, v in m["fd_cartoons_moved"].items()))
        if m.get("fd_parts"):  # why an FD is high: a shift (mean term) or too little variety (spread)
            print(f"  {'':44s} FD's mean term | spread (the outputs' feature variance / real photos'):   "
                  + "   ".join(f"{part} {p['mean_term']:.0f} | {p['spread']:.0%}" for part, p in m["fd_parts"].items()))


def main(argv=None):
    p = argparse.ArgumentParser(prog="python -m sketch2real.evaluate", description=__doc__.split("\n\n")[0])
    p.add_argument("--dataset", default="faces", choices=["faces", "shoes_bags", "people"])
    p.add_argument("--kind", default="all", choices=["all", "shoes", "bags"])
    p.add_argument("--models", type=cli.release_file, nargs="+", default=None,
                   help="released generators (.safetensors with .json beside); default: the committed "
                        "GAN and L1-only baseline for --dataset")
    p.add_argument("--data-dir", type=cli.existing_path, default=None)
    p.add_argument("--reference", type=cli.positive_int, default=5000,
                   help="training photos whose features are the reference")
    p.add_argument("--limit", type=cli.non_negative_int, default=0, help="use only the first N held-out pairs (0: all)")
    p.add_argument("--grids", type=cli.output_dir, default=None, help="folder for comparison grids (PNG)")
    p.add_argument("--json", type=cli.output_file, default=None, help="also write the figures here")
    p.add_argument("--cartoon-parts", action="store_true",
                   help="faces: also the cartoon doodles' FD with each part (head, hair, eyes, nose, mouth) left out")
    p.add_argument("--cartoon-seed", type=int, default=CARTOON_SEED,
                   help="faces: which set of cartoon doodles (default %(default)s, the one every stated figure uses); "
                        "another set checks a checkpoint picked on that one")
    p.add_argument("--cartoon-moves", action="store_true",
                   help="faces: also the cartoon doodles' FD drawn 3 px higher or lower, 10%% smaller or larger")
    args = p.parse_args(argv)
    for flag in ("cartoon_parts", "cartoon_moves"):
        if getattr(args, flag) and args.dataset != "faces":
            p.error(f"--{flag.replace('_', '-')} is for --dataset faces (the cartoons are faces)")
    if args.cartoon_seed != CARTOON_SEED and args.dataset != "faces":
        p.error("--cartoon-seed is for --dataset faces (the cartoons are faces)")
    models = args.models or [RELEASE / f"{args.dataset}.safetensors", RELEASE / f"{args.dataset}_l1.safetensors"]
    models = [m for m in models if args.models or m.is_file()] or models[:1]
    try:
        from sketch2real.cartoon import PARTS
        results = evaluate(models, args.dataset, args.data_dir, args.kind, args.reference, args.grids, args.limit,
                           PARTS if args.cartoon_parts else (), args.cartoon_moves, args.cartoon_seed)
    except (DataError, ckpt.CheckpointError) as e:
        raise SystemExit(f"error: {e}")
    print_table(results)
    if args.json:
        args.json.parent.mkdir(parents=True, exist_ok=True)
        args.json.write_text(json.dumps(results, indent=2))


if __name__ == "__main__":
    main()
