//! Host library: loads the infomaniak-block-storage component into wasmtime and calls it.
//!
//! The component is compiled once per [`Host`] (a `Component` plus an `InstancePre`),
//! each [`Session`] gets its own `Store`, and calls are typed through
//! `wasmtime::component::bindgen!`. Each session drives the component on its own
//! single-threaded tokio runtime, so its calls block: call them from plain
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

pub mod allow;
pub mod cache;
pub mod cli;
pub mod lifecycle;
pub mod sandbox;
pub mod spec;
pub mod transport;

use std::sync::Arc;

use wasmtime::component::{Component, Linker, ResourceAny, ResourceTable};
use wasmtime::{Config as EngineConfig, Engine, Store, StoreLimitsBuilder, UpdateDeadline};
use wasmtime_wasi::p2::pipe::MemoryOutputPipe;
use wasmtime_wasi::{WasiCtx, WasiCtxView, WasiView};
use wasmtime_wasi_http::{WasiHttpCtx, WasiHttpCtxView, WasiHttpView};

wasmtime::component::bindgen!({
    world: "block-storage",
    path: "../wit",
    exports: { default: async },
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

pub use sandbox::Limits;

/// Per-store state: WASI context, wasi:http context, resource table, and the sandbox's
/// bounds (memory limiter, request guard, CPU budget of the running call).
pub struct State {
    wasi: WasiCtx,
    http: WasiHttpCtx,
    table: ResourceTable,
    limits: sandbox::Limiter,
    guard: sandbox::Guard,
    /// The calling thread's CPU clock when the running call started.
    call_cpu_start: std::time::Duration,
    cpu_per_call: std::time::Duration,
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
            hooks: &mut self.guard,
        }
    }
}

