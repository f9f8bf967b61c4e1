//! The commands: each one resolves names through the component's `list`, calls the
//! component, waits (`--wait`) by reading the resource through the component, and returns
//! what to print.

use std::collections::HashMap;
use std::time::{Duration, Instant};

use serde_json::{json, Value};

use infomaniak_block_storage_host::{
    poll, spec, Backup, BackupCreate, ImageUpload, ListOptions, ResourceUpdate, Restored, Result as Call, Session,
    Snapshot, SnapshotCreate, UploadedImage, Volume, VolumeCreate,
};

use crate::args::{
    AttachArgs, BackupCmd, ChildListArgs, DeleteArgs, DetachArgs, ImageCmd, ImageCreateArgs, ListArgs, RetypePolicy,
    SetArgs, SnapshotCmd, TransferCmd, UnsetArgs, VolumeCmd, VolumeCreateArgs, VolumeSetArgs,
};
use crate::output::{Cell, Output};
use crate::progress::Progress;
use crate::{project, transfer, CliError, Ctx};

/// What the commands need to know about each kind of resource.
pub trait Resource: Sized {
    const KIND: &'static str;
    const PLURAL: &'static str;
    fn get(s: &mut Session, id: &str) -> Call<Self>;
    fn list(s: &mut Session, opts: &ListOptions) -> Call<Vec<Self>>;
    fn update(s: &mut Session, id: &str, changes: &ResourceUpdate) -> Call<Self>;
    fn set_metadata(s: &mut Session, id: &str, items: &[(String, String)]) -> Call<Vec<(String, String)>>;
    fn unset_metadata(s: &mut Session, id: &str, keys: &[String]) -> Call<()>;
    fn id(&self) -> &str;
    fn name(&self) -> Option<&str>;
    fn description(&self) -> Option<&str>;
    fn status(&self) -> &str;
    fn size(&self) -> u32;
}

/// The three resources differ only in their names and calls.
macro_rules! resource {
    ($ty:ident, $kind:literal, $plural:literal, $get:ident, $list:ident, $update:ident, $set:ident, $unset:ident) => {
        impl Resource for $ty {
            const KIND: &'static str = $kind;
            const PLURAL: &'static str = $plural;
            fn get(s: &mut Session, id: &str) -> Call<Self> {
                s.$get(id)
            }
            fn list(s: &mut Session, opts: &ListOptions) -> Call<Vec<Self>> {
                s.$list(opts)
            }
            fn update(s: &mut Session, id: &str, changes: &ResourceUpdate) -> Call<Self> {
                s.$update(id, changes)
            }
            fn set_metadata(s: &mut Session, id: &str, items: &[(String, String)]) -> Call<Vec<(String, String)>> {
                s.$set(id, items)
            }
            fn unset_metadata(s: &mut Session, id: &str, keys: &[String]) -> Call<()> {
                s.$unset(id, keys)
            }
            fn id(&self) -> &str {
                &self.id
            }
            fn name(&self) -> Option<&str> {
                self.name.as_deref()
            }
            fn description(&self) -> Option<&str> {
                self.description.as_deref()
            }
            fn status(&self) -> &str {
                &self.status
            }
            fn size(&self) -> u32 {
                self.size
            }
        }
    };
}

resource!(
    Volume,
    "volume",
    "volumes",
    volume_get,
    volume_list,
    volume_update,
    volume_set_metadata,
    volume_unset_metadata
);
resource!(
    Snapshot,
    "snapshot",
    "snapshots",
    snapshot_get,
    snapshot_list,
    snapshot_update,
    snapshot_set_metadata,
    snapshot_unset_metadata
);
resource!(
    Backup,
    "backup",
    "backups",
    backup_get,
    backup_list,
    backup_update,
    backup_set_metadata,
    backup_unset_metadata
);

/// A resource by ID or else by name, as python-openstackclient's `find_resource`: a read by
/// ID first, then a list filtered by the name, which must match exactly one.
pub fn find<R: Resource>(s: &mut Session, arg: &str) -> Result<R, CliError> {
    let miss = match R::get(s, arg) {
        Ok(r) => return Ok(r),
        // A name is no valid ID for the component, or no resource has it as ID.
        Err(e) if matches!(e.kind(), "not-found" | "invalid-input") => e,
        Err(e) => return Err(e.into()),
    };
    let opts = ListOptions {
        name: Some(arg.to_string()),
        ..spec::list_all()
    };
    let mut found = R::list(s, &opts)?;
    found.retain(|r| r.name() == Some(arg));
    if found.is_empty() && looks_like_uuid(arg) && miss.kind() == "not-found" {
        return Err(miss.into());
    }
    exactly_one(R::KIND, arg, found)
}

