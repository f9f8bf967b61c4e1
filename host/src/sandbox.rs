//! What keeps a component in its lane: a memory cap per store, a CPU budget per call
//! (epoch interruption checked against the calling thread's CPU clock, so time spent
//! blocked on the network does not count), a time cap per outgoing request, and the
//! [allow-list](crate::allow) of the origins a session may reach.

use std::sync::{Arc, Mutex};
use std::time::Duration;

use wasmtime::{Engine, ResourceLimiter, StoreLimits};
use wasmtime_wasi_http::{RequestOptions, WasiBody, WasiHttpHooks};

/// Bounds for every session of a [`crate::Host`].
#[derive(Clone, Debug)]
pub struct Limits {
    /// Largest linear memory a session's store may grow to.
    pub memory_bytes: usize,
    /// CPU time one call may spend (network waits do not count).
    pub cpu_per_call: Duration,
    /// Longest any one outgoing request may take, whatever the component asks for.
    pub request_time: Duration,
}

impl Default for Limits {
    fn default() -> Limits {
        Limits {
            memory_bytes: 256 << 20,
            cpu_per_call: Duration::from_secs(10),
            request_time: Duration::from_secs(120),
        }
    }
}

/// The store's resource limiter: wasmtime's [`StoreLimits`], plus the largest linear
/// memory the component asked for (reported by benchmarks).
pub(crate) struct Limiter {
    pub(crate) inner: StoreLimits,
    pub(crate) peak_memory: usize,
}

impl ResourceLimiter for Limiter {
    fn memory_growing(&mut self, current: usize, desired: usize, maximum: Option<usize>) -> wasmtime::Result<bool> {
        let allowed = self.inner.memory_growing(current, desired, maximum)?;
        if allowed {
            self.peak_memory = self.peak_memory.max(desired);
        }
        Ok(allowed)
    }

    fn table_growing(&mut self, current: usize, desired: usize, maximum: Option<usize>) -> wasmtime::Result<bool> {
        self.inner.table_growing(current, desired, maximum)
    }

    fn instances(&self) -> usize {
        self.inner.instances()
    }

    fn tables(&self) -> usize {
        self.inner.tables()
    }

    fn memories(&self) -> usize {
        self.inner.memories()
    }
}

/// How often the engine's epoch advances, i.e. how often a running call's CPU use is checked.
pub(crate) const TICK: Duration = Duration::from_millis(10);

/// Advances `engine`'s epoch every [`TICK`] for as long as the engine lives.
pub(crate) fn start_ticker(engine: &Engine) {
    let weak = engine.weak();
    let _ = std::thread::Builder::new().name("wasm-epoch".into()).spawn(move || {
        while let Some(engine) = weak.upgrade() {
            engine.increment_epoch();
            drop(engine);
            std::thread::sleep(TICK);
        }
    });
}

/// CPU time consumed by the calling thread.
pub(crate) fn thread_cpu() -> Duration {
    let mut ts = libc::timespec { tv_sec: 0, tv_nsec: 0 };
    // SAFETY: `ts` is a valid, writable timespec; the clock id is a constant.
    let rc = unsafe { libc::clock_gettime(libc::CLOCK_THREAD_CPUTIME_ID, &mut ts) };
    if rc != 0 {
        return Duration::ZERO;
    }
    Duration::new(ts.tv_sec as u64, ts.tv_nsec as u32)
}

/// Largest token answer read for its catalog (Keystone's are tens of KB).
const MAX_TOKEN_ANSWER: usize = 16 << 20;

/// Buffers a token answer, admits the endpoints its catalog names for the session, and
/// hands the same bytes on to the component.
async fn read_catalog(
    response: http::Response<WasiBody>,
    allowed: &crate::allow::AllowList,
    limit: Duration,
) -> Result<http::Response<WasiBody>, wasmtime_wasi_http::Error> {
    use http_body_util::BodyExt;
    let (head, body) = response.into_parts();
    let collected = tokio::time::timeout(limit, http_body_util::Limited::new(body, MAX_TOKEN_ANSWER).collect())
        .await
        .map_err(|_| wasmtime_wasi_http::Error::ConnectionReadTimeout)?
        .map_err(|e| match e.downcast::<wasmtime_wasi_http::Error>() {
            Ok(e) => *e,
            Err(_) => wasmtime_wasi_http::Error::HttpResponseBodySize(Some(MAX_TOKEN_ANSWER as u64)),
        })?;
    let bytes = collected.to_bytes();
    allowed.learn(head.status.as_u16(), &head.headers, &bytes);
    let body = http_body_util::Full::new(bytes)
        .map_err(|never| match never {})
        .boxed_unsync();
    Ok(http::Response::from_parts(head, body))
}

