//! Creates that can be repeated safely. OpenStack has no client token, so the component
//! keeps its own in the new resource's metadata: the caller's key under [`KEY`] and a
//! digest of the request under [`SPEC`]. A keyed create looks for a resource carrying the
//! key first (one list request), creates only when there is none, and after a lost answer
//! (5xx, dropped connection, timeout, garbled body) looks again, so a caller that repeats a
//! create until it gets an answer ends with exactly one resource.
//!
//! Two creates with the same key running at the same moment can still both create: the
//! lookup and the create are two requests and Cinder has no conditional create.

use core::marker::PhantomData;

use crate::client::Client;
use crate::http::Io;
use crate::json::{Decode, Failed, Reader};
use crate::pagination::list_all;
use crate::prelude::*;
use crate::resource::{self, Pairs, Resource};
use crate::version::{self, Microversion};
use crate::wire::{self, Enveloped};
use crate::{validate, ApiError, Error, ListOptions};

/// The metadata key that holds the caller's idempotency key.
pub const KEY: &str = "block-storage.idempotency-key";
/// The metadata key that holds the digest of the request first made with that key.
pub const SPEC: &str = "block-storage.idempotency-spec";

/// A caller's key and the digest of the request it comes with.
pub struct Token {
    key: String,
    digest: String,
}

impl Token {
    /// `None` without a key. The key is a metadata value: 1 to 255 characters, no control
    /// characters. `spec` lists what makes two requests the same resource (size, source…).
    pub fn new(key: &Option<String>, spec: &[&str]) -> Result<Option<Token>, Error> {
        let Some(key) = key else { return Ok(None) };
        validate::key("idempotency-key", key)?;
        Ok(Some(Token {
            key: key.clone(),
            digest: digest(spec),
        }))
    }

    /// `metadata` with the token's two items, replacing any of the same names.
    pub fn tag(token: Option<&Token>, metadata: &[(String, String)]) -> Pairs {
        let mut out: Pairs = metadata.to_vec();
        if let Some(t) = token {
            out.retain(|(k, _)| k != KEY && k != SPEC);
            out.push((KEY.into(), t.key.clone()));
            out.push((SPEC.into(), t.digest.clone()));
        }
        out
    }
}

/// FNV-1a (64 bits) of the parts, each ended by a NUL, in hex: a stable fingerprint, not a
/// secret (the parts are the request's own visible fields).
fn digest(parts: &[&str]) -> String {
    let mut h: u64 = 0xcbf2_9ce4_8422_2325;
    for p in parts {
        for &b in p.as_bytes().iter().chain(&[0]) {
            h = (h ^ u64::from(b)).wrapping_mul(0x0100_0000_01b3);
        }
    }
    format!("{h:016x}")
}

/// Whether a create's failure leaves open that the server created the resource.
fn answer_lost(e: &Error) -> bool {
    match e {
        Error::Transport(m) => !m.starts_with(crate::http::DENIED),
        Error::InvalidResponse(_) => true,
        Error::Api(a) => a.status >= 500,
        _ => false,
    }
}

/// Runs `post` (the create) under `token`: returns the resource carrying the key if there
/// is one, else creates; after a lost answer, returns the resource that was created after
/// all, or the error. `volume_id` lists by volume instead of by metadata (backups).
pub fn create<R: Resource, I: Io>(
    c: &Client<I>,
    token: Option<&Token>,
    volume_id: Option<&str>,
    post: impl FnOnce() -> Result<R, Error>,
) -> Result<R, Error> {
    let Some(token) = token else { return post() };
    if let Some(found) = find::<R, I>(c, token, volume_id)? {
        return Ok(found);
    }
    match post() {
        Err(e) if answer_lost(&e) => find::<R, I>(c, token, volume_id)?.ok_or(e),
        r => r,
    }
}

/// The resource of this project carrying the token's key, read whole; `conflict` if it
/// was created by another request.
fn find<R: Resource, I: Io>(c: &Client<I>, token: &Token, volume_id: Option<&str>) -> Result<Option<R>, Error> {
    let opts = ListOptions {
        status: None,
        name: None,
        page_size: None,
        limit: None,
        marker: None,
        sort: Some("created_at:asc".into()),
        volume_id: volume_id.map(String::from),
        metadata: match volume_id {
            Some(_) => Vec::new(),
            None => vec![(KEY.into(), token.key.clone())],
        },
    };
    let what = format!("{} lookup by idempotency key", R::NAME);
    let query = crate::pagination::list_query(&opts, &R::LISTING, c.microversion())?;
    let tagged: Vec<Tagged<R>> = list_all(c, &format!("{}/detail", R::COLLECTION), query, &what, None)?;
    let Some(id) = matching(R::NAME, token, tagged.iter().map(|t| (&t.id, &t.metadata)))? else {
        return Ok(None);
    };
    resource::get::<R, I>(c, &id).map(Some)
}

