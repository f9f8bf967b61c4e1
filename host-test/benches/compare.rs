//! `cargo bench -p host-test --bench compare`: the same workloads through three clients, in
//! one run, alternating them round by round, against the mock cloud with no delays:
//!
//! 1. the component in wasmtime through this crate's host (pooled keep-alive transport);
//! 2. the same client logic (the `infomaniak-block-storage` crate) compiled natively over a
//!    small keep-alive HTTP/1.1 transport: what the wasm boundary costs;
//! 3. openstacksdk (latest from PyPI, in a venv this benchmark creates under
//!    `target/bench-venv`) driven through `benches/sdk_worker.py`.
//!
//! Workloads: `get` of one volume 1,000 times; `list` of 5,000 volumes in pages of 1,000;
//! the full lifecycle 50 times. Prints median and p95 per operation, requests per
//! operation, the ratios (1)/(2) and (3)/(1), and the component's size, compile time,
//! instantiation time and peak linear memory during the list. Then, for every operation
//! contract 0.2 added, the requests the component and openstacksdk send for it (one table
//! of operations, [`ops`]). `BENCH_QUICK=1` runs a tenth.

mod twin;

use std::io::{BufRead, BufReader, Write};
use std::process::{Child, ChildStdin, ChildStdout, Command, Stdio};
use std::time::{Duration, Instant};

use infomaniak_block_storage as native;
use mock_cloud::{MockCloud, MockOptions, MockVolumeType};

type Res<T> = Result<T, String>;

const ROUNDS: usize = 10;
const WAIT_S: u32 = 60;

// ---------------------------------------------------------------- the three clients

/// What a workload needs from a client.
trait Client {
    fn get(&mut self, id: &str) -> Res<()>;
    /// Lists every volume at `page` per request; returns how many.
    fn list(&mut self, page: u32) -> Res<usize>;
    fn lifecycle(&mut self, server: &str) -> Res<()>;
}

/// The steps of one lifecycle, written once over the operations both Rust clients offer.
trait Steps {
    fn create(&mut self, name: &str) -> Res<String>;
    fn wait(&mut self, kind: Kind, id: &str, status: &str) -> Res<()>;
    fn extend(&mut self, id: &str, size: u32) -> Res<()>;
    fn snapshot(&mut self, volume: &str) -> Res<String>;
    fn backup(&mut self, volume: &str) -> Res<String>;
    fn restore(&mut self, backup: &str, name: &str) -> Res<String>;
    fn attach(&mut self, volume: &str, server: &str) -> Res<()>;
    fn detach(&mut self, volume: &str, server: &str) -> Res<()>;
    fn delete(&mut self, kind: Kind, id: &str) -> Res<()>;
}

#[derive(Clone, Copy)]
enum Kind {
    Volume,
    Snapshot,
    Backup,
}

fn lifecycle(s: &mut dyn Steps, server: &str) -> Res<()> {
    let v = s.create("bench")?;
    s.wait(Kind::Volume, &v, "available")?;
    s.extend(&v, 2)?;
    s.wait(Kind::Volume, &v, "available")?;
    let snap = s.snapshot(&v)?;
    s.wait(Kind::Snapshot, &snap, "available")?;
    let b = s.backup(&v)?;
    s.wait(Kind::Backup, &b, "available")?;
    let r = s.restore(&b, "bench-restored")?;
    s.wait(Kind::Volume, &r, "available")?;
    s.wait(Kind::Backup, &b, "available")?;
    s.attach(&v, server)?;
    s.wait(Kind::Volume, &v, "in-use")?;
    s.detach(&v, server)?;
    s.wait(Kind::Volume, &v, "available")?;
    for (kind, id) in [
        (Kind::Volume, &r),
        (Kind::Backup, &b),
        (Kind::Snapshot, &snap),
        (Kind::Volume, &v),
    ] {
        s.delete(kind, id)?;
        s.wait(kind, id, "deleted")?;
    }
    Ok(())
}

/// (1) The component in wasmtime.
struct Component(host_test::Session);

fn call<T>(c: host_test::Result<T>) -> Res<T> {
    c.map_err(|e| e.to_string())
}

impl Steps for Component {
    fn create(&mut self, name: &str) -> Res<String> {
        Ok(call(self.0.volume_create(&host_test::spec::volume(1, name)))?.id)
    }
    fn wait(&mut self, kind: Kind, id: &str, status: &str) -> Res<()> {
        match kind {
            Kind::Volume => call(self.0.volume_wait_for(id, status, WAIT_S)).map(drop),
            Kind::Snapshot => call(self.0.snapshot_wait_for(id, status, WAIT_S)).map(drop),
            Kind::Backup => call(self.0.backup_wait_for(id, status, WAIT_S)).map(drop),
        }
    }
    fn extend(&mut self, id: &str, size: u32) -> Res<()> {
        call(self.0.volume_extend(id, size))
    }
    fn snapshot(&mut self, volume: &str) -> Res<String> {
        Ok(call(self.0.snapshot_create(&host_test::spec::snapshot(volume)))?.id)
    }
    fn backup(&mut self, volume: &str) -> Res<String> {
        Ok(call(self.0.backup_create(&host_test::spec::backup(volume)))?.id)
    }
    fn restore(&mut self, backup: &str, name: &str) -> Res<String> {
        Ok(call(self.0.backup_restore(backup, None, Some(name)))?.volume_id)
    }
    fn attach(&mut self, volume: &str, server: &str) -> Res<()> {
        call(self.0.volume_attach(volume, server, None)).map(drop)
    }
    fn detach(&mut self, volume: &str, server: &str) -> Res<()> {
        call(self.0.volume_detach(volume, server))
    }
    fn delete(&mut self, kind: Kind, id: &str) -> Res<()> {
        match kind {
            Kind::Volume => call(self.0.volume_delete(id, false, false)),
            Kind::Snapshot => call(self.0.snapshot_delete(id, false)),
            Kind::Backup => call(self.0.backup_delete(id, false)),
        }
    }
}

