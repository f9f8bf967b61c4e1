//! infomaniak-block-storage: an OpenStack block storage client (Cinder v3, Nova volume
//! attachments, Keystone v3) as a WASI 0.2 component.
//!
//! The client logic (URLs, bodies, decoding, errors, pagination, waiting) is plain Rust
//! over the [`http::Io`] trait and is unit-tested natively; `component` and `wasi_io`
//! (wasm only) bind it to the WIT exports and to `wasi:http`.

#[allow(warnings)]
#[rustfmt::skip]
mod bindings {
    wit_bindgen::generate!({
        world: "block-storage",
        path: "wit",
        pub_export_macro: true,
    });
}

pub use bindings::exports::infomaniak::block_storage::types::{
    ApiError, ApplicationCredential, Attachment, Backup, BackupCreate, Config, Credentials, Error, ListOptions,
    PasswordCredential, Restored, Snapshot, SnapshotCreate, Volume, VolumeCreate,
};

pub mod attachments;
pub mod auth;
pub mod backups;
pub mod client;
pub mod error;
pub mod http;
pub mod pagination;
pub mod snapshots;
pub mod validate;
pub mod version;
pub mod volumes;
pub mod wait;
mod wire;

#[cfg(target_arch = "wasm32")]
mod component;
#[cfg(target_arch = "wasm32")]
mod wasi_io;

#[cfg(test)]
mod tests;
