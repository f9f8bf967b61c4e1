//! User messages (3.3+): why an asynchronous operation failed, as the real
//! Cinder records them (`GET /messages`, `/messages/{id}`, `DELETE`), and the
//! events the mock records.

use super::faults::not_found;
use super::paging::{list, Col, ListRules, Listed};
use super::resource::find;
use super::Ctx;
use crate::state::{Message, Op, Resp, State};
use crate::util::{ts, uuid4};
use serde_json::{json, Value};

/// What a message list filters on.
const MESSAGE_FILTERS: &[&str] = &[
    "resource_uuid",
    "resource_type",
    "event_id",
    "request_id",
    "message_level",
];

impl Listed for Message {
    const RULES: ListRules = ListRules::new(
        MESSAGE_FILTERS,
        &[
            "id",
            "event_id",
            "message_level",
            "resource_type",
            "resource_uuid",
            "request_id",
            "action_id",
            "detail_id",
            "project_id",
            "created_at",
            "updated_at",
            "expires_at",
        ],
    );
    fn col(&self, name: &str) -> Option<Col<'_>> {
        Some(match name {
            "event_id" => Col::text(self.event_id),
            "message_level" => Col::text("ERROR"),
            "resource_type" => Col::text(self.resource_type),
            "resource_uuid" => Col::text(&self.resource_uuid),
            "request_id" => Col::text(&self.request_id),
            "created_at" => Col::Int(self.created_at),
            "expires_at" => Col::Int(self.expires_at),
            _ => return None,
        })
    }
}

/// What went wrong, as Cinder words it (`event_id`, `user_message`) and about what.
pub(super) struct Event {
    id: &'static str,
    text: &'static str,
    resource_type: &'static str,
}

/// The volume driver failed to create the volume (once per scheduling attempt).
pub(super) const DRIVER_FAILED: Event = Event {
    id: "VOLUME_VOLUME_008_012",
    text: "create volume from backend storage:Driver failed to create the volume.",
    resource_type: "VOLUME",
};
/// No backend could take the volume (after the last attempt).
pub(super) const NO_VALID_BACKEND: Event = Event {
    id: "VOLUME_VOLUME_001_003",
    text: "schedule allocate volume:Could not find any available weighted backend.",
    resource_type: "VOLUME",
};
/// No backup service in the zone asked for.
pub(super) const NO_BACKUP_SERVICE: Event = Event {
    id: "VOLUME_VOLUME_BACKUP_013_024",
    text: "create backup:Backup failed to schedule. Service not found for creating backup.",
    resource_type: "VOLUME_BACKUP",
};

/// Schedules the message `e` about `uuid`, for the request of `c`: it appears
/// with the next transition.
pub(super) fn schedule_message(st: &mut State, c: &Ctx, e: &Event, uuid: &str) {
    st.schedule(Op::Message(Box::new(Message {
        id: uuid4(),
        event_id: e.id,
        user_message: e.text,
        resource_type: e.resource_type,
        resource_uuid: uuid.to_string(),
        request_id: c.request_id.clone(),
        created_at: 0,
        expires_at: 0,
    })));
}

fn message_json(m: &Message, c: &Ctx) -> Value {
    json!({"id": m.id, "event_id": m.event_id, "user_message": m.user_message,
        "message_level": "ERROR", "created_at": ts(m.created_at), "guaranteed_until": ts(m.expires_at),
        "request_id": m.request_id, "links": c.links("messages", &m.id),
        "resource_type": m.resource_type, "resource_uuid": m.resource_uuid})
}

/// Below 3.3 the messages API is not there.
fn available(c: &Ctx) -> Result<(), Resp> {
    if c.mv < (3, 3) {
        return Err(not_found("The resource could not be found."));
    }
    Ok(())
}

/// `GET /messages`: newest first; filters, sorting and paging from 3.5 (before,
/// the query is ignored).
pub(super) fn list_messages(st: &State, c: &Ctx, q: &[(String, String)]) -> Result<Resp, Resp> {
    available(c)?;
    let q = if c.mv < (3, 5) { &[] } else { q };
    list(st, c, q, &st.messages, false, |m| message_json(m, c))
}

pub(super) fn show_message(st: &State, c: &Ctx, id: &str) -> Result<Resp, Resp> {
    available(c)?;
    let m = find(&st.messages, id)?;
    Ok(Resp::json(200, &json!({"message": message_json(m, c)})))
}

pub(super) fn delete_message(st: &mut State, c: &Ctx, id: &str) -> Result<Resp, Resp> {
    available(c)?;
    find(&st.messages, id)?;
    st.messages.retain(|m| m.id != id);
    Ok(Resp::empty(204, "text/html; charset=UTF-8"))
}
