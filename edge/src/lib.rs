//! A `wasi:http/proxy` facade over the block-storage component: a small JSON HTTP API
//! (`GET /volumes`, `POST /volumes`, …) for the runtimes that serve HTTP functions
//! (`wasmtime serve`, Spin, wasmCloud, Fastly Compute). Composed with the unchanged
//! block-storage component and a config component into one component (see
//! `component-dist`'s `edge` module); each request connects with the caller's
//! `X-Auth-Token`, which is never logged or echoed.
//!
//! Only the wasm build has content: natively the crate is empty.

#![cfg_attr(target_arch = "wasm32", no_std)]

#[cfg(target_arch = "wasm32")]
extern crate alloc;

#[cfg(target_arch = "wasm32")]
#[allow(warnings)]
#[rustfmt::skip]
mod bindings {
    wit_bindgen::generate!({
        path: ["../wit", "wit"],
        world: "infomaniak:block-storage-edge/facade",
        generate_all,
    });
}

#[cfg(target_arch = "wasm32")]
mod body;
#[cfg(target_arch = "wasm32")]
mod exchange;
#[cfg(target_arch = "wasm32")]
mod routes;

/// The guest's allocator, panic handler and C memory routines: the same no_std runtime.
#[cfg(target_arch = "wasm32")]
#[path = "../../src/wasm_rt.rs"]
mod wasm_rt;
