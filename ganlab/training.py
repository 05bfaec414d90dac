"""Pieces every training loop here shares: the NaN guard, the metrics log, the progress bar."""
import json
from pathlib import Path

import torch
from tqdm import tqdm


class NonFiniteLossError(RuntimeError):
    """A loss became NaN or Inf: training stops before the bad step can touch a checkpoint."""


class NonFiniteGuard:
    """Remembers the first step whose loss was NaN or Inf.

    The check stays on the device (no GPU sync every step); `check()` looks at it, and is called before
    anything is logged or checkpointed, so a bad step never reaches a checkpoint."""

    def __init__(self, device):
        self.first_bad = torch.full((), -1, dtype=torch.long, device=device)

    def observe(self, step: int, *losses: torch.Tensor) -> None:
        finite = torch.isfinite(torch.stack([l.detach().float() for l in losses])).all()
        self.first_bad = torch.where((self.first_bad < 0) & ~finite, step, self.first_bad)

    def check(self, advice: str = "") -> None:
        step = int(self.first_bad)
        if step >= 0:
            raise NonFiniteLossError(f"non-finite loss (NaN or Inf) at step {step}; training stopped. {advice}")


class MetricsLog:
    """Append-only JSON-lines log of training metrics.

    On resume, rows newer than the checkpoint are dropped first: the crashed run may have logged steps
    whose effects the checkpoint never saw, and the resumed run will log them again."""

    def __init__(self, path: Path, resume_step: int | None = None):
        self.path = Path(path)
        self.path.parent.mkdir(parents=True, exist_ok=True)
        if resume_step is None:
            self.path.write_text("")
        else:
            kept = [r for r in self.read(self.path) if r.get("step", 0) <= resume_step]
            self.path.write_text("".join(json.dumps(r) + "\n" for r in kept))
        self._file = open(self.path, "a")

    def write(self, **row) -> None:
        self._file.write(json.dumps(row) + "\n")
        self._file.flush()

    def close(self) -> None:
        self._file.close()

    @staticmethod
    def read(path: Path) -> list[dict]:
        rows = []
        for line in Path(path).read_text().splitlines():
            try:
                rows.append(json.loads(line))
            except json.JSONDecodeError:
                break  # a line cut short by a crash ends the usable log
        return rows


def progress(total: int, initial: int = 0, desc: str = "train", disable: bool = False):
    return tqdm(total=total, initial=initial, desc=desc, dynamic_ncols=True, disable=disable,
                smoothing=0.05, unit="step")
