//! Version discovery and the `OpenStack-API-Version: volume X.Y` header.

use super::faults::{bad, fault};
use crate::server::Req;
use crate::state::{Resp, State};
use crate::util::parse_version;
use serde_json::{json, Value};

/// A microversion, (major, minor).
pub(super) type V = (u32, u32);

fn max_version(st: &State) -> V {
    parse_version(&st.opts.max_microversion).unwrap_or((3, 71))
}

pub(super) fn versions_body(st: &State) -> Value {
    json!({"versions": [{"id": "v3.0", "status": "CURRENT", "version": st.opts.max_microversion,
        "min_version": "3.0", "updated": "2023-08-31T00:00:00Z",
        "links": [{"rel": "describedby", "type": "text/html", "href": "https://docs.openstack.org/"},
                  {"rel": "self", "href": format!("{}/volume/v3/", st.bases.volume)}],
        "media-types": [{"base": "application/json", "type": "application/vnd.openstack.volume+json;version=3"}]}]})
}

/// The `volume` entry of the `OpenStack-API-Version` header, if any.
fn header_value(r: &Req) -> Option<String> {
    r.header("OpenStack-API-Version")?
        .split(',')
        .map(|s| s.trim())
        .find_map(|s| s.strip_prefix("volume "))
        .map(|s| s.trim().to_string())
}

/// The microversion a request asks for (3.0 when it names none), or the
/// refusal with the version to echo.
pub(super) fn requested(st: &State, r: &Req) -> Result<V, (Resp, Option<String>)> {
    let max = max_version(st);
    let Some(v) = header_value(r) else {
        return Ok((3, 0));
    };
    if v == "latest" {
        return Ok(max);
    }
    match parse_version(&v) {
        None => Err((
            bad(&format!(
                "API Version String {v} is of invalid format. Must be of format MajorNum.MinorNum."
            )),
            None,
        )),
        Some(p) if p < (3, 0) || p > max => {
            let msg = format!(
                "Version {v} is not supported by the API. Minimum is 3.0 and maximum is {}.{}.",
                max.0, max.1
            );
            let echo = if p.0 == 3 { Some(v.clone()) } else { None };
            Err((fault(406, "computeFault", &msg), echo))
        }
        Some(p) => Ok(p),
    }
}