impl Client for Component {
    fn get(&mut self, id: &str) -> Res<()> {
        call(self.0.volume_get(id)).map(drop)
    }
    fn list(&mut self, page: u32) -> Res<usize> {
        let opts = host_test::ListOptions {
            page_size: Some(page),
            ..host_test::spec::list_all()
        };
        Ok(call(self.0.volume_list(&opts))?.len())
    }
    fn lifecycle(&mut self, server: &str) -> Res<()> {
        lifecycle(self, server)
    }
}

/// (2) The same client logic, native, over a keep-alive HTTP/1.1 connection.
struct Native(native::client::Client<twin::KeepAlive>);

fn n<T>(r: Result<T, native::Error>) -> Res<T> {
    r.map_err(|e| format!("{e:?}"))
}

impl Steps for Native {
    fn create(&mut self, name: &str) -> Res<String> {
        let spec = native::VolumeCreate {
            size: 1,
            name: Some(name.into()),
            description: None,
            volume_type: None,
            availability_zone: None,
            snapshot_id: None,
            source_volume_id: None,
            image_id: None,
            backup_id: None,
            metadata: vec![],
            idempotency_key: None,
        };
        Ok(n(native::volumes::create(&self.0, &spec))?.id)
    }
    fn wait(&mut self, kind: Kind, id: &str, status: &str) -> Res<()> {
        use native::resource::wait_for;
        match kind {
            Kind::Volume => n(wait_for::<native::Volume, _>(&self.0, id, status, WAIT_S)).map(drop),
            Kind::Snapshot => n(wait_for::<native::Snapshot, _>(&self.0, id, status, WAIT_S)).map(drop),
            Kind::Backup => n(wait_for::<native::Backup, _>(&self.0, id, status, WAIT_S)).map(drop),
        }
    }
    fn extend(&mut self, id: &str, size: u32) -> Res<()> {
        n(native::volumes::extend(&self.0, id, size))
    }
    fn snapshot(&mut self, volume: &str) -> Res<String> {
        let spec = native::SnapshotCreate {
            volume_id: volume.into(),
            name: None,
            description: None,
            force: false,
            metadata: vec![],
            idempotency_key: None,
        };
        Ok(n(native::snapshots::create(&self.0, &spec))?.id)
    }
    fn backup(&mut self, volume: &str) -> Res<String> {
        let spec = native::BackupCreate {
            volume_id: volume.into(),
            name: None,
            description: None,
            incremental: false,
            force: false,
            snapshot_id: None,
            container: None,
            metadata: vec![],
            availability_zone: None,
            idempotency_key: None,
        };
        Ok(n(native::backups::create(&self.0, &spec))?.id)
    }
    fn restore(&mut self, backup: &str, name: &str) -> Res<String> {
        Ok(n(native::backups::restore(&self.0, backup, &None, &Some(name.into())))?.volume_id)
    }
    fn attach(&mut self, volume: &str, server: &str) -> Res<()> {
        n(native::attachments::attach(&self.0, volume, server, &None)).map(drop)
    }
    fn detach(&mut self, volume: &str, server: &str) -> Res<()> {
        n(native::attachments::detach(&self.0, volume, server))
    }
    fn delete(&mut self, kind: Kind, id: &str) -> Res<()> {
        use native::resource::delete;
        match kind {
            Kind::Volume => n(delete::<native::Volume, _>(&self.0, id, false)),
            Kind::Snapshot => n(delete::<native::Snapshot, _>(&self.0, id, false)),
            Kind::Backup => n(delete::<native::Backup, _>(&self.0, id, false)),
        }
    }
}

impl Client for Native {
    fn get(&mut self, id: &str) -> Res<()> {
        n(native::resource::get::<native::Volume, _>(&self.0, id)).map(drop)
    }
    fn list(&mut self, page: u32) -> Res<usize> {
        let opts = native::ListOptions {
            status: None,
            name: None,
            page_size: Some(page),
            limit: None,
            marker: None,
            sort: None,
            volume_id: None,
            metadata: vec![],
        };
        Ok(n(native::resource::list::<native::Volume, _>(&self.0, &opts))?.len())
    }
    fn lifecycle(&mut self, server: &str) -> Res<()> {
        lifecycle(self, server)
    }
}

