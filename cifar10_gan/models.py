"""Two GANs for 32x32 colour images: the classic DCGAN and a modern SNGAN-style ResNet GAN.

notes/07_cifar10_gan.md explains each difference and cites where it comes from. In short:

* `dcgan`  (Radford et al. 2016), the baseline: transposed convolutions with BatchNorm + ReLU in G,
  strided convolutions with LeakyReLU (and BatchNorm after the first layer) in D, unconditional, trained
  with the non-saturating cross-entropy loss and Adam(2e-4, beta1=0.5).
* `sngan`  (Miyato et al. 2018; Miyato & Koyama 2018), the strong model: residual blocks in both networks,
  nearest-neighbour upsampling, class-conditional BatchNorm in G, spectral normalisation on every layer of
  D, a projection discriminator for the class, the hinge loss, Adam(2e-4, betas 0, 0.9), plus what later
  papers added: an exponential moving average of G's weights (Yazici et al. 2019) and differentiable
  augmentation of everything D sees (Zhao et al. 2020, `ganlab.augment.diff_augment`).

Both generators take (z [B, z_dim], y [B] int64) and return images [B, 3, 32, 32] in [-1, 1]; the DCGAN
one ignores y. Both discriminators return one logit per image.
"""
import torch
import torch.nn.functional as F
from torch import nn
from torch.nn.utils.parametrizations import spectral_norm

IMAGE_SIZE = 32
ARCHS = ("dcgan", "sngan")


# --------------------------------------------------------------------------------------------------
# DCGAN


def dcgan_init(module: nn.Module) -> None:
    """The DCGAN paper's init: weights ~ N(0, 0.02); BatchNorm scale ~ N(1, 0.02), shift 0."""
    if isinstance(module, (nn.Conv2d, nn.ConvTranspose2d, nn.Linear)):
        nn.init.normal_(module.weight, 0.0, 0.02)
        if module.bias is not None:
            nn.init.zeros_(module.bias)
    elif isinstance(module, nn.BatchNorm2d):
        nn.init.normal_(module.weight, 1.0, 0.02)
        nn.init.zeros_(module.bias)


class DCGANGenerator(nn.Module):
    """z -> 4x4 x 4w -> 8x8 x 2w -> 16x16 x w -> 32x32 x 3, each step a 4x4 stride-2 transposed conv."""

    def __init__(self, z_dim: int = 100, width: int = 64, num_classes: int = 0):
        super().__init__()
        self.z_dim, self.width, self.num_classes = z_dim, width, 0  # the classic recipe is unconditional
        w = width

        def up(c_in, c_out):
            return [nn.ConvTranspose2d(c_in, c_out, 4, 2, 1, bias=False), nn.BatchNorm2d(c_out), nn.ReLU(True)]
        self.net = nn.Sequential(
            nn.ConvTranspose2d(z_dim, 4 * w, 4, 1, 0, bias=False), nn.BatchNorm2d(4 * w), nn.ReLU(True),
            *up(4 * w, 2 * w), *up(2 * w, w),
            nn.ConvTranspose2d(w, 3, 4, 2, 1), nn.Tanh())
        self.apply(dcgan_init)

    def forward(self, z: torch.Tensor, y: torch.Tensor | None = None) -> torch.Tensor:
        return self.net(z[:, :, None, None])


class DCGANDiscriminator(nn.Module):
    """32x32 x 3 -> 16x16 x w -> 8x8 x 2w -> 4x4 x 4w -> one logit."""

    def __init__(self, width: int = 64, num_classes: int = 0):
        super().__init__()
        w = width
        self.net = nn.Sequential(
            nn.Conv2d(3, w, 4, 2, 1), nn.LeakyReLU(0.2, True),
            nn.Conv2d(w, 2 * w, 4, 2, 1, bias=False), nn.BatchNorm2d(2 * w), nn.LeakyReLU(0.2, True),
            nn.Conv2d(2 * w, 4 * w, 4, 2, 1, bias=False), nn.BatchNorm2d(4 * w), nn.LeakyReLU(0.2, True),
            nn.Conv2d(4 * w, 1, 4, 1, 0))
        self.apply(dcgan_init)

    def forward(self, x: torch.Tensor, y: torch.Tensor | None = None) -> torch.Tensor:
        return self.net(x).flatten()


