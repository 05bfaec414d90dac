"""The sketch page's colour pen in headless Chromium: what the model is given, what it draws, and the pen's
tools (palette, colour eraser, undo), plus a model file without colour inputs.

References come from PyTorch: sketch2real.export.canvas_to_sketch on the page's ink layer and
canvas_to_hints on its colour layer, then the released generator the committed ONNX file came from.
"""
import base64
import json

import numpy as np
import pytest

from test_sketch_page import (INPUT_TOL, ORT_TOL, REPO, draw_face, floats, generators, open_page, stroke,  # noqa: F401
                              visible_text, wait_idle)
from test_web import TFJS_TOL, Tab, browser, needs_browser, pw, site, tab  # noqa: F401  (fixtures)

pytestmark = needs_browser
MODELS = REPO / "web" / "models"


def layer_rgba(tab: Tab, name: str) -> np.ndarray:
    """The pixels of one of the page's drawing layers ('ink' or 'colour'), uint8 [H, W, 4]."""
    w, h, data = tab.js("""(name) => { const c = __sketch.layer(name);
        const d = c.getContext('2d').getImageData(0, 0, c.width, c.height).data;
        let s = ''; for (let i = 0; i < d.length; i += 8192) s += String.fromCharCode.apply(null, d.subarray(i, i + 8192));
        return [c.width, c.height, btoa(s)]; }""", name)
    return np.frombuffer(base64.b64decode(data), np.uint8).reshape(h, w, 4)


def reference(generator, tab: Tab, size: int):
    """(sketch, hints or None, output) for the page's two layers, as Python computes them."""
    import torch

    from sketch2real.export import canvas_to_hints, canvas_to_sketch

    sketch = canvas_to_sketch(torch.from_numpy(layer_rgba(tab, "ink").copy()), size)
    hints = canvas_to_hints(torch.from_numpy(layer_rgba(tab, "colour").copy()), size)
    painted = bool(hints[:, 3].any())
    with torch.no_grad():
        out = generator(sketch, hints if painted else None)
    return sketch.numpy().ravel(), hints.numpy().ravel() if painted else None, out.numpy().ravel()


def assert_matches_pytorch(tab: Tab, generator, size: int, tol: float = ORT_TOL) -> np.ndarray:
    want_sketch, want_hints, want_out = reference(generator, tab, size)
    got_sketch, got_hints = floats(tab, "__sketch.lastInput"), floats(tab, "__sketch.lastHints")
    got_out = floats(tab, "__sketch.lastOutput")
    assert got_out is not None, "no picture was generated"
    assert np.abs(got_sketch - want_sketch).max() <= INPUT_TOL, "the page's sketch differs from canvas_to_sketch"
    assert (got_hints is None) == (want_hints is None), "the page and Python disagree on whether there is colour"
    if want_hints is not None:
        assert np.abs(got_hints - want_hints).max() <= INPUT_TOL, "the page's hints differ from canvas_to_hints"
    diff = float(np.abs(got_out - want_out).max())
    assert diff <= tol, f"the page's picture differs from PyTorch's by {diff:.3g}"
    return got_out.reshape(3, size, size)


def paint(tab: Tab, swatch: str, *strokes_):
    tab.page.click(f"button.swatch[title='{swatch}']")
    for points in strokes_:
        stroke(tab, points)
    wait_idle(tab)


LEFT_BAND = [[(0.06, 0.1), (0.06, 0.9)], [(0.12, 0.1), (0.12, 0.9)]]   # two strokes down the left edge


