//! Cinder volumes: URLs, request bodies, the wire type and the operations.

use crate::client::{decode, Client, Service};
use crate::error::invalid;
use crate::http::{Io, Method};
use crate::idempotency::{self, Token};
use crate::json::{Decode, Failed, Reader, Writer};
use crate::pagination::Listing;
use crate::prelude::*;
use crate::resource::{self, Resource};
use crate::wire::{self, flex_bool, metadata, null_default, record, set, Enveloped, One};
use crate::{validate, version, Attachment, Error, ImageUpload, UploadedImage, Volume, VolumeCreate};

impl Decode for Volume {
    fn decode(r: &mut Reader<'_>) -> Result<Volume, Failed> {
        let mut v = record!(@read r, Volume, ["id", "status", "size"], {
        id: "id" => set = String::new(),
        name: "name" => set = None,
        description: "description" => set = None,
        status: "status" => set = String::new(),
        size: "size" => set = 0,
        volume_type: "volume_type" => set = None,
        availability_zone: "availability_zone" => set = None,
        bootable: "bootable" => flex_bool = false,
        encrypted: "encrypted" => flex_bool = false,
        multiattach: "multiattach" => flex_bool = false,
        read_only = false,
        attachments: "attachments" => null_default = Vec::new(),
        snapshot_id: "snapshot_id" => set = None,
        source_volume_id: "source_volid" => set = None,
        metadata: "metadata" => metadata = Vec::new(),
        created_at: "created_at" => null_default = String::new(),
        updated_at: "updated_at" => set = None,
        });
        // Cinder shows its `readonly` admin flag among the metadata, as "True"/"False".
        v.read_only = v
            .metadata
            .iter()
            .any(|(k, val)| k == "readonly" && val.eq_ignore_ascii_case("true"));
        Ok(v)
    }
}

// An entry of a volume's `attachments`.
record! {
    impl Decode for Attachment, required [] {
        attachment_id: "attachment_id" => set = None,
        server_id: "server_id" => set = None,
        device: "device" => set = None,
        attached_at: "attached_at" => set = None,
    }
}

impl Enveloped for Volume {
    const ONE: &'static str = "volume";
    const MANY: &'static str = "volumes";
    const LINKS: &'static str = "volumes_links";
}

impl Resource for Volume {
    const COLLECTION: &'static str = "/volumes";
    const NAME: &'static str = "volume";
    const LISTING: Listing = Listing {
        sort_keys: &[
            "size",
            "availability_zone",
            "bootable",
            "multiattach",
            "volume_type_id",
            "snapshot_id",
            "source_volid",
        ],
        sort_name: version::CINDER_MIN,
        by_volume: false,
    };
    fn status(&self) -> &str {
        &self.status
    }
}

/// Checks a create request and builds its body, tagged with `token` when given.
pub fn create_body(spec: &VolumeCreate, mv: version::Microversion, token: Option<&Token>) -> Result<Vec<u8>, Error> {
    validate::size("size", spec.size)?;
    validate::name("name", &spec.name)?;
    validate::text("description", &spec.description)?;
    validate::name("volume-type", &spec.volume_type)?;
    validate::name("availability-zone", &spec.availability_zone)?;
    validate::opt_id("snapshot-id", &spec.snapshot_id)?;
    validate::opt_id("source-volume-id", &spec.source_volume_id)?;
    validate::opt_id("image-id", &spec.image_id)?;
    validate::opt_id("backup-id", &spec.backup_id)?;
    validate::metadata("metadata", &spec.metadata)?;
    let sources = [
        &spec.snapshot_id,
        &spec.source_volume_id,
        &spec.image_id,
        &spec.backup_id,
    ];
    if sources.iter().filter(|s| s.is_some()).count() > 1 {
        return Err(invalid(
            "volume-create",
            "give at most one of snapshot-id, source-volume-id, image-id, backup-id",
        ));
    }
    if spec.backup_id.is_some() {
        version::require("backup-id", version::VOLUME_FROM_BACKUP, mv)?;
    }
    let mut w = Writer::object();
    w.obj("volume")
        .num("size", spec.size)
        .opt_str("name", spec.name.as_deref())
        .opt_str("description", spec.description.as_deref())
        .opt_str("volume_type", spec.volume_type.as_deref())
        .opt_str("availability_zone", spec.availability_zone.as_deref())
        .opt_str("snapshot_id", spec.snapshot_id.as_deref())
        .opt_str("source_volid", spec.source_volume_id.as_deref())
        .opt_str("imageRef", spec.image_id.as_deref())
        .opt_str("backup_id", spec.backup_id.as_deref());
    wire::write_metadata(&mut w, &Token::tag(token, &spec.metadata));
    Ok(w.finish())
}

