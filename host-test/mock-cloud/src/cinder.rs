//! Cinder v3 under `/volume`.

use crate::server::{keystonemiddleware_401, plain_not_found, Req};
use crate::state::{set_status_in, Backup, Op, Resource, Resp, Snapshot, State, VolAttachment, Volume};
use crate::util::{is_uuid_like, parse_query, parse_version, pyrepr, pystr, quote_plus, req_id, ts, uuid4};
use serde_json::{json, Map, Value};
use std::time::Duration;

type V = (u32, u32);

pub struct Ctx {
    mv: V,
    /// "{base}/volume/v3"
    app_url: String,
    /// project in URL ("" when absent, 3.67+)
    url_project: String,
    admin: bool,
    project: String,
    user_id: String,
}

impl Ctx {
    fn at_least(&self, v: &str) -> bool {
        parse_version(v).is_some_and(|v| self.mv >= v)
    }
    fn join(&self, rest: &str) -> String {
        if self.url_project.is_empty() {
            format!("{}/{}", self.app_url, rest)
        } else {
            format!("{}/{}/{}", self.app_url, self.url_project, rest)
        }
    }
    fn links(&self, coll: &str, id: &str) -> Value {
        let bm_base = self.app_url.trim_end_matches("/v3");
        let bookmark = if self.url_project.is_empty() {
            format!("{bm_base}/{coll}/{id}")
        } else {
            format!("{bm_base}/{}/{coll}/{id}", self.url_project)
        };
        json!([{"rel": "self", "href": self.join(&format!("{coll}/{id}"))},
               {"rel": "bookmark", "href": bookmark}])
    }
}

pub fn fault(code: u16, name: &str, msg: &str) -> Resp {
    Resp::json(code, &json!({ name: {"code": code, "message": msg} }))
}
fn bad(msg: &str) -> Resp {
    fault(400, "badRequest", msg)
}
fn not_found(msg: &str) -> Resp {
    fault(404, "itemNotFound", msg)
}
fn forbidden(policy: &str) -> Resp {
    fault(
        403,
        "forbidden",
        &format!("Policy doesn't allow {policy} to be performed."),
    )
}
fn over_limit(msg: &str) -> Resp {
    Resp::json(
        413,
        &json!({"overLimit": {"code": 413, "message": msg, "retryAfter": "0"}}),
    )
    .header("Retry-After", "0")
}
fn malformed_body() -> Resp {
    bad("Malformed request body")
}
fn generic_bad() -> Resp {
    bad("The server could not comply with the request since it is either malformed or otherwise incorrect.")
}
fn invalid_field(field: &str, value: &Value, why: &str) -> Resp {
    bad(&format!(
        "Invalid input for field/attribute {field}. Value: {}. {why}",
        pystr(value)
    ))
}

fn max_version(st: &State) -> V {
    parse_version(&st.opts.max_microversion).unwrap_or((3, 71))
}

fn versions_body(st: &State) -> Value {
    json!({"versions": [{"id": "v3.0", "status": "CURRENT", "version": st.opts.max_microversion,
        "min_version": "3.0", "updated": "2023-08-31T00:00:00Z",
        "links": [{"rel": "describedby", "type": "text/html", "href": "https://docs.openstack.org/"},
                  {"rel": "self", "href": format!("{}/volume/v3/", st.base)}],
        "media-types": [{"base": "application/json", "type": "application/vnd.openstack.volume+json;version=3"}]}]})
}

pub fn handle(st: &mut State, r: &Req) -> Resp {
    let rid = req_id();
    let (resp, ver) = route(st, r);
    let mut resp = resp
        .header("x-compute-request-id", rid.clone())
        .header("x-openstack-request-id", rid);
    if let Some(v) = ver {
        resp = resp
            .header("OpenStack-API-Version", format!("volume {v}"))
            .header("Vary", "OpenStack-API-Version");
    }
    resp
}

