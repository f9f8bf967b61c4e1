//! Cinder volumes: lifecycle and transitions, create validation, pagination, admin actions, forced statuses.

use crate::common::{message, wait_for};
use crate::{client, create_volume, fast, status_of, wait_status};
use mock_cloud::{MockCloud, MockOptions, ResourceCounts};
use serde_json::{json, Value};
use std::time::Duration;

#[test]
fn volume_lifecycle_with_transitions() {
    let m = MockCloud::start(); // 300 ms transitions
    let c = client(&m, "3.71");
    let base = m.block_storage_url();
    let r = c.post(
        &format!("{base}/volumes"),
        r#"{"volume":{"size":1,"name":"a","metadata":{"k":"v"}}}"#,
    );
    assert_eq!(r.status, 202);
    let v = r.json()["volume"].clone();
    assert_eq!(v["status"], "creating");
    assert_eq!(v["bootable"], "false");
    assert_eq!(v["updated_at"], Value::Null);
    assert_eq!(v["volume_type"], "__DEFAULT__");
    assert_eq!(v["consumes_quota"], true);
    assert!(v.get("os-vol-host-attr:host").is_none());
    let created = v["created_at"].as_str().unwrap();
    assert_eq!(created.len(), 26, "{created}");
    let id = v["id"].as_str().unwrap().to_string();
    assert_eq!(v["links"][0]["href"], format!("{base}/volumes/{id}"));
    assert_eq!(
        v["links"][1]["href"],
        format!("{}/volume/{}/volumes/{id}", m.base_url(), m.project_id())
    );
    assert_eq!(status_of(&m, &c, "volumes", &id).as_deref(), Some("creating"));
    std::thread::sleep(Duration::from_millis(350));
    let r = c.get(&format!("{base}/volumes/{id}"));
    let v = &r.json()["volume"];
    assert_eq!(v["status"], "available");
    assert_eq!(v["os-vol-tenant-attr:tenant_id"], m.project_id());
    assert_eq!(v["volume_type_id"].as_str().unwrap().len(), 36);
    // 3.0 view has no microversioned fields.
    let r = client(&m, "").get(&format!("{base}/volumes/{id}"));
    let v0 = &r.json()["volume"];
    for k in [
        "group_id",
        "shared_targets",
        "service_uuid",
        "volume_type_id",
        "consumes_quota",
        "provider_id",
        "cluster_name",
    ] {
        assert!(v0.get(k).is_none(), "{k} at 3.0");
    }
    // extend
    let r = c.post(
        &format!("{base}/volumes/{id}/action"),
        r#"{"os-extend":{"new_size":1}}"#,
    );
    assert_eq!(r.status, 400);
    assert_eq!(
        message(&r, "badRequest"),
        "Invalid input received: New size for extend must be greater than current size. (current: 1, extended: 1)."
    );
    let r = c.post(
        &format!("{base}/volumes/{id}/action"),
        r#"{"os-extend":{"new_size":3}}"#,
    );
    assert_eq!(r.status, 202);
    assert!(r.body.is_empty());
    assert_eq!(status_of(&m, &c, "volumes", &id).as_deref(), Some("extending"));
    let r = c.post(
        &format!("{base}/volumes/{id}/action"),
        r#"{"os-extend":{"new_size":4}}"#,
    );
    assert_eq!(
        message(&r, "badRequest"),
        format!(
            "Invalid volume: Volume {id} status must be '{{'status': 'available'}}' to extend, currently extending."
        )
    );
    wait_status(&m, &c, "volumes", &id, Some("available"));
    assert_eq!(c.get(&format!("{base}/volumes/{id}")).json()["volume"]["size"], 3);
    // snapshot blocks delete
    let r = c.post_json(
        &format!("{base}/snapshots"),
        &json!({"snapshot": {"volume_id": id, "name": "s"}}),
    );
    assert_eq!(r.status, 202);
    let sid = r.json()["snapshot"]["id"].as_str().unwrap().to_string();
    assert_eq!(r.json()["snapshot"]["size"], 3);
    let r = c.delete(&format!("{base}/volumes/{id}"));
    assert_eq!(r.status, 400);
    assert!(message(&r, "badRequest")
        .as_str()
        .unwrap()
        .starts_with("Invalid volume: Volume status must be available or error"));
    wait_status(&m, &c, "snapshots", &sid, Some("available"));
    let r = c.get(&format!("{base}/snapshots/{sid}"));
    assert_eq!(r.json()["snapshot"]["os-extended-snapshot-attributes:progress"], "100%");
    assert_eq!(c.delete(&format!("{base}/snapshots/{sid}")).status, 202);
    assert_eq!(status_of(&m, &c, "snapshots", &sid).as_deref(), Some("deleting"));
    wait_status(&m, &c, "snapshots", &sid, None);
    let r = c.delete(&format!("{base}/volumes/{id}"));
    assert_eq!(r.status, 202);
    assert_eq!(status_of(&m, &c, "volumes", &id).as_deref(), Some("deleting"));
    wait_status(&m, &c, "volumes", &id, None);
    let r = c.get(&format!("{base}/volumes/{id}"));
    assert_eq!(
        r.json(),
        json!({"itemNotFound": {"code": 404, "message": format!("Volume {id} could not be found.")}})
    );
    assert_eq!(m.counts(), ResourceCounts::default());
}

