//! What one attach and one detach cost on the wire, through the component against the real
//! stack: counted by a [`Tap`] on the session's traffic.

use std::sync::{Arc, Mutex, PoisonError};

use host_test::{spec, Next, SendFuture, Tap};
use wasmtime_wasi_http::WasiBody;

use crate::common::host;
use crate::target::{ok, say, Ctx, Kind, Target};

/// Notes `METHOD path` of each request the component sends.
#[derive(Default)]
struct Counter(Mutex<Vec<String>>);

impl Counter {
    /// The requests since the last call.
    fn take(&self) -> Vec<String> {
        std::mem::take(&mut *self.0.lock().unwrap_or_else(PoisonError::into_inner))
    }
}

impl Tap for Counter {
    fn send(self: Arc<Self>, request: http::Request<WasiBody>, next: Next) -> SendFuture {
        let line = format!("{} {}", request.method(), request.uri().path());
        self.0.lock().unwrap_or_else(PoisonError::into_inner).push(line);
        next(request)
    }
}

/// Splits requests into the one action (anything but a GET) and the polls that follow it.
fn action_and_polls(requests: Vec<String>) -> (Vec<String>, Vec<String>) {
    requests.into_iter().partition(|r| !r.starts_with("GET "))
}

/// Attach is one POST to Nova, detach one DELETE; each `--wait` adds only GETs of the volume.
#[test]
fn real_stack_requests_per_attach_and_detach() {
    let t = match Target::open(Kind::RealStack, "requests") {
        Ok(t) => t,
        Err(why) => return say(&format!("acceptance requests per attach: SKIPPED: {why}")),
    };
    let server = t.server.clone().expect("the seeded server");
    let mut cx = Ctx::new(t, "requests");
    let v = cx.volume(spec::volume(1, &cx.name("counted")));
    let counter = Arc::new(Counter::default());
    cx.s = ok("connect", host().with_debug(counter.clone()).connect(&cx.t.cfg));
    counter.take();

    cx.attach(&v.id);
    let (attach, attach_polls) = action_and_polls(counter.take());
    assert_eq!(attach, [format!("POST /v2.1/servers/{server}/os-volume_attachments")]);
    cx.detach(&v.id);
    let (detach, detach_polls) = action_and_polls(counter.take());
    assert_eq!(
        detach,
        [format!("DELETE /v2.1/servers/{server}/os-volume_attachments/{}", v.id)]
    );
    for poll in attach_polls.iter().chain(&detach_polls) {
        assert!(poll.ends_with(&format!("/volumes/{}", v.id)), "{poll}");
    }
    say(&format!(
        "requests: attach 1 + {} polls until in-use, detach 1 + {} polls until available",
        attach_polls.len(),
        detach_polls.len()
    ));
}
