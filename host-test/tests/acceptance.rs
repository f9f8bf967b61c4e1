//! The acceptance suite: one set of scenarios, run through the component in wasmtime
//! against every target the environment offers:
//!
//! - `mock::*`: the project's mock cloud, always;
//! - `real_cinder::*`: a real Cinder 29.0.0 when `REAL_CINDER_URL` is set (`.ci/run` starts
//!   `../shared/real-cinder` and sets it), with the mock's Nova in front of it for attach
//!   and detach; each scenario works in a project of its own;
//! - `real_keystone::*`: the real Keystone and Cinder (keystone mode) of
//!   `../shared/real-stack` when `REAL_STACK_ENV` names its `stack.env`, as the seeded member
//!   with its password openrc; no server, so the attach scenarios are skipped;
//! - `real_stack::*`: the same stack with its real Nova, as the member's application
//!   credential, attaching to the seeded server; both real-stack targets share project
//!   `demo`, with the seeded admin for quotas and reset-state, and its project as the
//!   transfers' receiver;
//! - `cloud::*`: a real cloud when `OS_AUTH_URL` and credentials are set (an openrc);
//!   `ACCEPTANCE_SERVER_ID` names a server for the attach scenarios.
//!
//! A target that is not configured is skipped, and the test says so and why.
//! Every scenario removes what it made, also when it fails.

#[path = "acceptance/changes.rs"]
mod changes;
mod common;
#[path = "acceptance/requests.rs"]
mod requests;
#[path = "acceptance/target.rs"]
mod target;

use changes::{cascade_delete, flags_and_revert, idempotent_creates, retype, transfers, upload_to_image};
use host_test::{spec, BackupCreate, Config, Credentials, ListOptions, ResourceUpdate, SnapshotCreate, VolumeCreate};
use target::{all, fails, ok, run, say, Ctx, Kind};

const MISSING: &str = "00000000-0000-4000-8000-000000000000";

/// Volume create, get, list, wait, extend while available, delete.
fn volume_lifecycle(cx: &mut Ctx) {
    let name = cx.name("vol");
    let spec = VolumeCreate {
        description: Some("acceptance".into()),
        metadata: vec![("purpose".into(), "acceptance".into()), ("a".into(), "1".into())],
        ..spec::volume(1, &name)
    };
    let created = cx.start_volume(spec);
    assert_eq!(created.name.as_deref(), Some(name.as_str()));
    assert_eq!(created.size, 1);
    let v = cx.wait_volume(&created.id, "available");
    assert_eq!(v.description.as_deref(), Some("acceptance"));
    assert_eq!(
        v.metadata,
        vec![
            ("a".to_string(), "1".to_string()),
            ("purpose".into(), "acceptance".into())
        ]
    );
    assert!(!v.bootable && v.attachments.is_empty());

    let got = ok("get", cx.s.volume_get(&v.id));
    assert_eq!((got.id.as_str(), got.status.as_str()), (v.id.as_str(), "available"));
    let by_name = ok(
        "list by name",
        cx.s.volume_list(&ListOptions {
            name: Some(name.clone()),
            ..all()
        }),
    );
    assert_eq!(
        by_name.iter().map(|v| v.id.as_str()).collect::<Vec<_>>(),
        [v.id.as_str()]
    );
    let by_status = ok(
        "list by status",
        cx.s.volume_list(&ListOptions {
            status: Some("available".into()),
            ..all()
        }),
    );
    assert!(by_status.iter().any(|x| x.id == v.id));

    ok("extend", cx.s.volume_extend(&v.id, 2));
    assert_eq!(cx.wait_volume(&v.id, "available").size, 2);
    fails("extend to the same size", "invalid-input", cx.s.volume_extend(&v.id, 2));

    ok("delete", cx.s.volume_delete(&v.id, false, false));
    let w = cx.wait_s();
    assert!(ok("wait deleted", cx.s.volume_wait_for(&v.id, "deleted", w)).is_none());
    cx.forget(&v.id);
    fails("get deleted", "not-found", cx.s.volume_get(&v.id));
}

