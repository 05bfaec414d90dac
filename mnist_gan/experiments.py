"""The owner's training ideas, measured on MNIST (issue: balancing schedules, D pre-training, the BatchNorm
trap, holding one network fixed, "aim for 50 % certainty", VAE vs GAN).

    python -m mnist_gan.experiments schedules          # one experiment: prints its table, saves its plots
    python -m mnist_gan.experiments all --jobs 2        # every experiment, two single-threaded runs at a time
    python -m mnist_gan.experiments --list

Every run is an ordinary `mnist_gan.train` (or `mnist_gan.vae`) run with some flags, trained for the same
budget of CPU time on one thread (--clock cpu): on an idle machine that is the same as equal wall-clock
time, and it stays fair when the machine is shared. Runs land in runs/experiments/<flags>_seed<k>/ and are
reused by every experiment that needs the same flags and seed; an interrupted run resumes from its last
checkpoint. Results: notes/experiments/results/<name>.json and plots in notes/images/experiments/.
The notes pages in notes/experiments/ explain them.
"""
import argparse
import json
import math
import os
import statistics
import time
from concurrent.futures import ProcessPoolExecutor
from multiprocessing import get_context
from pathlib import Path

import torch
import torch.nn.functional as F

from ganlab import checkpoint as ckpt
from ganlab import cli
from ganlab.data import REPO_ROOT
from ganlab.plotting import save_grid
from ganlab.training import MetricsLog

NOTES = REPO_ROOT / "notes"
RESULTS = NOTES / "experiments" / "results"
IMAGES = NOTES / "images" / "experiments"

STANDARD = ()
SCHEDULES = {"standard (both step)": STANDARD,
             "loser only": ("--schedule", "loser"),
             "streak K=5, M=3": ("--schedule", "streak", "--streak-k", "5", "--streak-m", "3"),
             "2 D steps per G step": ("--d-steps", "2"),
             "TTUR (lr D 4e-4, G 1e-4)": ("--lr-d", "4e-4", "--lr-g", "1e-4")}
PRETRAIN = {f"{n} D steps first": (("--d-pretrain", str(n)) if n else STANDARD) for n in (0, 100, 500, 1500)}
BN_TRAP = {"no norm in D (default)": STANDARD,
           "spectral norm in D": ("--d-norm", "spectral"),
           "BN, separate passes, train() in G step": ("--d-norm", "batch", "--d-batches", "separate"),
           "BN, separate passes, eval() in G step": ("--d-norm", "batch", "--d-batches", "separate", "--d-eval-in-g-step")}
# (the joint-pass loop with BatchNorm, both modes, is in notes/04_failures.md: python -m mnist_gan.failures bn_trap)
CERTAINTY = {"standard": STANDARD,
             "one-sided label smoothing 0.9": ("--real-label", "0.9"),
             "instance noise 0.2 -> 0": ("--instance-noise", "0.2"),
             "loser only": SCHEDULES["loser only"],
             "streak K=5, M=3": SCHEDULES["streak K=5, M=3"]}
VAE = ("vae",)  # a marker: run mnist_gan.vae instead of mnist_gan.train


# ---- running ----------------------------------------------------------------------------------------------

def run_dir(root: Path, flags: tuple, seed: int) -> Path:
    name = "_".join(f.lstrip("-").replace(".", "p") for f in flags) or "standard"
    return root / f"{name}_seed{seed}"


