//! The one pagination loop: follow `*_links` `rel=next` until the last page.

use serde::de::DeserializeOwned;

use crate::client::{decode, Client, Service};
use crate::error::invalid;
use crate::http::{query_string, Io, Method, Url};
use crate::prelude::*;
use crate::wire::Link;
use crate::{validate, Error, ListOptions};

/// A decoded page of a collection.
pub trait Page: DeserializeOwned {
    type Item;
    /// The items and the page's links.
    fn into_parts(self) -> (Vec<Self::Item>, Vec<Link>);
}

/// Upper bound on pages followed, against a server that links pages in a circle.
const MAX_PAGES: usize = 100_000;

/// GETs `path` + `query` and every next page. The next link's query is applied to our own
/// endpoint, so a link naming another host (a misconfigured proxy) never receives the token.
pub fn list_all<I: Io, P: Page>(c: &Client<I>, path: &str, query: String, what: &str) -> Result<Vec<P::Item>, Error> {
    let mut items = Vec::new();
    let mut query = query;
    for _ in 0..MAX_PAGES {
        let resp = c.request(Service::BlockStorage, Method::Get, &format!("{path}{query}"), None)?;
        let (page, links) = decode::<P>(&resp, what)?.into_parts();
        let fetched = page.len();
        items.extend(page);
        let next = links
            .iter()
            .find(|l| l.rel == "next")
            .map(|l| next_query(&l.href))
            .transpose()?;
        match next {
            Some(q) if fetched > 0 && q != query => query = q,
            _ => return Ok(items),
        }
    }
    Err(Error::InvalidResponse(format!("{what}: more than {MAX_PAGES} pages")))
}

fn next_query(href: &str) -> Result<String, Error> {
    let url = Url::parse(href).map_err(|e| Error::InvalidResponse(format!("next link {e}")))?;
    Ok(url.query().map(|q| format!("?{q}")).unwrap_or_default())
}

/// `?limit&status&name` for the detail listings of every resource.
pub fn list_query(opts: &ListOptions) -> Result<String, Error> {
    if let Some(s) = &opts.status {
        validate::status("status", s)?;
    }
    validate::name("name", &opts.name)?;
    if opts.page_size == Some(0) {
        return Err(invalid("page-size", "must be positive"));
    }
    Ok(query_string(&[
        ("limit", opts.page_size.map(|n| n.to_string())),
        ("status", opts.status.clone()),
        ("name", opts.name.clone()),
    ]))
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn list_queries() {
        let o = ListOptions {
            status: Some("available".into()),
            name: Some("a b".into()),
            page_size: Some(2),
        };
        assert_eq!(list_query(&o).unwrap(), "?limit=2&status=available&name=a%20b");
        let o = ListOptions {
            status: None,
            name: None,
            page_size: Some(0),
        };
        assert!(list_query(&o).is_err());
    }
}
