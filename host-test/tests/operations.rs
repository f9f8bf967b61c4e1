//! Every operation of the contract, through the component in wasmtime, against the
//! stateful mock cloud: success paths and the typed failures the services produce.

mod common;

use common::*;
use host_test::{spec, BackupCreate, Credentials, ListOptions, SnapshotCreate};
use mock_cloud::{MockCloud, MockOptions};

#[test]
fn connect_with_application_credential_reads_catalog_and_negotiates() {
    let cloud = cloud();
    let mut s = connect(&cloud);
    assert_eq!(s.microversion().unwrap(), "3.71");
    assert_eq!(s.project_id().unwrap().as_deref(), Some(cloud.project_id().as_str()));
    assert_eq!(s.block_storage_url().unwrap(), cloud.block_storage_url());
    let reqs = cloud.requests();
    assert_eq!(reqs.len(), 2, "{reqs:?}");
    assert_eq!(
        (reqs[0].method.as_str(), reqs[0].path.as_str()),
        ("POST", "/identity/v3/auth/tokens")
    );
    assert_eq!((reqs[1].method.as_str(), reqs[1].path.as_str()), ("GET", "/volume/v3/"));
    let body: serde_json::Value = serde_json::from_slice(&reqs[0].body).unwrap();
    assert_eq!(body["auth"]["identity"]["methods"][0], "application_credential");
    assert!(body["auth"].get("scope").is_none());
    assert!(s.log().is_empty(), "success is quiet: {}", s.log());
}

#[test]
fn connect_with_password_scopes_to_the_project() {
    let cloud = cloud();
    let mut s = connect_with(&password_cfg(&cloud, mock_cloud::PASSWORD));
    assert_eq!(s.project_id().unwrap().as_deref(), Some(cloud.project_id().as_str()));
    let body: serde_json::Value = serde_json::from_slice(&cloud.requests()[0].body).unwrap();
    assert_eq!(body["auth"]["scope"]["project"]["name"], "demo-project");
    ok(s.volume_list(&all()));
}

#[test]
fn connect_with_token_makes_no_keystone_call() {
    let cloud = cloud();
    let mut cfg = app_cfg(&cloud);
    cfg.credentials = Credentials::Token(cloud.issue_token());
    cfg.auth_url = String::new();
    cfg.block_storage_url = Some(cloud.block_storage_url());
    cfg.compute_url = Some(cloud.compute_url());
    let mut s = connect_with(&cfg);
    assert_eq!(s.project_id().unwrap().as_deref(), Some(cloud.project_id().as_str()));
    ok(s.volume_list(&all()));
    assert_eq!(matching(&cloud.requests(), "POST", "/auth/tokens"), 0);
    // An expired bare token cannot be renewed: unauthorized, and no Keystone call.
    cloud.expire_tokens();
    let e = err(s.volume_list(&all()));
    assert_eq!(kind(&e), "unauthorized");
    assert_eq!(matching(&cloud.requests(), "POST", "/auth/tokens"), 0);
}

#[test]
fn wrong_credentials_are_unauthorized_and_logged_without_the_secret() {
    let cloud = cloud();
    let canary = "CANARY-pw-8b1f";
    let e = host().connect(&password_cfg(&cloud, canary)).unwrap_err();
    assert_eq!(kind(&e), "unauthorized");
    assert_eq!(api(&e).status, 401);
    assert!(
        e.log()
            .starts_with("infomaniak-block-storage: session.connect failed: unauthorized status=401"),
        "{}",
        e.log()
    );
    assert_eq!(e.log().lines().count(), 1);
    assert!(!e.log().contains(canary) && !format!("{:?}", e).contains(canary));
}

