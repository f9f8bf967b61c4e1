"""`connect` and the `Session`: the WIT interfaces are its attributes, with the WIT's
function names in snake_case (`session.volumes.wait_for(...)` is `volumes.wait-for`)."""

from __future__ import annotations

import builtins
from collections.abc import Callable, Sequence
from types import TracebackType
from typing import Any, ClassVar

from wasmtime.component import ResourceAny

from . import types as t
from ._convert import lift, lower, lower_config, pairs, u32
from ._runtime import Instance

Pairs = builtins.list[tuple[str, str]]


class _Interface:
    """The functions of one WIT interface, called with the session's handle."""

    _name: ClassVar[str]

    def __init__(self, session: Session) -> None:
        self._session = session

    def _call(self, func: str, *args: Any) -> Any:
        return self._session._call(self._name, func, *args)


class Volumes(_Interface):
    _name = "volumes"

    def list(self, opts: t.ListOptions | None = None) -> builtins.list[t.Volume]:
        return [lift(t.Volume, v) for v in self._call("list", lower(opts or t.ListOptions()))]

    def get(self, id: str) -> t.Volume:
        return lift(t.Volume, self._call("get", id))

    def create(self, spec: t.VolumeCreate) -> t.Volume:
        return lift(t.Volume, self._call("create", lower(spec)))

    def delete(self, id: str, *, force: bool = False, cascade: bool = False) -> None:
        self._call("delete", id, force, cascade)

    def extend(self, id: str, new_size: int) -> None:
        self._call("extend", id, u32("new-size", new_size))

    def attach(self, id: str, server_id: str, device: str | None = None) -> t.Attachment:
        return lift(t.Attachment, self._call("attach", id, server_id, device))

    def detach(self, id: str, server_id: str) -> None:
        self._call("detach", id, server_id)

    def wait_for(self, id: str, status: str, timeout_s: int) -> t.Volume | None:
        """With status `deleted`: waits until the volume is gone and returns None."""
        v = self._call("wait-for", id, status, u32("timeout-s", timeout_s))
        return None if v is None else lift(t.Volume, v)

    def update(self, id: str, changes: t.ResourceUpdate) -> t.Volume:
        return lift(t.Volume, self._call("update", id, lower(changes)))

    def set_metadata(self, id: str, items: t.MetadataInput) -> Pairs:
        return list(self._call("set-metadata", id, pairs(items)))

    def unset_metadata(self, id: str, keys: Sequence[str]) -> None:
        self._call("unset-metadata", id, builtins.list(keys))

    def set_bootable(self, id: str, bootable: bool) -> None:
        self._call("set-bootable", id, bootable)

    def set_read_only(self, id: str, read_only: bool) -> None:
        self._call("set-read-only", id, read_only)

    def retype(self, id: str, volume_type: str, *, migrate: bool = False) -> None:
        self._call("retype", id, volume_type, migrate)

    def revert_to_snapshot(self, id: str, snapshot_id: str) -> None:
        self._call("revert-to-snapshot", id, snapshot_id)

    def upload_to_image(self, id: str, spec: t.ImageUpload) -> t.UploadedImage:
        return lift(t.UploadedImage, self._call("upload-to-image", id, lower(spec)))


class Snapshots(_Interface):
    _name = "snapshots"

    def list(self, opts: t.ListOptions | None = None) -> builtins.list[t.Snapshot]:
        return [lift(t.Snapshot, v) for v in self._call("list", lower(opts or t.ListOptions()))]

    def get(self, id: str) -> t.Snapshot:
        return lift(t.Snapshot, self._call("get", id))

    def create(self, spec: t.SnapshotCreate) -> t.Snapshot:
        return lift(t.Snapshot, self._call("create", lower(spec)))

    def delete(self, id: str, *, force: bool = False) -> None:
        self._call("delete", id, force)

    def wait_for(self, id: str, status: str, timeout_s: int) -> t.Snapshot | None:
        v = self._call("wait-for", id, status, u32("timeout-s", timeout_s))
        return None if v is None else lift(t.Snapshot, v)

    def update(self, id: str, changes: t.ResourceUpdate) -> t.Snapshot:
        return lift(t.Snapshot, self._call("update", id, lower(changes)))

    def set_metadata(self, id: str, items: t.MetadataInput) -> Pairs:
        return list(self._call("set-metadata", id, pairs(items)))

    def unset_metadata(self, id: str, keys: Sequence[str]) -> None:
        self._call("unset-metadata", id, builtins.list(keys))


