// The page's state as it appears in the URL, parsed strictly: anything malformed falls back to its
// default, so a hand-edited or truncated link still opens a working page.

export const CELLS = 64;          // the grid is 8 x 8
export const DEFAULTS = Object.freeze({
  seed: 1,
  digit: null,                     // null = a different random digit in every cell
  cell: 0,                         // the grid cell whose noise the style strip and the walk use
  runtime: 'ort',                  // 'ort' (ONNX Runtime Web) or 'tfjs' (TensorFlow.js)
  backend: 'auto',
  model: null,                     // null = the runtime's default model file
  threads: null,                   // null = the default wasm thread count (ONNX Runtime only)
});
const BACKENDS = { ort: ['auto', 'webgpu', 'wasm'], tfjs: ['auto', 'wasm', 'webgl', 'cpu'] };
const MAX_SEED = 4294967295;

function intIn(text, lo, hi) {
  if (text === null || !/^\d{1,10}$/.test(text)) return null;
  const value = Number(text);
  return value >= lo && value <= hi ? value : null;
}

/** A model file name relative to models/: letters, digits, '-', '_' and '.', never a path. */
export function safeModelName(text) {
  if (text === null || text.length > 80) return null;
  return /^[A-Za-z0-9_-][A-Za-z0-9_.-]*$/.test(text) && !text.includes('..') ? text : null;
}

/** URLSearchParams (or a query string) -> a full, valid state; `rejected` names the bad keys. */
export function parseParams(search) {
  const q = search instanceof URLSearchParams ? search : new URLSearchParams(search);
  const state = { ...DEFAULTS };
  const rejected = [];
  const take = (key, value) => {
    if (!q.has(key)) return;
    if (value === null) rejected.push(key); else state[key] = value;
  };
  take('seed', intIn(q.get('seed'), 0, MAX_SEED));
  if (q.get('digit') !== 'mixed') take('digit', intIn(q.get('digit'), 0, 9));
  take('cell', intIn(q.get('cell'), 0, CELLS - 1));
  const runtime = q.get('runtime');
  take('runtime', runtime in BACKENDS ? runtime : null);
  const backend = q.get('backend');
  take('backend', BACKENDS[state.runtime].includes(backend) ? backend : null);
  take('model', safeModelName(q.get('model')));
  take('threads', intIn(q.get('threads'), 1, 16));
  return { state, rejected };
}

/** The shortest query string that reproduces `state` (defaults left out, seed always kept). */
export function toSearch(state) {
  const q = new URLSearchParams();
  q.set('seed', String(state.seed));
  if (state.digit !== null) q.set('digit', String(state.digit));
  if (state.cell !== DEFAULTS.cell) q.set('cell', String(state.cell));
  if (state.runtime !== DEFAULTS.runtime) q.set('runtime', state.runtime);
  if (state.backend !== DEFAULTS.backend) q.set('backend', state.backend);
  if (state.model !== null) q.set('model', state.model);
  if (state.threads !== null) q.set('threads', String(state.threads));
  return '?' + q.toString();
}
