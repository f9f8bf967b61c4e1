//! Cinder lists: sorting, markers, offsets and filters (who may give which,
//! by microversion), on volumes, snapshots and backups.

use crate::common::{message, Client};
use crate::{client, create_volume, instant, instant_admin, names};
use mock_cloud::MockCloud;
use serde_json::json;

/// Volumes v1, v2, v3 (1, 2 and 3 GiB; metadata `k` is v1, v0, v1), a snapshot
/// s1..s3 of each (same metadata) and a backup b1, b2 of the first two; their ids.
fn three_of_each(m: &MockCloud, c: &Client) -> Vec<String> {
    let base = m.block_storage_url();
    let mut vids = Vec::new();
    for i in 1..=3 {
        let meta = json!({"k": format!("v{}", i % 2), "t": "x"});
        let vid = create_volume(
            m,
            c,
            json!({"volume": {"size": i, "name": format!("v{i}"), "metadata": meta}}),
        );
        let snap = json!({"snapshot": {"volume_id": vid, "name": format!("s{i}"), "metadata": meta}});
        assert_eq!(c.post_json(&format!("{base}/snapshots"), &snap).status, 202);
        if i < 3 {
            let b = json!({"backup": {"volume_id": vid, "name": format!("b{i}")}});
            assert_eq!(c.post_json(&format!("{base}/backups"), &b).status, 202);
        }
        vids.push(vid);
    }
    vids
}

#[test]
fn sorting_markers_and_offsets() {
    let m = instant();
    let c = client(&m, "3.71");
    let vids = three_of_each(&m, &c);
    let url = format!("{}/volumes", m.block_storage_url());
    let get = |q: &str| names(&c.get(&format!("{url}?{q}")).json());
    assert_eq!(get("sort=name:asc"), ["v1", "v2", "v3"]);
    assert_eq!(get("sort=name"), ["v3", "v2", "v1"]);
    assert_eq!(get("sort_key=name&sort_dir=asc"), ["v1", "v2", "v3"]);
    assert_eq!(get("sort=size:desc,name"), ["v3", "v2", "v1"]);
    assert_eq!(get("sort=display_name:asc&offset=1"), ["v2", "v3"]);
    // A marker is a position in the sort, even when filtered out.
    assert_eq!(get(&format!("sort=name:asc&marker={}", vids[1])), ["v3"]);
    assert_eq!(get(&format!("name=v3&sort=name:asc&marker={}", vids[1])), ["v3"]);
    assert_eq!(
        get(&format!("name=v1&sort=name:asc&marker={}", vids[1])),
        Vec::<String>::new()
    );
    let cases = [
        ("sort=bogus:asc", "Invalid input received: Invalid sort key"),
        ("sort=:asc", "Invalid input received: Invalid sort key"),
        ("sort=description", "Invalid input received: Invalid sort key"),
        ("sort_key=bogus", "Invalid input received: Invalid sort key"),
        (
            "sort=name:up",
            "Invalid input received: Unknown sort direction, must be 'desc' or 'asc'.",
        ),
        (
            "sort_dir=up",
            "Invalid input received: Unknown sort direction, must be 'desc' or 'asc'.",
        ),
        (
            "sort=name&sort_key=id",
            "The 'sort_key' and 'sort_dir' parameters are deprecated and cannot be used with the 'sort' parameter.",
        ),
        ("offset=x", "offset must be an integer"),
        ("offset=-1", "offset must be >= 0"),
    ];
    for (q, msg) in cases {
        assert_eq!(message(&c.get(&format!("{url}?{q}")), "badRequest"), msg, "{q}");
    }
    for (coll, what) in [("volumes", "Volume"), ("snapshots", "Snapshot"), ("backups", "Backup")] {
        let r = c.get(&format!("{}/{coll}?marker=nonexist", m.block_storage_url()));
        assert_eq!(
            (r.status, message(&r, "itemNotFound")),
            (404, json!(format!("{what} nonexist could not be found.")))
        );
    }
}

