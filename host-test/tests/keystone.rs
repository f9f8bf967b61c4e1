//! The auth path against a real Keystone 30.0.0, with a real Cinder validating every token
//! (`../shared/real-stack`): what only the real services can answer, each through the
//! component. SKIPPED without `REAL_STACK_ENV`.
//!
//! Scenarios that disable users or change roles use a user and project of their own
//! (created with the admin token, deleted after), so tests sharing the stack are unaffected.
//! The short-token scenarios start their own Keystone (tokens of [`TOKEN_S`] seconds) and
//! Cinder from `../shared`, stopped when the last of them ends.

mod common;
#[path = "../mock-cloud/tests/common/mod.rs"]
mod http;

use std::path::{Path, PathBuf};
use std::sync::{Arc, Mutex, Weak};
use std::time::{Duration, Instant, SystemTime, UNIX_EPOCH};

use common::{err, host, kind, ok, say};
use host_test::real_stack::{self, env_file, openrc_config, value};
use host_test::{spec, Config, Credentials, Session};
use serde_json::{json, Value};

/// Keystone's 401 message for every refused credential (it never says which part was wrong).
const REFUSED: &str = "The request you have made requires authentication.";
/// The lifetime of the short-token Keystone's tokens (`KEYSTONE_TOKEN_EXPIRATION`).
const TOKEN_S: u64 = 6;

type Vars = Vec<(String, String)>;

/// The shared real stack: the `stack.env` variables, or None (SKIPPED) without one.
fn stack(scenario: &str) -> Option<Vars> {
    real_stack::from_env(&format!("keystone {scenario}"))?;
    Some(env_file(Path::new(&std::env::var_os("REAL_STACK_ENV")?)))
}

/// The variables of the file that `key` of the stack names (an openrc, `ids.env`).
fn file(stack: &Vars, key: &str) -> Vars {
    env_file(Path::new(&value(stack, key)))
}

/// `vars` with `key` set to `v`.
fn with(vars: &Vars, key: &str, v: &str) -> Vars {
    let mut vars = vars.clone();
    vars.iter_mut()
        .filter(|(k, _)| k == key)
        .for_each(|(_, old)| *old = v.into());
    vars
}

fn unix_now() -> Duration {
    SystemTime::now().duration_since(UNIX_EPOCH).expect("clock after 1970")
}

/// Sleeps until `offset` past the next whole second (Keystone truncates times to seconds).
fn sleep_to_next_second(offset: Duration) {
    let frac = Duration::from_nanos(u64::from(unix_now().subsec_nanos()));
    std::thread::sleep(Duration::from_secs(1) - frac + offset);
}

/// A password login's `POST /auth/tokens` body, project-scoped.
fn password_auth(user: &str, password: &str, project: &str) -> Value {
    json!({"auth": {"identity": {"methods": ["password"], "password": {"user": {
        "name": user, "domain": {"name": "Default"}, "password": password}}},
        "scope": {"project": {"name": project, "domain": {"name": "Default"}}}}})
}

/// `POST {keystone}/auth/tokens` with `body`: the token and the token body.
fn issue_token(keystone: &str, body: &Value) -> (String, Value) {
    let r = http::post_unauthenticated(&format!("{keystone}/auth/tokens"), &body.to_string());
    assert_eq!(r.status, 201, "{}", String::from_utf8_lossy(&r.body));
    let token = r.header("X-Subject-Token").expect("X-Subject-Token").to_string();
    (token, r.json())
}

/// A token for a password openrc's user and project, from its Keystone.
fn openrc_token(rc: &Vars) -> (String, Value) {
    let body = password_auth(
        &value(rc, "OS_USERNAME"),
        &value(rc, "OS_PASSWORD"),
        &value(rc, "OS_PROJECT_NAME"),
    );
    issue_token(&value(rc, "OS_AUTH_URL"), &body)
}

/// Keystone's identity API with the cloud admin's token (openrc-admin).
struct Admin {
    keystone: String,
    token: String,
    /// Every role: (name, id).
    roles: Vec<(String, String)>,
}

impl Admin {
    fn login(stack: &Vars) -> Admin {
        let rc = file(stack, "OPENRC_ADMIN");
        let (token, _) = openrc_token(&rc);
        let mut admin = Admin {
            keystone: value(&rc, "OS_AUTH_URL"),
            token,
            roles: Vec::new(),
        };
        let roles = admin.call("GET", "/roles", None)["roles"]
            .as_array()
            .cloned()
            .unwrap_or_default();
        let name_id = |r: &Value| {
            (
                r["name"].as_str().unwrap().to_string(),
                r["id"].as_str().unwrap().to_string(),
            )
        };
        admin.roles = roles.iter().map(name_id).collect();
        admin
    }

