//! `cargo bench -p host-test --bench sessions`: many sessions in one host process.
//!
//! 1. **Idle sessions.** Connects sessions one after another (all kept open) and reads
//!    the process's resident memory at 1, 100, 1,000 and 10,000 of them: the cost of an
//!    idle session (connected, nothing running), and the median `connect`.
//! 2. **Concurrent sessions.** Aggregate `get` throughput and p99 latency at 1, 8, 64 and
//!    256 sessions, one thread each, the component against the native twin.
//!
//! The mock cloud runs in a child process (this same binary, see [`MOCK_ROLE`]), so that
//! the resident memory measured is the host's alone. `BENCH_QUICK=1` stops at 1,000 idle
//! sessions and runs each concurrency level for a tenth of the time.
//! `SESSIONS_PROFILE_GETS=N` only runs `N` `get`s through one session, for a profiler
//! (`perf record -g`: see BENCHMARKS.md).

mod twin;

use std::io::{BufRead, BufReader, Write};
use std::process::{Child, Command, Stdio};
use std::sync::{Arc, Barrier};
use std::time::{Duration, Instant};

use infomaniak_block_storage as native;

type Res<T> = Result<T, String>;

/// Set in the child's environment: serve the mock cloud instead of measuring.
const MOCK_ROLE: &str = "SESSIONS_BENCH_MOCK";

/// Idle sessions at which memory is read.
const IDLE_LEVELS: [usize; 4] = [1, 100, 1_000, 10_000];
/// Concurrent sessions.
const CONCURRENCY: [usize; 4] = [1, 8, 64, 256];
/// How long each client runs at each concurrency level.
const RUN: Duration = Duration::from_secs(3);

fn main() {
    if std::env::var_os(MOCK_ROLE).is_some() {
        serve_mock();
        return;
    }
    if let Err(e) = run() {
        eprintln!("benchmark failed: {e}");
        std::process::exit(1);
    }
}

// ---------------------------------------------------------------- the mock, in a child process

/// The child: a mock cloud with one volume, described on stdout as `auth_url volume_id`;
/// it serves until its stdin closes (the parent ended) and forgets its request log every
/// second (millions of `get`s would otherwise fill it).
fn serve_mock() {
    let cloud = mock_cloud::MockCloud::start_with(mock_cloud::MockOptions {
        transition: Duration::ZERO,
        ..mock_cloud::MockOptions::default()
    });
    let volume = cloud.seed_volumes("bench-", 1).remove(0);
    println!("{} {volume}", cloud.auth_url());
    let _ = std::io::stdout().flush();
    std::thread::spawn(move || loop {
        std::thread::sleep(Duration::from_secs(1));
        cloud.clear_requests();
    });
    let _ = std::io::copy(&mut std::io::stdin(), &mut std::io::sink());
}

/// The mock cloud's child process; killed on drop.
struct Mock {
    child: Child,
    auth_url: String,
    volume: String,
}

impl Mock {
    fn start() -> Res<Mock> {
        let exe = std::env::current_exe().map_err(|e| e.to_string())?;
        let mut child = Command::new(exe)
            .env(MOCK_ROLE, "1")
            .stdin(Stdio::piped())
            .stdout(Stdio::piped())
            .spawn()
            .map_err(|e| format!("starting the mock: {e}"))?;
        let mut line = String::new();
        let stdout = child.stdout.take().ok_or("the mock has no stdout")?;
        BufReader::new(stdout).read_line(&mut line).map_err(|e| e.to_string())?;
        let (auth_url, volume) = line
            .trim()
            .split_once(' ')
            .ok_or_else(|| format!("the mock said {line:?}"))?;
        Ok(Mock {
            auth_url: auth_url.into(),
            volume: volume.into(),
            child,
        })
    }
}

impl Drop for Mock {
    fn drop(&mut self) {
        let _ = self.child.kill();
        let _ = self.child.wait();
    }
}

// ---------------------------------------------------------------- memory

/// The process's resident memory from `/proc/self/status`, in KiB: total, anonymous,
/// file-backed, shared (the guest's copy-on-write memory images are file or shared pages).
#[derive(Clone, Copy, Default)]
struct Rss {
    total: i64,
    anon: i64,
    file: i64,
    shmem: i64,
}

