//! What the project may use: volume types, availability zones, quota and usage
//! (`/limits`), and Cinder's user messages (3.3+), which also say why a resource failed.

use crate::client::{Client, Service};
use crate::error;
use crate::http::{query_string, Io};
use crate::json::{Decode, Failed, Reader};
use crate::pagination::list_all;
use crate::prelude::*;
use crate::version;
use crate::wire::{self, flex_bool, metadata, null_default, record, set, Enveloped, Many, One};
use crate::{validate, AvailabilityZone, Error, Limits, Message, VolumeType};

record! {
    impl Decode for VolumeType, required ["id", "name"] {
        id: "id" => set = String::new(),
        name: "name" => set = String::new(),
        description: "description" => set = None,
        is_public: "is_public" => flex_bool = false,
        extra_specs: "extra_specs" => metadata = Vec::new(),
    }
}

impl Enveloped for VolumeType {
    const ONE: &'static str = "volume_type";
    const MANY: &'static str = "volume_types";
    // Cinder's own spelling (singular), unlike every other collection.
    const LINKS: &'static str = "volume_type_links";
}

// An entry of `availabilityZoneInfo`.
record! {
    impl Decode for AvailabilityZone, required ["zoneName"] {
        name: "zoneName" => set = String::new(),
        available: "zoneState" => zone_available = false,
    }
}

/// `"zoneState": {"available": true}`.
fn zone_available(r: &mut Reader<'_>, field: &mut bool) -> Result<(), Failed> {
    if r.null() {
        return Ok(());
    }
    r.object(&[], &mut |r, k| match k {
        "available" => flex_bool(r, field),
        _ => r.skip(),
    })
}

/// `{"availabilityZoneInfo": […]}` (never paged).
struct Zones(Vec<AvailabilityZone>);

impl Decode for Zones {
    fn decode(r: &mut Reader<'_>) -> Result<Zones, Failed> {
        wire::member(r, "availabilityZoneInfo").map(Zones)
    }
}

/// The `absolute` limits, under Cinder's names.
struct Absolute(Limits);

record! {
    impl Decode for Absolute(Limits), required [] {
        max_volumes: "maxTotalVolumes" => quota = None,
        max_snapshots: "maxTotalSnapshots" => quota = None,
        max_backups: "maxTotalBackups" => quota = None,
        max_gigabytes: "maxTotalVolumeGigabytes" => quota = None,
        max_backup_gigabytes: "maxTotalBackupGigabytes" => quota = None,
        volumes_used: "totalVolumesUsed" => null_default = 0,
        snapshots_used: "totalSnapshotsUsed" => null_default = 0,
        backups_used: "totalBackupsUsed" => null_default = 0,
        gigabytes_used: "totalGigabytesUsed" => null_default = 0,
        backup_gigabytes_used: "totalBackupGigabytesUsed" => null_default = 0,
    }
}

/// A maximum: a count, or a negative number (Cinder's -1) or `null` for unlimited.
fn quota(r: &mut Reader<'_>, field: &mut Option<u64>) -> Result<(), Failed> {
    *field = match r.peek() {
        Some(b'-') => r.skip().map(|()| None)?,
        _ => r.read()?,
    };
    Ok(())
}

/// `{"limits": {"absolute": {…}, "rate": […]}}`.
struct LimitsAnswer(Limits);

impl Decode for LimitsAnswer {
    fn decode(r: &mut Reader<'_>) -> Result<LimitsAnswer, Failed> {
        wire::member::<AbsoluteIn>(r, "limits").map(|a| LimitsAnswer(a.0 .0))
    }
}

/// The `limits` object: its `absolute` member.
struct AbsoluteIn(Absolute);

impl Decode for AbsoluteIn {
    fn decode(r: &mut Reader<'_>) -> Result<AbsoluteIn, Failed> {
        wire::member(r, "absolute").map(AbsoluteIn)
    }
}