def run_one(flags: tuple, seed: int, minutes: float, out: Path, extra: tuple, final_samples: int = 10_000) -> dict:
    """Train one run to its budget (resuming if it was cut short), then score `final_samples` generated digits
    against as many real test digits (10,000: the whole test set)."""
    torch.set_num_threads(1)
    done = out / "final.json"
    if done.exists():
        return json.loads(done.read_text())
    resume = ("--resume",) if ckpt.latest_checkpoint(out) else ()
    common = ("--out", str(out), "--seed", str(seed), "--minutes", str(minutes), "--steps", "1000000",
              "--clock", "cpu", "--quiet", "--log-every", "10", "--ckpt-every", "500", *resume, *extra)
    if flags == VAE:
        from mnist_gan import vae
        summary = vae.train(vae.parse_args(list(common)))
    else:
        from mnist_gan import train
        summary = train.train(train.parse_args([*flags, *common, "--sample-every", "100000"]))
    if summary["train_seconds"] < 60 * minutes - 1:  # stopped early (Ctrl-C, SIGTERM): score it next time
        raise RuntimeError(f"{out} stopped after {summary['train_seconds']:.0f} of {60 * minutes:.0f} CPU-seconds; "
                           "run the experiment again to resume it")
    from mnist_gan.classifier import load_classifier
    from mnist_gan.evaluate import evaluate, real_features
    from mnist_gan.generate import load_generator
    classifier = load_classifier()
    feats, labels, _ = real_features(classifier, limit=final_samples)
    scores = evaluate(load_generator(out / "generator.safetensors"), classifier, feats, labels, n=final_samples)
    result = {"flags": list(flags), "seed": seed, "steps": summary["step"], "train_seconds": summary["train_seconds"],
              "fd": scores["frechet_distance"], "cond_acc": scores["cond_acc"], "final_samples": final_samples}
    done.write_text(json.dumps(result, indent=2))
    return result


def run_all(jobs: list[tuple], args) -> None:
    """Run (flags, seed) jobs, `args.jobs` at a time in separate single-threaded processes."""
    todo = [(f, s) for f, s in dict.fromkeys(jobs) if not (run_dir(args.runs, f, s) / "final.json").exists()]
    if not todo:
        return
    print(f"training {len(todo)} runs of {args.minutes} CPU-minutes, {args.jobs} at a time "
          f"(about {math.ceil(len(todo) / args.jobs) * args.minutes * 1.15:.0f} minutes)")
    extra = ("--eval-every", str(args.eval_every), "--eval-samples", str(args.eval_samples))
    with ProcessPoolExecutor(args.jobs, mp_context=get_context("spawn")) as pool:
        futures = {pool.submit(run_one, f, s, args.minutes, run_dir(args.runs, f, s), extra, args.final_samples): (f, s)
                   for f, s in todo}
        for fut in futures:
            r = fut.result()
            print(f"  done {' '.join(futures[fut][0]) or 'standard'} seed {r['seed']}: {r['steps']} steps, "
                  f"FD {r['fd']:.1f}, conditional accuracy {100 * r['cond_acc']:.1f}%")


def load_run(args, flags, seed) -> dict:
    out = run_dir(args.runs, flags, seed)
    rows = MetricsLog.read(out / "metrics.jsonl")
    return {**json.loads((out / "final.json").read_text()), "dir": str(out),
            "train_rows": [r for r in rows if "loss_d" in r or "loss" in r],
            "eval_rows": [r for r in rows if "fd" in r]}


def spread(values) -> dict:
    return {"mean": statistics.fmean(values), "std": statistics.stdev(values) if len(values) > 1 else 0.0,
            "min": min(values), "max": max(values)}


def summarise(args, variants: dict) -> dict:
    """Per variant: the mean and spread over seeds of the final scores and of the logged traces."""
    table = {}
    for name, flags in variants.items():
        runs = [load_run(args, flags, s) for s in args.seeds]
        row = {"flags": list(flags), "steps": spread([r["steps"] for r in runs]),
               "fd": spread([r["fd"] for r in runs]), "cond_acc": spread([r["cond_acc"] for r in runs]),
               "per_seed": [{k: r[k] for k in ("seed", "steps", "fd", "cond_acc")} for r in runs]}
        rows = [t for r in runs for t in r["train_rows"]]
        if flags != VAE and rows:
            row["d_updates_per_step"] = statistics.fmean(t["d_updates"] for t in rows)
            row["g_updates_per_step"] = statistics.fmean(t["g_updates"] for t in rows)
            row["d_real"] = statistics.fmean(t["d_real"] for t in rows)
            row["d_fake"] = statistics.fmean(t["d_fake"] for t in rows)
            # the owner's target: D unsure about the fakes, D(G(z)) within 0.4..0.6
            row["share_d_fake_near_half"] = statistics.fmean(abs(t["d_fake"] - 0.5) < 0.1 for t in rows)
            row["seconds_per_step"] = statistics.fmean(r["train_seconds"] / r["steps"] for r in runs)
        table[name] = row
        row["runs"] = runs
    return table


