"""The options behind the owner's experiments (mnist_gan.experiments) do what they claim, on tiny data."""
import json

import pytest
import torch
import torch.nn.functional as F

from mnist_gan.models import Discriminator
from mnist_gan.train import Trainer, parse_args

TINY = ["--width", "16", "--d-width", "16", "--z-dim", "16", "--batch-size", "16", "--ema", "0", "--quiet"]


def trainer_for(data, *flags):
    return Trainer(parse_args(["--data-dir", str(data), *TINY, *flags]))


def weights(model):
    return [p.detach().clone() for p in model.parameters()]


def changed(before, model):
    return any(not torch.equal(a, b) for a, b in zip(before, model.parameters()))


def test_loser_schedule_steps_only_the_network_that_lost(tiny_mnist):
    t = trainer_for(tiny_mnist, "--schedule", "loser")
    decisions = []
    decide = t.who_steps
    t.who_steps = lambda d_won: decisions.append((d_won, decide(d_won))) or decisions[-1][1]
    for _ in range(12):
        g0, d0 = weights(t.G), weights(t.D)
        stats = t.train_step()
        d_won, (step_d, step_g) = decisions[-1]
        assert (step_d, step_g) == (not d_won, d_won)          # the loser, and only the loser, steps
        assert changed(d0, t.D) == step_d and changed(g0, t.G) == step_g
        assert stats["d_updates"] == float(step_d) and stats["g_updates"] == float(step_g)
    assert {d for d, _ in decisions} == {True, False}, "both networks should lose some batch in 12 steps"


def test_streak_schedule_switches_after_k_wins(tiny_mnist):
    t = trainer_for(tiny_mnist, "--schedule", "streak", "--streak-k", "3", "--streak-m", "2")
    assert [t.who_steps(True) for _ in range(2)] == [(True, True)] * 2       # D won twice: both still step
    assert t.who_steps(True) == (False, True)                                # third win in a row: G catches up
    assert t.who_steps(True) == (False, True)                                # ... for M = 2 batches, whoever wins
    assert t.who_steps(False) == (True, True)                                # back to both; G's streak starts
    assert [t.who_steps(False) for _ in range(2)] == [(True, True), (True, False)]  # G's 3rd win: D catches up
    assert t.who_steps(True) == (True, False)
    assert t.who_steps(True) == (True, True)  # the streak restarted after the catch-up phase
    # a broken streak does not count: win, win, loss, win, win -> no catch-up
    t2 = trainer_for(tiny_mnist, "--schedule", "streak", "--streak-k", "3")
    assert {t2.who_steps(w) for w in (True, True, False, True, True)} == {(True, True)}


def test_d_steps_use_a_fresh_batch_each_and_one_g_step(tiny_mnist):
    t = trainer_for(tiny_mnist, "--d-steps", "3")
    stats = t.train_step()
    assert t.batches_seen == 3 and stats["d_updates"] == 3 and stats["g_updates"] == 1
    assert t.opt_d.state[next(iter(t.D.parameters()))]["step"] == 3
    assert t.opt_g.state[next(iter(t.G.parameters()))]["step"] == 1


def test_pretraining_trains_d_and_leaves_g_alone(tiny_mnist):
    t = trainer_for(tiny_mnist, "--d-pretrain", "5")
    g0, d0 = weights(t.G), weights(t.D)
    t.pretrain_d(5)
    assert not changed(g0, t.G) and changed(d0, t.D)
    assert t.step == 0 and t.batches_seen == 5
    assert all(s.get("step", 0) == 0 for s in t.opt_g.state.values())


def test_label_smoothing_is_cross_entropy_against_the_smoothed_target(tiny_mnist):
    t = trainer_for(tiny_mnist, "--real-label", "0.9")
    real, y = t.next_batch()
    fake, fake_y = t.make_fakes(len(real))
    loss, logit_real, logit_fake = t.d_loss(real, y, fake, fake_y)
    expected = (F.binary_cross_entropy_with_logits(logit_real, torch.full_like(logit_real, 0.9))
                + F.binary_cross_entropy_with_logits(logit_fake, torch.zeros_like(logit_fake)))
    torch.testing.assert_close(loss.detach(), expected)


def test_instance_noise_fades_out(tiny_mnist):
    t = trainer_for(tiny_mnist, "--instance-noise", "0.5", "--noise-steps", "10")
    real, y = t.next_batch()
    with torch.no_grad():
        assert not torch.equal(t.judge(real, y), t.judge(real, y))  # noisy: two looks differ
        t.step = 10
        torch.testing.assert_close(t.judge(real, y), t.judge(real, y))  # faded out
        torch.testing.assert_close(t.judge(real, y), t.D(real, y))


@pytest.mark.parametrize("freeze", [True, False])
def test_freeze_d_decides_whether_d_gets_gradients_in_gs_step(tiny_mnist, freeze):
    t = trainer_for(tiny_mnist, "--freeze-d" if freeze else "--no-freeze-d")
    t.D.zero_grad(set_to_none=True)
    fake, fake_y = t.make_fakes(16)
    t.g_update(fake, fake_y)
    has_grad = [p.grad is not None for p in t.D.parameters()]
    assert not any(has_grad) if freeze else all(has_grad)
    assert all(p.requires_grad for p in t.D.parameters())  # unfrozen again for D's next step


@pytest.mark.parametrize("detach", [True, False])
def test_detach_decides_whether_ds_loss_reaches_g(tiny_mnist, detach):
    t = trainer_for(tiny_mnist, "--detach-fake" if detach else "--no-detach-fake")
    real, y = t.next_batch()
    fake, fake_y = t.make_fakes(len(real))
    t.G.zero_grad(set_to_none=True)
    t.d_update(t.d_loss(real, y, fake, fake_y)[0])
    reached_g = any(p.grad is not None for p in t.G.parameters())
    assert reached_g != detach
    t.g_update(fake, fake_y)  # without detach the graph was kept for this: it must still work


