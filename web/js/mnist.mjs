// The class-conditional generator pages (mnist.html, cifar10.html): controls, URL state and drawing. All
// inference happens in worker.mjs. A page describes itself on <body>: data-name (file names), data-side
// (picture size before the model says), data-classes (button labels, comma-separated; default 0-9),
// data-noun (what the pictures are called), data-model-ort / data-model-tfjs (default model files).
import { downloadCanvas } from './download.mjs';
import { CELLS, parseParams, toSearch } from './params.mjs';
import { gridDigits, gridNoise, slerp } from './noise.mjs';

const $ = (id) => document.getElementById(id);
const PAGE = document.body.dataset;
const PAGE_NAME = PAGE.name ?? 'mnist';
const CLASS_NAMES = PAGE.classes ? PAGE.classes.split(',') : null;   // null: the digits 0-9
const NOUN = PAGE.noun ?? 'digits';
const COLS = 8;                 // grid columns (and rows: 8 x 8 = CELLS)
let SIDE = Number(PAGE.side ?? 28);   // pictures are SIDE x SIDE; the model's own size replaces it when ready
const GAP = 2;                  // pixels between cells in the drawn (and downloaded) grid
const LOAD_TIMEOUT_MS = 60_000;
const WALK_PERIOD_MS = 4000;    // one there-and-back of the latent walk

const { state, rejected } = parseParams(location.search);
history.replaceState(null, '', toSearch(state));

let meta = null;                // {zDim, numClasses} once the worker is ready
let worker = null;
let nextId = 1;
let noiseCache = { seed: null, z: null, digits: null };
const channels = {};            // channel -> {latest id, the request behind it, pending?}
const results = {};             // channel -> what was last drawn: {id, z, digits, image, n, ms}
const stats = { requests: 0, received: {}, partials: 0, drawn: 0, stale: 0, dropped: 0, errors: [] };
const walk = { playing: false, t: 0, phase: 0, last: 0 };
let phase = 'loading';          // loading | ready | error
let backendLabel = null;
let firstDigitAt = null;
let loadMs = null;                // the worker's time from 'init' to ready

// ------------------------------------------------------------------ status, spinner, errors

function setBusy() {
  const pending = Object.entries(channels)
    .some(([name, c]) => c.pending && !(name === 'walk' && walk.playing));
  const busy = phase === 'loading' || (phase === 'ready' && pending);
  $('spinner').hidden = !busy;
  $('status').setAttribute('aria-busy', String(busy));
  document.body.dataset.state = phase === 'ready' && pending ? 'busy' : phase;
  $('status-text').textContent = phase === 'loading' ? 'Loading the model…'
    : phase === 'error' ? 'Stopped.' : busy ? 'Drawing…' : 'Ready.';
}

function showError(message, fatal) {
  stats.errors.push(message);
  const box = $('error');
  box.textContent = fatal ? `Error: ${message}` : `Something went wrong: ${message}`;
  box.hidden = false;
  if (fatal) {
    phase = 'error';
    if (!backendLabel) $('backend').textContent = 'nothing (stopped)';
    for (const el of document.querySelectorAll('.needs-model')) el.disabled = true;
    if (worker) worker.terminate();
  }
  setBusy();
}

function showNotes(notes) {
  const list = $('notes');
  list.replaceChildren(...notes.map((text) => Object.assign(document.createElement('li'), { textContent: text })));
  list.hidden = notes.length === 0;
}

// ------------------------------------------------------------------ noise and requests

function noise() {
  if (noiseCache.seed !== state.seed) {
    noiseCache = { seed: state.seed, z: gridNoise(state.seed, CELLS, meta.zDim),
                   digits: gridDigits(state.seed, CELLS, meta.numClasses) };
  }
  return noiseCache;
}

const cellNoise = (cell) => noise().z.slice(cell * meta.zDim, (cell + 1) * meta.zDim);
const walkDigit = () => (state.digit ?? noise().digits[state.cell]);

function send(channel, z, digits, chunk = 0) {
  const id = nextId++;
  const n = digits.length;
  channels[channel] = { id, z, digits, pending: true };
  stats.requests++;
  worker.postMessage({ type: 'run', channel, id, z, digits, n, chunk });
  setBusy();
}

function requestGrid() {
  const { z, digits } = noise();
  // The very first grid comes row by row, so that digits show up as early as possible.
  send('grid', z, state.digit === null ? digits : new Int32Array(CELLS).fill(state.digit), results.grid ? 0 : COLS);
}

