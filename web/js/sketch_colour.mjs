// The colour pen: its palette, and the colour layer -> the model's colour hints.
//
// Colour strokes are painted on a layer of their own (transparent where nothing is painted), shown under
// the ink. The model reads them as 4 planes at its own size: R, G, B in [-1, 1] times the coverage, then
// the coverage (0: no colour here, 1: painted). sketch2real.export.canvas_to_hints does the same
// arithmetic in PyTorch, and sketch2real.hints samples such hints from photos in training.
import { blockSide, modelShape } from './sketch_input.mjs';

export const HINT_PLANES = 4;

// Swatches a person reaches for when colouring a face, a shoe or a bag; the colour picker gives the rest.
export const PALETTE = Object.freeze([
  { group: 'Hair', colours: [['black', '#1c1714'], ['dark brown', '#3b2618'], ['brown', '#70472a'],
                             ['auburn', '#8c3b1c'], ['blond', '#d9b064'], ['grey', '#a8a39c']] },
  { group: 'Skin', colours: [['fair', '#f1d0bb'], ['light', '#dcae8c'], ['medium', '#b98260'],
                             ['tan', '#8d5a3c'], ['deep', '#55321f']] },
  { group: 'Eyes', colours: [['blue', '#4f7fb8'], ['green', '#5c8a4a'], ['brown', '#5a3a22']] },
  { group: 'Other', colours: [['red', '#c0282d'], ['sky blue', '#8fc1ea'], ['navy', '#1f2d5c'],
                              ['white', '#f4f4f2'], ['yellow', '#e8c630']] },
]);

/**
 * The colour layer's RGBA pixels -> the model's hints, HINT_PLANES planes of h x w floats (planar,
 * row-major; `size` is the model's side, or [h, w] for a model that is not square), the same arithmetic
 * in the same order as sketch2real.export.canvas_to_hints:
 *   1. a = alpha / 255; premultiplied colour p = R * a (and G, B);
 *   2. average a and p over each (height/h x width/w) block: m, p̄;
 *   3. hint RGB = p̄ / 127.5 - m, coverage = m.
 * Returns { hints, painted } where painted says whether any pixel has colour. `out` (optional) is
 * filled instead of a new array.
 */
export function canvasToHints(rgba, width, height, size, out = null) {
  const [h, w] = modelShape(size);
  const side = blockSide(width, height, size);
  if (rgba.length !== width * height * 4) throw new Error(`expected ${width * height * 4} RGBA bytes, got ${rgba.length}`);
  const n = side * side, plane = h * w;
  const hints = out ?? new Float32Array(HINT_PLANES * plane);
  let painted = false;
  for (let by = 0; by < h; by++) {
    for (let bx = 0; bx < w; bx++) {
      let r = 0, g = 0, b = 0, a = 0;
      for (let y = by * side; y < (by + 1) * side; y++) {
        let i = (y * width + bx * side) * 4;
        for (let x = 0; x < side; x++, i += 4) {
          const alpha = rgba[i + 3] / 255;
          r += rgba[i] * alpha;
          g += rgba[i + 1] * alpha;
          b += rgba[i + 2] * alpha;
          a += alpha;
        }
      }
      const m = a / n, k = by * w + bx;
      if (m > 0) painted = true;
      hints[k] = r / n / 127.5 - m;
      hints[plane + k] = g / n / 127.5 - m;
      hints[2 * plane + k] = b / n / 127.5 - m;
      hints[3 * plane + k] = m;
    }
  }
  return { hints, painted };
}

/** The swatches and the free colour picker inside `container`; `onPick(hex)` is called with the chosen
 *  colour. Returns a function that marks a colour as the current one. */
export function buildPalette(container, picker, onPick) {
  const swatches = [];
  for (const { group, colours } of PALETTE) {
    const row = document.createElement('span');
    row.className = 'swatch-group';
    row.append(Object.assign(document.createElement('span'), { className: 'swatch-label', textContent: group }));
    for (const [name, hex] of colours) {
      const button = Object.assign(document.createElement('button'), { type: 'button', className: 'swatch',
                                                                       title: `${group}: ${name}` });
      button.style.setProperty('--swatch', hex);
      button.dataset.colour = hex;
      button.setAttribute('aria-label', `${group} colour: ${name}`);
      button.addEventListener('click', () => onPick(hex));
      swatches.push(button);
      row.append(button);
    }
    container.append(row);
  }
  picker.addEventListener('input', () => onPick(picker.value));
  return (hex) => {
    for (const s of swatches) s.setAttribute('aria-pressed', String(s.dataset.colour === hex));
    picker.value = hex;
  };
}
