//! Where the command line finds its cloud, as python-openstackclient does: `--os-*`
//! options override `OS_*` environment variables, which override the cloud named by
//! `--os-cloud` / `OS_CLOUD` in `clouds.yaml` (with `secure.yaml` merged over it).
//!
//! Settings carry openstacksdk's names (`auth_url`, `application_credential_id`,
//! `region_name`, …): `OS_AUTH_URL` is `auth_url`, `--os-auth-url` too, and so is the
//! `auth_url` of a cloud's `auth` section.

use std::collections::BTreeMap;
use std::io::Read;
use std::path::{Path, PathBuf};

use serde_json::Value;

use infomaniak_block_storage_host::{spec, ApplicationCredential, Config, Credentials, PasswordCredential};

use crate::args::OsOptions;

/// Settings read from the environment (`OS_` + the name in upper case).
const ENV_KEYS: &[&str] = &[
    "auth_url",
    "auth_type",
    "application_credential_id",
    "application_credential_secret",
    "application_credential_name",
    "username",
    "user_id",
    "password",
    "project_name",
    "project_id",
    "user_domain_name",
    "user_domain_id",
    "project_domain_name",
    "project_domain_id",
    "default_domain_name",
    "default_domain_id",
    "token",
    "region_name",
    "interface",
    "volume_api_version",
    "block_storage_endpoint_override",
    "compute_endpoint_override",
    "api_timeout",
    "cacert",
];

/// Older variable names, and what they mean now.
const ENV_ALIASES: &[(&str, &str)] = &[
    ("OS_TENANT_NAME", "project_name"),
    ("OS_TENANT_ID", "project_id"),
    ("OS_ENDPOINT_TYPE", "interface"),
    ("OS_USER_NAME", "username"),
];

/// A cloud's settings, by openstacksdk name.
pub type Settings = BTreeMap<String, String>;

/// What the command line connects with.
#[derive(Debug)]
pub struct Resolved {
    pub config: Config,
    /// A CA bundle to trust besides the system's (`OS_CACERT`, `cacert`).
    pub cacert: Option<PathBuf>,
    /// The secrets of the configuration, for `--debug` to mask.
    pub secrets: Vec<String>,
}

/// Reads the configuration: `os` over `env` over the clouds.yaml entry. `env` looks a
/// variable up; `home` is the user's home directory, `cwd` the working directory.
pub fn resolve(
    os: &OsOptions,
    env: &dyn Fn(&str) -> Option<String>,
    home: Option<&Path>,
    cwd: &Path,
) -> Result<Resolved, String> {
    let mut settings = Settings::new();
    let cloud = os
        .os_cloud
        .clone()
        .or_else(|| env("OS_CLOUD"))
        .filter(|c| !c.is_empty());
    if let Some(name) = &cloud {
        settings.extend(cloud_settings(name, env, home, cwd)?);
    }
    for (var, key) in ENV_ALIASES {
        if let Some(v) = env(var).filter(|v| !v.is_empty()) {
            settings.insert(key.to_string(), v);
        }
    }
    for key in ENV_KEYS {
        if let Some(v) = env(&format!("OS_{}", key.to_ascii_uppercase())).filter(|v| !v.is_empty()) {
            settings.insert(key.to_string(), v);
        }
    }
    let flags = [
        ("auth_url", &os.os_auth_url),
        ("auth_type", &os.os_auth_type),
        ("application_credential_id", &os.os_application_credential_id),
        ("application_credential_secret", &os.os_application_credential_secret),
        ("username", &os.os_username),
        ("password", &os.os_password),
        ("project_name", &os.os_project_name),
        ("user_domain_name", &os.os_user_domain_name),
        ("user_domain_id", &os.os_user_domain_id),
        ("project_domain_name", &os.os_project_domain_name),
        ("project_domain_id", &os.os_project_domain_id),
        ("token", &os.os_token),
        ("region_name", &os.os_region_name),
        ("interface", &os.os_interface),
        ("volume_api_version", &os.os_volume_api_version),
    ];
    for (key, value) in flags {
        if let Some(v) = value {
            settings.insert(key.to_string(), v.clone());
        }
    }
    config_from(&settings, cloud.as_deref())
}

