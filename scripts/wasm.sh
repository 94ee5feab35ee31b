#!/usr/bin/env bash
# wasm.sh CRATE OUT_DIR OUT_NAME [wasm-bindgen flags...]
# FEATURES (env): the crate's cargo features, comma-separated.
# PROFILE (env): the cargo profile (default release).
# WASM_NAMES=1 (env): keep the name section, so a CPU profile names wasm
# frames (bench/run.mjs BENCH_PROFILE); what ships has none.
# Builds CRATE's cdylib for wasm32 (release), runs the pinned wasm-bindgen
# CLI (--target web) and then wasm-opt -Os on the result: what wasm-pack
# did, without compiling wasm-pack. wasm-opt is binaryen's own npm build
# (pinned in package-lock.json, a build tool, not shipped): Debian 12's
# binaryen 108 renumbers wasm-bindgen's externref table so that its export
# names the funcref table, and the module fails at start-up.
# Expects scripts/setup.sh to have run (env.sh on PATH).
set -euo pipefail
crate=$1 out=$2 name=$3; shift 3
ROOT=$(cd "$(dirname "$0")/.." && pwd)
cd "$ROOT"
profile=${PROFILE:-release}
cargo rustc -q -p "$crate" --lib --profile "$profile" --target wasm32-unknown-unknown --crate-type cdylib \
  ${FEATURES:+--features "$FEATURES"}
wasm-bindgen "${CARGO_TARGET_DIR:-target}/wasm32-unknown-unknown/$profile/${crate//-/_}.wasm" --target web \
  --out-dir "$out" --out-name "$name" "$@"
# wasm-opt reads the features rustc enabled from the module's
# target_features section; -Os matches the profile's opt-level.
node "$ROOT/node_modules/binaryen/bin/wasm-opt" "${WASM_OPT_LEVEL:--Os}" ${WASM_NAMES:+-g} "$out/${name}_bg.wasm" -o "$out/${name}_bg.wasm.opt"
mv "$out/${name}_bg.wasm.opt" "$out/${name}_bg.wasm"
