"""Landmark doodles (sketch2real.doodle) and the torch-free landmark side (sketch2real.landmarks).

The renderer is tested on made-up landmarks, so mediapipe is not needed; one test reads the real landmark
cache when `python -m sketch2real.landmarks` has made it, and skips with the command otherwise."""
import io
import subprocess
import sys

import numpy as np
import pytest
import torch
from PIL import Image

from sketch2real import doodle_parts, landmarks as lm
from sketch2real.doodle import (BROWS, EYES, FACE_OVAL, HAIR_STYLES, LIPS_INNER, LIPS_OUTER, NOSE_BRIDGE, STYLES,
                                LandmarksMissing, SmoothWarp, doodle_bank, landmark_doodles, load_landmarks,
                                hair, match_landmarks, mix_doodles, skull)
from sketch2real.doodle_parts import NOSE_KINDS

REPO = lm.REPO_ROOT


# --------------------------------------------------------------------------------------------------
# Made-up faces


def synthetic_landmarks(eyes=((22.0, 28.0), (42.0, 28.0)), mouth=(32.0, 47.0), centre=(32.0, 34.0)) -> np.ndarray:
    """[468, 2]: a face-mesh-shaped face with its eyes and mouth where asked (pixels of a 64x64 picture).
    Only the indices the doodles use are placed; the rest sit in the middle."""
    p = np.tile(np.array(centre, dtype=np.float64), (468, 1))
    t = np.linspace(-np.pi / 2, 3 * np.pi / 2, len(FACE_OVAL), endpoint=False)  # from the top, clockwise
    p[FACE_OVAL] = np.stack([centre[0] + 20 * np.cos(t), centre[1] + 26 * np.sin(t)], 1)
    for (upper, lower), (bu, bl), (cx, cy), side in zip(EYES, BROWS, eyes, (-1, 1)):
        a = np.pi * np.arange(9) / 8  # outer corner (a = 0) -> inner corner (a = pi)
        p[upper] = np.stack([cx + side * 5 * np.cos(a), cy - 2 * np.sin(a)], 1)
        p[lower] = np.stack([cx + side * 5 * np.cos(a), cy + 2 * np.sin(a)], 1)
        x = cx + side * (6 - 3 * np.arange(5))
        p[bu] = np.stack([x, np.full(5, cy - 7)], 1)
        p[bl] = np.stack([x, np.full(5, cy - 5)], 1)
    nose_x = (eyes[0][0] + eyes[1][0]) / 2
    p[NOSE_BRIDGE] = np.stack([np.full(6, nose_x), np.linspace(eyes[0][1], mouth[1] - 7, 6)], 1)
    p[2] = (nose_x, mouth[1] - 5)
    p[[98, 97, 327, 326]] = [(nose_x - 4, mouth[1] - 6), (nose_x - 2, mouth[1] - 5),
                             (nose_x + 4, mouth[1] - 6), (nose_x + 2, mouth[1] - 5)]
    mx, my = mouth
    a = np.linspace(0, np.pi, 11)
    p[LIPS_OUTER[0]] = np.stack([mx - 7 * np.cos(a), my - 2 * np.sin(a)], 1)
    p[LIPS_OUTER[1]] = np.stack([mx - 7 * np.cos(a), my + 2.5 * np.sin(a)], 1)
    p[LIPS_INNER[0]] = np.stack([mx - 6 * np.cos(a), my - 0.3 * np.sin(a)], 1)
    p[LIPS_INNER[1]] = np.stack([mx - 6 * np.cos(a), my + 0.3 * np.sin(a)], 1)
    return p


def synthetic_silhouette(centre=(32.0, 30.0)) -> np.ndarray:
    """uint8 [64, 64]: a head with hair, a little bigger than the face oval, on background."""
    y, x = np.mgrid[0:64, 0:64]
    inside = ((x - centre[0]) / 25) ** 2 + ((y - centre[1]) / 30) ** 2 <= 1
    return (inside * 255).astype(np.uint8)


def ink_near(doodle: torch.Tensor, xy, radius: float) -> int:
    """How many clearly inked pixels of a [1, S, S] doodle lie within `radius` of xy (in pixels of S)."""
    s = doodle.shape[-1]
    y, x = torch.meshgrid(torch.arange(s), torch.arange(s), indexing="ij")
    near = ((x + 0.5 - xy[0]) ** 2 + (y + 0.5 - xy[1]) ** 2) <= radius ** 2
    return int(((doodle[0] < 128) & near).sum())


