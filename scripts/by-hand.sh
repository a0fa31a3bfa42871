#!/usr/bin/env bash
# Drives the real window under Xvfb the way a person does, with a mouse and a keyboard
# (xdotool): sends a message the telnet way, typing every line in the raw line box (the blank
# line included); then opens a tutorial page saved whole (Ctrl+O, the path typed, Enter). Each
# time it saves the annotated transcript (Ctrl+S, Ctrl+A, the path typed, Enter) and checks
# what was saved. Screenshots in DIR.
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

# save FILE: Ctrl+S, the path typed over the default, Enter; waits for the file.
save() {
    xdotool key ctrl+s
    sleep 0.5
    xdotool key ctrl+a
    xdotool type --delay 20 "$1"
    xdotool key Return
    for _ in $(seq 100); do [ -s "$1" ] && break; sleep 0.1; done
    [ -s "$1" ] || fail "Ctrl+S and Enter saved nothing"
    xdotool key ctrl+s
    sleep 0.3
}

cp tests/fixtures/pages/tutorial-163-coolnull.txt "$work/page.txt"
"$bin" >"$work/window.log" 2>&1 &
app=$!
win=$(timeout 60 xdotool search --sync --onlyvisible --name '^mailtutor$' | head -n 1)
[ -n "$win" ] || fail "the window did not open"
xdotool windowmove "$win" 0 0 windowsize "$win" 1280 800
sleep 1
xdotool windowfocus --sync "$win"

# The telnet way: Connect to the practice server, then every line typed in the raw line box
# and sent with Enter, the blank line between the headers and the body included.
xdotool mousemove 951 40 click 1
sleep 2
xdotool mousemove 630 617 click 1
sleep 0.3
for line in "HELO me" "MAIL FROM:<student@mailtutor.test>" "RCPT TO:<teacher@mailtutor.test>" \
    DATA "From: student@mailtutor.test" "Subject: typed by hand" "" "Hello." "."; do
    [ -z "$line" ] || xdotool type --delay 15 "$line"
    xdotool key Return
    sleep 0.7
done
sleep 1
import -window root "$shots/telnet-way.png"
save "$work/telnet.txt"
grep -A3 -F 'C: Subject: typed by hand' "$work/telnet.txt" | grep -qF 'blank line: the headers end here' ||
    { cat "$work/telnet.txt" >&2; fail "the blank line was not sent"; }
grep -qF 'S: 250 2.0.0 Ok: queued' "$work/telnet.txt" ||
    { cat "$work/telnet.txt" >&2; fail "the message typed by hand was not accepted"; }
echo "ok: a message typed the telnet way, blank line and all, was accepted"
# Disconnect (the same button), so the opened page may replace the session.
xdotool mousemove 951 40 click 1
sleep 1

xdotool key ctrl+o
sleep 0.5
xdotool type --delay 20 "$work/page.txt"
xdotool key Return
sleep 2
save "$work/saved.txt"
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
