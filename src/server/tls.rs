//! The practice server's TLS identity: a self-signed certificate made at start-up with rcgen.

use sha2::{Digest, Sha256};

/// A TLS acceptor and what a client needs to pin its certificate.
pub struct TlsIdentity {
    pub acceptor: native_tls::TlsAcceptor,
    pub cert_pem: String,
    pub cert_der: Vec<u8>,
    /// SHA-256 of the certificate, `AB:CD:…`.
    pub fingerprint: String,
}

#[derive(Debug, thiserror::Error)]
pub enum TlsSetupError {
    #[error("{}", crate::words::Words::new("server.certificate").arg("text", .0))]
    Certificate(#[from] rcgen::Error),
    #[error("{}", crate::words::Words::new("server.tls_refused").arg("text", .0))]
    Tls(#[from] native_tls::Error),
}

/// SHA-256 fingerprint in the colon-separated upper-case form browsers and openssl show.
pub fn fingerprint(der: &[u8]) -> String {
    Sha256::digest(der)
        .iter()
        .map(|b| format!("{b:02X}"))
        .collect::<Vec<_>>()
        .join(":")
}

impl TlsIdentity {
    /// A certificate for `hostname`, `localhost` and 127.0.0.1.
    pub fn generate(hostname: &str) -> Result<Self, TlsSetupError> {
        let names = vec![
            hostname.to_owned(),
            "localhost".to_owned(),
            "127.0.0.1".to_owned(),
        ];
        let certified = rcgen::generate_simple_self_signed(names)?;
        let cert_pem = certified.cert.pem();
        let key_pem = certified.signing_key.serialize_pem();
        let cert_der = certified.cert.der().to_vec();
        let identity = native_tls::Identity::from_pkcs8(cert_pem.as_bytes(), key_pem.as_bytes())?;
        let acceptor = native_tls::TlsAcceptor::new(identity)?;
        Ok(Self {
            acceptor,
            fingerprint: fingerprint(&cert_der),
            cert_pem,
            cert_der,
        })
    }
}