/// The one match of `arg` among `found`, or openstackclient's not-found or ambiguity error.
pub fn exactly_one<T>(kind: &str, arg: &str, mut found: Vec<T>) -> Result<T, CliError> {
    match found.len() {
        1 => Ok(found.remove(0)),
        0 => Err(CliError::new(
            "not-found",
            format!("No {kind} with a name or ID of '{arg}' exists."),
        )),
        _ => Err(CliError::new(
            "ambiguous",
            format!("More than one {kind} exists with the name '{arg}'."),
        )),
    }
}

fn looks_like_uuid(s: &str) -> bool {
    let hex: String = s.chars().filter(|c| *c != '-').collect();
    hex.len() == 32 && hex.chars().all(|c| c.is_ascii_hexdigit())
}

/// `volume data (3f2a…)`, for progress lines.
fn label<R: Resource>(r: &R) -> String {
    match r.name() {
        Some(n) if !n.is_empty() => format!("{} {n} ({})", R::KIND, r.id()),
        _ => format!("{} {}", R::KIND, r.id()),
    }
}

/// Polls `id` through the component's `get` until `done` (or, for target `deleted`, until
/// it is gone), showing the status and the time waited; fails on an `error*` status.
pub fn wait_until<R: Resource>(
    s: &mut Session,
    id: &str,
    label: &str,
    target: &str,
    timeout_s: u32,
    done: impl Fn(&R) -> bool,
) -> Result<Option<R>, CliError> {
    let progress = Progress::start(label, target);
    let started = Instant::now();
    // The component's own schedule: this loop only exists to draw progress between polls.
    loop {
        let sent = started.elapsed();
        match R::get(s, id) {
            Ok(r) => {
                let status = r.status().to_ascii_lowercase();
                progress.status(&status);
                if done(&r) {
                    progress.finish();
                    return Ok(Some(r));
                }
                if status.starts_with("error") {
                    progress.finish();
                    let text = format!("{} {id} reached status {status} while waiting for {target}", R::KIND);
                    return Err(CliError::new("resource-failed", with_reason(s, id, text)));
                }
            }
            Err(e) if e.kind() == "not-found" && target == "deleted" => {
                progress.status("deleted");
                progress.finish();
                return Ok(None);
            }
            Err(e) => return Err(e.into()),
        }
        let waited = started.elapsed();
        let limit = Duration::from_secs(u64::from(timeout_s));
        if waited >= limit {
            progress.finish();
            return Err(CliError::new(
                "wait-timeout",
                format!("{} {id} did not reach {target} within {timeout_s} s", R::KIND),
            ));
        }
        let next = sent + Duration::from_millis(poll::delay_ms(sent.as_millis() as u64));
        std::thread::sleep(next.saturating_sub(waited).min(limit - waited));
    }
}

/// `text` followed by Cinder's reason, its newest user message about resource `id` (3.3+);
/// `text` alone when there is none or it cannot be read.
fn with_reason(s: &mut Session, id: &str, text: String) -> String {
    match s.messages(Some(id)).ok().and_then(|m| m.into_iter().next()) {
        Some(m) => format!("{text}: {}", m.user_message),
        None => text,
    }
}

fn wait_status<R: Resource>(s: &mut Session, r: &R, target: &str, timeout_s: u32) -> Result<R, CliError> {
    let label = label(r);
    let done = wait_until::<R>(s, r.id(), &label, target, timeout_s, |x| {
        x.status().eq_ignore_ascii_case(target)
    })?;
    done.ok_or_else(|| CliError::new("not-found", format!("{} {} is gone", R::KIND, r.id())))
}

/// The list options as given: the component checks them (sort keys, marker, metadata) and
/// the server applies them, so `--limit 2` is one small request, not a filtered full list.
fn list_options(l: &ListArgs, volume_id: Option<String>) -> ListOptions {
    ListOptions {
        status: l.status.clone(),
        name: l.name.clone(),
        limit: l.limit,
        marker: l.marker.clone(),
        sort: l.sort.clone(),
        volume_id,
        metadata: l.properties.clone(),
        ..spec::list_all()
    }
}

