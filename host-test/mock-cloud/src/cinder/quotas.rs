//! `os-quota-sets`, and the quota checks that creating a resource makes (413).

use super::faults::{bad, forbidden, over_limit};
use super::schema::parse_body;
use crate::server::Req;
use crate::state::{Resp, State};
use serde_json::{json, Value};

/// The `gigabytes` in use: volumes' and snapshots' (in any status).
pub(super) fn gigabytes_used(st: &State) -> i64 {
    st.volumes.iter().map(|v| v.size).sum::<i64>() + st.snapshots.iter().map(|s| s.size).sum::<i64>()
}

/// The `backup_gigabytes` in use.
pub(super) fn backup_gigabytes_used(st: &State) -> i64 {
    st.backups.iter().map(|b| b.size).sum()
}

pub(super) fn check_gigabytes(st: &State, requested: i64) -> Result<(), Resp> {
    let q = st.quota("gigabytes");
    let used = gigabytes_used(st);
    if q >= 0 && used + requested > q {
        return Err(over_limit(&format!(
            "VolumeSizeExceedsAvailableQuota: Requested volume or snapshot exceeds allowed gigabytes quota. Requested {requested}G, quota is {q}G and {used}G has been consumed."
        )));
    }
    Ok(())
}

/// 413 when a backup of `size` GiB would exceed `backup_gigabytes`.
pub(super) fn check_backup_gigabytes(st: &State, size: i64) -> Result<(), Resp> {
    let qbg = st.quota("backup_gigabytes");
    let used = backup_gigabytes_used(st);
    if qbg >= 0 && used + size > qbg {
        return Err(over_limit(&format!("VolumeBackupSizeExceedsAvailableQuota: Requested backup exceeds allowed Backup gigabytes quota. Requested {size}G, quota is {qbg}G and {used}G has been consumed.")));
    }
    Ok(())
}

/// 413 when one more resource than `count` would exceed the quota `key`;
/// `msg` makes the message from the quota.
pub(super) fn check_count(st: &State, key: &str, count: usize, msg: impl FnOnce(i64) -> String) -> Result<(), Resp> {
    let q = st.quota(key);
    if q >= 0 && count as i64 + 1 > q {
        return Err(over_limit(&msg(q)));
    }
    Ok(())
}

pub(super) fn check_volume_count(st: &State) -> Result<(), Resp> {
    check_count(st, "volumes", st.volumes.len(), |q| {
        format!("VolumeLimitExceeded: Maximum number of volumes allowed ({q}) exceeded for quota 'volumes'.")
    })
}

fn quota_set(st: &State, with_id: bool) -> Value {
    let mut o = json!({
        "volumes": st.quota("volumes"), "per_volume_gigabytes": st.quota("per_volume_gigabytes"),
        "snapshots": st.quota("snapshots"), "gigabytes": st.quota("gigabytes"),
        "backups": st.quota("backups"), "backup_gigabytes": st.quota("backup_gigabytes"),
        "volumes___DEFAULT__": -1, "gigabytes___DEFAULT__": -1, "snapshots___DEFAULT__": -1,
        "groups": st.quota("groups"),
    });
    if with_id {
        o["id"] = json!(st.opts.project_id);
    }
    o
}

pub(super) fn quota_get(st: &State, p: &str, q: &[(String, String)]) -> Result<Resp, Resp> {
    if p != st.opts.project_id && !st.opts.admin {
        return Err(forbidden("volume_extension:quotas:show"));
    }
    let usage = q.iter().any(|(k, v)| k == "usage" && (v == "true" || v == "True"));
    if !usage {
        return Ok(Resp::json(200, &json!({"quota_set": quota_set(st, true)})));
    }
    let gb = gigabytes_used(st);
    let bgb = backup_gigabytes_used(st);
    let u = |k: &str, used: i64| json!({"limit": st.quota(k), "in_use": used, "reserved": 0});
    let d = |used: i64| json!({"limit": -1, "in_use": used, "reserved": 0});
    Ok(Resp::json(
        200,
        &json!({"quota_set": {
            "volumes": u("volumes", st.volumes.len() as i64),
            "gigabytes": u("gigabytes", gb),
            "snapshots": u("snapshots", st.snapshots.len() as i64),
            "backups": u("backups", st.backups.len() as i64),
            "backup_gigabytes": u("backup_gigabytes", bgb),
            "per_volume_gigabytes": u("per_volume_gigabytes", 0),
            "groups": u("groups", 0),
            "volumes___DEFAULT__": d(st.volumes.len() as i64),
            "gigabytes___DEFAULT__": d(gb),
            "snapshots___DEFAULT__": d(st.snapshots.len() as i64),
            "id": st.opts.project_id,
        }}),
    ))
}

pub(super) fn quota_put(st: &mut State, r: &Req, _p: &str) -> Result<Resp, Resp> {
    if !st.opts.admin {
        return Err(forbidden("volume_extension:quotas:update"));
    }
    let body = parse_body(r)?;
    let Some(obj) = body.get("quota_set").and_then(|s| s.as_object()) else {
        return Err(bad("Missing required element 'quota_set' in request body."));
    };
    for (k, v) in obj {
        if let Some(n) = v.as_i64().or_else(|| v.as_str().and_then(|s| s.parse().ok())) {
            if n < -1 {
                return Err(bad(&format!(
                    "Invalid input received: Quota limit {n} for {k} must be -1 or greater."
                )));
            }
            st.quotas.insert(k.clone(), n);
        }
    }
    Ok(Resp::json(200, &json!({"quota_set": quota_set(st, false)})))
}
