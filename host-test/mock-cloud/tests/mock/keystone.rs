//! Keystone: tokens from application credentials and passwords, and their checks by the services.

use crate::common::{post_unauthenticated, request, Client};
use crate::{client, fast};
use mock_cloud::{
    MockCloud, MockOptions, APP_CRED_ID, APP_CRED_SECRET, PASSWORD, PROJECT_DOMAIN, USER_DOMAIN, USER_NAME,
};
use serde_json::json;
use std::time::Duration;

#[test]
fn keystone_application_credential_and_password() {
    let m = fast();
    let url = format!("{}/auth/tokens", m.auth_url());
    let body = json!({"auth": {"identity": {"methods": ["application_credential"],
        "application_credential": {"id": APP_CRED_ID, "secret": APP_CRED_SECRET}}}});
    let r = post_unauthenticated(&url, &body.to_string());
    assert_eq!(r.status, 201);
    let tok = r.header("X-Subject-Token").unwrap().to_string();
    assert!(r.header("x-openstack-request-id").unwrap().starts_with("req-"));
    let j = r.json();
    assert_eq!(j["token"]["project"]["id"], m.project_id());
    assert!(j["token"]["expires_at"].as_str().unwrap().ends_with('Z'));
    let cat = j["token"]["catalog"].as_array().unwrap();
    let bs = cat.iter().find(|s| s["type"] == "block-storage").unwrap();
    let public = bs["endpoints"]
        .as_array()
        .unwrap()
        .iter()
        .find(|e| e["interface"] == "public")
        .unwrap();
    assert_eq!(public["url"], m.block_storage_url());
    assert_eq!(public["region"], "dc3-a");
    assert!(cat.iter().any(|s| s["type"] == "compute"));
    assert!(cat.iter().any(|s| s["type"] == "volumev3"));
    // The token works on Cinder.
    let c = Client {
        token: tok,
        mv: "3.71".into(),
    };
    assert_eq!(c.get(&format!("{}/volumes", m.block_storage_url())).status, 200);

    // Password, scoped by project name.
    let body = json!({"auth": {"identity": {"methods": ["password"], "password": {"user": {"name": USER_NAME,
        "domain": {"name": USER_DOMAIN}, "password": PASSWORD}}},
        "scope": {"project": {"name": "demo-project", "domain": {"name": PROJECT_DOMAIN}}}}});
    let r = post_unauthenticated(&url, &body.to_string());
    assert_eq!(r.status, 201);
    assert_eq!(r.json()["token"]["roles"][0]["name"], "member");
    assert_eq!(r.json()["token"]["methods"][0], "password");

    // Wrong secret / password.
    for body in [
        json!({"auth": {"identity": {"methods": ["application_credential"],
            "application_credential": {"id": APP_CRED_ID, "secret": "nope"}}}}),
        json!({"auth": {"identity": {"methods": ["password"], "password": {"user": {"name": USER_NAME,
            "domain": {"name": USER_DOMAIN}, "password": "bad"}}},
            "scope": {"project": {"name": "demo-project", "domain": {"name": PROJECT_DOMAIN}}}}}),
    ] {
        let r = post_unauthenticated(&url, &body.to_string());
        assert_eq!(r.status, 401);
        assert_eq!(
            r.json(),
            json!({"error": {"code": 401, "title": "Unauthorized", "message": "The request you have made requires authentication."}})
        );
    }
    // Malformed.
    let r = post_unauthenticated(&url, "{nope");
    assert_eq!(r.status, 400);
    assert_eq!(r.json()["error"]["title"], "Bad Request");
    let r = post_unauthenticated(&url, "{}");
    assert_eq!(r.status, 400);
}

#[test]
fn token_validation_and_expiry() {
    let m = fast();
    let url = format!("{}/volumes", m.block_storage_url());
    let r = request("GET", &url, &[], None).unwrap();
    assert_eq!(r.status, 401);
    // keystonemiddleware points at Keystone unversioned (as the real Cinder and Nova do).
    assert_eq!(
        r.header("WWW-Authenticate").unwrap(),
        format!("Keystone uri=\"{}\"", m.auth_url().trim_end_matches("/v3"))
    );
    assert_eq!(r.json()["error"]["code"], 401);
    let r = request("GET", &url, &[("X-Auth-Token", "bogus")], None).unwrap();
    assert_eq!(r.status, 401);
    let c = client(&m, "3.71");
    assert_eq!(c.get(&url).status, 200);
    m.expire_tokens();
    assert_eq!(c.get(&url).status, 401);
    let r = c.get(&format!("{}/servers/x/os-volume_attachments", m.compute_url()));
    assert_eq!(r.status, 401);
    // TTL expiry.
    let m = MockCloud::start_with(MockOptions {
        token_ttl: Duration::from_millis(100),
        ..Default::default()
    });
    let c = client(&m, "3.71");
    let url = format!("{}/volumes", m.block_storage_url());
    assert_eq!(c.get(&url).status, 200);
    std::thread::sleep(Duration::from_millis(150));
    assert_eq!(c.get(&url).status, 401);
}

