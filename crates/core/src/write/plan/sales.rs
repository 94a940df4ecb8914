//! Planning: the sales process of SPEC §9 — documents, offer terms,
//! acquisition sources, the lead's lists — and keeping the instalments'
//! payments current as settlements are recorded.

use super::*;
use crate::templates::{self, DocKind};

/// Instalments one invoice may be split into.
const MAX_INSTALMENTS: usize = 24;
/// Entries of the lead's sources or competitors list.
const MAX_LIST: usize = 200;

/// Plans the sales commands (see `Command::plan`).
pub(super) fn plan(cmd: &Command, model: &Model, ctx: &Context) -> Result<Vec<Change>> {
    Ok(match cmd {
        Command::WriteDocument {
            client,
            product,
            kind,
            date,
            dir,
        } => vec![write_document(model, ctx, *client, *product, *kind, *date, dir)?],
        Command::MarkDocumentSent { number, date, channel } => {
            check_date("sent date", *date)?;
            let doc = model
                .sales
                .documents
                .get(number)
                .filter(|d| model.clients.contains_key(&d.client))
                .ok_or_else(|| CommandError::NotFound(format!("document {number}")))?;
            if let Some(sent) = doc.sent {
                return Err(invalid(format!(
                    "{number} is already marked sent on {} by {}",
                    sent.date,
                    sent.channel.as_str()
                )));
            }
            if *date < doc.date {
                return Err(invalid(format!(
                    "{number} cannot be sent on {date}, before it was written ({})",
                    doc.date
                )));
            }
            let mut doc = doc.clone();
            doc.sent = Some(Sent {
                date: *date,
                channel: *channel,
            });
            doc.seq = ctx.seq;
            vec![sales(SalesRecord::Document(doc))]
        }
        Command::SetTerms {
            client,
            product,
            expected_seq,
            amend_by,
            invoice,
            schedule,
        } => vec![set_terms(
            model,
            ctx,
            *client,
            *product,
            *expected_seq,
            *amend_by,
            *invoice,
            schedule,
        )?],
        Command::SetSource { reference, source } => {
            let client = &model
                .client_by_ref(reference)
                .ok_or_else(|| CommandError::NotFound(format!("client '{reference}'")))?
                .id;
            let source = source.trim();
            check_line("source", source, false)?;
            if source.chars().count() > 64 {
                return Err(invalid(format!("source '{source}' is longer than 64 characters")));
            }
            if source.is_empty() {
                if !model.sales.sources.contains_key(client) {
                    return Ok(vec![]);
                }
                return Ok(vec![Change::Sales {
                    key: SalesKey::Acquisition(*client),
                    record: None,
                }]);
            }
            vec![sales(SalesRecord::Acquisition(Acquisition {
                client: *client,
                source: listed(&model.sales.setup.sources, source),
                seq: ctx.seq,
            }))]
        }
        Command::SetSalesSetup {
            sources,
            competitors,
            minutes_days,
        } => {
            lead_only(model, ctx, "the sources, competitors and minutes delay")?;
            if *minutes_days > 365 {
                return Err(invalid(format!("{minutes_days} days for the minutes: at most 365")));
            }
            vec![sales(SalesRecord::Setup(SalesSetup {
                sources: list("source", sources)?,
                competitors: list("competitor", competitors)?,
                minutes_days: *minutes_days,
                seq: ctx.seq,
            }))]
        }
        other => return Err(not_here(other)),
    })
}

fn sales(record: SalesRecord) -> Change {
    Change::Sales {
        key: record.key(),
        record: Some(record),
    }
}

/// Refuses a manager what a lead keeps (a login that is no manager is
/// the owner of a local database, as for the templates).
fn lead_only(model: &Model, ctx: &Context, what: &str) -> Result<()> {
    match model.manager_by_login(ctx.who) {
        Some(m) if m.role != Role::Lead => Err(invalid(format!("{what} are kept by a team lead"))),
        _ => Ok(()),
    }
}

/// `text` as the list spells it, when it is on the list (case aside).
fn listed(list: &[String], text: &str) -> String {
    list.iter()
        .find(|l| l.to_lowercase() == text.to_lowercase())
        .cloned()
        .unwrap_or_else(|| text.to_string())
}