#[test]
fn pinned_microversion_is_sent_or_refused() {
    let cloud = cloud();
    let mut cfg = app_cfg(&cloud);
    cfg.microversion = Some("3.60".into());
    let mut s = connect_with(&cfg);
    assert_eq!(s.microversion().unwrap(), "3.60");
    ok(s.volume_list(&all()));
    let last = cloud.requests().pop().unwrap();
    assert_eq!(header(&last, "openstack-api-version"), Some("volume 3.60"));

    cfg.microversion = Some("2.1".into());
    let e = host().connect(&cfg).unwrap_err();
    assert_eq!(kind(&e), "invalid-input");
    // Beyond what the server's version document offers: refused at connect.
    cfg.microversion = Some("3.99".into());
    let e = host().connect(&cfg).unwrap_err();
    assert_eq!((kind(&e), api(&e).status), ("api", 406));

    let old = MockCloud::start_with(MockOptions {
        max_microversion: "3.50".into(),
        ..MockOptions::default()
    });
    let mut cfg = app_cfg(&old);
    let mut s = connect_with(&cfg);
    assert_eq!(
        s.microversion().unwrap(),
        "3.50",
        "negotiates down to the server's maximum"
    );
    cfg.microversion = Some("3.60".into());
    let e = host().connect(&cfg).unwrap_err();
    assert_eq!((kind(&e), api(&e).status), ("api", 406));
}

#[test]
fn catalog_without_service_region_or_interface_is_no_endpoint() {
    let only_v2 = MockOptions {
        catalog: vec![mock_cloud::CatalogEntry {
            service_type: "volumev2".into(),
            region: "dc3-a".into(),
            interface: "public".into(),
            url: "{base}/volume/v2/{project}".into(),
        }],
        ..MockOptions::default()
    };
    let cloud = MockCloud::start_with(only_v2);
    let e = host().connect(&app_cfg(&cloud)).unwrap_err();
    assert_eq!(kind(&e), "no-endpoint");

    let cloud = common::cloud();
    let mut cfg = app_cfg(&cloud);
    cfg.region = Some("dc9-z".into());
    let e = host().connect(&cfg).unwrap_err();
    assert_eq!(kind(&e), "no-endpoint");
    cfg.region = Some("dc3-a".into());
    cfg.endpoint_interface = Some("internal".into());
    connect_with(&cfg);
}

#[test]
fn volume_create_get_list_delete() {
    let cloud = cloud();
    let mut s = connect(&cloud);
    let mut spec = vol(3, "data-1");
    spec.description = Some("first".into());
    spec.metadata = vec![("team".into(), "storage".into()), ("env".into(), "test".into())];
    let v = ok(s.volume_create(&spec));
    assert_eq!(
        (v.size, v.name.as_deref(), v.status.as_str()),
        (3, Some("data-1"), "creating")
    );
    assert_eq!(
        v.metadata,
        vec![("env".into(), "test".into()), ("team".into(), "storage".into())]
    );
    let got = ok(s.volume_wait_for(&v.id, "available", 30)).unwrap();
    assert_eq!(got.description.as_deref(), Some("first"));
    assert!(!got.bootable && !got.multiattach);
    assert!(!got.created_at.is_empty());
    ok(s.volume_create(&vol(1, "other")));

    let named = ok(s.volume_list(&ListOptions {
        name: Some("data-1".into()),
        ..all()
    }));
    assert_eq!(named.len(), 1);
    assert_eq!(named[0].id, v.id);
    assert_eq!(ok(s.volume_list(&all())).len(), 2);
    assert_eq!(
        ok(s.volume_list(&ListOptions {
            status: Some("error".into()),
            ..all()
        }))
        .len(),
        0
    );

    let e = err(s.volume_delete(&v.id, true, false));
    assert_eq!(
        (kind(&e), api(&e).status),
        ("forbidden", 403),
        "force-delete is admin-only"
    );
    assert!(
        api(&e).message.contains("volume_admin_actions:force_delete"),
        "{}",
        api(&e).message
    );
    ok(s.volume_delete(&v.id, false, false));
    assert!(ok(s.volume_wait_for(&v.id, "deleted", 30)).is_none());
    let e = err(s.volume_get(&v.id));
    assert_eq!((kind(&e), api(&e).status), ("not-found", 404));
    assert!(api(&e).request_id.as_deref().is_some_and(|r| r.starts_with("req-")));
    assert_eq!(cloud.counts().volumes, 1);
}

