//! Contract 0.2 part 2 over the scripted transport: keyed (idempotent) creates, the volume
//! actions, cascade delete and transfers.

use super::*;
use crate::idempotency::{KEY, SPEC};
use crate::{volumes, ImageUpload, VolumeCreate};

fn keyed(key: &str, size: u32) -> VolumeCreate {
    VolumeCreate {
        size,
        idempotency_key: Some(key.into()),
        ..crate::volumes::tests::spec()
    }
}

/// The metadata a POST body tagged the new resource with, as a JSON object text.
fn tagged_metadata(post: &Request, one: &str) -> String {
    let v: serde_json::Value = serde_json::from_str(body(post)).unwrap();
    v[one]["metadata"].to_string()
}

fn listed(id: &str, metadata: &str) -> String {
    format!(r#"{{"volumes": [{{"id": "{id}", "status": "available", "size": 1, "metadata": {metadata}}}]}}"#)
}

/// A first keyed create lists by the key, then creates; the list asks the server for the
/// key (metadata filter) and the body carries the key and the request's digest.
fn first_create() -> (Fake, String) {
    let fake = connected(Fake::default())
        .expect(Method::Get, "/volumes/detail?", 200, &[], r#"{"volumes": []}"#)
        .expect(Method::Post, "/volumes", 202, &[], one_volume("creating"));
    let c = Client::connect(&fake, cfg()).unwrap();
    let v = volumes::create(&c, &keyed("job-42", 1)).unwrap();
    assert_eq!(v.id, "v1");
    let sent = fake.sent.borrow();
    assert_eq!(sent.len(), 4);
    let list = &sent[2].url;
    assert!(list.contains("metadata=") && list.contains("job-42"), "{list}");
    assert!(list.contains("sort=created_at%3Aasc"), "{list}");
    let meta = tagged_metadata(&sent[3], "volume");
    assert!(
        meta.contains(&format!(r#""{KEY}":"job-42""#)) && meta.contains(SPEC),
        "{meta}"
    );
    assert!(meta.contains(r#""k":"v""#), "the caller's own items stay: {meta}");
    drop(sent);
    (fake, meta)
}

#[test]
fn a_repeated_keyed_create_returns_the_first_volume_without_creating() {
    let (_, meta) = first_create();
    let fake = connected(Fake::default())
        .expect(
            Method::Get,
            "/volumes/detail?",
            200,
            &[],
            Box::leak(listed("v1", &meta).into_boxed_str()),
        )
        .get_volume_v1("available");
    let c = Client::connect(&fake, cfg()).unwrap();
    let v = volumes::create(&c, &keyed("job-42", 1)).unwrap();
    assert_eq!((v.id.as_str(), v.status.as_str()), ("v1", "available"));
    assert!(fake
        .sent
        .borrow()
        .iter()
        .all(|r| r.method != Method::Post || r.url.contains("auth")));
}

#[test]
fn a_lost_answer_is_looked_up_and_the_volume_that_exists_returned() {
    let (_, meta) = first_create();
    let found = Box::leak(listed("v1", &meta).into_boxed_str());
    for lose in [
        |f: Fake| f.drop_connection(Method::Post, "/volumes"),
        |f: Fake| f.expect(Method::Post, "/volumes", 500, &[], "{}"),
    ] {
        let fake =
            lose(connected(Fake::default()).expect(Method::Get, "/volumes/detail?", 200, &[], r#"{"volumes": []}"#))
                .expect(Method::Get, "/volumes/detail?", 200, &[], found)
                .get_volume_v1("creating");
        let c = Client::connect(&fake, cfg()).unwrap();
        let v = volumes::create(&c, &keyed("job-42", 1)).unwrap();
        assert_eq!(v.id, "v1");
        let posts = fake
            .sent
            .borrow()
            .iter()
            .filter(|r| r.url.ends_with("/volumes"))
            .count();
        assert_eq!(posts, 1, "never a second create");
        assert!(fake.script.borrow().is_empty());
    }
}

#[test]
fn a_lost_answer_with_nothing_created_is_the_error() {
    let fake = connected(Fake::default())
        .expect(Method::Get, "/volumes/detail?", 200, &[], r#"{"volumes": []}"#)
        .drop_connection(Method::Post, "/volumes")
        .expect(Method::Get, "/volumes/detail?", 200, &[], r#"{"volumes": []}"#);
    let c = Client::connect(&fake, cfg()).unwrap();
    let e = volumes::create(&c, &keyed("job-42", 1)).unwrap_err();
    assert!(matches!(e, Error::Transport(_)), "{e:?}");
    // A refusal is not a lost answer: no second lookup.
    let fake = connected(Fake::default())
        .expect(Method::Get, "/volumes/detail?", 200, &[], r#"{"volumes": []}"#)
        .expect(
            Method::Post,
            "/volumes",
            413,
            &[],
            r#"{"overLimit": {"code": 413, "message": "quota"}}"#,
        );
    let c = Client::connect(&fake, cfg()).unwrap();
    assert!(matches!(
        volumes::create(&c, &keyed("job-42", 1)),
        Err(Error::OverLimit(_))
    ));
}

#[test]
fn a_key_reused_for_another_request_is_a_conflict() {
    let (_, meta) = first_create();
    let fake = connected(Fake::default()).expect(
        Method::Get,
        "/volumes/detail?",
        200,
        &[],
        Box::leak(listed("v1", &meta).into_boxed_str()),
    );
    let c = Client::connect(&fake, cfg()).unwrap();
    let e = volumes::create(&c, &keyed("job-42", 2)).unwrap_err();
    assert!(
        matches!(&e, Error::Conflict(a) if a.message.contains("volume v1")),
        "{e:?}"
    );
    assert_eq!(fake.sent.borrow().len(), 3, "no create");
}

#[test]
fn keyed_snapshots_and_backups() {
    let fake = connected(Fake::default())
        .expect(Method::Get, "/snapshots/detail?", 200, &[], r#"{"snapshots": []}"#)
        .expect(
            Method::Post,
            "/snapshots",
            202,
            &[],
            r#"{"snapshot": {"id": "s1", "status": "creating", "volume_id": "v1", "size": 1}}"#,
        )
        .expect(
            Method::Get,
            "/backups/detail?sort=created_at%3Aasc&volume_id=v1",
            200,
            &[],
            r#"{"backups": []}"#,
        )
        .create_backup("b1")
        .expect(
            Method::Get,
            "/backups/b1",
            200,
            &[],
            r#"{"backup": {"id": "b1", "status": "creating", "volume_id": "v1"}}"#,
        );
    let c = Client::connect(&fake, cfg()).unwrap();
    let snap = crate::SnapshotCreate {
        volume_id: "v1".into(),
        name: None,
        description: None,
        force: false,
        metadata: vec![],
        idempotency_key: Some("s-key".into()),
    };
    assert_eq!(crate::snapshots::create(&c, &snap).unwrap().id, "s1");
    let backup = crate::BackupCreate {
        idempotency_key: Some("b-key".into()),
        ..backup_spec(false)
    };
    assert_eq!(crate::backups::create(&c, &backup).unwrap().id, "b1");
    let sent = fake.sent.borrow();
    assert!(tagged_metadata(&sent[3], "snapshot").contains("s-key"));
    assert!(tagged_metadata(&sent[5], "backup").contains("b-key"));
    drop(sent);
    // Backups keep metadata from 3.43: below it a keyed backup is refused, nothing sent.
    let (fake, cfg) = connected_at(Fake::default(), "3.42");
    let c = Client::connect(&fake, cfg).unwrap();
    let e = crate::backups::create(&c, &backup).unwrap_err();
    assert!(matches!(&e, Error::InvalidInput(m) if m.starts_with("idempotency-key: needs microversion 3.43")));
    assert_eq!(fake.sent.borrow().len(), 2);
}

#[test]
fn volume_actions_send_cinder_bodies() {
    let fake = connected(Fake::default())
        .expect(Method::Post, "/volumes/v1/action", 200, &[], "")
        .expect(Method::Post, "/volumes/v1/action", 202, &[], "")
        .expect(Method::Post, "/volumes/v1/action", 202, &[], "")
        .expect(Method::Post, "/volumes/v1/action", 202, &[], "")
        .expect(
            Method::Post,
            "/volumes/v1/action",
            202,
            &[],
            r#"{"os-volume_upload_image": {"id": "v1", "status": "uploading", "image_id": "i1", "image_name": "gold", "disk_format": "qcow2", "container_format": "bare", "size": 1}}"#,
        )
        .expect(Method::Delete, "/volumes/v1?cascade=true", 202, &[], "")
        .expect(Method::Delete, "/volumes/v1?cascade=true&force=true", 202, &[], "");
    let c = Client::connect(&fake, cfg()).unwrap();
    volumes::set_bootable(&c, "v1", true).unwrap();
    volumes::set_read_only(&c, "v1", true).unwrap();
    volumes::retype(&c, "v1", "fast", true).unwrap();
    volumes::revert_to_snapshot(&c, "v1", "s1").unwrap();
    let upload = ImageUpload {
        image_name: "gold".into(),
        disk_format: Some("qcow2".into()),
        container_format: None,
        force: false,
        visibility: Some("private".into()),
        protected: true,
    };
    let image = volumes::upload_to_image(&c, "v1", &upload).unwrap();
    assert_eq!((image.image_id.as_str(), image.status.as_str()), ("i1", "uploading"));
    volumes::delete(&c, "v1", false, true).unwrap();
    volumes::delete(&c, "v1", true, true).unwrap();
    let sent = fake.sent.borrow();
    let bodies: Vec<&str> = sent[2..7].iter().map(body).collect();
    assert_eq!(
        bodies,
        [
            r#"{"os-set_bootable":{"bootable":true}}"#,
            r#"{"os-update_readonly_flag":{"readonly":true}}"#,
            r#"{"os-retype":{"new_type":"fast","migration_policy":"on-demand"}}"#,
            r#"{"revert":{"snapshot_id":"s1"}}"#,
            r#"{"os-volume_upload_image":{"image_name":"gold","force":false,"disk_format":"qcow2","visibility":"private","protected":true}}"#,
        ]
    );
}

#[test]
fn actions_of_later_microversions_and_bad_inputs_send_nothing() {
    let (fake, cfg) = connected_at(Fake::default(), "3.0");
    let c = Client::connect(&fake, cfg).unwrap();
    let field = |r: Result<(), Error>| match r {
        Err(Error::InvalidInput(m)) => m.split(':').next().unwrap_or_default().to_string(),
        other => panic!("{other:?}"),
    };
    assert_eq!(field(volumes::revert_to_snapshot(&c, "v1", "s1")), "revert-to-snapshot");
    assert_eq!(field(volumes::delete(&c, "v1", true, true)), "force");
    let upload = |visibility: Option<&str>, protected| ImageUpload {
        image_name: "gold".into(),
        disk_format: None,
        container_format: None,
        force: false,
        visibility: visibility.map(String::from),
        protected,
    };
    assert_eq!(
        field(volumes::upload_to_image(&c, "v1", &upload(Some("public"), false)).map(drop)),
        "visibility"
    );
    assert_eq!(
        field(volumes::upload_to_image(&c, "v1", &upload(None, true)).map(drop)),
        "protected"
    );
    let unnamed = ImageUpload {
        image_name: " ".into(),
        ..upload(None, false)
    };
    assert_eq!(
        field(volumes::upload_to_image(&c, "v1", &unnamed).map(drop)),
        "image-name"
    );
    assert_eq!(field(volumes::retype(&c, "v1", "", false)), "volume-type");
    assert_eq!(field(volumes::revert_to_snapshot(&c, "v1", "../s")), "snapshot-id");
    assert_eq!(field(volumes::set_bootable(&c, "a/b", true)), "id");
    assert_eq!(field(crate::transfers::create(&c, "", &None).map(drop)), "volume-id");
    assert_eq!(field(crate::transfers::accept(&c, "t1", "").map(drop)), "auth-key");
    let e = crate::transfers::accept(&c, "t1", "key\u{1b}SECRET-canary").unwrap_err();
    assert!(!format!("{e:?}").contains("SECRET-canary"), "the key is never echoed");
    assert_eq!(fake.sent.borrow().len(), 2);
}

#[test]
fn read_only_comes_from_cinders_visible_admin_metadata() {
    let ro = r#"{"volume": {"id": "v1", "status": "available", "size": 1, "metadata": {"readonly": "True", "attached_mode": "ro"}}}"#;
    let rw = r#"{"volume": {"id": "v1", "status": "available", "size": 1, "metadata": {"readonly": "False"}}}"#;
    let fake = connected(Fake::default())
        .expect(Method::Get, "/volumes/v1", 200, &[], ro)
        .expect(Method::Get, "/volumes/v1", 200, &[], rw);
    let c = Client::connect(&fake, cfg()).unwrap();
    assert!(resource::get::<Volume, _>(&c, "v1").unwrap().read_only);
    assert!(!resource::get::<Volume, _>(&c, "v1").unwrap().read_only);
}

#[test]
fn a_transfer_is_created_listed_and_accepted() {
    let fake = connected(Fake::default())
        .expect(
            Method::Post,
            "/os-volume-transfer",
            202,
            &[],
            r#"{"transfer": {"id": "t1", "created_at": "2026-11-30T10:00:00.000000", "name": "hand", "volume_id": "v1", "auth_key": "k-123", "links": []}}"#,
        )
        .expect(
            Method::Get,
            "/os-volume-transfer/detail",
            200,
            &[],
            r#"{"transfers": [{"id": "t1", "created_at": "2026-11-30T10:00:00.000000", "name": "hand", "volume_id": "v1", "links": []}]}"#,
        )
        .expect(
            Method::Post,
            "/os-volume-transfer/t1/accept",
            202,
            &[],
            r#"{"transfer": {"id": "t1", "name": "hand", "volume_id": "v1", "links": []}}"#,
        );
    let c = Client::connect(&fake, cfg()).unwrap();
    let created = crate::transfers::create(&c, "v1", &Some("hand".into())).unwrap();
    assert_eq!(
        (created.transfer.id.as_str(), created.auth_key.as_str()),
        ("t1", "k-123")
    );
    assert_eq!(crate::transfers::list(&c).unwrap().len(), 1);
    let accepted = crate::transfers::accept(&c, "t1", "k-123").unwrap();
    assert_eq!(accepted.volume_id, "v1");
    let sent = fake.sent.borrow();
    assert_eq!(body(&sent[2]), r#"{"transfer":{"volume_id":"v1","name":"hand"}}"#);
    assert_eq!(body(&sent[4]), r#"{"accept":{"auth_key":"k-123"}}"#);
}
