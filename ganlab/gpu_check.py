"""The GPU acceptance check: one command, one JSON report, at most --budget-minutes (default 8) end to end.

    python -m ganlab.gpu_check                       # on a GPU machine: writes runs/gpu_check.json
    python -m ganlab.gpu_check --report out.json

On a machine without a CUDA GPU it says so and exits 0. On one it checks, in this order, within the budget:

1. each trainer (mnist_gan, cifar10_gan sngan, sketch2real faces) for a short run with bf16 autocast,
   channels-last and --compile: every logged loss finite; then --resume for a few more steps, which must start
   at the checkpoint's step;
2. a 2-process DDP run (torchrun, NCCL) of mnist_gan when the machine has 2 GPUs or more;
3. training images/s of the project's step (bf16 + channels-last, then + compile) against the plain
   DataLoader loop on the same models (mnist_gan, cifar10_gan sngan): the goal is >= 3x;
4. ONNX export of each trained generator with the onnxruntime parity check (recorded as skipped, with the
   reason, when onnxscript, which torch.onnx's exporter needs, is not installed).

It needs only torch, torchvision, onnx, onnxruntime, safetensors, tqdm and matplotlib (a stock GPU image).
Real datasets are used where the repository finds them (../shared/data); otherwise small synthetic ones are
written to a temporary folder, and the report says which ("data" per trainer): throughput on synthetic data
is still a fair step-for-step comparison, image quality is not measured here. Exit code 1 when a check failed.
"""
import argparse
import io
import json
import math
import os
import platform
import subprocess
import sys
import tempfile
import time
from pathlib import Path

import numpy as np
import torch

REPO = Path(__file__).resolve().parent.parent


class Budget:
    def __init__(self, minutes: float):
        self.end = time.monotonic() + 60 * minutes

    def left(self) -> float:
        return self.end - time.monotonic()


# ---- data: the real files when present, tiny synthetic ones otherwise ---------------------------------

def _jpeg(pixels: np.ndarray) -> bytes:
    from PIL import Image  # torchvision's dependency
    buf = io.BytesIO()
    Image.fromarray(pixels).save(buf, format="JPEG", quality=95)
    return buf.getvalue()


def _packed(blobs):
    offsets = np.concatenate([[0], np.cumsum([len(b) for b in blobs])]).astype(np.int64)
    return np.frombuffer(b"".join(blobs), np.uint8), offsets


