//! The due-contacts queue of SPEC §5: every control date the data holds, for
//! one as-of date and one manager (or all), grouped overdue / today / next 7
//! days. Derived, never typed twice: the only stored part is what users did
//! with items (done, snoozed) and the next contact date they agreed, kept as
//! `QueueMark`s under the item's stable id. Pure: reads the model and the
//! classes.

mod kept;
mod key;

pub use kept::Kept;
pub use key::{BadKey, ItemKey, Kind};

use std::collections::{BTreeSet, HashMap, HashSet};

use chrono::{Datelike, Days, NaiveDate};
use serde::{Deserialize, Serialize};

use crate::classes::{Abc, Classes};
use crate::domain::dates::{months_after, months_before};
use crate::domain::*;
use crate::model::Model;

/// Items due up to this many days ahead are listed ("next 7 days").
pub const HORIZON_DAYS: u64 = 7;
/// Birthdays show this many days ahead…
pub const BIRTHDAY_AHEAD_DAYS: u64 = 3;
/// …and stay this many days after, for a late greeting.
pub const BIRTHDAY_LATE_DAYS: u64 = 7;
/// A sale survey is asked this many days after the offer is won.
pub const SALE_SURVEY_DAYS: u64 = 7;
/// Sale surveys older than this are left to the yearly survey.
pub const SALE_SURVEY_MONTHS: u32 = 12;
/// The yearly survey: months since the last survey or complaint.
pub const SURVEY_EVERY_MONTHS: u32 = 12;

#[derive(Clone, Copy, Debug, PartialEq, Eq, PartialOrd, Ord, Hash, Serialize)]
#[serde(rename_all = "snake_case")]
pub enum Group {
    Overdue,
    Today,
    Soon,
    /// Past the usual horizon: tasks set far ahead, or what a longer
    /// `--horizon` brings in.
    Later,
}

impl Group {
    pub const ALL: [Group; 4] = [Group::Overdue, Group::Today, Group::Soon, Group::Later];
    pub fn title(self) -> &'static str {
        match self {
            Group::Overdue => "Overdue",
            Group::Today => "Today",
            Group::Soon => "Next 7 days",
            Group::Later => "Later",
        }
    }
}

/// How far ahead the queue looks.
#[derive(Clone, Copy, Debug, PartialEq, Eq)]
pub struct Horizon {
    /// Items due up to this many days after the as-of date.
    pub days: u64,
    /// Open tasks due later than that too (the interface's "Later").
    pub later_tasks: bool,
}

impl Default for Horizon {
    fn default() -> Self {
        Horizon {
            days: HORIZON_DAYS,
            later_tasks: false,
        }
    }
}

/// One thing to do on a date.
#[derive(Clone, Debug, PartialEq, Eq, Serialize, Deserialize)]
pub struct Item {
    #[serde(serialize_with = "as_text", deserialize_with = "from_text")]
    pub key: ItemKey,
    pub kind: Kind,
    /// When it is due now (the snooze date, if snoozed).
    pub due: NaiveDate,
    /// The date the data gives; a mark made for another date does not apply.
    pub base_due: NaiveDate,
    pub snoozed: bool,
    pub client: ClientId,
    pub product: Option<ProductId>,
    /// One line: why this is due.
    pub reason: String,
}

fn as_text<S: serde::Serializer>(key: &ItemKey, s: S) -> Result<S::Ok, S::Error> {
    s.collect_str(key)
}

fn from_text<'de, D: serde::Deserializer<'de>>(d: D) -> Result<ItemKey, D::Error> {
    let text = String::deserialize(d)?;
    text.parse().map_err(serde::de::Error::custom)
}

