"""People photos (sketch2real.data.load_people), their body poses (sketch2real.pose, torch-free) and the
person drawings (sketch2real.person).

Everything here runs on made-up photos, label maps and poses in tmp_path, so neither mediapipe nor the
shared data is needed; the tests that read the shared people or the real pose cache skip when absent."""
import io
import os
import subprocess
import sys
import warnings

import numpy as np
import pytest
import torch
from PIL import Image
from scipy import ndimage

from ganlab.images import DataWarning
from sketch2real import data as sdata
from sketch2real import pose as sp
from sketch2real import person
from sketch2real.data import NO_LABELS, PEOPLE_SIZE, DataError, load_people
from sketch2real.landmarks import REPO_ROOT, pixel_keys
from sketch2real.person_parts import (ANKLES, EARS, ELBOWS, GROUP_NAMES, GROUP_OF_LABEL, HIPS, KNEES, LABEL_NAMES,
                                      SHOULDERS, WRISTS, head_shape, seen)

H, W = PEOPLE_SIZE
LANDMARKS_PYTHON = REPO_ROOT / ".venv-landmarks" / "bin" / "python"


# --------------------------------------------------------------------------------------------------
# Made-up photos and label maps


def made_up_photo(i: int, size=(256, 384)) -> np.ndarray:
    """uint8 [h, w, 3]: a smooth coloured gradient with a block, different for each i."""
    w, h = size
    y, x = np.mgrid[0:h, 0:w]
    photo = np.stack([(x * 255 // w + 30 * i) % 256, (y * 255 // h) % 256, np.full_like(x, 40 + 20 * i)], -1)
    photo[h // 4:h // 2, w // 3:w // 2] = (200 - 10 * i, 20 * i, 90)
    return photo.astype(np.uint8)


def made_up_labels(size=(256, 384)) -> np.ndarray:
    """uint8 [h, w]: background, then hair over skin (a head), a shirt and pants (a body)."""
    w, h = size
    labels = np.zeros((h, w), np.uint8)
    labels[h // 12:h // 5, w // 2 - w // 10:w // 2 + w // 10] = LABEL_NAMES.index("hair")
    labels[h // 8:h // 5, w // 2 - w // 14:w // 2 + w // 14] = LABEL_NAMES.index("skin")
    labels[h // 5:h // 2, w // 2 - w // 5:w // 2 + w // 5] = LABEL_NAMES.index("shirt")
    labels[h // 2:h * 9 // 10, w // 2 - w // 6:w // 2 + w // 6] = LABEL_NAMES.index("pants")
    return labels


def encode(array: np.ndarray, fmt: str) -> np.ndarray:
    buffer = io.BytesIO()
    Image.fromarray(array).save(buffer, format=fmt, **({"quality": 95} if fmt == "JPEG" else {}))
    return np.frombuffer(buffer.getvalue(), np.uint8)


def write_people_npz(path, n: int = 6, labelled=(0, 2, 3), test=(1, 2), broken_photo=None, broken_map=None):
    """A people npz like the shared one: JPEG photos, PNG label maps for some, test_index."""
    photos = [encode(made_up_photo(i), "JPEG") for i in range(n)]
    if broken_photo is not None:
        photos[broken_photo] = photos[broken_photo][:200]  # a truncated JPEG
    maps = [encode(made_up_labels(), "PNG") for _ in labelled]
    if broken_map is not None:
        maps[broken_map] = np.frombuffer(b"not a png at all", np.uint8)
    offsets = lambda blobs: np.concatenate([[0], np.cumsum([len(b) for b in blobs])]).astype(np.int64)  # noqa: E731
    np.savez(path, photo_jpg=np.concatenate(photos), photo_offsets=offsets(photos),
             mask_png=np.concatenate(maps), mask_offsets=offsets(maps), mask_index=np.array(labelled, np.int64),
             labels=np.array(LABEL_NAMES), photo_id=np.arange(1, n + 1, dtype=np.int32),
             original_size=np.tile([550, 825], (n, 1)).astype(np.int32), test_index=np.array(test, np.int64))
    return path


# --------------------------------------------------------------------------------------------------
# load_people


def test_constants_agree_between_the_torch_and_torch_free_sides():
    ours = (sdata.PEOPLE_SUBDIR, sdata.PEOPLE_FILE, sdata.PEOPLE_SIZE)
    assert ours == (sp.PEOPLE_SUBDIR, sp.PEOPLE_FILE, sp.PEOPLE_SIZE)
    assert PEOPLE_SIZE == (192, 128) and len(LABEL_NAMES) == 59 and GROUP_NAMES[0] == "background"


def test_load_people_from_an_npz(tmp_path):
    path = write_people_npz(tmp_path / "people_ccp.npz")
    train, train_labels = load_people("train", path, cache_dir=None)
    test, test_labels = load_people("test", tmp_path, cache_dir=None)  # a folder holding the npz works too
    assert train.shape == (4, 3, H, W) and train.dtype == torch.uint8
    assert test.shape == (2, 3, H, W) and test_labels.shape == (2, H, W) and test_labels.dtype == torch.uint8
    # train is photos 0, 3, 4, 5 (labelled: 0, 3); test is 1, 2 (labelled: 2)
    has_map = lambda labels: (labels != NO_LABELS).flatten(1).any(1).tolist()  # noqa: E731
    assert has_map(train_labels) == [True, True, False, False] and has_map(test_labels) == [False, True]
    assert (train_labels[2:] == NO_LABELS).all()
    # nearest neighbour: only the labels that were there, at half the size
    want = np.asarray(Image.fromarray(made_up_labels()).resize((W, H), Image.Resampling.NEAREST))
    assert np.array_equal(train_labels[0].numpy(), want)
    assert set(np.unique(train_labels[0].numpy())) == {0, 19, 41, 31, 38}
    # photos: Lanczos from 256x384, as PIL does it
    jpeg = np.asarray(Image.open(io.BytesIO(encode(made_up_photo(0), "JPEG").tobytes())).convert("RGB"))
    lanczos = np.asarray(Image.fromarray(jpeg).resize((W, H), Image.Resampling.LANCZOS)).transpose(2, 0, 1)
    assert np.array_equal(train[0].numpy(), lanczos)


def test_load_people_caches_and_skips_broken_pictures(tmp_path):
    path = write_people_npz(tmp_path / "people_ccp.npz", broken_photo=4, broken_map=1)
    with pytest.warns(DataWarning, match=r"skipped 2 unreadable image\(s\).*photo 4.*label map 1, photo 2 kept"):
        train, labels = load_people("train", path, cache_dir=tmp_path / "cache")
    assert len(train) == 3  # 0, 3, 5: photo 4 is broken
    with pytest.warns(DataWarning):
        test, test_labels = load_people("test", path, cache_dir=tmp_path / "cache")
    assert len(test) == 2 and (test_labels[1] == NO_LABELS).all(), "photo 2 stays, without its broken label map"
    assert len(list((tmp_path / "cache").glob("people-people_ccp-*.npz"))) == 1
    with pytest.warns(DataWarning):  # read back from the cache: the same pixels, and the same warning
        again, again_labels = load_people("train", path, cache_dir=tmp_path / "cache")
    assert torch.equal(again, train) and torch.equal(again_labels, labels)


def test_load_people_from_a_folder_of_photos(tmp_path):
    folder = tmp_path / "photos"
    folder.mkdir()
    sizes = [(256, 384), (300, 300), (200, 500), (640, 480), (100, 150)]
    for i, size in enumerate(sizes * 4):
        Image.fromarray(made_up_photo(i % 7, size)).save(folder / f"person_{i:02d}.png")
    (folder / "broken.jpg").write_bytes(b"\xff\xd8\xff not really a jpeg")
    with pytest.warns(DataWarning, match="broken.jpg"):
        train, train_labels = load_people("train", folder, cache_dir=None)
    with warnings.catch_warnings():
        warnings.simplefilter("ignore", DataWarning)
        test, test_labels = load_people("test", folder, cache_dir=None)
    assert len(train) + len(test) == 20 and len(test) >= 1 and len(test) < 5
    assert train.shape[1:] == (3, H, W) and test_labels.shape[1:] == (H, W)
    assert (train_labels == NO_LABELS).all() and (test_labels == NO_LABELS).all(), "a folder has no label maps"
    # any size is centre-cropped to 2:3 and resized, exactly as ganlab.images.fit_image does it
    from ganlab.images import fit_image
    names = sorted(p.name for p in folder.glob("person_*.png"))
    is_test = sdata._test_by_name(names)
    first_train = names[int(np.flatnonzero(~is_test)[0])]
    assert np.array_equal(train[0].numpy(), fit_image(Image.open(folder / first_train), (H, W), "RGB"))


def test_load_people_says_what_is_missing(tmp_path, monkeypatch):
    empty = tmp_path / "empty"
    empty.mkdir()
    with pytest.raises(DataError, match="is empty"):
        load_people("train", empty, cache_dir=None)
    with pytest.raises(DataError, match="does not exist"):
        load_people("train", tmp_path / "nowhere", cache_dir=None)
    import ganlab.data
    monkeypatch.setattr(ganlab.data, "SHARED_DATA", tmp_path / "no_shared_data")
    with pytest.raises(DataError, match="people_ccp.npz was not found.*pass --data-dir"):
        load_people("train", cache_dir=None)
    lone = tmp_path / "lone"
    lone.mkdir()
    Image.fromarray(made_up_photo(0)).save(lone / "a.png")
    with pytest.raises(DataError, match="no test photos of people.*at least 2 images"):
        load_people("test", lone, cache_dir=None)
    with pytest.raises(ValueError, match="split"):
        load_people("everything", lone, cache_dir=None)


# --------------------------------------------------------------------------------------------------
# sketch2real.pose: torch-free, and decoding exactly as load_people


def test_pose_module_is_torch_free_and_decodes_like_load_people(tmp_path):
    code = "import sys; import sketch2real.pose; assert 'torch' not in sys.modules, 'torch was imported'"
    subprocess.run([sys.executable, "-c", code], cwd=REPO_ROOT, check=True)
    path = write_people_npz(tmp_path / "people_ccp.npz", n=5, test=(3,))
    count, items = sp.photos_in(path)
    decoded = list(items)
    assert count == 5 and all(d[2] is not None for d in decoded)
    small = np.stack([d[2][0] for d in decoded])
    assert decoded[0][2][1].shape == (384, 256, 3), "detection sees the full 256x384 photo"
    train, _ = load_people("train", path, cache_dir=None)
    test, _ = load_people("test", path, cache_dir=None)
    assert np.array_equal(small[[0, 1, 2, 4]], train.numpy()) and np.array_equal(small[[3]], test.numpy())
    assert list(pixel_keys(small)[[0, 1, 2, 4]]) == list(pixel_keys(train.numpy()))
    # a folder of photos of other sizes: byte-identical too
    folder = tmp_path / "folder"
    folder.mkdir()
    for i, size in enumerate([(300, 300), (200, 500), (640, 480)]):
        Image.fromarray(made_up_photo(i, size)).save(folder / f"{i}.png")
    _, items = sp.photos_in(folder)
    keys = pixel_keys(np.stack([d[2][0] for d in items]))
    both = np.concatenate([load_people(s, folder, cache_dir=None)[0].numpy() for s in ("train", "test")])
    assert sorted(keys.tolist()) == sorted(pixel_keys(both).tolist())
    assert sp.cache_path(folder).name.startswith("people_pose_")
    assert sp.cache_path(folder) != sp.cache_path(path)


def test_pose_command_checks_its_input_before_loading_mediapipe(tmp_path, capsys):
    np.save(tmp_path / "wrong.npy", np.zeros((2, 192, 128), np.float32))
    assert sp.main(["--images", str(tmp_path / "wrong.npy"), "--out", str(tmp_path / "out.npz")]) == 2
    assert "uint8 [N, 3, H, W]" in capsys.readouterr().err
    assert sp.main(["--images", str(tmp_path / "wrong.npy")]) == 2
    assert "--out" in capsys.readouterr().err
    with pytest.raises(SystemExit):  # the flags are checked before any work (ganlab.cli)
        sp.main(["--data-dir", str(tmp_path / "nowhere")])
    assert "does not exist" in capsys.readouterr().err


# --------------------------------------------------------------------------------------------------
# Made-up poses


def standing_pose(scale: float = 1.0, angle: float = 0.0, centre=(64.0, 96.0), visibility: float = 0.99) -> np.ndarray:
    """float32 [33, 3]: a person standing facing the camera, about 150 pixels tall at scale 1, turned by
    `angle` degrees (180: upside down) about `centre`."""
    p = np.zeros((33, 2))
    p[0] = (64, 30)                                                 # nose
    p[[1, 2, 3]] = [(66, 27), (67, 27), (69, 27)]                   # left eye: inner, centre, outer
    p[[4, 5, 6]] = [(62, 27), (61, 27), (59, 27)]
    p[list(EARS)] = [(71, 29), (57, 29)]
    p[[9, 10]] = [(66, 36), (62, 36)]                               # mouth corners
    p[list(SHOULDERS)] = [(79, 50), (49, 50)]
    p[list(ELBOWS)] = [(84, 78), (44, 78)]
    p[list(WRISTS)] = [(86, 104), (42, 104)]
    p[[17, 18, 19, 20, 21, 22]] = [(88, 110), (40, 110), (86, 111), (42, 111), (84, 108), (44, 108)]
    p[list(HIPS)] = [(73, 105), (55, 105)]
    p[list(KNEES)] = [(74, 140), (54, 140)]
    p[list(ANKLES)] = [(74, 172), (54, 172)]
    p[[29, 30, 31, 32]] = [(74, 176), (54, 176), (78, 179), (50, 179)]
    a = np.radians(angle)
    turn = np.array([[np.cos(a), -np.sin(a)], [np.sin(a), np.cos(a)]])
    p = (p - (64, 96)) @ turn.T * scale + np.asarray(centre)
    return np.concatenate([p, np.full((33, 1), visibility)], 1).astype(np.float32)


def ink_near(drawing: np.ndarray, xy, radius: float) -> int:
    """Clearly inked pixels of a [1, H, W] drawing within `radius` of xy (pixel i spans i..i+1)."""
    y, x = np.mgrid[0:drawing.shape[-2], 0:drawing.shape[-1]]
    near = (x + 0.5 - xy[0]) ** 2 + (y + 0.5 - xy[1]) ** 2 <= radius ** 2
    return int(((drawing[0] < 128) & near).sum())


def distance_to_segments(xy: np.ndarray, segments) -> np.ndarray:
    """For points [K, 2], the distance to the nearest of the segments [(a, b), ...]."""
    best = np.full(len(xy), np.inf)
    for a, b in segments:
        a, b = np.asarray(a, float), np.asarray(b, float)
        t = np.clip(((xy - a) @ (b - a)) / max((b - a) @ (b - a), 1e-9), 0, 1)
        best = np.minimum(best, np.linalg.norm(xy - (a + t[:, None] * (b - a)), axis=1))
    return best


def skeleton(p: np.ndarray) -> list:
    """The segments a clean stick figure of the standing pose is drawn along (head aside)."""
    mid = lambda pair: (p[pair[0], :2] + p[pair[1], :2]) / 2  # noqa: E731
    segs = [(mid(SHOULDERS), mid(HIPS)), (p[SHOULDERS[0], :2], p[SHOULDERS[1], :2]),
            (mid(SHOULDERS), mid(EARS))]  # the neck, up to the head
    for chain in ((SHOULDERS, ELBOWS, WRISTS), (HIPS, KNEES, ANKLES)):
        for side in range(2):
            segs += [(p[chain[0][side], :2], p[chain[1][side], :2]), (p[chain[1][side], :2], p[chain[2][side], :2])]
    return segs


# --------------------------------------------------------------------------------------------------
# Stick figures


def test_stick_figure_inks_the_joints_and_nothing_far_from_them():
    p = standing_pose()
    drawing = person.stick_figure(p, np.random.default_rng(0), clean=True)
    assert drawing.shape == (1, H, W) and drawing.dtype == np.uint8
    assert ((drawing > 0) & (drawing < 255)).any(), "anti-aliased"
    for joint in (*SHOULDERS, *ELBOWS, *WRISTS, *HIPS, *KNEES, *ANKLES):
        assert ink_near(drawing, p[joint, :2], 2.5) >= 2, joint
    head = head_shape(p[:, :2], seen(p))
    assert ink_near(drawing, head["centre"] + [head["rx"], 0], 2.5) >= 2, "the head's outline"
    assert ink_near(drawing, head["centre"], 2.5) == 0, "a clean head is an empty circle"
    y, x = np.nonzero(drawing[0] < 128)
    xy = np.stack([x + 0.5, y + 0.5], 1)
    off = distance_to_segments(xy, skeleton(p))
    in_head = np.linalg.norm((xy - head["centre"]) / [head["rx"], head["ry"]], axis=1) <= 1.25
    assert (off[~in_head] < 3).all(), "no ink away from the body's lines"
    assert ink_near(drawing, (64, 80), 6) <= ink_near(drawing, (64, 80), 1.5) + 12, "the chest is mostly empty"


def test_hidden_joints_leave_their_limb_out():
    p = standing_pose()
    p[[ELBOWS[0], WRISTS[0], KNEES[1]], 2] = 0.2  # the left arm and the right knee are not seen
    for style_seed in range(6):
        d = person.stick_figure(p, np.random.default_rng(style_seed), clean=style_seed == 0, warp=False)
        for hidden in ((p[ELBOWS[0], :2] + p[WRISTS[0], :2]) / 2, p[WRISTS[0], :2],
                       (p[KNEES[1], :2] + p[ANKLES[1], :2]) / 2):
            assert ink_near(d, hidden, 3) == 0, (style_seed, hidden)
        assert ink_near(d, (p[ELBOWS[1], :2] + p[WRISTS[1], :2]) / 2, 3) > 0, "the seen arm is drawn"
        assert ink_near(d, (p[KNEES[0], :2] + p[ANKLES[0], :2]) / 2, 3) > 0, "the seen leg is drawn"


@pytest.mark.parametrize("case", ["upside down", "lying down", "tiny in a corner", "head only", "nothing seen"])
def test_odd_poses_draw_without_error(case):
    p = {"upside down": standing_pose(angle=180), "lying down": standing_pose(angle=90, scale=0.7),
         "tiny in a corner": standing_pose(scale=0.15, centre=(14, 20)), "head only": standing_pose(),
         "nothing seen": standing_pose(visibility=0.1)}[case]
    if case == "head only":
        p[11:, 2] = 0.0
    for style in person.STYLES:
        for seed in range(3):
            d = person.draw_person(p, None, None, np.random.default_rng(seed), style)
            assert d.shape == (1, H, W) and d.dtype == np.uint8
            if case == "nothing seen":
                assert (d == 255).all(), "nothing to draw: blank paper"
                continue
            assert (d < 128).any(), (case, style, seed)
            if case == "tiny in a corner":
                y, x = np.nonzero(d[0] < 128)
                assert x.max() < 45 and y.max() < 60, "the drawing stays in its corner (warp included)"
            if case == "head only":
                y, _ = np.nonzero(d[0] < 128)
                assert y.max() < 60, "no body is invented below the head"
    clean = person.stick_figure(p, np.random.default_rng(0), clean=True)
    assert clean.shape == (1, H, W)


def test_styles_differ_are_seeded_and_warp_a_little():
    p = standing_pose()
    labels = np.asarray(Image.fromarray(made_up_labels()).resize((W, H), Image.Resampling.NEAREST))
    drawings = {s: person.draw_person(p, labels, None, np.random.default_rng(3), s) for s in person.STYLES}
    for i, a in enumerate(person.STYLES):
        for b in person.STYLES[i + 1:]:
            assert not np.array_equal(drawings[a], drawings[b]), (a, b)
    again = person.draw_person(p, labels, None, np.random.default_rng(3), "stick")
    assert np.array_equal(again, drawings["stick"])
    warped = person.stick_figure(p, np.random.default_rng(4))
    plain = person.stick_figure(p, np.random.default_rng(4), warp=False)
    centre = lambda d: np.array(np.nonzero(d[0] < 128))[::-1].mean(1)  # noqa: E731
    assert not np.array_equal(warped, plain) and np.linalg.norm(centre(warped) - centre(plain)) < 6
    ink = {s: np.mean([(person.draw_person(p, None, None, np.random.default_rng(k), s) < 128).mean()
                       for k in range(8)]) for s in ("sparse", "stick", "wobbly")}  # stick figures only
    assert ink["sparse"] < ink["stick"] and ink["sparse"] < ink["wobbly"]
    with pytest.raises(ValueError, match="style"):
        person.draw_person(p, None, None, np.random.default_rng(0), "cubist")


# --------------------------------------------------------------------------------------------------
# Outlines


def test_outline_follows_the_label_map_and_the_mask():
    labels = np.asarray(Image.fromarray(made_up_labels()).resize((W, H), Image.Resampling.NEAREST))
    d = person.outline_drawing(labels, None, np.random.default_rng(0), warp=False)
    body = labels > 0
    y, x = np.nonzero(d[0] < 128)
    groups = GROUP_OF_LABEL[labels]
    boundary = np.zeros_like(body)  # pixels where the group changes (from the one above or to the left)
    boundary[1:] |= groups[1:] != groups[:-1]
    boundary[:, 1:] |= groups[:, 1:] != groups[:, :-1]
    far = ndimage.distance_transform_edt(~boundary) > 3
    assert len(y) > 50 and not far[y, x].any(), "ink only along the silhouette and the clothing boundaries"
    # the line between shirt and pants (at y = 96, x from 43 to 85) is drawn, in most drawings
    drawn = [ink_near(person.outline_drawing(labels, None, np.random.default_rng(k)), (64, 96), 4) > 0
             for k in range(10)]
    assert sum(drawn) >= 6
    # from the mask alone: the silhouette only
    mask = (body * 255).astype(np.uint8)
    m = person.outline_drawing(np.full_like(labels, NO_LABELS), mask, np.random.default_rng(0), warp=False)
    assert (m < 128).any() and ink_near(m, (64, 96), 2.5) == 0
    blank = person.outline_drawing(np.full_like(labels, NO_LABELS), None, np.random.default_rng(0))
    assert (blank == 255).all()


# --------------------------------------------------------------------------------------------------
# The pose cache, the bank, the held-out drawings


def fake_pose_cache(source, cache_dir, photos: np.ndarray, found: np.ndarray, points=None) -> None:
    """A pose cache as `python -m sketch2real.pose` writes it, with standing poses."""
    n = len(photos)
    pts = np.stack([standing_pose() for _ in range(n)]) if points is None else points
    pts[~found] = 0
    mask = np.zeros((n, H, W), np.uint8)
    mask[found, 20:180, 40:90] = 255
    sp.write_atomic(sp.cache_path(source, cache_dir), {
        "points": pts, "found": found, "mask": mask, "key": pixel_keys(photos), "index": np.arange(n, dtype=np.int32),
        "readable": np.ones(n, bool), "name": np.array([""] * n), "source": np.array(str(source)),
        "version": np.array(sp.CACHE_VERSION)})


def test_pose_missing_names_the_command(tmp_path):
    path = write_people_npz(tmp_path / "people_ccp.npz")
    photos, labels = load_people("train", path, cache_dir=None)
    with pytest.raises(person.PoseMissing) as e:
        person.load_pose(photos, cache_dir=tmp_path / "cache", data_dir=path)
    message = str(e.value)
    assert "bash scripts/setup_landmarks.sh && .venv-landmarks/bin/python -m sketch2real.pose" in message
    assert f"--data-dir {path}" in message and isinstance(e.value, DataError)
    with pytest.raises(person.PoseMissing, match="setup_landmarks"):
        person.person_bank(photos, labels, 1, 0, cache_dir=tmp_path / "cache", data_dir=path)


def test_load_pose_matches_photos_by_their_pixels(tmp_path):
    path = write_people_npz(tmp_path / "people_ccp.npz")
    photos, _ = load_people("train", path, cache_dir=None)        # 4 photos
    points = np.stack([standing_pose(scale=1 - 0.1 * i) for i in range(4)])
    fake_pose_cache(path, tmp_path, photos.numpy()[:3], np.array([True, False, True]), points[:3])
    pose = person.load_pose(photos[[2, 0, 3, 1]], cache_dir=tmp_path, data_dir=path)  # any order; 3 is not cached
    assert pose["found"].tolist() == [True, True, False, False]
    assert pose["in_cache"].tolist() == [True, True, False, True]
    assert np.allclose(pose["points"][0], points[2]) and np.allclose(pose["points"][1], points[0])
    assert (pose["points"][2:] == 0).all() and pose["mask"].shape == (4, H, W) and (pose["mask"][1] > 0).any()


def test_person_bank_draws_caches_and_marks_what_it_cannot_draw(tmp_path, monkeypatch, capsys):
    path = write_people_npz(tmp_path / "people_ccp.npz", n=6, labelled=(0, 4), test=(5,))
    photos, labels = load_people("train", path, cache_dir=None)   # photos 0..4; labelled: 0 and 4
    found = np.array([True, True, False, True, False])            # photo 4: no pose, but a label map
    fake_pose_cache(path, tmp_path, photos.numpy(), found)
    bank, usable = person.person_bank(photos, labels, 3, 0, cache_dir=tmp_path, data_dir=path)
    assert bank.shape == (3, 5, 1, H, W) and bank.dtype == torch.uint8
    assert usable.tolist() == [True, True, False, True, True]
    assert (bank[:, 2] == 255).all(), "no pose and no label map: blank paper"
    assert (bank[:, [0, 1, 3, 4]] < 128).flatten(2).any(2).all(), "every other photo gets ink in every variant"
    assert not torch.equal(bank[0], bank[1]), "variants differ"
    cached = list(tmp_path.glob("person_drawings_5x3_s0_*.npy"))
    assert len(cached) == 1
    monkeypatch.setattr(person, "draw_person", lambda *a, **k: pytest.fail("drawn again instead of loaded"))
    again, again_usable = person.person_bank(photos, labels, 3, 0, cache_dir=tmp_path, data_dir=path)
    assert torch.equal(again, bank) and torch.equal(again_usable, usable)
    assert "3 of 5 photos have a pose, 2 a label map; 1 get outlines only, 1 nothing" in capsys.readouterr().err
    monkeypatch.undo()
    monkeypatch.setattr(person, "CACHE_DIR", tmp_path)  # cache_dir None: no bank cache, the pose from CACHE_DIR
    fresh, _ = person.person_bank(photos, labels, 3, 0, cache_dir=None, data_dir=path)
    assert torch.equal(fresh, bank), "the same drawings whether cached or not"
    other, _ = person.person_bank(photos, labels, 3, 1, cache_dir=None, data_dir=path)
    assert not torch.equal(other, bank), "another seed, other drawings"


def test_held_out_drawings_are_fixed_clean_stick_figures():
    points = np.stack([standing_pose(), standing_pose(scale=0.8), standing_pose()])
    pose = {"points": points, "found": np.array([True, True, False]), "mask": np.zeros((3, H, W), np.uint8)}
    photos = np.zeros((3, 3, H, W), np.uint8)
    drawings, ref = person.test_drawings(photos, None, pose)
    assert drawings.shape == (3, 1, H, W) and drawings.dtype == torch.float32
    assert drawings.min() >= -1 and drawings.max() <= 1 and (drawings[2] == 1).all()
    assert ref.shape == (3, 33, 3) and (ref[2] == 0).all() and np.allclose(ref[0], points[0])
    again, _ = person.test_drawings(photos, None, pose)
    assert torch.equal(again, drawings)
    clean = person.stick_figure(points[0], np.random.default_rng(99), clean=True)
    assert torch.equal(drawings[0], (torch.from_numpy(clean).float() / 127.5 - 1)), "clean: the seed does not matter"


# --------------------------------------------------------------------------------------------------
# PCK


def test_pck():
    ref = np.stack([standing_pose(), standing_pose(scale=0.5)])
    assert person.pck(ref, ref, [True, True]) == 1.0
    assert person.pck(ref, ref, [False, False]) == 0.0
    assert person.pck(ref, ref, [True, False]) == pytest.approx(0.5)
    # a hand-made case: body height 142 (nose at y 30, ankles at 172), so the threshold is 14.2 pixels
    assert person.body_height(ref[0]) == pytest.approx(np.hypot(10, 142))  # the farther ankle
    gen = ref[:1].copy()
    gen[0, ELBOWS[0], 0] += 14.0        # just inside
    gen[0, WRISTS[0], 0] += 15.0        # outside
    gen[0, KNEES[1], :2] += (10, 11)    # 14.9: outside
    gen[0, 27:, :2] += 100              # the ankles are far off
    one = ref[:1].copy()
    assert person.pck(one, gen, [True]) == pytest.approx((13 - 4) / 13)
    one[0, ANKLES[1], 2] = 0.3          # a hidden reference point is not counted (the height stays: the
    #                                     other ankle is as far from the nose)
    assert person.pck(one, gen, [True]) == pytest.approx((12 - 3) / 12)
    assert person.pck(one, gen, [True], threshold=0.2) == pytest.approx(11 / 12)
    nothing = ref[:1].copy()
    nothing[..., 2] = 0
    assert np.isnan(person.pck(nothing, gen, [True]))
    with pytest.raises(ValueError):
        person.pck(ref, ref[:1], [True])


# --------------------------------------------------------------------------------------------------
# The figure, and the real data where it exists


def test_demo_writes_a_small_figure(tmp_path, capsys):
    path = write_people_npz(tmp_path / "people_ccp.npz", n=6, labelled=(0, 4), test=(1, 4, 5))
    photos, _ = load_people("test", path, cache_dir=None)
    fake_pose_cache(path, tmp_path, photos.numpy(), np.array([True, True, False]))
    out = person.demo(tmp_path / "figure.png", n=3, data_dir=path, cache_dir=tmp_path)
    with Image.open(out) as figure:
        assert figure.size[0] > 2 * W and figure.size[1] > 7 * H
    with pytest.raises(SystemExit):  # the flags are checked before any work (ganlab.cli)
        person.main([str(tmp_path / "f.png"), "--data-dir", str(tmp_path / "nowhere")])
    assert "does not exist" in capsys.readouterr().err


def test_real_people_and_pose_cache():
    """The shared people and the real pose cache, when they exist: 200 held-out photos (103 labelled),
    the label names as listed here, every held-out photo in the cache, and drawings with ink."""
    if not sp.SHARED_PEOPLE.is_file():
        pytest.skip(f"the shared people are not at {sp.SHARED_PEOPLE}")
    with np.load(sp.SHARED_PEOPLE) as d:
        assert tuple(str(s) for s in d["labels"]) == LABEL_NAMES
    photos, labels = load_people("test")
    assert photos.shape == (200, 3, H, W) and int((labels != NO_LABELS).flatten(1).any(1).sum()) == 103
    try:
        pose = person.load_pose(photos)
    except person.PoseMissing as e:
        pytest.skip(f"no pose cache yet: {e}")
    assert pose["in_cache"].all() and pose["found"].mean() > 0.98
    chosen = np.flatnonzero(pose["found"])[:16]
    drawings, ref = person.test_drawings(photos[chosen], labels[chosen],
                                         {k: v[chosen] for k, v in pose.items() if isinstance(v, np.ndarray)})
    assert ((drawings < 0).flatten(1).sum(1) > 100).all()
    assert person.pck(ref, ref, np.ones(len(chosen), bool)) == 1.0


def test_real_pose_command_on_generated_pictures(tmp_path):
    """`python -m sketch2real.pose --images` in .venv-landmarks, on held-out photos standing in for
    generated ones: the poses agree with the cache's (PCK near 1)."""
    if not LANDMARKS_PYTHON.is_file():
        pytest.skip("no .venv-landmarks (bash scripts/setup_landmarks.sh)")
    if not sp.SHARED_PEOPLE.is_file():
        pytest.skip(f"the shared people are not at {sp.SHARED_PEOPLE}")
    photos, _ = load_people("test")
    try:
        pose = person.load_pose(photos[:6])
    except person.PoseMissing as e:
        pytest.skip(f"no pose cache yet: {e}")
    np.save(tmp_path / "in.npy", photos[:6].numpy())
    subprocess.run([str(LANDMARKS_PYTHON), "-m", "sketch2real.pose", "--images", str(tmp_path / "in.npy"),
                    "--out", str(tmp_path / "out.npz"), "--quiet"], cwd=REPO_ROOT, check=True, capture_output=True,
                   env={**os.environ, "OMP_NUM_THREADS": "1"})
    with np.load(tmp_path / "out.npz") as d:
        assert d["points"].shape == (6, 33, 3) and d["found"].all()
        assert person.pck(pose["points"], d["points"], d["found"]) > 0.9


# --------------------------------------------------------------------------------------------------
# Training, exporting and the made-up poses


def run_module(module: str, *args):
    env = {**os.environ, "PYTHONPATH": str(REPO_ROOT), "OMP_NUM_THREADS": "1"}
    return subprocess.run([sys.executable, "-m", module, *args], cwd=REPO_ROOT, env=env, capture_output=True,
                          text=True, timeout=300)


def test_people_train_export_and_a_missing_pose_cache(tmp_path):
    """`train --dataset people` on made-up photos: a portrait release that exports to a 128x192 ONNX model.
    Without the pose cache it stops at once with the command that makes it."""
    path = write_people_npz(tmp_path / "people_ccp.npz", n=6, labelled=(0, 2), test=(1, 2))
    cache = tmp_path / "cache"
    common = ["--dataset", "people", "--data-dir", str(path), "--cache-dir", str(cache), "--steps", "2",
              "--batch-size", "2", "--eval-pairs", "2", "--max-channels", "16", "--quiet"]
    missing = run_module("sketch2real.train", *common, "--out", str(tmp_path / "none"))
    assert missing.returncode != 0 and "setup_landmarks.sh" in missing.stderr and "Traceback" not in missing.stderr
    photos = torch.cat([load_people(split, path, cache_dir=cache)[0] for split in ("train", "test")])
    fake_pose_cache(path, cache, photos.numpy(), np.ones(len(photos), bool))
    done = run_module("sketch2real.train", *common, "--out", str(tmp_path / "run"))
    assert done.returncode == 0, done.stderr
    release = tmp_path / "run" / "generator.safetensors"
    config = __import__("json").loads(release.with_suffix(".json").read_text())["config"]
    assert (config["image_size"], config["image_height"], config["width"]) == (128, 192, 16)
    exported = run_module("sketch2real.export", "--release", str(release), "--out", str(tmp_path / "p.onnx"))
    assert exported.returncode == 0, exported.stderr
    sidecar = __import__("json").loads((tmp_path / "p.json").read_text())
    assert sidecar["inputs"]["sketch"] == ["batch", 1, 192, 128] and sidecar["dataset"] == "people"


def test_everyday_people_are_drawn_without_any_data():
    from sketch2real.everyday_people import NAMES, everyday_people
    drawings, names = everyday_people()
    assert drawings.shape == (len(NAMES), 1, H, W) and names == list(NAMES)
    ink = (drawings < 0).flatten(1).sum(1)
    assert (ink > 20).all(), "every made-up pose leaves ink"
    by_name = dict(zip(names, ink.tolist()))
    assert by_name["head only"] < by_name["standing"] / 2 and by_name["tiny, in a corner"] < by_name["standing"] / 2
    tiny = (drawings[names.index("tiny, in a corner"), 0] < 0).nonzero().float().mean(0)
    assert tiny[0] < H / 3 and tiny[1] < W / 3, "the tiny figure sits in the top-left corner"
