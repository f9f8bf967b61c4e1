//! `cargo bench -p infomaniak-block-storage-cli --bench openstackclient`: the command line
//! `ibs` (release build) against python-openstackclient ([`OSC`], in the benchmarks' venv)
//! on a real Cinder (`REAL_CINDER_URL`, the noauth Cinder of `../shared/real-cinder`), one
//! whole process per command as a user runs them, the two clients alternating round by
//! round. Reports wall time (median, p95) and peak RSS (the child's `ru_maxrss` from
//! `wait4`) per command, and, when it can read the Cinder's log, the requests each sent.
//!
//! Commands: `--version` (the start-up floor), `volume list`, `volume show ID`, and
//! `volume create --size 1` until `available`: `ibs` with `--wait`; openstackclient has no
//! `--wait` there, so it is scripted as a user would: create, then `volume show -f value -c
//! status` until `available`, a second apart. Works in a fresh project (5 seed volumes)
//! and deletes every volume it created. `BENCH_ROUNDS=N` sets the rounds (10).

use std::io::Read;
use std::os::unix::process::ExitStatusExt;
use std::path::{Path, PathBuf};
use std::process::{Command, ExitStatus, Stdio};
use std::time::{Duration, Instant, SystemTime, UNIX_EPOCH};

use host_test::bench_venv;

type Res<T> = Result<T, String>;

/// python-openstackclient, pinned: the newest release (October 2026) when this was written.
const OSC: &str = "python-openstackclient==10.5.0";
const SEEDS: usize = 5;
const POLL: Duration = Duration::from_secs(1);
const MAX_POLLS: usize = 300;

// ---------------------------------------------------------------- running one process

/// One process (or, for a scripted wait, one sequence of them) as measured.
#[derive(Clone, Copy, Default)]
struct Sample {
    wall: Duration,
    /// The largest peak resident set of the processes, in KiB.
    max_rss_kib: u64,
    processes: usize,
}

impl Sample {
    /// Both together: the processes' own wall times add up (a sequence with pauses between
    /// them measures its own), the peak is the larger one.
    fn and(self, other: Sample) -> Sample {
        Sample {
            wall: self.wall + other.wall,
            max_rss_kib: self.max_rss_kib.max(other.max_rss_kib),
            processes: self.processes + other.processes,
        }
    }
}

/// A command-line client: its program and the `OS_*` settings it runs with.
struct Client {
    name: String,
    program: PathBuf,
    env: Vec<(String, String)>,
}

impl Client {
    /// Runs the client with `args` to completion; answers its stdout, or an error with its
    /// stderr when it failed.
    fn run(&self, args: &[&str]) -> Res<(String, Sample)> {
        let mut cmd = Command::new(&self.program);
        for (k, _) in std::env::vars_os() {
            if k.to_string_lossy().starts_with("OS_") {
                cmd.env_remove(k);
            }
        }
        cmd.envs(self.env.iter().map(|(k, v)| (k, v)))
            .args(args)
            .stdin(Stdio::null())
            .stdout(Stdio::piped())
            .stderr(Stdio::piped());
        let start = Instant::now();
        let mut child = cmd.spawn().map_err(|e| format!("starting {}: {e}", self.name))?;
        let mut stderr = child.stderr.take().ok_or("no stderr")?;
        let errors = std::thread::spawn(move || {
            let mut s = String::new();
            let _ = stderr.read_to_string(&mut s);
            s
        });
        let mut out = String::new();
        let _ = child.stdout.take().ok_or("no stdout")?.read_to_string(&mut out);
        let (status, max_rss_kib) = wait4(child.id())?;
        let wall = start.elapsed();
        let errors = errors.join().unwrap_or_default();
        if !status.success() {
            return Err(format!("{} {}: {status}: {}", self.name, args.join(" "), errors.trim()));
        }
        Ok((
            out,
            Sample {
                wall,
                max_rss_kib,
                processes: 1,
            },
        ))
    }
}

/// Reaps child `pid`: its exit status and peak RSS in KiB (`ru_maxrss`, which std's
/// `Child::wait` does not report).
fn wait4(pid: u32) -> Res<(ExitStatus, u64)> {
    let mut status = 0;
    // SAFETY: rusage is plain integers, valid when zeroed; wait4 writes only into the two
    // locals it is given, for a child of this process not yet reaped.
    let mut usage: libc::rusage = unsafe { std::mem::zeroed() };
    let reaped = unsafe { libc::wait4(pid as libc::pid_t, &mut status, 0, &mut usage) };
    if reaped != pid as libc::pid_t {
        return Err(format!("wait4: {}", std::io::Error::last_os_error()));
    }
    Ok((ExitStatus::from_raw(status), usage.ru_maxrss.max(0) as u64))
}

