//! What a project may use: `GET /limits` (its quotas and usage, -1 meaning
//! unlimited) and `GET /os-availability-zone` (the one zone, `nova`).

use super::quotas::{backup_gigabytes_used, gigabytes_used};
use crate::state::{Resp, State};
use serde_json::json;

/// The zone of every volume and backup.
pub(super) const ZONE: &str = "nova";

/// `GET /limits`: no rate limits; the absolute ones are the quotas and what is
/// used of them (volumes and snapshots in any status count).
pub(super) fn limits(st: &State) -> Result<Resp, Resp> {
    let absolute = json!({
        "maxTotalVolumes": st.quota("volumes"),
        "maxTotalSnapshots": st.quota("snapshots"),
        "maxTotalVolumeGigabytes": st.quota("gigabytes"),
        "maxTotalBackups": st.quota("backups"),
        "maxTotalBackupGigabytes": st.quota("backup_gigabytes"),
        "totalVolumesUsed": st.volumes.len(),
        "totalGigabytesUsed": gigabytes_used(st),
        "totalSnapshotsUsed": st.snapshots.len(),
        "totalBackupsUsed": st.backups.len(),
        "totalBackupGigabytesUsed": backup_gigabytes_used(st),
    });
    Ok(Resp::json(200, &json!({"limits": {"rate": [], "absolute": absolute}})))
}

/// `GET /os-availability-zone`.
pub(super) fn availability_zones() -> Result<Resp, Resp> {
    Ok(Resp::json(
        200,
        &json!({"availabilityZoneInfo": [{"zoneName": ZONE, "zoneState": {"available": true}}]}),
    ))
}
