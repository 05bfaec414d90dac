#!/usr/bin/env bash
# Set up the environment if needed, then run every test, the notebook in smoke mode included.
#   ./test.sh                -> python -m pytest
#   ./test.sh -k resume      -> extra arguments go to pytest
set -euo pipefail
source "$(dirname "$0")/scripts/setup.sh"
python -m pytest "$@"
