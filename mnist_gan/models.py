"""Generator and discriminator for 28x28 digits.

Choices that matter, and why (notes/02_training_loop.md has the longer story):

* Init: weights drawn from N(0, 0.02), as in the DCGAN paper. PyTorch's default init is fine for
  classifiers, but with tanh at the end, weights that are too large push the output into saturation
  (every pixel at -1 or +1) where tanh's gradient is zero and the generator stops learning.
* Normalisation: BatchNorm in the generator keeps activations in range while it learns. The discriminator
  has none: without it, real and fake images can go through D in one batch, and there is no
  train()/eval() switch in D to get wrong (in eval() BatchNorm uses running averages that mixed real and
  fake batches, so D's answers during the generator step differ from the ones it was trained to give).
  The generator is put in eval() for sampling and export, so one image never depends on the others in
  its batch (important in the browser, where the batch is often a single digit).
* Output: tanh, so images live in [-1, 1]; the data is scaled to the same range.
* Upsampling: nearest-neighbour resize followed by a 3x3 convolution. A transposed convolution whose
  kernel does not divide by its stride paints some output pixels more often than others and leaves a
  checkerboard pattern; resize-then-convolve has no such uneven overlap. 'transposed' (kernel 4,
  stride 2: the DCGAN choice) and 'transposed3' (kernel 3: the checkerboard case) are here to compare.
* Conditioning: the generator gets a learned embedding of the digit concatenated to the noise; the
  discriminator uses a projection (Miyato & Koyama 2018): its score is a plain linear read-out of its
  features plus the dot product of those features with an embedding of the label, which tells D
  "does this look like a real <digit>?" rather than just "does this look real?".
"""
import torch
from torch import nn

IMAGE_SIZE = 28


def init_weights(module: nn.Module) -> None:
    """DCGAN init: conv/linear weights ~ N(0, 0.02); BatchNorm scale ~ N(1, 0.02), shift 0."""
    if isinstance(module, (nn.Conv2d, nn.ConvTranspose2d, nn.Linear, nn.Embedding)):
        nn.init.normal_(module.weight, 0.0, 0.02)
        if getattr(module, "bias", None) is not None:
            nn.init.zeros_(module.bias)
    elif isinstance(module, (nn.BatchNorm2d, nn.BatchNorm1d)):
        nn.init.normal_(module.weight, 1.0, 0.02)
        nn.init.zeros_(module.bias)


def upsample_block(c_in: int, c_out: int, mode: str) -> nn.Sequential:
    """Double the resolution, then BatchNorm + ReLU."""
    if mode == "nearest":
        up = [nn.Upsample(scale_factor=2, mode="nearest"), nn.Conv2d(c_in, c_out, 3, padding=1, bias=False)]
    elif mode == "transposed":
        up = [nn.ConvTranspose2d(c_in, c_out, 4, stride=2, padding=1, bias=False)]
    elif mode == "transposed3":
        up = [nn.ConvTranspose2d(c_in, c_out, 3, stride=2, padding=1, output_padding=1, bias=False)]
    else:
        raise ValueError(f"unknown upsample mode {mode!r}; use nearest, transposed or transposed3")
    return nn.Sequential(*up, nn.BatchNorm2d(c_out), nn.ReLU(inplace=True))


class Generator(nn.Module):
    """(noise z [B, z_dim], digit y [B] int64) -> image [B, 1, 28, 28] in [-1, 1].

    num_classes=0 makes it unconditional (y is ignored and may be omitted)."""

    def __init__(self, z_dim: int = 64, num_classes: int = 10, width: int = 64, upsample: str = "nearest",
                 embed_dim: int = 16):
        super().__init__()
        self.z_dim, self.num_classes = z_dim, num_classes
        self.embed = nn.Embedding(num_classes, embed_dim) if num_classes else None
        in_dim = z_dim + (embed_dim if num_classes else 0)
        c = 2 * width
        self.project = nn.Sequential(  # noise -> a 7x7 feature map
            nn.Linear(in_dim, c * 7 * 7, bias=False), nn.Unflatten(1, (c, 7, 7)),
            nn.BatchNorm2d(c), nn.ReLU(inplace=True))
        self.up = nn.Sequential(upsample_block(c, width, upsample),           # 7 -> 14
                                upsample_block(width, width // 2, upsample))  # 14 -> 28
        self.to_image = nn.Sequential(nn.Conv2d(width // 2, 1, 3, padding=1), nn.Tanh())
        self.apply(init_weights)

    def forward(self, z: torch.Tensor, y: torch.Tensor | None = None) -> torch.Tensor:
        if self.embed is not None:
            z = torch.cat([z, self.embed(y)], dim=1)
        return self.to_image(self.up(self.project(z)))


class Discriminator(nn.Module):
    """(image [B, 1, 28, 28], digit y [B]) -> one logit per image: > 0 means "real".

    It returns logits, not probabilities: the loss applies the sigmoid inside (numerically safer),
    and D(x) in the logs is sigmoid(logit)."""

    def __init__(self, num_classes: int = 10, width: int = 64, norm: str = "none"):
        super().__init__()
        if norm not in ("none", "batch", "spectral"):
            raise ValueError(f"unknown discriminator norm {norm!r}; use none, batch or spectral")
        self.num_classes = num_classes
        self.features = nn.Sequential(
            nn.Conv2d(1, width, 4, stride=2, padding=1), nn.LeakyReLU(0.2, inplace=True),          # 28 -> 14
            nn.Conv2d(width, 2 * width, 4, stride=2, padding=1, bias=norm != "batch"),             # 14 -> 7
            nn.BatchNorm2d(2 * width) if norm == "batch" else nn.Identity(),
            nn.LeakyReLU(0.2, inplace=True), nn.Flatten())
        feat_dim = 2 * width * 7 * 7
        self.score = nn.Linear(feat_dim, 1)
        self.class_embed = nn.Embedding(num_classes, feat_dim) if num_classes else None
        self.apply(init_weights)
        if norm == "spectral":
            # Spectral normalisation (Miyato et al. 2018): every weight is divided by its largest singular
            # value, so no layer can stretch its input by more than 1 and D stays smooth. One power-iteration
            # step per forward pass estimates it; nothing depends on the other images in the batch.
            for m in self.modules():
                if isinstance(m, (nn.Conv2d, nn.Linear, nn.Embedding)):
                    nn.utils.parametrizations.spectral_norm(m)

    def forward(self, x: torch.Tensor, y: torch.Tensor | None = None) -> torch.Tensor:
        h = self.features(x)
        logit = self.score(h).squeeze(1)
        if self.class_embed is not None:
            logit = logit + (self.class_embed(y) * h).sum(1)
        return logit


def model_config(args) -> dict:
    """The flags that define the models' shapes; a checkpoint must match them to be resumed."""
    return {"z_dim": args.z_dim, "num_classes": 0 if args.unconditional else 10, "width": args.width,
            "upsample": args.upsample, "d_width": args.d_width, "d_norm": args.d_norm}


def build_models(cfg: dict) -> tuple[Generator, Discriminator]:
    g = Generator(cfg["z_dim"], cfg["num_classes"], cfg["width"], cfg["upsample"])
    d = Discriminator(cfg["num_classes"], cfg["d_width"], cfg["d_norm"])
    return g, d


def generator_config(cfg: dict) -> dict:
    """What the released generator needs to be rebuilt (see Generator.__init__)."""
    return {k: cfg[k] for k in ("z_dim", "num_classes", "width", "upsample")}
