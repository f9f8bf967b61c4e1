//! Cinder updates: `PUT` on volumes, snapshots and backups (names, descriptions,
//! metadata) by microversion; backup creates with metadata (3.43+) and a zone (3.51+).

use crate::common::{message, Client};
use crate::{client, create_volume, instant, server_error_body};
use serde_json::{json, Value};

/// The volume, snapshot and backup of a fresh mock (all available), and its base URL.
fn one_of_each(m: &mock_cloud::MockCloud, c: &Client) -> (String, String, String, String) {
    let base = m.block_storage_url();
    let vid = create_volume(
        m,
        c,
        json!({"volume": {"size": 1, "name": "v", "metadata": {"a": "1"}}}),
    );
    let post = |coll: &str, body: Value| c.post_json(&format!("{base}/{coll}"), &body).json();
    let sid = post("snapshots", json!({"snapshot": {"volume_id": vid, "name": "s"}}))["snapshot"]["id"].clone();
    let bid = post("backups", json!({"backup": {"volume_id": vid, "name": "b"}}))["backup"]["id"].clone();
    let s = |v: Value| v.as_str().unwrap().to_string();
    (base, vid, s(sid), s(bid))
}

#[test]
fn volume_updates() {
    let l256 = "x".repeat(256);
    let m = instant();
    let c = client(&m, "3.71");
    let (base, vid, _, _) = one_of_each(&m, &c);
    let url = format!("{base}/volumes/{vid}");
    let r = c.put_json(&url, &json!({"volume": {"name": "  n  ", "description": ""}}));
    assert_eq!(r.status, 200);
    let v = r.json()["volume"].clone();
    assert_eq!((v["name"].as_str(), v["description"].as_str()), (Some("n"), Some("")));
    assert_eq!(v["metadata"], json!({"a": "1"}));
    assert!(v.get("os-vol-tenant-attr:tenant_id").is_none()); // not the show view
    let v = c
        .put_json(&url, &json!({"volume": {"metadata": {"b": "2"}, "name": null}}))
        .json();
    assert_eq!(
        (v["volume"]["metadata"].clone(), v["volume"]["name"].clone()),
        (json!({"b": "2"}), Value::Null)
    );
    // `name` wins over `display_name`; an empty object passes below 3.53.
    let v = client(&m, "3.0")
        .put_json(&url, &json!({"volume": {"name": "x", "display_name": "y"}}))
        .json();
    assert_eq!(v["volume"]["name"], "x");
    assert_eq!(client(&m, "3.52").put_json(&url, &json!({"volume": {}})).status, 200);
    let cases = [
        (json!({"volume": {}}), "Invalid input for field/attribute volume. Value: {}. {} is not valid under any of the given schemas"),
        (json!({}), "'volume' is a required property"),
        (json!({"volume": {"bogus": 1}}), "Invalid input for field/attribute volume. Value: {'bogus': 1}. Additional properties are not allowed ('bogus' was unexpected)"),
        (json!({"volume": {"name": 5}}), "Invalid input for field/attribute name. Value: 5. 5 is not of type 'string', 'null'"),
        (json!({"volume": {"name": l256}}), "Invalid input received: name has 256 characters, more than 255."),
        (json!({"volume": {"description": l256}}), "Invalid input received: description has 256 characters, more than 255."),
        (json!({"volume": {"metadata": null}}), "Invalid input for field/attribute metadata. Value: None. None is not of type 'object'"),
    ];
    for (body, msg) in cases {
        let r = c.put_json(&url, &body);
        assert_eq!((r.status, message(&r, "badRequest")), (400, json!(msg)), "{body}");
    }
    assert_eq!(c.call("PUT", &url, Some("")).json(), server_error_body());
    let r = c.put_json(
        &format!("{base}/volumes/{}", crate::ZERO_UUID),
        &json!({"volume": {"name": "x"}}),
    );
    assert_eq!(
        message(&r, "itemNotFound"),
        format!("Volume {} could not be found.", crate::ZERO_UUID)
    );
}

#[test]
fn snapshot_updates() {
    let l256 = "x".repeat(256);
    let m = instant();
    let c = client(&m, "3.71");
    let (base, _, sid, _) = one_of_each(&m, &c);
    let url = format!("{base}/snapshots/{sid}");
    let r = c.put_json(
        &url,
        &json!({"snapshot": {"name": "  n2 ", "display_name": "d", "description": ""}}),
    );
    let s = r.json()["snapshot"].clone();
    assert_eq!((s["name"].as_str(), s["description"].as_str()), (Some("n2"), Some("")));
    assert!(s.get("user_id").is_some() && s.get("os-extended-snapshot-attributes:progress").is_none());
    let long = format!("Invalid input for field/attribute name. Value: {l256}. '{l256}' is too long");
    let cases = [
        (json!({"snapshot": {}}), "Invalid input for field/attribute snapshot. Value: {}. {} is not valid under any of the given schemas".to_string()),
        (json!({"snapshot": {"metadata": {"x": "y"}}}), "Invalid input for field/attribute snapshot. Value: {'metadata': {'x': 'y'}}. Additional properties are not allowed ('metadata' was unexpected)".into()),
        (json!({"snapshot": {"name": l256}}), long),
    ];
    for mv in ["3.0", "3.71"] {
        for (body, msg) in &cases {
            let r = client(&m, mv).put_json(&url, body);
            assert_eq!(message(&r, "badRequest"), json!(msg), "{mv} {body}");
        }
    }
}

