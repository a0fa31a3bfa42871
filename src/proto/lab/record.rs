//! What the practice server saw of one session, byte for byte and in order, kept for grading a
//! student's own client: the bytes each side sent, when, and whether the client's bytes were
//! already waiting before a reply went out (a client that did not wait for it).

/// The protocol a recorded session spoke.
#[derive(Debug, Clone, Copy, PartialEq, Eq, Hash)]
pub enum Protocol {
    Smtp,
    Pop3,
}

/// How a recorded session ended.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub enum Ending {
    /// The client closed its side (after QUIT, or without it).
    ClientClosed,
    /// The server closed it (after 221, a 421, a QUIT's +OK).
    ServerClosed,
    /// The client said nothing for the idle timeout.
    TimedOut,
    /// A network error, or the server stopping.
    Broken,
}

/// One thing that crossed the wire.
#[derive(Debug, Clone, PartialEq, Eq)]
pub enum Item {
    /// Bytes the client sent. `seen` is how many server replies had been written when these
    /// bytes were first found waiting to be read.
    Client {
        at_ms: u64,
        seen: usize,
        bytes: Vec<u8>,
    },
    /// One reply the server wrote (a multi-line reply is one write). Only its first bytes are
    /// kept: a message sent back by RETR is not needed for grading.
    Server {
        at_ms: u64,
        bytes: Vec<u8>,
    },
    /// TLS began here (after STARTTLS/STLS and its reply).
    TlsUp {
        at_ms: u64,
    },
    End {
        at_ms: u64,
        how: Ending,
    },
}

/// The most client bytes one record keeps; a bigger session is graded on what was kept.
pub const MAX_CLIENT_BYTES: usize = 4 << 20;
/// The bytes kept of each reply.
pub const MAX_REPLY_BYTES: usize = 4096;

/// One session as the server saw it.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct Record {
    pub protocol: Protocol,
    /// TLS from the first byte (SMTPS, POP3S).
    pub implicit_tls: bool,
    pub items: Vec<Item>,
    /// Client bytes were dropped past [`MAX_CLIENT_BYTES`].
    pub truncated: bool,
    /// The first reply written after the client had already closed its side (it did not
    /// wait to read it).
    pub closed_before_reply: Option<usize>,
    client_bytes: usize,
    replies: usize,
}

impl Record {
    pub fn new(protocol: Protocol, implicit_tls: bool) -> Self {
        Self {
            protocol,
            implicit_tls,
            items: Vec::new(),
            truncated: false,
            closed_before_reply: None,
            client_bytes: 0,
            replies: 0,
        }
    }

    /// How many replies have been written so far.
    pub fn replies(&self) -> usize {
        self.replies
    }

    /// Bytes from the client, first found waiting when `seen` replies had been written.
    pub fn client(&mut self, at_ms: u64, seen: usize, bytes: &[u8]) {
        let room = MAX_CLIENT_BYTES.saturating_sub(self.client_bytes);
        if bytes.len() > room {
            self.truncated = true;
        }
        let kept = &bytes[..bytes.len().min(room)];
        if kept.is_empty() {
            return;
        }
        self.client_bytes += kept.len();
        // Bytes read in pieces while no reply went out are one arrival.
        if let Some(Item::Client {
            seen: s, bytes: b, ..
        }) = self.items.last_mut()
            && *s == seen
        {
            b.extend_from_slice(kept);
            return;
        }
        self.items.push(Item::Client {
            at_ms,
            seen,
            bytes: kept.to_vec(),
        });
    }

    /// The client has closed its side before the next reply is written.
    pub fn client_gone(&mut self) {
        self.closed_before_reply.get_or_insert(self.replies);
    }

    /// One reply written.
    pub fn server(&mut self, at_ms: u64, bytes: &[u8]) {
        self.replies += 1;
        self.items.push(Item::Server {
            at_ms,
            bytes: bytes[..bytes.len().min(MAX_REPLY_BYTES)].to_vec(),
        });
    }

    pub fn tls_up(&mut self, at_ms: u64) {
        self.items.push(Item::TlsUp { at_ms });
    }

    pub fn end(&mut self, at_ms: u64, how: Ending) {
        if !matches!(self.items.last(), Some(Item::End { .. })) {
            self.items.push(Item::End { at_ms, how });
        }
    }

    /// How the session ended, if it has.
    pub fn ending(&self) -> Option<Ending> {
        match self.items.last() {
            Some(Item::End { how, .. }) => Some(*how),
            _ => None,
        }
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn reads_without_a_reply_between_are_one_arrival_and_the_cap_holds() {
        let mut r = Record::new(Protocol::Smtp, false);
        r.server(0, b"220 hi\r\n");
        r.client(1, 1, b"EHLO ");
        r.client(2, 1, b"pc\r\n");
        r.server(3, b"250 ok\r\n");
        r.client(4, 2, &vec![b'x'; MAX_CLIENT_BYTES + 10]);
        assert_eq!(r.items.len(), 4);
        assert!(matches!(&r.items[1], Item::Client { bytes, .. } if bytes == b"EHLO pc\r\n"));
        assert!(r.truncated);
        assert_eq!(r.replies(), 2);
    }
}
