//! The poll schedule on a virtual clock: how soon `wait-for` sees a status change, and how
//! many requests it spends, whatever the transition time and however slow the answers.

use super::*;
use crate::wait::delay_ms;

/// A cloud on a virtual clock: volume `v1` is `creating` until `at_ms`, then `available`;
/// every answer takes `answer_ms`. Records when each poll of the volume arrived.
struct Transition {
    clock_ms: Cell<u64>,
    at_ms: u64,
    answer_ms: u64,
    polls: RefCell<Vec<u64>>,
}

impl Transition {
    fn new(at_ms: u64, answer_ms: u64) -> Self {
        Self {
            clock_ms: Cell::new(0),
            at_ms,
            answer_ms,
            polls: RefCell::default(),
        }
    }

    /// Connects, then waits up to `timeout_s` from virtual time 0; returns the polls' times.
    fn wait(&self, timeout_s: u32) -> (Result<Option<Volume>, Error>, Vec<u64>) {
        let c = Client::connect(self, cfg()).unwrap();
        self.clock_ms.set(0);
        let r = resource::wait_for::<Volume, _>(&c, "v1", "available", timeout_s);
        (r, self.polls.take())
    }
}

impl Io for &Transition {
    fn send(&self, req: &Request) -> Result<Response, Error> {
        let now = self.clock_ms.get();
        self.sleep_ms(self.answer_ms);
        let (headers, body) = if req.url.ends_with("/auth/tokens") {
            (vec![("x-subject-token".into(), "tok1".into())], TOKEN_BODY.to_string())
        } else if req.url.ends_with("/volumes/v1") {
            self.polls.borrow_mut().push(now);
            let status = if now >= self.at_ms { "available" } else { "creating" };
            (vec![], format!(r#"{{"volume": {}}}"#, volume("v1", status)))
        } else {
            assert!(req.url.ends_with("/v3/"), "unexpected {}", req.url);
            (vec![], VERSIONS.to_string())
        };
        let status = if req.url.ends_with("/auth/tokens") { 201 } else { 200 };
        Ok(Response {
            status,
            headers,
            body: body.into_bytes(),
        })
    }
    fn now_ms(&self) -> u64 {
        self.clock_ms.get()
    }
    fn sleep_ms(&self, ms: u64) {
        self.clock_ms.set(self.clock_ms.get() + ms);
    }
    fn unix_time_s(&self) -> u64 {
        1_795_680_000 + self.clock_ms.get() / 1000
    }
    fn log(&self, _: &str) {}
}

/// The latency the schedule promises for a change at `at_ms`: 250 ms in the first second,
/// 20 % of the time waited from the first minute on, and 80 % in between (where 20 % would
/// need more than 12 polls in the first minute).
fn promised_ms(at_ms: u64) -> u64 {
    match at_ms {
        0..1_000 => 250,
        1_000..60_000 => at_ms * 4 / 5,
        _ => at_ms / 5,
    }
}

/// Transition times from 0 to 10 minutes: every 10 ms for two seconds, then 2 % apart.
fn transitions() -> impl Iterator<Item = u64> {
    let fine = (0..2_000).step_by(10);
    let coarse = std::iter::successors(Some(2_000u64), |t| Some(t + t / 50)).take_while(|t| *t < 600_000);
    fine.chain(coarse)
}

#[test]
fn a_change_is_seen_within_the_promised_time_whatever_the_transition_time() {
    for answer_ms in [0, 40, 300] {
        for at_ms in transitions() {
            let cloud = Transition::new(at_ms, answer_ms);
            let (r, polls) = cloud.wait(3_600);
            assert_eq!(r.unwrap().unwrap().status, "available");
            let seen = *polls.last().unwrap();
            let late = seen - at_ms;
            // A poll already under way when the change happens costs one more answer time.
            let allowed = promised_ms(at_ms) + answer_ms;
            assert!(
                late <= allowed,
                "change at {at_ms} ms, answers {answer_ms} ms: seen {late} ms late > {allowed}"
            );
        }
    }
}

#[test]
fn the_first_minute_holds_at_most_12_polls_and_each_later_minute_6() {
    for answer_ms in [0, 40, 300, 2_000] {
        for timeout_s in [1, 5, 59, 60, 61, 95, 3_600] {
            let (r, polls) = Transition::new(u64::MAX, answer_ms).wait(timeout_s);
            assert!(matches!(r, Err(Error::WaitTimeout(_))), "{r:?}");
            let first_minute = polls.iter().filter(|t| **t <= 60_000).count();
            assert!(
                first_minute <= 12,
                "{first_minute} polls in the first minute: {polls:?}"
            );
            for (i, start) in polls.iter().enumerate().filter(|(_, t)| **t >= 60_000) {
                let in_minute = polls[i..].iter().take_while(|t| **t < start + 60_000).count();
                assert!(
                    in_minute <= 6,
                    "{in_minute} polls in the minute from {start} ms: {polls:?}"
                );
            }
            let answered = polls.last().unwrap() + answer_ms;
            let deadline = u64::from(timeout_s) * 1_000;
            assert!(
                answered >= deadline,
                "gave up at {answered} ms, before its {deadline} ms"
            );
        }
    }
}

#[test]
fn a_later_poll_never_comes_sooner() {
    // The next poll's time never decreases with the time waited, so slow answers only push
    // polls later: the bounds above hold for any answer time, not just the ones tried.
    let mut last_next = 0;
    for waited in (0..4_000_000).step_by(7) {
        let next = waited + delay_ms(waited);
        assert!(
            next >= last_next,
            "after {waited} ms the next poll comes at {next}, before {last_next}"
        );
        assert!(delay_ms(waited) >= 250 && delay_ms(waited) <= 30_000);
        last_next = next;
    }
}