def test_separate_passes_normalise_real_and_fake_apart(tiny_mnist):
    t = trainer_for(tiny_mnist, "--d-norm", "batch", "--d-batches", "separate")
    real, y = t.next_batch()
    fake, fake_y = t.make_fakes(len(real))
    with torch.no_grad():
        _, logit_real, _ = t.d_loss(real, y, fake, fake_y)
        # in separate passes a real image's score does not depend on the fakes beside it
        torch.testing.assert_close(logit_real, t.D(real, y).float())
        t.args.d_batches = "joint"
        _, joint_real, _ = t.d_loss(real, y, fake, fake_y)
    assert not torch.allclose(joint_real, logit_real)


def test_spectral_norm_keeps_each_layer_at_most_1_lipschitz():
    d = Discriminator(num_classes=10, width=8, norm="spectral")
    x, y = torch.randn(4, 1, 28, 28), torch.arange(4)
    with torch.no_grad():
        for _ in range(30):  # power iteration converges over forward passes in train mode
            d(x, y)
    sigma = torch.linalg.matrix_norm(d.score.weight.detach(), ord=2)
    assert abs(float(sigma) - 1) < 0.05
    conv = d.features[2].weight.detach().flatten(1)
    assert float(torch.linalg.matrix_norm(conv, ord=2)) < 1.05


def test_vae_trains_and_its_decoder_loads_as_a_generator(tiny_mnist, tmp_path):
    from mnist_gan import vae
    from mnist_gan.generate import load_generator
    out = tmp_path / "vae"
    summary = vae.train(vae.parse_args(["--data-dir", str(tiny_mnist), "--out", str(out), "--steps", "30",
                                        "--log-every", "10", "--eval-every", "0", "--ckpt-every", "15",
                                        "--batch-size", "16", "--quiet"]))
    assert summary["step"] == 30
    rows = [json.loads(l) for l in (out / "metrics.jsonl").read_text().splitlines()]
    assert rows[-1]["loss"] < rows[0]["loss"], "the ELBO should improve within 30 steps"
    g = load_generator(out / "generator.safetensors")
    images = g(torch.randn(5, g.z_dim), torch.arange(5))
    assert images.shape == (5, 1, 28, 28) and images.abs().max() <= 1
    with pytest.raises(SystemExit, match="already holds checkpoints"):
        vae.train(vae.parse_args(["--data-dir", str(tiny_mnist), "--out", str(out), "--steps", "40", "--quiet"]))
    vae.train(vae.parse_args(["--data-dir", str(tiny_mnist), "--out", str(out), "--steps", "40", "--resume",
                              "--eval-every", "0", "--batch-size", "16", "--quiet"]))


def test_vae_loss_is_the_negative_elbo():
    from mnist_gan.vae import vae_loss
    x = torch.rand(3, 1, 28, 28) * 2 - 1
    recon = torch.zeros_like(x)                         # p = 0.5 everywhere
    mu, logvar = torch.zeros(3, 4), torch.zeros(3, 4)   # the posterior equals the prior: KL = 0
    total, rec, kl = vae_loss(recon, x, mu, logvar)
    assert float(kl) == 0 and abs(float(rec) - 784 * torch.log(torch.tensor(2.0))) < 1e-3
    _, _, kl = vae_loss(recon, x, torch.ones(3, 4), torch.zeros(3, 4))
    assert abs(float(kl) - 2.0) < 1e-6  # 0.5 * sum(mu^2) = 0.5 * 4


def test_experiments_cli_lists_them():
    from mnist_gan import experiments
    import contextlib, io
    buf = io.StringIO()
    with contextlib.redirect_stdout(buf):
        experiments.main(["--list"])
    assert set(experiments.EXPERIMENTS) <= {line.split()[0] for line in buf.getvalue().splitlines()}


def test_an_experiment_runs_end_to_end(shared_mnist, tmp_path, capsys):
    """The smallest real experiment: GAN and VAE, one seed, a few CPU-seconds each, scored and plotted."""
    from mnist_gan import experiments
    experiments.main(["vae", "--minutes", "0.03", "--seeds", "0", "--jobs", "2", "--eval-every", "10",
                      "--final-samples", "500", "--runs", str(tmp_path / "runs"), "--results", str(tmp_path / "notes")])
    printed = capsys.readouterr().out
    assert "GAN (standard)" in printed and "conditional VAE" in printed
    result = json.loads((tmp_path / "notes" / "experiments" / "results" / "vae_vs_gan.json").read_text())
    for name in ("GAN (standard)", "conditional VAE"):
        row = result["variants"][name]
        assert row["steps"]["mean"] > 0 and row["fd"]["mean"] > 0 and 0 <= row["cond_acc"]["mean"] <= 1
    assert {json.loads(f.read_text())["final_samples"] for f in (tmp_path / "runs").glob("*/final.json")} == {500}
    for png in ("vae_vs_gan_curves.png", "vae_vs_gan_samples.png", "vae_vs_gan_latent_walks.png"):
        assert (tmp_path / "notes" / "images" / "experiments" / png).stat().st_size > 1000
    # a second call reuses the finished runs instead of training again
    experiments.main(["vae", "--minutes", "0.03", "--seeds", "0", "--runs", str(tmp_path / "runs"),
                      "--results", str(tmp_path / "notes")])
    assert "training" not in capsys.readouterr().out
