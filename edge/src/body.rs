//! JSON in and out: the contract's records as Cinder-style (snake_case) objects, request
//! bodies into the contract's create records, and the one error mapping.

use alloc::borrow::ToOwned;
use alloc::string::String;
use alloc::vec::Vec;

use serde_json::{json, Map, Value};

use crate::bindings::infomaniak::block_storage::types::{
    Attachment, Backup, BackupCreate, Error, Limits, Volume, VolumeCreate,
};

/// What the facade answers for a failed call: an HTTP status and a JSON body.
pub struct Failure {
    pub status: u16,
    pub body: Vec<u8>,
}

/// The typed error as `{kind, status, message, request_id}`, answered with the server's
/// status when there is one. Messages are the component's, already scrubbed of secrets.
pub fn failure(e: &Error) -> Failure {
    let (kind, status, message, request_id) = match e {
        Error::InvalidInput(m) => ("invalid-input", 400, m.clone(), None),
        Error::Unauthorized(a) => ("unauthorized", a.status, a.message.clone(), a.request_id.clone()),
        Error::Forbidden(a) => ("forbidden", a.status, a.message.clone(), a.request_id.clone()),
        Error::NotFound(a) => ("not-found", a.status, a.message.clone(), a.request_id.clone()),
        Error::BadRequest(a) => ("bad-request", a.status, a.message.clone(), a.request_id.clone()),
        Error::Conflict(a) => ("conflict", a.status, a.message.clone(), a.request_id.clone()),
        Error::OverLimit(a) => ("over-limit", a.status, a.message.clone(), a.request_id.clone()),
        // A server error upstream is a bad gateway here; a 4xx keeps its status.
        Error::Api(a) => (
            "api",
            if a.status >= 500 { 502 } else { a.status },
            a.message.clone(),
            a.request_id.clone(),
        ),
        Error::Transport(m) => ("transport", 502, m.clone(), None),
        Error::InvalidResponse(m) => ("invalid-response", 502, m.clone(), None),
        Error::NoEndpoint(m) => ("no-endpoint", 500, m.clone(), None),
        Error::WaitTimeout(m) => ("wait-timeout", 504, m.clone(), None),
        Error::ResourceFailed(f) => (
            "resource-failed",
            409,
            alloc::format!("{} is {}", f.resource_id, f.status),
            None,
        ),
    };
    let body = json!({"kind": kind, "status": status, "message": message, "request_id": request_id});
    Failure {
        status,
        body: bytes(&body),
    }
}

/// A JSON value as bytes (writing into a `Vec` cannot fail).
pub fn bytes(v: &Value) -> Vec<u8> {
    serde_json::to_vec(v).unwrap_or_default()
}

/// An `invalid-input` naming the body field at fault.
fn invalid(field: &str, why: &str) -> Error {
    Error::InvalidInput(alloc::format!("{field}: {why}"))
}

fn pairs(items: &[(String, String)]) -> Value {
    Value::Object(
        items
            .iter()
            .map(|(k, v)| (k.clone(), Value::from(v.as_str())))
            .collect(),
    )
}

fn attachment(a: &Attachment) -> Value {
    json!({"attachment_id": a.attachment_id, "server_id": a.server_id, "device": a.device, "attached_at": a.attached_at})
}

pub fn volume(v: &Volume) -> Value {
    json!({
        "id": v.id, "name": v.name, "description": v.description, "status": v.status, "size": v.size,
        "volume_type": v.volume_type, "availability_zone": v.availability_zone, "bootable": v.bootable,
        "encrypted": v.encrypted, "multiattach": v.multiattach, "read_only": v.read_only,
        "attachments": v.attachments.iter().map(attachment).collect::<Vec<_>>(),
        "snapshot_id": v.snapshot_id, "source_volume_id": v.source_volume_id, "metadata": pairs(&v.metadata),
        "created_at": v.created_at, "updated_at": v.updated_at,
    })
}

pub fn backup(b: &Backup) -> Value {
    json!({
        "id": b.id, "name": b.name, "description": b.description, "status": b.status, "size": b.size,
        "volume_id": b.volume_id, "snapshot_id": b.snapshot_id, "is_incremental": b.is_incremental,
        "has_dependent_backups": b.has_dependent_backups, "container": b.container,
        "availability_zone": b.availability_zone, "fail_reason": b.fail_reason,
        "created_at": b.created_at, "updated_at": b.updated_at,
    })
}

