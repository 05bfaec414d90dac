"""Data-parallel training on the CPU: 2 gloo processes against 1 (ganlab.distributed).

Two ranks each train on half of the same global batch and DDP averages their gradients, so they compute
what one process computes, except for float32 summation order: a loss that one process sums over 16 rows
is two sums of 8 averaged, BatchNorm's statistics are all-reduced, gradients are averaged in buckets. Those
differences are ~1e-7 relative per operation, and over the first 10 steps the logged figures stay within
2e-6 of one process's (measured, all three trainers): the tolerance there is 2e-5. Later the game amplifies
them: Adam divides each gradient component by its running RMS, so a component whose gradient is ~0 turns
rounding noise into a full-size update, and the hinge loss's kink decides per sample whether it counts at
all. By step 20 the drift reaches 5e-4 (CIFAR-10's hinge GAN) and the tolerance for steps 11-20 is 2e-3.
Both are far below what a wrong shard, a missed all-reduce or an unsynchronised BatchNorm does: those change
step 1's losses in the second or third digit.
Exact (==) are: the draws each rank keeps (test_draws_are_the_global_draws_sliced), a 2-rank run resumed
after a SIGKILL against an uninterrupted 2-rank run (the same arithmetic: a + b is a + b on both), the step
counts, and which files exist.
"""
import json
import os
import shutil
import socket
import subprocess
import sys
import time
from pathlib import Path

import pytest
import torch

from ganlab import distributed
from ganlab.checkpoint import list_checkpoints
from ganlab.training import MetricsLog
from test_cifar10_gan import write_tiny_cifar
from test_sketch2real_model import tiny_faces  # noqa: F401  (a fixture)

REPO = Path(__file__).resolve().parent.parent
# abs: d_real/d_fake are logged to 6 decimals. A wrong split of the batch shows at step 1, at 1e-2 or more;
# rounding differences grow over the steps, faster on some CPUs (on an AMD EPYC: MNIST's losses 3e-5 apart at
# step 10, and its generator gradient norm, a diagnostic summed over every weight, 2e-4 at step 7, 8e-3 at 20)
EARLY, LATE, GRAD_NORM = dict(rel=1e-4, abs=1e-6), dict(rel=2e-3, abs=1e-6), dict(rel=2e-2, abs=1e-6)
EXACT = dict(rel=0, abs=0)
ENV = {**os.environ, "PYTHONPATH": str(REPO), "OMP_NUM_THREADS": "1", "GANLAB_DIST_TIMEOUT": "60"}
ENV.pop("WORLD_SIZE", None)
STEPS = 20


def free_port() -> int:
    with socket.socket() as s:
        s.bind(("127.0.0.1", 0))
        return s.getsockname()[1]


def launch(module: str, argv: list, nproc: int, cwds: list[Path] | None = None, extra_env: dict | None = None,
           timeout: float = 240) -> list[subprocess.CompletedProcess]:
    """Start `nproc` ranks with the environment torchrun gives them (RANK, WORLD_SIZE, MASTER_ADDR...), each
    in its own working folder when `cwds` is given; wait for all, killing all on a timeout."""
    port = free_port()
    procs = []
    for r in range(nproc):
        env = {**ENV, **(extra_env or {})}
        if nproc > 1:
            env.update(RANK=str(r), LOCAL_RANK=str(r), WORLD_SIZE=str(nproc), LOCAL_WORLD_SIZE=str(nproc),
                       MASTER_ADDR="127.0.0.1", MASTER_PORT=str(port))
        procs.append(subprocess.Popen([sys.executable, "-m", module, *map(str, argv)], env=env,
                                      cwd=(cwds or [REPO] * nproc)[r], stdout=subprocess.PIPE,
                                      stderr=subprocess.PIPE, text=True))
    results, deadline = [], time.monotonic() + timeout
    try:
        for p in procs:
            out, err = p.communicate(timeout=max(1, deadline - time.monotonic()))
            results.append(subprocess.CompletedProcess(p.args, p.returncode, out, err))
    finally:
        for p in procs:
            if p.poll() is None:
                p.kill()
    return results


def check_ok(results):
    for r in results:
        assert r.returncode == 0, f"rank failed ({r.returncode}):\n{r.stdout[-3000:]}\n{r.stderr[-3000:]}"


def torchrun(module: str, argv: list, nproc: int, extra_env=None, timeout: float = 240):
    cmd = [sys.executable, "-m", "torch.distributed.run", "--standalone", "--nproc_per_node", str(nproc),
           "-m", module, *map(str, argv)]
    return subprocess.run(cmd, cwd=REPO, env={**ENV, **(extra_env or {})}, capture_output=True, text=True,
                          timeout=timeout)


