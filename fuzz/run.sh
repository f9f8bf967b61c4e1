#!/usr/bin/env bash
# Fuzzes every target of fuzz/ for a fixed time each (CI smoke fuzzing) and prints, per
# target, the executions and whether it found a crash. Exits 1 on any crash (or timeout /
# out-of-memory), 2 if the build fails.
#
#   fuzz/run.sh [SECONDS_PER_TARGET]        # default 60
#
# Environment: FUZZ_TARGETS="client decode" (default: all), FUZZ_SANITIZER (default none:
# the native client is safe Rust, and no sanitizer runs the most inputs; `address` works
# too).
#
# cargo-fuzz needs nightly flags; RUSTC_BOOTSTRAP=1 lets the stable toolchain take them.
# Builds go to fuzz/target (never the main target dir). The committed seeds in
# fuzz/corpus/<target> are read only; what the fuzzer learns accumulates in
# fuzz/target/corpus/<target>, crash inputs land in fuzz/artifacts/<target>.
set -uo pipefail

secs="${1:-60}"
case "$secs" in '' | *[!0-9]*) echo "usage: $0 [SECONDS_PER_TARGET]" >&2; exit 2 ;; esac
cd "$(dirname "$0")/.."

export RUSTC_BOOTSTRAP=1
unset CARGO_TARGET_DIR CARGO_BUILD_TARGET_DIR
sanitizer="${FUZZ_SANITIZER:-none}"

if ! cargo fuzz --version >/dev/null 2>&1; then
    echo "== installing cargo-fuzz"
    cargo install cargo-fuzz --locked || exit 2
fi

# -a: debug assertions, so integer overflow and the like are panics too.
flags=(--sanitizer "$sanitizer" --debug-assertions)
echo "== building (sanitizer: $sanitizer)"
cargo fuzz build "${flags[@]}" || exit 2

targets="${FUZZ_TARGETS:-$(cargo fuzz list)}"
declare -A max_len=([client]=16384 [decode]=8192)

failed=0
summary=()
for t in $targets; do
    work="fuzz/target/corpus/$t"
    artifacts="fuzz/artifacts/$t"
    log="fuzz/target/fuzz-$t.log"
    mkdir -p "$work" "$artifacts" "fuzz/corpus/$t"
    before=$(find "$artifacts" -type f | sort)
    echo "== fuzzing $t for ${secs}s (log: $log)"
    start=$(date +%s)
    # The first corpus dir receives new inputs; the committed seeds stay untouched.
    cargo fuzz run "${flags[@]}" "$t" "$work" "fuzz/corpus/$t" -- \
        -max_total_time="$secs" \
        -max_len="${max_len[$t]:-8192}" \
        -dict=fuzz/client.dict \
        -timeout=10 \
        -rss_limit_mb=2048 \
        -print_final_stats=1 \
        >"$log" 2>&1
    rc=$?
    elapsed=$(($(date +%s) - start))
    execs=$(grep -o 'stat::number_of_executed_units: *[0-9]*' "$log" | awk '{print $2}' | tail -1)
    if [ -z "$execs" ]; then # no final stats (killed): the last status line
        execs=$(grep -o '^#[0-9]*' "$log" | tail -1 | tr -d '#')
    fi
    new=$(comm -13 <(echo "$before") <(find "$artifacts" -type f | sort) | grep . || true)
    if [ "$rc" -ne 0 ] || [ -n "$new" ]; then
        failed=1
        verdict="CRASH"
        echo "-- $t failed (exit $rc); input(s): ${new:-see log}"
        grep -m1 -A12 -E "panicked at|ERROR: libFuzzer|SUMMARY" "$log" || tail -20 "$log"
    else
        verdict="no crash"
    fi
    cov=$(grep -o 'cov: [0-9]*' "$log" | tail -1 | awk '{print $2}')
    summary+=("$(printf '%-8s %8s s %12s execs %8s execs/s  cov %-6s corpus %-6s %s' "$t" "$elapsed" "${execs:-?}" \
        "$(( ${execs:-0} / (elapsed > 0 ? elapsed : 1) ))" "${cov:-?}" "$(find "$work" -type f | wc -l)" "$verdict")")
done

echo
echo "== fuzz summary (${secs}s per target)"
printf '%s\n' "${summary[@]}"
exit "$failed"