def test_colour_strokes_steer_the_picture_where_they_are(tab, generators):
    open_page(tab)
    assert tab.js("__sketch.modelHints") is True, "the committed faces model takes colour hints"
    draw_face(tab)
    wait_idle(tab)
    plain = assert_matches_pytorch(tab, generators("faces"), 64)
    assert tab.js("__sketch.lastHints") is None, "no colour painted: no hints sent"

    paint(tab, "Other: sky blue", *LEFT_BAND)                          # a blue background on the left
    coloured = assert_matches_pytorch(tab, generators("faces"), 64)
    assert tab.js("document.getElementById('tool-colour').getAttribute('aria-pressed')") == "true"
    ink = layer_rgba(tab, "ink")
    assert (ink[:, :40, :3] == 255).all(), "colour strokes must not touch the ink layer"
    shown = tab.js("""() => { const d = document.getElementById('draw').getContext('2d').getImageData(15, 128, 1, 1).data;
                              return Array.from(d); }""")
    assert shown[2] > shown[0] + 40, f"the visible canvas does not show the blue under the ink: {shown}"
    change = np.abs(coloured - plain).sum(axis=0)                     # per output pixel
    painted = change[:, :8].mean()
    # A background colour may spread to the rest of the background (the right edge turns bluer too: in a photo
    # the background is mostly one colour), so what must stay is the face inside the drawn head.
    face = change[16:56, 20:44].mean()
    assert painted > 2 * face, f"the background colour changed the face as much as the painted band ({face} vs {painted})"
    blue = coloured[2, 16:48, :6].mean() - coloured[0, 16:48, :6].mean()
    assert blue > plain[2, 16:48, :6].mean() - plain[0, 16:48, :6].mean() + 0.1, "the painted band did not turn bluer"

    tab.page.click("#undo")                                            # undo takes the colour back stroke by stroke
    tab.page.click("#undo")
    wait_idle(tab)
    assert tab.js("__sketch.lastHints") is None
    np.testing.assert_allclose(floats(tab, "__sketch.lastOutput").reshape(3, 64, 64), plain, atol=1e-6)
    tab.page.click("#redo")
    wait_idle(tab)
    assert tab.js("__sketch.lastHints") is not None
    tab.assert_clean()


def test_colour_eraser_colour_only_and_clear(tab, generators):
    open_page(tab)
    paint(tab, "Hair: blond", [(0.2, 0.15), (0.8, 0.15)], [(0.2, 0.22), (0.8, 0.22)])
    # colour with no ink lines still gives a picture, not the empty-canvas message
    assert tab.js("__sketch.inkBox") is None and tab.js("__sketch.lastOutput") is not None
    assert visible_text(tab, "#empty") == ""
    assert_matches_pytorch(tab, generators("faces"), 64)

    tab.page.click("#tool-colour-eraser")                               # erase all the colour again
    assert tab.js("document.getElementById('width').max") == "16"
    tab.page.fill("#width", "16")
    for y in (0.1, 0.17, 0.24, 0.3):
        stroke(tab, [(0.05, y), (0.95, y)])
    wait_idle(tab)
    assert (layer_rgba(tab, "colour")[..., 3] == 0).all(), "the colour eraser left colour behind"
    assert tab.js("__sketch.lastOutput") is None and "Draw something" in visible_text(tab, "#empty")

    tab.page.keyboard.press("c")                                         # C picks the colour pen again
    assert tab.js("document.getElementById('tool-colour').getAttribute('aria-pressed')") == "true"
    tab.page.fill("#colour-picker", "#ff0000")                           # any colour from the picker
    stroke(tab, [(0.4, 0.5), (0.6, 0.5)])
    wait_idle(tab)
    hints = floats(tab, "__sketch.lastHints").reshape(4, 64, 64)
    painted = hints[3] > 0.99
    assert painted.any() and np.allclose(hints[0][painted], 1) and np.allclose(hints[1][painted], -1)
    tab.page.click("#clear")
    wait_idle(tab)
    assert (layer_rgba(tab, "colour")[..., 3] == 0).all() and tab.js("__sketch.lastOutput") is None
    tab.assert_clean()


