"""Continuing a released model (--init-from), and releasing what a later run needs to continue this one.

A release is <name>.safetensors (the EMA generator) with <name>.json (its config, what it was trained on and
for how long). Beside it, the trainer keeps the discriminator, without optimiser state:

    <name>.discriminator.safetensors               its finest PatchGAN: what any later run loads
    <name>.multiscale_discriminator.safetensors    with --d-scales > 1, all its PatchGANs
    <name>.photo_discriminator.safetensors         with --d-photo, the PatchGAN that judges photos alone

A run may continue a release whose generator is smaller than its own: one without the colour-hint inputs,
or with a narrower decoder (--decoder-mult). The release is grown to fit, with new weights that start
silent (sketch2real.models.widen_inputs and widen_decoder), so the run starts from exactly what the release
drew, and its training time carries on from the release's total.
"""
import sys
from pathlib import Path

import torch
from torch import nn

from ganlab import checkpoint as ckpt
from sketch2real.models import (UNetGenerator, build_discriminator, build_generator, discriminator_config,
                                patchgans, widen_decoder, widen_inputs)


def discriminator_path(release: Path) -> Path:
    """Where a release keeps its discriminator (with --d-scales > 1: the finest PatchGAN), for runs that continue
    it: <name>.discriminator.safetensors."""
    return Path(release).with_suffix(".discriminator.safetensors")


def multiscale_discriminator_path(release: Path) -> Path:
    """Where a release trained with --d-scales > 1 keeps all its PatchGANs: <name>.multiscale_discriminator.safetensors."""
    return Path(release).with_suffix(".multiscale_discriminator.safetensors")


def photo_discriminator_path(release: Path) -> Path:
    """Where a release trained with --d-photo keeps the PatchGAN that judges photos without their sketch."""
    return Path(release).with_suffix(".photo_discriminator.safetensors")


def load_released_generator(release: Path, G: UNetGenerator) -> float:
    """Fill G from a release, growing the release to G's shape where it is smaller; returns the release's
    total training seconds."""
    old, meta = ckpt.load_release(release, build_generator)
    if old.hint_channels != G.hint_channels:
        with_hints = build_generator(**{**meta["config"], "hint_channels": G.hint_channels})
        with_hints.load_state_dict(widen_inputs(old.state_dict(), with_hints))
        old = with_hints
    if old.decoder_mult > G.decoder_mult:
        raise ckpt.CheckpointError(f"--init-from {release} has a wider decoder (decoder_mult {old.decoder_mult:g}) "
                                   f"than --decoder-mult {G.decoder_mult:g}; a release can be widened, not narrowed")
    G.load_state_dict(widen_decoder(old, G) if old.decoder_mult != G.decoder_mult else old.state_dict())
    trained = meta.get("trained", {})
    return float(trained.get("total_train_seconds", trained.get("train_seconds", 0.0)))


def load_released_discriminator(release: Path, D: nn.Module, scales: int) -> None:
    """Copy a release's PatchGANs into D, finest scale first: all of them from its multi-scale file when it
    has one and this run has several scales, else its single (finest) one. Scales it lacks start fresh."""
    multiscale = multiscale_discriminator_path(release)
    path = multiscale if scales > 1 and multiscale.is_file() else discriminator_path(release)
    old_d, _ = ckpt.load_release(path, build_discriminator)
    old, new = patchgans(old_d), patchgans(D)
    for released, ours in zip(old, new):
        ours.load_state_dict(released.state_dict())
    if len(new) > len(old):
        print(f"note: {path} holds {len(old)} discriminator scale(s); the other {len(new) - len(old)} of "
              f"--d-scales {len(new)} start fresh", file=sys.stderr)


def release_discriminator(D: nn.Module, d_config: dict, release: Path, summary: dict) -> None:
    """D beside the released generator: its finest PatchGAN as <name>.discriminator.safetensors, which any
    later --init-from loads, and with several scales all of them as <name>.multiscale_discriminator.safetensors."""
    d = D.cpu().to(memory_format=torch.contiguous_format)
    extra = {"generator": release.name, "trained": summary}
    finest = discriminator_config(d_config["width"], d_config["layers"])
    ckpt.save_release(patchgans(d)[0], finest, discriminator_path(release), extra=extra)
    if d_config.get("scales", 1) > 1:
        ckpt.save_release(d, d_config, multiscale_discriminator_path(release), extra=extra)


def load_released_photo_discriminator(release: Path, D_photo: nn.Module) -> None:
    """Copy a release's photo-only PatchGAN into D_photo when it has one; otherwise D_photo starts fresh."""
    path = photo_discriminator_path(release)
    if not path.is_file():
        print(f"note: {release} has no {path.name}; the photo-only discriminator (--d-photo) starts fresh",
              file=sys.stderr)
        return
    old, _ = ckpt.load_release(path, build_discriminator)
    D_photo.load_state_dict(old.state_dict())


def release_photo_discriminator(D_photo: nn.Module, d_config: dict, release: Path, summary: dict) -> None:
    """The photo-only PatchGAN beside the released generator, for later --init-from --d-photo runs."""
    d = D_photo.cpu().to(memory_format=torch.contiguous_format)
    ckpt.save_release(d, d_config, photo_discriminator_path(release),
                      extra={"generator": release.name, "trained": summary})
