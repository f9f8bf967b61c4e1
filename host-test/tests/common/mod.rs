//! Shared test fixtures: one compiled component per test binary, a mock cloud per test.

#![allow(dead_code)]

use std::sync::OnceLock;
use std::time::Duration;

use host_test::{spec, Config, Credentials, Error, Host, ListOptions, Log, PasswordCredential, Session, VolumeCreate};
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
        ..host_test::mock_config(cloud)
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
    host().connect(cfg).unwrap_or_else(|e| panic!("connect failed: {e}"))
}

/// Unwraps a call that must succeed (and must not trap).
pub fn ok<T>(c: host_test::Result<T>) -> T {
    c.unwrap_or_else(|e| panic!("call failed: {e}"))
}

/// Unwraps a call that must fail with a typed error (and must not trap).
pub fn err<T: std::fmt::Debug>(c: host_test::Result<T>) -> Error {
    match c {
        Ok(v) => panic!("expected an error, got {v:?}"),
        Err(e @ Error::Trap(_)) => panic!("trap: {e}"),
        Err(e) => e,
    }
}

pub fn kind(e: &Error) -> &'static str {
    e.kind()
}

pub fn api(e: &Error) -> &host_test::ApiError {
    e.api().unwrap_or_else(|| panic!("not an api error: {e:?}"))
}

pub fn vol(size: u32, name: &str) -> VolumeCreate {
    spec::volume(size, name)
}

pub fn all() -> ListOptions {
    host_test::spec::list_all()
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
