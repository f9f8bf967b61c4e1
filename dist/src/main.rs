//! `cargo run -p component-dist`: builds the component to publish and prints its path and size.
//! `cargo run -p component-dist -- edge --block-storage-url URL --microversion 3.70 -o F`:
//! also builds the edge facade and writes the composed edge function to `F`.

use std::path::{Path, PathBuf};
use std::process::ExitCode;

use component_dist::edge::{self, Settings};

fn main() -> ExitCode {
    let root = PathBuf::from(env!("CARGO_MANIFEST_DIR"))
        .parent()
        .expect("dist/ lives in the workspace root")
        .to_path_buf();
    let target_root = std::env::var_os("CARGO_TARGET_DIR").map_or_else(|| root.join("target"), PathBuf::from);
    let args: Vec<String> = std::env::args().skip(1).collect();
    let done = match args.first().map(String::as_str) {
        None => component_dist::build(&root, &target_root),
        Some("edge") => edge_function(&root, &target_root, &args[1..]),
        Some(other) => Err(format!("unknown command {other:?} (none, or edge)")),
    };
    match done {
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

/// `edge --block-storage-url URL --microversion X.Y -o FILE`: the composed edge function.
fn edge_function(root: &Path, target_root: &Path, args: &[String]) -> Result<PathBuf, String> {
    let value = |flag: &str| {
        let at = args.iter().position(|a| a == flag);
        at.and_then(|i| args.get(i + 1)).cloned().ok_or_else(|| {
            format!("edge: {flag} is required (edge --block-storage-url URL --microversion X.Y -o FILE)")
        })
    };
    let settings = Settings {
        block_storage_url: value("--block-storage-url")?,
        microversion: value("--microversion")?,
    };
    let out = PathBuf::from(value("-o")?);
    settings.check()?;
    let read = |p: PathBuf| std::fs::read(&p).map_err(|e| format!("reading {}: {e}", p.display()));
    let block_storage = read(component_dist::build(root, target_root)?)?;
    let facade = read(edge::build_facade(root, target_root)?)?;
    let function = edge::compose(&facade, &block_storage, &settings)?;
    std::fs::write(&out, function).map_err(|e| format!("writing {}: {e}", out.display()))?;
    Ok(out)
}
