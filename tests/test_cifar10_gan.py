"""cifar10_gan: the CIFAR-10 loader, both GANs, DiffAugment, training (resume, NaN guard), the classifier."""
import io
import os
import signal
import subprocess
import sys
import time
from pathlib import Path

import numpy as np
import pytest
import torch
from PIL import Image

from cifar10_gan.classifier import Classifier, augment
from cifar10_gan.evaluate import inception_like_score
from cifar10_gan.models import (DCGANDiscriminator, DCGANGenerator, ProjectionDiscriminator, ResNetGenerator,
                                build_generator)
from ganlab.checkpoint import latest_checkpoint, list_checkpoints, load_checkpoint, load_release
from ganlab.data import DataError, load_cifar10
from ganlab.images import DataWarning
from ganlab.training import MetricsLog

REPO = Path(__file__).resolve().parent.parent


@pytest.fixture(autouse=True, scope="module")
def one_thread():
    threads = torch.get_num_threads()
    torch.set_num_threads(1)
    yield
    torch.set_num_threads(threads)


# ---- data ----------------------------------------------------------------------------------------------

def class_picture(label: int, rng) -> np.ndarray:
    """A 32x32 picture whose colour and bar position say its class."""
    x = np.full((32, 32, 3), 30, np.uint8)
    x[:, :, label % 3] = 60 + 15 * label
    x[3 * label:3 * label + 4, :, :] = rng.integers(180, 256)
    return x


def jpeg(pixels: np.ndarray) -> bytes:
    buf = io.BytesIO()
    Image.fromarray(pixels).save(buf, format="JPEG", quality=95)
    return buf.getvalue()


def packed(blobs: list[bytes]) -> tuple[np.ndarray, np.ndarray]:
    offsets = np.concatenate([[0], np.cumsum([len(b) for b in blobs])]).astype(np.int64)
    return np.frombuffer(b"".join(blobs), np.uint8), offsets


def write_tiny_cifar(path: Path, n_train: int = 160, n_test: int = 40, broken: tuple = ()) -> Path:
    rng = np.random.default_rng(0)
    arrays = {}
    for split, n in (("train", n_train), ("test", n_test)):
        y = (np.arange(n) % 10).astype(np.uint8)
        blobs = [b"not a jpeg" if (split, i) in broken else jpeg(class_picture(int(label), rng))
                 for i, label in enumerate(y)]
        arrays[f"{split}_jpg"], arrays[f"{split}_offsets"] = packed(blobs)
        arrays[f"y_{split}"] = y
    np.savez(path, classes=np.array(["airplane", "automobile", "bird", "cat", "deer", "dog", "frog", "horse",
                                     "ship", "truck"]), **arrays)
    return path


@pytest.fixture(scope="module")
def tiny_cifar(tmp_path_factory) -> Path:
    return write_tiny_cifar(tmp_path_factory.mktemp("cifar") / "cifar10_jpg.npz")


def test_loader_decodes_once_and_caches(tiny_cifar, tmp_path):
    x, y = load_cifar10("train", tiny_cifar, cache_dir=tmp_path)
    assert x.shape == (160, 3, 32, 32) and x.dtype == torch.uint8 and y.dtype == torch.int64
    assert y.tolist() == [i % 10 for i in range(160)]
    # the bar of class 3 is at rows 9..12: the pixels survived decoding and the channel order is right
    assert x[3, :, 9:13].float().mean() > 150 and x[3, :, 20:].float().mean() < 100
    caches = list(tmp_path.glob("cifar10_train-*.npz"))
    assert len(caches) == 1
    x2, y2 = load_cifar10("train", tiny_cifar.parent, cache_dir=tmp_path)  # the folder works too, from cache
    assert torch.equal(x, x2) and torch.equal(y, y2)
    xt, _ = load_cifar10("test", tiny_cifar, cache_dir=tmp_path)
    assert xt.shape == (40, 3, 32, 32)


def test_loader_skips_a_broken_picture_with_a_warning(tmp_path):
    path = write_tiny_cifar(tmp_path / "cifar10_jpg.npz", broken=(("train", 5),))
    with pytest.warns(DataWarning, match="train image 5"):
        x, y = load_cifar10("train", path, cache_dir=tmp_path / "cache")
    assert len(x) == len(y) == 159 and 5 not in y[:5].tolist()  # label 5 left with its picture


