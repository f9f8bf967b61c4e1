"""The bundled component in wasmtime-py: compiled once per process, one store and
instance per session (a trap then spoils only that session's instance)."""

from __future__ import annotations

from collections.abc import Callable
from functools import cache
from importlib.resources import as_file, files
from typing import Any

from wasmtime import Engine, Store, WasiConfig
from wasmtime.component import Component, Linker, Variant

from .errors import from_wit

WASM = "infomaniak_block_storage.wasm"
PACKAGE = "infomaniak:block-storage"
VERSION = "0.2.0"


@cache
def _compiled() -> tuple[Engine, Component, Linker]:
    engine = Engine()
    with as_file(files(__package__).joinpath(WASM)) as path:
        component = Component.from_file(engine, str(path))
    linker = Linker(engine)
    linker.add_wasip2()
    linker.add_wasi_http()
    return engine, component, linker


class Instance:
    """One store and instance; `stderr` receives the component's failure log (None: the
    process's stderr)."""

    def __init__(self, stderr: Callable[[str], None] | None) -> None:
        engine, component, linker = _compiled()
        self.store = Store(engine)
        wasi = WasiConfig()
        if stderr is None:
            wasi.inherit_stderr()
        else:
            wasi.stderr_custom = lambda data: stderr(bytes(data).decode("utf-8", "replace"))
        self.store.set_wasi(wasi)
        self.store.set_wasi_http()
        self.instance = linker.instantiate(self.store, component)
        self._funcs: dict[tuple[str, str], Any] = {}

    def call(self, interface: str, name: str, *args: Any) -> Any:
        """Calls the WIT function; a WIT error is raised as its BlockStorageError."""
        result = self._func(interface, name)(self.store, *args)
        # No function answers a variant except as its error: wasmtime-py does not tag results.
        if isinstance(result, Variant):
            raise from_wit(result.tag, result.payload)
        return result

    def _func(self, interface: str, name: str) -> Any:
        key = (interface, name)
        if key not in self._funcs:
            iface = self.instance.get_export_index(self.store, f"{PACKAGE}/{interface}@{VERSION}")
            index = self.instance.get_export_index(self.store, name, iface)
            if index is None:
                raise AttributeError(f"the component has no function {interface}.{name}")
            self._funcs[key] = self.instance.get_func(self.store, index)
        return self._funcs[key]
