//! Cinder volume transfers between projects (`os-volume-transfer` and
//! `volume-transfers`), as a real Cinder 29.0.0 answers them
//! (`fixtures/real-cinder-transcript-actions.txt`, section 7). The second
//! project's requests use `MockCloud::issue_token_for`.

use crate::common::{message, Client, Response};
use crate::{client, create_volume, status_of, wait_status};
use mock_cloud::{MockCloud, MockOptions};
use serde_json::{json, Value};
use std::time::Duration;

const OTHER: &str = "5e4d3c2b1a0f9e8d7c6b5a4f3e2d1c0b";
const ZERO: &str = "00000000-0000-0000-0000-000000000000";

fn mock(admin: bool) -> MockCloud {
    MockCloud::start_with(MockOptions {
        transition: Duration::ZERO,
        admin,
        ..Default::default()
    })
}

/// A client of the other project and its Cinder URL.
fn other(m: &MockCloud, mv: &str) -> (Client, String) {
    let c = Client {
        token: m.issue_token_for(OTHER),
        mv: mv.to_string(),
    };
    (c, m.block_storage_url_for(OTHER))
}

fn volume(m: &MockCloud, c: &Client, name: &str) -> String {
    create_volume(m, c, json!({"volume": {"size": 1, "name": name}}))
}

fn snapshot(m: &MockCloud, c: &Client, vid: &str) -> String {
    let r = c.post_json(
        &format!("{}/snapshots", m.block_storage_url()),
        &json!({"snapshot": {"volume_id": vid}}),
    );
    r.json()["snapshot"]["id"].as_str().unwrap().to_string()
}

fn transfer(m: &MockCloud, c: &Client, coll: &str, body: Value) -> Response {
    c.post_json(
        &format!("{}/{coll}", m.block_storage_url()),
        &json!({ "transfer": body }),
    )
}

fn links(base: &str, id: &str) -> Value {
    let (app, project) = base.rsplit_once("/v3/").unwrap();
    json!([{"rel": "self", "href": format!("{base}/os-volume-transfer/{id}")},
           {"rel": "bookmark", "href": format!("{app}/{project}/os-volume-transfer/{id}")}])
}