/// Secrets a session holds: the configured password, application credential secret or
/// token, and every token seen on the wire. With [`crate::Host::checking_secrets`], each
/// call's error, trap and captured stderr are searched for them.
#[derive(Clone, Default)]
pub(crate) struct Secrets(Arc<Mutex<Vec<(&'static str, String)>>>);

impl Secrets {
    pub(crate) fn add(&self, kind: &'static str, value: &str) {
        // Very short values would match by chance; real secrets are long.
        if value.len() < 8 {
            return;
        }
        let mut all = self.0.lock().unwrap_or_else(|e| e.into_inner());
        if !all.iter().any(|(_, v)| v == value) {
            all.push((kind, value.to_string()));
        }
    }

    /// The kind of the first secret `text` contains.
    pub(crate) fn found_in(&self, text: &str) -> Option<&'static str> {
        let all = self.0.lock().unwrap_or_else(|e| e.into_inner());
        all.iter().find(|(_, v)| text.contains(v.as_str())).map(|(k, _)| *k)
    }
}

/// The `send_request` hook: refuses origins outside the allow-list, caps the request's
/// time, notes the tokens that cross it, and hands the rest to the pooled transport.
#[derive(Clone)]
pub(crate) struct Guard {
    pub(crate) transport: crate::transport::Transport,
    pub(crate) allowed: Arc<crate::allow::AllowList>,
    pub(crate) request_time: Duration,
    pub(crate) secrets: Option<Secrets>,
    /// Sees every request and its answer (`--debug`); none by default.
    pub(crate) debug: Option<Arc<dyn Tap>>,
}

/// The future [`WasiHttpHooks::send_request`] returns.
pub type SendFuture = Box<dyn std::future::Future<Output = Result<Sent, wasmtime_wasi_http::Error>> + Send>;

/// The guard's own handling of a request, for a [`Tap`] to hand the request on to.
pub type Next = Box<dyn FnOnce(http::Request<WasiBody>) -> SendFuture + Send>;

/// An observer of a session's traffic (the command line's `--debug`): it gets each request
/// the component sends, hands it on through `next`, and so sees the answer or failure too.
pub trait Tap: Send + Sync {
    /// Sees `request`, hands it on through `next`, and may watch the answer it gets.
    fn send(self: Arc<Self>, request: http::Request<WasiBody>, next: Next) -> SendFuture;
}

/// What [`WasiHttpHooks::send_request`] resolves to: the response and a future that
/// drives its connection.
pub type Sent = (
    http::Response<WasiBody>,
    Box<dyn std::future::Future<Output = Result<(), wasmtime_wasi_http::Error>> + Send>,
);

impl WasiHttpHooks for Guard {
    fn send_request(
        &mut self,
        request: http::Request<WasiBody>,
        options: Option<RequestOptions>,
        fut: Box<dyn std::future::Future<Output = Result<(), wasmtime_wasi_http::Error>> + Send>,
    ) -> Box<dyn std::future::Future<Output = Result<Sent, wasmtime_wasi_http::Error>> + Send> {
        if let Some(tap) = self.debug.clone() {
            let mut plain = self.clone();
            plain.debug = None;
            return tap.send(request, Box::new(move |r| plain.send_request(r, options, fut)));
        }
        drop(fut);
        let permitted = self.allowed.permits(request.uri());
        let learn = self
            .allowed
            .reads_catalog(request.method(), request.uri())
            .then(|| self.allowed.clone());
        let limit = self.request_time;
        let secrets = self.secrets.clone();
        let transport = self.transport.clone();
        if let (Some(s), Some(t)) = (&secrets, request.headers().get("x-auth-token")) {
            s.add("token", &String::from_utf8_lossy(t.as_bytes()));
        }
        Box::new(async move {
            if !permitted {
                return Err(wasmtime_wasi_http::Error::HttpRequestDenied);
            }
            let mut response = transport.send(request, options, limit).await?;
            if let (Some(s), Some(t)) = (&secrets, response.headers().get("x-subject-token")) {
                s.add("token", &String::from_utf8_lossy(t.as_bytes()));
            }
            if let Some(allowed) = learn {
                response = read_catalog(response, &allowed, limit).await?;
            }
            // The pooled client drives its connections itself: nothing more to await.
            let done = async { Ok::<(), wasmtime_wasi_http::Error>(()) };
            Ok((
                response,
                Box::new(done) as Box<dyn std::future::Future<Output = _> + Send>,
            ))
        })
    }
}
