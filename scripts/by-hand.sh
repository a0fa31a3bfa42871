#!/usr/bin/env bash
# Drives the real window under Xvfb the way a person does, with a mouse and a keyboard
# (xdotool): on a first start lesson 1 opens, and is done the telnet way, typing every line in
# the raw line box (the base64 and the blank line included), its ticks read from the session's
# HTML page; then lesson 6 the same way in Chinese and in English, and lesson 1 in Chinese;
# then opens a tutorial page
# saved whole (Ctrl+O, the path typed, Enter), a German POP3 session and a classmate's server's
# the same way, a tcpdump capture the same way, and a log chosen
# in the system's file dialog; does lesson 10 and lesson 11 (the attachment's base64 made in
# the Base64 panel, copied and pasted);
# then clicks A+ and A- twice each; runs a lab on the Class tab (three students' programs
# scored live, grades saved). Each time it
# saves the annotated transcript (Ctrl+S, Ctrl+A, the path typed, Enter) and checks what was
# saved. Screenshots in DIR.
#   scripts/by-hand.sh [DIR]   (default target/by-hand)
set -euo pipefail
cd "$(dirname "$0")/.."
shots=$(realpath -m "${1:-target/by-hand}")
scripts/setup-debian.sh zenity
cargo build --bin mailtutor
bin=$PWD/target/debug/mailtutor
mkdir -p "$shots"
work=$(mktemp -d)
display=:92
Xvfb "$display" -screen 0 1280x800x24 -nolisten tcp >/dev/null 2>&1 &
xvfb=$!
app=
trap 'kill $app $xvfb 2>/dev/null || true; rm -rf "$work"' EXIT
export DISPLAY=$display XDG_DATA_HOME=$work XDG_CONFIG_HOME=$work LANG=en_US.UTF-8
for _ in $(seq 50); do xdpyinfo >/dev/null 2>&1 && break; sleep 0.1; done
fail() { echo "FAIL: $*" >&2; exit 1; }

# save FILE: Ctrl+S, the path typed over the default, Enter; waits for the file.
save() {
    xdotool key ctrl+s
    sleep 0.5
    xdotool key ctrl+a
    xdotool type --delay 20 "$1"
    xdotool key Return
    for _ in $(seq 100); do [ -s "$1" ] && break; sleep 0.1; done
    [ -s "$1" ] || fail "Ctrl+S and Enter saved nothing"
    xdotool key ctrl+s
    sleep 0.3
}

cp tests/fixtures/pages/tutorial-163-coolnull.txt "$work/page.txt"
"$bin" >"$work/window.log" 2>&1 &
app=$!
win=$(timeout 60 xdotool search --sync --onlyvisible --name '^mailtutor$' | head -n 1)
[ -n "$win" ] || fail "the window did not open"
xdotool windowmove "$win" 0 0 windowsize "$win" 1280 800
sleep 1
xdotool windowfocus --sync "$win"

# holds FILE TEXT...: fails, showing FILE, unless it holds every TEXT.
holds() {
    local file=$1 want
    shift
    for want in "$@"; do
        grep -qF -- "$want" "$file" || { cat "$file" >&2; fail "no '$want' in $file"; }
    done
}

# open_typed FILE: Ctrl+O, the path typed over what the field holds, Enter; waits for the read.
open_typed() {
    xdotool key ctrl+o
    sleep 0.5
    xdotool key ctrl+a
    xdotool type --delay 20 "$1"
    xdotool key Return
    sleep 2
}

# type_lines LINE...: each line typed in the raw line box and sent with Enter (an empty one
# is Enter alone).
type_lines() {
    xdotool mousemove 630 572 click 1
    sleep 0.3
    for line in "$@"; do
        [ -z "$line" ] || xdotool type --delay 15 -- "$line"
        xdotool key Return
        sleep 0.7
    done
    sleep 1
}

# ticks FILE NAME STEPS: the running lesson's ticks, read from the session's HTML page (saved
# to FILE with the window in English, the places of the form's fields): all STEPS done.
ticks() {
    xdotool mousemove 968 13 click 1
    sleep 0.8
    xdotool key ctrl+s
    sleep 0.5
    xdotool mousemove 373 142 click 1
    sleep 0.3
    xdotool mousemove 530 118 click 1
    xdotool key ctrl+a
    xdotool type --delay 20 "$1"
    xdotool key Return
    for _ in $(seq 100); do [ -s "$1" ] && break; sleep 0.1; done
    # Back to the annotated text for the saves below.
    xdotool mousemove 816 118 click 1
    sleep 0.3
    xdotool key ctrl+s
    grep -qF "$2" "$1" || { cat "$1" >&2; fail "the page is not the lesson '$2'"; }
    local done todo
    done=$(grep -o 'class="done"' "$1" | wc -l || true)
    todo=$(grep -o 'class="todo"' "$1" | wc -l || true)
    [ "$done" -eq "$3" ] && [ "$todo" -eq 0 ] ||
        { cat "$1" >&2; fail "'$2' typed by hand: $done steps ticked, $todo not"; }
}