/// `… set`: the properties merged, then the name and description changed, each only when
/// given (openstackclient's order), so that a bare `set` sends nothing.
fn apply_set<R: Resource>(s: &mut Session, r: &R, a: &SetArgs) -> Result<(), CliError> {
    if !a.properties.is_empty() {
        R::set_metadata(s, r.id(), &a.properties)?;
    }
    if a.name.is_some() || a.description.is_some() {
        let changes = ResourceUpdate {
            name: a.name.clone(),
            description: a.description.clone(),
        };
        R::update(s, r.id(), &changes)?;
    }
    Ok(())
}

/// `snapshot set` and `backup set` (`volume set` can also grow the volume).
fn set<R: Resource>(ctx: &mut Ctx, a: &SetArgs) -> Result<Output, CliError> {
    let s = ctx.session()?;
    let r = find::<R>(s, &a.target)?;
    apply_set(s, &r, a)?;
    Ok(Output::Nothing)
}

/// `… unset --property KEY`: keys that are not set are no error (as in Cinder).
fn unset<R: Resource>(ctx: &mut Ctx, a: &UnsetArgs) -> Result<Output, CliError> {
    let s = ctx.session()?;
    let r = find::<R>(s, &a.target)?;
    R::unset_metadata(s, r.id(), &a.properties)?;
    Ok(Output::Nothing)
}

/// Deletes each of `d.names` (names or IDs), going on after a failure as openstackclient does;
/// then, with `--wait`, waits for each to be gone.
fn delete_all<R: Resource>(
    ctx: &mut Ctx,
    d: &DeleteArgs,
    delete: impl Fn(&mut Session, &str) -> Call<()>,
) -> Result<Output, CliError> {
    let timeout = ctx.wait_timeout;
    let s = ctx.session()?;
    let mut failed = 0;
    let mut deleted = Vec::new();
    for arg in &d.names {
        let outcome = find::<R>(s, arg).and_then(|r| delete(s, r.id()).map(|()| r).map_err(CliError::from));
        match outcome {
            Ok(r) => deleted.push(r),
            Err(e) if e.is_trap() => return Err(e),
            Err(e) => {
                failed += 1;
                crate::stderr::line(&format!("Failed to delete {} with name or ID '{arg}': {e}", R::KIND));
            }
        }
    }
    if d.wait {
        for r in &deleted {
            wait_until::<R>(s, r.id(), &label(r), "deleted", timeout, |_| false)?;
        }
    }
    if failed > 0 {
        return Err(CliError::new(
            "",
            format!("{failed} of {} {} failed to delete.", d.names.len(), R::PLURAL),
        ));
    }
    Ok(Output::Nothing)
}

// Volumes.

pub fn volume(ctx: &mut Ctx, cmd: VolumeCmd) -> Result<Output, CliError> {
    let timeout = ctx.wait_timeout;
    match cmd {
        VolumeCmd::List(l) => {
            let all = ctx.session()?.volume_list(&list_options(&l, None))?;
            Ok(volume_list(&all, l.long))
        }
        VolumeCmd::Show { volume } => Ok(volume_record(&find::<Volume>(ctx.session()?, &volume)?)),
        VolumeCmd::Create(a) => volume_create(ctx, a),
        VolumeCmd::Delete(d) => {
            delete_all::<Volume>(ctx, &d.delete, |s, id| s.volume_delete(id, d.delete.force, d.cascade))
        }
        VolumeCmd::Extend { volume, size, wait } => {
            let s = ctx.session()?;
            let v = find::<Volume>(s, &volume)?;
            extend(s, &v, size, wait, timeout)?;
            Ok(Output::Nothing)
        }
        VolumeCmd::Set(a) => volume_set(ctx, &a),
        VolumeCmd::Unset(a) => unset::<Volume>(ctx, &a),
        VolumeCmd::Attach(a) => attach(ctx, a),
        VolumeCmd::Detach(a) => detach(ctx, a),
        VolumeCmd::Revert { snapshot, wait } => revert(ctx, &snapshot, wait),
        VolumeCmd::Transfer(TransferCmd::Request(c)) => transfer::request(ctx, c),
        VolumeCmd::Snapshot(c) => snapshot(ctx, c),
        VolumeCmd::Backup(c) => backup(ctx, c),
        VolumeCmd::Type(c) => project::volume_type(ctx, c),
        VolumeCmd::Message(c) => project::message(ctx, c),
    }
}

