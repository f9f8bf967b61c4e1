//! The attachments API (3.27+): reserve, connect, complete and delete, as Nova
//! drives it.

use super::actions::action_name;
use super::faults::{bad, conflict, fault, no_such_action, not_found, server_error};
use super::paging::{page, Col, ListRules, Listed};
use super::resource::find;
use super::schema::{additional_properties, invalid_field, missing_property, parse_body, required_object, uuid_value};
use super::Ctx;
use crate::server::Req;
use crate::state::{set_status_in, Attachment, Resp, State};
use crate::util::{pyrepr, ts, uuid4};
use serde_json::{json, Map, Value};

pub(super) fn attachment_json(a: &Attachment, detail: bool) -> Value {
    let mut o = json!({"id": a.id, "status": a.status, "instance": a.instance, "volume_id": a.volume_id});
    if detail {
        o["attached_at"] = json!(a.attached_at.map(ts).unwrap_or_default());
        o["detached_at"] = json!("");
        o["attach_mode"] = json!(a.attach_mode);
        o["connection_info"] = Value::Object(a.connection_info.clone());
    }
    o
}

impl Listed for Attachment {
    const RULES: ListRules = ListRules::new(
        &["volume_id", "status", "instance_id", "attach_status"],
        &[
            "id",
            "volume_id",
            "instance_uuid",
            "attached_host",
            "mountpoint",
            "attach_time",
            "detach_time",
            "attach_mode",
            "attach_status",
            "created_at",
            "updated_at",
        ],
    );
    fn col(&self, name: &str) -> Option<Col<'_>> {
        Some(match name {
            "volume_id" => Col::text(&self.volume_id),
            "instance_id" | "instance_uuid" => Col::opt(&self.instance),
            "attach_status" => Col::text(&self.status),
            // A filter, but no column: it matches nothing.
            "status" => return None,
            "attach_mode" => Col::text(&self.attach_mode),
            "attached_host" => Col::opt(&self.host),
            "mountpoint" => Col::opt(&self.mountpoint),
            "created_at" => Col::Int(self.created_at),
            _ => return None,
        })
    }
}

/// Attachment lists are never given next links.
pub(super) fn attachment_list(st: &State, c: &Ctx, q: &[(String, String)], detail: bool) -> Result<Resp, Resp> {
    let rows = page(st, c, q, &st.attachments)?.rows;
    let list: Vec<Value> = rows.into_iter().map(|a| attachment_json(a, detail)).collect();
    Ok(Resp::json(200, &json!({ "attachments": list })))
}

const ATTACHMENT_KEYS: &[&str] = &["instance_uuid", "connector", "volume_uuid", "mode"];

/// `attachment_create`: reserves the volume (`reserved`) for a server; with a
/// connector it is also updated at once (`attaching`). Its mode is the one asked
/// for (3.54+), but `ro` whenever the volume has a read-only flag, true or false
/// (Cinder tests the admin metadata's presence); the connector's mode is not kept.
pub(super) fn create_attachment(st: &mut State, c: &Ctx, r: &Req) -> Result<Resp, Resp> {
    let body = parse_body(r)?;
    let req = attachment_request(c, &body)?;
    let now = reserve(st, &req.volume_id, req.instance.as_deref())?;
    let flagged = find(&st.volumes, &req.volume_id)?.readonly.is_some();
    let mode = if flagged { "ro" } else { req.mode.unwrap_or("null") };
    let mut att = Attachment {
        id: uuid4(),
        volume_id: req.volume_id,
        instance: req.instance,
        status: "reserved".into(),
        attach_mode: mode.to_string(),
        attached_at: None,
        host: None,
        mountpoint: None,
        connection_info: Map::new(),
        created_at: now,
    };
    st.attachments.push(att.clone());
    if let Some(conn) = req.connector {
        att.connection_info = connect(st, &att.id, &conn);
        set_attach_mode(st, &att.id, mode);
    }
    Ok(Resp::json(200, &json!({"attachment": attachment_json(&att, true)})))
}

/// An `attachment_create` body, checked.
struct AttachmentRequest<'a> {
    volume_id: String,
    instance: Option<String>,
    connector: Option<Map<String, Value>>,
    /// `rw` or `ro` (3.54+).
    mode: Option<&'a str>,
}

