//! Host library for the infomaniak-block-storage component: loads it into wasmtime and
//! calls it, one sandboxed store per session.
//!
//! The component is compiled once per [`Host`] (a `Component` plus an `InstancePre`), each
//! [`Session`] gets its own `Store` under the sandbox's [`Limits`] and
//! [allow-list](allow), and calls are typed through `wasmtime::component::bindgen!`. Each
//! session drives the component on a single-threaded tokio runtime (the connecting
//! thread's, shared with that thread's other sessions), so its calls
//! block: call them from plain threads (or `spawn_blocking`), not from inside a tokio
//! runtime. Every call returns [`Result`]: the component's typed error or a trap, both an
//! [`Error`].
//!
//! ```no_run
//! use infomaniak_block_storage_host::{spec, ApplicationCredential, Credentials, Host};
//!
//! fn main() -> Result<(), Box<dyn std::error::Error>> {
//!     let host = Host::new()?; // the embedded component; Host::from_bytes(&wasm) for another
//!     let credentials = Credentials::ApplicationCredential(ApplicationCredential {
//!         id: std::env::var("OS_APPLICATION_CREDENTIAL_ID")?,
//!         secret: std::env::var("OS_APPLICATION_CREDENTIAL_SECRET")?,
//!     });
//!     let cfg = infomaniak_block_storage_host::Config {
//!         region: Some("dc3-a".into()),
//!         ..spec::config("https://api.pub1.infomaniak.cloud/identity/v3", credentials)
//!     };
//!     let mut session = host.connect(&cfg)?;
//!     let all = spec::list_all(); // or `ListOptions { limit: Some(10), ..spec::list_all() }`
//!     for v in session.volume_list(&all)? {
//!         println!("{} {} {} GiB", v.id, v.status, v.size);
//!     }
//!     Ok(())
//! }
//! ```

#![cfg(not(target_arch = "wasm32"))]
#![deny(missing_docs)]

pub mod allow;
mod cache;
mod driver;
mod error;
mod host;
mod pin;
mod sandbox;
mod serve;
mod session;
pub mod spec;
mod transport;

#[allow(missing_docs)]
mod bindings {
    wasmtime::component::bindgen!({
        world: "block-storage",
        path: "../wit",
        exports: { default: async },
    });
}

pub use bindings::exports::infomaniak::block_storage::types::{
    ApiError, ApplicationCredential, Attachment, AvailabilityZone, Backup, BackupCreate, Config, Credentials,
    Error as ComponentError, Failure, ImageUpload, Limits as ProjectLimits, ListOptions, Message, PasswordCredential,
    ResourceUpdate, Restored, Snapshot, SnapshotCreate, Transfer, TransferCreated, UploadedImage, Volume, VolumeCreate,
    VolumeType,
};
pub use error::{Error, Result};
pub use host::{Host, Log};
pub use sandbox::{Limits, Next, SendFuture, Sent, Tap};
pub use serve::Server;
pub use session::Session;

/// The poll schedule of the component's `wait-for` (every 250 ms for a second, then
/// sparser: at most 12 polls in the first minute, 6 a minute after): a host that polls by
/// itself to draw progress (the CLI's `--wait`) takes it from here.
pub mod poll {
    pub use infomaniak_block_storage::wait::{delay_ms, FAST_INTERVAL_MS, MAX_INTERVAL_MS};
}

/// The published component (see the `component-dist` crate), embedded at build time.
pub const COMPONENT: &[u8] = include_bytes!(env!("BLOCK_STORAGE_COMPONENT"));

#[cfg(test)]
mod tests {
    /// The embedded bytes are the file that is published, byte for byte.
    #[test]
    fn the_embedded_component_is_the_published_file() {
        let published = std::fs::read(env!("BLOCK_STORAGE_PUBLISHED")).expect("the published component");
        assert!(
            published == super::COMPONENT,
            "the embedded component differs from the published file"
        );
    }

    /// The release component stays within the size budget of contract 0.2 (320 KiB).
    #[test]
    fn the_component_is_within_its_size_budget() {
        const BUDGET: usize = 320 * 1024;
        let size = super::COMPONENT.len();
        assert!(
            size <= BUDGET,
            "the component is {size} bytes, over the {BUDGET}-byte budget"
        );
    }
}
