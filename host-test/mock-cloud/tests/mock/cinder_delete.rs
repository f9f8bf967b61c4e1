//! Cinder volume deletes with `cascade` (its snapshots too) and `force` (3.23+,
//! admins), as a real Cinder 29.0.0 answers them
//! (`fixtures/real-cinder-transcript-actions.txt`, section 1).

use crate::common::{message, Client};
use crate::{client, create_volume, status_of, wait_status};
use mock_cloud::{MockCloud, MockOptions, ResourceCounts};
use serde_json::json;
use std::time::Duration;

const REFUSED: &str = "Invalid volume: Volume status must be available or error or error_restoring or error_extending or error_managing and must not be migrating, attached, belong to a group, have snapshots, awaiting a transfer, or be disassociated from snapshots after volume transfer.";
const REFUSED_FORCED: &str = "Invalid volume: Volume  must not be migrating, attached, belong to a group, have snapshots, awaiting a transfer, or be disassociated from snapshots after volume transfer.";

fn mock(admin: bool) -> MockCloud {
    MockCloud::start_with(MockOptions {
        transition: Duration::from_millis(150),
        admin,
        ..Default::default()
    })
}

/// An available volume with an available snapshot: (volume, snapshot).
fn volume_with_snapshot(m: &MockCloud, c: &Client, name: &str) -> (String, String) {
    let base = m.block_storage_url();
    let vid = create_volume(m, c, json!({"volume": {"size": 1, "name": name}}));
    wait_status(m, c, "volumes", &vid, Some("available"));
    let r = c.post_json(&format!("{base}/snapshots"), &json!({"snapshot": {"volume_id": vid}}));
    let sid = r.json()["snapshot"]["id"].as_str().unwrap().to_string();
    wait_status(m, c, "snapshots", &sid, Some("available"));
    (vid, sid)
}

#[test]
fn cascade_deletes_the_snapshots_too() {
    let m = mock(true);
    let c = client(&m, "3.71");
    let base = m.block_storage_url();
    let (vid, sid) = volume_with_snapshot(&m, &c, "a");
    let del = |c: &Client, q: &str| c.delete(&format!("{base}/volumes/{vid}{q}"));
    let r = del(&c, "");
    assert_eq!((r.status, message(&r, "badRequest")), (400, json!(REFUSED)));
    // Booleans are checked (cascade before the volume, force from 3.23 only).
    let r = del(&c, "?cascade=bogus");
    assert_eq!(
        r.json(),
        json!({"badRequest": {"code": 400, "message": "Value 'bogus' for 'cascade' is not a boolean."}})
    );
    let r = c.delete(&format!(
        "{base}/volumes/00000000-0000-0000-0000-000000000000?cascade=bogus"
    ));
    assert_eq!(
        message(&r, "badRequest"),
        "Value 'bogus' for 'cascade' is not a boolean."
    );
    let r = del(&client(&m, "3.22"), "?force=bogus");
    assert_eq!(message(&r, "badRequest"), REFUSED);
    let r = del(&client(&m, "3.23"), "?force=bogus");
    assert_eq!(message(&r, "badRequest"), "Value 'bogus' for 'force' is not a boolean.");
    // force alone does not take snapshots along.
    let r = del(&client(&m, "3.23"), "?force=true");
    assert_eq!((r.status, message(&r, "badRequest")), (400, json!(REFUSED_FORCED)));
    // cascade: every snapshot must be available or error.
    m.set_status("snapshot", &sid, "creating");
    let r = del(&c, "?cascade=true");
    assert_eq!((r.status, message(&r, "badRequest")), (400, json!(REFUSED)));
    m.set_status("snapshot", &sid, "error");
    let r = del(&c, "?cascade=true");
    assert_eq!(r.status, 202);
    assert!(r.body.is_empty());
    assert_eq!(r.header("Content-Type"), Some("text/html; charset=UTF-8"));
    assert_eq!(status_of(&m, &c, "volumes", &vid).as_deref(), Some("deleting"));
    let s = c.get(&format!("{base}/snapshots/{sid}")).json()["snapshot"].clone();
    assert_eq!(
        (
            s["status"].as_str(),
            s["os-extended-snapshot-attributes:progress"].as_str()
        ),
        (Some("deleting"), Some("100%"))
    );
    wait_status(&m, &c, "volumes", &vid, None);
    let r = c.get(&format!("{base}/snapshots/{sid}"));
    assert_eq!(
        message(&r, "itemNotFound"),
        format!("Snapshot {sid} could not be found.")
    );
    assert_eq!(m.counts(), ResourceCounts::default());
    // A volume without snapshots: cascade is just a delete.
    let vid = create_volume(&m, &c, json!({"volume": {"size": 1}}));
    wait_status(&m, &c, "volumes", &vid, Some("available"));
    assert_eq!(c.delete(&format!("{base}/volumes/{vid}?cascade=true")).status, 202);
    wait_status(&m, &c, "volumes", &vid, None);
}

#[test]
fn cascade_with_force_skips_the_status_checks_from_3_23() {
    let m = mock(true);
    let c = client(&m, "3.71");
    let base = m.block_storage_url();
    let (vid, sid) = volume_with_snapshot(&m, &c, "b");
    // An admin's os-reset_status sets a snapshot's status (lowercased).
    let r = c.post_json(
        &format!("{base}/snapshots/{sid}/action"),
        &json!({"os-reset_status": {"status": "CREATING"}}),
    );
    assert_eq!(r.status, 202);
    assert_eq!(status_of(&m, &c, "snapshots", &sid).as_deref(), Some("creating"));
    m.set_status("volume", &vid, "error_deleting");
    // Below 3.23 force is ignored: the volume's status refuses it.
    let r = client(&m, "3.22").delete(&format!("{base}/volumes/{vid}?cascade=true&force=true"));
    assert_eq!((r.status, message(&r, "badRequest")), (400, json!(REFUSED)));
    let r = client(&m, "3.23").delete(&format!("{base}/volumes/{vid}?cascade=1&force=yes"));
    assert_eq!(r.status, 202);
    assert_eq!(status_of(&m, &c, "snapshots", &sid).as_deref(), Some("deleting"));
    wait_status(&m, &c, "volumes", &vid, None);
    wait_status(&m, &c, "snapshots", &sid, None);
}

#[test]
fn force_is_for_admins() {
    let m = mock(false);
    let c = client(&m, "3.71");
    let base = m.block_storage_url();
    let r = c.delete(&format!(
        "{base}/volumes/00000000-0000-0000-0000-000000000000?force=true"
    ));
    assert_eq!(r.status, 404);
    let vid = create_volume(&m, &c, json!({"volume": {"size": 1}}));
    wait_status(&m, &c, "volumes", &vid, Some("available"));
    let r = c.delete(&format!("{base}/volumes/{vid}?force=true"));
    assert_eq!(
        r.json(),
        json!({"forbidden": {"code": 403, "message": "Policy doesn't allow volume:force_delete to be performed."}})
    );
    // Ignored below 3.23.
    assert_eq!(
        client(&m, "3.22")
            .delete(&format!("{base}/volumes/{vid}?force=true"))
            .status,
        202
    );
}
