//! [`Host`]: the component compiled once, and a fresh sandboxed store per session.

use std::sync::Arc;

use wasmtime::component::{Component, Linker, ResourceTable};
use wasmtime::{Config as EngineConfig, Engine, Store, StoreLimitsBuilder, UpdateDeadline};
use wasmtime_wasi::p2::pipe::MemoryOutputPipe;
use wasmtime_wasi::{WasiCtx, WasiCtxView, WasiView};
use wasmtime_wasi_http::{WasiHttpCtx, WasiHttpCtxView, WasiHttpView};

use crate::allow::AllowList;
use crate::bindings::BlockStoragePre;
use crate::driver::Driver;
use crate::session::{scan, Session};
use crate::{cache, sandbox, transport, Config, Credentials, Error, Limits, Result, Tap, COMPONENT};

/// Where the component's stderr (its failure log) goes.
#[derive(Clone)]
pub enum Log {
    /// The host process's stderr.
    Inherit,
    /// An in-memory buffer (see [`Session::log`]).
    Capture,
}

/// Per-store state: WASI context, wasi:http context, resource table, and the sandbox's
/// bounds (memory limiter, request guard, CPU budget of the running call).
pub(crate) struct State {
    wasi: WasiCtx,
    http: WasiHttpCtx,
    table: ResourceTable,
    pub(crate) limits: sandbox::Limiter,
    pub(crate) guard: sandbox::Guard,
    /// The calling thread's CPU clock when the running call started.
    pub(crate) call_cpu_start: std::time::Duration,
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
    debug: Option<Arc<dyn Tap>>,
}

struct Inner {
    engine: Engine,
    pre: BlockStoragePre<State>,
    /// Why the artifact cache was not used, when it could not be trusted.
    cache_warning: Option<String>,
}

impl Host {
    /// Loads the component embedded in this crate.
    pub fn new() -> Result<Host> {
        Host::from_bytes(COMPONENT)
    }

    /// Loads a component from its bytes (a `.wasm` file's contents).
    pub fn from_bytes(wasm: &[u8]) -> Result<Host> {
        Host::load(wasm, None)
    }

    /// Why [`Host::from_bytes_cached`] compiled in memory instead of trusting its cache
    /// (`<dir> is group-writable`, `<file> is not a regular file`, …), if it did.
    pub fn cache_warning(&self) -> Option<&str> {
        self.inner.cache_warning.as_deref()
    }

    /// Like [`Host::from_bytes`], keeping the compiled artifact in `dir` (keyed by the
    /// component's SHA-256 and the engine's settings), so the next process start skips
    /// Cranelift. Artifacts are native code, so `dir` (created 0700) and the artifact
    /// (0600) are used only when owned by the current user and writable by no one else;
    /// otherwise the component is compiled in memory, nothing is written, and
    /// [`Host::cache_warning`] says why (for the caller to show once).
    pub fn from_bytes_cached(wasm: &[u8], dir: &std::path::Path) -> Result<Host> {
        Host::load(wasm, Some(dir))
    }