@pytest.fixture(scope="module")
def faces16():
    """16 made-up faces with their features in different places, and silhouettes."""
    rng = np.random.default_rng(0)
    marks, info = [], []
    for _ in range(16):
        dx, dy = rng.uniform(-4, 4, 2)
        eyes = ((22 + dx, 28 + dy), (42 + dx, 28 + dy))
        mouth = (32 + dx, 47 + dy)
        marks.append(synthetic_landmarks(eyes, mouth, centre=(32 + dx, 34 + dy)))
        info.append((eyes, mouth))
    sil = np.stack([synthetic_silhouette((32 + m[0][0][0] - 22, 30)) for m in info])
    return np.stack(marks).astype(np.float32), sil, info


# --------------------------------------------------------------------------------------------------
# The renderer


def test_output_shape_dtype_and_range(faces16):
    marks, sil, _ = faces16
    doodles, found = landmark_doodles(marks, sil, torch.Generator().manual_seed(0))
    assert doodles.shape == (16, 1, 64, 64) and doodles.dtype == torch.uint8
    assert found.dtype == torch.bool and found.all()
    ink = (255 - doodles.float()) / 255
    assert (ink.flatten(1).mean(1) > 0.01).all(), "every face gets some ink"
    assert (ink.flatten(1).mean(1) < 0.4).all(), "a doodle is mostly paper"
    assert (doodles == 255).float().mean() > 0.5
    assert ((doodles > 0) & (doodles < 255)).any(), "strokes are anti-aliased (grey at their edges)"
    big, _ = landmark_doodles(marks[:2], sil[:2], torch.Generator().manual_seed(0), size=128)
    assert big.shape == (2, 1, 128, 128)
    three = np.concatenate([marks[:2], np.zeros((2, 468, 1), np.float32)], -1)  # [N, 468, 3] works too
    assert landmark_doodles(three, None)[0].shape == (2, 1, 64, 64)
    with pytest.raises(ValueError, match="468"):
        landmark_doodles(np.zeros((2, 10, 2)), None)
    with pytest.raises(ValueError, match="style"):
        landmark_doodles(marks[:1], None, style="cubist")


@pytest.mark.parametrize("style", STYLES)
def test_ink_lands_on_the_eyes_and_mouth(faces16, style):
    marks, sil, info = faces16
    doodles, _ = landmark_doodles(marks, sil, torch.Generator().manual_seed(1), style=style)
    for d, (eyes, mouth) in zip(doodles, info):
        for eye in eyes:  # eyes are always drawn: a dot, a circle, an almond or a lid, near the eye
            assert ink_near(d, eye, 6.5) >= 2, (style, eye)
        # the middle of the forehead, between the brows and the head's top, stays mostly paper
        forehead = ((eyes[0][0] + eyes[1][0]) / 2, eyes[0][1] - 14)
        assert ink_near(d, forehead, 2.5) <= 6
    if style != "sparse":  # a sparse doodle may leave the mouth out
        assert all(ink_near(d, mouth, 7) >= 3 for d, (_, mouth) in zip(doodles, info))


def test_ink_follows_the_landmarks():
    """Moving the features moves the ink: a doodle is drawn where *this* photo's eyes are."""
    g = lambda: torch.Generator().manual_seed(5)
    left = synthetic_landmarks(eyes=((18, 26), (34, 26)), mouth=(26, 45), centre=(26, 33))
    right = synthetic_landmarks(eyes=((30, 26), (46, 26)), mouth=(38, 45), centre=(38, 33))
    a, _ = landmark_doodles(left[None], None, g(), style="clean", warp=False)
    b, _ = landmark_doodles(right[None], None, g(), style="clean", warp=False)
    xs = torch.arange(64).float()
    centre_x = lambda d: float(((255 - d[0, 0].float()).sum(0) * xs).sum() / (255 - d[0, 0].float()).sum())
    assert centre_x(b) - centre_x(a) == pytest.approx(12, abs=2.5)


def test_styles_differ_and_sparse_has_less_ink_than_heavy(faces16):
    marks, sil, _ = faces16
    ink = {}
    for style in STYLES:
        d, _ = landmark_doodles(marks, sil, torch.Generator().manual_seed(2), style=style)
        ink[style] = d
    for i, a in enumerate(STYLES):
        for b in STYLES[i + 1:]:
            assert not torch.equal(ink[a], ink[b]), (a, b)
    amount = {s: float((255 - d.float()).mean()) for s, d in ink.items()}
    assert amount["sparse"] < amount["clean"] < amount["heavy"]
    assert amount["heavy"] > 1.6 * amount["sparse"]
    # random styles: a mix, each face drawn in one of them
    mixed, _ = landmark_doodles(marks, sil, torch.Generator().manual_seed(2))
    assert amount["sparse"] < float((255 - mixed.float()).mean()) < amount["heavy"]