@pytest.mark.parametrize("make, message", [
    (lambda p: np.savez(p, y_train=np.zeros(3)), "lacks the arrays"),
    (lambda p: p.write_bytes(b"garbage"), "not a readable .npz"),
])
def test_loader_names_a_bad_file(tmp_path, make, message):
    path = tmp_path / "cifar10_jpg.npz"
    make(path)
    with pytest.raises(DataError, match=message):
        load_cifar10("train", path, cache_dir=tmp_path / "cache")


def test_loader_names_a_missing_folder(tmp_path):
    with pytest.raises(DataError, match="does not exist"):
        load_cifar10("train", tmp_path / "nowhere")
    with pytest.raises(DataError, match="holds no cifar10_jpg.npz"):
        load_cifar10("train", tmp_path)
    with pytest.raises(ValueError, match="split"):
        load_cifar10("validation", tmp_path)


# ---- models --------------------------------------------------------------------------------------------

@pytest.mark.parametrize("G", [DCGANGenerator(100, 16), ResNetGenerator(32, 16, 10)])
def test_generators_make_images_that_do_not_depend_on_the_batch(G):
    z, y = torch.randn(5, G.z_dim), torch.arange(5)
    G.train()(z, y)  # moves BatchNorm's running statistics off their initial values
    G.eval()
    images = G(z, y)
    assert images.shape == (5, 3, 32, 32) and images.min() >= -1 and images.max() <= 1
    torch.testing.assert_close(G(z[:2], y[:2]), images[:2], rtol=1e-4, atol=1e-5)


def test_the_conditional_generator_uses_the_class():
    G = ResNetGenerator(32, 16, 10)
    for m in G.modules():  # class embeddings start at zero (plain BatchNorm); give them something to say
        if isinstance(m, torch.nn.Embedding):
            torch.nn.init.normal_(m.weight, 0, 0.5)
    G.eval()
    z = torch.randn(1, 32).repeat(2, 1)
    a, b = G(z, torch.tensor([0, 7]))
    assert (a - b).abs().mean() > 1e-3


def test_the_export_form_of_conditional_batchnorm_computes_the_same():
    from cifar10_gan.export import class_maps

    G = ResNetGenerator(32, 16, 10).eval()
    for m in G.modules():  # give the per-class tables something to do (they start at zero)
        if hasattr(m, "as_class_maps"):
            torch.nn.init.normal_(m.gain.weight), torch.nn.init.normal_(m.bias.weight)
    z, y = torch.randn(6, 32), torch.tensor([0, 3, 9, 3, 1, 7])
    with torch.no_grad():
        lookup = G(z, y)
        with class_maps(G):
            as_maps = G(z, y)
        assert torch.allclose(G(z, y), lookup)  # the context restores the training form
    assert torch.allclose(as_maps, lookup, atol=1e-5)


@pytest.mark.parametrize("D", [DCGANDiscriminator(16), ProjectionDiscriminator(16, 10)])
def test_discriminators_give_one_logit_per_image(D):
    logits = D(torch.rand(4, 3, 32, 32) * 2 - 1, torch.arange(4))
    assert logits.shape == (4,) and torch.isfinite(logits).all()


def test_projection_discriminator_depends_on_the_class():
    D = ProjectionDiscriminator(16, 10)
    x = torch.rand(1, 3, 32, 32).repeat(2, 1, 1, 1)
    a, b = D(x, torch.tensor([1, 8]))
    assert not torch.isclose(a, b)


def test_build_generator_refuses_an_unknown_architecture():
    with pytest.raises(ValueError, match="unknown architecture"):
        build_generator("stylegan", 128, 64, 10)


def test_classifier_augment_and_shapes():
    model = Classifier((8, 16, 16), stem=8)
    assert model(torch.zeros(3, 3, 32, 32)).shape == (3, 10)
    x = torch.arange(2 * 3 * 32 * 32, dtype=torch.float32).view(2, 3, 32, 32)
    out = augment(x, torch.Generator().manual_seed(0))
    assert out.shape == x.shape
    # every output pixel comes from the reflect-padded image of the same channel
    for i in range(2):
        assert set(out[i, 0].flatten().tolist()) <= set(x[i, 0].flatten().tolist())


