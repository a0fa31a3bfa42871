#!/usr/bin/env python3
"""Writes starting inputs for every fuzz target into fuzz/corpus/<target>/, taken from the
captured transcripts in tests/fixtures/transcripts (real Postfix, Dovecot, QQ, 163 sessions).
The fuzzer adds what it finds beside them; rerunning this only rewrites the seed-* files."""
import hashlib, pathlib

root = pathlib.Path(__file__).resolve().parent
fixtures = root.parent / "tests" / "fixtures" / "transcripts"

def sides(path):
    server, client = [], []
    for line in path.read_text(encoding="utf-8").splitlines():
        if line.startswith("S: "):
            server.append(line[3:])
        elif line.startswith("C: "):
            client.append(line[3:])
    return server, client

def write(target, data):
    d = root / "corpus" / target
    d.mkdir(parents=True, exist_ok=True)
    (d / ("seed-" + hashlib.sha1(data).hexdigest()[:16])).write_bytes(data)

for path in sorted(fixtures.glob("*.txt")):
    text = path.read_text(encoding="utf-8")
    server, client = sides(path)
    wire = "".join(l + "\r\n" for l in server).encode()
    pop3 = "pop3" in path.name or any(l.startswith("+OK") for l in server[:1])
    write("explain_annotate", text.encode())
    if pop3:
        write("pop3_reader", bytes([0b0101_0101, 3, 7, 1, 40]) + wire)
    else:
        write("reply_reader", bytes([3, 5, 1, 64]) + wire)
        # The EHLO reply: the run of 250 lines after an EHLO command.
        ehlo = [l for l in server if l.startswith("250")]
        if ehlo:
            write("ehlo_capabilities", "".join(l + "\r\n" for l in ehlo[:14]).encode())
    session = "".join(l + "\r\n" for l in client).encode()
    write("server_pop3" if pop3 else "server_smtp", bytes([0, 0]) + session)
    for line in client:
        write("smtp_command", line.encode())
        write("base64_auth", line.encode())
    for line in server:
        if line.startswith("334 "):
            write("base64_auth", line[4:].encode())
        if "=?" in line:
            write("rfc2047", line.encode())

# The client connection: each transcript's lines in order, a client line as "write, wait for
# one reply" and a server line as "read these bytes".
for path in sorted(fixtures.glob("*.txt")):
    ops = bytearray()
    pop3 = False
    for line in path.read_text(encoding="utf-8").splitlines():
        data = line[3:].encode()
        if line.startswith("C: "):
            data = data[:63]
            ops += bytes([0 | (1 << 3), len(data)]) + data
        elif line.startswith("S: "):
            pop3 = pop3 or line.startswith("S: +OK")
            data = (data + b"\r\n")[:255]
            ops += bytes([1, len(data)]) + data
    if ops:
        write("client_connection", bytes([1 if pop3 else 0]) + bytes(ops))

for subject in ["测试邮件", "Hello 世界", "=?UTF-8?B?5rWL6K+V?=", "=?GBK?B?suLK1A==?=",
                "plain ascii subject", "Ünïcødé — long " * 8]:
    write("rfc2047", subject.encode())
for body in [b"", b"Hi\r\n", b".\r\n", b"a\r\n.\r\nMAIL FROM:<x@y>\r\n", b"a\n.\r\nb",
             b"a\r.\r\nb", b"..two\r\n.", b"no newline"]:
    write("dot_stuffing", body)
for prompt in [b"VXNlcm5hbWU6", b"UGFzc3dvcmQ6", b"dXNlcm5hbWU6", b"AHVzZXIAcGFzcw==", b"====", b"\x01user\x01pass"]:
    write("base64_auth", prompt)
for path in [b"<a@b.c>", b"a@b.c", b"<>", b"\"Zhang San\" <zhang@qq.com>", b"MAIL FROM:<a@b> SIZE=100",
             b"RCPT TO:<a@b>", b"AUTH PLAIN AHVzZXIAcGFzcw==", b"EHLO me", b"HELO \xe5\xad\xa6"]:
    write("smtp_command", path)

# Whole sessions against the practice server's accounts (student@mailtutor.test / secret).
b64 = lambda b: __import__("base64").b64encode(b).decode()
send = ("EHLO me\r\nAUTH LOGIN\r\n" + b64(b"student@mailtutor.test") + "\r\n" + b64(b"secret")
        + "\r\nMAIL FROM:<student@mailtutor.test>\r\nRCPT TO:<teacher@mailtutor.test>\r\nDATA\r\n"
        "Subject: hi\r\n\r\n..dot\r\nbody\n.\nstill body\r\n.\r\nQUIT\r\n")
plain = ("EHLO me\r\nAUTH PLAIN " + b64(b"\0student@mailtutor.test\0secret")
         + "\r\nMAIL FROM:<a@b> SIZE=10\r\nRCPT TO:<teacher@mailtutor.test>\r\n"
         "BDAT 5\r\nhello\r\nBDAT 0 LAST\r\nRSET\r\nSTARTTLS\r\nNOOP\r\n")
for flags in [0, 1, 2, 6, 17, 33]:
    write("server_smtp", bytes([flags, 2, 7, 13]) + send.encode())
    write("server_smtp", bytes([flags, 0]) + plain.encode())
pop = ("CAPA\r\nUSER student@mailtutor.test\r\nPASS secret\r\nSTAT\r\nLIST\r\nUIDL\r\nRETR 1\r\n"
       "TOP 2 0\r\nDELE 1\r\nRETR 1\r\nLIST 9\r\nRSET\r\nDELE 3\r\nQUIT\r\n")
for flags in [0, 1, 4, 17, 32]:
    write("server_pop3", bytes([flags, 1, 5]) + pop.encode())
    write("server_pop3", bytes([flags, 0]) + b"STLS\r\nUSER x\r\nPASS y\r\nAPOP a b\r\nQUIT\r\n")

# The real captures of the practice server (scripts/capture-fixtures.sh): pcap and pcapng.
for path in sorted((root.parent / "tests" / "fixtures" / "captures").glob("*.pcap*")):
    write("capture_read", path.read_bytes())

# Messages as the composer and real clients write them: multipart, RFC 2231 and RFC 2047
# names, an mbox line before the header, a boundary that never comes.
msg = ("MIME-Version: 1.0\r\nContent-Type: multipart/mixed; boundary=\"b\"\r\n\r\n--b\r\n"
       "Content-Type: multipart/alternative; boundary=c\r\n\r\n--c\r\nContent-Type: text/plain;"
       " charset=utf-8\r\nContent-Transfer-Encoding: quoted-printable\r\n\r\ncaf=C3=A9\r\n--c\r\n"
       "Content-Type: text/html\r\n\r\n<p>x</p>\r\n--c--\r\n--b\r\nContent-Type: text/plain;"
       " name*0*=utf-8''%E4%BD; name*1*=%9C.txt\r\nContent-Disposition: attachment;"
       " filename=\"=?UTF-8?B?5L2c5Lia?=.txt\"\r\nContent-Transfer-Encoding: base64\r\n\r\n"
       "aGVsbG8=\r\n--b\r\nContent-Type: message/rfc822\r\n\r\nSubject: in\r\n\r\nbody\r\n--b--\r\n")
write("mime_tree", msg.encode())
write("mime_tree", b"From a@b Mon Feb  8 02:53:47 1993\n" + msg.encode())
write("mime_tree", b"Content-Type: multipart/mixed; boundary=x\r\n\r\nno boundary here\r\n")
