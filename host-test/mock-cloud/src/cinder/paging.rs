//! Lists, as Cinder's list APIs read their query: `limit`, `marker`, `offset`,
//! `sort` (or the older `sort_key`/`sort_dir`), and every other parameter a
//! filter, checked against the resource's [`ListRules`]; then next links and
//! counts.

use super::faults::bad;
use super::microversion::V;
use super::resource::no_such;
use super::Ctx;
use crate::state::{Resource, Resp, State};
use crate::util::quote_plus;
use serde_json::{json, Map, Value};
use std::cmp::Ordering;

/// How a resource's list reads a query: the filters a non-admin may give (an
/// admin may give any: one on no known column matches nothing) and the columns
/// it sorts on. Built with [`ListRules::new`] and the methods after it.
pub(super) struct ListRules {
    /// A non-admin's filters from `general_since` (`resource_filters.json`);
    /// any other is refused (400).
    filters: &'static [&'static str],
    /// A non-admin's filters below `general_since`; others are dropped.
    legacy_filters: &'static [&'static str],
    /// The microversion of the general filtering.
    general_since: V,
    /// Filters dropped below a microversion (before `general_since`).
    added_filters: &'static [(&'static str, V)],
    /// The columns it sorts on (and [`NAMED_SORTS`] when `named`), besides
    /// `name` from `name_sort_since`.
    sorts: &'static [&'static str],
    name_sort_since: V,
    /// An unknown marker starts the list over (types) instead of a 404.
    lenient_marker: bool,
    /// `with_count` (3.45+) asks for the count; without, it is one more filter.
    counts: bool,
    /// It also sorts on the columns volumes, snapshots and backups share.
    named: bool,
}

/// The columns volumes, snapshots and backups all sort on.
const NAMED_SORTS: [&str; 8] = [
    "id",
    "display_name",
    "display_description",
    "status",
    "created_at",
    "updated_at",
    "user_id",
    "project_id",
];

impl ListRules {
    /// `filters` at any microversion (the general filtering from 3.31), sorted
    /// on `sorts` (not on `name`), no count.
    pub(super) const fn new(filters: &'static [&'static str], sorts: &'static [&'static str]) -> ListRules {
        ListRules {
            filters,
            legacy_filters: filters,
            general_since: (3, 31),
            added_filters: &[],
            sorts,
            name_sort_since: (99, 0),
            lenient_marker: false,
            counts: false,
            named: false,
        }
    }
    /// A volume's, snapshot's or backup's: `with_count` gives the count (3.45+),
    /// the [`NAMED_SORTS`] sort too, `name` from `since`.
    pub(super) const fn named(self, since: V) -> ListRules {
        ListRules {
            counts: true,
            named: true,
            name_sort_since: since,
            ..self
        }
    }
    /// A non-admin's filters before the general filtering (from `since`).
    pub(super) const fn legacy(self, legacy_filters: &'static [&'static str], since: V) -> ListRules {
        ListRules {
            legacy_filters,
            general_since: since,
            ..self
        }
    }
    /// Filters that appeared at a microversion (before the general filtering).
    pub(super) const fn added(self, added_filters: &'static [(&'static str, V)]) -> ListRules {
        ListRules { added_filters, ..self }
    }
    /// An unknown marker is ignored.
    pub(super) const fn lenient(self) -> ListRules {
        ListRules {
            lenient_marker: true,
            ..self
        }
    }
}

/// The value of a column, for filters and sorting.
#[derive(PartialEq, Eq, PartialOrd, Ord)]
pub(super) enum Col<'a> {
    /// NULL sorts first.
    Text(Option<&'a str>),
    Int(i64),
}

impl<'a> Col<'a> {
    pub(super) fn text(s: &'a str) -> Col<'a> {
        Col::Text(Some(s))
    }
    pub(super) fn opt(s: &'a Option<String>) -> Col<'a> {
        Col::Text(s.as_deref())
    }
    /// Whether a filter's value selects this one (`~`: a part of it).
    fn matches(&self, v: &str, like: bool) -> bool {
        match self {
            Col::Text(Some(s)) if like => s.contains(v),
            Col::Text(Some(s)) => *s == v,
            Col::Text(None) => false,
            Col::Int(n) => n.to_string() == v,
        }
    }
}

/// What volumes, snapshots and backups have in common, for [`named_col`].
pub(super) struct Named<'a> {
    pub(super) name: &'a Option<String>,
    pub(super) description: &'a Option<String>,
    pub(super) status: &'a str,
    pub(super) created_at: i64,
    pub(super) updated_at: Option<i64>,
}

/// The [`Named`] view of a volume, snapshot or backup (fields of those names).
macro_rules! named {
    ($x:expr) => {
        $crate::cinder::paging::Named {
            name: &$x.name,
            description: &$x.description,
            status: &$x.status,
            created_at: $x.created_at,
            updated_at: $x.updated_at,
        }
    };
}
pub(super) use named;

/// The columns volumes, snapshots and backups have in common.
fn named_col<'a>(n: Named<'a>, col: &str) -> Option<Col<'a>> {
    Some(match col {
        "name" | "display_name" => Col::opt(n.name),
        "display_description" => Col::opt(n.description),
        "status" => Col::text(n.status),
        "created_at" => Col::Int(n.created_at),
        "updated_at" => n.updated_at.map_or(Col::Text(None), Col::Int),
        _ => return None,
    })
}