/// Turns settings into the component's config.
pub fn config_from(s: &Settings, cloud: Option<&str>) -> Result<Resolved, String> {
    let l = Lookup { settings: s, cloud };
    let auth_type = auth_type(&l);
    let is_token = matches!(auth_type.as_str(), "token" | "v3token" | "admin_token");
    let auth_url = auth_url(&l, is_token)?;
    let (credentials, secret) = credentials(&l, &auth_type)?;
    let block_storage_url = l
        .get("block_storage_endpoint_override")
        .or_else(|| l.get("volume_endpoint_override"));
    if is_token && block_storage_url.is_none() {
        return Err("the token auth type needs the block storage URL: set OS_BLOCK_STORAGE_ENDPOINT_OVERRIDE".into());
    }
    let interface = l
        .get("interface")
        .map(|i| i.strip_suffix("URL").map(str::to_string).unwrap_or(i));
    // `3` (or `3.0`) is the API's major version: negotiate the highest microversion.
    let microversion = l.get("volume_api_version").filter(|v| v != "3" && v != "3.0");
    let timeout_ms = api_timeout_ms(&l)?;
    let config = Config {
        region: l.get("region_name"),
        endpoint_interface: interface,
        block_storage_url,
        compute_url: l.get("compute_endpoint_override"),
        microversion,
        timeout_ms,
        ..spec::config(&auth_url, credentials)
    };
    Ok(Resolved {
        config,
        cacert: l.get("cacert").map(PathBuf::from),
        secrets: vec![secret],
    })
}

/// The settings `config_from` reads, and the cloud they came from (for error hints).
struct Lookup<'a> {
    settings: &'a Settings,
    cloud: Option<&'a str>,
}

impl Lookup<'_> {
    /// A setting, unless unset or empty.
    fn get(&self, k: &str) -> Option<String> {
        self.settings.get(k).filter(|v| !v.is_empty()).cloned()
    }

    /// A setting that must be there; else an error naming the variable `var` (and its flag) to set.
    fn need(&self, k: &str, var: &str) -> Result<String, String> {
        self.get(k).ok_or_else(|| {
            let hint = self
                .cloud
                .map(|c| format!(" (or `{k}` in cloud {c} of clouds.yaml)"))
                .unwrap_or_default();
            format!(
                "missing {k}: set {var} or --{}{hint}",
                var.to_ascii_lowercase().replace('_', "-")
            )
        })
    }
}

/// `auth_type` in openstacksdk's spelling, or else the one the credentials given imply.
fn auth_type(l: &Lookup) -> String {
    match l.get("auth_type") {
        Some(t) => t.to_ascii_lowercase().replace('-', "_"),
        None if l.get("application_credential_id").is_some() || l.get("application_credential_secret").is_some() => {
            "v3applicationcredential".into()
        }
        None if l.get("token").is_some() && l.get("username").is_none() => "token".into(),
        None => "password".into(),
    }
}

/// Keystone's URL: required, except with a token (which needs no Keystone).
fn auth_url(l: &Lookup, is_token: bool) -> Result<String, String> {
    match l.get("auth_url") {
        Some(u) => Ok(u),
        None if is_token => Ok(String::new()),
        None => {
            let hint = l
                .cloud
                .map(|c| format!(" (cloud {c} of clouds.yaml has no auth_url)"))
                .unwrap_or_default();
            Err(format!(
                "no auth URL: set OS_AUTH_URL (source your openrc), use --os-cloud NAME, or try --mock{hint}"
            ))
        }
    }
}

/// The credentials of `auth_type`, with their secret (for `--debug` to mask).
fn credentials(l: &Lookup, auth_type: &str) -> Result<(Credentials, String), String> {
    match auth_type {
        "v3applicationcredential" | "applicationcredential" | "application_credential" => application_credential(l),
        "password" | "v3password" => password_credential(l),
        "token" | "v3token" | "admin_token" => {
            let token = l.need("token", "OS_TOKEN")?;
            Ok((Credentials::Token(token.clone()), token))
        }
        other => Err(format!(
            "auth type {other:?} is not supported (v3applicationcredential, password or token)"
        )),
    }
}

