"""sketch2real's models, trainer, export and evaluation: shapes, behaviour, resume, parity, released figures."""
import json
import os
import signal
import subprocess
import sys
import time
from pathlib import Path

import numpy as np
import pytest
import torch

from ganlab.checkpoint import CheckpointError, latest_checkpoint, list_checkpoints, load_checkpoint, load_release
from ganlab.data import SHARED_DATA
from ganlab.training import MetricsLog
from sketch2real.export import canvas_to_sketch, export
from sketch2real.models import (MultiScaleDiscriminator, PatchDiscriminator, UNetGenerator, build_discriminator,
                                build_generator, count_parameters, discriminator_config, half_size, patchgans)
from test_sketch2real_data import encode, face_image, pack

REPO = Path(__file__).resolve().parent.parent
RELEASE = REPO / "sketch2real" / "release"
SMALL = ["--width", "8", "--max-channels", "16", "--out-width", "8", "--d-width", "8", "--batch-size", "4",
         "--variants", "2", "--eval-pairs", "3", "--sample-every", "10", "--quiet"]


@pytest.fixture(autouse=True, scope="module")
def one_thread():
    threads = torch.get_num_threads()
    torch.set_num_threads(1)
    yield
    torch.set_num_threads(threads)


# ---- models -------------------------------------------------------------------------------------------

@pytest.mark.parametrize("size, width", [(64, 32), (128, 16)])  # the faces and the shoes/bags settings
def test_unet_shapes_range_and_size(size, width):
    g = UNetGenerator(image_size=size, width=width).eval()
    out = g(torch.where(torch.rand(2, 1, size, size) < 0.1, -1.0, 1.0))
    assert out.shape == (2, 3, size, size)
    assert out.min() >= -1 and out.max() <= 1
    # the page's budget: <= 8 MB of float32 weights
    assert count_parameters(g) * 4 < 8e6
    # no transposed convolutions (they paint checkerboards) and no batch statistics
    kinds = {type(m).__name__ for m in g.modules()}
    assert "ConvTranspose2d" not in kinds and not any("BatchNorm" in k for k in kinds)


def test_unet_output_does_not_depend_on_the_batch():
    g = UNetGenerator(image_size=64).eval()
    sketches = torch.rand(5, 1, 64, 64) * 2 - 1
    alone = torch.cat([g(s[None]) for s in sketches])
    torch.testing.assert_close(g(sketches), alone, atol=1e-5, rtol=1e-4)


def test_unet_sizes_it_cannot_build():
    with pytest.raises(ValueError, match="power of two"):
        UNetGenerator(image_size=96)
    with pytest.raises(ValueError, match="image_height 200 must be a multiple of 32"):
        UNetGenerator(image_size=128, image_height=200)


def test_portrait_unet_for_people(tmp_path):
    """The people model: 128 wide, 192 high, with colour hints; its config round-trips through a release."""
    from ganlab.checkpoint import save_release
    from sketch2real.models import generator_config
    config = generator_config(128, 16, 256, 16, 4, image_height=192)
    assert config["image_height"] == 192 and "image_height" not in generator_config(64, 32, 256, 16)
    g = UNetGenerator(**config).eval()
    out = g(torch.ones(2, 1, 192, 128), torch.zeros(2, 4, 192, 128))
    assert out.shape == (2, 3, 192, 128) and count_parameters(g) * 4 < 8e6
    path = tmp_path / "people.safetensors"
    save_release(g, config, path)
    again, _ = load_release(path, build_generator)
    assert (again.image_size, again.image_height) == (128, 192)
    torch.testing.assert_close(again.eval()(torch.ones(1, 1, 192, 128)), g(torch.ones(1, 1, 192, 128)))