/// The idempotency token of a create: what makes two requests the same volume.
fn token(spec: &VolumeCreate) -> Result<Option<Token>, Error> {
    let size = spec.size.to_string();
    let opt = |v: &Option<String>| v.clone().unwrap_or_default();
    let parts = [
        size,
        opt(&spec.volume_type),
        opt(&spec.availability_zone),
        opt(&spec.snapshot_id),
        opt(&spec.source_volume_id),
        opt(&spec.image_id),
        opt(&spec.backup_id),
    ];
    Token::new(
        &spec.idempotency_key,
        &parts.iter().map(String::as_str).collect::<Vec<_>>(),
    )
}

/// `{"os-extend": {"new_size": n}}`.
pub fn extend_body(new_size: u32) -> Vec<u8> {
    Writer::object().obj("os-extend").num("new_size", new_size).finish()
}

pub fn create<I: Io>(c: &Client<I>, spec: &VolumeCreate) -> Result<Volume, Error> {
    let token = token(spec)?;
    let body = create_body(spec, c.microversion(), token.as_ref())?;
    idempotency::create(c, token.as_ref(), None, || {
        let resp = c.request(Service::BlockStorage, Method::Post, "/volumes", Some(body))?;
        Ok(decode::<One<Volume>>(&resp, "created volume")?.0)
    })
}

/// Deletes a volume; `cascade` deletes its snapshots with it (`?cascade=true`, with
/// `force=true` from 3.23 when forced too).
pub fn delete<I: Io>(c: &Client<I>, id: &str, force: bool, cascade: bool) -> Result<(), Error> {
    if !cascade {
        return resource::delete::<Volume, I>(c, id, force);
    }
    let path = resource::path::<Volume>(id)?;
    let query = if force {
        version::require("force", version::DELETE_FORCE, c.microversion())?;
        "?cascade=true&force=true"
    } else {
        "?cascade=true"
    };
    c.request(Service::BlockStorage, Method::Delete, &format!("{path}{query}"), None)?;
    Ok(())
}

/// `os-set_bootable`.
pub fn set_bootable<I: Io>(c: &Client<I>, id: &str, bootable: bool) -> Result<(), Error> {
    let body = Writer::object()
        .obj("os-set_bootable")
        .bool("bootable", bootable)
        .finish();
    resource::action::<Volume, I>(c, id, body).map(drop)
}

/// `os-update_readonly_flag`.
pub fn set_read_only<I: Io>(c: &Client<I>, id: &str, read_only: bool) -> Result<(), Error> {
    let body = Writer::object()
        .obj("os-update_readonly_flag")
        .bool("readonly", read_only)
        .finish();
    resource::action::<Volume, I>(c, id, body).map(drop)
}

/// `os-retype` to `volume_type` (a name or id), migrating only when `migrate`.
pub fn retype<I: Io>(c: &Client<I>, id: &str, volume_type: &str, migrate: bool) -> Result<(), Error> {
    let new_type = Some(volume_type.to_string());
    validate::name("volume-type", &new_type)?;
    if volume_type.trim().is_empty() {
        return Err(invalid("volume-type", "must not be empty"));
    }
    let policy = if migrate { "on-demand" } else { "never" };
    let body = Writer::object()
        .obj("os-retype")
        .str("new_type", volume_type)
        .str("migration_policy", policy)
        .finish();
    resource::action::<Volume, I>(c, id, body).map(drop)
}

