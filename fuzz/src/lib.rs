//! The checks behind each fuzz target. Each takes arbitrary bytes and panics only when a
//! property of the code under test breaks. The targets in `fuzz_targets/` call them under
//! libFuzzer; `tests/replay.rs` runs every saved corpus input through them on stable Rust.

use mailtutor::explain::{self, Options};
use mailtutor::proto::Lang;
use mailtutor::proto::auth;
use mailtutor::proto::imap::{ImapItem, ImapReader, ImapSession, ImapState, TypedCommand};
use mailtutor::proto::message::{self, Mailbox};
use mailtutor::proto::reply::{Pop3Expect, Pop3Reader, ReplyReader};
use mailtutor::proto::smtp::{Capabilities, SmtpCommand, normalize_path};
use mailtutor::server::imap::ImapServerSession;
use mailtutor::server::maildir::{ImapMailbox, ImapStored, StoredMessage};
use mailtutor::server::pop3::Pop3ServerSession;
use mailtutor::server::smtp::SmtpServerSession;
use mailtutor::server::{
    Accounts, Context, Faults, FolderError, Limits, LiveAccounts, LivePolicy, Output, PersonaId,
    Policy, ServerSession, StoreRequest, StoreResult,
};
use std::sync::Arc;

/// A fuzz check: panics when a property breaks.
pub type Check = fn(&[u8]);

/// Every target, by name, as `cargo fuzz run <name>` knows it.
pub const TARGETS: &[(&str, Check)] = &[
    ("reply_reader", reply_reader),
    ("pop3_reader", pop3_reader),
    ("explain_annotate", explain_annotate),
    ("base64_auth", base64_auth),
    ("rfc2047", rfc2047),
    ("smtp_command", smtp_command),
    ("ehlo_capabilities", ehlo_capabilities),
    ("dot_stuffing", dot_stuffing),
    ("server_smtp", server_smtp),
    ("server_pop3", server_pop3),
    ("session_matcher", session_matcher),
    ("client_connection", client_connection),
    ("imap_reader", imap_reader),
    ("imap_session", imap_session),
    ("server_imap", server_imap),
    ("capture_read", capture_read),
    ("mime_tree", mime_tree),
    ("lab_grade", lab_grade),
];

/// Cuts `bytes` into chunks whose sizes come from `sizes` (cycled), so a reader sees the
/// stream split at arbitrary points.
fn chunks<'a>(sizes: &[u8], mut bytes: &'a [u8]) -> Vec<&'a [u8]> {
    let mut out = Vec::new();
    let mut i = 0;
    while !bytes.is_empty() {
        let n = sizes
            .get(i % sizes.len().max(1))
            .map_or(bytes.len(), |&s| usize::from(s).max(1));
        let (a, b) = bytes.split_at(n.min(bytes.len()));
        out.push(a);
        bytes = b;
        i += 1;
    }
    out
}

/// `[n, n sizes…, stream…]`: the first byte says how many chunk sizes follow.
fn split_input(data: &[u8]) -> Option<(&[u8], &[u8])> {
    let (&n, rest) = data.split_first()?;
    let n = usize::from(n % 16).min(rest.len());
    Some(rest.split_at(n))
}

fn replies(limit: usize, chunks: &[&[u8]]) -> Vec<String> {
    let mut reader = ReplyReader::with_limit(limit);
    let mut out = Vec::new();
    for c in chunks {
        reader.push(c);
        while let Some(r) = reader.next_reply() {
            out.push(format!("{r:?}"));
        }
    }
    out.push(format!("pending {:?}", reader.pending()));
    out
}

/// The SMTP reply reader: never panics, and what it reads does not depend on how the bytes
/// arrived, with the default limit and with a small one.
pub fn reply_reader(data: &[u8]) {
    let Some((sizes, stream)) = split_input(data) else {
        return;
    };
    let parts = chunks(sizes, stream);
    for limit in [64, 1 << 20] {
        assert_eq!(replies(limit, &parts), replies(limit, &[stream]));
    }
    let mut reader = ReplyReader::new();
    reader.push(stream);
    while let Some(r) = reader.next_reply() {
        if let Ok(r) = r {
            assert!(r.code < 1000, "three digits at most: {}", r.code);
            assert!(!r.raw.is_empty());
        }
    }
}