    /// `method path` with the admin token.
    fn send(&self, method: &str, path: &str, body: Option<Value>) -> std::io::Result<http::Response> {
        let body = body.map(|b| b.to_string());
        let headers = [
            ("X-Auth-Token", self.token.as_str()),
            ("Content-Type", "application/json"),
        ];
        http::request(method, &format!("{}{path}", self.keystone), &headers, body.as_deref())
    }

    /// [`Admin::send`], and its JSON answer; panics unless 2xx.
    fn call(&self, method: &str, path: &str, body: Option<Value>) -> Value {
        let r = self.send(method, path, body).expect("keystone reachable");
        assert!(
            (200..300).contains(&r.status),
            "{method} {path}: {} {}",
            r.status,
            String::from_utf8_lossy(&r.body)
        );
        if r.body.is_empty() {
            Value::Null
        } else {
            r.json()
        }
    }

    fn set_role(&self, user: &OwnUser, role: &str, granted: bool) {
        let (_, id) = self.roles.iter().find(|(name, _)| name == role).expect("a seeded role");
        let path = format!("/projects/{}/users/{}/roles/{id}", user.project_id, user.user_id);
        self.call(if granted { "PUT" } else { "DELETE" }, &path, None);
    }

    fn set_enabled(&self, user: &OwnUser, enabled: bool) {
        let body = json!({"user": {"enabled": enabled}});
        self.call("PATCH", &format!("/users/{}", user.user_id), Some(body));
    }
}

/// A user with `member` on a project of its own, both deleted on drop: a scenario may
/// disable it or change its roles without touching the shared demo user.
struct OwnUser<'a> {
    admin: &'a Admin,
    name: String,
    password: String,
    user_id: String,
    project_id: String,
}

impl<'a> OwnUser<'a> {
    fn create(admin: &'a Admin, tag: &str) -> OwnUser<'a> {
        let name = format!("kt-{tag}-{}-{}", std::process::id(), unix_now().as_micros());
        let password = format!("pw-{}", unix_now().as_nanos());
        let project = json!({"project": {"name": name, "domain_id": "default"}});
        let project_id = admin.call("POST", "/projects", Some(project))["project"]["id"]
            .as_str()
            .unwrap()
            .to_string();
        let user = json!({"user": {"name": name, "domain_id": "default", "password": password}});
        let user_id = admin.call("POST", "/users", Some(user))["user"]["id"]
            .as_str()
            .unwrap()
            .to_string();
        let own = OwnUser {
            admin,
            name,
            password,
            user_id,
            project_id,
        };
        admin.set_role(&own, "member", true);
        own
    }

    /// The demo openrc with this user's name, password and project.
    fn config(&self, stack: &Vars) -> Config {
        let rc = with(&file(stack, "OPENRC"), "OS_USERNAME", &self.name);
        let rc = with(&rc, "OS_PROJECT_NAME", &self.name);
        openrc_config(&with(&rc, "OS_PASSWORD", &self.password))
    }

    fn token(&self) -> String {
        issue_token(
            &self.admin.keystone,
            &password_auth(&self.name, &self.password, &self.name),
        )
        .0
    }
}

impl Drop for OwnUser<'_> {
    fn drop(&mut self) {
        // Best effort, and no panic while a failed test unwinds.
        let _ = self.admin.send("DELETE", &format!("/users/{}", self.user_id), None);
        let _ = self
            .admin
            .send("DELETE", &format!("/projects/{}", self.project_id), None);
    }
}

/// Cinder's answer to a token of the test's own, to tell a revoked token from a good one.
fn cinder_status(stack: &Vars, project_id: &str, token: &str) -> u16 {
    let url = format!("{}/v3/{project_id}/volumes", value(stack, "CINDER_URL"));
    http::request("GET", &url, &[("X-Auth-Token", token)], None)
        .expect("cinder reachable")
        .status
}

fn connect(cfg: &Config) -> Session {
    ok(host().connect(cfg))
}

fn list(s: &mut Session) -> usize {
    ok(s.volume_list(&spec::list_all())).len()
}

mod real_keystone {
    use super::*;

