//! The command-line tools beside the window.

pub mod attach;
pub mod capture;
pub mod check_server;
pub mod read;
pub mod send;
pub mod serve;

use mailtutor::proto::Lang;

/// `en` or `zh` (also `zh-CN`, `en_US`, …).
pub fn parse_lang(s: &str) -> Result<Lang, String> {
    Lang::from_tag(s).ok_or_else(|| {
        mailtutor::words::Words::new("cli.bad_lang")
            .arg("text", format!("{s:?}"))
            .get(Lang::En)
    })
}

use std::io::Write;
use std::path::PathBuf;

use mailtutor::proto::line::printable;
use mailtutor::server::{self, RunningServer, ServerConfig};
use mailtutor::session::{Security, Target};
use mailtutor::transcript::Transcript;
use mailtutor::words::Words;

/// `HOST:PORT` (IPv6 in brackets), or a bare host on `default_port`.
pub fn server_target(s: &str, default_port: u16) -> Result<Target, Words> {
    match s.rsplit_once(':') {
        Some((h, p)) => match p.parse::<u16>() {
            Ok(p) => Ok(Target::new(h.trim_matches(['[', ']']), p)),
            Err(_) => Err(Words::new("cli.bad_port").arg("server", format!("{s:?}"))),
        },
        None => Ok(Target::new(s, default_port)),
    }
}

/// Starts the practice server in this process and pins its certificate. A server whose TLS
/// could not start is used in plain text, and the user is told why.
pub fn start_practice(
    data_dir: Option<PathBuf>,
    lang: Lang,
    pinned: &mut Vec<String>,
    security: &mut Security,
) -> Result<RunningServer, Words> {
    let dir = data_dir.unwrap_or_else(server::default_data_dir);
    let running = server::start(ServerConfig::loopback(dir))
        .map_err(|e| Words::new("cli.practice_failed").arg("text", e))?;
    pinned.push(running.fingerprint.clone());
    if let Some(e) = &running.tls_error {
        println!(
            "{}",
            printable(
                &Words::new("server.no_tls")
                    .arg("error", e.get(lang))
                    .get(lang)
            )
        );
        *security = Security::None;
    }
    Ok(running)
}

/// Says which practice server port is used and where its mail is kept.
pub fn using_practice(addr: std::net::SocketAddr, running: &RunningServer, lang: Lang) {
    println!(
        "{}",
        Words::new("cli.using_practice")
            .arg("addr", addr)
            .arg("dir", running.data_dir.display())
            .get(lang)
    );
}

/// The password from an environment variable or the first line of standard input, if asked.
pub fn read_password(env: Option<&str>, stdin: bool) -> Result<Option<String>, Words> {
    if let Some(var) = env {
        return std::env::var(var)
            .map(Some)
            .map_err(|_| Words::new("cli.env_unset").arg("var", var));
    }
    if stdin {
        let mut line = String::new();
        std::io::stdin()
            .read_line(&mut line)
            .map_err(|e| Words::new("cli.stdin_password").arg("text", e))?;
        return Ok(Some(line.trim_end_matches(['\r', '\n']).to_owned()));
    }
    Ok(None)
}

/// Prints the transcript's entries from `shown` on, made safe for a terminal.
pub fn print_new(t: &Transcript, shown: &mut usize, lang: Lang, secrets: bool, verbose: bool) {
    let mut out = std::io::stdout().lock();
    while *shown < t.len() {
        let entry = t.render_entry_with(*shown, lang, secrets, verbose);
        let _ = write!(out, "{}", printable(&entry));
        *shown += 1;
    }
    let _ = out.flush();
}
