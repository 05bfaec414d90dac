"""The CIFAR-10 page (web/cifar10.html) in headless Chromium: what it draws equals what PyTorch draws.

The page shares its code with the MNIST page (web/js/mnist.mjs, configured by <body data-...>), so these
tests check what differs: colour pictures, class names, the committed CIFAR-10 model, its latency figure,
and that a wrong model file is refused with a clear message. Fixtures come from test_web.py.
"""
import json
from pathlib import Path

import numpy as np
import pytest

from test_web import Tab, browser, grid_digits, needs_browser, normals, pw, site, slerp, tab  # noqa: F401

REPO = Path(__file__).resolve().parent.parent
MODELS = REPO / "web" / "models"
ORT_TOL = 1e-3
LOAD_MS = 60_000
CLASSES = ["airplane", "automobile", "bird", "cat", "deer", "dog", "frog", "horse", "ship", "truck"]

pytestmark = needs_browser


@pytest.fixture(scope="module")
def cifar_generator():
    import torch

    from cifar10_gan.export import RELEASED, WithClass
    from cifar10_gan.evaluate import load_generator

    torch.set_num_threads(1)
    return WithClass(load_generator(RELEASED)[0]).eval()


def z_dim() -> int:
    return json.loads((MODELS / "cifar10_generator.json").read_text())["z_dim"]


def open_page(tab: Tab, query: str = "") -> Tab:
    tab.open(query, page="cifar10.html")
    tab.page.wait_for_function("() => window.demo && demo.idle()", timeout=LOAD_MS)
    return tab


def result(tab: Tab, channel: str) -> dict:
    r = tab.js("""(ch) => { const r = demo.results[ch];
        return {n: r.n, z: Array.from(r.z), digits: Array.from(r.digits), image: Array.from(r.image)}; }""", channel)
    return {"z": np.array(r["z"], np.float32).reshape(r["n"], -1), "digits": np.array(r["digits"]),
            "image": np.array(r["image"], np.float32).reshape(r["n"], 3, 32, 32)}


def reference(generator, z, digits) -> np.ndarray:
    import torch

    with torch.no_grad():
        return generator(torch.as_tensor(z), torch.as_tensor(digits, dtype=torch.long)).numpy()


def test_page_draws_what_pytorch_draws_in_colour(tab, cifar_generator):
    open_page(tab, "?seed=11")
    tab.assert_clean()
    assert tab.js("demo.backend").startswith("wasm (")          # headless Chromium here has no WebGPU
    grid = result(tab, "grid")
    assert grid["image"].shape == (64, 3, 32, 32)
    np.testing.assert_allclose(grid["z"], normals(11, 64 * z_dim()).reshape(64, -1), atol=1e-6)
    np.testing.assert_array_equal(grid["digits"], grid_digits(11))
    assert np.abs(grid["image"] - reference(cifar_generator, grid["z"], grid["digits"])).max() <= ORT_TOL
    # the canvas holds those colours: cell 5's red, green and blue planes, 32 px cells 2 px apart
    rgba = np.array(tab.js("""() => { const c = document.getElementById('grid');
        return Array.from(c.getContext('2d').getImageData(0, 0, c.width, c.height).data); }"""), np.uint8)
    side = 8 * 32 + 9 * 2
    rgba = rgba.reshape(side, side, 4)
    row, col = divmod(5, 8)
    cell = rgba[2 + row * 34:2 + row * 34 + 32, 2 + col * 34:2 + col * 34 + 32, :3].transpose(2, 0, 1)
    expected = np.clip(np.round((grid["image"][5] + 1) * 127.5), 0, 255)
    assert np.abs(cell.astype(int) - expected).max() <= 1
    assert tab.page.inner_text("#timing").startswith("64 pictures in ")


def test_class_buttons_strip_and_walk(tab, cifar_generator):
    open_page(tab, "?seed=3")
    labels = tab.js("() => [...document.querySelectorAll('#digits button')].map(b => b.textContent)")
    assert labels == ["mixed", *CLASSES]
    tab.page.click("#digits button:has-text('ship')")
    tab.page.wait_for_function("() => demo.idle() && demo.results.grid.digits.every(d => d === 8)", timeout=LOAD_MS)
    assert "digit=8" in tab.page.url
    grid = result(tab, "grid")
    assert np.abs(grid["image"] - reference(cifar_generator, grid["z"], grid["digits"])).max() <= ORT_TOL
    strip = result(tab, "strip")                                   # one noise vector, every class
    assert strip["digits"].tolist() == list(range(10)) and (strip["z"] == strip["z"][0]).all()
    assert np.abs(strip["image"] - reference(cifar_generator, strip["z"], strip["digits"])).max() <= ORT_TOL
    tab.page.fill("#walk-t", "500")
    tab.page.dispatch_event("#walk-t", "input")
    tab.page.wait_for_function("() => demo.idle()", timeout=LOAD_MS)
    walk = result(tab, "walk")
    z = normals(3, 64 * z_dim()).reshape(64, -1)
    np.testing.assert_allclose(walk["z"][0], slerp(z[0], z[1], 0.5), atol=1e-5)
    assert walk["digits"].tolist() == [8]
    tab.assert_clean()


def test_a_model_of_the_wrong_kind_is_refused_with_its_name(tab):
    tab.open("?model=sketch2real_faces.onnx", page="cifar10.html")
    tab.page.wait_for_function("() => window.demo && demo.phase === 'error'", timeout=LOAD_MS)
    message = tab.page.inner_text("#error")
    assert "sketch2real_faces.onnx" in message and "takes a sketch, not z and digit" in message
    assert tab.js("document.querySelector('#new-seed').disabled") is True


def test_tfjs_runtime_draws_the_same_pictures(tab, cifar_generator):
    if not (MODELS / "cifar10_generator_tfjs" / "manifest.json").is_file():
        pytest.skip("no TF.js conversion of the CIFAR-10 model is committed")
    open_page(tab, "?seed=5&runtime=tfjs")
    assert tab.js("demo.backend").startswith("tfjs-")
    grid = result(tab, "grid")
    # float16 weights: looser than ONNX Runtime's float32
    assert np.abs(grid["image"] - reference(cifar_generator, grid["z"], grid["digits"])).max() <= 0.05
    tab.assert_clean()
