#!/usr/bin/env bash
# Runs every test: formatting, lints, the native suite (cargo test), then the browser suite
# against a release build of the site (all of it in headless Chromium, its core also in Firefox
# and WebKit), then a short smoke run of the benchmark so it cannot rot (it asserts nothing
# about speed). Sets up what is missing first, and prints each stage's time at the end.
set -euo pipefail
cd "$(dirname "$0")/.."
export PATH="$PWD/tools/node_modules/.bin:$PATH" TRUNK_SKIP_VERSION_CHECK=true

stages=()
stage() { # stage NAME COMMAND...: runs it and records how long it took
  local name=$1 start=$SECONDS
  shift
  echo "== $name"
  "$@"
  stages+=("$(printf '%6d s  %s' $((SECONDS - start)) "$name")")
}
report() {
  echo "== stage times"
  printf '%s\n' "${stages[@]}"
  printf '%6d s  in all\n' "$SECONDS"
}
trap report EXIT

stage "set-up" scripts/setup.sh
stage "layer check" scripts/check-layers.sh
# Every number in the README's tables, recomputed from the committed JSON under bench/.
stage "README numbers" node scripts/check-readme.mjs
stage "format" cargo fmt --check
# Native code is linted and tested with `gpu` on, once: one build of the dependency graph serves
# clippy's check, every test and the wgpu kernel's test (a second feature set would rebuild Burn).
stage "clippy, native" cargo clippy --all-targets --features gpu -- -D warnings
stage "clippy, wasm (train worker)" cargo clippy --target wasm32-unknown-unknown --features gpu --lib --bins -- -D warnings
# The page and the compute worker are built without `gpu` (index.html): lint them that way too.
stage "clippy, wasm (page)" cargo clippy --target wasm32-unknown-unknown --lib --bins -- -D warnings
# Includes the wgpu backend's own matmul kernel on Mesa's software Vulkan (lavapipe).
stage "native tests" cargo test --features gpu
stage "release build of the site" trunk build --release

# The inspect test compares the page's numbers with the native CLI that `cargo test` built.
export VAE_BIN="${CARGO_TARGET_DIR:-target}/debug/vae"
stage "browser tests, Chromium (all)" env VAE_ENGINES=chromium node --test --test-concurrency=1 tests/browser/*.test.mjs
# The core (tests/browser/engines.test.mjs) in the other two engines.
stage "browser tests, Firefox (core)" env VAE_ENGINES=firefox node --test tests/browser/engines.test.mjs
stage "browser tests, WebKit (core)" env VAE_ENGINES=webkit node --test tests/browser/engines.test.mjs

mkdir -p tests/browser/out
# A few seconds of each measurement so the benchmark cannot rot; it asserts that our trainer
# and the TF.js peer still learn the same thing, never a speed.
stage "benchmark smoke run" node tests/browser/bench.mjs --short --vae "$VAE_BIN" --out tests/browser/out/bench-short.json
