"""sketch2real's data side: loaders, cache, error messages, the photo -> sketch pipeline, cartoon faces.

Everything runs on tiny data the tests make themselves; one test reads the real shared faces when they
are there."""
import io
import os
import warnings

import numpy as np
import pytest
import torch
from PIL import Image, ImageDraw

from ganlab.data import SHARED_DATA, DataError
from sketch2real import data as s2r_data
from sketch2real.cartoon import cartoon_faces
from sketch2real.cartoon import main as cartoon_main
from ganlab.images import DataWarning
from sketch2real.data import load_faces, load_shoes_bags
from sketch2real.sketch import (demo, drop_short_strokes, edges_to_sketch, photo_to_sketch, sketch_stages,
                                stroke_labels)


# --------------------------------------------------------------------------------------------------
# Tiny data sets


def face_image(i: int, size: int = 64) -> Image.Image:
    """A made-up 'face': a gradient background, a skin-coloured oval, two dark eyes and a mouth."""
    y, x = np.mgrid[0:size, 0:size]
    background = np.stack([(x * 4 + i * 20) % 256, (y * 4) % 256, np.full_like(x, 90 + i)], -1)
    image = Image.fromarray(background.astype(np.uint8))
    draw = ImageDraw.Draw(image)
    s = size / 64
    draw.ellipse((14 * s, 8 * s, 50 * s, 60 * s), fill=(220, 180, 150))
    for ex in (24, 40):
        draw.ellipse(((ex - 3) * s, 25 * s, (ex + 3) * s, 29 * s), fill=(30, 20, 20))
    draw.line((24 * s, 46 * s, 40 * s, 46 * s), fill=(120, 40, 40), width=max(1, round(2 * s)))
    return image


def encode(image: Image.Image, fmt: str = "JPEG") -> bytes:
    buffer = io.BytesIO()
    image.save(buffer, format=fmt)
    return buffer.getvalue()


def pack(blobs: list[bytes]) -> tuple[np.ndarray, np.ndarray]:
    """Concatenated bytes and offsets, the layout of the shared npz files."""
    offsets = np.cumsum([0] + [len(b) for b in blobs]).astype(np.int64)
    return np.frombuffer(b"".join(blobs), dtype=np.uint8).copy(), offsets


@pytest.fixture(scope="module")
def faces_npz(tmp_path_factory):
    blobs = [encode(face_image(i)) for i in range(12)]
    jpg, offsets = pack(blobs)
    path = tmp_path_factory.mktemp("faces") / "faces_64_jpg.npz"
    np.savez(path, jpg=jpg, offsets=offsets, celeba_id=np.arange(1, 13, dtype=np.int32),
             source=np.zeros(12, np.uint8), test_index=np.array([1, 5, 7]))
    return path


@pytest.fixture(scope="module")
def shoes_npz(tmp_path_factory):
    split = np.array([0, 0, 0, 0, 0, 1, 1, 1], np.uint8)
    names = [f"{'val' if s else 'train'}/{i + 1}_AB.jpg" for i, s in enumerate(split)]
    photos = [encode(face_image(i, 128)) for i in range(8)]
    edges = []
    for i in range(8):
        edge = Image.new("L", (128, 128), 255)
        ImageDraw.Draw(edge).rectangle((20 + i, 30, 100, 110), outline=0)
        edges.append(encode(edge, "PNG"))
    photo_jpg, photo_offsets = pack(photos)
    edges_png, edges_offsets = pack(edges)
    path = tmp_path_factory.mktemp("shoes") / "shoes_bags_edges_128.npz"
    np.savez(path, photo_jpg=photo_jpg, photo_offsets=photo_offsets, edges_png=edges_png,
             edges_offsets=edges_offsets, split=split, name=np.array(names))
    return path


@pytest.fixture
def cache(tmp_path):
    return tmp_path / "cache"


@pytest.fixture(autouse=True, scope="module")
def one_thread():
    """These tensors are tiny: waking a second thread for each op costs more than the op, and a lot more
    on a machine whose other cores are busy."""
    threads = torch.get_num_threads()
    torch.set_num_threads(1)
    yield
    torch.set_num_threads(threads)


