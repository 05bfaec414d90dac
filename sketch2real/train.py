"""Train the sketch -> photo model (pix2pix: a U-Net generator, a PatchGAN discriminator, L1 + GAN loss).

    python -m sketch2real.train --dataset faces                    # runs/sketch2real_faces
    python -m sketch2real.train --dataset shoes_bags --minutes 60  # 128x128 shoes and handbags
    python -m sketch2real.train --dataset people --minutes 60      # 128x192 people from stick figures and outlines
    python -m sketch2real.train --dataset faces --l1-only          # the baseline: the same U-Net, L1 loss only
    python -m sketch2real.train --dataset faces --resume           # continue after a crash or Ctrl-C
    python -m sketch2real.train --dataset faces --d-scales 2 --perceptual 1   # options to measure: pix2pixHD's
                                                                   # multi-scale D, a perceptual L1 (both off by default)
    python -m sketch2real.train --init-from sketch2real/release/faces.safetensors   # a new run that continues
                                                                   # the released model (G and D, fresh optimisers)
    python -m sketch2real.train --init-from sketch2real/release/faces.safetensors --decoder-mult 1.5
                                                                   # ... grown to a wider decoder first
    python -m sketch2real.train --init-from sketch2real/release/faces.safetensors --d-photo 1
                                                                   # ... with a second judge that sees the
                                                                   # photo alone (notes/06 section 5.10)
    python -m sketch2real.train --init-from sketch2real/release/faces.safetensors --d-photo 1 --unpaired 1
                                                                   # ... which also judges pictures of
                                                                   # distorted drawings that match no photo
    python -m sketch2real.train --init-from sketch2real/release/faces.safetensors --reframe 0.5
                                                                   # ... half the drawings resized, turned and
                                                                   # shifted against their photo
    python -m sketch2real.train --init-from sketch2real/release/faces.safetensors --zoom 0.5
                                                                   # ... half the pairs enlarged and moved,
                                                                   # drawing and photo together

The pairs come from sketch2real.pairs: faces get --variants synthetic sketches per photo (edges drawn with a
random pen, and landmark doodles), shoes and handbags their edge maps in the same pen, people stick figures
and outlines drawn from their body pose. Each step: D learns to tell (sketch, real photo) from
(sketch, generated photo), patch by patch; then G learns to fool D while staying close to the real photo
in L1. With --hints (the default) the generator also gets colour hints sampled from the photo
(sketch2real.hints), as the page's colour pen gives them. notes/06_sketch2real.md walks through it; every
option, with its default per dataset, is in sketch2real/options.py.
"""
import json
import sys
from pathlib import Path

import torch
import torch.nn.functional as F
from torch.optim.swa_utils import AveragedModel

from ganlab import checkpoint as ckpt
from ganlab import distributed
from ganlab.augment import diff_augment
from ganlab.data import DataError, to_unit_range
from ganlab.device import autocast, pick_device, resolve_precision, seed_everything
from ganlab.plotting import save_grid
from ganlab.training import MetricsLog, ema_update, release_sampler, run_cli, run_loop, start_run
from sketch2real.continuation import (load_released_discriminator, load_released_generator,
                                      load_released_photo_discriminator, release_discriminator,
                                      release_photo_discriminator)
from sketch2real.hints import HINT_CHANNELS, hint_preview, sample_hints
from sketch2real.losses import PerceptualL1, hint_colour_l1
from sketch2real.models import (build_discriminator, build_generator, count_parameters, discriminator_config,
                                generator_config)
from sketch2real.options import DATASETS, parse_args
from sketch2real.pairs import (distorted_drawings, load_pairs, people_bank, sketch_bank, test_sketches,
                               with_doodles, zoomed_pairs)

