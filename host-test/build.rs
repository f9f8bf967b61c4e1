//! Builds the guest component (`wasm32-wasip2`, release) so that `cargo test` and
//! `cargo run -p host-test` always run the component of the current sources. The nested
//! cargo gets its own target dir (the outer one is locked) and a clean flag environment.

use std::env;
use std::path::{Path, PathBuf};
use std::process::Command;

fn main() {
    // `cargo build --target wasm32-wasip2` at the root compiles this crate to nothing.
    if env::var("TARGET").is_ok_and(|t| t.starts_with("wasm32")) {
        return;
    }
    let manifest = PathBuf::from(env::var("CARGO_MANIFEST_DIR").expect("CARGO_MANIFEST_DIR"));
    let root = manifest
        .parent()
        .expect("host-test lives in the workspace root")
        .to_path_buf();
    let out_dir = PathBuf::from(env::var("OUT_DIR").expect("OUT_DIR"));
    // The outer target dir is the ancestor cargo marked with CACHEDIR.TAG.
    let target_root = out_dir
        .ancestors()
        .find(|p| p.join("CACHEDIR.TAG").exists())
        .map(Path::to_path_buf)
        .unwrap_or_else(|| root.join("target"));
    let target_dir = target_root.join("component");

    // A prebuilt component (e.g. a released one) can be tested instead of the sources.
    println!("cargo:rerun-if-env-changed=BLOCK_STORAGE_WASM");
    if let Ok(prebuilt) = env::var("BLOCK_STORAGE_WASM") {
        let dest = out_dir.join("infomaniak_block_storage.wasm");
        std::fs::copy(&prebuilt, &dest).expect("copying BLOCK_STORAGE_WASM");
        println!("cargo:rerun-if-changed={prebuilt}");
        println!("cargo:rustc-env=BLOCK_STORAGE_COMPONENT={}", dest.display());
        return;
    }
    for p in ["src", "wit", "Cargo.toml", "Cargo.lock"] {
        println!("cargo:rerun-if-changed={}", root.join(p).display());
    }

    ensure_wasm_target();
    let cargo = env::var("CARGO").unwrap_or_else(|_| "cargo".into());
    let status = Command::new(cargo)
        .current_dir(&root)
        .args([
            "build",
            "--release",
            "--target",
            "wasm32-wasip2",
            "-p",
            "infomaniak-block-storage",
        ])
        .arg("--target-dir")
        .arg(&target_dir)
        .env_remove("RUSTFLAGS")
        .env_remove("CARGO_ENCODED_RUSTFLAGS")
        .env_remove("CARGO_BUILD_RUSTFLAGS")
        .env_remove("CARGO_TARGET_DIR")
        .env_remove("CARGO_BUILD_TARGET")
        .env_remove("RUSTC_WORKSPACE_WRAPPER")
        // The shipped component is built with LTO; the host keeps fast release builds.
        .env("CARGO_PROFILE_RELEASE_LTO", "true")
        .status()
        .expect("running cargo for the wasm32-wasip2 component");
    assert!(
        status.success(),
        "building the component failed; is the target installed? (rustup target add wasm32-wasip2)"
    );
    let wasm = target_dir.join("wasm32-wasip2/release/infomaniak_block_storage.wasm");
    let dest = out_dir.join("infomaniak_block_storage.wasm");
    std::fs::copy(&wasm, &dest).expect("copying the component");
    println!("cargo:rustc-env=BLOCK_STORAGE_COMPONENT={}", dest.display());
}

/// Installs the `wasm32-wasip2` standard library with rustup when it is missing, so a
/// fresh checkout needs no set-up step of its own.
fn ensure_wasm_target() {
    let rustc = env::var("RUSTC").unwrap_or_else(|_| "rustc".into());
    let libdir = Command::new(rustc)
        .args(["--print", "target-libdir", "--target", "wasm32-wasip2"])
        .output();
    let present = libdir
        .ok()
        .filter(|o| o.status.success())
        .map(|o| PathBuf::from(String::from_utf8_lossy(&o.stdout).trim()))
        .is_some_and(|dir| std::fs::read_dir(&dir).is_ok_and(|mut d| d.next().is_some()));
    if !present {
        println!("cargo:warning=installing the wasm32-wasip2 target with rustup");
        let _ = Command::new("rustup").args(["target", "add", "wasm32-wasip2"]).status();
    }
}
