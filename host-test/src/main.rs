//! `host-test demo`: the whole lifecycle through the component against the mock cloud.

#[cfg(not(target_arch = "wasm32"))]
fn main() -> std::process::ExitCode {
    host_test::cli::main()
}

#[cfg(target_arch = "wasm32")]
fn main() {}