def test_patch_discriminator_judges_patches_of_pairs():
    d = PatchDiscriminator(width=8).eval()  # eval: spectral norm's power iteration stays put between calls
    logits = d(torch.zeros(3, 1, 64, 64), torch.zeros(3, 3, 64, 64))
    assert logits.shape == (3, 1, 8, 8)
    # a logit in the top-left corner sees about 31x31 pixels: not the bottom-right quarter
    photo = torch.zeros(1, 3, 64, 64)
    changed = photo.clone()
    changed[..., 32:, 32:] = 1
    sketch = torch.zeros(1, 1, 64, 64)
    delta = (d(sketch, changed) - d(sketch, photo)).abs()[0, 0]
    assert delta[0, 0] == 0 and delta[-1, -1] > 0


def test_photo_discriminator_judges_the_photo_alone():
    """--d-photo's judge: the same answer whatever the sketch; the pair judge's answer depends on it."""
    photo_only = build_discriminator(**discriminator_config(8, 3, conditional=False)).eval()
    pair = build_discriminator(**discriminator_config(8, 3)).eval()
    photo, blank, drawn = torch.rand(2, 3, 64, 64) * 2 - 1, torch.ones(2, 1, 64, 64), torch.ones(2, 1, 64, 64)
    drawn[..., 20:40, 30:32] = -1  # a stroke
    torch.testing.assert_close(photo_only(blank, photo), photo_only(drawn, photo))
    assert not torch.allclose(pair(blank, photo), pair(drawn, photo))
    assert photo_only(blank, photo).shape == (2, 1, 8, 8)
    assert "conditional" not in discriminator_config(8, 3), "pair judges keep the config older releases have"


def test_multiscale_discriminator_judges_the_pair_at_half_size_too():
    d = build_discriminator(**discriminator_config(8, 3, scales=2)).eval()
    assert isinstance(d, MultiScaleDiscriminator) and len(patchgans(d)) == 2
    seen = []
    patchgans(d)[1].register_forward_pre_hook(lambda module, inputs: seen.append([x.shape for x in inputs]))
    sketch, photo = torch.rand(3, 1, 64, 64) * 2 - 1, torch.rand(3, 3, 64, 64) * 2 - 1
    logits = d(sketch, photo)
    assert [tuple(x.shape) for x in logits] == [(3, 1, 8, 8), (3, 1, 4, 4)]
    assert seen == [[(3, 1, 32, 32), (3, 3, 32, 32)]], "the second PatchGAN should see the pair at half size"
    torch.testing.assert_close(logits[1], patchgans(d)[1](half_size(sketch), half_size(photo)))
    again, hidden = d(sketch, photo, features=True)  # feature matching: both scales' activations, finest first
    assert len(hidden) == 8 and hidden[0].shape[-1] == 32 and hidden[4].shape[-1] == 16
    torch.testing.assert_close(again[0], logits[0])
    # one scale stays the plain PatchGAN, with the weights' names that older checkpoints and releases have
    single = build_discriminator(**discriminator_config(8, 3))
    assert type(single) is PatchDiscriminator and patchgans(single) == [single]
    assert "scales" not in discriminator_config(8, 3)


# ---- the page's preprocessing, in Python ---------------------------------------------------------------

def test_canvas_to_sketch_conventions():
    white = torch.full((256, 256, 4), 255, dtype=torch.uint8)
    assert torch.equal(canvas_to_sketch(white, 64), torch.ones(1, 1, 64, 64))
    transparent_black = torch.zeros(256, 256, 4, dtype=torch.uint8)  # no alpha: paper, whatever the colour
    assert torch.equal(canvas_to_sketch(transparent_black, 64), torch.ones(1, 1, 64, 64))
    ink = white.clone()
    ink[8:12, 0:4, :3] = 0  # one 4x4 block of black ink -> one model pixel at -1
    ink[0:2, 4:8, :3] = 0   # half a block -> grey, halfway
    x = canvas_to_sketch(ink, 64)
    assert x[0, 0, 2, 0] == -1 and x[0, 0, 0, 1] == pytest.approx(0.0, abs=1e-6) and x[0, 0, 5, 5] == 1
    red = white.clone()
    red[..., 1:3] = 0       # pure red: grey 0.299 * 255
    assert canvas_to_sketch(red, 64)[0, 0, 0, 0] == pytest.approx(0.299 * 255 / 127.5 - 1, abs=1e-6)


