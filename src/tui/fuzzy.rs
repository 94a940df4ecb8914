//! Incremental fuzzy filter over clients (fuzzy-matcher's skim algorithm)
//! that ignores case and accents: `societe` finds `Société Générale`,
//! `muller` finds `Müller`. Haystacks are folded once; a cheap subsequence
//! test rejects most clients before scoring; matched characters map back
//! to the original name for highlighting.

use fuzzy_matcher::FuzzyMatcher;
use fuzzy_matcher::skim::SkimMatcherV2;
use memchr::memmem::Finder;

use rapport::domain::ClientId;
use rapport::model::Model;

/// Case- and accent-folding, as `rapport find` and duplicates fold.
pub use rapport::find::{fold, fold_into};

/// One client in the index: where its folded text sits in the arena.
#[derive(Debug, PartialEq)]
struct Entry {
    id: ClientId,
    /// Folded name is `text[start..name_end]`; folded `ref · segment ·
    /// contact persons` follows it up to `extra`, then emails, tags and the
    /// notes' first words up to `phones` (searched as a substring: they
    /// are long, and a part of an email is typed as it is), then the
    /// national digits of every phone (`find::phone_digits`) up to `end`.
    start: u32,
    name_end: u32,
    extra: u32,
    phones: u32,
    end: u32,
}

/// The clients that matched the last pattern: the pattern, and their
/// entry positions in ascending order (a longer pattern searches only
/// these, while `valid`).
#[derive(Default)]
struct Last {
    valid: bool,
    pattern: String,
    positions: Vec<u32>,
}

/// Clients matching a pattern.
#[derive(Debug, Clone, Default)]
pub struct Hits {
    /// Best first, ties by id.
    pub ranked: Vec<(ClientId, i64)>,
    /// The same clients in id order (totals merge with the class list).
    pub ascending: Vec<ClientId>,
}

/// The filter's index. The folded text of every client lives in one
/// arena, in id order, so a keystroke scans memory front to back instead
/// of chasing 200,000 separate strings.
pub struct Search {
    text: String,
    entries: Vec<Entry>,
    matcher: SkimMatcherV2,
    last: Last,
    /// Each half's hits, kept for their buffers.
    scratch: (Scored, Scored),
    /// Hits handed back when the filter was cleared, for their buffers.
    spare: Option<Hits>,
    /// Candidates from this many on are scored on two threads.
    parallel_from: usize,
}

/// Appends the folded text of one client to `text`.
fn append(text: &mut String, model: &Model, id: ClientId) -> Option<Entry> {
    let c = model.clients.get(&id)?;
    let start = text.len();
    fold_into(text, &c.name);
    let name_end = text.len();
    fold_into(text, &c.reference);
    if let Some(seg) = c.segment.and_then(|s| model.segments.get(&s)) {
        text.push_str(" · ");
        fold_into(text, &seg.name);
    }
    for p in model.persons_of(id) {
        text.push_str(" · ");
        fold_into(text, &p.name);
    }
    let extra = text.len();
    for p in model.persons_of(id).filter(|p| !p.email.is_empty()) {
        text.push_str(" · ");
        text.extend(p.email.chars().flat_map(char::to_lowercase));
    }
    for tag in &c.tags {
        text.push_str(" · ");
        fold_into(text, tag);
    }
    // The notes' first words: enough to find "calls before ten".
    let cut = c.notes.char_indices().nth(200).map_or(c.notes.len(), |(i, _)| i);
    let notes = c.notes.get(..cut).unwrap_or_default();
    if !notes.trim().is_empty() {
        text.push_str(" · ");
        fold_into(text, notes);
    }
    let phones = text.len();
    for p in model.persons_of(id) {
        for digits in p.phone.split(',').filter_map(rapport::find::phone_digits) {
            text.push('\u{1}');
            text.push_str(&digits);
        }
    }
    let offset = |n: usize| u32::try_from(n).unwrap_or(u32::MAX);
    Some(Entry {
        id,
        start: offset(start),
        name_end: offset(name_end),
        extra: offset(extra),
        phones: offset(phones),
        end: offset(text.len()),
    })
}

/// Whether `pattern`'s bytes occur in `hay` in order (both are folded,
/// and a multi-byte character matches only itself).
fn subsequence(hay: &[u8], pattern: &[u8]) -> bool {
    let mut rest = hay;
    for &p in pattern {
        match memchr::memchr(p, rest) {
            Some(i) => rest = rest.get(i + 1..).unwrap_or_default(),
            None => return false,
        }
    }
    true
}

