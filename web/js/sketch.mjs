// The sketch page: a drawing canvas, its stroke history, and live requests to the generator in
// worker.mjs (channel 'live': the worker keeps only the newest waiting request, so there is no backlog).
import { downloadCanvas } from './download.mjs';
import { safeModelName } from './params.mjs';
import { EXAMPLES } from './sketch_examples.mjs';
import { FRAMES, canvasToSketch, fitReason, fitTransform, inkBox, photoToRgba, transformStroke } from './sketch_input.mjs';

const $ = (id) => document.getElementById(id);
const SIDE = 256;                 // the drawing canvas, in canvas pixels
const LIVE_MS = 60;               // at most one live request per this many ms while the pen is down
const MAX_UNDO = 200;             // undo steps kept
const MAX_LOG = 500;              // latencies and errors kept for tests and benchmarks
const LOAD_TIMEOUT_MS = 60_000;
const MIN_STEP = 0.5 / SIDE;      // pointer moves shorter than half a canvas pixel add no point
const NO_MODEL = 'No picture: the model is not loaded. You can still draw.';

// The page's models. Shoes and handbags share one generator, with their own examples and pen width.
const MODELS = Object.freeze({
  faces: { file: 'sketch2real_faces', size: 64, pen: 1.5, frame: FRAMES.faces, noun: 'face' },
  shoes: { file: 'sketch2real_shoes_bags', size: 128, pen: 2, frame: FRAMES.objects, noun: 'shoe' },
  handbags: { file: 'sketch2real_shoes_bags', size: 128, pen: 2, frame: FRAMES.objects, noun: 'handbag' },
});
const BACKENDS = { ort: ['auto', 'webgpu', 'wasm'], tfjs: ['auto', 'wasm', 'webgl', 'cpu'] };

// ------------------------------------------------------------------ URL parameters

function parse(search) {
  const q = new URLSearchParams(search);
  const params = { model: 'faces', runtime: 'ort', backend: 'auto', threads: null, onnx: null };
  const notes = [];
  const rejected = [];
  if (q.has('model')) {
    if (Object.hasOwn(MODELS, q.get('model'))) params.model = q.get('model');
    else notes.push(`There is no model "${q.get('model').slice(0, 40)}": showing faces (choose faces, shoes or handbags).`);
  }
  if (q.has('runtime')) {
    if (Object.hasOwn(BACKENDS, q.get('runtime'))) params.runtime = q.get('runtime'); else rejected.push('runtime');
  }
  if (q.has('backend')) {
    if (BACKENDS[params.runtime].includes(q.get('backend'))) params.backend = q.get('backend'); else rejected.push('backend');
  }
  if (q.has('threads')) {
    const text = q.get('threads');
    if (/^\d{1,2}$/.test(text) && Number(text) >= 1 && Number(text) <= 16) params.threads = Number(text);
    else rejected.push('threads');
  }
  if (q.has('onnx')) {
    params.onnx = safeModelName(q.get('onnx'));
    if (params.onnx === null) rejected.push('onnx');
    else if (params.runtime !== 'ort') { notes.push('onnx= names an ONNX file, so TensorFlow.js ignores it.'); params.onnx = null; }
  }
  if (rejected.length) notes.push(`Ignored invalid URL parameter${rejected.length > 1 ? 's' : ''}: ${rejected.join(', ')}.`);
  return { params, notes };
}

function toSearch(params) {
  const q = new URLSearchParams({ model: params.model });
  if (params.runtime !== 'ort') q.set('runtime', params.runtime);
  if (params.backend !== 'auto') q.set('backend', params.backend);
  if (params.threads !== null) q.set('threads', String(params.threads));
  if (params.onnx !== null) q.set('onnx', params.onnx);
  return '?' + q.toString();
}

const { params, notes: startNotes } = parse(location.search);
history.replaceState(null, '', toSearch(params));

// ------------------------------------------------------------------ state

const model = () => MODELS[params.model];
const modelFile = () => (params.runtime === 'tfjs' ? `${model().file}_tfjs` : params.onnx ?? `${model().file}.onnx`);

let worker = null;
let generation = 0;               // messages from a worker we have replaced are ignored
let loadTimer = null;
let phase = 'loading';            // loading | ready | error
let backendLabel = null;
let imageSize = model().size;     // the loaded model's picture size (its sidecar's image_size)
let notes = [...startNotes];