/// Returns the response and the version to echo (None: no version headers).
fn route(st: &mut State, r: &Req) -> (Resp, Option<String>) {
    // Cinder's eventlet server reads a body only by its Content-Length: a chunked body
    // reaches the API empty (create then fails with 500, an action is named "None").
    let unread;
    let r = if r.body.is_empty() || r.header("Content-Length").is_some() {
        r
    } else {
        unread = Req {
            body: Vec::new(),
            ..r.clone()
        };
        &unread
    };
    let path = r.path.strip_prefix("/volume").unwrap_or("");
    if path.is_empty() || path == "/" {
        return (Resp::json(300, &versions_body(st)), Some("3.0".into()));
    }
    let Some(rest) = path.strip_prefix("/v3") else {
        return (plain_not_found(), None);
    };
    // keystonemiddleware runs first.
    let token = r.header("X-Auth-Token").unwrap_or("");
    if !st.token_valid(token) {
        return (keystonemiddleware_401(st), None);
    }
    // Microversion.
    let max = max_version(st);
    let mv = match r.header("OpenStack-API-Version") {
        None => (3, 0),
        Some(h) => {
            let val = h
                .split(',')
                .map(|s| s.trim())
                .find_map(|s| s.strip_prefix("volume "))
                .map(|s| s.trim().to_string());
            match val {
                None => (3, 0),
                Some(v) if v == "latest" => max,
                Some(v) => match parse_version(&v) {
                    None => {
                        return (
                            bad(&format!(
                                "API Version String {v} is of invalid format. Must be of format MajorNum.MinorNum."
                            )),
                            None,
                        )
                    }
                    Some(p) if p < (3, 0) || p > max => {
                        let msg = format!(
                            "Version {v} is not supported by the API. Minimum is 3.0 and maximum is {}.{}.",
                            max.0, max.1
                        );
                        let echo = if p.0 == 3 { Some(v.clone()) } else { None };
                        return (fault(406, "computeFault", &msg), echo);
                    }
                    Some(p) => p,
                },
            }
        }
    };
    let ver = Some(format!("{}.{}", mv.0, mv.1));
    let rest = rest.trim_start_matches('/');
    if rest.is_empty() {
        return (Resp::json(200, &versions_body(st)), ver);
    }
    let segs: Vec<&str> = rest.trim_end_matches('/').split('/').collect();
    let known = [
        "volumes",
        "snapshots",
        "backups",
        "os-quota-sets",
        "attachments",
        "types",
        "limits",
    ];
    let (url_project, segs) = if known.contains(&segs[0]) && mv >= (3, 67) {
        (String::new(), &segs[..])
    } else if is_uuid_like(segs[0]) || segs[0].chars().all(|c| c.is_ascii_hexdigit()) {
        (segs[0].to_string(), &segs[1..])
    } else {
        return (plain_not_found(), None);
    };
    if !url_project.is_empty() && url_project != st.opts.project_id {
        return (bad("Malformed request url"), ver);
    }
    let ctx = Ctx {
        mv,
        app_url: format!("{}/volume/v3", st.base),
        url_project,
        admin: st.opts.admin,
        project: st.opts.project_id.clone(),
        user_id: st.user_id.clone(),
    };
    let q = parse_query(r.query.as_deref());
    let m = r.method.as_str();
    let resp = match (m, segs) {
        ("GET", ["volumes"]) => list(st, &ctx, &q, &st.volumes, false, |v| summary(v, &ctx)),
        ("GET", ["volumes", "detail"]) => list(st, &ctx, &q, &st.volumes, true, |v| vol_json(v, &ctx, true)),
        ("POST", ["volumes"]) => create_volume(st, &ctx, r),
        ("GET", ["volumes", id]) => {
            find(&st.volumes, id).map(|v| Resp::json(200, &json!({"volume": vol_json(v, &ctx, true)})))
        }
        ("PUT", ["volumes", id]) => update_volume(st, &ctx, r, id),
        ("DELETE", ["volumes", id]) => delete_volume(st, id, false),
        ("POST", ["volumes", id, "action"]) => volume_action(st, &ctx, r, id),
        ("GET", ["snapshots"]) => list(st, &ctx, &q, &st.snapshots, false, |s| snap_json(s, &ctx, false, false)),
        ("GET", ["snapshots", "detail"]) => list(st, &ctx, &q, &st.snapshots, true, |s| snap_json(s, &ctx, true, true)),
        ("POST", ["snapshots"]) => create_snapshot(st, &ctx, r),
        ("GET", ["snapshots", id]) => {
            find(&st.snapshots, id).map(|s| Resp::json(200, &json!({"snapshot": snap_json(s, &ctx, true, true)})))
        }
        ("DELETE", ["snapshots", id]) => delete_snapshot(st, id, false),
        ("POST", ["snapshots", id, "action"]) => {
            admin_action(st, r, id, |st| &st.snapshots, "snapshot_admin_actions", delete_snapshot)
        }
        ("GET", ["backups"]) => list(st, &ctx, &q, &st.backups, false, |b| summary(b, &ctx)),
        ("GET", ["backups", "detail"]) => list(st, &ctx, &q, &st.backups, true, |b| backup_json(st, b, &ctx)),
        ("POST", ["backups"]) => create_backup(st, &ctx, r),
        ("GET", ["backups", id]) => {
            find(&st.backups, id).map(|b| Resp::json(200, &json!({"backup": backup_json(st, b, &ctx)})))
        }
        ("DELETE", ["backups", id]) => delete_backup(st, id, false),
        ("POST", ["backups", id, "action"]) => {
            admin_action(st, r, id, |st| &st.backups, "backup_admin_actions", delete_backup)
        }
        ("POST", ["backups", id, "restore"]) => restore_backup(st, r, id),
        ("GET", ["os-quota-sets", p]) => quota_get(st, p, &q),
        ("PUT", ["os-quota-sets", p]) => quota_put(st, r, p),
        _ => return (plain_not_found(), None),
    };
    // Handlers return their error responses as Err, to use `?`.
    (resp.unwrap_or_else(|e| e), ver)
}

// ---------------------------------------------------------------- views

fn vol_json(v: &Volume, c: &Ctx, show: bool) -> Value {
    let creating = v.status == "creating";
    let atts: Vec<Value> = v
        .attachments
        .iter()
        .map(|a| {
            json!({"id": v.id, "attachment_id": a.attachment_id, "volume_id": v.id,
                   "server_id": a.server_id, "host_name": a.host_name, "device": a.device,
                   "attached_at": ts(a.attached_at)})
        })
        .collect();
    let mut o = json!({
        "id": v.id, "status": v.status, "size": v.size, "availability_zone": v.availability_zone,
        "created_at": ts(v.created_at), "updated_at": v.updated_at.map(ts),
        "name": v.name, "description": v.description, "volume_type": v.volume_type,
        "snapshot_id": v.snapshot_id, "source_volid": v.source_volid, "metadata": v.metadata,
        "links": c.links("volumes", &v.id), "user_id": c.user_id,
        "bootable": "false", "encrypted": false, "replication_status": null,
        "consistencygroup_id": null, "multiattach": v.multiattach, "attachments": atts,
        "migration_status": null,
    });
    if c.at_least("3.13") {
        o["group_id"] = Value::Null;
    }
    if c.admin && c.at_least("3.21") {
        o["provider_id"] = Value::Null;
    }
    if c.at_least("3.48") {
        o["shared_targets"] = json!(creating);
        o["service_uuid"] = if creating {
            Value::Null
        } else {
            json!("6f3e1a52-2b7c-4a0e-9d55-1c2b3a4d5e6f")
        };
    }
    if c.admin && c.at_least("3.61") {
        o["cluster_name"] = Value::Null;
    }
    if c.at_least("3.63") {
        o["volume_type_id"] = json!("d5c9726b-d278-417a-87cc-1174e3dc7f6b");
    }
    if c.at_least("3.65") {
        o["consumes_quota"] = json!(true);
    }
    if show {
        o["os-vol-tenant-attr:tenant_id"] = json!(c.project);
        if c.admin {
            o["os-vol-mig-status-attr:migstat"] = Value::Null;
            o["os-vol-mig-status-attr:name_id"] = Value::Null;
            o["os-vol-host-attr:host"] = json!("mock-cinder@ceph#ceph");
        }
    }
    o
}

fn snap_json(s: &Snapshot, c: &Ctx, detail: bool, show: bool) -> Value {
    let mut o = json!({"id": s.id, "created_at": ts(s.created_at), "updated_at": s.updated_at.map(ts),
        "name": s.name, "description": s.description, "volume_id": s.volume_id, "status": s.status,
        "size": s.size, "metadata": s.metadata});
    if detail {
        if c.at_least("3.14") {
            o["group_snapshot_id"] = Value::Null;
        }
        if c.at_least("3.41") {
            o["user_id"] = json!(c.user_id);
        }
        if c.at_least("3.65") {
            o["consumes_quota"] = json!(true);
        }
    }
    if show {
        o["os-extended-snapshot-attributes:project_id"] = json!(c.project);
        o["os-extended-snapshot-attributes:progress"] = json!(if s.status == "available" { "100%" } else { "0%" });
    }
    o
}

