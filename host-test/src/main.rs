//! `host-test`: volumes, snapshots and backups through the component, the way
//! python-openstackclient does them (see `cli.rs`), and `host-test demo`.

#[cfg(not(target_arch = "wasm32"))]
fn main() -> std::process::ExitCode {
    host_test::cli::main()
}

#[cfg(target_arch = "wasm32")]
fn main() {}
