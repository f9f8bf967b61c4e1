//! Cinder volume actions: `os-set_bootable`, `os-update_readonly_flag`,
//! `os-retype`, `revert` (3.40+) and `os-volume_upload_image` (with and without an
//! image service), as a real Cinder 29.0.0 answers them
//! (`fixtures/real-cinder-transcript-actions.txt`, sections 2 to 6b).

use crate::common::{message, Client, Response};
use crate::{client, create_volume, status_of, wait_status};
use mock_cloud::{MockCloud, MockOptions, MockVolumeType};
use serde_json::{json, Value};
use std::time::Duration;

const ZERO: &str = "00000000-0000-0000-0000-000000000000";
const BOOLS: &str = "[True, 'True', 'TRUE', 'true', '1', 'ON', 'On', 'on', 'YES', 'Yes', 'yes', 'y', 't', False, 'False', 'FALSE', 'false', '0', 'OFF', 'Off', 'off', 'NO', 'No', 'no', 'n', 'f']";

fn mock(opts: MockOptions) -> MockCloud {
    MockCloud::start_with(MockOptions {
        transition: Duration::from_millis(150),
        volume_types: vec![
            MockVolumeType::new("gold").description("fast"),
            MockVolumeType::new("silver"),
        ],
        ..opts
    })
}

/// An available 1 GiB volume.
fn volume(m: &MockCloud, c: &Client, body: Value) -> String {
    let vid = create_volume(m, c, json!({"volume": body}));
    wait_status(m, c, "volumes", &vid, Some("available"));
    vid
}

fn act(m: &MockCloud, c: &Client, vid: &str, body: Value) -> Response {
    c.post_json(&format!("{}/volumes/{vid}/action", m.block_storage_url()), &body)
}

fn show(m: &MockCloud, c: &Client, vid: &str) -> Value {
    c.get(&format!("{}/volumes/{vid}", m.block_storage_url())).json()["volume"].clone()
}

/// Each `(body, status, message)` answered so (fault name from the status).
fn expect(m: &MockCloud, c: &Client, vid: &str, cases: &[(Value, u16, String)]) {
    for (body, status, msg) in cases {
        let r = act(m, c, vid, body.clone());
        let fault = match status {
            404 => "itemNotFound",
            409 => "conflictingRequest",
            403 => "forbidden",
            500 => "computeFault",
            _ => "badRequest",
        };
        assert_eq!((r.status, message(&r, fault)), (*status, json!(msg)), "{body}");
    }
}

#[test]
fn set_bootable() {
    let m = mock(MockOptions::default());
    let c = client(&m, "3.71");
    let vid = volume(&m, &c, json!({"size": 1, "name": "flags"}));
    assert_eq!(show(&m, &c, &vid)["bootable"], "false");
    let r = act(&m, &c, &vid, json!({"os-set_bootable": {"bootable": true}}));
    assert_eq!((r.status, r.body.is_empty()), (200, true));
    assert_eq!(show(&m, &c, &vid)["bootable"], "true");
    let list = c
        .get(&format!("{}/volumes/detail?name=flags", m.block_storage_url()))
        .json();
    assert_eq!(list["volumes"][0]["bootable"], "true");
    assert_eq!(
        act(&m, &c, &vid, json!({"os-set_bootable": {"bootable": "false"}})).status,
        200
    );
    assert_eq!(show(&m, &c, &vid)["bootable"], "false");
    assert_eq!(
        act(
            &m,
            &client(&m, ""),
            &vid,
            json!({"os-set_bootable": {"bootable": "TRUE"}})
        )
        .status,
        200
    );
    assert_eq!(show(&m, &c, &vid)["bootable"], "true");
    let bad = |b: Value, msg: &str| (json!({"os-set_bootable": b}), 400, msg.to_string());
    expect(
        &m,
        &c,
        &vid,
        &[
            bad(json!({"bootable": "maybe"}), &format!("Invalid input for field/attribute bootable. Value: maybe. 'maybe' is not one of {BOOLS}")),
            bad(json!({"bootable": 5}), "Invalid input for field/attribute bootable. Value: 5. 5 is not of type 'boolean', 'string'"),
            bad(json!({"bootable": null}), "Invalid input for field/attribute bootable. Value: None. None is not of type 'boolean', 'string'"),
            bad(json!({}), "Invalid input for field/attribute os-set_bootable. Value: {}. 'bootable' is a required property"),
            bad(Value::Null, "Invalid input for field/attribute os-set_bootable. Value: None. None is not of type 'object'"),
            bad(json!({"bootable": true, "x": 1}), "Invalid input for field/attribute os-set_bootable. Value: {'bootable': True, 'x': 1}. Additional properties are not allowed ('x' was unexpected)"),
        ],
    );
    // The body is checked before the volume.
    expect(
        &m,
        &c,
        ZERO,
        &[
            (
                json!({"os-set_bootable": {"bootable": true}}),
                404,
                format!("Volume {ZERO} could not be found."),
            ),
            bad(
                json!({"bootable": "maybe"}),
                &format!("Invalid input for field/attribute bootable. Value: maybe. 'maybe' is not one of {BOOLS}"),
            ),
        ],
    );
    m.set_status("volume", &vid, "maintenance");
    expect(
        &m,
        &c,
        &vid,
        &[(
            json!({"os-set_bootable": {"bootable": true}}),
            400,
            "Invalid volume: The volume cannot be updated during maintenance.".into(),
        )],
    );
    // Any other status will do.
    m.set_status("volume", &vid, "error");
    assert_eq!(
        act(&m, &c, &vid, json!({"os-set_bootable": {"bootable": false}})).status,
        200
    );
}

