//! Keystone v3: the token request for each credential kind, the token answer, endpoint
//! selection from the service catalog, and token expiry.

use crate::http::Response;
use crate::json::{self, Decode, Failed, Reader, Writer};
use crate::prelude::*;
use crate::wire::{self, null_default, record, set};
use crate::{Error, PasswordCredential};

/// Block storage service types in order of preference (`volumev2` is never used).
pub const BLOCK_STORAGE_TYPES: &[&str] = &["block-storage", "volumev3"];
/// Compute service types.
pub const COMPUTE_TYPES: &[&str] = &["compute"];
/// The catalog interface when the config names none.
pub const DEFAULT_INTERFACE: &str = "public";

/// A secret string that never shows in `Debug` output (and so in no panic or log).
#[derive(Clone, PartialEq, Eq)]
pub struct Secret(String);

impl Secret {
    pub fn new(s: String) -> Secret {
        Secret(s)
    }
    pub fn expose(&self) -> &str {
        &self.0
    }
}

impl core::fmt::Debug for Secret {
    fn fmt(&self, f: &mut core::fmt::Formatter<'_>) -> core::fmt::Result {
        f.write_str("Secret(***)")
    }
}

/// Credentials that can obtain a new token (a bare token cannot).
#[derive(Clone, Debug)]
pub enum Renewable {
    ApplicationCredential {
        id: String,
        secret: Secret,
    },
    Password {
        user_name: String,
        password: Secret,
        user_domain: String,
        project_name: String,
        project_domain: String,
    },
}

impl Renewable {
    pub fn from_password(p: PasswordCredential) -> Renewable {
        Renewable::Password {
            user_name: p.user_name,
            password: Secret::new(p.password),
            user_domain: p.user_domain,
            project_name: p.project_name,
            project_domain: p.project_domain,
        }
    }

    /// The `POST /auth/tokens` body.
    pub fn token_request_body(&self) -> Vec<u8> {
        let mut w = Writer::object();
        w.obj("auth").obj("identity");
        match self {
            Renewable::ApplicationCredential { id, secret } => {
                w.strs("methods", &["application_credential"])
                    .obj("application_credential")
                    .str("id", id)
                    .str("secret", secret.expose());
            }
            Renewable::Password {
                user_name,
                password,
                user_domain,
                project_name,
                project_domain,
            } => {
                w.strs("methods", &["password"])
                    .obj("password")
                    .obj("user")
                    .str("name", user_name)
                    .obj("domain")
                    .str("name", user_domain)
                    .end()
                    .str("password", password.expose())
                    .end()
                    .end()
                    .end()
                    .obj("scope")
                    .obj("project")
                    .str("name", project_name)
                    .obj("domain")
                    .str("name", project_domain);
            }
        }
        w.finish()
    }
}

/// The answer of `POST /auth/tokens`: `{"token": {…}}`.
struct TokenBody {
    expires_at: Option<String>,
    project: Option<ProjectRef>,
    catalog: Vec<CatalogService>,
}

record! {
    impl Decode for TokenBody, required [] {
        expires_at: "expires_at" => set = None,
        project: "project" => set = None,
        catalog: "catalog" => null_default = Vec::new(),
    }
}

/// The token's project: its id.
struct ProjectRef(String);

impl Decode for ProjectRef {
    fn decode(r: &mut Reader<'_>) -> Result<ProjectRef, Failed> {
        wire::member(r, "id").map(ProjectRef)
    }
}

/// One service of the catalog.
#[derive(Debug, Clone)]
pub struct CatalogService {
    pub service_type: String,
    pub endpoints: Vec<Endpoint>,
}

record! {
    impl Decode for CatalogService, required ["type"] {
        service_type: "type" => set = String::new(),
        endpoints: "endpoints" => null_default = Vec::new(),
    }
}

/// One endpoint of a catalog service.
#[derive(Debug, Clone)]
pub struct Endpoint {
    pub interface: String,
    pub region: Option<String>,
    pub region_id: Option<String>,
    pub url: String,
}

record! {
    impl Decode for Endpoint, required ["interface", "url"] {
        interface: "interface" => set = String::new(),
        region: "region" => set = None,
        region_id: "region_id" => set = None,
        url: "url" => set = String::new(),
    }
}

/// A decoded token answer.
#[derive(Debug)]
pub struct Token {
    pub token: Secret,
    /// Unix seconds, when Keystone said.
    pub expires_at: Option<u64>,
    pub project_id: Option<String>,
    pub catalog: Vec<CatalogService>,
}

