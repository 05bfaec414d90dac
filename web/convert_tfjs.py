"""Convert the exported ONNX generator into a TensorFlow.js graph model (float16 weights) for the page.

Runs in its own environment, because TensorFlow and the converters pin versions the project does not use:

    python3.11 -m venv .venv-tfjs                        # git-ignored
    .venv-tfjs/bin/pip install -r requirements-tfjs.txt
    .venv-tfjs/bin/python -m web.convert_tfjs            # from the repository root

It writes web/models/mnist_generator_tfjs/: manifest.json plus one or more graph models. The route is
ONNX -> (onnx2tf) TensorFlow SavedModel -> (tensorflowjs_converter) TF.js graph model:

  * First it tries a dynamic batch. onnx2tf handles this generator (nearest upsampling + Conv) with the
    batch left open, and the SavedModel is checked against onnxruntime at batch 1, 10 and 64.
  * If that conversion fails or disagrees (onnx2tf cannot, for instance, handle ConvTranspose with an
    open batch), it falls back to fixed batches: onnxsim pins the input shapes (1 and 64 by default, the
    page's single digit and its 8x8 grid) and each is converted and checked on its own. The page picks
    the smallest variant that fits a request and pads it with zeros.

`--batch 1 64` forces fixed batches. TensorFlow works in NHWC, so the output is [batch, 28, 28, 1]
(the manifest says so and the page transposes back), and TF.js has no int64, so `digit` is int32 there.
The sketch2real generators convert the same way (`--onnx web/models/sketch2real_faces.onnx`): their
`sketch` input becomes [batch, S, S, 1], which holds the same numbers in the same order as [batch, 1, S, S];
a model with colour hints also takes `hints` as [batch, S, S, 4] (the page transposes its planes).
onnx2tf rewrites the file it reads, so only a temporary copy of the model is ever handed to it.
"""
import argparse
import hashlib
import json
import shutil
import subprocess
import sys
import tempfile
from pathlib import Path

from ganlab import cli

MODELS = Path(__file__).resolve().parent / "models"
DEFAULT_ONNX = MODELS / "mnist_generator.onnx"
CHECK_BATCHES = (1, 10, 64)
TOLERANCE = 1e-4            # SavedModel (float32) vs onnxruntime; float16 TF.js is checked in the browser tests


def tool(name: str) -> str:
    """A console script of the environment running this file (the TF.js venv), else one on PATH."""
    here = Path(sys.executable).parent / name
    found = str(here) if here.is_file() else shutil.which(name)
    if not found:
        raise SystemExit(f"error: {name} not found; install requirements-tfjs.txt into this environment")
    return found


def run(cmd: list[str], log: Path) -> None:
    with open(log, "a") as f:
        f.write(f"\n$ {' '.join(cmd)}\n")
        f.flush()
        done = subprocess.run(cmd, stdout=f, stderr=subprocess.STDOUT)
    if done.returncode != 0:
        raise RuntimeError(f"{Path(cmd[0]).name} failed (exit {done.returncode}); see {log}")


def onnx_to_saved_model(onnx_path: Path, work: Path, tag: str, log: Path, batch: int | None) -> Path:
    source = work / f"{tag}.onnx"
    if batch is None:
        shutil.copyfile(onnx_path, source)
    else:
        shapes = [f"{name}:{','.join(str(d) for d in [batch, *dims[1:]])}" for name, dims in input_dims(onnx_path).items()]
        run([tool("onnxsim"), str(onnx_path), str(source), "--overwrite-input-shape", *shapes], log)
    out = work / f"saved_model_{tag}"
    run([tool("onnx2tf"), "-i", str(source), "-o", str(out), "-osd", "-n"], log)
    if not (out / "saved_model.pb").is_file():
        raise RuntimeError(f"onnx2tf wrote no SavedModel for {tag}; see {log}")
    return out


def input_dims(onnx_path: Path) -> dict:
    import onnx

    model = onnx.load(str(onnx_path), load_external_data=False)
    return {i.name: [d.dim_value or d.dim_param for d in i.type.tensor_type.shape.dim] for i in model.graph.input}


