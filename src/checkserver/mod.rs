//! Scoring a student's own SMTP or POP3 server: a battery of short sessions, each on a fresh
//! connection, each check with its points, what was expected and what came back, and the raw
//! exchange kept for the report. Reads are capped and timed, so a server that floods, never
//! ends a line or never answers ends its check with a reason instead of hanging.

pub mod pop3;
pub mod report;
pub mod smtp;

use std::io::{ErrorKind, Read, Write};
use std::net::{SocketAddr, TcpStream, ToSocketAddrs};
use std::time::{Duration, Instant};

use crate::proto::line::escaped_line;
use crate::proto::reply::{Pop3Expect, Pop3Reader, Pop3Response, Reply, ReplyReader};
use crate::words::Words;

/// The most one check reads from the server, all replies together.
const READ_CAP: usize = 4 << 20;
/// The most of one reply (or one POP3 response with its body) that is kept.
const REPLY_CAP: usize = 1 << 20;
/// The most of the exchange kept for the report, per check.
const LOG_CAP: usize = 32 * 1024;
/// The longest line of the exchange kept as it is; the rest is cut.
const LOG_LINE: usize = 300;

/// What the battery needs to know.
#[derive(Debug, Clone)]
pub struct Options {
    /// The SMTP server to check, if any.
    pub smtp: Option<String>,
    /// The POP3 server to check, if any.
    pub pop3: Option<String>,
    pub user: Option<String>,
    pub password: Option<String>,
    pub from: String,
    pub to: String,
    /// The connect timeout and the time one reply may take.
    pub timeout: Duration,
    /// How long to wait for replies that should not come (the smuggled commands').
    pub quiet: Duration,
}

impl Options {
    pub fn new(timeout: Duration) -> Self {
        Self {
            smtp: None,
            pop3: None,
            user: None,
            password: None,
            from: "teacher@mailtutor.test".into(),
            to: "student@mailtutor.test".into(),
            timeout,
            quiet: timeout.min(Duration::from_millis(800)),
        }
    }
}

/// How a check came out.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub enum Outcome {
    Pass,
    Fail,
    /// The server does not offer what the check is about (SIZE, PIPELINING not advertised).
    NotApplicable,
}

/// Who sent a line of the exchange.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub enum Side {
    Client,
    Server,
}

/// One scored check.
#[derive(Debug, Clone)]
pub struct Check {
    /// A stable name (`smtp_greeting`), for scripts and tests.
    pub id: &'static str,
    /// The key of its title in the table.
    pub title: &'static str,
    pub points: u32,
    pub outcome: Outcome,
    pub expected: Words,
    pub got: Words,
    /// The lines sent and received, escaped, passwords masked.
    pub exchange: Vec<(Side, String)>,
}

/// What a check's steps met that ends it: the reason is its `got`.
#[derive(Debug, Clone)]
pub struct Failure(pub Words);

impl Failure {
    fn step(line: &str, got: String) -> Self {
        Self(
            Words::new("checkserver.fail.step")
                .arg("line", line)
                .arg("reply", got),
        )
    }
}

/// A check's own verdict when its steps ran.
pub struct Verdict {
    pub outcome: Outcome,
    pub got: Words,
}

impl Verdict {
    pub fn pass(got: Words) -> Self {
        Self {
            outcome: Outcome::Pass,
            got,
        }
    }
    pub fn fail(got: Words) -> Self {
        Self {
            outcome: Outcome::Fail,
            got,
        }
    }
    /// Passed when `passed`, else failed, with what came back either way.
    pub fn judge(passed: bool, got: Words) -> Self {
        if passed {
            Self::pass(got)
        } else {
            Self::fail(got)
        }
    }
    pub fn not_applicable(got: Words) -> Self {
        Self {
            outcome: Outcome::NotApplicable,
            got,
        }
    }
}

/// A check before it runs: its name, points and expectation.
#[derive(Debug, Clone, Copy)]
pub struct Spec {
    pub id: &'static str,
    pub title: &'static str,
    pub points: u32,
    pub expected: &'static str,
}