# --------------------------------------------------------------------------------------------------
# Faces


def test_faces_from_npz_respect_test_index(faces_npz, cache):
    train = load_faces("train", faces_npz, cache_dir=cache)
    test = load_faces("test", faces_npz.parent, cache_dir=cache)  # the folder holding it works too
    assert train.shape == (9, 3, 64, 64) and train.dtype == torch.uint8
    assert test.shape == (3, 3, 64, 64)
    # The test faces are exactly faces 1, 5 and 7: the background's red ramp starts at i * 20.
    reference = torch.from_numpy(np.array(Image.open(io.BytesIO(encode(face_image(5)))))).permute(2, 0, 1)
    assert torch.equal(test[1], reference)
    assert not any(torch.equal(t, reference) for t in train)


def test_cache_gives_identical_data_and_follows_the_source(faces_npz, cache, tmp_path):
    first = load_faces("train", faces_npz, cache_dir=cache)
    files = list(cache.glob("*.npz"))
    assert len(files) == 1
    second = load_faces("train", faces_npz, cache_dir=cache)
    assert torch.equal(first, second)
    # A source with another modification time gets a fresh cache, and the stale one goes.
    copy = tmp_path / "faces_64_jpg.npz"
    copy.write_bytes(faces_npz.read_bytes())
    load_faces("train", copy, cache_dir=cache)
    os.utime(copy, ns=(1_000_000_000, 1_000_000_000))
    assert torch.equal(load_faces("train", copy, cache_dir=cache), first)
    assert len([f for f in cache.glob("*.npz") if str(f) not in map(str, files)]) == 1


def test_faces_from_an_image_folder(tmp_path, cache):
    folder = tmp_path / "my_faces"
    (folder / "sub").mkdir(parents=True)
    for i in range(18):
        face_image(i, 100).save(folder / f"face_{i:02d}.jpg")  # another size: cropped and resized
    face_image(20).convert("L").save(folder / "grey.png")
    rgba = face_image(21).convert("RGBA")
    rgba.putalpha(128)
    rgba.save(folder / "sub" / "alpha.png")
    Image.new("RGB", (120, 80), "red").save(folder / "wide.png")  # not square: centre-cropped
    (folder / "notes.txt").write_text("not an image")
    (folder / "broken.jpg").write_bytes(b"\xff\xd8\xff\xe0 this JPEG stops here")
    with pytest.warns(DataWarning, match="broken.jpg"):
        train = load_faces("train", folder, cache_dir=cache)
    with pytest.warns(DataWarning, match="broken.jpg"):  # the warning comes back with the cached data
        test = load_faces("test", folder, cache_dir=cache)
    assert train.shape[1:] == (3, 64, 64) and test.shape[1:] == (3, 64, 64)
    assert len(train) + len(test) == 21 and len(test) >= 1
    # The split depends only on the names: the same on a second look, without the cache.
    with pytest.warns(DataWarning):
        assert torch.equal(load_faces("test", folder, cache_dir=None), test)


def test_odd_images_are_converted(tmp_path):
    folder = tmp_path / "odd"
    folder.mkdir()
    Image.new("L", (64, 64), 200).save(folder / "a_grey.png")
    Image.new("RGBA", (64, 64), (0, 0, 0, 0)).save(folder / "b_clear.png")  # transparent -> white paper
    Image.new("I;16", (64, 64), 65535).save(folder / "c_16bit.png")
    images = torch.cat([load_faces(s, folder, cache_dir=None) for s in ("train", "test")])
    assert images.shape == (3, 3, 64, 64)
    assert {int(v) for v in images.flatten().unique()} <= {200, 255}


@pytest.mark.parametrize("make, message", [
    (lambda p: p / "nowhere", "does not exist"),
    (lambda p: p, "is empty"),
    (lambda p: (p / "readme.txt").write_text("hi") and p, "holds no image files"),
])
def test_missing_or_empty_data_dir(tmp_path, make, message):
    with pytest.raises(DataError, match=message):
        load_faces("train", make(tmp_path), cache_dir=None)


