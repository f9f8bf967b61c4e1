//! Keystone v3 under `/identity`, answering as a real Keystone 30.0.0 does (see
//! `../shared/real-keystone/README.md`): expiry truncated to the second, `404` for a token
//! that does not validate, Keystone's own messages and versioned `WWW-Authenticate`.

use crate::server::Req;
use crate::state::{Resp, State};
use crate::util::{hex32, now_us, req_id, ts};
use crate::{APP_CRED_ID, APP_CRED_SECRET, PASSWORD, PROJECT_DOMAIN, USER_DOMAIN, USER_NAME};
use serde_json::{json, Value};
use std::time::{Duration, Instant};

/// The tail of every 400 message of Keystone's.
const CLIENT_ERROR: &str = "The server could not comply with the request since it is either malformed or otherwise incorrect. The client is assumed to be in error.";

fn err(code: u16, title: &str, msg: &str) -> Resp {
    Resp::json(code, &json!({"error": {"code": code, "title": title, "message": msg}}))
}

fn unauthorized() -> Resp {
    err(
        401,
        "Unauthorized",
        "The request you have made requires authentication.",
    )
    .header("WWW-Authenticate", "Keystone uri=\"\"")
}

fn bad_request(what: &str) -> Resp {
    err(400, "Bad Request", &format!("Expecting to find {what}. {CLIENT_ERROR}"))
}

/// Keystone's 404 for a token that does not validate: one it issued but that has expired or
/// was revoked, or one it cannot decrypt at all.
fn token_not_found(tok: &str) -> Resp {
    let ours = tok.len() == 71 && tok.starts_with("gAAAAAB") && tok[7..].bytes().all(|b| b.is_ascii_hexdigit());
    let msg = if ours {
        "Failed to validate token"
    } else {
        "Could not recognize Fernet token"
    };
    err(404, "Not Found", msg)
}

pub fn handle(st: &mut State, r: &Req) -> Resp {
    let rid = req_id();
    let resp = route(st, r);
    let mut resp = resp.header("x-openstack-request-id", rid);
    // Keystone's 401 carries WWW-Authenticate with its own versioned URL.
    for h in resp.headers.iter_mut() {
        if h.0 == "WWW-Authenticate" {
            h.1 = format!("Keystone uri=\"{}/identity/v3\"", st.base);
        }
    }
    resp.headers.push(("Vary".into(), "X-Auth-Token".into()));
    resp
}

fn version_doc(st: &State) -> Value {
    json!({"id": "v3.14", "status": "stable", "updated": "2020-04-07T00:00:00Z",
        "links": [{"rel": "self", "href": format!("{}/identity/v3/", st.base)}],
        "media-types": [{"base": "application/json", "type": "application/vnd.openstack.identity-v3+json"}]})
}

fn route(st: &mut State, r: &Req) -> Resp {
    let p = r.path.trim_end_matches('/');
    match (r.method.as_str(), p) {
        ("GET", "/identity") => Resp::json(300, &json!({"versions": {"values": [version_doc(st)]}})),
        ("GET", "/identity/v3") => Resp::json(200, &json!({"version": version_doc(st)})),
        ("POST", "/identity/v3/auth/tokens") => authenticate(st, r),
        ("GET", "/identity/v3/auth/tokens") | ("HEAD", "/identity/v3/auth/tokens") => subject_token(st, r)
            .unwrap_or_else(|subject| {
                let body = token_body(st, &["token"], true, None, expires_at(st, &subject));
                Resp::json(200, &body).header("X-Subject-Token", subject)
            }),
        ("DELETE", "/identity/v3/auth/tokens") => subject_token(st, r).unwrap_or_else(|subject| {
            st.tokens.remove(&subject);
            Resp::empty(204, "application/json")
        }),
        _ => err(404, "Not Found", "The resource could not be found."),
    }
}

/// The valid `X-Subject-Token` of a validation or revocation by a valid caller, as `Err` (to
/// act on), or Keystone's refusal as `Ok`.
fn subject_token(st: &State, r: &Req) -> Result<Resp, String> {
    if !st.token_valid(r.header("X-Auth-Token").unwrap_or("")) {
        return Ok(unauthorized());
    }
    match r.header("X-Subject-Token") {
        None => Ok(err(404, "Not Found", "No token in the request")),
        Some(subject) if !st.token_valid(subject) => Ok(token_not_found(subject)),
        Some(subject) => Err(subject.to_string()),
    }
}

