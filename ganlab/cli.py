"""Checking a command's arguments before it does any slow work.

Every command line in this repository declares what each flag must be with these argparse `type=` callables,
so a mistyped path or an out-of-range number ends the command at once, before it loads data or builds a
model, with one line that names the flag and the value, and exit code 2:

    p.add_argument("--weights", type=release_file)       # .safetensors with its .json beside it
    p.add_argument("--data-dir", type=existing_path)     # a file or a folder
    p.add_argument("--steps", type=positive_int)
    p.add_argument("--ema", type=float_in(0, 1, high_open=True))
    p.add_argument("--device", type=device, default="auto")

    python -m mnist_gan.train: error: argument --steps: must be positive, not 0

Only the standard library is imported here (torch only when a device is checked), so the web tools, which
run without PyTorch, use it too.
"""
import argparse
import os
from pathlib import Path

Invalid = argparse.ArgumentTypeError  # argparse prints "argument --flag: <message>" and exits with 2


# ---- paths to read ------------------------------------------------------------------------------------------

def existing_path(text: str) -> Path:
    """A file or a folder that exists (--data-dir takes the dataset file or a folder holding it)."""
    path = Path(text).expanduser()
    if not path.exists():
        raise Invalid(f"{path} does not exist")
    return path


def existing_file(text: str) -> Path:
    path = existing_path(text)
    if not path.is_file():
        raise Invalid(f"{path} is a folder, not a file")
    return path


def existing_dir(text: str) -> Path:
    path = existing_path(text)
    if not path.is_dir():
        raise Invalid(f"{path} is a file, not a folder")
    return path


def release_file(text: str) -> Path:
    """Released weights: <name>.safetensors with its config, <name>.json, beside it."""
    path = existing_file(text)
    if path.suffix == ".json":
        raise Invalid(f"{path} is a release's description; pass its weights, {path.with_suffix('.safetensors')}")
    if not path.with_suffix(".json").is_file():
        raise Invalid(f"{path} has no {path.with_suffix('.json').name} beside it "
                      "(a release is <name>.safetensors plus <name>.json)")
    return path


def weights_file(text: str) -> Path:
    """Released weights (see release_file) or a training checkpoint, ckpt_*.pt."""
    return existing_file(text) if Path(text).suffix == ".pt" else release_file(text)


# ---- paths to write -----------------------------------------------------------------------------------------

def output_file(text: str) -> Path:
    """A file to write: not a folder, and in a folder that exists or can be made."""
    path = Path(text).expanduser()
    if path.is_dir():
        raise Invalid(f"{path} is a folder; name a file")
    _check_can_make(path.parent)
    return path


def output_dir(text: str) -> Path:
    """A folder to write into: one that exists, or one that can be made."""
    path = Path(text).expanduser()
    _check_can_make(path)
    return path


def _check_can_make(folder: Path) -> None:
    """The nearest existing folder at or above `folder` is a folder this process may write in, so the command
    will not fail at the end of its work, when it saves."""
    nearest = folder
    while not nearest.exists() and nearest != nearest.parent:
        nearest = nearest.parent
    if not nearest.is_dir():
        raise Invalid(f"{nearest} is a file, not a folder")
    if not os.access(nearest, os.W_OK | os.X_OK):
        raise Invalid(f"{nearest} is not writable")


# ---- numbers ------------------------------------------------------------------------------------------------

def _bounds(low, high, low_open: bool, high_open: bool, whole: bool) -> str:
    """How a range reads in an error message: "positive", "at least 20", "in [0, 1)"."""
    if high is None:
        if (whole and low == 1) or (low == 0 and low_open):
            return "positive"
        return f"{'more than' if low_open else 'at least'} {low}"
    if low is None:
        return f"{'below' if high_open else 'at most'} {high}"
    return f"in {'(' if low_open else '['}{low}, {high}{')' if high_open else ']'}"


def _number_in(convert, what: str, low, high, low_open: bool, high_open: bool):
    def parse(text: str):
        try:
            value = convert(text)
        except ValueError:
            raise Invalid(f"{text!r} is not {what}") from None
        # written as "not inside" so that NaN, for which every comparison is False, is refused too
        too_low = low is not None and not (value > low if low_open else value >= low)
        too_high = high is not None and not (value < high if high_open else value <= high)
        if too_low or too_high:
            raise Invalid(f"must be {_bounds(low, high, low_open, high_open, convert is int)}, not {text}")
        return value
    return parse


def int_in(low: int | None = None, high: int | None = None):
    """A whole number from low to high, both included (None: no bound)."""
    return _number_in(int, "a whole number", low, high, False, False)


def float_in(low: float | None = None, high: float | None = None, *, low_open=False, high_open=False):
    """A number from low to high; an open end is left out of the range (None: no bound)."""
    return _number_in(float, "a number", low, high, low_open, high_open)


positive_int = int_in(1)
non_negative_int = int_in(0)
positive_float = float_in(0, low_open=True)
non_negative_float = float_in(0)


# ---- the device ---------------------------------------------------------------------------------------------

def device_problem(name: str) -> str | None:
    """Why `name` is not a device this machine has (None when it is): auto, cpu, cuda or cuda:N."""
    if name in ("auto", "cpu"):
        return None
    kind, colon, index = name.partition(":")
    if kind != "cuda" or (colon and not index.isdigit()):
        return f"unknown device {name!r}; use auto, cpu or cuda"
    import torch  # here, not at the top: the web tools check their flags without PyTorch

    if not torch.cuda.is_available():
        return f"{name} was asked for but PyTorch sees no GPU here; use cpu or auto"
    if colon and int(index) >= torch.cuda.device_count():
        return f"{name} was asked for but PyTorch sees {torch.cuda.device_count()} GPU(s), numbered from 0"
    return None


def device(text: str) -> str:
    """--device: the name, once it is known to be a device here (ganlab.device.pick_device turns it into one)."""
    problem = device_problem(text)
    if problem:
        raise Invalid(problem)
    return text


# ---- after parsing ------------------------------------------------------------------------------------------

def check(parser: argparse.ArgumentParser, flag: str, kind, value):
    """Check a value with one of the types above after parsing, for a flag whose kind depends on another flag;
    a failure ends the command just as a `type=` failure does."""
    try:
        return kind(str(value))
    except Invalid as e:
        parser.error(f"argument {flag}: {e}")