@pytest.fixture()
def model_without_hints():
    """An ONNX file of a sketch model made before colour hints (one input), served beside the real ones."""
    import torch

    from ganlab.export import export_onnx
    from sketch2real.models import UNetGenerator

    torch.manual_seed(0)
    g = UNetGenerator(image_size=64, width=8, max_channels=16, out_width=8).eval()
    path = MODELS / "test_no_hints.onnx"
    export_onnx(g, (torch.ones(1, 1, 64, 64),), path, input_names=["sketch"], output_names=["photo"])
    path.with_suffix(".json").write_text(json.dumps({"image_size": 64, "inputs": {"sketch": ["batch", 1, 64, 64]}}))
    yield path.name
    path.unlink(missing_ok=True)
    path.with_suffix(".json").unlink(missing_ok=True)


def test_a_model_without_colour_inputs_turns_the_colour_pen_off(tab, model_without_hints):
    open_page(tab, f"?onnx={model_without_hints}")
    assert tab.js("__sketch.modelHints") is False
    assert tab.js("document.getElementById('tool-colour').disabled")
    assert "takes no colour hints" in tab.page.inner_text("#notes")
    tab.page.keyboard.press("c")                                        # the key cannot pick a disabled tool
    assert tab.js("document.getElementById('tool-pen').getAttribute('aria-pressed')") == "true"
    draw_face(tab)
    wait_idle(tab)
    assert tab.js("__sketch.lastOutput") is not None and tab.js("__sketch.lastHints") is None
    assert tab.js("__sketch.stats.errors") == []
    tab.assert_clean()


@pytest.mark.skipif(not (MODELS / "sketch2real_faces_tfjs" / "manifest.json").is_file(),
                    reason="no TF.js conversion of the faces model")
def test_tfjs_runtime_takes_colour_too(tab, generators):
    manifest = json.loads((MODELS / "sketch2real_faces_tfjs" / "manifest.json").read_text())
    if "hints" not in manifest["inputs"]:
        pytest.fail("the committed TF.js faces model has no hints input: convert it again from the ONNX file")
    open_page(tab, "?runtime=tfjs")
    assert tab.js("__sketch.backend").startswith("tfjs-") and tab.js("__sketch.modelHints") is True
    draw_face(tab)
    paint(tab, "Hair: auburn", [(0.2, 0.12), (0.8, 0.12)], [(0.25, 0.2), (0.75, 0.2)])
    assert_matches_pytorch(tab, generators("faces"), 64, tol=TFJS_TOL)
    tab.assert_clean()


# ------------------------------------------------------------------ the tall people model

@pytest.mark.parametrize("canvas, size", [((384, 256), (192, 128)), ((256, 256), 64), ((256, 256), (128, 128)),
                                          ((192, 128), (192, 128))])