    /// Password and application credential: the project and the block-storage URL are the
    /// real token's and catalog's (`$(project_id)s` substituted), and Cinder takes the token.
    #[test]
    fn password_and_application_credential_connect() {
        let Some(stack) = stack("connect") else { return };
        let ids = file(&stack, "IDS_ENV");
        for rc in ["OPENRC", "OPENRC_APPCRED"] {
            let mut s = connect(&openrc_config(&file(&stack, rc)));
            assert_eq!(ok(s.project_id()), Some(value(&ids, "DEMO_PROJECT_ID")), "{rc}");
            assert_eq!(ok(s.block_storage_url()), value(&ids, "CINDER_URL_DEMO"), "{rc}");
            list(&mut s);
        }
    }

    /// The `internal` interface takes the catalog's internal endpoint and works.
    #[test]
    fn internal_interface() {
        let Some(stack) = stack("internal") else { return };
        let rc = file(&stack, "OPENRC");
        let (_, token) = openrc_token(&rc);
        let internal = token["token"]["catalog"]
            .as_array()
            .unwrap()
            .iter()
            .filter(|s| s["type"] == "block-storage")
            .flat_map(|s| s["endpoints"].as_array().unwrap())
            .find(|e| e["interface"] == "internal" && e["region_id"] == "dc3-a")
            .expect("an internal block-storage endpoint")["url"]
            .clone();
        let cfg = Config {
            endpoint_interface: Some("internal".into()),
            ..openrc_config(&rc)
        };
        let mut s = connect(&cfg);
        assert_eq!(json!(ok(s.block_storage_url())), internal);
        list(&mut s);
    }

    /// Region `dc4-a` exists in the real Keystone but has no block-storage endpoint.
    #[test]
    fn region_without_endpoints_is_no_endpoint() {
        let Some(stack) = stack("no-endpoint") else { return };
        let cfg = Config {
            region: Some("dc4-a".into()),
            ..openrc_config(&file(&stack, "OPENRC"))
        };
        let e = err(host().connect(&cfg));
        assert_eq!(kind(&e), "no-endpoint", "{e}");
        assert!(
            e.to_string().contains("dc4-a") && e.to_string().contains("block-storage dc3-a/public"),
            "{e}"
        );
    }

    /// Wrong password, wrong application-credential secret, unknown user, a project the user
    /// has no role on: Keystone's 401 and its message, never the secret.
    #[test]
    fn refused_credentials_are_unauthorized_with_keystones_message() {
        let Some(stack) = stack("refused") else { return };
        let rc = file(&stack, "OPENRC");
        let appcred = file(&stack, "OPENRC_APPCRED");
        let cases = [
            ("wrong password", with(&rc, "OS_PASSWORD", "wrong-password-Qx81")),
            (
                "wrong secret",
                with(&appcred, "OS_APPLICATION_CREDENTIAL_SECRET", "wrong-secret-Qx81"),
            ),
            ("unknown user", with(&rc, "OS_USERNAME", "no-such-user-Qx81")),
            ("project without a role", with(&rc, "OS_PROJECT_NAME", "admin")),
        ];
        for (case, vars) in cases {
            let cfg = openrc_config(&vars);
            let e = err(host().connect(&cfg));
            assert_eq!(kind(&e), "unauthorized", "{case}: {e}");
            let api = e.api().unwrap();
            assert_eq!((api.status, api.message.as_str()), (401, REFUSED), "{case}");
            assert!(
                api.request_id.as_deref().is_some_and(|r| r.starts_with("req-")),
                "{case}: {api:?}"
            );
            for secret in ["wrong-password-Qx81", "wrong-secret-Qx81", &value(&rc, "OS_PASSWORD")] {
                assert!(!format!("{e} {}", e.log()).contains(secret), "{case}: {e}");
            }
        }
    }

    /// An application credential id Keystone does not know is a refused credential too, though
    /// Keystone answers it with a 404.
    #[test]
    fn unknown_application_credential_is_unauthorized() {
        let Some(stack) = stack("unknown app cred") else { return };
        let vars = with(
            &file(&stack, "OPENRC_APPCRED"),
            "OS_APPLICATION_CREDENTIAL_ID",
            &"0".repeat(32),
        );
        let e = err(host().connect(&openrc_config(&vars)));
        assert_eq!(kind(&e), "unauthorized", "{e}");
        let message = &e.api().unwrap().message;
        assert!(message.contains("Could not find Application Credential"), "{message}");
    }

