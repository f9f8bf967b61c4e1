//! Host library: loads the infomaniak-block-storage component into wasmtime and calls it.
//!
//! The component is compiled once per [`Host`] (a `Component` plus an `InstancePre`),
//! each [`Session`] gets its own `Store`, and calls are typed through
//! `wasmtime::component::bindgen!`. The bindings are synchronous: call them from plain
//! threads (or `spawn_blocking`), not from inside a tokio runtime.
//!
//! ```no_run
//! use host_test::{spec, ApplicationCredential, Credentials, Host, ListOptions};
//!
//! fn main() -> Result<(), Box<dyn std::error::Error>> {
//!     let host = Host::new()?; // the embedded component; Host::from_bytes(&wasm) for another
//!     let credentials = Credentials::ApplicationCredential(ApplicationCredential {
//!         id: std::env::var("OS_APPLICATION_CREDENTIAL_ID")?,
//!         secret: std::env::var("OS_APPLICATION_CREDENTIAL_SECRET")?,
//!     });
//!     let cfg = host_test::Config {
//!         region: Some("dc3-a".into()),
//!         ..spec::config("https://api.pub1.infomaniak.cloud/identity/v3", credentials)
//!     };
//!     // Outer result: a trap; inner: the component's typed error.
//!     let mut session = host.connect(&cfg)?.map_err(|e| host_test::describe(&e.error))?;
//!     let all = ListOptions { status: None, name: None, page_size: None };
//!     for v in session.volume_list(&all)?.map_err(|e| host_test::describe(&e))? {
//!         println!("{} {} {} GiB", v.id, v.status, v.size);
//!     }
//!     Ok(())
//! }
//! ```

#![cfg(not(target_arch = "wasm32"))]

pub mod cli;
pub mod lifecycle;
pub mod spec;

use std::sync::Arc;

use wasmtime::component::{Component, Linker, ResourceAny, ResourceTable};
use wasmtime::{Config as EngineConfig, Engine, Store};
use wasmtime_wasi::p2::pipe::MemoryOutputPipe;
use wasmtime_wasi::{WasiCtx, WasiCtxView, WasiView};
use wasmtime_wasi_http::{WasiHttpCtx, WasiHttpCtxView, WasiHttpView};

wasmtime::component::bindgen!({
    world: "block-storage",
    path: "../wit",
});

pub use exports::infomaniak::block_storage::types::{
    ApiError, ApplicationCredential, Attachment, Backup, BackupCreate, Config, Credentials, Error, ListOptions,
    PasswordCredential, Restored, Snapshot, SnapshotCreate, Volume, VolumeCreate,
};

/// The component built from this workspace's sources by `build.rs`.
pub const COMPONENT: &[u8] = include_bytes!(env!("BLOCK_STORAGE_COMPONENT"));

/// Where the component's stderr (its failure log) goes.
#[derive(Clone)]
pub enum Log {
    /// The host process's stderr.
    Inherit,
    /// An in-memory buffer (see [`Session::log`]).
    Capture,
}

/// Per-store state: WASI context, wasi:http context, resource table.
pub struct State {
    wasi: WasiCtx,
    http: WasiHttpCtx,
    table: ResourceTable,
}

impl WasiView for State {
    fn ctx(&mut self) -> WasiCtxView<'_> {
        WasiCtxView {
            ctx: &mut self.wasi,
            table: &mut self.table,
        }
    }
}

impl WasiHttpView for State {
    fn http(&mut self) -> WasiHttpCtxView<'_> {
        WasiHttpCtxView {
            ctx: &mut self.http,
            table: &mut self.table,
            hooks: Default::default(),
        }
    }
}

/// A loaded component: compile once, instantiate per session.
#[derive(Clone)]
pub struct Host {
    inner: Arc<Inner>,
    log: Log,
}

struct Inner {
    engine: Engine,
    pre: BlockStoragePre<State>,
}

impl Host {
    /// Loads the component embedded in this crate.
    pub fn new() -> wasmtime::Result<Host> {
        Host::from_bytes(COMPONENT)
    }

    /// Loads a component from its bytes (a `.wasm` file's contents).
    pub fn from_bytes(wasm: &[u8]) -> wasmtime::Result<Host> {
        let mut cfg = EngineConfig::new();
        cfg.wasm_component_model(true);
        let engine = Engine::new(&cfg)?;
        let component = Component::new(&engine, wasm)?;
        let mut linker = Linker::<State>::new(&engine);
        wasmtime_wasi::p2::add_to_linker_sync(&mut linker)?;
        wasmtime_wasi_http::p2::add_only_http_to_linker_sync(&mut linker)?;
        let pre = BlockStoragePre::new(linker.instantiate_pre(&component)?)?;
        Ok(Host {
            inner: Arc::new(Inner { engine, pre }),
            log: Log::Inherit,
        })
    }

    /// The same loaded component with another log destination.
    pub fn with_log(&self, log: Log) -> Host {
        Host {
            inner: self.inner.clone(),
            log,
        }
    }

