//! Client flows over a scripted in-memory transport: connect, re-authentication,
//! pagination, waiting, and the order and content of requests.

use std::cell::{Cell, RefCell};
use std::collections::VecDeque;

use crate::client::Client;
use crate::http::{Io, Method, Request, Response};
use crate::resource;
use crate::{ApplicationCredential, Config, Credentials, Error, ListOptions, Snapshot, Volume};

/// One scripted exchange: the expected method and URL part, and the answer.
type Scripted = (Method, &'static str, Result<Response, Error>);

/// Answers requests from a script, records them, and runs a fake clock.
#[derive(Default)]
struct Fake {
    script: RefCell<VecDeque<Scripted>>,
    sent: RefCell<Vec<Request>>,
    clock_ms: Cell<u64>,
    /// How long each answer takes on the fake clock.
    answer_ms: Cell<u64>,
    logs: RefCell<Vec<String>>,
}

impl Fake {
    fn expect(
        self,
        method: Method,
        url_contains: &'static str,
        status: u16,
        headers: &[(&str, &str)],
        body: &str,
    ) -> Self {
        let resp = Response {
            status,
            headers: headers.iter().map(|(k, v)| (k.to_string(), v.to_string())).collect(),
            body: body.as_bytes().to_vec(),
        };
        self.script.borrow_mut().push_back((method, url_contains, Ok(resp)));
        self
    }

    /// The next request asks Keystone for a token, and gets `token`.
    fn new_token(self, token: &str) -> Self {
        self.expect(
            Method::Post,
            "/auth/tokens",
            201,
            &[("x-subject-token", token)],
            TOKEN_BODY,
        )
    }

    /// The next request is `POST …/backups`, answered with the new backup's `id`.
    fn create_backup(self, id: &str) -> Self {
        let body = format!(r#"{{"backup": {{"id": "{id}", "name": "x", "links": []}}}}"#);
        self.expect(Method::Post, "/backups", 202, &[], &body)
    }

    /// The next request is `GET …/volumes/v1`, answered with that volume in `status`.
    fn get_volume_v1(self, status: &str) -> Self {
        let body = format!(r#"{{"volume": {}}}"#, volume("v1", status));
        self.expect(Method::Get, "/volumes/v1", 200, &[], &body)
    }

    /// The next request fails without an answer (connection refused or dropped).
    fn drop_connection(self, method: Method, url_contains: &'static str) -> Self {
        self.fail(method, url_contains, "connection reset".into())
    }

    /// The next request fails without an answer, with `message` as its transport error.
    fn fail(self, method: Method, url_contains: &'static str, message: String) -> Self {
        let err = Error::Transport(message);
        self.script.borrow_mut().push_back((method, url_contains, Err(err)));
        self
    }
}

impl Io for &Fake {
    fn send(&self, req: &Request) -> Result<Response, Error> {
        self.sent.borrow_mut().push(req.clone());
        self.sleep_ms(self.answer_ms.get());
        let (method, part, resp) = self
            .script
            .borrow_mut()
            .pop_front()
            .unwrap_or_else(|| panic!("unexpected request {} {}", req.method.as_str(), req.url));
        assert_eq!(method, req.method, "{}", req.url);
        assert!(req.url.contains(part), "{} does not contain {part}", req.url);
        resp
    }
    fn now_ms(&self) -> u64 {
        self.clock_ms.get()
    }
    fn sleep_ms(&self, ms: u64) {
        self.clock_ms.set(self.clock_ms.get() + ms);
    }
    fn unix_time_s(&self) -> u64 {
        1_795_680_000 + self.clock_ms.get() / 1000 // from 2026-11-26T08:00:00Z
    }
    fn log(&self, line: &str) {
        self.logs.borrow_mut().push(line.to_string());
    }
}

const TOKEN_BODY: &str = r#"{"token": {"expires_at": "2026-11-26T09:00:00.000000Z", "project": {"id": "p1"}, "catalog": [
  {"type": "block-storage", "endpoints": [{"interface": "public", "region": "dc3-a", "url": "https://bs.example/volume/v3/p1"}]},
  {"type": "compute", "endpoints": [{"interface": "public", "region": "dc3-a", "url": "https://nova.example/compute/v2.1"}]}]}}"#;
const VERSIONS: &str =
    r#"{"versions": [{"id": "v3.0", "status": "CURRENT", "version": "3.71", "min_version": "3.0"}]}"#;

fn cfg() -> Config {
    Config {
        auth_url: "https://keystone.example/identity/v3".into(),
        credentials: Credentials::ApplicationCredential(ApplicationCredential {
            id: "ac".into(),
            secret: "SECRET-canary".into(),
        }),
        region: Some("dc3-a".into()),
        endpoint_interface: None,
        block_storage_url: None,
        compute_url: None,
        timeout_ms: Some(5000),
        microversion: None,
        max_response_bytes: None,
    }
}

fn connected(fake: Fake) -> Fake {
    fake.expect(
        Method::Post,
        "https://keystone.example/identity/v3/auth/tokens",
        201,
        &[("X-Subject-Token", "tok1")],
        TOKEN_BODY,
    )
    .expect(Method::Get, "https://bs.example/volume/v3/", 200, &[], VERSIONS)
}

fn header<'a>(r: &'a Request, name: &str) -> Option<&'a str> {
    r.headers.iter().find(|(k, _)| k == name).map(|(_, v)| v.as_str())
}

/// A backup of volume `v1` named `x`.
fn backup_spec(incremental: bool) -> crate::BackupCreate {
    crate::BackupCreate {
        volume_id: "v1".into(),
        name: Some("x".into()),
        description: None,
        incremental,
        force: false,
        snapshot_id: None,
        container: None,
        metadata: vec![],
        availability_zone: None,
        idempotency_key: None,
    }
}

