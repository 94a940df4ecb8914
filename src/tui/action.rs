//! Every user action, by the snake_case name keymap files and the command
//! palette use.

use serde::{Deserialize, Serialize};

#[derive(Clone, Copy, Debug, PartialEq, Eq, Hash, Serialize, Deserialize)]
#[serde(rename_all = "snake_case")]
pub enum Action {
    Quit,
    MoveUp,
    MoveDown,
    PageUp,
    PageDown,
    Top,
    Bottom,
    OpenFilter,
    ClearFilter,
    SortNext,
    SortReverse,
    TabClients,
    TabMatrix,
    TabPortfolio,
    NextTab,
    PrevTab,
    AddSettlement,
    EditSegment,
    AsOfPrevMonth,
    AsOfNextMonth,
    AsOfToday,
    Help,
    Palette,
    Submit,
    Cancel,
    NextField,
    PrevField,
    MoveLeft,
    MoveRight,
    EditCell,
    AdvanceWeek,
    AdvanceFortnight,
    AdvanceTo,
    TogglePortrait,
    ToggleTarget,
    CycleSegment,
    CycleManager,
    TabQueue,
    LogContact,
    AddTask,
    MarkDone,
    Snooze,
    OpenClient,
    ToggleScope,
    TabTickets,
    NewTicket,
    AdvanceTicket,
    SetOwner,
    EditTicket,
    CycleTicketFilter,
    TicketsOfClient,
    TicketsOfProduct,
    RecordSurvey,
    TabReports,
    ReportPeriodNext,
    ReportPeriodDates,
    ReportGroupNext,
    ToggleCard,
    /// Unbinds a key in a user keymap.
    Noop,
}

impl Action {
    pub const ALL: [Action; 59] = [
        Action::Quit,
        Action::MoveUp,
        Action::MoveDown,
        Action::PageUp,
        Action::PageDown,
        Action::Top,
        Action::Bottom,
        Action::OpenFilter,
        Action::ClearFilter,
        Action::SortNext,
        Action::SortReverse,
        Action::TabClients,
        Action::TabMatrix,
        Action::TabPortfolio,
        Action::NextTab,
        Action::PrevTab,
        Action::AddSettlement,
        Action::EditSegment,
        Action::AsOfPrevMonth,
        Action::AsOfNextMonth,
        Action::AsOfToday,
        Action::Help,
        Action::Palette,
        Action::Submit,
        Action::Cancel,
        Action::NextField,
        Action::PrevField,
        Action::MoveLeft,
        Action::MoveRight,
        Action::EditCell,
        Action::AdvanceWeek,
        Action::AdvanceFortnight,
        Action::AdvanceTo,
        Action::TogglePortrait,
        Action::ToggleTarget,
        Action::CycleSegment,
        Action::CycleManager,
        Action::TabQueue,
        Action::LogContact,
        Action::AddTask,
        Action::MarkDone,
        Action::Snooze,
        Action::OpenClient,
        Action::ToggleScope,
        Action::TabTickets,
        Action::NewTicket,
        Action::AdvanceTicket,
        Action::SetOwner,
        Action::EditTicket,
        Action::CycleTicketFilter,
        Action::TicketsOfClient,
        Action::TicketsOfProduct,
        Action::RecordSurvey,
        Action::TabReports,
        Action::ReportPeriodNext,
        Action::ReportPeriodDates,
        Action::ReportGroupNext,
        Action::ToggleCard,
        Action::Noop,
    ];

    /// The name used in keymap files.
    pub fn name(self) -> String {
        match serde_json::to_value(self) {
            Ok(serde_json::Value::String(s)) => s,
            _ => format!("{self:?}"),
        }
    }

    pub fn from_name(name: &str) -> Option<Action> {
        serde_json::from_value(serde_json::Value::String(name.to_string())).ok()
    }

