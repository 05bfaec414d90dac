"""The colour pen's hints (sampler, canvas preprocessing, the generator's hint inputs and their export) and
continuing a released model with --init-from."""
import json

import numpy as np
import pytest
import torch
import torch.nn.functional as F

from ganlab.checkpoint import load_release, save_release
from sketch2real.export import canvas_to_hints, export
from sketch2real.hints import hint_colour, hint_preview, sample_hints
from sketch2real.models import (UNetGenerator, build_discriminator, build_generator, patchgans, widen_decoder,
                                widen_inputs)
from test_sketch2real_model import SMALL, one_thread, run_train, tiny_faces  # noqa: F401  (fixtures)

TINY = {"image_size": 64, "width": 8, "max_channels": 16, "out_width": 8}


def random_net(**config) -> UNetGenerator:
    g = UNetGenerator(**config).eval()
    for p in g.parameters():  # a trained-looking network, not the near-identity of a fresh one
        p.data.normal_(0, 0.3, generator=torch.Generator().manual_seed(p.numel()))
    return g


# ---- the sampler --------------------------------------------------------------------------------------

def flat_photos(colours) -> torch.Tensor:
    """One 64x64 photo per RGB colour, every pixel that colour: uint8 [B, 3, 64, 64]."""
    return torch.tensor(colours, dtype=torch.uint8)[:, :, None, None].expand(-1, -1, 64, 64).contiguous()


def test_hints_are_premultiplied_flat_colours_of_the_photo():
    colours = [(200, 40, 30), (20, 90, 220), (250, 230, 120), (10, 10, 10)] * 8
    hints = sample_hints(flat_photos(colours), torch.Generator().manual_seed(0), p_none=0.0, jitter=0.0)
    assert hints.shape == (32, 4, 64, 64)
    coverage = hints[:, 3:]
    assert coverage.min() >= 0 and coverage.max() <= 1
    assert (coverage.amax(dim=(1, 2, 3)) > 0.99).all(), "with p_none=0 every picture gets some colour"
    assert (hints[:, :3].abs() <= coverage + 1e-6).all(), "RGB must be premultiplied by the coverage"
    colour, where = hint_colour(hints)
    want = torch.tensor(colours, dtype=torch.float32)[:, :, None, None] / 127.5 - 1
    err = (colour - want).abs() * where
    assert err.max() < 1e-4, "a flat photo's hint is its own colour"
    # painted over white, the preview shows the colour where the coverage is full and white elsewhere
    preview = hint_preview(hints)
    assert torch.allclose(preview[:, :, 0, 0][coverage[:, 0, 0, 0] == 0], torch.ones(1, 3))


def test_hints_none_sometimes_jitter_and_seeding():
    photos = flat_photos([(128, 128, 128)] * 200)
    hints = sample_hints(photos, torch.Generator().manual_seed(1), p_none=0.4)
    empty = (hints[:, 3].amax(dim=(1, 2)) == 0).float().mean()
    assert 0.25 < empty < 0.55, f"{empty:.2f} of the pictures got no colour; asked for 0.4"
    assert torch.equal(hints, sample_hints(photos, torch.Generator().manual_seed(1), p_none=0.4))
    colour, where = hint_colour(hints)
    spread = colour[where.expand_as(colour)].std()
    assert 0.02 < spread < 0.15, "the jitter moves colours a little, as a person's choice of swatch would"
    assert torch.equal(sample_hints(photos[:4], torch.Generator(), p_none=1.0), torch.zeros(4, 4, 64, 64))


