//! [`Session`]: one connected instance of the component, its typed calls, and the search
//! of each call's output for the session's secrets.

use wasmtime::component::ResourceAny;
use wasmtime::Store;
use wasmtime_wasi::p2::pipe::MemoryOutputPipe;

use crate::bindings::BlockStorage;
use crate::driver::Driver;
use crate::host::State;
use crate::{
    sandbox, Attachment, AvailabilityZone, Backup, BackupCreate, ComponentError, Error, ImageUpload, ListOptions,
    Message, ProjectLimits, ResourceUpdate, Restored, Result, Snapshot, SnapshotCreate, Transfer, TransferCreated,
    UploadedImage, Volume, VolumeCreate, VolumeType,
};

/// Metadata items, as the contract passes them.
type Pairs = Vec<(String, String)>;

/// One connected session: its own store and instance.
pub struct Session {
    store: Store<State>,
    bindings: BlockStorage,
    handle: ResourceAny,
    pipe: MemoryOutputPipe,
    /// How much of the log earlier calls took: a call's error carries only its own lines.
    logged: usize,
    secrets: Option<sandbox::Secrets>,
    /// The runtime and pool of the thread that connected it (after the store: dropped last).
    driver: std::sync::Arc<Driver>,
}

/// A call's typed answer.
type Answer<T> = std::result::Result<T, ComponentError>;

impl Session {
    pub(crate) fn new(
        store: Store<State>,
        bindings: BlockStorage,
        handle: ResourceAny,
        pipe: MemoryOutputPipe,
        secrets: Option<sandbox::Secrets>,
        driver: std::sync::Arc<Driver>,
    ) -> Session {
        let logged = pipe.contents().len();
        Session {
            store,
            bindings,
            handle,
            pipe,
            logged,
            secrets,
            driver,
        }
    }
}

impl Session {
    /// The largest linear memory the component has grown to in this session, in bytes.
    pub fn peak_memory(&self) -> usize {
        self.store.data().limits.peak_memory
    }

    /// The origins this session may reach now (see [`allow`]), for audits and tests.
    pub fn allowed_origins(&self) -> Vec<String> {
        self.store.data().guard.allowed.origins()
    }

    /// What the component wrote to stderr so far (with [`Log::Capture`]).
    pub fn log(&self) -> String {
        String::from_utf8_lossy(&self.pipe.contents()).into_owned()
    }

    /// The project the session works in (from the token, or the block storage URL).
    pub fn project_id(&mut self) -> Result<Option<String>> {
        self.info(async |b, st, h| {
            b.infomaniak_block_storage_session()
                .session()
                .call_project_id(st, h)
                .await
        })
    }
    /// The block storage endpoint in use, project included.
    pub fn block_storage_url(&mut self) -> Result<String> {
        self.info(async |b, st, h| {
            b.infomaniak_block_storage_session()
                .session()
                .call_block_storage_url(st, h)
                .await
        })
    }
    /// The Cinder microversion the session negotiated (or pinned).
    pub fn microversion(&mut self) -> Result<String> {
        self.info(async |b, st, h| {
            b.infomaniak_block_storage_session()
                .session()
                .call_microversion(st, h)
                .await
        })
    }

