"""The volume lifecycle through wasmtime-py, against the mock cloud in its own process: the
same steps as the Rust host's demo (host-test/src/lifecycle.rs). The tests are steps of one
scenario and run in file order."""

import pytest

from harness import Rec, assert_no_secret, mock_config

WAIT_S = 120
state: dict = {}


@pytest.fixture(scope="module")
def bs(host, mock):
    inst = host.instance()
    yield inst
    # Best effort: whatever a failed step left behind.
    s = state.get("session")
    if s is not None:
        for interface, key in [("volumes", "restored"), ("backups", "backup"), ("snapshots", "snapshot"), ("volumes", "volume")]:
            if state.get("attached_to") and key == "volume":
                _try(lambda: inst.volumes.detach(s, state["volume"], state["attached_to"]))
            if state.get(key):
                _try(lambda: inst.delete(interface, s, state[key]))
        _try(lambda: inst.drop(s))


def _try(f):
    try:
        f()
    except Exception:
        pass


def test_connect_with_application_credential(bs, mock):
    s = bs.connect(mock_config(mock.info, region="dc3-a"))
    state["session"] = s
    assert bs.method(s, "project-id") == mock.info["project_id"]
    assert bs.method(s, "block-storage-url") == mock.info["block_storage_url"]
    assert bs.method(s, "microversion").startswith("3.")


def test_create_volume_and_wait_available(bs):
    s = state["session"]
    v = bs.volumes.create(
        s,
        Rec(size=1, name="python-volume", description="created from Python", metadata=[("purpose", "embed"), ("host", "python")]),
    )
    state["volume"] = v.id
    assert v.status == "creating"
    assert v.size == 1
    assert v.snapshot_id is None  # option none -> None
    assert v.metadata == [("host", "python"), ("purpose", "embed")]  # sorted by key
    w = bs.volumes.wait_for(s, v.id, "available", WAIT_S)
    assert w.status == "available"
    assert w.bootable is False
    assert w.attachments == []
    assert bs.volumes.get(s, v.id).name == "python-volume"


def test_extend_volume(bs):
    s = state["session"]
    assert bs.volumes.extend(s, state["volume"], 2) is None  # result<_, error>
    assert bs.volumes.wait_for(s, state["volume"], "available", WAIT_S).size == 2


def test_snapshot(bs):
    s = state["session"]
    sn = bs.snapshots.create(s, Rec(volume_id=state["volume"], name="python-snapshot", force=False, metadata=[]))
    state["snapshot"] = sn.id
    assert sn.volume_id == state["volume"]
    assert bs.snapshots.wait_for(s, sn.id, "available", WAIT_S).status == "available"
    assert any(x.id == sn.id for x in bs.snapshots.list(s, Rec(status="available", metadata=[])))


def test_backup(bs):
    s = state["session"]
    b = bs.backups.create(s, Rec(volume_id=state["volume"], name="python-backup", incremental=False, force=False, metadata=[]))
    state["backup"] = b.id
    assert b.name == "python-backup"
    assert b.is_incremental is False
    assert bs.backups.wait_for(s, b.id, "available", WAIT_S).status == "available"
    assert bs.volumes.wait_for(s, state["volume"], "available", WAIT_S).status == "available"


def test_restore_to_new_volume(bs):
    s = state["session"]
    r = bs.backups.restore(s, state["backup"], None, "python-restored")
    state["restored"] = r.volume_id
    assert r.backup_id == state["backup"]
    assert r.volume_id != state["volume"]
    assert r.volume_name == "python-restored"
    assert bs.volumes.wait_for(s, r.volume_id, "available", WAIT_S).size == 2
    assert bs.backups.wait_for(s, state["backup"], "available", WAIT_S).status == "available"


def test_attach_to_server(bs, mock):
    s = state["session"]
    server = mock.info["server_ids"][0]
    a = bs.volumes.attach(s, state["volume"], server, None)
    state["attached_to"] = server
    assert a.server_id == server
    assert a.attachment_id is None  # Nova's answer has no attachment id
    assert (a.device or "").startswith("/dev/")
    v = bs.volumes.wait_for(s, state["volume"], "in-use", WAIT_S)
    assert [x.server_id for x in v.attachments] == [server]
    assert v.attachments[0].attachment_id


def test_detach(bs, mock):
    s = state["session"]
    bs.volumes.detach(s, state["volume"], mock.info["server_ids"][0])
    state["attached_to"] = None
    assert bs.volumes.wait_for(s, state["volume"], "available", WAIT_S).attachments == []


def test_delete_everything(bs):
    s = state["session"]
    for interface, key in [("volumes", "restored"), ("backups", "backup"), ("snapshots", "snapshot"), ("volumes", "volume")]:
        assert bs.delete(interface, s, state[key]) is None
        assert bs.call(interface, "wait-for", s, state[key], "deleted", WAIT_S) is None
        state[key] = None


def test_nothing_left_on_the_mock(bs):
    s = state["session"]
    assert bs.volumes.list(s, Rec(metadata=[])) == []
    assert bs.snapshots.list(s, Rec(metadata=[])) == []
    assert bs.backups.list(s, Rec(metadata=[])) == []


def test_successful_calls_are_silent(bs, mock):
    assert_no_secret(bs.log(), mock.info["app_cred_secret"], "stderr")
    assert bs.log() == ""