def test_hint_colour_loss_measures_the_local_colour_where_hints_are():
    from sketch2real.losses import hint_colour_l1
    colours = [[250, 220, 40], [30, 60, 200]]
    hints = sample_hints(flat_photos(colours), torch.Generator().manual_seed(2), p_none=0.0, jitter=0.0)
    asked = flat_photos(colours).float() / 127.5 - 1
    assert hint_colour_l1(asked, hints).item() < 1e-5, "the asked-for colour itself costs nothing"
    _, where = hint_colour(hints)
    off = asked + 0.2 * where  # 0.2 off inside the hinted pixels, right elsewhere
    inner = where & (F.max_pool2d(~where * 1.0, 3, 1, 1) == 0)  # hinted pixels whose 3x3 block is all hinted
    assert inner.any()
    loss = hint_colour_l1(off, hints).item()
    inner_share = (inner.float().sum(dim=(1, 2, 3)) / where.float().sum(dim=(1, 2, 3))).min()
    assert 0.2 * inner_share <= loss <= 0.2 + 1e-5
    halves = (hint_colour_l1(off[:1], hints[:1]) + hint_colour_l1(off[1:], hints[1:])) / 2
    assert halves.item() == pytest.approx(loss), "a batch split across processes must give the same loss"
    outside = asked + 0.5 * (~where)  # wrong only where nothing was asked
    assert hint_colour_l1(outside, hints).item() < hint_colour_l1(off, hints).item()
    no_hints = torch.zeros_like(hints)
    assert hint_colour_l1(off, no_hints).item() == 0.0


def test_learning_rate_decays_linearly_to_zero_at_the_last_step():
    from types import SimpleNamespace

    from sketch2real.train import Trainer
    scale = lambda step, start: Trainer.learning_rate_scale(  # noqa: E731
        SimpleNamespace(step=step, args=SimpleNamespace(steps=100, lr_decay_from=start)))
    assert [scale(s, None) for s in (0, 99)] == [1.0, 1.0]
    assert [scale(s, 60) for s in (0, 59, 60, 80, 100)] == [1.0, 1.0, 1.0, 0.5, 0.0]


# ---- the page's colour layer, in Python ---------------------------------------------------------------

def test_canvas_to_hints_conventions():
    empty = torch.zeros(256, 256, 4, dtype=torch.uint8)
    assert torch.equal(canvas_to_hints(empty, 64), torch.zeros(1, 4, 64, 64))
    layer = empty.clone()
    layer[:128, :, :3] = torch.tensor([255, 0, 51], dtype=torch.uint8)   # the top half painted, opaque
    layer[:128, :, 3] = 255
    layer[128:132, :, :3] = torch.tensor([255, 255, 255], dtype=torch.uint8)
    layer[128:132, :, 3] = 128                                          # one row of blocks half covered
    hints = canvas_to_hints(layer, 64)[0]
    torch.testing.assert_close(hints[:, 0, 0], torch.tensor([1.0, -1.0, 51 / 127.5 - 1, 1.0]))
    torch.testing.assert_close(hints[3, 32, 0], torch.tensor(128 / 255))
    torch.testing.assert_close(hints[:3, 32, 0], torch.full((3,), 128 / 255 * (255 / 127.5 - 1)))
    assert torch.equal(hints[:, 33:], torch.zeros(4, 31, 64))
    colour, where = hint_colour(hints[None])
    assert where[0, 0, :32].all() and where[0, 0, 32].all() and not where[0, 0, 33:].any()


@pytest.mark.parametrize("bad, message", [(torch.zeros(256, 256, 3, dtype=torch.uint8), "uint8 \\[H, W, 4\\]"),
                                          (torch.zeros(250, 256, 4, dtype=torch.uint8), "not a whole multiple of the model.s 64x64")])
def test_canvas_to_hints_refuses_odd_layers(bad, message):
    with pytest.raises(ValueError, match=message):
        canvas_to_hints(bad, 64)


# ---- the generator's hint inputs ----------------------------------------------------------------------

def test_widened_generator_draws_what_the_old_one_drew_until_colour_is_given():
    old = random_net(**TINY)
    new = UNetGenerator(**TINY, hint_channels=4).eval()
    new.load_state_dict(widen_inputs(old.state_dict(), new))
    sketch = torch.where(torch.rand(3, 1, 64, 64, generator=torch.Generator().manual_seed(0)) < 0.1, -1.0, 1.0)
    with torch.no_grad():
        torch.testing.assert_close(new(sketch), old(sketch))
        torch.testing.assert_close(new(sketch, torch.zeros(3, 4, 64, 64)), old(sketch))
    with pytest.raises(ValueError, match="without colour hints"):
        old(sketch, torch.zeros(3, 4, 64, 64))
    with pytest.raises(ValueError, match="hint_channels"):
        UNetGenerator(**TINY, hint_channels=3)


