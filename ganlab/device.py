"""Where the work runs and how reproducible it is."""
import contextlib

import torch


def pick_device(name: str = "auto") -> torch.device:
    """'auto' takes the GPU when there is one; asking for cuda without one is an error, not a silent fallback."""
    if name == "auto":
        return torch.device("cuda" if torch.cuda.is_available() else "cpu")
    if name.startswith("cuda") and not torch.cuda.is_available():
        raise SystemExit("error: --device cuda was asked for but PyTorch sees no GPU here; use --device cpu or auto")
    if name not in ("cpu",) and not name.startswith("cuda"):
        raise SystemExit(f"error: unknown device {name!r}; use auto, cpu or cuda")
    return torch.device(name)


def seed_everything(seed: int) -> None:
    torch.manual_seed(seed)  # seeds CPU and every CUDA device


def autocast(device: torch.device, precision: str):
    """bf16 autocast on the GPU when asked for; a no-op context otherwise.

    bf16 keeps float32's exponent range, so GAN losses need no gradient scaler."""
    if precision == "bf16" and device.type == "cuda":
        return torch.autocast("cuda", dtype=torch.bfloat16)
    if precision not in ("fp32", "bf16"):
        raise SystemExit(f"error: unknown precision {precision!r}; use fp32 or bf16")
    return contextlib.nullcontext()