def test_exaggerated_eyes_are_bigger(faces16):
    marks, sil, info = faces16
    ex, _ = landmark_doodles(marks, None, torch.Generator().manual_seed(3), style="exaggerated", warp=False)
    plain, _ = landmark_doodles(marks, None, torch.Generator().manual_seed(3), style="clean", warp=False)

    def eye_extent(d, eyes):  # horizontal spread of the ink in a band around the eyes, between the cheeks
        band = d[0, int(eyes[0][1]) - 5:int(eyes[0][1]) + 5, int(eyes[0][0]) - 9:int(eyes[1][0]) + 10] < 128
        return float(band.any(0).sum())
    sizes_ex = [eye_extent(d, e) for d, (e, _) in zip(ex, info)]
    sizes_plain = [eye_extent(d, e) for d, (e, _) in zip(plain, info)]
    assert np.mean(sizes_ex) > np.mean(sizes_plain)


def test_warp_is_small_smooth_and_seeded():
    warp = SmoothWarp(np.random.default_rng(0), size=64, amount=2.0, degrees=4, scale=0.05, shift=1.5)
    grid = np.stack(np.meshgrid(np.arange(0, 64, 1.0), np.arange(0, 64, 1.0)), -1).reshape(-1, 2)
    moved = warp(grid)
    reach = 1.5 * 2 ** 0.5 + 2.0 * 2 ** 0.5 + 32 * 2 ** 0.5 * (0.05 + np.radians(4))
    assert np.linalg.norm(moved - grid, axis=1).max() <= reach
    field = warp.displacement(grid)
    assert np.abs(field).max() <= 2.0 + 1e-9
    # smooth: neighbouring pixels move almost alike, so a stroke bends but does not break
    step = np.linalg.norm(warp.displacement(grid + [1.0, 0]) - field, axis=1).max()
    assert step < 0.3
    again = SmoothWarp(np.random.default_rng(0), size=64, amount=2.0)
    assert np.allclose(again(grid), moved)
    assert not np.allclose(SmoothWarp(np.random.default_rng(1), size=64, amount=2.0)(grid), moved)


def test_doodles_are_deterministic_per_seed(faces16):
    marks, sil, _ = faces16
    a, _ = landmark_doodles(marks, sil, torch.Generator().manual_seed(7))
    b, _ = landmark_doodles(marks, sil, torch.Generator().manual_seed(7))
    c, _ = landmark_doodles(marks, sil, torch.Generator().manual_seed(8))
    assert torch.equal(a, b)
    assert not torch.equal(a, c)
    # the warp moves the drawing, a little: with and without it, the ink is in nearly the same place
    w, _ = landmark_doodles(marks, sil, torch.Generator().manual_seed(7), style="clean")
    n, _ = landmark_doodles(marks, sil, torch.Generator().manual_seed(7), style="clean", warp=False)
    assert not torch.equal(w, n)
    xs = torch.arange(64).float()
    centre = lambda d: ((255 - d[:, 0].float()).sum(1) * xs).sum(1) / (255 - d[:, 0].float()).sum((1, 2))
    assert (centre(w) - centre(n)).abs().max() < 4


def test_faces_without_landmarks_are_masked(faces16):
    marks, sil, _ = faces16
    marks = marks[:4].copy()
    marks[1] = np.nan
    doodles, found = landmark_doodles(marks, sil[:4], torch.Generator().manual_seed(0))
    assert found.tolist() == [True, False, True, True]
    assert (doodles[1] == 255).all(), "no landmarks: blank paper, the caller keeps the edge sketch"
    assert (doodles[[0, 2, 3]] < 255).any()


# --------------------------------------------------------------------------------------------------
# The cache: missing, matching photos, the bank


def write_faces_npz(path, faces: np.ndarray) -> None:
    """A faces npz like the shared one: JPEG bytes, offsets, celeba_id, test_index."""
    blobs = []
    for f in faces:
        buf = io.BytesIO()
        Image.fromarray(f.transpose(1, 2, 0)).save(buf, format="JPEG", quality=95)
        blobs.append(np.frombuffer(buf.getvalue(), np.uint8))
    offsets = np.concatenate([[0], np.cumsum([len(b) for b in blobs])]).astype(np.int64)
    np.savez(path, jpg=np.concatenate(blobs), offsets=offsets, celeba_id=np.arange(1, len(faces) + 1, dtype=np.int32),
             source=np.zeros(len(faces), np.uint8), test_index=np.array([0], np.int64))


