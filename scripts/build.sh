#!/usr/bin/env bash
# Builds the wasm package (pkg/) with wasm-pack and bundles the demo page's
# script (www/js/) with esbuild. Expects scripts/setup.sh to have run.
set -euo pipefail
ROOT=$(cd "$(dirname "$0")/.." && pwd)
# shellcheck disable=SC1091
source "${XDG_CACHE_HOME:-$HOME/.cache}/go-net-wasm/env.sh"
cd "$ROOT"
# --mode no-install: use the wasm-bindgen on PATH (pinned by setup.sh to the
# locked version); wasm-opt is off in Cargo.toml (its download fails here).
wasm-pack --quiet build runtime-wasm --target web --out-dir ../pkg --out-name runtime_wasm \
  --mode no-install --release --no-pack >&2
npx esbuild www/demo.ts --bundle --format=esm --target=es2022 --log-level=warning \
  --outfile=www/js/demo.js
