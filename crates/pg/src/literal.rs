//! A command's writes as one script of SQL text: the statements of its
//! rows, its event and its COMMIT go to the server in one round trip, so
//! the write lock is held for one exchange instead of one per row. Each
//! statement is prepared once per connection (SQL `PREPARE`, planned once)
//! and run with `EXECUTE`, its values written as literals (quoted by
//! `postgres-protocol`, libpq's quoting), each with its type.

use std::collections::HashSet;

use chrono::{Datelike, NaiveDate, NaiveDateTime};
use postgres::types::{Json, ToSql};
use serde::Serialize;

use crate::PgError;

/// A statement's parameter: bound as a value (a prepared statement, a
/// COPY) or written as a literal (a script).
pub(crate) trait Arg: ToSql + Sync {
    fn literal(&self, out: &mut String) -> Result<(), PgError>;
}

fn text(s: &str, out: &mut String) -> Result<(), PgError> {
    // A query string ends at a NUL byte, and PostgreSQL text holds none.
    if s.contains('\0') {
        return Err(PgError::Schema(
            "a text holds a NUL character, which PostgreSQL cannot store".into(),
        ));
    }
    out.push_str(&postgres_protocol::escape::escape_literal(s));
    Ok(())
}

impl Arg for i32 {
    fn literal(&self, out: &mut String) -> Result<(), PgError> {
        out.push_str(&self.to_string());
        Ok(())
    }
}

impl Arg for i64 {
    fn literal(&self, out: &mut String) -> Result<(), PgError> {
        out.push_str(&self.to_string());
        out.push_str("::bigint");
        Ok(())
    }
}

impl Arg for bool {
    fn literal(&self, out: &mut String) -> Result<(), PgError> {
        out.push_str(if *self { "true" } else { "false" });
        Ok(())
    }
}

impl Arg for &str {
    fn literal(&self, out: &mut String) -> Result<(), PgError> {
        text(self, out)?;
        out.push_str("::text");
        Ok(())
    }
}

impl Arg for String {
    fn literal(&self, out: &mut String) -> Result<(), PgError> {
        self.as_str().literal(out)
    }
}

/// Years PostgreSQL reads back as written (chrono writes others with a sign).
fn plain_year(year: i32) -> Result<(), PgError> {
    if (1..=9999).contains(&year) {
        Ok(())
    } else {
        Err(PgError::Schema(format!("the year {year} is out of range")))
    }
}

impl Arg for NaiveDate {
    fn literal(&self, out: &mut String) -> Result<(), PgError> {
        plain_year(self.year())?;
        out.push_str(&format!("'{}'::date", self.format("%Y-%m-%d")));
        Ok(())
    }
}

impl Arg for NaiveDateTime {
    fn literal(&self, out: &mut String) -> Result<(), PgError> {
        plain_year(self.year())?;
        out.push_str(&format!("'{}'::timestamp", self.format("%Y-%m-%d %H:%M:%S%.6f")));
        Ok(())
    }
}

impl<T: Arg> Arg for Option<T> {
    fn literal(&self, out: &mut String) -> Result<(), PgError> {
        match self {
            Some(v) => v.literal(out),
            None => {
                out.push_str("NULL");
                Ok(())
            }
        }
    }
}

impl<T: Arg> Arg for &T {
    fn literal(&self, out: &mut String) -> Result<(), PgError> {
        (**self).literal(out)
    }
}

fn json_text<T: Serialize + ?Sized>(value: &T, out: &mut String) -> Result<(), PgError> {
    let encoded =
        serde_json::to_string(value).map_err(|e| PgError::Schema(format!("cannot write a record as JSON: {e}")))?;
    text(&encoded, out)?;
    out.push_str("::jsonb");
    Ok(())
}

impl<T: Serialize + std::fmt::Debug + Sync> Arg for Json<T> {
    fn literal(&self, out: &mut String) -> Result<(), PgError> {
        json_text(&self.0, out)
    }
}

impl Arg for serde_json::Value {
    fn literal(&self, out: &mut String) -> Result<(), PgError> {
        json_text(self, out)
    }
}

