//! The message itself: DATA and BDAT bodies, size limits, and the store's answer.

use super::*;

impl SmtpServerSession {
    /// Consumes message bytes; returns true when the message (or chunk) ended and command
    /// mode continues with the bytes left over.
    pub(super) fn body_bytes(&mut self, bytes: &[u8], out: &mut Vec<Output>) -> bool {
        let max = self.ctx.limits.max_message_size;
        let mut iter = bytes.iter();
        let done = match &mut self.mode {
            Mode::Data { rx, buf, too_big } => {
                let done = rx.ingest(&mut iter, buf);
                if buf.len() > max + 2 {
                    *too_big = true;
                    buf.clear();
                }
                done
            }
            Mode::Bdat { rx } => {
                let done = rx.ingest(&mut iter, &mut self.bdat);
                if self.bdat.len() > max {
                    self.bdat_too_big = true;
                    self.bdat.clear();
                }
                done
            }
            _ => return true,
        };
        let rest = iter.as_slice().to_vec();
        if !done {
            return false;
        }
        match std::mem::replace(&mut self.mode, Mode::Command) {
            Mode::Data { buf, too_big, .. } => {
                // The buffer starts with the CRLF used to prime the receiver.
                let message = buf.get(2..).unwrap_or_default().to_vec();
                let lines = message.iter().filter(|&&b| b == b'\n').count();
                out.push(Output::Said(
                    Side::Client,
                    crate::words::Words::new("srvlog.message")
                        .arg("octets", message.len())
                        .arg("lines", lines),
                ));
                if too_big {
                    self.reset();
                    reply(out, "552 5.3.4 Error: message size exceeds fixed limit");
                } else {
                    self.finish_message(message, out);
                }
            }
            Mode::Bdat { rx } => {
                out.push(Output::Said(
                    Side::Client,
                    crate::words::Words::new("srvlog.chunk").arg("octets", self.bdat.len()),
                ));
                if self.bdat_discard {
                    self.bdat_discard = false;
                    self.bdat.clear();
                } else if rx.is_last {
                    let message = std::mem::take(&mut self.bdat);
                    if self.bdat_too_big {
                        self.reset();
                        reply(out, "552 5.3.4 Error: message size exceeds fixed limit");
                    } else {
                        self.finish_message(message, out);
                    }
                } else {
                    reply(
                        out,
                        format!("250 2.0.0 {} octets received", self.bdat.len()),
                    );
                }
            }
            other => self.mode = other,
        }
        self.lines.push(&rest);
        true
    }

    pub(super) fn finish_message(&mut self, message: Vec<u8>, out: &mut Vec<Output>) {
        let mut rcpts = std::mem::take(&mut self.rcpts);
        // A recipient named twice (in any case) gets one copy.
        let mut seen = std::collections::HashSet::new();
        rcpts.retain(|r| seen.insert(r.clone()));
        self.reset();
        match self.data_fault() {
            Some(552) => {
                // Postfix's words for a message over message_size_limit (cleanup/smtpd).
                return reply(out, "552 5.3.4 Error: message size exceeds fixed limit");
            }
            Some(_) => {
                return reply(
                    out,
                    "554 5.7.1 Message rejected: it looks like spam (staged fault)",
                );
            }
            None => {}
        }
        if let Some(id) = self.ctx.policy.get().persona
            && let Some(field) = id.persona().missing_header(&message)
            && let Some(text) = self.ctx.persona_text(|r| r.rejected.as_ref())
        {
            out.push(Output::Said(
                Side::Note,
                crate::words::Words::new("srvlog.persona_refused")
                    .arg("name", id.name())
                    .arg("field", field),
            ));
            return reply(out, text);
        }
        let (message, bare_lf) = normalise_crlf(message);
        let id = crate::server::maildir::new_queue_id();
        let proto = match (self.tls, self.user.is_some()) {
            (false, false) => "ESMTP",
            (true, false) => "ESMTPS",
            (false, true) => "ESMTPA",
            (true, true) => "ESMTPSA",
        };
        let mut stored = format!(
            "Received: from {} ({})\r\n\tby {} (mailtutor) with {proto} id {id};\r\n\t{}\r\n",
            self.helo.as_deref().unwrap_or("unknown"),
            self.peer,
            self.ctx.hostname,
            mail_builder::headers::date::Date::now().to_rfc822(),
        )
        .into_bytes();
        stored.extend_from_slice(&message);
        self.delivering = Some(Delivering {
            id: id.clone(),
            bare_lf,
        });
        out.push(Output::Store(StoreRequest::Deliver {
            id,
            recipients: rcpts,
            message: stored,
        }));
    }

    /// The reply to a message once the store has it (or failed to).
    pub(super) fn delivered(&mut self, result: StoreResult, out: &mut Vec<Output>) {
        let Some(Delivering { id, bare_lf }) = self.delivering.take() else {
            return;
        };
        match result {
            StoreResult::Delivered(Ok(())) if bare_lf => reply(
                out,
                format!(
                    "250 2.0.0 Ok: queued as {id} (bare LF line endings were turned into CRLF)"
                ),
            ),
            StoreResult::Delivered(Ok(())) => reply(out, format!("250 2.0.0 Ok: queued as {id}")),
            other => {
                let why = match other {
                    StoreResult::Delivered(Err(e)) => e,
                    _ => "the store answered something else".into(),
                };
                out.push(Output::Said(
                    Side::Note,
                    crate::words::Words::new("srvlog.delivery_failed").arg("why", why),
                ));
                reply(out, "451 4.3.0 Error: queue file write error");
            }
        }
    }
}

/// Turns bare LF into CRLF; reports whether there was any.
pub(super) fn normalise_crlf(message: Vec<u8>) -> (Vec<u8>, bool) {
    let bare = message
        .iter()
        .enumerate()
        .any(|(i, &b)| b == b'\n' && (i == 0 || message[i - 1] != b'\r'));
    if !bare {
        return (message, false);
    }
    let mut out = Vec::with_capacity(message.len() + 64);
    for (i, &b) in message.iter().enumerate() {
        if b == b'\n' && (i == 0 || message[i - 1] != b'\r') {
            out.push(b'\r');
        }
        out.push(b);
    }
    (out, true)
}