def test_test_time_views_and_their_average():
    from cifar10_gan.classifier import classify, tta_views

    x = torch.arange(3 * 32 * 32, dtype=torch.float32).view(1, 3, 32, 32)
    assert [w for _, w in tta_views(x, "none")] == [1.0]
    views = list(tta_views(x, "multicrop"))
    assert [w for _, w in views] == [1.0, 1.0, 0.5, 0.5, 0.5, 0.5]
    assert all(v.shape == x.shape for v, _ in views)
    assert torch.equal(views[1][0], x.flip(3))
    up_left, down_right = views[2][0], views[4][0]
    assert torch.equal(up_left[..., 1:, 1:], x[..., :-1, :-1])  # content moved one pixel down-right
    assert torch.equal(down_right[..., :-1, :-1], x[..., 1:, 1:])
    model = Classifier((8, 16, 16), stem=8).eval()
    images = torch.rand(4, 3, 32, 32) * 2 - 1
    probs, feats = classify(model, images, tta="multicrop")
    with torch.no_grad():
        by_hand = sum(w * model.features(v) for v, w in tta_views(images, "multicrop")) / 4.0
    assert torch.allclose(feats, by_hand, atol=1e-5)
    assert torch.allclose(probs, model.head(by_hand).softmax(1), atol=1e-5)
    with pytest.raises(ValueError, match="tta must be one of"):
        classify(model, images, tta="crops")


def test_inception_like_score_limits():
    assert inception_like_score(torch.full((100, 10), 0.1)) == pytest.approx(1.0)
    assert inception_like_score(torch.eye(10).repeat(10, 1)) == pytest.approx(10.0, rel=1e-6)


# ---- training on tiny data ----------------------------------------------------------------------------

SMALL = ["--width", "16", "--d-width", "16", "--z-dim", "32", "--batch-size", "16", "--quiet", "--eval-every", "0",
         "--sample-every", "10", "--threads", "1"]


def run_train(*args, check=True):
    env = {**os.environ, "PYTHONPATH": str(REPO), "OMP_NUM_THREADS": "1"}
    proc = subprocess.run([sys.executable, "-m", "cifar10_gan.train", *args], cwd=REPO, env=env,
                          capture_output=True, text=True, timeout=300)
    if check and proc.returncode != 0:
        raise AssertionError(f"training failed:\n{proc.stdout}\n{proc.stderr}")
    return proc


def rows(run_dir: Path) -> dict[int, tuple]:
    return {r["step"]: (r["loss_d"], r["loss_g"]) for r in MetricsLog.read(run_dir / "metrics.jsonl") if "loss_d" in r}


@pytest.mark.parametrize("arch", ["dcgan", "sngan"])
def test_short_training_writes_everything(tiny_cifar, tmp_path, arch):
    out = tmp_path / arch
    run_train("--arch", arch, "--data-dir", str(tiny_cifar), "--cache-dir", str(tmp_path / "cache"), *SMALL,
              "--out", str(out), "--steps", "20", "--log-every", "5", "--ckpt-every", "10")
    assert [p.name for p in list_checkpoints(out)] == ["ckpt_00000010.pt", "ckpt_00000020.pt"]
    assert (out / "samples" / "latest.png").is_file() and (out / "training.png").is_file()
    state = load_checkpoint(latest_checkpoint(out), "cifar10_gan")
    assert {"G", "D", "G_ema", "opt_g", "opt_d", "rng", "config", "batches_seen"} <= state.keys()
    assert state["config"]["arch"] == arch
    assert state["config"]["loss"] == ("bce" if arch == "dcgan" else "hinge")
    log = [r for r in MetricsLog.read(out / "metrics.jsonl") if "loss_d" in r]
    assert [r["step"] for r in log] == [5, 10, 15, 20] and all(np.isfinite(r["loss_g"]) for r in log)
    G, meta = load_release(out / "generator.safetensors", build_generator)
    assert meta["config"]["arch"] == arch and meta["trained"]["step"] == 20
    assert G.eval()(torch.randn(2, 32), torch.tensor([0, 1])).shape == (2, 3, 32, 32)