#[test]
fn readonly_flag_shows_in_the_metadata() {
    let m = mock(MockOptions::default());
    let c = client(&m, "3.71");
    let base = m.block_storage_url();
    let vid = volume(&m, &c, json!({"size": 1, "name": "flags"}));
    let r = act(&m, &c, &vid, json!({"os-update_readonly_flag": {"readonly": true}}));
    assert_eq!((r.status, r.body.is_empty()), (202, true));
    assert_eq!(show(&m, &c, &vid)["metadata"], json!({"readonly": "True"}));
    let list = c.get(&format!("{base}/volumes/detail?name=flags")).json();
    assert_eq!(list["volumes"][0]["metadata"], json!({"readonly": "True"}));
    // Not the volume's own metadata.
    assert_eq!(
        c.get(&format!("{base}/volumes/{vid}/metadata")).json(),
        json!({"metadata": {}})
    );
    let r = c.put_json(
        &format!("{base}/volumes/{vid}/metadata"),
        &json!({"metadata": {"a": "b"}}),
    );
    assert_eq!(r.json(), json!({"metadata": {"a": "b"}}));
    let r = c.put_json(
        &format!("{base}/volumes/{vid}"),
        &json!({"volume": {"description": "ro"}}),
    );
    assert_eq!(r.json()["volume"]["metadata"], json!({"a": "b", "readonly": "True"}));
    assert_eq!(
        show(&m, &client(&m, "3.0"), &vid)["metadata"],
        json!({"a": "b", "readonly": "True"})
    );
    assert_eq!(
        act(&m, &c, &vid, json!({"os-update_readonly_flag": {"readonly": "no"}})).status,
        202
    );
    assert_eq!(show(&m, &c, &vid)["metadata"], json!({"a": "b", "readonly": "False"}));
    let bad = |b: Value, msg: &str| (json!({"os-update_readonly_flag": b}), 400, msg.to_string());
    expect(
        &m,
        &c,
        &vid,
        &[
            bad(json!({"readonly": "maybe"}), &format!("Invalid input for field/attribute readonly. Value: maybe. 'maybe' is not one of {BOOLS}")),
            bad(json!({"readonly": null}), "Invalid input for field/attribute readonly. Value: None. None is not of type 'boolean', 'string'"),
            bad(json!({}), "Invalid input for field/attribute os-update_readonly_flag. Value: {}. 'readonly' is a required property"),
            bad(Value::Null, "Invalid input for field/attribute os-update_readonly_flag. Value: None. None is not of type 'object'"),
        ],
    );
    m.set_status("volume", &vid, "error");
    expect(
        &m,
        &c,
        &vid,
        &[bad(
            json!({"readonly": true}),
            &format!("Invalid volume: Volume {vid} status must be available to update readonly flag, but current status is: error."),
        )],
    );
}