def test_unreadable_images_only(tmp_path):
    (tmp_path / "a.jpg").write_bytes(b"garbage")
    (tmp_path / "b.png").write_bytes(b"")
    with pytest.raises(DataError, match=r"none of the 2 images .* could be read; the first: a.jpg"):
        load_faces("train", tmp_path, cache_dir=None)


def test_a_single_image_has_no_test_split(tmp_path):
    face_image(0).save(tmp_path / "only.png")
    assert load_faces("train", tmp_path, cache_dir=None).shape == (1, 3, 64, 64)
    with pytest.raises(DataError, match="no test faces"):
        load_faces("test", tmp_path, cache_dir=None)


def test_npz_problems_are_named(tmp_path, faces_npz):
    missing = tmp_path / "faces_64_jpg.npz"
    np.savez(missing, jpg=np.zeros(3, np.uint8))
    with pytest.raises(DataError, match=r"lacks the arrays \['offsets', 'test_index'\]"):
        load_faces("train", missing, cache_dir=None)
    with np.load(faces_npz) as d:
        arrays = {k: d[k] for k in d.files}
    arrays["test_index"] = np.array([0, 99])
    bad_index = tmp_path / "bad_index.npz"
    np.savez(bad_index, **arrays)
    with pytest.raises(DataError, match="test_index points outside its 12 faces"):
        load_faces("train", bad_index, cache_dir=None)
    # One broken JPEG inside the npz: skipped with a warning that names it.
    jpg, offsets = arrays["jpg"].copy(), arrays["offsets"]
    jpg[offsets[3]:offsets[4]] = 0
    arrays.update(jpg=jpg, test_index=np.array([1, 5, 7]))
    one_broken = tmp_path / "one_broken.npz"
    np.savez(one_broken, **arrays)
    with pytest.warns(DataWarning, match="face 3"):
        assert len(load_faces("train", one_broken, cache_dir=None)) == 8


def test_bad_split_name(faces_npz):
    with pytest.raises(ValueError, match="split"):
        load_faces("validation", faces_npz, cache_dir=None)


# --------------------------------------------------------------------------------------------------
# Shoes and handbags


def test_shoes_bags_from_npz(shoes_npz, cache):
    edges, photos = load_shoes_bags("train", shoes_npz, cache_dir=cache)
    assert edges.shape == (5, 1, 128, 128) and photos.shape == (5, 3, 128, 128)
    assert edges.dtype == photos.dtype == torch.uint8
    assert (edges < 128).float().mean() < 0.1  # black lines on white
    edges_test, photos_test = load_shoes_bags("val", shoes_npz, cache_dir=cache)
    assert len(edges_test) == len(photos_test) == 3
    again = load_shoes_bags("train", shoes_npz, cache_dir=cache)
    assert torch.equal(again[0], edges) and torch.equal(again[1], photos)
    with pytest.raises(DataError, match="does not tell shoes from handbags"):
        load_shoes_bags("train", shoes_npz, kind="shoes", cache_dir=cache)
    with pytest.raises(ValueError, match="kind"):
        load_shoes_bags("train", shoes_npz, kind="boots", cache_dir=cache)


def test_shoe_or_bag_follows_the_shared_numbering():
    is_test = np.array([False] * 2000 + [True] * 400)
    names = np.array([f"train/{i}_AB.jpg" for i in range(1, 2001)] + [f"val/{i}_AB.jpg" for i in range(1, 401)])
    kind = s2r_data._shoe_or_bag(names, is_test)
    assert kind[:1000].tolist() == [0] * 1000 and kind[1000:2000].tolist() == [1] * 1000
    assert kind[2000:2200].tolist() == [0] * 200 and kind[2200:].tolist() == [1] * 200
    assert (s2r_data._shoe_or_bag(names[:-1], is_test[:-1]) == -1).all()  # another layout: unknown


