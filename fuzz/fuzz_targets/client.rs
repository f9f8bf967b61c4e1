//! The whole client against a fake cloud whose every answer comes from the fuzz input:
//! connect (token, application credential or password, so the Keystone token and catalog
//! decoders run), then a plan of operations (get, list with next links, create, extend,
//! restore, attach/detach, delete, wait-for), with retries after transient failures and
//! re-authentication on 401 on the way. The property: no input makes the client
//! panic, our own secret never shows in an error, a log line or a `Debug` output, and
//! every request goes to a valid URL.
//!
//! Input: records separated by NUL bytes (see fuzz/README.md).
//! - Record 0, the plan: byte 0 the credentials (`T` token, `A` application credential,
//!   `P` password, any other byte by value), byte 1 options (see [`config`]), then one
//!   byte per operation (see [`OPS`]; other bytes pick one by value).
//! - Records 1.., the answers: `ROUTE STATUS\nname: value\n…\n\nBODY`. ROUTE says which
//!   requests get it (see [`ROUTES`]; unknown -> `any`), STATUS is the HTTP status
//!   (`transport` / `invalid` make the transport fail instead). Header lines are
//!   `token: value`; the body starts after a blank line or at the first line that is not
//!   a header. Each route answers its records in order, then repeats its last one; a route
//!   without records uses `any`'s, and without those the request fails in transport.
//!
//! Time is fake: `sleep_ms` advances the clock, so waits end at once.
//!
//! `FUZZ_TRACE=1 fuzz/target/x86_64-unknown-linux-gnu/release/client FILE` prints each
//! request's route and answer and each operation's outcome (to check a seed does what it
//! should).

#![no_main]

use std::cell::{Cell, RefCell};
use std::collections::VecDeque;
use std::sync::OnceLock;

use infomaniak_block_storage::client::Client;
use infomaniak_block_storage::http::{Io, Method, Request, Response, Url};
use infomaniak_block_storage::{attachments, backups, error, project, resource, snapshots, transfers, volumes};
use infomaniak_block_storage::{
    ApplicationCredential, Backup, BackupCreate, Config, Credentials, Error, ImageUpload, ListOptions, PasswordCredential,
    ResourceUpdate, Snapshot, SnapshotCreate, Volume, VolumeCreate,
};
use libfuzzer_sys::fuzz_target;

const AUTH_URL: &str = "https://keystone.example/identity/v3";
const BLOCK_STORAGE_URL: &str = "https://bs.example/volume/v3/p1";
const BLOCK_STORAGE_URL_NO_PROJECT: &str = "https://bs.example/volume/v3";
const COMPUTE_URL: &str = "https://nova.example/compute/v2.1";
/// Our secret (application credential secret or password): only ever in the token request.
const SECRET: &str = "SECRET-canary-7f3a";

/// Answers after which every request fails in transport (bounds slow inputs).
const MAX_SENDS: u32 = 1_000;
const MAX_RECORDS: usize = 64;
const MAX_OPS: usize = 48;

fn tracing() -> bool {
    static TRACE: OnceLock<bool> = OnceLock::new();
    *TRACE.get_or_init(|| std::env::var_os("FUZZ_TRACE").is_some())
}

#[derive(Clone, Copy, PartialEq, Eq, Debug)]
enum Route {
    /// `POST …/auth/tokens`
    Auth,
    /// `GET` of a version document (a path ending in `/`)
    Version,
    /// `GET /volumes/{id}`, `POST /volumes`
    Volume,
    /// `GET /volumes/detail…`
    Volumes,
    Snapshot,
    Snapshots,
    Backup,
    Backups,
    /// `POST /backups` (Cinder answers only id and name)
    BackupCreate,
    /// `POST /backups/{id}/restore`
    Restore,
    /// `POST …/action` and every `DELETE`
    Action,
    /// `POST /servers/{id}/os-volume_attachments` (Nova)
    Attach,
    /// `GET /servers/{id}/os-volume_attachments` (Nova)
    Attachments,
    /// Fallback for routes without records.
    Any,
}

