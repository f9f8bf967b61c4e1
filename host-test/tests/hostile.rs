//! A hostile server, through the component in wasmtime: secrets echoed back in messages
//! and request ids, forged log lines and megabyte statuses, endless pagination, and base
//! URLs that would misroute requests. The server is scripted here (a few lines of HTTP/1.1)
//! so each answer can be as wrong as an attacker makes it.

mod common;

use std::io::{BufRead, BufReader, Read, Write};
use std::net::{TcpListener, TcpStream};
use std::sync::atomic::{AtomicUsize, Ordering};
use std::sync::Arc;
use std::time::Duration;

use common::*;
use host_test::{spec, Config, Credentials, Host, Limits, Log, PasswordCredential};

/// An answer: status, headers, body.
type Answer = (u16, Vec<(String, String)>, String);
type Script = dyn Fn(&str, &str) -> Answer + Send + Sync;

/// A server on 127.0.0.1 answering every request with `script(method, path)`.
struct Hostile {
    url: String,
    requests: Arc<AtomicUsize>,
}

impl Hostile {
    fn start(script: impl Fn(&str, &str) -> Answer + Send + Sync + 'static) -> Hostile {
        let listener = TcpListener::bind("127.0.0.1:0").unwrap();
        let url = format!("http://{}", listener.local_addr().unwrap());
        let requests = Arc::new(AtomicUsize::new(0));
        let (script, count): (Arc<Script>, _) = (Arc::new(script), requests.clone());
        std::thread::spawn(move || {
            for stream in listener.incoming().flatten() {
                let (script, count) = (script.clone(), count.clone());
                std::thread::spawn(move || serve(stream, &*script, &count));
            }
        });
        Hostile { url, requests }
    }

    fn requests(&self) -> usize {
        self.requests.load(Ordering::SeqCst)
    }
}

/// One keep-alive connection: reads each request (head and `Content-Length` body) and
/// writes the scripted answer.
fn serve(stream: TcpStream, script: &Script, count: &AtomicUsize) {
    let mut reader = BufReader::new(stream.try_clone().unwrap());
    let mut out = stream;
    loop {
        let mut line = String::new();
        if reader.read_line(&mut line).unwrap_or(0) == 0 {
            return;
        }
        let mut parts = line.split_whitespace();
        let (method, path) = (
            parts.next().unwrap_or("").to_string(),
            parts.next().unwrap_or("").to_string(),
        );
        let mut length = 0;
        loop {
            let mut h = String::new();
            if reader.read_line(&mut h).unwrap_or(0) == 0 {
                return;
            }
            if h.trim().is_empty() {
                break;
            }
            if let Some((k, v)) = h.split_once(':') {
                if k.eq_ignore_ascii_case("content-length") {
                    length = v.trim().parse().unwrap_or(0);
                }
            }
        }
        let mut body = vec![0; length];
        if reader.read_exact(&mut body).is_err() {
            return;
        }
        count.fetch_add(1, Ordering::SeqCst);
        let (status, headers, body) = script(&method, &path);
        let mut head = format!("HTTP/1.1 {status} X\r\ncontent-length: {}\r\n", body.len());
        for (k, v) in headers {
            head.push_str(&format!("{k}: {v}\r\n"));
        }
        head.push_str("\r\n");
        // One write: a head and body written apart wait on the peer's delayed ACK.
        head.push_str(&body);
        if out.write_all(head.as_bytes()).is_err() {
            return;
        }
    }
}

const VERSIONS: &str =
    r#"{"versions": [{"id": "v3.0", "status": "CURRENT", "version": "3.70", "min_version": "3.0"}]}"#;

/// Cinder's version document for `GET /`, else `answer`.
fn cinder(answer: impl Fn(&str, &str) -> Answer + Send + Sync + 'static) -> Hostile {
    Hostile::start(move |m, p| {
        if p == "/" || p == "/v3/" || p == "/v3" {
            (200, vec![], VERSIONS.into())
        } else {
            answer(m, p)
        }
    })
}

