//! Planning: Reference data a lead keeps: settings, managers, segments, products, the portrait and the survey questions.

use super::*;

/// Plans the reference commands (see `Command::plan`).
pub(super) fn plan(cmd: &Command, model: &Model, ctx: &Context) -> Result<Vec<Change>> {
    let seq = ctx.seq;
    let product = |id: ProductId| found(&model.products, id, "product");
    let segment = |id: SegmentId| found(&model.segments, id, "segment");
    let c = &model.counters;
    Ok(match cmd {
        Command::UpdateSettings(s) => {
            s.validate().map_err(invalid)?;
            vec![Change::Settings(s.clone())]
        }
        Command::AddManager { login, name, role } => {
            check_key("login", login)?;
            check_line("name", name, true)?;
            if model.manager_by_login(login).is_some() {
                return Err(CommandError::AlreadyExists(format!("manager '{login}'")));
            }
            vec![Change::Manager(Manager {
                id: ManagerId(c.manager + 1),
                login: login.clone(),
                name: name.trim().to_string(),
                role: *role,
                seq,
            })]
        }
        Command::AddSegment {
            code,
            name,
            description,
        } => {
            check_key("segment id", code)?;
            check_line("name", name, true)?;
            check_text("description", description, false)?;
            if model.segment_by_code(code).is_some() {
                return Err(CommandError::AlreadyExists(format!("segment '{code}'")));
            }
            vec![Change::Segment(Segment {
                id: SegmentId(c.segment + 1),
                code: code.clone(),
                name: name.trim().to_string(),
                description: description.clone(),
                seq,
            })]
        }
        Command::AddProduct { code, name, line } => {
            check_key("product id", code)?;
            check_line("name", name, true)?;
            check_line("line", line, true)?;
            if model.product_by_code(code).is_some() {
                return Err(CommandError::AlreadyExists(format!("product '{code}'")));
            }
            vec![Change::Product(Product {
                id: ProductId(c.product + 1),
                code: code.clone(),
                name: name.trim().to_string(),
                line: line.trim().to_string(),
                seq,
            })]
        }
        Command::SetPortrait {
            segment: s,
            product: p,
            target,
        } => {
            let seg = segment(*s)?;
            let prod = product(*p)?;
            let present = model.portrait.contains(&(*s, *p));
            if present == *target {
                let state = if *target { "already" } else { "not" };
                return Err(invalid(format!(
                    "product '{}' is {state} a target of segment '{}'",
                    prod.code, seg.code
                )));
            }
            vec![Change::Portrait {
                segment: *s,
                product: *p,
                target: *target,
            }]
        }
        Command::SetQuestionnaire { product: p, questions } => {
            product(*p)?;
            if questions.is_empty() || questions.len() > 20 {
                return Err(invalid("a survey has 1 to 20 questions"));
            }
            for q in questions {
                check_line("question", q, true)?;
                if q.contains('\n') {
                    return Err(invalid("a question is one line"));
                }
            }
            vec![Change::Questionnaire(Questionnaire {
                product: *p,
                questions: questions.iter().map(|q| q.trim().to_string()).collect(),
                seq,
            })]
        }
        Command::SetTemplate { kind, text } => {
            if let Some(m) = model.manager_by_login(ctx.who)
                && m.role != Role::Lead
            {
                return Err(invalid("the company's templates are kept by a team lead"));
            }
            check_text(&format!("the {} template", kind.title()), text, true)?;
            let problems = crate::templates::check(text);
            if !problems.is_empty() {
                let all: Vec<String> = problems.iter().map(|p| p.to_string()).collect();
                return Err(invalid(format!("the {} template: {}", kind.title(), all.join("; "))));
            }
            vec![Change::Template(crate::templates::Template {
                kind: *kind,
                text: text.clone(),
                seq,
            })]
        }
        other => return Err(not_here(other)),
    })
}

#[cfg(test)]
mod tests {
    use crate::domain::*;
    use crate::testing::Planner;
    use crate::write::{Command, CommandError};

    #[test]
    fn keys_are_unique_and_names_one_line() {
        let mut p = Planner::with_reference(&["amy"], &[("crm", "software")]);
        let again = Command::AddManager {
            login: "amy".into(),
            name: "Amy".into(),
            role: Role::Manager,
        };
        assert!(matches!(p.refused(again), CommandError::AlreadyExists(w) if w == "manager 'amy'"));
        let spaced = Command::AddManager {
            login: "a b".into(),
            name: "AB".into(),
            role: Role::Manager,
        };
        assert!(matches!(p.refused(spaced), CommandError::Invalid(_)));
        let product = Command::AddProduct {
            code: "crm".into(),
            name: "CRM".into(),
            line: "software".into(),
        };
        assert!(matches!(p.refused(product), CommandError::AlreadyExists(_)));
        let two_lines = Command::AddSegment {
            code: "x".into(),
            name: "X\nY".into(),
            description: String::new(),
        };
        assert!(matches!(p.refused(two_lines), CommandError::Invalid(m) if m.contains("one line")));
    }

    #[test]
    fn the_portrait_and_questions_name_what_exists() {
        let mut p = Planner::with_reference(&["amy"], &[("crm", "software")]);
        let unknown = Command::SetPortrait {
            segment: SegmentId(1),
            product: ProductId(9),
            target: true,
        };
        assert!(matches!(p.refused(unknown), CommandError::NotFound(_)));
        p.run(Command::SetPortrait {
            segment: SegmentId(1),
            product: ProductId(1),
            target: true,
        });
        assert!(p.model.portrait.contains(&(SegmentId(1), ProductId(1))));
        let none = Command::SetQuestionnaire {
            product: ProductId(1),
            questions: vec![],
        };
        assert!(matches!(p.refused(none), CommandError::Invalid(_)));
        p.run(Command::SetQuestionnaire {
            product: ProductId(1),
            questions: vec![" Fast? ".into()],
        });
        assert_eq!(p.model.questions(ProductId(1)), ["Fast?"]);
    }

    /// A template is stored whole when every placeholder is known; a bad
    /// one says where; a manager may not change the company's templates.
    #[test]
    fn a_template_is_checked_and_kept_by_a_lead() {
        use crate::templates::DocKind;
        let mut p = Planner::with_client();
        let set = |text: &str| Command::SetTemplate {
            kind: DocKind::Offer,
            text: text.into(),
        };
        let bad = p.refused(set("Dear {{person.name}},\n{{price}}"));
        assert!(
            matches!(&bad, CommandError::Invalid(m) if m.contains("2:1: unknown placeholder `{{price}}`")),
            "{bad}"
        );
        p.run(set("Dear {{person.name}}"));
        assert_eq!(p.model.template_text(DocKind::Offer), "Dear {{person.name}}");
        assert_eq!(p.model.template_text(DocKind::Minutes), DocKind::Minutes.default_text());
        p.run(Command::AddManager {
            login: "ann".into(),
            name: "Ann".into(),
            role: Role::Manager,
        });
        assert!(matches!(p.refused(set("x")), CommandError::Invalid(m) if m.contains("team lead")));
    }
}