    /// The names of the component's imports (`wasi:http/outgoing-handler@0.2.x`, …).
    pub fn imports(&self) -> Vec<String> {
        let ty = self.inner.pre.instance_pre().component().component_type();
        ty.imports(&self.inner.engine)
            .map(|(name, _)| name.to_string())
            .collect()
    }

    /// Instantiates the component in a fresh store and calls `session.connect`.
    /// The outer result is a trap (a host or component bug); the inner one the component's
    /// typed answer.
    pub fn connect(&self, cfg: &Config) -> wasmtime::Result<Result<Session, ConnectError>> {
        let pipe = MemoryOutputPipe::new(1 << 20);
        let mut wasi = WasiCtx::builder();
        match self.log {
            Log::Inherit => {
                wasi.inherit_stderr();
            }
            Log::Capture => {
                wasi.stderr(pipe.clone());
            }
        }
        let state = State {
            wasi: wasi.build(),
            http: WasiHttpCtx::new(),
            table: ResourceTable::new(),
        };
        let mut store = Store::new(&self.inner.engine, state);
        let bindings = self.inner.pre.instantiate(&mut store)?;
        let answer = bindings
            .infomaniak_block_storage_session()
            .call_connect(&mut store, cfg)?;
        let log = String::from_utf8_lossy(&pipe.contents()).into_owned();
        Ok(match answer {
            Ok(handle) => Ok(Session {
                store,
                bindings,
                handle,
                pipe,
            }),
            Err(error) => Err(ConnectError { error, log }),
        })
    }
}

/// A failed `connect`, with what the component logged.
#[derive(Debug)]
pub struct ConnectError {
    pub error: Error,
    pub log: String,
}

/// One connected session: its own store and instance.
pub struct Session {
    store: Store<State>,
    bindings: BlockStorage,
    handle: ResourceAny,
    pipe: MemoryOutputPipe,
}

/// A call's outcome: `Err` is a trap, `Ok` the component's typed result.
pub type Call<T> = wasmtime::Result<Result<T, Error>>;

impl Session {
    /// What the component wrote to stderr so far (with [`Log::Capture`]).
    pub fn log(&self) -> String {
        String::from_utf8_lossy(&self.pipe.contents()).into_owned()
    }

    pub fn project_id(&mut self) -> wasmtime::Result<Option<String>> {
        let s = self.bindings.infomaniak_block_storage_session().session();
        s.call_project_id(&mut self.store, self.handle)
    }
    pub fn block_storage_url(&mut self) -> wasmtime::Result<String> {
        let s = self.bindings.infomaniak_block_storage_session().session();
        s.call_block_storage_url(&mut self.store, self.handle)
    }
    pub fn microversion(&mut self) -> wasmtime::Result<String> {
        let s = self.bindings.infomaniak_block_storage_session().session();
        s.call_microversion(&mut self.store, self.handle)
    }

    // Volumes.
    pub fn volume_list(&mut self, opts: &ListOptions) -> Call<Vec<Volume>> {
        self.bindings
            .infomaniak_block_storage_volumes()
            .call_list(&mut self.store, self.handle, opts)
    }
    pub fn volume_get(&mut self, id: &str) -> Call<Volume> {
        self.bindings
            .infomaniak_block_storage_volumes()
            .call_get(&mut self.store, self.handle, id)
    }
    pub fn volume_create(&mut self, spec: &VolumeCreate) -> Call<Volume> {
        self.bindings
            .infomaniak_block_storage_volumes()
            .call_create(&mut self.store, self.handle, spec)
    }
    pub fn volume_delete(&mut self, id: &str, force: bool) -> Call<()> {
        self.bindings
            .infomaniak_block_storage_volumes()
            .call_delete(&mut self.store, self.handle, id, force)
    }
    pub fn volume_extend(&mut self, id: &str, new_size: u32) -> Call<()> {
        self.bindings
            .infomaniak_block_storage_volumes()
            .call_extend(&mut self.store, self.handle, id, new_size)
    }
    pub fn volume_attach(&mut self, id: &str, server_id: &str, device: Option<&str>) -> Call<Attachment> {
        let device = device.map(str::to_string);
        self.bindings.infomaniak_block_storage_volumes().call_attach(
            &mut self.store,
            self.handle,
            id,
            server_id,
            device.as_deref(),
        )
    }
    pub fn volume_detach(&mut self, id: &str, server_id: &str) -> Call<()> {
        self.bindings
            .infomaniak_block_storage_volumes()
            .call_detach(&mut self.store, self.handle, id, server_id)
    }
    pub fn volume_wait_for(&mut self, id: &str, status: &str, timeout_s: u32) -> Call<Option<Volume>> {
        self.bindings.infomaniak_block_storage_volumes().call_wait_for(
            &mut self.store,
            self.handle,
            id,
            status,
            timeout_s,
        )
    }

