// The sketch page: a drawing canvas, its stroke history, and live requests to the generator in
// worker.mjs (channel 'live': the worker keeps only the newest waiting request, so there is no backlog).
// The drawing has two layers: ink (pen, eraser) on white paper, which becomes the model's sketch, and
// colour (the colour pen, sketch_colour.mjs), which becomes its colour hints and shows under the ink.
// The canvas is 256 pixels wide and as tall as the model's picture is in proportion: square for faces,
// shoes and handbags, 256 x 384 for people (sketch_frame.mjs moves a drawing between the two).
import { downloadCanvas, sideBySide } from './download.mjs';
import { WorkerClient } from './sketch_client.mjs';
import { buildPalette, canvasToHints } from './sketch_colour.mjs';
import { canvasShape, moveDrawing, sizeCanvases } from './sketch_frame.mjs';
import { guideControl } from './sketch_guide.mjs';
import { History } from './sketch_history.mjs';
import { wireKeys } from './sketch_keys.mjs';
import { Layers, WIDTH } from './sketch_layers.mjs';
import { MODELS, parse, toSearch } from './sketch_params.mjs';
import { EXAMPLES } from './sketch_examples.mjs';
import { wireUpload } from './sketch_upload.mjs';
import { canvasToSketch, fitReason, fitTransform, inkBox, photoToRgba, transformStroke } from './sketch_input.mjs';

const $ = (id) => document.getElementById(id);
const LIVE_MS = 60;               // at most one live request per this many ms while the pen is down
const MAX_UNDO = 200;             // undo steps kept
const MAX_LOG = 500;              // latencies and errors kept for tests and benchmarks
const LOAD_TIMEOUT_MS = 60_000;
const MIN_STEP = 0.5 / WIDTH;     // pointer moves shorter than about half a canvas pixel add no point
const NO_MODEL = 'No picture: the model is not loaded. You can still draw.';
const COLOUR_BRUSH = 6;           // the colour pen's default width, in the model's pixels
const INK_WIDTHS = [1, 4], BRUSH_WIDTHS = [2, 16];   // the width slider's range for ink and for colour
const NO_HINTS = 'This model file takes no colour hints (an older export): the colour pen is off.';

const { params, notes: startNotes } = parse(location.search);
history.replaceState(null, '', toSearch(params));

// ------------------------------------------------------------------ state

const model = () => MODELS[params.model];
const modelFile = () => (params.runtime === 'tfjs' ? `${model().file}_tfjs` : params.onnx ?? `${model().file}.onnx`);

let phase = 'loading';            // loading | ready | error
let backendLabel = null;
// the model's picture in its pixels: the chosen model's until one is loaded, then the loaded one's (its
// sidecar's image_size wide and image_height high)
let shape = { width: model().size, height: model().height };
let notes = [...startNotes];

let tool = 'pen';
let penPx = model().pen;          // the pen width, in the model's pixels
let brushPx = COLOUR_BRUSH;       // the colour pen's width, in the model's pixels
let colour = '#d9b064';           // the colour pen's colour
let modelHints = false;           // whether the loaded model takes colour hints
const drawing = new History(MAX_UNDO);   // the drawing now (.strokes), its undo and redo steps
let current = null;               // the stroke being drawn, {tool, width, points}
let pointerId = null;
let exampleIndex = -1;
let guide = null;                 // the face guide's toggle (sketch_guide.mjs)
let markColour = () => {};        // shows which swatch is the current colour (set up in start)

let nextId = 1;
let latestId = 0;                 // the newest request (or empty drawing): only its answer is drawn
let outstanding = 0;              // requests sent and not yet answered, dropped or failed
let lastSentAt = -Infinity;
let dirty = false;                // the drawing changed since the last request
let liveTimer = null;
let penUp = null;                 // {id, t0}: the request sent when the pen was lifted
let lastInput = null, lastOutput = null, lastBox = null, lastFit = null;
let lastHints = null;             // the colour hints sent with the newest request, null for none
const stats = { requests: 0, results: 0, dropped: 0, stale: 0, errors: [], penUpLatencies: [], maxOutstanding: 0 };

const draw = $('draw');
const photo = $('photo');
Object.assign(draw, canvasShape(shape.width, shape.height));
sizeCanvases(draw, photo, draw.closest('.studio'), shape);
const layers = new Layers(draw);
const photoCtx = photo.getContext('2d');
let photoPixels = null;           // reused ImageData for the output
const client = new WorkerClient({ onReady, onResult, onDropped, onError: onWorkerError }, LOAD_TIMEOUT_MS);

