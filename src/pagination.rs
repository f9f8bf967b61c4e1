//! The one pagination loop: follow `*_links` `rel=next` until the last page.

use crate::client::{decode, Client, Service};
use crate::error::invalid;
use crate::http::{query_string, Io, Method, Response, Url};
use crate::json::Writer;
use crate::prelude::*;
use crate::version::{self, Microversion};
use crate::wire::{Enveloped, Link, Many};
use crate::{validate, Error, ListOptions};

/// Most pages one listing follows: 10 million items at Cinder's default page of 1,000, and
/// a bound on a server that keeps linking one more page.
pub const MAX_PAGES: usize = 10_000;

/// How long one listing may take, all pages together, in units of the request timeout
/// (and never less than [`MIN_LIST_MS`]): a server that answers each page just in time
/// cannot keep a listing going forever.
const LIST_TIMEOUTS: u64 = 10;
const MIN_LIST_MS: u64 = 120_000;

/// GETs `path` + `query` and every next page, or only as many pages as hold `limit` items
/// (the rest of the last one is dropped). The next link's query is applied to our own
/// endpoint, so a link naming another host (a misconfigured proxy) never receives the token.
pub fn list_all<I: Io, T: Enveloped>(
    c: &Client<I>,
    path: &str,
    query: String,
    what: &str,
    limit: Option<u32>,
) -> Result<Vec<T>, Error> {
    let mut items = Vec::new();
    let max = limit.map_or(usize::MAX, |n| n as usize);
    follow(c, path, query, what, &mut |resp| {
        let page = decode::<Many<T>>(resp, what)?;
        let fetched = page.items.len();
        items.extend(page.items);
        items.truncate(max);
        Ok((fetched, page.links, items.len() >= max))
    })?;
    Ok(items)
}

/// Decodes one page and keeps its items: how many it had, the page's links, and whether
/// enough items are kept (then no next page is fetched).
type PageReader<'f> = dyn FnMut(&Response) -> Result<(usize, Vec<Link>, bool), Error> + 'f;

/// The loop of [`list_all`], the same for every resource.
fn follow<I: Io>(
    c: &Client<I>,
    path: &str,
    mut query: String,
    what: &str,
    page: &mut PageReader<'_>,
) -> Result<(), Error> {
    let deadline = c.io().now_ms().saturating_add(list_time_ms(c.timeout_ms()));
    // A link back to an earlier page would repeat items forever: Brent's cycle detection
    // finds it in linear time and constant memory (one saved query, checkpoints at powers
    // of two), within twice the circle's length.
    let mut saved = query.clone();
    let (mut power, mut steps) = (1usize, 0usize);
    for pages in 1..=MAX_PAGES {
        let resp = c.request(Service::BlockStorage, Method::Get, &format!("{path}{query}"), None)?;
        let (fetched, links, enough) = page(&resp)?;
        if enough {
            return Ok(());
        }
        let next = links
            .iter()
            .find(|l| l.rel == "next")
            .map(|l| next_query(&l.href))
            .transpose()?;
        match next {
            Some(q) if fetched > 0 && q != query => {
                if q == saved {
                    return Err(Error::InvalidResponse(format!("{what}: the next links go in a circle")));
                }
                query = q;
                steps += 1;
                if steps == power {
                    saved = query.clone();
                    (power, steps) = (power * 2, 0);
                }
            }
            _ => return Ok(()),
        }
        if c.io().now_ms() >= deadline {
            return Err(Error::Transport(format!(
                "timed out: {what} took longer than {} s over {pages} pages",
                list_time_ms(c.timeout_ms()) / 1000,
            )));
        }
    }
    Err(Error::InvalidResponse(format!(
        "{what}: more than {MAX_PAGES} pages (ask for fewer with limit, or larger pages)"
    )))
}