/// Why a scenario skips its attach part where the target has no server.
const NO_SERVER: &str = "no server here (real_keystone has no Nova; on a cloud set ACCEPTANCE_SERVER_ID)";

/// Attach through Nova, extend while in use (3.42+), refuse it below, detach; attach twice,
/// delete while in use, detach again and an unknown server are refused.
fn attach_extend_detach(cx: &mut Ctx) {
    if cx.t.server.is_none() {
        say(&format!("attach_extend_detach: {NO_SERVER}; skipped"));
        return;
    }
    let v = cx.volume(spec::volume(1, &cx.name("att")));
    let server = cx.t.server.clone().unwrap_or_default();
    let in_use = cx.attach(&v.id);
    let [a] = in_use.attachments.as_slice() else {
        panic!("one attachment expected: {:?}", in_use.attachments)
    };
    assert_eq!(a.server_id.as_deref(), Some(server.as_str()));
    assert!(a.attachment_id.is_some() && a.device.as_deref().is_some_and(|d| d.starts_with("/dev/")));

    fails("delete in-use", "bad-request", cx.s.volume_delete(&v.id, false, false));
    fails("attach twice", "bad-request", cx.s.volume_attach(&v.id, &server, None));

    let mut old = cx.session_at("3.41");
    let e = fails("extend in-use at 3.41", "bad-request", old.volume_extend(&v.id, 2));
    assert_eq!(target::api_status(&e), 400);
    ok("extend in-use at 3.42+", cx.s.volume_extend(&v.id, 2));
    let grown = cx.wait_volume(&v.id, "in-use");
    assert_eq!(grown.size, 2);

    let back = cx.detach(&v.id);
    assert!(back.attachments.is_empty());
    fails("detach again", "not-found", cx.s.volume_detach(&v.id, &server));
    fails("unknown server", "not-found", cx.s.volume_attach(&v.id, MISSING, None));
}

/// Volumes from a snapshot, from another volume and from a backup.
fn create_from_sources(cx: &mut Ctx) {
    let src = cx.volume(spec::volume(1, &cx.name("src")));
    let snap = cx.snapshot(SnapshotCreate {
        name: Some(cx.name("snap")),
        ..spec::snapshot(&src.id)
    });
    assert_eq!((snap.volume_id.as_str(), snap.size), (src.id.as_str(), 1));

    let from_snap = cx.volume(VolumeCreate {
        snapshot_id: Some(snap.id.clone()),
        ..spec::volume(1, &cx.name("from-snap"))
    });
    assert_eq!(from_snap.snapshot_id.as_deref(), Some(snap.id.as_str()));

    let clone = cx.volume(VolumeCreate {
        source_volume_id: Some(src.id.clone()),
        ..spec::volume(2, &cx.name("clone"))
    });
    assert_eq!(
        (clone.source_volume_id.as_deref(), clone.size),
        (Some(src.id.as_str()), 2)
    );

    let b = cx.backup(BackupCreate {
        name: Some(cx.name("bak")),
        ..spec::backup(&src.id)
    });
    let from_backup = cx.volume(VolumeCreate {
        backup_id: Some(b.id.clone()),
        ..spec::volume(1, &cx.name("from-backup"))
    });
    assert_eq!(from_backup.status, "available");
    assert_eq!(ok("source still there", cx.s.volume_get(&src.id)).status, "available");
}

