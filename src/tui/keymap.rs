//! Keymaps as data: one TOML section per mode, each binding
//! `{ on = "ctrl-d" | ["g", "g"], run = "action" | [...], desc = "…" }`.
//! Presets are built in; a user file adds to or overrides them, and
//! `run = "noop"` unbinds. Every problem is reported with its position.

use std::collections::BTreeMap;
use std::fmt;

use crossterm::event::{KeyCode, KeyEvent, KeyModifiers};
use toml::Spanned;
use toml::de::DeValue;

use super::action::Action;
use super::config::{ConfigError, Doc, string};

pub const DEFAULT: &str = include_str!("../../keymaps/default.toml");
pub const VIM: &str = include_str!("../../keymaps/vim.toml");

/// The presets by name.
pub fn preset(name: &str) -> Option<&'static str> {
    match name {
        "default" => Some(DEFAULT),
        "vim" => Some(VIM),
        _ => None,
    }
}

#[derive(Clone, Copy, Debug, PartialEq, Eq, PartialOrd, Ord, Hash)]
pub enum Mode {
    /// Navigation keys shared by the views.
    Global,
    Clients,
    Matrix,
    PortraitEditor,
    Portfolio,
    Queue,
    Tickets,
    Reports,
    Trash,
    Filter,
    Form,
    Confirm,
    Help,
    Palette,
}

impl Mode {
    pub const ALL: [Mode; 14] = [
        Mode::Global,
        Mode::Clients,
        Mode::Matrix,
        Mode::PortraitEditor,
        Mode::Portfolio,
        Mode::Queue,
        Mode::Tickets,
        Mode::Reports,
        Mode::Trash,
        Mode::Filter,
        Mode::Form,
        Mode::Confirm,
        Mode::Help,
        Mode::Palette,
    ];
    pub fn name(self) -> &'static str {
        match self {
            Mode::Global => "global",
            Mode::Clients => "clients",
            Mode::Matrix => "matrix",
            Mode::PortraitEditor => "portrait",
            Mode::Portfolio => "portfolio",
            Mode::Queue => "queue",
            Mode::Tickets => "tickets",
            Mode::Reports => "reports",
            Mode::Trash => "trash",
            Mode::Filter => "filter",
            Mode::Form => "form",
            Mode::Confirm => "confirm",
            Mode::Help => "help",
            Mode::Palette => "palette",
        }
    }
    fn from_name(s: &str) -> Option<Mode> {
        Mode::ALL.into_iter().find(|m| m.name() == s)
    }
    /// Modes where printable keys are typed as text: only their own
    /// section applies, never `global`.
    /// A view's own keys (looked up before the global ones).
    pub fn is_view(self) -> bool {
        matches!(
            self,
            Mode::Clients
                | Mode::Matrix
                | Mode::PortraitEditor
                | Mode::Portfolio
                | Mode::Queue
                | Mode::Tickets
                | Mode::Reports
                | Mode::Trash
        )
    }

    pub fn is_text(self) -> bool {
        matches!(self, Mode::Filter | Mode::Form | Mode::Palette)
    }
}

/// One key press, normalised: letters carry their case, not SHIFT.
#[derive(Clone, Copy, Debug, PartialEq, Eq, Hash)]
pub struct Key {
    pub code: KeyCode,
    pub mods: KeyModifiers,
}

impl Key {
    pub fn new(code: KeyCode, mods: KeyModifiers) -> Key {
        let mods = match code {
            KeyCode::Char(_) | KeyCode::BackTab => mods - KeyModifiers::SHIFT,
            _ => mods,
        };
        Key { code, mods }
    }

    pub fn from_event(e: &KeyEvent) -> Key {
        Key::new(e.code, e.modifiers)
    }

