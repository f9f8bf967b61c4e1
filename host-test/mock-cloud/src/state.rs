//! Shared state of the mock cloud and its time-driven transitions.

use crate::util::{hex32, now_us, uuid4};
use crate::{Fault, MockOptions, RecordedRequest};
use serde_json::{Map, Value};
use std::collections::HashMap;
use std::time::{Duration, Instant};

/// Resources still present.
#[derive(Clone, Copy, Debug, Default, PartialEq, Eq)]
pub struct ResourceCounts {
    pub volumes: usize,
    pub snapshots: usize,
    pub backups: usize,
    pub attachments: usize,
}

pub enum RespBody {
    Bytes(Vec<u8>),
    Enormous(usize),
    Truncated(Vec<u8>),
    Drop,
}

pub struct Resp {
    pub status: u16,
    pub headers: Vec<(String, String)>,
    pub body: RespBody,
}

impl Resp {
    pub fn json(status: u16, v: &Value) -> Resp {
        Resp {
            status,
            headers: vec![("Content-Type".into(), "application/json".into())],
            body: RespBody::Bytes(serde_json::to_vec(v).unwrap_or_default()),
        }
    }
    pub fn empty(status: u16, content_type: &str) -> Resp {
        Resp {
            status,
            headers: vec![("Content-Type".into(), content_type.into())],
            body: RespBody::Bytes(Vec::new()),
        }
    }
    pub fn header(mut self, k: &str, v: impl Into<String>) -> Resp {
        self.headers.push((k.into(), v.into()));
        self
    }
}

#[derive(Clone, Debug)]
pub struct Volume {
    pub id: String,
    pub name: Option<String>,
    pub description: Option<String>,
    pub size: i64,
    pub status: String,
    pub created_at: i64,
    pub updated_at: Option<i64>,
    pub availability_zone: String,
    /// The type's name (`volume_type`) and id (`volume_type_id`, 3.63+).
    pub volume_type: String,
    pub volume_type_id: String,
    pub snapshot_id: Option<String>,
    pub source_volid: Option<String>,
    pub metadata: Map<String, Value>,
    pub multiattach: bool,
    /// Status to return to after a transient one (backing-up, extending...).
    pub previous_status: Option<String>,
    /// The backend pool; None when no backend could take the volume.
    pub host: Option<String>,
    /// The project that owns it (a transfer's accept changes it).
    pub project_id: String,
    /// `os-set_bootable`; shown as the string `"true"` or `"false"`.
    pub bootable: bool,
    /// The admin metadata `readonly` (`os-update_readonly_flag`), shown in the
    /// volume's `metadata` as `"True"`/`"False"` once set.
    pub readonly: Option<bool>,
}

#[derive(Clone, Debug)]
pub struct Snapshot {
    pub id: String,
    pub name: Option<String>,
    pub description: Option<String>,
    pub volume_id: String,
    pub status: String,
    pub size: i64,
    pub created_at: i64,
    pub updated_at: Option<i64>,
    pub metadata: Map<String, Value>,
    /// The project that owns it (it follows its volume in a transfer).
    pub project_id: String,
}

/// The resources of other projects than a request's (see `State::set_aside`).
#[derive(Debug, Default)]
pub struct Aside {
    pub volumes: Vec<Volume>,
    pub snapshots: Vec<Snapshot>,
    pub backups: Vec<Backup>,
    /// Those of their volumes.
    pub attachments: Vec<Attachment>,
}

/// A volume transfer (`os-volume-transfer`): the volume is `awaiting-transfer`
/// until another project accepts it with the auth key, or the transfer is deleted.
#[derive(Clone, Debug)]
pub struct Transfer {
    pub id: String,
    pub volume_id: String,
    pub name: Option<String>,
    /// 16 hex digits, shown once (in the create answer).
    pub auth_key: String,
    pub created_at: i64,
    /// The snapshots stay with the donor (3.55+).
    pub no_snapshots: bool,
    pub source_project_id: String,
}

#[derive(Clone, Debug)]
pub struct Backup {
    pub id: String,
    pub name: Option<String>,
    pub description: Option<String>,
    pub volume_id: String,
    pub snapshot_id: Option<String>,
    pub status: String,
    pub size: i64,
    pub object_count: i64,
    pub container: Option<String>,
    pub created_at: i64,
    pub updated_at: Option<i64>,
    pub data_timestamp: i64,
    pub parent_id: Option<String>,
    pub metadata: Map<String, Value>,
    /// The zone asked for (3.51+), else the backup service's once it is available.
    pub availability_zone: Option<String>,
    pub fail_reason: Option<String>,
    /// The project that made it (backups stay with it when their volume is transferred).
    pub project_id: String,
}