/// An application credential (by ID only), with its secret.
fn application_credential(l: &Lookup) -> Result<(Credentials, String), String> {
    if l.get("application_credential_id").is_none() && l.get("application_credential_name").is_some() {
        return Err("application credentials are taken by ID, not by name: set OS_APPLICATION_CREDENTIAL_ID".into());
    }
    let id = l.need("application_credential_id", "OS_APPLICATION_CREDENTIAL_ID")?;
    let secret = l.need("application_credential_secret", "OS_APPLICATION_CREDENTIAL_SECRET")?;
    Ok((
        Credentials::ApplicationCredential(ApplicationCredential {
            id,
            secret: secret.clone(),
        }),
        secret,
    ))
}

/// A user's password scoped to a project (user and project by name only), with the password.
fn password_credential(l: &Lookup) -> Result<(Credentials, String), String> {
    if l.get("username").is_none() && l.get("user_id").is_some() {
        return Err("users are taken by name, not by ID: set OS_USERNAME".into());
    }
    let user_name = l.need("username", "OS_USERNAME")?;
    let password = l.need("password", "OS_PASSWORD")?;
    if l.get("project_name").is_none() && l.get("project_id").is_some() {
        return Err("the project is taken by name, not by ID: set OS_PROJECT_NAME".into());
    }
    let project_name = l.need("project_name", "OS_PROJECT_NAME")?;
    let user_domain = domain(l, "user")?;
    let project_domain = domain(l, "project")?;
    Ok((
        Credentials::Password(PasswordCredential {
            user_name,
            password: password.clone(),
            user_domain,
            project_name,
            project_domain,
        }),
        password,
    ))
}

/// `api_timeout` (seconds, fractions allowed) in milliseconds, if set.
fn api_timeout_ms(l: &Lookup) -> Result<Option<u32>, String> {
    let Some(t) = l.get("api_timeout") else {
        return Ok(None);
    };
    match t.parse::<f64>() {
        Ok(secs) if secs > 0.0 && secs * 1000.0 <= f64::from(u32::MAX) => Ok(Some((secs * 1000.0) as u32)),
        _ => Err(format!("api_timeout must be a positive number of seconds, not {t:?}")),
    }
}

/// The user or project domain's name: by name, or the `default` domain by ID (as in the
/// openrc files Horizon writes), or the default domain setting.
fn domain(l: &Lookup, who: &str) -> Result<String, String> {
    let by_id = |id: String| {
        if id.eq_ignore_ascii_case("default") {
            Ok("Default".to_string())
        } else {
            Err(format!(
                "the {who} domain is taken by name, and only the ID `default` is known: set OS_{}_DOMAIN_NAME",
                who.to_ascii_uppercase()
            ))
        }
    };
    if let Some(name) = l.get(&format!("{who}_domain_name")) {
        return Ok(name);
    }
    if let Some(id) = l.get(&format!("{who}_domain_id")) {
        return by_id(id);
    }
    if let Some(name) = l.get("default_domain_name") {
        return Ok(name);
    }
    if let Some(id) = l.get("default_domain_id") {
        return by_id(id);
    }
    Err(format!(
        "missing {who}_domain_name: set OS_{}_DOMAIN_NAME (e.g. Default)",
        who.to_ascii_uppercase()
    ))
}

/// The first of `paths` that exists.
fn first_existing(paths: Vec<PathBuf>) -> Option<PathBuf> {
    paths.into_iter().find(|p| p.is_file())
}