    // Volumes.
    /// Lists volumes (every page, or only as many as `opts.limit`).
    pub fn volume_list(&mut self, opts: &ListOptions) -> Result<Vec<Volume>> {
        self.call(async |b, st, h| b.infomaniak_block_storage_volumes().call_list(st, h, opts).await)
    }
    /// Reads one volume.
    pub fn volume_get(&mut self, id: &str) -> Result<Volume> {
        self.call(async |b, st, h| b.infomaniak_block_storage_volumes().call_get(st, h, id).await)
    }
    /// Creates a volume (sent once: never repeated).
    pub fn volume_create(&mut self, spec: &VolumeCreate) -> Result<Volume> {
        self.call(async |b, st, h| b.infomaniak_block_storage_volumes().call_create(st, h, spec).await)
    }
    /// Deletes a volume (`force`: Cinder's admin-only force-delete).
    pub fn volume_delete(&mut self, id: &str, force: bool, cascade: bool) -> Result<()> {
        self.call(async |b, st, h| {
            b.infomaniak_block_storage_volumes()
                .call_delete(st, h, id, force, cascade)
                .await
        })
    }
    /// Marks a volume bootable or not.
    pub fn volume_set_bootable(&mut self, id: &str, bootable: bool) -> Result<()> {
        self.call(async |b, st, h| {
            b.infomaniak_block_storage_volumes()
                .call_set_bootable(st, h, id, bootable)
                .await
        })
    }
    /// Makes servers attach a volume read-only, or read-write again.
    pub fn volume_set_read_only(&mut self, id: &str, read_only: bool) -> Result<()> {
        self.call(async |b, st, h| {
            b.infomaniak_block_storage_volumes()
                .call_set_read_only(st, h, id, read_only)
                .await
        })
    }
    /// Changes a volume's type; `migrate` allows moving it to another backend.
    pub fn volume_retype(&mut self, id: &str, volume_type: &str, migrate: bool) -> Result<()> {
        self.call(async |b, st, h| {
            b.infomaniak_block_storage_volumes()
                .call_retype(st, h, id, volume_type, migrate)
                .await
        })
    }
    /// Reverts a volume to its latest snapshot (microversion 3.40+).
    pub fn volume_revert_to_snapshot(&mut self, id: &str, snapshot_id: &str) -> Result<()> {
        self.call(async |b, st, h| {
            b.infomaniak_block_storage_volumes()
                .call_revert_to_snapshot(st, h, id, snapshot_id)
                .await
        })
    }
    /// Starts copying a volume into a new Glance image.
    pub fn volume_upload_to_image(&mut self, id: &str, spec: &ImageUpload) -> Result<UploadedImage> {
        self.call(async |b, st, h| {
            b.infomaniak_block_storage_volumes()
                .call_upload_to_image(st, h, id, spec)
                .await
        })
    }
    /// Grows a volume to `new_size` GiB.
    pub fn volume_extend(&mut self, id: &str, new_size: u32) -> Result<()> {
        self.call(async |b, st, h| {
            b.infomaniak_block_storage_volumes()
                .call_extend(st, h, id, new_size)
                .await
        })
    }
    /// Attaches a volume to a server through Nova.
    pub fn volume_attach(&mut self, id: &str, server_id: &str, device: Option<&str>) -> Result<Attachment> {
        let device = device.map(str::to_string);
        self.call(async |b, st, h| {
            b.infomaniak_block_storage_volumes()
                .call_attach(st, h, id, server_id, device.as_deref())
                .await
        })
    }
    /// Detaches a volume from a server through Nova.
    pub fn volume_detach(&mut self, id: &str, server_id: &str) -> Result<()> {
        self.call(async |b, st, h| {
            b.infomaniak_block_storage_volumes()
                .call_detach(st, h, id, server_id)
                .await
        })
    }
    /// Polls a volume until it reaches `status` (`deleted`: until it is gone).
    pub fn volume_wait_for(&mut self, id: &str, status: &str, timeout_s: u32) -> Result<Option<Volume>> {
        self.call(async |b, st, h| {
            b.infomaniak_block_storage_volumes()
                .call_wait_for(st, h, id, status, timeout_s)
                .await
        })
    }
    /// Renames or redescribes a volume and returns it updated.
    pub fn volume_update(&mut self, id: &str, changes: &ResourceUpdate) -> Result<Volume> {
        self.call(async |b, st, h| {
            b.infomaniak_block_storage_volumes()
                .call_update(st, h, id, changes)
                .await
        })
    }
    /// Merges `items` into a volume's metadata; answers all of it afterwards, sorted by key.
    pub fn volume_set_metadata(&mut self, id: &str, items: &[(String, String)]) -> Result<Pairs> {
        self.call(async |b, st, h| {
            b.infomaniak_block_storage_volumes()
                .call_set_metadata(st, h, id, items)
                .await
        })
    }
    /// Removes metadata keys from a volume; a key that is absent is not an error.
    pub fn volume_unset_metadata(&mut self, id: &str, keys: &[String]) -> Result<()> {
        self.call(async |b, st, h| {
            b.infomaniak_block_storage_volumes()
                .call_unset_metadata(st, h, id, keys)
                .await
        })
    }

