"""The sketch page (web/sketch.html) in headless Chromium: drawing, live generation and its parity with PyTorch.

Drawings are made with real mouse events. References come from PyTorch: sketch2real.export.canvas_to_sketch
on the drawing canvas's own RGBA pixels, then the released generator whose export the page loads, so the
tests follow whatever model files are committed. Server, browser and tab fixtures are test_web.py's.
"""
import base64
import math
import time
from pathlib import Path

import numpy as np
import pytest

from test_web import Tab, browser, needs_browser, pw, site, tab  # noqa: F401  (browser, pw, site, tab: fixtures)
from web.browser import new_context

REPO = Path(__file__).resolve().parent.parent
ORT_TOL = 1e-3           # ONNX Runtime Web (float32) vs PyTorch
INPUT_TOL = 1e-5         # the page's preprocessing vs canvas_to_sketch
LOAD_MS = 60_000

pytestmark = needs_browser


# ------------------------------------------------------------------ helpers

@pytest.fixture(scope="module")
def generators():
    """The released generators the committed ONNX files were exported from, loaded once each on demand."""
    import torch

    from ganlab.checkpoint import load_release
    from sketch2real.models import build_generator

    torch.set_num_threads(1)
    cache = {}

    def get(name: str):
        if name not in cache:
            model, _ = load_release(REPO / "sketch2real" / "release" / f"{name}.safetensors", build_generator)
            cache[name] = model.eval()
        return cache[name]

    return get


def open_page(tab: Tab, query: str = "") -> Tab:
    tab.open(query, page="sketch.html")
    wait_idle(tab)
    return tab


def wait_idle(tab: Tab, timeout: int = LOAD_MS):
    tab.page.wait_for_function("() => window.__sketch && __sketch.idle()", timeout=timeout)


def canvas_rgba(tab: Tab, canvas_id: str = "draw") -> np.ndarray:
    """A canvas's pixels as uint8 [H, W, 4], read with getImageData (base64 on the way, not a JSON list)."""
    w, h, data = tab.js("""(id) => { const c = document.getElementById(id);
        const d = c.getContext('2d').getImageData(0, 0, c.width, c.height).data;
        let s = ''; for (let i = 0; i < d.length; i += 8192) s += String.fromCharCode.apply(null, d.subarray(i, i + 8192));
        return [c.width, c.height, btoa(s)]; }""", canvas_id)
    return np.frombuffer(base64.b64decode(data), np.uint8).reshape(h, w, 4)


def floats(tab: Tab, expression: str) -> np.ndarray | None:
    """A Float32Array the page holds (e.g. '__sketch.lastOutput'), or None."""
    data = tab.js(f"""() => {{ const a = {expression}; if (!a) return null;
        const b = new Uint8Array(a.buffer, a.byteOffset, a.byteLength);
        let s = ''; for (let i = 0; i < b.length; i += 8192) s += String.fromCharCode.apply(null, b.subarray(i, i + 8192));
        return btoa(s); }}""")
    return None if data is None else np.frombuffer(base64.b64decode(data), np.float32).copy()


def stroke(tab: Tab, points, steps: int = 2):
    """One mouse stroke through `points` given as shares of the drawing canvas (x, y in 0..1)."""
    box = tab.page.locator("#draw").bounding_box()
    at = lambda p: (box["x"] + p[0] * box["width"], box["y"] + p[1] * box["height"])  # noqa: E731
    mouse = tab.page.mouse
    mouse.move(*at(points[0]))
    mouse.down()
    for p in points[1:]:
        mouse.move(*at(p), steps=steps)
    mouse.up()


def ellipse(cx, cy, rx, ry, a0=0.0, a1=360.0, n=24):
    return [(cx + rx * math.cos(math.radians(a0 + (a1 - a0) * i / n)),
             cy + ry * math.sin(math.radians(a0 + (a1 - a0) * i / n))) for i in range(n + 1)]


def draw_face(tab: Tab, x0=0.0, y0=0.0, scale=1.0):
    """A cartoon face as five strokes (head, two eyes, nose, mouth); offset and scale move it in the frame."""
    t = lambda pts: [(x0 + scale * x, y0 + scale * y) for x, y in pts]  # noqa: E731
    stroke(tab, t(ellipse(0.5, 0.53, 0.29, 0.41)))
    stroke(tab, t(ellipse(0.38, 0.45, 0.045, 0.03, n=10)), steps=1)
    stroke(tab, t(ellipse(0.62, 0.45, 0.045, 0.03, n=10)), steps=1)
    stroke(tab, t([(0.5, 0.5), (0.48, 0.6), (0.52, 0.62)]))
    stroke(tab, t(ellipse(0.5, 0.7, 0.11, 0.06, 20, 160, n=10)))