/// A lead's list: trimmed one-line entries, none twice (case aside).
fn list(what: &str, entries: &[String]) -> Result<Vec<String>> {
    if entries.len() > MAX_LIST {
        return Err(invalid(format!("{} {what}s: at most {MAX_LIST}", entries.len())));
    }
    let mut out: Vec<String> = Vec::new();
    for e in entries {
        let e = e.trim();
        check_line(what, e, true)?;
        if e.chars().count() > 64 {
            return Err(invalid(format!("{what} '{e}' is longer than 64 characters")));
        }
        if out.iter().any(|o| o.to_lowercase() == e.to_lowercase()) {
            return Err(invalid(format!("{what} '{e}' is on the list twice")));
        }
        out.push(e.to_string());
    }
    Ok(out)
}

fn write_document(
    model: &Model,
    ctx: &Context,
    client: ClientId,
    product: ProductId,
    kind: DocKind,
    date: NaiveDate,
    dir: &str,
) -> Result<Change> {
    let c = found(&model.clients, client, "client")?;
    let p = found(&model.products, product, "product")?;
    check_date("document date", date)?;
    check_line("documents directory", dir, true)?;
    if !std::path::Path::new(dir).is_absolute() {
        return Err(invalid(format!(
            "the documents directory '{dir}' is not an absolute path"
        )));
    }
    let offer = model.offers.get(&(client, product));
    let stage = offer.map_or(OfferStage::NotOffered, |o| o.stage);
    let offer = match offer {
        Some(o) if o.stage == kind.stage() => o,
        _ => {
            return Err(invalid(format!(
                "the offer of {} to {} is at stage {stage}: a {} goes with an offer at stage {}",
                p.code,
                c.reference,
                kind.title(),
                kind.stage()
            )));
        }
    };
    let number = model.sales.next_number(kind, date.year());
    let values = templates::values(model, offer, number, date);
    let text = templates::render(model.template_text(kind), &values).map_err(|errors| {
        let first = errors.first().map(ToString::to_string).unwrap_or_default();
        invalid(format!(
            "the company template of the {} has errors ({first})",
            kind.title()
        ))
    })?;
    let file = std::path::Path::new(dir).join(format!("{number}.txt"));
    Ok(sales(SalesRecord::Document(Document {
        number,
        client,
        product,
        stage,
        date,
        file: file.to_string_lossy().into_owned(),
        text,
        sent: None,
        who: ctx.who.to_string(),
        seq: ctx.seq,
    })))
}

#[allow(clippy::too_many_arguments)]
fn set_terms(
    model: &Model,
    ctx: &Context,
    client: ClientId,
    product: ProductId,
    expected_seq: Option<u64>,
    amend_by: Option<NaiveDate>,
    invoice: Option<Money>,
    schedule: &[Instalment],
) -> Result<Change> {
    let c = found(&model.clients, client, "client")?;
    let p = found(&model.products, product, "product")?;
    let offer = model.offers.get(&(client, product));
    let stage = offer.map_or(OfferStage::NotOffered, |o| o.stage);
    let old = model.sales.terms.get(&(client, product));
    check_version(
        || format!("the terms of {} for {}", p.code, c.reference),
        expected_seq,
        old.map_or(0, |t| t.seq),
    )?;
    if let Some(d) = amend_by {
        check_date("amendment date", d)?;
        if !matches!(stage, OfferStage::Proposal | OfferStage::Agreement) {
            return Err(invalid(format!(
                "an amendment date goes with a proposal or an agreement; the offer of {} to {} is at stage {stage}",
                p.code, c.reference
            )));
        }
    }
    if let Some(a) = invoice {
        if a.0 <= 0 || a.0 > MAX_AMOUNT_CENTS {
            return Err(invalid(format!(
                "invoice amount {a}: expected more than 0 and at most {}",
                Money(MAX_AMOUNT_CENTS)
            )));
        }
        if !matches!(stage, OfferStage::Invoiced | OfferStage::Delivery | OfferStage::Won) {
            return Err(invalid(format!(
                "an invoice goes with an invoiced offer; the offer of {} to {} is at stage {stage}",
                p.code, c.reference
            )));
        }
    }
    let mut schedule = schedule.to_vec();
    if !schedule.is_empty() {
        let Some(total) = invoice else {
            return Err(invalid("instalments need the invoice amount they split"));
        };
        if schedule.len() > MAX_INSTALMENTS {
            return Err(invalid(format!(
                "{} instalments: at most {MAX_INSTALMENTS}",
                schedule.len()
            )));
        }
        for (i, inst) in schedule.iter().enumerate() {
            check_date("instalment due date", inst.due)?;
            if inst.amount.0 <= 0 {
                return Err(invalid(format!(
                    "instalment {} of {}: an instalment is more than 0",
                    i + 1,
                    inst.amount
                )));
            }
        }
        // Each amount is at most the total, so the sum cannot overflow.
        let sum: i64 = schedule.iter().map(|i| i.amount.0.min(MAX_AMOUNT_CENTS)).sum();
        if sum != total.0 {
            return Err(invalid(format!(
                "the instalments sum to {}, the invoice is {total}",
                Money(sum)
            )));
        }
        schedule.sort_by_key(|i| i.due);
    }
    let mut terms = old.cloned().unwrap_or_else(|| OfferTerms::new(client, product));
    terms.amend_by = amend_by;
    terms.invoice = invoice;
    terms.schedule = schedule;
    // Counted again from the stored settlements: they are the truth.
    let settled = (ctx.settlements)(client).map_err(|e| invalid(format!("reading the settlements: {e}")))?;
    terms.payments = settled
        .iter()
        .filter(|s| s.product == Some(product))
        .map(payment)
        .collect();
    terms.payments.sort_by_key(|p| (p.date, p.settlement));
    terms.seq = ctx.seq;
    Ok(sales(SalesRecord::Terms(terms)))
}

