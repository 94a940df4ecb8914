//! Changing many clients at once (the CLI's `client edit REF…`, the
//! interface's marked rows): one batch command, so all or nothing, one
//! line of the audit trail and one undo.

use chrono::NaiveDate;

use super::Command;
use crate::domain::{Archivable, ClientId, ManagerId, SegmentId, text::edit_tags};
use crate::model::Model;

/// What to change on every client; `None` keeps the field as it is.
#[derive(Clone, Debug, Default, PartialEq)]
pub struct Edit {
    /// `Some(None)`: no manager.
    pub manager: Option<Option<ManagerId>>,
    /// `Some(None)`: no segment.
    pub segment: Option<Option<SegmentId>>,
    /// `+vip`, `-old`, or plain tags that replace the old ones.
    pub tags: Vec<String>,
    /// Remove every tag.
    pub no_tags: bool,
    pub notes: Option<String>,
}

impl Edit {
    pub fn is_empty(&self) -> bool {
        self.manager.is_none()
            && self.segment.is_none()
            && self.tags.is_empty()
            && !self.no_tags
            && self.notes.is_none()
    }
}

/// The batch that applies `edit` to `clients`, each edit against the
/// version read now (a client changed meanwhile refuses the whole batch).
pub fn edit(model: &Model, clients: &[ClientId], edit: &Edit) -> Result<Command, String> {
    if clients.is_empty() {
        return Err("no client to change".into());
    }
    if edit.is_empty() {
        return Err("nothing to change".into());
    }
    let mut commands = Vec::with_capacity(clients.len());
    for id in clients {
        let c = model
            .clients
            .get(id)
            .ok_or_else(|| format!("client {} is no longer there", model.client_label(*id)))?;
        commands.push(Command::EditClient {
            client: c.id,
            expected_version: Some(c.version),
            name: c.name.clone(),
            segment: edit.segment.unwrap_or(c.segment),
            manager: edit.manager.unwrap_or(c.manager),
            notes: edit.notes.clone().unwrap_or_else(|| c.notes.clone()),
            tags: if edit.no_tags {
                Vec::new()
            } else {
                edit_tags(&c.tags, &edit.tags)?
            },
        });
    }
    Ok(Command::Batch {
        label: format!("edit {} clients", clients.len()),
        commands,
    })
}

/// `cmd` (adding or editing the client `reference`) with the client's
/// acquisition source set in the same transaction.
pub fn with_source(cmd: Command, reference: &str, source: &str) -> Command {
    let label = format!("{} {reference} with its source", cmd.name().replace('_', " "));
    Command::Batch {
        label,
        commands: vec![
            cmd,
            Command::SetSource {
                reference: reference.to_string(),
                source: source.to_string(),
            },
        ],
    }
}

/// The batch that moves `clients` to the trash.
pub fn archive(model: &Model, clients: &[ClientId], on: NaiveDate) -> Result<Command, String> {
    if clients.is_empty() {
        return Err("no client to archive".into());
    }
    let commands = clients
        .iter()
        .map(|id| {
            let c = model
                .clients
                .get(id)
                .ok_or_else(|| format!("client {} is no longer there", model.client_label(*id)))?;
            Ok(Command::Archive {
                key: Archivable::Client(c.id),
                expected_seq: Some(c.seq),
                on,
            })
        })
        .collect::<Result<Vec<_>, String>>()?;
    Ok(Command::Batch {
        label: format!("archive {} clients", clients.len()),
        commands,
    })
}

#[cfg(test)]
mod tests {
    use super::*;
    use crate::testing::Planner;

    /// A batch, one command after the other (as the store stages it).
    fn run(p: &mut Planner, cmd: Command) {
        match cmd {
            Command::Batch { commands, .. } => commands.into_iter().for_each(|c| p.run(c)),
            other => p.run(other),
        }
    }

    #[test]
    fn a_bulk_edit_changes_every_client_and_keeps_the_rest() {
        let mut p = Planner::with_client();
        p.run(Command::AddClient {
            reference: "C2".into(),
            name: "Two".into(),
            segment: None,
            manager: None,
            created: "2026-01-01".parse().unwrap(),
            notes: "keep me".into(),
            tags: vec!["old".into()],
        });
        let ids = [ClientId(1), ClientId(2)];
        let e = Edit {
            manager: Some(Some(ManagerId(1))),
            tags: vec!["+vip".into(), "-old".into()],
            ..Edit::default()
        };
        let cmd = edit(&p.model, &ids, &e).unwrap();
        run(&mut p, cmd);
        for id in ids {
            let c = &p.model.clients[&id];
            assert_eq!(
                (c.manager, c.tags.clone()),
                (Some(ManagerId(1)), vec!["vip".to_string()])
            );
        }
        assert_eq!(p.model.clients[&ClientId(2)].notes, "keep me");
        assert!(edit(&p.model, &ids, &Edit::default()).is_err());
        assert!(edit(&p.model, &[ClientId(9)], &e).is_err());
        let cmd = archive(&p.model, &ids, "2026-03-01".parse().unwrap()).unwrap();
        run(&mut p, cmd);
        assert!(p.model.clients.is_empty());
    }
}