/// Token credentials on the hostile Cinder, project `p1`.
fn token_cfg(server: &Hostile, token: &str) -> Config {
    Config {
        block_storage_url: Some(format!("{}/v3/p1", server.url)),
        timeout_ms: Some(5_000),
        ..spec::config("", Credentials::Token(token.into()))
    }
}

/// The host with the component's log captured and no secret scan: these tests look for
/// the secrets themselves, in every form.
fn plain_host() -> Host {
    host().with_log(Log::Capture)
}

fn volume(id: &str, status: &str) -> String {
    let status = serde_json::to_string(status).unwrap();
    format!(r#"{{"id": "{id}", "status": {status}, "size": 1, "name": null, "created_at": "2026-11-26T07:00:00"}}"#)
}

/// `secret` raw and in the JSON-escaped forms a server may use.
fn forms(secret: &str) -> Vec<String> {
    let escaped = serde_json::to_string(secret).unwrap();
    let escaped = escaped[1..escaped.len() - 1].to_string();
    vec![secret.to_string(), escaped.replace('/', "\\/"), escaped]
}

fn assert_masked(what: &str, text: &str, secret: &str) {
    for f in forms(secret) {
        assert!(!text.contains(&f), "{what} shows the secret as {f:?}: {text}");
    }
    assert!(text.contains("***"), "{what} has no mask: {text}");
}

#[test]
fn a_password_keystone_echoes_is_masked() {
    let password = r#"pa"ss/word-1"#;
    let echoed = serde_json::to_string(&format!("Invalid password {password}")).unwrap();
    let keystone = Hostile::start(move |_, _| {
        (
            401,
            vec![("x-openstack-request-id".into(), format!("req-{}", r#"pa"ss/word-1"#))],
            format!(r#"{{"error": {{"code": 401, "message": {echoed}}}}}"#),
        )
    });
    let cfg = Config {
        credentials: Credentials::Password(PasswordCredential {
            user_name: "u".into(),
            password: password.into(),
            user_domain: "Default".into(),
            project_name: "p".into(),
            project_domain: "Default".into(),
        }),
        ..spec::config(&format!("{}/v3", keystone.url), Credentials::Token(String::new()))
    };
    let e = err(plain_host().connect(&cfg).map(drop));
    assert_eq!(api(&e).message, "Invalid password ***");
    assert_eq!(api(&e).request_id.as_deref(), Some("req-***"));
    assert_masked("the log", e.log(), password);
}

#[test]
fn a_token_cinder_echoes_is_masked_in_message_request_id_and_log() {
    let token = "gAAAAAB-token/\"0123456789";
    let escaped = serde_json::to_string(token).unwrap();
    let server = cinder(move |_, _| {
        (
            404,
            vec![("x-openstack-request-id".into(), "req-gAAAAAB-token/0123".into())],
            format!(
                r#"{{"itemNotFound": {{"code": 404, "message": "no volume for {}"}}}}"#,
                &escaped[1..escaped.len() - 1]
            ),
        )
    });
    let mut s = plain_host().connect(&token_cfg(&server, token)).unwrap();
    let e = err(s.volume_get("v1"));
    assert_eq!(api(&e).message, "no volume for ***");
    assert_masked("the log", &s.log(), token);
}

#[test]
fn a_transfer_auth_key_cinder_echoes_is_masked() {
    let key = "9266c59563c84664";
    let server = cinder(move |_, _| {
        (
            400,
            vec![],
            r#"{"badRequest": {"code": 400, "message": "Invalid auth key: 9266c59563c84664"}}"#.into(),
        )
    });
    let mut s = plain_host()
        .connect(&token_cfg(&server, "a-long-enough-token"))
        .unwrap();
    let e = err(s.transfer_accept("t1", key));
    assert_eq!(api(&e).message, "Invalid auth key: ***");
    assert_masked("the log", &s.log(), key);
}

#[test]
fn server_strings_cannot_forge_log_lines_or_grow_errors() {
    let server = cinder(|_, p| match p {
        p if p.ends_with("/volumes/forged") => (
            200,
            vec![],
            format!(
                r#"{{"volume": {}}}"#,
                volume("forged", "error\n\u{1b}[31mFAKE LOG LINE")
            ),
        ),
        p if p.ends_with("/volumes/huge") => (
            200,
            vec![],
            format!(r#"{{"volume": {}}}"#, volume("huge", &"creating".repeat(125_000))),
        ),
        p if p.contains("/messages") => (200, vec![], r#"{"messages": []}"#.into()),
        _ => (
            404,
            vec![(
                "x-openstack-request-id".into(),
                format!("req-\u{9b}2J\u{202e}{}", "x".repeat(7_000)),
            )],
            String::new(),
        ),
    });
    let mut s = plain_host()
        .connect(&token_cfg(&server, "a-long-enough-token"))
        .unwrap();
    let e = err(s.volume_wait_for("forged", "available", 60));
    let f = e.failure().unwrap_or_else(|| panic!("{e:?}"));
    assert!(!f.status.contains(['\n', '\u{1b}']), "{:?}", f.status);
    assert_eq!(s.log().lines().count(), 1, "{}", s.log());

    let e = err(s.volume_wait_for("huge", "available", 0));
    assert_eq!(kind(&e), "wait-timeout");
    assert!(format!("{e}").len() < 300, "{} bytes", format!("{e}").len());

    let e = err(s.volume_get("other"));
    let id = api(&e).request_id.clone().unwrap();
    assert!(id.len() <= 131 && !id.contains(['\u{9b}', '\u{202e}']), "{id:?}");
}

#[test]
fn endless_pagination_ends_typed_at_the_page_cap() {
    let page = Arc::new(AtomicUsize::new(0));
    let server = cinder(move |_, p| {
        let i = page.fetch_add(1, Ordering::SeqCst);
        let next = format!("http://x/v3/p1/volumes/detail?marker=m{i}");
        let body = format!(
            r#"{{"volumes": [{}], "volumes_links": [{{"href": "{next}", "rel": "next"}}]}}"#,
            volume(&format!("m{i}"), "available")
        );
        assert!(p.contains("/volumes/detail"), "{p}");
        (200, vec![], body)
    });
    // The cap is under test, not the host's CPU budget: a debug build of the host's HTTP
    // stack spends about a millisecond of the call's CPU per request.
    let roomy = plain_host().with_limits(Limits {
        cpu_per_call: Duration::from_secs(120),
        ..Limits::default()
    });
    let mut s = roomy.connect(&token_cfg(&server, "a-long-enough-token")).unwrap();
    let before = server.requests();
    let e = err(s.volume_list(&all()));
    assert_eq!(kind(&e), "invalid-response", "{e}");
    assert!(format!("{e}").contains("more than 10000 pages"), "{e}");
    assert_eq!(server.requests() - before, 10_000);
}

#[test]
fn base_urls_with_a_query_or_fragment_are_invalid_input() {
    let server = cinder(|_, _| (500, vec![], String::new()));
    let cases = [
        ("auth-url", format!("{}/identity/v3#", server.url), None),
        ("auth-url", format!("{}/v3?x=", server.url), None),
        (
            "block-storage-url",
            String::new(),
            Some(format!("{}/v3/p1?x=1", server.url)),
        ),
    ];
    for (field, auth_url, block_storage_url) in cases {
        let cfg = Config {
            block_storage_url,
            ..spec::config(
                &auth_url,
                Credentials::ApplicationCredential(host_test::ApplicationCredential {
                    id: "ac".into(),
                    secret: "app-cred-secret".into(),
                }),
            )
        };
        let cfg = if field == "block-storage-url" {
            Config {
                credentials: Credentials::Token("a-long-enough-token".into()),
                ..cfg
            }
        } else {
            cfg
        };
        let e = match plain_host().connect(&cfg) {
            Err(e) => e,
            Ok(_) => panic!("{field} accepted"),
        };
        assert_eq!(kind(&e), "invalid-input", "{e}");
        assert!(format!("{e}").contains(field), "{e}");
    }
    assert_eq!(server.requests(), 0);
}