impl Rss {
    fn now() -> Rss {
        let status = std::fs::read_to_string("/proc/self/status").unwrap_or_default();
        let field = |name: &str| {
            status
                .lines()
                .find_map(|l| l.strip_prefix(name))
                .and_then(|v| v.trim().trim_end_matches("kB").trim().parse().ok())
                .unwrap_or(0)
        };
        Rss {
            total: field("VmRSS:"),
            anon: field("RssAnon:"),
            file: field("RssFile:"),
            shmem: field("RssShmem:"),
        }
    }

    fn minus(self, o: Rss) -> Rss {
        Rss {
            total: self.total - o.total,
            anon: self.anon - o.anon,
            file: self.file - o.file,
            shmem: self.shmem - o.shmem,
        }
    }
}

/// KiB per session, one decimal.
fn per(kib: i64, n: usize) -> String {
    format!("{:.1}", kib as f64 / n as f64)
}

/// Open file descriptors of this process (at most `ulimit -n`).
fn open_fds() -> usize {
    std::fs::read_dir("/proc/self/fd").map_or(0, |d| d.count())
}

/// Memory mappings of this process (at most `vm.max_map_count`, 65,530 by default).
fn mappings() -> usize {
    std::fs::read_to_string("/proc/self/maps").map_or(0, |m| m.lines().count())
}

/// Connects sessions up to each of `levels` (all kept), printing memory at each.
fn idle_sessions(host: &host_test::Host, mock: &Mock, levels: &[usize]) -> Res<()> {
    let cfg = host_test::mock_config_at(&mock.auth_url);
    // Warm-up: what the first session initialises once per process is not a session's cost.
    drop(host.connect(&cfg).map_err(|e| e.to_string())?);
    let base = Rss::now();
    let (fds, maps) = (open_fds(), mappings());
    let mut sessions = Vec::new();
    let mut connects = Vec::new();
    println!("\n### Idle sessions (connected, nothing running), one process\n");
    println!("| sessions | RSS | per session | anonymous / file / shared per session (KiB) | open fds / mappings per session | connect median | connect p99 |");
    println!("|---|---|---|---|---|---|---|");
    for &level in levels {
        while sessions.len() < level {
            let t = Instant::now();
            match host.connect(&cfg) {
                Ok(s) => sessions.push(s),
                Err(e) => {
                    println!(
                        "| {level} | connect failed at session {}: {e} | | | | | |",
                        sessions.len() + 1
                    );
                    return Ok(());
                }
            }
            connects.push(t.elapsed());
        }
        let d = Rss::now().minus(base);
        let n = sessions.len();
        println!(
            "| {n} | {:.1} MiB | **{} KiB** | {} / {} / {} | {:.1} / {:.1} | {} | {} |",
            d.total as f64 / 1024.0,
            per(d.total, n),
            per(d.anon, n),
            per(d.file, n),
            per(d.shmem, n),
            open_fds().saturating_sub(fds) as f64 / n as f64,
            mappings().saturating_sub(maps) as f64 / n as f64,
            time(pct(&mut connects, 0.5)),
            time(pct(&mut connects, 0.99)),
        );
    }
    Ok(())
}

// ---------------------------------------------------------------- throughput

/// One thread's client: a component session or a native twin, made on that thread.
trait Getter {
    fn get(&mut self, id: &str) -> Res<()>;
}

impl Getter for host_test::Session {
    fn get(&mut self, id: &str) -> Res<()> {
        self.volume_get(id).map(drop).map_err(|e| e.to_string())
    }
}

impl Getter for native::client::Client<twin::KeepAlive> {
    fn get(&mut self, id: &str) -> Res<()> {
        native::resource::get::<native::Volume, _>(self, id)
            .map(drop)
            .map_err(|e| format!("{e:?}"))
    }
}

/// What `threads` clients made by `make` did in `run`: operations per second, and every
/// `get`'s latency.
fn throughput<G: Getter>(
    threads: usize,
    run: Duration,
    volume: &str,
    make: impl Fn() -> Res<G> + Send + Sync + 'static,
) -> Res<(f64, Vec<Duration>)> {
    let make = Arc::new(make);
    let start = Arc::new(Barrier::new(threads + 1));
    let workers: Vec<_> = (0..threads)
        .map(|_| {
            let (make, start, volume) = (make.clone(), start.clone(), volume.to_string());
            std::thread::spawn(move || -> Res<Vec<Duration>> {
                let client = make();
                start.wait();
                let mut client = client?;
                let mut times = Vec::new();
                let begun = Instant::now();
                while begun.elapsed() < run {
                    let t = Instant::now();
                    client.get(&volume)?;
                    times.push(t.elapsed());
                }
                Ok(times)
            })
        })
        .collect();
    start.wait();
    let begun = Instant::now();
    let mut all = Vec::new();
    for w in workers {
        all.extend(w.join().map_err(|_| "a worker panicked")??);
    }
    Ok((all.len() as f64 / begun.elapsed().as_secs_f64(), all))
}

