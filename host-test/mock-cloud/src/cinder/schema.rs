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

/// A string (or null) of at most 255 characters (`nullable_string` and kin).
pub(super) fn opt_short_str(obj: &Map<String, Value>, k: &str) -> Result<Option<String>, Resp> {
    let s = opt_str(obj, k)?;
    match s.as_deref() {
        Some(long) if long.chars().count() > 255 => Err(too_long(k, &Value::from(long))),
        _ => Ok(s),
    }
}

/// The `metadata` of a create body: absent or null is none (`metadata_allows_null`).
pub(super) fn metadata(obj: &Map<String, Value>) -> Result<Map<String, Value>, Resp> {
    match obj.get("metadata") {
        None | Some(Value::Null) => Ok(Map::new()),
        Some(v @ Value::Object(_)) => metadata_value("metadata", v, true),
        Some(other) => Err(invalid_field(
            "metadata",
            other,
            &format!("{} is not of type 'object', 'null'", pyrepr(other)),
        )),
    }
}

/// Key/value pairs as Cinder's `extra_specs` schema checks them (the field
/// `field`): keys of 1 to 255 of `[a-zA-Z0-9-_:. /]` (no `/` in snapshot
/// metadata: `slash` false), string values of at most 255 characters.
pub(super) fn metadata_value(field: &str, v: &Value, slash: bool) -> Result<Map<String, Value>, Resp> {
    metadata_with(field, v, slash, |_| Ok(()))
}

/// [`metadata_value`] with the object's own checks (`count`: its number of
/// properties). Cinder reports the first error its schema meets: the values of
/// good keys, then bad keys, then the count.
pub(super) fn metadata_with(
    field: &str,
    v: &Value,
    slash: bool,
    count: impl Fn(&Map<String, Value>) -> Result<(), Resp>,
) -> Result<Map<String, Value>, Resp> {
    let Value::Object(m) = v else {
        return Err(invalid_field(
            field,
            v,
            &format!("{} is not of type 'object'", pyrepr(v)),
        ));
    };
    let key_ok = |k: &str| {
        (1..=255).contains(&k.chars().count())
            && k.chars()
                .all(|c| c.is_ascii_alphanumeric() || "-_:. ".contains(c) || (slash && c == '/'))
    };
    for (k, val) in m.iter().filter(|(k, _)| key_ok(k)) {
        match val.as_str() {
            None => {
                return Err(invalid_field(
                    k,
                    val,
                    &format!("{} is not of type 'string'", pyrepr(val)),
                ))
            }
            Some(s) if s.chars().count() > 255 => return Err(too_long(k, val)),
            Some(_) => {}
        }
    }
    let bad: Vec<String> = m.keys().filter(|k| !key_ok(k)).map(|k| format!("'{k}'")).collect();
    if !bad.is_empty() {
        let pattern = if slash {
            "^[a-zA-Z0-9-_:. /]{1,255}$"
        } else {
            "^[a-zA-Z0-9-_:. ]{1,255}$"
        };
        let verb = if bad.len() == 1 {
            "does not match"
        } else {
            "do not match"
        };
        let why = format!("{} {verb} any of the regexes: '{pattern}'", bad.join(", "));
        return Err(invalid_field(field, v, &why));
    }
    count(m)?;
    Ok(m.clone())
}

/// jsonschema's `maxLength` failing for the string `v` of field `k`.
pub(super) fn too_long(k: &str, v: &Value) -> Resp {
    invalid_field(k, v, &format!("{} is too long", pyrepr(v)))
}

const BOOL_VALUES: &str = "[True, 'True', 'TRUE', 'true', '1', 'ON', 'On', 'on', 'YES', 'Yes', 'yes', 'y', 't', False, 'False', 'FALSE', 'false', '0', 'OFF', 'Off', 'off', 'NO', 'No', 'no', 'n', 'f']";

