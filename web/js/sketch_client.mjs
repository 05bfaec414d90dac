// The sketch page's side of the inference worker (worker.mjs): starting one for a model, the load timeout,
// ignoring whatever a replaced worker still says, and the benchmark's round trips. What the answers mean is
// the page's business (sketch.mjs): it gets them through the handlers given to the constructor,
//   onReady(data), onResult(data), onDropped(), onError(message, fatal, channel)
// with data as worker.mjs posts it; a worker that cannot start or load in time is a fatal onError.

export class WorkerClient {
  constructor(handlers, loadTimeoutMs = 60_000) {
    this.handlers = handlers;
    this.loadTimeoutMs = loadTimeoutMs;
    this.worker = null;
    this.generation = 0;          // messages from a worker we have replaced are ignored
    this.loadTimer = null;
    this.benchWaiters = new Map();
  }

  /** A new worker for `init` ({runtime, backend, model, threads}), replacing any running one. */
  start(init) {
    this.stop();
    const gen = this.generation;
    if (typeof Worker === 'undefined' || typeof WebAssembly === 'undefined') {
      this.handlers.onError('this browser lacks Web Workers or WebAssembly, which the generator needs', true);
      return;
    }
    this.loadTimer = setTimeout(() => this.handlers.onError(
      `the model ${init.model} did not load within ${this.loadTimeoutMs / 1000} s`, true), this.loadTimeoutMs);
    const w = new Worker(new URL('./worker.mjs', import.meta.url), { type: 'module', name: 'inference' });
    this.worker = w;
    w.onerror = (event) => {
      event.preventDefault();
      if (gen !== this.generation) return;
      this.handlers.onError(`the inference worker failed to start${event.message ? ` (${event.message})` : ''}`, true);
    };
    w.onmessage = ({ data }) => {
      if (gen === this.generation) this.dispatch(data);
    };
    w.postMessage({ type: 'init', ...init, expect: 'sketch' });
  }

  /** The worker stops; nothing it had still to say arrives. */
  stop() {
    clearTimeout(this.loadTimer);
    this.worker?.terminate();
    this.worker = null;
    this.generation++;
  }

  post(message) {
    this.worker.postMessage(message);
  }

  /** Timings measured in the worker (worker.mjs's 'bench'). */
  bench(id, n, reps, warmup, input) {
    return new Promise((resolve) => {
      this.benchWaiters.set(id, resolve);
      this.post({ type: 'bench', id, n, reps, warmup, input });
    });
  }

  dispatch(data) {
    switch (data.type) {
      case 'ready':
        clearTimeout(this.loadTimer);
        this.handlers.onReady(data);
        break;
      case 'result':
        this.handlers.onResult(data);
        break;
      case 'dropped':
        if (data.channel === 'live') this.handlers.onDropped();
        break;
      case 'bench':
        this.benchWaiters.get(data.id)?.(data.times);
        this.benchWaiters.delete(data.id);
        break;
      case 'error':
        this.handlers.onError(data.message, Boolean(data.fatal), data.channel);
        break;
      default:
        break;
    }
  }
}
