//! What the server sends, and what the host allows: every operation under every fault the
//! services (or the network) produce, creates that must never be repeated, redirects, the
//! origin allow-list, and the store's memory and CPU bounds.

mod common;

use std::time::{Duration, Instant};

use common::*;
use host_test::{spec, Config, Error, Limits, Session};
use mock_cloud::{CatalogEntry, Fault, FaultKind, MockCloud, MockOptions};

/// Time limit of every request in the fault matrix.
const TIMEOUT_MS: u32 = 400;

/// Ids an operation works on, made before the fault is armed.
#[derive(Default)]
struct Fixture {
    volume: String,
    snapshot: String,
    backup: String,
    server: String,
}

/// One operation of the contract: how to prepare for it, which request to break, and the call.
struct Op {
    name: &'static str,
    method: &'static str,
    /// The path part the fault matches; `{v}`, `{s}`, `{b}` and `{srv}` are the fixture's ids.
    path: &'static str,
    /// What must exist beforehand: an available volume, a snapshot, a backup, an attachment.
    needs: &'static [&'static str],
    call: fn(&mut Session, &Fixture) -> host_test::Result<()>,
}

fn done<T>(c: host_test::Result<T>) -> host_test::Result<()> {
    c.map(drop)
}

fn ops() -> Vec<Op> {
    vec![
        Op {
            name: "volumes.list",
            method: "GET",
            path: "/volumes/detail",
            needs: &[],
            call: |s, _| done(s.volume_list(&all())),
        },
        Op {
            name: "volumes.get",
            method: "GET",
            path: "/volumes/{v}",
            needs: &["volume"],
            call: |s, f| done(s.volume_get(&f.volume)),
        },
        Op {
            name: "volumes.create",
            method: "POST",
            path: "/volumes",
            needs: &[],
            call: |s, _| done(s.volume_create(&vol(1, "fault"))),
        },
        Op {
            name: "volumes.create (idempotency key)",
            method: "POST",
            path: "/volumes",
            needs: &[],
            call: |s, _| {
                done(s.volume_create(&host_test::VolumeCreate {
                    idempotency_key: Some("fault-matrix".into()),
                    ..vol(1, "fault-keyed")
                }))
            },
        },
        Op {
            name: "volumes.delete",
            method: "DELETE",
            path: "/volumes/{v}",
            needs: &["volume"],
            call: |s, f| s.volume_delete(&f.volume, false, false),
        },
        Op {
            name: "volumes.extend",
            method: "POST",
            path: "/volumes/{v}/action",
            needs: &["volume"],
            call: |s, f| s.volume_extend(&f.volume, 5),
        },
        Op {
            name: "volumes.attach",
            method: "POST",
            path: "/os-volume_attachments",
            needs: &["volume"],
            call: |s, f| done(s.volume_attach(&f.volume, &f.server, None)),
        },
        Op {
            name: "volumes.detach",
            method: "DELETE",
            path: "/os-volume_attachments",
            needs: &["attached"],
            call: |s, f| s.volume_detach(&f.volume, &f.server),
        },
        Op {
            name: "volumes.wait-for",
            method: "GET",
            path: "/volumes/{v}",
            needs: &["volume"],
            call: |s, f| done(s.volume_wait_for(&f.volume, "available", 1)),
        },
        Op {
            name: "snapshots.list",
            method: "GET",
            path: "/snapshots/detail",
            needs: &[],
            call: |s, _| done(s.snapshot_list(&all())),
        },
        Op {
            name: "snapshots.get",
            method: "GET",
            path: "/snapshots/{s}",
            needs: &["snapshot"],
            call: |s, f| done(s.snapshot_get(&f.snapshot)),
        },
        Op {
            name: "snapshots.create",
            method: "POST",
            path: "/snapshots",
            needs: &["volume"],
            call: |s, f| done(s.snapshot_create(&spec::snapshot(&f.volume))),
        },
        Op {
            name: "snapshots.delete",
            method: "DELETE",
            path: "/snapshots/{s}",
            needs: &["snapshot"],
            call: |s, f| s.snapshot_delete(&f.snapshot, false),
        },
        Op {
            name: "snapshots.wait-for",
            method: "GET",
            path: "/snapshots/{s}",
            needs: &["snapshot"],
            call: |s, f| done(s.snapshot_wait_for(&f.snapshot, "available", 1)),
        },
        Op {
            name: "backups.list",
            method: "GET",
            path: "/backups/detail",
            needs: &[],
            call: |s, _| done(s.backup_list(&all())),
        },
        Op {
            name: "backups.get",
            method: "GET",
            path: "/backups/{b}",
            needs: &["backup"],
            call: |s, f| done(s.backup_get(&f.backup)),
        },
        Op {
            name: "backups.create",
            method: "POST",
            path: "/backups",
            needs: &["volume"],
            call: |s, f| done(s.backup_create(&spec::backup(&f.volume))),
        },
        Op {
            name: "backups.restore",
            method: "POST",
            path: "/backups/{b}/restore",
            needs: &["backup"],
            call: |s, f| done(s.backup_restore(&f.backup, None, None)),
        },
        Op {
            name: "backups.delete",
            method: "DELETE",
            path: "/backups/{b}",
            needs: &["backup"],
            call: |s, f| s.backup_delete(&f.backup, false),
        },
        Op {
            name: "backups.wait-for",
            method: "GET",
            path: "/backups/{b}",
            needs: &["backup"],
            call: |s, f| done(s.backup_wait_for(&f.backup, "available", 1)),
        },
    ]
}

