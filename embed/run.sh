#!/usr/bin/env bash
# The same .wasm from Node.js (jco) and Python (wasmtime-py), against the mock cloud:
# builds the release component and the mock-cloud binary, transpiles the component with
# jco and runs the `node --test` suite, then installs wasmtime-py in embed/python/.venv
# and runs the pytest suite. Exits non-zero if any step or test fails.
#
# Needs cargo + rustup, Node.js 20+ with npm, and Python 3.10+ (python3.11 preferred),
# with the npm registry and PyPI reachable. Environment:
#   EMBED_TARGET_DIR  cargo target dir for the two builds (default: <repo>/target/embed;
#                     CARGO_TARGET_DIR is not used, so other builds are not disturbed)
#   PYTHON            the interpreter that creates the venv (default: python3.11 or python3)
set -euo pipefail

ROOT="$(cd "$(dirname "${BASH_SOURCE[0]}")/.." && pwd)"
EMBED="$ROOT/embed"
TARGET="${EMBED_TARGET_DIR:-$ROOT/target/embed}"
WASM="$TARGET/component/infomaniak_block_storage.wasm"  # the published artifact (component-dist)
MOCK_BIN="$TARGET/release/mock-cloud"
VENV="$EMBED/python/.venv"
LOG="$(mktemp -t embed-run.XXXXXX.log)"
export EMBED_TARGET_DIR="$TARGET" MOCK_CLOUD_BIN="$MOCK_BIN" BLOCK_STORAGE_WASM="$WASM"

now_ms() { local t=${EPOCHREALTIME/[.,]/}; echo $((t / 1000)); }
secs() { local ms=$(($(now_ms) - $1)); printf '%d.%d' $((ms / 1000)) $((ms % 1000 / 100)); }
T0=$(now_ms)
SUMMARY=()
phase_start=
begin() {
    phase_start=$(now_ms)
    echo "== $1"
}
end() { SUMMARY+=("$(printf '%-22s %7s s  %s' "$1" "$(secs "$phase_start")" "$2")"); }

# ---- build: only the published component and the mock (never the wasmtime-based crates)
begin "build the component and mock-cloud"
(cd "$ROOT" &&
    CARGO_TARGET_DIR="$TARGET" cargo run -q -p component-dist &&
    cargo build --release -p mock-cloud --target-dir "$TARGET")
end "build (cargo)" "$(stat -c %s "$WASM") bytes of component"

# ---- Node.js
cd "$EMBED/node"
begin "npm ci"
npm ci --no-audit --no-fund --loglevel=error
end "npm ci" "jco $(node -p 'require("./node_modules/@bytecodealliance/jco/package.json").version'), preview2-shim $(node -p 'require("./node_modules/@bytecodealliance/preview2-shim/package.json").version')"

begin "jco transpile"
rm -rf gen
npx --no-install jco transpile "$WASM" -o gen --name block-storage --quiet
end "jco transpile" "gen/block-storage.js"

failed=()
begin "node --test (Node $(node --version))"
if node --test test/ 2>&1 | tee -a "$LOG"; then status=passed; else status=FAILED; failed+=(node); fi
end "node --test" "$status"

# ---- Python
cd "$EMBED/python"
PY="${PYTHON:-$(command -v python3.11 || command -v python3)}"
begin "python venv + pip install"
if [[ ! -x "$VENV/bin/python" ]] || ! "$VENV/bin/python" -c 'import sys' 2>/dev/null; then
    rm -rf "$VENV"
    "$PY" -m venv "$VENV"
fi
"$VENV/bin/python" -m pip install --quiet --disable-pip-version-check -r requirements.txt
end "venv + pip install" "$("$VENV/bin/python" --version), wasmtime $("$VENV/bin/python" -c 'import importlib.metadata as m; print(m.version("wasmtime"))')"

begin "pytest"
if "$VENV/bin/python" -m pytest -v --durations=5 2>&1 | tee -a "$LOG"; then status=passed; else status=FAILED; failed+=(python); fi
end "pytest" "$status"

# ---- no secret in what the suites printed: the mock's application credential secret
secret=$("$VENV/bin/python" -c 'from harness import Mock
m = Mock()
print(m.info["app_cred_secret"])
m.stop()')
if [[ -z "$secret" ]]; then
    echo "could not read the mock's secret" >&2
    failed+=(secret-check)
elif grep -qF -- "$secret" "$LOG"; then
    echo "the mock's secret appears in the test output (kept in $LOG)" >&2
    failed+=(secret-check)
    LOG=
fi

echo
echo "== embed/run.sh summary"
printf '%s\n' "${SUMMARY[@]}"
printf '%-22s %7s s\n' "total" "$(secs "$T0")"
[[ -z "$LOG" ]] || rm -f "$LOG"
if ((${#failed[@]})); then
    echo "FAILED: ${failed[*]}" >&2
    exit 1
fi
