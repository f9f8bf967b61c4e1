"""Contract 0.2 through wasmtime-py, against the module's own mock (so the quota counters are
this file's): updates, metadata, the project's limits and what it may use, bounded lists.
The tests are steps of one scenario and run in file order."""

import pytest

from harness import ComponentError, Rec, mock_config

WAIT_S = 120
made: dict = {"volumes": []}  # what this file created, for the limits and the clean-up


@pytest.fixture(scope="module")
def bs(host):
    return host.instance()


@pytest.fixture(scope="module")
def s(bs, mock):
    session = bs.connect(mock_config(mock.info))
    yield session
    # Best effort: whatever the scenario created.
    for interface, ids in [("backups", [made.get("backup")]), ("snapshots", [made.get("snapshot")]), ("volumes", made["volumes"])]:
        for id_ in filter(None, ids):
            try:
                bs.delete(interface, session, id_)
            except Exception:
                pass
    bs.drop(session)


def refused(f, *args) -> str:
    """The message of the invalid-input `f(*args)` must fail with."""
    with pytest.raises(ComponentError) as e:
        f(*args)
    assert e.value.tag == "invalid-input", e.value.val
    return e.value.val


def test_update_renames_a_volume(bs, s):
    v = bs.volumes.create(s, Rec(size=1, name="python-before", metadata=[("purpose", "embed")]))
    made["volumes"].append(v.id)
    bs.volumes.wait_for(s, v.id, "available", WAIT_S)
    u = bs.volumes.update(s, v.id, Rec(name="python-after", description="renamed from Python"))
    assert (u.id, u.name, u.description) == (v.id, "python-after", "renamed from Python")
    # A none field is left as it is; an empty description clears it.
    assert bs.volumes.update(s, v.id, Rec(description="")).name == "python-after"
    got = bs.volumes.get(s, v.id)
    assert got.name == "python-after"
    assert not got.description


def test_set_metadata_answers_all_of_it_sorted_and_unset_removes_keys(bs, s):
    id_ = made["volumes"][0]
    assert bs.volumes.set_metadata(s, id_, [("tier", "gold"), ("app", "db")]) == [
        ("app", "db"),
        ("purpose", "embed"),
        ("tier", "gold"),
    ]
    assert bs.volumes.set_metadata(s, id_, [("tier", "silver")]) == [("app", "db"), ("purpose", "embed"), ("tier", "silver")]
    assert bs.volumes.unset_metadata(s, id_, ["app", "absent"]) is None  # an absent key is no error
    assert bs.volumes.get(s, id_).metadata == [("purpose", "embed"), ("tier", "silver")]


def test_snapshot_update_and_metadata(bs, s):
    sn = bs.snapshots.create(s, Rec(volume_id=made["volumes"][0], name="python-snap", force=False, metadata=[]))
    made["snapshot"] = sn.id
    bs.snapshots.wait_for(s, sn.id, "available", WAIT_S)
    assert bs.snapshots.update(s, sn.id, Rec(name="python-snap-2")).name == "python-snap-2"
    assert bs.snapshots.set_metadata(s, sn.id, [("b", "2"), ("a", "1")]) == [("a", "1"), ("b", "2")]
    bs.snapshots.unset_metadata(s, sn.id, ["a"])
    got = bs.snapshots.get(s, sn.id)
    assert (got.name, got.metadata) == ("python-snap-2", [("b", "2")])


def test_backup_metadata_and_zone_then_update_and_metadata(bs, s):
    b = bs.backups.create(
        s,
        Rec(
            volume_id=made["volumes"][0],
            name="python-backup",
            incremental=False,
            force=False,
            metadata=[("origin", "python")],
            availability_zone="nova",
        ),
    )
    made["backup"] = b.id
    assert bs.backups.wait_for(s, b.id, "available", WAIT_S).availability_zone == "nova"
    u = bs.backups.update(s, b.id, Rec(name="python-backup-2", description="nightly"))
    assert (u.id, u.name, u.description) == (b.id, "python-backup-2", "nightly")
    assert bs.backups.set_metadata(s, b.id, [("keep", "yes")]) == [("keep", "yes"), ("origin", "python")]
    bs.backups.unset_metadata(s, b.id, ["origin", "absent"])
    assert bs.backups.set_metadata(s, b.id, []) == [("keep", "yes")]
    assert bs.backups.get(s, b.id).name == "python-backup-2"
    bs.volumes.wait_for(s, made["volumes"][0], "available", WAIT_S)


