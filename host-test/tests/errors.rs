//! Every error variant through the component, the re-authentication path, and bad
//! inputs that must be refused before any request is sent.

mod common;

use std::time::Duration;

use common::*;
use host_test::{spec, ComponentError, Error, ListOptions, VolumeCreate};
use mock_cloud::{Fault, FaultKind};

fn status(status: u16, retry_after: Option<u32>) -> FaultKind {
    FaultKind::Status {
        status,
        body: None,
        retry_after,
    }
}

#[test]
fn http_statuses_map_to_their_variants_with_message_and_request_id() {
    let cloud = cloud();
    let mut s = connect(&cloud);
    let cases = [
        (400, "bad-request"),
        (403, "forbidden"),
        (404, "not-found"),
        (409, "conflict"),
        (413, "over-limit"),
        (429, "over-limit"),
        (500, "api"),
        (503, "api"),
    ];
    for (code, want) in cases {
        // Gateway statuses are retried: keep answering 503 past the retries.
        let times = if code == 503 { 4 } else { 1 };
        cloud.inject(Fault::new(Some("GET"), "/volumes/detail", status(code, None)).times(times));
        let e = err(s.volume_list(&all()));
        assert_eq!(kind(&e), want, "{code}");
        let a = api(&e);
        assert_eq!(a.status, code);
        assert!(!a.message.is_empty());
        assert!(
            a.request_id.as_deref().is_some_and(|r| r.starts_with("req-")),
            "{code}: {a:?}"
        );
    }
    let log = s.log();
    let failures: Vec<&str> = log.lines().filter(|l| !l.contains(": retrying GET ")).collect();
    assert_eq!(failures.len(), cases.len(), "one line per failure:\n{log}");
    assert_eq!(log.lines().count(), cases.len() + 3, "and one per retry:\n{log}");
    assert!(failures
        .iter()
        .all(|l| l.starts_with("infomaniak-block-storage: volumes.list failed: ") && l.contains("request-id=req-")));
}

#[test]
fn over_limit_keeps_retry_after_and_quota_message() {
    let cloud = cloud();
    let mut s = connect(&cloud);
    cloud.inject(Fault::new(Some("GET"), "/volumes/detail", status(429, Some(7))));
    let e = err(s.volume_list(&all()));
    assert_eq!((kind(&e), api(&e).retry_after_s), ("over-limit", Some(7)));

    cloud.set_quota("volumes", 1);
    ok(s.volume_create(&vol(1, "one")));
    let e = err(s.volume_create(&vol(1, "two")));
    assert_eq!(
        (kind(&e), api(&e).status, api(&e).retry_after_s),
        ("over-limit", 413, Some(0))
    );
    assert!(api(&e).message.contains("VolumeLimitExceeded"), "{}", api(&e).message);
    assert_eq!(cloud.counts().volumes, 1);
}

#[test]
fn bad_bodies_are_invalid_response() {
    let cloud = cloud();
    let mut s = connect(&cloud);
    let v = ok(s.volume_create(&vol(1, "x")));
    for fault in [FaultKind::MalformedJson, FaultKind::WrongShape, FaultKind::EmptyBody] {
        cloud.inject(Fault::new(Some("GET"), &format!("/volumes/{}", v.id), fault.clone()));
        let e = err(s.volume_get(&v.id));
        assert_eq!(kind(&e), "invalid-response", "{fault:?}");
    }
    // A body above max-response-bytes is refused, not buffered.
    let mut cfg = app_cfg(&cloud);
    cfg.max_response_bytes = Some(64 * 1024);
    let mut small = connect_with(&cfg);
    cloud.inject(Fault::new(Some("GET"), "/volumes/detail", FaultKind::Enormous(1 << 20)));
    let e = err(small.volume_list(&all()));
    assert_eq!(kind(&e), "invalid-response");
    // The next call on the same session works.
    ok(small.volume_get(&v.id));
}

