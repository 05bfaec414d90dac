import torch

from ganlab.metrics import frechet_distance, frechet_parts


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


def test_parts_tell_a_shifted_set_from_a_too_uniform_one():
    torch.manual_seed(0)
    real = torch.randn(20_000, 4)
    shifted, uniform = real + torch.tensor([2.0, 0.0, 0.0, 0.0]), real * 0.5
    s, u = frechet_parts(shifted, real), frechet_parts(uniform, real)
    assert abs(s["mean_term"] - 4.0) < 0.1 and abs(s["spread"] - 1.0) < 0.05 and abs(s["fd"] - 4.0) < 0.1
    # half the standard deviation: a quarter of the variance, and (1 - 0.5)^2 per dimension
    assert u["mean_term"] < 0.01 and abs(u["spread"] - 0.25) < 0.02 and abs(u["fd"] - 1.0) < 0.05
    assert frechet_distance(uniform, real) == u["fd"]