#[test]
fn retype() {
    let m = mock(MockOptions::default());
    let c = client(&m, "3.71");
    let vid = volume(&m, &c, json!({"size": 1}));
    let r = act(&m, &c, &vid, json!({"os-retype": {"new_type": "gold"}}));
    assert_eq!((r.status, r.body.is_empty()), (202, true));
    let v = show(&m, &c, &vid);
    assert_eq!(
        (v["status"].as_str(), v["volume_type"].as_str()),
        (Some("retyping"), Some("__DEFAULT__"))
    );
    wait_status(&m, &c, "volumes", &vid, Some("available"));
    let v = show(&m, &c, &vid);
    assert_eq!(v["volume_type"], "gold");
    assert_eq!(v["volume_type_id"], m.volume_type_id("gold").unwrap());
    // By id, on demand.
    let silver = m.volume_type_id("silver").unwrap();
    let r = act(
        &m,
        &c,
        &vid,
        json!({"os-retype": {"new_type": silver, "migration_policy": "on-demand"}}),
    );
    assert_eq!(r.status, 202);
    wait_status(&m, &c, "volumes", &vid, Some("available"));
    assert_eq!(show(&m, &c, &vid)["volume_type"], "silver");
    let refused = "Invalid volume: Retype needs volume to be in available or in-use state, not be part of an active migration or a consistency group, requested type has to be different that the one from the volume, and for in-use volumes front-end qos specs cannot change.";
    let rt = |b: Value| json!({"os-retype": b});
    let field = |f: &str, v: &str, why: &str| format!("Invalid input for field/attribute {f}. Value: {v}. {why}");
    expect(
        &m,
        &c,
        &vid,
        &[
            (
                rt(json!({"new_type": "silver", "migration_policy": "never"})),
                400,
                refused.into(),
            ),
            (
                rt(json!({"new_type": "bronze"})),
                404,
                "Volume type with name bronze could not be found.".into(),
            ),
            (
                rt(json!({"new_type": ZERO})),
                404,
                format!("Volume type {ZERO} could not be found."),
            ),
            (
                rt(json!({"new_type": ""})),
                404,
                "Volume type with name  could not be found.".into(),
            ),
            (
                rt(json!({"new_type": "gold", "migration_policy": "sometimes"})),
                400,
                field(
                    "migration_policy",
                    "sometimes",
                    "'sometimes' is not one of ['on-demand', 'never']",
                ),
            ),
            (
                rt(json!({"new_type": "gold", "migration_policy": null})),
                400,
                field("migration_policy", "None", "None is not one of ['on-demand', 'never']"),
            ),
            (
                rt(json!({"new_type": "gold", "migration_policy": 5})),
                400,
                field("migration_policy", "5", "5 is not of type 'string', 'null'"),
            ),
            (
                rt(json!({})),
                400,
                field("os-retype", "{}", "'new_type' is a required property"),
            ),
            (
                rt(json!({"new_type": 5})),
                400,
                field("new_type", "5", "5 is not of type 'string'"),
            ),
            (
                rt(json!({"new_type": null})),
                400,
                field("new_type", "None", "None is not of type 'string'"),
            ),
            (
                rt(Value::Null),
                400,
                field("os-retype", "None", "None is not of type 'object'"),
            ),
            (
                rt(json!({"new_type": "gold", "x": 1})),
                400,
                field(
                    "os-retype",
                    "{'new_type': 'gold', 'x': 1}",
                    "Additional properties are not allowed ('x' was unexpected)",
                ),
            ),
        ],
    );
    expect(
        &m,
        &c,
        ZERO,
        &[(
            rt(json!({"new_type": "gold"})),
            404,
            format!("Volume {ZERO} could not be found."),
        )],
    );
    m.set_status("volume", &vid, "error");
    expect(&m, &c, &vid, &[(rt(json!({"new_type": "gold"})), 400, refused.into())]);
}