def test_wider_decoder_starts_from_what_the_narrow_one_drew_and_its_new_channels_learn():
    old = random_net(**TINY, hint_channels=4)
    new = UNetGenerator(**TINY, hint_channels=4, decoder_mult=2).eval()
    widths = [up.block[0].out_channels for up in new.ups]
    assert widths == [2 * up.block[0].out_channels for up in old.ups[:2]] + [up.block[0].out_channels
                                                                          for up in old.ups[2:]]
    new.load_state_dict(widen_decoder(old, new))
    sketch = torch.where(torch.rand(3, 1, 64, 64, generator=torch.Generator().manual_seed(0)) < 0.1, -1.0, 1.0)
    hints = sample_hints(torch.randint(0, 256, (3, 3, 64, 64), dtype=torch.uint8), torch.Generator(), p_none=0.0)
    with torch.no_grad():
        torch.testing.assert_close(new(sketch, hints), old(sketch, hints))
    # the weights that read the new channels start at zero but are not stuck there
    new(sketch, hints).square().mean().backward()
    reads_new = new.ups[1].block[0].weight.grad[:, old.ups[0].block[0].out_channels: widths[0]]
    assert reads_new.abs().sum() > 0
    with pytest.raises(ValueError, match="narrower"):
        widen_decoder(new, old)
    with pytest.raises(ValueError, match="decoder_mult must be at least 1"):
        UNetGenerator(**TINY, decoder_mult=0.5)


def test_hints_steer_the_picture_where_they_are():
    g = random_net(**TINY, hint_channels=4)
    sketch = torch.ones(1, 1, 64, 64)
    hints = torch.zeros(1, 4, 64, 64)
    hints[:, :, :8, :8] = torch.tensor([1.0, -1.0, -1.0, 1.0])[:, None, None]   # red in the top-left corner
    with torch.no_grad():
        delta = (g(sketch, hints) - g(sketch)).abs().sum(dim=1)[0]
    assert delta[:8, :8].mean() > 0 and delta[:8, :8].mean() > 3 * delta[40:, 40:].mean()


@pytest.mark.parametrize("decoder_mult", [1, 2])
def test_export_with_hints_matches_pytorch(tmp_path, decoder_mult):
    config = {**TINY, "hint_channels": 4, **({"decoder_mult": decoder_mult} if decoder_mult != 1 else {})}
    g = random_net(**config)
    save_release(g, config, tmp_path / "g.safetensors", extra={"dataset": "faces"})
    meta = export(tmp_path / "g.safetensors", tmp_path / "g.onnx")
    assert meta["parity_max_abs_diff"] < 1e-4
    sidecar = json.loads((tmp_path / "g.json").read_text())
    assert sidecar["inputs"] == {"sketch": ["batch", 1, 64, 64], "hints": ["batch", 4, 64, 64]}
    assert "coverage" in sidecar["hints_convention"]
    import onnxruntime as ort
    session = ort.InferenceSession(str(tmp_path / "g.onnx"), providers=["CPUExecutionProvider"])
    x = torch.rand(2, 1, 64, 64) * 2 - 1
    h = sample_hints(torch.randint(0, 256, (2, 3, 64, 64), dtype=torch.uint8), torch.Generator(), p_none=0.0)
    (y,) = session.run(None, {"sketch": x.numpy(), "hints": h.numpy()})
    np.testing.assert_allclose(y, g(x, h).detach().numpy(), atol=1e-4)


# ---- --init-from ----------------------------------------------------------------------------------------

def frozen(*more):
    """Training settings under which the weights hardly move (learning rates 1e-12): what a run starts from is
    what it releases, so the test can see what --init-from loaded."""
    return [*SMALL, "--lr-g", "1e-12", "--lr-d", "1e-12", "--eval-every", "0", *more]