/// The time one listing may take, for a request timeout of `timeout_ms`.
pub fn list_time_ms(timeout_ms: u32) -> u64 {
    (u64::from(timeout_ms) * LIST_TIMEOUTS).max(MIN_LIST_MS)
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

/// The sort keys every resource's listing accepts (`name` is Cinder's alias of
/// `display_name`).
pub const COMMON_SORT_KEYS: &[&str] = &[
    "id",
    "name",
    "display_name",
    "display_description",
    "status",
    "created_at",
    "updated_at",
    "user_id",
    "project_id",
];

/// What a resource's listing accepts beyond the common filters.
pub struct Listing {
    /// The sort keys Cinder accepts for the resource besides [`COMMON_SORT_KEYS`] (its
    /// model's columns), the ones a user may want.
    pub sort_keys: &'static [&'static str],
    /// The microversion from which `name` is a sort key.
    pub sort_name: Microversion,
    /// Whether the listing filters by `volume_id`.
    pub by_volume: bool,
}

/// The query of the detail listings of every resource (`?limit&marker&sort&status&name
/// &volume_id&metadata`), after checking the options: each failure names its field.
pub fn list_query(opts: &ListOptions, listing: &Listing, mv: Microversion) -> Result<String, Error> {
    if let Some(s) = &opts.status {
        validate::status("status", s)?;
    }
    validate::name("name", &opts.name)?;
    if opts.page_size == Some(0) {
        return Err(invalid("page-size", "must be positive"));
    }
    if opts.limit == Some(0) {
        return Err(invalid("limit", "must be at least 1"));
    }
    validate::opt_id("marker", &opts.marker)?;
    if let Some(sort) = &opts.sort {
        validate::sort("sort", sort, &[COMMON_SORT_KEYS, listing.sort_keys])?;
        if sort.split(',').any(|p| p.split(':').next() == Some("name")) {
            version::require("sort", listing.sort_name, mv)?;
        }
    }
    validate::opt_id("volume-id", &opts.volume_id)?;
    if opts.volume_id.is_some() && !listing.by_volume {
        return Err(invalid(
            "volume-id",
            "only snapshots and backups can be listed by volume",
        ));
    }
    validate::metadata("metadata", &opts.metadata)?;
    // Cinder's `limit` is the page size: ask for no more than are wanted.
    let per_page = match (opts.page_size, opts.limit) {
        (Some(p), Some(l)) => Some(p.min(l)),
        (p, l) => p.or(l),
    };
    let metadata = (!opts.metadata.is_empty()).then(|| {
        let mut w = Writer::object();
        for (k, v) in &opts.metadata {
            w.str(k, v);
        }
        String::from_utf8(w.finish()).unwrap_or_default()
    });
    Ok(query_string(&[
        ("limit", per_page.map(|n| n.to_string())),
        ("marker", opts.marker.clone()),
        ("sort", opts.sort.clone()),
        ("status", opts.status.clone()),
        ("name", opts.name.clone()),
        ("volume_id", opts.volume_id.clone()),
        ("metadata", metadata),
    ]))
}

#[cfg(test)]
pub(crate) mod tests {
    use super::*;

    /// No filter, no order, every page.
    pub(crate) fn all() -> ListOptions {
        ListOptions {
            status: None,
            name: None,
            page_size: None,
            limit: None,
            marker: None,
            sort: None,
            volume_id: None,
            metadata: vec![],
        }
    }

    const SNAPSHOTS: Listing = Listing {
        sort_keys: &["volume_size"],
        sort_name: version::SNAPSHOT_SORT_NAME,
        by_volume: true,
    };

    fn query(o: &ListOptions) -> Result<String, Error> {
        list_query(o, &SNAPSHOTS, version::CINDER_MAX)
    }

