"""Contract 0.2, part 2, through wasmtime-py, against the module's own mock: delete with
cascade, idempotent creates, set-bootable / set-read-only, and volume transfers. The tests
are steps of one scenario and run in file order."""

import pytest

from infomaniak_block_storage import ListOptions, SnapshotCreate, VolumeCreate

from harness import error, assert_no_secret, mock_config

WAIT_S = 120
KEY_ITEM = "block-storage.idempotency-key"  # where the component keeps the key
made: dict = {"volumes": [], "auth_keys": []}


@pytest.fixture(scope="module")
def s(bs, mock):
    session = bs.connect(mock_config(mock.info))
    yield session
    for id_ in made["volumes"]:  # best effort, snapshots included
        try:
            session.volumes.delete(id_, cascade=True)
        except Exception:
            pass
    session.close()


def test_delete_is_refused_with_a_snapshot_and_cascade_deletes_both(bs, s):
    v = s.volumes.create(VolumeCreate(size=1, name="python-cascade"))
    made["volumes"].append(v.id)
    s.volumes.wait_for(v.id, "available", WAIT_S)
    sn = s.snapshots.create(SnapshotCreate(volume_id=v.id, name="python-cascade-snap", force=False))
    s.snapshots.wait_for(sn.id, "available", WAIT_S)

    e = error(s.volumes.delete, v.id)
    assert (e.kind, e.status) == ("bad-request", 400)
    assert "have snapshots" in e.message
    assert s.volumes.get(v.id).status == "available"  # nothing was deleted
    assert f"infomaniak-block-storage: volumes.delete {v.id} failed: bad-request status=400" in bs.log()

    assert s.volumes.delete(v.id, cascade=True) is None
    # The mock is asynchronous: both are `deleting` for a while, the snapshot goes first.
    assert s.snapshots.wait_for(sn.id, "deleted", WAIT_S) is None
    assert s.volumes.wait_for(v.id, "deleted", WAIT_S) is None
    made["volumes"].remove(v.id)
    assert s.snapshots.list(ListOptions()) == []
    assert s.volumes.list(ListOptions()) == []


def test_idempotent_volume_create_same_key_same_volume_other_size_conflict(bs, s):
    key = "python-idem-volume-1"
    spec = dict(size=1, name="python-idem", metadata=[("purpose", "embed")], idempotency_key=key)
    a = s.volumes.create(VolumeCreate(**spec))
    made["volumes"].append(a.id)
    assert s.volumes.create(VolumeCreate(**spec)).id == a.id  # while the first is still creating, or after
    assert s.volumes.wait_for(a.id, "available", WAIT_S).id == a.id
    assert s.volumes.create(VolumeCreate(**spec)).id == a.id  # and once it is available
    assert [v.id for v in s.volumes.list(ListOptions())] == [a.id]  # the mock holds one volume
    md = dict(s.volumes.get(a.id).metadata)
    assert (md.get(KEY_ITEM), md.get("purpose")) == (key, "embed")

    e = error(s.volumes.create, VolumeCreate(**{**spec, "size": 2}))
    assert (e.kind, e.status) == ("conflict", 409)
    assert e.message.startswith("idempotency-key: ")
    assert a.id in e.message
    assert [v.id for v in s.volumes.list(ListOptions())] == [a.id]  # still one
    assert s.volumes.get(a.id).size == 1  # the refused create changed nothing
    # The key is checked like a metadata value before any request.
    e = error(s.volumes.create, VolumeCreate(**{**spec, "idempotency_key": ""}))
    assert e.kind == "invalid-input"
    assert e.message.startswith("idempotency-key: ")


def test_idempotent_snapshot_create_same_key_same_snapshot(bs, s):
    spec = dict(volume_id=made["volumes"][0], name="python-idem-snap", force=False, metadata=[], idempotency_key="python-idem-snap-1")
    a = s.snapshots.create(SnapshotCreate(**spec))
    assert s.snapshots.create(SnapshotCreate(**spec)).id == a.id
    s.snapshots.wait_for(a.id, "available", WAIT_S)
    assert [x.id for x in s.snapshots.list(ListOptions())] == [a.id]
    s.snapshots.delete(a.id)
    assert s.snapshots.wait_for(a.id, "deleted", WAIT_S) is None


def test_set_bootable_and_set_read_only_show_in_the_volume(bs, s):
    id_ = made["volumes"][0]
    v = s.volumes.get(id_)
    assert (v.bootable, v.read_only) == (False, False)
    assert s.volumes.set_bootable(id_, True) is None
    assert s.volumes.set_read_only(id_, True) is None
    v = s.volumes.get(id_)
    assert (v.bootable, v.read_only) == (True, True)
    s.volumes.set_bootable(id_, False)
    s.volumes.set_read_only(id_, False)
    v = s.volumes.get(id_)
    assert (v.bootable, v.read_only) == (False, False)


def test_transfer_create_get_list_wrong_key_and_delete(bs, s):
    id_ = made["volumes"][0]
    created = s.transfers.create(id_, "python-transfer")
    made["auth_keys"].append(created.auth_key)
    t = created.transfer
    assert (t.volume_id, t.name) == (id_, "python-transfer")
    assert t.id and t.created_at
    assert isinstance(created.auth_key, str) and created.auth_key
    assert s.volumes.get(id_).status == "awaiting-transfer"

    got = s.transfers.get(t.id)
    assert (got.id, got.name, got.volume_id) == (t.id, t.name, t.volume_id)
    assert [x.id for x in s.transfers.list()] == [t.id]

    e = error(s.transfers.accept, t.id, "python-wrong-auth-key-0000")
    assert e.kind == "bad-request"
    assert "Invalid auth key" in e.message
    assert_no_secret(repr(e) + str(e) + repr(vars(e)), created.auth_key, "the accept error")
    assert_no_secret(repr(created), created.auth_key, "the repr of the created transfer")

    assert s.transfers.delete(t.id) is None
    assert s.volumes.get(id_).status == "available"
    assert s.transfers.list() == []
    assert error(s.transfers.get, t.id).kind == "not-found"


def test_transfer_accepted_with_its_key_is_gone_and_the_volume_available(bs, s):
    id_ = made["volumes"][0]
    created = s.transfers.create(id_)  # no name
    made["auth_keys"].append(created.auth_key)
    assert created.transfer.name is None
    accepted = s.transfers.accept(created.transfer.id, created.auth_key)  # here by the same project
    assert (accepted.id, accepted.volume_id) == (created.transfer.id, id_)
    assert accepted.created_at == ""  # Cinder's accept answer has no created_at
    assert s.volumes.get(id_).status == "available"
    assert error(s.transfers.get, created.transfer.id).kind == "not-found"


def test_the_auth_keys_never_reach_stderr(bs, mock):
    log = bs.log()
    assert len(made["auth_keys"]) == 2
    for k in made["auth_keys"]:
        assert_no_secret(log, k, "stderr")
    assert_no_secret(log, mock.info["app_cred_secret"], "stderr")
    # The failures above were logged, the successes not.
    assert "infomaniak-block-storage: transfers.accept " in log
    assert "infomaniak-block-storage: volumes.create failed: conflict status=409" in log
    assert "transfers.create" not in log
