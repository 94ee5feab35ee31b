#!/usr/bin/env bash
# Prints the path of a wasm-bindgen CLI that matches a Cargo.lock's
# wasm-bindgen crate, building it once per version under the user's cache
# (cargo install from crates.io, ~1.5 minutes on 2 cores; a second call
# returns at once). The CLI refuses a wasm whose schema differs from its
# own ("schema version: 0.2.114 / this binary schema version: 0.2.130"), so
# a host that keeps its own lock (Vo's web runtime keeps 0.2.114) needs its
# own CLI:
#   WASM_BINDGEN=$(scripts/wasm-bindgen-for.sh path/to/host/Cargo.lock)
#   "$WASM_BINDGEN" --target web --out-dir pkg target/wasm32-unknown-unknown/release/host.wasm
set -euo pipefail
LOCK=${1:?usage: wasm-bindgen-for.sh path/to/Cargo.lock}
VER=$(awk '/^name = "wasm-bindgen"$/{getline; gsub(/[^0-9.]/,""); print; exit}' "$LOCK")
[ -n "$VER" ] || { echo "wasm-bindgen-for: no wasm-bindgen in $LOCK" >&2; exit 1; }
ROOT="${XDG_CACHE_HOME:-$HOME/.cache}/go-net-wasm/wasm-bindgen-$VER"
BIN="$ROOT/bin/wasm-bindgen"
if [ "$("$BIN" --version 2>/dev/null | cut -d' ' -f2)" != "$VER" ]; then
  echo "[wasm-bindgen-for] cargo install wasm-bindgen-cli $VER (once)" >&2
  # No default features: they only add rustls for downloads the CLI never
  # makes here. Not --locked: older CLIs' lockfiles name crates the
  # registry has since yanked.
  cargo install -q --root "$ROOT" wasm-bindgen-cli --version "=$VER" --force --no-default-features >&2
fi
echo "$BIN"