@pytest.mark.parametrize("g_noise, g_forwards", [("reuse", 1), ("fresh", 2)])
def test_g_step_reuses_the_fakes_d_just_saw_or_draws_new_ones(tiny_cifar, tmp_path, g_noise, g_forwards):
    from cifar10_gan.train import Trainer, parse_args
    trainer = Trainer(parse_args(["--arch", "dcgan", "--data-dir", str(tiny_cifar), "--cache-dir", str(tmp_path),
                                  *SMALL, "--g-noise", g_noise, "--out", str(tmp_path / "run")]))
    g_calls, d_inputs = [], []
    trainer.G.register_forward_hook(lambda m, args, out: g_calls.append(1))
    trainer.D.register_forward_hook(lambda m, args, out: d_inputs.append(args[0].detach().clone()))
    before = [p.detach().clone() for p in trainer.G.parameters()]
    trainer.train_step()
    assert len(g_calls) == g_forwards
    real, fake_in_d_step, fake_in_g_step = d_inputs  # DCGAN: real and fake in separate passes, then G's step
    assert torch.equal(fake_in_d_step, fake_in_g_step) == (g_noise == "reuse")
    assert any(not torch.equal(a, b) for a, b in zip(before, trainer.G.parameters())), "G was not updated"


def test_resume_after_sigkill_matches_an_uninterrupted_run(tiny_cifar, tmp_path):
    common = ["--arch", "sngan", "--data-dir", str(tiny_cifar), "--cache-dir", str(tmp_path / "cache"), *SMALL,
              "--steps", "24", "--log-every", "1", "--ckpt-every", "8", "--d-steps", "1"]
    straight = tmp_path / "straight"
    run_train("--out", str(straight), *common)
    crashed = tmp_path / "crashed"
    env = {**os.environ, "PYTHONPATH": str(REPO), "OMP_NUM_THREADS": "1"}
    proc = subprocess.Popen([sys.executable, "-m", "cifar10_gan.train", "--out", str(crashed), *common],
                            cwd=REPO, env=env, stdout=subprocess.DEVNULL, stderr=subprocess.DEVNULL)
    deadline = time.time() + 240
    while not (crashed / "ckpt_00000008.pt").exists():
        assert proc.poll() is None, "training ended before the first checkpoint"
        assert time.time() < deadline, "no checkpoint appeared"
        time.sleep(0.05)
    proc.send_signal(signal.SIGKILL)
    proc.wait()
    assert max(rows(crashed)) < 24, "the run finished before it could be killed"
    run_train("--out", str(crashed), "--resume", *common)
    a, b = rows(straight), rows(crashed)
    assert sorted(a) == sorted(b) == list(range(1, 25))
    for step in a:
        assert a[step] == pytest.approx(b[step], rel=1e-5, abs=1e-6), f"step {step} differs after resuming"


def test_nan_stops_the_run_and_keeps_the_last_good_checkpoint(tiny_cifar, tmp_path):
    out = tmp_path / "nan"
    proc = run_train("--arch", "dcgan", "--data-dir", str(tiny_cifar), "--cache-dir", str(tmp_path / "cache"),
                     *SMALL, "--out", str(out), "--steps", "20", "--log-every", "5", "--ckpt-every", "5",
                     "--debug-nan-at-step", "8", check=False)
    assert proc.returncode != 0 and "non-finite loss" in proc.stderr and "step 8" in proc.stderr
    assert [p.name for p in list_checkpoints(out)] == ["ckpt_00000005.pt"]


def test_resume_with_another_model_is_refused(tiny_cifar, tmp_path):
    out = tmp_path / "run"
    common = ["--data-dir", str(tiny_cifar), "--cache-dir", str(tmp_path / "cache"), "--out", str(out)]
    run_train("--arch", "dcgan", *common, *SMALL, "--steps", "2")
    proc = run_train("--arch", "sngan", *common, *SMALL, "--steps", "4", "--resume", check=False)
    assert proc.returncode != 0 and "arch" in proc.stderr and "another model configuration" in proc.stderr