/// Route names as written in answer records.
const ROUTES: &[(&str, Route)] = &[
    ("auth", Route::Auth),
    ("version", Route::Version),
    ("volume", Route::Volume),
    ("volumes", Route::Volumes),
    ("snapshot", Route::Snapshot),
    ("snapshots", Route::Snapshots),
    ("backup", Route::Backup),
    ("backups", Route::Backups),
    ("backup-create", Route::BackupCreate),
    ("restore", Route::Restore),
    ("action", Route::Action),
    ("attach", Route::Attach),
    ("attachments", Route::Attachments),
    ("any", Route::Any),
];

fn classify(req: &Request) -> Route {
    let Ok(url) = Url::parse(&req.url) else {
        return Route::Any;
    };
    let path = url.path();
    let mut segments = path.rsplit('/');
    let last = segments.next().unwrap_or("");
    let parent = segments.next().unwrap_or("");
    match req.method {
        Method::Post if path.ends_with("/auth/tokens") => Route::Auth,
        Method::Get if path.ends_with('/') => Route::Version,
        m if path.contains("/os-volume_attachments") => match m {
            Method::Post => Route::Attach,
            Method::Get => Route::Attachments,
            _ => Route::Action,
        },
        Method::Delete => Route::Action,
        Method::Post => match last {
            "action" => Route::Action,
            "restore" => Route::Restore,
            "backups" => Route::BackupCreate,
            "volumes" => Route::Volume,
            "snapshots" => Route::Snapshot,
            _ => Route::Any,
        },
        Method::Get if last == "detail" => match parent {
            "volumes" => Route::Volumes,
            "snapshots" => Route::Snapshots,
            "backups" => Route::Backups,
            _ => Route::Any,
        },
        Method::Get => match parent {
            "volumes" => Route::Volume,
            "snapshots" => Route::Snapshot,
            "backups" => Route::Backup,
            _ => Route::Any,
        },
        _ => Route::Any,
    }
}

type Answer = Result<Response, Error>;

/// The fake cloud: scripted answers per route and a fake clock.
struct FuzzIo {
    queues: RefCell<Vec<(Route, VecDeque<Answer>)>>,
    clock_ms: Cell<u64>,
    sends: Cell<u32>,
    /// Whether the input itself holds [`SECRET`] (a server may echo anything).
    input_has_secret: bool,
}

impl FuzzIo {
    /// The next answer of a route: in order, the last one repeated.
    fn take(&self, route: Route) -> Option<Answer> {
        let mut queues = self.queues.borrow_mut();
        let (_, q) = queues.iter_mut().find(|(r, _)| *r == route)?;
        if q.len() > 1 {
            q.pop_front()
        } else {
            q.front().cloned()
        }
    }
}

impl Io for &FuzzIo {
    fn send(&self, req: &Request) -> Result<Response, Error> {
        let n = self.sends.get() + 1;
        self.sends.set(n);
        self.clock_ms.set(self.clock_ms.get() + 20);
        // The client promises absolute URLs it has validated (wasi:http needs them).
        assert!(Url::parse(&req.url).is_ok(), "client sent an invalid URL");
        if n > MAX_SENDS {
            return Err(Error::Transport("fuzz: request budget spent".into()));
        }
        let route = classify(req);
        let answer = self
            .take(route)
            .or_else(|| self.take(Route::Any))
            .unwrap_or_else(|| Err(Error::Transport("fuzz: no answer scripted".into())));
        if tracing() {
            let status = answer.as_ref().map(|r| r.status);
            eprintln!("  {} {} -> {route:?} {status:?}", req.method.as_str(), req.url);
        }
        let answer = answer?;
        // Like the real transport: bodies above the cap are refused, not buffered.
        if answer.body.len() > req.max_body as usize {
            return Err(Error::InvalidResponse("fuzz: body above max-body".into()));
        }
        Ok(answer)
    }
    fn now_ms(&self) -> u64 {
        self.clock_ms.get()
    }
    fn sleep_ms(&self, ms: u64) {
        self.clock_ms.set(self.clock_ms.get().saturating_add(ms));
    }
    fn unix_time_s(&self) -> u64 {
        1_795_680_000 + self.clock_ms.get() / 1000 // from 2026-11-26T08:00:00Z
    }
    fn log(&self, line: &str) {
        if tracing() {
            eprintln!("  log: {line}");
        }
        assert!(
            self.input_has_secret || !line.contains(SECRET),
            "a log line leaked the secret"
        );
    }
}