# choose LANG Y: back to the lessons, the language switched (en or zh), the lesson at height Y
# of the list chosen, and Connect (its place depends on the language).
choose() {
    xdotool mousemove 1010 170 click 1
    sleep 0.5
    if [ "$1" = zh ]; then xdotool mousemove 1044 13 click 1; else xdotool mousemove 968 13 click 1; fi
    sleep 0.8
    xdotool mousemove 1050 "$2" click 1
    sleep 0.5
    if [ "$1" = zh ]; then xdotool mousemove 899 40 click 1; else xdotool mousemove 951 40 click 1; fi
    sleep 2
}

user64=$(printf %s student@mailtutor.test | base64)
pass64=$(printf %s secret | base64)
lesson1=("HELO me" "AUTH LOGIN" "$user64" "$pass64" "MAIL FROM:<student@mailtutor.test>"
    "RCPT TO:<teacher@mailtutor.test>" DATA "From: student@mailtutor.test"
    "To: teacher@mailtutor.test" "Subject: typed by hand" "" "Hello." "." QUIT)
lesson6=("HELO mypc" "MAIL FROM:<student@mailtutor.test>" "RCPT TO:<teacher@mailtutor.test>"
    DATA "From: <student@mailtutor.test>" "To: <teacher@mailtutor.test>"
    "Subject: Typed by hand" "" "Hello, typed one line at a time." "." QUIT)

# A first start opens lesson 1. It is done the telnet way: Connect, then every line typed in
# the raw line box and sent with Enter: the base64 of the username and the password made
# here, the blank line between the headers and the body included.
xdotool mousemove 951 40 click 1
sleep 2
type_lines "${lesson1[@]}"
import -window root "$shots/lesson-1-typed.png"
save "$work/telnet.txt"
grep -A3 -F 'C: Subject: typed by hand' "$work/telnet.txt" | grep -qF 'blank line: the headers end here' ||
    { cat "$work/telnet.txt" >&2; fail "the blank line was not sent"; }
holds "$work/telnet.txt" 'S: 235 2.7.0 Authentication successful' 'S: 250 2.0.0 Ok: queued' 'S: 221'
ticks "$work/lesson.html" 'Send a mail, command by command' 10
echo "ok: lesson 1 done in English by typing every line, blank line and all: 10 of 10 steps ticked"

# Lesson 6, "The telnet way", in Chinese, then in English; lesson 1 again in Chinese.
choose zh 413
type_lines "${lesson6[@]}"
xdotool mousemove 640 300
sleep 0.3
import -window root "$shots/lesson-6-zh.png"
ticks "$work/lesson6-zh.html" 'The telnet way' 7
echo "ok: lesson 6 done in Chinese by typing every line, blank line and all: 7 of 7 steps ticked"
choose en 413
type_lines "${lesson6[@]}"
ticks "$work/lesson6-en.html" 'The telnet way' 7
echo "ok: lesson 6 done in English by typing every line: 7 of 7 steps ticked"
choose zh 177
type_lines "${lesson1[@]}"
import -window root "$shots/lesson-1-zh.png"
ticks "$work/lesson1-zh.html" 'Send a mail, command by command' 10
echo "ok: lesson 1 done in Chinese by typing every line: 10 of 10 steps ticked"
# After QUIT the connection is closed, so the opened page may replace the session. Enter in
# the empty path field first: the field says what it wants and keeps the keyboard, so the
# path typed next lands in it.

xdotool key ctrl+o
sleep 0.5
xdotool key Return
sleep 0.5
import -window root "$shots/open-empty.png"
xdotool type --delay 20 "$work/page.txt"
xdotool key Return
sleep 2
save "$work/saved.txt"
xdotool mousemove 1279 799
sleep 0.5
import -window root "$shots/open-page.png"
saved=$work/saved.txt
holds "$saved" \
    'S: 220 163.com Anti-spam GT for Coremail System' \
    'C: helo fan2' \
    'S: 235 Authentication successful' \
    '`subject:` 编辑邮件主题。   (text around the session, never sent to the server)' \
    'Connection closed by foreign host.   (printed by telnet itself'
if grep -qF 'not a command the server knows' "$saved"; then
    cat "$saved" >&2
    fail "a line of the page was called a command"
fi
echo "ok: opened a tutorial page and saved it by keyboard; screenshot $shots/open-page.png"