@pytest.mark.parametrize("bad, message", [
    (torch.zeros(250, 256, 4, dtype=torch.uint8), "multiple"),
    (torch.zeros(256, 256, 3, dtype=torch.uint8), r"\[H, W, 4\]"),
    (torch.zeros(256, 256, 4), "uint8"),
])
def test_canvas_to_sketch_refuses_odd_canvases(bad, message):
    with pytest.raises(ValueError, match=message):
        canvas_to_sketch(bad, 64)


# ---- training on tiny data ----------------------------------------------------------------------------

@pytest.fixture(scope="module")
def tiny_faces(tmp_path_factory):
    blobs = [encode(face_image(i)) for i in range(16)]
    jpg, offsets = pack(blobs)
    path = tmp_path_factory.mktemp("faces") / "faces_64_jpg.npz"
    np.savez(path, jpg=jpg, offsets=offsets, celeba_id=np.arange(1, 17, dtype=np.int32),
             source=np.zeros(16, np.uint8), test_index=np.array([2, 9, 13]))
    return path


def run_train(*args, check=True):
    env = {**os.environ, "PYTHONPATH": str(REPO), "OMP_NUM_THREADS": "1"}
    proc = subprocess.run([sys.executable, "-m", "sketch2real.train", *args], cwd=REPO, env=env,
                          capture_output=True, text=True, timeout=300)
    if check and proc.returncode != 0:
        raise AssertionError(f"training failed:\n{proc.stdout}\n{proc.stderr}")
    return proc


def rows(run_dir: Path) -> dict[int, tuple]:
    return {r["step"]: (r["loss_d"], r["loss_g"], r["l1"]) for r in MetricsLog.read(run_dir / "metrics.jsonl")
            if "loss_d" in r}


def test_short_training_writes_everything_and_learns(tiny_faces, tmp_path):
    out = tmp_path / "run"
    common = ["--data-dir", str(tiny_faces), "--cache-dir", str(tmp_path / "cache"), *SMALL]
    run_train(*common, "--out", str(out), "--steps", "40", "--log-every", "10", "--ckpt-every", "20",
              "--eval-every", "20", "--lr-g", "2e-3")
    assert [p.name for p in list_checkpoints(out)] == ["ckpt_00000020.pt", "ckpt_00000040.pt"]
    assert (out / "samples" / "latest.png").is_file() and (out / "training.png").is_file()
    log = MetricsLog.read(out / "metrics.jsonl")
    l1 = [r["l1"] for r in log if "l1" in r]
    assert l1[-1] < l1[0], "the generator did not get closer to the photos"
    assert any("test_l1" in r for r in log)
    state = load_checkpoint(latest_checkpoint(out), "sketch2real")
    assert {"G", "D", "G_ema", "opt_g", "opt_d", "rng", "config"} <= state.keys()
    # the sketch bank was cached and the next run reuses it
    assert len(list((tmp_path / "cache").glob("sketches_faces_13x2_*.npy"))) == 1
    # the released file is the EMA generator
    released, meta = load_release(out / "generator.safetensors", build_generator)
    ema = UNetGenerator(**meta["config"])
    ema.load_state_dict({k.removeprefix("module."): v for k, v in state["G_ema"].items() if k.startswith("module.")})
    x = torch.rand(2, 1, 64, 64) * 2 - 1
    torch.testing.assert_close(released.eval()(x), ema.eval()(x))
    assert meta["trained"]["step"] == 40 and meta["dataset"] == "faces"


def test_l1_only_baseline_has_no_discriminator(tiny_faces, tmp_path):
    out = tmp_path / "l1"
    run_train("--data-dir", str(tiny_faces), "--cache-dir", str(tmp_path / "cache"), *SMALL, "--l1-only",
              "--out", str(out), "--steps", "6", "--log-every", "3", "--eval-every", "0")
    state = load_checkpoint(latest_checkpoint(out), "sketch2real")
    assert state["D"] is None and state["model_config"]["l1_only"] is True
    assert all("loss_d" not in r for r in MetricsLog.read(out / "metrics.jsonl"))


