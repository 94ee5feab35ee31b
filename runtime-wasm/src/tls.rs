//! Go's `crypto/tls` client, inside the page, over any [`Conn`] (feature
//! `tls`): a relay stream carries only ciphertext, so neither the relay nor
//! the browser sees what is sent. rustls with ring does the protocol
//! (TLS 1.3 and 1.2), futures-rustls drives it over the Conn, and
//! webpki-roots (Mozilla's CA list) is the trust store, with the host's own
//! roots beside it. Errors read as Go's (`tls: failed to verify
//! certificate: x509: certificate signed by unknown authority`), and
//! deadlines are the Conn's: a read that times out leaves the session
//! usable, as in Go.
//!
//! ```no_run
//! # async fn f() -> Result<(), runtime_wasm::net::Error> {
//! use runtime_wasm::tls;
//! let mut c = tls::dial("tcp", "example.com:443", &tls::Config::default()).await?;
//! c.write_all(b"GET / HTTP/1.1\r\nHost: example.com\r\nConnection: close\r\n\r\n").await?;
//! # Ok(()) }
//! ```

use std::cell::RefCell;
use std::io;
use std::pin::Pin;
use std::rc::Rc;
use std::sync::Arc;
use std::task::{Context, Poll};

use futures_io::{AsyncRead, AsyncWrite};
use futures_rustls::TlsConnector;
use rustls::client::danger::{HandshakeSignatureValid, ServerCertVerified, ServerCertVerifier};
use rustls::pki_types::{CertificateDer, ServerName, UnixTime};
use rustls::{CertificateError, ClientConfig, DigitallySignedStruct, RootCertStore, SignatureScheme};
use web_time::SystemTime;

use crate::net::{self, Conn, Error};

/// Go's `tls.Config`, the client's part.
#[derive(Clone, Debug, Default, PartialEq)]
pub struct Config {
    /// Go's `ServerName`: the name sent (SNI) and verified; empty means the
    /// host of the address dialled.
    pub server_name: String,
    /// Go's `NextProtos` (ALPN), most preferred first.
    pub next_protos: Vec<String>,
    /// CA certificates (PEM) trusted besides webpki-roots' (a private CA,
    /// a test CA).
    pub root_cas: Vec<String>,
    /// Go's `InsecureSkipVerify`: any certificate for any name is accepted
    /// (the handshake's signatures are still checked). For tests only: a
    /// relay could read and change everything.
    pub insecure_skip_verify: bool,
}

/// What the handshake settled (Go's `tls.ConnectionState`, in part).
#[derive(Clone, Debug, PartialEq)]
pub struct ConnectionState {
    /// Go's `VersionTLS13` (0x0304) or `VersionTLS12` (0x0303).
    pub version: u16,
    /// The ALPN protocol agreed, or empty.
    pub negotiated_protocol: String,
    /// The name verified.
    pub server_name: String,
}

thread_local! {
    // One built config per distinct Config (a handful in practice: built
    // once, not per connection). Bounded: the oldest is dropped past 8.
    static CONFIGS: RefCell<Vec<(Config, Arc<ClientConfig>)>> = const { RefCell::new(Vec::new()) };
}

impl Config {
    /// The rustls config (cached): roots parsed, ALPN set.
    fn build(&self) -> Result<Arc<ClientConfig>, Error> {
        if let Some(c) = CONFIGS.with(|c| c.borrow().iter().find(|(k, _)| k == self).map(|(_, v)| v.clone())) {
            return Ok(c);
        }
        let provider = Arc::new(provider());
        let builder = ClientConfig::builder_with_provider(provider.clone())
            .with_safe_default_protocol_versions()
            .map_err(|e| Error::other(format!("tls: {e}")))?;
        let mut config = if self.insecure_skip_verify {
            builder
                .dangerous()
                .with_custom_certificate_verifier(Arc::new(SkipVerify(provider)))
                .with_no_client_auth()
        } else {
            let mut roots = RootCertStore { roots: webpki_roots::TLS_SERVER_ROOTS.to_vec() };
            for pem in &self.root_cas {
                for der in pem_certificates(pem)? {
                    roots
                        .add(der)
                        .map_err(|e| Error::other(format!("tls: a root CA cannot be used: {e}")))?;
                }
            }
            builder.with_root_certificates(roots).with_no_client_auth()
        };
        config.alpn_protocols = self.next_protos.iter().map(|p| p.as_bytes().to_vec()).collect();
        let config = Arc::new(config);
        CONFIGS.with(|c| {
            let mut c = c.borrow_mut();
            if c.len() >= 8 {
                c.remove(0);
            }
            c.push((self.clone(), config.clone()));
        });
        Ok(config)
    }
}

