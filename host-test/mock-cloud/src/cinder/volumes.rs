//! Volumes: their view, list columns, create (and its failure on the
//! backend), update, delete, and the seeding of many at once.

use super::faults::{bad, forbidden, generic_bad};
use super::limits::ZONE;
use super::messages::{schedule_message, DRIVER_FAILED, NO_VALID_BACKEND};
use super::paging::{named, param, Col, ListRules, Listed, Named};
use super::projects;
use super::quotas::{check_gigabytes, check_volume_count};
use super::resource::{find, find_mut};
use super::schema::{
    additional_properties, bool_field, int_field, metadata, opt_str, parse_body, required_object, str_or_alias,
    UpdateSchema,
};
use super::types::requested_type;
use super::Ctx;
use crate::server::Req;
use crate::state::{Op, Resource, Resp, State, Volume, DEFAULT_TYPE_ID};
use crate::util::{ts, uuid4};
use serde_json::{json, Map, Value};

/// The backend pool volumes are on, and its volume service.
const HOST: &str = "mock-cinder@ceph#ceph";
const SERVICE_UUID: &str = "6f3e1a52-2b7c-4a0e-9d55-1c2b3a4d5e6f";

/// The columns volumes sort on (besides those all named resources do).
const VOLUME_SORTS: &[&str] = &[
    "size",
    "availability_zone",
    "bootable",
    "multiattach",
    "volume_type_id",
    "snapshot_id",
    "source_volid",
    "host",
    "migration_status",
    "attach_status",
    "group_id",
    "consistencygroup_id",
    "replication_status",
    "previous_status",
    "provider_id",
    "service_uuid",
    "shared_targets",
    "cluster_name",
    "use_quota",
];

/// A volume's filters (`resource_filters.json`).
const VOLUME_FILTERS: &[&str] = &[
    "name",
    "status",
    "metadata",
    "bootable",
    "migration_status",
    "availability_zone",
    "group_id",
    "size",
    "created_at",
    "updated_at",
    "consumes_quota",
];

impl Listed for Volume {
    const RULES: ListRules = ListRules::new(VOLUME_FILTERS, VOLUME_SORTS)
        .added(&[("glance_metadata", (3, 4)), ("group_id", (3, 10))])
        .named((3, 0));
    fn col(&self, name: &str) -> Option<Col<'_>> {
        Some(match name {
            "size" => Col::Int(self.size),
            "availability_zone" => Col::text(&self.availability_zone),
            "bootable" => Col::text(if self.bootable { "true" } else { "false" }),
            "volume_type_id" => Col::text(&self.volume_type_id),
            "snapshot_id" => Col::opt(&self.snapshot_id),
            "source_volid" => Col::opt(&self.source_volid),
            "host" => Col::opt(&self.host),
            _ => return None,
        })
    }
    fn named(&self) -> Option<Named<'_>> {
        Some(named!(self))
    }
    fn meta(&self) -> Option<&Map<String, Value>> {
        Some(&self.metadata)
    }
}

pub(super) fn vol_json(st: &State, v: &Volume, c: &Ctx, show: bool) -> Value {
    // Not (yet) on a backend.
    let creating = v.status == "creating" || v.host.is_none();
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
        "snapshot_id": v.snapshot_id, "source_volid": v.source_volid, "metadata": visible_metadata(v),
        "links": c.links("volumes", &v.id), "user_id": c.user_id,
        "bootable": if v.bootable { "true" } else { "false" }, "encrypted": false, "replication_status": null,
        "consistencygroup_id": null, "multiattach": v.multiattach, "attachments": atts,
        "migration_status": null,
    });
    let service = if creating { Value::Null } else { json!(SERVICE_UUID) };
    c.add_since(
        &mut o,
        [
            ("3.13", "group_id", Value::Null),
            ("3.48", "shared_targets", json!(creating)),
            ("3.48", "service_uuid", service),
            ("3.63", "volume_type_id", json!(v.volume_type_id)),
            ("3.65", "consumes_quota", json!(true)),
        ],
    );
    if c.admin {
        c.add_since(
            &mut o,
            [
                ("3.21", "provider_id", Value::Null),
                ("3.61", "cluster_name", Value::Null),
            ],
        );
    }
    if show {
        o["os-vol-tenant-attr:tenant_id"] = json!(v.project_id);
        if c.admin {
            o["os-vol-mig-status-attr:migstat"] = Value::Null;
            o["os-vol-mig-status-attr:name_id"] = Value::Null;
            o["os-vol-host-attr:host"] = json!(v.host);
        }
    }
    o
}