/// The first address `HOST:PORT` names, or why there is none.
pub fn resolve(server: &str) -> Result<SocketAddr, Words> {
    let bad = || Words::new("checkserver.bad_server").arg("server", format!("{server:?}"));
    let (host, port) = server.rsplit_once(':').ok_or_else(bad)?;
    let port: u16 = port.parse().map_err(|_| bad())?;
    let host = host.trim_matches(['[', ']']);
    (host, port)
        .to_socket_addrs()
        .map_err(|e| {
            Words::new("checkserver.connect_failed")
                .arg("server", server)
                .arg("text", e)
        })?
        .next()
        .ok_or_else(bad)
}

/// Connects once to see the server is there at all (a usage error otherwise, not a score).
pub fn probe(server: &str, timeout: Duration) -> Result<SocketAddr, Words> {
    let addr = resolve(server)?;
    TcpStream::connect_timeout(&addr, timeout).map_err(|e| {
        Words::new("checkserver.connect_failed")
            .arg("server", server)
            .arg("text", e)
    })?;
    Ok(addr)
}

/// Runs one check on a fresh connection: its failure, timeout or crash spoils only itself.
pub fn run_check(
    spec: Spec,
    addr: SocketAddr,
    opts: &Options,
    steps: impl FnOnce(&mut Conn) -> Result<Verdict, Failure>,
) -> Check {
    let mut exchange = Vec::new();
    let verdict = match Conn::open(addr, opts.timeout) {
        Ok(mut c) => {
            let v = steps(&mut c);
            exchange = c.take_log();
            v
        }
        Err(f) => Err(f),
    };
    let (outcome, got) = match verdict {
        Ok(v) => (v.outcome, v.got),
        Err(Failure(w)) => (Outcome::Fail, w),
    };
    Check {
        id: spec.id,
        title: spec.title,
        points: spec.points,
        outcome,
        expected: Words::new(spec.expected),
        got,
        exchange,
    }
}

/// One connection of a check: timed, capped reads, and a log of what went each way.
pub struct Conn {
    stream: TcpStream,
    timeout: Duration,
    smtp: ReplyReader,
    pop3: Pop3Reader,
    /// Which reader the bytes go to.
    pop3_mode: bool,
    read: usize,
    /// The server's bytes after its last complete line, not yet logged.
    partial: Vec<u8>,
    log: Vec<(Side, String)>,
    logged: usize,
    /// The replies' codes (`250`) or indicators (`+OK`) so far, for the check's `got`.
    pub seen: Vec<String>,
}

impl Conn {
    pub fn open(addr: SocketAddr, timeout: Duration) -> Result<Self, Failure> {
        let stream = TcpStream::connect_timeout(&addr, timeout).map_err(|e| {
            Failure(
                Words::new("checkserver.connect_failed")
                    .arg("server", addr)
                    .arg("text", e),
            )
        })?;
        let _ = stream.set_nodelay(true);
        let _ = stream.set_write_timeout(Some(timeout));
        Ok(Self {
            stream,
            timeout,
            smtp: ReplyReader::with_limit(REPLY_CAP),
            pop3: Pop3Reader::with_limit(REPLY_CAP),
            pop3_mode: false,
            read: 0,
            partial: Vec::new(),
            log: Vec::new(),
            logged: 0,
            seen: Vec::new(),
        })
    }

    /// Logs bytes as lines. The server's bytes wait for their line's end (a read may stop
    /// mid-line), up to a cap; what is left is logged by [`Conn::take_log`].
    fn note(&mut self, side: Side, bytes: &[u8]) {
        if side == Side::Server {
            self.partial.extend_from_slice(bytes);
            let whole = match self.partial.iter().rposition(|b| *b == b'\n') {
                Some(i) => i + 1,
                None if self.partial.len() > LOG_LINE * 4 => self.partial.len(),
                None => return,
            };
            let lines: Vec<u8> = self.partial.drain(..whole).collect();
            self.note_lines(side, &lines);
        } else {
            self.note_lines(side, bytes);
        }
    }

    /// The exchange so far, with an unfinished last line of the server's.
    fn take_log(&mut self) -> Vec<(Side, String)> {
        let rest = std::mem::take(&mut self.partial);
        self.note_lines(Side::Server, &rest);
        std::mem::take(&mut self.log)
    }

    fn note_lines(&mut self, side: Side, bytes: &[u8]) {
        for line in bytes.split_inclusive(|b| *b == b'\n') {
            if self.logged >= LOG_CAP {
                return;
            }
            let mut text = escaped_line(line);
            if text.chars().count() > LOG_LINE {
                text = text.chars().take(LOG_LINE).collect::<String>() + "…";
            }
            self.logged += text.len();
            self.log.push((side, text));
        }
    }

