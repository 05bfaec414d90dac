# Source this file: creates .venv (Python 3.11) on first use, installs requirements.txt whenever it
# changes, and activates the environment. Used by run.sh, test.sh and CI.
_repo="$(cd "$(dirname "${BASH_SOURCE[0]}")/.." && pwd)"
_python="${PYTHON:-$(command -v python3.11 || command -v python3)}"
if [ ! -x "$_repo/.venv/bin/python" ]; then
    echo "setup: creating $_repo/.venv with $_python"
    "$_python" -m venv "$_repo/.venv" || { echo "setup: could not create a virtual environment" >&2; return 1; }
fi
_stamp="$_repo/.venv/.requirements.sha256"
_want="$(sha256sum "$_repo/requirements.txt" | cut -d' ' -f1)"
if [ "$(cat "$_stamp" 2>/dev/null)" != "$_want" ]; then
    echo "setup: installing requirements.txt (the first time takes a few minutes: PyTorch is large)"
    "$_repo/.venv/bin/python" -m pip install --quiet --disable-pip-version-check -r "$_repo/requirements.txt" \
        || { echo "setup: pip install failed" >&2; return 1; }
    echo "$_want" > "$_stamp"
fi
source "$_repo/.venv/bin/activate"
export PYTHONPATH="$_repo${PYTHONPATH:+:$PYTHONPATH}"
cd "$_repo"