def test_init_from_continues_generator_discriminator_and_training_time(tiny_faces, tmp_path):
    common = ["--data-dir", str(tiny_faces), "--cache-dir", str(tmp_path / "cache")]
    first = tmp_path / "first"
    run_train(*common, *SMALL, "--out", str(first), "--steps", "4", "--eval-every", "0")
    release = first / "generator.safetensors"
    assert release.with_suffix(".discriminator.safetensors").is_file(), "the release keeps its discriminator"
    before = json.loads(release.with_suffix(".json").read_text())["trained"]
    second = tmp_path / "second"
    proc = run_train(*common, *frozen(), "--out", str(second), "--steps", "2", "--init-from", str(release))
    assert "initialised from" in proc.stderr
    after = json.loads((second / "generator.json").read_text())["trained"]
    assert after["total_train_seconds"] == pytest.approx(before["total_train_seconds"] + after["train_seconds"], abs=0.2)
    assert after["init_from"] == str(release)
    g0, _ = load_release(release, build_generator)
    g1, _ = load_release(second / "generator.safetensors", build_generator)
    for (name, a), b in zip(g0.state_dict().items(), g1.state_dict().values()):
        torch.testing.assert_close(a, b, msg=f"generator weight {name} was not carried over")
    d0, _ = load_release(release.with_suffix(".discriminator.safetensors"), build_discriminator)
    d1, _ = load_release(second / "generator.discriminator.safetensors", build_discriminator)
    assert_same_discriminator(d0, d1)
    # resuming the continuation (no --init-from on that command line) still says what it continues
    run_train(*common, *frozen(), "--out", str(second), "--steps", "3", "--resume")
    resumed = json.loads((second / "generator.json").read_text())["trained"]
    assert resumed["init_from"] == str(release) and resumed["step"] == 3
    assert resumed["total_train_seconds"] == pytest.approx(before["total_train_seconds"] + resumed["train_seconds"],
                                                           abs=0.2)


def assert_same_discriminator(a, b):
    for (name, x), y in zip(a.state_dict().items(), b.state_dict().values(), strict=True):
        if not name.endswith(("._u", "._v")):  # spectral norm's power-iteration vectors move on every pass
            torch.testing.assert_close(x, y, msg=f"discriminator weight {name} was not carried over")


def test_init_from_a_single_scale_release_with_two_scales(tiny_faces, tmp_path):
    """--d-scales 2 continuing a single-PatchGAN release: the release's D is the finest scale, the coarser one
    starts fresh. Its own release keeps the finest alone and both together: runs of either kind continue it.
    The photo-only judge (--d-photo) goes the same way: fresh at first, then released and continued."""
    release = tmp_path / "single.safetensors"
    save_release(random_net(**TINY, hint_channels=4), {**TINY, "hint_channels": 4}, release)
    d_config = {"width": 8, "layers": 3}  # SMALL's
    save_release(build_discriminator(**d_config), d_config, release.with_suffix(".discriminator.safetensors"))
    common = ["--data-dir", str(tiny_faces), "--cache-dir", str(tmp_path / "cache"), "--steps", "2"]
    proc = run_train(*common, *frozen("--d-scales", "2", "--d-photo", "1"), "--out", str(tmp_path / "two"),
                     "--init-from", str(release))
    assert "holds 1 discriminator scale(s); the other 1 of --d-scales 2 start fresh" in proc.stderr
    assert "has no single.photo_discriminator.safetensors; the photo-only discriminator (--d-photo) starts fresh" \
        in proc.stderr
    released, _ = load_release(release.with_suffix(".discriminator.safetensors"), build_discriminator)
    two = tmp_path / "two" / "generator.safetensors"
    finest, _ = load_release(two.with_suffix(".discriminator.safetensors"), build_discriminator)
    both, meta = load_release(two.with_suffix(".multiscale_discriminator.safetensors"), build_discriminator)
    assert meta["config"]["scales"] == 2 and len(patchgans(both)) == 2
    assert_same_discriminator(released, finest)
    assert_same_discriminator(released, patchgans(both)[0])
    run_train(*common, *frozen(), "--out", str(tmp_path / "one_again"), "--init-from", str(two))
    proc = run_train(*common, *frozen("--d-scales", "2", "--d-photo", "1"), "--out", str(tmp_path / "two_again"),
                     "--init-from", str(two))
    assert "start fresh" not in proc.stderr and "starts fresh" not in proc.stderr
    again, _ = load_release(tmp_path / "two_again" / "generator.multiscale_discriminator.safetensors",
                            build_discriminator)
    assert_same_discriminator(both, again)
    judge, meta = load_release(two.with_suffix(".photo_discriminator.safetensors"), build_discriminator)
    assert meta["config"]["conditional"] is False
    judge_again, _ = load_release(tmp_path / "two_again" / "generator.photo_discriminator.safetensors",
                                  build_discriminator)
    assert_same_discriminator(judge, judge_again)


