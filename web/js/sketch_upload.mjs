// Bring your own drawing: a photo or scan of a drawing on paper, from the file picker, dropped on the page
// or pasted, cleaned here (clean_drawing.mjs) and handed to the page as one image stroke. Nothing leaves
// the visitor's machine: the file is read with Blob APIs and decoded by the browser's createImageBitmap.
import { WORK, cleanDrawing, fittedBox, inkToRgba } from './clean_drawing.mjs';
import { modelShape } from './sketch_input.mjs';

export const MAX_PIXELS = 50e6;           // larger images are refused before decoding (a frozen tab otherwise)
export const MAX_BYTES = 100 * 2 ** 20;   // and larger files before reading
const HEAD_BYTES = 256 * 1024;            // read to find the format, the size and the JPEG orientation

const HEIF_BRANDS = ['heic', 'heix', 'hevc', 'hevx', 'heim', 'heis', 'hevm', 'hevs', 'mif1', 'msf1'];

/** A file's format and pixel size from its first bytes: {type, width, height, swap} (width/height 0 when
 *  unknown; swap when a JPEG's EXIF orientation turns it by 90 degrees). */
export function sniff(bytes) {
  const b = bytes, n = b.length;
  const u16 = (i) => (b[i] << 8) | b[i + 1], u32 = (i) => ((b[i] << 24) >>> 0) + ((b[i + 1] << 16) | (b[i + 2] << 8) | b[i + 3]);
  const le16 = (i) => b[i] | (b[i + 1] << 8), le32 = (i) => (b[i] | (b[i + 1] << 8) | (b[i + 2] << 16) | (b[i + 3] << 24));
  const ascii = (i, len) => String.fromCharCode(...b.subarray(i, i + len));
  const out = (type, width = 0, height = 0, swap = false) => ({ type, width, height, swap });
  if (n >= 24 && b[0] === 0x89 && ascii(1, 3) === 'PNG') return out('png', u32(16), u32(20));
  if (n >= 10 && ascii(0, 4) === 'GIF8') return out('gif', le16(6), le16(8));
  if (n >= 26 && ascii(0, 2) === 'BM') return out('bmp', Math.abs(le32(18)), Math.abs(le32(22)));
  if (n >= 30 && ascii(0, 4) === 'RIFF' && ascii(8, 4) === 'WEBP') {
    const chunk = ascii(12, 4);
    if (chunk === 'VP8 ') return out('webp', le16(26) & 0x3fff, le16(28) & 0x3fff);
    if (chunk === 'VP8L') return out('webp', 1 + (b[21] | ((b[22] & 0x3f) << 8)), 1 + ((b[22] >> 6) | (b[23] << 2) | ((b[24] & 0xf) << 10)));
    if (chunk === 'VP8X') return out('webp', 1 + (b[24] | (b[25] << 8) | (b[26] << 16)), 1 + (b[27] | (b[28] << 8) | (b[29] << 16)));
    return out('webp');
  }
  if (n >= 4 && b[0] === 0xff && b[1] === 0xd8 && b[2] === 0xff) return sniffJpeg(b, u16, u32);
  if (n >= 12 && ascii(4, 4) === 'ftyp') {
    const brands = [];
    for (let i = 8; i + 4 <= Math.min(n, 8 + u32(0) - 8); i += 4) brands.push(ascii(i, 4));
    const type = brands.some((x) => x === 'avif' || x === 'avis') ? 'avif' : brands.some((x) => HEIF_BRANDS.includes(x)) ? 'heic' : 'unknown';
    let width = 0, height = 0;                 // the largest 'ispe' box: the main picture, not a thumbnail
    for (let i = 4; i + 16 <= n; i++) {
      if (b[i] === 0x69 && ascii(i, 4) === 'ispe' && u32(i + 8) * u32(i + 12) > width * height) { width = u32(i + 8); height = u32(i + 12); }
    }
    return out(type, width, height);
  }
  const head = new TextDecoder().decode(b.subarray(0, 2048)).replace(/^\uFEFF/, '').trimStart();
  if (/^<(\?xml|svg|!DOCTYPE svg)/i.test(head) && /<svg/i.test(head)) return out('svg');
  let controls = 0;
  for (let i = 0; i < Math.min(n, 2048); i++) if (b[i] < 9 || (b[i] > 13 && b[i] < 32)) controls++;
  return out(n > 0 && controls === 0 ? 'text' : 'unknown');
}

