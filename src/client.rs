//! The session: connect (Keystone, catalog, microversion) and the one request path every
//! operation goes through (token, headers, re-authentication, error mapping, decoding).

use core::cell::RefCell;

use crate::auth::{self, Renewable, Secret};
use crate::error::{self, invalid};
use crate::http::{Io, Method, Request, Response, Url};
use crate::json::{self, Decode, JsonError};
use crate::prelude::*;
use crate::retry::{self, Jitter};
use crate::scrub::Secrets;
use crate::version::{self, Microversion};
use crate::{Config, Credentials, Error};

/// Default per-request timeout.
pub const DEFAULT_TIMEOUT_MS: u32 = 30_000;
/// Default cap on a response body: a detailed page of 1,000 volumes (Cinder's largest page
/// by default) is about 1.3 MB, so 16 MiB leaves room for heavy metadata without letting a
/// server exhaust memory.
pub const DEFAULT_MAX_BODY: u32 = 16 << 20;
/// A token is renewed this long before Keystone says it expires (or at half its
/// lifetime, for short-lived tokens).
const RENEW_MARGIN_S: u64 = 120;
/// New tokens one request may ask for after 401s: one at once, one more a second later.
const MAX_REAUTHENTICATIONS: u32 = 2;
/// The wait before the second: Keystone truncates times to the second and revokes a token
/// issued in the same second as a revocation event.
const REVOCATION_SECOND_MS: u64 = 1_000;
const USER_AGENT: &str = concat!("infomaniak-block-storage/", env!("CARGO_PKG_VERSION"));

/// Which service a request is for (decides base URL and version headers).
#[derive(Clone, Copy, Debug, PartialEq, Eq)]
pub enum Service {
    BlockStorage,
    Compute,
}

struct TokenState {
    token: Secret,
    /// Unix time from which requests first get a new token.
    renew_at: Option<u64>,
}

impl TokenState {
    fn new(token: Secret, expires_at: Option<u64>, now: u64) -> TokenState {
        let renew_at = expires_at.map(|exp| exp.saturating_sub(RENEW_MARGIN_S.min(exp.saturating_sub(now) / 2)));
        TokenState { token, renew_at }
    }
}

/// An authenticated session. All requests go through [`Client::request`].
pub struct Client<I: Io> {
    io: I,
    /// Keystone URL and credentials, when the token can be renewed.
    renew: Option<(String, Renewable)>,
    token: RefCell<TokenState>,
    timeout_ms: u32,
    max_body: u32,
    block_storage_url: String,
    /// The compute URL, or why there is none (reported when an attach needs it).
    compute_url: Result<String, Error>,
    project_id: Option<String>,
    microversion: Microversion,
    jitter: Jitter,
    /// What errors are scrubbed of before they leave the component.
    secrets: Secrets,
}

impl<I: Io> core::fmt::Debug for Client<I> {
    fn fmt(&self, f: &mut core::fmt::Formatter<'_>) -> core::fmt::Result {
        f.debug_struct("Client")
            .field("block_storage_url", &self.block_storage_url)
            .field("microversion", &self.microversion)
            .finish_non_exhaustive()
    }
}

/// How a session gets its token.
enum Login {
    /// From Keystone at this URL, renewable.
    Keystone { auth_url: String, credentials: Renewable },
    /// Given by the caller; cannot be renewed.
    Token(Secret),
}

/// Validated configuration, before any request.
struct Checked {
    login: Login,
    region: Option<String>,
    interface: String,
    block_storage_url: Option<String>,
    compute_url: Option<String>,
    timeout_ms: u32,
    max_body: u32,
    pinned: Option<Microversion>,
}

/// A base URL: paths are appended to it, so a query or fragment would end up in the
/// middle of every request's URL (or cut it off).
fn check_url(field: &str, v: &str) -> Result<String, Error> {
    Url::parse(v).map_err(|why| invalid(field, why))?;
    if v.contains(['?', '#']) {
        return Err(invalid(field, "must not have a query or fragment (? or #)"));
    }
    Ok(v.trim_end_matches('/').to_string())
}