fn backup_json(st: &State, b: &Backup, c: &Ctx) -> Value {
    let mut o = json!({"id": b.id, "status": b.status, "size": b.size, "object_count": b.object_count,
        "availability_zone": if b.status == "creating" { Value::Null } else { json!("nova") }, "container": b.container, "created_at": ts(b.created_at),
        "updated_at": b.updated_at.map(ts), "name": b.name, "description": b.description,
        "fail_reason": null, "volume_id": b.volume_id, "links": c.links("backups", &b.id),
        "is_incremental": b.parent_id.is_some(), "has_dependent_backups": st.has_dependent_backups(&b.id),
        "snapshot_id": b.snapshot_id, "data_timestamp": ts(b.data_timestamp)});
    if c.at_least("3.43") {
        o["metadata"] = json!(b.metadata);
    }
    if c.admin {
        if c.at_least("3.18") {
            o["os-backup-project-attr:project_id"] = json!(c.project);
        }
        if c.at_least("3.56") {
            o["user_id"] = json!(c.user_id);
        }
    }
    o
}

// ---------------------------------------------------------------- lookups

fn no_such<T: Resource>(id: &str) -> Resp {
    not_found(&format!("{} {id} could not be found.", T::WHAT))
}

/// The resource `id` of `items`, or Cinder's 404 for it.
fn find<'a, T: Resource>(items: &'a [T], id: &str) -> Result<&'a T, Resp> {
    items.iter().find(|x| x.key().id == id).ok_or_else(|| no_such::<T>(id))
}

fn find_mut<'a, T: Resource>(items: &'a mut [T], id: &str) -> Result<&'a mut T, Resp> {
    items
        .iter_mut()
        .find(|x| x.key().id == id)
        .ok_or_else(|| no_such::<T>(id))
}

// ---------------------------------------------------------------- lists

/// The list view of a volume or a backup: id, name and links.
fn summary<T: Resource>(x: &T, c: &Ctx) -> Value {
    let k = x.key();
    json!({"id": k.id, "name": k.name, "links": c.links(T::COLL, k.id)})
}

fn list<T: Resource>(
    st: &State,
    c: &Ctx,
    q: &[(String, String)],
    items: &[T],
    detail: bool,
    view: impl Fn(&T) -> Value,
) -> Result<Resp, Resp> {
    let get = |k: &str| q.iter().rev().find(|(kk, _)| kk == k).map(|(_, v)| v.clone());
    let max = st.opts.max_page.max(1);
    let limit = match get("limit") {
        None => max,
        Some(l) => match l.trim().parse::<i64>() {
            Err(_) => return Err(bad("limit param must be an integer")),
            Ok(n) if n < 0 => return Err(bad("limit param must be positive")),
            Ok(n) => (n as usize).min(max),
        },
    };
    let mut rows: Vec<&T> = items.iter().collect();
    if let Some(s) = get("status") {
        rows.retain(|r| r.key().status == s);
    }
    if let Some(n) = get("name").or_else(|| get("display_name")) {
        rows.retain(|r| r.key().name == Some(n.as_str()));
    }
    // Sorting: `sort=k[:dir],...` or sort_key/sort_dir; default created_at desc, id desc.
    let mut keys: Vec<(String, bool)> = Vec::new();
    if let Some(s) = get("sort") {
        for part in s.split(',').filter(|p| !p.trim().is_empty()) {
            let (k, d) = part.split_once(':').unwrap_or((part, "desc"));
            keys.push((k.trim().to_string(), d.trim() != "asc"));
        }
    } else if let Some(k) = get("sort_key") {
        let d = get("sort_dir").unwrap_or_else(|| "desc".into());
        keys.push((k, d != "asc"));
    }
    if !keys.iter().any(|(k, _)| k == "id") {
        keys.push(("created_at".into(), true));
        keys.push(("id".into(), true));
    }
    rows.sort_by(|a, b| {
        let (a, b) = (a.key(), b.key());
        for (k, desc) in &keys {
            let o = match k.as_str() {
                "name" | "display_name" => a.name.cmp(&b.name),
                "status" => a.status.cmp(b.status),
                "size" => a.size.cmp(&b.size),
                "id" => a.id.cmp(b.id),
                _ => a.created_at.cmp(&b.created_at),
            };
            let o = if *desc { o.reverse() } else { o };
            if o != std::cmp::Ordering::Equal {
                return o;
            }
        }
        std::cmp::Ordering::Equal
    });
    let total = rows.len();
    if let Some(marker) = get("marker") {
        let exists = items.iter().any(|x| x.key().id == marker);
        let pos = rows.iter().position(|r| r.key().id == marker);
        match pos {
            Some(p) => {
                rows.drain(..=p);
            }
            None if exists => rows.clear(),
            None => return Err(no_such::<T>(&marker)),
        }
    }
    rows.truncate(limit);
    let coll = T::COLL;
    let mut out = Map::new();
    let items: Vec<Value> = rows.iter().map(|r| view(r)).collect();
    let n = items.len();
    out.insert(coll.to_string(), Value::Array(items));
    if n > 0 && limit <= n {
        let last = rows.last().map(|r| r.key().id.to_string()).unwrap_or_default();
        let mut params: Vec<(String, String)> = q.to_vec();
        match params.iter_mut().find(|(k, _)| k == "marker") {
            Some(p) => p.1 = last,
            None => params.push(("marker".into(), last)),
        }
        // webob MultiDict.copy()["marker"] = x replaces all, keeps first position
        let mut seen = false;
        params.retain(|(k, _)| {
            if k == "marker" {
                if seen {
                    return false;
                }
                seen = true;
            }
            true
        });
        let qs = params
            .iter()
            .map(|(k, v)| format!("{}={}", quote_plus(k), quote_plus(v)))
            .collect::<Vec<_>>()
            .join("&");
        let path = if detail {
            format!("{coll}/detail")
        } else {
            coll.to_string()
        };
        out.insert(
            format!("{coll}_links"),
            json!([{"rel": "next", "href": format!("{}?{}", c.join(&path), qs)}]),
        );
    }
    if get("with_count").is_some_and(|w| w == "true" || w == "True") && c.at_least("3.45") {
        out.insert("count".into(), json!(total));
    }
    Ok(Resp::json(200, &Value::Object(out)))
}

