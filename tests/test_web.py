"""The static demo site (web/): its server, and the MNIST page in headless Chromium.

The browser checks drive /usr/bin/chromium through Playwright against `web.serve` on a free localhost
port. References come from PyTorch: the committed release generator run on the exact noise vectors
and digits the page reports, so the tests follow whatever model files are committed. They need the
runtimes vendored into web/vendor/ (`npm ci --ignore-scripts && npm run vendor` in web/).
"""
import gzip
import json
import math
import os
import subprocess
import sys
import time
import urllib.error
import urllib.request
from pathlib import Path
from urllib.parse import parse_qs, urlsplit

import numpy as np
import pytest

from web.browser import launch, new_context, playwright_missing
from web.serve import SITE, serve_in_thread

REPO = Path(__file__).resolve().parent.parent
VENDOR_HINT = "web/vendor/ is missing: run `npm ci --ignore-scripts && npm run vendor` in web/ (scripts/setup.sh does)"
ORT_TOL = 1e-3           # ONNX Runtime Web (float32) vs PyTorch
TFJS_TOL = 2e-2          # TF.js with float16 weights vs PyTorch
LOAD_MS = 60_000



# ------------------------------------------------------------------ the page's noise, in Python

M32 = 0xFFFFFFFF


def hash32(x: int) -> int:
    h = x & M32
    h ^= h >> 16
    h = (h * 0x85EBCA6B) & M32
    h ^= h >> 13
    h = (h * 0xC2B2AE35) & M32
    h ^= h >> 16
    return h


def uniform(seed: int, k: int) -> float:
    key = hash32((seed & M32) ^ 0x2545F491)
    return (hash32((key + (k + 1) * 0x9E3779B9) & M32) + 0.5) / 2**32


def normals(seed: int, count: int, start: int = 0) -> np.ndarray:
    out = np.empty(count, np.float32)
    for i in range(count):
        n = start + i
        pair = n >> 1
        radius = math.sqrt(-2 * math.log(uniform(seed, 2 * pair)))
        angle = 2 * math.pi * uniform(seed, 2 * pair + 1)
        out[i] = radius * (math.cos(angle) if n % 2 == 0 else math.sin(angle))
    return out


def grid_noise(seed: int, z_dim: int = 64) -> np.ndarray:
    return normals(seed, 64 * z_dim).reshape(64, z_dim)


def grid_digits(seed: int) -> np.ndarray:
    return np.array([math.floor(uniform(seed, (1 << 24) + i) * 10) for i in range(64)])


def slerp(a: np.ndarray, b: np.ndarray, t: float) -> np.ndarray:
    a64, b64 = a.astype(np.float64), b.astype(np.float64)
    omega = math.acos(max(-1.0, min(1.0, float(a64 @ b64 / math.sqrt((a64 @ a64) * (b64 @ b64))))))
    return ((math.sin((1 - t) * omega) * a64 + math.sin(t * omega) * b64) / math.sin(omega)).astype(np.float32)


def test_noise_twin_is_deterministic():
    """The Python twin of web/js/noise.mjs: fixed values, unit-ish statistics, digits in range."""
    z = grid_noise(7)
    assert z.shape == (64, 64) and np.array_equal(z, grid_noise(7)) and not np.array_equal(z, grid_noise(8))
    assert abs(z.mean()) < 0.05 and abs(z.std() - 1) < 0.05
    assert set(grid_digits(7)) <= set(range(10)) and len(set(grid_digits(7))) > 5


# ------------------------------------------------------------------ server (no browser needed)

def fetch(url: str, gzip_ok: bool = False):
    request = urllib.request.Request(url, headers={"Accept-Encoding": "gzip"} if gzip_ok else {})
    try:
        with urllib.request.urlopen(request, timeout=10) as response:
            return response.status, response.headers, response.read()
    except urllib.error.HTTPError as e:
        return e.code, e.headers, e.read()


def _running_site(isolation: bool):
    server, base = serve_in_thread(isolation=isolation)
    yield server, base
    server.shutdown()
    server.server_close()


