//! Cinder's attachments API (3.27+), as a real Cinder 29.0.0 answers it.

use crate::common::{message, request, wait_for, Client, Response};
use crate::{client, create_volume, instant, server_error_body, status_of, SERVER_UUID, ZERO_UUID};
use mock_cloud::{MockCloud, MockOptions, ResourceCounts};
use serde_json::json;
use std::time::Duration;

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
    ] {
        let l = c.get(&format!("{atts}?{q}")).json();
        assert_eq!(l["attachments"].as_array().unwrap().len(), n, "{q}");
    }
    // A member's unknown filters: dropped below 3.31, refused from.
    let l = client(&m, "3.30").get(&format!("{atts}?bogus=1")).json();
    assert_eq!(l["attachments"].as_array().unwrap().len(), 1);
    let r = c.get(&format!("{atts}?bogus=1&status=x"));
    assert_eq!(
        message(&r, "badRequest"),
        "Invalid filters bogus are found in query options."
    );

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
