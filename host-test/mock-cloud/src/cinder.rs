//! Cinder v3 under `/volume`.

use crate::server::{keystonemiddleware_401, plain_not_found, Req};
use crate::state::{set_status_in, Attachment, Backup, Op, Resource, Resp, Snapshot, State, Volume};
use crate::util::{is_uuid_like, parse_query, parse_version, pyrepr, pystr, quote_plus, req_id, ts, uuid4};
use serde_json::{json, Map, Value};
use std::time::Duration;

type V = (u32, u32);

pub struct Ctx {
    mv: V,
    /// "{base}/volume/v3"
    app_url: String,
    /// project in URL ("" when absent: any microversion, though documented as 3.67+)
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
pub fn bad(msg: &str) -> Resp {
    fault(400, "badRequest", msg)
}
pub fn not_found(msg: &str) -> Resp {
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
/// Cinder's answer to an unexpected exception.
fn server_error() -> Resp {
    fault(
        500,
        "computeFault",
        "The server has either erred or is incapable of performing the requested operation.",
    )
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
    let (url_project, segs) = if known.contains(&segs[0]) {
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
    // The attachments API is 3.27+ (os-complete, 3.44+, checks its own).
    if segs.first() == Some(&"attachments") && segs.len() < 3 && mv < (3, 27) {
        return (not_found("The resource could not be found."), ver);
    }
    let q = parse_query(r.query.as_deref());
    let m = r.method.as_str();
    let resp = match (m, segs) {
        ("GET", ["volumes"]) => list(st, &ctx, &q, &st.volumes, false, |v| summary(v, &ctx)),
        ("GET", ["volumes", "detail"]) => list(st, &ctx, &q, &st.volumes, true, |v| vol_json(st, v, &ctx, true)),
        ("POST", ["volumes"]) => create_volume(st, &ctx, r),
        ("GET", ["volumes", id]) => {
            find(&st.volumes, id).map(|v| Resp::json(200, &json!({"volume": vol_json(st, v, &ctx, true)})))
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
        ("GET", ["attachments"]) => attachment_list(st, &ctx, &q, false),
        ("GET", ["attachments", "detail"]) => attachment_list(st, &ctx, &q, true),
        ("POST", ["attachments"]) => create_attachment(st, &ctx, r),
        ("GET", ["attachments", id]) => {
            find(&st.attachments, id).map(|a| Resp::json(200, &json!({"attachment": attachment_json(a, true)})))
        }
        ("PUT", ["attachments", id]) => update_attachment(st, r, id),
        ("DELETE", ["attachments", id]) => delete_attachment(st, r, id),
        ("POST", ["attachments", id, "action"]) => attachment_action(st, &ctx, r, id),
        ("GET", ["os-quota-sets", p]) => quota_get(st, p, &q),
        ("PUT", ["os-quota-sets", p]) => quota_put(st, r, p),
        _ => return (plain_not_found(), None),
    };
    // Handlers return their error responses as Err, to use `?`.
    (resp.unwrap_or_else(|e| e), ver)
}

// ---------------------------------------------------------------- views

fn vol_json(st: &State, v: &Volume, c: &Ctx, show: bool) -> Value {
    let creating = v.status == "creating";
    // Only completed attachments; the host only for admins (and services).
    let atts: Vec<Value> = st
        .attachments_of(&v.id)
        .filter(|a| a.status == "attached")
        .map(|a| {
            json!({"id": v.id, "attachment_id": a.id, "volume_id": v.id,
                   "server_id": a.instance, "host_name": if c.admin { json!(a.host) } else { Value::Null },
                   "device": a.mountpoint, "attached_at": a.attached_at.map(ts)})
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
    not_found(&T::missing(id))
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

/// One page of a list: the rows (filtered, sorted, after the marker), the
/// limit that cut them and how many matched before paging.
struct Page<'a, T> {
    rows: Vec<&'a T>,
    limit: usize,
    total: usize,
}

/// A query parameter (the last one given wins, as in webob).
fn param<'a>(q: &'a [(String, String)], k: &str) -> Option<&'a str> {
    q.iter().rev().find(|(kk, _)| kk == k).map(|(_, v)| v.as_str())
}

fn page<'a, T: Resource>(st: &State, q: &[(String, String)], items: &'a [T]) -> Result<Page<'a, T>, Resp> {
    let get = |k: &str| param(q, k);
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
        rows.retain(|r| r.key().name == Some(n));
    }
    // Sorting: `sort=k[:dir],...` or sort_key/sort_dir; default created_at desc, id desc.
    let mut keys: Vec<(String, bool)> = Vec::new();
    if let Some(s) = get("sort") {
        for part in s.split(',').filter(|p| !p.trim().is_empty()) {
            let (k, d) = part.split_once(':').unwrap_or((part, "desc"));
            keys.push((k.trim().to_string(), d.trim() != "asc"));
        }
    } else if let Some(k) = get("sort_key") {
        let d = get("sort_dir").unwrap_or("desc");
        keys.push((k.to_string(), d != "asc"));
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
            None => return Err(no_such::<T>(marker)),
        }
    }
    rows.truncate(limit);
    Ok(Page { rows, limit, total })
}

