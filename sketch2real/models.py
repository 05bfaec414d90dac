"""pix2pix-style models: a U-Net that turns a sketch into a photo, and a PatchGAN that judges pairs.

Choices that matter, and why (notes/06_sketch2real.md has the longer story):

* U-Net: the encoder halves the picture with 4x4 stride-2 convolutions down to a 4x4 (or 8x8) grid;
  the decoder doubles it back, and at every size it gets the encoder's features of that size as well
  (the skip connections). The lines of the sketch say exactly where edges go, and the skips carry that
  "where" straight to the output; the deep, coarse layers only have to decide "what" (skin, hair,
  shading). The last skip is the sketch itself.
* No batch statistics: InstanceNorm (each picture normalised on its own) instead of BatchNorm, so the
  page's batch of one gives the same output as training's batch of 32, and train()/eval() behave the
  same. The innermost grid (4x4) has no norm: normalising 16 numbers per channel throws most of them away.
  pix2pix's dropout is left out too: the demo should give the same face for the same drawing.
* Upsampling: nearest-neighbour resize then a 3x3 convolution (no checkerboards, see
  notes/04_failures.md), one convolution per size to keep the browser fast.
* Decoder width: by default each decoder stage has as many channels as the encoder's input at that size.
  `decoder_mult` widens the two coarsest stages above the bottom (8x8 and 16x16 in a 64x64 model), where the
  picture's 8-pixel blocks are painted; `widen_decoder` grows a trained model into such a wider one.
* Colour hints: besides the sketch, the generator can take `hint_channels` = 4 more input planes, the
  colour pen's strokes: RGB (in [-1, 1], multiplied by the coverage) and the coverage itself (0: no colour
  here, 1: painted). All zeros means "no colour given". The hints enter exactly where the sketch does (the
  first convolution and the last skip), so they can steer both the coarse "what" and the final pixels.
* PatchGAN: the discriminator sees the sketch and the photo stacked as channels and answers with a grid
  of logits, 8x8 at 64x64 pixels, one per overlapping patch (each sees up to 54x54 pixels, 31x31 in a
  corner): "is this patch a real photo of
  this sketch?". Judging patches instead of the whole picture asks for sharp texture everywhere, while
  the L1 loss takes care of the overall colours. Spectral norm keeps D's answers smooth, which steadies
  the game; it has no batch statistics either.
* Multi-scale PatchGAN (pix2pixHD, optional): more PatchGANs of the same shape judge the pair shrunk to
  half size, a quarter... A patch at half size covers twice the picture, so the coarser judges look at
  layout and shape while the finest keeps asking for texture, without a deeper (slower) single D.
* Photo-only PatchGAN (optional, `conditional=False`): the same judge without the sketch channel. It cannot
  excuse a dark line in the picture by a stroke in the drawing, so a stroke copied into the photo looks fake
  to it wherever it is (the trainer's --d-photo adds it beside the pair judge).
"""
import torch
import torch.nn.functional as F
from torch import nn
from torch.nn.utils.parametrizations import spectral_norm

from sketch2real.hints import HINT_CHANNELS

SKETCH_CHANNELS, PHOTO_CHANNELS = 1, 3


def norm(channels: int, on: bool) -> nn.Module:
    return nn.InstanceNorm2d(channels, affine=True) if on else nn.Identity()


class Down(nn.Module):
    """Halve the size: 4x4 conv with stride 2, norm, LeakyReLU."""

    def __init__(self, c_in: int, c_out: int, use_norm: bool = True):
        super().__init__()
        self.block = nn.Sequential(nn.Conv2d(c_in, c_out, 4, stride=2, padding=1, bias=not use_norm),
                                   norm(c_out, use_norm), nn.LeakyReLU(0.2, inplace=True))

    def forward(self, x):
        return self.block(x)