/// A `parameter_types.boolean` field: absent is None; a boolean or one of
/// oslo's boolean strings, else the type (null included) or enum error.
pub(super) fn bool_field(obj: &Map<String, Value>, k: &str) -> Result<Option<bool>, Resp> {
    match obj.get(k) {
        None => Ok(None),
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
            &format!("{} is not of type 'boolean', 'string'", pyrepr(v)),
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

/// An update schema's `anyOf` of `required` keys: the object has one of `keys`.
fn any_of(what: &str, obj: &Map<String, Value>, keys: &[&str]) -> Result<(), Resp> {
    if keys.iter().any(|k| obj.contains_key(*k)) {
        return Ok(());
    }
    let v = Value::Object(obj.clone());
    Err(invalid_field(
        what,
        &v,
        &format!("{} is not valid under any of the given schemas", pyrepr(&v)),
    ))
}

/// New names and descriptions from an update body (`Some(None)` clears one).
#[derive(Default)]
pub(super) struct Texts {
    pub(super) name: Option<Option<String>>,
    pub(super) description: Option<Option<String>>,
}

impl Texts {
    /// Sets what was given.
    pub(super) fn apply(self, name: &mut Option<String>, description: &mut Option<String>) {
        if let Some(n) = self.name {
            *name = n;
        }
        if let Some(d) = self.description {
            *description = d;
        }
    }
}

/// How an update body (`{what: {...}}`) is checked: the properties it may have
/// (its texts read by [`update_texts`], `metadata` last), whether it needs one
/// of them (`anyOf`), whether `what` may be null (the handler then fails: a 500).
pub(super) struct UpdateSchema<'a> {
    pub(super) what: &'a str,
    pub(super) keys: &'a [&'a str],
    pub(super) stripped_limit: bool,
    pub(super) at_least_one: bool,
    pub(super) nullable: bool,
}

impl UpdateSchema<'_> {
    /// The texts and metadata of `body`. Cinder reports the first error its
    /// schema meets: the object's properties in order, its own, then the body's.
    pub(super) fn check(&self, body: &Value) -> Result<(Texts, Option<Map<String, Value>>), Resp> {
        let obj = required_object(body, self.what, self.nullable)?;
        let texts = update_texts(obj, self.keys, self.stripped_limit)?;
        let meta = match obj.get("metadata").filter(|_| self.keys.contains(&"metadata")) {
            Some(m) => Some(metadata_value("metadata", m, true)?),
            None => None,
        };
        additional_properties(Some(self.what), obj, self.keys)?;
        if self.at_least_one {
            any_of(self.what, obj, self.keys)?;
        }
        additional_properties(None, body.as_object().unwrap_or(obj), &[self.what])?;
        Ok((texts, meta))
    }
}

/// The `name` and `description` (and such of `display_name`, `display_description`
/// as are in `keys`) of an update body, stripped of surrounding whitespace;
/// `name` wins over `display_name`. `stripped_limit`: the volume schema's format
/// check (255 after stripping); else jsonschema's `maxLength`.
fn update_texts(obj: &Map<String, Value>, keys: &[&str], stripped_limit: bool) -> Result<Texts, Resp> {
    let mut given: Vec<(&str, Option<String>)> = Vec::new();
    for k in keys
        .iter()
        .filter(|k| k.ends_with("name") || k.ends_with("description"))
    {
        let s = match obj.get(*k) {
            None => continue,
            Some(Value::String(s)) => s,
            Some(Value::Null) => {
                given.push((k, None));
                continue;
            }
            Some(v) => {
                let why = format!("{} is not of type 'string', 'null'", pyrepr(v));
                return Err(invalid_field(k, v, &why));
            }
        };
        let entity = if k.ends_with("name") { "name" } else { "description" };
        let n = s.trim().chars().count();
        if stripped_limit && n > 255 {
            return Err(bad(&format!(
                "Invalid input received: {entity} has {n} characters, more than 255."
            )));
        }
        if !stripped_limit && s.chars().count() > 255 {
            return Err(too_long(k, &Value::from(s.as_str())));
        }
        given.push((k, Some(s.trim().to_string())));
    }
    let pick = |a: &str, b: &str| {
        let get = |k: &str| given.iter().find(|(g, _)| *g == k).map(|(_, v)| v.clone());
        get(a).or_else(|| get(b))
    };
    Ok(Texts {
        name: pick("name", "display_name"),
        description: pick("description", "display_description"),
    })
}