#[test]
fn list_follows_every_page() {
    let cloud = cloud();
    let mut s = connect(&cloud);
    let mut ids = Vec::new();
    for i in 0..7 {
        ids.push(ok(s.volume_create(&vol(1, &format!("v{i}")))).id);
    }
    cloud.clear_requests();
    let listed = ok(s.volume_list(&ListOptions {
        page_size: Some(2),
        ..all()
    }));
    let mut got: Vec<String> = listed.into_iter().map(|v| v.id).collect();
    got.sort();
    ids.sort();
    assert_eq!(got, ids);
    let reqs = cloud.requests();
    let pages = matching(&reqs, "GET", "/volumes/detail");
    assert!(
        pages >= 4,
        "7 volumes in pages of 2 take at least 4 requests, got {pages}"
    );
    assert!(reqs
        .iter()
        .skip(1)
        .all(|r| r.query.as_deref().is_some_and(|q| q.contains("marker="))));
    assert!(reqs
        .iter()
        .all(|r| r.query.as_deref().is_some_and(|q| q.contains("limit=2"))));
}

#[test]
fn extend_refuses_same_size_without_sending_and_grows() {
    let cloud = cloud();
    let mut s = connect(&cloud);
    let v = ok(s.volume_create(&vol(2, "grow")));
    ok(s.volume_wait_for(&v.id, "available", 30));
    cloud.clear_requests();
    let e = err(s.volume_extend(&v.id, 2));
    assert_eq!(kind(&e), "invalid-input");
    assert_eq!(
        matching(&cloud.requests(), "POST", "/action"),
        0,
        "refused before the action"
    );
    ok(s.volume_extend(&v.id, 5));
    let got = ok(s.volume_wait_for(&v.id, "available", 30)).unwrap();
    assert_eq!(got.size, 5);
    let e = err(s.volume_extend("00000000-0000-0000-0000-000000000000", 9));
    assert_eq!(kind(&e), "not-found");
}

#[test]
fn snapshots_create_list_get_delete_and_force_delete_is_forbidden() {
    let cloud = cloud();
    let mut s = connect(&cloud);
    let v = ok(s.volume_create(&vol(1, "src")));
    ok(s.volume_wait_for(&v.id, "available", 30));
    let spec = SnapshotCreate {
        name: Some("snap".into()),
        description: Some("d".into()),
        metadata: vec![("k".into(), "v".into())],
        ..spec::snapshot(&v.id)
    };
    let sn = ok(s.snapshot_create(&spec));
    assert_eq!((sn.volume_id.as_str(), sn.size), (v.id.as_str(), 1));
    // From 3.66 `force: false` is not sent.
    let create = cloud
        .requests()
        .into_iter()
        .rfind(|r| r.method == "POST" && r.path.ends_with("/snapshots"))
        .unwrap();
    assert!(!String::from_utf8_lossy(&create.body).contains("force"));
    ok(s.snapshot_wait_for(&sn.id, "available", 30));
    assert_eq!(ok(s.snapshot_get(&sn.id)).name.as_deref(), Some("snap"));
    assert_eq!(ok(s.snapshot_list(&all())).len(), 1);

    // A volume with snapshots cannot be deleted: Cinder's 400.
    let e = err(s.volume_delete(&v.id, false, false));
    assert_eq!((kind(&e), api(&e).status), ("bad-request", 400));

    let e = err(s.snapshot_delete(&sn.id, true));
    assert_eq!((kind(&e), api(&e).status), ("forbidden", 403));
    assert!(api(&e).message.contains("force_delete"), "{}", api(&e).message);
    assert!(
        s.log()
            .contains(&format!("snapshots.delete {} failed: forbidden status=403", sn.id)),
        "{}",
        s.log()
    );
    ok(s.snapshot_delete(&sn.id, false));
    assert!(ok(s.snapshot_wait_for(&sn.id, "deleted", 30)).is_none());
    assert_eq!(kind(&err(s.snapshot_get(&sn.id))), "not-found");
}

