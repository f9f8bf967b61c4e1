//! Cinder volume types: `__DEFAULT__` and configured tiers, as members and admins
//! see them; the type a volume gets.

use crate::common::message;
use crate::{client, create_volume, names};
use mock_cloud::{MockCloud, MockOptions, MockVolumeType};
use serde_json::json;
use std::time::Duration;

/// A mock with two performance tiers and a private type.
fn tiers(admin: bool) -> MockCloud {
    MockCloud::start_with(MockOptions {
        transition: Duration::ZERO,
        admin,
        volume_types: vec![
            MockVolumeType::new("perf-1")
                .description("1000 IOPS")
                .extra_spec("volume_backend_name", "ceph")
                .extra_spec("multiattach", "<is> True"),
            MockVolumeType::new("perf-2").extra_spec("volume_backend_name", "ceph-ssd"),
            MockVolumeType::new("hidden").private(),
        ],
        ..Default::default()
    })
}

#[test]
fn default_type_as_a_member_sees_it() {
    let m = MockCloud::start();
    let c = client(&m, "3.71");
    let base = m.block_storage_url();
    let id = m.volume_type_id("__DEFAULT__").unwrap();
    let default = json!({"id": id, "name": "__DEFAULT__", "is_public": true,
        "description": "Default Volume Type", "extra_specs": {}});
    let mut listed = default.clone();
    listed["os-volume-type-access:is_public"] = json!(true);
    assert_eq!(
        c.get(&format!("{base}/types")).json(),
        json!({"volume_types": [listed]})
    );
    assert_eq!(
        c.get(&format!("{base}/types/{id}")).json(),
        json!({"volume_type": listed})
    );
    // `default` at any microversion (documented as 3.62+), without the access field.
    for mv in ["", "3.61", "3.62"] {
        let r = client(&m, mv).get(&format!("{base}/types/default"));
        assert_eq!(r.json(), json!({"volume_type": default}), "{mv}");
    }
    for missing in ["__DEFAULT__", "00000000-0000-0000-0000-000000000000"] {
        let r = c.get(&format!("{base}/types/{missing}"));
        assert_eq!(r.status, 404);
        assert_eq!(
            message(&r, "itemNotFound"),
            format!("Volume type {missing} could not be found.")
        );
    }
}

#[test]
fn tiers_as_members_and_admins_see_them() {
    let m = tiers(false);
    let base = m.block_storage_url();
    let c = client(&m, "3.71");
    // Newest first; members see only the user-visible extra specs, no qos_specs_id.
    let j = c.get(&format!("{base}/types")).json();
    assert_eq!(names(&j), ["hidden", "perf-2", "perf-1", "__DEFAULT__"]);
    let perf1 = &j["volume_types"][2];
    assert_eq!(perf1["extra_specs"], json!({"multiattach": "<is> True"}));
    assert_eq!(perf1["description"], "1000 IOPS");
    assert!(perf1.get("qos_specs_id").is_none());
    assert_eq!(j["volume_types"][0]["os-volume-type-access:is_public"], false);
    // A member's is_public is ignored; an extra_specs filter (3.52+) on a spec it may
    // not see finds nothing; below 3.52 it is dropped.
    assert_eq!(names(&c.get(&format!("{base}/types?is_public=false")).json()).len(), 4);
    let hidden_spec = "extra_specs=%7B%22volume_backend_name%22%3A%22ceph%22%7D";
    assert_eq!(
        c.get(&format!("{base}/types?{hidden_spec}")).json(),
        json!({"volume_types": []})
    );
    let j = client(&m, "3.51").get(&format!("{base}/types?{hidden_spec}")).json();
    assert_eq!(names(&j).len(), 4);
    let r = c.get(&format!("{base}/types?bogus=1"));
    assert_eq!(
        message(&r, "badRequest"),
        "Invalid filters bogus are found in query options."
    );

    let m = tiers(true);
    let base = m.block_storage_url();
    let c = client(&m, "3.71");
    let j = c.get(&format!("{base}/types?{hidden_spec}")).json();
    assert_eq!(names(&j), ["perf-1"]);
    assert_eq!(
        j["volume_types"][0]["extra_specs"],
        json!({"volume_backend_name": "ceph", "multiattach": "<is> True"})
    );
    assert_eq!(j["volume_types"][0]["qos_specs_id"], json!(null));
    assert_eq!(
        names(&c.get(&format!("{base}/types?is_public=false")).json()),
        ["hidden"]
    );
    assert_eq!(names(&c.get(&format!("{base}/types?is_public=None")).json()).len(), 4);
    let r = c.get(&format!("{base}/types?is_public=bogus"));
    assert_eq!(message(&r, "badRequest"), "Invalid is_public filter [bogus]");
    assert_eq!(
        c.get(&format!("{base}/types?bogus=1")).json(),
        json!({"volume_types": []})
    );
}

