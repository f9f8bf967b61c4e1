//! The one pagination loop: follow `*_links` `rel=next` until the last page.

use crate::client::{decode, Client, Service};
use crate::error::invalid;
use crate::http::{query_string, Io, Method, Response, Url};
use crate::prelude::*;
use crate::wire::{Enveloped, Link, Many};
use crate::{validate, Error, ListOptions};

/// Upper bound on pages followed, against a server that links pages in a circle.
const MAX_PAGES: usize = 100_000;

/// GETs `path` + `query` and every next page. The next link's query is applied to our own
/// endpoint, so a link naming another host (a misconfigured proxy) never receives the token.
pub fn list_all<I: Io, T: Enveloped>(c: &Client<I>, path: &str, query: String, what: &str) -> Result<Vec<T>, Error> {
    let mut items = Vec::new();
    follow(c, path, query, what, &mut |resp| {
        let page = decode::<Many<T>>(resp, what)?;
        let fetched = page.items.len();
        items.extend(page.items);
        Ok((fetched, page.links))
    })?;
    Ok(items)
}

/// Decodes one page and keeps its items: how many it had, and the page's links.
type PageReader<'f> = dyn FnMut(&Response) -> Result<(usize, Vec<Link>), Error> + 'f;

/// The loop of [`list_all`], the same for every resource.
fn follow<I: Io>(
    c: &Client<I>,
    path: &str,
    mut query: String,
    what: &str,
    page: &mut PageReader<'_>,
) -> Result<(), Error> {
    let mut seen: Vec<String> = Vec::new();
    for _ in 0..MAX_PAGES {
        let resp = c.request(Service::BlockStorage, Method::Get, &format!("{path}{query}"), None)?;
        let (fetched, links) = page(&resp)?;
        let next = links
            .iter()
            .find(|l| l.rel == "next")
            .map(|l| next_query(&l.href))
            .transpose()?;
        match next {
            Some(q) if fetched > 0 && q != query => {
                // A link back to an earlier page would repeat items forever.
                seen.push(core::mem::replace(&mut query, q));
                if seen.contains(&query) {
                    return Err(Error::InvalidResponse(format!("{what}: the next links go in a circle")));
                }
            }
            _ => return Ok(()),
        }
    }
    Err(Error::InvalidResponse(format!("{what}: more than {MAX_PAGES} pages")))
}

/// The query of a next link, with anything a URL may not carry as is percent-encoded, so
/// a server's odd link is never mistaken for our own bad input by the host.
fn next_query(href: &str) -> Result<String, Error> {
    let url = Url::parse(href).map_err(|e| Error::InvalidResponse(format!("next link {e}")))?;
    let Some(q) = url.query() else {
        return Ok(String::new());
    };
    let mut out = String::from("?");
    for b in q.bytes() {
        if b.is_ascii_alphanumeric() || b"-._~!$&'()*+,;=:@/?%".contains(&b) {
            out.push(b as char);
        } else {
            out.push_str(&format!("%{b:02X}"));
        }
    }
    Ok(out)
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