/// A loaded component: compile once, instantiate per session.
#[derive(Clone)]
pub struct Host {
    inner: Arc<Inner>,
    log: Log,
    limits: Limits,
    transport: transport::Transport,
    /// Origins reachable besides the ones a session's config names.
    extra_origins: Vec<String>,
    check_secrets: bool,
    /// Sees each session's HTTP traffic (`--debug`).
    debug: Option<Arc<dyn sandbox::Tap>>,
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
        Host::load(wasm, None)
    }

    /// Like [`Host::from_bytes`], keeping the compiled artifact in `dir` (keyed by the
    /// component's SHA-256 and the engine's settings), so the next process start skips
    /// Cranelift. `dir` must be writable only by trusted users: artifacts are loaded as
    /// native code.
    pub fn from_bytes_cached(wasm: &[u8], dir: &std::path::Path) -> wasmtime::Result<Host> {
        Host::load(wasm, Some(dir))
    }

    fn load(wasm: &[u8], cache: Option<&std::path::Path>) -> wasmtime::Result<Host> {
        let mut cfg = EngineConfig::new();
        cfg.wasm_component_model(true);
        cfg.epoch_interruption(true);
        let engine = Engine::new(&cfg)?;
        sandbox::start_ticker(&engine);
        let component = match cache {
            Some(dir) => cache::component(&engine, wasm, dir)?,
            None => Component::new(&engine, wasm)?,
        };
        let mut linker = Linker::<State>::new(&engine);
        wasmtime_wasi::p2::add_to_linker_async(&mut linker)?;
        wasmtime_wasi_http::p2::add_only_http_to_linker_async(&mut linker)?;
        let pre = BlockStoragePre::new(linker.instantiate_pre(&component)?)?;
        Ok(Host {
            inner: Arc::new(Inner { engine, pre }),
            log: Log::Inherit,
            limits: Limits::default(),
            transport: transport::Transport::new(None).map_err(|e| wasmtime::format_err!("{e}"))?,
            extra_origins: Vec::new(),
            check_secrets: false,
            debug: None,
        })
    }

    /// The same loaded component with another log destination.
    pub fn with_log(&self, log: Log) -> Host {
        Host { log, ..self.clone() }
    }

    /// The same loaded component, trusting also the PEM certificates of `pem` (a private
    /// cloud's CA bundle) besides the system's roots.
    pub fn with_extra_ca(&self, pem: &[u8]) -> wasmtime::Result<Host> {
        Ok(Host {
            transport: transport::Transport::new(Some(pem)).map_err(|e| wasmtime::format_err!("{e}"))?,
            ..self.clone()
        })
    }

    /// The same loaded component, with every request and answer of its sessions shown to
    /// `tap` (the command line's `--debug`).
    pub fn with_debug(&self, tap: Arc<dyn sandbox::Tap>) -> Host {
        Host {
            debug: Some(tap),
            ..self.clone()
        }
    }

    /// The same loaded component under other bounds.
    pub fn with_limits(&self, limits: Limits) -> Host {
        Host { limits, ..self.clone() }
    }

    /// The same loaded component, with every call's error, trap and captured stderr
    /// searched for the session's secrets (configured credentials and every token seen on
    /// the wire); a find turns the call into an error naming the kind of secret. Meant for
    /// tests, with [`Log::Capture`].
    pub fn checking_secrets(&self) -> Host {
        Host {
            check_secrets: true,
            ..self.clone()
        }
    }

    /// Also lets sessions reach these URLs' origins. By default a session may reach the
    /// origins of its config's `auth-url`, `block-storage-url` and `compute-url`, and the
    /// block-storage and compute endpoints its Keystone's catalog names (see [`allow`]).
    pub fn allowing(&self, urls: &[&str]) -> Host {
        let mut extra = self.extra_origins.clone();
        extra.extend(urls.iter().filter_map(|u| allow::origin(u)));
        Host {
            extra_origins: extra,
            ..self.clone()
        }
    }

    /// The names of the component's imports (`wasi:http/outgoing-handler@0.2.x`, …).
    pub fn imports(&self) -> Vec<String> {
        let ty = self.inner.pre.instance_pre().component().component_type();
        ty.imports(&self.inner.engine)
            .map(|(name, _)| name.to_string())
            .collect()
    }

    /// A fresh store with the sandbox's bounds for one session.
    fn store(&self, wasi: WasiCtx, allowed: allow::AllowList, secrets: Option<sandbox::Secrets>) -> Store<State> {
        let state = State {
            wasi,
            http: WasiHttpCtx::new(),
            table: ResourceTable::new(),
            limits: sandbox::Limiter {
                inner: StoreLimitsBuilder::new()
                    .memory_size(self.limits.memory_bytes)
                    .trap_on_grow_failure(true)
                    .build(),
                peak_memory: 0,
            },
            guard: sandbox::Guard {
                // Per session: pooled connections belong to the session's runtime.
                transport: self.transport.fresh(),
                allowed: Arc::new(allowed),
                request_time: self.limits.request_time,
                secrets,
                debug: self.debug.clone(),
            },
            call_cpu_start: sandbox::thread_cpu(),
            cpu_per_call: self.limits.cpu_per_call,
        };
        let mut store = Store::new(&self.inner.engine, state);
        store.limiter(|s| &mut s.limits);
        store.epoch_deadline_callback(|ctx| {
            let s = ctx.data();
            if sandbox::thread_cpu().saturating_sub(s.call_cpu_start) > s.cpu_per_call {
                return Err(wasmtime::format_err!(
                    "the call used more than its CPU budget of {:?}",
                    s.cpu_per_call
                ));
            }
            Ok(UpdateDeadline::Continue(1))
        });
        store.set_epoch_deadline(1);
        store
    }

    /// How long instantiating the pre-compiled component in a fresh store takes (no call).
    pub fn instantiation_time(&self) -> wasmtime::Result<std::time::Duration> {
        let mut store = self.store(WasiCtx::builder().build(), allow::AllowList::fixed(Vec::new()), None);
        let rt = session_runtime()?;
        let started = std::time::Instant::now();
        rt.block_on(self.inner.pre.instantiate_async(&mut store))?;
        Ok(started.elapsed())
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
        let allowed = allow::AllowList::for_config(cfg, &self.extra_origins);
        let secrets = self.check_secrets.then(sandbox::Secrets::default);
        if let Some(s) = &secrets {
            match &cfg.credentials {
                Credentials::ApplicationCredential(a) => s.add("application credential secret", &a.secret),
                Credentials::Password(p) => s.add("password", &p.password),
                Credentials::Token(t) => s.add("token", t),
            }
        }
        let rt = session_runtime()?;
        let mut store = self.store(wasi.build(), allowed, secrets.clone());
        let (bindings, answer) = rt.block_on(async {
            let bindings = self.inner.pre.instantiate_async(&mut store).await?;
            let answer = bindings
                .infomaniak_block_storage_session()
                .call_connect(&mut store, cfg)
                .await;
            Ok::<_, wasmtime::Error>((bindings, answer))
        })?;
        let log = String::from_utf8_lossy(&pipe.contents()).into_owned();
        if let Some(s) = &secrets {
            scan(s, "stderr", &log)?;
            match &answer {
                Err(trap) => scan(s, "trap", &format!("{trap:?}"))?,
                Ok(Err(e)) => scan(s, "error", &format!("{e:?}"))?,
                Ok(Ok(_)) => {}
            }
        }
        Ok(match answer? {
            Ok(handle) => Ok(Session {
                store,
                bindings,
                handle,
                pipe,
                secrets,
                rt,
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
    secrets: Option<sandbox::Secrets>,
    /// The session's own single-threaded runtime: wasi:http's tasks and the session's
    /// pooled connections run on the calling thread, with no hand-offs between threads.
    rt: tokio::runtime::Runtime,
}

fn session_runtime() -> wasmtime::Result<tokio::runtime::Runtime> {
    tokio::runtime::Builder::new_current_thread()
        .enable_all()
        .build()
        .map_err(|e| wasmtime::format_err!("tokio runtime: {e}"))
}

/// A call's outcome: `Err` is a trap, `Ok` the component's typed result.
pub type Call<T> = wasmtime::Result<Result<T, Error>>;

impl Session {
    /// The largest linear memory the component has grown to in this session, in bytes.
    pub fn peak_memory(&self) -> usize {
        self.store.data().limits.peak_memory
    }

    /// The origins this session may reach now (see [`allow`]), for audits and tests.
    pub fn allowed_origins(&self) -> Vec<String> {
        self.store.data().guard.allowed.origins()
    }

    /// What the component wrote to stderr so far (with [`Log::Capture`]).
    pub fn log(&self) -> String {
        String::from_utf8_lossy(&self.pipe.contents()).into_owned()
    }

    pub fn project_id(&mut self) -> wasmtime::Result<Option<String>> {
        self.run(async |b, st, h| {
            b.infomaniak_block_storage_session()
                .session()
                .call_project_id(st, h)
                .await
        })
    }
    pub fn block_storage_url(&mut self) -> wasmtime::Result<String> {
        self.run(async |b, st, h| {
            b.infomaniak_block_storage_session()
                .session()
                .call_block_storage_url(st, h)
                .await
        })
    }
    pub fn microversion(&mut self) -> wasmtime::Result<String> {
        self.run(async |b, st, h| {
            b.infomaniak_block_storage_session()
                .session()
                .call_microversion(st, h)
                .await
        })
    }

    // Volumes.
    pub fn volume_list(&mut self, opts: &ListOptions) -> Call<Vec<Volume>> {
        self.run(async |b, st, h| b.infomaniak_block_storage_volumes().call_list(st, h, opts).await)
    }
    pub fn volume_get(&mut self, id: &str) -> Call<Volume> {
        self.run(async |b, st, h| b.infomaniak_block_storage_volumes().call_get(st, h, id).await)
    }
    pub fn volume_create(&mut self, spec: &VolumeCreate) -> Call<Volume> {
        self.run(async |b, st, h| b.infomaniak_block_storage_volumes().call_create(st, h, spec).await)
    }
    pub fn volume_delete(&mut self, id: &str, force: bool) -> Call<()> {
        self.run(async |b, st, h| b.infomaniak_block_storage_volumes().call_delete(st, h, id, force).await)
    }
    pub fn volume_extend(&mut self, id: &str, new_size: u32) -> Call<()> {
        self.run(async |b, st, h| {
            b.infomaniak_block_storage_volumes()
                .call_extend(st, h, id, new_size)
                .await
        })
    }
    pub fn volume_attach(&mut self, id: &str, server_id: &str, device: Option<&str>) -> Call<Attachment> {
        let device = device.map(str::to_string);
        self.run(async |b, st, h| {
            b.infomaniak_block_storage_volumes()
                .call_attach(st, h, id, server_id, device.as_deref())
                .await
        })
    }
    pub fn volume_detach(&mut self, id: &str, server_id: &str) -> Call<()> {
        self.run(async |b, st, h| {
            b.infomaniak_block_storage_volumes()
                .call_detach(st, h, id, server_id)
                .await
        })
    }
    pub fn volume_wait_for(&mut self, id: &str, status: &str, timeout_s: u32) -> Call<Option<Volume>> {
        self.run(async |b, st, h| {
            b.infomaniak_block_storage_volumes()
                .call_wait_for(st, h, id, status, timeout_s)
                .await
        })
    }

    // Snapshots.
    pub fn snapshot_list(&mut self, opts: &ListOptions) -> Call<Vec<Snapshot>> {
        self.run(async |b, st, h| b.infomaniak_block_storage_snapshots().call_list(st, h, opts).await)
    }
    pub fn snapshot_get(&mut self, id: &str) -> Call<Snapshot> {
        self.run(async |b, st, h| b.infomaniak_block_storage_snapshots().call_get(st, h, id).await)
    }
    pub fn snapshot_create(&mut self, spec: &SnapshotCreate) -> Call<Snapshot> {
        self.run(async |b, st, h| b.infomaniak_block_storage_snapshots().call_create(st, h, spec).await)
    }
    pub fn snapshot_delete(&mut self, id: &str, force: bool) -> Call<()> {
        self.run(async |b, st, h| {
            b.infomaniak_block_storage_snapshots()
                .call_delete(st, h, id, force)
                .await
        })
    }
    pub fn snapshot_wait_for(&mut self, id: &str, status: &str, timeout_s: u32) -> Call<Option<Snapshot>> {
        self.run(async |b, st, h| {
            b.infomaniak_block_storage_snapshots()
                .call_wait_for(st, h, id, status, timeout_s)
                .await
        })
    }

    // Backups.
    pub fn backup_list(&mut self, opts: &ListOptions) -> Call<Vec<Backup>> {
        self.run(async |b, st, h| b.infomaniak_block_storage_backups().call_list(st, h, opts).await)
    }
    pub fn backup_get(&mut self, id: &str) -> Call<Backup> {
        self.run(async |b, st, h| b.infomaniak_block_storage_backups().call_get(st, h, id).await)
    }
    pub fn backup_create(&mut self, spec: &BackupCreate) -> Call<Backup> {
        self.run(async |b, st, h| b.infomaniak_block_storage_backups().call_create(st, h, spec).await)
    }
    pub fn backup_restore(&mut self, id: &str, volume_id: Option<&str>, name: Option<&str>) -> Call<Restored> {
        self.run(async |b, st, h| {
            b.infomaniak_block_storage_backups()
                .call_restore(st, h, id, volume_id, name)
                .await
        })
    }
    pub fn backup_delete(&mut self, id: &str, force: bool) -> Call<()> {
        self.run(async |b, st, h| b.infomaniak_block_storage_backups().call_delete(st, h, id, force).await)
    }
    pub fn backup_wait_for(&mut self, id: &str, status: &str, timeout_s: u32) -> Call<Option<Backup>> {
        self.run(async |b, st, h| {
            b.infomaniak_block_storage_backups()
                .call_wait_for(st, h, id, status, timeout_s)
                .await
        })
    }
}

impl Session {
    /// Runs one call with a fresh CPU budget (and, when asked, a search for leaked secrets).
    fn run<T: Scan>(
        &mut self,
        call: impl AsyncFnOnce(&BlockStorage, &mut Store<State>, ResourceAny) -> wasmtime::Result<T>,
    ) -> wasmtime::Result<T> {
        self.store.data_mut().call_cpu_start = sandbox::thread_cpu();
        self.store.set_epoch_deadline(1);
        let out = self.rt.block_on(call(&self.bindings, &mut self.store, self.handle));
        if let Some(s) = &self.secrets {
            scan(s, "stderr", &self.log())?;
            match &out {
                Err(trap) => scan(s, "trap", &format!("{trap:?}"))?,
                Ok(v) => v.scan(|text| scan(s, "error", text))?,
            }
        }
        out
    }
}

/// Fails if `text` (a call's `what`) contains one of `secrets`, naming only the kind.
fn scan(secrets: &sandbox::Secrets, what: &str, text: &str) -> wasmtime::Result<()> {
    match secrets.found_in(text) {
        Some(kind) => Err(wasmtime::format_err!("a {kind} leaked into the component's {what}")),
        None => Ok(()),
    }
}

/// What a call returns that could carry text out of the component.
trait Scan {
    fn scan(&self, check: impl Fn(&str) -> wasmtime::Result<()>) -> wasmtime::Result<()>;
}

impl<T> Scan for Result<T, Error> {
    fn scan(&self, check: impl Fn(&str) -> wasmtime::Result<()>) -> wasmtime::Result<()> {
        match self {
            Err(e) => check(&format!("{e:?}")),
            Ok(_) => Ok(()),
        }
    }
}

impl Scan for String {
    fn scan(&self, check: impl Fn(&str) -> wasmtime::Result<()>) -> wasmtime::Result<()> {
        check(self)
    }
}

impl Scan for Option<String> {
    fn scan(&self, check: impl Fn(&str) -> wasmtime::Result<()>) -> wasmtime::Result<()> {
        self.as_deref().map_or(Ok(()), check)
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
        let _ = self.rt.block_on(self.handle.resource_drop_async(&mut self.store));
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