// ---------------------------------------------------------------- helpers

fn parse_body(r: &Req) -> Result<Value, Resp> {
    if r.body.is_empty() {
        // Cinder's handlers index the missing body: KeyError, answered as a 500.
        return Err(fault(
            500,
            "computeFault",
            "The server has either erred or is incapable of performing the requested operation.",
        ));
    }
    match serde_json::from_slice::<Value>(&r.body) {
        Ok(v) if v.is_object() => Ok(v),
        Ok(v) => Err(bad(&format!("{} is not of type 'object'", pyrepr(&v)))),
        Err(_) => Err(malformed_body()),
    }
}

/// An integer field as Cinder's schema accepts it (int or digit string).
fn int_field(field: &str, v: &Value, min: i64) -> Result<i64, Resp> {
    let n = match v {
        Value::Number(n) if n.is_i64() => n.as_i64().unwrap_or(0),
        Value::String(s) if !s.is_empty() && s.chars().all(|c| c.is_ascii_digit()) => {
            s.parse::<i64>().unwrap_or(i64::MAX)
        }
        Value::String(s) => return Err(invalid_field(field, v, &format!("'{s}' does not match '^[0-9]+$'"))),
        other => {
            return Err(invalid_field(
                field,
                other,
                &format!("{} is not of type 'integer', 'string'", pyrepr(other)),
            ))
        }
    };
    if n < min {
        return Err(invalid_field(
            field,
            v,
            &format!("{n} is less than the minimum of {min}"),
        ));
    }
    Ok(n)
}

fn opt_str(obj: &Map<String, Value>, k: &str) -> Result<Option<String>, Resp> {
    match obj.get(k) {
        None | Some(Value::Null) => Ok(None),
        Some(Value::String(s)) => Ok(Some(s.clone())),
        Some(other) => Err(invalid_field(
            k,
            other,
            &format!("{} is not of type 'string', 'null'", pyrepr(other)),
        )),
    }
}

fn metadata(obj: &Map<String, Value>) -> Result<Map<String, Value>, Resp> {
    match obj.get("metadata") {
        None | Some(Value::Null) => Ok(Map::new()),
        Some(Value::Object(m)) => {
            for (k, v) in m {
                if !v.is_string() {
                    return Err(invalid_field(k, v, &format!("{} is not of type 'string'", pyrepr(v))));
                }
            }
            Ok(m.clone())
        }
        Some(other) => Err(invalid_field(
            "metadata",
            other,
            &format!("{} is not of type 'object'", pyrepr(other)),
        )),
    }
}

const BOOL_VALUES: &str = "[True, 'True', 'TRUE', 'true', '1', 'ON', 'On', 'on', 'YES', 'Yes', 'yes', 'y', 't', False, 'False', 'FALSE', 'false', '0', 'OFF', 'Off', 'off', 'NO', 'No', 'no', 'n', 'f']";

fn bool_field(obj: &Map<String, Value>, k: &str) -> Result<Option<bool>, Resp> {
    match obj.get(k) {
        None | Some(Value::Null) => Ok(None),
        Some(Value::Bool(b)) => Ok(Some(*b)),
        Some(v @ Value::String(s)) => {
            let t = [
                "True", "TRUE", "true", "1", "ON", "On", "on", "YES", "Yes", "yes", "y", "t",
            ];
            let f = [
                "False", "FALSE", "false", "0", "OFF", "Off", "off", "NO", "No", "no", "n", "f",
            ];
            if t.contains(&s.as_str()) {
                Ok(Some(true))
            } else if f.contains(&s.as_str()) {
                Ok(Some(false))
            } else {
                Err(invalid_field(k, v, &format!("'{s}' is not one of {BOOL_VALUES}")))
            }
        }
        Some(v) => Err(invalid_field(
            k,
            v,
            &format!("{} is not one of {BOOL_VALUES}", pyrepr(v)),
        )),
    }
}

/// The object under `key` in a request body.
fn required_object<'a>(body: &'a Value, key: &str) -> Result<&'a Map<String, Value>, Resp> {
    body.get(key)
        .and_then(|o| o.as_object())
        .ok_or_else(|| bad(&format!("'{key}' is a required property")))
}

/// A string field that has an older alias (`name` / `display_name`).
fn str_or_alias(obj: &Map<String, Value>, k: &str, alias: &str) -> Result<Option<String>, Resp> {
    match opt_str(obj, k)? {
        Some(s) => Ok(Some(s)),
        None => opt_str(obj, alias),
    }
}

fn gigabytes_used(st: &State) -> i64 {
    st.volumes.iter().map(|v| v.size).sum::<i64>() + st.snapshots.iter().map(|s| s.size).sum::<i64>()
}

fn check_gigabytes(st: &State, requested: i64) -> Result<(), Resp> {
    let q = st.quota("gigabytes");
    let used = gigabytes_used(st);
    if q >= 0 && used + requested > q {
        return Err(over_limit(&format!(
            "VolumeSizeExceedsAvailableQuota: Requested volume or snapshot exceeds allowed gigabytes quota. Requested {requested}G, quota is {q}G and {used}G has been consumed."
        )));
    }
    Ok(())
}

/// 413 when one more resource than `count` would exceed the quota `key`;
/// `msg` makes the message from the quota.
fn check_count(st: &State, key: &str, count: usize, msg: impl FnOnce(i64) -> String) -> Result<(), Resp> {
    let q = st.quota(key);
    if q >= 0 && count as i64 + 1 > q {
        return Err(over_limit(&msg(q)));
    }
    Ok(())
}

fn check_volume_count(st: &State) -> Result<(), Resp> {
    check_count(st, "volumes", st.volumes.len(), |q| {
        format!("VolumeLimitExceeded: Maximum number of volumes allowed ({q}) exceeded for quota 'volumes'.")
    })
}

// ---------------------------------------------------------------- volumes

const VOLUME_KEYS: &[&str] = &[
    "name",
    "description",
    "display_name",
    "display_description",
    "size",
    "availability_zone",
    "source_volid",
    "snapshot_id",
    "backup_id",
    "volume_type",
    "metadata",
    "imageRef",
    "image_id",
    "multiattach",
    "consistencygroup_id",
    "group_id",
];