function requestStrip() {
  const one = cellNoise(state.cell);
  const z = new Float32Array(meta.numClasses * meta.zDim);
  for (let d = 0; d < meta.numClasses; d++) z.set(one, d * meta.zDim);
  send('strip', z, Int32Array.from({ length: meta.numClasses }, (_, d) => d));
}

function requestWalk() {
  const from = cellNoise(state.cell), to = cellNoise((state.cell + 1) % CELLS);
  send('walk', slerp(from, to, walk.t), Int32Array.of(walkDigit()));
  $('walk-t').value = String(Math.round(walk.t * 1000));
  $('walk-label').textContent = `t = ${walk.t.toFixed(2)}`;
}

function requestAll() {
  requestGrid();
  requestStrip();
  requestWalk();
}

// ------------------------------------------------------------------ drawing

/** Size `canvas` for `total` cells of SIDE x SIDE in `cols` columns, GAP pixels apart; clear it if resized. */
function layout(canvas, total, cols) {
  const rows = Math.ceil(total / cols);
  const width = cols * SIDE + (cols + 1) * GAP, height = rows * SIDE + (rows + 1) * GAP;
  const ctx = canvas.getContext('2d');
  if (canvas.width !== width || canvas.height !== height) {
    Object.assign(canvas, { width, height });
    ctx.fillStyle = 'rgb(44, 48, 58)';
    ctx.fillRect(0, 0, width, height);
  }
  return ctx;
}

/** Draw `count` images (each C x SIDE x SIDE, C = 1 grey or 3 RGB planes, values in [-1, 1]) as cells
 *  start .. start+count-1 of a `total`-cell grid. */
function drawCells(canvas, image, count, cols, start = 0, total = count) {
  const ctx = layout(canvas, total, cols);
  const cell = ctx.createImageData(SIDE, SIDE);
  const px = cell.data;
  const plane = SIDE * SIDE;
  const channels = Math.round(image.length / (count * plane));
  const toByte = (v) => Math.max(0, Math.min(255, Math.round((v + 1) * 127.5)));
  for (let k = 0; k < count; k++) {
    const base = k * channels * plane;
    for (let i = 0; i < plane; i++) {
      for (let c = 0; c < 3; c++) px[4 * i + c] = toByte(image[base + (channels === 3 ? c * plane : 0) + i]);
      px[4 * i + 3] = 255;
    }
    const at = start + k;
    ctx.putImageData(cell, GAP + (at % cols) * (SIDE + GAP), GAP + Math.floor(at / cols) * (SIDE + GAP));
  }
}

function markFirstDigit() {
  if (firstDigitAt !== null) return;
  firstDigitAt = performance.now();
  performance.mark('first-digit');
}

function onPartial({ channel, id, start, count, n, image }) {
  if (channels[channel]?.id !== id || channel !== 'grid') return;
  drawCells($('grid'), image, count, COLS, start, n);
  stats.partials++;
  markFirstDigit();
}

function placeMarker() {
  const grid = $('grid'), marker = $('marker');
  const width = COLS * SIDE + (COLS + 1) * GAP;
  const col = state.cell % COLS, row = Math.floor(state.cell / COLS);
  const pct = (v) => `${(100 * v) / width}%`;
  Object.assign(marker.style, { left: pct(GAP / 2 + col * (SIDE + GAP)), top: pct(GAP / 2 + row * (SIDE + GAP)),
                                width: pct(SIDE + GAP), height: pct(SIDE + GAP) });
  marker.hidden = !grid.width;
}

function onResult({ channel, id, image, n, ms }) {
  stats.received[channel] = (stats.received[channel] ?? 0) + 1;
  const request = channels[channel];
  if (!request || request.id !== id) { stats.stale++; return; }   // an older answer: the newest wins
  request.pending = false;
  const canvas = { grid: $('grid'), strip: $('strip'), walk: $('walk') }[channel];
  drawCells(canvas, image, n, channel === 'grid' ? COLS : n);
  canvas.dataset.drawnId = String(id);
  results[channel] = { id, z: request.z, digits: request.digits, image, n, ms };
  stats.drawn++;
  if (channel === 'grid') {
    placeMarker();
    $('timing').textContent = `${n} ${NOUN} in ${ms.toFixed(1)} ms`;
    markFirstDigit();
  }
  if (channel === 'walk' && walk.playing) requestAnimationFrame(stepWalk);
  setBusy();
}