JUDGES = ["--d-scales", "2", "--perceptual", "0.5", "--d-photo", "0.5", "--unpaired", "1"]


@pytest.mark.parametrize("extra", [[], JUDGES], ids=["plain", "multiscale"])
def test_resume_after_sigkill_matches_an_uninterrupted_run(tiny_faces, tmp_path, extra):
    common = ["--data-dir", str(tiny_faces), "--cache-dir", str(tmp_path / "cache"), *SMALL, "--steps", "30",
              "--log-every", "1", "--ckpt-every", "10", "--eval-every", "0", *extra]
    straight = tmp_path / "straight"
    run_train("--out", str(straight), *common)
    crashed = tmp_path / "crashed"
    env = {**os.environ, "PYTHONPATH": str(REPO), "OMP_NUM_THREADS": "1"}
    proc = subprocess.Popen([sys.executable, "-m", "sketch2real.train", "--out", str(crashed), *common],
                            cwd=REPO, env=env, stdout=subprocess.DEVNULL, stderr=subprocess.DEVNULL)
    deadline = time.time() + 240
    while not (crashed / "ckpt_00000010.pt").exists():
        assert proc.poll() is None, "training ended before the first checkpoint"
        assert time.time() < deadline, "no checkpoint appeared"
        time.sleep(0.05)
    proc.send_signal(signal.SIGKILL)
    proc.wait()
    assert max(rows(crashed)) < 30, "the run finished before it could be killed"
    run_train("--out", str(crashed), "--resume", *common)
    a, b = rows(straight), rows(crashed)
    assert sorted(a) == sorted(b) == list(range(1, 31))
    for step in a:
        assert a[step] == pytest.approx(b[step], rel=1e-5, abs=1e-6), f"step {step} differs after resuming"
    if extra:  # both scales', the photo judge's weights and optimisers are in the checkpoint; the classifier is not
        state = load_checkpoint(latest_checkpoint(crashed), "sketch2real")
        # in the settings a resume must match (ganlab.checkpoint.check_same_model refuses other values)
        assert state["model_config"]["d_scales"] == 2 and state["model_config"]["perceptual"] == 0.5
        assert state["model_config"]["d_photo"] == 0.5 and state["model_config"]["unpaired"] == 1
        assert state["D_photo"]["net.0.parametrizations.weight.original"].shape[1] == 3, "photo judge: RGB only"
        assert len(state["opt_d_photo"]["state"]) > 0
        assert any(k.startswith("patchgans.1.") for k in state["D"])
        d_parameters = [k for k in state["D"] if not k.endswith(("._u", "._v"))]  # spectral norm's vectors: buffers
        assert len(state["opt_d"]["state"]) == len(d_parameters), "D's optimiser should hold both scales"
        assert not any("stages" in k for k in [*state["G"], *state["D"]])
        assert all("loss_perc" in r and "loss_gan_photo" in r and "d_photo_real" in r and "loss_gan_unpaired" in r
                   for r in MetricsLog.read(crashed / "metrics.jsonl") if "loss_d" in r)


def test_reframe_moves_the_drawing_and_leaves_the_photo(tiny_faces, tmp_path):
    """--reframe: the drawing is resized, turned and shifted against its photo, which stays as the dataset frames
    it; the same seed gives the same batch, and --reframe 0 draws nothing extra."""
    from sketch2real.train import Trainer, parse_args

    def batch(reframe: float):
        args = parse_args(["--data-dir", str(tiny_faces), "--cache-dir", str(tmp_path / "cache"), *SMALL,
                           "--batch-size", "8", "--doodles", "0", "--no-hints", "--reframe", str(reframe),
                           "--out", str(tmp_path / "run")])
        args.world_size, args.batch_per_rank = 1, args.batch_size
        return Trainer(args).next_batch()

    plain, moved, again = batch(0), batch(1), batch(1)
    assert torch.equal(plain[1], moved[1]), "the photos should not move"
    assert torch.equal(moved[0], again[0]), "the same seed should move the drawings the same way"
    ink, moved_ink = plain[0] < 0, moved[0] < 0
    changed = (ink != moved_ink).float().mean((1, 2, 3))
    assert (changed > 0.005).all(), f"every drawing should move: {changed}"
    assert (moved_ink.sum((1, 2, 3)) > 0.4 * ink.sum((1, 2, 3))).all(), "the strokes should be moved, not lost"
    half = batch(0.5)[0]
    kept = [torch.equal(half[i], plain[0][i]) for i in range(8)]
    assert any(kept) and not all(kept), "about half the drawings should move"