// ---------------------------------------------------------------- the workloads

/// `volume create --size 1` until the volume is `available`: answers its ID.
fn create_and_wait(c: &Client, name: &str, scripted: bool) -> Res<(String, Sample)> {
    let start = Instant::now();
    let create = ["volume", "create", "--size", "1", "-f", "value", "-c", "id"];
    if !scripted {
        let (id, s) = c.run(&[&create[..], &["--wait", name]].concat())?;
        return Ok((id.trim().to_string(), s));
    }
    let (id, mut s) = c.run(&[&create[..], &[name]].concat())?;
    let id = id.trim().to_string();
    for _ in 0..MAX_POLLS {
        let (status, poll) = c.run(&["volume", "show", &id, "-f", "value", "-c", "status"])?;
        s = s.and(poll);
        match status.trim() {
            "available" => {
                return Ok((
                    id,
                    Sample {
                        wall: start.elapsed(),
                        ..s
                    },
                ))
            }
            st if st.starts_with("error") => return Err(format!("volume {id} went to {st}")),
            _ => std::thread::sleep(POLL),
        }
    }
    Err(format!("volume {id} not available after {MAX_POLLS} polls"))
}

/// The volumes the benchmark created, deleted through `ibs` when it ends, also on failure.
struct Created<'a> {
    ibs: &'a Client,
    ids: Vec<String>,
}

impl Created<'_> {
    /// Deletes the volume a measured command created, if any (the drop does it on failure).
    fn forget_after(&mut self, id: Option<String>) -> Res<()> {
        let Some(id) = id else { return Ok(()) };
        self.ids.push(id.clone());
        self.ibs.run(&["volume", "delete", "--wait", &id])?;
        self.ids.retain(|i| *i != id);
        Ok(())
    }
}

/// `ibs volume list` as its first run on a machine: an empty artifact cache, so it
/// compiles the component with Cranelift before anything else.
fn cold_list(ibs: &Client, round: usize) -> Res<Sample> {
    let cache = bench_venv::target_dir().join(format!("bench-ibs-cold-{round}"));
    let _ = std::fs::remove_dir_all(&cache);
    let mut env = ibs.env.clone();
    env.retain(|(k, _)| k != "XDG_CACHE_HOME");
    env.push(("XDG_CACHE_HOME".into(), cache.display().to_string()));
    let cold = Client {
        name: ibs.name.clone(),
        program: ibs.program.clone(),
        env,
    };
    let sample = cold.run(&["volume", "list"]).map(|(_, s)| s);
    let _ = std::fs::remove_dir_all(&cache);
    sample
}

impl Drop for Created<'_> {
    fn drop(&mut self) {
        if self.ids.is_empty() {
            return;
        }
        let args: Vec<&str> = ["volume", "delete", "--wait"]
            .into_iter()
            .chain(self.ids.iter().map(String::as_str))
            .collect();
        if let Err(e) = self.ibs.run(&args) {
            eprintln!("clean-up: {e}");
        }
    }
}

/// The Cinder's request log (`STATE/log/cinder-all.log` of `run-cinder.sh`), if readable.
struct RequestLog(PathBuf);

impl RequestLog {
    fn find(url: &str) -> Option<RequestLog> {
        let port = url.rsplit(':').next()?.trim_end_matches('/');
        let tmp = std::env::var("TMPDIR").unwrap_or_else(|_| "/tmp".into());
        let path = Path::new(&tmp).join(format!("real-cinder-{port}/log/cinder-all.log"));
        path.exists().then_some(RequestLog(path))
    }

    fn count(&self) -> usize {
        std::fs::read_to_string(&self.0)
            .map(|s| s.matches(" HTTP/1.1\" status: ").count())
            .unwrap_or(0)
    }

    /// The requests Cinder logged while `f` ran (its log line comes after the answer:
    /// give it a moment).
    fn counted<T>(&self, f: impl FnOnce() -> Res<T>) -> Res<(T, usize)> {
        let before = self.count();
        let out = f()?;
        std::thread::sleep(Duration::from_millis(500));
        Ok((out, self.count() - before))
    }
}