fn split_once(b: &[u8], sep: u8) -> (&[u8], &[u8]) {
    match b.iter().position(|&c| c == sep) {
        Some(i) => (&b[..i], &b[i + 1..]),
        None => (b, &[]),
    }
}

/// `name: value` with a token name, else `None` (the body starts there).
fn header_line(line: &[u8]) -> Option<(String, String)> {
    let i = line.iter().position(|&c| c == b':')?;
    let name = &line[..i];
    if name.is_empty()
        || !name
            .iter()
            .all(|c| c.is_ascii_alphanumeric() || *c == b'-' || *c == b'_')
    {
        return None;
    }
    let value = String::from_utf8_lossy(&line[i + 1..]).trim().to_string();
    Some((String::from_utf8_lossy(name).to_ascii_lowercase(), value))
}

fn parse_record(rec: &[u8]) -> (Route, Answer) {
    let (head, mut rest) = split_once(rec, b'\n');
    let head = String::from_utf8_lossy(head);
    let mut words = head.split_whitespace();
    let route = words
        .next()
        .and_then(|w| ROUTES.iter().find(|(n, _)| w.eq_ignore_ascii_case(n)))
        .map_or(Route::Any, |(_, r)| *r);
    let status = match words.next() {
        None => 200,
        Some(w) => match w.parse::<u16>() {
            Ok(s) => s,
            Err(_) if w.eq_ignore_ascii_case("transport") => {
                return (route, Err(Error::Transport("fuzz: connection reset".into())))
            }
            Err(_) if w.eq_ignore_ascii_case("invalid") => {
                return (route, Err(Error::InvalidResponse("fuzz: malformed HTTP".into())))
            }
            Err(_) => 200,
        },
    };
    let mut headers = Vec::new();
    while !rest.is_empty() {
        let (line, after) = split_once(rest, b'\n');
        let line = line.strip_suffix(b"\r").unwrap_or(line);
        if line.is_empty() {
            rest = after;
            break;
        }
        match header_line(line) {
            Some(h) => {
                headers.push(h);
                rest = after;
            }
            None => break,
        }
    }
    let resp = Response {
        status,
        headers,
        body: rest.to_vec(),
    };
    (route, Ok(resp))
}