/// Ranking: matches in the name first (a run of the pattern before a
/// scattered one), then clients that match only through their ref,
/// segment or contact persons. Higher is better.
const TIER: i64 = 1 << 40;

/// Fewer candidates than this are scored on one thread.
const PARALLEL_FROM: usize = 20_000;

/// Hits best first, and the entry positions that matched.
type Scored = (Vec<(ClientId, i64)>, Vec<u32>);

fn best_first(a: &(ClientId, i64), b: &(ClientId, i64)) -> std::cmp::Ordering {
    b.1.cmp(&a.1).then(a.0.cmp(&b.0))
}

/// Appends the two best-first runs `a` and `b` to `out`, best first.
fn merge(out: &mut Vec<(ClientId, i64)>, a: &[(ClientId, i64)], b: &[(ClientId, i64)]) {
    out.reserve(a.len() + b.len());
    let (mut a, mut b) = (a.iter().peekable(), b.iter().peekable());
    loop {
        let next = match (a.peek(), b.peek()) {
            (Some(x), Some(y)) if best_first(x, y).is_le() => a.next(),
            (Some(_), Some(_)) => b.next(),
            (Some(_), None) => a.next(),
            (None, _) => b.next(),
        };
        match next {
            Some(hit) => out.push(*hit),
            None => break,
        }
    }
}

impl Entry {
    /// The same entry in a text that starts `by` bytes later.
    fn shifted(self, by: u32) -> Entry {
        Entry {
            start: self.start.saturating_add(by),
            name_end: self.name_end.saturating_add(by),
            extra: self.extra.saturating_add(by),
            phones: self.phones.saturating_add(by),
            end: self.end.saturating_add(by),
            ..self
        }
    }
}

/// The folded text and entries of `ids`, in their order.
fn part(model: &Model, ids: &[ClientId]) -> (String, Vec<Entry>) {
    let mut text = String::with_capacity(ids.len() * 96);
    let entries = ids.iter().filter_map(|id| append(&mut text, model, *id)).collect();
    (text, entries)
}

impl Search {
    /// Folding every client is most of a session's start after the model:
    /// a large book is folded in two halves on two threads.
    pub fn build(model: &Model) -> Search {
        Search::build_from(model, PARALLEL_FROM)
    }

    /// `build`, in two halves from `halves_from` clients on.
    fn build_from(model: &Model, halves_from: usize) -> Search {
        let ids: Vec<ClientId> = model.clients.keys().copied().collect();
        let (mut text, mut entries) = if ids.len() < halves_from {
            part(model, &ids)
        } else {
            let (first, second) = ids.split_at(ids.len() / 2);
            let ((mut text, mut entries), (rest, later)) = std::thread::scope(|s| {
                let later = s.spawn(|| part(model, second));
                let first = part(model, first);
                (first, later.join().unwrap_or_else(|p| std::panic::resume_unwind(p)))
            });
            let by = u32::try_from(text.len()).unwrap_or(u32::MAX);
            text.push_str(&rest);
            entries.extend(later.into_iter().map(|e| e.shifted(by)));
            (text, entries)
        };
        text.shrink_to_fit();
        entries.shrink_to_fit();
        // Buffers for the widest filter (a first keystroke matches most
        // clients), sized now rather than grown during that keystroke.
        let n = entries.len();
        let half = || (Vec::with_capacity(n / 2 + 1), Vec::with_capacity(n / 2 + 1));
        Search {
            text,
            entries,
            matcher: SkimMatcherV2::default(),
            last: Last {
                positions: Vec::with_capacity(n),
                ..Last::default()
            },
            scratch: (half(), half()),
            spare: Some(Hits {
                ranked: Vec::with_capacity(n),
                ascending: Vec::with_capacity(n),
            }),
            parallel_from: PARALLEL_FROM,
        }
    }

