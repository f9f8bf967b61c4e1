//! What volumes, snapshots and backups share, written once: read one, list every page,
//! delete (or force-delete), and wait for a status.

use crate::client::{Client, Service};
use crate::http::{Io, Method};
use crate::pagination::{list_all, list_query};
use crate::prelude::*;
use crate::wire::{Enveloped, One};
use crate::{validate, wait, Error, ListOptions};

/// A Cinder resource with the usual collection layout (`/volumes`, `/volumes/detail`,
/// `/volumes/{id}`, `/volumes/{id}/action`).
pub trait Resource: Enveloped {
    /// The collection path, e.g. `/volumes`.
    const COLLECTION: &'static str;
    /// The singular name used in messages, e.g. `volume`.
    const NAME: &'static str;
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
    list_all::<I, R>(c, &format!("{}/detail", R::COLLECTION), list_query(opts)?, &what)
}

/// Deletes, or with `force` calls the admin-only `os-force_delete` action (403 for normal
/// users under Cinder's default policy).
pub fn delete<R: Resource, I: Io>(c: &Client<I>, id: &str, force: bool) -> Result<(), Error> {
    delete_in(c, R::COLLECTION, id, force)
}

fn delete_in<I: Io>(c: &Client<I>, collection: &str, id: &str, force: bool) -> Result<(), Error> {
    let path = path_in(collection, id)?;
    if force {
        let body = br#"{"os-force_delete":{}}"#.to_vec();
        c.request(
            Service::BlockStorage,
            Method::Post,
            &format!("{path}/action"),
            Some(body),
        )?;
    } else {
        c.request(Service::BlockStorage, Method::Delete, &path, None)?;
    }
    Ok(())
}

pub fn wait_for<R: Resource, I: Io>(c: &Client<I>, id: &str, status: &str, timeout_s: u32) -> Result<Option<R>, Error> {
    validate::id("id", id)?;
    wait::wait_for(c, R::NAME, id, status, timeout_s, || get::<R, I>(c, id), R::status)
}
