//! The transport boundary: plain request/response values and the [`Io`] trait that the
//! wasm build implements over `wasi:http` (and tests implement in memory). Everything above
//! this trait is free of I/O, so the whole client logic is unit-tested natively.

use crate::prelude::*;
use crate::Error;

/// HTTP methods the client uses.
#[derive(Clone, Copy, Debug, PartialEq, Eq)]
pub enum Method {
    Get,
    Post,
    Put,
    Delete,
}

impl Method {
    pub fn as_str(self) -> &'static str {
        match self {
            Method::Get => "GET",
            Method::Post => "POST",
            Method::Put => "PUT",
            Method::Delete => "DELETE",
        }
    }
}

/// One outgoing request. `url` is absolute and already validated by [`Url::parse`].
/// Its `Debug` shows neither the token nor the body (see [`REDACTED_HEADERS`]).
#[derive(Clone)]
pub struct Request {
    pub method: Method,
    pub url: String,
    /// Header names in lower case. May hold the token: never log a `Request`'s headers.
    pub headers: Vec<(String, String)>,
    pub body: Option<Vec<u8>>,
    /// Whole-request deadline: connect, send, headers and body.
    pub timeout_ms: u32,
    /// Bodies above this size fail with `invalid-response` instead of being buffered.
    pub max_body: u32,
}

/// Headers whose values a `Request`'s `Debug` replaces with `<redacted>`.
pub const REDACTED_HEADERS: &[&str] = &["x-auth-token", "x-subject-token", "authorization"];

impl core::fmt::Debug for Request {
    /// The headers with secret values redacted, and only the body's length (a token
    /// request's body holds the password).
    fn fmt(&self, f: &mut core::fmt::Formatter<'_>) -> core::fmt::Result {
        let headers: Vec<(&str, &str)> = self
            .headers
            .iter()
            .map(|(k, v)| {
                let secret = REDACTED_HEADERS.iter().any(|s| k.eq_ignore_ascii_case(s));
                (k.as_str(), if secret { "<redacted>" } else { v.as_str() })
            })
            .collect();
        let body = match &self.body {
            Some(b) => format!("<redacted, {} bytes>", b.len()),
            None => "None".into(),
        };
        f.debug_struct("Request")
            .field("method", &self.method)
            .field("url", &self.url)
            .field("headers", &headers)
            .field("body", &format_args!("{body}"))
            .field("timeout_ms", &self.timeout_ms)
            .field("max_body", &self.max_body)
            .finish()
    }
}

/// One complete response.
#[derive(Clone, Debug, Default)]
pub struct Response {
    pub status: u16,
    /// Header names in lower case.
    pub headers: Vec<(String, String)>,
    pub body: Vec<u8>,
}

impl Response {
    /// First value of a header (name in lower case).
    pub fn header(&self, name: &str) -> Option<&str> {
        self.headers
            .iter()
            .find(|(k, _)| k.eq_ignore_ascii_case(name))
            .map(|(_, v)| v.as_str())
    }

    /// `Retry-After` in seconds (the HTTP-date form is not used by OpenStack).
    pub fn retry_after_s(&self) -> Option<u32> {
        let v = parse_digits(self.header("retry-after")?.trim().as_bytes())?;
        u32::try_from(v).ok()
    }

    /// The request id OpenStack services put on every answer (`req-` and a UUID), cleaned
    /// and capped: it goes into errors and log lines.
    pub fn request_id(&self) -> Option<String> {
        self.header("x-openstack-request-id")
            .or_else(|| self.header("x-compute-request-id"))
            .map(|r| crate::error::capped(r, MAX_REQUEST_ID))
            .filter(|r| !r.is_empty())
    }
}

/// Longest request id kept (a real one has 40 characters).
const MAX_REQUEST_ID: usize = 128;

/// How a transport error starts when the host refused to send a request at all (an origin
/// outside its allow-list); such a request is never retried.
pub const DENIED: &str = "request refused by the host:";

/// How a transport error starts when the TLS handshake failed (a refused certificate, a
/// protocol error, an alert): the same request would fail the same way, so it is never
/// retried.
pub const TLS: &str = "TLS:";

/// What the client needs from its host. Implemented over wasi:http/clocks/cli in the
/// component, and by scripted fakes in unit tests.
pub trait Io {
    /// Sends one request and reads the whole response (bounded by `max_body`).
    /// Fails only without a usable response: `transport` or `invalid-response`.
    fn send(&self, req: &Request) -> Result<Response, Error>;
    /// Monotonic milliseconds, for deadlines.
    fn now_ms(&self) -> u64;
    /// Sleeps (polling interval of waiters).
    fn sleep_ms(&self, ms: u64);
    /// Seconds since the Unix epoch, for token expiry.
    fn unix_time_s(&self) -> u64;
    /// Writes one diagnostic line (stderr in the component).
    fn log(&self, line: &str);
}

/// URL scheme accepted for endpoints.
#[derive(Clone, Copy, Debug, PartialEq, Eq)]
pub enum Scheme {
    Http,
    Https,
}

/// A parsed absolute http(s) URL: just enough structure for wasi:http and for building
/// endpoint URLs, without pulling in a URL crate.
#[derive(Clone, Debug, PartialEq, Eq)]
pub struct Url {
    pub scheme: Scheme,
    /// `host[:port]`, never with user-info.
    pub authority: String,
    /// Path and query, always starting with `/`.
    pub path_and_query: String,
}