fn concurrent_sessions(host: &host_test::Host, mock: &Mock, run: Duration) -> Res<()> {
    println!(
        "\n### Concurrent sessions: aggregate `get` throughput ({:?} per level and client)\n",
        run
    );
    println!("| sessions (threads) | component get/s | native get/s | (2)/(1) throughput | component p50 / p99 | native p50 / p99 |");
    println!("|---|---|---|---|---|---|");
    for threads in CONCURRENCY {
        let (h, cfg) = (host.clone(), host_test::mock_config_at(&mock.auth_url));
        let (c_rate, mut c) = throughput(threads, run, &mock.volume, move || {
            h.connect(&cfg).map_err(|e| e.to_string())
        })?;
        let url = mock.auth_url.clone();
        let (n_rate, mut n) = throughput(threads, run, &mock.volume, move || {
            twin::connect(&url).map_err(|e| format!("{e:?}"))
        })?;
        println!(
            "| {threads} | {c_rate:.0} | {n_rate:.0} | **{:.2}** | {} / {} | {} / {} |",
            n_rate / c_rate,
            time(pct(&mut c, 0.5)),
            time(pct(&mut c, 0.99)),
            time(pct(&mut n, 0.5)),
            time(pct(&mut n, 0.99)),
        );
    }
    Ok(())
}

/// The calling thread's CPU time per `get` over `n` of them: unlike wall time, hardly
/// moved by other processes on a loaded machine.
fn cpu_per_get(mut client: impl Getter, n: usize, volume: &str) -> Res<Duration> {
    let cpu = || {
        let mut ts = libc::timespec { tv_sec: 0, tv_nsec: 0 };
        // SAFETY: `ts` is a valid, writable timespec; the clock id is a constant.
        unsafe { libc::clock_gettime(libc::CLOCK_THREAD_CPUTIME_ID, &mut ts) };
        Duration::new(ts.tv_sec as u64, ts.tv_nsec as u32)
    };
    let start = cpu();
    for _ in 0..n {
        client.get(volume)?;
    }
    Ok((cpu() - start) / n.max(1) as u32)
}

// ---------------------------------------------------------------- report

fn pct(t: &mut [Duration], p: f64) -> Duration {
    t.sort_unstable();
    t.get(((t.len() as f64 - 1.0) * p).round() as usize)
        .copied()
        .unwrap_or_default()
}

fn time(d: Duration) -> String {
    let us = d.as_secs_f64() * 1e6;
    if us < 1000.0 {
        format!("{us:.0} µs")
    } else {
        format!("{:.2} ms", us / 1000.0)
    }
}

fn run() -> Res<()> {
    let quick = std::env::var("BENCH_QUICK").is_ok_and(|v| v == "1");
    let (levels, run) = if quick {
        (&IDLE_LEVELS[..3], RUN / 10)
    } else {
        (&IDLE_LEVELS[..], RUN)
    };
    let mock = Mock::start()?;
    let host = host_test::Host::new().map_err(|e| e.to_string())?;
    if let Some(n) = std::env::var("SESSIONS_PROFILE_GETS").ok().and_then(|n| n.parse().ok()) {
        let session = host
            .connect(&host_test::mock_config_at(&mock.auth_url))
            .map_err(|e| e.to_string())?;
        let twin = twin::connect(&mock.auth_url).map_err(|e| format!("{e:?}"))?;
        let component = cpu_per_get(session, n, &mock.volume)?;
        let native = cpu_per_get(twin, n, &mock.volume)?;
        println!(
            "{n} gets, this process's CPU per get (the mock's is not counted): component {}, native {}, (1)/(2) {:.2}",
            time(component),
            time(native),
            component.as_secs_f64() / native.as_secs_f64()
        );
        return Ok(());
    }
    println!("\n## Many sessions in one host process (mock cloud in a child process)");
    idle_sessions(&host, &mock, levels)?;
    concurrent_sessions(&host, &mock, run)?;
    Ok(())
}
