//! The one waiter: polls a resource until it reaches a status, fails fast on `error*`
//! (with Cinder's newest user message about it as the reason), and treats `deleted` as
//! "until 404".

use crate::client::Client;
use crate::error::capped;
use crate::http::Io;
use crate::prelude::*;
use crate::{project, validate, Error, Failure};

/// Polling interval during the first second, where most Cinder transitions land (a volume
/// is `available` about 0.5 s after its create).
pub const FAST_INTERVAL_MS: u64 = 250;
/// How long polls stay [`FAST_INTERVAL_MS`] apart.
const FAST_PHASE_MS: u64 = 1_000;
/// The first minute, which may hold at most 12 polls.
const FIRST_MINUTE_MS: u64 = 60_000;
/// After the first minute, polls are at least this far apart (at most 6 a minute)...
const MIN_LATER_MS: u64 = 10_000;
/// ... and at most this far apart, so a long wait still notices within half a minute.
pub const MAX_INTERVAL_MS: u64 = 30_000;
/// Longest status kept in an error (Cinder's longest, `awaiting-transfer`, has 17).
const MAX_STATUS: usize = 64;

/// The one poll schedule: how long to sleep before the next poll, given the time already
/// waited (hosts that draw their own progress take it from here too).
///
/// A change is seen within 250 ms during the first second and within 20 % of the time
/// waited from the first minute on; the first minute holds at most 12 polls and each later
/// minute at most 6. Between 1 s and 60 s both cannot hold (20 % would take about 26 polls
/// in the first minute), so there the request bound wins: each poll comes at 1.8 times the
/// time waited (a change is seen within 80 % of it), and one lands at 60 s.
pub fn delay_ms(waited_ms: u64) -> u64 {
    let w = waited_ms;
    if w < FAST_PHASE_MS {
        FAST_INTERVAL_MS
    } else if w < FIRST_MINUTE_MS {
        (w * 4 / 5).min((FIRST_MINUTE_MS - w).max(w / 5))
    } else {
        (w / 5).clamp(MIN_LATER_MS, MAX_INTERVAL_MS)
    }
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
    let start = io.now_ms();
    let deadline = start.saturating_add(u64::from(timeout_s) * 1000);
    loop {
        let sent = io.now_ms();
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
        // The schedule counts from when each poll was sent, so slow answers do not stretch it.
        let next = sent.saturating_add(delay_ms(sent.saturating_sub(start)));
        io.sleep_ms(next.saturating_sub(now).min(deadline - now));
    }
}