/// Checks an `attachment_create` body as its schema does: the properties in
/// order, then the required one, then additional ones.
fn attachment_request<'a>(c: &Ctx, body: &'a Value) -> Result<AttachmentRequest<'a>, Resp> {
    let a = required_object(body, "attachment", false)?;
    let instance = a
        .get("instance_uuid")
        .map(|v| uuid_value("instance_uuid", v))
        .transpose()?;
    let connector = match a.get("connector") {
        None | Some(Value::Null) => None,
        Some(Value::Object(o)) => Some(o.clone()),
        Some(v) => {
            return Err(invalid_field(
                "connector",
                v,
                &format!("{} is not of type 'object', 'null'", pyrepr(v)),
            ))
        }
    };
    let vid = a.get("volume_uuid").map(|v| uuid_value("volume_uuid", v)).transpose()?;
    let with_mode = c.mv >= (3, 54);
    let mode = match a.get("mode") {
        Some(m) if with_mode => Some(attach_mode(m)?),
        _ => None,
    };
    let Some(vid) = vid else {
        return Err(missing_property("attachment", a, "volume_uuid"));
    };
    let keys = if with_mode {
        ATTACHMENT_KEYS
    } else {
        &ATTACHMENT_KEYS[..3]
    };
    additional_properties(Some("attachment"), a, keys)?;
    additional_properties(None, body.as_object().unwrap_or(a), &["attachment"])?;
    Ok(AttachmentRequest {
        volume_id: vid,
        instance,
        connector,
        mode,
    })
}

/// The `mode` of an attachment: `rw` or `ro`.
fn attach_mode(m: &Value) -> Result<&str, Resp> {
    match m.as_str() {
        Some(mode @ ("rw" | "ro")) => Ok(mode),
        Some(_) => Err(invalid_field(
            "mode",
            m,
            &format!("{} is not one of ['rw', 'ro']", pyrepr(m)),
        )),
        None => Err(invalid_field(
            "mode",
            m,
            &format!("{} is not of type 'string'", pyrepr(m)),
        )),
    }
}

/// Reserves volume `vid` for server `instance`: the volume is `reserved`, unless
/// the same server attaches it again (a move). Returns the time of it.
fn reserve(st: &mut State, vid: &str, instance: Option<&str>) -> Result<i64, Resp> {
    let v = find(&st.volumes, vid)?;
    let (status, multiattach) = (v.status.clone(), v.multiattach);
    if status.contains("error") {
        return Err(bad(&format!("Invalid volume: Volume attachments can not be created if the volume is in an error state. The Volume {vid} currently has a status of: {status} ")));
    }
    let expected: &[&str] = if multiattach {
        &["available", "in-use", "downloading"]
    } else {
        &["available", "downloading"]
    };
    let now = st.now();
    if expected.contains(&status.as_str()) {
        set_status_in(&mut st.volumes, vid, "reserved", now);
    } else {
        // The same server may attach again (a move); the status then stays.
        let same_server = instance.is_some()
            && (status == "in-use" || status == "reserved")
            && st.attachments_of(vid).any(|x| x.instance.as_deref() == instance);
        if !same_server {
            return Err(bad(&format!(
                "Invalid volume: Volume {vid} status must be {} to reserve, but the current status is {status}.",
                expected.join(" or ")
            )));
        }
    }
    Ok(now)
}

fn set_attach_mode(st: &mut State, id: &str, mode: &str) {
    if let Some(a) = st.attachments.iter_mut().find(|a| a.id == id) {
        a.attach_mode = mode.to_string();
    }
}

/// The volume service's `attachment_update`: the connector's host, mountpoint and
/// mode go to attachment `id` (`attaching`, attached_at now) and its volume is
/// `attaching`. Returns the connection info (as the ceph driver gives it), whose
/// access mode is `ro` only for a volume flagged read-only.
fn connect(st: &mut State, id: &str, connector: &Map<String, Value>) -> Map<String, Value> {
    let now = st.now();
    let vid = find(&st.attachments, id)
        .map(|a| a.volume_id.clone())
        .unwrap_or_default();
    let readonly = st.volumes.iter().any(|v| v.id == vid && v.readonly == Some(true));
    let access_mode = if readonly { "ro" } else { "rw" };
    let Some(a) = st.attachments.iter_mut().find(|a| a.id == id) else {
        return Map::new();
    };
    let text = |k: &str, default: &str| connector.get(k).and_then(|v| v.as_str()).unwrap_or(default).to_string();
    if a.attach_mode == "null" {
        a.attach_mode = text("mode", "rw");
    }
    a.status = "attaching".into();
    a.attached_at = Some(now);
    a.host = Some(text("host", ""));
    a.mountpoint = Some(text("mountpoint", "na"));
    let info = json!({"driver_volume_type": "rbd", "name": format!("volumes/volume-{}", a.volume_id),
        "hosts": ["127.0.0.1"], "ports": ["6789"], "cluster_name": "ceph", "auth_enabled": false,
        "auth_username": null, "secret_type": "ceph", "secret_uuid": null, "volume_id": a.volume_id,
        "discard": true, "access_mode": access_mode, "qos_specs": null, "encrypted": false,
        "cacheable": false, "attachment_id": a.id, "enforce_multipath": false});
    a.connection_info = info.as_object().cloned().unwrap_or_default();
    let vid = a.volume_id.clone();
    let info = a.connection_info.clone();
    set_status_in(&mut st.volumes, &vid, "attaching", now);
    info
}

