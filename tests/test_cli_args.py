"""Every command checks its arguments first: a bad path or number ends it at once, with one clear line.

Each command runs as a user runs it, in a subprocess, with one bad argument. It must end with argparse's exit
code 2, a last line that names the flag and what is wrong, no traceback, and within a few seconds: before it
loads data or builds a model (cifar10_gan.evaluate used to spend five minutes on the judge's features first).
"""
import argparse
import os
import re
import subprocess
import sys
import time
from pathlib import Path

import pytest

from ganlab import cli

REPO = Path(__file__).resolve().parent.parent
FAST_S = 10  # generous: importing torch takes about 2 s; the slow failures took 40 s to 5 min

# (module, arguments, what the last line of stderr must say); {tmp} is a folder holding `lonely.safetensors`
# (released weights without their .json) and `a_file`.
BAD_COMMAND_LINES = [
    ("mnist_gan.train", ["--data-dir", "/nonexistent/mnist"], "argument --data-dir: /nonexistent/mnist does not exist"),
    ("mnist_gan.evaluate", ["/nonexistent/g.safetensors"], "/nonexistent/g.safetensors does not exist"),
    ("mnist_gan.export", ["--weights", "{tmp}/lonely.safetensors"], "has no lonely.json beside it"),
    ("mnist_gan.generate", ["--digit", "12"], "argument --digit: must be in [0, 9], not 12"),
    ("mnist_gan.benchmark", ["--device", "cuda:99"], "argument --device: cuda:99 was asked for"),
    ("mnist_gan.classifier", ["--out", "{tmp}"], "argument --out: {tmp} is a folder; name a file"),
    ("mnist_gan.experiments", ["schedules", "--runs", "{tmp}/a_file"], "argument --runs: {tmp}/a_file is a file"),
    ("mnist_gan.vae", ["--data-dir", "/nonexistent/mnist"], "argument --data-dir: /nonexistent/mnist does not exist"),
    ("mnist_gan.baseline", ["--minutes", "-1"], "argument --minutes: must be positive, not -1"),
    ("cifar10_gan.train", ["--data-dir", "/nonexistent/cifar"], "argument --data-dir: /nonexistent/cifar does not"),
    ("cifar10_gan.evaluate", ["{tmp}/lonely.safetensors"], "argument generators: {tmp}/lonely.safetensors has no "
                                                           "lonely.json beside it"),
    ("cifar10_gan.export", ["--weights", "/nonexistent.safetensors"], "/nonexistent.safetensors does not exist"),
    ("cifar10_gan.classifier", ["--epochs", "0"], "argument --epochs: must be positive, not 0"),
    ("cifar10_gan.benchmark", ["--device", "tpu"], "argument --device: unknown device 'tpu'"),
    ("sketch2real.train", ["--data-dir", "/nonexistent/faces"], "argument --data-dir: /nonexistent/faces does not"),
    ("sketch2real.evaluate", ["--models", "/nonexistent.safetensors"], "/nonexistent.safetensors does not exist"),
    ("sketch2real.evaluate", ["--dataset", "people", "--cartoon-parts"], "--cartoon-parts is for --dataset faces"),
    ("sketch2real.evaluate", ["--dataset", "shoes_bags", "--cartoon-moves"], "--cartoon-moves is for --dataset faces"),
    ("sketch2real.evaluate", ["--dataset", "people", "--cartoon-seed", "8"], "--cartoon-seed is for --dataset faces"),
    ("sketch2real.evaluate", ["--cartoon-seed", "eight"], "argument --cartoon-seed: invalid int value"),
    ("sketch2real.export", ["--release", "{tmp}/lonely.safetensors"], "has no lonely.json beside it"),
    ("sketch2real.sketch", ["--demo", "{tmp}/a_file/demo.png"], "--demo: {tmp}/a_file is a file, not a folder"),
    ("sketch2real.cartoon", ["{tmp}/faces.png", "--n", "0"], "argument --n: must be positive, not 0"),
    ("sketch2real.pose", ["--images", "/nonexistent.npy"], "argument --images: /nonexistent.npy does not exist"),
    ("sketch2real.person", ["{tmp}/people.png", "--n", "0"], "argument --n: must be positive, not 0"),
    ("sketch2real.everyday_people", ["{tmp}"], "argument out: {tmp} is a folder; name a file"),
    ("web.serve", ["--port", "70000"], "argument --port: must be in [0, 65535], not 70000"),
    ("web.bench", ["--reps", "zero"], "argument --reps: 'zero' is not a whole number"),
    ("web.bench_sketch", ["--json", "{tmp}"], "argument --json: {tmp} is a folder; name a file"),
    ("web.convert_tfjs", ["--onnx", "/nonexistent.onnx"], "argument --onnx: /nonexistent.onnx does not exist"),
]


