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
# The web demo's browser runtimes (pinned in web/package-lock.json), copied into web/vendor/ when the lock changes.
_web_stamp="$_repo/web/vendor/.lock.sha256"
_web_want="$(sha256sum "$_repo/web/package-lock.json" | cut -d' ' -f1)"
if [ "$(cat "$_web_stamp" 2>/dev/null)" != "$_web_want" ]; then
    command -v npm >/dev/null || { echo "setup: npm not found (apt-get install nodejs npm)" >&2; return 1; }
    echo "setup: installing the web demo's runtimes (npm ci in web/)"
    (cd "$_repo/web" && npm ci --ignore-scripts --no-audit --no-fund --loglevel=error && npm run --silent vendor) \
        || { echo "setup: npm ci / npm run vendor in web/ failed" >&2; return 1; }
    echo "$_web_want" > "$_web_stamp"
fi
source "$_repo/.venv/bin/activate"
export PYTHONPATH="$_repo${PYTHONPATH:+:$PYTHONPATH}"
cd "$_repo"
