"""Contract 0.2 through wasmtime-py, against the module's own mock (so the quota counters are
this file's): updates, metadata, the project's limits and what it may use, bounded lists.
The tests are steps of one scenario and run in file order."""

import pytest

from infomaniak_block_storage import BackupCreate, BlockStorageError, ListOptions, ResourceUpdate, SnapshotCreate, VolumeCreate

from harness import mock_config

WAIT_S = 120
made: dict = {"volumes": []}  # what this file created, for the limits and the clean-up


@pytest.fixture(scope="module")
def s(bs, mock):
    session = bs.connect(mock_config(mock.info))
    yield session
    # Best effort: whatever the scenario created.
    for interface, ids in [("backups", [made.get("backup")]), ("snapshots", [made.get("snapshot")]), ("volumes", made["volumes"])]:
        for id_ in filter(None, ids):
            try:
                getattr(session, interface).delete(id_)
            except Exception:
                pass
    session.close()


def refused(f, *args) -> str:
    """The message of the invalid-input `f(*args)` must fail with."""
    with pytest.raises(BlockStorageError) as e:
        f(*args)
    assert e.value.kind == "invalid-input", e.value.message
    return e.value.message


def test_update_renames_a_volume(bs, s):
    v = s.volumes.create(VolumeCreate(size=1, name="python-before", metadata=[("purpose", "embed")]))
    made["volumes"].append(v.id)
    s.volumes.wait_for(v.id, "available", WAIT_S)
    u = s.volumes.update(v.id, ResourceUpdate(name="python-after", description="renamed from Python"))
    assert (u.id, u.name, u.description) == (v.id, "python-after", "renamed from Python")
    # A none field is left as it is; an empty description clears it.
    assert s.volumes.update(v.id, ResourceUpdate(description="")).name == "python-after"
    got = s.volumes.get(v.id)
    assert got.name == "python-after"
    assert not got.description


def test_set_metadata_answers_all_of_it_sorted_and_unset_removes_keys(bs, s):
    id_ = made["volumes"][0]
    assert s.volumes.set_metadata(id_, [("tier", "gold"), ("app", "db")]) == [
        ("app", "db"),
        ("purpose", "embed"),
        ("tier", "gold"),
    ]
    assert s.volumes.set_metadata(id_, [("tier", "silver")]) == [("app", "db"), ("purpose", "embed"), ("tier", "silver")]
    assert s.volumes.unset_metadata(id_, ["app", "absent"]) is None  # an absent key is no error
    assert s.volumes.get(id_).metadata == [("purpose", "embed"), ("tier", "silver")]


def test_snapshot_update_and_metadata(bs, s):
    sn = s.snapshots.create(SnapshotCreate(volume_id=made["volumes"][0], name="python-snap", force=False))
    made["snapshot"] = sn.id
    s.snapshots.wait_for(sn.id, "available", WAIT_S)
    assert s.snapshots.update(sn.id, ResourceUpdate(name="python-snap-2")).name == "python-snap-2"
    assert s.snapshots.set_metadata(sn.id, [("b", "2"), ("a", "1")]) == [("a", "1"), ("b", "2")]
    s.snapshots.unset_metadata(sn.id, ["a"])
    got = s.snapshots.get(sn.id)
    assert (got.name, got.metadata) == ("python-snap-2", [("b", "2")])


def test_backup_metadata_and_zone_then_update_and_metadata(bs, s):
    b = s.backups.create(
        BackupCreate(
            volume_id=made["volumes"][0],
            name="python-backup",
            incremental=False,
            force=False,
            metadata=[("origin", "python")],
            availability_zone="nova",
        ),
    )
    made["backup"] = b.id
    assert s.backups.wait_for(b.id, "available", WAIT_S).availability_zone == "nova"
    u = s.backups.update(b.id, ResourceUpdate(name="python-backup-2", description="nightly"))
    assert (u.id, u.name, u.description) == (b.id, "python-backup-2", "nightly")
    assert s.backups.set_metadata(b.id, [("keep", "yes")]) == [("keep", "yes"), ("origin", "python")]
    s.backups.unset_metadata(b.id, ["origin", "absent"])
    assert s.backups.set_metadata(b.id, []) == [("keep", "yes")]
    assert s.backups.get(b.id).name == "python-backup-2"
    s.volumes.wait_for(made["volumes"][0], "available", WAIT_S)


