// The inference worker: loads one generator with one runtime and answers requests for images, so
// the page's main thread never waits on the model.
//
// Two kinds of generator, told apart by the model's inputs:
//   'digits'  (the MNIST and CIFAR-10 pages): inputs z [n, zDim] and digit [n] (the class)
//             -> image [n, C, S, S] (1 x 28 x 28 digits, 3 x 32 x 32 CIFAR-10 pictures)
//   'sketch'  (the sketch page): input sketch [n, 1, H, W] (1 = paper, -1 = ink) and, when the model has
//             it, hints [n, 4, H, W] (the colour pen: RGB times coverage, coverage) -> photo [n, 3, H, W];
//             W is the sidecar's image_size and H its image_height (the same as W when it has none: a
//             square model), e.g. 64 x 64 faces, 128 x 128 shoes and bags, 128 wide x 192 high people
//
// Messages in:
//   {type: 'init', runtime: 'ort'|'tfjs', backend, model, threads, expect?}  once, first; expect:
//        'digits' (the default, so a page written before sketches stays as it was), 'sketch' or 'any':
//        a model of another kind is a fatal error naming its inputs
//   {type: 'run', channel, id, z: Float32Array, digits: Int32Array, n, chunk?}   digits models
//   {type: 'run', channel, id, sketch: Float32Array (n*H*W), hints?: Float32Array (n*4*H*W), n}
//        sketch models; hints are planar like the model's input, and all zeros (no colour) when left out
//   {type: 'bench', id, n, warmup, reps, input?: 'random'|'blank'}  timings measured in here (input:
//                                                                  sketch models only; default random)
// Messages out:
//   {type: 'ready', backend, notes, inputKind: 'digits'|'sketch', imageSize, imageHeight, zDim, numClasses,
//    hints, loadMs}   imageSize: the picture's width, imageHeight its height; hints: whether the sketch
//        model takes colour hints
//   {type: 'partial', channel, id, start, count, n, image}   the first `count` images from `start`
//   {type: 'result', channel, id, image: Float32Array (n*C*H*W), n, ms}
//   {type: 'dropped', channel, id}     a request replaced by a newer one on its channel before it ran
//   {type: 'bench', id, times}
//   {type: 'error', fatal, message, channel?, id?}
//
// Only the newest request of each channel is kept: a burst of clicks costs one run, not a backlog.

const VENDOR = new URL('../vendor/', import.meta.url);
const MODELS = new URL('../models/', import.meta.url);
const DEFAULT_MODEL = { ort: 'mnist_generator.onnx', tfjs: 'mnist_generator_tfjs' };
const FALLBACK_META = { z_dim: 64, num_classes: 10 };
const HINT_PLANES = 4;            // a sketch model's colour hints: R, G, B (times coverage), coverage

let engine = null;
const waiting = new Map();          // channel -> the newest request not yet started
let pumping = false;

const post = (message, transfer = []) => self.postMessage(message, transfer);
const describe = (err) => (err && err.message) || String(err);

self.addEventListener('unhandledrejection', (event) => {
  post({ type: 'error', fatal: !engine, message: `worker: ${describe(event.reason)}` });
});
// Errors from threads a runtime starts would otherwise bubble up to the page as uncaught.
self.addEventListener('error', (event) => {
  event.preventDefault();
  post({ type: 'error', fatal: !engine, message: `worker: ${event.message || 'a runtime thread failed'}` });
});

self.onmessage = (event) => {
  const msg = event.data;
  if (msg.type === 'init') {
    init(msg).catch((err) => post({ type: 'error', fatal: true, message: describe(err) }));
    return;
  }
  if (msg.type !== 'run' && msg.type !== 'bench') return;
  const channel = msg.type === 'bench' ? '#bench' : msg.channel;
  const older = waiting.get(channel);
  if (older) post({ type: 'dropped', channel, id: older.id });
  waiting.set(channel, msg);        // a replaced request keeps its place in line: channels take turns
  pump();
};

