//! The metadata of volumes and snapshots: `/{volumes|snapshots}/{id}/metadata`
//! (`GET`; `POST` merges, `PUT` replaces, both answer the whole metadata) and
//! `/metadata/{key}` (`GET`, `PUT` one key, `DELETE`).

use super::faults::{bad, not_found};
use super::resource::find_mut;
use super::schema::{additional_properties, invalid_field, metadata_value, metadata_with, parse_body};
use crate::server::Req;
use crate::state::{Resource, Resp, Snapshot, State, Volume};
use crate::util::unquote_plus;
use serde_json::{json, Map, Value};

/// A resource with metadata of its own.
pub(super) trait HasMetadata: Resource {
    /// Whether keys may hold `/` (volumes' may, snapshots' not).
    const SLASH: bool;
    /// Whether a body may carry other properties (snapshots' may).
    const LOOSE_BODY: bool;
    fn metadata_mut(&mut self) -> &mut Map<String, Value>;
}

macro_rules! has_metadata {
    ($t:ty, slash: $slash:literal, loose: $loose:literal) => {
        impl HasMetadata for $t {
            const SLASH: bool = $slash;
            const LOOSE_BODY: bool = $loose;
            fn metadata_mut(&mut self) -> &mut Map<String, Value> {
                &mut self.metadata
            }
        }
    };
}

has_metadata!(Volume, slash: true, loose: false);
has_metadata!(Snapshot, slash: false, loose: true);

/// Where a resource kind lives in the state.
pub(super) type Items<T> = fn(&mut State) -> &mut Vec<T>;

/// The metadata routes of resource `id` (`key`: the `/metadata/{key}` ones).
/// Bodies are checked before the resource is looked up.
pub(super) fn metadata_route<T: HasMetadata>(
    st: &mut State,
    r: &Req,
    items: Items<T>,
    id: &str,
    key: Option<&str>,
) -> Result<Resp, Resp> {
    let key = key.map(|k| unquote_plus(&k.replace('+', "%2B")));
    let answer = match (r.method.as_str(), key) {
        ("GET", None) => json!({"metadata": find_mut(items(st), id)?.metadata_mut()}),
        ("POST", None) => json!({"metadata": set_all(st, r, items, id, true)?}),
        ("PUT", None) => json!({"metadata": set_all(st, r, items, id, false)?}),
        ("GET", Some(k)) => json!({"meta": {&k: one_key(find_mut(items(st), id)?, id, &k)?}}),
        ("PUT", Some(k)) => json!({"meta": set_key(st, r, items, id, &k)?}),
        (_, Some(k)) => {
            let x = find_mut(items(st), id)?;
            one_key(x, id, &k)?;
            x.metadata_mut().remove(&k);
            return Ok(Resp::empty(200, "text/html; charset=UTF-8"));
        }
        _ => return Err(not_found("The resource could not be found.")),
    };
    Ok(Resp::json(200, &answer))
}

/// The body's `property` (required; alone unless [`HasMetadata::LOOSE_BODY`]).
fn body_property<T: HasMetadata>(r: &Req, property: &str) -> Result<Value, Resp> {
    let body = parse_body(r)?;
    let obj = body.as_object().cloned().unwrap_or_default();
    let Some(v) = obj.get(property) else {
        return Err(bad(&format!("'{property}' is a required property")));
    };
    if !T::LOOSE_BODY {
        additional_properties(None, &obj, &[property])?;
    }
    Ok(v.clone())
}

/// `POST` (`merge`) or `PUT` `/metadata`: the resulting metadata.
fn set_all<T: HasMetadata>(st: &mut State, r: &Req, items: Items<T>, id: &str, merge: bool) -> Result<Value, Resp> {
    let given = metadata_value("metadata", &body_property::<T>(r, "metadata")?, T::SLASH)?;
    let m = find_mut(items(st), id)?.metadata_mut();
    if !merge {
        m.clear();
    }
    m.extend(given);
    Ok(Value::Object(m.clone()))
}

/// `PUT /metadata/{key}` with `{"meta": {key: value}}`: that one pair.
fn set_key<T: HasMetadata>(st: &mut State, r: &Req, items: Items<T>, id: &str, key: &str) -> Result<Value, Resp> {
    let meta = body_property::<T>(r, "meta")?;
    let one = |m: &Map<String, Value>| match m.len() {
        0 => Err(invalid_field("meta", &meta, "{} should be non-empty")),
        1 => Ok(()),
        _ => Err(invalid_field(
            "meta",
            &meta,
            &format!("{} has too many properties", crate::util::pyrepr(&meta)),
        )),
    };
    let given = metadata_with("meta", &meta, T::SLASH, one)?;
    if !given.contains_key(key) {
        return Err(bad("Request body and URI mismatch"));
    }
    find_mut(items(st), id)?.metadata_mut().extend(given.clone());
    Ok(Value::Object(given))
}

/// The value of `key` in the metadata of `x`, or Cinder's 404 for it.
fn one_key<T: HasMetadata>(x: &mut T, id: &str, key: &str) -> Result<Value, Resp> {
    x.metadata_mut()
        .get(key)
        .cloned()
        .ok_or_else(|| not_found(&format!("{} {id} has no metadata with key {key}.", T::WHAT)))
}
