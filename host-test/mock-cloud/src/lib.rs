//! A stateful mock of Keystone v3, Cinder v3 and Nova `os-volume_attachments`,
//! served over HTTP/1.1 on 127.0.0.1 from its own thread and tokio runtime.
//!
//! Responses (shapes, status codes, messages) follow a real Cinder 29.0.0; see
//! `host-test/fixtures/real-cinder-transcript.txt` and, for volume types, zones,
//! limits, user messages, updates, metadata and list queries,
//! `host-test/fixtures/real-cinder-transcript-extras.txt`; for cascade deletes,
//! `os-set_bootable`, `os-update_readonly_flag`, `os-retype`, `revert`,
//! `os-volume_upload_image` and volume transfers,
//! `host-test/fixtures/real-cinder-transcript-actions.txt`. A volume larger than
//! [`MockOptions::backend_max_volume_gb`] and a backup in an unknown zone fail
//! with the user messages the real one records. Uploading a volume to an image
//! succeeds unless [`MockOptions::glance`] is off. Tokens of other projects
//! ([`MockCloud::issue_token_for`]) see their own volumes, snapshots and backups,
//! e.g. to accept a volume transfer.
//!
//! Nova talks to Cinder the way a real Nova does, over HTTP through Cinder's
//! attachments API (3.44): attach reserves an attachment (volume `reserved`), puts
//! the compute host's connector (`attaching`) and completes it (`in-use`); detach
//! calls `os-begin_detaching` (`detaching`) and deletes the attachment as a service
//! (`available`). With [`MockOptions::cinder_url`] the same Nova fronts another
//! Cinder, e.g. a real one (`../shared/real-cinder`): the catalog then points at
//! it, and Nova forwards the caller's token without checking it itself.
//!
//! Nova's answers (status codes, bodies, messages, headers, device names, the
//! statuses Cinder shows meanwhile) follow a real Nova 34.0.0 with the fake virt
//! driver: `host-test/fixtures/real-nova-transcript.txt`, replayed against the mock
//! by `tests/mock/nova_transcript.rs`. Device names are Nova's generic ones (root
//! `/dev/sda`, volumes `/dev/sdb` and up; a requested name keeps its letter and takes
//! the root's prefix); libvirt would say `/dev/vdb`.

#![cfg(not(target_arch = "wasm32"))]

mod body;
mod cinder;
mod cinderclient;
pub mod cli;
mod keystone;
mod nova;
mod server;
mod state;
mod util;

use std::sync::{Arc, Mutex};
use std::time::Duration;

pub use server::Role;
pub use state::ResourceCounts;

/// Accepted application credential id.
pub const APP_CRED_ID: &str = "5a2c1c7e0d8b4f6e9a3b2c1d0e9f8a7b";
/// Accepted application credential secret.
pub const APP_CRED_SECRET: &str = "mock-app-cred-secret-Zx8Qw3";
/// Accepted user name (password credential).
pub const USER_NAME: &str = "mock-user";
/// Accepted password.
pub const PASSWORD: &str = "mock-password";
/// Accepted user domain name.
pub const USER_DOMAIN: &str = "Default";
/// Accepted project domain name.
pub const PROJECT_DOMAIN: &str = "Default";

