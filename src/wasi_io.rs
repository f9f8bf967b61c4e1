//! The thin transport: [`Io`] over `wasi:http/outgoing-handler`, `wasi:clocks` and the
//! stderr stream of `wasi:cli`. Whole-request deadlines are enforced here by polling the
//! response and body streams together with a monotonic-clock timer.

use wasip2::clocks::{monotonic_clock, wall_clock};
use wasip2::http::outgoing_handler;
use wasip2::http::types::{
    ErrorCode, Fields, HeaderError, IncomingResponse, Method as WasiMethod, OutgoingBody, OutgoingRequest,
    RequestOptions, Scheme as WasiScheme, TlsAlertReceivedPayload,
};
use wasip2::io::poll::{self, Pollable};
use wasip2::io::streams::StreamError;

use crate::http::{Io, Method, Request, Response, Scheme, Url};
use crate::prelude::*;
use crate::Error;

/// The component's host interface. Stateless: every handle lives for one call.
pub struct WasiIo;

const READ_CHUNK: u64 = 64 * 1024;
const WRITE_CHUNK: usize = 4096;

impl Io for WasiIo {
    fn send(&self, req: &Request) -> Result<Response, Error> {
        let deadline = monotonic_clock::now().saturating_add(u64::from(req.timeout_ms) * 1_000_000);
        send(req, deadline)
    }

    fn now_ms(&self) -> u64 {
        monotonic_clock::now() / 1_000_000
    }

    fn sleep_ms(&self, ms: u64) {
        monotonic_clock::subscribe_duration(ms.saturating_mul(1_000_000)).block();
    }

    fn unix_time_s(&self) -> u64 {
        wall_clock::now().seconds
    }

    fn log(&self, line: &str) {
        let stderr = wasip2::cli::stderr::get_stderr();
        let mut bytes = line.as_bytes().to_vec();
        bytes.push(b'\n');
        for chunk in bytes.chunks(WRITE_CHUNK) {
            if stderr.blocking_write_and_flush(chunk).is_err() {
                return;
            }
        }
    }
}

fn transport(what: &str, why: &str) -> Error {
    Error::Transport(format!("{what}: {why}"))
}

/// A stream error as text (no `Debug` formatting: its code is large for a component).
fn stream_error(e: StreamError) -> String {
    match e {
        StreamError::Closed => "closed".into(),
        StreamError::LastOperationFailed(e) => e.to_debug_string(),
    }
}

fn send(req: &Request, deadline: u64) -> Result<Response, Error> {
    let url = Url::parse(&req.url).map_err(|e| Error::InvalidInput(format!("url {e}")))?;
    let out = outgoing_request(req, &url)?;
    // A request without a body never asks for one (wasi:http then sends it empty): four
    // host calls fewer for every GET and DELETE.
    let body = match &req.body {
        Some(bytes) => Some((
            out.body().map_err(|()| transport("request body", "unavailable"))?,
            bytes,
        )),
        None => None,
    };
    let future = outgoing_handler::handle(out, Some(request_options(req.timeout_ms))).map_err(|e| describe(&e, req))?;
    if let Some((body, bytes)) = body {
        write_body(&body, bytes)?;
        OutgoingBody::finish(body, None).map_err(|e| describe(&e, req))?;
    }

    let timer = monotonic_clock::subscribe_instant(deadline);
    // The response cannot be there before the host has run: wait first, then take it.
    let ready = future.subscribe();
    let incoming = loop {
        // Only the timer ready: out of time. Otherwise take the response if it came.
        if poll::poll(&[&ready, &timer]) == [1] {
            return Err(timeout(req));
        }
        if let Some(r) = future.get() {
            break r
                .map_err(|()| transport("response", "already taken"))?
                .map_err(|e| describe(&e, req))?;
        }
    };
    drop(ready);
    let status = incoming.status();
    let headers: Vec<(String, String)> = incoming
        .headers()
        .entries()
        .into_iter()
        // A value that is not UTF-8 is left out (none that the client reads can be).
        .filter_map(|(k, v)| Some((k.to_ascii_lowercase(), String::from_utf8(v).ok()?)))
        .collect();
    let max = u64::from(req.max_body);
    if let Some(len) = headers
        .iter()
        .find(|(k, _)| k == "content-length")
        .and_then(|(_, v)| parse_digits(v.trim().as_bytes()))
    {
        if len > max {
            return Err(too_big(max));
        }
    }
    let body = read_body(incoming, &timer, req)?;
    Ok(Response { status, headers, body })
}

