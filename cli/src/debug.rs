//! `--debug`: every HTTP request the component makes and every answer, on stderr, as the
//! host's `send_request` hook sees them ([`Tap`]). Tokens
//! (`X-Auth-Token`, `X-Subject-Token`) print as `***`, and so do password, secret, token
//! and `auth_key` (a volume transfer's) fields of JSON bodies, whatever their length.
//! Without `--debug` the same hook prints nothing but still teaches the [`Masker`] the
//! tokens that cross, so that an error message echoing one never shows it.

use std::pin::Pin;
use std::sync::Arc;
use std::task::{Context, Poll};
use std::time::Instant;

use http_body::{Body, Frame, SizeHint};
use http_body_util::{BodyExt, Full};
use serde_json::Value;
use wasmtime_wasi_http::{Error as HttpError, WasiBody};

use infomaniak_block_storage_host::{Next, SendFuture, Tap};

use crate::stderr::Masker;

/// Bodies longer than this are cut in the output.
const MAX_BODY: usize = 8 * 1024;

/// Headers whose values are secrets.
const SECRET_HEADERS: &[&str] = &["x-auth-token", "x-subject-token", "authorization", "x-service-token"];

/// The `--debug` printer (or, quiet, the token learner).
pub struct DebugLog {
    out: Arc<Masker>,
    /// Whether the traffic prints (`--debug`).
    shown: bool,
}

impl DebugLog {
    /// Prints through `out` if `shown`; teaches `out` every token it sees either way.
    pub fn new(out: Arc<Masker>, shown: bool) -> Arc<DebugLog> {
        Arc::new(DebugLog { out, shown })
    }

    /// Teaches the masker the values of the secret headers among `headers`.
    fn note_headers(&self, headers: &http::HeaderMap) {
        for name in SECRET_HEADERS {
            for value in headers.get_all(*name) {
                let value = String::from_utf8_lossy(value.as_bytes());
                // `Authorization: Bearer <token>`: the token alone may show elsewhere.
                for secret in [&*value, value.rsplit(' ').next().unwrap_or_default()] {
                    self.out.note_secret(secret);
                }
            }
        }
    }

    fn headers(&self, headers: &http::HeaderMap) -> String {
        self.note_headers(headers);
        let mut out = String::new();
        for (name, value) in headers {
            let shown = if SECRET_HEADERS.contains(&name.as_str()) {
                "***".to_string()
            } else {
                String::from_utf8_lossy(value.as_bytes()).into_owned()
            };
            out.push_str(&format!("\n  {}: {shown}", title_case(name.as_str())));
        }
        out
    }

    fn body(&self, what: &str, bytes: &[u8]) {
        if bytes.is_empty() {
            return;
        }
        for key in auth_keys(bytes) {
            self.out.note_secret(&key);
        }
        // Masked whole, then cut: a secret across the cut would show its first part.
        let shown = self.out.mask(&mask_body(bytes));
        let cut = if shown.len() > MAX_BODY {
            let mut end = MAX_BODY;
            while !shown.is_char_boundary(end) {
                end -= 1;
            }
            format!("{} … ({} bytes in all)", &shown[..end], bytes.len())
        } else {
            shown
        };
        self.out.print(&format!("{what}: {cut}"));
    }

    /// Without `--debug`: notes the tokens of the request and its answer, prints nothing.
    fn learn(self: Arc<Self>, request: http::Request<WasiBody>, next: Next) -> SendFuture {
        self.note_headers(request.headers());
        Box::new(async move {
            let answer = Pin::from(next(request)).await;
            if let Ok((response, _)) = &answer {
                self.note_headers(response.headers());
            }
            answer
        })
    }
}

impl Tap for DebugLog {
    fn send(self: Arc<Self>, request: http::Request<WasiBody>, next: Next) -> SendFuture {
        if !self.shown {
            return self.learn(request, next);
        }
        Box::new(async move {
            let (parts, body) = request.into_parts();
            let bytes = body.collect().await?.to_bytes();
            let (method, uri) = (parts.method.clone(), parts.uri.clone());
            let headers = self.headers(&parts.headers);
            self.out.print(&format!("REQ: {method} {uri}{headers}"));
            self.body("REQ BODY", &bytes);
            let body = Full::new(bytes).map_err(|never| match never {}).boxed_unsync();
            let started = Instant::now();
            let answer = Pin::from(next(http::Request::from_parts(parts, body))).await;
            let ms = started.elapsed().as_millis();
            match answer {
                Ok((response, io)) => {
                    let (parts, body) = response.into_parts();
                    let reason = parts.status.canonical_reason().unwrap_or("");
                    let headers = self.headers(&parts.headers);
                    self.out.print(&format!(
                        "RESP: [{} {reason}] {method} {uri} {ms} ms{headers}",
                        parts.status.as_u16()
                    ));
                    let body = Recorded {
                        inner: body,
                        seen: Vec::new(),
                        log: Some(self),
                    };
                    Ok((http::Response::from_parts(parts, body.boxed_unsync()), io))
                }
                Err(e) => {
                    self.out.print(&format!("RESP: failed {method} {uri} {ms} ms: {e}"));
                    Err(e)
                }
            }
        })
    }
}

