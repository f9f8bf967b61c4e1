//! `volume transfer request create|list|show|accept|delete`: a volume handed over to
//! another project, through the component's `transfers` interface, printed as
//! openstackclient prints them. The auth key shows once, in `create`'s answer; `--debug`
//! masks it (in bodies, and as a known secret everywhere else).

use infomaniak_block_storage_host::{Session, Transfer, Volume};

use crate::args::TransferRequestCmd;
use crate::commands::{exactly_one, find};
use crate::output::{Cell, Output};
use crate::{CliError, Ctx};

/// What openstackclient calls the resource, in errors.
const KIND: &str = "transfer request";

pub fn request(ctx: &mut Ctx, cmd: TransferRequestCmd) -> Result<Output, CliError> {
    match cmd {
        TransferRequestCmd::Create { name, volume } => {
            let s = ctx.session()?;
            let v = find::<Volume>(s, &volume)?;
            let created = s.transfer_create(&v.id, name.as_deref())?;
            ctx.hide(&created.auth_key);
            let t = &created.transfer;
            Ok(Output::Record(vec![
                ("auth_key", Cell::str(&created.auth_key)),
                ("created_at", Cell::str(&t.created_at)),
                ("id", Cell::str(&t.id)),
                ("name", Cell::opt(t.name.as_deref())),
                ("volume_id", Cell::str(&t.volume_id)),
            ]))
        }
        TransferRequestCmd::List => {
            let all = ctx.session()?.transfer_list()?;
            let rows = all
                .iter()
                .map(|t| vec![Cell::str(&t.id), Cell::opt(t.name.as_deref()), Cell::str(&t.volume_id)])
                .collect();
            Ok(Output::List {
                columns: vec!["ID", "Name", "Volume"],
                rows,
            })
        }
        TransferRequestCmd::Show { transfer_request } => {
            let t = find_transfer(ctx.session()?, &transfer_request)?;
            Ok(Output::Record(vec![
                ("created_at", Cell::str(&t.created_at)),
                ("id", Cell::str(&t.id)),
                ("name", Cell::opt(t.name.as_deref())),
                ("volume_id", Cell::str(&t.volume_id)),
            ]))
        }
        TransferRequestCmd::Accept {
            auth_key,
            transfer_request,
        } => {
            ctx.hide(&auth_key);
            let s = ctx.session()?;
            // As openstackclient: a name is looked up when this project can see the request
            // (the receiving project usually cannot), else the argument is taken as the ID.
            let id = match find_transfer(s, &transfer_request) {
                Ok(t) => t.id,
                Err(e) if e.is_trap() => return Err(e),
                Err(_) => transfer_request,
            };
            let t = s.transfer_accept(&id, &auth_key)?;
            Ok(Output::Record(vec![
                ("id", Cell::str(&t.id)),
                ("name", Cell::opt(t.name.as_deref())),
                ("volume_id", Cell::str(&t.volume_id)),
            ]))
        }
        TransferRequestCmd::Delete { transfer_requests } => delete(ctx.session()?, &transfer_requests),
    }
}

/// A transfer by ID, else by name (the list has no name filter: the project's pending
/// transfers are few).
fn find_transfer(s: &mut Session, arg: &str) -> Result<Transfer, CliError> {
    match s.transfer_get(arg) {
        Ok(t) => return Ok(t),
        Err(e) if matches!(e.kind(), "not-found" | "invalid-input") => {}
        Err(e) => return Err(e.into()),
    }
    let mut found = s.transfer_list()?;
    found.retain(|t| t.name.as_deref() == Some(arg));
    exactly_one(KIND, arg, found)
}

/// Deletes each transfer, going on after a failure as openstackclient does.
fn delete(s: &mut Session, args: &[String]) -> Result<Output, CliError> {
    let mut failed = 0;
    for arg in args {
        let outcome = find_transfer(s, arg).and_then(|t| s.transfer_delete(&t.id).map_err(CliError::from));
        match outcome {
            Ok(()) => {}
            Err(e) if e.is_trap() => return Err(e),
            Err(e) => {
                failed += 1;
                crate::stderr::line(&format!("Failed to delete {KIND} with name or ID '{arg}': {e}"));
            }
        }
    }
    if failed > 0 {
        return Err(CliError::new(
            "",
            format!("{failed} of {} {KIND}s failed to delete.", args.len()),
        ));
    }
    Ok(Output::Nothing)
}
