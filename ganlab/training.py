"""Pieces every training loop here shares: opening a run, the NaN guard, the metrics log, the progress bar,
the generator's weight average and the loop itself."""
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


class NullLog:
    """The metrics log of ranks other than 0: they train, rank 0 writes."""

    def write(self, **row) -> None:
        pass

    def close(self) -> None:
        pass


def start_run(args, project: str, make_trainer):
    """Open a run in args.out: refuse to mix runs (ganlab.checkpoint.checkpoint_to_resume), join the process
    group under torchrun (ganlab.distributed.setup), build the trainer, restore it from the newest checkpoint
    with --resume, write config.json and open the metrics log (rank 0 only: other ranks get a NullLog).

    The trainer needs .load_state(state, path), .state() (with its "config") and .step."""
    from ganlab import checkpoint as ckpt
    from ganlab import distributed

    out = Path(args.out)
    existing = ckpt.checkpoint_to_resume(out, args.resume)
    distributed.setup(args)
    trainer = make_trainer(args)
    if args.resume:
        state = ckpt.load_checkpoint(existing, project, map_location=trainer.device)
        trainer.load_state(state, existing)
        distributed.note_resume(state.get("config", {}), args)
        if distributed.is_main():
            print(f"resumed from {existing} at step {trainer.step}")
    if not distributed.is_main():
        return trainer, NullLog()
    out.mkdir(parents=True, exist_ok=True)
    (out / "config.json").write_text(json.dumps(trainer.state()["config"], indent=2))
    return trainer, MetricsLog(out / "metrics.jsonl", resume_step=trainer.step if args.resume else None)


def release_sampler(trainer, config: dict, path: Path, extra: dict) -> None:
    """Save the trainer's sampler (the EMA generator when there is one) as released weights: on the CPU,
    contiguous, in eval mode."""
    from ganlab import checkpoint as ckpt

    generator = trainer.sampler.cpu().to(memory_format=torch.contiguous_format).eval()
    ckpt.save_release(generator, config, path, extra=extra)


def run_cli(train_fn, args) -> None:
    """Run a training command; data and checkpoint problems end it with their message, not a traceback."""
    from ganlab import checkpoint as ckpt
    from ganlab import distributed
    from ganlab.data import DataError

    try:
        train_fn(args)
        distributed.finish()
    except (DataError, ckpt.CheckpointError) as e:
        raise SystemExit(f"error: {e}")
    finally:
        distributed.shutdown()


def ema_update(decay: float):
    """Exponential moving average of the generator's weights, with a warm-up so early averages aren't stuck
    near the random init: the effective decay grows from 0.1 towards `decay` over the first steps."""

    @torch.no_grad()
    def update(ema_tensors, tensors, num_averaged):
        d = min(decay, (1 + float(num_averaged)) / (10 + float(num_averaged)))
        for e, t in zip(ema_tensors, tensors):
            if e.is_floating_point():
                e.lerp_(t, 1 - d)
            else:
                e.copy_(t)  # BatchNorm's integer step counter
    return update