def reference(generator, rgba: np.ndarray, size: int):
    """(model input, model output) for canvas pixels, as Python computes them."""
    import torch

    from sketch2real.export import canvas_to_sketch

    sketch = canvas_to_sketch(torch.from_numpy(rgba.copy()), size)
    with torch.no_grad():
        return sketch.numpy().ravel(), generator(sketch).numpy().ravel()


def assert_matches_pytorch(tab: Tab, generator, size: int):
    rgba = canvas_rgba(tab)
    want_in, want_out = reference(generator, rgba, size)
    got_in, got_out = floats(tab, "__sketch.lastInput"), floats(tab, "__sketch.lastOutput")
    assert got_in is not None and got_out is not None, "no picture was generated"
    assert got_in.shape == (size * size,) and got_out.shape == (3 * size * size,)
    assert np.abs(got_in - want_in).max() <= INPUT_TOL, "the page's preprocessing differs from canvas_to_sketch"
    diff = float(np.abs(got_out - want_out).max())
    assert diff <= ORT_TOL, f"the page's picture differs from PyTorch's by {diff:.3g}"
    return got_out


def visible_text(tab: Tab, selector: str) -> str:
    loc = tab.page.locator(selector)
    return loc.inner_text() if loc.is_visible() else ""


# ------------------------------------------------------------------ tests

def test_drawn_face_gives_pytorchs_picture(tab, generators):
    open_page(tab)
    assert tab.js("__sketch.backend").startswith("wasm ("), tab.js("__sketch.backend")   # no WebGPU adapter here
    assert tab.page.inner_text("#backend") == tab.js("__sketch.backend")
    draw_face(tab)
    wait_idle(tab)
    assert tab.js("__sketch.state") == "ready" and tab.js("document.getElementById('spinner').hidden")
    out = assert_matches_pytorch(tab, generators("faces"), 64)
    pixels = np.clip(np.round((out.reshape(3, 64, 64) + 1) * 127.5), 0, 255)
    assert pixels.std() > 5, "the picture is blank or flat"
    shown = canvas_rgba(tab, "photo")                                  # the output canvas shows those values
    assert shown.shape == (64, 64, 4)
    assert np.abs(shown[..., :3].transpose(2, 0, 1).astype(int) - pixels).max() <= 1
    assert visible_text(tab, "#empty") == ""
    stats = tab.js("__sketch.stats")
    assert stats["errors"] == [] and stats["results"] >= 5 and stats["requests"] >= 5
    assert len(stats["penUpLatencies"]) >= 1 and all(0 < ms < 10_000 for ms in stats["penUpLatencies"])
    tab.assert_clean()


def test_live_pictures_while_drawing_without_a_backlog(tab):
    """While the pen is down pictures keep coming, at most one request per 60 ms, never more than one waiting."""
    open_page(tab)
    box = tab.page.locator("#draw").bounding_box()
    at = lambda t: (box["x"] + box["width"] * (0.5 + 0.3 * math.sin(t * 2.1)),  # noqa: E731
                    box["y"] + box["height"] * (0.5 + 0.3 * math.sin(t * 3.3)))
    mouse = tab.page.mouse
    mouse.move(*at(0))
    mouse.down()
    started = time.monotonic()
    while (elapsed := time.monotonic() - started) < 1.5:
        mouse.move(*at(elapsed))
    during = tab.js("__sketch.stats")
    seconds = time.monotonic() - started
    mouse.up()
    wait_idle(tab)
    stats = tab.js("__sketch.stats")
    assert during["results"] >= 2, f"no live pictures while drawing: {during}"
    assert during["requests"] <= seconds / 0.06 + 2, f"more than one request per 60 ms: {during}"
    assert stats["maxOutstanding"] <= 2, "more than one request waited behind the running one"
    assert stats["requests"] == stats["results"] + stats["dropped"] and stats["errors"] == []
    assert 1 <= stats["requests"] - during["requests"] <= 2, "pen-up sends one more request (a timer's may be due)"
    assert floats(tab, "__sketch.lastOutput") is not None
    tab.assert_clean()