#[test]
fn backup_updates_by_microversion() {
    let m = instant();
    let c = client(&m, "3.71");
    let (base, _, _, bid) = one_of_each(&m, &c);
    let url = format!("{base}/backups/{bid}");
    let r = client(&m, "3.8").put_json(&url, &json!({"backup": {"name": "x"}}));
    assert_eq!(
        (r.status, message(&r, "itemNotFound")),
        (404, json!("The resource could not be found."))
    );
    let r = client(&m, "3.9").put_json(&url, &json!({"backup": {"name": " x ", "description": ""}}));
    assert_eq!(r.json()["backup"].as_object().unwrap().len(), 3); // id, name, links
    assert_eq!(r.json()["backup"]["name"], "x");
    assert_eq!(client(&m, "3.9").put_json(&url, &json!({"backup": {}})).status, 200);
    let r = client(&m, "3.42").put_json(&url, &json!({"backup": {"metadata": {"b": "2"}}}));
    assert_eq!(message(&r, "badRequest"), "Invalid input for field/attribute backup. Value: {'metadata': {'b': '2'}}. Additional properties are not allowed ('metadata' was unexpected)");
    assert_eq!(
        client(&m, "3.43")
            .put_json(&url, &json!({"backup": {"metadata": {"b": "2"}}}))
            .status,
        200
    );
    let b = c.get(&url).json()["backup"].clone();
    assert_eq!(
        (b["metadata"].clone(), b["description"].clone()),
        (json!({"b": "2"}), json!(""))
    );
    let r = c.put_json(&url, &json!({"backup": {"metadata": {"k!": "2"}}}));
    assert_eq!(message(&r, "badRequest"), "Invalid input for field/attribute metadata. Value: {'k!': '2'}. 'k!' does not match any of the regexes: '^[a-zA-Z0-9-_:. /]{1,255}$'");
    let r = c.put_json(&url, &json!({"backup": {"display_name": "2"}}));
    assert_eq!(message(&r, "badRequest"), "Invalid input for field/attribute backup. Value: {'display_name': '2'}. Additional properties are not allowed ('display_name' was unexpected)");
    assert_eq!(c.put_json(&url, &json!({"backup": null})).json(), server_error_body());
    assert_eq!(
        message(&c.put_json(&url, &json!({})), "badRequest"),
        "'backup' is a required property"
    );
}

#[test]
fn backup_creates_with_metadata_and_zone_by_microversion() {
    let m = instant();
    let c = client(&m, "3.71");
    let base = m.block_storage_url();
    let vid = create_volume(&m, &c, json!({"volume": {"size": 1}}));
    let create = |mv: &str, extra: Value| {
        let mut b = json!({"volume_id": vid});
        b.as_object_mut().unwrap().extend(extra.as_object().unwrap().clone());
        client(&m, mv).post_json(&format!("{base}/backups"), &json!({ "backup": b }))
    };
    // (The bodies go with their keys sorted, as Cinder then shows them.)
    let refused = |field: &str, value: &str| {
        format!("Invalid input for field/attribute backup. Value: {{'{field}': {value}, 'volume_id': '{vid}'}}. Additional properties are not allowed ('{field}' was unexpected)")
    };
    let r = create("3.42", json!({"metadata": {"a": "1"}}));
    assert_eq!(message(&r, "badRequest"), json!(refused("metadata", "{'a': '1'}")));
    let r = create("3.50", json!({"availability_zone": "nova"}));
    assert_eq!(message(&r, "badRequest"), json!(refused("availability_zone", "'nova'")));
    let r = create("3.43", json!({"metadata": {"k": 1}}));
    assert_eq!(
        message(&r, "badRequest"),
        "Invalid input for field/attribute k. Value: 1. 1 is not of type 'string'"
    );
    let r = create(
        "3.51",
        json!({"metadata": {"a": "1"}, "availability_zone": "nova", "name": "b"}),
    );
    assert_eq!(r.status, 202);
    let bid = r.json()["backup"]["id"].as_str().unwrap().to_string();
    let b = c.get(&format!("{base}/backups/{bid}")).json()["backup"].clone();
    assert_eq!(
        (b["metadata"].clone(), b["availability_zone"].clone()),
        (json!({"a": "1"}), json!("nova"))
    );
    assert_eq!(
        client(&m, "3.42").get(&format!("{base}/backups/{bid}")).json()["backup"].get("metadata"),
        None
    );
}
