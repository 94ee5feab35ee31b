#!/usr/bin/env bash
# The npm package's dist/ (run by `npm pack` / `npm publish` as prepack):
# js/*.ts compiled to ESM with .d.ts (tsc), and the wasm build (pkg/,
# scripts/build.sh) beside it, so dist/js/index.js finds ../pkg/.
set -euo pipefail
ROOT=$(cd "$(dirname "$0")/.." && pwd)
cd "$ROOT"
[ "${SKIP_WASM_BUILD:-}" = 1 ] || bash scripts/build.sh
rm -rf dist
npx tsc -p tsconfig.build.json
mkdir -p dist/pkg
cp pkg/runtime_wasm.js pkg/runtime_wasm.d.ts pkg/runtime_wasm_bg.wasm pkg/runtime_wasm_bg.wasm.d.ts dist/pkg/
mkdir -p dist/pkg-tls
cp pkg-tls/runtime_wasm.js pkg-tls/runtime_wasm.d.ts pkg-tls/runtime_wasm_bg.wasm pkg-tls/runtime_wasm_bg.wasm.d.ts dist/pkg-tls/
