//! `mailtutor serve`: the practice server on its own, logging every session line.

use mailtutor::proto::Lang;
use mailtutor::proto::line::printable;
use mailtutor::words::Words;
use std::io::Write;
use std::net::SocketAddr;
use std::path::PathBuf;
use std::process::ExitCode;
use std::sync::Arc;
use std::time::Duration;

use mailtutor::server::{self, Account, Accounts, Fault, Limits, PersonaId, Policy, ServerConfig};

#[derive(clap::Args)]
pub struct ServeArgs {
    /// SMTP with STARTTLS.
    #[arg(long, default_value = "127.0.0.1:2525")]
    smtp: SocketAddr,
    /// SMTP over implicit TLS (SMTPS).
    #[arg(long, default_value = "127.0.0.1:4465")]
    smtps: SocketAddr,
    /// POP3 with STLS.
    #[arg(long, default_value = "127.0.0.1:1110")]
    pop3: SocketAddr,
    /// POP3 over implicit TLS (POP3S).
    #[arg(long, default_value = "127.0.0.1:1995")]
    pop3s: SocketAddr,
    /// IMAP with STARTTLS.
    #[arg(long, default_value = "127.0.0.1:1143")]
    imap: SocketAddr,
    /// IMAP over implicit TLS (IMAPS).
    #[arg(long, default_value = "127.0.0.1:1993")]
    imaps: SocketAddr,
    /// A TOML file of [[account]] address = "…" password = "…" entries.
    #[arg(long)]
    accounts: Option<PathBuf>,
    /// A class list (one name per line, or CSV with the name first): one account per new name,
    /// with a generated password, kept in the data directory; the list to hand out is written
    /// to roster.csv there.
    #[arg(long)]
    roster: Option<PathBuf>,
    /// An account as ADDRESS:PASSWORD (repeat for several; replaces the default accounts).
    #[arg(long = "account", value_parser = parse_account)]
    account: Vec<Account>,
    /// Where the Maildirs live (default: the platform data directory).
    #[arg(long)]
    data_dir: Option<PathBuf>,
    /// MAIL FROM needs AUTH first.
    #[arg(long)]
    require_auth: bool,
    /// AUTH, MAIL and POP3 logins need STARTTLS/STLS (or the TLS ports) first.
    #[arg(long)]
    require_tls: bool,
    /// Ask for the AUTH LOGIN username as NetEase 163 does: 334 dXNlcm5hbWU6 ("username:").
    #[arg(long)]
    lowercase_prompt: bool,
    /// The name in the greeting and in Received: headers.
    #[arg(long, default_value = "mailtutor.test")]
    hostname: String,
    /// Maximum simultaneous connections.
    #[arg(long, default_value_t = 100)]
    max_connections: usize,
    /// Seconds of silence before the server says 421 and hangs up.
    #[arg(long, default_value_t = 300)]
    idle_timeout: u64,
    /// Maximum message size in bytes.
    #[arg(long, default_value_t = 10 * 1024 * 1024)]
    max_size: usize,
    /// Maximum recipients per message.
    #[arg(long, default_value_t = 50)]
    max_recipients: usize,
    /// Answer with the words and policy of a real server: qq, 163, gmail, outlook or postfix
    /// (its require-AUTH/TLS and prompt, plus the flags above). Default: the practice server's
    /// own words.
    #[arg(long, value_parser = |s: &str| s.parse::<PersonaId>())]
    persona: Option<PersonaId>,
    /// A staged fault: greet=421|554, rcpt=450|550|452, data=552|554, delay=MS, drop-after=VERB;
    /// add :sticky to keep it after it fires. Repeat for several.
    #[arg(long = "fault", value_parser = |s: &str| s.parse::<Fault>())]
    faults: Vec<Fault>,
    /// Append the TLS sessions' secrets to this file (SSLKEYLOGFILE format), for Wireshark to
    /// decrypt a capture of them.
    #[arg(long, value_name = "FILE")]
    keylog: Option<PathBuf>,
    /// Grade every session as a student's program against a rubric: smtp-client, pop3-client
    /// or a rubric file (TOML). Each scored attempt is printed with its failed checks.
    #[arg(long, value_name = "RUBRIC")]
    lab: Option<String>,
    /// Where the lab writes each student's HTML report and grades.csv (default: the data
    /// directory's lab/ folder).
    #[arg(long, value_name = "DIR")]
    lab_reports: Option<PathBuf>,
}