fn list<T: Resource>(
    st: &State,
    c: &Ctx,
    q: &[(String, String)],
    items: &[T],
    detail: bool,
    view: impl Fn(&T) -> Value,
) -> Result<Resp, Resp> {
    let Page { rows, limit, total } = page(st, q, items)?;
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
    if param(q, "with_count").is_some_and(|w| w == "true" || w == "True") && c.at_least("3.45") {
        out.insert("count".into(), json!(total));
    }
    Ok(Resp::json(200, &Value::Object(out)))
}

// ---------------------------------------------------------------- helpers

fn parse_body(r: &Req) -> Result<Value, Resp> {
    if r.body.is_empty() {
        // Cinder's handlers index the missing body: KeyError, answered as a 500.
        return Err(server_error());
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

/// The object under `key` in a request body. `nullable`: the schema also allows
/// null (which the handler then trips over: a 500).
fn required_object<'a>(body: &'a Value, key: &str, nullable: bool) -> Result<&'a Map<String, Value>, Resp> {
    let types = if nullable { "'object', 'null'" } else { "'object'" };
    match body.get(key) {
        None => Err(bad(&format!("'{key}' is a required property"))),
        Some(Value::Object(o)) => Ok(o),
        Some(Value::Null) if nullable => Err(server_error()),
        Some(other) => Err(invalid_field(
            key,
            other,
            &format!("{} is not of type {types}", pyrepr(other)),
        )),
    }
}

/// jsonschema's `required` failing for `key` in the object field `what`.
fn missing_property(what: &str, obj: &Map<String, Value>, key: &str) -> Resp {
    invalid_field(
        what,
        &Value::Object(obj.clone()),
        &format!("'{key}' is a required property"),
    )
}

/// jsonschema's `additionalProperties: false` on `obj`: the field `what`, or the
/// whole body (None). Unexpected keys are listed sorted.
fn additional_properties(what: Option<&str>, obj: &Map<String, Value>, allowed: &[&str]) -> Result<(), Resp> {
    let extra: Vec<String> = obj
        .keys()
        .filter(|k| !allowed.contains(&k.as_str()))
        .map(|k| format!("'{k}'"))
        .collect();
    if extra.is_empty() {
        return Ok(());
    }
    let verb = if extra.len() == 1 { "was" } else { "were" };
    let msg = format!(
        "Additional properties are not allowed ({} {verb} unexpected)",
        extra.join(", ")
    );
    Err(match what {
        Some(w) => invalid_field(w, &Value::Object(obj.clone()), &msg),
        None => bad(&msg),
    })
}

