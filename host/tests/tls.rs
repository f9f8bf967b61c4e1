//! TLS failures through the real component: each says what is wrong with the server's
//! certificate, and none is retried (one TCP connection per attempt to connect); a
//! self-signed certificate given as the extra CA is pinned.

use std::io::{Read, Write};
use std::net::TcpListener;
use std::sync::atomic::{AtomicUsize, Ordering};
use std::sync::{Arc, OnceLock};

use infomaniak_block_storage_host::{spec, Config, Credentials, Error, Host, Log, Session};
use rcgen::{date_time_ymd, BasicConstraints, CertificateParams, CertifiedIssuer, DnType, IsCa, Issuer, KeyPair};
use rustls::pki_types::{PrivateKeyDer, PrivatePkcs8KeyDer};

/// What the server answers once the handshake succeeded: a Cinder version document.
const VERSIONS: &str =
    r#"{"versions": [{"id": "v3.0", "status": "CURRENT", "version": "3.71", "min_version": "3.0"}]}"#;

fn host() -> Host {
    static HOST: OnceLock<Host> = OnceLock::new();
    HOST.get_or_init(|| Host::new().expect("the component loads"))
        .with_log(Log::Capture)
}

/// Certificate parameters for `names`, with their own subject `cn`.
fn params(cn: &str, names: &[&str], ca: bool) -> CertificateParams {
    let names: Vec<String> = names.iter().map(|n| n.to_string()).collect();
    let mut p = CertificateParams::new(names).unwrap();
    p.distinguished_name.push(DnType::CommonName, cn);
    if ca {
        p.is_ca = IsCa::Ca(BasicConstraints::Unconstrained);
    }
    p
}

fn ca(cn: &str) -> CertifiedIssuer<'static, KeyPair> {
    CertifiedIssuer::self_signed(params(cn, &[], true), KeyPair::generate().unwrap()).unwrap()
}

/// A certificate and its key, as a server presents them.
struct Identity {
    cert: rcgen::Certificate,
    key: KeyPair,
}

impl Identity {
    fn issued(p: &CertificateParams, by: &Issuer<'_, KeyPair>) -> Identity {
        let key = KeyPair::generate().unwrap();
        let cert = p.signed_by(&key, by).unwrap();
        Identity { cert, key }
    }

    fn self_signed(p: &CertificateParams) -> Identity {
        let key = KeyPair::generate().unwrap();
        let cert = p.self_signed(&key).unwrap();
        Identity { cert, key }
    }
}

/// A TLS server on 127.0.0.1 presenting `id`, counting the TCP connections it accepts.
struct Server {
    port: u16,
    accepted: Arc<AtomicUsize>,
}

impl Server {
    fn start(id: &Identity) -> Server {
        let key = PrivateKeyDer::Pkcs8(PrivatePkcs8KeyDer::from(id.key.serialize_der()));
        let provider = Arc::new(rustls::crypto::ring::default_provider());
        let tls = rustls::ServerConfig::builder_with_provider(provider)
            .with_safe_default_protocol_versions()
            .unwrap()
            .with_no_client_auth()
            .with_single_cert(vec![id.cert.der().clone()], key)
            .unwrap();
        let tls = Arc::new(tls);
        let listener = TcpListener::bind("127.0.0.1:0").unwrap();
        let port = listener.local_addr().unwrap().port();
        let accepted = Arc::new(AtomicUsize::new(0));
        let count = accepted.clone();
        std::thread::spawn(move || {
            for tcp in listener.incoming().flatten() {
                count.fetch_add(1, Ordering::SeqCst);
                let tls = tls.clone();
                std::thread::spawn(move || answer(tls, tcp));
            }
        });
        Server { port, accepted }
    }

    fn accepted(&self) -> usize {
        self.accepted.load(Ordering::SeqCst)
    }
}

/// Reads one request head and answers it with the version document.
fn answer(tls: Arc<rustls::ServerConfig>, tcp: std::net::TcpStream) {
    let mut stream = rustls::StreamOwned::new(rustls::ServerConnection::new(tls).unwrap(), tcp);
    let mut head = Vec::new();
    let mut buf = [0; 4096];
    while !head.windows(4).any(|w| w == b"\r\n\r\n") {
        match stream.read(&mut buf) {
            Ok(0) | Err(_) => return,
            Ok(n) => head.extend_from_slice(&buf[..n]),
        }
    }
    let response = format!(
        "HTTP/1.1 200 OK\r\ncontent-type: application/json\r\ncontent-length: {}\r\nconnection: close\r\n\r\n{VERSIONS}",
        VERSIONS.len()
    );
    let _ = stream.write_all(response.as_bytes());
    stream.conn.send_close_notify();
    let _ = stream.flush();
}