/// Where openstacksdk looks for `clouds.yaml` (or `secure.yaml`), in order.
fn search_paths(base: &str, home: Option<&Path>, cwd: &Path, env: &dyn Fn(&str) -> Option<String>) -> Vec<PathBuf> {
    let mut dirs = vec![cwd.to_path_buf()];
    match env("XDG_CONFIG_HOME").filter(|d| !d.is_empty()) {
        Some(xdg) => dirs.push(Path::new(&xdg).join("openstack")),
        None => dirs.extend(home.map(|h| h.join(".config").join("openstack"))),
    }
    dirs.push(PathBuf::from("/etc/openstack"));
    let mut paths = Vec::new();
    for d in dirs {
        for ext in ["yaml", "yml", "json"] {
            paths.push(d.join(format!("{base}.{ext}")));
        }
    }
    paths
}

/// The named cloud's settings from clouds.yaml, with secure.yaml merged over them.
fn cloud_settings(
    name: &str,
    env: &dyn Fn(&str) -> Option<String>,
    home: Option<&Path>,
    cwd: &Path,
) -> Result<Settings, String> {
    let clouds_file = match env("OS_CLIENT_CONFIG_FILE").filter(|f| !f.is_empty()) {
        Some(f) if Path::new(&f).is_file() => PathBuf::from(f),
        Some(f) => return Err(format!("OS_CLIENT_CONFIG_FILE names {f}, which does not exist")),
        None => first_existing(search_paths("clouds", home, cwd, env)).ok_or_else(|| {
            format!(
                "cloud {name} was not found: no clouds.yaml in {}, ~/.config/openstack or /etc/openstack",
                cwd.display()
            )
        })?,
    };
    let mut cloud = read_cloud(&clouds_file, name)?
        .ok_or_else(|| format!("cloud {name} was not found in {}", clouds_file.display()))?;
    let secure_file = match env("OS_CLIENT_SECURE_FILE").filter(|f| !f.is_empty()) {
        Some(f) => Some(PathBuf::from(f)).filter(|p| p.is_file()),
        None => first_existing(search_paths("secure", home, cwd, env)),
    };
    if let Some(file) = secure_file {
        if let Some(secure) = read_cloud(&file, name)? {
            merge(&mut cloud, secure);
        }
    }
    Ok(flatten(&cloud))
}

/// `clouds.<name>` of a YAML (or JSON) file, if it has one.
fn read_cloud(path: &Path, name: &str) -> Result<Option<Value>, String> {
    let text = read_capped(path)?;
    let doc = parse_yaml(&text).map_err(|e| format!("{}: {e}", path.display()))?;
    Ok(doc.get("clouds").and_then(|c| c.get(name)).cloned())
}

/// Largest configuration file read: real ones are a few KB, and the file may be anyone's
/// (`./clouds.yaml` is read first).
const MAX_FILE: u64 = 1 << 20;

/// The file's text, refused past [`MAX_FILE`] without reading further.
fn read_capped(path: &Path) -> Result<String, String> {
    let failed = |e: std::io::Error| format!("reading {}: {e}", path.display());
    let mut bytes = Vec::new();
    std::fs::File::open(path)
        .and_then(|f| f.take(MAX_FILE + 1).read_to_end(&mut bytes))
        .map_err(failed)?;
    if bytes.len() as u64 > MAX_FILE {
        return Err(format!("{}: larger than 1 MiB", path.display()));
    }
    String::from_utf8(bytes).map_err(|_| format!("{}: not UTF-8 text", path.display()))
}

/// A YAML document as JSON values; deep nesting is refused before parsing.
pub fn parse_yaml(text: &str) -> Result<Value, String> {
    if text.trim().is_empty() {
        return Ok(Value::Null);
    }
    crate::nesting::check(text)?;
    serde_yaml_ng::from_str::<Value>(text).map_err(|e| e.to_string())
}

/// Deep merge: `over`'s leaves replace `base`'s.
fn merge(base: &mut Value, over: Value) {
    match (base, over) {
        (Value::Object(b), Value::Object(o)) => {
            for (k, v) in o {
                match b.get_mut(&k) {
                    Some(slot) => merge(slot, v),
                    None => {
                        b.insert(k, v);
                    }
                }
            }
        }
        (slot, v) => *slot = v,
    }
}