/// `flags` is plan byte 1 minus `@` (so `@` is none, `A` region, `B` pinned 3.60, `C`
/// both…): 1 region `dc3-a`, 2 pinned microversion 3.60, 4 interface `internal`, 8 a
/// configured compute URL, 16 a configured block-storage URL (always with a token), 32
/// max-response-bytes 1024, 64 a block-storage URL without project (`…/v3`).
fn config(creds: u8, flags: u8) -> Config {
    let credentials = match creds {
        b'T' => 0,
        b'A' => 1,
        b'P' => 2,
        b => b % 3,
    };
    let credentials = match credentials {
        0 => Credentials::Token("tok-fuzz".into()),
        1 => Credentials::ApplicationCredential(ApplicationCredential {
            id: "ac".into(),
            secret: SECRET.into(),
        }),
        _ => Credentials::Password(PasswordCredential {
            user_name: "u".into(),
            password: SECRET.into(),
            user_domain: "Default".into(),
            project_name: "p".into(),
            project_domain: "Default".into(),
        }),
    };
    let is_token = matches!(credentials, Credentials::Token(_));
    let block_storage_url = if flags & 64 != 0 {
        Some(BLOCK_STORAGE_URL_NO_PROJECT.to_string())
    } else if is_token || flags & 16 != 0 {
        Some(BLOCK_STORAGE_URL.to_string())
    } else {
        None
    };
    Config {
        auth_url: AUTH_URL.into(),
        credentials,
        region: (flags & 1 != 0).then(|| "dc3-a".into()),
        endpoint_interface: (flags & 4 != 0).then(|| "internal".into()),
        block_storage_url,
        compute_url: (flags & 8 != 0).then(|| COMPUTE_URL.into()),
        timeout_ms: Some(5_000),
        microversion: (flags & 2 != 0).then(|| "3.60".into()),
        max_response_bytes: (flags & 32 != 0).then_some(1024),
    }
}

/// The operations, one byte each.
const OPS: &[u8] = b"glLcCxwWdDaAsSnvVeEbBkrRuUfFqmMoOtTypPzZhGHIJNQXYij";

fn volume_spec(backup: bool) -> VolumeCreate {
    VolumeCreate {
        size: 1,
        name: Some("fuzz".into()),
        description: Some("d".into()),
        volume_type: None,
        availability_zone: None,
        snapshot_id: None,
        source_volume_id: None,
        image_id: None,
        backup_id: backup.then(|| "b1".into()),
        metadata: vec![("k".into(), "v".into())],
        // The keyed path: a lookup before the create and after a lost answer.
        idempotency_key: (!backup).then(|| "fuzz-key".into()),
    }
}

struct Run<'a> {
    input: &'a [u8],
}

impl Run<'_> {
    /// Formats whatever came out (errors as the component logs them) and checks that our
    /// secret is not in it, unless the input itself contains it (a server may echo).
    fn check<T: std::fmt::Debug>(&self, op: &str, r: &Result<T, Error>) {
        let text = match r {
            Ok(v) => format!("{v:?}"),
            Err(e) => {
                let _ = error::kind(e);
                format!("{} {e:?}", error::log_line(op, "v1", e))
            }
        };
        if tracing() {
            eprintln!("{op}: {}", text.chars().take(200).collect::<String>());
        }
        if !contains(self.input, SECRET.as_bytes()) {
            assert!(!text.contains(SECRET), "{op}: the secret leaked: {text}");
        }
    }
}

fn contains(hay: &[u8], needle: &[u8]) -> bool {
    hay.windows(needle.len()).any(|w| w == needle)
}