    /// `q`, `G`, `ctrl-d`, `alt-enter`, `shift-tab`, `pagedown`, `f5`, `space`.
    pub fn parse(text: &str) -> Result<Key, String> {
        let mut mods = KeyModifiers::NONE;
        let mut rest = text;
        loop {
            let lower = rest.to_ascii_lowercase();
            let (m, len) = if lower.starts_with("ctrl-") {
                (KeyModifiers::CONTROL, 5)
            } else if lower.starts_with("alt-") {
                (KeyModifiers::ALT, 4)
            } else if lower.starts_with("shift-") && rest.len() > 6 {
                (KeyModifiers::SHIFT, 6)
            } else {
                break;
            };
            mods |= m;
            rest = rest.get(len..).unwrap_or("");
        }
        let mut chars = rest.chars();
        let code = match (chars.next(), chars.next()) {
            (Some(c), None) => KeyCode::Char(c),
            _ => match rest.to_ascii_lowercase().as_str() {
                "enter" | "return" => KeyCode::Enter,
                "esc" | "escape" => KeyCode::Esc,
                "tab" if mods.contains(KeyModifiers::SHIFT) => KeyCode::BackTab,
                "tab" => KeyCode::Tab,
                "backtab" => KeyCode::BackTab,
                "backspace" => KeyCode::Backspace,
                "delete" | "del" => KeyCode::Delete,
                "up" => KeyCode::Up,
                "down" => KeyCode::Down,
                "left" => KeyCode::Left,
                "right" => KeyCode::Right,
                "home" => KeyCode::Home,
                "end" => KeyCode::End,
                "pageup" | "pgup" => KeyCode::PageUp,
                "pagedown" | "pgdn" => KeyCode::PageDown,
                "space" => KeyCode::Char(' '),
                "minus" => KeyCode::Char('-'),
                f if f.starts_with('f') => match f.get(1..).and_then(|n| n.parse::<u8>().ok()) {
                    Some(n @ 1..=12) => KeyCode::F(n),
                    _ => return Err(format!("unknown key '{text}'")),
                },
                "" => return Err("empty key".into()),
                _ => return Err(format!("unknown key '{text}'")),
            },
        };
        Ok(Key::new(code, mods))
    }
}

impl fmt::Display for Key {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        if self.mods.contains(KeyModifiers::CONTROL) {
            f.write_str("ctrl-")?;
        }
        if self.mods.contains(KeyModifiers::ALT) {
            f.write_str("alt-")?;
        }
        if self.mods.contains(KeyModifiers::SHIFT) {
            f.write_str("shift-")?;
        }
        match self.code {
            KeyCode::Char(' ') => f.write_str("space"),
            KeyCode::Char(c) => write!(f, "{c}"),
            KeyCode::Enter => f.write_str("enter"),
            KeyCode::Esc => f.write_str("esc"),
            KeyCode::Tab => f.write_str("tab"),
            KeyCode::BackTab => f.write_str("shift-tab"),
            KeyCode::Backspace => f.write_str("backspace"),
            KeyCode::Delete => f.write_str("delete"),
            KeyCode::Up => f.write_str("↑"),
            KeyCode::Down => f.write_str("↓"),
            KeyCode::Left => f.write_str("←"),
            KeyCode::Right => f.write_str("→"),
            KeyCode::Home => f.write_str("home"),
            KeyCode::End => f.write_str("end"),
            KeyCode::PageUp => f.write_str("pgup"),
            KeyCode::PageDown => f.write_str("pgdn"),
            KeyCode::F(n) => write!(f, "f{n}"),
            other => write!(f, "{other:?}"),
        }
    }
}

#[derive(Clone, Debug, PartialEq, Eq)]
pub struct Binding {
    pub on: Vec<Key>,
    pub run: Vec<Action>,
    pub desc: String,
    /// The file says this view's binding may hide a global one.
    pub shadows: bool,
}

impl Binding {
    pub fn keys(&self) -> String {
        self.on.iter().map(|k| k.to_string()).collect::<Vec<_>>().join(" ")
    }
}

#[derive(Clone, Debug, Default, PartialEq, Eq)]
pub struct Keymap {
    modes: BTreeMap<Mode, Vec<Binding>>,
}

/// What the keys pressed so far mean.
#[derive(Debug, PartialEq, Eq)]
pub enum Lookup<'a> {
    Run(&'a [Action]),
    /// The start of a longer binding: wait for the next key.
    Prefix,
    None,
}

