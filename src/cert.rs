//! Certificate fingerprints, as both sides show them: the client to let a user pin a
//! certificate, the practice server to print the one it made.

use sha2::{Digest, Sha256};

/// SHA-256 fingerprint in the colon-separated upper-case form browsers and openssl show.
pub fn fingerprint(der: &[u8]) -> String {
    Sha256::digest(der)
        .iter()
        .map(|b| format!("{b:02X}"))
        .collect::<Vec<_>>()
        .join(":")
}
