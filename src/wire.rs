//! OpenStack's JSON habits, decoded once for every resource: `null` where a list, string
//! or number is empty, booleans as strings (`"bootable": "false"`), metadata as maps,
//! `{"volume": {…}}` envelopes and `*_links` pages.

use crate::json::{Decode, Failed, Reader, Writer};
use crate::prelude::*;

// The field readers below fill the field they are given: a missing field keeps the value
// it was created with (the default).

/// Any `T` as JSON gives it (so `null` only where `T` is an `Option`).
pub fn set<T: Decode>(r: &mut Reader<'_>, field: &mut T) -> Result<(), Failed> {
    r.set(field)
}

/// `null` -> the type's default.
pub fn null_default<T: Decode + Default>(r: &mut Reader<'_>, field: &mut T) -> Result<(), Failed> {
    *field = r.read::<Option<T>>()?.unwrap_or_default();
    Ok(())
}

/// A boolean sent as `true`, `"true"`, `"True"`, `"false"` or `null` (false).
pub fn flex_bool(r: &mut Reader<'_>, field: &mut bool) -> Result<(), Failed> {
    *field = match r.peek() {
        Some(b'"') => r.str()?.eq_ignore_ascii_case("true"),
        _ if r.null() => false,
        _ => r.read()?,
    };
    Ok(())
}

/// A metadata map of strings as key-sorted pairs (`null` -> empty).
pub fn metadata(r: &mut Reader<'_>, field: &mut Vec<(String, String)>) -> Result<(), Failed> {
    let mut pairs = Vec::new();
    if !r.null() {
        r.object(&[], &mut |r, k| {
            pairs.push((k.to_string(), r.read()?));
            Ok(())
        })?;
    }
    *field = sorted(pairs);
    Ok(())
}

/// Writes metadata as a `"metadata"` object sorted by key, unless it is empty.
pub fn write_metadata(w: &mut Writer, pairs: &[(String, String)]) {
    if !pairs.is_empty() {
        w.obj("metadata");
        for (k, v) in sorted(pairs.to_vec()) {
            w.str(&k, &v);
        }
        w.end();
    }
}

/// Pairs sorted by key; of a key given twice, the last value.
pub fn sorted(mut pairs: Vec<(String, String)>) -> Vec<(String, String)> {
    let order = key_order(&pairs.iter().map(|(k, _)| k.as_str()).collect::<Vec<_>>());
    order.into_iter().map(|i| core::mem::take(&mut pairs[i])).collect()
}

/// The indices of `keys` in key order, each key once (at its last occurrence). A heapsort
/// of (key, index): O(n log n) whatever a server sends, without a sorting library's code.
pub fn key_order(keys: &[&str]) -> Vec<usize> {
    let less = |a: usize, b: usize| (keys[a], a) < (keys[b], b);
    let sift = |v: &mut [usize], mut root: usize| loop {
        let mut child = 2 * root + 1;
        if child >= v.len() {
            break;
        }
        if child + 1 < v.len() && less(v[child], v[child + 1]) {
            child += 1;
        }
        if !less(v[root], v[child]) {
            break;
        }
        v.swap(root, child);
        root = child;
    };
    let mut order: Vec<usize> = (0..keys.len()).collect();
    for root in (0..order.len() / 2).rev() {
        sift(&mut order, root);
    }
    for end in (1..order.len()).rev() {
        order.swap(0, end);
        sift(&mut order[..end], 0);
    }
    // Equal keys are now adjacent, in input order: keep the last of each run.
    let mut last: Vec<usize> = Vec::with_capacity(order.len());
    for i in order {
        match last.last_mut() {
            Some(prev) if keys[*prev] == keys[i] => *prev = i,
            _ => last.push(i),
        }
    }
    last
}

/// Defines a record's [`Decode`] from one table, so each JSON field is named once: a
/// hand-written field loop names every field twice (its default, its `match` arm) and a
/// forgotten arm silently leaves the default. A row is `field: "key" => reader = default`
/// (reader: [`set`], [`null_default`], [`flex_bool`], [`metadata`]); a row `field =
/// default` is never read. The struct literal is built from the rows, so a forgotten field
/// does not compile. `required` keys must be there (the first missing one is reported).
/// `impl Decode for W(Record)` wraps the decoded record in `W`. The expansion is the
/// hand-written loop (one non-generic closure), so it costs the component no code.
///
/// ```text
/// record! {
///     impl Decode for Link, required [] {
///         href: "href" => null_default = String::new(),
///         rel: "rel" => null_default = String::new(),
///     }
/// }
/// ```
macro_rules! record {
    (impl Decode for $T:ident($Record:ident), required [$($required:literal),*] { $($rows:tt)* }) => {
        impl $crate::json::Decode for $T {
            fn decode(r: &mut $crate::json::Reader<'_>) -> Result<$T, $crate::json::Failed> {
                Ok($T($crate::wire::record!(@read r, $Record, [$($required),*], { $($rows)* })))
            }
        }
    };
    (impl Decode for $T:ident, required [$($required:literal),*] { $($rows:tt)* }) => {
        impl $crate::json::Decode for $T {
            fn decode(r: &mut $crate::json::Reader<'_>) -> Result<$T, $crate::json::Failed> {
                Ok($crate::wire::record!(@read r, $T, [$($required),*], { $($rows)* }))
            }
        }
    };
    (@read $r:ident, $Record:ident, [$($required:literal),*], {
        $($field:ident $(: $key:literal => $read:path)? = $default:expr),* $(,)?
    }) => {{
        let mut v = $Record { $($field: $default),* };
        $r.object(&[$($required),*], &mut |r, k| match k {
            $($($key => $read(r, &mut v.$field),)?)*
            _ => r.skip(),
        })?;
        v
    }};
}
pub(crate) use record;

