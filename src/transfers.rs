//! Volume transfers (`/os-volume-transfer`): hand a volume over to another project. The
//! auth key is a secret: it goes only into the create's answer and the accept's body,
//! never into an error or a log line.

use crate::client::{decode, Client, Service};
use crate::error::invalid;
use crate::http::{Io, Method};
use crate::json::Writer;
use crate::pagination::list_all;
use crate::prelude::*;
use crate::wire::{null_default, record, set, Enveloped, One};
use crate::{validate, Error, Transfer, TransferCreated};

/// The collection; every microversion routes it (`/volume-transfers` is its 3.55 twin).
const COLLECTION: &str = "/os-volume-transfer";

record! {
    impl Decode for Transfer, required ["id", "volume_id"] {
        id: "id" => set = String::new(),
        name: "name" => set = None,
        volume_id: "volume_id" => set = String::new(),
        created_at: "created_at" => null_default = String::new(),
    }
}

impl Enveloped for Transfer {
    const ONE: &'static str = "transfer";
    const MANY: &'static str = "transfers";
    const LINKS: &'static str = "transfers_links";
}

/// The create's answer: the transfer and its auth key side by side.
struct Created {
    id: String,
    name: Option<String>,
    volume_id: String,
    created_at: String,
    auth_key: String,
}

record! {
    impl Decode for Created, required ["id", "volume_id", "auth_key"] {
        id: "id" => set = String::new(),
        name: "name" => set = None,
        volume_id: "volume_id" => set = String::new(),
        created_at: "created_at" => null_default = String::new(),
        auth_key: "auth_key" => set = String::new(),
    }
}

impl Enveloped for Created {
    const ONE: &'static str = "transfer";
    const MANY: &'static str = "transfers";
    const LINKS: &'static str = "transfers_links";
}

fn path(id: &str) -> Result<String, Error> {
    validate::id("id", id)?;
    Ok(format!("{COLLECTION}/{id}"))
}

/// Offers `volume_id` for transfer.
pub fn create<I: Io>(c: &Client<I>, volume_id: &str, name: &Option<String>) -> Result<TransferCreated, Error> {
    validate::id("volume-id", volume_id)?;
    validate::name("name", name)?;
    let mut w = Writer::object();
    w.obj("transfer")
        .str("volume_id", volume_id)
        .opt_str("name", name.as_deref());
    let resp = c.request(Service::BlockStorage, Method::Post, COLLECTION, Some(w.finish()))?;
    let t = decode::<One<Created>>(&resp, "created transfer")?.0;
    c.secrets().auth_key(&t.auth_key);
    Ok(TransferCreated {
        transfer: Transfer {
            id: t.id,
            name: t.name,
            volume_id: t.volume_id,
            created_at: t.created_at,
        },
        auth_key: t.auth_key,
    })
}

/// This project's pending transfers, every page.
pub fn list<I: Io>(c: &Client<I>) -> Result<Vec<Transfer>, Error> {
    list_all(c, &format!("{COLLECTION}/detail"), String::new(), "transfer list", None)
}

pub fn get<I: Io>(c: &Client<I>, id: &str) -> Result<Transfer, Error> {
    Ok(
        c.get_json::<One<Transfer>>(Service::BlockStorage, &path(id)?, "transfer")?
            .0,
    )
}

/// Accepts a transfer with its auth key, checked without ever being echoed.
pub fn accept<I: Io>(c: &Client<I>, id: &str, auth_key: &str) -> Result<Transfer, Error> {
    let path = path(id)?;
    if auth_key.is_empty() || char_count(auth_key) > validate::MAX_NAME {
        return Err(invalid("auth-key", "must be 1 to 255 characters"));
    }
    if auth_key.chars().any(char::is_control) {
        return Err(invalid("auth-key", "must not contain control characters"));
    }
    c.secrets().auth_key(auth_key);
    let body = Writer::object().obj("accept").str("auth_key", auth_key).finish();
    let resp = c.request(
        Service::BlockStorage,
        Method::Post,
        &format!("{path}/accept"),
        Some(body),
    )?;
    Ok(decode::<One<Transfer>>(&resp, "accepted transfer")?.0)
}

pub fn delete<I: Io>(c: &Client<I>, id: &str) -> Result<(), Error> {
    c.request(Service::BlockStorage, Method::Delete, &path(id)?, None)?;
    Ok(())
}

#[cfg(test)]
mod tests {
    use super::*;
    use crate::http::Response;

    fn answer(body: &str) -> Response {
        Response {
            status: 202,
            headers: vec![],
            body: body.as_bytes().to_vec(),
        }
    }

    #[test]
    fn decodes_the_created_transfer_and_its_key() {
        let r = answer(
            r#"{"transfer": {"id": "t1", "created_at": "2026-11-30T10:00:00.000000", "name": null, "volume_id": "v1", "auth_key": "9266c59563c84664", "links": []}}"#,
        );
        let t = decode::<One<Created>>(&r, "created transfer").unwrap().0;
        assert_eq!(
            (t.id.as_str(), t.volume_id.as_str(), t.auth_key.as_str()),
            ("t1", "v1", "9266c59563c84664")
        );
        assert_eq!(t.name, None);
        // Accept answers without created_at.
        let r = answer(r#"{"transfer": {"id": "t1", "name": "n", "volume_id": "v1", "links": []}}"#);
        let t = decode::<One<Transfer>>(&r, "accepted transfer").unwrap().0;
        assert_eq!((t.name.as_deref(), t.created_at.as_str()), (Some("n"), ""));
        assert!(decode::<One<Created>>(&answer(r#"{"transfer": {"id": "t1", "volume_id": "v1"}}"#), "x").is_err());
    }
}
