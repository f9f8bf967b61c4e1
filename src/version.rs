//! Cinder microversions: the version document, and the negotiation of the one value sent
//! as `OpenStack-API-Version: volume X.Y` on every request of a session.

use crate::http::Url;
use crate::json::{self, Failed, Reader};
use crate::prelude::*;
use crate::wire::{null_default, record, set};
use crate::{ApiError, Error};

/// A `major.minor` API microversion.
#[derive(Clone, Copy, Debug, PartialEq, Eq, PartialOrd, Ord)]
pub struct Microversion {
    pub major: u16,
    pub minor: u16,
}

impl Microversion {
    pub const fn new(major: u16, minor: u16) -> Microversion {
        Microversion { major, minor }
    }

    /// Parses `3.71`; `None` for anything else (including empty).
    pub fn parse(s: &str) -> Option<Microversion> {
        let (a, b) = s.trim().split_once('.')?;
        let digits = |t: &str| !t.is_empty() && t.len() <= 4 && t.bytes().all(|c| c.is_ascii_digit());
        if !digits(a) || !digits(b) {
            return None;
        }
        let number = |t: &str| parse_digits(t.as_bytes()).map(|n| n as u16);
        Some(Microversion::new(number(a)?, number(b)?))
    }
}

impl core::fmt::Display for Microversion {
    fn fmt(&self, f: &mut core::fmt::Formatter<'_>) -> core::fmt::Result {
        write!(f, "{}.{}", self.major, self.minor)
    }
}

/// Lowest Cinder v3 microversion.
pub const CINDER_MIN: Microversion = Microversion::new(3, 0);
/// Highest microversion this client is tested for (Cinder 29.0.0 offers 3.71).
pub const CINDER_MAX: Microversion = Microversion::new(3, 71);
/// From here snapshots of in-use volumes need no `force` and `force: false` is refused.
pub const SNAPSHOT_IN_USE: Microversion = Microversion::new(3, 66);
/// From here volumes can be created from a backup.
pub const VOLUME_FROM_BACKUP: Microversion = Microversion::new(3, 47);
/// From here Cinder keeps user messages (`/messages`).
pub const MESSAGES: Microversion = Microversion::new(3, 3);
/// From here a backup's name and description can be changed.
pub const BACKUP_UPDATE: Microversion = Microversion::new(3, 9);
/// From here snapshots can be sorted by `name`.
pub const SNAPSHOT_SORT_NAME: Microversion = Microversion::new(3, 30);
/// From here backups can be sorted by `name`.
pub const BACKUP_SORT_NAME: Microversion = Microversion::new(3, 37);
/// From here backups carry metadata.
pub const BACKUP_METADATA: Microversion = Microversion::new(3, 43);
/// From here a backup can be created in a given availability zone.
pub const BACKUP_ZONE: Microversion = Microversion::new(3, 51);
/// From here an image upload may set the image's visibility and protection.
pub const UPLOAD_VISIBILITY: Microversion = Microversion::new(3, 1);
/// From here a volume delete takes `force=true` (with `cascade`).
pub const DELETE_FORCE: Microversion = Microversion::new(3, 23);
/// From here a volume can be reverted to its latest snapshot.
pub const REVERT: Microversion = Microversion::new(3, 40);
/// From here the default volume type can be read (`/types/default`).
pub const DEFAULT_TYPE: Microversion = Microversion::new(3, 62);

/// `invalid-input` for `field` unless the session's microversion `mv` is at least `needed`.
pub fn require(field: &str, needed: Microversion, mv: Microversion) -> Result<(), Error> {
    if mv < needed {
        return Err(crate::error::invalid(
            field,
            format!("needs microversion {needed} (the session uses {mv})"),
        ));
    }
    Ok(())
}
/// The Nova microversion whose volume attachment answers carry Cinder's attachment id.
pub const NOVA: &str = "2.89";

/// An entry of a version document.
struct VersionEntry {
    id: String,
    version: String,
    min_version: String,
}

record! {
    impl Decode for VersionEntry, required [] {
        id: "id" => null_default = String::new(),
        version: "version" => null_default = String::new(),
        min_version: "min_version" => null_default = String::new(),
    }
}

/// A version document: `{"version": …}`, `{"versions": […]}` or both.
struct VersionDoc {
    one: Option<VersionEntry>,
    many: Vec<VersionEntry>,
}

record! {
    impl Decode for VersionDoc, required [] {
        one: "version" => set = None,
        many: "versions" => null_default = Vec::new(),
    }
}

/// The entries of a version document, `{"version": …}` first, then `{"versions": […]}`.
fn entries(r: &mut Reader<'_>) -> Result<Vec<VersionEntry>, Failed> {
    let doc: VersionDoc = r.read()?;
    Ok(doc.one.into_iter().chain(doc.many).collect())
}

/// Where the version document of a block storage endpoint lives: the URL up to its `v3`
/// segment (`https://h/volume/v3/<project>` -> `https://h/volume/v3/`), or the service
/// root when the URL has none.
pub fn version_doc_url(endpoint: &Url) -> String {
    let path = endpoint.path();
    // Where the last `v3` segment ends.
    let (mut end, mut start) = (0, 0);
    for segment in path.split('/') {
        start += segment.len();
        if is_v3(segment) {
            end = start;
        }
        start += 1;
    }
    format!("{}{}/", endpoint.origin(), path.get(..end).unwrap_or_default())
}

