//! Planning: the views a lead shares with the team.

use super::*;

/// Plans `ShareView` and `UnshareView` (see `Command::plan`).
pub(super) fn plan(cmd: &Command, model: &Model, ctx: &Context) -> Result<Vec<Change>> {
    if let Some(me) = model.manager_by_login(ctx.who)
        && me.role != Role::Lead
    {
        return Err(invalid("only a team lead shares views with the team"));
    }
    let same = |name: &str| {
        model
            .sales
            .views
            .values()
            .find(|v| v.name.trim().eq_ignore_ascii_case(name.trim()))
    };
    Ok(match cmd {
        Command::ShareView(view) => {
            check_line("a view's name", &view.name, true)?;
            if view.name.chars().count() > 64 {
                return Err(invalid("a view's name is longer than 64 characters"));
            }
            check_line("a view's filter", &view.filter, false)?;
            for (what, text) in [("manager", &view.manager), ("sort", &view.sort), ("as-of", &view.as_of)] {
                check_line(&format!("a view's {what}"), text.as_deref().unwrap_or(""), false)?;
            }
            let number = match same(&view.name) {
                Some(v) => v.number,
                None => model.sales.views.keys().next_back().map_or(1, |n| n.saturating_add(1)),
            };
            let shared = SharedView {
                number,
                name: view.name.trim().to_string(),
                who: ctx.who.to_string(),
                seq: ctx.seq,
                ..view.clone()
            };
            vec![Change::Sales {
                key: SalesKey::View(number),
                record: Some(SalesRecord::View(Box::new(shared))),
            }]
        }
        Command::UnshareView { name } => {
            let v = same(name).ok_or_else(|| CommandError::NotFound(format!("shared view '{name}'")))?;
            vec![Change::Sales {
                key: SalesKey::View(v.number),
                record: None,
            }]
        }
        _ => return Err(not_here(cmd)),
    })
}

#[cfg(test)]
mod tests {
    use crate::domain::*;
    use crate::testing::Planner;
    use crate::write::{Command, CommandError};

    fn view(name: &str, filter: &str) -> SharedView {
        SharedView {
            number: 0,
            name: name.into(),
            tab: 0,
            filter: filter.into(),
            manager: None,
            sort: Some("Turnover".into()),
            descending: true,
            as_of: Some("today".into()),
            who: String::new(),
            seq: 0,
        }
    }

    #[test]
    fn a_view_is_shared_replaced_by_name_and_unshared() {
        let mut p = Planner::with_client();
        p.run(Command::ShareView(view("Brasseries", "brasserie")));
        p.run(Command::ShareView(view("Big ones", "")));
        p.run(Command::ShareView(view("brasseries ", "brass")));
        let views: Vec<(u32, &str, &str)> = p
            .model
            .sales
            .views
            .values()
            .map(|v| (v.number, v.name.as_str(), v.filter.as_str()))
            .collect();
        assert_eq!(views, [(1, "brasseries", "brass"), (2, "Big ones", "")]);
        assert_eq!(p.model.sales.views[&1].who, "ann");
        p.run(Command::UnshareView {
            name: "BIG ONES".into(),
        });
        assert_eq!(p.model.sales.views.len(), 1);
        assert!(matches!(
            p.refused(Command::UnshareView { name: "nope".into() }),
            CommandError::NotFound(_)
        ));
        let err = p.refused(Command::ShareView(view("two\nlines", "")));
        assert!(err.to_string().contains("one line"), "{err}");
    }

    #[test]
    fn only_a_lead_shares_views() {
        let mut p = Planner::with_reference(&["ann"], &[("crm", "software")]);
        let err = p.refused(Command::ShareView(view("Mine", "")));
        assert!(err.to_string().contains("only a team lead"), "{err}");
    }
}