def print_table(table: dict, extra: tuple = ()) -> None:
    head = f"{'variant':44s} {'steps':>6s} {'FD':>16s} {'cond. acc.':>16s}"
    print(head + "".join(f" {e:>10s}" for e in extra))
    for name, r in table.items():
        fd, acc = r["fd"], r["cond_acc"]
        line = (f"{name:44s} {r['steps']['mean']:6.0f} {fd['mean']:8.1f} ± {fd['std']:5.1f} "
                f"{100 * acc['mean']:7.1f} ± {100 * acc['std']:4.1f}%")
        for e in extra:
            v = r.get(e)
            line += f" {v:10.3f}" if isinstance(v, float) else f" {'':>10s}"
        print(line)


def save_json(name: str, table: dict, extra: dict | None = None) -> None:
    RESULTS.mkdir(parents=True, exist_ok=True)
    slim = {k: {kk: vv for kk, vv in v.items() if kk != "runs"} for k, v in table.items()}
    (RESULTS / f"{name}.json").write_text(json.dumps({"variants": slim, **(extra or {})}, indent=2))


# ---- plots ------------------------------------------------------------------------------------------------

def plt():
    import matplotlib
    matplotlib.use("Agg")
    import matplotlib.pyplot as pyplot
    return pyplot


def plot_curves(table: dict, path: Path, title: str) -> None:
    """Fréchet distance and conditional accuracy against CPU-minutes and against steps: mean over seeds,
    with the range between the best and worst seed shaded."""
    p = plt()
    fig, axes = p.subplots(1, 3, figsize=(15, 3.8))
    for name, r in table.items():
        curves = [run["eval_rows"] for run in r["runs"]]
        n = min(len(c) for c in curves)
        if n == 0:
            continue
        minutes = [statistics.fmean(c[i]["train_seconds"] for c in curves) / 60 for i in range(n)]
        steps = [statistics.fmean(c[i]["step"] for c in curves) for i in range(n)]
        for ax, x, key, scale in ((axes[0], minutes, "fd", 1), (axes[1], steps, "fd", 1), (axes[2], minutes, "cond_acc", 100)):
            ys = [[scale * c[i][key] for c in curves] for i in range(n)]
            line, = ax.plot(x, [statistics.fmean(y) for y in ys], label=name)
            ax.fill_between(x, [min(y) for y in ys], [max(y) for y in ys], color=line.get_color(), alpha=0.15)
    for ax, xl, yl in ((axes[0], "CPU-minutes (1 thread)", "Fréchet distance (1k samples)"),
                       (axes[1], "steps", "Fréchet distance (1k samples)"),
                       (axes[2], "CPU-minutes (1 thread)", "conditional accuracy %")):
        ax.set_xlabel(xl), ax.set_ylabel(yl), ax.grid(alpha=0.3)
    axes[0].set_yscale("log"), axes[1].set_yscale("log")
    axes[2].legend(fontsize=8)
    fig.suptitle(title)
    fig.tight_layout()
    path.parent.mkdir(parents=True, exist_ok=True)
    fig.savefig(path, dpi=100)
    p.close(fig)


def plot_traces(table: dict, path: Path, title: str, seed_index: int = 0, smooth: int = 5) -> None:
    """D(x) and D(G(z)) over training, one panel per variant (one seed, a short running mean)."""
    p = plt()
    fig, axes = p.subplots(1, len(table), figsize=(3.4 * len(table), 3.0), sharey=True)
    for ax, (name, r) in zip(axes, table.items()):
        rows = r["runs"][seed_index]["train_rows"]
        steps = [t["step"] for t in rows]
        for key, label in (("d_real", "D(x)"), ("d_fake", "D(G(z))")):
            v = [t[key] for t in rows]
            v = [statistics.fmean(v[max(0, i - smooth + 1): i + 1]) for i in range(len(v))]
            ax.plot(steps, v, label=label, lw=1)
        ax.axhspan(0.4, 0.6, color="grey", alpha=0.12)
        ax.set_title(name, fontsize=9), ax.set_xlabel("step"), ax.set_ylim(0, 1)
    axes[0].legend(fontsize=8)
    fig.suptitle(title)
    fig.tight_layout()
    fig.savefig(path, dpi=100)
    p.close(fig)


