//! Planning: Offers moving through their stages (SPEC §3), each move with
//! the offer as it was (for its undo), and an offer put back as it was.

use super::trash::live_client;
use super::*;

/// Plans the offers commands (see `Command::plan`).
pub(super) fn plan(cmd: &Command, model: &Model, ctx: &Context) -> Result<Vec<Change>> {
    Ok(match cmd {
        Command::MoveOffer(m) => {
            let competitor = super::sales::competitor_of(model, m)?;
            let mut changes = vec![
                Change::OfferWas {
                    client: m.client,
                    product: m.product,
                    offer: model.offers.get(&(m.client, m.product)).cloned(),
                },
                Change::Offer(move_offer(model, ctx, m)?),
            ];
            if let Some(name) = competitor {
                changes.push(super::sales::with_competitor(model, m, name, ctx.seq));
            }
            changes
        }
        Command::RestoreOffer {
            client,
            product,
            expected_version,
            offer,
        } => {
            live_client(model, *client)?;
            let now = model.offers.get(&(*client, *product));
            let label = || {
                format!(
                    "the offer of {} to {}",
                    model.product_label(*product),
                    model.client_label(*client)
                )
            };
            check_version(label, *expected_version, now.map_or(0, |o| o.version))?;
            if offer
                .as_ref()
                .is_some_and(|o| (o.client, o.product) != (*client, *product))
            {
                return Err(invalid("an offer is put back under its own client and product"));
            }
            let was = Change::OfferWas {
                client: *client,
                product: *product,
                offer: now.cloned(),
            };
            match (now, offer) {
                (_, Some(o)) => vec![
                    was,
                    Change::Offer(Offer {
                        version: now.map_or(0, |n| n.version) + 1,
                        seq: ctx.seq,
                        ..o.clone()
                    }),
                ],
                (Some(n), None) => vec![was, Change::OfferRemoved(n.clone())],
                (None, None) => return Err(CommandError::NotFound(label())),
            }
        }
        other => return Err(not_here(other)),
    })
}

fn move_offer(model: &Model, ctx: &Context, m: &OfferMove) -> Result<Offer> {
    let client = found(&model.clients, m.client, "client")?;
    let product = found(&model.products, m.product, "product")?;
    check_date("stage date", m.date)?;
    for (what, d) in [
        ("next step date", m.next_step),
        ("expiry date", m.expiry),
        ("invoice due date", m.invoice_due),
        ("delivery date", m.delivery),
        ("retry date", m.retry),
    ] {
        if let Some(d) = d {
            check_date(what, d)?;
        }
    }
    check_text("note", &m.note, false)?;
    check_text("next step note", &m.next_note, false)?;
    if m.retry.is_some() && m.to != OfferStage::Refused {
        return Err(invalid("a retry date only goes with a refusal"));
    }
    let old = model.offers.get(&(m.client, m.product));
    let current_version = old.map_or(0, |o| o.version);
    check_version(
        || format!("the offer of {} to {}", product.code, client.reference),
        m.expected_version,
        current_version,
    )?;
    let from = old.map_or(OfferStage::NotOffered, |o| o.stage);
    let refused_at = old.and_then(|o| o.refusal.as_ref()).map(|r| r.at_stage);
    check_transition(from, refused_at, m.to, &m.note, m.reason)?;
    let mut history = old.map(|o| o.history.clone()).unwrap_or_default();
    history.push(Transition {
        from,
        to: m.to,
        date: m.date,
        who: ctx.who.into(),
        note: m.note.trim().into(),
        seq: ctx.seq,
    });
    let keep = |given: Option<NaiveDate>, old_value: Option<NaiveDate>, stage: OfferStage| {
        given.or(if m.to == stage { old_value } else { None })
    };
    let refusal = match (m.to, m.reason) {
        (OfferStage::Refused, Some(reason)) => Some(Refusal {
            reason,
            at_stage: from,
            retry: m.retry,
        }),
        _ => None,
    };
    Ok(Offer {
        client: m.client,
        product: m.product,
        stage: m.to,
        stage_date: m.date,
        next_step: m.next_step,
        next_note: m.next_note.trim().to_string(),
        expiry: keep(m.expiry, old.and_then(|o| o.expiry), OfferStage::Proposal),
        invoice_due: keep(m.invoice_due, old.and_then(|o| o.invoice_due), OfferStage::Invoiced),
        delivery: keep(m.delivery, old.and_then(|o| o.delivery), OfferStage::Delivery),
        refusal,
        history,
        version: current_version + 1,
        seq: ctx.seq,
    })
}

#[cfg(test)]
mod tests {
    use crate::domain::*;
    use crate::testing::Planner;
    use crate::write::{Command, CommandError, OfferMove};

    fn to(stage: OfferStage, date: &str) -> OfferMove {
        OfferMove::new(ClientId(1), ProductId(1), stage, date.parse().unwrap())
    }

    #[test]
    fn an_offer_moves_stage_by_stage_with_its_version() {
        let mut p = Planner::with_client();
        p.run(Command::MoveOffer(to(OfferStage::Presentation, "2026-02-01")));
        let o = &p.model.offers[&(ClientId(1), ProductId(1))];
        assert_eq!((o.stage, o.version), (OfferStage::Presentation, 1));
        let mut stale = to(OfferStage::Proposal, "2026-02-10");
        stale.expected_version = Some(7);
        assert!(matches!(
            p.refused(Command::MoveOffer(stale)),
            CommandError::Stale { current: 1, .. }
        ));
        let mut retry = to(OfferStage::Proposal, "2026-02-10");
        retry.retry = Some("2026-09-01".parse().unwrap());
        assert!(matches!(p.refused(Command::MoveOffer(retry)), CommandError::Invalid(m) if m.contains("retry")));
    }

    #[test]
    fn an_offer_needs_a_known_client_and_product() {
        let mut p = Planner::with_client();
        let mut m = to(OfferStage::Presentation, "2026-02-01");
        m.product = ProductId(9);
        assert!(matches!(p.refused(Command::MoveOffer(m)), CommandError::NotFound(_)));
    }
}
