//! The POP3 client session: AUTHORIZATION → TRANSACTION → UPDATE (RFC 1939 §3), fed with
//! commands sent and responses received.

use std::collections::{BTreeSet, VecDeque};

use super::codes;
use super::pop3::{Pop3Command, Pop3Kind};
use super::reply::{Pop3Indicator, Pop3Response};
use super::{Bilingual, Lang};

/// The RFC 1939 session states, plus the two ends around them.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub enum Pop3State {
    Disconnected,
    Greeting,
    Authorization,
    Transaction,
    /// QUIT was sent in TRANSACTION: the server deletes the marked messages now.
    Update,
}

#[derive(Debug, Clone, Copy, PartialEq, Eq, Hash)]
pub enum Pop3Step {
    Connect,
    WaitForGreeting,
    WaitForReply,
    TlsHandshake,
    Command(Pop3Kind),
}

impl Pop3Step {
    pub fn describe(self, lang: Lang) -> String {
        match self {
            Pop3Step::Connect => lang.pick("Connect to the server.", "连接服务器。").into(),
            Pop3Step::WaitForGreeting => lang
                .pick(
                    "Wait for the server's +OK greeting.",
                    "等待服务器的 +OK 欢迎信息。",
                )
                .into(),
            Pop3Step::WaitForReply => lang
                .pick("Wait for the server's reply.", "等待服务器回复。")
                .into(),
            Pop3Step::TlsHandshake => lang
                .pick("Start the TLS handshake.", "开始 TLS 握手。")
                .into(),
            Pop3Step::Command(k) => match lang {
                Lang::En => format!("Send {k}."),
                Lang::Zh => format!("发送 {k} 命令。"),
            },
        }
    }
}

#[derive(Debug, Clone, PartialEq, Eq)]
pub struct Pop3Prediction {
    pub reason: Bilingual,
    pub needed: Option<Pop3Step>,
}

#[derive(Debug, Clone, PartialEq, Eq)]
pub enum Pop3Outcome {
    Greeting {
        ok: bool,
    },
    UserAccepted,
    LoggedIn,
    LoginFailed {
        resp_code: Option<String>,
    },
    Stat {
        count: u64,
        octets: u64,
    },
    Listing {
        lines: usize,
    },
    Message {
        octets: usize,
    },
    Deleted {
        msg: u32,
    },
    Reset,
    Bye {
        deleted: usize,
    },
    TlsReady,
    Capabilities {
        count: usize,
    },
    Refused {
        command: Option<Pop3Kind>,
        resp_code: Option<String>,
    },
    Done {
        command: Option<Pop3Kind>,
    },
}

