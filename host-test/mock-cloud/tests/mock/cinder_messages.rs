//! Cinder user messages: a volume too large for the backend and a backup in an
//! unknown zone fail with the messages the real Cinder records; the messages API
//! by microversion.

use crate::common::message;
use crate::{client, create_volume, fast, instant, instant_admin, status_of, wait_status};
use serde_json::{json, Value};

/// The event ids of a message list body, in order.
fn events(j: &Value) -> Vec<String> {
    let list = j["messages"].as_array().cloned().unwrap_or_default();
    list.iter()
        .map(|m| m["event_id"].as_str().unwrap().to_string())
        .collect()
}

const DRIVER: &str = "VOLUME_VOLUME_008_012";
const SCHEDULER: &str = "VOLUME_VOLUME_001_003";

#[test]
fn a_volume_too_large_for_the_backend_fails_with_messages() {
    let m = fast();
    m.set_quota("gigabytes", -1);
    let c = client(&m, "3.71");
    let base = m.block_storage_url();
    let r = c.post_json(
        &format!("{base}/volumes"),
        &json!({"volume": {"size": 16384, "name": "huge"}}),
    );
    assert_eq!(r.status, 202);
    let rid = r.header("x-openstack-request-id").unwrap().to_string();
    let vid = r.json()["volume"]["id"].as_str().unwrap().to_string();
    assert_eq!(status_of(&m, &c, "volumes", &vid).as_deref(), Some("creating"));
    assert_eq!(c.get(&format!("{base}/messages")).json(), json!({"messages": []}));
    wait_status(&m, &c, "volumes", &vid, Some("error"));
    let j = c.get(&format!("{base}/messages?resource_uuid={vid}")).json();
    assert_eq!(events(&j), [SCHEDULER, DRIVER, DRIVER, DRIVER]);
    let last = &j["messages"][0];
    let mid = last["id"].as_str().unwrap();
    assert_eq!(
        last["user_message"],
        "schedule allocate volume:Could not find any available weighted backend."
    );
    assert_eq!(
        j["messages"][1]["user_message"],
        "create volume from backend storage:Driver failed to create the volume."
    );
    for (k, v) in [("message_level", "ERROR"), ("resource_type", "VOLUME")] {
        assert_eq!(last[k], v);
    }
    assert_eq!(
        (last["resource_uuid"].as_str(), last["request_id"].as_str()),
        (Some(vid.as_str()), Some(rid.as_str()))
    );
    // Kept 30 days.
    let (created, until) = (
        last["created_at"].as_str().unwrap(),
        last["guaranteed_until"].as_str().unwrap(),
    );
    assert_eq!((created.len(), until.len()), (26, 26));
    assert!(until > created && until[11..] == created[11..], "{created} {until}");
    assert_eq!(last["links"][0]["href"], format!("{base}/messages/{mid}"));
    assert_eq!(
        c.get(&format!("{base}/messages/{mid}")).json(),
        json!({ "message": last })
    );
    // The volume counts, is on no host; 16383 GiB fit.
    let limits = c.get(&format!("{base}/limits")).json();
    assert_eq!(limits["limits"]["absolute"]["totalGigabytesUsed"], 16384);
    let ok = create_volume(&m, &c, json!({"volume": {"size": 16383}}));
    wait_status(&m, &c, "volumes", &ok, Some("available"));
    assert_eq!(events(&c.get(&format!("{base}/messages")).json()).len(), 4);
}

#[test]
fn the_failed_volume_is_on_no_host() {
    let m = instant_admin();
    m.set_quota("gigabytes", -1);
    let c = client(&m, "3.71");
    let vid = create_volume(&m, &c, json!({"volume": {"size": 100000}}));
    let v = c.get(&format!("{}/volumes/{vid}", m.block_storage_url())).json()["volume"].clone();
    assert_eq!(v["status"], "error");
    assert_eq!(v["os-vol-host-attr:host"], Value::Null);
    assert_eq!(
        (v["service_uuid"].clone(), v["shared_targets"].clone()),
        (Value::Null, json!(true))
    );
}

