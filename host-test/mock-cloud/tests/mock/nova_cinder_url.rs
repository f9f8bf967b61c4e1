//! Nova in front of another Cinder (`cinder_url`): a second mock, or a real Cinder.

use crate::common::{post_unauthenticated, request, Client};
use crate::{client, create_volume, instant, nova_attach, nova_call, wait_status};
use mock_cloud::{MockCloud, MockOptions, APP_CRED_ID, APP_CRED_SECRET};
use serde_json::json;
use std::time::Duration;

/// `cinder_url`: Nova and the catalog front another Cinder (here a second mock);
/// Nova forwards the caller's token unchecked and that Cinder judges it.
#[test]
fn nova_in_front_of_another_cinder() {
    let cinder = instant();
    let c = client(&cinder, "3.71");
    let nova = MockCloud::start_with(MockOptions {
        transition: Duration::from_millis(50),
        cinder_url: Some(cinder.block_storage_url()),
        ..Default::default()
    });
    assert_eq!(nova.block_storage_url(), cinder.block_storage_url());
    let body = json!({"auth": {"identity": {"methods": ["application_credential"],
        "application_credential": {"id": APP_CRED_ID, "secret": APP_CRED_SECRET}}}});
    let r = post_unauthenticated(&format!("{}/auth/tokens", nova.auth_url()), &body.to_string());
    let catalog = r.json()["token"]["catalog"].clone();
    for service in catalog.as_array().unwrap() {
        let want = match service["type"].as_str().unwrap() {
            "compute" => nova.compute_url(),
            _ => cinder.block_storage_url(),
        };
        for e in service["endpoints"].as_array().unwrap() {
            assert_eq!(e["url"], want.as_str(), "{service}");
        }
    }

    let server = nova.add_server("vm");
    let vid = create_volume(&cinder, &c, json!({"volume": {"size": 1}}));
    let att = format!("/servers/{server}/os-volume_attachments");
    // `c`'s token comes from the other mock: this Nova's Keystone never issued it.
    let r = nova_attach(&nova, &c, &server, &vid);
    assert_eq!(r.status, 200);
    wait_status(&cinder, &c, "volumes", &vid, Some("in-use"));
    assert_eq!((nova.counts().attachments, cinder.counts().attachments), (0, 1));
    assert_eq!(cinder.nova_requests().len(), 4);
    assert!(cinder.requests().iter().all(|r| !r.path.contains("/attachments")));
    // A token that Cinder refuses; none at all.
    let bogus = Client {
        token: "bogus".into(),
        mv: "3.71".into(),
    };
    let r = nova_call(&nova, &bogus, None, "DELETE", &format!("{att}/{vid}"), None);
    assert_eq!((r.status, r.json()["error"]["code"].clone()), (401, json!(401)));
    let r = request("GET", &format!("{}{att}", nova.compute_url()), &[], None).unwrap();
    assert_eq!(r.status, 401);
    assert_eq!(
        nova_call(&nova, &c, None, "DELETE", &format!("{att}/{vid}"), None).status,
        202
    );
    wait_status(&cinder, &c, "volumes", &vid, Some("available"));
    assert_eq!(cinder.counts().attachments, 0);

    // A Cinder that does not answer.
    let lost = MockCloud::start_with(MockOptions {
        cinder_url: Some("http://127.0.0.1:1/v3/0123456789abcdef0123456789abcdef".into()),
        ..Default::default()
    });
    let sid = lost.add_server("vm");
    let r = nova_attach(&lost, &c, &sid, &vid);
    assert_eq!((r.status, r.json()["computeFault"]["code"].clone()), (500, json!(500)));
}

/// The mock's Nova in front of a real Cinder 29.0.0: run
/// `../shared/real-cinder/run-cinder.sh PORT` and set `REAL_CINDER_URL=http://127.0.0.1:PORT`.
#[test]
fn nova_in_front_of_real_cinder() {
    let Ok(url) = std::env::var("REAL_CINDER_URL") else {
        println!(
            "nova_in_front_of_real_cinder: SKIPPED: REAL_CINDER_URL is not set (start ../shared/real-cinder/run-cinder.sh PORT, then REAL_CINDER_URL=http://127.0.0.1:PORT)"
        );
        return;
    };
    let project = "0123456789abcdef0123456789abcdef";
    let nova = MockCloud::start_with(MockOptions {
        project_id: project.into(),
        cinder_url: Some(format!("{}/v3/{project}", url.trim_end_matches('/'))),
        transition: Duration::from_millis(100),
        ..Default::default()
    });
    // Cinder's noauth: `user:project` tokens.
    let c = Client {
        token: format!("demo:{project}"),
        mv: "3.71".into(),
    };
    let server = nova.add_server("vm");
    let vid = create_volume(
        &nova,
        &c,
        json!({"volume": {"size": 1, "name": "mock-nova-real-cinder"}}),
    );
    wait_status(&nova, &c, "volumes", &vid, Some("available"));
    let att = format!("/servers/{server}/os-volume_attachments");
    let r = nova_attach(&nova, &c, &server, &vid);
    assert_eq!(r.status, 200, "{}", String::from_utf8_lossy(&r.body));
    assert_eq!(r.json()["volumeAttachment"]["device"], "/dev/sdb");
    wait_status(&nova, &c, "volumes", &vid, Some("in-use"));
    let vol_url = format!("{}/volumes/{vid}", nova.block_storage_url());
    let a = c.get(&vol_url).json()["volume"]["attachments"][0].clone();
    assert_eq!((&a["server_id"], &a["device"]), (&json!(server), &json!("/dev/sdb")));
    let listed = nova_call(&nova, &c, Some("2.89"), "GET", &att, None).json();
    assert_eq!(listed["volumeAttachments"][0]["attachment_id"], a["attachment_id"]);
    // Attached: Nova refuses another server (its own BDM), real Cinder a plain delete.
    let other = nova.add_server("vm2");
    let r = nova_attach(&nova, &c, &other, &vid);
    assert_eq!(r.status, 400, "{}", String::from_utf8_lossy(&r.body));
    assert_eq!(c.delete(&vol_url).status, 400);

    let r = nova_call(&nova, &c, None, "DELETE", &format!("{att}/{vid}"), None);
    assert_eq!(r.status, 202, "{}", String::from_utf8_lossy(&r.body));
    wait_status(&nova, &c, "volumes", &vid, Some("available"));
    assert_eq!(c.get(&vol_url).json()["volume"]["attachments"], json!([]));
    assert_eq!(
        nova_call(&nova, &c, None, "GET", &att, None).json(),
        json!({"volumeAttachments": []})
    );
    assert_eq!(c.delete(&vol_url).status, 202);
    wait_status(&nova, &c, "volumes", &vid, None);
}