function sniffJpeg(b, u16, u32) {
  let width = 0, height = 0, orientation = 1;
  for (let i = 2; i + 9 < b.length;) {
    if (b[i] !== 0xff) break;
    const marker = b[i + 1];
    if (marker === 0xff) { i++; continue; }
    if (marker === 0xd8 || (marker >= 0xd0 && marker <= 0xd7) || marker === 0x01) { i += 2; continue; }
    const length = u16(i + 2);
    if (marker === 0xe1 && String.fromCharCode(...b.subarray(i + 4, i + 8)) === 'Exif') orientation = exifOrientation(b, i + 10, Math.min(b.length, i + 2 + length)) || orientation;
    if (marker >= 0xc0 && marker <= 0xcf && marker !== 0xc4 && marker !== 0xc8 && marker !== 0xcc) {
      height = u16(i + 5); width = u16(i + 7);
      break;
    }
    if (marker === 0xda) break;               // the picture data begins: no size found
    i += 2 + length;
  }
  return { type: 'jpeg', width, height, swap: orientation >= 5 && orientation <= 8 };
}

function exifOrientation(b, tiff, end) {
  if (tiff + 8 > end) return 0;
  const little = b[tiff] === 0x49;
  const r16 = (i) => (little ? b[i] | (b[i + 1] << 8) : (b[i] << 8) | b[i + 1]);
  const r32 = (i) => (little ? (b[i] | (b[i + 1] << 8) | (b[i + 2] << 16)) + b[i + 3] * 2 ** 24 : b[i] * 2 ** 24 + ((b[i + 1] << 16) | (b[i + 2] << 8) | b[i + 3]));
  const ifd = tiff + r32(tiff + 4);
  if (ifd + 2 > end) return 0;
  const count = r16(ifd);
  for (let k = 0; k < count; k++) {
    const e = ifd + 2 + 12 * k;
    if (e + 12 > end) break;
    if (r16(e) === 0x0112) return r16(e + 8);
  }
  return 0;
}

const NAMES = { heic: 'a HEIC/HEIF photo (the iPhone camera\'s format)', svg: 'an SVG drawing', avif: 'an AVIF image' };

/** Why a file cannot be used, by what it is (SVG and HEIC are tried first: some browsers decode them). */
function undecodable(name, type) {
  if (type === 'heic' || type === 'svg' || type === 'avif') {
    return `${name} is ${NAMES[type]}, which this browser cannot read here. Save or export it as PNG or JPEG `
      + '(on an iPhone: Settings → Camera → Formats → Most Compatible, or share it as JPEG) and try again.';
  }
  return `${name} could not be read as a picture: the file may be damaged or cut short. Try saving it again as PNG or JPEG.`;
}

/** Pixels of an image Blob, shrunk so that its longer side is at most `work`: {rgba, width, height, source}
 *  or {error}. The format and size are read from the first bytes, so a huge picture is refused before it
 *  is decoded; the decoding itself runs off the main thread (createImageBitmap). */
