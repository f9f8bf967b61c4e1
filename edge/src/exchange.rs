//! The wasi:http side: an incoming request read into a [`Call`], a [`Reply`] written back.

use alloc::string::String;
use alloc::vec::Vec;

use wasip2::http::types::{Fields, IncomingRequest, Method, OutgoingBody, OutgoingResponse, ResponseOutparam};
use wasip2::io::streams::StreamError;

/// Largest request body read: the facade's bodies are a few hundred bytes.
const MAX_BODY: usize = 64 * 1024;
/// What one `blocking-write-and-flush` may take (wasi:io's documented limit).
const WRITE_CHUNK: usize = 4096;

/// A request as the routes see it.
pub struct Call {
    pub method: Method,
    /// The path, without the query.
    pub path: String,
    /// `X-Auth-Token`: the caller's Keystone token, passed through, never echoed.
    pub token: Option<String>,
    /// `Idempotency-Key`, for creates.
    pub idempotency_key: Option<String>,
    /// The body, `None` if it was larger than [`MAX_BODY`] or could not be read.
    pub body: Option<Vec<u8>>,
}

/// An answer: a status and a JSON body (none for 204).
pub struct Reply {
    pub status: u16,
    pub body: Vec<u8>,
}

impl Call {
    pub fn read(request: IncomingRequest) -> Call {
        let path_query = request.path_with_query().unwrap_or_default();
        let path = path_query.split('?').next().unwrap_or_default().into();
        let headers = request.headers();
        let header = |name: &str| {
            let values = headers.get(name);
            values.first().and_then(|v| String::from_utf8(v.clone()).ok())
        };
        let (token, idempotency_key) = (header("x-auth-token"), header("idempotency-key"));
        drop(headers);
        Call {
            method: request.method(),
            path,
            token,
            idempotency_key,
            body: read_body(&request),
        }
    }
}

fn read_body(request: &IncomingRequest) -> Option<Vec<u8>> {
    let body = request.consume().ok()?;
    let stream = body.stream().ok()?;
    let mut out = Vec::new();
    loop {
        match stream.blocking_read(WRITE_CHUNK as u64) {
            Ok(chunk) => out.extend_from_slice(&chunk),
            Err(StreamError::Closed) => break,
            Err(StreamError::LastOperationFailed(_)) => return None,
        }
        if out.len() > MAX_BODY {
            return None;
        }
    }
    Some(out)
}

impl Reply {
    /// Sends the reply; a failure to write means the client went away: nothing to do.
    pub fn send(self, out: ResponseOutparam) {
        let headers = Fields::new();
        if !self.body.is_empty() {
            let _ = headers.set("content-type", &[b"application/json".to_vec()]);
        }
        // A known length: no chunked encoding, and an empty 202 says it has no body.
        if self.status != 204 {
            let length = alloc::format!("{}", self.body.len());
            let _ = headers.set("content-length", &[length.into_bytes()]);
        }
        let response = OutgoingResponse::new(headers);
        let _ = response.set_status_code(self.status);
        let Ok(body) = response.body() else { return };
        ResponseOutparam::set(out, Ok(response));
        if let Ok(stream) = body.write() {
            for chunk in self.body.chunks(WRITE_CHUNK) {
                if stream.blocking_write_and_flush(chunk).is_err() {
                    return;
                }
            }
        }
        let _ = OutgoingBody::finish(body, None);
    }
}
