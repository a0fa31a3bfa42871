#!/usr/bin/env python3
"""Drives the practice server with Python's standard smtplib and poplib (clients nobody
here wrote). Used by tests/server_clients.rs.

  pyclient.py send  --port P --security starttls|ssl|plain --auth LOGIN|PLAIN --cafile F
                    --user U --password W --from A --to B [--to C] --subject S
                    --body-file F --expected OUT
  pyclient.py fetch --port P --security stls|ssl --cafile F --user U --password W
                    --out-dir D [--delete]
"""
import argparse
import json
import os
import poplib
import smtplib
import ssl
import sys
from email.message import EmailMessage
from email.policy import SMTP


def context(cafile):
    ctx = ssl.create_default_context(cafile=cafile)
    ctx.check_hostname = True
    return ctx


def send(a):
    msg = EmailMessage(policy=SMTP)
    msg["From"] = a.sender
    msg["To"] = ", ".join(a.to)
    msg["Subject"] = a.subject
    with open(a.body_file, encoding="utf-8") as f:
        msg.set_content(f.read())
    data = msg.as_bytes(policy=SMTP)
    ctx = context(a.cafile)
    if a.security == "ssl":
        s = smtplib.SMTP_SSL("127.0.0.1", a.port, context=ctx, timeout=30)
    else:
        s = smtplib.SMTP("127.0.0.1", a.port, timeout=30)
    s.ehlo("pyclient")
    if a.security == "starttls":
        s.starttls(context=ctx)
        s.ehlo("pyclient")
    s.user, s.password = a.user, a.password
    if a.auth == "LOGIN":
        code, _ = s.auth("LOGIN", s.auth_login, initial_response_ok=False)
    else:
        code, _ = s.auth("PLAIN", s.auth_plain)
    assert code == 235, code
    refused = s.sendmail(a.sender, a.to, data)
    assert not refused, refused
    s.quit()
    # smtplib sends bytes as they are, adding CRLF before the final dot if missing.
    if not data.endswith(b"\r\n"):
        data += b"\r\n"
    with open(a.expected, "wb") as f:
        f.write(data)


def fetch(a):
    ctx = context(a.cafile)
    if a.security == "ssl":
        p = poplib.POP3_SSL("127.0.0.1", a.port, context=ctx, timeout=30)
    else:
        p = poplib.POP3("127.0.0.1", a.port, timeout=30)
        p.stls(context=ctx)
    p.user(a.user)
    p.pass_(a.password)
    count, size = p.stat()
    listing = p.list()[1]
    uidls = p.uidl()[1]
    tops = []
    for i in range(1, count + 1):
        lines = p.retr(i)[1]
        with open(os.path.join(a.out_dir, f"{i}.eml"), "wb") as f:
            f.write(b"\r\n".join(lines) + b"\r\n")
        tops.append(len(p.top(i, 0)[1]))
        if a.delete:
            p.dele(i)
    p.quit()
    print(json.dumps({
        "count": count,
        "size": size,
        "list": [l.decode() for l in listing],
        "uidl": [u.decode() for u in uidls],
        "top_lines": tops,
    }))


def main():
    ap = argparse.ArgumentParser()
    sub = ap.add_subparsers(dest="cmd", required=True)
    s = sub.add_parser("send")
    s.add_argument("--port", type=int, required=True)
    s.add_argument("--security", choices=["starttls", "ssl", "plain"], required=True)
    s.add_argument("--auth", choices=["LOGIN", "PLAIN"], required=True)
    s.add_argument("--cafile", required=True)
    s.add_argument("--user", required=True)
    s.add_argument("--password", required=True)
    s.add_argument("--from", dest="sender", required=True)
    s.add_argument("--to", action="append", required=True)
    s.add_argument("--subject", required=True)
    s.add_argument("--body-file", required=True)
    s.add_argument("--expected", required=True)
    f = sub.add_parser("fetch")
    f.add_argument("--port", type=int, required=True)
    f.add_argument("--security", choices=["stls", "ssl"], required=True)
    f.add_argument("--cafile", required=True)
    f.add_argument("--user", required=True)
    f.add_argument("--password", required=True)
    f.add_argument("--out-dir", required=True)
    f.add_argument("--delete", action="store_true")
    a = ap.parse_args()
    send(a) if a.cmd == "send" else fetch(a)


if __name__ == "__main__":
    sys.exit(main())
