"""The notebooks' one switch between their three modes.

    smoke  a few steps on a little data: what the tests (nbmake) and CI run; GANLAB_SMOKE=1 still selects it
    cpu    the default: a few minutes of training on a CPU, only to show the loops at work
    gpu    the project's real recipe on one CUDA GPU (bf16, channels-last, torch.compile), at most 30 minutes

Set MODE at the top of a notebook, or GANLAB_MODE=smoke|cpu|gpu in the environment that starts Jupyter.
"""
import os

MODES = ("smoke", "cpu", "gpu")


def notebook_mode(choice: str | None = None) -> str:
    """`choice` (the notebook's MODE) if given, else GANLAB_MODE, else smoke when GANLAB_SMOKE=1, else cpu."""
    mode = choice or os.environ.get("GANLAB_MODE") or ("smoke" if os.environ.get("GANLAB_SMOKE") == "1" else "cpu")
    if mode not in MODES:
        raise ValueError(f"notebook mode {mode!r}: use one of {', '.join(MODES)}")
    if mode == "gpu":
        import torch
        if not torch.cuda.is_available():
            raise RuntimeError("the gpu mode needs a CUDA GPU and PyTorch sees none here; use MODE = 'cpu'")
    return mode
