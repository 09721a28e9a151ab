#!/usr/bin/env bash
# Installs what building, serving and testing the playground needs. Idempotent: skips what is present.
set -euo pipefail
cd "$(dirname "$0")/.."

TRUNK_VERSION=0.21.14
WASM_BINDGEN_VERSION=0.2.129
BINARYEN_VERSION=132.0.0
PLAYWRIGHT_VERSION=1.64.1
PUPPETEER_VERSION=24.43.1
TFJS_VERSION=4.22.0

say() { printf '[setup] %s\n' "$*"; }

# The browser tests run with node's own test runner, on named files (Node 20 or newer).
if ! node -e 'process.exit(Number(process.versions.node.split(".")[0]) >= 20 ? 0 : 1)' 2>/dev/null; then
  say "Node.js 20 or newer is needed (found: $(node --version 2>/dev/null || echo none))"
  exit 1
fi

if ! rustup target list --installed | grep -qx wasm32-unknown-unknown; then
  say "adding the wasm32-unknown-unknown target"
  rustup target add wasm32-unknown-unknown
fi

# Trunk's own release profile is fat LTO with one codegen unit: most of its install time on two
# cores. It only copies, hashes and runs our tools, so a plainly optimised build does, and
# without the update check and TLS it never calls out (it builds offline here).
if ! trunk --version 2>/dev/null | grep -q "$TRUNK_VERSION"; then
  say "installing trunk $TRUNK_VERSION (a few minutes)"
  CARGO_PROFILE_RELEASE_LTO=false CARGO_PROFILE_RELEASE_CODEGEN_UNITS=16 \
    cargo install --locked --no-default-features "trunk@$TRUNK_VERSION"
fi

if ! wasm-bindgen --version 2>/dev/null | grep -q "$WASM_BINDGEN_VERSION"; then
  say "installing wasm-bindgen-cli $WASM_BINDGEN_VERSION (about 5 minutes)"
  cargo install --locked "wasm-bindgen-cli@$WASM_BINDGEN_VERSION"
fi

need_apt=()
[ -x /usr/bin/chromium ] || need_apt+=(chromium fonts-liberation)
[ -x /usr/bin/chromedriver ] || need_apt+=(chromium-driver)
[ -e /usr/share/vulkan/icd.d/lvp_icd.x86_64.json ] || need_apt+=(mesa-vulkan-drivers libvulkan1)
# The other two engines the core browser tests run in: Gecko, and WebKitGTK's MiniBrowser with
# its WebDriver, which needs a display (a virtual one: xvfb-run, which needs xauth).
[ -x /usr/bin/firefox-esr ] || need_apt+=(firefox-esr)
[ -x /usr/bin/WebKitWebDriver ] || need_apt+=(webkit2gtk-driver)
[ -x /usr/bin/xvfb-run ] && [ -x /usr/bin/xauth ] || need_apt+=(xvfb xauth)
if [ ${#need_apt[@]} -gt 0 ]; then
  say "installing ${need_apt[*]}"
  apt-get update -q
  DEBIAN_FRONTEND=noninteractive apt-get install -y -q --no-install-recommends "${need_apt[@]}"
fi

# wasm-opt (npm's binaryen: Debian's is too old for current rustc), Playwright's driver (for
# Chromium), puppeteer-core (for Firefox, over WebDriver BiDi) and TensorFlow.js (the benchmark's peer page; browser builds only, never tfjs-node), kept in
# tools/ so they never mix with the site. Versions are pinned in tools/package.json.
if [ ! -x tools/node_modules/.bin/wasm-opt ] || [ ! -d tools/node_modules/playwright-core ] \
  || [ ! -d tools/node_modules/puppeteer-core ] \
  || [ ! -f tools/node_modules/@tensorflow/tfjs-backend-webgpu/package.json ]; then
  say "installing binaryen $BINARYEN_VERSION, playwright-core $PLAYWRIGHT_VERSION, puppeteer-core $PUPPETEER_VERSION and TF.js $TFJS_VERSION (npm)"
  (cd tools && npm install --no-audit --no-fund --silent)
fi

if [ ! -f "${CARGO_HOME:-$HOME/.cargo}/.vae-playground-fetched" ] || [ Cargo.lock -nt "${CARGO_HOME:-$HOME/.cargo}/.vae-playground-fetched" ]; then
  say "fetching crates (Trunk builds offline)"
  cargo fetch
  cargo fetch --target wasm32-unknown-unknown
  touch "${CARGO_HOME:-$HOME/.cargo}/.vae-playground-fetched"
fi