@pytest.mark.parametrize("args, message", [
    (["--data-dir", "/nonexistent/cifar"], "/nonexistent/cifar"),
    (["--batch-size", "0"], "argument --batch-size: must be positive"),
    (["--diffaug", "color,rotate"], "unknown DiffAugment operation 'rotate'"),
    (["--resume"], "holds no checkpoint"),
    (["--limit", "8", "--batch-size", "16"], "fewer than one batch"),
])
def test_bad_command_lines_get_clear_errors(tiny_cifar, tmp_path, args, message):
    data = [] if "--data-dir" in args else ["--data-dir", str(tiny_cifar)]
    proc = run_train("--out", str(tmp_path / "x"), "--cache-dir", str(tmp_path / "cache"), *data, *args, check=False)
    assert proc.returncode != 0 and message in proc.stderr


# ---- the committed classifier, the released generator and its export ------------------------------------

SHARED_CIFAR = REPO.parent / "shared" / "data" / "cifar10" / "cifar10_jpg.npz"
CLASSIFIER = REPO / "cifar10_gan" / "weights" / "classifier.safetensors"
RELEASE = REPO / "cifar10_gan" / "release"
needs_cifar = pytest.mark.skipif(not SHARED_CIFAR.is_file(), reason=f"real CIFAR-10 not available at {SHARED_CIFAR}")


def test_committed_classifier_is_small_and_describes_itself():
    import json

    assert CLASSIFIER.stat().st_size <= 10e6
    meta = json.loads(CLASSIFIER.with_suffix(".json").read_text())
    # the issue asks for 90 % on the full test set, with the test-time augmentation the judge uses
    assert meta["tta"] == "multicrop" and meta["test_images"] == 10000
    assert meta["test_accuracy"] == meta["test_accuracy_by_tta"]["multicrop"] >= 0.90


@needs_cifar
def test_committed_classifier_accuracy_on_a_test_subset(every_core):
    from cifar10_gan.classifier import accuracy, load_classifier

    x, y = load_cifar10("test")
    # every 5th test picture: 2 000 of them, 200 per class (89.65 % measured, with the judge's multi-crop views)
    assert accuracy(load_classifier(), x[::5], y[::5]) >= 0.89


@needs_cifar
def test_released_generator_meets_its_stated_figures(every_core):
    import json

    from cifar10_gan.evaluate import Judge, load_generator

    stated = json.loads((RELEASE / "metrics.json").read_text())
    bounds = stated["test_bounds"]
    generator, meta = load_generator(RELEASE / "generator.safetensors")
    assert (RELEASE / "generator.safetensors").stat().st_size <= 20e6
    judge = Judge(real_limit=2000)
    figures = judge.evaluate(generator, bounds["samples"], conditional=True)
    assert figures["cond_acc"] >= bounds["cond_acc_min"], figures
    assert figures["fd"] <= bounds["fd_max"], figures
    assert figures["is_like"] >= bounds["is_like_min"], figures


def test_export_matches_pytorch_and_describes_itself(tmp_path):
    import json

    from cifar10_gan.export import export

    out = tmp_path / "g.onnx"
    meta = export(RELEASE / "generator.safetensors", out)
    assert meta["parity_max_abs_diff"] < 1e-4 and meta["classes"][3] == "cat"
    assert json.loads(out.with_suffix(".json").read_text())["z_dim"] == meta["z_dim"]


def test_committed_web_model_matches_the_released_weights():
    import json

    import onnxruntime as ort

    from cifar10_gan.evaluate import load_generator

    onnx_path = REPO / "web" / "models" / "cifar10_generator.onnx"
    sidecar = json.loads(onnx_path.with_suffix(".json").read_text())
    generator, _ = load_generator(RELEASE / "generator.safetensors")
    z = torch.randn(6, sidecar["z_dim"], generator=torch.Generator().manual_seed(3))
    digit = torch.arange(6)
    (image,) = ort.InferenceSession(str(onnx_path), providers=["CPUExecutionProvider"]).run(
        None, {"z": z.numpy(), "digit": digit.numpy()})
    with torch.no_grad():
        np.testing.assert_allclose(image, generator(z, digit).numpy(), atol=1e-4)


def test_export_refuses_a_broken_release(tmp_path):
    from cifar10_gan.export import main

    (tmp_path / "g.safetensors").write_bytes(b"junk")
    (tmp_path / "g.json").write_text('{"config": {"arch": "sngan", "z_dim": 8, "width": 8, "num_classes": 10}}')
    with pytest.raises(SystemExit, match="g.safetensors"):
        main(["--weights", str(tmp_path / "g.safetensors"), "--out", str(tmp_path / "g.onnx")])


