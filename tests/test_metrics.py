import torch

from ganlab.metrics import frechet_distance


def test_identical_sets_have_zero_distance():
    f = torch.randn(2000, 16)
    assert frechet_distance(f, f) < 1e-6


def test_matches_the_closed_form_for_gaussians():
    torch.manual_seed(0)
    n, d = 200_000, 3
    a = torch.randn(n, d)
    b = torch.randn(n, d) * 2 + torch.tensor([1.0, 0.0, 0.0])
    # same-axis Gaussians: |mu_a - mu_b|^2 + sum (sigma_a - sigma_b)^2 = 1 + 3 * (1 - 2)^2 = 4
    assert abs(frechet_distance(a, b) - 4.0) < 0.05


def test_grows_with_the_gap():
    torch.manual_seed(0)
    a = torch.randn(5000, 8)
    near, far = a + 0.1, a + 1.0
    assert frechet_distance(a, near) < frechet_distance(a, far)