def random_feeds(onnx_path: Path, n: int, seed: int) -> dict:
    """Inputs for a check at batch n: noise for z, digits 0-9, sparse ink on white paper for a sketch."""
    import numpy as np

    rng = np.random.default_rng(seed)
    feeds = {}
    for name, dims in input_dims(onnx_path).items():
        shape = (n, *dims[1:])
        if name == "digit":
            feeds[name] = rng.integers(0, 10, shape).astype(np.int64)
        elif name == "sketch":
            feeds[name] = np.where(rng.random(shape) < 0.1, -1.0, 1.0).astype(np.float32)
        elif name == "hints":  # colour on about a third of the pixels: RGB in [-1, 1] times the coverage
            coverage = (rng.random((n, 1, *shape[2:])) < 0.3).astype(np.float32)
            rgb = rng.uniform(-1, 1, (n, shape[1] - 1, *shape[2:])).astype(np.float32) * coverage
            feeds[name] = np.concatenate([rgb, coverage], axis=1)
        else:
            feeds[name] = rng.standard_normal(shape).astype(np.float32)
    return feeds


def check_saved_model(saved_model: Path, onnx_path: Path, batches) -> float:
    """Largest |SavedModel - onnxruntime| over random inputs at the given batch sizes.

    onnx2tf turns 4-D inputs and outputs to NHWC, so image inputs are transposed on the way in and the
    output on the way out."""
    import numpy as np
    import onnxruntime
    import tensorflow as tf

    fn = tf.saved_model.load(str(saved_model)).signatures["serving_default"]
    session = onnxruntime.InferenceSession(str(onnx_path), providers=["CPUExecutionProvider"])
    worst = 0.0
    for n in batches:
        feeds = random_feeds(onnx_path, n, seed=n)
        want = session.run(None, feeds)[0]                                        # NCHW
        tf_feeds = {k: tf.constant(np.transpose(v, (0, 2, 3, 1)) if v.ndim == 4 else v) for k, v in feeds.items()}
        got = next(iter(fn(**tf_feeds).values())).numpy()                          # NHWC
        got = np.transpose(got, (0, 3, 1, 2))
        if got.shape != want.shape:
            raise RuntimeError(f"batch {n}: TF output {got.shape} vs ONNX {want.shape}")
        worst = max(worst, float(np.abs(got - want).max()))
    return worst


def to_tfjs(saved_model: Path, out: Path, log: Path) -> None:
    run([tool("tensorflowjs_converter"), "--input_format=tf_saved_model", "--output_format=tfjs_graph_model",
         "--quantize_float16=*", str(saved_model), str(out)], log)


