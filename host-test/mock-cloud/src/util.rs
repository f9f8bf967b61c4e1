use serde_json::Value;
use std::time::{SystemTime, UNIX_EPOCH};

pub fn uuid4() -> String {
    let mut b = [0u8; 16];
    for x in b.iter_mut() {
        *x = fastrand::u8(..);
    }
    b[6] = (b[6] & 0x0f) | 0x40;
    b[8] = (b[8] & 0x3f) | 0x80;
    let h: String = b.iter().map(|x| format!("{x:02x}")).collect();
    format!(
        "{}-{}-{}-{}-{}",
        &h[0..8],
        &h[8..12],
        &h[12..16],
        &h[16..20],
        &h[20..32]
    )
}

pub fn hex32() -> String {
    (0..16).map(|_| format!("{:02x}", fastrand::u8(..))).collect()
}

pub fn req_id() -> String {
    format!("req-{}", uuid4())
}

/// (year, month, day) from days since 1970-01-01.
fn civil(days: i64) -> (i64, u32, u32) {
    let z = days + 719468;
    let era = z.div_euclid(146097);
    let doe = z.rem_euclid(146097);
    let yoe = (doe - doe / 1460 + doe / 36524 - doe / 146096) / 365;
    let y = yoe + era * 400;
    let doy = doe - (365 * yoe + yoe / 4 - yoe / 100);
    let mp = (5 * doy + 2) / 153;
    let d = (doy - (153 * mp + 2) / 5 + 1) as u32;
    let m = if mp < 10 { mp + 3 } else { mp - 9 } as u32;
    (if m <= 2 { y + 1 } else { y }, m, d)
}

/// A wall-clock time as microseconds since the epoch.
pub fn now_us() -> i64 {
    SystemTime::now()
        .duration_since(UNIX_EPOCH)
        .map(|d| d.as_micros() as i64)
        .unwrap_or(0)
}

/// `2026-11-26T07:17:45.582525` (Cinder style, no zone).
pub fn ts(us: i64) -> String {
    let secs = us.div_euclid(1_000_000);
    let micros = us.rem_euclid(1_000_000);
    let (y, mo, d) = civil(secs.div_euclid(86400));
    let sod = secs.rem_euclid(86400);
    format!(
        "{y:04}-{mo:02}-{d:02}T{:02}:{:02}:{:02}.{micros:06}",
        sod / 3600,
        (sod / 60) % 60,
        sod % 60
    )
}

/// Python `repr` of a JSON value (as Cinder's jsonschema messages show it).
pub fn pyrepr(v: &Value) -> String {
    match v {
        Value::Null => "None".into(),
        Value::Bool(true) => "True".into(),
        Value::Bool(false) => "False".into(),
        Value::Number(n) => n.to_string(),
        Value::String(s) => format!("'{}'", s.replace('\\', "\\\\").replace('\'', "\\'")),
        Value::Array(a) => format!("[{}]", a.iter().map(pyrepr).collect::<Vec<_>>().join(", ")),
        Value::Object(o) => format!(
            "{{{}}}",
            o.iter()
                .map(|(k, v)| format!("'{}': {}", k, pyrepr(v)))
                .collect::<Vec<_>>()
                .join(", ")
        ),
    }
}

/// Value as Python's `str()` would show it (strings bare).
pub fn pystr(v: &Value) -> String {
    match v {
        Value::String(s) => s.clone(),
        other => pyrepr(other),
    }
}

/// `urllib.parse.quote_plus`.
pub fn quote_plus(s: &str) -> String {
    let mut out = String::new();
    for b in s.bytes() {
        match b {
            b'A'..=b'Z' | b'a'..=b'z' | b'0'..=b'9' | b'_' | b'.' | b'-' | b'~' => out.push(b as char),
            b' ' => out.push('+'),
            _ => out.push_str(&format!("%{b:02X}")),
        }
    }
    out
}

pub fn unquote_plus(s: &str) -> String {
    let b = s.as_bytes();
    let mut out = Vec::with_capacity(b.len());
    let mut i = 0;
    while i < b.len() {
        match b[i] {
            b'+' => out.push(b' '),
            b'%' if i + 3 <= b.len() => {
                let h = std::str::from_utf8(&b[i + 1..i + 3])
                    .ok()
                    .and_then(|h| u8::from_str_radix(h, 16).ok());
                match h {
                    Some(x) => {
                        out.push(x);
                        i += 2;
                    }
                    None => out.push(b'%'),
                }
            }
            c => out.push(c),
        }
        i += 1;
    }
    String::from_utf8_lossy(&out).into_owned()
}

/// Query string into ordered (key, value) pairs.
pub fn parse_query(q: Option<&str>) -> Vec<(String, String)> {
    let Some(q) = q else { return Vec::new() };
    q.split('&')
        .filter(|p| !p.is_empty())
        .map(|p| match p.split_once('=') {
            Some((k, v)) => (unquote_plus(k), unquote_plus(v)),
            None => (unquote_plus(p), String::new()),
        })
        .collect()
}

pub fn is_uuid_like(s: &str) -> bool {
    let h: String = s.chars().filter(|c| *c != '-').collect();
    h.len() == 32 && h.chars().all(|c| c.is_ascii_hexdigit())
}

/// Parse "X.Y" strictly as Cinder/Nova do.
pub fn parse_version(s: &str) -> Option<(u32, u32)> {
    let (a, b) = s.split_once('.')?;
    let ok = |x: &str| !x.is_empty() && x.chars().all(|c| c.is_ascii_digit()) && (x == "0" || !x.starts_with('0'));
    if !ok(a) || !ok(b) || a == "0" {
        return None;
    }
    Some((a.parse().ok()?, b.parse().ok()?))
}

#[cfg(test)]
mod tests {
    use super::*;
    #[test]
    fn timestamps() {
        assert_eq!(ts(0), "1970-01-01T00:00:00.000000");
        assert_eq!(ts(1_795_677_465_582_525), "2026-11-26T07:17:45.582525");
    }
    #[test]
    fn uuids() {
        let u = uuid4();
        assert_eq!(u.len(), 36);
        assert!(is_uuid_like(&u));
        assert_eq!(&u[14..15], "4");
    }
    #[test]
    fn query() {
        assert_eq!(quote_plus("name:asc"), "name%3Aasc");
        assert_eq!(
            parse_query(Some("a=1&sort=name%3Aasc&x")),
            vec![
                ("a".into(), "1".into()),
                ("sort".into(), "name:asc".into()),
                ("x".into(), "".into())
            ]
        );
        assert_eq!(unquote_plus("%zz%4"), "%zz%4");
    }
    #[test]
    fn versions() {
        assert_eq!(parse_version("3.71"), Some((3, 71)));
        assert_eq!(parse_version("3.0.1"), None);
        assert_eq!(parse_version("3.01"), None);
    }
}
