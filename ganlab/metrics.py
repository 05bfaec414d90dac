"""Sample quality as the distance between two clouds of features.

The Fréchet distance fits a Gaussian to each set of feature vectors and measures how far apart the two
Gaussians are: |mu_a - mu_b|^2 + Tr(S_a + S_b - 2 (S_a S_b)^(1/2)). With Inception-v3 features this is the
well-known FID; here the features come from a classifier this project trains itself, because nothing can
be downloaded at run time. Numbers are only comparable when the same feature network made them.
"""
import torch


def gaussian_stats(features: torch.Tensor) -> tuple[torch.Tensor, torch.Tensor]:
    f = features.double()
    if f.ndim != 2 or len(f) < 2:
        raise ValueError(f"need at least two feature vectors of shape [N, D]; got {tuple(f.shape)}")
    mu = f.mean(0)
    centred = f - mu
    cov = centred.T @ centred / (len(f) - 1)
    return mu, cov


def _sqrt_psd(m: torch.Tensor) -> torch.Tensor:
    vals, vecs = torch.linalg.eigh(m)
    return (vecs * vals.clamp(min=0).sqrt()) @ vecs.T


def frechet_distance(feats_a: torch.Tensor, feats_b: torch.Tensor) -> float:
    return frechet_parts(feats_a, feats_b)["fd"]


def frechet_parts(feats_a: torch.Tensor, feats_b: torch.Tensor) -> dict:
    """The Fréchet distance and what it is made of: `mean_term` |mu_a - mu_b|^2 (the sets sit in different
    places: a colour cast, strokes left in the picture), the rest `fd - mean_term` (they vary differently), and
    `spread` Tr(S_a) / Tr(S_b), how much set a varies as a share of set b (below 1: too alike)."""
    mu_a, cov_a = gaussian_stats(feats_a)
    mu_b, cov_b = gaussian_stats(feats_b)
    # Tr((S_a S_b)^(1/2)) = Tr((S_a^(1/2) S_b S_a^(1/2))^(1/2)); the inner matrix is symmetric PSD,
    # so its eigenvalues are real and the square root is stable (no complex sqrtm needed).
    root_a = _sqrt_psd(cov_a)
    inner = root_a @ cov_b @ root_a
    tr_covmean = torch.linalg.eigvalsh((inner + inner.T) / 2).clamp(min=0).sqrt().sum()
    mean_term = (mu_a - mu_b).square().sum()
    d = mean_term + cov_a.trace() + cov_b.trace() - 2 * tr_covmean
    return {"fd": float(d.clamp(min=0)), "mean_term": float(mean_term),
            "spread": float(cov_a.trace() / cov_b.trace().clamp(min=1e-12))}