def test_load_landmarks_says_which_command_makes_the_cache(tmp_path):
    faces = np.random.default_rng(0).integers(0, 256, (3, 3, 64, 64), dtype=np.uint8)
    write_faces_npz(tmp_path / "faces_64_jpg.npz", faces)
    with pytest.raises(LandmarksMissing) as e:
        load_landmarks(tmp_path / "faces_64_jpg.npz", cache_dir=tmp_path / "cache")
    message = str(e.value)
    assert "bash scripts/setup_landmarks.sh && .venv-landmarks/bin/python -m sketch2real.landmarks" in message
    assert f"--data-dir {tmp_path / 'faces_64_jpg.npz'}" in message
    assert "edge sketches" in message
    with pytest.raises(LandmarksMissing, match="setup_landmarks"):
        doodle_bank(torch.from_numpy(faces), 1, 0, cache_dir=tmp_path / "cache", data_dir=tmp_path)
    with pytest.raises(LandmarksMissing, match="--out"):
        load_landmarks(path=tmp_path / "nothing.npz")


def test_landmark_module_is_torch_free_and_decodes_like_the_trainer(tmp_path):
    """.venv-landmarks has no torch: the module must import without it, and decode the faces to the very
    pixels sketch2real.data gives the trainer, so the cache's keys find the trainer's photos."""
    code = "import sys; import sketch2real.landmarks; assert 'torch' not in sys.modules, 'torch was imported'"
    subprocess.run([sys.executable, "-c", code], cwd=REPO, check=True)
    from sketch2real.data import load_faces

    rng = np.random.default_rng(1)
    y, x = np.mgrid[0:64, 0:64]
    faces = np.stack([np.stack([(x * 3 + i * 40) % 256, (y * 3) % 256, np.full_like(x, 60 + 10 * i)])
                      for i in range(5)]).astype(np.uint8)
    faces[:, :, 20:30, 20:30] = rng.integers(0, 256, (5, 3, 1, 1))
    write_faces_npz(tmp_path / "faces_64_jpg.npz", faces)
    count, items = lm.faces_in(tmp_path / "faces_64_jpg.npz")
    decoded = [item for item in items]
    assert count == 5 and [d[1] for d in decoded] == [1, 2, 3, 4, 5]  # celeba ids
    ours = lm.pixel_keys(np.stack([d[3] for d in decoded]))
    train = load_faces("train", tmp_path, cache_dir=None)  # faces 1..4 (0 is the held-out one)
    assert list(lm.pixel_keys(train.numpy())) == list(ours[1:])
    # a folder of images: the same files, decoded the same way
    folder = tmp_path / "folder"
    folder.mkdir()
    for i, f in enumerate(faces):
        Image.fromarray(f.transpose(1, 2, 0)).resize((80, 96)).save(folder / f"{i:03d}.png")
    count, items = lm.faces_in(folder)
    keys = lm.pixel_keys(np.stack([d[3] for d in items]))
    both = np.concatenate([load_faces("train", folder, cache_dir=None), load_faces("test", folder, cache_dir=None)])
    assert sorted(keys.tolist()) == sorted(lm.pixel_keys(both).tolist())
    assert lm.source_fingerprint(folder) != lm.source_fingerprint(tmp_path / "faces_64_jpg.npz")


def fake_cache(path, photos: np.ndarray, marks: np.ndarray, sil: np.ndarray, found: np.ndarray):
    """A landmark cache as `python -m sketch2real.landmarks` writes it, for made-up faces."""
    n = len(photos)
    points = np.concatenate([marks, np.zeros((n, 468, 1))], -1).astype(np.float16)
    points[~found] = 0
    lm.write_atomic(path, {"points": points, "found": found, "silhouette": sil, "key": lm.pixel_keys(photos),
                           "index": np.arange(n, dtype=np.int32), "celeba_id": np.arange(1, n + 1, dtype=np.int32),
                           "readable": np.ones(n, bool), "name": np.array([""] * n), "source": np.array("test"),
                           "version": np.array(lm.CACHE_VERSION)})


