//! Cinder backups: URLs, request bodies, the wire types and the operations.

use crate::client::{decode, Client, Service};
use crate::error::{self, invalid};
use crate::http::{Io, Method};
use crate::idempotency::{self, Token};
use crate::json::{Decode, Failed, Reader, Writer};
use crate::pagination::Listing;
use crate::prelude::*;
use crate::resource::{self, Resource};
use crate::version::{self, Microversion};
use crate::wire::{self, flex_bool, null_default, record, set, Enveloped};
use crate::{validate, Backup, BackupCreate, Error, ResourceUpdate, Restored};

record! {
    impl Decode for Backup, required ["id", "status", "volume_id"] {
        id: "id" => set = String::new(),
        name: "name" => set = None,
        description: "description" => set = None,
        status: "status" => set = String::new(),
        size: "size" => null_default = 0,
        volume_id: "volume_id" => set = String::new(),
        snapshot_id: "snapshot_id" => set = None,
        is_incremental: "is_incremental" => flex_bool = false,
        has_dependent_backups: "has_dependent_backups" => flex_bool = false,
        container: "container" => set = None,
        availability_zone: "availability_zone" => set = None,
        fail_reason: "fail_reason" => set = None,
        created_at: "created_at" => null_default = String::new(),
        updated_at: "updated_at" => set = None,
    }
}

/// The create answer: only id, name and links.
struct Created {
    backup: CreatedRef,
}
struct CreatedRef {
    id: String,
}

impl Decode for Created {
    fn decode(r: &mut Reader<'_>) -> Result<Created, Failed> {
        wire::member(r, "backup").map(|backup| Created { backup })
    }
}

impl Decode for CreatedRef {
    fn decode(r: &mut Reader<'_>) -> Result<CreatedRef, Failed> {
        wire::member(r, "id").map(|id| CreatedRef { id })
    }
}

impl Enveloped for Backup {
    const ONE: &'static str = "backup";
    const MANY: &'static str = "backups";
    const LINKS: &'static str = "backups_links";
}

impl Resource for Backup {
    const COLLECTION: &'static str = "/backups";
    const NAME: &'static str = "backup";
    const LISTING: Listing = Listing {
        sort_keys: &[
            "size",
            "availability_zone",
            "volume_id",
            "snapshot_id",
            "container",
            "data_timestamp",
        ],
        sort_name: version::BACKUP_SORT_NAME,
        by_volume: true,
    };
    fn status(&self) -> &str {
        &self.status
    }
}

/// The restore answer, `{"restore": {…}}`.
struct RestoreAnswer(Restored);

impl Decode for RestoreAnswer {
    fn decode(r: &mut Reader<'_>) -> Result<RestoreAnswer, Failed> {
        wire::member(r, "restore").map(RestoreAnswer)
    }
}

record! {
    impl Decode for Restored, required ["backup_id", "volume_id"] {
        backup_id: "backup_id" => set = String::new(),
        volume_id: "volume_id" => set = String::new(),
        volume_name: "volume_name" => set = None,
    }
}

/// Checks a create request and builds its body.
pub fn create_body(spec: &BackupCreate, mv: Microversion, token: Option<&Token>) -> Result<Vec<u8>, Error> {
    validate::id("volume-id", &spec.volume_id)?;
    validate::name("name", &spec.name)?;
    validate::text("description", &spec.description)?;
    validate::opt_id("snapshot-id", &spec.snapshot_id)?;
    validate::name("container", &spec.container)?;
    validate::metadata("metadata", &spec.metadata)?;
    validate::name("availability-zone", &spec.availability_zone)?;
    if !spec.metadata.is_empty() {
        version::require("metadata", version::BACKUP_METADATA, mv)?;
    }
    if spec.availability_zone.is_some() {
        version::require("availability-zone", version::BACKUP_ZONE, mv)?;
    }
    idempotency::require(token, version::BACKUP_METADATA, mv)?;
    let mut w = Writer::object();
    w.obj("backup")
        .str("volume_id", &spec.volume_id)
        .opt_str("name", spec.name.as_deref())
        .opt_str("description", spec.description.as_deref())
        .bool("incremental", spec.incremental)
        .bool("force", spec.force)
        .opt_str("snapshot_id", spec.snapshot_id.as_deref())
        .opt_str("container", spec.container.as_deref())
        .opt_str("availability_zone", spec.availability_zone.as_deref());
    wire::write_metadata(&mut w, &Token::tag(token, &spec.metadata));
    Ok(w.finish())
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
    let mut w = Writer::object();
    w.obj("restore")
        .opt_str("volume_id", volume_id.as_deref())
        .opt_str("name", name.as_deref());
    Ok(w.finish())
}