fn responses(mask: u8, limit: usize, chunks: &[&[u8]]) -> Vec<String> {
    let mut reader = Pop3Reader::with_limit(limit);
    for bit in 0..8 {
        reader.expect(if mask & (1 << bit) != 0 {
            Pop3Expect::MultiLine
        } else {
            Pop3Expect::SingleLine
        });
    }
    let mut out = Vec::new();
    for c in chunks {
        reader.push(c);
        while let Some(r) = reader.next_response() {
            out.push(format!("{r:?}"));
        }
    }
    out.push(format!("pending {:?}", reader.pending()));
    out
}

/// The POP3 reader with up to eight expected responses (single- or multi-line, by the bits of
/// the first byte): never panics, and splitting the stream changes nothing.
pub fn pop3_reader(data: &[u8]) {
    let Some((&mask, rest)) = data.split_first() else {
        return;
    };
    let Some((sizes, stream)) = split_input(rest) else {
        return;
    };
    let parts = chunks(sizes, stream);
    for limit in [32, 1 << 20] {
        assert_eq!(
            responses(mask, limit, &parts),
            responses(mask, limit, &[stream])
        );
    }
}

/// `mailtutor explain` on a pasted transcript: never panics, in either language, and every
/// line that was pasted comes out (but blank lines, comments and code fences).
pub fn explain_annotate(data: &[u8]) {
    let text = String::from_utf8_lossy(data);
    for lang in [Lang::En, Lang::Zh] {
        let out = explain::annotate(
            &text,
            Options {
                lang,
                show_secrets: false,
            },
        );
        // A reply line a console wrapped comes out joined with its rest.
        let lines: Vec<&str> = text.lines().collect();
        let pasted = lines
            .iter()
            .enumerate()
            .filter(|(i, l)| {
                let joined = *i > 0 && explain::continues_wrapped(lines[i - 1], l);
                !joined && !explain::stands_for_nothing(l)
            })
            .count();
        // A line that gives a password setting a value comes out with it masked (and the
        // masking never cuts a character: that would panic here).
        for l in text.lines() {
            let found = !mailtutor::proto::secret::setting_values_in(l).is_empty();
            let masked = mailtutor::proto::secret::mask_settings(l);
            assert!(
                !found || masked != l,
                "a password setting left unmasked: {l:?}"
            );
        }
        assert!(
            out.lines().count() >= pasted,
            "{pasted} lines pasted, fewer came out:\n{out}"
        );
    }
}

/// Base64 as AUTH uses it: decoding never panics, what decodes re-encodes to the same bytes,
/// and AUTH PLAIN messages split back into their parts.
pub fn base64_auth(data: &[u8]) {
    if !data.is_empty() {
        assert_eq!(
            auth::decode(&auth::encode(data)).ok().as_deref(),
            Some(data)
        );
    }
    let text = String::from_utf8_lossy(data);
    if let Ok(bytes) = auth::decode(&text) {
        assert_eq!(auth::decode(&auth::encode(&bytes)).ok(), Some(bytes));
    }
    let _ = auth::decode_prompt(&text);
    let mut parts = text.splitn(3, '\u{1}');
    let (a, u, p) = (
        parts.next().unwrap_or(""),
        parts.next().unwrap_or(""),
        parts.next().unwrap_or(""),
    );
    if ![a, u, p].iter().any(|s| s.contains('\0')) {
        let split = auth::split_plain(&auth::plain_message(a, u, p));
        assert_eq!(split, Some((a.to_owned(), u.to_owned(), p.to_owned())));
    }
}

/// RFC 2047 encoded words: decoding arbitrary text never panics, and a subject the composer
/// encodes decodes back to itself.
pub fn rfc2047(data: &[u8]) {
    let text = String::from_utf8_lossy(data);
    let _ = message::decode_encoded_words(&text);
    let subject: String = text.chars().filter(|c| !c.is_control()).collect();
    let subject = subject.split_whitespace().collect::<Vec<_>>().join(" ");
    if subject.is_empty() || subject.contains("=?") {
        return;
    }
    let encoded = message::encode_header_text(&subject);
    assert_eq!(
        message::decode_encoded_words(&encoded),
        subject,
        "{encoded}"
    );
}