/// A resource as its list sees it.
pub(super) trait Listed: Resource {
    const RULES: ListRules;
    /// The key of the list in a body.
    const LIST: &'static str = Self::COLL;
    /// The key of its next link.
    fn links_key() -> String {
        format!("{}_links", Self::LIST)
    }
    /// The column `name` (API names such as `name` included), beyond the id
    /// and [`Listed::named`]'s; None: none such.
    fn col(&self, name: &str) -> Option<Col<'_>>;
    /// The columns of a volume, snapshot or backup ([`named!`]).
    fn named(&self) -> Option<Named<'_>> {
        None
    }
    /// The key/value pairs the `metadata` filter looks in.
    fn meta(&self) -> Option<&Map<String, Value>> {
        None
    }
}

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

/// The parameters that page and sort rather than filter.
const PAGING: [&str; 6] = ["limit", "marker", "offset", "sort", "sort_key", "sort_dir"];

/// The rows of `items` a list query asks for: filtered, sorted, after the
/// marker, cut at the limit.
pub(super) fn page<'a, T: Listed>(
    st: &State,
    c: &Ctx,
    q: &[(String, String)],
    items: &'a [T],
) -> Result<Page<'a, T>, Resp> {
    let limit = limit(st, q)?;
    let offset = offset(q)?;
    let sorts = sort_params(q)?;
    let filters = filters::<T>(c, q)?;
    let mut rows: Vec<&T> = items.iter().filter(|x| selected(*x, &filters, c)).collect();
    let keys = sort_keys::<T>(c, sorts, items, param(q, "marker"))?;
    rows.sort_by(|a, b| compare(*a, *b, &keys.0));
    let total = rows.len();
    if let Some(m) = keys.1 {
        rows.retain(|r| compare(*r, m, &keys.0) == Ordering::Greater);
    }
    rows.drain(..offset.min(rows.len()));
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

/// The `offset` (rows skipped after the marker), 0 to 2147483647.
fn offset(q: &[(String, String)]) -> Result<usize, Resp> {
    let Some(o) = param(q, "offset") else {
        return Ok(0);
    };
    match o.trim().parse::<i64>() {
        Err(_) => Err(bad("offset must be an integer")),
        Ok(n) if n < 0 => Err(bad("offset must be >= 0")),
        Ok(n) if n > i32::MAX as i64 => Err(bad("offset must be <= 2147483647")),
        Ok(n) => Ok(n as usize),
    }
}

/// The sort keys and directions asked for: `sort=k[:dir],...` or
/// sort_key/sort_dir (not both), `desc` by default.
fn sort_params(q: &[(String, String)]) -> Result<Vec<(String, String)>, Resp> {
    let get = |k: &str| param(q, k);
    if get("sort").is_some() && (get("sort_key").is_some() || get("sort_dir").is_some()) {
        return Err(bad(
            "The 'sort_key' and 'sort_dir' parameters are deprecated and cannot be used with the 'sort' parameter.",
        ));
    }
    let pair = |k: &str, d: &str| {
        let d = if d.is_empty() { "desc" } else { d };
        (k.trim().to_string(), d.trim().to_string())
    };
    Ok(match get("sort") {
        Some(s) => s
            .trim()
            .split(',')
            .map(|p| {
                let (k, d) = p.split_once(':').unwrap_or((p, ""));
                pair(k, d)
            })
            .collect(),
        None => vec![pair(
            get("sort_key").unwrap_or("created_at"),
            get("sort_dir").unwrap_or("desc"),
        )],
    })
}

/// The sort (true: descending), checked: directions first, then the marker
/// (returned, None when there is none), then the keys, as Cinder's database
/// layer does. `created_at` and `id` follow in the first key's direction.
#[allow(clippy::type_complexity)]
fn sort_keys<'a, T: Listed>(
    c: &Ctx,
    sorts: Vec<(String, String)>,
    items: &'a [T],
    marker: Option<&str>,
) -> Result<(Vec<(String, bool)>, Option<&'a T>), Resp> {
    if sorts.iter().any(|(_, d)| d != "asc" && d != "desc") {
        return Err(bad(
            "Invalid input received: Unknown sort direction, must be 'desc' or 'asc'.",
        ));
    }
    let marker = match marker {
        None => None,
        Some(m) => match items.iter().find(|x| x.key().id == m) {
            Some(x) => Some(x),
            None if T::RULES.lenient_marker => None,
            None => return Err(no_such::<T>(m)),
        },
    };
    let rules = &T::RULES;
    let sortable = |k: &str| {
        rules.sorts.contains(&k)
            || (rules.named && NAMED_SORTS.contains(&k))
            || (k == "name" && c.mv >= rules.name_sort_since)
    };
    if !sorts.iter().all(|(k, _)| sortable(k)) {
        return Err(bad("Invalid input received: Invalid sort key"));
    }
    let first_desc = sorts[0].1 == "desc";
    let mut keys: Vec<(String, bool)> = sorts.into_iter().map(|(k, d)| (k, d == "desc")).collect();
    for k in ["created_at", "id"] {
        if !keys.iter().any(|(kk, _)| kk == k) {
            keys.push((k.to_string(), first_desc));
        }
    }
    Ok((keys, marker))
}

