#!/usr/bin/env python3
"""Students' programs for the lab tests: run once per attempt against the practice server.

  labclient.py smtplib   --port P --user U --password W --to B [--starttls --cafile F]
  labclient.py flawed    --port P --user U --password W --to B
  labclient.py pipeliner --port P --user U --password W --to B
  labclient.py poplib    --port P --user U --password W

smtplib and poplib are Python's own clients, used as a careful student would. `flawed` is a
socket program with the four classic mistakes: one header line ends in a bare LF, a body line
that starts with a dot is not stuffed, a 450 to RCPT TO is ignored (DATA is sent anyway), and
the connection is closed without QUIT. It does read every reply before the next command, and
stops at a greeting that is not 220. `pipeliner` greets with HELO (so no PIPELINING) and then
sends MAIL, RCPT and DATA in one write.
"""
import argparse
import base64
import poplib
import smtplib
import socket
import ssl
import sys
from email.message import EmailMessage
from email.utils import formatdate, make_msgid

BODY = "Hello from the lab.\n.signature: a line that starts with a dot\nBye.\n"


def smtplib_client(a):
    msg = EmailMessage()
    msg["From"] = a.user
    msg["To"] = a.to
    msg["Subject"] = "Lab report"
    msg["Date"] = formatdate(localtime=True)
    msg["Message-ID"] = make_msgid(domain="lab.test")
    msg.set_content(BODY)
    try:
        s = smtplib.SMTP("127.0.0.1", a.port, timeout=30)
    except smtplib.SMTPConnectError as e:
        print("refused at greeting:", e)
        return
    try:
        if a.starttls:
            s.starttls(context=ssl.create_default_context(cafile=a.cafile))
        s.login(a.user, a.password)
        s.send_message(msg)
    except (smtplib.SMTPRecipientsRefused, smtplib.SMTPDataError, smtplib.SMTPResponseException) as e:
        print("refused:", e)
    s.quit()


class Conn:
    def __init__(self, port):
        self.sock = socket.create_connection(("127.0.0.1", port), timeout=30)
        self.buf = b""

    def reply(self):
        lines = []
        while True:
            while b"\r\n" not in self.buf:
                chunk = self.sock.recv(4096)
                if not chunk:
                    return lines
                self.buf += chunk
            line, self.buf = self.buf.split(b"\r\n", 1)
            lines.append(line.decode())
            if len(line) < 4 or line[3:4] != b"-":
                return lines

    def cmd(self, text):
        self.sock.sendall(text.encode() + b"\r\n")
        return self.reply()


def login(c, user, password):
    c.cmd("AUTH LOGIN")
    c.cmd(base64.b64encode(user.encode()).decode())
    c.cmd(base64.b64encode(password.encode()).decode())


def flawed(a):
    c = Conn(a.port)
    greeting = c.reply()
    if not greeting or not greeting[0].startswith("220"):
        c.sock.close()
        return
    c.cmd("EHLO student-pc")
    login(c, a.user, a.password)
    c.cmd(f"MAIL FROM:<{a.user}>")
    c.cmd(f"RCPT TO:<{a.to}>")  # a 450 here is not looked at
    c.cmd("DATA")
    message = (
        f"From: {a.user}\r\n"
        f"To: {a.to}\n"  # the bare LF
        "Subject: Lab report\r\n"
        f"Date: {formatdate(localtime=True)}\r\n"
        f"Message-ID: {make_msgid(domain='lab.test')}\r\n"
        "\r\n"
        "Hello from the lab.\r\n"
        ".signature: not stuffed\r\n"
        "Bye.\r\n"
        ".\r\n"
    )
    c.sock.sendall(message.encode())
    c.reply()
    c.sock.close()  # no QUIT


def pipeliner(a):
    c = Conn(a.port)
    c.reply()
    c.cmd("HELO student-pc")
    login(c, a.user, a.password)
    c.sock.sendall(f"MAIL FROM:<{a.user}>\r\nRCPT TO:<{a.to}>\r\nDATA\r\n".encode())
    c.reply()
    c.reply()
    c.reply()
    c.sock.sendall(
        (
            f"From: {a.user}\r\nTo: {a.to}\r\nSubject: x\r\nDate: {formatdate()}\r\n"
            f"Message-ID: {make_msgid()}\r\n\r\n..dot\r\n.\r\n"
        ).encode()
    )
    c.reply()
    c.cmd("QUIT")


def poplib_client(a):
    p = poplib.POP3("127.0.0.1", a.port, timeout=30)
    p.user(a.user)
    p.pass_(a.password)
    count, _ = p.stat()
    if count:
        p.retr(1)
        p.dele(1)
    p.quit()


def main():
    ap = argparse.ArgumentParser()
    ap.add_argument("mode", choices=["smtplib", "flawed", "pipeliner", "poplib"])
    ap.add_argument("--port", type=int, required=True)
    ap.add_argument("--user", required=True)
    ap.add_argument("--password", required=True)
    ap.add_argument("--to", default="teacher@mailtutor.test")
    ap.add_argument("--starttls", action="store_true")
    ap.add_argument("--cafile")
    a = ap.parse_args()
    {"smtplib": smtplib_client, "flawed": flawed, "pipeliner": pipeliner, "poplib": poplib_client}[
        a.mode
    ](a)


if __name__ == "__main__":
    sys.exit(main())
