//! Generates the component's bindings with wit-bindgen (what `wit_bindgen::generate!` does)
//! and then shares the lowering of the contract's `error` variant between the exports.
//!
//! wit-bindgen writes the lowering of `result<T, error>` inline in every export: ~2.4 KB of
//! code per function (13 variant cases, 23 strings), about a third of the component at 50
//! exports. Here each export's inline `match` on the error is replaced by a call to one
//! generated `lower_error` at the bindings' root, which is that same match written once
//! against a base pointer. The rewrite is checked: if wit-bindgen's output no longer has the
//! expected shape, the build fails rather than silently growing the component.

use std::env;
use std::path::PathBuf;

use wit_bindgen_core::wit_parser::Resolve;
use wit_bindgen_core::{Files, WorldGenerator};

fn main() {
    let root = PathBuf::from(env::var("CARGO_MANIFEST_DIR").expect("CARGO_MANIFEST_DIR"));
    let wit = root.join("wit");
    println!("cargo:rerun-if-changed={}", wit.display());
    let mut resolve = Resolve::default();
    let (pkg, _) = resolve.push_path(&wit).unwrap_or_else(|e| panic!("wit/: {e:?}"));
    let world = resolve
        .select_world(&[pkg], Some("block-storage"))
        .unwrap_or_else(|e| panic!("wit/: {e:?}"));
    let opts = wit_bindgen_rust::Opts {
        pub_export_macro: true,
        ..Default::default()
    };
    let mut files = Files::default();
    opts.build()
        .generate(&mut resolve, world, &mut files)
        .unwrap_or_else(|e| panic!("wit-bindgen: {e:?}"));
    let (_, src) = files.iter().next().expect("wit-bindgen wrote no file");
    let src = std::str::from_utf8(src).expect("wit-bindgen wrote UTF-8");
    let shared = share_error_lowering(src).unwrap_or_else(|e| panic!("sharing the error lowering: {e}"));
    let out = PathBuf::from(env::var("OUT_DIR").expect("OUT_DIR")).join("bindings.rs");
    std::fs::write(&out, shared).expect("writing the bindings");
}

/// What opens the inline lowering of an export's error: the variant's `use`, then its
/// `match`. The `V<n>` alias differs per export.
const USE_ERROR: &str = "use super::super::super::super::exports::infomaniak::block_storage::types::Error as V";

/// Replaces every `use …::Error as Vn; match e { … }` with a call to `lower_error`, and
/// appends `lower_error`, made of the first such match against a base pointer.
fn share_error_lowering(src: &str) -> Result<String, String> {
    let mut out = String::with_capacity(src.len());
    let mut rest = src;
    let mut shared_fn = None;
    let mut count = 0;
    while let Some(at) = rest.find(USE_ERROR) {
        out.push_str(&rest[..at]);
        let after_use = &rest[at..];
        let semi = after_use.find(';').ok_or("a `use` without `;`")?;
        let alias = &after_use[USE_ERROR.len() - 1..semi]; // `Vn`
        let body = after_use[semi + 1..].trim_start();
        let match_open = "match e {";
        if !body.starts_with(match_open) {
            return Err(format!("expected `match e {{` after the use of {alias}"));
        }
        let end = closing_brace(body, match_open.len() - 1)?;
        let arms = &body[..=end];
        let (ptr, offset) = first_store(arms)?;
        if shared_fn.is_none() {
            shared_fn = Some(lower_error_fn(arms, alias, &ptr, &offset));
        }
        out.push_str(&format!(
            "super::super::super::super::lower_error({ptr}.add({offset}), e);"
        ));
        rest = &body[end + 1..];
        count += 1;
    }
    out.push_str(rest);
    if count < 10 {
        return Err(format!("found the error lowering in only {count} exports"));
    }
    out.push_str(&shared_fn.ok_or("no error lowering found")?);
    Ok(out)
}

/// The index of the `}` that closes the `{` at `open`.
fn closing_brace(s: &str, open: usize) -> Result<usize, String> {
    let mut depth = 0usize;
    for (i, c) in s[open..].char_indices() {
        match c {
            '{' => depth += 1,
            '}' => {
                depth -= 1;
                if depth == 0 {
                    return Ok(open + i);
                }
            }
            _ => {}
        }
    }
    Err("an unclosed brace".into())
}

/// The pointer and offset of the first store in the match: the variant's discriminant,
/// i.e. where the error starts, e.g. (`ptr2`, `::core::mem::size_of::<*const u8>()`).
fn first_store(arms: &str) -> Result<(String, String), String> {
    let star = arms.find('*').ok_or("no store in the error lowering")?;
    let add = arms[star..].find(".add(").ok_or("no `.add(` in the first store")? + star;
    let ptr = arms[star + 1..add].trim().to_string();
    let open = add + ".add".len();
    let close = closing_paren(arms, open)?;
    Ok((ptr, arms[open + 1..close].to_string()))
}

/// The index of the `)` that closes the `(` at `open`.
fn closing_paren(s: &str, open: usize) -> Result<usize, String> {
    let mut depth = 0usize;
    for (i, c) in s[open..].char_indices() {
        match c {
            '(' => depth += 1,
            ')' => {
                depth -= 1;
                if depth == 0 {
                    return Ok(open + i);
                }
            }
            _ => {}
        }
    }
    Err("an unclosed parenthesis".into())
}

/// `lower_error(base, e)`: the match, every `ptr.add(x)` turned into
/// `base.add(x - offset)`, at the bindings' root (hence `exports::…` paths).
fn lower_error_fn(arms: &str, alias: &str, ptr: &str, offset: &str) -> String {
    let needle = format!("{ptr}.add(");
    let mut body = String::new();
    let mut rest = arms;
    while let Some(at) = rest.find(&needle) {
        body.push_str(&rest[..at]);
        let open = at + ptr.len() + ".add".len();
        let close = closing_paren(rest, open).expect("balanced parentheses");
        body.push_str(&format!("base.add(({}) - ({offset}))", &rest[open + 1..close]));
        rest = &rest[close + 1..];
    }
    body.push_str(rest);
    let body = body.replace("super::super::super::super::", "");
    format!(
        "\n/// The lowering of the contract's `error` into the return area at `base`, shared by \
         every export (see the crate's build script).\n#[inline(never)]\n\
         unsafe fn lower_error(base: *mut u8, e: exports::infomaniak::block_storage::types::Error) {{\n\
         unsafe {{ use exports::infomaniak::block_storage::types::Error as {alias}; {body} }}\n}}\n"
    )
}