def test_doodle_bank_matches_photos_and_caches(tmp_path, faces16, capsys):
    marks, sil, _ = faces16
    photos = np.random.default_rng(2).integers(0, 256, (6, 3, 64, 64), dtype=np.uint8)
    found = np.array([True, True, False, True, True, True])
    path = tmp_path / "face_landmarks_test.npz"
    fake_cache(path, photos[:5], marks[:5], sil[:5], found[:5])  # photo 5 is not in the cache at all
    shuffled = torch.from_numpy(photos[[3, 0, 5, 2, 1]])          # any order, any subset
    bank, have = doodle_bank(shuffled, 2, 0, cache_dir=tmp_path, landmarks_path=path)
    assert bank.shape == (2, 5, 1, 64, 64) and bank.dtype == torch.uint8
    assert have.tolist() == [True, True, False, False, True]
    assert (bank[:, [2, 3]] == 255).all() and (bank[:, [0, 1, 4]] < 128).flatten(2).any(2).all()
    assert not torch.equal(bank[0], bank[1]), "variants differ"
    log = capsys.readouterr().err
    assert "3 of 5 faces have landmarks; 2 keep their edge sketches (1 are not in" in log
    # the doodle of photo 3 is drawn from row 3's landmarks: ink near that face's eyes
    points, _, _ = match_landmarks(shuffled, load_landmarks(path=path))
    assert np.allclose(points[0], marks[3], atol=0.05)
    cached = list(tmp_path.glob("doodles_faces_5x2_s0_*.npy"))
    assert len(cached) == 1
    again, _ = doodle_bank(shuffled, 2, 0, cache_dir=tmp_path, landmarks_path=path)
    assert torch.equal(again, bank)
    fresh, _ = doodle_bank(shuffled, 2, 0, cache_dir=None, landmarks_path=path)
    assert torch.equal(fresh, bank)


def test_mix_doodles_only_where_there_are_landmarks():
    sketches = torch.zeros(4, 200, 1, 8, 8, dtype=torch.uint8)
    doodles = torch.full_like(sketches, 255)
    found = torch.arange(200) % 4 != 0  # every 4th photo has no landmarks
    mixed = mix_doodles(sketches, doodles, found, 0.5, torch.Generator().manual_seed(0))
    is_doodle = (mixed == 255).flatten(2).all(2)
    assert not is_doodle[:, ~found].any(), "a photo without landmarks keeps its edge sketch"
    assert 0.4 < is_doodle[:, found].float().mean() < 0.6
    assert torch.equal(mix_doodles(sketches, doodles, found, 0.0), sketches)
    assert torch.equal(mix_doodles(sketches, doodles, found, 1.0)[:, found], doodles[:, found])
    assert torch.equal(mixed, mix_doodles(sketches, doodles, found, 0.5, torch.Generator().manual_seed(0)))
    with pytest.raises(ValueError):
        mix_doodles(sketches, doodles[:, :10], found, 0.5)


def test_real_landmark_cache():
    """The real cache, when `python -m sketch2real.landmarks` has made it: most faces found, and the
    trainer's photos find their rows."""
    if not lm.SHARED_FACES.is_file():
        pytest.skip(f"the shared faces are not at {lm.SHARED_FACES}")
    try:
        marks = load_landmarks()
    except LandmarksMissing as e:
        pytest.skip(f"no landmark cache yet: {e}")
    from sketch2real.data import load_faces

    assert marks["found"].mean() > 0.98
    pts = marks["points"][marks["found"]]
    assert np.isfinite(pts).all() and pts.min() > -32 and pts.max() < 96
    test = load_faces("test")
    points, sil, found = match_landmarks(test, marks)
    assert found.mean() > 0.97
    # eyes sit in the upper half, the mouth below them, on average
    eye_y = np.nanmean(points[found][:, [159, 386], 1])
    mouth_y = np.nanmean(points[found][:, [13, 14], 1])
    assert 15 < eye_y < 40 < mouth_y < 60
    doodles, have = landmark_doodles(points[:32], sil[:32], torch.Generator().manual_seed(0))
    assert have.tolist() == found[:32].tolist()
    assert ((doodles[have] < 128).flatten(1).sum(1) > 20).all()


# --------------------------------------------------------------------------------------------------
# Hair and the whole head (sketch2real.doodle_hair)


def hair_ink(strokes) -> np.ndarray:
    """Render a part's strokes alone (a 1.2 px pen), bool [64, 64]: inked."""
    from sketch2real.doodle import _draw
    return _draw(strokes, 1.2, 64, 64) < 128


