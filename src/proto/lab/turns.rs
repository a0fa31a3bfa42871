//! A recorded session read back as the server read it: the client's lines with their endings,
//! grouped into turns (a command, an AUTH answer, a whole message after 354), each paired with
//! the reply it got and with whether it was sent before the previous reply came.

use super::record::{Ending, Item, Protocol, Record};

/// How a line the client sent ended.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub enum LineEnd {
    CrLf,
    /// A LF without its CR (RFC 5321 §2.3.8 forbids it; RFC 1939 §3 too).
    BareLf,
    /// The connection ended before the line did.
    Unended,
}

/// One line from the client.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct ClientLine {
    /// Without its line ending.
    pub bytes: Vec<u8>,
    pub end: LineEnd,
    /// A CR inside the line that is not part of its ending.
    pub bare_cr: bool,
    /// Replies written when the line's first byte was found waiting.
    pub seen: usize,
    pub at_ms: u64,
    /// The line came after TLS began.
    pub in_tls: bool,
}

impl ClientLine {
    pub fn text(&self) -> String {
        String::from_utf8_lossy(&self.bytes).into_owned()
    }
}

/// One reply from the server.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct ServerReply {
    /// The SMTP code; for POP3 200 for `+OK`, 500 for `-ERR`, 300 for a `+ ` continuation.
    pub code: u16,
    pub lines: Vec<String>,
    pub at_ms: u64,
}

impl ServerReply {
    pub fn first(&self) -> &str {
        self.lines.first().map(String::as_str).unwrap_or("")
    }

    pub fn class(&self) -> u16 {
        self.code / 100
    }
}

/// What a turn is.
#[derive(Debug, Clone, PartialEq, Eq)]
pub enum TurnKind {
    /// A command: its verb in capitals, and the rest of the line.
    Command { verb: String, arg: String },
    /// An answer to a `334` (SMTP) or `+ ` (POP3) challenge.
    AuthAnswer,
    /// A message after 354, its lines up to and including the final dot when it came.
    Message { ended: bool },
}

/// What the client said in one go and the reply it got.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct Turn {
    pub kind: TurnKind,
    /// Indexes into [`Session::lines`].
    pub lines: std::ops::Range<usize>,
    /// Index into [`Session::replies`] of the reply this turn got (it may not have come).
    pub reply: usize,
    /// Message text the server read as commands: sent in one go after a refused DATA, or
    /// after a lone "." ended the message early, up to the client's own final dot.
    pub spilled: bool,
}

/// A recorded session read back.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct Session {
    pub protocol: Protocol,
    pub implicit_tls: bool,
    pub lines: Vec<ClientLine>,
    /// Reply 0 is the greeting.
    pub replies: Vec<ServerReply>,
    pub turns: Vec<Turn>,
    pub ending: Option<Ending>,
    /// Where TLS began: the number of client lines before it.
    pub tls_from_line: Option<usize>,
    /// The first reply written after the client had closed (see [`Record`]).
    pub closed_before_reply: Option<usize>,
}

impl Session {
    pub fn reply_of(&self, turn: &Turn) -> Option<&ServerReply> {
        self.replies.get(turn.reply)
    }

    /// The turn's first line.
    pub fn first_line(&self, turn: &Turn) -> Option<&ClientLine> {
        self.lines.get(turn.lines.start)
    }

    /// The turn's bytes reached the server before the reply it should have waited for (the
    /// previous turn's, or the greeting) was written.
    pub fn early(&self, turn: &Turn) -> bool {
        self.first_line(turn)
            .is_some_and(|l| turn.reply > 0 && l.seen < turn.reply)
    }

    /// The command's verb; message text the server read as a command has none.
    pub fn verb<'t>(&self, turn: &'t Turn) -> Option<&'t str> {
        match &turn.kind {
            TurnKind::Command { verb, .. } if !turn.spilled => Some(verb),
            _ => None,
        }
    }

    /// The turn after `i` starts a spill (message text read as commands).
    pub fn spill_after(&self, i: usize) -> bool {
        self.turns.get(i + 1).is_some_and(|t| t.spilled)
    }
}