/// A value of the schema type `parameter_types.uuid` (a string in uuid format).
fn uuid_value(field: &str, v: &Value) -> Result<String, Resp> {
    match v {
        Value::String(s) if is_uuid_like(s) => Ok(s.clone()),
        Value::String(_) => Err(invalid_field(field, v, &format!("{} is not a 'uuid'", pyrepr(v)))),
        other => Err(invalid_field(
            field,
            other,
            &format!("{} is not of type 'string'", pyrepr(other)),
        )),
    }
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
/// Adds `n` available 1 GiB volumes named `{prefix}{i}` at once (for load tests and
/// benchmarks that need a large project without creating it request by request).
pub fn seed_volumes(st: &mut State, prefix: &str, n: usize) -> Vec<String> {
    (0..n)
        .map(|i| {
            let now = st.now();
            let v = Volume {
                name: Some(format!("{prefix}{i}")),
                ..new_volume(1, "available", now)
            };
            let id = v.id.clone();
            st.volumes.push(v);
            id
        })
        .collect()
}

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
    let obj = required_object(&body, "volume", false)?;
    additional_properties(Some("volume"), obj, VOLUME_KEYS)?;
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
    let out = json!({"volume": vol_json(st, &v, c, false)});
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
    let v = find(&st.volumes, id)?;
    Ok(Resp::json(200, &json!({"volume": vol_json(st, v, c, false)})))
}

const DELETE_MSG: &str = "Invalid volume: Volume status must be available or error or error_restoring or error_extending or error_managing and must not be migrating, attached, belong to a group, have snapshots, awaiting a transfer, or be disassociated from snapshots after volume transfer.";

fn delete_volume(st: &mut State, id: &str, force: bool) -> Result<Resp, Resp> {
    let has_snaps = st.snapshots.iter().any(|s| s.volume_id == id);
    let attached = st.is_attached(id);
    let v = find_mut(&mut st.volumes, id)?;
    let ok_status = [
        "available",
        "error",
        "error_restoring",
        "error_extending",
        "error_managing",
    ]
    .contains(&v.status.as_str());
    let blocked = has_snaps || attached;
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
    // webob's action_peek: exactly one key.
    match obj.len() {
        1 => Ok(obj.into_iter().next().unwrap_or_default()),
        _ => Err(malformed_body()),
    }
}

fn no_such_action(a: &str) -> Resp {
    bad(&format!(
        "There is no such action: {a}. Verify the request body and Content-Type header and try again."
    ))
}

