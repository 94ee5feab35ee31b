#!/usr/bin/env bash
# The whole test suite: installs what it needs, then runs every layer
#   1. native   cargo test (Go's tables, property tests, error model), then
#               cargo-fuzz on the URL, header and address parsers for
#               FUZZ_SECONDS (default 45; libFuzzer on stable rustc through
#               RUSTC_BOOTSTRAP, sanitizers off)
#   2. wasm     the same Rust tests compiled to wasm32, in headless Chromium,
#               then in headless Firefox ESR (geckodriver)
#   ship        what users install: the crate's JS glue is current, cargo doc
#               and cargo package without warnings, the npm tarball's files,
#               and a consumer app built outside the tree from both
#               (scripts/ship.sh)
#   3. vitest   the JS glue in Node (against the compiled wasm, mocked APIs)
#   4. page     the demo page, the consumer app (page and Worker), the
#               wasip1 guests (guests/, through go-net-wasm/wasi) and a small
#               benchmark in headless Chromium via playwright-core (no timing
#               asserted)
# A layer that ran zero tests fails the run. The last line is
# "N passed, N failed" summed over all layers.
set -uo pipefail
ROOT=$(cd "$(dirname "$0")/.." && pwd)
cd "$ROOT"
bash scripts/setup.sh || { echo "setup failed"; echo "0 passed, 1 failed"; exit 1; }
# shellcheck disable=SC1091
source "${XDG_CACHE_HOME:-$HOME/.cache}/go-net-wasm/env.sh"
# Cargo's target dir under the user's cache, so a fresh clone compiles this
# workspace's own crates but not its dependencies again (cargo hashes path
# packages relative to the workspace root: the artifacts' names are the same
# in every clone, and one clone's build replaces the last one's).
export CARGO_TARGET_DIR="${CARGO_TARGET_DIR:-${XDG_CACHE_HOME:-$HOME/.cache}/go-net-wasm/target}"
LOGS="$ROOT/target/test-logs"; mkdir -p "$LOGS"
PASSED=0; FAILED=0; BROKEN=()

# record NAME PASSED FAILED STATUS
record() {
  local name=$1 p=$2 f=$3 status=$4
  PASSED=$((PASSED + p)); FAILED=$((FAILED + f))
  echo "== layer $name: $p passed, $f failed (exit $status; ${SECONDS}s since the start)"
  if [ "$((p + f))" -eq 0 ]; then BROKEN+=("$name ran zero tests"); fi
  if [ "$status" -ne 0 ] && [ "$f" -eq 0 ]; then BROKEN+=("$name exited $status"); fi
}
# Sums cargo / wasm-bindgen-test "test result:" lines.
cargo_counts() {
  awk '/test result:/ { for (i = 1; i <= NF; i++) { if ($(i+1) ~ /^passed/) p += $i; if ($(i+1) ~ /^failed/) f += $i } }
       END { print p + 0, f + 0 }' "$1"
}
# A suite that fails outside its tests (a beforeAll) counts as one failure.
vitest_counts() {
  node -e 'try { const r = require(process.argv[1]); console.log(r.numPassedTests, r.numFailedTests + r.numFailedTestSuites) } catch { console.log(0, 0) }' "$1"
}

echo "== 1/4 native: cargo test"
cargo test --no-fail-fast --features vo --color never 2>&1 | tee "$LOGS/native.log"; st=${PIPESTATUS[0]}
read -r p f < <(cargo_counts "$LOGS/native.log"); record native "$p" "$f" "$st"

echo "== 1b fuzz: cargo fuzz run parsers (${FUZZ_SECONDS:-45} s)"
# (Its own target dir: its sanitizer flags would make every other build start over.)
( cd runtime-wasm && env -u CARGO_TARGET_DIR RUSTC_BOOTSTRAP=1 cargo fuzz run parsers -s none --fuzz-dir fuzz -- \
  -max_total_time="${FUZZ_SECONDS:-45}" -print_final_stats=1 ) > "$LOGS/fuzz.log" 2>&1; st=$?
tail -n 3 "$LOGS/fuzz.log"
if [ "$st" -eq 0 ] && grep -q "^Done [0-9]* runs" "$LOGS/fuzz.log"; then record fuzz 1 0 0
else grep -E "panicked|SUMMARY|Crash|error" "$LOGS/fuzz.log" | head -20; record fuzz 0 1 "$st"; fi