def test_undo_redo_clear_and_eraser(tab):
    open_page(tab)
    blank = canvas_rgba(tab)
    assert (blank == 255).all()
    stroke(tab, [(0.2, 0.5), (0.8, 0.5)])                               # A: a horizontal line
    wait_idle(tab)
    one = canvas_rgba(tab)
    assert one[128, 128, 0] == 0 and tab.js("document.getElementById('redo').disabled")
    stroke(tab, [(0.5, 0.2), (0.5, 0.35)])                              # B: a short vertical line
    wait_idle(tab)
    two = canvas_rgba(tab)
    assert not np.array_equal(one, two)

    tab.page.click("#undo")
    wait_idle(tab)
    np.testing.assert_array_equal(canvas_rgba(tab), one)                # exactly as before B
    tab.page.click("#redo")
    wait_idle(tab)
    np.testing.assert_array_equal(canvas_rgba(tab), two)
    tab.page.keyboard.press("Control+z")                               # the same from the keyboard
    wait_idle(tab)
    np.testing.assert_array_equal(canvas_rgba(tab), one)
    tab.page.keyboard.press("Control+Shift+z")
    wait_idle(tab)
    np.testing.assert_array_equal(canvas_rgba(tab), two)

    tab.page.click("#tool-eraser")                                      # the eraser cuts line A
    stroke(tab, [(0.5, 0.4), (0.5, 0.6)])
    wait_idle(tab)
    erased = canvas_rgba(tab)
    assert (erased[120:136, 126:130, :3] == 255).all(), "the eraser left ink where it passed"
    assert erased[128, 80, 0] == 0, "the eraser removed ink where it did not pass"
    tab.page.click("#tool-pen")

    tab.page.click("#undo")                                             # undo, then a new stroke clears redo
    wait_idle(tab)
    stroke(tab, [(0.3, 0.8), (0.7, 0.8)])
    wait_idle(tab)
    assert tab.js("document.getElementById('redo').disabled")
    before_clear = canvas_rgba(tab)
    assert " ms" in visible_text(tab, "#timing")

    tab.page.click("#clear")                                            # clear: white, no picture, a message
    wait_idle(tab)
    assert (canvas_rgba(tab) == 255).all()
    assert "Draw something" in visible_text(tab, "#empty")
    assert visible_text(tab, "#timing") == "", "the last picture's timing outlived it"
    assert tab.js("__sketch.lastOutput") is None and tab.js("__sketch.stats.errors") == []
    tab.page.click("#undo")                                             # and clear can be undone
    wait_idle(tab)
    np.testing.assert_array_equal(canvas_rgba(tab), before_clear)
    assert visible_text(tab, "#empty") == "" and tab.js("__sketch.lastOutput") is not None
    tab.assert_clean()


def test_empty_canvas_at_load_and_a_bad_model_name(tab):
    open_page(tab, "?model=cats")
    assert tab.js("__sketch.state") == "ready" and tab.js("__sketch.model") == "faces"
    assert tab.js("__sketch.stats.requests") == 0, "an empty sheet must not run the model"
    assert tab.js("__sketch.lastOutput") is None
    assert "Draw something to see it turned into a picture" in visible_text(tab, "#empty")
    assert not tab.page.locator("#error").is_visible()
    assert "cats" in tab.page.inner_text("#notes") and "faces" in tab.page.inner_text("#notes")
    assert "model=faces" in tab.page.url
    tab.assert_clean()


@pytest.mark.parametrize("query, names", [("?onnx=missing.onnx", ["missing.onnx", "HTTP 404"]),
                                          ("?runtime=tfjs", ["sketch2real_faces_tfjs", "HTTP 404"]),
                                          ("corrupt", ["sketch2real_faces.onnx", "could not be read"]),
                                          ("?onnx=mnist_generator.onnx", ["mnist_generator.onnx", "not a sketch"])])
def test_missing_model_shows_an_error_and_drawing_still_works(tab, query, names):
    if "tfjs" in query:       # whether or not a TF.js conversion exists by now, the page must cope without one
        tab.context.route("**/models/sketch2real_faces_tfjs/manifest.json",
                          lambda route: route.fulfill(status=404, body=b"not found"))
    if query == "corrupt":
        tab.context.route("**/models/sketch2real_faces.onnx",
                          lambda route: route.fulfill(status=200, body=b"not a model" * 100,
                                                      content_type="application/octet-stream"))
        query = ""
    started = time.monotonic()
    tab.open(query, page="sketch.html")
    tab.page.wait_for_function("() => window.__sketch && __sketch.state === 'error'", timeout=30_000)
    assert time.monotonic() - started < 30
    assert tab.js("document.body.dataset.state") == "error"
    error = tab.page.locator("#error")
    assert error.is_visible()
    assert all(name in error.inner_text() for name in names), error.inner_text()
    assert tab.js("document.getElementById('spinner').hidden"), "the spinner must stop"
    assert tab.page.locator("#download").is_disabled()
    stroke(tab, [(0.3, 0.3), (0.7, 0.7)])                               # drawing still works
    assert (canvas_rgba(tab)[..., 0] == 0).any()
    assert tab.js("__sketch.stats.requests") == 0
    assert "model is not loaded" in visible_text(tab, "#empty")


