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