const push = (list, item) => { list.push(item); if (list.length > MAX_LOG) list.shift(); };

// ------------------------------------------------------------------ status

function setBusy() {
  const busy = phase === 'loading' || (phase === 'ready' && outstanding > 0);
  $('spinner').hidden = !busy;
  $('status').setAttribute('aria-busy', String(busy));
  document.body.dataset.state = phase === 'ready' && outstanding > 0 ? 'busy' : phase;
  $('status-text').textContent = phase === 'loading' ? 'Loading the model…'
    : phase === 'error' ? 'Stopped.' : outstanding > 0 ? 'Drawing…' : 'Ready.';
}

function showNotes() {
  const list = $('notes');
  list.replaceChildren(...notes.map((text) => Object.assign(document.createElement('li'), { textContent: text })));
  list.hidden = notes.length === 0;
}

function showError(message, fatal) {
  push(stats.errors, message);
  const box = $('error');
  box.textContent = fatal ? `Error: ${message}` : `Something went wrong: ${message}`;
  box.hidden = false;
  if (fatal) {
    phase = 'error';
    if (!backendLabel) $('backend').textContent = 'nothing (stopped)';
    for (const el of document.querySelectorAll('.needs-model')) el.disabled = true;
    client.stop();
    outstanding = 0;
    clearPhoto(NO_MODEL);
  }
  setBusy();
}

// ------------------------------------------------------------------ drawing

/** Replace the drawing with `next` (an undoable step); returns the id of the request it sent, if any. */
function commit(next) {
  drawing.commit(next);
  return settled();
}

function undo() {
  if (!current && drawing.undo()) settled();
}

function redo() {
  if (!current && drawing.redo()) settled();
}

/** After every change to the stroke list: redraw, update the buttons and the fit hint, regenerate. */
function settled() {
  layers.render(drawing.strokes, current);
  $('undo').disabled = !drawing.canUndo;
  $('redo').disabled = !drawing.canRedo;
  const id = sendNow();
  const reason = fitReason(lastBox, model().frame);
  lastFit = reason;
  $('fit-hint').hidden = reason === null;
  $('fit-text').textContent = reason === 'small'
    ? `The drawing is small: the model works best when the ${model().noun} fills the frame, like the examples.`
    : `The drawing is off-centre: the model works best when the ${model().noun} sits in the middle, like the examples.`;
  return id;
}

function pointAt(event) {
  const box = draw.getBoundingClientRect();
  return [(event.clientX - box.left) / box.width, (event.clientY - box.top) / box.height];
}

function addPoint(event) {
  const [x, y] = pointAt(event);
  const p = current.points;
  if (Math.abs(x - p[p.length - 2]) < MIN_STEP && Math.abs(y - p[p.length - 1]) < MIN_STEP) return;
  p.push(x, y);
}

function onPointerDown(event) {
  if (current || (event.pointerType === 'mouse' && event.button !== 0)) return;
  event.preventDefault();
  draw.setPointerCapture?.(event.pointerId);
  pointerId = event.pointerId;
  const colourTool = tool === 'colour' || tool === 'colour-eraser';
  if (colourTool && !modelHints && phase === 'ready') return;      // the colour pen is off for this model
  current = { tool, width: (colourTool ? brushPx : penPx) / shape.width, points: pointAt(event) };
  if (tool === 'colour') current.colour = colour;
  layers.show(current);
  dirty = true;
  scheduleLive();
}

function onPointerMove(event) {
  if (!current || event.pointerId !== pointerId) return;
  const events = event.getCoalescedEvents?.();
  if (events && events.length) for (const e of events) addPoint(e);
  else addPoint(event);
  layers.show(current);
  dirty = true;
  scheduleLive();
}

function onPointerUp(event) {
  if (!current || event.pointerId !== pointerId) return;
  const t0 = performance.now();
  if (event.type === 'pointerup') addPoint(event);
  const stroke = current;
  current = null;
  pointerId = null;
  stroke.points = stroke.points.slice();           // a compact, final copy
  const id = commit([...drawing.strokes, Object.freeze(stroke)]);   // re-renders and sends at once
  penUp = id === null ? null : { id, t0 };          // the latency clock runs until its answer is drawn
}