impl Url {
    /// Parses an absolute URL; the error says what is wrong (without echoing user-info).
    pub fn parse(s: &str) -> Result<Url, String> {
        if s.is_empty() {
            return Err("is empty".into());
        }
        if s.chars().any(|c| c.is_control() || c == ' ') {
            return Err("contains spaces or control characters".into());
        }
        let (scheme, rest) = if let Some(r) = strip_prefix_ci(s, "https://") {
            (Scheme::Https, r)
        } else if let Some(r) = strip_prefix_ci(s, "http://") {
            (Scheme::Http, r)
        } else {
            return Err("must start with http:// or https://".into());
        };
        let end = rest.find(['/', '?', '#']).unwrap_or(rest.len());
        let (authority, path) = rest.split_at_checked(end).unwrap_or((rest, ""));
        if authority.contains('@') {
            return Err("must not contain user info".into());
        }
        if authority.is_empty() {
            return Err("has no host".into());
        }
        let mut path = path.to_string();
        if let Some(i) = path.find('#') {
            path.truncate(i);
        }
        if !path.starts_with('/') {
            path.insert(0, '/');
        }
        Ok(Url {
            scheme,
            authority: authority.to_string(),
            path_and_query: path,
        })
    }

    /// `scheme://authority`, the origin used to compare hosts.
    pub fn origin(&self) -> String {
        let scheme = match self.scheme {
            Scheme::Http => "http",
            Scheme::Https => "https",
        };
        format!("{scheme}://{}", self.authority)
    }

    /// The path without the query.
    pub fn path(&self) -> &str {
        self.path_and_query
            .split_once('?')
            .map_or(&self.path_and_query, |(path, _)| path)
    }

    /// The query without `?`, if any.
    pub fn query(&self) -> Option<&str> {
        self.path_and_query.split_once('?').map(|(_, query)| query)
    }
}

fn strip_prefix_ci<'a>(s: &'a str, prefix: &str) -> Option<&'a str> {
    let (head, rest) = s.split_at_checked(prefix.len())?;
    head.eq_ignore_ascii_case(prefix).then_some(rest)
}

/// Percent-encodes a query parameter value (RFC 3986 unreserved characters pass).
pub fn encode_query_value(v: &str) -> String {
    let mut out = String::with_capacity(v.len());
    for b in v.bytes() {
        if b.is_ascii_alphanumeric() || matches!(b, b'-' | b'_' | b'.' | b'~') {
            out.push(b as char);
        } else {
            out.push_str(&format!("%{b:02X}"));
        }
    }
    out
}

/// Builds `?k=v&...` from the present parameters (empty string when none).
pub fn query_string(params: &[(&str, Option<String>)]) -> String {
    let mut out = String::new();
    for (k, v) in params {
        if let Some(v) = v {
            out.push(if out.is_empty() { '?' } else { '&' });
            out.push_str(k);
            out.push('=');
            out.push_str(&encode_query_value(v));
        }
    }
    out
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn request_debug_redacts_the_token_and_the_body() {
        let req = Request {
            method: Method::Post,
            url: "https://h/v3/auth/tokens".into(),
            headers: vec![
                ("accept".into(), "application/json".into()),
                ("x-auth-token".into(), "gAAAAAtok3n".into()),
                ("X-Subject-Token".into(), "gAAAAAsubj".into()),
            ],
            body: Some(br#"{"password": "s3cr3t"}"#.to_vec()),
            timeout_ms: 5,
            max_body: 1024,
        };
        let text = format!("{req:?}");
        assert_eq!(
            text,
            r#"Request { method: Post, url: "https://h/v3/auth/tokens", headers: [("accept", "application/json"), ("x-auth-token", "<redacted>"), ("X-Subject-Token", "<redacted>")], body: <redacted, 22 bytes>, timeout_ms: 5, max_body: 1024 }"#
        );
        let pretty = format!("{req:#?}");
        for secret in ["tok3n", "subj", "s3cr3t", "password"] {
            assert!(!text.contains(secret) && !pretty.contains(secret), "{secret}");
        }
        let bare = Request {
            body: None,
            headers: vec![],
            ..req
        };
        assert!(format!("{bare:?}").contains("headers: [], body: None,"));
    }

    #[test]
    fn parses_urls() {
        let u = Url::parse("https://api.pub1.infomaniak.cloud/identity/v3").unwrap();
        assert_eq!(u.scheme, Scheme::Https);
        assert_eq!(u.authority, "api.pub1.infomaniak.cloud");
        assert_eq!(u.path_and_query, "/identity/v3");
        let u = Url::parse("http://127.0.0.1:8776").unwrap();
        assert_eq!(u.path_and_query, "/");
        assert_eq!(u.origin(), "http://127.0.0.1:8776");
        let u = Url::parse("HTTP://h/a?b=c#frag").unwrap();
        assert_eq!(u.path(), "/a");
        assert_eq!(u.query(), Some("b=c"));
    }

    #[test]
    fn refuses_bad_urls() {
        for bad in [
            "",
            "ftp://h/",
            "h/x",
            "https://user:pw@h/",
            "https:///x",
            "http://h/a b",
            "http://h/\n",
        ] {
            let err = Url::parse(bad).unwrap_err();
            assert!(!err.contains("pw"), "{err}");
        }
    }

    #[test]
    fn encodes_query() {
        assert_eq!(
            query_string(&[("a", None), ("name", Some("x y&z/é".into()))]),
            "?name=x%20y%26z%2F%C3%A9"
        );
        assert_eq!(
            query_string(&[("limit", Some("2".into())), ("status", Some("available".into()))]),
            "?limit=2&status=available"
        );
        assert_eq!(query_string(&[]), "");
    }
}
