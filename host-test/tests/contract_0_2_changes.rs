//! Contract 0.2 (part 2) through the component in wasmtime, against the mock: cascade
//! delete, bootable and read-only flags, retype, revert, upload to image, transfers
//! between projects, and keyed creates.

mod common;

use std::time::Duration;

use common::*;
use host_test::{spec, Config, Credentials, ImageUpload, Session, VolumeCreate};
use mock_cloud::{MockCloud, MockOptions, MockVolumeType};

fn mock(options: MockOptions) -> MockCloud {
    MockCloud::start_with(MockOptions {
        transition: Duration::ZERO,
        ..options
    })
}

/// A volume of `size` GiB, available.
fn available(s: &mut Session, name: &str) -> String {
    let id = ok(s.volume_create(&vol(1, name))).id;
    ok(s.volume_wait_for(&id, "available", 30));
    id
}

/// A snapshot of `volume`, available.
fn snapshot(s: &mut Session, volume: &str) -> String {
    let id = ok(s.snapshot_create(&spec::snapshot(volume))).id;
    ok(s.snapshot_wait_for(&id, "available", 30));
    id
}

#[test]
fn cascade_deletes_a_volume_with_its_snapshots() {
    let cloud = cloud();
    let mut s = connect(&cloud);
    let v = available(&mut s, "with-snapshots");
    let snaps = [snapshot(&mut s, &v), snapshot(&mut s, &v)];
    let e = err(s.volume_delete(&v, false, false));
    assert_eq!(kind(&e), "bad-request");
    assert!(api(&e).message.contains("have snapshots"), "{e}");
    ok(s.volume_delete(&v, false, true));
    assert!(ok(s.volume_wait_for(&v, "deleted", 30)).is_none());
    for id in snaps {
        assert_eq!(kind(&err(s.snapshot_get(&id))), "not-found");
    }
    let deletes: Vec<_> = cloud
        .requests()
        .into_iter()
        .filter(|r| r.method == "DELETE")
        .map(|r| r.path)
        .collect();
    assert_eq!(deletes.len(), 2, "one plain delete, one cascade: {deletes:?}");
}

#[test]
fn bootable_and_read_only_flags() {
    let cloud = cloud();
    let mut s = connect(&cloud);
    let v = available(&mut s, "flags");
    assert!(!ok(s.volume_get(&v)).bootable);
    ok(s.volume_set_bootable(&v, true));
    assert!(ok(s.volume_get(&v)).bootable);
    ok(s.volume_set_read_only(&v, true));
    let got = ok(s.volume_get(&v));
    assert!(got.read_only && got.bootable);
    ok(s.volume_set_read_only(&v, false));
    ok(s.volume_set_bootable(&v, false));
    let got = ok(s.volume_get(&v));
    assert!(!got.read_only && !got.bootable);
    // Cinder keeps the flag only for an available volume.
    let e = err(s.volume_set_read_only("00000000-0000-0000-0000-000000000000", true));
    assert_eq!(kind(&e), "not-found");
}

#[test]
fn retype_between_types_and_refusals() {
    let cloud = mock(MockOptions {
        volume_types: vec![MockVolumeType::new("perf1"), MockVolumeType::new("perf2")],
        ..MockOptions::default()
    });
    let mut s = connect(&cloud);
    let v = ok(s.volume_create(&VolumeCreate {
        volume_type: Some("perf1".into()),
        ..vol(1, "tiered")
    }))
    .id;
    ok(s.volume_wait_for(&v, "available", 30));
    ok(s.volume_retype(&v, "perf2", false));
    let got = ok(s.volume_wait_for(&v, "available", 30)).expect("still there");
    assert_eq!(got.volume_type.as_deref(), Some("perf2"));
    let e = err(s.volume_retype(&v, "perf2", true));
    assert_eq!(kind(&e), "bad-request", "the same type: {e}");
    let e = err(s.volume_retype(&v, "bronze", true));
    assert_eq!(kind(&e), "not-found");
    assert!(api(&e).message.contains("bronze"), "{e}");
}

#[test]
fn revert_to_the_latest_snapshot_only() {
    let cloud = cloud();
    let mut s = connect(&cloud);
    let v = available(&mut s, "revertible");
    let older = snapshot(&mut s, &v);
    let latest = snapshot(&mut s, &v);
    let e = err(s.volume_revert_to_snapshot(&v, &older));
    assert_eq!(kind(&e), "bad-request");
    assert!(api(&e).message.contains("not the latest one"), "{e}");
    ok(s.volume_revert_to_snapshot(&v, &latest));
    ok(s.volume_wait_for(&v, "available", 30));
    ok(s.snapshot_wait_for(&latest, "available", 30));
}

