//! Response bodies: whole, enormous (streamed), truncated.

use bytes::Bytes;
use hyper::body::{Body, Frame, SizeHint};
use std::future::Future;
use std::pin::Pin;
use std::task::{Context, Poll};

const CHUNK: usize = 64 * 1024;

pub enum MockBody {
    Full(Option<Bytes>),
    /// `remaining` bytes of a JSON-looking document, streamed.
    Enormous {
        total: usize,
        sent: usize,
    },
    /// Send this (half of the promised body), let it flush, then fail the
    /// stream so that hyper closes the connection.
    Truncated(Option<Bytes>, Option<Pin<Box<tokio::time::Sleep>>>),
}

impl MockBody {
    pub fn full(b: impl Into<Bytes>) -> Self {
        MockBody::Full(Some(b.into()))
    }
    pub fn empty() -> Self {
        MockBody::Full(None)
    }
}

fn enormous_chunk(total: usize, sent: usize, len: usize) -> Bytes {
    // Layout: {"x":"aaaa...aaaa"} when large enough, else all 'a'.
    let mut v = Vec::with_capacity(len);
    for i in sent..sent + len {
        let c = if total >= 8 {
            if i < 6 {
                b"{\"x\":\""[i]
            } else if i >= total - 2 {
                b"\"}"[i - (total - 2)]
            } else {
                b'a'
            }
        } else {
            b'a'
        };
        v.push(c);
    }
    Bytes::from(v)
}

impl Body for MockBody {
    type Data = Bytes;
    type Error = std::io::Error;

    fn poll_frame(self: Pin<&mut Self>, cx: &mut Context<'_>) -> Poll<Option<Result<Frame<Bytes>, std::io::Error>>> {
        let this = self.get_mut();
        match this {
            MockBody::Full(b) => Poll::Ready(b.take().map(|b| Ok(Frame::data(b)))),
            MockBody::Enormous { total, sent } => {
                if *sent >= *total {
                    return Poll::Ready(None);
                }
                let len = CHUNK.min(*total - *sent);
                let chunk = enormous_chunk(*total, *sent, len);
                *sent += len;
                Poll::Ready(Some(Ok(Frame::data(chunk))))
            }
            MockBody::Truncated(b, sleep) => {
                if let Some(b) = b.take() {
                    *sleep = Some(Box::pin(tokio::time::sleep(std::time::Duration::from_millis(30))));
                    return Poll::Ready(Some(Ok(Frame::data(b))));
                }
                if let Some(s) = sleep.as_mut() {
                    if s.as_mut().poll(cx).is_pending() {
                        return Poll::Pending;
                    }
                }
                Poll::Ready(Some(Err(std::io::Error::other("truncated on purpose"))))
            }
        }
    }

    fn is_end_stream(&self) -> bool {
        match self {
            MockBody::Full(b) => b.is_none(),
            MockBody::Enormous { total, sent } => sent >= total,
            MockBody::Truncated(..) => false,
        }
    }

    fn size_hint(&self) -> SizeHint {
        match self {
            MockBody::Full(Some(b)) => SizeHint::with_exact(b.len() as u64),
            MockBody::Full(None) => SizeHint::with_exact(0),
            MockBody::Enormous { total, sent } => SizeHint::with_exact((*total - *sent) as u64),
            MockBody::Truncated(..) => SizeHint::default(),
        }
    }
}

#[cfg(test)]
mod tests {
    use super::*;
    #[test]
    fn enormous_is_json() {
        let total = 100;
        let mut all = Vec::new();
        let mut sent = 0;
        while sent < total {
            let n = 7.min(total - sent);
            all.extend_from_slice(&enormous_chunk(total, sent, n));
            sent += n;
        }
        assert_eq!(all.len(), 100);
        let v: serde_json::Value = serde_json::from_slice(&all).unwrap();
        assert!(v["x"].is_string());
    }
}