/// A cloud entry's settings: its top-level scalars and those of its `auth` section (which
/// win), `-` read as `_`; `regions: [...]` gives `region_name` when that is not set.
fn flatten(cloud: &Value) -> Settings {
    let mut out = Settings::new();
    let mut take = |map: &serde_json::Map<String, Value>| {
        for (k, v) in map {
            if let Some(s) = scalar(v) {
                out.insert(k.replace('-', "_"), s);
            }
        }
    };
    if let Some(top) = cloud.as_object() {
        take(top);
    }
    if let Some(auth) = cloud.get("auth").and_then(Value::as_object) {
        take(auth);
    }
    if !out.contains_key("region_name") {
        let first = cloud.get("regions").and_then(Value::as_array).and_then(|r| r.first());
        let region = first.and_then(|r| scalar(r).or_else(|| r.get("name").and_then(scalar)));
        if let Some(region) = region {
            out.insert("region_name".into(), region);
        }
    }
    out
}

fn scalar(v: &Value) -> Option<String> {
    match v {
        Value::String(s) => Some(s.clone()),
        Value::Number(n) => Some(n.to_string()),
        Value::Bool(b) => Some(b.to_string()),
        _ => None,
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    fn env_of(vars: &[(&str, &str)]) -> impl Fn(&str) -> Option<String> {
        let vars: Vec<(String, String)> = vars.iter().map(|(k, v)| (k.to_string(), v.to_string())).collect();
        move |k| vars.iter().find(|(n, _)| n == k).map(|(_, v)| v.clone())
    }

    fn resolve_with(os: &OsOptions, vars: &[(&str, &str)], cwd: &Path) -> Result<Resolved, String> {
        resolve(os, &env_of(vars), None, cwd)
    }

    #[test]
    fn a_horizon_password_openrc_works_as_is() {
        let vars = [
            ("OS_AUTH_URL", "https://api.pub1.infomaniak.cloud/identity/v3"),
            ("OS_PROJECT_ID", "abc"),
            ("OS_PROJECT_NAME", "PCP-1"),
            ("OS_USER_DOMAIN_NAME", "Default"),
            ("OS_PROJECT_DOMAIN_ID", "default"),
            ("OS_USERNAME", "PCU-1"),
            ("OS_PASSWORD", "pw-123456789"),
            ("OS_REGION_NAME", "dc3-a"),
            ("OS_INTERFACE", "public"),
            ("OS_IDENTITY_API_VERSION", "3"),
        ];
        let r = resolve_with(&OsOptions::default(), &vars, Path::new("/nonexistent")).unwrap();
        assert_eq!(r.config.region.as_deref(), Some("dc3-a"));
        assert_eq!(r.config.endpoint_interface.as_deref(), Some("public"));
        match r.config.credentials {
            Credentials::Password(p) => {
                assert_eq!(p.user_name, "PCU-1");
                assert_eq!(p.project_name, "PCP-1");
                assert_eq!(p.user_domain, "Default");
                assert_eq!(p.project_domain, "Default");
            }
            other => panic!("{other:?}"),
        }
        assert_eq!(r.secrets, vec!["pw-123456789".to_string()]);
    }

    #[test]
    fn flags_override_env_which_overrides_clouds_yaml() {
        let dir = std::env::temp_dir().join(format!("cli-config-{}", std::process::id()));
        std::fs::create_dir_all(&dir).unwrap();
        std::fs::write(
            dir.join("clouds.yaml"),
            "clouds:\n  prod:\n    auth:\n      auth_url: https://yaml/v3\n      application_credential_id: from-yaml\n    \
             region_name: yaml-region\n    interface: internal\n    auth_type: v3applicationcredential\n",
        )
        .unwrap();
        std::fs::write(
            dir.join("secure.yaml"),
            "clouds:\n  prod:\n    auth:\n      application_credential_secret: s3cret-from-secure\n",
        )
        .unwrap();
        let os = OsOptions {
            os_cloud: Some("prod".into()),
            os_region_name: Some("flag-region".into()),
            ..OsOptions::default()
        };
        let r = resolve_with(
            &os,
            &[("OS_INTERFACE", "admin"), ("OS_REGION_NAME", "env-region")],
            &dir,
        )
        .unwrap();
        assert_eq!(r.config.auth_url, "https://yaml/v3");
        assert_eq!(r.config.region.as_deref(), Some("flag-region"));
        assert_eq!(r.config.endpoint_interface.as_deref(), Some("admin"));
        match &r.config.credentials {
            Credentials::ApplicationCredential(a) => {
                assert_eq!(a.id, "from-yaml");
                assert_eq!(a.secret, "s3cret-from-secure");
            }
            other => panic!("{other:?}"),
        }
        let missing = resolve_with(
            &OsOptions {
                os_cloud: Some("nope".into()),
                ..OsOptions::default()
            },
            &[],
            &dir,
        )
        .unwrap_err();
        assert!(missing.contains("cloud nope was not found"), "{missing}");
        std::fs::remove_dir_all(&dir).unwrap();
    }

    #[test]
    fn missing_and_unsupported_settings_say_what_to_set() {
        let none = resolve_with(&OsOptions::default(), &[], Path::new("/nonexistent")).unwrap_err();
        assert!(none.contains("OS_USERNAME") || none.contains("OS_AUTH_URL"), "{none}");
        let by_id = [
            ("OS_AUTH_URL", "https://k/v3"),
            ("OS_USERNAME", "u"),
            ("OS_PASSWORD", "p"),
            ("OS_PROJECT_NAME", "p"),
            ("OS_USER_DOMAIN_ID", "a1b2"),
        ];
        let e = resolve_with(&OsOptions::default(), &by_id, Path::new("/nonexistent")).unwrap_err();
        assert!(e.contains("OS_USER_DOMAIN_NAME"), "{e}");
        let token = [("OS_AUTH_TYPE", "token"), ("OS_TOKEN", "gAAAA-token")];
        let e = resolve_with(&OsOptions::default(), &token, Path::new("/nonexistent")).unwrap_err();
        assert!(e.contains("OS_BLOCK_STORAGE_ENDPOINT_OVERRIDE"), "{e}");
    }

    #[test]
    fn deep_nesting_is_refused_before_parsing() {
        let brackets = "[".repeat(400 * 1024);
        let e = parse_yaml(&brackets).unwrap_err();
        assert!(e.contains("nested deeper than 64 levels"), "{e}");
        let blocks: String = (0..100).map(|i| format!("{}k{i}:\n", " ".repeat(i))).collect();
        let e = parse_yaml(&blocks).unwrap_err();
        assert!(e.contains("nested deeper than 64 levels"), "{e}");
        let dashes = format!("{}x\n", "- ".repeat(100));
        assert!(parse_yaml(&dashes).unwrap_err().contains("deeper than 64"));
    }

    #[test]
    fn a_file_over_one_mib_is_refused() {
        let dir = std::env::temp_dir().join(format!("cli-config-big-{}", std::process::id()));
        std::fs::create_dir_all(&dir).unwrap();
        let path = dir.join("clouds.yaml");
        let comment = format!("# {}\n", "x".repeat(1021));
        std::fs::write(
            &path,
            format!("clouds:\n  c:\n    auth_url: x\n{}", comment.repeat(1024)),
        )
        .unwrap();
        let e = read_cloud(&path, "c").unwrap_err();
        assert_eq!(e, format!("{}: larger than 1 MiB", path.display()));
        std::fs::remove_dir_all(&dir).unwrap();
    }

    #[test]
    fn yaml_scalars_and_regions() {
        let doc = parse_yaml(
            "clouds:\n  c:\n    regions: [dc4-a, dc3-a]\n    api-timeout: 12\n    volume_api_version: '3.60'\n",
        )
        .unwrap();
        let s = flatten(&doc["clouds"]["c"]);
        assert_eq!(s["region_name"], "dc4-a");
        assert_eq!(s["api_timeout"], "12");
        assert_eq!(s["volume_api_version"], "3.60");
    }
}
