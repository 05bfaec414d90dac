"""Data-parallel training over several processes, with PyTorch's own engine (torch.distributed + DDP).

    torchrun --standalone --nproc_per_node 4 -m cifar10_gan.train --arch sngan     # 4 GPUs, one machine
    torchrun --nnodes 2 --nproc_per_node 8 --rdzv-backend c10d --rdzv-endpoint HOST:29500 \\
             --rdzv-id cifar -m cifar10_gan.train --arch sngan                      # 2 machines x 8 GPUs

Every trainer opens its run with ganlab.training.start_run, which calls `setup` here: without torchrun's
WORLD_SIZE (or with WORLD_SIZE=1) nothing changes and every helper below is the identity. Under torchrun:

* NCCL between GPUs (process i takes GPU LOCAL_RANK), gloo on CPUs. A collective that waits longer than
  GANLAB_DIST_TIMEOUT seconds (default 600) fails instead of hanging; torchrun then stops the other ranks.
* --batch-size is the *global* batch: each of the N ranks trains on batch/N rows of it, so the learning rate
  and the recipe do not change with N (config.json records world_size and batch_per_rank beside them).
* Every rank makes the *same* random draws as a single process would for the whole global batch (data order,
  noise, labels, augmentation) from the same seeded generators, and keeps its own rows (`draw`, `rows`). So
  N ranks compute what one process computes, up to float summation order; and a checkpoint (written by rank
  0, whose generators equal everyone's) resumes with any number of ranks that divides the batch.
* `wrap` puts a model in DistributedDataParallel (gradients averaged over ranks) with its BatchNorm layers
  made synchronised: batch statistics over the global batch, as one process has them. The EMA generator is
  updated from identical weights on every rank, so it stays identical; `check_in_sync` verifies it at each
  checkpoint.
* Only rank 0 writes: config, metrics, samples, checkpoints, releases (start_run and run_loop see to it).
  Caches of decoded data are written atomically by whichever rank gets there first.
"""
import datetime
import gc
import os
import sys

import torch
import torch.distributed as dist
import torch.nn as nn


class _Context:
    rank, world_size, local_rank, batch = 0, 1, 0, None
    backend, control = None, None  # control: a gloo group for small CPU-side agreements (stop, checks)


_ctx = _Context()


def rank() -> int:
    return _ctx.rank


def world_size() -> int:
    return _ctx.world_size


def is_main() -> bool:
    return _ctx.rank == 0


def active() -> bool:
    return _ctx.world_size > 1


def launched_world_size() -> int:
    """How many processes torchrun started (1 without torchrun)."""
    return int(os.environ.get("WORLD_SIZE", "1"))


def setup(args) -> None:
    """Join the process group torchrun set up, before the trainer is built. Refuses, with a message, a
    global batch the ranks cannot share equally and more processes per machine than it has GPUs."""
    n = launched_world_size()
    if args.batch_size % n:
        raise SystemExit(f"error: --batch-size {args.batch_size} is the global batch and must split evenly over "
                         f"the {n} processes torchrun started; use a multiple of {n}")
    args.world_size, args.batch_per_rank = n, args.batch_size // n
    _ctx.batch = args.batch_size
    if n == 1:
        return
    if dist.is_initialized():  # a second run in the same processes (notebooks, tests): same group
        _ctx.rank, _ctx.world_size = dist.get_rank(), dist.get_world_size()
        return
    local_rank = int(os.environ.get("LOCAL_RANK", "0"))
    local_world = int(os.environ.get("LOCAL_WORLD_SIZE", n))
    name = str(getattr(args, "device", "auto"))
    if name.startswith("cuda:"):
        raise SystemExit(f"error: --device {name}: under torchrun each process takes GPU LOCAL_RANK; "
                         "use --device cuda (or auto)")
    use_cuda = name == "cuda" or (name == "auto" and torch.cuda.is_available())
    if use_cuda:
        gpus = torch.cuda.device_count()
        if local_world > gpus:
            raise SystemExit(f"error: torchrun started {local_world} processes on this machine but it has "
                             f"{gpus} GPU(s); use --nproc_per_node {gpus} or fewer, or --device cpu to "
                             "train on the CPU (gloo)")
        torch.cuda.set_device(local_rank)
    elif local_world > (os.cpu_count() or 1):
        print(f"note: {local_world} CPU processes on {os.cpu_count()} cores: they will share cores",
              file=sys.stderr)
    timeout = datetime.timedelta(seconds=float(os.environ.get("GANLAB_DIST_TIMEOUT", "600")))
    backend = "nccl" if use_cuda else "gloo"
    dist.init_process_group(backend, timeout=timeout,
                            device_id=torch.device("cuda", local_rank) if use_cuda else None)
    _ctx.rank, _ctx.world_size, _ctx.local_rank, _ctx.backend = dist.get_rank(), n, local_rank, backend
    _ctx.control = dist.new_group(backend="gloo", timeout=timeout) if backend == "nccl" else None