def test_zoom_moves_the_drawing_and_its_photo_together(tiny_faces, tmp_path):
    """--zoom: a share of the pairs is cropped to one random window, drawing and photo alike, and resized back;
    the pair still matches pixel for pixel, and --zoom 0 changes nothing."""
    from sketch2real.pairs import zoomed_pairs
    from sketch2real.train import Trainer, parse_args

    drawings = torch.randint(0, 256, (6, 1, 32, 32), generator=torch.Generator().manual_seed(1), dtype=torch.uint8)
    photos = torch.cat([drawings, 255 - drawings, drawings], 1)  # each channel known from the drawing
    new_drawings, new_photos = zoomed_pairs(drawings, photos, torch.Generator().manual_seed(2), max_zoom=1.15)
    assert torch.equal(new_photos[:, :1], new_drawings) and torch.equal(new_photos[:, 2:], new_drawings)
    assert (new_photos[:, 1:2].int() + new_drawings.int() - 255).abs().max() <= 1, "every channel moves alike"
    assert all(not torch.equal(new_drawings[i], drawings[i]) for i in range(6)), "every pair should move"
    same, _ = zoomed_pairs(drawings, photos, torch.Generator().manual_seed(2), max_zoom=1.0)
    assert torch.equal(same, drawings), "a zoom of 1 is no change"

    def batch(zoom: float):
        args = parse_args(["--data-dir", str(tiny_faces), "--cache-dir", str(tmp_path / "cache"), *SMALL,
                           "--batch-size", "8", "--doodles", "0", "--no-hints", "--zoom", str(zoom),
                           "--out", str(tmp_path / "run")])
        args.world_size, args.batch_per_rank = 1, args.batch_size
        return Trainer(args).next_batch()

    plain, zoomed = batch(0), batch(1)
    for i in range(8):
        assert not torch.equal(plain[0][i], zoomed[0][i]) and not torch.equal(plain[1][i], zoomed[1][i])
    half = batch(0.5)
    kept = [torch.equal(half[0][i], plain[0][i]) for i in range(8)]
    assert any(kept) and not all(kept), "about half the pairs should move"
    assert all(torch.equal(half[1][i], plain[1][i]) == kept[i] for i in range(8)), "a photo moves with its drawing"


def test_nan_stops_the_run_and_keeps_the_last_good_checkpoint(tiny_faces, tmp_path):
    out = tmp_path / "nan"
    proc = run_train("--data-dir", str(tiny_faces), "--cache-dir", str(tmp_path / "cache"), *SMALL,
                     "--out", str(out), "--steps", "20", "--log-every", "5", "--ckpt-every", "5",
                     "--eval-every", "0", "--debug-nan-at-step", "8", check=False)
    assert proc.returncode != 0 and "non-finite loss" in proc.stderr and "step 8" in proc.stderr
    assert [p.name for p in list_checkpoints(out)] == ["ckpt_00000005.pt"]


def test_resume_with_another_model_is_refused(tiny_faces, tmp_path):
    out = tmp_path / "run"
    common = ["--data-dir", str(tiny_faces), "--cache-dir", str(tmp_path / "cache"), "--out", str(out),
              "--steps", "2", "--eval-every", "0"]
    run_train(*common, *SMALL)
    wider = [*SMALL]
    wider[SMALL.index("--width") + 1] = "12"
    proc = run_train(*common, *wider, "--resume", "--steps", "4", check=False)
    assert proc.returncode != 0 and "width" in proc.stderr and "another model configuration" in proc.stderr


