#!/usr/bin/env bash
# Benchmarks in headless Chromium against the local peers: the Rust stack vs
# the raw browser APIs (and gloo-net for the echo), side by side in one page
# and one run. Prints a table; writes target/bench/results.json. Targets that
# are missed are reported, not failed. Knobs: BENCH_MIB, BENCH_REPS,
# BENCH_PINGS, BENCH_CYCLES, BENCH_DOH_ITERATIONS (see bench/run.mjs).
set -euo pipefail
ROOT=$(cd "$(dirname "$0")/.." && pwd)
cd "$ROOT"
bash scripts/setup.sh >&2
# shellcheck disable=SC1091
source "${XDG_CACHE_HOME:-$HOME/.cache}/go-net-wasm/env.sh"
bash scripts/build.sh   # pkg/: the shipped wasm, whose size is reported
bash scripts/build-bench.sh
bash scripts/build-guests.sh >&2   # target/guests: the wasip1 guest of the wasi section
exec node bench/run.mjs