def test_shoes_bags_from_a_folder_of_pairs(tmp_path):
    for split, count in (("train", 4), ("val", 2)):
        (tmp_path / split).mkdir()
        for i in range(count):
            edge = Image.new("RGB", (128, 128), "white")
            ImageDraw.Draw(edge).ellipse((20, 20, 100, 100), outline="black")
            pair = Image.new("RGB", (256, 128))
            pair.paste(edge, (0, 0))  # edges on the left, as in pix2pix's edges2shoes
            pair.paste(face_image(i, 128), (128, 0))
            pair.save(tmp_path / split / f"{i}_AB.jpg")
    Image.new("RGB", (100, 100)).save(tmp_path / "train" / "square.jpg")  # not a pair: skipped
    with pytest.warns(DataWarning, match="square.jpg"):
        edges, photos = load_shoes_bags("train", tmp_path, cache_dir=None)
    assert edges.shape == (4, 1, 128, 128) and photos.shape == (4, 3, 128, 128)
    assert edges.float().mean() > 200 and photos.float().mean() < 200  # the halves were told apart
    with pytest.warns(DataWarning):
        assert len(load_shoes_bags("test", tmp_path, cache_dir=None)[0]) == 2


# --------------------------------------------------------------------------------------------------
# Photo -> sketch


@pytest.fixture(scope="module")
def photos():
    return torch.stack([torch.from_numpy(np.array(face_image(i))).permute(2, 0, 1) for i in range(6)])


def test_sketch_shape_range_and_determinism(photos):
    a = photo_to_sketch(photos, torch.Generator().manual_seed(3))
    b = photo_to_sketch(photos, torch.Generator().manual_seed(3))
    c = photo_to_sketch(photos, torch.Generator().manual_seed(4))
    assert a.shape == (6, 1, 64, 64) and a.dtype == torch.float32
    assert a.min() >= 0 and a.max() <= 1
    assert torch.equal(a, b) and not torch.equal(a, c)
    plain = photo_to_sketch(photos, torch.Generator().manual_seed(5), augment=False)
    assert torch.equal(plain, photo_to_sketch(photos, torch.Generator().manual_seed(6), augment=False))


def test_sketch_strokes_are_a_minority(photos):
    sketches = photo_to_sketch(photos, torch.Generator().manual_seed(0))
    ink = (sketches < 0.5).float().mean((1, 2, 3))
    assert (ink > 0.01).all() and (ink < 0.35).all()
    # The drawn eyes (around row 27) show up as ink.
    assert (sketches[:, :, 22:32, 18:46] < 0.5).any(dim=(1, 2, 3)).all()


def test_flat_photo_gives_blank_paper():
    flat = torch.full((2, 3, 64, 64), 128, dtype=torch.uint8)
    noisy = (flat.int() + torch.randint(-2, 3, flat.shape, generator=torch.Generator().manual_seed(0))).byte()
    for photo in (flat, noisy):
        sketch = photo_to_sketch(photo, torch.Generator().manual_seed(0))
        assert (sketch < 0.5).float().mean() < 0.005


def test_strokes_are_labelled_whole():
    ink = torch.zeros(2, 1, 40, 40, dtype=torch.bool)
    for row in range(2, 38, 4):  # one long snake: rows joined at alternating ends (a 500-pixel stroke)
        ink[0, 0, row, 2:38] = True
        ink[0, 0, row:row + 4, 37 if row % 8 == 2 else 2] = True
    ink[0, 0, 39, 30:34] = True  # a speck, 4 pixels, not touching the snake
    ink[1, 0, 0, 0:39] = True  # the next picture's top row: a stroke of its own
    labels = stroke_labels(ink)
    assert labels[~ink].eq(0).all()
    assert labels[0, 0][ink[0, 0]].unique().numel() == 2 and labels[1, 0][ink[1, 0]].unique().numel() == 1
    assert set(labels[ink].unique().tolist()) == {1, 2, 3}
    kept = drop_short_strokes(ink, 10)
    assert torch.equal(kept, ink & ~(labels == labels[0, 0, 39, 30]))


def test_sketch_stages_are_all_there(photos):
    stages = sketch_stages(photos[:2], torch.Generator().manual_seed(0))
    assert list(stages) == ["grey", "blur", "edges", "cleaned", "width", "jitter", "drop", "sketch"]
    assert stages["edges"].dtype == torch.bool and stages["edges"].shape == (2, 1, 128, 128)
    assert stages["cleaned"].sum() <= stages["edges"].sum()
    with pytest.raises(ValueError, match="photos must be"):
        photo_to_sketch(photos[0])


