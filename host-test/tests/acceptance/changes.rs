//! Contract 0.2 (part 2) scenarios: change volumes in place, hand them over, create once.

use host_test::{spec, BackupCreate, Error, ImageUpload, ListOptions, SnapshotCreate, VolumeCreate};

use crate::target::{all, fails, fresh_project, ok, say, Ctx, Kind};

/// The server's message inside an error.
fn message(e: &Error) -> String {
    e.api().map(|a| a.message.clone()).unwrap_or_default()
}

/// A volume with snapshots is refused by a plain delete and removed with them by `cascade`.
pub fn cascade_delete(cx: &mut Ctx) {
    let v = cx.volume(spec::volume(1, &cx.name("parent")));
    let snaps = [
        cx.snapshot(spec::snapshot(&v.id)).id,
        cx.snapshot(spec::snapshot(&v.id)).id,
    ];
    let e = fails(
        "plain delete of a volume with snapshots",
        "bad-request",
        cx.s.volume_delete(&v.id, false, false),
    );
    assert!(message(&e).contains("snapshots"), "{e}");
    ok("cascade delete", cx.s.volume_delete(&v.id, false, true));
    let w = cx.wait_s();
    assert!(ok("volume gone", cx.s.volume_wait_for(&v.id, "deleted", w)).is_none());
    for id in &snaps {
        ok("snapshot gone", cx.s.snapshot_wait_for(id, "deleted", w));
        cx.forget(id);
    }
    cx.forget(&v.id);
}

/// Bootable and read-only flags, and revert (only to the latest snapshot).
pub fn flags_and_revert(cx: &mut Ctx) {
    let v = cx.volume(spec::volume(1, &cx.name("flags")));
    ok("set bootable", cx.s.volume_set_bootable(&v.id, true));
    ok("set read-only", cx.s.volume_set_read_only(&v.id, true));
    let got = ok("volume get", cx.s.volume_get(&v.id));
    assert!(got.bootable && got.read_only, "{got:?}");
    ok("set read-write", cx.s.volume_set_read_only(&v.id, false));
    ok("set not bootable", cx.s.volume_set_bootable(&v.id, false));
    let got = ok("volume get", cx.s.volume_get(&v.id));
    assert!(!got.bootable && !got.read_only, "{got:?}");

    let older = cx.snapshot(spec::snapshot(&v.id));
    let latest = cx.snapshot(spec::snapshot(&v.id));
    let e = fails(
        "revert to an older snapshot",
        "bad-request",
        cx.s.volume_revert_to_snapshot(&v.id, &older.id),
    );
    assert!(message(&e).contains("not the latest one"), "{e}");
    ok("revert", cx.s.volume_revert_to_snapshot(&v.id, &latest.id));
    cx.wait_volume(&v.id, "available");
    cx.wait_snapshot(&latest.id);
}

