//! What leaves the component in an error or a log line: server text cleaned (no control or
//! bidi characters, capped) and every secret the session holds replaced by `***`, so a
//! Keystone that quotes the password or a Cinder that echoes the token in its message or
//! request id cannot make the component repeat it. Applied once, at the exports' exit.

use core::cell::RefCell;

use crate::error::clean;
use crate::json;
use crate::prelude::*;
use crate::{ApiError, Credentials, Error, Failure};

/// Shorter secrets are not replaced inside text: masking every `e` of a message would show
/// the secret rather than hide it (the host's secret scan uses the same bound).
pub const MIN_SECRET: usize = 8;

/// What replaces a secret.
const MASK: &str = "***";

/// The kinds of secret, each with how many of it are kept.
#[derive(Clone, Copy, PartialEq, Eq)]
enum Kind {
    /// The configured password, credential secret or token.
    Configured,
    /// Tokens from Keystone: the current one and the one before (a reply may still quote it).
    Token,
    /// Volume transfer auth keys the session created or was given.
    AuthKey,
}

impl Kind {
    fn kept(self) -> usize {
        match self {
            Kind::Configured => usize::MAX,
            Kind::Token => 2,
            Kind::AuthKey => 32,
        }
    }
}

/// The secrets a session holds.
#[derive(Clone, Default)]
pub struct Secrets(RefCell<Vec<(Kind, String)>>);

impl Secrets {
    /// The secrets of a configuration's credentials.
    pub fn of(credentials: &Credentials) -> Secrets {
        let s = Secrets::default();
        match credentials {
            Credentials::Password(p) => s.add(Kind::Configured, &p.password),
            Credentials::ApplicationCredential(a) => s.add(Kind::Configured, &a.secret),
            Credentials::Token(t) => s.add(Kind::Configured, t),
        }
        s
    }

    /// A token Keystone issued to the session.
    pub fn token(&self, token: &str) {
        self.add(Kind::Token, token);
    }

    /// A volume transfer's auth key.
    pub fn auth_key(&self, key: &str) {
        self.add(Kind::AuthKey, key);
    }

    fn add(&self, kind: Kind, value: &str) {
        if value.len() < MIN_SECRET {
            return;
        }
        let mut all = self.0.borrow_mut();
        if all.iter().any(|(_, v)| v == value) {
            return;
        }
        all.push((kind, value.to_string()));
        if all.iter().filter(|(k, _)| *k == kind).count() > kind.kept() {
            if let Some(oldest) = all.iter().position(|(k, _)| *k == kind) {
                all.remove(oldest);
            }
        }
    }

    /// `text` cleaned, with every secret, raw or in a JSON-escaped form, as `***`.
    pub fn text(&self, text: &str) -> String {
        // Longest first, so no secret is half-replaced by a shorter one inside it.
        let mut forms: Vec<String> = Vec::new();
        for (_, v) in self.0.borrow().iter() {
            for f in json_forms(v) {
                let at = forms.iter().position(|g| g.len() < f.len()).unwrap_or(forms.len());
                forms.insert(at, f);
            }
        }
        let mut out = clean(text);
        for f in &forms {
            if out.contains(f.as_str()) {
                out = out.replace(f.as_str(), MASK);
            }
        }
        out
    }

    /// `err` with each of its texts passed through [`Secrets::text`].
    pub fn error(&self, err: Error) -> Error {
        let t = |s: String| self.text(&s);
        let api = |a: ApiError| ApiError {
            message: t(a.message),
            request_id: a.request_id.map(t),
            ..a
        };
        match err {
            Error::InvalidInput(s) => Error::InvalidInput(t(s)),
            Error::Unauthorized(a) => Error::Unauthorized(api(a)),
            Error::Forbidden(a) => Error::Forbidden(api(a)),
            Error::NotFound(a) => Error::NotFound(api(a)),
            Error::BadRequest(a) => Error::BadRequest(api(a)),
            Error::Conflict(a) => Error::Conflict(api(a)),
            Error::OverLimit(a) => Error::OverLimit(api(a)),
            Error::Api(a) => Error::Api(api(a)),
            Error::Transport(s) => Error::Transport(t(s)),
            Error::InvalidResponse(s) => Error::InvalidResponse(t(s)),
            Error::NoEndpoint(s) => Error::NoEndpoint(t(s)),
            Error::WaitTimeout(s) => Error::WaitTimeout(t(s)),
            Error::ResourceFailed(f) => Error::ResourceFailed(Failure {
                resource_id: t(f.resource_id),
                status: t(f.status),
                reason: f.reason.map(t),
            }),
        }
    }
}

