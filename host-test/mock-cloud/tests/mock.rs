mod common;

use common::{message, post_unauthenticated, request, wait_for, Client, Response};
use mock_cloud::*;
use serde_json::{json, Value};
use std::time::Duration;

fn fast() -> MockCloud {
    MockCloud::start_with(MockOptions {
        transition: Duration::from_millis(40),
        ..Default::default()
    })
}

/// A mock whose transitions complete at once.
fn instant() -> MockCloud {
    MockCloud::start_with(MockOptions {
        transition: Duration::ZERO,
        ..Default::default()
    })
}

fn client(m: &MockCloud, mv: &str) -> Client {
    Client {
        token: m.issue_token(),
        mv: mv.to_string(),
    }
}

fn create_volume(m: &MockCloud, c: &Client, body: Value) -> String {
    let r = c.post(&format!("{}/volumes", m.block_storage_url()), &body.to_string());
    assert_eq!(r.status, 202, "{}", String::from_utf8_lossy(&r.body));
    r.json()["volume"]["id"].as_str().unwrap().to_string()
}

fn status_of(m: &MockCloud, c: &Client, coll: &str, id: &str) -> Option<String> {
    let r = c.get(&format!("{}/{coll}/{id}", m.block_storage_url()));
    if r.status == 404 {
        return None;
    }
    let key = &coll[..coll.len() - 1];
    Some(r.json()[key]["status"].as_str().unwrap().to_string())
}

fn wait_status(m: &MockCloud, c: &Client, coll: &str, id: &str, want: Option<&str>) {
    wait_for(|| status_of(m, c, coll, id).as_deref() == want);
}

/// A request to Nova (`path` under the compute URL) as `c`, at `mv` when given.
fn nova_call(m: &MockCloud, c: &Client, mv: Option<&str>, method: &str, path: &str, body: Option<Value>) -> Response {
    let mut h = vec![("X-Auth-Token", c.token.as_str()), ("Content-Type", "application/json")];
    if let Some(v) = mv {
        h.push(("X-OpenStack-Nova-API-Version", v));
    }
    let b = body.map(|b| b.to_string());
    request(method, &format!("{}{path}", m.compute_url()), &h, b.as_deref()).unwrap()
}

#[test]
fn keystone_application_credential_and_password() {
    let m = fast();
    let url = format!("{}/auth/tokens", m.auth_url());
    let body = json!({"auth": {"identity": {"methods": ["application_credential"],
        "application_credential": {"id": APP_CRED_ID, "secret": APP_CRED_SECRET}}}});
    let r = post_unauthenticated(&url, &body.to_string());
    assert_eq!(r.status, 201);
    let tok = r.header("X-Subject-Token").unwrap().to_string();
    assert!(r.header("x-openstack-request-id").unwrap().starts_with("req-"));
    let j = r.json();
    assert_eq!(j["token"]["project"]["id"], m.project_id());
    assert!(j["token"]["expires_at"].as_str().unwrap().ends_with('Z'));
    let cat = j["token"]["catalog"].as_array().unwrap();
    let bs = cat.iter().find(|s| s["type"] == "block-storage").unwrap();
    let public = bs["endpoints"]
        .as_array()
        .unwrap()
        .iter()
        .find(|e| e["interface"] == "public")
        .unwrap();
    assert_eq!(public["url"], m.block_storage_url());
    assert_eq!(public["region"], "dc3-a");
    assert!(cat.iter().any(|s| s["type"] == "compute"));
    assert!(cat.iter().any(|s| s["type"] == "volumev3"));
    // The token works on Cinder.
    let c = Client {
        token: tok,
        mv: "3.71".into(),
    };
    assert_eq!(c.get(&format!("{}/volumes", m.block_storage_url())).status, 200);

    // Password, scoped by project name.
    let body = json!({"auth": {"identity": {"methods": ["password"], "password": {"user": {"name": USER_NAME,
        "domain": {"name": USER_DOMAIN}, "password": PASSWORD}}},
        "scope": {"project": {"name": "demo-project", "domain": {"name": PROJECT_DOMAIN}}}}});
    let r = post_unauthenticated(&url, &body.to_string());
    assert_eq!(r.status, 201);
    assert_eq!(r.json()["token"]["roles"][0]["name"], "member");
    assert_eq!(r.json()["token"]["methods"][0], "password");

    // Wrong secret / password.
    for body in [
        json!({"auth": {"identity": {"methods": ["application_credential"],
            "application_credential": {"id": APP_CRED_ID, "secret": "nope"}}}}),
        json!({"auth": {"identity": {"methods": ["password"], "password": {"user": {"name": USER_NAME,
            "domain": {"name": USER_DOMAIN}, "password": "bad"}}},
            "scope": {"project": {"name": "demo-project", "domain": {"name": PROJECT_DOMAIN}}}}}),
    ] {
        let r = post_unauthenticated(&url, &body.to_string());
        assert_eq!(r.status, 401);
        assert_eq!(
            r.json(),
            json!({"error": {"code": 401, "title": "Unauthorized", "message": "The request you have made requires authentication."}})
        );
    }
    // Malformed.
    let r = post_unauthenticated(&url, "{nope");
    assert_eq!(r.status, 400);
    assert_eq!(r.json()["error"]["title"], "Bad Request");
    let r = post_unauthenticated(&url, "{}");
    assert_eq!(r.status, 400);
}