/// A response body that prints itself once read to its end (or dropped).
struct Recorded {
    inner: WasiBody,
    seen: Vec<u8>,
    log: Option<Arc<DebugLog>>,
}

impl Recorded {
    fn done(&mut self) {
        if let Some(log) = self.log.take() {
            log.body("RESP BODY", &self.seen);
        }
    }
}

impl Body for Recorded {
    type Data = <WasiBody as Body>::Data;
    type Error = HttpError;

    fn poll_frame(
        mut self: Pin<&mut Self>,
        cx: &mut Context<'_>,
    ) -> Poll<Option<Result<Frame<Self::Data>, HttpError>>> {
        let this = &mut *self;
        let polled = Pin::new(&mut this.inner).poll_frame(cx);
        match &polled {
            Poll::Ready(Some(Ok(frame))) => {
                if let Some(data) = frame.data_ref() {
                    this.seen.extend_from_slice(data);
                }
                if this.inner.is_end_stream() {
                    this.done();
                }
            }
            Poll::Ready(None) => this.done(),
            Poll::Ready(Some(Err(e))) => {
                if let Some(log) = this.log.take() {
                    log.out
                        .print(&format!("RESP BODY: failed after {} bytes: {e}", this.seen.len()));
                }
            }
            Poll::Pending => {}
        }
        polled
    }

    fn is_end_stream(&self) -> bool {
        self.inner.is_end_stream()
    }

    fn size_hint(&self) -> SizeHint {
        self.inner.size_hint()
    }
}

impl Drop for Recorded {
    fn drop(&mut self) {
        self.done();
    }
}

/// `x-auth-token` → `X-Auth-Token`.
fn title_case(name: &str) -> String {
    name.split('-')
        .map(|w| {
            let mut c = w.chars();
            c.next()
                .map(|f| f.to_ascii_uppercase().to_string() + c.as_str())
                .unwrap_or_default()
        })
        .collect::<Vec<_>>()
        .join("-")
}

/// The body as text, with the values of secret-looking JSON keys replaced by `***`.
pub fn mask_body(bytes: &[u8]) -> String {
    match serde_json::from_slice::<Value>(bytes) {
        Ok(mut v) => {
            mask(&mut v);
            v.to_string()
        }
        Err(_) => String::from_utf8_lossy(bytes).into_owned(),
    }
}

/// Whether the value of JSON key `k` is a secret.
fn is_secret_key(k: &str) -> bool {
    let k = k.to_ascii_lowercase();
    k.contains("password") || k.contains("secret") || k == "token" || k.ends_with("_token") || k == "auth_key"
}

/// The volume transfer auth keys in a JSON body (a transfer's create answer, an accept
/// request), to mask wherever else they would show.
fn auth_keys(bytes: &[u8]) -> Vec<String> {
    fn walk(v: &Value, out: &mut Vec<String>) {
        match v {
            Value::Object(map) => {
                for (k, v) in map {
                    match v {
                        Value::String(s) if k.eq_ignore_ascii_case("auth_key") => out.push(s.clone()),
                        _ => walk(v, out),
                    }
                }
            }
            Value::Array(items) => items.iter().for_each(|v| walk(v, out)),
            _ => {}
        }
    }
    let mut out = Vec::new();
    if let Ok(v) = serde_json::from_slice::<Value>(bytes) {
        walk(&v, &mut out);
    }
    out
}