    // Snapshots.
    /// Lists snapshots.
    pub fn snapshot_list(&mut self, opts: &ListOptions) -> Result<Vec<Snapshot>> {
        self.call(async |b, st, h| b.infomaniak_block_storage_snapshots().call_list(st, h, opts).await)
    }
    /// Reads one snapshot.
    pub fn snapshot_get(&mut self, id: &str) -> Result<Snapshot> {
        self.call(async |b, st, h| b.infomaniak_block_storage_snapshots().call_get(st, h, id).await)
    }
    /// Creates a snapshot of a volume.
    pub fn snapshot_create(&mut self, spec: &SnapshotCreate) -> Result<Snapshot> {
        self.call(async |b, st, h| b.infomaniak_block_storage_snapshots().call_create(st, h, spec).await)
    }
    /// Deletes a snapshot.
    pub fn snapshot_delete(&mut self, id: &str, force: bool) -> Result<()> {
        self.call(async |b, st, h| {
            b.infomaniak_block_storage_snapshots()
                .call_delete(st, h, id, force)
                .await
        })
    }
    /// Polls a snapshot until it reaches `status`.
    pub fn snapshot_wait_for(&mut self, id: &str, status: &str, timeout_s: u32) -> Result<Option<Snapshot>> {
        self.call(async |b, st, h| {
            b.infomaniak_block_storage_snapshots()
                .call_wait_for(st, h, id, status, timeout_s)
                .await
        })
    }
    /// Renames or redescribes a snapshot and returns it updated.
    pub fn snapshot_update(&mut self, id: &str, changes: &ResourceUpdate) -> Result<Snapshot> {
        self.call(async |b, st, h| {
            b.infomaniak_block_storage_snapshots()
                .call_update(st, h, id, changes)
                .await
        })
    }
    /// Merges `items` into a snapshot's metadata; answers all of it afterwards, sorted by key.
    pub fn snapshot_set_metadata(&mut self, id: &str, items: &[(String, String)]) -> Result<Pairs> {
        self.call(async |b, st, h| {
            b.infomaniak_block_storage_snapshots()
                .call_set_metadata(st, h, id, items)
                .await
        })
    }
    /// Removes metadata keys from a snapshot; a key that is absent is not an error.
    pub fn snapshot_unset_metadata(&mut self, id: &str, keys: &[String]) -> Result<()> {
        self.call(async |b, st, h| {
            b.infomaniak_block_storage_snapshots()
                .call_unset_metadata(st, h, id, keys)
                .await
        })
    }