/// Two volume types to retype between: the mock's, two made as admin on a real Cinder
/// (types are global there, so their names are unique to the run), or the cloud's first two.
fn two_types(cx: &mut Ctx) -> Option<(String, String)> {
    match cx.t.kind {
        Kind::Mock => Some(("acc-tier-a".into(), "acc-tier-b".into())),
        Kind::RealCinder | Kind::RealKeystone | Kind::RealStack => {
            let admin = cx.t.admin.as_ref()?;
            let run = fresh_project(&cx.name("types"));
            let names = [0, 1].map(|i| format!("acc-{}-{i}", &run[20..]));
            for n in &names {
                let (status, body) = admin.call("POST", "types", &format!(r#"{{"volume_type": {{"name": "{n}"}}}}"#));
                assert_eq!(status, 200, "creating type {n}: {body}");
            }
            let [a, b] = names;
            Some((a, b))
        }
        Kind::Cloud => {
            let types = cx.s.volume_types().ok()?;
            (types.len() >= 2).then(|| (types[0].name.clone(), types[1].name.clone()))
        }
    }
}

/// Retype between two types without migration, and Cinder's refusal of the same type.
pub fn retype(cx: &mut Ctx) {
    let Some((from, to)) = two_types(cx) else {
        say("retype: fewer than two volume types here; skipped");
        return;
    };
    let v = cx.volume(VolumeCreate {
        volume_type: Some(from),
        ..spec::volume(1, &cx.name("tiered"))
    });
    ok("retype", cx.s.volume_retype(&v.id, &to, false));
    let got = cx.wait_volume(&v.id, "available");
    assert_eq!(got.volume_type.as_deref(), Some(to.as_str()), "{got:?}");
    fails(
        "retype to the type it has",
        "bad-request",
        cx.s.volume_retype(&v.id, &to, true),
    );
}

/// Upload to an image: the mock's Glance takes it; the real test Cinders (noauth and in the
/// real stack) have no Glance and their answer is the error path.
pub fn upload_to_image(cx: &mut Ctx) {
    let v = cx.volume(spec::volume(1, &cx.name("image-source")));
    let upload = ImageUpload {
        image_name: cx.name("image"),
        disk_format: Some("raw".into()),
        container_format: Some("bare".into()),
        force: false,
        visibility: None,
        protected: false,
    };
    match cx.t.kind {
        Kind::Mock => {
            let image = ok("upload", cx.s.volume_upload_to_image(&v.id, &upload));
            assert_eq!(
                (image.status.as_str(), image.image_name.as_str()),
                ("uploading", upload.image_name.as_str())
            );
            assert!(!image.image_id.is_empty());
            cx.wait_volume(&v.id, "available");
        }
        Kind::RealCinder | Kind::RealKeystone | Kind::RealStack => {
            let e = fails(
                "upload without Glance",
                "bad-request",
                cx.s.volume_upload_to_image(&v.id, &upload),
            );
            assert!(message(&e).starts_with("Connection to glance failed"), "{e}");
            assert_eq!(ok("volume get", cx.s.volume_get(&v.id)).status, "available");
        }
        Kind::Cloud => say("upload_to_image: would leave an image in the cloud's Glance; skipped"),
    }
}

/// A transfer offered, listed, refused with a wrong key, accepted by a second project; and
/// a transfer deleted before acceptance gives the volume back.
pub fn transfers(cx: &mut Ctx) {
    let v = cx.volume(spec::volume(1, &cx.name("handed-over")));
    let created = ok(
        "transfer create",
        cx.s.transfer_create(&v.id, Some(&cx.name("transfer"))),
    );
    let id = created.transfer.id.clone();
    assert_eq!(created.transfer.volume_id, v.id);
    assert!(!created.auth_key.is_empty());
    assert!(ok("transfer list", cx.s.transfer_list()).iter().any(|t| t.id == id));
    assert_eq!(ok("transfer get", cx.s.transfer_get(&id)).volume_id, v.id);
    assert_eq!(ok("volume get", cx.s.volume_get(&v.id)).status, "awaiting-transfer");
    match cx.t.other.clone() {
        Some(other) => {
            let mut receiver = Ctx::connect(&other).expect("a session of the second project");
            let e = fails(
                "accept with a wrong key",
                "bad-request",
                receiver.transfer_accept(&id, "0123456789abcdef"),
            );
            assert!(message(&e).contains("invalid auth key"), "{e}");
            let accepted = ok("accept", receiver.transfer_accept(&id, &created.auth_key));
            assert_eq!(accepted.volume_id, v.id);
            cx.forget(&v.id);
            // The giver's project no longer lists it (a real admin could still read it by id).
            let giver = ok("giver's volumes", cx.s.volume_list(&all()));
            assert!(giver.iter().all(|x| x.id != v.id), "{giver:?}");
            assert_eq!(ok("receiver's volume", receiver.volume_get(&v.id)).status, "available");
            let w = cx.wait_s();
            ok("the receiver deletes it", receiver.volume_delete(&v.id, false, false));
            ok("gone", receiver.volume_wait_for(&v.id, "deleted", w));
        }
        None => {
            say("transfers: no second project here; accept not tried");
            ok("transfer delete", cx.s.transfer_delete(&id));
        }
    }
    let kept = cx.volume(spec::volume(1, &cx.name("kept")));
    let t = ok("transfer create", cx.s.transfer_create(&kept.id, None));
    ok("transfer delete", cx.s.transfer_delete(&t.transfer.id));
    assert_eq!(ok("volume get", cx.s.volume_get(&kept.id)).status, "available");
    fails("deleted transfer", "not-found", cx.s.transfer_get(&t.transfer.id));
}

/// Keyed creates: repeated, they return the first resource; the key with another request
/// is a conflict.
pub fn idempotent_creates(cx: &mut Ctx) {
    let nanos = std::time::SystemTime::now()
        .duration_since(std::time::UNIX_EPOCH)
        .map_or(0, |d| d.as_nanos());
    let key = format!("{}-{nanos}", cx.name("key"));
    let volume = VolumeCreate {
        idempotency_key: Some(key.clone()),
        ..spec::volume(1, &cx.name("keyed"))
    };
    let first = cx.volume(volume.clone());
    assert_eq!(ok("repeat", cx.s.volume_create(&volume)).id, first.id);
    let by_key = ListOptions {
        metadata: vec![("block-storage.idempotency-key".into(), key.clone())],
        ..all()
    };
    assert_eq!(ok("list by key", cx.s.volume_list(&by_key)).len(), 1);
    fails(
        "the key with another size",
        "conflict",
        cx.s.volume_create(&VolumeCreate { size: 2, ..volume }),
    );
    let snapshot = SnapshotCreate {
        idempotency_key: Some(key.clone()),
        ..spec::snapshot(&first.id)
    };
    let snap = cx.snapshot(snapshot.clone());
    assert_eq!(ok("repeat", cx.s.snapshot_create(&snapshot)).id, snap.id);
    let backup = BackupCreate {
        idempotency_key: Some(key),
        ..spec::backup(&first.id)
    };
    let b = cx.backup(backup.clone());
    assert_eq!(ok("repeat", cx.s.backup_create(&backup)).id, b.id);
}
