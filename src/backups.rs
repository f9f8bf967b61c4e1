//! Cinder backups: URLs, request bodies, the wire types and the operations.

use serde::{Deserialize, Serialize};

use crate::client::{decode, Client, Service};
use crate::error::{self, invalid};
use crate::http::{Io, Method};
use crate::pagination::Page;
use crate::prelude::*;
use crate::resource::{self, Resource};
use crate::wire::{flex_bool, null_default, Link};
use crate::{validate, Backup, BackupCreate, Error, Restored};

#[derive(Deserialize)]
struct WireBackup {
    id: String,
    name: Option<String>,
    description: Option<String>,
    status: String,
    #[serde(default, deserialize_with = "null_default")]
    size: u32,
    volume_id: String,
    snapshot_id: Option<String>,
    #[serde(default, deserialize_with = "flex_bool")]
    is_incremental: bool,
    #[serde(default, deserialize_with = "flex_bool")]
    has_dependent_backups: bool,
    container: Option<String>,
    availability_zone: Option<String>,
    fail_reason: Option<String>,
    #[serde(default, deserialize_with = "null_default")]
    created_at: String,
    updated_at: Option<String>,
}

impl From<WireBackup> for Backup {
    fn from(w: WireBackup) -> Backup {
        Backup {
            id: w.id,
            name: w.name,
            description: w.description,
            status: w.status,
            size: w.size,
            volume_id: w.volume_id,
            snapshot_id: w.snapshot_id,
            is_incremental: w.is_incremental,
            has_dependent_backups: w.has_dependent_backups,
            container: w.container,
            availability_zone: w.availability_zone,
            fail_reason: w.fail_reason,
            created_at: w.created_at,
            updated_at: w.updated_at,
        }
    }
}

/// `{"backup": {…}}`.
#[derive(Deserialize)]
pub struct One {
    backup: WireBackup,
}

impl From<One> for Backup {
    fn from(o: One) -> Backup {
        o.backup.into()
    }
}

/// The create answer: only id, name and links.
#[derive(Deserialize)]
struct Created {
    backup: CreatedRef,
}
#[derive(Deserialize)]
struct CreatedRef {
    id: String,
}

/// A page of `/backups/detail`.
#[derive(Deserialize)]
pub struct Many {
    backups: Vec<WireBackup>,
    #[serde(default, deserialize_with = "null_default")]
    backups_links: Vec<Link>,
}

impl Resource for Backup {
    const COLLECTION: &'static str = "/backups";
    const NAME: &'static str = "backup";
    type One = One;
    type Page = Many;
    fn status(&self) -> &str {
        &self.status
    }
}

impl Page for Many {
    type Item = Backup;
    fn into_parts(self) -> (Vec<Backup>, Vec<Link>) {
        (self.backups.into_iter().map(Backup::from).collect(), self.backups_links)
    }
}

#[derive(Deserialize)]
struct RestoreAnswer {
    restore: WireRestored,
}
#[derive(Deserialize)]
struct WireRestored {
    backup_id: String,
    volume_id: String,
    volume_name: Option<String>,
}

#[derive(Serialize)]
struct CreateBody<'a> {
    backup: CreateBackup<'a>,
}

#[derive(Serialize)]
struct CreateBackup<'a> {
    volume_id: &'a str,
    #[serde(skip_serializing_if = "Option::is_none")]
    name: Option<&'a str>,
    #[serde(skip_serializing_if = "Option::is_none")]
    description: Option<&'a str>,
    incremental: bool,
    force: bool,
    #[serde(skip_serializing_if = "Option::is_none")]
    snapshot_id: Option<&'a str>,
    #[serde(skip_serializing_if = "Option::is_none")]
    container: Option<&'a str>,
}

#[derive(Serialize)]
struct RestoreBody<'a> {
    restore: RestoreTarget<'a>,
}
#[derive(Serialize)]
struct RestoreTarget<'a> {
    #[serde(skip_serializing_if = "Option::is_none")]
    volume_id: Option<&'a str>,
    #[serde(skip_serializing_if = "Option::is_none")]
    name: Option<&'a str>,
}

/// Checks a create request and builds its body.
pub fn create_body(spec: &BackupCreate) -> Result<Vec<u8>, Error> {
    validate::id("volume-id", &spec.volume_id)?;
    validate::name("name", &spec.name)?;
    validate::text("description", &spec.description)?;
    validate::opt_id("snapshot-id", &spec.snapshot_id)?;
    validate::name("container", &spec.container)?;
    let body = CreateBody {
        backup: CreateBackup {
            volume_id: &spec.volume_id,
            name: spec.name.as_deref(),
            description: spec.description.as_deref(),
            incremental: spec.incremental,
            force: spec.force,
            snapshot_id: spec.snapshot_id.as_deref(),
            container: spec.container.as_deref(),
        },
    };
    serde_json::to_vec(&body).map_err(|e| Error::InvalidInput(format!("backup-create: {e}")))
}