// Give messages already queued a chance to replace what is waiting, then serve the oldest channel. A
// message to ourselves queues behind them (setTimeout would too, but is clamped to 4 ms when nested).
const yieldPort = new MessageChannel();
const yielded = [];
yieldPort.port1.onmessage = () => yielded.shift()?.();
const nextTask = () => new Promise((resolve) => {
  yielded.push(resolve);
  yieldPort.port2.postMessage(null);
});

async function pump() {
  if (pumping || !engine) return;
  pumping = true;
  try {
    while (waiting.size > 0) {
      await nextTask();
      const [channel, msg] = waiting.entries().next().value;
      waiting.delete(channel);
      try {
        if (msg.type === 'bench') {
          post({ type: 'bench', id: msg.id, times: await bench(msg) });
        } else {
          const t0 = performance.now();
          const image = await runRequest(msg, channel);
          const ms = performance.now() - t0;
          post({ type: 'result', channel, id: msg.id, image, n: msg.n, ms }, [image.buffer]);
        }
      } catch (err) {
        post({ type: 'error', fatal: false, channel, id: msg.id, message: `inference failed: ${describe(err)}` });
      }
    }
  } finally {
    pumping = false;
  }
}

// A request with `chunk` runs in pieces of that many images, each posted as a 'partial' as soon as it is
// done (the page's first grid uses it, so digits appear before the whole grid is ready).
async function runRequest({ z, digits, sketch, hints, n, id, chunk }, channel) {
  if (engine.kind === 'sketch' || sketch) {
    if (engine.kind !== 'sketch') throw new Error('this model takes noise and digits, not a sketch');
    const plane = engine.imageSize * engine.imageHeight, wxh = `${engine.imageSize}x${engine.imageHeight}`;
    if (!(sketch instanceof Float32Array) || sketch.length !== n * plane) {
      throw new Error(`a sketch request needs ${n} x ${wxh} floats`);
    }
    if (hints != null && (!(hints instanceof Float32Array) || hints.length !== n * HINT_PLANES * plane)) {
      throw new Error(`colour hints need ${n} x ${HINT_PLANES} x ${wxh} floats`);
    }
    // a model without hint inputs draws from the sketch alone (the page turns its colour pen off)
    return engine.runSketch(sketch, n, engine.hints ? hints ?? new Float32Array(n * HINT_PLANES * plane) : null);
  }
  if (!chunk || chunk >= n) return engine.run(z, digits, n);
  let out = null;
  for (let start = 0; start < n; start += chunk) {
    const count = Math.min(chunk, n - start);
    const part = await engine.run(z.subarray(start * engine.zDim, (start + count) * engine.zDim),
                                  digits.subarray(start, start + count), count);
    const per = part.length / count;
    out ??= new Float32Array(n * per);
    out.set(part, start * per);
    if (start + count < n) post({ type: 'partial', channel, id, start, count, n, image: part }, [part.buffer]);
  }
  return out;
}

async function bench({ n, warmup = 10, reps = 50, input = 'random' }) {
  let once;
  if (engine.kind === 'sketch') {
    // a random sketch: about one pixel in ten is ink (as the export's parity check uses), or blank paper
    const plane = engine.imageSize * engine.imageHeight;
    const sketch = new Float32Array(n * plane).map(() => (input === 'blank' || Math.random() >= 0.1 ? 1 : -1));
    const hints = engine.hints ? new Float32Array(n * HINT_PLANES * plane) : null;
    once = () => engine.runSketch(sketch, n, hints);
  } else {
    const z = new Float32Array(n * engine.zDim).map(() => Math.random() * 2 - 1);
    const digits = Int32Array.from({ length: n }, (_, i) => i % engine.numClasses);
    once = () => engine.run(z, digits, n);
  }
  for (let i = 0; i < warmup; i++) await once();
  const times = [];
  for (let i = 0; i < reps; i++) {
    const t0 = performance.now();
    await once();
    times.push(performance.now() - t0);
  }
  return times;
}