/// Snapshots of an attached volume: `force` is needed below 3.66 and implied from 3.66.
fn snapshot_force_rules(cx: &mut Ctx) {
    let v = cx.volume(spec::volume(1, &cx.name("snapvol")));
    let plain = cx.snapshot(SnapshotCreate {
        name: Some(cx.name("plain")),
        metadata: vec![("k".into(), "v".into())],
        ..spec::snapshot(&v.id)
    });
    assert_eq!(plain.metadata, vec![("k".to_string(), "v".to_string())]);
    let listed = ok("snapshot list", cx.s.snapshot_list(&all()));
    assert!(listed.iter().any(|s| s.id == plain.id && s.volume_id == v.id));
    ok("snapshot delete", cx.s.snapshot_delete(&plain.id, false));
    let w = cx.wait_s();
    assert!(ok("snapshot gone", cx.s.snapshot_wait_for(&plain.id, "deleted", w)).is_none());
    cx.forget(&plain.id);

    if cx.t.server.is_none() {
        say(&format!("snapshot_force_rules: {NO_SERVER}; in-use part skipped"));
        return;
    }
    cx.attach(&v.id);
    let mut old = cx.session_at("3.65");
    fails(
        "in-use, no force, 3.65",
        "bad-request",
        old.snapshot_create(&spec::snapshot(&v.id)),
    );
    let forced = SnapshotCreate {
        force: true,
        ..spec::snapshot(&v.id)
    };
    let s1 = cx.track_snapshot(old.snapshot_create(&forced));
    cx.wait_snapshot(&s1.id);
    // From 3.66 an attached volume is snapshotted without `force`.
    let s2 = cx.start_snapshot(spec::snapshot(&v.id));
    cx.wait_snapshot(&s2.id);
    let s3 = cx.start_snapshot(forced);
    cx.wait_snapshot(&s3.id);
    fails(
        "delete a volume with snapshots",
        "bad-request",
        cx.s.volume_delete(&v.id, false, false),
    );
    cx.detach(&v.id);
}

/// Full and incremental backups; a backup with dependants cannot be deleted.
fn backups_full_incremental(cx: &mut Ctx) {
    let v = cx.volume(spec::volume(1, &cx.name("bakvol")));
    let full = cx.backup(BackupCreate {
        name: Some(cx.name("full")),
        description: Some("full".into()),
        ..spec::backup(&v.id)
    });
    assert!(!full.is_incremental);
    assert_eq!((full.volume_id.as_str(), full.size), (v.id.as_str(), 1));
    let incr = cx.backup(BackupCreate {
        name: Some(cx.name("incr")),
        incremental: true,
        ..spec::backup(&v.id)
    });
    assert!(incr.is_incremental);
    assert!(ok("full again", cx.s.backup_get(&full.id)).has_dependent_backups);
    let listed = ok("backup list", cx.s.backup_list(&all()));
    assert!(listed.iter().any(|b| b.id == full.id) && listed.iter().any(|b| b.id == incr.id));

    fails(
        "delete with dependants",
        "bad-request",
        cx.s.backup_delete(&full.id, false),
    );
    let w = cx.wait_s();
    ok("delete incremental", cx.s.backup_delete(&incr.id, false));
    assert!(ok("incremental gone", cx.s.backup_wait_for(&incr.id, "deleted", w)).is_none());
    cx.forget(&incr.id);
    ok("delete full", cx.s.backup_delete(&full.id, false));
    assert!(ok("full gone", cx.s.backup_wait_for(&full.id, "deleted", w)).is_none());
    cx.forget(&full.id);
}

/// Restore to a new volume and onto an existing one.
fn restore(cx: &mut Ctx) {
    let v = cx.volume(spec::volume(1, &cx.name("restsrc")));
    let b = cx.backup(spec::backup(&v.id));

    let name = cx.name("restored");
    let r = ok("restore to new", cx.s.backup_restore(&b.id, None, Some(&name)));
    cx.adopt_volume(&r.volume_id);
    assert_eq!(r.backup_id, b.id);
    assert_ne!(r.volume_id, v.id);
    let new = cx.wait_volume(&r.volume_id, "available");
    assert_eq!(new.size, 1);
    cx.wait_backup(&b.id);

    let target = cx.volume(spec::volume(1, &cx.name("restdst")));
    let r = ok(
        "restore onto existing",
        cx.s.backup_restore(&b.id, Some(&target.id), None),
    );
    assert_eq!(
        (r.backup_id.as_str(), r.volume_id.as_str()),
        (b.id.as_str(), target.id.as_str())
    );
    assert_eq!(cx.wait_volume(&target.id, "available").id, target.id);
    cx.wait_backup(&b.id);
}