#[test]
fn transfer_and_accept_from_another_project() {
    let m = mock(false);
    let c = client(&m, "3.71");
    let base = m.block_storage_url();
    let vid = volume(&m, &c, "transfer");
    let sid = snapshot(&m, &c, &vid);
    let r = c.post_json(&format!("{base}/backups"), &json!({"backup": {"volume_id": vid}}));
    let bid = r.json()["backup"]["id"].as_str().unwrap().to_string();
    wait_status(&m, &c, "backups", &bid, Some("available"));
    let r = transfer(&m, &c, "os-volume-transfer", json!({"volume_id": vid, "name": "first"}));
    assert_eq!(r.status, 202);
    let t = r.json()["transfer"].clone();
    let (tid, key) = (
        t["id"].as_str().unwrap().to_string(),
        t["auth_key"].as_str().unwrap().to_string(),
    );
    assert_eq!(key.len(), 16);
    assert!(key.chars().all(|c| c.is_ascii_hexdigit()));
    assert_eq!(
        t,
        json!({"id": tid, "created_at": t["created_at"], "name": "first", "volume_id": vid, "auth_key": key,
               "links": links(&base, &tid), "no_snapshots": false, "destination_project_id": null,
               "source_project_id": m.project_id(), "accepted": false})
    );
    assert_eq!(status_of(&m, &c, "volumes", &vid).as_deref(), Some("awaiting-transfer"));
    // Lists and shows, by microversion.
    let summary = json!({"id": tid, "volume_id": vid, "name": "first", "links": links(&base, &tid)});
    assert_eq!(
        c.get(&format!("{base}/os-volume-transfer")).json(),
        json!({"transfers": [summary]})
    );
    let mut detail = t.clone();
    detail.as_object_mut().unwrap().remove("auth_key");
    assert_eq!(
        c.get(&format!("{base}/os-volume-transfer/detail")).json(),
        json!({"transfers": [detail]})
    );
    assert_eq!(
        c.get(&format!("{base}/os-volume-transfer/{tid}")).json(),
        json!({"transfer": detail})
    );
    let d30 = json!({"id": tid, "created_at": t["created_at"], "name": "first", "volume_id": vid, "links": links(&base, &tid)});
    let r = client(&m, "3.0").get(&format!("{base}/os-volume-transfer/{tid}"));
    assert_eq!(r.json(), json!({"transfer": d30}));
    // volume-transfers answers at 3.0 too (its links say os-volume-transfer).
    let r = client(&m, "3.0").get(&format!("{base}/volume-transfers"));
    assert_eq!(r.json(), json!({"transfers": [summary]}));
    let r = client(&m, "3.55").get(&format!("{base}/volume-transfers/detail"));
    let mut d55 = d30.clone();
    d55["no_snapshots"] = json!(false);
    assert_eq!(r.json(), json!({"transfers": [d55]}));
    // Another project's member sees none of it.
    let (o, obase) = other(&m, "3.71");
    let r = o.get(&format!("{obase}/os-volume-transfer/{tid}"));
    assert_eq!(
        message(&r, "itemNotFound"),
        format!("Transfer {tid} could not be found.")
    );
    assert_eq!(
        o.get(&format!("{obase}/os-volume-transfer")).json(),
        json!({"transfers": []})
    );
    assert_eq!(o.get(&format!("{obase}/volumes/{vid}")).status, 404);
    // The volume is awaiting the transfer.
    let r = transfer(&m, &c, "os-volume-transfer", json!({"volume_id": vid, "name": "again"}));
    assert_eq!(message(&r, "badRequest"), "Invalid volume: status must be available");
    let r = c.delete(&format!("{base}/volumes/{vid}"));
    assert!(message(&r, "badRequest")
        .as_str()
        .unwrap()
        .contains("awaiting a transfer"));
    // Accept: a wrong key, then the right one.
    let accept = |key: Value| {
        o.post_json(
            &format!("{obase}/os-volume-transfer/{tid}/accept"),
            &json!({"accept": {"auth_key": key}}),
        )
    };
    for wrong in [json!("wrong"), json!(12345)] {
        let r = accept(wrong);
        assert_eq!(
            r.json(),
            json!({"badRequest": {"code": 400, "message": format!("Invalid auth key: Attempt to transfer {tid} with invalid auth key.")}})
        );
    }
    let r = accept(json!(key));
    assert_eq!(r.status, 202);
    assert_eq!(
        r.json(),
        json!({"transfer": {"id": tid, "volume_id": vid, "name": "first", "links": links(&obase, &tid)}})
    );
    // The volume and its snapshot are the other project's now.
    let v = o.get(&format!("{obase}/volumes/{vid}")).json()["volume"].clone();
    assert_eq!(
        (v["status"].as_str(), v["os-vol-tenant-attr:tenant_id"].as_str()),
        (Some("available"), Some(OTHER))
    );
    let s = o.get(&format!("{obase}/snapshots/{sid}")).json()["snapshot"].clone();
    assert_eq!(s["os-extended-snapshot-attributes:project_id"], OTHER);
    let r = c.get(&format!("{base}/volumes/{vid}"));
    assert_eq!(message(&r, "itemNotFound"), format!("Volume {vid} could not be found."));
    assert_eq!(c.get(&format!("{base}/volumes")).json(), json!({"volumes": []}));
    assert_eq!(c.get(&format!("{base}/snapshots")).json(), json!({"snapshots": []}));
    assert_eq!(
        o.get(&format!("{obase}/volumes")).json()["volumes"][0]["id"],
        vid.as_str()
    );
    // The transfer is gone.
    let r = accept(json!(key));
    assert_eq!(
        r.json(),
        json!({"itemNotFound": {"code": 404, "message": format!("Transfer {tid} could not be found.")}})
    );
    assert_eq!(c.get(&format!("{base}/os-volume-transfer/{tid}")).status, 404);
    assert_eq!(
        c.get(&format!("{base}/os-volume-transfer")).json(),
        json!({"transfers": []})
    );
    // The new owner may delete it; counts see every project.
    assert_eq!(m.counts().volumes, 1);
    assert_eq!(o.delete(&format!("{obase}/volumes/{vid}?cascade=true")).status, 202);
    assert_eq!(
        (m.counts().volumes, m.counts().snapshots, m.counts().backups),
        (0, 0, 1)
    );
}

