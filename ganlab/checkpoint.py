"""Checkpoints that survive a kill -9, and released weights that survive a fresh clone.

A training checkpoint is one dict: models, optimizers, EMA, step, RNG states, config. It is written to a
temporary file, fsync'ed, then renamed over the final name, so a crash leaves either the old file or the new
one, never half of one. Released weights are only the generator's tensors, in safetensors, with a small JSON
config beside them: no optimizer state, no pickles.
"""
import json
import os
import re
import tempfile
from pathlib import Path

import torch

CKPT_PATTERN = re.compile(r"^ckpt_(\d{8})\.pt$")


class CheckpointError(Exception):
    """A checkpoint that is missing, unreadable or belongs to another model."""


def atomic_write(path: Path, write_fn) -> None:
    """Call write_fn(file) on a temp file in the same folder, fsync it, then rename it into place."""
    path = Path(path)
    path.parent.mkdir(parents=True, exist_ok=True)
    fd, tmp = tempfile.mkstemp(dir=path.parent, prefix=f".{path.name}.", suffix=".tmp")
    umask = os.umask(0)
    os.umask(umask)
    try:
        os.chmod(tmp, 0o666 & ~umask)  # mkstemp makes files private; give them the usual permissions
        with os.fdopen(fd, "wb") as f:
            write_fn(f)
            f.flush()
            os.fsync(f.fileno())
        os.replace(tmp, path)
        dir_fd = os.open(path.parent, os.O_RDONLY)
        try:
            os.fsync(dir_fd)  # make the rename itself durable
        finally:
            os.close(dir_fd)
    except BaseException:
        if os.path.exists(tmp):
            os.unlink(tmp)
        raise


def list_checkpoints(run_dir: Path) -> list[Path]:
    run_dir = Path(run_dir)
    if not run_dir.is_dir():
        return []
    found = [p for p in run_dir.iterdir() if CKPT_PATTERN.match(p.name)]
    return sorted(found, key=lambda p: int(CKPT_PATTERN.match(p.name).group(1)))


def latest_checkpoint(run_dir: Path) -> Path | None:
    found = list_checkpoints(run_dir)
    return found[-1] if found else None


def save_checkpoint(run_dir: Path, step: int, state: dict, keep: int = 3) -> Path:
    """Write ckpt_<step>.pt atomically, then delete all but the newest `keep` checkpoints."""
    path = Path(run_dir) / f"ckpt_{step:08d}.pt"
    atomic_write(path, lambda f: torch.save(state, f))
    for old in list_checkpoints(run_dir)[:-keep]:
        old.unlink(missing_ok=True)
    return path


def load_checkpoint(path: Path, project: str, map_location="cpu") -> dict:
    """Load with weights_only=True (no arbitrary code runs) and check it belongs to `project`."""
    path = Path(path)
    if not path.is_file():
        raise CheckpointError(f"checkpoint {path} does not exist")
    try:
        state = torch.load(path, map_location=map_location, weights_only=True)
    except Exception as e:  # truncated file, not a torch file, unsafe pickle...
        raise CheckpointError(f"checkpoint {path} could not be read ({type(e).__name__}: {str(e)[:200]})") from e
    if not isinstance(state, dict) or state.get("project") != project:
        found = state.get("project") if isinstance(state, dict) else type(state).__name__
        raise CheckpointError(f"checkpoint {path} was written by {found!r}, not {project!r}")
    return state


def check_same_model(saved: dict, wanted: dict, path) -> None:
    """Refuse to resume a checkpoint whose model settings differ from the ones asked for."""
    diffs = [f"{k}: checkpoint has {saved.get(k)!r}, you asked for {wanted.get(k)!r}"
             for k in sorted(set(saved) | set(wanted)) if saved.get(k) != wanted.get(k)]
    if diffs:
        raise CheckpointError(f"checkpoint {path} is for another model configuration ({'; '.join(diffs)}); "
                              "pass the same model flags or start a new --out folder")


def checkpoint_to_resume(out: Path, resume: bool) -> Path | None:
    """The checkpoint a run in `out` continues from (None for a fresh run). Refuses --resume without a
    checkpoint, and a fresh run over existing checkpoints (it would mix two runs in one folder)."""
    existing = latest_checkpoint(out)
    if resume and existing is None:
        raise SystemExit(f"error: --resume was given but {out} holds no checkpoint (ckpt_*.pt); drop --resume to start")
    if not resume and existing is not None:
        raise SystemExit(f"error: {out} already holds checkpoints ({existing.name}); pass --resume to continue "
                         "that run, or choose another --out")
    return existing


def rng_state(noise_generator: torch.Generator | None = None) -> dict:
    """The global torch RNGs and, when a loop keeps its own, that generator's state."""
    state = {"torch_cpu": torch.get_rng_state()}
    if noise_generator is not None:
        state["noise"] = noise_generator.get_state()
    if torch.cuda.is_available():
        state["torch_cuda"] = torch.cuda.get_rng_state_all()
    return state


def restore_rng_state(state: dict, noise_generator: torch.Generator | None = None) -> None:
    """RNG states are CPU byte tensors whatever map_location moved them to; a checkpoint from a machine with
    more GPUs restores the states of the GPUs this one has."""
    torch.set_rng_state(state["torch_cpu"].cpu())
    if noise_generator is not None:
        noise_generator.set_state(state["noise"].cpu())
    if "torch_cuda" in state and torch.cuda.is_available():
        for i, s in enumerate(state["torch_cuda"][: torch.cuda.device_count()]):
            torch.cuda.set_rng_state(s.cpu(), i)


# ---- released weights -------------------------------------------------------------------------------------

def save_release(model: torch.nn.Module, config: dict, path: Path, extra: dict | None = None) -> None:
    """Save a model's tensors as safetensors and its constructor config as JSON beside it."""
    from safetensors.torch import save

    path = Path(path)
    tensors = {k: v.detach().cpu().contiguous() for k, v in model.state_dict().items()}
    atomic_write(path, lambda f: f.write(save(tensors)))
    meta = {"config": config, **(extra or {})}
    atomic_write(path.with_suffix(".json"), lambda f: f.write(json.dumps(meta, indent=2).encode()))


def load_release(path: Path, build_model) -> tuple[torch.nn.Module, dict]:
    """Rebuild a model from <name>.json and fill it from <name>.safetensors; errors say which file is wrong."""
    from safetensors.torch import load_file

    path = Path(path)
    meta_path = path.with_suffix(".json")
    for p in (path, meta_path):
        if not p.is_file():
            raise CheckpointError(f"released model file {p} is missing")
    try:
        meta = json.loads(meta_path.read_text())
        model = build_model(**meta["config"])
    except Exception as e:
        raise CheckpointError(f"{meta_path} does not describe a model this code can build ({e})") from e
    try:
        tensors = load_file(path)
    except Exception as e:
        raise CheckpointError(f"{path} is not a readable safetensors file ({e})") from e
    try:
        model.load_state_dict(tensors)
    except RuntimeError as e:
        raise CheckpointError(f"{path} does not fit the model described by {meta_path}: {str(e)[:300]}") from e
    return model, meta