fn run_op<I: Io>(run: &Run, c: &Client<I>, op: u8) {
    let all = ListOptions {
        status: None,
        name: None,
        page_size: None,
        limit: None,
        marker: None,
        sort: None,
        volume_id: None,
        metadata: vec![],
    };
    let paged = ListOptions {
        status: Some("available".into()),
        name: Some("a b".into()),
        page_size: Some(2),
        ..all.clone()
    };
    let bounded = ListOptions {
        limit: Some(3),
        marker: Some("s0".into()),
        sort: Some("created_at:desc,id".into()),
        volume_id: Some("v1".into()),
        metadata: vec![("k".into(), "v".into())],
        ..all.clone()
    };
    let changes = ResourceUpdate {
        name: Some("renamed".into()),
        description: Some(String::new()),
    };
    let items = vec![("k".to_string(), "v".to_string())];
    let keys = vec!["k".to_string(), "a/b".to_string()];
    match op {
        b'g' => run.check("volumes.get", &resource::get::<Volume, _>(c, "v1")),
        b'l' => run.check("volumes.list", &resource::list::<Volume, _>(c, &all)),
        b'L' => run.check("volumes.list", &resource::list::<Volume, _>(c, &paged)),
        b'c' => run.check("volumes.create", &volumes::create(c, &volume_spec(false))),
        b'C' => run.check("volumes.create", &volumes::create(c, &volume_spec(true))),
        b'x' => run.check("volumes.extend", &volumes::extend(c, "v1", 5)),
        b'w' => run.check(
            "volumes.wait-for",
            &resource::wait_for::<Volume, _>(c, "v1", "available", 60),
        ),
        b'W' => run.check(
            "volumes.wait-for",
            &resource::wait_for::<Volume, _>(c, "v1", "deleted", 60),
        ),
        b'd' => run.check("volumes.delete", &resource::delete::<Volume, _>(c, "v1", false)),
        b'D' => run.check("volumes.delete", &resource::delete::<Volume, _>(c, "v1", true)),
        b'G' => run.check("volumes.delete", &volumes::delete(c, "v1", true, true)),
        b'H' => run.check("volumes.set-bootable", &volumes::set_bootable(c, "v1", true)),
        b'I' => run.check("volumes.set-read-only", &volumes::set_read_only(c, "v1", true)),
        b'J' => run.check("volumes.retype", &volumes::retype(c, "v1", "fast", true)),
        b'N' => run.check("volumes.revert-to-snapshot", &volumes::revert_to_snapshot(c, "v1", "s1")),
        b'Q' => run.check(
            "volumes.upload-to-image",
            &volumes::upload_to_image(
                c,
                "v1",
                &ImageUpload {
                    image_name: "img".into(),
                    disk_format: Some("qcow2".into()),
                    container_format: None,
                    force: true,
                    visibility: Some("private".into()),
                    protected: false,
                },
            ),
        ),
        b'X' => run.check("transfers.create", &transfers::create(c, "v1", &Some("t".into()))),
        b'Y' => run.check("transfers.list", &transfers::list(c)),
        b'i' => run.check("transfers.accept", &transfers::accept(c, "t1", "fuzz-auth-key")),
        b'j' => run.check("transfers.get", &transfers::get(c, "t1")),
        b'a' => run.check(
            "volumes.attach",
            &attachments::attach(c, "v1", "s1", &Some("/dev/vdb".into())),
        ),
        b'A' => run.check("volumes.detach", &attachments::detach(c, "v1", "s1")),
        b's' => run.check("snapshots.get", &resource::get::<Snapshot, _>(c, "s1")),
        b'S' => run.check("snapshots.list", &resource::list::<Snapshot, _>(c, &paged)),
        b'n' => run.check(
            "snapshots.create",
            &snapshots::create(
                c,
                &SnapshotCreate {
                    volume_id: "v1".into(),
                    name: Some("s".into()),
                    description: None,
                    force: true,
                    metadata: vec![],
                    idempotency_key: None,
                },
            ),
        ),
        b'v' => run.check(
            "snapshots.wait-for",
            &resource::wait_for::<Snapshot, _>(c, "s1", "available", 30),
        ),
        b'V' => run.check(
            "snapshots.wait-for",
            &resource::wait_for::<Snapshot, _>(c, "s1", "deleted", 30),
        ),
        b'e' => run.check("snapshots.delete", &resource::delete::<Snapshot, _>(c, "s1", false)),
        b'E' => run.check("snapshots.delete", &resource::delete::<Snapshot, _>(c, "s1", true)),
        b'b' => run.check("backups.get", &resource::get::<Backup, _>(c, "b1")),
        b'B' => run.check("backups.list", &resource::list::<Backup, _>(c, &all)),
        b'k' => run.check(
            "backups.create",
            &backups::create(
                c,
                &BackupCreate {
                    volume_id: "v1".into(),
                    name: Some("b".into()),
                    description: None,
                    incremental: true,
                    force: false,
                    snapshot_id: None,
                    container: None,
                    metadata: vec![("k".into(), "v".into())],
                    availability_zone: Some("nova".into()),
                    idempotency_key: Some("fuzz-key".into()),
                },
            ),
        ),
        b'r' => run.check(
            "backups.restore",
            &backups::restore(c, "b1", &None, &Some("restored".into())),
        ),
        b'R' => run.check("backups.restore", &backups::restore(c, "b1", &Some("v1".into()), &None)),
        b'u' => run.check(
            "backups.wait-for",
            &resource::wait_for::<Backup, _>(c, "b1", "available", 120),
        ),
        b'U' => run.check(
            "backups.wait-for",
            &resource::wait_for::<Backup, _>(c, "b1", "deleted", 60),
        ),
        b'f' => run.check("backups.delete", &resource::delete::<Backup, _>(c, "b1", false)),
        b'F' => run.check("backups.delete", &resource::delete::<Backup, _>(c, "b1", true)),
        b'm' => run.check("volumes.update", &resource::update::<Volume, _>(c, "v1", &changes)),
        b'M' => run.check(
            "volumes.set-metadata",
            &resource::set_metadata::<Volume, _>(c, "v1", &items),
        ),
        b'o' => run.check(
            "volumes.unset-metadata",
            &resource::unset_metadata::<Volume, _>(c, "v1", &keys),
        ),
        b'O' => run.check("snapshots.list", &resource::list::<Snapshot, _>(c, &bounded)),
        b't' => run.check("backups.update", &backups::update(c, "b1", &changes)),
        b'T' => run.check("backups.set-metadata", &backups::set_metadata(c, "b1", &items)),
        b'y' => run.check("backups.unset-metadata", &backups::unset_metadata(c, "b1", &keys)),
        b'p' => run.check("project.limits", &project::limits(c)),
        b'P' => run.check("project.volume-types", &project::volume_types(c)),
        b'z' => run.check("project.availability-zones", &project::availability_zones(c)),
        b'Z' => run.check("project.messages", &project::messages(c, &Some("v1".into()))),
        b'h' => run.check("project.default-volume-type", &project::default_volume_type(c)),
        b'q' => {
            let text = format!(
                "{:?} {:?} {} {}",
                c,
                c.project_id(),
                c.block_storage_url(),
                c.microversion()
            );
            if !contains(run.input, SECRET.as_bytes()) {
                assert!(!text.contains(SECRET), "session Debug leaked the secret");
            }
        }
        other => run_op(run, c, OPS[other as usize % OPS.len()]),
    }
}