#[test]
fn no_snapshots_and_delete() {
    let m = mock(false);
    let c = client(&m, "3.71");
    let base = m.block_storage_url();
    let vid = volume(&m, &c, "u");
    let sid = snapshot(&m, &c, &vid);
    let unexpected = format!("Invalid input for field/attribute transfer. Value: {{'no_snapshots': True, 'volume_id': '{vid}'}}. Additional properties are not allowed ('no_snapshots' was unexpected)");
    let body = json!({"volume_id": vid, "no_snapshots": true});
    let r = transfer(&m, &client(&m, "3.55"), "os-volume-transfer", body.clone());
    assert_eq!(message(&r, "badRequest"), unexpected.as_str());
    let r = transfer(&m, &client(&m, "3.54"), "volume-transfers", body.clone());
    assert_eq!(message(&r, "badRequest"), unexpected.as_str());
    let r = transfer(&m, &client(&m, "3.55"), "volume-transfers", body.clone());
    assert_eq!(r.status, 202);
    let t = r.json()["transfer"].clone();
    let tid = t["id"].as_str().unwrap().to_string();
    assert_eq!(
        (t["no_snapshots"].clone(), t["name"].clone()),
        (json!(true), Value::Null)
    );
    assert!(t.get("source_project_id").is_none()); // 3.57
    let r = c.delete(&format!("{base}/os-volume-transfer/{tid}"));
    assert_eq!((r.status, r.body.is_empty()), (202, true));
    assert_eq!(r.header("Content-Type"), Some("text/html; charset=UTF-8"));
    assert_eq!(status_of(&m, &c, "volumes", &vid).as_deref(), Some("available"));
    let r = c.delete(&format!("{base}/os-volume-transfer/{tid}"));
    assert_eq!(
        message(&r, "itemNotFound"),
        format!("Transfer {tid} could not be found.")
    );
    // Accepted without its snapshots: they stay with the donor.
    let r = transfer(&m, &c, "volume-transfers", body);
    let t = r.json()["transfer"].clone();
    let (o, obase) = other(&m, "3.71");
    let url = format!("{obase}/volume-transfers/{}/accept", t["id"].as_str().unwrap());
    let r = o.post_json(&url, &json!({"accept": {"auth_key": t["auth_key"]}}));
    assert_eq!(r.status, 202);
    assert_eq!(o.get(&format!("{obase}/volumes/{vid}")).status, 200);
    let s = c.get(&format!("{base}/snapshots/{sid}")).json()["snapshot"].clone();
    assert_eq!(s["os-extended-snapshot-attributes:project_id"], m.project_id());
    // Its snapshot elsewhere keeps the volume from being deleted, even with cascade.
    let r = o.delete(&format!("{obase}/volumes/{vid}?cascade=true"));
    assert!(message(&r, "badRequest")
        .as_str()
        .unwrap()
        .starts_with("Invalid volume: Volume status must be"));
}

#[test]
fn snapshots_must_be_available() {
    let m = mock(false);
    let c = client(&m, "3.71");
    let vid = volume(&m, &c, "w");
    let sid = snapshot(&m, &c, &vid);
    m.set_status("snapshot", &sid, "error");
    let msg = format!("Invalid snapshot: snapshot: {sid} status must be available");
    for coll in ["os-volume-transfer", "volume-transfers"] {
        let r = transfer(&m, &c, coll, json!({"volume_id": vid}));
        assert_eq!((r.status, message(&r, "badRequest")), (400, json!(msg)));
    }
    let r = transfer(
        &m,
        &c,
        "volume-transfers",
        json!({"volume_id": vid, "no_snapshots": true}),
    );
    assert_eq!(r.status, 202);
}