/// (3) openstacksdk in its own Python process.
struct Sdk {
    child: Child,
    stdin: ChildStdin,
    stdout: BufReader<ChildStdout>,
}

impl Sdk {
    fn start(venv: &std::path::Path) -> Res<Sdk> {
        let script = concat!(env!("CARGO_MANIFEST_DIR"), "/benches/sdk_worker.py");
        let mut child = Command::new(venv.join("bin/python"))
            .arg(script)
            .stdin(Stdio::piped())
            .stdout(Stdio::piped())
            .spawn()
            .map_err(|e| format!("starting the SDK worker: {e}"))?;
        let stdin = child.stdin.take().ok_or("no stdin")?;
        let stdout = BufReader::new(child.stdout.take().ok_or("no stdout")?);
        Ok(Sdk { child, stdin, stdout })
    }

    fn ask(&mut self, cmd: serde_json::Value) -> Res<serde_json::Value> {
        writeln!(self.stdin, "{cmd}").map_err(|e| e.to_string())?;
        let mut line = String::new();
        self.stdout.read_line(&mut line).map_err(|e| e.to_string())?;
        let v: serde_json::Value = serde_json::from_str(&line).map_err(|e| format!("SDK worker said {line:?}: {e}"))?;
        match v.get("error") {
            Some(e) => Err(format!("openstacksdk: {e}")),
            None => Ok(v),
        }
    }

    /// Runs `n` operations in the worker and returns their durations.
    fn times(&mut self, cmd: serde_json::Value) -> Res<Vec<Duration>> {
        let v = self.ask(cmd)?;
        let times = v["times"].as_array().ok_or("no times")?;
        Ok(times
            .iter()
            .filter_map(|t| t.as_f64())
            .map(Duration::from_secs_f64)
            .collect())
    }
}

impl Drop for Sdk {
    fn drop(&mut self) {
        let _ = self.child.kill();
        let _ = self.child.wait();
    }
}

// ---------------------------------------------------------------- measuring

#[derive(Default)]
struct Stats {
    times: Vec<Duration>,
    requests: usize,
    ops: usize,
}

impl Stats {
    fn pct(&self, p: f64) -> Duration {
        let mut t = self.times.clone();
        t.sort();
        t.get(((t.len() as f64 - 1.0) * p).round() as usize)
            .copied()
            .unwrap_or_default()
    }
    fn per_op(&self) -> f64 {
        self.requests as f64 / self.ops.max(1) as f64
    }
}

fn ms(d: Duration) -> String {
    let m = d.as_secs_f64() * 1000.0;
    if m < 1.0 {
        format!("{:.0} µs", m * 1000.0)
    } else {
        format!("{m:.2} ms")
    }
}

/// Runs `f` on a cleared request log; answers what it returned and how many requests
/// clients sent meanwhile (Nova's own calls to Cinder excluded).
fn counted<T>(cloud: &MockCloud, f: impl FnOnce() -> Res<T>) -> Res<(T, usize)> {
    cloud.clear_requests();
    let out = f()?;
    Ok((out, cloud.requests().len()))
}

fn timed(n: usize, mut f: impl FnMut() -> Res<()>) -> Res<Vec<Duration>> {
    (0..n)
        .map(|_| {
            let t = Instant::now();
            f().map(|()| t.elapsed())
        })
        .collect()
}

// ---------------------------------------------------------------- contract 0.2: requests per operation

type Session = host_test::Session;

/// What the contract 0.2 operations work on, made through the component before anything
/// is counted.
struct Fixture {
    volume: String,
    snapshot: String,
    backup: String,
    /// A volume whose creation failed: Cinder holds four user messages about it (and four
    /// about a second one, which a client filtering on its side also receives).
    failed: String,
}

impl Fixture {
    /// A snapshot and a backup of `volume`, and two volumes of `too_big` GiB, which the
    /// mock's backend accepts and then fails to make.
    fn make(s: &mut Session, volume: &str, too_big: u32) -> Res<Fixture> {
        let snapshot = call(s.snapshot_create(&host_test::spec::snapshot(volume)))?.id;
        call(s.snapshot_wait_for(&snapshot, "available", WAIT_S))?;
        let backup = call(s.backup_create(&host_test::spec::backup(volume)))?.id;
        call(s.backup_wait_for(&backup, "available", WAIT_S))?;
        let mut failed = Vec::new();
        for name in ["bench-fails-1", "bench-fails-2"] {
            let id = call(s.volume_create(&host_test::spec::volume(too_big, name)))?.id;
            call(s.volume_wait_for(&id, "error", WAIT_S))?;
            failed.push(id);
        }
        Ok(Fixture {
            volume: volume.into(),
            snapshot,
            backup,
            failed: failed.swap_remove(0),
        })
    }
}

/// What one call works on, made for it alone by [`Op::prepare`] (not counted): ids of
/// fresh resources, or an idempotency key; empty when the fixture is enough.
type Fresh = Vec<String>;

/// Stands for a [`Fresh`] id in the table's Python.
const FRESH: &str = "<fresh>";

