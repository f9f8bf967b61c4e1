//! The HTTP server: its own thread, its own tokio runtime.

use crate::body::MockBody;
use crate::state::{Resp, RespBody, State};
use crate::{FaultKind, RecordedRequest};
use bytes::Bytes;
use http_body_util::BodyExt;
use hyper::service::service_fn;
use hyper_util::rt::TokioIo;
use serde_json::json;
use std::sync::{Arc, Mutex};

pub type Shared = Arc<Mutex<State>>;

/// A parsed incoming request.
#[derive(Clone)]
pub struct Req {
    pub method: String,
    pub path: String,
    pub query: Option<String>,
    pub headers: Vec<(String, String)>,
    pub body: Vec<u8>,
}

impl Req {
    pub fn header(&self, name: &str) -> Option<&str> {
        self.headers
            .iter()
            .find(|(k, _)| k.eq_ignore_ascii_case(name))
            .map(|(_, v)| v.as_str())
    }
}

/// Which service(s) a listener serves.
#[derive(Clone, Copy, Debug, PartialEq, Eq)]
pub enum Role {
    /// Keystone, Cinder and Nova on one port.
    All,
    /// Keystone (`/identity`) only.
    Identity,
    /// Cinder (`/volume`) only.
    Volume,
    /// Nova (`/compute`) only.
    Compute,
}

impl Role {
    /// Whether a listener of this role answers `path` (others get a plain 404).
    fn serves(self, path: &str) -> bool {
        let under = |prefix: &str| path == prefix || path.starts_with(&format!("{prefix}/"));
        match self {
            Role::All => true,
            Role::Identity => under("/identity"),
            Role::Volume => under("/volume"),
            Role::Compute => under("/compute"),
        }
    }
}

/// Serves every listener on one runtime until `shutdown`.
pub fn run(
    listeners: Vec<(std::net::TcpListener, Role)>,
    shared: Shared,
    shutdown: tokio::sync::oneshot::Receiver<()>,
    ready: std::sync::mpsc::Sender<()>,
) {
    let rt = match tokio::runtime::Builder::new_current_thread().enable_all().build() {
        Ok(rt) => rt,
        Err(_) => {
            let _ = ready.send(());
            return;
        }
    };
    rt.block_on(async move {
        for (listener, role) in listeners {
            let Ok(listener) = tokio::net::TcpListener::from_std(listener) else {
                continue;
            };
            tokio::spawn(accept(listener, role, shared.clone()));
        }
        let _ = ready.send(());
        let _ = shutdown.await;
    });
    // Dropping the runtime cancels every connection task.
}

/// Accepts connections on one listener and serves each on a task of its own.
async fn accept(listener: tokio::net::TcpListener, role: Role, shared: Shared) {
    loop {
        let Ok((stream, _)) = listener.accept().await else {
            continue;
        };
        let _ = stream.set_nodelay(true);
        lock(&shared).connections += 1;
        let sh = shared.clone();
        tokio::spawn(async move {
            let svc = service_fn(move |req| handle(sh.clone(), role, req));
            let _ = hyper::server::conn::http1::Builder::new()
                .keep_alive(true)
                .serve_connection(TokioIo::new(stream), svc)
                .await;
        });
    }
}

pub fn lock(sh: &Shared) -> std::sync::MutexGuard<'_, State> {
    sh.lock().unwrap_or_else(|e| e.into_inner())
}

#[derive(Debug)]
struct Dropped;
impl std::fmt::Display for Dropped {
    fn fmt(&self, f: &mut std::fmt::Formatter<'_>) -> std::fmt::Result {
        f.write_str("connection dropped on purpose")
    }
}
impl std::error::Error for Dropped {}

async fn handle(
    sh: Shared,
    role: Role,
    req: hyper::Request<hyper::body::Incoming>,
) -> Result<hyper::Response<MockBody>, Dropped> {
    let r = parse(req).await?;
    if !role.serves(&r.path) {
        return to_hyper(plain_not_found());
    }
    // Record, then look for a fault.
    let fault = {
        let mut st = lock(&sh);
        let from_nova = record(&mut st, &r);
        pick_fault(&mut st, &r, from_nova)
    };
    to_hyper(respond(&sh, &r, fault).await)
}

/// Reads the whole request; a body that fails to arrive drops the connection.
async fn parse(req: hyper::Request<hyper::body::Incoming>) -> Result<Req, Dropped> {
    let method = req.method().as_str().to_string();
    let path = req.uri().path().to_string();
    let query = req.uri().query().map(|q| q.to_string());
    let headers: Vec<(String, String)> = req
        .headers()
        .iter()
        .map(|(k, v)| {
            (
                k.as_str().to_string(),
                String::from_utf8_lossy(v.as_bytes()).into_owned(),
            )
        })
        .collect();
    let body = match req.into_body().collect().await {
        Ok(b) => b.to_bytes().to_vec(),
        Err(_) => return Err(Dropped),
    };
    Ok(Req {
        method,
        path,
        query,
        headers,
        body,
    })
}

