#!/usr/bin/env bash
# Throughput beside real servers: Postfix's smtp-source sends MESSAGES messages of 1 KiB, one new
# connection each, with 1 and then 16 sessions in parallel, to
#   - the practice server (`mailtutor serve`, which fsyncs each message before its 250),
#   - Postfix delivering to a Maildir (its queue file is fsynced before the 250),
#   - aiosmtpd writing a Maildir (Python's mailbox module: no fsync),
#   - Postfix's smtp-sink (throws everything away),
# RUNS times each, and prints messages a second (median and range) and what was stored.
# Arguments: [MESSAGES] [RUNS]. Needs root or sudo: it installs packages and starts Postfix
# through scripts/interop.sh.
set -euo pipefail
shopt -s inherit_errexit
cd "$(dirname "$0")/.."
msgs=${1:-5000}
runs=${2:-3}

scripts/setup-debian.sh postfix python3-aiosmtpd bc
scripts/interop.sh >/dev/null
cargo build --release --bin mailtutor

sudo=""
[ "$(id -u)" -eq 0 ] || sudo=sudo
work=$(mktemp -d)
pids=()
cleanup() {
    for p in "${pids[@]}"; do kill "$p" 2>/dev/null || true; done
    # The messages this run gave the lab account, and nothing else.
    $sudo find "$postfix_box" -type f -newer "$work/start" -delete 2>/dev/null || true
    rm -rf "$work"
}
postfix_box=$(getent passwd mtlab | cut -d: -f6)/Maildir
touch "$work/start"
trap cleanup EXIT

practice=32525 aio=32526 sink=32527
target/release/mailtutor serve --smtp 127.0.0.1:$practice --smtps 127.0.0.1:0 \
    --pop3 127.0.0.1:0 --pop3s 127.0.0.1:0 --imap 127.0.0.1:0 --imaps 127.0.0.1:0 --max-connections 200 \
    --data-dir "$work/practice" >/dev/null 2>&1 &
pids+=($!)
/usr/bin/python3 -m aiosmtpd -n -l 127.0.0.1:$aio -c aiosmtpd.handlers.Mailbox "$work/aiosmtpd" \
    >/dev/null 2>&1 &
pids+=($!)
# smtp-sink refuses to run as root without a user to become.
sink_user=()
[ "$(id -u)" -ne 0 ] || sink_user=(-u nobody)
smtp-sink "${sink_user[@]}" 127.0.0.1:$sink 256 &
pids+=($!)
for port in $practice $aio $sink 25; do
    for _ in $(seq 100); do
        (exec 3<>/dev/tcp/127.0.0.1/$port) 2>/dev/null && break
        sleep 0.1
    done
done

# rate NAME PORT RECIPIENT SESSIONS: prints "median [min-max]" messages a second.
rate() {
    local rates=() start end
    for _ in $(seq "$runs"); do
        start=$(date +%s.%N)
        smtp-source -s "$4" -m "$msgs" -l 1024 -f bench@lab.test -t "$3" "127.0.0.1:$2" ||
            { echo "smtp-source failed against $1" >&2; exit 1; }
        end=$(date +%s.%N)
        rates+=("$(echo "$msgs / ($end - $start)" | bc -l)")
    done
    printf '%s\n' "${rates[@]}" | sort -g | awk '
        { r[NR] = $1 }
        END { printf "%.0f [%.0f-%.0f]", r[int((NR + 1) / 2)], r[1], r[NR] }'
}

count() { $sudo find "$1" -type f -newer "$work/start" 2>/dev/null | wc -l; }

echo "smtp-source: $msgs messages of 1 KiB, one connection each, $runs runs; messages a second, median [range]"
printf '%-44s %-22s %-22s\n' server "1 session" "16 sessions"
row() {
    local one sixteen
    one=$(rate "$2" "$3" "$4" 1)
    sixteen=$(rate "$2" "$3" "$4" 16)
    printf '%-44s %-22s %-22s\n' "$1" "$one" "$sixteen"
}
row "practice server (fsync before 250)" practice $practice teacher@mailtutor.test
row "Postfix to Maildir (fsync before 250)" postfix 25 mtlab@lab.test
row "aiosmtpd to Maildir (no fsync)" aiosmtpd $aio rcpt@lab.test
row "smtp-sink (discards)" sink $sink rcpt@lab.test

sent=$((msgs * runs * 2))
for _ in $(seq 600); do
    $sudo postqueue -p 2>/dev/null | grep -q "Mail queue is empty" && break
    sleep 0.1
done
echo "stored: practice server $(count "$work/practice/teacher@mailtutor.test/new") of $sent," \
    "Postfix $(count "$postfix_box/new") of $sent, aiosmtpd $(count "$work/aiosmtpd/new") of $sent"
