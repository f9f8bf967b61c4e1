//! Volume transfers: `/os-volume-transfer` (the old extension) and
//! `/volume-transfers` (3.0+ too; `no_snapshots` from 3.55, paging and sorting
//! from 3.59). A transfer puts its volume `awaiting-transfer` until another
//! project accepts it with the auth key (the volume, and its snapshots unless
//! `no_snapshots`, then belong to that project; the transfer is gone) or the
//! transfer is deleted (the volume is `available` again).

use super::faults::{bad, over_limit, server_error};
use super::paging::{list, param, Col, ListRules, Listed};
use super::projects::{any_snapshots, any_snapshots_of, any_volume, any_volume_mut};
use super::quotas::{check_volume_count, gigabytes_used};
use super::resource::{find, find_mut, no_such};
use super::schema::{
    additional_properties, bool_field, invalid_field, missing_property, parse_body, required_object, uuid_value,
};
use super::Ctx;
use crate::server::Req;
use crate::state::{Resp, State, Transfer};
use crate::util::{pyrepr, ts, uuid4};
use serde_json::{json, Map, Value};

/// The columns of Cinder's transfers table: the filters (`name` is
/// `display_name`) and sort keys a list takes; any other filter matches nothing.
const COLUMNS: &[&str] = &[
    "id",
    "volume_id",
    "display_name",
    "salt",
    "crypt_hash",
    "expires_at",
    "no_snapshots",
    "source_project_id",
    "destination_project_id",
    "accepted",
    "created_at",
    "updated_at",
    "deleted_at",
    "deleted",
];

const FILTERS: &[&str] = &[
    "name",
    "id",
    "volume_id",
    "display_name",
    "salt",
    "crypt_hash",
    "expires_at",
    "no_snapshots",
    "source_project_id",
    "destination_project_id",
    "accepted",
    "created_at",
    "updated_at",
    "deleted_at",
    "deleted",
];

impl Listed for Transfer {
    const RULES: ListRules = ListRules::new(FILTERS, COLUMNS);
    const LIST: &'static str = "transfers";
    fn col(&self, name: &str) -> Option<Col<'_>> {
        Some(match name {
            "volume_id" => Col::text(&self.volume_id),
            "name" | "display_name" => Col::opt(&self.name),
            "source_project_id" => Col::text(&self.source_project_id),
            "created_at" => Col::Int(self.created_at),
            _ => return None,
        })
    }
}

/// The routes of `coll` (`os-volume-transfer` or `volume-transfers`).
pub(super) fn transfer_routes(
    st: &mut State,
    c: &Ctx,
    r: &Req,
    q: &[(String, String)],
    coll: &str,
    segs: &[&str],
) -> Option<Result<Resp, Resp>> {
    // The v3 controller (`volume-transfers`) has the microversioned schema and lists.
    let v3 = coll == "volume-transfers";
    Some(match (r.method.as_str(), segs) {
        ("GET", []) => list_transfers(st, c, q, v3, false),
        ("GET", ["detail"]) => list_transfers(st, c, q, v3, true),
        ("POST", []) => create_transfer(st, c, r, v3),
        ("GET", [id]) => visible(st, c, id).map(|t| Resp::json(200, &json!({"transfer": detail(t, c)}))),
        ("DELETE", [id]) => delete_transfer(st, c, id),
        ("POST", [id, "accept"]) => accept_transfer(st, c, r, id),
        _ => return None,
    })
}

/// The list view.
fn summary(t: &Transfer, c: &Ctx) -> Value {
    json!({"id": t.id, "volume_id": t.volume_id, "name": t.name, "links": c.links("os-volume-transfer", &t.id)})
}

/// The detail view (`auth_key`: the create answer's).
fn view(t: &Transfer, c: &Ctx, auth_key: bool) -> Value {
    let mut o = json!({"id": t.id, "created_at": ts(t.created_at), "name": t.name, "volume_id": t.volume_id,
                       "links": c.links("os-volume-transfer", &t.id)});
    if auth_key {
        o["auth_key"] = json!(t.auth_key);
    }
    c.add_since(
        &mut o,
        [
            ("3.55", "no_snapshots", json!(t.no_snapshots)),
            ("3.57", "destination_project_id", Value::Null),
            ("3.57", "source_project_id", json!(t.source_project_id)),
            ("3.57", "accepted", json!(false)),
        ],
    );
    o
}

fn detail(t: &Transfer, c: &Ctx) -> Value {
    view(t, c, false)
}

/// Whether transfer `t` is of the request's project (its volume is).
fn mine(st: &State, t: &Transfer) -> bool {
    st.volumes.iter().any(|v| v.id == t.volume_id)
}