@pytest.mark.parametrize("args, message", [
    (["--data-dir", "/nonexistent/faces"], "/nonexistent/faces"),
    (["--batch-size", "0"], "argument --batch-size: must be positive"),
    (["--resume"], "holds no checkpoint"),
    (["--l1-only", "--d-scales", "2"], "--d-photo act on discriminators, which --l1-only does not have"),
    (["--l1-only", "--d-photo", "1"], "--d-photo act on discriminators, which --l1-only does not have"),
    (["--d-photo", "-1"], "argument --d-photo"),
    (["--unpaired", "1"], "--unpaired is judged by the photo-only discriminator: add --d-photo"),
    (["--d-scales", "0"], "argument --d-scales: must be positive"),
    (["--perceptual", "-1"], "argument --perceptual"),
    (["--reframe", "1.5"], "argument --reframe"),
    (["--zoom", "-0.1"], "argument --zoom"),
])
def test_bad_command_lines_get_clear_errors(tmp_path, args, message):
    proc = run_train("--out", str(tmp_path / "x"), "--cache-dir", str(tmp_path / "cache"), *args, check=False)
    assert proc.returncode != 0 and message in proc.stderr


def test_each_dataset_gets_the_defaults_its_release_was_trained_with():
    from sketch2real.train import parse_args
    faces, people = parse_args([]), parse_args(["--dataset", "people"])
    assert (faces.width, faces.lambda_l1) == (32, 10.0)  # notes/06 section 5.6: L1 weight 10 for faces
    assert (people.width, people.lambda_l1) == (16, 30.0)
    assert parse_args(["--dataset", "people", "--lambda-l1", "5"]).lambda_l1 == 5.0
    # notes/06 section 5.8: the colour-follow loss at weight 2 for faces, off without hint inputs and elsewhere;
    # 60 % of faces pairs without colour, 40 % elsewhere
    assert (faces.hint_colour, people.hint_colour) == (2.0, 0.0)
    assert (faces.hint_none, people.hint_none) == (0.6, 0.4)
    assert parse_args(["--no-hints"]).hint_colour == 0.0


# ---- export --------------------------------------------------------------------------------------------

def test_export_matches_pytorch_and_describes_itself(tmp_path):
    from ganlab.checkpoint import save_release
    g = UNetGenerator(image_size=64, width=8, max_channels=16, out_width=8).eval()
    for p in g.parameters():  # a trained-looking network, not the near-identity of a fresh one
        p.data.normal_(0, 0.3)
    save_release(g, {"image_size": 64, "width": 8, "max_channels": 16, "out_width": 8}, tmp_path / "g.safetensors",
                 extra={"dataset": "faces"})
    meta = export(tmp_path / "g.safetensors", tmp_path / "g.onnx")
    assert meta["parity_max_abs_diff"] < 1e-4 and meta["image_size"] == 64
    sidecar = json.loads((tmp_path / "g.json").read_text())
    assert sidecar["inputs"] == {"sketch": ["batch", 1, 64, 64]} and "non-commercial" in sidecar["licence"]
    import onnxruntime as ort
    session = ort.InferenceSession(str(tmp_path / "g.onnx"), providers=["CPUExecutionProvider"])
    x = torch.rand(3, 1, 64, 64) * 2 - 1
    (y,) = session.run(None, {"sketch": x.numpy()})
    np.testing.assert_allclose(y, g(x).detach().numpy(), atol=1e-4)


