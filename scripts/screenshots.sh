#!/usr/bin/env bash
# Runs the real window under Xvfb, plays each scripted session (`mailtutor --demo NAME`)
# and writes screenshots/*.png. Needs the packages scripts/setup-debian.sh installs
# (xvfb, x11-utils, xdotool, imagemagick), and Chromium for the HTML page.
set -euo pipefail
cd "$(dirname "$0")/.."
if [ "${SKIP_SETUP:-}" != 1 ]; then scripts/setup-debian.sh chromium fonts-noto-cjk; fi
cargo build --release --bin mailtutor
bin=target/release/mailtutor
mkdir -p screenshots
rm -f screenshots/code-lookup.png

display=:97
Xvfb "$display" -screen 0 1280x800x24 -nolisten tcp >/dev/null 2>&1 &
xvfb=$!
app=
trap 'kill $app $xvfb 2>/dev/null || true' EXIT
export DISPLAY=$display
for _ in $(seq 50); do xdpyinfo >/dev/null 2>&1 && break; sleep 0.1; done

# The settings of these runs go to a scratch directory, not the user's.
export XDG_DATA_HOME XDG_CONFIG_HOME
XDG_DATA_HOME=$(mktemp -d)
XDG_CONFIG_HOME=$XDG_DATA_HOME

# shot NAME DEMO [X Y CLICKS]: plays DEMO, waits for it to finish, turns the mouse wheel
# CLICKS times over X,Y if given (down; up when negative), saves screenshots/NAME.png.
# With arguments, the script makes only the pictures named.
only=" $* "
shot() {
    local name=$1 demo=$2 x=${3:-} y=${4:-} clicks=${5:-0}
    if [ "$only" != "  " ] && [[ "$only" != *" $name "* ]]; then return; fi
    local log
    log=$(mktemp)
    "$bin" --demo "$demo" >"$log" 2>&1 &
    app=$!
    local win
    win=$(xdotool search --sync --onlyvisible --name '^mailtutor$' | head -n 1)
    xdotool windowmove "$win" 0 0 windowsize "$win" 1280 800
    # Park the pointer in a corner, so no stray hover tooltip shows.
    xdotool mousemove 1279 799
    for _ in $(seq 200); do grep -q "demo: done" "$log" && break; sleep 0.1; done
    grep -q "demo: done" "$log" || { echo "demo $demo did not finish:"; cat "$log"; exit 1; }
    sleep 1
    if [ "$clicks" != 0 ]; then
        local button=5 n=$clicks
        if [ "$clicks" -lt 0 ]; then button=4; n=$((-clicks)); fi
        xdotool mousemove "$x" "$y"
        for _ in $(seq "$n"); do xdotool click "$button"; sleep 0.1; done
        xdotool mousemove 1279 799
        sleep 1
    fi
    import -window root "screenshots/$name.png"
    kill "$app"
    wait "$app" 2>/dev/null || true
    # A killed demo leaves its scratch Maildir behind.
    rm -rf "${TMPDIR:-/tmp}/mailtutor-demo-$app"
    app=
    echo "wrote screenshots/$name.png"
}

shot first-start first-start
shot send-en send
shot send-zh send-zh
shot auth-535 auth-fail
shot base64 base64
shot pop3 pop3
shot imap-en imap
shot imap-zh imap-zh
shot projector projector
shot projector-150 projector-150
shot lesson-130-zh lesson-130-zh
shot starttls-en starttls-first
shot starttls-zh starttls-first-zh
shot lessons-en lessons
shot lessons-zh lessons-zh
shot lesson-hint-en lesson-hint
shot lesson-hint-zh lesson-hint-zh
shot lesson-summary-en lesson-summary
shot lesson-summary-zh lesson-summary-zh
shot lesson-exam-en lesson-exam
shot lesson-exam-zh lesson-exam-zh
shot server-mailbox server-mailbox
shot server-log server-log
shot server-log-zh server-log-zh
shot server-faults server-faults
shot server-class server-class
shot mime-tree mime-tree 1100 300 10
shot mime-mailbox-zh mime-mailbox-zh
shot capture-open capture-open 650 300 -12

# A lab on the Class tab: three students' programs scored as they ran (scripts/lab-flow.sh),
# the reason of a failed check on hover; then Li Lei's lab report as Chromium draws it.
if [ "$only" = "  " ] || [[ "$only" == *" lab-class "* ]]; then
    . scripts/lab-flow.sh
    data=$(mktemp -d)
    XDG_DATA_HOME=$data XDG_CONFIG_HOME=$data LANG=en_US.UTF-8 "$bin" >/dev/null 2>&1 &
    app=$!
    win=$(xdotool search --sync --onlyvisible --name '^mailtutor$' | head -n 1)
    xdotool windowmove "$win" 0 0 windowsize "$win" 1280 800
    sleep 1
    xdotool windowfocus --sync "$win"
    lab_flow "$data" "$app"
    xdotool mousemove 440 466
    sleep 1.5
    import -window root screenshots/lab-class.png
    xdotool mousemove 1279 799
    lab_save "$data"
    chromium --headless --no-sandbox --disable-gpu --disable-quic --no-first-run \
        --disable-background-networking --disable-component-update --disable-sync \
        --hide-scrollbars --user-data-dir="$data/profile" --window-size=1100,1300 \
        --screenshot="$PWD/screenshots/lab-report.png" \
        "file://$data/lab-reports/li.lei@mailtutor.test.html" 2>/dev/null
    kill "$app"
    wait "$app" 2>/dev/null || true
    app=
    rm -rf "$data"
    echo "wrote screenshots/lab-class.png and screenshots/lab-report.png"
fi

# The HTML page a student hands in (the tutorials' failed QQ session), as Chromium draws it.
if [ "$only" = "  " ] || [[ "$only" == *" html-export "* ]]; then
    page=$(mktemp -d)
    "$bin" explain --format html --lang zh --student 李雷 \
        <tests/fixtures/transcripts/qq-failed.txt >"$page/session.html"
    chromium --headless --no-sandbox --disable-gpu --disable-quic --no-first-run \
        --disable-background-networking --disable-component-update --disable-sync \
        --hide-scrollbars --user-data-dir="$page/profile" --window-size=1100,1300 \
        --screenshot="$PWD/screenshots/html-export.png" "file://$page/session.html" 2>/dev/null
    rm -rf "$page"
    echo "wrote screenshots/html-export.png"
fi
