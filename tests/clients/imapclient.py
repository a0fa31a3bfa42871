#!/usr/bin/env python3
"""Python's imaplib against the practice server's IMAP side, as a student's program would use
it. Each step checks what came back and says which step failed. Usage:

  imapclient.py --port P --security plain|starttls|ssl --cafile server.pem
                --user U --password W --sent N --expected-dir DIR

DIR holds the N messages sent before (1.eml … N.eml, as the server stored them); the session
fetches each, marks, deletes and expunges, then checks in a second session that flags, UIDs
and UIDVALIDITY lasted."""
import argparse
import imaplib
import pathlib
import re
import ssl
import sys


def check(cond, what):
    if not cond:
        print(f"FAILED: {what}")
        sys.exit(1)


def ok(result, what):
    typ, data = result
    check(typ == "OK", f"{what}: {typ} {data!r}")
    return data


def connect(a):
    context = ssl.create_default_context(cafile=a.cafile)
    context.check_hostname = False
    if a.security == "ssl":
        return imaplib.IMAP4_SSL("127.0.0.1", a.port, ssl_context=context)
    m = imaplib.IMAP4("127.0.0.1", a.port)
    if a.security == "starttls":
        check("STARTTLS" in m.capabilities, f"STARTTLS offered: {m.capabilities}")
        ok(m.starttls(context), "STARTTLS")
    return m


def main():
    p = argparse.ArgumentParser()
    p.add_argument("--port", type=int, required=True)
    p.add_argument("--security", default="plain")
    p.add_argument("--cafile")
    p.add_argument("--user", required=True)
    p.add_argument("--password", required=True)
    p.add_argument("--sent", type=int, required=True)
    p.add_argument("--expected-dir", required=True)
    a = p.parse_args()
    expected = [
        (pathlib.Path(a.expected_dir) / f"{i}.eml").read_bytes() for i in range(1, a.sent + 1)
    ]

    m = connect(a)
    try:
        m.login(a.user, "not-the-password")
        check(False, "a wrong password was accepted")
    except imaplib.IMAP4.error as e:
        check("AUTHENTICATIONFAILED" in str(e), f"wrong password: {e}")
    ok(m.login(a.user, a.password), "LOGIN")
    boxes = ok(m.list(), "LIST")
    check(any(b"INBOX" in b for b in boxes), f"LIST shows INBOX: {boxes}")
    data = ok(m.select("INBOX"), "SELECT")
    check(data == [str(a.sent).encode()], f"SELECT EXISTS {data}")
    uidvalidity = m.untagged_responses.get("UIDVALIDITY", [b"?"])[0]
    check(ok(m.search(None, "ALL"), "SEARCH ALL") == [" ".join(str(i) for i in range(1, a.sent + 1)).encode()], "SEARCH ALL")
    check(ok(m.search(None, "UNSEEN"), "SEARCH UNSEEN") == ok(m.search(None, "ALL"), "SEARCH ALL"), "all unseen at first")
    found = ok(m.search(None, "SUBJECT", '"number 2"'), "SEARCH SUBJECT")
    check(found == [b"2"], f"SEARCH SUBJECT number 2: {found}")

    # Every message comes back byte for byte; PEEK leaves it unseen.
    for i, want in enumerate(expected, start=1):
        data = ok(m.fetch(str(i), "(BODY.PEEK[] RFC822.SIZE ENVELOPE BODYSTRUCTURE UID)"), f"FETCH {i}")
        head, body = data[0]
        head = head + b"".join(x if isinstance(x, bytes) else x[0] for x in data[1:])
        check(body == want, f"FETCH {i} BODY[] is the stored message ({len(body)} vs {len(want)} bytes)")
        check(f"RFC822.SIZE {len(want)}".encode() in head, f"FETCH {i} size: {head!r}")
        check(b"ENVELOPE (" in head and b"BODYSTRUCTURE (" in head, f"FETCH {i}: {head!r}")
    check(ok(m.search(None, "SEEN"), "SEARCH SEEN") == [b""], "PEEK marks nothing seen")

    # BODY[TEXT] without PEEK marks the message seen, and says so.
    data = ok(m.fetch("1", "(BODY[TEXT])"), "FETCH BODY[TEXT]")
    check(b"\\Seen" in b"".join(x if isinstance(x, bytes) else x[0] for x in data), f"FETCH shows \\Seen: {data}")
    data = ok(m.fetch("2", "(BODY.PEEK[HEADER.FIELDS (SUBJECT)])"), "FETCH HEADER.FIELDS")
    check(data[0][1].startswith(b"Subject: number 2"), f"HEADER.FIELDS: {data}")
    data = ok(m.store("2", "+FLAGS", "(\\Flagged)"), "STORE +FLAGS")
    check(b"\\Flagged" in data[0], f"STORE answer: {data}")
    uids = ok(m.uid("SEARCH", None, "ALL"), "UID SEARCH")[0].split()
    ok(m.uid("STORE", uids[-1], "+FLAGS", "(\\Deleted)"), "UID STORE \\Deleted")
    gone = ok(m.expunge(), "EXPUNGE")
    check(gone == [str(a.sent).encode()], f"EXPUNGE removes the last: {gone}")
    typ, data = m.copy("1", "Archive")
    check(typ == "NO" and b"TRYCREATE" in data[0], f"COPY to a mailbox that is not there: {typ} {data}")
    status = ok(m.status("INBOX", "(MESSAGES UNSEEN UIDVALIDITY)"), "STATUS")[0].decode()
    check(f"MESSAGES {a.sent - 1}" in status and f"UNSEEN {a.sent - 2}" in status, f"STATUS: {status}")
    ok(m.close(), "CLOSE")
    m.logout()

    # A second session: the flags, the UIDs and UIDVALIDITY lasted; EXAMINE changes nothing.
    m = connect(a)
    ok(m.login(a.user, a.password), "LOGIN again")
    ok(m.select("INBOX", readonly=True), "EXAMINE")
    check(m.untagged_responses.get("UIDVALIDITY", [b"!"])[0] == uidvalidity, "UIDVALIDITY kept")
    data = ok(m.fetch("1:*", "(UID FLAGS)"), "FETCH FLAGS")
    flags = b" ".join(data)
    check(re.search(rb"1 \(UID 1 FLAGS \(\\Seen\)\)", flags), f"message 1 kept \\Seen: {flags}")
    check(re.search(rb"2 \(UID 2 FLAGS \(\\Flagged\)\)", flags), f"message 2 kept \\Flagged: {flags}")
    typ, data = m.store("1", "+FLAGS", "(\\Deleted)")
    check(typ == "NO" and b"READ-ONLY" in data[0], f"STORE after EXAMINE: {typ} {data}")
    m.logout()
    print(f"imaplib: {a.sent} messages fetched, flagged, expunged and read again")


main()