// ------------------------------------------------------------------ requests

/** Send the drawing now (or, for an empty drawing, clear the picture without running the model).
 *  Returns the request's id, or null when nothing was sent. */
function sendNow() {
  clearTimeout(liveTimer);
  liveTimer = null;
  dirty = false;
  const pixels = layers.pixels('ink');
  const { width, height } = layers;
  const size = [shape.height, shape.width];
  lastBox = inkBox(pixels, width, height);
  // colour only counts for a model that reads it; a face painted only in colour is still a drawing
  const colourPixels = modelHints && phase === 'ready' ? layers.pixels('colour') : null;
  const colourHints = colourPixels ? canvasToHints(colourPixels, width, height, size) : null;
  lastHints = colourHints?.painted ? colourHints.hints : null;
  if (!lastBox && !lastHints) {
    latestId = nextId++;                         // answers to earlier drawings are stale now
    lastInput = null;
    lastOutput = null;
    clearPhoto('Draw something to see it turned into a picture.');
    setBusy();
    return null;
  }
  if (phase !== 'ready') {                        // sent when the model is ready
    clearPhoto(phase === 'error' ? NO_MODEL : 'Loading the model…');
    return null;
  }
  $('empty').hidden = true;
  const sketch = canvasToSketch(pixels, width, height, size);
  const id = nextId++;
  latestId = id;
  lastInput = sketch;
  lastSentAt = performance.now();
  outstanding++;
  stats.maxOutstanding = Math.max(stats.maxOutstanding, outstanding);
  stats.requests++;
  client.post({ type: 'run', channel: 'live', id, sketch, hints: lastHints ?? undefined, n: 1 });
  setBusy();
  return id;
}

/** While the pen is down: a request at most every LIVE_MS, and never while one is still running. */
function scheduleLive() {
  if (!current || !dirty || phase !== 'ready' || outstanding > 0) return;
  const wait = lastSentAt + LIVE_MS - performance.now();
  if (wait <= 0) sendNow();
  else if (!liveTimer) liveTimer = setTimeout(() => { liveTimer = null; scheduleLive(); }, wait);
}

function clearPhoto(message) {
  photoCtx.fillStyle = '#ffffff';
  photoCtx.fillRect(0, 0, photo.width, photo.height);
  delete photo.dataset.drawnId;
  $('download').disabled = true;
  $('timing').textContent = '';                  // the timing described the picture just wiped
  $('empty').textContent = message ?? '';
  $('empty').hidden = !message;
}

function paintPhoto(image) {             // the output canvas has the model's size (applyShape)
  if (photoPixels?.width !== photo.width || photoPixels?.height !== photo.height) {
    photoPixels = photoCtx.createImageData(photo.width, photo.height);
  }
  photoToRgba(image, [photo.height, photo.width], photoPixels.data);
  photoCtx.putImageData(photoPixels, 0, 0);
}

/** The canvases for a model of `next` = {width, height} pixels; on a drawing canvas of another shape the
 *  drawing and its whole history move so that every stroke keeps its size and centre (sketch_frame.mjs). */
function applyShape(next) {
  shape = { width: next.width, height: next.height };
  sizeCanvases(draw, photo, draw.closest('.studio'), shape);
  moveDrawing(layers, drawing, shape);
}

function onResult({ id, image, ms }) {
  outstanding = Math.max(0, outstanding - 1);
  stats.results++;
  if (id !== latestId) {
    stats.stale++;
  } else {
    paintPhoto(image);
    photo.dataset.drawnId = String(id);
    lastOutput = image;
    $('empty').hidden = true;
    $('download').disabled = phase !== 'ready';
    let text = `${shape.width}×${shape.height} picture in ${ms.toFixed(0)} ms`;
    if (penUp?.id === id) {
      const latency = performance.now() - penUp.t0;
      push(stats.penUpLatencies, latency);
      penUp = null;
      text += `, ${latency.toFixed(0)} ms after the pen was lifted`;
    }
    $('timing').textContent = text;
  }
  setBusy();
  scheduleLive();
}

// ------------------------------------------------------------------ the worker