def test_limits_count_what_this_file_created(bs, s):
    for n in (1, 2, 3):
        v = s.volumes.create(VolumeCreate(size=n, name=f"python-list-{n}", metadata=[("pick", "me")] if n == 2 else []))
        made["volumes"].append(v.id)
    s.volumes.wait_for(made["volumes"][-1], "available", WAIT_S)
    lim = s.project.limits()
    assert (lim.volumes_used, lim.snapshots_used, lim.backups_used) == (4, 1, 1)
    assert lim.gigabytes_used == 1 + 1 + 2 + 3 + 1  # the volumes, then the 1 GiB snapshot
    assert lim.backup_gigabytes_used == 1
    assert (lim.max_volumes, lim.max_gigabytes) == (10, 1000)  # the mock's default quotas


def test_a_list_with_limit_2_gives_2_items_newest_first_and_goes_on_from_a_marker(bs, s):
    newest = made["volumes"][::-1]  # python-list-3, -2, -1, python-after
    first = s.volumes.list(ListOptions(limit=2, sort="created_at:desc"))
    assert len(first) == 2
    assert [v.id for v in first] == newest[:2]
    assert [v.name for v in first] == ["python-list-3", "python-list-2"]
    after = s.volumes.list(ListOptions(limit=2, marker=first[1].id, sort="created_at:desc"))
    assert [v.id for v in after] == newest[2:4]
    assert len(s.volumes.list(ListOptions(limit=1, page_size=50))) == 1  # never above the limit
    assert len(s.volumes.list(ListOptions())) == 4
    assert [v.size for v in s.volumes.list(ListOptions(sort="size:asc,created_at:asc"))] == [1, 1, 2, 3]


def test_lists_filter_by_metadata_and_by_volume(bs, s):
    assert [v.name for v in s.volumes.list(ListOptions(metadata=[("pick", "me")]))] == ["python-list-2"]
    assert [x.id for x in s.snapshots.list(ListOptions(volume_id=made["volumes"][0]))] == [made["snapshot"]]
    assert s.backups.list(ListOptions(volume_id=made["volumes"][1])) == []
    assert s.backups.list(ListOptions(limit=1, volume_id=made["volumes"][0]))[0].id == made["backup"]


def test_what_the_project_may_use(bs, s):
    types = s.project.volume_types()
    assert types
    default = s.project.default_volume_type()
    assert any((t.id, t.name) == (default.id, default.name) for t in types)
    assert [(z.name, z.available) for z in s.project.availability_zones()] == [("nova", True)]
    assert s.project.messages(made["volumes"][0]) == []  # nothing failed


def test_new_parameters_are_refused_naming_the_field_and_logged(bs, s):
    assert bs.log() == "", "a successful call logged a failure"
    id_, snap, backup = made["volumes"][0], made["snapshot"], made["backup"]
    assert refused(s.volumes.update, id_, ResourceUpdate(name="x" * 256)).startswith("name: ")
    assert refused(s.backups.update, backup, ResourceUpdate()).startswith("changes: ")
    assert refused(s.snapshots.set_metadata, snap, [("", "v")]).startswith("items: ")
    assert refused(s.volumes.set_metadata, id_, [("k", "v" * 256)]).startswith("items: ")
    assert refused(s.backups.unset_metadata, backup, [""]).startswith("keys: ")
    assert refused(s.volumes.list, ListOptions(limit=0)).startswith("limit: ")
    assert refused(s.volumes.list, ListOptions(sort="id:up")).startswith("sort: ")
    assert refused(s.snapshots.list, ListOptions(marker="../x")).startswith("marker: ")
    assert refused(s.backups.list, ListOptions(metadata=[("", "v")])).startswith("metadata: ")
    assert refused(s.volumes.list, ListOptions(volume_id=id_)).startswith("volume-id: ")
    assert refused(s.project.messages, "a/b").startswith("resource-id: ")
    assert f"infomaniak-block-storage: volumes.update {id_} failed: invalid-input: name: " in bs.log()