/// One operation contract 0.2 added: made ready through the component (not counted),
/// then called by the component and by openstacksdk, in turn, once per round.
struct Op {
    label: &'static str,
    /// Answers what this one call works on ([`Fresh`]).
    prepare: fn(&mut Session, &Fixture) -> Res<Fresh>,
    /// The call; answers how many items a listing returned.
    component: fn(&mut Session, &Fixture, &Fresh) -> Res<Option<usize>>,
    /// openstacksdk's call, as the worker's `call` command ([`bs`]).
    sdk: fn(&Fixture, &Fresh) -> serde_json::Value,
    /// Called once, not once per round (its requests do not vary, and it takes seconds).
    once: bool,
}

/// An operation called once per round.
fn op(
    label: &'static str,
    prepare: fn(&mut Session, &Fixture) -> Res<Fresh>,
    component: fn(&mut Session, &Fixture, &Fresh) -> Res<Option<usize>>,
    sdk: fn(&Fixture, &Fresh) -> serde_json::Value,
) -> Op {
    Op {
        label,
        prepare,
        component,
        sdk,
        once: false,
    }
}

impl Op {
    fn once(self) -> Op {
        Op { once: true, ..self }
    }
}

/// `conn.block_storage.<method>(*args, **kwargs)`, to which `take` (read only so many items
/// of a listing), `microversion` (pinned for this call) and `stand_in` (openstacksdk has no
/// such call: this one sends the same request) may be added.
fn bs(method: &str, args: serde_json::Value, kwargs: serde_json::Value) -> serde_json::Value {
    serde_json::json!({"op": "call", "call": method, "args": args, "kwargs": kwargs})
}

/// A worker command as Python for the table, the fixture's ids shown as `id`; `listing`: its
/// answer was iterated.
fn python(cmd: &serde_json::Value, f: &Fixture, listing: bool) -> String {
    let ids = [&f.volume, &f.snapshot, &f.backup, &f.failed];
    let value = |v: &serde_json::Value| match v {
        serde_json::Value::String(s) if ids.contains(&s) || s == FRESH => "id".to_string(),
        serde_json::Value::Bool(b) => if *b { "True" } else { "False" }.to_string(),
        v => v.to_string(),
    };
    let args = cmd["args"].as_array().into_iter().flatten().map(value);
    let kwargs = cmd["kwargs"].as_object().into_iter().flatten();
    let all: Vec<String> = args.chain(kwargs.map(|(k, v)| format!("{k}={}", value(v)))).collect();
    let mut shown = format!("{}({})", cmd["call"].as_str().unwrap_or("?"), all.join(", "));
    if let Some(n) = cmd["take"].as_u64() {
        shown = format!("islice({shown}, {n})");
    } else if listing {
        shown = format!("list({shown})");
    }
    if let Some(v) = cmd["microversion"].as_str() {
        shown.push_str(&format!(" at microversion {v}"));
    }
    if cmd["stand_in"] == true {
        shown = format!("none; `{shown}` sends the same request");
    } else {
        shown = format!("`{shown}`");
    }
    shown
}

/// The metadata items set before an unset, and the keys unset.
const KEYS: [&str; 3] = ["bench-a", "bench-b", "bench-c"];
/// A key never set.
const ABSENT: &str = "bench-absent";

fn items() -> Vec<(String, String)> {
    KEYS.iter().map(|k| (k.to_string(), "1".to_string())).collect()
}

fn keys(n: usize) -> Vec<String> {
    KEYS[..n].iter().map(|k| k.to_string()).collect()
}

/// The same items as openstacksdk's keyword arguments.
fn sdk_items() -> serde_json::Value {
    items()
        .into_iter()
        .map(|(k, v)| (k, serde_json::Value::from(v)))
        .collect()
}

fn one<T>(r: host_test::Result<T>) -> Res<Option<usize>> {
    call(r).map(|_| None)
}

fn many<T>(r: host_test::Result<Vec<T>>) -> Res<Option<usize>> {
    call(r).map(|v| Some(v.len()))
}

fn nothing(_: &mut Session, _: &Fixture) -> Res<Fresh> {
    Ok(vec![])
}

/// The same changes as openstacksdk's keyword arguments.
fn sdk_changes() -> serde_json::Value {
    let c = changes();
    serde_json::json!({"name": c.name, "description": c.description})
}

fn changes() -> host_test::ResourceUpdate {
    host_test::ResourceUpdate {
        name: Some("bench-renamed".into()),
        description: Some("bench".into()),
    }
}

fn bounded() -> host_test::ListOptions {
    host_test::ListOptions {
        limit: Some(10),
        ..host_test::spec::list_all()
    }
}