/// `revert` to a snapshot (3.40+); Cinder accepts only the volume's latest snapshot.
pub fn revert_to_snapshot<I: Io>(c: &Client<I>, id: &str, snapshot_id: &str) -> Result<(), Error> {
    validate::id("snapshot-id", snapshot_id)?;
    version::require("revert-to-snapshot", version::REVERT, c.microversion())?;
    let body = Writer::object().obj("revert").str("snapshot_id", snapshot_id).finish();
    resource::action::<Volume, I>(c, id, body).map(drop)
}

/// Checks an image upload and builds its `os-volume_upload_image` body.
pub fn upload_body(spec: &ImageUpload, mv: version::Microversion) -> Result<Vec<u8>, Error> {
    let name = Some(spec.image_name.clone());
    validate::name("image-name", &name)?;
    if spec.image_name.trim().is_empty() {
        return Err(invalid("image-name", "must not be empty"));
    }
    validate::name("disk-format", &spec.disk_format)?;
    validate::name("container-format", &spec.container_format)?;
    validate::name("visibility", &spec.visibility)?;
    if spec.visibility.is_some() {
        version::require("visibility", version::UPLOAD_VISIBILITY, mv)?;
    }
    if spec.protected {
        version::require("protected", version::UPLOAD_VISIBILITY, mv)?;
    }
    let mut w = Writer::object();
    w.obj("os-volume_upload_image")
        .str("image_name", &spec.image_name)
        .bool("force", spec.force)
        .opt_str("disk_format", spec.disk_format.as_deref())
        .opt_str("container_format", spec.container_format.as_deref())
        .opt_str("visibility", spec.visibility.as_deref());
    if mv >= version::UPLOAD_VISIBILITY {
        w.bool("protected", spec.protected);
    }
    Ok(w.finish())
}

/// The upload's answer, `{"os-volume_upload_image": {…}}`.
struct Uploaded(UploadedImage);

impl Decode for Uploaded {
    fn decode(r: &mut Reader<'_>) -> Result<Uploaded, Failed> {
        wire::member(r, "os-volume_upload_image").map(Uploaded)
    }
}

record! {
    impl Decode for UploadedImage, required ["image_id"] {
        image_id: "image_id" => set = String::new(),
        image_name: "image_name" => null_default = String::new(),
        status: "status" => null_default = String::new(),
        disk_format: "disk_format" => set = None,
        container_format: "container_format" => set = None,
    }
}

/// Starts copying the volume into a new Glance image.
pub fn upload_to_image<I: Io>(c: &Client<I>, id: &str, spec: &ImageUpload) -> Result<UploadedImage, Error> {
    let body = upload_body(spec, c.microversion())?;
    let resp = resource::action::<Volume, I>(c, id, body)?;
    Ok(decode::<Uploaded>(&resp, "image upload")?.0)
}

/// Reads the volume first so that a new size not above the current one is refused here,
/// with the current size in the message.
pub fn extend<I: Io>(c: &Client<I>, id: &str, new_size: u32) -> Result<(), Error> {
    let path = resource::path::<Volume>(id)?;
    validate::size("new-size", new_size)?;
    let current: Volume = resource::get(c, id)?;
    if new_size <= current.size {
        return Err(invalid(
            "new-size",
            format!("must be above the current size of volume {id} ({} GiB)", current.size),
        ));
    }
    c.request(
        Service::BlockStorage,
        Method::Post,
        &format!("{path}/action"),
        Some(extend_body(new_size)),
    )?;
    Ok(())
}

#[cfg(test)]
pub(crate) mod tests {
    use super::*;

