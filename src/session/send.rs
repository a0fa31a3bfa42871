//! One whole SMTP send on a session: greeting, EHLO, AUTH, MAIL/RCPT/DATA (pipelined when the
//! server offers PIPELINING), the message, QUIT. For `mailtutor send` and tests; it blocks, so
//! it never runs on the GUI thread.

use std::time::{Duration, Instant};

use poll_promise::Promise;

use super::{Answer, Event, EventKind, Parsed, Response, Session, SessionError};
use crate::proto::auth::{self, PromptKind};
use crate::proto::reply::Reply;
use crate::proto::smtp::{Capabilities, SmtpCommand};
use crate::words::Words;

/// The step name of the greeting: its code.
const GREETING: &str = "220";
/// Events passed on after an answer arrives: those already queued, not a flood's.
const MAX_TRAILING_EVENTS: usize = 1000;

#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub enum AuthMechanism {
    Login,
    Plain,
}

#[derive(Debug, Clone)]
pub struct Credentials {
    pub mechanism: AuthMechanism,
    pub user: String,
    pub password: String,
}

/// What to send.
#[derive(Debug, Clone)]
pub struct SendPlan {
    pub ehlo: String,
    pub auth: Option<Credentials>,
    pub from: String,
    pub to: Vec<String>,
    /// The DATA payload, dot-stuffed and ending in `.` CRLF.
    pub payload: Vec<u8>,
    /// Send MAIL, RCPT and DATA in one batch when the server offers PIPELINING.
    pub pipelining: bool,
}

/// Where a send stopped, with the server's reply when there was one.
#[derive(Debug, Clone, PartialEq, Eq, thiserror::Error)]
#[error("{step}: {message}")]
pub struct SendError {
    /// The command (or `220` for the greeting) where the send stopped.
    pub step: String,
    pub message: Words,
    pub reply: Option<Box<Reply>>,
}

fn err(step: &str, message: Words, reply: Option<Reply>) -> SendError {
    SendError {
        step: step.to_owned(),
        message,
        reply: reply.map(Box::new),
    }
}

fn answered(code: u16) -> Words {
    Words::new("send.answered").arg("code", code)
}

struct Driver<'a, F: FnMut(&Event)> {
    session: &'a Session,
    observe: F,
    reply_timeout: Duration,
}

impl<F: FnMut(&Event)> Driver<'_, F> {
    /// Waits for a request's answer while passing every event to the observer. The worker
    /// ends a request after the reply timeout; past that (and a second's grace) the driver
    /// stops waiting itself, however many events a server floods it with.
    fn wait(&mut self, promise: Promise<Answer>) -> Answer {
        let deadline = Instant::now() + self.reply_timeout + Duration::from_secs(1);
        loop {
            if let Some(e) = self.session.next_event(Duration::from_millis(5)) {
                (self.observe)(&e);
            }
            if promise.ready().is_some() {
                let value = promise.block_and_take();
                // What is already queued, not what a flood keeps sending.
                for _ in 0..MAX_TRAILING_EVENTS {
                    let Some(e) = self.session.next_event(Duration::ZERO) else {
                        break;
                    };
                    (self.observe)(&e);
                }
                return value;
            }
            if Instant::now() >= deadline {
                self.session.close();
                return Err(SessionError::Timeout(self.reply_timeout.as_secs()));
            }
        }
    }

    fn replies(&mut self, step: &str, promise: Promise<Answer>) -> Result<Vec<Reply>, SendError> {
        let answer = self.wait(promise).map_err(|e| err(step, e.words(), None))?;
        Ok(answer
            .into_iter()
            .filter_map(|r| match r {
                Response::Smtp(r) => Some(r),
                Response::Pop3(_) | Response::Imap(_) => None,
            })
            .collect())
    }

    fn one(&mut self, step: &str, promise: Promise<Answer>) -> Result<Reply, SendError> {
        self.replies(step, promise)?
            .into_iter()
            .next()
            .ok_or_else(|| err(step, Words::new("send.no_reply"), None))
    }

    fn expect(
        &mut self,
        step: &str,
        promise: Promise<Answer>,
        class: u8,
    ) -> Result<Reply, SendError> {
        let r = self.one(step, promise)?;
        if r.class() == class {
            Ok(r)
        } else {
            let code = r.code;
            Err(err(step, answered(code), Some(r)))
        }
    }

    /// The greeting arrives unasked; it may already be in the queue.
    fn greeting(&mut self, timeout: Duration) -> Result<Reply, SendError> {
        let deadline = std::time::Instant::now() + timeout;
        while std::time::Instant::now() < deadline {
            let Some(e) = self.session.next_event(Duration::from_millis(20)) else {
                continue;
            };
            (self.observe)(&e);
            match &e.kind {
                EventKind::Received {
                    parsed: Parsed::Response(Response::Smtp(r)),
                    ..
                } => return Ok(r.clone()),
                EventKind::Closed { why, .. } => return Err(err(GREETING, why.clone(), None)),
                // A first line that is no reply (`999 …`, no code at all) says so at once.
                EventKind::Received {
                    parsed: Parsed::MalformedSmtp(e),
                    ..
                } => return Err(err(GREETING, e.words(), None)),
                _ => {}
            }
        }
        Err(err(
            GREETING,
            SessionError::Timeout(timeout.as_secs()).words(),
            None,
        ))
    }
}