#[test]
fn no_response_is_transport() {
    let cloud = cloud();
    let mut cfg = app_cfg(&cloud);
    cfg.timeout_ms = Some(500);
    let mut s = connect_with(&cfg);
    // Failed connections are retried (a GET is safe to repeat): fail them all.
    cloud.inject(Fault::new(Some("GET"), "/volumes/detail", FaultKind::DropConnection).times(4));
    assert_eq!(kind(&err(s.volume_list(&all()))), "transport");
    cloud.inject(Fault::new(Some("GET"), "/volumes/detail", FaultKind::Truncated).times(4));
    let e = err(s.volume_list(&all()));
    assert!(matches!(kind(&e), "transport" | "invalid-response"), "{e:?}");
    cloud.inject(Fault::new(
        Some("GET"),
        "/volumes/detail",
        FaultKind::Delay(Duration::from_millis(2000)),
    ));
    let started = std::time::Instant::now();
    let e = err(s.volume_list(&all()));
    assert_eq!(kind(&e), "transport");
    assert!(
        started.elapsed() < Duration::from_millis(1800),
        "the 500 ms timeout applies: {:?}",
        started.elapsed()
    );

    // Nothing listening at all.
    let mut refused = app_cfg(&cloud);
    refused.auth_url = "http://127.0.0.1:9/identity/v3".into();
    let e = host().connect(&refused).unwrap_err();
    assert_eq!(kind(&e), "transport");
    assert!(e.log().contains("session.connect failed: transport"), "{}", e.log());
}

#[test]
fn reauthenticates_once_on_401() {
    let cloud = cloud();
    let mut s = connect(&cloud);
    ok(s.volume_list(&all()));
    cloud.expire_tokens();
    ok(s.volume_list(&all()));
    assert_eq!(
        matching(&cloud.requests(), "POST", "/auth/tokens"),
        2,
        "one re-authentication"
    );

    // 401 again after the re-authentication: unauthorized, not a loop.
    cloud.clear_requests();
    cloud.inject(Fault::new(Some("GET"), "/volumes/detail", FaultKind::Unauthorized).times(2));
    let e = err(s.volume_list(&all()));
    assert_eq!((kind(&e), api(&e).status), ("unauthorized", 401));
    let reqs = cloud.requests();
    assert_eq!(matching(&reqs, "POST", "/auth/tokens"), 1);
    assert_eq!(matching(&reqs, "GET", "/volumes/detail"), 2);
    ok(s.volume_list(&all()));
}

#[test]
fn wait_for_times_out_fails_fast_and_sees_deletion() {
    let cloud = mock_cloud::MockCloud::start_with(mock_cloud::MockOptions {
        transition: Duration::from_secs(3600),
        ..Default::default()
    });
    let mut s = connect(&cloud);
    let v = ok(s.volume_create(&vol(1, "slow")));
    let started = std::time::Instant::now();
    let e = err(s.volume_wait_for(&v.id, "available", 1));
    assert!(
        matches!(e.component(), Some(ComponentError::WaitTimeout(m)) if m.contains("creating")),
        "{e:?}"
    );
    assert!(started.elapsed() < Duration::from_secs(3));

    cloud.set_status("volume", &v.id, "error");
    let started = std::time::Instant::now();
    let e = err(s.volume_wait_for(&v.id, "available", 60));
    assert!(
        matches!(e.component(), Some(ComponentError::ResourceFailed(f)) if f.status == "error" && f.resource_id == v.id),
        "{e:?}"
    );
    assert!(started.elapsed() < Duration::from_secs(2), "fails at the first poll");
    assert!(s
        .log()
        .contains(&format!("volumes.wait-for {} failed: resource-failed", v.id)));

    let e = err(s.snapshot_wait_for("00000000-0000-0000-0000-000000000000", "available", 5));
    assert_eq!(kind(&e), "not-found");
    assert!(ok(s.backup_wait_for("00000000-0000-0000-0000-000000000000", "deleted", 5)).is_none());
}