def test_shoes_and_handbags_use_the_128_model(tab, generators):
    open_page(tab, "?model=shoes")
    assert tab.js("__sketch.imageSize") == 128
    assert tab.page.locator("#width").input_value() == "2"
    tab.page.click("#example")
    wait_idle(tab)
    assert tab.js("document.getElementById('photo').width") == 128
    assert_matches_pytorch(tab, generators("shoes_bags"), 128)
    assert tab.js("__sketch.fitReason") is None, "the shoe examples should fill the frame"
    requests = tab.js("__sketch.stats.requests")

    tab.page.check("input[value=handbags]")                             # same model: no reload
    wait_idle(tab)
    assert tab.js("__sketch.phase") == "ready" and "model=handbags" in tab.page.url
    tab.page.click("#example")
    wait_idle(tab)
    assert tab.js("__sketch.stats.requests") > requests
    assert tab.js("__sketch.fitReason") is None
    bag = tab.js("__sketch.strokes.length")
    assert_matches_pytorch(tab, generators("shoes_bags"), 128)

    tab.page.check("input[value=faces]")                                # the 64 model: a new worker, same drawing
    wait_idle(tab)
    assert tab.js("__sketch.imageSize") == 64 and tab.js("__sketch.strokes.length") == bag
    assert tab.js("document.getElementById('photo').width") == 64
    assert tab.page.locator("#width").input_value() == "1.5"
    assert_matches_pytorch(tab, generators("faces"), 64)
    for _ in range(3):                                                  # the face examples fill the frame too
        tab.page.click("#example")
        wait_idle(tab)
        assert tab.js("__sketch.fitReason") is None
    tab.assert_clean()


def test_small_drawing_in_a_corner_can_be_fitted(tab):
    open_page(tab)
    draw_face(tab, x0=0.04, y0=0.04, scale=0.25)                        # a tiny face, top left
    wait_idle(tab)
    box = tab.js("__sketch.inkBox")
    assert box["x1"] < 0.35 and box["y1"] < 0.35
    assert tab.page.locator("#fit-hint").is_visible() and tab.js("__sketch.fitReason") == "small"
    tab.page.click("#fit")
    wait_idle(tab)
    box = tab.js("__sketch.inkBox")
    w, h = box["x1"] - box["x0"], box["y1"] - box["y0"]
    assert h > 0.75 and w > 0.5, box                                    # as large as the face frame allows
    assert abs((box["x0"] + box["x1"]) / 2 - 0.5) < 0.03 and abs((box["y0"] + box["y1"]) / 2 - 0.525) < 0.03, box
    assert not tab.page.locator("#fit-hint").is_visible()
    tab.page.click("#undo")                                             # fitting is one undoable step
    wait_idle(tab)
    assert tab.js("__sketch.inkBox.x1") < 0.35
    tab.assert_clean()


def test_face_guide_is_an_overlay_the_model_never_sees(tab):
    """The dashed face guide (sketch_guide.mjs) shows over the face canvas, lets the pen through, is not part
    of what the model reads, toggles with its button and the G key, and is off for models without one."""
    open_page(tab)
    guide = tab.page.locator("#guide")
    assert tab.js("__sketch.guide") and guide.is_visible()
    assert guide.locator("ellipse").count() == 1 and guide.locator("circle").count() == 2
    draw_face(tab)                                                       # drawn straight across the guide
    wait_idle(tab)
    assert tab.js("__sketch.inkBox") is not None, "the pen should draw through the guide"
    ink, sketch = canvas_rgba(tab), floats(tab, "__sketch.lastInput")
    requests = tab.js("__sketch.stats.requests")
    tab.page.keyboard.press("g")
    assert not tab.js("__sketch.guide") and tab.page.get_attribute("#guide-toggle", "aria-pressed") == "false"
    wait_idle(tab)
    assert np.array_equal(canvas_rgba(tab), ink) and np.array_equal(floats(tab, "__sketch.lastInput"), sketch)
    assert tab.js("__sketch.stats.requests") == requests, "the guide is not the drawing: nothing to regenerate"
    tab.page.click("#guide-toggle")
    assert tab.js("__sketch.guide")
    tab.page.check("input[value=shoes]")
    wait_idle(tab)
    assert not tab.js("__sketch.guide") and tab.page.locator("#guide-toggle").is_disabled()
    tab.page.check("input[value=faces]")
    wait_idle(tab)
    assert tab.js("__sketch.guide") and tab.page.locator("#guide-toggle").is_enabled()
    tab.assert_clean()


def test_phone_viewport_shows_both_canvases(browser, site):  # noqa: F811
    context = browser.new_context(viewport={"width": 390, "height": 844}, has_touch=True, is_mobile=True)
    try:
        page = context.new_page()
        page.goto(site[1] + "sketch.html")
        page.wait_for_function("() => window.__sketch && __sketch.idle()", timeout=LOAD_MS)
        page.click("#example")
        page.wait_for_function("() => __sketch.idle() && __sketch.lastOutput", timeout=LOAD_MS)
        assert page.evaluate("document.documentElement.scrollWidth <= window.innerWidth"), "horizontal scrolling"
        boxes = {}
        for canvas in ("draw", "photo"):
            page.locator(f"#{canvas}").scroll_into_view_if_needed()
            assert page.locator(f"#{canvas}").is_visible()
            boxes[canvas] = page.evaluate(f"""() => {{ const r = document.getElementById('{canvas}').getBoundingClientRect();
                return {{left: r.left + scrollX, right: r.right + scrollX, top: r.top + scrollY, bottom: r.bottom + scrollY}}; }}""")
            b = boxes[canvas]
            assert b["left"] >= 0 and b["right"] <= 390 and b["right"] - b["left"] >= 250, (canvas, b)
            assert abs((b["bottom"] - b["top"]) - (b["right"] - b["left"])) < 1, "the canvases are square"
        assert boxes["photo"]["top"] >= boxes["draw"]["bottom"], "on a phone the picture goes below the drawing"
    finally:
        context.close()
    # the desktop layout puts them side by side
    context = new_context(browser)
    try:
        page = context.new_page()
        page.goto(site[1] + "sketch.html")
        draw, photo = (page.locator(f"#{c}").bounding_box() for c in ("draw", "photo"))
        assert abs(draw["y"] - photo["y"]) < 2 and photo["x"] > draw["x"] + draw["width"]
    finally:
        context.close()


