//! rapport: a keyboard-driven terminal CRM for account managers.
//!
//! This library holds everything but the terminal: the domain of SPEC §2
//! (`domain`), the in-memory read model (`model`), the durable sled store
//! with its one write path (`store`), the class engine of SPEC §4
//! (`classes`), the due-contacts queue of SPEC §5 (`queue`), complaint
//! tickets and their summary of SPEC §6–7 (`tickets`), the manager results
//! and funnel of SPEC §7 (`kpi`), the `Backend` every front end works on
//! (`backend`), CSV import/export (`io`), the demo data generator
//! (`demo`), and the shared server with its sessions (`server`,
//! `session`).

// The layers, each a crate of its own (see README "Architecture"): the
// core (no storage, no terminal), the sled store, the server and its
// sessions. Re-exported here under the paths the front ends use.
pub use rapport_core::{
    backend, classes, domain, find, history, kpi, matrix, model, plan, queue, templates, tickets, write,
};
pub use rapport_pg as pg;
pub use rapport_server as server;
pub use rapport_server::session;
pub use rapport_store as store;
pub use rapport_store::paths;

pub mod demo;
pub mod documents;
pub mod io;
