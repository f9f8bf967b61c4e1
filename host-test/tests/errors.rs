//! Every error variant through the component, the re-authentication path, and bad
//! inputs that must be refused before any request is sent.

mod common;

use std::time::Duration;

use common::*;
use host_test::{
    spec, BackupCreate, ComponentError, Error, ImageUpload, ListOptions, ResourceUpdate, Session, SnapshotCreate,
    VolumeCreate,
};
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
fn reauthenticates_on_401_at_most_twice() {
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

    // A fresh token refused too (revoked in its own second): one more, a second later.
    cloud.clear_requests();
    cloud.inject(Fault::new(Some("GET"), "/volumes/detail", FaultKind::Unauthorized).times(2));
    ok(s.volume_list(&all()));
    assert_eq!(matching(&cloud.requests(), "POST", "/auth/tokens"), 2);

    // 401 again after that: unauthorized, not a loop.
    cloud.clear_requests();
    cloud.inject(Fault::new(Some("GET"), "/volumes/detail", FaultKind::Unauthorized).times(3));
    let e = err(s.volume_list(&all()));
    assert_eq!((kind(&e), api(&e).status), ("unauthorized", 401));
    let reqs = cloud.requests();
    assert_eq!(matching(&reqs, "POST", "/auth/tokens"), 2);
    assert_eq!(matching(&reqs, "GET", "/volumes/detail"), 3);
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
        check("id (volume delete)", err(s.volume_delete(id, false, false)));
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
    contract_0_2_bad_inputs(&mut s, &bad_ids, &mut check);
    changes_bad_inputs(&mut s, &bad_ids, &mut check);
    assert!(tried >= 556, "{tried}");
    common::say(&format!(
        "bad-input catalogue: {tried} invalid inputs refused, none sent"
    ));
    assert!(
        cloud.requests().is_empty(),
        "sent: {:?}",
        cloud.requests().iter().map(|r| &r.path).collect::<Vec<_>>()
    );
}

/// A metadata item, key and value.
type Pair = (String, String);

/// What volumes, snapshots and backups share from contract 0.2, one row per resource (the
/// answers dropped: only the errors matter here).
struct Shared {
    what: &'static str,
    update: fn(&mut Session, &str, &ResourceUpdate) -> host_test::Result<()>,
    set_metadata: fn(&mut Session, &str, &[Pair]) -> host_test::Result<()>,
    unset_metadata: fn(&mut Session, &str, &[String]) -> host_test::Result<()>,
    list: fn(&mut Session, &ListOptions) -> host_test::Result<()>,
}

fn shared() -> [Shared; 3] {
    [
        Shared {
            what: "volume",
            update: |s, id, c| s.volume_update(id, c).map(drop),
            set_metadata: |s, id, m| s.volume_set_metadata(id, m).map(drop),
            unset_metadata: |s, id, k| s.volume_unset_metadata(id, k),
            list: |s, o| s.volume_list(o).map(drop),
        },
        Shared {
            what: "snapshot",
            update: |s, id, c| s.snapshot_update(id, c).map(drop),
            set_metadata: |s, id, m| s.snapshot_set_metadata(id, m).map(drop),
            unset_metadata: |s, id, k| s.snapshot_unset_metadata(id, k),
            list: |s, o| s.snapshot_list(o).map(drop),
        },
        Shared {
            what: "backup",
            update: |s, id, c| s.backup_update(id, c).map(drop),
            set_metadata: |s, id, m| s.backup_set_metadata(id, m).map(drop),
            unset_metadata: |s, id, k| s.backup_unset_metadata(id, k),
            list: |s, o| s.backup_list(o).map(drop),
        },
    ]
}