/// With `service_ports`, Keystone, Cinder and Nova listen on ports of their own, the
/// catalog names each service's own listener, and a listener answers only its service.
#[test]
fn services_on_ports_of_their_own() {
    let m = MockCloud::start_with(MockOptions {
        service_ports: true,
        ..MockOptions::default()
    });
    let url = format!("{}/auth/tokens", m.auth_url());
    let body = json!({"auth": {"identity": {"methods": ["application_credential"],
        "application_credential": {"id": APP_CRED_ID, "secret": APP_CRED_SECRET}}}});
    let j = post_unauthenticated(&url, &body.to_string()).json();
    let public = |ty: &str| {
        let svc = j["token"]["catalog"]
            .as_array()
            .unwrap()
            .iter()
            .find(|s| s["type"] == ty)
            .unwrap();
        let e = svc["endpoints"]
            .as_array()
            .unwrap()
            .iter()
            .find(|e| e["interface"] == "public")
            .unwrap();
        e["url"].as_str().unwrap().to_string()
    };
    assert_eq!(public("block-storage"), m.block_storage_url());
    assert_eq!(public("compute"), m.compute_url());
    let port = |u: &str| u.split(':').nth(2).unwrap().split('/').next().unwrap().to_string();
    let ports = [
        port(&m.auth_url()),
        port(&m.block_storage_url()),
        port(&m.compute_url()),
    ];
    assert!(
        ports[0] != ports[1] && ports[1] != ports[2] && ports[0] != ports[2],
        "{ports:?}"
    );
    // Each listener serves its own service and answers webob's 404 for the others.
    let volume_doc = |base: &str| request("GET", &format!("{base}/volume/v3/"), &[], None).unwrap();
    let cinder_base = m
        .block_storage_url()
        .replace(&format!("/volume/v3/{}", m.project_id()), "");
    // Cinder's own answer (keystonemiddleware's 401 without a token), not webob's 404.
    let doc = volume_doc(&cinder_base);
    assert_eq!(doc.status, 401, "{}", String::from_utf8_lossy(&doc.body));
    assert_eq!(volume_doc(&m.base_url()).status, 404);
    let identity_on_nova = m.compute_url().replace("/compute/v2.1", "/identity/v3");
    assert_eq!(request("GET", &identity_on_nova, &[], None).unwrap().status, 404);
    assert_eq!(request("GET", &m.auth_url(), &[], None).unwrap().status, 200);
}

/// `POST /auth/tokens` with `body` and a JSON content type.
fn auth(m: &MockCloud, body: &serde_json::Value) -> crate::common::Response {
    post_unauthenticated(&format!("{}/auth/tokens", m.auth_url()), &body.to_string())
}

fn app_cred_auth(id: &str, secret: &str) -> serde_json::Value {
    json!({"auth": {"identity": {"methods": ["application_credential"],
        "application_credential": {"id": id, "secret": secret}}}})
}

/// Keystone's `{"error": …}` body: (code, message).
fn keystone_error(r: &crate::common::Response) -> (u16, String) {
    let e = &r.json()["error"];
    (
        e["code"].as_u64().unwrap() as u16,
        e["message"].as_str().unwrap().to_string(),
    )
}

const CLIENT_ERROR: &str = "The server could not comply with the request since it is either malformed or otherwise incorrect. The client is assumed to be in error.";

