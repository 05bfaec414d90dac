"""sketch2real's command line: every option of `python -m sketch2real.train`, its default for each dataset and
the checks that refuse a contradictory combination before any data is loaded (pix2pix's repository keeps its
options apart from the trainer the same way). The trainer's docstring has the usual command lines.
"""
import argparse
from pathlib import Path

from ganlab import cli
from sketch2real.continuation import discriminator_path
from sketch2real.data import CACHE_DIR
from sketch2real.losses import CLASSIFIER_WEIGHTS

DATASETS = {"faces": (64, 64), "shoes_bags": (128, 128), "people": (192, 128)}  # (height, width) of the pictures
DEFAULT_WIDTH = {"faces": 32, "shoes_bags": 32, "people": 16}  # people: 16 keeps the ONNX file under 8 MB
# L1's weight beside the GAN loss, as each released model was trained (notes/06 sections 5.4 and 5.6)
DEFAULT_LAMBDA_L1 = {"faces": 10.0, "shoes_bags": 30.0, "people": 30.0}
# the colour-follow loss (--hint-colour) and the share of pairs given no colour (--hint-none), as each release
# was last trained (faces: notes/06 section 5.8)
DEFAULT_HINT_COLOUR = {"faces": 2.0, "shoes_bags": 0.0, "people": 0.0}
DEFAULT_HINT_NONE = {"faces": 0.6, "shoes_bags": 0.4, "people": 0.4}


