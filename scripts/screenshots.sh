#!/usr/bin/env bash
# Runs the real window under Xvfb, drives it with xdotool and writes screenshots/*.png.
# Needs the packages scripts/setup-debian.sh installs (xvfb, xdotool, imagemagick).
set -euo pipefail
cd "$(dirname "$0")/.."
scripts/setup-debian.sh
cargo build --bin mailtutor
bin=target/debug/mailtutor
mkdir -p screenshots

display=:97
Xvfb "$display" -screen 0 1280x800x24 -nolisten tcp >/dev/null 2>&1 &
xvfb=$!
trap 'kill $app $xvfb 2>/dev/null || true' EXIT
export DISPLAY=$display
for _ in $(seq 50); do xdpyinfo >/dev/null 2>&1 && break; sleep 0.1; done

# The reply-code lookup, asked about 535.
"$bin" &
app=$!
win=$(xdotool search --sync --onlyvisible --name '^mailtutor$' | head -n 1)
xdotool windowmove "$win" 0 0 windowsize "$win" 1280 800
sleep 1.5
xdotool windowfocus --sync "$win"
xdotool mousemove --window "$win" 220 42 click 1
sleep 0.5
xdotool type --delay 80 "535"
sleep 1
import -window root screenshots/code-lookup.png
echo "wrote screenshots/code-lookup.png"
