//! The whole volume lifecycle through the component, step by step: used by the `demo`
//! command and by the tests (and reusable by soak tests and benchmarks).

use std::time::Instant;

use crate::{describe, spec, BackupCreate, Session, SnapshotCreate, VolumeCreate};

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

/// A failed step: its name and what went wrong (a typed error or a trap).
#[derive(Debug)]
pub struct StepError {
    pub step: String,
    pub detail: String,
}

impl std::fmt::Display for StepError {
    fn fmt(&self, f: &mut std::fmt::Formatter<'_>) -> std::fmt::Result {
        write!(f, "{}: {}", self.step, self.detail)
    }
}

type Step<T> = Result<T, StepError>;

fn step<T>(
    report: &mut dyn FnMut(&str, &str, u128),
    name: &str,
    f: impl FnOnce() -> crate::Call<T>,
    show: impl Fn(&T) -> String,
) -> Step<T> {
    let start = Instant::now();
    let out = match f() {
        Ok(Ok(v)) => Ok(v),
        Ok(Err(e)) => Err(StepError {
            step: name.into(),
            detail: describe(&e),
        }),
        Err(trap) => Err(StepError {
            step: name.into(),
            detail: format!("trap: {trap:#}"),
        }),
    };
    let ms = start.elapsed().as_millis();
    match &out {
        Ok(v) => report(name, &show(v), ms),
        Err(e) => report(name, &format!("FAILED {}", e.detail), ms),
    }
    out
}

fn need<T>(name: &str, v: Option<T>) -> Step<T> {
    v.ok_or_else(|| StepError {
        step: name.into(),
        detail: "resource vanished while waiting".into(),
    })
}

/// Runs connect-to-delete on `s`: create, wait, extend, snapshot, backup, restore to a new
/// volume, attach to `server_id` and detach, then delete everything. `report` gets each
/// step's name, result and duration in ms. On failure the ids created so far are in
/// `created` for clean-up.
pub fn run(
    s: &mut Session,
    server_id: &str,
    created: &mut Created,
    report: &mut dyn FnMut(&str, &str, u128),
) -> Step<()> {
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
    let w = step(
        report,
        "wait volume available",
        || s.volume_wait_for(&id, "available", WAIT_S),
        |v| status_of(v.as_ref().map(|v| &v.status)),
    )?;
    need("wait volume available", w)?;
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
        return Err(StepError {
            step: "extend volume".into(),
            detail: "size did not change".into(),
        });
    }

    let snap = SnapshotCreate {
        name: Some("demo-snapshot".into()),
        ..spec::snapshot(&id)
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

    let bk = BackupCreate {
        name: Some("demo-backup".into()),
        ..spec::backup(&id)
    };
    let b = step(
        report,
        "create backup",
        || s.backup_create(&bk),
        |x| format!("{} status={}", x.id, x.status),
    )?;
    created.backup = Some(b.id.clone());
    step(
        report,
        "wait backup available",
        || s.backup_wait_for(&b.id, "available", WAIT_S),
        |x| status_of(x.as_ref().map(|x| &x.status)),
    )?;
    step(
        report,
        "wait volume available after backup",
        || s.volume_wait_for(&id, "available", WAIT_S),
        |v| status_of(v.as_ref().map(|v| &v.status)),
    )?;

    let r = step(
        report,
        "restore backup to a new volume",
        || s.backup_restore(&b.id, None, Some("demo-restored")),
        |r| format!("volume {} ({})", r.volume_id, r.volume_name.as_deref().unwrap_or("-")),
    )?;
    created.restored_volume = Some(r.volume_id.clone());
    step(
        report,
        "wait restored volume available",
        || s.volume_wait_for(&r.volume_id, "available", WAIT_S),
        |v| status_of(v.as_ref().map(|v| &v.status)),
    )?;
    step(
        report,
        "wait backup available after restore",
        || s.backup_wait_for(&b.id, "available", WAIT_S),
        |x| status_of(x.as_ref().map(|x| &x.status)),
    )?;

    step(
        report,
        "attach volume to server",
        || s.volume_attach(&id, server_id, None),
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
        || s.volume_wait_for(&id, "in-use", WAIT_S),
        |v| {
            let attachment = v.as_ref().and_then(|v| v.attachments.first());
            let att_id = attachment.and_then(|a| a.attachment_id.as_deref()).unwrap_or("-");
            format!("{} attachment={att_id}", status_of(v.as_ref().map(|v| &v.status)))
        },
    )?;
    step(
        report,
        "detach volume",
        || s.volume_detach(&id, server_id),
        |_| "accepted".into(),
    )?;
    created.attached_to = None;
    step(
        report,
        "wait volume available after detach",
        || s.volume_wait_for(&id, "available", WAIT_S),
        |v| status_of(v.as_ref().map(|v| &v.status)),
    )?;

    cleanup(s, created, report)
}

/// Deletes what `created` names (restored volume, backup, snapshot, volume: dependents
/// first) and waits until each is gone.
pub fn cleanup(s: &mut Session, created: &mut Created, report: &mut dyn FnMut(&str, &str, u128)) -> Step<()> {
    if let (Some(volume), Some(server)) = (created.volume.clone(), created.attached_to.clone()) {
        match step(
            report,
            "detach volume",
            || s.volume_detach(&volume, &server),
            |_| "accepted".into(),
        ) {
            Err(e) if !e.detail.starts_with("not-found") => return Err(e),
            _ => created.attached_to = None,
        }
        step(
            report,
            "wait volume available after detach",
            || s.volume_wait_for(&volume, "available", WAIT_S),
            |v| status_of(v.as_ref().map(|v| &v.status)),
        )?;
    }
    remove(
        s,
        report,
        "restored volume",
        &mut created.restored_volume,
        Session::volume_delete,
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
        Session::volume_delete,
        Session::volume_wait_for,
    )
}

type Delete = fn(&mut Session, &str, bool) -> crate::Call<()>;
type WaitFor<T> = fn(&mut Session, &str, &str, u32) -> crate::Call<Option<T>>;

/// Deletes the resource `id` names, if any, and waits until it is gone.
fn remove<T>(
    s: &mut Session,
    report: &mut dyn FnMut(&str, &str, u128),
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
            if !e.detail.starts_with("not-found") {
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