/// Checks a config before any request; each error names the config field at fault.
fn check_config(cfg: Config) -> Result<Checked, Error> {
    let interface = cfg.endpoint_interface.unwrap_or_else(|| auth::DEFAULT_INTERFACE.into());
    if !matches!(interface.as_str(), "public" | "internal" | "admin") {
        return Err(invalid("endpoint-interface", "must be public, internal or admin"));
    }
    if let Some(r) = &cfg.region {
        if r.is_empty() || r.len() > 255 || r.chars().any(|c| c.is_control() || c.is_whitespace()) {
            return Err(invalid("region", "must be a non-empty name without spaces"));
        }
    }
    let timeout_ms = cfg.timeout_ms.unwrap_or(DEFAULT_TIMEOUT_MS);
    if timeout_ms == 0 {
        return Err(invalid("timeout-ms", "must be positive"));
    }
    let max_body = cfg.max_response_bytes.unwrap_or(DEFAULT_MAX_BODY);
    if max_body < 1024 {
        return Err(invalid("max-response-bytes", "must be at least 1024"));
    }
    let pinned = match &cfg.microversion {
        None => None,
        Some(s) => match Microversion::parse(s) {
            // Above the newest this client knows is allowed: the server's version document
            // decides at connect (Cinder itself on the first call, when none is read).
            Some(v) if v.major == 3 => Some(v),
            _ => return Err(invalid("microversion", "must be 3.x, e.g. 3.60")),
        },
    };
    let block_storage_url = cfg
        .block_storage_url
        .as_deref()
        .map(|u| check_url("block-storage-url", u))
        .transpose()?;
    let compute_url = cfg
        .compute_url
        .as_deref()
        .map(|u| check_url("compute-url", u))
        .transpose()?;
    let login = check_login(cfg.credentials, &cfg.auth_url, block_storage_url.is_some())?;
    Ok(Checked {
        login,
        region: cfg.region,
        interface,
        block_storage_url,
        compute_url,
        timeout_ms,
        max_body,
        pinned,
    })
}

/// Checks the credentials (and the Keystone URL they need) and says how they log in.
fn check_login(credentials: Credentials, auth_url: &str, has_block_storage_url: bool) -> Result<Login, Error> {
    Ok(match credentials {
        Credentials::Token(t) => {
            if t.is_empty() || t.chars().any(|c| c.is_control() || c.is_whitespace()) {
                return Err(invalid("credentials.token", "must be a non-empty token without spaces"));
            }
            if !has_block_storage_url {
                return Err(invalid(
                    "block-storage-url",
                    "is required with token credentials (no catalog is read)",
                ));
            }
            if !auth_url.is_empty() {
                check_url("auth-url", auth_url)?;
            }
            Login::Token(Secret::new(t))
        }
        Credentials::ApplicationCredential(a) => {
            if a.id.is_empty() || a.secret.is_empty() {
                return Err(invalid(
                    "credentials.application-credential",
                    "id and secret must not be empty",
                ));
            }
            let credentials = Renewable::ApplicationCredential {
                id: a.id,
                secret: Secret::new(a.secret),
            };
            Login::Keystone {
                auth_url: check_url("auth-url", auth_url)?,
                credentials,
            }
        }
        Credentials::Password(p) => {
            for (f, v) in [
                ("credentials.password.user-name", &p.user_name),
                ("credentials.password.password", &p.password),
                ("credentials.password.user-domain", &p.user_domain),
                ("credentials.password.project-name", &p.project_name),
                ("credentials.password.project-domain", &p.project_domain),
            ] {
                if v.is_empty() {
                    return Err(invalid(f, "must not be empty"));
                }
            }
            Login::Keystone {
                auth_url: check_url("auth-url", auth_url)?,
                credentials: Renewable::from_password(p),
            }
        }
    })
}

/// An endpoint from the catalog, checked to be a usable http(s) URL.
fn catalog_endpoint(
    catalog: &[auth::CatalogService],
    types: &[&str],
    region: Option<&str>,
    interface: &str,
) -> Result<String, Error> {
    let url = auth::find_endpoint(catalog, types, region, interface)?;
    check_url("catalog endpoint", &url).map_err(|_| {
        Error::InvalidResponse(format!(
            "the catalog's {} URL is not a valid http(s) URL",
            join(types, "/")
        ))
    })
}

/// The project id in a Cinder URL `…/v3/<project>`.
fn project_from_url(url: &str) -> Option<String> {
    let path = Url::parse(url).ok()?.path().trim_end_matches('/').to_string();
    let (head, last) = path.rsplit_once('/')?;
    (head.ends_with("/v3") && !last.is_empty()).then(|| last.to_string())
}

impl<I: Io> Client<I> {
    /// Authenticates (unless given a token), resolves the endpoints and negotiates the
    /// microversion. A failure is scrubbed of the credentials' secrets and the token.
    pub fn connect(io: I, cfg: Config) -> Result<Client<I>, Error> {
        let secrets = Secrets::of(&cfg.credentials);
        Client::open(io, cfg, &secrets).map_err(|e| secrets.error(e))
    }

