//! Contract 0.2 through the component in wasmtime, against the mock: updates, metadata,
//! what the project may use, bounded lists, and why a resource failed.

mod common;

use std::time::Duration;

use common::*;
use host_test::{spec, BackupCreate, ListOptions, ResourceUpdate, SnapshotCreate};
use mock_cloud::{MockCloud, MockOptions, MockVolumeType};

fn pairs(items: &[(&str, &str)]) -> Vec<(String, String)> {
    items.iter().map(|(k, v)| (k.to_string(), v.to_string())).collect()
}

#[test]
fn update_and_metadata_of_volumes_snapshots_and_backups() {
    let cloud = cloud();
    let mut s = connect(&cloud);
    let v = ok(s.volume_create(&vol(1, "before")));
    let renamed = ok(s.volume_update(
        &v.id,
        &ResourceUpdate {
            name: Some("after".into()),
            description: Some("tier one".into()),
        },
    ));
    assert_eq!(
        (renamed.name.as_deref(), renamed.description.as_deref()),
        (Some("after"), Some("tier one"))
    );
    let all = ok(s.volume_set_metadata(&v.id, &pairs(&[("b", "2"), ("a", "1")])));
    assert_eq!(
        all,
        pairs(&[("a", "1"), ("b", "2")]),
        "the whole metadata, sorted by key"
    );
    ok(s.volume_unset_metadata(&v.id, &["a".to_string(), "absent".to_string()]));
    assert_eq!(ok(s.volume_get(&v.id)).metadata, pairs(&[("b", "2")]));

    let snap = ok(s.snapshot_create(&SnapshotCreate {
        name: Some("snap".into()),
        ..spec::snapshot(&v.id)
    }));
    ok(s.snapshot_wait_for(&snap.id, "available", 30));
    assert_eq!(
        ok(s.snapshot_update(&snap.id, &spec::rename("snap-2"))).name.as_deref(),
        Some("snap-2")
    );
    assert_eq!(
        ok(s.snapshot_set_metadata(&snap.id, &pairs(&[("k", "v")]))),
        pairs(&[("k", "v")])
    );
    ok(s.snapshot_unset_metadata(&snap.id, &["k".to_string()]));
    assert!(ok(s.snapshot_get(&snap.id)).metadata.is_empty());

    let b = ok(s.backup_create(&BackupCreate {
        metadata: pairs(&[("origin", "test")]),
        ..spec::backup(&v.id)
    }));
    ok(s.backup_wait_for(&b.id, "available", 30));
    assert_eq!(
        ok(s.backup_update(&b.id, &spec::rename("bk"))).name.as_deref(),
        Some("bk")
    );
    let merged = ok(s.backup_set_metadata(&b.id, &pairs(&[("tier", "gold")])));
    assert_eq!(merged, pairs(&[("origin", "test"), ("tier", "gold")]));
    ok(s.backup_unset_metadata(&b.id, &["origin".to_string()]));
    // The backup record carries no metadata: setting a key again answers the whole of it.
    assert_eq!(
        ok(s.backup_set_metadata(&b.id, &pairs(&[("tier", "gold")]))),
        pairs(&[("tier", "gold")])
    );
}

#[test]
fn what_the_project_may_use() {
    let cloud = MockCloud::start_with(MockOptions {
        transition: Duration::ZERO,
        volume_types: vec![MockVolumeType::new("perf1")
            .description("fast")
            .extra_spec("RESKEY:availability_zones", "nova")],
        ..MockOptions::default()
    });
    let mut s = connect(&cloud);
    let types = ok(s.volume_types());
    let perf = types.iter().find(|t| t.name == "perf1").expect("perf1 listed");
    assert_eq!(perf.description.as_deref(), Some("fast"));
    assert_eq!(perf.extra_specs, pairs(&[("RESKEY:availability_zones", "nova")]));
    assert_eq!(ok(s.default_volume_type()).name, "__DEFAULT__");
    let zones = ok(s.availability_zones());
    assert!(zones.iter().any(|z| z.name == "nova" && z.available), "{zones:?}");

    ok(s.volume_create(&vol(2, "counted")));
    cloud.set_quota("backups", -1);
    let l = ok(s.limits());
    assert_eq!((l.volumes_used, l.gigabytes_used), (1, 2));
    assert_eq!(l.max_volumes, Some(10));
    assert_eq!(l.max_backups, None, "-1 is unlimited");
}

#[test]
fn a_bounded_list_sends_one_request() {
    let cloud = cloud();
    cloud.seed_volumes("many-", 5000);
    let mut s = connect(&cloud);
    cloud.clear_requests();
    let two = ok(s.volume_list(&ListOptions {
        limit: Some(2),
        sort: Some("name:asc".into()),
        ..spec::list_all()
    }));
    assert_eq!(two.len(), 2);
    assert_eq!(
        matching(&cloud.requests(), "GET", "/volumes"),
        1,
        "one request for two volumes"
    );
    let next = ok(s.volume_list(&ListOptions {
        limit: Some(2),
        sort: Some("name:asc".into()),
        marker: Some(two[1].id.clone()),
        ..spec::list_all()
    }));
    assert!(next.iter().all(|v| v.name > two[1].name), "after the marker");
    let e = err(s.volume_list(&ListOptions {
        sort: Some("colour:asc".into()),
        ..spec::list_all()
    }));
    assert!(e.kind() == "invalid-input" && e.to_string().contains("sort"), "{e}");
}

#[test]
fn wait_for_says_why_cinder_failed_a_volume() {
    let cloud = cloud();
    cloud.set_quota("gigabytes", -1);
    let mut s = connect(&cloud);
    let v = ok(s.volume_create(&vol(16384, "too-big")));
    let e = err(s.volume_wait_for(&v.id, "available", 60));
    let failure = e.failure().expect("resource-failed");
    assert_eq!(
        (failure.resource_id.as_str(), failure.status.as_str()),
        (v.id.as_str(), "error")
    );
    let reason = failure.reason.as_deref().expect("Cinder's message");
    assert!(
        reason.contains("Driver failed to create the volume") || reason.contains("weighted backend"),
        "{reason}"
    );
    let messages = ok(s.messages(Some(&v.id)));
    assert!(!messages.is_empty() && messages.iter().all(|m| m.resource_id.as_deref() == Some(v.id.as_str())));
}
