//! Backups (full and incremental): their view, list columns, create (and its
//! failure in an unknown zone), update, delete and restore.

use super::faults::{bad, not_found};
use super::limits::ZONE;
use super::messages::{schedule_message, NO_BACKUP_SERVICE};
use super::paging::{named, summary, Col, ListRules, Listed, Named};
use super::quotas::{check_backup_gigabytes, check_count, check_gigabytes, check_volume_count};
use super::resource::{cancel_then_schedule, find, find_mut};
use super::schema::{
    additional_properties, bool_field, metadata, missing_property, opt_short_str, opt_str, parse_body, required_object,
    uuid_value, UpdateSchema,
};
use super::volumes::{new_volume, start_transient};
use super::Ctx;
use crate::server::Req;
use crate::state::{set_status_in, Backup, Op, Resource, Resp, State, Volume};
use crate::util::{ts, uuid4};
use serde_json::{json, Map, Value};
use std::time::Duration;

impl Listed for Backup {
    const RULES: ListRules = ListRules::new(
        &["name", "status", "volume_id"],
        &[
            "size",
            "availability_zone",
            "volume_id",
            "snapshot_id",
            "container",
            "data_timestamp",
            "parent_id",
            "object_count",
            "fail_reason",
            "host",
            "service",
        ],
    )
    .named((3, 37));
    fn col(&self, name: &str) -> Option<Col<'_>> {
        Some(match name {
            "size" => Col::Int(self.size),
            "availability_zone" => Col::opt(&self.availability_zone),
            "volume_id" => Col::text(&self.volume_id),
            "snapshot_id" => Col::opt(&self.snapshot_id),
            "container" => Col::opt(&self.container),
            "data_timestamp" => Col::Int(self.data_timestamp),
            _ => return None,
        })
    }
    fn named(&self) -> Option<Named<'_>> {
        Some(named!(self))
    }
}

/// Why a backup in a zone without a backup service fails.
const NO_SERVICE: &str = "Service not found for creating backup.";

pub(super) fn backup_json(st: &State, b: &Backup, c: &Ctx) -> Value {
    let mut o = json!({"id": b.id, "status": b.status, "size": b.size, "object_count": b.object_count,
        "availability_zone": b.availability_zone, "container": b.container, "created_at": ts(b.created_at),
        "updated_at": b.updated_at.map(ts), "name": b.name, "description": b.description,
        "fail_reason": b.fail_reason, "volume_id": b.volume_id, "links": c.links("backups", &b.id),
        "is_incremental": b.parent_id.is_some(), "has_dependent_backups": st.has_dependent_backups(&b.id),
        "snapshot_id": b.snapshot_id, "data_timestamp": ts(b.data_timestamp)});
    c.add_since(&mut o, [("3.43", "metadata", json!(b.metadata))]);
    if c.admin {
        let project = ("3.18", "os-backup-project-attr:project_id", json!(b.project_id));
        c.add_since(&mut o, [project, ("3.56", "user_id", json!(c.user_id))]);
    }
    o
}

/// What a backup create may hold at the microversion of `c`: `metadata` from
/// 3.43, `availability_zone` from 3.51.
fn create_keys(c: &Ctx) -> Vec<&'static str> {
    let mut keys = vec![
        "volume_id",
        "container",
        "description",
        "incremental",
        "force",
        "name",
        "snapshot_id",
    ];
    if c.at_least("3.43") {
        keys.push("metadata");
    }
    if c.at_least("3.51") {
        keys.push("availability_zone");
    }
    keys
}

/// A backup create's own fields, checked.
struct BackupRequest {
    volume_id: String,
    force: bool,
    incremental: bool,
    name: Option<String>,
    description: Option<String>,
    container: Option<String>,
    snapshot_id: Option<String>,
    metadata: Map<String, Value>,
    zone: Option<String>,
}