@pytest.mark.skipif(not (REPO / "web" / "models" / "sketch2real_faces_tfjs" / "manifest.json").is_file(),
                    reason="no TF.js conversion of the faces model (python -m web.convert_tfjs --onnx "
                           "web/models/sketch2real_faces.onnx, in the TF.js environment)")
def test_tfjs_runtime_draws_what_pytorch_draws(tab, generators):
    open_page(tab, "?runtime=tfjs")
    assert tab.js("__sketch.backend").startswith("tfjs-"), tab.js("__sketch.backend")
    tab.page.click("#example")
    wait_idle(tab)
    rgba = canvas_rgba(tab)
    want_in, want_out = reference(generators("faces"), rgba, 64)
    assert np.abs(floats(tab, "__sketch.lastInput") - want_in).max() <= INPUT_TOL
    diff = float(np.abs(floats(tab, "__sketch.lastOutput") - want_out).max())
    assert diff <= 2e-2, f"TF.js (float16 weights) differs from PyTorch by {diff:.3g}; reconvert after a new export?"
    tab.assert_clean()


# ------------------------------------------------------------------ person mode: the tall 128 x 192 model

PEOPLE = (192, 128)      # (height, width) of the people model's picture


@pytest.fixture(scope="module")
def onnx_model():
    """onnxruntime sessions of the committed web/models files: the person tests compare the page with its own
    ONNX file run here on the page's own input (and the main one also with the released PyTorch weights)."""
    import onnxruntime as ort

    cache = {}

    def run(name: str, sketch: np.ndarray, hints: np.ndarray | None = None) -> np.ndarray:
        if name not in cache:
            options = ort.SessionOptions()
            options.intra_op_num_threads = 1
            cache[name] = ort.InferenceSession(str(REPO / "web" / "models" / f"{name}.onnx"), options,
                                               providers=["CPUExecutionProvider"])
        h, w = PEOPLE if name == "sketch2real_people" else (64, 64) if name == "sketch2real_faces" else (128, 128)
        feeds = {"sketch": sketch.reshape(1, 1, h, w).astype(np.float32)}
        if "hints" in [i.name for i in cache[name].get_inputs()]:
            feeds["hints"] = (np.zeros((1, 4, h, w), np.float32) if hints is None
                              else hints.reshape(1, 4, h, w).astype(np.float32))
        return cache[name].run(["photo"], feeds)[0].ravel()

    return run


def draw_stick_figure(tab: Tab, x0=0.0, y0=0.0, scale=1.0, parts=("head", "body", "arms", "legs")):
    """A stick figure in shares of the tall canvas (head at the top): offset and scale move it in the frame.
    The head is round on the 2:3 canvas: its height in shares is 2/3 of its width."""
    t = lambda pts: [(x0 + scale * x, y0 + scale * y) for x, y in pts]  # noqa: E731
    if "head" in parts:
        stroke(tab, t(ellipse(0.5, 0.11, 0.08, 0.08 * 2 / 3 * 1.2)))
    if "body" in parts:
        stroke(tab, t([(0.5, 0.17), (0.5, 0.52)]))
        stroke(tab, t([(0.33, 0.21), (0.67, 0.21)]))
    if "arms" in parts:
        stroke(tab, t([(0.33, 0.21), (0.29, 0.37), (0.28, 0.51)]))
        stroke(tab, t([(0.67, 0.21), (0.71, 0.37), (0.72, 0.51)]))
    if "legs" in parts:
        stroke(tab, t([(0.45, 0.52), (0.42, 0.74), (0.4, 0.95)]))
        stroke(tab, t([(0.55, 0.52), (0.58, 0.74), (0.6, 0.95)]))