/// A volume type (`GET /types`).
#[derive(Clone, Debug)]
pub struct VolumeType {
    pub id: String,
    pub name: String,
    pub description: Option<String>,
    pub is_public: bool,
    pub extra_specs: Map<String, Value>,
    pub qos_specs_id: Option<String>,
    pub created_at: i64,
}

/// A user message (`GET /messages`, 3.3+): why an asynchronous operation failed.
#[derive(Clone, Debug)]
pub struct Message {
    pub id: String,
    pub event_id: &'static str,
    pub user_message: &'static str,
    /// `VOLUME` or `VOLUME_BACKUP`.
    pub resource_type: &'static str,
    pub resource_uuid: String,
    /// The request that started the operation.
    pub request_id: String,
    pub created_at: i64,
    /// `guaranteed_until`: 30 days after creation.
    pub expires_at: i64,
}

/// A Cinder volume attachment (the attachments API, 3.27+).
#[derive(Clone, Debug)]
pub struct Attachment {
    pub id: String,
    pub volume_id: String,
    pub instance: Option<String>,
    /// `reserved` -> `attaching` (connector given) -> `attached` (os-complete).
    pub status: String,
    /// "null" until a connector (or the 3.54 `mode`) sets it.
    pub attach_mode: String,
    pub attached_at: Option<i64>,
    /// The connector's `host` and `mountpoint`.
    pub host: Option<String>,
    pub mountpoint: Option<String>,
    pub connection_info: Map<String, Value>,
    pub created_at: i64,
}

/// What the resources have in common: lookup by id, status changes and
/// listing (see `cinder::paging`) work the same way for all of them.
pub trait Resource {
    /// The name Cinder uses in messages ("Volume {id} could not be found.").
    const WHAT: &'static str;
    /// The collection in URLs and list bodies ("volumes").
    const COLL: &'static str;
    fn key(&self) -> Key<'_>;
    /// Changes its status (a resource without one ignores it).
    fn set_status(&mut self, _status: &str, _now: i64) {}
    /// Cinder's message for an unknown id.
    fn missing(id: &str) -> String {
        format!("{} {id} could not be found.", Self::WHAT)
    }
}

/// What every view shows of a resource: its id and name (if it has one).
pub struct Key<'a> {
    pub id: &'a str,
    pub name: Option<&'a str>,
}

/// Volumes, snapshots and backups: named, with a status and the time it changed.
macro_rules! named_resource {
    ($t:ty, $what:literal, $coll:literal) => {
        impl Resource for $t {
            const WHAT: &'static str = $what;
            const COLL: &'static str = $coll;
            fn key(&self) -> Key<'_> {
                Key {
                    id: &self.id,
                    name: self.name.as_deref(),
                }
            }
            fn set_status(&mut self, status: &str, now: i64) {
                (self.status, self.updated_at) = (status.to_string(), Some(now));
            }
        }
    };
}

named_resource!(Volume, "Volume", "volumes");
named_resource!(Snapshot, "Snapshot", "snapshots");
named_resource!(Backup, "Backup", "backups");

impl Resource for Attachment {
    const WHAT: &'static str = "Volume attachment";
    const COLL: &'static str = "attachments";
    fn key(&self) -> Key<'_> {
        Key {
            id: &self.id,
            name: None,
        }
    }
    fn set_status(&mut self, status: &str, _now: i64) {
        self.status = status.to_string();
    }
    fn missing(id: &str) -> String {
        format!("Volume attachment could not be found with filter: attachment_id = {id}.")
    }
}

impl Resource for VolumeType {
    const WHAT: &'static str = "Volume type";
    const COLL: &'static str = "types";
    fn key(&self) -> Key<'_> {
        Key {
            id: &self.id,
            name: Some(&self.name),
        }
    }
}

impl Resource for Transfer {
    const WHAT: &'static str = "Transfer";
    const COLL: &'static str = "os-volume-transfer";
    fn key(&self) -> Key<'_> {
        Key {
            id: &self.id,
            name: self.name.as_deref(),
        }
    }
}

impl Resource for Message {
    const WHAT: &'static str = "Message";
    const COLL: &'static str = "messages";
    fn key(&self) -> Key<'_> {
        Key {
            id: &self.id,
            name: None,
        }
    }
}

