//! Where the acceptance suite runs: the mock cloud, a real Cinder, the real stack (Keystone,
//! Cinder, Nova) or a real cloud, and the per-scenario context that cleans up whatever a
//! scenario created.

use std::io::{Read, Write};
use std::net::TcpStream;
use std::sync::{OnceLock, PoisonError, RwLock, RwLockReadGuard, RwLockWriteGuard};
use std::time::{Duration, SystemTime, UNIX_EPOCH};

use host_test::real_stack::{self, openrc_config, RealStack};
use host_test::{
    spec, ApplicationCredential, Backup, BackupCreate, Config, Credentials, Error, PasswordCredential, Session,
    Snapshot, SnapshotCreate, Volume, VolumeCreate,
};
use mock_cloud::{MockCloud, MockOptions, MockVolumeType};

use crate::common::host;
pub use crate::common::{all, say};

/// The kinds of target, chosen by environment.
#[derive(Clone, Copy, Debug, PartialEq, Eq)]
pub enum Kind {
    /// The project's mock cloud (always available).
    Mock,
    /// The real Cinder of `../shared/real-cinder` at `REAL_CINDER_URL`, with the mock's Nova
    /// in front of it for attachments.
    RealCinder,
    /// The real Keystone and Cinder of `../shared/real-stack` (`REAL_STACK_ENV`), as the
    /// seeded member with its password openrc; no server.
    RealKeystone,
    /// The whole real stack (`REAL_STACK_ENV`): Keystone, Cinder and Nova, as the seeded
    /// member with its application credential, attaching to the seeded server.
    RealStack,
    /// A real OpenStack cloud from the usual `OS_*` variables.
    Cloud,
}

impl Kind {
    /// Whether each scenario gets a project of its own, so that it may expect to be alone
    /// there; the others share one project with every scenario running beside them.
    pub fn owns_project(self) -> bool {
        matches!(self, Kind::Mock | Kind::RealCinder)
    }

    /// Put in names, so that the targets sharing one project never see each other's.
    fn tag(self) -> &'static str {
        match self {
            Kind::Mock => "mock",
            Kind::RealCinder => "cinder",
            Kind::RealKeystone => "keystone",
            Kind::RealStack => "stack",
            Kind::Cloud => "cloud",
        }
    }
}

/// Raw admin calls the contract does not offer (quotas, reset-status, volume types), sent
/// straight to the block storage endpoint. Only targets where the suite can be admin have one.
#[derive(Clone)]
pub struct Admin {
    authority: String,
    base_path: String,
    token: String,
}

impl Admin {
    fn new(base_url: &str, token: String) -> Admin {
        let rest = base_url.strip_prefix("http://").expect("admin calls are plain http");
        let (authority, path) = rest.split_once('/').unwrap_or((rest, ""));
        Admin {
            authority: authority.to_string(),
            base_path: format!("/{}", path.trim_end_matches('/')),
            token,
        }
    }

    /// The real stack's seeded admin: a password token scoped to project `admin`, at Cinder's
    /// URL of that project (Cinder wants the URL's project to be the token's; an admin then
    /// reaches any project's quotas and volumes by id).
    fn of_stack(stack: &RealStack) -> Admin {
        let get = |k: &str| real_stack::value(&stack.openrc_admin, k);
        let auth = serde_json::json!({"auth": {
            "identity": {"methods": ["password"], "password": {"user": {
                "name": get("OS_USERNAME"),
                "domain": {"name": get("OS_USER_DOMAIN_NAME")},
                "password": get("OS_PASSWORD"),
            }}},
            "scope": {"project": {"name": get("OS_PROJECT_NAME"), "domain": {"name": get("OS_PROJECT_DOMAIN_NAME")}}},
        }});
        let keystone = Admin::new(&stack.keystone_url, String::new());
        let (status, head, body) = keystone.send("POST", "auth/tokens?nocatalog", &auth.to_string());
        assert_eq!(status, 201, "admin token refused: {body}");
        let token = head
            .lines()
            .find_map(|l| {
                l.split_once(':')
                    .filter(|(k, _)| k.eq_ignore_ascii_case("x-subject-token"))
            })
            .map(|(_, v)| v.trim().to_string())
            .expect("X-Subject-Token");
        let cinder = format!(
            "{}/v3/{}",
            stack.cinder_url.trim_end_matches('/'),
            stack.admin_project_id
        );
        Admin::new(&cinder, token)
    }

