//! IMAP (RFC 3501, RFC 9051), sans-IO: the server's responses read in any chunking, the
//! commands a student sends with their tags, and the connection's states. imap-codec reads the
//! grammar; what it refuses is still shown and explained.

pub mod command;
pub mod knowledge;
pub mod response;
pub mod state;

pub use command::{CommandMistake, ImapCommand, ImapKind, StoreMode, Tagger, TypedCommand, VERBS};
pub use response::{
    ImapItem, ImapReader, ImapResponse, ImapStatus, ImapWarning, RespCode, ResponseKind,
};
pub use state::{Completion, ImapEvent, ImapSession, ImapState};
