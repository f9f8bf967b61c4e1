//! Cinder volumes: URLs, request bodies, the wire type and the operations.

use crate::client::{decode, Client, Service};
use crate::error::invalid;
use crate::http::{Io, Method};
use crate::json::Writer;
use crate::pagination::Listing;
use crate::prelude::*;
use crate::resource::{self, Resource};
use crate::wire::{self, flex_bool, metadata, null_default, record, set, Enveloped, One};
use crate::{validate, version, Attachment, Error, Volume, VolumeCreate};

record! {
    impl Decode for Volume, required ["id", "status", "size"] {
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
        attachments: "attachments" => null_default = Vec::new(),
        snapshot_id: "snapshot_id" => set = None,
        source_volume_id: "source_volid" => set = None,
        metadata: "metadata" => metadata = Vec::new(),
        created_at: "created_at" => null_default = String::new(),
        updated_at: "updated_at" => set = None,
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

/// Checks a create request and builds its body.
pub fn create_body(spec: &VolumeCreate, mv: version::Microversion) -> Result<Vec<u8>, Error> {
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
    wire::write_metadata(&mut w, &spec.metadata);
    Ok(w.finish())
}

/// `{"os-extend": {"new_size": n}}`.
pub fn extend_body(new_size: u32) -> Vec<u8> {
    Writer::object().obj("os-extend").num("new_size", new_size).finish()
}

pub fn create<I: Io>(c: &Client<I>, spec: &VolumeCreate) -> Result<Volume, Error> {
    let body = create_body(spec, c.microversion())?;
    let resp = c.request(Service::BlockStorage, Method::Post, "/volumes", Some(body))?;
    Ok(decode::<One<Volume>>(&resp, "created volume")?.0)
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
        }
    }

    #[test]
    fn create_bodies() {
        let b = create_body(&spec(), version::CINDER_MAX).unwrap();
        assert_eq!(
            std::str::from_utf8(&b).unwrap(),
            r#"{"volume":{"size":1,"name":"n","metadata":{"k":"v"}}}"#
        );
        let mut s = spec();
        s.image_id = Some("img".into());
        let b = create_body(&s, version::CINDER_MAX).unwrap();
        assert!(std::str::from_utf8(&b).unwrap().contains(r#""imageRef":"img""#));
        s.snapshot_id = Some("snap".into());
        assert!(
            matches!(create_body(&s, version::CINDER_MAX), Err(Error::InvalidInput(m)) if m.starts_with("volume-create"))
        );
        let mut s = spec();
        s.backup_id = Some("b".into());
        assert!(
            matches!(create_body(&s, version::Microversion::new(3, 46)), Err(Error::InvalidInput(m)) if m.starts_with("backup-id"))
        );
        let mut s = spec();
        s.size = 0;
        assert!(matches!(create_body(&s, version::CINDER_MAX), Err(Error::InvalidInput(m)) if m.starts_with("size")));
        assert_eq!(extend_body(5), br#"{"os-extend":{"new_size":5}}"#);
    }
}
