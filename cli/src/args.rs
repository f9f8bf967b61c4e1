//! The command line's grammar, python-openstackclient's where it has one: `volume …`,
//! `volume snapshot …` (also `snapshot …`), `volume backup …` (also `backup …`),
//! `volume type …`, `volume message list`, `volume transfer request …`, `image create
//! --volume`, `availability zone list`, `limits show`, `server add|remove volume`, the
//! `--os-*` options, `-f`/`-c`, `--wait`; and `serve`, which runs the edge function.
//!
//! Options whose shape alone can be wrong (`--property`, `--sort`, `--limit`) are checked
//! here, so that a typo is a usage error naming the option before anything is sent.

use clap::{ArgGroup, Args, Parser, Subcommand, ValueEnum};

#[derive(Parser, Debug)]
#[command(
    name = "ibs",
    version,
    about = "Cinder volumes, snapshots and backups through the infomaniak-block-storage component",
    long_about = "Cinder volumes, snapshots and backups through the infomaniak-block-storage \
                  WebAssembly component, the way python-openstackclient does them.\n\n\
                  Configuration: --os-* options, then OS_* environment variables (an openrc), then \
                  the cloud named by --os-cloud / OS_CLOUD in clouds.yaml (OS_CLIENT_CONFIG_FILE, \
                  ./clouds.yaml, ~/.config/openstack/clouds.yaml, /etc/openstack/clouds.yaml; \
                  secure.yaml merged). --mock uses a mock cloud started in this process.\n\n\
                  Without a command, commands are read from standard input, one a line, on one \
                  session (and one mock cloud with --mock).",
    disable_help_subcommand = true
)]
pub struct Cli {
    #[command(flatten)]
    pub global: Global,
    #[command(subcommand)]
    pub command: Option<Command>,
}

/// Options accepted before or after the command.
#[derive(Args, Debug, Clone, Default)]
pub struct Global {
    /// Use a mock cloud (Keystone, Cinder, Nova) started in this process, with one server named
    /// `mock-server`; ignores the OS_* configuration.
    #[cfg(feature = "mock")]
    #[arg(long, global = true)]
    pub mock: bool,
    /// Print each HTTP request and response (headers and bodies, secrets and tokens masked)
    /// and the component's own log on stderr.
    #[arg(long, global = true)]
    pub debug: bool,
    /// Output format.
    #[arg(short = 'f', long = "format", value_enum, global = true, value_name = "FORMAT")]
    pub format: Option<Format>,
    /// A column to show (repeatable); all by default.
    #[arg(short = 'c', long = "column", global = true, value_name = "COLUMN")]
    pub columns: Vec<String>,
    /// How long `--wait` waits, in seconds [default: 3600]
    #[arg(long, global = true, value_name = "SECONDS")]
    pub wait_timeout: Option<u32>,
    #[command(flatten)]
    pub os: OsOptions,
}