# A library's log whose chatter prints a password setting: opened by keyboard, the password
# is masked in the window's transcript and in what is saved from it.
grep -v '^# ' tests/fixtures/logs/javamail-4.txt >"$work/javamail.txt"
open_typed "$work/javamail.txt"
xdotool mousemove 1279 799
sleep 0.5
import -window root "$shots/log-password-masked.png"
save "$work/javamail-saved.txt"
grep -qF '{pass=********, userName=' "$work/javamail-saved.txt" ||
    { cat "$work/javamail-saved.txt" >&2; fail "the password setting in the log's chatter is not masked"; }
if grep -qF 'S15cQFO8kk50FKj' "$work/javamail-saved.txt"; then
    fail "a password from the log's chatter was saved"
fi
echo "ok: a log with a password in its chatter opened by keyboard: the password is masked"

# A POP3 session pasted from a terminal, opened by keyboard: where the server's words name no
# cause, the session shows it (PASS sent with no password; a message number above STAT's count).
printf '%s\n' '+OK POP3 ready' 'USER alice' '+OK' 'PASS' '-ERR Must send password' \
    'USER alice' '+OK' 'PASS secret' '+OK logged in' 'STAT' '+OK 2 320' 'RETR 7' \
    '-ERR That does not compute.' 'QUIT' '+OK bye' >"$work/pop3.txt"
open_typed "$work/pop3.txt"
save "$work/pop3-saved.txt"
holds "$work/pop3-saved.txt" 'the session shows why: the server could not read the command' \
    'the session shows why: no message has that number'
if grep -qF 'password is wrong' "$work/pop3-saved.txt"; then
    fail "PASS with no password was explained as a wrong password"
fi
echo "ok: a POP3 session opened by keyboard: the session shows the causes its words do not name"

# A pasted session whose server writes its Chinese text right after the code, and a check the
# server could not run: both are replies, read by their words.
# Its EHLO reply was pasted without its last line, and a 5xx names the server's own failure.
printf '%s\n' '220 mail.example.cn ESMTP' 'EHLO me' '250-mail.example.cn' '250-PIPELINING' \
    'MAIL FROM:<a@example.cn>' '250 ok' \
    'RCPT TO:<nobody@example.cn>' '550用户不存在' 'RCPT TO:<b@example.cn>' '250 ok' 'DATA' \
    '354 go ahead' 'Subject: t' '' 'hi' '.' '451 4.3.0 Unable to connect to the spam filter' \
    'MAIL FROM:<a@example.cn>' '250 ok' 'RCPT TO:<c@example.cn>' '554 5.0.0 Internal server error' \
    >"$work/cn.txt"
open_typed "$work/cn.txt"
xdotool mousemove 1279 799
sleep 0.5
import -window root "$shots/open-cut-reply.png"
save "$work/cn-saved.txt"
holds "$work/cn-saved.txt" 'S: 550用户不存在' 'the user does not exist' \
    'a temporary problem on the server' 'the reply ends here without its last line' \
    'Sender accepted' "the server's words put the fault in the server itself"
if grep -qF 'judged the message' "$work/cn-saved.txt"; then
    fail "a spam filter the server could not reach was explained as spam"
fi
echo "ok: a reply cut before its last line, one written right after its code, a check that could not run and a server's internal error, opened by keyboard"

# A German POP3 server's session, pasted and opened by keyboard: its words are read as English
# ones are (a password it calls invalid, a message number it does not have).
printf '%s\n' '+OK POP3 bereit' 'USER alice' '+OK' 'PASS falsch' '-ERR Passwort ist ungültig' \
    'USER alice' '+OK' 'PASS secret' '+OK angemeldet' 'RETR 7' \
    '-ERR Keine Nachricht mit der Nummer 7 vorhanden' 'QUIT' '+OK bye' >"$work/de.txt"
open_typed "$work/de.txt"
# The refused RETR's row, clicked: its whole explanation shows under the transcript.
xdotool mousemove 707 397 click 1
sleep 0.5
xdotool mousemove 1279 799
sleep 0.5
import -window root "$shots/open-other-language.png"
save "$work/de-saved.txt"
holds "$work/de-saved.txt" 'S: -ERR Passwort ist ungültig' \
    "the server's words “Passwort ist ungültig” say why: the server did not accept the login" \
    "the server's words “Keine Nachricht mit der Nummer 7 vorhanden” say why: no message has that number"
echo "ok: a German POP3 session opened by keyboard: a refused password and a missing message are read from its words"

# A classmate's POP3 server that signs its failures "+ERR" and "ERR", opened by keyboard: each
# is read as the failure its word says, with a warning of what is wrong with it.
printf '%s\n' '+OK POP3 ready' 'USER alcie' '+ERR No such user' 'USER alice' '+OK' 'PASS secret' \
    '+OK' 'STAT' 'ERR' 'QUIT' '+OK bye' >"$work/mate.txt"