def device(name: str) -> torch.device | None:
    """The device of this rank when torchrun runs it on GPUs (None: decide as a single process would)."""
    if active() and _ctx.backend == "nccl":
        return torch.device("cuda", _ctx.local_rank)
    if active() and _ctx.backend == "gloo" and name == "auto":
        return torch.device("cpu")
    return None


def finish() -> None:
    """After a run ends normally: wait until every rank is done (rank 0 still evaluates and releases while
    the others have nothing left to do), so that no process leaves while a peer is still connected."""
    if dist.is_initialized():
        dist.barrier(group=_ctx.control)


def shutdown() -> None:
    """Leave the process group. The trainer's DDP wrappers hold it from C++ and may sit in reference cycles:
    collect them first, while the interpreter is whole. Left to the interpreter's exit, gloo's worker threads
    can outlive it and abort the process ("terminate called without an active exception", seen once in CI
    on a rank that had finished its work)."""
    if dist.is_initialized():
        gc.collect()
        dist.destroy_process_group()
    _ctx.rank, _ctx.world_size, _ctx.backend, _ctx.control = 0, 1, None, None


def note_resume(saved_config: dict, args) -> None:
    """A checkpoint from another world size resumes as the same run: say so (batch and draws are global)."""
    saved = saved_config.get("world_size", 1)
    if saved != args.world_size and is_main():
        print(f"note: the checkpoint was written by {saved} process(es), this run has {args.world_size}; the "
              f"global batch ({args.batch_size}) and the random draws do not depend on that, so training "
              "continues the same run", file=sys.stderr)


# ---- the same draws on every rank ---------------------------------------------------------------------