    fn load(wasm: &[u8], cache: Option<&std::path::Path>) -> Result<Host> {
        let engine = engine()?;
        let (component, cache_warning) = match cache {
            Some(dir) => cache::component(&engine, wasm, dir)?,
            None => (Component::new(&engine, wasm)?, None),
        };
        let pre = BlockStoragePre::new(linker(&engine)?.instantiate_pre(&component)?)?;
        Ok(Host {
            inner: Arc::new(Inner {
                engine,
                pre,
                cache_warning,
            }),
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
    pub fn with_extra_ca(&self, pem: &[u8]) -> Result<Host> {
        Ok(Host {
            transport: transport::Transport::new(Some(pem)).map_err(|e| wasmtime::format_err!("{e}"))?,
            ..self.clone()
        })
    }

    /// The same loaded component, with every request and answer of its sessions shown to
    /// `tap` (the command line's `--debug`).
    pub fn with_debug(&self, tap: Arc<dyn Tap>) -> Host {
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
    /// block-storage and compute endpoints its Keystone's catalog names (see [`crate::allow`]).
    pub fn allowing(&self, urls: &[&str]) -> Host {
        let mut extra = self.extra_origins.clone();
        extra.extend(urls.iter().filter_map(|u| crate::allow::origin(u)));
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

    /// A fresh store with the sandbox's bounds for one session, and the calling thread's
    /// driver, whose pool it sends through.
    fn store(
        &self,
        wasi: WasiCtx,
        allowed: AllowList,
        secrets: Option<sandbox::Secrets>,
    ) -> Result<(Arc<Driver>, Store<State>)> {
        let driver = Driver::current()?;
        let guard = sandbox::Guard {
            transport: driver.pool(&self.transport),
            allowed: Arc::new(allowed),
            request_time: self.limits.request_time,
            secrets,
            debug: self.debug.clone(),
        };
        let store = sandboxed_store(&self.inner.engine, &self.limits, wasi, guard);
        Ok((driver, store))
    }

    /// How long instantiating the pre-compiled component in a fresh store takes (no call).
    pub fn instantiation_time(&self) -> Result<std::time::Duration> {
        let (driver, mut store) = self.store(WasiCtx::builder().build(), AllowList::fixed(Vec::new()), None)?;
        let started = std::time::Instant::now();
        driver.rt.block_on(self.inner.pre.instantiate_async(&mut store))?;
        Ok(started.elapsed())
    }

    /// Instantiates the component in a fresh store and calls `session.connect`.
    pub fn connect(&self, cfg: &Config) -> Result<Session> {
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
        let allowed = AllowList::for_config(cfg, &self.extra_origins);
        let secrets = self.check_secrets.then(|| configured_secrets(cfg));
        let (driver, mut store) = self.store(wasi.build(), allowed, secrets.clone())?;
        let (bindings, answer) = driver.rt.block_on(async {
            let bindings = self.inner.pre.instantiate_async(&mut store).await?;
            let answer = bindings
                .infomaniak_block_storage_session()
                .call_connect(&mut store, cfg)
                .await;
            Ok::<_, wasmtime::Error>((bindings, answer))
        })?;
        let log = String::from_utf8_lossy(&pipe.contents()).into_owned();
        let answer = answer.map_err(Error::Trap).and_then(|r| {
            r.map_err(|error| Error::Component {
                error,
                log: log.clone(),
            })
        });
        if let Some(s) = &secrets {
            scan(s, "stderr", &log)?;
            if let Err(e) = &answer {
                scan(s, "error", &format!("{e:?}"))?;
            }
        }
        Ok(Session::new(store, bindings, answer?, pipe, secrets, driver))
    }
}

/// The engine every host uses: the component model, and epoch interruption for the CPU
/// budget (its ticker started).
pub(crate) fn engine() -> Result<Engine> {
    let mut cfg = EngineConfig::new();
    cfg.wasm_component_model(true);
    cfg.epoch_interruption(true);
    // Copy the guest's 17 KiB of data at instantiation instead of mapping a memory
    // image: the image costs each instance two more memory mappings (7 instead of 5),
    // and at 7 the kernel's default limit of 65,530 stops a process near 9,300 sessions.
    cfg.memory_init_cow(false);
    let engine = Engine::new(&cfg)?;
    sandbox::start_ticker(&engine);
    Ok(engine)
}

/// A linker with WASI 0.2 and wasi:http.
pub(crate) fn linker(engine: &Engine) -> Result<Linker<State>> {
    let mut linker = Linker::<State>::new(engine);
    wasmtime_wasi::p2::add_to_linker_async(&mut linker)?;
    wasmtime_wasi_http::p2::add_only_http_to_linker_async(&mut linker)?;
    Ok(linker)
}

/// A fresh store under `limits` (memory cap, CPU budget per call) whose outgoing requests
/// go through `guard`.
pub(crate) fn sandboxed_store(engine: &Engine, limits: &Limits, wasi: WasiCtx, guard: sandbox::Guard) -> Store<State> {
    let state = State {
        wasi,
        http: WasiHttpCtx::new(),
        table: ResourceTable::new(),
        limits: sandbox::Limiter {
            inner: StoreLimitsBuilder::new()
                .memory_size(limits.memory_bytes)
                .trap_on_grow_failure(true)
                .build(),
            peak_memory: 0,
        },
        guard,
        call_cpu_start: sandbox::thread_cpu(),
        cpu_per_call: limits.cpu_per_call,
    };
    let mut store = Store::new(engine, state);
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

/// The secrets a config holds, to search every call's output for.
fn configured_secrets(cfg: &Config) -> sandbox::Secrets {
    let s = sandbox::Secrets::default();
    match &cfg.credentials {
        Credentials::ApplicationCredential(a) => s.add("application credential secret", &a.secret),
        Credentials::Password(p) => s.add("password", &p.password),
        Credentials::Token(t) => s.add("token", t),
    }
    s
}