/// `volume extend` and `volume set --size`; `wait`: until the volume is back to its status
/// at the new size.
fn extend(s: &mut Session, v: &Volume, size: u32, wait: bool, timeout: u32) -> Result<(), CliError> {
    s.volume_extend(&v.id, size)?;
    if wait {
        let back_to = v.status.to_ascii_lowercase();
        let target = format!("{back_to} at {size} GiB");
        wait_until::<Volume>(s, &v.id, &label(v), &target, timeout, |x| {
            x.status.eq_ignore_ascii_case(&back_to) && x.size == size
        })?;
    }
    Ok(())
}

/// `volume set`: the size first (it is the change most likely refused), then the
/// properties, name and description, the bootable and read-only flags, and the type last
/// (a retype leaves the volume `retyping` a while, and the read-only flag needs it
/// available).
fn volume_set(ctx: &mut Ctx, a: &VolumeSetArgs) -> Result<Output, CliError> {
    let timeout = ctx.wait_timeout;
    let s = ctx.session()?;
    let v = find::<Volume>(s, &a.set.target)?;
    if let Some(size) = a.size {
        extend(s, &v, size, a.wait, timeout)?;
    }
    apply_set(s, &v, &a.set)?;
    if a.bootable || a.non_bootable {
        s.volume_set_bootable(&v.id, a.bootable)?;
    }
    if a.read_only || a.read_write {
        s.volume_set_read_only(&v.id, a.read_only)?;
    }
    if let Some(volume_type) = &a.volume_type {
        // openstackclient's default policy: never.
        let migrate = a.retype_policy == Some(RetypePolicy::OnDemand);
        retype(s, &v, volume_type, migrate, a.wait, timeout)?;
    }
    Ok(Output::Nothing)
}

/// `volume set --type`; `wait`: until the volume is done retyping, which fails when its
/// type is still the old one (Cinder puts it back without an error status when no backend
/// takes the new type).
fn retype(
    s: &mut Session,
    v: &Volume,
    volume_type: &str,
    migrate: bool,
    wait: bool,
    timeout: u32,
) -> Result<(), CliError> {
    s.volume_retype(&v.id, volume_type, migrate)?;
    if !wait {
        return Ok(());
    }
    let target = format!("type {volume_type}");
    let done = wait_until::<Volume>(s, &v.id, &label(v), &target, timeout, |x| {
        !x.status.eq_ignore_ascii_case("retyping")
    })?;
    let now = done.ok_or_else(|| CliError::new("not-found", format!("volume {} is gone", v.id)))?;
    if now.volume_type == v.volume_type {
        let text = format!(
            "volume {} is still of type {} after the retype to {volume_type}",
            v.id,
            v.volume_type.as_deref().unwrap_or("None")
        );
        return Err(CliError::new("resource-failed", with_reason(s, &v.id, text)));
    }
    Ok(())
}

/// `volume revert SNAPSHOT`: the snapshot's volume back to it (Cinder takes only the
/// volume's latest snapshot); `wait`: until the volume is available again.
fn revert(ctx: &mut Ctx, snapshot: &str, wait: bool) -> Result<Output, CliError> {
    let timeout = ctx.wait_timeout;
    let s = ctx.session()?;
    let snap = find::<Snapshot>(s, snapshot)?;
    let v = s.volume_get(&snap.volume_id)?;
    s.volume_revert_to_snapshot(&v.id, &snap.id)?;
    if wait {
        wait_status(s, &v, "available", timeout)?;
    }
    Ok(Output::Nothing)
}

/// `image create --volume VOLUME NAME`: Cinder copies the volume into a new image;
/// `--wait`: until the volume is no longer `uploading`.
pub fn image(ctx: &mut Ctx, cmd: ImageCmd) -> Result<Output, CliError> {
    let ImageCmd::Create(a) = cmd;
    let timeout = ctx.wait_timeout;
    let s = ctx.session()?;
    let v = find::<Volume>(s, &a.volume)?;
    let spec = image_upload(&a);
    let up = s.volume_upload_to_image(&v.id, &spec)?;
    if a.wait {
        wait_until::<Volume>(s, &v.id, &label(&v), "the end of the upload", timeout, |x| {
            !x.status.eq_ignore_ascii_case("uploading")
        })?;
    }
    Ok(uploaded_record(&up, &v.id))
}