/// Runs the send; `observe` sees every event as it happens. Returns the final 250 reply.
pub fn send_mail(
    session: &Session,
    plan: &SendPlan,
    reply_timeout: Duration,
    observe: impl FnMut(&Event),
) -> Result<Reply, SendError> {
    let mut d = Driver {
        session,
        observe,
        reply_timeout,
    };
    let greeting = d.greeting(reply_timeout)?;
    if greeting.code != 220 {
        let code = greeting.code;
        return Err(err(GREETING, answered(code), Some(greeting)));
    }
    let ehlo = SmtpCommand::ehlo(&plan.ehlo).map_err(|e| err("EHLO", e.words(), None))?;
    let r = d.one("EHLO", session.smtp(&ehlo))?;
    let caps = if r.class() == 2 {
        Capabilities::from_ehlo(&r.raw).unwrap_or_default()
    } else {
        let helo = SmtpCommand::helo(&plan.ehlo).map_err(|e| err("HELO", e.words(), None))?;
        d.expect("HELO", session.smtp(&helo), 2)?;
        Capabilities::default()
    };

    if let Some(c) = &plan.auth {
        match c.mechanism {
            AuthMechanism::Login => {
                let r = d.expect(
                    "AUTH LOGIN",
                    session.smtp(&SmtpCommand::AuthLogin { initial: None }),
                    3,
                )?;
                let first = auth::decode_prompt(r.last_text())
                    .map(|p| p.kind)
                    .unwrap_or(PromptKind::Other);
                if first == PromptKind::Password {
                    return Err(err(
                        "AUTH LOGIN",
                        Words::new("send.password_first"),
                        Some(r),
                    ));
                }
                d.expect(
                    "334",
                    session.auth_line(&auth::encode(c.user.as_bytes()), false),
                    3,
                )?;
                d.expect(
                    "334 ********",
                    session.auth_line(&auth::encode(c.password.as_bytes()), true),
                    2,
                )?;
            }
            AuthMechanism::Plain => {
                let initial = Some(auth::plain_response(&c.user, &c.password));
                d.expect(
                    "AUTH PLAIN",
                    session.smtp(&SmtpCommand::AuthPlain { initial }),
                    2,
                )?;
            }
        }
    }

    let mail = SmtpCommand::mail_from(&plan.from).map_err(|e| err("MAIL FROM", e.words(), None))?;
    let mut rcpts = Vec::new();
    for to in &plan.to {
        rcpts.push(SmtpCommand::rcpt_to(to).map_err(|e| err("RCPT TO", e.words(), None))?);
    }
    if rcpts.is_empty() {
        return Err(err("RCPT TO", Words::new("compose.no_recipient"), None));
    }
    if plan.pipelining && caps.pipelining {
        let mut batch = vec![mail];
        batch.extend(rcpts.iter().cloned());
        batch.push(SmtpCommand::Data);
        let replies = d.replies("MAIL/RCPT/DATA", session.pipeline(&batch))?;
        for (cmd, r) in batch.iter().zip(&replies) {
            let want = if *cmd == SmtpCommand::Data { 3 } else { 2 };
            if r.class() != want {
                return Err(err(
                    &cmd.kind().to_string(),
                    answered(r.code),
                    Some(r.clone()),
                ));
            }
        }
    } else {
        d.expect("MAIL FROM", session.smtp(&mail), 2)?;
        for r in &rcpts {
            d.expect("RCPT TO", session.smtp(r), 2)?;
        }
        d.expect("DATA", session.smtp(&SmtpCommand::Data), 3)?;
    }
    let queued = d.expect(".", session.data(plan.payload.clone()), 2)?;
    let _ = d.one("QUIT", session.smtp(&SmtpCommand::Quit));
    // Let the close arrive in the transcript.
    while let Some(e) = session.next_event(Duration::from_millis(200)) {
        (d.observe)(&e);
        if matches!(e.kind, EventKind::Closed { .. }) {
            break;
        }
    }
    Ok(queued)
}
