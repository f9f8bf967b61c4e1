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

/// Runs an operation and logs its failure (never its inputs, so no secret).
fn logged<T>(op: &str, id: &str, r: Result<T, Error>) -> Result<T, Error> {
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
        let c = logged("session.connect", "", Client::connect(WasiIo, cfg))?;
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
        logged("volumes.list", "", resource::list::<Volume, _>(client(&s), &opts))
    }
    fn get(s: session::SessionBorrow<'_>, id: String) -> Result<Volume, Error> {
        logged("volumes.get", &id, resource::get::<Volume, _>(client(&s), &id))
    }
    fn create(s: session::SessionBorrow<'_>, spec: VolumeCreate) -> Result<Volume, Error> {
        logged("volumes.create", "", crate::volumes::create(client(&s), &spec))
    }
    fn delete(s: session::SessionBorrow<'_>, id: String, force: bool, cascade: bool) -> Result<(), Error> {
        logged(
            "volumes.delete",
            &id,
            crate::volumes::delete(client(&s), &id, force, cascade),
        )
    }
    fn extend(s: session::SessionBorrow<'_>, id: String, new_size: u32) -> Result<(), Error> {
        logged("volumes.extend", &id, crate::volumes::extend(client(&s), &id, new_size))
    }
    fn attach(
        s: session::SessionBorrow<'_>,
        id: String,
        server_id: String,
        device: Option<String>,
    ) -> Result<Attachment, Error> {
        logged(
            "volumes.attach",
            &id,
            attachments::attach(client(&s), &id, &server_id, &device),
        )
    }
    fn detach(s: session::SessionBorrow<'_>, id: String, server_id: String) -> Result<(), Error> {
        logged("volumes.detach", &id, attachments::detach(client(&s), &id, &server_id))
    }
    fn wait_for(
        s: session::SessionBorrow<'_>,
        id: String,
        status: String,
        timeout_s: u32,
    ) -> Result<Option<Volume>, Error> {
        logged(
            "volumes.wait-for",
            &id,
            resource::wait_for::<Volume, _>(client(&s), &id, &status, timeout_s),
        )
    }
    fn update(s: session::SessionBorrow<'_>, id: String, changes: ResourceUpdate) -> Result<Volume, Error> {
        logged(
            "volumes.update",
            &id,
            resource::update::<Volume, _>(client(&s), &id, &changes),
        )
    }
    fn set_metadata(s: session::SessionBorrow<'_>, id: String, items: Pairs) -> Result<Pairs, Error> {
        logged(
            "volumes.set-metadata",
            &id,
            resource::set_metadata::<Volume, _>(client(&s), &id, &items),
        )
    }
    fn unset_metadata(s: session::SessionBorrow<'_>, id: String, keys: Vec<String>) -> Result<(), Error> {
        logged(
            "volumes.unset-metadata",
            &id,
            resource::unset_metadata::<Volume, _>(client(&s), &id, &keys),
        )
    }
    fn set_bootable(s: session::SessionBorrow<'_>, id: String, bootable: bool) -> Result<(), Error> {
        logged(
            "volumes.set-bootable",
            &id,
            crate::volumes::set_bootable(client(&s), &id, bootable),
        )
    }
    fn set_read_only(s: session::SessionBorrow<'_>, id: String, read_only: bool) -> Result<(), Error> {
        logged(
            "volumes.set-read-only",
            &id,
            crate::volumes::set_read_only(client(&s), &id, read_only),
        )
    }
    fn retype(s: session::SessionBorrow<'_>, id: String, volume_type: String, migrate: bool) -> Result<(), Error> {
        logged(
            "volumes.retype",
            &id,
            crate::volumes::retype(client(&s), &id, &volume_type, migrate),
        )
    }
    fn revert_to_snapshot(s: session::SessionBorrow<'_>, id: String, snapshot_id: String) -> Result<(), Error> {
        logged(
            "volumes.revert-to-snapshot",
            &id,
            crate::volumes::revert_to_snapshot(client(&s), &id, &snapshot_id),
        )
    }
    fn upload_to_image(s: session::SessionBorrow<'_>, id: String, spec: ImageUpload) -> Result<UploadedImage, Error> {
        logged(
            "volumes.upload-to-image",
            &id,
            crate::volumes::upload_to_image(client(&s), &id, &spec),
        )
    }
}