    /// A member's `delete(force)`: Cinder's policy refuses it (403) with its own message.
    #[test]
    fn member_force_delete_is_forbidden_with_cinders_policy_message() {
        let Some(stack) = stack("forbidden") else { return };
        let admin = Admin::login(&stack);
        let user = OwnUser::create(&admin, "force");
        let mut s = connect(&user.config(&stack));
        let v = ok(s.volume_create(&spec::volume(1, "kt-force")));
        ok(s.volume_wait_for(&v.id, "available", 60));
        let e = err(s.volume_delete(&v.id, true, false));
        assert_eq!(kind(&e), "forbidden", "{e}");
        let api = e.api().unwrap();
        assert_eq!(api.status, 403);
        assert_eq!(
            api.message,
            "Policy doesn't allow volume_extension:volume_admin_actions:force_delete to be performed."
        );
        ok(s.volume_delete(&v.id, false, false));
        ok(s.volume_wait_for(&v.id, "deleted", 60));
    }

    /// A revocation in the middle of a session (the user disabled and enabled again): the
    /// next call re-authenticates and succeeds. The revocation is a second old by then (see
    /// the same-second test below).
    #[test]
    fn revocation_mid_session_reauthenticates() {
        let Some(stack) = stack("revocation") else { return };
        let admin = Admin::login(&stack);
        let user = OwnUser::create(&admin, "revoke");
        let mut s = connect(&user.config(&stack));
        list(&mut s);
        let before = user.token();
        admin.set_enabled(&user, false);
        admin.set_enabled(&user, true);
        sleep_to_next_second(Duration::from_millis(100));
        assert_eq!(cinder_status(&stack, &user.project_id, &before), 401, "not revoked");
        list(&mut s);
    }

    /// A role change revokes nothing at Keystone 30 (it recomputes a token's roles at each
    /// validation): the session's token stays good and the new roles apply from the next
    /// call, with no re-authentication. `reader` instead of `member`: listing works,
    /// creating is forbidden; `member` back: creating works.
    #[test]
    fn role_change_mid_session_applies_at_the_next_call() {
        let Some(stack) = stack("role change") else { return };
        let admin = Admin::login(&stack);
        let user = OwnUser::create(&admin, "role");
        let mut s = connect(&user.config(&stack));
        let before = user.token();
        admin.set_role(&user, "reader", true);
        admin.set_role(&user, "member", false);
        sleep_to_next_second(Duration::from_millis(100));
        assert_eq!(cinder_status(&stack, &user.project_id, &before), 200, "revoked");
        list(&mut s);
        let e = err(s.volume_create(&spec::volume(1, "kt-reader")));
        assert_eq!((kind(&e), e.api().map(|a| a.status)), ("forbidden", Some(403)), "{e}");
        admin.set_role(&user, "member", true);
        let v = ok(s.volume_create(&spec::volume(1, "kt-member")));
        ok(s.volume_wait_for(&v.id, "available", 60));
        ok(s.volume_delete(&v.id, false, false));
        ok(s.volume_wait_for(&v.id, "deleted", 60));
    }

    /// A revocation in the same second as the re-authentication it causes. Keystone truncates times to the
    /// second, so the token the 401 makes the component fetch is revoked too; one second later a
    /// new one is good. The call must not fail where a retry a moment later would succeed, and must
    /// not take much more than that second. The revocation (the user disabled and enabled again) is
    /// early in a second, so the re-authentication falls in it.
    #[test]
    fn revocation_in_the_same_second_as_the_reauthentication() {
        let Some(stack) = stack("same-second revocation") else {
            return;
        };
        let admin = Admin::login(&stack);
        let user = OwnUser::create(&admin, "same-second");
        let mut s = connect(&user.config(&stack));
        list(&mut s);
        let mut hits = 0;
        for _ in 0..4 {
            sleep_to_next_second(Duration::from_millis(20));
            let second = unix_now().as_secs();
            admin.set_enabled(&user, false);
            admin.set_enabled(&user, true);
            if unix_now() > Duration::from_millis(second * 1000 + 600) {
                list(&mut s);
                continue; // too late in the second for the re-authentication to fall in it
            }
            hits += 1;
            let started = Instant::now();
            let r = s.volume_list(&spec::list_all()).map(|_| ());
            let took = started.elapsed();
            say(&format!("keystone same-second revocation: call {r:?} after {took:?}"));
            assert!(
                r.is_ok(),
                "the call failed though a retry a second later succeeds: {r:?}"
            );
            assert!(took < Duration::from_secs(5), "{took:?}");
        }
        assert!(hits > 0, "no revocation early enough in its second");
    }

