"""sketch2real's perceptual loss (--perceptual): features of the frozen CIFAR-10 classifier."""
import pytest
import torch

from ganlab.checkpoint import CheckpointError, latest_checkpoint, load_checkpoint
from ganlab.training import MetricsLog
from sketch2real.losses import PerceptualL1, to_classifier_size
from test_sketch2real_model import SMALL, one_thread, run_train, tiny_faces  # noqa: F401  (fixtures)


@pytest.fixture(scope="module")
def perceptual():
    return PerceptualL1()


def test_pictures_are_shrunk_to_the_classifiers_size():
    assert to_classifier_size(torch.zeros(2, 3, 64, 64)).shape == (2, 3, 32, 32)
    assert to_classifier_size(torch.zeros(1, 3, 192, 128)).shape == (1, 3, 48, 32)  # people: portrait kept
    flat = torch.full((1, 3, 128, 128), 0.25)
    torch.testing.assert_close(to_classifier_size(flat), torch.full((1, 3, 32, 32), 0.25))


def test_perceptual_loss_compares_pictures_and_teaches_only_the_generator(perceptual):
    gen = torch.Generator().manual_seed(0)
    real = torch.rand(2, 3, 64, 64, generator=gen) * 2 - 1
    fake = (torch.rand(2, 3, 64, 64, generator=gen) * 2 - 1).requires_grad_()
    assert perceptual(real, real).item() == 0.0
    loss = perceptual(fake, real)
    assert loss.item() > 0
    assert perceptual(real + 0.05, real).item() < loss.item(), "a nearby picture should cost less"
    loss.backward()
    assert fake.grad is not None and fake.grad.abs().sum() > 0, "the gradient must reach the generated picture"
    assert all(not p.requires_grad and p.grad is None for p in perceptual.parameters())
    perceptual.train()  # what a trainer's .train() would do: BatchNorm must keep its trained statistics
    assert not any(m.training for m in perceptual.modules())


def test_missing_classifier_weights_are_named(tmp_path, monkeypatch, capsys):
    missing = tmp_path / "classifier.safetensors"
    with pytest.raises(CheckpointError, match=str(missing)):
        PerceptualL1(missing)
    import sketch2real.options
    monkeypatch.setattr(sketch2real.options, "CLASSIFIER_WEIGHTS", missing)
    with pytest.raises(SystemExit):
        sketch2real.options.parse_args(["--perceptual", "1"])
    assert f"--perceptual needs the CIFAR-10 classifier's weights {missing}" in capsys.readouterr().err
    assert sketch2real.options.parse_args([]).perceptual == 0.0  # off, the file is not needed


def test_two_steps_with_perceptual_loss(tiny_faces, tmp_path):
    out = tmp_path / "run"
    run_train("--data-dir", str(tiny_faces), "--cache-dir", str(tmp_path / "cache"), *SMALL, "--perceptual", "1",
              "--out", str(out), "--steps", "2", "--log-every", "1", "--eval-every", "0")
    rows = [r for r in MetricsLog.read(out / "metrics.jsonl") if "l1" in r]
    assert len(rows) == 2 and all(r["loss_perc"] > 0 for r in rows)
    state = load_checkpoint(latest_checkpoint(out), "sketch2real")
    assert state["model_config"]["perceptual"] == 1.0
    assert not any("stages" in k for k in [*state["G"], *state["D"]]), "the classifier is not saved"
    optimised = sum(s["exp_avg"].numel() for s in state["opt_g"]["state"].values())
    assert optimised == sum(v.numel() for v in state["G"].values()), "G's optimiser holds G alone (no buffers)"