/// Options for [`MockCloud::start_with`].
#[derive(Clone, Debug)]
pub struct MockOptions {
    pub project_id: String,
    pub project_name: String,
    pub region: String,
    /// How long a transitional status lasts. Nova's compute host leaves a volume
    /// `reserved`, then `attaching`, then `detaching` this long each; zero: Nova
    /// does all of it before answering.
    pub transition: Duration,
    pub token_ttl: Duration,
    pub catalog: Vec<CatalogEntry>,
    /// false: a normal project member (force-delete gives 403).
    pub admin: bool,
    pub max_microversion: String,
    /// `osapi_max_limit`.
    pub max_page: usize,
    /// An external Cinder's base URL, project included
    /// (`http://127.0.0.1:8776/v3/<project>`), for Nova and the catalog's
    /// block-storage/volumev3 entries. None: the mock's own Cinder.
    pub cinder_url: Option<String>,
    /// Keystone, Cinder and Nova each on a listener (port) of its own, as on most clouds;
    /// each answers only its own service's paths, and the catalog's `{base}` is the
    /// service's own listener. false: all three on one port.
    pub service_ports: bool,
    /// Volume types besides Cinder's own `__DEFAULT__` (e.g. performance tiers).
    pub volume_types: Vec<MockVolumeType>,
    /// The largest volume (GiB) the backend can create. A bigger one is accepted
    /// (202), then fails as on the real test Cinder, whose sparse-file backend cannot
    /// make a file of 16 TiB: `error`, with three driver messages and a scheduler one.
    pub backend_max_volume_gb: i64,
    /// Whether the cloud has an image service. true: `os-volume_upload_image`
    /// succeeds (the volume is `uploading` a while). false: it fails as on the
    /// real test Cinder, which has no Glance (400 `Connection to glance failed: ...`,
    /// the volume stays as it was).
    pub glance: bool,
}

/// A volume type of the mock's Cinder ([`MockOptions::volume_types`]). Private types
/// are shared with the mock's project: it lists and uses them like public ones.
#[derive(Clone, Debug, Default)]
pub struct MockVolumeType {
    /// None: a random UUID (see [`MockCloud::volume_type_id`]).
    pub id: Option<String>,
    pub name: String,
    pub description: Option<String>,
    pub is_public: bool,
    /// Only `RESKEY:availability_zones`, `multiattach` and `replication_enabled` are
    /// shown to non-admins (as in Cinder's default policy).
    pub extra_specs: Vec<(String, String)>,
    /// Shown to admins only.
    pub qos_specs_id: Option<String>,
}

impl MockVolumeType {
    /// A public type without extra specs.
    pub fn new(name: &str) -> MockVolumeType {
        MockVolumeType {
            name: name.to_string(),
            is_public: true,
            ..Default::default()
        }
    }
    pub fn description(mut self, d: &str) -> Self {
        self.description = Some(d.to_string());
        self
    }
    pub fn extra_spec(mut self, k: &str, v: &str) -> Self {
        self.extra_specs.push((k.to_string(), v.to_string()));
        self
    }
    pub fn private(mut self) -> Self {
        self.is_public = false;
        self
    }
}

/// One endpoint of the Keystone catalog. `url` may contain `{base}` (the listener of
/// the entry's service) and `{project}`, replaced when the mock starts.
#[derive(Clone, Debug)]
pub struct CatalogEntry {
    pub service_type: String,
    pub region: String,
    pub interface: String,
    pub url: String,
}

impl Default for MockOptions {
    fn default() -> Self {
        let region = "dc3-a".to_string();
        let mut catalog = Vec::new();
        for (ty, url) in [
            ("block-storage", "{base}/volume/v3/{project}"),
            ("volumev3", "{base}/volume/v3/{project}"),
            ("compute", "{base}/compute/v2.1"),
        ] {
            for iface in ["public", "internal", "admin"] {
                catalog.push(CatalogEntry {
                    service_type: ty.to_string(),
                    region: region.clone(),
                    interface: iface.to_string(),
                    url: url.to_string(),
                });
            }
        }
        MockOptions {
            project_id: "0123456789abcdef0123456789abcdef".to_string(),
            project_name: "demo-project".to_string(),
            region,
            transition: Duration::from_millis(300),
            token_ttl: Duration::from_secs(3600),
            catalog,
            admin: false,
            max_microversion: "3.71".to_string(),
            max_page: 1000,
            cinder_url: None,
            service_ports: false,
            volume_types: Vec::new(),
            backend_max_volume_gb: 16383,
            glance: true,
        }
    }
}

/// One request as received.
#[derive(Clone, Debug)]
pub struct RecordedRequest {
    pub method: String,
    pub path: String,
    pub query: Option<String>,
    pub headers: Vec<(String, String)>,
    pub body: Vec<u8>,
    /// When it was received (a waiter's polls are timed by it).
    pub at: std::time::Instant,
}

