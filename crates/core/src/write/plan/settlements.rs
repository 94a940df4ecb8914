//! Planning: Settlements (sales and refunds) and their corrections.

use super::*;

/// Plans the settlements commands (see `Command::plan`).
pub(super) fn plan(cmd: &Command, model: &Model, ctx: &Context) -> Result<Vec<Change>> {
    let seq = ctx.seq;
    let client = |id: ClientId| found(&model.clients, id, "client");
    let product = |id: ProductId| found(&model.products, id, "product");
    let c = &model.counters;
    Ok(match cmd {
        Command::RecordSettlement {
            client: id,
            date,
            amount,
            product: prod,
            doc,
        } => {
            let new = settlement_fields(*id, SettlementId(c.settlement + 1), *date, *amount, *prod, doc, seq)?;
            client(*id)?;
            if let Some(p) = prod {
                product(*p)?;
            }
            let mut changes = super::sales::payments_after(model, None, Some(&new), seq);
            changes.insert(
                0,
                Change::Settlement {
                    old: None,
                    new: Some(new),
                },
            );
            changes
        }
        Command::EditSettlement {
            client: cid,
            id,
            expected_seq,
            date,
            amount,
            product: prod,
            doc,
        } => {
            let old = stored_settlement(ctx, *cid, *id, *expected_seq)?;
            let new = settlement_fields(*cid, *id, *date, *amount, *prod, doc, seq)?;
            if let Some(p) = prod {
                product(*p)?;
            }
            let mut changes = super::sales::payments_after(model, Some(&old), Some(&new), seq);
            changes.insert(
                0,
                Change::Settlement {
                    old: Some(old),
                    new: Some(new),
                },
            );
            changes
        }
        Command::DeleteSettlement {
            client: cid,
            id,
            expected_seq,
        } => {
            let old = stored_settlement(ctx, *cid, *id, *expected_seq)?;
            let mut changes = super::sales::payments_after(model, Some(&old), None, seq);
            changes.insert(
                0,
                Change::Settlement {
                    old: Some(old),
                    new: None,
                },
            );
            changes
        }
        other => return Err(not_here(other)),
    })
}

fn settlement_fields(
    client: ClientId,
    id: SettlementId,
    date: NaiveDate,
    amount: Money,
    product: Option<ProductId>,
    doc: &str,
    seq: u64,
) -> Result<Settlement> {
    check_date("settlement date", date)?;
    check_line("document ref", doc, false)?;
    if amount.0.unsigned_abs() > MAX_AMOUNT_CENTS as u64 {
        return Err(invalid(format!(
            "amount {amount} is beyond ±{}",
            Money(MAX_AMOUNT_CENTS)
        )));
    }
    Ok(Settlement {
        id,
        client,
        date,
        amount,
        product,
        doc: doc.trim().to_string(),
        seq,
    })
}

/// The settlement as stored, unless a change after `expected_seq` (when
/// given) made it another.
fn stored_settlement(
    ctx: &Context,
    client: ClientId,
    id: SettlementId,
    expected_seq: Option<u64>,
) -> Result<Settlement> {
    let s = (ctx.settlement)(client, id)
        .map_err(CommandError::Invalid)?
        .ok_or_else(|| CommandError::NotFound(format!("settlement #{id} of client #{client}")))?;
    match expected_seq {
        Some(expected) if expected != s.seq => Err(CommandError::Stale {
            what: format!("settlement #{id}"),
            expected,
            current: s.seq,
        }),
        _ => Ok(s),
    }
}

#[cfg(test)]
mod tests {
    use crate::domain::*;
    use crate::testing::Planner;
    use crate::write::{Command, CommandError, MAX_AMOUNT_CENTS};

    fn sale(cents: i64) -> Command {
        Command::RecordSettlement {
            client: ClientId(1),
            date: "2026-03-02".parse().unwrap(),
            amount: Money(cents),
            product: Some(ProductId(1)),
            doc: "INV-1".into(),
        }
    }

    #[test]
    fn amounts_are_bounded_and_a_deletion_undoes_the_aggregate() {
        let mut p = Planner::with_client();
        assert!(matches!(
            p.refused(sale(MAX_AMOUNT_CENTS + 1)),
            CommandError::Invalid(_)
        ));
        let before = p.model.aggregates[&ClientId(1)].clone();
        p.run(sale(125_000));
        assert_ne!(p.model.aggregates[&ClientId(1)], before);
        let id = *p.settlements.keys().next().unwrap();
        p.run(Command::DeleteSettlement {
            client: ClientId(1),
            id,
            expected_seq: None,
        });
        assert_eq!(p.model.aggregates[&ClientId(1)], before);
        assert!(p.settlements.is_empty());
    }

    #[test]
    fn only_a_stored_settlement_can_be_changed() {
        let mut p = Planner::with_client();
        let gone = Command::DeleteSettlement {
            client: ClientId(1),
            id: SettlementId(42),
            expected_seq: None,
        };
        assert!(matches!(p.refused(gone), CommandError::NotFound(_)));
        let doc = Command::RecordSettlement {
            client: ClientId(1),
            date: "2026-03-02".parse().unwrap(),
            amount: Money(100),
            product: None,
            doc: "A\tB".into(),
        };
        assert!(matches!(p.refused(doc), CommandError::Invalid(_)));
    }
}
