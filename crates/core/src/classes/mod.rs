//! The class engine of SPEC §4: ABC, XYZ, lifecycle status, maturity and
//! cooperation for every client as of a date, plus portfolio totals. Pure:
//! it reads the model (per-client aggregates, portrait, offers) and nothing
//! else. `Engine` keeps the result current after each change; `history`
//! gives the classes at past month ends.

mod cache;
mod engine;
mod history;
mod stats;

pub use cache::Cache;
pub use engine::Engine;
pub use history::{ClassPoint, Transition, client_history, history, month_ends};
pub use stats::{ClientStats, Window, client_stats, status_on};

use std::fmt;

use chrono::NaiveDate;
use serde::Serialize;

use crate::domain::ClientId;
use crate::model::Model;

#[derive(Clone, Copy, Debug, PartialEq, Eq, PartialOrd, Ord, Hash, Serialize)]
pub enum Abc {
    A,
    B,
    C,
}

#[derive(Clone, Copy, Debug, PartialEq, Eq, PartialOrd, Ord, Hash, Serialize)]
pub enum Xyz {
    X,
    Y,
    Z,
}

#[derive(Clone, Copy, Debug, PartialEq, Eq, PartialOrd, Ord, Hash, Serialize)]
#[serde(rename_all = "snake_case")]
pub enum Status {
    Potential,
    New,
    Regular,
    Restored,
    Lost,
}

impl Abc {
    pub const ALL: [Abc; 3] = [Abc::A, Abc::B, Abc::C];
    pub fn as_str(self) -> &'static str {
        match self {
            Abc::A => "A",
            Abc::B => "B",
            Abc::C => "C",
        }
    }
}

impl Xyz {
    pub const ALL: [Xyz; 3] = [Xyz::X, Xyz::Y, Xyz::Z];
    pub fn as_str(self) -> &'static str {
        match self {
            Xyz::X => "X",
            Xyz::Y => "Y",
            Xyz::Z => "Z",
        }
    }
}

impl Status {
    pub const ALL: [Status; 5] = [
        Status::Potential,
        Status::New,
        Status::Regular,
        Status::Restored,
        Status::Lost,
    ];
    pub fn as_str(self) -> &'static str {
        match self {
            Status::Potential => "potential",
            Status::New => "new",
            Status::Regular => "regular",
            Status::Restored => "restored",
            Status::Lost => "lost",
        }
    }
}

impl fmt::Display for Abc {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        f.pad(self.as_str())
    }
}
impl fmt::Display for Xyz {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        f.pad(self.as_str())
    }
}
impl fmt::Display for Status {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        f.pad(self.as_str())
    }
}

/// Everything the pane shows for one client.
#[derive(Clone, Debug, PartialEq, Serialize)]
pub struct ClientClasses {
    pub client: ClientId,
    pub abc: Option<Abc>,
    pub xyz: Option<Xyz>,
    pub status: Status,
    /// (used, targets); none when the segment has no targets.
    pub maturity: Option<(u32, u32)>,
    /// Turnover in the window, cents.
    pub turnover: i64,
    pub cv: Option<f64>,
    /// Whole months from the first settlement to the as-of date.
    pub cooperation_months: Option<u32>,
    pub first_settlement: Option<NaiveDate>,
    pub last_settlement: Option<NaiveDate>,
}

/// Portfolio (or filter) totals.
#[derive(Clone, Debug, Default, PartialEq, Eq, Serialize)]
pub struct Totals {
    pub clients: u32,
    /// A, B, C, then no class.
    pub abc: [u32; 4],
    /// X, Y, Z, then no class.
    pub xyz: [u32; 4],
    /// grid[abc][xyz], index 3 meaning no class: the 3×3 ABC×XYZ grid
    /// plus the clients missing one class or both.
    pub grid: [[u32; 4]; 4],
    /// In `Status::ALL` order.
    pub status: [u32; 5],
    pub turnover: i64,
}

impl Totals {
    pub fn add(&mut self, c: &ClientClasses) {
        self.clients += 1;
        let a = c.abc.map_or(3, |a| a as usize);
        let x = c.xyz.map_or(3, |x| x as usize);
        self.abc[a] += 1;
        self.xyz[x] += 1;
        self.grid[a][x] += 1;
        self.status[c.status as usize] += 1;
        self.turnover += c.turnover;
    }

    /// Totals over the clients `ids` picks out (the current filter).
    pub fn of<'a>(classes: &Classes, ids: impl IntoIterator<Item = &'a ClientId>) -> Totals {
        let mut t = Totals::default();
        for id in ids {
            if let Some(c) = classes.get(*id) {
                t.add(c);
            }
        }
        t
    }
}

/// The classes of every client as of one date.
#[derive(Clone, Debug, PartialEq, Serialize)]
pub struct Classes {
    pub as_of: NaiveDate,
    /// Sorted by client id.
    pub clients: Vec<ClientClasses>,
    pub totals: Totals,
}

impl Classes {
    pub fn get(&self, id: ClientId) -> Option<&ClientClasses> {
        self.clients
            .binary_search_by_key(&id, |c| c.client)
            .ok()
            .map(|i| &self.clients[i])
    }
}

/// From-scratch computation (the engine does the same incrementally).
pub fn compute(model: &Model, as_of: NaiveDate) -> Classes {
    Engine::new(model, as_of).into_classes()
}

#[cfg(test)]
mod tests;