    /// Short tokens: a session outlives several token lifetimes with no failed call, no token
    /// ever reaches Cinder expired, and the token requests stay within the renewal rule's
    /// prediction (renew_at = expiry - min(120 s, half the remaining lifetime)).
    #[test]
    fn renewal_outlives_several_token_lifetimes() {
        if stack("renewal").is_none() {
            return;
        }
        let short = ShortStack::get();
        let posts_before = short.token_requests();
        let refused_before = short.refused_validations();
        let mut s = connect(&openrc_config(&short.openrc()));
        let started = Instant::now();
        let (mut calls, mut gap) = (0, Duration::ZERO);
        while started.elapsed() < Duration::from_secs(4 * TOKEN_S) {
            let call = Instant::now();
            list(&mut s);
            std::thread::sleep(Duration::from_millis(250));
            calls += 1;
            gap = gap.max(call.elapsed());
        }
        let elapsed = started.elapsed().as_secs_f64();
        let tokens = short.token_requests() - posts_before;
        let (low, high) = renewal_bounds(elapsed, gap.as_secs_f64());
        say(&format!(
            "keystone renewal: {calls} calls (at most {gap:?} apart) in {elapsed:.1} s with {TOKEN_S} s tokens: \
             {tokens} token requests (rule: {low} to {high}, about {:.0})",
            1.0 + elapsed / TOKEN_S.div_ceil(2) as f64
        ));
        assert!(
            (low..=high).contains(&tokens),
            "{tokens} token requests, expected {low} to {high}"
        );
        assert_eq!(
            short.refused_validations(),
            refused_before,
            "Cinder was sent an expired token"
        );
    }

    /// The token requests the renewal rule allows over `elapsed` seconds of calls at most
    /// `gap` seconds apart: a token of lifetime r (TOKEN_S - 1 or TOKEN_S, the expiry being
    /// truncated to the second) is due ceil(r / 2) s after the whole second the session got
    /// it in, so more than ceil(r / 2) - 1 s after it was issued, and renewed by the next call.
    fn renewal_bounds(elapsed: f64, gap: f64) -> (usize, usize) {
        let (shortest, longest) = ((TOKEN_S - 1).div_ceil(2) - 1, TOKEN_S.div_ceil(2));
        let low = 1 + (elapsed / (longest as f64 + gap)).floor() as usize;
        let high = 1 + (elapsed / shortest as f64).ceil() as usize;
        (low, high)
    }

    /// A token credential cannot be renewed, so when it expires mid-session the call is `unauthorized` with
    /// a message that says so.
    #[test]
    fn expired_token_credential_says_it_cannot_be_renewed() {
        if stack("token credential").is_none() {
            return;
        }
        let short = ShortStack::get();
        let host = host(); // compiled before the token's few seconds start
        let (token, answer) = openrc_token(&short.openrc());
        let cfg = Config {
            block_storage_url: Some(value(&short.ids(), "CINDER_URL_DEMO")),
            ..spec::config("", Credentials::Token(token))
        };
        let mut s = ok(host.connect(&cfg));
        let expires = answer["token"]["expires_at"].as_str().unwrap().to_string();
        let deadline = Instant::now() + Duration::from_secs(TOKEN_S + 3);
        let mut good_calls = 0;
        let e = loop {
            match s.volume_list(&spec::list_all()) {
                Ok(_) => assert!(Instant::now() < deadline, "still accepted after {expires}"),
                Err(e) => break e,
            }
            good_calls += 1;
            std::thread::sleep(Duration::from_millis(250));
        };
        assert!(good_calls > 0, "refused before it expired: {e}");
        assert_eq!(kind(&e), "unauthorized", "{e}");
        let message = &e.api().unwrap().message;
        assert!(message.contains("cannot be renewed"), "{message}");
        assert!(message.contains(REFUSED), "Cinder's own message is kept: {message}");
    }
}

/// A Keystone whose tokens last [`TOKEN_S`] seconds (A, the component's), a copy of it
/// (B: the same database and Fernet keys, so it validates A's tokens) and a Cinder
/// validating every token at B. Cinder's service user authenticates at B, so A's access log
/// holds only the component's token requests, and B's shows every token Cinder refused.
struct ShortStack {
    scripts: PathBuf,
    dir: PathBuf,
    ports: [u16; 3],
}