fn payment(s: &Settlement) -> Payment {
    Payment {
        settlement: s.id,
        date: s.date,
        amount: s.amount,
    }
}

/// The terms records a settlement change touches, with their payments
/// brought up to date (only offers that have terms keep payments).
pub(super) fn payments_after(
    model: &Model,
    old: Option<&Settlement>,
    new: Option<&Settlement>,
    seq: u64,
) -> Vec<Change> {
    let mut out: Vec<OfferTerms> = Vec::new();
    for s in old.iter().chain(new.iter()) {
        let Some(product) = s.product else { continue };
        let key = (s.client, product);
        if out.iter().any(|t| (t.client, t.product) == key) {
            continue;
        }
        if let Some(t) = model.sales.terms.get(&key) {
            out.push(t.clone());
        }
    }
    for t in &mut out {
        if let Some(o) = old {
            t.payments.retain(|p| p.settlement != o.id);
        }
        if let Some(n) = new.filter(|n| n.client == t.client && n.product == Some(t.product)) {
            t.payments.push(payment(n));
            t.payments.sort_by_key(|p| (p.date, p.settlement));
        }
        t.seq = seq;
    }
    out.into_iter().map(|t| sales(SalesRecord::Terms(t))).collect()
}

/// The competitor a refusal names, as the lead's list spells it; refused
/// when the reason wants one and it is missing, or the reason does not.
pub(super) fn competitor_of(model: &Model, m: &OfferMove) -> Result<Option<String>> {
    let name = m.competitor.trim();
    check_line("competitor", name, false)?;
    if name.chars().count() > 64 {
        return Err(invalid(format!("competitor '{name}' is longer than 64 characters")));
    }
    match (m.to, m.reason) {
        (OfferStage::Refused, Some(RefusalReason::Competitor)) if name.is_empty() => {
            Err(invalid("a refusal for reason competitor names the competitor"))
        }
        (OfferStage::Refused, Some(RefusalReason::Competitor)) => {
            Ok(Some(listed(&model.sales.setup.competitors, name)))
        }
        _ if !name.is_empty() => Err(invalid("a competitor only goes with a refusal for reason competitor")),
        _ => Ok(None),
    }
}

/// The terms change that records the competitor of a refusal.
pub(super) fn with_competitor(model: &Model, m: &OfferMove, competitor: String, seq: u64) -> Change {
    let mut terms = model
        .sales
        .terms
        .get(&(m.client, m.product))
        .cloned()
        .unwrap_or_else(|| OfferTerms::new(m.client, m.product));
    terms.competitor = competitor;
    terms.seq = seq;
    sales(SalesRecord::Terms(terms))
}

#[cfg(test)]
mod tests {
    use crate::domain::*;
    use crate::templates::DocKind;
    use crate::testing::Planner;
    use crate::write::{Command, CommandError, OfferMove};
    use chrono::NaiveDate;

    fn d(s: &str) -> NaiveDate {
        s.parse().unwrap()
    }

    fn at(p: &mut Planner, stage: OfferStage, date: &str) {
        p.run(Command::MoveOffer(OfferMove::new(
            ClientId(1),
            ProductId(1),
            stage,
            d(date),
        )));
    }

