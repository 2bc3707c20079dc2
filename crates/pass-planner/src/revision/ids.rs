//! Ids as text: telling an id the PRD wrote from one PASS minted, minting
//! ids never used before in a project, and renaming ids wherever the pack
//! mentions them.

use std::collections::{BTreeMap, BTreeSet, HashMap};

/// Whether `c` can be part of an id token.
fn is_id_char(c: char) -> bool {
    c.is_alphanumeric() || c == '-' || c == '_' || c == '.'
}

/// Whether `id` appears in `text` as a whole token (not inside a longer id).
pub fn mentions(text: &str, id: &str) -> bool {
    !id.is_empty() && find_tokens(text, id).next().is_some()
}

/// Byte offsets where `id` starts as a whole token of `text`. A trailing
/// full stop after the id ends a sentence, so it is a boundary.
fn find_tokens<'a>(text: &'a str, id: &'a str) -> impl Iterator<Item = usize> + 'a {
    text.match_indices(id).filter_map(move |(start, _)| {
        let before = text[..start].chars().next_back();
        let after_index = start + id.len();
        let mut rest = text[after_index..].chars();
        let after = rest.next();
        let ends = match after {
            None => true,
            Some('.') => rest.next().is_none_or(|c| !c.is_alphanumeric()),
            Some(c) => !is_id_char(c),
        };
        let begins = before.is_none_or(|c| !is_id_char(c));
        (begins && ends).then_some(start)
    })
}

/// Replaces every whole-token mention of a key of `renames` by its value, all
/// at once (so `A→B, B→C` never turns an `A` into a `C`).
pub fn rename_mentions(text: &str, renames: &HashMap<String, String>) -> String {
    if renames.is_empty() {
        return text.to_owned();
    }
    let mut hits: Vec<(usize, &str, &str)> = Vec::new();
    for (from, to) in renames {
        for start in find_tokens(text, from) {
            hits.push((start, from.as_str(), to.as_str()));
        }
    }
    if hits.is_empty() {
        return text.to_owned();
    }
    // Longest first at one position, then drop overlaps.
    hits.sort_by(|a, b| a.0.cmp(&b.0).then(b.1.len().cmp(&a.1.len())));
    let mut out = String::with_capacity(text.len());
    let mut at = 0;
    for (start, from, to) in hits {
        if start < at {
            continue;
        }
        out.push_str(&text[at..start]);
        out.push_str(to);
        at = start + from.len();
    }
    out.push_str(&text[at..]);
    out
}

/// An id split into a prefix and its trailing number (`ISSUE-` and 12 for
/// `ISSUE-012`), with the number's width.
fn split_number(id: &str) -> Option<(&str, u64, usize)> {
    let digits = id.len() - id.trim_end_matches(|c: char| c.is_ascii_digit()).len();
    if digits == 0 {
        return None;
    }
    let (prefix, number) = id.split_at(id.len() - digits);
    Some((prefix, number.parse().ok()?, digits))
}

/// Mints ids that were never used in the project: per prefix, numbers
/// after the highest ever used.
#[derive(Debug, Default)]
pub struct Minter {
    highest: BTreeMap<String, u64>,
    used: BTreeSet<String>,
}

impl Minter {
    pub fn new<'a>(used: impl IntoIterator<Item = &'a str>) -> Self {
        let mut minter = Minter::default();
        for id in used {
            minter.note(id);
        }
        minter
    }

    fn note(&mut self, id: &str) {
        self.used.insert(id.to_owned());
        if let Some((prefix, number, _)) = split_number(id) {
            let highest = self.highest.entry(prefix.to_owned()).or_insert(0);
            *highest = (*highest).max(number);
        }
    }

    /// Whether `id` was used before (or minted or claimed here).
    pub fn is_used(&self, id: &str) -> bool {
        self.used.contains(id)
    }

    /// Records that `id` is taken from now on.
    pub fn claim(&mut self, id: &str) {
        self.note(id);
    }

    /// A fresh id shaped like `like` (same prefix and number width).
    pub fn mint(&mut self, like: &str) -> String {
        let (prefix, width) = match split_number(like) {
            Some((prefix, _, width)) => (prefix.to_owned(), width),
            None => (format!("{like}-"), 1),
        };
        let mut number = self.highest.get(&prefix).copied().unwrap_or(0);
        loop {
            number += 1;
            let id = format!("{prefix}{number:0width$}");
            if !self.used.contains(&id) {
                self.note(&id);
                return id;
            }
        }
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn mentions_are_whole_tokens() {
        assert!(mentions("Implements FR-1 and FR-2.", "FR-2"));
        assert!(mentions("see FR-1.", "FR-1"));
        assert!(!mentions("FR-12 only", "FR-1"));
        assert!(!mentions("XFR-1", "FR-1"));
        assert!(!mentions("FR-1.4 is finer", "FR-1"));
        assert!(mentions("(ISSUE-001)", "ISSUE-001"));
    }

    #[test]
    fn renames_happen_at_once_and_only_on_tokens() {
        let renames = HashMap::from([
            ("ISSUE-001".to_owned(), "ISSUE-002".to_owned()),
            ("ISSUE-002".to_owned(), "ISSUE-007".to_owned()),
        ]);
        assert_eq!(
            rename_mentions("Depends on ISSUE-001, ISSUE-002; not ISSUE-0011.", &renames),
            "Depends on ISSUE-002, ISSUE-007; not ISSUE-0011."
        );
    }

    #[test]
    fn minted_ids_follow_the_highest_ever_used() {
        let mut minter = Minter::new(["ISSUE-003", "ISSUE-012", "REQ-2", "other"]);
        assert_eq!(minter.mint("ISSUE-001"), "ISSUE-013");
        assert_eq!(minter.mint("ISSUE-004"), "ISSUE-014");
        assert_eq!(minter.mint("REQ-9"), "REQ-3");
        assert_eq!(minter.mint("LR-1"), "LR-1");
        assert_eq!(minter.mint("LR-1"), "LR-2");
        assert_eq!(minter.mint("other"), "other-1");
    }
}
