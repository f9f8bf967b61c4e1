"""Typed errors through wasmtime-py: the WIT `error` variant comes back as
`Variant(tag, payload)` (raised by the harness as ComponentError), `api-error` as a record
whose none options are None."""

import re
import socket
import time

import pytest
from wasmtime import WasmtimeError
from wasmtime.component import Variant

from harness import ComponentError, Mock, Rec, assert_no_secret, mock_config

UNKNOWN = "0b7c9a42-7f0e-4c4e-9d1b-000000000000"
WRONG_SECRET = "wrong-secret-for-the-python-tests-3f9a"


@pytest.fixture(scope="module")
def bs(host):
    return host.instance()


@pytest.fixture(scope="module")
def s(bs, mock):
    session = bs.connect(mock_config(mock.info))
    yield session
    bs.drop(session)


def error(f, *args) -> ComponentError:
    with pytest.raises(ComponentError) as e:
        f(*args)
    return e.value


def test_not_found_carries_api_error_fields_and_is_logged(bs, s):
    e = error(bs.volumes.get, s, UNKNOWN)
    assert e.tag == "not-found"
    assert e.val.status == 404
    assert e.val.message == f"Volume {UNKNOWN} could not be found."
    assert re.fullmatch(r"req-[0-9a-f-]{36}", e.val.request_id)
    assert e.val.retry_after_s is None
    assert f"volumes.get {UNKNOWN} failed: not-found status=404 request-id={e.val.request_id}" in bs.log()
    assert error(bs.snapshots.get, s, UNKNOWN).val.status == 404
    assert error(bs.backups.get, s, UNKNOWN).val.status == 404


def test_invalid_input_before_any_request(host):
    # A session on a mock that is then stopped: any request would fail with `transport`.
    own = Mock()
    inst = host.instance()
    try:
        t = inst.connect(mock_config(own.info, timeout_ms=5000))
    finally:
        own.stop()
    for bad in ["", "..", "a/b", "x y", "é", "x" * 256]:
        e = error(inst.volumes.get, t, bad)
        assert (e.tag, e.val[:4]) == ("invalid-input", "id: ")
    assert error(inst.volumes.create, t, Rec(size=0, metadata=[])).val.startswith("size: ")
    assert error(inst.volumes.create, t, Rec(size=1, name="a\x00b", metadata=[])).val.startswith("name: ")
    assert error(inst.volumes.attach, t, "vol", "../srv", None).val.startswith("server-id: ")
    # ...whereas a valid call does try the (now closed) port.
    assert error(inst.volumes.get, t, UNKNOWN).tag == "transport"
    inst.drop(t)


def test_transport_after_timeout_when_server_never_answers(bs):
    # A socket that listens and never accepts: the kernel completes the connection and the
    # request then waits.
    with socket.socket() as listener:
        listener.bind(("127.0.0.1", 0))
        listener.listen(8)
        port = listener.getsockname()[1]
        cfg = Rec(
            auth_url="",
            credentials=Variant("token", "a-token"),
            block_storage_url=f"http://127.0.0.1:{port}/volume/v3/p",
            timeout_ms=1000,
        )
        start = time.monotonic()
        e = error(bs.connect, cfg)
        took = time.monotonic() - start
    assert e.tag == "transport"
    # The component's own deadline or the host's first-byte timeout, whichever fires first.
    assert "timed out" in e.val
    assert 1.0 <= took < 5.0


def test_unauthorized_for_wrong_secret_never_echoed(bs, mock):
    cfg = mock_config(mock.info)
    cfg.credentials.payload.secret = WRONG_SECRET
    e = error(bs.connect, cfg)
    assert e.tag == "unauthorized"
    assert e.val.status == 401
    assert "requires authentication" in e.val.message
    assert e.val.request_id.startswith("req-")
    assert "session.connect failed: unauthorized status=401" in bs.log()
    for secret in (WRONG_SECRET, mock.info["app_cred_secret"]):
        assert_no_secret(repr(e) + str(e), secret, "the error")
        assert_no_secret(bs.log(), secret, "stderr")


def test_over_limit_above_quota_with_retry_after(bs, s):
    e = error(bs.volumes.create, s, Rec(size=5000, name="too-big", metadata=[]))
    assert e.tag == "over-limit"
    assert e.val.status == 413
    assert "VolumeSizeExceedsAvailableQuota" in e.val.message
    assert e.val.retry_after_s == 0
    assert bs.volumes.list(s, Rec(name="too-big", metadata=[])) == []


def test_forbidden_force_delete_for_normal_user(bs, s):
    v = bs.volumes.create(s, Rec(size=1, name="python-forbidden", metadata=[]))
    bs.volumes.wait_for(s, v.id, "available", 60)
    e = error(bs.volumes.delete, s, v.id, True, False)
    assert (e.tag, e.val.status) == ("forbidden", 403)
    assert "force_delete" in e.val.message
    bs.volumes.delete(s, v.id, False, False)
    assert bs.volumes.wait_for(s, v.id, "deleted", 60) is None


def test_no_endpoint_for_unknown_region(bs, mock):
    e = error(bs.connect, mock_config(mock.info, region="nowhere-1"))
    assert e.tag == "no-endpoint"
    assert "nowhere-1" in e.val


def test_wait_timeout_carries_last_status(bs, s):
    v = bs.volumes.create(s, Rec(size=1, name="python-timeout", metadata=[]))
    bs.volumes.wait_for(s, v.id, "available", 60)
    e = error(bs.volumes.wait_for, s, v.id, "in-use", 1)
    assert e.tag == "wait-timeout"
    assert "available" in e.val
    bs.volumes.delete(s, v.id, False, False)
    bs.volumes.wait_for(s, v.id, "deleted", 60)


def test_host_side_type_error_leaves_instance_usable(bs, s):
    with pytest.raises(TypeError):
        bs.volumes.get(s, 42)
    assert bs.method(s, "microversion").startswith("3.")


def test_dropped_session_traps_and_poisons_the_instance(host, mock):
    inst = host.instance()
    t = inst.connect(mock_config(mock.info))
    inst.drop(t)
    with pytest.raises(WasmtimeError, match="unknown handle index"):
        inst.volumes.list(t, Rec(metadata=[]))
    with pytest.raises(WasmtimeError, match="cannot enter component instance"):
        inst.connect(mock_config(mock.info))


def test_secret_never_on_stderr(bs, mock):
    assert_no_secret(bs.log(), mock.info["app_cred_secret"], "stderr")
    assert_no_secret(bs.log(), WRONG_SECRET, "stderr")