#[test]
fn bad_inputs_are_refused_before_any_request() {
    let cloud = cloud();
    let mut s = connect(&cloud);
    let server = cloud.add_server("srv");
    cloud.clear_requests();
    let long = "x".repeat(256);
    let bad_ids = [
        "",
        "../etc",
        "a/b",
        "a?b",
        "a#b",
        "a%2e",
        "a b",
        "tab\t",
        "é",
        long.as_str(),
    ];
    let mut tried = 0;
    // `case` is "<field>" or "<field> <what>": the message must start with the field.
    let mut check = |case: &str, e: Error| {
        let field = case.split(' ').next().unwrap_or(case);
        assert!(
            matches!(e.component(), Some(ComponentError::InvalidInput(m)) if m.starts_with(&format!("{field}:"))),
            "{case}: {e:?}"
        );
        tried += 1;
    };
    for id in bad_ids {
        check("id (volume get)", err(s.volume_get(id)));
        check("id (volume delete)", err(s.volume_delete(id, false)));
        check("id (volume extend)", err(s.volume_extend(id, 10)));
        check("id (volume attach)", err(s.volume_attach(id, &server, None)));
        check(
            "server-id (volume attach server)",
            err(s.volume_attach(&server, id, None)),
        );
        check("id (volume detach)", err(s.volume_detach(id, &server)));
        check("id (volume wait)", err(s.volume_wait_for(id, "available", 1)));
        check("id (snapshot get)", err(s.snapshot_get(id)));
        check("id (snapshot delete)", err(s.snapshot_delete(id, true)));
        check("id (snapshot wait)", err(s.snapshot_wait_for(id, "available", 1)));
        check("id (backup get)", err(s.backup_get(id)));
        check("id (backup delete)", err(s.backup_delete(id, false)));
        check("id (backup restore)", err(s.backup_restore(id, None, None)));
        check("id (backup wait)", err(s.backup_wait_for(id, "available", 1)));
        check(
            "volume-id (snapshot create)",
            err(s.snapshot_create(&spec::snapshot(id))),
        );
        check("volume-id (backup create)", err(s.backup_create(&spec::backup(id))));
    }
    let ok_id = "00000000-0000-0000-0000-000000000001";
    check("size (size 0)", err(s.volume_create(&vol(0, "zero"))));
    check("size (size too big)", err(s.volume_create(&vol(u32::MAX, "huge"))));
    check("name (long name)", err(s.volume_create(&vol(1, &long))));
    check("name (control name)", err(s.volume_create(&vol(1, "a\u{1b}[2J"))));
    check("new-size (extend to 0)", err(s.volume_extend(ok_id, 0)));
    check(
        "volume-create (two sources)",
        err(s.volume_create(&VolumeCreate {
            snapshot_id: Some(ok_id.into()),
            backup_id: Some(ok_id.into()),
            ..vol(1, "x")
        })),
    );
    check(
        "volume-id (restore ambiguous)",
        err(s.backup_restore(ok_id, Some(ok_id), Some("new"))),
    );
    check("status (bad status)", err(s.volume_wait_for(ok_id, "Available!", 1)));
    check(
        "page-size (page size 0)",
        err(s.volume_list(&ListOptions {
            page_size: Some(0),
            ..all()
        })),
    );
    check(
        "status (status filter)",
        err(s.snapshot_list(&ListOptions {
            status: Some("a&b=c".into()),
            ..all()
        })),
    );
    check(
        "metadata (metadata key)",
        err(s.volume_create(&VolumeCreate {
            metadata: vec![(String::new(), "v".into())],
            ..vol(1, "m")
        })),
    );
    assert!(tried >= 170, "{tried}");
    common::say(&format!(
        "bad-input catalogue: {tried} invalid inputs refused, none sent"
    ));
    assert!(
        cloud.requests().is_empty(),
        "sent: {:?}",
        cloud.requests().iter().map(|r| &r.path).collect::<Vec<_>>()
    );
}

#[test]
fn malformed_config_is_invalid_input_and_sends_nothing() {
    let cloud = cloud();
    cloud.clear_requests();
    type Mutate = Box<dyn Fn(&mut host_test::Config)>;
    let cases: Vec<(&str, Mutate)> = vec![
        ("auth-url", Box::new(|c| c.auth_url = String::new())),
        ("auth-url", Box::new(|c| c.auth_url = "ftp://example.org/v3".into())),
        (
            "auth-url",
            Box::new(|c| c.auth_url = "https://user:CANARY@example.org/v3".into()),
        ),
        (
            "endpoint-interface",
            Box::new(|c| c.endpoint_interface = Some("private".into())),
        ),
        ("timeout-ms", Box::new(|c| c.timeout_ms = Some(0))),
        ("region", Box::new(|c| c.region = Some(String::new()))),
        ("microversion", Box::new(|c| c.microversion = Some("three".into()))),
        (
            "block-storage-url",
            Box::new(|c| c.block_storage_url = Some("volume/v3".into())),
        ),
        ("compute-url", Box::new(|c| c.compute_url = Some("https://a b/".into()))),
        ("max-response-bytes", Box::new(|c| c.max_response_bytes = Some(0))),
    ];
    for (field, mutate) in cases {
        let mut cfg = app_cfg(&cloud);
        mutate(&mut cfg);
        let e = host().connect(&cfg).unwrap_err();
        assert!(
            matches!(e.component(), Some(ComponentError::InvalidInput(m)) if m.starts_with(field)),
            "{field}: {:?}",
            e
        );
        assert!(!e.log().contains("CANARY") && !format!("{:?}", e).contains("CANARY"));
    }
    assert!(cloud.requests().is_empty());
}
