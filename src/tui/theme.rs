//! Themes as data: roles mapped to colours (names, `#rrggbb`, or 0–255).
//! Output is 256-colour unless `COLORTERM` says truecolor; `NO_COLOR`
//! selects the mono theme. The selection is always reverse video, so it
//! shows without colour too.

use std::collections::BTreeMap;

use ratatui::style::{Color, Modifier, Style};
use toml::de::DeValue;

use super::config::{ConfigError, Doc};

pub const PRESETS: [(&str, &str); 4] = [
    ("dark", include_str!("../../themes/dark.toml")),
    ("light", include_str!("../../themes/light.toml")),
    ("high-contrast", include_str!("../../themes/high-contrast.toml")),
    ("mono", include_str!("../../themes/mono.toml")),
];

/// Every role a theme may colour.
pub const ROLES: [&str; 24] = [
    "text",
    "muted",
    "accent",
    "header",
    "border",
    "selection",
    "tab_active",
    "tab",
    "class_a",
    "class_b",
    "class_c",
    "class_x",
    "class_y",
    "class_z",
    "overdue",
    "ok",
    "warning",
    "error",
    "matched",
    "status_bar",
    "stage_progress",
    "stage_won",
    "stage_refused",
    "stage_excluded",
];

#[derive(Clone, Copy, Debug, PartialEq, Eq)]
pub enum Depth {
    Mono,
    Ansi256,
    TrueColor,
}

impl Depth {
    /// From the environment: `NO_COLOR` (non-empty) wins, then `COLORTERM`.
    pub fn from_env(no_color: Option<&str>, colorterm: Option<&str>) -> Depth {
        if no_color.is_some_and(|v| !v.is_empty()) {
            Depth::Mono
        } else if colorterm.is_some_and(|v| v.eq_ignore_ascii_case("truecolor") || v.eq_ignore_ascii_case("24bit")) {
            Depth::TrueColor
        } else {
            Depth::Ansi256
        }
    }
}

#[derive(Clone, Debug, PartialEq)]
pub struct Theme {
    pub name: String,
    colors: BTreeMap<&'static str, Color>,
    depth: Depth,
}

impl Theme {
    /// Loads preset `name`, then the user's overrides. Problems are
    /// returned; the theme falls back to the preset's value for a bad role.
    pub fn load(name: &str, user: Option<(&str, &str)>, depth: Depth) -> (Theme, Vec<ConfigError>) {
        let mut errors = Vec::new();
        let preset_name = if depth == Depth::Mono { "mono" } else { name };
        let text = PRESETS
            .iter()
            .find(|(n, _)| *n == preset_name)
            .map_or(PRESETS[0].1, |(_, t)| *t);
        let mut theme = Theme {
            name: preset_name.to_string(),
            colors: BTreeMap::new(),
            depth,
        };
        errors.extend(theme.merge(&format!("themes/{preset_name}.toml"), text));
        if let Some((file, text)) = user
            && depth != Depth::Mono
        {
            errors.extend(theme.merge(file, text));
        }
        (theme, errors)
    }

    pub fn merge(&mut self, file: &str, text: &str) -> Vec<ConfigError> {
        let mut doc = Doc::new(file, text);
        let table = doc.parse();
        for (key, value) in table.iter() {
            match key.get_ref().as_ref() {
                "name" => {}
                "colors" => {
                    let DeValue::Table(t) = value.get_ref() else {
                        doc.error(value.span(), "`colors` must be a table of role = colour");
                        continue;
                    };
                    for (role, v) in t.iter() {
                        let Some(role) = ROLES.iter().find(|r| **r == role.get_ref().as_ref()) else {
                            doc.error(
                                role.span(),
                                format!("unknown role '{}' (roles: {})", role.get_ref(), ROLES.join(", ")),
                            );
                            continue;
                        };
                        match parse_color(v.get_ref()) {
                            Ok(c) => {
                                self.colors.insert(role, c);
                            }
                            Err(e) => doc.error(v.span(), e),
                        }
                    }
                }
                other => doc.error(key.span(), format!("unknown field '{other}' (expected name, colors)")),
            }
        }
        doc.into_errors()
    }

    fn color(&self, role: &str) -> Option<Color> {
        if self.depth == Depth::Mono {
            return None;
        }
        let c = *self.colors.get(role)?;
        Some(match (self.depth, c) {
            (Depth::Ansi256, Color::Rgb(r, g, b)) => Color::Indexed(rgb_to_256(r, g, b)),
            _ => c,
        })
    }

    /// The style of a role: its colour as foreground, plus the modifiers
    /// that keep it readable without colour.
    pub fn style(&self, role: &str) -> Style {
        let mut s = Style::default();
        if let Some(c) = self.color(role) {
            s = s.fg(c);
        }
        match role {
            "header" | "tab_active" | "class_a" | "error" | "overdue" => s.add_modifier(Modifier::BOLD),
            "matched" => s.add_modifier(Modifier::BOLD | Modifier::UNDERLINED),
            "muted" if self.depth == Depth::Mono => s.add_modifier(Modifier::DIM),
            _ => s,
        }
    }

    /// Reverse video always; the role's colour tints it where there is one.
    pub fn selection(&self) -> Style {
        let s = Style::default().add_modifier(Modifier::REVERSED);
        match self.color("selection") {
            Some(c) => s.fg(c),
            None => s,
        }
    }
}

