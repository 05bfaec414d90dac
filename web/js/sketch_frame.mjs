// The drawing canvas's shape, and a drawing moved between canvases of two shapes (a model switch between a
// square model and the 2:3 people model). No DOM here except sizeCanvases.
//
// Strokes are stored in shares of the canvas (x of its width, y of its height, pen widths of its width), so
// the same stroke list on a canvas of another shape would be stretched. A switch instead keeps every stroke
// the same size in canvas pixels and centred: a face drawn on the 256 x 256 canvas lands in the middle band
// of the 256 x 384 one, and a person drawn on the tall canvas loses its top and bottom sixth from view on
// the square one (the strokes keep them, so switching back shows the whole figure again). The undo and redo
// steps are moved the same way, so undo still works across the switch.
import { WIDTH } from './sketch_layers.mjs';

/** The drawing canvas {width, height} for a model of `width` x `height` pixels: WIDTH wide and as tall as
 *  keeps the model's proportions, the same whole multiple of the model across and down; null when there
 *  is none (a model whose width does not divide WIDTH). */
export function canvasShape(width, height) {
  if (!(width > 0 && height > 0) || WIDTH % width) return null;
  return { width: WIDTH, height: (WIDTH / width) * height };
}

/** The map from shares of canvas `from` to shares of canvas `to` ({width, height} each, in pixels) that
 *  keeps a drawing's size in pixels and its centre: x' = x * sx + dx, y' = y * sy + dy. */
export function reframe(from, to) {
  const sx = from.width / to.width, sy = from.height / to.height;
  return { sx, sy, dx: (1 - sx) / 2, dy: (1 - sy) / 2 };
}

/** A stroke moved by a map from reframe: its points or its image's box, and its pen width (a share of the
 *  canvas width) kept in pixels. */
export function reframeStroke(stroke, { sx, sy, dx, dy }) {
  if (stroke.box) {
    const [x0, y0, x1, y1] = stroke.box;
    return Object.freeze({ ...stroke, box: Object.freeze([x0 * sx + dx, y0 * sy + dy, x1 * sx + dx, y1 * sy + dy]) });
  }
  const points = new Array(stroke.points.length);
  for (let i = 0; i < points.length; i += 2) {
    points[i] = stroke.points[i] * sx + dx;
    points[i + 1] = stroke.points[i + 1] * sy + dy;
  }
  return Object.freeze({ ...stroke, width: stroke.width * sx, points });
}

/** Every stroke list of `lists` moved by `t`, each stroke once: the undo steps share most of their strokes
 *  with each other, and keep sharing them. */
export function reframeLists(lists, t) {
  const done = new Map();
  const move = (stroke) => {
    if (!done.has(stroke)) done.set(stroke, reframeStroke(stroke, t));
    return done.get(stroke);
  };
  return lists.map((list) => list.map(move));
}

/** `layers` (sketch_layers.mjs) resized to the drawing canvas for a model of `model` = {width, height}
 *  pixels, with every step of `history` (sketch_history.mjs) moved to it and the drawing redrawn; nothing
 *  changes when the canvas already has that shape (a switch between two square models). */
export function moveDrawing(layers, history, model) {
  const canvas = canvasShape(model.width, model.height);
  if (canvas.width === layers.width && canvas.height === layers.height) return;
  const t = reframe(layers, canvas);
  history.remap((lists) => reframeLists(lists, t));
  layers.resize(canvas.width, canvas.height);
  layers.render(history.strokes, null);
}

/** The page's two canvases for a model of `model` = {width, height} pixels: the output canvas takes the
 *  model's size (cleared when that changes), both are shown at its proportions, and `studio` (their
 *  container) gets the class `portrait` for a tall model (narrower, in site.css). */
export function sizeCanvases(draw, photo, studio, model) {
  const aspect = `${model.width} / ${model.height}`;
  draw.style.aspectRatio = aspect;
  photo.style.aspectRatio = aspect;
  if (photo.width !== model.width || photo.height !== model.height) Object.assign(photo, model);
  studio?.classList.toggle('portrait', model.height > model.width);
}