@pytest.fixture(scope="module")
def site():
    yield from _running_site(isolation=True)


@pytest.fixture(scope="module")
def plain_site():
    yield from _running_site(isolation=False)


def test_server_types_headers_and_refusals(site, plain_site):
    _, base = site
    tfjs_shard = next((SITE / "models" / "mnist_generator_tfjs").glob("*.bin"))
    expect = {"index.html": "text/html", "mnist.html": "text/html", "js/mnist.mjs": "text/javascript",
              "css/site.css": "text/css", "models/mnist_generator.onnx": "application/octet-stream",
              "models/mnist_generator.json": "application/json",
              f"models/mnist_generator_tfjs/{tfjs_shard.name}": "application/octet-stream"}
    if (SITE / "vendor").is_dir():
        expect["vendor/ort/ort-wasm-simd-threaded.wasm"] = "application/wasm"
    for path, mime in expect.items():
        status, headers, body = fetch(base + path)
        assert status == 200, path
        assert headers["Content-Type"].startswith(mime), (path, headers["Content-Type"])
        assert body == (SITE / path).read_bytes(), path
        assert headers["Cross-Origin-Opener-Policy"] == "same-origin"
        assert headers["Cross-Origin-Embedder-Policy"] == "require-corp"
    status, headers, body = fetch(base, gzip_ok=True)            # folder -> index.html, gzipped on request
    assert status == 200 and headers["Content-Encoding"] == "gzip"
    assert gzip.decompress(body) == (SITE / "index.html").read_bytes()
    for private in ("serve.py", "package.json", "tools/vendor.mjs", "node_modules/", "../README.md",
                    "%2e%2e/README.md", "models/nothing.onnx", ".gitignore"):
        assert fetch(base + private)[0] == 404, private
    _, plain = plain_site
    status, headers, _ = fetch(plain + "mnist.html")
    assert status == 200 and "Cross-Origin-Opener-Policy" not in headers and "Cross-Origin-Embedder-Policy" not in headers


def test_serve_command_line():
    """`python -m web.serve --port N` serves the site until stopped."""
    import socket

    with socket.socket() as s:
        s.bind(("127.0.0.1", 0))
        port = s.getsockname()[1]
    proc = subprocess.Popen([sys.executable, "-m", "web.serve", "--port", str(port), "--no-isolation"],
                            cwd=REPO, stdout=subprocess.PIPE, stderr=subprocess.STDOUT, text=True)
    try:
        for _ in range(100):
            try:
                status, headers, _ = fetch(f"http://127.0.0.1:{port}/index.html")
                break
            except (urllib.error.URLError, ConnectionError):
                time.sleep(0.1)
        else:
            pytest.fail("web.serve did not answer")
        assert status == 200 and "Cross-Origin-Opener-Policy" not in headers
    finally:
        proc.terminate()
        proc.wait(timeout=10)


# ------------------------------------------------------------------ browser fixtures and helpers

browser_reason = playwright_missing()
needs_browser = pytest.mark.skipif(browser_reason is not None, reason=f"browser tests skipped: {browser_reason}")


@pytest.fixture(scope="module")
def pw():
    if not all((SITE / f).is_file() for f in ("vendor/ort/ort.wasm.min.mjs", "coi-serviceworker.min.js")):
        pytest.fail(VENDOR_HINT)
    from playwright.sync_api import sync_playwright

    with sync_playwright() as p:
        yield p


@pytest.fixture(scope="module")
def browser(pw):
    b = launch(pw)
    yield b
    b.close()


@pytest.fixture(scope="module")
def generator():
    from mnist_gan.generate import load_generator

    return load_generator()


def reference(generator, z, digits) -> np.ndarray:
    import torch

    z = torch.as_tensor(np.asarray(z, np.float32)).reshape(len(digits), -1)
    with torch.no_grad():
        return generator(z, torch.as_tensor(np.asarray(digits), dtype=torch.long)).numpy()


