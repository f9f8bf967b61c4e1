//! The host's outgoing HTTP, shared by every session of a [`crate::Host`]: one pooled
//! client that keeps connections alive per origin (HTTP/1.1 keep-alive, HTTP/2 when the
//! server offers it through ALPN), with TLS through rustls trusting the system's roots plus
//! an optional extra CA bundle (private clouds). wasmtime's `default_send_request` opens a
//! new connection for every request and trusts only built-in web roots.

use std::time::Duration;

use http_body_util::BodyExt;
use hyper_rustls::HttpsConnector;
use hyper_util::client::legacy::connect::HttpConnector;
use hyper_util::client::legacy::Client;
use hyper_util::rt::{TokioExecutor, TokioTimer};
use wasmtime_wasi_http::{Error as HttpError, RequestOptions, WasiBody};

/// How long an idle connection stays in the pool.
const IDLE: Duration = Duration::from_secs(90);

/// A pooled HTTP(S) client.
#[derive(Clone)]
pub struct Transport {
    tls: rustls::ClientConfig,
    client: Client<HttpsConnector<HttpConnector>, WasiBody>,
}

impl std::fmt::Debug for Transport {
    fn fmt(&self, f: &mut std::fmt::Formatter<'_>) -> std::fmt::Result {
        f.write_str("Transport")
    }
}

impl Transport {
    /// A client trusting the system's roots and, when given, the PEM certificates of
    /// `extra_ca` (a private cloud's CA bundle).
    pub fn new(extra_ca: Option<&[u8]>) -> Result<Transport, String> {
        let mut roots = rustls::RootCertStore::empty();
        let native = rustls_native_certs::load_native_certs();
        roots.add_parsable_certificates(native.certs);
        if let Some(pem) = extra_ca {
            let certs: Vec<_> = rustls_pemfile::certs(&mut &pem[..])
                .collect::<Result<_, _>>()
                .map_err(|e| format!("extra CA bundle: {e}"))?;
            if certs.is_empty() {
                return Err("extra CA bundle: no PEM certificate in it".into());
            }
            for cert in certs {
                roots.add(cert).map_err(|e| format!("extra CA bundle: {e}"))?;
            }
        }
        let provider = std::sync::Arc::new(rustls::crypto::ring::default_provider());
        let tls = rustls::ClientConfig::builder_with_provider(provider)
            .with_safe_default_protocol_versions()
            .map_err(|e| format!("TLS: {e}"))?
            .with_root_certificates(roots)
            .with_no_client_auth();
        let client = Transport::client(tls.clone());
        Ok(Transport { tls, client })
    }

    /// A transport with the same trust and an empty pool (connections are driven by the
    /// runtime that opened them, so each session keeps its own).
    pub fn fresh(&self) -> Transport {
        Transport {
            tls: self.tls.clone(),
            client: Transport::client(self.tls.clone()),
        }
    }

    fn client(tls: rustls::ClientConfig) -> Client<HttpsConnector<HttpConnector>, WasiBody> {
        let mut tcp = HttpConnector::new();
        tcp.enforce_http(false);
        tcp.set_nodelay(true);
        let connector = hyper_rustls::HttpsConnectorBuilder::new()
            .with_tls_config(tls)
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

fn map_error(e: hyper_util::client::legacy::Error) -> HttpError {
    if e.is_connect() {
        let refused = std::error::Error::source(&e)
            .and_then(|s| s.downcast_ref::<std::io::Error>())
            .is_some_and(|io| io.kind() == std::io::ErrorKind::ConnectionRefused);
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
