#!/usr/bin/env bash
# Checks the library's layering (ARCHITECTURE.md, src/lib.rs): src/ is split into folders by
# layer, lowest first, data < vae < analysis < services < page < web, and each may import only
# its own layer or lower ones. That keeps everything but `web` plain Rust that builds and is
# tested natively. Rules checked, over the text of every file under src/:
#   1. Browser crates (yew, web_sys, wasm_bindgen[_futures], js_sys, gloo[_net|_timers]), as
#      `name::` paths, `use name`, or `#[wasm_bindgen` attributes, only in src/web/. src/bin/*
#      are thin entry points: no browser crates; the wasm bins (playground, train_worker,
#      compute_worker) call only `vae_playground::web`, the others (the `vae` CLI) never it.
#      src/lib.rs is otherwise exempt.
#   2. `crate::X` paths (and each top-level name of a `use crate::{...}` group) name a layer no
#      higher than the file's own.
#   3. No file sits directly in src/ (besides lib.rs) or in a folder that is not a layer.
# Comments, string and char literals are blanked first, so a doc comment naming `web_sys` is
# not a use of it. Usage: scripts/check-layers.sh [ROOT] (ROOT defaults to the repo root).
# Prints `path:line: what (why)` per violation and exits 1 if there are any.
set -euo pipefail
root="${1:-$(cd "$(dirname "$0")/.." && pwd)}"
exec node --input-type=module - "$root" <<'JS'
import { readFileSync, readdirSync } from 'node:fs';
import { join, relative, sep } from 'node:path';

const root = process.argv[2];
const LAYERS = ['data', 'vae', 'analysis', 'services', 'page', 'web'];
const WASM_BINS = ['playground', 'train_worker', 'compute_worker'];
const CRATES = 'yew|web_sys|wasm_bindgen_futures|wasm_bindgen|js_sys|gloo_net|gloo_timers|gloo';
const BROWSER = new RegExp(`(?<![\\w:$])(${CRATES})\\s*::|\\b(?:use|extern\\s+crate)\\s+(?:::)?(${CRATES})\\b`
  + '|#!?\\[[^\\]]*?\\b(wasm_bindgen)\\b', 'g');
// Comments, strings (plain, byte, raw) and char literals; lifetimes ('a) do not match.
const NOISE = /\/\/[^\n]*|\/\*[\s\S]*?\*\/|(?<!\w)b?r(#*)"[\s\S]*?"\1|b?"(?:\\[\s\S]|[^"\\])*"|b?'(?:\\[^'\n]*|[^'\\\n])'/g;

const files = (dir) => readdirSync(dir, { withFileTypes: true })
  .flatMap((e) => (e.isDirectory() ? files(join(dir, e.name)) : [join(dir, e.name)]));
const violations = [];
const report = (path, code, idx, what, why) =>
  violations.push(`${path}:${code.slice(0, idx).split('\n').length}: ${what} (${why})`);

// Every `prefix::name` and each top-level name of a `prefix::{a::b, c}` group, with its offset.
function imports(code, prefix) {
  const found = [];
  for (const m of code.matchAll(new RegExp(`(?<![\\w:$])${prefix}\\s*::\\s*(\\{|\\w+)`, 'g'))) {
    if (m[1] !== '{') { found.push({ name: m[1], idx: m.index + m[0].length - m[1].length }); continue; }
    let depth = 1, start = m.index + m[0].length;
    for (let j = start; j < code.length && depth > 0; j++) {
      if (code[j] === '{') depth++;
      else if (code[j] === '}') depth--;
      if (depth === 0 || (depth === 1 && code[j] === ',')) {
        const id = /\w+/.exec(code.slice(start, j));
        if (id && id[0] !== 'self') found.push({ name: id[0], idx: start + id.index });
        start = j + 1;
      }
    }
  }
  return found;
}

const all = files(join(root, 'src')).map((f) => relative(root, f).split(sep).join('/')).sort();
let checked = 0;
for (const path of all) {
  const [, top, ...rest] = path.split('/');
  const isBin = top === 'bin', isLib = path === 'src/lib.rs';
  const layer = LAYERS.indexOf(top);
  if (!isLib && !isBin && (rest.length === 0 || layer < 0)) {
    violations.push(`${path}:1: file outside the layer folders (everything but lib.rs and bin/ `
      + `lives in src/{${LAYERS.join(',')}}/)`);
  }
  if (!path.endsWith('.rs')) continue;
  checked++;
  const code = readFileSync(join(root, path), 'utf8')
    .replace(NOISE, (s) => s.replace(/[^\n]/g, ' '));
  const who = isLib ? 'lib.rs' : isBin ? `bin ${(rest.at(-2) ?? rest[0] ?? top).replace(/\.rs$/, '')}`
    : `layer ${top}`;
  if (top !== 'web') {
    for (const m of code.matchAll(BROWSER)) {
      const name = m[1] ?? m[2] ?? m[3];
      report(path, code, m.index, name, `${who} may not import ${name}: browser crates live in src/web/`);
    }
  }
  if (isBin) {
    const wasm = WASM_BINS.includes(who.slice(4));
    for (const { name, idx } of imports(code, 'vae_playground')) {
      if (wasm ? name !== 'web' : name === 'web') {
        report(path, code, idx, `vae_playground::${name}`, `${who} may not import ${name}`
          + (wasm ? ': a wasm entry point calls only vae_playground::web' : ''));
      }
    }
  } else if (!isLib && layer >= 0) {
    for (const { name, idx } of imports(code, 'crate')) {
      const target = LAYERS.indexOf(name);
      if (target > layer) report(path, code, idx, `crate::${name}`, `${who} may not import ${name}`);
      if (target < 0) report(path, code, idx, `crate::${name}`, `${who} may not import ${name}: not a layer`);
    }
  }
}
for (const v of violations) console.log(v);
console.log(`layers: ${checked} files checked, ${violations.length} violations`);
process.exit(violations.length ? 1 : 0);
JS