open_typed "$work/mate.txt"
# Scrolled to the top, the "+ERR" row clicked: its explanation shows under the transcript.
xdotool mousemove 650 300
for _ in $(seq 10); do xdotool click 4; done
sleep 0.5
xdotool mousemove 580 223 click 1
sleep 0.5
xdotool mousemove 1279 799
sleep 0.5
import -window root "$shots/open-classmate-server.png"
save "$work/mate-saved.txt"
holds "$work/mate-saved.txt" 'S: +ERR No such user' 'no account by this name' \
    '“+ERR” is no POP3 status' '“ERR” without its “-” is no POP3 status'
echo "ok: a classmate's POP3 server opened by keyboard: its '+ERR' and 'ERR' read as failures, with what is wrong with them"

# A classmate's SMTP server answering commands out of their place, opened by keyboard: what the
# session shows (EHLO sent alone, RCPT TO before MAIL FROM, MAIL FROM without any AUTH) is the
# cause, not its words.
printf '%s\n' '220 Welcome to SMTP' 'EHLO' '502 5.5.2 Error: Command Not Recognized' \
    'HELO client.example.org' '250 Ok' 'RCPT TO:<bob@example.com>' \
    '501 Invalid Command "RCPT TO:<bob@example.com>"' 'MAIL FROM:<alice@example.org>' \
    '530 5.7.0 Authentication failed' >"$work/order.txt"
open_typed "$work/order.txt"
# Scrolled to the end, the refused RCPT TO's row clicked: its whole explanation shows under
# the transcript.
xdotool mousemove 650 300
for _ in $(seq 10); do xdotool click 5; done
sleep 0.5
xdotool mousemove 700 350 click 1
sleep 0.5
xdotool mousemove 1279 799
sleep 0.5
import -window root "$shots/open-out-of-order.png"
# "Back to the newest reply" clicked: the 530 to MAIL FROM, in a session that sent no AUTH.
xdotool mousemove 184 632 click 1
sleep 0.5
xdotool mousemove 1279 799
sleep 0.5
import -window root "$shots/open-without-login.png"
save "$work/order-saved.txt"
holds "$work/order-saved.txt" 'the argument of EHLO/HELO' \
    'the session shows why: the command came out of order' \
    'the session shows why: the server takes mail only from users who logged in'
if grep -qF 'RFC 821' "$work/order-saved.txt"; then
    fail "EHLO sent alone was explained as a server without EHLO"
fi
if grep -qF 'credentials are not valid' "$work/order-saved.txt"; then
    fail "a 530 to MAIL FROM in a session that sent no AUTH was explained as a wrong password"
fi
echo "ok: a classmate's SMTP server opened by keyboard: EHLO sent alone, RCPT TO before MAIL FROM and MAIL FROM without AUTH read from the session"

# A classmate's POP3 server that refuses in one or two words, opened by keyboard: the command
# refused gives the cause (STLS: no TLS; AUTH: the mechanism), and a served LIST without PASS
# shows the session let in and which message numbers it has.
printf '%s\n' '+OK POP3 server ready.' 'CAPA' '+OK list of capabilities' 'STLS' 'SASL PLAIN' \
    '.' 'STLS' '-ERR not available' 'AUTH CRAM-MD5' '-ERR not supported.' 'USER bob' '+OK' \
    'LIST' '+OK' '1 512' '2 734' '.' 'RETR 3' '-ERR file' >"$work/bare.txt"
open_typed "$work/bare.txt"
xdotool mousemove 1279 799
sleep 0.5
import -window root "$shots/open-bare-refusals.png"
save "$work/bare-saved.txt"
holds "$work/bare-saved.txt" 'the server cannot start TLS now' \
    'the login method named after AUTH is one this server does not offer' \
    'the session shows why: no message has that number'
if grep -qF 'Not logged in yet' "$work/bare-saved.txt"; then
    fail "a RETR after a served LIST was explained as a command before the login"
fi
echo "ok: a classmate's POP3 server's one-word refusals opened by keyboard: read from the command refused and the session"

# A capture tcpdump made of swaks sending to the practice server, opened by keyboard (Ctrl+O,
# the path typed, Enter): saved, each line is beside its packet number, the 334 prompt
# decoded and the password masked.
open_typed "$PWD/tests/fixtures/captures/smtp-swaks-auth-login.pcap"
xdotool mousemove 1279 799
sleep 0.5
import -window root "$shots/capture-opened.png"
save "$work/capture-saved.txt"
grep -E '^ +10 .*S: 334 VXNlcm5hbWU6' "$work/capture-saved.txt" >/dev/null &&
    grep -qF 'Username:' "$work/capture-saved.txt" &&
    grep -E '^ +13 .*C: \*{8}$' "$work/capture-saved.txt" >/dev/null ||
    { cat "$work/capture-saved.txt" >&2; fail "the capture opened by hand is not annotated with its packets"; }
