//! `mock-cloud [--port N]`: run the mock in the foreground, print one line of
//! JSON describing it, serve until killed.

use crate::{MockCloud, MockOptions, APP_CRED_ID, APP_CRED_SECRET};

/// The `mock-cloud` command line: run the mock in the foreground until killed.
pub fn main() {
    let mut port: u16 = 0;
    let mut servers: Vec<String> = Vec::new();
    let mut opts = MockOptions::default();
    let mut args = std::env::args().skip(1);
    while let Some(a) = args.next() {
        match a.as_str() {
            "--port" => {
                port = match args.next().and_then(|p| p.parse().ok()) {
                    Some(p) => p,
                    None => {
                        eprintln!("usage: mock-cloud [--port N] [--server NAME]... [--admin] [--transition-ms N]");
                        std::process::exit(2);
                    }
                }
            }
            "--server" => match args.next() {
                Some(n) => servers.push(n),
                None => {
                    eprintln!("usage: mock-cloud [--port N] [--server NAME]... [--admin] [--transition-ms N]");
                    std::process::exit(2);
                }
            },
            "--admin" => opts.admin = true,
            "--transition-ms" => match args.next().and_then(|p| p.parse().ok()) {
                Some(ms) => opts.transition = std::time::Duration::from_millis(ms),
                None => {
                    eprintln!("--transition-ms needs a number");
                    std::process::exit(2);
                }
            },
            "-h" | "--help" => {
                println!("usage: mock-cloud [--port N] [--server NAME]... [--admin] [--transition-ms N]");
                return;
            }
            other => {
                eprintln!("unknown argument {other}; usage: mock-cloud [--port N] [--server NAME]... [--admin] [--transition-ms N]");
                std::process::exit(2);
            }
        }
    }
    let cloud = match MockCloud::start_on(opts, port) {
        Ok(c) => c,
        Err(e) => {
            eprintln!("mock-cloud: cannot listen on 127.0.0.1:{port}: {e}");
            std::process::exit(1);
        }
    };
    let server_ids: Vec<String> = servers.iter().map(|n| cloud.add_server(n)).collect();
    let line = serde_json::json!({
        "server_ids": server_ids,
        "base_url": cloud.base_url(),
        "auth_url": cloud.auth_url(),
        "block_storage_url": cloud.block_storage_url(),
        "compute_url": cloud.compute_url(),
        "project_id": cloud.project_id(),
        "app_cred_id": APP_CRED_ID,
        "app_cred_secret": APP_CRED_SECRET,
    });
    println!("{line}");
    use std::io::Write;
    let _ = std::io::stdout().flush();
    loop {
        std::thread::park();
    }
}