# Peers for the browser layers (WebSocket echo, DoH, blackhole, refused port), on
# 127.0.0.1, stopped when this script exits. The Rust tests get their URLs at
# compile time (env!), and load the real js/net.ts, bundled by esbuild.
node servers/start.mjs > "$LOGS/servers.json" 2> "$LOGS/servers.err" &
SERVERS_PID=$!
trap 'kill $SERVERS_PID 2>/dev/null' EXIT
for _ in $(seq 100); do [ -s "$LOGS/servers.json" ] && break; sleep 0.1; done
peer() { node -e 'console.log(JSON.parse(require("fs").readFileSync(process.argv[1], "utf8"))[process.argv[2]])' "$LOGS/servers.json" "$1"; }
NET_TEST_WS_URL=$(peer wsEcho); NET_TEST_BLACKHOLE_URL=$(peer blackhole); NET_TEST_REFUSED_URL=$(peer refused)
NET_TEST_DOH_URL=$(peer doh); NET_TEST_PAGE_URL=$(peer page); NET_TEST_HTTP_URL=$(peer http)
NET_TEST_WS_STALL_URL=$(peer wsStall)
NET_TEST_HTTPS_URL=$(peer https); NET_TEST_WSS_URL=$(peer wss)
NET_TEST_BAD_HTTPS_URL=$(peer badHttps); NET_TEST_BAD_WSS_URL=$(peer badWss)
NET_TEST_PEERS=$(cat "$LOGS/servers.json") # every peer, for tests that need many (relay.rs)
export NET_TEST_WS_URL NET_TEST_BLACKHOLE_URL NET_TEST_REFUSED_URL NET_TEST_DOH_URL NET_TEST_PAGE_URL NET_TEST_HTTP_URL \
  NET_TEST_WS_STALL_URL NET_TEST_HTTPS_URL NET_TEST_WSS_URL NET_TEST_BAD_HTTPS_URL NET_TEST_BAD_WSS_URL NET_TEST_PEERS
# Chromium trusts the throwaway certificate of servers/tls.mjs for this run
# only (by its public key), through the WebDriver capabilities.
node -e 'const [src, spki, out] = process.argv.slice(1); const w = JSON.parse(require("fs").readFileSync(src, "utf8"));
  w["goog:chromeOptions"].args.push(`--ignore-certificate-errors-spki-list=${spki}`);
  require("fs").writeFileSync(out, JSON.stringify(w, null, 2));' runtime-wasm/webdriver.json "$(peer tlsSpki)" "$LOGS/webdriver.json"
export WASM_BINDGEN_TEST_WEBDRIVER_JSON="$LOGS/webdriver.json"
echo "peers: echo $NET_TEST_WS_URL, doh $NET_TEST_DOH_URL, http $NET_TEST_HTTP_URL, blackhole $NET_TEST_BLACKHOLE_URL, refused $NET_TEST_REFUSED_URL"
# The wasm tests load the JS half as the crate ships it (feature js-glue).
bash scripts/build-glue.sh

echo "== 2/4 wasm32 in headless Chromium: cargo test --target wasm32-unknown-unknown"
# (wasm-bindgen-test-runner takes GECKODRIVER over CHROMEDRIVER: this layer is Chromium's.)
# The TLS tests (feature tls) in a second run of their own binary: with the
# feature on for every binary, each would carry rustls and hyper, and the
# layer took a minute longer.
( cd runtime-wasm && export CARGO_TARGET_WASM32_UNKNOWN_UNKNOWN_RUNNER=wasm-bindgen-test-runner WASM_BINDGEN_TEST_TIMEOUT=900 &&
  env -u GECKODRIVER cargo test --no-fail-fast --features js-glue,js-api,vo --target wasm32-unknown-unknown --color never; a=$?
  env -u GECKODRIVER cargo test --no-fail-fast --features js-glue,js-api,vo,tls --target wasm32-unknown-unknown --color never --test tls_relay
  b=$?; exit $((a | b)) ) 2>&1 | tee "$LOGS/wasm.log"
