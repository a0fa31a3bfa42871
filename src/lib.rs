//! mailtutor: a desktop tutor for the SMTP and POP3 sessions networking classes teach with telnet.

pub mod attachment;
pub mod capture;
pub mod cert;
pub mod checkserver;
pub mod explain;
pub mod html_export;
pub mod lab_report;
pub mod lesson;
pub mod proto;
pub mod script;
pub mod server;
pub mod session;
pub mod transcript;
#[cfg(feature = "gui")]
pub mod ui;
pub mod words;

rust_i18n::i18n!("assets/i18n", fallback = "en");
