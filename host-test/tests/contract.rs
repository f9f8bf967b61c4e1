//! The built component's shape: the world it exports and the capabilities it imports.

use host_test::Host;

#[test]
fn imports_only_http_io_clocks_and_stderr() {
    let host = Host::new().unwrap();
    let imports = host.imports();
    println!("{imports:#?}");
    let allowed = [
        "wasi:http/",
        "wasi:io/",
        "wasi:clocks/",
        "wasi:cli/stderr",
        "wasi:cli/environment",
        "wasi:cli/exit",
        "wasi:random/",
    ];
    for i in &imports {
        assert!(allowed.iter().any(|a| i.starts_with(a)), "unexpected import {i}");
        assert!(
            !i.contains("filesystem") && !i.contains("sockets"),
            "capability import {i}"
        );
    }
    assert!(imports.iter().any(|i| i.starts_with("wasi:http/outgoing-handler")));
}