impl ShortStack {
    /// The running one, or a new one; stopped when the last test holding it ends.
    fn get() -> Arc<ShortStack> {
        static CURRENT: Mutex<Weak<ShortStack>> = Mutex::new(Weak::new());
        let mut current = CURRENT.lock().unwrap_or_else(|e| e.into_inner());
        if let Some(s) = current.upgrade() {
            return s;
        }
        let s = Arc::new(ShortStack::start());
        *current = Arc::downgrade(&s);
        s
    }

    fn start() -> ShortStack {
        let scripts = Path::new(env!("CARGO_MANIFEST_DIR")).join("../../shared");
        let dir = std::env::temp_dir().join(format!("keystone-short-{}", std::process::id()));
        let ports = free_ports();
        let s = ShortStack { scripts, dir, ports };
        let [a, b, cinder] = ports.map(|p| p.to_string());
        let expiration = TOKEN_S.to_string();
        let ka = [
            ("KEYSTONE_TOKEN_EXPIRATION", expiration.as_str()),
            ("CINDER_PORT", cinder.as_str()),
        ];
        s.run("real-keystone/run-keystone.sh", &[&a, &s.state("a")], &ka);
        let copied = std::process::Command::new("cp")
            .arg("-a")
            .arg(s.dir.join("a"))
            .arg(s.dir.join("b"))
            .status();
        assert!(copied.is_ok_and(|c| c.success()), "copying keystone's state");
        let _ = std::fs::remove_file(s.dir.join("b/log/keystone.log"));
        // B's own tokens (Cinder's service user's) last the default hour: no churn in its log.
        s.run(
            "real-keystone/run-keystone.sh",
            &[&b, &s.state("b")],
            &[("KEEP_STATE", "1")],
        );
        let url_b = format!("http://127.0.0.1:{b}");
        s.run(
            "real-cinder/run-cinder.sh",
            &[&cinder, &s.state("cinder")],
            &[("KEYSTONE_URL", &url_b)],
        );
        s
    }

    fn state(&self, part: &str) -> String {
        self.dir.join(part).display().to_string()
    }

    /// Runs one of `../shared`'s scripts; panics with its output when it fails.
    fn run(&self, script: &str, args: &[&str], env: &[(&str, &str)]) {
        let out = std::process::Command::new(self.scripts.join(script))
            .args(args)
            .envs(env.iter().copied())
            .output()
            .unwrap_or_else(|e| panic!("{script}: {e}"));
        let text = format!(
            "{}{}",
            String::from_utf8_lossy(&out.stdout),
            String::from_utf8_lossy(&out.stderr)
        );
        assert!(out.status.success(), "{script} {args:?}: {text}");
    }

    fn openrc(&self) -> Vars {
        env_file(&self.dir.join("a/openrc"))
    }

    fn ids(&self) -> Vars {
        env_file(&self.dir.join("a/ids.env"))
    }

    fn log_lines(&self, keystone: &str, needle: &str) -> usize {
        let log = std::fs::read_to_string(self.dir.join(keystone).join("log/keystone.log")).unwrap_or_default();
        log.lines().filter(|l| l.contains(needle)).count()
    }

    /// Token requests at A (all of them the component's); each must have succeeded.
    fn token_requests(&self) -> usize {
        let all = self.log_lines("a", "POST /v3/auth/tokens ->");
        assert_eq!(
            all,
            self.log_lines("a", "POST /v3/auth/tokens -> 201"),
            "a token request failed"
        );
        all
    }

    /// Tokens Cinder had validated at B and B refused (expired or revoked).
    fn refused_validations(&self) -> usize {
        self.log_lines("b", "GET /v3/auth/tokens -> 404")
    }
}

impl Drop for ShortStack {
    fn drop(&mut self) {
        let [a, b, cinder] = self.ports.map(|p| p.to_string());
        for (script, port, part) in [
            ("real-cinder/run-cinder.sh", cinder, "cinder"),
            ("real-keystone/run-keystone.sh", b, "b"),
            ("real-keystone/run-keystone.sh", a, "a"),
        ] {
            let _ = std::process::Command::new(self.scripts.join(script))
                .args(["stop", &port, &self.state(part)])
                .output();
        }
        let _ = std::fs::remove_dir_all(&self.dir);
    }
}

/// Three distinct ports nothing listens on now (the scripts refuse a busy one).
fn free_ports() -> [u16; 3] {
    let bind = || std::net::TcpListener::bind("127.0.0.1:0").expect("bind");
    let held = [bind(), bind(), bind()];
    held.map(|l| l.local_addr().expect("local addr").port())
}
