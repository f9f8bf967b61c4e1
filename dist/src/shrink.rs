//! Shrinks the component's core module with binaryen's `wasm-opt -Oz`.
//!
//! LLVM at `opt-level = "z"` leaves about a sixth of the module on the table: wit-bindgen's
//! export glue lowers the whole `error` variant inline in each of the ~40 exports, and
//! binaryen's whole-module passes (local coalescing, code folding, duplicate function
//! elimination) take 60 KB out of 310 KB that no Rust flag removes. The component's
//! structure is left as it is: only the bytes of the core module sections are replaced, and
//! `wasm-opt` keeps every import and export of a module.

use std::env;
use std::ffi::OsString;
use std::path::Path;
use std::process::{Command, Stdio};

/// The WebAssembly features rustc's `wasm32-wasip2` target emits by default; binaryen
/// validates against exactly these (the module carries no `target_features` section).
const FEATURES: &[&str] = &[
    "--enable-bulk-memory",
    "--enable-sign-ext",
    "--enable-mutable-globals",
    "--enable-nontrapping-float-to-int",
    "--enable-multivalue",
    "--enable-reference-types",
];

/// Core modules below this size are wasm-component-ld's table shims: nothing to gain.
const MIN_MODULE: usize = 4096;

/// Returns `component` with each of its top-level core modules optimized by `wasm-opt -Oz`,
/// using `scratch` for the files binaryen reads and writes.
pub fn shrink(component: &[u8], scratch: &Path) -> Result<Vec<u8>, String> {
    let wasm_opt = wasm_opt()?;
    let header = component.get(..8).ok_or("the component is shorter than its header")?;
    let mut out = header.to_vec();
    let mut rest = &component[8..];
    while !rest.is_empty() {
        let (id, body, next) = section(rest)?;
        let body = if id == CORE_MODULE && body.len() >= MIN_MODULE {
            optimize(&wasm_opt, body, scratch)?
        } else {
            body.to_vec()
        };
        out.push(id);
        write_u32(&mut out, u32::try_from(body.len()).map_err(|_| "a section over 4 GiB")?);
        out.extend_from_slice(&body);
        rest = next;
    }
    Ok(out)
}

/// The component-model section id of an embedded core module.
const CORE_MODULE: u8 = 1;

/// Splits one section off `bytes`: its id, its contents and what follows it.
fn section(bytes: &[u8]) -> Result<(u8, &[u8], &[u8]), String> {
    let (&id, rest) = bytes.split_first().ok_or("a section without an id")?;
    let (len, rest) = read_u32(rest)?;
    let len = len as usize;
    if rest.len() < len {
        return Err(format!("section {id} runs past the end of the component"));
    }
    Ok((id, &rest[..len], &rest[len..]))
}

/// Reads an unsigned LEB128 `u32`.
fn read_u32(bytes: &[u8]) -> Result<(u32, &[u8]), String> {
    let mut value = 0u32;
    for (i, &b) in bytes.iter().enumerate().take(5) {
        value |= u32::from(b & 0x7f) << (7 * i);
        if b & 0x80 == 0 {
            return Ok((value, &bytes[i + 1..]));
        }
    }
    Err("a section length that is not a LEB128 u32".into())
}

/// Appends `value` as unsigned LEB128.
fn write_u32(out: &mut Vec<u8>, mut value: u32) {
    loop {
        let byte = (value & 0x7f) as u8;
        value >>= 7;
        if value == 0 {
            out.push(byte);
            return;
        }
        out.push(byte | 0x80);
    }
}

/// Runs `wasm-opt -Oz` on one core module.
fn optimize(wasm_opt: &OsString, module: &[u8], scratch: &Path) -> Result<Vec<u8>, String> {
    let input = scratch.join("core.wasm");
    let output = scratch.join("core.opt.wasm");
    std::fs::write(&input, module).map_err(|e| format!("writing {}: {e}", input.display()))?;
    let run = Command::new(wasm_opt)
        .arg("-Oz")
        .args(FEATURES)
        .arg(&input)
        .arg("-o")
        .arg(&output)
        .stdin(Stdio::null())
        .output()
        .map_err(|e| format!("running wasm-opt: {e}"))?;
    if !run.status.success() {
        let why = String::from_utf8_lossy(&run.stderr);
        let first = why.lines().take(5).collect::<Vec<_>>().join("\n");
        return Err(format!("wasm-opt failed ({}):\n{first}", run.status));
    }
    std::fs::read(&output).map_err(|e| format!("reading {}: {e}", output.display()))
}

/// The `wasm-opt` to run: `WASM_OPT`, else the one on `PATH`, else Debian's `binaryen`
/// package installed with apt-get (as `rustup target add` is run for the wasm target), so a
/// fresh Debian machine needs no set-up step of its own.
fn wasm_opt() -> Result<OsString, String> {
    if let Some(path) = env::var_os("WASM_OPT").filter(|p| !p.is_empty()) {
        return Ok(path);
    }
    let name = OsString::from("wasm-opt");
    if runs(&name) {
        return Ok(name);
    }
    eprintln!("wasm-opt not found: installing Debian's binaryen package with apt-get");
    let install = || apt_get(&["install", "-y", "-q", "binaryen"]);
    // A fresh machine may have no package lists yet: update once, then try again.
    if (install() || (apt_get(&["update", "-q"]) && install())) && runs(&name) {
        return Ok(name);
    }
    Err(
        "the component is shrunk with binaryen's wasm-opt, which is not installed and could not be \
         installed with apt-get: install binaryen (apt install binaryen, brew install binaryen, \
         npm install -g binaryen) or point WASM_OPT at a wasm-opt"
            .into(),
    )
}

/// Whether `program --version` runs.
fn runs(program: &OsString) -> bool {
    Command::new(program)
        .arg("--version")
        .stdout(Stdio::null())
        .stderr(Stdio::null())
        .status()
        .is_ok_and(|s| s.success())
}

/// Runs `apt-get` with `args`, quietly; whether it succeeded.
fn apt_get(args: &[&str]) -> bool {
    Command::new("apt-get")
        .args(args)
        .env("DEBIAN_FRONTEND", "noninteractive")
        .stdin(Stdio::null())
        .stdout(Stdio::null())
        .status()
        .is_ok_and(|s| s.success())
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn leb128_round_trips_at_every_width() {
        for v in [0, 1, 127, 128, 16_383, 16_384, 2_097_151, 2_097_152, u32::MAX] {
            let mut buf = Vec::new();
            write_u32(&mut buf, v);
            buf.push(0xAA);
            let (back, rest) = read_u32(&buf).unwrap();
            assert_eq!((back, rest), (v, &[0xAA][..]), "{v}");
        }
        assert!(read_u32(&[0x80, 0x80]).is_err());
    }

    #[test]
    fn a_section_longer_than_the_bytes_is_an_error() {
        assert!(section(&[1, 10, 0, 0]).is_err());
        let (id, body, rest) = section(&[7, 2, 0xA, 0xB, 0xC]).unwrap();
        assert_eq!((id, body, rest), (7, &[0xA, 0xB][..], &[0xC][..]));
    }
}
