//! `mock-cloud [options]`: run the mock in the foreground, print one line of
//! JSON describing it, serve until killed.

use crate::{MockCloud, MockOptions, APP_CRED_ID, APP_CRED_SECRET};

const USAGE: &str = "usage: mock-cloud [--port N] [--server NAME]... [--admin] [--transition-ms N]
                  [--project-id ID] [--cinder-url URL] [--service-ports] [--no-glance]
  --port N           listen on 127.0.0.1:N (default: any free port)
  --server NAME      add an ACTIVE Nova server (repeatable); ids are printed
  --admin            the token's user is an admin (force-delete allowed)
  --transition-ms N  how long transitional statuses last (default 300)
  --project-id ID    the project (default 0123456789abcdef0123456789abcdef)
  --cinder-url URL   put Nova (and the catalog's block-storage) in front of another
                     Cinder, e.g. http://127.0.0.1:8776/v3/<project>; Nova then
                     forwards any token to it unchecked
  --service-ports    Keystone, Cinder and Nova each on a port of its own (the
                     catalog names them; base_url is Keystone's)
  --no-glance        no image service: os-volume_upload_image fails as on a
                     Cinder without Glance (400)";

fn usage_error(msg: &str) -> ! {
    eprintln!("{msg}\n{USAGE}");
    std::process::exit(2)
}

/// The `mock-cloud` command line: run the mock in the foreground until killed.
pub fn main() {
    let mut port: u16 = 0;
    let mut servers: Vec<String> = Vec::new();
    let mut opts = MockOptions::default();
    let mut args = std::env::args().skip(1);
    while let Some(a) = args.next() {
        let mut value = || {
            args.next()
                .unwrap_or_else(|| usage_error(&format!("{a} needs a value")))
        };
        match a.as_str() {
            "--port" => port = value().parse().unwrap_or_else(|_| usage_error("--port needs a number")),
            "--server" => servers.push(value()),
            "--admin" => opts.admin = true,
            "--service-ports" => opts.service_ports = true,
            "--no-glance" => opts.glance = false,
            "--transition-ms" => {
                let ms = value()
                    .parse()
                    .unwrap_or_else(|_| usage_error("--transition-ms needs a number"));
                opts.transition = std::time::Duration::from_millis(ms);
            }
            "--project-id" => opts.project_id = value(),
            "--cinder-url" => opts.cinder_url = Some(value()),
            "-h" | "--help" => {
                println!("{USAGE}");
                return;
            }
            other => usage_error(&format!("unknown argument {other}")),
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