/// Connects a session with a token to the block storage at `https://127.0.0.1:port`.
fn connect(host: &Host, port: u16) -> Result<Session, Error> {
    let cfg = Config {
        block_storage_url: Some(format!("https://127.0.0.1:{port}/v3/p1")),
        timeout_ms: Some(20_000),
        ..spec::config("", Credentials::Token("t0k3n".into()))
    };
    host.connect(&cfg)
}

/// Connecting to a server presenting `id` (trusting `ca` besides the system's roots) fails
/// with a transport error, after one TCP connection: its message.
fn refused(id: &Identity, ca: Option<&str>) -> String {
    let server = Server::start(id);
    let host = match ca {
        Some(pem) => host().with_extra_ca(pem.as_bytes()).unwrap(),
        None => host(),
    };
    let Err(e) = connect(&host, server.port) else {
        panic!("connected")
    };
    assert_eq!(e.kind(), "transport", "{e}");
    let message = e.to_string();
    assert!(message.starts_with("transport: TLS: "), "{message}");
    assert_eq!(server.accepted(), 1, "retried: {message}");
    message
}

#[test]
fn an_unknown_issuer_is_named_and_not_retried() {
    let leaf = Identity::issued(&params("leaf", &["127.0.0.1"], false), &ca("Unknown CA"));
    let message = refused(&leaf, None);
    assert!(message.contains("unknown issuer"), "{message}");
}

#[test]
fn a_name_mismatch_is_named() {
    let ca = ca("Test CA");
    let leaf = Identity::issued(&params("leaf", &["other.example"], false), &ca);
    let message = refused(&leaf, Some(&ca.pem()));
    assert!(message.contains("name mismatch"), "{message}");
    assert!(message.contains("other.example"), "{message}");
}

#[test]
fn an_expired_certificate_is_named() {
    let ca = ca("Test CA");
    let mut p = params("leaf", &["127.0.0.1"], false);
    (p.not_before, p.not_after) = (date_time_ymd(2019, 1, 1), date_time_ymd(2020, 1, 1));
    let message = refused(&Identity::issued(&p, &ca), Some(&ca.pem()));
    assert!(message.contains("expired"), "{message}");
}

#[test]
fn a_ca_used_as_end_entity_is_named() {
    let root = ca("Root CA");
    let intermediate = Identity::issued(&params("Intermediate CA", &["127.0.0.1"], true), &root);
    let message = refused(&intermediate, Some(&root.pem()));
    assert!(message.contains("CA used as end entity"), "{message}");
}

#[test]
fn a_self_signed_certificate_given_as_the_ca_is_pinned() {
    for is_ca in [true, false] {
        let id = Identity::self_signed(&params("self", &["127.0.0.1"], is_ca));
        let server = Server::start(&id);
        let host = host().with_extra_ca(id.cert.pem().as_bytes()).unwrap();
        let session = connect(&host, server.port);
        assert!(session.is_ok(), "CA: {is_ca}: {}", session.err().unwrap());
    }
}

#[test]
fn a_pinned_certificate_is_still_checked_for_its_name_and_dates() {
    let other = Identity::self_signed(&params("self", &["other.example"], true));
    let message = refused(&other, Some(&other.cert.pem()));
    assert!(message.contains("name mismatch"), "{message}");
    let mut p = params("self", &["127.0.0.1"], true);
    (p.not_before, p.not_after) = (date_time_ymd(2019, 1, 1), date_time_ymd(2020, 1, 1));
    let expired = Identity::self_signed(&p);
    let message = refused(&expired, Some(&expired.cert.pem()));
    assert!(message.contains("expired"), "{message}");
}

#[test]
fn a_refused_connection_is_still_connection_refused() {
    let port = TcpListener::bind("127.0.0.1:0").unwrap().local_addr().unwrap().port();
    let Err(e) = connect(&host(), port) else {
        panic!("connected")
    };
    assert_eq!(e.to_string(), "transport: connection-refused");
}