def test_export_of_a_portrait_model(tmp_path):
    """People are 128x192: the ONNX file, its sidecar and the canvas preprocessing all follow the height."""
    from ganlab.checkpoint import save_release
    from sketch2real.export import canvas_to_hints, canvas_to_sketch
    config = {"image_size": 64, "width": 8, "max_channels": 16, "out_width": 8, "hint_channels": 4,
              "image_height": 96}
    g = UNetGenerator(**config).eval()
    save_release(g, config, tmp_path / "p.safetensors", extra={"dataset": "people"})
    meta = export(tmp_path / "p.safetensors", tmp_path / "p.onnx")
    assert meta["parity_max_abs_diff"] < 1e-4
    assert (meta["image_size"], meta["image_height"]) == (64, 96)
    assert meta["inputs"] == {"sketch": ["batch", 1, 96, 64], "hints": ["batch", 4, 96, 64]}
    assert meta["output"] == {"photo": ["batch", 3, 96, 64]} and "Co-Parsing" in meta["licence"]
    # a 2x canvas (128x192): ink in the top-left block only
    rgba = torch.full((192, 128, 4), 255, dtype=torch.uint8)
    rgba[:2, :2, :3] = 0
    x = canvas_to_sketch(rgba, (96, 64))
    assert x.shape == (1, 1, 96, 64) and x[0, 0, 0, 0] == -1 and (x[0, 0].flatten()[1:] == 1).all()
    assert canvas_to_hints(torch.zeros(192, 128, 4, dtype=torch.uint8), (96, 64)).shape == (1, 4, 96, 64)
    with pytest.raises(ValueError, match="not a whole multiple of the model's 64x96"):
        canvas_to_sketch(torch.zeros(192, 192, 4, dtype=torch.uint8), (96, 64))


def test_export_refuses_a_broken_release(tmp_path):
    (tmp_path / "g.safetensors").write_bytes(b"not weights")
    (tmp_path / "g.json").write_text(json.dumps({"config": {"image_size": 64}}))
    with pytest.raises(CheckpointError, match="safetensors"):
        export(tmp_path / "g.safetensors", tmp_path / "g.onnx")


@pytest.mark.parametrize("name", ["faces", "shoes_bags", "people"])
def test_committed_web_models_match_the_released_weights(name):
    import onnxruntime as ort
    model, meta = load_release(RELEASE / f"{name}.safetensors", build_generator)
    onnx_path = REPO / "web" / "models" / f"sketch2real_{name}.onnx"
    size, height = model.image_size, model.image_height
    assert onnx_path.stat().st_size < 8e6
    sidecar = json.loads(onnx_path.with_suffix(".json").read_text())
    assert sidecar["inputs"]["sketch"] == ["batch", 1, height, size] and sidecar["trained"] == meta["trained"]
    session = ort.InferenceSession(str(onnx_path), providers=["CPUExecutionProvider"])
    gen = torch.Generator().manual_seed(0)
    x = torch.where(torch.rand(2, 1, height, size, generator=gen) < 0.08, -1.0, 1.0)
    feeds, args = {"sketch": x}, (x,)
    if model.hint_channels:  # colour on one picture, none on the other
        from sketch2real.hints import sample_hints
        hints = sample_hints(torch.randint(0, 256, (2, 3, height, size), dtype=torch.uint8, generator=gen), gen)
        hints[1] = 0
        feeds["hints"], args = hints, (x, hints)
    assert [i.name for i in session.get_inputs()] == list(feeds), "the web model's inputs differ from the release's"
    (y,) = session.run(None, {k: v.numpy() for k, v in feeds.items()})
    np.testing.assert_allclose(y, model.eval()(*args).detach().numpy(), atol=1e-4)


# ---- the released model's figures ----------------------------------------------------------------------

@pytest.mark.skipif(not (SHARED_DATA / "faces_celeba" / "faces_64_jpg.npz").is_file(),
                    reason="needs ../shared/data/faces_celeba (CelebA faces)")