fn split_lines(record: &Record) -> (Vec<ClientLine>, Option<usize>) {
    let mut lines: Vec<ClientLine> = Vec::new();
    let mut cur: Option<ClientLine> = None;
    let mut tls_from = None;
    let mut in_tls = record.implicit_tls;
    for item in &record.items {
        match item {
            Item::Client { at_ms, seen, bytes } => {
                for &b in bytes {
                    let line = cur.get_or_insert_with(|| ClientLine {
                        bytes: Vec::new(),
                        end: LineEnd::Unended,
                        bare_cr: false,
                        seen: *seen,
                        at_ms: *at_ms,
                        in_tls,
                    });
                    if b != b'\n' {
                        line.bytes.push(b);
                    } else if let Some(mut done) = cur.take() {
                        if done.bytes.last() == Some(&b'\r') {
                            done.bytes.pop();
                            done.end = LineEnd::CrLf;
                        } else {
                            done.end = LineEnd::BareLf;
                        }
                        done.bare_cr = done.bytes.contains(&b'\r');
                        lines.push(done);
                    }
                }
            }
            Item::TlsUp { .. } => {
                in_tls = true;
                tls_from.get_or_insert(lines.len());
            }
            Item::Server { .. } | Item::End { .. } => {}
        }
    }
    if let Some(mut rest) = cur {
        rest.bare_cr = rest.bytes.contains(&b'\r');
        lines.push(rest);
    }
    (lines, tls_from)
}

fn replies(record: &Record) -> Vec<ServerReply> {
    record
        .items
        .iter()
        .filter_map(|item| match item {
            Item::Server { at_ms, bytes } => {
                let text = String::from_utf8_lossy(bytes);
                let lines: Vec<String> = text.lines().map(str::to_owned).collect();
                let first = lines.first().map(String::as_str).unwrap_or("");
                let code = match record.protocol {
                    Protocol::Smtp => first.get(..3).and_then(|c| c.parse().ok()).unwrap_or(0),
                    Protocol::Pop3 if first.starts_with("+OK") => 200,
                    Protocol::Pop3 if first.starts_with('+') => 300,
                    Protocol::Pop3 => 500,
                };
                Some(ServerReply {
                    code,
                    lines,
                    at_ms: *at_ms,
                })
            }
            _ => None,
        })
        .collect()
}

fn command(line: &ClientLine) -> TurnKind {
    let text = line.text();
    let text = text.trim_end_matches('\r');
    let (verb, arg) = text.split_once(' ').unwrap_or((text, ""));
    // A verb is a short word; whatever else came first is kept to 16 characters.
    let verb: String = verb.to_ascii_uppercase().chars().take(16).collect();
    TurnKind::Command {
        verb,
        arg: arg.to_owned(),
    }
}

/// Reads a record back into lines, replies and turns, following the replies as the server
/// did: lines after a 354 are a message up to its lone dot, a line after 334 (or `+ `) answers
/// the challenge.
pub fn read(record: &Record) -> Session {
    let (lines, tls_from_line) = split_lines(record);
    let replies = replies(record);
    let mut turns = Vec::new();
    let mut i = 0;
    let mut next_reply = 1;
    let mut challenged = false;
    while i < lines.len() {
        let start = i;
        let kind = if challenged {
            i += 1;
            TurnKind::AuthAnswer
        } else {
            i += 1;
            command(&lines[start])
        };
        let reply = next_reply;
        next_reply += 1;
        let code = replies.get(reply).map(|r| r.code);
        let verb = match &kind {
            TurnKind::Command { verb, .. } => verb.as_str(),
            _ => "",
        };
        challenged = match record.protocol {
            Protocol::Smtp => code == Some(334),
            Protocol::Pop3 => code == Some(300),
        };
        turns.push(Turn {
            kind: kind.clone(),
            lines: start..i,
            reply,
            spilled: false,
        });
        if record.protocol == Protocol::Smtp && verb == "DATA" && code == Some(354) {
            // RFC 5321 §4.1.1.4: the message runs to a line holding only ".".
            let body = i;
            let mut ended = false;
            while i < lines.len() {
                let dot = lines[i].bytes == b".";
                i += 1;
                if dot {
                    ended = true;
                    break;
                }
            }
            turns.push(Turn {
                kind: TurnKind::Message { ended },
                lines: body..i,
                reply: next_reply,
                spilled: false,
            });
            next_reply += 1;
        }
    }
    mark_spills(&lines, &replies, &mut turns);
    Session {
        protocol: record.protocol,
        implicit_tls: record.implicit_tls,
        lines,
        replies,
        turns,
        ending: record.ending(),
        tls_from_line,
        closed_before_reply: record.closed_before_reply,
    }
}

