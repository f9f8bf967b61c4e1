//! Request bodies checked as Cinder's JSON schemas check them, with jsonschema's
//! messages (Python reprs of the offending values).

use super::faults::{bad, malformed_body, server_error};
use crate::server::Req;
use crate::state::Resp;
use crate::util::{is_uuid_like, pyrepr, pystr};
use serde_json::{Map, Value};

pub(super) fn invalid_field(field: &str, value: &Value, why: &str) -> Resp {
    bad(&format!(
        "Invalid input for field/attribute {field}. Value: {}. {why}",
        pystr(value)
    ))
}

pub(super) fn parse_body(r: &Req) -> Result<Value, Resp> {
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
pub(super) fn int_field(field: &str, v: &Value, min: i64) -> Result<i64, Resp> {
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

pub(super) fn opt_str(obj: &Map<String, Value>, k: &str) -> Result<Option<String>, Resp> {
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

pub(super) fn metadata(obj: &Map<String, Value>) -> Result<Map<String, Value>, Resp> {
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

pub(super) fn bool_field(obj: &Map<String, Value>, k: &str) -> Result<Option<bool>, Resp> {
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
pub(super) fn required_object<'a>(body: &'a Value, key: &str, nullable: bool) -> Result<&'a Map<String, Value>, Resp> {
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
pub(super) fn missing_property(what: &str, obj: &Map<String, Value>, key: &str) -> Resp {
    invalid_field(
        what,
        &Value::Object(obj.clone()),
        &format!("'{key}' is a required property"),
    )
}

/// jsonschema's `additionalProperties: false` on `obj`: the field `what`, or the
/// whole body (None). Unexpected keys are listed sorted.
pub(super) fn additional_properties(
    what: Option<&str>,
    obj: &Map<String, Value>,
    allowed: &[&str],
) -> Result<(), Resp> {
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
pub(super) fn uuid_value(field: &str, v: &Value) -> Result<String, Resp> {
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
pub(super) fn str_or_alias(obj: &Map<String, Value>, k: &str, alias: &str) -> Result<Option<String>, Resp> {
    match opt_str(obj, k)? {
        Some(s) => Ok(Some(s)),
        None => opt_str(obj, alias),
    }
}

/// The `volume_id` of a snapshot or backup request (`what`). The snapshot
/// schema is an `anyOf` (`any_of`): any bad value gets its one message.
pub(super) fn volume_id_field(obj: &Map<String, Value>, what: &str, any_of: bool) -> Result<String, Resp> {
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
