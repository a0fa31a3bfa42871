//! The `mailtutor` command: the tutor window, or one of its command-line tools.

// On Windows a GUI program: no console window opens behind the tutor window. Run from a
// console, it attaches to that console so the command-line tools still print.
#![cfg_attr(windows, windows_subsystem = "windows")]

use std::io::{IsTerminal, Read};
use std::process::ExitCode;

use clap::{Parser, Subcommand};

mod cli;
use mailtutor::explain::{self, Options};
use mailtutor::proto::Lang;
use mailtutor::proto::capture_read;
use mailtutor::proto::line::printable;
use mailtutor::words::Words;

/// Learn how e-mail really moves: SMTP and POP3, one command at a time.
#[derive(Parser)]
#[command(name = "mailtutor", version)]
struct Cli {
    #[command(subcommand)]
    command: Option<Command>,
    /// Play a scripted session in the window against the practice server (send, send-zh,
    /// auth-fail, base64, pop3): for screenshots and for showing a whole send to a class.
    #[arg(long, value_name = "NAME", value_parser = parse_demo)]
    demo: Option<String>,
    /// Print the milliseconds from start to the first painted frame, then close (for
    /// measuring start-up).
    #[arg(long)]
    startup_probe: bool,
}

fn parse_demo(s: &str) -> Result<String, String> {
    #[cfg(feature = "gui")]
    if !mailtutor::ui::demo_names().contains(&s) {
        return Err(Words::new("cli.bad_demo")
            .arg("names", mailtutor::ui::demo_names().join(", "))
            .get(Lang::En));
    }
    Ok(s.to_owned())
}

#[derive(Subcommand)]
enum Command {
    /// Send one mail over SMTP and print the annotated transcript as it happens (like swaks).
    Send(Box<cli::send::SendArgs>),
    /// Read a mailbox over IMAP (read-only: EXAMINE, BODY.PEEK) and print the annotated transcript as it happens.
    Read(Box<cli::read::ReadArgs>),
    /// Score a student's own SMTP (and POP3) server: a battery of sessions, each check with
    /// what was expected and what came back (exit code 0 when all applicable checks pass).
    CheckServer(Box<cli::check_server::CheckServerArgs>),
    /// Run the practice server alone (SMTP, POP3 and IMAP over one Maildir), e.g. on a teacher's machine.
    Serve(Box<cli::serve::ServeArgs>),
    /// Explain reply codes (535, 5.7.8, +OK, IN-USE), or annotate a transcript read from stdin.
    Explain {
        /// Codes to explain, or one file to annotate (a saved transcript, or a pcap or pcapng
        /// capture from Wireshark or tcpdump); with none, a transcript or a capture is read
        /// from standard input.
        codes: Vec<String>,
        /// Language of the explanations: en or zh.
        #[arg(long, default_value = "en", value_parser = cli::parse_lang)]
        lang: Lang,
        /// Show passwords instead of masking them.
        #[arg(long)]
        show_secrets: bool,
        /// How to write an annotated transcript: text, html (one self-contained page to
        /// hand in, as the window's Save writes it), or pcapng (a capture for Wireshark, with
        /// invented addresses and times).
        #[arg(long, default_value = "text", value_parser = ["text", "html", "pcapng"])]
        format: String,
        /// With --format pcapng: write the capture to this file, not to standard output.
        #[arg(long, value_name = "FILE")]
        output: Option<std::path::PathBuf>,
        /// The student's name on the HTML page.
        #[arg(long, default_value = "")]
        student: String,
        /// Also print each reply's details: the codes' reference meanings and the session state.
        #[arg(long)]
        verbose: bool,
    },
}

#[cfg(feature = "gui")]
fn open_window(demo: Option<String>, probe: Option<std::time::Instant>) -> ExitCode {
    let options = mailtutor::ui::AppOptions {
        demo,
        startup_probe: probe,
        ..Default::default()
    };
    match mailtutor::ui::run(options) {
        Ok(()) => ExitCode::SUCCESS,
        Err(e) => {
            eprintln!(
                "mailtutor: {}",
                Words::new("cli.no_window").arg("text", e).get(Lang::En)
            );
            ExitCode::FAILURE
        }
    }
}

#[cfg(not(feature = "gui"))]
fn open_window(_demo: Option<String>, _probe: Option<std::time::Instant>) -> ExitCode {
    eprintln!("mailtutor: {}", Words::new("cli.no_gui").get(Lang::En));
    ExitCode::FAILURE
}

/// Writes to the console the program was started from, if it has no output of its own (a GUI
/// program's standard handles are empty unless redirected to a file or a pipe).
#[cfg(windows)]
#[allow(unsafe_code)]
fn attach_parent_console() {
    use windows_sys::Win32::System::Console::{
        ATTACH_PARENT_PROCESS, AttachConsole, GetStdHandle, STD_ERROR_HANDLE, STD_OUTPUT_HANDLE,
    };
    // SAFETY: Win32 calls with constant arguments; no memory is passed or kept.
    unsafe {
        if GetStdHandle(STD_OUTPUT_HANDLE).is_null() && GetStdHandle(STD_ERROR_HANDLE).is_null() {
            // Fails harmlessly when started by a double-click: there is no console to attach.
            AttachConsole(ATTACH_PARENT_PROCESS);
        }
    }
}

