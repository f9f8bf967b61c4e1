//! The WIT exports: each function delegates to the client logic and logs its failure in
//! one line on stderr.

use crate::bindings::exports::infomaniak::block_storage::{backups, project, session, snapshots, transfers, volumes};
use crate::client::Client;
use crate::http::Io;
use crate::prelude::*;
use crate::wasi_io::WasiIo;
use crate::{
    attachments, error, resource, Attachment, AvailabilityZone, Backup, BackupCreate, Config, Error, ImageUpload,
    Limits, ListOptions, Message, ResourceUpdate, Restored, Snapshot, SnapshotCreate, Transfer, TransferCreated,
    UploadedImage, Volume, VolumeCreate, VolumeType,
};

/// Metadata as the contract passes it.
type Pairs = Vec<(String, String)>;

struct Component;

/// The `session` resource: one authenticated client.
pub struct Session(Client<WasiIo>);

/// Returns an operation's result with its error scrubbed of the session's secrets, and
/// logs the failure (never the inputs).
fn logged<T>(s: &session::SessionBorrow<'_>, op: &str, id: &str, r: Result<T, Error>) -> Result<T, Error> {
    reported(op, id, r.map_err(|e| client(s).scrub(e)))
}

/// Logs a failure already scrubbed.
fn reported<T>(op: &str, id: &str, r: Result<T, Error>) -> Result<T, Error> {
    if let Err(e) = &r {
        WasiIo.log(&error::log_line(op, id, e));
    }
    r
}

fn client<'a>(s: &'a session::SessionBorrow<'_>) -> &'a Client<WasiIo> {
    &s.get::<Session>().0
}

impl session::Guest for Component {
    type Session = Session;

    fn connect(cfg: Config) -> Result<session::Session, Error> {
        let c = reported("session.connect", "", Client::connect(WasiIo, cfg))?;
        Ok(session::Session::new(Session(c)))
    }
}

impl session::GuestSession for Session {
    fn project_id(&self) -> Option<String> {
        self.0.project_id()
    }
    fn block_storage_url(&self) -> String {
        self.0.block_storage_url().to_string()
    }
    fn microversion(&self) -> String {
        self.0.microversion().to_string()
    }
}

impl volumes::Guest for Component {
    fn list(s: session::SessionBorrow<'_>, opts: ListOptions) -> Result<Vec<Volume>, Error> {
        logged(&s, "volumes.list", "", resource::list::<Volume, _>(client(&s), &opts))
    }
    fn get(s: session::SessionBorrow<'_>, id: String) -> Result<Volume, Error> {
        logged(&s, "volumes.get", &id, resource::get::<Volume, _>(client(&s), &id))
    }
    fn create(s: session::SessionBorrow<'_>, spec: VolumeCreate) -> Result<Volume, Error> {
        logged(&s, "volumes.create", "", crate::volumes::create(client(&s), &spec))
    }
    fn delete(s: session::SessionBorrow<'_>, id: String, force: bool, cascade: bool) -> Result<(), Error> {
        logged(
            &s,
            "volumes.delete",
            &id,
            crate::volumes::delete(client(&s), &id, force, cascade),
        )
    }
    fn extend(s: session::SessionBorrow<'_>, id: String, new_size: u32) -> Result<(), Error> {
        logged(
            &s,
            "volumes.extend",
            &id,
            crate::volumes::extend(client(&s), &id, new_size),
        )
    }
    fn attach(
        s: session::SessionBorrow<'_>,
        id: String,
        server_id: String,
        device: Option<String>,
    ) -> Result<Attachment, Error> {
        logged(
            &s,
            "volumes.attach",
            &id,
            attachments::attach(client(&s), &id, &server_id, &device),
        )
    }
    fn detach(s: session::SessionBorrow<'_>, id: String, server_id: String) -> Result<(), Error> {
        logged(
            &s,
            "volumes.detach",
            &id,
            attachments::detach(client(&s), &id, &server_id),
        )
    }
    fn wait_for(
        s: session::SessionBorrow<'_>,
        id: String,
        status: String,
        timeout_s: u32,
    ) -> Result<Option<Volume>, Error> {
        logged(
            &s,
            "volumes.wait-for",
            &id,
            resource::wait_for::<Volume, _>(client(&s), &id, &status, timeout_s),
        )
    }
    fn update(s: session::SessionBorrow<'_>, id: String, changes: ResourceUpdate) -> Result<Volume, Error> {
        logged(
            &s,
            "volumes.update",
            &id,
            resource::update::<Volume, _>(client(&s), &id, &changes),
        )
    }
    fn set_metadata(s: session::SessionBorrow<'_>, id: String, items: Pairs) -> Result<Pairs, Error> {
        logged(
            &s,
            "volumes.set-metadata",
            &id,
            resource::set_metadata::<Volume, _>(client(&s), &id, &items),
        )
    }
    fn unset_metadata(s: session::SessionBorrow<'_>, id: String, keys: Vec<String>) -> Result<(), Error> {
        logged(
            &s,
            "volumes.unset-metadata",
            &id,
            resource::unset_metadata::<Volume, _>(client(&s), &id, &keys),
        )
    }
    fn set_bootable(s: session::SessionBorrow<'_>, id: String, bootable: bool) -> Result<(), Error> {
        logged(
            &s,
            "volumes.set-bootable",
            &id,
            crate::volumes::set_bootable(client(&s), &id, bootable),
        )
    }
    fn set_read_only(s: session::SessionBorrow<'_>, id: String, read_only: bool) -> Result<(), Error> {
        logged(
            &s,
            "volumes.set-read-only",
            &id,
            crate::volumes::set_read_only(client(&s), &id, read_only),
        )
    }
    fn retype(s: session::SessionBorrow<'_>, id: String, volume_type: String, migrate: bool) -> Result<(), Error> {
        logged(
            &s,
            "volumes.retype",
            &id,
            crate::volumes::retype(client(&s), &id, &volume_type, migrate),
        )
    }
    fn revert_to_snapshot(s: session::SessionBorrow<'_>, id: String, snapshot_id: String) -> Result<(), Error> {
        logged(
            &s,
            "volumes.revert-to-snapshot",
            &id,
            crate::volumes::revert_to_snapshot(client(&s), &id, &snapshot_id),
        )
    }
    fn upload_to_image(s: session::SessionBorrow<'_>, id: String, spec: ImageUpload) -> Result<UploadedImage, Error> {
        logged(
            &s,
            "volumes.upload-to-image",
            &id,
            crate::volumes::upload_to_image(client(&s), &id, &spec),
        )
    }
}