/// Restore onto an existing volume (`volume-id`) or into a new one (`name`, optional);
/// both at once is ambiguous and refused.
pub fn restore_body(volume_id: &Option<String>, name: &Option<String>) -> Result<Vec<u8>, Error> {
    validate::opt_id("volume-id", volume_id)?;
    validate::name("name", name)?;
    if volume_id.is_some() && name.is_some() {
        return Err(invalid(
            "volume-id",
            "give either volume-id (restore onto that volume) or name (new volume), not both",
        ));
    }
    let body = RestoreBody {
        restore: RestoreTarget {
            volume_id: volume_id.as_deref(),
            name: name.as_deref(),
        },
    };
    serde_json::to_vec(&body).map_err(|e| Error::InvalidInput(format!("restore: {e}")))
}

/// Cinder answers a backup POST with only id/name/links; the backup is read back so the
/// caller gets the full record.
pub fn create<I: Io>(c: &Client<I>, spec: &BackupCreate) -> Result<Backup, Error> {
    let body = create_body(spec)?;
    let resp = c.request(Service::BlockStorage, Method::Post, "/backups", Some(body))?;
    let created = decode::<Created>(&resp, "created backup")?.backup;
    validate::id("created backup id", &created.id)
        .map_err(|_| Error::InvalidResponse("created backup: unusable id".into()))?;
    // The backup exists now: if reading it back fails, still hand out its id (an error here
    // would leave the caller a backup it cannot name), built from what was asked for.
    resource::get(c, &created.id).or_else(|e| {
        c.io()
            .log(&error::log_line("backups.create read-back", &created.id, &e));
        Ok(Backup {
            id: created.id,
            name: spec.name.clone(),
            description: spec.description.clone(),
            status: "creating".into(),
            size: 0,
            volume_id: spec.volume_id.clone(),
            snapshot_id: spec.snapshot_id.clone(),
            is_incremental: spec.incremental,
            has_dependent_backups: false,
            container: spec.container.clone(),
            availability_zone: None,
            fail_reason: None,
            created_at: String::new(),
            updated_at: None,
        })
    })
}

pub fn restore<I: Io>(
    c: &Client<I>,
    id: &str,
    volume_id: &Option<String>,
    name: &Option<String>,
) -> Result<Restored, Error> {
    let path = resource::path::<Backup>(id)?;
    let body = restore_body(volume_id, name)?;
    let resp = c.request(
        Service::BlockStorage,
        Method::Post,
        &format!("{path}/restore"),
        Some(body),
    )?;
    let r = decode::<RestoreAnswer>(&resp, "restore")?.restore;
    Ok(Restored {
        backup_id: r.backup_id,
        volume_id: r.volume_id,
        volume_name: r.volume_name,
    })
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn restore_targets() {
        let s = |v: Option<&str>, n: Option<&str>| restore_body(&v.map(Into::into), &n.map(Into::into));
        assert_eq!(s(None, None).unwrap(), br#"{"restore":{}}"#);
        assert_eq!(s(Some("v1"), None).unwrap(), br#"{"restore":{"volume_id":"v1"}}"#);
        assert_eq!(s(None, Some("new")).unwrap(), br#"{"restore":{"name":"new"}}"#);
        assert!(matches!(s(Some("v1"), Some("new")), Err(Error::InvalidInput(m)) if m.starts_with("volume-id")));
        assert!(matches!(s(Some("a/b"), None), Err(Error::InvalidInput(_))));
    }

    #[test]
    fn decodes_real_backup() {
        let body = br#"{"backup": {"id": "b502", "status": "available", "size": 2, "object_count": 2, "availability_zone": null, "container": "backups", "created_at": "2026-11-26T07:17:48.000000", "updated_at": "2026-11-26T07:17:50.000000", "name": "b1", "description": null, "fail_reason": null, "volume_id": "989e", "links": [], "is_incremental": false, "has_dependent_backups": false, "snapshot_id": null, "data_timestamp": "2026-11-26T07:17:48.000000"}}"#;
        let r = crate::http::Response {
            status: 200,
            headers: vec![],
            body: body.to_vec(),
        };
        let b: Backup = decode::<One>(&r, "backup").unwrap().into();
        assert_eq!(
            (b.size, b.container.as_deref(), b.is_incremental),
            (2, Some("backups"), false)
        );
        let created = br#"{"backup": {"id": "b502", "links": [], "name": "b1"}}"#;
        let r = crate::http::Response {
            status: 202,
            headers: vec![],
            body: created.to_vec(),
        };
        assert_eq!(decode::<Created>(&r, "created").unwrap().backup.id, "b502");
    }
}
