//! AUTH LOGIN and AUTH PLAIN (RFC 4954): the exchange, the check and the failure limit.

use super::*;

/// An initial response came on the AUTH line, which is logged already (masked): the answer's
/// own log line, from `from` on, would show a line the client never sent.
fn unlog_answer(out: &mut Vec<Output>, from: usize) {
    if let Some(i) = out
        .iter()
        .skip(from)
        .position(|o| matches!(o, Output::Log(Side::Client, _)))
    {
        out.remove(from + i);
    }
}

impl SmtpServerSession {
    pub(super) fn auth(&mut self, mechanism: u64, initial: &str, out: &mut Vec<Output>) {
        if self.helo.is_none() {
            return reply(out, "503 5.5.1 Error: send HELO/EHLO first");
        }
        if self.user.is_some() {
            return reply(out, "503 5.5.1 Error: already authenticated");
        }
        if self.from.is_some() {
            return reply(out, "503 5.5.1 Error: MAIL transaction in progress");
        }
        if self.ctx.policy.get().require_tls && !self.tls {
            return reply(out, self.tls_required_text());
        }
        match mechanism {
            smtp_proto::AUTH_LOGIN if initial.is_empty() => {
                if self.ctx.policy.get().lowercase_prompt {
                    reply(out, "334 dXNlcm5hbWU6");
                } else {
                    reply(out, "334 VXNlcm5hbWU6");
                }
                self.mode = Mode::AuthLoginUser;
            }
            smtp_proto::AUTH_LOGIN => {
                let from = out.len();
                self.auth_login_user(initial.as_bytes(), out);
                unlog_answer(out, from);
            }
            smtp_proto::AUTH_PLAIN if initial.is_empty() => {
                reply(out, "334 ");
                self.mode = Mode::AuthPlain;
            }
            smtp_proto::AUTH_PLAIN => {
                let from = out.len();
                self.auth_plain_response(initial.as_bytes(), out);
                unlog_answer(out, from);
            }
            _ => reply(out, "504 5.5.4 Unrecognized authentication type"),
        }
    }

    /// Decodes one AUTH answer; `None` means a reply was already sent.
    pub(super) fn auth_answer(
        &mut self,
        line: &[u8],
        out: &mut Vec<Output>,
        secret: bool,
    ) -> Option<Vec<u8>> {
        let text = String::from_utf8_lossy(line);
        let text = text.trim();
        out.push(Output::Log(
            Side::Client,
            String::from(if secret { auth::MASK } else { text }),
        ));
        if text == "*" {
            reply(out, "501 5.0.0 Authentication cancelled");
            return None;
        }
        if text == "=" {
            return Some(Vec::new());
        }
        match auth::decode(text) {
            Ok(bytes) => Some(bytes),
            Err(_) => {
                reply(out, "501 5.5.2 Cannot decode response");
                None
            }
        }
    }

    pub(super) fn auth_login_user(&mut self, line: &[u8], out: &mut Vec<Output>) {
        let Some(bytes) = self.auth_answer(line, out, false) else {
            return;
        };
        let user = String::from_utf8_lossy(&bytes).into_owned();
        reply(out, "334 UGFzc3dvcmQ6");
        self.mode = Mode::AuthLoginPassword { user };
    }

    pub(super) fn auth_login_password(&mut self, user: &str, line: &[u8], out: &mut Vec<Output>) {
        let Some(bytes) = self.auth_answer(line, out, true) else {
            return;
        };
        let password = String::from_utf8_lossy(&bytes).into_owned();
        self.login(user, &password, out);
    }

    pub(super) fn auth_plain_response(&mut self, line: &[u8], out: &mut Vec<Output>) {
        let Some(bytes) = self.auth_answer(line, out, true) else {
            return;
        };
        match auth::split_plain(&bytes) {
            Some((_, user, password)) => self.login(&user, &password, out),
            None => reply(
                out,
                "501 5.5.2 Cannot decode AUTH PLAIN: expected \\0user\\0password",
            ),
        }
    }

    pub(super) fn login(&mut self, user: &str, password: &str, out: &mut Vec<Output>) {
        match self.ctx.accounts.check(user, password) {
            Some(account) => {
                self.user = Some(account.address.clone());
                out.push(Output::LoggedIn(account.address.clone()));
                reply(out, "235 2.7.0 Authentication successful");
            }
            None => {
                self.auth_failures += 1;
                // A persona answers as its server does. Otherwise the practice server, which
                // knows its accounts, says which part was wrong (after Postfix's words), so a
                // misspelt username is named; a real server never tells.
                let why = if self.ctx.accounts.get(user).is_some() {
                    format!("wrong password for {}", shown_name(user))
                } else {
                    format!("no account {} on this server", shown_name(user))
                };
                reply(
                    out,
                    self.ctx
                        .persona_text(|r| r.auth_failed.as_ref())
                        .unwrap_or_else(|| {
                            format!("535 5.7.8 Error: authentication failed: {why}")
                        }),
                );
            }
        }
    }
}

/// A name the client sent, fit to quote in one reply line: no control characters (a CR or LF
/// would end the line and start a reply of the client's making), at most 64 characters.
pub(crate) fn shown_name(name: &str) -> String {
    const MOST: usize = 64;
    let mut out: String = name
        .chars()
        .map(|c| if c.is_control() { '?' } else { c })
        .take(MOST)
        .collect();
    if name.chars().count() > MOST {
        out.push('…');
    }
    out
}