fn status(code: u16, retry_after: Option<u32>) -> FaultKind {
    FaultKind::Status {
        status: code,
        body: None,
        retry_after,
    }
}

/// Every status the services use, with and without `Retry-After`, and every broken answer.
fn faults() -> Vec<(String, FaultKind)> {
    let mut out: Vec<(String, FaultKind)> = [
        400, 401, 403, 404, 405, 406, 409, 413, 415, 429, 500, 501, 502, 503, 504,
    ]
    .into_iter()
    .map(|c| (c.to_string(), status(c, None)))
    .collect();
    for c in [413, 429, 503] {
        out.push((format!("{c}+Retry-After"), status(c, Some(1))));
    }
    out.extend([
        (
            "delay past the timeout".into(),
            FaultKind::Delay(Duration::from_millis(u64::from(TIMEOUT_MS) + 600)),
        ),
        ("dropped connection".into(), FaultKind::DropConnection),
        ("truncated body".into(), FaultKind::Truncated),
        ("empty body".into(), FaultKind::EmptyBody),
        ("non-JSON body".into(), FaultKind::MalformedJson),
        ("wrong shape".into(), FaultKind::WrongShape),
        ("100 MB body".into(), FaultKind::Enormous(100 << 20)),
        ("token expired".into(), FaultKind::Unauthorized),
    ]);
    out
}

/// A mock that never runs out of quota.
fn roomy() -> MockCloud {
    let cloud = cloud();
    for q in ["volumes", "snapshots", "backups", "gigabytes", "backup_gigabytes"] {
        cloud.set_quota(q, -1);
    }
    cloud
}

fn prepare(s: &mut Session, cloud: &MockCloud, needs: &[&str]) -> Fixture {
    let mut f = Fixture {
        server: cloud.add_server("fault"),
        ..Fixture::default()
    };
    if needs.is_empty() {
        return f;
    }
    f.volume = ok(s.volume_create(&vol(1, "fixture"))).id;
    if needs.contains(&"snapshot") {
        f.snapshot = ok(s.snapshot_create(&spec::snapshot(&f.volume))).id;
    }
    if needs.contains(&"backup") {
        f.backup = ok(s.backup_create(&spec::backup(&f.volume))).id;
    }
    if needs.contains(&"attached") {
        ok(s.volume_attach(&f.volume, &f.server, None));
    }
    f
}