def convert(onnx_path: Path = DEFAULT_ONNX, out: Path | None = None, batches: list[int] | None = None) -> dict:
    onnx_path = Path(onnx_path).resolve()
    out = Path(out or onnx_path.with_name(onnx_path.stem + "_tfjs"))
    sidecar = json.loads(onnx_path.with_suffix(".json").read_text()) if onnx_path.with_suffix(".json").is_file() else {}
    work = Path(tempfile.mkdtemp(prefix="convert_tfjs_"))
    log = work / "convert.log"
    original = work / "model.onnx"
    shutil.copyfile(onnx_path, original)          # the tools below never see the committed file
    variants, notes = [], []
    try:
        if not batches:
            try:
                sm = onnx_to_saved_model(original, work, "dynamic", log, None)
                diff = check_saved_model(sm, original, CHECK_BATCHES)
                if diff > TOLERANCE:
                    raise RuntimeError(f"dynamic-batch SavedModel differs from ONNX by {diff:.2e}")
                variants.append({"batch": None, "saved_model": sm, "path": "model.json", "max_abs_diff": diff})
            except Exception as e:  # noqa: BLE001 (any failure means: take the fixed-batch route)
                notes.append(f"dynamic batch failed ({e}); converting fixed batches 1 and 64")
                print(f"note: {notes[-1]}")
                batches = [1, 64]
        for b in batches or []:
            sm = onnx_to_saved_model(original, work, f"b{b}", log, b)
            diff = check_saved_model(sm, original, [b])
            if diff > TOLERANCE:
                raise RuntimeError(f"batch-{b} SavedModel differs from ONNX by {diff:.2e}")
            variants.append({"batch": b, "saved_model": sm, "path": f"b{b}/model.json", "max_abs_diff": diff})

        if out.exists():
            shutil.rmtree(out)
        out.mkdir(parents=True)
        for v in variants:
            to_tfjs(v["saved_model"], out / Path(v["path"]).parent, log)
        dims = input_dims(original)
        if "sketch" in dims:  # a sketch -> photo model: a drawing (and its colour hints) in, one image out
            h, w = dims["sketch"][-2:]  # portrait for people, square otherwise
            kind = {"image_size": w, "image_height": h,
                    "inputs": {name: f"float32 [batch, {h}, {w}, {d[1]}] (NHWC)" for name, d in dims.items()}}
        else:
            image = sidecar.get("output", {}).get("image", ["batch", 1, 28, 28])
            kind = {"z_dim": sidecar.get("z_dim", dims["z"][1]), "num_classes": sidecar.get("num_classes", 10),
                    "image_size": image[-1], "channels": image[1],
                    "inputs": {"z": "float32 [batch, z_dim]", "digit": "int32 [batch]"}}
        manifest = {
            "model": sidecar.get("model", onnx_path.stem),
            "source": onnx_path.name,
            "source_sha256": hashlib.sha256(onnx_path.read_bytes()).hexdigest(),
            **kind,
            "output_range": sidecar.get("output_range", [-1, 1]),
            "layout": "NHWC",
            "quantization": "float16 weights",
            "variants": [{"batch": v["batch"], "path": v["path"],
                          "savedmodel_vs_onnx_max_abs_diff": v["max_abs_diff"]} for v in variants],
            "notes": notes,
            "converted_with": versions(),
        }
        (out / "manifest.json").write_text(json.dumps(manifest, indent=2) + "\n")
    except Exception:
        print(f"conversion failed; its log and files are kept in {work}", file=sys.stderr)
        raise
    shutil.rmtree(work, ignore_errors=True)
    return manifest


def versions() -> dict:
    from importlib.metadata import PackageNotFoundError, version

    found = {}
    for name in ("tensorflowjs", "tensorflow", "onnx2tf", "onnxsim", "onnx", "onnxruntime"):
        try:
            found[name] = version(name)
        except PackageNotFoundError:
            pass
    return found


def main(argv=None):
    p = argparse.ArgumentParser(prog="python -m web.convert_tfjs", description=__doc__.split("\n")[0])
    p.add_argument("--onnx", type=cli.existing_file, default=DEFAULT_ONNX,
                   help="the ONNX generator (its .json sidecar is read too)")
    p.add_argument("--out", type=cli.output_dir, default=None,
                   help="output folder (default: <onnx name>_tfjs beside it)")
    p.add_argument("--batch", type=cli.positive_int, nargs="+", default=None,
                   help="convert fixed batch sizes (e.g. 1 64) instead of trying a dynamic batch first")
    args = p.parse_args(argv)
    manifest = convert(args.onnx, args.out, args.batch)
    out = args.out or args.onnx.with_name(args.onnx.stem + "_tfjs")
    size = sum(f.stat().st_size for f in Path(out).rglob("*") if f.is_file())
    batches = ", ".join("dynamic" if v["batch"] is None else str(v["batch"]) for v in manifest["variants"])
    worst = max(v["savedmodel_vs_onnx_max_abs_diff"] for v in manifest["variants"])
    print(f"wrote {out} ({size / 1e6:.2f} MB; batch {batches}); SavedModel vs onnxruntime max |diff| = {worst:.1e}")


if __name__ == "__main__":
    main()
