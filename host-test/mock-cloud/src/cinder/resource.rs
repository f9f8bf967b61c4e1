//! Resources by id: finding one (or Cinder's 404 for it) and scheduling the
//! removal of a deleted one.

use super::faults::not_found;
use crate::state::{Op, Resource, Resp, State};

pub(super) fn no_such<T: Resource>(id: &str) -> Resp {
    not_found(&T::missing(id))
}

/// The resource `id` of `items`, or Cinder's 404 for it.
pub(super) fn find<'a, T: Resource>(items: &'a [T], id: &str) -> Result<&'a T, Resp> {
    items.iter().find(|x| x.key().id == id).ok_or_else(|| no_such::<T>(id))
}

pub(super) fn find_mut<'a, T: Resource>(items: &'a mut [T], id: &str) -> Result<&'a mut T, Resp> {
    items
        .iter_mut()
        .find(|x| x.key().id == id)
        .ok_or_else(|| no_such::<T>(id))
}

/// Drops the pending transitions `cancel` picks (a deleted resource's status
/// change) and schedules `op` (its removal).
pub(super) fn cancel_then_schedule(st: &mut State, cancel: impl Fn(&Op) -> bool, op: Op) {
    st.pending.retain(|(_, pending)| !cancel(pending));
    st.schedule(op);
}