def test_edges_to_sketch(shoes_npz):
    edges, _ = load_shoes_bags("train", shoes_npz, cache_dir=None)
    sketches = edges_to_sketch(edges, torch.Generator().manual_seed(0))
    assert sketches.shape == (5, 1, 128, 128) and 0 <= sketches.min() and sketches.max() <= 1
    ink = (sketches < 0.5).float().mean()
    assert 0.005 < ink < 0.2
    assert torch.equal(sketches, edges_to_sketch(edges, torch.Generator().manual_seed(0)))


def test_demo_figure(faces_npz, tmp_path):
    out = demo(tmp_path / "pipeline.png", n=3, data_dir=faces_npz)
    with Image.open(out) as image:
        assert image.width > 3 * 128 and image.height >= 7 * 128


# --------------------------------------------------------------------------------------------------
# Cartoon faces


def test_cartoon_faces():
    faces = cartoon_faces(12, size=64, seed=0)
    assert faces.shape == (12, 1, 64, 64) and faces.dtype == torch.float32
    assert faces.min() >= 0 and faces.max() <= 1
    assert torch.equal(faces, cartoon_faces(12, size=64, seed=0))
    assert torch.equal(faces[:5], cartoon_faces(5, size=64, seed=0))  # face i depends on (seed, i) only
    assert not torch.equal(faces, cartoon_faces(12, size=64, seed=1))
    ink = (faces < 0.5).float().mean((1, 2, 3))
    assert (ink > 0.03).all() and (ink < 0.35).all()
    # Every face has ink around the eye line, like the aligned photos (eyes 42 % from the top).
    assert (faces[:, :, 20:34, 10:54] < 0.5).any(dim=(1, 2, 3)).all()
    assert cartoon_faces(2, size=128).shape == (2, 1, 128, 128)


def test_cartoon_faces_leave_a_part_out_and_keep_the_rest():
    """Leaving a part out erases only that part: the other strokes are the same, so a model's figures with and
    without it compare the same faces."""
    faces = cartoon_faces(40, seed=3)
    no_nose = cartoon_faces(40, seed=3, leave_out=("nose",))
    changed = (faces != no_nose).squeeze(1)
    ys, xs = torch.nonzero(changed.any(0), as_tuple=True)
    assert changed.flatten(1).any(1).sum() >= 20, "most faces have a nose"
    assert ys.min() >= 24 and ys.max() <= 44 and xs.min() >= 20 and xs.max() <= 44, "only the middle of the face changes"
    assert (no_nose >= faces).all(), "leaving a part out only takes ink away"
    no_hair = cartoon_faces(40, seed=3, leave_out=("hair",))
    assert (faces != no_hair).squeeze(1).any(0)[:12].any(), "hair is at the top of the picture"
    assert torch.equal(cartoon_faces(40, seed=3, leave_out=()), faces)
    with pytest.raises(ValueError, match="beard"):
        cartoon_faces(2, leave_out=("beard",))


def test_cartoon_cli(tmp_path):
    cartoon_main([str(tmp_path / "grid.png"), "--n", "4", "--scale", "1"])
    with Image.open(tmp_path / "grid.png") as image:
        assert image.size == (4 * 64 + 5 * 2, 64 + 2 * 2)


# --------------------------------------------------------------------------------------------------
# The real data


def test_real_faces_split():
    folder = SHARED_DATA / "faces_celeba"
    if not (folder / "faces_64_jpg.npz").is_file():
        pytest.skip(f"the shared CelebA faces are not at {folder}")
    with warnings.catch_warnings():
        warnings.simplefilter("error", DataWarning)  # the shared file has no broken pictures
        test = load_faces("test")
        train = load_faces("train")
    with np.load(folder / "faces_64_jpg.npz") as d:
        jpg, offsets, test_index = d["jpg"], d["offsets"], np.sort(d["test_index"])
    assert test.shape == (500, 3, 64, 64) and train.shape == (len(offsets) - 1 - 500, 3, 64, 64)
    # Both splits keep the file's order: test[k] is face test_index[k] (sorted).
    k = 123
    i = int(test_index[k])
    face = np.array(Image.open(io.BytesIO(jpg[offsets[i]:offsets[i + 1]].tobytes())))
    assert torch.equal(test[k], torch.from_numpy(face).permute(2, 0, 1))