function startWorker() {
  phase = 'loading';
  backendLabel = null;
  outstanding = 0;
  penUp = null;
  latestId = nextId++;
  modelHints = false;
  $('backend').textContent = '…';
  $('error').hidden = true;
  for (const el of document.querySelectorAll('.needs-model')) el.disabled = false;
  notes = [...startNotes];
  showNotes();
  clearPhoto(lastBox ? 'Loading the model…' : 'Draw something to see it turned into a picture.');
  setBusy();
  client.start({ runtime: params.runtime, backend: params.backend, model: modelFile(), threads: params.threads });
}

function onReady(data) {
  if (data.inputKind !== 'sketch') {
    showError(`${modelFile()} is not a sketch model (its inputs are for ${data.inputKind})`, true);
    return;
  }
  const loaded = { width: data.imageSize, height: data.imageHeight ?? data.imageSize };   // older workers: square
  if (!canvasShape(loaded.width, loaded.height)) {
    showError(`${modelFile()} draws ${loaded.width}-pixel-wide pictures, which do not divide the ${WIDTH}-pixel canvas`, true);
    return;
  }
  applyShape(loaded);             // the model's own shape, should its file differ from what MODELS expects
  backendLabel = data.backend;
  modelHints = Boolean(data.hints);
  $('backend').textContent = data.backend;
  notes = [...startNotes, ...data.notes, ...(modelHints ? [] : [NO_HINTS])];
  showNotes();
  phase = 'ready';
  showColourTools();
  settled();                      // the fit hint for this frame, and the drawing sent
  setBusy();
}

function onDropped() {
  outstanding = Math.max(0, outstanding - 1);
  stats.dropped++;
  setBusy();
  scheduleLive();
}

function onWorkerError(message, fatal, channel) {
  if (fatal) {
    if (params.runtime === 'tfjs' && /is missing/.test(message)) {
      message += '. No TensorFlow.js version of this model has been converted yet: drop ?runtime=tfjs to use ONNX Runtime Web.';
    }
    showError(message, true);
  } else {
    if (channel === 'live') outstanding = Math.max(0, outstanding - 1);
    showError(message, false);
    scheduleLive();
  }
}

// ------------------------------------------------------------------ controls

const TOOLS = { pen: 'tool-pen', eraser: 'tool-eraser', colour: 'tool-colour', 'colour-eraser': 'tool-colour-eraser' };
const colourTool = () => tool === 'colour' || tool === 'colour-eraser';

function setTool(name) {
  if ((name === 'colour' || name === 'colour-eraser') && $(TOOLS[name]).disabled) return;
  tool = name;
  for (const [key, id] of Object.entries(TOOLS)) $(id).setAttribute('aria-pressed', String(name === key));
  draw.dataset.tool = name;
  showWidth();
}

/** The width slider sets the ink pen's width or the colour pen's, whichever tool is chosen. */
function showWidth() {
  const [min, max] = colourTool() ? BRUSH_WIDTHS : INK_WIDTHS;
  const width = colourTool() ? brushPx : penPx;
  Object.assign($('width'), { min: String(min), max: String(max), step: colourTool() ? '1' : '0.25' });
  $('width').value = String(width);
  $('width-value').textContent = `${width} px`;
}

/** The colour tools work once a model that reads colour is loaded; with another model they are off. */
function showColourTools() {
  const off = phase === 'ready' && !modelHints;
  for (const id of ['tool-colour', 'tool-colour-eraser']) {
    $(id).disabled = off;
    $(id).title = off ? NO_HINTS : $(id).dataset.title;
  }
  $('palette').classList.toggle('off', off);
  if (off && colourTool()) setTool('pen');
}

function pickColour(hex) {
  colour = hex;
  markColour(hex);
  setTool('colour');
}

function setModel(name) {
  if (!Object.hasOwn(MODELS, name) || name === params.model) return;
  const before = model();
  params.model = name;
  history.replaceState(null, '', toSearch(params));
  for (const input of document.querySelectorAll('#model-choice input')) input.checked = input.value === name;
  penPx = model().pen;
  showWidth();
  exampleIndex = -1;
  $('example').textContent = 'Example';
  if (before.file !== model().file) {
    applyShape({ width: model().size, height: model().height });   // a tall canvas for people, square else
    startWorker();
  }
  guide.draw();
  settled();                      // the drawing stays; its fit hint follows the new model's frame
}

