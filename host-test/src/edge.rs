//! The edge function under test: the facade (built by build.rs) composed with the embedded
//! component for one block storage URL, served by the host library's [`Server`] on a
//! local port, and a small keep-alive HTTP/1.1 client to call it.

use std::io::{BufRead, BufReader, Read, Write};
use std::net::{SocketAddr, TcpListener, TcpStream};

use component_dist::edge::{compose, Settings};

use crate::{Server, COMPONENT};

/// The facade's bytes, as `component-dist` builds it.
pub const FACADE: &[u8] = include_bytes!(env!("EDGE_FACADE"));

/// The microversion the tests pin (Cinder 29 offers up to 3.71, the mock too).
pub const MICROVERSION: &str = "3.70";

/// The edge function for `block_storage_url`: facade + component + config, composed.
pub fn function(block_storage_url: &str) -> Vec<u8> {
    let settings = Settings {
        block_storage_url: block_storage_url.into(),
        microversion: MICROVERSION.into(),
    };
    compose(FACADE, COMPONENT, &settings).unwrap_or_else(|e| panic!("{e}"))
}

/// Serves `function` on a fresh local port, reaching only `block_storage_url`'s origin;
/// the server runs on its own thread until the process ends.
pub fn serve(function: &[u8], block_storage_url: &str) -> SocketAddr {
    let server = Server::from_bytes(function)
        .unwrap_or_else(|e| panic!("{e}"))
        .allowing(&[block_storage_url]);
    let listener = TcpListener::bind("127.0.0.1:0").expect("a local port");
    let addr = listener.local_addr().expect("its address");
    std::thread::spawn(move || server.serve(listener));
    addr
}

/// An answer: status, headers (names lower case) and body.
#[derive(Debug)]
pub struct Answer {
    pub status: u16,
    pub headers: Vec<(String, String)>,
    pub body: Vec<u8>,
}

impl Answer {
    /// The body as JSON (panics, naming the body, when it is not).
    pub fn json(&self) -> serde_json::Value {
        serde_json::from_slice(&self.body)
            .unwrap_or_else(|e| panic!("{e}: {:?} ({})", String::from_utf8_lossy(&self.body), self.status))
    }
}

/// One keep-alive HTTP/1.1 connection.
pub struct Client {
    reader: BufReader<TcpStream>,
    addr: SocketAddr,
}

impl Client {
    pub fn connect(addr: SocketAddr) -> Client {
        let stream = TcpStream::connect(addr).expect("connecting to the edge function");
        stream.set_nodelay(true).ok();
        Client {
            reader: BufReader::new(stream),
            addr,
        }
    }

    /// Sends `method path` with `headers` and `body`, and reads the whole answer.
    pub fn call(&mut self, method: &str, path: &str, headers: &[(&str, &str)], body: &str) -> Answer {
        let mut head = format!(
            "{method} {path} HTTP/1.1\r\nhost: {}\r\ncontent-length: {}\r\n",
            self.addr,
            body.len()
        );
        for (k, v) in headers {
            head.push_str(&format!("{k}: {v}\r\n"));
        }
        head.push_str("\r\n");
        head.push_str(body);
        let stream = self.reader.get_mut();
        stream.write_all(head.as_bytes()).expect("sending");
        self.read_answer()
    }

    fn read_answer(&mut self) -> Answer {
        let mut line = String::new();
        self.reader.read_line(&mut line).expect("status line");
        let status = line
            .split(' ')
            .nth(1)
            .and_then(|s| s.parse().ok())
            .unwrap_or_else(|| panic!("status line {line:?}"));
        let mut headers = Vec::new();
        loop {
            line.clear();
            self.reader.read_line(&mut line).expect("header line");
            let Some((k, v)) = line.trim_end().split_once(':') else {
                break;
            };
            headers.push((k.to_ascii_lowercase(), v.trim().to_string()));
        }
        let length = headers
            .iter()
            .find(|(k, _)| k == "content-length")
            .map_or(0, |(_, v)| v.parse().expect("content-length"));
        let mut body = vec![0; length];
        self.reader.read_exact(&mut body).expect("body");
        Answer { status, headers, body }
    }
}