fn image_upload(a: &ImageCreateArgs) -> ImageUpload {
    ImageUpload {
        image_name: a.name.clone(),
        disk_format: a.disk_format.clone(),
        container_format: a.container_format.clone(),
        force: a.force,
        visibility: a.visibility(),
        protected: a.protected,
    }
}

/// The upload's answer: the image (its ID and name), its formats, and the volume's status
/// as the upload started (`uploading`).
fn uploaded_record(up: &UploadedImage, volume_id: &str) -> Output {
    Output::Record(vec![
        ("container_format", Cell::opt(up.container_format.as_deref())),
        ("disk_format", Cell::opt(up.disk_format.as_deref())),
        ("id", Cell::str(&up.image_id)),
        ("name", Cell::str(&up.image_name)),
        ("status", Cell::str(&up.status)),
        ("volume_id", Cell::str(volume_id)),
    ])
}

/// The id of a volume's source given by name or id (`--snapshot`, `--source`, `--backup`);
/// its size is the new volume's size unless `--size` says otherwise.
fn source<R: Resource>(
    s: &mut Session,
    arg: &Option<String>,
    size: &mut Option<u32>,
) -> Result<Option<String>, CliError> {
    let Some(name) = arg else {
        return Ok(None);
    };
    let found = find::<R>(s, name)?;
    size.get_or_insert(found.size());
    Ok(Some(found.id().to_string()))
}

fn volume_create(ctx: &mut Ctx, a: VolumeCreateArgs) -> Result<Output, CliError> {
    let timeout = ctx.wait_timeout;
    let s = ctx.session()?;
    let mut size = a.size;
    let snapshot_id = source::<Snapshot>(s, &a.snapshot, &mut size)?;
    let source_volume_id = source::<Volume>(s, &a.source, &mut size)?;
    let backup_id = source::<Backup>(s, &a.backup, &mut size)?;
    let size = size.ok_or_else(|| {
        CliError::new(
            "invalid-input",
            "--size is required unless --snapshot, --source or --backup is given",
        )
    })?;
    let spec = VolumeCreate {
        size,
        name: Some(a.name),
        description: a.description,
        volume_type: a.volume_type,
        availability_zone: a.availability_zone,
        snapshot_id,
        source_volume_id,
        image_id: a.image,
        backup_id,
        metadata: a.properties,
        idempotency_key: a.idempotency_key,
    };
    let mut v = s.volume_create(&spec)?;
    if a.wait {
        v = wait_status(s, &v, "available", timeout)?;
    }
    Ok(volume_record(&v))
}

/// A server given by ID, or by a name the command line knows (the mock's `mock-server`).
fn server_id(ctx: &Ctx, server: &str) -> String {
    ctx.servers
        .iter()
        .find(|(name, _)| name == server)
        .map_or_else(|| server.to_string(), |(_, id)| id.clone())
}

pub fn attach(ctx: &mut Ctx, a: AttachArgs) -> Result<Output, CliError> {
    let timeout = ctx.wait_timeout;
    let server = server_id(ctx, &a.server);
    let s = ctx.session()?;
    let v = find::<Volume>(s, &a.volume)?;
    let att = s.volume_attach(&v.id, &server, a.device.as_deref())?;
    let mut id = att.attachment_id.clone();
    let mut device = att.device.clone();
    if a.wait {
        let now = wait_status(s, &v, "in-use", timeout)?;
        if let Some(x) = now
            .attachments
            .iter()
            .find(|x| x.server_id.as_deref() == Some(server.as_str()))
        {
            id = x.attachment_id.clone().or(id);
            device = x.device.clone().or(device);
        }
    }
    Ok(Output::Record(vec![
        ("ID", Cell::opt(id.as_deref())),
        ("Server ID", Cell::str(att.server_id.as_deref().unwrap_or(&server))),
        ("Volume ID", Cell::str(&v.id)),
        ("Device", Cell::opt(device.as_deref())),
    ]))
}

pub fn detach(ctx: &mut Ctx, a: DetachArgs) -> Result<Output, CliError> {
    let timeout = ctx.wait_timeout;
    let server = server_id(ctx, &a.server);
    let s = ctx.session()?;
    let v = find::<Volume>(s, &a.volume)?;
    s.volume_detach(&v.id, &server)?;
    if a.wait {
        wait_status(s, &v, "available", timeout)?;
    }
    Ok(Output::Nothing)
}

