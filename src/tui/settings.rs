//! `config.toml` (`keymap = "vim"`, `theme = "light"`) and the user's
//! `keymap.toml` / `theme.toml` beside it. Every problem of every file is
//! collected; rapport starts on the presets for what it could not read.

use std::path::Path;
use toml::Spanned;
use toml::de::DeValue;

use super::config::{ConfigError, Doc, string};
use super::keymap::{self, Keymap};
use super::theme::{Depth, PRESETS, Theme};

pub struct Loaded {
    pub keymap: Keymap,
    /// `start = "queue"`: open on the due-contacts queue.
    pub start_queue: bool,
    /// `card = "open"`: the client card shows from the start.
    pub card_open: bool,
    /// `links = false`: phones and emails are not terminal hyperlinks.
    pub links: bool,
    pub theme: Theme,
    pub errors: Vec<ConfigError>,
}

fn read(dir: Option<&Path>, name: &str) -> Option<(String, String)> {
    let path = dir?.join(name);
    let text = std::fs::read(&path).ok()?;
    Some((path.display().to_string(), String::from_utf8_lossy(&text).into_owned()))
}

/// A setting that takes one of two `words`: true when it is `yes`.
/// Anything else is reported at its position (`what` names it).
fn either(doc: &mut Doc, value: &Spanned<DeValue>, key: &str, what: &str, words: [&str; 2], yes: &str) -> Option<bool> {
    let v = string(doc, value, key)?;
    if words.contains(&v) {
        Some(v == yes)
    } else {
        doc.error(value.span(), format!("unknown {what} '{v}' ({})", words.join(", ")));
        None
    }
}

/// Loads everything from `dir` (usually `$XDG_CONFIG_HOME/rapport`).
pub fn load(dir: Option<&Path>, depth: Depth) -> Loaded {
    let mut errors = Vec::new();
    let mut keymap_name = "default".to_string();
    let mut theme_name = "dark".to_string();
    let mut start_queue = false;
    let mut card_open = false;
    let mut links = true;
    if let Some((file, text)) = read(dir, "config.toml") {
        let mut doc = Doc::new(file, &text);
        let table = doc.parse();
        for (key, value) in table.iter() {
            match key.get_ref().as_ref() {
                "keymap" => {
                    if let Some(v) = string(&mut doc, value, "keymap") {
                        if keymap::preset(v).is_some() {
                            keymap_name = v.to_string();
                        } else {
                            doc.error(value.span(), format!("unknown keymap '{v}' (default, vim)"));
                        }
                    }
                }
                "theme" => {
                    if let Some(v) = string(&mut doc, value, "theme") {
                        if PRESETS.iter().any(|(n, _)| *n == v) {
                            theme_name = v.to_string();
                        } else {
                            let names: Vec<&str> = PRESETS.iter().map(|(n, _)| *n).collect();
                            doc.error(value.span(), format!("unknown theme '{v}' ({})", names.join(", ")));
                        }
                    }
                }
                "start" => {
                    if let Some(on) = either(&mut doc, value, "start", "start view", ["clients", "queue"], "queue") {
                        start_queue = on;
                    }
                }
                "card" => {
                    if let Some(on) = either(&mut doc, value, "card", "card setting", ["open", "closed"], "open") {
                        card_open = on;
                    }
                }
                "links" => match value.get_ref() {
                    DeValue::Boolean(on) => links = *on,
                    _ => doc.error(value.span(), "links is true or false".to_string()),
                },
                other => doc.error(
                    key.span(),
                    format!("unknown setting '{other}' (keymap, theme, start, card, links)"),
                ),
            }
        }
        errors.extend(doc.into_errors());
    }
    let user_keys = read(dir, "keymap.toml");
    let (keymap, e) = Keymap::load(&keymap_name, user_keys.as_ref().map(|(f, t)| (f.as_str(), t.as_str())));
    errors.extend(e);
    let user_theme = read(dir, "theme.toml");
    let (theme, e) = Theme::load(
        &theme_name,
        user_theme.as_ref().map(|(f, t)| (f.as_str(), t.as_str())),
        depth,
    );
    errors.extend(e);
    Loaded {
        keymap,
        start_queue,
        card_open,
        links,
        theme,
        errors,
    }
}

#[cfg(test)]
mod tests {
    use super::*;
    use crate::tui::keymap::{Key, Lookup, Mode};

    #[test]
    fn config_selects_presets_and_reports_every_problem() {
        let dir = tempfile::tempdir().unwrap();
        std::fs::write(
            dir.path().join("config.toml"),
            "keymap = \"vim\"\ntheme = \"light\"\nstart = \"queue\"\ncard = \"open\"\nlinks = false\n",
        )
        .unwrap();
        let loaded = load(Some(dir.path()), Depth::TrueColor);
        assert!(loaded.errors.is_empty(), "{:?}", loaded.errors);
        assert!(!loaded.links);
        assert!(loaded.start_queue);
        assert!(loaded.card_open);
        assert_eq!(loaded.theme.name, "light");
        let j = Key::parse("j").unwrap();
        assert!(matches!(loaded.keymap.lookup(Mode::Clients, &[j]), Lookup::Run(_)));

        std::fs::write(
            dir.path().join("config.toml"),
            "keymap = \"emacs\"\ntheme = 3\ncolour = \"x\"\ncard = \"wide\"\nlinks = \"no\"\n",
        )
        .unwrap();
        std::fs::write(dir.path().join("theme.toml"), "[colors]\nok = \"nope\"\n").unwrap();
        let loaded = load(Some(dir.path()), Depth::TrueColor);
        assert!(!loaded.card_open);
        assert!(loaded.links, "on unless turned off");
        let text: Vec<String> = loaded.errors.iter().map(|e| e.to_string()).collect();
        let cfg = dir.path().join("config.toml").display().to_string();
        let theme = dir.path().join("theme.toml").display().to_string();
        assert_eq!(
            text,
            vec![
                format!("{cfg}:1:10: unknown keymap 'emacs' (default, vim)"),
                format!("{cfg}:2:9: theme must be a string"),
                format!("{cfg}:3:1: unknown setting 'colour' (keymap, theme, start, card, links)"),
                format!("{cfg}:4:8: unknown card setting 'wide' (open, closed)"),
                format!("{cfg}:5:9: links is true or false"),
                format!("{theme}:2:6: unknown colour 'nope' (a name, #rrggbb or 0–255)"),
            ]
        );
        // The presets still apply.
        assert_eq!(loaded.theme.name, "dark");
        assert!(!loaded.keymap.bindings(Mode::Clients).is_empty());
    }
}