/// The fields of a backup create, checked in its schema's order (Cinder
/// reports the first error): each field, the required `volume_id`, others.
fn backup_request(c: &Ctx, body: &Value) -> Result<BackupRequest, Resp> {
    let obj = required_object(body, "backup", false)?;
    let keys = create_keys(c);
    let volume_id = obj.get("volume_id").map(|v| uuid_value("volume_id", v)).transpose()?;
    let mut req = BackupRequest {
        volume_id: String::new(),
        container: opt_short_str(obj, "container")?,
        description: opt_short_str(obj, "description")?,
        incremental: bool_field(obj, "incremental")?.unwrap_or(false),
        force: bool_field(obj, "force")?.unwrap_or(false),
        name: opt_short_str(obj, "name")?,
        snapshot_id: obj
            .get("snapshot_id")
            .filter(|v| !v.is_null())
            .map(|v| uuid_value("snapshot_id", v))
            .transpose()?,
        metadata: if keys.contains(&"metadata") {
            metadata(obj)?
        } else {
            Map::new()
        },
        zone: if keys.contains(&"availability_zone") {
            opt_short_str(obj, "availability_zone")?
        } else {
            None
        },
    };
    req.volume_id = volume_id.ok_or_else(|| missing_property("backup", obj, "volume_id"))?;
    additional_properties(Some("backup"), obj, &keys)?;
    Ok(req)
}

pub(super) fn create_backup(st: &mut State, c: &Ctx, r: &Req) -> Result<Resp, Resp> {
    let req = backup_request(c, &parse_body(r)?)?;
    let vid = req.volume_id.clone();
    let v = find(&st.volumes, &vid)?;
    let (vsize, vstatus) = (v.size, v.status.clone());
    let data_ts = check_source(st, req.snapshot_id.as_deref(), &vstatus, req.force)?;
    check_backup_gigabytes(st, vsize)?;
    check_count(st, "backups", st.backups.len(), |qb| {
        format!("BackupLimitExceeded: Maximum number of backups allowed ({qb}) exceeded")
    })?;
    let parent_id = if req.incremental {
        Some(incremental_parent(st, &vid)?)
    } else {
        None
    };
    let now = st.now();
    let b = Backup {
        id: uuid4(),
        name: req.name,
        description: req.description,
        volume_id: vid.clone(),
        snapshot_id: req.snapshot_id.clone(),
        status: "creating".into(),
        size: vsize,
        object_count: 0,
        container: req.container,
        created_at: now,
        updated_at: Some(now),
        data_timestamp: data_ts.unwrap_or(now),
        parent_id,
        metadata: req.metadata,
        project_id: c.project.clone(),
        availability_zone: req.zone,
        fail_reason: None,
    };
    let out = json!({"backup": summary(&b, c)});
    schedule_backup(st, c, &b);
    if req.snapshot_id.is_none() {
        start_transient(st, &vid, "backing-up", now, Op::vol_status(&vid, &vstatus))?;
    }
    st.backups.push(b);
    Ok(Resp::json(202, &out))
}

/// A new backup becomes `available`; in a zone other than the backup service's
/// it fails (`error`, with its reason and a user message).
fn schedule_backup(st: &mut State, c: &Ctx, b: &Backup) {
    if b.availability_zone.as_deref().is_none_or(|z| z == ZONE) {
        st.schedule(Op::BackupStatus(b.id.clone(), "available".into()));
        return;
    }
    st.schedule(Op::BackupFail(b.id.clone(), NO_SERVICE));
    schedule_message(st, c, &NO_BACKUP_SERVICE, &b.id);
}

/// `PUT /backups/{id}` (3.9+): name, description and (3.43+) metadata, which
/// replaces the backup's. Answers the summary view.
pub(super) fn update_backup(st: &mut State, c: &Ctx, r: &Req, id: &str) -> Result<Resp, Resp> {
    if c.mv < (3, 9) {
        return Err(not_found("The resource could not be found."));
    }
    let body = parse_body(r)?;
    let keys: &[&str] = if c.at_least("3.43") {
        &["name", "description", "metadata"]
    } else {
        &["name", "description"]
    };
    let schema = UpdateSchema {
        what: "backup",
        keys,
        stripped_limit: false,
        at_least_one: false,
        nullable: true,
    };
    let (texts, meta) = schema.check(&body)?;
    let b = find_mut(&mut st.backups, id)?;
    texts.apply(&mut b.name, &mut b.description);
    if let Some(m) = meta {
        b.metadata = m;
    }
    Ok(Resp::json(200, &json!({"backup": summary(b, c)})))
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

pub(super) fn restore_backup(st: &mut State, c: &Ctx, r: &Req, id: &str) -> Result<Resp, Resp> {
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
                ..new_volume(bsize, "restoring-backup", now, &c.project)
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