/// SMTP command lines and addresses: parsing never panics, a parsed command prints back to a
/// line that parses to the same command, and a normalised path stays as it is.
pub fn smtp_command(data: &[u8]) {
    let text = String::from_utf8_lossy(data);
    if let Ok(cmd) = SmtpCommand::parse(&text) {
        let line = cmd.line();
        assert!(!line.contains(['\r', '\n']), "{line:?}");
        assert_eq!(SmtpCommand::parse(&line).as_ref(), Ok(&cmd), "{line:?}");
    }
    if let Ok(path) = normalize_path("field.address", &text, true) {
        assert_eq!(
            normalize_path("field.address", &path, true).as_ref(),
            Ok(&path)
        );
    }
    if let Ok(mb) = Mailbox::parse(&text) {
        assert!(mb.address.contains('@'));
    }
}

/// The EHLO reply parser: never panics, and keywords are single lines.
pub fn ehlo_capabilities(data: &[u8]) {
    if let Some(caps) = Capabilities::from_ehlo(data) {
        assert!(caps.keywords.iter().all(|k| !k.contains(['\r', '\n'])));
    }
}

/// Dot-stuffing: whatever the message, the end-of-data sequence appears once, at the very end
/// (nothing in a body can end DATA early), and unstuffing gives back the message.
pub fn dot_stuffing(data: &[u8]) {
    let payload = message::data_payload(data);
    let end = payload
        .windows(5)
        .position(|w| w == b"\r\n.\r\n")
        .map(|i| i + 5);
    if payload != b".\r\n" {
        assert_eq!(end, Some(payload.len()), "DATA would end early");
    }
    let mut expected = data.to_vec();
    if !expected.is_empty() && !expected.ends_with(b"\r\n") {
        if expected.ends_with(b"\r") {
            expected.push(b'\n');
        } else {
            expected.extend_from_slice(b"\r\n");
        }
    }
    assert_eq!(message::unstuff(&payload).ok(), Some(expected));
}

/// A session's context from the bits of `flags`: TLS, AUTH and STARTTLS policies, a persona
/// (the top three bits), and a small size limit so DATA can overflow it.
fn context(flags: u8) -> Arc<Context> {
    Arc::new(Context {
        hostname: "mail.mailtutor.test".into(),
        accounts: LiveAccounts::new(Accounts::default()),
        limits: Limits {
            max_message_size: 2048,
            max_recipients: 5,
            ..Limits::default()
        },
        policy: LivePolicy::new(Policy {
            require_auth: flags & 2 != 0,
            require_tls: flags & 4 != 0,
            lowercase_prompt: flags & 8 != 0,
            persona: PersonaId::ALL.get(usize::from(flags >> 5) % 6).copied(),
        }),
        faults: Faults::default(),
        tls_available: flags & 16 != 0,
    })
}

/// What the fuzzed session did, checked as it went.
#[derive(Default)]
struct Run {
    closed: bool,
    stored: usize,
    queued_replies: usize,
}

