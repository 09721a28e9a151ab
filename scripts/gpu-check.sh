#!/usr/bin/env bash
# The GPU rows of the README's Performance section, on a Linux machine with a GPU driver:
#   1. the adapter wgpu finds natively (Vulkan); a software one (lavapipe) is no usable GPU;
#   2. native training of the reference model (10k images, batch 128, seed 0) on wgpu with our
#      matmul kernel, with Burn's, with the measured choice, and on Burn's CPU backend with one
#      thread and with one per core (at most 8: `vae train --workers N`, the page's data-parallel
#      step on threads);
#   3. the benchmark's browser WebGPU rows in headless Chromium on the machine's GPU
#      (tests/browser/gpu-bench.mjs --hardware): the kernel the page chooses, training images/s
#      with each kernel, TF.js's WebGPU backend.
# Prints the rows as the README's table has them and writes bench/gpu-check-<host>.json.
# Unattended; each stage has a time limit, all within 10 minutes after the builds.
#   scripts/gpu-check.sh                    fails (exit 2) without a GPU adapter, 3 with only a software one
#   scripts/gpu-check.sh --allow-software   runs it on a software adapter too (to test the script)
#   scripts/gpu-check.sh --steps N          native training steps per row (default 400)
#   scripts/gpu-check.sh --native-only      stages 1 and 2 only: no site build, no browser
#   VAE_BIN=path/to/vae scripts/gpu-check.sh   use that `vae` (built with --features gpu) instead of
#                                           building one (with --native-only, nothing is built or
#                                           installed: for a machine that has no network)
set -euo pipefail
cd "$(dirname "$0")/.."
export GPU_CHECK_ARGS="$*"
export PATH="$PWD/tools/node_modules/.bin:$PATH" TRUNK_SKIP_VERSION_CHECK=true

allow_software=false
native_only=false
steps=400
while [[ $# -gt 0 ]]; do
  case $1 in
    --allow-software) allow_software=true ;;
    --steps) steps=$2; shift ;;
    --native-only) native_only=true ;;
    *) echo "gpu-check: unknown option $1" >&2; exit 64 ;;
  esac
  shift
done
fail() { echo "gpu-check: $1" >&2; exit "$2"; }
target=${CARGO_TARGET_DIR:-target}
vae=${VAE_BIN:-$target/release/vae}
out="bench/gpu-check-$(hostname -s).json"
work=$(mktemp -d)
trap 'rm -rf "$work"' EXIT

echo "== builds (the vae CLI with wgpu; the site unless dist/ is there or --native-only)"
if ! $native_only || [[ -z ${VAE_BIN:-} ]]; then
  scripts/setup.sh >/dev/null
fi
[[ -n ${VAE_BIN:-} ]] || cargo build --release --features gpu --bin vae
$native_only || [[ -f dist/index.html ]] || trunk build --release

echo "== adapter"
if ! timeout 60 "$vae" adapter >"$work/adapter.json" 2>"$work/adapter.err"; then
  fail "no usable GPU: wgpu found no adapter ($(tr '\n' ' ' <"$work/adapter.err"))" 2
fi
cat "$work/adapter.json"
if grep -q '"software": true' "$work/adapter.json" && ! $allow_software; then
  fail "no usable GPU: the only adapter is a software one ($(grep '"name"' "$work/adapter.json" | cut -d'"' -f4)); --allow-software runs the check on it anyway" 3
fi

echo "== native training, $steps steps each"
epochs=$(node -e "console.log($steps / Math.ceil(10000 / 128))")
threads=$(( $(nproc) < 8 ? $(nproc) : 8 ))
rows=("gpu ours 1" "gpu burn 1" "gpu auto 1" "cpu auto 1")
(( threads > 1 )) && rows+=("cpu auto $threads")
for row in "${rows[@]}"; do
  set -- $row
  echo "-- $1, kernel $2, $3 thread(s)"
  timeout 150 "$vae" train --small --quiet --seed 0 --epochs "$epochs" --device "$1" --kernel "$2" \
    --workers "$3" >"$work/native-$1-$2-$3.json" \
    && echo "native-$1-$2-$3" >>"$work/rows" \
    || fail "native training on $1 (kernel $2, $3 threads) failed or ran past 150 s" 4
done

if $native_only; then
  echo "== browser WebGPU rows: not run (--native-only)"
else
echo "== browser WebGPU rows (headless Chromium on this machine's GPU)"
browser_flags=(--hardware)
# On a software adapter a step takes seconds: one short window per row, enough to test the script.
$allow_software && browser_flags+=(--allow-software --windows 1 --window-ms 2000)
browser() { timeout 300 node tests/browser/gpu-bench.mjs "$@" --out "$work/browser.json" >"$work/browser.md"; }
if ! browser "${browser_flags[@]}"; then
  # With --allow-software, a machine without a GPU still runs the rows on Chromium's own adapter.
  $allow_software && echo "-- no adapter through Vulkan; Chromium's own (software) adapter instead" \
    && browser "${browser_flags[@]:1}" \
    || fail "the browser rows failed: Chromium found no usable WebGPU adapter, or a step ran past the limit" 5
fi
fi

node --input-type=module - "$work" "$out" <<'JS'
import fs from 'node:fs';
import os from 'node:os';
import { GPU_HEADER, gpuRows, kernelSentence } from './scripts/gpu-table.mjs';
const [work, out] = process.argv.slice(2);
const read = (f) => JSON.parse(fs.readFileSync(`${work}/${f}`, 'utf8'));
const adapter = read('adapter.json');
const native = fs.readFileSync(`${work}/rows`, 'utf8').trim().split('\n')
  .map((f) => ({ row: f.slice('native-'.length), ...read(`${f}.json`) }));
const browser = fs.existsSync(`${work}/browser.json`) ? read('browser.json') : null;
const how = `scripts/gpu-check.sh ${process.env.GPU_CHECK_ARGS ?? ''}`.trim();
const machine = { cores: os.availableParallelism(), cpu: os.cpus()[0]?.model };
const result = { how, date: new Date().toISOString(), machine, adapter, native, browser };
fs.writeFileSync(out, `${JSON.stringify(result, null, 1)}\n`);
const name = `${adapter.name} (${adapter.backend}, driver ${adapter.driver} ${adapter.driver_info})`;
console.log(`\nGPU: ${name}${adapter.software ? ' — a SOFTWARE adapter, not a GPU' : ''}\n`);
console.log(GPU_HEADER);
console.log(GPU_HEADER.replace(/[^|]+/g, ' --- '));
for (const row of gpuRows(result)) console.log(`| ${row.join(' | ')} |`);
console.log(`\n${kernelSentence(result)}`);
if (browser) process.stdout.write(fs.readFileSync(`${work}/browser.md`, 'utf8'));
else console.log('\nBrowser WebGPU rows: not run (--native-only).');
console.log(`\nwrote ${out}`);
JS