export async function readImage(blob, name = 'the file', work = WORK) {
  if (!blob || blob.size === 0) return { error: `${name} is empty.` };
  if (blob.size > MAX_BYTES) return { error: `${name} is ${(blob.size / 2 ** 20).toFixed(0)} MB; the page reads files up to ${MAX_BYTES / 2 ** 20} MB.` };
  const head = new Uint8Array(await blob.slice(0, HEAD_BYTES).arrayBuffer());
  const info = sniff(head);
  const imageType = /^image\//.test(blob.type || '');
  if (info.type === 'text' || (info.type === 'unknown' && !imageType)) {
    return { error: `${name} is not an image${info.type === 'text' ? ' (it holds text)' : ''}: choose a photo or scan of a drawing (PNG, JPEG, WebP, GIF or BMP).` };
  }
  let [width, height] = info.swap ? [info.height, info.width] : [info.width, info.height];
  if (width * height > MAX_PIXELS) {
    return { error: `${name} is ${width}×${height} pixels (${(width * height / 1e6).toFixed(0)} megapixels); the page takes pictures of up to `
      + `${MAX_PIXELS / 1e6} megapixels. Make it smaller (a phone photo or a scan at 300 dpi is plenty) and try again.`, info };
  }
  const options = { imageOrientation: 'from-image', premultiplyAlpha: 'none', colorSpaceConversion: 'default' };
  const scale = width && height ? Math.min(1, work / Math.max(width, height)) : 1;
  if (scale < 1) {
    Object.assign(options, { resizeWidth: Math.max(1, Math.round(width * scale)), resizeHeight: Math.max(1, Math.round(height * scale)),
                             resizeQuality: 'medium' });
  }
  let bitmap;
  try {
    bitmap = await createImageBitmap(blob, options);
  } catch {
    return { error: undecodable(name, info.type), info };
  }
  try {
    if (!width) { width = bitmap.width; height = bitmap.height; }
    let w = bitmap.width, h = bitmap.height;
    const shrink = Math.min(1, work / Math.max(w, h));   // a format whose size the header did not tell
    w = Math.max(1, Math.round(w * shrink)); h = Math.max(1, Math.round(h * shrink));
    const canvas = makeCanvas(w, h);
    const c = canvas.getContext('2d', { willReadFrequently: true });
    c.clearRect(0, 0, w, h);
    c.imageSmoothingQuality = 'high';
    c.drawImage(bitmap, 0, 0, w, h);
    return { rgba: c.getImageData(0, 0, w, h).data, width: w, height: h, source: [width, height], info };
  } finally {
    bitmap.close();
  }
}

function makeCanvas(width, height) {
  if (typeof OffscreenCanvas !== 'undefined') return new OffscreenCanvas(width, height);
  return Object.assign(document.createElement('canvas'), { width, height });
}

/** RGBA pixels -> the page's image stroke, or {error}: cleaned, cropped, and placed fitted to `frame`
 *  ({x0, y0, x1, y1} in shares of the canvas) for a model of `size` pixels (its side, or [height, width]
 *  for a model that is not square: the people model's tall frame). */
export function imageStroke(rgba, width, height, frame, size, name = 'the picture') {
  const [mh, mw] = modelShape(size);
  const frameSize = [(frame.x1 - frame.x0) * mw, (frame.y1 - frame.y0) * mh];
  const result = cleanDrawing(rgba, width, height, frameSize);
  if (result.status === 'empty') {
    return { error: `No drawing found in ${name}: it looks like blank paper. Draw with a darker pencil or pen, `
      + 'or take the photo closer, in even light.', result };
  }
  if (result.status === 'photo') {
    return { error: `${name} looks like a photograph, not a drawing on paper: upload a photo or scan of a line drawing `
      + '(pencil or pen on white paper).', result };
  }
  const canvas = makeCanvas(result.width, result.height);
  const c = canvas.getContext('2d');
  const pixels = c.createImageData(result.width, result.height);
  inkToRgba(result.ink, pixels.data);
  c.putImageData(pixels, 0, 0);
  const box = fittedBox(result.width, result.height, frame, mw / mh);
  const stroke = Object.freeze({ tool: 'image', image: canvas, box: Object.freeze(box) });
  return { stroke, result };
}