/// Carries out a session's outputs as its connection would, with an in-memory store that
/// fails when `store_fails`. Checks each reply with `check` and that store work is always the
/// last thing asked for in a batch.
fn drive(
    session: &mut dyn ServerSession,
    outputs: Vec<Output>,
    run: &mut Run,
    store_fails: bool,
    check: &dyn Fn(&[u8], &mut Run),
) {
    let n = outputs.len();
    for (i, out) in outputs.into_iter().enumerate() {
        assert!(!run.closed, "output after Close");
        match out {
            Output::Retrieved(count) => assert!(count > 0, "an empty read is not reported"),
            Output::Reply(bytes) | Output::QuietReply(bytes) => check(&bytes, run),
            Output::Close => run.closed = true,
            Output::Log(_, line) => assert!(!line.contains('\n'), "{line:?}"),
            Output::Said(_, words) => {
                let line = words.get(mailtutor::proto::Lang::En);
                assert!(!line.contains('\n'), "{line:?}");
            }
            Output::LoggedIn(account) => assert!(!account.is_empty()),
            Output::StartTls => {
                assert_eq!(i + 1, n, "STARTTLS must be the last output");
                session.tls_established();
            }
            Output::Store(req) => {
                assert_eq!(i + 1, n, "store work must be the last output");
                let result = match req {
                    StoreRequest::Deliver { message, .. } => {
                        assert!(message.starts_with(b"Received: "));
                        if store_fails {
                            StoreResult::Delivered(Err("disk full".into()))
                        } else {
                            run.stored += 1;
                            StoreResult::Delivered(Ok(()))
                        }
                    }
                    StoreRequest::Open { .. } if store_fails => StoreResult::Opened(Ok(None)),
                    StoreRequest::Open { .. } => StoreResult::Opened(Ok(Some(
                        (1..=3)
                            .map(|i| StoredMessage {
                                uid: format!("m{i}"),
                                path: format!("/nonexistent/m{i}").into(),
                                size: 40,
                            })
                            .collect(),
                    ))),
                    StoreRequest::Read(_) => {
                        StoreResult::Read(Ok(b"Subject: hi\r\n\r\n.dot\r\nline\r\n".to_vec()))
                    }
                    StoreRequest::Commit { delete, .. } => StoreResult::Committed {
                        removed: delete.len(),
                        failed: 0,
                    },
                    StoreRequest::ImapOpen { .. } if store_fails => {
                        StoreResult::ImapOpened(Err(FolderError::Io("disk gone".into())))
                    }
                    StoreRequest::ImapOpen { .. } => StoreResult::ImapOpened(Ok(ImapMailbox {
                        uid_validity: 7,
                        uid_next: 5,
                        messages: (1..=3)
                            .map(|i| ImapStored {
                                uid: i + 1,
                                stored: StoredMessage {
                                    uid: format!("m{i}"),
                                    path: format!("/nonexistent/new/m{i}").into(),
                                    size: 120,
                                },
                                flags: if i == 2 { "S".into() } else { String::new() },
                                recent: i == 3,
                                received: std::time::UNIX_EPOCH,
                            })
                            .collect(),
                    })),
                    StoreRequest::ReadMany(_) if store_fails => {
                        StoreResult::ReadMany(Err("unreadable".into()))
                    }
                    StoreRequest::ReadMany(list) => StoreResult::ReadMany(Ok(list
                        .iter()
                        .map(|m| {
                            format!(
                                "From: A <a@x.test>\r\nSubject: {} =?UTF-8?B?5rWL6K+V?=\r\n\
                                 Content-Type: multipart/mixed; boundary=b\r\n\r\n--b\r\n\
                                 Content-Type: text/plain\r\n\r\nhi\r\n--b\r\n\
                                 Content-Type: message/rfc822\r\n\r\nSubject: in\r\n\r\nx\r\n--b--\r\n",
                                m.uid
                            )
                            .into_bytes()
                        })
                        .collect())),
                    StoreRequest::ImapFolders { .. } if store_fails => {
                        StoreResult::Folders(Err(FolderError::Missing))
                    }
                    StoreRequest::ImapFolders { .. } => StoreResult::Folders(Ok(vec![
                        "INBOX".into(),
                        "Sent".into(),
                        "Trash".into(),
                        "Lab notes".into(),
                    ])),
                    StoreRequest::ImapCopy { .. } | StoreRequest::ImapAppend { .. } => {
                        StoreResult::Put(if store_fails {
                            Err(FolderError::Missing)
                        } else {
                            Ok(())
                        })
                    }
                    StoreRequest::SetFlags(list) => StoreResult::FlagsSet(
                        list.into_iter()
                            .map(|(m, _)| (!store_fails).then_some(m))
                            .collect(),
                    ),
                };
                let more = session.store_done(result);
                drive(session, more, run, store_fails, check);
            }
        }
    }
}

/// RFC 5321 §4.2: `ddd-text` lines and a last `ddd text` line, one code, each line at most
/// 512 octets with its CRLF.
fn check_smtp_reply(bytes: &[u8], run: &mut Run) {
    assert!(
        bytes.ends_with(b"\r\n"),
        "{:?}",
        String::from_utf8_lossy(bytes)
    );
    let lines: Vec<&[u8]> = bytes[..bytes.len() - 2].split(|&b| b == b'\n').collect();
    let code = &lines[0][..3.min(lines[0].len())];
    for (i, line) in lines.iter().enumerate() {
        let line = line.strip_suffix(b"\r").unwrap_or(line);
        let shown = String::from_utf8_lossy(line);
        assert!(line.len() + 2 <= 512, "reply line over 512 octets: {shown}");
        assert!(!line.contains(&b'\r'), "{shown}");
        assert!(line.len() >= 4 && &line[..3] == code, "{shown}");
        assert!(
            (b'2'..=b'5').contains(&line[0]) && line[..3].iter().all(u8::is_ascii_digit),
            "{shown}"
        );
        let sep = if i + 1 == lines.len() { b' ' } else { b'-' };
        assert_eq!(line[3], sep, "{shown}");
    }
    if bytes.starts_with(b"250 2.0.0 Ok: queued as") {
        run.queued_replies += 1;
    }
}