class Tab:
    """One page in a fresh browser context, recording console errors and every request it makes."""

    def __init__(self, browser, base: str, service_workers: bool = False):
        self.base = base
        self.context = new_context(browser, service_workers)
        self.errors, self.requests = [], []
        self.context.on("request", lambda r: self.requests.append(r.url))
        self.page = self.context.new_page()
        self.page.on("console", lambda m: m.type == "error" and self.errors.append(m.text))
        self.page.on("pageerror", lambda e: self.errors.append(f"uncaught: {e}"))

    def open(self, query: str = "", page: str = "mnist.html"):
        self.page.goto(self.base + page + query)
        return self

    def wait_idle(self, timeout=LOAD_MS):
        self.page.wait_for_function("() => window.mnistDemo && mnistDemo.idle()", timeout=timeout)
        return self

    def js(self, expression: str, arg=None):
        return self.page.evaluate(expression, arg)

    def result(self, channel: str) -> dict:
        r = self.js("""(ch) => { const r = mnistDemo.results[ch];
            return {id: r.id, n: r.n, z: Array.from(r.z), digits: Array.from(r.digits), image: Array.from(r.image)}; }""",
                    channel)
        r["z"] = np.array(r["z"], np.float32).reshape(r["n"], -1)
        r["image"] = np.array(r["image"], np.float32).reshape(r["n"], 1, 28, 28)
        r["digits"] = np.array(r["digits"])
        return r

    def query(self) -> dict:
        return {k: v[0] for k, v in parse_qs(urlsplit(self.page.url).query).items()}

    def assert_clean(self):
        assert self.errors == [], f"console errors: {self.errors}"
        origin = "{0.scheme}://{0.netloc}".format(urlsplit(self.base))
        outside = [u for u in self.requests
                   if not (u.startswith(origin + "/") or u.startswith("blob:" + origin + "/") or u.startswith("data:"))]
        assert outside == [], f"requests outside {origin}: {outside}"

    def close(self):
        self.context.close()


@pytest.fixture
def tab(browser, site):
    t = Tab(browser, site[1])
    yield t
    t.close()


def max_diff(result, generator) -> float:
    return float(np.abs(result["image"] - reference(generator, result["z"], result["digits"])).max())


# ------------------------------------------------------------------ the MNIST page, ONNX Runtime Web

@needs_browser
def test_landing_page_links_projects(tab):
    tab.open(page="index.html")
    text = tab.page.inner_text("main")
    assert "MNIST" in text and "CIFAR-10" in text and "Sketch to real" in text
    assert "Coming" not in text
    assert "sketch.html" in tab.js("() => [...document.querySelectorAll('a')].map(a => a.getAttribute('href'))")
    hrefs = tab.js("() => [...document.querySelectorAll('a')].map(a => a.getAttribute('href'))")
    assert "mnist.html" in hrefs and "mnist.html?runtime=tfjs" in hrefs
    assert "cifar10.html" in hrefs
    assert not any(h.startswith(("http:", "https:", "//")) for h in hrefs)
    tab.page.click("a[href='mnist.html']:has-text('Open (ONNX Runtime Web)')")
    tab.wait_idle()
    tab.assert_clean()