#[test]
fn a_backup_in_an_unknown_zone_fails_with_a_message() {
    let m = instant();
    let c = client(&m, "3.51");
    let base = m.block_storage_url();
    let vid = create_volume(&m, &c, json!({"volume": {"size": 1}}));
    let body = json!({"backup": {"volume_id": vid, "availability_zone": "bogus"}});
    let r = c.post_json(&format!("{base}/backups"), &body);
    assert_eq!(r.status, 202);
    let bid = r.json()["backup"]["id"].as_str().unwrap().to_string();
    let b = c.get(&format!("{base}/backups/{bid}")).json()["backup"].clone();
    assert_eq!(
        (
            b["status"].as_str(),
            b["availability_zone"].as_str(),
            b["fail_reason"].as_str()
        ),
        (
            Some("error"),
            Some("bogus"),
            Some("Service not found for creating backup.")
        )
    );
    assert_eq!(status_of(&m, &c, "volumes", &vid).as_deref(), Some("available"));
    let j = c.get(&format!("{base}/messages?resource_uuid={bid}")).json();
    let msg = &j["messages"][0];
    assert_eq!(msg["event_id"], "VOLUME_VOLUME_BACKUP_013_024");
    assert_eq!(msg["resource_type"], "VOLUME_BACKUP");
    assert_eq!(
        msg["user_message"],
        "create backup:Backup failed to schedule. Service not found for creating backup."
    );
}

#[test]
fn messages_by_microversion() {
    let m = instant();
    m.set_quota("gigabytes", -1);
    let c = client(&m, "3.71");
    let base = m.block_storage_url();
    let huge = |n| create_volume(&m, &c, json!({"volume": {"size": 20000, "name": format!("h{n}")}}));
    let (a, b) = (huge(1), huge(2));
    let url = format!("{base}/messages");
    for mv in ["3.0", "3.2"] {
        let r = client(&m, mv).get(&url);
        assert_eq!(r.status, 404, "{mv}");
        assert_eq!(message(&r, "itemNotFound"), "The resource could not be found.");
    }
    // 3.3 and 3.4 ignore the query; filters, sorting and paging from 3.5.
    let q = format!("{url}?resource_uuid={a}&limit=1");
    assert_eq!(events(&client(&m, "3.4").get(&q).json()).len(), 8);
    let j = client(&m, "3.5").get(&q).json();
    assert_eq!(events(&j), [SCHEDULER]);
    assert_eq!(j["messages"][0]["resource_uuid"], a.as_str());
    let next = j["messages_links"][0]["href"].as_str().unwrap();
    assert_eq!(events(&c.get(next).json()), [DRIVER]);
    let j = c
        .get(&format!("{url}?sort=event_id:asc,created_at:asc&resource_uuid={b}"))
        .json();
    assert_eq!(events(&j), [SCHEDULER, DRIVER, DRIVER, DRIVER]);
    let j = c.get(&format!("{url}?event_id={SCHEDULER}")).json();
    assert_eq!(j["messages"].as_array().unwrap().len(), 2);
    for (q, msg) in [
        ("marker=nonexist", "Message nonexist could not be found."),
        ("sort=bogus", "Invalid input received: Invalid sort key"),
        (
            "with_count=true",
            "Invalid filters with_count are found in query options.",
        ),
    ] {
        let r = c.get(&format!("{url}?{q}"));
        assert_eq!(
            message(&r, "badRequest")
                .as_str()
                .or(message(&r, "itemNotFound").as_str()),
            Some(msg)
        );
    }
    // Show and delete.
    let id = c.get(&url).json()["messages"][0]["id"].as_str().unwrap().to_string();
    assert_eq!(client(&m, "3.2").get(&format!("{url}/{id}")).status, 404);
    let r = client(&m, "3.3").delete(&format!("{url}/{id}"));
    assert_eq!((r.status, r.body.len()), (204, 0));
    let r = c.get(&format!("{url}/{id}"));
    assert_eq!(message(&r, "itemNotFound"), format!("Message {id} could not be found."));
}