/// Splits fuzz input into (flags, chunk sizes, stream).
fn session_input(data: &[u8]) -> Option<(u8, &[u8], &[u8])> {
    let (&flags, rest) = data.split_first()?;
    let (sizes, stream) = split_input(rest)?;
    Some((flags, sizes, stream))
}

/// The practice server's SMTP session on arbitrary client bytes: never panics, every reply is
/// well-formed, and a message is stored exactly when its 250 goes out.
pub fn server_smtp(data: &[u8]) {
    let Some((flags, sizes, stream)) = session_input(data) else {
        return;
    };
    let mut session =
        SmtpServerSession::new(context(flags), "192.0.2.1:4000".into(), flags & 1 != 0);
    let run = feed_session(&mut session, flags, sizes, stream, &check_smtp_reply);
    assert_eq!(run.stored, run.queued_replies, "stored vs 250 replies");
}

/// RFC 1939 §3: `+OK` or `-ERR`, CRLF; multi-line responses end in a lone `.`.
fn check_pop3_reply(bytes: &[u8], _run: &mut Run) {
    let shown = String::from_utf8_lossy(bytes);
    assert!(bytes.ends_with(b"\r\n"), "{shown}");
    assert!(
        bytes.starts_with(b"+OK") || bytes.starts_with(b"-ERR"),
        "{shown}"
    );
    let first = bytes.split(|&b| b == b'\n').next().unwrap_or_default();
    assert!(first.len() < 512, "status line over 512 octets: {shown}");
    if first.len() + 1 < bytes.len() {
        assert!(
            bytes.ends_with(b"\r\n.\r\n"),
            "multi-line without its end: {shown}"
        );
    }
}

/// The practice server's POP3 session on arbitrary client bytes: never panics and every
/// response is well-formed.
pub fn server_pop3(data: &[u8]) {
    let Some((flags, sizes, stream)) = session_input(data) else {
        return;
    };
    let mut session = Pop3ServerSession::new(context(flags), flags & 1 != 0);
    feed_session(&mut session, flags, sizes, stream, &check_pop3_reply);
}

/// Every response the IMAP server sends is whole and grammatical: imap-codec reads each
/// one (the greeting included) to its end.
fn check_imap_reply(bytes: &[u8], _run: &mut Run) {
    use imap_codec::decode::Decoder;
    let shown = String::from_utf8_lossy(bytes);
    assert!(bytes.ends_with(b"\r\n"), "{shown}");
    let mut rest = bytes;
    while !rest.is_empty() {
        // RFC 2971's ID response is outside imap-codec 1.0's grammar.
        if rest.starts_with(b"* ID (") {
            let end = rest
                .iter()
                .position(|&b| b == b'\n')
                .map_or(rest.len(), |p| p + 1);
            rest = &rest[end..];
            continue;
        }
        match imap_codec::ResponseCodec::default().decode(rest) {
            Ok((more, _)) => rest = more,
            Err(e) => panic!(
                "imap-codec cannot read {:?}: {e:?} in {shown}",
                String::from_utf8_lossy(rest)
            ),
        }
    }
}

/// The practice server's IMAP session on arbitrary client bytes: never panics, every
/// response is grammatical, and nothing follows the end.
pub fn server_imap(data: &[u8]) {
    let Some((flags, sizes, stream)) = session_input(data) else {
        return;
    };
    let mut session = ImapServerSession::new(context(flags), flags & 1 != 0);
    feed_session(&mut session, flags, sizes, stream, &check_imap_reply);
}

/// Greets, then feeds `stream` in chunks until the session closes; the store fails when bit
/// 32 of `flags` is set.
fn feed_session(
    session: &mut dyn ServerSession,
    flags: u8,
    sizes: &[u8],
    stream: &[u8],
    check: &dyn Fn(&[u8], &mut Run),
) -> Run {
    let store_fails = flags & 32 != 0;
    let mut run = Run::default();
    let greeting = session.greeting();
    drive(session, greeting, &mut run, store_fails, check);
    for chunk in chunks(sizes, stream) {
        if run.closed {
            break;
        }
        let out = session.ingest(chunk);
        drive(session, out, &mut run, store_fails, check);
    }
    run
}

