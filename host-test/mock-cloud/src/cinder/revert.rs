//! `revert` (3.40+): a volume back to its latest snapshot (`reverting`, the
//! snapshot `restoring`, a while; then both `available`).

use super::actions::action_object;
use super::faults::{bad, fault};
use super::resource::find;
use super::schema::invalid_field;
use crate::state::{set_status_in, Op, Resp, State};
use crate::util::pyrepr;
use serde_json::Value;

/// The `snapshot_id` of a `revert` body (a string or null; other keys are allowed).
fn revert_body(arg: &Value) -> Result<Option<String>, Resp> {
    let obj = action_object("revert", arg)?;
    match obj.get("snapshot_id") {
        None | Some(Value::Null) => Ok(None),
        Some(Value::String(s)) => Ok(Some(s.clone())),
        Some(v) => Err(invalid_field(
            "snapshot_id",
            v,
            &format!("{} is not of type 'string', 'null'", pyrepr(v)),
        )),
    }
}

/// `revert` (202): only to the volume's latest snapshot (of the same size), the
/// volume and the snapshot both available. As on the real one, a snapshot that is
/// not available is found only once the volume is `reverting`, and it stays so.
pub(super) fn revert(st: &mut State, id: &str, arg: &Value) -> Result<Resp, Resp> {
    let asked = revert_body(arg)?;
    let v = find(&st.volumes, id)?;
    let (vsize, vstatus) = (v.size, v.status.clone());
    let latest = st
        .snapshots
        .iter()
        .filter(|s| s.volume_id == id)
        .max_by_key(|s| s.created_at);
    let Some(latest) = latest else {
        return Err(bad(&format!("Volume {id} doesn't have any snapshots.")));
    };
    let (sid, ssize, sstatus) = (latest.id.clone(), latest.size, latest.status.clone());
    if asked.as_deref() != Some(sid.as_str()) {
        let asked = asked.as_deref().unwrap_or("None");
        return Err(bad(&format!(
            "Specified snapshot {asked} is None or not the latest one of volume {id}."
        )));
    }
    let cannot = format!("Can't revert volume {id} to its latest snapshot {sid}.");
    if vsize != ssize {
        return Err(bad(&format!(
            "{cannot} The volume size must be equal to the snapshot size."
        )));
    }
    if vstatus != "available" {
        return Err(fault(
            409,
            "conflictingRequest",
            &format!("Invalid volume: {cannot} Volume's status must be 'available'."),
        ));
    }
    let now = st.now();
    set_status_in(&mut st.volumes, id, "reverting", now);
    if sstatus != "available" {
        return Err(fault(
            409,
            "conflictingRequest",
            &format!("Invalid snapshot: {cannot} Snapshot's status must be 'available'."),
        ));
    }
    set_status_in(&mut st.snapshots, &sid, "restoring", now);
    st.schedule(Op::vol_status(id, "available"));
    st.schedule(Op::SnapStatus(sid, "available".into()));
    Ok(Resp::empty(202, "application/json"))
}