    /// Reads POP3 responses from here on, not SMTP replies.
    pub fn use_pop3(&mut self) {
        self.pop3_mode = true;
    }

    /// Sends bytes as they are (one write, so pipelined lines leave together).
    pub fn send(&mut self, bytes: &[u8]) -> Result<(), Failure> {
        self.note(Side::Client, bytes);
        self.stream.write_all(bytes).map_err(io_failure)
    }

    /// Sends one command line with CRLF.
    pub fn line(&mut self, line: &str) -> Result<(), Failure> {
        self.send(format!("{line}\r\n").as_bytes())
    }

    /// Sends a line whose log shows only the command word (a password).
    pub fn secret_line(&mut self, line: &str) -> Result<(), Failure> {
        let shown = match line.split_once(' ') {
            Some((verb, _)) => format!("{verb} ********\r\n"),
            None => format!("{line}\r\n"),
        };
        self.note(Side::Client, shown.as_bytes());
        self.stream
            .write_all(format!("{line}\r\n").as_bytes())
            .map_err(io_failure)
    }

    /// Reads more bytes before `deadline` into both readers. `Ok(false)` at end of stream.
    fn fill(&mut self, deadline: Instant) -> Result<bool, Failure> {
        let left = deadline.saturating_duration_since(Instant::now());
        if left.is_zero() {
            return Err(Failure(
                Words::new("checkserver.fail.timeout").arg("secs", self.timeout.as_secs()),
            ));
        }
        let _ = self.stream.set_read_timeout(Some(left));
        let mut buf = [0u8; 8192];
        match self.stream.read(&mut buf) {
            Ok(0) => Ok(false),
            Ok(n) => {
                self.read += n;
                if self.read > READ_CAP {
                    return Err(Failure(
                        Words::new("checkserver.fail.flood").arg("limit", READ_CAP),
                    ));
                }
                self.note(Side::Server, &buf[..n]);
                if self.pop3_mode {
                    self.pop3.push(&buf[..n]);
                } else {
                    self.smtp.push(&buf[..n]);
                }
                Ok(true)
            }
            Err(e) if matches!(e.kind(), ErrorKind::WouldBlock | ErrorKind::TimedOut) => {
                Err(self.timed_out())
            }
            Err(e) => Err(io_failure(e)),
        }
    }

    fn timed_out(&self) -> Failure {
        let pending = if self.pop3_mode {
            self.pop3.pending()
        } else {
            self.smtp.pending()
        };
        if pending.is_empty() {
            Failure(Words::new("checkserver.fail.timeout").arg("secs", self.timeout.as_secs()))
        } else {
            Failure(
                Words::new("checkserver.fail.no_crlf")
                    .arg("secs", self.timeout.as_secs())
                    .arg("text", short(&escaped_line(&pending))),
            )
        }
    }

    /// The next SMTP reply within the timeout.
    pub fn reply(&mut self) -> Result<Reply, Failure> {
        let deadline = Instant::now() + self.timeout;
        loop {
            match self.smtp.next_reply() {
                Some(Ok(r)) => {
                    self.seen.push(r.code.to_string());
                    return Ok(r);
                }
                Some(Err(m)) => {
                    return Err(Failure(
                        Words::new("checkserver.fail.malformed").arg_words("why", m.words()),
                    ));
                }
                None => {}
            }
            if !self.fill(deadline)? {
                return Err(Failure(Words::new("checkserver.fail.closed")));
            }
        }
    }

    /// Replies that arrive within `wait` when none should (after a smuggled ending), and
    /// whether the server then closed the connection.
    pub fn stray_replies(&mut self, wait: Duration) -> Result<(Vec<Reply>, bool), Failure> {
        let deadline = Instant::now() + wait;
        let mut out = Vec::new();
        loop {
            while let Some(r) = self.smtp.next_reply() {
                match r {
                    Ok(r) => {
                        self.seen.push(r.code.to_string());
                        out.push(r);
                    }
                    Err(m) => {
                        return Err(Failure(
                            Words::new("checkserver.fail.malformed").arg_words("why", m.words()),
                        ));
                    }
                }
            }
            match self.fill(deadline) {
                Ok(true) => {}
                Ok(false) => return Ok((out, true)),
                // Quiet until the deadline: what was wanted.
                Err(_) if Instant::now() >= deadline => return Ok((out, false)),
                Err(f) => return Err(f),
            }
        }
    }

