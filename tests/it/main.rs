//! The integration tests, as one test binary: the window, the sessions, the practice server,
//! real clients and the command line, each in a module of its own. One binary links the GUI
//! stack once instead of once per file. The tests against the real Postfix and Dovecot lab
//! are `tests/interop.rs`, run by `scripts/test.sh` once `scripts/interop.sh` has set it up.

mod capture_cli;
mod capture_tshark;
mod check_server;
mod common;
mod explain_cli;
mod heldout;
mod hostile;
mod html_render;
mod imap;
mod knowledge_base;
mod lab;
mod lessons;
mod logs;
mod model;
mod proptest_proto;
mod read_cli;
mod secrets;
mod send_attach_cli;
mod server_abuse;
mod server_clients;
mod server_imap;
mod server_pop3;
mod server_process;
mod server_sessions;
mod server_smtp;
mod session;
mod session_imap;
mod situations;
mod startup;
mod ui;
mod ui_capture;
mod ui_faults;
mod ui_imap;
mod ui_lab;
mod ui_lessons;
mod ui_mime;
mod ui_server;
