//! The benchmarks' Python venv (`target/bench-venv`): created once and shared by every
//! benchmark that compares against an OpenStack Python client, so each one only adds the
//! packages it needs instead of keeping a venv of its own.

use std::path::PathBuf;
use std::process::Command;

/// The venv, with every requirement of `requirements` installed: a distribution name
/// (present in any version) or `name==version` (exactly that one). Installs what is
/// missing with pip, in one call.
pub fn bench_venv(requirements: &[&str]) -> Result<PathBuf, String> {
    let venv = target_dir().join("bench-venv");
    if !venv.join("bin/python").exists() {
        let ok = Command::new("python3").args(["-m", "venv"]).arg(&venv).status();
        if !ok.is_ok_and(|s| s.success()) {
            return Err("python3 -m venv failed".into());
        }
    }
    let missing: Vec<&str> = requirements.iter().copied().filter(|r| !satisfied(&venv, r)).collect();
    if !missing.is_empty() {
        eprintln!("installing {} into {} …", missing.join(" "), venv.display());
        let ok = Command::new(venv.join("bin/pip"))
            .args(["install", "--quiet", "--upgrade"])
            .args(&missing)
            .status();
        if !ok.is_ok_and(|s| s.success()) {
            return Err(format!("pip install {} failed", missing.join(" ")));
        }
    }
    Ok(venv)
}

/// Cargo's target directory (`CARGO_TARGET_DIR`, else the workspace's `target`), where
/// benchmarks keep what they set up.
pub fn target_dir() -> PathBuf {
    std::env::var("CARGO_TARGET_DIR")
        .map(PathBuf::from)
        .unwrap_or_else(|_| PathBuf::from(env!("CARGO_MANIFEST_DIR")).join("../target"))
}

/// The installed version of distribution `dist` in `venv`, if any.
pub fn version(venv: &std::path::Path, dist: &str) -> Option<String> {
    let out = Command::new(venv.join("bin/python"))
        .args([
            "-c",
            "import sys, importlib.metadata as m; print(m.version(sys.argv[1]))",
            dist,
        ])
        .output()
        .ok()?;
    out.status
        .success()
        .then(|| String::from_utf8_lossy(&out.stdout).trim().to_string())
}

fn satisfied(venv: &std::path::Path, requirement: &str) -> bool {
    match requirement.split_once("==") {
        Some((dist, pinned)) => version(venv, dist).is_some_and(|v| v == pinned),
        None => version(venv, requirement).is_some(),
    }
}