class Up(nn.Module):
    """Double the size, join the encoder's features of the new size, 3x3 conv, norm, ReLU."""

    def __init__(self, c_in: int, c_skip: int, c_out: int, use_norm: bool = True):
        super().__init__()
        self.up = nn.Upsample(scale_factor=2, mode="nearest")
        self.block = nn.Sequential(nn.Conv2d(c_in + c_skip, c_out, 3, padding=1, bias=not use_norm),
                                   norm(c_out, use_norm), nn.ReLU(inplace=True))

    def forward(self, x, skip):
        return self.block(torch.cat([self.up(x), skip], dim=1))


def channel_plan(image_size: int, width: int, max_channels: int, bottom: int = 4) -> list[int]:
    """Encoder channels per halving, from image_size down to `bottom` pixels: width, 2*width, ... capped."""
    if image_size % bottom or (image_size // bottom) & (image_size // bottom - 1):
        raise ValueError(f"image_size {image_size} must be {bottom} times a power of two")
    depth = (image_size // bottom).bit_length() - 1
    return [min(width * 2 ** i, max_channels) for i in range(depth)]


class UNetGenerator(nn.Module):
    """sketch [B, 1, H, W] in [-1, 1] (1 = white paper, -1 = ink), with hint_channels > 0 also
    hints [B, 4, H, W] (colour pen: RGB * coverage, coverage) -> photo [B, 3, H, W] in [-1, 1].

    W is `image_size`; H is `image_height` (default: square). Every layer is a convolution, so a portrait
    picture (the people model's 128 x 192) only needs H to halve as often as W does."""

    def __init__(self, image_size: int = 64, width: int = 32, max_channels: int = 256, out_width: int = 16,
                 hint_channels: int = 0, image_height: int | None = None, decoder_mult: float = 1.0):
        super().__init__()
        if decoder_mult < 1:
            raise ValueError(f"decoder_mult must be at least 1, not {decoder_mult}")
        if hint_channels not in (0, HINT_CHANNELS):
            raise ValueError(f"hint_channels must be 0 or {HINT_CHANNELS}, not {hint_channels}")
        self.image_size, self.hint_channels, self.decoder_mult = image_size, hint_channels, decoder_mult
        self.image_height = image_height or image_size
        chans = channel_plan(image_size, width, max_channels)
        if self.image_height % 2 ** len(chans):
            raise ValueError(f"image_height {self.image_height} must be a multiple of {2 ** len(chans)} "
                             f"(the U-Net halves a {image_size}-wide picture {len(chans)} times)")
        ins = [SKETCH_CHANNELS + hint_channels] + chans[:-1]
        self.downs = nn.ModuleList(Down(c_in, c_out, use_norm=0 < i < len(chans) - 1)
                                   for i, (c_in, c_out) in enumerate(zip(ins, chans)))
        # decoder, deepest first: from chans[-1] at the bottom back to `out_width` at full size
        self.ups = nn.ModuleList()
        c = chans[-1]
        for i in reversed(range(len(chans))):
            c_skip = ins[i]                            # the encoder's input at that size (the sketch last)
            c_out = ins[i] if i > 0 else out_width
            if i > 0 and i >= len(chans) - 2:          # the two coarsest stages above the bottom
                c_out = round(c_out * decoder_mult)
            self.ups.append(Up(c, c_skip, c_out, use_norm=i > 0))
            c = c_out
        self.to_rgb = nn.Sequential(nn.Conv2d(c, PHOTO_CHANNELS, 1), nn.Tanh())

    def forward(self, sketch, hints=None):
        if self.hint_channels:
            if hints is None:  # no colour given
                hints = sketch.new_zeros(sketch.shape[0], self.hint_channels, *sketch.shape[-2:])
            sketch = torch.cat([sketch, hints], dim=1)
        elif hints is not None:
            raise ValueError("this generator was built without colour hints (hint_channels=0)")
        skips, x = [], sketch
        for down in self.downs:
            skips.append(x)
            x = down(x)
        for up, skip in zip(self.ups, reversed(skips)):
            x = up(x, skip)
        return self.to_rgb(x)


class PatchDiscriminator(nn.Module):
    """(sketch [B, 1, S, S], photo [B, 3, S, S]) -> logits [B, 1, s, s], one per overlapping patch.
    With `conditional=False` it judges the photo alone and ignores the sketch ("is this a real photo?",
    whatever was drawn): the trainer's --d-photo."""

    def __init__(self, width: int = 64, layers: int = 3, conditional: bool = True):
        super().__init__()
        self.conditional = conditional
        blocks, c = [], (SKETCH_CHANNELS if conditional else 0) + PHOTO_CHANNELS
        for i in range(layers):  # each halves the size and widens the patch each logit sees
            c_out = width * 2 ** i
            blocks += [spectral_norm(nn.Conv2d(c, c_out, 4, stride=2, padding=1)), nn.LeakyReLU(0.2, inplace=True)]
            c = c_out
        blocks += [spectral_norm(nn.Conv2d(c, c, 3, padding=1)), nn.LeakyReLU(0.2, inplace=True),
                   spectral_norm(nn.Conv2d(c, 1, 3, padding=1))]
        self.net = nn.Sequential(*blocks)

    def forward(self, sketch, photo, features: bool = False):
        """Logits; with `features`, also every hidden layer's activations (for feature matching)."""
        x = torch.cat([sketch, photo], dim=1) if self.conditional else photo
        if not features:
            return self.net(x)
        hidden = []
        for layer in self.net:
            x = layer(x)
            if isinstance(layer, nn.LeakyReLU):
                hidden.append(x)
        return x, hidden


def half_size(x: torch.Tensor) -> torch.Tensor:
    """The picture at half size, as pix2pixHD shrinks it for its coarser discriminators (a 3x3 mean with
    stride 2; border pixels average only what lies inside the picture)."""
    return F.avg_pool2d(x, 3, stride=2, padding=1, count_include_pad=False)


class MultiScaleDiscriminator(nn.Module):
    """`scales` PatchGANs of the same shape; the k-th judges the (sketch, photo) pair halved k times.
    (sketch, photo) -> a list of logits, finest scale first; with `features`, also every scale's hidden
    activations, one flat list (all scales have the same layers, so its mean is the mean over scales)."""

    def __init__(self, width: int = 64, layers: int = 3, scales: int = 2):
        super().__init__()
        self.patchgans = nn.ModuleList(PatchDiscriminator(width, layers) for _ in range(scales))

    def forward(self, sketch, photo, features: bool = False):
        logits, hidden = [], []
        for i, patchgan in enumerate(self.patchgans):
            if i:
                sketch, photo = half_size(sketch), half_size(photo)
            if features:
                logit, h = patchgan(sketch, photo, features=True)
                hidden += h
            else:
                logit = patchgan(sketch, photo)
            logits.append(logit)
        return (logits, hidden) if features else logits


def generator_config(image_size: int, width: int, max_channels: int, out_width: int, hint_channels: int = 0,
                     image_height: int | None = None, decoder_mult: float = 1.0) -> dict:
    """The generator's constructor arguments, as a release's JSON keeps them (image_height only when the
    picture is not square, decoder_mult only when not 1, so earlier releases read as before)."""
    config = {"image_size": image_size, "width": width, "max_channels": max_channels, "out_width": out_width,
              "hint_channels": hint_channels}
    if image_height is not None and image_height != image_size:
        config["image_height"] = image_height
    if decoder_mult != 1:
        config["decoder_mult"] = decoder_mult
    return config


def discriminator_config(width: int, layers: int, scales: int = 1, conditional: bool = True) -> dict:
    """The discriminator's constructor arguments (scales only when more than one, conditional only when not,
    so earlier releases and checkpoints read as before)."""
    return {"width": width, "layers": layers, **({"scales": scales} if scales > 1 else {}),
            **({} if conditional else {"conditional": False})}


def build_discriminator(scales: int = 1, **config) -> PatchDiscriminator | MultiScaleDiscriminator:
    """One PatchGAN, exactly as before multi-scale existed (same weights' names), or several (scales > 1)."""
    return PatchDiscriminator(**config) if scales == 1 else MultiScaleDiscriminator(scales=scales, **config)


def patchgans(d: nn.Module) -> list[PatchDiscriminator]:
    """A discriminator's PatchGANs, finest scale first (a single PatchGAN is a list of one)."""
    return list(d.patchgans) if isinstance(d, MultiScaleDiscriminator) else [d]


def widen_inputs(state: dict, model: UNetGenerator) -> dict:
    """A state dict of a generator without hints, made to fit `model` (which has them): the weights that
    read the input get zero weights for the new hint planes, so the widened model draws exactly what the
    old one drew until training teaches it to use colour. Other shapes must already match."""
    target = model.state_dict()
    out = dict(state)
    for name, w in state.items():
        want = target.get(name)
        if want is None or want.shape == w.shape:
            continue
        if w.ndim == 4 and want.shape[0] == w.shape[0] and want.shape[1] == w.shape[1] + model.hint_channels:
            wide = torch.zeros(want.shape, dtype=w.dtype)
            # the input planes sit last in the tensor that this weight reads: [.., sketch] -> [.., sketch, hints]
            wide[:, : w.shape[1]] = w
            out[name] = wide
    return out


def widen_decoder(old: UNetGenerator, new: UNetGenerator) -> dict:
    """A state dict for `new`, a generator like `old` but with a wider decoder (larger decoder_mult), that
    draws exactly what `old` draws. Every weight `old` has is copied to its place. The new channels keep
    `new`'s fresh random weights on the side that computes them, and get zero weights on the side that reads
    them, so they start silent; the reading weights still receive gradients, and the channels learn."""
    old_state, state = old.state_dict(), {k: v.clone() for k, v in new.state_dict().items()}
    if set(old_state) != set(state):
        raise ValueError("widen_decoder needs two generators of the same layout (only decoder_mult may differ)")

    def place(name: str, reads_new: tuple[int, int] | None = None) -> None:
        """Copy old[name] into state[name]. For a weight that reads the concatenation [previous stage, skip],
        `reads_new` = (old, new) channel counts of the previous stage: the skip's channels move along."""
        w_old, w = old_state[name], state[name]
        rows = w_old.shape[0]
        if reads_new is None:
            w[:rows] = w_old
            return
        before, after = reads_new
        w[:, before:after] = 0                     # the new channels of the previous stage are read silently
        w[:rows, :before] = w_old[:, :before]
        w[:rows, after:] = w_old[:, before:]

    prev_old = prev_new = old.downs[-1].block[0].out_channels   # the bottom: the same in both
    for k, (up_old, up_new) in enumerate(zip(old.ups, new.ups)):
        conv_old, conv_new = up_old.block[0], up_new.block[0]
        if conv_new.out_channels < conv_old.out_channels:
            raise ValueError(f"widen_decoder: decoder stage {k} of the new generator is narrower "
                             f"({conv_new.out_channels} < {conv_old.out_channels} channels)")
        place(f"ups.{k}.block.0.weight", (prev_old, prev_new))
        for name in (f"ups.{k}.block.0.bias", f"ups.{k}.block.1.weight", f"ups.{k}.block.1.bias"):
            if name in state:
                place(name)
        prev_old, prev_new = conv_old.out_channels, conv_new.out_channels
    place("to_rgb.0.weight", (prev_old, prev_new))
    place("to_rgb.0.bias")
    for name in state:
        if not name.startswith(("ups.", "to_rgb.")):
            if state[name].shape != old_state[name].shape:
                raise ValueError(f"widen_decoder: {name} differs outside the decoder")
            state[name] = old_state[name].clone()
    return state


def build_generator(**config) -> UNetGenerator:
    return UNetGenerator(**config)


def count_parameters(model: nn.Module) -> int:
    return sum(p.numel() for p in model.parameters())
