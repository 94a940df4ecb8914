//! The one list cursor: the selected row of a list and the window of rows
//! its view showed at the last draw (kept by the drawing, read by paging).

use std::cell::Cell;

use super::action::Action;

#[derive(Debug)]
pub struct Cursor {
    pub selected: usize,
    /// The first row shown, kept by the view between draws.
    pub offset: Cell<usize>,
    /// Rows the view showed at the last draw (a page).
    pub height: Cell<usize>,
}

impl Default for Cursor {
    fn default() -> Self {
        Cursor {
            selected: 0,
            offset: Cell::new(0),
            height: Cell::new(20),
        }
    }
}

/// What a movement key did.
#[derive(Clone, Copy, Debug, PartialEq, Eq)]
pub enum Moved {
    /// Not a movement key.
    No,
    /// The selection changed.
    To(usize),
    /// Already there (top or bottom): nothing to redraw.
    Stayed,
}

impl Cursor {
    /// Moves for a movement action over `len` rows; a page is what the
    /// view showed, or `page` rows when given.
    pub fn step(&mut self, action: Action, len: usize, page: Option<usize>) -> Moved {
        let last = len.saturating_sub(1);
        let page = page.unwrap_or_else(|| self.height.get()).max(1);
        let to = match action {
            Action::MoveUp => self.selected.saturating_sub(1),
            Action::MoveDown => self.selected + 1,
            Action::PageUp => self.selected.saturating_sub(page),
            Action::PageDown => self.selected + page,
            Action::Top => 0,
            Action::Bottom => last,
            _ => return Moved::No,
        };
        self.go(to, len)
    }

    /// Selects row `to` (kept within `len` rows).
    pub fn go(&mut self, to: usize, len: usize) -> Moved {
        let to = to.min(len.saturating_sub(1));
        if to == self.selected {
            return Moved::Stayed;
        }
        self.selected = to;
        Moved::To(to)
    }

    /// Keeps the selection within `len` rows.
    pub fn clamp(&mut self, len: usize) {
        self.selected = self.selected.min(len.saturating_sub(1));
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn moves_stop_at_the_ends_and_say_when_nothing_moved() {
        let mut c = Cursor::default();
        c.height.set(10);
        assert_eq!(c.step(Action::MoveUp, 5, None), Moved::Stayed);
        assert_eq!(c.step(Action::MoveDown, 5, None), Moved::To(1));
        assert_eq!(c.step(Action::PageDown, 5, None), Moved::To(4));
        assert_eq!(c.step(Action::Bottom, 5, None), Moved::Stayed);
        assert_eq!(c.step(Action::PageUp, 5, Some(2)), Moved::To(2));
        assert_eq!(c.step(Action::Top, 5, None), Moved::To(0));
        assert_eq!(c.step(Action::Quit, 5, None), Moved::No);
        assert_eq!(c.step(Action::MoveDown, 0, None), Moved::Stayed);
        c.selected = 9;
        c.clamp(3);
        assert_eq!(c.selected, 2);
    }
}
