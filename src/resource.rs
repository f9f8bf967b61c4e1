//! What volumes, snapshots and backups share, written once: read one, list every page,
//! delete (or force-delete), wait for a status, rename, and change metadata.

use crate::client::{decode, Client, Service};
use crate::http::{encode_query_value, Io, Method, Response};
use crate::json::{Decode, Failed, Reader, Writer};
use crate::pagination::{list_all, list_query, Listing};
use crate::prelude::*;
use crate::wire::{self, record, Enveloped, One};
use crate::{validate, wait, Error, ListOptions, ResourceUpdate};

/// Metadata items, key and value.
pub type Pairs = Vec<(String, String)>;

/// A Cinder resource with the usual collection layout (`/volumes`, `/volumes/detail`,
/// `/volumes/{id}`, `/volumes/{id}/action`).
pub trait Resource: Enveloped {
    /// The collection path, e.g. `/volumes`.
    const COLLECTION: &'static str;
    /// The singular name used in messages, e.g. `volume`.
    const NAME: &'static str;
    /// What its listing accepts (sort keys, filters).
    const LISTING: Listing;
    /// The resource's status, e.g. `available`.
    fn status(&self) -> &str;
}

/// `/volumes/{id}`, after checking the id.
pub fn path<R: Resource>(id: &str) -> Result<String, Error> {
    path_in(R::COLLECTION, id)
}

fn path_in(collection: &str, id: &str) -> Result<String, Error> {
    validate::id("id", id)?;
    Ok(format!("{collection}/{id}"))
}

pub fn get<R: Resource, I: Io>(c: &Client<I>, id: &str) -> Result<R, Error> {
    let path = path::<R>(id)?;
    Ok(c.get_json::<One<R>>(Service::BlockStorage, &path, R::NAME)?.0)
}

pub fn list<R: Resource, I: Io>(c: &Client<I>, opts: &ListOptions) -> Result<Vec<R>, Error> {
    let what = format!("{} list", R::NAME);
    let query = list_query(opts, &R::LISTING, c.microversion())?;
    list_all::<I, R>(c, &format!("{}/detail", R::COLLECTION), query, &what, opts.limit)
}

/// Deletes, or with `force` calls the admin-only `os-force_delete` action (403 for normal
/// users under Cinder's default policy).
pub fn delete<R: Resource, I: Io>(c: &Client<I>, id: &str, force: bool) -> Result<(), Error> {
    delete_in(c, R::COLLECTION, id, force)
}

