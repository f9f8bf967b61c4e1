//! Builds the edge facade (`edge/`, see `component-dist`'s `edge` module) for the edge
//! tests and benchmark, which compose it with the embedded component per mock cloud.

use std::env;
use std::path::{Path, PathBuf};

fn main() {
    if env::var("TARGET").is_ok_and(|t| t.starts_with("wasm32")) {
        return;
    }
    let manifest = PathBuf::from(env::var("CARGO_MANIFEST_DIR").expect("CARGO_MANIFEST_DIR"));
    let root = manifest
        .parent()
        .expect("host-test/ lives in the workspace root")
        .to_path_buf();
    let out_dir = PathBuf::from(env::var("OUT_DIR").expect("OUT_DIR"));
    let target_root = out_dir
        .ancestors()
        .find(|p| p.join("CACHEDIR.TAG").exists())
        .map(Path::to_path_buf)
        .unwrap_or_else(|| root.join("target"));
    for p in component_dist::edge::FACADE_INPUTS {
        println!("cargo:rerun-if-changed={}", root.join(p).display());
    }
    println!("cargo:rerun-if-env-changed=WASM_OPT");
    let facade = component_dist::edge::build_facade(&root, &target_root).unwrap_or_else(|e| panic!("{e}"));
    let dest = out_dir.join(component_dist::edge::FACADE_FILE);
    std::fs::copy(&facade, &dest).expect("copying the facade");
    println!("cargo:rustc-env=EDGE_FACADE={}", dest.display());
}