/// The client's matcher of replies to requests, driven by arbitrary operations (each byte:
/// send a request wanting 1–4 replies, read a reply, read junk, let time pass, end): every
/// request ends exactly once, requests end in the order they were sent, a request that ended
/// by its replies got exactly as many as it wanted, and nothing it reports is a request that
/// was never sent.
pub fn session_matcher(data: &[u8]) {
    use mailtutor::proto::client::event::{Answers, RequestId};
    use mailtutor::proto::client::matcher::Matcher;
    use std::time::{Duration, Instant};
    let t0 = Instant::now();
    let mut m: Matcher<usize, u8> = Matcher::new();
    let mut sent = 0u64;
    let mut ended: Vec<u64> = Vec::new();
    let mut now = t0;
    for &b in data {
        match b % 5 {
            0 => {
                sent += 1;
                let wants = usize::from(b / 5 % 4) + 1;
                let due = now + Duration::from_secs(u64::from(b / 20 % 4) + 1);
                m.sent(RequestId(sent), wants, due, wants);
            }
            1 | 2 => {
                let x = m.response((b % 5 == 1).then_some(b));
                if let Answers::Request(RequestId(id)) | Answers::Late(RequestId(id)) = x.answers {
                    assert!(id >= 1 && id <= sent, "answers #{id} of {sent}");
                }
                if let Some(p) = x.ended {
                    if p.remaining == 0 {
                        assert_eq!(p.got.len(), p.data, "#{} got {:?}", p.id.0, p.got);
                    }
                    ended.push(p.id.0);
                }
            }
            3 => {
                now += Duration::from_secs(u64::from(b / 5 % 3));
                ended.extend(m.expire(now).into_iter().map(|p| p.id.0));
            }
            _ => {
                if b > 200 {
                    ended.extend(m.end().into_iter().map(|p| p.id.0));
                }
            }
        }
    }
    ended.extend(m.end().into_iter().map(|p| p.id.0));
    assert_eq!(
        ended,
        (1..=sent).collect::<Vec<_>>(),
        "each request ends once, in order"
    );
}

/// The client connection driven by arbitrary operations (`[protocol, op…]`; an op is a code
/// byte and its argument bytes: write a line, read server bytes, let time pass, end the
/// connection): it never panics, every request ends exactly once and in the order it was
/// written, each line written is reported once, and what a response answers is a request
/// that was written.
pub fn client_connection(data: &[u8]) {
    use mailtutor::proto::Protocol;
    use mailtutor::proto::client::Connection;
    use mailtutor::proto::client::event::{Answers, ClosedBy, EventKind, Finish, RequestId};
    use mailtutor::words::Words;
    use std::time::{Duration, Instant};
    let Some((&first, mut rest)) = data.split_first() else {
        return;
    };
    let protocol = match first % 3 {
        0 => Protocol::Smtp,
        1 => Protocol::Pop3,
        _ => Protocol::Imap,
    };
    let t0 = Instant::now();
    let mut now = t0;
    let mut c: Connection<()> = Connection::new(protocol);
    let mut sent = 0u64;
    let mut lines_written = 0usize;
    let mut lines_reported = 0usize;
    let mut ended: Vec<u64> = Vec::new();
    let mut closed = false;
    let take = |rest: &mut &[u8], n: usize| -> Vec<u8> {
        let n = n.min(rest.len());
        let (a, b) = rest.split_at(n);
        *rest = b;
        a.to_vec()
    };
    while let Some((&op, tail)) = rest.split_first() {
        rest = tail;
        if closed {
            break;
        }
        match op % 4 {
            0 => {
                let len = take(&mut rest, 1)
                    .first()
                    .map_or(0, |&n| usize::from(n % 64));
                let mut line = take(&mut rest, len);
                line.retain(|&b| b != b'\n');
                line.extend_from_slice(b"\r\n");
                sent += 1;
                lines_written += 1;
                let id = RequestId(sent);
                c.sent(Some(id), &line, op & 4 != 0, &[]);
                let replies = usize::from(op >> 3 & 3);
                if replies == 0 {
                    c.finished(id, Finish::Answered, 0);
                    ended.push(sent);
                } else {
                    let due = now + Duration::from_secs(u64::from(op >> 5) + 1);
                    c.wait_for(id, replies, due, ());
                }
            }
            1 => {
                let len = take(&mut rest, 1).first().map_or(0, |&n| usize::from(n));
                let bytes = take(&mut rest, len);
                c.receive(&bytes);
                while let Some(h) = c.next_response() {
                    if let Answers::Request(RequestId(id)) | Answers::Late(RequestId(id)) =
                        h.answers
                    {
                        assert!(id >= 1 && id <= sent, "answers #{id} of {sent}");
                    }
                    if let Some(done) = h.ended {
                        let finish = if done.remaining > 0 {
                            Finish::Invalid {
                                what: String::new(),
                            }
                        } else {
                            Finish::Answered
                        };
                        ended.push(done.id.0);
                        c.finished(done.id, finish, done.remaining);
                    }
                    if h.flood.is_some() {
                        closed = true;
                        break;
                    }
                }
            }
            2 => {
                now += Duration::from_secs(u64::from(op >> 2 & 7));
                for w in c.expire(now) {
                    ended.push(w.id.0);
                    c.finished(w.id, Finish::TimedOut { secs: 1 }, w.remaining);
                }
            }
            _ => {
                if op > 200 {
                    closed = true;
                }
            }
        }
        while let Some(kind) = c.poll_event() {
            if let EventKind::Sent { lines, .. } = &kind {
                lines_reported += lines.len();
            }
        }
    }
    for w in c.end() {
        ended.push(w.id.0);
        c.finished(w.id, Finish::Closed, w.remaining);
    }
    c.closed(ClosedBy::Client, Words::new("closed.by_user"));
    while c.poll_event().is_some() {}
    let mut sorted = ended.clone();
    sorted.sort_unstable();
    assert_eq!(
        sorted,
        (1..=sent).collect::<Vec<_>>(),
        "each request ends once"
    );
    assert_eq!(
        lines_written, lines_reported,
        "each line written is reported once"
    );
}

