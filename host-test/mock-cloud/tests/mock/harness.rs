//! The mock itself: injected faults, keep-alive and stop, use from threads, the binary.

use crate::common::{post_unauthenticated, request};
use crate::{client, create_volume, fast, instant};
use mock_cloud::{Fault, FaultKind, MockCloud};
use serde_json::{json, Value};
use std::time::Duration;

#[test]
fn faults() {
    let m = instant();
    let c = client(&m, "3.71");
    let base = m.block_storage_url();
    let url = format!("{base}/volumes");
    // Status with default body + Retry-After, twice.
    m.inject(
        Fault::new(
            Some("GET"),
            "/volumes",
            FaultKind::Status {
                status: 503,
                body: None,
                retry_after: Some(2),
            },
        )
        .times(2),
    );
    for _ in 0..2 {
        let r = c.get(&url);
        assert_eq!(r.status, 503);
        assert_eq!(r.header("Retry-After"), Some("2"));
        assert_eq!(r.json()["serviceUnavailable"]["code"], 503);
    }
    assert_eq!(c.get(&url).status, 200);
    // Method filter.
    m.inject(Fault::new(
        Some("POST"),
        "/volumes",
        FaultKind::Status {
            status: 500,
            body: Some("{\"x\":1}".into()),
            retry_after: None,
        },
    ));
    assert_eq!(c.get(&url).status, 200);
    let r = c.post(&url, r#"{"volume":{"size":1}}"#);
    assert_eq!(r.status, 500);
    assert_eq!(r.json(), json!({"x": 1}));
    assert_eq!(m.counts().volumes, 0);
    // after: state changes, response replaced.
    m.inject(
        Fault::new(
            Some("POST"),
            "/volumes",
            FaultKind::Status {
                status: 500,
                body: None,
                retry_after: None,
            },
        )
        .after(),
    );
    let r = c.post(&url, r#"{"volume":{"size":1}}"#);
    assert_eq!(r.status, 500);
    assert_eq!(r.json()["computeFault"]["code"], 500);
    assert_eq!(m.counts().volumes, 1);
    // Delay.
    m.inject(Fault::new(
        None,
        "/volumes",
        FaultKind::Delay(Duration::from_millis(300)),
    ));
    let t = std::time::Instant::now();
    assert_eq!(c.get(&url).status, 200);
    assert!(t.elapsed() >= Duration::from_millis(300));
    // Malformed JSON, wrong shape, empty body.
    m.inject(Fault::new(None, "/volumes", FaultKind::MalformedJson));
    let r = c.get(&url);
    assert_eq!(r.status, 200);
    assert!(serde_json::from_slice::<Value>(&r.body).is_err());
    m.inject(Fault::new(None, "/volumes", FaultKind::WrongShape));
    assert_eq!(c.get(&url).json(), json!({"unexpected": []}));
    m.inject(Fault::new(None, "/volumes", FaultKind::EmptyBody));
    let r = c.get(&url);
    assert_eq!(r.status, 200);
    assert_eq!(r.header("Content-Length"), Some("0"));
    assert!(r.body.is_empty());
    // Truncated.
    m.inject(Fault::new(None, "/volumes", FaultKind::Truncated));
    let r = c.get(&url);
    assert_eq!(r.status, 200);
    assert!(r.short);
    let cl: usize = r.header("Content-Length").unwrap().parse().unwrap();
    assert_eq!(r.body.len(), cl / 2);
    // Drop.
    m.inject(Fault::new(None, "/volumes", FaultKind::DropConnection));
    let h = [("X-Auth-Token", c.token.as_str())];
    assert!(request("GET", &url, &h, None).is_err());
    // Enormous.
    m.inject(Fault::new(None, "/volumes", FaultKind::Enormous(5_000_000)));
    let r = c.get(&url);
    assert_eq!(r.status, 200);
    assert_eq!(r.body.len(), 5_000_000);
    assert!(!r.short);
    // Unauthorized.
    m.inject(Fault::new(None, "/volumes", FaultKind::Unauthorized));
    let r = c.get(&url);
    assert_eq!(r.status, 401);
    assert!(r.header("WWW-Authenticate").unwrap().starts_with("Keystone uri="));
    assert_eq!(c.get(&url).status, 200);
    // Every request was recorded, faulted ones included.
    let reqs = m.requests();
    assert_eq!(reqs.len(), 15);
    assert!(reqs
        .iter()
        .any(|r| r.method == "POST" && r.body == br#"{"volume":{"size":1}}"#));
    assert!(reqs.iter().all(|r| r.headers.iter().any(|(k, _)| k == "x-auth-token")));
    m.clear_requests();
    assert!(m.requests().is_empty());
}

#[test]
fn keep_alive_and_stop() {
    use std::io::{Read, Write};
    let m = fast();
    let tok = m.issue_token();
    let addr = m.base_url().trim_start_matches("http://").to_string();
    let mut s = std::net::TcpStream::connect(&addr).unwrap();
    let path = format!("/volume/v3/{}/volumes", m.project_id());
    let req = format!("GET {path} HTTP/1.1\r\nHost: x\r\nX-Auth-Token: {tok}\r\n\r\n");
    s.write_all(format!("{req}{req}").as_bytes()).unwrap();
    s.set_read_timeout(Some(Duration::from_millis(500))).unwrap();
    let mut buf = Vec::new();
    let mut chunk = [0u8; 4096];
    while let Ok(n) = s.read(&mut chunk) {
        if n == 0 {
            break;
        }
        buf.extend_from_slice(&chunk[..n]);
        if String::from_utf8_lossy(&buf).matches("HTTP/1.1 200").count() == 2 {
            break;
        }
    }
    assert_eq!(String::from_utf8_lossy(&buf).matches("HTTP/1.1 200").count(), 2);
    let base = m.base_url();
    m.stop();
    assert!(request("GET", &format!("{base}/volume/"), &[], None).is_err());
}

#[test]
fn mock_cloud_is_send_and_sync_and_usable_from_threads() {
    fn assert_send_sync<T: Send + Sync>() {}
    assert_send_sync::<MockCloud>();
    let m = std::sync::Arc::new(fast());
    let handles: Vec<_> = (0..4)
        .map(|i| {
            let m = m.clone();
            std::thread::spawn(move || {
                let c = client(&m, "3.71");
                create_volume(&m, &c, json!({"volume": {"size": 1, "name": format!("t{i}")}}))
            })
        })
        .collect();
    for h in handles {
        h.join().unwrap();
    }
    assert_eq!(m.counts().volumes, 4);
}

/// Runs the binary with `args`; returns it and the line of JSON it printed.
fn run_binary(args: &[&str]) -> (std::process::Child, Value) {
    use std::io::BufRead;
    let mut child = std::process::Command::new(env!("CARGO_BIN_EXE_mock-cloud"))
        .args(args)
        .stdout(std::process::Stdio::piped())
        .spawn()
        .unwrap();
    let mut line = String::new();
    std::io::BufReader::new(child.stdout.take().unwrap())
        .read_line(&mut line)
        .unwrap();
    (child, serde_json::from_str(&line).unwrap())
}

#[test]
fn binary_prints_its_endpoints() {
    let (mut child, j) = run_binary(&["--server", "vm1"]);
    for k in [
        "base_url",
        "auth_url",
        "block_storage_url",
        "compute_url",
        "project_id",
        "app_cred_id",
        "app_cred_secret",
    ] {
        assert!(j[k].is_string(), "{k}");
    }
    assert_eq!(j["server_ids"].as_array().unwrap().len(), 1);
    let body = json!({"auth": {"identity": {"methods": ["application_credential"],
        "application_credential": {"id": j["app_cred_id"], "secret": j["app_cred_secret"]}}}});
    let r = post_unauthenticated(
        &format!("{}/auth/tokens", j["auth_url"].as_str().unwrap()),
        &body.to_string(),
    );
    assert_eq!(r.status, 201);
    let _ = child.kill();
    let _ = child.wait();
}

#[test]
fn binary_fronts_another_cinder() {
    let project = "fedcba98765432100123456789abcdef";
    let cinder = format!("http://127.0.0.1:8776/v3/{project}");
    let (mut child, j) = run_binary(&["--project-id", project, "--cinder-url", &cinder]);
    assert_eq!(j["project_id"], project);
    assert_eq!(j["block_storage_url"], cinder.as_str());
    let _ = child.kill();
    let _ = child.wait();
    let help = std::process::Command::new(env!("CARGO_BIN_EXE_mock-cloud"))
        .arg("--help")
        .output()
        .unwrap();
    let help = String::from_utf8_lossy(&help.stdout);
    assert!(
        help.contains("--cinder-url URL") && help.contains("--project-id ID"),
        "{help}"
    );
    let bad = std::process::Command::new(env!("CARGO_BIN_EXE_mock-cloud"))
        .arg("--cinder-url")
        .output()
        .unwrap();
    assert_eq!(bad.status.code(), Some(2));
}