def assert_person_matches_onnxruntime(tab: Tab, onnx_model, tol: float = ORT_TOL) -> np.ndarray:
    """The page's input is canvas_to_sketch of its canvas at (192, 128), and its picture is what onnxruntime
    draws from that input; returns the picture, [3, 192, 128]."""
    import torch

    from sketch2real.export import canvas_to_sketch

    got_in, got_out = floats(tab, "__sketch.lastInput"), floats(tab, "__sketch.lastOutput")
    assert got_in is not None and got_out is not None, "no picture was generated"
    assert got_in.shape == (128 * 192,) and got_out.shape == (3 * 128 * 192,)
    want_in = canvas_to_sketch(torch.from_numpy(canvas_rgba(tab).copy()), PEOPLE).numpy().ravel()
    assert np.abs(got_in - want_in).max() <= INPUT_TOL, "the page's preprocessing differs from canvas_to_sketch"
    hints = floats(tab, "__sketch.lastHints")
    diff = float(np.abs(got_out - onnx_model("sketch2real_people", got_in, hints)).max())
    assert diff <= tol, f"the page's picture differs from onnxruntime's by {diff:.3g}"
    return got_out.reshape(3, *PEOPLE)


def test_person_mode_draws_a_tall_picture_like_onnxruntime(tab, onnx_model, generators):
    open_page(tab, "?model=people")
    assert tab.js("__sketch.phase") == "ready" and tab.js("__sketch.model") == "people"
    assert tab.js("__sketch.backend").startswith("wasm ("), tab.js("__sketch.backend")   # no WebGPU here
    assert tab.page.is_checked("input[value=people]") and "model=people" in tab.page.url
    assert [tab.js("__sketch.imageSize"), tab.js("__sketch.imageHeight")] == [128, 192]
    assert tab.js("[draw.width, draw.height]") == [256, 384], "the drawing canvas is 2x the model's 128x192"
    assert tab.page.locator("#width").input_value() == "2"
    for canvas in ("draw", "photo"):                                     # both shown at 2:3
        box = tab.page.locator(f"#{canvas}").bounding_box()
        assert abs(box["height"] / box["width"] - 1.5) < 0.01, (canvas, box)
    assert tab.js("__sketch.stats.requests") == 0 and "Draw something" in visible_text(tab, "#empty")

    names = set()
    for _ in range(4):                                                  # every person example
        tab.page.click("#example")
        wait_idle(tab)
        names.add(tab.page.get_attribute("#example", "title"))
        out = assert_person_matches_onnxruntime(tab, onnx_model)
        assert tab.js("__sketch.fitReason") is None, "the person examples should fill the tall frame"
        box = tab.js("__sketch.inkBox")
        assert box["y1"] - box["y0"] > 0.85, f"an example person should stand the frame's height: {box}"
    assert len(names) == 4 and any("stick figure" in n for n in names) and any("outline" in n for n in names)
    # the released weights (sketch2real/release/people.safetensors) draw the same picture in PyTorch
    import torch
    got_in, hints = floats(tab, "__sketch.lastInput"), floats(tab, "__sketch.lastHints")
    with torch.no_grad():
        want = generators("people")(torch.from_numpy(got_in).view(1, 1, *PEOPLE),
                                    None if hints is None else torch.from_numpy(hints).view(1, 4, *PEOPLE))
    diff = float(np.abs(out.ravel() - want.numpy().ravel()).max())
    assert diff <= ORT_TOL, f"the page's person differs from PyTorch's by {diff:.3g}"
    pixels = np.clip(np.round((out + 1) * 127.5), 0, 255)
    # a person, not a flat picture: the figure's middle column is darker than the picture's sides
    grey = pixels.mean(0)
    assert pixels.std() > 10 and grey[40:170, 54:74].mean() < grey[40:170, list(range(0, 16)) + list(range(112, 128))].mean() - 10
    shown = canvas_rgba(tab, "photo")                                   # the output canvas shows those values
    assert shown.shape == (192, 128, 4)
    assert np.abs(shown[..., :3].transpose(2, 0, 1).astype(int) - pixels).max() <= 1
    assert "128×192 picture" in visible_text(tab, "#timing")
    stats = tab.js("__sketch.stats")
    assert stats["errors"] == [] and stats["requests"] == stats["results"] + stats["dropped"]
    tab.assert_clean()


def test_person_drawn_by_hand_then_undo_redo_and_clear(tab, onnx_model):
    open_page(tab, "?model=people")
    draw_stick_figure(tab)
    wait_idle(tab)
    assert_person_matches_onnxruntime(tab, onnx_model)
    assert len(tab.js("__sketch.stats.penUpLatencies")) >= 1
    drawn = canvas_rgba(tab)
    assert drawn.shape == (384, 256, 4) and (drawn[..., 0] == 0).any()
    head = drawn[:70, 96:160, 0]                                        # the head is round on the tall canvas
    ys, xs = np.nonzero(head < 128)
    assert 0.8 < (ys.max() - ys.min()) / (xs.max() - xs.min()) < 1.4
    tab.page.click("#undo")                                             # the last leg goes
    wait_idle(tab)
    assert not np.array_equal(canvas_rgba(tab), drawn)
    tab.page.keyboard.press("Control+Shift+z")
    wait_idle(tab)
    np.testing.assert_array_equal(canvas_rgba(tab), drawn)
    tab.page.click("#clear")
    wait_idle(tab)
    assert (canvas_rgba(tab) == 255).all() and tab.js("__sketch.lastOutput") is None
    assert "Draw something" in visible_text(tab, "#empty")
    tab.page.click("#undo")
    wait_idle(tab)
    np.testing.assert_array_equal(canvas_rgba(tab), drawn)
    assert tab.js("__sketch.stats.errors") == []
    tab.assert_clean()


