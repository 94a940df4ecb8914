//! Test support: a model changed only through `Command::plan`, the way the
//! store changes it, without a database.

use std::collections::BTreeMap;

use crate::domain::{ClientId, ContactEntry, Role, Settlement, SettlementId};
use crate::model::{Change, Model};
use crate::write::{Command, CommandError, Context};

#[derive(Default)]
pub struct Planner {
    pub model: Model,
    /// What the store keeps on disk rather than in the model.
    pub settlements: BTreeMap<SettlementId, Settlement>,
    pub contacts: Vec<ContactEntry>,
}

impl Planner {
    /// The reference data the unit tests start from: managers by login
    /// (named with a capital), segment `s`, and products as (code, line),
    /// each numbered from 1 in the order given.
    pub fn with_reference(managers: &[&str], products: &[(&str, &str)]) -> Planner {
        let mut p = Planner::default();
        for login in managers {
            let mut name = login.to_string();
            if let Some(first) = name.get_mut(..1) {
                first.make_ascii_uppercase();
            }
            p.run(Command::AddManager {
                login: login.to_string(),
                name,
                role: Role::Manager,
            });
        }
        p.run(Command::AddSegment {
            code: "s".into(),
            name: "S".into(),
            description: String::new(),
        });
        for (code, line) in products {
            p.run(Command::AddProduct {
                code: code.to_string(),
                name: code.to_uppercase(),
                line: line.to_string(),
            });
        }
        p
    }

    /// Plans `cmd` as user `ann` and applies its changes.
    pub fn try_run(&mut self, cmd: Command) -> Result<(), CommandError> {
        self.try_event(cmd).map(drop)
    }

    /// `try_run`, returning the event a backend would send. A batch's
    /// commands are planned one after the other, each on the model the
    /// earlier ones left, all or nothing (as the store does).
    pub fn try_event(&mut self, cmd: Command) -> Result<crate::write::Event, CommandError> {
        let seq = self.model.counters.seq + 1;
        let summary = cmd.describe(&self.model);
        let saved = (self.model.clone(), self.settlements.clone(), self.contacts.clone());
        let commands = match cmd {
            Command::Batch { commands, .. } => commands,
            one => vec![one],
        };
        let mut changes = Vec::new();
        for (index, cmd) in commands.iter().enumerate() {
            match self.plan(cmd, seq) {
                Ok(planned) => {
                    planned.iter().for_each(|c| self.apply(c));
                    changes.extend(planned);
                }
                Err(e) => {
                    (self.model, self.settlements, self.contacts) = saved;
                    return Err(match commands.len() {
                        1 => e,
                        _ => CommandError::InBatch {
                            index,
                            source: Box::new(e),
                        },
                    });
                }
            }
        }
        self.model.counters.seq = seq;
        Ok(crate::write::Event {
            seq,
            who: "ann".into(),
            at: chrono::NaiveDateTime::default(),
            summary,
            changes,
        })
    }

    fn plan(&self, cmd: &Command, seq: u64) -> Result<Vec<Change>, CommandError> {
        let stored = &self.settlements;
        let lookup = |_: ClientId, id: SettlementId| Ok(stored.get(&id).cloned());
        let logged = &self.contacts;
        let contacts = |client: ClientId| Ok(logged.iter().filter(|c| c.client == client).cloned().collect());
        let settled = |client: ClientId| Ok(stored.values().filter(|s| s.client == client).cloned().collect());
        let ctx = Context {
            who: "ann",
            seq,
            settlement: &lookup,
            contacts: &contacts,
            settlements: &settled,
        };
        cmd.plan(&self.model, &ctx)
    }

    /// Applies one change to the model and to what the store keeps on disk.
    fn apply(&mut self, c: &Change) {
        self.model.apply(c);
        match c {
            Change::Settlement { old, new } => {
                if let Some(old) = old {
                    self.settlements.remove(&old.id);
                }
                if let Some(new) = new {
                    self.settlements.insert(new.id, new.clone());
                }
            }
            Change::Contact(c) => self.contacts.push(c.clone()),
            Change::ContactRewritten { old, new, .. } => {
                self.contacts.retain(|c| c.id != old.id);
                self.contacts.extend(new.as_deref().cloned());
            }
            _ => {}
        }
    }

    /// Reference data (manager `amy`, products `crm` and `train`) and one
    /// client of hers, `C1`, created 2025-01-01.
    pub fn with_client() -> Planner {
        let mut p = Planner::with_reference(&["amy"], &[("crm", "software"), ("train", "training")]);
        p.run(Command::AddClient {
            reference: "C1".into(),
            name: "Dupont SA".into(),
            segment: Some(crate::domain::SegmentId(1)),
            manager: Some(crate::domain::ManagerId(1)),
            created: "2025-01-01".parse().unwrap_or_default(),
            notes: String::new(),
            tags: Vec::new(),
        });
        p
    }

    /// The refusal of `cmd`, which must be refused, leaving the model as it was.
    pub fn refused(&mut self, cmd: Command) -> CommandError {
        let before = self.model.clone();
        let text = format!("{cmd:?}");
        match self.try_run(cmd) {
            Ok(()) => panic!("{text} was accepted"),
            Err(e) => {
                assert!(self.model == before, "a refused command changed the model");
                e
            }
        }
    }

    pub fn run(&mut self, cmd: Command) {
        self.event(cmd);
    }

    /// `run`, returning the event.
    pub fn event(&mut self, cmd: Command) -> crate::write::Event {
        let text = format!("{cmd:?}");
        self.try_event(cmd).unwrap_or_else(|e| panic!("{text}: {e}"))
    }
}
