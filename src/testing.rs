//! Test support: a model changed only through `Command::plan`, the way the
//! store changes it, without a database.

use crate::domain::{ClientId, SettlementId};
use crate::model::Model;
use crate::store::{Command, CommandError, Context};

#[derive(Default)]
pub struct Planner {
    pub model: Model,
}

impl Planner {
    /// Plans `cmd` as user `ann` and applies its changes.
    pub fn try_run(&mut self, cmd: Command) -> Result<(), CommandError> {
        let seq = self.model.counters.seq + 1;
        let none = |_: ClientId, _: SettlementId| Ok(None);
        let ctx = Context {
            who: "ann",
            seq,
            settlement: &none,
        };
        for c in cmd.plan(&self.model, &ctx)? {
            self.model.apply(&c);
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