let tool = 'pen';
let penPx = model().pen;          // the pen width, in the model's pixels
const undoStack = [];             // earlier stroke lists (each an array of immutable strokes)
let strokes = [];                 // the drawing now
const redoStack = [];
let current = null;               // the stroke being drawn, {tool, width, points}
let pointerId = null;
let exampleIndex = -1;

let nextId = 1;
let latestId = 0;                 // the newest request (or empty drawing): only its answer is drawn
let outstanding = 0;              // requests sent and not yet answered, dropped or failed
let lastSentAt = -Infinity;
let dirty = false;                // the drawing changed since the last request
let liveTimer = null;
let penUp = null;                 // {id, t0}: the request sent when the pen was lifted
let lastInput = null, lastOutput = null, lastBox = null, lastFit = null;
const stats = { requests: 0, results: 0, dropped: 0, stale: 0, errors: [], penUpLatencies: [], maxOutstanding: 0 };
const benchWaiters = new Map();

const draw = $('draw');
const ctx = draw.getContext('2d', { willReadFrequently: true });
const base = Object.assign(document.createElement('canvas'), { width: SIDE, height: SIDE });
const baseCtx = base.getContext('2d');
const photo = $('photo');
const photoCtx = photo.getContext('2d');
let photoPixels = null;           // reused ImageData for the output

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
    clearTimeout(loadTimer);
    if (!backendLabel) $('backend').textContent = 'nothing (stopped)';
    for (const el of document.querySelectorAll('.needs-model')) el.disabled = true;
    if (worker) worker.terminate();
    worker = null;
    outstanding = 0;
    clearPhoto(NO_MODEL);
  }
  setBusy();
}

// ------------------------------------------------------------------ drawing

function paintStroke(c, stroke) {
  const { points } = stroke;
  const width = stroke.width * SIDE;
  c.fillStyle = c.strokeStyle = stroke.tool === 'eraser' ? '#ffffff' : '#000000';
  if (points.length === 2) {                      // a dot
    c.beginPath();
    c.arc(points[0] * SIDE, points[1] * SIDE, width / 2, 0, 2 * Math.PI);
    c.fill();
    return;
  }
  c.lineWidth = width;
  c.lineCap = 'round';
  c.lineJoin = 'round';
  c.beginPath();
  c.moveTo(points[0] * SIDE, points[1] * SIDE);
  for (let i = 2; i < points.length; i += 2) c.lineTo(points[i] * SIDE, points[i + 1] * SIDE);
  c.stroke();
}

/** The canvas from the stroke list alone: every settled drawing goes through here, so it is exact. */
function renderAll() {
  baseCtx.fillStyle = '#ffffff';
  baseCtx.fillRect(0, 0, SIDE, SIDE);
  for (const stroke of strokes) paintStroke(baseCtx, stroke);
  paintLive();
}

/** The settled drawing plus the stroke being drawn. */
function paintLive() {
  ctx.imageSmoothingEnabled = false;
  ctx.drawImage(base, 0, 0);
  if (current) paintStroke(ctx, current);
}

/** Replace the drawing with `next` (an undoable step); returns the id of the request it sent, if any. */
function commit(next) {
  undoStack.push(strokes);
  if (undoStack.length > MAX_UNDO) undoStack.shift();
  strokes = next;
  redoStack.length = 0;
  return settled();
}

function undo() {
  if (current || undoStack.length === 0) return;
  redoStack.push(strokes);
  strokes = undoStack.pop();
  settled();
}

function redo() {
  if (current || redoStack.length === 0) return;
  undoStack.push(strokes);
  strokes = redoStack.pop();
  settled();
}

/** After every change to the stroke list: redraw, update the buttons and the fit hint, regenerate. */
function settled() {
  renderAll();
  $('undo').disabled = undoStack.length === 0;
  $('redo').disabled = redoStack.length === 0;
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
  current = { tool, width: penPx / model().size, points: pointAt(event) };
  paintLive();
  dirty = true;
  scheduleLive();
}

function onPointerMove(event) {
  if (!current || event.pointerId !== pointerId) return;
  const events = event.getCoalescedEvents?.();
  if (events && events.length) for (const e of events) addPoint(e);
  else addPoint(event);
  paintLive();
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
  const id = commit([...strokes, Object.freeze(stroke)]);   // re-renders and sends at once
  penUp = id === null ? null : { id, t0 };          // the latency clock runs until its answer is drawn
}

// ------------------------------------------------------------------ requests

