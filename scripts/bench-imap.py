#!/usr/bin/env python3
"""FETCH of 1,000 message headers from an IMAP server, timed from the command to its tagged OK.

Usage: bench-imap.py NAME HOST:PORT USER PASSWORD MAILBOX RUNS
Prints one line: NAME, the first (cold) FETCH, and the median, least and most of the RUNS
that follow, in milliseconds, with the bytes each brought."""
import socket
import statistics
import sys
import time


def main():
    name, addr, user, password, mailbox, runs = sys.argv[1:7]
    host, port = addr.rsplit(":", 1)
    s = socket.create_connection((host, int(port)), timeout=60)
    f = s.makefile("rb")

    def command(tag, line):
        s.sendall(f"{tag} {line}\r\n".encode())
        got = 0
        while True:
            raw = f.readline()
            if not raw:
                sys.exit(f"{name}: the server closed the connection")
            got += len(raw)
            text = raw.rstrip(b"\r\n")
            if text.endswith(b"}") and b"{" in text:
                n = int(text[text.rindex(b"{") + 1 : -1].rstrip(b"+"))
                got += len(f.read(n))
                continue
            if text.startswith(tag.encode() + b" "):
                if not text.startswith(tag.encode() + b" OK"):
                    sys.exit(f"{name}: {text.decode(errors='replace')}")
                return got

    f.readline()
    command("a1", f'LOGIN "{user}" "{password}"')
    command("a2", f"SELECT {mailbox}")
    times = []
    size = 0
    for i in range(int(runs) + 1):
        start = time.perf_counter()
        size = command(f"f{i}", "FETCH 1:1000 (BODY.PEEK[HEADER])")
        times.append((time.perf_counter() - start) * 1000)
    command("z", "LOGOUT")
    cold, warm = times[0], times[1:]
    print(
        f"{name:10} cold {cold:8.1f} ms   warm median {statistics.median(warm):7.1f} ms "
        f"({min(warm):.1f}-{max(warm):.1f})   {size} bytes"
    )


if __name__ == "__main__":
    main()
