//! Minimal values of the contract's input records, to fill in with struct update syntax:
//! `VolumeCreate { description: Some(..), ..spec::volume(10, "data") }`,
//! `ListOptions { limit: Some(10), ..spec::list_all() }`.

use crate::{BackupCreate, Config, Credentials, ListOptions, ResourceUpdate, SnapshotCreate, VolumeCreate};

/// A config with every option at its default (catalog endpoints, public interface,
/// 30 s timeout, negotiated microversion).
pub fn config(auth_url: &str, credentials: Credentials) -> Config {
    Config {
        auth_url: auth_url.into(),
        credentials,
        region: None,
        endpoint_interface: None,
        block_storage_url: None,
        compute_url: None,
        timeout_ms: None,
        microversion: None,
        max_response_bytes: None,
    }
}

/// A new empty volume of `size` GiB named `name`.
pub fn volume(size: u32, name: &str) -> VolumeCreate {
    VolumeCreate {
        size,
        name: Some(name.into()),
        description: None,
        volume_type: None,
        availability_zone: None,
        snapshot_id: None,
        source_volume_id: None,
        image_id: None,
        backup_id: None,
        metadata: vec![],
        idempotency_key: None,
    }
}

/// A snapshot of `volume_id` (no force).
pub fn snapshot(volume_id: &str) -> SnapshotCreate {
    SnapshotCreate {
        volume_id: volume_id.into(),
        name: None,
        description: None,
        force: false,
        metadata: vec![],
        idempotency_key: None,
    }
}

/// A full backup of `volume_id`.
pub fn backup(volume_id: &str) -> BackupCreate {
    BackupCreate {
        volume_id: volume_id.into(),
        name: None,
        description: None,
        incremental: false,
        force: false,
        snapshot_id: None,
        container: None,
        metadata: vec![],
        availability_zone: None,
        idempotency_key: None,
    }
}

/// Every resource, all pages: no filter, no order, no limit.
pub fn list_all() -> ListOptions {
    ListOptions {
        status: None,
        name: None,
        page_size: None,
        limit: None,
        marker: None,
        sort: None,
        volume_id: None,
        metadata: vec![],
    }
}

/// A change of name only.
pub fn rename(name: &str) -> ResourceUpdate {
    ResourceUpdate {
        name: Some(name.into()),
        description: None,
    }
}
