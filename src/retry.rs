//! Retries of requests that are safe to repeat: GET, PUT and DELETE (and Keystone token
//! requests) after a 502/503/504 or a connection failure, with capped exponential backoff,
//! jitter, and the server's `Retry-After`, all within the request's time limit.
//!
//! A POST that creates something (a volume, snapshot, backup, restore or attachment) is never
//! repeated: if the server acted before the failure, a retry would create a second one. The
//! caller gets the error instead and can look the resource up by name.

use core::cell::Cell;

use crate::http::{Io, Method, Request, Response};
use crate::prelude::*;
use crate::Error;

/// Retries after the first attempt.
pub const MAX_RETRIES: u32 = 3;
/// First backoff step; doubles per retry up to [`CAP_MS`].
pub const BASE_MS: u64 = 250;
pub const CAP_MS: u64 = 4_000;

/// Whether repeating `method` cannot do anything twice.
pub fn idempotent(method: Method) -> bool {
    method != Method::Post
}

/// Why an exchange may be worth repeating: `Some(retry_after_s)` for a gateway or
/// availability status or a failed connection, `None` for anything else.
fn transient(result: &Result<Response, Error>) -> Option<Option<u32>> {
    match result {
        Err(Error::Transport(m)) if !repeats(m) => Some(None),
        Ok(r) if matches!(r.status, 502..=504) => Some(r.retry_after_s()),
        _ => None,
    }
}

/// Whether a transport error would come back the same: the host refused the request, or
/// the TLS handshake failed.
fn repeats(message: &str) -> bool {
    [crate::http::DENIED, crate::http::TLS]
        .iter()
        .any(|p| message.starts_with(p))
}

/// A small xorshift generator for jitter (no randomness import is in the contract, and the
/// spread only has to keep many clients from retrying in step).
pub struct Jitter(Cell<u64>);

impl Jitter {
    pub fn new(seed: u64) -> Jitter {
        Jitter(Cell::new(seed | 1))
    }

    fn next(&self) -> u64 {
        let mut x = self.0.get();
        x ^= x << 13;
        x ^= x >> 7;
        x ^= x << 17;
        self.0.set(x);
        x
    }

    /// The wait before retry `attempt` (0-based): half the capped step plus a random part of
    /// the other half, and never less than the server asked for.
    pub fn delay_ms(&self, attempt: u32, retry_after_s: Option<u32>) -> u64 {
        let step = BASE_MS.saturating_mul(1 << attempt.min(16)).min(CAP_MS);
        let backoff = step / 2 + self.next() % (step / 2 + 1);
        backoff.max(u64::from(retry_after_s.unwrap_or(0)) * 1000)
    }
}

/// Sends `req`, repeating it while that is safe, useful and inside its time limit. Returns
/// the last answer (which may still be an error status) or the last transport error.
pub fn send<I: Io>(io: &I, req: &mut Request, jitter: &Jitter) -> Result<Response, Error> {
    send_as(io, req, idempotent(req.method), jitter)
}

/// [`send`] with the caller's own judgement of whether `req` may be repeated.
pub fn send_as<I: Io>(io: &I, req: &mut Request, repeatable: bool, jitter: &Jitter) -> Result<Response, Error> {
    let limit = req.timeout_ms;
    let deadline = io.now_ms().saturating_add(u64::from(limit));
    let mut attempt = 0;
    loop {
        let result = io.send(req);
        let Some(retry_after) = transient(&result) else {
            return result;
        };
        if !repeatable || attempt >= MAX_RETRIES {
            return result;
        }
        let wait = jitter.delay_ms(attempt, retry_after);
        let now = io.now_ms();
        if now.saturating_add(wait) >= deadline {
            return result;
        }
        let why = match &result {
            Ok(r) => format!("HTTP {}", r.status),
            Err(_) => "a connection failure".to_string(),
        };
        io.log(&format!(
            "infomaniak-block-storage: retrying {} {} in {wait} ms after {why} ({} of {MAX_RETRIES})",
            req.method.as_str(),
            path_of(&req.url),
            attempt + 1
        ));
        io.sleep_ms(wait);
        // Each attempt gets what is left of the request's time limit.
        req.timeout_ms = deadline.saturating_sub(io.now_ms()).max(1) as u32;
        attempt += 1;
    }
}

/// The path of a URL, for logs (no host, no query).
fn path_of(url: &str) -> &str {
    let rest = match url.as_bytes().windows(3).position(|w| w == b"://") {
        Some(i) => url.get(i + 3..).unwrap_or(url),
        None => url,
    };
    let path = rest.find('/').and_then(|i| rest.get(i..)).unwrap_or("/");
    path.split(['?', '#']).next().unwrap_or(path)
}