async function fetchOk(url, what) {
  let response;
  try {
    response = await fetch(url);
  } catch (err) {
    throw new Error(`could not download ${what} (${describe(err)})`);
  }
  if (!response.ok) {
    throw new Error(`${what} is missing: the server answered HTTP ${response.status} for ${url.pathname}`);
  }
  return response;
}

async function importRuntime(file) {
  const url = new URL(file, VENDOR);
  try {
    return await import(url.href);
  } catch (err) {
    throw new Error(`could not load the runtime ${url.pathname} (${describe(err)}); ` +
                    'was `npm run vendor` run in web/?');
  }
}

async function init({ runtime, backend, model, threads, expect = 'digits' }) {
  const t0 = performance.now();
  const name = model || DEFAULT_MODEL[runtime];
  const made = runtime === 'tfjs' ? await initTfjs(name, backend, threads) : await initOrt(name, backend, threads);
  if (expect !== 'any' && made.kind !== expect) {
    throw new Error(made.kind === 'sketch' ? `the model ${name} takes a sketch, not z and digit`
                                           : `the model ${name} takes z and digit, not a sketch`);
  }
  engine = made;
  post({ type: 'ready', backend: made.label, notes: made.notes, inputKind: made.kind, imageSize: made.imageSize,
         imageHeight: made.imageHeight ?? made.imageSize, zDim: made.zDim, numClasses: made.numClasses,
         hints: Boolean(made.hints), loadMs: performance.now() - t0 });
  pump();
}

// ---------------------------------------------------------------- ONNX Runtime Web

async function initOrt(name, backend, askedThreads) {
  const notes = [];
  const modelUrl = new URL(name, MODELS);
  // The model, its sidecar and the wasm runtime's module download side by side.
  const useGpu = backend === 'webgpu' || (backend === 'auto' && 'gpu' in navigator);
  const [bytes, meta, wasmOrt] = await Promise.all([
    fetchOk(modelUrl, `the model ${name}`).then(async (response) => new Uint8Array(await response.arrayBuffer())),
    readSidecar(new URL(sidecarName(name), MODELS)),
    useGpu ? null : importRuntime('ort/ort.wasm.min.mjs'),
  ]);

  let gpuOrt = null;
  if (useGpu) {
    try {
      if (!('gpu' in navigator)) throw new Error('this browser has no WebGPU');
      const adapter = await navigator.gpu.requestAdapter();
      if (!adapter) throw new Error('no WebGPU adapter is available');
      gpuOrt = await importRuntime('ort/ort.webgpu.min.mjs');
      configureOrt(gpuOrt, 1);
      const session = await gpuOrt.InferenceSession.create(bytes, { executionProviders: ['webgpu'] });
      const made = ortEngine(gpuOrt, session, meta, 'webgpu', notes, name);
      await made.probe();                                                 // fail here, not on first click
      return made;
    } catch (err) {
      notes.push(`WebGPU did not start (${describe(err)}), so the model runs on wasm instead.`);
    }
  }
  if (gpuOrt) {
    // The WebGPU build has a wasm backend too, already downloaded: use it rather than fetch another 3.7 MB.
    try {
      const session = await gpuOrt.InferenceSession.create(bytes, { executionProviders: ['wasm'] });
      return ortEngine(gpuOrt, session, meta, 'wasm (1 thread)', notes, name);
    } catch (err) {
      notes.push(`The WebGPU build's wasm backend failed too (${describe(err)}).`);
    }
  }
  let threads = 1;
  if (self.crossOriginIsolated) threads = askedThreads ?? defaultThreads();
  else if (askedThreads > 1) notes.push(`Asked for ${askedThreads} threads, but threads need a cross-origin isolated page.`);
  const ort = wasmOrt ?? await importRuntime('ort/ort.wasm.min.mjs');
  configureOrt(ort, threads);
  let session;
  try {
    session = await ort.InferenceSession.create(bytes, { executionProviders: ['wasm'] });
  } catch (err) {
    throw new Error(`the model ${name} could not be read (${describe(err)})`);
  }
  if (!self.crossOriginIsolated) notes.push('This page is not cross-origin isolated, so wasm runs on one thread.');
  return ortEngine(ort, session, meta, `wasm (${threads} thread${threads === 1 ? '' : 's'})`, notes, name);
}

