//! Tunable rules with SPEC defaults (§4 thresholds, §5 cadence, §6 due days).

use serde::{Deserialize, Serialize};

#[derive(Clone, Debug, PartialEq, Eq, Serialize, Deserialize)]
pub struct Settings {
    /// ABC: A while the turnover ranked before is below this % of the total.
    pub abc_a_percent: u32,
    pub abc_b_percent: u32,
    /// XYZ: X if CV ≤ this %, Y if ≤ the next.
    pub xyz_x_percent: u32,
    pub xyz_y_percent: u32,
    /// Lifecycle status window in months (P0, P1).
    pub status_window_months: u32,
    /// The ABC/XYZ window in months.
    pub window_months: u32,
    /// Contact cadence in days for A, B, C and no class.
    pub cadence_days: [u32; 4],
    /// Ticket stage due days from opening: investigating, resolved, prevented, closed.
    pub ticket_due_days: [u32; 4],
    /// Questions of the default survey.
    pub survey_questions: Vec<String>,
}

impl Default for Settings {
    fn default() -> Self {
        Settings {
            abc_a_percent: 50,
            abc_b_percent: 80,
            xyz_x_percent: 10,
            xyz_y_percent: 25,
            status_window_months: 3,
            window_months: 12,
            cadence_days: [14, 30, 60, 90],
            ticket_due_days: [1, 5, 10, 20],
            survey_questions: vec![
                "product".to_string(),
                "delivery speed".to_string(),
                "payment terms".to_string(),
            ],
        }
    }
}

impl Settings {
    /// Checks the invariants the class engine relies on.
    pub fn validate(&self) -> Result<(), String> {
        if !(1..=100).contains(&self.abc_a_percent)
            || self.abc_b_percent < self.abc_a_percent
            || self.abc_b_percent > 100
        {
            return Err("ABC thresholds must satisfy 0 < A ≤ B ≤ 100".into());
        }
        if self.xyz_y_percent < self.xyz_x_percent {
            return Err("XYZ thresholds must satisfy X ≤ Y".into());
        }
        if !(1..=120).contains(&self.window_months) {
            return Err("the class window must be 1 to 120 months".into());
        }
        if !(1..=60).contains(&self.status_window_months) {
            return Err("the status window must be 1 to 60 months".into());
        }
        if self.survey_questions.is_empty() {
            return Err("a survey needs at least one question".into());
        }
        Ok(())
    }
}
