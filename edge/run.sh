#!/usr/bin/env bash
# The composed edge function under `jco serve` (Node.js), against the mock cloud: builds
# the published component, the facade and the mock-cloud binary, composes the function for
# the mock's block storage URL on a free port, installs jco (npm ci) and runs the
# `node --test` suite (edge/test/); with REAL_CINDER_URL, also against that real Cinder.
# Exits non-zero if any step or test fails.
#
# Environment: EMBED_TARGET_DIR (cargo target dir, default <repo>/target/embed, shared
# with embed/run.sh), EDGE_MOCK_PORT (default: a free port).
set -euo pipefail

ROOT="$(cd "$(dirname "${BASH_SOURCE[0]}")/.." && pwd)"
TARGET="${EMBED_TARGET_DIR:-$ROOT/target/embed}"
FUNCTION="$TARGET/edge/function.wasm"
free_port() { node -e "const s=require('net').createServer().listen(0,'127.0.0.1',()=>{console.log(s.address().port);s.close()})"; }
PORT="${EDGE_MOCK_PORT:-$(free_port)}"
# The mock's default project (mock-cloud --project-id).
URL="http://127.0.0.1:$PORT/volume/v3/0123456789abcdef0123456789abcdef"

mkdir -p "$TARGET/edge"
cd "$ROOT"
CARGO_TARGET_DIR="$TARGET" cargo run -q -p component-dist -- edge \
    --block-storage-url "$URL" --microversion 3.70 -o "$FUNCTION"
cargo build -q --release -p mock-cloud --target-dir "$TARGET"

cd "$ROOT/edge"
npm ci --no-audit --no-fund --loglevel=error
echo "jco $(node -p 'require("./node_modules/@bytecodealliance/jco/package.json").version'), $(stat -c %s "$FUNCTION") bytes of edge function"
# With REAL_CINDER_URL, a second function for a fresh project of that Cinder (noauth).
REAL_FUNCTION= PROJECT=
if [[ -n "${REAL_CINDER_URL:-}" ]]; then
    PROJECT="$(od -An -N16 -tx1 /dev/urandom | tr -d ' \n')"
    REAL_FUNCTION="$TARGET/edge/function-real-cinder.wasm"
    (cd "$ROOT" && CARGO_TARGET_DIR="$TARGET" cargo run -q -p component-dist -- edge \
        --block-storage-url "${REAL_CINDER_URL%/}/v3/$PROJECT" --microversion 3.70 -o "$REAL_FUNCTION")
fi
EDGE_FUNCTION="$FUNCTION" EDGE_MOCK_PORT="$PORT" MOCK_CLOUD_BIN="$TARGET/release/mock-cloud" \
    EDGE_REAL_FUNCTION="$REAL_FUNCTION" EDGE_REAL_PROJECT="$PROJECT" node --test test/
