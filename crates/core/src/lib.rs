//! rapport's core: the domain of SPEC §2 (`domain`), the in-memory read
//! model (`model`), the class engine of SPEC §4 (`classes`), the
//! due-contacts queue of SPEC §5 (`queue`), complaint tickets (SPEC §6–7,
//! `tickets`), manager results and the funnel (SPEC §7, `kpi`), the
//! product matrix (`matrix`), finding clients and their duplicates
//! (`find`), the write path without storage
//! (`write`: commands, the pure planner, events), and the `Backend` trait
//! every front end works on. No storage, no terminal,
//! no sockets: its dependency tree is chrono, serde and thiserror.

pub mod backend;
pub mod classes;
pub mod domain;
pub mod find;
pub mod history;
pub mod kpi;
pub mod matrix;
pub mod model;
pub mod plan;
pub mod queue;
pub mod templates;
pub mod tickets;
pub mod write;

/// Test support shared with the other crates' tests: a model changed only
/// through the planner, without a database.
#[doc(hidden)]
pub mod testing;
