//! The demo: starts the embedded mock cloud and runs the whole lifecycle through the
//! component, printing each step with its duration.

use std::time::Instant;

use crate::lifecycle::{self, Created};
use crate::Host;
use mock_cloud::{MockCloud, MockOptions};

/// Runs the demo; false if any step failed or anything was left behind.
pub fn run() -> bool {
    let t0 = Instant::now();
    let cloud = MockCloud::start_with(MockOptions::default());
    let server = cloud.add_server("demo-server");
    println!(
        "mock cloud on {} (Keystone {}, project {})",
        cloud.base_url(),
        cloud.auth_url(),
        cloud.project_id()
    );

    let start = Instant::now();
    let host = match Host::new() {
        Ok(h) => h,
        Err(e) => {
            eprintln!("loading the component failed: {e}");
            return false;
        }
    };
    println!(
        "{:<38} {:>6} ms  compiled {} bytes",
        "load component",
        start.elapsed().as_millis(),
        crate::COMPONENT.len()
    );

    let cfg = crate::mock_config(&cloud);
    let start = Instant::now();
    let mut session = match host.connect(&cfg) {
        Ok(s) => s,
        Err(e) => {
            eprintln!("connect FAILED {e}");
            return false;
        }
    };
    let mv = session.microversion().unwrap_or_default();
    let url = session.block_storage_url().unwrap_or_default();
    println!(
        "{:<38} {:>6} ms  {url} (microversion {mv})",
        "connect",
        start.elapsed().as_millis()
    );

    let mut report = |name: &str, result: &str, ms: u128| println!("{name:<38} {ms:>6} ms  {result}");
    let mut created = Created::default();
    let outcome = lifecycle::run(&mut session, &server, &mut created, &mut report);
    if let Err(e) = outcome {
        eprintln!("lifecycle failed at {e}");
        let _ = lifecycle::cleanup(&mut session, &mut created, &mut report);
        return false;
    }
    let left = cloud.counts();
    let leaked = left.volumes + left.snapshots + left.backups + left.attachments;
    println!(
        "done in {:.1} s: {} requests to the mock, {} resources left",
        t0.elapsed().as_secs_f64(),
        cloud.requests().len(),
        leaked
    );
    if leaked > 0 {
        eprintln!("resources left on the mock: {left:?}");
        return false;
    }
    true
}