/// A list longer than one page at a small page size (quota lifted where the suite is admin).
fn list_pages(cx: &mut Ctx) {
    let n = if cx.set_quota("volumes", -1) { 12 } else { 3 };
    let started: Vec<String> = (0..n)
        .map(|i| cx.start_volume(spec::volume(1, &cx.name(&format!("page{i:02}")))).id)
        .collect();
    for id in &started {
        cx.wait_volume(id, "available");
    }
    let page = if n > 3 { 5 } else { 2 };
    let mut listed: Vec<String> = ok(
        "paged list",
        cx.s.volume_list(&ListOptions {
            page_size: Some(page),
            ..all()
        }),
    )
    .into_iter()
    .map(|v| v.id)
    .filter(|id| started.contains(id))
    .collect();
    listed.sort();
    let mut want = started.clone();
    want.sort();
    assert_eq!(listed, want, "every volume exactly once across pages");
    if let Some(mock) = cx.t.mock.as_ref().filter(|_| cx.t.kind == Kind::Mock) {
        let pages = mock
            .requests()
            .iter()
            .filter(|r| r.method == "GET" && r.path.ends_with("/volumes/detail"))
            .count();
        assert_eq!(pages, 3, "12 volumes at 5 per page");
    }
}

/// Every error variant the service produces here.
fn errors(cx: &mut Ctx) {
    let e = fails("get missing volume", "not-found", cx.s.volume_get(MISSING));
    assert_eq!(target::api_status(&e), 404);
    assert!(target::request_id(&e).is_some(), "a 404 carries the request id");
    fails("get missing snapshot", "not-found", cx.s.snapshot_get(MISSING));
    fails("get missing backup", "not-found", cx.s.backup_get(MISSING));
    fails(
        "delete missing volume",
        "not-found",
        cx.s.volume_delete(MISSING, false, false),
    );

    // Invalid state: Cinder answers 400, not 409.
    let v = cx.volume(spec::volume(1, &cx.name("errvol")));
    cx.snapshot(spec::snapshot(&v.id));
    let e = fails(
        "delete a volume with a snapshot",
        "bad-request",
        cx.s.volume_delete(&v.id, false, false),
    );
    assert_eq!(target::api_status(&e), 400);
    fails(
        "snapshot of a missing volume",
        "not-found",
        cx.s.snapshot_create(&spec::snapshot(MISSING)),
    );

    // Over a quota: 413 with Retry-After.
    if cx.set_quota("volumes", 1) {
        let e = fails(
            "create over quota",
            "over-limit",
            cx.s.volume_create(&spec::volume(1, &cx.name("over"))),
        );
        assert_eq!(target::api_status(&e), 413);
        assert!(target::retry_after(&e).is_some(), "413 carries Retry-After");
    } else {
        say("errors: not admin here; over-limit part skipped");
    }

    // A microversion the server does not offer.
    let cfg = Config {
        microversion: Some("3.99".into()),
        ..cx.t.cfg.clone()
    };
    // With token credentials connect reads no version document: the first call gets
    // Cinder's own 406 instead.
    let e = match (Ctx::connect(&cfg), &cfg.credentials) {
        (Ok(mut s), Credentials::Token(_)) => s.volume_list(&spec::list_all()).expect_err("3.99 accepted"),
        (Ok(_), _) => panic!("3.99 accepted at connect"),
        (Err(e), _) => e,
    };
    assert_eq!(e.kind(), "api");
    assert_eq!(target::api_status(&e), 406);
}

/// `wait-for` stops at an error status instead of waiting out its timeout.
fn wait_fails_fast(cx: &mut Ctx) {
    if cx.t.admin.is_none() {
        say("wait_fails_fast: not admin here (needs os-reset_status); skipped");
        return;
    }
    let v = cx.volume(spec::volume(1, &cx.name("failing")));
    if let Some(admin) = &cx.t.admin {
        admin.reset_volume_status(&v.id, "error");
    }
    let started = std::time::Instant::now();
    let e = fails(
        "wait on an errored volume",
        "resource-failed",
        cx.s.volume_wait_for(&v.id, "available", 300),
    );
    assert!(started.elapsed().as_secs() < 15, "took {:?}", started.elapsed());
    assert!(e.to_string().contains("error"));
}

