//! CSV in and out: the kinds of records a file can carry and their columns.

pub mod cell;
pub mod export;
pub mod import;
mod table;
pub mod vcard;

use std::fmt;

#[derive(Clone, Copy, Debug, PartialEq, Eq, PartialOrd, Ord, Hash, clap::ValueEnum)]
pub enum Kind {
    Managers,
    Segments,
    Products,
    Portrait,
    Clients,
    Contacts,
    Settlements,
    Offers,
    /// The contact log (calls, meetings… with a client).
    Log,
    Tasks,
    Surveys,
}

impl Kind {
    /// The order in which kinds must be imported (each names only earlier ones).
    pub const IMPORT_ORDER: [Kind; 10] = [
        Kind::Managers,
        Kind::Segments,
        Kind::Products,
        Kind::Portrait,
        Kind::Clients,
        Kind::Contacts,
        Kind::Settlements,
        Kind::Log,
        Kind::Tasks,
        Kind::Surveys,
    ];

    /// The columns of the kind, `true` where required. The first column is
    /// the key other commands accept for the record.
    pub fn columns(self) -> &'static [(&'static str, bool)] {
        match self {
            Kind::Managers => &[("login", true), ("name", true), ("role", false)],
            Kind::Segments => &[("id", true), ("name", true), ("description", false)],
            Kind::Products => &[("id", true), ("name", true), ("line", true)],
            Kind::Portrait => &[("segment", true), ("product", true)],
            Kind::Clients => &[
                ("ref", true),
                ("name", true),
                ("segment", false),
                ("manager", false),
                ("created", false),
                ("notes", false),
                ("tags", false),
                ("source", false),
            ],
            Kind::Contacts => &[
                ("client", true),
                ("name", true),
                ("role", false),
                ("phone", false),
                ("email", false),
                ("birthday", false),
            ],
            Kind::Settlements => &[
                ("client", true),
                ("date", true),
                ("amount", true),
                ("product", false),
                ("doc", false),
            ],
            Kind::Offers => &[
                ("client", true),
                ("product", true),
                ("stage", true),
                ("stage_date", true),
                ("next_step", false),
                ("next_note", false),
                ("expiry", false),
                ("invoice_due", false),
                ("delivery", false),
                ("reason", false),
                ("refused_at", false),
                ("retry", false),
                ("version", false),
            ],
            Kind::Log => &[
                ("client", true),
                ("at", true),
                ("channel", true),
                ("summary", true),
                ("person", false),
                ("outcome", false),
                ("next_contact", false),
                ("who", false),
            ],
            Kind::Tasks => &[
                ("client", true),
                ("due", true),
                ("text", true),
                ("done", false),
                ("who", false),
            ],
            Kind::Surveys => &[
                ("client", true),
                ("product", true),
                ("date", true),
                ("scores", true),
                ("who", false),
            ],
        }
    }

    pub fn name(self) -> &'static str {
        match self {
            Kind::Managers => "managers",
            Kind::Segments => "segments",
            Kind::Products => "products",
            Kind::Portrait => "portrait",
            Kind::Clients => "clients",
            Kind::Contacts => "contacts",
            Kind::Settlements => "settlements",
            Kind::Offers => "offers",
            Kind::Log => "log",
            Kind::Tasks => "tasks",
            Kind::Surveys => "surveys",
        }
    }
}

impl fmt::Display for Kind {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        f.write_str(self.name())
    }
}