@pytest.mark.parametrize("case", ["head only", "upside down", "lying down", "a scribble off the edge"])
def test_odd_person_drawings_still_give_a_picture(tab, onnx_model, case):
    """Nothing a visitor draws in person mode is an error: a head alone, a figure on its head or on its side."""
    open_page(tab, "?model=people")
    if case == "head only":
        draw_stick_figure(tab, parts=("head",))
    elif case == "upside down":                                         # the figure mirrored top to bottom
        box = tab.page.locator("#draw").bounding_box()
        flip = lambda pts: [(x, 1 - y) for x, y in pts]  # noqa: E731
        for pts in ([(0.5, 0.17), (0.5, 0.52)], [(0.45, 0.52), (0.42, 0.74), (0.4, 0.95)],
                    [(0.55, 0.52), (0.58, 0.74), (0.6, 0.95)], ellipse(0.5, 0.11, 0.08, 0.064)):
            stroke(tab, flip(pts))
        assert box["height"] > box["width"]
    elif case == "lying down":                                          # head on the left, feet to the right
        stroke(tab, ellipse(0.12, 0.5, 0.08, 0.064))
        stroke(tab, [(0.2, 0.5), (0.6, 0.5)])
        stroke(tab, [(0.6, 0.5), (0.9, 0.45)])
        stroke(tab, [(0.6, 0.5), (0.9, 0.55)])
    else:
        stroke(tab, [(0.9, 0.1), (1.2, 0.3), (0.8, 1.2)])
    wait_idle(tab)
    assert tab.js("__sketch.phase") == "ready"
    out = assert_person_matches_onnxruntime(tab, onnx_model)
    assert np.isfinite(out).all()
    assert visible_text(tab, "#empty") == "" and tab.js("__sketch.stats.errors") == []
    if case == "head only":                                             # a small drawing: the fit offer
        assert tab.js("__sketch.fitReason") == "small" and tab.page.locator("#fit-hint").is_visible()
        assert "person" in tab.page.inner_text("#fit-text")
    tab.assert_clean()


def test_a_tiny_person_in_a_corner_fits_the_tall_frame(tab):
    open_page(tab, "?model=people")
    draw_stick_figure(tab, x0=0.03, y0=0.62, scale=0.3)                 # a tiny figure, bottom left
    wait_idle(tab)
    before = tab.js("__sketch.inkBox")
    assert before["x1"] < 0.35 and before["y0"] > 0.6
    assert tab.js("__sketch.fitReason") == "small" and tab.page.locator("#fit-hint").is_visible()
    tab.page.click("#fit")
    wait_idle(tab)
    box = tab.js("__sketch.inkBox")
    frame = {"x0": 0.1, "y0": 0.03, "x1": 0.9, "y1": 0.97}              # sketch_input.mjs FRAMES.people
    assert frame["y0"] - 0.01 <= box["y0"] and box["y1"] <= frame["y1"] + 0.01
    assert box["y1"] - box["y0"] > 0.9, f"the figure should stand the frame's full height: {box}"
    assert abs((box["x0"] + box["x1"]) / 2 - 0.5) < 0.02 and abs((box["y0"] + box["y1"]) / 2 - 0.5) < 0.02, box
    aspect = lambda b: (b["x1"] - b["x0"]) * 256 / ((b["y1"] - b["y0"]) * 384)  # noqa: E731  (in pixels)
    assert abs(aspect(box) / aspect(before) - 1) < 0.1, "fitting kept the figure's proportions"
    assert tab.js("__sketch.fitReason") is None and not tab.page.locator("#fit-hint").is_visible()
    assert tab.js("__sketch.lastOutput.length") == 3 * 128 * 192
    tab.page.click("#undo")                                             # fitting is one undoable step
    wait_idle(tab)
    assert tab.js("__sketch.inkBox") == before
    tab.assert_clean()