#[test]
fn backups_create_read_back_restore_both_ways_and_delete() {
    let cloud = cloud();
    let mut s = connect(&cloud);
    let v = ok(s.volume_create(&vol(1, "src")));
    ok(s.volume_wait_for(&v.id, "available", 30));
    let spec = BackupCreate {
        name: Some("bk".into()),
        description: Some("nightly".into()),
        ..spec::backup(&v.id)
    };
    let b = ok(s.backup_create(&spec));
    assert_eq!(
        (b.volume_id.as_str(), b.name.as_deref(), b.description.as_deref()),
        (v.id.as_str(), Some("bk"), Some("nightly"))
    );
    assert!(
        !b.status.is_empty() && !b.created_at.is_empty(),
        "read back after the id-only POST answer"
    );
    let reqs = cloud.requests();
    assert_eq!(matching(&reqs, "GET", &format!("/backups/{}", b.id)), 1);
    ok(s.backup_wait_for(&b.id, "available", 30));
    ok(s.volume_wait_for(&v.id, "available", 30));
    assert_eq!(ok(s.backup_list(&all())).len(), 1);
    assert_eq!(ok(s.backup_get(&b.id)).id, b.id);

    // Incremental on top of it, then the parent cannot be deleted.
    let inc = ok(s.backup_create(&BackupCreate {
        incremental: true,
        name: Some("inc".into()),
        ..spec.clone()
    }));
    ok(s.backup_wait_for(&inc.id, "available", 30));
    assert!(ok(s.backup_get(&inc.id)).is_incremental);
    assert!(ok(s.backup_get(&b.id)).has_dependent_backups);
    assert_eq!(kind(&err(s.backup_delete(&b.id, false))), "bad-request");

    let r = ok(s.backup_restore(&b.id, None, Some("restored")));
    assert_eq!(r.backup_id, b.id);
    assert_eq!(r.volume_name.as_deref(), Some("restored"));
    let rv = ok(s.volume_wait_for(&r.volume_id, "available", 30)).unwrap();
    assert_eq!(rv.name.as_deref(), Some("restored"));
    ok(s.backup_wait_for(&b.id, "available", 30));

    let onto = ok(s.backup_restore(&b.id, Some(&v.id), None));
    assert_eq!(onto.volume_id, v.id);
    ok(s.volume_wait_for(&v.id, "available", 30));
    ok(s.backup_wait_for(&b.id, "available", 30));

    cloud.clear_requests();
    assert_eq!(
        kind(&err(s.backup_restore(&b.id, Some(&v.id), Some("x")))),
        "invalid-input"
    );
    assert!(cloud.requests().is_empty());

    ok(s.backup_delete(&inc.id, false));
    assert!(ok(s.backup_wait_for(&inc.id, "deleted", 30)).is_none());
    assert_eq!(kind(&err(s.backup_delete(&b.id, true))), "forbidden");
    ok(s.backup_delete(&b.id, false));
    assert!(ok(s.backup_wait_for(&b.id, "deleted", 30)).is_none());
}

#[test]
fn create_from_snapshot_volume_and_backup() {
    let cloud = cloud();
    let mut s = connect(&cloud);
    let v = ok(s.volume_create(&vol(2, "origin")));
    ok(s.volume_wait_for(&v.id, "available", 30));
    let sn = ok(s.snapshot_create(&spec::snapshot(&v.id)));
    ok(s.snapshot_wait_for(&sn.id, "available", 30));
    let from_snap = ok(s.volume_create(&host_test::VolumeCreate {
        snapshot_id: Some(sn.id.clone()),
        ..vol(2, "from-snap")
    }));
    assert_eq!(from_snap.snapshot_id.as_deref(), Some(sn.id.as_str()));
    let clone = ok(s.volume_create(&host_test::VolumeCreate {
        source_volume_id: Some(v.id.clone()),
        ..vol(2, "clone")
    }));
    assert_eq!(clone.source_volume_id.as_deref(), Some(v.id.as_str()));
    let b = ok(s.backup_create(&spec::backup(&v.id)));
    ok(s.backup_wait_for(&b.id, "available", 30));
    let from_backup = ok(s.volume_create(&host_test::VolumeCreate {
        backup_id: Some(b.id.clone()),
        ..vol(2, "from-backup")
    }));
    ok(s.volume_wait_for(&from_backup.id, "available", 30));
    // Smaller than the source: Cinder's 400.
    let e = err(s.volume_create(&host_test::VolumeCreate {
        snapshot_id: Some(sn.id.clone()),
        ..vol(1, "small")
    }));
    assert_eq!(kind(&e), "bad-request");
    // Two sources at once: refused here.
    cloud.clear_requests();
    let e = err(s.volume_create(&host_test::VolumeCreate {
        snapshot_id: Some(sn.id),
        source_volume_id: Some(v.id),
        ..vol(2, "x")
    }));
    assert_eq!(kind(&e), "invalid-input");
    assert!(cloud.requests().is_empty());
}