/// The most of a file or of standard input `explain` reads (a capture of a long lesson is a
/// few megabytes).
const CAPTURE_READ_CAP: u64 = 256 << 20;

/// The HTML page's header: the student's name and today's date.
fn html_header(student: String) -> mailtutor::html_export::Header {
    let now = std::time::SystemTime::now()
        .duration_since(std::time::UNIX_EPOCH)
        .map(|d| d.as_secs() as i64)
        .unwrap_or_default();
    mailtutor::html_export::Header {
        student,
        date: mailtutor::html_export::date_of(now),
        lesson: None,
    }
}

/// `mailtutor explain` on a pcap or pcapng capture: each mail session annotated, every line
/// with its packet number.
fn explain_capture(
    bytes: &[u8],
    lang: Lang,
    show_secrets: bool,
    format: &str,
    student: String,
    verbose: bool,
) -> ExitCode {
    let cap = match capture_read::read_capture(bytes) {
        Ok(cap) => cap,
        Err(e) => {
            let key = match e {
                capture_read::CaptureError::NotACapture => "opencapture.not_capture",
                capture_read::CaptureError::Truncated => "opencapture.short",
            };
            eprintln!("mailtutor explain: {}", Words::new(key).get(lang));
            return ExitCode::FAILURE;
        }
    };
    if format == "html" {
        let page = mailtutor::html_export::transcript_html(
            &explain::fold_capture(&cap),
            lang,
            show_secrets,
            &html_header(student),
        );
        print!("{}", printable(&page));
        return ExitCode::SUCCESS;
    }
    let out = explain::annotate_capture(&cap, Options { lang, show_secrets }, verbose);
    print!("{}", printable(&out));
    ExitCode::SUCCESS
}

fn main() -> ExitCode {
    let started = std::time::Instant::now();
    #[cfg(windows)]
    attach_parent_console();
    let cli = Cli::parse();
    match cli.command {
        None => open_window(cli.demo, cli.startup_probe.then_some(started)),
        Some(Command::Serve(args)) => cli::serve::serve(*args),
        Some(Command::Send(args)) => cli::send::send(*args),
        Some(Command::Read(args)) => cli::read::read(*args),
        Some(Command::CheckServer(args)) => cli::check_server::check_server(*args),
        Some(Command::Explain {
            codes,
            lang,
            show_secrets,
            format,
            output,
            student,
            verbose,
        }) => {
            let file = match &codes[..] {
                [one] if std::path::Path::new(one).is_file() => Some(one),
                _ => None,
            };
            if !codes.is_empty() && file.is_none() {
                print!("{}", printable(&explain::explain_codes(&codes, lang)));
                return ExitCode::SUCCESS;
            }
            let mut bytes = Vec::new();
            let read = match file {
                Some(path) => std::fs::File::open(path).and_then(|f| {
                    // A capture bigger than this is read as far as it goes.
                    f.take(CAPTURE_READ_CAP).read_to_end(&mut bytes)
                }),
                None => {
                    let stdin = std::io::stdin();
                    if stdin.is_terminal() {
                        eprintln!("{}", Words::new("cli.paste").get(lang));
                    }
                    stdin.take(CAPTURE_READ_CAP).read_to_end(&mut bytes)
                }
            };
            if let Err(e) = read {
                eprintln!(
                    "mailtutor explain: {}",
                    Words::new("cli.stdin").arg("text", e).get(lang)
                );
                return ExitCode::FAILURE;
            }
            if capture_read::is_capture(&bytes) {
                // A capture is written from a session's lines, not from another capture.
                if format == "pcapng" {
                    eprintln!(
                        "mailtutor explain: {}",
                        Words::new("capture.already").get(lang)
                    );
                    return ExitCode::FAILURE;
                }
                return explain_capture(&bytes, lang, show_secrets, &format, student, verbose);
            }
            // A whole message rather than a session: its MIME tree.
            if format != "html"
                && let Some(tree) = mailtutor::proto::mime_tree::explain_message(&bytes, lang)
            {
                print!("{}", printable(&tree));
                return ExitCode::SUCCESS;
            }
            let text = explain::decode_paste(&bytes);
            if format == "pcapng" {
                let t = explain::fold(&text);
                let written = match &output {
                    Some(path) => cli::capture::save(path, &t, lang, show_secrets),
                    None => match cli::capture::capture(&t, lang, show_secrets) {
                        Ok(file) => cli::capture::to_stdout(&file, lang),
                        Err(why) => {
                            eprintln!("mailtutor explain: {}", printable(&why.get(lang)));
                            false
                        }
                    },
                };
                return if written {
                    ExitCode::SUCCESS
                } else {
                    ExitCode::FAILURE
                };
            }
            if format == "html" {
                let header = html_header(student);
                let page = mailtutor::html_export::transcript_html(
                    &explain::fold(&text),
                    lang,
                    show_secrets,
                    &header,
                );
                print!("{}", printable(&page));
                return ExitCode::SUCCESS;
            }
            let opts = Options { lang, show_secrets };
            let out = if verbose {
                explain::annotate_verbose(&text, opts)
            } else {
                explain::annotate(&text, opts)
            };
            print!("{}", printable(&out));
            ExitCode::SUCCESS
        }
    }
}