/// The item `id` names as of `as_of`, and — when marking it done is not one
/// command — what to do instead, in words; or why there is no such item.
pub fn due_item(model: &Model, id: &str, as_of: NaiveDate) -> Result<(Item, Option<String>), String> {
    let key: ItemKey = id.parse().map_err(|e: BadKey| e.to_string())?;
    if !key.exists(model) {
        return Err(format!("no queue item {key}: its record does not exist"));
    }
    // Only a cadence item reads the classes (its client's ABC class): the
    // whole book's are computed for that one alone.
    let classes = match key {
        ItemKey::Cadence(_) => crate::classes::compute(model, as_of),
        _ => Classes {
            as_of,
            clients: Vec::new(),
            totals: Default::default(),
        },
    };
    let item = find(model, &classes, as_of, key)
        .ok_or_else(|| format!("{key} is not due as of {as_of} (done already, or nothing dated)"))?;
    let how = crate::write::completion(&item, as_of).how(model, &item);
    Ok((item, how))
}

impl Item {
    pub fn group(&self, as_of: NaiveDate) -> Group {
        match self.due.cmp(&as_of) {
            std::cmp::Ordering::Less => Group::Overdue,
            std::cmp::Ordering::Equal => Group::Today,
            std::cmp::Ordering::Greater if (self.due - as_of).num_days() > HORIZON_DAYS as i64 => Group::Later,
            std::cmp::Ordering::Greater => Group::Soon,
        }
    }

    /// Days past due (0 when not overdue).
    pub fn days_late(&self, as_of: NaiveDate) -> i64 {
        (as_of - self.due).num_days().max(0)
    }
}

/// Whose items: one manager's clients (and tickets they own), or all.
#[derive(Clone, Copy, Debug, PartialEq, Eq)]
pub enum Scope {
    All,
    Manager(ManagerId),
}

/// The queue for `as_of`: items due up to `as_of + 7 days` (birthdays 3
/// days ahead), sorted by due date, then kind, then client.
pub fn due(model: &Model, classes: &Classes, as_of: NaiveDate, scope: Scope) -> Vec<Item> {
    due_within(model, classes, as_of, scope, Horizon::default())
}

/// The queue looking `horizon` ahead, sorted like `due`.
pub fn due_within(model: &Model, classes: &Classes, as_of: NaiveDate, scope: Scope, horizon: Horizon) -> Vec<Item> {
    let until = as_of.checked_add_days(Days::new(horizon.days)).unwrap_or(as_of);
    let want = Want {
        scope,
        only: None,
        until: Some(until),
        later_tasks: horizon.later_tasks,
        reasons: true,
    };
    let mut items = Vec::new();
    all_items(model, classes, as_of, &want, &mut |i| items.push(i));
    items.sort_by_key(|i| (i.due, i.kind, i.client, i.key));
    items
}

/// The next date each client has something due, however far ahead (the
/// client list's column); overdue items count with their past date.
pub fn next_due_by_client(model: &Model, classes: &Classes, as_of: NaiveDate) -> HashMap<ClientId, NaiveDate> {
    next_due(model, classes, as_of, None)
}

/// The same for a few clients (those an edit touched), without going
/// through every client.
pub fn next_due_of(
    model: &Model,
    classes: &Classes,
    as_of: NaiveDate,
    clients: &BTreeSet<ClientId>,
) -> HashMap<ClientId, NaiveDate> {
    next_due(model, classes, as_of, Some(clients))
}

fn next_due(
    model: &Model,
    classes: &Classes,
    as_of: NaiveDate,
    only: Option<&BTreeSet<ClientId>>,
) -> HashMap<ClientId, NaiveDate> {
    let want = Want {
        scope: Scope::All,
        only,
        until: None,
        later_tasks: false,
        reasons: false,
    };
    let mut next: HashMap<ClientId, NaiveDate> = HashMap::with_capacity(only.map_or(model.clients.len(), |o| o.len()));
    all_items(model, classes, as_of, &want, &mut |item| {
        next.entry(item.client)
            .and_modify(|d| *d = (*d).min(item.due))
            .or_insert(item.due);
    });
    next
}