#[test]
fn retype_an_in_use_volume() {
    let m = mock(MockOptions::default());
    let c = client(&m, "3.71");
    let vid = volume(&m, &c, json!({"size": 1}));
    let server = m.add_server("vm");
    let r = c.post_json(
        &format!("{}/servers/{server}/os-volume_attachments", m.compute_url()),
        &json!({"volumeAttachment": {"volumeId": vid}}),
    );
    assert_eq!(r.status, 200);
    wait_status(&m, &c, "volumes", &vid, Some("in-use"));
    let r = act(
        &m,
        &c,
        &vid,
        json!({"os-retype": {"new_type": "gold", "migration_policy": "never"}}),
    );
    assert_eq!(r.status, 202);
    assert_eq!(status_of(&m, &c, "volumes", &vid).as_deref(), Some("retyping"));
    wait_status(&m, &c, "volumes", &vid, Some("in-use"));
    assert_eq!(show(&m, &c, &vid)["volume_type"], "gold");
}

#[test]
fn retype_to_or_from_multiattach_only_when_available() {
    let m = MockCloud::start_with(MockOptions {
        transition: Duration::ZERO,
        volume_types: vec![MockVolumeType::new("shared").extra_spec("multiattach", "<is> True")],
        ..Default::default()
    });
    let c = client(&m, "3.71");
    let vid = volume(&m, &c, json!({"size": 1}));
    m.set_status("volume", &vid, "in-use");
    let r = act(&m, &c, &vid, json!({"os-retype": {"new_type": "shared"}}));
    assert_eq!(
        message(&r, "badRequest"),
        "Invalid input received: Invalid volume_type passed, retypes affecting multiattach are only allowed on available volumes, the specified volume however currently has a status of: in-use."
    );
    m.set_status("volume", &vid, "available");
    assert_eq!(
        act(&m, &c, &vid, json!({"os-retype": {"new_type": "shared"}})).status,
        202
    );
    let v = show(&m, &c, &vid);
    assert_eq!(
        (v["volume_type"].as_str(), v["multiattach"].as_bool()),
        (Some("shared"), Some(true))
    );
}

/// Creates an available snapshot of `vid`.
fn snapshot(m: &MockCloud, c: &Client, vid: &str) -> String {
    let r = c.post_json(
        &format!("{}/snapshots", m.block_storage_url()),
        &json!({"snapshot": {"volume_id": vid}}),
    );
    let sid = r.json()["snapshot"]["id"].as_str().unwrap().to_string();
    wait_status(m, c, "snapshots", &sid, Some("available"));
    sid
}