/// ring's provider, built here rather than by `rustls::crypto::ring::
/// default_provider()`: its key provider loads private keys (RSA, ECDSA
/// and Ed25519 signing, for client certificates), which a client that
/// never authenticates itself does not need; without it the TLS build is
/// smaller by their code and tables. (`default_provider` is also
/// deprecated since rustls 0.23.48 for lacking post-quantum key exchange:
/// aws-lc-rs, which has it, does not build for wasm32-unknown-unknown; the
/// groups are X25519 and the NIST curves, as Go's before 1.24.)
fn provider() -> rustls::crypto::CryptoProvider {
    use rustls::crypto::ring as r;
    rustls::crypto::CryptoProvider {
        // ChaCha20-Poly1305 first, as Go's client orders them without AES
        // hardware: wasm has none, and ring's constant-time software AES
        // is the slower of the two there.
        cipher_suites: {
            use r::cipher_suite as c;
            vec![
                c::TLS13_CHACHA20_POLY1305_SHA256,
                c::TLS13_AES_128_GCM_SHA256,
                c::TLS13_AES_256_GCM_SHA384,
                c::TLS_ECDHE_ECDSA_WITH_CHACHA20_POLY1305_SHA256,
                c::TLS_ECDHE_RSA_WITH_CHACHA20_POLY1305_SHA256,
                c::TLS_ECDHE_ECDSA_WITH_AES_128_GCM_SHA256,
                c::TLS_ECDHE_RSA_WITH_AES_128_GCM_SHA256,
                c::TLS_ECDHE_ECDSA_WITH_AES_256_GCM_SHA384,
                c::TLS_ECDHE_RSA_WITH_AES_256_GCM_SHA384,
            ]
        },
        // X25519 first, as Go and the browsers: rustls 0.23.48 puts P-384
        // first for ring, whose generic (wasm) P-384 cost about 4-6 ms of
        // each handshake (keygen and agreement; X25519 a fraction of one).
        kx_groups: vec![r::kx_group::X25519, r::kx_group::SECP256R1, r::kx_group::SECP384R1],
        // (Only the table is kept of it: its key provider is dropped.)
        #[allow(deprecated)]
        signature_verification_algorithms: r::default_provider().signature_verification_algorithms,
        secure_random: &Random,
        key_provider: &NoKeys,
    }
}

/// crypto.getRandomValues, through ring.
#[derive(Debug)]
struct Random;

impl rustls::crypto::SecureRandom for Random {
    fn fill(&self, buf: &mut [u8]) -> Result<(), rustls::crypto::GetRandomFailed> {
        use ring::rand::SecureRandom;
        ring::rand::SystemRandom::new().fill(buf).map_err(|_| rustls::crypto::GetRandomFailed)
    }
}

/// No client certificates: no private key is ever loaded.
#[derive(Debug)]
struct NoKeys;

impl rustls::crypto::KeyProvider for NoKeys {
    fn load_private_key(
        &self,
        _: rustls::pki_types::PrivateKeyDer<'static>,
    ) -> Result<Arc<dyn rustls::sign::SigningKey>, rustls::Error> {
        Err(rustls::Error::General("tls: client certificates are not supported".into()))
    }
}

/// The certificates in a PEM text (strict, unlike Go's
/// `AppendCertsFromPEM`: a PEM with no certificate, or a broken one, is an
/// error, so a typo cannot leave a host trusting less than it meant).
fn pem_certificates(pem: &str) -> Result<Vec<CertificateDer<'static>>, Error> {
    use rustls::pki_types::pem::PemObject;
    let certs = CertificateDer::pem_slice_iter(pem.as_bytes())
        .collect::<Result<Vec<_>, _>>()
        .map_err(|e| Error::other(format!("tls: a root CA's PEM cannot be read: {e}")))?;
    if certs.is_empty() {
        return Err(Error::other("tls: no certificate in a root CA's PEM"));
    }
    Ok(certs)
}

/// Accepts every certificate, still checking the handshake's signatures.
#[derive(Debug)]
struct SkipVerify(Arc<rustls::crypto::CryptoProvider>);

