//! Cinder metadata of volumes and snapshots: merge, replace, one key, delete;
//! the limits on keys and values.

use crate::common::{message, Client};
use crate::{client, create_volume, instant, server_error_body, ZERO_UUID};
use serde_json::json;

/// Checks the metadata routes under `url` (a volume's or a snapshot's, whose 404
/// names `what`), which start with `{"a": "1"}`.
fn metadata_routes(c: &Client, url: &str, what: &str) {
    let meta = format!("{url}/metadata");
    assert_eq!(c.get(&meta).json(), json!({"metadata": {"a": "1"}}));
    let r = c.post_json(&meta, &json!({"metadata": {"c": "3", "a": "2"}}));
    assert_eq!(r.json(), json!({"metadata": {"a": "2", "c": "3"}}));
    let r = c.put_json(&meta, &json!({"metadata": {"n": "1"}}));
    assert_eq!(r.json(), json!({"metadata": {"n": "1"}}));
    assert_eq!(c.get(&format!("{meta}/n")).json(), json!({"meta": {"n": "1"}}));
    let r = c.put_json(&format!("{meta}/q%20r"), &json!({"meta": {"q r": "2"}}));
    assert_eq!(r.json(), json!({"meta": {"q r": "2"}}));
    assert_eq!(c.get(&meta).json(), json!({"metadata": {"n": "1", "q r": "2"}}));
    let r = c.delete(&format!("{meta}/n"));
    assert_eq!(
        (r.status, r.body.len(), r.header("Content-Type")),
        (200, 0, Some("text/html; charset=UTF-8"))
    );
    let id = url.rsplit('/').next().unwrap();
    for (r, key) in [
        (c.delete(&format!("{meta}/n")), "n"),
        (c.get(&format!("{meta}/zz")), "zz"),
    ] {
        assert_eq!(r.status, 404);
        assert_eq!(
            message(&r, "itemNotFound"),
            format!("{what} {id} has no metadata with key {key}.")
        );
    }
    let cases = [
        (format!("{meta}/a"), json!({"meta": {"b": "2"}}), "Request body and URI mismatch"),
        (format!("{meta}/a"), json!({"meta": {"a": "b", "c": "d"}}), "Invalid input for field/attribute meta. Value: {'a': 'b', 'c': 'd'}. {'a': 'b', 'c': 'd'} has too many properties"),
        (format!("{meta}/a"), json!({"meta": {}}), "Invalid input for field/attribute meta. Value: {}. {} should be non-empty"),
        (format!("{meta}/a"), json!({"x": {"a": "5"}}), "'meta' is a required property"),
        (meta.clone(), json!({"meta": {"k": "v"}}), "'metadata' is a required property"),
        (meta.clone(), json!({"metadata": {"k": 5}}), "Invalid input for field/attribute k. Value: 5. 5 is not of type 'string'"),
        (meta.clone(), json!({"metadata": null}), "Invalid input for field/attribute metadata. Value: None. None is not of type 'object'"),
    ];
    for (u, body, msg) in cases {
        let r = c.put_json(&u, &body);
        assert_eq!((r.status, message(&r, "badRequest")), (400, json!(msg)), "{body}");
    }
    assert_eq!(c.post(&meta, "").json(), server_error_body());
}

#[test]
fn volume_metadata() {
    let m = instant();
    let c = client(&m, "3.71");
    let base = m.block_storage_url();
    let vid = create_volume(&m, &c, json!({"volume": {"size": 1, "metadata": {"a": "1"}}}));
    metadata_routes(&c, &format!("{base}/volumes/{vid}"), "Volume");
    let meta = format!("{base}/volumes/{vid}/metadata");
    // Keys: 1 to 255 of [a-zA-Z0-9-_:. /]; values at most 255; nothing else in the body.
    let long = "v".repeat(256);
    let cases = [
        (json!({"metadata": {"a/b": "1", "k!": "x", "j!": "y"}}), "Invalid input for field/attribute metadata. Value: {'a/b': '1', 'j!': 'y', 'k!': 'x'}. 'j!', 'k!' do not match any of the regexes: '^[a-zA-Z0-9-_:. /]{1,255}$'".to_string()),
        (json!({"metadata": {"k": long}}), format!("Invalid input for field/attribute k. Value: {long}. '{long}' is too long")),
        (json!({"metadata": {"a": "b"}, "x": 1}), "Additional properties are not allowed ('x' was unexpected)".into()),
    ];
    for (body, msg) in cases {
        assert_eq!(message(&c.post_json(&meta, &body), "badRequest"), json!(msg));
    }
    let k255 = "k".repeat(255);
    assert_eq!(c.post_json(&meta, &json!({"metadata": {&k255: "v"}})).status, 200);
    let r = c.post_json(&meta, &json!({"metadata": {"k".repeat(256): "v"}}));
    assert!(message(&r, "badRequest")
        .as_str()
        .unwrap()
        .ends_with("does not match any of the regexes: '^[a-zA-Z0-9-_:. /]{1,255}$'"));
    let r = c.post_json(&format!("{}/volumes/{}", m.block_storage_url(), vid), &json!({}));
    assert_eq!(r.status, 404); // no POST on a volume
                               // Creates check metadata the same way.
    let r = c.post_json(
        &format!("{base}/volumes"),
        &json!({"volume": {"size": 1, "metadata": {"k!": "1"}}}),
    );
    assert_eq!(message(&r, "badRequest"), "Invalid input for field/attribute metadata. Value: {'k!': '1'}. 'k!' does not match any of the regexes: '^[a-zA-Z0-9-_:. /]{1,255}$'");
    let r = c.post_json(
        &format!("{base}/volumes"),
        &json!({"volume": {"size": 1, "metadata": 5}}),
    );
    assert_eq!(
        message(&r, "badRequest"),
        "Invalid input for field/attribute metadata. Value: 5. 5 is not of type 'object', 'null'"
    );
    let r = c.get(&format!("{base}/volumes/{ZERO_UUID}/metadata"));
    assert_eq!(
        message(&r, "itemNotFound"),
        format!("Volume {ZERO_UUID} could not be found.")
    );
}

#[test]
fn snapshot_metadata() {
    let m = instant();
    let c = client(&m, "3.71");
    let base = m.block_storage_url();
    let vid = create_volume(&m, &c, json!({"volume": {"size": 1}}));
    let r = c.post_json(
        &format!("{base}/snapshots"),
        &json!({"snapshot": {"volume_id": vid, "metadata": {"a": "1"}}}),
    );
    let sid = r.json()["snapshot"]["id"].as_str().unwrap().to_string();
    metadata_routes(&c, &format!("{base}/snapshots/{sid}"), "Snapshot");
    // No `/` in snapshot metadata keys; other body properties are ignored.
    let meta = format!("{base}/snapshots/{sid}/metadata");
    let r = c.post_json(&meta, &json!({"metadata": {"a/b": "2"}}));
    assert_eq!(message(&r, "badRequest"), "Invalid input for field/attribute metadata. Value: {'a/b': '2'}. 'a/b' does not match any of the regexes: '^[a-zA-Z0-9-_:. ]{1,255}$'");
    let r = c.post_json(&meta, &json!({"metadata": {"a": "2"}, "x": 1}));
    assert_eq!(r.json(), json!({"metadata": {"a": "2", "q r": "2"}}));
    let r = c.post_json(
        &format!("{base}/snapshots/{ZERO_UUID}/metadata"),
        &json!({"metadata": {"a": "2"}}),
    );
    assert_eq!(
        message(&r, "itemNotFound"),
        format!("Snapshot {ZERO_UUID} could not be found.")
    );
}
