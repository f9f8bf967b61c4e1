//! Volumes: their view, create, update, delete, and the seeding of many at once.

use super::faults::{bad, generic_bad};
use super::quotas::{check_gigabytes, check_volume_count};
use super::resource::{cancel_then_schedule, find, find_mut};
use super::schema::{
    additional_properties, bool_field, int_field, invalid_field, metadata, opt_str, parse_body, required_object,
    str_or_alias,
};
use super::Ctx;
use crate::server::Req;
use crate::state::{Op, Resource, Resp, State, Volume};
use crate::util::{pyrepr, ts, uuid4};
use serde_json::{json, Map, Value};

pub(super) fn vol_json(st: &State, v: &Volume, c: &Ctx, show: bool) -> Value {
    let creating = v.status == "creating";
    // Only completed attachments; the host only for admins (and services).
    let atts: Vec<Value> = st
        .attachments_of(&v.id)
        .filter(|a| a.status == "attached")
        .map(|a| {
            json!({"id": v.id, "attachment_id": a.id, "volume_id": v.id,
                   "server_id": a.instance, "host_name": if c.admin { json!(a.host) } else { Value::Null },
                   "device": a.mountpoint, "attached_at": a.attached_at.map(ts)})
        })
        .collect();
    let mut o = json!({
        "id": v.id, "status": v.status, "size": v.size, "availability_zone": v.availability_zone,
        "created_at": ts(v.created_at), "updated_at": v.updated_at.map(ts),
        "name": v.name, "description": v.description, "volume_type": v.volume_type,
        "snapshot_id": v.snapshot_id, "source_volid": v.source_volid, "metadata": v.metadata,
        "links": c.links("volumes", &v.id), "user_id": c.user_id,
        "bootable": "false", "encrypted": false, "replication_status": null,
        "consistencygroup_id": null, "multiattach": v.multiattach, "attachments": atts,
        "migration_status": null,
    });
    if c.at_least("3.13") {
        o["group_id"] = Value::Null;
    }
    if c.admin && c.at_least("3.21") {
        o["provider_id"] = Value::Null;
    }
    if c.at_least("3.48") {
        o["shared_targets"] = json!(creating);
        o["service_uuid"] = if creating {
            Value::Null
        } else {
            json!("6f3e1a52-2b7c-4a0e-9d55-1c2b3a4d5e6f")
        };
    }
    if c.admin && c.at_least("3.61") {
        o["cluster_name"] = Value::Null;
    }
    if c.at_least("3.63") {
        o["volume_type_id"] = json!("d5c9726b-d278-417a-87cc-1174e3dc7f6b");
    }
    if c.at_least("3.65") {
        o["consumes_quota"] = json!(true);
    }
    if show {
        o["os-vol-tenant-attr:tenant_id"] = json!(c.project);
        if c.admin {
            o["os-vol-mig-status-attr:migstat"] = Value::Null;
            o["os-vol-mig-status-attr:name_id"] = Value::Null;
            o["os-vol-host-attr:host"] = json!("mock-cinder@ceph#ceph");
        }
    }
    o
}

const VOLUME_KEYS: &[&str] = &[
    "name",
    "description",
    "display_name",
    "display_description",
    "size",
    "availability_zone",
    "source_volid",
    "snapshot_id",
    "backup_id",
    "volume_type",
    "metadata",
    "imageRef",
    "image_id",
    "multiattach",
    "consistencygroup_id",
    "group_id",
];

/// Adds `n` available 1 GiB volumes named `{prefix}{i}` at once (for load tests and
/// benchmarks that need a large project without creating it request by request).
pub fn seed_volumes(st: &mut State, prefix: &str, n: usize) -> Vec<String> {
    (0..n)
        .map(|i| {
            let now = st.now();
            let v = Volume {
                name: Some(format!("{prefix}{i}")),
                ..new_volume(1, "available", now)
            };
            let id = v.id.clone();
            st.volumes.push(v);
            id
        })
        .collect()
}

/// A new volume with Cinder's defaults; callers set what the request says.
pub(super) fn new_volume(size: i64, status: &str, now: i64) -> Volume {
    Volume {
        id: uuid4(),
        name: None,
        description: None,
        size,
        status: status.into(),
        created_at: now,
        updated_at: None,
        availability_zone: "nova".into(),
        volume_type: "__DEFAULT__".into(),
        snapshot_id: None,
        source_volid: None,
        metadata: Map::new(),
        multiattach: false,
        previous_status: None,
    }
}

/// Puts volume `id` in a transient status (extending, backing-up); the
/// scheduled `back` op ends it.
pub(super) fn start_transient(st: &mut State, id: &str, transient: &str, now: i64, back: Op) -> Result<(), Resp> {
    let v = find_mut(&mut st.volumes, id)?;
    v.previous_status = Some(v.status.clone());
    v.set_status(transient, now);
    st.schedule(back);
    Ok(())
}

