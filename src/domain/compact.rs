//! Compact serde forms for dates in stored records: a date is its day
//! number (i32), a timestamp its seconds and nanoseconds. Text dates would
//! cost an allocation and a parse each, and the store decodes millions of
//! them at start-up.

use chrono::{NaiveDate, NaiveDateTime};
use serde::de::Error;
use serde::{Deserialize, Deserializer, Serializer};

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
        s.serialize_i32(d.num_days_from_ce())
    }
    pub fn deserialize<'de, D: Deserializer<'de>>(d: D) -> Result<NaiveDate, D::Error> {
        to_date(i32::deserialize(d)?)
    }
}

pub mod opt_date {
    use super::*;
    use chrono::Datelike;
    use serde::Serialize;
    pub fn serialize<S: Serializer>(d: &Option<NaiveDate>, s: S) -> Result<S::Ok, S::Error> {
        d.map(|d| d.num_days_from_ce()).serialize(s)
    }
    pub fn deserialize<'de, D: Deserializer<'de>>(d: D) -> Result<Option<NaiveDate>, D::Error> {
        Option::<i32>::deserialize(d)?.map(to_date).transpose()
    }
}

pub mod datetime {
    use super::*;
    use serde::Serialize;
    pub fn serialize<S: Serializer>(d: &NaiveDateTime, s: S) -> Result<S::Ok, S::Error> {
        from_datetime(d).serialize(s)
    }
    pub fn deserialize<'de, D: Deserializer<'de>>(d: D) -> Result<NaiveDateTime, D::Error> {
        to_datetime(<(i64, u32)>::deserialize(d)?)
    }
}

pub mod opt_datetime {
    use super::*;
    use serde::Serialize;
    pub fn serialize<S: Serializer>(d: &Option<NaiveDateTime>, s: S) -> Result<S::Ok, S::Error> {
        d.as_ref().map(from_datetime).serialize(s)
    }
    pub fn deserialize<'de, D: Deserializer<'de>>(d: D) -> Result<Option<NaiveDateTime>, D::Error> {
        Option::<(i64, u32)>::deserialize(d)?.map(to_datetime).transpose()
    }
}