/// The `--os-*` options; each overrides its OS_* variable and the clouds.yaml entry.
#[derive(Args, Debug, Clone, Default)]
#[command(next_help_heading = "Authentication and endpoints (also OS_* variables and clouds.yaml)")]
pub struct OsOptions {
    /// Cloud name in clouds.yaml [env: OS_CLOUD]
    #[arg(long, global = true, value_name = "NAME")]
    pub os_cloud: Option<String>,
    /// Keystone v3 URL [env: OS_AUTH_URL]
    #[arg(long, global = true, value_name = "URL")]
    pub os_auth_url: Option<String>,
    /// v3applicationcredential, password or token [env: OS_AUTH_TYPE]
    #[arg(long, global = true, value_name = "TYPE")]
    pub os_auth_type: Option<String>,
    /// Application credential id [env: OS_APPLICATION_CREDENTIAL_ID]
    #[arg(long, global = true, value_name = "ID")]
    pub os_application_credential_id: Option<String>,
    /// Application credential secret [env: OS_APPLICATION_CREDENTIAL_SECRET]
    #[arg(long, global = true, value_name = "SECRET")]
    pub os_application_credential_secret: Option<String>,
    /// User name [env: OS_USERNAME]
    #[arg(long, global = true, value_name = "NAME")]
    pub os_username: Option<String>,
    /// Password [env: OS_PASSWORD]
    #[arg(long, global = true, value_name = "PASSWORD")]
    pub os_password: Option<String>,
    /// Project name [env: OS_PROJECT_NAME]
    #[arg(long, global = true, value_name = "NAME")]
    pub os_project_name: Option<String>,
    /// User domain name [env: OS_USER_DOMAIN_NAME]
    #[arg(long, global = true, value_name = "NAME")]
    pub os_user_domain_name: Option<String>,
    /// User domain id (only `default`) [env: OS_USER_DOMAIN_ID]
    #[arg(long, global = true, value_name = "ID")]
    pub os_user_domain_id: Option<String>,
    /// Project domain name [env: OS_PROJECT_DOMAIN_NAME]
    #[arg(long, global = true, value_name = "NAME")]
    pub os_project_domain_name: Option<String>,
    /// Project domain id (only `default`) [env: OS_PROJECT_DOMAIN_ID]
    #[arg(long, global = true, value_name = "ID")]
    pub os_project_domain_id: Option<String>,
    /// An existing token (with --os-auth-type token) [env: OS_TOKEN]
    #[arg(long, global = true, value_name = "TOKEN")]
    pub os_token: Option<String>,
    /// Region [env: OS_REGION_NAME]
    #[arg(long, global = true, value_name = "REGION")]
    pub os_region_name: Option<String>,
    /// Catalog interface: public, internal or admin [env: OS_INTERFACE]
    #[arg(long, global = true, value_name = "INTERFACE")]
    pub os_interface: Option<String>,
    /// Cinder microversion to pin, e.g. 3.60 (`3`: negotiate) [env: OS_VOLUME_API_VERSION]
    #[arg(long, global = true, value_name = "VERSION")]
    pub os_volume_api_version: Option<String>,
}

/// `-f`.
#[derive(ValueEnum, Debug, Clone, Copy, PartialEq, Eq)]
pub enum Format {
    /// An ASCII table.
    Table,
    /// JSON: an array of objects for lists, an object otherwise.
    Json,
    /// Values only, separated by spaces, one row a line.
    Value,
}

#[derive(Subcommand, Debug)]
pub enum Command {
    /// Volumes (and `volume snapshot …`, `volume backup …`).
    #[command(subcommand)]
    Volume(VolumeCmd),
    /// Snapshots (the same as `volume snapshot`).
    #[command(subcommand)]
    Snapshot(SnapshotCmd),
    /// Backups (the same as `volume backup`).
    #[command(subcommand)]
    Backup(BackupCmd),
    /// `server add volume` and `server remove volume`.
    #[command(subcommand)]
    Server(ServerCmd),
    /// `image create --volume`: a volume copied into a new image.
    #[command(subcommand)]
    Image(ImageCmd),
    /// `availability zone list`.
    #[command(subcommand)]
    Availability(AvailabilityCmd),
    /// `limits show --absolute`.
    #[command(subcommand)]
    Limits(LimitsCmd),
    /// Serve a wasi:http/proxy component (the edge function, `component-dist edge`) over
    /// HTTP/1.1: a fresh sandboxed instance per request, as `wasmtime serve` does. Needs no
    /// OS_* configuration: the function carries its own.
    Serve(ServeArgs),
}

/// `serve FUNCTION --listen ADDR --allow URL…`.
#[derive(Args, Debug)]
pub struct ServeArgs {
    /// The component to serve (it must export wasi:http/incoming-handler).
    pub function: std::path::PathBuf,
    /// The address to listen on (port 0: any free port; the address is printed).
    #[arg(long, default_value = "127.0.0.1:8080")]
    pub listen: String,
    /// A URL whose origin the component may reach, e.g. its block storage URL (repeatable;
    /// none: it reaches nothing).
    #[arg(long = "allow", value_name = "URL")]
    pub allow: Vec<String>,
}