def ellipse_mask(centre, rx, ry, grow=0.0) -> np.ndarray:
    y, x = np.mgrid[0:64, 0:64] + 0.5
    return ((x - centre[0]) / (rx + grow)) ** 2 + ((y - centre[1]) / (ry + grow)) ** 2 <= 1


@pytest.mark.parametrize("style", HAIR_STYLES)
def test_hair_is_drawn_where_the_hair_is(style):
    """Every hair style inks the band between the face oval (20 x 26 about (32, 34)) and the silhouette's
    edge (26 x 29 about (32, 33), inside the picture), above the mouth, and nowhere else."""
    p = synthetic_landmarks()
    y, x = np.mgrid[0:64, 0:64]
    silhouette = (ellipse_mask((32, 33), 26, 29) * 255).astype(np.uint8)
    for seed in range(4):
        ink = hair_ink(hair(p, p[FACE_OVAL], silhouette, np.random.default_rng(seed), style))
        assert ink.sum() >= 15, (style, seed)
        stray = ink & (ellipse_mask((32, 34), 20, 26, grow=-2.5) | ~ellipse_mask((32, 33), 26, 29, grow=3.0))
        assert stray.sum() <= 0.05 * ink.sum(), (style, seed, int(stray.sum()), int(ink.sum()))
        assert not (ink & (y > 47 + 2)).any(), "hair stops above the mouth"
    with pytest.raises(ValueError, match="hair style"):
        hair(p, p[FACE_OVAL], silhouette, np.random.default_rng(0), "mohawk")
    assert hair(p, p[FACE_OVAL], None, np.random.default_rng(0)) == []


def test_hair_styles_differ_and_hair_running_off_the_top_is_filled_not_outlined():
    p = synthetic_landmarks()
    silhouette = (ellipse_mask((32, 30), 25, 34) * 255).astype(np.uint8)  # runs off the picture's top
    drawn = {s: hair_ink(hair(p, p[FACE_OVAL], silhouette, np.random.default_rng(3), s)) for s in HAIR_STYLES}
    for a in HAIR_STYLES:
        for b in HAIR_STYLES:
            if a < b:
                assert (drawn[a] != drawn[b]).sum() > 20, (a, b)
    above_face = slice(0, 8)  # the face oval's top is at y = 8
    for style in ("scribble", "spikes", "curls"):
        assert drawn[style][above_face].sum() >= 5, style
    assert not drawn["outline"][:3, 22:42].any(), "no outline along the picture's edge where the hair runs off it"


def test_whole_head_goes_over_the_skull():
    """skull(): the jaw of the face oval, and over the top a curve between the hairline and the hair's top."""
    p = synthetic_landmarks()  # face oval from y = 8 (hairline) to y = 60 (chin)
    silhouette = (ellipse_mask((32, 30), 25, 28) * 255).astype(np.uint8)  # hair's top at y = 2
    for seed in range(5):
        outline = skull(p, silhouette, np.random.default_rng(seed))
        assert np.allclose(outline[0], outline[-1]), "a closed loop"
        assert 2 <= outline[:, 1].min() < 8, "over the skull: above the hairline, under the hair's top"
        assert outline[:, 1].max() == pytest.approx(60, abs=1), "round the chin"
        below = outline[outline[:, 1] > 40]  # the jaw follows the face oval
        r = np.hypot((below[:, 0] - 32) / 20, (below[:, 1] - 34) / 26)
        assert np.abs(r - 1).max() < 0.08
    no_hair = skull(p, None, np.random.default_rng(0))  # no silhouette: a share of the face above the hairline
    assert 1 <= no_hair[:, 1].min() < 8


@pytest.mark.parametrize("kind", NOSE_KINDS)
def test_every_nose_kind_is_drawn_on_the_nose(kind, monkeypatch):
    """Each kind of nose inks between the eyes and the mouth, near the middle of the face, and nowhere else."""
    monkeypatch.setattr(doodle_parts, "NOSE_SHARE", tuple(float(k == kind) for k in NOSE_KINDS))
    p = synthetic_landmarks()  # eyes at y = 28, the nose from y = 28 to its bottom at y = 42, mouth at y = 47
    for seed in range(4):
        ink = hair_ink(doodle_parts.nose(p, np.random.default_rng(seed), 1.0))
        ys, xs = np.nonzero(ink)
        assert len(ys) >= 2, (kind, seed)
        assert ys.min() >= 27 and ys.max() <= 45 and np.abs(xs + 0.5 - 32).max() <= 7, (kind, seed, ys, xs)