def sample_row(table: dict, path: Path) -> None:
    """Digits 0..9 from each variant's first seed, one row per variant, the same noise for all."""
    from mnist_gan.generate import load_generator
    rows = []
    for r in table.values():
        g = load_generator(Path(r["runs"][0]["dir"]) / "generator.safetensors")
        with torch.no_grad():
            rows.append(g(torch.randn(20, g.z_dim, generator=torch.Generator().manual_seed(3)), torch.arange(20) % 10))
    save_grid(torch.cat(rows), path, nrow=20, scale=2)


# ---- the experiments --------------------------------------------------------------------------------------

def schedules(args) -> dict:
    run_all([(f, s) for f in SCHEDULES.values() for s in args.seeds], args)
    table = summarise(args, SCHEDULES)
    step = at_equal_steps(table)
    for r in table.values():  # cost per step measured apart from the runs, on a quiet core
        r["quiet_ms_per_step"] = ms_per_step(tuple(r["flags"]), args.timing_steps)
    print_table(table, ("d_updates_per_step", "g_updates_per_step", "seconds_per_step", "quiet_ms_per_step"))
    print(f"at step {step} (1 000-sample curves):")
    for name, r in table.items():
        e = r["at_equal_steps"]
        print(f"  {name:44s} FD {e['fd_1k']['mean']:7.1f} ± {e['fd_1k']['std']:5.1f}   "
              f"cond. acc. {100 * e['cond_acc_1k']['mean']:5.1f} ± {100 * e['cond_acc_1k']['std']:4.1f}%")
    plot_curves(table, IMAGES / "schedules_curves.png", "update schedules: equal CPU time, 3 seeds")
    plot_traces(table, IMAGES / "schedules_traces.png", "D(x) and D(G(z)) under each schedule (seed 0)")
    sample_row(table, IMAGES / "schedules_samples.png")
    save_json("schedules", table)
    return table


def _first_grad_norms(run: dict, first: int = 200) -> float:
    rows = [t for t in run["train_rows"] if t["step"] <= first and "g_grad_norm" in t]
    return statistics.fmean(t["g_grad_norm"] for t in rows) if rows else float("nan")


def pretrain(args) -> dict:
    run_all([(f, s) for f in PRETRAIN.values() for s in args.seeds], args)
    table = summarise(args, PRETRAIN)
    for r in table.values():
        r["g_grad_norm_first_200_steps"] = statistics.fmean(_first_grad_norms(run) for run in r["runs"])
        r["g_grad_norm_first_50_steps"] = statistics.fmean(_first_grad_norms(run, 50) for run in r["runs"])
    print_table(table, ("g_grad_norm_first_50_steps", "g_grad_norm_first_200_steps"))
    p = plt()
    fig, ax = p.subplots(figsize=(6, 3.6))
    for name, r in table.items():
        rows = [t for t in r["runs"][0]["train_rows"] if t["step"] <= 400]
        ax.plot([t["step"] for t in rows], [t["g_grad_norm"] for t in rows], label=name, lw=1)
    ax.set_yscale("log"), ax.set_xlabel("game step"), ax.set_ylabel("|grad G| (mean of 10 steps)")
    ax.set_title("generator gradient norm at the start of the game (seed 0)"), ax.legend(fontsize=8)
    fig.tight_layout(), fig.savefig(IMAGES / "pretrain_grad_norm.png", dpi=100), p.close(fig)
    plot_curves(table, IMAGES / "pretrain_curves.png", "pre-training D for N steps (counted in the budget)")
    save_json("pretrain", table)
    return table