#[derive(Subcommand, Debug)]
pub enum VolumeCmd {
    /// List volumes.
    List(ListArgs),
    /// Show a volume.
    Show {
        /// Volume (name or ID).
        volume: String,
    },
    /// Create a volume.
    Create(VolumeCreateArgs),
    /// Delete volumes (with --cascade, their snapshots too).
    Delete(VolumeDeleteArgs),
    /// Grow a volume to SIZE GiB.
    Extend {
        /// Volume (name or ID).
        volume: String,
        /// New size in GiB.
        size: u32,
        /// Wait until the volume is back to its status at the new size.
        #[arg(long)]
        wait: bool,
    },
    /// Change a volume: its size (as `volume extend`), name, description, properties,
    /// bootable and read-only flags, type.
    Set(VolumeSetArgs),
    /// Remove properties from a volume.
    Unset(UnsetArgs),
    /// Attach a volume to a server (through Nova).
    Attach(AttachArgs),
    /// Detach a volume from a server (through Nova).
    Detach(DetachArgs),
    /// Revert a volume to a snapshot: the snapshot's volume, to its latest snapshot
    /// (microversion 3.40+).
    Revert {
        /// Snapshot to revert to (name or ID): the latest one of its volume.
        snapshot: String,
        /// Wait until the volume is available again.
        #[arg(long)]
        wait: bool,
    },
    /// Hand volumes over to another project (`volume transfer request …`).
    #[command(subcommand)]
    Transfer(TransferCmd),
    /// Volume snapshots.
    #[command(subcommand)]
    Snapshot(SnapshotCmd),
    /// Volume backups.
    #[command(subcommand)]
    Backup(BackupCmd),
    /// Volume types.
    #[command(subcommand)]
    Type(TypeCmd),
    /// What Cinder recorded about failed asynchronous operations.
    #[command(subcommand)]
    Message(MessageCmd),
}

/// `list` of volumes, snapshots and backups: filters, order and paging, all done by the
/// server.
#[derive(Args, Debug)]
pub struct ListArgs {
    /// Only resources with this name.
    #[arg(long)]
    pub name: Option<String>,
    /// Only resources with this status.
    #[arg(long)]
    pub status: Option<String>,
    /// Only resources with this property KEY=VALUE (repeatable: all of them).
    #[arg(long = "property", value_name = "KEY=VALUE", value_parser = key_value)]
    pub properties: Vec<(String, String)>,
    /// At most N resources (no page beyond them is fetched).
    #[arg(long, value_name = "N", value_parser = clap::value_parser!(u32).range(1..))]
    pub limit: Option<u32>,
    /// Start after the resource with this ID (the last one of the previous page).
    #[arg(long, value_name = "ID")]
    pub marker: Option<String>,
    /// Order, e.g. `name:asc,created_at:desc` (a key without direction: Cinder's default,
    /// desc).
    #[arg(long, value_name = "KEY[:asc|desc][,KEY...]", value_parser = sort_order)]
    pub sort: Option<String>,
    /// More columns.
    #[arg(long)]
    pub long: bool,
}

/// `KEY=VALUE` (`--property`), split at the first `=`: the value may hold more of them.
pub fn key_value(s: &str) -> Result<(String, String), String> {
    s.split_once('=')
        .map(|(k, v)| (k.to_string(), v.to_string()))
        .ok_or_else(|| format!("Expected 'key=value' type, but got: {s}"))
}

/// `--sort`'s shape, `KEY[:asc|desc]` separated by commas. Which keys a resource accepts
/// is the component's to say (it differs by resource and microversion).
pub fn sort_order(s: &str) -> Result<String, String> {
    for part in s.split(',') {
        let (key, direction) = part.split_once(':').unwrap_or((part, "asc"));
        if key.is_empty() {
            return Err(format!("an empty key in '{s}'; expected KEY[:asc|desc][,KEY...]"));
        }
        if direction != "asc" && direction != "desc" {
            return Err(format!(
                "the direction of '{key}' must be asc or desc, not '{direction}'"
            ));
        }
    }
    Ok(s.to_string())
}

