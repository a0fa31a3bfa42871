//! The practice server's TLS identity: a self-signed certificate made at start-up with rcgen,
//! served with rustls. The server side does not use the system's TLS library: Windows' SChannel
//! imports keys only through its certificate stores, and Wine's SChannel has no server side at
//! all, while rustls behaves the same on every system. Clients still use native-tls.

use std::sync::Arc;

use crate::cert::fingerprint;

/// A TLS server configuration and what a client needs to pin its certificate.
pub struct TlsIdentity {
    pub config: Arc<rustls::ServerConfig>,
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
    Tls(#[from] rustls::Error),
}

impl TlsIdentity {
    /// A certificate for `hostname`, `localhost` and 127.0.0.1.
    pub fn generate(hostname: &str) -> Result<Self, TlsSetupError> {
        Self::generate_logging(hostname, Arc::new(rustls::NoKeyLog))
    }

    /// The same, its sessions' secrets handed to `key_log` (see [`super::keylog`]).
    pub fn generate_logging(
        hostname: &str,
        key_log: Arc<dyn rustls::KeyLog>,
    ) -> Result<Self, TlsSetupError> {
        let names = vec![
            hostname.to_owned(),
            "localhost".to_owned(),
            "127.0.0.1".to_owned(),
        ];
        let certified = rcgen::generate_simple_self_signed(names)?;
        let cert_pem = certified.cert.pem();
        let cert_der = certified.cert.der().to_vec();
        let key =
            rustls::pki_types::PrivateKeyDer::Pkcs8(certified.signing_key.serialize_der().into());
        let provider = Arc::new(rustls::crypto::ring::default_provider());
        let mut config = rustls::ServerConfig::builder_with_provider(provider)
            .with_safe_default_protocol_versions()?
            .with_no_client_auth()
            .with_single_cert(vec![cert_der.clone().into()], key)?;
        config.key_log = key_log;
        Ok(Self {
            config: Arc::new(config),
            fingerprint: fingerprint(&cert_der),
            cert_pem,
            cert_der,
        })
    }
}