pub fn limits(l: &Limits) -> Value {
    json!({
        "max_volumes": l.max_volumes, "max_snapshots": l.max_snapshots, "max_backups": l.max_backups,
        "max_gigabytes": l.max_gigabytes, "max_backup_gigabytes": l.max_backup_gigabytes,
        "volumes_used": l.volumes_used, "snapshots_used": l.snapshots_used, "backups_used": l.backups_used,
        "gigabytes_used": l.gigabytes_used, "backup_gigabytes_used": l.backup_gigabytes_used,
    })
}

/// A request body as a JSON object (an absent body is an empty object).
fn object(body: Option<&[u8]>) -> Result<Map<String, Value>, Error> {
    match body {
        None => Err(invalid("body", "too large or unreadable")),
        Some([]) => Ok(Map::new()),
        Some(b) => match serde_json::from_slice(b) {
            Ok(Value::Object(m)) => Ok(m),
            _ => Err(invalid("body", "must be a JSON object")),
        },
    }
}

/// The fields a request body may carry, read with their types checked.
struct Fields(Map<String, Value>);

impl Fields {
    fn text(&self, field: &str) -> Result<Option<String>, Error> {
        match self.0.get(field) {
            None | Some(Value::Null) => Ok(None),
            Some(Value::String(s)) => Ok(Some(s.clone())),
            Some(_) => Err(invalid(field, "must be a string")),
        }
    }

    fn size(&self, field: &str) -> Result<u32, Error> {
        let n = self.0.get(field).ok_or_else(|| invalid(field, "is required"))?;
        n.as_u64()
            .and_then(|n| u32::try_from(n).ok())
            .ok_or_else(|| invalid(field, "must be a whole number of GiB"))
    }

    fn flag(&self, field: &str) -> Result<bool, Error> {
        match self.0.get(field) {
            None | Some(Value::Null) => Ok(false),
            Some(Value::Bool(b)) => Ok(*b),
            Some(_) => Err(invalid(field, "must be true or false")),
        }
    }

    fn metadata(&self) -> Result<Vec<(String, String)>, Error> {
        let Some(m) = self.0.get("metadata") else {
            return Ok(Vec::new());
        };
        let m = m.as_object().ok_or_else(|| invalid("metadata", "must be an object"))?;
        m.iter()
            .map(|(k, v)| match v {
                Value::String(s) => Ok((k.clone(), s.clone())),
                _ => Err(invalid("metadata", "values must be strings")),
            })
            .collect()
    }
}

/// `POST /volumes`: `{size, name, description, volume_type, availability_zone,
/// snapshot_id, source_volume_id, image_id, backup_id, metadata}`.
pub fn volume_create(body: Option<&[u8]>, idempotency_key: Option<String>) -> Result<VolumeCreate, Error> {
    let f = Fields(object(body)?);
    Ok(VolumeCreate {
        size: f.size("size")?,
        name: f.text("name")?,
        description: f.text("description")?,
        volume_type: f.text("volume_type")?,
        availability_zone: f.text("availability_zone")?,
        snapshot_id: f.text("snapshot_id")?,
        source_volume_id: f.text("source_volume_id")?,
        image_id: f.text("image_id")?,
        backup_id: f.text("backup_id")?,
        metadata: f.metadata()?,
        idempotency_key,
    })
}

/// `POST /volumes/{id}/extend`: `{new_size}`.
pub fn new_size(body: Option<&[u8]>) -> Result<u32, Error> {
    Fields(object(body)?).size("new_size")
}

/// `POST /volumes/{id}/backups`: `{name, description, incremental, force, container}`.
pub fn backup_create(
    volume_id: &str,
    body: Option<&[u8]>,
    idempotency_key: Option<String>,
) -> Result<BackupCreate, Error> {
    let f = Fields(object(body)?);
    Ok(BackupCreate {
        volume_id: volume_id.to_owned(),
        name: f.text("name")?,
        description: f.text("description")?,
        incremental: f.flag("incremental")?,
        force: f.flag("force")?,
        snapshot_id: f.text("snapshot_id")?,
        container: f.text("container")?,
        metadata: f.metadata()?,
        availability_zone: f.text("availability_zone")?,
        idempotency_key,
    })
}
