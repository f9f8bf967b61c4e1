//! The one mapping from an HTTP error answer to the contract's typed `error`, and the
//! one-line failure log.

use crate::http::Response;
use crate::json::{self, Reader};
use crate::prelude::*;
use crate::wire::{key_order, record, set};
use crate::{ApiError, Error, Failure};

/// Longest server message kept in an error (the rest is cut, marked with `…`).
const MAX_MESSAGE: usize = 1024;

/// Maps a non-2xx answer to its error variant, keeping the server's own message, the
/// request id and `Retry-After`.
pub fn from_response(resp: &Response) -> Error {
    let api = ApiError {
        status: resp.status,
        message: fault_message(&resp.body).unwrap_or_else(|| fallback_message(resp)),
        request_id: resp.request_id(),
        retry_after_s: resp.retry_after_s(),
    };
    match resp.status {
        400 => Error::BadRequest(api),
        401 => Error::Unauthorized(api),
        403 => Error::Forbidden(api),
        404 => Error::NotFound(api),
        409 => Error::Conflict(api),
        413 | 429 => Error::OverLimit(api),
        _ => Error::Api(api),
    }
}

/// The message of an OpenStack fault body: Cinder/Nova `{"badRequest": {"code",
/// "message"}}`, Keystone `{"error": {"code", "title", "message"}}`. Of several faults,
/// the first by name that has a message (or else a title); `None` for any other document.
fn fault_message(body: &[u8]) -> Option<String> {
    let mut faults: Vec<(String, Option<String>)> = Vec::new();
    json::parse(body, |r| {
        r.object(&[], &mut |r, name| {
            faults.push((name.to_string(), fault_text(r)?));
            Ok(())
        })
    })
    .ok()?;
    let order = key_order(&faults.iter().map(|(k, _)| k.as_str()).collect::<Vec<_>>());
    order
        .into_iter()
        .find_map(|i| faults[i].1.take())
        .map(|m| clean(&m))
        .filter(|m| !m.is_empty())
}

/// The inner object of a fault.
struct Fault {
    message: Option<String>,
    title: Option<String>,
}

record! {
    impl Decode for Fault, required [] {
        message: "message" => set = None,
        title: "title" => set = None,
    }
}

/// The inner object of a fault: its `message`, else its `title`.
fn fault_text(r: &mut Reader<'_>) -> Result<Option<String>, json::Failed> {
    r.read::<Fault>().map(|f| f.message.or(f.title))
}

/// A body that is not a fault document (webob's plain-text 404, a proxy's HTML page):
/// keep its text if short and readable, else the status line.
fn fallback_message(resp: &Response) -> String {
    let text = core::str::from_utf8(&resp.body)
        .map(|t| {
            let mut words = String::new();
            for w in t.split_whitespace() {
                if !words.is_empty() {
                    words.push(' ');
                }
                words.push_str(w);
            }
            clean(&words)
        })
        .unwrap_or_default();
    if !text.is_empty() && !text.starts_with('<') {
        return text;
    }
    format!("HTTP {} {}", resp.status, reason(resp.status))
}

/// The server's text with control characters (newlines, terminal escapes) and bidi
/// overrides turned into spaces, trimmed and capped, so a hostile server cannot smuggle
/// escapes, reordered text or megabytes into errors and logs. Spacing is otherwise kept as
/// the server wrote it.
pub fn clean(s: &str) -> String {
    capped(s, MAX_MESSAGE)
}

/// [`clean`] with a cap of `max` bytes (then cut at a character and marked with `…`).
pub fn capped(s: &str, max: usize) -> String {
    let unsafe_char = |c: char| {
        c.is_control() || matches!(c, '\u{200e}' | '\u{200f}' | '\u{202a}'..='\u{202e}' | '\u{2066}'..='\u{2069}')
    };
    let mut out: String = s.trim().chars().map(|c| if unsafe_char(c) { ' ' } else { c }).collect();
    if out.len() > max {
        let mut cut = max;
        while !out.is_char_boundary(cut) {
            cut -= 1;
        }
        out.truncate(cut);
        out.push('…');
    }
    out.trim_end().to_string()
}

fn reason(status: u16) -> &'static str {
    match status {
        400 => "Bad Request",
        401 => "Unauthorized",
        403 => "Forbidden",
        404 => "Not Found",
        405 => "Method Not Allowed",
        406 => "Not Acceptable",
        409 => "Conflict",
        413 => "Request Entity Too Large",
        429 => "Too Many Requests",
        500 => "Internal Server Error",
        501 => "Not Implemented",
        502 => "Bad Gateway",
        503 => "Service Unavailable",
        504 => "Gateway Timeout",
        _ => "",
    }
}