/// The request's method, URL and headers (with the body's length), as the host takes them.
fn outgoing_request(req: &Request, url: &Url) -> Result<OutgoingRequest, Error> {
    let mut headers: Vec<(String, Vec<u8>)> = req
        .headers
        .iter()
        .map(|(k, v)| (k.clone(), v.as_bytes().to_vec()))
        .collect();
    // Bodies go with their length, never chunked: Cinder's eventlet server does not read
    // chunked request bodies (it answers 500 KeyError 'body').
    if let Some(body) = &req.body {
        headers.push(("content-length".into(), body.len().to_string().into_bytes()));
    }
    let fields = Fields::from_list(&headers).map_err(|e| {
        Error::InvalidInput(format!(
            "request headers: {}",
            match e {
                HeaderError::InvalidSyntax => "invalid syntax",
                HeaderError::Forbidden => "forbidden",
                HeaderError::Immutable => "immutable",
            }
        ))
    })?;
    let out = OutgoingRequest::new(fields);
    let method = match req.method {
        Method::Get => WasiMethod::Get,
        Method::Post => WasiMethod::Post,
        Method::Put => WasiMethod::Put,
        Method::Delete => WasiMethod::Delete,
    };
    let scheme = match url.scheme {
        Scheme::Http => WasiScheme::Http,
        Scheme::Https => WasiScheme::Https,
    };
    let set = out
        .set_method(&method)
        .and(out.set_scheme(Some(&scheme)))
        .and(out.set_authority(Some(&url.authority)))
        .and(out.set_path_with_query(Some(&url.path_and_query)));
    set.map_err(|()| Error::InvalidInput(format!("url {} is not accepted by the host", url.origin())))?;
    Ok(out)
}

/// The host's own timeouts, each the whole request's.
fn request_options(timeout_ms: u32) -> RequestOptions {
    let options = RequestOptions::new();
    let timeout_ns = u64::from(timeout_ms) * 1_000_000;
    // Hosts may not support some timeouts; the deadline of `send` applies regardless, and
    // covers the body's bytes too (no between-bytes timeout: one host call fewer).
    let _ = options.set_connect_timeout(Some(timeout_ns));
    let _ = options.set_first_byte_timeout(Some(timeout_ns));
    options
}

/// Writes the request body (its stream is closed on return, before the body is finished).
fn write_body(body: &OutgoingBody, bytes: &[u8]) -> Result<(), Error> {
    let stream = body.write().map_err(|()| transport("request body", "unavailable"))?;
    for chunk in bytes.chunks(WRITE_CHUNK) {
        stream
            .blocking_write_and_flush(chunk)
            .map_err(|e| transport("sending request body", &stream_error(e)))?;
    }
    Ok(())
}

/// Reads the whole response body, at most `req.max_body` bytes, until `timer` is ready.
fn read_body(incoming: IncomingResponse, timer: &Pollable, req: &Request) -> Result<Vec<u8>, Error> {
    let max = u64::from(req.max_body);
    let incoming_body = incoming
        .consume()
        .map_err(|()| transport("response body", "unavailable"))?;
    let mut buf = Vec::new();
    {
        let stream = incoming_body
            .stream()
            .map_err(|()| transport("response body", "unavailable"))?;
        let readable = stream.subscribe();
        loop {
            match stream.read(READ_CHUNK) {
                Ok(chunk) if chunk.is_empty() => {
                    if poll::poll(&[&readable, timer]) == [1] {
                        return Err(timeout(req));
                    }
                }
                Ok(chunk) => {
                    if buf.len() as u64 + chunk.len() as u64 > max {
                        return Err(too_big(max));
                    }
                    buf.extend_from_slice(&chunk);
                }
                Err(StreamError::Closed) => break,
                Err(e) => return Err(transport("reading the response body", &stream_error(e))),
            }
        }
    }
    // Dropped, not finished: finishing answers a future for trailers, which Cinder never
    // sends (two host calls for nothing).
    drop(incoming_body);
    Ok(buf)
}

fn timeout(req: &Request) -> Error {
    Error::Transport(format!("timed out after {} ms", req.timeout_ms))
}

fn too_big(max: u64) -> Error {
    Error::InvalidResponse(format!("response body larger than {max} bytes"))
}

fn describe(e: &ErrorCode, req: &Request) -> Error {
    match e {
        ErrorCode::HttpRequestDenied => {
            let origin = Url::parse(&req.url).map(|u| u.authority).unwrap_or_default();
            Error::Transport(format!(
                "{} {origin}: the host only lets this session reach the endpoints it was configured with",
                crate::http::DENIED
            ))
        }
        ErrorCode::DnsTimeout | ErrorCode::ConnectionTimeout | ErrorCode::ConnectionReadTimeout => {
            Error::Transport(format!("timed out: {}", code_text(e)))
        }
        ErrorCode::TlsAlertReceived(TlsAlertReceivedPayload {
            alert_message: Some(m), ..
        }) => Error::Transport(format!("{} {m}", crate::http::TLS)),
        ErrorCode::TlsProtocolError | ErrorCode::TlsCertificateError | ErrorCode::TlsAlertReceived(_) => {
            Error::Transport(format!("{} {}", crate::http::TLS, code_text(e)))
        }
        ErrorCode::HttpResponseBodySize(_) | ErrorCode::HttpResponseHeaderSize(_) => {
            Error::InvalidResponse(format!("response too large: {}", code_text(e)))
        }
        _ => Error::Transport(code_text(e)),
    }
}

