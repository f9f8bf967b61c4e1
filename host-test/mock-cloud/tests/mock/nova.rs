//! Nova's `os-volume_attachments` over the mock's own Cinder: both shapes, the calls Nova makes, rollbacks, transitions.

use crate::common::{message, wait_for, Response};
use crate::{client, create_volume, instant, nova_attach, nova_call, status_of, wait_status, ZERO_UUID};
use mock_cloud::{Fault, FaultKind, MockCloud, MockOptions, RecordedRequest, ResourceCounts};
use serde_json::{json, Value};
use std::time::Duration;

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

fn body_json(r: &RecordedRequest) -> Value {
    serde_json::from_slice(&r.body).unwrap()
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
        json!({"volumeAttachment": {"device": "/dev/sdb", "id": v1, "serverId": server, "volumeId": v1}})
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
    assert_eq!(a["device"], "/dev/sdb");
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
    // The attach answer keeps `id` (the volume) at 2.89 too, and has no attachment id yet.
    assert_eq!(j["device"], "/dev/sdc");
    assert_eq!(j["id"], v2.as_str());
    assert!(j.get("attachment_id").is_none());
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
    assert_eq!(
        message(&r, "badRequest"),
        format!("Invalid volume: volume {v2} is already attached to instances: {server}")
    );
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
    let r = nova(Some("2.105"), "GET", &att, None);
    assert_eq!(
        message(&r, "computeFault"),
        "Version 2.105 is not supported by the API. Minimum is 2.1 and maximum is 2.104."
    );
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
    // The root's prefix with the requested letter.
    assert_eq!(a["device"], "/dev/sdc");
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
        (&json!("mock-compute-01"), &json!("/dev/sdc"), &json!("rw"))
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
    let attach = || nova_attach(&m, &c, &server, &vid);
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
    let attach = |sid: &str, vid: &str| nova_attach(&m, &c, sid, vid);
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
    // Another server: Nova's own BDM of the volume refuses it (before Cinder).
    let r = attach(&other, &vid);
    assert_eq!(
        message(&r, "badRequest"),
        format!("Invalid volume: volume {vid} is already attached to instances: {server}")
    );
    // A volume reserved in Cinder without Nova: Cinder refuses the reservation.
    let held = create_volume(&m, &c, json!({"volume": {"size": 1}}));
    wait_status(&m, &c, "volumes", &held, Some("available"));
    let reserve = json!({"attachment": {"volume_uuid": held, "instance_uuid": ZERO_UUID}});
    let atts = format!("{}/attachments", m.block_storage_url());
    assert_eq!(client(&m, "3.44").post_json(&atts, &reserve).status, 200);
    let r = attach(&other, &held);
    nova_400(&r, &format!("Invalid input received: Invalid volume: Volume {held} status must be available or downloading to reserve, but the current status is reserved."));
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
    // (and the one reserved without Nova)
    assert_eq!(m.counts().attachments, 2);
    wait_status(&m, &c, "volumes", &vid, Some("available"));
    assert_eq!(m.counts().attachments, 1);
    // A completion failing after the answer is rolled back too.
    m.inject(Fault::new(Some("POST"), "/attachments/", status_500()));
    assert_eq!(attach(&server, &vid).status, 200);
    wait_status(&m, &c, "volumes", &vid, Some("attaching"));
    wait_status(&m, &c, "volumes", &vid, Some("available"));
    wait_for(|| nova_call(&m, &c, None, "GET", &att, None).json() == json!({"volumeAttachments": []}));
    assert_eq!(m.counts().attachments, 1);
}
