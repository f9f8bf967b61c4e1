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
//! instantiation time and peak linear memory during the list. `BENCH_QUICK=1` runs a tenth.

use std::io::{BufRead, BufReader, Read, Write};
use std::net::TcpStream;
use std::process::{Child, ChildStdin, ChildStdout, Command, Stdio};
use std::time::{Duration, Instant};

use infomaniak_block_storage as native;
use mock_cloud::{MockCloud, MockOptions};
use native::http::{Io, Request, Response};

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
struct Native(native::client::Client<KeepAlive>);

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

/// A keep-alive HTTP/1.1 transport over plain TCP: one connection per origin, reused
/// while the server keeps it open (the mock answers with `Content-Length`).
#[derive(Default)]
struct KeepAlive {
    conn: std::cell::RefCell<Option<(String, BufReader<TcpStream>)>>,
    started: std::cell::OnceCell<Instant>,
}

impl KeepAlive {
    fn exchange(&self, req: &Request, fresh: bool) -> std::io::Result<Response> {
        let url = native::http::Url::parse(&req.url).map_err(std::io::Error::other)?;
        let mut slot = self.conn.borrow_mut();
        if fresh || slot.as_ref().is_none_or(|(a, _)| *a != url.authority) {
            let s = TcpStream::connect(&url.authority)?;
            s.set_nodelay(true)?;
            *slot = Some((url.authority.clone(), BufReader::new(s)));
        }
        let Some((_, conn)) = slot.as_mut() else {
            return Err(std::io::Error::other("no connection"));
        };
        let mut head = format!(
            "{} {} HTTP/1.1\r\nhost: {}\r\n",
            req.method.as_str(),
            url.path_and_query,
            url.authority
        );
        for (k, v) in &req.headers {
            head.push_str(&format!("{k}: {v}\r\n"));
        }
        let body = req.body.as_deref().unwrap_or_default();
        if req.body.is_some() {
            head.push_str(&format!("content-length: {}\r\n", body.len()));
        }
        head.push_str("\r\n");
        let stream = conn.get_mut();
        stream.write_all(head.as_bytes())?;
        stream.write_all(body)?;
        let mut line = String::new();
        if conn.read_line(&mut line)? == 0 {
            return Err(std::io::ErrorKind::UnexpectedEof.into());
        }
        let status: u16 = line.split(' ').nth(1).and_then(|s| s.parse().ok()).unwrap_or(0);
        let mut headers = Vec::new();
        loop {
            line.clear();
            conn.read_line(&mut line)?;
            let l = line.trim_end();
            if l.is_empty() {
                break;
            }
            if let Some((k, v)) = l.split_once(':') {
                headers.push((k.trim().to_ascii_lowercase(), v.trim().to_string()));
            }
        }
        let find = |name: &str| headers.iter().find(|(k, _)| k == name).map(|(_, v)| v.clone());
        let mut body = Vec::new();
        if let Some(len) = find("content-length").and_then(|v| v.parse::<usize>().ok()) {
            body.resize(len, 0);
            conn.read_exact(&mut body)?;
        } else if find("transfer-encoding").is_some_and(|v| v.eq_ignore_ascii_case("chunked")) {
            loop {
                line.clear();
                conn.read_line(&mut line)?;
                let size = usize::from_str_radix(line.trim(), 16).map_err(std::io::Error::other)?;
                let start = body.len();
                body.resize(start + size + 2, 0);
                conn.read_exact(&mut body[start..])?;
                body.truncate(start + size);
                if size == 0 {
                    break;
                }
            }
        } else if status != 204 && status != 304 {
            conn.read_to_end(&mut body)?;
            *slot = None;
        }
        Ok(Response { status, headers, body })
    }
}

