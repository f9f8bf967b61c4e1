//! The host's outgoing HTTP, shared by every session of a [`crate::Host`]: one pooled
//! client that keeps connections alive per origin (HTTP/1.1 keep-alive, HTTP/2 when the
//! server offers it through ALPN), with TLS through rustls trusting the system's roots plus
//! an optional extra CA bundle (private clouds). wasmtime's `default_send_request` opens a
//! new connection for every request and trusts only built-in web roots.

use std::error::Error;
use std::time::Duration;

use http_body_util::BodyExt;
use hyper_rustls::HttpsConnector;
use hyper_util::client::legacy::connect::HttpConnector;
use hyper_util::client::legacy::Client;
use hyper_util::rt::{TokioExecutor, TokioTimer};
use rustls::pki_types::CertificateDer;
use rustls::{AlertDescription, CertificateError};
use wasmtime_wasi_http::{Error as HttpError, RequestOptions, WasiBody};

/// How long an idle connection stays in the pool.
const IDLE: Duration = Duration::from_secs(90);

/// A pooled HTTP(S) client.
#[derive(Clone)]
pub struct Transport {
    /// Tells transports apart: the same for a transport and its [`Transport::fresh`] pools.
    id: u64,
    /// Shared: the send hook clones its transport for every request.
    tls: std::sync::Arc<rustls::ClientConfig>,
    client: Client<HttpsConnector<HttpConnector>, WasiBody>,
}

impl std::fmt::Debug for Transport {
    fn fmt(&self, f: &mut std::fmt::Formatter<'_>) -> std::fmt::Result {
        f.write_str("Transport")
    }
}

impl Transport {
    /// A client trusting the system's roots and, when given, the PEM certificates of
    /// `extra_ca` (a private cloud's CA bundle, whose self-signed certificates are also
    /// pinned: see [`crate::pin`]).
    pub fn new(extra_ca: Option<&[u8]>) -> Result<Transport, String> {
        let mut roots = rustls::RootCertStore::empty();
        let native = rustls_native_certs::load_native_certs();
        roots.add_parsable_certificates(native.certs);
        let extra = extra_ca.map(bundle).transpose()?.unwrap_or_default();
        for cert in &extra {
            roots.add(cert.clone()).map_err(|e| format!("extra CA bundle: {e}"))?;
        }
        let provider = std::sync::Arc::new(rustls::crypto::ring::default_provider());
        let verifier = crate::pin::Verifier::new(roots, &extra, provider.clone())?;
        let tls = rustls::ClientConfig::builder_with_provider(provider)
            .with_safe_default_protocol_versions()
            .map_err(|e| format!("TLS: {e}"))?
            .dangerous()
            .with_custom_certificate_verifier(std::sync::Arc::new(verifier))
            .with_no_client_auth();
        let tls = std::sync::Arc::new(tls);
        let client = Transport::client(&tls);
        static NEXT: std::sync::atomic::AtomicU64 = std::sync::atomic::AtomicU64::new(0);
        let id = NEXT.fetch_add(1, std::sync::atomic::Ordering::Relaxed);
        Ok(Transport { id, tls, client })
    }

    /// A transport with the same trust and an empty pool (connections are driven by the
    /// runtime that opened them: see [`crate::driver`]).
    pub fn fresh(&self) -> Transport {
        Transport {
            id: self.id,
            tls: self.tls.clone(),
            client: Transport::client(&self.tls),
        }
    }

    /// Whether `other` is this transport or one of its pools (it trusts the same roots).
    pub fn same_trust(&self, other: &Transport) -> bool {
        self.id == other.id
    }

    fn client(tls: &rustls::ClientConfig) -> Client<HttpsConnector<HttpConnector>, WasiBody> {
        let mut tcp = HttpConnector::new();
        tcp.enforce_http(false);
        tcp.set_nodelay(true);
        let connector = hyper_rustls::HttpsConnectorBuilder::new()
            .with_tls_config(tls.clone())
            .https_or_http()
            .enable_http1()
            .enable_http2()
            .wrap_connector(tcp);
        Client::builder(TokioExecutor::new())
            .pool_idle_timeout(IDLE)
            .pool_timer(TokioTimer::new())
            .timer(TokioTimer::new())
            .build(connector)
    }