fn attachments_cell(v: &Volume) -> Cell {
    let text = v
        .attachments
        .iter()
        .map(|a| {
            format!(
                "Attached to {} on {} ",
                a.server_id.as_deref().unwrap_or("None"),
                a.device.as_deref().unwrap_or("None")
            )
        })
        .collect::<Vec<_>>()
        .join("\n");
    let json = Value::Array(
        v.attachments
            .iter()
            .map(|a| {
                json!({
                    "id": a.attachment_id, "attachment_id": a.attachment_id, "volume_id": v.id,
                    "server_id": a.server_id, "device": a.device, "attached_at": a.attached_at,
                })
            })
            .collect(),
    );
    Cell::with_text(json, text)
}

/// Cinder's `bootable` is the string `true` or `false`.
fn bootable(b: bool) -> Cell {
    Cell::str(if b { "true" } else { "false" })
}

fn volume_list(all: &[Volume], long: bool) -> Output {
    let columns = if long {
        vec![
            "ID",
            "Name",
            "Status",
            "Size",
            "Type",
            "Bootable",
            "Attached to",
            "Properties",
        ]
    } else {
        vec!["ID", "Name", "Status", "Size", "Attached to"]
    };
    let rows = all
        .iter()
        .map(|v| {
            let mut row = vec![
                Cell::str(&v.id),
                Cell::opt(v.name.as_deref()),
                Cell::str(&v.status),
                Cell::int(v.size),
            ];
            if long {
                row.push(Cell::opt(v.volume_type.as_deref()));
                row.push(bootable(v.bootable));
                row.push(attachments_cell(v));
                row.push(Cell::properties(&v.metadata));
            } else {
                row.push(attachments_cell(v));
            }
            row
        })
        .collect();
    Output::List { columns, rows }
}

fn volume_record(v: &Volume) -> Output {
    Output::Record(vec![
        ("attachments", attachments_cell(v)),
        ("availability_zone", Cell::opt(v.availability_zone.as_deref())),
        ("bootable", bootable(v.bootable)),
        ("created_at", Cell::str(&v.created_at)),
        ("description", Cell::opt(v.description.as_deref())),
        ("encrypted", Cell::bool(v.encrypted)),
        ("id", Cell::str(&v.id)),
        ("multiattach", Cell::bool(v.multiattach)),
        ("name", Cell::opt(v.name.as_deref())),
        ("properties", Cell::properties(&v.metadata)),
        ("read_only", Cell::bool(v.read_only)),
        ("size", Cell::int(v.size)),
        ("snapshot_id", Cell::opt(v.snapshot_id.as_deref())),
        ("source_volid", Cell::opt(v.source_volume_id.as_deref())),
        ("status", Cell::str(&v.status)),
        ("type", Cell::opt(v.volume_type.as_deref())),
        ("updated_at", Cell::opt(v.updated_at.as_deref())),
    ])
}

/// Volume names by ID, for the `Volume` column of long listings.
fn volume_names(s: &mut Session) -> Result<HashMap<String, String>, CliError> {
    let all = s.volume_list(&spec::list_all())?;
    Ok(all.into_iter().filter_map(|v| Some((v.id, v.name?))).collect())
}

fn volume_cell(names: &HashMap<String, String>, id: &str) -> Cell {
    Cell::str(names.get(id).filter(|n| !n.is_empty()).map_or(id, String::as_str))
}

/// The ID of the volume a `--volume` filter names, if any.
fn volume_filter(s: &mut Session, l: &ChildListArgs) -> Result<Option<String>, CliError> {
    l.volume
        .as_deref()
        .map(|v| find::<Volume>(s, v).map(|v| v.id))
        .transpose()
}

// Snapshots.