impl ServerCertVerifier for SkipVerify {
    fn verify_server_cert(
        &self,
        _: &CertificateDer<'_>,
        _: &[CertificateDer<'_>],
        _: &ServerName<'_>,
        _: &[u8],
        _: UnixTime,
    ) -> Result<ServerCertVerified, rustls::Error> {
        Ok(ServerCertVerified::assertion())
    }
    fn verify_tls12_signature(
        &self,
        message: &[u8],
        cert: &CertificateDer<'_>,
        dss: &DigitallySignedStruct,
    ) -> Result<HandshakeSignatureValid, rustls::Error> {
        rustls::crypto::verify_tls12_signature(message, cert, dss, &self.0.signature_verification_algorithms)
    }
    fn verify_tls13_signature(
        &self,
        message: &[u8],
        cert: &CertificateDer<'_>,
        dss: &DigitallySignedStruct,
    ) -> Result<HandshakeSignatureValid, rustls::Error> {
        rustls::crypto::verify_tls13_signature(message, cert, dss, &self.0.signature_verification_algorithms)
    }
    fn supported_verify_schemes(&self) -> Vec<SignatureScheme> {
        self.0.signature_verification_algorithms.supported_schemes()
    }
}

/// The Conn under a TLS session, shared so its deadlines stay settable.
#[derive(Debug)]
pub(crate) struct Shared {
    pub(crate) conn: Rc<Conn>,
}

impl Shared {
    pub(crate) fn new(conn: Rc<Conn>) -> Shared {
        Shared { conn }
    }
}

thread_local! {
    // The records rustls has ready, joined for one write (see below): one
    // buffer for every session, as JS copies a write's bytes before it returns.
    static JOINED: RefCell<Vec<u8>> = const { RefCell::new(Vec::new()) };
}

/// What a vectored write joins at most: one relay packet's worth.
const JOIN_MAX: usize = 64 * 1024;

impl AsyncRead for Shared {
    fn poll_read(self: Pin<&mut Self>, cx: &mut Context<'_>, buf: &mut [u8]) -> Poll<io::Result<usize>> {
        Pin::new(&mut &*self.conn).poll_read(cx, buf)
    }
}

impl AsyncWrite for Shared {
    fn poll_write(self: Pin<&mut Self>, cx: &mut Context<'_>, buf: &[u8]) -> Poll<io::Result<usize>> {
        Pin::new(&mut &*self.conn).poll_write(cx, buf)
    }

