//! Test support: a model changed only through `Command::plan`, the way the
//! store changes it, without a database.

use std::collections::BTreeMap;

use crate::domain::{ClientId, ContactEntry, Settlement, SettlementId};
use crate::model::{Change, Model};
use crate::store::{Command, CommandError, Context};

#[derive(Default)]
pub struct Planner {
    pub model: Model,
    /// What the store keeps on disk rather than in the model.
    pub settlements: BTreeMap<SettlementId, Settlement>,
    pub contacts: Vec<ContactEntry>,
}

impl Planner {
    /// Plans `cmd` as user `ann` and applies its changes.
    pub fn try_run(&mut self, cmd: Command) -> Result<(), CommandError> {
        let seq = self.model.counters.seq + 1;
        let changes = {
            let stored = &self.settlements;
            let lookup = |_: ClientId, id: SettlementId| Ok(stored.get(&id).cloned());
            let ctx = Context {
                who: "ann",
                seq,
                settlement: &lookup,
            };
            cmd.plan(&self.model, &ctx)?
        };
        for c in changes {
            self.model.apply(&c);
            match c {
                Change::Settlement { old, new } => {
                    if let Some(old) = old {
                        self.settlements.remove(&old.id);
                    }
                    if let Some(new) = new {
                        self.settlements.insert(new.id, new);
                    }
                }
                Change::Contact(c) => self.contacts.push(c),
                _ => {}
            }
        }
        self.model.counters.seq = seq;
        Ok(())
    }

    pub fn run(&mut self, cmd: Command) {
        let text = format!("{cmd:?}");
        if let Err(e) = self.try_run(cmd) {
            panic!("{text}: {e}");
        }
    }
}
