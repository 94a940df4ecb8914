//! A manager's share of the model, as a server sends it to a manager who
//! sees only their own clients, is encoded from the model in place
//! (`codec::encode_share`). It must be byte for byte the snapshot of the
//! share copied out (`Model::only_of`), which sessions decode.

use rapport::domain::{Archivable, ManagerId};
use rapport::store::codec::{self, SnapshotRef};
use rapport::write::Command as Cmd;

mod common;
use common::{d, demo};

#[test]
fn a_share_encoded_in_place_is_the_snapshot_of_the_share() {
    let (_dir, mut store) = demo(300, 5, d("2026-11-22"));
    // Something in the trash: a client of each of two managers, and a
    // person on their own.
    let model = store.model();
    let owned = |m: u32| {
        model
            .clients
            .values()
            .find(|c| c.manager == Some(ManagerId(m)))
            .map(|c| c.id)
            .unwrap()
    };
    let (first, second) = (owned(1), owned(2));
    let person = model
        .persons
        .keys()
        .find(|(c, _)| *c != first && *c != second)
        .copied()
        .unwrap();
    for key in [
        Archivable::Client(first),
        Archivable::Client(second),
        Archivable::Person(person.0, person.1),
    ] {
        store
            .execute(
                "lead",
                Cmd::Archive {
                    key,
                    expected_seq: None,
                    on: d("2026-11-22"),
                },
            )
            .unwrap();
    }
    let model = store.model();
    assert!(!model.trash.clients.is_empty() && !model.trash.persons.is_empty());
    assert!(!model.marks.is_empty() && !model.tickets.is_empty() && !model.surveys.is_empty());
    let created = store.created();
    let mut compared = 0;
    for m in model.managers.keys().copied().chain([ManagerId(999)]) {
        let copied = model.only_of(m);
        let expected = codec::encode_snapshot(&SnapshotRef {
            created,
            seq: copied.counters.seq,
            model: &copied,
        })
        .unwrap();
        let in_place = codec::encode_share(created, model, m).unwrap();
        assert!(in_place == expected, "manager {m:?}: the shares differ");
        // And it decodes to that share.
        let decoded = codec::decode_snapshot(&in_place).unwrap();
        assert_eq!(decoded.model, copied);
        compared += copied.clients.len();
    }
    assert_eq!(compared, model.clients.len(), "every live client is in one share");
}
