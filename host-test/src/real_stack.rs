//! The real Keystone, Cinder (keystone mode) and Nova of `../shared/real-stack`, for the
//! suites' `real_stack` tiers: found through the `stack.env` that `REAL_STACK_ENV` names.

use crate::{spec, ApplicationCredential, Config, Credentials, PasswordCredential};

/// `export KEY=VALUE` lines (values shell-quoted only when needed), as `../shared`'s
/// real-stack scripts write them.
pub fn env_file(path: &std::path::Path) -> Vec<(String, String)> {
    let text = std::fs::read_to_string(path).unwrap_or_else(|e| panic!("{}: {e}", path.display()));
    text.lines()
        .filter_map(|l| l.trim().strip_prefix("export "))
        .filter_map(|l| l.split_once('='))
        .map(|(k, v)| {
            let v = v.strip_prefix('\'').and_then(|v| v.strip_suffix('\'')).unwrap_or(v);
            (k.to_string(), v.replace("'\\''", "'"))
        })
        .collect()
}

/// The real Keystone, Cinder (keystone mode) and Nova of `../shared/real-stack`, each on its
/// own port, from the `stack.env` that `REAL_STACK_ENV` names.
pub struct RealStack {
    /// The `OS_*` variables of the demo user's password openrc.
    pub openrc: Vec<(String, String)>,
    /// The `OS_*` variables of the demo user's application-credential openrc.
    pub openrc_appcred: Vec<(String, String)>,
    /// The `OS_*` variables of the cloud admin's password openrc (project admin): for the
    /// calls a member may not make (quotas, reset-state, volume types).
    pub openrc_admin: Vec<(String, String)>,
    /// Keystone's v3 URL (`…/v3`).
    pub keystone_url: String,
    /// Cinder's root URL, without version or project.
    pub cinder_url: String,
    /// Nova's URL (`…/v2.1`).
    pub nova_url: String,
    /// Project `demo`, the members' project (the openrc and the application credential).
    pub demo_project_id: String,
    /// Project `admin`, which the admin's token is scoped to.
    pub admin_project_id: String,
    /// The seeded ACTIVE server of project demo.
    pub server_id: String,
}

/// The real stack, or None after a SKIPPED line naming `tier` when it is not configured.
pub fn from_env(tier: &str) -> Option<RealStack> {
    let Some(path) = std::env::var_os("REAL_STACK_ENV") else {
        use std::io::Write;
        // Past the test harness's capture, so the skip shows in CI's log.
        let _ = writeln!(
            std::io::stderr(),
            "{tier} real_stack: SKIPPED: REAL_STACK_ENV is not set (start \
             ../shared/real-stack/run-stack.sh up PORT and point it at the stack.env it writes)"
        );
        return None;
    };
    let stack = env_file(std::path::Path::new(&path));
    let file = |k: &str| {
        let path = value(&stack, k);
        env_file(std::path::Path::new(&path))
    };
    let os_only = |vars: Vec<(String, String)>| vars.into_iter().filter(|(k, _)| k.starts_with("OS_")).collect();
    let ids = file("IDS_ENV");
    Some(RealStack {
        openrc: os_only(file("OPENRC")),
        openrc_appcred: os_only(file("OPENRC_APPCRED")),
        openrc_admin: os_only(file("OPENRC_ADMIN")),
        keystone_url: value(&stack, "KEYSTONE_URL"),
        cinder_url: value(&stack, "CINDER_URL"),
        nova_url: value(&stack, "NOVA_URL"),
        demo_project_id: value(&ids, "DEMO_PROJECT_ID"),
        admin_project_id: value(&ids, "ADMIN_PROJECT_ID"),
        server_id: value(&file("NOVA_IDS_ENV"), "SERVER_ID"),
    })
}

/// The value of `key` in `vars`; panics naming it when missing.
pub fn value(vars: &[(String, String)], key: &str) -> String {
    vars.iter()
        .find(|(k, _)| k == key)
        .map(|(_, v)| v.clone())
        .unwrap_or_else(|| panic!("{key} missing"))
}

/// A session config from an openrc's `OS_*` variables (password or application credential).
pub fn openrc_config(vars: &[(String, String)]) -> Config {
    let get = |k: &str| value(vars, k);
    let credentials = if vars.iter().any(|(k, _)| k == "OS_APPLICATION_CREDENTIAL_ID") {
        Credentials::ApplicationCredential(ApplicationCredential {
            id: get("OS_APPLICATION_CREDENTIAL_ID"),
            secret: get("OS_APPLICATION_CREDENTIAL_SECRET"),
        })
    } else {
        Credentials::Password(PasswordCredential {
            user_name: get("OS_USERNAME"),
            password: get("OS_PASSWORD"),
            user_domain: get("OS_USER_DOMAIN_NAME"),
            project_name: get("OS_PROJECT_NAME"),
            project_domain: get("OS_PROJECT_DOMAIN_NAME"),
        })
    };
    Config {
        region: Some(get("OS_REGION_NAME")),
        endpoint_interface: Some(get("OS_INTERFACE")),
        ..spec::config(&get("OS_AUTH_URL"), credentials)
    }
}