#[test]
fn transfer_errors() {
    let m = mock(false);
    let c = client(&m, "3.71");
    let base = m.block_storage_url();
    let vid = volume(&m, &c, "w");
    let post = |body: Value| c.post_json(&format!("{base}/os-volume-transfer"), &body);
    let field = |f: &str, v: &str, why: &str| format!("Invalid input for field/attribute {f}. Value: {v}. {why}");
    let cases = [
        (
            json!({"transfer": {"volume_id": ZERO}}),
            404,
            format!("Volume {ZERO} could not be found."),
        ),
        (
            json!({"transfer": {"volume_id": "abc"}}),
            400,
            field("volume_id", "abc", "'abc' is not a 'uuid'"),
        ),
        (
            json!({"transfer": {"volume_id": 5}}),
            400,
            field("volume_id", "5", "5 is not of type 'string'"),
        ),
        (
            json!({"transfer": {}}),
            400,
            field("transfer", "{}", "'volume_id' is a required property"),
        ),
        (
            json!({"transfer": null}),
            400,
            field("transfer", "None", "None is not of type 'object'"),
        ),
        (json!({}), 400, "'transfer' is a required property".into()),
        (
            json!({"transfer": {"volume_id": vid}, "x": 1}),
            400,
            "Additional properties are not allowed ('x' was unexpected)".into(),
        ),
        (
            json!({"transfer": {"volume_id": vid, "x": 1}}),
            400,
            field(
                "transfer",
                &format!("{{'volume_id': '{vid}', 'x': 1}}"),
                "Additional properties are not allowed ('x' was unexpected)",
            ),
        ),
        (
            json!({"transfer": {"volume_id": vid, "name": "   "}}),
            400,
            field("name", "   ", "'   ' is not valid under any of the given schemas"),
        ),
    ];
    for (body, status, msg) in cases {
        let r = post(body.clone());
        let fault = if status == 404 { "itemNotFound" } else { "badRequest" };
        assert_eq!((r.status, message(&r, fault)), (status, json!(msg)), "{body}");
    }
    // A name that is no string trips Cinder's format check.
    let r = post(json!({"transfer": {"volume_id": vid, "name": 5}}));
    assert_eq!(r.json(), crate::server_error_body());
    // Names are stripped.
    let r = post(json!({"transfer": {"volume_id": vid, "name": "  padded  "}}));
    let t = r.json()["transfer"].clone();
    assert_eq!(t["name"], "padded");
    let (tid, key) = (t["id"].as_str().unwrap().to_string(), t["auth_key"].clone());
    let r = c.get(&format!("{base}/os-volume-transfer/{ZERO}"));
    assert_eq!(
        message(&r, "itemNotFound"),
        format!("Transfer {ZERO} could not be found.")
    );
    assert_eq!(c.delete(&format!("{base}/os-volume-transfer/{ZERO}")).status, 404);
    let (o, obase) = other(&m, "3.71");
    let accept = |id: &str, body: Value| o.post_json(&format!("{obase}/os-volume-transfer/{id}/accept"), &body);
    let r = accept(ZERO, json!({"accept": {"auth_key": "x"}}));
    assert_eq!(
        message(&r, "itemNotFound"),
        format!("Transfer {ZERO} could not be found.")
    );
    let cases = [
        (
            json!({"accept": {}}),
            field("accept", "{}", "'auth_key' is a required property"),
        ),
        (
            json!({"accept": {"auth_key": null}}),
            field("auth_key", "None", "None is not of type 'string', 'integer'"),
        ),
        (
            json!({"accept": {"auth_key": key, "x": 1}}),
            field(
                "accept",
                &format!("{{'auth_key': '{}', 'x': 1}}", key.as_str().unwrap()),
                "Additional properties are not allowed ('x' was unexpected)",
            ),
        ),
        (
            json!({"accept": null}),
            field("accept", "None", "None is not of type 'object'"),
        ),
        (json!({}), "'accept' is a required property".into()),
    ];
    for (body, msg) in cases {
        let r = accept(&tid, body.clone());
        assert_eq!((r.status, message(&r, "badRequest")), (400, json!(msg)), "{body}");
    }
    // A volume no longer awaiting the transfer.
    m.set_status("volume", &vid, "available");
    let r = accept(&tid, json!({"accept": {"auth_key": key}}));
    assert_eq!(
        message(&r, "badRequest"),
        format!("Invalid volume: Transfer {tid}: Volume id {vid} expected in awaiting-transfer state.")
    );
    assert_eq!(c.delete(&format!("{base}/os-volume-transfer/{tid}")).status, 202);
    assert_eq!(status_of(&m, &c, "volumes", &vid).as_deref(), Some("available"));
}

#[test]
fn accept_within_the_accepting_projects_quota() {
    let m = mock(false);
    let c = client(&m, "3.71");
    let vid = create_volume(&m, &c, json!({"volume": {"size": 2}}));
    let t = transfer(&m, &c, "os-volume-transfer", json!({"volume_id": vid})).json()["transfer"].clone();
    let (o, obase) = other(&m, "3.71");
    let url = format!("{obase}/os-volume-transfer/{}/accept", t["id"].as_str().unwrap());
    let body = json!({"accept": {"auth_key": t["auth_key"]}});
    m.set_quota("gigabytes", 1);
    let r = o.post_json(&url, &body);
    assert_eq!(r.status, 413);
    assert_eq!(r.header("Retry-After"), Some("0"));
    assert_eq!(
        r.json(),
        json!({"overLimit": {"code": 413, "message": "Requested volume or snapshot exceeds allowed gigabytes quota. Requested 2G, quota is 1G and 0G has been consumed.", "retryAfter": "0"}})
    );
    m.set_quota("gigabytes", 1000);
    m.set_quota("volumes", 0);
    let r = o.post_json(&url, &body);
    assert_eq!(
        message(&r, "overLimit"),
        "VolumeLimitExceeded: Maximum number of volumes allowed (0) exceeded for quota 'volumes'."
    );
    assert_eq!(status_of(&m, &c, "volumes", &vid).as_deref(), Some("awaiting-transfer"));
}

