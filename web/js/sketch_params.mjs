// The sketch page's models and its URL parameters (model, runtime, backend, threads, onnx). No DOM here.
import { safeModelName } from './params.mjs';
import { FRAMES } from './sketch_input.mjs';

// The page's models: size is the picture's width and height its height, in the model's pixels (the loaded
// model's sidecar has the last word). Shoes and handbags share one generator, with their own examples and
// pen width; people are 2:3 portraits, drawn on a tall canvas.
export const MODELS = Object.freeze({
  faces: { file: 'sketch2real_faces', size: 64, height: 64, pen: 1.5, frame: FRAMES.faces, noun: 'face' },
  shoes: { file: 'sketch2real_shoes_bags', size: 128, height: 128, pen: 2, frame: FRAMES.objects, noun: 'shoe' },
  handbags: { file: 'sketch2real_shoes_bags', size: 128, height: 128, pen: 2, frame: FRAMES.objects, noun: 'handbag' },
  people: { file: 'sketch2real_people', size: 128, height: 192, pen: 2, frame: FRAMES.people, noun: 'person' },
});
export const BACKENDS = { ort: ['auto', 'webgpu', 'wasm'], tfjs: ['auto', 'wasm', 'webgl', 'cpu'] };

/** The page's settings from its URL: {params, notes}, notes saying what was ignored and why. */
export function parse(search) {
  const q = new URLSearchParams(search);
  const params = { model: 'faces', runtime: 'ort', backend: 'auto', threads: null, onnx: null };
  const notes = [];
  const rejected = [];
  if (q.has('model')) {
    if (Object.hasOwn(MODELS, q.get('model'))) params.model = q.get('model');
    else notes.push(`There is no model "${q.get('model').slice(0, 40)}": showing faces (choose faces, shoes, handbags or people).`);
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

/** The URL query that gives these settings (written back so a shared link reproduces the page). */
export function toSearch(params) {
  const q = new URLSearchParams({ model: params.model });
  if (params.runtime !== 'ort') q.set('runtime', params.runtime);
  if (params.backend !== 'auto') q.set('backend', params.backend);
  if (params.threads !== null) q.set('threads', String(params.threads));
  if (params.onnx !== null) q.set('onnx', params.onnx);
  return '?' + q.toString();
}
