#!/usr/bin/env bash
# scripts/asyncify.sh IN.wasm OUT.wasm: transforms a wasm32-wasip1 guest with
# Binaryen's Asyncify so it can block in a browser without JSPI
# (js/wasi-asyncify.ts; docs/wasi.md, "Without JSPI"). Only the imports that
# may wait unwind (the list is js/wasi-asyncify.ts's ASYNCIFY_IMPORTS; a unit
# test keeps the two equal), so frames that cannot reach one stay as they were.
# wasm-opt: $WASM_OPT, else the system's (Debian's binaryen, which setup
# installs: native and threaded, 70 s on a 12 MB Go guest here), else
# binaryen's npm build (a devDependency, as for scripts/wasm.sh; the same
# output, but one thread of wasm, several times slower). The features are
# the ones rustc and Go emit today, named because neither leaves a
# target_features section in the binary.
set -euo pipefail
[ $# -eq 2 ] || { echo "usage: scripts/asyncify.sh IN.wasm OUT.wasm" >&2; exit 2; }
ROOT=$(cd "$(dirname "$0")/.." && pwd)
WASI=(sock_connect sock_recv sock_recv_from sock_send sock_send_to sock_getaddrinfo poll_oneoff fd_read fd_write path_open)
WASINET=(sock_connect sock_recv_from sock_send_to sock_getaddrip)
list=""
for f in "${WASI[@]}"; do list+="wasi_snapshot_preview1.$f,"; done
for f in "${WASINET[@]}"; do list+="wasinet_v0.$f,"; done
if [ -n "${WASM_OPT:-}" ]; then read -ra opt <<<"$WASM_OPT"
elif command -v wasm-opt >/dev/null; then opt=(wasm-opt)
else opt=(node "$ROOT/node_modules/binaryen/bin/wasm-opt")
fi
features=(--enable-bulk-memory --enable-sign-ext --enable-nontrapping-float-to-int --enable-mutable-globals --enable-multivalue --enable-reference-types)
"${opt[@]}" "$1" "${features[@]}" \
  --asyncify --pass-arg="asyncify-imports@${list%,}" -O1 -o "$2"