PROJECT = "sketch2real"
# --reframe: how far a drawing may sit from its photo's framing (pairs.distorted_drawings, nothing wiped)
REFRAME = dict(max_turn=10.0, stretch=(0.8, 1.25), max_shift=0.08, erase=0.0)
# --zoom: how far a pair (drawing and photo together) may be enlarged; the crop moves up to 1 - 1/1.15 of the way
ZOOM = 1.15


# ---- training -----------------------------------------------------------------------------------------

def per_scale(logits) -> list[torch.Tensor]:
    """D's logits as a list, one tensor per scale (a single PatchGAN answers with one tensor)."""
    return [logits] if torch.is_tensor(logits) else list(logits)


def scale_mean(losses) -> torch.Tensor:
    """The mean over D's scales of a figure (with one scale: the figure itself, exactly)."""
    losses = list(losses)
    return sum(losses) / len(losses)


class Trainer:
    def __init__(self, args):
        self.args = args
        if args.threads:
            torch.set_num_threads(args.threads)
        self.device = pick_device(args.device)
        self.precision = resolve_precision(args.precision, self.device)
        seed_everything(args.seed)
        photos, edges = load_pairs(args.dataset, "train", args.data_dir, args.kind, args.cache_dir)
        if args.limit:
            photos, edges = photos[: args.limit], None if edges is None else edges[: args.limit]
        height, width = DATASETS[args.dataset]
        if tuple(photos.shape[-2:]) != (height, width):
            raise DataError(f"{args.dataset} pictures must be {width}x{height}; got "
                            f"{photos.shape[-1]}x{photos.shape[-2]}")
        if args.dataset == "people":
            self.sketches, photos = people_bank(photos, edges, args)
        else:
            self.sketches = sketch_bank(args.dataset, photos, edges, args.variants, args.seed, args.cache_dir)
        if args.dataset == "faces":
            self.sketches = with_doodles(self.sketches, photos, args)
        self.photos = photos
        test_photos, test_edges = load_pairs(args.dataset, "test", args.data_dir, args.kind, args.cache_dir)
        n_eval = min(args.eval_pairs, test_photos.shape[0])
        self.eval_photos = to_unit_range(test_photos[:n_eval]).to(self.device)
        self.eval_sketches = test_sketches(args.dataset, test_photos[:n_eval],
                                           None if test_edges is None else test_edges[:n_eval],
                                           args.data_dir, args.cache_dir).to(self.device)
        self.model_cfg = generator_config(width, args.width, args.max_channels, args.out_width,
                                          HINT_CHANNELS if args.hints else 0, image_height=height,
                                          decoder_mult=args.decoder_mult)
        self.d_cfg = discriminator_config(args.d_width, args.d_layers, args.d_scales)
        self.G = build_generator(**self.model_cfg)
        self.D = None if args.l1_only else build_discriminator(**self.d_cfg)
        self.d_photo_cfg = discriminator_config(args.d_width, args.d_layers, conditional=False)
        self.D_photo = build_discriminator(**self.d_photo_cfg) if args.d_photo else None
        self.prior_seconds = 0.0  # training time of the release this run continues (--init-from)
        self.continues = None if args.init_from is None else str(args.init_from)  # kept when resumed
        if args.init_from is not None:
            self.init_from(args.init_from, fresh_d=args.fresh_discriminator)
        self.G.to(self.device)
        for m in (self.D, self.D_photo):
            if m is not None:
                m.to(self.device)
        # frozen and not saved: no optimiser sees it, and every run loads the same file
        self.perceptual = PerceptualL1().to(self.device) if args.perceptual else None
        if args.channels_last:
            for m in (self.G, self.D, self.D_photo):
                if m is not None:
                    m.to(memory_format=torch.channels_last)
        self.G_ema = AveragedModel(self.G, multi_avg_fn=ema_update(args.ema), use_buffers=True)
        self.opt_g = torch.optim.Adam(self.G.parameters(), lr=args.lr_g, betas=(args.beta1, 0.999))
        self.opt_d, self.opt_d_photo = (None if m is None else torch.optim.Adam(m.parameters(), lr=args.lr_d,
                                                                                betas=(args.beta1, 0.999))
                                        for m in (self.D, self.D_photo))
        self.noise = torch.Generator().manual_seed(args.seed)  # picks batches, variants and flips
        self.G_fwd, self.D_fwd, self.D_photo_fwd = (None if m is None else distributed.wrap(m, args.compile)
                                                    for m in (self.G, self.D, self.D_photo))
        self.step, self.train_seconds = 0, 0.0

    def init_from(self, release: Path, fresh_d: bool) -> None:
        """Copy a release's generator (grown to fit where it is smaller, see sketch2real.continuation) and,
        unless `fresh_d`, its discriminator; the release's training time counts towards this run's total."""
        self.prior_seconds = load_released_generator(release, self.G)
        if self.D is not None and not fresh_d:
            load_released_discriminator(release, self.D, self.args.d_scales)
        if self.D_photo is not None:
            load_released_photo_discriminator(release, self.D_photo)
        print(f"initialised from {release} ({self.prior_seconds / 60:.0f} min of training so far)"
              + (", new discriminator" if fresh_d and self.D is not None else ""), file=sys.stderr)

    @property
    def steps_per_epoch(self) -> float:
        return self.photos.shape[0] / self.args.batch_size

    def next_batch(self):
        """A random batch of (sketch, photo, hints) triples, each sketch one of the photo's variants, half
        mirrored; hints (None without --hints) are sampled from the mirrored photo. Fourth, with --unpaired,
        the same sketches distorted to match no photo (else None)."""
        n, b = self.photos.shape[0], self.args.batch_size
        index = torch.randint(0, n, (b,), generator=self.noise)
        variant = torch.randint(0, self.sketches.shape[0], (b,), generator=self.noise)
        flip = torch.rand(b, generator=self.noise) < 0.5
        sketch, photo = self.sketches[variant, index], self.photos[index]
        sketch = torch.where(flip.view(b, 1, 1, 1), sketch.flip(-1), sketch)
        photo = torch.where(flip.view(b, 1, 1, 1), photo.flip(-1), photo)
        if self.args.zoom:  # drawing and photo move together (drawn over the whole batch, as --reframe)
            zoomed_sketch, zoomed_photo = zoomed_pairs(sketch, photo, self.noise, ZOOM)
            pick = (torch.rand(b, generator=self.noise) < self.args.zoom).view(b, 1, 1, 1)
            sketch, photo = torch.where(pick, zoomed_sketch, sketch), torch.where(pick, zoomed_photo, photo)
        if self.args.reframe:  # the drawing moves, the photo does not (drawn over the whole batch, as --unpaired)
            moved = distorted_drawings(to_unit_range(sketch), self.noise, **REFRAME)
            pick = (torch.rand(b, generator=self.noise) < self.args.reframe).view(b, 1, 1, 1)
            sketch = torch.where(pick, moved.add(1).mul(127.5).round().to(torch.uint8), sketch)
        hints = None
        if self.args.hints:
            hints = sample_hints(photo, self.noise, p_none=self.args.hint_none)
            blank = (torch.rand(b, generator=self.noise) < self.args.blank_sketch) & (hints[:, 3].amax((1, 2)) > 0)
            sketch = torch.where(blank.view(b, 1, 1, 1), torch.full_like(sketch, 255), sketch)
            hints = distributed.rows(hints).to(self.device, non_blocking=True)  # under torchrun: this rank's rows
        unpaired = None
        if self.args.unpaired:  # distorted as a whole batch, so that under torchrun the draws match one process's
            unpaired = distributed.rows(distorted_drawings(to_unit_range(sketch), self.noise))
            unpaired = unpaired.to(self.device, non_blocking=True)
        return (to_unit_range(distributed.rows(sketch)).to(self.device, non_blocking=True),
                to_unit_range(distributed.rows(photo)).to(self.device, non_blocking=True), hints, unpaired)

    def learning_rate_scale(self) -> float:
        """1 until --lr-decay-from, then a straight line down to 0 at --steps. It depends on the step alone,
        so a resumed run follows the same schedule."""
        start = self.args.lr_decay_from
        if start is None or self.step < start:
            return 1.0
        return max(0.0, (self.args.steps - self.step) / (self.args.steps - start))

    def train_step(self) -> dict:
        if self.args.lr_decay_from is not None:
            scale = self.learning_rate_scale()
            for opt, lr in ((self.opt_g, self.args.lr_g), (self.opt_d, self.args.lr_d),
                            (self.opt_d_photo, self.args.lr_d)):
                for group in [] if opt is None else opt.param_groups:
                    group["lr"] = lr * scale
        sketch, photo, hints, unpaired = self.next_batch()
        with autocast(self.device, self.precision):
            fake = self.G_fwd(sketch, hints)
        fake_unpaired = None
        if self.args.unpaired:  # pictures of drawings that match no photo, judged by the photo-only D alone
            with autocast(self.device, self.precision):
                fake_unpaired = self.G_fwd(unpaired)
        stats = {}
        augment = self.augment  # with --diffaug: what D sees of each (sketch, photo) pair is altered
        if self.D is not None:
            # D: (sketch, real photo) -> 1 and (sketch, generated photo) -> 0, for every patch at every scale.
            # The coarser scales shrink what D is given, so each sees the same augmentation.
            (sketch_r, real), (sketch_f, fake_d) = augment(sketch, photo), augment(sketch, fake.detach())
            with autocast(self.device, self.precision):
                logits = per_scale(self.D_fwd(torch.cat([sketch_r, sketch_f]), torch.cat([real, fake_d])))
            real_fake = [logit.float().chunk(2) for logit in logits]  # per scale: (real's, generated's)
            loss_d = scale_mean(F.softplus(-real).mean() + F.softplus(gen).mean() for real, gen in real_fake)
            loss_d_photo = 0.0
            if self.D_photo is not None:  # the same real and generated photos, judged without their sketch
                with autocast(self.device, self.precision):
                    real_p, gen_p = self.D_photo_fwd(torch.cat([sketch_r, sketch_f]),
                                                         torch.cat([real, fake_d])).float().chunk(2)
                if fake_unpaired is not None:  # they are generated pictures too
                    _, unpaired_d = augment(sketch, fake_unpaired.detach())
                    with autocast(self.device, self.precision):
                        gen_p = torch.cat([gen_p, self.D_photo_fwd(sketch_f, unpaired_d).float()])
                loss_d_photo = F.softplus(-real_p).mean() + F.softplus(gen_p).mean()
                stats.update(d_photo_real=torch.sigmoid(real_p).mean().detach(),
                             d_photo_fake=torch.sigmoid(gen_p).mean().detach())
            for opt in (self.opt_d, self.opt_d_photo):
                if opt is not None:
                    opt.zero_grad(set_to_none=True)
            (loss_d + loss_d_photo).backward()  # the two judges share no weights: each gets its own gradient
            for opt in (self.opt_d, self.opt_d_photo):
                if opt is not None:
                    opt.step()
            stats.update(loss_d=loss_d.detach(),
                         d_real=scale_mean(torch.sigmoid(real).mean() for real, _ in real_fake).detach(),
                         d_fake=scale_mean(torch.sigmoid(gen).mean() for _, gen in real_fake).detach())
        pool = lambda x: F.avg_pool2d(x, self.args.l1_pool) if self.args.l1_pool > 1 else x  # noqa: E731
        l1 = (pool(fake.float()) - pool(photo)).abs().mean()
        loss_g = self.args.lambda_l1 * l1
        if self.args.hint_colour and hints is not None:
            loss_hint = hint_colour_l1(fake.float(), hints)
            loss_g = loss_g + self.args.hint_colour * loss_hint
            stats["hint_l1"] = loss_hint.detach()
        if self.perceptual is not None:
            with autocast(self.device, self.precision):
                loss_perc = self.perceptual(fake, photo)
            loss_g = loss_g + self.args.perceptual * loss_perc
            stats["loss_perc"] = loss_perc.detach()
        if self.D is not None:
            self.D.requires_grad_(False)  # G's step flows through D but must not change it
            if self.args.feature_matching:
                # the real photo, altered as the generated one is, gives the activations to match
                sketch_a, real, fake_a = augment(sketch, photo, fake)
                with torch.no_grad(), autocast(self.device, self.precision):
                    _, hidden_real = self.D_fwd(sketch_a, real, features=True)
                with autocast(self.device, self.precision):
                    logit, hidden_fake = self.D_fwd(sketch_a, fake_a, features=True)
                loss_fm = sum((f.float() - r.float()).abs().mean() for f, r in zip(hidden_fake, hidden_real))
                loss_fm = loss_fm / len(hidden_real)
                loss_g = loss_g + self.args.feature_matching * loss_fm
                stats["loss_fm"] = loss_fm.detach()
            else:
                with autocast(self.device, self.precision):
                    logit = self.D_fwd(*augment(sketch, fake))
            loss_gan = scale_mean(F.softplus(-scale.float()).mean() for scale in per_scale(logit))
            loss_g = loss_g + loss_gan
            stats["loss_gan"] = loss_gan.detach()
        if self.D_photo is not None:
            self.D_photo.requires_grad_(False)
            with autocast(self.device, self.precision):
                logit_photo = self.D_photo_fwd(*augment(sketch, fake))
            loss_gan_photo = F.softplus(-logit_photo.float()).mean()
            loss_g = loss_g + self.args.d_photo * loss_gan_photo
            if fake_unpaired is not None:
                with autocast(self.device, self.precision):
                    logit_unpaired = self.D_photo_fwd(*augment(sketch, fake_unpaired))
                loss_unpaired = F.softplus(-logit_unpaired.float()).mean()
                loss_g = loss_g + self.args.unpaired * loss_unpaired
                stats["loss_gan_unpaired"] = loss_unpaired.detach()
            stats["loss_gan_photo"] = loss_gan_photo.detach()
        self.opt_g.zero_grad(set_to_none=True)
        loss_g.backward()
        self.opt_g.step()
        for m in (self.D, self.D_photo):
            if m is not None:
                m.requires_grad_(True)
        if self.args.ema:
            self.G_ema.update_parameters(self.G)
        stats.update(loss_g=loss_g.detach(), l1=l1.detach())
        return stats

    def augment(self, sketch, *photos):
        """With --diffaug, what D sees of a sketch and its photos: shifted, cut out and recoloured alike
        (ganlab.augment). It draws from torch's global RNG on the training device (the batches' generator
        lives on the CPU), which the checkpoints keep, so a resumed run repeats it."""
        if not self.args.diffaug:
            return (sketch, *photos)
        x = diff_augment(torch.cat([*photos, sketch], dim=1), rgb_pictures=len(photos))
        *photos, sketch = x.split([p.shape[1] for p in photos] + [sketch.shape[1]], dim=1)
        return (sketch, *photos)

    @property
    def model_settings(self) -> dict:
        """What a checkpoint must match to be resumed: the generator's config and the game's shape."""
        settings = {**self.model_cfg, "l1_only": self.args.l1_only, "d_width": self.args.d_width,
                    "d_layers": self.args.d_layers}
        # newer settings only when on, so that checkpoints written before they existed still resume
        optional = {"d_scales": (self.args.d_scales, 1), "perceptual": (self.args.perceptual, 0.0),
                    "d_photo": (self.args.d_photo, 0.0), "unpaired": (self.args.unpaired, 0.0)}
        settings.update({k: value for k, (value, off) in optional.items() if value != off})
        return settings

    @property
    def sampler(self):
        return self.G_ema.module if self.args.ema else self.G

    def state(self) -> dict:
        return {"project": PROJECT, "step": self.step, "train_seconds": self.train_seconds,
                "prior_seconds": self.prior_seconds, "continues": self.continues,
                "config": {k: (str(v) if isinstance(v, Path) else v) for k, v in vars(self.args).items()},
                "model_config": self.model_settings,
                "G": self.G.state_dict(), "G_ema": self.G_ema.state_dict(), "opt_g": self.opt_g.state_dict(),
                "D": None if self.D is None else self.D.state_dict(),
                "opt_d": None if self.D is None else self.opt_d.state_dict(),
                "rng": ckpt.rng_state(self.noise),
                **({} if self.D_photo is None else {"D_photo": self.D_photo.state_dict(),
                                                    "opt_d_photo": self.opt_d_photo.state_dict()})}

    def load_state(self, state: dict, path) -> None:
        ckpt.check_same_model(state["model_config"], self.model_settings, path)
        self.G.load_state_dict(state["G"]), self.G_ema.load_state_dict(state["G_ema"])
        self.opt_g.load_state_dict(state["opt_g"])
        if self.D is not None:
            self.D.load_state_dict(state["D"]), self.opt_d.load_state_dict(state["opt_d"])
        if self.D_photo is not None:
            self.D_photo.load_state_dict(state["D_photo"]), self.opt_d_photo.load_state_dict(state["opt_d_photo"])
        ckpt.restore_rng_state(state["rng"], self.noise)
        self.step, self.train_seconds = state["step"], state["train_seconds"]
        self.prior_seconds = state.get("prior_seconds", 0.0)
        self.continues = state.get("continues", self.continues)

    @torch.no_grad()
    def held_out_l1(self) -> float:
        g = self.sampler.eval()
        total = sum((g(s) - p).abs().sum().item() for s, p in zip(self.eval_sketches.split(100),
                                                                   self.eval_photos.split(100)))
        self.G.train()
        return total / self.eval_photos.numel()

    @torch.no_grad()
    def save_samples(self, out: Path) -> Path:
        """Rows of 8: held-out sketch, output, photo; then cartoon faces and their outputs (faces only)."""
        from sketch2real.cartoon import cartoon_faces
        g = self.sampler.eval()
        sketches, photos = self.eval_sketches[:8], self.eval_photos[:8]
        rows = [sketches.expand(-1, 3, -1, -1), g(sketches), photos]
        if self.args.hints:  # the same sketches with colour hints from their photos: hint, then output
            photos_uint8 = ((photos.cpu() + 1) * 127.5).round().to(torch.uint8)
            hints = sample_hints(photos_uint8, torch.Generator().manual_seed(3), p_none=0.0).to(self.device)
            rows += [hint_preview(hints), g(sketches, hints)]
        if self.args.dataset == "faces":
            cartoons = cartoon_faces(8, size=self.model_cfg["image_size"], seed=1).to(self.device) * 2 - 1
            rows += [cartoons.expand(-1, 3, -1, -1), g(cartoons)]
        self.G.train()
        grid = torch.cat(rows)
        path = save_grid(grid, out / "samples" / f"step_{self.step:07d}.png", nrow=8)
        save_grid(grid, out / "samples" / "latest.png", nrow=8)
        return path


