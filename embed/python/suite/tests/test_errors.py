"""Typed errors through the installed package: a WIT error is raised as the
BlockStorageError subclass of its kind, with the api-error fields (`status`, `request_id`,
`retry_after`) as attributes, None for a none option."""

import re
import socket
import time

import pytest

from infomaniak_block_storage import ApplicationCredential, Config, ListOptions, Token, VolumeCreate

from harness import error, Mock, assert_no_secret, mock_config

UNKNOWN = "0b7c9a42-7f0e-4c4e-9d1b-000000000000"
WRONG_SECRET = "wrong-secret-for-the-python-tests-3f9a"


@pytest.fixture(scope="module")
def s(bs, mock):
    session = bs.connect(mock_config(mock.info))
    yield session
    session.close()


def test_not_found_carries_api_error_fields_and_is_logged(bs, s):
    e = error(s.volumes.get, UNKNOWN)
    assert e.kind == "not-found"
    assert e.status == 404
    assert e.message == f"Volume {UNKNOWN} could not be found."
    assert re.fullmatch(r"req-[0-9a-f-]{36}", e.request_id)
    assert e.retry_after is None
    assert f"volumes.get {UNKNOWN} failed: not-found status=404 request-id={e.request_id}" in bs.log()
    assert error(s.snapshots.get, UNKNOWN).status == 404
    assert error(s.backups.get, UNKNOWN).status == 404


def test_invalid_input_before_any_request(bs):
    # A session on a mock that is then stopped: any request would fail with `transport`.
    own = Mock()
    try:
        t = bs.connect(mock_config(own.info, timeout_ms=5000))
    finally:
        own.stop()
    for bad in ["", "..", "a/b", "x y", "é", "x" * 256]:
        e = error(t.volumes.get, bad)
        assert (e.kind, e.message[:4]) == ("invalid-input", "id: ")
    assert error(t.volumes.create, VolumeCreate(size=0)).message.startswith("size: ")
    assert error(t.volumes.create, VolumeCreate(size=1, name="a\x00b")).message.startswith("name: ")
    assert error(t.volumes.attach, "vol", "../srv", None).message.startswith("server-id: ")
    # ...whereas a valid call does try the (now closed) port.
    assert error(t.volumes.get, UNKNOWN).kind == "transport"
    t.close()


def test_transport_after_timeout_when_server_never_answers(bs):
    # A socket that listens and never accepts: the kernel completes the connection and the
    # request then waits.
    with socket.socket() as listener:
        listener.bind(("127.0.0.1", 0))
        listener.listen(8)
        port = listener.getsockname()[1]
        cfg = Config(
            credentials=Token("a-token"),
            block_storage_url=f"http://127.0.0.1:{port}/volume/v3/p",
            timeout_ms=1000,
        )
        start = time.monotonic()
        e = error(bs.connect, cfg)
        took = time.monotonic() - start
    assert e.kind == "transport"
    # The component's own deadline or the host's first-byte timeout, whichever fires first.
    assert "timed out" in e.message
    assert 1.0 <= took < 5.0


def test_unauthorized_for_wrong_secret_never_echoed(bs, mock):
    cfg = mock_config(mock.info, credentials=ApplicationCredential(mock.info["app_cred_id"], WRONG_SECRET))
    e = error(bs.connect, cfg)
    assert e.kind == "unauthorized"
    assert e.status == 401
    assert "requires authentication" in e.message
    assert e.request_id.startswith("req-")
    assert "session.connect failed: unauthorized status=401" in bs.log()
    for secret in (WRONG_SECRET, mock.info["app_cred_secret"]):
        assert_no_secret(repr(e) + str(e), secret, "the error")
        assert_no_secret(bs.log(), secret, "stderr")


def test_over_limit_above_quota_with_retry_after(bs, s):
    e = error(s.volumes.create, VolumeCreate(size=5000, name="too-big"))
    assert e.kind == "over-limit"
    assert e.status == 413
    assert "VolumeSizeExceedsAvailableQuota" in e.message
    assert e.retry_after == 0
    assert s.volumes.list(ListOptions(name="too-big")) == []


def test_forbidden_force_delete_for_normal_user(bs, s):
    v = s.volumes.create(VolumeCreate(size=1, name="python-forbidden"))
    s.volumes.wait_for(v.id, "available", 60)
    e = error(s.volumes.delete, v.id, force=True)
    assert (e.kind, e.status) == ("forbidden", 403)
    assert "force_delete" in e.message
    s.volumes.delete(v.id)
    assert s.volumes.wait_for(v.id, "deleted", 60) is None


def test_no_endpoint_for_unknown_region(bs, mock):
    e = error(bs.connect, mock_config(mock.info, region="nowhere-1"))
    assert e.kind == "no-endpoint"
    assert "nowhere-1" in e.message


def test_wait_timeout_carries_last_status(bs, s):
    v = s.volumes.create(VolumeCreate(size=1, name="python-timeout"))
    s.volumes.wait_for(v.id, "available", 60)
    e = error(s.volumes.wait_for, v.id, "in-use", 1)
    assert e.kind == "wait-timeout"
    assert "available" in e.message
    s.volumes.delete(v.id)
    s.volumes.wait_for(v.id, "deleted", 60)


def test_host_side_type_error_leaves_instance_usable(bs, s):
    with pytest.raises(TypeError):
        s.volumes.get(42)  # type: ignore[arg-type]
    assert s.microversion().startswith("3.")


def test_a_closed_session_refuses_calls_without_entering_the_component(bs, s, mock):
    # wasmtime would trap on the dropped handle and refuse the instance from then on: the
    # session checks first, and each session has an instance of its own.
    t = bs.connect(mock_config(mock.info))
    t.close()
    assert t.closed
    with pytest.raises(ValueError, match="the session is closed"):
        t.volumes.list()
    with pytest.raises(ValueError, match="the session is closed"):
        t.microversion()
    t.close()  # closing twice is no error
    assert s.volumes.list(ListOptions(name="nothing-by-this-name")) == []


def test_secret_never_on_stderr(bs, mock):
    assert_no_secret(bs.log(), mock.info["app_cred_secret"], "stderr")
    assert_no_secret(bs.log(), WRONG_SECRET, "stderr")