def test_inception_fid_path_skips_cleanly_or_computes():
    from cifar10_gan.evaluate import inception_fid

    G = ResNetGenerator(16, 8, 10).eval()
    if not SHARED_CIFAR.is_file():
        pytest.skip("needs the CIFAR-10 test set")
    value, why = inception_fid(G, 20)
    # offline (as here) it explains itself; online with torchmetrics installed it gives a number
    assert (value is None and why) or (value is not None and value > 0 and why is None)


def test_classifier_and_quality_curve_on_tiny_data(tiny_cifar, tmp_path):
    """Train a tiny judge, then evaluate every checkpoint of a tiny run with it, through the command lines."""
    import json

    env = {**os.environ, "PYTHONPATH": str(REPO), "OMP_NUM_THREADS": "1"}
    judge = tmp_path / "judge.safetensors"
    common = ["--data-dir", str(tiny_cifar), "--cache-dir", str(tmp_path / "cache")]
    proc = subprocess.run([sys.executable, "-m", "cifar10_gan.classifier", *common, "--epochs", "2", "--batch-size",
                           "32", "--widths", "8", "16", "16", "--quiet", "--threads", "1", "--out", str(judge)],
                          cwd=REPO, env=env, capture_output=True, text=True, timeout=300)
    assert proc.returncode == 0, proc.stderr
    meta = json.loads(judge.with_suffix(".json").read_text())
    assert meta["config"]["widths"] == [8, 16, 16] and 0 <= meta["test_accuracy"] <= 1
    proc = subprocess.run([sys.executable, "-m", "cifar10_gan.classifier", *common, "--evaluate", "--out", str(judge)],
                          cwd=REPO, env=env, capture_output=True, text=True, timeout=300)
    assert proc.returncode == 0 and "test accuracy" in proc.stdout and "on 40 images" in proc.stdout

    run = tmp_path / "run"
    run_train("--arch", "sngan", *common, *SMALL, "--out", str(run), "--steps", "6", "--ckpt-every", "3", "--keep", "5")
    proc = subprocess.run([sys.executable, "-m", "cifar10_gan.evaluate", "--curve", str(run), *common,
                           "--classifier", str(judge), "--samples", "20", "--json", str(tmp_path / "curve.json"),
                           "--plot", str(tmp_path / "curve.png")], cwd=REPO, env=env, capture_output=True, text=True,
                          timeout=300)
    assert proc.returncode == 0, proc.stderr
    curve = json.loads((tmp_path / "curve.json").read_text())["curves"]
    (rows,) = curve.values()
    assert [r["step"] for r in rows] == [3, 6] and all(r["fd"] >= 0 and 1 <= r["is_like"] <= 10 for r in rows)
    assert all(0 <= r["cond_acc"] <= 1 for r in rows) and (tmp_path / "curve.png").stat().st_size > 1000


def test_evaluate_names_missing_files(tmp_path, capsys):
    from cifar10_gan.evaluate import main

    with pytest.raises(SystemExit):
        main([str(RELEASE / "generator.safetensors"), "--classifier", str(tmp_path / "none.safetensors")])
    assert f"argument --classifier: {tmp_path / 'none.safetensors'} does not exist" in capsys.readouterr().err


@needs_cifar
def test_benchmark_prints_both_loops_and_the_ratio():
    env = {**os.environ, "PYTHONPATH": str(REPO), "OMP_NUM_THREADS": "1"}
    proc = subprocess.run([sys.executable, "-m", "cifar10_gan.benchmark", "--arch", "dcgan", "--width", "8",
                           "--seconds", "0.5", "--warmup", "1", "--workers", "0"], cwd=REPO, env=env,
                          capture_output=True, text=True, timeout=300)
    assert proc.returncode == 0, proc.stderr
    rates = [line for line in proc.stdout.splitlines() if "images/s" in line and "x" in line.split()[-1]]
    assert len(rates) == 3 and rates[0].strip().startswith("textbook loop") and rates[0].endswith("1.00x")
