"""Headless Chromium for the browser tests and the benchmark (Playwright driving the system's Chromium).

Playwright never downloads a browser here: it is pointed at /usr/bin/chromium (Debian's package), or at
$CHROMIUM when that is set. Each launch runs on a fresh temporary profile (Playwright makes one and
deletes it), and host resolution is mapped so that any name but the local server fails at once: the
pages cannot reach outside even by mistake.
"""
import os
import shutil
from contextlib import contextmanager
from pathlib import Path

CHROMIUM_ARGS = [
    "--headless", "--no-sandbox", "--disable-gpu", "--disable-quic", "--no-first-run",
    "--disable-background-networking", "--disable-component-update", "--disable-sync",
    # every host name resolves to nothing except the loopback one the tests serve from
    "--host-resolver-rules=MAP * ~NOTFOUND, EXCLUDE localhost, EXCLUDE 127.0.0.1",
]


def chromium_path() -> str | None:
    """The Chromium binary to drive, or None when there is none."""
    candidates = [os.environ.get("CHROMIUM"), "/usr/bin/chromium", shutil.which("chromium"),
                  shutil.which("chromium-browser")]
    return next((c for c in candidates if c and Path(c).is_file() and os.access(c, os.X_OK)), None)


def playwright_missing() -> str | None:
    """Why the browser tools cannot run here, or None when they can."""
    try:
        import playwright.sync_api  # noqa: F401
    except ImportError:
        return "the Python package playwright is not installed (pip install playwright==1.65.2)"
    if chromium_path() is None:
        return "no Chromium at /usr/bin/chromium (apt-get install chromium); set $CHROMIUM to use another"
    return None


def require_browser_tools() -> None:
    """Stop a benchmark command at once, with the reason, when Playwright, Chromium or the vendored
    runtimes are missing."""
    reason = playwright_missing()
    if reason:
        raise SystemExit(f"error: {reason}")
    vendor = Path(__file__).resolve().parent / "vendor" / "ort" / "ort.wasm.min.mjs"
    if not vendor.is_file():
        raise SystemExit("error: web/vendor/ is missing; run `npm ci --ignore-scripts && npm run vendor` in web/")


# WebGPU on SwiftShader, Chromium's CPU implementation of Vulkan: slow, but it runs the real WebGPU code
# path on a machine without a GPU (used by the opt-in WebGPU test).
SOFTWARE_WEBGPU_ARGS = ["--enable-unsafe-webgpu", "--use-webgpu-adapter=swiftshader", "--enable-features=Vulkan"]


def launch(playwright, software_webgpu: bool = False):
    """A Playwright Browser on a fresh temporary profile; every new_context() starts with an empty cache.

    software_webgpu=True drops --disable-gpu and gives the browser a SwiftShader WebGPU adapter."""
    args = CHROMIUM_ARGS
    if software_webgpu:
        args = [a for a in CHROMIUM_ARGS if a != "--disable-gpu"] + SOFTWARE_WEBGPU_ARGS
    return playwright.chromium.launch(executable_path=chromium_path(), headless=True, args=args)


@contextmanager
def chromium(software_webgpu: bool = False):
    """launch() inside its own Playwright session, closed on exit."""
    from playwright.sync_api import sync_playwright

    with sync_playwright() as p:
        browser = launch(p, software_webgpu)
        try:
            yield browser
        finally:
            browser.close()


# A browser with no service workers (Firefox's private windows, some in-app browsers) has no
# navigator.serviceWorker. Playwright's service_workers="block" alone makes register() resolve to undefined,
# which no browser does, so the API is taken away as well.
NO_SERVICE_WORKERS = "delete Navigator.prototype.serviceWorker;"


def new_context(browser, service_workers: bool = False):
    """A browser context sized like a laptop window, accepting downloads.

    Without service workers (the default) a page served without COOP/COEP stays as it is: one wasm thread,
    no reload. service_workers=True lets the pages' coi-serviceworker isolate them as it does on GitHub
    Pages (it reloads a page once; tests/test_coi.py)."""
    context = browser.new_context(accept_downloads=True, viewport={"width": 1100, "height": 900},
                                  service_workers="allow" if service_workers else "block")
    if not service_workers:
        context.add_init_script(NO_SERVICE_WORKERS)
    return context