pub fn snapshot(ctx: &mut Ctx, cmd: SnapshotCmd) -> Result<Output, CliError> {
    let timeout = ctx.wait_timeout;
    match cmd {
        SnapshotCmd::List(l) => child_list::<Snapshot>(
            ctx.session()?,
            &l,
            |x| &x.volume_id,
            (&[], &["Created At", "Volume", "Properties"]),
            |_| vec![],
            |x, volume| vec![Cell::str(&x.created_at), volume, Cell::properties(&x.metadata)],
        ),
        SnapshotCmd::Show { snapshot } => Ok(snapshot_record(&find::<Snapshot>(ctx.session()?, &snapshot)?)),
        SnapshotCmd::Create {
            volume,
            description,
            force,
            properties: metadata,
            idempotency_key,
            wait,
            name,
        } => {
            let s = ctx.session()?;
            let v = find::<Volume>(s, volume.as_deref().unwrap_or(&name))?;
            let spec = SnapshotCreate {
                volume_id: v.id,
                name: Some(name),
                description,
                force,
                metadata,
                idempotency_key,
            };
            let mut snap = s.snapshot_create(&spec)?;
            if wait {
                snap = wait_status(s, &snap, "available", timeout)?;
            }
            Ok(snapshot_record(&snap))
        }
        SnapshotCmd::Delete(d) => delete_all::<Snapshot>(ctx, &d, |s, id| s.snapshot_delete(id, d.force)),
        SnapshotCmd::Set(a) => set::<Snapshot>(ctx, &a),
        SnapshotCmd::Unset(a) => unset::<Snapshot>(ctx, &a),
    }
}

fn snapshot_record(x: &Snapshot) -> Output {
    Output::Record(vec![
        ("created_at", Cell::str(&x.created_at)),
        ("description", Cell::opt(x.description.as_deref())),
        ("id", Cell::str(&x.id)),
        ("name", Cell::opt(x.name.as_deref())),
        ("properties", Cell::properties(&x.metadata)),
        ("size", Cell::int(x.size)),
        ("status", Cell::str(&x.status)),
        ("updated_at", Cell::opt(x.updated_at.as_deref())),
        ("volume_id", Cell::str(&x.volume_id)),
    ])
}

// Backups.

pub fn backup(ctx: &mut Ctx, cmd: BackupCmd) -> Result<Output, CliError> {
    let timeout = ctx.wait_timeout;
    match cmd {
        BackupCmd::List(l) => backup_list(ctx.session()?, &l),
        BackupCmd::Show { backup } => Ok(backup_record(&find::<Backup>(ctx.session()?, &backup)?)),
        BackupCmd::Create {
            name,
            description,
            container,
            snapshot,
            force,
            incremental,
            properties: metadata,
            availability_zone,
            idempotency_key,
            wait,
            volume,
        } => {
            let s = ctx.session()?;
            let v = find::<Volume>(s, &volume)?;
            let snapshot_id = snapshot.map(|n| find::<Snapshot>(s, &n).map(|x| x.id)).transpose()?;
            let spec = BackupCreate {
                volume_id: v.id,
                name,
                description,
                incremental,
                force,
                snapshot_id,
                container,
                metadata,
                availability_zone,
                idempotency_key,
            };
            backup_create(s, &spec, wait, timeout)
        }
        BackupCmd::Restore {
            force,
            wait,
            backup,
            volume,
        } => backup_restore(ctx, &backup, volume, force, wait),
        BackupCmd::Delete(d) => delete_all::<Backup>(ctx, &d, |s, id| s.backup_delete(id, d.force)),
        BackupCmd::Set(a) => set::<Backup>(ctx, &a),
        BackupCmd::Unset(a) => unset::<Backup>(ctx, &a),
    }
}

/// `backup list`: `--long` adds the zone, volume and container.
fn backup_list(s: &mut Session, l: &ChildListArgs) -> Result<Output, CliError> {
    child_list::<Backup>(
        s,
        l,
        |x| &x.volume_id,
        (&["Incremental"], &["Availability Zone", "Volume", "Container"]),
        |x| vec![Cell::bool(x.is_incremental)],
        |x, volume| {
            vec![
                Cell::opt(x.availability_zone.as_deref()),
                volume,
                Cell::opt(x.container.as_deref()),
            ]
        },
    )
}

/// The column names of a list after ID, name, description, status and size: those always
/// shown, and those `--long` adds.
type Columns = (&'static [&'static str], &'static [&'static str]);