#[test]
fn name_sorts_snapshots_from_3_30_and_backups_from_3_37() {
    let m = instant();
    let c = client(&m, "3.71");
    three_of_each(&m, &c);
    let base = m.block_storage_url();
    let sorted = |mv: &str, coll: &str, key: &str| {
        let r = client(&m, mv).get(&format!("{base}/{coll}?sort={key}:asc"));
        if r.status == 400 {
            assert_eq!(message(&r, "badRequest"), "Invalid input received: Invalid sort key");
            return None;
        }
        Some(names(&r.json()))
    };
    assert_eq!(sorted("3.29", "snapshots", "name"), None);
    assert_eq!(sorted("3.30", "snapshots", "name").unwrap(), ["s1", "s2", "s3"]);
    assert_eq!(sorted("3.0", "snapshots", "display_name").unwrap(), ["s1", "s2", "s3"]);
    assert_eq!(sorted("3.71", "snapshots", "size"), None);
    assert_eq!(sorted("3.71", "snapshots", "volume_size").unwrap(), ["s1", "s2", "s3"]);
    assert_eq!(sorted("3.36", "backups", "name"), None);
    assert_eq!(sorted("3.37", "backups", "name").unwrap(), ["b1", "b2"]);
    assert_eq!(sorted("3.0", "volumes", "name").unwrap(), ["v1", "v2", "v3"]);
}

#[test]
fn filters_by_volume_metadata_status_and_name() {
    let m = instant();
    let c = client(&m, "3.71");
    let vids = three_of_each(&m, &c);
    let base = m.block_storage_url();
    let get = |mv: &str, path: &str| names(&client(&m, mv).get(&format!("{base}/{path}")).json());
    let k1 = "metadata=%7B%22k%22%3A%22v1%22%7D";
    assert_eq!(get("3.0", &format!("volumes?{k1}")), ["v3", "v1"]);
    assert_eq!(get("3.0", "volumes?metadata=%7B%27k%27%3A%20%27v0%27%7D"), ["v2"]); // {'k': 'v0'}
    assert_eq!(
        get("3.0", "volumes?metadata=%7B%22k%22%3A%22v1%22%2C%22t%22%3A%22x%22%7D").len(),
        2
    );
    assert_eq!(get("3.0", "volumes?metadata=k"), Vec::<String>::new());
    assert_eq!(get("3.0", "volumes?metadata=%7B%7D").len(), 3);
    assert_eq!(get("3.71", "volumes?status=available&name=v2"), ["v2"]);
    assert_eq!(get("3.71", "volumes?status=error"), Vec::<String>::new());
    assert_eq!(get("3.71", "volumes?size=2"), ["v2"]);
    // Snapshots by volume and (3.22+) metadata; backups by volume.
    assert_eq!(get("3.71", &format!("snapshots?volume_id={}", vids[0])), ["s1"]);
    assert_eq!(get("3.21", &format!("snapshots?{k1}")).len(), 3);
    assert_eq!(get("3.22", &format!("snapshots?{k1}")), ["s3", "s1"]);
    assert_eq!(get("3.71", &format!("backups?volume_id={}", vids[1])), ["b2"]);
    assert_eq!(get("3.71", "backups?name=b1&status=available"), ["b1"]);
}

#[test]
fn who_may_filter_on_what() {
    let m = instant();
    let c = client(&m, "3.71");
    three_of_each(&m, &c);
    let base = m.block_storage_url();
    // A member: unknown filters are dropped below 3.31, refused from 3.31.
    let j = client(&m, "3.30")
        .get(&format!("{base}/volumes?bogus=1&display_name=v2"))
        .json();
    assert_eq!(names(&j).len(), 3);
    for (path, bad) in [
        ("volumes?bogus=1&name=v1", "bogus"),
        ("volumes?display_name=v2", "display_name"),
        ("volumes?name~=v", "name~"),
        ("volumes?with_count=true", "with_count"),
        ("backups?metadata=%7B%7D", "metadata"),
    ] {
        let mv = if path.contains("with_count") { "3.44" } else { "3.71" };
        let r = client(&m, mv).get(&format!("{base}/{path}"));
        assert_eq!(
            message(&r, "badRequest"),
            format!("Invalid filters {bad} are found in query options."),
            "{path}"
        );
    }
    let j = c
        .get(&format!("{base}/volumes?all_tenants=1&with_count=true&limit=1"))
        .json();
    assert_eq!((names(&j).len(), j["count"].clone()), (1, json!(3)));

    // An admin: any column; unknown ones match nothing; `~` matches a part (3.34+).
    let m = instant_admin();
    let c = client(&m, "3.71");
    three_of_each(&m, &c);
    let base = m.block_storage_url();
    let get = |path: &str| names(&c.get(&format!("{base}/{path}")).json());
    assert_eq!(get("volumes?display_name=v2"), ["v2"]);
    assert_eq!(get("volumes?name~=v").len(), 3);
    assert_eq!(get("volumes?bogus=1"), Vec::<String>::new());
    assert_eq!(get("backups?metadata=%7B%7D"), Vec::<String>::new());
}