    /// Sends one request and returns the status, the head and the body.
    fn send(&self, method: &str, path: &str, body: &str) -> (u16, String, String) {
        let mut stream = TcpStream::connect(&self.authority).expect("admin: connect");
        stream.set_read_timeout(Some(Duration::from_secs(60))).ok();
        let token = match self.token.as_str() {
            "" => String::new(),
            t => format!("X-Auth-Token: {t}\r\n"),
        };
        let req = format!(
            "{method} {}/{path} HTTP/1.1\r\nHost: {}\r\n{token}Content-Type: application/json\r\n\
             OpenStack-API-Version: volume 3.0\r\nContent-Length: {}\r\nConnection: close\r\n\r\n{body}",
            self.base_path,
            self.authority,
            body.len()
        );
        stream.write_all(req.as_bytes()).expect("admin: send");
        let mut raw = Vec::new();
        stream.read_to_end(&mut raw).expect("admin: read");
        let text = String::from_utf8_lossy(&raw).into_owned();
        let status = text
            .split(' ')
            .nth(1)
            .and_then(|s| s.parse().ok())
            .unwrap_or_else(|| panic!("admin: no status in {text:?}"));
        let (head, body) = text.split_once("\r\n\r\n").unwrap_or((&text, ""));
        (status, head.to_string(), body.to_string())
    }

    /// Sends one request and returns the status and body.
    pub fn call(&self, method: &str, path: &str, body: &str) -> (u16, String) {
        let (status, _, body) = self.send(method, path, body);
        (status, body)
    }

    /// One of the project's quotas.
    fn quota(&self, project: &str, resource: &str) -> i64 {
        let (status, body) = self.call("GET", &format!("os-quota-sets/{project}"), "");
        assert_eq!(status, 200, "quota read refused: {body}");
        let v: serde_json::Value = serde_json::from_str(&body).unwrap_or_else(|e| panic!("quota set ({e}): {body}"));
        v["quota_set"][resource]
            .as_i64()
            .unwrap_or_else(|| panic!("no {resource} quota in {body}"))
    }

    /// Sets some of the project's quotas (`volumes`, `snapshots`, `backups`, …; -1 = none).
    fn set_quotas(&self, project: &str, limits: &[(&str, i64)]) -> Result<(), String> {
        let set: serde_json::Map<_, _> = limits.iter().map(|(k, v)| (k.to_string(), (*v).into())).collect();
        let body = serde_json::json!({ "quota_set": set }).to_string();
        match self.call("PUT", &format!("os-quota-sets/{project}"), &body) {
            (200, _) => Ok(()),
            (status, body) => Err(format!("quota update refused ({status}): {body}")),
        }
    }