impl Io for KeepAlive {
    fn send(&self, req: &Request) -> Result<Response, native::Error> {
        // A kept connection the server has closed fails at once: reconnect and resend.
        self.exchange(req, false)
            .or_else(|_| self.exchange(req, true))
            .map_err(|e| native::Error::Transport(e.to_string()))
    }
    fn now_ms(&self) -> u64 {
        self.started.get_or_init(Instant::now).elapsed().as_millis() as u64
    }
    fn sleep_ms(&self, ms: u64) {
        std::thread::sleep(Duration::from_millis(ms));
    }
    fn unix_time_s(&self) -> u64 {
        std::time::SystemTime::now()
            .duration_since(std::time::UNIX_EPOCH)
            .map_or(0, |d| d.as_secs())
    }
    fn log(&self, _line: &str) {}
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

/// Creates `target/bench-venv` with the latest openstacksdk (once).
fn sdk_venv() -> Res<std::path::PathBuf> {
    let target = std::env::var("CARGO_TARGET_DIR")
        .map(std::path::PathBuf::from)
        .unwrap_or_else(|_| std::path::Path::new(env!("CARGO_MANIFEST_DIR")).join("../target"));
    let venv = target.join("bench-venv");
    if !venv.join("bin/python").exists() {
        let ok = Command::new("python3").args(["-m", "venv"]).arg(&venv).status();
        if !ok.is_ok_and(|s| s.success()) {
            return Err("python3 -m venv failed".into());
        }
    }
    let has_sdk = Command::new(venv.join("bin/python"))
        .args(["-c", "import openstack"])
        .status()
        .is_ok_and(|s| s.success());
    if !has_sdk {
        eprintln!("installing openstacksdk into {} …", venv.display());
        let ok = Command::new(venv.join("bin/pip"))
            .args(["install", "--quiet", "--upgrade", "openstacksdk"])
            .status();
        if !ok.is_ok_and(|s| s.success()) {
            return Err("pip install openstacksdk failed".into());
        }
    }
    Ok(venv)
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

/// Client requests the mock saw (Nova's own calls to Cinder excluded).
fn requests(cloud: &MockCloud) -> usize {
    cloud.requests().len()
}

fn timed(n: usize, mut f: impl FnMut() -> Res<()>) -> Res<Vec<Duration>> {
    (0..n)
        .map(|_| {
            let t = Instant::now();
            f().map(|()| t.elapsed())
        })
        .collect()
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
    let ncfg = native::Config {
        auth_url: cloud.auth_url(),
        credentials: native::Credentials::ApplicationCredential(native::ApplicationCredential {
            id: mock_cloud::APP_CRED_ID.into(),
            secret: mock_cloud::APP_CRED_SECRET.into(),
        }),
        region: Some("dc3-a".into()),
        endpoint_interface: None,
        block_storage_url: None,
        compute_url: None,
        timeout_ms: None,
        microversion: None,
        max_response_bytes: None,
    };
    let mut native_client = Native(n(native::client::Client::connect(KeepAlive::default(), ncfg))?);

    // (3)
    let venv = sdk_venv()?;
    let mut sdk = Sdk::start(&venv)?;
    let before = requests(&cloud);
    let first = sdk.ask(serde_json::json!({"op": "connect", "auth_url": cloud.auth_url(),
        "id": mock_cloud::APP_CRED_ID, "secret": mock_cloud::APP_CRED_SECRET, "region": "dc3-a",
        "server": server}))?;
    let sdk_first_use = requests(&cloud) - before;
    let sdk_version = Command::new(venv.join("bin/python"))
        .args(["-c", "import importlib.metadata as m; print(m.version('openstacksdk'))"])
        .output()
        .map(|o| String::from_utf8_lossy(&o.stdout).trim().to_string())
        .unwrap_or_default();

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
                let before = requests(&cloud);
                let times = match (w, i) {
                    (0, 0) => timed(per_round, || component.get(target))?,
                    (0, 1) => timed(per_round, || native_client.get(target))?,
                    (0, _) => sdk.times(serde_json::json!({"op": "get", "id": target, "n": per_round}))?,
                    (1, 0) => timed(per_round, || expect_5000(component.list(1000)))?,
                    (1, 1) => timed(per_round, || expect_5000(native_client.list(1000)))?,
                    (1, _) => sdk.times(serde_json::json!({"op": "list", "limit": 1000, "n": per_round}))?,
                    (_, 0) => timed(per_round, || component.lifecycle(&server))?,
                    (_, 1) => timed(per_round, || native_client.lifecycle(&server))?,
                    (_, _) => sdk.times(serde_json::json!({"op": "lifecycle", "server": server, "n": per_round}))?,
                };
                st.requests += requests(&cloud) - before;
                st.ops += times.len();
                st.times.extend(times);
                cloud.clear_requests();
            }
        }
        if w == 1 {
            peak_list_memory = component.0.peak_memory();
        }
        table.push((label.to_string(), stats));
    }

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
    Ok(())
}

fn expect_5000(r: Res<usize>) -> Res<()> {
    match r? {
        5000 => Ok(()),
        other => Err(format!("listed {other} volumes, not 5000")),
    }
}