/// `… set` of volumes, snapshots and backups: what every one of them can change.
#[derive(Args, Debug)]
pub struct SetArgs {
    /// New name.
    #[arg(long)]
    pub name: Option<String>,
    /// New description (`""` clears it).
    #[arg(long)]
    pub description: Option<String>,
    /// A property KEY=VALUE to add or change (repeatable).
    #[arg(long = "property", value_name = "KEY=VALUE", value_parser = key_value)]
    pub properties: Vec<(String, String)>,
    /// Name or ID.
    #[arg(value_name = "NAME_OR_ID")]
    pub target: String,
}

/// `volume set`: also the size, the bootable and read-only flags and the type.
#[derive(Args, Debug)]
#[command(group(ArgGroup::new("waitable").args(["size", "volume_type"]).multiple(true)))]
pub struct VolumeSetArgs {
    /// New size in GiB (as `volume extend`).
    #[arg(long)]
    pub size: Option<u32>,
    /// Mark the volume bootable.
    #[arg(long, conflicts_with = "non_bootable")]
    pub bootable: bool,
    /// Mark the volume not bootable.
    #[arg(long)]
    pub non_bootable: bool,
    /// Make servers attach the volume read-only (only on an available volume).
    #[arg(long, conflicts_with = "read_write")]
    pub read_only: bool,
    /// Make servers attach the volume read-write again.
    #[arg(long)]
    pub read_write: bool,
    /// New volume type (name or ID): Cinder's retype.
    #[arg(long = "type", value_name = "TYPE")]
    pub volume_type: Option<String>,
    /// With --type: whether Cinder may migrate the volume to another backend [default: never]
    #[arg(long, value_enum, value_name = "POLICY", requires = "volume_type")]
    pub retype_policy: Option<RetypePolicy>,
    /// With --size or --type: wait until the volume is back to its status at the new size,
    /// and done retyping.
    #[arg(long, requires = "waitable")]
    pub wait: bool,
    #[command(flatten)]
    pub set: SetArgs,
}

/// `volume set --retype-policy`: Cinder's `migration_policy`.
#[derive(ValueEnum, Debug, Clone, Copy, PartialEq, Eq)]
pub enum RetypePolicy {
    /// The volume stays on its backend: a type that needs another backend fails.
    Never,
    /// Cinder may migrate the volume to a backend of the new type.
    OnDemand,
}

/// `volume delete`: also `--cascade`.
#[derive(Args, Debug)]
pub struct VolumeDeleteArgs {
    /// Delete the volumes' snapshots with them (openstackclient's --purge).
    #[arg(long, visible_alias = "purge")]
    pub cascade: bool,
    #[command(flatten)]
    pub delete: DeleteArgs,
}

/// `… unset` of volumes, snapshots and backups.
#[derive(Args, Debug)]
pub struct UnsetArgs {
    /// A property KEY to remove (repeatable); one that is not set is no error.
    #[arg(long = "property", value_name = "KEY", required = true)]
    pub properties: Vec<String>,
    /// Name or ID.
    #[arg(value_name = "NAME_OR_ID")]
    pub target: String,
}

#[derive(Subcommand, Debug)]
pub enum TypeCmd {
    /// List the volume types the project may use.
    List {
        /// Also the description and properties (extra specs).
        #[arg(long)]
        long: bool,
    },
    /// Show a volume type.
    Show {
        /// Volume type (name or ID).
        #[arg(value_name = "TYPE")]
        volume_type: String,
    },
}