/// The item `key` as the data holds it on `as_of`, however far ahead it is
/// due; none when nothing is due under that id (or it was done).
pub fn find(model: &Model, classes: &Classes, as_of: NaiveDate, key: ItemKey) -> Option<Item> {
    // Only the items of the client the key is about.
    let client: BTreeSet<ClientId> = key.client(model).into_iter().collect();
    let want = Want {
        scope: Scope::All,
        only: Some(&client),
        until: None,
        later_tasks: false,
        reasons: true,
    };
    let mut found = None;
    all_items(model, classes, as_of, &want, &mut |i| {
        if i.key == key {
            found = Some(i);
        }
    });
    found
}

/// Which items `all_items` builds.
struct Want<'a> {
    scope: Scope,
    /// Only these clients' items.
    only: Option<&'a BTreeSet<ClientId>>,
    /// Items due after this are left out before their text is made.
    until: Option<NaiveDate>,
    /// Open tasks are kept however far ahead they are due.
    later_tasks: bool,
    /// Whether to write each item's one-line reason (not for dates alone).
    reasons: bool,
}

/// Every item the data holds, with marks applied, handed to `sink` (not
/// collected: the next-due column needs only the earliest date of each client).
fn all_items(model: &Model, classes: &Classes, as_of: NaiveDate, want: &Want, sink: &mut dyn FnMut(Item)) {
    let scope = want.scope;
    let mut b = Builder {
        model,
        until: want.until,
        reasons: want.reasons,
        // A few clients' items look their marks up one by one; every
        // client's (or a manager's share), through one map of all marks.
        marks: want.only.is_none().then(|| {
            model
                .marks
                .values()
                .filter_map(|m| m.key.parse::<ItemKey>().ok().map(|k| (k, m)))
                .collect()
        }),
        sink,
    };
    let mine_client = |c: &Client| {
        want.only.is_none_or(|o| o.contains(&c.id))
            && match scope {
                Scope::All => true,
                Scope::Manager(m) => c.manager == Some(m),
            }
    };
    // One manager's queue goes through their clients only (range reads),
    // not every offer of the book; tickets they own elsewhere are added below.
    let share: Option<HashSet<ClientId>> = match (want.only, scope) {
        (None, Scope::Manager(m)) => Some(
            model
                .clients
                .values()
                .filter(|c| c.manager == Some(m))
                .map(|c| c.id)
                .collect(),
        ),
        _ => None,
    };
    // Whether a client's items are wanted, by its id.
    let mine = |c: ClientId| match (&share, want.only) {
        (Some(share), _) => share.contains(&c),
        // For the whole book, no look-up of the client.
        (None, Some(only)) => {
            only.contains(&c) && (scope == Scope::All || model.clients.get(&c).is_some_and(mine_client))
        }
        (None, None) => true,
    };
    let history = History::new(model, &mine);
    let offered = Offered::new(model, as_of);
    // Each client once, with its offers and persons.
    let mut its_offers: Vec<&Offer> = Vec::new();
    let client_items = |b: &mut Builder, client: &Client, offers: &mut Vec<&Offer>| {
        for o in offers.drain(..) {
            offer_items(b, &history, &offered, o);
        }
        yearly_survey(b, &history, client);
        cadence(b, classes, as_of, client);
        for person in model.persons_of(client.id) {
            birthday(b, as_of, person);
        }
    };
    match (want.only, &share) {
        // A few clients: one range read each. Offers of a client not in
        // the book count for the whole book, as below.
        (Some(only), _) => {
            for &c in only {
                match model.clients.get(&c) {
                    Some(client) if mine_client(client) => {
                        its_offers.extend(model.offers_of(c));
                        client_items(&mut b, client, &mut its_offers);
                    }
                    None if scope == Scope::All => {
                        for o in model.offers_of(c) {
                            offer_items(&mut b, &history, &offered, o);
                        }
                    }
                    _ => {}
                }
            }
        }
        // A manager's share: one range read each.
        (None, Some(_)) => {
            for client in model.clients.values().filter(|c| mine_client(c)) {
                its_offers.extend(model.offers_of(client.id));
                client_items(&mut b, client, &mut its_offers);
            }
        }
        // The whole book: its offers are walked beside the clients, in the
        // same key order.
        (None, None) => {
            let mut offers = model.offers.values().peekable();
            for client in model.clients.values() {
                // Offers of a client not in the book (none should be) still count.
                its_offers.extend(std::iter::from_fn(|| offers.next_if(|o| o.client <= client.id)));
                client_items(&mut b, client, &mut its_offers);
            }
            for o in offers {
                offer_items(&mut b, &history, &offered, o);
            }
        }
    }
    let until = b.until;
    if want.later_tasks {
        b.until = None;
    }
    for t in model.tasks.values().filter(|t| t.done.is_none() && mine(t.client)) {
        b.push(ItemKey::Task(t.id), t.due, t.client, None, || {
            format!("task: {}", first_line(&t.text))
        });
    }
    b.until = until;
    for t in model.tickets.values() {
        let owned =
            matches!(scope, Scope::Manager(m) if t.owner == Some(m)) && want.only.is_none_or(|o| o.contains(&t.client));
        if t.stage == TicketStage::Closed || !(owned || mine(t.client)) {
            continue;
        }
        let (Some(due), Some(next)) = (t.stage_due, t.stage.next()) else {
            continue;
        };
        let needs = match next {
            TicketStage::Investigating => " (needs an owner)",
            TicketStage::Resolved => " (needs the cause and the action)",
            TicketStage::Prevented => " (needs the process fix)",
            _ => "",
        };
        b.push(ItemKey::Ticket(t.id), due, t.client, t.product, || {
            format!("ticket #{} {}: move to {next}{needs}", t.id, t.stage)
        });
    }
}