echo "ok: a tcpdump capture opened by keyboard: packet numbers, the prompt decoded, the password masked"

# An IIS SMTP service log pasted without its #Fields line: the session IIS opened is read from
# its outbound rows, the command and the reply each on its side.
grep -v '^# ' tests/fixtures/logs/iis-smtpsvc-1.txt >"$work/iis.log"
open_typed "$work/iis.log"
save "$work/iis-saved.txt"
holds "$work/iis-saved.txt" 'C: MAIL FROM:<MillionairesBlueprint@earthlink.com> SIZE=1722' \
    'S: 421 4.7.0 [TSS04] Messages from'
echo "ok: an IIS SMTP log opened by keyboard: its outbound command and reply on their sides"


# A session log chosen in the system's file dialog (zenity here, as on a Linux desktop without
# a portal): Ctrl+O, Browse…, the path typed in the dialog, Enter; the window keeps drawing
# while the dialog is open.
cp tests/fixtures/transcripts/qq-failed.txt "$work/dialog-log.txt"
xdotool key ctrl+o
sleep 0.5
xdotool mousemove 820 119 click 1
dialog=$(timeout 20 xdotool search --sync --onlyvisible --name '^zenity$|Select' | head -n 1) ||
    fail "Browse… opened no file dialog"
# A dialog is mapped before it takes keys: give it time to be ready.
sleep 2
import -window root "$shots/file-dialog.png"
xdotool windowfocus --sync "$dialog"
sleep 0.5
# Ctrl+L opens the dialog's location field; the path is typed there, then Enter.
xdotool key ctrl+l
sleep 0.5
xdotool type --delay 30 "$work/dialog-log.txt"
sleep 0.5
xdotool key Return
for _ in $(seq 50); do
    xdotool search --onlyvisible --name '^zenity$' >/dev/null 2>&1 || break
    sleep 0.2
done
xdotool windowfocus --sync "$win"
opened=
for _ in 1 2 3 4 5; do
    sleep 1
    rm -f "$work/dialog.txt"
    save "$work/dialog.txt"
    if grep -qF 'smtp.qq.com' "$work/dialog.txt"; then opened=1; break; fi
done
[ -n "$opened" ] ||
    { cat "$work/dialog.txt" >&2; fail "the log chosen in the file dialog was not opened"; }
echo "ok: a session log chosen in the system's file dialog was opened"

# A+ clicked twice and A- clicked twice, each time without moving the mouse (as a teacher
# does at a projector): the zoom goes up and back, and the language stays.
header() { import -window root -crop 500x30+780+0 "$1"; }
xdotool mousemove 640 300
sleep 0.5
header "$work/header-before.png"
xdotool mousemove 1254 13 click 1
sleep 0.8
xdotool click 1
sleep 0.8
xdotool mousemove 640 300
sleep 0.5
import -window root "$shots/zoomed.png"
header "$work/header-zoomed.png"
xdotool mousemove 1140 13 click 1
sleep 0.8
xdotool click 1
sleep 0.8
xdotool mousemove 640 300
sleep 0.5
header "$work/header-after.png"
same() { [ "$(compare -metric AE -fuzz 5% "$1" "$2" null: 2>&1 || true)" = 0 ]; }
! same "$work/header-before.png" "$work/header-zoomed.png" || fail "A+ clicked twice did not zoom"
same "$work/header-before.png" "$work/header-after.png" ||
    { cp "$work"/header-*.png "$shots/"; fail "A+ twice then A- twice did not come back to 100% in English"; }
echo "ok: A+ and A- clicked twice without moving the mouse: zoomed in and back, language kept"

# An IMAP session opened by keyboard is read as IMAP: each response explained, the state
# followed, the password masked in what is saved.
save "$work/before-imap.txt"
grep -v '^# ' tests/fixtures/logs/imap-rfc3501-1.txt >"$work/imap.log"
open_typed "$work/imap.log"
import -window root "$shots/open-imap.png"
save "$work/imap-saved.txt"
holds "$work/imap-saved.txt" 'a001 login mrc ********' 'Now in mailbox inbox' \
    'The mailbox is selected read-write'
if grep -qF 'not a command' "$work/imap-saved.txt" || grep -qF 'mrc secret' "$work/imap-saved.txt"; then
    cat "$work/imap-saved.txt" >&2
    fail "the opened IMAP log was misread or its password saved"