def plot_curves(rows: list[dict], path: Path, title: str = "") -> Path:
    """L1 (training batches and held-out pairs) and, for the GAN, D's belief about real and generated pairs."""
    import matplotlib
    matplotlib.use("Agg")
    import matplotlib.pyplot as plt

    train_rows, evals = [r for r in rows if "l1" in r], [r for r in rows if "test_l1" in r]
    gan = [r for r in train_rows if "d_real" in r]
    fig, axes = plt.subplots(1, 2 if gan else 1, figsize=(9 if gan else 4.5, 3.4), squeeze=False)
    ax = axes[0, 0]
    ax.plot([r["step"] for r in train_rows], [r["l1"] for r in train_rows], label="L1, training batches")
    ax.plot([r["step"] for r in evals], [r["test_l1"] for r in evals], marker="o", label="L1, held-out")
    ax.set_xlabel("step"); ax.set_title("L1 to the real photo"); ax.legend()
    if gan:
        ax = axes[0, 1]
        ax.plot([r["step"] for r in gan], [r["d_real"] for r in gan], label="D(sketch, real)")
        ax.plot([r["step"] for r in gan], [r["d_fake"] for r in gan], label="D(sketch, G(sketch))")
        ax.axhline(0.5, color="grey", lw=0.8, ls="--")
        ax.set_ylim(0, 1); ax.set_xlabel("step"); ax.set_title("discriminator's belief (patch mean)"); ax.legend()
    if title:
        fig.suptitle(title)
    fig.tight_layout()
    Path(path).parent.mkdir(parents=True, exist_ok=True)
    fig.savefig(path, dpi=110)
    plt.close(fig)
    return Path(path)