struct Builder<'a, 's> {
    model: &'a Model,
    until: Option<NaiveDate>,
    reasons: bool,
    marks: Option<HashMap<ItemKey, &'a QueueMark>>,
    sink: &'s mut dyn FnMut(Item),
}

impl<'a> Builder<'a, '_> {
    /// What a user did with the item `key`, if anything.
    fn mark(&self, key: ItemKey) -> Option<&'a QueueMark> {
        match &self.marks {
            Some(marks) => marks.get(&key).copied(),
            None => self.model.marks.get(&key.to_string()),
        }
    }

    /// Adds the item unless it is marked done for this date; a snooze for
    /// this date moves it. `reason` is only called for items kept.
    fn push(
        &mut self,
        key: ItemKey,
        base_due: NaiveDate,
        client: ClientId,
        product: Option<ProductId>,
        reason: impl FnOnce() -> String,
    ) {
        let mut due = base_due;
        let mut snoozed = false;
        let mark = self.mark(key);
        if let Some(mark) = mark
            && mark.due == base_due
        {
            match mark.state {
                MarkState::Done => return,
                MarkState::Snoozed(until) => {
                    due = until;
                    snoozed = true;
                }
                MarkState::NextContact(_) => {}
            }
        }
        if self.until.is_some_and(|u| due > u) {
            return;
        }
        let Some(kind) = key.kind() else { return };
        let mut reason = if self.reasons { reason() } else { String::new() };
        if snoozed && self.reasons {
            reason = format!("{reason} (snoozed from {})", base_due.format("%d/%m"));
        }
        (self.sink)(Item {
            key,
            kind,
            due,
            base_due,
            snoozed,
            client,
            product,
            reason,
        });
    }
}

fn product_name(model: &Model, p: ProductId) -> &str {
    model.products.get(&p).map_or("?", |p| p.name.as_str())
}

fn first_line(text: &str) -> &str {
    text.lines().next().unwrap_or("")
}

/// What the items of offers need from the rest of the book, gathered once.
struct Offered {
    /// Days after a presentation by which its minutes are sent.
    minutes_days: u64,
    /// The latest sent minutes of each offer.
    sent_minutes: HashMap<(ClientId, ProductId), NaiveDate>,
    /// Sales won on or before this date are left to the yearly survey.
    oldest_sale: NaiveDate,
}

