//! infomaniak-block-storage: an OpenStack block storage client (Cinder v3, Nova volume
//! attachments, Keystone v3) as a WASI 0.2 component.
//!
//! The client logic (URLs, bodies, decoding, errors, pagination, waiting) is plain Rust
//! over the [`http::Io`] trait and is unit-tested natively; `component` and `wasi_io`
//! (wasm only) bind it to the WIT exports and to `wasi:http`.
//!
//! On wasm the crate is `no_std` (core + alloc only): Rust std on `wasm32-wasip2` would
//! import stdio, environment and exit interfaces of `wasi:cli` that the contract forbids.

#![cfg_attr(target_arch = "wasm32", no_std)]

extern crate alloc;

/// The `alloc` items every module uses (std's prelude is absent on wasm).
mod prelude {
    pub use alloc::borrow::ToOwned;
    pub use alloc::string::{String, ToString};
    pub use alloc::vec::Vec;
    pub use alloc::{format, vec};
}

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
pub mod resource;
pub mod retry;
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

#[cfg(target_arch = "wasm32")]
mod wasm_rt;

#[cfg(test)]
mod tests;
