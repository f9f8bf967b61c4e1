//! The native twin, shared by the benchmarks: the component's own client logic (the
//! `infomaniak-block-storage` crate) compiled natively over a small keep-alive HTTP/1.1
//! transport, so that what differs from the component is the wasm boundary alone.

use std::io::{BufRead, BufReader, Read, Write};
use std::net::TcpStream;
use std::time::{Duration, Instant};

use infomaniak_block_storage as native;
use native::http::{Io, Request, Response};

/// Connects the native client to the mock cloud at `auth_url` with its application
/// credential, in its region, as `host_test::mock_config` does for the component.
pub fn connect(auth_url: &str) -> Result<native::client::Client<KeepAlive>, native::Error> {
    let cfg = native::Config {
        auth_url: auth_url.into(),
        credentials: native::Credentials::ApplicationCredential(native::ApplicationCredential {
            id: mock_cloud::APP_CRED_ID.into(),
            secret: mock_cloud::APP_CRED_SECRET.into(),
        }),
        region: Some("dc3-a".into()),
        endpoint_interface: None,
        block_storage_url: None,
        compute_url: None,
        timeout_ms: None,
        microversion: None,
        max_response_bytes: None,
    };
    native::client::Client::connect(KeepAlive::default(), cfg)
}

/// A keep-alive HTTP/1.1 transport over plain TCP: one connection per origin, reused
/// while the server keeps it open (the mock answers with `Content-Length`).
#[derive(Default)]
pub struct KeepAlive {
    conn: std::cell::RefCell<Option<(String, BufReader<TcpStream>)>>,
    started: std::cell::OnceCell<Instant>,
}

impl KeepAlive {
    fn exchange(&self, req: &Request, fresh: bool) -> std::io::Result<Response> {
        let url = native::http::Url::parse(&req.url).map_err(std::io::Error::other)?;
        let mut slot = self.conn.borrow_mut();
        if fresh || slot.as_ref().is_none_or(|(a, _)| *a != url.authority) {
            let s = TcpStream::connect(&url.authority)?;
            s.set_nodelay(true)?;
            *slot = Some((url.authority.clone(), BufReader::new(s)));
        }
        let Some((_, conn)) = slot.as_mut() else {
            return Err(std::io::Error::other("no connection"));
        };
        let mut head = format!(
            "{} {} HTTP/1.1\r\nhost: {}\r\n",
            req.method.as_str(),
            url.path_and_query,
            url.authority
        );
        for (k, v) in &req.headers {
            head.push_str(&format!("{k}: {v}\r\n"));
        }
        let body = req.body.as_deref().unwrap_or_default();
        if req.body.is_some() {
            head.push_str(&format!("content-length: {}\r\n", body.len()));
        }
        head.push_str("\r\n");
        let stream = conn.get_mut();
        stream.write_all(head.as_bytes())?;
        stream.write_all(body)?;
        let mut line = String::new();
        if conn.read_line(&mut line)? == 0 {
            return Err(std::io::ErrorKind::UnexpectedEof.into());
        }
        let status: u16 = line.split(' ').nth(1).and_then(|s| s.parse().ok()).unwrap_or(0);
        let mut headers = Vec::new();
        loop {
            line.clear();
            conn.read_line(&mut line)?;
            let l = line.trim_end();
            if l.is_empty() {
                break;
            }
            if let Some((k, v)) = l.split_once(':') {
                headers.push((k.trim().to_ascii_lowercase(), v.trim().to_string()));
            }
        }
        let find = |name: &str| headers.iter().find(|(k, _)| k == name).map(|(_, v)| v.clone());
        let mut body = Vec::new();
        if let Some(len) = find("content-length").and_then(|v| v.parse::<usize>().ok()) {
            body.resize(len, 0);
            conn.read_exact(&mut body)?;
        } else if find("transfer-encoding").is_some_and(|v| v.eq_ignore_ascii_case("chunked")) {
            loop {
                line.clear();
                conn.read_line(&mut line)?;
                let size = usize::from_str_radix(line.trim(), 16).map_err(std::io::Error::other)?;
                let start = body.len();
                body.resize(start + size + 2, 0);
                conn.read_exact(&mut body[start..])?;
                body.truncate(start + size);
                if size == 0 {
                    break;
                }
            }
        } else if status != 204 && status != 304 {
            conn.read_to_end(&mut body)?;
            *slot = None;
        }
        Ok(Response { status, headers, body })
    }
}

impl Io for KeepAlive {
    fn send(&self, req: &Request) -> Result<Response, native::Error> {
        // A kept connection the server has closed fails at once: reconnect and resend.
        self.exchange(req, false)
            .or_else(|_| self.exchange(req, true))
            .map_err(|e| native::Error::Transport(e.to_string()))
    }
    fn now_ms(&self) -> u64 {
        self.started.get_or_init(Instant::now).elapsed().as_millis() as u64
    }
    fn sleep_ms(&self, ms: u64) {
        std::thread::sleep(Duration::from_millis(ms));
    }
    fn unix_time_s(&self) -> u64 {
        std::time::SystemTime::now()
            .duration_since(std::time::UNIX_EPOCH)
            .map_or(0, |d| d.as_secs())
    }
    fn log(&self, _line: &str) {}
}
