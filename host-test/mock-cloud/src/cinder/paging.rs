//! Lists: filters, sorting, markers and limits, next links and counts.

use super::faults::bad;
use super::resource::no_such;
use super::Ctx;
use crate::state::{Key, Resource, Resp, State};
use crate::util::quote_plus;
use serde_json::{json, Map, Value};
use std::cmp::Ordering;

/// The list view of a volume or a backup: id, name and links.
pub(super) fn summary<T: Resource>(x: &T, c: &Ctx) -> Value {
    let k = x.key();
    json!({"id": k.id, "name": k.name, "links": c.links(T::COLL, k.id)})
}

/// One page of a list: the rows (filtered, sorted, after the marker), the
/// limit that cut them and how many matched before paging.
pub(super) struct Page<'a, T> {
    pub(super) rows: Vec<&'a T>,
    limit: usize,
    total: usize,
}

/// A query parameter (the last one given wins, as in webob).
pub(super) fn param<'a>(q: &'a [(String, String)], k: &str) -> Option<&'a str> {
    q.iter().rev().find(|(kk, _)| kk == k).map(|(_, v)| v.as_str())
}

/// The rows of `items` a list query asks for: filtered, sorted, after the
/// marker, cut at the limit.
pub(super) fn page<'a, T: Resource>(st: &State, q: &[(String, String)], items: &'a [T]) -> Result<Page<'a, T>, Resp> {
    let get = |k: &str| param(q, k);
    let limit = limit(st, q)?;
    let mut rows: Vec<&T> = items.iter().collect();
    if let Some(s) = get("status") {
        rows.retain(|r| r.key().status == s);
    }
    if let Some(n) = get("name").or_else(|| get("display_name")) {
        rows.retain(|r| r.key().name == Some(n));
    }
    let keys = sort_keys(q);
    rows.sort_by(|a, b| compare(&a.key(), &b.key(), &keys));
    let total = rows.len();
    if let Some(marker) = get("marker") {
        let exists = items.iter().any(|x| x.key().id == marker);
        let pos = rows.iter().position(|r| r.key().id == marker);
        match pos {
            Some(p) => {
                rows.drain(..=p);
            }
            None if exists => rows.clear(),
            None => return Err(no_such::<T>(marker)),
        }
    }
    rows.truncate(limit);
    Ok(Page { rows, limit, total })
}

/// The `limit` asked for, at most `osapi_max_limit` (the default).
fn limit(st: &State, q: &[(String, String)]) -> Result<usize, Resp> {
    let max = st.opts.max_page.max(1);
    match param(q, "limit") {
        None => Ok(max),
        Some(l) => match l.trim().parse::<i64>() {
            Err(_) => Err(bad("limit param must be an integer")),
            Ok(n) if n < 0 => Err(bad("limit param must be positive")),
            Ok(n) => Ok((n as usize).min(max)),
        },
    }
}

/// The sort keys, each with true for descending: `sort=k[:dir],...` or
/// sort_key/sort_dir; then created_at desc, id desc unless `id` is among them.
fn sort_keys(q: &[(String, String)]) -> Vec<(String, bool)> {
    let get = |k: &str| param(q, k);
    let mut keys: Vec<(String, bool)> = Vec::new();
    if let Some(s) = get("sort") {
        for part in s.split(',').filter(|p| !p.trim().is_empty()) {
            let (k, d) = part.split_once(':').unwrap_or((part, "desc"));
            keys.push((k.trim().to_string(), d.trim() != "asc"));
        }
    } else if let Some(k) = get("sort_key") {
        let d = get("sort_dir").unwrap_or("desc");
        keys.push((k.to_string(), d != "asc"));
    }
    if !keys.iter().any(|(k, _)| k == "id") {
        keys.push(("created_at".into(), true));
        keys.push(("id".into(), true));
    }
    keys
}

fn compare(a: &Key<'_>, b: &Key<'_>, keys: &[(String, bool)]) -> Ordering {
    for (k, desc) in keys {
        let o = match k.as_str() {
            "name" | "display_name" => a.name.cmp(&b.name),
            "status" => a.status.cmp(b.status),
            "size" => a.size.cmp(&b.size),
            "id" => a.id.cmp(b.id),
            _ => a.created_at.cmp(&b.created_at),
        };
        let o = if *desc { o.reverse() } else { o };
        if o != Ordering::Equal {
            return o;
        }
    }
    Ordering::Equal
}

/// A list response: the rows in `view`, a next link when the page is full, and
/// the count (3.45+) when asked for.
pub(super) fn list<T: Resource>(
    st: &State,
    c: &Ctx,
    q: &[(String, String)],
    items: &[T],
    detail: bool,
    view: impl Fn(&T) -> Value,
) -> Result<Resp, Resp> {
    let Page { rows, limit, total } = page(st, q, items)?;
    let coll = T::COLL;
    let mut out = Map::new();
    let items: Vec<Value> = rows.iter().map(|r| view(r)).collect();
    let n = items.len();
    out.insert(coll.to_string(), Value::Array(items));
    if n > 0 && limit <= n {
        let last = rows.last().map(|r| r.key().id.to_string()).unwrap_or_default();
        let path = if detail {
            format!("{coll}/detail")
        } else {
            coll.to_string()
        };
        out.insert(
            format!("{coll}_links"),
            json!([{"rel": "next", "href": format!("{}?{}", c.join(&path), next_query(q, last))}]),
        );
    }
    if param(q, "with_count").is_some_and(|w| w == "true" || w == "True") && c.at_least("3.45") {
        out.insert("count".into(), json!(total));
    }
    Ok(Resp::json(200, &Value::Object(out)))
}

/// The query of the next page: this one with `marker` set to `last`.
fn next_query(q: &[(String, String)], last: String) -> String {
    let mut params: Vec<(String, String)> = q.to_vec();
    match params.iter_mut().find(|(k, _)| k == "marker") {
        Some(p) => p.1 = last,
        None => params.push(("marker".into(), last)),
    }
    // webob MultiDict.copy()["marker"] = x replaces all, keeps first position
    let mut seen = false;
    params.retain(|(k, _)| {
        if k == "marker" {
            if seen {
                return false;
            }
            seen = true;
        }
        true
    });
    params
        .iter()
        .map(|(k, v)| format!("{}={}", quote_plus(k), quote_plus(v)))
        .collect::<Vec<_>>()
        .join("&")
}