st=${PIPESTATUS[0]}
read -r p f < <(cargo_counts "$LOGS/wasm.log"); record wasm "$p" "$f" "$st"

echo "== 2b/4 wasm32 in headless Firefox ESR: the same tests through geckodriver"
# Firefox trusts roots, not keys: a profile whose NSS database trusts the
# test CA (certutil), so the bad-certificate peer stays untrusted as in Chromium.
FF_PROFILE="$LOGS/firefox-profile"
rm -rf "$FF_PROFILE" && mkdir -p "$FF_PROFILE"
peer tlsCa > "$LOGS/test-ca.pem"
certutil -N -d "sql:$FF_PROFILE" --empty-password && \
  certutil -A -d "sql:$FF_PROFILE" -n "go-net-wasm test CA" -t "C,," -i "$LOGS/test-ca.pem"
node -e 'const [bin, profile, out] = process.argv.slice(1);
  require("fs").writeFileSync(out, JSON.stringify({ "moz:firefoxOptions": { binary: bin, args: ["-headless", "-profile", profile],
    prefs: { "app.update.enabled": false, "datareporting.policy.dataSubmissionEnabled": false, "toolkit.telemetry.enabled": false,
      "network.captive-portal-service.enabled": false, "browser.safebrowsing.update.enabled": false } } }, null, 2));' \
  "$FIREFOX" "$FF_PROFILE" "$LOGS/webdriver-firefox.json"
( cd runtime-wasm && export GECKODRIVER WASM_BINDGEN_TEST_WEBDRIVER_JSON="$LOGS/webdriver-firefox.json" \
  CARGO_TARGET_WASM32_UNKNOWN_UNKNOWN_RUNNER=wasm-bindgen-test-runner WASM_BINDGEN_TEST_TIMEOUT=900 &&
  env -u CHROMEDRIVER cargo test --no-fail-fast --features js-glue,js-api,vo --target wasm32-unknown-unknown --color never; a=$?
  env -u CHROMEDRIVER cargo test --no-fail-fast --features js-glue,js-api,vo,tls --target wasm32-unknown-unknown --color never --test tls_relay
  b=$?; exit $((a | b)) ) 2>&1 | tee "$LOGS/wasm-firefox.log"
st=${PIPESTATUS[0]}
read -r p f < <(cargo_counts "$LOGS/wasm-firefox.log"); record wasm-firefox "$p" "$f" "$st"

echo "== build: cargo + wasm-bindgen + wasm-opt, esbuild, then tsc"
if BUILD_DEBUG_PKG=1 bash scripts/build.sh && bash scripts/build-bench.sh && npx tsc --noEmit -p .; then
  echo "== ship: glue, cargo doc, cargo package, npm pack, the consumer app's build"
  bash scripts/ship.sh | tee "$LOGS/ship.log"
  record ship "$(grep -c '^ok - ' "$LOGS/ship.log")" "$(grep -c '^not ok - ' "$LOGS/ship.log")" 0

  echo "== 3/4 vitest (Node)"
  rm -f "$LOGS/vitest.json"
  npx vitest run --reporter=default --reporter=json --outputFile="$LOGS/vitest.json"; st=$?
  read -r p f < <(vitest_counts "$LOGS/vitest.json"); record vitest "$p" "$f" "$st"

  echo "== 4/4 page tests (playwright-core + Chromium)"
  # The wasip1 guests tests-js/page/wasi.test.ts runs (a failed build fails that suite).
  bash scripts/build-guests.sh > "$LOGS/guests.log" 2>&1 || { tail -20 "$LOGS/guests.log"; echo "!! the WASI guests did not build"; }
  rm -f "$LOGS/page.json"
  VITEST_LAYER=page npx vitest run --reporter=default --reporter=json --outputFile="$LOGS/page.json"; st=$?
  read -r p f < <(vitest_counts "$LOGS/page.json"); record page "$p" "$f" "$st"
else
  BROKEN+=("build or typecheck failed, so vitest and page tests did not run")
fi

for b in "${BROKEN[@]}"; do echo "!! $b"; done
echo "$PASSED passed, $FAILED failed"
[ "$FAILED" -eq 0 ] && [ "${#BROKEN[@]}" -eq 0 ]