/// `snapshot list` and `backup list`: optionally only those of `--volume`; each row is ID,
/// name, description, status, size, then `cells`, and with `--long` also `long_cells`
/// (given the volume's name cell).
fn child_list<R: Resource>(
    s: &mut Session,
    l: &ChildListArgs,
    volume_of: fn(&R) -> &str,
    (columns_extra, long_columns): Columns,
    cells: impl Fn(&R) -> Vec<Cell>,
    long_cells: impl Fn(&R, Cell) -> Vec<Cell>,
) -> Result<Output, CliError> {
    let of = volume_filter(s, l)?;
    let all = R::list(s, &list_options(&l.list, of))?;
    let names = if l.list.long { volume_names(s)? } else { HashMap::new() };
    let mut columns = vec!["ID", "Name", "Description", "Status", "Size"];
    columns.extend(columns_extra);
    if l.list.long {
        columns.extend(long_columns);
    }
    let rows = all
        .iter()
        .map(|x| {
            let mut row = vec![
                Cell::str(x.id()),
                Cell::opt(x.name()),
                Cell::opt(x.description()),
                Cell::str(x.status()),
                Cell::int(x.size()),
            ];
            row.extend(cells(x));
            if l.list.long {
                row.extend(long_cells(x, volume_cell(&names, volume_of(x))));
            }
            row
        })
        .collect();
    Ok(Output::List { columns, rows })
}

/// `backup create`: creates the backup and, with `--wait`, waits until it is available.
fn backup_create(s: &mut Session, spec: &BackupCreate, wait: bool, timeout: u32) -> Result<Output, CliError> {
    let mut b = s.backup_create(spec)?;
    if wait {
        b = wait_status(s, &b, "available", timeout)?;
    }
    Ok(backup_record(&b))
}

/// `backup restore`: into `volume` (a new volume of that name, or an existing one with
/// `--force`) or a new unnamed one; `--wait` waits for the volume, then the backup.
fn backup_restore(
    ctx: &mut Ctx,
    backup: &str,
    volume: Option<String>,
    force: bool,
    wait: bool,
) -> Result<Output, CliError> {
    let timeout = ctx.wait_timeout;
    let s = ctx.session()?;
    let b = find::<Backup>(s, backup)?;
    let (onto, new_name) = restore_target(s, volume, force)?;
    let r = s.backup_restore(&b.id, onto.as_deref(), new_name.as_deref())?;
    if wait {
        let vlabel = match &r.volume_name {
            Some(n) => format!("volume {n} ({})", r.volume_id),
            None => format!("volume {}", r.volume_id),
        };
        wait_until::<Volume>(s, &r.volume_id, &vlabel, "available", timeout, |x| {
            x.status.eq_ignore_ascii_case("available")
        })?;
        wait_status(s, &b, "available", timeout)?;
    }
    Ok(restore_record(&r))
}

/// Where `backup restore` writes: (the ID of an existing volume to overwrite, which takes
/// `--force`; or the name of a new volume), neither when no volume is given.
fn restore_target(
    s: &mut Session,
    volume: Option<String>,
    force: bool,
) -> Result<(Option<String>, Option<String>), CliError> {
    let Some(v) = volume else {
        return Ok((None, None));
    };
    match find::<Volume>(s, &v) {
        Ok(existing) if force => Ok((Some(existing.id), None)),
        Ok(_) => Err(CliError::new(
            "invalid-input",
            format!(
                "Volume '{v}' already exists; if you want to restore the backup to it you \
                 need to specify the '--force' option"
            ),
        )),
        Err(CliError::Other { kind: "not-found", .. }) => Ok((None, Some(v))),
        Err(e) => Err(e),
    }
}

fn backup_record(x: &Backup) -> Output {
    Output::Record(vec![
        ("availability_zone", Cell::opt(x.availability_zone.as_deref())),
        ("container", Cell::opt(x.container.as_deref())),
        ("created_at", Cell::str(&x.created_at)),
        ("description", Cell::opt(x.description.as_deref())),
        ("fail_reason", Cell::opt(x.fail_reason.as_deref())),
        ("has_dependent_backups", Cell::bool(x.has_dependent_backups)),
        ("id", Cell::str(&x.id)),
        ("is_incremental", Cell::bool(x.is_incremental)),
        ("name", Cell::opt(x.name.as_deref())),
        ("size", Cell::int(x.size)),
        ("snapshot_id", Cell::opt(x.snapshot_id.as_deref())),
        ("status", Cell::str(&x.status)),
        ("updated_at", Cell::opt(x.updated_at.as_deref())),
        ("volume_id", Cell::str(&x.volume_id)),
    ])
}

fn restore_record(r: &Restored) -> Output {
    Output::Record(vec![
        ("backup_id", Cell::str(&r.backup_id)),
        ("volume_id", Cell::str(&r.volume_id)),
        ("volume_name", Cell::opt(r.volume_name.as_deref())),
    ])
}
