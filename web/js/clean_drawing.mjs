// Clean a photo or scan of a drawing on paper into ink on white paper (an upload on the sketch page).
// Pure arithmetic on RGBA pixels, no DOM. sketch2real/clean.py (clean_drawing) is its Python twin: the same
// steps in the same order, in float64 (JavaScript's numbers), and tests/test_sketch_upload.py checks that
// both give the same ink on the same pixels.

export const GREY_WEIGHTS = [0.299, 0.587, 0.114];   // ITU-R BT.601 luma, as canvasToSketch
export const WORK = 768;          // the longer side is block-averaged down to at most this many pixels
const SAMPLES = 16384;            // statistics use about this many pixels, every k-th one
const BACKGROUND = 1 / 24;        // radius of the paper estimate, share of the longer side
const NOISE_MADS = 4;             // the ink threshold: this many (normal-scaled) MADs above the paper ...
const NOISE_FLOOR = 0.02;         // ... plus this much darkness
const INK_QUANTILE = 0.9;         // strong ink: this quantile of the darkness above the threshold
const FULL_INK = 0.5;             // full black this share of the way from the threshold to strong ink
const MIN_CONTRAST = 0.08;        // strong ink less dark than threshold + this: no drawing
const MIN_INK = 0.0003;           // share of pixels that must be ink (s >= 0.5)
const MAX_NOISE = 0.05;           // the paper's MAD above this: no plain paper, a photograph
const MAX_INK = 0.35;             // a crop with more ink than this ...
const MAX_MID = 0.45;             // ... and more of it in mid-tones than this is a photograph
const TRIM = 0.002;               // the crop leaves out this share of the ink mass at each side
const MARGIN = 0.02;              // and adds this share of its longer side around it
export const MIN_WIDTH = 1.25;    // lines are widened to this many model pixels, once fitted
const MAX_WIDEN = 6;              // the widening radius is capped at this many working pixels
const TRANSPARENT = 0.01;         // this share of transparent pixels makes the image a cut-out
const INVERT_PAPER = 110;         // light-on-dark: the median grey is below this ...
const INVERT_TAIL = 2;            // ... and the bright tail this many times the dark one

/** The q-quantile of ascending `sorted`, without interpolation: sorted[floor(q * (n - 1))]. */
function quantile(sorted, q) {
  return sorted[Math.floor(q * (sorted.length - 1))];
}

/** Every k-th value (k = max(1, floor(n / SAMPLES))), as a new Float64Array. */
function sample(x) {
  const k = Math.max(1, Math.floor(x.length / SAMPLES));
  const out = new Float64Array(Math.ceil(x.length / k));
  for (let i = 0, j = 0; i < x.length; i += k, j++) out[j] = x[i];
  return out;
}

/** 1. Grey (0..255) composited over paper by alpha; a light cut-out goes over black (see clean.py). */
function greyOf(rgba, n) {
  const grey = new Float64Array(n);
  let clear = 0, opaqueSum = 0;
  for (let i = 0, p = 0; i < n; i++, p += 4) {
    grey[i] = GREY_WEIGHTS[0] * rgba[p] + GREY_WEIGHTS[1] * rgba[p + 1] + GREY_WEIGHTS[2] * rgba[p + 2];
    if (rgba[p + 3] < 128) clear++; else opaqueSum += grey[i];
  }
  const paper = clear / n >= TRANSPARENT && clear < n && opaqueSum / (n - clear) > 127.5 ? 0 : 255;
  for (let i = 0, p = 3; i < n; i++, p += 4) {
    const a = rgba[p] / 255;
    grey[i] = grey[i] * a + paper * (1 - a);
  }
  return { grey, paper };
}

/** 2. Average f x f blocks, f = ceil(longer side / limit), dropping partial rows and columns. */
function blockAverage(grey, w, h, limit) {
  const f = Math.ceil(Math.max(h, w) / limit);
  if (f === 1) return { grey, w, h };
  const w2 = Math.floor(w / f), h2 = Math.floor(h / f);
  const out = new Float64Array(w2 * h2);
  for (let y = 0; y < h2 * f; y++) {
    const row = y * w, orow = Math.floor(y / f) * w2;
    for (let x = 0; x < w2 * f; x++) out[orow + Math.floor(x / f)] += grey[row + x];
  }
  const area = f * f;
  for (let i = 0; i < out.length; i++) out[i] /= area;
  return { grey: out, w: w2, h: h2 };
}