impl Keymap {
    /// Loads preset `name` (built in), then the user's file over it.
    /// Problems are returned, never fatal: a broken preset name falls back
    /// to the default, a broken binding is skipped.
    pub fn load(name: &str, user: Option<(&str, &str)>) -> (Keymap, Vec<ConfigError>) {
        let mut errors = Vec::new();
        let mut map = Keymap::default();
        let text = preset(name).unwrap_or(DEFAULT);
        errors.extend(map.merge(&format!("keymaps/{name}.toml"), text));
        if let Some((file, text)) = user {
            errors.extend(map.merge(file, text));
        }
        (map, errors)
    }

    /// Adds or overrides the bindings of one file.
    pub fn merge(&mut self, file: &str, text: &str) -> Vec<ConfigError> {
        let mut doc = Doc::new(file, text);
        let table = doc.parse();
        let mut in_views = Vec::new();
        for (section, value) in table.iter() {
            let Some(mode) = Mode::from_name(section.get_ref()) else {
                let names: Vec<&str> = Mode::ALL.iter().map(|m| m.name()).collect();
                doc.error(
                    section.span(),
                    format!(
                        "unknown section '{}' (expected one of {})",
                        section.get_ref(),
                        names.join(", ")
                    ),
                );
                continue;
            };
            let DeValue::Table(t) = value.get_ref() else {
                doc.error(value.span(), "a section must be a table with `keymap = [ … ]`");
                continue;
            };
            for (key, list) in t.iter() {
                if key.get_ref() != "keymap" {
                    doc.error(
                        key.span(),
                        format!("unknown field '{}' (expected `keymap`)", key.get_ref()),
                    );
                    continue;
                }
                let DeValue::Array(items) = list.get_ref() else {
                    doc.error(list.span(), "`keymap` must be an array of bindings");
                    continue;
                };
                for item in items.iter() {
                    if let Some(b) = binding(&mut doc, item) {
                        if mode.is_view() && !b.shadows && b.run != [Action::Noop] {
                            in_views.push((b.on.clone(), b.run.clone(), mode, item.span()));
                        }
                        self.bind(mode, b);
                    }
                }
            }
        }
        // One key means one thing everywhere: a view's key that hides a
        // global one is reported, unless the binding says it is meant.
        for (on, run, mode, span) in in_views {
            if let Some(g) = self.bindings(Mode::Global).iter().find(|g| g.on == on && g.run != run) {
                let keys = on.iter().map(|k| k.to_string()).collect::<Vec<_>>().join(" ");
                let global: Vec<String> = g.run.iter().map(|a| a.name()).collect();
                doc.error(
                    span,
                    format!(
                        "`{keys}` in [{}] hides the global `{keys}` ({}); bind another key, or add `shadows = true` if that is meant",
                        mode.name(),
                        global.join(", ")
                    ),
                );
            }
        }
        doc.into_errors()
    }

    fn bind(&mut self, mode: Mode, b: Binding) {
        let list = self.modes.entry(mode).or_default();
        list.retain(|old| old.on != b.on);
        if b.run != [Action::Noop] {
            list.push(b);
        }
    }

    pub fn bindings(&self, mode: Mode) -> &[Binding] {
        self.modes.get(&mode).map_or(&[], |v| v.as_slice())
    }

    /// Looks up `keys` in `mode`, then (outside text modes) in `global`.
    pub fn lookup(&self, mode: Mode, keys: &[Key]) -> Lookup<'_> {
        let mut sections = vec![mode];
        if !mode.is_text() && mode != Mode::Global {
            sections.push(Mode::Global);
        }
        let mut prefix = false;
        for m in sections {
            for b in self.bindings(m) {
                if b.on == keys {
                    return Lookup::Run(&b.run);
                }
                prefix |= b.on.len() > keys.len() && b.on.starts_with(keys);
            }
        }
        if prefix { Lookup::Prefix } else { Lookup::None }
    }

    /// The first binding that runs `action` in `mode` or global.
    pub fn key_for(&self, mode: Mode, action: Action) -> Option<String> {
        [mode, Mode::Global]
            .iter()
            .flat_map(|m| self.bindings(*m))
            .find(|b| b.run == [action])
            .map(Binding::keys)
    }
}

