"""Sample grids and training curves, written straight to PNG files."""
from pathlib import Path

import torch


def save_grid(images: torch.Tensor, path: Path, nrow: int = 10, padding: int = 2, scale: int = 1) -> Path:
    """Save images in [-1, 1] as one grid PNG; `scale` enlarges each pixel to scale x scale (for notes)."""
    # imported here: torchvision takes about 2 s to import, which every command would otherwise pay before it
    # has even checked its arguments
    from torchvision.utils import make_grid, save_image

    path = Path(path)
    path.parent.mkdir(parents=True, exist_ok=True)
    images = images.detach().float().cpu()
    if scale > 1:
        images = torch.nn.functional.interpolate(images, scale_factor=scale, mode="nearest")
    grid = make_grid(images, nrow=nrow, padding=padding, normalize=True, value_range=(-1, 1), pad_value=1.0)
    save_image(grid, path)
    return path


def plot_training(rows: list[dict], path: Path, title: str = "") -> Path:
    """Losses, D(x) / D(G(z)) and (when logged) conditional accuracy and Fréchet distance over training."""
    import matplotlib

    matplotlib.use("Agg")
    import matplotlib.pyplot as plt

    train = [r for r in rows if "loss_d" in r]
    evals = [r for r in rows if "cond_acc" in r]
    fds = [r for r in rows if "fd" in r]
    ncols = 2 + bool(evals) + bool(fds)
    fig, axes = plt.subplots(1, ncols, figsize=(4.5 * ncols, 3.4))
    steps = [r["step"] for r in train]
    axes[0].plot(steps, [r["loss_d"] for r in train], label="D loss")
    axes[0].plot(steps, [r["loss_g"] for r in train], label="G loss")
    axes[0].set_xlabel("step"); axes[0].set_title("losses"); axes[0].legend()
    axes[1].plot(steps, [r["d_real"] for r in train], label="D(x)  real")
    axes[1].plot(steps, [r["d_fake"] for r in train], label="D(G(z))  fake")
    axes[1].axhline(0.5, color="grey", lw=0.8, ls="--")
    axes[1].set_ylim(0, 1); axes[1].set_xlabel("step"); axes[1].set_title("discriminator's belief"); axes[1].legend()
    if evals:
        axes[2].plot([r["train_seconds"] / 60 for r in evals], [100 * r["cond_acc"] for r in evals], marker="o")
        axes[2].set_xlabel("training minutes"); axes[2].set_ylabel("%")
        axes[2].set_title("conditional accuracy"); axes[2].grid(alpha=0.3)
    if fds:
        ax = axes[-1]
        ax.plot([r["train_seconds"] / 60 for r in fds], [r["fd"] for r in fds], marker="o", color="C3")
        ax.set_yscale("log"); ax.set_xlabel("training minutes"); ax.set_title("Fréchet distance (lower is better)")
        ax.grid(alpha=0.3, which="both")
    if title:
        fig.suptitle(title)
    fig.tight_layout()
    path = Path(path)
    path.parent.mkdir(parents=True, exist_ok=True)
    fig.savefig(path, dpi=110)
    plt.close(fig)
    return path