fuzz_target!(|data: &[u8]| {
    let mut records = data.split(|&b| b == 0);
    let plan = records.next().unwrap_or(&[]);
    let mut queues: Vec<(Route, VecDeque<Answer>)> = Vec::new();
    for rec in records.take(MAX_RECORDS) {
        let (route, answer) = parse_record(rec);
        // The fault-body parser on every scripted answer, whatever its route.
        if let Ok(resp) = &answer {
            let e = error::from_response(resp);
            let _ = error::log_line("fuzz", "", &e);
        }
        match queues.iter_mut().find(|(r, _)| *r == route) {
            Some((_, q)) => q.push_back(answer),
            None => queues.push((route, VecDeque::from([answer]))),
        }
    }
    let io = FuzzIo {
        queues: RefCell::new(queues),
        clock_ms: Cell::new(0),
        sends: Cell::new(0),
        input_has_secret: contains(data, SECRET.as_bytes()),
    };
    let run = Run { input: data };
    let cfg = config(
        plan.first().copied().unwrap_or(b'T'),
        plan.get(1).map_or(0, |b| b.wrapping_sub(b'@')),
    );
    let client = match Client::connect(&io, cfg) {
        Ok(c) => c,
        Err(e) => return run.check::<()>("connect", &Err(e)),
    };
    for &op in plan.iter().skip(2).take(MAX_OPS) {
        run_op(&run, &client, op);
    }
});