/// Every operation contract 0.2 added, as each client calls it.
fn ops() -> Vec<Op> {
    use serde_json::json;
    let set_volume: fn(&mut Session, &Fixture) -> Res<Fresh> =
        |s, f| one(s.volume_set_metadata(&f.volume, &items())).map(|_| vec![]);
    let set_snapshot: fn(&mut Session, &Fixture) -> Res<Fresh> =
        |s, f| one(s.snapshot_set_metadata(&f.snapshot, &items())).map(|_| vec![]);
    let set_backup: fn(&mut Session, &Fixture) -> Res<Fresh> =
        |s, f| one(s.backup_set_metadata(&f.backup, &items())).map(|_| vec![]);
    vec![
        op(
            "volume update (name and description)",
            nothing,
            |s, f, _| one(s.volume_update(&f.volume, &changes())),
            |f, _| bs("update_volume", json!([f.volume]), sdk_changes()),
        ),
        op(
            "volume set-metadata (3 items)",
            nothing,
            |s, f, _| one(s.volume_set_metadata(&f.volume, &items())),
            |f, _| bs("set_volume_metadata", json!([f.volume]), sdk_items()),
        ),
        op(
            "volume unset-metadata (1 key)",
            set_volume,
            |s, f, _| one(s.volume_unset_metadata(&f.volume, &keys(1))),
            |f, _| bs("delete_volume_metadata", json!([f.volume]), json!({"keys": keys(1)})),
        ),
        op(
            "volume unset-metadata (3 keys)",
            set_volume,
            |s, f, _| one(s.volume_unset_metadata(&f.volume, &keys(3))),
            |f, _| bs("delete_volume_metadata", json!([f.volume]), json!({"keys": keys(3)})),
        ),
        op(
            "volume unset-metadata (1 key that is not there)",
            nothing,
            |s, f, _| one(s.volume_unset_metadata(&f.volume, &[ABSENT.into()])),
            |f, _| bs("delete_volume_metadata", json!([f.volume]), json!({"keys": [ABSENT]})),
        ),
        op(
            "snapshot update (name and description)",
            nothing,
            |s, f, _| one(s.snapshot_update(&f.snapshot, &changes())),
            |f, _| bs("update_snapshot", json!([f.snapshot]), sdk_changes()),
        ),
        op(
            "snapshot set-metadata (3 items)",
            nothing,
            |s, f, _| one(s.snapshot_set_metadata(&f.snapshot, &items())),
            |f, _| bs("set_snapshot_metadata", json!([f.snapshot]), sdk_items()),
        ),
        op(
            "snapshot unset-metadata (3 keys)",
            set_snapshot,
            |s, f, _| one(s.snapshot_unset_metadata(&f.snapshot, &keys(3))),
            |f, _| {
                bs(
                    "delete_snapshot_metadata",
                    json!([f.snapshot]),
                    json!({"keys": keys(3)}),
                )
            },
        ),
        op(
            "backup update (name and description)",
            nothing,
            |s, f, _| one(s.backup_update(&f.backup, &changes())),
            |f, _| bs("update_backup", json!([f.backup]), sdk_changes()),
        ),
        op(
            "backup set-metadata (3 items)",
            nothing,
            |s, f, _| one(s.backup_set_metadata(&f.backup, &items())),
            |f, _| bs("set_backup_metadata", json!([f.backup]), sdk_items()),
        ),
        op(
            "backup unset-metadata (3 keys)",
            set_backup,
            |s, f, _| one(s.backup_unset_metadata(&f.backup, &keys(3))),
            |f, _| bs("delete_backup_metadata", json!([f.backup]), json!({"keys": keys(3)})),
        ),
        op(
            "volume types",
            nothing,
            |s, _, _| many(s.volume_types()),
            |_, _| bs("types", json!([]), json!({})),
        ),
        op(
            "default volume type",
            nothing,
            |s, _, _| one(s.default_volume_type()),
            |_, _| {
                // No call of its own (`show_default_type` is the admin API `/default-types`).
                let mut cmd = bs("get_type", json!(["default"]), json!({}));
                cmd["stand_in"] = true.into();
                cmd
            },
        ),
        op(
            "availability zones",
            nothing,
            |s, _, _| many(s.availability_zones()),
            |_, _| bs("availability_zones", json!([]), json!({})),
        ),
        op(
            "limits",
            nothing,
            |s, _, _| one(s.limits()),
            |_, _| bs("get_limits", json!([]), json!({})),
        ),
        // openstacksdk sends no microversion for messages, and Cinder has none below 3.3.
        op(
            "user messages of one resource, as openstacksdk calls them",
            nothing,
            |s, f, _| many(s.messages(Some(&f.failed))),
            |f, _| bs("messages", json!([]), json!({"resource_uuid": f.failed})),
        ),
        op(
            "user messages of one resource, microversion pinned",
            nothing,
            |s, f, _| many(s.messages(Some(&f.failed))),
            |f, _| {
                let mut cmd = bs("messages", json!([]), json!({"resource_uuid": f.failed}));
                cmd["microversion"] = "3.3".into();
                cmd
            },
        ),
        op(
            "bounded list: limit 10, the first 10 taken",
            nothing,
            |s, _, _| many(s.volume_list(&bounded())),
            |_, _| {
                let mut cmd = bs("volumes", json!([]), json!({"details": true, "limit": 10}));
                cmd["take"] = 10.into();
                cmd
            },
        ),
        op(
            "bounded list: limit 10, iterated to its end",
            nothing,
            |s, _, _| many(s.volume_list(&bounded())),
            |_, _| bs("volumes", json!([]), json!({"details": true, "limit": 10})),
        )
        .once(),
        // Contract 0.2's second part, each call on resources of its own (after the bounded
        // list, which the volumes made here would lengthen).
        op(
            "volume delete, cascade (volume with 1 snapshot)",
            |s, _| {
                let v = fresh_volume(s)?;
                let snap = fresh_snapshot(s, &v)?;
                Ok(vec![v, snap])
            },
            |s, _, v| one(s.volume_delete(&v[0], false, true)),
            |_, v| bs("delete_volume", json!([v[0]]), json!({"cascade": true})),
        ),
        op(
            "volume set-bootable",
            |s, _| Ok(vec![fresh_volume(s)?]),
            |s, _, v| one(s.volume_set_bootable(&v[0], true)),
            |_, v| bs("set_volume_bootable_status", json!([v[0], true]), json!({})),
        ),
        op(
            "volume set-read-only",
            |s, _| Ok(vec![fresh_volume(s)?]),
            |s, _, v| one(s.volume_set_read_only(&v[0], true)),
            |_, v| bs("set_volume_readonly", json!([v[0], true]), json!({})),
        ),
        op(
            "volume retype (no migration)",
            |s, _| Ok(vec![fresh_volume(s)?]),
            |s, _, v| one(s.volume_retype(&v[0], TIER, false)),
            |_, v| bs("retype_volume", json!([v[0], TIER]), json!({})),
        ),
        op(
            "volume revert to its latest snapshot",
            |s, _| {
                let v = fresh_volume(s)?;
                let snap = fresh_snapshot(s, &v)?;
                Ok(vec![v, snap])
            },
            |s, _, v| one(s.volume_revert_to_snapshot(&v[0], &v[1])),
            |_, v| bs("revert_volume_to_snapshot", json!([v[0], v[1]]), json!({})),
        ),
        op(
            "volume upload to image",
            |s, _| Ok(vec![fresh_volume(s)?]),
            |s, _, v| one(s.volume_upload_to_image(&v[0], &image_upload())),
            |_, v| bs("upload_volume_to_image", json!([v[0], IMAGE]), json!({})),
        ),
        op(
            "transfer create",
            |s, _| Ok(vec![fresh_volume(s)?]),
            |s, _, v| one(s.transfer_create(&v[0], Some("bench"))),
            |_, v| {
                bs(
                    "create_transfer",
                    json!([]),
                    json!({"volume_id": v[0], "name": "bench"}),
                )
            },
        ),
        op(
            "transfer list",
            fresh_transfer,
            |s, _, _| many(s.transfer_list()),
            |_, _| bs("transfers", json!([]), json!({})),
        ),
        op(
            "transfer get",
            fresh_transfer,
            |s, _, t| one(s.transfer_get(&t[0])),
            |_, t| bs("get_transfer", json!([t[0]]), json!({})),
        ),
        op(
            "transfer delete",
            fresh_transfer,
            |s, _, t| one(s.transfer_delete(&t[0])),
            |_, t| bs("delete_transfer", json!([t[0]]), json!({})),
        ),
        // openstacksdk has no idempotency key: its column is a plain `create_volume`.
        op(
            "keyed volume create, first call (openstacksdk: plain create, no key)",
            |_, _| Ok(vec![fresh_key()]),
            |s, _, k| one(s.volume_create(&keyed(&k[0]))),
            |_, _| bs("create_volume", json!([]), json!({"size": 1, "name": "bench-keyed"})),
        ),
        op(
            "keyed volume create, repeated with the same key (openstacksdk: plain create, no key)",
            |s, _| {
                let key = fresh_key();
                let first = call(s.volume_create(&keyed(&key)))?.id;
                Ok(vec![key, first])
            },
            // The repeat answers the volume the first call made, or the benchmark fails.
            |s, _, k| match call(s.volume_create(&keyed(&k[0])))?.id {
                id if id == k[1] => Ok(None),
                id => Err(format!("the repeated keyed create made {id}, not {}", k[1])),
            },
            |_, _| bs("create_volume", json!([]), json!({"size": 1, "name": "bench-keyed"})),
        ),
    ]
}