    /// `os-reset_status` on a volume.
    pub fn reset_volume_status(&self, id: &str, status: &str) {
        let (code, body) = self.call(
            "POST",
            &format!("volumes/{id}/action"),
            &format!(r#"{{"os-reset_status": {{"status": "{status}"}}}}"#),
        );
        assert_eq!(code, 202, "reset-status refused: {body}");
    }
}

/// One target, opened for one scenario.
pub struct Target {
    pub kind: Kind,
    pub cfg: Config,
    /// The project the scenario works in.
    pub project: String,
    /// The mock cloud (the whole cloud, or Nova in front of a real Cinder).
    pub mock: Option<MockCloud>,
    pub admin: Option<Admin>,
    /// A server volumes can be attached to.
    pub server: Option<String>,
    /// Seconds any one wait may take.
    pub wait_s: u32,
    /// A session config of a second project, for transfers (where the suite can make one).
    pub other: Option<Config>,
}

fn env(name: &str) -> Option<String> {
    std::env::var(name).ok().filter(|v| !v.trim().is_empty())
}

/// A project id of 32 hex digits, unique to this scenario and run, so scenarios running in
/// parallel on one real Cinder never see each other's volumes or quotas.
pub fn fresh_project(scenario: &str) -> String {
    let mut h: u64 = 0xcbf2_9ce4_8422_2325;
    for b in scenario.bytes() {
        h = (h ^ b as u64).wrapping_mul(0x100_0000_01b3);
    }
    let nanos = SystemTime::now()
        .duration_since(UNIX_EPOCH)
        .map(|d| d.as_nanos())
        .unwrap_or(0) as u64;
    format!("{h:016x}{:016x}", nanos ^ (std::process::id() as u64) << 40)
}

impl Target {
    /// Opens `kind` for `scenario`, or says why it is skipped.
    pub fn open(kind: Kind, scenario: &str) -> Result<Target, String> {
        match kind {
            Kind::Mock => Ok(Target::mock()),
            Kind::RealCinder => {
                let url = env("REAL_CINDER_URL").ok_or(
                    "REAL_CINDER_URL is not set (start ../shared/real-cinder/run-cinder.sh PORT and set it to \
                     http://127.0.0.1:PORT)",
                )?;
                Ok(Target::real_cinder(url.trim_end_matches('/'), scenario))
            }
            Kind::RealKeystone | Kind::RealStack => Target::real_stack(kind),
            Kind::Cloud => Target::cloud(),
        }
    }

    fn mock() -> Target {
        let mock = MockCloud::start_with(MockOptions {
            transition: Duration::from_millis(100),
            admin: true,
            volume_types: vec![MockVolumeType::new("acc-tier-a"), MockVolumeType::new("acc-tier-b")],
            ..MockOptions::default()
        });
        let cfg = Config {
            timeout_ms: Some(10_000),
            ..host_test::mock_config(&mock)
        };
        let second = "0f0f0f0f0f0f0f0f0f0f0f0f0f0f0f0f";
        let other = Config {
            auth_url: String::new(),
            credentials: Credentials::Token(mock.issue_token_for(second)),
            block_storage_url: Some(mock.block_storage_url_for(second)),
            ..cfg.clone()
        };
        Target {
            other: Some(other),
            kind: Kind::Mock,
            cfg,
            project: mock.project_id(),
            admin: Some(Admin::new(&mock.block_storage_url(), mock.issue_token())),
            server: Some(mock.add_server("acceptance")),
            mock: Some(mock),
            wait_s: 30,
        }
    }

    fn real_cinder(url: &str, scenario: &str) -> Target {
        let project = fresh_project(scenario);
        let block_storage = format!("{url}/v3/{project}");
        // Cinder's noauth middleware takes `user:project` tokens.
        let token = format!("acceptance:{project}");
        let nova = MockCloud::start_with(MockOptions {
            project_id: project.clone(),
            cinder_url: Some(block_storage.clone()),
            transition: Duration::from_millis(100),
            ..MockOptions::default()
        });
        let cfg = Config {
            block_storage_url: Some(block_storage.clone()),
            compute_url: Some(nova.compute_url()),
            timeout_ms: Some(30_000),
            ..spec::config("", Credentials::Token(token.clone()))
        };
        let second = fresh_project(&format!("{scenario}-receiver"));
        let other = Config {
            block_storage_url: Some(format!("{url}/v3/{second}")),
            credentials: Credentials::Token(format!("acceptance:{second}")),
            ..cfg.clone()
        };
        Target {
            other: Some(other),
            kind: Kind::RealCinder,
            cfg,
            admin: Some(Admin::new(&block_storage, token)),
            server: Some(nova.add_server("acceptance")),
            mock: Some(nova),
            project,
            wait_s: 180,
        }
    }

