//! Input: a key becomes an `Action` through the keymap, or text for the
//! field being typed in; a paste is text, never keys; the command palette;
//! a field written in the user's editor.

use super::*;

impl App {
    /// One key press.
    pub fn key(&mut self, event: KeyEvent) {
        if self.panic_on_key {
            panic!("RAPPORT_PANIC_ON_KEY is set: panicking on purpose");
        }
        self.catch_up_hand_over();
        // A message is read by the next key: it goes then.
        if self.status.take().is_some() {
            self.dirty = true;
        }
        if self.overlay == Overlay::Errors {
            self.overlay = Overlay::None;
            self.dirty = true;
            return;
        }
        let key = Key::from_event(&event);
        self.pending.push(key);
        let mode = self.mode();
        match self.keymap.lookup(mode, &self.pending) {
            Lookup::Run(actions) => {
                let actions = actions.to_vec();
                self.pending.clear();
                for a in actions {
                    self.update(a);
                }
            }
            Lookup::Prefix => {}
            Lookup::None => {
                self.pending.clear();
                if mode.is_text() {
                    self.type_key(event);
                }
            }
        }
    }

    /// A paste: text for the input that has the focus (a form field, the
    /// filter, the palette), never keys. The inputs are one line: line
    /// breaks and tabs become spaces, other control characters are dropped.
    /// Anywhere else it is ignored, and the status line says so.
    pub fn paste(&mut self, text: &str) {
        self.catch_up_hand_over();
        self.pending.clear();
        self.dirty = true;
        let line = pasted_line(text);
        let taken = match &mut self.overlay {
            Overlay::None if self.filter.open => {
                self.filter.pattern.push_str(&line);
                self.filter_changed();
                true
            }
            Overlay::Form(_, form) => match form.focused() {
                Some(field) => {
                    // Notes keep the paste's line breaks.
                    if field.kind == FieldKind::Notes {
                        field.value.push_str(&pasted_lines(text));
                    } else {
                        field.value.push_str(&line);
                    }
                    form.error = None;
                    true
                }
                None => false,
            },
            Overlay::Palette { query, selected } => {
                query.push_str(&line);
                *selected = 0;
                true
            }
            _ => false,
        };
        if !taken {
            self.set_status("Paste ignored: no text field here", Tone::Error);
        }
    }

    /// Text typed into the filter, a form field or the palette.
    pub(super) fn type_key(&mut self, event: KeyEvent) {
        let ctrl = event.modifiers.contains(KeyModifiers::CONTROL);
        let edit = |s: &mut String| -> bool {
            match event.code {
                KeyCode::Char('u') if ctrl => {
                    s.clear();
                    true
                }
                KeyCode::Char('w') if ctrl => {
                    let keep = s.trim_end().rfind(' ').map_or(0, |i| i + 1);
                    s.truncate(keep);
                    true
                }
                KeyCode::Char(c) if !ctrl && !c.is_control() => {
                    s.push(c);
                    true
                }
                KeyCode::Backspace => s.pop().is_some(),
                _ => false,
            }
        };
        match &mut self.overlay {
            Overlay::None if self.filter.open && edit(&mut self.filter.pattern) => {
                self.filter_changed();
                self.dirty = true;
            }
            Overlay::Form(_, form) => {
                if let Some(field) = form.focused()
                    && edit(&mut field.value)
                {
                    form.error = None;
                    self.dirty = true;
                }
            }
            Overlay::Palette { query, selected } => {
                let typed = edit(query);
                if typed {
                    *selected = 0;
                    self.dirty = true;
                }
            }
            _ => {}
        }
    }

    /// The actions the palette offers for its query, best first.
    pub fn palette_items(&self, query: &str) -> Vec<(Action, Option<String>)> {
        let (q, _) = fold(query);
        let mode = self.view().mode();
        let matcher = fuzzy_matcher::skim::SkimMatcherV2::default();
        let mut items: Vec<(i64, Action)> = Action::ALL
            .iter()
            .filter(|a| {
                !matches!(
                    a,
                    Action::Noop
                        | Action::Submit
                        | Action::Cancel
                        | Action::NextField
                        | Action::PrevField
                        | Action::Palette
                )
            })
            .filter_map(|a| {
                let hay = format!("{} {}", a.name().replace('_', " "), fold(a.describe()).0);
                if q.is_empty() {
                    Some((0, *a))
                } else {
                    fuzzy_matcher::FuzzyMatcher::fuzzy_match(&matcher, &hay, &q).map(|s| (s, *a))
                }
            })
            .collect();
        items.sort_by_key(|(score, _)| std::cmp::Reverse(*score));
        items
            .into_iter()
            .map(|(_, a)| (a, self.keymap.key_for(mode, a)))
            .collect()
    }

    pub(super) fn palette(&mut self, action: Action) {
        let Overlay::Palette { query, selected } = &self.overlay else {
            return;
        };
        let (query, selected) = (query.clone(), *selected);
        let n = self.palette_items(&query).len();
        match action {
            Action::Cancel => self.overlay = Overlay::None,
            Action::MoveDown => {
                self.overlay = Overlay::Palette {
                    query,
                    selected: (selected + 1).min(n.saturating_sub(1)),
                }
            }
            Action::MoveUp => {
                self.overlay = Overlay::Palette {
                    query,
                    selected: selected.saturating_sub(1),
                }
            }
            Action::Submit => {
                let chosen = self.palette_items(&query).get(selected).map(|(a, _)| *a);
                self.overlay = Overlay::None;
                if let Some(a) = chosen {
                    self.update(a);
                }
            }
            _ => self.dirty = false,
        }
    }
}

/// Pasted text for a field over several lines: line breaks kept (`\r\n`
/// and `\r` become `\n`), tabs become spaces, no other control character.
fn pasted_lines(text: &str) -> String {
    text.replace("\r\n", "\n")
        .chars()
        .filter_map(|c| match c {
            '\r' => Some('\n'),
            '\t' => Some(' '),
            '\n' => Some('\n'),
            c if c.is_control() => None,
            c => Some(c),
        })
        .collect()
}

/// Pasted text as one line of an input: the line break that ends most
/// pastes is dropped, the others and tabs become spaces, and no other
/// control character is kept.
fn pasted_line(text: &str) -> String {
    text.trim_end_matches(['\n', '\r'])
        .replace("\r\n", "\n")
        .chars()
        .filter_map(|c| match c {
            '\n' | '\r' | '\t' => Some(' '),
            c if c.is_control() => None,
            c => Some(c),
        })
        .collect()
}
