"""Where the work runs and how reproducible it is."""
import contextlib
import os
import sys

import torch

from ganlab.cli import device_problem


def pick_device(name: str = "auto") -> torch.device:
    """'auto' takes the GPU when there is one; asking for cuda without one is an error, not a silent fallback."""
    from ganlab import distributed
    if distributed.device(name) is not None:  # under torchrun: GPU LOCAL_RANK, or the CPU for gloo
        return distributed.device(name)
    if name == "auto":
        return torch.device("cuda" if torch.cuda.is_available() else "cpu")
    problem = device_problem(name)  # the command lines check this while parsing; library callers get it here
    if problem:
        raise SystemExit(f"error: --device: {problem}")
    return torch.device(name)


def seed_everything(seed: int) -> None:
    torch.manual_seed(seed)  # seeds CPU and every CUDA device


def resolve_precision(name: str, device: torch.device) -> str:
    """--precision: auto is bf16 on a GPU that has it and fp32 elsewhere; bf16 asked for on a GPU without it
    (compute capability below 8.0) is an error, not a silent emulation."""
    if device.type != "cuda":
        return "fp32" if name == "auto" else name
    try:
        has_bf16 = torch.cuda.is_bf16_supported(including_emulation=False)
    except TypeError:  # older PyTorch
        has_bf16 = torch.cuda.is_bf16_supported()
    if name == "auto":
        return "bf16" if has_bf16 else "fp32"
    if name == "bf16" and not has_bf16:
        raise SystemExit(f"error: --precision bf16: {torch.cuda.get_device_name(device)} has no bf16 support "
                         "(it needs compute capability 8.0 or newer); use --precision fp32, or auto")
    return name


def compile_problem(device: torch.device) -> str | None:
    """Why torch.compile cannot work here (None when it can): Inductor needs Triton on a GPU and a C++
    compiler on the CPU."""
    import shutil

    if sys.version_info >= (3, 14) and tuple(int(v) for v in torch.__version__.split(".")[:2]) < (2, 10):
        return f"this PyTorch's torch.compile does not support Python {sys.version_info[0]}.{sys.version_info[1]}"
    if device.type == "cuda":
        try:
            import triton  # noqa: F401
        except ImportError:
            return "Triton is not installed (torch.compile on a GPU generates Triton kernels)"
        if torch.cuda.get_device_capability(device) < (7, 0):
            return f"{torch.cuda.get_device_name(device)} is older than Triton supports (compute capability < 7.0)"
        return None
    compilers = [os.environ.get("CXX", ""), "g++", "c++", "clang++"]
    if not any(c and shutil.which(c) for c in compilers):
        return "no C++ compiler (g++ or clang++) for the CPU backend"
    return None


def compile_module(module, device: torch.device):
    """torch.compile(module), or the module itself with a note when the compiler cannot work here (--compile
    is a speed option: the run goes on in eager mode rather than failing at its first step)."""
    problem = compile_problem(torch.device(device))
    if problem:
        print(f"note: --compile ignored: {problem}; training runs in eager mode", file=sys.stderr)
        return module
    return torch.compile(module)


def autocast(device: torch.device, precision: str):
    """bf16 autocast on the GPU when asked for; a no-op context otherwise.

    bf16 keeps float32's exponent range, so GAN losses need no gradient scaler."""
    if precision == "bf16" and device.type == "cuda":
        return torch.autocast("cuda", dtype=torch.bfloat16)
    if precision not in ("fp32", "bf16"):
        raise SystemExit(f"error: unknown precision {precision!r}; use fp32 or bf16")
    return contextlib.nullcontext()

