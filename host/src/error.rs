//! The host library's one error type: a call ends in the component's typed error or in a
//! trap, and both are an [`Error`], so `?` works from `main`.

use crate::{ApiError, ComponentError, Failure};

/// Why a call failed.
#[derive(Debug)]
pub enum Error {
    /// The component's typed answer (the contract's `error` variant), with the lines the
    /// component logged to stderr during the call (with [`crate::Log::Capture`]).
    Component {
        /// The typed error: match on it, or read [`Error::kind`] and [`Error::api`].
        error: ComponentError,
        /// What the component wrote to stderr during this call.
        log: String,
    },
    /// The call trapped or the host stopped it: a bug of the host or the component, a
    /// sandbox bound (memory, CPU budget), or a secret found in the component's output.
    Trap(wasmtime::Error),
}

/// The result of every call of the host library.
pub type Result<T, E = Error> = std::result::Result<T, E>;

impl Error {
    /// The component's typed error, unless this is a trap.
    pub fn component(&self) -> Option<&ComponentError> {
        match self {
            Error::Component { error, .. } => Some(error),
            Error::Trap(_) => None,
        }
    }

    /// The contract's name of the error (`not-found`, `over-limit`, …), or `trap`.
    pub fn kind(&self) -> &'static str {
        self.component().map_or("trap", ComponentError::kind)
    }

    /// The server's answer inside an HTTP error (status, message, request id, retry-after).
    pub fn api(&self) -> Option<&ApiError> {
        self.component().and_then(ComponentError::api)
    }

    /// The failure inside `resource-failed` (resource, status, Cinder's reason).
    pub fn failure(&self) -> Option<&Failure> {
        self.component().and_then(ComponentError::failure)
    }

    /// What the component logged during the failed call.
    pub fn log(&self) -> &str {
        match self {
            Error::Component { log, .. } => log,
            Error::Trap(_) => "",
        }
    }
}

impl From<wasmtime::Error> for Error {
    fn from(e: wasmtime::Error) -> Error {
        Error::Trap(e)
    }
}

impl std::fmt::Display for Error {
    /// `kind (status) [request id]: message`, as the CLI prints it.
    fn fmt(&self, f: &mut std::fmt::Formatter<'_>) -> std::fmt::Result {
        match self {
            Error::Component { error, .. } => describe(error, f),
            Error::Trap(t) => write!(f, "trap: {t:#}"),
        }
    }
}

impl std::error::Error for Error {}

impl ComponentError {
    /// The contract's name of the variant (`not-found`, …).
    pub fn kind(&self) -> &'static str {
        match self {
            ComponentError::InvalidInput(_) => "invalid-input",
            ComponentError::Unauthorized(_) => "unauthorized",
            ComponentError::Forbidden(_) => "forbidden",
            ComponentError::NotFound(_) => "not-found",
            ComponentError::BadRequest(_) => "bad-request",
            ComponentError::Conflict(_) => "conflict",
            ComponentError::OverLimit(_) => "over-limit",
            ComponentError::Api(_) => "api",
            ComponentError::Transport(_) => "transport",
            ComponentError::InvalidResponse(_) => "invalid-response",
            ComponentError::NoEndpoint(_) => "no-endpoint",
            ComponentError::WaitTimeout(_) => "wait-timeout",
            ComponentError::ResourceFailed(_) => "resource-failed",
        }
    }

    /// The server's answer inside an HTTP error variant, if it is one.
    pub fn api(&self) -> Option<&ApiError> {
        match self {
            ComponentError::Unauthorized(a)
            | ComponentError::Forbidden(a)
            | ComponentError::NotFound(a)
            | ComponentError::BadRequest(a)
            | ComponentError::Conflict(a)
            | ComponentError::OverLimit(a)
            | ComponentError::Api(a) => Some(a),
            _ => None,
        }
    }

    /// The text of a variant that carries a message rather than a server answer.
    fn message(&self) -> Option<&str> {
        match self {
            ComponentError::InvalidInput(m)
            | ComponentError::Transport(m)
            | ComponentError::InvalidResponse(m)
            | ComponentError::NoEndpoint(m)
            | ComponentError::WaitTimeout(m) => Some(m),
            _ => None,
        }
    }

    /// The failure of a `wait-for` that saw an error status (resource, status, reason).
    pub fn failure(&self) -> Option<&Failure> {
        match self {
            ComponentError::ResourceFailed(f) => Some(f),
            _ => None,
        }
    }
}

/// `kind (status) [request id]: message`, or `kind: message`.
fn describe(e: &ComponentError, f: &mut std::fmt::Formatter<'_>) -> std::fmt::Result {
    if let Some(a) = e.api() {
        write!(f, "{} ({})", e.kind(), a.status)?;
        if let Some(r) = &a.request_id {
            write!(f, " [{r}]")?;
        }
        return write!(f, ": {}", a.message);
    }
    if let Some(x) = e.failure() {
        write!(f, "{}: {} reached status {}", e.kind(), x.resource_id, x.status)?;
        return match &x.reason {
            Some(r) => write!(f, ": {r}"),
            None => Ok(()),
        };
    }
    match e.message() {
        Some(m) => write!(f, "{}: {m}", e.kind()),
        None => f.write_str(e.kind()),
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    fn failed(reason: Option<&str>) -> Error {
        Error::Component {
            error: ComponentError::ResourceFailed(Failure {
                resource_id: "v1".into(),
                status: "error".into(),
                reason: reason.map(Into::into),
            }),
            log: String::new(),
        }
    }

    #[test]
    fn a_failure_shows_its_reason_when_cinder_gave_one() {
        let e = failed(Some(
            "schedule allocate volume:Could not find any available weighted backend.",
        ));
        assert_eq!(e.kind(), "resource-failed");
        assert!(e.api().is_none());
        assert_eq!(e.failure().map(|f| f.status.as_str()), Some("error"));
        assert_eq!(
            e.to_string(),
            "resource-failed: v1 reached status error: schedule allocate volume:Could not find any available weighted backend."
        );
        assert_eq!(failed(None).to_string(), "resource-failed: v1 reached status error");
        let other = Error::Component {
            error: ComponentError::WaitTimeout("volume v1 is still creating".into()),
            log: String::new(),
        };
        assert!(other.failure().is_none());
        assert_eq!(other.to_string(), "wait-timeout: volume v1 is still creating");
    }
}