def test_js_and_python_preprocessing_agree_on_any_shape(tab, canvas, size):
    """canvasToSketch and canvasToHints (JS) against canvas_to_sketch and canvas_to_hints (Python) on random
    RGBA pixels, transparency included, for square and portrait models alike."""
    import torch

    from sketch2real.export import canvas_to_hints, canvas_to_sketch

    h, w = canvas
    rng = np.random.default_rng(h * 1000 + w)
    rgba = rng.integers(0, 256, (h, w, 4), dtype=np.uint8)
    rgba[rng.random((h, w)) < 0.3, 3] = 0                               # unpainted pixels
    rgba[rng.random((h, w)) < 0.3, 3] = 255
    open_page(tab, "?model=people")
    got = tab.js("""async ([b64, w, h, size]) => {
        const { canvasToSketch } = await import('./js/sketch_input.mjs');
        const { canvasToHints } = await import('./js/sketch_colour.mjs');
        const rgba = Uint8ClampedArray.from(atob(b64), (c) => c.charCodeAt(0));
        const pack = (a) => { const b = new Uint8Array(a.buffer); let s = '';
            for (let i = 0; i < b.length; i += 8192) s += String.fromCharCode.apply(null, b.subarray(i, i + 8192));
            return btoa(s); };
        const hints = canvasToHints(rgba, w, h, size);
        return [pack(canvasToSketch(rgba, w, h, size)), pack(hints.hints), hints.painted];
    }""", [base64.b64encode(rgba.tobytes()).decode(), w, h, size])
    as_floats = lambda b64: np.frombuffer(base64.b64decode(b64), np.float32)  # noqa: E731
    want_sketch = canvas_to_sketch(torch.from_numpy(rgba), size).numpy()
    want_hints = canvas_to_hints(torch.from_numpy(rgba), size).numpy()
    mh, mw = (size, size) if isinstance(size, int) else size
    assert want_sketch.shape == (1, 1, mh, mw) and want_hints.shape == (1, 4, mh, mw)
    assert np.abs(as_floats(got[0]) - want_sketch.ravel()).max() <= INPUT_TOL
    assert np.abs(as_floats(got[1]) - want_hints.ravel()).max() <= INPUT_TOL
    assert got[2] is True
    # a canvas that is not one whole multiple of the model across and down is refused, in both
    wrong = tab.js("""async () => { const { canvasToSketch } = await import('./js/sketch_input.mjs');
        try { canvasToSketch(new Uint8ClampedArray(256 * 256 * 4), 256, 256, [192, 128]); return null; }
        catch (e) { return e.message; } }""")
    assert wrong and "whole multiple" in wrong
    with pytest.raises(ValueError, match="whole multiple"):
        canvas_to_sketch(torch.zeros(256, 256, 4, dtype=torch.uint8), (192, 128))
    tab.assert_clean()


def test_colour_pen_on_the_tall_canvas(tab):
    """In person mode the colour layer is tall too, and its hints are what canvas_to_hints makes of it at
    (192, 128); the picture is what the people model's ONNX file draws from the page's own inputs."""
    import onnxruntime as ort
    import torch

    from sketch2real.export import canvas_to_hints, canvas_to_sketch

    open_page(tab, "?model=people")
    assert tab.js("__sketch.modelHints") is True
    tab.page.click("#example")
    wait_idle(tab)
    paint(tab, "Other: red", [(0.35, 0.25), (0.65, 0.25)], [(0.35, 0.35), (0.65, 0.35)])   # a red top
    ink, colour = layer_rgba(tab, "ink"), layer_rgba(tab, "colour")
    assert ink.shape == colour.shape == (384, 256, 4)
    sketch, hints = floats(tab, "__sketch.lastInput"), floats(tab, "__sketch.lastHints")
    assert hints is not None and hints.shape == (4 * 192 * 128,)
    want_sketch = canvas_to_sketch(torch.from_numpy(ink.copy()), (192, 128)).numpy()
    want_hints = canvas_to_hints(torch.from_numpy(colour.copy()), (192, 128)).numpy()
    assert np.abs(sketch - want_sketch.ravel()).max() <= INPUT_TOL
    assert np.abs(hints - want_hints.ravel()).max() <= INPUT_TOL
    painted = want_hints[0, 3] > 0.5
    rows = np.nonzero(painted.any(axis=1))[0]
    assert 40 <= rows.min() and rows.max() <= 75, "the colour sits where it was painted, in the tall frame"
    session = ort.InferenceSession(str(MODELS / "sketch2real_people.onnx"), providers=["CPUExecutionProvider"])
    want = session.run(["photo"], {"sketch": want_sketch, "hints": want_hints})[0]
    diff = float(np.abs(floats(tab, "__sketch.lastOutput") - want.ravel()).max())
    assert diff <= ORT_TOL, f"the page's picture differs from onnxruntime's by {diff:.3g}"
    tab.page.click("#undo")                                            # the colour goes stroke by stroke
    tab.page.click("#undo")
    wait_idle(tab)
    assert tab.js("__sketch.lastHints") is None and tab.js("__sketch.lastOutput") is not None
    tab.assert_clean()