class Backups(_Interface):
    _name = "backups"

    def list(self, opts: t.ListOptions | None = None) -> builtins.list[t.Backup]:
        return [lift(t.Backup, v) for v in self._call("list", lower(opts or t.ListOptions()))]

    def get(self, id: str) -> t.Backup:
        return lift(t.Backup, self._call("get", id))

    def create(self, spec: t.BackupCreate) -> t.Backup:
        return lift(t.Backup, self._call("create", lower(spec)))

    def restore(self, id: str, *, volume_id: str | None = None, name: str | None = None) -> t.Restored:
        """Onto `volume_id`, or else into a new volume named `name`."""
        return lift(t.Restored, self._call("restore", id, volume_id, name))

    def delete(self, id: str, *, force: bool = False) -> None:
        self._call("delete", id, force)

    def wait_for(self, id: str, status: str, timeout_s: int) -> t.Backup | None:
        v = self._call("wait-for", id, status, u32("timeout-s", timeout_s))
        return None if v is None else lift(t.Backup, v)

    def update(self, id: str, changes: t.ResourceUpdate) -> t.Backup:
        return lift(t.Backup, self._call("update", id, lower(changes)))

    def set_metadata(self, id: str, items: t.MetadataInput) -> Pairs:
        return list(self._call("set-metadata", id, pairs(items)))

    def unset_metadata(self, id: str, keys: Sequence[str]) -> None:
        self._call("unset-metadata", id, builtins.list(keys))


class Project(_Interface):
    _name = "project"

    def volume_types(self) -> list[t.VolumeType]:
        return [lift(t.VolumeType, v) for v in self._call("volume-types")]

    def default_volume_type(self) -> t.VolumeType:
        return lift(t.VolumeType, self._call("default-volume-type"))

    def availability_zones(self) -> list[t.AvailabilityZone]:
        return [lift(t.AvailabilityZone, z) for z in self._call("availability-zones")]

    def limits(self) -> t.Limits:
        return lift(t.Limits, self._call("limits"))

    def messages(self, resource_id: str | None = None) -> list[t.Message]:
        return [lift(t.Message, m) for m in self._call("messages", resource_id)]


class Transfers(_Interface):
    _name = "transfers"

    def create(self, volume_id: str, name: str | None = None) -> t.TransferCreated:
        return lift(t.TransferCreated, self._call("create", volume_id, name))

    def list(self) -> builtins.list[t.Transfer]:
        return [lift(t.Transfer, x) for x in self._call("list")]

    def get(self, id: str) -> t.Transfer:
        return lift(t.Transfer, self._call("get", id))

    def accept(self, id: str, auth_key: str) -> t.Transfer:
        return lift(t.Transfer, self._call("accept", id, auth_key))

    def delete(self, id: str) -> None:
        self._call("delete", id)


class Session:
    """An authenticated session (WIT `session`), made by `connect`; a context manager
    that closes it."""

    def __init__(self, instance: Instance, handle: ResourceAny) -> None:
        self._instance = instance
        self._handle: ResourceAny | None = handle
        self.volumes = Volumes(self)
        self.snapshots = Snapshots(self)
        self.backups = Backups(self)
        self.project = Project(self)
        self.transfers = Transfers(self)

    def project_id(self) -> str | None:
        result: str | None = self._call("session", "[method]session.project-id")
        return result

    def block_storage_url(self) -> str:
        result: str = self._call("session", "[method]session.block-storage-url")
        return result

    def microversion(self) -> str:
        result: str = self._call("session", "[method]session.microversion")
        return result

    @property
    def closed(self) -> bool:
        return self._handle is None

    def close(self) -> None:
        """Releases the session; later calls raise ValueError."""
        if self._handle is not None:
            self._handle.drop(self._instance.store)
            self._handle = None

    def __enter__(self) -> Session:
        return self

    def __exit__(self, exc_type: type[BaseException] | None, exc: BaseException | None, tb: TracebackType | None) -> None:
        self.close()

    def _call(self, interface: str, func: str, *args: Any) -> Any:
        # Checked here: a dropped handle would trap and spoil the instance.
        if self._handle is None:
            raise ValueError("the session is closed")
        return self._instance.call(interface, func, self._handle, *args)


def connect(config: t.Config, *, stderr: Callable[[str], None] | None = None) -> Session:
    """Authenticates, finds the endpoints and negotiates the microversion (WIT `connect`).
    `stderr` receives the component's log of failed calls (default: the process's stderr)."""
    instance = Instance(stderr)
    return Session(instance, instance.call("session", "connect", lower_config(config)))
