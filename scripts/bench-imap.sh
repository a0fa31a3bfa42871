#!/usr/bin/env bash
# IMAP beside a real server: 1,000 messages of about 1 KiB in a mailbox of the practice server
# (`mailtutor serve`) and of Dovecot (the interop lab's account), then FETCH 1:1000
# (BODY.PEEK[HEADER]) timed from the command to its tagged OK, once cold and RUNS times warm,
# by the same small client (scripts/bench-imap.py). Argument: [RUNS]. Needs root or sudo: it
# sets up the lab through scripts/interop.sh and writes into the lab account's Maildir.
set -euo pipefail
cd "$(dirname "$0")/.."
runs=${1:-10}
scripts/interop.sh >/dev/null
cargo build --release --bin mailtutor
sudo=""
[ "$(id -u)" -eq 0 ] || sudo=sudo
work=$(mktemp -d)
home=$(getent passwd mtlab | cut -d: -f6)
bench_box="$home/Maildir/.mtbench"
app=
cleanup() {
    [ -z "$app" ] || kill "$app" 2>/dev/null || true
    $sudo rm -rf "$bench_box"
    rm -rf "$work"
}
trap cleanup EXIT

# write_messages DIR: 1,000 messages in DIR/new, each a header and a short body.
write_messages() {
    mkdir -p "$1/new" "$1/cur" "$1/tmp"
    for i in $(seq 1000); do
        printf 'Received: from lab (127.0.0.1) by bench.test; Sat, 5 Dec 2026 10:00:00 +0000\r\nFrom: Student %d <student%d@bench.test>\r\nTo: teacher@bench.test\r\nSubject: Homework number %d\r\nDate: Sat, 5 Dec 2026 10:00:00 +0000\r\nMessage-ID: <%d@bench.test>\r\nMIME-Version: 1.0\r\nContent-Type: text/plain; charset=utf-8\r\n\r\nThe body of message %d, a line of text to make it about a kilobyte long.\r\n%s\r\n' \
            "$i" "$i" "$i" "$i" "$i" "$(head -c 600 /dev/zero | tr '\0' 'x')" >"$1/new/$i.bench"
    done
}

port=32543
target/release/mailtutor serve --smtp 127.0.0.1:0 --smtps 127.0.0.1:0 --pop3 127.0.0.1:0 \
    --pop3s 127.0.0.1:0 --imap 127.0.0.1:$port --imaps 127.0.0.1:0 \
    --data-dir "$work/practice" >"$work/serve.log" 2>&1 &
app=$!
for _ in $(seq 100); do (echo >/dev/tcp/127.0.0.1/$port) 2>/dev/null && break; sleep 0.1; done
write_messages "$work/practice/student@mailtutor.test"
$sudo rm -rf "$bench_box"
write_messages "$work/dovecot"
$sudo mkdir -p "$bench_box"
$sudo cp -r "$work/dovecot/." "$bench_box/"
$sudo chown -R mtlab: "$bench_box"

python3 scripts/bench-imap.py practice "127.0.0.1:$port" student@mailtutor.test secret INBOX "$runs"
python3 scripts/bench-imap.py dovecot 127.0.0.1:143 mtlab@lab.test labpass mtbench "$runs"
