//! `ibs`: python-openstackclient's volume, snapshot and backup commands through the
//! infomaniak-block-storage component (`volume list|show|create|delete|extend|set|unset|
//! attach|detach|revert`, `volume snapshot …`, `volume backup …`, also as `snapshot …` and
//! `backup …`, `volume transfer request create|list|show|accept|delete`, `volume type
//! list|show`, `volume message list`, `image create --volume`, `availability zone list`,
//! `limits show --absolute`, and `server add|remove volume`).
//!
//! Every command connects one session of the component and makes its calls through it:
//! names are resolved with the component's `list`, `--wait` reads the resource through the
//! component until it gets there. Errors print as `Error: <kind> (<status>) [<request
//! id>]: <message>` on stderr with exit code 1; usage errors exit with 2.

#![cfg(not(target_arch = "wasm32"))]

mod args;
mod commands;
mod config;
mod debug;
#[cfg(feature = "mock")]
mod mock;
mod nesting;
mod output;
mod progress;
mod project;
mod serve;
mod stderr;
mod transfer;

use std::io::{BufRead, IsTerminal, Write};
use std::path::PathBuf;
use std::process::ExitCode;

use clap::Parser;

use infomaniak_block_storage_host::{Config, Host, Log, Session, COMPONENT};

use self::args::{
    AttachArgs, AvailabilityCmd, Cli, Command, DetachArgs, Format, Global, ServerAdd, ServerCmd, ServerRemove,
};
use self::debug::DebugLog;
use self::stderr::Masker;

/// How long `--wait` waits unless told (`--wait-timeout`).
const WAIT_TIMEOUT_S: u32 = 3600;

fn main() -> ExitCode {
    let cli = Cli::parse();
    if let Some(Command::Serve(a)) = &cli.command {
        let out = Masker::stderr();
        return match serve::run(a, &out) {
            Ok(()) => ExitCode::SUCCESS,
            Err(e) => {
                e.report(cli.global.debug, &out);
                ExitCode::FAILURE
            }
        };
    }
    let mut ctx = match Ctx::new(&cli.global) {
        Ok(c) => c,
        Err(e) => {
            e.report(cli.global.debug, &Masker::stderr());
            return ExitCode::FAILURE;
        }
    };
    let ok = match cli.command {
        Some(cmd) => run_and_print(&mut ctx, cmd, &cli.global),
        None => shell(&mut ctx, &cli.global),
    };
    if ok {
        ExitCode::SUCCESS
    } else {
        ExitCode::FAILURE
    }
}

/// Why a command failed.
#[derive(Debug)]
pub enum CliError {
    /// A call of the host library: the component's typed error, or a trap.
    Host(infomaniak_block_storage_host::Error),
    /// Found by the command line itself (a name that matches nothing, a bad option, …).
    Other { kind: &'static str, message: String },
}

impl CliError {
    pub fn new(kind: &'static str, message: impl Into<String>) -> CliError {
        CliError::Other {
            kind,
            message: message.into(),
        }
    }

    /// A trap: the component or the host broke, so going on makes no sense.
    pub fn is_trap(&self) -> bool {
        self.trap().is_some()
    }

    fn trap(&self) -> Option<&wasmtime::Error> {
        match self {
            CliError::Host(infomaniak_block_storage_host::Error::Trap(t)) => Some(t),
            _ => None,
        }
    }

