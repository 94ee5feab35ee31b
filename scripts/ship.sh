#!/usr/bin/env bash
# The shipping checks of the test command (layer "ship"): what a user
# installs must build, document and pack cleanly. One "ok - NAME" or
# "not ok - NAME" line per check, logs in target/test-logs/ship-*.log.
# Expects setup.sh, build-glue.sh and build.sh to have run.
set -uo pipefail
ROOT=$(cd "$(dirname "$0")/.." && pwd)
cd "$ROOT"
# shellcheck disable=SC1091
source "${XDG_CACHE_HOME:-$HOME/.cache}/go-net-wasm/env.sh"
LOGS="$ROOT/target/test-logs"; mkdir -p "$LOGS"
check() { # check NAME COMMAND...
  local name=$1; shift
  if "$@" > "$LOGS/ship-$name.log" 2>&1; then echo "ok - $name"
  else echo "not ok - $name (target/test-logs/ship-$name.log)"; tail -n 15 "$LOGS/ship-$name.log"; fi
}
no_warnings() { # runs the command, fails on its failure or on any warning it prints
  local out; out=$("$@" 2>&1); local st=$?; echo "$out"
  [ "$st" -eq 0 ] && ! grep -q '^warning' <<<"$out"
}

# The glue the crate ships is js/net.ts as it is now (scripts/build-glue.sh ran).
check glue-committed git diff --exit-code HEAD -- runtime-wasm/glue/net-bindings.js
# Docs on every public item (missing_docs is a warning, -D warnings makes it fatal).
check cargo-doc env RUSTDOCFLAGS="-D warnings" cargo doc -p runtime-wasm --no-deps \
  --target wasm32-unknown-unknown --features js-glue,js-api,vo,tls
# The crate as crates.io would get it, verified by building it for wasm32.
check cargo-package no_warnings cargo package -p runtime-wasm --allow-dirty \
  --target wasm32-unknown-unknown --features js-glue,js-api,vo
