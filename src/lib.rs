//! rapport: a keyboard-driven terminal CRM for account managers.
//!
//! This library holds everything but the terminal: the domain of SPEC §2
//! (`domain`), the in-memory read model (`model`), the durable sled store
//! with its one write path (`store`), the class engine of SPEC §4
//! (`classes`), the due-contacts queue of SPEC §5 (`queue`), complaint
//! tickets and their summary of SPEC §6–7 (`tickets`), the manager results
//! and funnel of SPEC §7 (`kpi`), CSV
//! import/export (`io`), the demo data generator (`demo`), and the shared server with
//! its sessions (`server`, `session`).

pub mod classes;
pub mod demo;
pub mod domain;
pub mod io;
pub mod kpi;
pub mod matrix;
pub mod model;
pub mod paths;
pub mod queue;
pub mod server;
pub mod session;
pub mod store;
pub mod tickets;
pub mod write;

#[cfg(test)]
pub(crate) mod testing;