fn mask(v: &mut Value) {
    match v {
        Value::Object(map) => {
            for (k, v) in map.iter_mut() {
                let secret = is_secret_key(k);
                if secret && !v.is_object() && !v.is_array() && !v.is_null() {
                    *v = Value::String("***".into());
                } else {
                    mask(v);
                }
            }
        }
        Value::Array(items) => items.iter_mut().for_each(mask),
        _ => {}
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn secrets_in_bodies_are_masked() {
        let body =
            br#"{"auth":{"identity":{"methods":["password"],"password":{"user":{"name":"u","password":"hunter2"}}}}}"#;
        let shown = mask_body(body);
        assert!(!shown.contains("hunter2"), "{shown}");
        assert!(shown.contains(r#""password":"***""#), "{shown}");
        let app = br#"{"application_credential":{"id":"abc","secret":"s3cr3t"}}"#;
        assert_eq!(
            mask_body(app),
            r#"{"application_credential":{"id":"abc","secret":"***"}}"#
        );
        let created = br#"{"transfer":{"id":"t1","auth_key":"a1b2c3d4e5f60718","name":"n"}}"#;
        assert_eq!(
            mask_body(created),
            r#"{"transfer":{"auth_key":"***","id":"t1","name":"n"}}"#
        );
        let accept = br#"{"accept":{"auth_key":"a1b2c3d4e5f60718"}}"#;
        assert_eq!(mask_body(accept), r#"{"accept":{"auth_key":"***"}}"#);
    }

    fn shown() -> (Arc<DebugLog>, Arc<Masker>, Arc<std::sync::Mutex<Vec<String>>>) {
        let (masker, lines) = crate::stderr::tests::buffered();
        (DebugLog::new(masker.clone(), true), masker, lines)
    }

    #[test]
    fn auth_keys_seen_in_a_body_never_print_again() {
        let (log, out, lines) = shown();
        log.body(
            "RESP BODY",
            br#"{"transfer":{"id":"t1","auth_key":"a1b2c3d4e5f60718"}}"#,
        );
        out.print("later: a1b2c3d4e5f60718");
        let lines = lines.lock().unwrap();
        assert_eq!(lines[0], r#"RESP BODY: {"transfer":{"auth_key":"***","id":"t1"}}"#);
        assert_eq!(lines[1], "later: ***");
    }

    #[test]
    fn known_secrets_never_print() {
        let (log, out, lines) = shown();
        out.note_secret("pa55word");
        let mut h = http::HeaderMap::new();
        h.insert("x-subject-token", "gAAAAtoken".parse().unwrap());
        let shown = log.headers(&h);
        assert_eq!(shown, "\n  X-Subject-Token: ***");
        out.print("oops pa55word and gAAAAtoken");
        assert_eq!(lines.lock().unwrap()[0], "oops *** and ***");
    }

    #[test]
    fn a_short_password_is_masked_by_its_field_only() {
        let (log, out, lines) = shown();
        out.note_secret("e");
        log.body(
            "REQ BODY",
            br#"{"auth":{"identity":{"methods":["password"],"password":{"user":{"password":"e"}}}}}"#,
        );
        assert_eq!(
            lines.lock().unwrap()[0],
            r#"REQ BODY: {"auth":{"identity":{"methods":["password"],"password":{"user":{"password":"***"}}}}}"#
        );
    }

    #[test]
    fn a_token_escaped_in_a_body_is_masked() {
        let (log, _, lines) = shown();
        let mut h = http::HeaderMap::new();
        h.insert("x-auth-token", "gAAAAB/tok+en==".parse().unwrap());
        log.headers(&h);
        // Not JSON (cut short), so printed as it came, with JSON's `\/`.
        log.body(
            "RESP BODY",
            br#"{"badRequest": {"message": "bad token gAAAAB\/tok+en==""#,
        );
        assert_eq!(
            lines.lock().unwrap()[0],
            r#"RESP BODY: {"badRequest": {"message": "bad token ***""#
        );
    }

    #[test]
    fn quiet_it_prints_nothing_and_learns_the_tokens() {
        let (masker, lines) = crate::stderr::tests::buffered();
        let log = DebugLog::new(masker.clone(), false);
        let request = http::Request::builder()
            .header("x-auth-token", "gAAAAB-request-token")
            .body(WasiBody::default())
            .unwrap();
        let next: Next = Box::new(|_| {
            Box::new(async {
                let response = http::Response::builder()
                    .header("x-subject-token", "gAAAAB-answer-token")
                    .body(WasiBody::default())
                    .unwrap();
                let io: Box<dyn std::future::Future<Output = Result<(), HttpError>> + Send> =
                    Box::new(async { Ok(()) });
                Ok((response, io))
            })
        });
        let mut sent = Pin::from(log.send(request, next));
        let polled = std::future::Future::poll(sent.as_mut(), &mut Context::from_waker(std::task::Waker::noop()));
        assert!(matches!(polled, Poll::Ready(Ok(_))));
        masker.print("gAAAAB-request-token gAAAAB-answer-token");
        assert_eq!(*lines.lock().unwrap(), vec!["*** ***".to_string()]);
    }
}