/// bytea, as hex (no backslashes, whatever the server's settings).
impl Arg for Vec<u8> {
    fn literal(&self, out: &mut String) -> Result<(), PgError> {
        const HEX: &[u8; 16] = b"0123456789abcdef";
        out.reserve(self.len() * 2 + 20);
        out.push_str("decode('");
        for b in self {
            out.push(char::from(HEX[usize::from(b >> 4)]));
            out.push(char::from(HEX[usize::from(b & 15)]));
        }
        out.push_str("', 'hex')");
        Ok(())
    }
}

impl Arg for Vec<i32> {
    fn literal(&self, out: &mut String) -> Result<(), PgError> {
        let items: Vec<String> = self.iter().map(i32::to_string).collect();
        out.push_str(&format!("'{{{}}}'::integer[]", items.join(",")));
        Ok(())
    }
}

impl Arg for Vec<Option<i32>> {
    fn literal(&self, out: &mut String) -> Result<(), PgError> {
        let items: Vec<String> = self
            .iter()
            .map(|v| v.map_or_else(|| "NULL".to_string(), |v| v.to_string()))
            .collect();
        out.push_str(&format!("'{{{}}}'::integer[]", items.join(",")));
        Ok(())
    }
}

impl<T: Serialize + std::fmt::Debug + Sync> Arg for Vec<Json<T>> {
    fn literal(&self, out: &mut String) -> Result<(), PgError> {
        if self.is_empty() {
            out.push_str("'{}'::jsonb[]");
            return Ok(());
        }
        out.push_str("ARRAY[");
        for (i, item) in self.iter().enumerate() {
            if i > 0 {
                out.push_str(", ");
            }
            item.literal(out)?;
        }
        out.push(']');
        Ok(())
    }
}

/// `sql` with each `$N` replaced by the literal of `params[N - 1]`: our
/// own statements, whose text has no `$` other than their parameters.
pub(crate) fn substitute(sql: &str, params: &[&dyn Arg], out: &mut String) -> Result<(), PgError> {
    let mut rest = sql;
    while let Some(at) = rest.find('$') {
        out.push_str(&rest[..at]);
        let digits = rest[at + 1..].bytes().take_while(u8::is_ascii_digit).count();
        let number: usize = rest[at + 1..at + 1 + digits]
            .parse()
            .map_err(|_| PgError::Schema(format!("a statement has a stray '$': {sql}")))?;
        let param = number
            .checked_sub(1)
            .and_then(|i| params.get(i))
            .ok_or_else(|| PgError::Schema(format!("a statement lacks its parameter ${number}: {sql}")))?;
        param.literal(out)?;
        rest = &rest[at + 1 + digits..];
    }
    out.push_str(rest);
    Ok(())
}

/// The statements this connection prepared by name, for scripts.
#[derive(Debug, Default)]
pub(crate) struct Named {
    known: HashSet<String>,
    /// A script was built and may not have run whole: which PREPAREs ran
    /// is asked of the server before the next one.
    unsure: bool,
}

impl Named {
    /// Appends `EXECUTE` of the statement `name` (whose text `sql` gives)
    /// with `params`, preceded by its `PREPARE` the first time (then
    /// returns true: one statement more in the script).
    pub(crate) fn call(
        &mut self,
        name: &str,
        sql: impl FnOnce() -> String,
        params: &[&dyn Arg],
        out: &mut String,
    ) -> Result<bool, PgError> {
        let ident = ident(name);
        let prepare = !self.known.contains(&ident);
        if prepare {
            out.push_str(&format!("PREPARE {ident} AS {};\n", sql()));
            self.known.insert(ident.clone());
        }
        out.push_str("EXECUTE ");
        out.push_str(&ident);
        for (i, param) in params.iter().enumerate() {
            out.push_str(if i == 0 { "(" } else { ", " });
            param.literal(out)?;
        }
        if !params.is_empty() {
            out.push(')');
        }
        Ok(prepare)
    }

    /// Before building a script: learns what is prepared if the last one
    /// failed; from here to `sent` a failure leaves that unknown.
    pub(crate) fn begin(&mut self, client: &mut postgres::Client) -> Result<(), PgError> {
        if self.unsure {
            self.known = client
                .query(
                    "SELECT name FROM pg_prepared_statements WHERE name LIKE 'rapport\\_%'",
                    &[],
                )?
                .iter()
                .filter_map(|row| row.try_get::<_, String>(0).ok())
                .collect();
            self.unsure = false;
        }
        self.unsure = true;
        Ok(())
    }