fn volume_action(st: &mut State, c: &Ctx, r: &Req, id: &str) -> Result<Resp, Resp> {
    let (action, arg) = action_name(r)?;
    match action.as_str() {
        "os-extend" | "os-force_delete" | "os-reset_status" | "os-begin_detaching" | "os-roll_detaching" => {}
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
        // Nova's detach: in-use -> detaching, and back when it fails.
        "os-begin_detaching" => {
            if status != "in-use" || !st.is_attached(id) {
                return Err(bad("Invalid volume: Unable to detach volume. Volume status must be 'in-use' and attach_status must be 'attached' to detach."));
            }
            let now = st.now();
            set_status_in(&mut st.volumes, id, "detaching", now);
            Ok(Resp::empty(202, "application/json"))
        }
        "os-roll_detaching" => {
            if status == "detaching" {
                let now = st.now();
                set_status_in(&mut st.volumes, id, "in-use", now);
            }
            Ok(Resp::empty(202, "application/json"))
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

// ---------------------------------------------------------------- attachments

fn conflict(msg: &str) -> Resp {
    fault(409, "conflictingRequest", &format!("Resource conflict: {msg}"))
}

fn attachment_json(a: &Attachment, detail: bool) -> Value {
    let mut o = json!({"id": a.id, "status": a.status, "instance": a.instance, "volume_id": a.volume_id});
    if detail {
        o["attached_at"] = json!(a.attached_at.map(ts).unwrap_or_default());
        o["detached_at"] = json!("");
        o["attach_mode"] = json!(a.attach_mode);
        o["connection_info"] = Value::Object(a.connection_info.clone());
    }
    o
}

const ATTACHMENT_PARAMS: &[&str] = &[
    "volume_id",
    "instance_id",
    "attach_status",
    "status",
    "limit",
    "marker",
    "offset",
    "sort",
    "sort_key",
    "sort_dir",
    "all_tenants",
];

/// Attachment lists are never given next links.
fn attachment_list(st: &State, c: &Ctx, q: &[(String, String)], detail: bool) -> Result<Resp, Resp> {
    let get = |k: &str| param(q, k);
    // `status` is an allowed filter but no column of attachments: it matches
    // nothing; so does any other filter an admin may give (others' are dropped).
    let unknown = c.admin && q.iter().any(|(k, _)| !ATTACHMENT_PARAMS.contains(&k.as_str()));
    let matching: Vec<Attachment> = if get("status").is_some() || unknown {
        Vec::new()
    } else {
        st.attachments
            .iter()
            .filter(|a| {
                get("volume_id").is_none_or(|v| a.volume_id == v)
                    && get("instance_id").is_none_or(|i| a.instance.as_deref() == Some(i))
                    && get("attach_status").is_none_or(|s| a.status == s)
            })
            .cloned()
            .collect()
    };
    let rows = page(st, q, &matching)?.rows;
    let list: Vec<Value> = rows.into_iter().map(|a| attachment_json(a, detail)).collect();
    Ok(Resp::json(200, &json!({ "attachments": list })))
}

const ATTACHMENT_KEYS: &[&str] = &["instance_uuid", "connector", "volume_uuid", "mode"];

/// `attachment_create`: reserves the volume (`reserved`) for a server; with a
/// connector it is also updated at once (`attaching`).
fn create_attachment(st: &mut State, c: &Ctx, r: &Req) -> Result<Resp, Resp> {
    let body = parse_body(r)?;
    let a = required_object(&body, "attachment", false)?;
    // The schema's properties in order, then required, then additional ones.
    let instance = a
        .get("instance_uuid")
        .map(|v| uuid_value("instance_uuid", v))
        .transpose()?;
    let connector = match a.get("connector") {
        None | Some(Value::Null) => None,
        Some(Value::Object(o)) => Some(o.clone()),
        Some(v) => {
            return Err(invalid_field(
                "connector",
                v,
                &format!("{} is not of type 'object', 'null'", pyrepr(v)),
            ))
        }
    };
    let vid = a.get("volume_uuid").map(|v| uuid_value("volume_uuid", v)).transpose()?;
    let with_mode = c.mv >= (3, 54);
    let mode = match a.get("mode") {
        Some(m) if with_mode => match m.as_str() {
            Some("rw" | "ro") => m.as_str(),
            Some(_) => {
                return Err(invalid_field(
                    "mode",
                    m,
                    &format!("{} is not one of ['rw', 'ro']", pyrepr(m)),
                ))
            }
            None => {
                return Err(invalid_field(
                    "mode",
                    m,
                    &format!("{} is not of type 'string'", pyrepr(m)),
                ))
            }
        },
        _ => None,
    };
    let Some(vid) = vid else {
        return Err(missing_property("attachment", a, "volume_uuid"));
    };
    let keys = if with_mode {
        ATTACHMENT_KEYS
    } else {
        &ATTACHMENT_KEYS[..3]
    };
    additional_properties(Some("attachment"), a, keys)?;
    additional_properties(None, body.as_object().unwrap_or(a), &["attachment"])?;

    let v = find(&st.volumes, &vid)?;
    let (status, multiattach) = (v.status.clone(), v.multiattach);
    if status.contains("error") {
        return Err(bad(&format!("Invalid volume: Volume attachments can not be created if the volume is in an error state. The Volume {vid} currently has a status of: {status} ")));
    }
    let expected: &[&str] = if multiattach {
        &["available", "in-use", "downloading"]
    } else {
        &["available", "downloading"]
    };
    let now = st.now();
    if expected.contains(&status.as_str()) {
        set_status_in(&mut st.volumes, &vid, "reserved", now);
    } else {
        // The same server may attach again (a move); the status then stays.
        let same_server = instance.is_some()
            && (status == "in-use" || status == "reserved")
            && st.attachments_of(&vid).any(|x| x.instance == instance);
        if !same_server {
            return Err(bad(&format!(
                "Invalid volume: Volume {vid} status must be {} to reserve, but the current status is {status}.",
                expected.join(" or ")
            )));
        }
    }
    let mut att = Attachment {
        id: uuid4(),
        volume_id: vid,
        instance,
        status: "reserved".into(),
        attach_mode: mode.unwrap_or("null").to_string(),
        attached_at: None,
        host: None,
        mountpoint: None,
        connection_info: Map::new(),
        created_at: now,
    };
    st.attachments.push(att.clone());
    if let Some(conn) = connector {
        att.connection_info = connect(st, &att.id, &conn);
    }
    Ok(Resp::json(200, &json!({"attachment": attachment_json(&att, true)})))
}

/// The volume service's `attachment_update`: the connector's host, mountpoint and
/// mode go to attachment `id` (`attaching`, attached_at now) and its volume is
/// `attaching`. Returns the connection info (as the ceph driver gives it).
fn connect(st: &mut State, id: &str, connector: &Map<String, Value>) -> Map<String, Value> {
    let now = st.now();
    let Some(a) = st.attachments.iter_mut().find(|a| a.id == id) else {
        return Map::new();
    };
    let text = |k: &str, default: &str| connector.get(k).and_then(|v| v.as_str()).unwrap_or(default).to_string();
    if a.attach_mode == "null" {
        a.attach_mode = text("mode", "rw");
    }
    a.status = "attaching".into();
    a.attached_at = Some(now);
    a.host = Some(text("host", ""));
    a.mountpoint = Some(text("mountpoint", "na"));
    let info = json!({"driver_volume_type": "rbd", "name": format!("volumes/volume-{}", a.volume_id),
        "hosts": ["127.0.0.1"], "ports": ["6789"], "cluster_name": "ceph", "auth_enabled": false,
        "auth_username": null, "secret_type": "ceph", "secret_uuid": null, "volume_id": a.volume_id,
        "discard": true, "access_mode": a.attach_mode, "qos_specs": null, "encrypted": false,
        "cacheable": false, "attachment_id": a.id, "enforce_multipath": false});
    a.connection_info = info.as_object().cloned().unwrap_or_default();
    let vid = a.volume_id.clone();
    let info = a.connection_info.clone();
    set_status_in(&mut st.volumes, &vid, "attaching", now);
    info
}

/// `PUT /attachments/{id}`: answers the attachment as it was, with the new connection info.
fn update_attachment(st: &mut State, r: &Req, id: &str) -> Result<Resp, Resp> {
    let body = parse_body(r)?;
    let a = required_object(&body, "attachment", false)?;
    let connector = match a.get("connector") {
        None => return Err(missing_property("attachment", a, "connector")),
        Some(Value::Object(o)) if o.is_empty() => {
            return Err(invalid_field("connector", &json!({}), "{} should be non-empty"))
        }
        Some(Value::Object(o)) => o.clone(),
        Some(v) => {
            return Err(invalid_field(
                "connector",
                v,
                &format!("{} is not of type 'object'", pyrepr(v)),
            ))
        }
    };
    additional_properties(Some("attachment"), a, &["connector"])?;
    additional_properties(None, body.as_object().unwrap_or(a), &["attachment"])?;
    let before = find(&st.attachments, id)?.clone();
    let vid = before.volume_id.clone();
    let v = find(&st.volumes, &vid)?;
    if v.status.contains("error") {
        return Err(conflict(&format!("Volume attachments can not be updated if the volume is in an error state. The Volume {vid} currently has a status of: {} ", v.status)));
    }
    let theirs: Vec<&Attachment> = st.attachments_of(&vid).collect();
    if theirs.len() > 1 && !v.multiattach && theirs.iter().any(|x| !x.connection_info.is_empty()) {
        return Err(conflict(&format!("duplicate connectors detected on volume {vid}")));
    }
    let connection_info = connect(st, id, &connector);
    let out = Attachment {
        connection_info,
        ..before
    };
    Ok(Resp::json(200, &json!({"attachment": attachment_json(&out, true)})))
}

/// The volume status its remaining attachments give (Cinder's `volume_detached`):
/// the first attach status alphabetically, `attached` meaning in-use, none available.
fn status_from_attachments(st: &State, vid: &str) -> &'static str {
    let has = |s: &str| st.attachments_of(vid).any(|a| a.status == s);
    if has("attached") {
        "in-use"
    } else if has("attaching") {
        "attaching"
    } else if has("reserved") {
        "reserved"
    } else {
        "available"
    }
}

/// Answers the volume's remaining attachments.
fn delete_attachment(st: &mut State, r: &Req, id: &str) -> Result<Resp, Resp> {
    let a = find(&st.attachments, id)?;
    // Bug #2004555: only a service may delete an attachment still connected to a
    // server; for anyone else Cinder asks Nova, and without a Nova that fails.
    let service = r
        .header("X-Service-Roles")
        .is_some_and(|h| h.split(',').any(|role| role.trim() == "service"));
    if !service && a.instance.is_some() && !a.connection_info.is_empty() {
        return Err(server_error());
    }
    let vid = a.volume_id.clone();
    st.attachments.retain(|x| x.id != id);
    let now = st.now();
    let status = status_from_attachments(st, &vid);
    set_status_in(&mut st.volumes, &vid, status, now);
    let rest: Vec<Value> = st.attachments_of(&vid).map(|x| attachment_json(x, false)).collect();
    Ok(Resp::json(200, &json!({ "attachments": rest })))
}

/// `os-complete` (3.44+): the attachment is `attached`, its volume `in-use`.
fn attachment_action(st: &mut State, c: &Ctx, r: &Req, id: &str) -> Result<Resp, Resp> {
    let (action, _) = action_name(r)?;
    if action != "os-complete" {
        return Err(no_such_action(&action));
    }
    if c.mv < (3, 44) {
        return Err(not_found("The resource could not be found."));
    }
    let vid = find(&st.attachments, id)?.volume_id.clone();
    find(&st.volumes, &vid)?;
    let now = st.now();
    set_status_in(&mut st.attachments, id, "attached", now);
    set_status_in(&mut st.volumes, &vid, "in-use", now);
    Ok(Resp::empty(204, "application/json"))
}

// ---------------------------------------------------------------- snapshots

/// The `volume_id` of a snapshot or backup request (`what`). The snapshot
/// schema is an `anyOf` (`any_of`): any bad value gets its one message.
fn volume_id_field(obj: &Map<String, Value>, what: &str, any_of: bool) -> Result<String, Resp> {
    let Some(vid_v) = obj.get("volume_id") else {
        return Err(missing_property(what, obj, "volume_id"));
    };
    match vid_v.as_str().filter(|s| is_uuid_like(s)) {
        Some(vid) => Ok(vid.to_string()),
        None if any_of => Err(invalid_field(
            "volume_id",
            vid_v,
            &format!("{} is not valid under any of the given schemas", pyrepr(vid_v)),
        )),
        None => uuid_value("volume_id", vid_v),
    }
}

fn create_snapshot(st: &mut State, c: &Ctx, r: &Req) -> Result<Resp, Resp> {
    let body = parse_body(r)?;
    let obj = required_object(&body, "snapshot", false)?;
    let vid = volume_id_field(obj, "snapshot", true)?;
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
    let obj = required_object(&body, "backup", false)?;
    let vid = volume_id_field(obj, "backup", false)?;
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
    let obj = required_object(&body, "restore", true)?;
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