fn volume(id: &str, status: &str) -> String {
    format!(r#"{{"id": "{id}", "status": "{status}", "size": 1, "name": null, "created_at": "2026-11-26T07:00:00"}}"#)
}

#[test]
fn connect_authenticates_discovers_and_negotiates() {
    let fake = connected(Fake::default());
    let c = Client::connect(&fake, cfg()).unwrap();
    assert_eq!(c.block_storage_url(), "https://bs.example/volume/v3/p1");
    assert_eq!(c.microversion().to_string(), "3.71");
    assert_eq!(c.project_id().as_deref(), Some("p1"));
    let sent = fake.sent.borrow();
    assert_eq!(sent.len(), 2);
    assert_eq!(sent[1].url, "https://bs.example/volume/v3/");
    assert_eq!(header(&sent[1], "x-auth-token"), Some("tok1"));
    assert_eq!(header(&sent[1], "openstack-api-version"), Some("volume 3.0"));
}

#[test]
fn every_cinder_request_carries_token_and_microversion() {
    let fake = connected(Fake::default()).get_volume_v1("available");
    let c = Client::connect(&fake, cfg()).unwrap();
    let v = resource::get::<Volume, _>(&c, "v1").unwrap();
    assert_eq!(v.status, "available");
    let sent = fake.sent.borrow();
    assert_eq!(sent[2].url, "https://bs.example/volume/v3/p1/volumes/v1");
    assert_eq!(header(&sent[2], "openstack-api-version"), Some("volume 3.71"));
    assert_eq!(header(&sent[2], "x-auth-token"), Some("tok1"));
}

#[test]
fn reauthenticates_on_401_then_a_second_later_then_gives_up() {
    let unauthorized = r#"{"error": {"code": 401, "title": "Unauthorized", "message": "The request you have made requires authentication."}}"#;
    let fake = connected(Fake::default())
        .expect(Method::Get, "/volumes/v1", 401, &[], unauthorized)
        .new_token("tok2")
        .get_volume_v1("available")
        .expect(Method::Get, "/volumes/v1", 401, &[], unauthorized)
        .new_token("tok3")
        .expect(Method::Get, "/volumes/v1", 401, &[], unauthorized)
        .new_token("tok4")
        .expect(
            Method::Get,
            "/volumes/v1",
            401,
            &[("x-openstack-request-id", "req-x")],
            unauthorized,
        );
    let c = Client::connect(&fake, cfg()).unwrap();
    resource::get::<Volume, _>(&c, "v1").unwrap();
    assert_eq!(header(&fake.sent.borrow()[4], "x-auth-token"), Some("tok2"));
    let e = resource::get::<Volume, _>(&c, "v1").unwrap_err();
    assert!(
        matches!(&e, Error::Unauthorized(a) if a.request_id.as_deref() == Some("req-x")),
        "{e:?}"
    );
    assert!(fake.script.borrow().is_empty());
    // One pause, of a second, before the last token: never more per call.
    assert_eq!(fake.clock_ms.get(), 1_000);
}

#[test]
fn a_token_revoked_in_its_own_second_is_replaced_a_second_later() {
    // Keystone revokes a token issued in the second of a revocation event: the first new
    // token is refused too, the next second's is good.
    let unauthorized = r#"{"error": {"code": 401, "message": "The request you have made requires authentication."}}"#;
    let fake = connected(Fake::default())
        .expect(Method::Get, "/volumes/v1", 401, &[], unauthorized)
        .new_token("tok2")
        .expect(Method::Get, "/volumes/v1", 401, &[], unauthorized)
        .new_token("tok3")
        .get_volume_v1("available");
    let c = Client::connect(&fake, cfg()).unwrap();
    assert_eq!(resource::get::<Volume, _>(&c, "v1").unwrap().id, "v1");
    assert_eq!(fake.clock_ms.get(), 1_000);
}

#[test]
fn token_credentials_make_no_keystone_call_and_are_not_renewed() {
    let fake = Fake::default()
        .expect(Method::Get, "http://cinder:8776/v3/", 200, &[], VERSIONS)
        .expect(Method::Get, "/volumes/v1", 401, &[], "{}");
    let mut cfg = cfg();
    cfg.credentials = Credentials::Token("user:0123".into());
    cfg.block_storage_url = Some("http://cinder:8776/v3/0123/".into());
    cfg.auth_url = String::new();
    let c = Client::connect(&fake, cfg).unwrap();
    assert_eq!(c.project_id().as_deref(), Some("0123"));
    let e = resource::get::<Volume, _>(&c, "v1").unwrap_err();
    assert!(
        matches!(&e, Error::Unauthorized(a) if a.message.starts_with("the token was refused (expired or revoked) and token credentials cannot be renewed: ")),
        "{e:?}"
    );
    assert!(matches!(
        crate::attachments::detach(&c, "v1", "s1"),
        Err(Error::NoEndpoint(_))
    ));
}

#[test]
fn a_token_with_url_and_pinned_microversion_connects_without_a_request() {
    // The cold path of a serverless function: connect sends nothing, the first call
    // carries the pinned version as is (an application credential still negotiates).
    let fake = Fake::default().get_volume_v1("available");
    let mut cfg = cfg();
    cfg.credentials = Credentials::Token("user:0123".into());
    cfg.block_storage_url = Some("https://bs.example/volume/v3/p1".into());
    cfg.microversion = Some("3.99".into());
    let c = Client::connect(&fake, cfg).unwrap();
    assert_eq!(fake.sent.borrow().len(), 0, "connect sent a request");
    assert_eq!(c.microversion().to_string(), "3.99");
    resource::get::<Volume, _>(&c, "v1").unwrap();
    let sent = fake.sent.borrow();
    assert_eq!(sent.len(), 1);
    assert_eq!(header(&sent[0], "openstack-api-version"), Some("volume 3.99"));

    let (fake, pinned) = connected_at(Fake::default(), "3.60");
    Client::connect(&fake, pinned).unwrap();
    assert_eq!(fake.sent.borrow().len(), 2, "token + version document");
}

#[test]
fn bad_config_sends_nothing() {
    type Mutate = fn(&mut Config);
    let cases: Vec<(Mutate, &str)> = vec![
        (|c| c.auth_url = String::new(), "auth-url"),
        (|c| c.auth_url = "ftp://x".into(), "auth-url"),
        (|c| c.auth_url = "https://u:SECRET-canary@x/".into(), "auth-url"),
        (|c| c.endpoint_interface = Some("private".into()), "endpoint-interface"),
        (|c| c.timeout_ms = Some(0), "timeout-ms"),
        (|c| c.microversion = Some("4.1".into()), "microversion"),
        (|c| c.block_storage_url = Some("not a url".into()), "block-storage-url"),
        (|c| c.credentials = Credentials::Token("".into()), "credentials.token"),
    ];
    for (mutate, field) in cases {
        let fake = Fake::default();
        let mut c = cfg();
        mutate(&mut c);
        match Client::connect(&fake, c) {
            Err(Error::InvalidInput(m)) => {
                assert!(m.starts_with(field), "{m}");
                assert!(!m.contains("SECRET-canary"));
            }
            other => panic!("{field}: {other:?}"),
        }
        assert!(fake.sent.borrow().is_empty());
    }
}

#[test]
fn renews_a_token_before_it_expires() {
    // Expires at 08:10: renewed from 08:08 (two minutes before), not on every request.
    let short = TOKEN_BODY.replace("2026-11-26T09:00:00", "2026-11-26T08:10:00");
    let short: &'static str = Box::leak(short.into_boxed_str());
    let one = r#"{"volume": {"id": "v1", "status": "available", "size": 1}}"#;
    let fake = Fake::default()
        .expect(Method::Post, "/auth/tokens", 201, &[("x-subject-token", "old")], short)
        .expect(Method::Get, "/volume/v3/", 200, &[], VERSIONS)
        .expect(Method::Get, "/volumes/v1", 200, &[], one)
        .new_token("new")
        .expect(Method::Get, "/volumes/v1", 200, &[], one);
    let c = Client::connect(&fake, cfg()).unwrap();
    (&fake).sleep_ms(479_000);
    resource::get::<Volume, _>(&c, "v1").unwrap();
    (&fake).sleep_ms(2_000);
    resource::get::<Volume, _>(&c, "v1").unwrap();
    let sent = fake.sent.borrow();
    assert_eq!(header(&sent[2], "x-auth-token"), Some("old"));
    assert_eq!(header(&sent[4], "x-auth-token"), Some("new"));
}

#[test]
fn list_follows_next_links_on_our_own_endpoint() {
    let page = |ids: &[&str], next: Option<&str>| {
        let vols: Vec<String> = ids.iter().map(|i| volume(i, "available")).collect();
        let links = next
            .map(|n| format!(r#", "volumes_links": [{{"href": "{n}", "rel": "next"}}]"#))
            .unwrap_or_default();
        Box::leak(format!(r#"{{"volumes": [{}]{links}}}"#, vols.join(",")).into_boxed_str()) as &'static str
    };
    let fake = connected(Fake::default())
        .expect(
            Method::Get,
            "/volumes/detail?limit=2&status=available",
            200,
            &[],
            page(
                &["a", "b"],
                Some("http://evil.example/v3/p1/volumes/detail?limit=2&marker=b"),
            ),
        )
        .expect(
            Method::Get,
            "https://bs.example/volume/v3/p1/volumes/detail?limit=2&marker=b",
            200,
            &[],
            page(
                &["c", "d"],
                Some("https://bs.example/volume/v3/p1/volumes/detail?limit=2&marker=d"),
            ),
        )
        .expect(Method::Get, "marker=d", 200, &[], page(&[], None));
    let c = Client::connect(&fake, cfg()).unwrap();
    let opts = ListOptions {
        status: Some("available".into()),
        page_size: Some(2),
        ..crate::pagination::tests::all()
    };
    let all = resource::list::<Volume, _>(&c, &opts).unwrap();
    assert_eq!(
        all.iter().map(|v| v.id.as_str()).collect::<Vec<_>>(),
        ["a", "b", "c", "d"]
    );
    assert!(fake.sent.borrow().iter().all(|r| !r.url.contains("evil")));

    // Links back to an earlier page are a server fault, not an endless list; odd characters
    // in a link are encoded, not sent raw.
    let fake = connected(Fake::default())
        .expect(
            Method::Get,
            "/volumes/detail",
            200,
            &[],
            page(&["a"], Some("https://bs.example/v3/p1/volumes/detail?marker=a&x=é")),
        )
        .expect(
            Method::Get,
            "marker=a&x=%C3%A9",
            200,
            &[],
            page(&["b"], Some("https://bs.example/v3/p1/volumes/detail?marker=b")),
        )
        .expect(
            Method::Get,
            "marker=b",
            200,
            &[],
            page(&["a"], Some("https://bs.example/v3/p1/volumes/detail?marker=a&x=é")),
        );
    let c = Client::connect(&fake, cfg()).unwrap();
    let e = resource::list::<Volume, _>(&c, &opts).unwrap_err();
    assert!(matches!(&e, Error::InvalidResponse(m) if m.contains("circle")), "{e:?}");
}

#[test]
fn wait_polls_on_the_schedule_and_fails_fast() {
    let one = |s: &str| Box::leak(format!(r#"{{"volume": {}}}"#, volume("v1", s)).into_boxed_str()) as &'static str;
    let fake = connected(Fake::default())
        .expect(Method::Get, "/volumes/v1", 200, &[], one("creating"))
        .expect(Method::Get, "/volumes/v1", 200, &[], one("creating"))
        .expect(Method::Get, "/volumes/v1", 200, &[], one("creating"))
        .expect(Method::Get, "/volumes/v1", 200, &[], one("available"))
        .expect(Method::Get, "/volumes/v1", 200, &[], one("error_extending"))
        .expect(
            Method::Get,
            "/messages?resource_uuid=v1",
            200,
            &[],
            r#"{"messages": []}"#,
        )
        .expect(
            Method::Get,
            "/volumes/v1",
            404,
            &[],
            r#"{"itemNotFound": {"code": 404, "message": "gone"}}"#,
        )
        .expect(Method::Get, "/volumes/v1", 200, &[], one("creating"))
        .expect(Method::Get, "/volumes/v1", 200, &[], one("creating"))
        .expect(Method::Get, "/volumes/v1", 200, &[], one("creating"))
        .expect(Method::Get, "/volumes/v1", 200, &[], one("creating"))
        .expect(Method::Get, "/volumes/v1", 200, &[], one("creating"));
    let c = Client::connect(&fake, cfg()).unwrap();
    let v = resource::wait_for::<Volume, _>(&c, "v1", "available", 60)
        .unwrap()
        .unwrap();
    assert_eq!(v.status, "available");
    assert_eq!(fake.clock_ms.get(), 3 * 250, "polls every 250 ms in the first second");
    let e = resource::wait_for::<Volume, _>(&c, "v1", "available", 60).unwrap_err();
    assert!(
        matches!(&e, Error::ResourceFailed(f) if f.status == "error_extending" && f.resource_id == "v1" && f.reason.is_none()),
        "{e:?}"
    );
    assert!(resource::wait_for::<Volume, _>(&c, "v1", "deleted", 60)
        .unwrap()
        .is_none());
    let before = fake.clock_ms.get();
    let e = resource::wait_for::<Volume, _>(&c, "v1", "available", 1).unwrap_err();
    assert!(matches!(&e, Error::WaitTimeout(m) if m.contains("creating")), "{e:?}");
    assert_eq!(fake.clock_ms.get() - before, 1000, "the last poll is at the deadline");
    assert!(fake.script.borrow().is_empty(), "five polls in the one second");
}

#[test]
fn extend_reads_first_and_refuses_not_larger() {
    let size_5 = r#"{"volume": {"id": "v1", "status": "available", "size": 5}}"#;
    let fake = connected(Fake::default())
        .expect(Method::Get, "/volumes/v1", 200, &[], size_5)
        .expect(Method::Get, "/volumes/v1", 200, &[], size_5)
        .expect(Method::Post, "/volumes/v1/action", 202, &[], "");
    let c = Client::connect(&fake, cfg()).unwrap();
    assert!(matches!(crate::volumes::extend(&c, "v1", 5), Err(Error::InvalidInput(m)) if m.contains("5 GiB")));
    crate::volumes::extend(&c, "v1", 6).unwrap();
    assert_eq!(
        fake.sent.borrow().last().unwrap().body.as_deref(),
        Some(&br#"{"os-extend":{"new_size":6}}"#[..])
    );
}

#[test]
fn backup_create_reads_back_and_detach_is_one_delete() {
    let fake = connected(Fake::default())
        .create_backup("b1")
        .expect(
            Method::Get,
            "/backups/b1",
            200,
            &[],
            r#"{"backup": {"id": "b1", "status": "creating", "size": 1, "volume_id": "v1"}}"#,
        )
        .expect(
            Method::Delete,
            "https://nova.example/compute/v2.1/servers/s1/os-volume_attachments/v1",
            404,
            &[("x-compute-request-id", "req-n")],
            r#"{"itemNotFound": {"code": 404, "message": "Instance s1 is not attached to volume v1."}}"#,
        )
        .expect(Method::Delete, "/servers/s1/os-volume_attachments/v1", 202, &[], "");
    let c = Client::connect(&fake, cfg()).unwrap();
    let spec = backup_spec(false);
    assert_eq!(crate::backups::create(&c, &spec).unwrap().status, "creating");
    let e = crate::attachments::detach(&c, "v1", "s1").unwrap_err();
    assert!(
        matches!(&e, Error::NotFound(a) if a.request_id.as_deref() == Some("req-n") && a.message.contains("not attached")),
        "{e:?}"
    );
    crate::attachments::detach(&c, "v1", "s1").unwrap();
    let sent = fake.sent.borrow();
    assert_eq!(header(&sent[5], "x-openstack-nova-api-version"), Some("2.89"));
}

#[test]
fn force_delete_uses_the_action_and_reports_403() {
    let fake = connected(Fake::default())
        .expect(Method::Post, "/snapshots/s1/action", 403, &[], r#"{"forbidden": {"code": 403, "message": "Policy doesn't allow volume_extension:snapshot_admin_actions:force_delete to be performed."}}"#)
        .expect(Method::Delete, "/snapshots/s1", 202, &[], "");
    let c = Client::connect(&fake, cfg()).unwrap();
    let e = resource::delete::<Snapshot, _>(&c, "s1", true).unwrap_err();
    assert!(
        matches!(&e, Error::Forbidden(a) if a.message.starts_with("Policy doesn't allow")),
        "{e:?}"
    );
    assert_eq!(
        fake.sent.borrow()[2].body.as_deref(),
        Some(&br#"{"os-force_delete":{}}"#[..])
    );
    resource::delete::<Snapshot, _>(&c, "s1", false).unwrap();
}

#[test]
fn bad_ids_are_refused_before_sending() {
    let fake = connected(Fake::default());
    let c = Client::connect(&fake, cfg()).unwrap();
    for id in ["", "../x", "a/b", "a?b", "a#b", "a%b", "a b"] {
        assert!(matches!(
            resource::get::<Volume, _>(&c, id),
            Err(Error::InvalidInput(_))
        ));
        assert!(matches!(
            crate::backups::restore(&c, id, &None, &None),
            Err(Error::InvalidInput(_))
        ));
        assert!(matches!(
            resource::wait_for::<Snapshot, _>(&c, id, "available", 1),
            Err(Error::InvalidInput(_))
        ));
    }
    assert_eq!(fake.sent.borrow().len(), 2);
}

#[test]
fn secrets_never_show_in_debug_output() {
    let fake = connected(Fake::default());
    let c = Client::connect(&fake, cfg()).unwrap();
    let dbg = format!("{c:?}");
    assert!(!dbg.contains("SECRET-canary") && !dbg.contains("tok1"), "{dbg}");
}

/// The sleeps the client took, as the gaps between sends on the fake clock.
fn sleeps(fake: &Fake) -> Vec<u64> {
    fake.logs
        .borrow()
        .iter()
        .filter_map(|l| l.split(" in ").nth(1)?.split(" ms").next()?.parse().ok())
        .collect()
}

#[test]
fn idempotent_requests_are_retried_with_backoff_and_jitter() {
    let fake = connected(Fake::default())
        .expect(Method::Get, "/volumes/v1", 503, &[], "")
        .drop_connection(Method::Get, "/volumes/v1")
        .expect(Method::Get, "/volumes/v1", 502, &[], "")
        .get_volume_v1("available");
    let c = Client::connect(&fake, cfg()).unwrap();
    assert_eq!(resource::get::<Volume, _>(&c, "v1").unwrap().status, "available");
    let waits = sleeps(&fake);
    assert_eq!(waits.len(), 3, "{:?}", fake.logs.borrow());
    // Equal jitter over 250, 500, 1000 ms steps.
    for (w, step) in waits.iter().zip([250u64, 500, 1000]) {
        assert!((step / 2..=step).contains(w), "{w} outside {step}/2..={step}");
    }
    assert!(fake.script.borrow().is_empty());
}

#[test]
fn retries_are_bounded_and_honour_retry_after() {
    let mut fake = connected(Fake::default());
    for _ in 0..=crate::retry::MAX_RETRIES {
        fake = fake.expect(Method::Delete, "/volumes/v1", 503, &[("Retry-After", "2")], "");
    }
    let c = Client::connect(&fake, cfg()).unwrap();
    let e = resource::delete::<Volume, _>(&c, "v1", false).unwrap_err();
    assert!(
        matches!(&e, Error::Api(a) if a.status == 503 && a.retry_after_s == Some(2)),
        "{e:?}"
    );
    // 4 tries inside the 5 s limit would need 3 waits of at least 2 s: only 2 fit.
    assert_eq!(sleeps(&fake), [2000, 2000]);
    assert_eq!(
        fake.sent
            .borrow()
            .iter()
            .filter(|r| r.url.contains("/volumes/v1"))
            .count(),
        3
    );
    // Each attempt is limited to what is left of the request's time.
    let limits: Vec<u32> = fake.sent.borrow().iter().skip(2).map(|r| r.timeout_ms).collect();
    assert_eq!(limits, [5000, 3000, 1000]);
}

#[test]
fn creates_are_never_retried() {
    for fail in [true, false] {
        let fake = connected(Fake::default());
        let fake = if fail {
            fake.expect(Method::Post, "/volumes", 503, &[], "")
        } else {
            fake.drop_connection(Method::Post, "/volumes")
        };
        let c = Client::connect(&fake, cfg()).unwrap();
        let spec = crate::VolumeCreate {
            name: Some("once".into()),
            metadata: vec![],
            ..crate::volumes::tests::spec()
        };
        let e = crate::volumes::create(&c, &spec).unwrap_err();
        assert!(matches!(e, Error::Api(_) | Error::Transport(_)), "{e:?}");
        assert_eq!(
            fake.sent.borrow().iter().filter(|r| r.method == Method::Post).count(),
            2
        ); // token + create
        assert!(sleeps(&fake).is_empty());
    }
}

#[test]
fn tls_failures_are_not_retried() {
    let refused = format!(
        "{} the server's certificate was refused: unknown issuer",
        crate::http::TLS
    );
    let fake = connected(Fake::default()).fail(Method::Get, "/volumes/v1", refused.clone());
    let c = Client::connect(&fake, cfg()).unwrap();
    let e = resource::get::<Volume, _>(&c, "v1").unwrap_err();
    assert!(matches!(&e, Error::Transport(m) if *m == refused), "{e:?}");
    assert!(sleeps(&fake).is_empty());
    assert!(fake.script.borrow().is_empty());
}

#[test]
fn keystone_token_requests_are_retried() {
    let fake = Fake::default().drop_connection(Method::Post, "/auth/tokens").expect(
        Method::Post,
        "/auth/tokens",
        504,
        &[],
        "",
    );
    let fake = connected(fake);
    Client::connect(&fake, cfg()).unwrap();
    assert_eq!(sleeps(&fake).len(), 2);
}

#[test]
fn a_failed_backup_read_back_still_returns_the_new_id() {
    let fake = connected(Fake::default()).create_backup("b9").expect(
        Method::Get,
        "/backups/b9",
        500,
        &[],
        r#"{"computeFault": {"code": 500, "message": "boom"}}"#,
    );
    let c = Client::connect(&fake, cfg()).unwrap();
    let spec = backup_spec(true);
    let b = crate::backups::create(&c, &spec).unwrap();
    assert_eq!(
        (b.id.as_str(), b.status.as_str(), b.is_incremental),
        ("b9", "creating", true)
    );
    assert!(fake
        .logs
        .borrow()
        .iter()
        .any(|l| l.contains("read-back") && l.contains("boom")));
}

/// A page of volumes `ids`, with a next link when given.
fn volume_page(ids: &[&str], next: Option<&str>) -> &'static str {
    let vols: Vec<String> = ids.iter().map(|i| volume(i, "available")).collect();
    let links = next
        .map(|n| format!(r#", "volumes_links": [{{"href": "{n}", "rel": "next"}}]"#))
        .unwrap_or_default();
    Box::leak(format!(r#"{{"volumes": [{}]{links}}}"#, vols.join(",")).into_boxed_str())
}

/// Volumes a and b, and a next link after b.
fn page_ab() -> &'static str {
    volume_page(
        &["a", "b"],
        Some("https://bs.example/volume/v3/p1/volumes/detail?limit=2&marker=b"),
    )
}

/// Connected at microversion `mv` (the server offers 3.0 to 3.71).
fn connected_at(fake: Fake, mv: &str) -> (Fake, Config) {
    let mut c = cfg();
    c.microversion = Some(mv.into());
    (connected(fake), c)
}

fn ids(all: &[Volume]) -> Vec<&str> {
    all.iter().map(|v| v.id.as_str()).collect()
}

#[test]
fn a_limit_stops_at_the_page_that_holds_it() {
    // `limit` alone: Cinder is asked for that many, and a next link is not followed.
    let fake = connected(Fake::default()).expect(
        Method::Get,
        "/volumes/detail?limit=2&sort=created_at%3Adesc",
        200,
        &[],
        page_ab(),
    );
    let c = Client::connect(&fake, cfg()).unwrap();
    let opts = ListOptions {
        limit: Some(2),
        sort: Some("created_at:desc".into()),
        ..crate::pagination::tests::all()
    };
    assert_eq!(ids(&resource::list::<Volume, _>(&c, &opts).unwrap()), ["a", "b"]);
    assert_eq!(fake.sent.borrow().len(), 3, "connect (2) + one page");

    // With smaller pages: only the pages needed, the rest of the last one dropped.
    let fake = connected(Fake::default())
        .expect(Method::Get, "/volumes/detail?limit=2&marker=m0", 200, &[], page_ab())
        .expect(
            Method::Get,
            "/volumes/detail?limit=2&marker=b",
            200,
            &[],
            volume_page(
                &["c", "d"],
                Some("https://bs.example/volume/v3/p1/volumes/detail?limit=2&marker=d"),
            ),
        );
    let c = Client::connect(&fake, cfg()).unwrap();
    let opts = ListOptions {
        limit: Some(3),
        page_size: Some(2),
        marker: Some("m0".into()),
        ..crate::pagination::tests::all()
    };
    assert_eq!(ids(&resource::list::<Volume, _>(&c, &opts).unwrap()), ["a", "b", "c"]);
    assert!(fake.script.borrow().is_empty());

    // A server that answers more than asked is cut to the limit; fewer ends the list.
    let fake = connected(Fake::default())
        .expect(Method::Get, "limit=1", 200, &[], volume_page(&["a", "b"], None))
        .expect(Method::Get, "limit=5", 200, &[], volume_page(&["a"], None));
    let c = Client::connect(&fake, cfg()).unwrap();
    let one = ListOptions {
        limit: Some(1),
        ..crate::pagination::tests::all()
    };
    assert_eq!(ids(&resource::list::<Volume, _>(&c, &one).unwrap()), ["a"]);
    let five = ListOptions {
        limit: Some(5),
        ..crate::pagination::tests::all()
    };
    assert_eq!(ids(&resource::list::<Volume, _>(&c, &five).unwrap()), ["a"]);
}

#[test]
fn filters_go_to_the_server() {
    let fake = connected(Fake::default())
        .expect(
            Method::Get,
            "/snapshots/detail?volume_id=v1&metadata=%7B%22k%22%3A%22v%22%7D",
            200,
            &[],
            r#"{"snapshots": []}"#,
        )
        .expect(
            Method::Get,
            "/backups/detail?sort=name%3Aasc&volume_id=v1",
            200,
            &[],
            r#"{"backups": []}"#,
        );
    let c = Client::connect(&fake, cfg()).unwrap();
    let opts = ListOptions {
        volume_id: Some("v1".into()),
        metadata: vec![("k".into(), "v".into())],
        ..crate::pagination::tests::all()
    };
    assert!(resource::list::<Snapshot, _>(&c, &opts).unwrap().is_empty());
    let opts = ListOptions {
        volume_id: Some("v1".into()),
        sort: Some("name:asc".into()),
        ..crate::pagination::tests::all()
    };
    assert!(resource::list::<crate::Backup, _>(&c, &opts).unwrap().is_empty());
}

#[test]
fn bad_new_inputs_send_nothing() {
    let fake = connected(Fake::default());
    let c = Client::connect(&fake, cfg()).unwrap();
    use crate::pagination::tests::{all, bad_options, with};
    let mut lists = bad_options();
    lists.extend([
        (with(|o| o.marker = Some("a/b".into())), "marker"),
        // Volumes have no `volume_size` key, and are not listed by volume.
        (with(|o| o.sort = Some("volume_size".into())), "sort"),
        (with(|o| o.volume_id = Some("v1".into())), "volume-id"),
    ]);
    let starts = |r: Result<(), Error>, field: &str| {
        assert!(
            matches!(&r, Err(Error::InvalidInput(m)) if m.starts_with(&format!("{field}: "))),
            "{field}: {r:?}"
        );
    };
    for (opts, field) in lists {
        starts(resource::list::<Volume, _>(&c, &opts).map(drop), field);
    }
    // Snapshots and backups have their own sort keys.
    let size = ListOptions {
        sort: Some("size".into()),
        ..all()
    };
    starts(resource::list::<Snapshot, _>(&c, &size).map(drop), "sort");
    let update = |name: Option<&str>, description: Option<&str>| crate::ResourceUpdate {
        name: name.map(Into::into),
        description: description.map(Into::into),
    };
    let long = "x".repeat(256);
    starts(
        resource::update::<Volume, _>(&c, "v1", &update(None, None)).map(drop),
        "changes",
    );
    starts(
        resource::update::<Volume, _>(&c, "v1", &update(Some(&long), None)).map(drop),
        "name",
    );
    starts(
        resource::update::<Snapshot, _>(&c, "s1", &update(None, Some(&long))).map(drop),
        "description",
    );
    starts(
        resource::update::<Volume, _>(&c, "a/b", &update(Some("n"), None)).map(drop),
        "id",
    );
    starts(
        crate::backups::update(&c, "b1", &update(Some("a\u{7}"), None)).map(drop),
        "name",
    );
    let items = |k: &str, v: &str| vec![(k.to_string(), v.to_string())];
    starts(
        resource::set_metadata::<Volume, _>(&c, "v1", &items("", "v")).map(drop),
        "items",
    );
    starts(
        resource::set_metadata::<Snapshot, _>(&c, "s1", &items(&long, "v")).map(drop),
        "items",
    );
    starts(
        crate::backups::set_metadata(&c, "b1", &items("k", &long)).map(drop),
        "items",
    );
    starts(
        resource::unset_metadata::<Volume, _>(&c, "v1", &[String::new()]),
        "keys",
    );
    starts(
        crate::backups::unset_metadata(&c, "b1", std::slice::from_ref(&long)),
        "keys",
    );
    starts(resource::unset_metadata::<Volume, _>(&c, "..", &["k".into()]), "id");
    starts(
        crate::project::messages(&c, &Some("a b".into())).map(drop),
        "resource-id",
    );
    let spec = crate::BackupCreate {
        metadata: items("", "v"),
        ..backup_spec(false)
    };
    starts(crate::backups::create(&c, &spec).map(drop), "metadata");
    assert_eq!(fake.sent.borrow().len(), 2, "connect only");
}

#[test]
fn features_of_later_microversions_are_refused_before_sending() {
    let (fake, cfg) = connected_at(Fake::default(), "3.2");
    let c = Client::connect(&fake, cfg).unwrap();
    let needs = |r: Result<(), Error>, field: &str, mv: &str| {
        let want = format!("{field}: needs microversion {mv} (the session uses 3.2)");
        assert!(matches!(&r, Err(Error::InvalidInput(m)) if *m == want), "{want}: {r:?}");
    };
    needs(crate::project::messages(&c, &None).map(drop), "messages", "3.3");
    needs(
        crate::project::default_volume_type(&c).map(drop),
        "default-volume-type",
        "3.62",
    );
    let rename = crate::ResourceUpdate {
        name: Some("n".into()),
        description: None,
    };
    needs(crate::backups::update(&c, "b1", &rename).map(drop), "changes", "3.9");
    needs(
        crate::backups::set_metadata(&c, "b1", &[("k".into(), "v".into())]).map(drop),
        "items",
        "3.43",
    );
    needs(crate::backups::unset_metadata(&c, "b1", &["k".into()]), "keys", "3.43");
    let tagged = crate::BackupCreate {
        metadata: vec![("k".into(), "v".into())],
        ..backup_spec(false)
    };
    needs(crate::backups::create(&c, &tagged).map(drop), "metadata", "3.43");
    let zoned = crate::BackupCreate {
        availability_zone: Some("nova".into()),
        ..backup_spec(false)
    };
    needs(
        crate::backups::create(&c, &zoned).map(drop),
        "availability-zone",
        "3.51",
    );
    let by_name = ListOptions {
        sort: Some("name".into()),
        ..crate::pagination::tests::all()
    };
    needs(resource::list::<Snapshot, _>(&c, &by_name).map(drop), "sort", "3.30");
    needs(
        resource::list::<crate::Backup, _>(&c, &by_name).map(drop),
        "sort",
        "3.37",
    );
    assert_eq!(fake.sent.borrow().len(), 2, "connect only");
}

/// `{"volume": …}` of `v1` in `status`.
fn one_volume(status: &str) -> &'static str {
    Box::leak(format!(r#"{{"volume": {}}}"#, volume("v1", status)).into_boxed_str())
}

#[test]
fn a_failed_wait_says_why_in_one_more_request() {
    let reason = "schedule allocate volume:Could not find any available weighted backend.";
    let messages = format!(
        r#"{{"messages": [{{"id": "m2", "event_id": "VOLUME_VOLUME_001_003", "user_message": "{reason}", "message_level": "ERROR", "resource_type": "VOLUME", "resource_uuid": "v1", "request_id": "req-1", "created_at": "2026-11-26T08:00:01.000000", "guaranteed_until": "2026-12-26T08:00:01.000000", "links": []}}], "messages_links": [{{"rel": "next", "href": "https://bs.example/volume/v3/p1/messages?marker=m2"}}]}}"#
    );
    let messages: &'static str = Box::leak(messages.into_boxed_str());
    let fake = connected(Fake::default())
        .expect(Method::Get, "/volumes/v1", 200, &[], one_volume("creating"))
        .expect(Method::Get, "/volumes/v1", 200, &[], one_volume("error"))
        .expect(
            Method::Get,
            "https://bs.example/volume/v3/p1/messages?resource_uuid=v1&sort=created_at%3Adesc&limit=1",
            200,
            &[],
            messages,
        )
        // The messages request fails: still the failure, without a reason.
        .expect(Method::Get, "/volumes/v1", 200, &[], one_volume("error"))
        .expect(Method::Get, "/messages?resource_uuid=v1", 500, &[], "");
    let c = Client::connect(&fake, cfg()).unwrap();
    let e = resource::wait_for::<Volume, _>(&c, "v1", "available", 60).unwrap_err();
    let Error::ResourceFailed(f) = &e else {
        panic!("{e:?}");
    };
    assert_eq!(
        (f.resource_id.as_str(), f.status.as_str(), f.reason.as_deref()),
        ("v1", "error", Some(reason))
    );
    assert_eq!(fake.sent.borrow().len(), 2 + 3, "two polls and one messages request");
    let e = resource::wait_for::<Volume, _>(&c, "v1", "available", 60).unwrap_err();
    assert!(
        matches!(&e, Error::ResourceFailed(f) if f.reason.is_none() && f.status == "error"),
        "{e:?}"
    );
    assert!(fake.script.borrow().is_empty());
    assert!(fake
        .logs
        .borrow()
        .iter()
        .any(|l| l.contains("messages v1 failed: api status=500")));

    // Below 3.3 there are no messages: no request.
    let (fake, cfg) = connected_at(Fake::default(), "3.2");
    let fake = fake.expect(Method::Get, "/volumes/v1", 200, &[], one_volume("error_deleting"));
    let c = Client::connect(&fake, cfg).unwrap();
    let e = resource::wait_for::<Volume, _>(&c, "v1", "deleted", 60).unwrap_err();
    assert!(
        matches!(&e, Error::ResourceFailed(f) if f.reason.is_none() && f.status == "error_deleting"),
        "{e:?}"
    );
    assert!(fake.script.borrow().is_empty());
}

fn body(r: &Request) -> &str {
    std::str::from_utf8(r.body.as_deref().unwrap_or_default()).unwrap()
}

#[test]
fn update_renames_in_one_request_and_backups_read_back() {
    let renamed = r#"{"volume": {"id": "v1", "status": "available", "size": 1, "name": "new", "description": ""}}"#;
    let backup = r#"{"backup": {"id": "b1", "status": "available", "volume_id": "v1", "name": "new"}}"#;
    let fake = connected(Fake::default())
        .expect(Method::Put, "/volumes/v1", 200, &[], renamed)
        .expect(
            Method::Put,
            "/backups/b1",
            200,
            &[],
            r#"{"backup": {"id": "b1", "name": "new", "links": []}}"#,
        )
        .expect(Method::Get, "/backups/b1", 200, &[], backup);
    let c = Client::connect(&fake, cfg()).unwrap();
    let changes = crate::ResourceUpdate {
        name: Some("new".into()),
        description: Some(String::new()),
    };
    let v = resource::update::<Volume, _>(&c, "v1", &changes).unwrap();
    assert_eq!((v.name.as_deref(), v.description.as_deref()), (Some("new"), Some("")));
    let b = crate::backups::update(&c, "b1", &changes).unwrap();
    assert_eq!(b.name.as_deref(), Some("new"));
    let sent = fake.sent.borrow();
    assert_eq!(body(&sent[2]), r#"{"volume":{"name":"new","description":""}}"#);
    assert_eq!(body(&sent[3]), r#"{"backup":{"name":"new","description":""}}"#);
    assert_eq!(sent.len(), 5);
}

#[test]
fn volume_metadata_is_merged_and_removed_key_by_key() {
    let not_found = |m: &str| -> &'static str {
        Box::leak(format!(r#"{{"itemNotFound": {{"code": 404, "message": "{m}"}}}}"#).into_boxed_str())
    };
    let fake = connected(Fake::default())
        .expect(
            Method::Post,
            "/volumes/v1/metadata",
            200,
            &[],
            r#"{"metadata": {"z": "1", "a": "2", "k": "v"}}"#,
        )
        // Present, absent (then the volume is read once), absent, with a dot and a space.
        .expect(Method::Delete, "/volumes/v1/metadata/a", 200, &[], "")
        .expect(
            Method::Delete,
            "/volumes/v1/metadata/gone",
            404,
            &[],
            not_found("Volume v1 has no metadata with key gone."),
        )
        .expect(Method::Get, "/volumes/v1", 200, &[], one_volume("available"))
        .expect(
            Method::Delete,
            "/volumes/v1/metadata/gone2",
            404,
            &[],
            not_found("no key"),
        )
        .expect(Method::Delete, "/volumes/v1/metadata/%2E%2E%20x", 200, &[], "")
        // A key with a slash: read, write back without it.
        .expect(
            Method::Get,
            "/volumes/v1/metadata",
            200,
            &[],
            r#"{"metadata": {"a/b": "1", "k": "v"}}"#,
        )
        .expect(
            Method::Put,
            "/volumes/v1/metadata",
            200,
            &[],
            r#"{"metadata": {"k": "v"}}"#,
        )
        // A volume that does not exist.
        .expect(
            Method::Delete,
            "/snapshots/s9/metadata/k",
            404,
            &[],
            not_found("Snapshot s9 could not be found."),
        )
        .expect(
            Method::Get,
            "/snapshots/s9",
            404,
            &[],
            not_found("Snapshot s9 could not be found."),
        );
    let c = Client::connect(&fake, cfg()).unwrap();
    let all = resource::set_metadata::<Volume, _>(&c, "v1", &[("k".into(), "v".into())]).unwrap();
    assert_eq!(
        all,
        [("a", "2"), ("k", "v"), ("z", "1")].map(|(k, v)| (k.to_string(), v.to_string()))
    );
    let keys: Vec<String> = ["a", "gone", "gone2", ".. x"].map(Into::into).into();
    resource::unset_metadata::<Volume, _>(&c, "v1", &keys).unwrap();
    resource::unset_metadata::<Volume, _>(&c, "v1", &["a/b".into()]).unwrap();
    let e = resource::unset_metadata::<Snapshot, _>(&c, "s9", &["k".into()]).unwrap_err();
    assert!(
        matches!(&e, Error::NotFound(a) if a.message.contains("could not be found")),
        "{e:?}"
    );
    assert!(fake.script.borrow().is_empty());
    let sent = fake.sent.borrow();
    assert_eq!(body(&sent[2]), r#"{"metadata":{"k":"v"}}"#);
    assert_eq!(body(&sent[9]), r#"{"metadata":{"k":"v"}}"#);
}

#[test]
fn backup_metadata_is_read_merged_and_written_back_whole() {
    let with = |m: &str| -> &'static str {
        Box::leak(
            format!(r#"{{"backup": {{"id": "b1", "status": "available", "volume_id": "v1", "metadata": {m}}}}}"#)
                .into_boxed_str(),
        )
    };
    let summary = r#"{"backup": {"id": "b1", "name": null, "links": []}}"#;
    let fake = connected(Fake::default())
        .expect(Method::Get, "/backups/b1", 200, &[], with(r#"{"b": "1", "k": "old"}"#))
        .expect(Method::Put, "/backups/b1", 200, &[], summary)
        .expect(
            Method::Get,
            "/backups/b1",
            200,
            &[],
            with(r#"{"a": "0", "b": "1", "k": "v"}"#),
        )
        .expect(Method::Put, "/backups/b1", 200, &[], summary)
        // Nothing to remove: no write.
        .expect(Method::Get, "/backups/b1", 200, &[], with(r#"{"b": "1"}"#));
    let c = Client::connect(&fake, cfg()).unwrap();
    let all = crate::backups::set_metadata(&c, "b1", &[("k".into(), "v".into()), ("a".into(), "0".into())]).unwrap();
    assert_eq!(
        all,
        [("a", "0"), ("b", "1"), ("k", "v")].map(|(k, v)| (k.to_string(), v.to_string()))
    );
    crate::backups::unset_metadata(&c, "b1", &["k".into(), "absent".into()]).unwrap();
    crate::backups::unset_metadata(&c, "b1", &["absent".into()]).unwrap();
    assert!(fake.script.borrow().is_empty());
    let sent = fake.sent.borrow();
    assert_eq!(body(&sent[3]), r#"{"backup":{"metadata":{"a":"0","b":"1","k":"v"}}}"#);
    assert_eq!(body(&sent[5]), r#"{"backup":{"metadata":{"a":"0","b":"1"}}}"#);
}

#[test]
fn backup_create_sends_metadata_and_zone() {
    let fake = connected(Fake::default()).create_backup("b1").expect(
        Method::Get,
        "/backups/b1",
        200,
        &[],
        r#"{"backup": {"id": "b1", "status": "creating", "volume_id": "v1", "availability_zone": "az2"}}"#,
    );
    let c = Client::connect(&fake, cfg()).unwrap();
    let spec = crate::BackupCreate {
        metadata: vec![("k".into(), "v".into())],
        availability_zone: Some("az2".into()),
        ..backup_spec(false)
    };
    assert_eq!(
        crate::backups::create(&c, &spec).unwrap().availability_zone.as_deref(),
        Some("az2")
    );
    assert_eq!(
        body(&fake.sent.borrow()[2]),
        r#"{"backup":{"volume_id":"v1","name":"x","incremental":false,"force":false,"availability_zone":"az2","metadata":{"k":"v"}}}"#
    );
}

#[test]
fn project_calls() {
    let fake = connected(Fake::default())
        .expect(
            Method::Get,
            "https://bs.example/volume/v3/p1/types",
            200,
            &[],
            r#"{"volume_types": [{"id": "t1", "name": "__DEFAULT__", "is_public": true, "description": null, "extra_specs": {}}], "volume_type_links": [{"rel": "next", "href": "https://bs.example/volume/v3/p1/types?marker=t1"}]}"#,
        )
        .expect(
            Method::Get,
            "/types?marker=t1",
            200,
            &[],
            r#"{"volume_types": [{"id": "t2", "name": "ssd", "is_public": false, "extra_specs": {"volume_backend_name": "ceph"}}]}"#,
        )
        .expect(
            Method::Get,
            "/types/default",
            200,
            &[],
            r#"{"volume_type": {"id": "t1", "name": "__DEFAULT__", "is_public": true}}"#,
        )
        .expect(
            Method::Get,
            "/os-availability-zone",
            200,
            &[],
            r#"{"availabilityZoneInfo": [{"zoneName": "nova", "zoneState": {"available": true}}]}"#,
        )
        .expect(
            Method::Get,
            "/limits",
            200,
            &[],
            r#"{"limits": {"rate": [], "absolute": {"maxTotalVolumes": -1, "totalVolumesUsed": 3}}}"#,
        )
        .expect(
            Method::Get,
            "https://bs.example/volume/v3/p1/messages?sort=created_at%3Adesc",
            200,
            &[],
            r#"{"messages": [{"id": "m1", "event_id": "e", "user_message": "u", "message_level": "ERROR", "resource_type": "VOLUME", "created_at": "c"}]}"#,
        )
        .expect(
            Method::Get,
            "/messages?resource_uuid=v1&sort=created_at%3Adesc",
            200,
            &[],
            r#"{"messages": []}"#,
        );
    let c = Client::connect(&fake, cfg()).unwrap();
    let types = crate::project::volume_types(&c).unwrap();
    assert_eq!(
        types.iter().map(|t| t.name.as_str()).collect::<Vec<_>>(),
        ["__DEFAULT__", "ssd"]
    );
    assert_eq!(
        types[1].extra_specs,
        [("volume_backend_name".to_string(), "ceph".to_string())]
    );
    assert_eq!(crate::project::default_volume_type(&c).unwrap().id, "t1");
    let zones = crate::project::availability_zones(&c).unwrap();
    assert_eq!((zones[0].name.as_str(), zones[0].available), ("nova", true));
    let l = crate::project::limits(&c).unwrap();
    assert_eq!(
        (l.max_volumes, l.volumes_used, l.max_snapshots, l.backups_used),
        (None, 3, None, 0)
    );
    let m = crate::project::messages(&c, &None).unwrap();
    assert_eq!((m[0].id.as_str(), m[0].resource_id.as_deref()), ("m1", None));
    assert!(crate::project::messages(&c, &Some("v1".into())).unwrap().is_empty());
    assert!(fake.script.borrow().is_empty());
}

#[test]
fn a_failure_reason_is_cleaned_like_every_server_text() {
    let fake = connected(Fake::default())
        .expect(Method::Get, "/volumes/v1", 200, &[], one_volume("error"))
        .expect(
            Method::Get,
            "/messages?resource_uuid=v1",
            200,
            &[],
            r#"{"messages": [{"id": "m1", "user_message": "line\nbreak \u001b[31m"}]}"#,
        )
        .expect(Method::Get, "/volumes/v1", 200, &[], one_volume("error"))
        .expect(
            Method::Get,
            "/messages?resource_uuid=v1",
            200,
            &[],
            r#"{"messages": [{"id": "m1", "user_message": " "}]}"#,
        );
    let c = Client::connect(&fake, cfg()).unwrap();
    let reason = || match resource::wait_for::<Volume, _>(&c, "v1", "available", 5) {
        Err(Error::ResourceFailed(f)) => f.reason,
        other => panic!("{other:?}"),
    };
    assert_eq!(reason().as_deref(), Some("line break  [31m"));
    assert_eq!(reason(), None, "an empty message is no reason");
}
mod changes;
mod hostile;
mod schedule;