    // Snapshots.
    pub fn snapshot_list(&mut self, opts: &ListOptions) -> Call<Vec<Snapshot>> {
        self.bindings
            .infomaniak_block_storage_snapshots()
            .call_list(&mut self.store, self.handle, opts)
    }
    pub fn snapshot_get(&mut self, id: &str) -> Call<Snapshot> {
        self.bindings
            .infomaniak_block_storage_snapshots()
            .call_get(&mut self.store, self.handle, id)
    }
    pub fn snapshot_create(&mut self, spec: &SnapshotCreate) -> Call<Snapshot> {
        self.bindings
            .infomaniak_block_storage_snapshots()
            .call_create(&mut self.store, self.handle, spec)
    }
    pub fn snapshot_delete(&mut self, id: &str, force: bool) -> Call<()> {
        self.bindings
            .infomaniak_block_storage_snapshots()
            .call_delete(&mut self.store, self.handle, id, force)
    }
    pub fn snapshot_wait_for(&mut self, id: &str, status: &str, timeout_s: u32) -> Call<Option<Snapshot>> {
        self.bindings.infomaniak_block_storage_snapshots().call_wait_for(
            &mut self.store,
            self.handle,
            id,
            status,
            timeout_s,
        )
    }

    // Backups.
    pub fn backup_list(&mut self, opts: &ListOptions) -> Call<Vec<Backup>> {
        self.bindings
            .infomaniak_block_storage_backups()
            .call_list(&mut self.store, self.handle, opts)
    }
    pub fn backup_get(&mut self, id: &str) -> Call<Backup> {
        self.bindings
            .infomaniak_block_storage_backups()
            .call_get(&mut self.store, self.handle, id)
    }
    pub fn backup_create(&mut self, spec: &BackupCreate) -> Call<Backup> {
        self.bindings
            .infomaniak_block_storage_backups()
            .call_create(&mut self.store, self.handle, spec)
    }
    pub fn backup_restore(&mut self, id: &str, volume_id: Option<&str>, name: Option<&str>) -> Call<Restored> {
        self.bindings
            .infomaniak_block_storage_backups()
            .call_restore(&mut self.store, self.handle, id, volume_id, name)
    }
    pub fn backup_delete(&mut self, id: &str, force: bool) -> Call<()> {
        self.bindings
            .infomaniak_block_storage_backups()
            .call_delete(&mut self.store, self.handle, id, force)
    }
    pub fn backup_wait_for(&mut self, id: &str, status: &str, timeout_s: u32) -> Call<Option<Backup>> {
        self.bindings.infomaniak_block_storage_backups().call_wait_for(
            &mut self.store,
            self.handle,
            id,
            status,
            timeout_s,
        )
    }
}

impl std::fmt::Debug for Session {
    fn fmt(&self, f: &mut std::fmt::Formatter<'_>) -> std::fmt::Result {
        f.debug_struct("Session").finish_non_exhaustive()
    }
}

impl Drop for Session {
    fn drop(&mut self) {
        // Release the guest's session resource; a trap here has nowhere to go.
        let _ = self.handle.resource_drop(&mut self.store);
    }
}

/// Short name of an error variant (`not-found`, …), for output and tests.
pub fn error_kind(e: &Error) -> &'static str {
    match e {
        Error::InvalidInput(_) => "invalid-input",
        Error::Unauthorized(_) => "unauthorized",
        Error::Forbidden(_) => "forbidden",
        Error::NotFound(_) => "not-found",
        Error::BadRequest(_) => "bad-request",
        Error::Conflict(_) => "conflict",
        Error::OverLimit(_) => "over-limit",
        Error::Api(_) => "api",
        Error::Transport(_) => "transport",
        Error::InvalidResponse(_) => "invalid-response",
        Error::NoEndpoint(_) => "no-endpoint",
        Error::WaitTimeout(_) => "wait-timeout",
        Error::ResourceFailed(_) => "resource-failed",
    }
}

/// The server's answer inside an HTTP error variant, if it is one.
pub fn api_error(e: &Error) -> Option<&ApiError> {
    match e {
        Error::Unauthorized(a)
        | Error::Forbidden(a)
        | Error::NotFound(a)
        | Error::BadRequest(a)
        | Error::Conflict(a)
        | Error::OverLimit(a)
        | Error::Api(a) => Some(a),
        _ => None,
    }
}

/// A readable one-line form of an error.
pub fn describe(e: &Error) -> String {
    if let Some(a) = api_error(e) {
        let rid = a.request_id.as_deref().map(|r| format!(" [{r}]")).unwrap_or_default();
        return format!("{} ({}){rid}: {}", error_kind(e), a.status, a.message);
    }
    match e {
        Error::InvalidInput(m)
        | Error::Transport(m)
        | Error::InvalidResponse(m)
        | Error::NoEndpoint(m)
        | Error::WaitTimeout(m)
        | Error::ResourceFailed(m) => format!("{}: {m}", error_kind(e)),
        _ => error_kind(e).to_string(),
    }
}
