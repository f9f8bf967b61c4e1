//! Cinder quotas: 413s for volumes, gigabytes, snapshots and backups; os-quota-sets.

use crate::common::message;
use crate::{client, create_volume, instant};
use serde_json::json;

#[test]
fn quotas_413() {
    let m = instant();
    let c = client(&m, "3.71");
    let base = m.block_storage_url();
    m.set_quota("volumes", 1);
    create_volume(&m, &c, json!({"volume": {"size": 1}}));
    let r = c.post(&format!("{base}/volumes"), r#"{"volume":{"size":1}}"#);
    assert_eq!(r.status, 413);
    assert_eq!(r.header("Retry-After"), Some("0"));
    assert_eq!(
        r.json(),
        json!({"overLimit": {"code": 413, "message": "VolumeLimitExceeded: Maximum number of volumes allowed (1) exceeded for quota 'volumes'.", "retryAfter": "0"}})
    );
    m.set_quota("volumes", -1);
    let r = c.post(&format!("{base}/volumes"), r#"{"volume":{"size":2000}}"#);
    assert_eq!(r.status, 413);
    assert_eq!(message(&r, "overLimit"), "VolumeSizeExceedsAvailableQuota: Requested volume or snapshot exceeds allowed gigabytes quota. Requested 2000G, quota is 1000G and 1G has been consumed.");
    let q = c.get(&format!("{base}/os-quota-sets/{}", m.project_id())).json();
    assert_eq!(q["quota_set"]["volumes"], -1);
    assert_eq!(q["quota_set"]["gigabytes"], 1000);
    let r = c.call(
        "PUT",
        &format!("{base}/os-quota-sets/{}", m.project_id()),
        Some(r#"{"quota_set":{"volumes":5}}"#),
    );
    assert_eq!(r.status, 403);
}

#[test]
fn snapshot_and_backup_quotas() {
    let m = instant();
    let c = client(&m, "3.71");
    let base = m.block_storage_url();
    let id = create_volume(&m, &c, json!({"volume": {"size": 5}}));
    m.set_quota("snapshots", 0);
    let r = c.post_json(&format!("{base}/snapshots"), &json!({"snapshot": {"volume_id": id}}));
    assert_eq!(r.status, 413);
    assert_eq!(r.header("Retry-After"), Some("0"));
    assert_eq!(
        message(&r, "overLimit"),
        "SnapshotLimitExceeded: Maximum number of snapshots allowed (0) exceeded"
    );
    m.set_quota("snapshots", 10);
    m.set_quota("gigabytes", 9);
    let r = c.post_json(&format!("{base}/snapshots"), &json!({"snapshot": {"volume_id": id}}));
    assert_eq!(message(&r, "overLimit"), "VolumeSizeExceedsAvailableQuota: Requested volume or snapshot exceeds allowed gigabytes quota. Requested 5G, quota is 9G and 5G has been consumed.");
    let r = c.post(
        &format!("{base}/volumes/{id}/action"),
        r#"{"os-extend":{"new_size":20}}"#,
    );
    assert_eq!(r.status, 413);
    m.set_quota("backups", 0);
    let r = c.post_json(&format!("{base}/backups"), &json!({"backup": {"volume_id": id}}));
    assert_eq!(
        message(&r, "overLimit"),
        "BackupLimitExceeded: Maximum number of backups allowed (0) exceeded"
    );
    m.set_quota("backups", -1);
    m.set_quota("backup_gigabytes", 1);
    let r = c.post_json(&format!("{base}/backups"), &json!({"backup": {"volume_id": id}}));
    assert_eq!(message(&r, "overLimit"), "VolumeBackupSizeExceedsAvailableQuota: Requested backup exceeds allowed Backup gigabytes quota. Requested 5G, quota is 1G and 0G has been consumed.");
    let q = c
        .get(&format!("{base}/os-quota-sets/{}?usage=true", m.project_id()))
        .json();
    assert_eq!(q["quota_set"]["volumes"]["in_use"], 1);
    assert_eq!(q["quota_set"]["gigabytes"]["in_use"], 5);
}
