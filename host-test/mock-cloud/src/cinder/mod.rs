//! Cinder v3 under `/volume`, organized as Cinder's API is: one module per
//! resource (volumes, their actions (retype, revert and upload to an image apart),
//! attachments, snapshots, backups, their metadata, volume transfers, volume
//! types, user messages, quotas, limits and zones), with the schema checks,
//! faults, lists, microversions and projects they share.
//!
//! A request goes through [`handle`]: the body as Cinder's server reads it,
//! keystonemiddleware's token check, the microversion, the project in the URL,
//! then the route table (`dispatch`) to a resource module's handler.

mod actions;
mod attachments;
mod backups;
mod faults;
mod limits;
mod messages;
mod metadata;
mod microversion;
mod paging;
mod projects;
mod quotas;
mod resource;
mod retype;
mod revert;
mod schema;
mod snapshots;
mod transfers;
mod types;
mod upload;
mod volumes;

pub use faults::{bad, fault, not_found};
pub use volumes::seed_volumes;

use crate::server::{keystonemiddleware_401, plain_not_found, Req};
use crate::state::{Resp, Snapshot, State, Volume};
use crate::util::{is_uuid_like, parse_query, parse_version, req_id};
use actions::{admin_action, volume_action};
use attachments::{
    attachment_action, attachment_json, attachment_list, create_attachment, delete_attachment, update_attachment,
};
use backups::{backup_json, create_backup, delete_backup, restore_backup, update_backup};
use limits::{availability_zones, limits};
use messages::{delete_message, list_messages, show_message};
use metadata::{metadata_route, Items};
use microversion::{versions_body, V};
use paging::{list, summary};
use quotas::{quota_get, quota_put};
use resource::find;
use serde_json::{json, Value};
use snapshots::{create_snapshot, delete_snapshot, snap_json, update_snapshot};
use transfers::transfer_routes;
use types::{list_types, show_type};
use volumes::{create_volume, delete_volume_query, update_volume, vol_json};

/// What handlers need to know of the request: its microversion, where it was
/// sent (for links) and who sent it.
pub struct Ctx {
    mv: V,
    /// "{base}/volume/v3"
    app_url: String,
    /// project in URL ("" when absent: any microversion, though documented as 3.67+)
    url_project: String,
    admin: bool,
    project: String,
    user_id: String,
    /// This request's id (user messages name the request that failed).
    request_id: String,
}

