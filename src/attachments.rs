//! Nova volume attachments (`/servers/{server}/os-volume_attachments`): attach, and
//! detach after finding the attachment. Both answer shapes are decoded: before 2.89 `id`
//! is the volume id; from 2.89 Cinder's `attachment_id` is given.

use serde::{Deserialize, Serialize};

use crate::client::{decode, Client, Service};
use crate::http::{Io, Method};
use crate::prelude::*;
use crate::{validate, ApiError, Attachment, Error};

fn url(server_id: &str) -> String {
    format!("/servers/{server_id}/os-volume_attachments")
}

#[derive(Deserialize)]
struct WireAttachment {
    #[serde(rename = "volumeId")]
    volume_id: String,
    #[serde(rename = "serverId")]
    server_id: Option<String>,
    device: Option<String>,
    attachment_id: Option<String>,
}

impl From<WireAttachment> for Attachment {
    fn from(w: WireAttachment) -> Attachment {
        Attachment {
            attachment_id: w.attachment_id,
            server_id: w.server_id,
            device: w.device,
            attached_at: None,
        }
    }
}

#[derive(Deserialize)]
struct One {
    #[serde(rename = "volumeAttachment")]
    attachment: WireAttachment,
}

#[derive(Deserialize)]
struct Many {
    #[serde(rename = "volumeAttachments")]
    attachments: Vec<WireAttachment>,
}

#[derive(Serialize)]
struct AttachBody<'a> {
    #[serde(rename = "volumeAttachment")]
    attachment: AttachRequest<'a>,
}
#[derive(Serialize)]
struct AttachRequest<'a> {
    #[serde(rename = "volumeId")]
    volume_id: &'a str,
    #[serde(skip_serializing_if = "Option::is_none")]
    device: Option<&'a str>,
}

/// Checks an attach request and builds its body.
pub fn attach_body(volume_id: &str, server_id: &str, device: &Option<String>) -> Result<Vec<u8>, Error> {
    validate::id("id", volume_id)?;
    validate::id("server-id", server_id)?;
    validate::name("device", device)?;
    let body = AttachBody {
        attachment: AttachRequest {
            volume_id,
            device: device.as_deref(),
        },
    };
    serde_json::to_vec(&body).map_err(|e| Error::InvalidInput(format!("attach: {e}")))
}

pub fn attach<I: Io>(
    c: &Client<I>,
    volume_id: &str,
    server_id: &str,
    device: &Option<String>,
) -> Result<Attachment, Error> {
    let body = attach_body(volume_id, server_id, device)?;
    let resp = c.request(Service::Compute, Method::Post, &url(server_id), Some(body))?;
    let mut a: Attachment = decode::<One>(&resp, "volume attachment")?.attachment.into();
    a.server_id.get_or_insert_with(|| server_id.to_string());
    Ok(a)
}

/// Lists the server's attachments to find this volume's, then deletes it.
pub fn detach<I: Io>(c: &Client<I>, volume_id: &str, server_id: &str) -> Result<(), Error> {
    validate::id("id", volume_id)?;
    validate::id("server-id", server_id)?;
    let resp = c.request(Service::Compute, Method::Get, &url(server_id), None)?;
    let list = decode::<Many>(&resp, "volume attachments")?;
    if !list.attachments.iter().any(|a| a.volume_id == volume_id) {
        return Err(Error::NotFound(ApiError {
            status: 404,
            message: format!("volume {volume_id} is not attached to server {server_id}"),
            request_id: resp.request_id(),
            retry_after_s: None,
        }));
    }
    c.request(
        Service::Compute,
        Method::Delete,
        &format!("{}/{volume_id}", url(server_id)),
        None,
    )?;
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
        decode::<One>(&r, "a").unwrap().attachment.into()
    }

    #[test]
    fn both_nova_shapes() {
        let old =
            one(r#"{"volumeAttachment": {"device": "/dev/vdb", "id": "vol", "serverId": "srv", "volumeId": "vol"}}"#);
        assert_eq!(
            (old.attachment_id, old.server_id.as_deref(), old.device.as_deref()),
            (None, Some("srv"), Some("/dev/vdb"))
        );
        let new = one(
            r#"{"volumeAttachment": {"device": "/dev/vdb", "serverId": "srv", "volumeId": "vol", "tag": null, "delete_on_termination": false, "attachment_id": "att", "bdm_uuid": "b"}}"#,
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