fn delete_in<I: Io>(c: &Client<I>, collection: &str, id: &str, force: bool) -> Result<(), Error> {
    let path = path_in(collection, id)?;
    if force {
        action_in(c, &path, br#"{"os-force_delete":{}}"#.to_vec())?;
    } else {
        c.request(Service::BlockStorage, Method::Delete, &path, None)?;
    }
    Ok(())
}

/// `POST /volumes/{id}/action` with one action's body; the answer is the caller's to read.
pub fn action<R: Resource, I: Io>(c: &Client<I>, id: &str, body: Vec<u8>) -> Result<Response, Error> {
    action_in(c, &path::<R>(id)?, body)
}

fn action_in<I: Io>(c: &Client<I>, path: &str, body: Vec<u8>) -> Result<Response, Error> {
    c.request(
        Service::BlockStorage,
        Method::Post,
        &format!("{path}/action"),
        Some(body),
    )
}

pub fn wait_for<R: Resource, I: Io>(c: &Client<I>, id: &str, status: &str, timeout_s: u32) -> Result<Option<R>, Error> {
    validate::id("id", id)?;
    wait::wait_for(c, R::NAME, id, status, timeout_s, || get::<R, I>(c, id), R::status)
}

/// Checks an update and builds its body, `{"<one>": {"name", "description"}}`; an update
/// that changes nothing is refused.
pub fn update_body(one: &str, changes: &ResourceUpdate) -> Result<Vec<u8>, Error> {
    validate::name("name", &changes.name)?;
    validate::text("description", &changes.description)?;
    if changes.name.is_none() && changes.description.is_none() {
        return Err(crate::error::invalid("changes", "give a name, a description or both"));
    }
    let mut w = Writer::object();
    w.obj(one)
        .opt_str("name", changes.name.as_deref())
        .opt_str("description", changes.description.as_deref());
    Ok(w.finish())
}

/// `PUT /volumes/{id}`, answered with the updated resource (volumes, snapshots).
pub fn update<R: Resource, I: Io>(c: &Client<I>, id: &str, changes: &ResourceUpdate) -> Result<R, Error> {
    let resp = update_in(c, R::COLLECTION, R::ONE, id, changes)?;
    Ok(decode::<One<R>>(&resp, R::NAME)?.0)
}

/// The request of [`update`], the same for every resource; the answer is left to decode.
pub fn update_in<I: Io>(
    c: &Client<I>,
    collection: &str,
    one: &str,
    id: &str,
    changes: &ResourceUpdate,
) -> Result<Response, Error> {
    let path = path_in(collection, id)?;
    let body = update_body(one, changes)?;
    c.request(Service::BlockStorage, Method::Put, &path, Some(body))
}

/// An object's `metadata`, as key-sorted pairs: a `{"metadata": {…}}` answer, or a backup.
pub struct Metadata {
    pub metadata: Vec<(String, String)>,
}

record! {
    impl Decode for Metadata, required ["metadata"] {
        metadata: "metadata" => wire::metadata = Vec::new(),
    }
}

/// `POST /volumes/{id}/metadata`: Cinder merges the items and answers the whole metadata
/// (volumes, snapshots).
pub fn set_metadata<R: Resource, I: Io>(
    c: &Client<I>,
    id: &str,
    items: &[(String, String)],
) -> Result<Vec<(String, String)>, Error> {
    set_metadata_in(c, &path::<R>(id)?, items)
}

fn set_metadata_in<I: Io>(
    c: &Client<I>,
    path: &str,
    items: &[(String, String)],
) -> Result<Vec<(String, String)>, Error> {
    validate::metadata("items", items)?;
    let resp = c.request(
        Service::BlockStorage,
        Method::Post,
        &format!("{path}/metadata"),
        Some(metadata_body(None, items)),
    )?;
    Ok(decode::<Metadata>(&resp, "metadata")?.metadata)
}

/// `DELETE /volumes/{id}/metadata/{key}` for each key (volumes, snapshots). Cinder answers
/// 404 both for an absent key and for an absent resource: after a 404 the resource is read
/// once, so that only the latter fails. A key with a `/` cannot be put in that URL: those
/// are removed by reading the metadata and writing it back without them.
pub fn unset_metadata<R: Resource, I: Io>(c: &Client<I>, id: &str, keys: &[String]) -> Result<(), Error> {
    unset_metadata_in(c, &path::<R>(id)?, keys)
}

fn unset_metadata_in<I: Io>(c: &Client<I>, path: &str, keys: &[String]) -> Result<(), Error> {
    for k in keys {
        validate::key("keys", k)?;
    }
    let mut checked = false;
    for k in keys.iter().filter(|k| !k.contains('/')) {
        // Every byte but letters, digits, `-`, `_` and `~` escaped, dots included (a key
        // `..` must not become a path step).
        let key = encode_query_value(k).replace('.', "%2E");
        match c.request(
            Service::BlockStorage,
            Method::Delete,
            &format!("{path}/metadata/{key}"),
            None,
        ) {
            Err(Error::NotFound(_)) if !checked => {
                c.request(Service::BlockStorage, Method::Get, path, None)?;
                checked = true;
            }
            Err(Error::NotFound(_)) | Ok(_) => {}
            Err(e) => return Err(e),
        }
    }
    if keys.iter().any(|k| k.contains('/')) {
        edit_metadata(c, &format!("{path}/metadata"), None, &mut |m| remove_keys(m, keys))?;
    }
    Ok(())
}

/// Removes `keys` from `m`; whether one was there.
pub fn remove_keys(m: &mut Vec<(String, String)>, keys: &[String]) -> bool {
    let before = m.len();
    m.retain(|(k, _)| !keys.contains(k));
    m.len() < before
}

/// A resource whose metadata is read as its field: `{"backup": {…, "metadata": {…}}}`.
struct InBackup(Metadata);

impl Decode for InBackup {
    fn decode(r: &mut Reader<'_>) -> Result<InBackup, Failed> {
        wire::member(r, "backup").map(InBackup)
    }
}

/// Reads the metadata at `url` (`{"metadata": …}`, or inside `{"<one>": …}` when given:
/// only backups), lets `change` edit it (false: nothing changed) and writes it back whole
/// with `PUT url`, which replaces it. Answers the metadata as written.
pub fn edit_metadata<I: Io>(
    c: &Client<I>,
    url: &str,
    one: Option<&str>,
    change: &mut dyn FnMut(&mut Pairs) -> bool,
) -> Result<Pairs, Error> {
    let resp = c.request(Service::BlockStorage, Method::Get, url, None)?;
    let mut metadata = match one {
        Some(_) => decode::<InBackup>(&resp, "backup")?.0,
        None => decode::<Metadata>(&resp, "metadata")?,
    }
    .metadata;
    if change(&mut metadata) {
        c.request(
            Service::BlockStorage,
            Method::Put,
            url,
            Some(metadata_body(one, &metadata)),
        )?;
    }
    Ok(metadata)
}

/// `{"metadata": {…}}`, or inside `{"<one>": …}` when given.
pub fn metadata_body(one: Option<&str>, pairs: &[(String, String)]) -> Vec<u8> {
    let mut w = Writer::object();
    if let Some(one) = one {
        w.obj(one);
    }
    w.obj("metadata");
    for (k, v) in pairs {
        w.str(k, v);
    }
    w.finish()
}