/** ONNX Runtime's wasm threads on a cross-origin isolated page: one per core, at most 4 (more buys little
 *  for a model this small). On an idle 2-core machine 2 threads halve the 64-digit grid's time (57 -> 29 ms);
 *  `?threads=N` overrides it, e.g. `?threads=1` on a machine that is busy with other work. */
function defaultThreads() {
  return Math.max(1, Math.min(4, navigator.hardwareConcurrency || 1));
}

function configureOrt(ort, threads) {
  ort.env.wasm.wasmPaths = new URL('ort/', VENDOR).href;
  ort.env.wasm.numThreads = threads;
  ort.env.wasm.proxy = false;     // we already are in a worker
  ort.env.logLevel = 'error';
}

/** The model's JSON sidecar, or null when there is none (the engine then says what it assumes). */
async function readSidecar(url) {
  try {
    const response = await fetch(url);
    if (response.ok) return await response.json();
  } catch (err) { /* fall through to the defaults */ }
  return null;
}

const sidecarName = (name) => name.replace(/\.onnx$/, '') + '.json';
const addNote = (notes, text) => notes.includes(text) || notes.push(text);   // engines may be built twice

/** 'sketch' or 'digits' from a model's input names; anything else is an error naming what it has. */
function inputKind(names, name) {
  if (names.includes('sketch')) return 'sketch';
  if (names.includes('z') && names.includes('digit')) return 'digits';
  throw new Error(`the model ${name} has inputs [${names}]: neither z and digit nor sketch`);
}

const positive = (v) => Number.isInteger(v) && v > 0;

/** A sketch model's picture, [width, height]: the sidecar's image_size and image_height, else the last two
 *  dimensions of the model's input [n, 1, H, W] (`dims`, when the runtime tells them). A sidecar without
 *  image_height (written before the people model) is read as square, unless the model's input says
 *  otherwise. */
function sketchSize(meta, dims, name, notes) {
  const fixed = dims && positive(dims[dims.length - 1]) && positive(dims[dims.length - 2])
    ? [dims[dims.length - 1], dims[dims.length - 2]] : null;
  if (positive(meta?.image_size)) {
    if (positive(meta.image_height)) return [meta.image_size, meta.image_height];
    return fixed && fixed[0] === meta.image_size ? fixed : [meta.image_size, meta.image_size];
  }
  if (!fixed) throw new Error(`no image size for ${name}: no image_size beside it and its input has no fixed size`);
  addNote(notes, `No ${sidecarName(name)} beside the model; image size ${fixed[0]}x${fixed[1]} read from the model's input.`);
  return fixed;
}

function ortEngine(ort, session, sidecar, label, notes, name = 'model') {
  const kind = inputKind(session.inputNames, name);
  if (kind === 'sketch') return ortSketchEngine(ort, session, sidecar, label, notes, name);
  let meta = sidecar;
  if (!meta) {
    addNote(notes, `No ${sidecarName(name)} beside the model; assuming z_dim 64 and 10 classes.`);
    meta = FALLBACK_META;
  }
  const output = session.outputNames.includes('image') ? 'image' : session.outputNames[0];
  const zDim = meta.z_dim, numClasses = meta.num_classes;
  const imageSize = meta.output?.image?.[3] ?? 28;
  return {
    kind, label, notes, zDim, numClasses, imageSize,
    probe() { return this.run(new Float32Array(zDim), new Int32Array(1), 1); },
    async run(z, digits, n) {
      const feeds = {
        z: new ort.Tensor('float32', z, [n, zDim]),
        digit: new ort.Tensor('int64', BigInt64Array.from(digits, (d) => BigInt(d)), [n]),
      };
      return ownedOutput(await session.run(feeds, [output]), output);
    },
  };
}

