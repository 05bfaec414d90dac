// A faint guide over the face canvas: where the training photos' faces sit. It is an SVG laid over the
// drawing (no pointer events, not drawn on any canvas), so it never reaches the model.
//
// Why: the face model follows where a drawing puts the eyes, mouth and chin, and how well it renders a face
// depends on that place far more than the judging features do: the same cartoons drawn 3 px (5 %) lower
// score a Fréchet distance 80 worse, while a real photo moved as far costs 2 to 4 (notes/06 sections
// 5.11-5.12). The guide shows people the frame the model was trained on.

const SVG = 'http://www.w3.org/2000/svg';

// Medians of mediapipe's face landmarks on the 15 638 CelebA faces it found (sketch2real.landmarks' cache), in
// shares of the 64 x 64 picture: the face oval from hairline to chin, the eyes' centres, the nose tip and the
// middle of the mouth.
export const FACE_GUIDE = Object.freeze({
  oval: Object.freeze({ x0: 0.20, y0: 0.21, x1: 0.81, y1: 0.93 }),
  eyes: Object.freeze([[0.36, 0.44], [0.64, 0.44]]),
  eyeRadius: 0.05,
  nose: Object.freeze([0.50, 0.60]),
  mouth: Object.freeze({ x0: 0.39, x1: 0.61, y: 0.73 }),
});

function element(name, attributes) {
  const node = document.createElementNS(SVG, name);
  for (const [key, value] of Object.entries(attributes)) node.setAttribute(key, String(value));
  return node;
}

/** The guide's shapes for `model` (the page's model name) in a 100 x 100 view box: none but for faces. */
export function guideShapes(model) {
  if (model !== 'faces') return [];
  const g = FACE_GUIDE, p = (v) => Math.round(v * 1000) / 10;   // shares of the picture -> view-box units
  return [
    ['ellipse', { cx: p((g.oval.x0 + g.oval.x1) / 2), cy: p((g.oval.y0 + g.oval.y1) / 2),
                  rx: p((g.oval.x1 - g.oval.x0) / 2), ry: p((g.oval.y1 - g.oval.y0) / 2) }],
    ...g.eyes.map(([x, y]) => ['circle', { cx: p(x), cy: p(y), r: p(g.eyeRadius) }]),
    ['line', { x1: p(g.nose[0]), y1: p(g.nose[1] - 0.05), x2: p(g.nose[0]), y2: p(g.nose[1]) }],
    ['line', { x1: p(g.mouth.x0), y1: p(g.mouth.y), x2: p(g.mouth.x1), y2: p(g.mouth.y) }],
  ];
}

/** Draw the guide for `model` into `svg`, shown when `on` and the model has one; `button` (the toggle) is
 *  disabled where there is none. Returns whether the guide shows. */
export function showGuide(svg, button, model, on) {
  const shapes = guideShapes(model);
  svg.replaceChildren(...shapes.map(([name, attributes]) => element(name, attributes)));
  button.disabled = shapes.length === 0;
  button.setAttribute('aria-pressed', String(on));
  const shown = on && shapes.length > 0;
  svg.toggleAttribute('hidden', !shown);   // an attribute: SVG elements have no .hidden property
  return shown;
}

/** The guide's toggle: `button` turns it on and off, as does the returned toggle() (the G key); draw()
 *  redraws it for `currentModel()` after a model switch. It starts on. */
export function guideControl(svg, button, currentModel) {
  let on = true;
  const draw = () => showGuide(svg, button, currentModel(), on);
  const toggle = () => { on = !on; draw(); };
  button.addEventListener('click', toggle);
  draw();
  return { draw, toggle };
}
