//! Builds the published component (see the `component-dist` crate) from the workspace's
//! sources, so `cargo test` and every host build embed the component of the current sources:
//! the very file `cargo run -p component-dist` writes to publish.
//! `BLOCK_STORAGE_WASM=path` embeds a prebuilt component (e.g. a released one) instead.

use std::env;
use std::path::PathBuf;

fn main() {
    // `cargo build --target wasm32-wasip2` at the root compiles this crate to nothing.
    if env::var("TARGET").is_ok_and(|t| t.starts_with("wasm32")) {
        return;
    }
    let component_dist::BuildDirs {
        root,
        out_dir,
        target_root,
    } = component_dist::build_dirs();

    println!("cargo:rerun-if-env-changed=BLOCK_STORAGE_WASM");
    println!("cargo:rerun-if-env-changed=BLOCK_STORAGE_SOURCE_URL");
    println!("cargo:rerun-if-env-changed=WASM_OPT");
    let (embedded, published) = match env::var("BLOCK_STORAGE_WASM") {
        Ok(prebuilt) => {
            println!("cargo:rerun-if-changed={prebuilt}");
            (PathBuf::from(&prebuilt), PathBuf::from(prebuilt))
        }
        Err(_) => {
            for p in component_dist::INPUTS {
                println!("cargo:rerun-if-changed={}", root.join(p).display());
            }
            let built = component_dist::build(&root, &target_root).unwrap_or_else(|e| panic!("{e}"));
            (built.clone(), built)
        }
    };
    let dest = out_dir.join(component_dist::FILE_NAME);
    std::fs::copy(&embedded, &dest).expect("copying the component");
    println!("cargo:rustc-env=BLOCK_STORAGE_COMPONENT={}", dest.display());
    // Where the published file is, for the test that compares it with the embedded bytes.
    println!("cargo:rustc-env=BLOCK_STORAGE_PUBLISHED={}", published.display());
}