# A user's app outside the tree, from the tarball and the crate by path
# (served and checked by tests-js/page/consumer.test.ts).
check consumer-build bash scripts/consumer.sh
# The tarball that app installed: the entry points are there, tests and
# servers are not.
npm_files() {
  local tgz list
  tgz=$(ls "${CONSUMER_DIR:-${XDG_CACHE_HOME:-$HOME/.cache}/go-net-wasm/consumer}"/go-net-wasm-*.tgz) || return 1
  list=$(tar -tzf "$tgz" | sed 's|^package/||') || return 1
  echo "$list"
  for f in package.json dist/js/index.js dist/js/index.d.ts dist/js/net.js dist/js/net.d.ts dist/js/wasi.js dist/js/wasi.d.ts dist/js/wasip2.js dist/js/wasip2.d.ts \
    dist/js/types.d.ts dist/pkg/runtime_wasm.js dist/pkg/runtime_wasm_bg.wasm dist/js/tls.js dist/js/tls.d.ts \
    dist/pkg-tls/runtime_wasm.js dist/pkg-tls/runtime_wasm_bg.wasm LICENSE-MIT LICENSE-APACHE; do
    grep -qx "$f" <<<"$list" || { echo "missing: $f"; return 1; }
  done
  if grep -E '^(tests-js|servers|runtime-wasm|bench|www|consumer|scripts|js)/' <<<"$list"; then
    echo "should not be packed (above)"; return 1
  fi
}
check npm-pack npm_files
# What the package needs at run time (dependencies, and the peer a host
# installs beside it) carries a licence compatible with MIT OR Apache-2.0.
npm_licences() {
  node -e 'const p = require("./package.json"); let bad = 0;
    for (const d of Object.keys({ ...p.dependencies, ...p.peerDependencies })) {
      const l = require(`./node_modules/${d}/package.json`).license;
      console.log(`${d}: ${l}`);
      if (!l || /GPL|SSPL|BUSL|Commons-Clause/i.test(l) || !/MIT|Apache-2\.0|BSD|ISC/.test(l)) bad++;
    }
    process.exit(bad ? 1 : 0);'
}
check npm-licences npm_licences
# Every crate the crate builds with (normal and build dependencies, every
# feature on, for wasm32) carries a licence compatible with MIT OR
# Apache-2.0: no GPL family (GPL, LGPL, AGPL), no SSPL or BUSL.
crate_licences() {
  cargo metadata -q --format-version 1 --filter-platform wasm32-unknown-unknown --features js-glue,js-api,vo,tls \
    --manifest-path runtime-wasm/Cargo.toml | node -e '
    const m = JSON.parse(require("fs").readFileSync(0, "utf8"));
    const nodes = new Map(m.resolve.nodes.map((n) => [n.id, n]));
    const pkgs = new Map(m.packages.map((p) => [p.id, p]));
    const root = m.packages.find((p) => p.name === "runtime-wasm").id;
    const seen = new Set([root]); const todo = [root]; let bad = 0;
    while (todo.length) for (const d of nodes.get(todo.pop()).deps)
      if (d.dep_kinds.some((k) => k.kind !== "dev") && !seen.has(d.pkg)) { seen.add(d.pkg); todo.push(d.pkg); }
    for (const id of seen) {
      const p = pkgs.get(id); if (id === root) continue;
      const l = p.license ?? "";
      const ok = l && !/GPL|SSPL|BUSL|Commons-Clause/i.test(l);
      if (!ok) { bad++; console.log(`${p.name} ${p.version}: ${l || "no licence"}`); }
    }
    console.log(`${seen.size - 1} crates, ${bad} not permissive`);
    process.exit(bad ? 1 : 0);'
}
check crate-licences crate_licences
# The TLS build stays within its size (gzip -9): 400 KB when it landed,
# against epoxy-tls'"'"'s minimal 388 KB (docs/tls.md says what it holds).
tls_size() {
  local n; n=$(gzip -9c pkg-tls/runtime_wasm_bg.wasm | wc -c)
  echo "pkg-tls/runtime_wasm_bg.wasm: $(wc -c < pkg-tls/runtime_wasm_bg.wasm) bytes, $n gzipped"
  [ "$n" -le 410000 ]
}
check tls-size tls_size
# A host's own cdylib that links the crate exports nothing of the crate's JS
# API (feature js-api is the npm package's) and no debugPanic: the consumer
# app's module exports only its own functions and wasm-bindgen's.
host_exports() {
  local wasm="${CONSUMER_DIR:-${XDG_CACHE_HOME:-$HOME/.cache}/go-net-wasm/consumer}/target/wasm32-unknown-unknown/release/consumer_app.wasm"
  node -e 'const names = WebAssembly.Module.exports(new WebAssembly.Module(require("fs").readFileSync(process.argv[1]))).map((e) => e.name);
    console.log(names.join(" "));
    const leaked = names.filter((n) => /^(callExtern|externInvoke|externWait|externCancel|externList|externCounts|parseIP|parseCIDR|splitHostPort|joinHostPort|errorMessage|errorCodes|installTrapRecovery|debugPanic)$/.test(n));
    if (leaked.length) { console.log("leaked:", leaked.join(" ")); process.exit(1); }' "$wasm"
}
check host-exports host_exports
# The wasm-bindgen range is a caret one so a host keeps its lock: the crate
# builds with the versions in Vo's web runtime's lock at c7e9e522
# (wasm-bindgen 0.2.114, js-sys 0.3.91, wasm-bindgen-futures 0.4.64), in a
# copy of the crate with those pinned (its own target dir, cached), with the
# features a host uses (js-api is the npm package's own build: its trap
# recovery needs a newer wasm-bindgen, which that build pins).
oldest_wasm_bindgen() {
  local dir="${XDG_CACHE_HOME:-$HOME/.cache}/go-net-wasm/oldest-wasm-bindgen"
  rm -rf "$dir/src" && mkdir -p "$dir/src/runtime-wasm"
  (cd "$ROOT/runtime-wasm" && tar -c --exclude=./fuzz --exclude=./tests .) | tar -x -C "$dir/src/runtime-wasm"
  sed -i -e 's/^wasm-bindgen = ".*"/wasm-bindgen = "=0.2.114"/' -e 's/^js-sys = ".*"/js-sys = "=0.3.91"/' \
    -e 's/^wasm-bindgen-futures = ".*"/wasm-bindgen-futures = "=0.4.64"/' -e '/^vo-runtime = /d' -e '/^\[\[test\]\]/,/^required-features/d' \
    "$dir/src/runtime-wasm/Cargo.toml"
  printf '[workspace]\nresolver = "2"\nmembers = ["runtime-wasm"]\n[workspace.package]\nedition = "2021"\nlicense = "MIT OR Apache-2.0"\nrust-version = "1.85"\n' > "$dir/src/Cargo.toml"
  ( cd "$dir/src" && CARGO_TARGET_DIR="$dir/target" cargo build -q -p runtime-wasm --lib --target wasm32-unknown-unknown --features js-glue,vo &&
    grep -A1 '^name = "wasm-bindgen"$' Cargo.lock )
}
check oldest-wasm-bindgen oldest_wasm_bindgen