fn pairs(items: &[(&str, &str)]) -> Vec<(String, String)> {
    items.iter().map(|(k, v)| (k.to_string(), v.to_string())).collect()
}

/// Contract 0.2: rename and describe in place; metadata merged, unset (absent keys
/// ignored) and read back, on a volume, a snapshot and a backup.
fn updates_and_metadata(cx: &mut Ctx) {
    let v = cx.volume(spec::volume(1, &cx.name("before")));
    let changes = ResourceUpdate {
        name: Some(cx.name("after")),
        description: Some("renamed in place".into()),
    };
    let after = ok("volume update", cx.s.volume_update(&v.id, &changes));
    assert_eq!(after.name, changes.name);
    assert_eq!(after.description.as_deref(), Some("renamed in place"));
    let all_meta = ok(
        "volume set-metadata",
        cx.s.volume_set_metadata(&v.id, &pairs(&[("b", "2"), ("a", "1")])),
    );
    assert_eq!(all_meta, pairs(&[("a", "1"), ("b", "2")]));
    ok(
        "volume unset-metadata",
        cx.s.volume_unset_metadata(&v.id, &["a".into(), "absent".into()]),
    );
    assert_eq!(ok("volume get", cx.s.volume_get(&v.id)).metadata, pairs(&[("b", "2")]));

    let snap = cx.snapshot(spec::snapshot(&v.id));
    let renamed = ok(
        "snapshot update",
        cx.s.snapshot_update(&snap.id, &spec::rename(&cx.name("snap"))),
    );
    assert_eq!(renamed.name, Some(cx.name("snap")));
    let meta = ok(
        "snapshot set-metadata",
        cx.s.snapshot_set_metadata(&snap.id, &pairs(&[("k", "v")])),
    );
    assert_eq!(meta, pairs(&[("k", "v")]));
    ok(
        "snapshot unset-metadata",
        cx.s.snapshot_unset_metadata(&snap.id, &["k".into()]),
    );
    assert!(ok("snapshot get", cx.s.snapshot_get(&snap.id)).metadata.is_empty());

    let b = cx.backup(BackupCreate {
        metadata: pairs(&[("origin", "acceptance")]),
        ..spec::backup(&v.id)
    });
    let renamed = ok(
        "backup update",
        cx.s.backup_update(&b.id, &spec::rename(&cx.name("bk"))),
    );
    assert_eq!(renamed.name, Some(cx.name("bk")));
    let merged = ok(
        "backup set-metadata",
        cx.s.backup_set_metadata(&b.id, &pairs(&[("tier", "gold")])),
    );
    assert_eq!(merged, pairs(&[("origin", "acceptance"), ("tier", "gold")]));
    ok(
        "backup unset-metadata",
        cx.s.backup_unset_metadata(&b.id, &["origin".into()]),
    );
    let left = ok(
        "backup set-metadata again",
        cx.s.backup_set_metadata(&b.id, &pairs(&[("tier", "gold")])),
    );
    assert_eq!(left, pairs(&[("tier", "gold")]));
}

/// Contract 0.2: the project's volume types, default type, zones and quota usage (counted
/// with the project to itself: another scenario's volume would change the count).
fn project_discovery(cx: &mut Ctx) {
    cx.quiet_project();
    let types = ok("volume types", cx.s.volume_types());
    let default = ok("default volume type", cx.s.default_volume_type());
    assert!(types.iter().any(|t| t.id == default.id), "{default:?} in {types:?}");
    let zones = ok("availability zones", cx.s.availability_zones());
    assert!(zones.iter().any(|z| z.available), "{zones:?}");
    let before = ok("limits", cx.s.limits());
    cx.volume(spec::volume(1, &cx.name("counted")));
    let after = ok("limits", cx.s.limits());
    assert_eq!(after.volumes_used, before.volumes_used + 1);
    assert!(after.gigabytes_used > before.gigabytes_used);
    assert!(after.max_volumes.is_none_or(|m| m >= after.volumes_used));
}