def test_limits_count_what_this_file_created(bs, s):
    for n in (1, 2, 3):
        v = bs.volumes.create(s, Rec(size=n, name=f"python-list-{n}", metadata=[("pick", "me")] if n == 2 else []))
        made["volumes"].append(v.id)
    bs.volumes.wait_for(s, made["volumes"][-1], "available", WAIT_S)
    lim = bs.project.limits(s)
    assert (lim.volumes_used, lim.snapshots_used, lim.backups_used) == (4, 1, 1)
    assert lim.gigabytes_used == 1 + 1 + 2 + 3 + 1  # the volumes, then the 1 GiB snapshot
    assert lim.backup_gigabytes_used == 1
    assert (lim.max_volumes, lim.max_gigabytes) == (10, 1000)  # the mock's default quotas


def test_a_list_with_limit_2_gives_2_items_newest_first_and_goes_on_from_a_marker(bs, s):
    newest = made["volumes"][::-1]  # python-list-3, -2, -1, python-after
    first = bs.volumes.list(s, Rec(limit=2, sort="created_at:desc", metadata=[]))
    assert len(first) == 2
    assert [v.id for v in first] == newest[:2]
    assert [v.name for v in first] == ["python-list-3", "python-list-2"]
    after = bs.volumes.list(s, Rec(limit=2, marker=first[1].id, sort="created_at:desc", metadata=[]))
    assert [v.id for v in after] == newest[2:4]
    assert len(bs.volumes.list(s, Rec(limit=1, page_size=50, metadata=[]))) == 1  # never above the limit
    assert len(bs.volumes.list(s, Rec(metadata=[]))) == 4
    assert [v.size for v in bs.volumes.list(s, Rec(sort="size:asc,created_at:asc", metadata=[]))] == [1, 1, 2, 3]


def test_lists_filter_by_metadata_and_by_volume(bs, s):
    assert [v.name for v in bs.volumes.list(s, Rec(metadata=[("pick", "me")]))] == ["python-list-2"]
    assert [x.id for x in bs.snapshots.list(s, Rec(volume_id=made["volumes"][0], metadata=[]))] == [made["snapshot"]]
    assert bs.backups.list(s, Rec(volume_id=made["volumes"][1], metadata=[])) == []
    assert bs.backups.list(s, Rec(limit=1, volume_id=made["volumes"][0], metadata=[]))[0].id == made["backup"]


def test_what_the_project_may_use(bs, s):
    types = bs.project.volume_types(s)
    assert types
    default = bs.project.default_volume_type(s)
    assert any((t.id, t.name) == (default.id, default.name) for t in types)
    assert [(z.name, z.available) for z in bs.project.availability_zones(s)] == [("nova", True)]
    assert bs.project.messages(s, made["volumes"][0]) == []  # nothing failed


def test_new_parameters_are_refused_naming_the_field_and_logged(bs, s):
    assert bs.log() == "", "a successful call logged a failure"
    id_, snap, backup = made["volumes"][0], made["snapshot"], made["backup"]
    assert refused(bs.volumes.update, s, id_, Rec(name="x" * 256)).startswith("name: ")
    assert refused(bs.backups.update, s, backup, Rec()).startswith("changes: ")
    assert refused(bs.snapshots.set_metadata, s, snap, [("", "v")]).startswith("items: ")
    assert refused(bs.volumes.set_metadata, s, id_, [("k", "v" * 256)]).startswith("items: ")
    assert refused(bs.backups.unset_metadata, s, backup, [""]).startswith("keys: ")
    assert refused(bs.volumes.list, s, Rec(limit=0, metadata=[])).startswith("limit: ")
    assert refused(bs.volumes.list, s, Rec(sort="id:up", metadata=[])).startswith("sort: ")
    assert refused(bs.snapshots.list, s, Rec(marker="../x", metadata=[])).startswith("marker: ")
    assert refused(bs.backups.list, s, Rec(metadata=[("", "v")])).startswith("metadata: ")
    assert refused(bs.volumes.list, s, Rec(volume_id=id_, metadata=[])).startswith("volume-id: ")
    assert refused(bs.project.messages, s, "a/b").startswith("resource-id: ")
    assert f"infomaniak-block-storage: volumes.update {id_} failed: invalid-input: name: " in bs.log()
