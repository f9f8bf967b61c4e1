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
    let bytes = std::fs::read(&wasm).expect("reading the component");
    let annotated = with_metadata(&bytes, &root);
    // The release artifact, with its package metadata: the file to publish.
    std::fs::write(target_dir.join("infomaniak_block_storage.wasm"), &annotated).expect("writing the component");
    let dest = out_dir.join("infomaniak_block_storage.wasm");
    std::fs::write(&dest, &annotated).expect("copying the component");
    println!("cargo:rustc-env=BLOCK_STORAGE_COMPONENT={}", dest.display());
}

/// Stamps the component with its package metadata (name, version, description, licence,
/// revision, and the source URL when `BLOCK_STORAGE_SOURCE_URL` names one), as the
/// custom sections OCI registries and `wkg` read.
fn with_metadata(wasm: &[u8], root: &Path) -> Vec<u8> {
    use wasm_metadata::{AddMetadata, AddMetadataField, Description, Licenses, Revision, Source, Version};
    println!("cargo:rerun-if-env-changed=BLOCK_STORAGE_SOURCE_URL");
    let revision = Command::new("git")
        .current_dir(root)
        .args(["rev-parse", "HEAD"])
        .output()
        .ok()
        .filter(|o| o.status.success())
        .map(|o| String::from_utf8_lossy(&o.stdout).trim().to_string());
    let source = env::var("BLOCK_STORAGE_SOURCE_URL").ok().filter(|s| !s.is_empty());
    let mut meta = AddMetadata::default();
    meta.name = AddMetadataField::Set("infomaniak-block-storage".into());
    meta.version = AddMetadataField::Set(Version::new(env!("CARGO_PKG_VERSION")));
    meta.description = AddMetadataField::Set(Description::new(
        "Block storage client for Infomaniak Public Cloud (OpenStack Cinder v3 + Nova) as a WASI 0.2 component",
    ));
    meta.licenses = AddMetadataField::Set(Licenses::new("Apache-2.0").expect("SPDX licence"));
    if let Some(r) = revision {
        meta.revision = AddMetadataField::Set(Revision::new(r));
    }
    if let Some(url) = source {
        let s = Source::new(&url).unwrap_or_else(|e| panic!("BLOCK_STORAGE_SOURCE_URL is not a URL: {e}"));
        meta.source = AddMetadataField::Set(s);
    }
    meta.to_wasm(wasm).expect("adding the component's metadata")
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