/// A new volume with Cinder's defaults; callers set what the request says.
fn new_volume(size: i64, status: &str, now: i64) -> Volume {
    Volume {
        id: uuid4(),
        name: None,
        description: None,
        size,
        status: status.into(),
        created_at: now,
        updated_at: None,
        availability_zone: "nova".into(),
        volume_type: "__DEFAULT__".into(),
        snapshot_id: None,
        source_volid: None,
        metadata: Map::new(),
        attachments: Vec::new(),
        multiattach: false,
        previous_status: None,
    }
}

/// Puts volume `id` in a transient status (extending, backing-up); the
/// scheduled `back` op ends it.
fn start_transient(st: &mut State, id: &str, transient: &str, now: i64, back: Op) -> Result<(), Resp> {
    let v = find_mut(&mut st.volumes, id)?;
    v.previous_status = Some(v.status.clone());
    v.set_status(transient, now);
    st.schedule(back);
    Ok(())
}

fn create_volume(st: &mut State, c: &Ctx, r: &Req) -> Result<Resp, Resp> {
    let body = parse_body(r)?;
    let Some(vol) = body.get("volume") else {
        return Err(bad("'volume' is a required property"));
    };
    let Some(obj) = vol.as_object() else {
        return Err(invalid_field(
            "volume",
            vol,
            &format!("{} is not of type 'object'", pyrepr(vol)),
        ));
    };
    if let Some(extra) = obj.keys().find(|k| !VOLUME_KEYS.contains(&k.as_str())) {
        return Err(bad(&format!(
            "Invalid input for field/attribute volume. Value: {}. Additional properties are not allowed ('{extra}' was unexpected)",
            pyrepr(vol)
        )));
    }
    let name = str_or_alias(obj, "name", "display_name")?;
    let description = str_or_alias(obj, "description", "display_description")?;
    let meta = metadata(obj)?;
    let mut size = match obj.get("size") {
        None | Some(Value::Null) => None,
        Some(v) => Some(int_field("size", v, 1)?),
    };
    let az = opt_str(obj, "availability_zone")?.unwrap_or_else(|| "nova".into());
    let vtype = opt_str(obj, "volume_type")?.unwrap_or_else(|| "__DEFAULT__".into());
    let snapshot_id = opt_str(obj, "snapshot_id")?;
    let source_volid = opt_str(obj, "source_volid")?;
    let backup_id = opt_str(obj, "backup_id")?;
    let image = obj
        .get("imageRef")
        .or_else(|| obj.get("image_id"))
        .filter(|v| !v.is_null());
    if image.is_some() {
        return Err(bad("Invalid image identifier or unable to access requested image."));
    }
    // Sources.
    let mut check: Option<(i64, &str)> = None;
    if let Some(sid) = &snapshot_id {
        let s = find(&st.snapshots, sid)?;
        if s.status != "available" {
            return Err(bad(
                "Invalid snapshot: Originating snapshot status must be one of 'available' values",
            ));
        }
        check = Some((s.size, "snapshot"));
    }
    if let Some(vid) = &source_volid {
        let v = find(&st.volumes, vid)?;
        if v.status != "available" && v.status != "in-use" {
            return Err(bad(
                "Invalid volume: Originating source volume status must be one of 'available, in-use' values",
            ));
        }
        check = Some((v.size, "volume"));
    }
    if let Some(bid) = &backup_id {
        let b = find(&st.backups, bid)?;
        if b.status != "available" {
            return Err(bad(
                "Invalid backup: Originating backup status must be one of 'available' values",
            ));
        }
        if check.is_none() {
            check = Some((b.size, "backup"));
        }
    }
    if size.is_none() {
        size = check.map(|(s, _)| s);
    }
    let Some(size) = size else {
        return Err(generic_bad());
    };
    if let Some((src, what)) = check {
        if size < src {
            let msg = match what {
                "snapshot" => format!("Invalid input received: Volume size '{size}'GB cannot be smaller than the snapshot size {src}GB. They must be >= original snapshot size."),
                "volume" => format!("Invalid input received: Volume size '{size}'GB cannot be smaller than original volume size  {src}GB. They must be >= original volume size."),
                _ => format!("Invalid input received: Volume size {size}GB cannot be smaller than the backup size {src}GB. It must be >= backup size."),
            };
            return Err(bad(&msg));
        }
    }
    check_gigabytes(st, size)?;
    check_volume_count(st)?;
    let now = st.now();
    let v = Volume {
        name,
        description,
        availability_zone: az,
        volume_type: vtype,
        snapshot_id,
        source_volid,
        metadata: meta,
        multiattach: bool_field(obj, "multiattach").ok().flatten().unwrap_or(false),
        ..new_volume(size, "creating", now)
    };
    let out = json!({"volume": vol_json(&v, c, false)});
    st.schedule(Op::vol_status(&v.id, "available"));
    st.volumes.push(v);
    Ok(Resp::json(202, &out))
}

fn update_volume(st: &mut State, c: &Ctx, r: &Req, id: &str) -> Result<Resp, Resp> {
    let body = parse_body(r)?;
    let Some(obj) = body.get("volume").and_then(|v| v.as_object()).cloned() else {
        return Err(generic_bad());
    };
    let now = st.now();
    let v = find_mut(&mut st.volumes, id)?;
    for (k, field) in [
        ("name", 0),
        ("display_name", 0),
        ("description", 1),
        ("display_description", 1),
    ] {
        let value = match obj.get(k) {
            None => continue,
            Some(Value::Null) => None,
            Some(Value::String(s)) => Some(s.clone()),
            Some(other) => {
                return Err(invalid_field(
                    k,
                    other,
                    &format!("{} is not of type 'string', 'null'", pyrepr(other)),
                ))
            }
        };
        if field == 0 {
            v.name = value
        } else {
            v.description = value
        }
    }
    if let Some(Value::Object(m)) = obj.get("metadata") {
        v.metadata = m.clone();
    }
    v.updated_at = Some(now);
    Ok(Resp::json(200, &json!({"volume": vol_json(v, c, false)})))
}

const DELETE_MSG: &str = "Invalid volume: Volume status must be available or error or error_restoring or error_extending or error_managing and must not be migrating, attached, belong to a group, have snapshots, awaiting a transfer, or be disassociated from snapshots after volume transfer.";