/// The second volume type, for the retype.
const TIER: &str = "bench-tier";
/// The image name of the upload.
const IMAGE: &str = "bench-image";

/// A new available 1 GiB volume.
fn fresh_volume(s: &mut Session) -> Res<String> {
    let id = call(s.volume_create(&host_test::spec::volume(1, "bench-fresh")))?.id;
    call(s.volume_wait_for(&id, "available", WAIT_S))?;
    Ok(id)
}

/// A new available snapshot of `volume`.
fn fresh_snapshot(s: &mut Session, volume: &str) -> Res<String> {
    let id = call(s.snapshot_create(&host_test::spec::snapshot(volume)))?.id;
    call(s.snapshot_wait_for(&id, "available", WAIT_S))?;
    Ok(id)
}

/// A new transfer of a new volume.
fn fresh_transfer(s: &mut Session, _: &Fixture) -> Res<Fresh> {
    let v = fresh_volume(s)?;
    Ok(vec![call(s.transfer_create(&v, Some("bench")))?.transfer.id])
}

/// An idempotency key used by no call before.
fn fresh_key() -> String {
    static NEXT: std::sync::atomic::AtomicUsize = std::sync::atomic::AtomicUsize::new(0);
    let n = NEXT.fetch_add(1, std::sync::atomic::Ordering::Relaxed);
    format!("bench-key-{}-{n}", std::process::id())
}

