//! The compiled-artifact cache: a component compiled by Cranelift once is kept on disk as
//! `<sha256 of the component>-<engine settings hash>.cwasm`, so later processes load native
//! code instead of compiling again.

use std::hash::{Hash, Hasher};
use std::path::Path;

use sha2::{Digest, Sha256};
use wasmtime::component::Component;
use wasmtime::Engine;

/// Loads `wasm` from the cache in `dir`, compiling and storing it on a miss (or when a
/// cached artifact no longer loads).
pub fn component(engine: &Engine, wasm: &[u8], dir: &Path) -> wasmtime::Result<Component> {
    let path = dir.join(key(engine, wasm));
    if path.exists() {
        // SAFETY: the artifact was written by `Component::serialize` for an engine with
        // the same settings (both are in the file name); `dir` is trusted by contract.
        if let Ok(c) = unsafe { Component::deserialize_file(engine, &path) } {
            return Ok(c);
        }
    }
    let component = Component::new(engine, wasm)?;
    // A failed write only costs the next start a compilation.
    let _ = std::fs::create_dir_all(dir).and_then(|()| {
        let bytes = component.serialize().map_err(std::io::Error::other)?;
        let tmp = path.with_extension(format!("tmp{}", std::process::id()));
        std::fs::write(&tmp, bytes)?;
        std::fs::rename(&tmp, &path)
    });
    Ok(component)
}

fn key(engine: &Engine, wasm: &[u8]) -> String {
    let digest = Sha256::digest(wasm);
    let mut settings = std::collections::hash_map::DefaultHasher::new();
    engine.precompile_compatibility_hash().hash(&mut settings);
    let hex: String = digest.iter().map(|b| format!("{b:02x}")).collect();
    format!("{hex}-{:016x}.cwasm", settings.finish())
}