def test_init_from_an_old_release_widens_it_and_needs_a_discriminator(tiny_faces, tmp_path):
    old = random_net(image_size=64, width=8, max_channels=16, out_width=8)
    save_release(old, TINY, tmp_path / "old.safetensors", extra={"trained": {"train_seconds": 60.0}})
    common = ["--data-dir", str(tiny_faces), "--cache-dir", str(tmp_path / "cache"), "--steps", "1"]
    proc = run_train(*common, *frozen(), "--out", str(tmp_path / "a"), "--init-from", str(tmp_path / "old.safetensors"),
                     check=False)
    assert proc.returncode != 0 and "old.discriminator.safetensors is missing" in proc.stderr
    assert "--fresh-discriminator" in proc.stderr
    run_train(*common, *frozen("--fresh-discriminator"), "--out", str(tmp_path / "b"),
              "--init-from", str(tmp_path / "old.safetensors"))
    new, meta = load_release(tmp_path / "b" / "generator.safetensors", build_generator)
    assert new.hint_channels == 4 and meta["trained"]["total_train_seconds"] >= 60.0
    sketch = torch.where(torch.rand(2, 1, 64, 64) < 0.1, -1.0, 1.0)
    with torch.no_grad():
        torch.testing.assert_close(new.eval()(sketch), old(sketch), atol=1e-5, rtol=1e-4)
    # hint inputs and a wider decoder at once: still the old picture, and the release says how it was built
    run_train(*common, *frozen("--fresh-discriminator", "--decoder-mult", "2"), "--out", str(tmp_path / "wide"),
              "--init-from", str(tmp_path / "old.safetensors"))
    wide, meta = load_release(tmp_path / "wide" / "generator.safetensors", build_generator)
    assert meta["config"]["decoder_mult"] == 2 and wide.ups[0].block[0].out_channels == 32
    with torch.no_grad():
        torch.testing.assert_close(wide.eval()(sketch), old(sketch), atol=1e-5, rtol=1e-4)
    proc = run_train(*common, *frozen(), "--out", str(tmp_path / "narrow"),
                     "--init-from", str(tmp_path / "wide" / "generator.safetensors"), check=False)
    assert proc.returncode != 0 and "can be widened, not narrowed" in proc.stderr


@pytest.mark.parametrize("args, message", [
    (["--init-from", "/nonexistent/g.safetensors"], "/nonexistent/g.safetensors"),
    (["--init-from", "sketch2real/release/faces.safetensors", "--resume"], "give one of them"),
    (["--hint-none", "1.5"], "--hint-none"),
    (["--no-hints", "--hint-colour", "5"], "--hint-colour needs"),
    (["--steps", "10", "--lr-decay-from", "10"], "must come before --steps"),
    (["--decoder-mult", "0.5"], "--decoder-mult"),
])
def test_init_from_and_hint_flags_are_checked(tmp_path, args, message):
    proc = run_train("--out", str(tmp_path / "x"), "--cache-dir", str(tmp_path / "cache"), *args, check=False)
    assert proc.returncode != 0 and message in proc.stderr