/** The output tensor's data as a Float32Array that owns its whole buffer (so it can be transferred). */
function ownedOutput(result, output) {
  const tensor = result[output];
  const data = tensor.data;
  const image = data.byteOffset === 0 && data.byteLength === data.buffer.byteLength ? data : data.slice();
  tensor.dispose?.();
  return image;
}

function ortSketchEngine(ort, session, meta, label, notes, name) {
  const dims = session.inputMetadata?.find?.((m) => m.name === 'sketch')?.shape;
  const [imageSize, imageHeight] = sketchSize(meta, dims, name, notes);
  const output = session.outputNames.includes('photo') ? 'photo' : session.outputNames[0];
  const hints = session.inputNames.includes('hints');
  return {
    kind: 'sketch', label, notes, imageSize, imageHeight, zDim: null, numClasses: null, hints,
    probe() {
      const plane = imageSize * imageHeight;
      return this.runSketch(new Float32Array(plane).fill(1), 1, hints ? new Float32Array(HINT_PLANES * plane) : null);
    },
    async runSketch(sketch, n, hintPlanes) {
      const feeds = { sketch: new ort.Tensor('float32', sketch, [n, 1, imageHeight, imageSize]) };
      if (hints) feeds.hints = new ort.Tensor('float32', hintPlanes, [n, HINT_PLANES, imageHeight, imageSize]);
      return ownedOutput(await session.run(feeds, [output]), output);
    },
  };
}

// ---------------------------------------------------------------- TensorFlow.js

async function initTfjs(name, backend, askedThreads) {
  const notes = [];
  if (askedThreads) notes.push('TF.js chooses its own thread count (half the cores, at most 4); threads= is ignored.');
  // The manifest first: a missing model is reported at once, not after the runtime has loaded.
  const base = new URL(`${name}/`, MODELS);
  const manifestUrl = new URL('manifest.json', base);
  const manifest = await (await fetchOk(manifestUrl, `the TF.js model ${name}`)).json();
  await importRuntime('tfjs/tf.es2017.min.js');
  const tf = self.tf;
  tf.enableProdMode();
  const wanted = backend === 'auto' ? ['wasm', 'webgl', 'cpu'] : [backend, ...['wasm', 'webgl', 'cpu'].filter((b) => b !== backend)];
  let chosen = null;
  for (const candidate of wanted) {
    try {
      if (candidate === 'wasm') {
        await importRuntime('tfjs/tf-backend-wasm.es2017.min.js');
        // Threads (cross-origin isolated pages only) are TF.js's own choice: half the cores, at most 4; its
        // wasm build starts that many with the module and cannot add more later.
        tf.wasm.setWasmPaths(new URL('tfjs/', VENDOR).href);
      }
      if (candidate === 'webgl' && typeof OffscreenCanvas === 'undefined') throw new Error('no OffscreenCanvas');
      if (await tf.setBackend(candidate)) {
        await tf.ready();
        chosen = candidate;
        break;
      }
      throw new Error('it did not initialise');
    } catch (err) {
      notes.push(`TF.js ${candidate} backend unavailable (${describe(err)}).`);
    }
  }
  if (!chosen) throw new Error('no TF.js backend could start');
  if (backend !== 'auto' && chosen !== backend) notes.push(`Asked for ${backend}, running on ${chosen}.`);

  const variants = [];
  for (const variant of manifest.variants) {
    const url = new URL(variant.path, base);
    let model;
    try {
      model = await tf.loadGraphModel(url.href);
    } catch (err) {
      throw new Error(`the TF.js model ${variant.path} could not be read (${describe(err)})`);
    }
    variants.push({ batch: variant.batch, model });
  }
  variants.sort((a, b) => (a.batch ?? Infinity) - (b.batch ?? Infinity));
  const zDim = manifest.z_dim, numClasses = manifest.num_classes;
  const nhwc = manifest.layout === 'NHWC';
  const kind = inputKind(Object.keys(manifest.inputs ?? { z: 1, digit: 1 }), name);
  const [imageSize, imageHeight] = kind === 'sketch' ? sketchSize(manifest, null, name, notes)
    : [manifest.image_size ?? 28, manifest.image_size ?? 28];

  // A model converted with a dynamic batch takes any n; fixed-batch variants get the smallest one that
  // fits (padded with zeros), or chunks of the largest.
  const pick = (count) => variants.find((v) => v.batch === null || v.batch >= count) ?? variants[variants.length - 1];

  const threads = chosen === 'wasm' && tf.wasm.getThreadsCount ? tf.wasm.getThreadsCount() : null;
  const label = `tfjs-${chosen}` + (threads ? ` (${threads} thread${threads === 1 ? '' : 's'})` : '');
  if (kind === 'sketch') {
    return tfjsSketchEngine(tf, pick, label, notes, [imageSize, imageHeight], nhwc, Object.hasOwn(manifest.inputs ?? {}, 'hints'));
  }
  return {
    kind, label, notes, zDim, numClasses, imageSize,
    async run(z, digits, n) {
      let out = null, done = 0;
      while (done < n) {
        const { batch, model } = pick(n - done);
        const size = batch ?? n - done;
        const take = Math.min(size, n - done);
        const zChunk = new Float32Array(size * zDim);
        zChunk.set(z.subarray(done * zDim, (done + take) * zDim));
        const dChunk = new Int32Array(size);
        dChunk.set(digits.subarray(done, done + take));
        const image = tf.tidy(() => {
          const y = model.execute({ z: tf.tensor2d(zChunk, [size, zDim]), digit: tf.tensor1d(dChunk, 'int32') });
          return nhwc ? tf.transpose(y, [0, 3, 1, 2]) : y;
        });
        const data = await image.data();
        image.dispose();
        const per = data.length / size;
        out ??= new Float32Array(n * per);
        out.set(data.subarray(0, take * per), done * per);
        done += take;
      }
      return out;
    },
  };
}

