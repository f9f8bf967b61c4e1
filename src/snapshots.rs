//! Cinder snapshots: URLs, request bodies, the wire type and the operations.

use crate::client::{decode, Client, Service};
use crate::http::{Io, Method};
use crate::idempotency::{self, Token};
use crate::json::Writer;
use crate::pagination::Listing;
use crate::prelude::*;
use crate::resource::Resource;
use crate::version::{self, Microversion};
use crate::wire::{self, metadata, null_default, record, set, Enveloped, One};
use crate::{validate, Error, Snapshot, SnapshotCreate};

record! {
    impl Decode for Snapshot, required ["id", "status", "size", "volume_id"] {
        id: "id" => set = String::new(),
        name: "name" => set = None,
        description: "description" => set = None,
        status: "status" => set = String::new(),
        size: "size" => set = 0,
        volume_id: "volume_id" => set = String::new(),
        metadata: "metadata" => metadata = Vec::new(),
        created_at: "created_at" => null_default = String::new(),
        updated_at: "updated_at" => set = None,
    }
}

impl Enveloped for Snapshot {
    const ONE: &'static str = "snapshot";
    const MANY: &'static str = "snapshots";
    const LINKS: &'static str = "snapshots_links";
}

impl Resource for Snapshot {
    const COLLECTION: &'static str = "/snapshots";
    const NAME: &'static str = "snapshot";
    const LISTING: Listing = Listing {
        sort_keys: &["volume_size", "volume_id", "volume_type_id", "progress"],
        sort_name: version::SNAPSHOT_SORT_NAME,
        by_volume: true,
    };
    fn status(&self) -> &str {
        &self.status
    }
}

/// Checks a create request and builds its body. From 3.66 Cinder snapshots in-use
/// volumes without `force` and refuses `force: false`, so only `true` is sent there.
pub fn create_body(spec: &SnapshotCreate, mv: Microversion, token: Option<&Token>) -> Result<Vec<u8>, Error> {
    validate::id("volume-id", &spec.volume_id)?;
    validate::name("name", &spec.name)?;
    validate::text("description", &spec.description)?;
    validate::metadata("metadata", &spec.metadata)?;
    let force = if mv >= version::SNAPSHOT_IN_USE {
        spec.force.then_some(true)
    } else {
        Some(spec.force)
    };
    let mut w = Writer::object();
    w.obj("snapshot")
        .str("volume_id", &spec.volume_id)
        .opt_str("name", spec.name.as_deref())
        .opt_str("description", spec.description.as_deref());
    if let Some(f) = force {
        w.bool("force", f);
    }
    wire::write_metadata(&mut w, &Token::tag(token, &spec.metadata));
    Ok(w.finish())
}

pub fn create<I: Io>(c: &Client<I>, spec: &SnapshotCreate) -> Result<Snapshot, Error> {
    let token = Token::new(&spec.idempotency_key, &[&spec.volume_id])?;
    let body = create_body(spec, c.microversion(), token.as_ref())?;
    idempotency::create(c, token.as_ref(), None, || {
        let resp = c.request(Service::BlockStorage, Method::Post, "/snapshots", Some(body))?;
        Ok(decode::<One<Snapshot>>(&resp, "created snapshot")?.0)
    })
}

#[cfg(test)]
mod tests {
    use super::*;

    fn spec(force: bool) -> SnapshotCreate {
        SnapshotCreate {
            volume_id: "v1".into(),
            name: Some("s".into()),
            description: None,
            force,
            metadata: vec![],
            idempotency_key: None,
        }
    }

    #[test]
    fn force_rules_across_microversions() {
        let body = |force, mv| String::from_utf8(create_body(&spec(force), mv, None).unwrap()).unwrap();
        assert_eq!(
            body(false, Microversion::new(3, 65)),
            r#"{"snapshot":{"volume_id":"v1","name":"s","force":false}}"#
        );
        assert_eq!(
            body(true, Microversion::new(3, 65)),
            r#"{"snapshot":{"volume_id":"v1","name":"s","force":true}}"#
        );
        assert_eq!(
            body(false, Microversion::new(3, 66)),
            r#"{"snapshot":{"volume_id":"v1","name":"s"}}"#
        );
        assert_eq!(
            body(true, Microversion::new(3, 71)),
            r#"{"snapshot":{"volume_id":"v1","name":"s","force":true}}"#
        );
        let mut bad = spec(false);
        bad.volume_id = "../v".into();
        assert!(
            matches!(create_body(&bad, version::CINDER_MAX, None), Err(Error::InvalidInput(m)) if m.starts_with("volume-id"))
        );
    }

    #[test]
    fn decodes_real_snapshot() {
        let body = br#"{"snapshot": {"id": "0ac9", "created_at": "2026-11-26T07:17:47.000000", "updated_at": null, "name": "s1", "description": null, "volume_id": "989e", "status": "creating", "size": 2, "metadata": {}}}"#;
        let r = crate::http::Response {
            status: 202,
            headers: vec![],
            body: body.to_vec(),
        };
        let s: Snapshot = decode::<One<Snapshot>>(&r, "snapshot").unwrap().0;
        assert_eq!(
            (s.id.as_str(), s.size, s.status.as_str(), s.volume_id.as_str()),
            ("0ac9", 2, "creating", "989e")
        );
    }
}
