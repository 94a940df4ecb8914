//! `rapport import KIND FILE`: all or nothing. Every row is checked first
//! (against the database and the rows before it); any problem means nothing
//! is written and every problem is reported as `FILE:LINE: reason`.

use std::collections::{HashMap, HashSet};

use chrono::NaiveDate;

use super::Kind;
pub use super::table::RowError;
use super::table::{self, Table};
use crate::backend::{Backend, BackendError};
use crate::domain::*;
use crate::model::Model;
use crate::write::{Command, CommandError};

pub use super::table::RowError as ImportRowError;

mod records;

#[derive(Debug, Clone)]
pub struct ImportOptions {
    /// Create clients that a settlement file names but the database lacks.
    pub create_missing: bool,
    /// The default `created` date of new clients.
    pub today: NaiveDate,
    /// Whose the clients that `create_missing` creates are: a manager's
    /// session creates them for that manager (the only clients a manager
    /// may create); otherwise unassigned.
    pub new_clients_manager: Option<ManagerId>,
    /// Import clients that look like one already there (or earlier in
    /// the file); otherwise such a row is refused with the reason.
    pub allow_duplicates: bool,
}

#[derive(Debug, thiserror::Error)]
pub enum ImportError {
    #[error("{} problem(s) in the file; nothing was imported", .0.len())]
    Rows(Vec<RowError>),
    #[error(transparent)]
    Store(#[from] BackendError),
}

/// What a successful import did.
#[derive(Debug)]
pub struct ImportReport {
    pub rows: usize,
    pub created_clients: usize,
}

/// The commands a file stands for, and the line each came from.
pub struct Plan {
    pub commands: Vec<Command>,
    /// `lines[i]`: the line of `commands[i]`.
    pub lines: Vec<u64>,
    pub rows: usize,
    pub created_clients: usize,
}

/// A file read: its rows, or a file of vCards already planned.
enum Input {
    Table(Table),
    Cards(Plan),
}

/// Reads `bytes` as a file of `kind`.
fn read(model: &Model, kind: Kind, file: &str, bytes: &[u8]) -> Result<Input, Vec<RowError>> {
    if kind == Kind::Offers {
        return Err(vec![RowError {
            file: file.into(),
            line: 1,
            message: "offers are exported, not imported; move them with `rapport offer`".into(),
        }]);
    }
    if kind == Kind::Contacts && super::vcard::looks_like(bytes) {
        return super::vcard::plan(model, file, bytes).map(Input::Cards);
    }
    table::read(file, bytes, kind.columns()).map(Input::Table)
}

/// Reads and checks `bytes` as a file of `kind`; nothing is written.
pub fn plan(model: &Model, kind: Kind, file: &str, bytes: &[u8], opts: &ImportOptions) -> Result<Plan, Vec<RowError>> {
    match read(model, kind, file, bytes)? {
        Input::Cards(plan) => Ok(plan),
        Input::Table(table) => plan_rows(model, kind, file, &table, opts),
    }
}

/// Checks the rows of a file of `kind` and plans their commands.
fn plan_rows(
    model: &Model,
    kind: Kind,
    file: &str,
    table: &Table,
    opts: &ImportOptions,
) -> Result<Plan, Vec<RowError>> {
    let mut p = Planner {
        model,
        file,
        table,
        errors: Vec::new(),
        commands: Vec::new(),
        lines: Vec::new(),
        opts,
        created_clients: 0,
    };
    match kind {
        Kind::Managers => p.managers(),
        Kind::Segments => p.segments(),
        Kind::Products => p.products(),
        Kind::Portrait => p.portrait(),
        Kind::Clients => p.clients(),
        Kind::Contacts => p.contacts(),
        Kind::Settlements => p.settlements(),
        Kind::Log => p.log(),
        Kind::Tasks => p.tasks(),
        Kind::Surveys => p.surveys(),
        Kind::Offers => {}
    }
    if p.errors.is_empty() {
        Ok(Plan {
            commands: p.commands,
            lines: p.lines,
            rows: table.rows.len(),
            created_clients: p.created_clients,
        })
    } else {
        Err(p.errors)
    }
}

/// Plans, then applies the whole file as one batch command (one
/// transaction, one flush).
pub fn import(
    store: &mut dyn Backend,
    who: &str,
    kind: Kind,
    file: &str,
    bytes: Vec<u8>,
    opts: &ImportOptions,
) -> Result<ImportReport, ImportError> {
    let input = read(store.model(), kind, file, &bytes).map_err(ImportError::Rows)?;
    // The rows own what they took from the file.
    drop(bytes);
    let plan = match input {
        Input::Cards(plan) => plan,
        Input::Table(table) => plan_rows(store.model(), kind, file, &table, opts).map_err(ImportError::Rows)?,
    };
    if plan.commands.is_empty() {
        return Ok(ImportReport {
            rows: plan.rows,
            created_clients: 0,
        });
    }
    let lines = plan.lines;
    let batch = Command::Batch {
        label: format!("import {kind} from {file}"),
        commands: plan.commands,
    };
    // Its event is not read: it carries every row's change.
    match store.execute_unread(who, batch) {
        Ok(()) => Ok(ImportReport {
            rows: plan.rows,
            created_clients: plan.created_clients,
        }),
        // The checks above should have caught it; still name the line.
        Err(BackendError::Command(CommandError::InBatch { index, source })) => Err(ImportError::Rows(vec![RowError {
            file: file.into(),
            line: lines.get(index).copied().unwrap_or(0),
            message: source.to_string(),
        }])),
        Err(e) => Err(e.into()),
    }
}

/// A checked settlement row: the row (its client ref and doc are read from
/// it again), date, amount, product. Small: a file has millions.
type PlannedSettlement<'t> = (&'t table::Row, NaiveDate, Money, Option<ProductId>);

