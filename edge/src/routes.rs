//! The routes: each request connects a session with the caller's token and the
//! deployment's block storage URL and microversion (no request at connect), makes one
//! contract call, and answers its result as JSON.

use alloc::string::String;
use alloc::vec::Vec;

use serde_json::Value;
use wasip2::http::types::{IncomingRequest, Method, ResponseOutparam};

use crate::bindings::infomaniak::block_storage::session::{connect, Session};
use crate::bindings::infomaniak::block_storage::types::{ApiError, Config, Credentials, Error, ListOptions};
use crate::bindings::infomaniak::block_storage::{backups, project, volumes};
use crate::bindings::infomaniak::block_storage_edge::config;
use crate::body::{self, failure};
use crate::exchange::{Call, Reply};

struct Facade;

wasip2::http::proxy::export!(Facade);

impl wasip2::exports::http::incoming_handler::Guest for Facade {
    fn handle(request: IncomingRequest, out: ResponseOutparam) {
        let reply = match answer(Call::read(request)) {
            Ok((status, Some(v))) => Reply {
                status,
                body: body::bytes(&v),
            },
            Ok((status, None)) => Reply {
                status,
                body: Vec::new(),
            },
            Err(e) => {
                let f = failure(&e);
                Reply {
                    status: f.status,
                    body: f.body,
                }
            }
        };
        reply.send(out);
    }
}

/// A facade-made error with an HTTP status (no server answered).
fn refused(kind: fn(ApiError) -> Error, status: u16, message: &str) -> Error {
    kind(ApiError {
        status,
        message: message.into(),
        request_id: None,
        retry_after_s: None,
    })
}

/// The path's segments after the leading slash: `/volumes/v1/extend` → `[volumes, v1, extend]`.
fn segments(path: &str) -> Vec<&str> {
    path.trim_matches('/').split('/').filter(|s| !s.is_empty()).collect()
}

/// A session on the caller's token: no request is sent (token, URL and microversion given).
fn session(token: Option<String>) -> Result<Session, Error> {
    let Some(token) = token.filter(|t| !t.is_empty()) else {
        return Err(refused(Error::Unauthorized, 401, "an X-Auth-Token header is required"));
    };
    connect(&Config {
        auth_url: String::new(),
        credentials: Credentials::Token(token),
        region: None,
        endpoint_interface: None,
        block_storage_url: Some(config::block_storage_url()),
        compute_url: None,
        timeout_ms: None,
        microversion: Some(config::microversion()),
        max_response_bytes: None,
    })
}

/// The status and JSON body of a routed call.
fn answer(call: Call) -> Result<(u16, Option<Value>), Error> {
    let segs = segments(&call.path);
    let route = match (&call.method, segs.as_slice()) {
        (Method::Get, ["volumes"]) => Route::List,
        (Method::Post, ["volumes"]) => Route::Create,
        (Method::Get, ["volumes", id]) => Route::Get(id),
        (Method::Delete, ["volumes", id]) => Route::Delete(id),
        (Method::Post, ["volumes", id, "extend"]) => Route::Extend(id),
        (Method::Post, ["volumes", id, "backups"]) => Route::Backup(id),
        (Method::Get, ["limits"]) => Route::Limits,
        _ => return Err(refused(Error::NotFound, 404, "no such route")),
    };
    let s = session(call.token.clone())?;
    route.run(&s, &call)
}

/// `GET /volumes` lists them all, every page followed.
const EVERY_PAGE: ListOptions = ListOptions {
    status: None,
    name: None,
    page_size: None,
    limit: None,
    marker: None,
    sort: None,
    volume_id: None,
    metadata: Vec::new(),
};

enum Route<'a> {
    List,
    Create,
    Get(&'a str),
    Delete(&'a str),
    Extend(&'a str),
    Backup(&'a str),
    Limits,
}

impl Route<'_> {
    fn run(self, s: &Session, call: &Call) -> Result<(u16, Option<Value>), Error> {
        let body = call.body.as_deref();
        let key = call.idempotency_key.clone();
        Ok(match self {
            Route::List => {
                let all = volumes::list(s, &EVERY_PAGE)?;
                (200, Some(Value::Array(all.iter().map(body::volume).collect())))
            }
            Route::Create => (
                202,
                Some(body::volume(&volumes::create(s, &body::volume_create(body, key)?)?)),
            ),
            Route::Get(id) => (200, Some(body::volume(&volumes::get(s, id)?))),
            Route::Delete(id) => {
                volumes::delete(s, id, false, false)?;
                (204, None)
            }
            Route::Extend(id) => {
                volumes::extend(s, id, body::new_size(body)?)?;
                (202, None)
            }
            Route::Backup(id) => (
                202,
                Some(body::backup(&backups::create(s, &body::backup_create(id, body, key)?)?)),
            ),
            Route::Limits => (200, Some(body::limits(&project::limits(s)?))),
        })
    }
}