#[test]
fn revert_to_the_latest_snapshot() {
    let m = mock(MockOptions::default());
    let c = client(&m, "3.71");
    let c39 = client(&m, "3.39");
    let vid = volume(&m, &c, json!({"size": 1}));
    let rv = |s: Value| json!({"revert": {"snapshot_id": s}});
    expect(
        &m,
        &c,
        &vid,
        &[(
            rv(json!(ZERO)),
            400,
            format!("Volume {vid} doesn't have any snapshots."),
        )],
    );
    // Below 3.40 there is no such action (before the volume is looked up).
    expect(
        &m,
        &c39,
        &vid,
        &[(rv(json!(ZERO)), 404, "The resource could not be found.".into())],
    );
    expect(
        &m,
        &c39,
        ZERO,
        &[(rv(json!(ZERO)), 404, "The resource could not be found.".into())],
    );
    expect(
        &m,
        &c,
        ZERO,
        &[(rv(json!(ZERO)), 404, format!("Volume {ZERO} could not be found."))],
    );
    let s1 = snapshot(&m, &c, &vid);
    let s2 = snapshot(&m, &c, &vid);
    let not_latest = |s: &str| format!("Specified snapshot {s} is None or not the latest one of volume {vid}.");
    expect(
        &m,
        &c,
        &vid,
        &[
            (rv(json!(s1)), 400, not_latest(&s1)),
            (json!({"revert": {}}), 400, not_latest("None")),
            (rv(Value::Null), 400, not_latest("None")),
            (
                rv(json!(5)),
                400,
                "Invalid input for field/attribute snapshot_id. Value: 5. 5 is not of type 'string', 'null'".into(),
            ),
            (
                json!({"revert": "x"}),
                400,
                "Invalid input for field/attribute revert. Value: x. 'x' is not of type 'object'".into(),
            ),
        ],
    );
    expect(
        &m,
        &c39,
        &vid,
        &[(rv(json!(s2)), 404, "The resource could not be found.".into())],
    );
    expect(
        &m,
        &client(&m, ""),
        &vid,
        &[(rv(json!(s2)), 404, "The resource could not be found.".into())],
    );
    // Other properties are allowed.
    let r = act(
        &m,
        &client(&m, "3.40"),
        &vid,
        json!({"revert": {"snapshot_id": s2, "other": 1}}),
    );
    assert_eq!((r.status, r.body.is_empty()), (202, true));
    assert_eq!(status_of(&m, &c, "volumes", &vid).as_deref(), Some("reverting"));
    assert_eq!(status_of(&m, &c, "snapshots", &s2).as_deref(), Some("restoring"));
    // While it reverts, the volume is not available.
    let cannot = format!("Can't revert volume {vid} to its latest snapshot {s2}.");
    expect(
        &m,
        &c,
        &vid,
        &[(
            rv(json!(s2)),
            409,
            format!("Invalid volume: {cannot} Volume's status must be 'available'."),
        )],
    );
    wait_status(&m, &c, "volumes", &vid, Some("available"));
    wait_status(&m, &c, "snapshots", &s2, Some("available"));
    // Sizes must match.
    assert_eq!(act(&m, &c, &vid, json!({"os-extend": {"new_size": 2}})).status, 202);
    wait_status(&m, &c, "volumes", &vid, Some("available"));
    expect(
        &m,
        &c,
        &vid,
        &[(
            rv(json!(s2)),
            400,
            format!("{cannot} The volume size must be equal to the snapshot size."),
        )],
    );
}

#[test]
fn revert_to_a_snapshot_not_available_leaves_the_volume_reverting() {
    let m = mock(MockOptions::default());
    let c = client(&m, "3.71");
    let vid = volume(&m, &c, json!({"size": 1}));
    let sid = snapshot(&m, &c, &vid);
    m.set_status("snapshot", &sid, "error");
    let r = act(&m, &c, &vid, json!({"revert": {"snapshot_id": sid}}));
    assert_eq!(
        r.json(),
        json!({"conflictingRequest": {"code": 409, "message": format!("Invalid snapshot: Can't revert volume {vid} to its latest snapshot {sid}. Snapshot's status must be 'available'.")}})
    );
    std::thread::sleep(Duration::from_millis(300));
    assert_eq!(status_of(&m, &c, "volumes", &vid).as_deref(), Some("reverting"));
}

const FULL: &str = r#"{"os-volume_upload_image": {"container_format": "bare", "disk_format": "raw", "force": false, "image_name": "img1", "protected": false, "visibility": "private"}}"#;