fn is_v3(segment: &str) -> bool {
    segment == "v3"
        || segment
            .strip_prefix("v3.")
            .is_some_and(|r| r.bytes().all(|c| c.is_ascii_digit()))
}

/// Picks the microversion from a version document (either `{"version": …}` or
/// `{"versions": […]}`): the pinned one if the server offers it, else the highest both
/// sides support.
pub fn negotiate(body: &[u8], pinned: Option<Microversion>) -> Result<Microversion, Error> {
    let entry = json::parse(body, entries)
        .map_err(|e| Error::InvalidResponse(format!("Cinder version document: {e}")))?
        .into_iter()
        .find(|v| v.id.starts_with("v3") || v.version.starts_with("3."))
        .ok_or_else(|| Error::InvalidResponse("Cinder version document lists no v3 API".into()))?;
    // An entry without microversions only speaks the base version.
    let max = Microversion::parse(&entry.version).unwrap_or(CINDER_MIN);
    let min = Microversion::parse(&entry.min_version).unwrap_or(CINDER_MIN);
    let unsupported = |v: Microversion| {
        Error::Api(ApiError {
            status: 406,
            message: format!("microversion {v} is not offered by the server (it supports {min} to {max})"),
            request_id: None,
            retry_after_s: None,
        })
    };
    match pinned {
        Some(v) if v < min || v > max => Err(unsupported(v)),
        Some(v) => Ok(v),
        None if max.min(CINDER_MAX) < min => Err(unsupported(CINDER_MAX)),
        None => Ok(max.min(CINDER_MAX)),
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    const REAL: &str = r#"{"versions": [{"id": "v3.0", "status": "CURRENT", "version": "3.71", "min_version": "3.0", "updated": "2023-08-31T00:00:00Z", "links": []}]}"#;

    #[test]
    fn parses() {
        assert_eq!(Microversion::parse("3.71"), Some(Microversion::new(3, 71)));
        assert!(Microversion::parse("3.6") < Microversion::parse("3.10"));
        for bad in ["", "3", "3.", ".1", "a.b", "3.1.2", "99999.1", "-3.1"] {
            assert_eq!(Microversion::parse(bad), None, "{bad}");
        }
        assert_eq!(CINDER_MAX.to_string(), "3.71");
    }

    #[test]
    fn doc_url() {
        let u = |s| version_doc_url(&Url::parse(s).unwrap());
        assert_eq!(u("https://h/volume/v3/abc"), "https://h/volume/v3/");
        assert_eq!(u("http://127.0.0.1:8776/v3/0123"), "http://127.0.0.1:8776/v3/");
        assert_eq!(u("https://h/volume/v3"), "https://h/volume/v3/");
        assert_eq!(u("https://h:8776/"), "https://h:8776/");
    }

    #[test]
    fn negotiates() {
        assert_eq!(negotiate(REAL.as_bytes(), None).unwrap(), CINDER_MAX);
        let newer = r#"{"version": {"id": "v3.0", "version": "3.80", "min_version": "3.0"}}"#;
        assert_eq!(negotiate(newer.as_bytes(), None).unwrap(), CINDER_MAX);
        let older = r#"{"versions": [{"id": "v2.0", "version": "", "min_version": ""}, {"id": "v3.0", "version": "3.59", "min_version": "3.0"}]}"#;
        assert_eq!(negotiate(older.as_bytes(), None).unwrap(), Microversion::new(3, 59));
        assert_eq!(
            negotiate(REAL.as_bytes(), Some(Microversion::new(3, 60))).unwrap(),
            Microversion::new(3, 60)
        );
        assert!(
            matches!(negotiate(REAL.as_bytes(), Some(Microversion::new(3, 72))), Err(Error::Api(a)) if a.status == 406)
        );
        assert!(matches!(negotiate(b"[]", None), Err(Error::InvalidResponse(_))));
        assert!(matches!(
            negotiate(br#"{"versions": []}"#, None),
            Err(Error::InvalidResponse(_))
        ));
    }

    #[test]
    fn version_documents_of_either_shape() {
        // `version` (one entry) and `versions` (a list) may both be there: `version` first.
        let both = r#"{"version": {"id": "v3.0", "version": "3.50", "min_version": null}, "versions": [{"id": "v3.0", "version": "3.71"}]}"#;
        assert_eq!(negotiate(both.as_bytes(), None).unwrap(), Microversion::new(3, 50));
        // null or missing fields: an entry that only speaks the base version.
        let bare = r#"{"versions": [{"id": "v3.0", "version": null, "links": null}], "version": null}"#;
        assert_eq!(negotiate(bare.as_bytes(), None).unwrap(), CINDER_MIN);
        assert_eq!(
            negotiate(br#"{"versions": null, "version": {"id": "v3"}}"#, None).unwrap(),
            CINDER_MIN
        );
        let e = negotiate(br#"{"versions": [{"id": 3}]}"#, None).unwrap_err();
        assert!(
            matches!(&e, Error::InvalidResponse(m) if m.starts_with("Cinder version document: expected a string at byte 21")),
            "{e:?}"
        );
    }
}