const imageFile = (files) => [...(files ?? [])].find((f) => /^image\//.test(f.type)) ?? [...(files ?? [])][0] ?? null;

/**
 * The upload controls: the button (`button`, clicking the hidden file input `input`), files dropped on the
 * page (`target`, the drawing canvas, is highlighted while a file is dragged), and pasted images.
 * onImage(stroke) gets each cleaned drawing; onError(message) what went wrong (the drawing is untouched);
 * frame() and size() are the current model's frame (FRAMES) and picture size (a side, or [height, width]);
 * `note`, an element for what happened. Returns {load(blob, name)} and the log of uploads (for tests and the benchmark).
 */
export function wireUpload({ target, onImage, onError, frame, size, button = null, input = null, note = null }) {
  const log = [];
  let token = 0;
  let shownError = null;
  const say = (text) => { if (note) { note.textContent = text; note.hidden = !text; } };
  const fail = (message) => {
    shownError = message;
    say('');
    onError(message);
    return message;
  };

  async function load(blob, name = blob?.name || 'the pasted picture') {
    const mine = ++token;
    const t0 = performance.now();
    const entry = { name, t0, ms: null, error: null, status: null };
    log.push(entry);
    if (button) button.disabled = true;
    say(`Reading ${name}…`);
    try {
      const image = await readImage(blob, name);
      if (mine !== token) return null;               // a newer file arrived meanwhile
      entry.readMs = performance.now() - t0;         // reading + decoding + shrinking
      if (image.error) { entry.error = fail(image.error); return null; }
      const made = imageStroke(image.rgba, image.width, image.height, frame(), size(), name);
      entry.status = made.result?.status ?? null;
      entry.stats = made.result?.stats ?? null;
      entry.cleanMs = performance.now() - t0 - entry.readMs;
      if (made.error) { entry.error = fail(made.error); return null; }
      onImage(made.stroke);
      entry.ms = performance.now() - t0;
      const [w, h] = image.source;
      say(`${name} (${w}×${h}) is on the canvas as ink${made.result.inverted ? ', its light lines on dark turned dark on white' : ''}: `
        + 'draw, erase or undo as usual.');
      const box = document.getElementById('error');
      if (shownError && box && !box.hidden && box.textContent.endsWith(shownError)) box.hidden = true;
      shownError = null;
      return made.stroke;
    } catch (e) {
      entry.error = fail(`${name} could not be read (${e?.message ?? e}).`);
      return null;
    } finally {
      if (button && mine === token) button.disabled = false;
    }
  }

  if (button && input) {
    button.addEventListener('click', () => input.click());
    input.addEventListener('change', () => {
      const file = input.files?.[0];
      input.value = '';                              // the same file can be chosen again
      if (file) load(file);
    });
  }
  const hasFiles = (event) => [...(event.dataTransfer?.types ?? [])].includes('Files');
  const highlight = (on) => { target.style.outline = on ? '3px dashed #3b6fd8' : ''; target.style.outlineOffset = on ? '3px' : ''; };
  // Anywhere on the page: a file dropped a little beside the canvas must not open in the tab instead.
  document.addEventListener('dragover', (event) => {
    if (!hasFiles(event)) return;
    event.preventDefault();
    event.dataTransfer.dropEffect = 'copy';
    highlight(true);
  });
  document.addEventListener('dragleave', (event) => { if (!event.relatedTarget) highlight(false); });
  document.addEventListener('drop', (event) => {
    highlight(false);
    if (!hasFiles(event)) return;                    // dragged text or links: not for us
    event.preventDefault();
    const file = imageFile(event.dataTransfer.files);
    if (file) load(file);
  });
  document.addEventListener('paste', (event) => {
    const files = [...(event.clipboardData?.files ?? [])];
    if (!files.length) return;                       // text: not for us
    event.preventDefault();
    load(imageFile(files), files[0].name && files[0].name !== 'image.png' ? files[0].name : 'the pasted picture');
  });
  return { load, log };
}