    fn open(io: I, cfg: Config, secrets: &Secrets) -> Result<Client<I>, Error> {
        let c = check_config(cfg)?;
        let jitter = Jitter::new(io.now_ms() ^ io.unix_time_s().rotate_left(32));
        let (token, expires_at, project_id, catalog, renew) = match c.login {
            Login::Keystone { auth_url, credentials } => {
                let t = authenticate(&io, &auth_url, &credentials, c.timeout_ms, c.max_body, &jitter)?;
                (
                    t.token,
                    t.expires_at,
                    t.project_id,
                    t.catalog,
                    Some((auth_url, credentials)),
                )
            }
            Login::Token(token) => (token, None, None, Vec::new(), None),
        };
        secrets.token(token.expose());
        let mut block_storage_url = match c.block_storage_url {
            Some(u) => u,
            None => catalog_endpoint(&catalog, auth::BLOCK_STORAGE_TYPES, c.region.as_deref(), &c.interface)?,
        };
        // Project-less endpoints (`…/v3`) get the token's project appended.
        if block_storage_url.ends_with("/v3") {
            if let Some(p) = &project_id {
                block_storage_url = format!("{block_storage_url}/{p}");
            }
        }
        // Block storage works without Nova: a missing compute endpoint only fails attach/detach.
        let compute_url = match c.compute_url {
            Some(u) => Ok(u),
            None if catalog.is_empty() => Err(Error::NoEndpoint(
                "no compute-url was configured and no catalog was read".into(),
            )),
            None => catalog_endpoint(&catalog, auth::COMPUTE_TYPES, c.region.as_deref(), &c.interface),
        };
        let project_id = project_id.or_else(|| project_from_url(&block_storage_url));
        let now = io.unix_time_s();
        let mut client = Client {
            io,
            renew,
            token: RefCell::new(TokenState::new(token, expires_at, now)),
            timeout_ms: c.timeout_ms,
            max_body: c.max_body,
            block_storage_url,
            compute_url,
            project_id,
            microversion: version::CINDER_MIN,
            jitter,
            secrets: secrets.clone(),
        };
        // A token (which needs the block storage URL) and a pinned microversion: nothing
        // to ask, so connect sends no request (a serverless function connects per call).
        // An unsupported pin then fails on the first call, with Cinder's own 406.
        client.microversion = match c.pinned {
            Some(pinned) if client.renew.is_none() => pinned,
            pinned => client.negotiate(pinned)?,
        };
        Ok(client)
    }

    /// Reads the server's version document and picks the session's microversion.
    fn negotiate(&self, pinned: Option<Microversion>) -> Result<Microversion, Error> {
        let doc_url = version::version_doc_url(
            &Url::parse(&self.block_storage_url).map_err(|e| invalid("block-storage-url", e))?,
        );
        let doc = self.send_url(Service::BlockStorage, Method::Get, &doc_url, None, |s| {
            s == 200 || s == 300
        })?;
        version::negotiate(&doc.body, pinned)
    }

    pub fn io(&self) -> &I {
        &self.io
    }
    pub fn project_id(&self) -> Option<String> {
        self.project_id.clone()
    }
    pub fn block_storage_url(&self) -> &str {
        &self.block_storage_url
    }
    pub fn microversion(&self) -> Microversion {
        self.microversion
    }
    /// The time limit of one request.
    pub fn timeout_ms(&self) -> u32 {
        self.timeout_ms
    }
    /// The secrets the session holds (transfers add their auth keys).
    pub fn secrets(&self) -> &Secrets {
        &self.secrets
    }
    /// `err` as it may leave the component: cleaned, every secret as `***`.
    pub fn scrub(&self, err: Error) -> Error {
        self.secrets.error(err)
    }

    /// Sends `method path` to a service (path relative to its base URL, query included)
    /// and returns the 2xx answer; every other status is mapped to its typed error.
    pub fn request(&self, svc: Service, method: Method, path: &str, body: Option<Vec<u8>>) -> Result<Response, Error> {
        let base = match svc {
            Service::BlockStorage => self.block_storage_url.as_str(),
            Service::Compute => self.compute_url.as_deref().map_err(Clone::clone)?,
        };
        self.send_url(svc, method, &format!("{base}{path}"), body, |s| (200..300).contains(&s))
    }

    /// GET and decode a JSON answer.
    pub fn get_json<T: Decode>(&self, svc: Service, path: &str, what: &str) -> Result<T, Error> {
        decode(&self.request(svc, Method::Get, path, None)?, what)
    }