    /// Re-reads one client (after an edit). Its new text goes to the end
    /// of the arena; the old text stays until the arena is rebuilt.
    pub fn update(&mut self, model: &Model, id: ClientId) {
        self.last.valid = false;
        let pos = self.entries.binary_search_by_key(&id, |e| e.id);
        match (pos, append(&mut self.text, model, id)) {
            (Ok(i), Some(e)) => self.entries[i] = e,
            (Err(i), Some(e)) => self.entries.insert(i, e),
            (Ok(i), None) => {
                self.entries.remove(i);
            }
            (Err(_), None) => {}
        }
        let live: usize = self.entries.iter().map(|e| (e.end - e.start) as usize).sum();
        if self.text.len() > 2 * live + 4096 {
            *self = Search::build(model);
        }
    }

    fn slice(&self, from: u32, to: u32) -> &str {
        self.text.get(from as usize..to as usize).unwrap_or_default()
    }

    fn name(&self, e: &Entry) -> &str {
        self.slice(e.start, e.name_end)
    }

    fn position(&self, id: ClientId) -> Option<usize> {
        self.entries.binary_search_by_key(&id, |e| e.id).ok()
    }

    /// The folded name of a client (a sort key).
    pub fn name_key(&self, id: ClientId) -> Option<&str> {
        self.position(id).map(|i| self.name(&self.entries[i]))
    }

    fn score(&self, e: &Entry, pattern: &str, run: &Finder, phone: Option<&Finder>) -> Option<i64> {
        // A phone number or a part of it: its digits in a phone first,
        // else the pattern as typed anywhere (a ref's digits).
        if let Some(digits) = phone {
            if let Some(pos) = digits.find(self.slice(e.phones, e.end).as_bytes()) {
                return Some(3 * TIER - pos as i64);
            }
            run.find(self.slice(e.start, e.phones).as_bytes())?;
        } else if !subsequence(self.slice(e.start, e.extra).as_bytes(), pattern.as_bytes()) {
            // An email, a tag, the notes: the pattern as typed, in them
            // (from 3 characters: fewer say nothing of an email).
            if pattern.len() < 3 {
                return None;
            }
            return run.find(self.slice(e.extra, e.phones).as_bytes()).map(|_| 0);
        }
        let name = self.name(e);
        if let Some(pos) = run.find(name.as_bytes()) {
            // A run in the name; earlier and at a word start is better.
            let word_start = pos == 0 || name.as_bytes().get(pos - 1) == Some(&b' ');
            return Some(2 * TIER + i64::from(word_start) * 1000 - pos as i64);
        }
        if subsequence(name.as_bytes(), pattern.as_bytes()) {
            let s = if pattern.len() > 1 {
                self.matcher.fuzzy_match(name, pattern).unwrap_or(0)
            } else {
                0
            };
            return Some(TIER + s);
        }
        Some(0)
    }

    /// Scores the entries at `positions` (ascending) into `out`: the hits
    /// sorted best first, and the positions that matched (still ascending).
    fn score_all(&self, positions: impl Iterator<Item = u32>, pattern: &str, phone: Option<&str>, out: &mut Scored) {
        let (ranked, matched) = out;
        let run = Finder::new(pattern.as_bytes());
        let digits = phone.map(|d| Finder::new(d.as_bytes()));
        for p in positions {
            if let Some(e) = self.entries.get(p as usize)
                && let Some(s) = self.score(e, pattern, &run, digits.as_ref())
            {
                ranked.push((e.id, s));
                matched.push(p);
            }
        }
        ranked.sort_unstable_by(best_first);
    }