fn keyed(key: &str) -> host_test::VolumeCreate {
    host_test::VolumeCreate {
        idempotency_key: Some(key.into()),
        ..host_test::spec::volume(1, "bench-keyed")
    }
}

fn image_upload() -> host_test::ImageUpload {
    host_test::ImageUpload {
        image_name: IMAGE.into(),
        disk_format: None,
        container_format: None,
        force: false,
        visibility: None,
        protected: false,
    }
}

/// One client's figures for one operation.
#[derive(Default)]
struct Counts {
    stats: Stats,
    /// Items the last call returned, for listings.
    items: Option<usize>,
    /// openstacksdk's error, when its call failed.
    failed: Option<String>,
}

/// Runs every operation of [`ops`] `runs` times through both clients, counting requests.
fn count_ops(cloud: &MockCloud, s: &mut Session, sdk: &mut Sdk, f: &Fixture, runs: usize) -> Res<Vec<[Counts; 2]>> {
    let mut table = Vec::new();
    for op in ops() {
        let mut c: [Counts; 2] = Default::default();
        for _ in 0..if op.once { 1 } else { runs } {
            let fresh = (op.prepare)(s, f)?;
            let ((time, items), n) = counted(cloud, || {
                let t = Instant::now();
                let items = (op.component)(s, f, &fresh).map_err(|e| format!("{}: {e}", op.label))?;
                Ok((t.elapsed(), items))
            })?;
            c[0].record(time, n, items, None);
            let fresh = (op.prepare)(s, f)?;
            let (answer, n) = counted(cloud, || sdk.ask((op.sdk)(f, &fresh)))?;
            let time = Duration::from_secs_f64(answer["times"][0].as_f64().unwrap_or(0.0));
            let items = answer["count"].as_u64().map(|n| n as usize);
            c[1].record(time, n, items, answer["failed"].as_str().map(str::to_string));
        }
        table.push(c);
    }
    Ok(table)
}

impl Counts {
    fn record(&mut self, time: Duration, requests: usize, items: Option<usize>, failed: Option<String>) {
        self.stats.times.push(time);
        self.stats.requests += requests;
        self.stats.ops += 1;
        self.items = items;
        self.failed = failed;
    }
    fn requests(&self) -> String {
        let r = self.stats.per_op();
        let r = if r.fract() == 0.0 {
            format!("{r:.0}")
        } else {
            format!("{r:.2}")
        };
        match &self.failed {
            Some(e) => format!("{r} (fails: {e})"),
            None => r,
        }
    }
}

fn print_ops(table: &[[Counts; 2]], f: &Fixture, runs: usize) {
    println!("\n### Requests per operation of contract 0.2 ({runs} calls per client and operation; median times)\n");
    println!(
        "| operation | component | openstacksdk call | openstacksdk | items (component / openstacksdk) | component median | openstacksdk median |"
    );
    println!("|---|---|---|---|---|---|---|");
    for (op, [c, p]) in ops().iter().zip(table) {
        // A listing for one client is one for the other: the component's answer tells.
        let listing = c.items.is_some();
        let count = |c: &Counts| c.items.map_or("—".to_string(), |n| n.to_string());
        let items = if listing {
            format!("{} / {}", count(c), count(p))
        } else {
            String::new()
        };
        println!(
            "| {}{} | {} | {} | {} | {items} | {} | {} |",
            op.label,
            if op.once { " (one call)" } else { "" },
            c.requests(),
            python(&(op.sdk)(f, &vec![FRESH.to_string(); 2]), f, listing),
            p.requests(),
            ms(c.stats.pct(0.5)),
            ms(p.stats.pct(0.5)),
        );
    }
}

fn main() {
    if let Err(e) = run() {
        eprintln!("benchmark failed: {e}");
        std::process::exit(1);
    }
}