/// Sets the status of the resource `id` in `items`, if it is there.
pub fn set_status_in<T: Resource>(items: &mut [T], id: &str, status: &str, now: i64) {
    if let Some(x) = items.iter_mut().find(|x| x.key().id == id) {
        x.set_status(status, now);
    }
}

#[derive(Clone, Debug)]
pub struct Bdm {
    pub volume_id: String,
    pub device: String,
    pub attachment_id: String,
    pub bdm_uuid: String,
    pub tag: Option<String>,
    pub delete_on_termination: bool,
}

#[derive(Clone, Debug)]
pub struct Server {
    pub id: String,
    pub name: String,
    pub bdms: Vec<Bdm>,
}

#[derive(Debug)]
pub enum Op {
    VolStatus {
        id: String,
        status: String,
        size: Option<i64>,
    },
    VolRemove(String),
    /// A retype ends: the volume has its new type (name, id) and is back to its status.
    VolRetype {
        id: String,
        type_name: String,
        type_id: String,
    },
    SnapStatus(String, String),
    SnapRemove(String),
    BackupStatus(String, String),
    BackupRemove(String),
    /// A backup fails (status `error`) for the reason given.
    BackupFail(String, &'static str),
    /// A user message appears (about the resource it names).
    Message(Box<Message>),
}

impl Op {
    /// A plain volume status change (no resize).
    pub fn vol_status(id: &str, status: &str) -> Op {
        Op::VolStatus {
            id: id.to_string(),
            status: status.to_string(),
            size: None,
        }
    }

    fn id(&self) -> &str {
        match self {
            Op::VolStatus { id, .. } | Op::VolRetype { id, .. } => id,
            Op::VolRemove(id)
            | Op::SnapStatus(id, _)
            | Op::SnapRemove(id)
            | Op::BackupStatus(id, _)
            | Op::BackupRemove(id)
            | Op::BackupFail(id, _) => id,
            Op::Message(m) => &m.resource_uuid,
        }
    }
}

/// Where each service listens: `http://127.0.0.1:PORT`, the same for all three unless
/// [`MockOptions::service_ports`].
#[derive(Clone, Debug, Default)]
pub struct Bases {
    pub identity: String,
    pub volume: String,
    pub compute: String,
}

impl Bases {
    /// Records `base` as the listener of `role`'s service(s).
    pub fn set(&mut self, role: crate::Role, base: String) {
        use crate::Role;
        if matches!(role, Role::All | Role::Identity) {
            self.identity = base.clone();
        }
        if matches!(role, Role::All | Role::Volume) {
            self.volume = base.clone();
        }
        if matches!(role, Role::All | Role::Compute) {
            self.compute = base;
        }
    }

