import pytest
import torch

from mnist_gan.models import Discriminator, Generator


@pytest.mark.parametrize("upsample", ["nearest", "transposed", "transposed3"])
@pytest.mark.parametrize("num_classes", [10, 0])
def test_generator_shapes_and_range(upsample, num_classes):
    g = Generator(z_dim=16, num_classes=num_classes, width=16, upsample=upsample)
    y = torch.randint(0, 10, (5,)) if num_classes else None
    x = g(torch.randn(5, 16), y)
    assert x.shape == (5, 1, 28, 28)
    assert x.min() >= -1 and x.max() <= 1


@pytest.mark.parametrize("num_classes", [10, 0])
def test_discriminator_gives_one_logit_per_image(num_classes):
    d = Discriminator(num_classes=num_classes, width=8)
    y = torch.randint(0, 10, (7,)) if num_classes else None
    assert d(torch.randn(7, 1, 28, 28), y).shape == (7,)


def test_labels_change_both_networks():
    torch.manual_seed(0)
    g, d = Generator(z_dim=8, width=8), Discriminator(width=8)
    z = torch.randn(1, 8).repeat(2, 1)
    g.eval()
    two = g(z, torch.tensor([1, 7]))
    assert not torch.allclose(two[0], two[1])
    x = torch.randn(1, 1, 28, 28).repeat(2, 1, 1, 1)
    logits = d(x, torch.tensor([1, 7]))
    assert logits[0] != logits[1]


def test_eval_mode_makes_each_image_independent_of_its_batch():
    """The BatchNorm trap: in train() an image depends on its batch mates, in eval() it must not."""
    torch.manual_seed(0)
    g = Generator(z_dim=8, width=8)
    z, y = torch.randn(6, 8), torch.arange(6)
    g.train()
    g(z, y)  # give the running statistics something to hold
    g.eval()
    with torch.no_grad():
        alone = g(z[:1], y[:1])
        in_batch = g(z, y)[:1]
    torch.testing.assert_close(alone, in_batch)
    g.train()
    with torch.no_grad():
        assert not torch.allclose(g(z[:2], y[:2])[:1], g(z, y)[:1])


def test_unknown_options_are_rejected():
    with pytest.raises(ValueError, match="upsample"):
        Generator(upsample="bilinear-ish")
    with pytest.raises(ValueError, match="norm"):
        Discriminator(norm="layer")
