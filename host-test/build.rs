//! Builds the edge facade (`edge/`, see `component-dist`'s `edge` module) for the edge
//! tests and benchmark, which compose it with the embedded component per mock cloud.

use std::env;

fn main() {
    if env::var("TARGET").is_ok_and(|t| t.starts_with("wasm32")) {
        return;
    }
    let component_dist::BuildDirs {
        root,
        out_dir,
        target_root,
    } = component_dist::build_dirs();
    for p in component_dist::edge::FACADE_INPUTS {
        println!("cargo:rerun-if-changed={}", root.join(p).display());
    }
    println!("cargo:rerun-if-env-changed=WASM_OPT");
    let facade = component_dist::edge::build_facade(&root, &target_root).unwrap_or_else(|e| panic!("{e}"));
    let dest = out_dir.join(component_dist::edge::FACADE_FILE);
    std::fs::copy(&facade, &dest).expect("copying the facade");
    println!("cargo:rustc-env=EDGE_FACADE={}", dest.display());
}
