//! `cargo run --release -p host-test` (or `… -- demo`): the whole volume lifecycle through the
//! component against an embedded mock cloud, each step with its duration.

#[cfg(not(target_arch = "wasm32"))]
fn main() -> std::process::ExitCode {
    match std::env::args().nth(1).as_deref() {
        None | Some("demo") => {
            if host_test::demo::run() {
                std::process::ExitCode::SUCCESS
            } else {
                std::process::ExitCode::FAILURE
            }
        }
        Some(other) => {
            eprintln!("usage: host-test [demo] (unknown argument {other}); the CLI is `ibs`");
            std::process::ExitCode::from(2)
        }
    }
}

#[cfg(target_arch = "wasm32")]
fn main() {}