/// A fault to inject into matching requests.
#[derive(Clone, Debug)]
pub struct Fault {
    pub method: Option<String>,
    pub path_contains: String,
    pub times: usize,
    pub after: bool,
    pub kind: FaultKind,
}

#[derive(Clone, Debug)]
pub enum FaultKind {
    Status {
        status: u16,
        body: Option<String>,
        retry_after: Option<u32>,
    },
    Delay(Duration),
    MalformedJson,
    WrongShape,
    EmptyBody,
    Truncated,
    DropConnection,
    Enormous(usize),
    Unauthorized,
    /// A redirect (as a proxy in front of the service might send) to `location`.
    Redirect {
        status: u16,
        location: String,
    },
}

impl Fault {
    pub fn new(method: Option<&str>, path_contains: &str, kind: FaultKind) -> Fault {
        Fault {
            method: method.map(|m| m.to_string()),
            path_contains: path_contains.to_string(),
            times: 1,
            after: false,
            kind,
        }
    }
    pub fn times(mut self, n: usize) -> Self {
        self.times = n;
        self
    }
    pub fn after(mut self) -> Self {
        self.after = true;
        self
    }
}

/// A running mock cloud. Stops on [`MockCloud::stop`] or drop.
pub struct MockCloud {
    shared: Arc<Mutex<state::State>>,
    base: String,
    project_id: String,
    shutdown: Mutex<Option<tokio::sync::oneshot::Sender<()>>>,
    thread: Mutex<Option<std::thread::JoinHandle<()>>>,
}

impl MockCloud {
    pub fn start() -> MockCloud {
        Self::start_with(MockOptions::default())
    }

    pub fn start_with(opts: MockOptions) -> MockCloud {
        Self::start_on(opts, 0).expect("mock-cloud: cannot bind 127.0.0.1")
    }

    /// Like [`MockCloud::start_with`] on a given port (0 = any).
    pub fn start_on(opts: MockOptions, port: u16) -> std::io::Result<MockCloud> {
        let roles = if opts.service_ports {
            vec![(port, Role::Identity), (0, Role::Volume), (0, Role::Compute)]
        } else {
            vec![(port, Role::All)]
        };
        let mut listeners = Vec::new();
        let mut bases = state::Bases::default();
        for (port, role) in roles {
            let listener = std::net::TcpListener::bind(("127.0.0.1", port))?;
            listener.set_nonblocking(true)?;
            bases.set(role, format!("http://127.0.0.1:{}", listener.local_addr()?.port()));
            listeners.push((listener, role));
        }
        let base = bases.identity.clone();
        let project_id = opts.project_id.clone();
        let shared = Arc::new(Mutex::new(state::State::new(opts, bases)));
        let (tx, rx) = tokio::sync::oneshot::channel();
        let (ready_tx, ready_rx) = std::sync::mpsc::channel();
        let sh = shared.clone();
        let thread = std::thread::Builder::new()
            .name("mock-cloud".into())
            .spawn(move || server::run(listeners, sh, rx, ready_tx))?;
        let _ = ready_rx.recv();
        Ok(MockCloud {
            shared,
            base,
            project_id,
            shutdown: Mutex::new(Some(tx)),
            thread: Mutex::new(Some(thread)),
        })
    }

