//! Explains the mail sessions of a packet capture as a pasted log is explained: each session's
//! lines, whose sides the capture knows, go through the same fold, and every printed line and
//! transcript entry keeps the number Wireshark gives its packet.

use super::{Annotator, Options, Printing, imap};
use crate::proto::Protocol;
use crate::proto::capture_read::{Capture, MailSession, Side};
use crate::proto::logs::Said;
use crate::session::{Event, EventKind};
use crate::transcript::Transcript;
use crate::words::Words;

/// Where a fed line of a capture came from.
#[derive(Debug, Clone, Copy)]
pub(super) struct Mark {
    pub frame: u32,
    pub after_gap: bool,
}

/// A session's lines as a reader would give them, with their marks.
fn said_of(s: &MailSession) -> (Vec<Said>, Vec<Mark>) {
    s.lines
        .iter()
        .map(|l| {
            let text = super::decode_paste(&l.bytes);
            let said = match l.side {
                Side::Client => Said::Client(text),
                Side::Server => Said::Server(text),
            };
            let mark = Mark {
                frame: l.frame,
                after_gap: l.after_gap,
            };
            (said, mark)
        })
        .unzip()
}

fn protocol_name(p: Protocol) -> &'static str {
    match p {
        Protocol::Smtp => "SMTP",
        Protocol::Pop3 => "POP3",
        Protocol::Imap => "IMAP",
    }
}

/// The words that head a session: who spoke to whom, in what, over which packets.
fn header(n: usize, count: usize, s: &MailSession) -> Words {
    Words::new("opencapture.session")
        .arg("n", n)
        .arg("count", count)
        .arg("client", s.client)
        .arg("server", s.server)
        .arg("protocol", protocol_name(s.protocol))
        .arg("first", s.first_frame)
        .arg("last", s.last_frame)
        .arg("packets", s.packets)
}

/// The rows that end a session: where TLS began, and whether lines were left out.
fn endings(s: &MailSession) -> Vec<(u32, Words)> {
    let mut out = Vec::new();
    if let Some(n) = s.encrypted_from {
        out.push((n, Words::new("opencapture.encrypted").arg("n", n)));
    }
    if s.cut {
        out.push((s.last_frame, Words::new("opencapture.cut")));
    }
    out
}

impl Annotator {
    /// Starts the fold of one session of a capture: a new connection, its header row, and
    /// the protocol its port or greeting showed.
    fn begin_capture_session(&mut self, head: Words, s: &MailSession) {
        self.transcript.set_frame(Some(s.first_frame));
        self.transcript.apply(&Event::now(EventKind::Connected {
            peer: s.server,
            local: s.client,
        }));
        let text = head.get(self.opts.lang);
        self.transcript.heading(head);
        self.out.push_str(&format!("{text}\n"));
        self.new_session();
        self.protocol_known = false;
        self.client_seen = false;
        self.reconnect = false;
        self.library_log = false;
        self.client_marked = false;
        self.body = None;
        self.reply.clear();
        self.set_protocol(s.protocol);
    }

    /// Folds one SMTP or POP3 session of a capture.
    fn capture_session(&mut self, head: Words, s: &MailSession) {
        self.begin_capture_session(head, s);
        let (said, marks) = said_of(s);
        self.marks = marks;
        self.feed(said);
        self.flush();
        for (frame, words) in endings(s) {
            self.transcript.set_frame(Some(frame));
            self.warn(words);
        }
        self.transcript.set_frame(None);
    }
}

