//! Cinder's fault bodies (`{"badRequest": {"code": 400, "message": ...}}` and kin).

use crate::state::Resp;
use serde_json::json;

pub fn fault(code: u16, name: &str, msg: &str) -> Resp {
    Resp::json(code, &json!({ name: {"code": code, "message": msg} }))
}
pub fn bad(msg: &str) -> Resp {
    fault(400, "badRequest", msg)
}
pub fn not_found(msg: &str) -> Resp {
    fault(404, "itemNotFound", msg)
}
pub(super) fn forbidden(policy: &str) -> Resp {
    fault(
        403,
        "forbidden",
        &format!("Policy doesn't allow {policy} to be performed."),
    )
}
pub(super) fn over_limit(msg: &str) -> Resp {
    Resp::json(
        413,
        &json!({"overLimit": {"code": 413, "message": msg, "retryAfter": "0"}}),
    )
    .header("Retry-After", "0")
}
/// Cinder's answer to an unexpected exception.
pub(super) fn server_error() -> Resp {
    fault(
        500,
        "computeFault",
        "The server has either erred or is incapable of performing the requested operation.",
    )
}
pub(super) fn malformed_body() -> Resp {
    bad("Malformed request body")
}
pub(super) fn generic_bad() -> Resp {
    bad("The server could not comply with the request since it is either malformed or otherwise incorrect.")
}

pub(super) fn conflict(msg: &str) -> Resp {
    fault(409, "conflictingRequest", &format!("Resource conflict: {msg}"))
}

pub(super) fn no_such_action(a: &str) -> Resp {
    bad(&format!(
        "There is no such action: {a}. Verify the request body and Content-Type header and try again."
    ))
}