/// The value of the one required field `key`: `{"volume": {…}}` (other fields ignored).
pub fn member<T: Decode>(r: &mut Reader<'_>, key: &'static str) -> Result<T, Failed> {
    let mut value = None;
    member_with(r, key, &mut |r| {
        value = Some(r.read()?);
        Ok(())
    })?;
    value.ok_or(Failed) // never: `object` checked that `key` is there
}

/// The loop of [`member`], the same for every type: `read` reads the value of `key`.
fn member_with<'a>(
    r: &mut Reader<'a>,
    key: &'static str,
    read: &mut dyn FnMut(&mut Reader<'a>) -> Result<(), Failed>,
) -> Result<(), Failed> {
    r.object(&[key], &mut |r, k| if k == key { read(r) } else { r.skip() })
}

/// A record Cinder sends alone as `{"<ONE>": {…}}` and in pages as
/// `{"<MANY>": […], "<LINKS>": […]}`.
pub trait Enveloped: Decode {
    const ONE: &'static str;
    const MANY: &'static str;
    const LINKS: &'static str;
}

/// One record in its envelope, e.g. `{"volume": {…}}`.
pub struct One<T>(pub T);

impl<T: Enveloped> Decode for One<T> {
    fn decode(r: &mut Reader<'_>) -> Result<One<T>, Failed> {
        member(r, T::ONE).map(One)
    }
}

/// A page of records and its links, e.g. `{"volumes": […], "volumes_links": […]}`.
pub struct Many<T> {
    pub items: Vec<T>,
    pub links: Vec<Link>,
}

impl<T: Enveloped> Decode for Many<T> {
    fn decode(r: &mut Reader<'_>) -> Result<Many<T>, Failed> {
        page(r, T::MANY, T::LINKS).map(|(items, links)| Many { items, links })
    }
}

/// A page of a collection: `{"volumes": […], "volumes_links": […]}`.
pub fn page<T: Decode>(
    r: &mut Reader<'_>,
    items: &'static str,
    links: &'static str,
) -> Result<(Vec<T>, Vec<Link>), Failed> {
    let mut page = (Vec::new(), Vec::new());
    r.object(&[items], &mut |r, k| {
        if k == items {
            r.set(&mut page.0)
        } else if k == links {
            null_default(r, &mut page.1)
        } else {
            r.skip()
        }
    })?;
    Ok(page)
}

/// A `*_links` entry.
#[derive(Debug, Default)]
pub struct Link {
    pub href: String,
    pub rel: String,
}

record! {
    impl Decode for Link, required [] {
        href: "href" => null_default = String::new(),
        rel: "rel" => null_default = String::new(),
    }
}

#[cfg(test)]
mod tests {
    use super::*;
    use crate::json::from_slice;

    struct T {
        b: bool,
        m: Vec<(String, String)>,
        l: Vec<u32>,
    }

    impl Decode for T {
        fn decode(r: &mut Reader<'_>) -> Result<T, Failed> {
            let mut t = T {
                b: false,
                m: Vec::new(),
                l: Vec::new(),
            };
            r.object(&[], &mut |r, k| match k {
                "b" => flex_bool(r, &mut t.b),
                "m" => metadata(r, &mut t.m),
                "l" => null_default(r, &mut t.l),
                _ => r.skip(),
            })?;
            Ok(t)
        }
    }

