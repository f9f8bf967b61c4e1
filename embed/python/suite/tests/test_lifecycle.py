"""The volume lifecycle through the installed package, against the mock cloud in its own process: the
same steps as the Rust host's demo (host-test/src/lifecycle.rs). The tests are steps of one
scenario and run in file order."""

import pytest

from infomaniak_block_storage import BackupCreate, ListOptions, SnapshotCreate, VolumeCreate

from harness import Client, assert_no_secret, mock_config

WAIT_S = 120
state: dict = {}


@pytest.fixture(scope="module")
def bs(mock):
    inst = Client()
    yield inst
    # Best effort: whatever a failed step left behind.
    s = state.get("session")
    if s is not None:
        for interface, key in [("volumes", "restored"), ("backups", "backup"), ("snapshots", "snapshot"), ("volumes", "volume")]:
            if state.get("attached_to") and key == "volume":
                _try(lambda: s.volumes.detach(state["volume"], state["attached_to"]))
            if state.get(key):
                _try(lambda: getattr(s, interface).delete(state[key]))
        _try(lambda: s.close())


def _try(f):
    try:
        f()
    except Exception:
        pass


def test_connect_with_application_credential(bs, mock):
    s = bs.connect(mock_config(mock.info, region="dc3-a"))
    state["session"] = s
    assert s.project_id() == mock.info["project_id"]
    assert s.block_storage_url() == mock.info["block_storage_url"]
    assert s.microversion().startswith("3.")


def test_create_volume_and_wait_available(bs):
    s = state["session"]
    v = s.volumes.create(
        VolumeCreate(size=1, name="python-volume", description="created from Python", metadata=[("purpose", "embed"), ("host", "python")]),
    )
    state["volume"] = v.id
    assert v.status == "creating"
    assert v.size == 1
    assert v.snapshot_id is None  # option none -> None
    assert v.metadata == [("host", "python"), ("purpose", "embed")]  # sorted by key
    w = s.volumes.wait_for(v.id, "available", WAIT_S)
    assert w.status == "available"
    assert w.bootable is False
    assert w.attachments == []
    assert s.volumes.get(v.id).name == "python-volume"


def test_extend_volume(bs):
    s = state["session"]
    assert s.volumes.extend(state["volume"], 2) is None  # result<_, error>
    assert s.volumes.wait_for(state["volume"], "available", WAIT_S).size == 2


def test_snapshot(bs):
    s = state["session"]
    sn = s.snapshots.create(SnapshotCreate(volume_id=state["volume"], name="python-snapshot", force=False))
    state["snapshot"] = sn.id
    assert sn.volume_id == state["volume"]
    assert s.snapshots.wait_for(sn.id, "available", WAIT_S).status == "available"
    assert any(x.id == sn.id for x in s.snapshots.list(ListOptions(status="available")))


def test_backup(bs):
    s = state["session"]
    b = s.backups.create(BackupCreate(volume_id=state["volume"], name="python-backup", incremental=False, force=False))
    state["backup"] = b.id
    assert b.name == "python-backup"
    assert b.is_incremental is False
    assert s.backups.wait_for(b.id, "available", WAIT_S).status == "available"
    assert s.volumes.wait_for(state["volume"], "available", WAIT_S).status == "available"


def test_restore_to_new_volume(bs):
    s = state["session"]
    r = s.backups.restore(state["backup"], name="python-restored")
    state["restored"] = r.volume_id
    assert r.backup_id == state["backup"]
    assert r.volume_id != state["volume"]
    assert r.volume_name == "python-restored"
    assert s.volumes.wait_for(r.volume_id, "available", WAIT_S).size == 2
    assert s.backups.wait_for(state["backup"], "available", WAIT_S).status == "available"


def test_attach_to_server(bs, mock):
    s = state["session"]
    server = mock.info["server_ids"][0]
    a = s.volumes.attach(state["volume"], server)
    state["attached_to"] = server
    assert a.server_id == server
    assert a.attachment_id is None  # Nova's answer has no attachment id
    assert (a.device or "").startswith("/dev/")
    v = s.volumes.wait_for(state["volume"], "in-use", WAIT_S)
    assert [x.server_id for x in v.attachments] == [server]
    assert v.attachments[0].attachment_id


def test_detach(bs, mock):
    s = state["session"]
    s.volumes.detach(state["volume"], mock.info["server_ids"][0])
    state["attached_to"] = None
    assert s.volumes.wait_for(state["volume"], "available", WAIT_S).attachments == []


def test_delete_everything(bs):
    s = state["session"]
    for interface, key in [("volumes", "restored"), ("backups", "backup"), ("snapshots", "snapshot"), ("volumes", "volume")]:
        assert getattr(s, interface).delete(state[key]) is None
        assert getattr(s, interface).wait_for(state[key], "deleted", WAIT_S) is None
        state[key] = None


def test_nothing_left_on_the_mock(bs):
    s = state["session"]
    assert s.volumes.list(ListOptions()) == []
    assert s.snapshots.list(ListOptions()) == []
    assert s.backups.list(ListOptions()) == []


def test_successful_calls_are_silent(bs, mock):
    assert_no_secret(bs.log(), mock.info["app_cred_secret"], "stderr")
    assert bs.log() == ""
