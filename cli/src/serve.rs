//! `ibs serve`: the host library's serve mode (the wasmtime-wasi-http proxy path that
//! `wasmtime serve` takes) for a wasi:http/proxy component such as the edge function.

use std::net::TcpListener;

use infomaniak_block_storage_host::Server;

use crate::args::ServeArgs;
use crate::stderr::Masker;
use crate::CliError;

/// Compiles the component, binds, says where it listens (stdout, one line, so a script can
/// read the port), then serves until accepting fails.
pub fn run(a: &ServeArgs, out: &Masker) -> Result<(), CliError> {
    let path = a.function.display();
    let wasm = std::fs::read(&a.function)
        .map_err(|e| CliError::new("invalid-input", format!("function: cannot read {path}: {e}")))?;
    let allowed: Vec<&str> = a.allow.iter().map(String::as_str).collect();
    let server = Server::from_bytes(&wasm)?.allowing(&allowed);
    let listener = TcpListener::bind(&a.listen)
        .map_err(|e| CliError::new("invalid-input", format!("listen: cannot bind {}: {e}", a.listen)))?;
    let addr = listener
        .local_addr()
        .map_err(|e| CliError::new("transport", format!("listen: {e}")))?;
    if a.allow.is_empty() {
        out.print("warning: no --allow: the function can reach no origin");
    }
    println!("serving {path} on http://{addr}");
    Ok(server.serve(listener)?)
}
