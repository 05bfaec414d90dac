// Copies the few runtime files the site loads out of node_modules into vendor/, so that the pages
// are served from their own origin with no CDN. Run after `npm ci`:
//
//     npm ci --ignore-scripts && npm run vendor        (inside web/)
//
// vendor/ is generated (and git-ignored); only the files listed below are copied, nothing else. The one
// file that cannot live in vendor/ is the service worker (below), which goes to the site's root.
import { copyFileSync, mkdirSync, readFileSync, rmSync, statSync, writeFileSync } from 'node:fs';
import { dirname, join } from 'node:path';
import { fileURLToPath } from 'node:url';

const web = join(dirname(fileURLToPath(import.meta.url)), '..');
const modules = join(web, 'node_modules');
const out = join(web, 'vendor');
const pins = JSON.parse(readFileSync(join(web, 'package.json'), 'utf8')).dependencies;

// package -> { folder under vendor/, files under the package's dist/ (or under `from`) }
const plan = {
  'onnxruntime-web': {
    to: 'ort',
    files: [
      // wasm backend (used whenever WebGPU is missing or fails)
      'ort.wasm.min.mjs', 'ort-wasm-simd-threaded.mjs', 'ort-wasm-simd-threaded.wasm',
      // WebGPU backend: only fetched by browsers that have a WebGPU adapter
      'ort.webgpu.min.mjs', 'ort-wasm-simd-threaded.asyncify.mjs', 'ort-wasm-simd-threaded.asyncify.wasm',
    ],
  },
  '@tensorflow/tfjs': { to: 'tfjs', files: ['tf.es2017.min.js'] },
  '@tensorflow/tfjs-backend-wasm': {
    to: 'tfjs',
    files: ['tf-backend-wasm.es2017.min.js', 'tfjs-backend-wasm.wasm', 'tfjs-backend-wasm-simd.wasm',
            'tfjs-backend-wasm-threaded-simd.wasm'],
  },
  // Adds the COOP/COEP headers that GitHub Pages cannot send, so the hosted pages get wasm threads too. A
  // service worker only controls pages in its own folder and below, hence the site's root (git-ignored too).
  'coi-serviceworker': { from: '.', to: '..', files: ['coi-serviceworker.min.js'] },
};

rmSync(out, { recursive: true, force: true });
const versions = {};
let total = 0;
for (const [name, { from = 'dist', to, files }] of Object.entries(plan)) {
  const meta = JSON.parse(readFileSync(join(modules, name, 'package.json'), 'utf8'));
  if (meta.version !== pins[name]) {
    console.error(`vendor: ${name} is ${meta.version} in node_modules but package.json pins ${pins[name]}; run npm ci`);
    process.exit(1);
  }
  versions[name] = { version: meta.version, license: meta.license, files: files.map((f) => join(to, f)) };
  mkdirSync(join(out, to), { recursive: true });
  for (const file of files) {
    copyFileSync(join(modules, name, from, file), join(out, to, file));
    total += statSync(join(out, to, file)).size;
  }
}
writeFileSync(join(out, 'VERSIONS.json'), JSON.stringify(versions, null, 2) + '\n');
console.log(`vendor: copied ${Object.values(versions).flatMap((v) => v.files).length} files ` +
            `(${(total / 1e6).toFixed(1)} MB) into ${out}`);