fn fault_path(op: &Op, f: &Fixture) -> String {
    op.path
        .replace("{v}", &f.volume)
        .replace("{s}", &f.snapshot)
        .replace("{b}", &f.backup)
        .replace("{srv}", &f.server)
}

#[test]
fn every_operation_ends_typed_and_in_time_under_every_fault() {
    let cloud = roomy();
    let cfg = Config {
        timeout_ms: Some(TIMEOUT_MS),
        max_response_bytes: Some(1 << 20),
        ..app_cfg(&cloud)
    };
    let mut s = connect_with(&cfg);
    let (mut injected, mut succeeded) = (0, 0);
    for op in ops() {
        for (what, kind) in faults() {
            let f = prepare(&mut s, &cloud, op.needs);
            // Enough repeats to outlast retries; what is left is cleared after the call.
            cloud.inject(Fault::new(Some(op.method), &fault_path(&op, &f), kind.clone()).times(4));
            injected += 1;
            let started = Instant::now();
            let out = (op.call)(&mut s, &f);
            let took = started.elapsed();
            cloud.clear_faults();
            let case = format!("{} under {what}", op.name);
            match out {
                Ok(()) => succeeded += 1,
                Err(e @ Error::Trap(_)) => panic!("{case}: {e}"),
                Err(e) => {
                    // An HTTP error keeps the injected status (gateway statuses after retries).
                    if let (FaultKind::Status { status, .. }, Some(a)) = (&kind, e.api()) {
                        if *status != 401 {
                            assert_eq!(a.status, *status, "{case}: {}", e);
                        }
                    }
                    if matches!(kind, FaultKind::Delay(_) | FaultKind::DropConnection) {
                        assert_eq!(e.kind(), "transport", "{case}");
                    }
                }
            }
            // Each request gets TIMEOUT_MS (retries included); a wait polls for at most 1 s.
            let bound = Duration::from_millis(u64::from(TIMEOUT_MS) * 3 + 1500);
            assert!(took < bound, "{case} took {took:?}");
        }
    }
    common::say(&format!(
        "fault matrix: {injected} faults injected over {} operations, {succeeded} ended in success, \
         the rest in typed errors; no trap",
        ops().len()
    ));
    // The session is still healthy.
    ok(s.volume_list(&all()));
}

#[test]
fn connect_ends_typed_under_faults_of_keystone_and_discovery() {
    let cloud = cloud();
    let cfg = Config {
        timeout_ms: Some(TIMEOUT_MS),
        max_response_bytes: Some(1 << 20),
        ..app_cfg(&cloud)
    };
    host(); // compiled before the clock starts
    for (method, path) in [("POST", "/auth/tokens"), ("GET", "/volume/v3/")] {
        for (what, kind) in faults() {
            cloud.inject(Fault::new(Some(method), path, kind).times(4));
            let started = Instant::now();
            let out = host().connect(&cfg);
            cloud.clear_faults();
            if let Err(e) = &out {
                assert!(
                    !matches!(e.kind(), "invalid-input" | "trap"),
                    "{path} under {what}: {e}"
                );
            }
            assert!(started.elapsed() < Duration::from_secs(3), "{path} under {what}");
        }
    }
}