def ms_per_step(flags: tuple, steps: int) -> float:
    """CPU milliseconds per training step with these flags, one thread, after a short warm-up. Run it on a
    quiet machine: a busy neighbour on the same core inflates CPU time too."""
    from mnist_gan.train import Trainer, parse_args
    torch.set_num_threads(1)
    trainer = Trainer(parse_args([*flags, "--ema", "0"]))
    for _ in range(10):
        trainer.train_step()
    t0 = time.process_time()
    for _ in range(steps):
        trainer.train_step()
    return 1000 * (time.process_time() - t0) / steps


def at_equal_steps(table: dict) -> int:
    """Scores from the training curves (1 000 samples) at the last evaluation every run reached."""
    common = min(run["eval_rows"][-2]["step"] for r in table.values() for run in r["runs"])  # [-1]: final, off-grid
    for r in table.values():
        rows = [next(e for e in run["eval_rows"] if e["step"] == common) for run in r["runs"]]
        r["at_equal_steps"] = {"step": common, "fd_1k": spread([e["fd"] for e in rows]),
                               "cond_acc_1k": spread([e["cond_acc"] for e in rows])}
    return common


def hold_fixed(args) -> dict:
    """What detach() and requires_grad_(False) save, and the gradients a loop gets when it forgets them
    together with a zero_grad()."""
    from mnist_gan.train import Trainer, parse_args
    variants = {"detach + requires_grad_(False) (the default)": (),
                "no requires_grad_(False) on D in G's step": ("--no-freeze-d",),
                "no detach() of the fakes in D's step": ("--no-detach-fake",),
                "neither": ("--no-freeze-d", "--no-detach-fake")}
    n = args.timing_steps
    timings = {name: ms_per_step(flags, n) for name, flags in variants.items()}
    base = timings[next(iter(variants))]
    print(f"{'loop':48s} {'ms/step':>8s} {'extra':>7s}")
    for name, ms in timings.items():
        print(f"{name:48s} {ms:8.2f} {100 * (ms / base - 1):6.1f}%")

    # Wrong gradients: one batch, a trainer trained a little so D and G are both doing something.
    trainer = Trainer(parse_args(["--ema", "0", "--seed", "1"]))
    for _ in range(args.timing_steps):
        trainer.train_step()
    real, real_y = trainer.next_batch()
    z = torch.randn(len(real), trainer.args.z_dim)
    fake_y = trainer.sample_labels(len(real))
    G, D = trainer.G, trainer.D

    def grads(model):
        return torch.cat([p.grad.flatten() for p in model.parameters()])

    def d_loss_on(fake):
        logits = D(torch.cat([real, fake]), torch.cat([real_y, fake_y]))
        return F.softplus(-logits[:len(real)]).mean() + F.softplus(logits[len(real):]).mean()

    def g_loss_on(fake):
        return F.softplus(-D(fake, fake_y)).mean()

    for m in (G, D):
        m.zero_grad(set_to_none=False)
    # G: the correct gradient comes from G's loss alone.
    g_loss_on(G(z, fake_y)).backward()
    g_right, d_from_g_loss = grads(G).clone(), grads(D).clone()  # what D's weights pick up if not frozen
    for m in (G, D):
        m.zero_grad(set_to_none=False)
    d_loss_on(G(z, fake_y).detach()).backward()
    d_right = grads(D).clone()
    for m in (G, D):
        m.zero_grad(set_to_none=False)
    d_loss_on(G(z, fake_y)).backward()  # no detach: D's loss reaches G ...
    g_from_d_loss = grads(G).clone()
    g_wrong = g_right + g_from_d_loss     # ... and without zero_grad() it is added to G's next gradient
    d_wrong = d_right + d_from_g_loss     # same for D: G's loss left in D's .grad when D is not frozen
    cos = lambda a, b: float(F.cosine_similarity(a, b, dim=0))
    wrong = {"G: cosine(gradient of D's loss, gradient of G's loss)": cos(g_from_d_loss, g_right),
             "G: cosine(contaminated, correct)": cos(g_wrong, g_right),
             "G: |contaminated| / |correct|": float(g_wrong.norm() / g_right.norm()),
             "D: cosine(gradient of G's loss, gradient of D's loss)": cos(d_from_g_loss, d_right),
             "D: cosine(contaminated, correct)": cos(d_wrong, d_right),
             "D: |contaminated| / |correct|": float(d_wrong.norm() / d_right.norm())}
    for k, v in wrong.items():
        print(f"{k:58s} {v:7.3f}")
    result = {"ms_per_step": timings, "timing_steps": n, "wrong_gradients": wrong}
    RESULTS.mkdir(parents=True, exist_ok=True)
    (RESULTS / "hold_fixed.json").write_text(json.dumps(result, indent=2))
    return result