#[derive(Subcommand, Debug)]
pub enum MessageCmd {
    /// List Cinder's user messages, newest first.
    List {
        /// Only those about this resource (ID of a volume, snapshot, backup…).
        #[arg(long, value_name = "ID")]
        resource_id: Option<String>,
    },
}

#[derive(Subcommand, Debug)]
pub enum AvailabilityCmd {
    /// `availability zone list`.
    #[command(subcommand)]
    Zone(ZoneCmd),
}

#[derive(Subcommand, Debug)]
pub enum ZoneCmd {
    /// List availability zones (block storage's: the only ones this client knows).
    List {
        /// Block storage zones (openstackclient's spelling; also the default here).
        #[arg(long)]
        volume: bool,
    },
}

#[derive(Subcommand, Debug)]
pub enum LimitsCmd {
    /// Show the project's block storage quota and usage.
    Show {
        /// The absolute limits (the only kind Cinder has; required, as in openstackclient).
        #[arg(long, required = true)]
        absolute: bool,
    },
}

/// `list` of snapshots and backups: also by volume.
#[derive(Args, Debug)]
pub struct ChildListArgs {
    #[command(flatten)]
    pub list: ListArgs,
    /// Only those of this volume (name or ID; filtered by the server).
    #[arg(long)]
    pub volume: Option<String>,
}

#[derive(Args, Debug)]
pub struct VolumeCreateArgs {
    /// Size in GiB (by default the size of the snapshot, source volume or backup).
    #[arg(long)]
    pub size: Option<u32>,
    /// Volume type.
    #[arg(long = "type", value_name = "TYPE")]
    pub volume_type: Option<String>,
    /// Image ID to create the volume from.
    #[arg(long, value_name = "IMAGE_ID")]
    pub image: Option<String>,
    /// Snapshot to create the volume from (name or ID).
    #[arg(long)]
    pub snapshot: Option<String>,
    /// Volume to clone (name or ID).
    #[arg(long)]
    pub source: Option<String>,
    /// Backup to create the volume from (name or ID).
    #[arg(long)]
    pub backup: Option<String>,
    /// Description.
    #[arg(long)]
    pub description: Option<String>,
    /// Availability zone.
    #[arg(long)]
    pub availability_zone: Option<String>,
    /// A property KEY=VALUE (repeatable).
    #[arg(long = "property", value_name = "KEY=VALUE", value_parser = key_value)]
    pub properties: Vec<(String, String)>,
    /// A key that makes the create safe to repeat: a volume of the project created with
    /// it is returned instead of a new one.
    #[arg(long, value_name = "KEY")]
    pub idempotency_key: Option<String>,
    /// Wait until the volume is available.
    #[arg(long)]
    pub wait: bool,
    /// Name of the new volume.
    pub name: String,
}

#[derive(Args, Debug)]
pub struct AttachArgs {
    /// Volume (name or ID).
    pub volume: String,
    /// Server ID (`mock-server` with --mock).
    pub server: String,
    /// Device in the guest, e.g. /dev/vdb.
    #[arg(long)]
    pub device: Option<String>,
    /// Wait until the volume is in use.
    #[arg(long)]
    pub wait: bool,
}

#[derive(Args, Debug)]
pub struct DetachArgs {
    /// Volume (name or ID).
    pub volume: String,
    /// Server ID (`mock-server` with --mock).
    pub server: String,
    /// Wait until the volume is available.
    #[arg(long)]
    pub wait: bool,
}