/** Max over a window of +-r along one line (start, stride, length n), cut off at the ends. */
function lineMax(src, dst, start, stride, n, r, queue) {
  let head = 0, tail = 0;
  for (let j = 0; j < n + r; j++) {
    if (j < n) {
      const v = src[start + j * stride];
      while (tail > head && src[start + queue[tail - 1] * stride] <= v) tail--;
      queue[tail++] = j;
    }
    const i = j - r;
    if (i < 0) continue;
    while (queue[head] < i - r) head++;
    dst[start + i * stride] = src[start + queue[head] * stride];
  }
}

/** The maximum over the (2r+1)^2 window, cut off at the image's edges (rows, then columns). */
export function maxFilter(x, w, h, r) {
  const tmp = new Float64Array(x.length), out = new Float64Array(x.length);
  const queue = new Int32Array(Math.max(w, h));
  for (let y = 0; y < h; y++) lineMax(x, tmp, y * w, 1, w, r, queue);
  for (let c = 0; c < w; c++) lineMax(tmp, out, c, w, h, r, queue);
  return out;
}

/** Mean over a window of +-r along one line, cut off at the ends (prefix sums). */
function lineMean(src, dst, start, stride, n, r, prefix) {
  prefix[0] = 0;
  for (let j = 0; j < n; j++) prefix[j + 1] = prefix[j] + src[start + j * stride];
  for (let i = 0; i < n; i++) {
    const a = Math.max(0, i - r), b = Math.min(n, i + r + 1);
    dst[start + i * stride] = (prefix[b] - prefix[a]) / (b - a);
  }
}

function boxMean(x, w, h, r) {
  const tmp = new Float64Array(x.length), out = new Float64Array(x.length);
  const prefix = new Float64Array(Math.max(w, h) + 1);
  for (let y = 0; y < h; y++) lineMean(x, tmp, y * w, 1, w, r, prefix);
  for (let c = 0; c < w; c++) lineMean(tmp, out, c, w, h, r, prefix);
  return out;
}

/** The pixels of `mask` (Uint8Array) 4-connected to a mask pixel on the border (a flood fill). */
function borderConnected(mask, w, h) {
  const reached = new Uint8Array(mask.length);
  const stack = new Int32Array(mask.length);
  let top = 0;
  const seed = (i) => { if (mask[i] && !reached[i]) { reached[i] = 1; stack[top++] = i; } };
  for (let x = 0; x < w; x++) { seed(x); seed((h - 1) * w + x); }
  for (let y = 0; y < h; y++) { seed(y * w); seed(y * w + w - 1); }
  while (top > 0) {
    const i = stack[--top], x = i % w;
    if (x > 0) seed(i - 1);
    if (x < w - 1) seed(i + 1);
    if (i >= w) seed(i - w);
    if (i < (h - 1) * w) seed(i + w);
  }
  return reached;
}

/** 9. The crop (x0, y0, x1, y1): all but TRIM of the ink mass at each end, plus MARGIN around. */
function cropBox(ink, w, h) {
  const cols = new Float64Array(w), rows = new Float64Array(h);
  for (let y = 0, i = 0; y < h; y++) for (let x = 0; x < w; x++, i++) { cols[x] += ink[i]; rows[y] += ink[i]; }
  const span = (mass) => {
    const c = new Float64Array(mass.length);
    let run = 0;
    for (let i = 0; i < mass.length; i++) c[i] = run += mass[i];
    const total = c[c.length - 1];
    let lo = 0, hi = 0;
    for (let i = 0; i < c.length; i++) { if (c[i] < TRIM * total) lo++; if (c[i] <= (1 - TRIM) * total) hi++; }
    return [lo, Math.min(mass.length, hi + 1)];
  };
  const [x0, x1] = span(cols), [y0, y1] = span(rows);
  const m = Math.round(MARGIN * Math.max(x1 - x0, y1 - y0));
  return [Math.max(0, x0 - m), Math.max(0, y0 - m), Math.min(w, x1 + m), Math.min(h, y1 + m)];
}

