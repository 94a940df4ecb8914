//! Who did something, as the records keep it.
//!
//! Every stage move, mark, survey and contact names the login that made it:
//! on the 100,000-client data 1.2 million names of a handful of users. As
//! `String`s they were 1.2 million small allocations; a `Login` shares one
//! allocation per user, taken from a per-thread table while decoding. Its
//! serde form is the plain string, so stored records, backups and the wire
//! read and write exactly as before.

use std::borrow::Borrow;
use std::cell::RefCell;
use std::collections::HashSet;
use std::fmt;
use std::ops::Deref;
use std::sync::Arc;

use serde::{Deserialize, Deserializer, Serialize, Serializer};

/// An `Arc<String>`, not an `Arc<str>`: a thin pointer, 8 bytes in each
/// record instead of 16 (one more indirection to read it).
#[derive(Clone, PartialEq, Eq, Hash, PartialOrd, Ord)]
pub struct Login(Arc<String>);

/// The table holds logins, not free text: a longer string, or one past
/// the table's size (data nobody would call a login), is not shared.
const SHARED_LEN: usize = 64;
const SHARED_COUNT: usize = 4096;

/// The last login made or found, then the table. Records come in key
/// order, so the next login is most often the last one (a client's
/// manager): one comparison instead of hashing.
#[derive(Default)]
struct Shared {
    last: Option<Login>,
    table: HashSet<Login>,
}

thread_local! {
    static SHARED: RefCell<Shared> = RefCell::new(Shared::default());
}

impl Login {
    /// The login `s`, sharing the allocation of an equal one made on this
    /// thread before.
    pub fn new(s: &str) -> Login {
        if s.len() > SHARED_LEN {
            return Login(Arc::new(s.to_string()));
        }
        // Not shared (rather than a panic) on a thread whose table is gone.
        SHARED
            .try_with(|shared| Login::shared(&mut shared.borrow_mut(), s))
            .unwrap_or_else(|_| Login(Arc::new(s.to_string())))
    }

    /// `s` from the table of this thread (the last one first).
    fn shared(shared: &mut Shared, s: &str) -> Login {
        if let Some(last) = shared.last.as_ref().filter(|l| l.as_str() == s) {
            return last.clone();
        }
        let found = match shared.table.get(s) {
            Some(found) => found.clone(),
            None => {
                let made = Login(Arc::new(s.to_string()));
                if shared.table.len() < SHARED_COUNT {
                    shared.table.insert(made.clone());
                }
                made
            }
        };
        shared.last = Some(found.clone());
        found
    }

    pub fn as_str(&self) -> &str {
        &self.0
    }
}

impl Default for Login {
    fn default() -> Login {
        Login::new("")
    }
}

impl Deref for Login {
    type Target = str;
    fn deref(&self) -> &str {
        &self.0
    }
}

impl AsRef<str> for Login {
    fn as_ref(&self) -> &str {
        &self.0
    }
}

impl Borrow<str> for Login {
    fn borrow(&self) -> &str {
        &self.0
    }
}

impl fmt::Display for Login {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        f.pad(&self.0)
    }
}

impl fmt::Debug for Login {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        fmt::Debug::fmt(self.as_str(), f)
    }
}

impl From<&str> for Login {
    fn from(s: &str) -> Login {
        Login::new(s)
    }
}

impl From<&String> for Login {
    fn from(s: &String) -> Login {
        Login::new(s)
    }
}

impl From<String> for Login {
    fn from(s: String) -> Login {
        Login::new(&s)
    }
}

impl From<Login> for String {
    fn from(l: Login) -> String {
        Arc::unwrap_or_clone(l.0)
    }
}

impl PartialEq<str> for Login {
    fn eq(&self, other: &str) -> bool {
        self.as_str() == other
    }
}

impl PartialEq<&str> for Login {
    fn eq(&self, other: &&str) -> bool {
        self.as_str() == *other
    }
}

impl PartialEq<String> for Login {
    fn eq(&self, other: &String) -> bool {
        self.as_str() == other.as_str()
    }
}

impl PartialEq<Login> for str {
    fn eq(&self, other: &Login) -> bool {
        self == other.as_str()
    }
}

impl PartialEq<Login> for &str {
    fn eq(&self, other: &Login) -> bool {
        *self == other.as_str()
    }
}

impl PartialEq<Login> for String {
    fn eq(&self, other: &Login) -> bool {
        self.as_str() == other.as_str()
    }
}

impl Serialize for Login {
    fn serialize<S: Serializer>(&self, s: S) -> Result<S::Ok, S::Error> {
        s.serialize_str(&self.0)
    }
}

impl<'de> Deserialize<'de> for Login {
    fn deserialize<D: Deserializer<'de>>(d: D) -> Result<Login, D::Error> {
        struct Visit;
        impl serde::de::Visitor<'_> for Visit {
            type Value = Login;
            fn expecting(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
                f.write_str("a login")
            }
            fn visit_str<E: serde::de::Error>(self, s: &str) -> Result<Login, E> {
                Ok(Login::new(s))
            }
        }
        d.deserialize_str(Visit)
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn equal_logins_share_one_allocation() {
        let a = Login::new("amartin");
        let b: Login = serde_json::from_str("\"amartin\"").unwrap();
        assert!(Arc::ptr_eq(&a.0, &b.0));
        assert_eq!(a, "amartin");
        assert_eq!(b.as_str(), "amartin");
    }

    #[test]
    fn long_text_is_not_shared() {
        let long = "x".repeat(SHARED_LEN + 1);
        let a = Login::new(&long);
        let b = Login::new(&long);
        assert_eq!(a, b);
        assert!(!Arc::ptr_eq(&a.0, &b.0));
    }

    #[test]
    fn the_stored_form_is_the_string() {
        let login = Login::new("hweber");
        let stored = bincode::serde::encode_to_vec(&login, bincode::config::standard()).unwrap();
        let as_string = bincode::serde::encode_to_vec("hweber", bincode::config::standard()).unwrap();
        assert_eq!(stored, as_string);
        let (back, _): (Login, usize) =
            bincode::serde::decode_from_slice(&as_string, bincode::config::standard()).unwrap();
        assert_eq!(back, "hweber");
        // A string that is not UTF-8 is an error, not a panic.
        let bad = [2u8, 0xff, 0xfe];
        assert!(bincode::serde::decode_from_slice::<Login, _>(&bad, bincode::config::standard()).is_err());
    }

    #[test]
    fn decoded_records_share_their_logins() {
        let names = ["amy", "bob", "amy", "amy", "bob"];
        let bytes = bincode::serde::encode_to_vec(names.to_vec(), bincode::config::standard()).unwrap();
        let (back, _): (Vec<Login>, usize) =
            bincode::serde::decode_from_slice(&bytes, bincode::config::standard()).unwrap();
        assert_eq!(back, names);
        assert!(Arc::ptr_eq(&back[0].0, &back[2].0) && Arc::ptr_eq(&back[0].0, &back[3].0));
        assert!(Arc::ptr_eq(&back[1].0, &back[4].0));
        assert!(!Arc::ptr_eq(&back[0].0, &back[1].0));
    }
}