record! {
    impl Decode for Message, required ["id"] {
        id: "id" => set = String::new(),
        event_id: "event_id" => null_default = String::new(),
        user_message: "user_message" => null_default = String::new(),
        message_level: "message_level" => null_default = String::new(),
        resource_type: "resource_type" => null_default = String::new(),
        resource_id: "resource_uuid" => set = None,
        request_id: "request_id" => set = None,
        created_at: "created_at" => null_default = String::new(),
        expires_at: "guaranteed_until" => set = None,
    }
}

impl Enveloped for Message {
    const ONE: &'static str = "message";
    const MANY: &'static str = "messages";
    const LINKS: &'static str = "messages_links";
}

/// `GET /types`, every page.
pub fn volume_types<I: Io>(c: &Client<I>) -> Result<Vec<VolumeType>, Error> {
    list_all(c, "/types", String::new(), "volume type list", None)
}

/// `GET /types/default` (3.62+).
pub fn default_volume_type<I: Io>(c: &Client<I>) -> Result<VolumeType, Error> {
    version::require("default-volume-type", version::DEFAULT_TYPE, c.microversion())?;
    Ok(
        c.get_json::<One<VolumeType>>(Service::BlockStorage, "/types/default", "volume type")?
            .0,
    )
}

/// `GET /os-availability-zone`.
pub fn availability_zones<I: Io>(c: &Client<I>) -> Result<Vec<AvailabilityZone>, Error> {
    Ok(
        c.get_json::<Zones>(Service::BlockStorage, "/os-availability-zone", "availability zones")?
            .0,
    )
}

/// `GET /limits`: the absolute limits (the rate limits are always empty on Cinder).
pub fn limits<I: Io>(c: &Client<I>) -> Result<Limits, Error> {
    Ok(c.get_json::<LimitsAnswer>(Service::BlockStorage, "/limits", "limits")?
        .0)
}

/// `?resource_uuid=<id>&sort=created_at:desc[&limit=n]`: a resource's messages, newest first.
fn messages_query(resource_id: Option<&str>, limit: Option<u32>) -> String {
    query_string(&[
        ("resource_uuid", resource_id.map(str::to_string)),
        ("sort", Some("created_at:desc".into())),
        ("limit", limit.map(|n| n.to_string())),
    ])
}

/// `GET /messages`, newest first, every page (3.3+).
pub fn messages<I: Io>(c: &Client<I>, resource_id: &Option<String>) -> Result<Vec<Message>, Error> {
    validate::opt_id("resource-id", resource_id)?;
    version::require("messages", version::MESSAGES, c.microversion())?;
    list_all(
        c,
        "/messages",
        messages_query(resource_id.as_deref(), None),
        "message list",
        None,
    )
}

/// The newest user message about `id`, in one request: none below 3.3, when there is none
/// (or it is empty), or when the request fails (logged: the caller is already reporting a
/// failure).
pub fn latest_reason<I: Io>(c: &Client<I>, id: &str) -> Option<String> {
    if c.microversion() < version::MESSAGES {
        return None;
    }
    let path = format!("/messages{}", messages_query(Some(id), Some(1)));
    match c.get_json::<Many<Message>>(Service::BlockStorage, &path, "message list") {
        // The server's text, as every server text in an error: controls out, length capped.
        Ok(page) => page
            .items
            .into_iter()
            .next()
            .map(|m| error::clean(&m.user_message))
            .filter(|m| !m.is_empty()),
        Err(e) => {
            c.io().log(&error::log_line("messages", id, &e));
            None
        }
    }
}

#[cfg(test)]
mod tests {
    use super::*;
    use crate::json::from_slice;