fi
echo "ok: an IMAP log opened by keyboard is read as IMAP, its password masked"

# The window's own practice server speaks IMAP: its Practice tab lists the port, and a telnet
# session there, typed with a student's mistakes (no tag, FETCH before SELECT), is answered in
# words; the password typed without a tag is not echoed.
xdotool mousemove 989 113 click 1
sleep 1
import -window root "$shots/practice-imap.png"
python3 - "$app" <<'PY' || fail "the window's practice server did not answer IMAP as it should"
import os, socket, sys, time
pid = sys.argv[1]
inodes = {os.readlink(f"/proc/{pid}/fd/{fd}")[8:-1] for fd in os.listdir(f"/proc/{pid}/fd")
          if os.readlink(f"/proc/{pid}/fd/{fd}").startswith("socket:[")}
ports = []
for row in open("/proc/net/tcp").read().splitlines()[1:]:
    f = row.split()
    if f[3] == "0A" and f[9] in inodes:
        ports.append(int(f[1].split(":")[1], 16))
for port in ports:
    s = socket.create_connection(("127.0.0.1", port), timeout=2)
    try:
        greeting = s.recv(4096)
    except OSError:
        greeting = b""
    if not greeting.startswith(b"* OK"):
        s.close()
        continue
    def say(line):
        s.sendall(line + b"\r\n")
        time.sleep(0.3)
        return s.recv(65536)
    r = say(b"LOGIN teacher@mailtutor.test secret")
    assert b"Missing tag" in r and b"secret" not in r, r
    r = say(b"a1 LOGIN teacher@mailtutor.test secret")
    assert r.startswith(b"a1 OK"), r
    r = say(b"a2 FETCH 1 FLAGS")
    assert b"SELECT INBOX first" in r, r
    r = say(b"a3 SELECT INBOX")
    assert b"a3 OK [READ-WRITE]" in r, r
    print(f"ok: IMAP on 127.0.0.1:{port} answered a telnet session typed with mistakes")
    sys.exit(0)
sys.exit(f"no listening port of the window greets as IMAP: {ports}")
PY

# IMAP in the window: the protocol chosen with the mouse, Connect, then lines typed in the raw
# line box (a tagged LOGIN, SELECT, a command without its tag, LOGOUT): each is tagged as typed,
# the password masked, the mistake named, the state followed.
xdotool mousemove 372 40 click 1
sleep 0.5
xdotool mousemove 371 116 click 1
sleep 0.5
xdotool mousemove 951 40 click 1
sleep 2
type_lines "a1 LOGIN teacher@mailtutor.test secret" "a2 SELECT INBOX" "FETCH 1 FLAGS" "a3 LOGOUT"
import -window root "$shots/imap-typed.png"
save "$work/imap-typed.txt"
holds "$work/imap-typed.txt" 'C: a1 LOGIN teacher@mailtutor.test ********' \
    'Now in mailbox INBOX' '(!) No tag' 'S: a3 OK LOGOUT completed'
if grep -qF 'secret' "$work/imap-typed.txt"; then
    cat "$work/imap-typed.txt" >&2
    fail "the IMAP password typed by hand was saved unmasked"
fi
echo "ok: an IMAP session typed in the window is tagged, masked and explained line by line"

# Lesson 10, "POP3 against IMAP", by hand in a fresh window (its first start opens lesson 1,
# left with a click): the lesson list scrolled with the wheel to its last lesson, every line
# typed, the protocol switched twice with the mouse in the connection bar.
kill "$app" 2>/dev/null || true
wait "$app" 2>/dev/null || true
fresh=$(mktemp -d -p "$work")
XDG_DATA_HOME=$fresh XDG_CONFIG_HOME=$fresh "$bin" >"$work/window2.log" 2>&1 &
app=$!
win=$(timeout 60 xdotool search --sync --onlyvisible --name '^mailtutor$' | head -n 1)
[ -n "$win" ] || fail "the window did not open again"
xdotool windowmove "$win" 0 0 windowsize "$win" 1280 800
sleep 1
xdotool windowfocus --sync "$win"
xdotool mousemove 1016 171 click 1
sleep 0.7
xdotool mousemove 1100 400
for _ in $(seq 10); do xdotool click 5; sleep 0.1; done
sleep 0.7
xdotool mousemove 1060 336 click 1
sleep 1.5
xdotool mousemove 951 40 click 1
sleep 2
type_lines "a2 LOGIN student@mailtutor.test secret" 'a3 LIST "" *' "a4 SELECT INBOX" \
    'a5 STORE 1 +FLAGS (\Seen)' "a6 MOVE 2 Trash" 'a7 STORE 2 +FLAGS (\Deleted)' "a8 LOGOUT"
