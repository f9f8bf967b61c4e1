//! Serde helpers shared by the resource decoders: OpenStack sends `null` where a list or
//! map is empty, booleans as strings (`"bootable": "false"`), and metadata as maps.

use alloc::collections::BTreeMap;
use serde::{Deserialize, Deserializer};

use crate::prelude::*;

/// `null` or missing -> the type's default.
pub fn null_default<'de, D, T>(d: D) -> Result<T, D::Error>
where
    D: Deserializer<'de>,
    T: Default + Deserialize<'de>,
{
    Ok(Option::<T>::deserialize(d)?.unwrap_or_default())
}

/// A boolean sent as `true`, `"true"`, `"True"`, `"false"` or `null`.
pub fn flex_bool<'de, D: Deserializer<'de>>(d: D) -> Result<bool, D::Error> {
    #[derive(Deserialize)]
    #[serde(untagged)]
    enum B {
        Bool(bool),
        Str(String),
    }
    Ok(match Option::<B>::deserialize(d)? {
        Some(B::Bool(b)) => b,
        Some(B::Str(s)) => s.eq_ignore_ascii_case("true"),
        None => false,
    })
}

/// A metadata map as key-sorted pairs (`null` -> empty).
pub fn metadata<'de, D: Deserializer<'de>>(d: D) -> Result<Vec<(String, String)>, D::Error> {
    let m: Option<BTreeMap<String, String>> = Option::deserialize(d)?;
    Ok(m.unwrap_or_default().into_iter().collect())
}

/// A `*_links` entry.
#[derive(Deserialize, Debug)]
pub struct Link {
    #[serde(default)]
    pub href: String,
    #[serde(default)]
    pub rel: String,
}

#[cfg(test)]
mod tests {
    use super::*;

    #[derive(Deserialize)]
    struct T {
        #[serde(default, deserialize_with = "flex_bool")]
        b: bool,
        #[serde(default, deserialize_with = "metadata")]
        m: Vec<(String, String)>,
        #[serde(default, deserialize_with = "null_default")]
        l: Vec<u32>,
    }

    #[test]
    fn lenient_fields() {
        let t: T = serde_json::from_str(r#"{"b": "True", "m": {"z": "1", "a": "2"}, "l": null}"#).unwrap();
        assert!(t.b);
        assert_eq!(t.m, vec![("a".into(), "2".into()), ("z".into(), "1".into())]);
        assert!(t.l.is_empty());
        let t: T = serde_json::from_str(r#"{"b": null, "m": null}"#).unwrap();
        assert!(!t.b && t.m.is_empty());
        let t: T = serde_json::from_str(r#"{"b": false}"#).unwrap();
        assert!(!t.b);
        assert!(serde_json::from_str::<T>(r#"{"b": 3}"#).is_err());
    }
}
