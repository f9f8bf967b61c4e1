"""Test harness: the component in wasmtime-py (`Store.set_wasi_http()`) and the mock cloud
as a separate process.

wasmtime-py's component API is dynamic: a WIT record is any object with attributes named
as in the WIT (kebab-case), a variant is `Variant(tag, payload)`, an option is the value or
None, and a `result<T, error>` comes back as T or, for an error, as the error `Variant`
(the two cases have different Python types, so the result is not tagged). `call` turns that
error into a `ComponentError` and answers records as namespaces with snake_case names.
"""

from __future__ import annotations

import atexit
import json
import os
import subprocess
from pathlib import Path
from types import SimpleNamespace
from typing import Any

from wasmtime import Engine, Store, WasiConfig
from wasmtime.component import Component, Linker, Record, ResourceAny, Variant

ROOT = Path(__file__).resolve().parents[2]
TARGET = Path(os.environ.get("EMBED_TARGET_DIR", ROOT / "target" / "embed"))
WASM = Path(os.environ.get("BLOCK_STORAGE_WASM", TARGET / "wasm32-wasip2" / "release" / "infomaniak_block_storage.wasm"))
MOCK_BIN = Path(os.environ.get("MOCK_CLOUD_BIN", TARGET / "release" / "mock-cloud"))
PACKAGE = "infomaniak:block-storage"
VERSION = "0.2.0"


class Rec(Record):
    """A WIT record to pass in: `Rec(auth_url=...)` sets `auth-url`; fields not given are none."""

    def __init__(self, **fields: Any) -> None:
        self.__dict__.update({k.replace("_", "-"): v for k, v in fields.items()})

    def __getattr__(self, name: str) -> Any:
        if name.startswith("__"):
            raise AttributeError(name)
        return None


class ComponentError(Exception):
    """A WIT `error` returned by the component: `tag` and `val` (a namespace for api-error)."""

    def __init__(self, tag: str, val: Any) -> None:
        super().__init__(tag, val)
        self.tag = tag
        self.val = val


def to_py(value: Any) -> Any:
    """Records as namespaces with snake_case attributes, recursively."""
    if isinstance(value, Record):
        return SimpleNamespace(**{k.replace("-", "_"): to_py(v) for k, v in vars(value).items()})
    if isinstance(value, Variant):
        return Variant(value.tag, to_py(value.payload))
    if isinstance(value, list):
        return [to_py(v) for v in value]
    if isinstance(value, tuple):
        return tuple(to_py(v) for v in value)
    return value


class Host:
    """Compiles the component once; `instance()` gives a fresh store and instance."""

    def __init__(self, wasm: Path = WASM) -> None:
        self.engine = Engine()
        self.component = Component.from_file(self.engine, str(wasm))
        self.linker = Linker(self.engine)
        self.linker.add_wasip2()
        self.linker.add_wasi_http()

    def instance(self) -> "Instance":
        return Instance(self)


class _Interface:
    def __init__(self, inst: "Instance", name: str) -> None:
        self._inst, self._name = inst, name

    def __getattr__(self, func: str) -> Any:
        return lambda *args: self._inst.call(self._name, func.replace("_", "-"), *args)


class Instance:
    """One store and instance. After a trap wasmtime refuses to enter the instance again,
    so tests that provoke one take their own."""

    def __init__(self, host: Host) -> None:
        self.store = Store(host.engine)
        self.stderr: list[str] = []
        wasi = WasiConfig()
        wasi.stderr_custom = lambda data: self.stderr.append(bytes(data).decode("utf-8", "replace"))
        self.store.set_wasi(wasi)
        self.store.set_wasi_http()
        self.instance = host.linker.instantiate(self.store, host.component)
        self._funcs: dict[tuple[str, str], Any] = {}
        self.session = _Interface(self, "session")
        self.volumes = _Interface(self, "volumes")
        self.snapshots = _Interface(self, "snapshots")
        self.backups = _Interface(self, "backups")
        self.project = _Interface(self, "project")
        self.transfers = _Interface(self, "transfers")

    def func(self, interface: str, name: str) -> Any:
        key = (interface, name)
        if key not in self._funcs:
            iface = self.instance.get_export_index(self.store, f"{PACKAGE}/{interface}@{VERSION}")
            assert iface is not None, f"no export {interface}"
            idx = self.instance.get_export_index(self.store, name, iface)
            assert idx is not None, f"no function {interface}.{name}"
            self._funcs[key] = self.instance.get_func(self.store, idx)
        return self._funcs[key]

    def call(self, interface: str, name: str, *args: Any) -> Any:
        r = self.func(interface, name)(self.store, *args)
        if isinstance(r, Variant):
            raise ComponentError(r.tag, to_py(r.payload))
        return to_py(r)

    def delete(self, interface: str, session: ResourceAny, id_: str, force: bool = False) -> Any:
        """A plain delete in any interface: `volumes.delete` also takes `cascade` (false here)."""
        extra = (False,) if interface == "volumes" else ()
        return self.call(interface, "delete", session, id_, force, *extra)

    def connect(self, cfg: Rec) -> ResourceAny:
        return self.call("session", "connect", cfg)

    def method(self, session: ResourceAny, name: str) -> Any:
        return self.call("session", f"[method]session.{name}", session)

    def drop(self, session: ResourceAny) -> None:
        session.drop(self.store)

    def log(self) -> str:
        return "".join(self.stderr)


def mock_config(info: dict, **extra: Any) -> Rec:
    cred = Rec(id=info["app_cred_id"], secret=info["app_cred_secret"])
    fields = {"auth_url": info["auth_url"], "credentials": Variant("application-credential", cred)}
    fields.update(extra)
    return Rec(**fields)


class Mock:
    """The `mock-cloud` binary in its own process, with the JSON line it printed."""

    def __init__(self, *args: str) -> None:
        self.proc = subprocess.Popen(
            [str(MOCK_BIN), *args], stdin=subprocess.DEVNULL, stdout=subprocess.PIPE, stderr=subprocess.PIPE, text=True
        )
        line = self.proc.stdout.readline() if self.proc.stdout else ""
        if not line:
            self.proc.wait(5)
            raise RuntimeError(f"mock-cloud exited with {self.proc.returncode}: {self.proc.stderr.read().strip()}")
        self.info: dict = json.loads(line)
        atexit.register(self.stop)  # also when a test fails before stopping it

    def stop(self) -> None:
        if self.proc.poll() is None:
            self.proc.kill()
        self.proc.wait(10)
        for f in (self.proc.stdout, self.proc.stderr):
            if f:
                f.close()


def assert_no_secret(text: str, secret: str, where: str) -> None:
    """Fails without showing the secret (pytest would print the compared values)."""
    assert secret
    leaked = secret in text
    assert not leaked, f"a secret appears in {where}"