impl Ctx {
    /// `project`: the token's.
    fn new(st: &State, mv: V, url_project: &str, project: &str, request_id: &str) -> Ctx {
        Ctx {
            request_id: request_id.to_string(),
            mv,
            app_url: format!("{}/volume/v3", st.bases.volume),
            url_project: url_project.to_string(),
            admin: st.opts.admin,
            project: project.to_string(),
            user_id: st.user_id.clone(),
        }
    }
    fn at_least(&self, v: &str) -> bool {
        parse_version(v).is_some_and(|v| self.mv >= v)
    }
    /// Sets the fields of a view that microversions add: each `(since, key,
    /// value)` from its microversion on.
    fn add_since<'a>(&self, o: &mut Value, fields: impl IntoIterator<Item = (&'a str, &'a str, Value)>) {
        for (since, key, value) in fields {
            if self.at_least(since) {
                o[key] = value;
            }
        }
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

pub fn handle(st: &mut State, r: &Req) -> Resp {
    let rid = req_id();
    let (resp, ver) = route(st, r, &rid);
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
fn route(st: &mut State, r: &Req, rid: &str) -> (Resp, Option<String>) {
    let unread = without_chunked_body(r);
    let r = unread.as_ref().unwrap_or(r);
    let path = r.path.strip_prefix("/volume").unwrap_or("");
    if path.is_empty() || path == "/" {
        return (Resp::json(300, &versions_body(st)), Some("3.0".into()));
    }
    let Some(rest) = path.strip_prefix("/v3") else {
        return (plain_not_found(), None);
    };
    // keystonemiddleware runs first.
    let project = match authenticate(st, r) {
        Ok(project) => project,
        Err(unauthorized) => return (unauthorized, None),
    };
    let mv = match microversion::requested(st, r) {
        Ok(mv) => mv,
        Err(refusal) => return refusal,
    };
    let ver = Some(format!("{}.{}", mv.0, mv.1));
    let rest = rest.trim_start_matches('/');
    if rest.is_empty() {
        return (Resp::json(200, &versions_body(st)), ver);
    }
    let segs: Vec<&str> = rest.trim_end_matches('/').split('/').collect();
    let Some((url_project, segs)) = split_project(&segs) else {
        return (plain_not_found(), None);
    };
    if !url_project.is_empty() && url_project != project {
        return (bad("Malformed request url"), ver);
    }
    let ctx = Ctx::new(st, mv, url_project, &project, rid);
    projects::set_aside_others(st, &project);
    let routed = dispatch(st, &ctx, r, segs);
    projects::put_back(st);
    match routed {
        // Handlers return their error responses as Err, to use `?`.
        Some(resp) => (resp.unwrap_or_else(|e| e), ver),
        None => (plain_not_found(), None),
    }
}

/// Cinder's eventlet server reads a body only by its Content-Length: a chunked body
/// reaches the API empty (create then fails with 500, an action is named "None").
/// Some(the request without its body) for such a request.
fn without_chunked_body(r: &Req) -> Option<Req> {
    if r.body.is_empty() || r.header("Content-Length").is_some() {
        return None;
    }
    Some(Req {
        body: Vec::new(),
        ..r.clone()
    })
}

/// keystonemiddleware: a valid `X-Auth-Token` (its project), or its 401.
fn authenticate(st: &State, r: &Req) -> Result<String, Resp> {
    let token = r.header("X-Auth-Token").unwrap_or("");
    if st.token_valid(token) {
        Ok(st.token_project(token).to_string())
    } else {
        Err(keystonemiddleware_401(st))
    }
}

/// The collections a URL without a project starts with.
const COLLECTIONS: [&str; 11] = [
    "volumes",
    "snapshots",
    "backups",
    "os-quota-sets",
    "attachments",
    "types",
    "limits",
    "messages",
    "os-availability-zone",
    "os-volume-transfer",
    "volume-transfers",
];

/// The project in the URL ("" when absent: any microversion, though documented as
/// 3.67+) and the segments after it; None when the first segment is neither.
fn split_project<'a, 'b>(segs: &'b [&'a str]) -> Option<(&'a str, &'b [&'a str])> {
    if COLLECTIONS.contains(&segs[0]) {
        Some(("", segs))
    } else if is_uuid_like(segs[0]) || segs[0].chars().all(|c| c.is_ascii_hexdigit()) {
        Some((segs[0], &segs[1..]))
    } else {
        None
    }
}

/// A handler's answer (Err: its error response); None: no such route.
type Routed = Option<Result<Resp, Resp>>;

/// The routes: each collection's (the attachments API is 3.27+; os-complete,
/// 3.44+, checks its own).
fn dispatch(st: &mut State, c: &Ctx, r: &Req, segs: &[&str]) -> Routed {
    if segs.first() == Some(&"attachments") && segs.len() < 3 && c.mv < (3, 27) {
        return Some(Err(not_found("The resource could not be found.")));
    }
    let q = parse_query(r.query.as_deref());
    let q = q.as_slice();
    match segs.first().copied() {
        Some("volumes") => volume_routes(st, c, r, q, &segs[1..]),
        Some("snapshots") => snapshot_routes(st, c, r, q, &segs[1..]),
        Some("backups") => backup_routes(st, c, r, q, &segs[1..]),
        Some("attachments") => attachment_routes(st, c, r, q, &segs[1..]),
        Some(coll @ ("os-volume-transfer" | "volume-transfers")) => transfer_routes(st, c, r, q, coll, &segs[1..]),
        _ => project_routes(st, c, r, q, segs),
    }
}

fn volume_routes(st: &mut State, c: &Ctx, r: &Req, q: &[(String, String)], segs: &[&str]) -> Routed {
    let items: Items<Volume> = |st| &mut st.volumes;
    Some(match (r.method.as_str(), segs) {
        ("GET", []) => list(st, c, q, &st.volumes, false, |v| summary(v, c)),
        ("GET", ["detail"]) => list(st, c, q, &st.volumes, true, |v| vol_json(st, v, c, true)),
        ("POST", []) => create_volume(st, c, r),
        ("GET", [id]) => find(&st.volumes, id).map(|v| Resp::json(200, &json!({"volume": vol_json(st, v, c, true)}))),
        ("PUT", [id]) => update_volume(st, c, r, id),
        ("DELETE", [id]) => delete_volume_query(st, c, q, id),
        ("POST", [id, "action"]) => volume_action(st, c, r, id),
        ("GET" | "POST" | "PUT", [id, "metadata"]) => metadata_route(st, r, items, id, None),
        ("GET" | "PUT" | "DELETE", [id, "metadata", key]) => metadata_route(st, r, items, id, Some(key)),
        _ => return None,
    })
}

fn snapshot_routes(st: &mut State, c: &Ctx, r: &Req, q: &[(String, String)], segs: &[&str]) -> Routed {
    let items: Items<Snapshot> = |st| &mut st.snapshots;
    Some(match (r.method.as_str(), segs) {
        ("GET", []) => list(st, c, q, &st.snapshots, false, |s| snap_json(s, c, false, false)),
        ("GET", ["detail"]) => list(st, c, q, &st.snapshots, true, |s| snap_json(s, c, true, true)),
        ("POST", []) => create_snapshot(st, c, r),
        ("GET", [id]) => {
            find(&st.snapshots, id).map(|s| Resp::json(200, &json!({"snapshot": snap_json(s, c, true, true)})))
        }
        ("PUT", [id]) => update_snapshot(st, c, r, id),
        ("DELETE", [id]) => delete_snapshot(st, id, false),
        ("POST", [id, "action"]) => {
            admin_action(st, r, id, |st| &st.snapshots, "snapshot_admin_actions", delete_snapshot)
        }
        ("GET" | "POST" | "PUT", [id, "metadata"]) => metadata_route(st, r, items, id, None),
        ("GET" | "PUT" | "DELETE", [id, "metadata", key]) => metadata_route(st, r, items, id, Some(key)),
        _ => return None,
    })
}

fn backup_routes(st: &mut State, c: &Ctx, r: &Req, q: &[(String, String)], segs: &[&str]) -> Routed {
    Some(match (r.method.as_str(), segs) {
        ("GET", []) => list(st, c, q, &st.backups, false, |b| summary(b, c)),
        ("GET", ["detail"]) => list(st, c, q, &st.backups, true, |b| backup_json(st, b, c)),
        ("POST", []) => create_backup(st, c, r),
        ("GET", [id]) => find(&st.backups, id).map(|b| Resp::json(200, &json!({"backup": backup_json(st, b, c)}))),
        ("PUT", [id]) => update_backup(st, c, r, id),
        ("DELETE", [id]) => delete_backup(st, id, false),
        ("POST", [id, "action"]) => admin_action(st, r, id, |st| &st.backups, "backup_admin_actions", delete_backup),
        ("POST", [id, "restore"]) => restore_backup(st, c, r, id),
        _ => return None,
    })
}

fn attachment_routes(st: &mut State, c: &Ctx, r: &Req, q: &[(String, String)], segs: &[&str]) -> Routed {
    Some(match (r.method.as_str(), segs) {
        ("GET", []) => attachment_list(st, c, q, false),
        ("GET", ["detail"]) => attachment_list(st, c, q, true),
        ("POST", []) => create_attachment(st, c, r),
        ("GET", [id]) => {
            find(&st.attachments, id).map(|a| Resp::json(200, &json!({"attachment": attachment_json(a, true)})))
        }
        ("PUT", [id]) => update_attachment(st, r, id),
        ("DELETE", [id]) => delete_attachment(st, r, id),
        ("POST", [id, "action"]) => attachment_action(st, c, r, id),
        _ => return None,
    })
}

/// The project-wide routes: quotas, limits, zones, volume types, user messages.
fn project_routes(st: &mut State, c: &Ctx, r: &Req, q: &[(String, String)], segs: &[&str]) -> Routed {
    Some(match (r.method.as_str(), segs) {
        ("GET", ["os-quota-sets", p]) => quota_get(st, p, q),
        ("PUT", ["os-quota-sets", p]) => quota_put(st, r, p),
        ("GET", ["limits"]) => limits(st),
        ("GET", ["os-availability-zone"]) => availability_zones(),
        ("GET", ["types"]) => list_types(st, c, q),
        ("GET", ["types", id]) => show_type(st, c, id),
        ("GET", ["messages"]) => list_messages(st, c, q),
        ("GET", ["messages", id]) => show_message(st, c, id),
        ("DELETE", ["messages", id]) => delete_message(st, c, id),
        _ => return None,
    })
}