fn binding(doc: &mut Doc, item: &Spanned<DeValue>) -> Option<Binding> {
    let DeValue::Table(t) = item.get_ref() else {
        doc.error(
            item.span(),
            "a binding must be an inline table { on = …, run = …, desc = … }",
        );
        return None;
    };
    let mut on = None;
    let mut run = None;
    let mut desc = String::new();
    let mut shadows = false;
    let mut ok = true;
    for (k, v) in t.iter() {
        match k.get_ref().as_ref() {
            "on" => on = keys(doc, v),
            "run" => run = actions(doc, v),
            "desc" => match string(doc, v, "desc") {
                Some(s) => desc = s.to_string(),
                None => ok = false,
            },
            "shadows" => match v.get_ref() {
                DeValue::Boolean(b) => shadows = *b,
                _ => {
                    doc.error(v.span(), "`shadows` is true or false");
                    ok = false;
                }
            },
            other => {
                doc.error(
                    k.span(),
                    format!("unknown field '{other}' (expected on, run, desc, shadows)"),
                );
                ok = false;
            }
        }
    }
    if on.is_none() && !t.iter().any(|(k, _)| k.get_ref() == "on") {
        doc.error(item.span(), "binding has no `on`");
    }
    if run.is_none() && !t.iter().any(|(k, _)| k.get_ref() == "run") {
        doc.error(item.span(), "binding has no `run`");
    }
    let (on, run) = (on?, run?);
    if !ok {
        return None;
    }
    if desc.is_empty() {
        desc = run.iter().map(|a| a.describe()).collect::<Vec<_>>().join("; ");
    }
    Some(Binding { on, run, desc, shadows })
}

fn list<'a>(value: &'a Spanned<DeValue<'a>>) -> Vec<&'a Spanned<DeValue<'a>>> {
    match value.get_ref() {
        DeValue::Array(a) => a.iter().collect(),
        _ => vec![value],
    }
}

fn keys(doc: &mut Doc, value: &Spanned<DeValue>) -> Option<Vec<Key>> {
    let mut out = Vec::new();
    for v in list(value) {
        let text = string(doc, v, "`on`")?;
        match Key::parse(text) {
            Ok(k) => out.push(k),
            Err(e) => {
                doc.error(v.span(), e);
                return None;
            }
        }
    }
    if out.is_empty() {
        doc.error(value.span(), "`on` names no key");
        return None;
    }
    Some(out)
}