/** The lines' mean width in pixels: 2 x ink area / ink-paper pixel edges (the image's border counts). */
function strokeWidth(mask, w, h) {
  let area = 0, edges = 0;
  for (let y = 0, i = 0; y < h; y++) {
    for (let x = 0; x < w; x++, i++) {
      const m = mask[i];
      area += m;
      if (x > 0 && m !== mask[i - 1]) edges++;
      if (y > 0 && m !== mask[i - w]) edges++;
      if (m && (x === 0 || x === w - 1)) edges++;
      if (m && (y === 0 || y === h - 1)) edges++;
    }
  }
  return 2 * area / Math.max(1, edges);
}

/**
 * RGBA pixels (width x height) of a photo or scan of a drawing -> what it holds:
 *   {status: 'ok' | 'empty' | 'photo', ink: Float64Array (crop, 0 = paper, 1 = full ink) | null,
 *    width, height (the crop's), box: [x0, y0, x1, y1] in working pixels | null, work: [w, h],
 *    inverted, widened, stats}.
 * `frame`: [width, height] of the model's frame in model pixels, for widening thin lines (or null).
 * The steps, as sketch2real.clean.clean_drawing documents them:
 *   1 grey over paper; 2 block-average to <= `work`; 3 flip light-on-dark; 4 paper = box mean of the
 *   max filter (radius longer side / 24); 5 darkness = 1 - grey / paper; 6 levels with a soft threshold
 *   above the paper's noise; 7 no paper -> 'photo', no ink -> 'empty'; 8 drop ink touching the border;
 *   9 crop to the ink, 'photo' if the crop is mostly mid-tone ink; 10 widen lines thinner than MIN_WIDTH.
 */
