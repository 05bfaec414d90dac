// Seeded noise for the generator, identical in every browser and reproducible in Python.
//
// Uniforms come from a counter-based generator: the k-th number of a seed is a 32-bit integer hash
// (the avalanche step that MurmurHash3 ends with) of a key mixed from the seed plus k times the
// golden-ratio constant. Being counter-based, any element can be computed on its own, and the
// Python twin in tests/test_web.py is a few lines of integer arithmetic. Normals come from the
// Box-Muller transform, two per pair of uniforms.

const GOLDEN = 0x9e3779b9;

/** The 32-bit avalanche hash: every input bit flips about half the output bits. Unsigned result. */
export function hash32(x) {
  let h = x >>> 0;
  h ^= h >>> 16;
  h = Math.imul(h, 0x85ebca6b);
  h ^= h >>> 13;
  h = Math.imul(h, 0xc2b2ae35);
  h ^= h >>> 16;
  return h >>> 0;
}

/** The stream key of a seed (any integer 0 .. 2^32-1). */
export function seedKey(seed) {
  return hash32((seed >>> 0) ^ 0x2545f491);
}

/** The k-th uniform of a seed, strictly inside (0, 1) so that log() never sees 0. */
export function uniform(seed, k) {
  const bits = hash32((seedKey(seed) + Math.imul(k + 1, GOLDEN)) >>> 0);
  return (bits + 0.5) / 4294967296;
}

/** `count` standard normals starting at normal number `start` of the seed's stream. */
export function normals(seed, count, start = 0) {
  const out = new Float32Array(count);
  for (let i = 0; i < count; i++) {
    const n = start + i;
    const pair = n >>> 1;
    const radius = Math.sqrt(-2 * Math.log(uniform(seed, 2 * pair)));
    const angle = 2 * Math.PI * uniform(seed, 2 * pair + 1);
    out[i] = n % 2 === 0 ? radius * Math.cos(angle) : radius * Math.sin(angle);
  }
  return out;
}

// Where each kind of draw starts in a seed's stream, far apart so they never overlap.
export const DIGIT_STREAM = 1 << 24;

/** The noise vectors of a grid: cell i gets normals i*zDim .. (i+1)*zDim-1. */
export function gridNoise(seed, cells, zDim) {
  return normals(seed, cells * zDim, 0);
}

/** The digits of a "mixed" grid: uniform over 0..numClasses-1, one per cell. */
export function gridDigits(seed, cells, numClasses) {
  const out = new Int32Array(cells);
  for (let i = 0; i < cells; i++) out[i] = Math.floor(uniform(seed, DIGIT_STREAM + i) * numClasses);
  return out;
}

/** Spherical interpolation: the path a Gaussian vector's typical norm follows; lerp when parallel. */
export function slerp(a, b, t) {
  let dot = 0, na = 0, nb = 0;
  for (let i = 0; i < a.length; i++) { dot += a[i] * b[i]; na += a[i] * a[i]; nb += b[i] * b[i]; }
  const cos = Math.min(1, Math.max(-1, dot / Math.sqrt(na * nb)));
  const omega = Math.acos(cos);
  const out = new Float32Array(a.length);
  if (Math.sin(omega) < 1e-6) {
    for (let i = 0; i < a.length; i++) out[i] = (1 - t) * a[i] + t * b[i];
    return out;
  }
  const wa = Math.sin((1 - t) * omega) / Math.sin(omega);
  const wb = Math.sin(t * omega) / Math.sin(omega);
  for (let i = 0; i < a.length; i++) out[i] = wa * a[i] + wb * b[i];
  return out;
}