/// Decodes a 201 answer of `POST /auth/tokens`.
pub fn decode_token(resp: &Response) -> Result<Token, Error> {
    let token = resp
        .header("x-subject-token")
        .filter(|t| !t.is_empty())
        .ok_or_else(|| Error::InvalidResponse("Keystone answer has no X-Subject-Token header".into()))?;
    let body: TokenBody = json::parse(&resp.body, |r| wire::member(r, "token"))
        .map_err(|e| Error::InvalidResponse(format!("Keystone token body: {e}")))?;
    Ok(Token {
        token: Secret::new(token.to_string()),
        expires_at: body.expires_at.as_deref().and_then(parse_timestamp),
        project_id: body.project.map(|p| p.0),
        catalog: body.catalog,
    })
}

/// Picks the endpoint URL for the first of `types` that has one in `region` (any region
/// when none) with `interface`.
pub fn find_endpoint(
    catalog: &[CatalogService],
    types: &[&str],
    region: Option<&str>,
    interface: &str,
) -> Result<String, Error> {
    for ty in types {
        for svc in catalog.iter().filter(|s| s.service_type == *ty) {
            let found = svc.endpoints.iter().find(|e| {
                e.interface == interface
                    && region.is_none_or(|r| e.region.as_deref() == Some(r) || e.region_id.as_deref() == Some(r))
            });
            if let Some(e) = found {
                return Ok(e.url.clone());
            }
        }
    }
    let mut offered = String::new();
    for s in catalog.iter().filter(|s| types.contains(&s.service_type.as_str())) {
        for e in &s.endpoints {
            if !offered.is_empty() {
                offered.push_str(", ");
            }
            let region = e.region.as_deref().or(e.region_id.as_deref()).unwrap_or("-");
            offered.push_str(&format!("{} {region}/{}", s.service_type, e.interface));
        }
    }
    if offered.is_empty() {
        offered.push_str("none of that service");
    }
    Err(Error::NoEndpoint(format!(
        "no {} endpoint in region {} with interface {}; the catalog offers {offered}",
        join(types, " or "),
        region.unwrap_or("(any)"),
        interface,
    )))
}

/// Parses Keystone's ISO 8601 UTC timestamps (`2026-11-26T08:20:00.000000Z`, also
/// `+00:00` or no zone) to Unix seconds.
pub fn parse_timestamp(s: &str) -> Option<u64> {
    let b = s.as_bytes();
    if b.len() < 19
        || b[4] != b'-'
        || b[7] != b'-'
        || !(b[10] == b'T' || b[10] == b' ')
        || b[13] != b':'
        || b[16] != b':'
    {
        return None;
    }
    let num = |r: core::ops::Range<usize>| b.get(r).and_then(parse_digits).map(|n| n as i64);
    let (y, mo, d) = (num(0..4)?, num(5..7)?, num(8..10)?);
    let (h, mi, se) = (num(11..13)?, num(14..16)?, num(17..19)?);
    if !(1..=12).contains(&mo) || !(1..=31).contains(&d) || h > 23 || mi > 59 || se > 60 {
        return None;
    }
    // Days from civil (Howard Hinnant's algorithm).
    let y2 = if mo <= 2 { y - 1 } else { y };
    let era = y2.div_euclid(400);
    let yoe = y2 - era * 400;
    let mp = (mo + 9) % 12;
    let doy = (153 * mp + 2) / 5 + d - 1;
    let doe = yoe * 365 + yoe / 4 - yoe / 100 + doy;
    let days = era * 146097 + doe - 719468;
    u64::try_from(days * 86400 + h * 3600 + mi * 60 + se).ok()
}

#[cfg(test)]
mod tests {
    use super::*;

