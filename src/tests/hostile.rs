//! A hostile server: secrets echoed back, forged log lines and megabyte statuses, endless
//! pagination, and base URLs that would misroute requests.

use super::*;
use crate::pagination::MAX_PAGES;

/// Connects with `secret` as the application credential secret and `tok1` as the token.
fn with_secret<'f>(secret: &str, fake: &'f Fake) -> Result<Client<&'f Fake>, Error> {
    let mut c = cfg();
    c.credentials = Credentials::ApplicationCredential(ApplicationCredential {
        id: "ac".into(),
        secret: secret.into(),
    });
    Client::connect(fake, c)
}

#[test]
fn a_secret_keystone_quotes_back_is_masked() {
    let secret = r#"pa"ss/wörd-1"#;
    let fake = Fake::default().expect(
        Method::Post,
        "/auth/tokens",
        401,
        &[("x-openstack-request-id", "req-pa\"ss/wörd-1")],
        r#"{"error": {"code": 401, "message": "Invalid secret pa\\\"ss\/w\u00f6rd-1 or pa\"ss/wörd-1"}}"#,
    );
    let Err(Error::Unauthorized(a)) = with_secret(secret, &fake) else {
        panic!("not unauthorized")
    };
    assert_eq!(a.message, "Invalid secret *** or ***");
    assert_eq!(a.request_id.as_deref(), Some("req-***"));
}