export function cleanDrawing(rgba, width, height, frame = null, work = WORK) {
  if (rgba.length !== width * height * 4) throw new Error(`expected ${width * height * 4} RGBA bytes, got ${rgba.length}`);
  const first = greyOf(rgba, width * height);                                         // 1
  let { grey, w, h } = blockAverage(first.grey, width, height, work);                 // 2
  const n = w * h;
  const stats = { cutout_background: first.paper };
  const g = sample(grey).sort();
  const med0 = quantile(g, 0.5), q01 = quantile(g, 0.01), q99 = quantile(g, 0.99);
  const inverted = med0 < INVERT_PAPER && (q99 - med0) > INVERT_TAIL * (med0 - q01) && q99 - med0 > 32;
  if (inverted) for (let i = 0; i < n; i++) grey[i] = 255 - grey[i];                  // 3
  const r = Math.max(2, Math.round(Math.max(h, w) * BACKGROUND));
  const paper = boxMean(maxFilter(grey, w, h, r), w, h, r);                           // 4
  const dark = new Float64Array(n);
  for (let i = 0; i < n; i++) dark[i] = Math.min(1, Math.max(0, 1 - grey[i] / Math.max(paper[i], 1)));   // 5
  const d = sample(dark);
  const med = quantile(d.slice().sort(), 0.5);
  const dev = new Float64Array(d.length);
  for (let i = 0; i < d.length; i++) dev[i] = Math.abs(d[i] - med);
  const mad = quantile(dev.sort(), 0.5);
  const lo = med + NOISE_MADS * 1.4826 * mad + NOISE_FLOOR;                           // 6
  const above = d.filter((v) => v > lo);
  const q = above.length ? quantile(above.sort(), INK_QUANTILE) : lo;
  Object.assign(stats, { median: med, mad, lo, strong: q, radius: r, inverted });
  const result = { status: 'empty', ink: null, width: 0, height: 0, box: null, work: [w, h], inverted, widened: 0, stats };
  if (mad > MAX_NOISE) return { ...result, status: 'photo' };                        // 7
  if (q - lo < MIN_CONTRAST) return result;
  const hi = lo + FULL_INK * (q - lo);
  const ink = new Float64Array(n);
  const strong = new Uint8Array(n);
  let count = 0;
  for (let i = 0; i < n; i++) {
    const t = Math.min(1, Math.max(0, (dark[i] - lo) / (hi - lo)));
    ink[i] = t * t * (3 - 2 * t);
    if (ink[i] >= 0.5) { strong[i] = 1; count++; }
  }
  if (count / n < MIN_INK) return result;
  const edge = borderConnected(strong, w, h);                                         // 8
  if (edge.some((v) => v)) {
    const grown = maxFilter(Float64Array.from(edge), w, h, 1);
    count = 0;
    for (let i = 0; i < n; i++) {
      if (grown[i] > 0) ink[i] = 0;
      strong[i] = ink[i] >= 0.5 ? 1 : 0;
      count += strong[i];
    }
  }
  stats.ink_share = count / n;
  if (stats.ink_share < MIN_INK) return result;
  const [x0, y0, x1, y1] = cropBox(ink, w, h);                                        // 9
  const cw = x1 - x0, ch = y1 - y0;
  let crop = new Float64Array(cw * ch);
  const cs = new Uint8Array(cw * ch);
  let inkCount = 0, inked = 0, midCount = 0;
  for (let y = 0; y < ch; y++) {
    for (let x = 0; x < cw; x++) {
      const v = ink[(y + y0) * w + x + x0], j = y * cw + x;
      crop[j] = v;
      if (v >= 0.5) { cs[j] = 1; inkCount++; }
      if (v > 0.1) { inked++; if (v < 0.9) midCount++; }
    }
  }
  const share = inkCount / (cw * ch), mid = inked ? midCount / inked : 0;
  Object.assign(stats, { crop_ink: share, mid_tones: mid });
  if (share > MAX_INK && mid > MAX_MID) return { ...result, status: 'photo' };
  let widened = 0;
  if (frame) {                                                                        // 10
    const strokes = strokeWidth(cs, cw, ch);
    const scale = Math.min(frame[0] / cw, frame[1] / ch);
    Object.assign(stats, { stroke_width: strokes, scale });
    widened = Math.min(MAX_WIDEN, Math.max(0, Math.round((MIN_WIDTH / scale - strokes) / 2)));
    if (widened) crop = maxFilter(crop, cw, ch, widened);
  }
  return { status: 'ok', ink: crop, width: cw, height: ch, box: [x0, y0, x1, y1], work: [w, h], inverted, widened, stats };
}

/** Ink (0 = paper, 1 = ink) -> opaque grey RGBA bytes: 255 * (1 - ink), rounded. */
export function inkToRgba(ink, out = null) {
  const rgba = out ?? new Uint8ClampedArray(ink.length * 4);
  for (let i = 0, p = 0; i < ink.length; i++, p += 4) {
    const v = Math.round(255 * (1 - ink[i]));
    rgba[p] = rgba[p + 1] = rgba[p + 2] = v;
    rgba[p + 3] = 255;
  }
  return rgba;
}

/** Where a crop of cw x ch goes, in shares of the canvas: as large as fits in `frame` ({x0, y0, x1, y1},
 *  one of FRAMES) keeping its aspect, centred there. `aspect` is the canvas's width / height (2/3 for the
 *  people model's portrait canvas): shares of a tall canvas's height are longer than of its width.
 *  Returns [x0, y0, x1, y1]. */
export function fittedBox(cw, ch, frame, aspect = 1) {
  const fw = (frame.x1 - frame.x0) * aspect, fh = frame.y1 - frame.y0;   // in units of the canvas height
  const scale = Math.min(fw / cw, fh / ch);
  const cx = (frame.x0 + frame.x1) / 2, cy = (frame.y0 + frame.y1) / 2;
  const hw = cw * scale / 2 / aspect, hh = ch * scale / 2;
  return [cx - hw, cy - hh, cx + hw, cy + hh];
}