def train(args) -> dict:
    out: Path = args.out
    trainer, log = start_run(args, PROJECT, Trainer)
    sizes = [f"generator {count_parameters(trainer.G) / 1e6:.2f} M parameters"]
    if trainer.D is not None:
        sizes.append(f"discriminator {count_parameters(trainer.D) / 1e6:.2f} M ({args.d_scales} scale(s))")
    if trainer.D_photo is not None:
        sizes.append(f"photo-only discriminator {count_parameters(trainer.D_photo) / 1e6:.2f} M")
    print(f"{args.dataset}: {trainer.photos.shape[0]} training pairs x {args.variants} sketches, " + ", ".join(sizes),
          file=sys.stderr)

    def evaluate():
        l1 = trainer.held_out_l1()
        return {"test_l1": l1}, f"held-out L1 {l1:.4f}"
    postfix = lambda m: {"L1": f"{m['l1']:.3f}", **({} if trainer.D is None else
                                                    {"D": f"{m['loss_d']:.2f}", "GAN": f"{m['loss_gan']:.2f}"})}
    # Ctrl-C or SIGTERM finishes the current step, then the final checkpoint and pictures are written as usual.
    if not run_loop(trainer, args, out, log, desc=f"sketch2real {args.dataset}", evaluate=evaluate, postfix=postfix):
        return {}  # under torchrun, rank 0 alone evaluates and releases
    summary = {"step": trainer.step, "train_seconds": round(trainer.train_seconds, 1), "device": str(trainer.device),
               "total_train_seconds": round(trainer.prior_seconds + trainer.train_seconds, 1),
               "init_from": trainer.continues,
               "test_l1": trainer.held_out_l1(), "dataset": args.dataset, "l1_only": args.l1_only}
    log.write(step=trainer.step, train_seconds=round(trainer.train_seconds, 2), test_l1=summary["test_l1"])
    log.close()
    plot_curves(MetricsLog.read(out / "metrics.jsonl"), out / "training.png", title=f"sketch2real: {out}")
    release_sampler(trainer, trainer.model_cfg, out / "generator.safetensors",
                    extra={"trained": summary, "dataset": args.dataset, "kind": args.kind})
    if trainer.D is not None:  # kept so that a later run can continue this one (--init-from)
        release_discriminator(trainer.D, trainer.d_cfg, out / "generator.safetensors", summary)
    if trainer.D_photo is not None:
        release_photo_discriminator(trainer.D_photo, trainer.d_photo_cfg, out / "generator.safetensors", summary)
    print(json.dumps(summary))
    return summary


def main(argv=None):
    run_cli(train, parse_args(argv))


if __name__ == "__main__":
    main()