def run_loop(trainer, args, out: Path, log: MetricsLog, desc: str, evaluate=None, postfix=None) -> bool:
    """The training loop the GAN trainers share: step, average, log, evaluate, sample, checkpoint; then the
    final checkpoint and samples. Returns True on the process that finishes the run (rank 0 under torchrun,
    which alone evaluates and writes; ganlab.distributed), False on the others.

    `trainer` has .step, .train_seconds, .device, .steps_per_epoch, .train_step() -> {name: 0-d tensor}
    (keys starting with "loss" are watched for NaN/Inf), .state() (the checkpoint dict), .save_samples(out)
    and optionally .clock (default: wall time). `args` has steps, minutes, batch_size, log_every,
    eval_every, sample_every, ckpt_every, keep, quiet and debug_nan_at_step. `evaluate()`, called every
    args.eval_every steps, returns (figures for the log, a line for the console). `postfix(means)` gives
    the progress bar's figures.

    Ctrl-C or SIGTERM finishes the current step and writes the final checkpoint. Under torchrun the ranks
    agree every step on stopping (a signal or --minutes on any rank stops all at the same step), and the
    logged figures are means over all ranks, i.e. over the global batch.
    A NaN/Inf loss raises SystemExit before the bad step reaches a log row or a checkpoint."""
    import os
    import signal
    import time

    from ganlab import checkpoint as ckpt
    from ganlab import distributed

    stop = {"now": False}
    def request_stop(signum, frame):
        stop["now"] = True
    old_handlers = {s: signal.signal(s, request_stop) for s in (signal.SIGINT, signal.SIGTERM)}

    clock = getattr(trainer, "clock", time.perf_counter)
    main = distributed.is_main()
    bar = progress(args.steps, trainer.step, desc=desc, disable=args.quiet or not main)
    kill_at = os.environ.get("GANLAB_DEBUG_KILL_AT", "")  # "rank:step", for the tests: SIGKILL after that step
    window, window_start, window_steps = {}, time.perf_counter(), 0
    nan_guard = NonFiniteGuard(trainer.device)
    advice = lambda: (f"The last good checkpoint is kept ({ckpt.latest_checkpoint(out) or 'none written yet'}); "
                      "lower the learning rate or check the data, then rerun with --resume")
    at = lambda every: every and trainer.step % every == 0
    try:
        while True:
            out_of_time = args.minutes is not None and trainer.train_seconds >= 60 * args.minutes
            if distributed.agree(trainer.step >= args.steps or stop["now"] or out_of_time):
                break
            t0 = clock()
            stats = distributed.average(trainer.train_step())
            losses = [k for k in stats if k.startswith("loss")]
            if args.debug_nan_at_step is not None and trainer.step + 1 == args.debug_nan_at_step:
                stats[losses[0]] = stats[losses[0]] * float("nan")
            nan_guard.observe(trainer.step + 1, *(stats[k] for k in losses))
            for k, v in stats.items():  # sums and counts per key: some figures exist only on some steps
                total, count = window.get(k, (0.0, 0))
                window[k] = (total + v, count + 1)
            trainer.step += 1
            window_steps += 1
            if kill_at == f"{distributed.rank()}:{trainer.step}":
                os.kill(os.getpid(), signal.SIGKILL)
            if trainer.device.type == "cuda" and trainer.step % args.log_every == 0:
                torch.cuda.synchronize()
            trainer.train_seconds += clock() - t0
            bar.update(1)

            if at(args.log_every) or at(args.ckpt_every) or trainer.step == args.steps:
                nan_guard.check(advice())
                means = {k: float(total) / count for k, (total, count) in window.items()}
                row = {"step": trainer.step, "epoch": round(trainer.step / trainer.steps_per_epoch, 4),
                       **{k: round(v, 6) if k.startswith("d_") else v for k, v in means.items()},
                       "img_per_s": round(window_steps * args.batch_size / (time.perf_counter() - window_start), 1),
                       "train_seconds": round(trainer.train_seconds, 2)}
                log.write(**row)
                if postfix is not None:
                    bar.set_postfix(**postfix(means), img_s=f"{row['img_per_s']:.0f}")
                window, window_start, window_steps = {}, time.perf_counter(), 0
            if evaluate is not None and main and at(args.eval_every):
                figures, message = evaluate()
                log.write(step=trainer.step, train_seconds=round(trainer.train_seconds, 2), **figures)
                bar.write(f"step {trainer.step}: {message} after {trainer.train_seconds / 60:.1f} min")
                window_start = time.perf_counter()  # evaluation time is not training time
            if main and at(args.sample_every):
                trainer.save_samples(out)
                window_start = time.perf_counter()
            if at(args.ckpt_every):
                distributed.check_in_sync(trainer.sampler, "the generator (its weight average when EMA is on)")
                if main:
                    ckpt.save_checkpoint(out, trainer.step, trainer.state(), keep=args.keep)
                window_start = time.perf_counter()
        nan_guard.check(advice())  # a stop between log steps must not save a bad step either
    except NonFiniteLossError as e:
        bar.close()
        log.close()
        raise SystemExit(f"error: {e}")
    finally:
        for s, h in old_handlers.items():
            signal.signal(s, h)
    bar.close()
    if main:  # the final checkpoint and pictures
        ckpt.save_checkpoint(out, trainer.step, trainer.state(), keep=args.keep)
        trainer.save_samples(out)
    return main


def images_per_second(step_fn, warmup: int, seconds: float, images_per_step: int, device) -> float:
    """Throughput of a training step: `warmup` untimed calls, then as many as fit in `seconds`.

    On CUDA the clock is read only after the queued GPU work has finished."""
    import time

    sync = torch.cuda.synchronize if torch.device(device).type == "cuda" else (lambda: None)
    for _ in range(warmup):
        step_fn()
    sync()
    n, start = 0, time.perf_counter()
    while time.perf_counter() - start < seconds:
        step_fn()
        n += 1
    sync()
    return n * images_per_step / (time.perf_counter() - start)