impl snapshots::Guest for Component {
    fn list(s: session::SessionBorrow<'_>, opts: ListOptions) -> Result<Vec<Snapshot>, Error> {
        logged(
            &s,
            "snapshots.list",
            "",
            resource::list::<Snapshot, _>(client(&s), &opts),
        )
    }
    fn get(s: session::SessionBorrow<'_>, id: String) -> Result<Snapshot, Error> {
        logged(&s, "snapshots.get", &id, resource::get::<Snapshot, _>(client(&s), &id))
    }
    fn create(s: session::SessionBorrow<'_>, spec: SnapshotCreate) -> Result<Snapshot, Error> {
        logged(&s, "snapshots.create", "", crate::snapshots::create(client(&s), &spec))
    }
    fn delete(s: session::SessionBorrow<'_>, id: String, force: bool) -> Result<(), Error> {
        logged(
            &s,
            "snapshots.delete",
            &id,
            resource::delete::<Snapshot, _>(client(&s), &id, force),
        )
    }
    fn wait_for(
        s: session::SessionBorrow<'_>,
        id: String,
        status: String,
        timeout_s: u32,
    ) -> Result<Option<Snapshot>, Error> {
        logged(
            &s,
            "snapshots.wait-for",
            &id,
            resource::wait_for::<Snapshot, _>(client(&s), &id, &status, timeout_s),
        )
    }
    fn update(s: session::SessionBorrow<'_>, id: String, changes: ResourceUpdate) -> Result<Snapshot, Error> {
        logged(
            &s,
            "snapshots.update",
            &id,
            resource::update::<Snapshot, _>(client(&s), &id, &changes),
        )
    }
    fn set_metadata(s: session::SessionBorrow<'_>, id: String, items: Pairs) -> Result<Pairs, Error> {
        logged(
            &s,
            "snapshots.set-metadata",
            &id,
            resource::set_metadata::<Snapshot, _>(client(&s), &id, &items),
        )
    }
    fn unset_metadata(s: session::SessionBorrow<'_>, id: String, keys: Vec<String>) -> Result<(), Error> {
        logged(
            &s,
            "snapshots.unset-metadata",
            &id,
            resource::unset_metadata::<Snapshot, _>(client(&s), &id, &keys),
        )
    }
}