#[test]
fn a_token_cinder_echoes_is_masked_once_scrubbed() {
    let token = "gAAAAABtoken-0123456789";
    let fake = Fake::default()
        .new_token(token)
        .expect(Method::Get, "https://bs.example/volume/v3/", 200, &[], VERSIONS)
        .expect(
            Method::Get,
            "/volumes/v1",
            404,
            &[("x-openstack-request-id", &*format!("req-{token}").leak())],
            &*format!(r#"{{"itemNotFound": {{"message": "no volume for token {token}"}}}}"#).leak(),
        );
    let c = with_secret("SECRET-canary", &fake).unwrap();
    let e = c.scrub(resource::get::<Volume, _>(&c, "v1").unwrap_err());
    let Error::NotFound(a) = e else { panic!("{e:?}") };
    assert_eq!(a.message, "no volume for token ***");
    assert_eq!(a.request_id.as_deref(), Some("req-***"));
}

#[test]
fn server_statuses_cannot_forge_log_lines_or_grow_errors() {
    let forged = "error\\n\\u001b[31mFAKE LOG LINE";
    let fake = connected(Fake::default()).get_volume_v1(forged).expect(
        Method::Get,
        "/messages",
        200,
        &[],
        r#"{"messages": []}"#,
    );
    let c = Client::connect(&fake, cfg()).unwrap();
    let e = c.scrub(resource::wait_for::<Volume, _>(&c, "v1", "available", 60).unwrap_err());
    let Error::ResourceFailed(f) = &e else { panic!("{e:?}") };
    assert_eq!(f.status, "error  [31mfake log line");
    assert!(!crate::error::log_line("volumes.wait-for", "v1", &e).contains(['\n', '\u{1b}']));

    let huge = "creating".repeat(125_000);
    let fake = connected(Fake::default()).get_volume_v1(&huge);
    let c = Client::connect(&fake, cfg()).unwrap();
    let e = c.scrub(resource::wait_for::<Volume, _>(&c, "v1", "available", 0).unwrap_err());
    let Error::WaitTimeout(m) = &e else { panic!("{e:?}") };
    assert!(m.len() < 200, "{} bytes", m.len());

    let id = format!("req-\u{9b}2J\u{202e}{}", "x".repeat(10_000));
    let fake =
        connected(Fake::default()).expect(Method::Get, "/volumes/v1", 404, &[("x-openstack-request-id", &id)], "");
    let c = Client::connect(&fake, cfg()).unwrap();
    let Error::NotFound(a) = c.scrub(resource::get::<Volume, _>(&c, "v1").unwrap_err()) else {
        panic!()
    };
    let r = a.request_id.unwrap();
    assert!(r.starts_with("req- 2J x") && r.len() <= 131, "{r}");
}

/// A server that answers every page with one more volume and a fresh next marker.
fn endless(fake: Fake, pages: usize) -> Fake {
    linked(fake, pages, |i| i)
}

/// Pages `0..pages`: page `i` holds volume `m<i>` and links to marker `m<next(i)>`.
fn linked(fake: Fake, pages: usize, next: impl Fn(usize) -> usize) -> Fake {
    (0..pages).fold(fake, |f, i| {
        let next = format!("https://bs.example/volume/v3/p1/volumes/detail?marker=m{}", next(i));
        f.expect(
            Method::Get,
            "/volumes/detail",
            200,
            &[],
            volume_page(&[&format!("m{i}")], Some(&next)),
        )
    })
}

#[test]
fn endless_pagination_stops_at_the_page_cap() {
    let fake = endless(connected(Fake::default()), MAX_PAGES);
    let c = Client::connect(&fake, cfg()).unwrap();
    let e = resource::list::<Volume, _>(&c, &crate::pagination::tests::all()).unwrap_err();
    assert!(
        matches!(&e, Error::InvalidResponse(m) if m.contains("more than 10000 pages")),
        "{e:?}"
    );
    assert_eq!(fake.sent.borrow().len(), 2 + MAX_PAGES);
}

#[test]
fn a_listing_ends_at_its_deadline() {
    // 5 s per request: a listing may take 120 s (10 timeouts, at least two minutes).
    let fake = endless(connected(Fake::default()), 200);
    let c = Client::connect(&fake, cfg()).unwrap();
    fake.answer_ms.set(1_000);
    let e = resource::list::<Volume, _>(&c, &crate::pagination::tests::all()).unwrap_err();
    assert!(
        matches!(&e, Error::Transport(m) if m.contains("timed out") && m.contains("120 s")),
        "{e:?}"
    );
    assert_eq!(fake.sent.borrow().len(), 2 + 120);
}

#[test]
fn base_urls_with_a_query_or_fragment_are_refused() {
    let cases = [
        ("auth-url", "https://keystone.example/identity/v3#"),
        ("auth-url", "https://keystone.example/identity/v3?x="),
        ("block-storage-url", "https://bs.example/volume/v3/p1?x=1"),
        ("compute-url", "https://nova.example/compute/v2.1#frag"),
    ];
    for (field, url) in cases {
        let mut c = cfg();
        match field {
            "auth-url" => c.auth_url = url.into(),
            "block-storage-url" => c.block_storage_url = Some(url.into()),
            _ => c.compute_url = Some(url.into()),
        }
        let fake = Fake::default();
        let e = Client::connect(&fake, c).unwrap_err();
        assert!(
            matches!(&e, Error::InvalidInput(m) if m.starts_with(field) && m.contains("query")),
            "{url}: {e:?}"
        );
        assert!(fake.sent.borrow().is_empty(), "{url}");
    }
}

#[test]
fn a_circle_after_a_prefix_is_found_within_twice_its_length() {
    // m0 → m1 → … → m5 → back to m2: a circle of four pages after a prefix of two.
    let fake = linked(connected(Fake::default()), 12, |i| {
        if i < 5 {
            i + 1
        } else {
            2 + (i - 5) % 4
        }
    });
    let c = Client::connect(&fake, cfg()).unwrap();
    let e = resource::list::<Volume, _>(&c, &crate::pagination::tests::all()).unwrap_err();
    assert!(matches!(&e, Error::InvalidResponse(m) if m.contains("circle")), "{e:?}");
    let pages = fake.sent.borrow().len() - 2;
    assert!(pages <= 2 + 2 * 4 + 1, "{pages} pages");
}

#[test]
fn an_unknown_application_credential_is_unauthorized() {
    // Keystone's answer to an application credential id it does not know is a 404.
    let fake = Fake::default().expect(
        Method::Post,
        "/auth/tokens",
        404,
        &[],
        r#"{"error": {"code": 404, "message": "Could not find Application Credential: ac.", "title": "Not Found"}}"#,
    );
    let e = Client::connect(&fake, cfg()).unwrap_err();
    assert!(
        matches!(&e, Error::Unauthorized(a) if a.status == 404 && a.message == "Could not find Application Credential: ac."),
        "{e:?}"
    );
}