    /// The real stack's project `demo`, where the scenarios of both its targets run side by
    /// side: `real_keystone` with the password openrc, `real_stack` with the application
    /// credential (so each kind of session runs every scenario that needs no Nova). Admin
    /// calls go through the seeded admin; the admin's own project receives transfers.
    fn real_stack(kind: Kind) -> Result<Target, String> {
        env("REAL_STACK_ENV").ok_or(
            "REAL_STACK_ENV is not set (start ../shared/real-stack/run-stack.sh up PORT and point it at the \
             stack.env it writes)",
        )?;
        let stack = real_stack::from_env("acceptance").ok_or("REAL_STACK_ENV is not set")?;
        let (rc, server) = match kind {
            Kind::RealStack => (&stack.openrc_appcred, Some(stack.server_id.clone())),
            _ => (&stack.openrc, None),
        };
        let admin = Admin::of_stack(&stack);
        // Cinder's default quotas (10 volumes) would fail scenarios that run side by side in
        // one project; raised once per run, before any scenario starts.
        static ROOMY: OnceLock<()> = OnceLock::new();
        ROOMY.get_or_init(|| {
            let none = [("volumes", -1), ("snapshots", -1), ("backups", -1), ("gigabytes", -1)];
            admin
                .set_quotas(&stack.demo_project_id, &none)
                .unwrap_or_else(|e| panic!("{e}"));
        });
        Ok(Target {
            kind,
            cfg: Config {
                timeout_ms: Some(30_000),
                ..openrc_config(rc)
            },
            project: stack.demo_project_id.clone(),
            mock: None,
            admin: Some(admin),
            server,
            wait_s: 180,
            other: Some(openrc_config(&stack.openrc_admin)),
        })
    }