    /// The listener of a catalog service type.
    pub fn of_service(&self, service_type: &str) -> &str {
        match service_type {
            "block-storage" | "volumev3" | "volumev2" | "volume" => &self.volume,
            "compute" => &self.compute,
            _ => &self.identity,
        }
    }
}

pub struct State {
    pub opts: MockOptions,
    /// Keystone's listener (see [`Bases`]).
    pub base: String,
    pub bases: Bases,
    pub user_id: String,
    pub tokens: HashMap<String, Instant>,
    /// The project of each token scoped to another project than the mock's
    /// ([`crate::MockCloud::issue_token_for`]).
    pub token_projects: HashMap<String, String>,
    pub volumes: Vec<Volume>,
    pub snapshots: Vec<Snapshot>,
    pub backups: Vec<Backup>,
    pub attachments: Vec<Attachment>,
    pub transfers: Vec<Transfer>,
    /// Other projects' resources, set aside while a request of one project is
    /// handled (see `cinder::projects`); transitions wait meanwhile.
    pub set_aside: Option<Aside>,
    /// `__DEFAULT__` first, then [`MockOptions::volume_types`].
    pub volume_types: Vec<VolumeType>,
    pub messages: Vec<Message>,
    pub servers: Vec<Server>,
    pub quotas: HashMap<String, i64>,
    pub faults: Vec<Fault>,
    /// Random faults: the share of client requests to break, and the kinds to pick from.
    pub chaos: Option<(f64, Vec<crate::FaultKind>)>,
    pub chaos_injected: usize,
    /// TCP connections accepted so far.
    pub connections: usize,
    pub requests: Vec<RecordedRequest>,
    /// What Nova sent to the mock's own Cinder.
    pub nova_requests: Vec<RecordedRequest>,
    pub pending: Vec<(Instant, Op)>,
    last_ts: i64,
}

/// How long Cinder keeps a user message (`message_ttl`, 30 days), in µs.
const MESSAGE_TTL_US: i64 = 30 * 86_400 * 1_000_000;

/// The id of Cinder's own volume type, `__DEFAULT__`.
pub const DEFAULT_TYPE_ID: &str = "d5c9726b-d278-417a-87cc-1174e3dc7f6b";

/// `__DEFAULT__` and the types of `opts`, oldest first.
fn volume_types(opts: &MockOptions) -> Vec<VolumeType> {
    let default = VolumeType {
        id: DEFAULT_TYPE_ID.into(),
        name: "__DEFAULT__".into(),
        description: Some("Default Volume Type".into()),
        is_public: true,
        extra_specs: Map::new(),
        qos_specs_id: None,
        created_at: now_us() - 1000,
    };
    let others = opts.volume_types.iter().enumerate().map(|(i, t)| VolumeType {
        id: t.id.clone().unwrap_or_else(uuid4),
        name: t.name.clone(),
        description: t.description.clone(),
        is_public: t.is_public,
        extra_specs: t
            .extra_specs
            .iter()
            .map(|(k, v)| (k.clone(), Value::from(v.as_str())))
            .collect(),
        qos_specs_id: t.qos_specs_id.clone(),
        created_at: now_us() - 999 + i as i64,
    });
    std::iter::once(default).chain(others).collect()
}

impl State {
    pub fn new(opts: MockOptions, bases: Bases) -> State {
        let mut quotas = HashMap::new();
        for (k, v) in [
            ("volumes", 10),
            ("snapshots", 10),
            ("backups", 10),
            ("gigabytes", 1000),
            ("backup_gigabytes", 1000),
            ("per_volume_gigabytes", -1),
            ("groups", 10),
        ] {
            quotas.insert(k.to_string(), v);
        }
        let volume_types = volume_types(&opts);
        State {
            volume_types,
            messages: Vec::new(),
            opts,
            base: bases.identity.clone(),
            bases,
            user_id: hex32(),
            tokens: HashMap::new(),
            token_projects: HashMap::new(),
            volumes: Vec::new(),
            snapshots: Vec::new(),
            backups: Vec::new(),
            attachments: Vec::new(),
            transfers: Vec::new(),
            set_aside: None,
            servers: Vec::new(),
            quotas,
            faults: Vec::new(),
            chaos: None,
            chaos_injected: 0,
            connections: 0,
            requests: Vec::new(),
            nova_requests: Vec::new(),
            pending: Vec::new(),
            last_ts: 0,
        }
    }

    /// A strictly increasing wall-clock timestamp (µs), so created_at orders.
    pub fn now(&mut self) -> i64 {
        let t = now_us().max(self.last_ts + 1);
        self.last_ts = t;
        t
    }

    pub fn issue_token(&mut self) -> String {
        let tok = format!("gAAAAAB{}{}", hex32(), hex32());
        let exp = Instant::now() + self.opts.token_ttl;
        self.tokens.insert(tok.clone(), exp);
        tok
    }

    pub fn token_valid(&self, tok: &str) -> bool {
        matches!(self.tokens.get(tok), Some(exp) if *exp > Instant::now())
    }

    /// A valid token scoped to `project` (any id: a second project for transfers).
    pub fn issue_token_for(&mut self, project: &str) -> String {
        let tok = self.issue_token();
        if project != self.opts.project_id {
            self.token_projects.insert(tok.clone(), project.to_string());
        }
        tok
    }

    /// The project a (valid) token is scoped to.
    pub fn token_project(&self, tok: &str) -> &str {
        self.token_projects.get(tok).unwrap_or(&self.opts.project_id)
    }

    pub fn add_server(&mut self, name: &str) -> String {
        let id = uuid4();
        self.servers.push(Server {
            id: id.clone(),
            name: name.to_string(),
            bdms: Vec::new(),
        });
        id
    }

    pub fn quota(&self, k: &str) -> i64 {
        *self.quotas.get(k).unwrap_or(&-1)
    }

    pub fn schedule(&mut self, op: Op) {
        let due = Instant::now() + self.opts.transition;
        self.pending.push((due, op));
    }

    pub fn schedule_after(&mut self, extra: Duration, op: Op) {
        let due = Instant::now() + self.opts.transition + extra;
        self.pending.push((due, op));
    }