fn authenticate(st: &mut State, r: &Req) -> Resp {
    if !r
        .header("Content-Type")
        .is_some_and(|t| t.starts_with("application/json"))
    {
        return bad_request("application/json in Content-Type header");
    }
    let Ok(body) = serde_json::from_slice::<Value>(&r.body) else {
        return bad_request("valid JSON in request body");
    };
    let (identity, methods, scope) = match auth_request(&body) {
        Ok(parts) => parts,
        Err(resp) => return resp,
    };
    if methods.iter().any(|m| m == "application_credential") {
        return application_credential_token(st, identity, scope);
    }
    if methods.iter().any(|m| m == "password") {
        return password_token(st, identity, scope);
    }
    if methods.iter().any(|m| m == "token") {
        return token_token(st, identity);
    }
    unauthorized()
}

/// The `identity`, its `methods` and the `scope` of an `auth` body, or Keystone's 400.
fn auth_request(body: &Value) -> Result<(&Value, Vec<String>, Option<&Value>), Resp> {
    let Some(auth) = body.get("auth").filter(|a| a.is_object()) else {
        return Err(bad_request("auth in request body"));
    };
    let Some(identity) = auth.get("identity").filter(|a| a.is_object()) else {
        return Err(bad_request("identity in request body"));
    };
    let Some(methods) = identity.get("methods").and_then(|m| m.as_array()) else {
        return Err(bad_request("methods in request body"));
    };
    let methods: Vec<String> = methods
        .iter()
        .filter_map(|m| m.as_str().map(|s| s.to_string()))
        .collect();
    if methods.is_empty() {
        return Err(bad_request("methods in request body"));
    }
    Ok((identity, methods, auth.get("scope")))
}

/// A token for the mock's application credential, which takes no scope of its own.
fn application_credential_token(st: &mut State, identity: &Value, scope: Option<&Value>) -> Resp {
    let Some(ac) = identity.get("application_credential").filter(|a| a.is_object()) else {
        return bad_request("application_credential in request body");
    };
    let id = ac.get("id").and_then(|v| v.as_str()).unwrap_or_default();
    if id != APP_CRED_ID {
        return err(
            404,
            "Not Found",
            &format!("Could not find Application Credential: {id}."),
        );
    }
    let secret_ok = ac.get("secret").and_then(|v| v.as_str()) == Some(APP_CRED_SECRET);
    if !secret_ok || scope.is_some_and(|s| !s.is_null()) {
        return unauthorized();
    }
    let (tok, exp) = issue(st, None);
    let body = token_body(st, &["application_credential"], true, Some(APP_CRED_ID), exp);
    Resp::json(201, &body).header("X-Subject-Token", tok)
}

/// A new token for a valid one (`methods: ["token"]`): it keeps the old one's expiry, as
/// Keystone's does (renewing takes the credentials again).
fn token_token(st: &mut State, identity: &Value) -> Resp {
    let old = identity["token"]["id"].as_str().unwrap_or_default();
    let Some(exp) = st.tokens.get(old).copied().filter(|_| st.token_valid(old)) else {
        return token_not_found(old);
    };
    let old_expiry = expires_at(st, old);
    let (tok, _) = issue(st, Some(exp));
    let body = token_body(st, &["token"], true, None, old_expiry);
    Resp::json(201, &body).header("X-Subject-Token", tok)
}

/// The expiry Keystone would give a token issued now, in µs: truncated to the second.
fn truncated_expiry(st: &State) -> i64 {
    let exp = now_us() + st.opts.token_ttl.as_micros() as i64;
    exp - exp % 1_000_000
}

/// Issues a token valid until `until` or else [`truncated_expiry`] (not a moment after, as
/// at Keystone); returns it and its expiry in µs.
fn issue(st: &mut State, until: Option<Instant>) -> (String, i64) {
    let tok = st.issue_token();
    let until = until.unwrap_or_else(|| {
        let left = truncated_expiry(st) - now_us();
        Instant::now() + Duration::from_micros(left.max(0) as u64)
    });
    st.tokens.insert(tok.clone(), until);
    let exp = expires_at(st, &tok);
    (tok, exp)
}

/// A valid token's expiry in µs since the epoch: back from the monotonic clock to the
/// whole second it was set to.
fn expires_at(st: &State, tok: &str) -> i64 {
    let left = st
        .tokens
        .get(tok)
        .map_or(0, |e| e.saturating_duration_since(Instant::now()).as_micros());
    (now_us() + left as i64 + 500_000).div_euclid(1_000_000) * 1_000_000
}

