//! The test host: the demo, the lifecycle the demo and the suites run, and the mock cloud's
//! config. It re-exports the host library under test, so the suites and the benchmark read
//! `host_test::Host`, `host_test::Session`, … .

#![cfg(not(target_arch = "wasm32"))]

pub use infomaniak_block_storage_host::*;

pub mod bench_venv;
pub mod demo;
pub mod edge;
pub mod lifecycle;
pub mod real_stack;

/// A config for the mock cloud: its application credential, in its region (`dc3-a`).
pub fn mock_config(cloud: &mock_cloud::MockCloud) -> Config {
    mock_config_at(&cloud.auth_url())
}

/// [`mock_config`] for a mock cloud known only by its Keystone URL (one in another process).
pub fn mock_config_at(auth_url: &str) -> Config {
    let credentials = Credentials::ApplicationCredential(ApplicationCredential {
        id: mock_cloud::APP_CRED_ID.into(),
        secret: mock_cloud::APP_CRED_SECRET.into(),
    });
    Config {
        region: Some("dc3-a".into()),
        ..spec::config(auth_url, credentials)
    }
}
