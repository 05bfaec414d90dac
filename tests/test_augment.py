"""DiffAugment (ganlab.augment), shared by the CIFAR-10 GAN and sketch2real, and sketch2real's --diffaug and
--feature-matching: a (sketch, photo) pair moves together, gradients pass, and a run with them resumes exactly."""
import pytest
import torch

from ganlab.augment import diff_augment
from ganlab.training import MetricsLog
from sketch2real.models import PatchDiscriminator
from test_sketch2real_model import SMALL, run_train, tiny_faces  # noqa: F401  (tiny_faces is a fixture)


def dot_pair(b=8, h=64, w=48):
    """Black paper with one white dot, as a grey photo and a sketch stacked as the trainer stacks them."""
    sketch = torch.full((b, 1, h, w), -1.0)
    sketch[:, :, h // 2, w // 3] = 1.0
    return torch.cat([sketch.expand(-1, 3, -1, -1), sketch], dim=1)


def test_a_pair_is_shifted_alike_and_only_the_photo_is_recoloured():
    pair = dot_pair()
    out = diff_augment(pair, "color,translation", torch.Generator().manual_seed(0))
    assert out.shape == pair.shape
    moved = 0
    for x in out:
        photo, sketch = x[:3], x[3]
        dot = divmod(int(sketch.argmax()), sketch.shape[-1])
        paper = sketch != 0  # not shifted in (grey, 0, which may be brighter than a darkened dot)
        assert divmod(int(photo.mean(0).where(paper, -9).argmax()), sketch.shape[-1]) == dot
        moved += dot != (32, 16)
        assert set(sketch[paper].unique().tolist()) <= {-1.0, 1.0}, "the sketch keeps its ink and paper"
    assert moved >= 4, "the shifts should move most dots"
    background = out[:, :3][out[:, 3:].expand(-1, 3, -1, -1) == -1]  # was -1 in every photo
    assert (background - -1).abs().mean() > 0.05, "the photos' colours should change"


def test_cutout_greys_the_same_box_in_every_channel_of_a_tall_pair():
    pair = dot_pair(h=64, w=40)
    out = diff_augment(pair, "cutout", torch.Generator().manual_seed(1))
    for x in out:
        hole = x[3] == 0
        assert torch.equal(hole, (x == 0).all(0))
        rows, cols = hole.any(1).nonzero(), hole.any(0).nonzero()
        assert 0 < len(rows) <= 32 and 0 < len(cols) <= 20 and hole.sum() == len(rows) * len(cols)


def test_photos_given_together_get_the_same_colour_change_and_gradients_pass():
    photo = torch.rand(4, 3, 32, 32) * 2 - 1
    fake = photo.clone().requires_grad_(True)
    sketch = torch.rand(4, 1, 32, 32) * 2 - 1
    out = diff_augment(torch.cat([photo, fake, sketch], 1), rgb_pictures=2, generator=torch.Generator().manual_seed(5))
    torch.testing.assert_close(out[:, :3], out[:, 3:6])
    out[:, 3:6].sum().backward()
    assert fake.grad is not None and fake.grad.abs().sum() > 0
    again = diff_augment(torch.cat([photo, fake, sketch], 1), rgb_pictures=2,
                         generator=torch.Generator().manual_seed(5))
    assert torch.equal(out, again), "the same seed gives the same augmentation"


def test_translation_and_cutout_of_single_pictures():
    g = torch.Generator().manual_seed(0)
    x = torch.ones(64, 1, 32, 32)
    cut = diff_augment(x, "cutout", g)
    zeroed = (cut == 0).float().sum((1, 2, 3))
    assert (zeroed <= 256).all() and (zeroed > 0).all() and (zeroed == 256).float().mean() > 0.3
    moved = diff_augment(x, "translation", g)
    blank = (moved == 0).float().sum((1, 2, 3))  # the zero padding that came in
    assert (blank <= 32 * 32 - 28 * 28).all() and (blank > 0).float().mean() > 0.5
    # a single bright pixel moves by at most 4 in each direction and never changes its value
    dot = torch.zeros(16, 1, 32, 32)
    dot[:, :, 16, 16] = 1
    shifted = diff_augment(dot, "translation", g)
    for img in shifted[:, 0]:
        r, c = (img == 1).nonzero()[0].tolist()
        assert abs(r - 16) <= 4 and abs(c - 16) <= 4 and img.sum() == 1


def test_diff_augment_lets_gradients_through_and_refuses_unknown_ops():
    x = torch.rand(8, 3, 32, 32, requires_grad=True)
    diff_augment(x, "color,translation,cutout", torch.Generator().manual_seed(1)).sum().backward()
    assert x.grad is not None and x.grad.abs().sum() > 0
    assert diff_augment(x, "") is x
    with pytest.raises(ValueError, match="unknown DiffAugment operation 'rotate'"):
        diff_augment(x, "rotate")


def test_discriminator_features_come_with_the_same_logits():
    d = PatchDiscriminator(width=8, layers=3).eval()
    sketch, photo = torch.rand(2, 1, 64, 64), torch.rand(2, 3, 64, 64)
    logits, hidden = d(sketch, photo, features=True)
    torch.testing.assert_close(logits, d(sketch, photo))
    assert [h.shape[1:] for h in hidden] == [(8, 32, 32), (16, 16, 16), (32, 8, 8), (32, 8, 8)]


def test_training_with_diffaug_and_feature_matching_logs_it_and_resumes_exactly(tiny_faces, tmp_path):  # noqa: F811
    common = ["--data-dir", str(tiny_faces), "--cache-dir", str(tmp_path / "cache"), *SMALL, "--log-every", "1",
              "--ckpt-every", "4", "--eval-every", "0", "--diffaug", "--feature-matching", "10"]
    straight, halves = tmp_path / "straight", tmp_path / "halves"
    run_train("--out", str(straight), *common, "--steps", "8")
    run_train("--out", str(halves), *common, "--steps", "4")
    run_train("--out", str(halves), "--resume", *common, "--steps", "8")
    a, b = ({r["step"]: (r["loss_d"], r["loss_fm"], r["l1"]) for r in MetricsLog.read(run / "metrics.jsonl")
             if "loss_d" in r} for run in (straight, halves))
    assert sorted(a) == sorted(b) == list(range(1, 9))
    assert all(v[1] > 0 for v in a.values())
    for step in a:
        assert a[step] == pytest.approx(b[step], rel=1e-5, abs=1e-6), f"step {step} differs after resuming"


def test_augmenting_a_discriminator_that_is_not_there_is_refused(tmp_path):
    proc = run_train("--out", str(tmp_path / "x"), "--cache-dir", str(tmp_path / "cache"), "--l1-only",
                     "--diffaug", check=False)
    assert proc.returncode != 0 and "--l1-only" in proc.stderr