/// `PUT /attachments/{id}`: answers the attachment as it was, with the new connection info.
pub(super) fn update_attachment(st: &mut State, r: &Req, id: &str) -> Result<Resp, Resp> {
    let body = parse_body(r)?;
    let a = required_object(&body, "attachment", false)?;
    let connector = match a.get("connector") {
        None => return Err(missing_property("attachment", a, "connector")),
        Some(Value::Object(o)) if o.is_empty() => {
            return Err(invalid_field("connector", &json!({}), "{} should be non-empty"))
        }
        Some(Value::Object(o)) => o.clone(),
        Some(v) => {
            return Err(invalid_field(
                "connector",
                v,
                &format!("{} is not of type 'object'", pyrepr(v)),
            ))
        }
    };
    additional_properties(Some("attachment"), a, &["connector"])?;
    additional_properties(None, body.as_object().unwrap_or(a), &["attachment"])?;
    let before = find(&st.attachments, id)?.clone();
    let vid = before.volume_id.clone();
    let v = find(&st.volumes, &vid)?;
    if v.status.contains("error") {
        return Err(conflict(&format!("Volume attachments can not be updated if the volume is in an error state. The Volume {vid} currently has a status of: {} ", v.status)));
    }
    let theirs: Vec<&Attachment> = st.attachments_of(&vid).collect();
    if theirs.len() > 1 && !v.multiattach && theirs.iter().any(|x| !x.connection_info.is_empty()) {
        return Err(conflict(&format!("duplicate connectors detected on volume {vid}")));
    }
    let connection_info = connect(st, id, &connector);
    let out = Attachment {
        connection_info,
        ..before
    };
    Ok(Resp::json(200, &json!({"attachment": attachment_json(&out, true)})))
}

/// The volume status its remaining attachments give (Cinder's `volume_detached`):
/// the first attach status alphabetically, `attached` meaning in-use, none available.
fn status_from_attachments(st: &State, vid: &str) -> &'static str {
    let has = |s: &str| st.attachments_of(vid).any(|a| a.status == s);
    if has("attached") {
        "in-use"
    } else if has("attaching") {
        "attaching"
    } else if has("reserved") {
        "reserved"
    } else {
        "available"
    }
}

/// Answers the volume's remaining attachments.
pub(super) fn delete_attachment(st: &mut State, r: &Req, id: &str) -> Result<Resp, Resp> {
    let a = find(&st.attachments, id)?;
    // Bug #2004555: only a service may delete an attachment still connected to a
    // server; for anyone else Cinder asks Nova (`GET /servers/{id}/os-volume_attachments/
    // {volume}` at 2.89): 409 when Nova still uses this very attachment, allowed when
    // Nova does not (another attachment id, or no such BDM). A server the mock's Nova
    // does not know stands for a Cinder that cannot reach Nova: 500.
    let service = r
        .header("X-Service-Roles")
        .is_some_and(|h| h.split(',').any(|role| role.trim() == "service"));
    if let (false, Some(sid), false) = (service, &a.instance, a.connection_info.is_empty()) {
        let Some(server) = st.servers.iter().find(|s| &s.id == sid) else {
            return Err(server_error());
        };
        if server
            .bdms
            .iter()
            .any(|b| b.volume_id == a.volume_id && b.attachment_id == id)
        {
            return Err(fault(
                409,
                "conflictingRequest",
                &format!("ConflictNovaUsingAttachment: Detach volume from instance {sid} using the Compute API"),
            ));
        }
    }
    let vid = a.volume_id.clone();
    st.attachments.retain(|x| x.id != id);
    let now = st.now();
    let status = status_from_attachments(st, &vid);
    set_status_in(&mut st.volumes, &vid, status, now);
    let rest: Vec<Value> = st.attachments_of(&vid).map(|x| attachment_json(x, false)).collect();
    Ok(Resp::json(200, &json!({ "attachments": rest })))
}

/// `os-complete` (3.44+): the attachment is `attached`, its volume `in-use`.
pub(super) fn attachment_action(st: &mut State, c: &Ctx, r: &Req, id: &str) -> Result<Resp, Resp> {
    let (action, _) = action_name(r)?;
    if action != "os-complete" {
        return Err(no_such_action(&action));
    }
    if c.mv < (3, 44) {
        return Err(not_found("The resource could not be found."));
    }
    let vid = find(&st.attachments, id)?.volume_id.clone();
    find(&st.volumes, &vid)?;
    let now = st.now();
    set_status_in(&mut st.attachments, id, "attached", now);
    set_status_in(&mut st.volumes, &vid, "in-use", now);
    Ok(Resp::empty(204, "application/json"))
}
