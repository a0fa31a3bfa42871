#!/usr/bin/env bash
# Drives the real window under Xvfb the way a person does, with the keyboard (xdotool): opens
# a tutorial page saved whole (Ctrl+O, the path typed, Enter), saves the annotated transcript
# (Ctrl+S, Ctrl+A, the path typed, Enter) and checks what was saved: the page's prose is shown
# as text around the session, the session in it as a session. Screenshot in DIR.
#   scripts/by-hand.sh [DIR]   (default target/by-hand)
set -euo pipefail
cd "$(dirname "$0")/.."
shots=$(realpath -m "${1:-target/by-hand}")
scripts/setup-debian.sh
cargo build --bin mailtutor
bin=$PWD/target/debug/mailtutor
mkdir -p "$shots"
work=$(mktemp -d)
display=:92
Xvfb "$display" -screen 0 1280x800x24 -nolisten tcp >/dev/null 2>&1 &
xvfb=$!
app=
trap 'kill $app $xvfb 2>/dev/null || true; rm -rf "$work"' EXIT
export DISPLAY=$display XDG_DATA_HOME=$work XDG_CONFIG_HOME=$work LANG=en_US.UTF-8
for _ in $(seq 50); do xdpyinfo >/dev/null 2>&1 && break; sleep 0.1; done
fail() { echo "FAIL: $*" >&2; exit 1; }

cp tests/fixtures/pages/tutorial-163-coolnull.txt "$work/page.txt"
"$bin" >"$work/window.log" 2>&1 &
app=$!
win=$(timeout 60 xdotool search --sync --onlyvisible --name '^mailtutor$' | head -n 1)
[ -n "$win" ] || fail "the window did not open"
xdotool windowmove "$win" 0 0 windowsize "$win" 1280 800
sleep 1
xdotool windowfocus --sync "$win"
xdotool key ctrl+o
sleep 0.5
xdotool type --delay 20 "$work/page.txt"
xdotool key Return
sleep 2
xdotool key ctrl+s
sleep 0.5
xdotool key ctrl+a
xdotool type --delay 20 "$work/saved.txt"
xdotool key Return
for _ in $(seq 100); do [ -s "$work/saved.txt" ] && break; sleep 0.1; done
[ -s "$work/saved.txt" ] || fail "Ctrl+S and Enter saved nothing"
xdotool mousemove 1279 799
sleep 0.5
import -window root "$shots/open-page.png"
saved=$work/saved.txt
for want in \
    'S: 220 163.com Anti-spam GT for Coremail System' \
    'C: helo fan2' \
    'S: 235 Authentication successful' \
    '`subject:` 编辑邮件主题。   (text around the session, never sent to the server)' \
    'Connection closed by foreign host.   (printed by telnet itself'; do
    grep -qF -- "$want" "$saved" || { cat "$saved" >&2; fail "no '$want' in the saved transcript"; }
done
if grep -qF 'not a command the server knows' "$saved"; then
    cat "$saved" >&2
    fail "a line of the page was called a command"
fi
echo "ok: opened a tutorial page and saved it by keyboard; screenshot $shots/open-page.png"