fn parse_color(v: &DeValue) -> Result<Color, String> {
    match v {
        DeValue::Integer(i) => match i.as_str().parse::<u8>() {
            Ok(n) if i.radix() == 10 => Ok(Color::Indexed(n)),
            _ => Err(format!("colour index {} is not 0–255", i.as_str())),
        },
        DeValue::String(s) => {
            let s = s.as_ref();
            if let Some(hex) = s.strip_prefix('#') {
                let ok = hex.len() == 6 && hex.bytes().all(|b| b.is_ascii_hexdigit());
                let byte = |i: usize| hex.get(i..i + 2).and_then(|h| u8::from_str_radix(h, 16).ok());
                return match (ok, byte(0), byte(2), byte(4)) {
                    (true, Some(r), Some(g), Some(b)) => Ok(Color::Rgb(r, g, b)),
                    _ => Err(format!("'{s}' is not a #rrggbb colour")),
                };
            }
            let named = match s.to_ascii_lowercase().replace(['-', ' '], "_").as_str() {
                "reset" | "default" => Color::Reset,
                "black" => Color::Black,
                "red" => Color::Red,
                "green" => Color::Green,
                "yellow" => Color::Yellow,
                "blue" => Color::Blue,
                "magenta" => Color::Magenta,
                "cyan" => Color::Cyan,
                "gray" | "grey" => Color::Gray,
                "dark_gray" | "dark_grey" => Color::DarkGray,
                "light_red" => Color::LightRed,
                "light_green" => Color::LightGreen,
                "light_yellow" => Color::LightYellow,
                "light_blue" => Color::LightBlue,
                "light_magenta" => Color::LightMagenta,
                "light_cyan" => Color::LightCyan,
                "white" => Color::White,
                _ => return Err(format!("unknown colour '{s}' (a name, #rrggbb or 0–255)")),
            };
            Ok(named)
        }
        _ => Err("a colour is a name, \"#rrggbb\" or a number 0–255".into()),
    }
}

/// The nearest xterm-256 colour: the 6×6×6 cube or the grey ramp.
pub fn rgb_to_256(r: u8, g: u8, b: u8) -> u8 {
    let level = |v: u8| -> u8 {
        match v {
            0..=47 => 0,
            48..=114 => 1,
            _ => (v - 35) / 40,
        }
    };
    let steps = [0u8, 95, 135, 175, 215, 255];
    let (cr, cg, cb) = (level(r), level(g), level(b));
    let cube = 16 + 36 * cr + 6 * cg + cb;
    let dist = |a: (u8, u8, u8)| {
        let d = |x: u8, y: u8| (x as i32 - y as i32).pow(2);
        d(a.0, r) + d(a.1, g) + d(a.2, b)
    };
    let cube_rgb = (steps[cr as usize], steps[cg as usize], steps[cb as usize]);
    let avg = (r as u32 + g as u32 + b as u32) / 3;
    let grey_index = if avg > 238 { 23 } else { avg.saturating_sub(3) / 10 } as u8;
    let grey = 8 + 10 * grey_index;
    if dist((grey, grey, grey)) < dist(cube_rgb) {
        232 + grey_index
    } else {
        cube
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn presets_load_cleanly_and_define_every_role() {
        for (name, _) in PRESETS {
            let (theme, errors) = Theme::load(name, None, Depth::TrueColor);
            assert!(errors.is_empty(), "{name}: {errors:?}");
            if name != "mono" {
                for role in ROLES {
                    assert!(theme.colors.contains_key(role), "{name} lacks {role}");
                }
            }
        }
    }

    #[test]
    fn no_color_means_mono_and_selection_still_shows() {
        assert_eq!(Depth::from_env(Some("1"), Some("truecolor")), Depth::Mono);
        assert_eq!(Depth::from_env(Some(""), None), Depth::Ansi256);
        assert_eq!(Depth::from_env(None, Some("truecolor")), Depth::TrueColor);
        let (theme, _) = Theme::load("dark", None, Depth::Mono);
        assert_eq!(theme.name, "mono");
        assert_eq!(theme.style("class_a").fg, None);
        assert!(theme.selection().add_modifier.contains(Modifier::REVERSED));
    }

    #[test]
    fn colours_degrade_to_256() {
        assert_eq!(rgb_to_256(255, 0, 0), 196);
        assert_eq!(rgb_to_256(0, 0, 0), 16);
        assert_eq!(rgb_to_256(128, 128, 128), 244);
        let user = "[colors]\naccent = \"#ff0000\"\n";
        let (theme, errors) = Theme::load("dark", Some(("t.toml", user)), Depth::Ansi256);
        assert!(errors.is_empty());
        assert_eq!(theme.style("accent").fg, Some(Color::Indexed(196)));
        let (theme, _) = Theme::load("dark", Some(("t.toml", user)), Depth::TrueColor);
        assert_eq!(theme.style("accent").fg, Some(Color::Rgb(255, 0, 0)));
    }

    #[test]
    fn every_error_at_once_with_positions() {
        let bad = "name = \"mine\"\nshade = 1\n[colors]\naccent = \"#ff00\"\nclass_q = \"red\"\ntext = 300\nok = \"chartreuse\"\n";
        let (_, errors) = Theme::load("dark", Some(("mine.toml", bad)), Depth::TrueColor);
        let text: Vec<String> = errors.iter().map(|e| e.to_string()).collect();
        assert_eq!(
            text,
            vec![
                "mine.toml:2:1: unknown field 'shade' (expected name, colors)".to_string(),
                "mine.toml:4:10: '#ff00' is not a #rrggbb colour".to_string(),
                format!("mine.toml:5:1: unknown role 'class_q' (roles: {})", ROLES.join(", ")),
                "mine.toml:6:8: colour index 300 is not 0–255".to_string(),
                "mine.toml:7:6: unknown colour 'chartreuse' (a name, #rrggbb or 0–255)".to_string(),
            ]
        );
    }
}