/** Send the drawing now (or, for an empty drawing, clear the picture without running the model).
 *  Returns the request's id, or null when nothing was sent. */
function sendNow() {
  clearTimeout(liveTimer);
  liveTimer = null;
  dirty = false;
  const pixels = ctx.getImageData(0, 0, SIDE, SIDE).data;
  lastBox = inkBox(pixels, SIDE, SIDE);
  if (!lastBox) {
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
  const sketch = canvasToSketch(pixels, SIDE, SIDE, imageSize);
  const id = nextId++;
  latestId = id;
  lastInput = sketch;
  lastSentAt = performance.now();
  outstanding++;
  stats.maxOutstanding = Math.max(stats.maxOutstanding, outstanding);
  stats.requests++;
  worker.postMessage({ type: 'run', channel: 'live', id, sketch, n: 1 });
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
  $('empty').textContent = message ?? '';
  $('empty').hidden = !message;
}

function paintPhoto(image) {
  if (photo.width !== imageSize) {
    photo.width = photo.height = imageSize;
    photoPixels = null;
  }
  photoPixels ??= photoCtx.createImageData(imageSize, imageSize);
  photoToRgba(image, imageSize, photoPixels.data);
  photoCtx.putImageData(photoPixels, 0, 0);
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
    let text = `${imageSize}×${imageSize} picture in ${ms.toFixed(0)} ms`;
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
  if (worker) worker.terminate();
  clearTimeout(loadTimer);
  const gen = ++generation;
  worker = null;
  phase = 'loading';
  backendLabel = null;
  outstanding = 0;
  penUp = null;
  latestId = nextId++;
  imageSize = model().size;
  $('backend').textContent = '…';
  $('error').hidden = true;
  for (const el of document.querySelectorAll('.needs-model')) el.disabled = false;
  notes = [...startNotes];
  showNotes();
  clearPhoto(lastBox ? 'Loading the model…' : 'Draw something to see it turned into a picture.');
  setBusy();
  if (typeof Worker === 'undefined' || typeof WebAssembly === 'undefined') {
    showError('this browser lacks Web Workers or WebAssembly, which the generator needs', true);
    return;
  }
  loadTimer = setTimeout(() => showError(`the model ${modelFile()} did not load within ${LOAD_TIMEOUT_MS / 1000} s`, true),
                         LOAD_TIMEOUT_MS);
  const w = new Worker(new URL('./worker.mjs', import.meta.url), { type: 'module', name: 'inference' });
  worker = w;
  w.onerror = (event) => {
    event.preventDefault();
    if (gen !== generation) return;
    showError(`the inference worker failed to start${event.message ? ` (${event.message})` : ''}`, true);
  };
  w.onmessage = ({ data }) => {
    if (gen !== generation) return;
    onWorkerMessage(data);
  };
  w.postMessage({ type: 'init', runtime: params.runtime, backend: params.backend, model: modelFile(),
                  threads: params.threads, expect: 'sketch' });
}

function onWorkerMessage(data) {
  switch (data.type) {
    case 'ready': {
      clearTimeout(loadTimer);
      if (data.inputKind !== 'sketch') {
        showError(`${modelFile()} is not a sketch model (its inputs are for ${data.inputKind})`, true);
        return;
      }
      if (SIDE % data.imageSize) {
        showError(`${modelFile()} draws ${data.imageSize}-pixel pictures, which do not divide the ${SIDE}-pixel canvas`, true);
        return;
      }
      imageSize = data.imageSize;
      backendLabel = data.backend;
      $('backend').textContent = data.backend;
      notes = [...startNotes, ...data.notes];
      showNotes();
      phase = 'ready';
      sendNow();
      setBusy();
      break;
    }
    case 'result':
      onResult(data);
      break;
    case 'dropped':
      if (data.channel !== 'live') break;
      outstanding = Math.max(0, outstanding - 1);
      stats.dropped++;
      setBusy();
      scheduleLive();
      break;
    case 'bench':
      benchWaiters.get(data.id)?.(data.times);
      benchWaiters.delete(data.id);
      break;
    case 'error':
      if (data.fatal) {
        let message = data.message;
        if (params.runtime === 'tfjs' && /is missing/.test(message)) {
          message += '. No TensorFlow.js version of this model has been converted yet: drop ?runtime=tfjs to use ONNX Runtime Web.';
        }
        showError(message, true);
      } else {
        if (data.channel === 'live') outstanding = Math.max(0, outstanding - 1);
        showError(data.message, false);
        scheduleLive();
      }
      break;
    default:
      break;
  }
}

// ------------------------------------------------------------------ controls

function setTool(name) {
  tool = name;
  $('tool-pen').setAttribute('aria-pressed', String(name === 'pen'));
  $('tool-eraser').setAttribute('aria-pressed', String(name === 'eraser'));
  draw.dataset.tool = name;
}

function showWidth() {
  $('width').value = String(penPx);
  $('width-value').textContent = `${penPx} px`;
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
    startWorker();
    settled();                    // the drawing stays; its fit hint follows the new model's frame
  } else {
    settled();
  }
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
  const pens = strokes.filter((s) => s.tool === 'pen');
  const margin = pens.length ? Math.max(...pens.map((s) => s.width)) / 2 : 0;
  const t = fitTransform(lastBox, model().frame, margin);
  commit(strokes.map((s) => Object.freeze(transformStroke(s, t))));
}

