//! Nova `os-volume_attachments` under `/compute/v2.1`.

use crate::cinder::{begin_attach, begin_detach, fault};
use crate::server::{keystonemiddleware_401, Req};
use crate::state::{Bdm, Resp, State, VolAttachment};
use crate::util::{is_uuid_like, parse_version, pyrepr, req_id, uuid4};
use serde_json::{json, Value};

const MAX: (u32, u32) = (2, 96);

pub fn handle(st: &mut State, r: &Req) -> Resp {
    let rid = req_id();
    let (resp, ver) = route(st, r);
    let mut resp = resp
        .header("x-openstack-request-id", rid.clone())
        .header("x-compute-request-id", rid);
    if let Some(v) = ver {
        resp = resp
            .header("OpenStack-API-Version", format!("compute {v}"))
            .header("X-OpenStack-Nova-API-Version", v)
            .header("Vary", "OpenStack-API-Version, X-OpenStack-Nova-API-Version");
    }
    resp
}

fn not_found(msg: &str) -> Resp {
    fault(404, "itemNotFound", msg)
}
fn bad(msg: &str) -> Resp {
    fault(400, "badRequest", msg)
}

fn microversion(r: &Req) -> Result<(u32, u32), (Resp, Option<String>)> {
    let raw = r
        .header("OpenStack-API-Version")
        .and_then(|h| {
            h.split(',')
                .map(|s| s.trim())
                .find_map(|s| s.strip_prefix("compute "))
                .map(|s| s.trim().to_string())
        })
        .or_else(|| r.header("X-OpenStack-Nova-API-Version").map(|s| s.trim().to_string()));
    let Some(v) = raw else { return Ok((2, 1)) };
    if v == "latest" {
        return Ok(MAX);
    }
    match parse_version(&v) {
        None => Err((
            bad(&format!(
                "API Version String {v} is of invalid format. Must be of format MajorNum.MinorNum."
            )),
            None,
        )),
        Some(p) if p < (2, 1) || p > MAX => Err((
            fault(
                406,
                "computeFault",
                &format!(
                    "Version {v} is not supported by the API. Minimum is 2.1 and maximum is {}.{}.",
                    MAX.0, MAX.1
                ),
            ),
            Some(v),
        )),
        Some(p) => Ok(p),
    }
}

fn route(st: &mut State, r: &Req) -> (Resp, Option<String>) {
    let Some(rest) = r.path.strip_prefix("/compute/v2.1") else {
        return (crate::server::plain_not_found(), None);
    };
    let token = r.header("X-Auth-Token").unwrap_or("");
    if !st.token_valid(token) {
        return (keystonemiddleware_401(st), None);
    }
    let mv = match microversion(r) {
        Ok(v) => v,
        Err(e) => return e,
    };
    let ver = Some(format!("{}.{}", mv.0, mv.1));
    let segs: Vec<&str> = rest.trim_matches('/').split('/').filter(|s| !s.is_empty()).collect();
    // Optional project id in the URL.
    let segs: &[&str] = match segs.first() {
        Some(p) if *p == st.opts.project_id => &segs[1..],
        _ => &segs[..],
    };
    let resp = match (r.method.as_str(), segs) {
        ("GET", []) => Resp::json(
            200,
            &json!({"version": {"id": "v2.1", "status": "CURRENT", "version": "2.96", "min_version": "2.1",
                "updated": "2013-07-23T11:33:21Z",
                "links": [{"rel": "self", "href": format!("{}/compute/v2.1/", st.base)}]}}),
        ),
        ("GET", ["servers", sid]) => match st.servers.iter().find(|s| s.id == *sid) {
            Some(s) => Resp::json(
                200,
                &json!({"server": {"id": s.id, "name": s.name, "status": "ACTIVE",
                    "tenant_id": st.opts.project_id, "OS-EXT-STS:vm_state": "active",
                    "os-extended-volumes:volumes_attached": s.bdms.iter().map(|b| json!({"id": b.volume_id, "delete_on_termination": false})).collect::<Vec<_>>()}}),
            ),
            None => not_found(&format!("Instance {sid} could not be found.")),
        },
        ("GET", ["servers", sid, "os-volume_attachments"]) => match st.servers.iter().find(|s| s.id == *sid) {
            Some(s) => {
                let list: Vec<Value> = s.bdms.iter().map(|b| view(b, sid, mv, false)).collect();
                Resp::json(200, &json!({ "volumeAttachments": list }))
            }
            None => not_found(&format!("Instance {sid} could not be found.")),
        },
        ("GET", ["servers", sid, "os-volume_attachments", vid]) => match st.servers.iter().find(|s| s.id == *sid) {
            None => not_found(&format!("Instance {sid} could not be found.")),
            Some(s) => match s.bdms.iter().find(|b| b.volume_id == *vid) {
                Some(b) => Resp::json(200, &json!({"volumeAttachment": view(b, sid, mv, false)})),
                None => not_found(&format!("Instance {sid} is not attached to volume {vid}.")),
            },
        },
        ("POST", ["servers", sid, "os-volume_attachments"]) => attach(st, r, sid, mv),
        ("DELETE", ["servers", sid, "os-volume_attachments", vid]) => detach(st, sid, vid),
        _ => return (fault(404, "itemNotFound", "The resource could not be found."), ver),
    };
    (resp, ver)
}

