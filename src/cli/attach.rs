//! `mailtutor send --attach FILE --html FILE`: the MIME options of a send (as swaks has them),
//! building the same message as the window's composer.

use std::path::PathBuf;

use mailtutor::proto::message::Draft;
use mailtutor::proto::mime::{MimeDraft, NameForm};
use mailtutor::words::Words;

#[derive(Clone, Copy, Default, clap::ValueEnum)]
pub enum NameFormArg {
    /// filename*=utf-8''%E4%BD%9C… (RFC 2231)
    #[default]
    Rfc2231,
    /// filename="=?UTF-8?B?…?=" as QQ Mail and 163 write it (RFC 2047 words)
    Rfc2047,
}

#[derive(clap::Args, Default)]
pub struct MimeArgs {
    /// Attach a file (repeatable); its content type is guessed from the extension.
    #[arg(long, value_name = "FILE")]
    attach: Vec<PathBuf>,
    /// An HTML alternative of the body, read from this file (multipart/alternative).
    #[arg(long, value_name = "FILE")]
    html: Option<PathBuf>,
    /// How non-ASCII attachment names are written.
    #[arg(long, value_enum, default_value = "rfc2231")]
    name_form: NameFormArg,
}

impl MimeArgs {
    /// The DATA payload of `draft` with the attachments and HTML asked for.
    pub fn payload(&self, draft: Draft) -> Result<Vec<u8>, Words> {
        let attachments = self
            .attach
            .iter()
            .map(|p| mailtutor::attachment::read(p))
            .collect::<Result<Vec<_>, Words>>()?;
        let html = match &self.html {
            Some(p) => {
                Some(String::from_utf8_lossy(&mailtutor::attachment::read(p)?.bytes).into_owned())
            }
            None => None,
        };
        MimeDraft {
            draft,
            html,
            inline_image: None,
            attachments,
            name_form: match self.name_form {
                NameFormArg::Rfc2231 => NameForm::Rfc2231,
                NameFormArg::Rfc2047 => NameForm::Rfc2047,
            },
        }
        .to_data_payload()
        .map_err(|e| e.words())
    }
}