@needs_browser
def test_ort_page_draws_what_pytorch_draws(tab, site, generator):
    server, _ = site
    logged = len(server.request_log)
    tab.open("?seed=7").wait_idle()
    tab.assert_clean()
    threads = max(1, min(4, tab.js("navigator.hardwareConcurrency")))   # the default policy: a thread per core, <= 4
    assert tab.js("crossOriginIsolated") is True
    assert tab.js("mnistDemo.backend") == f"wasm ({threads} thread{'' if threads == 1 else 's'})"
    assert tab.page.inner_text("#backend") == tab.js("mnistDemo.backend")
    assert tab.js("document.getElementById('spinner').hidden") and tab.js("document.body.dataset.state") == "ready"

    assert tab.js("mnistDemo.stats.partials") == 7, "the first grid should arrive row by row (7 rows + result)"
    grid = tab.result("grid")
    np.testing.assert_allclose(grid["z"], grid_noise(7), atol=1e-6)          # the seeded noise, reproduced
    np.testing.assert_array_equal(grid["digits"], grid_digits(7))
    assert max_diff(grid, generator) <= ORT_TOL

    # the canvas shows those values: pixel = (v + 1) * 127.5, cells 28 px apart plus a 2 px gap
    pixels = np.array(tab.js("""() => { const c = document.getElementById('grid');
        return Array.from(c.getContext('2d').getImageData(0, 0, c.width, c.height).data); }"""), np.uint8)
    pixels = pixels.reshape(242, 242, 4)[..., 0]
    for cell in (0, 9, 63):
        top, left = 2 + (cell // 8) * 30, 2 + (cell % 8) * 30
        want = np.clip(np.round((grid["image"][cell, 0] + 1) * 127.5), 0, 255)
        assert np.abs(pixels[top:top + 28, left:left + 28].astype(int) - want).max() <= 1

    strip = tab.result("strip")                                                  # cell 0's style, digits 0-9
    np.testing.assert_array_equal(strip["digits"], np.arange(10))
    np.testing.assert_allclose(strip["z"], np.repeat(grid["z"][:1], 10, axis=0), atol=0)
    assert max_diff(strip, generator) <= ORT_TOL
    walk = tab.result("walk")                                                    # t = 0: cell 0 itself
    np.testing.assert_allclose(walk["z"][0], grid["z"][0], atol=1e-6)

    sent = server.request_log[logged:]
    assert all(r["status"] == 200 for r in sent), [r for r in sent if r["status"] != 200]
    assert sum(r["bytes"] for r in sent) <= 8_000_000, "the MNIST page must transfer at most 8 MB"


@needs_browser
def test_every_control_changes_the_picture(tab, generator, tmp_path):
    tab.open("?seed=7").wait_idle()
    before = tab.result("grid")

    tab.page.click("#digits button[data-digit='3']")                            # one digit: same noise
    tab.wait_idle()
    grid = tab.result("grid")
    assert grid["id"] > before["id"] and (grid["digits"] == 3).all()
    np.testing.assert_array_equal(grid["z"], before["z"])
    assert tab.query()["digit"] == "3"
    assert max_diff(grid, generator) <= ORT_TOL

    box = tab.page.locator("#grid").bounding_box()                              # pick cell 10 (row 1, col 2)
    scale = box["width"] / 242
    tab.page.locator("#grid").click(position={"x": (2 + 2 * 30 + 14) * scale, "y": (2 + 30 + 14) * scale})
    tab.wait_idle()
    assert tab.query()["cell"] == "10"
    strip = tab.result("strip")
    np.testing.assert_allclose(strip["z"], np.repeat(before["z"][10:11], 10, axis=0), atol=0)
    assert max_diff(strip, generator) <= ORT_TOL
    tab.page.locator("#grid").press("ArrowDown")                                 # keyboard: one row down
    tab.wait_idle()
    assert tab.query()["cell"] == "18"
    np.testing.assert_allclose(tab.result("strip")["z"][0], before["z"][18], atol=0)
    tab.page.locator("#grid").press("ArrowUp")
    tab.wait_idle()
    assert tab.query()["cell"] == "10"

    box = tab.page.locator("#strip").bounding_box()                             # click the 5 in the strip
    scale = box["width"] / (10 * 30 + 2)
    tab.page.locator("#strip").click(position={"x": (2 + 5 * 30 + 14) * scale, "y": 16 * scale})
    tab.wait_idle()
    assert (tab.result("grid")["digits"] == 5).all() and tab.query()["digit"] == "5"

    tab.page.fill("#walk-t", "500")                                             # halfway along the walk
    tab.page.dispatch_event("#walk-t", "input")
    tab.wait_idle()
    walk = tab.result("walk")
    np.testing.assert_allclose(walk["z"][0], slerp(before["z"][10], before["z"][11], 0.5), atol=1e-5)
    assert walk["digits"].tolist() == [5]
    assert max_diff(walk, generator) <= ORT_TOL

    tab.page.click("#walk-play")                                                # the animation moves
    first = tab.js("mnistDemo.results.walk.id")
    tab.page.wait_for_function(f"() => mnistDemo.results.walk.id > {first} + 3", timeout=10_000)
    tab.page.click("#walk-play")
    tab.wait_idle()

    tab.page.click("#new-seed")                                                 # new seed: new noise, in the URL
    tab.wait_idle()
    seed = int(tab.query()["seed"])
    grid = tab.result("grid")
    np.testing.assert_allclose(grid["z"], grid_noise(seed), atol=1e-6)
    tab.page.fill("#seed", "123")
    tab.page.dispatch_event("#seed", "change")
    tab.wait_idle()
    assert tab.query()["seed"] == "123"
    shared = tab.result("grid")
    np.testing.assert_allclose(shared["z"], grid_noise(123), atol=1e-6)

    with tab.page.expect_download() as download:                               # PNG of the grid
        tab.page.click("#download")
    path = tmp_path / "grid.png"
    download.value.save_as(path)
    assert download.value.suggested_filename == "mnist-seed123-digit5.png"
    from PIL import Image

    png = np.array(Image.open(path).convert("L"))
    assert png.shape == (242, 242)
    want = np.clip(np.round((shared["image"][0, 0] + 1) * 127.5), 0, 255)
    assert np.abs(png[2:30, 2:30].astype(int) - want).max() <= 1

    url = tab.page.url                                                          # the link reproduces it
    tab.page.goto(url)
    tab.wait_idle()
    again = tab.result("grid")
    np.testing.assert_array_equal(again["z"], shared["z"])
    np.testing.assert_array_equal(again["digits"], shared["digits"])
    np.testing.assert_allclose(again["image"], shared["image"], atol=1e-6)
    tab.assert_clean()


@needs_browser
def test_fifty_clicks_in_a_second_newest_wins(tab, generator):
    tab.open("?seed=11").wait_idle()
    received = tab.js("mnistDemo.stats.received.grid")
    # 50 clicks on the digit buttons, 20 ms apart; the last one asks for a 6
    tab.js("""async () => {
        const buttons = [...document.querySelectorAll('#digits button')];
        for (let i = 0; i < 50; i++) {
            buttons[i === 49 ? 7 : (i * 7) % buttons.length].click();
            await new Promise((r) => setTimeout(r, 20));
        }
        window.afterClicks = {received: mnistDemo.stats.received.grid ?? 0, requested: mnistDemo.stats.requests};
    }""")
    tab.wait_idle()
    stats = tab.js("mnistDemo.stats")
    after = tab.js("window.afterClicks")
    assert stats["errors"] == []
    grid = tab.result("grid")
    assert grid["id"] == tab.js("mnistDemo.channels.grid.id")                   # the newest request was drawn
    assert (grid["digits"] == 6).all() and tab.query()["digit"] == "6"
    assert max_diff(grid, generator) <= ORT_TOL
    # no backlog: after the last click at most the run in flight and the newest one come back
    assert stats["received"]["grid"] - after["received"] <= 2
    assert stats["received"]["grid"] - received < 50
    tab.assert_clean()


@needs_browser
def test_garbage_in_the_url_falls_back_to_defaults(tab):
    tab.open("?seed=abc&digit=12&cell=99&runtime=nope&backend=warp&model=../../etc/passwd&threads=0&extra=1")
    tab.wait_idle()
    assert tab.js("[mnistDemo.state.seed, mnistDemo.state.digit, mnistDemo.state.cell, mnistDemo.state.runtime]") \
        == [1, None, 0, "ort"]
    assert tab.query() == {"seed": "1"}
    assert "Ignored invalid URL parameters" in tab.page.inner_text("#notes")
    assert tab.js("mnistDemo.backend").startswith("wasm (")
    np.testing.assert_allclose(tab.result("grid")["z"], grid_noise(1), atol=1e-6)
    tab.assert_clean()


@needs_browser
@pytest.mark.parametrize("query", ["?model=missing.onnx", "?runtime=tfjs&model=missing", "corrupt"])
def test_missing_or_corrupt_model_shows_an_error(tab, query):
    if query == "corrupt":
        tab.context.route("**/models/mnist_generator.onnx",
                          lambda route: route.fulfill(status=200, body=b"not a model" * 100,
                                                      content_type="application/octet-stream"))
        query = ""
    started = time.monotonic()
    tab.open(query).wait_idle(timeout=30_000)
    assert time.monotonic() - started < 30
    assert tab.js("mnistDemo.phase") == "error" and tab.js("document.body.dataset.state") == "error"
    error = tab.page.locator("#error")
    assert error.is_visible()
    message = error.inner_text()
    assert ("HTTP 404" in message) if "missing" in query else ("could not be read" in message), message
    assert tab.js("document.getElementById('spinner').hidden"), "the spinner must stop"
    assert tab.page.locator("#new-seed").is_disabled()


@needs_browser
def test_webgpu_request_falls_back_to_wasm(tab, generator):
    """Headless Chromium here has no WebGPU adapter: asking for it must end on wasm, and say so."""
    tab.open("?seed=3&backend=webgpu").wait_idle()
    backend = tab.js("mnistDemo.backend")
    assert backend.startswith("wasm (")
    assert "WebGPU did not start" in tab.page.inner_text("#notes")
    assert max_diff(tab.result("grid"), generator) <= ORT_TOL
    tab.assert_clean()


@needs_browser
def test_wasm_threads_on_an_isolated_page(tab, generator):
    tab.open("?seed=5&threads=2").wait_idle()
    assert tab.js("mnistDemo.backend") == "wasm (2 threads)"
    assert max_diff(tab.result("grid"), generator) <= ORT_TOL
    tab.assert_clean()


# ------------------------------------------------------------------ the same page on TensorFlow.js

@needs_browser
def test_tfjs_page_draws_what_pytorch_draws(tab, site, generator):
    manifest = json.loads((SITE / "models" / "mnist_generator_tfjs" / "manifest.json").read_text())
    onnx = SITE / "models" / manifest["source"]
    import hashlib

    stale = hashlib.sha256(onnx.read_bytes()).hexdigest() != manifest["source_sha256"]
    server, _ = site
    logged = len(server.request_log)
    tab.open("?seed=7&runtime=tfjs").wait_idle()
    tab.assert_clean()
    assert tab.js("mnistDemo.backend").startswith("tfjs-wasm")
    grid = tab.result("grid")
    np.testing.assert_allclose(grid["z"], grid_noise(7), atol=1e-6)
    diff = max_diff(grid, generator)
    assert diff <= TFJS_TOL, (f"TF.js differs from PyTorch by {diff:.3g}" +
                              ("; the TF.js model was converted from an older ONNX file: rerun "
                               "`python -m web.convert_tfjs` in the TF.js environment" if stale else ""))
    strip = tab.result("strip")                                                 # 10 images: any batch works
    assert max_diff(strip, generator) <= TFJS_TOL
    assert sum(r["bytes"] for r in server.request_log[logged:]) <= 8_000_000


@needs_browser
@pytest.mark.skipif(os.environ.get("WEB_TEST_WEBGPU") != "1",
                    reason="opt-in (WEB_TEST_WEBGPU=1): WebGPU on SwiftShader takes ~20 s of CPU")
def test_webgpu_backend_on_software_adapter_matches_pytorch(pw, site, generator):
    """The WebGPU code path, run on Chromium's CPU-emulated adapter: same pictures as PyTorch."""
    gpu_browser = launch(pw, software_webgpu=True)
    tab = Tab(gpu_browser, site[1])
    try:
        tab.open("?seed=7&backend=webgpu").wait_idle(timeout=180_000)
        assert tab.js("mnistDemo.backend") == "webgpu", tab.page.inner_text("#notes")
        for channel in ("grid", "strip", "walk"):
            assert max_diff(tab.result(channel), generator) <= ORT_TOL, channel
        tab.assert_clean()
    finally:
        tab.close()
        gpu_browser.close()