/// A fault after the server created the resource: the client reports the failure and does
/// not ask again, so there is exactly one resource, which the caller finds by name.
#[test]
fn creates_are_never_repeated_after_the_server_acted() {
    let cloud = roomy();
    let mut s = connect(&cloud);
    let server = cloud.add_server("once");
    for kind in [status(503, None), status(502, None), FaultKind::DropConnection] {
        let before = cloud.counts();
        cloud.inject(Fault::new(Some("POST"), "/volumes", kind.clone()).after());
        let e = err(s.volume_create(&vol(1, "exactly-once")));
        assert!(matches!(e.kind(), "api" | "transport"), "{kind:?}: {e:?}");
        assert_eq!(
            cloud.counts().volumes,
            before.volumes + 1,
            "{kind:?}: one volume, not two"
        );
        let found = ok(s.volume_list(&host_test::ListOptions {
            name: Some("exactly-once".into()),
            ..all()
        }));
        assert!(!found.is_empty());

        let v = ok(s.volume_create(&vol(1, "source"))).id;
        cloud.inject(Fault::new(Some("POST"), "/snapshots", kind.clone()).after());
        err(s.snapshot_create(&spec::snapshot(&v)));
        cloud.inject(Fault::new(Some("POST"), "/backups", kind.clone()).after());
        err(s.backup_create(&spec::backup(&v)));
        let after = cloud.counts();
        assert_eq!(
            (after.snapshots, after.backups),
            (before.snapshots + 1, before.backups + 1),
            "{kind:?}"
        );
        let b = ok(s.backup_create(&spec::backup(&v))).id;
        let volumes = cloud.counts().volumes;
        cloud.inject(Fault::new(Some("POST"), "/restore", kind.clone()).after());
        err(s.backup_restore(&b, None, Some("restored-once")));
        assert_eq!(cloud.counts().volumes, volumes + 1, "{kind:?}: one restore");

        let target = ok(s.volume_create(&vol(1, "attach-once"))).id;
        let attachments = cloud.counts().attachments;
        cloud.inject(Fault::new(Some("POST"), "/os-volume_attachments", kind.clone()).after());
        err(s.volume_attach(&target, &server, None));
        assert_eq!(cloud.counts().attachments, attachments + 1, "{kind:?}: one attachment");
    }
    let posts = cloud.requests().iter().filter(|r| r.method == "POST").count();
    assert!(posts > 0);
}

/// The same faults with an idempotency key: the create looks the resource up after the
/// lost answer and returns it, and repeating the call returns it again: one of each.
#[test]
fn keyed_creates_return_the_one_resource_after_a_lost_answer() {
    use host_test::{BackupCreate, SnapshotCreate, VolumeCreate};
    let cloud = roomy();
    let mut s = connect(&cloud);
    let source = ok(s.volume_create(&vol(1, "keyed-source"))).id;
    ok(s.volume_wait_for(&source, "available", 30));
    for (n, fault) in [status(503, None), status(500, None), FaultKind::DropConnection]
        .into_iter()
        .enumerate()
    {
        let before = cloud.counts();
        let key = |what: &str| Some(format!("{what}-{n}"));
        let volume = VolumeCreate {
            idempotency_key: key("volume"),
            ..vol(1, "keyed")
        };
        cloud.inject(Fault::new(Some("POST"), "/volumes", fault.clone()).after());
        let v = ok(s.volume_create(&volume));
        assert_eq!(ok(s.volume_create(&volume)).id, v.id, "{fault:?}: the same volume");
        let snapshot = SnapshotCreate {
            idempotency_key: key("snapshot"),
            ..spec::snapshot(&source)
        };
        cloud.inject(Fault::new(Some("POST"), "/snapshots", fault.clone()).after());
        let snap = ok(s.snapshot_create(&snapshot));
        assert_eq!(ok(s.snapshot_create(&snapshot)).id, snap.id, "{fault:?}");
        let backup = BackupCreate {
            idempotency_key: key("backup"),
            ..spec::backup(&source)
        };
        cloud.inject(Fault::new(Some("POST"), "/backups", fault.clone()).after());
        let b = ok(s.backup_create(&backup));
        assert_eq!(ok(s.backup_create(&backup)).id, b.id, "{fault:?}");
        ok(s.backup_wait_for(&b.id, "available", 30));
        let after = cloud.counts();
        assert_eq!(
            (after.volumes, after.snapshots, after.backups),
            (before.volumes + 1, before.snapshots + 1, before.backups + 1),
            "{fault:?}: exactly one of each"
        );
        // The key with another request is a conflict, and creates nothing.
        let other = VolumeCreate { size: 2, ..volume };
        assert_eq!(kind(&err(s.volume_create(&other))), "conflict");
        assert_eq!(cloud.counts().volumes, after.volumes);
    }
}