    /// Prints `Error: …` on one line (through the masker, as all of stderr); with
    /// `--debug` a trap's whole story (causes, wasm backtrace) comes first.
    fn report(&self, debug: bool, out: &Masker) {
        if let Some(t) = self.trap().filter(|_| debug) {
            out.print(&format!("{t:?}"));
        }
        out.print(&format!("Error: {self}"));
    }
}

impl From<infomaniak_block_storage_host::Error> for CliError {
    fn from(e: infomaniak_block_storage_host::Error) -> CliError {
        CliError::Host(e)
    }
}

impl std::fmt::Display for CliError {
    fn fmt(&self, f: &mut std::fmt::Formatter<'_>) -> std::fmt::Result {
        match self {
            // The root cause only: the rest is a wasm backtrace, for `--debug`.
            CliError::Host(infomaniak_block_storage_host::Error::Trap(t)) => {
                let cause = t.root_cause().to_string();
                write!(f, "trap: {}", cause.lines().next().unwrap_or_default())
            }
            CliError::Host(e) => e.fmt(f),
            CliError::Other { kind: "", message } => f.write_str(message),
            CliError::Other { kind, message } => write!(f, "{kind}: {message}"),
        }
    }
}

/// What the commands share: the loaded component, the config, the session (connected on
/// first use), names of servers known locally (the mock's), and the running mock.
pub struct Ctx {
    host: Host,
    cfg: Config,
    session: Option<Session>,
    pub servers: Vec<(String, String)>,
    pub wait_timeout: u32,
    /// `--debug`: the component's log is shown.
    debug: bool,
    /// How much of the session's log is shown already.
    logged: usize,
    #[cfg(feature = "mock")]
    _mock: Option<mock::Mock>,
}

/// Where a context's config comes from, and what comes with it.
struct Source {
    cfg: Config,
    cacert: Option<PathBuf>,
    secrets: Vec<String>,
    servers: Vec<(String, String)>,
    #[cfg(feature = "mock")]
    mock: Option<mock::Mock>,
}

impl Source {
    /// `--os-*` over `OS_*` over clouds.yaml, as openstackclient reads them.
    fn openstack(g: &Global) -> Result<Source, CliError> {
        let home = std::env::var_os("HOME").map(PathBuf::from);
        let cwd = std::env::current_dir().unwrap_or_else(|_| PathBuf::from("."));
        let r = config::resolve(&g.os, &|k| std::env::var(k).ok(), home.as_deref(), &cwd)
            .map_err(|m| CliError::new("config", m))?;
        Ok(Source {
            cfg: r.config,
            cacert: r.cacert,
            secrets: r.secrets,
            servers: Vec::new(),
            #[cfg(feature = "mock")]
            mock: None,
        })
    }

    fn of(g: &Global) -> Result<Source, CliError> {
        #[cfg(feature = "mock")]
        if g.mock {
            return Ok(mock::Mock::start().into_source());
        }
        Source::openstack(g)
    }
}

impl Ctx {
    fn new(g: &Global) -> Result<Ctx, CliError> {
        let src = Source::of(g)?;
        let loaded = match cache_dir() {
            Some(dir) => Host::from_bytes_cached(COMPONENT, &dir),
            None => Host::new(),
        };
        let out = Masker::stderr();
        for secret in &src.secrets {
            out.note_secret(secret);
        }
        if let Some(why) = loaded.as_ref().ok().and_then(Host::cache_warning) {
            out.print(&format!("warning: not using the artifact cache: {why}"));
        }
        // Captured even with `--debug`: it is shown through the masker (see `show_log`).
        let mut host = loaded
            .map_err(|e| CliError::new("trap", format!("loading the component: {e}")))?
            .with_log(Log::Capture)
            .with_debug(DebugLog::new(out, g.debug));
        if let Some(path) = src.cacert {
            let pem = std::fs::read(&path)
                .map_err(|e| CliError::new("config", format!("reading the CA bundle {}: {e}", path.display())))?;
            host = host
                .with_extra_ca(&pem)
                .map_err(|e| CliError::new("config", format!("{}: {e:#}", path.display())))?;
        }
        #[cfg(feature = "mock")]
        if let Some(m) = src.mock.as_ref().filter(|_| g.debug) {
            stderr::line(&m.describe());
        }
        Ok(Ctx {
            host,
            cfg: src.cfg,
            session: None,
            servers: src.servers,
            wait_timeout: g.wait_timeout.unwrap_or(WAIT_TIMEOUT_S),
            debug: g.debug,
            logged: 0,
            #[cfg(feature = "mock")]
            _mock: src.mock,
        })
    }

    /// Makes stderr print `secret` (a transfer's auth key) as `***` wherever it would show.
    pub fn hide(&self, secret: &str) {
        Masker::stderr().note_secret(secret);
    }

    /// The session, connected on first use.
    pub fn session(&mut self) -> Result<&mut Session, CliError> {
        self.show_log();
        if self.session.is_none() {
            let connected = self.host.connect(&self.cfg);
            if let Err(e) = &connected {
                self.show_lines(e.log());
            }
            let mut s = connected?;
            if self.debug {
                let url = s.block_storage_url()?;
                let mv = s.microversion()?;
                stderr::line(&format!("connected: block storage {url}, microversion {mv}"));
            }
            self.session = Some(s);
        }
        self.session.as_mut().ok_or_else(|| CliError::new("", "no session"))
    }

    /// With `--debug`, shows what the component logged since the last time. (The host
    /// library can only inherit or capture the component's stderr, so its lines show
    /// after the call that wrote them rather than as it writes them.)
    fn show_log(&mut self) {
        let Some(log) = self.session.as_ref().filter(|_| self.debug).map(Session::log) else {
            return;
        };
        self.show_lines(log.get(self.logged..).unwrap_or_default());
        self.logged = log.len();
    }