/// The bad-input catalogue's part for the parameters new in contract 0.2: updates, metadata
/// changes, list options, backup metadata and zone, messages. `check` is the catalogue's.
fn contract_0_2_bad_inputs(s: &mut Session, bad_ids: &[&str], check: &mut dyn FnMut(&str, Error)) {
    let ok_id = "00000000-0000-0000-0000-000000000001";
    let long = "x".repeat(256);
    let one = |k: &str, v: &str| vec![(k.to_string(), v.to_string())];
    let list = |f: &dyn Fn(&mut ListOptions)| {
        let mut o = all();
        f(&mut o);
        o
    };
    let update = |name: Option<&str>, description: Option<&str>| ResourceUpdate {
        name: name.map(Into::into),
        description: description.map(Into::into),
    };
    for r in shared() {
        let what = r.what;
        for &id in bad_ids {
            check(
                &format!("id ({what} update)"),
                err((r.update)(s, id, &spec::rename("n"))),
            );
            check(
                &format!("id ({what} set-metadata)"),
                err((r.set_metadata)(s, id, &one("k", "v"))),
            );
            check(
                &format!("id ({what} unset-metadata)"),
                err((r.unset_metadata)(s, id, &["k".to_string()])),
            );
            check(
                &format!("marker ({what} list marker)"),
                err((r.list)(s, &list(&|o| o.marker = Some(id.to_string())))),
            );
            if what != "volume" {
                check(
                    &format!("volume-id ({what} list by a bad volume id)"),
                    err((r.list)(s, &list(&|o| o.volume_id = Some(id.to_string())))),
                );
            }
        }
        let updates = [
            ("name", update(Some(&long), None), "long name"),
            ("name", update(Some("a\u{1b}[2J"), None), "escape in name"),
            ("name", update(Some("a\nb"), None), "newline in name"),
            ("name", update(Some("a\0b"), None), "NUL in name"),
            ("description", update(None, Some(&long)), "long description"),
            ("description", update(None, Some("a\u{7}b")), "bell in description"),
            ("changes", update(None, None), "no change"),
        ];
        for (field, changes, case) in &updates {
            check(
                &format!("{field} ({what} update: {case})"),
                err((r.update)(s, ok_id, changes)),
            );
        }
        let items = [
            (one("", "v"), "empty key"),
            (one(&long, "v"), "key of 256"),
            (one("k", &long), "value of 256"),
            (one("a\tb", "v"), "tab in key"),
            ([one("k", "1"), one("k", "2")].concat(), "key twice"),
        ];
        for (items, case) in &items {
            check(
                &format!("items ({what} set-metadata: {case})"),
                err((r.set_metadata)(s, ok_id, items)),
            );
        }
        for (keys, case) in [
            (vec![String::new()], "empty key"),
            (vec!["k".into(), String::new()], "empty key after a good one"),
            (vec![long.clone()], "key of 256"),
            (vec!["a\nb".into()], "newline in key"),
        ] {
            check(
                &format!("keys ({what} unset-metadata: {case})"),
                err((r.unset_metadata)(s, ok_id, &keys)),
            );
        }
        let options = [
            ("sort", list(&|o| o.sort = Some("bogus".into())), "unknown key"),
            ("sort", list(&|o| o.sort = Some("id:up".into())), "bad direction"),
            (
                "sort",
                list(&|o| o.sort = Some("created_at:DESC".into())),
                "upper-case direction",
            ),
            ("sort", list(&|o| o.sort = Some("id:asc:desc".into())), "two directions"),
            ("sort", list(&|o| o.sort = Some("id,".into())), "empty key"),
            ("sort", list(&|o| o.sort = Some(String::new())), "empty"),
            ("sort", list(&|o| o.sort = Some("id;drop".into())), "injection"),
            ("limit", list(&|o| o.limit = Some(0)), "limit 0"),
            (
                "limit",
                list(&|o| (o.limit, o.page_size) = (Some(0), Some(5))),
                "limit 0 with a page size",
            ),
            ("metadata", list(&|o| o.metadata = one("", "v")), "empty key"),
            ("metadata", list(&|o| o.metadata = one(&long, "v")), "key of 256"),
            ("metadata", list(&|o| o.metadata = one("k", &long)), "value of 256"),
            ("metadata", list(&|o| o.metadata = one("a\u{1b}", "v")), "escape in key"),
            ("name", list(&|o| o.name = Some("a\nb".into())), "newline in name"),
        ];
        for (field, o, case) in &options {
            check(&format!("{field} ({what} list: {case})"), err((r.list)(s, o)));
        }
    }
    // Volumes are not listed by volume, not even by a good id.
    check(
        "volume-id (volume list by volume)",
        err(s.volume_list(&ListOptions {
            volume_id: Some(ok_id.into()),
            ..all()
        })),
    );
    let backup = |f: &dyn Fn(&mut BackupCreate)| {
        let mut b = spec::backup(ok_id);
        f(&mut b);
        b
    };
    let backups = [
        ("metadata", backup(&|b| b.metadata = one("", "v")), "empty key"),
        ("metadata", backup(&|b| b.metadata = one(&long, "v")), "key of 256"),
        ("metadata", backup(&|b| b.metadata = one("k", &long)), "value of 256"),
        (
            "availability-zone",
            backup(&|b| b.availability_zone = Some(long.clone())),
            "zone of 256",
        ),
        (
            "availability-zone",
            backup(&|b| b.availability_zone = Some("az\n1".into())),
            "newline in zone",
        ),
    ];
    for (field, spec, case) in &backups {
        check(&format!("{field} (backup create: {case})"), err(s.backup_create(spec)));
    }
    for &id in bad_ids {
        check("resource-id (messages)", err(s.messages(Some(id))));
    }
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

/// The bad-input catalogue's part for contract 0.2's changes in place, transfers and keyed
/// creates. `check` is the catalogue's.
fn changes_bad_inputs(s: &mut Session, bad_ids: &[&str], check: &mut dyn FnMut(&str, Error)) {
    let ok_id = "00000000-0000-0000-0000-000000000001";
    let long = "x".repeat(256);
    let upload = |name: &str| ImageUpload {
        image_name: name.into(),
        disk_format: None,
        container_format: None,
        force: false,
        visibility: None,
        protected: false,
    };
    for &id in bad_ids {
        check("id (volume cascade delete)", err(s.volume_delete(id, false, true)));
        check("id (set-bootable)", err(s.volume_set_bootable(id, true)));
        check("id (set-read-only)", err(s.volume_set_read_only(id, true)));
        check("id (retype)", err(s.volume_retype(id, "fast", false)));
        check("id (revert)", err(s.volume_revert_to_snapshot(id, ok_id)));
        check("snapshot-id (revert)", err(s.volume_revert_to_snapshot(ok_id, id)));
        check("id (upload)", err(s.volume_upload_to_image(id, &upload("img"))));
        check("volume-id (transfer create)", err(s.transfer_create(id, None)));
        check("id (transfer get)", err(s.transfer_get(id)));
        check("id (transfer accept)", err(s.transfer_accept(id, "0123456789abcdef")));
        check("id (transfer delete)", err(s.transfer_delete(id)));
    }
    for bad_key in ["", long.as_str(), "a\u{1b}b", "line\nbreak"] {
        check(
            "idempotency-key (volume)",
            err(s.volume_create(&VolumeCreate {
                idempotency_key: Some(bad_key.into()),
                ..vol(1, "k")
            })),
        );
        check(
            "idempotency-key (snapshot)",
            err(s.snapshot_create(&SnapshotCreate {
                idempotency_key: Some(bad_key.into()),
                ..spec::snapshot(ok_id)
            })),
        );
        check(
            "idempotency-key (backup)",
            err(s.backup_create(&BackupCreate {
                idempotency_key: Some(bad_key.into()),
                ..spec::backup(ok_id)
            })),
        );
        check("auth-key (accept)", err(s.transfer_accept(ok_id, bad_key)));
    }
    for bad_type in ["", "   ", long.as_str(), "a\u{7}b"] {
        check("volume-type (retype)", err(s.volume_retype(ok_id, bad_type, true)));
    }
    for bad_name in ["", " ", long.as_str(), "a\nb"] {
        check(
            "image-name (upload)",
            err(s.volume_upload_to_image(ok_id, &upload(bad_name))),
        );
    }
    let formats = |f: &dyn Fn(&mut ImageUpload)| {
        let mut u = upload("img");
        f(&mut u);
        u
    };
    check(
        "disk-format (upload)",
        err(s.volume_upload_to_image(ok_id, &formats(&|u| u.disk_format = Some("q\u{1b}cow2".into())))),
    );
    check(
        "container-format (upload)",
        err(s.volume_upload_to_image(ok_id, &formats(&|u| u.container_format = Some(long.clone())))),
    );
    check(
        "visibility (upload)",
        err(s.volume_upload_to_image(ok_id, &formats(&|u| u.visibility = Some("a\nb".into())))),
    );
    check("name (transfer create)", err(s.transfer_create(ok_id, Some(&long))));
    check(
        "name (transfer create control)",
        err(s.transfer_create(ok_id, Some("a\u{1b}b"))),
    );
}