    fn write(kind: DocKind, date: &str) -> Command {
        Command::WriteDocument {
            client: ClientId(1),
            product: ProductId(1),
            kind,
            date: d(date),
            dir: "/home/amy/documents".into(),
        }
    }

    fn terms(invoice: Option<i64>, schedule: &[(i64, &str)]) -> Command {
        Command::SetTerms {
            client: ClientId(1),
            product: ProductId(1),
            expected_seq: None,
            amend_by: None,
            invoice: invoice.map(Money),
            schedule: schedule
                .iter()
                .map(|&(a, due)| Instalment {
                    amount: Money(a),
                    due: d(due),
                })
                .collect(),
        }
    }

    #[test]
    fn documents_are_numbered_per_kind_and_year_for_the_offer_at_their_stage() {
        let mut p = Planner::with_client();
        assert!(
            matches!(p.refused(write(DocKind::Offer, "2026-03-01")), CommandError::Invalid(m)
            if m.contains("stage not_offered") && m.contains("commercial offer goes with an offer at stage proposal"))
        );
        at(&mut p, OfferStage::Proposal, "2026-03-01");
        p.run(write(DocKind::Offer, "2026-03-02"));
        p.run(write(DocKind::Offer, "2026-03-03"));
        p.run(write(DocKind::Offer, "2027-01-03"));
        let numbers: Vec<String> = p.model.sales.documents.keys().map(ToString::to_string).collect();
        assert_eq!(numbers, ["OFF-2026-0001", "OFF-2026-0002", "OFF-2027-0001"]);
        let doc = &p.model.sales.documents[&"OFF-2026-0002".parse().unwrap()];
        assert_eq!(doc.file, "/home/amy/documents/OFF-2026-0002.txt");
        assert!(
            doc.text
                .starts_with("COMMERCIAL OFFER OFF-2026-0002\nDate: 2026-03-03\n"),
            "{}",
            doc.text
        );
        assert!(
            matches!(p.refused(write(DocKind::Minutes, "2026-03-04")), CommandError::Invalid(m) if m.contains("stage proposal"))
        );
        let mut relative = write(DocKind::Offer, "2026-03-04");
        if let Command::WriteDocument { dir, .. } = &mut relative {
            *dir = "docs".into();
        }
        assert!(matches!(p.refused(relative), CommandError::Invalid(m) if m.contains("absolute")));
        // Sent once, not before it was written.
        let number: DocNumber = "OFF-2026-0001".parse().unwrap();
        let sent = |date: &str| Command::MarkDocumentSent {
            number,
            date: d(date),
            channel: Channel::Email,
        };
        assert!(
            matches!(p.refused(sent("2026-03-01")), CommandError::Invalid(m) if m.contains("before it was written"))
        );
        p.run(sent("2026-03-02"));
        assert!(matches!(p.refused(sent("2026-03-05")), CommandError::Invalid(m) if m.contains("already marked sent")));
        let missing = Command::MarkDocumentSent {
            number: "OFF-2026-0099".parse().unwrap(),
            date: d("2026-03-05"),
            channel: Channel::Email,
        };
        assert!(matches!(p.refused(missing), CommandError::NotFound(_)));
    }