// ------------------------------------------------------------------ latent walk

function stepWalk(now) {
  if (!walk.playing || phase !== 'ready') return;
  walk.phase = (walk.phase + Math.min(100, now - (walk.last || now)) / WALK_PERIOD_MS) % 1;
  walk.last = now;
  walk.t = 0.5 - 0.5 * Math.cos(2 * Math.PI * walk.phase);
  requestWalk();
}

function setPlaying(playing) {
  walk.playing = playing;
  walk.last = 0;
  $('walk-play').textContent = playing ? 'Pause' : 'Play';
  $('walk-play').setAttribute('aria-pressed', String(playing));
  if (playing && !channels.walk?.pending) requestAnimationFrame(stepWalk);
  setBusy();
}

// ------------------------------------------------------------------ controls

function updateUrl() {
  history.replaceState(null, '', toSearch(state));
  $('share').href = location.href;
  const other = { ...state, runtime: state.runtime === 'ort' ? 'tfjs' : 'ort', backend: 'auto', model: null,
                  threads: null };
  $('switch-runtime').href = `${PAGE_NAME}.html${toSearch(other)}`;
}

function showDigitButtons() {
  for (const button of document.querySelectorAll('#digits button')) {
    const value = button.dataset.digit === 'mixed' ? null : Number(button.dataset.digit);
    button.setAttribute('aria-pressed', String(value === state.digit));
  }
  $('seed').value = String(state.seed);
}

function setDigit(digit) {
  state.digit = digit;
  showDigitButtons();
  updateUrl();
  requestGrid();
  requestWalk();
}

function setSeed(seed) {
  state.seed = seed;
  showDigitButtons();
  updateUrl();
  requestAll();
}

function setCell(cell) {
  state.cell = cell;
  placeMarker();
  updateUrl();
  requestStrip();
  requestWalk();
}

function randomSeed() {
  return crypto.getRandomValues(new Uint32Array(1))[0] % 1_000_000;
}

function cellAt(canvas, event, cols, count) {
  const box = canvas.getBoundingClientRect();
  const x = ((event.clientX - box.left) / box.width) * canvas.width;
  const y = ((event.clientY - box.top) / box.height) * canvas.height;
  const col = Math.min(cols - 1, Math.max(0, Math.floor((x - GAP / 2) / (SIDE + GAP))));
  const row = Math.max(0, Math.floor((y - GAP / 2) / (SIDE + GAP)));
  const cell = row * cols + col;
  return cell < count ? cell : null;
}

function download() {
  const what = state.digit === null ? 'mixed' : CLASS_NAMES ? CLASS_NAMES[state.digit] : `digit${state.digit}`;
  const name = `${PAGE_NAME}-seed${state.seed}-${what}.png`;
  downloadCanvas($('grid'), name, (message) => showError(message, false));
}

function wireControls() {
  const digits = $('digits');
  const mixed = Object.assign(document.createElement('button'), { type: 'button', textContent: 'mixed' });
  mixed.dataset.digit = 'mixed';
  digits.append(mixed);
  for (let d = 0; d < 10; d++) {
    const button = Object.assign(document.createElement('button'),
                                 { type: 'button', textContent: CLASS_NAMES ? CLASS_NAMES[d] : String(d) });
    button.dataset.digit = String(d);
    digits.append(button);
  }
  for (const button of digits.querySelectorAll('button')) button.classList.add('needs-model');
  digits.addEventListener('click', (event) => {
    const button = event.target.closest('button');
    if (!button || phase !== 'ready') return;
    setDigit(button.dataset.digit === 'mixed' ? null : Number(button.dataset.digit));
  });
  $('seed').addEventListener('change', () => {
    const value = $('seed').value.trim();
    if (/^\d{1,10}$/.test(value) && Number(value) <= 4294967295) setSeed(Number(value));
    else $('seed').value = String(state.seed);
  });
  $('new-seed').addEventListener('click', () => phase === 'ready' && setSeed(randomSeed()));
  $('download').addEventListener('click', () => phase === 'ready' && results.grid && download());
  $('grid').addEventListener('click', (event) => {
    const cell = phase === 'ready' ? cellAt($('grid'), event, COLS, CELLS) : null;
    if (cell !== null) setCell(cell);
  });
  $('grid').addEventListener('keydown', (event) => {                // arrow keys move the picked cell
    const step = { ArrowLeft: -1, ArrowRight: 1, ArrowUp: -COLS, ArrowDown: COLS }[event.key];
    if (step === undefined || phase !== 'ready') return;
    event.preventDefault();
    setCell((state.cell + step + CELLS) % CELLS);
  });
  $('strip').addEventListener('click', (event) => {
    const digit = phase === 'ready' ? cellAt($('strip'), event, meta.numClasses, meta.numClasses) : null;
    if (digit !== null) setDigit(digit);
  });
  $('walk-play').addEventListener('click', () => phase === 'ready' && setPlaying(!walk.playing));
  $('walk-t').addEventListener('input', () => {
    if (phase !== 'ready') return;
    if (walk.playing) setPlaying(false);
    walk.t = Number($('walk-t').value) / 1000;
    walk.phase = Math.acos(1 - 2 * walk.t) / (2 * Math.PI);
    requestWalk();
  });
}

