//! The whole volume lifecycle through the component, step by step: used by the demo
//! and by the tests (and reusable by soak tests and benchmarks).

use std::time::Instant;

use crate::{spec, BackupCreate, Error, Session, SnapshotCreate, VolumeCreate};

/// Timeout for each wait, in seconds.
pub const WAIT_S: u32 = 120;

/// Ids created by a run, for clean-up and checks.
#[derive(Debug, Default, Clone)]
pub struct Created {
    pub volume: Option<String>,
    pub snapshot: Option<String>,
    pub backup: Option<String>,
    pub restored_volume: Option<String>,
    /// The server `volume` is attached to, until it is detached.
    pub attached_to: Option<String>,
}

/// A failed step: its name and what went wrong.
#[derive(Debug)]
pub struct StepError {
    pub step: String,
    pub failure: Failure,
}

/// Why a step failed: the host library's error, or a check of the lifecycle itself.
#[derive(Debug)]
pub enum Failure {
    Call(Error),
    Check(&'static str),
}

impl StepError {
    fn check(step: &str, why: &'static str) -> StepError {
        StepError {
            step: step.into(),
            failure: Failure::Check(why),
        }
    }

    /// Whether the call found nothing to act on (`not-found`).
    fn not_found(&self) -> bool {
        matches!(&self.failure, Failure::Call(e) if e.kind() == "not-found")
    }
}

impl std::fmt::Display for Failure {
    fn fmt(&self, f: &mut std::fmt::Formatter<'_>) -> std::fmt::Result {
        match self {
            Failure::Call(e) => e.fmt(f),
            Failure::Check(why) => f.write_str(why),
        }
    }
}

impl std::fmt::Display for StepError {
    fn fmt(&self, f: &mut std::fmt::Formatter<'_>) -> std::fmt::Result {
        write!(f, "{}: {}", self.step, self.failure)
    }
}

impl std::error::Error for StepError {}

type Step<T> = Result<T, StepError>;

fn step<T>(report: Report, name: &str, f: impl FnOnce() -> crate::Result<T>, show: impl Fn(&T) -> String) -> Step<T> {
    let start = Instant::now();
    let out = f().map_err(|e| StepError {
        step: name.into(),
        failure: Failure::Call(e),
    });
    let ms = start.elapsed().as_millis();
    match &out {
        Ok(v) => report(name, &show(v), ms),
        Err(e) => report(name, &format!("FAILED {}", e.failure), ms),
    }
    out
}

fn need<T>(name: &str, v: Option<T>) -> Step<T> {
    v.ok_or_else(|| StepError::check(name, "resource vanished while waiting"))
}

/// Where each step's name, result and duration in ms go.
type Report<'a> = &'a mut dyn FnMut(&str, &str, u128);

/// Runs connect-to-delete on `s`: create, wait, extend, snapshot, backup, restore to a new
/// volume, attach to `server_id` and detach, then delete everything. `report` gets each
/// step's name, result and duration in ms. On failure the ids created so far are in
/// `created` for clean-up.
pub fn run(s: &mut Session, server_id: &str, created: &mut Created, report: Report) -> Step<()> {
    let id = create_and_extend(s, created, report)?;
    snapshot(s, &id, created, report)?;
    backup_and_restore(s, &id, created, report)?;
    attach_and_detach(s, &id, server_id, created, report)?;
    cleanup(s, created, report)
}

/// A 1 GiB volume, available, then extended to 2 GiB; returns its id.
fn create_and_extend(s: &mut Session, created: &mut Created, report: Report) -> Step<String> {
    let spec = VolumeCreate {
        description: Some("created by the lifecycle".into()),
        metadata: vec![("purpose".into(), "demo".into())],
        ..spec::volume(1, "demo-volume")
    };
    let v = step(
        report,
        "create volume",
        || s.volume_create(&spec),
        |v| format!("{} status={} size={} GiB", v.id, v.status, v.size),
    )?;
    let id = v.id.clone();
    created.volume = Some(id.clone());
    wait_volume(s, report, "wait volume available", &id, "available")?;
    step(
        report,
        "extend volume to 2 GiB",
        || s.volume_extend(&id, 2),
        |_| "accepted".into(),
    )?;
    let w = step(
        report,
        "wait volume extended",
        || s.volume_wait_for(&id, "available", WAIT_S),
        |v| {
            v.as_ref()
                .map(|v| format!("status={} size={} GiB", v.status, v.size))
                .unwrap_or_default()
        },
    )?;
    if need("wait volume extended", w)?.size != 2 {
        return Err(StepError::check("extend volume", "size did not change"));
    }
    Ok(id)
}

fn snapshot(s: &mut Session, id: &str, created: &mut Created, report: Report) -> Step<()> {
    let snap = SnapshotCreate {
        name: Some("demo-snapshot".into()),
        ..spec::snapshot(id)
    };
    let sn = step(
        report,
        "create snapshot",
        || s.snapshot_create(&snap),
        |x| format!("{} status={}", x.id, x.status),
    )?;
    created.snapshot = Some(sn.id.clone());
    step(
        report,
        "wait snapshot available",
        || s.snapshot_wait_for(&sn.id, "available", WAIT_S),
        |x| status_of(x.as_ref().map(|x| &x.status)),
    )?;
    Ok(())
}

/// A full backup of `id`, restored to a new volume.
fn backup_and_restore(s: &mut Session, id: &str, created: &mut Created, report: Report) -> Step<()> {
    let bk = BackupCreate {
        name: Some("demo-backup".into()),
        ..spec::backup(id)
    };
    let b = step(
        report,
        "create backup",
        || s.backup_create(&bk),
        |x| format!("{} status={}", x.id, x.status),
    )?;
    created.backup = Some(b.id.clone());
    wait_backup(s, report, "wait backup available", &b.id)?;
    wait_volume(s, report, "wait volume available after backup", id, "available")?;
    let r = step(
        report,
        "restore backup to a new volume",
        || s.backup_restore(&b.id, None, Some("demo-restored")),
        |r| format!("volume {} ({})", r.volume_id, r.volume_name.as_deref().unwrap_or("-")),
    )?;
    created.restored_volume = Some(r.volume_id.clone());
    wait_volume(s, report, "wait restored volume available", &r.volume_id, "available")?;
    wait_backup(s, report, "wait backup available after restore", &b.id)
}

fn attach_and_detach(s: &mut Session, id: &str, server_id: &str, created: &mut Created, report: Report) -> Step<()> {
    step(
        report,
        "attach volume to server",
        || s.volume_attach(id, server_id, None),
        |a| {
            format!(
                "server={} device={}",
                a.server_id.as_deref().unwrap_or("-"),
                a.device.as_deref().unwrap_or("-")
            )
        },
    )?;
    created.attached_to = Some(server_id.to_string());
    step(
        report,
        "wait volume in-use",
        || s.volume_wait_for(id, "in-use", WAIT_S),
        |v| {
            let attachment = v.as_ref().and_then(|v| v.attachments.first());
            let att_id = attachment.and_then(|a| a.attachment_id.as_deref()).unwrap_or("-");
            format!("{} attachment={att_id}", status_of(v.as_ref().map(|v| &v.status)))
        },
    )?;
    detach(s, id, server_id, created, report, false)
}

/// Detaches `id` from `server_id` and waits until it is available again. In a clean-up
/// (`cleaning_up`), a detach that finds nothing attached counts as done; in the lifecycle
/// itself it is a failure.
fn detach(
    s: &mut Session,
    id: &str,
    server_id: &str,
    created: &mut Created,
    report: Report,
    cleaning_up: bool,
) -> Step<()> {
    match step(
        report,
        "detach volume",
        || s.volume_detach(id, server_id),
        |_| "accepted".into(),
    ) {
        Err(e) if !(cleaning_up && e.not_found()) => return Err(e),
        _ => created.attached_to = None,
    }
    wait_volume(s, report, "wait volume available after detach", id, "available")
}

fn wait_volume(s: &mut Session, report: Report, name: &str, id: &str, status: &str) -> Step<()> {
    let w = step(
        report,
        name,
        || s.volume_wait_for(id, status, WAIT_S),
        |v| status_of(v.as_ref().map(|v| &v.status)),
    )?;
    need(name, w).map(drop)
}

fn wait_backup(s: &mut Session, report: Report, name: &str, id: &str) -> Step<()> {
    step(
        report,
        name,
        || s.backup_wait_for(id, "available", WAIT_S),
        |x| status_of(x.as_ref().map(|x| &x.status)),
    )
    .map(drop)
}

/// Deletes what `created` names (restored volume, backup, snapshot, volume: dependents
/// first) and waits until each is gone.
pub fn cleanup(s: &mut Session, created: &mut Created, report: Report) -> Step<()> {
    if let (Some(volume), Some(server)) = (created.volume.clone(), created.attached_to.clone()) {
        detach(s, &volume, &server, created, report, true)?;
    }
    remove(
        s,
        report,
        "restored volume",
        &mut created.restored_volume,
        delete_volume,
        Session::volume_wait_for,
    )?;
    remove(
        s,
        report,
        "backup",
        &mut created.backup,
        Session::backup_delete,
        Session::backup_wait_for,
    )?;
    remove(
        s,
        report,
        "snapshot",
        &mut created.snapshot,
        Session::snapshot_delete,
        Session::snapshot_wait_for,
    )?;
    remove(
        s,
        report,
        "volume",
        &mut created.volume,
        delete_volume,
        Session::volume_wait_for,
    )
}

type Delete = fn(&mut Session, &str, bool) -> crate::Result<()>;

/// A volume's delete, without its snapshots (the clean-up removes those itself, first).
fn delete_volume(s: &mut Session, id: &str, force: bool) -> crate::Result<()> {
    s.volume_delete(id, force, false)
}
type WaitFor<T> = fn(&mut Session, &str, &str, u32) -> crate::Result<Option<T>>;

/// Deletes the resource `id` names, if any, and waits until it is gone.
fn remove<T>(
    s: &mut Session,
    report: Report,
    what: &str,
    id: &mut Option<String>,
    delete: Delete,
    wait_for: WaitFor<T>,
) -> Step<()> {
    if let Some(x) = id.clone() {
        // Already gone (an earlier clean-up got this far) counts as removed.
        let deleted = step(
            report,
            &format!("delete {what}"),
            || delete(s, &x, false),
            |_| "accepted".into(),
        );
        if let Err(e) = deleted {
            if !e.not_found() {
                return Err(e);
            }
        }
        step(
            report,
            &format!("wait {what} deleted"),
            || wait_for(s, &x, "deleted", WAIT_S),
            |_| "gone".into(),
        )?;
        *id = None;
    }
    Ok(())
}

fn status_of(s: Option<&String>) -> String {
    s.map(|s| format!("status={s}")).unwrap_or_else(|| "gone".into())
}