struct Planner<'a> {
    model: &'a Model,
    file: &'a str,
    table: &'a Table,
    errors: Vec<RowError>,
    commands: Vec<Command>,
    lines: Vec<u64>,
    opts: &'a ImportOptions,
    created_clients: usize,
}

impl Planner<'_> {
    /// Plans `command`, from the file's `line`.
    fn push(&mut self, (line, command): (u64, Command)) {
        self.lines.push(line);
        self.commands.push(command);
    }

    fn error(&mut self, line: u64, message: impl Into<String>) {
        self.errors.push(RowError {
            file: self.file.to_string(),
            line,
            message: message.into(),
        });
    }

    /// Checks a key column: present, no spaces, not already in the database
    /// nor earlier in the file.
    fn new_key(&mut self, line: u64, what: &str, key: &str, exists: bool, seen: &mut HashSet<String>) -> bool {
        if key.is_empty() {
            self.error(line, format!("{what} is empty"));
            return false;
        }
        if key.chars().any(|c| c.is_whitespace() || c.is_control()) {
            self.error(line, format!("{what} '{key}' contains spaces or control characters"));
            return false;
        }
        if exists {
            self.error(line, format!("{what} '{key}' already exists in the database"));
            return false;
        }
        if !seen.insert(key.to_string()) {
            self.error(line, format!("{what} '{key}' appears twice in the file"));
            return false;
        }
        true
    }

    fn required(&mut self, line: u64, what: &str, value: &str) -> bool {
        if value.is_empty() {
            self.error(line, format!("{what} is empty"));
            false
        } else {
            true
        }
    }

    fn date(&mut self, line: u64, what: &str, value: &str) -> Option<Option<NaiveDate>> {
        if value.is_empty() {
            return Some(None);
        }
        match parse_date(value) {
            Ok(d) => Some(Some(d)),
            Err(e) => {
                self.error(line, format!("{what}: {e}"));
                None
            }
        }
    }

    fn managers(&mut self) {
        let mut seen = HashSet::new();
        let t = self.table;
        let rows: Vec<_> = t
            .rows
            .iter()
            .map(|r| (r.line, t.get(r, "login"), t.get(r, "name"), t.get(r, "role")))
            .collect();
        for (line, login, name, role) in rows {
            let ok_key = self.new_key(
                line,
                "login",
                login,
                self.model.manager_by_login(login).is_some(),
                &mut seen,
            );
            let ok_name = self.required(line, "name", name);
            let role = Role::parse(role);
            if role.is_none() {
                self.error(line, "role must be 'manager' or 'lead'");
            }
            if let (true, true, Some(role)) = (ok_key, ok_name, role) {
                self.push((
                    line,
                    Command::AddManager {
                        login: login.into(),
                        name: name.into(),
                        role,
                    },
                ));
            }
        }
    }

    fn segments(&mut self) {
        let mut seen = HashSet::new();
        let t = self.table;
        let rows: Vec<_> = t
            .rows
            .iter()
            .map(|r| (r.line, t.get(r, "id"), t.get(r, "name"), t.get(r, "description")))
            .collect();
        for (line, code, name, description) in rows {
            let ok_key = self.new_key(
                line,
                "segment id",
                code,
                self.model.segment_by_code(code).is_some(),
                &mut seen,
            );
            if ok_key & self.required(line, "name", name) {
                self.push((
                    line,
                    Command::AddSegment {
                        code: code.into(),
                        name: name.into(),
                        description: description.into(),
                    },
                ));
            }
        }
    }

    fn products(&mut self) {
        let mut seen = HashSet::new();
        let t = self.table;
        let rows: Vec<_> = t
            .rows
            .iter()
            .map(|r| (r.line, t.get(r, "id"), t.get(r, "name"), t.get(r, "line")))
            .collect();
        for (line, code, name, product_line) in rows {
            let ok_key = self.new_key(
                line,
                "product id",
                code,
                self.model.product_by_code(code).is_some(),
                &mut seen,
            );
            let ok_name = self.required(line, "name", name);
            if ok_key & ok_name & self.required(line, "line", product_line) {
                self.push((
                    line,
                    Command::AddProduct {
                        code: code.into(),
                        name: name.into(),
                        line: product_line.into(),
                    },
                ));
            }
        }
    }

    fn portrait(&mut self) {
        let mut seen = HashSet::new();
        let t = self.table;
        let rows: Vec<_> = t
            .rows
            .iter()
            .map(|r| (r.line, t.get(r, "segment"), t.get(r, "product")))
            .collect();
        for (line, seg, prod) in rows {
            let segment = self.model.segment_by_code(seg).map(|s| s.id);
            let product = self.model.product_by_code(prod).map(|p| p.id);
            if segment.is_none() {
                self.error(line, format!("unknown segment '{seg}'"));
            }
            if product.is_none() {
                self.error(line, format!("unknown product '{prod}'"));
            }
            let (Some(segment), Some(product)) = (segment, product) else {
                continue;
            };
            if self.model.portrait.contains(&(segment, product)) {
                self.error(line, format!("'{prod}' is already a target of segment '{seg}'"));
            } else if !seen.insert((segment, product)) {
                self.error(line, format!("'{seg},{prod}' appears twice in the file"));
            } else {
                self.push((
                    line,
                    Command::SetPortrait {
                        segment,
                        product,
                        target: true,
                    },
                ));
            }
        }
    }

    fn clients(&mut self) {
        let mut seen = HashSet::new();
        let t = self.table;
        // Likely duplicates: of the clients there, and of earlier rows.
        let mut like = (!self.opts.allow_duplicates).then(|| crate::find::duplicates::Index::build(self.model));
        let mut file_refs: HashMap<ClientId, String> = HashMap::new();
        for r in &t.rows {
            let line = r.line;
            let reference = t.get(r, "ref");
            let name = t.get(r, "name");
            let ok_key = self.new_key(
                line,
                "ref",
                reference,
                self.model.client_by_ref(reference).is_some(),
                &mut seen,
            );
            let ok_name = self.required(line, "name", name);
            let seg = t.get(r, "segment");
            let segment = if seg.is_empty() {
                Some(None)
            } else {
                match self.model.segment_by_code(seg) {
                    Some(s) => Some(Some(s.id)),
                    None => {
                        self.error(line, format!("unknown segment '{seg}'"));
                        None
                    }
                }
            };
            let login = t.get(r, "manager");
            let manager = if login.is_empty() {
                Some(None)
            } else {
                match self.model.manager_by_login(login) {
                    Some(m) => Some(Some(m.id)),
                    None => {
                        self.error(line, format!("unknown manager '{login}'"));
                        None
                    }
                }
            };
            let created = self.date(line, "created", t.get(r, "created"));
            let tags: Vec<String> = t.get(r, "tags").split_whitespace().map(str::to_string).collect();
            if let Some(ix) = &mut like
                && !name.trim().is_empty()
            {
                let card = crate::find::duplicates::Card {
                    name: name.to_string(),
                    ..Default::default()
                };
                let found = ix.like(&card, None);
                if let Some((id, reasons)) = found.iter().next() {
                    let who = self
                        .model
                        .clients
                        .get(id)
                        .map(|c| format!("{} {}", c.reference, c.name))
                        .or_else(|| file_refs.get(id).cloned())
                        .unwrap_or_default();
                    let why: Vec<String> = reasons.iter().map(ToString::to_string).collect();
                    self.error(
                        line,
                        format!(
                            "{reference} looks like {who} ({}); import with --allow-duplicate to keep both",
                            why.join(", ")
                        ),
                    );
                }
                // Rows of the file get ids no client has, from the top.
                let id = ClientId(u32::MAX - u32::try_from(line).unwrap_or(u32::MAX));
                ix.add(id, &card);
                file_refs.insert(id, format!("{reference} {name} (line {line})"));
            }
            if let (true, true, Some(segment), Some(manager), Some(created)) =
                (ok_key, ok_name, segment, manager, created)
            {
                self.push((
                    line,
                    Command::AddClient {
                        reference: reference.into(),
                        name: name.into(),
                        segment,
                        manager,
                        created: created.unwrap_or(self.opts.today),
                        notes: t.get(r, "notes").into(),
                        tags,
                    },
                ));
                let source = t.get(r, "source");
                if !source.trim().is_empty() {
                    self.push((
                        line,
                        Command::SetSource {
                            reference: reference.into(),
                            source: source.into(),
                        },
                    ));
                }
            }
        }
    }

    fn contacts(&mut self) {
        let t = self.table;
        for r in &t.rows {
            let line = r.line;
            let reference = t.get(r, "client");
            let client = self.model.client_by_ref(reference).map(|c| c.id);
            if client.is_none() {
                self.error(line, format!("unknown client '{reference}'"));
            }
            let name = t.get(r, "name");
            let ok_name = self.required(line, "name", name);
            let email = t.get(r, "email");
            let ok_email = email.is_empty() || email.contains('@');
            if !ok_email {
                self.error(line, format!("'{email}' is not an email address"));
            }
            let birthday = self.date(line, "birthday", t.get(r, "birthday"));
            if let (Some(client), true, true, Some(birthday)) = (client, ok_name, ok_email, birthday) {
                self.push((
                    line,
                    Command::AddPerson {
                        client,
                        name: name.into(),
                        role: t.get(r, "role").into(),
                        phone: t.get(r, "phone").into(),
                        email: email.into(),
                        birthday,
                    },
                ));
            }
        }
    }

    fn settlements(&mut self) {
        let t = self.table;
        // Refs to create (with --create-missing), each created once, dated by
        // its earliest settlement in the file.
        let mut missing: HashMap<&str, NaiveDate> = HashMap::new();
        let mut planned: Vec<PlannedSettlement> = Vec::new();
        for r in &t.rows {
            let line = r.line;
            let reference = t.get(r, "client");
            let known = self.model.client_by_ref(reference).is_some();
            if reference.is_empty() {
                self.error(line, "client is empty");
            } else if !known && !self.opts.create_missing {
                self.error(
                    line,
                    format!("unknown client '{reference}' (use --create-missing to create it)"),
                );
            } else if !known && reference.chars().any(|c| c.is_whitespace() || c.is_control()) {
                self.error(
                    line,
                    format!("client ref '{reference}' contains spaces or control characters"),
                );
            }
            let date = match parse_date(t.get(r, "date")) {
                Ok(d) => Some(d),
                Err(e) => {
                    self.error(line, format!("date: {e}"));
                    None
                }
            };
            let parse = if t.semicolons {
                Money::parse_grouped
            } else {
                Money::parse
            };
            let amount = match parse(t.get(r, "amount")) {
                Ok(m) if m.0.unsigned_abs() > crate::write::MAX_AMOUNT_CENTS as u64 => {
                    self.error(line, format!("amount {m} is too large"));
                    None
                }
                Ok(m) => Some(m),
                Err(e) => {
                    self.error(line, format!("amount: {e}"));
                    None
                }
            };
            let code = t.get(r, "product");
            let product = if code.is_empty() {
                Some(None)
            } else {
                match self.model.product_by_code(code) {
                    Some(p) => Some(Some(p.id)),
                    None => {
                        self.error(line, format!("unknown product '{code}'"));
                        None
                    }
                }
            };
            if let (Some(date), Some(amount), Some(product)) = (date, amount, product)
                && !reference.is_empty()
            {
                if !known {
                    let first = missing.entry(reference).or_insert(date);
                    *first = (*first).min(date);
                }
                planned.push((r, date, amount, product));
            }
        }
        if !self.errors.is_empty() {
            return;
        }
        // New clients get the ids after the current last one, in file order.
        let mut new_ids: HashMap<&str, ClientId> = HashMap::new();
        let mut next = self.model.counters.client;
        for (row, ..) in &planned {
            let (line, reference) = (&row.line, t.get(row, "client"));
            if let Some(created) = missing.get(reference)
                && !new_ids.contains_key(reference)
            {
                next += 1;
                new_ids.insert(reference, ClientId(next));
                self.created_clients += 1;
                self.push((
                    *line,
                    Command::AddClient {
                        reference: reference.to_string(),
                        name: reference.to_string(),
                        segment: None,
                        manager: self.opts.new_clients_manager,
                        created: *created,
                        notes: String::new(),
                        tags: Vec::new(),
                    },
                ));
            }
        }
        // One command a row: sized once (doubling held the old list and
        // the new at once).
        self.commands.reserve(planned.len());
        self.lines.reserve(planned.len());
        for (row, date, amount, product) in planned {
            let reference = t.get(row, "client");
            let client = match self.model.client_by_ref(reference) {
                Some(c) => c.id,
                None => match new_ids.get(reference) {
                    Some(id) => *id,
                    None => continue,
                },
            };
            self.push((
                row.line,
                Command::RecordSettlement {
                    client,
                    date,
                    amount,
                    product,
                    doc: t.get(row, "doc").into(),
                },
            ));
        }
    }
}
