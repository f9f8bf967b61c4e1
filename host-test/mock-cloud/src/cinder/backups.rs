//! Backups (full and incremental): their view, create, delete and restore.

use super::faults::bad;
use super::paging::summary;
use super::quotas::{check_backup_gigabytes, check_count, check_gigabytes, check_volume_count};
use super::resource::{cancel_then_schedule, find, find_mut};
use super::schema::{bool_field, metadata, opt_str, parse_body, required_object, volume_id_field};
use super::volumes::{new_volume, start_transient};
use super::Ctx;
use crate::server::Req;
use crate::state::{set_status_in, Backup, Op, Resource, Resp, State, Volume};
use crate::util::{ts, uuid4};
use serde_json::{json, Map, Value};
use std::time::Duration;

pub(super) fn backup_json(st: &State, b: &Backup, c: &Ctx) -> Value {
    let mut o = json!({"id": b.id, "status": b.status, "size": b.size, "object_count": b.object_count,
        "availability_zone": if b.status == "creating" { Value::Null } else { json!("nova") }, "container": b.container, "created_at": ts(b.created_at),
        "updated_at": b.updated_at.map(ts), "name": b.name, "description": b.description,
        "fail_reason": null, "volume_id": b.volume_id, "links": c.links("backups", &b.id),
        "is_incremental": b.parent_id.is_some(), "has_dependent_backups": st.has_dependent_backups(&b.id),
        "snapshot_id": b.snapshot_id, "data_timestamp": ts(b.data_timestamp)});
    if c.at_least("3.43") {
        o["metadata"] = json!(b.metadata);
    }
    if c.admin {
        if c.at_least("3.18") {
            o["os-backup-project-attr:project_id"] = json!(c.project);
        }
        if c.at_least("3.56") {
            o["user_id"] = json!(c.user_id);
        }
    }
    o
}

pub(super) fn create_backup(st: &mut State, c: &Ctx, r: &Req) -> Result<Resp, Resp> {
    let body = parse_body(r)?;
    let obj = required_object(&body, "backup", false)?;
    let vid = volume_id_field(obj, "backup", false)?;
    let force = bool_field(obj, "force")?.unwrap_or(false);
    let incremental = bool_field(obj, "incremental")?.unwrap_or(false);
    let name = opt_str(obj, "name")?;
    let description = opt_str(obj, "description")?;
    let container = opt_str(obj, "container")?;
    let snapshot_id = opt_str(obj, "snapshot_id")?;
    let meta = metadata(obj)?;
    let v = find(&st.volumes, &vid)?;
    let (vsize, vstatus) = (v.size, v.status.clone());
    let data_ts = check_source(st, snapshot_id.as_deref(), &vstatus, force)?;
    check_backup_gigabytes(st, vsize)?;
    check_count(st, "backups", st.backups.len(), |qb| {
        format!("BackupLimitExceeded: Maximum number of backups allowed ({qb}) exceeded")
    })?;
    let parent_id = if incremental {
        Some(incremental_parent(st, &vid)?)
    } else {
        None
    };
    let now = st.now();
    let b = Backup {
        id: uuid4(),
        name,
        description,
        volume_id: vid.clone(),
        snapshot_id: snapshot_id.clone(),
        status: "creating".into(),
        size: vsize,
        object_count: 0,
        container,
        created_at: now,
        updated_at: Some(now),
        data_timestamp: data_ts.unwrap_or(now),
        parent_id,
        metadata: meta,
    };
    let out = json!({"backup": summary(&b, c)});
    st.schedule(Op::BackupStatus(b.id.clone(), "available".into()));
    if snapshot_id.is_none() {
        start_transient(st, &vid, "backing-up", now, Op::vol_status(&vid, &vstatus))?;
    }
    st.backups.push(b);
    Ok(Resp::json(202, &out))
}