#[test]
fn lists_filter_and_page() {
    let m = mock(false);
    let c = client(&m, "3.71");
    let base = m.block_storage_url();
    let ids: Vec<String> = (0..3)
        .map(|i| {
            let vid = volume(&m, &c, &format!("page{i}"));
            let r = transfer(
                &m,
                &c,
                "os-volume-transfer",
                json!({"volume_id": vid, "name": format!("page{i}")}),
            );
            r.json()["transfer"]["id"].as_str().unwrap().to_string()
        })
        .collect();
    let listed = |c: &Client, q: &str| -> (Vec<String>, Option<Value>) {
        let j = c.get(&format!("{base}/{q}")).json();
        let got = j["transfers"]
            .as_array()
            .unwrap()
            .iter()
            .map(|t| t["id"].as_str().unwrap().to_string())
            .collect();
        (got, j.get("transfers_links").cloned())
    };
    let rev: Vec<String> = ids.iter().rev().cloned().collect();
    // Oldest first; every parameter a filter (limit too, on no column: nothing).
    assert_eq!(listed(&c, "os-volume-transfer"), (ids.clone(), None));
    assert_eq!(
        listed(&c, "os-volume-transfer?name=page1"),
        (vec![ids[1].clone()], None)
    );
    assert_eq!(listed(&c, "os-volume-transfer?bogus=1"), (vec![], None));
    assert_eq!(listed(&c, "os-volume-transfer?limit=1"), (vec![], None));
    assert_eq!(listed(&client(&m, "3.58"), "volume-transfers?limit=1"), (vec![], None));
    // volume-transfers from 3.59: newest first, paged.
    let c59 = client(&m, "3.59");
    assert_eq!(listed(&c59, "volume-transfers"), (rev.clone(), None));
    let (got, next) = listed(&c59, "volume-transfers?limit=1");
    assert_eq!(got, vec![ids[2].clone()]);
    assert_eq!(
        next,
        Some(json!([{"rel": "next", "href": format!("{base}/os-volume-transfer?limit=1&marker={}", ids[2])}]))
    );
    assert_eq!(
        listed(&c59, &format!("volume-transfers?marker={}", ids[2])),
        (rev[1..].to_vec(), None)
    );
    let (got, _) = listed(&c59, "volume-transfers?sort=display_name:asc&limit=2");
    assert_eq!(got, ids[..2].to_vec());
    assert_eq!(
        listed(&c59, "volume-transfers?name=page1"),
        (vec![ids[1].clone()], None)
    );
    assert_eq!(listed(&c59, "volume-transfers?bogus=1"), (vec![], None));
    let r = c59.get(&format!("{base}/volume-transfers?sort=name:asc"));
    assert_eq!(message(&r, "badRequest"), "Invalid input received: Invalid sort key");
    let r = c59.get(&format!("{base}/volume-transfers?limit=abc"));
    assert_eq!(message(&r, "badRequest"), "limit param must be an integer");
    let r = c59.get(&format!("{base}/volume-transfers?marker=abc"));
    assert_eq!(message(&r, "itemNotFound"), "Transfer abc could not be found.");
}

#[test]
fn admins_see_every_projects_transfers() {
    let m = mock(true);
    let c = client(&m, "3.71");
    let vid = volume(&m, &c, "a");
    let tid = transfer(&m, &c, "os-volume-transfer", json!({"volume_id": vid})).json()["transfer"]["id"]
        .as_str()
        .unwrap()
        .to_string();
    let (o, obase) = other(&m, "3.71");
    assert_eq!(o.get(&format!("{obase}/os-volume-transfer/{tid}")).status, 200);
    assert_eq!(
        o.get(&format!("{obase}/os-volume-transfer")).json(),
        json!({"transfers": []})
    );
    let all = o.get(&format!("{obase}/os-volume-transfer?all_tenants=1")).json();
    assert_eq!(all["transfers"][0]["id"], tid.as_str());
    // Another project's token on the mock's project URL.
    let r = o.get(&format!("{}/volumes", m.block_storage_url()));
    assert_eq!(message(&r, "badRequest"), "Malformed request url");
    wait_status(&m, &c, "volumes", &vid, Some("awaiting-transfer"));
}