/// The WIT names of `error-code`, in the order of its cases.
const CODE_NAMES: [&str; 39] = [
    "DNS-timeout",
    "DNS-error",
    "destination-not-found",
    "destination-unavailable",
    "destination-IP-prohibited",
    "destination-IP-unroutable",
    "connection-refused",
    "connection-terminated",
    "connection-timeout",
    "connection-read-timeout",
    "connection-write-timeout",
    "connection-limit-reached",
    "TLS-protocol-error",
    "TLS-certificate-error",
    "TLS-alert-received",
    "HTTP-request-denied",
    "HTTP-request-length-required",
    "HTTP-request-body-size",
    "HTTP-request-method-invalid",
    "HTTP-request-URI-invalid",
    "HTTP-request-URI-too-long",
    "HTTP-request-header-section-size",
    "HTTP-request-header-size",
    "HTTP-request-trailer-section-size",
    "HTTP-request-trailer-size",
    "HTTP-response-incomplete",
    "HTTP-response-header-section-size",
    "HTTP-response-header-size",
    "HTTP-response-body-size",
    "HTTP-response-trailer-section-size",
    "HTTP-response-trailer-size",
    "HTTP-response-transfer-coding",
    "HTTP-response-content-coding",
    "HTTP-response-timeout",
    "HTTP-upgrade-failed",
    "HTTP-protocol-error",
    "loop-detected",
    "configuration-error",
    "internal-error",
];

/// The WIT name of an `error-code` (an index into [`CODE_NAMES`], which compiles to far
/// less than a `match` to strings or `Debug`), with the text some carry.
fn code_text(e: &ErrorCode) -> String {
    let index = match e {
        ErrorCode::DnsTimeout => 0,
        ErrorCode::DnsError(_) => 1,
        ErrorCode::DestinationNotFound => 2,
        ErrorCode::DestinationUnavailable => 3,
        ErrorCode::DestinationIpProhibited => 4,
        ErrorCode::DestinationIpUnroutable => 5,
        ErrorCode::ConnectionRefused => 6,
        ErrorCode::ConnectionTerminated => 7,
        ErrorCode::ConnectionTimeout => 8,
        ErrorCode::ConnectionReadTimeout => 9,
        ErrorCode::ConnectionWriteTimeout => 10,
        ErrorCode::ConnectionLimitReached => 11,
        ErrorCode::TlsProtocolError => 12,
        ErrorCode::TlsCertificateError => 13,
        ErrorCode::TlsAlertReceived(_) => 14,
        ErrorCode::HttpRequestDenied => 15,
        ErrorCode::HttpRequestLengthRequired => 16,
        ErrorCode::HttpRequestBodySize(_) => 17,
        ErrorCode::HttpRequestMethodInvalid => 18,
        ErrorCode::HttpRequestUriInvalid => 19,
        ErrorCode::HttpRequestUriTooLong => 20,
        ErrorCode::HttpRequestHeaderSectionSize(_) => 21,
        ErrorCode::HttpRequestHeaderSize(_) => 22,
        ErrorCode::HttpRequestTrailerSectionSize(_) => 23,
        ErrorCode::HttpRequestTrailerSize(_) => 24,
        ErrorCode::HttpResponseIncomplete => 25,
        ErrorCode::HttpResponseHeaderSectionSize(_) => 26,
        ErrorCode::HttpResponseHeaderSize(_) => 27,
        ErrorCode::HttpResponseBodySize(_) => 28,
        ErrorCode::HttpResponseTrailerSectionSize(_) => 29,
        ErrorCode::HttpResponseTrailerSize(_) => 30,
        ErrorCode::HttpResponseTransferCoding(_) => 31,
        ErrorCode::HttpResponseContentCoding(_) => 32,
        ErrorCode::HttpResponseTimeout => 33,
        ErrorCode::HttpUpgradeFailed => 34,
        ErrorCode::HttpProtocolError => 35,
        ErrorCode::LoopDetected => 36,
        ErrorCode::ConfigurationError => 37,
        ErrorCode::InternalError(_) => 38,
    };
    let detail = match e {
        ErrorCode::DnsError(p) => p.rcode.as_deref(),
        ErrorCode::TlsAlertReceived(p) => p.alert_message.as_deref(),
        ErrorCode::HttpResponseTransferCoding(c) => c.as_deref(),
        ErrorCode::HttpResponseContentCoding(c) => c.as_deref(),
        ErrorCode::InternalError(m) => m.as_deref(),
        _ => None,
    };
    let name = CODE_NAMES.get(index).copied().unwrap_or_default();
    match detail {
        Some(d) => format!("{name}: {d}"),
        None => name.into(),
    }
}