#[test]
fn upload_to_image_and_cinders_answer_without_glance() {
    let spec = ImageUpload {
        image_name: "golden".into(),
        disk_format: Some("qcow2".into()),
        container_format: Some("bare".into()),
        force: false,
        visibility: Some("private".into()),
        protected: false,
    };
    let cloud = cloud();
    let mut s = connect(&cloud);
    let v = available(&mut s, "to-image");
    let image = ok(s.volume_upload_to_image(&v, &spec));
    assert!(!image.image_id.is_empty());
    assert_eq!(
        (
            image.image_name.as_str(),
            image.status.as_str(),
            image.disk_format.as_deref()
        ),
        ("golden", "uploading", Some("qcow2"))
    );
    ok(s.volume_wait_for(&v, "available", 30));

    let no_glance = mock(MockOptions {
        glance: false,
        ..MockOptions::default()
    });
    let mut s = connect(&no_glance);
    let v = available(&mut s, "to-image");
    let e = err(s.volume_upload_to_image(&v, &spec));
    assert_eq!(kind(&e), "bad-request");
    assert!(api(&e).message.starts_with("Connection to glance failed"), "{e}");
    assert_eq!(ok(s.volume_get(&v)).status, "available");
}

/// A session of another project of the same mock (a token and its Cinder URL).
fn other_project(cloud: &MockCloud, project: &str) -> Session {
    let cfg = Config {
        auth_url: String::new(),
        credentials: Credentials::Token(cloud.issue_token_for(project)),
        block_storage_url: Some(cloud.block_storage_url_for(project)),
        ..app_cfg(cloud)
    };
    connect_with(&cfg)
}

#[test]
fn a_transfer_hands_a_volume_to_another_project() {
    let cloud = cloud();
    let mut giver = connect(&cloud);
    let mut receiver = other_project(&cloud, "0f0f0f0f0f0f0f0f0f0f0f0f0f0f0f0f");
    let v = available(&mut giver, "handed-over");
    let created = ok(giver.transfer_create(&v, Some("to-team-b")));
    assert_eq!(created.transfer.volume_id, v);
    assert_eq!(created.transfer.name.as_deref(), Some("to-team-b"));
    assert_eq!(created.auth_key.len(), 16, "Cinder's 16 hex digits");
    assert_eq!(ok(giver.volume_get(&v)).status, "awaiting-transfer");
    let listed = ok(giver.transfer_list());
    assert!(listed.iter().any(|t| t.id == created.transfer.id), "{listed:?}");
    assert_eq!(ok(giver.transfer_get(&created.transfer.id)).volume_id, v);

    let e = err(receiver.transfer_accept(&created.transfer.id, "0123456789abcdef"));
    assert_eq!(kind(&e), "bad-request");
    assert!(api(&e).message.contains("invalid auth key"), "{e}");
    let accepted = ok(receiver.transfer_accept(&created.transfer.id, &created.auth_key));
    assert_eq!(accepted.volume_id, v);
    assert_eq!(ok(receiver.volume_get(&v)).status, "available");
    assert_eq!(kind(&err(giver.volume_get(&v))), "not-found");
    assert_eq!(kind(&err(giver.transfer_get(&created.transfer.id))), "not-found");

    // A transfer deleted before it is accepted gives the volume back.
    let w = available(&mut giver, "kept");
    let t = ok(giver.transfer_create(&w, None));
    ok(giver.transfer_delete(&t.transfer.id));
    assert_eq!(ok(giver.volume_get(&w)).status, "available");
    assert!(ok(giver.transfer_list()).is_empty());
}

#[test]
fn a_keyed_create_costs_one_lookup_and_repeats_without_creating() {
    let cloud = cloud();
    let mut s = connect(&cloud);
    let spec = VolumeCreate {
        idempotency_key: Some("nightly-2026-11-30".into()),
        ..vol(1, "keyed")
    };
    cloud.clear_requests();
    let first = ok(s.volume_create(&spec));
    let sent: Vec<_> = cloud.requests().into_iter().map(|r| (r.method, r.path)).collect();
    assert_eq!(sent.len(), 2, "a lookup, then the create: {sent:?}");
    assert!(sent[0].0 == "GET" && sent[0].1.contains("/volumes/detail"), "{sent:?}");
    assert!(
        first
            .metadata
            .iter()
            .any(|(k, v)| k == "block-storage.idempotency-key" && v == "nightly-2026-11-30"),
        "{:?}",
        first.metadata
    );
    let again = ok(s.volume_create(&spec));
    assert_eq!(again.id, first.id);
    assert_eq!(cloud.counts().volumes, 1);
    let other = VolumeCreate { size: 3, ..spec };
    assert_eq!(kind(&err(s.volume_create(&other))), "conflict");
    assert_eq!(cloud.counts().volumes, 1);
}