    /// The clients matching `pattern`. A pattern that extends the last
    /// one searches only the last one's hits: a longer pattern narrows.
    /// `recycle` hands back the previous hits, whose buffers are reused:
    /// allocating megabytes afresh per keystroke costs more than scoring.
    pub fn filter(&mut self, pattern: &str, recycle: Option<Hits>) -> Hits {
        let (pattern, _) = fold(pattern.trim());
        let mut hits = recycle.or_else(|| self.spare.take()).unwrap_or_default();
        hits.ranked.clear();
        hits.ascending.clear();
        if pattern.is_empty() {
            self.last.valid = false;
            hits.ranked.extend(self.entries.iter().map(|e| (e.id, 0)));
            hits.ascending.extend(self.entries.iter().map(|e| e.id));
            return hits;
        }
        // Digits (with the separators of a phone number) search phones;
        // such a pattern never narrows nor is narrowed.
        let phone = rapport::find::phone_digits(&pattern);
        // Emails, tags and notes count from 3 characters: a shorter last
        // pattern's hits may lack what a longer one finds there.
        let narrowing = phone.is_none()
            && self.last.valid
            && pattern.starts_with(&self.last.pattern)
            && (self.last.pattern.len() >= 3 || pattern.len() < 3);
        let mut last = std::mem::take(&mut self.last);
        let n = if narrowing {
            last.positions.len()
        } else {
            self.entries.len()
        };
        let (mut left, mut right) = std::mem::take(&mut self.scratch);
        for (ranked, matched) in [&mut left, &mut right] {
            ranked.clear();
            matched.clear();
        }
        {
            let this = &*self;
            let candidates = &last.positions;
            let (pattern, narrowing, phone) = (&pattern, narrowing, phone.as_deref());
            let run = |range: std::ops::Range<usize>, out: &mut Scored| {
                if narrowing {
                    let slice = candidates.get(range).unwrap_or_default();
                    this.score_all(slice.iter().copied(), pattern, phone, out);
                } else {
                    this.score_all(range.filter_map(|p| u32::try_from(p).ok()), pattern, phone, out);
                }
            };
            // Two cores: each scores and sorts one half.
            if n >= this.parallel_from {
                let mid = n / 2;
                std::thread::scope(|s| {
                    s.spawn(|| run(mid..n, &mut right));
                    run(0..mid, &mut left);
                });
            } else {
                run(0..n, &mut left);
            }
        }
        merge(&mut hits.ranked, &left.0, &right.0);
        // The halves' positions are each ascending, the left ones first.
        last.positions.clear();
        last.positions.extend(left.1.iter().chain(&right.1));
        hits.ascending.extend(
            last.positions
                .iter()
                .filter_map(|p| self.entries.get(*p as usize).map(|e| e.id)),
        );
        // A phone pattern is not a prefix any text pattern narrows from.
        last.valid = phone.is_none();
        last.pattern = pattern;
        self.last = last;
        self.scratch = (left, right);
        hits
    }

    /// Scores on two threads from `n` candidates on (tests take the
    /// two-thread path on small data).
    #[cfg(test)]
    pub fn parallel_from(mut self, n: usize) -> Search {
        self.parallel_from = n;
        self
    }

    /// Takes back the hits of a cleared filter: the next filter reuses
    /// their buffers.
    pub fn give_back(&mut self, hits: Hits) {
        self.spare = Some(hits);
    }

    /// Indexes of the characters of the client's name (`shown`, as it is
    /// drawn) that `pattern` matched (none when it matched elsewhere). The
    /// name is folded again here, for the rows on screen only, rather than
    /// keeping a position map for every client.
    pub fn highlight(&self, id: ClientId, shown: &str, pattern: &str) -> Vec<usize> {
        let (pattern, _) = fold(pattern.trim());
        let Some(i) = self.position(id) else {
            return Vec::new();
        };
        if pattern.is_empty() {
            return Vec::new();
        }
        let name = self.name(&self.entries[i]);
        let folded: Vec<usize> = if let Some(pos) = name.find(&pattern) {
            let start = name.get(..pos).map_or(0, |p| p.chars().count());
            (start..start + pattern.chars().count()).collect()
        } else {
            match self.matcher.fuzzy_indices(name, &pattern) {
                Some((_, idx)) => idx,
                None => return Vec::new(),
            }
        };
        let (_, map) = fold(shown);
        let mut out: Vec<usize> = folded.into_iter().filter_map(|i| map.get(i).copied()).collect();
        out.dedup();
        out
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn two_halves_index_as_one() {
        let dir = tempfile::tempdir().unwrap();
        let store = crate::tui::tests::demo_store(dir.path(), 120);
        let model = store.model();
        let mut one = Search::build_from(model, usize::MAX);
        let mut two = Search::build_from(model, 0);
        assert_eq!(one.text, two.text);
        assert_eq!(one.entries, two.entries);
        assert_eq!(one.entries.len(), model.clients.len());
        for pattern in ["mul", "gmbh", "06", "a"] {
            assert_eq!(
                one.filter(pattern, None).ranked,
                two.filter(pattern, None).ranked,
                "{pattern}"
            );
        }
    }

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
        assert!(subsequence(b"muller & sohne", b"mlr"));
        assert!(!subsequence(b"muller", b"rm"));
        assert!(subsequence(b"muller", b""));
        assert!(!subsequence(b"", b"m"));
    }
}