/// A volume's metadata as its views show it: with the admin metadata users may
/// see (`readonly`; `attached_mode` only comes with the legacy `os-attach`,
/// which the mock has not).
pub(super) fn visible_metadata(v: &Volume) -> Map<String, Value> {
    let mut m = v.metadata.clone();
    if let Some(ro) = v.readonly {
        m.insert("readonly".into(), json!(if ro { "True" } else { "False" }));
    }
    m
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
                ..new_volume(1, "available", now, &st.opts.project_id)
            };
            let id = v.id.clone();
            st.volumes.push(v);
            id
        })
        .collect()
}

/// A new volume of `project` with Cinder's defaults; callers set what the request says.
pub(super) fn new_volume(size: i64, status: &str, now: i64, project: &str) -> Volume {
    Volume {
        id: uuid4(),
        name: None,
        description: None,
        size,
        status: status.into(),
        created_at: now,
        updated_at: None,
        availability_zone: ZONE.into(),
        volume_type: "__DEFAULT__".into(),
        volume_type_id: DEFAULT_TYPE_ID.into(),
        snapshot_id: None,
        source_volid: None,
        metadata: Map::new(),
        multiattach: false,
        previous_status: None,
        host: Some(HOST.into()),
        project_id: project.to_string(),
        bootable: false,
        readonly: None,
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
    let name = str_or_alias(obj, "name", "display_name")?;
    let description = str_or_alias(obj, "description", "display_description")?;
    let asked_type = opt_str(obj, "volume_type")?;
    let meta = metadata(obj)?;
    let size = match obj.get("size") {
        None | Some(Value::Null) => None,
        Some(v) => Some(int_field("size", v, 1)?),
    };
    let az = opt_str(obj, "availability_zone")?.unwrap_or_else(|| ZONE.into());
    // Other properties are ignored before 3.53.
    if c.at_least("3.53") {
        additional_properties(Some("volume"), obj, VOLUME_KEYS)?;
    }
    let vtype = requested_type(st, asked_type.as_deref())?;
    let (type_name, type_id) = (vtype.name.clone(), vtype.id.clone());
    let (size, snapshot_id, source_volid) = size_and_sources(st, obj, size)?;
    if az != ZONE {
        return Err(bad(&format!("Availability zone '{az}' is invalid.")));
    }
    check_gigabytes(st, size)?;
    check_volume_count(st)?;
    let now = st.now();
    let fits = size <= st.opts.backend_max_volume_gb;
    let v = Volume {
        name,
        description,
        host: fits.then(|| HOST.to_string()),
        volume_type: type_name,
        volume_type_id: type_id,
        snapshot_id,
        source_volid,
        metadata: meta,
        multiattach: bool_field(obj, "multiattach").ok().flatten().unwrap_or(false),
        ..new_volume(size, "creating", now, &c.project)
    };
    let out = json!({"volume": vol_json(st, &v, c, false)});
    schedule_creation(st, c, &v.id, fits);
    st.volumes.push(v);
    Ok(Resp::json(202, &out))
}

/// The size of a new volume (`size`, or its source's) and the snapshot and
/// volume it is made from (not from an image: there is no Glance).
fn size_and_sources(
    st: &State,
    obj: &Map<String, Value>,
    size: Option<i64>,
) -> Result<(i64, Option<String>, Option<String>), Resp> {
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
    Ok((size, snapshot_id, source_volid))
}

/// A new volume becomes `available`; one larger than the backend can make (not
/// `fits`) fails as on the real test Cinder: the driver fails at each of the
/// scheduler's three attempts, then no backend is left (`error`, on no host).
fn schedule_creation(st: &mut State, c: &Ctx, id: &str, fits: bool) {
    if fits {
        st.schedule(Op::vol_status(id, "available"));
        return;
    }
    for _ in 0..3 {
        schedule_message(st, c, &DRIVER_FAILED, id);
    }
    schedule_message(st, c, &NO_VALID_BACKEND, id);
    st.schedule(Op::vol_status(id, "error"));
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

/// What an update may change, in the schema's order.
const UPDATE_KEYS: [&str; 5] = ["name", "description", "display_name", "display_description", "metadata"];

/// `PUT /volumes/{id}`: names and descriptions (stripped; `""` is kept, null
/// clears), metadata (replaced). From 3.53 the body names one of them at least.
pub(super) fn update_volume(st: &mut State, c: &Ctx, r: &Req, id: &str) -> Result<Resp, Resp> {
    let body = parse_body(r)?;
    let schema = UpdateSchema {
        what: "volume",
        keys: &UPDATE_KEYS,
        stripped_limit: true,
        at_least_one: c.mv >= (3, 53),
        nullable: false,
    };
    let (texts, meta) = schema.check(&body)?;
    let now = st.now();
    let v = find_mut(&mut st.volumes, id)?;
    texts.apply(&mut v.name, &mut v.description);
    if let Some(m) = meta {
        v.metadata = m;
    }
    v.updated_at = Some(now);
    let v = find(&st.volumes, id)?;
    Ok(Resp::json(200, &json!({"volume": vol_json(st, v, c, false)})))
}

/// The statuses a volume is deleted from (unless forced).
const DELETABLE: [&str; 5] = [
    "available",
    "error",
    "error_restoring",
    "error_extending",
    "error_managing",
];

/// The end of Cinder's refusal to delete a volume, after "Volume {status part}".
const DELETE_MSG_END: &str = "must not be migrating, attached, belong to a group, have snapshots, awaiting a transfer, or be disassociated from snapshots after volume transfer.";

/// A boolean query parameter (`cascade`, `force`): absent is false; anything but
/// oslo's boolean strings is refused.
fn bool_param(q: &[(String, String)], k: &str) -> Result<bool, Resp> {
    let Some(v) = param(q, k) else {
        return Ok(false);
    };
    match v.to_lowercase().as_str() {
        "1" | "t" | "true" | "on" | "y" | "yes" => Ok(true),
        "0" | "f" | "false" | "off" | "n" | "no" => Ok(false),
        _ => Err(bad(&format!("Value '{v}' for '{k}' is not a boolean."))),
    }
}

/// `DELETE /volumes/{id}?cascade=&force=`: `cascade` deletes its snapshots too;
/// `force` (3.23+, admin only; ignored below) skips the status check.
pub(super) fn delete_volume_query(st: &mut State, c: &Ctx, q: &[(String, String)], id: &str) -> Result<Resp, Resp> {
    let cascade = bool_param(q, "cascade")?;
    let force = c.mv >= (3, 23) && bool_param(q, "force")?;
    find(&st.volumes, id)?;
    if force && !c.admin {
        return Err(forbidden("volume:force_delete"));
    }
    delete_volume(st, id, force, cascade, c.admin)
}

/// Cinder's volume delete (`os-force_delete` is `force` without `cascade`): the
/// volume (and with `cascade` its snapshots) `deleting`, then gone. Refused
/// when attached, awaiting a transfer (unless forced), not in a deletable status
/// (unless forced), or with snapshots: any without `cascade`, any not available
/// or error with it (unless forced), or of another project (unless `admin`).
pub(super) fn delete_volume(st: &mut State, id: &str, force: bool, cascade: bool, admin: bool) -> Result<Resp, Resp> {
    let snaps: Vec<(String, bool)> = projects::any_snapshots(st, id)
        .map(|(s, foreign)| (s.status.clone(), foreign))
        .collect();
    let attached = st.is_attached(id);
    let v = find_mut(&mut st.volumes, id)?;
    let status_ok = force || DELETABLE.contains(&v.status.as_str());
    let snaps_ok = match (cascade, force) {
        (false, _) => snaps.is_empty(),
        (true, true) => true,
        (true, false) => snaps
            .iter()
            .all(|(s, foreign)| (s == "available" || s == "error") && (admin || !foreign)),
    };
    if attached || !status_ok || !snaps_ok {
        let status = if force {
            String::new()
        } else {
            format!("status must be {} and", DELETABLE.join(" or "))
        };
        return Err(bad(&format!("Invalid volume: Volume {status} {DELETE_MSG_END}")));
    }
    v.status = "deleting".into();
    let vid = v.id.clone();
    let now = st.now();
    let mut removed = Vec::new();
    if cascade {
        for s in projects::any_snapshots_of(st, &vid) {
            s.set_status("deleting", now);
            removed.push(s.id.clone());
        }
    }
    // Their pending status changes are dropped; they are removed, snapshots first.
    let cancel = |op: &Op| match op {
        Op::VolStatus { id, .. } | Op::VolRetype { id, .. } => *id == vid,
        Op::SnapStatus(id, _) => removed.contains(id),
        _ => false,
    };
    st.pending.retain(|(_, pending)| !cancel(pending));
    for sid in removed {
        st.schedule(Op::SnapRemove(sid));
    }
    st.schedule(Op::VolRemove(vid));
    Ok(Resp::empty(202, "text/html; charset=UTF-8"))
}
