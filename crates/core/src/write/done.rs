//! What "done" means for each kind of queue item (SPEC §5), for every
//! front end: a task is completed, a cadence item by logging the contact
//! (which also sets the next date), a survey item by recording the survey,
//! a ticket by advancing it; the rest are marked done for their due date.

use chrono::NaiveDate;

use super::Command;
use crate::domain::*;
use crate::model::Model;
use crate::queue::{Item, ItemKey};

#[derive(Clone, Debug, PartialEq)]
pub enum Completion {
    /// Applying this command completes the item.
    Run(Command),
    /// Done by logging a contact with the client.
    LogContact(ClientId),
    /// Done by recording the survey (of a product, or the yearly one).
    Survey(ClientId, Option<ProductId>),
    /// Done by advancing the ticket to its next stage.
    AdvanceTicket(TicketId),
}

/// How `item` is completed on `date`.
pub fn completion(item: &Item, date: NaiveDate) -> Completion {
    match item.key {
        ItemKey::Task(task) => Completion::Run(Command::CompleteTask { task, date }),
        ItemKey::Cadence(client) => Completion::LogContact(client),
        ItemKey::SaleSurvey(client, product) => Completion::Survey(client, Some(product)),
        ItemKey::YearlySurvey(client) => Completion::Survey(client, None),
        ItemKey::Ticket(t) => Completion::AdvanceTicket(t),
        key => Completion::Run(Command::MarkItem {
            key: key.to_string(),
            due: item.base_due,
            state: MarkState::Done,
        }),
    }
}

impl Completion {
    /// For a completion that is not one command: what to do instead, as the
    /// command line says it.
    pub fn how(&self, model: &Model, item: &Item) -> Option<String> {
        let reference = |c: &ClientId| model.client_label(*c);
        let product = |p: &ProductId| model.product_label(*p);
        Some(match self {
            Completion::Run(_) => return None,
            Completion::LogContact(c) => format!(
                "{} is done by logging the contact, which also sets the next date: rapport log {} --channel call --summary TEXT",
                item.key,
                reference(c)
            ),
            Completion::Survey(c, Some(p)) => format!(
                "{} is done by recording the survey: rapport survey {} {} SCORE...",
                item.key,
                reference(c),
                product(p)
            ),
            Completion::Survey(c, None) => format!(
                "{} is done by recording the yearly survey: rapport survey {} PRODUCT SCORE...",
                item.key,
                reference(c)
            ),
            Completion::AdvanceTicket(t) => format!(
                "{} is done by advancing the ticket to its next stage: rapport ticket advance {t}",
                item.key
            ),
        })
    }
}

#[cfg(test)]
mod tests {
    use super::*;
    use crate::queue::Kind;

    fn item(key: ItemKey, kind: Kind) -> Item {
        let due: NaiveDate = "2026-11-20".parse().unwrap();
        Item {
            key,
            kind,
            due,
            base_due: due,
            snoozed: false,
            client: ClientId(1),
            product: None,
            reason: String::new(),
        }
    }

    #[test]
    fn each_kind_is_done_its_own_way() {
        let day: NaiveDate = "2026-11-27".parse().unwrap();
        let m = Model::default();
        let task = item(ItemKey::Task(TaskId(4)), Kind::Task);
        assert_eq!(
            completion(&task, day),
            Completion::Run(Command::CompleteTask {
                task: TaskId(4),
                date: day
            })
        );
        let cadence = item(ItemKey::Cadence(ClientId(1)), Kind::Cadence);
        assert_eq!(completion(&cadence, day), Completion::LogContact(ClientId(1)));
        assert!(
            completion(&cadence, day)
                .how(&m, &cadence)
                .unwrap()
                .contains("rapport log #1")
        );
        let survey = item(ItemKey::SaleSurvey(ClientId(1), ProductId(2)), Kind::Survey);
        assert_eq!(
            completion(&survey, day),
            Completion::Survey(ClientId(1), Some(ProductId(2)))
        );
        let ticket = item(ItemKey::Ticket(TicketId(9)), Kind::Ticket);
        assert!(
            completion(&ticket, day)
                .how(&m, &ticket)
                .unwrap()
                .contains("rapport ticket advance 9")
        );
        let birthday = item(ItemKey::Birthday(ClientId(1), PersonId(3)), Kind::Birthday);
        match completion(&birthday, day) {
            Completion::Run(Command::MarkItem {
                due,
                state: MarkState::Done,
                ..
            }) => assert_eq!(due, birthday.base_due),
            other => panic!("{other:?}"),
        }
    }
}