impl Offered {
    fn new(model: &Model, as_of: NaiveDate) -> Offered {
        let mut sent_minutes: HashMap<(ClientId, ProductId), NaiveDate> = HashMap::new();
        for d in model.sales.documents.values() {
            if d.number.kind == crate::templates::DocKind::Minutes && d.sent.is_some() {
                let e = sent_minutes.entry((d.client, d.product)).or_insert(d.date);
                *e = (*e).max(d.date);
            }
        }
        Offered {
            minutes_days: u64::from(model.sales.setup.minutes_days),
            sent_minutes,
            oldest_sale: months_before(as_of, SALE_SURVEY_MONTHS),
        }
    }
}

/// Every item one offer gives.
fn offer_items(b: &mut Builder, history: &History, offered: &Offered, o: &Offer) {
    offer_dates(b, o);
    sales_points(b, offered, o);
    sale_survey(b, history, offered, o);
}

/// SPEC §5.1 and §5.3: control dates of open offers, retries of refusals.
fn offer_dates(b: &mut Builder, o: &Offer) {
    let model = b.model;
    let key = |k| ItemKey::Offer(k, o.client, o.product);
    let name = || product_name(model, o.product);
    if o.stage.is_open()
        && let Some(d) = o.next_step
    {
        b.push(key(Kind::NextStep), d, o.client, Some(o.product), || {
            if o.next_note.is_empty() {
                format!("next step of the {} ({})", o.stage, name())
            } else {
                format!("{} ({}, {})", first_line(&o.next_note), name(), o.stage)
            }
        });
    }
    let (kind, date) = match o.stage {
        OfferStage::Proposal => (Kind::Expiry, o.expiry),
        OfferStage::Invoiced => (Kind::Invoice, o.invoice_due),
        OfferStage::Delivery => (Kind::Delivery, o.delivery),
        OfferStage::Refused => (Kind::Retry, o.refusal.as_ref().and_then(|r| r.retry)),
        _ => return,
    };
    let Some(d) = date else { return };
    b.push(key(kind), d, o.client, Some(o.product), || match (&o.refusal, kind) {
        (Some(r), Kind::Retry) => format!("retry {} (refused at {}: {})", name(), r.at_stage, r.reason.as_str()),
        (_, Kind::Expiry) => format!("proposal for {} expires", name()),
        (_, Kind::Invoice) => format!("invoice for {} due", name()),
        _ => format!("delivery of {}", name()),
    });
}

/// SPEC §9's control points: minutes not sent after a presentation, an
/// amendment date, unpaid instalments.
fn sales_points(b: &mut Builder, offered: &Offered, o: &Offer) {
    let model = b.model;
    let name = || product_name(model, o.product);
    if o.stage == OfferStage::Presentation
        && let Some(due) = o.stage_date.checked_add_days(chrono::Days::new(offered.minutes_days))
    {
        let sent = offered
            .sent_minutes
            .get(&(o.client, o.product))
            .is_some_and(|d| *d >= o.stage_date);
        if !sent {
            b.push(
                ItemKey::Offer(Kind::Minutes, o.client, o.product),
                due,
                o.client,
                Some(o.product),
                || {
                    format!(
                        "send the minutes of the presentation of {} ({})",
                        name(),
                        o.stage_date.format("%d/%m")
                    )
                },
            );
        }
    }
    let Some(terms) = model.sales.terms.get(&(o.client, o.product)) else {
        return;
    };
    if matches!(o.stage, OfferStage::Proposal | OfferStage::Agreement)
        && let Some(due) = terms.amend_by
    {
        b.push(
            ItemKey::Offer(Kind::Amendment, o.client, o.product),
            due,
            o.client,
            Some(o.product),
            || format!("settle the amendment of the {} for {}", o.stage, name()),
        );
    }
    if matches!(o.stage, OfferStage::Invoiced | OfferStage::Delivery | OfferStage::Won) {
        let states = crate::model::sales::instalments(o, terms);
        let count = states.len();
        for s in states.iter().filter(|s| !s.is_paid()) {
            let key = ItemKey::Instalment(o.client, o.product, u32::try_from(s.index).unwrap_or(u32::MAX));
            b.push(key, s.due, o.client, Some(o.product), || {
                let part = if s.paid.0 > 0 {
                    format!(" ({} of it paid)", s.paid)
                } else {
                    String::new()
                };
                format!(
                    "instalment {}/{count} of {}: {} unpaid{part}",
                    s.index,
                    name(),
                    s.amount
                )
            });
        }
    }
}