// ---------------------------------------------------------------- report

/// The `p` quantile of `v` (nearest rank).
fn pct<T: Ord + Copy + Default>(v: &[T], p: f64) -> T {
    let mut v = v.to_vec();
    v.sort();
    v.get(((v.len() as f64 - 1.0) * p).round() as usize)
        .copied()
        .unwrap_or_default()
}

fn ms(d: Duration) -> String {
    format!("{:.0} ms", d.as_secs_f64() * 1000.0)
}

fn mib(kib: u64) -> String {
    format!("{:.1} MiB", kib as f64 / 1024.0)
}

/// The samples of one command by one client, and the requests one run of it sent.
#[derive(Default)]
struct Row {
    samples: Vec<Sample>,
    requests: Option<usize>,
}

impl Row {
    fn median(&self) -> Duration {
        pct(&self.walls(), 0.5)
    }
    fn walls(&self) -> Vec<Duration> {
        self.samples.iter().map(|s| s.wall).collect()
    }
    fn rss_pct(&self, p: f64) -> u64 {
        pct(&self.samples.iter().map(|s| s.max_rss_kib).collect::<Vec<_>>(), p)
    }
    fn line(&self, command: &str, client: &str, ratio: &str) -> String {
        let processes =
            self.samples.iter().map(|s| s.processes).sum::<usize>() as f64 / self.samples.len().max(1) as f64;
        format!(
            "| {command} | {client} | {} | {} | {} | {} | {processes:.1} | {} | {ratio} |",
            ms(self.median()),
            ms(pct(&self.walls(), 0.95)),
            mib(self.rss_pct(0.5)),
            mib(self.rss_pct(1.0)),
            self.requests.map_or("n/a".into(), |r| r.to_string()),
        )
    }
}

fn loadavg() -> String {
    std::fs::read_to_string("/proc/loadavg")
        .map(|s| s.split_whitespace().take(3).collect::<Vec<_>>().join(" "))
        .unwrap_or_else(|_| "n/a".into())
}

// ---------------------------------------------------------------- main

fn main() {
    let Ok(url) = std::env::var("REAL_CINDER_URL") else {
        println!(
            "openstackclient benchmark: SKIPPED: REAL_CINDER_URL is not set (start \
             ../shared/real-cinder/run-cinder.sh PORT, then REAL_CINDER_URL=http://127.0.0.1:PORT)"
        );
        return;
    };
    if let Err(e) = run(url.trim_end_matches('/')) {
        eprintln!("benchmark failed: {e}");
        std::process::exit(1);
    }
}

/// A project of its own: 32 hex digits, as Cinder's noauth wants.
fn fresh_project() -> String {
    let nanos = SystemTime::now()
        .duration_since(UNIX_EPOCH)
        .map(|d| d.as_nanos())
        .unwrap_or(0);
    format!("{:032x}", nanos ^ (u128::from(std::process::id()) << 96))
}

/// The two clients, both with Cinder's noauth token `user:project` and no Keystone.
/// `ibs`: the `token` auth type with the block storage URL. openstackclient: keystoneauth's
/// `admin_token` with the endpoint override at Cinder's root, whose version document it
/// reads first (pointed at `/v3/PROJECT`, its version discovery finds nothing there: noauth
/// answers a token-less GET with 204).
fn clients(url: &str, project: &str, venv: &Path) -> (Client, Client) {
    let token = format!("bench:{project}");
    let volume_url = format!("{url}/v3/{project}");
    let cache = bench_venv::target_dir().join("bench-ibs-cache");
    let ibs = Client {
        name: "ibs".into(),
        program: PathBuf::from(env!("CARGO_BIN_EXE_ibs")),
        env: vec![
            ("OS_AUTH_TYPE".into(), "token".into()),
            ("OS_TOKEN".into(), token.clone()),
            ("OS_BLOCK_STORAGE_ENDPOINT_OVERRIDE".into(), volume_url.clone()),
            ("XDG_CACHE_HOME".into(), cache.display().to_string()),
        ],
    };
    let osc = Client {
        name: "openstack".into(),
        program: venv.join("bin/openstack"),
        env: vec![
            ("OS_AUTH_TYPE".into(), "admin_token".into()),
            ("OS_TOKEN".into(), token),
            ("OS_ENDPOINT".into(), volume_url),
            ("OS_BLOCK_STORAGE_ENDPOINT_OVERRIDE".into(), format!("{url}/")),
            ("OS_VOLUME_API_VERSION".into(), "3".into()),
        ],
    };
    (ibs, osc)
}