/// A secret as it may appear in text: raw, JSON-escaped as we write it, with `/` as `\/`,
/// and with every non-ASCII character as `\uXXXX` (Python's `json.dumps` default).
fn json_forms(secret: &str) -> Vec<String> {
    let escaped = json::escaped(secret);
    let mut forms = vec![secret.to_string()];
    let mut more = vec![escaped.replace('/', "\\/"), ascii_escaped(&escaped)];
    more.push(escaped);
    for f in more {
        if !forms.contains(&f) {
            forms.push(f);
        }
    }
    forms
}

/// `s` with every non-ASCII character as `\uXXXX` (UTF-16 units, lower-case hex).
fn ascii_escaped(s: &str) -> String {
    let mut out = String::new();
    for c in s.chars() {
        if c.is_ascii() {
            out.push(c);
            continue;
        }
        const HEX: &[u8; 16] = b"0123456789abcdef";
        let mut units = [0u16; 2];
        for u in c.encode_utf16(&mut units) {
            out.push_str("\\u");
            for shift in [12, 8, 4, 0] {
                out.push(char::from(HEX[usize::from((*u >> shift) & 15)]));
            }
        }
    }
    out
}

#[cfg(test)]
mod tests {
    use super::*;

    fn with(secrets: &[&str]) -> Secrets {
        let s = Secrets::default();
        for v in secrets {
            s.auth_key(v);
        }
        s
    }

    #[test]
    fn replaces_raw_and_escaped_forms() {
        let s = with(&["pa\"ss/wörd\\1"]);
        for echoed in [
            "Invalid password pa\"ss/wörd\\1 for user",
            r#"Invalid password pa\"ss/wörd\\1 for user"#,
            r#"Invalid password pa\"ss\/wörd\\1 for user"#,
            r#"Invalid password pa\"ss/w\u00f6rd\\1 for user"#,
        ] {
            assert_eq!(s.text(echoed), "Invalid password *** for user", "{echoed}");
        }
    }

    #[test]
    fn short_secrets_are_left_alone_and_text_is_cleaned() {
        let s = with(&["e", "1234567"]);
        assert_eq!(s.text("identity 1234567"), "identity 1234567");
        assert_eq!(s.text("a\u{1b}]0;title\u{7}\u{202e}b\n"), "a ]0;title  b");
    }

    #[test]
    fn keeps_the_last_two_tokens() {
        let s = Secrets::default();
        for t in ["token-one-1", "token-two-2", "token-three-3"] {
            s.token(t);
        }
        assert_eq!(s.text("token-one-1 token-two-2 token-three-3"), "token-one-1 *** ***");
    }

    #[test]
    fn every_text_of_an_error() {
        let s = with(&["s3cr3t-value"]);
        let e = s.error(Error::Unauthorized(ApiError {
            status: 401,
            message: "bad s3cr3t-value".into(),
            request_id: Some("req-s3cr3t-value\u{85}".into()),
            retry_after_s: None,
        }));
        let Error::Unauthorized(a) = e else { panic!() };
        assert_eq!(
            (a.message.as_str(), a.request_id.as_deref()),
            ("bad ***", Some("req-***"))
        );
        let f = s.error(Error::ResourceFailed(Failure {
            resource_id: "v".into(),
            status: "error\ns3cr3t-value".into(),
            reason: Some("s3cr3t-value".into()),
        }));
        let Error::ResourceFailed(f) = f else { panic!() };
        assert_eq!((f.status.as_str(), f.reason.as_deref()), ("error ***", Some("***")));
    }
}