xdotool mousemove 372 40 click 1
sleep 0.6
xdotool mousemove 372 92 click 1
sleep 0.5
xdotool mousemove 951 40 click 1
sleep 2
type_lines "USER student@mailtutor.test" "PASS secret" STAT "RETR 2" "DELE 1" QUIT
xdotool mousemove 372 40 click 1
sleep 0.6
xdotool mousemove 371 116 click 1
sleep 0.5
xdotool mousemove 951 40 click 1
sleep 2
type_lines "b1 LOGIN student@mailtutor.test secret" "b2 SELECT INBOX" "a4 FETCH 1 FLAGS" \
    "a5 STATUS Trash (MESSAGES)" "b6 LOGOUT"
xdotool mousemove 640 300
sleep 0.3
import -window root "$shots/lesson-10-typed.png"
ticks "$work/lesson10.html" 'POP3 against IMAP' 21
echo "ok: lesson 10 done by hand, IMAP then POP3 then IMAP: 21 of 21 steps ticked"

# Lesson 11, "An attachment by hand": the last lesson in the list (scrolled to with the wheel),
# the multipart message typed line by line; the attachment's base64 made from a file in the
# Base64 panel (the path typed, Enter), copied with its button and pasted into the raw line box
# with Ctrl+V; the server's maildrop then holds the file whole.
printf 'Hello from mailtutor!\r\n\xe4\xbd\xa0\xe5\xa5\xbd\r\n' >"$work/hello.txt"
xdotool mousemove 1025 193 click 1
sleep 0.7
xdotool mousemove 1100 400
for _ in $(seq 10); do xdotool click 5; sleep 0.1; done
sleep 0.7
xdotool mousemove 1060 400 click 1
sleep 1.5
xdotool mousemove 372 40 click 1
sleep 0.6
xdotool mousemove 372 68 click 1
sleep 0.5
xdotool mousemove 951 40 click 1
sleep 2
type_lines "EHLO mypc" "MAIL FROM:<student@mailtutor.test>" "RCPT TO:<teacher@mailtutor.test>" DATA \
    "From: <student@mailtutor.test>" "To: <teacher@mailtutor.test>" \
    "Subject: An attachment by hand" "MIME-Version: 1.0" \
    'Content-Type: multipart/mixed; boundary="frontier"' "" "--frontier" \
    "Content-Type: text/plain; charset=utf-8" "" "The file is attached." "--frontier" \
    'Content-Type: text/plain; name="hello.txt"' \
    'Content-Disposition: attachment; filename="hello.txt"' "Content-Transfer-Encoding: base64" ""
xdotool mousemove 1141 89 click 1
sleep 0.8
xdotool mousemove 1100 450
for _ in $(seq 10); do xdotool click 5; sleep 0.1; done
sleep 0.6
xdotool mousemove 1120 383 click 1
sleep 0.3
xdotool type --delay 15 "$work/hello.txt"
xdotool key Return
sleep 1
xdotool mousemove 1008 455 click 1
sleep 0.5
xdotool mousemove 630 572 click 1
sleep 0.3
xdotool key ctrl+v
sleep 0.5
xdotool key Return
sleep 0.7
type_lines "--frontier--" "." QUIT
import -window root "$shots/lesson-11-typed.png"
ticks "$work/lesson11.html" 'An attachment by hand' 11
python3 - "$fresh" "$work/hello.txt" <<'PY' || fail "the attachment typed by hand did not reach the maildrop whole"
import email, email.policy, pathlib, sys
want = pathlib.Path(sys.argv[2]).read_bytes()
found = []
for f in pathlib.Path(sys.argv[1]).rglob("*"):
    if f.is_file() and ("/new/" in str(f) or "/cur/" in str(f)):
        m = email.message_from_bytes(f.read_bytes(), policy=email.policy.default)
        for part in m.iter_attachments():
            found.append((part.get_filename(), part.get_payload(decode=True)))
assert ("hello.txt", want) in found, found
print(f"ok: the maildrop holds hello.txt whole ({len(want)} bytes)")
PY
echo "ok: lesson 11 done by hand, its base64 made from a file, copied and pasted: 11 of 11 steps ticked"

# The composer by hand, as a student attaches a file: the Message tab, Attach file… and the
# file chosen in the system's dialog (zenity), names as QQ and 163 write them, the HTML
# alternative, then the send by clicks (Connect, EHLO, MAIL FROM, RCPT TO, DATA, Send message,
# QUIT); then saved as a capture (Ctrl+S, the capture format clicked, the path typed, Enter)
# that tshark reads as SMTP carrying the multipart message; the maildrop holds the file whole.
cp tests/fixtures/attachments/作业报告.txt "$work/report.txt"
xdotool mousemove 1025 193 click 1
sleep 0.7
xdotool mousemove 1066 89 click 1
sleep 0.7
xdotool mousemove 1100 400
for _ in $(seq 20); do xdotool click 4; sleep 0.05; done
sleep 0.7
xdotool mousemove 1095 420 click 1
dialog=$(timeout 20 xdotool search --sync --onlyvisible --name '^zenity$|Select' | head -n 1) ||
    fail "Attach file… opened no file dialog"
