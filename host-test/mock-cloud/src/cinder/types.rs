//! Volume types: `GET /types`, `/types/{id}` and `/types/default`, and the type a
//! new volume gets (by name or id, `__DEFAULT__` when none is named).

use super::faults::{bad, not_found};
use super::paging::{list, metadata_matches, param, Col, ListRules, Listed};
use super::Ctx;
use crate::state::{Resp, State, VolumeType};
use crate::util::is_uuid_like;
use serde_json::{json, Map, Value};

impl Listed for VolumeType {
    const RULES: ListRules = ListRules::new(
        &["is_public", "extra_specs"],
        &[
            "id",
            "name",
            "description",
            "is_public",
            "qos_specs_id",
            "created_at",
            "updated_at",
        ],
    )
    .legacy(&["is_public"], (3, 52))
    .lenient();
    const LIST: &'static str = "volume_types";
    fn links_key() -> String {
        "volume_type_links".into()
    }
    fn col(&self, name: &str) -> Option<Col<'_>> {
        Some(match name {
            "name" => Col::text(&self.name),
            "description" => Col::opt(&self.description),
            "qos_specs_id" => Col::opt(&self.qos_specs_id),
            "created_at" => Col::Int(self.created_at),
            _ => return None,
        })
    }
    fn meta(&self) -> Option<&Map<String, Value>> {
        Some(&self.extra_specs)
    }
}

/// The extra specs Cinder's default policy shows to non-admins.
const USER_VISIBLE_SPECS: [&str; 3] = ["RESKEY:availability_zones", "multiattach", "replication_enabled"];

/// A type as `c` may see it: the extra specs a member may see, `qos_specs_id`
/// for admins, and `os-volume-type-access:is_public` unless `access` is false
/// (`/types/default` lacks it).
fn type_json(t: &VolumeType, c: &Ctx, access: bool) -> Value {
    let specs: Map<String, Value> = t
        .extra_specs
        .iter()
        .filter(|(k, _)| c.admin || USER_VISIBLE_SPECS.contains(&k.as_str()))
        .map(|(k, v)| (k.clone(), v.clone()))
        .collect();
    let mut o = json!({"id": t.id, "name": t.name, "is_public": t.is_public,
        "description": t.description, "extra_specs": specs});
    if c.admin {
        o["qos_specs_id"] = json!(t.qos_specs_id);
    }
    if access {
        o["os-volume-type-access:is_public"] = json!(t.is_public);
    }
    o
}

/// `GET /types/{id}`; `default` is the default type at any microversion
/// (documented as 3.62+).
pub(super) fn show_type(st: &State, c: &Ctx, id: &str) -> Result<Resp, Resp> {
    let (t, access) = match id {
        "default" => (&st.volume_types[0], false),
        _ => (type_by_id(st, id)?, true),
    };
    Ok(Resp::json(200, &json!({"volume_type": type_json(t, c, access)})))
}

fn type_by_id<'a>(st: &'a State, id: &str) -> Result<&'a VolumeType, Resp> {
    st.volume_types
        .iter()
        .find(|t| t.id == id)
        .ok_or_else(|| not_found(&format!("Volume type {id} could not be found.")))
}

/// The type a volume create names (`volume_type`: a name, or an id); the
/// default one when it names none.
pub(super) fn requested_type<'a>(st: &'a State, asked: Option<&str>) -> Result<&'a VolumeType, Resp> {
    let by_name = |n: &str| st.volume_types.iter().find(|t| t.name == n);
    match asked.filter(|a| !a.is_empty()) {
        None => Ok(&st.volume_types[0]),
        Some(a) if is_uuid_like(a) => type_by_id(st, a).or_else(|e| by_name(a).ok_or(e)),
        Some(a) => by_name(a).ok_or_else(|| not_found(&format!("Volume type with name {a} could not be found."))),
    }
}

/// `GET /types`: an admin may ask for private types (`is_public=false`) or all
/// (`is_public=None`); a member sees public ones and those shared with the
/// project (here all). `extra_specs={...}` keeps the types that have those
/// (a member asking for one it may not see gets none).
pub(super) fn list_types(st: &State, c: &Ctx, q: &[(String, String)]) -> Result<Resp, Resp> {
    let public = match param(q, "is_public") {
        Some(p) if c.admin => parse_is_public(p)?,
        _ => Some(true),
    };
    let specs_filter = param(q, "extra_specs").filter(|_| c.admin || c.mv >= (3, 52));
    let hidden = specs_filter.is_some_and(|f| !c.admin && !only_visible_specs(f));
    let types: Vec<VolumeType> = st
        .volume_types
        .iter()
        .filter(|t| public != Some(false) || !t.is_public)
        .filter(|t| specs_filter.is_none_or(|f| metadata_matches(&t.extra_specs, f)) && !hidden)
        .cloned()
        .collect();
    let rest: Vec<(String, String)> = q
        .iter()
        .filter(|(k, _)| k != "is_public" && k != "extra_specs")
        .cloned()
        .collect();
    list(st, c, &rest, &types, false, |t| type_json(t, c, true))
}

/// `is_public`: a boolean, or `None` (all types).
fn parse_is_public(p: &str) -> Result<Option<bool>, Resp> {
    const TRUE: [&str; 6] = ["1", "t", "true", "on", "y", "yes"];
    const FALSE: [&str; 6] = ["0", "f", "false", "off", "n", "no"];
    let l = p.to_lowercase();
    if l == "none" {
        Ok(None)
    } else if TRUE.contains(&l.as_str()) {
        Ok(Some(true))
    } else if FALSE.contains(&l.as_str()) {
        Ok(Some(false))
    } else {
        Err(bad(&format!("Invalid is_public filter [{p}]")))
    }
}

/// Whether an `extra_specs` filter names only specs a member may see.
fn only_visible_specs(filter: &str) -> bool {
    serde_json::from_str::<Map<String, Value>>(&filter.replace('\'', "\""))
        .map(|f| f.keys().all(|k| USER_VISIBLE_SPECS.contains(&k.as_str())))
        .unwrap_or(true)
}