impl backups::Guest for Component {
    fn list(s: session::SessionBorrow<'_>, opts: ListOptions) -> Result<Vec<Backup>, Error> {
        logged(&s, "backups.list", "", resource::list::<Backup, _>(client(&s), &opts))
    }
    fn get(s: session::SessionBorrow<'_>, id: String) -> Result<Backup, Error> {
        logged(&s, "backups.get", &id, resource::get::<Backup, _>(client(&s), &id))
    }
    fn create(s: session::SessionBorrow<'_>, spec: BackupCreate) -> Result<Backup, Error> {
        logged(&s, "backups.create", "", crate::backups::create(client(&s), &spec))
    }
    fn restore(
        s: session::SessionBorrow<'_>,
        id: String,
        volume_id: Option<String>,
        name: Option<String>,
    ) -> Result<Restored, Error> {
        logged(
            &s,
            "backups.restore",
            &id,
            crate::backups::restore(client(&s), &id, &volume_id, &name),
        )
    }
    fn delete(s: session::SessionBorrow<'_>, id: String, force: bool) -> Result<(), Error> {
        logged(
            &s,
            "backups.delete",
            &id,
            resource::delete::<Backup, _>(client(&s), &id, force),
        )
    }
    fn wait_for(
        s: session::SessionBorrow<'_>,
        id: String,
        status: String,
        timeout_s: u32,
    ) -> Result<Option<Backup>, Error> {
        logged(
            &s,
            "backups.wait-for",
            &id,
            resource::wait_for::<Backup, _>(client(&s), &id, &status, timeout_s),
        )
    }
    fn update(s: session::SessionBorrow<'_>, id: String, changes: ResourceUpdate) -> Result<Backup, Error> {
        logged(
            &s,
            "backups.update",
            &id,
            crate::backups::update(client(&s), &id, &changes),
        )
    }
    fn set_metadata(s: session::SessionBorrow<'_>, id: String, items: Pairs) -> Result<Pairs, Error> {
        logged(
            &s,
            "backups.set-metadata",
            &id,
            crate::backups::set_metadata(client(&s), &id, &items),
        )
    }
    fn unset_metadata(s: session::SessionBorrow<'_>, id: String, keys: Vec<String>) -> Result<(), Error> {
        logged(
            &s,
            "backups.unset-metadata",
            &id,
            crate::backups::unset_metadata(client(&s), &id, &keys),
        )
    }
}

impl project::Guest for Component {
    fn volume_types(s: session::SessionBorrow<'_>) -> Result<Vec<VolumeType>, Error> {
        logged(&s, "project.volume-types", "", crate::project::volume_types(client(&s)))
    }
    fn default_volume_type(s: session::SessionBorrow<'_>) -> Result<VolumeType, Error> {
        logged(
            &s,
            "project.default-volume-type",
            "",
            crate::project::default_volume_type(client(&s)),
        )
    }
    fn availability_zones(s: session::SessionBorrow<'_>) -> Result<Vec<AvailabilityZone>, Error> {
        logged(
            &s,
            "project.availability-zones",
            "",
            crate::project::availability_zones(client(&s)),
        )
    }
    fn limits(s: session::SessionBorrow<'_>) -> Result<Limits, Error> {
        logged(&s, "project.limits", "", crate::project::limits(client(&s)))
    }
    fn messages(s: session::SessionBorrow<'_>, resource_id: Option<String>) -> Result<Vec<Message>, Error> {
        let id = resource_id.clone().unwrap_or_default();
        logged(
            &s,
            "project.messages",
            &id,
            crate::project::messages(client(&s), &resource_id),
        )
    }
}

impl transfers::Guest for Component {
    fn create(
        s: session::SessionBorrow<'_>,
        volume_id: String,
        name: Option<String>,
    ) -> Result<TransferCreated, Error> {
        logged(
            &s,
            "transfers.create",
            &volume_id,
            crate::transfers::create(client(&s), &volume_id, &name),
        )
    }
    fn list(s: session::SessionBorrow<'_>) -> Result<Vec<Transfer>, Error> {
        logged(&s, "transfers.list", "", crate::transfers::list(client(&s)))
    }
    fn get(s: session::SessionBorrow<'_>, id: String) -> Result<Transfer, Error> {
        logged(&s, "transfers.get", &id, crate::transfers::get(client(&s), &id))
    }
    /// The auth key is passed on, never logged: the log line names only the transfer.
    fn accept(s: session::SessionBorrow<'_>, id: String, auth_key: String) -> Result<Transfer, Error> {
        logged(
            &s,
            "transfers.accept",
            &id,
            crate::transfers::accept(client(&s), &id, &auth_key),
        )
    }
    fn delete(s: session::SessionBorrow<'_>, id: String) -> Result<(), Error> {
        logged(&s, "transfers.delete", &id, crate::transfers::delete(client(&s), &id))
    }
}

crate::bindings::export!(Component with_types_in crate::bindings);