function nextExample() {
  const list = EXAMPLES[params.model];
  exampleIndex = (exampleIndex + 1) % list.length;
  commit(list[exampleIndex].strokes.map((s) => Object.freeze({ ...s, points: s.points.slice() })));
  $('example').textContent = `Example ${exampleIndex + 1}/${list.length}`;
  $('example').title = `Example drawing: ${list[exampleIndex].name}. Click for the next one.`;
}

function fitToFrame() {
  if (!lastBox) return;
  const pens = drawing.strokes.filter((s) => s.tool === 'pen');
  const margin = pens.length ? Math.max(...pens.map((s) => s.width)) / 2 : 0;
  const t = fitTransform(lastBox, model().frame, margin, layers.width / layers.height);
  commit(drawing.strokes.map((s) => Object.freeze(transformStroke(s, t))));
}

function download() {
  downloadCanvas(sideBySide(draw, photo), `sketch2real-${params.model}.png`, (message) => showError(message, false));
}

let upload = null;                // the upload controls (sketch_upload.mjs): files chosen, dropped or pasted

function wireControls() {
  draw.addEventListener('pointerdown', onPointerDown);
  draw.addEventListener('pointermove', onPointerMove);
  draw.addEventListener('pointerup', onPointerUp);
  draw.addEventListener('pointercancel', onPointerUp);
  draw.addEventListener('lostpointercapture', onPointerUp);
  draw.addEventListener('contextmenu', (event) => event.preventDefault());
  for (const [name, id] of Object.entries(TOOLS)) {
    $(id).dataset.title = $(id).title;
    $(id).addEventListener('click', () => setTool(name));
  }
  $('width').addEventListener('input', () => {
    if (colourTool()) brushPx = Number($('width').value); else penPx = Number($('width').value);
    showWidth();
  });
  $('undo').addEventListener('click', undo);
  $('redo').addEventListener('click', redo);
  $('clear').addEventListener('click', () => drawing.strokes.length && commit([]));
  $('example').addEventListener('click', nextExample);
  $('fit').addEventListener('click', fitToFrame);
  upload = wireUpload({ target: draw, onImage: (stroke) => commit([...drawing.strokes, stroke]),
                        onError: (msg) => showError(msg, false), frame: () => model().frame,
                        size: () => [shape.height, shape.width], button: $('upload'), input: $('upload-file'),
                        note: $('upload-note') });
  $('download').addEventListener('click', () => phase === 'ready' && lastOutput && download());
  $('model-choice').addEventListener('change', (event) => setModel(event.target.value));
  wireKeys(document, { undo, redo, setTool, toggleGuide: () => guide.toggle() });
}

// ------------------------------------------------------------------ start

function start() {
  for (const input of document.querySelectorAll('#model-choice input')) input.checked = input.value === params.model;
  $('runtime').textContent = params.runtime === 'tfjs' ? 'TensorFlow.js' : 'ONNX Runtime Web';
  markColour = buildPalette($('palette'), $('colour-picker'), pickColour);
  markColour(colour);
  setTool('pen');
  guide = guideControl($('guide'), $('guide-toggle'), () => params.model);
  wireControls();
  showNotes();
  layers.render(drawing.strokes, current);
  startWorker();
  sendNow();                       // an empty sheet: the "draw something" message, no request
}

// What tests and the benchmark read.
window.__sketch = {
  stats,
  get uploads() { return upload?.log ?? []; },
  get state() { return document.body.dataset.state; },
  get phase() { return phase; },
  get backend() { return backendLabel; },
  get model() { return params.model; },
  get imageSize() { return shape.width; },
  get imageHeight() { return shape.height; },
  get canvasSize() { return [layers.width, layers.height]; },
  get lastInput() { return lastInput; },
  get lastHints() { return lastHints; },
  layer: (name) => (name === 'ink' || name === 'colour' ? layers[name].canvas : null),   // what the model reads
  get modelHints() { return modelHints; },
  get lastOutput() { return lastOutput; },
  get inkBox() { return lastBox; },
  get fitReason() { return lastFit; },
  get guide() { return !$('guide').hasAttribute('hidden'); },
  get strokes() { return drawing.strokes; },
  get outstanding() { return outstanding; },
  idle: () => phase === 'error' || (phase === 'ready' && outstanding === 0 && !current && !liveTimer),
  bench: (n = 1, reps = 50, warmup = 10, input = 'random') => client.bench(nextId++, n, reps, warmup, input),
};

start();
