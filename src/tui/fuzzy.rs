//! Incremental fuzzy filter over clients (fuzzy-matcher's skim algorithm)
//! that ignores case and accents: `societe` finds `Société Générale`,
//! `muller` finds `Müller`. Haystacks are folded once; a cheap subsequence
//! test rejects most clients before scoring; matched characters map back
//! to the original name for highlighting.

use fuzzy_matcher::FuzzyMatcher;
use fuzzy_matcher::skim::SkimMatcherV2;
use unicode_normalization::char::{decompose_canonical, is_combining_mark};

use rapport::domain::ClientId;
use rapport::model::Model;

/// Case- and accent-folds `s`; also returns, for each folded character,
/// the index of the original character it came from.
pub fn fold(s: &str) -> (String, Vec<usize>) {
    let mut out = String::with_capacity(s.len());
    let mut map = Vec::with_capacity(s.len());
    for (i, c) in s.chars().enumerate() {
        let mut push = |c: char| {
            for l in c.to_lowercase() {
                out.push(l);
                map.push(i);
            }
        };
        match c {
            'ß' => "ss".chars().for_each(&mut push),
            'æ' | 'Æ' => "ae".chars().for_each(&mut push),
            'œ' | 'Œ' => "oe".chars().for_each(&mut push),
            'ø' | 'Ø' => push('o'),
            'ł' | 'Ł' => push('l'),
            'đ' | 'Đ' => push('d'),
            c if c.is_ascii() => push(c),
            c => decompose_canonical(c, |d| {
                if !is_combining_mark(d) {
                    push(d)
                }
            }),
        }
    }
    (out, map)
}

struct Entry {
    id: ClientId,
    /// Folded name.
    name: String,
    /// Folded `ref · segment · contact persons`.
    rest: String,
    /// Folded name character → original name character.
    name_map: Vec<usize>,
}

pub struct Search {
    entries: Vec<Entry>,
    matcher: SkimMatcherV2,
}

fn entry(model: &Model, id: ClientId) -> Option<Entry> {
    let c = model.clients.get(&id)?;
    let (name, name_map) = fold(&c.name);
    let mut rest = fold(&c.reference).0;
    if let Some(seg) = c.segment.and_then(|s| model.segments.get(&s)) {
        rest.push_str(" · ");
        rest.push_str(&fold(&seg.name).0);
    }
    for p in model.persons_of(id) {
        rest.push_str(" · ");
        rest.push_str(&fold(&p.name).0);
    }
    Some(Entry {
        id,
        name,
        rest,
        name_map,
    })
}

/// Whether `pattern`'s characters occur in `hay` in order (bytes: both
/// are folded, and a multi-byte character matches only itself).
fn subsequence(hay: &str, pattern: &str) -> bool {
    let mut h = hay.bytes();
    pattern.bytes().all(|p| h.any(|c| c == p))
}

/// Whether `pattern` occurs in order across `name` then `rest`.
fn subsequence_across(name: &str, rest: &str, pattern: &str) -> bool {
    let mut h = name.bytes().chain(rest.bytes());
    pattern.bytes().all(|p| h.any(|c| c == p))
}

/// Ranking: matches in the name first (a run of the pattern before a
/// scattered one), then clients that match only through their ref,
/// segment or contact persons. Higher is better.
const TIER: i64 = 1 << 40;

impl Search {
    pub fn build(model: &Model) -> Search {
        Search {
            entries: model.clients.keys().filter_map(|id| entry(model, *id)).collect(),
            matcher: SkimMatcherV2::default(),
        }
    }

    /// Re-reads one client (after an edit).
    pub fn update(&mut self, model: &Model, id: ClientId) {
        let pos = self.entries.binary_search_by_key(&id, |e| e.id);
        match (pos, entry(model, id)) {
            (Ok(i), Some(e)) => self.entries[i] = e,
            (Err(i), Some(e)) => self.entries.insert(i, e),
            (Ok(i), None) => {
                self.entries.remove(i);
            }
            (Err(_), None) => {}
        }
    }