#[test]
fn upload_to_an_image() {
    let m = mock(MockOptions::default());
    let c = client(&m, "3.71");
    let vid = volume(&m, &c, json!({"size": 1, "description": "to be an image"}));
    let before = show(&m, &c, &vid)["updated_at"].clone();
    let r = act(&m, &c, &vid, serde_json::from_str(FULL).unwrap());
    assert_eq!(r.status, 202);
    let mut u = r.json()["os-volume_upload_image"].clone();
    let image_id = u.as_object_mut().unwrap().remove("image_id").unwrap();
    assert_eq!(image_id.as_str().unwrap().len(), 36);
    let default_id = m.volume_type_id("__DEFAULT__").unwrap();
    let t = u["volume_type"].clone();
    assert_eq!(t["created_at"], t["updated_at"]);
    assert_eq!(
        u,
        json!({"id": vid, "updated_at": before, "status": "uploading", "display_description": "to be an image",
               "size": 1, "volume_type": {"id": default_id, "name": "__DEFAULT__", "description": "Default Volume Type",
               "is_public": true, "extra_specs": {}, "qos_specs_id": null, "created_at": t["created_at"],
               "updated_at": t["updated_at"], "deleted_at": null, "deleted": false},
               "container_format": "bare", "disk_format": "raw", "image_name": "img1", "protected": false,
               "visibility": "private"})
    );
    assert_eq!(status_of(&m, &c, "volumes", &vid).as_deref(), Some("uploading"));
    let r = act(&m, &c, &vid, json!({"os-volume_upload_image": {"image_name": "again"}}));
    assert_eq!(
        message(&r, "badRequest"),
        format!("Invalid volume: Volume {vid} status must be available")
    );
    wait_status(&m, &c, "volumes", &vid, Some("available"));
    // Below 3.1: Glance's own defaults (shared, not protected).
    let r = act(
        &m,
        &client(&m, "3.0"),
        &vid,
        json!({"os-volume_upload_image": {"image_name": "img0"}}),
    );
    let u = &r.json()["os-volume_upload_image"];
    assert_eq!(
        (u["visibility"].as_str(), u["protected"].as_bool()),
        (Some("shared"), Some(false))
    );
    wait_status(&m, &c, "volumes", &vid, Some("available"));
    // A typed volume; public images are for admins.
    let gid = volume(&m, &c, json!({"size": 1, "volume_type": "gold"}));
    let public = json!({"os-volume_upload_image": {"image_name": "img2", "disk_format": "qcow2", "visibility": "public", "protected": true}});
    let r = act(&m, &c, &gid, public.clone());
    assert_eq!(
        r.json(),
        json!({"forbidden": {"code": 403, "message": "Policy doesn't allow volume_extension:volume_actions:upload_public to be performed."}})
    );
    let admin = mock(MockOptions {
        admin: true,
        ..Default::default()
    });
    let ca = client(&admin, "3.71");
    let gid = volume(&admin, &ca, json!({"size": 1, "volume_type": "gold"}));
    let u = act(&admin, &ca, &gid, public).json()["os-volume_upload_image"].clone();
    assert_eq!(
        (u["display_description"].clone(), u["disk_format"].clone()),
        (Value::Null, json!("qcow2"))
    );
    assert_eq!(
        (u["visibility"].as_str(), u["protected"].as_bool()),
        (Some("public"), Some(true))
    );
    let t = &u["volume_type"];
    assert_eq!(
        (t["name"].as_str(), t["description"].as_str(), t["updated_at"].clone()),
        (Some("gold"), Some("fast"), Value::Null)
    );
}