/// Logs the request: Nova's calls to Cinder apart from the client's. Returns whether it is Nova's.
fn record(st: &mut State, r: &Req) -> bool {
    let recorded = RecordedRequest {
        method: r.method.clone(),
        path: r.path.clone(),
        query: r.query.clone(),
        headers: r.headers.clone(),
        body: r.body.clone(),
        at: std::time::Instant::now(),
    };
    let from_nova = crate::cinderclient::from_nova(r);
    if from_nova {
        st.nova_requests.push(recorded);
    } else {
        st.requests.push(recorded);
    }
    from_nova
}

/// The first armed fault that matches (using up one of its times), else for the client's
/// requests (not Nova's) maybe a chaos one.
fn pick_fault(st: &mut State, r: &Req, from_nova: bool) -> Option<crate::Fault> {
    let idx = st.faults.iter().position(|f| {
        f.times > 0
            && f.method.as_deref().is_none_or(|m| m.eq_ignore_ascii_case(&r.method))
            && r.path.contains(&f.path_contains)
    });
    match idx {
        Some(i) => {
            let f = st.faults[i].clone();
            st.faults[i].times -= 1;
            if st.faults[i].times == 0 {
                st.faults.remove(i);
            }
            Some(f)
        }
        None if !from_nova => random_fault(st),
        None => None,
    }
}

/// The answer: routed as usual, delayed (before or `after` routing), or the fault's
/// (with the request still routed first when `after`).
async fn respond(sh: &Shared, r: &Req, fault: Option<crate::Fault>) -> Resp {
    let Some(f) = fault else {
        return route(sh, r).await;
    };
    if let FaultKind::Delay(d) = f.kind {
        if f.after {
            let resp = route(sh, r).await;
            tokio::time::sleep(d).await;
            resp
        } else {
            tokio::time::sleep(d).await;
            route(sh, r).await
        }
    } else {
        if f.after {
            let _ = route(sh, r).await;
        }
        fault_response(sh, &f.kind, r).await
    }
}

/// A fault drawn by the chaos setting, if this request is unlucky.
fn random_fault(st: &mut State) -> Option<crate::Fault> {
    let (rate, kinds) = st.chaos.as_ref()?;
    if kinds.is_empty() || fastrand::f64() >= *rate {
        return None;
    }
    let kind = kinds[fastrand::usize(..kinds.len())].clone();
    st.chaos_injected += 1;
    Some(crate::Fault::new(None, "", kind))
}

/// Nova calls Cinder over HTTP, so it runs without the lock; Keystone and
/// Cinder answer under it.
async fn route(sh: &Shared, r: &Req) -> Resp {
    if r.path == "/compute" || r.path.starts_with("/compute/") {
        return crate::nova::handle(sh, r).await;
    }
    let mut st = lock(sh);
    st.tick();
    let resp = if r.path == "/identity" || r.path.starts_with("/identity/") {
        crate::keystone::handle(&mut st, r)
    } else if r.path == "/volume" || r.path.starts_with("/volume/") {
        crate::cinder::handle(&mut st, r)
    } else {
        plain_not_found()
    };
    st.tick_if_instant();
    resp
}

/// webob's 404 for unroutable paths (as real Cinder answers).
pub fn plain_not_found() -> Resp {
    Resp::json(
        404,
        &json!({"message": "The resource could not be found.<br /><br />\n\n\n", "code": "404 Not Found", "title": "Not Found"}),
    )
}

pub fn keystonemiddleware_401(st: &State) -> Resp {
    Resp::json(
        401,
        &json!({"error": {"code": 401, "title": "Unauthorized", "message": "The request you have made requires authentication."}}),
    )
    .header(
        "WWW-Authenticate",
        // keystonemiddleware's `www_authenticate_uri`: Keystone's unversioned base.
        format!("Keystone uri=\"{}/identity\"", st.base),
    )
}

