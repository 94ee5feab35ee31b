#!/usr/bin/env bash
# Builds the demo and serves it, with every local server it needs, on
# 127.0.0.1. PORT picks the page's port (default 8080). Ctrl-C stops it.
set -euo pipefail
ROOT=$(cd "$(dirname "$0")/.." && pwd)
cd "$ROOT"
bash scripts/setup.sh
bash scripts/build.sh
bash scripts/build-guests.sh >/dev/null
exec node servers/start.mjs --port "${PORT:-8080}" --announce
