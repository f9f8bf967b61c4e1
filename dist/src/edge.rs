//! The edge function: the `wasi:http/proxy` facade (`edge/`), the published block-storage
//! component and a generated config component composed into one component with
//! `wac-graph` (what `wac plug` does). The composition imports only what the facade and
//! the block-storage component import from WASI: a subset of the `wasi:http/proxy` world.

use std::fmt::Write as _;
use std::path::{Path, PathBuf};

use wac_graph::types::Package;
use wac_graph::{CompositionGraph, EncodeOptions};

/// File name of the built facade.
pub const FACADE_FILE: &str = "infomaniak_block_storage_edge.wasm";
/// The inputs whose change means a rebuild of the facade.
pub const FACADE_INPUTS: &[&str] = &["edge/src", "edge/wit", "edge/Cargo.toml", "wit", "src/wasm_rt.rs"];
/// The interface the facade reads its settings from.
const CONFIG_INTERFACE: &str = "infomaniak:block-storage-edge/config@0.1.0";

/// A deployment's settings, fixed in the composed function (never taken from a caller).
#[derive(Clone, Debug)]
pub struct Settings {
    /// Block storage base URL with the project, e.g. `https://host/volume/v3/<project-id>`.
    pub block_storage_url: String,
    /// The pinned Cinder microversion, e.g. `3.70`.
    pub microversion: String,
}

impl Settings {
    /// Checks the settings, naming the one at fault.
    pub fn check(&self) -> Result<(), String> {
        let url = &self.block_storage_url;
        if !(url.starts_with("https://") || url.starts_with("http://")) || url.contains(['?', '#', ' ']) {
            return Err(format!(
                "--block-storage-url: must be an http(s) base URL without query or fragment, got {url:?}"
            ));
        }
        let mv = self.microversion.split_once('.');
        let digits = |s: &str| !s.is_empty() && s.len() <= 4 && s.bytes().all(|c| c.is_ascii_digit());
        if !matches!(mv, Some(("3", minor)) if digits(minor)) {
            return Err(format!(
                "--microversion: must be 3.x, e.g. 3.70, got {:?}",
                self.microversion
            ));
        }
        Ok(())
    }
}

/// Builds the facade of the workspace at `root` (LTO, `wasm-opt -Oz`) into
/// `target_root/component/` and returns its path.
pub fn build_facade(root: &Path, target_root: &Path) -> Result<PathBuf, String> {
    let target_dir = target_root.join("component");
    let bytes = crate::cargo_wasm(root, &target_dir, "infomaniak-block-storage-edge", FACADE_FILE)?;
    let shrunk = crate::shrink::shrink(&bytes, &target_dir)?;
    let out = target_dir.join(FACADE_FILE);
    std::fs::write(&out, shrunk).map_err(|e| format!("writing {}: {e}", out.display()))?;
    Ok(out)
}

/// A component exporting the config interface with `settings`: two functions returning
/// strings from a data segment (component text, assembled by `wat`).
pub fn config_component(settings: &Settings) -> Result<Vec<u8>, String> {
    settings.check()?;
    // Memory layout: the (pointer, length) return areas at 0 and 8, the strings from 16.
    let url = settings.block_storage_url.as_bytes();
    let mv = settings.microversion.as_bytes();
    let (url_at, mv_at) = (16, 16 + url.len());
    let getter = |name: &str, area: usize, at: usize, len: usize| {
        format!(
            "(func (export \"{name}\") (result i32) (i32.store (i32.const {area}) (i32.const {at})) \
             (i32.store (i32.const {}) (i32.const {len})) (i32.const {area}))",
            area + 4
        )
    };
    let text = format!(
        r#"(component
  (core module $m
    (memory (export "memory") 1)
    (data (i32.const {url_at}) "{}")
    (data (i32.const {mv_at}) "{}")
    {}
    {})
  (core instance $i (instantiate $m))
  (func $url (result string) (canon lift (core func $i "url") (memory (core memory $i "memory"))))
  (func $mv (result string) (canon lift (core func $i "mv") (memory (core memory $i "memory"))))
  (instance $config (export "block-storage-url" (func $url)) (export "microversion" (func $mv)))
  (export "{CONFIG_INTERFACE}" (instance $config)))"#,
        escaped(url),
        escaped(mv),
        getter("url", 0, url_at, url.len()),
        getter("mv", 8, mv_at, mv.len()),
    );
    wat::parse_str(&text).map_err(|e| format!("assembling the config component: {e}"))
}

/// Bytes as a WAT string literal's contents: every byte as `\hh`.
fn escaped(bytes: &[u8]) -> String {
    bytes.iter().fold(String::new(), |mut s, b| {
        let _ = write!(s, "\\{b:02x}");
        s
    })
}

/// The one edge function: `facade` with its block-storage imports satisfied by
/// `block_storage` and its config by `settings`, every export of the facade exported.
pub fn compose(facade: &[u8], block_storage: &[u8], settings: &Settings) -> Result<Vec<u8>, String> {
    let config = config_component(settings)?;
    let mut graph = CompositionGraph::new();
    let mut register = |name: &str, bytes: Vec<u8>| {
        let package = Package::from_bytes(name, None, bytes, graph.types_mut())
            .map_err(|e| format!("reading the {name} component: {e:#}"))?;
        graph
            .register_package(package)
            .map_err(|e| format!("registering the {name} component: {e:#}"))
    };
    let facade = register("infomaniak:block-storage-edge-facade", facade.to_vec())?;
    let block_storage = register("infomaniak:block-storage", block_storage.to_vec())?;
    let config = register("infomaniak:block-storage-edge-config", config)?;
    wac_graph::plug(&mut graph, vec![block_storage, config], facade).map_err(|e| format!("composing: {e:#}"))?;
    graph
        .encode(EncodeOptions::default())
        .map_err(|e| format!("encoding the composition: {e:#}"))
}