/// A backup's source must be ready: the snapshot `snapshot_id` available (its
/// creation is then the data timestamp), or else the volume available or in-use
/// (with `force`).
fn check_source(st: &State, snapshot_id: Option<&str>, vstatus: &str, force: bool) -> Result<Option<i64>, Resp> {
    if let Some(sid) = snapshot_id {
        let s = find(&st.snapshots, sid)?;
        if s.status != "available" {
            return Err(bad(&format!(
                "Invalid snapshot: Snapshot to be backed up must be available, but the current status is \"{}\".",
                s.status
            )));
        }
        return Ok(Some(s.created_at));
    }
    if vstatus != "available" && vstatus != "in-use" {
        return Err(bad(&format!("Invalid volume: Volume to be backed up must be available or in-use, but the current status is \"{vstatus}\".")));
    }
    if vstatus == "in-use" && !force {
        return Err(bad(
            "Invalid volume: Backing up an in-use volume must use the force flag.",
        ));
    }
    Ok(None)
}

/// The parent of an incremental backup of volume `vid`: its latest available backup.
fn incremental_parent(st: &State, vid: &str) -> Result<String, Resp> {
    let parent = st
        .backups
        .iter()
        .filter(|b| b.volume_id == vid && b.status == "available")
        .max_by_key(|b| b.data_timestamp);
    match parent {
        Some(p) => Ok(p.id.clone()),
        None => Err(bad("Invalid backup: No backups available to do an incremental backup.")),
    }
}

pub(super) fn delete_backup(st: &mut State, id: &str, force: bool) -> Result<Resp, Resp> {
    let deps = st.has_dependent_backups(id);
    let b = find_mut(&mut st.backups, id)?;
    if !force && b.status != "available" && b.status != "error" {
        return Err(bad("Invalid backup: Backup status must be available or error"));
    }
    if deps {
        return Err(bad("Invalid backup: Incremental backups exist for this backup."));
    }
    b.status = "deleting".into();
    let bid = b.id.clone();
    let cancel = |op: &Op| matches!(op, Op::BackupStatus(i, _) if *i == bid);
    cancel_then_schedule(st, cancel, Op::BackupRemove(bid.clone()));
    Ok(Resp::empty(202, "application/json"))
}

pub(super) fn restore_backup(st: &mut State, r: &Req, id: &str) -> Result<Resp, Resp> {
    let body = parse_body(r)?;
    let obj = required_object(&body, "restore", true)?;
    let volume_id = opt_str(obj, "volume_id")?;
    let name = opt_str(obj, "name")?;
    let b = find(&st.backups, id)?;
    if b.status != "available" {
        return Err(bad("Invalid backup: Backup status must be available"));
    }
    let bsize = b.size;
    let now = st.now();
    let (vid, vname) = match volume_id {
        None => {
            check_gigabytes(st, bsize)?;
            check_volume_count(st)?;
            let name = name.unwrap_or_else(|| format!("restore_backup_{id}"));
            let mut meta = Map::new();
            meta.insert("src_backup_id".into(), json!(id));
            let v = Volume {
                name: Some(name.clone()),
                description: Some("auto-created_from_restore_from_backup".into()),
                updated_at: Some(now),
                metadata: meta,
                ..new_volume(bsize, "restoring-backup", now)
            };
            let vid = v.id.clone();
            st.volumes.push(v);
            (vid, name)
        }
        Some(vid) => {
            let v = find_mut(&mut st.volumes, &vid)?;
            if v.status != "available" {
                return Err(bad("Invalid volume: Volume to be restored to must be available"));
            }
            if bsize > v.size {
                return Err(bad(&format!(
                    "Invalid volume: volume size {} is too small to restore backup of size {bsize}.",
                    v.size
                )));
            }
            v.set_status("restoring-backup", now);
            (vid, v.name.clone().unwrap_or_default())
        }
    };
    set_status_in(&mut st.backups, id, "restoring", now);
    st.schedule(Op::vol_status(&vid, "available"));
    st.schedule_after(Duration::ZERO, Op::BackupStatus(id.to_string(), "available".into()));
    Ok(Resp::json(
        202,
        &json!({"restore": {"backup_id": id, "volume_id": vid, "volume_name": vname}}),
    ))
}
