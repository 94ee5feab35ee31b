#!/usr/bin/env bash
# Builds consumer/ as a user's app would be built, outside this tree (so
# nothing resolves through this repository's node_modules or workspace):
# `npm pack` of this package (prepack builds dist/), the app copied to
# $CONSUMER_DIR/app, the tarball and esbuild installed there with npm,
# the app's crate built against runtime-wasm by path, then type-checked
# (tsc, against the package's .d.ts) and bundled with esbuild into $CONSUMER_DIR/app/dist. tests-js/page/consumer.test.ts
# serves and checks it. Expects setup.sh and build.sh to have run.
set -euo pipefail
ROOT=$(cd "$(dirname "$0")/.." && pwd)
# shellcheck disable=SC1091
source "${XDG_CACHE_HOME:-$HOME/.cache}/go-net-wasm/env.sh"
OUT=${CONSUMER_DIR:-${XDG_CACHE_HOME:-$HOME/.cache}/go-net-wasm/consumer}
APP="$OUT/app"
mkdir -p "$OUT"
rm -rf "$APP" "$OUT"/go-net-wasm-*.tgz
# pkg/ is fresh (build.sh ran): prepack only compiles the TypeScript.
# (npm pack's own chatter goes to a file, shown when the pack fails.)
TARBALL=$(cd "$ROOT" && SKIP_WASM_BUILD=1 npm pack --silent --pack-destination "$OUT" 2>"$OUT/npm-pack.err" | tail -n 1) || {
  cat "$OUT/npm-pack.err" >&2
  exit 1
}
cp -r "$ROOT/consumer" "$APP"
sed -i "s|@RUNTIME_WASM@|$ROOT/runtime-wasm|" "$APP/Cargo.toml"
cp "$ROOT/Cargo.lock" "$APP/Cargo.lock" # the same versions as the crate's own tests
cd "$APP"
npm install --no-audit --no-fund --prefer-offline --loglevel=error "$OUT/$TARBALL"
CARGO_TARGET_DIR="$OUT/target" cargo build -q --release --lib --target wasm32-unknown-unknown
wasm-bindgen "$OUT/target/wasm32-unknown-unknown/release/consumer_app.wasm" --target web \
  --out-dir web/pkg --out-name consumer_app
npx tsc -p tsconfig.json # the package's .d.ts, as a user's editor and build see them
npx esbuild web/main.ts web/worker.ts --bundle --format=esm --target=es2022 --log-level=warning --outdir=dist
# esbuild does not copy what new URL(..., import.meta.url) names: the wasm
# files go next to the bundles (the package's through its exports map).
cp web/index.html web/pkg/consumer_app_bg.wasm dist/
cp "$(node -p 'require.resolve("go-net-wasm/runtime_wasm_bg.wasm")')" dist/
echo "$APP/dist"