    /// Sends an SMTP command and reads its reply.
    pub fn cmd(&mut self, line: &str) -> Result<Reply, Failure> {
        self.line(line)?;
        self.reply()
    }

    /// Sends an SMTP command; a reply with another code ends the check.
    pub fn expect(&mut self, line: &str, codes: &[u16]) -> Result<Reply, Failure> {
        let r = self.cmd(line)?;
        if codes.contains(&r.code) {
            Ok(r)
        } else {
            Err(Failure::step(line, shown(&r)))
        }
    }

    /// Whether the server closes the connection within the timeout (after QUIT).
    pub fn closes(&mut self) -> Result<bool, Failure> {
        let deadline = Instant::now() + self.timeout;
        loop {
            match self.fill(deadline) {
                Ok(true) => {}
                Ok(false) => return Ok(true),
                Err(_) if Instant::now() >= deadline => return Ok(false),
                // A reset after QUIT is a close too.
                Err(_) => return Ok(true),
            }
        }
    }

    /// The next POP3 response within the timeout, read as `expect` says.
    pub fn pop3_response(&mut self, expect: Pop3Expect) -> Result<Pop3Response, Failure> {
        self.pop3.expect(expect);
        let deadline = Instant::now() + self.timeout;
        loop {
            match self.pop3.next_response() {
                Some(Ok(r)) => {
                    self.seen.push(r.status.indicator.token().to_owned());
                    return Ok(r);
                }
                Some(Err(m)) => {
                    return Err(Failure(
                        Words::new("checkserver.fail.malformed").arg_words("why", m.words()),
                    ));
                }
                None => {}
            }
            if !self.fill(deadline)? {
                return Err(Failure(Words::new("checkserver.fail.closed")));
            }
        }
    }

    /// Sends a POP3 command and reads its response.
    pub fn pop3_cmd(&mut self, line: &str, expect: Pop3Expect) -> Result<Pop3Response, Failure> {
        self.line(line)?;
        self.pop3_response(expect)
    }

    /// Sends a POP3 command; `-ERR` ends the check.
    pub fn pop3_ok(&mut self, line: &str, expect: Pop3Expect) -> Result<Pop3Response, Failure> {
        let r = self.pop3_cmd(line, expect)?;
        if r.status.is_ok() {
            Ok(r)
        } else {
            Err(Failure::step(line, pop3_shown(&r)))
        }
    }

    /// The codes seen so far, for a passed check's `got`.
    pub fn seen_words(&self) -> Words {
        Words::text(self.seen.join(" "))
    }
}

fn io_failure(e: std::io::Error) -> Failure {
    Failure(Words::new("checkserver.fail.io").arg("text", e))
}

/// A long text cut to a readable length.
fn short(s: &str) -> String {
    if s.chars().count() > 120 {
        s.chars().take(120).collect::<String>() + "…"
    } else {
        s.to_owned()
    }
}

/// A reply as one short line: its first line, and how many more there were.
pub fn shown(r: &Reply) -> String {
    let first = r.lines.first().map(String::as_str).unwrap_or("");
    let sep = if r.lines.len() > 1 { '-' } else { ' ' };
    let mut out = short(&format!("{}{sep}{first}", r.code));
    if r.lines.len() > 1 {
        out.push_str(&format!(" (+{})", r.lines.len() - 1));
    }
    out
}

/// A POP3 status line as it came.
pub fn pop3_shown(r: &Pop3Response) -> String {
    short(&format!("{} {}", r.status.indicator.token(), r.status.text))
}

/// A word no earlier message has: it finds the message a check delivered.
pub fn marker() -> String {
    let t = std::time::SystemTime::now()
        .duration_since(std::time::UNIX_EPOCH)
        .map(|d| d.as_nanos())
        .unwrap_or_default();
    format!("mt{:x}{:x}", t, std::process::id())
}

/// The score: points of passed checks, and of all checks that applied.
pub fn score(checks: &[Check]) -> (u32, u32) {
    let got = checks
        .iter()
        .filter(|c| c.outcome == Outcome::Pass)
        .map(|c| c.points)
        .sum();
    let of = checks
        .iter()
        .filter(|c| c.outcome != Outcome::NotApplicable)
        .map(|c| c.points)
        .sum();
    (got, of)
}
