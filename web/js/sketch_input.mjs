// Pure functions behind the sketch page: canvas pixels -> the model's input, where the ink is, and how
// to move a drawing so that it fills the frame. No DOM here, so each can be checked on its own.

export const GREY_WEIGHTS = [0.299, 0.587, 0.114];   // ITU-R BT.601 luma, as sketch2real.export uses
export const INK_LEVEL = 250;                          // a pixel darker than this (0..255 grey) is ink

/** Grey (0..255) of pixel i of RGBA data, composited over white paper by its alpha. */
function paperGrey(rgba, i) {
  const alpha = rgba[i + 3] / 255;
  const grey = GREY_WEIGHTS[0] * rgba[i] + GREY_WEIGHTS[1] * rgba[i + 1] + GREY_WEIGHTS[2] * rgba[i + 2];
  return grey * alpha + 255 * (1 - alpha);
}

/** The model's picture as [height, width] from `size`: a number (a square picture) or a [height, width]
 *  pair, as sketch2real.export's `size`. */
export function modelShape(size) {
  const [h, w] = typeof size === 'number' ? [size, size] : size;
  if (!Number.isInteger(h) || !Number.isInteger(w) || h <= 0 || w <= 0) throw new Error(`bad model size ${size}`);
  return [h, w];
}

/** The block side (canvas pixels per model pixel) of a width x height canvas for a model of `size`, or an
 *  error: both sides must be the same whole multiple of the model's, as sketch2real.export requires. */
export function blockSide(width, height, size) {
  const [h, w] = modelShape(size);
  if (width % w || height % h || width / w !== height / h) {
    throw new Error(`canvas ${width}x${height} is not a whole multiple of the model's ${w}x${h}`);
  }
  return width / w;
}

/**
 * A canvas's RGBA pixels -> the model's input, h x w floats (row-major): 1 = white paper, -1 = ink, where
 * `size` is the model's side (square) or [h, w]. The same arithmetic, in the same order, as
 * sketch2real.export.canvas_to_sketch:
 *   1. composite over white by alpha: grey * a/255 + 255 * (1 - a/255);
 *   2. grey = 0.299 R + 0.587 G + 0.114 B;
 *   3. average each (height/h x width/w) block;
 *   4. v / 127.5 - 1.
 * `out` (optional) is filled and returned instead of a new array.
 */
export function canvasToSketch(rgba, width, height, size, out = null) {
  const [h, w] = modelShape(size);
  const b = blockSide(width, height, size);
  if (rgba.length !== width * height * 4) throw new Error(`expected ${width * height * 4} RGBA bytes, got ${rgba.length}`);
  const result = out ?? new Float32Array(h * w);
  for (let by = 0; by < h; by++) {
    for (let bx = 0; bx < w; bx++) {
      let sum = 0;
      for (let y = by * b; y < (by + 1) * b; y++) {
        let i = (y * width + bx * b) * 4;
        for (let x = 0; x < b; x++, i += 4) sum += paperGrey(rgba, i);
      }
      result[by * w + bx] = sum / (b * b) / 127.5 - 1;
    }
  }
  return result;
}

/**
 * The ink's bounding box in shares of the frame, {x0, y0, x1, y1} (x1, y1 exclusive), or null when no
 * pixel is darker than `level`: an empty drawing.
 */
export function inkBox(rgba, width, height, level = INK_LEVEL) {
  let x0 = width, y0 = height, x1 = -1, y1 = -1;
  for (let y = 0, i = 0; y < height; y++) {
    for (let x = 0; x < width; x++, i += 4) {
      if (paperGrey(rgba, i) < level) {
        if (x < x0) x0 = x;
        if (x > x1) x1 = x;
        if (y < y0) y0 = y;
        y1 = y;
      }
    }
  }
  if (x1 < 0) return null;
  return { x0: x0 / width, y0: y0 / height, x1: (x1 + 1) / width, y1: (y1 + 1) / height };
}