/// Token requests answered as the real Keystone 30.0.0 answers them (observed on
/// `../shared/real-keystone`): its 400 messages, 404 for an unknown application credential,
/// a 401 whose `WWW-Authenticate` names the versioned URL, `expires_at` in whole seconds.
#[test]
fn token_requests_answer_as_the_real_keystone() {
    let m = fast();
    let url = format!("{}/auth/tokens", m.auth_url());
    let r = request("POST", &url, &[], Some("{}")).unwrap();
    let no_type = format!("Expecting to find application/json in Content-Type header. {CLIENT_ERROR}");
    assert_eq!(keystone_error(&r), (400, no_type));
    let r = post_unauthenticated(&url, "{nope");
    assert_eq!(
        keystone_error(&r),
        (
            400,
            format!("Expecting to find valid JSON in request body. {CLIENT_ERROR}")
        )
    );
    let r = post_unauthenticated(&url, "{}");
    assert_eq!(
        keystone_error(&r),
        (400, format!("Expecting to find auth in request body. {CLIENT_ERROR}"))
    );
    let r = auth(&m, &app_cred_auth("nope", APP_CRED_SECRET));
    assert_eq!(
        keystone_error(&r),
        (404, "Could not find Application Credential: nope.".into())
    );
    assert!(r.header("WWW-Authenticate").is_none());
    let r = auth(&m, &app_cred_auth(APP_CRED_ID, "wrong"));
    assert_eq!(r.status, 401);
    assert_eq!(
        r.header("WWW-Authenticate").unwrap(),
        format!("Keystone uri=\"{}\"", m.auth_url())
    );
    let r = auth(&m, &app_cred_auth(APP_CRED_ID, APP_CRED_SECRET));
    let expires = r.json()["token"]["expires_at"].as_str().unwrap().to_string();
    assert!(expires.ends_with(".000000Z"), "{expires}");
}

/// A token is refused from the second its `expires_at` names (Keystone truncates the
/// expiry), not a moment later.
#[test]
fn a_token_expires_at_its_truncated_expiry() {
    let m = MockCloud::start_with(MockOptions {
        token_ttl: Duration::from_millis(1500),
        ..Default::default()
    });
    let r = auth(&m, &app_cred_auth(APP_CRED_ID, APP_CRED_SECRET));
    let token = r.header("X-Subject-Token").unwrap().to_string();
    let expires = r.json()["token"]["expires_at"].as_str().unwrap().to_string();
    let since_epoch = || {
        std::time::SystemTime::now()
            .duration_since(std::time::UNIX_EPOCH)
            .unwrap()
    };
    // `YYYY-MM-DDTHH:MM:SS.000000Z`: only the seconds matter within the next two.
    let exp_s: u64 = expires[17..19].parse().unwrap();
    while since_epoch().as_secs() % 60 != exp_s {
        std::thread::sleep(Duration::from_millis(10));
    }
    std::thread::sleep(Duration::from_millis(20));
    let c = Client {
        token,
        mv: "3.71".into(),
    };
    assert_eq!(
        c.get(&format!("{}/volumes", m.block_storage_url())).status,
        401,
        "accepted past {expires}"
    );
}

/// `GET`/`DELETE /auth/tokens` and the `token` method with the messages the real Keystone
/// gives: a token it issued that expired or was revoked fails to validate, one it cannot read
/// is not recognised; a token-method token keeps the old one's expiry.
#[test]
fn token_validation_answers_as_the_real_keystone() {
    let m = fast();
    let url = format!("{}/auth/tokens", m.auth_url());
    let r = auth(&m, &app_cred_auth(APP_CRED_ID, APP_CRED_SECRET));
    let subject = r.header("X-Subject-Token").unwrap().to_string();
    let expires = r.json()["token"]["expires_at"].clone();
    let caller = m.issue_token();
    let check = |method: &str, subject: Option<&str>| {
        let mut h = vec![("X-Auth-Token", caller.as_str())];
        h.extend(subject.map(|s| ("X-Subject-Token", s)));
        request(method, &url, &h, None).unwrap()
    };
    let r = check("GET", Some(&subject));
    assert_eq!((r.status, r.header("X-Subject-Token")), (200, Some(subject.as_str())));
    assert_eq!(r.json()["token"]["expires_at"], expires);
    assert_eq!(
        keystone_error(&check("GET", None)),
        (404, "No token in the request".into())
    );
    let garbage = keystone_error(&check("GET", Some("garbage")));
    assert_eq!(garbage, (404, "Could not recognize Fernet token".into()));
    let by_token = json!({"auth": {"identity": {"methods": ["token"], "token": {"id": subject}}}});
    let r = post_unauthenticated(&url, &by_token.to_string());
    assert_eq!((r.status, &r.json()["token"]["expires_at"]), (201, &expires));
    assert_ne!(r.header("X-Subject-Token"), Some(subject.as_str()));
    assert_eq!(check("DELETE", Some(&subject)).status, 204);
    for method in ["GET", "DELETE"] {
        let refused = keystone_error(&check(method, Some(&subject)));
        assert_eq!(refused, (404, "Failed to validate token".into()), "{method}");
    }
    let r = post_unauthenticated(&url, &by_token.to_string());
    assert_eq!(keystone_error(&r), (404, "Failed to validate token".into()));
}
