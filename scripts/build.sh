#!/usr/bin/env bash
# Builds the wasm package (pkg/: cargo, the pinned wasm-bindgen CLI and
# wasm-opt, scripts/wasm.sh) and bundles the demo page's script (www/js/)
# with esbuild. Expects scripts/setup.sh to have run.
set -euo pipefail
ROOT=$(cd "$(dirname "$0")/.." && pwd)
# shellcheck disable=SC1091
source "${XDG_CACHE_HOME:-$HOME/.cache}/go-net-wasm/env.sh"
cd "$ROOT"
# --experimental-reset-state-function: js/index.ts re-instantiates the
# module after a trap (a panic), so one bad call cannot break it for good.
# js-api: the exports init() wraps (callExtern & co.); nothing else.
FEATURES=js-api bash scripts/wasm.sh runtime-wasm pkg runtime_wasm --experimental-reset-state-function
# The TLS build (pkg-tls/, go-net-wasm/tls): the same with the feature tls
# (rustls, ring, webpki-roots, hyper), at opt-level "z".
PROFILE=release-tls WASM_OPT_LEVEL=-Oz FEATURES=js-api,tls bash scripts/wasm.sh runtime-wasm pkg-tls runtime_wasm --experimental-reset-state-function
# The vitest suite's twin (pkg-debug/): the same plus debugPanic, which
# the trap-recovery tests call; never packed or served.
if [ "${BUILD_DEBUG_PKG:-}" = 1 ]; then
  FEATURES=debug-panic bash scripts/wasm.sh runtime-wasm pkg-debug runtime_wasm --experimental-reset-state-function
fi
npx esbuild www/demo.ts --bundle --format=esm --target=es2022 --log-level=warning \
  --outfile=www/js/demo.js
