"""The trainer as a user runs it: a subprocess on the command line, on tiny data."""
import json
import os
import signal
import subprocess
import sys
import time
from pathlib import Path

import pytest
import torch

from ganlab.checkpoint import latest_checkpoint, list_checkpoints, load_checkpoint
from ganlab.training import MetricsLog
from mnist_gan.generate import load_generator

REPO = Path(__file__).resolve().parent.parent
SMALL = ["--width", "16", "--d-width", "16", "--z-dim", "16", "--batch-size", "16", "--eval-every", "0",
         "--sample-every", "10", "--quiet"]


def run_train(*args, check=True, **kw):
    env = {**os.environ, "PYTHONPATH": str(REPO), "OMP_NUM_THREADS": "1"}
    proc = subprocess.run([sys.executable, "-m", "mnist_gan.train", *args], cwd=REPO, env=env,
                          capture_output=True, text=True, timeout=300, **kw)
    if check and proc.returncode != 0:
        raise AssertionError(f"training failed:\n{proc.stdout}\n{proc.stderr}")
    return proc


def losses(run_dir: Path) -> dict[int, tuple]:
    return {r["step"]: (r["loss_d"], r["loss_g"], r["d_real"], r["d_fake"])
            for r in MetricsLog.read(run_dir / "metrics.jsonl") if "loss_d" in r}


def test_short_training_writes_everything(tiny_mnist, tmp_path):
    out = tmp_path / "run"
    run_train("--data-dir", str(tiny_mnist), "--out", str(out), "--steps", "20", "--log-every", "5",
              "--ckpt-every", "10", *SMALL)
    assert [p.name for p in list_checkpoints(out)] == ["ckpt_00000010.pt", "ckpt_00000020.pt"]
    assert (out / "samples" / "step_0000020.png").is_file() and (out / "training.png").is_file()
    rows = losses(out)
    assert sorted(rows) == [5, 10, 15, 20]
    assert all(torch.isfinite(torch.tensor(v)).all() for v in rows.values())
    state = load_checkpoint(latest_checkpoint(out), "mnist_gan")
    assert state["step"] == 20 and {"G", "D", "G_ema", "opt_g", "opt_d", "rng", "config"} <= state.keys()
    # the released-format generator equals the EMA generator of the last checkpoint
    released = load_generator(out / "generator.safetensors")
    from_ckpt = load_generator(latest_checkpoint(out))
    z, y = torch.randn(4, 16), torch.tensor([0, 1, 2, 3])
    torch.testing.assert_close(released(z, y), from_ckpt(z, y))


@pytest.mark.parametrize("game", [
    [],
    # the experiments' options carry state across steps: the streak counter, the noise, the batch counter
    ["--schedule", "streak", "--streak-k", "2", "--streak-m", "2", "--real-label", "0.9", "--instance-noise", "0.1"],
    ["--d-steps", "2", "--d-pretrain", "5"],
], ids=["standard", "streak-smoothing-noise", "2-d-steps-pretrain"])
def test_resume_after_sigkill_matches_an_uninterrupted_run(tiny_mnist, tmp_path, game):
    common = ["--data-dir", str(tiny_mnist), "--steps", "60", "--log-every", "1", "--ckpt-every", "20", *SMALL, *game]
    straight = tmp_path / "straight"
    run_train("--out", str(straight), *common)

    crashed = tmp_path / "crashed"
    env = {**os.environ, "PYTHONPATH": str(REPO), "OMP_NUM_THREADS": "1"}
    proc = subprocess.Popen([sys.executable, "-m", "mnist_gan.train", "--out", str(crashed), *common],
                            cwd=REPO, env=env, stdout=subprocess.DEVNULL, stderr=subprocess.DEVNULL)
    deadline = time.time() + 240
    while not (crashed / "ckpt_00000020.pt").exists():
        assert proc.poll() is None, "training ended before the first checkpoint"
        assert time.time() < deadline, "no checkpoint appeared"
        time.sleep(0.05)
    proc.send_signal(signal.SIGKILL)
    proc.wait()
    killed_at = max(losses(crashed))
    assert killed_at < 60, "the run finished before it could be killed"

    run_train("--out", str(crashed), "--resume", *common)
    a, b = losses(straight), losses(crashed)
    assert sorted(a) == sorted(b) == list(range(1, 61))
    worst = max(abs(x - y) for s in a for x, y in zip(a[s], b[s]))
    assert worst <= 1e-6, f"resumed run differs by {worst}"


def test_nan_loss_stops_the_run_and_keeps_the_last_good_checkpoint(tiny_mnist, tmp_path):
    out = tmp_path / "run"
    proc = run_train("--data-dir", str(tiny_mnist), "--out", str(out), "--steps", "30", "--log-every", "5",
                     "--ckpt-every", "10", "--debug-nan-at-step", "13", *SMALL, check=False)
    assert proc.returncode != 0
    assert "non-finite loss (NaN or Inf) at step 13" in proc.stderr
    assert [p.name for p in list_checkpoints(out)] == ["ckpt_00000010.pt"]
    state = load_checkpoint(out / "ckpt_00000010.pt", "mnist_gan")
    assert all(torch.isfinite(v).all() for v in state["G"].values() if v.is_floating_point())


def test_resume_and_overwrite_guards(tiny_mnist, tmp_path):
    out = tmp_path / "run"
    args = ["--data-dir", str(tiny_mnist), "--out", str(out), "--steps", "10", "--ckpt-every", "10", *SMALL]
    proc = run_train(*args, "--resume", check=False)
    assert proc.returncode != 0 and "holds no checkpoint" in proc.stderr
    run_train(*args)
    proc = run_train(*args, check=False)
    assert proc.returncode != 0 and "already holds checkpoints" in proc.stderr
    before = (out / "ckpt_00000010.pt").read_bytes()
    wider = [a if a != "16" else "32" for a in args]  # same run folder, another model size
    proc = run_train(*wider, "--resume", check=False)
    assert proc.returncode != 0 and "another model configuration" in proc.stderr and "width" in proc.stderr
    assert (out / "ckpt_00000010.pt").read_bytes() == before, "a refused resume must not touch the checkpoint"


@pytest.mark.parametrize("flags, message", [
    (["--steps", "0"], "argument --steps: must be positive, not 0"),
    (["--upsample", "bicubic"], "invalid choice"),
    (["--data-dir", "/no/such/folder"], "argument --data-dir: /no/such/folder does not exist"),
    (["--schedule", "loser", "--d-steps", "2"], "use it with --d-steps 1"),
    (["--real-label", "0.3"], "argument --real-label: must be in (0.5, 1], not 0.3"),
    (["--instance-noise", "-1"], "argument --instance-noise: must be at least 0, not -1"),
])
def test_bad_flags_give_one_clear_line(tmp_path, flags, message):
    proc = run_train("--out", str(tmp_path / "run"), *flags, check=False)
    assert proc.returncode != 0
    assert message in proc.stderr
    assert "Traceback" not in proc.stderr
    assert not list_checkpoints(tmp_path / "run")


def test_help_runs():
    proc = subprocess.run([sys.executable, "-m", "mnist_gan.train", "--help"], cwd=REPO, capture_output=True,
                          text=True, env={**os.environ, "PYTHONPATH": str(REPO)})
    assert proc.returncode == 0 and "--resume" in proc.stdout and "--minutes" in proc.stdout