impl Pop3Outcome {
    pub fn describe(&self, lang: Lang) -> String {
        let zh = lang == Lang::Zh;
        let code_text = |rc: &Option<String>| {
            rc.as_deref()
                .and_then(codes::pop3_resp_code)
                .map(|e| format!(" [{}] {}", e.code, e.meaning.get(lang)))
                .unwrap_or_default()
        };
        match self {
            Pop3Outcome::Greeting { ok: true } => lang
                .pick(
                    "+OK: the POP3 server is ready (AUTHORIZATION state). Log in with USER, then PASS.",
                    "+OK：POP3 服务器已就绪（AUTHORIZATION 认证状态）。先 USER，再 PASS 登录。",
                )
                .into(),
            Pop3Outcome::Greeting { ok: false } => lang
                .pick("The server refused the session.", "服务器拒绝了这次会话。")
                .into(),
            Pop3Outcome::UserAccepted => lang
                .pick(
                    "User name noted. Now send PASS with the password (for QQ/163: the app password, 授权码).",
                    "用户名已记下。接着用 PASS 发送密码（QQ/163 邮箱用授权码）。",
                )
                .into(),
            Pop3Outcome::LoggedIn => lang
                .pick(
                    "Logged in: the maildrop is locked for you (TRANSACTION state). Try STAT, LIST, RETR 1.",
                    "登录成功：邮箱已为你锁定（TRANSACTION 事务状态）。试试 STAT、LIST、RETR 1。",
                )
                .into(),
            Pop3Outcome::LoginFailed { resp_code } if zh => {
                format!("登录失败，回到 USER 这一步。{}", code_text(resp_code))
            }
            Pop3Outcome::LoginFailed { resp_code } => {
                format!("Login failed; start again with USER.{}", code_text(resp_code))
            }
            Pop3Outcome::Stat { count, octets } if zh => {
                format!("邮箱里有 {count} 封邮件，共 {octets} 字节。")
            }
            Pop3Outcome::Stat { count, octets } => {
                format!("The maildrop holds {count} messages, {octets} octets in all.")
            }
            Pop3Outcome::Listing { lines } if zh => {
                format!("列表共 {lines} 行，以单独一行的 \".\" 结束。")
            }
            Pop3Outcome::Listing { lines } => {
                format!("{lines} lines listed; the list ends with a line holding only \".\".")
            }
            Pop3Outcome::Message { octets } if zh => {
                format!("收到邮件内容 {octets} 字节：先是邮件头，空行之后是正文，最后是 \".\"。")
            }
            Pop3Outcome::Message { octets } => format!(
                "{octets} octets of mail: headers, a blank line, the body, then \".\"."
            ),
            Pop3Outcome::Deleted { msg } if zh => format!(
                "邮件 {msg} 已标记删除。只有 QUIT 之后才真正删除；RSET 可以撤销。"
            ),
            Pop3Outcome::Deleted { msg } => format!(
                "Message {msg} is marked for deletion. It goes only at QUIT (UPDATE state); RSET undoes it."
            ),
            Pop3Outcome::Reset => lang
                .pick("All deletion marks are removed.", "所有删除标记已撤销。")
                .into(),
            Pop3Outcome::Bye { deleted } if zh => {
                format!("会话结束（UPDATE 状态）：被标记的 {deleted} 封邮件现在被删除。")
            }
            Pop3Outcome::Bye { deleted } => format!(
                "Session over (UPDATE state): the {deleted} marked messages are deleted now."
            ),
            Pop3Outcome::TlsReady => lang
                .pick(
                    "The server is ready for TLS (RFC 2595). After the handshake, log in as usual.",
                    "服务器准备好 TLS 了（RFC 2595）。握手之后照常登录。",
                )
                .into(),
            Pop3Outcome::Capabilities { count } if zh => format!("服务器列出了 {count} 项能力。"),
            Pop3Outcome::Capabilities { count } => format!("The server listed {count} capabilities."),
            Pop3Outcome::Refused { command, resp_code } if zh => format!(
                "{} 被拒绝（-ERR）。{}",
                command.map(|c| c.label()).unwrap_or("?"),
                code_text(resp_code)
            ),
            Pop3Outcome::Refused { command, resp_code } => format!(
                "{} was refused (-ERR).{}",
                command.map(|c| c.label()).unwrap_or("?"),
                code_text(resp_code)
            ),
            Pop3Outcome::Done { command } => {
                format!("{} → +OK", command.map(|c| c.label()).unwrap_or("?"))
            }
        }
    }
}

/// The client's view of one POP3 session.
#[derive(Debug, Clone)]
pub struct Pop3Session {
    state: Pop3State,
    user_accepted: bool,
    tls: bool,
    tls_pending: bool,
    deleted: BTreeSet<u32>,
    pending: VecDeque<Pop3Command>,
}

impl Default for Pop3Session {
    fn default() -> Self {
        Self::new()
    }
}

impl Pop3Session {
    pub fn new() -> Self {
        Self {
            state: Pop3State::Disconnected,
            user_accepted: false,
            tls: false,
            tls_pending: false,
            deleted: BTreeSet::new(),
            pending: VecDeque::new(),
        }
    }

    pub fn on_connected(&mut self, tls: bool) {
        *self = Self::new();
        self.state = Pop3State::Greeting;
        self.tls = tls;
    }

    pub fn on_closed(&mut self) {
        self.state = Pop3State::Disconnected;
        self.pending.clear();
    }

