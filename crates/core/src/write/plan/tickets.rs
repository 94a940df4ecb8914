//! Planning: Surveys and complaint tickets (SPEC §6).

use super::*;

/// Plans the tickets commands (see `Command::plan`).
pub(super) fn plan(cmd: &Command, model: &Model, ctx: &Context) -> Result<Vec<Change>> {
    let seq = ctx.seq;
    let client = |id: ClientId| found(&model.clients, id, "client");
    let product = |id: ProductId| found(&model.products, id, "product");
    let manager = |id: ManagerId| found(&model.managers, id, "manager");
    let c = &model.counters;
    Ok(match cmd {
        Command::RecordSurvey {
            client: id,
            product: p,
            date,
            scores,
        } => {
            client(*id)?;
            let prod = product(*p)?;
            check_date("survey date", *date)?;
            let questions = check_scores(model, *p, scores)?;
            let survey_id = SurveyId(c.survey + 1);
            let survey = Survey {
                id: survey_id,
                client: *id,
                product: *p,
                date: *date,
                scores: scores.clone(),
                ticket: None,
                who: ctx.who.into(),
                seq,
            };
            survey_changes(model, ctx, survey, questions, &prod.name)
        }
        Command::OpenTicket {
            client: id,
            product: p,
            date,
            text,
        } => {
            client(*id)?;
            if let Some(p) = p {
                product(*p)?;
            }
            check_text("description", text, true)?;
            check_date("date", *date)?;
            vec![Change::ticket(new_ticket(
                model,
                ctx,
                *id,
                *p,
                *date,
                text.trim().to_string(),
                TicketSource::Complaint,
            ))]
        }
        Command::AdvanceTicket(a) => vec![Change::ticket(advance_ticket(model, ctx, a)?)],
        Command::SetTicketOwner {
            ticket,
            expected_version,
            owner,
        } => {
            let old = found(&model.tickets, *ticket, "ticket")?;
            check_version(|| format!("ticket #{ticket}"), *expected_version, old.version)?;
            manager(*owner)?;
            if old.stage == TicketStage::Closed {
                return Err(invalid(format!("ticket #{ticket} is closed")));
            }
            vec![Change::ticket(Ticket {
                owner: Some(*owner),
                version: old.version + 1,
                seq,
                ..old.clone()
            })]
        }
        Command::EditTicket {
            ticket,
            expected_version,
            description,
            cause,
            action,
            fix,
        } => {
            let old = found(&model.tickets, *ticket, "ticket")?;
            check_version(|| format!("ticket #{ticket}"), *expected_version, old.version)?;
            check_text("description", description, true)?;
            let past = |s: TicketStage| old.stage >= s;
            check_text("cause", cause, past(TicketStage::Resolved))?;
            check_text("action", action, past(TicketStage::Resolved))?;
            check_text("process fix", fix, past(TicketStage::Prevented))?;
            vec![Change::ticket(Ticket {
                description: description.trim().to_string(),
                cause: cause.trim().to_string(),
                action: action.trim().to_string(),
                fix: fix.trim().to_string(),
                version: old.version + 1,
                seq,
                ..old.clone()
            })]
        }
        other => return Err(not_here(other)),
    })
}

/// The due date of a ticket's current stage: settings count days from opening.
pub fn ticket_stage_due(settings: &Settings, opened: NaiveDate, stage: TicketStage) -> Option<NaiveDate> {
    let days = settings.ticket_due_days.get(stage.index())?;
    opened.checked_add_days(chrono::Days::new(u64::from(*days)))
}

pub(super) fn new_ticket(
    model: &Model,
    ctx: &Context,
    client: ClientId,
    product: Option<ProductId>,
    date: NaiveDate,
    description: String,
    source: TicketSource,
) -> Ticket {
    Ticket {
        id: TicketId(model.counters.ticket + 1),
        client,
        product,
        opened: date,
        source,
        description,
        stage: TicketStage::Registered,
        owner: None,
        cause: String::new(),
        action: String::new(),
        fix: String::new(),
        stage_due: ticket_stage_due(&model.settings, date, TicketStage::Registered),
        history: Vec::new(),
        version: 1,
        seq: ctx.seq,
    }
}