/// Reads an IMAP server's stream with `limit`, `parts` fed one after another: every response
/// as (its bytes, tag, status, data name), and every one too large as its size.
fn imap_items(limit: usize, parts: &[&[u8]]) -> Vec<(Vec<u8>, Option<String>, String, usize)> {
    let mut r = ImapReader::new(limit);
    let mut out = Vec::new();
    let mut kept = 0usize;
    for p in parts {
        r.push(p);
        while let Some(item) = r.next_item() {
            match item {
                ImapItem::Response(x) => {
                    kept = kept.max(x.raw.len());
                    let _ = x.shown();
                    out.push((
                        x.raw.to_vec(),
                        x.tag().map(str::to_owned),
                        format!("{:?} {:?} {:?}", x.status, x.data, x.number),
                        0,
                    ));
                }
                ImapItem::TooLarge { head, size } => {
                    assert!(head.len() <= 4096 && size > 0);
                    out.push((head, None, String::new(), size));
                }
            }
        }
        // Memory stays bounded: what waits is never more than the limit (and a line's worth).
        assert!(r.pending().len() <= limit.max(4096) + 64 * 1024 + 1);
    }
    assert!(kept <= limit.max(4096));
    out
}

/// The IMAP reader: the same responses whatever chunks the stream arrives in, at a small
/// limit (responses too large counted and skipped in step) and at a large one.
pub fn imap_reader(data: &[u8]) {
    let Some((sizes, stream)) = split_input(data) else {
        return;
    };
    let parts = chunks(sizes, stream);
    for limit in [16, 4097, 1 << 20] {
        assert_eq!(imap_items(limit, &parts), imap_items(limit, &[stream]));
    }
}

/// The pairing of IMAP responses with typed commands: lines starting with `C` are typed, the
/// others received; never panics, every tagged completion answers a command that was sent,
/// and a session that ended stays ended.
pub fn imap_session(data: &[u8]) {
    let text = String::from_utf8_lossy(data);
    let mut s = ImapSession::new();
    let mut reader = ImapReader::new(1 << 16);
    let mut sent: Vec<String> = Vec::new();
    for line in text.split('\n') {
        if let Some(typed) = line.strip_prefix('C') {
            let c = TypedCommand::parse(typed);
            if let Some(t) = &c.tag {
                sent.push(t.clone());
            }
            s.sent(&c);
        } else {
            reader.push(line.as_bytes());
            reader.push(b"\r\n");
            while let Some(item) = reader.next_item() {
                let ImapItem::Response(r) = item else {
                    continue;
                };
                let ended = *s.state() == ImapState::Logout;
                if let mailtutor::proto::imap::ImapEvent::Completed(c) = s.received(r) {
                    assert!(
                        c.tag.is_empty() || sent.iter().any(|t| t.eq_ignore_ascii_case(&c.tag))
                    );
                }
                assert!(!ended || *s.state() == ImapState::Logout);
            }
        }
    }
}

