//! Compact serde forms for dates in stored records: in binary formats a
//! date is its day number (i32) and a timestamp its seconds and
//! nanoseconds; text dates would cost an allocation and a parse each, and
//! the store decodes millions of them at start-up. Human-readable formats
//! (JSON backups) keep chrono's ISO text.

use chrono::{NaiveDate, NaiveDateTime};
use serde::de::Error;
use serde::{Deserialize, Deserializer, Serialize, Serializer};

fn to_date<E: Error>(n: i32) -> Result<NaiveDate, E> {
    NaiveDate::from_num_days_from_ce_opt(n).ok_or_else(|| E::custom(format!("day number {n} is out of range")))
}

fn to_datetime<E: Error>((secs, nanos): (i64, u32)) -> Result<NaiveDateTime, E> {
    chrono::DateTime::from_timestamp(secs, nanos)
        .map(|d| d.naive_utc())
        .ok_or_else(|| E::custom(format!("timestamp {secs}.{nanos} is out of range")))
}

fn from_datetime(d: &NaiveDateTime) -> (i64, u32) {
    let utc = d.and_utc();
    (utc.timestamp(), utc.timestamp_subsec_nanos())
}

pub mod date {
    use super::*;
    use chrono::Datelike;
    pub fn serialize<S: Serializer>(d: &NaiveDate, s: S) -> Result<S::Ok, S::Error> {
        if s.is_human_readable() {
            d.serialize(s)
        } else {
            s.serialize_i32(d.num_days_from_ce())
        }
    }
    pub fn deserialize<'de, D: Deserializer<'de>>(d: D) -> Result<NaiveDate, D::Error> {
        if d.is_human_readable() {
            NaiveDate::deserialize(d)
        } else {
            to_date(i32::deserialize(d)?)
        }
    }
}

pub mod opt_date {
    use super::*;
    use chrono::Datelike;
    pub fn serialize<S: Serializer>(d: &Option<NaiveDate>, s: S) -> Result<S::Ok, S::Error> {
        if s.is_human_readable() {
            d.serialize(s)
        } else {
            d.map(|d| d.num_days_from_ce()).serialize(s)
        }
    }
    pub fn deserialize<'de, D: Deserializer<'de>>(d: D) -> Result<Option<NaiveDate>, D::Error> {
        if d.is_human_readable() {
            Option::<NaiveDate>::deserialize(d)
        } else {
            Option::<i32>::deserialize(d)?.map(to_date).transpose()
        }
    }
}

pub mod datetime {
    use super::*;
    pub fn serialize<S: Serializer>(d: &NaiveDateTime, s: S) -> Result<S::Ok, S::Error> {
        if s.is_human_readable() {
            d.serialize(s)
        } else {
            from_datetime(d).serialize(s)
        }
    }
    pub fn deserialize<'de, D: Deserializer<'de>>(d: D) -> Result<NaiveDateTime, D::Error> {
        if d.is_human_readable() {
            NaiveDateTime::deserialize(d)
        } else {
            to_datetime(<(i64, u32)>::deserialize(d)?)
        }
    }
}

pub mod opt_datetime {
    use super::*;
    pub fn serialize<S: Serializer>(d: &Option<NaiveDateTime>, s: S) -> Result<S::Ok, S::Error> {
        if s.is_human_readable() {
            d.serialize(s)
        } else {
            d.as_ref().map(from_datetime).serialize(s)
        }
    }
    pub fn deserialize<'de, D: Deserializer<'de>>(d: D) -> Result<Option<NaiveDateTime>, D::Error> {
        if d.is_human_readable() {
            Option::<NaiveDateTime>::deserialize(d)
        } else {
            Option::<(i64, u32)>::deserialize(d)?.map(to_datetime).transpose()
        }
    }
}
