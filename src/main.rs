//! The `mailtutor` command: the tutor window, or one of its command-line tools.

use std::io::{IsTerminal, Read};
use std::process::ExitCode;

use clap::{Parser, Subcommand};
use mailtutor::explain::{self, Options};
use mailtutor::proto::Lang;

#[derive(Parser)]
#[command(
    name = "mailtutor",
    version,
    about = "Learn how e-mail really moves: SMTP and POP3, one command at a time"
)]
struct Cli {
    #[command(subcommand)]
    command: Option<Command>,
}

#[derive(Subcommand)]
enum Command {
    /// Explain reply codes (535, 5.7.8, +OK, IN-USE), or annotate a transcript read from stdin.
    Explain {
        /// Codes to explain; with none, a transcript is read from standard input.
        codes: Vec<String>,
        /// Language of the explanations: en or zh.
        #[arg(long, default_value = "en", value_parser = parse_lang)]
        lang: Lang,
        /// Show passwords instead of masking them.
        #[arg(long)]
        show_secrets: bool,
    },
}

fn parse_lang(s: &str) -> Result<Lang, String> {
    Lang::from_tag(s).ok_or_else(|| format!("unknown language {s:?}: use en or zh"))
}

#[cfg(feature = "gui")]
fn open_window() -> ExitCode {
    match mailtutor::ui::run() {
        Ok(()) => ExitCode::SUCCESS,
        Err(e) => {
            eprintln!("mailtutor: cannot open the window: {e}");
            ExitCode::FAILURE
        }
    }
}

#[cfg(not(feature = "gui"))]
fn open_window() -> ExitCode {
    eprintln!("mailtutor: this build has no window (built without the `gui` feature); see --help");
    ExitCode::FAILURE
}

fn main() -> ExitCode {
    let cli = Cli::parse();
    match cli.command {
        None => open_window(),
        Some(Command::Explain {
            codes,
            lang,
            show_secrets,
        }) => {
            if !codes.is_empty() {
                print!("{}", explain::explain_codes(&codes, lang));
                return ExitCode::SUCCESS;
            }
            let mut stdin = std::io::stdin();
            if stdin.is_terminal() {
                eprintln!("Paste a transcript, then press Ctrl-D (Ctrl-Z Enter on Windows).");
            }
            let mut bytes = Vec::new();
            if let Err(e) = stdin.read_to_end(&mut bytes) {
                eprintln!("mailtutor explain: cannot read standard input: {e}");
                return ExitCode::FAILURE;
            }
            let text = String::from_utf8_lossy(&bytes);
            print!(
                "{}",
                explain::annotate(&text, Options { lang, show_secrets })
            );
            ExitCode::SUCCESS
        }
    }
}
