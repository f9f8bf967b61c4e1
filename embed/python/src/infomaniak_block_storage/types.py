"""The WIT records as dataclasses, field for field (kebab-case names become snake_case).

Answers are frozen dataclasses; metadata comes back as `(key, value)` pairs sorted by key.
Fields holding a secret are left out of `repr`.
"""

from __future__ import annotations

from collections.abc import Mapping, Sequence
from dataclasses import dataclass, field
from typing import Union

#: Metadata to send: `(key, value)` pairs or a mapping.
MetadataInput = Union[Mapping[str, str], Sequence[tuple[str, str]]]


@dataclass(frozen=True)
class ApplicationCredential:
    """A Keystone application credential: the recommended way for programs to log in."""

    id: str
    secret: str = field(repr=False)


@dataclass(frozen=True, kw_only=True)
class PasswordCredential:
    """A user name and password, scoped to one project."""

    user_name: str
    password: str = field(repr=False)
    user_domain: str = "Default"
    project_name: str
    project_domain: str = "Default"


@dataclass(frozen=True)
class Token:
    """A Keystone token issued elsewhere: no Keystone call; give `block_storage_url`."""

    token: str = field(repr=False)


Credentials = Union[ApplicationCredential, PasswordCredential, Token]


@dataclass(frozen=True, kw_only=True)
class Config:
    """Everything `connect` needs (the WIT `config`)."""

    credentials: Credentials
    auth_url: str = ""
    region: str | None = None
    endpoint_interface: str | None = None
    block_storage_url: str | None = None
    compute_url: str | None = None
    timeout_ms: int | None = None
    microversion: str | None = None
    max_response_bytes: int | None = None


@dataclass(frozen=True)
class Failure:
    """Why `wait_for` gave up on a resource that reached an error status."""

    resource_id: str
    status: str
    reason: str | None


@dataclass(frozen=True)
class Attachment:
    attachment_id: str | None
    server_id: str | None
    device: str | None
    attached_at: str | None


@dataclass(frozen=True)
class Volume:
    id: str
    name: str | None
    description: str | None
    status: str
    size: int
    volume_type: str | None
    availability_zone: str | None
    bootable: bool
    encrypted: bool
    multiattach: bool
    read_only: bool
    attachments: list[Attachment]
    snapshot_id: str | None
    source_volume_id: str | None
    metadata: list[tuple[str, str]]
    created_at: str
    updated_at: str | None


@dataclass(frozen=True)
class Snapshot:
    id: str
    name: str | None
    description: str | None
    status: str
    size: int
    volume_id: str
    metadata: list[tuple[str, str]]
    created_at: str
    updated_at: str | None


@dataclass(frozen=True)
class Backup:
    id: str
    name: str | None
    description: str | None
    status: str
    size: int
    volume_id: str
    snapshot_id: str | None
    is_incremental: bool
    has_dependent_backups: bool
    container: str | None
    availability_zone: str | None
    fail_reason: str | None
    created_at: str
    updated_at: str | None


@dataclass(frozen=True)
class Restored:
    backup_id: str
    volume_id: str
    volume_name: str | None


@dataclass(frozen=True, kw_only=True)
class VolumeCreate:
    """A new volume; at most one source (snapshot, source volume, image, backup)."""

    size: int
    name: str | None = None
    description: str | None = None
    volume_type: str | None = None
    availability_zone: str | None = None
    snapshot_id: str | None = None
    source_volume_id: str | None = None
    image_id: str | None = None
    backup_id: str | None = None
    metadata: MetadataInput = ()
    idempotency_key: str | None = None


@dataclass(frozen=True, kw_only=True)
class SnapshotCreate:
    volume_id: str
    name: str | None = None
    description: str | None = None
    force: bool = False
    metadata: MetadataInput = ()
    idempotency_key: str | None = None


@dataclass(frozen=True, kw_only=True)
class BackupCreate:
    volume_id: str
    name: str | None = None
    description: str | None = None
    incremental: bool = False
    force: bool = False
    snapshot_id: str | None = None
    container: str | None = None
    metadata: MetadataInput = ()
    availability_zone: str | None = None
    idempotency_key: str | None = None


@dataclass(frozen=True, kw_only=True)
class ImageUpload:
    image_name: str
    disk_format: str | None = None
    container_format: str | None = None
    force: bool = False
    visibility: str | None = None
    protected: bool = False


@dataclass(frozen=True)
class UploadedImage:
    image_id: str
    image_name: str
    status: str
    disk_format: str | None
    container_format: str | None


@dataclass(frozen=True)
class Transfer:
    id: str
    name: str | None
    volume_id: str
    created_at: str


@dataclass(frozen=True)
class TransferCreated:
    """A transfer just created, with the key the receiver needs (not in `repr`)."""

    transfer: Transfer
    auth_key: str = field(repr=False)


@dataclass(frozen=True, kw_only=True)
class ListOptions:
    """Filters, order and paging; without `limit` every page is followed."""

    status: str | None = None
    name: str | None = None
    page_size: int | None = None
    limit: int | None = None
    marker: str | None = None
    sort: str | None = None
    volume_id: str | None = None
    metadata: MetadataInput = ()


@dataclass(frozen=True, kw_only=True)
class ResourceUpdate:
    """None leaves a field unchanged; `description=""` clears it."""

    name: str | None = None
    description: str | None = None


@dataclass(frozen=True)
class VolumeType:
    id: str
    name: str
    description: str | None
    is_public: bool
    extra_specs: list[tuple[str, str]]


@dataclass(frozen=True)
class AvailabilityZone:
    name: str
    available: bool


@dataclass(frozen=True)
class Limits:
    """The project's quota and usage; a maximum of None is unlimited."""

    max_volumes: int | None
    max_snapshots: int | None
    max_backups: int | None
    max_gigabytes: int | None
    max_backup_gigabytes: int | None
    volumes_used: int
    snapshots_used: int
    backups_used: int
    gigabytes_used: int
    backup_gigabytes_used: int


@dataclass(frozen=True)
class Message:
    id: str
    event_id: str
    user_message: str
    message_level: str
    resource_type: str
    resource_id: str | None
    request_id: str | None
    created_at: str
    expires_at: str | None