/** Where a drawing should sit in the frame, as the examples (and the training pictures) do. */
export const FRAMES = Object.freeze({
  // an aligned face photo: the head from x 0.2 to 0.8, forehead 0.1, chin 0.95
  faces: Object.freeze({ x0: 0.2, y0: 0.1, x1: 0.8, y1: 0.95 }),
  // a product photo: the object fills the frame, a little margin all round
  objects: Object.freeze({ x0: 0.05, y0: 0.05, x1: 0.95, y1: 0.95 }),
  // a full-length street-fashion photo (2:3 portrait): head near the top, feet near the bottom, centred
  people: Object.freeze({ x0: 0.1, y0: 0.03, x1: 0.9, y1: 0.97 }),
});

const SMALL = 0.35;          // a drawing narrower and lower than this share of the frame is "small"
const OFF_CENTRE = 0.18;     // its centre further than this from the target's centre is "off-centre"

/**
 * Whether a drawing's box should be fitted: why ('small', 'off-centre') or null when it is fine.
 * `target` is one of FRAMES.
 */
export function fitReason(box, target) {
  if (!box) return null;
  const w = box.x1 - box.x0, h = box.y1 - box.y0;
  if (w < SMALL && h < SMALL) return 'small';
  const dx = (box.x0 + box.x1) / 2 - (target.x0 + target.x1) / 2;
  const dy = (box.y0 + box.y1) / 2 - (target.y0 + target.y1) / 2;
  if (Math.abs(dx) > OFF_CENTRE || Math.abs(dy) > OFF_CENTRE) return 'off-centre';
  return null;
}

/**
 * The transform {scale, dx, dy} (p' = p * scale + d, the same for x and y, so shapes keep their
 * proportions, on a portrait canvas too: x and y are shares of its width and of its height, and scaling
 * both by one factor scales the drawing's pixels evenly) that makes the ink box `box` as large as fits in
 * `target` and centres it there. `margin` is half the pen width, a share of the canvas width: the ink
 * reaches that far beyond the stroke's points, and moving the points does not widen the pen, so the
 * points' box (the ink box less the margin) is what is scaled. `aspect` is the canvas's width / height
 * (2/3 for the people model), which turns the margin into a share of the height.
 */
export function fitTransform(box, target, margin = 0, aspect = 1) {
  const mx = margin, my = margin * aspect;
  const w = Math.max(box.x1 - box.x0 - 2 * mx, 1e-6), h = Math.max(box.y1 - box.y0 - 2 * my, 1e-6);
  const scale = Math.min(Math.max(target.x1 - target.x0 - 2 * mx, 1e-6) / w,
                         Math.max(target.y1 - target.y0 - 2 * my, 1e-6) / h);
  const cx = (box.x0 + box.x1) / 2, cy = (box.y0 + box.y1) / 2;
  return { scale, dx: (target.x0 + target.x1) / 2 - cx * scale, dy: (target.y0 + target.y1) / 2 - cy * scale };
}

/** A stroke moved by a transform from fitTransform: new points, the same tool and pen width (an uploaded
 *  image stroke, {tool: 'image', image, box: [x0, y0, x1, y1]}: its box moved and scaled). */
export function transformStroke(stroke, { scale, dx, dy }) {
  if (stroke.box) {
    const [x0, y0, x1, y1] = stroke.box;
    return { ...stroke, box: [x0 * scale + dx, y0 * scale + dy, x1 * scale + dx, y1 * scale + dy] };
  }
  const points = new Array(stroke.points.length);
  for (let i = 0; i < points.length; i += 2) {
    points[i] = stroke.points[i] * scale + dx;
    points[i + 1] = stroke.points[i + 1] * scale + dy;
  }
  return { ...stroke, points };
}

/** A generated photo, [3, h, w] floats in [-1, 1] starting at `offset` (`size`: the side, or [h, w]), into
 *  RGBA bytes (alpha 255). */
export function photoToRgba(photo, size, rgba, offset = 0) {
  const [h, w] = modelShape(size);
  const plane = h * w;
  for (let i = 0; i < plane; i++) {
    for (let c = 0; c < 3; c++) {
      const v = (photo[offset + c * plane + i] + 1) * 127.5;
      rgba[4 * i + c] = v < 0 ? 0 : v > 255 ? 255 : Math.round(v);
    }
    rgba[4 * i + 3] = 255;
  }
  return rgba;
}
