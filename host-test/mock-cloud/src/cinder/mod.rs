//! Cinder v3 under `/volume`, organized as Cinder's API is: one module per
//! resource (volumes, their actions, attachments, snapshots, backups, quotas),
//! with the schema checks, faults, lists and microversions they share.
//!
//! A request goes through [`handle`]: the body as Cinder's server reads it,
//! keystonemiddleware's token check, the microversion, the project in the URL,
//! then the route table (`dispatch`) to a resource module's handler.

mod actions;
mod attachments;
mod backups;
mod faults;
mod microversion;
mod paging;
mod quotas;
mod resource;
mod schema;
mod snapshots;
mod volumes;

pub use faults::{bad, fault, not_found};
pub use volumes::seed_volumes;

use crate::server::{keystonemiddleware_401, plain_not_found, Req};
use crate::state::{Resp, State};
use crate::util::{is_uuid_like, parse_query, parse_version, req_id};
use actions::{admin_action, volume_action};
use attachments::{
    attachment_action, attachment_json, attachment_list, create_attachment, delete_attachment, update_attachment,
};
use backups::{backup_json, create_backup, delete_backup, restore_backup};
use microversion::{versions_body, V};
use paging::{list, summary};
use quotas::{quota_get, quota_put};
use resource::find;
use serde_json::{json, Value};
use snapshots::{create_snapshot, delete_snapshot, snap_json};
use volumes::{create_volume, delete_volume, update_volume, vol_json};

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
}

impl Ctx {
    fn new(st: &State, mv: V, url_project: &str) -> Ctx {
        Ctx {
            mv,
            app_url: format!("{}/volume/v3", st.bases.volume),
            url_project: url_project.to_string(),
            admin: st.opts.admin,
            project: st.opts.project_id.clone(),
            user_id: st.user_id.clone(),
        }
    }
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
    if let Err(unauthorized) = authenticate(st, r) {
        return (unauthorized, None);
    }
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
    if !url_project.is_empty() && url_project != st.opts.project_id {
        return (bad("Malformed request url"), ver);
    }
    let ctx = Ctx::new(st, mv, url_project);
    match dispatch(st, &ctx, r, segs) {
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

/// keystonemiddleware: a valid `X-Auth-Token`, or its 401.
fn authenticate(st: &State, r: &Req) -> Result<(), Resp> {
    let token = r.header("X-Auth-Token").unwrap_or("");
    if st.token_valid(token) {
        Ok(())
    } else {
        Err(keystonemiddleware_401(st))
    }
}

/// The collections a URL without a project starts with.
const COLLECTIONS: [&str; 7] = [
    "volumes",
    "snapshots",
    "backups",
    "os-quota-sets",
    "attachments",
    "types",
    "limits",
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

/// The routes: the handler's answer (Err: its error response); None: no such
/// route (`types` and `limits` have none).
fn dispatch(st: &mut State, c: &Ctx, r: &Req, segs: &[&str]) -> Option<Result<Resp, Resp>> {
    // The attachments API is 3.27+ (os-complete, 3.44+, checks its own).
    if segs.first() == Some(&"attachments") && segs.len() < 3 && c.mv < (3, 27) {
        return Some(Err(not_found("The resource could not be found.")));
    }
    let q = parse_query(r.query.as_deref());
    let q = q.as_slice();
    Some(match (r.method.as_str(), segs) {
        ("GET", ["volumes"]) => list(st, c, q, &st.volumes, false, |v| summary(v, c)),
        ("GET", ["volumes", "detail"]) => list(st, c, q, &st.volumes, true, |v| vol_json(st, v, c, true)),
        ("POST", ["volumes"]) => create_volume(st, c, r),
        ("GET", ["volumes", id]) => {
            find(&st.volumes, id).map(|v| Resp::json(200, &json!({"volume": vol_json(st, v, c, true)})))
        }
        ("PUT", ["volumes", id]) => update_volume(st, c, r, id),
        ("DELETE", ["volumes", id]) => delete_volume(st, id, false),
        ("POST", ["volumes", id, "action"]) => volume_action(st, c, r, id),
        ("GET", ["snapshots"]) => list(st, c, q, &st.snapshots, false, |s| snap_json(s, c, false, false)),
        ("GET", ["snapshots", "detail"]) => list(st, c, q, &st.snapshots, true, |s| snap_json(s, c, true, true)),
        ("POST", ["snapshots"]) => create_snapshot(st, c, r),
        ("GET", ["snapshots", id]) => {
            find(&st.snapshots, id).map(|s| Resp::json(200, &json!({"snapshot": snap_json(s, c, true, true)})))
        }
        ("DELETE", ["snapshots", id]) => delete_snapshot(st, id, false),
        ("POST", ["snapshots", id, "action"]) => {
            admin_action(st, r, id, |st| &st.snapshots, "snapshot_admin_actions", delete_snapshot)
        }
        ("GET", ["backups"]) => list(st, c, q, &st.backups, false, |b| summary(b, c)),
        ("GET", ["backups", "detail"]) => list(st, c, q, &st.backups, true, |b| backup_json(st, b, c)),
        ("POST", ["backups"]) => create_backup(st, c, r),
        ("GET", ["backups", id]) => {
            find(&st.backups, id).map(|b| Resp::json(200, &json!({"backup": backup_json(st, b, c)})))
        }
        ("DELETE", ["backups", id]) => delete_backup(st, id, false),
        ("POST", ["backups", id, "action"]) => {
            admin_action(st, r, id, |st| &st.backups, "backup_admin_actions", delete_backup)
        }
        ("POST", ["backups", id, "restore"]) => restore_backup(st, r, id),
        ("GET", ["attachments"]) => attachment_list(st, c, q, false),
        ("GET", ["attachments", "detail"]) => attachment_list(st, c, q, true),
        ("POST", ["attachments"]) => create_attachment(st, c, r),
        ("GET", ["attachments", id]) => {
            find(&st.attachments, id).map(|a| Resp::json(200, &json!({"attachment": attachment_json(a, true)})))
        }
        ("PUT", ["attachments", id]) => update_attachment(st, r, id),
        ("DELETE", ["attachments", id]) => delete_attachment(st, r, id),
        ("POST", ["attachments", id, "action"]) => attachment_action(st, c, r, id),
        ("GET", ["os-quota-sets", p]) => quota_get(st, p, q),
        ("PUT", ["os-quota-sets", p]) => quota_put(st, r, p),
        _ => return None,
    })
}