// ------------------------------------------------------------------ start

function start() {
  wireControls();
  showDigitButtons();
  updateUrl();
  $('runtime').textContent = state.runtime === 'tfjs' ? 'TensorFlow.js' : 'ONNX Runtime Web';
  $('switch-runtime').textContent = state.runtime === 'tfjs' ? 'use ONNX Runtime Web' : 'use TensorFlow.js';
  if (rejected.length) showNotes([`Ignored invalid URL parameter${rejected.length > 1 ? 's' : ''}: ${rejected.join(', ')}.`]);
  setBusy();
  if (typeof Worker === 'undefined' || typeof WebAssembly === 'undefined') {
    showError('this browser lacks Web Workers or WebAssembly, which the demo needs', true);
    return;
  }
  const timer = setTimeout(() => showError(`the model did not load within ${LOAD_TIMEOUT_MS / 1000} s`, true),
                           LOAD_TIMEOUT_MS);
  worker = new Worker(new URL('./worker.mjs', import.meta.url), { type: 'module', name: 'inference' });
  worker.onerror = (event) => {
    clearTimeout(timer);
    event.preventDefault();
    showError(`the inference worker failed to start${event.message ? ` (${event.message})` : ''}`, true);
  };
  worker.onmessage = ({ data }) => {
    switch (data.type) {
      case 'ready':
        clearTimeout(timer);
        meta = { zDim: data.zDim, numClasses: data.numClasses };
        SIDE = data.imageSize ?? SIDE;
        backendLabel = data.backend;
        loadMs = data.loadMs;
        $('backend').textContent = data.backend;
        showNotes([...($('notes').hidden ? [] : [...$('notes').children].map((li) => li.textContent)), ...data.notes]);
        phase = 'ready';
        requestAll();
        break;
      case 'partial':
        onPartial(data);
        break;
      case 'result':
        onResult(data);
        break;
      case 'dropped':
        stats.dropped++;
        break;
      case 'bench':
        benchWaiters.get(data.id)?.(data.times);
        benchWaiters.delete(data.id);
        break;
      case 'error':
        if (data.fatal) clearTimeout(timer);
        if (!data.fatal && channels[data.channel]?.id === data.id) channels[data.channel].pending = false;
        showError(data.message, data.fatal);
        break;
      default:
        break;
    }
  };
  const pageModel = (state.runtime === 'tfjs' ? PAGE.modelTfjs : PAGE.modelOrt) || null;
  worker.postMessage({ type: 'init', runtime: state.runtime, backend: state.backend,
                       model: state.model ?? pageModel, threads: state.threads });
}

// What tests and the benchmark read: the exact noise and digits behind every drawn image.
const benchWaiters = new Map();
window.mnistDemo = window.demo = {
  state, results, stats, channels,
  get phase() { return phase; },
  get backend() { return backendLabel; },
  get firstDigitMs() { return firstDigitAt; },
  get loadMs() { return loadMs; },
  idle: () => phase === 'error' || (phase === 'ready' && Object.values(channels).every((c) => !c.pending)),
  bench(n, reps = 50, warmup = 10) {
    const id = nextId++;
    return new Promise((resolve) => {
      benchWaiters.set(id, resolve);
      worker.postMessage({ type: 'bench', id, n, reps, warmup });
    });
  },
};

start();