    /// rustls hands over its records (16 KiB each at most) as a vector:
    /// joined, they go out as one write, one relay packet and one call
    /// into the page, instead of one each. A write still waiting for room
    /// keeps the bytes it was first given (JS copied them); its count is of
    /// those, a prefix of what rustls holds, so a longer vector on the next
    /// poll is consistent.
    fn poll_write_vectored(
        self: Pin<&mut Self>,
        cx: &mut Context<'_>,
        bufs: &[io::IoSlice<'_>],
    ) -> Poll<io::Result<usize>> {
        if bufs.iter().filter(|b| !b.is_empty()).count() <= 1 {
            let first = bufs.iter().find(|b| !b.is_empty()).map_or(&[][..], |b| &**b);
            return Pin::new(&mut &*self.conn).poll_write(cx, first);
        }
        JOINED.with(|joined| {
            let mut joined = joined.borrow_mut();
            joined.clear();
            for b in bufs {
                let room = JOIN_MAX - joined.len();
                if room == 0 {
                    break;
                }
                joined.extend_from_slice(&b[..b.len().min(room)]);
            }
            Pin::new(&mut &*self.conn).poll_write(cx, &joined)
        })
    }

    fn poll_flush(self: Pin<&mut Self>, cx: &mut Context<'_>) -> Poll<io::Result<()>> {
        Pin::new(&mut &*self.conn).poll_flush(cx)
    }
    fn poll_close(self: Pin<&mut Self>, cx: &mut Context<'_>) -> Poll<io::Result<()>> {
        Pin::new(&mut &*self.conn).poll_close(cx)
    }
}

/// Go's `*tls.Conn` (client side): a TLS session over a [`Conn`].
/// Reads and writes take `&mut self` (the session's state is one); the
/// deadline setters take `&self`, so another holder of the Conn can set them.
pub struct TlsConn {
    stream: futures_rustls::client::TlsStream<Shared>,
    state: ConnectionState,
}

impl std::fmt::Debug for TlsConn {
    fn fmt(&self, f: &mut std::fmt::Formatter<'_>) -> std::fmt::Result {
        f.debug_struct("TlsConn").field("conn", &self.stream.get_ref().0.conn).field("state", &self.state).finish()
    }
}

/// Go's `tls.Client` followed by `Handshake`: `server_name` (or, when the
/// config has none, `host`) is sent and verified.
pub async fn client(conn: Conn, host: &str, config: &Config) -> Result<TlsConn, Error> {
    client_shared(Rc::new(conn), host, config).await
}

pub(crate) async fn client_shared(conn: Rc<Conn>, host: &str, config: &Config) -> Result<TlsConn, Error> {
    let name = if config.server_name.is_empty() { host } else { &config.server_name };
    let name = name.trim_start_matches('[').trim_end_matches(']');
    let server_name = ServerName::try_from(name.to_string())
        .map_err(|_| Error::other(format!("tls: {name:?} is not a valid server name")))?;
    let connector = TlsConnector::from(config.build()?);
    let stream = connector
        .connect(server_name, Shared::new(conn.clone()))
        .await
        .map_err(|e| from_io(e, name))?;
    let (_, session) = stream.get_ref();
    let state = ConnectionState {
        version: match session.protocol_version() {
            Some(rustls::ProtocolVersion::TLSv1_2) => 0x0303,
            _ => 0x0304,
        },
        negotiated_protocol: session
            .alpn_protocol()
            .map(|p| String::from_utf8_lossy(p).into_owned())
            .unwrap_or_default(),
        server_name: name.to_string(),
    };
    Ok(TlsConn { stream, state })
}

/// Go's `tls.Dial`: [`net::dial`], then the handshake. The page's policy
/// applies as to any dial. Through a Wisp relay the ClientHello goes out
/// without waiting for the relay's word on the new stream (a relay never
/// acknowledges a connect), so a refusal arrives during the handshake; it
/// is said as the dial's error all the same.
pub async fn dial(network: &str, address: &str, config: &Config) -> Result<TlsConn, Error> {
    dial_with(&net::Dialer::default(), network, address, config).await
}

/// `dial` with a [`net::Dialer`] (its timeout bounds the dial).
pub async fn dial_with(dialer: &net::Dialer, network: &str, address: &str, config: &Config) -> Result<TlsConn, Error> {
    let (host, _) = net::split_host_port(address)?;
    let conn = dialer.dial_speaking_first(network, address).await?;
    client(conn, &host, config).await.map_err(|e| net::dial_error(e, network, address))
}

/// A rustls error in Go's words (crypto/tls's and crypto/x509's texts).
pub(crate) fn go_message(e: &rustls::Error, name: &str) -> String {
    use rustls::Error as E;
    let verify = |x509: String| format!("tls: failed to verify certificate: x509: {x509}");
    match e {
        E::InvalidCertificate(c) => match c {
            CertificateError::UnknownIssuer => verify("certificate signed by unknown authority".into()),
            CertificateError::NotValidForNameContext { presented, .. } if !presented.is_empty() => {
                verify(format!("certificate is valid for {}, not {name}", presented.join(", ")))
            }
            CertificateError::NotValidForName | CertificateError::NotValidForNameContext { .. } => {
                verify(format!("certificate is not valid for {name}"))
            }
            CertificateError::Expired
            | CertificateError::ExpiredContext { .. }
            | CertificateError::NotValidYet
            | CertificateError::NotValidYetContext { .. } => {
                verify("certificate has expired or is not yet valid".into())
            }
            CertificateError::Revoked => verify("certificate has been revoked".into()),
            CertificateError::InvalidPurpose | CertificateError::InvalidPurposeContext { .. } => {
                verify("certificate specifies an incompatible key usage".into())
            }
            other => verify(format!("{other:?}")),
        },
        E::AlertReceived(a) => format!("remote error: tls: {}", alert_text(*a)),
        E::InvalidMessage(rustls::InvalidMessage::InvalidContentType) => {
            "tls: first record does not look like a TLS handshake".into()
        }
        E::NoApplicationProtocol => "tls: no application protocol".into(),
        other => format!("tls: {other}"),
    }
}

fn alert_text(a: rustls::AlertDescription) -> String {
    use rustls::AlertDescription as A;
    match a {
        A::HandshakeFailure => "handshake failure".into(),
        A::BadCertificate => "bad certificate".into(),
        A::UnknownCA => "unknown certificate authority".into(),
        A::ProtocolVersion => "protocol version not supported".into(),
        A::InternalError => "internal error".into(),
        A::UnrecognisedName => "unrecognized name".into(),
        A::NoApplicationProtocol => "no application protocol".into(),
        A::CertificateRequired => "certificate required".into(),
        A::DecryptError => "error decrypting message".into(),
        A::IllegalParameter => "illegal parameter".into(),
        other => format!("{other:?}").to_ascii_lowercase(),
    }
}

/// An error from the session back to the crate's: the Conn's own errors
/// as they were (a deadline stays `i/o timeout`), rustls's in Go's words.
pub(crate) fn from_io(e: io::Error, name: &str) -> Error {
    known_io_error(&e, name).unwrap_or_else(|| Error::other(format!("tls: {e}")))
}

/// What an `io::Error` from a session carries that the crate can say
/// itself: a Conn's error, a rustls error (in Go's words), or the end.
pub(crate) fn known_io_error(e: &io::Error, name: &str) -> Option<Error> {
    if let Some(inner) = e.get_ref() {
        if let Some(net) = inner.downcast_ref::<Error>() {
            return Some(net.clone());
        }
        if let Some(tls) = inner.downcast_ref::<rustls::Error>() {
            return Some(Error::other(go_message(tls, name)));
        }
    }
    (e.kind() == io::ErrorKind::UnexpectedEof).then_some(Error::Eof)
}

impl TlsConn {
    fn conn(&self) -> &Conn {
        &self.stream.get_ref().0.conn
    }

