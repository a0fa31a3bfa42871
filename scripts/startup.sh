#!/usr/bin/env bash
# Start-up time: runs `mailtutor --startup-probe` RUNS times (default 10) in a fresh Xvfb with
# software GL, each printing the milliseconds from main() to its first painted frame, and
# prints every figure, the median and the spread. Needs scripts/setup-debian.sh's packages.
set -euo pipefail
cd "$(dirname "$0")/.."
runs=${1:-10}
cargo build --release --bin mailtutor
display=:96
Xvfb "$display" -screen 0 1280x800x24 -nolisten tcp >/dev/null 2>&1 &
xvfb=$!
trap 'kill $xvfb 2>/dev/null || true' EXIT
export DISPLAY=$display
for _ in $(seq 50); do xdpyinfo >/dev/null 2>&1 && break; sleep 0.1; done
# Settings and the practice server's mail go to a scratch directory, not the user's.
export XDG_DATA_HOME XDG_CONFIG_HOME
XDG_DATA_HOME=$(mktemp -d)
XDG_CONFIG_HOME=$XDG_DATA_HOME
times=()
for _ in $(seq "$runs"); do
    ms=$(target/release/mailtutor --startup-probe | sed -n 's/^first frame painted after \([0-9]*\) ms$/\1/p')
    [ -n "$ms" ] || { echo "no figure from --startup-probe" >&2; exit 1; }
    times+=("$ms")
done
rm -rf "$XDG_DATA_HOME"
sorted=$(printf '%s\n' "${times[@]}" | sort -n)
echo "runs (ms): ${times[*]}"
echo "median: $(echo "$sorted" | awk '{a[NR]=$1} END {print (NR%2 ? a[(NR+1)/2] : (a[NR/2]+a[NR/2+1])/2)}') ms"
echo "spread: $(echo "$sorted" | head -1)-$(echo "$sorted" | tail -1) ms"