    /// The script ran whole: every PREPARE in it is known to have run.
    pub(crate) fn sent(&mut self) {
        self.unsure = false;
    }
}

/// The SQL name of statement `name` (ours: letters and '-').
fn ident(name: &str) -> String {
    let mut ident = String::from("rapport_");
    for c in name.chars() {
        ident.push(match c {
            'a'..='z' | '0'..='9' | '_' => c,
            'A'..='Z' => c.to_ascii_lowercase(),
            _ => '_',
        });
    }
    // "settlement-" (the delete) and "settlement" (the upsert) differ.
    if name.ends_with('-') {
        ident.push_str("gone");
    }
    ident
}

#[cfg(test)]
mod tests {
    use super::*;

    fn lit(params: &[&dyn Arg], sql: &str) -> String {
        let mut out = String::new();
        substitute(sql, params, &mut out).unwrap();
        out
    }

    #[test]
    fn values_become_typed_literals_in_place() {
        let date = NaiveDate::from_ymd_opt(2026, 3, 9).unwrap();
        let at = date.and_hms_micro_opt(8, 5, 1, 42).unwrap();
        let none: Option<i32> = None;
        let sql = lit(
            &[
                &7i32,
                &8i64,
                &"O'Brien",
                &date,
                &at,
                &none,
                &true,
                &vec![1u8, 255],
                &vec![3, 4],
            ],
            "VALUES ($1, $2, $3, $4, $5, $6, $7, $8, $9)",
        );
        assert_eq!(
            sql,
            "VALUES (7, 8::bigint, 'O''Brien'::text, '2026-03-09'::date, \
             '2026-03-09 08:05:01.000042'::timestamp, NULL, true, decode('01ff', 'hex'), '{3,4}'::integer[])"
        );
        // $10 is the tenth, not the first followed by a zero.
        let ten: Vec<&dyn Arg> = (0..10).map(|_| &1i32 as &dyn Arg).collect();
        assert_eq!(lit(&ten, "$10|$1"), "1|1");
    }

    #[test]
    fn quotes_and_backslashes_cannot_end_a_literal() {
        let sql = lit(&[&"a\\'; DROP TABLE clients; --"], "SELECT $1");
        assert_eq!(sql, "SELECT  E'a\\\\''; DROP TABLE clients; --'::text");
        let json = lit(&[&Json("it's \\ \"x\"")], "SELECT $1");
        assert_eq!(json, "SELECT  E'\"it''s \\\\\\\\ \\\\\"x\\\\\"\"'::jsonb");
    }

    #[test]
    fn a_statement_is_prepared_once_then_executed() {
        let mut named = Named::default();
        let mut out = String::new();
        let sql = "INSERT INTO t (a, b) VALUES ($1, $2)";
        named
            .call("settlement", || sql.into(), &[&1i32, &"x"], &mut out)
            .unwrap();
        named
            .call("settlement", || sql.into(), &[&2i32, &"y"], &mut out)
            .unwrap();
        named
            .call("settlement-", || "DELETE FROM t".into(), &[], &mut out)
            .unwrap();
        assert_eq!(
            out,
            "PREPARE rapport_settlement AS INSERT INTO t (a, b) VALUES ($1, $2);\n\
             EXECUTE rapport_settlement(1, 'x'::text)EXECUTE rapport_settlement(2, 'y'::text)\
             PREPARE rapport_settlement_gone AS DELETE FROM t;\nEXECUTE rapport_settlement_gone"
        );
    }

    #[test]
    fn what_cannot_be_written_is_refused() {
        let mut out = String::new();
        assert!(substitute("SELECT $1", &[&"a\0b"], &mut out).is_err());
        assert!(substitute("SELECT $2", &[&1i32], &mut out).is_err());
        assert!(substitute("SELECT $x", &[&1i32], &mut out).is_err());
        let far = NaiveDate::from_ymd_opt(12_000, 1, 1).unwrap();
        assert!(substitute("SELECT $1", &[&far], &mut out).is_err());
        let empty: Vec<Json<i32>> = Vec::new();
        assert_eq!(
            lit(&[&empty, &vec![Json(1)]], "$1 $2"),
            "'{}'::jsonb[] ARRAY['1'::jsonb]"
        );
        assert_eq!(lit(&[&vec![None, Some(2)]], "$1"), "'{NULL,2}'::integer[]");
    }
}