    /// The one HTTP path: renews a token about to expire, sets the headers, sends (repeating
    /// idempotent requests after transient failures, see [`retry`]), retries once after
    /// re-authenticating on 401, and maps errors.
    fn send_url(
        &self,
        svc: Service,
        method: Method,
        url: &str,
        body: Option<Vec<u8>>,
        ok: fn(u16) -> bool,
    ) -> Result<Response, Error> {
        if self.token_expiring() {
            self.reauthenticate()?;
        }
        let mut req = Request {
            method,
            url: url.to_string(),
            headers: Vec::new(),
            body,
            timeout_ms: self.timeout_ms,
            max_body: self.max_body,
        };
        let mut reauthentications = 0;
        loop {
            req.headers = self.headers(svc, req.body.is_some());
            req.timeout_ms = self.timeout_ms;
            let resp = retry::send(&self.io, &mut req, &self.jitter)?;
            if resp.status == 401 && self.renew.is_some() && reauthentications < MAX_REAUTHENTICATIONS {
                // A fresh token refused too was issued in the second of a revocation, which
                // Keystone counts as revoked: the next second's token is good.
                if reauthentications > 0 {
                    self.io.sleep_ms(REVOCATION_SECOND_MS);
                }
                reauthentications += 1;
                self.reauthenticate()?;
                continue;
            }
            return match (ok(resp.status), resp.status) {
                (true, _) => Ok(resp),
                (false, 401) if self.renew.is_none() => Err(token_refused(&resp)),
                _ => Err(error::from_response(&resp)),
            };
        }
    }

    fn headers(&self, svc: Service, has_body: bool) -> Vec<(String, String)> {
        let mut h = json_headers(has_body);
        h.push(("x-auth-token".into(), self.token.borrow().token.expose().to_string()));
        match svc {
            Service::BlockStorage => h.push(("openstack-api-version".into(), format!("volume {}", self.microversion))),
            Service::Compute => {
                h.push(("openstack-api-version".into(), format!("compute {}", version::NOVA)));
                h.push(("x-openstack-nova-api-version".into(), version::NOVA.into()));
            }
        }
        h
    }

    fn token_expiring(&self) -> bool {
        self.renew.is_some()
            && self
                .token
                .borrow()
                .renew_at
                .is_some_and(|at| self.io.unix_time_s() >= at)
    }

    fn reauthenticate(&self) -> Result<(), Error> {
        let Some((url, renew)) = &self.renew else {
            return Ok(());
        };
        let t = authenticate(&self.io, url, renew, self.timeout_ms, self.max_body, &self.jitter)?;
        self.secrets.token(t.token.expose());
        *self.token.borrow_mut() = TokenState::new(t.token, t.expires_at, self.io.unix_time_s());
        Ok(())
    }
}

/// A 401 to a session on token credentials: nothing to renew the token with.
fn token_refused(resp: &Response) -> Error {
    match error::from_response(resp) {
        Error::Unauthorized(mut a) => {
            a.message = format!(
                "the token was refused (expired or revoked) and token credentials cannot be renewed: {}",
                a.message
            );
            Error::Unauthorized(a)
        }
        other => other,
    }
}

/// The headers of every request: JSON in (and out, with a body), our user agent.
fn json_headers(has_body: bool) -> Vec<(String, String)> {
    let mut h = vec![
        ("accept".to_string(), "application/json".to_string()),
        ("user-agent".to_string(), USER_AGENT.to_string()),
    ];
    if has_body {
        h.push(("content-type".into(), "application/json".into()));
    }
    h
}

/// `POST {auth_url}/auth/tokens`.
fn authenticate(
    io: &impl Io,
    auth_url: &str,
    renew: &Renewable,
    timeout_ms: u32,
    max_body: u32,
    jitter: &Jitter,
) -> Result<auth::Token, Error> {
    let mut req = Request {
        method: Method::Post,
        url: format!("{auth_url}/auth/tokens"),
        headers: json_headers(true),
        body: Some(renew.token_request_body()),
        timeout_ms,
        max_body,
    };
    // Asking for a token twice only yields two tokens: safe to repeat.
    let resp = retry::send_as(io, &mut req, true, jitter)?;
    if resp.status != 201 && resp.status != 200 {
        // Keystone answers an unknown application credential with 404: still a refusal of
        // the credentials, not a missing resource of the caller's.
        return Err(match error::from_response(&resp) {
            Error::NotFound(a) => Error::Unauthorized(a),
            e => e,
        });
    }
    auth::decode_token(&resp)
}

/// Decodes a JSON body into a wire type; `what` names it in the error.
pub fn decode<T: Decode>(resp: &Response, what: &str) -> Result<T, Error> {
    json::from_slice(&resp.body).map_err(|e| invalid_response(what, e))
}

/// `invalid-response` for a body that does not decode.
#[inline(never)]
fn invalid_response(what: &str, e: JsonError) -> Error {
    Error::InvalidResponse(format!("{what}: {e}"))
}