    /// Sends one request and returns the response with its body streaming. The wait for the
    /// response head is bounded by the component's timeouts (connect and first byte
    /// together) and never longer than the host's `cap`: one timer for both.
    pub async fn send(
        &self,
        request: http::Request<WasiBody>,
        options: Option<RequestOptions>,
        cap: Duration,
    ) -> Result<http::Response<WasiBody>, HttpError> {
        let asked = options.and_then(|o| match (o.connect_timeout, o.first_byte_timeout) {
            (Some(a), Some(b)) => Some(a.max(b)),
            (a, b) => a.or(b),
        });
        let limit = asked.map_or(cap, |d| d.min(cap));
        let response = tokio::time::timeout(limit, self.client.request(request))
            .await
            .map_err(|_| HttpError::ConnectionReadTimeout)?
            .map_err(map_error)?;
        Ok(response.map(|b| b.map_err(HttpError::from).boxed_unsync()))
    }
}

/// The certificates of a PEM bundle: at least one.
fn bundle(pem: &[u8]) -> Result<Vec<CertificateDer<'static>>, String> {
    let certs: Vec<_> = rustls_pemfile::certs(&mut &pem[..])
        .collect::<Result<_, _>>()
        .map_err(|e| format!("extra CA bundle: {e}"))?;
    if certs.is_empty() {
        return Err("extra CA bundle: no PEM certificate in it".into());
    }
    Ok(certs)
}

/// wasi:http's error for a failed request. TLS failures keep their reason (see
/// [`tls_error`]) and are told apart from refused connections.
fn map_error(e: hyper_util::client::legacy::Error) -> HttpError {
    if let Some(tls) = chain(&e).find_map(|l| l.downcast_ref::<rustls::Error>()) {
        return tls_error(tls);
    }
    if e.is_connect() {
        let refused = chain(&e)
            .filter_map(|l| l.downcast_ref::<std::io::Error>())
            .any(|io| io.kind() == std::io::ErrorKind::ConnectionRefused);
        return if refused {
            HttpError::ConnectionRefused
        } else {
            HttpError::Connect(std::io::Error::other(e.to_string()))
        };
    }
    match std::error::Error::source(&e).and_then(|s| s.downcast_ref::<hyper::Error>()) {
        Some(_) => HttpError::ConnectionTerminated,
        None => HttpError::Connect(std::io::Error::other(e.to_string())),
    }
}

/// An error and its causes, looking inside `io::Error`s too: their `source()` skips the
/// error they wrap (how hyper-rustls and tokio-rustls carry a `rustls::Error`).
fn chain<'a>(e: &'a (dyn Error + 'static)) -> impl Iterator<Item = &'a (dyn Error + 'static)> {
    std::iter::successors(Some(e), |&link| match link.downcast_ref::<std::io::Error>() {
        Some(io) => io.get_ref().map(|inner| inner as &(dyn Error + 'static)),
        None => link.source(),
    })
}

/// A TLS failure as wasi:http's `TLS-alert-received`, whose payload is the only one of the
/// TLS error codes with room for a reason (`TLS-certificate-error` and
/// `TLS-protocol-error` carry none): the alert is the one rustls sent for a refused
/// certificate (48 unknown_ca, 42 bad_certificate, 45 certificate_expired, …) or the one
/// the server sent; the message says what failed.
fn tls_error(e: &rustls::Error) -> HttpError {
    let (alert, message) = match e {
        rustls::Error::InvalidCertificate(c) => (
            Some(AlertDescription::from(c.clone())),
            format!("the server's certificate was refused: {}", certificate_reason(c)),
        ),
        rustls::Error::AlertReceived(a) => (Some(*a), format!("the server refused the connection: {a:?}")),
        other => (None, format!("handshake failed: {other}")),
    };
    HttpError::TlsAlertReceived {
        alert_id: alert.map(u8::from),
        alert_message: Some(message),
    }
}

/// What is wrong with a certificate, in words.
fn certificate_reason(e: &CertificateError) -> String {
    use CertificateError as C;
    match e {
        C::UnknownIssuer => "unknown issuer (no trusted CA signed it)".into(),
        C::NotValidForName => "name mismatch".into(),
        C::NotValidForNameContext { .. } => format!("name mismatch ({e})"),
        C::Expired => "expired".into(),
        C::ExpiredContext { .. } => format!("expired ({e})"),
        C::NotValidYet => "not valid yet".into(),
        C::NotValidYetContext { .. } => format!("not valid yet ({e})"),
        C::Other(o) if matches!(o.0.downcast_ref(), Some(webpki::Error::CaUsedAsEndEntity)) => {
            "CA used as end entity (the server presents a CA certificate as its own)".into()
        }
        other => other.to_string(),
    }
}