    // Backups.
    /// Lists backups.
    pub fn backup_list(&mut self, opts: &ListOptions) -> Result<Vec<Backup>> {
        self.call(async |b, st, h| b.infomaniak_block_storage_backups().call_list(st, h, opts).await)
    }
    /// Reads one backup.
    pub fn backup_get(&mut self, id: &str) -> Result<Backup> {
        self.call(async |b, st, h| b.infomaniak_block_storage_backups().call_get(st, h, id).await)
    }
    /// Creates a backup of a volume.
    pub fn backup_create(&mut self, spec: &BackupCreate) -> Result<Backup> {
        self.call(async |b, st, h| b.infomaniak_block_storage_backups().call_create(st, h, spec).await)
    }
    /// Restores a backup to a new volume (named `name`) or onto `volume_id`.
    pub fn backup_restore(&mut self, id: &str, volume_id: Option<&str>, name: Option<&str>) -> Result<Restored> {
        self.call(async |b, st, h| {
            b.infomaniak_block_storage_backups()
                .call_restore(st, h, id, volume_id, name)
                .await
        })
    }
    /// Deletes a backup.
    pub fn backup_delete(&mut self, id: &str, force: bool) -> Result<()> {
        self.call(async |b, st, h| b.infomaniak_block_storage_backups().call_delete(st, h, id, force).await)
    }
    /// Polls a backup until it reaches `status`.
    pub fn backup_wait_for(&mut self, id: &str, status: &str, timeout_s: u32) -> Result<Option<Backup>> {
        self.call(async |b, st, h| {
            b.infomaniak_block_storage_backups()
                .call_wait_for(st, h, id, status, timeout_s)
                .await
        })
    }
    /// Renames or redescribes a backup and returns it updated (microversion 3.9+).
    pub fn backup_update(&mut self, id: &str, changes: &ResourceUpdate) -> Result<Backup> {
        self.call(async |b, st, h| {
            b.infomaniak_block_storage_backups()
                .call_update(st, h, id, changes)
                .await
        })
    }
    /// Merges `items` into a backup's metadata; answers all of it afterwards, sorted by key
    /// (microversion 3.43+).
    pub fn backup_set_metadata(&mut self, id: &str, items: &[(String, String)]) -> Result<Pairs> {
        self.call(async |b, st, h| {
            b.infomaniak_block_storage_backups()
                .call_set_metadata(st, h, id, items)
                .await
        })
    }
    /// Removes metadata keys from a backup; a key that is absent is not an error
    /// (microversion 3.43+).
    pub fn backup_unset_metadata(&mut self, id: &str, keys: &[String]) -> Result<()> {
        self.call(async |b, st, h| {
            b.infomaniak_block_storage_backups()
                .call_unset_metadata(st, h, id, keys)
                .await
        })
    }

    // Transfers: the auth keys a session sees become secrets the call checks look for.
    /// Offers a volume for transfer; the answer holds the auth key the receiver needs.
    pub fn transfer_create(&mut self, volume_id: &str, name: Option<&str>) -> Result<TransferCreated> {
        let created = self.call(async |b, st, h| {
            b.infomaniak_block_storage_transfers()
                .call_create(st, h, volume_id, name)
                .await
        })?;
        self.note_secret("transfer auth key", &created.auth_key);
        Ok(created)
    }
    /// Lists this project's pending transfers.
    pub fn transfer_list(&mut self) -> Result<Vec<Transfer>> {
        self.call(async |b, st, h| b.infomaniak_block_storage_transfers().call_list(st, h).await)
    }
    /// Reads one transfer.
    pub fn transfer_get(&mut self, id: &str) -> Result<Transfer> {
        self.call(async |b, st, h| b.infomaniak_block_storage_transfers().call_get(st, h, id).await)
    }
    /// Accepts a transfer into this session's project.
    pub fn transfer_accept(&mut self, id: &str, auth_key: &str) -> Result<Transfer> {
        self.note_secret("transfer auth key", auth_key);
        self.call(async |b, st, h| {
            b.infomaniak_block_storage_transfers()
                .call_accept(st, h, id, auth_key)
                .await
        })
    }
    /// Cancels a pending transfer.
    pub fn transfer_delete(&mut self, id: &str) -> Result<()> {
        self.call(async |b, st, h| b.infomaniak_block_storage_transfers().call_delete(st, h, id).await)
    }

    // What the project may use.
    /// Lists the volume types the project may use.
    pub fn volume_types(&mut self) -> Result<Vec<VolumeType>> {
        self.call(async |b, st, h| b.infomaniak_block_storage_project().call_volume_types(st, h).await)
    }
    /// The volume type used when none is given (microversion 3.62+).
    pub fn default_volume_type(&mut self) -> Result<VolumeType> {
        self.call(async |b, st, h| {
            b.infomaniak_block_storage_project()
                .call_default_volume_type(st, h)
                .await
        })
    }
    /// Lists the block storage availability zones.
    pub fn availability_zones(&mut self) -> Result<Vec<AvailabilityZone>> {
        self.call(async |b, st, h| {
            b.infomaniak_block_storage_project()
                .call_availability_zones(st, h)
                .await
        })
    }
    /// The project's quota and usage (a maximum of none is unlimited).
    pub fn limits(&mut self) -> Result<ProjectLimits> {
        self.call(async |b, st, h| b.infomaniak_block_storage_project().call_limits(st, h).await)
    }
    /// Cinder's user messages, newest first, of one resource or of the whole project
    /// (microversion 3.3+).
    pub fn messages(&mut self, resource_id: Option<&str>) -> Result<Vec<Message>> {
        self.call(async |b, st, h| {
            b.infomaniak_block_storage_project()
                .call_messages(st, h, resource_id)
                .await
        })
    }
}

