//! Nova volume attachments (`/servers/{server}/os-volume_attachments`): attach and
//! detach. Both answer shapes are decoded: the attach answer's `id` is the volume id (at
//! every microversion, as the real Nova 34 answers); from 2.89 reads of one attachment
//! carry Cinder's `attachment_id` (and `bdm_uuid`) instead.

use crate::client::{decode, Client, Service};
use crate::http::{Io, Method};
use crate::json::{Decode, Failed, Reader, Writer};
use crate::prelude::*;
use crate::wire::{self, record, set};
use crate::{validate, Attachment, Error};

fn url(server_id: &str) -> String {
    format!("/servers/{server_id}/os-volume_attachments")
}

/// A Nova volume attachment, in Nova's spelling (`volumeId` must be there; the caller
/// already knows it).
struct NovaAttachment(Attachment);

record! {
    impl Decode for NovaAttachment(Attachment), required ["volumeId"] {
        attachment_id: "attachment_id" => set = None,
        server_id: "serverId" => set = None,
        device: "device" => set = None,
        attached_at = None,
    }
}

/// `{"volumeAttachment": {…}}`.
struct One {
    attachment: NovaAttachment,
}

impl Decode for One {
    fn decode(r: &mut Reader<'_>) -> Result<One, Failed> {
        wire::member(r, "volumeAttachment").map(|attachment| One { attachment })
    }
}

/// Checks an attach request and builds its body.
pub fn attach_body(volume_id: &str, server_id: &str, device: &Option<String>) -> Result<Vec<u8>, Error> {
    validate::id("id", volume_id)?;
    validate::id("server-id", server_id)?;
    validate::name("device", device)?;
    let mut w = Writer::object();
    w.obj("volumeAttachment")
        .str("volumeId", volume_id)
        .opt_str("device", device.as_deref());
    Ok(w.finish())
}

pub fn attach<I: Io>(
    c: &Client<I>,
    volume_id: &str,
    server_id: &str,
    device: &Option<String>,
) -> Result<Attachment, Error> {
    let body = attach_body(volume_id, server_id, device)?;
    let resp = c.request(Service::Compute, Method::Post, &url(server_id), Some(body))?;
    let mut a: Attachment = decode::<One>(&resp, "volume attachment")?.attachment.0;
    a.server_id.get_or_insert_with(|| server_id.to_string());
    Ok(a)
}

/// Detaches through Nova, which addresses an attachment by its volume id and answers 404
/// itself when the volume is not attached to the server (no lookup needed first).
pub fn detach<I: Io>(c: &Client<I>, volume_id: &str, server_id: &str) -> Result<(), Error> {
    validate::id("id", volume_id)?;
    validate::id("server-id", server_id)?;
    let path = format!("{}/{volume_id}", url(server_id));
    c.request(Service::Compute, Method::Delete, &path, None)?;
    Ok(())
}

#[cfg(test)]
mod tests {
    use super::*;

    fn one(body: &str) -> Attachment {
        let r = crate::http::Response {
            status: 200,
            headers: vec![],
            body: body.as_bytes().to_vec(),
        };
        decode::<One>(&r, "a").unwrap().attachment.0
    }

    #[test]
    fn both_nova_shapes() {
        let old =
            one(r#"{"volumeAttachment": {"device": "/dev/sdb", "id": "vol", "serverId": "srv", "volumeId": "vol"}}"#);
        assert_eq!(
            (old.attachment_id, old.server_id.as_deref(), old.device.as_deref()),
            (None, Some("srv"), Some("/dev/sdb"))
        );
        let new = one(
            r#"{"volumeAttachment": {"device": "/dev/sdb", "serverId": "srv", "volumeId": "vol", "tag": null, "delete_on_termination": false, "attachment_id": "att", "bdm_uuid": "b"}}"#,
        );
        assert_eq!(new.attachment_id.as_deref(), Some("att"));
    }

    #[test]
    fn attach_bodies() {
        assert_eq!(
            attach_body("v", "s", &None).unwrap(),
            br#"{"volumeAttachment":{"volumeId":"v"}}"#
        );
        assert_eq!(
            attach_body("v", "s", &Some("/dev/vdc".into())).unwrap(),
            br#"{"volumeAttachment":{"volumeId":"v","device":"/dev/vdc"}}"#
        );
        assert!(matches!(attach_body("v", "s/../x", &None), Err(Error::InvalidInput(m)) if m.starts_with("server-id")));
    }
}