@torch.no_grad()
def why_bn_trap_goes_bad(steps: int) -> dict:
    """In the owner's loop (separate real and fake passes, BatchNorm in D), compare what D says about the
    same fakes in train() and in eval() mode, and the statistics BatchNorm normalises with in each."""
    from mnist_gan.train import Trainer, parse_args
    torch.set_num_threads(1)
    trainer = Trainer(parse_args(["--d-norm", "batch", "--d-batches", "separate", "--ema", "0"]))
    with torch.enable_grad():
        for _ in range(steps):
            trainer.train_step()
    D = trainer.D
    bn = next(m for m in D.modules() if isinstance(m, torch.nn.BatchNorm2d))
    real, real_y = trainer.next_batch()
    fake, fake_y = trainer.make_fakes(len(real))
    captured = {}
    hook = bn.register_forward_hook(lambda m, i, o: captured.__setitem__("input", i[0].detach()))
    out = {}
    for mode in ("train", "eval"):
        saved = {k: v.clone() for k, v in bn.state_dict().items()}  # train() forwards move the running stats
        D.train(mode == "train")
        out[f"D(G(z)) {mode}()"] = float(torch.sigmoid(D(fake, fake_y)).mean())
        out[f"D(x) {mode}()"] = float(torch.sigmoid(D(real, real_y)).mean())
        bn.load_state_dict(saved)
    D.train()
    D.eval()
    D(fake, fake_y)
    fake_mean, fake_var = captured["input"].mean((0, 2, 3)), captured["input"].var((0, 2, 3))
    D(real, real_y)
    real_mean, real_var = captured["input"].mean((0, 2, 3)), captured["input"].var((0, 2, 3))
    hook.remove()
    D.train()
    # how far apart, in units of the fake batch's own spread, are the statistics each mode uses
    scale = fake_var.sqrt() + 1e-5
    out["|running mean - fake-batch mean| / fake std (channel mean)"] = float(((bn.running_mean - fake_mean).abs() / scale).mean())
    out["|real-batch mean - fake-batch mean| / fake std (channel mean)"] = float(((real_mean - fake_mean).abs() / scale).mean())
    out["running var / fake-batch var (channel median)"] = float((bn.running_var / fake_var).median())
    out["after steps"] = steps
    return out


def bn_trap(args) -> dict:
    run_all([(f, s) for f in BN_TRAP.values() for s in args.seeds], args)
    table = summarise(args, BN_TRAP)
    print_table(table, ("d_real", "d_fake"))
    why = why_bn_trap_goes_bad(args.timing_steps)
    for k, v in why.items():
        print(f"  {k:62s} {v:8.3f}")
    plot_curves(table, IMAGES / "bn_trap_curves.png", "BatchNorm in D: train()/eval() in G's step, and the fixes")
    plot_traces(table, IMAGES / "bn_trap_traces.png", "D(x) and D(G(z)), seed 0")
    sample_row(table, IMAGES / "bn_trap_samples.png")
    save_json("bn_trap", table, {"why": why})
    return table


def certainty(args) -> dict:
    run_all([(f, s) for f in CERTAINTY.values() for s in args.seeds], args)
    table = summarise(args, CERTAINTY)
    print_table(table, ("d_real", "d_fake", "share_d_fake_near_half"))
    plot_traces(table, IMAGES / "certainty_traces.png", "D(x) and D(G(z)); the grey band is 0.4-0.6 (seed 0)")
    plot_curves(table, IMAGES / "certainty_curves.png", "label smoothing and instance noise beside the schedules")
    save_json("certainty", table)
    return table


