//! `mock-cloud [--port N]`: the mock cloud as a separate process (for Node/Python tests).

#[cfg(not(target_arch = "wasm32"))]
fn main() {
    mock_cloud::cli::main()
}

#[cfg(target_arch = "wasm32")]
fn main() {}