def rows(t: torch.Tensor | None, dim: int = 0):
    """This rank's rows of a tensor every rank holds whole: along `dim`, k global batches one after the other
    (real then fake, say) -> this rank's slice of each, in the same order as its local batch."""
    if t is None or _ctx.world_size == 1:
        return t
    n, w = t.shape[dim], _ctx.world_size
    k = n // _ctx.batch if _ctx.batch and n % _ctx.batch == 0 else 1
    if (n // k) % w:
        raise ValueError(f"{n} rows do not split over {w} ranks")
    t = t.movedim(dim, 0)
    t = t.reshape(k, w, n // k // w, *t.shape[1:])[:, _ctx.rank].reshape(-1, *t.shape[1:])
    return t.movedim(0, dim)


def draw(fn, n: int, dim: int = 0):
    """`fn(m)` draws m rows from a generator that is the same on every rank; returns this rank's n of the
    n x world_size rows that one process training on the whole global batch would draw."""
    return fn(n) if _ctx.world_size == 1 else rows(fn(n * _ctx.world_size), dim)


def local(n: int) -> int:
    """This rank's share of a global count."""
    return n // _ctx.world_size


# ---- collectives for the loop -------------------------------------------------------------------------

def average(stats: dict) -> dict:
    """The mean over ranks of each figure (losses are means over the local batch: this is the global mean)."""
    if _ctx.world_size == 1:
        return stats
    keys = sorted(stats)
    dev = next((v.device for v in stats.values() if torch.is_tensor(v)), torch.device("cpu"))
    values = torch.stack([torch.as_tensor(stats[k], dtype=torch.float32, device=dev).reshape(()) for k in keys])
    dist.all_reduce(values)
    return dict(zip(keys, (values / _ctx.world_size).unbind()))


def mean(t: torch.Tensor) -> torch.Tensor:
    if _ctx.world_size == 1:
        return t
    t = t.detach().float().clone()
    dist.all_reduce(t)
    return t / _ctx.world_size


def agree(flag: bool) -> bool:
    """True on every rank when it is true on any (stop requests, time budgets): ranks leave the loop together."""
    if _ctx.world_size == 1:
        return flag
    t = torch.tensor([float(flag)])
    dist.all_reduce(t, op=dist.ReduceOp.MAX, group=_ctx.control)
    return bool(t.item())


def check_in_sync(module: nn.Module, what: str) -> None:
    """Raise if `module`'s tensors differ between ranks (compares a sum and a weighted sum of each)."""
    if _ctx.world_size == 1:
        return
    sums = []
    for t in module.state_dict().values():
        if t.is_floating_point():
            t = t.detach().double().flatten()
            sums += [t.sum(), (t * torch.arange(1, t.numel() + 1, device=t.device, dtype=t.dtype)).sum()]
    mine = torch.stack(sums).cpu()
    everyone = [torch.empty_like(mine) for _ in range(_ctx.world_size)]
    dist.all_gather(everyone, mine, group=_ctx.control)
    bad = [r for r, s in enumerate(everyone) if not torch.equal(s, everyone[0])]
    if bad:
        raise RuntimeError(f"{what} differs between rank 0 and rank(s) {bad}: the ranks are no longer in step")


# ---- models -------------------------------------------------------------------------------------------

class _AllReduceSum(torch.autograd.Function):
    """A sum over ranks that gradients flow through: every rank's input feeds every rank's output."""

    @staticmethod
    def forward(ctx, t):
        t = t.clone()
        dist.all_reduce(t)
        return t

    @staticmethod
    def backward(ctx, grad):
        grad = grad.clone()
        dist.all_reduce(grad)
        return grad


class CPUSyncBatchNorm(nn.modules.batchnorm._BatchNorm):
    """BatchNorm over the global batch for CPU ranks (torch.nn.SyncBatchNorm runs on GPUs only): the mean and
    the variance are all-reduced (two passes, as one process computes them), through autograd."""

    def _check_input_dim(self, x):
        if x.dim() < 2:
            raise ValueError(f"expected at least 2-D input, got {x.dim()}-D")

    def forward(self, x):
        if not (self.training and dist.is_initialized() and _ctx.world_size > 1):
            return super().forward(x)
        dims = [d for d in range(x.dim()) if d != 1]
        shape = [1, -1] + [1] * (x.dim() - 2)
        count = torch.tensor([x.numel() / x.shape[1]], dtype=x.dtype) * _ctx.world_size
        mean = _AllReduceSum.apply(x.sum(dims)) / count
        var = _AllReduceSum.apply(((x - mean.view(shape)) ** 2).sum(dims)) / count
        if self.track_running_stats:
            with torch.no_grad():
                self.num_batches_tracked.add_(1)
                m = self.momentum if self.momentum is not None else 1 / float(self.num_batches_tracked)
                self.running_mean.lerp_(mean.detach(), m)
                self.running_var.lerp_(var.detach() * count / (count - 1), m)
        y = (x - mean.view(shape)) * torch.rsqrt(var.view(shape) + self.eps)
        if self.affine:
            y = y * self.weight.view(shape) + self.bias.view(shape)
        return y


def sync_batchnorm(module: nn.Module, cpu: bool) -> nn.Module:
    """Swap every BatchNorm below `module` for a synchronised one sharing its parameters and buffers (state
    dict keys unchanged, so checkpoints and releases do not care)."""
    for name, child in module.named_children():
        if isinstance(child, nn.modules.batchnorm._BatchNorm) and not isinstance(
                child, (nn.SyncBatchNorm, CPUSyncBatchNorm)):
            cls = CPUSyncBatchNorm if cpu else nn.SyncBatchNorm
            new = cls(child.num_features, child.eps, child.momentum, child.affine, child.track_running_stats)
            if child.affine:
                new.weight, new.bias = child.weight, child.bias
            if child.track_running_stats:
                new.running_mean, new.running_var = child.running_mean, child.running_var
                new.num_batches_tracked = child.num_batches_tracked
            new.train(child.training)
            setattr(module, name, new)
        else:
            sync_batchnorm(child, cpu)
    return module


def wrap(module: nn.Module, compile: bool = False):
    """What a trainer's training forwards run through: the module itself, in DDP under torchrun (BatchNorm
    synchronised), compiled when asked and possible. The module keeps its parameters: optimisers, the EMA and
    checkpoints use it directly."""
    from ganlab.device import compile_module
    fwd = module
    if active():
        dev = next(module.parameters()).device
        sync_batchnorm(module, cpu=dev.type != "cuda")
        fwd = nn.parallel.DistributedDataParallel(module, device_ids=[dev.index] if dev.type == "cuda" else None)
    return compile_module(fwd, next(module.parameters()).device) if compile else fwd