    fn show_lines(&self, log: &str) {
        if self.debug {
            log.lines().for_each(stderr::line);
        }
    }
}

/// Where the compiled component is kept between runs: `$XDG_CACHE_HOME` or `~/.cache`;
/// nowhere with `IBS_NO_CACHE` set (to anything but empty).
fn cache_dir() -> Option<PathBuf> {
    if std::env::var_os("IBS_NO_CACHE").is_some_and(|v| !v.is_empty()) {
        return None;
    }
    let base = std::env::var_os("XDG_CACHE_HOME")
        .filter(|d| !d.is_empty())
        .map(PathBuf::from)
        .or_else(|| std::env::var_os("HOME").map(|h| PathBuf::from(h).join(".cache")))?;
    Some(base.join("infomaniak-block-storage"))
}

/// Runs one command and prints its output (stdout) or error (stderr); false on error.
fn run_and_print(ctx: &mut Ctx, cmd: Command, g: &Global) -> bool {
    ctx.wait_timeout = g.wait_timeout.unwrap_or(ctx.wait_timeout);
    let result = match cmd {
        Command::Volume(c) => commands::volume(ctx, c),
        Command::Snapshot(c) => commands::snapshot(ctx, c),
        Command::Backup(c) => commands::backup(ctx, c),
        Command::Server(ServerCmd::Add(ServerAdd::Volume {
            server,
            volume,
            device,
            wait,
        })) => commands::attach(
            ctx,
            AttachArgs {
                volume,
                server,
                device,
                wait,
            },
        ),
        Command::Server(ServerCmd::Remove(ServerRemove::Volume { server, volume, wait })) => {
            commands::detach(ctx, DetachArgs { volume, server, wait })
        }
        Command::Image(c) => commands::image(ctx, c),
        Command::Availability(AvailabilityCmd::Zone(c)) => project::zone(ctx, c),
        Command::Limits(c) => project::limits(ctx, c),
        Command::Serve(_) => Err(CliError::new(
            "invalid-input",
            "serve runs on its own, not in a session's command stream",
        )),
    };
    ctx.show_log();
    let format = g.format.unwrap_or(Format::Table);
    match result.and_then(|out| output::render(out, format, &g.columns)) {
        Ok(text) => {
            let mut stdout = std::io::stdout().lock();
            let _ = stdout.write_all(text.as_bytes());
            let _ = stdout.flush();
            true
        }
        Err(e) => {
            e.report(g.debug, &Masker::stderr());
            false
        }
    }
}

/// No command: one command a line from stdin, all on one session (and one mock); `-f`,
/// `-c` and `--wait-timeout` on a line apply to it, connection options only on the command
/// line. False if any command failed.
fn shell(ctx: &mut Ctx, outer: &Global) -> bool {
    let stdin = std::io::stdin();
    let prompt = stdin.is_terminal();
    if prompt {
        eprintln!("Commands one a line (e.g. `volume list`), `--help` for the list, `exit` or Ctrl-D to end.");
    }
    let mut all_ok = true;
    let mut lines = stdin.lock();
    loop {
        if prompt {
            eprint!("(ibs) ");
            let _ = std::io::stderr().flush();
        }
        let mut line = String::new();
        match lines.read_line(&mut line) {
            Ok(0) => break,
            Ok(_) => {}
            Err(e) => {
                stderr::line(&format!("Error: reading standard input: {e}"));
                return false;
            }
        }
        let line = line.trim();
        if line.is_empty() || line.starts_with('#') {
            continue;
        }
        if line == "quit" || line == "exit" {
            break;
        }
        let words = match split_words(line) {
            Ok(w) => w,
            Err(e) => {
                stderr::line(&format!("Error: invalid-input: {e}"));
                all_ok = false;
                continue;
            }
        };
        let parsed = Cli::try_parse_from(std::iter::once("ibs".to_string()).chain(words));
        match parsed {
            Err(e) => {
                let _ = e.print();
                all_ok &= !e.use_stderr();
            }
            Ok(Cli { command: None, .. }) => {}
            Ok(Cli {
                command: Some(cmd),
                global,
            }) => {
                let g = Global {
                    format: global.format.or(outer.format),
                    columns: if global.columns.is_empty() {
                        outer.columns.clone()
                    } else {
                        global.columns
                    },
                    wait_timeout: global.wait_timeout.or(outer.wait_timeout),
                    ..outer.clone()
                };
                all_ok &= run_and_print(ctx, cmd, &g);
            }
        }
    }
    all_ok
}

/// Splits a line as a POSIX shell would: spaces separate words, quotes group them,
/// backslash escapes (not inside single quotes).
fn split_words(line: &str) -> Result<Vec<String>, String> {
    let mut words = Vec::new();
    let mut word: Option<String> = None;
    let mut chars = line.chars();
    while let Some(c) = chars.next() {
        match c {
            c if c.is_whitespace() => words.extend(word.take()),
            '\'' => {
                let w = word.get_or_insert_with(String::new);
                loop {
                    match chars.next() {
                        Some('\'') => break,
                        Some(c) => w.push(c),
                        None => return Err("unterminated ' quote".into()),
                    }
                }
            }
            '"' => {
                let w = word.get_or_insert_with(String::new);
                loop {
                    match chars.next() {
                        Some('"') => break,
                        Some('\\') => match chars.next() {
                            Some(c) => w.push(c),
                            None => return Err("unterminated \" quote".into()),
                        },
                        Some(c) => w.push(c),
                        None => return Err("unterminated \" quote".into()),
                    }
                }
            }
            '\\' => {
                let w = word.get_or_insert_with(String::new);
                w.extend(chars.next());
            }
            c => word.get_or_insert_with(String::new).push(c),
        }
    }
    words.extend(word);
    Ok(words)
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn lines_split_like_a_shell() {
        assert_eq!(
            split_words(r#"volume create --size 1 "my vol" --description 'a "b"' x\ y"#).unwrap(),
            vec![
                "volume",
                "create",
                "--size",
                "1",
                "my vol",
                "--description",
                "a \"b\"",
                "x y"
            ]
        );
        assert_eq!(split_words("a ''").unwrap(), vec!["a", ""]);
        assert!(split_words("'open").is_err());
    }

    /// `(module (func (export "f") (loop (br 0))))`: runs until stopped.
    const ENDLESS: &[u8] = &[
        0x00, 0x61, 0x73, 0x6d, 0x01, 0x00, 0x00, 0x00, // magic, version
        0x01, 0x04, 0x01, 0x60, 0x00, 0x00, // type: () -> ()
        0x03, 0x02, 0x01, 0x00, // func 0 of type 0
        0x07, 0x05, 0x01, 0x01, b'f', 0x00, 0x00, // export "f"
        0x0a, 0x09, 0x01, 0x07, 0x00, 0x03, 0x40, 0x0c, 0x00, 0x0b, 0x0b, // loop br 0
    ];

    /// A call stopped as the host stops one past its CPU budget: a real wasmtime trap,
    /// with its wasm backtrace.
    fn cpu_budget_trap() -> CliError {
        let mut cfg = wasmtime::Config::new();
        cfg.epoch_interruption(true);
        let engine = wasmtime::Engine::new(&cfg).unwrap();
        let module = wasmtime::Module::new(&engine, ENDLESS).unwrap();
        let mut store = wasmtime::Store::new(&engine, ());
        store.epoch_deadline_callback(|_| Err(wasmtime::format_err!("the call used more than its CPU budget of 10s")));
        store.set_epoch_deadline(1);
        engine.increment_epoch();
        let instance = wasmtime::Instance::new(&mut store, &module, &[]).unwrap();
        let f = instance.get_typed_func::<(), ()>(&mut store, "f").unwrap();
        let trap = f.call(&mut store, ()).unwrap_err();
        CliError::from(infomaniak_block_storage_host::Error::from(trap))
    }

    #[test]
    fn a_trap_is_one_line_and_its_backtrace_only_for_debug() {
        let e = cpu_budget_trap();
        assert!(e.is_trap());
        assert_eq!(e.to_string(), "trap: the call used more than its CPU budget of 10s");
        let (out, lines) = stderr::tests::buffered();
        e.report(false, &out);
        assert_eq!(
            *lines.lock().unwrap(),
            ["Error: trap: the call used more than its CPU budget of 10s"]
        );
        lines.lock().unwrap().clear();
        e.report(true, &out);
        let lines = lines.lock().unwrap();
        assert_eq!(lines.len(), 2, "{lines:?}");
        assert!(
            lines[0].contains("wasm backtrace") && lines[0].contains('\n'),
            "{}",
            lines[0]
        );
        assert_eq!(lines[1], "Error: trap: the call used more than its CPU budget of 10s");
    }
}