const COMMANDS: [&str; 4] = [
    "`--version`",
    "`volume list` (5 volumes)",
    "`volume show ID`",
    "`volume create --size 1`, wait for `available`",
];

fn run(url: &str) -> Res<()> {
    let rounds: usize = std::env::var("BENCH_ROUNDS")
        .ok()
        .and_then(|r| r.parse().ok())
        .unwrap_or(10);
    let venv = bench_venv::bench_venv(&["openstacksdk", OSC])?;
    let project = fresh_project();
    let (ibs, osc) = clients(url, &project, &venv);
    let load_before = loadavg();
    let mut created = Created { ibs: &ibs, ids: vec![] };
    for i in 0..SEEDS {
        let (id, _) = create_and_wait(&ibs, &format!("seed-{i}"), false)?;
        created.ids.push(id);
    }
    let show = created.ids[0].clone();
    // Warm up both (the component's artifact cache, Python's bytecode), untimed.
    ibs.run(&["volume", "list"])?;
    osc.run(&["volume", "list"])?;

    let clients = [&ibs, &osc];
    // One run of command `w` by client `c`; answers the volume it created, to delete.
    let one = |w: usize, c: usize, round: usize| -> Res<(Sample, Option<String>)> {
        let client = clients[c];
        Ok(match w {
            0 => (client.run(&["--version"])?.1, None),
            1 => (client.run(&["volume", "list"])?.1, None),
            2 => (client.run(&["volume", "show", &show])?.1, None),
            _ => {
                let name = format!("bench-{}-{round}", client.name);
                let (id, s) = create_and_wait(client, &name, c == 1)?;
                (s, Some(id))
            }
        })
    };
    let mut table: [[Row; 2]; 4] = Default::default();
    let mut cold = Vec::new();
    for round in 0..rounds {
        for (w, rows) in table.iter_mut().enumerate() {
            // Alternate which client goes first, too.
            for k in 0..2 {
                let c = (k + round) % 2;
                let (sample, id) = one(w, c, round)?;
                rows[c].samples.push(sample);
                created.forget_after(id)?;
            }
        }
        cold.push(cold_list(&ibs, round)?);
    }
    let log = RequestLog::find(url);
    if let Some(log) = &log {
        for (w, rows) in table.iter_mut().enumerate() {
            for (c, row) in rows.iter_mut().enumerate() {
                let ((_, id), requests) = log.counted(|| one(w, c, rounds))?;
                row.requests = Some(requests);
                created.forget_after(id)?;
            }
        }
    }
    drop(created);

    let versions = format!(
        "python-openstackclient {} (openstacksdk {})",
        bench_venv::version(&venv, "python-openstackclient").unwrap_or_default(),
        bench_venv::version(&venv, "openstacksdk").unwrap_or_default()
    );
    println!("\n## ibs vs {versions}\n");
    println!(
        "Real Cinder at {url} (noauth), {rounds} rounds alternating the clients; load average {load_before} \
         before, {} after.\n",
        loadavg()
    );
    println!("| command | client | median | p95 | peak RSS (median) | peak RSS (max) | processes | requests | openstack/ibs |");
    println!("|---|---|---|---|---|---|---|---|---|");
    for (command, [i, o]) in COMMANDS.iter().zip(&table) {
        let ratio = o.median().as_secs_f64() / i.median().as_secs_f64().max(1e-9);
        println!("{}", i.line(command, "ibs", &format!("**{ratio:.1}**")));
        println!("{}", o.line("", "openstack", ""));
    }
    let cold = Row {
        samples: cold,
        requests: None,
    };
    println!(
        "\n`ibs volume list` with an empty artifact cache (its first run: compiles the component): \
         median {}, p95 {}, peak RSS {} (max {}).",
        ms(cold.median()),
        ms(pct(&cold.walls(), 0.95)),
        mib(cold.rss_pct(0.5)),
        mib(cold.rss_pct(1.0))
    );
    if log.is_none() {
        println!("\n(requests: n/a, the Cinder's log was not found under $TMPDIR/real-cinder-PORT)");
    }
    Ok(())
}