#[test]
fn type_lists_page_with_volume_type_links() {
    let m = tiers(false);
    let c = client(&m, "3.71");
    let base = m.block_storage_url();
    let j = c.get(&format!("{base}/types?sort=name:asc&limit=2")).json();
    assert_eq!(names(&j), ["__DEFAULT__", "hidden"]);
    let next = j["volume_type_links"][0]["href"].as_str().unwrap().to_string();
    let hidden = m.volume_type_id("hidden").unwrap();
    assert_eq!(next, format!("{base}/types?sort=name%3Aasc&limit=2&marker={hidden}"));
    assert_eq!(names(&c.get(&next).json()), ["perf-1", "perf-2"]);
    // An unknown marker starts over.
    assert_eq!(names(&c.get(&format!("{base}/types?marker=x")).json()).len(), 4);
    let r = c.get(&format!("{base}/types?sort=bogus"));
    assert_eq!(message(&r, "badRequest"), "Invalid input received: Invalid sort key");
}

#[test]
fn volumes_get_the_type_they_name() {
    let m = tiers(false);
    let c = client(&m, "3.71");
    let url = format!("{}/volumes", m.block_storage_url());
    let perf2 = m.volume_type_id("perf-2").unwrap();
    for (asked, name, id) in [
        (json!("perf-1"), "perf-1", m.volume_type_id("perf-1").unwrap()),
        (json!(perf2), "perf-2", perf2.clone()),
        (json!(""), "__DEFAULT__", m.volume_type_id("__DEFAULT__").unwrap()),
        (json!(null), "__DEFAULT__", m.volume_type_id("__DEFAULT__").unwrap()),
    ] {
        let r = c.post_json(&url, &json!({"volume": {"size": 1, "volume_type": asked}}));
        assert_eq!(r.status, 202);
        let v = &r.json()["volume"];
        assert_eq!(
            (v["volume_type"].as_str(), v["volume_type_id"].as_str()),
            (Some(name), Some(id.as_str()))
        );
    }
    let r = c.post_json(&url, &json!({"volume": {"size": 1, "volume_type": "gold"}}));
    assert_eq!(r.status, 404);
    assert_eq!(
        message(&r, "itemNotFound"),
        "Volume type with name gold could not be found."
    );
    let zero = "00000000-0000-0000-0000-000000000000";
    let r = c.post_json(&url, &json!({"volume": {"size": 1, "volume_type": zero}}));
    assert_eq!(
        message(&r, "itemNotFound"),
        format!("Volume type {zero} could not be found.")
    );
    let vid = create_volume(&m, &c, json!({"volume": {"size": 1, "volume_type": "perf-2"}}));
    let j = c.get(&format!("{url}/detail?sort=volume_type_id:asc,id:asc")).json();
    assert!(j["volumes"].as_array().unwrap().iter().any(|v| v["id"] == vid.as_str()));
}
