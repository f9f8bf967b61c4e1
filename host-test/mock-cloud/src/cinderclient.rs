//! Nova's Cinder client: one HTTP/1.1 request per connection (hyper's client
//! connection over a tokio TcpStream), JSON bodies always with a Content-Length
//! (Cinder's eventlet server ignores chunked bodies), microversion 3.44.

use crate::server::Req;
use bytes::Bytes;
use http_body_util::{BodyExt, Full};
use hyper_util::rt::TokioIo;
use serde_json::Value;
use std::time::Duration;

/// Nova's User-Agent: the mock records requests carrying it apart from the clients'.
const USER_AGENT: &str = "mock-cloud-nova python-cinderclient";
const TIMEOUT: Duration = Duration::from_secs(30);

/// Whether a request came from the mock's Nova.
pub fn from_nova(r: &Req) -> bool {
    r.header("User-Agent") == Some(USER_AGENT)
}

/// A Cinder answer.
pub struct Reply {
    pub status: u16,
    pub body: Value,
    pub request_id: String,
}

impl Reply {
    /// The message of a fault body (`{"badRequest": {"message": ...}}`), as cinderclient reads it.
    pub fn message(&self) -> String {
        let fault = self.body.as_object().and_then(|o| o.values().next());
        match fault.and_then(|f| f.get("message")).and_then(|m| m.as_str()) {
            Some(m) => m.to_string(),
            None => format!("Unknown Error (HTTP {})", self.status),
        }
    }
}

/// Cinder at `base` (`http://host:port/prefix`, project included), as the caller `token`.
#[derive(Clone)]
pub struct Cinder {
    authority: String,
    prefix: String,
    token: String,
}

impl Cinder {
    pub fn new(base: &str, token: &str) -> Cinder {
        let rest = base.strip_prefix("http://").unwrap_or(base);
        let (authority, prefix) = rest.split_once('/').unwrap_or((rest, ""));
        Cinder {
            authority: authority.to_string(),
            prefix: format!("/{}", prefix.trim_end_matches('/')),
            token: token.to_string(),
        }
    }

    /// Cinder's answer when its status is `want`; else the answer (None: none
    /// came). `path` is under the project (`/volumes/{id}`). `service`: send the
    /// service role, as Nova's service token does (Cinder then lets it delete an
    /// attachment still connected to a server).
    pub async fn call(
        &self,
        want: u16,
        method: &str,
        path: &str,
        body: Option<&Value>,
        service: bool,
    ) -> Result<Reply, Option<Reply>> {
        let reply = tokio::time::timeout(TIMEOUT, self.send(method, path, body, service))
            .await
            .ok()
            .flatten();
        match reply {
            Some(r) if r.status == want => Ok(r),
            other => Err(other),
        }
    }

    async fn send(&self, method: &str, path: &str, body: Option<&Value>, service: bool) -> Option<Reply> {
        let stream = tokio::net::TcpStream::connect(&self.authority).await.ok()?;
        let (mut sender, conn) = hyper::client::conn::http1::handshake(TokioIo::new(stream)).await.ok()?;
        tokio::spawn(conn);
        let mut req = hyper::Request::builder()
            .method(method)
            .uri(format!("{}{path}", self.prefix))
            .header("Host", self.authority.as_str())
            .header("User-Agent", USER_AGENT)
            .header("Accept", "application/json")
            .header("X-Auth-Token", self.token.as_str())
            .header("OpenStack-API-Version", "volume 3.44");
        if service {
            req = req.header("X-Service-Roles", "service");
        }
        let bytes = match body {
            Some(b) => {
                let v = serde_json::to_vec(b).ok()?;
                req = req
                    .header("Content-Type", "application/json")
                    .header("Content-Length", v.len().to_string());
                v
            }
            None => Vec::new(),
        };
        let req = req.body(Full::new(Bytes::from(bytes))).ok()?;
        let resp = sender.send_request(req).await.ok()?;
        let status = resp.status().as_u16();
        let request_id = ["x-openstack-request-id", "x-compute-request-id"]
            .iter()
            .find_map(|h| resp.headers().get(*h))
            .and_then(|v| v.to_str().ok())
            .unwrap_or_default()
            .to_string();
        let raw = resp.into_body().collect().await.ok()?.to_bytes();
        let body = serde_json::from_slice(&raw).unwrap_or(Value::Null);
        Some(Reply {
            status,
            body,
            request_id,
        })
    }
}