    /// Go's `ConnectionState`.
    pub fn connection_state(&self) -> &ConnectionState {
        &self.state
    }

    /// Go's `Read`: up to `buf.len()` bytes of plaintext; `Err(Eof)` at the end.
    pub async fn read(&mut self, buf: &mut [u8]) -> Result<usize, Error> {
        if buf.is_empty() {
            return Ok(0);
        }
        match std::future::poll_fn(|cx| Pin::new(&mut self.stream).poll_read(cx, buf)).await {
            Ok(0) => Err(Error::Eof),
            Ok(n) => Ok(n),
            Err(e) => Err(from_io(e, &self.state.server_name)),
        }
    }

    /// Go's `Write`: all of `buf`, sealed into records, or an error.
    pub async fn write_all(&mut self, mut buf: &[u8]) -> Result<(), Error> {
        while !buf.is_empty() {
            let n = std::future::poll_fn(|cx| Pin::new(&mut self.stream).poll_write(cx, buf))
                .await
                .map_err(|e| from_io(e, &self.state.server_name))?;
            buf = &buf[n..];
        }
        std::future::poll_fn(|cx| Pin::new(&mut self.stream).poll_flush(cx))
            .await
            .map_err(|e| from_io(e, &self.state.server_name))
    }

    /// Go's `Close`: sends close_notify, then closes the Conn.
    pub async fn close(&mut self) -> Result<(), Error> {
        std::future::poll_fn(|cx| Pin::new(&mut self.stream).poll_close(cx))
            .await
            .map_err(|e| from_io(e, &self.state.server_name))
    }

    /// Go's `SetDeadline` (the Conn's).
    pub fn set_deadline(&self, t: Option<SystemTime>) -> Result<(), Error> {
        self.conn().set_deadline(t)
    }

    /// Go's `SetReadDeadline` (the Conn's).
    pub fn set_read_deadline(&self, t: Option<SystemTime>) -> Result<(), Error> {
        self.conn().set_read_deadline(t)
    }

    /// Go's `SetWriteDeadline` (the Conn's).
    pub fn set_write_deadline(&self, t: Option<SystemTime>) -> Result<(), Error> {
        self.conn().set_write_deadline(t)
    }
}

impl AsyncRead for TlsConn {
    fn poll_read(mut self: Pin<&mut Self>, cx: &mut Context<'_>, buf: &mut [u8]) -> Poll<io::Result<usize>> {
        Pin::new(&mut self.stream).poll_read(cx, buf)
    }
}

impl AsyncWrite for TlsConn {
    fn poll_write(mut self: Pin<&mut Self>, cx: &mut Context<'_>, buf: &[u8]) -> Poll<io::Result<usize>> {
        Pin::new(&mut self.stream).poll_write(cx, buf)
    }
    fn poll_flush(mut self: Pin<&mut Self>, cx: &mut Context<'_>) -> Poll<io::Result<()>> {
        Pin::new(&mut self.stream).poll_flush(cx)
    }
    fn poll_close(mut self: Pin<&mut Self>, cx: &mut Context<'_>) -> Poll<io::Result<()>> {
        Pin::new(&mut self.stream).poll_close(cx)
    }
}