/** A sketch model in TF.js: NHWC graphs take [n, H, W, 1] (the same numbers as [n, 1, H, W], one channel)
 *  and, with colour hints, [n, H, W, 4] (the page's planar hints, transposed), and give [n, H, W, 3],
 *  transposed back to [n, 3, H, W]. Fixed-batch variants are padded with paper and no colour. */
function tfjsSketchEngine(tf, pick, label, notes, [imageSize, imageHeight], nhwc, hints) {
  const per = imageSize * imageHeight;
  return {
    kind: 'sketch', label, notes, imageSize, imageHeight, zDim: null, numClasses: null, hints,
    async runSketch(sketch, n, hintPlanes) {
      let out = null, done = 0;
      while (done < n) {
        const { batch, model } = pick(n - done);
        const size = batch ?? n - done;
        const take = Math.min(size, n - done);
        const chunk = new Float32Array(size * per).fill(1);
        chunk.set(sketch.subarray(done * per, (done + take) * per));
        const photo = tf.tidy(() => {
          const shape = nhwc ? [size, imageHeight, imageSize, 1] : [size, 1, imageHeight, imageSize];
          const feeds = { sketch: tf.tensor4d(chunk, shape) };
          if (hints) {
            const planes = new Float32Array(size * HINT_PLANES * per);
            planes.set(hintPlanes.subarray(done * HINT_PLANES * per, (done + take) * HINT_PLANES * per));
            const nchw = tf.tensor4d(planes, [size, HINT_PLANES, imageHeight, imageSize]);
            feeds.hints = nhwc ? tf.transpose(nchw, [0, 2, 3, 1]) : nchw;
          }
          const y = model.execute(feeds);
          return nhwc ? tf.transpose(y, [0, 3, 1, 2]) : y;
        });
        const data = await photo.data();
        photo.dispose();
        out ??= new Float32Array(n * 3 * per);
        out.set(data.subarray(0, take * 3 * per), done * 3 * per);
        done += take;
      }
      return out;
    },
  };
}
