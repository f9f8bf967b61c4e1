//! Shared test fixtures: one compiled component per test binary, a mock cloud per test.

#![allow(dead_code)]

use std::sync::OnceLock;
use std::time::Duration;

use host_test::{
    spec, Call, Config, Credentials, Error, Host, ListOptions, Log, PasswordCredential, Session, VolumeCreate,
};
use mock_cloud::{MockCloud, MockOptions, RecordedRequest};

/// The component, compiled once for the whole test binary.
pub fn host() -> Host {
    static HOST: OnceLock<Host> = OnceLock::new();
    HOST.get_or_init(|| Host::new().expect("component loads"))
        .with_log(Log::Capture)
        .checking_secrets()
}

/// A mock whose transitions complete immediately (waits return at the first poll).
pub fn cloud() -> MockCloud {
    MockCloud::start_with(MockOptions {
        transition: Duration::ZERO,
        ..MockOptions::default()
    })
}

pub fn app_cfg(cloud: &MockCloud) -> Config {
    Config {
        timeout_ms: Some(10_000),
        ..spec::mock_config(cloud)
    }
}

pub fn password_cfg(cloud: &MockCloud, password: &str) -> Config {
    Config {
        credentials: Credentials::Password(PasswordCredential {
            user_name: mock_cloud::USER_NAME.into(),
            password: password.into(),
            user_domain: mock_cloud::USER_DOMAIN.into(),
            project_name: "demo-project".into(),
            project_domain: mock_cloud::PROJECT_DOMAIN.into(),
        }),
        ..app_cfg(cloud)
    }
}

pub fn connect(cloud: &MockCloud) -> Session {
    connect_with(&app_cfg(cloud))
}

pub fn connect_with(cfg: &Config) -> Session {
    match host().connect(cfg).expect("no trap") {
        Ok(s) => s,
        Err(e) => panic!("connect failed: {e:?}"),
    }
}

/// Unwraps a call that must succeed (and must not trap).
pub fn ok<T>(c: Call<T>) -> T {
    match c {
        Ok(Ok(v)) => v,
        Ok(Err(e)) => panic!("call failed: {}", host_test::describe(&e)),
        Err(trap) => panic!("trap: {trap:#}"),
    }
}

/// Unwraps a call that must fail with a typed error (and must not trap).
pub fn err<T: std::fmt::Debug>(c: Call<T>) -> Error {
    match c {
        Ok(Ok(v)) => panic!("expected an error, got {v:?}"),
        Ok(Err(e)) => e,
        Err(trap) => panic!("trap: {trap:#}"),
    }
}

pub fn kind(e: &Error) -> &'static str {
    host_test::error_kind(e)
}

pub fn api(e: &Error) -> &host_test::ApiError {
    host_test::api_error(e).unwrap_or_else(|| panic!("not an api error: {e:?}"))
}

pub fn vol(size: u32, name: &str) -> VolumeCreate {
    spec::volume(size, name)
}

pub fn all() -> ListOptions {
    ListOptions {
        status: None,
        name: None,
        page_size: None,
    }
}

/// Requests whose path contains `part` (and method, when given).
pub fn matching(reqs: &[RecordedRequest], method: &str, part: &str) -> usize {
    reqs.iter()
        .filter(|r| r.method == method && r.path.contains(part))
        .count()
}

pub fn header<'a>(r: &'a RecordedRequest, name: &str) -> Option<&'a str> {
    r.headers
        .iter()
        .find(|(k, _)| k.eq_ignore_ascii_case(name))
        .map(|(_, v)| v.as_str())
}

/// Prints past the test harness's capture (for counts the closing notes quote).
pub fn say(line: &str) {
    use std::io::Write;
    let _ = writeln!(std::io::stderr(), "{line}");
}

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
    /// The seeded ACTIVE server of project demo.
    pub server_id: String,
}

/// The real stack, or None after a SKIPPED line naming `tier` when it is not configured.
pub fn real_stack(tier: &str) -> Option<RealStack> {
    let Some(path) = std::env::var_os("REAL_STACK_ENV") else {
        say(&format!(
            "{tier} real_stack: SKIPPED: REAL_STACK_ENV is not set (start \\
             ../shared/real-stack/run-stack.sh up PORT and point it at the stack.env it writes)"
        ));
        return None;
    };
    let stack = env_file(std::path::Path::new(&path));
    let file = |k: &str| {
        let path = value(&stack, k);
        env_file(std::path::Path::new(&path))
    };
    let os_only = |vars: Vec<(String, String)>| vars.into_iter().filter(|(k, _)| k.starts_with("OS_")).collect();
    Some(RealStack {
        openrc: os_only(file("OPENRC")),
        openrc_appcred: os_only(file("OPENRC_APPCRED")),
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
        Credentials::ApplicationCredential(host_test::ApplicationCredential {
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
