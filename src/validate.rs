//! Input checks done before any request is sent: each failure is `invalid-input` naming
//! the field.

use crate::error::invalid;
use crate::prelude::*;
use crate::Error;

/// Cinder's own limits: names and descriptions are `String(255)` columns, sizes are
/// validated against `MAX_INT`.
pub const MAX_NAME: usize = 255;
pub const MAX_SIZE_GIB: u32 = i32::MAX as u32;

/// A resource id used in a URL path: non-empty, at most 255 ASCII characters from
/// `[A-Za-z0-9._-]`, not `.` or `..`, so it can never change the path it is put in.
pub fn id(field: &str, v: &str) -> Result<(), Error> {
    if v.is_empty() {
        return Err(invalid(field, "must not be empty"));
    }
    if v.len() > MAX_NAME {
        return Err(invalid(field, "is longer than 255 characters"));
    }
    if v.as_bytes().windows(2).any(|w| w == b"..") || v == "." {
        return Err(invalid(field, "must not contain '..'"));
    }
    if let Some(c) = v
        .chars()
        .find(|c| !(c.is_ascii_alphanumeric() || matches!(c, '-' | '_' | '.')))
    {
        return Err(invalid(
            field,
            format!(
                "contains the character '{}'; only letters, digits, '-', '_' and '.' are allowed",
                c.escape_default()
            ),
        ));
    }
    Ok(())
}

/// An optional id.
pub fn opt_id(field: &str, v: &Option<String>) -> Result<(), Error> {
    v.as_deref().map_or(Ok(()), |v| id(field, v))
}

/// A display name: at most 255 characters, no control characters.
pub fn name(field: &str, v: &Option<String>) -> Result<(), Error> {
    if let Some(v) = v {
        if char_count(v) > MAX_NAME {
            return Err(invalid(field, "is longer than 255 characters"));
        }
        if v.chars().any(char::is_control) {
            return Err(invalid(field, "contains control characters"));
        }
    }
    Ok(())
}

/// A free-form text (description): at most 255 characters, newlines allowed.
pub fn text(field: &str, v: &Option<String>) -> Result<(), Error> {
    if let Some(v) = v {
        if char_count(v) > MAX_NAME {
            return Err(invalid(field, "is longer than 255 characters"));
        }
        if v.chars().any(|c| c.is_control() && c != '\n' && c != '\r' && c != '\t') {
            return Err(invalid(field, "contains control characters"));
        }
    }
    Ok(())
}

/// A size in GiB: positive and within Cinder's maximum.
pub fn size(field: &str, v: u32) -> Result<(), Error> {
    if v == 0 {
        return Err(invalid(field, "must be at least 1 GiB"));
    }
    if v > MAX_SIZE_GIB {
        return Err(invalid(field, format!("must be at most {MAX_SIZE_GIB} GiB")));
    }
    Ok(())
}

/// A metadata key: 1-255 characters, no control characters.
pub fn key(field: &str, k: &str) -> Result<(), Error> {
    if k.is_empty() || char_count(k) > MAX_NAME {
        return Err(invalid(field, "keys must be 1 to 255 characters"));
    }
    if k.chars().any(char::is_control) {
        return Err(invalid(field, "keys must not contain control characters"));
    }
    Ok(())
}

/// Metadata: keys 1-255 characters, values up to 255, no control characters in keys.
pub fn metadata(field: &str, m: &[(String, String)]) -> Result<(), Error> {
    for (k, v) in m {
        key(field, k)?;
        if char_count(v) > MAX_NAME {
            return Err(invalid(
                field,
                format!("value of \"{k}\" is longer than 255 characters"),
            ));
        }
    }
    if let Some(dup) = m
        .iter()
        .enumerate()
        .find(|(i, (k, _))| m[..*i].iter().any(|(k2, _)| k2 == k))
    {
        return Err(invalid(field, format!("key \"{}\" is given twice", dup.1 .0)));
    }
    Ok(())
}