#[test]
fn token_validation_and_expiry() {
    let m = fast();
    let url = format!("{}/volumes", m.block_storage_url());
    let r = request("GET", &url, &[], None).unwrap();
    assert_eq!(r.status, 401);
    assert_eq!(
        r.header("WWW-Authenticate").unwrap(),
        format!("Keystone uri=\"{}\"", m.auth_url())
    );
    assert_eq!(r.json()["error"]["code"], 401);
    let r = request("GET", &url, &[("X-Auth-Token", "bogus")], None).unwrap();
    assert_eq!(r.status, 401);
    let c = client(&m, "3.71");
    assert_eq!(c.get(&url).status, 200);
    m.expire_tokens();
    assert_eq!(c.get(&url).status, 401);
    let r = c.get(&format!("{}/servers/x/os-volume_attachments", m.compute_url()));
    assert_eq!(r.status, 401);
    // TTL expiry.
    let m = MockCloud::start_with(MockOptions {
        token_ttl: Duration::from_millis(100),
        ..Default::default()
    });
    let c = client(&m, "3.71");
    let url = format!("{}/volumes", m.block_storage_url());
    assert_eq!(c.get(&url).status, 200);
    std::thread::sleep(Duration::from_millis(150));
    assert_eq!(c.get(&url).status, 401);
}

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
fn quotas_413() {
    let m = instant();
    let c = client(&m, "3.71");
    let base = m.block_storage_url();
    m.set_quota("volumes", 1);
    create_volume(&m, &c, json!({"volume": {"size": 1}}));
    let r = c.post(&format!("{base}/volumes"), r#"{"volume":{"size":1}}"#);
    assert_eq!(r.status, 413);
    assert_eq!(r.header("Retry-After"), Some("0"));
    assert_eq!(
        r.json(),
        json!({"overLimit": {"code": 413, "message": "VolumeLimitExceeded: Maximum number of volumes allowed (1) exceeded for quota 'volumes'.", "retryAfter": "0"}})
    );
    m.set_quota("volumes", -1);
    let r = c.post(&format!("{base}/volumes"), r#"{"volume":{"size":2000}}"#);
    assert_eq!(r.status, 413);
    assert_eq!(message(&r, "overLimit"), "VolumeSizeExceedsAvailableQuota: Requested volume or snapshot exceeds allowed gigabytes quota. Requested 2000G, quota is 1000G and 1G has been consumed.");
    let q = c.get(&format!("{base}/os-quota-sets/{}", m.project_id())).json();
    assert_eq!(q["quota_set"]["volumes"], -1);
    assert_eq!(q["quota_set"]["gigabytes"], 1000);
    let r = c.call(
        "PUT",
        &format!("{base}/os-quota-sets/{}", m.project_id()),
        Some(r#"{"quota_set":{"volumes":5}}"#),
    );
    assert_eq!(r.status, 403);
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
fn snapshots_of_in_use_volumes_by_microversion() {
    let m = fast();
    let c = client(&m, "3.71");
    let base = m.block_storage_url();
    let server = m.add_server("vm1");
    let id = create_volume(&m, &c, json!({"volume": {"size": 1}}));
    wait_status(&m, &c, "volumes", &id, Some("available"));
    let r = c.post_json(
        &format!("{}/servers/{server}/os-volume_attachments", m.compute_url()),
        &json!({"volumeAttachment": {"volumeId": id}}),
    );
    assert_eq!(r.status, 200);
    wait_status(&m, &c, "volumes", &id, Some("in-use"));
    let snap = |mv: &str, force: Option<bool>| {
        let mut s = json!({"volume_id": id});
        if let Some(f) = force {
            s["force"] = json!(f);
        }
        client(&m, mv).post_json(&format!("{base}/snapshots"), &json!({"snapshot": s}))
    };
    let r = snap("3.65", None);
    assert_eq!(r.status, 400);
    assert_eq!(
        message(&r, "badRequest"),
        format!("Invalid volume: Volume {id} status must be available, but current status is: in-use.")
    );
    assert_eq!(snap("3.65", Some(true)).status, 202);
    let r = snap("3.66", Some(false));
    assert_eq!(r.status, 400);
    assert!(message(&r, "badRequest")
        .as_str()
        .unwrap()
        .starts_with("Since microversion 3.66 the 'force' flag is invalid"));
    assert_eq!(snap("3.66", None).status, 202);
    assert_eq!(snap("3.71", Some(true)).status, 202);
    // Backup of an in-use volume needs force.
    let r = c.post_json(&format!("{base}/backups"), &json!({"backup": {"volume_id": id}}));
    assert_eq!(
        message(&r, "badRequest"),
        "Invalid volume: Backing up an in-use volume must use the force flag."
    );
    // Delete in-use volume.
    let r = c.delete(&format!("{base}/volumes/{id}"));
    assert_eq!(r.status, 400);
}

#[test]
fn backups_incremental_and_restore() {
    let m = fast();
    let c = client(&m, "3.71");
    let base = m.block_storage_url();
    let id = create_volume(&m, &c, json!({"volume": {"size": 2, "name": "src"}}));
    wait_status(&m, &c, "volumes", &id, Some("available"));
    let r = c.post_json(
        &format!("{base}/backups"),
        &json!({"backup": {"volume_id": id, "incremental": true}}),
    );
    assert_eq!(
        message(&r, "badRequest"),
        "Invalid backup: No backups available to do an incremental backup."
    );
    let r = c.post_json(
        &format!("{base}/backups"),
        &json!({"backup": {"volume_id": id, "name": "full"}}),
    );
    assert_eq!(r.status, 202);
    let b = r.json()["backup"].clone();
    assert_eq!(b.as_object().unwrap().len(), 3);
    let full = b["id"].as_str().unwrap().to_string();
    assert_eq!(status_of(&m, &c, "volumes", &id).as_deref(), Some("backing-up"));
    wait_status(&m, &c, "backups", &full, Some("available"));
    wait_status(&m, &c, "volumes", &id, Some("available"));
    let r = c.post_json(
        &format!("{base}/backups"),
        &json!({"backup": {"volume_id": id, "incremental": true}}),
    );
    let inc = r.json()["backup"]["id"].as_str().unwrap().to_string();
    wait_status(&m, &c, "backups", &inc, Some("available"));
    let fj = c.get(&format!("{base}/backups/{full}")).json();
    assert_eq!(fj["backup"]["has_dependent_backups"], true);
    assert_eq!(fj["backup"]["is_incremental"], false);
    assert_eq!(fj["backup"]["size"], 2);
    let ij = c.get(&format!("{base}/backups/{inc}")).json();
    assert_eq!(ij["backup"]["is_incremental"], true);
    let r = c.delete(&format!("{base}/backups/{full}"));
    assert_eq!(
        message(&r, "badRequest"),
        "Invalid backup: Incremental backups exist for this backup."
    );
    let r = c.post(&format!("{base}/backups/{full}/action"), r#"{"os-force_delete":{}}"#);
    assert_eq!(
        message(&r, "forbidden"),
        "Policy doesn't allow volume_extension:backup_admin_actions:force_delete to be performed."
    );
    // Restore to a new volume.
    let r = c.post(&format!("{base}/backups/{full}/restore"), r#"{"restore":{}}"#);
    assert_eq!(r.status, 202);
    let rj = r.json()["restore"].clone();
    assert_eq!(rj["backup_id"], full.as_str());
    assert_eq!(rj["volume_name"], format!("restore_backup_{full}"));
    let nv = rj["volume_id"].as_str().unwrap().to_string();
    assert_eq!(status_of(&m, &c, "volumes", &nv).as_deref(), Some("restoring-backup"));
    assert_eq!(status_of(&m, &c, "backups", &full).as_deref(), Some("restoring"));
    wait_status(&m, &c, "volumes", &nv, Some("available"));
    wait_status(&m, &c, "backups", &full, Some("available"));
    let v = c.get(&format!("{base}/volumes/{nv}")).json();
    assert_eq!(v["volume"]["description"], "auto-created_from_restore_from_backup");
    assert_eq!(v["volume"]["size"], 2);
    // Restore onto an existing volume that is too small.
    let small = create_volume(&m, &c, json!({"volume": {"size": 1}}));
    wait_status(&m, &c, "volumes", &small, Some("available"));
    let r = c.post_json(
        &format!("{base}/backups/{full}/restore"),
        &json!({"restore": {"volume_id": small}}),
    );
    assert_eq!(
        message(&r, "badRequest"),
        "Invalid volume: volume size 1 is too small to restore backup of size 2."
    );
    let r = c.post_json(
        &format!("{base}/backups/{full}/restore"),
        &json!({"restore": {"volume_id": id}}),
    );
    assert_eq!(r.json()["restore"]["volume_name"], "src");
    wait_status(&m, &c, "volumes", &id, Some("available"));
    wait_status(&m, &c, "backups", &full, Some("available"));
    // Clean up everything.
    assert_eq!(c.delete(&format!("{base}/backups/{inc}")).status, 202);
    wait_status(&m, &c, "backups", &inc, None);
    assert_eq!(c.delete(&format!("{base}/backups/{full}")).status, 202);
    for v in [&id, &nv, &small] {
        assert_eq!(c.delete(&format!("{base}/volumes/{v}")).status, 202);
    }
    wait_for(|| m.counts() == ResourceCounts::default());
}

#[test]
fn nova_attach_detach_both_shapes() {
    // Long enough to see every transitional status.
    let m = MockCloud::start_with(MockOptions {
        transition: Duration::from_millis(200),
        ..Default::default()
    });
    let c = client(&m, "3.71");
    let base = m.block_storage_url();
    let server = m.add_server("vm");
    let v1 = create_volume(&m, &c, json!({"volume": {"size": 1}}));
    let v2 = create_volume(&m, &c, json!({"volume": {"size": 1}}));
    wait_status(&m, &c, "volumes", &v1, Some("available"));
    wait_status(&m, &c, "volumes", &v2, Some("available"));
    let nova =
        |mv: Option<&str>, method: &str, path: &str, body: Option<Value>| nova_call(&m, &c, mv, method, path, body);
    let att = format!("/servers/{server}/os-volume_attachments");
    // Old shape.
    let r = nova(None, "POST", &att, Some(json!({"volumeAttachment": {"volumeId": v1}})));
    assert_eq!(r.status, 200);
    assert_eq!(r.header("X-OpenStack-Nova-API-Version"), Some("2.1"));
    assert!(r.header("x-compute-request-id").is_some());
    assert_eq!(
        r.json(),
        json!({"volumeAttachment": {"device": "/dev/vdb", "id": v1, "serverId": server, "volumeId": v1}})
    );
    // Nova answered once Cinder reserved the volume; the compute host then puts
    // its connector (attaching) and completes the attachment (in-use).
    assert_eq!(status_of(&m, &c, "volumes", &v1).as_deref(), Some("reserved"));
    assert_eq!(
        c.get(&format!("{base}/volumes/{v1}")).json()["volume"]["attachments"],
        json!([])
    );
    wait_status(&m, &c, "volumes", &v1, Some("attaching"));
    wait_status(&m, &c, "volumes", &v1, Some("in-use"));
    let vj = c.get(&format!("{base}/volumes/{v1}")).json();
    let a = &vj["volume"]["attachments"][0];
    assert_eq!(a["server_id"], server.as_str());
    assert_eq!(a["device"], "/dev/vdb");
    assert_eq!(a["volume_id"], v1.as_str());
    assert_eq!(a["id"], v1.as_str());
    // New shape.
    let r = nova(
        Some("2.89"),
        "POST",
        &att,
        Some(json!({"volumeAttachment": {"volumeId": v2}})),
    );
    assert_eq!(r.status, 200);
    let j = r.json()["volumeAttachment"].clone();
    assert_eq!(j["device"], "/dev/vdc");
    assert!(j.get("id").is_none());
    assert_eq!(j["delete_on_termination"], false);
    let l = nova(Some("2.89"), "GET", &att, None).json();
    let list = l["volumeAttachments"].as_array().unwrap();
    assert_eq!(list.len(), 2);
    assert!(list
        .iter()
        .all(|a| a["attachment_id"].is_string() && a["bdm_uuid"].is_string() && a.get("id").is_none()));
    let l = nova(None, "GET", &att, None).json();
    assert!(l["volumeAttachments"]
        .as_array()
        .unwrap()
        .iter()
        .all(|a| a.get("id").is_some() && a.get("attachment_id").is_none()));
    assert_eq!(m.counts().attachments, 2);
    // Errors.
    let r = nova(
        None,
        "POST",
        "/servers/00000000-0000-0000-0000-000000000000/os-volume_attachments",
        Some(json!({"volumeAttachment": {"volumeId": v1}})),
    );
    assert_eq!(
        r.json(),
        json!({"itemNotFound": {"code": 404, "message": "Instance 00000000-0000-0000-0000-000000000000 could not be found."}})
    );
    let r = nova(
        None,
        "POST",
        &att,
        Some(json!({"volumeAttachment": {"volumeId": "00000000-0000-0000-0000-000000000000"}})),
    );
    assert_eq!(r.status, 404);
    let other = m.add_server("vm2");
    wait_status(&m, &c, "volumes", &v2, Some("in-use"));
    let r = nova(
        None,
        "POST",
        &format!("/servers/{other}/os-volume_attachments"),
        Some(json!({"volumeAttachment": {"volumeId": v2}})),
    );
    assert_eq!(r.status, 400);
    assert!(message(&r, "badRequest").is_string());
    let r = nova(
        None,
        "DELETE",
        &format!("/servers/{other}/os-volume_attachments/{v1}"),
        None,
    );
    assert_eq!(r.status, 404);
    // Detach.
    let r = nova(None, "DELETE", &format!("{att}/{v1}"), None);
    assert_eq!(r.status, 202);
    assert_eq!(status_of(&m, &c, "volumes", &v1).as_deref(), Some("detaching"));
    wait_status(&m, &c, "volumes", &v1, Some("available"));
    let vj = c.get(&format!("{base}/volumes/{v1}")).json();
    assert_eq!(vj["volume"]["attachments"], json!([]));
    let r = nova(Some("2.97"), "GET", &att, None);
    assert_eq!(r.status, 406);
}

#[test]
fn faults() {
    let m = instant();
    let c = client(&m, "3.71");
    let base = m.block_storage_url();
    let url = format!("{base}/volumes");
    // Status with default body + Retry-After, twice.
    m.inject(
        Fault::new(
            Some("GET"),
            "/volumes",
            FaultKind::Status {
                status: 503,
                body: None,
                retry_after: Some(2),
            },
        )
        .times(2),
    );
    for _ in 0..2 {
        let r = c.get(&url);
        assert_eq!(r.status, 503);
        assert_eq!(r.header("Retry-After"), Some("2"));
        assert_eq!(r.json()["serviceUnavailable"]["code"], 503);
    }
    assert_eq!(c.get(&url).status, 200);
    // Method filter.
    m.inject(Fault::new(
        Some("POST"),
        "/volumes",
        FaultKind::Status {
            status: 500,
            body: Some("{\"x\":1}".into()),
            retry_after: None,
        },
    ));
    assert_eq!(c.get(&url).status, 200);
    let r = c.post(&url, r#"{"volume":{"size":1}}"#);
    assert_eq!(r.status, 500);
    assert_eq!(r.json(), json!({"x": 1}));
    assert_eq!(m.counts().volumes, 0);
    // after: state changes, response replaced.
    m.inject(
        Fault::new(
            Some("POST"),
            "/volumes",
            FaultKind::Status {
                status: 500,
                body: None,
                retry_after: None,
            },
        )
        .after(),
    );
    let r = c.post(&url, r#"{"volume":{"size":1}}"#);
    assert_eq!(r.status, 500);
    assert_eq!(r.json()["computeFault"]["code"], 500);
    assert_eq!(m.counts().volumes, 1);
    // Delay.
    m.inject(Fault::new(
        None,
        "/volumes",
        FaultKind::Delay(Duration::from_millis(300)),
    ));
    let t = std::time::Instant::now();
    assert_eq!(c.get(&url).status, 200);
    assert!(t.elapsed() >= Duration::from_millis(300));
    // Malformed JSON, wrong shape, empty body.
    m.inject(Fault::new(None, "/volumes", FaultKind::MalformedJson));
    let r = c.get(&url);
    assert_eq!(r.status, 200);
    assert!(serde_json::from_slice::<Value>(&r.body).is_err());
    m.inject(Fault::new(None, "/volumes", FaultKind::WrongShape));
    assert_eq!(c.get(&url).json(), json!({"unexpected": []}));
    m.inject(Fault::new(None, "/volumes", FaultKind::EmptyBody));
    let r = c.get(&url);
    assert_eq!(r.status, 200);
    assert_eq!(r.header("Content-Length"), Some("0"));
    assert!(r.body.is_empty());
    // Truncated.
    m.inject(Fault::new(None, "/volumes", FaultKind::Truncated));
    let r = c.get(&url);
    assert_eq!(r.status, 200);
    assert!(r.short);
    let cl: usize = r.header("Content-Length").unwrap().parse().unwrap();
    assert_eq!(r.body.len(), cl / 2);
    // Drop.
    m.inject(Fault::new(None, "/volumes", FaultKind::DropConnection));
    let h = [("X-Auth-Token", c.token.as_str())];
    assert!(request("GET", &url, &h, None).is_err());
    // Enormous.
    m.inject(Fault::new(None, "/volumes", FaultKind::Enormous(5_000_000)));
    let r = c.get(&url);
    assert_eq!(r.status, 200);
    assert_eq!(r.body.len(), 5_000_000);
    assert!(!r.short);
    // Unauthorized.
    m.inject(Fault::new(None, "/volumes", FaultKind::Unauthorized));
    let r = c.get(&url);
    assert_eq!(r.status, 401);
    assert!(r.header("WWW-Authenticate").unwrap().starts_with("Keystone uri="));
    assert_eq!(c.get(&url).status, 200);
    // Every request was recorded, faulted ones included.
    let reqs = m.requests();
    assert_eq!(reqs.len(), 15);
    assert!(reqs
        .iter()
        .any(|r| r.method == "POST" && r.body == br#"{"volume":{"size":1}}"#));
    assert!(reqs.iter().all(|r| r.headers.iter().any(|(k, _)| k == "x-auth-token")));
    m.clear_requests();
    assert!(m.requests().is_empty());
}

#[test]
fn keep_alive_and_stop() {
    use std::io::{Read, Write};
    let m = fast();
    let tok = m.issue_token();
    let addr = m.base_url().trim_start_matches("http://").to_string();
    let mut s = std::net::TcpStream::connect(&addr).unwrap();
    let path = format!("/volume/v3/{}/volumes", m.project_id());
    let req = format!("GET {path} HTTP/1.1\r\nHost: x\r\nX-Auth-Token: {tok}\r\n\r\n");
    s.write_all(format!("{req}{req}").as_bytes()).unwrap();
    s.set_read_timeout(Some(Duration::from_millis(500))).unwrap();
    let mut buf = Vec::new();
    let mut chunk = [0u8; 4096];
    while let Ok(n) = s.read(&mut chunk) {
        if n == 0 {
            break;
        }
        buf.extend_from_slice(&chunk[..n]);
        if String::from_utf8_lossy(&buf).matches("HTTP/1.1 200").count() == 2 {
            break;
        }
    }
    assert_eq!(String::from_utf8_lossy(&buf).matches("HTTP/1.1 200").count(), 2);
    let base = m.base_url();
    m.stop();
    assert!(request("GET", &format!("{base}/volume/"), &[], None).is_err());
}

#[test]
fn snapshot_and_backup_quotas() {
    let m = instant();
    let c = client(&m, "3.71");
    let base = m.block_storage_url();
    let id = create_volume(&m, &c, json!({"volume": {"size": 5}}));
    m.set_quota("snapshots", 0);
    let r = c.post_json(&format!("{base}/snapshots"), &json!({"snapshot": {"volume_id": id}}));
    assert_eq!(r.status, 413);
    assert_eq!(r.header("Retry-After"), Some("0"));
    assert_eq!(
        message(&r, "overLimit"),
        "SnapshotLimitExceeded: Maximum number of snapshots allowed (0) exceeded"
    );
    m.set_quota("snapshots", 10);
    m.set_quota("gigabytes", 9);
    let r = c.post_json(&format!("{base}/snapshots"), &json!({"snapshot": {"volume_id": id}}));
    assert_eq!(message(&r, "overLimit"), "VolumeSizeExceedsAvailableQuota: Requested volume or snapshot exceeds allowed gigabytes quota. Requested 5G, quota is 9G and 5G has been consumed.");
    let r = c.post(
        &format!("{base}/volumes/{id}/action"),
        r#"{"os-extend":{"new_size":20}}"#,
    );
    assert_eq!(r.status, 413);
    m.set_quota("backups", 0);
    let r = c.post_json(&format!("{base}/backups"), &json!({"backup": {"volume_id": id}}));
    assert_eq!(
        message(&r, "overLimit"),
        "BackupLimitExceeded: Maximum number of backups allowed (0) exceeded"
    );
    m.set_quota("backups", -1);
    m.set_quota("backup_gigabytes", 1);
    let r = c.post_json(&format!("{base}/backups"), &json!({"backup": {"volume_id": id}}));
    assert_eq!(message(&r, "overLimit"), "VolumeBackupSizeExceedsAvailableQuota: Requested backup exceeds allowed Backup gigabytes quota. Requested 5G, quota is 1G and 0G has been consumed.");
    let q = c
        .get(&format!("{base}/os-quota-sets/{}?usage=true", m.project_id()))
        .json();
    assert_eq!(q["quota_set"]["volumes"]["in_use"], 1);
    assert_eq!(q["quota_set"]["gigabytes"]["in_use"], 5);
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

#[test]
fn mock_cloud_is_send_and_sync_and_usable_from_threads() {
    fn assert_send_sync<T: Send + Sync>() {}
    assert_send_sync::<MockCloud>();
    let m = std::sync::Arc::new(fast());
    let handles: Vec<_> = (0..4)
        .map(|i| {
            let m = m.clone();
            std::thread::spawn(move || {
                let c = client(&m, "3.71");
                create_volume(&m, &c, json!({"volume": {"size": 1, "name": format!("t{i}")}}))
            })
        })
        .collect();
    for h in handles {
        h.join().unwrap();
    }
    assert_eq!(m.counts().volumes, 4);
}

/// Runs the binary with `args`; returns it and the line of JSON it printed.
fn run_binary(args: &[&str]) -> (std::process::Child, Value) {
    use std::io::BufRead;
    let mut child = std::process::Command::new(env!("CARGO_BIN_EXE_mock-cloud"))
        .args(args)
        .stdout(std::process::Stdio::piped())
        .spawn()
        .unwrap();
    let mut line = String::new();
    std::io::BufReader::new(child.stdout.take().unwrap())
        .read_line(&mut line)
        .unwrap();
    (child, serde_json::from_str(&line).unwrap())
}

#[test]
fn binary_prints_its_endpoints() {
    let (mut child, j) = run_binary(&["--server", "vm1"]);
    for k in [
        "base_url",
        "auth_url",
        "block_storage_url",
        "compute_url",
        "project_id",
        "app_cred_id",
        "app_cred_secret",
    ] {
        assert!(j[k].is_string(), "{k}");
    }
    assert_eq!(j["server_ids"].as_array().unwrap().len(), 1);
    let body = json!({"auth": {"identity": {"methods": ["application_credential"],
        "application_credential": {"id": j["app_cred_id"], "secret": j["app_cred_secret"]}}}});
    let r = post_unauthenticated(
        &format!("{}/auth/tokens", j["auth_url"].as_str().unwrap()),
        &body.to_string(),
    );
    assert_eq!(r.status, 201);
    let _ = child.kill();
    let _ = child.wait();
}

#[test]
fn binary_fronts_another_cinder() {
    let project = "fedcba98765432100123456789abcdef";
    let cinder = format!("http://127.0.0.1:8776/v3/{project}");
    let (mut child, j) = run_binary(&["--project-id", project, "--cinder-url", &cinder]);
    assert_eq!(j["project_id"], project);
    assert_eq!(j["block_storage_url"], cinder.as_str());
    let _ = child.kill();
    let _ = child.wait();
    let help = std::process::Command::new(env!("CARGO_BIN_EXE_mock-cloud"))
        .arg("--help")
        .output()
        .unwrap();
    let help = String::from_utf8_lossy(&help.stdout);
    assert!(
        help.contains("--cinder-url URL") && help.contains("--project-id ID"),
        "{help}"
    );
    let bad = std::process::Command::new(env!("CARGO_BIN_EXE_mock-cloud"))
        .arg("--cinder-url")
        .output()
        .unwrap();
    assert_eq!(bad.status.code(), Some(2));
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

const SERVER_UUID: &str = "11111111-2222-4333-8444-555555555555";
const ZERO_UUID: &str = "00000000-0000-0000-0000-000000000000";

fn server_error_body() -> Value {
    json!({"computeFault": {"code": 500, "message": "The server has either erred or is incapable of performing the requested operation."}})
}

fn status_500() -> FaultKind {
    FaultKind::Status {
        status: 500,
        body: None,
        retry_after: None,
    }
}

/// A header of a recorded request (hyper lowercases names).
fn recorded_header<'a>(r: &'a RecordedRequest, name: &str) -> Option<&'a str> {
    r.headers
        .iter()
        .find(|(k, _)| k.eq_ignore_ascii_case(name))
        .map(|(_, v)| v.as_str())
}

/// A request as a service (Nova's service token gives `X-Service-Roles: service`).
fn as_service(c: &Client, method: &str, url: &str) -> Response {
    let mv = format!("volume {}", c.mv);
    let h = [
        ("X-Auth-Token", c.token.as_str()),
        ("OpenStack-API-Version", mv.as_str()),
        ("X-Service-Roles", "service"),
    ];
    request(method, url, &h, None).unwrap()
}

/// Cinder's attachments API (3.27+) as a real Cinder 29.0.0 answers it.
#[test]
fn cinder_attachments_reserve_connect_complete_delete() {
    let m = instant();
    let c = client(&m, "3.44");
    let c71 = client(&m, "3.71");
    let base = m.block_storage_url();
    let atts = format!("{base}/attachments");
    let vid = create_volume(&m, &c, json!({"volume": {"size": 1}}));
    let vol_url = format!("{base}/volumes/{vid}");
    let r = client(&m, "3.26").get(&atts);
    assert_eq!(
        r.json(),
        json!({"itemNotFound": {"code": 404, "message": "The resource could not be found."}})
    );

    // Reserve: the volume is `reserved` and lists no attachment yet.
    let r = c.post_json(
        &atts,
        &json!({"attachment": {"volume_uuid": vid, "instance_uuid": SERVER_UUID}}),
    );
    assert_eq!(r.status, 200);
    let aid = r.json()["attachment"]["id"].as_str().unwrap().to_string();
    assert_eq!(
        r.json(),
        json!({"attachment": {"id": aid, "status": "reserved", "instance": SERVER_UUID, "volume_id": vid,
            "attached_at": "", "detached_at": "", "attach_mode": "null", "connection_info": {}}})
    );
    assert_eq!(status_of(&m, &c, "volumes", &vid).as_deref(), Some("reserved"));
    assert_eq!(c.get(&vol_url).json()["volume"]["attachments"], json!([]));
    assert_eq!(m.counts().attachments, 1);

    // Reserved: no other server, no delete, extend, snapshot or backup.
    let r = c.post_json(
        &atts,
        &json!({"attachment": {"volume_uuid": vid, "instance_uuid": "22222222-2222-4333-8444-555555555555"}}),
    );
    assert_eq!(
        message(&r, "badRequest"),
        format!("Invalid volume: Volume {vid} status must be available or downloading to reserve, but the current status is reserved.")
    );
    let r = c71.delete(&vol_url);
    assert!(message(&r, "badRequest")
        .as_str()
        .unwrap()
        .starts_with("Invalid volume: Volume status must be available or error"));
    let r = c71.post(&format!("{vol_url}/action"), r#"{"os-extend":{"new_size":2}}"#);
    assert_eq!(
        message(&r, "badRequest"),
        format!(
            "Invalid volume: Volume {vid} status must be '{{'status': 'available'}}' to extend, currently reserved."
        )
    );
    let r = c71.post_json(&format!("{base}/snapshots"), &json!({"snapshot": {"volume_id": vid}}));
    assert_eq!(
        message(&r, "badRequest"),
        format!("Invalid volume: Volume {vid} status must be available, in-use, but current status is: reserved.")
    );
    let r = c71.post_json(
        &format!("{base}/backups"),
        &json!({"backup": {"volume_id": vid, "force": true}}),
    );
    assert_eq!(
        message(&r, "badRequest"),
        "Invalid volume: Volume to be backed up must be available or in-use, but the current status is \"reserved\"."
    );

    // The same server may reserve it again; an unconnected reservation anyone may
    // delete, and the answer lists what is left.
    let r = c.post_json(
        &atts,
        &json!({"attachment": {"volume_uuid": vid, "instance_uuid": SERVER_UUID}}),
    );
    let again = r.json()["attachment"]["id"].as_str().unwrap().to_string();
    let r = c.delete(&format!("{atts}/{again}"));
    assert_eq!(r.status, 200);
    assert_eq!(
        r.json(),
        json!({"attachments": [{"id": aid, "status": "reserved", "instance": SERVER_UUID, "volume_id": vid}]})
    );
    assert_eq!(status_of(&m, &c, "volumes", &vid).as_deref(), Some("reserved"));

    // The connector: `attaching`. The answer is the attachment as it was, with its
    // connection info.
    let connector = json!({"initiator": "iqn.1993-08.org.debian:01:cad181614cec", "ip": "192.168.1.20",
        "platform": "x86_64", "host": "compute-7", "os_type": "linux2", "multipath": false,
        "mountpoint": "/dev/vdb", "mode": "rw"});
    let put = json!({"attachment": {"connector": connector}}).to_string();
    let r = c.call("PUT", &format!("{atts}/{aid}"), Some(&put));
    assert_eq!(r.status, 200);
    let a = r.json()["attachment"].clone();
    assert_eq!(
        (&a["status"], &a["attach_mode"], &a["attached_at"]),
        (&json!("reserved"), &json!("null"), &json!(""))
    );
    assert_eq!(a["connection_info"]["attachment_id"], aid.as_str());
    assert_eq!(a["connection_info"]["volume_id"], vid.as_str());
    assert_eq!(a["connection_info"]["access_mode"], "rw");
    assert_eq!(status_of(&m, &c, "volumes", &vid).as_deref(), Some("attaching"));
    let a = c.get(&format!("{atts}/{aid}")).json()["attachment"].clone();
    assert_eq!((&a["status"], &a["attach_mode"]), (&json!("attaching"), &json!("rw")));
    assert_eq!(a["attached_at"].as_str().unwrap().len(), 26);
    assert_eq!(c.get(&vol_url).json()["volume"]["attachments"], json!([]));

    // os-complete (3.44+): `in-use`, and only now the volume lists it (the host
    // only for admins).
    let action = format!("{atts}/{aid}/action");
    assert_eq!(client(&m, "3.43").post(&action, r#"{"os-complete": null}"#).status, 404);
    let r = c.post(&action, r#"{"os-complete": null}"#);
    assert_eq!(r.status, 204);
    assert!(r.body.is_empty());
    let v = c71.get(&vol_url).json()["volume"].clone();
    assert_eq!(v["status"], "in-use");
    assert_eq!(
        v["attachments"],
        json!([{"id": vid, "attachment_id": aid, "volume_id": vid, "server_id": SERVER_UUID,
            "host_name": null, "device": "/dev/vdb", "attached_at": a["attached_at"]}])
    );

    // Lists, and their filters (`status` is no column: it matches nothing).
    let summary = json!({"id": aid, "status": "attached", "instance": SERVER_UUID, "volume_id": vid});
    assert_eq!(c.get(&atts).json(), json!({ "attachments": [summary] }));
    let detail = c.get(&format!("{atts}/detail")).json();
    assert_eq!(detail["attachments"][0]["attach_mode"], "rw");
    assert_eq!(
        detail["attachments"][0]["connection_info"]["attachment_id"],
        aid.as_str()
    );
    for (q, n) in [
        (format!("volume_id={ZERO_UUID}"), 0),
        (format!("volume_id={vid}"), 1),
        (format!("instance_id={SERVER_UUID}"), 1),
        ("attach_status=attached".to_string(), 1),
        ("status=attached".to_string(), 0),
        ("bogus=1".to_string(), 1), // a member's unknown filters are dropped
    ] {
        let l = c.get(&format!("{atts}?{q}")).json();
        assert_eq!(l["attachments"].as_array().unwrap().len(), n, "{q}");
    }

    // Nova's detach steps: os-begin_detaching (`detaching`), os-roll_detaching.
    let vol_action = format!("{vol_url}/action");
    assert_eq!(c.post(&vol_action, r#"{"os-begin_detaching": null}"#).status, 202);
    assert_eq!(status_of(&m, &c, "volumes", &vid).as_deref(), Some("detaching"));
    let r = c.post(&vol_action, r#"{"os-begin_detaching": null}"#);
    assert_eq!(message(&r, "badRequest"), "Invalid volume: Unable to detach volume. Volume status must be 'in-use' and attach_status must be 'attached' to detach.");
    assert_eq!(c.post(&vol_action, r#"{"os-roll_detaching": null}"#).status, 202);
    assert_eq!(status_of(&m, &c, "volumes", &vid).as_deref(), Some("in-use"));

    // Connected to a server: only a service deletes it (for anyone else Cinder
    // asks Nova, and there is no Nova).
    let r = c.delete(&format!("{atts}/{aid}"));
    assert_eq!((r.status, r.json()), (500, server_error_body()));
    assert_eq!(status_of(&m, &c, "volumes", &vid).as_deref(), Some("in-use"));
    let r = as_service(&c, "DELETE", &format!("{atts}/{aid}"));
    assert_eq!((r.status, r.json()), (200, json!({"attachments": []})));
    let v = c.get(&vol_url).json()["volume"].clone();
    assert_eq!((&v["status"], &v["attachments"]), (&json!("available"), &json!([])));
    assert_eq!(m.counts().attachments, 0);
    let r = c.get(&format!("{atts}/{aid}"));
    assert_eq!(
        message(&r, "itemNotFound"),
        format!("Volume attachment could not be found with filter: attachment_id = {aid}.")
    );
}

/// Cinder's refusals on the attachments API, worded as real Cinder words them.
#[test]
fn cinder_attachment_errors() {
    let m = MockCloud::start_with(MockOptions {
        transition: Duration::ZERO,
        admin: true,
        ..Default::default()
    });
    let c = client(&m, "3.44");
    let base = m.block_storage_url();
    let atts = format!("{base}/attachments");
    let vid = create_volume(&m, &c, json!({"volume": {"size": 1}}));
    let field = |f: &str, v: &str, why: &str| format!("Invalid input for field/attribute {f}. Value: {v}. {why}");
    let cases = [
        (json!({}), "'attachment' is a required property".to_string()),
        (
            json!({"attachment": 5}),
            field("attachment", "5", "5 is not of type 'object'"),
        ),
        (
            json!({"attachment": {"instance_uuid": SERVER_UUID}}),
            field(
                "attachment",
                &format!("{{'instance_uuid': '{SERVER_UUID}'}}"),
                "'volume_uuid' is a required property",
            ),
        ),
        (
            json!({"attachment": {"volume_uuid": "abc"}}),
            field("volume_uuid", "abc", "'abc' is not a 'uuid'"),
        ),
        (
            json!({"attachment": {"volume_uuid": 5}}),
            field("volume_uuid", "5", "5 is not of type 'string'"),
        ),
        (
            json!({"attachment": {"volume_uuid": vid, "instance_uuid": null}}),
            field("instance_uuid", "None", "None is not of type 'string'"),
        ),
        (
            json!({"attachment": {"volume_uuid": vid, "connector": "x"}}),
            field("connector", "x", "'x' is not of type 'object', 'null'"),
        ),
        (
            json!({"attachment": {"volume_uuid": vid, "mode": "rw"}}),
            field(
                "attachment",
                &format!("{{'mode': 'rw', 'volume_uuid': '{vid}'}}"),
                "Additional properties are not allowed ('mode' was unexpected)",
            ),
        ),
        (
            json!({"attachment": {"volume_uuid": vid}, "x": 1}),
            "Additional properties are not allowed ('x' was unexpected)".to_string(),
        ),
    ];
    for (body, msg) in cases {
        let r = c.post_json(&atts, &body);
        assert_eq!(message(&r, "badRequest"), msg.as_str(), "{body}");
    }
    let r = client(&m, "3.54").post_json(&atts, &json!({"attachment": {"volume_uuid": vid, "mode": "xx"}}));
    assert_eq!(
        message(&r, "badRequest"),
        field("mode", "xx", "'xx' is not one of ['rw', 'ro']").as_str()
    );
    assert_eq!(
        c.post(&atts, "nope").json(),
        json!({"badRequest": {"code": 400, "message": "Malformed request body"}})
    );
    assert_eq!(c.call("POST", &atts, None).json(), server_error_body());
    let r = c.post_json(&atts, &json!({"attachment": {"volume_uuid": ZERO_UUID}}));
    assert_eq!(
        message(&r, "itemNotFound"),
        format!("Volume {ZERO_UUID} could not be found.")
    );
    m.set_status("volume", &vid, "error");
    let r = c.post_json(&atts, &json!({"attachment": {"volume_uuid": vid}}));
    assert_eq!(message(&r, "badRequest"), format!("Invalid volume: Volume attachments can not be created if the volume is in an error state. The Volume {vid} currently has a status of: error "));
    m.set_status("volume", &vid, "available");

    // An admin's unknown filter matches nothing.
    assert_eq!(c.get(&format!("{atts}?bogus=1")).json(), json!({"attachments": []}));
    // Unknown attachments.
    let gone = format!("Volume attachment could not be found with filter: attachment_id = {ZERO_UUID}.");
    let put = r#"{"attachment": {"connector": {"host": "h"}}}"#;
    for (method, path, body) in [
        ("GET", ZERO_UUID.to_string(), None),
        ("PUT", ZERO_UUID.to_string(), Some(put)),
        ("DELETE", ZERO_UUID.to_string(), None),
        ("POST", format!("{ZERO_UUID}/action"), Some(r#"{"os-complete": null}"#)),
    ] {
        let r = c.call(method, &format!("{atts}/{path}"), body);
        assert_eq!(message(&r, "itemNotFound"), gone.as_str(), "{method}");
    }

    // Updates: body, a second connection to a single-attach volume, an error volume.
    let reserve = json!({"attachment": {"volume_uuid": vid, "instance_uuid": SERVER_UUID}});
    let a1 = c.post_json(&atts, &reserve).json()["attachment"]["id"]
        .as_str()
        .unwrap()
        .to_string();
    let a2 = c.post_json(&atts, &reserve).json()["attachment"]["id"]
        .as_str()
        .unwrap()
        .to_string();
    for (body, msg) in [
        (
            r#"{"attachment": {}}"#,
            field("attachment", "{}", "'connector' is a required property"),
        ),
        (
            r#"{"attachment": {"connector": {}}}"#,
            field("connector", "{}", "{} should be non-empty"),
        ),
        (
            r#"{"attachment": {"connector": null}}"#,
            field("connector", "None", "None is not of type 'object'"),
        ),
    ] {
        let r = c.call("PUT", &format!("{atts}/{a1}"), Some(body));
        assert_eq!(message(&r, "badRequest"), msg.as_str(), "{body}");
    }
    assert_eq!(c.call("PUT", &format!("{atts}/{a1}"), Some(put)).status, 200);
    let r = c.call("PUT", &format!("{atts}/{a2}"), Some(put));
    assert_eq!(
        r.json(),
        json!({"conflictingRequest": {"code": 409, "message": format!("Resource conflict: duplicate connectors detected on volume {vid}")}})
    );
    m.set_status("volume", &vid, "error");
    let r = c.call("PUT", &format!("{atts}/{a1}"), Some(put));
    assert_eq!(message(&r, "conflictingRequest"), format!("Resource conflict: Volume attachments can not be updated if the volume is in an error state. The Volume {vid} currently has a status of: error "));
    // Actions: exactly one key, and only os-complete.
    let action = format!("{atts}/{a1}/action");
    let r = c.post(&action, r#"{"os-complete": null, "x": 1}"#);
    assert_eq!(message(&r, "badRequest"), "Malformed request body");
    let r = c.post(&action, r#"{"os-foo": null}"#);
    assert_eq!(
        message(&r, "badRequest"),
        "There is no such action: os-foo. Verify the request body and Content-Type header and try again."
    );
    // An attachment goes with its volume.
    let r = c.post(&format!("{base}/volumes/{vid}/action"), r#"{"os-force_delete": {}}"#);
    assert_eq!(r.status, 202);
    wait_for(|| m.counts() == ResourceCounts::default());
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

/// Nova attaches and detaches through Cinder's attachments API over HTTP, as the
/// caller, at 3.44, with Content-Length bodies; zero transition: done before it answers.
#[test]
fn nova_attaches_through_cinder_over_http() {
    let m = MockCloud::start_with(MockOptions {
        transition: Duration::ZERO,
        admin: true,
        ..Default::default()
    });
    let c = client(&m, "3.71");
    let server = m.add_server("vm");
    let vid = create_volume(&m, &c, json!({"volume": {"size": 1}}));
    let vol_url = format!("{}/volumes/{vid}", m.block_storage_url());
    let att = format!("/servers/{server}/os-volume_attachments");
    m.clear_requests();
    let body = json!({"volumeAttachment": {"volumeId": vid, "device": "/dev/vdc"}});
    let r = nova_call(&m, &c, Some("2.89"), "POST", &att, Some(body));
    assert_eq!(r.status, 200);
    let v = c.get(&vol_url).json()["volume"].clone();
    assert_eq!(v["status"], "in-use");
    let a = v["attachments"][0].clone();
    assert_eq!(a["server_id"], server.as_str());
    assert_eq!(a["device"], "/dev/vdc");
    assert_eq!(a["host_name"], "mock-compute-01");
    let aid = a["attachment_id"].as_str().unwrap().to_string();
    let listed = nova_call(&m, &c, Some("2.89"), "GET", &att, None).json();
    assert_eq!(listed["volumeAttachments"][0]["attachment_id"], aid.as_str());
    assert_eq!(m.counts().attachments, 1);

    // What Nova sent, apart from what clients sent.
    let prefix = format!("/volume/v3/{}", m.project_id());
    let calls = |sent: &[RecordedRequest]| -> Vec<String> {
        let path = |r: &RecordedRequest| r.path.strip_prefix(&prefix).unwrap_or(&r.path).to_string();
        sent.iter().map(|r| format!("{} {}", r.method, path(r))).collect()
    };
    let sent = m.nova_requests();
    assert_eq!(
        calls(&sent),
        [
            format!("GET /volumes/{vid}"),
            "POST /attachments".to_string(),
            format!("PUT /attachments/{aid}"),
            format!("POST /attachments/{aid}/action"),
        ]
    );
    assert!(m.requests().iter().all(|r| !r.path.contains("/attachments")));
    for r in &sent {
        assert_eq!(recorded_header(r, "X-Auth-Token"), Some(c.token.as_str()));
        assert_eq!(recorded_header(r, "OpenStack-API-Version"), Some("volume 3.44"));
        assert_eq!(recorded_header(r, "Transfer-Encoding"), None);
        if !r.body.is_empty() {
            assert_eq!(
                recorded_header(r, "Content-Length"),
                Some(r.body.len().to_string().as_str())
            );
            assert_eq!(recorded_header(r, "Content-Type"), Some("application/json"));
        }
    }
    let body = |i: usize| serde_json::from_slice::<Value>(&sent[i].body).unwrap();
    assert_eq!(
        body(1),
        json!({"attachment": {"volume_uuid": vid, "instance_uuid": server}})
    );
    let connector = body(2)["attachment"]["connector"].clone();
    assert_eq!(
        (&connector["host"], &connector["mountpoint"], &connector["mode"]),
        (&json!("mock-compute-01"), &json!("/dev/vdc"), &json!("rw"))
    );
    for k in ["initiator", "ip", "platform", "os_type"] {
        assert!(connector[k].is_string(), "{k}");
    }
    assert_eq!(connector["multipath"], false);
    assert_eq!(body(3), json!({"os-complete": null}));

    // Detach: os-begin_detaching, then the attachment deleted as a service.
    m.clear_requests();
    let r = nova_call(&m, &c, None, "DELETE", &format!("{att}/{vid}"), None);
    assert_eq!(r.status, 202);
    let v = c.get(&vol_url).json()["volume"].clone();
    assert_eq!((&v["status"], &v["attachments"]), (&json!("available"), &json!([])));
    assert_eq!(
        nova_call(&m, &c, None, "GET", &att, None).json(),
        json!({"volumeAttachments": []})
    );
    assert_eq!(
        m.counts(),
        ResourceCounts {
            volumes: 1,
            ..Default::default()
        }
    );
    let sent = m.nova_requests();
    assert_eq!(
        calls(&sent),
        [
            format!("GET /volumes/{vid}"),
            format!("POST /volumes/{vid}/action"),
            format!("DELETE /attachments/{aid}"),
        ]
    );
    assert_eq!(body_json(&sent[1]), json!({"os-begin_detaching": null}));
    assert_eq!(recorded_header(&sent[2], "X-Service-Roles"), Some("service"));
    assert_eq!(recorded_header(&sent[1], "X-Service-Roles"), None);
}

fn body_json(r: &RecordedRequest) -> Value {
    serde_json::from_slice(&r.body).unwrap()
}

/// When the compute host's part fails Nova rolls back: a failed attach deletes the
/// attachment and forgets the BDM; a failed detach brings the BDM back and the
/// volume back to in-use. Nova's API has answered by then.
#[test]
fn nova_rolls_back_failed_attach_and_detach() {
    let m = instant();
    let c = client(&m, "3.71");
    let server = m.add_server("vm");
    let vid = create_volume(&m, &c, json!({"volume": {"size": 1}}));
    let att = format!("/servers/{server}/os-volume_attachments");
    let attach = || {
        nova_call(
            &m,
            &c,
            None,
            "POST",
            &att,
            Some(json!({"volumeAttachment": {"volumeId": vid}})),
        )
    };
    let detach = || nova_call(&m, &c, None, "DELETE", &format!("{att}/{vid}"), None);
    let bdms = || {
        nova_call(&m, &c, None, "GET", &att, None).json()["volumeAttachments"]
            .as_array()
            .unwrap()
            .len()
    };
    // The connector (PUT), then os-complete (POST .../attachments/{id}/action) fail.
    for method in ["PUT", "POST"] {
        m.inject(Fault::new(Some(method), "/attachments/", status_500()));
        assert_eq!(attach().status, 200, "{method}");
        assert_eq!(
            status_of(&m, &c, "volumes", &vid).as_deref(),
            Some("available"),
            "{method}"
        );
        assert_eq!((bdms(), m.counts().attachments), (0, 0), "{method}");
    }
    assert_eq!(attach().status, 200);
    assert_eq!(status_of(&m, &c, "volumes", &vid).as_deref(), Some("in-use"));
    m.inject(Fault::new(Some("DELETE"), "/attachments/", status_500()));
    assert_eq!(detach().status, 202);
    assert_eq!(status_of(&m, &c, "volumes", &vid).as_deref(), Some("in-use"));
    assert_eq!((bdms(), m.counts().attachments), (1, 1));
    assert_eq!(detach().status, 202);
    assert_eq!(status_of(&m, &c, "volumes", &vid).as_deref(), Some("available"));
    assert_eq!((bdms(), m.counts().attachments), (0, 0));
}

/// With a transition Nova answers first: the volume is `reserved`, then
/// `attaching`, then `in-use`; `detaching`, then `available`. Cinder's refusals
/// become Nova's 400s with Cinder's message and request id.
#[test]
fn nova_answers_first_and_reports_cinder_refusals() {
    let m = MockCloud::start_with(MockOptions {
        transition: Duration::from_millis(150),
        ..Default::default()
    });
    let c = client(&m, "3.71");
    let server = m.add_server("vm");
    let other = m.add_server("vm2");
    let vid = create_volume(&m, &c, json!({"volume": {"size": 1}}));
    wait_status(&m, &c, "volumes", &vid, Some("available"));
    let att = format!("/servers/{server}/os-volume_attachments");
    let attach = |sid: &str, vid: &str| {
        let path = format!("/servers/{sid}/os-volume_attachments");
        nova_call(
            &m,
            &c,
            None,
            "POST",
            &path,
            Some(json!({"volumeAttachment": {"volumeId": vid}})),
        )
    };
    let detach = || nova_call(&m, &c, None, "DELETE", &format!("{att}/{vid}"), None);
    let nova_400 = |r: &Response, prefix: &str| {
        let msg = message(r, "badRequest").as_str().unwrap().to_string();
        let rest = msg.strip_prefix(prefix).unwrap_or_else(|| panic!("{msg}"));
        assert!(
            rest.starts_with(" (HTTP 400) (Request-ID: req-") && rest.ends_with(')'),
            "{msg}"
        );
    };
    assert_eq!(attach(&server, &vid).status, 200);
    assert_eq!(status_of(&m, &c, "volumes", &vid).as_deref(), Some("reserved"));
    // Not attached yet: Cinder refuses os-begin_detaching.
    let r = detach();
    assert_eq!(r.status, 400);
    nova_400(&r, "Invalid volume: Invalid input received: Invalid volume: Unable to detach volume. Volume status must be 'in-use' and attach_status must be 'attached' to detach.");
    // Another server: Cinder refuses the reservation.
    let r = attach(&other, &vid);
    nova_400(&r, &format!("Invalid input received: Invalid volume: Volume {vid} status must be available or downloading to reserve, but the current status is reserved."));
    let r = attach(&other, ZERO_UUID);
    assert_eq!(
        message(&r, "itemNotFound"),
        format!("Volume {ZERO_UUID} could not be found.")
    );
    let r = nova_call(
        &m,
        &c,
        None,
        "DELETE",
        &format!("/servers/{other}/os-volume_attachments/{ZERO_UUID}"),
        None,
    );
    assert_eq!(
        message(&r, "itemNotFound"),
        format!("Volume {ZERO_UUID} could not be found.")
    );
    wait_status(&m, &c, "volumes", &vid, Some("attaching"));
    wait_status(&m, &c, "volumes", &vid, Some("in-use"));
    // Detach: `detaching` while the hypervisor lets go, then `available`.
    assert_eq!(detach().status, 202);
    assert_eq!(status_of(&m, &c, "volumes", &vid).as_deref(), Some("detaching"));
    assert_eq!(m.counts().attachments, 1);
    wait_status(&m, &c, "volumes", &vid, Some("available"));
    assert_eq!(m.counts().attachments, 0);
    // A completion failing after the answer is rolled back too.
    m.inject(Fault::new(Some("POST"), "/attachments/", status_500()));
    assert_eq!(attach(&server, &vid).status, 200);
    wait_status(&m, &c, "volumes", &vid, Some("attaching"));
    wait_status(&m, &c, "volumes", &vid, Some("available"));
    wait_for(|| nova_call(&m, &c, None, "GET", &att, None).json() == json!({"volumeAttachments": []}));
    assert_eq!(m.counts().attachments, 0);
}

/// `cinder_url`: Nova and the catalog front another Cinder (here a second mock);
/// Nova forwards the caller's token unchecked and that Cinder judges it.
#[test]
fn nova_in_front_of_another_cinder() {
    let cinder = instant();
    let c = client(&cinder, "3.71");
    let nova = MockCloud::start_with(MockOptions {
        transition: Duration::from_millis(50),
        cinder_url: Some(cinder.block_storage_url()),
        ..Default::default()
    });
    assert_eq!(nova.block_storage_url(), cinder.block_storage_url());
    let body = json!({"auth": {"identity": {"methods": ["application_credential"],
        "application_credential": {"id": APP_CRED_ID, "secret": APP_CRED_SECRET}}}});
    let r = post_unauthenticated(&format!("{}/auth/tokens", nova.auth_url()), &body.to_string());
    let catalog = r.json()["token"]["catalog"].clone();
    for service in catalog.as_array().unwrap() {
        let want = match service["type"].as_str().unwrap() {
            "compute" => nova.compute_url(),
            _ => cinder.block_storage_url(),
        };
        for e in service["endpoints"].as_array().unwrap() {
            assert_eq!(e["url"], want.as_str(), "{service}");
        }
    }

    let server = nova.add_server("vm");
    let vid = create_volume(&cinder, &c, json!({"volume": {"size": 1}}));
    let att = format!("/servers/{server}/os-volume_attachments");
    // `c`'s token comes from the other mock: this Nova's Keystone never issued it.
    let r = nova_call(
        &nova,
        &c,
        None,
        "POST",
        &att,
        Some(json!({"volumeAttachment": {"volumeId": vid}})),
    );
    assert_eq!(r.status, 200);
    wait_status(&cinder, &c, "volumes", &vid, Some("in-use"));
    assert_eq!((nova.counts().attachments, cinder.counts().attachments), (0, 1));
    assert_eq!(cinder.nova_requests().len(), 4);
    assert!(cinder.requests().iter().all(|r| !r.path.contains("/attachments")));
    // A token that Cinder refuses; none at all.
    let bogus = Client {
        token: "bogus".into(),
        mv: "3.71".into(),
    };
    let r = nova_call(&nova, &bogus, None, "DELETE", &format!("{att}/{vid}"), None);
    assert_eq!((r.status, r.json()["error"]["code"].clone()), (401, json!(401)));
    let r = request("GET", &format!("{}{att}", nova.compute_url()), &[], None).unwrap();
    assert_eq!(r.status, 401);
    assert_eq!(
        nova_call(&nova, &c, None, "DELETE", &format!("{att}/{vid}"), None).status,
        202
    );
    wait_status(&cinder, &c, "volumes", &vid, Some("available"));
    assert_eq!(cinder.counts().attachments, 0);

    // A Cinder that does not answer.
    let lost = MockCloud::start_with(MockOptions {
        cinder_url: Some("http://127.0.0.1:1/v3/0123456789abcdef0123456789abcdef".into()),
        ..Default::default()
    });
    let sid = lost.add_server("vm");
    let path = format!("/servers/{sid}/os-volume_attachments");
    let r = nova_call(
        &lost,
        &c,
        None,
        "POST",
        &path,
        Some(json!({"volumeAttachment": {"volumeId": vid}})),
    );
    assert_eq!((r.status, r.json()["computeFault"]["code"].clone()), (500, json!(500)));
}

/// The mock's Nova in front of a real Cinder 29.0.0: run
/// `../shared/real-cinder/run-cinder.sh PORT` and set `REAL_CINDER_URL=http://127.0.0.1:PORT`.
#[test]
fn nova_in_front_of_real_cinder() {
    let Ok(url) = std::env::var("REAL_CINDER_URL") else {
        println!(
            "nova_in_front_of_real_cinder: SKIPPED: REAL_CINDER_URL is not set (start ../shared/real-cinder/run-cinder.sh PORT, then REAL_CINDER_URL=http://127.0.0.1:PORT)"
        );
        return;
    };
    let project = "0123456789abcdef0123456789abcdef";
    let nova = MockCloud::start_with(MockOptions {
        project_id: project.into(),
        cinder_url: Some(format!("{}/v3/{project}", url.trim_end_matches('/'))),
        transition: Duration::from_millis(100),
        ..Default::default()
    });
    // Cinder's noauth: `user:project` tokens.
    let c = Client {
        token: format!("demo:{project}"),
        mv: "3.71".into(),
    };
    let server = nova.add_server("vm");
    let vid = create_volume(
        &nova,
        &c,
        json!({"volume": {"size": 1, "name": "mock-nova-real-cinder"}}),
    );
    wait_status(&nova, &c, "volumes", &vid, Some("available"));
    let att = format!("/servers/{server}/os-volume_attachments");
    let r = nova_call(
        &nova,
        &c,
        None,
        "POST",
        &att,
        Some(json!({"volumeAttachment": {"volumeId": vid}})),
    );
    assert_eq!(r.status, 200, "{}", String::from_utf8_lossy(&r.body));
    assert_eq!(r.json()["volumeAttachment"]["device"], "/dev/vdb");
    wait_status(&nova, &c, "volumes", &vid, Some("in-use"));
    let vol_url = format!("{}/volumes/{vid}", nova.block_storage_url());
    let a = c.get(&vol_url).json()["volume"]["attachments"][0].clone();
    assert_eq!((&a["server_id"], &a["device"]), (&json!(server), &json!("/dev/vdb")));
    let listed = nova_call(&nova, &c, Some("2.89"), "GET", &att, None).json();
    assert_eq!(listed["volumeAttachments"][0]["attachment_id"], a["attachment_id"]);
    // Attached: real Cinder refuses another server and a plain delete.
    let other = nova.add_server("vm2");
    let r = nova_call(
        &nova,
        &c,
        None,
        "POST",
        &format!("/servers/{other}/os-volume_attachments"),
        Some(json!({"volumeAttachment": {"volumeId": vid}})),
    );
    assert_eq!(r.status, 400, "{}", String::from_utf8_lossy(&r.body));
    assert_eq!(c.delete(&vol_url).status, 400);

    let r = nova_call(&nova, &c, None, "DELETE", &format!("{att}/{vid}"), None);
    assert_eq!(r.status, 202, "{}", String::from_utf8_lossy(&r.body));
    wait_status(&nova, &c, "volumes", &vid, Some("available"));
    assert_eq!(c.get(&vol_url).json()["volume"]["attachments"], json!([]));
    assert_eq!(
        nova_call(&nova, &c, None, "GET", &att, None).json(),
        json!({"volumeAttachments": []})
    );
    assert_eq!(c.delete(&vol_url).status, 202);
    wait_status(&nova, &c, "volumes", &vid, None);
}