    #[test]
    fn decodes_real_cinder_volume() {
        let body = br#"{"volume": {"id": "989efdf7-925c-4aa8-ac7d-4e016381def6", "status": "available", "size": 1, "availability_zone": "nova", "created_at": "2026-11-26T07:17:45.582525", "updated_at": "2026-11-26T07:17:45.833951", "name": "a", "description": null, "volume_type": "__DEFAULT__", "snapshot_id": null, "source_volid": null, "metadata": {"b": "2", "a": "1"}, "links": [], "user_id": "demo", "bootable": "false", "encrypted": false, "replication_status": null, "consistencygroup_id": null, "multiattach": false, "attachments": [{"server_id": "s1", "attachment_id": "att1", "attached_at": "2026-11-26T07:18:00.000000", "host_name": null, "volume_id": "989e", "device": "/dev/vdb", "id": "989e"}], "migration_status": null}}"#;
        let r = crate::http::Response {
            status: 200,
            headers: vec![],
            body: body.to_vec(),
        };
        let v: Volume = decode::<One<Volume>>(&r, "volume").unwrap().0;
        assert_eq!(v.size, 1);
        assert!(!v.bootable);
        assert_eq!(v.volume_type.as_deref(), Some("__DEFAULT__"));
        assert_eq!(v.metadata, vec![("a".into(), "1".into()), ("b".into(), "2".into())]);
        assert_eq!(v.attachments[0].attachment_id.as_deref(), Some("att1"));
        assert_eq!(v.attachments[0].device.as_deref(), Some("/dev/vdb"));
        assert_eq!(v.updated_at.as_deref(), Some("2026-11-26T07:17:45.833951"));
    }

    #[test]
    fn refuses_wrong_shapes() {
        for body in [
            &b"{}"[..],
            b"[]",
            br#"{"volume": {"id": 1}}"#,
            br#"{"volume": {"id": "x", "status": "a", "size": -1}}"#,
            b"\xff",
        ] {
            let r = crate::http::Response {
                status: 200,
                headers: vec![],
                body: body.to_vec(),
            };
            assert!(decode::<One<Volume>>(&r, "volume").is_err());
        }
    }

    /// A valid create request (shared with the client tests).
    pub(crate) fn spec() -> VolumeCreate {
        VolumeCreate {
            size: 1,
            name: Some("n".into()),
            description: None,
            volume_type: None,
            availability_zone: None,
            snapshot_id: None,
            source_volume_id: None,
            image_id: None,
            backup_id: None,
            metadata: vec![("k".into(), "v".into())],
            idempotency_key: None,
        }
    }

    #[test]
    fn create_bodies() {
        let b = create_body(&spec(), version::CINDER_MAX, None).unwrap();
        assert_eq!(
            std::str::from_utf8(&b).unwrap(),
            r#"{"volume":{"size":1,"name":"n","metadata":{"k":"v"}}}"#
        );
        let mut s = spec();
        s.image_id = Some("img".into());
        let b = create_body(&s, version::CINDER_MAX, None).unwrap();
        assert!(std::str::from_utf8(&b).unwrap().contains(r#""imageRef":"img""#));
        s.snapshot_id = Some("snap".into());
        assert!(
            matches!(create_body(&s, version::CINDER_MAX, None), Err(Error::InvalidInput(m)) if m.starts_with("volume-create"))
        );
        let mut s = spec();
        s.backup_id = Some("b".into());
        assert!(
            matches!(create_body(&s, version::Microversion::new(3, 46), None), Err(Error::InvalidInput(m)) if m.starts_with("backup-id"))
        );
        let mut s = spec();
        s.size = 0;
        assert!(
            matches!(create_body(&s, version::CINDER_MAX, None), Err(Error::InvalidInput(m)) if m.starts_with("size"))
        );
        assert_eq!(extend_body(5), br#"{"os-extend":{"new_size":5}}"#);
    }
}
