"""The installed wheel's own layer: where it is imported from and what it ships, one
exception class per error kind, dataclasses that keep secrets out of their repr, metadata
as a mapping, and a refused token that is never echoed."""

import sys
from importlib.resources import files
from pathlib import Path

import pytest

import infomaniak_block_storage as ibs
from harness import ROOT, Client, assert_no_secret, mock_config
from infomaniak_block_storage import (
    ERROR_CLASSES,
    ApplicationCredential,
    BlockStorageError,
    Config,
    ErrorKind,
    InvalidInputError,
    ListOptions,
    PasswordCredential,
    Token,
    TransferCreated,
    Transfer,
    UnauthorizedError,
    VolumeCreate,
)

SECRET = "a-secret-that-must-not-show-7b3e"


def test_imported_from_the_venv_with_the_component_and_py_typed():
    where = Path(ibs.__file__).resolve()
    assert where.is_relative_to(Path(sys.prefix).resolve()), where
    assert not where.is_relative_to(ROOT), f"imported from the source tree: {where}"
    assert files(ibs).joinpath("py.typed").is_file()
    wasm = files(ibs).joinpath("infomaniak_block_storage.wasm").read_bytes()
    assert wasm[:8] == b"\0asm\x0d\x00\x01\x00"  # a component, not a core module
    assert ibs.__version__ == "0.2.0"


def test_one_exception_class_per_error_kind():
    assert set(ERROR_CLASSES) == set(ErrorKind)
    assert len(set(ERROR_CLASSES.values())) == len(ErrorKind) == 13
    for kind, cls in ERROR_CLASSES.items():
        assert issubclass(cls, BlockStorageError) and cls is not BlockStorageError
        assert cls.kind is kind and kind == kind.value  # equal to the WIT name as a string
        assert getattr(ibs, cls.__name__) is cls
        e = cls("text", status=400)
        assert (e.message, e.status, e.request_id, e.retry_after) == ("text", 400, None, None)
        assert str(e) == f"{kind.value} 400: text"


def test_secrets_are_not_in_the_repr_of_credentials_and_transfers():
    for cred in (
        ApplicationCredential("id", SECRET),
        PasswordCredential(user_name="u", password=SECRET, project_name="p"),
        Token(SECRET),
    ):
        assert_no_secret(repr(Config(credentials=cred)), SECRET, f"repr of {type(cred).__name__}")
    created = TransferCreated(Transfer("t", None, "v", ""), SECRET)
    assert_no_secret(repr(created), SECRET, "repr of TransferCreated")


def test_credentials_of_another_type_are_refused_naming_the_field():
    with pytest.raises(TypeError, match="^credentials: "):
        ibs.connect(Config(credentials=SECRET))  # type: ignore[arg-type]


def test_a_u32_out_of_range_is_invalid_input_naming_the_field_before_any_request(mock):
    def refused(field, f, *args, **kwargs):
        with pytest.raises(InvalidInputError) as e:
            f(*args, **kwargs)
        assert e.value.message == f"{field}: must be an integer from 0 to 4294967295"

    # Port 9 of localhost: a request would be `transport`.
    closed = dict(credentials=Token("a-token"), block_storage_url="http://127.0.0.1:9/v3/p", microversion="3.0")
    refused("timeout-ms", ibs.connect, Config(**closed, timeout_ms=-1))
    refused("max-response-bytes", ibs.connect, Config(**closed, max_response_bytes=2**32))
    with Client().connect(mock_config(mock.info)) as s:
        for size in (-1, 2**32):
            refused("size", s.volumes.create, VolumeCreate(size=size))
        refused("limit", s.volumes.list, ListOptions(limit=-1))
        refused("page-size", s.snapshots.list, ListOptions(page_size=2**32))
        refused("new-size", s.volumes.extend, "vol", -1)
        refused("timeout-s", s.backups.wait_for, "b", "available", -1)
        assert s.volumes.list() == []  # nothing was created


def test_metadata_as_a_mapping_limits_as_ints_and_the_session_as_a_context_manager(mock):
    with Client().connect(mock_config(mock.info)) as s:
        v = s.volumes.create(VolumeCreate(size=1, name="python-mapping", metadata={"b": "2", "a": "1"}))
        assert v.metadata == [("a", "1"), ("b", "2")]  # pairs, sorted by key
        s.volumes.wait_for(v.id, "available", 60)
        assert [x.id for x in s.volumes.list(ListOptions(metadata={"a": "1"}))] == [v.id]
        assert s.volumes.set_metadata(v.id, {"c": "3"}) == [("a", "1"), ("b", "2"), ("c", "3")]
        q = s.project.limits()
        assert (q.volumes_used, q.gigabytes_used, q.max_volumes) == (1, 1, 10)
        s.volumes.delete(v.id)
        assert s.volumes.wait_for(v.id, "deleted", 60) is None
    assert s.closed


def test_a_refused_token_is_unauthorized_with_its_request_id_and_never_echoed(mock):
    token = "gAAAAA-not-a-token-of-this-cloud-2c9d"
    client = Client()
    with pytest.raises(UnauthorizedError) as caught:
        with client.connect(Config(credentials=Token(token), block_storage_url=mock.info["block_storage_url"])) as s:
            s.volumes.list()
    e = caught.value
    assert (e.kind, e.status) == ("unauthorized", 401)
    assert e.request_id and e.request_id.startswith("req-")
    assert_no_secret(repr(e) + str(e) + repr(vars(e)) + client.log(), token, "the error and the log")
