//! Cinder backups: full and incremental, restore to a new or an existing volume.

use crate::common::{message, wait_for};
use crate::{client, create_volume, fast, status_of, wait_status};
use mock_cloud::ResourceCounts;
use serde_json::json;

#[test]
fn backups_incremental_and_restore() {
    let m = fast();
    let c = client(&m, "3.71");
    let base = m.block_storage_url();
    let id = create_volume(&m, &c, json!({"volume": {"size": 2, "name": "src"}}));
    wait_status(&m, &c, "volumes", &id, Some("available"));
    let r = c.post_json(
        &format!("{base}/backups"),
        &json!({"backup": {"volume_id": id, "incremental": true}}),
    );
    assert_eq!(
        message(&r, "badRequest"),
        "Invalid backup: No backups available to do an incremental backup."
    );
    let r = c.post_json(
        &format!("{base}/backups"),
        &json!({"backup": {"volume_id": id, "name": "full"}}),
    );
    assert_eq!(r.status, 202);
    let b = r.json()["backup"].clone();
    assert_eq!(b.as_object().unwrap().len(), 3);
    let full = b["id"].as_str().unwrap().to_string();
    assert_eq!(status_of(&m, &c, "volumes", &id).as_deref(), Some("backing-up"));
    wait_status(&m, &c, "backups", &full, Some("available"));
    wait_status(&m, &c, "volumes", &id, Some("available"));
    let r = c.post_json(
        &format!("{base}/backups"),
        &json!({"backup": {"volume_id": id, "incremental": true}}),
    );
    let inc = r.json()["backup"]["id"].as_str().unwrap().to_string();
    wait_status(&m, &c, "backups", &inc, Some("available"));
    let fj = c.get(&format!("{base}/backups/{full}")).json();
    assert_eq!(fj["backup"]["has_dependent_backups"], true);
    assert_eq!(fj["backup"]["is_incremental"], false);
    assert_eq!(fj["backup"]["size"], 2);
    let ij = c.get(&format!("{base}/backups/{inc}")).json();
    assert_eq!(ij["backup"]["is_incremental"], true);
    let r = c.delete(&format!("{base}/backups/{full}"));
    assert_eq!(
        message(&r, "badRequest"),
        "Invalid backup: Incremental backups exist for this backup."
    );
    let r = c.post(&format!("{base}/backups/{full}/action"), r#"{"os-force_delete":{}}"#);
    assert_eq!(
        message(&r, "forbidden"),
        "Policy doesn't allow volume_extension:backup_admin_actions:force_delete to be performed."
    );
    // Restore to a new volume.
    let r = c.post(&format!("{base}/backups/{full}/restore"), r#"{"restore":{}}"#);
    assert_eq!(r.status, 202);
    let rj = r.json()["restore"].clone();
    assert_eq!(rj["backup_id"], full.as_str());
    assert_eq!(rj["volume_name"], format!("restore_backup_{full}"));
    let nv = rj["volume_id"].as_str().unwrap().to_string();
    assert_eq!(status_of(&m, &c, "volumes", &nv).as_deref(), Some("restoring-backup"));
    assert_eq!(status_of(&m, &c, "backups", &full).as_deref(), Some("restoring"));
    wait_status(&m, &c, "volumes", &nv, Some("available"));
    wait_status(&m, &c, "backups", &full, Some("available"));
    let v = c.get(&format!("{base}/volumes/{nv}")).json();
    assert_eq!(v["volume"]["description"], "auto-created_from_restore_from_backup");
    assert_eq!(v["volume"]["size"], 2);
    // Restore onto an existing volume that is too small.
    let small = create_volume(&m, &c, json!({"volume": {"size": 1}}));
    wait_status(&m, &c, "volumes", &small, Some("available"));
    let r = c.post_json(
        &format!("{base}/backups/{full}/restore"),
        &json!({"restore": {"volume_id": small}}),
    );
    assert_eq!(
        message(&r, "badRequest"),
        "Invalid volume: volume size 1 is too small to restore backup of size 2."
    );
    let r = c.post_json(
        &format!("{base}/backups/{full}/restore"),
        &json!({"restore": {"volume_id": id}}),
    );
    assert_eq!(r.json()["restore"]["volume_name"], "src");
    wait_status(&m, &c, "volumes", &id, Some("available"));
    wait_status(&m, &c, "backups", &full, Some("available"));
    // Clean up everything.
    assert_eq!(c.delete(&format!("{base}/backups/{inc}")).status, 202);
    wait_status(&m, &c, "backups", &inc, None);
    assert_eq!(c.delete(&format!("{base}/backups/{full}")).status, 202);
    for v in [&id, &nv, &small] {
        assert_eq!(c.delete(&format!("{base}/volumes/{v}")).status, 202);
    }
    wait_for(|| m.counts() == ResourceCounts::default());
}