    fn cloud() -> Result<Target, String> {
        let auth_url = env("OS_AUTH_URL").ok_or("OS_AUTH_URL is not set (source an openrc to run against a cloud)")?;
        let credentials = if let (Some(id), Some(secret)) = (
            env("OS_APPLICATION_CREDENTIAL_ID"),
            env("OS_APPLICATION_CREDENTIAL_SECRET"),
        ) {
            Credentials::ApplicationCredential(ApplicationCredential { id, secret })
        } else {
            let domain = |names: &[&str]| names.iter().find_map(|n| env(n)).unwrap_or_else(|| "Default".into());
            Credentials::Password(PasswordCredential {
                user_name: env("OS_USERNAME").ok_or("OS_USERNAME or OS_APPLICATION_CREDENTIAL_ID is needed")?,
                password: env("OS_PASSWORD").ok_or("OS_PASSWORD is not set")?,
                user_domain: domain(&["OS_USER_DOMAIN_NAME", "OS_USER_DOMAIN_ID"]),
                project_name: env("OS_PROJECT_NAME").ok_or("OS_PROJECT_NAME is not set")?,
                project_domain: domain(&["OS_PROJECT_DOMAIN_NAME", "OS_PROJECT_DOMAIN_ID"]),
            })
        };
        let cfg = Config {
            region: env("OS_REGION_NAME"),
            endpoint_interface: env("OS_INTERFACE"),
            ..spec::config(&auth_url, credentials)
        };
        Ok(Target {
            other: None,
            kind: Kind::Cloud,
            cfg,
            project: String::new(),
            mock: None,
            admin: None,
            server: env("ACCEPTANCE_SERVER_ID"),
            wait_s: 600,
        })
    }
}

/// Unwraps a call that must succeed.
pub fn ok<T>(what: &str, c: host_test::Result<T>) -> T {
    match c {
        Ok(v) => v,
        Err(e) => panic!("{what}: {}", e),
    }
}

/// Unwraps a call that must fail with the error variant `kind`.
pub fn fails<T: std::fmt::Debug>(what: &str, kind: &str, c: host_test::Result<T>) -> Error {
    match c {
        Ok(v) => panic!("{what}: expected {kind}, got {v:?}"),
        Err(e) if e.kind() == kind => e,
        Err(e) => panic!("{what}: expected {kind}, got {}", e),
    }
}

#[derive(Clone, Debug)]
enum Made {
    Volume(String),
    Snapshot(String),
    Backup(String),
    Attached { volume: String, server: String },
}

/// Scenarios in a shared project run side by side (each holds this for reading), except one
/// that needs the project to itself (it holds it for writing): quota changes, usage counts.
static SHARED_PROJECT: RwLock<()> = RwLock::new(());

/// A scenario's hold on the shared project.
enum Hold {
    Beside(#[allow(dead_code)] RwLockReadGuard<'static, ()>),
    Alone(#[allow(dead_code)] RwLockWriteGuard<'static, ()>),
}

/// A scenario's session on its target. Everything made through it is removed when it is
/// dropped, also when the scenario panics; then a project the scenario owns must be empty,
/// and a shared one must hold nothing under the scenario's names.
pub struct Ctx {
    pub t: Target,
    pub s: Session,
    scenario: String,
    made: Vec<Made>,
    /// Quotas to set back after the clean-up, as (resource, limit before the scenario).
    quotas: Vec<(String, i64)>,
    hold: Option<Hold>,
}

impl Ctx {
    pub fn new(t: Target, scenario: &str) -> Ctx {
        let hold = (!t.kind.owns_project())
            .then(|| Hold::Beside(SHARED_PROJECT.read().unwrap_or_else(PoisonError::into_inner)));
        let s = Ctx::connect(&t.cfg).unwrap_or_else(|e| panic!("connect to {:?}: {}", t.kind, e));
        Ctx {
            t,
            s,
            scenario: scenario.to_string(),
            made: Vec::new(),
            quotas: Vec::new(),
            hold,
        }
    }

    /// Waits until no other scenario of this run works in the shared project, and keeps it
    /// so until this one ends (nothing to do in a project of its own).
    pub fn quiet_project(&mut self) {
        if matches!(self.hold, Some(Hold::Beside(_))) {
            self.hold = None;
            self.hold = Some(Hold::Alone(
                SHARED_PROJECT.write().unwrap_or_else(PoisonError::into_inner),
            ));
        }
    }

    /// Sets one of the project's quotas (-1 = none) for the rest of the scenario, with the
    /// project to itself; false where the suite is not admin. Set back after the clean-up
    /// (Cinder refuses a quota below what the project uses).
    pub fn set_quota(&mut self, resource: &str, limit: i64) -> bool {
        let Some(admin) = self.t.admin.clone() else {
            return false;
        };
        self.quiet_project();
        let project = &self.t.project;
        self.quotas.push((resource.to_string(), admin.quota(project, resource)));
        admin
            .set_quotas(project, &[(resource, limit)])
            .unwrap_or_else(|e| panic!("{e}"));
        true
    }

    pub fn connect(cfg: &Config) -> Result<Session, Error> {
        host().connect(cfg)
    }

    /// Another session on the same target, at microversion `mv`.
    pub fn session_at(&self, mv: &str) -> Session {
        let cfg = Config {
            microversion: Some(mv.into()),
            ..self.t.cfg.clone()
        };
        Ctx::connect(&cfg).unwrap_or_else(|e| panic!("connect at {mv}: {}", e))
    }

    /// A name that marks what this scenario made on this target.
    pub fn name(&self, what: &str) -> String {
        format!("acc-{}-{}-{what}", self.t.kind.tag(), self.scenario)
    }

    pub fn wait_s(&self) -> u32 {
        self.t.wait_s
    }

    /// Creates a volume and waits until it is `available`.
    pub fn volume(&mut self, spec: VolumeCreate) -> Volume {
        let v = self.start_volume(spec);
        self.wait_volume(&v.id, "available")
    }

    /// Creates a volume without waiting.
    pub fn start_volume(&mut self, spec: VolumeCreate) -> Volume {
        let v = ok("volume create", self.s.volume_create(&spec));
        self.made.push(Made::Volume(v.id.clone()));
        v
    }

    pub fn wait_volume(&mut self, id: &str, status: &str) -> Volume {
        let w = self.wait_s();
        let v = ok(
            &format!("wait for volume {status}"),
            self.s.volume_wait_for(id, status, w),
        );
        v.unwrap_or_else(|| panic!("volume {id} vanished while waiting for {status}"))
    }

    /// Creates a snapshot and waits until it is `available`.
    pub fn snapshot(&mut self, spec: SnapshotCreate) -> Snapshot {
        let snap = self.start_snapshot(spec);
        self.wait_snapshot(&snap.id)
    }

    pub fn start_snapshot(&mut self, spec: SnapshotCreate) -> Snapshot {
        let c = self.s.snapshot_create(&spec);
        self.track_snapshot(c)
    }

    /// Records the snapshot a create call (on any session) made.
    pub fn track_snapshot(&mut self, c: host_test::Result<Snapshot>) -> Snapshot {
        let snap = ok("snapshot create", c);
        self.made.push(Made::Snapshot(snap.id.clone()));
        snap
    }

    pub fn wait_snapshot(&mut self, id: &str) -> Snapshot {
        let w = self.wait_s();
        ok("wait for snapshot", self.s.snapshot_wait_for(id, "available", w)).expect("snapshot vanished")
    }

    /// Creates a backup and waits until it is `available`.
    pub fn backup(&mut self, spec: BackupCreate) -> Backup {
        let b = ok("backup create", self.s.backup_create(&spec));
        self.made.push(Made::Backup(b.id.clone()));
        self.wait_backup(&b.id)
    }

    pub fn wait_backup(&mut self, id: &str) -> Backup {
        let w = self.wait_s();
        ok("wait for backup", self.s.backup_wait_for(id, "available", w)).expect("backup vanished")
    }

    /// Records a volume made by the server on our behalf (a restore to a new volume).
    pub fn adopt_volume(&mut self, id: &str) {
        self.made.push(Made::Volume(id.to_string()));
    }

    /// Attaches `volume` to the target's server and waits until it is `in-use`.
    pub fn attach(&mut self, volume: &str) -> Volume {
        let server = self.t.server.clone().expect("attach needs a server");
        ok("attach", self.s.volume_attach(volume, &server, None));
        self.made.push(Made::Attached {
            volume: volume.to_string(),
            server,
        });
        self.wait_volume(volume, "in-use")
    }

    /// Detaches `volume` and waits until it is `available` again.
    pub fn detach(&mut self, volume: &str) -> Volume {
        let server = self.t.server.clone().expect("detach needs a server");
        ok("detach", self.s.volume_detach(volume, &server));
        self.made
            .retain(|m| !matches!(m, Made::Attached { volume: v, .. } if v == volume));
        self.wait_volume(volume, "available")
    }

    /// Marks something as already deleted by the scenario itself.
    pub fn forget(&mut self, id: &str) {
        self.made.retain(|m| match m {
            Made::Volume(x) | Made::Snapshot(x) | Made::Backup(x) => x != id,
            Made::Attached { .. } => true,
        });
    }

    /// Removes everything, newest first (a clone before its snapshot, an incremental
    /// backup before its parent), detaching first. Returns what could not be removed.
    fn clean_up(&mut self) -> Vec<String> {
        let mut left = Vec::new();
        let Ok(mut s) = Ctx::connect(&self.t.cfg) else {
            return vec!["no session for clean-up".into()];
        };
        let w = self.t.wait_s;
        let made: Vec<Made> = self.made.drain(..).rev().collect();
        for m in made.iter().filter(|m| matches!(m, Made::Attached { .. })) {
            if let Made::Attached { volume, server } = m {
                let _ = s.volume_detach(volume, server);
                let _ = s.volume_wait_for(volume, "available", w);
            }
        }
        for m in &made {
            let outcome = match m {
                Made::Attached { .. } => continue,
                Made::Volume(id) => settle(
                    &mut s,
                    |s| s.volume_delete(id, false, false),
                    |s| s.volume_wait_for(id, "deleted", w),
                ),
                Made::Snapshot(id) => settle(
                    &mut s,
                    |s| s.snapshot_delete(id, false),
                    |s| s.snapshot_wait_for(id, "deleted", w),
                ),
                Made::Backup(id) => settle(
                    &mut s,
                    |s| s.backup_delete(id, false),
                    |s| s.backup_wait_for(id, "deleted", w),
                ),
            };
            if let Err(e) = outcome {
                left.push(format!("{m:?}: {e}"));
            }
        }
        left
    }
}

/// Deletes, retrying while the resource is still busy (a delete refused with 400 while a
/// transition finishes), then waits until it is gone.
fn settle<A: std::fmt::Debug, B: std::fmt::Debug>(
    s: &mut Session,
    delete: impl Fn(&mut Session) -> host_test::Result<A>,
    gone: impl Fn(&mut Session) -> host_test::Result<B>,
) -> Result<(), String> {
    let deadline = std::time::Instant::now() + Duration::from_secs(120);
    loop {
        match delete(s) {
            Ok(_) => break,
            Err(e) if e.kind() == "not-found" => return Ok(()),
            Err(e) if e.kind() == "bad-request" && std::time::Instant::now() < deadline => {
                std::thread::sleep(Duration::from_millis(500));
            }
            Err(e) => return Err(e.to_string()),
        }
    }
    match gone(s) {
        Ok(_) => Ok(()),
        Err(e) => Err(e.to_string()),
    }
}

impl Drop for Ctx {
    fn drop(&mut self) {
        let mut leaks = self.clean_up();
        if let Some(admin) = &self.t.admin {
            for (resource, before) in self.quotas.drain(..).rev() {
                leaks.extend(admin.set_quotas(&self.t.project, &[(&resource, before)]).err());
            }
        }
        // Where the suite owns the whole project, nothing at all may remain; in a shared
        // one, nothing named by this scenario.
        if let Ok(mut s) = Ctx::connect(&self.t.cfg) {
            let (every, prefix) = (self.t.kind.owns_project(), self.name(""));
            let mine = |name: &Option<String>| every || name.as_deref().is_some_and(|n| n.starts_with(&prefix));
            let mut count = |n: usize, what: &str| {
                if n > 0 {
                    leaks.push(format!("{n} {what} left in the project"));
                }
            };
            count(
                s.volume_list(&all())
                    .map_or(0, |l| l.iter().filter(|x| mine(&x.name)).count()),
                "volumes",
            );
            count(
                s.snapshot_list(&all())
                    .map_or(0, |l| l.iter().filter(|x| mine(&x.name)).count()),
                "snapshots",
            );
            count(
                s.backup_list(&all())
                    .map_or(0, |l| l.iter().filter(|x| mine(&x.name)).count()),
                "backups",
            );
        }
        if let Some(mock) = &self.t.mock {
            if self.t.kind == Kind::Mock && mock.counts().attachments > 0 {
                leaks.push("attachments left on the mock".into());
            }
        }
        if !leaks.is_empty() {
            let msg = format!(
                "{:?}/{}: clean-up left: {}",
                self.t.kind,
                self.scenario,
                leaks.join("; ")
            );
            if std::thread::panicking() {
                say(&msg);
            } else {
                panic!("{msg}");
            }
        }
    }
}

/// Runs `scenario` against `kind`, or says clearly that it is skipped and why.
pub fn run(kind: Kind, name: &str, scenario: fn(&mut Ctx)) {
    let t = match Target::open(kind, name) {
        Ok(t) => t,
        Err(why) => {
            say(&format!("acceptance {kind:?}/{name}: SKIPPED: {why}"));
            return;
        }
    };
    let started = std::time::Instant::now();
    let mut cx = Ctx::new(t, name);
    scenario(&mut cx);
    drop(cx);
    say(&format!(
        "acceptance {kind:?}/{name}: passed in {:.1} s",
        started.elapsed().as_secs_f64()
    ));
}

fn api(e: &Error) -> &host_test::ApiError {
    e.api().unwrap_or_else(|| panic!("not an HTTP error: {e}"))
}

/// The HTTP status inside an error.
pub fn api_status(e: &Error) -> u16 {
    api(e).status
}

pub fn request_id(e: &Error) -> Option<&str> {
    api(e).request_id.as_deref()
}

pub fn retry_after(e: &Error) -> Option<u32> {
    api(e).retry_after_s
}