fn actions(doc: &mut Doc, value: &Spanned<DeValue>) -> Option<Vec<Action>> {
    let mut out = Vec::new();
    let mut ok = true;
    for v in list(value) {
        let name = string(doc, v, "`run`")?;
        match Action::from_name(name) {
            Some(a) => out.push(a),
            None => {
                doc.error(v.span(), format!("unknown action '{name}'"));
                ok = false;
            }
        }
    }
    (ok && !out.is_empty()).then_some(out)
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn keys_parse_and_print() {
        for (text, shown) in [
            ("q", "q"),
            ("G", "G"),
            ("ctrl-d", "ctrl-d"),
            ("shift-tab", "shift-tab"),
            ("space", "space"),
            ("pgdn", "pgdn"),
            ("f5", "f5"),
            ("?", "?"),
            ("ctrl-alt-x", "ctrl-alt-x"),
        ] {
            assert_eq!(Key::parse(text).unwrap().to_string(), shown, "{text}");
        }
        for bad in ["", "ctrl-", "hyper-x", "f13", "enterr"] {
            assert!(Key::parse(bad).is_err(), "{bad}");
        }
        // crossterm reports `G` as shift + 'G': same key.
        assert_eq!(
            Key::new(KeyCode::Char('G'), KeyModifiers::SHIFT),
            Key::parse("G").unwrap()
        );
    }

    #[test]
    fn presets_load_cleanly() {
        for name in ["default", "vim"] {
            let (map, errors) = Keymap::load(name, None);
            assert!(errors.is_empty(), "{name}: {errors:?}");
            assert!(!map.bindings(Mode::Clients).is_empty());
            assert_eq!(
                map.lookup(Mode::Clients, &[Key::parse("q").unwrap()]),
                Lookup::Run(&[Action::Quit])
            );
        }
        let (vim, _) = Keymap::load("vim", None);
        let g = Key::parse("g").unwrap();
        assert_eq!(vim.lookup(Mode::Clients, &[g]), Lookup::Prefix);
        assert_eq!(vim.lookup(Mode::Clients, &[g, g]), Lookup::Run(&[Action::Top]));
    }

    #[test]
    fn user_file_overrides_and_unbinds() {
        let user = r#"
[clients]
keymap = [
  { on = "x", run = "quit", desc = "Leave" },
  { on = "q", run = "noop" },
  { on = ["z", "z"], run = ["top", "help"] },
]
"#;
        let (map, errors) = Keymap::load("default", Some(("keymap.toml", user)));
        assert!(errors.is_empty(), "{errors:?}");
        let k = |s: &str| Key::parse(s).unwrap();
        assert_eq!(map.lookup(Mode::Clients, &[k("x")]), Lookup::Run(&[Action::Quit]));
        assert_eq!(
            map.lookup(Mode::Clients, &[k("z"), k("z")]),
            Lookup::Run(&[Action::Top, Action::Help])
        );
        // q is unbound in clients, but global may still bind it.
        assert!(map.bindings(Mode::Clients).iter().all(|b| b.on != [k("q")]));
    }

    /// One key means one thing everywhere: a view binding that hides a
    /// global key is reported where it is, unless it says it is meant.
    #[test]
    fn a_view_key_that_hides_a_global_one_is_reported() {
        let user = "[queue]\nkeymap = [\n  { on = \"t\", run = \"add_task\" },\n  { on = \"[\", run = \"top\", shadows = true },\n]\n";
        let (map, errors) = Keymap::load("default", Some(("keymap.toml", user)));
        let text: Vec<String> = errors.iter().map(|e| e.to_string()).collect();
        assert_eq!(
            text,
            [
                "keymap.toml:3:3: `t` in [queue] hides the global `t` (as_of_today); bind another key, or add `shadows = true` if that is meant"
            ]
        );
        let k = |s: &str| Key::parse(s).unwrap();
        assert_eq!(map.lookup(Mode::Queue, &[k("[")]), Lookup::Run(&[Action::Top]));
    }

    #[test]
    fn every_error_at_once_with_positions() {
        let bad = "[clients]\nkeymap = [\n  { on = \"hyper-q\", run = \"quit\" },\n  { on = \"x\", run = \"fly\" },\n  { on = \"y\", run = \"quit\", help = \"?\" },\n  { run = \"quit\" },\n]\n[nowhere]\nkeymap = []\n";
        let (_, errors) = Keymap::load("default", Some(("my.toml", bad)));
        let text: Vec<String> = errors.iter().map(|e| e.to_string()).collect();
        assert_eq!(text.len(), 5, "{text:#?}");
        assert!(text[0].starts_with("my.toml:3:10: unknown key 'hyper-q'"), "{text:#?}");
        assert!(
            text.iter()
                .any(|t| t.starts_with("my.toml:4:") && t.contains("unknown action 'fly'")),
            "{text:#?}"
        );
        assert!(
            text.iter()
                .any(|t| t.starts_with("my.toml:5:") && t.contains("unknown field 'help'")),
            "{text:#?}"
        );
        assert!(
            text.iter()
                .any(|t| t.starts_with("my.toml:6:") && t.contains("no `on`")),
            "{text:#?}"
        );
        assert!(
            text.iter()
                .any(|t| t.starts_with("my.toml:8:2: unknown section 'nowhere'")),
            "{text:#?}"
        );
    }
}