    pub fn set_status(&mut self, kind: &str, id: &str, status: &str) {
        self.tick();
        self.pending.retain(|(_, op)| op.id() != id);
        let now = self.now();
        match kind {
            "volume" => set_status_in(&mut self.volumes, id, status, now),
            "snapshot" => set_status_in(&mut self.snapshots, id, status, now),
            "backup" => set_status_in(&mut self.backups, id, status, now),
            _ => {}
        }
    }

    /// Apply every transition that is due (not while other projects' resources
    /// are set aside: they are applied once the request is answered).
    pub fn tick(&mut self) {
        let now = Instant::now();
        if self.set_aside.is_some() || self.pending.iter().all(|(d, _)| *d > now) {
            return;
        }
        self.pending.sort_by_key(|(d, _)| *d);
        let split = self.pending.iter().position(|(d, _)| *d > now);
        let due: Vec<(Instant, Op)> = match split {
            Some(i) => {
                let rest = self.pending.split_off(i);
                std::mem::replace(&mut self.pending, rest)
            }
            None => std::mem::take(&mut self.pending),
        };
        for (_, op) in due {
            self.apply(op);
        }
    }

    fn apply(&mut self, op: Op) {
        let now = self.now();
        match op {
            Op::VolStatus { id, status, size } => {
                if let Some(v) = self.volumes.iter_mut().find(|v| v.id == id) {
                    v.status = status;
                    v.previous_status = None;
                    v.updated_at = Some(now);
                    if let Some(s) = size {
                        v.size = s;
                    }
                }
            }
            Op::VolRemove(id) => {
                // A volume's attachments (and transfers) go with it.
                self.volumes.retain(|v| v.id != id);
                self.attachments.retain(|a| a.volume_id != id);
                self.transfers.retain(|t| t.volume_id != id);
            }
            Op::VolRetype { id, type_name, type_id } => {
                if let Some(v) = self.volumes.iter_mut().find(|v| v.id == id) {
                    v.status = v.previous_status.take().unwrap_or_else(|| "available".into());
                    (v.volume_type, v.volume_type_id) = (type_name, type_id);
                    v.updated_at = Some(now);
                }
            }
            Op::SnapStatus(id, st) => set_status_in(&mut self.snapshots, &id, &st, now),
            Op::SnapRemove(id) => self.snapshots.retain(|s| s.id != id),
            Op::BackupStatus(id, st) => {
                if let Some(b) = self.backups.iter_mut().find(|b| b.id == id) {
                    if b.status == "creating" && st == "available" {
                        b.object_count = b.size.max(1) * 2;
                        b.container.get_or_insert_with(|| "volumebackups".into());
                        b.availability_zone.get_or_insert_with(|| "nova".into());
                    }
                    b.status = st;
                    b.updated_at = Some(now);
                }
            }
            Op::BackupRemove(id) => self.backups.retain(|b| b.id != id),
            Op::BackupFail(id, reason) => {
                set_status_in(&mut self.backups, &id, "error", now);
                if let Some(b) = self.backups.iter_mut().find(|b| b.id == id) {
                    b.fail_reason = Some(reason.to_string());
                }
            }
            Op::Message(m) => self.messages.push(Message {
                created_at: now,
                expires_at: now + MESSAGE_TTL_US,
                ..*m
            }),
        }
    }

    pub fn tick_if_instant(&mut self) {
        if self.opts.transition.is_zero() {
            self.tick();
        }
    }

    pub fn counts(&self) -> ResourceCounts {
        ResourceCounts {
            volumes: self.volumes.len(),
            snapshots: self.snapshots.len(),
            backups: self.backups.len(),
            attachments: self.attachments.len(),
        }
    }

    /// The Cinder endpoint (with project) Nova talks to.
    pub fn cinder_url(&self) -> String {
        match &self.opts.cinder_url {
            Some(url) => url.trim_end_matches('/').to_string(),
            None => format!("{}/volume/v3/{}", self.bases.volume, self.opts.project_id),
        }
    }

    /// The attachments of volume `id`, oldest first.
    pub fn attachments_of<'a>(&'a self, id: &'a str) -> impl Iterator<Item = &'a Attachment> + 'a {
        self.attachments.iter().filter(move |a| a.volume_id == id)
    }

    /// Whether volume `id` has an attachment in `attached` state (Cinder's
    /// `attach_status == attached`).
    pub fn is_attached(&self, id: &str) -> bool {
        self.attachments_of(id).any(|a| a.status == "attached")
    }

    pub fn has_dependent_backups(&self, id: &str) -> bool {
        self.backups.iter().any(|b| b.parent_id.as_deref() == Some(id))
    }
}
