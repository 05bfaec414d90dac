"""The committed models do what the README claims."""
import json
import os
import subprocess
import sys
from pathlib import Path

import torch

from ganlab.data import load_mnist, to_unit_range
from mnist_gan.classifier import WEIGHTS, classify, load_classifier
from mnist_gan.evaluate import generated_images
from mnist_gan.generate import RELEASED, load_generator

REPO = Path(__file__).resolve().parent.parent


def test_released_files_are_compact():
    assert RELEASED.stat().st_size <= 5_000_000
    assert WEIGHTS.stat().st_size <= 5_000_000
    config = json.loads(RELEASED.with_suffix(".json").read_text())["config"]
    assert config["num_classes"] == 10


def test_released_generator_draws_the_digit_it_is_asked_for():
    g, judge = load_generator(), load_classifier()
    images, asked = generated_images(g, n=1000, seed=123)
    pred, _ = classify(judge, images)
    per_digit = [(pred[asked == d] == d).float().mean().item() for d in range(10)]
    accuracy = (pred == asked).float().mean().item()
    assert accuracy >= 0.98, f"conditional accuracy {accuracy:.3f}, per digit {per_digit}"
    assert min(per_digit) >= 0.9, f"a digit is badly drawn: {per_digit}"


def test_samples_are_diverse_not_collapsed():
    """Mode collapse within a digit: different noise must give visibly different sevens."""
    g = load_generator()
    with torch.no_grad():
        sevens = g(torch.randn(64, g.z_dim), torch.full((64,), 7))
    spread = sevens.flatten(1).std(0).mean().item()
    assert spread > 0.15, f"pixel spread across samples {spread:.3f}: the generator may have collapsed"


def test_committed_classifier_is_accurate(shared_mnist):
    x, y = load_mnist("test", shared_mnist)
    pred, feats = classify(load_classifier(), to_unit_range(x).unsqueeze(1))
    assert feats.shape == (10_000, 128)
    assert (pred == y).float().mean().item() >= 0.99


def test_evaluate_and_generate_command_lines(shared_mnist, tmp_path):
    env = {**os.environ, "PYTHONPATH": str(REPO)}
    proc = subprocess.run([sys.executable, "-m", "mnist_gan.evaluate", "--n", "500", "--json", str(tmp_path / "r.json")],
                          cwd=REPO, env=env, capture_output=True, text=True, timeout=300)
    assert proc.returncode == 0, proc.stderr
    assert "conditional accuracy" in proc.stdout and "Fréchet distance" in proc.stdout
    result = json.loads((tmp_path / "r.json").read_text())
    assert result["cond_acc"] >= 0.95 and result["frechet_distance"] > 0 and len(result["per_class"]) == 10
    out = tmp_path / "sevens.png"
    proc = subprocess.run([sys.executable, "-m", "mnist_gan.generate", "--digit", "7", "--n", "16", "--out", str(out)],
                          cwd=REPO, env=env, capture_output=True, text=True, timeout=120)
    assert proc.returncode == 0 and out.stat().st_size > 0
    proc = subprocess.run([sys.executable, "-m", "mnist_gan.generate", "--weights", str(tmp_path / "r.json")],
                          cwd=REPO, env=env, capture_output=True, text=True, timeout=120)
    assert proc.returncode != 0 and "error:" in proc.stderr and "Traceback" not in proc.stderr


def test_real_features_are_cached_per_classifier_and_remade_when_damaged(tiny_mnist, tmp_path):
    from mnist_gan.evaluate import real_features
    judge = load_classifier()
    x, y = load_mnist("test", tiny_mnist)
    with torch.no_grad():
        pred, feats = classify(judge, to_unit_range(x).unsqueeze(1))
    first = real_features(judge, tiny_mnist, cache_dir=tmp_path)
    [cached] = tmp_path.glob("mnist_test_features_*.pt")
    assert torch.equal(first[0], feats) and torch.equal(first[1], y) and torch.equal(first[2], pred)
    cached.write_bytes(b"not a tensor file")  # damaged: made again, not an error
    assert torch.equal(real_features(judge, tiny_mnist, cache_dir=tmp_path)[0], feats)
    torch.save({"feats": torch.zeros_like(feats), "pred": pred}, cached)  # the cache is what is read back
    assert torch.equal(real_features(judge, tiny_mnist, cache_dir=tmp_path)[0], torch.zeros_like(feats))
    with torch.no_grad():  # another classifier: another file
        next(judge.parameters()).add_(0.01)
    real_features(judge, tiny_mnist, cache_dir=tmp_path)
    assert len(list(tmp_path.glob("mnist_test_features_*.pt"))) == 2
    assert real_features(judge, tiny_mnist, limit=10, cache_dir=tmp_path)[0].shape[0] == 10