@pytest.mark.parametrize("module, args, message", BAD_COMMAND_LINES, ids=[m for m, _, _ in BAD_COMMAND_LINES])
def test_bad_argument_ends_the_command_at_once(tmp_path, module, args, message):
    (tmp_path / "lonely.safetensors").write_bytes(b"weights without their json")
    (tmp_path / "a_file").write_text("not a folder")
    fill = lambda text: text.replace("{tmp}", str(tmp_path))  # noqa: E731
    env = {**os.environ, "PYTHONPATH": str(REPO), "OMP_NUM_THREADS": "1"}
    start = time.perf_counter()
    proc = subprocess.run([sys.executable, "-m", module, *map(fill, args)], cwd=REPO, env=env, capture_output=True,
                          text=True, timeout=120)
    seconds = time.perf_counter() - start
    last_line = proc.stderr.strip().splitlines()[-1] if proc.stderr.strip() else ""
    assert proc.returncode == 2, proc.stderr
    assert last_line.startswith(f"python -m {module}: error: ") and fill(message) in last_line, proc.stderr
    assert "Traceback" not in proc.stderr
    assert seconds < FAST_S, f"{module} took {seconds:.1f} s to refuse a bad argument"


def test_the_types_accept_good_values_and_name_the_bad_ones(tmp_path):
    (tmp_path / "g.safetensors").write_bytes(b"")
    (tmp_path / "g.json").write_text("{}")
    (tmp_path / "ckpt_00000001.pt").write_bytes(b"")
    assert cli.release_file(str(tmp_path / "g.safetensors")) == tmp_path / "g.safetensors"
    assert cli.weights_file(str(tmp_path / "ckpt_00000001.pt")).name == "ckpt_00000001.pt"  # no .json needed
    assert cli.output_dir(str(tmp_path / "new" / "run")) == tmp_path / "new" / "run"     # made later
    assert cli.output_file(str(tmp_path / "new" / "r.json")) == tmp_path / "new" / "r.json"
    assert cli.positive_int("3") == 3 and cli.float_in(0, 1, high_open=True)("0") == 0.0
    assert cli.device("cpu") == "cpu" and cli.device("auto") == "auto"
    for parse, text, message in [
        (cli.release_file, str(tmp_path / "g.json"), "a release's description; pass its weights"),
        (cli.existing_dir, str(tmp_path / "g.json"), "is a file, not a folder"),
        (cli.positive_int, "1.5", "'1.5' is not a whole number"),
        (cli.non_negative_int, "-2", "must be at least 0, not -2"),
        (cli.positive_float, "nan", "must be positive, not nan"),
        (cli.float_in(0.5, 1, low_open=True), "0.5", "must be in (0.5, 1], not 0.5"),
        (cli.float_in(0, 1, high_open=True), "1", "must be in [0, 1), not 1"),
        (cli.device, "gpu", "unknown device 'gpu'"),
    ]:
        with pytest.raises(argparse.ArgumentTypeError, match=re.escape(message)):
            parse(text)
