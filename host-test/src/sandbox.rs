//! What keeps a component in its lane: a memory cap per store, a CPU budget per call
//! (epoch interruption checked against the calling thread's CPU clock, so time spent
//! blocked on the network does not count), a time cap per outgoing request, and an
//! allow-list of the origins a session may reach.

use std::sync::{Arc, Mutex};
use std::time::Duration;

use wasmtime::Engine;
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

/// How often the engine's epoch advances, i.e. how often a running call's CPU use is checked.
pub const TICK: Duration = Duration::from_millis(10);

/// Advances `engine`'s epoch every [`TICK`] for as long as the engine lives.
pub fn start_ticker(engine: &Engine) {
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
pub fn thread_cpu() -> Duration {
    let mut ts = libc::timespec { tv_sec: 0, tv_nsec: 0 };
    // SAFETY: `ts` is a valid, writable timespec; the clock id is a constant.
    let rc = unsafe { libc::clock_gettime(libc::CLOCK_THREAD_CPUTIME_ID, &mut ts) };
    if rc != 0 {
        return Duration::ZERO;
    }
    Duration::new(ts.tv_sec as u64, ts.tv_nsec as u32)
}

/// `scheme://host:port`, lower case, with the scheme's default port made explicit.
pub fn origin(url: &str) -> Option<String> {
    let uri: http::Uri = url.parse().ok()?;
    origin_of(&uri)
}

fn origin_of(uri: &http::Uri) -> Option<String> {
    let scheme = uri.scheme_str()?.to_ascii_lowercase();
    let host = uri.host()?.to_ascii_lowercase();
    let port = uri.port_u16().unwrap_or(if scheme == "https" { 443 } else { 80 });
    Some(format!("{scheme}://{host}:{port}"))
}

/// Secrets a session holds: the configured password, application credential secret or
/// token, and every token seen on the wire. With [`crate::Host::checking_secrets`], each
/// call's error, trap and captured stderr are searched for them.
#[derive(Clone, Default)]
pub struct Secrets(Arc<Mutex<Vec<(&'static str, String)>>>);

impl Secrets {
    pub fn add(&self, kind: &'static str, value: &str) {
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
    pub fn found_in(&self, text: &str) -> Option<&'static str> {
        let all = self.0.lock().unwrap_or_else(|e| e.into_inner());
        all.iter().find(|(_, v)| text.contains(v.as_str())).map(|(k, _)| *k)
    }
}

/// The `send_request` hook: refuses origins outside the allow-list, caps the request's
/// time, notes the tokens that cross it, and hands the rest to wasmtime's sender.
pub struct Guard {
    pub allowed: Arc<Vec<String>>,
    pub request_time: Duration,
    pub secrets: Option<Secrets>,
}

type Sent = (
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
        drop(fut);
        let permitted = origin_of(request.uri()).is_some_and(|o| self.allowed.contains(&o));
        let limit = self.request_time;
        let secrets = self.secrets.clone();
        if let (Some(s), Some(t)) = (&secrets, request.headers().get("x-auth-token")) {
            s.add("token", &String::from_utf8_lossy(t.as_bytes()));
        }
        Box::new(async move {
            if !permitted {
                return Err(wasmtime_wasi_http::Error::HttpRequestDenied);
            }
            let send = wasmtime_wasi_http::default_send_request(request, options);
            let (response, io) = tokio::time::timeout(limit, send)
                .await
                .map_err(|_| wasmtime_wasi_http::Error::ConnectionTimeout)??;
            if let (Some(s), Some(t)) = (&secrets, response.headers().get("x-subject-token")) {
                s.add("token", &String::from_utf8_lossy(t.as_bytes()));
            }
            let response = response.map(http_body_util::BodyExt::boxed_unsync);
            Ok((
                response,
                Box::new(io) as Box<dyn std::future::Future<Output = _> + Send>,
            ))
        })
    }
}