#[derive(Subcommand, Debug)]
pub enum SnapshotCmd {
    /// List snapshots.
    List(ChildListArgs),
    /// Show a snapshot.
    Show {
        /// Snapshot (name or ID).
        snapshot: String,
    },
    /// Create a snapshot of a volume.
    Create {
        /// Volume to snapshot (name or ID); the snapshot's name by default.
        #[arg(long)]
        volume: Option<String>,
        /// Description.
        #[arg(long)]
        description: Option<String>,
        /// Snapshot even an attached volume.
        #[arg(long)]
        force: bool,
        /// A property KEY=VALUE (repeatable).
        #[arg(long = "property", value_name = "KEY=VALUE", value_parser = key_value)]
        properties: Vec<(String, String)>,
        /// A key that makes the create safe to repeat: a snapshot created with it is
        /// returned instead of a new one.
        #[arg(long, value_name = "KEY")]
        idempotency_key: Option<String>,
        /// Wait until the snapshot is available.
        #[arg(long)]
        wait: bool,
        /// Name of the new snapshot.
        name: String,
    },
    /// Delete snapshots.
    Delete(DeleteArgs),
    /// Change a snapshot's name, description or properties.
    Set(SetArgs),
    /// Remove properties from a snapshot.
    Unset(UnsetArgs),
}

#[derive(Subcommand, Debug)]
pub enum BackupCmd {
    /// List backups.
    List(ChildListArgs),
    /// Show a backup.
    Show {
        /// Backup (name or ID).
        backup: String,
    },
    /// Back up a volume.
    Create {
        /// Name of the backup.
        #[arg(long)]
        name: Option<String>,
        /// Description.
        #[arg(long)]
        description: Option<String>,
        /// Object storage container.
        #[arg(long)]
        container: Option<String>,
        /// Back up this snapshot of the volume (name or ID).
        #[arg(long)]
        snapshot: Option<String>,
        /// Back up even an attached volume.
        #[arg(long)]
        force: bool,
        /// Incremental on top of the volume's latest backup.
        #[arg(long)]
        incremental: bool,
        /// A property KEY=VALUE (repeatable).
        #[arg(long = "property", value_name = "KEY=VALUE", value_parser = key_value)]
        properties: Vec<(String, String)>,
        /// Availability zone of the backup.
        #[arg(long, value_name = "AZ")]
        availability_zone: Option<String>,
        /// A key that makes the create safe to repeat: a backup of the volume created with
        /// it is returned instead of a new one (microversion 3.43+).
        #[arg(long, value_name = "KEY")]
        idempotency_key: Option<String>,
        /// Wait until the backup is available.
        #[arg(long)]
        wait: bool,
        /// Volume to back up (name or ID).
        volume: String,
    },
    /// Restore a backup into a new volume or, with --force, onto an existing one.
    Restore {
        /// Restore onto an existing VOLUME (its data is overwritten).
        #[arg(long)]
        force: bool,
        /// Wait until the volume is available.
        #[arg(long)]
        wait: bool,
        /// Backup (name or ID).
        backup: String,
        /// Volume to restore to: an existing one (name or ID, with --force) or the name of a
        /// new one; when left out, a new volume that Cinder names.
        volume: Option<String>,
    },
    /// Delete backups.
    Delete(DeleteArgs),
    /// Change a backup's name, description or properties.
    Set(SetArgs),
    /// Remove properties from a backup.
    Unset(UnsetArgs),
}

/// `… delete`: the same options for every kind of resource.
#[derive(Args, Debug)]
pub struct DeleteArgs {
    /// Use Cinder's (admin-only) force-delete.
    #[arg(long)]
    pub force: bool,
    /// Wait until they are gone.
    #[arg(long)]
    pub wait: bool,
    /// Names or IDs.
    #[arg(required = true, value_name = "NAME_OR_ID")]
    pub names: Vec<String>,
}

/// `volume transfer …`.
#[derive(Subcommand, Debug)]
pub enum TransferCmd {
    /// Transfer requests: a volume offered to another project, which accepts it with the
    /// auth key.
    #[command(subcommand)]
    Request(TransferRequestCmd),
}