def training_rows(run: Path) -> dict[int, dict]:
    return {r["step"]: r for r in MetricsLog.read(run / "metrics.jsonl") if "img_per_s" in r}


def assert_same_losses(one: Path, two: Path, steps=range(1, STEPS + 1), tol=None):
    a, b = training_rows(one), training_rows(two)
    assert set(steps) <= a.keys() and set(steps) <= b.keys()
    for s in steps:
        figures = [k for k in a[s] if k.startswith(("loss", "d_real", "d_fake", "l1", "g_grad"))]
        assert figures
        for k in figures:
            t = tol or (GRAD_NORM if k.startswith("g_grad") else EARLY if s <= 10 else LATE)
            assert b[s][k] == pytest.approx(a[s][k], **t), f"step {s}, {k}: {a[s][k]} ({one.name}) vs {b[s][k]}"


# ---- the draws ----------------------------------------------------------------------------------------

def test_draws_are_the_global_draws_sliced(monkeypatch):
    """Rank r's rows of every draw, put side by side, are exactly one process's draw; also for a batch made
    of two global batches (real then fake) and along dim 1 (a (2, n) draw)."""
    def per_rank(fn, n, dim=0):
        parts = []
        for r in range(2):
            monkeypatch.setattr(distributed._ctx, "rank", r)
            parts.append(distributed.draw(lambda m: fn(torch.Generator().manual_seed(5), m), n, dim=dim))
        return parts

    monkeypatch.setattr(distributed._ctx, "world_size", 2)
    monkeypatch.setattr(distributed._ctx, "batch", 8)
    whole = torch.randn(8, 3, generator=torch.Generator().manual_seed(5))
    assert torch.equal(torch.cat(per_rank(lambda g, m: torch.randn(m, 3, generator=g), 4)), whole)
    real_fake = torch.rand(16, generator=torch.Generator().manual_seed(5))
    r0, r1 = per_rank(lambda g, m: torch.rand(m, generator=g), 8)  # each rank: its 4 real, then its 4 fake
    assert torch.equal(torch.cat([r0[:4], r1[:4], r0[4:], r1[4:]]), real_fake)
    shifts = torch.randint(0, 9, (2, 8), generator=torch.Generator().manual_seed(5))
    assert torch.equal(torch.cat(per_rank(lambda g, m: torch.randint(0, 9, (2, m), generator=g), 4, dim=1), 1),
                       shifts)


# ---- 2 ranks = 1 process ------------------------------------------------------------------------------

def trainer_flags(project: str, data: Path, cache: Path) -> list:
    common = ["--steps", STEPS, "--log-every", 1, "--eval-every", 0, "--quiet", "--ckpt-every", 10]
    if project == "mnist_gan":  # BatchNorm in G and (here) in D: both synchronised
        return [*common, "--data-dir", data, "--width", 16, "--d-width", 16, "--z-dim", 16, "--batch-size", 16,
                "--d-norm", "batch", "--sample-every", 10]
    if project == "cifar10_gan":  # the strong recipe: DiffAugment, 2 D steps, spectral norm, EMA, class BN
        return [*common, "--data-dir", data, "--cache-dir", cache, "--arch", "sngan", "--width", 16,
                "--d-width", 16, "--z-dim", 16, "--batch-size", 8, "--sample-every", 10]
    # sketch2real, with DiffAugment, feature matching, a two-scale D, the photo-only D (and its unpaired drawings),
    # drawings moved against their photos (--reframe), pairs enlarged and moved together (--zoom),
    # the perceptual and the colour losses
    return [*common, "--data-dir", data, "--cache-dir", cache, "--width", 8, "--max-channels", 16,
            "--out-width", 8, "--d-width", 8, "--batch-size", 4, "--variants", 2, "--eval-pairs", 3,
            "--sample-every", 10, "--doodles", 0, "--diffaug", "--feature-matching", 1,
            "--d-scales", 2, "--perceptual", 0.5, "--hint-colour", 1, "--d-photo", 1, "--unpaired", 1,
            "--reframe", 0.5, "--zoom", 0.5]


@pytest.fixture(scope="module")
def datasets(tmp_path_factory, tiny_mnist, tiny_faces):  # noqa: F811
    return {"mnist_gan": tiny_mnist, "sketch2real": tiny_faces,
            "cifar10_gan": write_tiny_cifar(tmp_path_factory.mktemp("cifar") / "cifar10_jpg.npz")}


