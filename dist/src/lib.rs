//! The one build of the published component: `cargo build --release --target wasm32-wasip2`
//! of the guest with LTO and a clean flag environment, shrunk by binaryen's `wasm-opt -Oz`
//! (installed with apt-get when missing; `WASM_OPT` names another), stamped with its package
//! metadata (name, version, description, licence, git revision, source URL), written to
//! `target/component/infomaniak_block_storage.wasm`.
//!
//! `cargo run -p component-dist` runs it by hand (the file to publish); the host library's
//! build script runs the same function and embeds that same file, and a test of the host
//! library checks that the two are byte for byte the same.

#![deny(missing_docs)]

use std::env;
use std::path::{Path, PathBuf};
use std::process::Command;

pub mod edge;
mod shrink;

/// File name of the published component.
pub const FILE_NAME: &str = "infomaniak_block_storage.wasm";

/// The inputs whose change means a rebuild: the guest's sources, contract and manifests.
pub const INPUTS: &[&str] = &["src", "wit", "build.rs", "Cargo.toml", "Cargo.lock"];

/// Where a build script of this workspace works (see [`build_dirs`]).
pub struct BuildDirs {
    /// The workspace root: the parent of the crate's manifest directory.
    pub root: PathBuf,
    /// The script's `OUT_DIR`.
    pub out_dir: PathBuf,
    /// The outer target directory: the ancestor of `OUT_DIR` cargo marked with
    /// `CACHEDIR.TAG` (`root/target` when none is).
    pub target_root: PathBuf,
}

/// The directories of the calling build script, from cargo's environment.
pub fn build_dirs() -> BuildDirs {
    let var = |k: &str| PathBuf::from(env::var(k).unwrap_or_else(|_| panic!("{k} is not set")));
    let manifest = var("CARGO_MANIFEST_DIR");
    let root = manifest
        .parent()
        .expect("the crate lives in the workspace root")
        .to_path_buf();
    let out_dir = var("OUT_DIR");
    let target_root = out_dir
        .ancestors()
        .find(|p| p.join("CACHEDIR.TAG").exists())
        .map(Path::to_path_buf)
        .unwrap_or_else(|| root.join("target"));
    BuildDirs {
        root,
        out_dir,
        target_root,
    }
}

/// The published component's path under a workspace target directory.
pub fn artifact(target_root: &Path) -> PathBuf {
    target_root.join("component").join(FILE_NAME)
}

/// Builds the component of the workspace at `root` into `target_root/component/` and
/// returns the path of the stamped artifact.
pub fn build(root: &Path, target_root: &Path) -> Result<PathBuf, String> {
    let target_dir = target_root.join("component");
    let bytes = cargo_wasm(root, &target_dir, "infomaniak-block-storage", FILE_NAME)?;
    let shrunk = shrink::shrink(&bytes, &target_dir)?;
    let stamped = with_metadata(&shrunk, root)?;
    let out = artifact(target_root);
    std::fs::write(&out, stamped).map_err(|e| format!("writing {}: {e}", out.display()))?;
    Ok(out)
}

/// `cargo build --release --target wasm32-wasip2 -p package` with LTO and a clean flag
/// environment into `target_dir`; returns the bytes of the built `file`.
fn cargo_wasm(root: &Path, target_dir: &Path, package: &str, file: &str) -> Result<Vec<u8>, String> {
    ensure_wasm_target();
    let cargo = env::var("CARGO").unwrap_or_else(|_| "cargo".into());
    let status = Command::new(cargo)
        .current_dir(root)
        .args(["build", "--release", "--target", "wasm32-wasip2", "-p", package])
        .arg("--target-dir")
        .arg(target_dir)
        .env_remove("RUSTFLAGS")
        .env_remove("CARGO_ENCODED_RUSTFLAGS")
        .env_remove("CARGO_BUILD_RUSTFLAGS")
        .env_remove("CARGO_TARGET_DIR")
        .env_remove("CARGO_BUILD_TARGET")
        .env_remove("RUSTC_WORKSPACE_WRAPPER")
        // The shipped components are built with LTO; host builds keep fast release builds.
        .env("CARGO_PROFILE_RELEASE_LTO", "true")
        .status()
        .map_err(|e| format!("running cargo for the wasm32-wasip2 component {package}: {e}"))?;
    if !status.success() {
        return Err(format!(
            "building {package} failed; is the target installed? (rustup target add wasm32-wasip2)"
        ));
    }
    let built = target_dir.join("wasm32-wasip2/release").join(file);
    std::fs::read(&built).map_err(|e| format!("reading {}: {e}", built.display()))
}

/// Stamps the component with its package metadata (name, version, description, licence,
/// revision, and the source URL when `BLOCK_STORAGE_SOURCE_URL` names one), as the
/// custom sections OCI registries and `wkg` read.
fn with_metadata(wasm: &[u8], root: &Path) -> Result<Vec<u8>, String> {
    use wasm_metadata::{AddMetadata, AddMetadataField, Description, Licenses, Revision, Source, Version};
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
    meta.version = AddMetadataField::Set(Version::new(guest_version(root)?));
    meta.description = AddMetadataField::Set(Description::new(
        "Block storage client for Infomaniak Public Cloud (OpenStack Cinder v3 + Nova) as a WASI 0.2 component",
    ));
    meta.licenses = AddMetadataField::Set(Licenses::new("Apache-2.0").expect("SPDX licence"));
    if let Some(r) = revision {
        meta.revision = AddMetadataField::Set(Revision::new(r));
    }
    if let Some(url) = source {
        let s = Source::new(&url).map_err(|e| format!("BLOCK_STORAGE_SOURCE_URL is not a URL: {e}"))?;
        meta.source = AddMetadataField::Set(s);
    }
    meta.to_wasm(wasm)
        .map_err(|e| format!("adding the component's metadata: {e}"))
}

/// The guest package's `version` (the `[package]` table of the workspace's root manifest).
fn guest_version(root: &Path) -> Result<String, String> {
    let manifest = std::fs::read_to_string(root.join("Cargo.toml")).map_err(|e| format!("Cargo.toml: {e}"))?;
    let package = manifest
        .split("\n[")
        .find(|t| t.starts_with("package]"))
        .ok_or("Cargo.toml has no [package]")?;
    package
        .lines()
        .find_map(|l| l.strip_prefix("version = "))
        .map(|v| v.trim().trim_matches('"').to_string())
        .ok_or_else(|| "Cargo.toml's [package] has no version".into())
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
        eprintln!("installing the wasm32-wasip2 target with rustup");
        let _ = Command::new("rustup").args(["target", "add", "wasm32-wasip2"]).status();
    }
}