/// The id of the first listed resource whose metadata carries the token's key; `conflict`
/// when that one was made by a request with another digest.
fn matching<'a>(
    name: &str,
    token: &Token,
    mut listed: impl Iterator<Item = (&'a String, &'a Pairs)>,
) -> Result<Option<String>, Error> {
    let value = |m: &'a Pairs, key: &str| m.iter().find(|(k, _)| k == key).map(|(_, v)| v.as_str());
    let Some((id, m)) = listed.find(|(_, m)| value(m, KEY) == Some(token.key.as_str())) else {
        return Ok(None);
    };
    if value(m, SPEC) != Some(token.digest.as_str()) {
        return Err(Error::Conflict(ApiError {
            status: 409,
            message: format!("idempotency-key: already used for {name} {id}, created by a different request"),
            request_id: None,
            retry_after_s: None,
        }));
    }
    Ok(Some(id.clone()))
}

/// A listed resource seen only for its id and metadata.
struct Tagged<R> {
    id: String,
    metadata: Pairs,
    of: PhantomData<R>,
}

impl<R: Enveloped> Enveloped for Tagged<R> {
    const ONE: &'static str = R::ONE;
    const MANY: &'static str = R::MANY;
    const LINKS: &'static str = R::LINKS;
}

impl<R> Decode for Tagged<R> {
    fn decode(r: &mut Reader<'_>) -> Result<Tagged<R>, Failed> {
        let (mut id, mut metadata) = (String::new(), Vec::new());
        r.object(&["id"], &mut |r, k| match k {
            "id" => wire::set(r, &mut id),
            "metadata" => wire::metadata(r, &mut metadata),
            _ => r.skip(),
        })?;
        Ok(Tagged {
            id,
            metadata,
            of: PhantomData,
        })
    }
}

/// `invalid-input` when a keyed create needs what the session's microversion lacks.
pub fn require(token: Option<&Token>, needed: Microversion, mv: Microversion) -> Result<(), Error> {
    match token {
        Some(_) => version::require("idempotency-key", needed, mv),
        None => Ok(()),
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    fn token(key: &str, spec: &[&str]) -> Token {
        Token::new(&Some(key.into()), spec).unwrap().unwrap()
    }

    #[test]
    fn the_digest_is_stable_and_tells_requests_apart() {
        assert_eq!(digest(&["1", "", "snap"]), digest(&["1", "", "snap"]));
        assert_ne!(digest(&["1", "", "snap"]), digest(&["2", "", "snap"]));
        // The separators keep ("ab", "") and ("a", "b") apart.
        assert_ne!(digest(&["ab", ""]), digest(&["a", "b"]));
        assert_eq!(digest(&[]).len(), 16);
    }

    #[test]
    fn tagging_replaces_items_of_the_reserved_names() {
        let t = token("k1", &["1"]);
        let tagged = Token::tag(Some(&t), &[("a".into(), "1".into()), (KEY.into(), "forged".into())]);
        assert_eq!(tagged.len(), 3);
        assert_eq!(tagged[1], (KEY.into(), "k1".into()));
        assert_eq!(tagged[2].0, SPEC);
        assert_eq!(Token::tag(None, &[("a".into(), "1".into())]).len(), 1);
    }

    #[test]
    fn keys_are_checked_like_metadata_values() {
        assert!(Token::new(&None, &[]).unwrap().is_none());
        for bad in ["", "a\u{1b}b"] {
            let e = Token::new(&Some(bad.into()), &[]).err().unwrap();
            assert!(matches!(e, Error::InvalidInput(m) if m.starts_with("idempotency-key:")));
        }
        assert!(Token::new(&Some("x".repeat(256)), &[]).is_err());
    }

    #[test]
    fn a_key_found_with_another_digest_is_a_conflict() {
        let t = token("k1", &["1"]);
        let same = Token::tag(Some(&t), &[]);
        let other = Token::tag(Some(&token("k1", &["2"])), &[]);
        let unrelated: Pairs = vec![(KEY.into(), "k2".into())];
        let ids = ["v0".to_string(), "v1".to_string(), "v2".to_string()];
        let found = matching("volume", &t, [(&ids[0], &unrelated), (&ids[1], &same)].into_iter()).unwrap();
        assert_eq!(found.as_deref(), Some("v1"));
        let e = matching("volume", &t, [(&ids[2], &other)].into_iter()).unwrap_err();
        assert!(matches!(&e, Error::Conflict(a) if a.status == 409 && a.message.contains("volume v2")));
        assert_eq!(
            matching("volume", &t, [(&ids[0], &unrelated)].into_iter()).unwrap(),
            None
        );
    }

    #[test]
    fn only_lost_answers_are_looked_up_again() {
        let api = |status| ApiError {
            status,
            message: String::new(),
            request_id: None,
            retry_after_s: None,
        };
        assert!(answer_lost(&Error::Transport("timed out".into())));
        assert!(answer_lost(&Error::Api(api(500))));
        assert!(answer_lost(&Error::InvalidResponse("x".into())));
        assert!(!answer_lost(&Error::Transport(format!(
            "{} not allowed",
            crate::http::DENIED
        ))));
        assert!(!answer_lost(&Error::BadRequest(api(400))));
        assert!(!answer_lost(&Error::OverLimit(api(413))));
    }
}