/// Surveys and complaints per client, gathered once.
struct History {
    /// The latest survey of each (client, product).
    survey: HashMap<(ClientId, ProductId), NaiveDate>,
    /// The latest survey or complaint of each client.
    feedback: HashMap<ClientId, NaiveDate>,
}

impl History {
    fn new(model: &Model, kept: &dyn Fn(ClientId) -> bool) -> History {
        let mut survey: HashMap<(ClientId, ProductId), NaiveDate> = HashMap::new();
        let mut feedback: HashMap<ClientId, NaiveDate> = HashMap::new();
        let later = |map: &mut HashMap<ClientId, NaiveDate>, c: ClientId, d: NaiveDate| {
            map.entry(c).and_modify(|x| *x = (*x).max(d)).or_insert(d);
        };
        for s in model.surveys.values().filter(|s| kept(s.client)) {
            survey
                .entry((s.client, s.product))
                .and_modify(|x| *x = (*x).max(s.date))
                .or_insert(s.date);
            later(&mut feedback, s.client, s.date);
        }
        for t in model.tickets.values().filter(|t| kept(t.client)) {
            if t.source == TicketSource::Complaint {
                later(&mut feedback, t.client, t.opened);
            }
        }
        History { survey, feedback }
    }
}

/// SPEC §5.2, first half: 7 days after an offer is won, when the client was
/// new at the sale (its first settlement, if any, lies inside the status
/// window before the sale — or after it: a first sale not yet paid).
fn sale_survey(b: &mut Builder, history: &History, offered: &Offered, o: &Offer) {
    let model = b.model;
    if o.stage != OfferStage::Won || o.stage_date <= offered.oldest_sale {
        return;
    }
    let won = o.stage_date;
    let first = model.aggregate(o.client).and_then(|a| a.days.first()).map(|d| d.date);
    let new_client = first.is_none_or(|f| f > months_before(won, model.settings.status_window_months));
    if !new_client || history.survey.get(&(o.client, o.product)).is_some_and(|d| *d >= won) {
        return;
    }
    let due = won.checked_add_days(Days::new(SALE_SURVEY_DAYS)).unwrap_or(won);
    let why = || {
        format!(
            "satisfaction survey: {} won {} by a new client",
            product_name(model, o.product),
            won.format("%d/%m")
        )
    };
    b.push(
        ItemKey::SaleSurvey(o.client, o.product),
        due,
        o.client,
        Some(o.product),
        why,
    );
}

/// SPEC §5.2 second half and §6: every client with settlements is surveyed
/// at least once every 12 months; a complaint counts as feedback too.
fn yearly_survey(b: &mut Builder, history: &History, client: &Client) {
    let Some(first) = b
        .model
        .aggregate(client.id)
        .and_then(|a| a.days.first())
        .map(|d| d.date)
    else {
        return;
    };
    let last = history.feedback.get(&client.id).copied();
    let due = months_after(last.unwrap_or(first), SURVEY_EVERY_MONTHS);
    b.push(ItemKey::YearlySurvey(client.id), due, client.id, None, || match last {
        Some(last) => format!(
            "satisfaction survey: no survey or complaint since {}",
            last.format("%d/%m/%Y")
        ),
        None => format!(
            "satisfaction survey: never surveyed (client since {})",
            first.format("%d/%m/%Y")
        ),
    });
}