def vae_vs_gan(args) -> dict:
    variants = {"GAN (standard)": STANDARD, "conditional VAE": VAE}
    run_all([(f, s) for f in variants.values() for s in args.seeds], args)
    table = summarise(args, variants)
    print_table(table)
    plot_curves(table, IMAGES / "vae_vs_gan_curves.png", "conditional VAE and GAN, same decoder, same CPU time")
    sample_row(table, IMAGES / "vae_vs_gan_samples.png")
    # latent walks: a straight line between two noise vectors, digit fixed, for both models
    from mnist_gan.generate import load_generator
    walks = []
    for r in table.values():
        g = load_generator(Path(r["runs"][0]["dir"]) / "generator.safetensors")
        gen = torch.Generator().manual_seed(11)
        a, b = torch.randn(2, g.z_dim, generator=gen)
        t = torch.linspace(0, 1, 10).unsqueeze(1)
        for digit in (2, 7):
            with torch.no_grad():
                walks.append(g(a + t * (b - a), torch.full((10,), digit)))
    save_grid(torch.cat(walks), IMAGES / "vae_vs_gan_latent_walks.png", nrow=10, scale=2)
    save_json("vae_vs_gan", table)
    return table


EXPERIMENTS = {"schedules": schedules, "pretrain": pretrain, "hold_fixed": hold_fixed, "bn_trap": bn_trap,
               "certainty": certainty, "vae": vae_vs_gan}


def main(argv=None):
    p = argparse.ArgumentParser(prog="python -m mnist_gan.experiments", description=__doc__.split("\n\n")[0],
                                formatter_class=argparse.ArgumentDefaultsHelpFormatter)
    p.add_argument("name", nargs="?", choices=[*EXPERIMENTS, "all"], help="which experiment")
    p.add_argument("--list", action="store_true", help="list the experiments")
    p.add_argument("--minutes", type=cli.positive_float, default=2.5, help="CPU-minutes per run (one thread)")
    p.add_argument("--seeds", type=int, nargs="+", default=None,
                   help="default: 0 1 2 for schedules and vae, 0 1 for the others")
    p.add_argument("--jobs", type=cli.positive_int, default=max(1, min(2, os.cpu_count() or 1)),
                   help="runs side by side")
    p.add_argument("--runs", type=cli.output_dir, default=Path("runs/experiments"), help="where the runs live")
    p.add_argument("--results", type=cli.output_dir, default=NOTES,
                   help="where experiments/results/*.json and images/experiments/*.png are written")
    p.add_argument("--eval-every", type=cli.positive_int, default=100,
                   help="steps between points of the quality curves")
    p.add_argument("--eval-samples", type=cli.int_in(20), default=1000)
    p.add_argument("--final-samples", type=cli.int_in(100, 10_000), default=10_000,
                   help="digits each finished run is scored on, against as many real test digits (the notes' "
                        "figures use all 10,000; fewer is quicker and noisier)")
    p.add_argument("--timing-steps", type=cli.positive_int, default=300,
                   help="steps timed (hold_fixed) / trained (bn_trap's why)")
    args = p.parse_args(argv)
    if args.list or not args.name:
        for name, fn in EXPERIMENTS.items():
            print(f"{name:12s} {fn.__doc__.splitlines()[0] if fn.__doc__ else ''}")
        return
    global RESULTS, IMAGES
    RESULTS, IMAGES = args.results / "experiments" / "results", args.results / "images" / "experiments"
    IMAGES.mkdir(parents=True, exist_ok=True)
    seeds = args.seeds
    for name in (EXPERIMENTS if args.name == "all" else [args.name]):
        print(f"== {name}")
        args.seeds = seeds or ([0, 1, 2] if name in ("schedules", "vae") else [0, 1])
        EXPERIMENTS[name](args)


if __name__ == "__main__":
    main()