/// A list order, `key[:asc|desc]` separated by commas, each key one of `keys`.
pub fn sort(field: &str, v: &str, keys: &[&[&str]]) -> Result<(), Error> {
    for part in v.split(',') {
        let (k, dir) = part.split_once(':').unwrap_or((part, "asc"));
        if !keys.iter().any(|set| set.contains(&k)) {
            let all: Vec<&str> = keys.iter().flat_map(|set| set.iter().copied()).collect();
            return Err(invalid(
                field,
                format!(
                    "unknown key \"{}\"; the keys are {}",
                    crate::error::clean(k),
                    join(&all, ", ")
                ),
            ));
        }
        if dir != "asc" && dir != "desc" {
            return Err(invalid(field, format!("the direction of \"{k}\" must be asc or desc")));
        }
    }
    Ok(())
}

/// A status for `wait-for` or a list filter: lower-case letters, digits, `-` and `_`.
pub fn status(field: &str, v: &str) -> Result<(), Error> {
    if v.is_empty() || v.len() > 64 {
        return Err(invalid(field, "must be 1 to 64 characters"));
    }
    if !v
        .chars()
        .all(|c| c.is_ascii_lowercase() || c.is_ascii_digit() || c == '-' || c == '_')
    {
        return Err(invalid(field, "must be a lower-case status such as 'available'"));
    }
    Ok(())
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn ids() {
        for ok in ["a", "989efdf7-925c-4aa8-ac7d-4e016381def6", "abc_DEF.1"] {
            id("id", ok).unwrap();
        }
        let long = "a".repeat(256);
        for bad in [
            "",
            "../x",
            "a/b",
            "a?b",
            "a#b",
            "a%2F",
            "a b",
            "é",
            "a\nb",
            "..",
            ".",
            long.as_str(),
        ] {
            let e = id("volume id", bad).unwrap_err();
            assert!(
                matches!(&e, Error::InvalidInput(m) if m.starts_with("volume id: ")),
                "{bad:?}: {e:?}"
            );
        }
    }

    #[test]
    fn names_sizes_metadata_status() {
        name("name", &Some("x".repeat(255))).unwrap();
        assert!(name("name", &Some("x".repeat(256))).is_err());
        assert!(name("name", &Some("a\u{7}".into())).is_err());
        text("description", &Some("line\nline".into())).unwrap();
        assert!(size("size", 0).is_err());
        assert!(size("size", u32::MAX).is_err());
        size("size", 1).unwrap();
        metadata("metadata", &[("k".into(), "v".into())]).unwrap();
        assert!(metadata("metadata", &[("".into(), "v".into())]).is_err());
        assert!(metadata("metadata", &[("k".into(), "v".into()), ("k".into(), "w".into())]).is_err());
        key("keys", "a:b c/d").unwrap();
        assert!(matches!(key("keys", ""), Err(Error::InvalidInput(m)) if m.starts_with("keys: ")));
        assert!(key("keys", &"k".repeat(256)).is_err());
        assert!(key("keys", "a\tb").is_err());
        status("status", "error_deleting").unwrap();
        assert!(status("status", "Available").is_err());
        assert!(status("status", "").is_err());
    }

    #[test]
    fn sort_orders() {
        let keys: [&[&str]; 2] = [&["id", "name"], &["created_at"]];
        for ok in ["id", "name:asc", "created_at:desc,id", "id:desc,name:asc,created_at"] {
            sort("sort", ok, &keys).unwrap();
        }
        for bad in [
            "",
            "bogus",
            "id:up",
            "id:",
            ":asc",
            "id,",
            "id desc",
            "ID",
            "name:DESC",
            "id::asc",
            "id:asc:desc",
        ] {
            let e = sort("sort", bad, &keys).unwrap_err();
            assert!(
                matches!(&e, Error::InvalidInput(m) if m.starts_with("sort: ")),
                "{bad:?}: {e:?}"
            );
        }
    }
}
