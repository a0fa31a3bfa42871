#!/usr/bin/env bash
# Writes the real captures the capture reader's tests open, in tests/fixtures/captures/:
# the practice server (`mailtutor serve`, ephemeral ports on 127.0.0.1) captured on `lo`
#   smtp-swaks-auth-login.pcap   tcpdump (pcap): swaks sends one mail with AUTH LOGIN
#   python-smtp-pop3.pcapng      tshark (pcapng): Python's smtplib (STARTTLS, so the rest is
#                                ciphertext) and poplib (USER/PASS, STAT, RETR, QUIT)
#   python-imap-any.pcap         tcpdump on `any` (Linux cooked v2): Python's imaplib (LOGIN,
#                                SELECT, LIST, NOOP, LOGOUT)
# Needs root (or capture rights), tcpdump, tshark, swaks, python3. Nothing leaves the machine.
# The tests hold the ports and packet numbers of the committed files: after writing one anew,
# update tests/it/capture_cli.rs and tests/it/ui_capture.rs to what tshark shows.
# Usage: scripts/capture-fixtures.sh [swaks] [python] [imap]   (none: all; MAILTUTOR=path/to/
# binary to skip the build)
set -euo pipefail
cd "$(dirname "$0")/.."
out=tests/fixtures/captures
mkdir -p "$out"
bin=${MAILTUTOR:-}
if [ -z "$bin" ]; then
    cargo build --quiet --bin mailtutor
    bin=target/debug/mailtutor
fi
work=$(mktemp -d)
pids=()
cleanup() {
    for p in "${pids[@]}"; do kill "$p" 2>/dev/null || true; done
    rm -rf "$work"
}
trap cleanup EXIT

"$bin" serve --smtp 127.0.0.1:0 --smtps 127.0.0.1:0 --pop3 127.0.0.1:0 --pop3s 127.0.0.1:0 \
    --imap 127.0.0.1:0 --imaps 127.0.0.1:0 --data-dir "$work/data" >"$work/serve.log" 2>&1 &
pids+=($!)
for _ in $(seq 100); do grep -q '^Ready' "$work/serve.log" && break; sleep 0.1; done
port() { awk -v p="$1" '$1 == p { split($2, a, ":"); print a[2] }' "$work/serve.log"; }
smtp=$(port SMTP)
pop3=$(port POP3)
imap=$(port IMAP)
[ -n "$smtp" ] && [ -n "$pop3" ] && [ -n "$imap" ] || { cat "$work/serve.log"; exit 1; }
wanted=" ${*:-swaks python imap} "

# Starts a capture ($1: tcpdump or tshark, $2: file, $3: filter) and waits until it listens.
start_capture() {
    local log="$work/$1.log"
    if [ "$1" = tcpdump ]; then
        tcpdump -i "${iface:-lo}" -U -s 0 -w "$2" "$3" 2>"$log" &
    else
        tshark -i lo -f "$3" -w "$2" >"$log" 2>&1 &
    fi
    cap=$!
    pids+=("$cap")
    for _ in $(seq 100); do grep -qE 'listening on|Capturing on' "$log" && break; sleep 0.1; done
    sleep 0.5
}
stop_capture() {
    sleep 1
    kill -INT "$cap"
    wait "$cap" || true
}

if [[ $wanted == *" swaks "* ]]; then
start_capture tcpdump "$work/a.pcap" "tcp port $smtp"
swaks --server "127.0.0.1:$smtp" --helo student.example --from student@mailtutor.test \
    --to teacher@mailtutor.test --auth LOGIN --auth-user student@mailtutor.test \
    --auth-password secret --header 'Subject: Captured' --body 'Hello from swaks.' >/dev/null
stop_capture
cp "$work/a.pcap" "$out/smtp-swaks-auth-login.pcap"
fi

if [[ $wanted == *" python "* ]]; then
start_capture tshark "$work/b.pcapng" "tcp port $smtp or tcp port $pop3"
SMTP_PORT=$smtp POP3_PORT=$pop3 python3 - <<'EOF'
import os, poplib, smtplib, ssl
host = "127.0.0.1"
# The practice server's certificate is self-signed: this is a capture, not a check of it.
ctx = ssl.create_default_context()
ctx.check_hostname = False
ctx.verify_mode = ssl.CERT_NONE
with smtplib.SMTP(host, int(os.environ["SMTP_PORT"]), local_hostname="student.example") as s:
    s.ehlo()
    s.starttls(context=ctx)
    s.ehlo()
    s.login("student@mailtutor.test", "secret")
    s.sendmail("student@mailtutor.test", ["teacher@mailtutor.test"],
               "Subject: Over TLS\r\n\r\nNobody on the wire can read this.\r\n")
p = poplib.POP3(host, int(os.environ["POP3_PORT"]))
p.user("teacher@mailtutor.test")
p.pass_("secret")
p.stat()
p.retr(1)
p.quit()
EOF
stop_capture
cp "$work/b.pcapng" "$out/python-smtp-pop3.pcapng"
fi

if [[ $wanted == *" imap "* ]]; then
iface=any start_capture tcpdump "$work/c.pcap" "tcp port $imap"
IMAP_PORT=$imap python3 - <<'EOF'
import imaplib, os
m = imaplib.IMAP4("127.0.0.1", int(os.environ["IMAP_PORT"]))
m.login("student@mailtutor.test", "secret")
m.select("INBOX")
m.list()
m.noop()
m.logout()
EOF
stop_capture
cp "$work/c.pcap" "$out/python-imap-any.pcap"
fi
chmod 644 "$out"/*
ls -l "$out"