pub fn serve(args: ServeArgs) -> ExitCode {
    let mut list: Vec<Account> = Vec::new();
    if let Some(path) = &args.accounts {
        match Accounts::from_file(path) {
            Ok(a) => list.extend(a.iter().cloned()),
            Err(e) => {
                eprintln!("mailtutor serve: {e}");
                return ExitCode::FAILURE;
            }
        }
    }
    let en = |w: Words| w.get(Lang::En);
    list.extend(args.account.iter().cloned());
    let accounts = if list.is_empty() {
        Accounts::default()
    } else {
        match Accounts::new(list) {
            Ok(a) => a,
            Err(e) => {
                eprintln!("mailtutor serve: {e}");
                return ExitCode::FAILURE;
            }
        }
    };
    for addr in [
        args.smtp, args.smtps, args.pop3, args.pop3s, args.imap, args.imaps,
    ] {
        if !addr.ip().is_loopback() {
            eprintln!(
                "mailtutor serve: {}",
                en(Words::new("cli.serve_exposed").arg("addr", addr))
            );
        }
    }
    let data_dir = args
        .data_dir
        .clone()
        .unwrap_or_else(server::default_data_dir);
    if let Some(names) = &args.roster {
        let taken: Vec<String> = accounts.iter().map(|a| a.address.clone()).collect();
        match add_roster(names, &data_dir, &taken) {
            Ok(line) => println!("{}", printable(&line)),
            Err(e) => {
                eprintln!("mailtutor serve: {e}");
                return ExitCode::FAILURE;
            }
        }
    }
    let rubric = match args.lab.as_deref().map(mailtutor::lab_report::load_rubric) {
        Some(Err(e)) => {
            eprintln!("mailtutor serve: {}", printable(&en(e)));
            return ExitCode::FAILURE;
        }
        Some(Ok(r)) => Some(r),
        None => None,
    };
    let reports = args
        .lab_reports
        .clone()
        .unwrap_or_else(|| data_dir.join("lab"));
    // A key log that cannot be written is said now, not at the first handshake.
    if let Some(path) = &args.keylog
        && let Err(why) = mailtutor::server::keylog::append_line(path, "")
    {
        eprintln!("mailtutor serve: {}", en(why));
        return ExitCode::FAILURE;
    }
    let config = ServerConfig {
        hostname: args.hostname,
        smtp: Some(args.smtp),
        smtps: Some(args.smtps),
        pop3: Some(args.pop3),
        pop3s: Some(args.pop3s),
        imap: Some(args.imap),
        imaps: Some(args.imaps),
        data_dir: data_dir.clone(),
        accounts,
        limits: Limits {
            max_connections: args.max_connections,
            idle_timeout: Duration::from_secs(args.idle_timeout.max(1)),
            max_message_size: args.max_size,
            max_recipients: args.max_recipients.max(1),
        },
        policy: {
            let base = args.persona.map(Policy::of_persona).unwrap_or_default();
            Policy {
                require_auth: args.require_auth || base.require_auth,
                require_tls: args.require_tls || base.require_tls,
                lowercase_prompt: args.lowercase_prompt || base.lowercase_prompt,
                persona: args.persona,
            }
        },
        faults: args.faults,
        keylog: args.keylog.clone(),
        lab: rubric.clone(),
        events: {
            let lab = rubric.clone().map(|r| {
                let cards = std::sync::Mutex::new(std::collections::BTreeMap::new());
                (r, reports.clone(), data_dir.clone(), cards)
            });
            Arc::new(move |event| {
                let mut out = std::io::stdout().lock();
                let _ = writeln!(out, "{}", printable(&event.to_string()));
                if let (Some((rubric, dir, data, cards)), server::ServerEventKind::Graded(result)) =
                    (&lab, &event.kind)
                {
                    let mut cards = cards.lock().unwrap_or_else(|p| p.into_inner());
                    cards.insert(result.card.student.clone(), result.card.clone());
                    let all: Vec<_> = cards.values().cloned().collect();
                    lab_graded(&mut out, rubric, result, &all, dir, data);
                }
                let _ = out.flush();
            })
        },
    };
    let running = match server::start(config) {
        Ok(r) => r,
        Err(e) => {
            eprintln!("mailtutor serve: {e}");
            return ExitCode::FAILURE;
        }
    };
    let show = |a: Option<SocketAddr>| a.map(|a| a.to_string()).unwrap_or_default();
    println!("{}", en(Words::new("cli.serve_title")));
    let implicit = en(Words::new("cli.serve_implicit_tls"));
    println!("  SMTP   {}  (STARTTLS)", show(running.smtp));
    println!("  SMTPS  {}  ({implicit})", show(running.smtps));
    println!("  POP3   {}  (STLS)", show(running.pop3));
    println!("  POP3S  {}  ({implicit})", show(running.pop3s));
    println!("  IMAP   {}  (STARTTLS)", show(running.imap));
    println!("  IMAPS  {}  ({implicit})", show(running.imaps));
    println!(
        "  {}",
        en(Words::new("cli.serve_maildirs").arg("dir", running.data_dir.display()))
    );
    match &running.tls_error {
        None => println!(
            "  {}",
            en(Words::new("cli.serve_certificate").arg("fingerprint", &running.fingerprint))
        ),
        Some(e) => println!(
            "  {}",
            en(Words::new("server.no_tls").arg("error", e.get(Lang::En)))
        ),
    }
    // The built-in practice accounts' password is in the README and the lessons, so it is
    // shown; a password the teacher chose is not printed where a log could keep it.
    let builtin = mailtutor::server::Accounts::default();
    for a in running.accounts().iter() {
        let public = builtin
            .get(&a.address)
            .is_some_and(|b| b.password == a.password);
        let password = if public {
            printable(&a.password)
        } else {
            "********".into()
        };
        println!(
            "  {}",
            en(Words::new("cli.serve_account")
                .arg("address", printable(&a.address))
                .arg("password", password))
        );
    }
    if let Some(path) = running.keylog().path() {
        println!(
            "  {}",
            en(Words::new("capture.keylog_on").arg("path", path.display()))
        );
    }
    for f in running.faults().list() {
        println!("  {}", en(Words::new("cli.serve_fault").arg("fault", f)));
    }
    if let Some(r) = &rubric {
        println!(
            "  {}",
            en(Words::new("cli.serve_lab")
                .arg("lab", r.title(Lang::En))
                .arg("protocol", format!("{:?}", r.protocol).to_uppercase())
                .arg("points", r.total())
                .arg("dir", reports.display()))
        );
    }
    println!("{}", en(Words::new("cli.serve_ready")));
    let _ = std::io::stdout().flush();
    loop {
        std::thread::park();
    }
}