#[derive(Subcommand, Debug)]
pub enum TransferRequestCmd {
    /// Offer a volume for transfer; prints the auth key the receiving project needs (shown
    /// only here, once).
    Create {
        /// Name of the transfer request.
        #[arg(long)]
        name: Option<String>,
        /// Volume to transfer (name or ID).
        volume: String,
    },
    /// List this project's pending transfer requests.
    List,
    /// Show a transfer request.
    Show {
        /// Transfer request (name or ID).
        transfer_request: String,
    },
    /// Accept a transfer request into this project.
    Accept {
        /// The auth key given by `volume transfer request create`.
        #[arg(long, required = true, value_name = "KEY")]
        auth_key: String,
        /// Transfer request ID.
        #[arg(value_name = "TRANSFER_REQUEST_ID")]
        transfer_request: String,
    },
    /// Delete (cancel) transfer requests.
    Delete {
        /// Transfer requests (names or IDs).
        #[arg(required = true, value_name = "TRANSFER_REQUEST")]
        transfer_requests: Vec<String>,
    },
}

#[derive(Subcommand, Debug)]
pub enum ImageCmd {
    /// Create an image from a volume (Cinder's upload to image).
    Create(ImageCreateArgs),
}

/// `image create --volume`: the only image source this client knows.
#[derive(Args, Debug)]
#[command(group(ArgGroup::new("visibility").args(["public", "private", "community", "shared"])))]
pub struct ImageCreateArgs {
    /// Volume to copy into the image (name or ID).
    #[arg(long, required = true)]
    pub volume: String,
    /// Disk format, e.g. raw, qcow2 (Cinder's default: raw).
    #[arg(long, value_name = "FORMAT")]
    pub disk_format: Option<String>,
    /// Container format, e.g. bare (Cinder's default: bare).
    #[arg(long, value_name = "FORMAT")]
    pub container_format: Option<String>,
    /// Upload even an attached (in-use) volume.
    #[arg(long)]
    pub force: bool,
    /// Image is accessible to everyone.
    #[arg(long)]
    pub public: bool,
    /// Image is accessible to the project only (Cinder's default).
    #[arg(long)]
    pub private: bool,
    /// Image is accessible to every project that asks for it.
    #[arg(long)]
    pub community: bool,
    /// Image can be shared with other projects.
    #[arg(long)]
    pub shared: bool,
    /// Protect the image from deletion.
    #[arg(long, conflicts_with = "unprotected")]
    pub protected: bool,
    /// Allow the image to be deleted (the default).
    #[arg(long)]
    pub unprotected: bool,
    /// Wait until Cinder has copied the volume (the volume is no longer uploading).
    #[arg(long)]
    pub wait: bool,
    /// Name of the new image.
    #[arg(value_name = "IMAGE_NAME")]
    pub name: String,
}

impl ImageCreateArgs {
    /// The visibility asked for, if any.
    pub fn visibility(&self) -> Option<String> {
        [
            (self.public, "public"),
            (self.private, "private"),
            (self.community, "community"),
            (self.shared, "shared"),
        ]
        .into_iter()
        .find(|(on, _)| *on)
        .map(|(_, v)| v.to_string())
    }
}

#[derive(Subcommand, Debug)]
pub enum ServerCmd {
    /// `server add volume SERVER VOLUME`.
    #[command(subcommand)]
    Add(ServerAdd),
    /// `server remove volume SERVER VOLUME`.
    #[command(subcommand)]
    Remove(ServerRemove),
}

#[derive(Subcommand, Debug)]
pub enum ServerAdd {
    /// Attach a volume to a server.
    Volume {
        /// Server ID (`mock-server` with --mock).
        server: String,
        /// Volume (name or ID).
        volume: String,
        /// Device in the guest, e.g. /dev/vdb.
        #[arg(long)]
        device: Option<String>,
        /// Wait until the volume is in use.
        #[arg(long)]
        wait: bool,
    },
}

#[derive(Subcommand, Debug)]
pub enum ServerRemove {
    /// Detach a volume from a server.
    Volume {
        /// Server ID (`mock-server` with --mock).
        server: String,
        /// Volume (name or ID).
        volume: String,
        /// Wait until the volume is available.
        #[arg(long)]
        wait: bool,
    },
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn properties_split_at_the_first_equals_sign() {
        assert_eq!(key_value("k=v=w"), Ok(("k".into(), "v=w".into())));
        assert_eq!(key_value("k="), Ok(("k".into(), String::new())));
        assert_eq!(
            key_value("novalue"),
            Err("Expected 'key=value' type, but got: novalue".into())
        );
    }