#[test]
fn attach_and_detach_through_nova() {
    let cloud = cloud();
    let server = cloud.add_server("web-1");
    let mut s = connect(&cloud);
    let v = ok(s.volume_create(&vol(1, "disk")));
    ok(s.volume_wait_for(&v.id, "available", 30));
    let a = ok(s.volume_attach(&v.id, &server, Some("/dev/sdc")));
    assert_eq!(a.device.as_deref(), Some("/dev/sdc"));
    assert_eq!(a.server_id.as_deref(), Some(server.as_str()));
    // Nova's attach answer has no attachment id (its `id` is the volume's; 2.89 adds
    // `attachment_id` only to reads); the volume's attachments carry it.
    assert!(a.attachment_id.is_none());
    let post = cloud.requests().into_iter().rfind(|r| r.method == "POST").unwrap();
    assert_eq!(
        post.path,
        format!("/compute/v2.1/servers/{server}/os-volume_attachments")
    );
    let used = ok(s.volume_wait_for(&v.id, "in-use", 30)).unwrap();
    assert_eq!(used.attachments.len(), 1);
    assert_eq!(used.attachments[0].server_id.as_deref(), Some(server.as_str()));
    assert!(used.attachments[0].attachment_id.is_some());

    // In use: delete is Cinder's invalid-state 400.
    assert_eq!(kind(&err(s.volume_delete(&v.id, false, false))), "bad-request");

    let other = cloud.add_server("web-2");
    let e = err(s.volume_detach(&v.id, &other));
    assert_eq!((kind(&e), api(&e).status), ("not-found", 404));
    assert_eq!(
        kind(&err(s.volume_attach(
            &v.id,
            "00000000-0000-0000-0000-00000000dead",
            None
        ))),
        "not-found"
    );

    ok(s.volume_detach(&v.id, &server));
    let free = ok(s.volume_wait_for(&v.id, "available", 30)).unwrap();
    assert!(free.attachments.is_empty());
    let reqs = cloud.requests();
    assert_eq!(
        matching(
            &reqs,
            "DELETE",
            &format!("/servers/{server}/os-volume_attachments/{}", v.id)
        ),
        1
    );
}

#[test]
fn lifecycle_leaves_nothing_behind() {
    let cloud = cloud();
    let server = cloud.add_server("srv");
    let mut s = connect(&cloud);
    let mut created = host_test::lifecycle::Created::default();
    let mut steps = 0;
    host_test::lifecycle::run(&mut s, &server, &mut created, &mut |_, _, _| steps += 1).unwrap();
    assert!(steps >= 20);
    let c = cloud.counts();
    assert_eq!((c.volumes, c.snapshots, c.backups, c.attachments), (0, 0, 0, 0));
}

#[test]
fn token_is_renewed_before_it_expires_without_a_401() {
    let cloud = MockCloud::start_with(MockOptions {
        transition: std::time::Duration::ZERO,
        token_ttl: std::time::Duration::from_secs(4),
        ..MockOptions::default()
    });
    let mut s = connect(&cloud);
    ok(s.volume_list(&all()));
    assert_eq!(matching(&cloud.requests(), "POST", "/auth/tokens"), 1);
    std::thread::sleep(std::time::Duration::from_millis(2500));
    ok(s.volume_list(&all()));
    let reqs = cloud.requests();
    assert_eq!(
        matching(&reqs, "POST", "/auth/tokens"),
        2,
        "renewed at half of a short lifetime"
    );
    assert_eq!(
        reqs.len(),
        5,
        "no 401 round trip: {:?}",
        reqs.iter().map(|r| &r.path).collect::<Vec<_>>()
    );
}

#[test]
fn request_bodies_carry_content_length_and_json_type() {
    // Real Cinder (eventlet) cannot read chunked request bodies: every body states its length.
    let cloud = cloud();
    let mut s = connect(&cloud);
    let v = ok(s.volume_create(&vol(1, "len")));
    ok(s.volume_wait_for(&v.id, "available", 30));
    ok(s.volume_extend(&v.id, 2));
    for r in cloud.requests().iter().filter(|r| r.method == "POST") {
        assert_eq!(
            header(r, "content-length"),
            Some(r.body.len().to_string().as_str()),
            "{}",
            r.path
        );
        assert_eq!(header(r, "content-type"), Some("application/json"), "{}", r.path);
        assert!(header(r, "transfer-encoding").is_none());
    }
}
