#!/usr/bin/env bash
# Runs the cargo-fuzz targets one after another, each for SECONDS (default 600), growing the
# corpora in fuzz/corpus. A crash stops that target and is left in fuzz/artifacts/<target>/:
# copy it into fuzz/regressions/<target>/ once fixed, so the replay test keeps it.
# Needs a nightly toolchain and cargo-fuzz (`cargo install cargo-fuzz`). Not part of CI, which
# replays the saved inputs on stable instead (`cargo test --manifest-path fuzz/Cargo.toml`).
# Usage: scripts/fuzz.sh [SECONDS] [TARGET...]   (no target: all of them)
set -uo pipefail
cd "$(dirname "$0")/../fuzz"
if ! cargo +nightly fuzz --version >/dev/null 2>&1; then
    echo "scripts/fuzz.sh: needs a nightly toolchain with cargo-fuzz (rustup toolchain install nightly; cargo install cargo-fuzz); without them, replay the saved inputs: cargo test --manifest-path fuzz/Cargo.toml" >&2
    exit 2
fi
seconds=${1:-600}
shift || true
targets=("$@")
if [ ${#targets[@]} -eq 0 ]; then
    mapfile -t targets < <(cargo +nightly fuzz list)
fi
logs=${FUZZ_LOGS:-target/fuzz-logs}
mkdir -p "$logs"
printf '%-20s %8s %12s %10s %6s %6s %s\n' target seconds execs exec/s cov ft result
for t in "${targets[@]}"; do
    mkdir -p "corpus/$t"
    start=$(date +%s)
    # A target through mail-parser is built as the app's release is (-O: no debug assertions):
    # mail-parser's own debug_assert! fails on some malformed messages it then reads well.
    mode=()
    case "$t" in mime_tree) mode=(-O) ;; esac
    cargo +nightly fuzz run "${mode[@]}" "$t" "corpus/$t" -- -max_total_time="$seconds" \
        -print_final_stats=1 -max_len=65536 -timeout=10 -rss_limit_mb=4096 >"$logs/$t.log" 2>&1
    rc=$?
    took=$(( $(date +%s) - start ))
    execs=$(grep -o 'stat::number_of_executed_units: *[0-9]*' "$logs/$t.log" | grep -o '[0-9]*$')
    rate=$(grep -o 'stat::average_exec_per_sec: *[0-9]*' "$logs/$t.log" | grep -o '[0-9]*$')
    last=$(grep -E '#[0-9]+.*cov: ' "$logs/$t.log" | tail -1)
    cov=$(sed -n 's/.*cov: \([0-9]*\).*/\1/p' <<<"$last")
    ft=$(sed -n 's/.*ft: \([0-9]*\).*/\1/p' <<<"$last")
    result=ok
    [ $rc -ne 0 ] && result="CRASH (see $logs/$t.log, fuzz/artifacts/$t)"
    printf '%-20s %8s %12s %10s %6s %6s %s\n' "$t" "$took" "${execs:-?}" "${rate:-?}" "${cov:-?}" "${ft:-?}" "$result"
done
