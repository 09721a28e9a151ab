#!/usr/bin/env bash
# Benchmark: release build of the site, native training on one core, then the site and its
# TensorFlow.js peer (bench/tfjs/) in headless Chromium. Prints a markdown table and writes
# bench/results.json. Not a test: nothing here passes or fails on speed.
#   scripts/bench.sh            full run (about 5 minutes after the builds)
#   scripts/bench.sh --short    a few seconds of each measurement (what CI's smoke run does)
set -euo pipefail
cd "$(dirname "$0")/.."
scripts/setup.sh
export PATH="$PWD/tools/node_modules/.bin:$PATH" TRUNK_SKIP_VERSION_CHECK=true

out=bench/results.json
[[ " $* " == *" --short "* ]] && out=tests/browser/out/bench-short.json
mkdir -p "$(dirname "$out")"

echo "== release builds (site, vae CLI)"
trunk build --release
cargo build --release --bin vae

echo "== benchmark"
node tests/browser/bench.mjs --vae "${CARGO_TARGET_DIR:-target}/release/vae" --out "$out" "$@"

# Issue 21's rows (full runs only): the matmul kernel the page chooses on Chromium's WebGPU
# adapter here (SwiftShader), with what it timed; and time to quality against the TF.js peer.
# scripts/gpu-check.sh gives the rows of a machine with a real GPU.
if [[ " $* " != *" --short "* ]]; then
  echo "== WebGPU kernel choice"
  node tests/browser/gpu-bench.mjs --allow-software --choice-only --out bench/kernel-choice.json
  echo "== time to quality"
  node tests/browser/quality-bench.mjs --out bench/time-to-quality.json
fi