    #[test]
    fn decodes_real_cinder_answers() {
        let types: Many<VolumeType> = from_slice(br#"{"volume_types": [{"id": "250aef00", "name": "__DEFAULT__", "is_public": true, "description": "Default Volume Type", "extra_specs": {"b": "2", "a": "1"}, "qos_specs_id": null, "os-volume-type-access:is_public": true}], "volume_type_links": [{"rel": "next", "href": "http://h/v3/p/types?limit=1&marker=250aef00"}]}"#).unwrap();
        let t = &types.items[0];
        assert_eq!(
            (t.id.as_str(), t.name.as_str(), t.is_public),
            ("250aef00", "__DEFAULT__", true)
        );
        assert_eq!(t.description.as_deref(), Some("Default Volume Type"));
        assert_eq!(
            t.extra_specs,
            [("a", "1"), ("b", "2")].map(|(k, v)| (k.to_string(), v.to_string()))
        );
        assert_eq!(types.links[0].rel, "next");
        let one: One<VolumeType> = from_slice(br#"{"volume_type": {"id": "t", "name": "n", "is_public": false, "description": null, "extra_specs": null}}"#).unwrap();
        assert!(!one.0.is_public && one.0.extra_specs.is_empty() && one.0.description.is_none());

        let zones: Zones = from_slice(br#"{"availabilityZoneInfo": [{"zoneName": "nova", "zoneState": {"available": true}}, {"zoneName": "b", "zoneState": {"available": false}}, {"zoneName": "c", "zoneState": null}]}"#).unwrap();
        let z: Vec<(&str, bool)> = zones.0.iter().map(|z| (z.name.as_str(), z.available)).collect();
        assert_eq!(z, [("nova", true), ("b", false), ("c", false)]);

        let l: LimitsAnswer = from_slice(br#"{"limits": {"rate": [], "absolute": {"maxTotalVolumes": 10, "maxTotalSnapshots": -1, "maxTotalVolumeGigabytes": 1000, "maxTotalBackups": 10, "maxTotalBackupGigabytes": -1, "totalVolumesUsed": 2, "totalGigabytesUsed": 3, "totalSnapshotsUsed": 0, "totalBackupsUsed": 1, "totalBackupGigabytesUsed": 5000000000, "maxTotalVolumesPerType": 3}}}"#).unwrap();
        let l = l.0;
        assert_eq!(
            (
                l.max_volumes,
                l.max_snapshots,
                l.max_backups,
                l.max_gigabytes,
                l.max_backup_gigabytes
            ),
            (Some(10), None, Some(10), Some(1000), None)
        );
        assert_eq!(
            (
                l.volumes_used,
                l.snapshots_used,
                l.backups_used,
                l.gigabytes_used,
                l.backup_gigabytes_used
            ),
            (2, 0, 1, 3, 5_000_000_000)
        );
        for bad in [
            &br#"{"limits": {"rate": []}}"#[..],
            br#"{"limits": {"absolute": {"maxTotalVolumes": "10"}}}"#,
            br#"{"limits": {"absolute": {"totalVolumesUsed": -1}}}"#,
            br#"{"limits": {"absolute": {"maxTotalVolumes": -x}}}"#,
            br#"{"absolute": {}}"#,
        ] {
            assert!(
                from_slice::<LimitsAnswer>(bad).is_err(),
                "{}",
                String::from_utf8_lossy(bad)
            );
        }

        let m: Many<Message> = from_slice(br#"{"messages": [{"id": "cf2c", "event_id": "VOLUME_VOLUME_001_003", "user_message": "schedule allocate volume:Could not find any available weighted backend.", "message_level": "ERROR", "created_at": "2026-11-30T15:13:22.932006", "guaranteed_until": "2026-12-30T15:13:22.928312", "request_id": "req-b852", "links": [{"rel": "self", "href": "h"}], "resource_type": "VOLUME", "resource_uuid": "fb62"}]}"#).unwrap();
        let m = &m.items[0];
        assert_eq!(
            (m.event_id.as_str(), m.message_level.as_str(), m.resource_type.as_str()),
            ("VOLUME_VOLUME_001_003", "ERROR", "VOLUME")
        );
        assert_eq!(
            (
                m.resource_id.as_deref(),
                m.request_id.as_deref(),
                m.expires_at.as_deref()
            ),
            (Some("fb62"), Some("req-b852"), Some("2026-12-30T15:13:22.928312"))
        );
        assert!(m.user_message.starts_with("schedule allocate volume"));
    }

    #[test]
    fn message_queries() {
        assert_eq!(messages_query(None, None), "?sort=created_at%3Adesc");
        assert_eq!(
            messages_query(Some("v1"), Some(1)),
            "?resource_uuid=v1&sort=created_at%3Adesc&limit=1"
        );
    }
}
