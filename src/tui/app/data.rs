//! What the interface reads and writes through: a store opened here or a
//! server's session, behind one trait.

use super::*;

/// What the TUI needs from the data: the in-memory model, the one write
/// path, and the reads that stay on disk — from a store opened here, or
/// from a shared server, which also pushes other sessions' events.
pub trait Data {
    fn model(&self) -> &Model;
    fn execute(&mut self, who: &str, cmd: Command) -> Result<Event, StoreError>;
    fn contacts_of(&mut self, client: ClientId) -> Result<Vec<ContactEntry>, StoreError>;
    /// The manager results of a period (the reports tab).
    fn kpi_table(&mut self, period: Period, by: GroupBy) -> Result<Table, StoreError>;
    /// Other sessions' events that arrived since the last call, already in
    /// the model.
    fn poll_events(&mut self) -> Vec<Event> {
        Vec::new()
    }
    /// Why the connection to the server ended, once it has.
    fn connection_lost(&self) -> Option<String> {
        None
    }
    /// Lets a server session wake the loop when events arrive.
    fn set_waker(&mut self, _waker: Waker) {}
    /// Moves a local session to a server (see `Session::hand_over`).
    fn hand_over(&mut self, _connect: Connector) -> Result<(), String> {
        Err("only a session on a store opened here can be handed over".into())
    }
    /// Completes a hand-over that is ready; true when the server brought
    /// a newer model (everything derived from the old one is stale).
    fn poll_hand_over(&mut self) -> bool {
        false
    }
    /// The session ends: keep what makes the next one start fast, and take
    /// the day's automatic backup if there is none yet.
    fn close(&mut self, today: NaiveDate) -> Result<(), String>;
}

/// Opens a fresh server session after the connection was lost.
pub type Reconnect = Box<dyn FnMut() -> Result<Box<dyn Data>, String>>;

impl Data for Store {
    fn model(&self) -> &Model {
        Store::model(self)
    }
    fn execute(&mut self, who: &str, cmd: Command) -> Result<Event, StoreError> {
        Store::execute(self, who, cmd)
    }
    fn contacts_of(&mut self, client: ClientId) -> Result<Vec<ContactEntry>, StoreError> {
        Store::contacts_of(self, client)
    }
    fn kpi_table(&mut self, period: Period, by: GroupBy) -> Result<Table, StoreError> {
        rapport::session::kpi_table_local(self, period, by)
    }
    fn close(&mut self, today: NaiveDate) -> Result<(), String> {
        self.save_snapshot().map_err(|e| e.to_string())?;
        if let Some(dir) = rapport::paths::backup_dir(self.path()) {
            self.daily_backup(&dir, today, 7).map_err(|e| e.to_string())?;
        }
        Ok(())
    }
}

impl Data for Session {
    fn model(&self) -> &Model {
        Session::model(self)
    }
    fn execute(&mut self, who: &str, cmd: Command) -> Result<Event, StoreError> {
        Session::execute(self, who, cmd)
    }
    fn contacts_of(&mut self, client: ClientId) -> Result<Vec<ContactEntry>, StoreError> {
        Session::contacts_of(self, client)
    }
    fn kpi_table(&mut self, period: Period, by: GroupBy) -> Result<Table, StoreError> {
        Session::kpi_table(self, period, by)
    }
    fn poll_events(&mut self) -> Vec<Event> {
        Session::poll_events(self)
    }
    fn connection_lost(&self) -> Option<String> {
        Session::connection_lost(self)
    }
    fn set_waker(&mut self, waker: Waker) {
        Session::set_waker(self, waker);
    }
    fn hand_over(&mut self, connect: Connector) -> Result<(), String> {
        Session::hand_over(self, connect).map_err(|e| e.to_string())
    }
    fn poll_hand_over(&mut self) -> bool {
        Session::poll_hand_over(self)
    }
    fn close(&mut self, today: NaiveDate) -> Result<(), String> {
        match self {
            Session::Local(store) => Data::close(store, today),
            // The server keeps its own snapshot and backups.
            Session::Remote(_) | Session::Joining(_) => Ok(()),
        }
    }
}