#[test]
fn upload_without_glance_and_bad_bodies() {
    let m = mock(MockOptions {
        glance: false,
        ..Default::default()
    });
    let c = client(&m, "3.71");
    let vid = volume(&m, &c, json!({"size": 1}));
    let no_glance = "Connection to glance failed: Error finding address for http://127.0.0.1:1/v2/schemas/image: HTTPConnectionPool(host='127.0.0.1', port=1): Max retries exceeded with url: /v2/schemas/image (Caused by NewConnectionError(\"HTTPConnection(host='127.0.0.1', port=1): Failed to establish a new connection: [Errno 111] ECONNREFUSED\"))";
    let up = |b: Value| json!({"os-volume_upload_image": b});
    let field = |f: &str, v: &str, why: &str| format!("Invalid input for field/attribute {f}. Value: {v}. {why}");
    let long = "x".repeat(256);
    expect(
        &m,
        &c,
        &vid,
        &[
            (serde_json::from_str(FULL).unwrap(), 400, no_glance.into()),
            (
                up(json!({})),
                400,
                field("os-volume_upload_image", "{}", "'image_name' is a required property"),
            ),
            (
                up(json!({"image_name": ""})),
                400,
                field("image_name", "", "'' should be non-empty"),
            ),
            (
                up(json!({"image_name": 5})),
                400,
                field("image_name", "5", "5 is not of type 'string'"),
            ),
            (
                up(json!({"image_name": long})),
                400,
                field("image_name", &long, &format!("'{long}' is too long")),
            ),
            (
                up(json!({"image_name": "x", "disk_format": "iso"})),
                400,
                field(
                    "disk_format",
                    "iso",
                    "'iso' is not one of ['raw', 'vmdk', 'vdi', 'qcow2', 'vhd', 'vhdx', 'ploop']",
                ),
            ),
            (
                up(json!({"image_name": "x", "container_format": 5})),
                400,
                field("container_format", "5", "5 is not of type 'string', 'null'"),
            ),
            (
                up(json!({"image_name": "x", "visibility": "secret"})),
                400,
                field(
                    "visibility",
                    "secret",
                    "'secret' is not one of ['community', 'public', 'private', 'shared']",
                ),
            ),
            (
                up(json!({"image_name": "x", "protected": "maybe"})),
                400,
                field("protected", "maybe", &format!("'maybe' is not one of {BOOLS}")),
            ),
            (
                up(json!({"image_name": "x", "force": "maybe"})),
                400,
                field("force", "maybe", &format!("'maybe' is not one of {BOOLS}")),
            ),
            (
                up(json!({"image_name": "x", "x": 1})),
                400,
                field(
                    "os-volume_upload_image",
                    "{'image_name': 'x', 'x': 1}",
                    "Additional properties are not allowed ('x' was unexpected)",
                ),
            ),
            (
                up(Value::Null),
                400,
                field("os-volume_upload_image", "None", "None is not of type 'object'"),
            ),
        ],
    );
    assert_eq!(status_of(&m, &c, "volumes", &vid).as_deref(), Some("available"));
    // visibility and protected are 3.1 properties.
    expect(
        &m,
        &client(&m, "3.0"),
        &vid,
        &[
            (serde_json::from_str(FULL).unwrap(), 400, field("os-volume_upload_image", "{'container_format': 'bare', 'disk_format': 'raw', 'force': False, 'image_name': 'img1', 'protected': False, 'visibility': 'private'}", "Additional properties are not allowed ('protected', 'visibility' were unexpected)")),
            (up(json!({"image_name": "img0"})), 400, no_glance.into()),
        ],
    );
    expect(
        &m,
        &c,
        ZERO,
        &[(
            up(json!({"image_name": "x"})),
            404,
            format!("Volume {ZERO} could not be found."),
        )],
    );
    // force is ignored (enable_force_upload is off).
    m.set_status("volume", &vid, "error");
    let not_available = format!("Invalid volume: Volume {vid} status must be available");
    expect(
        &m,
        &c,
        &vid,
        &[
            (up(json!({"image_name": "x"})), 400, not_available.clone()),
            (up(json!({"image_name": "x", "force": true})), 400, not_available),
        ],
    );
}

#[test]
fn readonly_flag_and_attachments() {
    let m = mock(MockOptions::default());
    let c = client(&m, "3.71");
    let base = m.block_storage_url();
    let connector = json!({"platform": "x86_64", "os_type": "linux", "ip": "127.0.0.1", "host": "client-host",
        "multipath": false, "initiator": "iqn.1993-08.org.debian:01:abc"});
    // With the flag true, false, or none: the attachment's mode and its access mode.
    for (flag, mode, access) in [
        (Some(true), "ro", "ro"),
        (Some(false), "ro", "rw"),
        (None, "null", "rw"),
    ] {
        let vid = volume(&m, &c, json!({"size": 1}));
        if let Some(ro) = flag {
            assert_eq!(
                act(&m, &c, &vid, json!({"os-update_readonly_flag": {"readonly": ro}})).status,
                202
            );
        }
        let body =
            json!({"attachment": {"volume_uuid": vid, "instance_uuid": crate::SERVER_UUID, "connector": connector}});
        let r = c.post_json(&format!("{base}/attachments"), &body);
        let a = r.json()["attachment"].clone();
        assert_eq!(
            (a["attach_mode"].as_str(), a["connection_info"]["access_mode"].as_str()),
            (Some(mode), Some(access)),
            "{flag:?}"
        );
        let aid = a["id"].as_str().unwrap();
        assert_eq!(
            c.post(&format!("{base}/attachments/{aid}/action"), r#"{"os-complete": {}}"#)
                .status,
            204
        );
        let a = c.get(&format!("{base}/attachments/{aid}")).json()["attachment"].clone();
        assert_eq!(
            (a["attach_mode"].as_str(), a["connection_info"]["access_mode"].as_str()),
            (Some(mode), Some(access)),
            "{flag:?}"
        );
    }
}