/// SPEC §5.4: the last actual contact plus the interval of the client's ABC
/// class — or the next contact date agreed at that contact. With no contact
/// yet, the interval counts from the client's creation.
fn cadence(b: &mut Builder, classes: &Classes, as_of: NaiveDate, client: &Client) {
    let model = b.model;
    let abc = classes.get(client.id).and_then(|c| c.abc);
    let days = model.settings.cadence_days;
    let (interval, class) = match abc {
        Some(Abc::A) => (days[0], "class A"),
        Some(Abc::B) => (days[1], "class B"),
        Some(Abc::C) => (days[2], "class C"),
        None => (days[3], "no class"),
    };
    let last = model
        .aggregate(client.id)
        .and_then(|a| a.last_contact)
        .map(|t| t.date());
    let agreed = match b.mark(ItemKey::NextContact(client.id)) {
        Some(QueueMark {
            state: MarkState::NextContact(next),
            due,
            ..
        }) if last.is_none_or(|l| *due >= l) => Some((*next, *due)),
        _ => None,
    };
    let due = match (agreed, last) {
        (Some((next, _)), _) => next,
        (None, Some(last)) => last.checked_add_days(Days::new(u64::from(interval))).unwrap_or(last),
        (None, None) => client
            .created
            .checked_add_days(Days::new(u64::from(interval)))
            .unwrap_or(client.created),
    };
    b.push(ItemKey::Cadence(client.id), due, client.id, None, || {
        // SPEC §9: between sales, the call has a product to offer.
        let offer = match crate::plan::standing(model, client, as_of) {
            crate::plan::Standing::Next(p) => {
                format!(" — offer {}", model.products.get(&p).map_or("?", |p| p.name.as_str()))
            }
            _ => String::new(),
        };
        let why = match (agreed, last) {
            (Some((_, at)), _) => format!("next contact agreed on {}", at.format("%d/%m")),
            (None, Some(last)) => format!(
                "no contact for {} days — {class} cadence {interval}",
                (as_of - last).num_days()
            ),
            (None, None) => format!(
                "no contact yet (client since {}) — {class} cadence {interval}",
                client.created.format("%d/%m/%Y")
            ),
        };
        format!("{why}{offer}")
    });
}

/// The birthday in `year`; 29 February falls on the 28th in other years.
pub fn birthday_in(birthday: NaiveDate, year: i32) -> Option<NaiveDate> {
    NaiveDate::from_ymd_opt(year, birthday.month(), birthday.day())
        .or_else(|| NaiveDate::from_ymd_opt(year, birthday.month(), birthday.day().saturating_sub(1)))
}

/// SPEC §5.5: shown 3 days ahead, kept a week after; a snoozed one shows on
/// its snooze date.
fn birthday(b: &mut Builder, as_of: NaiveDate, person: &ContactPerson) {
    let Some(born) = person.birthday else { return };
    let key = ItemKey::Birthday(person.client, person.id);
    let from = as_of.checked_sub_days(Days::new(BIRTHDAY_LATE_DAYS)).unwrap_or(as_of);
    let to = as_of.checked_add_days(Days::new(BIRTHDAY_AHEAD_DAYS)).unwrap_or(as_of);
    let snoozed_for = match b.mark(key) {
        Some(QueueMark {
            state: MarkState::Snoozed(_),
            due,
            ..
        }) => Some(*due),
        _ => None,
    };
    for year in [as_of.year() - 1, as_of.year(), as_of.year() + 1] {
        let Some(day) = birthday_in(born, year) else { continue };
        if day <= born {
            continue;
        }
        if (from..=to).contains(&day) || snoozed_for == Some(day) {
            b.push(key, day, person.client, None, || {
                let role = if person.role.is_empty() {
                    String::new()
                } else {
                    format!(", {}", person.role)
                };
                format!("birthday of {}{role} ({})", person.name, day.format("%d/%m"))
            });
        }
    }
}

#[cfg(test)]
mod tests;