/// Cinder answers a backup POST with only id/name/links; the backup is read back so the
/// caller gets the full record.
/// Creates a backup; with an idempotency key, at most one (looked up among the volume's
/// backups, see [`idempotency`]).
pub fn create<I: Io>(c: &Client<I>, spec: &BackupCreate) -> Result<Backup, Error> {
    let mode = if spec.incremental { "incremental" } else { "full" };
    let snapshot = spec.snapshot_id.as_deref().unwrap_or_default();
    let token = Token::new(&spec.idempotency_key, &[&spec.volume_id, snapshot, mode])?;
    let body = create_body(spec, c.microversion(), token.as_ref())?;
    idempotency::create(c, token.as_ref(), Some(&spec.volume_id), || post(c, spec, body))
}

/// The create request; the answer holds only the id, so the backup is read back.
fn post<I: Io>(c: &Client<I>, spec: &BackupCreate, body: Vec<u8>) -> Result<Backup, Error> {
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
            availability_zone: spec.availability_zone.clone(),
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
    Ok(decode::<RestoreAnswer>(&resp, "restore")?.0)
}

/// `PUT /backups/{id}` (3.9+). Cinder answers only id, name and links, so the backup is
/// read back.
pub fn update<I: Io>(c: &Client<I>, id: &str, changes: &ResourceUpdate) -> Result<Backup, Error> {
    version::require("changes", version::BACKUP_UPDATE, c.microversion())?;
    resource::update_in(c, Backup::COLLECTION, Backup::ONE, id, changes)?;
    resource::get(c, id)
}

/// Merges `items` into a backup's metadata (3.43+): read, merge, write back whole, as
/// Cinder's `PUT /backups/{id}` replaces it (2 requests).
pub fn set_metadata<I: Io>(
    c: &Client<I>,
    id: &str,
    items: &[(String, String)],
) -> Result<Vec<(String, String)>, Error> {
    validate::metadata("items", items)?;
    let path = metadata_path(c, id, "items")?;
    resource::edit_metadata(c, &path, Some(Backup::ONE), &mut |m| {
        m.extend_from_slice(items);
        *m = wire::sorted(core::mem::take(m));
        true
    })
}

/// Removes `keys` from a backup's metadata (3.43+): read, and write back only if one was
/// there.
pub fn unset_metadata<I: Io>(c: &Client<I>, id: &str, keys: &[String]) -> Result<(), Error> {
    for k in keys {
        validate::key("keys", k)?;
    }
    let path = metadata_path(c, id, "keys")?;
    resource::edit_metadata(c, &path, Some(Backup::ONE), &mut |m| resource::remove_keys(m, keys))?;
    Ok(())
}

/// `/backups/{id}`, where a backup's metadata is read and written, once the session's
/// microversion has backup metadata (`field` names the input in the error).
fn metadata_path<I: Io>(c: &Client<I>, id: &str, field: &str) -> Result<String, Error> {
    let path = resource::path::<Backup>(id)?;
    version::require(field, version::BACKUP_METADATA, c.microversion())?;
    Ok(path)
}

#[cfg(test)]
mod tests {
    use super::*;
    use crate::wire::One;

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
        let b: Backup = decode::<One<Backup>>(&r, "backup").unwrap().0;
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

    #[test]
    fn lenient_backup_fields_and_answers() {
        let r = |body: &str| crate::http::Response {
            status: 200,
            headers: vec![],
            body: body.as_bytes().to_vec(),
        };
        let b: Backup = decode::<One<Backup>>(
            &r(r#"{"backup": {"id": "b", "status": "creating", "volume_id": "v", "size": null, "created_at": null, "is_incremental": "True", "has_dependent_backups": null, "object_count": null}}"#),
            "backup",
        )
        .unwrap()
        .0;
        assert_eq!(
            (b.size, b.created_at.as_str(), b.is_incremental, b.has_dependent_backups),
            (0, "", true, false)
        );
        let Err(e) = decode::<One<Backup>>(&r(r#"{"backup": {"id": "b", "status": "creating"}}"#), "backup") else {
            panic!("decoded without volume_id");
        };
        assert!(
            matches!(&e, Error::InvalidResponse(m) if m == "backup: missing field `volume_id` in the object at byte 11"),
            "{e:?}"
        );
        let restored = decode::<RestoreAnswer>(
            &r(r#"{"restore": {"backup_id": "b", "volume_id": "v", "volume_name": null}}"#),
            "restore",
        )
        .unwrap()
        .0;
        assert_eq!(
            (
                restored.backup_id.as_str(),
                restored.volume_id.as_str(),
                restored.volume_name
            ),
            ("b", "v", None)
        );
        assert!(decode::<RestoreAnswer>(&r(r#"{"restore": {"backup_id": "b"}}"#), "restore").is_err());
        assert!(decode::<Created>(&r(r#"{"backup": {"name": "b1"}}"#), "created").is_err());
    }
}
