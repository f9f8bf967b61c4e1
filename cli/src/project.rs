//! What the project may use, through the component's `project` interface:
//! `volume type list|show`, `availability zone list --volume`, `limits show --absolute`
//! and `volume message list`, printed as openstackclient prints them.

use infomaniak_block_storage_host::{Message, ProjectLimits, VolumeType};

use crate::args::{LimitsCmd, MessageCmd, TypeCmd, ZoneCmd};
use crate::commands::exactly_one;
use crate::output::{Cell, Output};
use crate::{CliError, Ctx};

pub fn volume_type(ctx: &mut Ctx, cmd: TypeCmd) -> Result<Output, CliError> {
    let types = ctx.session()?.volume_types()?;
    match cmd {
        TypeCmd::List { long } => Ok(type_list(&types, long)),
        TypeCmd::Show { volume_type } => Ok(type_record(&find_type(types, &volume_type)?)),
    }
}

/// A type by ID, else by name: Cinder has no read by name, and the project's types are few,
/// so the one list answers both.
fn find_type(types: Vec<VolumeType>, arg: &str) -> Result<VolumeType, CliError> {
    let (by_id, others): (Vec<_>, Vec<_>) = types.into_iter().partition(|t| t.id == arg);
    let found = if by_id.is_empty() {
        others.into_iter().filter(|t| t.name == arg).collect()
    } else {
        by_id
    };
    exactly_one("volume type", arg, found)
}

/// openstackclient's columns: ID, Name, Is Public; `--long` adds Description and
/// Properties (the extra specs the project may see).
fn type_list(types: &[VolumeType], long: bool) -> Output {
    let mut columns = vec!["ID", "Name", "Is Public"];
    if long {
        columns.extend(["Description", "Properties"]);
    }
    let rows = types
        .iter()
        .map(|t| {
            let mut row = vec![Cell::str(&t.id), Cell::str(&t.name), Cell::bool(t.is_public)];
            if long {
                row.extend([Cell::opt(t.description.as_deref()), Cell::properties(&t.extra_specs)]);
            }
            row
        })
        .collect();
    Output::List { columns, rows }
}

fn type_record(t: &VolumeType) -> Output {
    Output::Record(vec![
        ("description", Cell::opt(t.description.as_deref())),
        ("id", Cell::str(&t.id)),
        ("is_public", Cell::bool(t.is_public)),
        ("name", Cell::str(&t.name)),
        ("properties", Cell::properties(&t.extra_specs)),
    ])
}

/// `availability zone list [--volume]`: block storage zones are the only ones this client
/// reads, so `--volume` changes nothing; it is accepted as openstackclient spells it.
pub fn zone(ctx: &mut Ctx, cmd: ZoneCmd) -> Result<Output, CliError> {
    let ZoneCmd::List { volume: _ } = cmd;
    let zones = ctx.session()?.availability_zones()?;
    let rows = zones
        .iter()
        .map(|z| {
            let state = if z.available { "available" } else { "not available" };
            vec![Cell::str(&z.name), Cell::str(state)]
        })
        .collect();
    Ok(Output::List {
        columns: vec!["Zone Name", "Zone Status"],
        rows,
    })
}

pub fn limits(ctx: &mut Ctx, cmd: LimitsCmd) -> Result<Output, CliError> {
    let LimitsCmd::Show { absolute: _ } = cmd;
    Ok(absolute_limits(&ctx.session()?.limits()?))
}

/// Cinder's absolute limits by their API names; unlimited is -1, as Cinder says it.
fn absolute_limits(l: &ProjectLimits) -> Output {
    let used = |n: u64| i64::try_from(n).unwrap_or(i64::MAX);
    let max = |m: Option<u64>| m.map_or(-1, used);
    let pairs = [
        ("maxTotalVolumes", max(l.max_volumes)),
        ("maxTotalSnapshots", max(l.max_snapshots)),
        ("maxTotalBackups", max(l.max_backups)),
        ("maxTotalVolumeGigabytes", max(l.max_gigabytes)),
        ("maxTotalBackupGigabytes", max(l.max_backup_gigabytes)),
        ("totalVolumesUsed", used(l.volumes_used)),
        ("totalSnapshotsUsed", used(l.snapshots_used)),
        ("totalBackupsUsed", used(l.backups_used)),
        ("totalGigabytesUsed", used(l.gigabytes_used)),
        ("totalBackupGigabytesUsed", used(l.backup_gigabytes_used)),
    ];
    Output::List {
        columns: vec!["Name", "Value"],
        rows: pairs.iter().map(|(n, v)| vec![Cell::str(n), Cell::i64(*v)]).collect(),
    }
}

/// `volume message list [--resource-id ID]`, newest first, in openstackclient's columns.
pub fn message(ctx: &mut Ctx, cmd: MessageCmd) -> Result<Output, CliError> {
    let MessageCmd::List { resource_id } = cmd;
    let messages = ctx.session()?.messages(resource_id.as_deref())?;
    Ok(Output::List {
        columns: vec![
            "ID",
            "Event ID",
            "Resource Type",
            "Resource UUID",
            "Message Level",
            "User Message",
            "Request ID",
            "Created At",
            "Guaranteed Until",
        ],
        rows: messages.iter().map(message_row).collect(),
    })
}

fn message_row(m: &Message) -> Vec<Cell> {
    vec![
        Cell::str(&m.id),
        Cell::str(&m.event_id),
        Cell::str(&m.resource_type),
        Cell::opt(m.resource_id.as_deref()),
        Cell::str(&m.message_level),
        Cell::str(&m.user_message),
        Cell::opt(m.request_id.as_deref()),
        Cell::str(&m.created_at),
        Cell::opt(m.expires_at.as_deref()),
    ]
}