/// Opening a capture (pcap, pcapng): never panics; every line's packet number is one the file
/// has, the lines come in packet order, and what is kept stays within the caps.
pub fn capture_read(data: &[u8]) {
    use mailtutor::proto::capture_read::{TOTAL_CAP, read_capture};
    let Ok(cap) = read_capture(data) else {
        return;
    };
    let mut kept = 0;
    for s in &cap.sessions {
        assert!(s.first_frame <= s.last_frame && s.last_frame <= cap.packets);
        assert!(s.lines.windows(2).all(|w| w[0].frame <= w[1].frame));
        for l in &s.lines {
            assert!(l.frame >= 1 && l.frame <= cap.packets);
            kept += l.bytes.len();
        }
    }
    assert!(kept <= TOTAL_CAP + (64 << 10));
    // The capture explained as `explain` prints it and folded as the window shows it.
    let opts = mailtutor::explain::Options {
        lang: mailtutor::proto::Lang::En,
        show_secrets: false,
    };
    let text = mailtutor::explain::annotate_capture(&cap, opts, false);
    assert!(!text.is_empty());
    let t = mailtutor::explain::fold_capture(&cap);
    for i in 0..t.len() {
        if let Some(f) = t.frame(i) {
            assert!(f >= 1 && f <= cap.packets.max(1));
        }
    }
}

/// The MIME tree of any bytes: every part's ranges inside the input and running forward, its
/// children later parts, the nesting and the count within their bounds; printing it ends.
pub fn mime_tree(data: &[u8]) {
    use mailtutor::proto::mime_tree::{MAX_DEPTH, MAX_PARTS, is_message, mime_tree};
    let _ = is_message(data);
    let Some(t) = mime_tree(data) else {
        return;
    };
    assert!(t.nodes.len() <= MAX_PARTS + 1);
    for (i, n) in t.nodes.iter().enumerate() {
        for r in [&n.headers, &n.body] {
            assert!(r.start <= r.end && r.end <= data.len(), "{i}: {r:?}");
        }
        assert!(n.depth <= MAX_DEPTH + 1);
        assert!(n.children.iter().all(|&c| c > i && c < t.nodes.len()));
    }
    let _ = t.to_text(mailtutor::proto::Lang::En);
}

/// A lab grading any session: the input is cut into pieces, each a reply written, client
/// bytes read (before or after a reply), TLS beginning or the end. Every check of both
/// built-in rubrics on every stage ends with a verdict whose line is in the session, points
/// within the check's, and a report that prints.
pub fn lab_grade(data: &[u8]) {
    use mailtutor::proto::lab::record::{Ending, Protocol, Record};
    use mailtutor::proto::lab::{Rubric, grade};
    for protocol in [Protocol::Smtp, Protocol::Pop3] {
        let mut r = Record::new(protocol, data.first().is_some_and(|b| b & 1 == 1));
        let mut rest = data;
        while let Some((&op, tail)) = rest.split_first() {
            let n = usize::from(op >> 3).min(tail.len());
            let (piece, after) = tail.split_at(n);
            match op & 7 {
                0..=2 => r.server(0, piece),
                3..=5 => {
                    let seen = r.replies().saturating_sub(usize::from(op & 1));
                    r.client(0, seen, piece);
                }
                6 => r.tls_up(0),
                _ => r.end(0, Ending::ClientClosed),
            }
            rest = after;
        }
        let name = match protocol {
            Protocol::Smtp => "smtp-client",
            Protocol::Pop3 => "pop3-client",
        };
        let Some(Ok(rubric)) = Rubric::built_in(name) else {
            return;
        };
        let mut card = mailtutor::proto::lab::Scorecard::new("s@x");
        for stage in &rubric.stages {
            let g = grade(&rubric, &stage.id, &r);
            assert!(g.earned() <= g.possible());
            for res in &g.results {
                if let Some(l) = res.failed_line() {
                    assert!(l < g.session.lines.len(), "{}: {l}", res.id);
                }
            }
            card.add(&rubric, 1, 0, g);
        }
        assert!(card.earned(&rubric) <= rubric.total());
        let _ = mailtutor::lab_report::student_html(
            &rubric,
            &card,
            "x",
            mailtutor::proto::Lang::En,
            false,
            0,
        );
    }
}
