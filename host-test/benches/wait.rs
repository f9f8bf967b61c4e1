//! How soon `wait-for` sees a status change, and what it costs in requests: a volume whose
//! `creating` lasts 0.1 s to 60 s on the mock cloud, created and waited for through the
//! component. Prints a table for BENCHMARKS.md (about 80 s: the waits are real time).
//!
//! ```sh
//! cargo bench -p host-test --bench wait
//! ```

use std::time::{Duration, Instant};

use host_test::{spec, Host};
use mock_cloud::{MockCloud, MockOptions};

/// The transition times the issue asks for.
const TRANSITIONS_MS: [u64; 5] = [100, 500, 2_000, 10_000, 60_000];

/// One measured wait: how late the change was seen, and the polls it took.
struct Seen {
    late: Duration,
    polls: usize,
    first_minute: usize,
}

fn main() {
    let host = Host::new().expect("the component loads");
    println!("| transition | seen after the change | goal: within | met | polls (first minute) | old schedule: seen after, polls |");
    println!("|---|---|---|---|---|---|");
    for t in TRANSITIONS_MS {
        let seen = measure(&host, Duration::from_millis(t));
        let goal = (t / 5).max(250);
        let late = seen.late.as_millis() as u64;
        let (old_late, old_polls) = old_schedule(t);
        println!(
            "| {} s | {} ms | {goal} ms | {} | {} ({}) | {old_late} ms, {old_polls} |",
            t as f64 / 1000.0,
            late,
            if late <= goal { "yes" } else { "**no**" },
            seen.polls,
            seen.first_minute,
        );
    }
}

/// Creates a volume on a mock whose `creating` lasts `transition`, waits for it through the
/// component, and times the polls of the volume as the mock received them.
fn measure(host: &Host, transition: Duration) -> Seen {
    let cloud = MockCloud::start_with(MockOptions {
        transition,
        ..MockOptions::default()
    });
    let mut s = host.connect(&host_test::mock_config(&cloud)).expect("connect");
    let v = s.volume_create(&spec::volume(1, "waited")).expect("create");
    let created = Instant::now();
    s.volume_wait_for(&v.id, "available", 600).expect("wait");
    let seen = created.elapsed();
    let polls: Vec<_> = cloud
        .requests()
        .into_iter()
        .filter(|r| r.method == "GET" && r.path.ends_with(&v.id))
        .map(|r| r.at.saturating_duration_since(created))
        .collect();
    s.volume_delete(&v.id, false, false).expect("delete");
    let first_minute = polls.iter().filter(|t| **t <= Duration::from_secs(60)).count();
    Seen {
        late: seen.saturating_sub(transition),
        polls: polls.len(),
        first_minute,
    }
}

/// The schedule before (polls at 0, 1, 3, 7, 15 s, then every 10 s), on instant answers:
/// how late it sees a change at `t` ms, and in how many polls.
fn old_schedule(t: u64) -> (u64, usize) {
    let (mut at, mut interval, mut polls) = (0, 1_000, 1);
    while at < t {
        at += interval;
        interval = (interval * 2).min(10_000);
        polls += 1;
    }
    (at - t, polls)
}
