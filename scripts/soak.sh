#!/usr/bin/env bash
# Soak test (not in CI): `mailtutor serve` for SECONDS (default 600) under 8 concurrent SMTP
# senders and 2 POP3 readers. Samples the server's RSS every 10 s and checks at the end that
# every message that got a 250 was read back exactly once (nothing lost, nothing duplicated).
# Usage: scripts/soak.sh [SECONDS]
set -euo pipefail
cd "$(dirname "$0")/.."
seconds=${1:-600}
cargo build --release --bin mailtutor
dir=$(mktemp -d)
trap 'kill "$pid" 2>/dev/null || true; rm -rf "$dir"' EXIT
./target/release/mailtutor serve --smtp 127.0.0.1:0 --pop3 127.0.0.1:0 \
    --smtps 127.0.0.1:0 --pop3s 127.0.0.1:0 --imap 127.0.0.1:0 --imaps 127.0.0.1:0 --data-dir "$dir/data" >"$dir/serve.out" 2>&1 &
pid=$!
for _ in $(seq 100); do grep -q '^Ready' "$dir/serve.out" && break; sleep 0.1; done
smtp=$(awk '$1 == "SMTP" {print $2; exit}' "$dir/serve.out")
pop3=$(awk '$1 == "POP3" {print $2; exit}' "$dir/serve.out")
SMTP=$smtp POP3=$pop3 PID=$pid SECONDS_TO_RUN=$seconds python3 - <<'PY'
import os, poplib, smtplib, statistics, threading, time

smtp_host, smtp_port = os.environ["SMTP"].rsplit(":", 1)
pop_host, pop_port = os.environ["POP3"].rsplit(":", 1)
pid, seconds = os.environ["PID"], int(os.environ["SECONDS_TO_RUN"])
stop = threading.Event()
lock = threading.Lock()
acked, failed, seen, dupes, errors = set(), 0, set(), [], []

def rss_kb():
    with open(f"/proc/{pid}/status") as f:
        for line in f:
            if line.startswith("VmRSS:"):
                return int(line.split()[1])
    return 0

def sender(n):
    global failed
    i = 0
    while not stop.is_set():
        ident = f"{n}-{i}"
        i += 1
        try:
            with smtplib.SMTP(smtp_host, int(smtp_port), timeout=30) as s:
                s.sendmail("student@mailtutor.test", ["teacher@mailtutor.test"],
                           f"Subject: soak {ident}\r\n\r\nmessage {ident}\r\n")
            with lock:
                acked.add(ident)
        except Exception as e:
            with lock:
                failed += 1
                errors.append(f"send {ident}: {e}")

def read_once():
    try:
        p = poplib.POP3(pop_host, int(pop_port), timeout=30)
        p.user("teacher@mailtutor.test")
        p.pass_("secret")
    except poplib.error_proto as e:
        if b"IN-USE" in str(e).encode():
            return  # the other reader holds the maildrop
        raise
    count = len(p.list()[1])
    for k in range(1, count + 1):
        lines = p.retr(k)[1]
        subject = next(l for l in lines if l.startswith(b"Subject: soak "))
        ident = subject.split(b" ", 2)[2].decode()
        with lock:
            if ident in seen:
                dupes.append(ident)
            seen.add(ident)
        p.dele(k)
    p.quit()

def reader():
    while not stop.is_set():
        try:
            read_once()
        except Exception as e:
            with lock:
                errors.append(f"read: {e}")
        time.sleep(0.2)

threads = [threading.Thread(target=sender, args=(n,)) for n in range(8)]
threads += [threading.Thread(target=reader) for _ in range(2)]
for t in threads:
    t.start()
samples, start = [], time.time()
while time.time() - start < seconds:
    time.sleep(10)
    samples.append(rss_kb())
    print(f"{int(time.time() - start):4d} s  RSS {samples[-1] / 1024:7.1f} MiB  "
          f"acknowledged {len(acked)}  read {len(seen)}", flush=True)
stop.set()
for t in threads:
    t.join()
for _ in range(5):  # drain what is left
    read_once()
lost = acked - seen
extra = seen - acked
steady = samples[len(samples) // 6:] or samples
base = statistics.median(steady)
spread = max(abs(s - base) / base for s in steady) * 100
print(f"\nsent and acknowledged {len(acked)}, failed sends {failed}, read back {len(seen)}")
print(f"lost {len(lost)}, duplicated {len(dupes)}, read but never acknowledged {len(extra)}")
print(f"RSS after warm-up: median {base / 1024:.1f} MiB, min {min(steady) / 1024:.1f}, "
      f"max {max(steady) / 1024:.1f}, largest deviation {spread:.1f}%")
for e in errors[:10]:
    print("error:", e)
ok = not lost and not dupes and spread <= 10
print("SOAK", "PASSED" if ok else "FAILED")
raise SystemExit(0 if ok else 1)
PY
