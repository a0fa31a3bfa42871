#!/usr/bin/env python3
"""A classroom against `mailtutor serve`: STUDENTS threads, each doing the whole lesson again
and again for SECONDS: SMTP (EHLO, STARTTLS, EHLO, AUTH LOGIN, MAIL, RCPT, DATA of 4 KiB,
QUIT), then POP3 (STLS, USER, PASS, STAT, RETR, DELE, QUIT). Every reply's latency is timed
from the command's last byte written to the reply's last line read. Then IDLE connections
are opened and held: the server's CPU and memory, and how fast a new client is served.

  bench-class.py BINARY [STUDENTS] [SECONDS] [IDLE]
"""
import base64
import os
import re
import socket
import ssl
import statistics
import subprocess
import sys
import tempfile
import threading
import time

BIN = sys.argv[1]
STUDENTS = int(sys.argv[2]) if len(sys.argv) > 2 else 40
SECONDS = float(sys.argv[3]) if len(sys.argv) > 3 else 60
IDLE = int(sys.argv[4]) if len(sys.argv) > 4 else 500

TLS = ssl.create_default_context()
# The practice server's certificate is made at start-up; the bench measures speed, not trust.
TLS.check_hostname = False
TLS.verify_mode = ssl.CERT_NONE


class Conn:
    def __init__(self, port):
        self.sock = socket.create_connection(("127.0.0.1", port), timeout=30)
        self.buf = b""

    def line(self):
        while b"\n" not in self.buf:
            chunk = self.sock.recv(65536)
            if not chunk:
                raise ConnectionError("closed by the server")
            self.buf += chunk
        line, _, self.buf = self.buf.partition(b"\n")
        return line.rstrip(b"\r").decode("utf-8", "replace")

    def smtp_reply(self):
        while True:
            line = self.line()
            if len(line) < 4 or line[3] != "-":
                return line

    def pop3_reply(self, multi=False):
        first = self.line()
        if multi and first.startswith("+OK"):
            while self.line() != ".":
                pass
        return first

    def cmd(self, data, reply, want, timings):
        start = time.perf_counter()
        self.sock.sendall(data)
        got = reply()
        timings.append(time.perf_counter() - start)
        if not got.startswith(want):
            raise RuntimeError(f"{data[:40]!r}: wanted {want}, got {got!r}")
        return got

    def tls(self):
        self.sock = TLS.wrap_socket(self.sock, server_hostname="mailtutor.test")


def lesson(i, ports, timings, counts, errors, stop):
    user = f"s{i}@mailtutor.test".encode()
    password = f"pw{i}".encode()
    body = (b"x" * 76 + b"\r\n") * 52  # about 4 KiB
    b64 = base64.b64encode
    while not stop.is_set():
        try:
            c = Conn(ports["smtp"])
            c.smtp_reply()
            t = timings
            c.cmd(b"EHLO lab\r\n", c.smtp_reply, "250", t)
            c.cmd(b"STARTTLS\r\n", c.smtp_reply, "220", t)
            c.tls()
            c.cmd(b"EHLO lab\r\n", c.smtp_reply, "250", t)
            c.cmd(b"AUTH LOGIN\r\n", c.smtp_reply, "334", t)
            c.cmd(b64(user) + b"\r\n", c.smtp_reply, "334", t)
            c.cmd(b64(password) + b"\r\n", c.smtp_reply, "235", t)
            c.cmd(b"MAIL FROM:<" + user + b">\r\n", c.smtp_reply, "250", t)
            c.cmd(b"RCPT TO:<" + user + b">\r\n", c.smtp_reply, "250", t)
            c.cmd(b"DATA\r\n", c.smtp_reply, "354", t)
            head = b"From: <" + user + b">\r\nSubject: lesson\r\n\r\n"
            c.cmd(head + body + b".\r\n", c.smtp_reply, "250", t)
            c.cmd(b"QUIT\r\n", c.smtp_reply, "221", t)
            c.sock.close()
            counts["sent"] += 1

            p = Conn(ports["pop3"])
            p.pop3_reply()
            p.cmd(b"STLS\r\n", p.pop3_reply, "+OK", t)
            p.tls()
            p.cmd(b"USER " + user + b"\r\n", p.pop3_reply, "+OK", t)
            p.cmd(b"PASS " + password + b"\r\n", p.pop3_reply, "+OK", t)
            stat = p.cmd(b"STAT\r\n", p.pop3_reply, "+OK", t)
            n = int(stat.split()[1])
            for k in range(1, n + 1):
                p.cmd(b"RETR %d\r\n" % k, lambda: p.pop3_reply(True), "+OK", t)
                p.cmd(b"DELE %d\r\n" % k, p.pop3_reply, "+OK", t)
                counts["read"] += 1
            p.cmd(b"QUIT\r\n", p.pop3_reply, "+OK", t)
            p.sock.close()
        except Exception as e:  # every failure is counted and shown
            errors.append(f"student {i}: {e}")
            time.sleep(0.05)