@pytest.mark.parametrize("project", ["mnist_gan", "cifar10_gan", "sketch2real"])
def test_two_ranks_match_one_process_and_only_rank_0_writes(project, datasets, tmp_path):
    cache = tmp_path / "cache"
    flags = trainer_flags(project, datasets[project], cache)
    check_ok(launch(f"{project}.train", [*flags, "--out", tmp_path / "one"], 1))
    # rank 1 runs in an empty folder with the same relative --out: anything it wrote would land there
    rank_dirs = [tmp_path / "rank0", tmp_path / "rank1"]
    for d in rank_dirs:
        d.mkdir()
    results = launch(f"{project}.train", [*flags, "--out", "run"], 2, cwds=rank_dirs)
    check_ok(results)
    two = rank_dirs[0] / "run"
    assert list(rank_dirs[1].iterdir()) == [], "rank 1 wrote files"
    assert results[1].stdout == "" and json.loads(results[0].stdout.splitlines()[-1])["step"] == STEPS
    assert sorted(p.name for p in two.iterdir()) == sorted(p.name for p in (tmp_path / "one").iterdir())
    assert [p.name for p in list_checkpoints(two)] == ["ckpt_00000010.pt", "ckpt_00000020.pt"]
    config = json.loads((two / "config.json").read_text())
    assert (config["world_size"], config["batch_per_rank"]) == (2, config["batch_size"] // 2)
    assert_same_losses(tmp_path / "one", two)


# ---- a rank dies, the run resumes ---------------------------------------------------------------------

def test_sigkill_of_one_rank_ends_the_job_and_resume_continues(tiny_mnist, tmp_path):
    flags = trainer_flags("mnist_gan", tiny_mnist, tmp_path / "cache")
    flags[flags.index("--steps") + 1] = 30
    check_ok(launch("mnist_gan.train", [*flags, "--out", tmp_path / "ref"], 2))  # uninterrupted, 2 ranks

    killed = tmp_path / "killed"
    start = time.monotonic()
    proc = torchrun("mnist_gan.train", [*flags, "--out", killed], 2, {"GANLAB_DEBUG_KILL_AT": "1:15"})
    assert proc.returncode != 0, "torchrun reported success although a rank was killed"
    assert time.monotonic() - start < 120, "the job hung after a rank died"
    assert [p.name for p in list_checkpoints(killed)] == ["ckpt_00000010.pt"]
    same_world, other_world = tmp_path / "resume2", tmp_path / "resume1"
    shutil.copytree(killed, same_world)
    shutil.copytree(killed, other_world)

    proc = torchrun("mnist_gan.train", [*flags, "--out", same_world, "--resume"], 2)
    assert proc.returncode == 0, proc.stdout[-3000:] + proc.stderr[-3000:]
    assert "resumed from" in proc.stdout and "at step 10" in proc.stdout
    rows = [r["step"] for r in MetricsLog.read(same_world / "metrics.jsonl") if "img_per_s" in r]
    assert rows == list(range(1, 31)), "the log should hold each step once: 1-10 before, 11-30 after"
    assert_same_losses(tmp_path / "ref", same_world, range(1, 31), tol=EXACT)

    # another world size: the global batch and the draws do not depend on it, so this is the same run
    results = launch("mnist_gan.train", [*flags, "--out", other_world, "--resume"], 1)
    check_ok(results)
    assert "was written by 2 process(es), this run has 1" in results[0].stderr
    assert training_rows(other_world).keys() == set(range(1, 31))
    assert_same_losses(tmp_path / "ref", other_world, range(11, 21), tol=LATE)  # 10 steps from a rounding-level start


def test_a_batch_the_ranks_cannot_share_is_refused(tiny_mnist, tmp_path):
    flags = trainer_flags("mnist_gan", tiny_mnist, tmp_path / "cache")
    flags[flags.index("--batch-size") + 1] = 15
    results = launch("mnist_gan.train", [*flags, "--out", tmp_path / "run"], 2, timeout=120)
    for r in results:
        assert r.returncode != 0 and "--batch-size 15 is the global batch" in r.stderr
        assert "use a multiple of 2" in r.stderr
    assert not (tmp_path / "run").exists()


@pytest.mark.skipif(torch.cuda.is_available(), reason="on a GPU machine the check runs for real (8 minutes)")
def test_gpu_check_without_a_gpu_says_so_and_exits_0():
    proc = subprocess.run([sys.executable, "-m", "ganlab.gpu_check"], cwd=REPO, env=ENV, capture_output=True,
                          text=True, timeout=120)
    assert proc.returncode == 0 and "no CUDA GPU here" in proc.stdout
