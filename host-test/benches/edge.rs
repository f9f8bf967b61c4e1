//! `cargo bench -p host-test --bench edge`: the edge function's cost, against the mock
//! cloud with no delays. Prints the composed function's size, the requests `connect` sends
//! on the cold path (token, block storage URL, pinned microversion), the Cinder requests
//! per facade call, and the median and p95 latency of one volume's `GET`:
//!
//! 1. the plain component through the host library, one session kept open;
//! 2. the plain component, a fresh store and `connect` per call (what a serverless
//!    instance per request costs without HTTP);
//! 3. `GET /volumes/{id}` through the composed function under the host's serve mode (one
//!    fresh store per request), over one keep-alive connection.
//!
//! `BENCH_QUICK=1` runs a tenth.

use std::time::{Duration, Instant};

use host_test::edge::{function, serve, Client, MICROVERSION};
use host_test::{spec, Config, Credentials, Host, Log};
use mock_cloud::{MockCloud, MockOptions};

/// Times `call` `n` times; (median, p95).
fn timed(n: usize, mut call: impl FnMut()) -> (Duration, Duration) {
    let mut all: Vec<Duration> = (0..n)
        .map(|_| {
            let t = Instant::now();
            call();
            t.elapsed()
        })
        .collect();
    all.sort();
    (all[n / 2], all[n * 95 / 100])
}

fn show(what: &str, (median, p95): (Duration, Duration)) {
    println!("{what:<58} median {median:>10.3?}  p95 {p95:>10.3?}");
}

fn main() {
    let n = if std::env::var_os("BENCH_QUICK").is_some() {
        100
    } else {
        1_000
    };
    let cloud = MockCloud::start_with(MockOptions {
        transition: Duration::ZERO,
        ..MockOptions::default()
    });
    let id = cloud.seed_volumes("edge-bench-", 1).remove(0);
    let url = cloud.block_storage_url();
    let token = cloud.issue_token();
    let cfg = Config {
        block_storage_url: Some(url.clone()),
        microversion: Some(MICROVERSION.into()),
        ..spec::config("", Credentials::Token(token.clone()))
    };
    let host = Host::new().expect("component loads").with_log(Log::Capture);

    cloud.clear_requests();
    let mut session = host.connect(&cfg).expect("connect");
    println!(
        "cold path: connect with token, block-storage-url and microversion {MICROVERSION} sent {} requests",
        cloud.requests().len()
    );

    let wasm = function(&url);
    println!("composed edge function: {} bytes", wasm.len());
    let addr = serve(&wasm, &url);
    let mut client = Client::connect(addr);
    let path = format!("/volumes/{id}");
    let headers = [("x-auth-token", token.as_str())];
    let get = |client: &mut Client| assert_eq!(client.call("GET", &path, &headers, "").status, 200);
    get(&mut client);
    cloud.clear_requests();
    get(&mut client);
    println!(
        "Cinder requests per GET /volumes/{{id}} through the function: {}",
        cloud.requests().len()
    );

    show(
        "1. component, one session: get",
        timed(n, || {
            session.volume_get(&id).expect("get");
        }),
    );
    show(
        "2. component, new store + connect per call: get",
        timed(n, || {
            host.connect(&cfg).expect("connect").volume_get(&id).expect("get");
        }),
    );
    show(
        "3. edge function, host serve: GET /volumes/{id}",
        timed(n, || get(&mut client)),
    );
}