/// The column `name` of `x`: its id, a [`named_col`] or one of [`Listed::col`].
fn column<'a, T: Listed>(x: &'a T, name: &str) -> Option<Col<'a>> {
    if name == "id" {
        return Some(Col::text(x.key().id));
    }
    x.named().and_then(|n| named_col(n, name)).or_else(|| x.col(name))
}

fn compare<T: Listed>(a: &T, b: &T, keys: &[(String, bool)]) -> Ordering {
    for (k, desc) in keys {
        let o = column(a, k).cmp(&column(b, k));
        let o = if *desc { o.reverse() } else { o };
        if o != Ordering::Equal {
            return o;
        }
    }
    Ordering::Equal
}

/// The filters of a query: every parameter but the paging ones (and
/// `all_tenants`), as the caller may give them.
fn filters<T: Listed>(c: &Ctx, q: &[(String, String)]) -> Result<Vec<(String, String)>, Resp> {
    let rules = &T::RULES;
    let counted = rules.counts && c.at_least("3.45");
    let mut f: Vec<(String, String)> = q
        .iter()
        .filter(|(k, _)| !PAGING.contains(&k.as_str()) && k != "all_tenants" && !(counted && k == "with_count"))
        .cloned()
        .collect();
    if c.mv < rules.general_since {
        f.retain(|(k, _)| rules.added_filters.iter().all(|(a, v)| a != k || c.mv >= *v));
        if !c.admin {
            f.retain(|(k, _)| rules.legacy_filters.contains(&k.as_str()));
        }
        return Ok(f);
    }
    let like = c.at_least("3.34");
    let allowed = |k: &str| rules.filters.contains(&k) || (like && rules.filters.contains(&format!("{k}~").as_str()));
    let invalid: Vec<&str> = f.iter().map(|(k, _)| k.as_str()).filter(|k| !allowed(k)).collect();
    if !c.admin && !invalid.is_empty() {
        return Err(bad(&format!(
            "Invalid filters {} are found in query options.",
            invalid.join(",")
        )));
    }
    Ok(f)
}

/// Whether `x` passes every filter (`k~`: a part of the value, 3.34+).
fn selected<T: Listed>(x: &T, filters: &[(String, String)], c: &Ctx) -> bool {
    filters.iter().all(|(k, v)| {
        if k == "metadata" {
            return x.meta().is_some_and(|m| metadata_matches(m, v));
        }
        let like = c.at_least("3.34") && k.ends_with('~');
        let col = if like { &k[..k.len() - 1] } else { k };
        column(x, col).is_some_and(|value| value.matches(v, like))
    })
}

/// The `metadata` filter: a dict (`{"k": "v"}` or Python's `{'k': 'v'}`) whose
/// every pair `meta` has; anything else matches nothing.
pub(super) fn metadata_matches(meta: &Map<String, Value>, filter: &str) -> bool {
    let parsed = serde_json::from_str::<Value>(filter).or_else(|_| serde_json::from_str(&filter.replace('\'', "\"")));
    match parsed {
        Ok(Value::Object(want)) => want.iter().all(|(k, v)| {
            let v = v.as_str().map(str::to_string).unwrap_or_else(|| v.to_string());
            meta.get(k).and_then(Value::as_str) == Some(v.as_str())
        }),
        _ => false,
    }
}

/// A list response: the rows in `view`, a next link when the page is full, and
/// the count (3.45+) when asked for.
pub(super) fn list<T: Listed>(
    st: &State,
    c: &Ctx,
    q: &[(String, String)],
    items: &[T],
    detail: bool,
    view: impl Fn(&T) -> Value,
) -> Result<Resp, Resp> {
    let Page { rows, limit, total } = page(st, c, q, items)?;
    let mut out = Map::new();
    let items: Vec<Value> = rows.iter().map(|r| view(r)).collect();
    let n = items.len();
    out.insert(T::LIST.to_string(), Value::Array(items));
    if n > 0 && limit <= n {
        let last = rows.last().map(|r| r.key().id.to_string()).unwrap_or_default();
        let path = if detail {
            format!("{}/detail", T::COLL)
        } else {
            T::COLL.to_string()
        };
        out.insert(
            T::links_key(),
            json!([{"rel": "next", "href": format!("{}?{}", c.join(&path), next_query(q, last))}]),
        );
    }
    let counted = T::RULES.counts && c.at_least("3.45");
    if counted && param(q, "with_count").is_some_and(|w| w == "true" || w == "True") {
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
