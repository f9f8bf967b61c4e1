//! `cargo run -p component-dist`: builds the component to publish and prints its path and size.

use std::path::PathBuf;
use std::process::ExitCode;

fn main() -> ExitCode {
    let root = PathBuf::from(env!("CARGO_MANIFEST_DIR"))
        .parent()
        .expect("dist/ lives in the workspace root")
        .to_path_buf();
    let target_root = std::env::var_os("CARGO_TARGET_DIR").map_or_else(|| root.join("target"), PathBuf::from);
    match component_dist::build(&root, &target_root) {
        Ok(path) => {
            let size = std::fs::metadata(&path).map(|m| m.len()).unwrap_or(0);
            println!("{} ({size} bytes)", path.display());
            ExitCode::SUCCESS
        }
        Err(e) => {
            eprintln!("component-dist: {e}");
            ExitCode::FAILURE
        }
    }
}