/// Annotates every mail session of a capture, one after another: a header per session
/// (client → server, protocol, packets), then its lines as `explain` prints a pasted log's,
/// each with its packet number before it; `verbose` adds each reply's details, as
/// [`super::annotate_verbose`] does.
pub fn annotate_capture(cap: &Capture, opts: Options, verbose: bool) -> String {
    let lang = opts.lang;
    let mut out = String::new();
    if cap.truncated {
        out.push_str(&format!(
            "! {}\n",
            Words::new("opencapture.truncated").get(lang)
        ));
    }
    if cap.sessions.is_empty() {
        let none = Words::new("opencapture.no_sessions").arg("packets", cap.packets);
        out.push_str(&format!("{}\n", none.get(lang)));
        return out;
    }
    out.push_str(&format!("{}\n", Words::new("opencapture.column").get(lang)));
    let count = cap.sessions.len();
    for (i, s) in cap.sessions.iter().enumerate() {
        out.push('\n');
        let head = header(i + 1, count, s);
        if s.protocol == Protocol::Imap {
            out.push_str(&format!("{}\n", head.get(lang)));
            let (said, marks) = said_of(s);
            let frames: Vec<u32> = marks.iter().map(|m| m.frame).collect();
            out.push_str(&imap::annotate_framed(&said, &frames, opts));
            for (_, w) in endings(s) {
                out.push_str(&format!("! {}\n", w.get(lang)));
            }
            continue;
        }
        let mut a = Annotator::new(Printing { opts, verbose });
        a.capture_session(head, s);
        out.push_str(&a.out);
    }
    out
}

/// Folds a capture's SMTP and POP3 sessions into one transcript, one after another, as the
/// window shows it: each session opens with a connection row and its header, and every entry
/// keeps its packet number ([`Transcript::frame`]). IMAP sessions, read by a fold of their
/// own, are named after them; a capture with only IMAP sessions shows the first of them.
pub fn fold_capture(cap: &Capture) -> Transcript {
    let opts = Options {
        lang: crate::proto::Lang::En,
        show_secrets: false,
    };
    let count = cap.sessions.len();
    let folded: Vec<(usize, &MailSession)> = cap
        .sessions
        .iter()
        .enumerate()
        .filter(|(_, s)| s.protocol != Protocol::Imap)
        .collect();
    if folded.is_empty()
        && let Some(s) = cap.sessions.first()
    {
        let (said, marks) = said_of(s);
        let frames: Vec<u32> = marks.iter().map(|m| m.frame).collect();
        let mut t = imap::fold_framed(&said, &frames);
        for (frame, words) in endings(s) {
            t.set_frame(Some(frame));
            t.apply(&Event::now(EventKind::Warning(words)));
        }
        for (i, other) in cap.sessions.iter().enumerate().skip(1) {
            t.set_frame(Some(other.first_frame));
            t.heading(header(i + 1, count, other));
            t.apply(&Event::now(EventKind::Warning(Words::new(
                "opencapture.imap_elsewhere",
            ))));
        }
        packet_times(&mut t, cap);
        return t;
    }
    let mut a = Annotator::new(Printing {
        opts,
        verbose: false,
    });
    if cap.truncated {
        a.warn(Words::new("opencapture.truncated"));
    }
    if cap.sessions.is_empty() {
        a.warn(Words::new("opencapture.no_sessions").arg("packets", cap.packets));
    }
    for (i, s) in folded {
        a.capture_session(header(i + 1, count, s), s);
    }
    // An IMAP session is read by a fold of its own: named here, shown by `explain`.
    for (i, s) in cap.sessions.iter().enumerate() {
        if s.protocol == Protocol::Imap {
            a.transcript.set_frame(Some(s.first_frame));
            a.transcript.heading(header(i + 1, count, s));
            a.warn(Words::new("opencapture.imap_elsewhere"));
        }
    }
    packet_times(&mut a.transcript, cap);
    a.transcript
}

/// Each row at the time its packet was captured (the file's clock, seconds since 1970), so
/// the window's time column reads as Wireshark's.
fn packet_times(t: &mut Transcript, cap: &Capture) {
    let times: std::collections::BTreeMap<u32, std::time::Duration> = cap
        .sessions
        .iter()
        .flat_map(|s| s.lines.iter().map(|l| (l.frame, l.time)))
        .collect();
    t.retime(|frame| {
        let (_, d) = times.range(..=frame).next_back()?;
        std::time::UNIX_EPOCH.checked_add(*d)
    });
}