def parse_args(argv=None):
    p = argparse.ArgumentParser(prog="python -m sketch2real.train",
                                description="Train the sketch -> photo model (pix2pix).",
                                formatter_class=argparse.ArgumentDefaultsHelpFormatter)
    g = p.add_argument_group("data and output")
    g.add_argument("--dataset", default="faces", choices=list(DATASETS))
    g.add_argument("--kind", default="all", choices=["all", "shoes", "bags"], help="shoes_bags only: which objects")
    g.add_argument("--data-dir", type=cli.existing_path, default=None,
                   help="the dataset's npz or a folder of images (default: "
                        "../shared/data/faces_celeba, shoes_bags_edges or people_ccp)")
    g.add_argument("--out", type=cli.output_dir, default=None, help="run folder (default: runs/sketch2real_<dataset>)")
    g.add_argument("--resume", action="store_true", help="continue from the newest checkpoint in --out")
    g.add_argument("--init-from", type=cli.release_file, default=None,
                   help="start from released weights (<name>.safetensors: the EMA generator, and its discriminator "
                        "<name>.discriminator.safetensors); optimisers start fresh. Training time adds up")
    g.add_argument("--fresh-discriminator", action="store_true",
                   help="with --init-from: start a new discriminator (for a release that has none)")
    g.add_argument("--cache-dir", type=cli.output_dir, default=CACHE_DIR,
                   help="where decoded pictures and sketches are cached")
    g.add_argument("--variants", type=cli.positive_int, default=4, help="synthetic sketches made per training photo")
    g.add_argument("--doodles", type=cli.float_in(0, 1), default=None,
                   help="faces: share of training sketches that are landmark doodles (sketch2real.doodle) instead "
                        "of edge sketches (default 0.5 when the landmark cache exists, else 0 with a note)")
    g.add_argument("--reframe", type=cli.float_in(0, 1), default=0.0,
                   help="share of training pairs whose drawing is resized (0.8-1.25 along each axis), turned (up to "
                        "10 degrees) and shifted (up to 8 %%) against its photo, which stays framed as the dataset "
                        "frames it: people draw a head of any size anywhere on the page, and the model should still "
                        "make a well-framed face. 0: off")
    g.add_argument("--zoom", type=cli.float_in(0, 1), default=0.0,
                   help="share of training pairs cropped, drawing and photo alike, to a random window 1 to 1/1.15 "
                        "of the picture across and resized back: faces a little larger and a few pixels off the "
                        "dataset's framing, still matching their drawing. 0: off")
    g.add_argument("--limit", type=cli.non_negative_int, default=0, help="use only the first N training pairs (0: all)")
    g = p.add_argument_group("model")
    g.add_argument("--width", type=cli.positive_int, default=None,
                   help="U-Net channels after the first halving (default: 16 for people, else 32)")
    g.add_argument("--max-channels", type=cli.positive_int, default=256, help="cap on U-Net channels")
    g.add_argument("--out-width", type=cli.positive_int, default=16, help="U-Net channels at full size, before RGB")
    g.add_argument("--decoder-mult", type=cli.float_in(1, 4), default=1.0,
                   help="widen the two coarsest decoder stages (8x8 and 16x16 at 64 px) by this factor; a narrower "
                        "--init-from release is widened with new channels that start silent")
    g.add_argument("--d-width", type=cli.positive_int, default=32, help="PatchGAN channels after the first halving")
    g.add_argument("--d-layers", type=cli.positive_int, default=3,
                   help="PatchGAN halvings (3: an 8x8 grid of logits at 64x64)")
    g.add_argument("--d-scales", type=cli.positive_int, default=1,
                   help="pix2pixHD's multi-scale discriminator: N PatchGANs of the same shape, the k-th judging the "
                        "pair at 1/2^k size; D's loss and G's GAN loss are means over the scales. The release keeps "
                        "the finest in <name>.discriminator.safetensors (what any --init-from loads) and, for N > 1, "
                        "all N in <name>.multiscale_discriminator.safetensors; --init-from with N > 1 loads as many "
                        "scales as the release has and starts the others fresh")
    g.add_argument("--d-photo", type=cli.non_negative_float, default=0.0,
                   help="weight of a second PatchGAN's loss that judges the generated photo alone, without the "
                        "sketch: a stroke copied from a doodle into the picture looks fake to it whatever was "
                        "drawn. 0: off")
    g.add_argument("--unpaired", type=cli.non_negative_float, default=0.0,
                   help="with --d-photo: weight of the photo-only judge's loss on pictures drawn from sketches that "
                        "match no photo (the batch's own, turned, stretched, shifted and partly wiped: "
                        "sketch2real.pairs.distorted_drawings). No L1 pulls them towards a photo; they only have "
                        "to look like one. 0: off")
    g.add_argument("--hints", action=argparse.BooleanOptionalAction, default=True,
                   help="colour-hint inputs (the page's colour pen), sampled from the photo in training")
    g.add_argument("--hint-none", type=cli.float_in(0, 1), default=None,
                   help="share of training pairs given no colour hint (default: 0.6 for faces, else 0.4)")
    g.add_argument("--blank-sketch", type=cli.float_in(0, 1), default=0.03,
                   help="share of pairs with colour whose sketch is blank paper (a drawing in colour only)")
    g = p.add_argument_group("optimisation")
    g.add_argument("--l1-only", action="store_true", help="no discriminator: the L1 regression baseline")
    g.add_argument("--lambda-l1", type=cli.non_negative_float, default=None,
                   help="weight of L1 next to the GAN loss (default: 10 for faces, 30 otherwise). Version 1 used "
                        "pix2pix's 100; with doodles in training 30 halved the held-out distances at equal time, "
                        "and 10 did better again on faces (notes/06 sections 5.4 and 5.6)")
    g.add_argument("--l1-pool", type=cli.positive_int, default=1,
                   help="compare output and photo in L1 after averaging KxK blocks: a doodle is warped against its "
                        "photo, and a coarser L1 asks for the right colours and layout, not the photo's exact pixels")
    g.add_argument("--feature-matching", type=cli.non_negative_float, default=0.0,
                   help="weight of pix2pixHD's feature matching: L1 between D's hidden activations for the real and "
                        "the generated photo of the same sketch (0: off)")
    g.add_argument("--perceptual", type=cli.non_negative_float, default=0.0,
                   help="weight of a perceptual L1 between the generated and the real photo, on the early features "
                        "of the project's frozen CIFAR-10 classifier (sketch2real.losses: both shrunk to 32 pixels "
                        "on the shorter side; needs cifar10_gan/weights/classifier.safetensors) (0: off)")
    g.add_argument("--diffaug", action="store_true",
                   help="DiffAugment: D sees real and generated pairs shifted, cut out and recoloured alike "
                        "(ganlab.augment), so it memorises the training photos less")
    g.add_argument("--hint-colour", type=cli.non_negative_float, default=None,
                   help="weight of an L1 between the output's local colour (3x3 mean) and the colour asked for, "
                        "inside the hinted regions: the photo's own texture there is not what the pen asked for "
                        "(default: 1 for faces with --hints, else 0: off)")
    g.add_argument("--steps", type=cli.positive_int, default=20000)
    g.add_argument("--minutes", type=cli.positive_float, default=None, help="also stop after this much training time")
    g.add_argument("--batch-size", type=cli.positive_int, default=32)
    g.add_argument("--lr-g", type=cli.positive_float, default=2e-4)
    g.add_argument("--lr-d", type=cli.positive_float, default=2e-4)
    g.add_argument("--lr-decay-from", type=cli.non_negative_int, default=None,
                   help="from this step on, lower both learning rates linearly to zero at --steps (pix2pix's "
                        "schedule; a finishing phase that settles the last speckles). Default: constant")
    g.add_argument("--beta1", type=cli.float_in(0, 1, high_open=True), default=0.5)
    g.add_argument("--ema", type=cli.float_in(0, 1, high_open=True), default=0.999,
                   help="decay of the generator's weight average (0: off)")
    g.add_argument("--seed", type=int, default=0)
    g = p.add_argument_group("speed")
    g.add_argument("--device", type=cli.device, default="auto", help="auto, cpu or cuda")
    g.add_argument("--precision", default="auto", choices=["auto", "fp32", "bf16"],
                   help="auto: bf16 autocast on CUDA, fp32 on CPU")
    g.add_argument("--channels-last", action=argparse.BooleanOptionalAction, default=True)
    g.add_argument("--threads", type=cli.non_negative_int, default=0, help="CPU threads for torch (0: torch's default)")
    g.add_argument("--compile", action="store_true", help="torch.compile G and D (worth it on CUDA)")
    g = p.add_argument_group("logging")
    g.add_argument("--log-every", type=cli.positive_int, default=50)
    g.add_argument("--sample-every", type=cli.non_negative_int, default=500)
    g.add_argument("--eval-every", type=cli.non_negative_int, default=500,
                   help="held-out L1 on --eval-pairs pairs (0: off)")
    g.add_argument("--eval-pairs", type=cli.positive_int, default=200)
    g.add_argument("--ckpt-every", type=cli.positive_int, default=250)
    g.add_argument("--keep", type=cli.positive_int, default=3, help="checkpoints kept")
    g.add_argument("--quiet", action="store_true", help="no progress bar")
    p.add_argument("--debug-nan-at-step", type=int, default=None, help=argparse.SUPPRESS)  # tests the NaN guard
    args = p.parse_args(argv)
    if args.init_from is not None:
        if args.resume:
            p.error("--init-from starts a new run; --resume continues one: give one of them")
        if not (args.l1_only or args.fresh_discriminator or discriminator_path(args.init_from).is_file()):
            p.error(f"--init-from {args.init_from}: its discriminator {discriminator_path(args.init_from)} is missing "
                    "(released before discriminators were kept); add --fresh-discriminator to start a new one")
    if args.out is None:
        args.out = Path(f"runs/sketch2real_{args.dataset}" + ("_l1" if args.l1_only else ""))
    if args.width is None:
        args.width = DEFAULT_WIDTH[args.dataset]
    if args.lambda_l1 is None:
        args.lambda_l1 = DEFAULT_LAMBDA_L1[args.dataset]
    if args.l1_only and (args.feature_matching or args.diffaug or args.d_scales > 1 or args.d_photo):
        p.error("--feature-matching, --diffaug, --d-scales and --d-photo act on discriminators, which --l1-only "
                "does not have")
    if args.unpaired and not args.d_photo:
        p.error("--unpaired is judged by the photo-only discriminator: add --d-photo")
    if args.perceptual and not CLASSIFIER_WEIGHTS.is_file():
        p.error(f"--perceptual needs the CIFAR-10 classifier's weights {CLASSIFIER_WEIGHTS}, which are missing "
                "(train them with python -m cifar10_gan.classifier)")
    if args.lr_decay_from is not None and args.lr_decay_from >= args.steps:
        p.error(f"--lr-decay-from {args.lr_decay_from} must come before --steps {args.steps}")
    if args.hint_none is None:
        args.hint_none = DEFAULT_HINT_NONE[args.dataset]
    if args.hint_colour is None:
        args.hint_colour = DEFAULT_HINT_COLOUR[args.dataset] if args.hints else 0.0
    if args.hint_colour and not args.hints:
        p.error("--hint-colour needs the colour-hint inputs (--hints)")
    if args.doodles and args.dataset != "faces":
        p.error("--doodles is for faces (landmark doodles); people get their drawings from their pose")
    return args