/// Marks message text the server read as commands. After a DATA not answered with 354, or a
/// message the server took as ended at a lone "." while more of it came in the same write,
/// the lines sent on without waiting for replies, up to the client's own lone ".", are the
/// message.
fn mark_spills(lines: &[ClientLine], replies: &[ServerReply], turns: &mut [Turn]) {
    let mut i = 0;
    while i < turns.len() {
        let t = &turns[i];
        let from = t.lines.end;
        let trigger = match &t.kind {
            TurnKind::Command { verb, .. } => {
                verb == "DATA" && replies.get(t.reply).is_some_and(|r| r.code != 354)
            }
            // More of the same write after the dot the server ended the message at.
            TurnKind::Message { ended: true } => {
                from > 0
                    && lines
                        .get(from)
                        .is_some_and(|l| l.seen == lines[from - 1].seen)
            }
            TurnKind::Message { ended: false } | TurnKind::AuthAnswer => false,
        };
        let Some(first) = lines.get(from).filter(|_| trigger) else {
            i += 1;
            continue;
        };
        // Each line after the first came with it, or before the reply to the line before.
        let dot = lines[from..]
            .iter()
            .enumerate()
            .take_while(|(k, l)| {
                *k == 0
                    || l.seen == first.seen
                    || turns
                        .iter()
                        .find(|u| u.lines.start == from + k)
                        .is_some_and(|u| l.seen < u.reply)
            })
            .find(|(_, l)| l.bytes == b".")
            .map(|(k, _)| from + k);
        // Text read as commands is refused line by line; a line the server accepted (a
        // pipelined MAIL after the message) is the client's own command.
        if let Some(dot) = dot {
            let end = turns[i + 1..]
                .iter()
                .position(|u| u.lines.start > dot)
                .map_or(turns.len(), |p| i + 1 + p);
            let refused = turns[i + 1..end].iter().all(|u| {
                matches!(u.kind, TurnKind::Command { .. })
                    && replies.get(u.reply).is_none_or(|r| r.code >= 500)
            });
            if refused {
                for u in &mut turns[i + 1..end] {
                    u.spilled = true;
                }
            }
        }
        i += 1;
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    fn smtp(items: &[(bool, &[u8])]) -> Session {
        let mut r = Record::new(Protocol::Smtp, false);
        for (client, bytes) in items {
            if *client {
                let seen = r.replies();
                r.client(0, seen, bytes);
            } else {
                r.server(0, bytes);
            }
        }
        read(&r)
    }

    #[test]
    fn a_message_after_354_is_one_turn_and_endings_are_kept() {
        let s = smtp(&[
            (false, b"220 hi\r\n"),
            (true, b"EHLO pc\n"),
            (false, b"250 ok\r\n"),
            (true, b"DATA\r\n"),
            (false, b"354 go\r\n"),
            (true, b"Subject: x\r\n\r\n..a\r\n.\r\n"),
            (false, b"250 queued\r\n"),
            (true, b"QUIT\r\n"),
            (false, b"221 bye\r\n"),
        ]);
        assert_eq!(s.lines[0].end, LineEnd::BareLf);
        assert_eq!(s.turns.len(), 4);
        assert_eq!(s.turns[2].kind, TurnKind::Message { ended: true });
        assert_eq!(s.turns[2].lines, 2..6);
        assert_eq!(s.reply_of(&s.turns[2]).map(|r| r.code), Some(250));
        assert_eq!(s.reply_of(&s.turns[3]).map(|r| r.code), Some(221));
        assert!(s.turns.iter().all(|t| !s.early(t)));
    }

    #[test]
    fn a_command_waiting_before_its_predecessors_reply_is_early() {
        let mut r = Record::new(Protocol::Smtp, false);
        r.server(0, b"220 hi\r\n");
        r.client(0, 1, b"EHLO pc\r\n");
        r.client(0, 1, b"MAIL FROM:<a@b>\r\n");
        r.server(0, b"250 ok\r\n");
        r.server(0, b"250 ok\r\n");
        let s = read(&r);
        assert!(!s.early(&s.turns[0]));
        assert!(s.early(&s.turns[1]));
    }
}
