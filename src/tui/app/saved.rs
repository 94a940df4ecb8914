//! Saved views: the tab, the client filter, the manager picked, the
//! clients list's sort and the as-of rule, kept under a name in the user's
//! `views.toml` (beside `config.toml`), or shared by a lead with the team
//! in the database, and recalled by name (the user's own first) —
//! `save_view` and `recall_view` in the palette, or by their keys.

use std::path::{Path, PathBuf};

use serde::{Deserialize, Serialize};

use super::*;
use crate::tui::form::Field;
use crate::tui::views::clients::Column;

/// One saved view as `views.toml` keeps it.
#[derive(Clone, Debug, PartialEq, Serialize, Deserialize)]
pub struct SavedView {
    pub name: String,
    pub tab: usize,
    #[serde(default)]
    pub filter: String,
    /// A manager's login: only their clients.
    #[serde(default)]
    pub manager: Option<String>,
    /// The clients list's sort column, by its title.
    #[serde(default)]
    pub sort: Option<String>,
    #[serde(default)]
    pub descending: bool,
    /// `today`, or a date the classes are computed as of.
    #[serde(default)]
    pub as_of: Option<String>,
}

#[derive(Debug, Default, Serialize, Deserialize)]
struct File {
    #[serde(default, rename = "view")]
    views: Vec<SavedView>,
}

impl SavedView {
    fn shared(&self) -> rapport::domain::SharedView {
        rapport::domain::SharedView {
            number: 0,
            name: self.name.clone(),
            tab: u8::try_from(self.tab).unwrap_or(0),
            filter: self.filter.clone(),
            manager: self.manager.clone(),
            sort: self.sort.clone(),
            descending: self.descending,
            as_of: self.as_of.clone(),
            who: String::new(),
            seq: 0,
        }
    }

    fn of_team(v: &rapport::domain::SharedView) -> SavedView {
        SavedView {
            name: v.name.clone(),
            tab: usize::from(v.tab),
            filter: v.filter.clone(),
            manager: v.manager.clone(),
            sort: v.sort.clone(),
            descending: v.descending,
            as_of: v.as_of.clone(),
        }
    }
}

fn path(dir: &Path) -> PathBuf {
    dir.join("views.toml")
}

/// The saved views, or why the file cannot be read.
pub fn read(dir: &Path) -> Result<Vec<SavedView>, String> {
    let p = path(dir);
    match std::fs::read_to_string(&p) {
        Ok(text) => toml::from_str::<File>(&text)
            .map(|f| f.views)
            .map_err(|e| format!("{}: {e}", p.display())),
        Err(e) if e.kind() == std::io::ErrorKind::NotFound => Ok(Vec::new()),
        Err(e) => Err(format!("{}: {e}", p.display())),
    }
}

/// Writes the views whole or not at all (a temporary file renamed).
fn write(dir: &Path, views: Vec<SavedView>) -> Result<(), String> {
    std::fs::create_dir_all(dir).map_err(|e| format!("{}: {e}", dir.display()))?;
    let text = toml::to_string_pretty(&File { views }).map_err(|e| e.to_string())?;
    let mut tmp = tempfile::NamedTempFile::new_in(dir).map_err(|e| e.to_string())?;
    std::io::Write::write_all(&mut tmp, text.as_bytes()).map_err(|e| e.to_string())?;
    tmp.as_file().sync_all().map_err(|e| e.to_string())?;
    tmp.persist(path(dir)).map_err(|e| e.error.to_string())?;
    Ok(())
}

impl App {
    pub(super) fn open_save_view_form(&mut self) {
        let mut form = Form::new(
            "Save this view",
            vec![
                Field::new("Name", FieldKind::Text, "", true),
                Field::new("For", FieldKind::Text, "me", true),
            ],
        );
        form.info = vec![
            "the tab, the filter, the manager, the sort and the as-of date".into(),
            "for: me (kept in your config) or team (a lead's, in the database)".into(),
        ];
        self.overlay = Overlay::Form(FormKind::SaveView, form);
    }

