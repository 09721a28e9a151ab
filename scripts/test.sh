#!/usr/bin/env bash
# Runs every test: formatting, lints, the native suite (cargo test), then the browser suite
# (headless Chromium against a release build of the site), then a short smoke run of the
# benchmark so it cannot rot (it asserts nothing about speed). Sets up what is missing first.
set -euo pipefail
cd "$(dirname "$0")/.."
scripts/setup.sh
export PATH="$PWD/tools/node_modules/.bin:$PATH" TRUNK_SKIP_VERSION_CHECK=true

echo "== format and lints"
scripts/check-layers.sh
cargo fmt --check
cargo clippy --all-targets -- -D warnings
cargo clippy --target wasm32-unknown-unknown --features gpu --lib --bins -- -D warnings
# The page and the compute worker are built without `gpu` (index.html): lint them that way too.
cargo clippy --target wasm32-unknown-unknown --lib --bins -- -D warnings

echo "== native tests"
cargo test
# The wgpu backend's own matmul kernel, on Mesa's software Vulkan (lavapipe), against the CPU.
cargo test --features gpu --test wgpu_matmul

echo "== release build of the site"
trunk build --release

echo "== browser tests (headless Chromium)"
# The inspect test compares the page's numbers with the native CLI that `cargo test` built.
export VAE_BIN="${CARGO_TARGET_DIR:-target}/debug/vae"
node --test --test-concurrency=1 tests/browser/*.test.mjs

echo "== benchmark smoke run (short; no speed asserted)"
mkdir -p tests/browser/out
# cargo test built the debug `vae` CLI (integration tests build the bins): enough for a smoke run.
node tests/browser/bench.mjs --short --vae "$VAE_BIN" --out tests/browser/out/bench-short.json
