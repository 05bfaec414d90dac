#!/usr/bin/env bash
# The main job: set up the environment (first run only), then serve the demo site on the committed models.
#   ./run.sh                 -> http://127.0.0.1:8000/  (open it in a browser; Ctrl-C stops)
#   ./run.sh --port 8080     -> any flag of `python -m web.serve`
set -euo pipefail
source "$(dirname "$0")/scripts/setup.sh"
python -m web.serve "$@"