#[test]
fn redirects_are_not_followed() {
    let cloud = cloud();
    let elsewhere = MockCloud::start();
    let mut s = connect(&cloud);
    let target = format!(
        "{}/volume/v3/{}/volumes/detail",
        elsewhere.base_url(),
        cloud.project_id()
    );
    for code in [301, 302, 307, 308] {
        cloud.inject(Fault::new(
            Some("GET"),
            "/volumes/detail",
            FaultKind::Redirect {
                status: code,
                location: target.clone(),
            },
        ));
        let e = err(s.volume_list(&all()));
        assert_eq!((e.kind(), api(&e).status), ("api", code));
    }
    assert!(elsewhere.requests().is_empty(), "the token went to another host");
}

/// Keystone, Cinder and Nova on three listeners of their own (as on most clouds), and a
/// config that names only Keystone: the session reaches the catalog's endpoints.
#[test]
fn services_on_their_own_ports_are_reached_through_the_catalog() {
    let cloud = MockCloud::start_with(MockOptions {
        service_ports: true,
        transition: Duration::ZERO,
        ..MockOptions::default()
    });
    let server = cloud.add_server("vm-ports");
    let origins = [cloud.auth_url(), cloud.block_storage_url(), cloud.compute_url()].map(|u| origin(&u));
    assert!(origins[0] != origins[1] && origins[1] != origins[2] && origins[0] != origins[2]);
    for cfg in [app_cfg(&cloud), password_cfg(&cloud, mock_cloud::PASSWORD)] {
        let mut s = connect_with(&cfg);
        let mut reachable = s.allowed_origins();
        reachable.sort();
        let mut expected = origins.to_vec();
        expected.sort();
        assert_eq!(reachable, expected, "exactly Keystone and the two endpoints it named");
        let v = ok(s.volume_create(&vol(1, "ports")));
        ok(s.volume_wait_for(&v.id, "available", 30));
        ok(s.volume_attach(&v.id, &server, None));
        let attached = ok(s.volume_wait_for(&v.id, "in-use", 30)).expect("volume");
        assert_eq!(attached.attachments[0].server_id.as_deref(), Some(server.as_str()));
        ok(s.volume_detach(&v.id, &server));
        ok(s.volume_wait_for(&v.id, "available", 30));
        ok(s.volume_delete(&v.id, false, false));
        ok(s.volume_wait_for(&v.id, "deleted", 30));
    }
    // Each listener answers only its own service: nothing went to the wrong port.
    assert_eq!(cloud.counts().volumes, 0);
}

/// The same through the real Keystone, Cinder and Nova of `../shared/real-stack`, each on
/// its own port: both openrc files, no endpoint override.
#[test]
fn real_stack_endpoints_are_reached_through_the_catalog() {
    let Some(stack) = host_test::real_stack::from_env("robustness") else {
        return;
    };
    for (i, rc) in [&stack.openrc, &stack.openrc_appcred].into_iter().enumerate() {
        let mut s = connect_with(&host_test::real_stack::openrc_config(rc));
        assert_eq!(
            s.allowed_origins().len(),
            3,
            "Keystone, Cinder, Nova: {:?}",
            s.allowed_origins()
        );
        let name = format!("allow-list-{i}-{}", std::process::id());
        let v = ok(s.volume_create(&vol(1, &name)));
        ok(s.volume_wait_for(&v.id, "available", 60));
        ok(s.volume_attach(&v.id, &stack.server_id, None));
        ok(s.volume_wait_for(&v.id, "in-use", 60));
        ok(s.volume_detach(&v.id, &stack.server_id));
        ok(s.volume_wait_for(&v.id, "available", 60));
        ok(s.volume_delete(&v.id, false, false));
        ok(s.volume_wait_for(&v.id, "deleted", 60));
    }
}

