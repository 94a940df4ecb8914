//! Commands the PostgreSQL tests build again and again.

use rapport_core::domain::*;
use rapport_core::write::Command;

pub fn client(reference: &str) -> Command {
    Command::AddClient {
        reference: reference.into(),
        name: format!("{reference} name"),
        segment: None,
        manager: None,
        created: chrono::NaiveDate::from_ymd_opt(2025, 1, 1).unwrap(),
        notes: String::new(),
        tags: vec![],
    }
}

pub fn settle(client: u32, cents: i64) -> Command {
    Command::RecordSettlement {
        client: ClientId(client),
        date: chrono::NaiveDate::from_ymd_opt(2026, 3, 1).unwrap(),
        amount: Money(cents),
        product: None,
        doc: String::new(),
    }
}
