#!/usr/bin/env bash
# Sets everything up (first run: about 10 minutes of tool installs), then builds and serves the
# playground at http://127.0.0.1:8080/ with a release build.
set -euo pipefail
cd "$(dirname "$0")/.."
scripts/setup.sh
export PATH="$PWD/tools/node_modules/.bin:$PATH" TRUNK_SKIP_VERSION_CHECK=true
exec trunk serve --release "$@"