/// Transfer `id` as the request may see it: of its project, or any for an admin.
fn visible<'a>(st: &'a State, c: &Ctx, id: &str) -> Result<&'a Transfer, Resp> {
    let t = find(&st.transfers, id)?;
    if c.admin || mine(st, t) {
        Ok(t)
    } else {
        Err(no_such::<Transfer>(id))
    }
}

/// `GET` a list: the project's transfers (an admin's `all_tenants`: all).
/// Every parameter is a filter on a column (`name`: `display_name`), one on no
/// column matches nothing, oldest first; but from 3.59 on `volume-transfers`
/// `limit`, `marker`, `offset` and `sort` page and sort it (newest first), with
/// next links.
fn list_transfers(st: &State, c: &Ctx, q: &[(String, String)], v3: bool, is_detail: bool) -> Result<Resp, Resp> {
    let all = c.admin
        && param(q, "all_tenants")
            .is_some_and(|a| matches!(a.to_lowercase().as_str(), "1" | "t" | "true" | "on" | "y" | "yes"));
    let q: Vec<(String, String)> = q.iter().filter(|(k, _)| k != "all_tenants").cloned().collect();
    let paged = v3 && c.mv >= (3, 59);
    const PAGING: [&str; 6] = ["limit", "marker", "offset", "sort", "sort_key", "sort_dir"];
    let filters: Vec<&(String, String)> = q
        .iter()
        .filter(|(k, _)| !paged || !PAGING.contains(&k.as_str()))
        .collect();
    if filters.iter().any(|(k, _)| !FILTERS.contains(&k.as_str())) {
        return Ok(Resp::json(200, &json!({"transfers": []})));
    }
    let mut rows: Vec<Transfer> = st.transfers.iter().filter(|t| all || mine(st, t)).cloned().collect();
    rows.retain(|t| {
        filters
            .iter()
            .all(|(k, v)| t.col(k).is_some_and(|col| col == Col::text(v)))
    });
    let show = |t: &Transfer| if is_detail { detail(t, c) } else { summary(t, c) };
    if paged {
        return list(st, c, &q, &rows, is_detail, show);
    }
    rows.sort_by(|a, b| (a.created_at, &a.id).cmp(&(b.created_at, &b.id)));
    rows.truncate(st.opts.max_page.max(1));
    let items: Vec<Value> = rows.iter().map(show).collect();
    Ok(Resp::json(200, &json!({ "transfers": items })))
}

/// A transfer's `name`: a string with something in it (at most 255 characters,
/// stripped) or null; any other value trips Cinder's format check (a 500).
fn transfer_name(obj: &Map<String, Value>) -> Result<Option<String>, Resp> {
    match obj.get("name") {
        None | Some(Value::Null) => Ok(None),
        Some(v @ Value::String(s)) => {
            let stripped = s.trim();
            if stripped.is_empty() || stripped.chars().count() > 255 {
                let why = format!("{} is not valid under any of the given schemas", pyrepr(v));
                return Err(invalid_field("name", v, &why));
            }
            Ok(Some(stripped.to_string()))
        }
        Some(_) => Err(server_error()),
    }
}

/// The body of a create: `volume_id`, `name`, and (on `volume-transfers`, 3.55+)
/// `no_snapshots`.
fn create_body(c: &Ctx, r: &Req, v3: bool) -> Result<(String, Option<String>, bool), Resp> {
    let body = parse_body(r)?;
    let obj = required_object(&body, "transfer", false)?;
    let vid = obj.get("volume_id").map(|v| uuid_value("volume_id", v)).transpose()?;
    let name = transfer_name(obj)?;
    let with_snapshots_flag = v3 && c.mv >= (3, 55);
    let no_snapshots = if with_snapshots_flag {
        bool_field(obj, "no_snapshots")?.unwrap_or(false)
    } else {
        false
    };
    let Some(vid) = vid else {
        return Err(missing_property("transfer", obj, "volume_id"));
    };
    let keys: &[&str] = if with_snapshots_flag {
        &["volume_id", "name", "no_snapshots"]
    } else {
        &["volume_id", "name"]
    };
    additional_properties(Some("transfer"), obj, keys)?;
    additional_properties(None, body.as_object().unwrap_or(obj), &["transfer"])?;
    Ok((vid, name, no_snapshots))
}

