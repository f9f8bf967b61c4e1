//! The `host-test` command: python-openstackclient's volume, snapshot and backup commands
//! through the component (`volume list|show|create|delete|extend|set|attach|detach`,
//! `volume snapshot …`, `volume backup …`, also as `snapshot …` and `backup …`, and
//! `server add|remove volume`), and `demo`.
//!
//! Every command connects one session of the component and makes its calls through it:
//! names are resolved with the component's `list`, `--wait` reads the resource through the
//! component until it gets there. Errors print as `Error: <kind> (<status>) [<request
//! id>]: <message>` on stderr with exit code 1; usage errors exit with 2.

mod args;
mod commands;
pub mod config;
pub mod debug;
mod demo;
pub mod output;
mod progress;

use std::io::{BufRead, IsTerminal, Write};
use std::path::PathBuf;
use std::process::ExitCode;
use std::sync::Arc;
use std::time::Duration;

use clap::Parser;

use self::args::{AttachArgs, Cli, Command, DetachArgs, Format, Global, ServerAdd, ServerCmd, ServerRemove};
use self::debug::DebugLog;
use crate::{describe, Call, Config, Error, Host, Log, Session};
use mock_cloud::{MockCloud, MockOptions};

/// How long `--wait` waits unless told (`--wait-timeout`).
const WAIT_TIMEOUT_S: u32 = 3600;

/// Entry point of the `host-test` binary.
pub fn main() -> ExitCode {
    let cli = Cli::parse();
    if let Some(Command::Demo) = cli.command {
        return if demo::run() {
            ExitCode::SUCCESS
        } else {
            ExitCode::FAILURE
        };
    }
    let mut ctx = match Ctx::new(&cli.global) {
        Ok(c) => c,
        Err(e) => {
            eprintln!("Error: {e}");
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
    /// The component's typed error.
    Component(Error),
    /// A trap: a bug of the host or the component.
    Trap(String),
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

    pub fn trap(e: wasmtime::Error) -> CliError {
        CliError::Trap(format!("{e:#}"))
    }
}

impl From<Error> for CliError {
    fn from(e: Error) -> CliError {
        CliError::Component(e)
    }
}

impl std::fmt::Display for CliError {
    fn fmt(&self, f: &mut std::fmt::Formatter<'_>) -> std::fmt::Result {
        match self {
            CliError::Component(e) => f.write_str(&describe(e)),
            CliError::Trap(t) => write!(f, "trap: {t}"),
            CliError::Other { kind: "", message } => f.write_str(message),
            CliError::Other { kind, message } => write!(f, "{kind}: {message}"),
        }
    }
}

/// A component call's value, its typed error or its trap as a [`CliError`].
pub fn call<T>(c: Call<T>) -> Result<T, CliError> {
    c.map_err(CliError::trap)?.map_err(CliError::Component)
}

/// What the commands share: the loaded component, the config, the session (connected on
/// first use), names of servers known locally (the mock's), and the running mock.
pub struct Ctx {
    host: Host,
    cfg: Config,
    session: Option<Session>,
    pub servers: Vec<(String, String)>,
    pub wait_timeout: u32,
    debug: Option<Arc<DebugLog>>,
    _mock: Option<MockCloud>,
}

impl Ctx {
    fn new(g: &Global) -> Result<Ctx, CliError> {
        let (cfg, cacert, secrets, mock, servers) = if g.mock {
            let cloud = MockCloud::start_with(MockOptions {
                transition: Duration::from_millis(300),
                ..MockOptions::default()
            });
            let server = cloud.add_server("mock-server");
            let cfg = crate::spec::mock_config(&cloud);
            let servers = vec![("mock-server".to_string(), server)];
            (
                cfg,
                None,
                vec![mock_cloud::APP_CRED_SECRET.to_string()],
                Some(cloud),
                servers,
            )
        } else {
            let home = std::env::var_os("HOME").map(PathBuf::from);
            let cwd = std::env::current_dir().unwrap_or_else(|_| PathBuf::from("."));
            let r = config::resolve(&g.os, &|k| std::env::var(k).ok(), home.as_deref(), &cwd)
                .map_err(|m| CliError::new("config", m))?;
            (r.config, r.cacert, r.secrets, None, Vec::new())
        };
        let loaded = match cache_dir() {
            Some(dir) => Host::from_bytes_cached(crate::COMPONENT, &dir),
            None => Host::new(),
        };
        let mut host = loaded
            .map_err(|e| CliError::Trap(format!("loading the component: {e:#}")))?
            .with_log(if g.debug { Log::Inherit } else { Log::Capture });
        if let Some(path) = cacert {
            let pem = std::fs::read(&path)
                .map_err(|e| CliError::new("config", format!("reading the CA bundle {}: {e}", path.display())))?;
            host = host
                .with_extra_ca(&pem)
                .map_err(|e| CliError::new("config", format!("{}: {e:#}", path.display())))?;
        }
        let debug = g.debug.then(|| DebugLog::stderr(secrets));
        if let Some(d) = &debug {
            if let Some(m) = &mock {
                d.print(&format!(
                    "mock cloud on {} (server mock-server: {})",
                    m.base_url(),
                    servers[0].1
                ));
            }
            host = host.with_debug(d.clone());
        }
        Ok(Ctx {
            host,
            cfg,
            session: None,
            servers,
            wait_timeout: g.wait_timeout.unwrap_or(WAIT_TIMEOUT_S),
            debug,
            _mock: mock,
        })
    }

    /// The session, connected on first use.
    pub fn session(&mut self) -> Result<&mut Session, CliError> {
        if self.session.is_none() {
            let mut s = match self.host.connect(&self.cfg).map_err(CliError::trap)? {
                Ok(s) => s,
                Err(e) => return Err(e.error.into()),
            };
            if let Some(d) = &self.debug {
                let url = s.block_storage_url().map_err(CliError::trap)?;
                let mv = s.microversion().map_err(CliError::trap)?;
                d.print(&format!("connected: block storage {url}, microversion {mv}"));
            }
            self.session = Some(s);
        }
        self.session.as_mut().ok_or_else(|| CliError::new("", "no session"))
    }
}

/// Where the compiled component is kept between runs: `$XDG_CACHE_HOME` or `~/.cache`.
fn cache_dir() -> Option<PathBuf> {
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
        Command::Demo => return demo::run(),
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
    };
    let format = g.format.unwrap_or(Format::Table);
    match result.and_then(|out| output::render(out, format, &g.columns)) {
        Ok(text) => {
            let mut stdout = std::io::stdout().lock();
            let _ = stdout.write_all(text.as_bytes());
            let _ = stdout.flush();
            true
        }
        Err(e) => {
            eprintln!("Error: {e}");
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
            eprint!("(host-test) ");
            let _ = std::io::stderr().flush();
        }
        let mut line = String::new();
        match lines.read_line(&mut line) {
            Ok(0) => break,
            Ok(_) => {}
            Err(e) => {
                eprintln!("Error: reading standard input: {e}");
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
                eprintln!("Error: invalid-input: {e}");
                all_ok = false;
                continue;
            }
        };
        let parsed = Cli::try_parse_from(std::iter::once("host-test".to_string()).chain(words));
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
}