fn run() -> Res<()> {
    let quick = std::env::var("BENCH_QUICK").is_ok_and(|v| v == "1");
    let scale = |x: usize| if quick { (x / 10).max(1) } else { x };
    let (gets, lifecycles, lists) = (scale(1000), scale(50), scale(ROUNDS));

    let cloud = MockCloud::start_with(MockOptions {
        transition: Duration::ZERO,
        max_page: 1000,
        volume_types: vec![MockVolumeType::new(TIER)],
        ..MockOptions::default()
    });
    for q in ["volumes", "snapshots", "backups", "gigabytes", "backup_gigabytes"] {
        cloud.set_quota(q, -1);
    }
    let ids = cloud.seed_volumes("seed-", 5000);
    let server = cloud.add_server("bench");
    let target = &ids[0];

    // (1) setup figures.
    let t = Instant::now();
    let host = host_test::Host::new().map_err(|e| e.to_string())?;
    let compile = t.elapsed();
    let mut inst: Vec<Duration> = Vec::new();
    for _ in 0..100 {
        inst.push(host.instantiation_time().map_err(|e| e.to_string())?);
    }
    inst.sort();
    let cfg = host_test::mock_config(&cloud);
    let session = host.connect(&cfg).map_err(|e| e.to_string())?;
    let mut component = Component(session);

    // (2)
    let mut native_client = Native(n(twin::connect(&cloud.auth_url()))?);

    // (3)
    let venv = host_test::bench_venv::bench_venv(&["openstacksdk"])?;
    let mut sdk = Sdk::start(&venv)?;
    let (first, sdk_first_use) = counted(&cloud, || {
        sdk.ask(serde_json::json!({"op": "connect", "auth_url": cloud.auth_url(),
            "id": mock_cloud::APP_CRED_ID, "secret": mock_cloud::APP_CRED_SECRET, "region": "dc3-a",
            "server": server}))
    })?;
    let sdk_version = host_test::bench_venv::version(&venv, "openstacksdk").unwrap_or_default();

    let mut table: Vec<(String, [Stats; 3])> = Vec::new();
    let mut peak_list_memory = 0;

    // Workloads, each split in rounds that alternate the three clients.
    let workloads: [(&str, usize, usize); 3] = [
        ("get one volume", gets, ROUNDS),
        ("list 5,000 volumes (pages of 1,000)", lists, lists),
        ("full lifecycle", lifecycles, lifecycles.min(ROUNDS)),
    ];
    for (w, (label, total, rounds)) in workloads.iter().enumerate() {
        let mut stats: [Stats; 3] = Default::default();
        let per_round = (total / rounds).max(1);
        for _ in 0..*rounds {
            for (i, st) in stats.iter_mut().enumerate() {
                let (times, requests) = counted(&cloud, || match (w, i) {
                    (0, 0) => timed(per_round, || component.get(target)),
                    (0, 1) => timed(per_round, || native_client.get(target)),
                    (0, _) => sdk.times(serde_json::json!({"op": "get", "id": target, "n": per_round})),
                    (1, 0) => timed(per_round, || expect_5000(component.list(1000))),
                    (1, 1) => timed(per_round, || expect_5000(native_client.list(1000))),
                    (1, _) => sdk.times(serde_json::json!({"op": "list", "limit": 1000, "n": per_round})),
                    (_, 0) => timed(per_round, || component.lifecycle(&server)),
                    (_, 1) => timed(per_round, || native_client.lifecycle(&server)),
                    (_, _) => sdk.times(serde_json::json!({"op": "lifecycle", "server": server, "n": per_round})),
                })?;
                st.requests += requests;
                st.ops += times.len();
                st.times.extend(times);
            }
        }
        if w == 1 {
            peak_list_memory = component.0.peak_memory();
        }
        table.push((label.to_string(), stats));
    }

    // Contract 0.2, operation by operation.
    let too_big = MockOptions::default().backend_max_volume_gb + 1;
    let fixture = Fixture::make(&mut component.0, &ids[1], too_big as u32)?;
    let runs = scale(ROUNDS);
    let per_op = count_ops(&cloud, &mut component.0, &mut sdk, &fixture, runs)?;

    // Report.
    let size = host_test::COMPONENT.len();
    println!("\n## Benchmark: component vs native Rust vs openstacksdk {sdk_version}\n");
    println!("Mock cloud on 127.0.0.1, no artificial delays; rounds alternate the three clients.\n");
    println!("| workload | client | median | p95 | requests/op | (1)/(2) | (3)/(1) |");
    println!("|---|---|---|---|---|---|---|");
    let names = ["(1) component in wasmtime", "(2) native Rust", "(3) openstacksdk"];
    for (label, stats) in &table {
        let m: Vec<f64> = stats.iter().map(|s| s.pct(0.5).as_secs_f64()).collect();
        for (i, st) in stats.iter().enumerate() {
            let (r12, r31) = if i == 0 {
                (format!("{:.2}", m[0] / m[1]), format!("{:.1}", m[2] / m[0]))
            } else {
                (String::new(), String::new())
            };
            println!(
                "| {} | {} | {} | {} | {:.2} | {r12} | {r31} |",
                if i == 0 { label.as_str() } else { "" },
                names[i],
                ms(st.pct(0.5)),
                ms(st.pct(0.95)),
                st.per_op()
            );
        }
    }
    println!();
    println!("| component figure | value |");
    println!("|---|---|");
    println!(
        "| size (release, stripped) | {size} bytes ({:.1} KiB) |",
        size as f64 / 1024.0
    );
    println!("| compile (Cranelift, once per process) | {} |", ms(compile));
    println!(
        "| instantiation from the pre-compiled component (median of 100) | {} |",
        ms(inst[inst.len() / 2])
    );
    println!(
        "| peak linear memory during the 5,000-volume list | {:.1} MiB |",
        peak_list_memory as f64 / 1048576.0
    );
    println!(
        "| openstacksdk first use (auth + discovery) | {sdk_first_use} requests, {:.1} ms |",
        first["first_use_s"].as_f64().unwrap_or(0.0) * 1000.0
    );
    print_ops(&per_op, &fixture, runs);
    Ok(())
}

fn expect_5000(r: Res<usize>) -> Res<()> {
    match r? {
        5000 => Ok(()),
        other => Err(format!("listed {other} volumes, not 5000")),
    }
}
