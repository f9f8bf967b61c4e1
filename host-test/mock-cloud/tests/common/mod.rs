//! A tiny blocking HTTP/1.1 client over TcpStream (one request per connection).
#![allow(dead_code)]

use std::io::{Read, Write};
use std::net::TcpStream;
use std::time::Duration;

pub struct Response {
    pub status: u16,
    pub headers: Vec<(String, String)>,
    pub body: Vec<u8>,
    /// The body was shorter than Content-Length (connection closed early).
    pub short: bool,
}

impl Response {
    pub fn header(&self, name: &str) -> Option<&str> {
        self.headers
            .iter()
            .find(|(k, _)| k.eq_ignore_ascii_case(name))
            .map(|(_, v)| v.as_str())
    }
    pub fn json(&self) -> serde_json::Value {
        serde_json::from_slice(&self.body).unwrap_or_else(|e| {
            panic!(
                "not JSON ({e}): {:?} (status {})",
                String::from_utf8_lossy(&self.body),
                self.status
            )
        })
    }
}

/// `url` is absolute ("http://127.0.0.1:PORT/path?q").
pub fn request(method: &str, url: &str, headers: &[(&str, &str)], body: Option<&str>) -> std::io::Result<Response> {
    let rest = url.strip_prefix("http://").expect("http url");
    let (host, path) = match rest.find('/') {
        Some(i) => (&rest[..i], &rest[i..]),
        None => (rest, "/"),
    };
    let mut s = TcpStream::connect(host)?;
    s.set_read_timeout(Some(Duration::from_secs(20)))?;
    let mut req = format!("{method} {path} HTTP/1.1\r\nHost: {host}\r\nConnection: close\r\n");
    for (k, v) in headers {
        req.push_str(&format!("{k}: {v}\r\n"));
    }
    let b = body.unwrap_or("");
    if body.is_some() || method == "POST" || method == "PUT" {
        req.push_str(&format!("Content-Length: {}\r\n", b.len()));
    }
    req.push_str("\r\n");
    req.push_str(b);
    s.write_all(req.as_bytes())?;
    let mut raw = Vec::new();
    let _ = s.read_to_end(&mut raw);
    if raw.is_empty() {
        return Err(std::io::Error::new(
            std::io::ErrorKind::UnexpectedEof,
            "connection closed without a response",
        ));
    }
    let end = raw
        .windows(4)
        .position(|w| w == b"\r\n\r\n")
        .ok_or_else(|| std::io::Error::other("no header end"))?;
    let head = String::from_utf8_lossy(&raw[..end]).into_owned();
    let mut lines = head.split("\r\n");
    let status: u16 = lines
        .next()
        .and_then(|l| l.split(' ').nth(1))
        .and_then(|s| s.parse().ok())
        .ok_or_else(|| std::io::Error::other("bad status line"))?;
    let headers: Vec<(String, String)> = lines
        .filter_map(|l| l.split_once(':'))
        .map(|(k, v)| (k.trim().to_string(), v.trim().to_string()))
        .collect();
    let mut body = raw[end + 4..].to_vec();
    let get = |n: &str| {
        headers
            .iter()
            .find(|(k, _)| k.eq_ignore_ascii_case(n))
            .map(|(_, v)| v.clone())
    };
    let mut short = false;
    if get("transfer-encoding").is_some_and(|t| t.contains("chunked")) {
        let mut out = Vec::new();
        let mut i = 0;
        loop {
            let Some(nl) = body[i..].windows(2).position(|w| w == b"\r\n") else {
                short = true;
                break;
            };
            let n = usize::from_str_radix(String::from_utf8_lossy(&body[i..i + nl]).trim(), 16).unwrap_or(0);
            i += nl + 2;
            if n == 0 {
                break;
            }
            if i + n > body.len() {
                out.extend_from_slice(&body[i..]);
                short = true;
                break;
            }
            out.extend_from_slice(&body[i..i + n]);
            i += n + 2;
        }
        body = out;
    } else if let Some(cl) = get("content-length").and_then(|c| c.parse::<usize>().ok()) {
        short = body.len() < cl;
    }
    Ok(Response {
        status,
        headers,
        body,
        short,
    })
}

pub struct Client {
    pub token: String,
    pub mv: String,
}

impl Client {
    pub fn call(&self, method: &str, url: &str, body: Option<&str>) -> Response {
        let mv = format!("volume {}", self.mv);
        let mut h: Vec<(&str, &str)> = vec![("X-Auth-Token", self.token.as_str()), ("Accept", "application/json")];
        if !self.mv.is_empty() {
            h.push(("OpenStack-API-Version", mv.as_str()));
        }
        if body.is_some() {
            h.push(("Content-Type", "application/json"));
        }
        request(method, url, &h, body).expect("request")
    }
    pub fn get(&self, url: &str) -> Response {
        self.call("GET", url, None)
    }
    pub fn delete(&self, url: &str) -> Response {
        self.call("DELETE", url, None)
    }
    pub fn post(&self, url: &str, body: &str) -> Response {
        self.call("POST", url, Some(body))
    }
    pub fn post_json(&self, url: &str, body: &serde_json::Value) -> Response {
        self.post(url, &body.to_string())
    }
    pub fn put_json(&self, url: &str, body: &serde_json::Value) -> Response {
        self.call("PUT", url, Some(&body.to_string()))
    }
}

/// POST a JSON body without a token (Keystone).
pub fn post_unauthenticated(url: &str, body: &str) -> Response {
    request("POST", url, &[("Content-Type", "application/json")], Some(body)).expect("request")
}

/// The message of an OpenStack fault body: `{"<fault>": {"message": ...}}`.
pub fn message(r: &Response, fault: &str) -> serde_json::Value {
    r.json()[fault]["message"].clone()
}

/// Poll until `f` returns true (max ~5 s).
pub fn wait_for(mut f: impl FnMut() -> bool) {
    for _ in 0..250 {
        if f() {
            return;
        }
        std::thread::sleep(Duration::from_millis(20));
    }
    panic!("condition never became true");
}