/// Only the endpoints the component chose from the configured Keystone's answer open:
/// another region's entry, and the endpoints of a config that names its own URLs, stay shut.
#[test]
fn the_catalog_opens_only_the_chosen_endpoints() {
    let other = MockCloud::start();
    let elsewhere = MockCloud::start();
    let catalog = vec![
        CatalogEntry {
            service_type: "block-storage".into(),
            region: "dc3-a".into(),
            interface: "public".into(),
            url: format!("{}/volume/v3/{{project}}", other.base_url()),
        },
        CatalogEntry {
            service_type: "block-storage".into(),
            region: "dc4-a".into(),
            interface: "public".into(),
            url: format!("{}/volume/v3/{{project}}", elsewhere.base_url()),
        },
    ];
    let cloud = MockCloud::start_with(MockOptions {
        catalog,
        transition: Duration::ZERO,
        ..MockOptions::default()
    });
    // The dc3-a entry is reached (the other mock never issued the token: 401 shows it was).
    let e = host().connect(&app_cfg(&cloud)).unwrap_err();
    assert_eq!(kind(&e), "unauthorized", "{}", e);
    assert!(!other.requests().is_empty());
    assert!(elsewhere.requests().is_empty(), "the dc4-a entry was never chosen");

    // With the service URLs configured, the catalog opens nothing.
    let cfg = Config {
        block_storage_url: Some(format!("{}/volume/v3/{}", cloud.base_url(), cloud.project_id())),
        compute_url: Some(cloud.compute_url()),
        ..app_cfg(&cloud)
    };
    let s = connect_with(&cfg);
    assert_eq!(s.allowed_origins(), [origin(&cloud.auth_url())]);
}

fn origin(url: &str) -> String {
    host_test::allow::origin(url).expect("an http URL")
}

#[test]
fn memory_and_cpu_are_bounded_per_store() {
    let cloud = cloud();
    let cfg = Config {
        max_response_bytes: Some(64 << 20),
        ..app_cfg(&cloud)
    };
    // A small CPU budget (enough to connect): reading and parsing a 60 MB answer takes
    // longer, and the call is stopped.
    let strict = host().with_limits(Limits {
        cpu_per_call: Duration::from_millis(50),
        ..Limits::default()
    });
    let mut slow = strict.connect(&cfg).expect("connect");
    cloud.inject(Fault::new(
        Some("GET"),
        "/volumes/detail",
        FaultKind::Enormous(60 << 20),
    ));
    let trap = slow.volume_list(&all()).expect_err("the CPU budget stops the call");
    assert!(format!("{trap:#}").contains("CPU budget"), "{trap:#}");

    // A small memory cap: the store cannot grow to hold the answer, and the call traps.
    let small = host().with_limits(Limits {
        memory_bytes: 8 << 20,
        ..Limits::default()
    });
    let mut tight = small.connect(&cfg).expect("connect");
    cloud.inject(Fault::new(
        Some("GET"),
        "/volumes/detail",
        FaultKind::Enormous(30 << 20),
    ));
    assert!(tight.volume_list(&all()).is_err(), "the memory cap stops the call");

    // The host is unharmed: a new session under the default limits works.
    let mut fresh = connect(&cloud);
    ok(fresh.volume_create(&vol(1, "after")));
    assert_eq!(ok(fresh.volume_list(&all())).len(), 1);
}

#[test]
fn an_enormous_body_stops_at_the_default_cap() {
    let cloud = cloud();
    let mut s = connect(&cloud);
    cloud.inject(Fault::new(
        Some("GET"),
        "/volumes/detail",
        FaultKind::Enormous(100 << 20),
    ));
    let started = Instant::now();
    let e = err(s.volume_list(&all()));
    assert_eq!(kind(&e), "invalid-response", "{e:?}");
    common::say(&format!("100 MB body refused in {:?}", started.elapsed()));
    ok(s.volume_list(&all()));
}