    #[test]
    fn list_queries() {
        let o = ListOptions {
            status: Some("available".into()),
            name: Some("a b".into()),
            page_size: Some(2),
            ..all()
        };
        assert_eq!(query(&o).unwrap(), "?limit=2&status=available&name=a%20b");
        let o = ListOptions {
            page_size: Some(0),
            ..all()
        };
        assert!(query(&o).is_err());
        assert_eq!(query(&all()).unwrap(), "");
    }

    #[test]
    fn limit_marker_sort_volume_and_metadata() {
        let o = ListOptions {
            limit: Some(10),
            marker: Some("m1".into()),
            sort: Some("created_at:desc,id".into()),
            volume_id: Some("v1".into()),
            metadata: vec![("k".into(), "v w".into()), ("a".into(), "\"".into())],
            ..all()
        };
        assert_eq!(
            query(&o).unwrap(),
            "?limit=10&marker=m1&sort=created_at%3Adesc%2Cid&volume_id=v1&metadata=%7B%22k%22%3A%22v%20w%22%2C%22a%22%3A%22%5C%22%22%7D"
        );
        // The page size never asks for more than the limit.
        let paged = |page_size, limit| {
            query(&ListOptions {
                page_size,
                limit,
                ..all()
            })
            .unwrap()
        };
        assert_eq!(paged(Some(50), Some(2)), "?limit=2");
        assert_eq!(paged(Some(2), Some(50)), "?limit=2");
        assert_eq!(paged(None, Some(7)), "?limit=7");
    }

    /// `all()` changed by `f`.
    pub(crate) fn with(f: impl FnOnce(&mut ListOptions)) -> ListOptions {
        let mut o = all();
        f(&mut o);
        o
    }

    /// Options every listing refuses, each with the field its error names.
    pub(crate) fn bad_options() -> Vec<(ListOptions, &'static str)> {
        vec![
            (with(|o| o.limit = Some(0)), "limit"),
            (with(|o| o.marker = Some("../x".into())), "marker"),
            (with(|o| o.marker = Some(String::new())), "marker"),
            (with(|o| o.sort = Some("bogus".into())), "sort"),
            (with(|o| o.sort = Some("id:up".into())), "sort"),
            (with(|o| o.sort = Some("created_at:newest".into())), "sort"),
            (with(|o| o.sort = Some(String::new())), "sort"),
            (with(|o| o.metadata = vec![(String::new(), "v".into())]), "metadata"),
            (with(|o| o.metadata = vec![("k".repeat(256), "v".into())]), "metadata"),
            (with(|o| o.metadata = vec![("k".into(), "v".repeat(256))]), "metadata"),
            (with(|o| o.status = Some("Bad".into())), "status"),
        ]
    }

    #[test]
    fn bad_options_name_their_field() {
        let mut cases = bad_options();
        cases.push((with(|o| o.volume_id = Some("a b".into())), "volume-id"));
        for (o, field) in cases {
            let e = query(&o).unwrap_err();
            assert!(
                matches!(&e, Error::InvalidInput(m) if m.starts_with(&format!("{field}: "))),
                "{field}: {e:?}"
            );
        }
        // Volumes are not listed by volume; `name` as a sort key needs its microversion.
        let volumes = Listing {
            by_volume: false,
            ..SNAPSHOTS
        };
        let by_volume = ListOptions {
            volume_id: Some("v1".into()),
            ..all()
        };
        assert!(
            matches!(list_query(&by_volume, &volumes, version::CINDER_MAX), Err(Error::InvalidInput(m)) if m.starts_with("volume-id: "))
        );
        let by_name = ListOptions {
            sort: Some("id,name:desc".into()),
            ..all()
        };
        let e = list_query(&by_name, &SNAPSHOTS, Microversion::new(3, 29)).unwrap_err();
        assert!(
            matches!(&e, Error::InvalidInput(m) if m == "sort: needs microversion 3.30 (the session uses 3.29)"),
            "{e:?}"
        );
        list_query(&by_name, &SNAPSHOTS, Microversion::new(3, 30)).unwrap();
    }
}