pub(super) fn create_volume(st: &mut State, c: &Ctx, r: &Req) -> Result<Resp, Resp> {
    let body = parse_body(r)?;
    let obj = required_object(&body, "volume", false)?;
    additional_properties(Some("volume"), obj, VOLUME_KEYS)?;
    let name = str_or_alias(obj, "name", "display_name")?;
    let description = str_or_alias(obj, "description", "display_description")?;
    let meta = metadata(obj)?;
    let size = match obj.get("size") {
        None | Some(Value::Null) => None,
        Some(v) => Some(int_field("size", v, 1)?),
    };
    let az = opt_str(obj, "availability_zone")?.unwrap_or_else(|| "nova".into());
    let vtype = opt_str(obj, "volume_type")?.unwrap_or_else(|| "__DEFAULT__".into());
    let snapshot_id = opt_str(obj, "snapshot_id")?;
    let source_volid = opt_str(obj, "source_volid")?;
    let backup_id = opt_str(obj, "backup_id")?;
    let image = obj
        .get("imageRef")
        .or_else(|| obj.get("image_id"))
        .filter(|v| !v.is_null());
    if image.is_some() {
        return Err(bad("Invalid image identifier or unable to access requested image."));
    }
    let size = size_from_sources(
        st,
        size,
        snapshot_id.as_deref(),
        source_volid.as_deref(),
        backup_id.as_deref(),
    )?;
    check_gigabytes(st, size)?;
    check_volume_count(st)?;
    let now = st.now();
    let v = Volume {
        name,
        description,
        availability_zone: az,
        volume_type: vtype,
        snapshot_id,
        source_volid,
        metadata: meta,
        multiattach: bool_field(obj, "multiattach").ok().flatten().unwrap_or(false),
        ..new_volume(size, "creating", now)
    };
    let out = json!({"volume": vol_json(st, &v, c, false)});
    st.schedule(Op::vol_status(&v.id, "available"));
    st.volumes.push(v);
    Ok(Resp::json(202, &out))
}

/// The size of a new volume: the one asked for, or its source's (a snapshot, a
/// volume or a backup, which must be ready), and never less than the source's.
fn size_from_sources(
    st: &State,
    size: Option<i64>,
    snapshot_id: Option<&str>,
    source_volid: Option<&str>,
    backup_id: Option<&str>,
) -> Result<i64, Resp> {
    let mut check: Option<(i64, &str)> = None;
    if let Some(sid) = snapshot_id {
        let s = find(&st.snapshots, sid)?;
        if s.status != "available" {
            return Err(bad(
                "Invalid snapshot: Originating snapshot status must be one of 'available' values",
            ));
        }
        check = Some((s.size, "snapshot"));
    }
    if let Some(vid) = source_volid {
        let v = find(&st.volumes, vid)?;
        if v.status != "available" && v.status != "in-use" {
            return Err(bad(
                "Invalid volume: Originating source volume status must be one of 'available, in-use' values",
            ));
        }
        check = Some((v.size, "volume"));
    }
    if let Some(bid) = backup_id {
        let b = find(&st.backups, bid)?;
        if b.status != "available" {
            return Err(bad(
                "Invalid backup: Originating backup status must be one of 'available' values",
            ));
        }
        if check.is_none() {
            check = Some((b.size, "backup"));
        }
    }
    let Some(size) = size.or(check.map(|(s, _)| s)) else {
        return Err(generic_bad());
    };
    if let Some((src, what)) = check {
        if size < src {
            let msg = match what {
                "snapshot" => format!("Invalid input received: Volume size '{size}'GB cannot be smaller than the snapshot size {src}GB. They must be >= original snapshot size."),
                "volume" => format!("Invalid input received: Volume size '{size}'GB cannot be smaller than original volume size  {src}GB. They must be >= original volume size."),
                _ => format!("Invalid input received: Volume size {size}GB cannot be smaller than the backup size {src}GB. It must be >= backup size."),
            };
            return Err(bad(&msg));
        }
    }
    Ok(size)
}

pub(super) fn update_volume(st: &mut State, c: &Ctx, r: &Req, id: &str) -> Result<Resp, Resp> {
    let body = parse_body(r)?;
    let Some(obj) = body.get("volume").and_then(|v| v.as_object()).cloned() else {
        return Err(generic_bad());
    };
    let now = st.now();
    let v = find_mut(&mut st.volumes, id)?;
    for (k, field) in [
        ("name", 0),
        ("display_name", 0),
        ("description", 1),
        ("display_description", 1),
    ] {
        let value = match obj.get(k) {
            None => continue,
            Some(Value::Null) => None,
            Some(Value::String(s)) => Some(s.clone()),
            Some(other) => {
                return Err(invalid_field(
                    k,
                    other,
                    &format!("{} is not of type 'string', 'null'", pyrepr(other)),
                ))
            }
        };
        if field == 0 {
            v.name = value
        } else {
            v.description = value
        }
    }
    if let Some(Value::Object(m)) = obj.get("metadata") {
        v.metadata = m.clone();
    }
    v.updated_at = Some(now);
    let v = find(&st.volumes, id)?;
    Ok(Resp::json(200, &json!({"volume": vol_json(st, v, c, false)})))
}

const DELETE_MSG: &str = "Invalid volume: Volume status must be available or error or error_restoring or error_extending or error_managing and must not be migrating, attached, belong to a group, have snapshots, awaiting a transfer, or be disassociated from snapshots after volume transfer.";

pub(super) fn delete_volume(st: &mut State, id: &str, force: bool) -> Result<Resp, Resp> {
    let has_snaps = st.snapshots.iter().any(|s| s.volume_id == id);
    let attached = st.is_attached(id);
    let v = find_mut(&mut st.volumes, id)?;
    let ok_status = [
        "available",
        "error",
        "error_restoring",
        "error_extending",
        "error_managing",
    ]
    .contains(&v.status.as_str());
    let blocked = has_snaps || attached;
    if force {
        if blocked {
            return Err(bad("Invalid volume: Volume  must not be migrating, attached, belong to a group, have snapshots, awaiting a transfer, or be disassociated from snapshots after volume transfer."));
        }
    } else if !ok_status || blocked {
        return Err(bad(DELETE_MSG));
    }
    v.status = "deleting".into();
    let vid = v.id.clone();
    let cancel = |op: &Op| matches!(op, Op::VolStatus { id, .. } if *id == vid);
    cancel_then_schedule(st, cancel, Op::VolRemove(vid.clone()));
    Ok(Resp::empty(202, "text/html; charset=UTF-8"))
}
