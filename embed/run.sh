#!/usr/bin/env bash
# The one published .wasm as an npm package and a Python wheel, tested as their users get
# them: builds the component and the mock-cloud binary, packs the npm tarball (jco output +
# the idiomatic layer) and builds the wheel (hatchling), installs each into an empty
# project / a fresh venv under a temporary directory, and runs there `node --test` and
# `tsc --noEmit`, `pytest` and `mypy --strict`, against the mock. Exits non-zero if any
# step or test fails.
#
# Needs cargo + rustup, Node.js 20+ with npm, and Python 3.10+ (python3.11 preferred),
# with the npm registry and PyPI reachable. Environment:
#   EMBED_TARGET_DIR  cargo target dir for the two builds (default: <repo>/target/embed;
#                     CARGO_TARGET_DIR is not used, so other builds are not disturbed)
#   PYTHON            the interpreter that creates the venvs (default: python3.11 or python3)
#   EMBED_KEEP=1      keep the temporary directory (it is kept anyway when something failed)
set -euo pipefail

ROOT="$(cd "$(dirname "${BASH_SOURCE[0]}")/.." && pwd)"
EMBED="$ROOT/embed"
TARGET="${EMBED_TARGET_DIR:-$ROOT/target/embed}"
WASM="$TARGET/component/infomaniak_block_storage.wasm"  # the published artifact (component-dist)
MOCK_BIN="$TARGET/release/mock-cloud"
PY="${PYTHON:-$(command -v python3.11 || command -v python3)}"
WORK="$(mktemp -d -t embed-packages.XXXXXX)"  # the packages and the projects they go into
LOG="$WORK/suites.log"                         # everything the suites printed
# The suites run from copies: they find the repository (README.md) and the mock through these.
export EMBED_TARGET_DIR="$TARGET" MOCK_CLOUD_BIN="$MOCK_BIN" REPO_ROOT="$ROOT"

now_ms() { local t=${EPOCHREALTIME/[.,]/}; echo $((t / 1000)); }
secs() { local ms=$(($(now_ms) - $1)); printf '%d.%d' $((ms / 1000)) $((ms % 1000 / 100)); }
T0=$(now_ms)
SUMMARY=()
failed=()
phase_start=
begin() {
    phase_start=$(now_ms)
    echo "== $1"
}
end() { SUMMARY+=("$(printf '%-24s %7s s  %s' "$1" "$(secs "$phase_start")" "$2")"); }
# Runs a suite or a check, its output in the log too; records a failure under `name`.
check() {
    local name=$1
    shift
    if "$@" 2>&1 | tee -a "$LOG"; then status=passed; else status=FAILED; failed+=("$name"); fi
}

# ---- build: only the published component and the mock (never the wasmtime-based crates)
begin "build the component and mock-cloud"
(cd "$ROOT" &&
    CARGO_TARGET_DIR="$TARGET" cargo run -q -p component-dist &&
    cargo build --release -p mock-cloud --target-dir "$TARGET")
end "build (cargo)" "$(stat -c %s "$WASM") bytes of component"

# ---- npm: build and pack the package, install the tarball into an empty project
cd "$EMBED/node"
begin "npm package"
npm ci --no-audit --no-fund --loglevel=error
BLOCK_STORAGE_WASM="$WASM" npm run --silent build
TGZ="$WORK/$(npm pack --silent --pack-destination "$WORK")"
end "npm pack" "$(basename "$TGZ"): $(stat -c %s "$TGZ") bytes (jco $(node -p 'require("./node_modules/@bytecodealliance/jco/package.json").version'))"

begin "npm install the tarball"
mkdir "$WORK/node"
cp -r suite/. "$WORK/node/"
cd "$WORK/node"
npm install --no-audit --no-fund --loglevel=error "$TGZ"
end "npm install" "$WORK/node: $(node -p 'require("./node_modules/infomaniak-block-storage/package.json").name'), typescript $(node -p 'require("./node_modules/typescript/package.json").version')"

begin "node --test (Node $(node --version))"
check node node --test test/
end "node --test" "$status: $(grep -E '^# (pass|fail) ' "$LOG" | tail -2 | tr -d '#' | paste -sd, -)"

begin "tsc --noEmit example.ts"
check tsc npx --no-install tsc --noEmit -p .
end "tsc --noEmit" "$status"

# ---- Python: build the wheel from a copy of the package with the component in it
begin "wheel"
"$PY" -m venv "$WORK/build-venv"
"$WORK/build-venv/bin/pip" install --quiet --disable-pip-version-check -r "$EMBED/python/requirements-build.txt"
mkdir "$WORK/wheel-src"
cp -r "$EMBED/python/pyproject.toml" "$EMBED/python/README.md" "$EMBED/python/src" "$WORK/wheel-src/"
cp "$WASM" "$WORK/wheel-src/src/infomaniak_block_storage/"
"$WORK/build-venv/bin/pip" wheel --quiet --disable-pip-version-check --no-build-isolation --no-deps \
    -w "$WORK" "$WORK/wheel-src"
WHEEL="$(ls "$WORK"/infomaniak_block_storage-*.whl)"
end "wheel (hatchling)" "$(basename "$WHEEL"): $(stat -c %s "$WHEEL") bytes"

begin "fresh venv + pip install the wheel"
"$PY" -m venv "$WORK/venv"
VPY="$WORK/venv/bin/python"
"$VPY" -m pip install --quiet --disable-pip-version-check "$WHEEL" -r "$EMBED/python/suite/requirements.txt"
mkdir "$WORK/python"
cp -r "$EMBED/python/suite/." "$WORK/python/"
cd "$WORK/python"
end "venv + pip install" "$("$VPY" --version), wasmtime $("$VPY" -c 'import importlib.metadata as m; print(m.version("wasmtime"))')"

begin "pytest"
check pytest "$VPY" -m pytest -v --durations=5
end "pytest" "$status: $(grep -E '^=+ .*(passed|failed).* in ' "$LOG" | tail -1 | tr -d '=' | xargs)"

begin "mypy --strict example.py, then the installed package"
check mypy "$VPY" -m mypy --strict --no-incremental example.py
end "mypy --strict example" "$status"
check mypy-package "$VPY" -m mypy --strict --no-incremental -p infomaniak_block_storage
end "mypy --strict package" "$status"

# ---- no secret in what the suites printed: the mock's application credential secret
secret=$("$VPY" -c 'from harness import Mock
m = Mock()
print(m.info["app_cred_secret"])
m.stop()' || true)
if [[ -z "$secret" ]]; then
    echo "could not read the mock's secret" >&2
    failed+=(secret-check)
elif grep -qF -- "$secret" "$LOG"; then
    echo "the mock's secret appears in the test output" >&2
    failed+=(secret-check)
fi

echo
echo "== embed/run.sh summary"
printf '%s\n' "${SUMMARY[@]}"
printf '%-24s %7s s\n' "total" "$(secs "$T0")"
if ((${#failed[@]})); then
    echo "FAILED: ${failed[*]} (kept: $WORK)" >&2
    exit 1
fi
if [[ "${EMBED_KEEP:-}" == 1 ]]; then echo "kept: $WORK"; else rm -rf "$WORK"; fi