/// Prints an attempt's failed checks, one line each, and rewrites the lab's reports.
fn lab_graded(
    out: &mut impl Write,
    rubric: &mailtutor::proto::lab::Rubric,
    result: &mailtutor::server::lab::LabResult,
    all: &[mailtutor::proto::lab::Scorecard],
    dir: &std::path::Path,
    data_dir: &std::path::Path,
) {
    use mailtutor::lab_report::{Named, mark, reason, write_all};
    if let Some(a) = result
        .card
        .attempts()
        .into_iter()
        .find(|a| a.number == result.attempt)
    {
        for r in a.graded.results.iter().filter(|r| r.earned() < r.points) {
            let _ = writeln!(
                out,
                "{}",
                printable(
                    &Words::new("cli.serve_lab_failed")
                        .arg("mark", mark(Some(r)))
                        .arg("check", &r.id)
                        .arg("points", r.points)
                        .arg("why", reason(r, Lang::En))
                        .get(Lang::En)
                )
            );
        }
    }
    let class: Vec<Named> = mailtutor::server::roster::Roster::load(data_dir)
        .map(|r| {
            r.students
                .into_iter()
                .map(|s| Named {
                    name: s.name,
                    address: s.address,
                })
                .collect()
        })
        .unwrap_or_default();
    if let Err(e) = write_all(dir, rubric, all, &class, Lang::En) {
        let _ = writeln!(
            out,
            "{}",
            Words::new("cli.serve_lab_write_failed")
                .arg("error", e)
                .get(Lang::En)
        );
    }
}

/// Adds the names in `file` to the data directory's roster and writes the list to hand out.
fn add_roster(
    file: &std::path::Path,
    data_dir: &std::path::Path,
    taken: &[String],
) -> Result<String, String> {
    use mailtutor::server::roster::{Roster, parse_names};
    let text = std::fs::read(file).map_err(|e| format!("{}: {e}", file.display()))?;
    let names = parse_names(&mailtutor::explain::decode_paste(&text));
    let mut roster = Roster::load(data_dir)?;
    let added = roster.add(&names, taken)?;
    roster.save(data_dir)?;
    let list = data_dir.join("roster.csv");
    mailtutor::server::roster::write_private(
        &list,
        format!("\u{feff}{}", roster.to_csv()).as_bytes(),
    )
    .map_err(|e| format!("{}: {e}", list.display()))?;
    Ok(Words::new("cli.serve_roster")
        .arg("added", added.len())
        .arg("all", roster.students.len())
        .arg("list", list.display())
        .get(Lang::En))
}

fn parse_account(s: &str) -> Result<Account, String> {
    match s.split_once(':') {
        Some((address, password)) if !address.is_empty() && !password.is_empty() => Ok(Account {
            address: address.to_owned(),
            password: password.to_owned(),
        }),
        _ => Err(Words::new("cli.bad_account")
            .arg("text", format!("{s:?}"))
            .get(Lang::En)),
    }
}
