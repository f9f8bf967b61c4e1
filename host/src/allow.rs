//! The origins a session may reach.
//!
//! Fixed at connect: the origins of the config's `auth-url`, `block-storage-url` and
//! `compute-url`, plus the host's extra ones ([`crate::Host::allowing`]). Learned: the
//! block-storage and compute endpoints that the configured Keystone's token answer names
//! for the session's region and interface. The host picks them with the component's own
//! selection code (the guest crate's `auth::find_endpoint`, compiled natively), so it admits
//! exactly the endpoints the component chose, on whatever hosts or ports the cloud runs them.
//! A catalog is read only from the answer to `POST {auth-url}/auth/tokens`: an answer of
//! any other origin or path teaches nothing, and a redirect or a `next` link to an origin
//! outside the list is still refused.

use std::sync::Mutex;

use infomaniak_block_storage::{auth, http::Response};

use crate::Config;

/// A session's allow-list (see the module doc).
pub struct AllowList {
    origins: Mutex<Vec<String>>,
    catalog: Option<CatalogWatch>,
}

/// Where a trusted catalog comes from, and which of its endpoints the component uses.
struct CatalogWatch {
    /// `scheme://host:port/path` of `{auth-url}/auth/tokens`.
    tokens: String,
    region: Option<String>,
    interface: String,
    /// The service types (in the component's order of preference) the catalog decides.
    services: Vec<&'static [&'static str]>,
}

impl AllowList {
    /// The list for a session with `cfg`, also admitting `extra` origins.
    pub fn for_config(cfg: &Config, extra: &[String]) -> AllowList {
        let configured = [
            Some(&cfg.auth_url),
            cfg.block_storage_url.as_ref(),
            cfg.compute_url.as_ref(),
        ];
        let mut origins = Vec::new();
        let fixed = extra
            .iter()
            .cloned()
            .chain(configured.into_iter().flatten().filter_map(|u| origin(u)));
        for o in fixed {
            admit(&mut origins, o);
        }
        let mut services = Vec::new();
        if cfg.block_storage_url.is_none() {
            services.push(auth::BLOCK_STORAGE_TYPES);
        }
        if cfg.compute_url.is_none() {
            services.push(auth::COMPUTE_TYPES);
        }
        let tokens = format!("{}/auth/tokens", cfg.auth_url.trim_end_matches('/'));
        let catalog = location(&tokens)
            .filter(|_| !services.is_empty())
            .map(|tokens| CatalogWatch {
                tokens,
                region: cfg.region.clone(),
                interface: cfg
                    .endpoint_interface
                    .clone()
                    .unwrap_or_else(|| auth::DEFAULT_INTERFACE.into()),
                services,
            });
        AllowList {
            origins: Mutex::new(origins),
            catalog,
        }
    }

    /// A list of exactly these origins, learning nothing.
    pub fn fixed(origins: Vec<String>) -> AllowList {
        AllowList {
            origins: Mutex::new(origins),
            catalog: None,
        }
    }

    /// Whether a request to `uri` may go out.
    pub fn permits(&self, uri: &http::Uri) -> bool {
        origin_of(uri).is_some_and(|o| self.lock().contains(&o))
    }

    /// Whether the answer to `method uri` is a token answer whose catalog is trusted.
    pub fn reads_catalog(&self, method: &http::Method, uri: &http::Uri) -> bool {
        let target = origin_of(uri).map(|o| format!("{o}{}", uri.path()));
        method == http::Method::POST
            && self
                .catalog
                .as_ref()
                .is_some_and(|w| target.as_ref() == Some(&w.tokens))
    }

    /// Admits the endpoints the component takes from a token answer (status, headers,
    /// body). An answer that is no token, or names no usable endpoint, admits nothing: the
    /// component then fails on it with its own typed error.
    pub fn learn(&self, status: u16, headers: &http::HeaderMap, body: &[u8]) {
        let Some(watch) = &self.catalog else { return };
        let answer = Response {
            status,
            headers: headers
                .iter()
                .map(|(k, v)| {
                    (
                        k.as_str().to_string(),
                        String::from_utf8_lossy(v.as_bytes()).into_owned(),
                    )
                })
                .collect(),
            body: body.to_vec(),
        };
        let Ok(token) = auth::decode_token(&answer) else { return };
        for types in &watch.services {
            let found = auth::find_endpoint(&token.catalog, types, watch.region.as_deref(), &watch.interface);
            if let Some(o) = found.ok().as_deref().and_then(origin) {
                admit(&mut self.lock(), o);
            }
        }
    }

    /// The origins admitted so far.
    pub fn origins(&self) -> Vec<String> {
        self.lock().clone()
    }

    fn lock(&self) -> std::sync::MutexGuard<'_, Vec<String>> {
        self.origins.lock().unwrap_or_else(|e| e.into_inner())
    }
}

fn admit(origins: &mut Vec<String>, o: String) {
    if !origins.contains(&o) {
        origins.push(o);
    }
}

/// `scheme://host:port`, lower case, with the scheme's default port made explicit.
pub fn origin(url: &str) -> Option<String> {
    origin_of(&url.parse().ok()?)
}

