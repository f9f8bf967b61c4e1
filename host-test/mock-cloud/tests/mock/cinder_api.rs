//! Cinder's API as a whole: versions and microversions, project URLs, chunked bodies, schema messages.

use crate::common::{message, request};
use crate::{client, create_volume, fast, instant, server_error_body, ZERO_UUID};
use serde_json::json;

#[test]
fn versions_and_microversions() {
    let m = fast();
    let r = request("GET", &format!("{}/volume/", m.base_url()), &[], None).unwrap();
    assert_eq!(r.status, 300);
    let v = &r.json()["versions"][0];
    assert_eq!(v["id"], "v3.0");
    assert_eq!(v["version"], "3.71");
    assert_eq!(v["min_version"], "3.0");
    let c = client(&m, "");
    let r = c.get(&format!("{}/volume/v3/", m.base_url()));
    assert_eq!(r.status, 200);
    assert_eq!(r.json()["versions"][0]["status"], "CURRENT");

    let url = format!("{}/volumes", m.block_storage_url());
    let r = c.get(&url);
    assert_eq!(r.header("OpenStack-API-Version"), Some("volume 3.0"));
    assert_eq!(r.header("Vary"), Some("OpenStack-API-Version"));
    let rid = r.header("x-openstack-request-id").unwrap();
    assert!(rid.starts_with("req-") && rid.len() == 40);
    assert_eq!(r.header("x-compute-request-id"), Some(rid));
    let r = client(&m, "latest").get(&url);
    assert_eq!(r.header("OpenStack-API-Version"), Some("volume 3.71"));
    let r = client(&m, "3.72").get(&url);
    assert_eq!(r.status, 406);
    assert_eq!(
        r.json(),
        json!({"computeFault": {"code": 406, "message": "Version 3.72 is not supported by the API. Minimum is 3.0 and maximum is 3.71."}})
    );
    let r = client(&m, "3.0.1").get(&url);
    assert_eq!(r.status, 400);
    assert_eq!(
        message(&r, "badRequest"),
        "API Version String 3.0.1 is of invalid format. Must be of format MajorNum.MinorNum."
    );
    // Other project in URL.
    let r = client(&m, "3.71").get(&format!(
        "{}/volume/v3/ffffffffffffffffffffffffffffffff/volumes",
        m.base_url()
    ));
    assert_eq!(r.status, 400);
    assert_eq!(message(&r, "badRequest"), "Malformed request url");
    // The project may be left out of URLs, at any microversion (documented as 3.67+).
    let r = client(&m, "3.0").get(&format!("{}/volume/v3/volumes", m.base_url()));
    assert_eq!(r.json(), json!({"volumes": []}));
    let r = client(&m, "3.71").get(&format!("{}/no-such", m.block_storage_url()));
    assert_eq!(r.status, 404);
    assert_eq!(r.json()["title"], "Not Found");
}

/// Real Cinder (eventlet) never reads a chunked request body: create answers 500 and an
/// action is "None". Clients must send Content-Length.
#[test]
fn chunked_bodies_reach_cinder_empty() {
    use std::io::{Read, Write};
    let cloud = mock_cloud::MockCloud::start();
    let token = cloud.issue_token();
    let send = |path: &str, body: &str| {
        let mut s = std::net::TcpStream::connect(cloud.base_url().trim_start_matches("http://")).unwrap();
        let chunk = format!("{:x}\r\n{body}\r\n0\r\n\r\n", body.len());
        write!(
            s,
            "POST {path} HTTP/1.1\r\nHost: x\r\nX-Auth-Token: {token}\r\nContent-Type: application/json\r\nTransfer-Encoding: chunked\r\nConnection: close\r\n\r\n{chunk}"
        )
        .unwrap();
        let mut out = String::new();
        s.read_to_string(&mut out).unwrap();
        out
    };
    let base = format!("/volume/v3/{}", cloud.project_id());
    let created = send(&format!("{base}/volumes"), r#"{"volume": {"size": 1}}"#);
    assert!(created.starts_with("HTTP/1.1 500"), "{created}");
    assert!(created.contains("computeFault"));
    let action = send(
        &format!("{base}/volumes/00000000-0000-0000-0000-000000000000/action"),
        r#"{"os-extend": {"new_size": 2}}"#,
    );
    assert!(action.starts_with("HTTP/1.1 400"), "{action}");
    assert!(action.contains("There is no such action: None."), "{action}");
    assert_eq!(cloud.counts().volumes, 0);
}

/// Schema messages the mock once worded differently from real Cinder.
#[test]
fn cinder_schema_messages_like_real_cinder() {
    let m = instant();
    let c = client(&m, "3.71");
    let base = m.block_storage_url();
    let vid = create_volume(&m, &c, json!({"volume": {"size": 1}}));
    let r = c.post(
        &format!("{base}/volumes"),
        r#"{"volume": {"size": 1, "zz": 1, "aa": 2}}"#,
    );
    assert_eq!(message(&r, "badRequest"), "Invalid input for field/attribute volume. Value: {'aa': 2, 'size': 1, 'zz': 1}. Additional properties are not allowed ('aa', 'zz' were unexpected)");
    let r = c.post(
        &format!("{base}/volumes/{vid}/action"),
        r#"{"os-extend": {"new_size": 2}, "x": 1}"#,
    );
    assert_eq!(message(&r, "badRequest"), "Malformed request body");
    let r = c.post_json(&format!("{base}/backups"), &json!({"backup": {"volume_id": 5}}));
    assert_eq!(
        message(&r, "badRequest"),
        "Invalid input for field/attribute volume_id. Value: 5. 5 is not of type 'string'"
    );
    for (coll, key) in [("snapshots", "snapshot"), ("backups", "backup")] {
        let r = c.post_json(&format!("{base}/{coll}"), &json!({ key: 5 }));
        assert_eq!(
            message(&r, "badRequest"),
            format!("Invalid input for field/attribute {key}. Value: 5. 5 is not of type 'object'")
        );
    }
    let restore = format!("{base}/backups/{ZERO_UUID}/restore");
    let r = c.post(&restore, r#"{"restore": 5}"#);
    assert_eq!(
        message(&r, "badRequest"),
        "Invalid input for field/attribute restore. Value: 5. 5 is not of type 'object', 'null'"
    );
    assert_eq!(c.post(&restore, r#"{"restore": null}"#).json(), server_error_body());
}