/// Contract 0.2: `limit` (no page beyond it), `marker`, `sort`, and the `volume-id` filter.
fn bounded_lists(cx: &mut Ctx) {
    let names: Vec<String> = ["a", "b", "c"].iter().map(|n| cx.name(n)).collect();
    let vols: Vec<_> = names.iter().map(|n| cx.volume(spec::volume(1, n))).collect();
    let sorted = |marker: Option<String>| ListOptions {
        limit: Some(2),
        sort: Some("name:asc".into()),
        marker,
        ..all()
    };
    let first = ok("first two", cx.s.volume_list(&sorted(None)));
    assert_eq!(first.len(), 2);
    assert!(first[0].name <= first[1].name);
    let rest = ok("after the marker", cx.s.volume_list(&sorted(Some(first[1].id.clone()))));
    assert!(rest.iter().all(|v| v.name > first[1].name));
    let snap = cx.snapshot(spec::snapshot(&vols[0].id));
    cx.snapshot(spec::snapshot(&vols[1].id));
    let of_first = ok(
        "snapshots of one volume",
        cx.s.snapshot_list(&ListOptions {
            volume_id: Some(vols[0].id.clone()),
            ..all()
        }),
    );
    assert_eq!(
        of_first.iter().map(|s| s.id.as_str()).collect::<Vec<_>>(),
        [snap.id.as_str()]
    );
}

/// Contract 0.2: a volume Cinder cannot place fails, and `wait-for` says why with Cinder's
/// own user message.
fn failure_reason(cx: &mut Ctx) {
    if !cx.set_quota("gigabytes", -1) {
        say("failure_reason: not admin here (needs a quota above 16 TiB); skipped");
        return;
    }
    let v = cx.start_volume(spec::volume(16384, &cx.name("too-big")));
    let w = cx.wait_s();
    let e = fails(
        "wait on a volume Cinder cannot place",
        "resource-failed",
        cx.s.volume_wait_for(&v.id, "available", w),
    );
    let failure = e.failure().expect("a failure");
    assert_eq!(
        (failure.resource_id.as_str(), failure.status.as_str()),
        (v.id.as_str(), "error")
    );
    let reason = failure.reason.as_deref().expect("Cinder's reason");
    let messages = ok("messages", cx.s.messages(Some(&v.id)));
    assert!(
        messages.iter().any(|m| m.user_message == reason),
        "{reason:?} in {messages:?}"
    );
}

macro_rules! suite {
    ($($name:ident),* $(,)?) => {
        mod mock {
            $( #[test] fn $name() { super::run(super::Kind::Mock, stringify!($name), super::$name) } )*
        }
        mod real_cinder {
            $( #[test] fn $name() { super::run(super::Kind::RealCinder, stringify!($name), super::$name) } )*
        }
        mod real_keystone {
            $( #[test] fn $name() { super::run(super::Kind::RealKeystone, stringify!($name), super::$name) } )*
        }
        mod real_stack {
            $( #[test] fn $name() { super::run(super::Kind::RealStack, stringify!($name), super::$name) } )*
        }
        mod cloud {
            $( #[test] fn $name() { super::run(super::Kind::Cloud, stringify!($name), super::$name) } )*
        }
    };
}

suite!(
    volume_lifecycle,
    attach_extend_detach,
    create_from_sources,
    snapshot_force_rules,
    backups_full_incremental,
    restore,
    list_pages,
    errors,
    wait_fails_fast,
    updates_and_metadata,
    project_discovery,
    bounded_lists,
    failure_reason,
    cascade_delete,
    flags_and_revert,
    retype,
    upload_to_image,
    transfers,
    idempotent_creates,
);