    pub(super) fn open_recall_view_form(&mut self) {
        let mine = match self.config_dir.as_deref().map(read) {
            Some(Ok(views)) => views.into_iter().map(|v| v.name).collect::<Vec<_>>(),
            Some(Err(e)) => return self.set_status(e, Tone::Error),
            None => Vec::new(),
        };
        let team: Vec<String> = self
            .model()
            .sales
            .views
            .values()
            .map(|v| rapport::domain::text::printable(&v.name).into_owned())
            .collect();
        if mine.is_empty() && team.is_empty() {
            return self.set_status("No saved view yet (save_view saves this one)", Tone::Error);
        }
        let first = mine.first().or(team.first()).cloned().unwrap_or_default();
        let mut form = Form::new("Recall a view", vec![Field::new("Name", FieldKind::Text, first, true)]);
        form.info = Vec::new();
        if !mine.is_empty() {
            form.info.push(format!("yours: {}", mine.join(", ")));
        }
        if !team.is_empty() {
            form.info.push(format!("the team's: {}", team.join(", ")));
        }
        self.overlay = Overlay::Form(FormKind::RecallView, form);
    }

    /// The view on screen, under `name`.
    fn current_view(&self, name: &str) -> SavedView {
        let clients = &self.views.clients;
        SavedView {
            name: name.to_string(),
            tab: Tab::ALL.iter().position(|t| *t == self.tab).unwrap_or(0),
            filter: self.filter.pattern.clone(),
            manager: self
                .filter
                .manager
                .and_then(|m| self.model().managers.get(&m))
                .map(|m| m.login.clone()),
            sort: Some(clients.sort.title().to_string()),
            descending: clients.descending,
            as_of: Some(if self.as_of() == self.today {
                "today".to_string()
            } else {
                self.as_of().to_string()
            }),
        }
    }

    /// Saves or recalls a view (the forms' submit); a view shared with
    /// the team is a command, returned to be run.
    pub(super) fn submit_saved(&mut self, kind: FormKind, form: &Form) -> Result<Option<Command>, String> {
        let name = form.value("Name").trim().to_string();
        if name.is_empty() || name.chars().any(char::is_control) {
            return Err("a view needs a name on one line".into());
        }
        if kind == FormKind::SaveView {
            match form.value("For").trim() {
                "me" => {}
                "team" => return Ok(Some(Command::ShareView(self.current_view(&name).shared()))),
                other => {
                    return Err(format!(
                        "for: me or team, not '{}'",
                        rapport::domain::text::printable(other)
                    ));
                }
            }
        }
        let dir = self.config_dir.clone();
        let mut views = match &dir {
            Some(dir) => read(dir)?,
            None if kind == FormKind::SaveView => return Err("no configuration directory to keep views in".into()),
            None => Vec::new(),
        };
        if let (FormKind::SaveView, Some(dir)) = (kind, &dir) {
            let view = self.current_view(&name);
            views.retain(|v| v.name != name);
            views.push(view);
            write(dir, views)?;
            self.set_status(format!("View '{name}' saved"), Tone::Ok);
            return Ok(None);
        }
        let team = || {
            self.model()
                .sales
                .views
                .values()
                .find(|v| v.name.eq_ignore_ascii_case(&name))
                .map(SavedView::of_team)
        };
        let view = views
            .into_iter()
            .find(|v| v.name.eq_ignore_ascii_case(&name))
            .or_else(team)
            .ok_or_else(|| format!("no view named '{}'", rapport::domain::text::printable(&name)))?;
        self.recall(&view);
        self.set_status(
            format!("View '{}'", rapport::domain::text::printable(&view.name)),
            Tone::Ok,
        );
        Ok(None)
    }

    /// Shows `view`: what it names that no longer exists is left as it is.
    pub fn recall(&mut self, view: &SavedView) {
        let manager = view
            .manager
            .as_deref()
            .and_then(|l| self.model().manager_by_login(l))
            .map(|m| m.id);
        self.filter.manager = manager;
        self.filter.pattern = view.filter.clone();
        self.filter.open = false;
        self.filter_changed();
        let sort = view
            .sort
            .as_deref()
            .and_then(|s| Column::SORTABLE.into_iter().find(|c| c.title() == s));
        let descending = view.descending;
        self.with_views(Tab::Clients, |views, cx| views.clients.sort_by(sort, descending, cx));
        match view.as_of.as_deref() {
            Some("today") => self.set_as_of(Some(self.today)),
            Some(d) => {
                if let Ok(date) = d.parse() {
                    self.set_as_of(Some(date));
                }
            }
            None => {}
        }
        if let Some(tab) = Tab::ALL.get(view.tab) {
            self.show_tab(*tab);
        }
        // (`set_as_of` to the date already shown marks nothing to redraw.)
        self.dirty = true;
    }
}
