#!/usr/bin/env bash
# The main job: set up the environment (first run only), then draw digits with the committed generator.
#   ./run.sh                 -> samples.png, one row per digit
#   ./run.sh --digit 7       -> any flag of `python -m mnist_gan.generate`
set -euo pipefail
source "$(dirname "$0")/scripts/setup.sh"
python -m mnist_gan.generate "$@"
