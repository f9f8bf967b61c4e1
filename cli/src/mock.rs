//! `--mock`: a mock cloud (Keystone, Cinder, Nova) started in this process, with one server
//! named `mock-server`. Only with the `mock` feature (on by default).

use std::time::Duration;

use infomaniak_block_storage_host::{spec, ApplicationCredential, Config, Credentials};
use mock_cloud::{MockCloud, MockOptions};

use crate::Source;

/// The running mock and its server's id.
pub struct Mock {
    cloud: MockCloud,
    server: String,
}

impl Mock {
    pub fn start() -> Mock {
        let cloud = MockCloud::start_with(MockOptions {
            transition: Duration::from_millis(300),
            ..MockOptions::default()
        });
        let server = cloud.add_server("mock-server");
        Mock { cloud, server }
    }

    /// The mock's application credential, in its region (`dc3-a`).
    fn config(&self) -> Config {
        let credentials = Credentials::ApplicationCredential(ApplicationCredential {
            id: mock_cloud::APP_CRED_ID.into(),
            secret: mock_cloud::APP_CRED_SECRET.into(),
        });
        Config {
            region: Some("dc3-a".into()),
            ..spec::config(&self.cloud.auth_url(), credentials)
        }
    }

    /// For `--debug`: where the mock listens and its server's id.
    pub fn describe(&self) -> String {
        format!(
            "mock cloud on {} (server mock-server: {})",
            self.cloud.base_url(),
            self.server
        )
    }

    pub fn into_source(self) -> Source {
        Source {
            cfg: self.config(),
            cacert: None,
            secrets: vec![mock_cloud::APP_CRED_SECRET.to_string()],
            servers: vec![("mock-server".to_string(), self.server.clone())],
            mock: Some(self),
        }
    }
}
