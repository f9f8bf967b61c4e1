//! Cinder snapshots: of in-use volumes, by microversion.

use crate::common::message;
use crate::{client, create_volume, fast, wait_status};
use serde_json::json;

#[test]
fn snapshots_of_in_use_volumes_by_microversion() {
    let m = fast();
    let c = client(&m, "3.71");
    let base = m.block_storage_url();
    let server = m.add_server("vm1");
    let id = create_volume(&m, &c, json!({"volume": {"size": 1}}));
    wait_status(&m, &c, "volumes", &id, Some("available"));
    let r = c.post_json(
        &format!("{}/servers/{server}/os-volume_attachments", m.compute_url()),
        &json!({"volumeAttachment": {"volumeId": id}}),
    );
    assert_eq!(r.status, 200);
    wait_status(&m, &c, "volumes", &id, Some("in-use"));
    let snap = |mv: &str, force: Option<bool>| {
        let mut s = json!({"volume_id": id});
        if let Some(f) = force {
            s["force"] = json!(f);
        }
        client(&m, mv).post_json(&format!("{base}/snapshots"), &json!({"snapshot": s}))
    };
    let r = snap("3.65", None);
    assert_eq!(r.status, 400);
    assert_eq!(
        message(&r, "badRequest"),
        format!("Invalid volume: Volume {id} status must be available, but current status is: in-use.")
    );
    assert_eq!(snap("3.65", Some(true)).status, 202);
    let r = snap("3.66", Some(false));
    assert_eq!(r.status, 400);
    assert!(message(&r, "badRequest")
        .as_str()
        .unwrap()
        .starts_with("Since microversion 3.66 the 'force' flag is invalid"));
    assert_eq!(snap("3.66", None).status, 202);
    assert_eq!(snap("3.71", Some(true)).status, 202);
    // Backup of an in-use volume needs force.
    let r = c.post_json(&format!("{base}/backups"), &json!({"backup": {"volume_id": id}}));
    assert_eq!(
        message(&r, "badRequest"),
        "Invalid volume: Backing up an in-use volume must use the force flag."
    );
    // Delete in-use volume.
    let r = c.delete(&format!("{base}/volumes/{id}"));
    assert_eq!(r.status, 400);
}
