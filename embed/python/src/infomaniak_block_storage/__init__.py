"""Infomaniak Public Cloud block storage (OpenStack Cinder v3) from Python: the
`infomaniak:block-storage@0.2.0` WebAssembly component, bundled, run by wasmtime-py.

    with connect(Config(auth_url=..., credentials=ApplicationCredential(id, secret))) as s:
        for v in s.volumes.list(ListOptions(limit=5, sort="created_at:desc")):
            print(v.id, v.status)
"""

from .errors import (
    ERROR_CLASSES,
    ApiError,
    BadRequestError,
    BlockStorageError,
    ConflictError,
    ErrorKind,
    ForbiddenError,
    InvalidInputError,
    InvalidResponseError,
    NoEndpointError,
    NotFoundError,
    OverLimitError,
    ResourceFailedError,
    TransportError,
    UnauthorizedError,
    WaitTimeoutError,
)
from .session import Backups, Project, Session, Snapshots, Transfers, Volumes, connect
from .types import (
    ApplicationCredential,
    Attachment,
    AvailabilityZone,
    Backup,
    BackupCreate,
    Config,
    Credentials,
    Failure,
    ImageUpload,
    Limits,
    ListOptions,
    Message,
    MetadataInput,
    PasswordCredential,
    ResourceUpdate,
    Restored,
    Snapshot,
    SnapshotCreate,
    Token,
    Transfer,
    TransferCreated,
    UploadedImage,
    Volume,
    VolumeCreate,
    VolumeType,
)

__version__ = "0.2.0"

__all__ = [
    "ERROR_CLASSES", "ApiError", "BadRequestError", "BlockStorageError", "ConflictError", "ErrorKind",
    "ForbiddenError", "InvalidInputError", "InvalidResponseError", "NoEndpointError", "NotFoundError",
    "OverLimitError", "ResourceFailedError", "TransportError", "UnauthorizedError", "WaitTimeoutError",
    "Backups", "Project", "Session", "Snapshots", "Transfers", "Volumes", "connect",
    "ApplicationCredential", "Attachment", "AvailabilityZone", "Backup", "BackupCreate", "Config",
    "Credentials", "Failure", "ImageUpload", "Limits", "ListOptions", "Message", "MetadataInput",
    "PasswordCredential", "ResourceUpdate", "Restored", "Snapshot", "SnapshotCreate", "Token",
    "Transfer", "TransferCreated", "UploadedImage", "Volume", "VolumeCreate", "VolumeType",
]  # fmt: skip