fn view(b: &Bdm, server_id: &str, mv: (u32, u32), create: bool) -> Value {
    let mut o = json!({"device": b.device, "serverId": server_id, "volumeId": b.volume_id});
    if mv < (2, 89) {
        o["id"] = json!(b.volume_id);
    }
    if mv >= (2, 70) {
        o["tag"] = json!(b.tag);
    }
    if mv >= (2, 79) {
        o["delete_on_termination"] = json!(b.delete_on_termination);
    }
    if mv >= (2, 89) && !create {
        o["attachment_id"] = json!(b.attachment_id);
        o["bdm_uuid"] = json!(b.bdm_uuid);
    }
    o
}

fn attach(st: &mut State, r: &Req, sid: &str, mv: (u32, u32)) -> Resp {
    let body: Value = match serde_json::from_slice(&r.body) {
        Ok(v) => v,
        Err(_) => return bad("Malformed request body"),
    };
    let Some(va) = body.get("volumeAttachment").and_then(|v| v.as_object()) else {
        return bad(&format!(
            "Invalid input for field/attribute volumeAttachment. Value: {}. 'volumeAttachment' is a required property",
            pyrepr(&body)
        ));
    };
    let Some(vid_v) = va.get("volumeId") else {
        return bad(&format!(
            "Invalid input for field/attribute volumeAttachment. Value: {}. 'volumeId' is a required property",
            pyrepr(&Value::Object(va.clone()))
        ));
    };
    let Some(vid) = vid_v.as_str().filter(|s| is_uuid_like(s)).map(|s| s.to_string()) else {
        return bad(&format!(
            "Invalid input for field/attribute volumeId. Value: {}. {} is not a 'uuid'",
            crate::util::pystr(vid_v),
            pyrepr(vid_v)
        ));
    };
    let device = match va.get("device") {
        None | Some(Value::Null) => None,
        Some(Value::String(s)) => Some(s.clone()),
        Some(other) => {
            return bad(&format!(
                "Invalid input for field/attribute device. Value: {}. {} is not of type 'string', 'null'",
                crate::util::pystr(other),
                pyrepr(other)
            ))
        }
    };
    let tag = if mv >= (2, 49) {
        va.get("tag").and_then(|t| t.as_str()).map(|s| s.to_string())
    } else {
        None
    };
    let dot = mv >= (2, 79)
        && va
            .get("delete_on_termination")
            .and_then(|v| v.as_bool())
            .unwrap_or(false);
    let Some(si) = st.servers.iter().position(|s| s.id == sid) else {
        return not_found(&format!("Instance {sid} could not be found."));
    };
    let Some(v) = st.volumes.iter().find(|v| v.id == vid) else {
        return not_found(&format!("Volume {vid} could not be found."));
    };
    if st.servers[si].bdms.iter().any(|b| b.volume_id == vid) {
        return bad(&format!("Invalid volume: volume {vid} already attached"));
    }
    if v.status != "available" {
        return bad(&format!(
            "Invalid input received: Invalid volume: Volume {vid} status must be available or downloading to reserve, but the current status is {}. (HTTP 400) (Request-ID: {})",
            v.status,
            req_id()
        ));
    }
    let device = device.unwrap_or_else(|| {
        let used: Vec<&str> = st.servers[si].bdms.iter().map(|b| b.device.as_str()).collect();
        (b'b'..=b'z')
            .map(|c| format!("/dev/vd{}", c as char))
            .find(|d| !used.contains(&d.as_str()))
            .unwrap_or_else(|| "/dev/vdz".into())
    });
    let bdm = Bdm {
        volume_id: vid.clone(),
        device: device.clone(),
        attachment_id: uuid4(),
        bdm_uuid: uuid4(),
        tag,
        delete_on_termination: dot,
    };
    let att = VolAttachment {
        attachment_id: bdm.attachment_id.clone(),
        server_id: sid.to_string(),
        device,
        attached_at: 0,
        host_name: "mock-compute-01".into(),
    };
    let out = json!({"volumeAttachment": view(&bdm, sid, mv, true)});
    st.servers[si].bdms.push(bdm);
    begin_attach(st, &vid, att);
    Resp::json(200, &out)
}

fn detach(st: &mut State, sid: &str, vid: &str) -> Resp {
    let Some(si) = st.servers.iter().position(|s| s.id == sid) else {
        return not_found(&format!("Instance {sid} could not be found."));
    };
    if !st.volumes.iter().any(|v| v.id == vid) {
        return not_found(&format!("Volume {vid} could not be found."));
    }
    let Some(bi) = st.servers[si].bdms.iter().position(|b| b.volume_id == vid) else {
        return not_found(&format!("Instance {sid} is not attached to volume {vid}."));
    };
    let bdm = st.servers[si].bdms.remove(bi);
    begin_detach(st, vid, &bdm.attachment_id);
    Resp::empty(202, "application/json")
}