/// `invalid-input` naming the field.
pub fn invalid(field: &str, why: impl core::fmt::Display) -> Error {
    Error::InvalidInput(format!("{field}: {why}"))
}

/// One log line for a failed operation: operation, resource id, status, request id and
/// the error's text. Built only from the error (never from requests), so no secret can
/// reach it.
pub fn log_line(op: &str, id: &str, err: &Error) -> String {
    let (kind, detail) = kind_and_detail(err);
    let mut line = format!("infomaniak-block-storage: {op}");
    if !id.is_empty() {
        line.push_str(&format!(" {id}"));
    }
    line.push_str(&format!(" failed: {kind}"));
    match detail {
        Detail::Api(api) => {
            line.push_str(&format!(" status={}", api.status));
            if let Some(r) = &api.request_id {
                line.push_str(&format!(" request-id={r}"));
            }
            line.push_str(&format!(": {}", api.message));
        }
        Detail::Text(t) => line.push_str(&format!(": {t}")),
        Detail::Failure(f) => {
            line.push_str(&format!(": status {}", f.status));
            if let Some(r) = &f.reason {
                line.push_str(&format!(": {r}"));
            }
        }
    }
    line
}

enum Detail<'a> {
    Api(&'a ApiError),
    Text(&'a str),
    Failure(&'a Failure),
}

fn kind_and_detail(err: &Error) -> (&'static str, Detail<'_>) {
    match err {
        Error::InvalidInput(t) => ("invalid-input", Detail::Text(t)),
        Error::Unauthorized(a) => ("unauthorized", Detail::Api(a)),
        Error::Forbidden(a) => ("forbidden", Detail::Api(a)),
        Error::NotFound(a) => ("not-found", Detail::Api(a)),
        Error::BadRequest(a) => ("bad-request", Detail::Api(a)),
        Error::Conflict(a) => ("conflict", Detail::Api(a)),
        Error::OverLimit(a) => ("over-limit", Detail::Api(a)),
        Error::Api(a) => ("api", Detail::Api(a)),
        Error::Transport(t) => ("transport", Detail::Text(t)),
        Error::InvalidResponse(t) => ("invalid-response", Detail::Text(t)),
        Error::NoEndpoint(t) => ("no-endpoint", Detail::Text(t)),
        Error::WaitTimeout(t) => ("wait-timeout", Detail::Text(t)),
        Error::ResourceFailed(f) => ("resource-failed", Detail::Failure(f)),
    }
}

/// Short name of the variant, for messages and tests.
pub fn kind(err: &Error) -> &'static str {
    kind_and_detail(err).0
}

#[cfg(test)]
mod tests {
    use super::*;

    fn resp(status: u16, headers: &[(&str, &str)], body: &str) -> Response {
        Response {
            status,
            headers: headers.iter().map(|(k, v)| (k.to_string(), v.to_string())).collect(),
            body: body.as_bytes().to_vec(),
        }
    }

    #[test]
    fn maps_cinder_fault_with_request_id_and_retry_after() {
        let r = resp(
            413,
            &[("x-openstack-request-id", "req-1"), ("retry-after", "0")],
            r#"{"overLimit": {"code": 413, "message": "VolumeLimitExceeded: Maximum number of volumes allowed (10) exceeded for quota 'volumes'."}}"#,
        );
        match from_response(&r) {
            Error::OverLimit(a) => {
                assert_eq!(a.status, 413);
                assert!(a.message.starts_with("VolumeLimitExceeded"));
                assert_eq!(a.request_id.as_deref(), Some("req-1"));
                assert_eq!(a.retry_after_s, Some(0));
            }
            other => panic!("{other:?}"),
        }
    }

    #[test]
    fn maps_every_status_class() {
        let cases = [
            (400, "bad-request"),
            (401, "unauthorized"),
            (403, "forbidden"),
            (404, "not-found"),
            (409, "conflict"),
            (413, "over-limit"),
            (429, "over-limit"),
            (406, "api"),
            (500, "api"),
            (503, "api"),
        ];
        for (status, want) in cases {
            assert_eq!(kind(&from_response(&resp(status, &[], ""))), want, "{status}");
        }
    }

    #[test]
    fn keystone_nova_and_plain_bodies() {
        let k = resp(
            401,
            &[],
            r#"{"error": {"code": 401, "title": "Unauthorized", "message": "The request you have made requires authentication."}}"#,
        );
        assert!(
            matches!(from_response(&k), Error::Unauthorized(a) if a.message == "The request you have made requires authentication.")
        );
        let n = resp(
            404,
            &[("x-compute-request-id", "req-n")],
            r#"{"itemNotFound": {"code": 404, "message": "Instance x could not be found."}}"#,
        );
        assert!(matches!(from_response(&n), Error::NotFound(a) if a.request_id.as_deref() == Some("req-n")));
        let w = resp(404, &[], "404 Not Found\n\nThe resource could not be found.\n\n   ");
        assert!(
            matches!(from_response(&w), Error::NotFound(a) if a.message == "404 Not Found The resource could not be found.")
        );
        let h = resp(502, &[], "<html><body>bad gateway</body></html>");
        assert!(matches!(from_response(&h), Error::Api(a) if a.message == "HTTP 502 Bad Gateway"));
        let bin = Response {
            status: 500,
            headers: vec![],
            body: vec![0xff, 0xfe, 0],
        };
        assert!(matches!(from_response(&bin), Error::Api(a) if a.message == "HTTP 500 Internal Server Error"));
    }

    #[test]
    fn cleans_hostile_messages() {
        let long = "x".repeat(5000);
        let c = clean(&format!("a\u{1b}[31m b\n{long}"));
        assert!(c.starts_with("a [31m b x"), "{c}");
        assert!(c.len() <= MAX_MESSAGE + 3);
    }

    #[test]
    fn log_line_has_op_id_status_request_id() {
        let e = from_response(&resp(
            404,
            &[("x-openstack-request-id", "req-9")],
            r#"{"itemNotFound": {"code": 404, "message": "Volume v could not be found."}}"#,
        ));
        assert_eq!(
            log_line("volumes.get", "v", &e),
            "infomaniak-block-storage: volumes.get v failed: not-found status=404 request-id=req-9: Volume v could not be found."
        );
    }

    #[test]
    fn log_line_of_a_failure_has_status_and_reason() {
        let mut f = Failure {
            resource_id: "v".into(),
            status: "error".into(),
            reason: Some("schedule allocate volume:Could not find any available weighted backend.".into()),
        };
        assert_eq!(
            log_line("volumes.wait-for", "v", &Error::ResourceFailed(f.clone())),
            "infomaniak-block-storage: volumes.wait-for v failed: resource-failed: status error: schedule allocate volume:Could not find any available weighted backend."
        );
        f.reason = None;
        assert_eq!(
            log_line("volumes.wait-for", "v", &Error::ResourceFailed(f)),
            "infomaniak-block-storage: volumes.wait-for v failed: resource-failed: status error"
        );
    }

    #[test]
    fn every_fault_shape() {
        let msg = |body: &str| match from_response(&resp(400, &[], body)) {
            Error::BadRequest(a) => a.message,
            other => panic!("{other:?}"),
        };
        // Keystone with only a title; several faults: the first by name that has a text.
        assert_eq!(
            msg(r#"{"error": {"code": 400, "title": "Bad Request"}}"#),
            "Bad Request"
        );
        assert_eq!(
            msg(r#"{"zFault": {"message": "z"}, "empty": {"code": 1}, "badRequest": {"message": "b", "title": "t"}}"#),
            "b"
        );
        // Of a fault named twice, the last one counts.
        assert_eq!(
            msg(r#"{"a": {"message": "first"}, "a": {"code": 1}, "b": {"message": "other"}}"#),
            "other"
        );
        assert_eq!(
            msg(r#"{"badRequest": {"message": "line\nbreak \u001b[31m"}}"#),
            "line break  [31m"
        );
        // Not a fault document: the body's text (short and readable) or the status line.
        assert_eq!(msg(r#"{"badRequest": "just text"}"#), r#"{"badRequest": "just text"}"#);
        assert_eq!(
            msg(r#"{"badRequest": {"message": 400}}"#),
            r#"{"badRequest": {"message": 400}}"#
        );
        assert_eq!(
            msg(r#"{"badRequest": {"message": null}}"#),
            r#"{"badRequest": {"message": null}}"#
        );
        assert_eq!(
            msg(r#"{"badRequest": {"message": "  "}}"#),
            r#"{"badRequest": {"message": " "}}"#
        );
        assert_eq!(msg("[1, 2]"), "[1, 2]");
        assert_eq!(msg(r#"{"x": {}} trailing"#), r#"{"x": {}} trailing"#);
        assert_eq!(msg(""), "HTTP 400 Bad Request");
    }
}