def synthetic_data(folder: Path) -> dict[str, Path]:
    """MNIST-, CIFAR-10- and faces-shaped files of coloured shapes whose position says the class."""
    rng = np.random.default_rng(0)
    folder.mkdir(parents=True, exist_ok=True)
    paths = {}
    digits = {}
    for split, n in (("train", 2048), ("test", 256)):
        y = rng.integers(0, 10, n).astype(np.uint8)
        x = np.zeros((n, 28, 28), np.uint8)
        for i, label in enumerate(y):
            r, c = 4 + 2 * (label // 5) * 4, 4 + (label % 5) * 4
            x[i, r:r + 8, c:c + 6] = rng.integers(150, 256)
        digits[f"x_{split}"], digits[f"y_{split}"] = x, y
    paths["mnist"] = folder / "mnist.npz"
    np.savez(paths["mnist"], **digits)
    arrays = {"classes": np.array(["airplane", "automobile", "bird", "cat", "deer", "dog", "frog", "horse",
                                   "ship", "truck"])}
    for split, n in (("train", 2000), ("test", 200)):
        y = (np.arange(n) % 10).astype(np.uint8)
        blobs = []
        for label in y:
            p = np.full((32, 32, 3), 30, np.uint8)
            p[:, :, label % 3] = 60 + 15 * label
            p[3 * label:3 * label + 4] = rng.integers(180, 256)
            blobs.append(_jpeg(p))
        arrays[f"{split}_jpg"], arrays[f"{split}_offsets"] = _packed(blobs)
        arrays[f"y_{split}"] = y
    paths["cifar10"] = folder / "cifar10_jpg.npz"
    np.savez(paths["cifar10"], **arrays)
    yy, xx = np.mgrid[0:64, 0:64]
    faces = []
    for i in range(600):
        p = np.stack([(xx * 4 + i * 20) % 256, (yy * 4) % 256, np.full_like(xx, 90 + i % 100)], -1).astype(np.uint8)
        inside = ((xx - 32) / 18) ** 2 + ((yy - 34) / 26) ** 2 < 1
        p[inside] = (220, 180, 150)
        for ex in (24, 40):
            p[25:29, ex - 3:ex + 3] = (30, 20, 20)
        p[45:47, 24:40] = (120, 40, 40)
        faces.append(_jpeg(p))
    jpg, offsets = _packed(faces)
    paths["faces"] = folder / "faces_64_jpg.npz"
    np.savez(paths["faces"], jpg=jpg, offsets=offsets, celeba_id=np.arange(1, 601, dtype=np.int32),
             source=np.zeros(600, np.uint8), test_index=np.arange(0, 600, 12))
    return paths


def real_data() -> dict[str, Path | None]:
    from ganlab.data import SHARED_DATA
    found = {"mnist": SHARED_DATA / "mnist" / "mnist.npz", "cifar10": SHARED_DATA / "cifar10" / "cifar10_jpg.npz",
             "faces": SHARED_DATA / "faces_celeba" / "faces_64_jpg.npz"}
    return {k: (p if p.is_file() else None) for k, p in found.items()}


# ---- running the trainers -----------------------------------------------------------------------------

def run(cmd: list, timeout: float, env: dict | None = None) -> subprocess.CompletedProcess:
    env = {**os.environ, "PYTHONPATH": str(REPO) + os.pathsep + os.environ.get("PYTHONPATH", ""), **(env or {})}
    try:
        return subprocess.run([str(c) for c in cmd], cwd=REPO, env=env, capture_output=True, text=True,
                              timeout=max(1, timeout))
    except subprocess.TimeoutExpired as e:
        return subprocess.CompletedProcess(cmd, 124, e.stdout or "", (e.stderr or "") + "\n(timed out)")


def training_rows(out: Path) -> list[dict]:
    from ganlab.training import MetricsLog
    path = out / "metrics.jsonl"
    return [r for r in MetricsLog.read(path) if "img_per_s" in r] if path.is_file() else []


def failure(proc) -> str:
    text = (proc.stderr or "") + (proc.stdout or "")
    return f"exit {proc.returncode}: " + text.strip()[-1500:]


def check_trainer(name: str, module: str, flags: list, out: Path, budget: Budget, seconds: float) -> dict:
    """A short bf16 + channels-last + compile run, then a resume for 10 more steps."""
    speed = ["--device", "cuda", "--precision", "bf16", "--channels-last", "--compile", "--quiet",
             "--eval-every", "0", "--log-every", "10", "--sample-every", "0"]
    result = {"module": module, "flags": flags}
    t0 = time.monotonic()
    proc = run([sys.executable, "-m", module, *flags, *speed, "--out", out, "--steps", 100000,
                "--minutes", seconds / 60, "--ckpt-every", 10**9], min(budget.left(), seconds + 240))
    result["first_run_s"] = round(time.monotonic() - t0, 1)
    rows = training_rows(out)
    if proc.returncode != 0 or not rows:
        return {**result, "ok": False, "error": failure(proc)}
    losses = [v for r in rows for k, v in r.items() if k.startswith("loss")]
    step = rows[-1]["step"]
    result.update(steps=step, train_seconds=rows[-1]["train_seconds"], img_per_s_last_log=rows[-1]["img_per_s"],
                  losses_finite=all(math.isfinite(v) for v in losses), last_losses={
                      k: v for k, v in rows[-1].items() if k.startswith("loss")})
    t0 = time.monotonic()
    proc = run([sys.executable, "-m", module, *flags, *speed, "--out", out, "--resume", "--steps", step + 10,
                "--log-every", 5], min(budget.left(), 300))
    result["resume_s"] = round(time.monotonic() - t0, 1)
    rows = training_rows(out)
    resumed = proc.returncode == 0 and f"at step {step}" in proc.stdout and rows and rows[-1]["step"] == step + 10
    result.update(resumed_from=step, resumed_ok=bool(resumed),
                  resumed_losses_finite=all(math.isfinite(v) for r in rows for k, v in r.items() if k.startswith("loss")))
    if not resumed:
        result["error"] = failure(proc)
    result["ok"] = bool(result["losses_finite"] and resumed and result["resumed_losses_finite"])
    return result


def check_ddp(data: Path, out: Path, budget: Budget) -> dict:
    gpus = torch.cuda.device_count()
    if gpus < 2:
        return {"ok": None, "skipped": f"{gpus} GPU: the 2-process DDP step needs 2"}
    cmd = [sys.executable, "-m", "torch.distributed.run", "--standalone", "--nproc_per_node", 2, "-m",
           "mnist_gan.train", "--data-dir", data, "--out", out, "--steps", 40, "--batch-size", 128, "--quiet",
           "--eval-every", 0, "--log-every", 10, "--ckpt-every", 20, "--sample-every", 0, "--compile"]
    t0 = time.monotonic()
    proc = run(cmd, min(budget.left(), 300), env={"GANLAB_DIST_TIMEOUT": "120"})
    rows = training_rows(out)
    ok = proc.returncode == 0 and bool(rows) and rows[-1]["step"] == 40 and all(
        math.isfinite(v) for r in rows for k, v in r.items() if k.startswith("loss"))
    config = json.loads((out / "config.json").read_text()) if (out / "config.json").is_file() else {}
    return {"ok": ok, "seconds": round(time.monotonic() - t0, 1), "world_size": config.get("world_size"),
            "img_per_s_last_log": rows[-1]["img_per_s"] if rows else None,
            **({} if ok else {"error": failure(proc)})}


def throughput(data: dict, seconds: float) -> dict:
    """images/s: the plain DataLoader loop vs the project's step (bf16 + channels-last; then + compile)."""
    import argparse as ap

    from cifar10_gan import benchmark as cb
    from mnist_gan import benchmark as mb
    from mnist_gan.train import parse_args as mnist_args
    from cifar10_gan.train import parse_args as cifar_args
    results = {}
    d = mnist_args([])
    a = ap.Namespace(batch_size=64, width=d.width, d_width=d.d_width, warmup=5, seconds=seconds, workers=4,
                     data_dir=data["mnist"], device="cuda")
    base = mb.textbook_images_per_s(a, torch.device("cuda"))
    rates = {"textbook loop (DataLoader, fp32, NCHW)": base,
             "project step (bf16, channels-last)": mb.project_images_per_s(a, []),
             "project step (bf16, channels-last, compile)": mb.project_images_per_s(a, ["--compile"])}
    results["mnist_gan"] = {k: {"img_per_s": round(v), "x": round(v / base, 2)} for k, v in rates.items()}
    flags = ["--arch", "sngan", "--batch-size", "64", "--device", "cuda", "--quiet", "--data-dir", str(data["cifar10"])]
    recipe = cifar_args(flags)
    a = ap.Namespace(batch_size=64 * recipe.d_steps, warmup=5, seconds=seconds, workers=4,
                     data_dir=data["cifar10"], device="cuda")
    base = cb.textbook_images_per_s(recipe, a, torch.device("cuda"))
    rates = {"textbook loop (DataLoader, fp32, NCHW)": base,
             "project step (bf16, channels-last)": cb.project_images_per_s(flags, a),
             "project step (bf16, channels-last, compile)": cb.project_images_per_s(flags + ["--compile"], a)}
    results["cifar10_gan sngan"] = {k: {"img_per_s": round(v), "x": round(v / base, 2)} for k, v in rates.items()}
    for r in results.values():
        r["goal_3x_met"] = max(v["x"] for v in r.values()) >= 3
    return results


def export_check(runs: dict) -> dict:
    import importlib.util
    if importlib.util.find_spec("onnxscript") is None:
        return {name: {"ok": None, "skipped": "onnxscript is not installed (torch.onnx.export(dynamo=True) needs it; "
                                              "pip install onnxscript)"} for name in runs}
    from ganlab.export import PARITY_TOLERANCE
    results = {}
    for name, out in runs.items():
        weights = out / "generator.safetensors"
        if not weights.is_file():
            results[name] = {"ok": None, "skipped": "no trained generator (its training check failed)"}
            continue
        try:
            if name == "mnist_gan":
                from mnist_gan.export import export
            elif name == "cifar10_gan":
                from cifar10_gan.export import export
            else:
                from sketch2real.export import export
            meta = export(weights, out / "generator.onnx")
            diff = meta["parity_max_abs_diff"]
            results[name] = {"ok": diff <= PARITY_TOLERANCE, "parity_max_abs_diff": diff,
                             "onnx_bytes": meta["onnx_bytes"]}
        except Exception as e:  # recorded, the other checks go on
            results[name] = {"ok": False, "error": f"{type(e).__name__}: {str(e)[:500]}"}
    return results


def environment() -> dict:
    import importlib.util
    env = {"python": platform.python_version(), "torch": torch.__version__, "cuda": torch.version.cuda,
           "gpus": [torch.cuda.get_device_name(i) for i in range(torch.cuda.device_count())]}
    env["bf16"] = torch.cuda.is_bf16_supported()
    for m in ("torchvision", "triton", "onnx", "onnxruntime", "onnxscript"):
        spec = importlib.util.find_spec(m)
        env[m] = None if spec is None else getattr(__import__(m), "__version__", "present")
    return env


def main(argv=None):
    p = argparse.ArgumentParser(prog="python -m ganlab.gpu_check", description=__doc__.split("\n\n")[0])
    p.add_argument("--report", type=Path, default=REPO / "runs" / "gpu_check.json", help="where the JSON goes")
    p.add_argument("--budget-minutes", type=float, default=8.0, help="the whole check's wall-clock budget")
    p.add_argument("--train-seconds", type=float, default=25.0, help="training time of each trainer's first run")
    p.add_argument("--bench-seconds", type=float, default=8.0, help="timed seconds per throughput loop")
    p.add_argument("--synthetic", action="store_true", help="use synthetic data even where real data exists")
    args = p.parse_args(argv)
    if not torch.cuda.is_available():
        print("no CUDA GPU here: the GPU check has nothing to measure (it exits 0; run it on a GPU machine)")
        return 0
    budget = Budget(args.budget_minutes)
    started = time.time()
    report = {"started": time.strftime("%Y-%m-%d %H:%M:%S"), "environment": environment(), "checks": {}}
    work = Path(tempfile.mkdtemp(prefix="gpu_check_"))
    real = {} if args.synthetic else real_data()
    fake = synthetic_data(work / "data") if not all(real.values()) else {}
    data = {k: real.get(k) or fake[k] for k in ("mnist", "cifar10", "faces")}
    report["data"] = {k: ("real" if real.get(k) else "synthetic") for k in data}
    cache = work / "cache"
    trainers = {
        "mnist_gan": ("mnist_gan.train", ["--data-dir", data["mnist"]]),
        "cifar10_gan": ("cifar10_gan.train", ["--arch", "sngan", "--data-dir", data["cifar10"], "--cache-dir", cache,
                                              "--limit", 10000]),
        "sketch2real": ("sketch2real.train", ["--dataset", "faces", "--data-dir", data["faces"], "--cache-dir", cache,
                                              "--limit", 2000, "--variants", 1, "--doodles", 0, "--eval-pairs", 50]),
    }
    runs = {}
    for name, (module, flags) in trainers.items():
        if budget.left() < 60:
            report["checks"][name] = {"ok": None, "skipped": "the time budget ran out"}
            continue
        runs[name] = work / name
        report["checks"][name] = check_trainer(name, module, flags, runs[name], budget, args.train_seconds)
        print(name, json.dumps(report["checks"][name])[:400], flush=True)
    report["checks"]["ddp_2_gpus"] = check_ddp(data["mnist"], work / "ddp", budget) if budget.left() > 90 else {
        "ok": None, "skipped": "the time budget ran out"}
    if budget.left() > 8 * args.bench_seconds + 60:
        try:
            report["throughput"] = throughput(data, args.bench_seconds)
        except Exception as e:
            report["throughput"] = {"ok": False, "error": f"{type(e).__name__}: {str(e)[:500]}"}
    else:
        report["throughput"] = {"ok": None, "skipped": "the time budget ran out"}
    report["export"] = export_check(runs) if budget.left() > 20 else {"skipped": "the time budget ran out"}
    report["seconds"] = round(time.time() - started, 1)
    oks = [c.get("ok") for c in (*report["checks"].values(), *(report["export"].values()
                                                                 if isinstance(report["export"], dict) else []))
           if isinstance(c, dict)]
    report["ok"] = all(o is not False for o in oks) and report["throughput"].get("ok", True) is not False
    args.report.parent.mkdir(parents=True, exist_ok=True)
    args.report.write_text(json.dumps(report, indent=2, default=str))
    print(json.dumps(report, indent=2, default=str))
    print(f"report: {args.report}")
    return 0 if report["ok"] else 1


if __name__ == "__main__":
    sys.exit(main())