#[test]
fn create_validation() {
    let m = fast();
    let c = client(&m, "3.71");
    let url = format!("{}/volumes", m.block_storage_url());
    let cases = [
        ("not json", "Malformed request body"),
        (r#"{"volume":{"size":"abc"}}"#, "Invalid input for field/attribute size. Value: abc. 'abc' does not match '^[0-9]+$'"),
        (r#"{"volume":{"size":0}}"#, "Invalid input for field/attribute size. Value: 0. 0 is less than the minimum of 1"),
        (r#"{"volume":{"size":1,"bogus_key":1}}"#, "Invalid input for field/attribute volume. Value: {'bogus_key': 1, 'size': 1}. Additional properties are not allowed ('bogus_key' was unexpected)"),
        (r#"{"volume":{"size":1,"imageRef":"00000000-0000-0000-0000-000000000000"}}"#, "Invalid image identifier or unable to access requested image."),
        (r#"{"volume":{}}"#, "The server could not comply with the request since it is either malformed or otherwise incorrect."),
    ];
    for (body, msg) in cases {
        let r = c.post(&url, body);
        assert_eq!(r.status, 400, "{body}");
        assert_eq!(message(&r, "badRequest"), msg, "{body}");
    }
    let r = c.post(
        &url,
        r#"{"volume":{"size":1,"snapshot_id":"00000000-0000-0000-0000-000000000000"}}"#,
    );
    assert_eq!(r.status, 404);
    assert_eq!(
        message(&r, "itemNotFound"),
        "Snapshot 00000000-0000-0000-0000-000000000000 could not be found."
    );
    // From a source volume, too small.
    let src = create_volume(&m, &c, json!({"volume": {"size": 2}}));
    wait_status(&m, &c, "volumes", &src, Some("available"));
    let r = c.post_json(&url, &json!({"volume": {"size": 1, "source_volid": src}}));
    assert_eq!(message(&r, "badRequest"), "Invalid input received: Volume size '1'GB cannot be smaller than original volume size  2GB. They must be >= original volume size.");
    let r = c.post_json(&url, &json!({"volume": {"source_volid": src}}));
    assert_eq!(r.status, 202);
    assert_eq!(r.json()["volume"]["size"], 2);
    assert_eq!(r.json()["volume"]["source_volid"], src.as_str());
}

#[test]
fn pagination_with_next_links() {
    let m = MockCloud::start_with(MockOptions {
        transition: Duration::ZERO,
        max_page: 4,
        ..Default::default()
    });
    m.set_quota("volumes", -1);
    let c = client(&m, "3.71");
    let base = m.block_storage_url();
    let mut ids = Vec::new();
    for i in 0..7 {
        ids.push(create_volume(
            &m,
            &c,
            json!({"volume": {"size": 1, "name": format!("v{i}")}}),
        ));
    }
    ids.reverse(); // default order: created_at desc
    let mut seen = Vec::new();
    let mut url = format!("{base}/volumes/detail?limit=2");
    let mut pages = 0;
    loop {
        let j = c.get(&url).json();
        pages += 1;
        for v in j["volumes"].as_array().unwrap() {
            assert_eq!(v["status"], "available");
            seen.push(v["id"].as_str().unwrap().to_string());
        }
        match j.get("volumes_links") {
            Some(l) => {
                assert_eq!(l[0]["rel"], "next");
                url = l[0]["href"].as_str().unwrap().to_string();
                assert!(
                    url.starts_with(&format!("{base}/volumes/detail?limit=2&marker=")),
                    "{url}"
                );
            }
            None => break,
        }
    }
    assert_eq!(seen, ids);
    assert_eq!(pages, 4); // 2+2+2+1
                          // Exactly full last page -> a next link leading to an empty page.
    let j = c.get(&format!("{base}/volumes?limit=4&marker={}", ids[2])).json();
    assert_eq!(j["volumes"].as_array().unwrap().len(), 4);
    let next = j["volumes_links"][0]["href"].as_str().unwrap().to_string();
    let j = c.get(&next).json();
    assert_eq!(j, json!({"volumes": []}));
    // No limit: capped at max_page (4) with a next link.
    let j = c.get(&format!("{base}/volumes")).json();
    assert_eq!(j["volumes"].as_array().unwrap().len(), 4);
    assert_eq!(j["volumes"][0].as_object().unwrap().len(), 3); // id, name, links
    assert!(j["volumes_links"][0]["href"]
        .as_str()
        .unwrap()
        .starts_with(&format!("{base}/volumes?marker=")));
    // Filters.
    let j = c.get(&format!("{base}/volumes?name=v3")).json();
    assert_eq!(j["volumes"].as_array().unwrap().len(), 1);
    assert!(j.get("volumes_links").is_none());
    // Errors.
    let r = c.get(&format!("{base}/volumes?limit=abc"));
    assert_eq!(message(&r, "badRequest"), "limit param must be an integer");
    let r = c.get(&format!("{base}/volumes?limit=-1"));
    assert_eq!(message(&r, "badRequest"), "limit param must be positive");
    let r = c.get(&format!("{base}/volumes?marker=nonexist"));
    assert_eq!(r.status, 404);
    assert_eq!(message(&r, "itemNotFound"), "Volume nonexist could not be found.");
}

#[test]
fn force_delete_forbidden_for_members_allowed_for_admin() {
    let m = fast();
    let c = client(&m, "3.71");
    let base = m.block_storage_url();
    let id = create_volume(&m, &c, json!({"volume": {"size": 1}}));
    let r = c.post(&format!("{base}/volumes/{id}/action"), r#"{"os-force_delete":{}}"#);
    assert_eq!(r.status, 403);
    assert_eq!(
        r.json(),
        json!({"forbidden": {"code": 403, "message": "Policy doesn't allow volume_extension:volume_admin_actions:force_delete to be performed."}})
    );
    wait_status(&m, &c, "volumes", &id, Some("available"));
    let sid = c
        .post_json(&format!("{base}/snapshots"), &json!({"snapshot": {"volume_id": id}}))
        .json()["snapshot"]["id"]
        .as_str()
        .unwrap()
        .to_string();
    let r = c.post(&format!("{base}/snapshots/{sid}/action"), r#"{"os-force_delete":{}}"#);
    assert_eq!(
        message(&r, "forbidden"),
        "Policy doesn't allow volume_extension:snapshot_admin_actions:force_delete to be performed."
    );
    let r = c.post(&format!("{base}/volumes/{id}/action"), r#"{"os-bogus":{}}"#);
    assert_eq!(
        message(&r, "badRequest"),
        "There is no such action: os-bogus. Verify the request body and Content-Type header and try again."
    );

    let m = MockCloud::start_with(MockOptions {
        admin: true,
        transition: Duration::from_millis(40),
        ..Default::default()
    });
    let c = client(&m, "3.71");
    let base = m.block_storage_url();
    let id = create_volume(&m, &c, json!({"volume": {"size": 1}}));
    m.set_status("volume", &id, "error_deleting");
    let r = c.post(&format!("{base}/volumes/{id}/action"), r#"{"os-force_delete":{}}"#);
    assert_eq!(r.status, 202);
    wait_status(&m, &c, "volumes", &id, None);
}

#[test]
fn set_status_and_counts() {
    let m = fast();
    let c = client(&m, "3.71");
    let id = create_volume(&m, &c, json!({"volume": {"size": 1}}));
    m.set_status("volume", &id, "error");
    std::thread::sleep(Duration::from_millis(80));
    assert_eq!(status_of(&m, &c, "volumes", &id).as_deref(), Some("error"));
    let r = c.post_json(
        &format!("{}/snapshots", m.block_storage_url()),
        &json!({"snapshot": {"volume_id": id}}),
    );
    assert_eq!(
        message(&r, "badRequest"),
        "Invalid volume: The snapshot cannot be created when the volume is in error status."
    );
    assert_eq!(m.counts().volumes, 1);
    assert_eq!(c.delete(&format!("{}/volumes/{id}", m.block_storage_url())).status, 202);
    wait_for(|| m.counts().volumes == 0);
}