    fn catalog() -> Vec<CatalogService> {
        json::from_slice(
            r#"[
            {"type": "volumev2", "endpoints": [{"interface": "public", "region": "dc3-a", "url": "https://v2"}]},
            {"type": "volumev3", "endpoints": [{"interface": "public", "region": "dc3-a", "url": "https://v3-dc3"},
                                              {"interface": "public", "region": "dc4-a", "url": "https://v3-dc4"}]},
            {"type": "block-storage", "endpoints": [{"interface": "internal", "region_id": "dc3-a", "url": "https://bs-internal"},
                                                   {"interface": "public", "region_id": "dc4-a", "url": "https://bs-dc4"}]},
            {"type": "compute", "endpoints": [{"interface": "public", "region": "dc3-a", "url": "https://nova"}]}
        ]"#
            .as_bytes(),
        )
        .unwrap()
    }

    #[test]
    fn prefers_block_storage_then_volumev3_never_v2() {
        let c = catalog();
        assert_eq!(
            find_endpoint(&c, BLOCK_STORAGE_TYPES, Some("dc4-a"), "public").unwrap(),
            "https://bs-dc4"
        );
        assert_eq!(
            find_endpoint(&c, BLOCK_STORAGE_TYPES, Some("dc3-a"), "public").unwrap(),
            "https://v3-dc3"
        );
        assert_eq!(
            find_endpoint(&c, BLOCK_STORAGE_TYPES, Some("dc3-a"), "internal").unwrap(),
            "https://bs-internal"
        );
        assert_eq!(
            find_endpoint(&c, COMPUTE_TYPES, None, "public").unwrap(),
            "https://nova"
        );
        let e = find_endpoint(&c, BLOCK_STORAGE_TYPES, Some("dc9"), "public").unwrap_err();
        assert!(
            matches!(&e, Error::NoEndpoint(m) if m.contains("dc9") && m.contains("volumev3 dc3-a/public")),
            "{e:?}"
        );
        let only_v2: Vec<CatalogService> = c.into_iter().filter(|s| s.service_type == "volumev2").collect();
        assert!(matches!(
            find_endpoint(&only_v2, BLOCK_STORAGE_TYPES, None, "public"),
            Err(Error::NoEndpoint(_))
        ));
    }

    #[test]
    fn token_bodies() {
        let app = Renewable::ApplicationCredential {
            id: "ac".into(),
            secret: Secret::new("s3cr3t".into()),
        };
        let v: serde_json::Value = serde_json::from_slice(&app.token_request_body()).unwrap();
        assert_eq!(v["auth"]["identity"]["methods"][0], "application_credential");
        assert_eq!(v["auth"]["identity"]["application_credential"]["secret"], "s3cr3t");
        assert!(v["auth"].get("scope").is_none());
        let pw = Renewable::from_password(PasswordCredential {
            user_name: "u".into(),
            password: "pw".into(),
            user_domain: "Default".into(),
            project_name: "p".into(),
            project_domain: "Default".into(),
        });
        let v: serde_json::Value = serde_json::from_slice(&pw.token_request_body()).unwrap();
        assert_eq!(v["auth"]["identity"]["password"]["user"]["name"], "u");
        assert_eq!(v["auth"]["scope"]["project"]["name"], "p");
        assert!(!format!("{pw:?}").contains("pw\""));
        assert!(!format!("{app:?}").contains("s3cr3t"));
    }

    #[test]
    fn decodes_token_answer() {
        let resp = Response {
            status: 201,
            headers: vec![("x-subject-token".into(), "tok".into())],
            body: br#"{"token": {"expires_at": "2026-11-26T08:20:00.000000Z", "project": {"id": "p1", "name": "x"}, "catalog": []}}"#.to_vec(),
        };
        let t = decode_token(&resp).unwrap();
        assert_eq!(t.token.expose(), "tok");
        assert_eq!(t.expires_at, Some(1795681200));
        assert_eq!(t.project_id.as_deref(), Some("p1"));
        let no_header = Response {
            headers: vec![],
            ..resp.clone()
        };
        assert!(matches!(decode_token(&no_header), Err(Error::InvalidResponse(_))));
        let bad = Response {
            body: b"{".to_vec(),
            ..resp
        };
        assert!(matches!(decode_token(&bad), Err(Error::InvalidResponse(_))));
    }

    #[test]
    fn timestamps() {
        assert_eq!(parse_timestamp("1970-01-01T00:00:00Z"), Some(0));
        assert_eq!(parse_timestamp("2000-03-01T00:00:00.123456"), Some(951868800));
        assert_eq!(parse_timestamp("garbage"), None);
        assert_eq!(parse_timestamp("2026-13-01T00:00:00Z"), None);
        assert_eq!(parse_timestamp("2026-1é-01T00:00:00Z"), None);
    }

    #[test]
    fn lenient_token_answers() {
        let resp = |body: &str| Response {
            status: 201,
            headers: vec![("x-subject-token".into(), "tok".into())],
            body: body.as_bytes().to_vec(),
        };
        // A token without project, expiry or catalog (an unscoped token), nulls included.
        let t = decode_token(&resp(
            r#"{"token": {"project": null, "catalog": null, "expires_at": null}}"#,
        ))
        .unwrap();
        assert_eq!((t.project_id, t.expires_at, t.catalog.len()), (None, None, 0));
        let t = decode_token(&resp(
            r#"{"token": {"methods": ["password"], "catalog": [{"type": "compute", "endpoints": null, "id": "x"}]}}"#,
        ))
        .unwrap();
        assert!(t.catalog[0].endpoints.is_empty());
        for (body, why) in [
            (
                r#"{"token": {"project": {"name": "p"}}}"#,
                "missing field `id` in the object at byte 22",
            ),
            (
                r#"{"token": {"catalog": [{"endpoints": []}]}}"#,
                "missing field `type` in the object at byte 23",
            ),
            (
                r#"{"token": {"catalog": [{"type": "x", "endpoints": [{"interface": "public"}]}]}}"#,
                "missing field `url` in the object at byte 51",
            ),
            (r#"{"tok": {}}"#, "missing field `token` in the object at byte 0"),
        ] {
            let e = decode_token(&resp(body)).unwrap_err();
            assert!(
                matches!(&e, Error::InvalidResponse(m) if *m == format!("Keystone token body: {why}")),
                "{e:?}"
            );
        }
    }
}
