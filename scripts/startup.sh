#!/usr/bin/env bash
# Start-up time: runs `mailtutor --startup-probe` RUNS times (default 10), each in its own Xvfb
# (xvfb-run) with software GL, each printing the milliseconds from main() to its first painted
# frame, and prints every figure, the median and the spread. Needs scripts/setup-debian.sh's
# packages.
set -euo pipefail
cd "$(dirname "$0")/.."
runs=${1:-10}
cargo build --release --bin mailtutor
# Settings and the practice server's mail go to a scratch directory, not the user's.
export XDG_DATA_HOME XDG_CONFIG_HOME
XDG_DATA_HOME=$(mktemp -d)
XDG_CONFIG_HOME=$XDG_DATA_HOME
trap 'rm -rf "$XDG_DATA_HOME"' EXIT
times=()
for _ in $(seq "$runs"); do
    ms=$(xvfb-run -a -s "-screen 0 1280x800x24" target/release/mailtutor --startup-probe |
        sed -n 's/^first frame painted after \([0-9]*\) ms$/\1/p')
    [ -n "$ms" ] || { echo "no figure from --startup-probe" >&2; exit 1; }
    times+=("$ms")
done
sorted=$(printf '%s\n' "${times[@]}" | sort -n)
echo "runs (ms): ${times[*]}"
echo "median: $(echo "$sorted" | awk '{a[NR]=$1} END {print (NR%2 ? a[(NR+1)/2] : (a[NR/2]+a[NR/2+1])/2)}') ms"
echo "spread: $(echo "$sorted" | head -1)-$(echo "$sorted" | tail -1) ms"
