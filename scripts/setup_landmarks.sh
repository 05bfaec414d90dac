#!/usr/bin/env bash
# Creates .venv-landmarks (Python 3.11) on first use and installs requirements-landmarks.txt whenever it
# changes: mediapipe's face mesh, used once to write facial landmarks to data/cache/ for the landmark-doodle
# training sketches, and body keypoints (mediapipe pose) for the person drawings. Separate from .venv because
# mediapipe 0.10.14 needs protobuf < 5 and onnx needs >= 6.
#     bash scripts/setup_landmarks.sh && .venv-landmarks/bin/python -m sketch2real.landmarks
#     bash scripts/setup_landmarks.sh && .venv-landmarks/bin/python -m sketch2real.pose
# The demo and the trainer do not need it: without the landmark cache, training uses edge sketches only.
set -euo pipefail
_repo="$(cd "$(dirname "${BASH_SOURCE[0]}")/.." && pwd)"
_python="${PYTHON:-$(command -v python3.11 || command -v python3)}"
_venv="$_repo/.venv-landmarks"
if [ ! -x "$_venv/bin/python" ]; then
    echo "setup_landmarks: creating $_venv with $_python"
    "$_python" -m venv "$_venv" || { echo "setup_landmarks: could not create a virtual environment" >&2; exit 1; }
fi
_stamp="$_venv/.requirements.sha256"
_want="$(sha256sum "$_repo/requirements-landmarks.txt" | cut -d' ' -f1)"
if [ "$(cat "$_stamp" 2>/dev/null)" != "$_want" ]; then
    echo "setup_landmarks: installing requirements-landmarks.txt (about 2 minutes: mediapipe pulls jax and opencv)"
    "$_venv/bin/python" -m pip install --quiet --disable-pip-version-check -r "$_repo/requirements-landmarks.txt" \
        || { echo "setup_landmarks: pip install failed" >&2; exit 1; }
    "$_venv/bin/python" -c "import mediapipe as mp; mp.solutions.face_mesh.FaceMesh; mp.solutions.pose.Pose" \
        || { echo "setup_landmarks: mediapipe does not import in $_venv" >&2; exit 1; }
    echo "$_want" > "$_stamp"
fi
echo "setup_landmarks: ready; run $_venv/bin/python -m sketch2real.landmarks"