fn delete_volume(st: &mut State, id: &str, force: bool) -> Result<Resp, Resp> {
    let has_snaps = st.snapshots.iter().any(|s| s.volume_id == id);
    let attached = st.servers.iter().any(|s| s.bdms.iter().any(|b| b.volume_id == id));
    let v = find_mut(&mut st.volumes, id)?;
    let ok_status = [
        "available",
        "error",
        "error_restoring",
        "error_extending",
        "error_managing",
    ]
    .contains(&v.status.as_str());
    let blocked = has_snaps || attached || !v.attachments.is_empty();
    if force {
        if blocked {
            return Err(bad("Invalid volume: Volume  must not be migrating, attached, belong to a group, have snapshots, awaiting a transfer, or be disassociated from snapshots after volume transfer."));
        }
    } else if !ok_status || blocked {
        return Err(bad(DELETE_MSG));
    }
    v.status = "deleting".into();
    let vid = v.id.clone();
    let cancel = |op: &Op| matches!(op, Op::VolStatus { id, .. } if *id == vid);
    cancel_then_schedule(st, cancel, Op::VolRemove(vid.clone()));
    Ok(Resp::empty(202, "text/html; charset=UTF-8"))
}

/// Drops the pending transitions `cancel` picks (a deleted resource's status
/// change) and schedules `op` (its removal).
fn cancel_then_schedule(st: &mut State, cancel: impl Fn(&Op) -> bool, op: Op) {
    st.pending.retain(|(_, pending)| !cancel(pending));
    st.schedule(op);
}

fn action_name(r: &Req) -> Result<(String, Value), Resp> {
    if r.body.is_empty() {
        return Err(no_such_action("None"));
    }
    let body = parse_body(r)?;
    let obj = body.as_object().cloned().unwrap_or_default();
    let Some((k, v)) = obj.into_iter().next() else {
        return Err(malformed_body());
    };
    Ok((k, v))
}

fn no_such_action(a: &str) -> Resp {
    bad(&format!(
        "There is no such action: {a}. Verify the request body and Content-Type header and try again."
    ))
}

fn volume_action(st: &mut State, c: &Ctx, r: &Req, id: &str) -> Result<Resp, Resp> {
    let (action, arg) = action_name(r)?;
    match action.as_str() {
        "os-extend" | "os-force_delete" | "os-reset_status" => {}
        other => return Err(no_such_action(other)),
    }
    let v = find(&st.volumes, id)?;
    let (size, status) = (v.size, v.status.clone());
    match action.as_str() {
        "os-extend" => {
            let Some(ns) = arg.get("new_size") else {
                return Err(invalid_field("os-extend", &arg, "'new_size' is a required property"));
            };
            let new_size = int_field("new_size", ns, 1)?;
            let in_use_ok = c.mv >= (3, 42);
            if new_size <= size {
                return Err(bad(&format!("Invalid input received: New size for extend must be greater than current size. (current: {size}, extended: {new_size}).")));
            }
            let expected = if in_use_ok && status == "in-use" {
                "in-use"
            } else {
                "available"
            };
            if status != expected {
                return Err(bad(&format!("Invalid volume: Volume {id} status must be '{{'status': '{expected}'}}' to extend, currently {status}.")));
            }
            check_gigabytes(st, new_size - size)?;
            let now = st.now();
            let back = Op::VolStatus {
                id: id.to_string(),
                status,
                size: Some(new_size),
                attach: None,
                detach: None,
            };
            start_transient(st, id, "extending", now, back)?;
            Ok(Resp::empty(202, "application/json"))
        }
        "os-force_delete" => {
            if !c.admin {
                return Err(forbidden("volume_extension:volume_admin_actions:force_delete"));
            }
            delete_volume(st, id, true)
        }
        _ => {
            if !c.admin {
                return Err(forbidden("volume_extension:volume_admin_actions:reset_status"));
            }
            let s = arg
                .get("status")
                .and_then(|s| s.as_str())
                .unwrap_or("available")
                .to_string();
            st.set_status("volume", id, &s);
            Ok(Resp::empty(202, "application/json"))
        }
    }
}

/// `os-force_delete` and `os-reset_status` on a snapshot or a backup: admin
/// only (`policy` names the rule), and reset_status changes nothing.
fn admin_action<T: Resource>(
    st: &mut State,
    r: &Req,
    id: &str,
    items: fn(&State) -> &[T],
    policy: &str,
    force_delete: fn(&mut State, &str, bool) -> Result<Resp, Resp>,
) -> Result<Resp, Resp> {
    let (action, _) = action_name(r)?;
    if action != "os-force_delete" && action != "os-reset_status" {
        return Err(no_such_action(&action));
    }
    find(items(st), id)?;
    if !st.opts.admin {
        let what = if action == "os-force_delete" {
            "force_delete"
        } else {
            "reset_status"
        };
        return Err(forbidden(&format!("volume_extension:{policy}:{what}")));
    }
    if action == "os-force_delete" {
        force_delete(st, id, true)
    } else {
        Ok(Resp::empty(202, "application/json"))
    }
}

// ---------------------------------------------------------------- snapshots

/// The `volume_id` of a snapshot or backup request (`what`), checked with
/// `invalid` (the schema's message for a value that is not a uuid).
fn volume_id_field(obj: &Map<String, Value>, what: &str, invalid: &str) -> Result<String, Resp> {
    let Some(vid_v) = obj.get("volume_id") else {
        return Err(bad(&format!(
            "Invalid input for field/attribute {what}. Value: {}. 'volume_id' is a required property",
            pyrepr(&Value::Object(obj.clone()))
        )));
    };
    match vid_v.as_str().filter(|s| is_uuid_like(s)) {
        Some(vid) => Ok(vid.to_string()),
        None => Err(invalid_field(
            "volume_id",
            vid_v,
            &format!("{} {invalid}", pyrepr(vid_v)),
        )),
    }
}

