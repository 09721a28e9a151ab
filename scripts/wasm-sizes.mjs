// The size of each wasm module in a release build (dist/), raw and gzip -9, written to
// bench/wasm-sizes.json: the README's module sizes come from that file.
//   trunk build --release && node scripts/wasm-sizes.mjs
import { readFileSync, readdirSync, writeFileSync } from 'node:fs';
import { execFileSync } from 'node:child_process';
import { gzipSync } from 'node:zlib';

const modules = { page: /^playground-.*_bg\.wasm$/, trainWorker: /^train_worker_bg\.wasm$/, computeWorker: /^compute_worker_bg\.wasm$/ };
const files = readdirSync('dist');
const sizes = {};
for (const [name, pattern] of Object.entries(modules)) {
  const file = files.find((f) => pattern.test(f));
  if (!file) throw new Error(`no ${name} module in dist/: run trunk build --release first`);
  const bytes = readFileSync(`dist/${file}`);
  sizes[name] = { file, raw: bytes.length, gzip: gzipSync(bytes, { level: 9 }).length };
}
const commit = execFileSync('git', ['rev-parse', '--short', 'HEAD']).toString().trim();
const out = { how: `trunk build --release && node scripts/wasm-sizes.mjs (commit ${commit}; gzip -9 of each file, as node's zlib makes it)`, date: new Date().toISOString(), ...sizes };
writeFileSync('bench/wasm-sizes.json', `${JSON.stringify(out, null, 2)}\n`);
for (const [name, s] of Object.entries(sizes)) console.log(`${name}: ${(s.gzip / 1000).toFixed(1)} kB gzip (raw ${(s.raw / 1000).toFixed(1)} kB)`);