impl Session {
    /// Runs one call with a fresh CPU budget; a typed error carries the call's log lines.
    fn call<T>(
        &mut self,
        call: impl AsyncFnOnce(&BlockStorage, &mut Store<State>, ResourceAny) -> wasmtime::Result<Answer<T>>,
    ) -> Result<T> {
        let answer = self.run(call)?;
        let log = self.new_log();
        self.check(&log, answer.as_ref().err().map(|e| format!("{e:?}")).as_deref())?;
        answer.map_err(|error| Error::Component { error, log })
    }

    /// Runs one call that cannot fail but by a trap (the session's settings).
    fn info<T: Clone + Into<Option<String>>>(
        &mut self,
        call: impl AsyncFnOnce(&BlockStorage, &mut Store<State>, ResourceAny) -> wasmtime::Result<T>,
    ) -> Result<T> {
        let value = self.run(call)?;
        let log = self.new_log();
        self.check(&log, value.clone().into().as_deref())?;
        Ok(value)
    }

    fn run<T>(
        &mut self,
        call: impl AsyncFnOnce(&BlockStorage, &mut Store<State>, ResourceAny) -> wasmtime::Result<T>,
    ) -> Result<T> {
        self.store.data_mut().call_cpu_start = sandbox::thread_cpu();
        self.store.set_epoch_deadline(1);
        let out = self
            .driver
            .rt
            .block_on(call(&self.bindings, &mut self.store, self.handle));
        if let (Err(trap), Some(s)) = (&out, &self.secrets) {
            scan(s, "trap", &format!("{trap:?}"))?;
        }
        Ok(out?)
    }

    /// With secret checking on, later calls' logs and errors are searched for `value` too.
    fn note_secret(&self, kind: &'static str, value: &str) {
        if let Some(s) = &self.secrets {
            s.add(kind, value);
        }
    }

    /// The lines logged since the last call.
    fn new_log(&mut self) -> String {
        let all = self.pipe.contents();
        let new = String::from_utf8_lossy(all.get(self.logged..).unwrap_or_default()).into_owned();
        self.logged = all.len();
        new
    }

    /// With secret checking on: fails if the call's log or `text` (its error or value)
    /// holds one of the session's secrets.
    fn check(&self, log: &str, text: Option<&str>) -> Result<()> {
        if let Some(s) = &self.secrets {
            scan(s, "stderr", log)?;
            if let Some(t) = text {
                scan(s, "output", t)?;
            }
        }
        Ok(())
    }
}

/// Fails if `text` (a call's `what`) contains one of `secrets`, naming only the kind.
pub(crate) fn scan(secrets: &sandbox::Secrets, what: &str, text: &str) -> Result<()> {
    match secrets.found_in(text) {
        Some(kind) => Err(Error::Trap(wasmtime::format_err!(
            "a {kind} leaked into the component's {what}"
        ))),
        None => Ok(()),
    }
}

impl std::fmt::Debug for Session {
    fn fmt(&self, f: &mut std::fmt::Formatter<'_>) -> std::fmt::Result {
        f.debug_struct("Session").finish_non_exhaustive()
    }
}

impl Drop for Session {
    fn drop(&mut self) {
        // Release the guest's session resource; a trap here has nowhere to go.
        let _ = self
            .driver
            .rt
            .block_on(self.handle.resource_drop_async(&mut self.store));
    }
}
