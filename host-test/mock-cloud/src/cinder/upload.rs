//! `os-volume_upload_image`: a volume copied to a new image (`uploading` a
//! while, then back to `available`), or, without an image service
//! ([`crate::MockOptions::glance`] false), the real test Cinder's failure.

use super::actions::action_object;
use super::faults::{bad, forbidden};
use super::resource::find_mut;
use super::schema::{additional_properties, bool_field, invalid_field, missing_property, too_long};
use super::Ctx;
use crate::state::{Op, Resp, State, DEFAULT_TYPE_ID};
use crate::util::{pyrepr, ts, uuid4};
use serde_json::{json, Map, Value};

/// What the real test Cinder answers: its `glance_api_servers` is
/// `http://127.0.0.1:1`, where nothing listens.
pub(super) const NO_GLANCE: &str = "Connection to glance failed: Error finding address for http://127.0.0.1:1/v2/schemas/image: HTTPConnectionPool(host='127.0.0.1', port=1): Max retries exceeded with url: /v2/schemas/image (Caused by NewConnectionError(\"HTTPConnection(host='127.0.0.1', port=1): Failed to establish a new connection: [Errno 111] ECONNREFUSED\"))";

const DISK_FORMATS: [&str; 7] = ["raw", "vmdk", "vdi", "qcow2", "vhd", "vhdx", "ploop"];
const VISIBILITIES: [&str; 4] = ["community", "public", "private", "shared"];

/// An upload request, checked.
struct Upload {
    image_name: String,
    disk_format: String,
    container_format: Value,
    /// None below 3.1 (Glance's defaults then).
    visibility: Option<String>,
    protected: bool,
}

/// `'x' is not one of ['a', 'b']`.
fn not_one_of(v: &Value, allowed: &[&str]) -> String {
    let list: Vec<String> = allowed.iter().map(|a| format!("'{a}'")).collect();
    format!("{} is not one of [{}]", pyrepr(v), list.join(", "))
}

/// A string property restricted to `allowed` (None: absent).
fn enum_str(obj: &Map<String, Value>, k: &str, allowed: &[&str]) -> Result<Option<String>, Resp> {
    match obj.get(k) {
        None => Ok(None),
        Some(Value::String(s)) if allowed.contains(&s.as_str()) => Ok(Some(s.clone())),
        Some(v @ Value::String(_)) => Err(invalid_field(k, v, &not_one_of(v, allowed))),
        Some(v) => Err(invalid_field(k, v, &format!("{} is not of type 'string'", pyrepr(v)))),
    }
}

/// The body as the schema of the microversion checks it (`visibility` and
/// `protected` from 3.1), its properties in order, then the required
/// `image_name`, then no other property. `force` is checked, then ignored (the
/// real one's `enable_force_upload` is off).
fn upload_body(c: &Ctx, arg: &Value) -> Result<Upload, Resp> {
    let action = "os-volume_upload_image";
    let obj = action_object(action, arg)?;
    let image_name = match obj.get("image_name") {
        None => None,
        Some(v @ Value::String(s)) if s.is_empty() => {
            return Err(invalid_field(
                "image_name",
                v,
                &format!("{} should be non-empty", pyrepr(v)),
            ))
        }
        Some(v @ Value::String(s)) if s.chars().count() > 255 => return Err(too_long("image_name", v)),
        Some(Value::String(s)) => Some(s.clone()),
        Some(v) => {
            return Err(invalid_field(
                "image_name",
                v,
                &format!("{} is not of type 'string'", pyrepr(v)),
            ))
        }
    };
    bool_field(obj, "force")?;
    let disk_format = enum_str(obj, "disk_format", &DISK_FORMATS)?;
    let container_format = match obj.get("container_format") {
        None => json!("bare"),
        Some(v @ Value::String(s)) if s.chars().count() > 255 => return Err(too_long("container_format", v)),
        Some(v @ (Value::String(_) | Value::Null)) => v.clone(),
        Some(v) => {
            return Err(invalid_field(
                "container_format",
                v,
                &format!("{} is not of type 'string', 'null'", pyrepr(v)),
            ))
        }
    };
    let v31 = c.mv >= (3, 1);
    let (visibility, protected) = if v31 {
        let vis = enum_str(obj, "visibility", &VISIBILITIES)?.unwrap_or_else(|| "private".into());
        (Some(vis), bool_field(obj, "protected")?.unwrap_or(false))
    } else {
        (None, false)
    };
    let Some(image_name) = image_name else {
        return Err(missing_property(action, obj, "image_name"));
    };
    let keys: &[&str] = &[
        "image_name",
        "force",
        "disk_format",
        "container_format",
        "visibility",
        "protected",
    ];
    additional_properties(Some(action), obj, if v31 { keys } else { &keys[..4] })?;
    Ok(Upload {
        image_name,
        disk_format: disk_format.unwrap_or_else(|| "raw".into()),
        container_format,
        visibility,
        protected,
    })
}

/// The volume type as Cinder's upload answer shows it: the whole object.
fn type_object(st: &State, type_id: &str) -> Value {
    let Some(t) = st.volume_types.iter().find(|t| t.id == type_id) else {
        return Value::Null;
    };
    let updated = if t.id == DEFAULT_TYPE_ID {
        json!(ts(t.created_at))
    } else {
        Value::Null
    };
    json!({"id": t.id, "name": t.name, "description": t.description, "is_public": t.is_public,
           "extra_specs": t.extra_specs, "qos_specs_id": t.qos_specs_id, "created_at": ts(t.created_at),
           "updated_at": updated, "deleted_at": null, "deleted": false})
}

/// `os-volume_upload_image` (202): an available volume becomes an image.
/// Public images are for admins only (3.1+).
pub(super) fn upload_to_image(st: &mut State, c: &Ctx, id: &str, arg: &Value) -> Result<Resp, Resp> {
    let u = upload_body(c, arg)?;
    find_mut(&mut st.volumes, id)?;
    if u.visibility.as_deref() == Some("public") && !c.admin {
        return Err(forbidden("volume_extension:volume_actions:upload_public"));
    }
    let glance = st.opts.glance;
    let now = st.now();
    let v = find_mut(&mut st.volumes, id)?;
    if v.status != "available" {
        return Err(bad(&format!("Invalid volume: Volume {id} status must be available")));
    }
    if !glance {
        return Err(bad(NO_GLANCE));
    }
    let before = v.updated_at;
    v.previous_status = Some(v.status.clone());
    (v.status, v.updated_at) = ("uploading".into(), Some(now));
    let (description, size, type_id) = (v.description.clone(), v.size, v.volume_type_id.clone());
    st.schedule(Op::vol_status(id, "available"));
    let out = json!({"os-volume_upload_image": {
        "id": id, "updated_at": before.map(ts), "status": "uploading",
        "display_description": description, "size": size, "volume_type": type_object(st, &type_id),
        "image_id": uuid4(), "container_format": u.container_format, "disk_format": u.disk_format,
        "image_name": u.image_name, "protected": u.protected,
        // Glance's own default below 3.1.
        "visibility": u.visibility.unwrap_or_else(|| "shared".into()),
    }});
    Ok(Resp::json(202, &out))
}