/// `scheme://host:port/path` (no query), as [`origin`] plus the path.
fn location(url: &str) -> Option<String> {
    let uri: http::Uri = url.parse().ok()?;
    Some(format!("{}{}", origin_of(&uri)?, uri.path()))
}

fn origin_of(uri: &http::Uri) -> Option<String> {
    let scheme = uri.scheme_str()?.to_ascii_lowercase();
    if scheme != "http" && scheme != "https" {
        return None;
    }
    let host = uri.host()?.to_ascii_lowercase();
    let port = uri.port_u16().unwrap_or(if scheme == "https" { 443 } else { 80 });
    Some(format!("{scheme}://{host}:{port}"))
}

#[cfg(test)]
mod tests {
    use super::*;
    use crate::spec;

    const KEYSTONE: &str = "https://keystone.example:5000/v3";

    fn token_answer(endpoints: &[(&str, &str, &str, &str)]) -> Vec<u8> {
        let catalog: Vec<_> = endpoints
            .iter()
            .map(|(ty, region, iface, url)| {
                serde_json::json!({"type": ty, "endpoints": [
                    {"interface": iface, "region": region, "region_id": region, "url": url}]})
            })
            .collect();
        serde_json::to_vec(&serde_json::json!({"token": {"catalog": catalog}})).unwrap()
    }

    fn subject() -> http::HeaderMap {
        let mut h = http::HeaderMap::new();
        h.insert("x-subject-token", "gAAAAAtoken-value".parse().unwrap());
        h
    }

    fn app_credential() -> crate::Credentials {
        crate::Credentials::ApplicationCredential(crate::ApplicationCredential {
            id: "app-cred-id".into(),
            secret: "app-cred-secret".into(),
        })
    }

    fn list(region: Option<&str>) -> AllowList {
        let cfg = Config {
            region: region.map(str::to_string),
            ..spec::config(KEYSTONE, app_credential())
        };
        AllowList::for_config(&cfg, &[])
    }

    const CATALOG: &[(&str, &str, &str, &str)] = &[
        ("volumev3", "dc3-a", "public", "https://cinder.example:8776/v3/p"),
        ("volumev3", "dc3-a", "internal", "http://10.0.0.5:8776/v3/p"),
        ("volumev3", "dc4-a", "public", "https://cinder-dc4.example/v3/p"),
        ("compute", "dc3-a", "public", "https://nova.example:8774/v2.1"),
        ("image", "dc3-a", "public", "https://glance.example"),
    ];

    #[test]
    fn admits_the_endpoints_the_component_chooses_and_nothing_else() {
        let allow = list(Some("dc3-a"));
        let uri: http::Uri = format!("{KEYSTONE}/auth/tokens").parse().unwrap();
        assert!(allow.reads_catalog(&http::Method::POST, &uri));
        allow.learn(201, &subject(), &token_answer(CATALOG));
        let mut got = allow.origins();
        got.sort();
        assert_eq!(
            got,
            [
                "https://cinder.example:8776",
                "https://keystone.example:5000",
                "https://nova.example:8774"
            ]
        );
        for refused in [
            "http://10.0.0.5:8776/v3/p",
            "https://cinder-dc4.example/v3/p",
            "https://glance.example/v2/images",
        ] {
            assert!(!allow.permits(&refused.parse().unwrap()), "{refused}");
        }
    }

    #[test]
    fn reads_a_catalog_only_from_the_configured_keystones_token_answer() {
        let allow = list(None);
        for (method, url) in [
            (http::Method::POST, "https://keystone.example:5001/v3/auth/tokens"),
            (http::Method::POST, "https://other.example:5000/v3/auth/tokens"),
            (http::Method::POST, "https://keystone.example:5000/v3/auth/tokens/x"),
            (http::Method::GET, "https://keystone.example:5000/v3/auth/tokens"),
            (http::Method::POST, "https://cinder.example:8776/v3/auth/tokens"),
        ] {
            assert!(!allow.reads_catalog(&method, &url.parse().unwrap()), "{method} {url}");
        }
        // An answer without a subject token is no token answer: nothing is learned.
        allow.learn(201, &http::HeaderMap::new(), &token_answer(CATALOG));
        assert_eq!(allow.origins(), ["https://keystone.example:5000"]);
    }

    #[test]
    fn configured_service_urls_are_not_overridden_by_the_catalog() {
        let cfg = Config {
            block_storage_url: Some("https://volume.example/v3/p".into()),
            compute_url: Some("https://compute.example/v2.1".into()),
            ..spec::config(KEYSTONE, app_credential())
        };
        let allow = AllowList::for_config(&cfg, &[]);
        let uri: http::Uri = format!("{KEYSTONE}/auth/tokens").parse().unwrap();
        assert!(!allow.reads_catalog(&http::Method::POST, &uri), "nothing left to learn");
        allow.learn(201, &subject(), &token_answer(CATALOG));
        assert!(!allow.permits(&"https://cinder.example:8776/v3".parse().unwrap()));
        assert!(allow.permits(&"https://volume.example/v3/p/volumes".parse().unwrap()));
    }
}