    fn st(&self) -> std::sync::MutexGuard<'_, state::State> {
        self.shared.lock().unwrap_or_else(|e| e.into_inner())
    }

    /// Keystone's listener (the only one, unless [`MockOptions::service_ports`]).
    pub fn base_url(&self) -> String {
        self.base.clone()
    }
    pub fn auth_url(&self) -> String {
        format!("{}/identity/v3", self.base)
    }
    /// The mock's Cinder, or [`MockOptions::cinder_url`] when set.
    pub fn block_storage_url(&self) -> String {
        self.st().cinder_url()
    }
    pub fn compute_url(&self) -> String {
        format!("{}/compute/v2.1", self.st().bases.compute)
    }
    pub fn project_id(&self) -> String {
        self.project_id.clone()
    }
    /// A valid token, as Keystone would issue.
    pub fn issue_token(&self) -> String {
        self.st().issue_token()
    }
    /// A valid token scoped to another project, `project_id` (any id, as Cinder's
    /// noauth takes any): its requests go to [`MockCloud::block_storage_url_for`]
    /// that project and see only that project's volumes, snapshots and transfers
    /// (e.g. to accept a volume transfer). Keystone itself knows only the mock's project.
    pub fn issue_token_for(&self, project_id: &str) -> String {
        self.st().issue_token_for(project_id)
    }
    /// The mock's Cinder endpoint for another project (see [`MockCloud::issue_token_for`]).
    pub fn block_storage_url_for(&self, project_id: &str) -> String {
        let st = self.st();
        format!("{}/volume/v3/{project_id}", st.bases.volume)
    }
    /// Every token issued so far becomes invalid.
    pub fn expire_tokens(&self) {
        self.st().tokens.clear();
    }
    /// An ACTIVE Nova server; returns its id.
    pub fn add_server(&self, name: &str) -> String {
        self.st().add_server(name)
    }
    /// "volumes", "snapshots", "backups", "gigabytes", "backup_gigabytes"; -1 = unlimited.
    pub fn set_quota(&self, resource: &str, limit: i64) {
        self.st().quotas.insert(resource.to_string(), limit);
    }
    /// The id of the volume type `name` (`__DEFAULT__` included).
    pub fn volume_type_id(&self, name: &str) -> Option<String> {
        let st = self.st();
        st.volume_types.iter().find(|t| t.name == name).map(|t| t.id.clone())
    }
    /// Force a status ("volume" | "snapshot" | "backup"); cancels pending transitions.
    pub fn set_status(&self, kind: &str, id: &str, status: &str) {
        self.st().set_status(kind, id, status);
    }
    pub fn inject(&self, fault: Fault) {
        self.st().faults.push(fault);
    }
    /// Adds `n` available 1 GiB volumes named `{prefix}{i}` directly (no requests, no
    /// quota); returns their ids.
    pub fn seed_volumes(&self, prefix: &str, n: usize) -> Vec<String> {
        cinder::seed_volumes(&mut self.st(), prefix, n)
    }
    /// Drops every injected fault not yet used up.
    pub fn clear_faults(&self) {
        self.st().faults.clear();
    }
    /// Breaks a share `rate` (0 to 1) of client requests at random with one of `kinds`,
    /// before the service acts on them (so nothing is created by a broken request).
    pub fn set_chaos(&self, rate: f64, kinds: Vec<FaultKind>) {
        self.st().chaos = (rate > 0.0).then_some((rate, kinds));
    }
    /// How many TCP connections clients have opened so far (keep-alive shows here).
    pub fn connections(&self) -> usize {
        self.st().connections
    }
    /// How many faults the chaos setting injected so far.
    pub fn chaos_injected(&self) -> usize {
        self.st().chaos_injected
    }
    /// The requests clients sent (Nova's own calls to the mock's Cinder are not
    /// among them, see [`MockCloud::nova_requests`]).
    pub fn requests(&self) -> Vec<RecordedRequest> {
        self.st().requests.clone()
    }
    /// The requests Nova sent to the mock's own Cinder (faults apply to them too).
    pub fn nova_requests(&self) -> Vec<RecordedRequest> {
        self.st().nova_requests.clone()
    }
    pub fn clear_requests(&self) {
        let mut st = self.st();
        st.requests.clear();
        st.nova_requests.clear();
    }
    /// Resources still present (pending transitions are applied first, not
    /// Nova's pending attach or detach work). `attachments` counts the mock
    /// Cinder's attachments.
    pub fn counts(&self) -> ResourceCounts {
        let mut st = self.st();
        st.tick();
        st.counts()
    }
    pub fn stop(self) {
        // Drop does the work.
    }
    fn shutdown_now(&self) {
        if let Some(tx) = self.shutdown.lock().unwrap_or_else(|e| e.into_inner()).take() {
            let _ = tx.send(());
        }
        if let Some(t) = self.thread.lock().unwrap_or_else(|e| e.into_inner()).take() {
            let _ = t.join();
        }
    }
}

impl Drop for MockCloud {
    fn drop(&mut self) {
        self.shutdown_now();
    }
}