# --------------------------------------------------------------------------------------------------
# SNGAN-style ResNet GAN


class ConditionalBatchNorm(nn.Module):
    """BatchNorm whose scale and shift are looked up per class (de Vries et al. 2017; used by SNGAN's
    conditional generator): the class steers every layer, not only the input."""

    def __init__(self, channels: int, num_classes: int):
        super().__init__()
        self.norm = nn.BatchNorm2d(channels, affine=False)
        self.num_classes = num_classes
        if num_classes:
            self.gain = nn.Embedding(num_classes, channels)
            self.bias = nn.Embedding(num_classes, channels)
            nn.init.zeros_(self.gain.weight)  # starts as plain BatchNorm: scale 1 + 0, shift 0
            nn.init.zeros_(self.bias.weight)
        else:
            self.gain = self.bias = None
            self.scale = nn.Parameter(torch.ones(channels))
            self.shift = nn.Parameter(torch.zeros(channels))
        self.as_class_maps = False  # set by the export: see forward

    def forward(self, x: torch.Tensor, y: torch.Tensor | None) -> torch.Tensor:
        h = self.norm(x)
        if not self.num_classes:
            return h * self.scale[:, None, None] + self.shift[:, None, None]
        if self.as_class_maps:
            # The same numbers written as a 1x1 convolution of a one-hot class map as large as h. Slower, but
            # onnx2tf (ONNX -> TensorFlow) lays this out correctly; a [B, C, 1, 1] lookup it mis-transposes.
            # (The convolutions carry explicit biases, 1 and 0: TF.js cannot run the bias-free ones onnx2tf writes.)
            onehot = F.one_hot(y, self.num_classes).to(h.dtype)[:, :, None, None].expand(-1, -1, *h.shape[2:])
            scale = F.conv2d(onehot, self.gain.weight.t()[:, :, None, None], torch.ones_like(self.gain.weight[0]))
            shift = F.conv2d(onehot, self.bias.weight.t()[:, :, None, None], torch.zeros_like(self.bias.weight[0]))
            return h * scale + shift
        return h * (1 + self.gain(y))[:, :, None, None] + self.bias(y)[:, :, None, None]


class GeneratorBlock(nn.Module):
    """BN-ReLU-up-conv-BN-ReLU-conv, plus an upsampled (1x1-projected when widths differ) shortcut."""

    def __init__(self, c_in: int, c_out: int, num_classes: int):
        super().__init__()
        self.bn1, self.bn2 = ConditionalBatchNorm(c_in, num_classes), ConditionalBatchNorm(c_out, num_classes)
        self.conv1 = nn.Conv2d(c_in, c_out, 3, padding=1)
        self.conv2 = nn.Conv2d(c_out, c_out, 3, padding=1)
        self.shortcut = nn.Conv2d(c_in, c_out, 1) if c_in != c_out else nn.Identity()

    def forward(self, x: torch.Tensor, y: torch.Tensor | None) -> torch.Tensor:
        h = F.interpolate(F.relu(self.bn1(x, y)), scale_factor=2, mode="nearest")
        h = self.conv2(F.relu(self.bn2(self.conv1(h), y)))
        return h + self.shortcut(F.interpolate(x, scale_factor=2, mode="nearest"))


class ResNetGenerator(nn.Module):
    """z -> linear -> 4x4 x width -> three up-blocks (8, 16, 32) -> BN-ReLU-conv3x3-tanh."""

    def __init__(self, z_dim: int = 128, width: int = 128, num_classes: int = 10):
        super().__init__()
        self.z_dim, self.width, self.num_classes = z_dim, width, num_classes
        self.project = nn.Linear(z_dim, 4 * 4 * width)
        self.blocks = nn.ModuleList([GeneratorBlock(width, width, num_classes) for _ in range(3)])
        self.bn = nn.BatchNorm2d(width)
        self.to_image = nn.Conv2d(width, 3, 3, padding=1)
        for m in self.modules():  # Xavier init, as in SNGAN; the residual paths keep the signal's size
            if isinstance(m, (nn.Conv2d, nn.Linear)):
                nn.init.xavier_uniform_(m.weight)
                nn.init.zeros_(m.bias)

    def forward(self, z: torch.Tensor, y: torch.Tensor | None = None) -> torch.Tensor:
        h = self.project(z).view(-1, self.width, 4, 4)
        for block in self.blocks:
            h = block(h, y if self.num_classes else None)
        return torch.tanh(self.to_image(F.relu(self.bn(h))))