    #[test]
    fn lenient_fields() {
        let t: T = from_slice(br#"{"b": "True", "m": {"z": "1", "a": "2"}, "l": null}"#).unwrap();
        assert!(t.b);
        assert_eq!(t.m, vec![("a".into(), "2".into()), ("z".into(), "1".into())]);
        assert!(t.l.is_empty());
        let t: T = from_slice(br#"{"b": null, "m": null}"#).unwrap();
        assert!(!t.b && t.m.is_empty());
        let t: T = from_slice(br#"{"b": false}"#).unwrap();
        assert!(!t.b);
        assert!(from_slice::<T>(br#"{"b": 3}"#).is_err());
    }

    #[test]
    fn flex_bools() {
        let b = |doc: &str| from_slice::<T>(format!(r#"{{"b": {doc}}}"#).as_bytes()).map(|t| t.b);
        for (doc, want) in [
            ("true", true),
            ("false", false),
            ("null", false),
            (r#""true""#, true),
            (r#""TRUE""#, true),
            (r#""false""#, false),
            (r#""False""#, false),
            (r#""yes""#, false),
            (r#""""#, false),
        ] {
            assert_eq!(b(doc).unwrap(), want, "{doc}");
        }
        for bad in ["1", "0", "[]", "{}", "tru"] {
            assert!(b(bad).is_err(), "{bad}");
        }
        assert!(!from_slice::<T>(b"{}").unwrap().b, "missing: false");
    }

    #[test]
    fn metadata_maps() {
        let m = |doc: &str| from_slice::<T>(format!(r#"{{"m": {doc}}}"#).as_bytes()).map(|t| t.m);
        assert!(m("{}").unwrap().is_empty());
        assert!(m("null").unwrap().is_empty());
        assert_eq!(
            m(r#"{"b": "1", "a": "2", "b": "3", "é": "", "A": "x"}"#).unwrap(),
            [("A", "x"), ("a", "2"), ("b", "3"), ("é", "")].map(|(k, v)| (k.to_string(), v.to_string()))
        );
        for bad in [r#"{"a": 1}"#, r#"{"a": null}"#, r#"["a"]"#, r#""a""#] {
            assert!(m(bad).is_err(), "{bad}");
        }
    }

    #[test]
    fn key_order_sorts_keeping_the_last_of_each_key() {
        assert_eq!(key_order(&[]), Vec::<usize>::new());
        assert_eq!(key_order(&["b", "a", "c", "a", "b"]), [3, 4, 2]);
        assert_eq!(key_order(&["x", "x", "x"]), [2]);
        // Large inputs stay O(n log n): every order of 50 000 distinct keys.
        let keys: Vec<String> = (0..50_000).map(|i| format!("{:05}", (i * 7919) % 50_000)).collect();
        let refs: Vec<&str> = keys.iter().map(String::as_str).collect();
        let order = key_order(&refs);
        assert_eq!(order.len(), 50_000);
        assert!(order.windows(2).all(|w| refs[w[0]] < refs[w[1]]));
    }

    #[test]
    fn null_where_a_default_is_expected() {
        let t = from_slice::<T>(br#"{"l": null}"#).unwrap();
        assert!(t.l.is_empty());
        assert_eq!(from_slice::<T>(br#"{"l": [1, 2]}"#).unwrap().l, [1, 2]);
        assert!(from_slice::<T>(br#"{"l": 1}"#).is_err());
        // Strings and numbers too.
        let (mut s, mut n) = (String::from("x"), 5u32);
        crate::json::parse(br#"{"s": null, "n": null}"#, |r| {
            r.object(&[], &mut |r, k| match k {
                "s" => null_default(r, &mut s),
                _ => null_default(r, &mut n),
            })
        })
        .unwrap();
        assert_eq!((s.as_str(), n), ("", 0));
    }

    #[test]
    fn pages_and_links() {
        let page = |doc: &[u8]| {
            crate::json::parse(doc, |r| page::<u32>(r, "items", "items_links")).map(|(items, links)| {
                let links: Vec<(String, String)> = links.into_iter().map(|l| (l.rel, l.href)).collect();
                (items, links)
            })
        };
        let (items, links) =
            page(br#"{"items_links": [{"href": "h", "rel": "next"}, {"rel": null, "href": null}, {}], "items": [1]}"#)
                .unwrap();
        assert_eq!(items, [1]);
        assert_eq!(
            links,
            [("next", "h"), ("", ""), ("", "")].map(|(a, b)| (a.to_string(), b.to_string()))
        );
        assert!(page(br#"{"items": [], "items_links": null}"#).unwrap().1.is_empty());
        assert!(page(br#"{"items": []}"#).unwrap().1.is_empty());
        let e = page(br#"{"items_links": []}"#).unwrap_err();
        assert_eq!(e.missing, Some("items"));
        assert!(page(br#"{"items": null}"#).is_err());
        assert!(page(br#"{"items": [], "items_links": [{"href": 1}]}"#).is_err());
    }

    #[test]
    fn members() {
        let one = |doc: &[u8]| crate::json::parse(doc, |r| member::<String>(r, "id"));
        assert_eq!(one(br#"{"name": "n", "id": "i", "links": [{}]}"#).unwrap(), "i");
        assert_eq!(
            one(br#"{"name": "n"}"#).unwrap_err().to_string(),
            "missing field `id` in the object at byte 0"
        );
        assert!(one(br#"{"id": null}"#).is_err());
        assert!(one(br#"[]"#).is_err());
    }
}