function download() {
  const out = Object.assign(document.createElement('canvas'), { width: 2 * SIDE, height: SIDE });
  const c = out.getContext('2d');
  c.fillStyle = '#ffffff';
  c.fillRect(0, 0, 2 * SIDE, SIDE);
  c.drawImage(draw, 0, 0);
  c.imageSmoothingEnabled = true;
  c.imageSmoothingQuality = 'high';
  c.drawImage(photo, SIDE, 0, SIDE, SIDE);
  downloadCanvas(out, `sketch2real-${params.model}.png`, (message) => showError(message, false));
}

function wireControls() {
  draw.addEventListener('pointerdown', onPointerDown);
  draw.addEventListener('pointermove', onPointerMove);
  draw.addEventListener('pointerup', onPointerUp);
  draw.addEventListener('pointercancel', onPointerUp);
  draw.addEventListener('lostpointercapture', onPointerUp);
  draw.addEventListener('contextmenu', (event) => event.preventDefault());
  $('tool-pen').addEventListener('click', () => setTool('pen'));
  $('tool-eraser').addEventListener('click', () => setTool('eraser'));
  $('width').addEventListener('input', () => {
    penPx = Number($('width').value);
    showWidth();
  });
  $('undo').addEventListener('click', undo);
  $('redo').addEventListener('click', redo);
  $('clear').addEventListener('click', () => strokes.length && commit([]));
  $('example').addEventListener('click', nextExample);
  $('fit').addEventListener('click', fitToFrame);
  $('download').addEventListener('click', () => phase === 'ready' && lastOutput && download());
  $('model-choice').addEventListener('change', (event) => setModel(event.target.value));
  document.addEventListener('keydown', (event) => {
    if (event.target instanceof HTMLInputElement && event.target.type === 'text') return;
    const key = event.key.toLowerCase();
    if (event.ctrlKey || event.metaKey) {
      if (key === 'z' && !event.altKey) { event.preventDefault(); if (event.shiftKey) redo(); else undo(); }
      else if (key === 'y') { event.preventDefault(); redo(); }
    } else if (!event.altKey && key === 'p') setTool('pen');
    else if (!event.altKey && key === 'e') setTool('eraser');
  });
}

// ------------------------------------------------------------------ start

function start() {
  for (const input of document.querySelectorAll('#model-choice input')) input.checked = input.value === params.model;
  $('runtime').textContent = params.runtime === 'tfjs' ? 'TensorFlow.js' : 'ONNX Runtime Web';
  setTool('pen');
  showWidth();
  wireControls();
  showNotes();
  renderAll();
  startWorker();
  sendNow();                       // an empty sheet: the "draw something" message, no request
}

// What tests and the benchmark read.
window.__sketch = {
  stats,
  get state() { return document.body.dataset.state; },
  get phase() { return phase; },
  get backend() { return backendLabel; },
  get model() { return params.model; },
  get imageSize() { return imageSize; },
  get lastInput() { return lastInput; },
  get lastOutput() { return lastOutput; },
  get inkBox() { return lastBox; },
  get fitReason() { return lastFit; },
  get strokes() { return strokes; },
  get outstanding() { return outstanding; },
  idle: () => phase === 'error' || (phase === 'ready' && outstanding === 0 && !current && !liveTimer),
  bench(n = 1, reps = 50, warmup = 10, input = 'random') {
    const id = nextId++;
    return new Promise((resolve) => {
      benchWaiters.set(id, resolve);
      worker.postMessage({ type: 'bench', id, n, reps, warmup, input });
    });
  },
};

start();
