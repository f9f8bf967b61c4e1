"""Between the dataclasses and wasmtime-py's dynamic values: a WIT record is any object
whose attributes carry the WIT's kebab-case names, a variant is `Variant(tag, payload)`."""

from __future__ import annotations

import dataclasses
import types
from collections.abc import Mapping
from typing import Any, TypeVar, Union, get_args, get_origin, get_type_hints

from wasmtime.component import Record, Variant

from .errors import InvalidInputError
from .types import ApplicationCredential, Config, Credentials, MetadataInput, PasswordCredential, Token

T = TypeVar("T")


class _Fields(Record):
    """A record to pass in: attributes named as in the WIT."""

    def __init__(self, values: dict[str, Any]) -> None:
        self.__dict__.update(values)


def _wit_name(name: str) -> str:
    return name.replace("_", "-")


def pairs(metadata: MetadataInput) -> list[tuple[str, str]]:
    """Metadata as the WIT's `list<tuple<string, string>>`."""
    items = metadata.items() if isinstance(metadata, Mapping) else metadata
    return [(k, v) for k, v in items]


def lower(value: Any) -> Any:
    """A dataclass (recursively) as a WIT record."""
    if dataclasses.is_dataclass(value) and not isinstance(value, type):
        return _Fields({_wit_name(f.name): _lower_field(f.name, getattr(value, f.name)) for f in dataclasses.fields(value)})
    return value


def _lower_field(name: str, value: Any) -> Any:
    if name == "metadata":
        return pairs(value)
    if isinstance(value, int) and not isinstance(value, bool):  # every int field is a u32
        return u32(_wit_name(name), value)
    return lower(value)


U32_MAX = 2**32 - 1


def u32(field: str, value: int) -> int:
    """`value` as a WIT `u32`, or InvalidInputError naming `field`: wasmtime-py would wrap
    it silently (2**32 becomes 0)."""
    if isinstance(value, bool) or not isinstance(value, int) or not 0 <= value <= U32_MAX:
        raise InvalidInputError(f"{field}: must be an integer from 0 to {U32_MAX}")
    return value


def lower_credentials(credentials: Credentials) -> Variant:
    if isinstance(credentials, ApplicationCredential):
        return Variant("application-credential", lower(credentials))
    if isinstance(credentials, PasswordCredential):
        return Variant("password", lower(credentials))
    if isinstance(credentials, Token):
        return Variant("token", credentials.token)
    raise TypeError("credentials: an ApplicationCredential, a PasswordCredential or a Token")


def lower_config(config: Config) -> Record:
    values = {_wit_name(f.name): _lower_field(f.name, getattr(config, f.name)) for f in dataclasses.fields(config)}
    values["credentials"] = lower_credentials(config.credentials)
    return _Fields(values)


_HINTS: dict[type, dict[str, Any]] = {}


def _hints(cls: type) -> dict[str, Any]:
    """The dataclass's field types, evaluated once (the annotations are strings)."""
    if cls not in _HINTS:
        _HINTS[cls] = get_type_hints(cls)
    return _HINTS[cls]


def lift(cls: type[T], record: Any) -> T:
    """A WIT record returned by wasmtime-py as the dataclass `cls`."""
    hints = _hints(cls)
    return cls(**{f.name: _lift_value(hints[f.name], getattr(record, _wit_name(f.name))) for f in dataclasses.fields(cls)})  # type: ignore[arg-type]


def _lift_value(hint: Any, value: Any) -> Any:
    if value is None:
        return None
    origin = get_origin(hint)
    if origin in (Union, types.UnionType):  # an option: the one type besides None
        (inner,) = [a for a in get_args(hint) if a is not type(None)]
        return _lift_value(inner, value)
    if origin is list:
        (item,) = get_args(hint)
        return [_lift_value(item, v) for v in value]
    if origin is tuple:
        return tuple(value)
    if dataclasses.is_dataclass(hint):
        return lift(hint, value)  # type: ignore[arg-type]
    return value
