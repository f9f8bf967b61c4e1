//! The command line against the real Keystone, Cinder (keystone mode) and Nova of
//! `../shared/real-stack` (`REAL_STACK_ENV`), as a user runs it: a sourced openrc (its
//! variables in the child's environment: the same thing), or a clouds.yaml with the same
//! values. Skipped, saying so, without the stack.

use std::path::Path;

use host_test::real_stack::{self, RealStack};

mod common;
use common::*;

/// The stack, or None after a SKIPPED line.
fn stack() -> Option<RealStack> {
    real_stack::from_env("cli")
}

/// An openrc's variables, as the child's environment.
fn vars(rc: &[(String, String)]) -> Vec<(&str, String)> {
    rc.iter().map(|(k, v)| (k.as_str(), v.clone())).collect()
}

/// A name unique to this run, so that runs and the acceptance suite share project demo.
fn unique(what: &str) -> String {
    format!("cli-stack-{what}-{}", std::process::id())
}

/// Removes the volume `name` when a test ends, also when it fails half way (detached first).
struct Leftover<'a> {
    dir: &'a Path,
    env: &'a [(&'a str, String)],
    name: String,
    server: Option<String>,
}

impl Drop for Leftover<'_> {
    fn drop(&mut self) {
        let shown = run_in(self.dir, self.env, &["volume", "show", &self.name]);
        if shown.code != 0 {
            return;
        }
        if let Some(server) = &self.server {
            run_in(self.dir, self.env, &["volume", "detach", &self.name, server, "--wait"]);
        }
        run_in(self.dir, self.env, &["volume", "delete", &self.name, "--wait"]);
    }
}

/// The volume's status and attachments as `volume show -f json` prints them.
fn show(dir: &Path, env: &[(&str, String)], name: &str) -> serde_json::Value {
    run_in(dir, env, &["volume", "show", name, "-f", "json"]).ok().json()
}

/// Asserts the volume is attached to `server` alone, at a device.
fn assert_attached(dir: &Path, env: &[(&str, String)], name: &str, server: &str) {
    let v = show(dir, env, name);
    assert_eq!(v["status"], "in-use", "{v}");
    assert_eq!(v["attachments"][0]["server_id"], server, "{v}");
    let device = v["attachments"][0]["device"].as_str().unwrap_or_default();
    assert!(device.starts_with("/dev/"), "{v}");
}

/// Creates a volume of 1 GiB (`--wait`), finds it in the list and shows it available.
fn create_list_show(dir: &Path, env: &[(&str, String)], name: &str) {
    run_in(dir, env, &["volume", "create", "--size", "1", "--wait", name]).ok();
    let names = run_in(dir, env, &["volume", "list", "-f", "value", "-c", "Name"]).ok();
    assert!(names.stdout.lines().any(|l| l == name), "{name} in {}", names.stdout);
    let v = show(dir, env, name);
    assert_eq!(
        (v["status"].as_str(), v["size"].as_u64()),
        (Some("available"), Some(1)),
        "{v}"
    );
}

/// Deletes the volume (`--wait`); then it is not found.
fn delete(dir: &Path, env: &[(&str, String)], name: &str) {
    run_in(dir, env, &["volume", "delete", name, "--wait"]).ok();
    let gone = run_in(dir, env, &["volume", "show", name]).failed();
    assert!(gone.stderr.starts_with("Error: not-found"), "{}", gone.stderr);
}

/// `. openrc` (then `. openrc-appcred`): a volume created, listed and shown, attached and
/// detached both ways (`server add/remove volume`, `volume attach/detach`), each `--wait`,
/// deleted.
#[test]
fn openrc_volume_and_attach_commands() {
    let Some(stack) = stack() else { return };
    let dir = scratch("real-stack");
    let server = stack.server_id.as_str();
    for (label, rc) in [("password", &stack.openrc), ("appcred", &stack.openrc_appcred)] {
        let env = vars(rc);
        let name = unique(label);
        let _leftover = Leftover {
            dir: &dir,
            env: &env,
            name: name.clone(),
            server: Some(server.to_string()),
        };
        create_list_show(&dir, &env, &name);
        run_in(&dir, &env, &["server", "add", "volume", server, &name, "--wait"]).ok();
        assert_attached(&dir, &env, &name, server);
        run_in(&dir, &env, &["server", "remove", "volume", server, &name, "--wait"]).ok();
        assert_eq!(show(&dir, &env, &name)["status"], "available");
        run_in(&dir, &env, &["volume", "attach", &name, server, "--wait"]).ok();
        assert_attached(&dir, &env, &name, server);
        run_in(&dir, &env, &["volume", "detach", &name, server, "--wait"]).ok();
        let v = show(&dir, &env, &name);
        assert_eq!(
            (&v["status"], &v["attachments"]),
            (&"available".into(), &serde_json::json!([])),
            "{v}"
        );
        delete(&dir, &env, &name);
    }
}

/// The openrc files' values as two clouds of a clouds.yaml: `stack` (password) and
/// `stack-appcred` (application credential).
fn clouds_yaml(stack: &RealStack) -> String {
    let pw = |k: &str| real_stack::value(&stack.openrc, k);
    let ac = |k: &str| real_stack::value(&stack.openrc_appcred, k);
    format!(
        "clouds:\n  stack:\n    auth:\n      auth_url: {}\n      username: {}\n      password: {}\n      \
         project_name: {}\n      user_domain_name: {}\n      project_domain_name: {}\n    \
         region_name: {}\n    interface: {}\n    identity_api_version: 3\n  \
         stack-appcred:\n    auth_type: v3applicationcredential\n    auth:\n      auth_url: {}\n      \
         application_credential_id: {}\n      application_credential_secret: {}\n    region_name: {}\n",
        pw("OS_AUTH_URL"),
        pw("OS_USERNAME"),
        pw("OS_PASSWORD"),
        pw("OS_PROJECT_NAME"),
        pw("OS_USER_DOMAIN_NAME"),
        pw("OS_PROJECT_DOMAIN_NAME"),
        pw("OS_REGION_NAME"),
        pw("OS_INTERFACE"),
        ac("OS_AUTH_URL"),
        ac("OS_APPLICATION_CREDENTIAL_ID"),
        ac("OS_APPLICATION_CREDENTIAL_SECRET"),
        ac("OS_REGION_NAME"),
    )
}

/// The same values in a clouds.yaml: `./clouds.yaml` with `OS_CLOUD=stack` (password), and
/// from another directory `OS_CLIENT_CONFIG_FILE` with `OS_CLOUD=stack-appcred`.
#[test]
fn clouds_yaml_with_the_openrc_values() {
    let Some(stack) = stack() else { return };
    let dir = scratch("real-stack-clouds");
    let file = dir.join("clouds.yaml");
    std::fs::write(&file, clouds_yaml(&stack)).expect("clouds.yaml");
    let elsewhere = scratch("real-stack-elsewhere");
    let runs = [
        (&*dir, vec![("OS_CLOUD", "stack".to_string())]),
        (
            &*elsewhere,
            vec![
                ("OS_CLOUD", "stack-appcred".to_string()),
                ("OS_CLIENT_CONFIG_FILE", file.display().to_string()),
            ],
        ),
    ];
    for (i, (cwd, env)) in runs.iter().enumerate() {
        let name = unique(&format!("clouds-yaml-{i}"));
        let _leftover = Leftover {
            dir: cwd,
            env,
            name: name.clone(),
            server: None,
        };
        create_list_show(cwd, env, &name);
        delete(cwd, env, &name);
    }
}