class DiscriminatorBlock(nn.Module):
    """(ReLU)-conv-ReLU-conv(-avgpool), plus a shortcut; `first` skips the leading ReLU (raw pixels in)."""

    def __init__(self, c_in: int, c_out: int, down: bool, first: bool = False):
        super().__init__()
        self.down, self.first = down, first
        self.conv1 = spectral_norm(nn.Conv2d(c_in, c_out, 3, padding=1))
        self.conv2 = spectral_norm(nn.Conv2d(c_out, c_out, 3, padding=1))
        self.shortcut = spectral_norm(nn.Conv2d(c_in, c_out, 1)) if (c_in != c_out or down) else None

    def forward(self, x: torch.Tensor) -> torch.Tensor:
        h = x if self.first else F.relu(x)
        h = self.conv2(F.relu(self.conv1(h)))
        if self.down:
            h = F.avg_pool2d(h, 2)
        if self.shortcut is None:
            return h + x
        # The first block pools before its 1x1 conv (cheaper, same result); the others convolve first.
        s = self.shortcut(F.avg_pool2d(x, 2)) if self.first else self.shortcut(x)
        return h + (F.avg_pool2d(s, 2) if self.down and not self.first else s)


class ProjectionDiscriminator(nn.Module):
    """32 -> 16 -> 8 -> 8 -> 8 residual blocks, ReLU, sum over pixels, then
    logit = linear(h) + <embed(y), h> (the projection: "is this a real <class>?")."""

    def __init__(self, width: int = 128, num_classes: int = 10):
        super().__init__()
        self.num_classes = num_classes
        self.blocks = nn.Sequential(DiscriminatorBlock(3, width, down=True, first=True),
                                    DiscriminatorBlock(width, width, down=True),
                                    DiscriminatorBlock(width, width, down=False),
                                    DiscriminatorBlock(width, width, down=False))
        self.score = spectral_norm(nn.Linear(width, 1))
        self.embed = spectral_norm(nn.Embedding(num_classes, width)) if num_classes else None

    def forward(self, x: torch.Tensor, y: torch.Tensor | None = None) -> torch.Tensor:
        h = F.relu(self.blocks(x)).sum((2, 3))
        logit = self.score(h).squeeze(1)
        if self.embed is not None:
            logit = logit + (self.embed(y) * h).sum(1)
        return logit


# --------------------------------------------------------------------------------------------------
# Building by name


def model_config(args) -> dict:
    """The flags that define the models' shapes; a checkpoint must match them to be resumed."""
    return {"arch": args.arch, "z_dim": args.z_dim, "width": args.width, "d_width": args.d_width,
            "num_classes": 0 if args.arch == "dcgan" else 10}


def build_generator(arch: str, z_dim: int, width: int, num_classes: int) -> nn.Module:
    if arch == "dcgan":
        return DCGANGenerator(z_dim, width)
    if arch == "sngan":
        return ResNetGenerator(z_dim, width, num_classes)
    raise ValueError(f"unknown architecture {arch!r}; use one of {ARCHS}")


def build_models(cfg: dict) -> tuple[nn.Module, nn.Module]:
    g = build_generator(cfg["arch"], cfg["z_dim"], cfg["width"], cfg["num_classes"])
    d = DCGANDiscriminator(cfg["d_width"]) if cfg["arch"] == "dcgan" else \
        ProjectionDiscriminator(cfg["d_width"], cfg["num_classes"])
    return g, d


def generator_config(cfg: dict) -> dict:
    """What the released generator needs to be rebuilt (the arguments of build_generator)."""
    return {k: cfg[k] for k in ("arch", "z_dim", "width", "num_classes")}