def proc_stats(pid):
    with open(f"/proc/{pid}/stat") as f:
        fields = f.read().rsplit(")", 1)[1].split()
    ticks = int(fields[11]) + int(fields[12])
    with open(f"/proc/{pid}/status") as f:
        rss = next(int(l.split()[1]) for l in f if l.startswith("VmRSS:"))
    return ticks, rss


def main():
    data = tempfile.mkdtemp(prefix="mailtutor-class-")
    args = [BIN, "serve", "--data-dir", data, "--max-connections", str(IDLE + STUDENTS + 50)]
    for addr in ("--smtp", "--smtps", "--pop3", "--pop3s", "--imap", "--imaps"):
        args += [addr, "127.0.0.1:0"]
    for i in range(STUDENTS):
        args += ["--account", f"s{i}@mailtutor.test:pw{i}"]
    server = subprocess.Popen(args, stdout=subprocess.PIPE, text=True)
    ports = {}
    for line in server.stdout:
        m = re.match(r"\s*(SMTP|POP3)\s+127\.0\.0\.1:(\d+)", line)
        if m:
            ports[m.group(1).lower()] = int(m.group(2))
        if line.startswith("Ready"):
            break
    # The log is read and dropped, so the server never blocks on a full pipe.
    threading.Thread(target=lambda: [None for _ in server.stdout], daemon=True).start()

    timings, errors = [], []
    counts = {"sent": 0, "read": 0}
    stop = threading.Event()
    threads = [
        threading.Thread(target=lesson, args=(i, ports, timings, counts, errors, stop))
        for i in range(STUDENTS)
    ]
    for t in threads:
        t.start()
    time.sleep(SECONDS)
    stop.set()
    for t in threads:
        t.join()
    left = sum(len(os.listdir(os.path.join(data, d, "new"))) + len(os.listdir(os.path.join(data, d, "cur")))
               for d in os.listdir(data) if os.path.isdir(os.path.join(data, d, "new")))
    q = statistics.quantiles(timings, n=100)
    print(f"class: {STUDENTS} students for {SECONDS:.0f} s: {counts['sent']} lessons "
          f"({counts['sent'] / SECONDS:.1f}/s), {len(timings)} replies, {len(errors)} errors")
    print(f"  reply latency: median {statistics.median(timings) * 1000:.2f} ms, "
          f"p99 {q[98] * 1000:.2f} ms, max {max(timings) * 1000:.2f} ms")
    print(f"  messages sent {counts['sent']}, read and deleted {counts['read']}, "
          f"left in the maildrops {left} (a lesson cut by the end of the run leaves one)")
    for e in errors[:5]:
        print("  error:", e)

    idle = []
    for _ in range(IDLE):
        c = Conn(ports["smtp"])
        c.smtp_reply()
        idle.append(c)
    time.sleep(1)
    t0, _ = proc_stats(server.pid)
    time.sleep(10)
    t1, rss = proc_stats(server.pid)
    hz = os.sysconf("SC_CLK_TCK")
    start = time.perf_counter()
    c = Conn(ports["smtp"])
    c.smtp_reply()
    c.cmd(b"EHLO late\r\n", c.smtp_reply, "250", [])
    served = time.perf_counter() - start
    print(f"idle: {IDLE} connections held 10 s: {(t1 - t0) / hz / 10 * 100:.2f}% CPU, "
          f"{rss / 1024:.0f} MB RSS; a new client greeted and answered EHLO in "
          f"{served * 1000:.1f} ms")
    for c in idle:
        c.sock.close()
    server.terminate()
    server.wait()
    subprocess.run(["rm", "-rf", data])
    if errors:
        sys.exit(1)


main()
