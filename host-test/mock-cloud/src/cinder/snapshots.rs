//! Snapshots: their view, list columns, create, update and delete.

use super::faults::bad;
use super::paging::{named, Col, ListRules, Listed, Named};
use super::quotas::{check_count, check_gigabytes};
use super::resource::{cancel_then_schedule, find, find_mut};
use super::schema::{bool_field, metadata, parse_body, required_object, str_or_alias, volume_id_field, UpdateSchema};
use super::Ctx;
use crate::server::Req;
use crate::state::{Op, Resp, Snapshot, State};
use crate::util::{ts, uuid4};
use serde_json::{json, Map, Value};

impl Listed for Snapshot {
    const RULES: ListRules = ListRules::new(
        &[
            "name",
            "status",
            "volume_id",
            "metadata",
            "availability_zone",
            "consumes_quota",
        ],
        &[
            "volume_size",
            "volume_id",
            "volume_type_id",
            "progress",
            "group_snapshot_id",
            "cgsnapshot_id",
            "provider_id",
            "use_quota",
        ],
    )
    .legacy(&["status", "volume_id", "name", "metadata"], (3, 31))
    .added(&[("metadata", (3, 22))])
    .named((3, 30));
    fn meta(&self) -> Option<&Map<String, Value>> {
        Some(&self.metadata)
    }
    fn col(&self, name: &str) -> Option<Col<'_>> {
        Some(match name {
            "volume_size" => Col::Int(self.size),
            "volume_id" => Col::text(&self.volume_id),
            _ => return None,
        })
    }
    fn named(&self) -> Option<Named<'_>> {
        Some(named!(self))
    }
}

pub(super) fn snap_json(s: &Snapshot, c: &Ctx, detail: bool, show: bool) -> Value {
    let mut o = json!({"id": s.id, "created_at": ts(s.created_at), "updated_at": s.updated_at.map(ts),
        "name": s.name, "description": s.description, "volume_id": s.volume_id, "status": s.status,
        "size": s.size, "metadata": s.metadata});
    if detail {
        c.add_since(
            &mut o,
            [
                ("3.14", "group_snapshot_id", Value::Null),
                ("3.41", "user_id", json!(c.user_id)),
                ("3.65", "consumes_quota", json!(true)),
            ],
        );
    }
    if show {
        o["os-extended-snapshot-attributes:project_id"] = json!(s.project_id);
        // Set to 100% once the snapshot is made, and kept (deleting, restoring...).
        o["os-extended-snapshot-attributes:progress"] = json!(if s.status == "creating" { "0%" } else { "100%" });
    }
    o
}

pub(super) fn create_snapshot(st: &mut State, c: &Ctx, r: &Req) -> Result<Resp, Resp> {
    let body = parse_body(r)?;
    let obj = required_object(&body, "snapshot", false)?;
    let vid = volume_id_field(obj, "snapshot", true)?;
    let force = bool_field(obj, "force")?;
    let name = str_or_alias(obj, "name", "display_name")?;
    let description = str_or_alias(obj, "description", "display_description")?;
    let meta = metadata(obj)?;
    let v = find(&st.volumes, &vid)?;
    let (vsize, vstatus) = (v.size, v.status.clone());
    if c.mv >= (3, 66) && force == Some(false) {
        return Err(bad("Since microversion 3.66 the 'force' flag is invalid for this request.  For backward compatability, however, when the 'force' flag is passed with a value evaluating to True, it is silently ignored."));
    }
    if vstatus == "maintenance" {
        return Err(bad(
            "Invalid volume: The snapshot cannot be created when the volume is in maintenance mode.",
        ));
    }
    if vstatus == "error" {
        return Err(bad(
            "Invalid volume: The snapshot cannot be created when the volume is in error status.",
        ));
    }
    let valid: &[&str] = if c.mv >= (3, 66) || force == Some(true) {
        &["available", "in-use"]
    } else {
        &["available"]
    };
    if !valid.contains(&vstatus.as_str()) {
        return Err(bad(&format!(
            "Invalid volume: Volume {vid} status must be {}, but current status is: {vstatus}.",
            valid.join(", ")
        )));
    }
    check_gigabytes(st, vsize)?;
    check_count(st, "snapshots", st.snapshots.len(), |qs| {
        format!("SnapshotLimitExceeded: Maximum number of snapshots allowed ({qs}) exceeded")
    })?;
    let now = st.now();
    let s = Snapshot {
        id: uuid4(),
        name,
        description,
        volume_id: vid,
        status: "creating".into(),
        size: vsize,
        created_at: now,
        updated_at: None,
        metadata: meta,
        project_id: c.project.clone(),
    };
    let out = json!({"snapshot": snap_json(&s, c, true, false)});
    st.schedule(Op::SnapStatus(s.id.clone(), "available".into()));
    st.snapshots.push(s);
    Ok(Resp::json(202, &out))
}

/// `PUT /snapshots/{id}`: names and descriptions (one at least; stripped, at
/// most 255 characters). Answers the detail view.
pub(super) fn update_snapshot(st: &mut State, c: &Ctx, r: &Req, id: &str) -> Result<Resp, Resp> {
    let body = parse_body(r)?;
    let schema = UpdateSchema {
        what: "snapshot",
        keys: &["name", "description", "display_name", "display_description"],
        stripped_limit: false,
        at_least_one: true,
        nullable: false,
    };
    let (texts, _) = schema.check(&body)?;
    let now = st.now();
    let s = find_mut(&mut st.snapshots, id)?;
    texts.apply(&mut s.name, &mut s.description);
    s.updated_at = Some(now);
    Ok(Resp::json(200, &json!({"snapshot": snap_json(s, c, true, false)})))
}

pub(super) fn delete_snapshot(st: &mut State, id: &str, force: bool) -> Result<Resp, Resp> {
    let s = find_mut(&mut st.snapshots, id)?;
    if !force && s.status != "available" && s.status != "error" {
        return Err(bad(
            "Invalid snapshot: Volume Snapshot status must be available or error and must not be part of a group.",
        ));
    }
    s.status = "deleting".into();
    let sid = s.id.clone();
    let cancel = |op: &Op| matches!(op, Op::SnapStatus(i, _) if *i == sid);
    cancel_then_schedule(st, cancel, Op::SnapRemove(sid.clone()));
    Ok(Resp::empty(202, "text/html; charset=UTF-8"))
}