def test_released_faces_model_meets_its_stated_figures(every_core):
    """The bounds stated in README.md: the GAN's held-out Fréchet distance is clearly below the L1-only
    baseline's (at most 80 % of it), its held-out L1 stays close to the baseline's (within 25 %), and the
    colour pen's figures hold."""
    from sketch2real.evaluate import evaluate
    gan, base = RELEASE / "faces.safetensors", RELEASE / "faces_l1.safetensors"
    # the first 300 held-out faces (the bounds are ratios, which 300 faces settle as well as 500)
    results = evaluate([gan, base], "faces", reference=1000, limit=300, cartoon_parts=("nose",))
    g = results["models"]["sketch2real/release/faces.safetensors"]
    b = results["models"]["sketch2real/release/faces_l1.safetensors"]
    assert g["fd"] < 0.8 * b["fd"], (g, b)
    assert g["l1"] < 1.25 * b["l1"], (g, b)
    # version 8's stated figures (README.md): the colour pen meets the issue's goal (median CIEDE2000 2.8
    # with it, 17.3 without; at most 10) with room to spare, closer to the painted colour than the photo
    # itself (11.9), and giving colour does not cost realism
    if "colour_error" in g:
        assert g["colour_error"] <= 6 and g["colour_error"] < g["colour_error_no_hints"] - 3, g
        assert g["colour_error"] < results["colour_error_real_photos"], results["colour_error_real_photos"]
        assert g["fd_with_colour"] < 1.2 * g["fd"], g
    # notes/06 section 5.9: a drawn nose costs the cartoons much of their distance (300 faces: version 7 251
    # with, 167 without; version 8 176 with, 136 without); the model copies the stroke into the picture
    without = g["fd_cartoons_without"]
    assert set(without) == {"nose"} and without["nose"] < 0.85 * g["fd_cartoons"], (without, g["fd_cartoons"])
    if "fd_doodles" in g:  # only where the landmark cache exists (sketch2real.landmarks)
        assert g["fd_doodles"] < 0.5 * b["fd_doodles"], (g, b)
    # what the distances are made of: the blurry baseline varies less than real photos, and less than the GAN
    parts, base_parts = g["fd_parts"]["sketches"], b["fd_parts"]["sketches"]
    assert 0 <= parts["mean_term"] <= g["fd"] and base_parts["spread"] < min(1.0, parts["spread"]), (parts, base_parts)
    # the metric itself: real held-out photos are close to the reference, blurred ones far
    sanity = results["sanity"]
    assert sanity["real held-out photos"] < 0.5 * sanity["held-out photos blurred (sigma 1)"]


@pytest.mark.skipif(not (SHARED_DATA / "people_ccp" / "people_ccp.npz").is_file(),
                    reason="the shared people photos are not available")
def test_released_people_model_meets_its_stated_figures(every_core):
    """README's people figures. Everywhere the shared data is: on outline drawings of the held-out people
    (made from their label maps, no pose needed) the GAN's Fréchet distance is well below the L1-only
    baseline's. Where the pose cache exists (sketch2real.pose): the same on the held-out stick figures, at most
    0.6x the baseline (the issue's goal), and the colour pen moves colours; with mediapipe's environment too,
    the pose fidelity holds what was measured.

    The release's figures (README): FD 723 vs the baseline's 5 932 on stick figures, 672 vs 5 419 on
    outlines; PCK 0.675 against the goal of 0.6, a person found in 79 % of the pictures."""
    from sketch2real.data import load_people
    from sketch2real.evaluate import evaluate, fd_judge, frechet_distance, generate, held_out_outlines, load_model
    from sketch2real.person import PoseMissing
    gan, base = RELEASE / "people.safetensors", RELEASE / "people_l1.safetensors"
    _, labels = load_people("test")
    feats, ref = fd_judge(load_people("train")[0], reference=1000)
    outlines = held_out_outlines(labels)[1]
    fd = {p.stem: frechet_distance(feats(generate(load_model(p)[0], outlines)), ref) for p in (gan, base)}
    assert fd["people"] < 0.6 * fd["people_l1"], fd
    try:
        results = evaluate([gan, base], "people", reference=1000)
    except PoseMissing as e:
        pytest.skip(f"outline figures checked; no pose cache for the stick-figure ones: {e}")
    g = results["models"]["sketch2real/release/people.safetensors"]
    b = results["models"]["sketch2real/release/people_l1.safetensors"]
    assert g["fd"] <= 0.6 * b["fd"], (g, b)
    assert g["colour_error"] < g["colour_error_no_hints"], g
    if "pck" in g:  # mediapipe's environment exists: the goal, and a person found in most pictures
        assert g["pck"] >= 0.6 and g["pose_found"] > 0.7, g
