#!/usr/bin/env bash
# Builds the benchmark crate (bench/, release, as users ship it) into
# bench/pkg and bundles the benchmark page's script. Expects setup.sh to
# have run. Used by scripts/bench.sh and by the test command's page layer.
set -euo pipefail
ROOT=$(cd "$(dirname "$0")/.." && pwd)
# shellcheck disable=SC1091
source "${XDG_CACHE_HOME:-$HOME/.cache}/go-net-wasm/env.sh"
cd "$ROOT"
bash scripts/wasm.sh runtime-wasm-bench bench/pkg runtime_wasm_bench
npx esbuild bench/www/bench.ts --bundle --format=esm --target=es2022 --log-level=warning \
  --outfile=bench/www/bench.js
# The raw Wisp echo for Node too (bench/run.mjs measures the relay's ceiling with it).
npx esbuild bench/www/raw-wisp.ts --bundle --format=esm --platform=node --target=es2022 --log-level=warning \
  --outfile=bench/www/raw-wisp.mjs
# Go's own js/wasm port for the comparison row (bench/go-js: net/http over
# fetch), with the wasm_exec.js of the same Go, into target/bench-go.
GO="${XDG_CACHE_HOME:-$HOME/.cache}/go-net-wasm/bin/go"
mkdir -p "$ROOT/target/bench-go"
( cd "$ROOT/bench/go-js" && GOOS=js GOARCH=wasm GOCACHE="${XDG_CACHE_HOME:-$HOME/.cache}/go-net-wasm/gocache" \
  GOPROXY=off GOFLAGS=-mod=mod GOTOOLCHAIN=local "$GO" build -trimpath -ldflags=-s -o "$ROOT/target/bench-go/gojs.wasm" . )
cp "$("$GO" env GOROOT)/lib/wasm/wasm_exec.js" "$ROOT/target/bench-go/"
