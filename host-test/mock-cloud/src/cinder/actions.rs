//! `POST .../action`: volume actions (extend, detach steps, bootable and
//! read-only flags, admin actions; retype, revert and upload to an image have
//! modules of their own) and the admin actions on snapshots and backups.

use super::faults::{bad, forbidden, malformed_body, no_such_action, not_found};
use super::quotas::check_gigabytes;
use super::resource::{find, find_mut};
use super::retype::retype;
use super::revert::revert;
use super::schema::{additional_properties, bool_field, int_field, invalid_field, missing_property, parse_body};
use super::upload::upload_to_image;
use super::volumes::{delete_volume, start_transient};
use super::Ctx;
use crate::server::Req;
use crate::state::{set_status_in, Op, Resource, Resp, State};
use crate::util::pyrepr;
use serde_json::{Map, Value};

/// The action a body names (its one key) and its argument.
pub(super) fn action_name(r: &Req) -> Result<(String, Value), Resp> {
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

/// The argument of an action that takes an object (`{action: {...}}`), or the
/// schema's type error.
pub(super) fn action_object<'a>(action: &str, arg: &'a Value) -> Result<&'a Map<String, Value>, Resp> {
    arg.as_object()
        .ok_or_else(|| invalid_field(action, arg, &format!("{} is not of type 'object'", pyrepr(arg))))
}

/// The required boolean `key` of the object `action` (its only property).
fn one_boolean(action: &str, arg: &Value, key: &str) -> Result<bool, Resp> {
    let obj = action_object(action, arg)?;
    let b = bool_field(obj, key)?;
    let Some(b) = b else {
        return Err(missing_property(action, obj, key));
    };
    additional_properties(Some(action), obj, &[key])?;
    Ok(b)
}

/// The actions on volume `id`: the action (and its body) is checked before the volume.
pub(super) fn volume_action(st: &mut State, c: &Ctx, r: &Req, id: &str) -> Result<Resp, Resp> {
    let (action, arg) = action_name(r)?;
    match action.as_str() {
        "os-extend" | "os-force_delete" | "os-reset_status" | "os-begin_detaching" | "os-roll_detaching" => {}
        "os-set_bootable" => return set_bootable(st, id, one_boolean(&action, &arg, "bootable")?),
        "os-update_readonly_flag" => return readonly_flag(st, id, one_boolean(&action, &arg, "readonly")?),
        "os-retype" => return retype(st, id, &arg),
        // A 3.40 action: unknown below.
        "revert" if c.mv < (3, 40) => return Err(not_found("The resource could not be found.")),
        "revert" => return revert(st, id, &arg),
        "os-volume_upload_image" => return upload_to_image(st, c, id, &arg),
        other => return Err(no_such_action(other)),
    }
    let v = find(&st.volumes, id)?;
    let (size, status) = (v.size, v.status.clone());
    match action.as_str() {
        "os-extend" => extend(st, c, id, &arg, size, status),
        "os-force_delete" => {
            if !c.admin {
                return Err(forbidden("volume_extension:volume_admin_actions:force_delete"));
            }
            delete_volume(st, id, true, false, true)
        }
        "os-begin_detaching" => begin_detaching(st, id, &status),
        "os-roll_detaching" => {
            if status == "detaching" {
                let now = st.now();
                set_status_in(&mut st.volumes, id, "in-use", now);
            }
            Ok(Resp::empty(202, "application/json"))
        }
        _ => reset_status(st, c, id, &arg),
    }
}

/// `os-extend`: the volume is `extending` a while, then back to `status` at its
/// new size (in-use volumes from 3.42).
fn extend(st: &mut State, c: &Ctx, id: &str, arg: &Value, size: i64, status: String) -> Result<Resp, Resp> {
    let Some(ns) = arg.get("new_size") else {
        return Err(invalid_field("os-extend", arg, "'new_size' is a required property"));
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
        return Err(bad(&format!(
            "Invalid volume: Volume {id} status must be '{{'status': '{expected}'}}' to extend, currently {status}."
        )));
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

/// `os-set_bootable` (200, no body): any status but `maintenance`.
fn set_bootable(st: &mut State, id: &str, bootable: bool) -> Result<Resp, Resp> {
    let now = st.now();
    let v = find_mut(&mut st.volumes, id)?;
    if v.status == "maintenance" {
        return Err(bad("Invalid volume: The volume cannot be updated during maintenance."));
    }
    (v.bootable, v.updated_at) = (bootable, Some(now));
    Ok(Resp::empty(200, "application/json"))
}

/// `os-update_readonly_flag` (202): the admin metadata `readonly`, which the
/// volume's `metadata` then shows; only on an available volume.
fn readonly_flag(st: &mut State, id: &str, readonly: bool) -> Result<Resp, Resp> {
    let v = find_mut(&mut st.volumes, id)?;
    if v.status != "available" {
        return Err(bad(&format!(
            "Invalid volume: Volume {id} status must be available to update readonly flag, but current status is: {}.",
            v.status
        )));
    }
    v.readonly = Some(readonly);
    Ok(Resp::empty(202, "application/json"))
}

/// Nova's detach: in-use -> detaching (and back with `os-roll_detaching` when it fails).
fn begin_detaching(st: &mut State, id: &str, status: &str) -> Result<Resp, Resp> {
    if status != "in-use" || !st.is_attached(id) {
        return Err(bad("Invalid volume: Unable to detach volume. Volume status must be 'in-use' and attach_status must be 'attached' to detach."));
    }
    let now = st.now();
    set_status_in(&mut st.volumes, id, "detaching", now);
    Ok(Resp::empty(202, "application/json"))
}

/// `os-reset_status` (admin only): the status given, `available` by default.
fn reset_status(st: &mut State, c: &Ctx, id: &str, arg: &Value) -> Result<Resp, Resp> {
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

/// `os-force_delete` and `os-reset_status` on a snapshot or a backup: admin
/// only (`policy` names the rule); reset_status changes a snapshot's status only.
pub(super) fn admin_action<T: Resource>(
    st: &mut State,
    r: &Req,
    id: &str,
    items: fn(&State) -> &[T],
    policy: &str,
    force_delete: fn(&mut State, &str, bool) -> Result<Resp, Resp>,
) -> Result<Resp, Resp> {
    let (action, arg) = action_name(r)?;
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
        return force_delete(st, id, true);
    }
    // A snapshot takes the status given (lowercased); a backup's is left as is.
    let status = arg.get("status").and_then(Value::as_str);
    if let (Some(status), "snapshot_admin_actions") = (status, policy) {
        st.set_status("snapshot", id, &status.to_lowercase());
    }
    Ok(Resp::empty(202, "application/json"))
}
