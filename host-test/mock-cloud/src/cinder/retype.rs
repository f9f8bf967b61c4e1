//! `os-retype`: a volume changes its type (`retyping` a while, then its status
//! again, with the new type).

use super::actions::action_object;
use super::faults::{bad, not_found};
use super::resource::find_mut;
use super::schema::{additional_properties, invalid_field, missing_property};
use crate::state::{Op, Resp, State, VolumeType};
use crate::util::{is_uuid_like, pyrepr};
use serde_json::Value;

const POLICIES: &str = "['on-demand', 'never']";

/// The `os-retype` body: `new_type` (a name or an id) and `migration_policy`
/// (`never`, the default, or `on-demand`: the mock's backend migrates nothing either way).
fn retype_body(arg: &Value) -> Result<String, Resp> {
    let obj = action_object("os-retype", arg)?;
    let new_type = match obj.get("new_type") {
        None => None,
        Some(Value::String(s)) => Some(s.clone()),
        Some(v) => {
            return Err(invalid_field(
                "new_type",
                v,
                &format!("{} is not of type 'string'", pyrepr(v)),
            ))
        }
    };
    match obj.get("migration_policy") {
        None => {}
        Some(Value::String(p)) if p == "on-demand" || p == "never" => {}
        Some(v @ (Value::String(_) | Value::Null)) => {
            return Err(invalid_field(
                "migration_policy",
                v,
                &format!("{} is not one of {POLICIES}", pyrepr(v)),
            ))
        }
        Some(v) => {
            return Err(invalid_field(
                "migration_policy",
                v,
                &format!("{} is not of type 'string', 'null'", pyrepr(v)),
            ))
        }
    }
    let Some(new_type) = new_type else {
        return Err(missing_property("os-retype", obj, "new_type"));
    };
    additional_properties(Some("os-retype"), obj, &["new_type", "migration_policy"])?;
    Ok(new_type)
}

/// The type `name_or_id` names: an id (or a name in the form of one), else a
/// name (the empty one included).
fn named_type<'a>(st: &'a State, name_or_id: &str) -> Result<&'a VolumeType, Resp> {
    let by_name = |n: &str| st.volume_types.iter().find(|t| t.name == n);
    if is_uuid_like(name_or_id) {
        let by_id = st.volume_types.iter().find(|t| t.id == name_or_id);
        return by_id
            .or_else(|| by_name(name_or_id))
            .ok_or_else(|| not_found(&format!("Volume type {name_or_id} could not be found.")));
    }
    by_name(name_or_id).ok_or_else(|| not_found(&format!("Volume type with name {name_or_id} could not be found.")))
}

/// Whether a type makes multiattach volumes.
fn multiattach(t: &VolumeType) -> bool {
    t.extra_specs.get("multiattach").and_then(Value::as_str) == Some("<is> True")
}

/// `os-retype` (202): an available or in-use volume to another type.
pub(super) fn retype(st: &mut State, id: &str, arg: &Value) -> Result<Resp, Resp> {
    let new_type = retype_body(arg)?;
    find_mut(&mut st.volumes, id)?;
    let t = named_type(st, &new_type)?;
    let (type_name, type_id, to_multiattach) = (t.name.clone(), t.id.clone(), multiattach(t));
    let now = st.now();
    let v = find_mut(&mut st.volumes, id)?;
    if v.multiattach != to_multiattach && v.status != "available" {
        return Err(bad(&format!("Invalid input received: Invalid volume_type passed, retypes affecting multiattach are only allowed on available volumes, the specified volume however currently has a status of: {}.", v.status)));
    }
    if !(v.status == "available" || v.status == "in-use") || v.volume_type_id == type_id {
        return Err(bad("Invalid volume: Retype needs volume to be in available or in-use state, not be part of an active migration or a consistency group, requested type has to be different that the one from the volume, and for in-use volumes front-end qos specs cannot change."));
    }
    v.previous_status = Some(v.status.clone());
    (v.status, v.updated_at, v.multiattach) = ("retyping".into(), Some(now), to_multiattach);
    st.schedule(Op::VolRetype {
        id: id.to_string(),
        type_name,
        type_id,
    });
    Ok(Resp::empty(202, "application/json"))
}