    #[test]
    fn sort_orders_are_keys_with_a_direction() {
        for good in ["name", "name:desc", "created_at:asc,id", "size:desc,name:asc"] {
            assert_eq!(sort_order(good).as_deref(), Ok(good));
        }
        for bad in ["name:sideways", "", "name,", ":desc", "name:asc:x"] {
            assert!(sort_order(bad).is_err(), "{bad}");
        }
    }

    #[test]
    fn usage_errors_name_the_option() {
        for (args, option) in [
            (&["volume", "list", "--limit", "0"][..], "--limit"),
            (&["volume", "list", "--limit", "many"][..], "--limit"),
            (&["volume", "list", "--sort", "name:sideways"][..], "--sort"),
            (&["volume", "set", "--property", "novalue", "v"][..], "--property"),
            (&["volume", "unset", "v"][..], "--property"),
            (&["limits", "show"][..], "--absolute"),
            (&["volume", "set", "--retype-policy", "never", "v"][..], "--type"),
            (
                &["volume", "set", "--retype-policy", "sometimes", "--type", "t", "v"][..],
                "--retype-policy",
            ),
            (&["volume", "set", "--wait", "--name", "n", "v"][..], "--wait"),
            (
                &["volume", "set", "--bootable", "--non-bootable", "v"][..],
                "--non-bootable",
            ),
            (
                &["volume", "set", "--read-only", "--read-write", "v"][..],
                "--read-write",
            ),
            (&["image", "create", "i"][..], "--volume"),
            (
                &["image", "create", "--volume", "v", "--public", "--private", "i"][..],
                "--private",
            ),
            (&["volume", "transfer", "request", "accept", "t"][..], "--auth-key"),
        ] {
            let e = Cli::try_parse_from(std::iter::once("ibs").chain(args.iter().copied())).unwrap_err();
            assert!(e.to_string().contains(option), "{args:?}: {e}");
        }
    }

    fn parse(args: &[&str]) -> Command {
        let cli = Cli::try_parse_from(std::iter::once("ibs").chain(args.iter().copied()))
            .unwrap_or_else(|e| panic!("{args:?}: {e}"));
        cli.command.expect("a command")
    }

    #[test]
    fn new_volume_options_parse_as_openstackclient_spells_them() {
        let Command::Volume(VolumeCmd::Delete(d)) = parse(&["volume", "delete", "--purge", "--force", "v"]) else {
            panic!("volume delete");
        };
        assert!(d.cascade && d.delete.force);
        let Command::Volume(VolumeCmd::Set(a)) = parse(&[
            "volume",
            "set",
            "--type",
            "perf1",
            "--retype-policy",
            "on-demand",
            "--wait",
            "--bootable",
            "--read-only",
            "v",
        ]) else {
            panic!("volume set");
        };
        assert_eq!(a.volume_type.as_deref(), Some("perf1"));
        assert_eq!(a.retype_policy, Some(RetypePolicy::OnDemand));
        assert!(a.wait && a.bootable && a.read_only && !a.non_bootable && !a.read_write);
        parse(&["volume", "set", "--size", "2", "--wait", "v"]);
        let Command::Image(ImageCmd::Create(i)) = parse(&["image", "create", "--volume", "v", "--community", "img"])
        else {
            panic!("image create");
        };
        assert_eq!(i.visibility().as_deref(), Some("community"));
        assert!(!i.protected);
        let Command::Volume(VolumeCmd::Create(c)) =
            parse(&["volume", "create", "--size", "1", "--idempotency-key", "k", "v"])
        else {
            panic!("volume create");
        };
        assert_eq!(c.idempotency_key.as_deref(), Some("k"));
    }
}