def test_switching_face_person_face_keeps_the_drawing_and_its_undo(tab, onnx_model):
    open_page(tab)
    draw_face(tab)
    wait_idle(tab)
    face = canvas_rgba(tab)
    assert face.shape == (256, 256, 4)
    tab.page.check("input[value=people]")                               # a new worker and a tall canvas
    wait_idle(tab)
    assert tab.js("__sketch.model") == "people" and "model=people" in tab.page.url
    assert tab.js("[draw.width, draw.height]") == [256, 384] and tab.js("[photo.width, photo.height]") == [128, 192]
    tall = canvas_rgba(tab)
    # the face keeps its size in pixels, centred: the square canvas is the tall one's middle band
    assert np.abs(tall[64:320].astype(int) - face.astype(int)).max() <= 2
    assert (tall[:60] == 255).all() and (tall[324:] == 255).all()
    assert_person_matches_onnxruntime(tab, onnx_model)
    assert tab.page.locator("#width").input_value() == "2"

    tab.page.click("#undo")                                             # undo still works after the switch
    wait_idle(tab)
    assert tab.js("__sketch.strokes.length") == 4
    assert_person_matches_onnxruntime(tab, onnx_model)
    tab.page.click("#redo")
    wait_idle(tab)
    np.testing.assert_array_equal(canvas_rgba(tab), tall)
    tab.page.check("input[value=faces]")                                # back: the face as it was drawn
    wait_idle(tab)
    assert tab.js("[draw.width, draw.height]") == [256, 256] and tab.js("[photo.width, photo.height]") == [64, 64]
    assert tab.js("__sketch.imageSize") == 64 and tab.js("__sketch.imageHeight") == 64
    assert np.abs(canvas_rgba(tab).astype(int) - face.astype(int)).max() <= 2, "the round trip moved the face"
    assert tab.js("__sketch.lastOutput.length") == 3 * 64 * 64
    tab.page.click("#undo")                                             # and its history came along
    wait_idle(tab)
    assert tab.js("__sketch.strokes.length") == 4
    tab.page.click("#redo")
    wait_idle(tab)
    tab.page.check("input[value=shoes]")                                # square to square: no move
    wait_idle(tab)
    assert tab.js("[draw.width, draw.height]") == [256, 256] and tab.js("__sketch.imageSize") == 128
    assert np.abs(canvas_rgba(tab).astype(int) - face.astype(int)).max() <= 2
    assert tab.js("__sketch.stats.errors") == []
    tab.assert_clean()


@pytest.mark.parametrize("model, shape", [("faces", (64, 64)), ("people", (192, 128))])
def test_a_sidecar_without_image_height(tab, model, shape):
    """A sidecar written before the people model has no image_height: a square model stays square, and the
    people model still reads its height from the ONNX file's input."""
    path = REPO / "web" / "models" / f"sketch2real_{model}.json"
    import json

    meta = json.loads(path.read_text())
    meta.pop("image_height", None)
    tab.context.route(f"**/models/sketch2real_{model}.json",
                      lambda route: route.fulfill(status=200, body=json.dumps(meta), content_type="application/json"))
    open_page(tab, f"?model={model}")
    assert tab.js("__sketch.phase") == "ready"
    assert [tab.js("__sketch.imageHeight"), tab.js("__sketch.imageSize")] == list(shape)
    tab.page.click("#example")
    wait_idle(tab)
    assert tab.js("__sketch.lastOutput.length") == 3 * shape[0] * shape[1]
    assert tab.js("__sketch.stats.errors") == []
    tab.assert_clean()


@pytest.mark.skipif(not (REPO / "web" / "models" / "sketch2real_people_tfjs" / "manifest.json").is_file(),
                    reason="no TF.js conversion of the people model")
def test_tfjs_runtime_in_person_mode(tab, onnx_model):
    from test_web import TFJS_TOL

    open_page(tab, "?model=people&runtime=tfjs")
    assert tab.js("__sketch.backend").startswith("tfjs-"), tab.js("__sketch.backend")
    assert [tab.js("__sketch.imageSize"), tab.js("__sketch.imageHeight")] == [128, 192]
    tab.page.click("#example")
    wait_idle(tab)
    assert_person_matches_onnxruntime(tab, onnx_model, tol=TFJS_TOL)    # NHWC, float16 weights
    tab.assert_clean()


def test_person_mode_on_a_phone(browser, site):  # noqa: F811
    context = browser.new_context(viewport={"width": 390, "height": 844}, has_touch=True, is_mobile=True)
    try:
        page = context.new_page()
        errors = []
        page.on("pageerror", lambda e: errors.append(str(e)))
        page.goto(site[1] + "sketch.html?model=people")
        page.wait_for_function("() => window.__sketch && __sketch.idle()", timeout=LOAD_MS)
        page.click("#example")
        page.wait_for_function("() => __sketch.idle() && __sketch.lastOutput", timeout=LOAD_MS)
        assert page.evaluate("document.documentElement.scrollWidth <= window.innerWidth"), "horizontal scrolling"
        boxes = {c: page.locator(f"#{c}").bounding_box() for c in ("draw", "photo")}
        for canvas, b in boxes.items():
            assert b["x"] >= 0 and b["x"] + b["width"] <= 390 and b["width"] >= 200, (canvas, b)
            assert abs(b["height"] / b["width"] - 1.5) < 0.01, (canvas, b)
        assert boxes["photo"]["y"] >= boxes["draw"]["y"] + boxes["draw"]["height"], "the picture goes below"
        assert errors == []
    finally:
        context.close()