    pub fn on_tls_established(&mut self) {
        self.tls = true;
        self.tls_pending = false;
    }

    pub fn state(&self) -> Pop3State {
        self.state
    }
    pub fn is_tls(&self) -> bool {
        self.tls
    }
    pub fn tls_pending(&self) -> bool {
        self.tls_pending
    }
    pub fn is_deleted(&self, msg: u32) -> bool {
        self.deleted.contains(&msg)
    }

    pub fn on_sent(&mut self, cmd: &Pop3Command) {
        if cmd.kind() == Pop3Kind::Quit && self.state == Pop3State::Transaction {
            self.state = Pop3State::Update;
        }
        self.pending.push_back(cmd.clone());
    }

    pub fn on_response(&mut self, resp: &Pop3Response) -> Pop3Outcome {
        let ok = resp.status.indicator != Pop3Indicator::Err;
        let Some(cmd) = self.pending.pop_front() else {
            if self.state == Pop3State::Greeting {
                self.state = if ok {
                    Pop3State::Authorization
                } else {
                    Pop3State::Disconnected
                };
                return Pop3Outcome::Greeting { ok };
            }
            return if ok {
                Pop3Outcome::Done { command: None }
            } else {
                Pop3Outcome::Refused {
                    command: None,
                    resp_code: resp.status.resp_code.clone(),
                }
            };
        };
        let kind = cmd.kind();
        if !ok {
            if matches!(kind, Pop3Kind::Pass | Pop3Kind::Apop) {
                self.user_accepted = false;
                return Pop3Outcome::LoginFailed {
                    resp_code: resp.status.resp_code.clone(),
                };
            }
            if kind == Pop3Kind::Quit {
                self.state = Pop3State::Disconnected;
            }
            return Pop3Outcome::Refused {
                command: Some(kind),
                resp_code: resp.status.resp_code.clone(),
            };
        }
        let body_lines = resp.body_lines().len();
        match cmd {
            Pop3Command::User(_) => {
                self.user_accepted = true;
                Pop3Outcome::UserAccepted
            }
            Pop3Command::Pass(_) | Pop3Command::Apop { .. } => {
                self.state = Pop3State::Transaction;
                Pop3Outcome::LoggedIn
            }
            Pop3Command::Stat => {
                let mut nums = resp.status.text.split_whitespace().map(str::parse::<u64>);
                match (nums.next(), nums.next()) {
                    (Some(Ok(count)), Some(Ok(octets))) => Pop3Outcome::Stat { count, octets },
                    _ => Pop3Outcome::Done {
                        command: Some(kind),
                    },
                }
            }
            Pop3Command::List(None) | Pop3Command::Uidl(None) => {
                Pop3Outcome::Listing { lines: body_lines }
            }
            Pop3Command::Retr(_) | Pop3Command::Top { .. } => Pop3Outcome::Message {
                octets: resp.body.as_ref().map_or(0, Vec::len),
            },
            Pop3Command::Dele(n) => {
                self.deleted.insert(n);
                Pop3Outcome::Deleted { msg: n }
            }
            Pop3Command::Rset => {
                self.deleted.clear();
                Pop3Outcome::Reset
            }
            Pop3Command::Quit => {
                let deleted = if self.state == Pop3State::Update {
                    self.deleted.len()
                } else {
                    0
                };
                self.state = Pop3State::Disconnected;
                Pop3Outcome::Bye { deleted }
            }
            Pop3Command::Stls => {
                self.tls_pending = true;
                Pop3Outcome::TlsReady
            }
            Pop3Command::Capa => Pop3Outcome::Capabilities { count: body_lines },
            _ => Pop3Outcome::Done {
                command: Some(kind),
            },
        }
    }

