//! Projects: a request sees only the resources of its token's project (the
//! mock's, or another one's, see `MockCloud::issue_token_for`): its volumes,
//! snapshots and backups, and the attachments of its volumes. The others are
//! set aside while it is handled, so that every handler, list and quota check
//! works on the request's project alone; a transfer reaches into them (Cinder
//! elevates its context to accept one).
//!
//! Unlike a real Cinder, an admin does not see other projects' resources either
//! (but for transfers).

use crate::state::{Aside, Snapshot, State, Volume};

/// Splits `items` into those of `mine` and the others.
fn split<T>(items: &mut Vec<T>, mine: impl Fn(&T) -> bool) -> Vec<T> {
    let (keep, others): (Vec<T>, Vec<T>) = std::mem::take(items).into_iter().partition(|x| mine(x));
    *items = keep;
    others
}

/// Sets aside the resources of projects other than `project` (nothing to do
/// while there are none: the common case).
pub(super) fn set_aside_others(st: &mut State, project: &str) {
    let foreign = st.volumes.iter().any(|v| v.project_id != project)
        || st.snapshots.iter().any(|s| s.project_id != project)
        || st.backups.iter().any(|b| b.project_id != project);
    if !foreign {
        return;
    }
    let volumes = split(&mut st.volumes, |v| v.project_id == project);
    let aside_ids: Vec<&str> = volumes.iter().map(|v| v.id.as_str()).collect();
    let attachments = split(&mut st.attachments, |a| !aside_ids.contains(&a.volume_id.as_str()));
    st.set_aside = Some(Aside {
        snapshots: split(&mut st.snapshots, |s| s.project_id == project),
        backups: split(&mut st.backups, |b| b.project_id == project),
        attachments,
        volumes,
    });
}

/// Puts back what [`set_aside_others`] set aside, in order of creation again.
pub(super) fn put_back(st: &mut State) {
    let Some(aside) = st.set_aside.take() else {
        return;
    };
    st.volumes.extend(aside.volumes);
    st.volumes.sort_by_key(|v| v.created_at);
    st.snapshots.extend(aside.snapshots);
    st.snapshots.sort_by_key(|s| s.created_at);
    st.backups.extend(aside.backups);
    st.backups.sort_by_key(|b| b.created_at);
    st.attachments.extend(aside.attachments);
    st.attachments.sort_by_key(|a| a.created_at);
}

/// The volume `id` of any project.
pub(super) fn any_volume<'a>(st: &'a State, id: &str) -> Option<&'a Volume> {
    let aside = st.set_aside.as_ref().map(|a| a.volumes.as_slice()).unwrap_or_default();
    st.volumes.iter().chain(aside).find(|v| v.id == id)
}

/// The volume `id` of any project, to change it.
pub(super) fn any_volume_mut<'a>(st: &'a mut State, id: &str) -> Option<&'a mut Volume> {
    let aside = st
        .set_aside
        .as_mut()
        .map(|a| a.volumes.as_mut_slice())
        .unwrap_or_default();
    st.volumes.iter_mut().chain(aside.iter_mut()).find(|v| v.id == id)
}

/// The snapshots of volume `id` in any project, to change them.
pub(super) fn any_snapshots_of<'a>(st: &'a mut State, id: &'a str) -> impl Iterator<Item = &'a mut Snapshot> + 'a {
    let aside = st
        .set_aside
        .as_mut()
        .map(|a| a.snapshots.as_mut_slice())
        .unwrap_or_default();
    st.snapshots
        .iter_mut()
        .chain(aside.iter_mut())
        .filter(move |s| s.volume_id == id)
}

/// The snapshots of volume `id` in any project, with whether each is of another
/// project than the request's.
pub(super) fn any_snapshots<'a>(st: &'a State, id: &'a str) -> impl Iterator<Item = (&'a Snapshot, bool)> + 'a {
    let aside = st
        .set_aside
        .as_ref()
        .map(|a| a.snapshots.as_slice())
        .unwrap_or_default();
    let mine = st.snapshots.iter().map(|s| (s, false));
    mine.chain(aside.iter().map(|s| (s, true)))
        .filter(move |(s, _)| s.volume_id == id)
}