    /// What the action does, for the palette when a binding has no `desc`.
    pub fn describe(self) -> &'static str {
        match self {
            Action::Quit => "Quit rapport",
            Action::MoveUp => "Select the previous row",
            Action::MoveDown => "Select the next row",
            Action::PageUp => "Up one page",
            Action::PageDown => "Down one page",
            Action::Top => "Go to the first row",
            Action::Bottom => "Go to the last row",
            Action::OpenFilter => "Filter clients (fuzzy, ignores case and accents)",
            Action::ClearFilter => "Clear the filter",
            Action::SortNext => "Sort by the next column",
            Action::SortReverse => "Reverse the sort order",
            Action::TabClients => "Show the clients view",
            Action::TabMatrix => "Show the product matrix",
            Action::TabPortfolio => "Show the portfolio view",
            Action::NextTab => "Next view",
            Action::PrevTab => "Previous view",
            Action::AddSettlement => "Record a settlement for the selected client",
            Action::EditSegment => "Move the selected client to another segment",
            Action::AsOfPrevMonth => "Classes as of one month earlier",
            Action::AsOfNextMonth => "Classes as of one month later",
            Action::AsOfToday => "Classes as of today",
            Action::Help => "Show the key bindings",
            Action::Palette => "Search every action",
            Action::Submit => "Submit / confirm",
            Action::Cancel => "Cancel / close",
            Action::NextField => "Next field",
            Action::PrevField => "Previous field",
            Action::MoveLeft => "Previous column",
            Action::MoveRight => "Next column",
            Action::EditCell => "Edit the offer in this cell",
            Action::AdvanceWeek => "Move the offer one stage forward, next step in 7 days",
            Action::AdvanceFortnight => "Move the offer one stage forward, next step in 14 days",
            Action::AdvanceTo => "Move the offer one stage forward, typing the next step's date",
            Action::TogglePortrait => "Switch between the matrix and the portrait editor",
            Action::ToggleTarget => "Add or remove this product as a target of the segment",
            Action::CycleSegment => "Show one segment after another (then all)",
            Action::CycleManager => "Show one manager's clients after another (then all)",
            Action::TabQueue => "Show the due-contacts queue",
            Action::LogContact => "Log a contact with the client (call, meeting…)",
            Action::AddTask => "Add a manual task for the client",
            Action::MarkDone => "Mark the queue item done",
            Action::Snooze => "Snooze the queue item (+1, +7 or a date)",
            Action::OpenClient => "Jump to the item's client",
            Action::ToggleCard => "Open or close the client card: persons, offers, tickets, contact log",
            Action::ToggleScope => "Show my clients' items or everyone's",
            Action::TabTickets => "Show the complaint tickets",
            Action::NewTicket => "Register a complaint",
            Action::AdvanceTicket => "Move the ticket to its next stage",
            Action::SetOwner => "Set the ticket's owner",
            Action::EditTicket => "Edit the ticket's texts",
            Action::CycleTicketFilter => "Show open, overdue, all, or one stage's tickets",
            Action::TicketsOfClient => "Only this client's tickets (again: all clients)",
            Action::TicketsOfProduct => "Only this product's tickets (again: all products)",
            Action::RecordSurvey => "Record a satisfaction survey",
            Action::TabReports => "Show the manager results, funnel and class history",
            Action::ReportPeriodNext => "Reports for the next period (this month, last month, quarters, year)",
            Action::ReportPeriodDates => "Reports for dates you type",
            Action::ReportGroupNext => "Group the results by manager, segment or product line",
            Action::Noop => "Do nothing (unbinds a key)",
        }
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn names_round_trip_and_are_snake_case() {
        for a in Action::ALL {
            let name = a.name();
            assert!(
                name.chars()
                    .all(|c| c.is_ascii_lowercase() || c == '_' || c.is_ascii_digit()),
                "{name}"
            );
            assert_eq!(Action::from_name(&name), Some(a));
        }
        assert_eq!(Action::from_name("add_settlement"), Some(Action::AddSettlement));
        assert_eq!(Action::from_name("AddSettlement"), None);
    }
}