def test_distorted_drawings_move_the_ink_and_keep_the_paper():
    """--unpaired's drawings: the same strokes turned, stretched, shifted and partly wiped; blank paper stays
    blank, the same seed gives the same drawings, and a wiped block holds no ink."""
    from sketch2real.pairs import distorted_drawings
    drawings = cartoon_faces(6, size=64, seed=3) * 2 - 1
    a = distorted_drawings(drawings, torch.Generator().manual_seed(1), erase=0.0)
    torch.testing.assert_close(a, distorted_drawings(drawings, torch.Generator().manual_seed(1), erase=0.0))
    assert a.shape == drawings.shape and a.min() >= -1 and a.max() <= 1
    ink, moved = (drawings < 0).float().mean((1, 2, 3)), (a < 0).float().mean((1, 2, 3))
    assert ((a < 0) != (drawings < 0)).float().mean() > 0.02, "the strokes should move"
    assert (moved > 0.4 * ink).all() and (moved < 2.0 * ink).all(), (ink, moved)  # stretched, not lost
    blank = torch.ones(2, 1, 64, 64)
    torch.testing.assert_close(distorted_drawings(blank, torch.Generator().manual_seed(1)), blank)
    no_turn = dict(max_turn=0.0, stretch=(1.0, 1.0), max_shift=0.0)
    wiped = distorted_drawings(drawings, torch.Generator().manual_seed(2), erase=1.0, **no_turn)
    assert ((wiped < 0).sum((1, 2, 3)) < (drawings < 0).sum((1, 2, 3))).any(), "a block of ink should be wiped"
    assert (wiped >= drawings - 1e-5).all(), "wiping only removes ink"


def test_moved_drawings_shift_and_resize_the_ink():
    """evaluate --cartoon-moves: 3 px down moves every stroke 3 px down; larger spreads the ink from the centre;
    paper comes in at the edges."""
    from sketch2real.evaluate import moved_drawings
    dot = torch.ones(1, 1, 64, 64)
    dot[..., 20:24, 40:44] = -1
    rows = lambda x: torch.nonzero(x[0, 0] < 0)[:, 0].unique().tolist()  # noqa: E731
    cols = lambda x: torch.nonzero(x[0, 0] < 0)[:, 1].unique().tolist()  # noqa: E731
    assert rows(moved_drawings(dot, 1.0, 3)) == [23, 24, 25, 26] and cols(moved_drawings(dot, 1.0, 3)) == cols(dot)
    assert rows(moved_drawings(dot, 1.0, -3)) == [17, 18, 19, 20]
    larger = moved_drawings(dot, 1.25, 0)
    assert min(rows(larger)) < 20 and max(cols(larger)) > 43, "a larger drawing reaches further from the centre"
    assert torch.equal(moved_drawings(torch.ones(2, 1, 64, 64), 0.9, 3), torch.ones(2, 1, 64, 64))


def test_moved_photos_move_like_drawings_and_repeat_their_edges():
    """evaluate --cartoon-moves' floor: a photo moves as a drawing does; what comes in at the edge repeats the
    edge's pixels instead of white paper."""
    from sketch2real.evaluate import moved_drawings, moved_photos
    photo = torch.linspace(-1, 1, 64).view(1, 1, 64, 1).expand(1, 3, 64, 64).clone()  # dark at the top
    photo[..., 20:24, 40:44] = 1
    down = moved_photos(photo, 1.0, 3)
    assert torch.allclose(down[..., 23:27, 40:44], torch.ones(1, 3, 4, 4))
    assert torch.allclose(down[..., :3, :], photo[..., :1, :].expand(-1, -1, 3, -1)), "the top row is repeated"
    drawing = torch.ones(1, 1, 64, 64)
    drawing[..., 20:24, 40:44] = -1
    assert torch.equal(moved_drawings(drawing, 1.1, -3) < 0, moved_photos(-drawing, 1.1, -3) > 0)