    pub fn expected_next(&self) -> Vec<Pop3Step> {
        use Pop3Kind as K;
        let c = Pop3Step::Command;
        match self.state {
            Pop3State::Disconnected => vec![Pop3Step::Connect],
            Pop3State::Greeting => vec![Pop3Step::WaitForGreeting],
            Pop3State::Update => vec![Pop3Step::WaitForReply],
            _ if self.tls_pending => vec![Pop3Step::TlsHandshake],
            _ if !self.pending.is_empty() => vec![Pop3Step::WaitForReply],
            Pop3State::Authorization if self.user_accepted => vec![c(K::Pass)],
            Pop3State::Authorization => {
                let mut v = vec![c(K::User), c(K::Capa)];
                if !self.tls {
                    v.push(c(K::Stls));
                }
                v
            }
            Pop3State::Transaction => vec![
                c(K::Stat),
                c(K::List),
                c(K::Uidl),
                c(K::Retr),
                c(K::Top),
                c(K::Dele),
                c(K::Quit),
                c(K::Rset),
                c(K::Noop),
            ],
        }
    }

    /// Whether `kind` is out of sequence now, and why the server will answer `-ERR`.
    pub fn check(&self, kind: Pop3Kind) -> Option<Pop3Prediction> {
        use Pop3Kind as K;
        let p = |en: &str, zh: &str, needed| {
            Some(Pop3Prediction {
                reason: Bilingual::new(en, zh),
                needed,
            })
        };
        match self.state {
            Pop3State::Disconnected => p(
                "Not connected: connect first.",
                "尚未连接：请先连接服务器。",
                Some(Pop3Step::Connect),
            ),
            Pop3State::Greeting => p(
                "The server has not greeted yet.",
                "服务器还没有发送欢迎信息。",
                Some(Pop3Step::WaitForGreeting),
            ),
            Pop3State::Update => p(
                "QUIT was sent: the session is ending.",
                "已经发送 QUIT：会话正在结束。",
                Some(Pop3Step::Connect),
            ),
            Pop3State::Authorization => match kind {
                K::User | K::Apop | K::Capa | K::Quit | K::Noop => None,
                K::Stls if self.tls => p(
                    "TLS is already active: the server answers -ERR.",
                    "TLS 已经启用：服务器会回复 -ERR。",
                    None,
                ),
                K::Stls => None,
                K::Pass if self.user_accepted => None,
                K::Pass => p(
                    "PASS must follow a USER the server accepted: expect -ERR.",
                    "PASS 必须紧跟在被接受的 USER 之后：服务器会回复 -ERR。",
                    Some(Pop3Step::Command(K::User)),
                ),
                _ => p(
                    "This command works only after login (TRANSACTION state): expect -ERR. Log in with USER and PASS first.",
                    "这个命令只能在登录后（TRANSACTION 状态）使用：服务器会回复 -ERR。请先用 USER 和 PASS 登录。",
                    Some(Pop3Step::Command(if self.user_accepted {
                        K::Pass
                    } else {
                        K::User
                    })),
                ),
            },
            Pop3State::Transaction => match kind {
                K::User | K::Pass | K::Apop | K::Stls => p(
                    "You are already logged in: expect -ERR.",
                    "你已经登录了：服务器会回复 -ERR。",
                    None,
                ),
                _ => None,
            },
        }
    }
}

#[cfg(test)]
mod tests {
    use super::*;
    use crate::proto::reply::{Pop3Expect, Pop3Reader};

    struct Rig {
        s: Pop3Session,
        r: Pop3Reader,
    }

    impl Rig {
        fn new() -> Self {
            let mut s = Pop3Session::new();
            s.on_connected(false);
            Self {
                s,
                r: Pop3Reader::new(),
            }
        }
        fn send(&mut self, line: &str) {
            let c = Pop3Command::parse(line).unwrap_or_else(|e| panic!("{e}"));
            self.r.expect(c.expect());
            self.s.on_sent(&c);
        }
        fn recv(&mut self, bytes: &str) -> Pop3Outcome {
            self.r.push(bytes.as_bytes());
            match self.r.next_response() {
                Some(Ok(resp)) => self.s.on_response(&resp),
                other => panic!("{other:?}"),
            }
        }
    }