fn create_snapshot(st: &mut State, c: &Ctx, r: &Req) -> Result<Resp, Resp> {
    let body = parse_body(r)?;
    let obj = required_object(&body, "snapshot")?;
    let vid = volume_id_field(obj, "snapshot", "is not valid under any of the given schemas")?;
    let force = bool_field(obj, "force")?;
    let name = str_or_alias(obj, "name", "display_name")?;
    let description = str_or_alias(obj, "description", "display_description")?;
    let meta = metadata(obj)?;
    let v = find(&st.volumes, &vid)?;
    let (vsize, vstatus) = (v.size, v.status.clone());
    if c.mv >= (3, 66) && force == Some(false) {
        return Err(bad("Since microversion 3.66 the 'force' flag is invalid for this request.  For backward compatability, however, when the 'force' flag is passed with a value evaluating to True, it is silently ignored."));
    }
    if vstatus == "maintenance" {
        return Err(bad(
            "Invalid volume: The snapshot cannot be created when the volume is in maintenance mode.",
        ));
    }
    if vstatus == "error" {
        return Err(bad(
            "Invalid volume: The snapshot cannot be created when the volume is in error status.",
        ));
    }
    let valid: &[&str] = if c.mv >= (3, 66) || force == Some(true) {
        &["available", "in-use"]
    } else {
        &["available"]
    };
    if !valid.contains(&vstatus.as_str()) {
        return Err(bad(&format!(
            "Invalid volume: Volume {vid} status must be {}, but current status is: {vstatus}.",
            valid.join(", ")
        )));
    }
    check_gigabytes(st, vsize)?;
    check_count(st, "snapshots", st.snapshots.len(), |qs| {
        format!("SnapshotLimitExceeded: Maximum number of snapshots allowed ({qs}) exceeded")
    })?;
    let now = st.now();
    let s = Snapshot {
        id: uuid4(),
        name,
        description,
        volume_id: vid,
        status: "creating".into(),
        size: vsize,
        created_at: now,
        updated_at: None,
        metadata: meta,
    };
    let out = json!({"snapshot": snap_json(&s, c, true, false)});
    st.schedule(Op::SnapStatus(s.id.clone(), "available".into()));
    st.snapshots.push(s);
    Ok(Resp::json(202, &out))
}

fn delete_snapshot(st: &mut State, id: &str, force: bool) -> Result<Resp, Resp> {
    let s = find_mut(&mut st.snapshots, id)?;
    if !force && s.status != "available" && s.status != "error" {
        return Err(bad(
            "Invalid snapshot: Volume Snapshot status must be available or error and must not be part of a group.",
        ));
    }
    s.status = "deleting".into();
    let sid = s.id.clone();
    let cancel = |op: &Op| matches!(op, Op::SnapStatus(i, _) if *i == sid);
    cancel_then_schedule(st, cancel, Op::SnapRemove(sid.clone()));
    Ok(Resp::empty(202, "text/html; charset=UTF-8"))
}

// ---------------------------------------------------------------- backups

fn create_backup(st: &mut State, c: &Ctx, r: &Req) -> Result<Resp, Resp> {
    let body = parse_body(r)?;
    let obj = required_object(&body, "backup")?;
    let vid = volume_id_field(obj, "backup", "is not a 'uuid'")?;
    let force = bool_field(obj, "force")?.unwrap_or(false);
    let incremental = bool_field(obj, "incremental")?.unwrap_or(false);
    let name = opt_str(obj, "name")?;
    let description = opt_str(obj, "description")?;
    let container = opt_str(obj, "container")?;
    let snapshot_id = opt_str(obj, "snapshot_id")?;
    let meta = metadata(obj)?;
    let v = find(&st.volumes, &vid)?;
    let (vsize, vstatus) = (v.size, v.status.clone());
    let mut data_ts = None;
    if let Some(sid) = &snapshot_id {
        let s = find(&st.snapshots, sid)?;
        if s.status != "available" {
            return Err(bad(&format!(
                "Invalid snapshot: Snapshot to be backed up must be available, but the current status is \"{}\".",
                s.status
            )));
        }
        data_ts = Some(s.created_at);
    } else {
        if vstatus != "available" && vstatus != "in-use" {
            return Err(bad(&format!("Invalid volume: Volume to be backed up must be available or in-use, but the current status is \"{vstatus}\".")));
        }
        if vstatus == "in-use" && !force {
            return Err(bad(
                "Invalid volume: Backing up an in-use volume must use the force flag.",
            ));
        }
    }
    let qbg = st.quota("backup_gigabytes");
    let used: i64 = st.backups.iter().map(|b| b.size).sum();
    if qbg >= 0 && used + vsize > qbg {
        return Err(over_limit(&format!("VolumeBackupSizeExceedsAvailableQuota: Requested backup exceeds allowed Backup gigabytes quota. Requested {vsize}G, quota is {qbg}G and {used}G has been consumed.")));
    }
    check_count(st, "backups", st.backups.len(), |qb| {
        format!("BackupLimitExceeded: Maximum number of backups allowed ({qb}) exceeded")
    })?;
    let parent_id = if incremental {
        let parent = st
            .backups
            .iter()
            .filter(|b| b.volume_id == vid && b.status == "available")
            .max_by_key(|b| b.data_timestamp);
        match parent {
            Some(p) => Some(p.id.clone()),
            None => return Err(bad("Invalid backup: No backups available to do an incremental backup.")),
        }
    } else {
        None
    };
    let now = st.now();
    let b = Backup {
        id: uuid4(),
        name,
        description,
        volume_id: vid.clone(),
        snapshot_id: snapshot_id.clone(),
        status: "creating".into(),
        size: vsize,
        object_count: 0,
        container,
        created_at: now,
        updated_at: Some(now),
        data_timestamp: data_ts.unwrap_or(now),
        parent_id,
        metadata: meta,
    };
    let out = json!({"backup": summary(&b, c)});
    st.schedule(Op::BackupStatus(b.id.clone(), "available".into()));
    if snapshot_id.is_none() {
        start_transient(st, &vid, "backing-up", now, Op::vol_status(&vid, &vstatus))?;
    }
    st.backups.push(b);
    Ok(Resp::json(202, &out))
}

fn delete_backup(st: &mut State, id: &str, force: bool) -> Result<Resp, Resp> {
    let deps = st.has_dependent_backups(id);
    let b = find_mut(&mut st.backups, id)?;
    if !force && b.status != "available" && b.status != "error" {
        return Err(bad("Invalid backup: Backup status must be available or error"));
    }
    if deps {
        return Err(bad("Invalid backup: Incremental backups exist for this backup."));
    }
    b.status = "deleting".into();
    let bid = b.id.clone();
    let cancel = |op: &Op| matches!(op, Op::BackupStatus(i, _) if *i == bid);
    cancel_then_schedule(st, cancel, Op::BackupRemove(bid.clone()));
    Ok(Resp::empty(202, "application/json"))
}

