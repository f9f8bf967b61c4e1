//! The mock cloud over HTTP, one module per service (and one for the mock
//! itself); the helpers they share are here and in `../common`.

#[path = "../common/mod.rs"]
mod common;

mod cinder_actions;
mod cinder_api;
mod cinder_attachments;
mod cinder_backups;
mod cinder_delete;
mod cinder_limits;
mod cinder_lists;
mod cinder_messages;
mod cinder_metadata;
mod cinder_quotas;
mod cinder_snapshots;
mod cinder_transfers;
mod cinder_types;
mod cinder_updates;
mod cinder_volumes;
mod harness;
mod keystone;
mod nova;
mod nova_cinder_url;
mod nova_transcript;

use common::{request, wait_for, Client, Response};
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

/// The `name`s of the items of a list body, in order.
fn names(j: &Value) -> Vec<String> {
    let list = j
        .as_object()
        .and_then(|o| o.iter().find(|(k, _)| !k.ends_with("links") && *k != "count"));
    let items = list.and_then(|(_, v)| v.as_array()).cloned().unwrap_or_default();
    items
        .iter()
        .map(|x| x["name"].as_str().unwrap_or("").to_string())
        .collect()
}

/// A mock whose transitions complete at once, with an admin's token.
fn instant_admin() -> MockCloud {
    MockCloud::start_with(MockOptions {
        transition: Duration::ZERO,
        admin: true,
        ..Default::default()
    })
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

/// Nova attaches volume `vid` to server `sid` as `c` (the 2.1 request).
fn nova_attach(m: &MockCloud, c: &Client, sid: &str, vid: &str) -> Response {
    let path = format!("/servers/{sid}/os-volume_attachments");
    nova_call(
        m,
        c,
        None,
        "POST",
        &path,
        Some(json!({"volumeAttachment": {"volumeId": vid}})),
    )
}

const SERVER_UUID: &str = "11111111-2222-4333-8444-555555555555";
const ZERO_UUID: &str = "00000000-0000-0000-0000-000000000000";

fn server_error_body() -> Value {
    json!({"computeFault": {"code": 500, "message": "The server has either erred or is incapable of performing the requested operation."}})
}