    #[test]
    fn a_schedule_sums_to_the_invoice_of_an_invoiced_offer() {
        let mut p = Planner::with_client();
        at(&mut p, OfferStage::Agreement, "2026-03-01");
        assert!(matches!(p.refused(terms(Some(1000), &[])), CommandError::Invalid(m) if m.contains("invoiced offer")));
        at(&mut p, OfferStage::Invoiced, "2026-03-05");
        assert!(
            matches!(p.refused(terms(Some(100_000), &[(50_000, "2026-03-10"), (40_000, "2026-04-10")])),
            CommandError::Invalid(m) if m == "the instalments sum to 900.00, the invoice is 1000.00")
        );
        assert!(
            matches!(p.refused(terms(None, &[(50_000, "2026-03-10")])), CommandError::Invalid(m) if m.contains("need the invoice"))
        );
        assert!(
            matches!(p.refused(terms(Some(50_000), &[(60_000, "2026-03-10"), (-10_000, "2026-04-10")])),
            CommandError::Invalid(m) if m.contains("more than 0"))
        );
        assert!(matches!(p.refused(terms(Some(0), &[])), CommandError::Invalid(_)));
        // A settlement recorded before the schedule is counted when it is set.
        p.run(Command::RecordSettlement {
            client: ClientId(1),
            date: d("2026-03-06"),
            amount: Money(30_000),
            product: Some(ProductId(1)),
            doc: "INV-1".into(),
        });
        p.run(terms(Some(100_000), &[(50_000, "2026-04-10"), (50_000, "2026-03-10")]));
        let t = &p.model.sales.terms[&(ClientId(1), ProductId(1))];
        assert_eq!(t.schedule[0].due, d("2026-03-10"), "sorted by due date");
        assert_eq!(t.payments.len(), 1);
        // Later settlements of the product are followed; edits and deletions too.
        p.run(Command::RecordSettlement {
            client: ClientId(1),
            date: d("2026-03-20"),
            amount: Money(20_000),
            product: Some(ProductId(1)),
            doc: String::new(),
        });
        let id = SettlementId(p.model.counters.settlement);
        p.run(Command::EditSettlement {
            client: ClientId(1),
            id,
            expected_seq: None,
            date: d("2026-03-21"),
            amount: Money(25_000),
            product: Some(ProductId(1)),
            doc: String::new(),
        });
        let amounts = |p: &Planner| -> Vec<i64> {
            p.model.sales.terms[&(ClientId(1), ProductId(1))]
                .payments
                .iter()
                .map(|x| x.amount.0)
                .collect()
        };
        assert_eq!(amounts(&p), [30_000, 25_000]);
        p.run(Command::DeleteSettlement {
            client: ClientId(1),
            id,
            expected_seq: None,
        });
        assert_eq!(amounts(&p), [30_000]);
        // An amendment date goes with a proposal or agreement only.
        let mut amend = terms(None, &[]);
        if let Command::SetTerms { amend_by, .. } = &mut amend {
            *amend_by = Some(d("2026-04-01"));
        }
        assert!(matches!(p.refused(amend), CommandError::Invalid(m) if m.contains("amendment date")));
    }

    #[test]
    fn a_competitor_refusal_names_the_competitor_as_the_list_spells_it() {
        let mut p = Planner::with_client();
        p.run(Command::SetSalesSetup {
            sources: vec!["Trade fair".into(), "Referral".into()],
            competitors: vec!["Salesforce".into()],
            minutes_days: 2,
        });
        at(&mut p, OfferStage::Proposal, "2026-03-01");
        let mut refuse = OfferMove::new(ClientId(1), ProductId(1), OfferStage::Refused, d("2026-03-05"));
        refuse.reason = Some(RefusalReason::Competitor);
        assert!(
            matches!(p.refused(Command::MoveOffer(refuse.clone())), CommandError::Invalid(m) if m.contains("names the competitor"))
        );
        refuse.competitor = " salesforce ".into();
        p.run(Command::MoveOffer(refuse.clone()));
        assert_eq!(
            p.model.sales.terms[&(ClientId(1), ProductId(1))].competitor,
            "Salesforce"
        );
        let mut price = OfferMove::new(ClientId(1), ProductId(2), OfferStage::Refused, d("2026-03-05"));
        price.reason = Some(RefusalReason::Price);
        price.competitor = "Hubspot".into();
        assert!(
            matches!(p.refused(Command::MoveOffer(price)), CommandError::Invalid(m) if m.contains("only goes with"))
        );
        // Sources: as the list spells them, free text otherwise, cleared by "".
        let source = |s: &str| Command::SetSource {
            reference: "C1".into(),
            source: s.into(),
        };
        p.run(source("referral"));
        assert_eq!(p.model.sales.source_of(ClientId(1)), "Referral");
        p.run(source("Webinar March"));
        assert_eq!(p.model.sales.source_of(ClientId(1)), "Webinar March");
        p.run(source(""));
        assert_eq!(p.model.sales.source_of(ClientId(1)), "");
        assert!(matches!(p.refused(source("two\nlines")), CommandError::Invalid(_)));
        let twice = Command::SetSalesSetup {
            sources: vec!["Referral".into(), "referral".into()],
            competitors: vec![],
            minutes_days: 2,
        };
        assert!(matches!(p.refused(twice), CommandError::Invalid(m) if m.contains("twice")));
    }

    #[test]
    fn a_manager_does_not_keep_the_lists() {
        let mut p = Planner::with_reference(&["ann"], &[("crm", "software")]);
        let cmd = Command::SetSalesSetup {
            sources: vec![],
            competitors: vec![],
            minutes_days: 2,
        };
        assert!(matches!(p.refused(cmd), CommandError::Invalid(m) if m.contains("team lead")));
    }
}
