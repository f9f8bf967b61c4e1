"""Contract 0.2, part 2, through wasmtime-py, against the module's own mock: delete with
cascade, idempotent creates, set-bootable / set-read-only, and volume transfers. The tests
are steps of one scenario and run in file order."""

import pytest

from harness import ComponentError, Rec, assert_no_secret, mock_config

WAIT_S = 120
KEY_ITEM = "block-storage.idempotency-key"  # where the component keeps the key
made: dict = {"volumes": [], "auth_keys": []}


@pytest.fixture(scope="module")
def bs(host):
    return host.instance()


@pytest.fixture(scope="module")
def s(bs, mock):
    session = bs.connect(mock_config(mock.info))
    yield session
    for id_ in made["volumes"]:  # best effort, snapshots included
        try:
            bs.volumes.delete(session, id_, False, True)
        except Exception:
            pass
    bs.drop(session)


def error(f, *args) -> ComponentError:
    with pytest.raises(ComponentError) as e:
        f(*args)
    return e.value


def test_delete_is_refused_with_a_snapshot_and_cascade_deletes_both(bs, s):
    v = bs.volumes.create(s, Rec(size=1, name="python-cascade", metadata=[]))
    made["volumes"].append(v.id)
    bs.volumes.wait_for(s, v.id, "available", WAIT_S)
    sn = bs.snapshots.create(s, Rec(volume_id=v.id, name="python-cascade-snap", force=False, metadata=[]))
    bs.snapshots.wait_for(s, sn.id, "available", WAIT_S)

    e = error(bs.volumes.delete, s, v.id, False, False)
    assert (e.tag, e.val.status) == ("bad-request", 400)
    assert "have snapshots" in e.val.message
    assert bs.volumes.get(s, v.id).status == "available"  # nothing was deleted
    assert f"infomaniak-block-storage: volumes.delete {v.id} failed: bad-request status=400" in bs.log()

    assert bs.volumes.delete(s, v.id, False, True) is None
    # The mock is asynchronous: both are `deleting` for a while, the snapshot goes first.
    assert bs.snapshots.wait_for(s, sn.id, "deleted", WAIT_S) is None
    assert bs.volumes.wait_for(s, v.id, "deleted", WAIT_S) is None
    made["volumes"].remove(v.id)
    assert bs.snapshots.list(s, Rec(metadata=[])) == []
    assert bs.volumes.list(s, Rec(metadata=[])) == []


def test_idempotent_volume_create_same_key_same_volume_other_size_conflict(bs, s):
    key = "python-idem-volume-1"
    spec = dict(size=1, name="python-idem", metadata=[("purpose", "embed")], idempotency_key=key)
    a = bs.volumes.create(s, Rec(**spec))
    made["volumes"].append(a.id)
    assert bs.volumes.create(s, Rec(**spec)).id == a.id  # while the first is still creating, or after
    assert bs.volumes.wait_for(s, a.id, "available", WAIT_S).id == a.id
    assert bs.volumes.create(s, Rec(**spec)).id == a.id  # and once it is available
    assert [v.id for v in bs.volumes.list(s, Rec(metadata=[]))] == [a.id]  # the mock holds one volume
    md = dict(bs.volumes.get(s, a.id).metadata)
    assert (md.get(KEY_ITEM), md.get("purpose")) == (key, "embed")

    e = error(bs.volumes.create, s, Rec(**{**spec, "size": 2}))
    assert (e.tag, e.val.status) == ("conflict", 409)
    assert e.val.message.startswith("idempotency-key: ")
    assert a.id in e.val.message
    assert [v.id for v in bs.volumes.list(s, Rec(metadata=[]))] == [a.id]  # still one
    assert bs.volumes.get(s, a.id).size == 1  # the refused create changed nothing
    # The key is checked like a metadata value before any request.
    e = error(bs.volumes.create, s, Rec(**{**spec, "idempotency_key": ""}))
    assert e.tag == "invalid-input"
    assert e.val.startswith("idempotency-key: ")


def test_idempotent_snapshot_create_same_key_same_snapshot(bs, s):
    spec = dict(volume_id=made["volumes"][0], name="python-idem-snap", force=False, metadata=[], idempotency_key="python-idem-snap-1")
    a = bs.snapshots.create(s, Rec(**spec))
    assert bs.snapshots.create(s, Rec(**spec)).id == a.id
    bs.snapshots.wait_for(s, a.id, "available", WAIT_S)
    assert [x.id for x in bs.snapshots.list(s, Rec(metadata=[]))] == [a.id]
    bs.snapshots.delete(s, a.id, False)
    assert bs.snapshots.wait_for(s, a.id, "deleted", WAIT_S) is None


def test_set_bootable_and_set_read_only_show_in_the_volume(bs, s):
    id_ = made["volumes"][0]
    v = bs.volumes.get(s, id_)
    assert (v.bootable, v.read_only) == (False, False)
    assert bs.volumes.set_bootable(s, id_, True) is None
    assert bs.volumes.set_read_only(s, id_, True) is None
    v = bs.volumes.get(s, id_)
    assert (v.bootable, v.read_only) == (True, True)
    bs.volumes.set_bootable(s, id_, False)
    bs.volumes.set_read_only(s, id_, False)
    v = bs.volumes.get(s, id_)
    assert (v.bootable, v.read_only) == (False, False)


def test_transfer_create_get_list_wrong_key_and_delete(bs, s):
    id_ = made["volumes"][0]
    created = bs.transfers.create(s, id_, "python-transfer")
    made["auth_keys"].append(created.auth_key)
    t = created.transfer
    assert (t.volume_id, t.name) == (id_, "python-transfer")
    assert t.id and t.created_at
    assert isinstance(created.auth_key, str) and created.auth_key
    assert bs.volumes.get(s, id_).status == "awaiting-transfer"

    got = bs.transfers.get(s, t.id)
    assert (got.id, got.name, got.volume_id) == (t.id, t.name, t.volume_id)
    assert [x.id for x in bs.transfers.list(s)] == [t.id]

    e = error(bs.transfers.accept, s, t.id, "python-wrong-auth-key-0000")
    assert e.tag == "bad-request"
    assert "Invalid auth key" in e.val.message
    assert_no_secret(repr(vars(e.val)), created.auth_key, "the accept error")

    assert bs.transfers.delete(s, t.id) is None
    assert bs.volumes.get(s, id_).status == "available"
    assert bs.transfers.list(s) == []
    assert error(bs.transfers.get, s, t.id).tag == "not-found"


def test_transfer_accepted_with_its_key_is_gone_and_the_volume_available(bs, s):
    id_ = made["volumes"][0]
    created = bs.transfers.create(s, id_, None)  # a none name
    made["auth_keys"].append(created.auth_key)
    assert created.transfer.name is None
    accepted = bs.transfers.accept(s, created.transfer.id, created.auth_key)  # here by the same project
    assert (accepted.id, accepted.volume_id) == (created.transfer.id, id_)
    assert accepted.created_at == ""  # Cinder's accept answer has no created_at
    assert bs.volumes.get(s, id_).status == "available"
    assert error(bs.transfers.get, s, created.transfer.id).tag == "not-found"


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