sleep 2
xdotool windowfocus --sync "$dialog"
sleep 0.5
xdotool key ctrl+l
sleep 0.5
xdotool type --delay 30 "$work/report.txt"
sleep 0.5
xdotool key Return
for _ in $(seq 50); do
    xdotool search --onlyvisible --name '^zenity$' >/dev/null 2>&1 || break
    sleep 0.2
done
xdotool windowfocus --sync "$win"
sleep 1
xdotool mousemove 963 537 click 1
sleep 0.4
xdotool mousemove 963 397 click 1
sleep 0.4
xdotool mousemove 951 40 click 1
sleep 2
for y in 202 322 352 382; do xdotool mousemove 64 "$y" click 1; sleep 0.8; done
xdotool mousemove 454 498 click 1
sleep 1.5
xdotool mousemove 64 532 click 1
sleep 1.5
import -window root "$shots/composer-attached.png"
xdotool key ctrl+s
sleep 0.7
xdotool mousemove 473 143 click 1
sleep 0.4
xdotool mousemove 530 119 click 1
xdotool key ctrl+a
xdotool type --delay 20 "$work/by-hand.pcapng"
xdotool key Return
for _ in $(seq 100); do [ -s "$work/by-hand.pcapng" ] && break; sleep 0.1; done
xdotool key ctrl+s
commands=$(tshark -r "$work/by-hand.pcapng" -Y smtp -T fields -e smtp.req.command 2>/dev/null | tr -s '\n' ' ')
for verb in EHLO MAIL RCPT DATA; do
    [[ " $commands " == *" $verb "* ]] ||
        fail "the capture saved by hand has no $verb for tshark: $commands"
done
tshark -r "$work/by-hand.pcapng" -Y imf -V 2>/dev/null | grep -qF 'filename="report.txt"' ||
    fail "tshark finds no attachment in the message of the capture saved by hand"
python3 - "$fresh" "$work/report.txt" <<'PY' || fail "the file attached by hand did not reach the maildrop whole"
import email, email.policy, pathlib, sys
want = pathlib.Path(sys.argv[2]).read_bytes()
found = []
for f in pathlib.Path(sys.argv[1]).rglob("*"):
    if f.is_file() and ("/new/" in str(f) or "/cur/" in str(f)):
        m = email.message_from_bytes(f.read_bytes(), policy=email.policy.default)
        kinds = [p.get_content_type() for p in m.walk()]
        for part in m.iter_attachments():
            if "text/html" in kinds:
                found.append((part.get_filename(), part.get_payload(decode=True)))
assert ("report.txt", want) in found, found
print(f"ok: the maildrop holds report.txt whole ({len(want)} bytes) beside an HTML alternative")
PY
echo "ok: a file attached in the composer through the file dialog, sent by clicks, saved as pcapng that tshark reads"

# The lab, as a teacher runs it (scripts/lab-flow.sh), in the second window (its data in
# $fresh): three students' programs scored live on the Class tab; a student's session opened
# with a click; the reports and grades.csv saved.
. scripts/lab-flow.sh
lab_flow "$fresh" "$app" || {
    import -window root "$shots/lab-failed.png"
    fail "the lab could not be run by hand"
}
import -window root "$shots/lab-scores.png"
# Li Lei's session, opened from the score table's link; lab_save goes back to the Class tab.
xdotool mousemove 798 466 click 1
sleep 1
import -window root "$shots/lab-session.png"
lab_save "$fresh" || {
    import -window root "$shots/lab-save-failed.png"
    fail "the lab's reports were not saved by hand"
}
grades=$fresh/lab-reports/grades.csv
grep -q '^Ann Lee,ann.lee@mailtutor.test,1,13,19,' "$grades" &&
    grep -q '^Li Lei,li.lei@mailtutor.test,1,9,19,.*crlf: This line ends with a bare LF' "$grades" &&
    grep -q '^Han Meimei,han.meimei@mailtutor.test,1,11,19,.*waits: Sent before the reply' "$grades" ||
    fail "the lab's grades are not what the three programs did: $(cat "$grades")"
grep -q 'class="c fail"' "$fresh/lab-reports/li.lei@mailtutor.test.html" ||
    fail "Li Lei's report marks no failed line"
echo "ok: a lab started by clicks scored three students' programs live; grades.csv and the reports saved by hand"
