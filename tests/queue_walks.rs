//! The queue is built three ways: through the whole book, through one
//! manager's share, and through a few clients (the interface's next-due
//! column after an edit). On the demo data all three must say the same.

use std::collections::{BTreeSet, HashMap};

use chrono::NaiveDate;
use rapport::queue::{self, Horizon, ItemKey, Scope};

#[test]
fn a_managers_queue_and_a_few_clients_agree_with_the_whole_book() {
    let dir = tempfile::tempdir().unwrap();
    let mut store = rapport::store::Store::open(&dir.path().join("db")).unwrap();
    let as_of: NaiveDate = "2026-11-22".parse().unwrap();
    let opts = rapport::demo::DemoOptions {
        clients: 400,
        seed: 11,
        today: as_of,
    };
    rapport::demo::generate(&mut store, &opts, &mut |_| {}).unwrap();
    let model = store.model();
    let classes = rapport::classes::compute(model, as_of);
    // A year ahead, with far tasks: every kind of item the data holds.
    let horizon = Horizon {
        days: 366,
        later_tasks: true,
    };
    let all = queue::due_within(model, &classes, as_of, Scope::All, horizon);
    let kinds: BTreeSet<&str> = all.iter().map(|i| i.kind.as_str()).collect();
    assert!(
        kinds.len() >= 6,
        "the demo data gives too few kinds of items: {kinds:?}"
    );

    for manager in model.managers.values() {
        let theirs = |i: &queue::Item| {
            let client_is = model
                .clients
                .get(&i.client)
                .is_some_and(|c| c.manager == Some(manager.id));
            let owns = match i.key {
                ItemKey::Ticket(t) => model.tickets.get(&t).is_some_and(|t| t.owner == Some(manager.id)),
                _ => false,
            };
            client_is || owns
        };
        let expected: Vec<&queue::Item> = all.iter().filter(|i| theirs(i)).collect();
        let got = queue::due_within(model, &classes, as_of, Scope::Manager(manager.id), horizon);
        assert_eq!(
            got.iter().collect::<Vec<_>>(),
            expected,
            "the queue of {}",
            manager.login
        );
    }

    // Every client's next due date, from the whole book and client by client.
    let next = queue::next_due_by_client(model, &classes, as_of);
    assert!(next.len() > 300, "{} clients have something due", next.len());
    let clients: Vec<_> = model.clients.keys().copied().collect();
    for few in clients.chunks(37) {
        let set: BTreeSet<_> = few.iter().copied().collect();
        let part = queue::next_due_of(model, &classes, as_of, &set);
        let expected: HashMap<_, _> = next
            .iter()
            .filter(|(c, _)| set.contains(c))
            .map(|(c, d)| (*c, *d))
            .collect();
        assert_eq!(part, expected);
    }
}