/// `POST` (202): an available volume whose snapshots (unless `no_snapshots`)
/// are all available; the answer has the auth key.
fn create_transfer(st: &mut State, c: &Ctx, r: &Req, v3: bool) -> Result<Resp, Resp> {
    let (vid, name, no_snapshots) = create_body(c, r, v3)?;
    let v = find(&st.volumes, &vid)?;
    if v.status != "available" {
        return Err(bad("Invalid volume: status must be available"));
    }
    if !no_snapshots {
        if let Some((s, _)) = any_snapshots(st, &vid).find(|(s, _)| s.status != "available") {
            return Err(bad(&format!(
                "Invalid snapshot: snapshot: {} status must be available",
                s.id
            )));
        }
    }
    let now = st.now();
    let auth_key: String = (0..16).map(|_| format!("{:x}", fastrand::u8(..16))).collect();
    let t = Transfer {
        id: uuid4(),
        volume_id: vid.clone(),
        name,
        auth_key,
        created_at: now,
        no_snapshots,
        source_project_id: c.project.clone(),
    };
    let v = find_mut(&mut st.volumes, &vid)?;
    (v.status, v.updated_at) = ("awaiting-transfer".into(), Some(now));
    let out = json!({"transfer": view(&t, c, true)});
    st.transfers.push(t);
    Ok(Resp::json(202, &out))
}

/// `DELETE` (202): the transfer is gone, its volume `available` again (if it
/// was still awaiting the transfer).
fn delete_transfer(st: &mut State, c: &Ctx, id: &str) -> Result<Resp, Resp> {
    let vid = visible(st, c, id)?.volume_id.clone();
    st.transfers.retain(|t| t.id != id);
    let now = st.now();
    if let Some(v) = any_volume_mut(st, &vid).filter(|v| v.status == "awaiting-transfer") {
        (v.status, v.updated_at) = ("available".into(), Some(now));
    }
    Ok(Resp::empty(202, "text/html; charset=UTF-8"))
}

/// The `auth_key` of an accept body (a string, or an integer as its digits).
fn accept_body(r: &Req) -> Result<String, Resp> {
    let body = parse_body(r)?;
    let obj = required_object(&body, "accept", false)?;
    let key = match obj.get("auth_key") {
        None => None,
        Some(Value::String(s)) => Some(s.clone()),
        Some(Value::Number(n)) if n.is_i64() || n.is_u64() => Some(n.to_string()),
        Some(v) => {
            return Err(invalid_field(
                "auth_key",
                v,
                &format!("{} is not of type 'string', 'integer'", pyrepr(v)),
            ))
        }
    };
    let Some(key) = key else {
        return Err(missing_property("accept", obj, "auth_key"));
    };
    additional_properties(Some("accept"), obj, &["auth_key"])?;
    additional_properties(None, body.as_object().unwrap_or(obj), &["accept"])?;
    Ok(key)
}

/// `POST .../accept` (202) by any project that has the auth key (the transfer's
/// own too): within the accepting project's quota, the volume (and its
/// available snapshots, unless `no_snapshots`) becomes that project's,
/// `available`; the transfer is gone (accepting again: 404).
fn accept_transfer(st: &mut State, c: &Ctx, r: &Req, id: &str) -> Result<Resp, Resp> {
    let key = accept_body(r)?;
    let t = find(&st.transfers, id)?.clone();
    if key != t.auth_key {
        return Err(bad(&format!(
            "Invalid auth key: Attempt to transfer {id} with invalid auth key."
        )));
    }
    let Some(v) = any_volume(st, &t.volume_id) else {
        return Err(no_such::<Transfer>(id));
    };
    let (size, status) = (v.size, v.status.clone());
    // The accepting project's quota (the volume is still counted where it is).
    let q = st.quota("gigabytes");
    let used = gigabytes_used(st);
    if q >= 0 && used + size > q {
        return Err(over_limit(&format!(
            "Requested volume or snapshot exceeds allowed gigabytes quota. Requested {size}G, quota is {q}G and {used}G has been consumed."
        )));
    }
    check_volume_count(st)?;
    if status == "maintenance" {
        return Err(bad(
            "Invalid volume: The volume cannot accept transfer in maintenance mode.",
        ));
    }
    if status != "awaiting-transfer" {
        return Err(bad(&format!(
            "Invalid volume: Transfer {id}: Volume id {} expected in awaiting-transfer state.",
            t.volume_id
        )));
    }
    let now = st.now();
    if let Some(v) = any_volume_mut(st, &t.volume_id) {
        (v.status, v.updated_at, v.project_id) = ("available".into(), Some(now), c.project.clone());
    }
    if !t.no_snapshots {
        for s in any_snapshots_of(st, &t.volume_id).filter(|s| s.status == "available") {
            (s.project_id, s.updated_at) = (c.project.clone(), Some(now));
        }
    }
    st.transfers.retain(|x| x.id != id);
    Ok(Resp::json(202, &json!({"transfer": summary(&t, c)})))
}