    /// The folded name of a client (a sort key).
    pub fn name_key(&self, id: ClientId) -> Option<&str> {
        self.entries
            .binary_search_by_key(&id, |e| e.id)
            .ok()
            .map(|i| self.entries[i].name.as_str())
    }

    fn score(&self, e: &Entry, pattern: &str) -> Option<i64> {
        if !subsequence_across(&e.name, &e.rest, pattern) {
            return None;
        }
        if let Some(pos) = e.name.find(pattern) {
            // A run in the name; earlier and at a word start is better.
            let word_start = pos == 0 || e.name.as_bytes().get(pos - 1) == Some(&b' ');
            return Some(2 * TIER + i64::from(word_start) * 1000 - pos as i64);
        }
        if subsequence(&e.name, pattern) {
            let s = if pattern.len() > 1 {
                self.matcher.fuzzy_match(&e.name, pattern).unwrap_or(0)
            } else {
                0
            };
            return Some(TIER + s);
        }
        Some(0)
    }

    /// The clients matching `pattern`, best first (ties by id). `within`
    /// narrows an earlier result as the pattern grows.
    pub fn filter(&self, pattern: &str, within: Option<&[ClientId]>) -> Vec<(ClientId, i64)> {
        let (pattern, _) = fold(pattern.trim());
        if pattern.is_empty() {
            return self.entries.iter().map(|e| (e.id, 0)).collect();
        }
        let candidates: Vec<&Entry> = match within {
            Some(ids) => ids
                .iter()
                .filter_map(|id| {
                    self.entries
                        .binary_search_by_key(id, |e| e.id)
                        .ok()
                        .map(|i| &self.entries[i])
                })
                .collect(),
            None => self.entries.iter().collect(),
        };
        let score = |chunk: &[&Entry]| -> Vec<(ClientId, i64)> {
            chunk
                .iter()
                .filter_map(|e| self.score(e, &pattern).map(|s| (e.id, s)))
                .collect()
        };
        // Two cores: score the halves of a big list side by side.
        let mut hits = if candidates.len() > 20_000 {
            let (left, right) = candidates.split_at(candidates.len() / 2);
            std::thread::scope(|s| {
                let r = s.spawn(|| score(right));
                let mut l = score(left);
                l.extend(r.join().unwrap_or_default());
                l
            })
        } else {
            score(&candidates)
        };
        hits.sort_unstable_by(|a, b| b.1.cmp(&a.1).then(a.0.cmp(&b.0)));
        hits
    }

    /// Indexes of the characters of the client's name that `pattern`
    /// matched (none when it matched elsewhere).
    pub fn highlight(&self, id: ClientId, pattern: &str) -> Vec<usize> {
        let (pattern, _) = fold(pattern.trim());
        let Some(e) = self
            .entries
            .binary_search_by_key(&id, |e| e.id)
            .ok()
            .map(|i| &self.entries[i])
        else {
            return Vec::new();
        };
        if pattern.is_empty() {
            return Vec::new();
        }
        let folded: Vec<usize> = if let Some(pos) = e.name.find(&pattern) {
            let start = e.name.get(..pos).map_or(0, |p| p.chars().count());
            (start..start + pattern.chars().count()).collect()
        } else {
            match self.matcher.fuzzy_indices(&e.name, &pattern) {
                Some((_, idx)) => idx,
                None => return Vec::new(),
            }
        };
        let mut out: Vec<usize> = folded.into_iter().filter_map(|i| e.name_map.get(i).copied()).collect();
        out.dedup();
        out
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn folding_drops_case_and_accents() {
        assert_eq!(fold("Société Générale Équipements").0, "societe generale equipements");
        assert_eq!(fold("Müller & Söhne").0, "muller & sohne");
        assert_eq!(fold("Größenwahn").0, "grossenwahn");
        assert_eq!(fold("Œuvre Ærø").0, "oeuvre aero");
        let (s, map) = fold("Großé");
        assert_eq!(s, "grosse");
        assert_eq!(map, vec![0, 1, 2, 3, 3, 4]);
    }

    #[test]
    fn subsequence_prefilter() {
        assert!(subsequence("muller & sohne", "mlr"));
        assert!(!subsequence("muller", "rm"));
    }
}