/// A token for the mock's user (by name and domain, or by ID) and password, scoped to the
/// mock's project if asked.
fn password_token(st: &mut State, identity: &Value, scope: Option<&Value>) -> Resp {
    let Some(user) = identity
        .get("password")
        .and_then(|p| p.get("user"))
        .filter(|u| u.is_object())
    else {
        return bad_request("user in request body");
    };
    let name_ok =
        user.get("name").and_then(|v| v.as_str()) == Some(USER_NAME) && domain_ok(user.get("domain"), USER_DOMAIN);
    let id_ok = user.get("id").and_then(|v| v.as_str()) == Some(st.user_id.as_str());
    let pw_ok = user.get("password").and_then(|v| v.as_str()) == Some(PASSWORD);
    if !(name_ok || id_ok) || !pw_ok {
        return unauthorized();
    }
    let scoped = match project_scoped(st, scope) {
        Ok(scoped) => scoped,
        Err(resp) => return resp,
    };
    let (tok, exp) = if scoped {
        issue(st, None)
    } else {
        // Unscoped: valid at Keystone only; Cinder/Nova refuse it.
        (format!("gAAAAAB{}{}", hex32(), hex32()), truncated_expiry(st))
    };
    let body = token_body(st, &["password"], scoped, None, exp);
    Resp::json(201, &body).header("X-Subject-Token", tok)
}

/// Whether `scope` asks for a project; a 401 when that is another than the mock's (by ID,
/// or by name and domain).
fn project_scoped(st: &State, scope: Option<&Value>) -> Result<bool, Resp> {
    let Some(p) = scope.and_then(|s| s.get("project")) else {
        return Ok(false);
    };
    let by_id = p.get("id").and_then(|v| v.as_str()) == Some(st.opts.project_id.as_str());
    let by_name = p.get("name").and_then(|v| v.as_str()) == Some(st.opts.project_name.as_str())
        && domain_ok(p.get("domain"), PROJECT_DOMAIN);
    if !(by_id || by_name) {
        return Err(unauthorized());
    }
    Ok(true)
}

fn domain_ok(d: Option<&Value>, name: &str) -> bool {
    match d {
        Some(d) => {
            d.get("name").and_then(|v| v.as_str()) == Some(name)
                || d.get("id").and_then(|v| v.as_str()) == Some(&name.to_lowercase())
        }
        None => false,
    }
}

fn iso_z(us: i64) -> String {
    format!("{}Z", ts(us))
}

/// `exp`: the expiry in µs, whole seconds.
fn token_body(st: &State, methods: &[&str], scoped: bool, app_cred: Option<&str>, exp: i64) -> Value {
    let now = now_us();
    let mut token = json!({
        "methods": methods,
        "user": {"id": st.user_id, "name": USER_NAME,
                 "domain": {"id": "default", "name": USER_DOMAIN}, "password_expires_at": null},
        "audit_ids": [hex32()[..22].to_string()],
        "expires_at": iso_z(exp),
        "issued_at": iso_z(now - now % 1_000_000),
    });
    if scoped {
        token["project"] = json!({"id": st.opts.project_id, "name": st.opts.project_name,
            "domain": {"id": "default", "name": PROJECT_DOMAIN}});
        token["is_domain"] = json!(false);
        token["roles"] = json!([
            {"id": "9fe2ff9ee4384b1894a90878d3e92bab", "name": "member"},
            {"id": "2f8ba6e1a7a54c37a0cf3f9b7a2dfb31", "name": "reader"}
        ]);
        if st.opts.admin {
            if let Some(a) = token["roles"].as_array_mut() {
                a.push(json!({"id": "c0ffee0dd0ba1100c0ffee0dd0ba1100", "name": "admin"}));
            }
        }
        token["catalog"] = catalog(st);
    }
    if let Some(id) = app_cred {
        token["application_credential"] = json!({"id": id, "name": "mock-app-cred", "restricted": true});
    }
    json!({ "token": token })
}

fn catalog(st: &State) -> Value {
    let mut services: Vec<(String, Vec<Value>)> = Vec::new();
    for e in &st.opts.catalog {
        let url = match (&st.opts.cinder_url, e.service_type.as_str()) {
            (Some(_), "block-storage" | "volumev3") => st.cinder_url(),
            _ => e
                .url
                .replace("{base}", st.bases.of_service(&e.service_type))
                .replace("{project}", &st.opts.project_id),
        };
        let ep = json!({"id": hex32(), "interface": e.interface, "region": e.region,
                        "region_id": e.region, "url": url});
        match services.iter_mut().find(|(t, _)| *t == e.service_type) {
            Some((_, eps)) => eps.push(ep),
            None => services.push((e.service_type.clone(), vec![ep])),
        }
    }
    Value::Array(
        services
            .into_iter()
            .map(|(ty, eps)| {
                let name = match ty.as_str() {
                    "compute" => "nova",
                    "block-storage" | "volumev3" => "cinderv3",
                    "identity" => "keystone",
                    other => other,
                }
                .to_string();
                json!({"type": ty, "name": name, "id": hex32(), "endpoints": eps})
            })
            .collect(),
    )
}