fn default_explanation(status: u16) -> (&'static str, &'static str) {
    match status {
        400 => (
            "badRequest",
            "The server could not comply with the request since it is either malformed or otherwise incorrect.",
        ),
        401 => (
            "unauthorized",
            "This server could not verify that you are authorized to access the document you requested.",
        ),
        403 => ("forbidden", "Access was denied to this resource."),
        404 => ("itemNotFound", "The resource could not be found."),
        405 => ("badMethod", "The method specified is not allowed for this resource."),
        409 => (
            "conflictingRequest",
            "There was a conflict when trying to complete your request.",
        ),
        413 => (
            "overLimit",
            "The request is larger than the server is willing or able to process.",
        ),
        415 => (
            "badMediaType",
            "The request media type is not supported by this server.",
        ),
        429 => ("overLimit", "This request was rate-limited."),
        501 => (
            "notImplemented",
            "The server has not implemented the requested operation.",
        ),
        502 => ("computeFault", "Bad gateway."),
        503 => (
            "serviceUnavailable",
            "The server is currently unavailable. Please try again at a later time.",
        ),
        504 => ("computeFault", "The gateway has timed out."),
        _ => (
            "computeFault",
            "The server has either erred or is incapable of performing the requested operation.",
        ),
    }
}

/// What a fault answers in place of the service, with request IDs (but for a dropped connection).
async fn fault_response(sh: &Shared, kind: &FaultKind, r: &Req) -> Resp {
    let rid = crate::util::req_id();
    let with_ids = |resp: Resp| {
        resp.header("x-openstack-request-id", rid.clone())
            .header("x-compute-request-id", rid.clone())
    };
    match kind {
        FaultKind::Status {
            status,
            body,
            retry_after,
        } => with_ids(status_fault(*status, body.as_deref(), *retry_after)),
        FaultKind::Delay(_) => route(sh, r).await,
        FaultKind::MalformedJson => with_ids(raw_json(
            200,
            RespBody::Bytes(b"{\"volume\": {\"id\": \"abc\", <html>not json".to_vec()),
        )),
        FaultKind::WrongShape => with_ids(Resp::json(200, &json!({"unexpected": []}))),
        FaultKind::EmptyBody => with_ids(Resp::empty(200, "application/json")),
        FaultKind::Truncated => {
            let full = serde_json::to_vec(
                &json!({"volumes": [{"id": crate::util::uuid4(), "name": "truncated", "links": []}]}),
            )
            .unwrap_or_default();
            with_ids(raw_json(200, RespBody::Truncated(full)))
        }
        FaultKind::DropConnection => Resp {
            status: 200,
            headers: Vec::new(),
            body: RespBody::Drop,
        },
        FaultKind::Enormous(n) => with_ids(raw_json(200, RespBody::Enormous(*n))),
        FaultKind::Unauthorized => {
            let st = lock(sh);
            with_ids(keystonemiddleware_401(&st))
        }
        FaultKind::Redirect { status, location } => with_ids(
            Resp::json(*status, &json!({"message": "moved", "location": location}))
                .header("Location", location.clone()),
        ),
    }
}

/// An error status (out of range: 500) with the given body, or else Cinder's body for it;
/// `retry_after` goes in a `Retry-After` header (and, for 413 and 429, the body).
fn status_fault(status: u16, body: Option<&str>, retry_after: Option<u32>) -> Resp {
    let status = if (100..=999).contains(&status) { status } else { 500 };
    let resp = match body {
        Some(b) => raw_json(status, RespBody::Bytes(b.as_bytes().to_vec())),
        None => {
            let (name, msg) = default_explanation(status);
            let mut inner = json!({"code": status, "message": msg});
            if let Some(ra) = retry_after {
                if status == 413 || status == 429 {
                    inner["retryAfter"] = json!(ra.to_string());
                }
            }
            Resp::json(status, &json!({ name: inner }))
        }
    };
    match retry_after {
        Some(ra) => resp.header("Retry-After", ra.to_string()),
        None => resp,
    }
}

/// A response of type JSON with `body` as is (for faults: not always JSON, or whole).
fn raw_json(status: u16, body: RespBody) -> Resp {
    Resp {
        status,
        headers: vec![("Content-Type".into(), "application/json".into())],
        body,
    }
}

fn to_hyper(resp: Resp) -> Result<hyper::Response<MockBody>, Dropped> {
    let mut b = hyper::Response::builder().status(resp.status);
    for (k, v) in &resp.headers {
        b = b.header(k.as_str(), v.as_str());
    }
    let body = match resp.body {
        RespBody::Drop => return Err(Dropped),
        RespBody::Bytes(v) => {
            if v.is_empty() {
                b = b.header("Content-Length", "0");
                MockBody::empty()
            } else {
                MockBody::full(Bytes::from(v))
            }
        }
        RespBody::Enormous(n) => {
            b = b.header("Content-Length", n.to_string());
            MockBody::Enormous { total: n, sent: 0 }
        }
        RespBody::Truncated(v) => {
            b = b.header("Content-Length", v.len().to_string());
            let half = v.len() / 2;
            MockBody::Truncated(Some(Bytes::from(v[..half].to_vec())), None)
        }
    };
    b.body(body).map_err(|_| Dropped)
}