    #[test]
    fn seed_002_session() {
        use Pop3Kind as K;
        let mut t = Rig::new();
        assert_eq!(t.s.expected_next(), vec![Pop3Step::WaitForGreeting]);
        assert_eq!(
            t.recv("+OK Welcome to coremail Mail Pop3 Server\r\n"),
            Pop3Outcome::Greeting { ok: true }
        );
        assert_eq!(t.s.state(), Pop3State::Authorization);
        assert!(t.s.check(K::Stat).is_some());
        assert!(t.s.check(K::Pass).is_some());
        t.send("user student@mailtutor.test");
        assert_eq!(t.recv("+OK\r\n"), Pop3Outcome::UserAccepted);
        assert_eq!(t.s.expected_next(), vec![Pop3Step::Command(K::Pass)]);
        t.send("pass secret");
        assert_eq!(
            t.recv("+OK 24 message(s) [643260 byte(s)]\r\n"),
            Pop3Outcome::LoggedIn
        );
        assert_eq!(t.s.state(), Pop3State::Transaction);
        assert!(t.s.check(K::User).is_some());
        t.send("stat");
        assert_eq!(
            t.recv("+OK 2 320\r\n"),
            Pop3Outcome::Stat {
                count: 2,
                octets: 320
            }
        );
        t.send("list");
        assert_eq!(
            t.recv("+OK\r\n1 120\r\n2 200\r\n.\r\n"),
            Pop3Outcome::Listing { lines: 2 }
        );
        t.send("retr 1");
        assert!(matches!(
            t.recv("+OK 120 octets\r\nSubject: hi\r\n\r\nbody\r\n.\r\n"),
            Pop3Outcome::Message { .. }
        ));
        t.send("dele 1");
        assert_eq!(
            t.recv("+OK message 1 deleted\r\n"),
            Pop3Outcome::Deleted { msg: 1 }
        );
        assert!(t.s.is_deleted(1));
        t.send("rset");
        assert_eq!(t.recv("+OK\r\n"), Pop3Outcome::Reset);
        assert!(!t.s.is_deleted(1));
        t.send("dele 2");
        t.recv("+OK\r\n");
        t.send("quit");
        assert_eq!(t.s.state(), Pop3State::Update);
        let o = t.recv("+OK bye\r\n");
        assert_eq!(o, Pop3Outcome::Bye { deleted: 1 });
        assert!(o.describe(Lang::En).contains("UPDATE"));
        assert_eq!(t.s.expected_next(), vec![Pop3Step::Connect]);
    }

    #[test]
    fn failed_login_with_resp_code() {
        let mut t = Rig::new();
        t.recv("+OK ready\r\n");
        t.send("USER student@mailtutor.test");
        t.recv("+OK\r\n");
        t.send("PASS wrong");
        let o = t.recv("-ERR [AUTH] Authentication failed.\r\n");
        assert_eq!(
            o,
            Pop3Outcome::LoginFailed {
                resp_code: Some("AUTH".into())
            }
        );
        assert!(o.describe(Lang::En).contains("[AUTH]"));
        assert_eq!(t.s.state(), Pop3State::Authorization);
        assert_eq!(t.s.expected_next()[0], Pop3Step::Command(Pop3Kind::User));
        t.send("USER a");
        t.recv("+OK\r\n");
        t.send("PASS b");
        let o = t.recv("-ERR [IN-USE] Mailbox is locked by another POP3 session\r\n");
        assert!(o.describe(Lang::Zh).contains("IN-USE"));
    }

    #[test]
    fn stls_and_capa() {
        let mut t = Rig::new();
        t.recv("+OK ready\r\n");
        t.send("CAPA");
        assert_eq!(
            t.recv("+OK\r\nTOP\r\nUSER\r\nSTLS\r\nUIDL\r\n.\r\n"),
            Pop3Outcome::Capabilities { count: 4 }
        );
        t.send("STLS");
        assert_eq!(t.recv("+OK Begin TLS\r\n"), Pop3Outcome::TlsReady);
        assert_eq!(t.s.expected_next(), vec![Pop3Step::TlsHandshake]);
        t.s.on_tls_established();
        assert!(t.s.check(Pop3Kind::Stls).is_some());
        let _ = Pop3Expect::SingleLine;
    }
}
