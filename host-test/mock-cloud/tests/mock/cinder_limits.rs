//! Cinder's limits (quotas and usage) and availability zones.

use crate::common::message;
use crate::{client, create_volume, instant};
use serde_json::json;

#[test]
fn limits_follow_quotas_and_usage() {
    let m = instant();
    let c = client(&m, "");
    let url = format!("{}/limits", m.block_storage_url());
    let absolute = |j: serde_json::Value| j["limits"]["absolute"].clone();
    assert_eq!(
        c.get(&url).json(),
        json!({"limits": {"rate": [], "absolute": {
            "maxTotalVolumes": 10, "maxTotalSnapshots": 10, "maxTotalVolumeGigabytes": 1000,
            "maxTotalBackups": 10, "maxTotalBackupGigabytes": 1000, "totalVolumesUsed": 0,
            "totalGigabytesUsed": 0, "totalSnapshotsUsed": 0, "totalBackupsUsed": 0,
            "totalBackupGigabytesUsed": 0}}})
    );
    let base = m.block_storage_url();
    let c71 = client(&m, "3.71");
    let vid = create_volume(&m, &c71, json!({"volume": {"size": 3}}));
    c71.post_json(&format!("{base}/snapshots"), &json!({"snapshot": {"volume_id": vid}}));
    c71.post_json(&format!("{base}/backups"), &json!({"backup": {"volume_id": vid}}));
    m.set_quota("volumes", -1);
    let a = absolute(c71.get(&url).json());
    assert_eq!(a["maxTotalVolumes"], -1);
    for (k, n) in [
        ("totalVolumesUsed", 1),
        ("totalGigabytesUsed", 6), // the volume's and the snapshot's
        ("totalSnapshotsUsed", 1),
        ("totalBackupsUsed", 1),
        ("totalBackupGigabytesUsed", 3),
    ] {
        assert_eq!(a[k], n, "{k}");
    }
}

#[test]
fn one_availability_zone() {
    let m = instant();
    let c = client(&m, "3.71");
    let base = m.block_storage_url();
    assert_eq!(
        client(&m, "").get(&format!("{base}/os-availability-zone")).json(),
        json!({"availabilityZoneInfo": [{"zoneName": "nova", "zoneState": {"available": true}}]})
    );
    let r = c.post_json(
        &format!("{base}/volumes"),
        &json!({"volume": {"size": 1, "availability_zone": "dc3-a-09"}}),
    );
    assert_eq!(r.status, 400);
    assert_eq!(message(&r, "badRequest"), "Availability zone 'dc3-a-09' is invalid.");
    let vid = create_volume(&m, &c, json!({"volume": {"size": 1, "availability_zone": "nova"}}));
    assert_eq!(
        c.get(&format!("{base}/volumes/{vid}")).json()["volume"]["availability_zone"],
        "nova"
    );
}
