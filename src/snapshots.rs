//! Cinder snapshots: URLs, request bodies, the wire type and the operations.

use alloc::collections::BTreeMap;
use serde::{Deserialize, Serialize};

use crate::client::{decode, Client, Service};
use crate::http::{Io, Method};
use crate::pagination::Page;
use crate::prelude::*;
use crate::resource::Resource;
use crate::version::{self, Microversion};
use crate::wire::{metadata, null_default, Link};
use crate::{validate, Error, Snapshot, SnapshotCreate};

#[derive(Deserialize)]
struct WireSnapshot {
    id: String,
    name: Option<String>,
    description: Option<String>,
    status: String,
    size: u32,
    volume_id: String,
    #[serde(default, deserialize_with = "metadata")]
    metadata: Vec<(String, String)>,
    #[serde(default, deserialize_with = "null_default")]
    created_at: String,
    updated_at: Option<String>,
}

impl From<WireSnapshot> for Snapshot {
    fn from(w: WireSnapshot) -> Snapshot {
        Snapshot {
            id: w.id,
            name: w.name,
            description: w.description,
            status: w.status,
            size: w.size,
            volume_id: w.volume_id,
            metadata: w.metadata,
            created_at: w.created_at,
            updated_at: w.updated_at,
        }
    }
}

/// `{"snapshot": {…}}`.
#[derive(Deserialize)]
pub struct One {
    snapshot: WireSnapshot,
}

impl From<One> for Snapshot {
    fn from(o: One) -> Snapshot {
        o.snapshot.into()
    }
}

/// A page of `/snapshots/detail`.
#[derive(Deserialize)]
pub struct Many {
    snapshots: Vec<WireSnapshot>,
    #[serde(default, deserialize_with = "null_default")]
    snapshots_links: Vec<Link>,
}

impl Resource for Snapshot {
    const COLLECTION: &'static str = "/snapshots";
    const NAME: &'static str = "snapshot";
    type One = One;
    type Page = Many;
    fn status(&self) -> &str {
        &self.status
    }
}

impl Page for Many {
    type Item = Snapshot;
    fn into_parts(self) -> (Vec<Snapshot>, Vec<Link>) {
        (
            self.snapshots.into_iter().map(Snapshot::from).collect(),
            self.snapshots_links,
        )
    }
}

#[derive(Serialize)]
struct CreateBody<'a> {
    snapshot: CreateSnapshot<'a>,
}

#[derive(Serialize)]
struct CreateSnapshot<'a> {
    volume_id: &'a str,
    #[serde(skip_serializing_if = "Option::is_none")]
    name: Option<&'a str>,
    #[serde(skip_serializing_if = "Option::is_none")]
    description: Option<&'a str>,
    #[serde(skip_serializing_if = "Option::is_none")]
    force: Option<bool>,
    #[serde(skip_serializing_if = "BTreeMap::is_empty")]
    metadata: BTreeMap<&'a str, &'a str>,
}

/// Checks a create request and builds its body. From 3.66 Cinder snapshots in-use
/// volumes without `force` and refuses `force: false`, so only `true` is sent there.
pub fn create_body(spec: &SnapshotCreate, mv: Microversion) -> Result<Vec<u8>, Error> {
    validate::id("volume-id", &spec.volume_id)?;
    validate::name("name", &spec.name)?;
    validate::text("description", &spec.description)?;
    validate::metadata("metadata", &spec.metadata)?;
    let force = if mv >= version::SNAPSHOT_IN_USE {
        spec.force.then_some(true)
    } else {
        Some(spec.force)
    };
    let body = CreateBody {
        snapshot: CreateSnapshot {
            volume_id: &spec.volume_id,
            name: spec.name.as_deref(),
            description: spec.description.as_deref(),
            force,
            metadata: spec.metadata.iter().map(|(k, v)| (k.as_str(), v.as_str())).collect(),
        },
    };
    serde_json::to_vec(&body).map_err(|e| Error::InvalidInput(format!("snapshot-create: {e}")))
}

pub fn create<I: Io>(c: &Client<I>, spec: &SnapshotCreate) -> Result<Snapshot, Error> {
    let body = create_body(spec, c.microversion())?;
    let resp = c.request(Service::BlockStorage, Method::Post, "/snapshots", Some(body))?;
    Ok(decode::<One>(&resp, "created snapshot")?.into())
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
        }
    }

    #[test]
    fn force_rules_across_microversions() {
        let body = |force, mv| String::from_utf8(create_body(&spec(force), mv).unwrap()).unwrap();
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
            matches!(create_body(&bad, version::CINDER_MAX), Err(Error::InvalidInput(m)) if m.starts_with("volume-id"))
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
        let s: Snapshot = decode::<One>(&r, "snapshot").unwrap().into();
        assert_eq!(
            (s.id.as_str(), s.size, s.status.as_str(), s.volume_id.as_str()),
            ("0ac9", 2, "creating", "989e")
        );
    }
}
