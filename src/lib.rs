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
    pub use alloc::string::{String, ToString};
    pub use alloc::vec::Vec;
    pub use alloc::{format, vec};

    /// `parts` joined by `sep`, as `[&str]::join` (without its generic code).
    pub fn join(parts: &[&str], sep: &str) -> String {
        let mut out = String::new();
        for (i, p) in parts.iter().enumerate() {
            if i > 0 {
                out.push_str(sep);
            }
            out.push_str(p);
        }
        out
    }

    /// A decimal number of ASCII digits only (no sign, no spaces), as `str::parse` would
    /// read it but without its generic code; `None` if empty, not digits or above `u64`.
    pub fn parse_digits(s: &[u8]) -> Option<u64> {
        if s.is_empty() {
            return None;
        }
        s.iter().try_fold(0u64, |n, &c| {
            if !c.is_ascii_digit() {
                return None;
            }
            n.checked_mul(10)?.checked_add(u64::from(c - b'0'))
        })
    }

    /// The number of characters of `s`, as `s.chars().count()` (without its unrolled code).
    pub fn char_count(s: &str) -> usize {
        s.bytes().filter(|b| b & 0xC0 != 0x80).count()
    }
}

#[allow(warnings)]
#[rustfmt::skip]
mod bindings {
    // `wit_bindgen::generate!({ world: "block-storage", path: "wit", pub_export_macro: true })`,
    // with the error lowering shared between the exports (see build.rs).
    include!(concat!(env!("OUT_DIR"), "/bindings.rs"));
}

pub use bindings::exports::infomaniak::block_storage::types::{
    ApiError, ApplicationCredential, Attachment, AvailabilityZone, Backup, BackupCreate, Config, Credentials, Error,
    Failure, ImageUpload, Limits, ListOptions, Message, PasswordCredential, ResourceUpdate, Restored, Snapshot,
    SnapshotCreate, Transfer, TransferCreated, UploadedImage, Volume, VolumeCreate, VolumeType,
};

pub mod attachments;
pub mod auth;
pub mod backups;
pub mod client;
pub mod error;
pub mod http;
pub mod idempotency;
pub mod json;
pub mod pagination;
pub mod project;
pub mod resource;
pub mod retry;
pub mod scrub;
pub mod snapshots;
pub mod transfers;
pub mod validate;
pub mod version;
pub mod volumes;
pub mod wait;
pub mod wire;

#[cfg(target_arch = "wasm32")]
mod component;
#[cfg(target_arch = "wasm32")]
mod wasi_io;

#[cfg(target_arch = "wasm32")]
mod wasm_rt;

#[cfg(test)]
mod tests;