fn advance_ticket(model: &Model, ctx: &Context, a: &TicketAdvance) -> Result<Ticket> {
    let old = found(&model.tickets, a.ticket, "ticket")?;
    check_version(|| format!("ticket #{}", a.ticket), a.expected_version, old.version)?;
    let to = old
        .stage
        .next()
        .ok_or_else(|| invalid(format!("ticket #{} is closed", a.ticket)))?;
    check_date("date", a.date)?;
    let mut t = old.clone();
    if let Some(owner) = a.owner {
        if !model.managers.contains_key(&owner) {
            return Err(CommandError::NotFound(format!("manager #{owner}")));
        }
        t.owner = Some(owner);
    }
    let set = |field: &mut String, value: &Option<String>, what: &str| -> Result<()> {
        if let Some(v) = value {
            check_text(what, v, false)?;
            *field = v.trim().to_string();
        }
        Ok(())
    };
    set(&mut t.cause, &a.cause, "cause")?;
    set(&mut t.action, &a.action, "action")?;
    set(&mut t.fix, &a.fix, "process fix")?;
    let missing = match to {
        TicketStage::Investigating if t.owner.is_none() => Some("an owner"),
        TicketStage::Resolved if t.cause.is_empty() || t.action.is_empty() => Some("the cause and the action taken"),
        TicketStage::Prevented if t.fix.is_empty() => Some("the process fix"),
        _ => None,
    };
    if let Some(missing) = missing {
        return Err(invalid(format!("moving ticket #{} to {to} needs {missing}", a.ticket)));
    }
    t.history.push(TicketTransition {
        from: old.stage,
        to,
        date: a.date,
        who: ctx.who.into(),
        seq: ctx.seq,
    });
    t.stage = to;
    t.stage_due = ticket_stage_due(&model.settings, t.opened, to);
    t.version += 1;
    t.seq = ctx.seq;
    Ok(t)
}

/// The changes that store `survey`: with a new ticket when one of its
/// scores is 3 or less and it has none yet (SPEC §6: such a score opens a
/// ticket by itself).
pub(super) fn survey_changes(
    model: &Model,
    ctx: &Context,
    mut survey: Survey,
    questions: &[String],
    product_name: &str,
) -> Vec<Change> {
    let low: Vec<String> = questions
        .iter()
        .zip(&survey.scores)
        .filter(|(_, s)| **s <= 3)
        .map(|(q, s)| format!("{q} {s}/5"))
        .collect();
    if low.is_empty() || survey.ticket.is_some() {
        return vec![Change::Survey(survey)];
    }
    let ticket = new_ticket(
        model,
        ctx,
        survey.client,
        Some(survey.product),
        survey.date,
        format!("Survey on {product_name}: {}", low.join(", ")),
        TicketSource::Survey(survey.id),
    );
    survey.ticket = Some(ticket.id);
    vec![Change::Survey(survey), Change::ticket(ticket)]
}

/// A survey's scores: one per question of the product, each 1–5. Returns
/// the questions.
pub(super) fn check_scores<'m>(model: &'m Model, product: ProductId, scores: &[u8]) -> Result<&'m [String]> {
    let questions = model.questions(product);
    if scores.len() != questions.len() {
        return Err(invalid(format!(
            "the survey has {} questions ({}), got {} scores",
            questions.len(),
            questions.join(", "),
            scores.len()
        )));
    }
    if let Some(bad) = scores.iter().find(|s| !(1..=5).contains(*s)) {
        return Err(invalid(format!("score {bad} is outside 1–5")));
    }
    Ok(questions)
}

#[cfg(test)]
mod tests {
    use crate::domain::*;
    use crate::testing::Planner;
    use crate::write::{Command, CommandError, TicketAdvance};

    fn advance(date: &str) -> TicketAdvance {
        TicketAdvance {
            ticket: TicketId(1),
            expected_version: None,
            date: date.parse().unwrap(),
            owner: None,
            cause: None,
            action: None,
            fix: None,
        }
    }

    #[test]
    fn scores_are_one_to_five_and_a_low_one_opens_a_ticket() {
        let mut p = Planner::with_client();
        let survey = |scores: Vec<u8>| Command::RecordSurvey {
            client: ClientId(1),
            product: ProductId(1),
            date: "2026-03-02".parse().unwrap(),
            scores,
        };
        assert!(matches!(p.refused(survey(vec![5, 6, 4])), CommandError::Invalid(m) if m.contains("outside 1–5")));
        p.run(survey(vec![5, 2, 4]));
        assert_eq!(p.model.tickets.len(), 1, "a score of 3 or less opens a ticket");
    }

    #[test]
    fn each_stage_needs_its_field() {
        let mut p = Planner::with_client();
        p.run(Command::OpenTicket {
            client: ClientId(1),
            product: None,
            date: "2026-03-02".parse().unwrap(),
            text: "Invoice sent twice".into(),
        });
        let stage = |p: &Planner| p.model.tickets[&TicketId(1)].stage;
        let first = stage(&p);
        // Move forward while no field is needed; the stage that needs one refuses.
        let mut refused = None;
        for _ in 0..6 {
            match p.try_run(Command::AdvanceTicket(advance("2026-03-03"))) {
                Ok(()) => {}
                Err(e) => {
                    refused = Some(e);
                    break;
                }
            }
        }
        assert!(
            matches!(refused, Some(CommandError::Invalid(ref m)) if m.contains("needs")),
            "{refused:?}"
        );
        assert!(
            matches!(refused, Some(CommandError::Invalid(ref m)) if m.contains("an owner")),
            "{refused:?}"
        );
        let mut with = advance("2026-03-04");
        with.owner = Some(ManagerId(1));
        with.cause = Some("A double click".into());
        with.action = Some("Credit note".into());
        with.fix = Some("Button disabled after one click".into());
        p.run(Command::AdvanceTicket(with));
        assert_ne!(stage(&p), first);
    }
}