fn restore_backup(st: &mut State, r: &Req, id: &str) -> Result<Resp, Resp> {
    let body = parse_body(r)?;
    let obj = required_object(&body, "restore")?;
    let volume_id = opt_str(obj, "volume_id")?;
    let name = opt_str(obj, "name")?;
    let b = find(&st.backups, id)?;
    if b.status != "available" {
        return Err(bad("Invalid backup: Backup status must be available"));
    }
    let bsize = b.size;
    let now = st.now();
    let (vid, vname) = match volume_id {
        None => {
            check_gigabytes(st, bsize)?;
            check_volume_count(st)?;
            let name = name.unwrap_or_else(|| format!("restore_backup_{id}"));
            let mut meta = Map::new();
            meta.insert("src_backup_id".into(), json!(id));
            let v = Volume {
                name: Some(name.clone()),
                description: Some("auto-created_from_restore_from_backup".into()),
                updated_at: Some(now),
                metadata: meta,
                ..new_volume(bsize, "restoring-backup", now)
            };
            let vid = v.id.clone();
            st.volumes.push(v);
            (vid, name)
        }
        Some(vid) => {
            let v = find_mut(&mut st.volumes, &vid)?;
            if v.status != "available" {
                return Err(bad("Invalid volume: Volume to be restored to must be available"));
            }
            if bsize > v.size {
                return Err(bad(&format!(
                    "Invalid volume: volume size {} is too small to restore backup of size {bsize}.",
                    v.size
                )));
            }
            v.set_status("restoring-backup", now);
            (vid, v.name.clone().unwrap_or_default())
        }
    };
    set_status_in(&mut st.backups, id, "restoring", now);
    st.schedule(Op::vol_status(&vid, "available"));
    st.schedule_after(Duration::ZERO, Op::BackupStatus(id.to_string(), "available".into()));
    Ok(Resp::json(
        202,
        &json!({"restore": {"backup_id": id, "volume_id": vid, "volume_name": vname}}),
    ))
}

// ---------------------------------------------------------------- quotas

fn quota_set(st: &State, with_id: bool) -> Value {
    let mut o = json!({
        "volumes": st.quota("volumes"), "per_volume_gigabytes": st.quota("per_volume_gigabytes"),
        "snapshots": st.quota("snapshots"), "gigabytes": st.quota("gigabytes"),
        "backups": st.quota("backups"), "backup_gigabytes": st.quota("backup_gigabytes"),
        "volumes___DEFAULT__": -1, "gigabytes___DEFAULT__": -1, "snapshots___DEFAULT__": -1,
        "groups": st.quota("groups"),
    });
    if with_id {
        o["id"] = json!(st.opts.project_id);
    }
    o
}

fn quota_get(st: &State, p: &str, q: &[(String, String)]) -> Result<Resp, Resp> {
    if p != st.opts.project_id && !st.opts.admin {
        return Err(forbidden("volume_extension:quotas:show"));
    }
    let usage = q.iter().any(|(k, v)| k == "usage" && (v == "true" || v == "True"));
    if !usage {
        return Ok(Resp::json(200, &json!({"quota_set": quota_set(st, true)})));
    }
    let gb = gigabytes_used(st);
    let bgb: i64 = st.backups.iter().map(|b| b.size).sum();
    let u = |k: &str, used: i64| json!({"limit": st.quota(k), "in_use": used, "reserved": 0});
    let d = |used: i64| json!({"limit": -1, "in_use": used, "reserved": 0});
    Ok(Resp::json(
        200,
        &json!({"quota_set": {
            "volumes": u("volumes", st.volumes.len() as i64),
            "gigabytes": u("gigabytes", gb),
            "snapshots": u("snapshots", st.snapshots.len() as i64),
            "backups": u("backups", st.backups.len() as i64),
            "backup_gigabytes": u("backup_gigabytes", bgb),
            "per_volume_gigabytes": u("per_volume_gigabytes", 0),
            "groups": u("groups", 0),
            "volumes___DEFAULT__": d(st.volumes.len() as i64),
            "gigabytes___DEFAULT__": d(gb),
            "snapshots___DEFAULT__": d(st.snapshots.len() as i64),
            "id": st.opts.project_id,
        }}),
    ))
}

fn quota_put(st: &mut State, r: &Req, _p: &str) -> Result<Resp, Resp> {
    if !st.opts.admin {
        return Err(forbidden("volume_extension:quotas:update"));
    }
    let body = parse_body(r)?;
    let Some(obj) = body.get("quota_set").and_then(|s| s.as_object()) else {
        return Err(bad("Missing required element 'quota_set' in request body."));
    };
    for (k, v) in obj {
        if let Some(n) = v.as_i64().or_else(|| v.as_str().and_then(|s| s.parse().ok())) {
            if n < -1 {
                return Err(bad(&format!(
                    "Invalid input received: Quota limit {n} for {k} must be -1 or greater."
                )));
            }
            st.quotas.insert(k.clone(), n);
        }
    }
    Ok(Resp::json(200, &json!({"quota_set": quota_set(st, false)})))
}

/// Used by Nova: attach a volume (attaching -> in-use after the transition).
pub fn begin_attach(st: &mut State, volume_id: &str, att: VolAttachment) {
    let now = st.now();
    set_status_in(&mut st.volumes, volume_id, "attaching", now);
    st.schedule(Op::VolStatus {
        id: volume_id.to_string(),
        status: "in-use".into(),
        size: None,
        attach: Some(att),
        detach: None,
    });
}

/// Used by Nova: detach (detaching -> available after the transition).
pub fn begin_detach(st: &mut State, volume_id: &str, attachment_id: &str) {
    let now = st.now();
    // A pending attach of this attachment completes first.
    st.tick();
    let others = st
        .volumes
        .iter()
        .find(|v| v.id == volume_id)
        .map(|v| {
            v.attachments
                .iter()
                .filter(|a| a.attachment_id != attachment_id)
                .count()
        })
        .unwrap_or(0);
    st.pending.retain(|(_, op)| !matches!(op, Op::VolStatus { id, attach: Some(a), .. } if id == volume_id && a.attachment_id == attachment_id));
    set_status_in(&mut st.volumes, volume_id, "detaching", now);
    st.schedule(Op::VolStatus {
        id: volume_id.to_string(),
        status: if others > 0 { "in-use" } else { "available" }.into(),
        size: None,
        attach: None,
        detach: Some(attachment_id.to_string()),
    });
}
