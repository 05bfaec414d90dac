"""Generator -> ONNX, checked twice: by onnx.checker and by comparing onnxruntime's output with PyTorch's."""
import warnings
from pathlib import Path

import numpy as np
import torch


def export_onnx(model: torch.nn.Module, example_inputs: tuple, path: Path, input_names: list[str],
                output_names: list[str], opset: int = 20) -> Path:
    """Export with the dynamo exporter, batch dimension dynamic, weights inside the one file."""
    import onnx

    path = Path(path)
    path.parent.mkdir(parents=True, exist_ok=True)
    model = model.eval()
    batch = torch.export.Dim("batch", min=1, max=4096)
    dynamic_shapes = tuple({0: batch} for _ in example_inputs)
    with warnings.catch_warnings():  # the exporter notes that all inputs share the one "batch" axis: intended
        warnings.filterwarnings("ignore", message=".*axis name.*will not be used")
        program = torch.onnx.export(model, example_inputs, dynamo=True, opset_version=opset,
                                    input_names=input_names, output_names=output_names,
                                    dynamic_shapes=dynamic_shapes, external_data=False, verbose=False)
    program.optimize()
    tmp = path.with_suffix(".onnx.tmp")
    program.save(str(tmp), external_data=False)
    onnx.checker.check_model(onnx.load(str(tmp)), full_check=True)
    tmp.replace(path)
    return path


PARITY_TOLERANCE = 1e-4  # onnxruntime vs PyTorch, float32: larger gaps mean an operator was exported wrongly


def require_parity(max_diff: float) -> None:
    """Stop an export command whose ONNX file computes something else than the PyTorch model."""
    if max_diff > PARITY_TOLERANCE:
        raise SystemExit(f"error: onnxruntime disagrees with PyTorch by {max_diff:.2e} (more than {PARITY_TOLERANCE})")


def report_export(out: Path, meta: dict) -> None:
    """Print what an export command wrote and stop with an error when its parity check failed."""
    print(f"wrote {out} ({meta['onnx_bytes'] / 1e6:.2f} MB); onnxruntime vs PyTorch max |diff| "
          f"= {meta['parity_max_abs_diff']:.2e}")
    require_parity(meta["parity_max_abs_diff"])


def onnx_parity(model: torch.nn.Module, path: Path, inputs: dict[str, torch.Tensor]) -> float:
    """Largest absolute difference between onnxruntime and PyTorch on the same inputs."""
    import onnxruntime as ort

    session = ort.InferenceSession(str(path), providers=["CPUExecutionProvider"])
    (ort_out,) = session.run(None, {k: v.numpy() for k, v in inputs.items()})
    with torch.no_grad():
        torch_out = model.eval()(*inputs.values()).numpy()
    return float(np.abs(ort_out - torch_out).max())
