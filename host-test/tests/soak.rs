//! Load: 32 sessions in parallel, each in its own store, each running the whole lifecycle
//! 20 times against one mock cloud that breaks a few requests at random. No call may trap,
//! nothing may be left on the mock, and the host's memory must come back down.

mod common;

use std::sync::atomic::{AtomicUsize, Ordering};
use std::time::{Duration, Instant};

use common::*;
use host_test::lifecycle::{self, Created, Failure};
use mock_cloud::{FaultKind, MockCloud, MockOptions};

const SESSIONS: usize = 32;
const RUNS: usize = 20;
/// Share of requests answered with a fault instead of the real answer.
const FAULT_RATE: f64 = 0.01;

/// Resident set size of this process, in bytes.
fn rss() -> u64 {
    let statm = std::fs::read_to_string("/proc/self/statm").unwrap_or_default();
    let pages: u64 = statm
        .split_whitespace()
        .nth(1)
        .and_then(|p| p.parse().ok())
        .unwrap_or(0);
    pages * 4096
}

#[test]
fn soak_32_sessions_x_20_lifecycles_under_random_faults() {
    let cloud = MockCloud::start_with(MockOptions {
        transition: Duration::ZERO,
        ..MockOptions::default()
    });
    for q in ["volumes", "snapshots", "backups", "gigabytes", "backup_gigabytes"] {
        cloud.set_quota(q, -1);
    }
    // Warm up once so the baseline includes the compiled component and one store.
    drop(connect(&cloud));
    let before = rss();

    cloud.set_chaos(
        FAULT_RATE,
        vec![
            FaultKind::Status {
                status: 503,
                body: None,
                retry_after: None,
            },
            FaultKind::Status {
                status: 500,
                body: None,
                retry_after: None,
            },
            FaultKind::DropConnection,
        ],
    );
    let failed_runs = AtomicUsize::new(0);
    let started = Instant::now();
    let leftovers: Vec<Created> = std::thread::scope(|scope| {
        let workers: Vec<_> = (0..SESSIONS)
            .map(|i| {
                let cloud = &cloud;
                let failed_runs = &failed_runs;
                scope.spawn(move || {
                    let server = cloud.add_server(&format!("soak-{i}"));
                    let mut left = Vec::new();
                    // Connecting can meet a fault too: try again, as a caller would.
                    let mut s = (0..10)
                        .find_map(|_| host().connect(&app_cfg(cloud)).ok())
                        .expect("a session within 10 tries");
                    for _ in 0..RUNS {
                        let mut created = Created::default();
                        let mut quiet = |_: &str, _: &str, _: u128| {};
                        let outcome = lifecycle::run(&mut s, &server, &mut created, &mut quiet)
                            .or_else(|_| lifecycle::cleanup(&mut s, &mut created, &mut quiet));
                        if let Err(e) = outcome {
                            assert!(
                                !matches!(&e.failure, Failure::Call(c) if c.kind() == "trap"),
                                "session {i}: {e}"
                            );
                            failed_runs.fetch_add(1, Ordering::Relaxed);
                            left.push(created);
                        }
                    }
                    left
                })
            })
            .collect();
        workers.into_iter().flat_map(|w| w.join().expect("no panic")).collect()
    });
    let took = started.elapsed();
    let injected = cloud.chaos_injected();
    cloud.set_chaos(0.0, Vec::new());

    // What a failed clean-up left (its ids are known), removed once the faults stop.
    let unfinished = leftovers.len();
    let mut s = connect(&cloud);
    for mut created in leftovers {
        lifecycle::cleanup(&mut s, &mut created, &mut |_, _, _| {}).expect("clean-up without faults");
    }
    drop(s);
    let counts = cloud.counts();
    assert_eq!(
        (counts.volumes, counts.snapshots, counts.backups, counts.attachments),
        (0, 0, 0, 0),
        "leaked on the mock"
    );
    let after = rss();
    let requests = cloud.requests().len();
    say(&format!(
        "soak: {SESSIONS} sessions x {RUNS} lifecycles in {:.1} s, {requests} requests, {injected} faults injected, \
         {} runs failed on a fault (typed errors, no trap), {unfinished} clean-ups finished after the faults stopped, \
         0 resources left; host RSS {:.1} MiB before, {:.1} MiB after",
        took.as_secs_f64(),
        failed_runs.load(Ordering::Relaxed),
        before as f64 / 1048576.0,
        after as f64 / 1048576.0
    ));
    assert!(injected > 0, "the soak ran without faults");
    assert!(
        after < before + (128 << 20),
        "host memory grew from {before} to {after} bytes"
    );
}