impl snapshots::Guest for Component {
    fn list(s: session::SessionBorrow<'_>, opts: ListOptions) -> Result<Vec<Snapshot>, Error> {
        logged("snapshots.list", "", resource::list::<Snapshot, _>(client(&s), &opts))
    }
    fn get(s: session::SessionBorrow<'_>, id: String) -> Result<Snapshot, Error> {
        logged("snapshots.get", &id, resource::get::<Snapshot, _>(client(&s), &id))
    }
    fn create(s: session::SessionBorrow<'_>, spec: SnapshotCreate) -> Result<Snapshot, Error> {
        logged("snapshots.create", "", crate::snapshots::create(client(&s), &spec))
    }
    fn delete(s: session::SessionBorrow<'_>, id: String, force: bool) -> Result<(), Error> {
        logged(
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
            "snapshots.wait-for",
            &id,
            resource::wait_for::<Snapshot, _>(client(&s), &id, &status, timeout_s),
        )
    }
    fn update(s: session::SessionBorrow<'_>, id: String, changes: ResourceUpdate) -> Result<Snapshot, Error> {
        logged(
            "snapshots.update",
            &id,
            resource::update::<Snapshot, _>(client(&s), &id, &changes),
        )
    }
    fn set_metadata(s: session::SessionBorrow<'_>, id: String, items: Pairs) -> Result<Pairs, Error> {
        logged(
            "snapshots.set-metadata",
            &id,
            resource::set_metadata::<Snapshot, _>(client(&s), &id, &items),
        )
    }
    fn unset_metadata(s: session::SessionBorrow<'_>, id: String, keys: Vec<String>) -> Result<(), Error> {
        logged(
            "snapshots.unset-metadata",
            &id,
            resource::unset_metadata::<Snapshot, _>(client(&s), &id, &keys),
        )
    }
}

impl backups::Guest for Component {
    fn list(s: session::SessionBorrow<'_>, opts: ListOptions) -> Result<Vec<Backup>, Error> {
        logged("backups.list", "", resource::list::<Backup, _>(client(&s), &opts))
    }
    fn get(s: session::SessionBorrow<'_>, id: String) -> Result<Backup, Error> {
        logged("backups.get", &id, resource::get::<Backup, _>(client(&s), &id))
    }
    fn create(s: session::SessionBorrow<'_>, spec: BackupCreate) -> Result<Backup, Error> {
        logged("backups.create", "", crate::backups::create(client(&s), &spec))
    }
    fn restore(
        s: session::SessionBorrow<'_>,
        id: String,
        volume_id: Option<String>,
        name: Option<String>,
    ) -> Result<Restored, Error> {
        logged(
            "backups.restore",
            &id,
            crate::backups::restore(client(&s), &id, &volume_id, &name),
        )
    }
    fn delete(s: session::SessionBorrow<'_>, id: String, force: bool) -> Result<(), Error> {
        logged(
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
            "backups.wait-for",
            &id,
            resource::wait_for::<Backup, _>(client(&s), &id, &status, timeout_s),
        )
    }
    fn update(s: session::SessionBorrow<'_>, id: String, changes: ResourceUpdate) -> Result<Backup, Error> {
        logged("backups.update", &id, crate::backups::update(client(&s), &id, &changes))
    }
    fn set_metadata(s: session::SessionBorrow<'_>, id: String, items: Pairs) -> Result<Pairs, Error> {
        logged(
            "backups.set-metadata",
            &id,
            crate::backups::set_metadata(client(&s), &id, &items),
        )
    }
    fn unset_metadata(s: session::SessionBorrow<'_>, id: String, keys: Vec<String>) -> Result<(), Error> {
        logged(
            "backups.unset-metadata",
            &id,
            crate::backups::unset_metadata(client(&s), &id, &keys),
        )
    }
}

impl project::Guest for Component {
    fn volume_types(s: session::SessionBorrow<'_>) -> Result<Vec<VolumeType>, Error> {
        logged("project.volume-types", "", crate::project::volume_types(client(&s)))
    }
    fn default_volume_type(s: session::SessionBorrow<'_>) -> Result<VolumeType, Error> {
        logged(
            "project.default-volume-type",
            "",
            crate::project::default_volume_type(client(&s)),
        )
    }
    fn availability_zones(s: session::SessionBorrow<'_>) -> Result<Vec<AvailabilityZone>, Error> {
        logged(
            "project.availability-zones",
            "",
            crate::project::availability_zones(client(&s)),
        )
    }
    fn limits(s: session::SessionBorrow<'_>) -> Result<Limits, Error> {
        logged("project.limits", "", crate::project::limits(client(&s)))
    }
    fn messages(s: session::SessionBorrow<'_>, resource_id: Option<String>) -> Result<Vec<Message>, Error> {
        let id = resource_id.clone().unwrap_or_default();
        logged(
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
            "transfers.create",
            &volume_id,
            crate::transfers::create(client(&s), &volume_id, &name),
        )
    }
    fn list(s: session::SessionBorrow<'_>) -> Result<Vec<Transfer>, Error> {
        logged("transfers.list", "", crate::transfers::list(client(&s)))
    }
    fn get(s: session::SessionBorrow<'_>, id: String) -> Result<Transfer, Error> {
        logged("transfers.get", &id, crate::transfers::get(client(&s), &id))
    }
    /// The auth key is passed on, never logged: the log line names only the transfer.
    fn accept(s: session::SessionBorrow<'_>, id: String, auth_key: String) -> Result<Transfer, Error> {
        logged(
            "transfers.accept",
            &id,
            crate::transfers::accept(client(&s), &id, &auth_key),
        )
    }
    fn delete(s: session::SessionBorrow<'_>, id: String) -> Result<(), Error> {
        logged("transfers.delete", &id, crate::transfers::delete(client(&s), &id))
    }
}

crate::bindings::export!(Component with_types_in crate::bindings);
