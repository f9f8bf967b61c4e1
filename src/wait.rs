//! The one waiter: polls a resource until it reaches a status, fails fast on `error*`
//! (with Cinder's newest user message about it as the reason), and treats `deleted` as
//! "until 404".

use crate::client::Client;
use crate::error::capped;
use crate::http::Io;
use crate::prelude::*;
use crate::{project, validate, Error, Failure};

/// First polling interval; doubled after each poll up to [`MAX_INTERVAL_MS`].
pub const FIRST_INTERVAL_MS: u64 = 1_000;
/// Longest polling interval.
pub const MAX_INTERVAL_MS: u64 = 10_000;
/// Longest status kept in an error (Cinder's longest, `awaiting-transfer`, has 17).
const MAX_STATUS: usize = 64;

/// The interval after `interval`: the one poll schedule (1, 2, 4, 8, then 10 s), which hosts
/// that draw their own progress take from here too.
pub fn next_interval_ms(interval: u64) -> u64 {
    interval.saturating_mul(2).min(MAX_INTERVAL_MS)
}

/// Polls `get` until the status is `target` (returns the resource), or until it is gone
/// when `target` is `deleted` (returns none).
pub fn wait_for<I: Io, T>(
    c: &Client<I>,
    what: &str,
    id: &str,
    target: &str,
    timeout_s: u32,
    get: impl Fn() -> Result<T, Error>,
    status_of: impl Fn(&T) -> &str,
) -> Result<Option<T>, Error> {
    let mut reached = None;
    poll(c, what, id, target, timeout_s, &mut || match get() {
        Ok(r) => {
            let status = status_of(&r).to_ascii_lowercase();
            if status == target {
                reached = Some(r);
            }
            Ok(Some(status))
        }
        Err(Error::NotFound(_)) if target == "deleted" => Ok(None),
        Err(e) => Err(e),
    })?;
    Ok(reached)
}

/// The loop of [`wait_for`], the same for every resource: `status` reads the current
/// status in lower case (`None`: the resource is gone, and that was the target).
fn poll<I: Io>(
    c: &Client<I>,
    what: &str,
    id: &str,
    target: &str,
    timeout_s: u32,
    status: &mut dyn FnMut() -> Result<Option<String>, Error>,
) -> Result<(), Error> {
    validate::status("status", target)?;
    let io = c.io();
    let deadline = io.now_ms().saturating_add(u64::from(timeout_s) * 1000);
    let mut interval = FIRST_INTERVAL_MS;
    loop {
        let Some(last) = status()? else {
            return Ok(());
        };
        if last == target {
            return Ok(());
        }
        if last.starts_with("error") {
            // Why, in one more request, only now that it failed.
            return Err(Error::ResourceFailed(Failure {
                resource_id: id.to_string(),
                reason: project::latest_reason(c, id),
                status: capped(&last, MAX_STATUS),
            }));
        }
        let now = io.now_ms();
        if now >= deadline {
            let last = capped(&last, MAX_STATUS);
            return Err(Error::WaitTimeout(format!(
                "{what} {id} is still {last} after {timeout_s} s (waiting for {target})"
            )));
        }
        io.sleep_ms(interval.min(deadline - now));
        interval = next_interval_ms(interval);
    }
}
