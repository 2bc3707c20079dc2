//! What code fixes in a model's section instead of failing the run.
//!
//! Two steps. [`canonicalise`] runs on every answer before the checks: a
//! reference that differs from a valid id or name only in letter case
//! becomes that id or name (strict decoding does not guarantee the case of
//! `enum` values). [`repair`] runs once, after the last attempt still had
//! problems: a dangling reference becomes its closest valid id or name, or
//! is dropped; duplicate ids are renumbered; dependency cycles lose the edge
//! that closes them; issues are put in dependency order; a source hint that
//! is not in the PRD is replaced by the closest PRD line; list items without
//! their required text are dropped. Every change made by [`repair`] is
//! described in a note that goes into the pack's assumptions, so a reader
//! sees what the model got wrong.
//!
//! Each section's repair (`repair_<section>`) lives in its file under
//! `sections/`; this module holds [`canonicalise`], the [`repair`] dispatch
//! and the shared matching, renumbering and cycle breaking they use.

use std::collections::{BTreeSet, HashMap, HashSet};

use serde::Serialize;
use serde::de::DeserializeOwned;
use serde_json::Value;

use crate::sections::{
    ArchitectureDraft, CheckContext, ClarificationsDraft, DomainDraft, ImplementationDraft,
    IssuePlanDraft, RefinementDraft, RequirementsDraft, SectionName, WorkflowsDraft,
    canonicalise_architecture, canonicalise_implementation, canonicalise_issue_plan,
    canonicalise_refinement, repair_architecture, repair_clarifications, repair_domain,
    repair_implementation, repair_issue_plan, repair_refinement, repair_requirements,
    repair_workflows,
};

/// How references are compared once letter case alone does not match.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub(crate) enum Kind {
    /// Component names: punctuation and spacing may differ, one may contain
    /// the other, a small typo is forgiven.
    Name,
    /// Ids: punctuation and leading zeros may differ (`FR-001` ~ `fr1`),
    /// nothing else, since `FR-1` and `FR-10` are different requirements.
    Id,
}

/// The valid values of one kind of reference.
#[derive(Debug)]
pub(crate) struct Matcher {
    values: Vec<String>,
    kind: Kind,
}

fn key(text: &str, kind: Kind) -> String {
    let lower: String = text
        .chars()
        .filter(|c| c.is_alphanumeric())
        .flat_map(char::to_lowercase)
        .collect();
    if kind == Kind::Name {
        return lower;
    }
    // Leading zeros of every digit run go: fr001 and fr1 are one id.
    let mut out = String::with_capacity(lower.len());
    let mut in_digits = false;
    let chars: Vec<char> = lower.chars().collect();
    for (i, c) in chars.iter().enumerate() {
        if c.is_ascii_digit() {
            let next_is_digit = chars.get(i + 1).is_some_and(char::is_ascii_digit);
            if !in_digits && *c == '0' && next_is_digit {
                continue;
            }
            in_digits = true;
        } else {
            in_digits = false;
        }
        out.push(*c);
    }
    out
}

fn edit_distance(a: &str, b: &str) -> usize {
    let b: Vec<char> = b.chars().collect();
    let mut row: Vec<usize> = (0..=b.len()).collect();
    for (i, ca) in a.chars().enumerate() {
        let mut prev = row[0];
        row[0] = i + 1;
        for (j, cb) in b.iter().enumerate() {
            let cost = usize::from(ca != *cb);
            let next = (row[j + 1] + 1).min(row[j] + 1).min(prev + cost);
            prev = row[j + 1];
            row[j + 1] = next;
        }
    }
    row[b.len()]
}

impl Matcher {
    pub(crate) fn new<I: IntoIterator<Item = String>>(values: I, kind: Kind) -> Self {
        Self {
            values: values.into_iter().collect(),
            kind,
        }
    }

    /// The one value equal to `given` ignoring letter case.
    pub(crate) fn canonical(&self, given: &str) -> Option<&str> {
        if let Some(found) = self.values.iter().find(|v| *v == given) {
            return Some(found);
        }
        unique(
            self.values
                .iter()
                .filter(|v| v.to_lowercase() == given.to_lowercase()),
        )
    }

    /// The one value `given` most plausibly meant, if any.
    pub(crate) fn closest(&self, given: &str) -> Option<&str> {
        if let Some(found) = self.canonical(given) {
            return Some(found);
        }
        let wanted = key(given, self.kind);
        if wanted.is_empty() {
            return None;
        }
        let same_key = self.values.iter().filter(|v| key(v, self.kind) == wanted);
        if let Some(found) = unique(same_key) {
            return Some(found);
        }
        if self.kind == Kind::Id {
            return None;
        }
        let containing = self.values.iter().filter(|v| {
            let k = key(v, self.kind);
            !k.is_empty() && (k.contains(&wanted) || wanted.contains(&k))
        });
        if let Some(found) = unique(containing) {
            return Some(found);
        }
        let limit = (wanted.chars().count() / 5).max(1);
        let mut scored: Vec<(usize, &String)> = self
            .values
            .iter()
            .map(|v| (edit_distance(&key(v, self.kind), &wanted), v))
            .filter(|(d, _)| *d <= limit)
            .collect();
        scored.sort();
        match scored.as_slice() {
            [(best, value)] => Some(value.as_str()).filter(|_| *best <= limit),
            [(best, value), (second, _), ..] if best < second => Some(value.as_str()),
            _ => None,
        }
    }
}

fn unique<'a>(mut found: impl Iterator<Item = &'a String>) -> Option<&'a str> {
    let first = found.next()?;
    match found.next() {
        Some(_) => None,
        None => Some(first.as_str()),
    }
}

/// Replaces each reference in `list` by `resolve`'s answer, dropping those
/// it has none for; `on_drop` hears what was dropped.
pub(crate) fn resolve_list(
    list: &mut Vec<String>,
    mut resolve: impl FnMut(&str) -> Option<String>,
    mut on_change: impl FnMut(&str, Option<&str>),
) {
    let mut out: Vec<String> = Vec::with_capacity(list.len());
    for given in list.drain(..) {
        match resolve(&given) {
            Some(found) => {
                if found != given {
                    on_change(&given, Some(&found));
                }
                if !out.contains(&found) {
                    out.push(found);
                }
            }
            None => on_change(&given, None),
        }
    }
    *list = out;
}

/// The first `n` words of `text`, for a title made from a summary.
pub(crate) fn first_words(text: &str, n: usize) -> String {
    text.split_whitespace()
        .take(n)
        .collect::<Vec<_>>()
        .join(" ")
}

fn parse<T: DeserializeOwned>(value: &Value) -> Option<T> {
    serde_json::from_value(value.clone()).ok()
}

fn back<T: Serialize>(draft: &T, fallback: Value) -> Value {
    serde_json::to_value(draft).unwrap_or(fallback)
}

pub(crate) fn components(ctx: &CheckContext<'_>) -> Matcher {
    Matcher::new(ctx.component_names(), Kind::Name)
}

pub(crate) fn requirement_ids(ctx: &CheckContext<'_>) -> Matcher {
    Matcher::new(ctx.requirements().into_iter().map(|r| r.id), Kind::Id)
}

/// Case-only differences in references become the exact valid value, on
/// every answer and without a note: that is how strict decoding may return
/// an `enum` value, not a mistake.
pub fn canonicalise(section: SectionName, value: Value, ctx: &CheckContext<'_>) -> Value {
    match section {
        SectionName::Architecture => {
            let Some(mut d) = parse::<ArchitectureDraft>(&value) else {
                return value;
            };
            canonicalise_architecture(&mut d);
            back(&d, value)
        }
        SectionName::Refinement => {
            let Some(mut d) = parse::<RefinementDraft>(&value) else {
                return value;
            };
            canonicalise_refinement(&mut d, ctx);
            back(&d, value)
        }
        SectionName::Implementation => {
            let Some(mut d) = parse::<ImplementationDraft>(&value) else {
                return value;
            };
            canonicalise_implementation(&mut d, ctx);
            back(&d, value)
        }
        SectionName::IssuePlan => {
            let Some(mut d) = parse::<IssuePlanDraft>(&value) else {
                return value;
            };
            canonicalise_issue_plan(&mut d, ctx);
            back(&d, value)
        }
        _ => value,
    }
}

/// Replaces each item of `list` that differs from a valid value only in
/// letter case by that value.
pub(crate) fn fix_case(list: &mut [String], matcher: &Matcher) {
    for item in list.iter_mut() {
        if let Some(found) = matcher.canonical(item) {
            if found != item {
                *item = found.to_owned();
            }
        }
    }
}

/// The deterministic repair after the last attempt: the repaired value and
/// one note per change, for the pack's assumptions.
pub fn repair(section: SectionName, value: Value, ctx: &CheckContext<'_>) -> (Value, Vec<String>) {
    let mut notes = Vec::new();
    let repaired = match section {
        SectionName::Requirements => parse::<RequirementsDraft>(&value).map(|mut d| {
            repair_requirements(&mut d, ctx, &mut notes);
            back(&d, value.clone())
        }),
        SectionName::Clarifications => parse::<ClarificationsDraft>(&value).map(|mut d| {
            repair_clarifications(&mut d, &mut notes);
            back(&d, value.clone())
        }),
        SectionName::Workflows => parse::<WorkflowsDraft>(&value).map(|mut d| {
            repair_workflows(&mut d, &mut notes);
            back(&d, value.clone())
        }),
        SectionName::Domain => parse::<DomainDraft>(&value).map(|mut d| {
            repair_domain(&mut d, &mut notes);
            back(&d, value.clone())
        }),
        SectionName::Architecture => parse::<ArchitectureDraft>(&value).map(|mut d| {
            repair_architecture(&mut d, &mut notes);
            back(&d, value.clone())
        }),
        SectionName::Refinement => parse::<RefinementDraft>(&value).map(|mut d| {
            repair_refinement(&mut d, ctx, &mut notes);
            back(&d, value.clone())
        }),
        SectionName::Implementation => parse::<ImplementationDraft>(&value).map(|mut d| {
            repair_implementation(&mut d, ctx, &mut notes);
            back(&d, value.clone())
        }),
        SectionName::IssuePlan => parse::<IssuePlanDraft>(&value).map(|mut d| {
            repair_issue_plan(&mut d, ctx, &mut notes);
            back(&d, value.clone())
        }),
        SectionName::Core => None,
    };
    (repaired.unwrap_or(value), notes)
}

/// "Reference X was replaced by Y" or "... was dropped".
pub(crate) fn changed(what: &str, given: &str, found: Option<&str>, valid: &str) -> String {
    match found {
        Some(found) => format!("{what} {given:?} is not {valid}; read as {found:?}."),
        None => format!("{what} {given:?} is not {valid} and was dropped."),
    }
}

/// Gives every blank or repeated id in `ids` the next free `<prefix><n>`.
pub(crate) fn renumber<'a>(
    ids: impl Iterator<Item = &'a mut String>,
    prefix: &str,
    what: &str,
    notes: &mut Vec<String>,
) {
    let ids: Vec<&mut String> = ids.collect();
    let mut taken: HashSet<String> = ids.iter().map(|i| i.to_string()).collect();
    let mut seen = HashSet::new();
    let mut n = 0;
    for id in ids {
        if !id.trim().is_empty() && seen.insert(id.clone()) {
            continue;
        }
        let fresh = loop {
            n += 1;
            let candidate = format!("{prefix}{n}");
            if !taken.contains(&candidate) {
                break candidate;
            }
        };
        notes.push(if id.trim().is_empty() {
            format!("A {what} without an id was given {fresh}.")
        } else {
            format!("A second {what} with id {id:?} was given {fresh}.")
        });
        taken.insert(fresh.clone());
        *id = fresh;
    }
}

/// A PRD excerpt for a hint the PRD does not contain: the PRD line sharing
/// the most words with the hint (and the requirement's text).
pub(crate) fn closest_line(prd: &str, hint: &str, text: &str) -> Option<String> {
    let words = |s: &str| -> BTreeSet<String> {
        s.split(|c: char| !c.is_alphanumeric())
            .filter(|w| w.chars().count() > 2)
            .map(str::to_lowercase)
            .collect()
    };
    let wanted: BTreeSet<String> = words(hint).union(&words(text)).cloned().collect();
    prd.lines()
        .map(str::trim)
        .filter(|l| !l.is_empty())
        .map(|l| (words(l).intersection(&wanted).count(), l))
        .filter(|(n, _)| *n > 0)
        .max_by_key(|(n, l)| (*n, std::cmp::Reverse(l.len())))
        .map(|(_, l)| l.to_owned())
}

/// Breaks every dependency cycle by dropping one of its edges: the one that
/// points furthest forward in the list (every cycle has a forward edge, and
/// the list order is the order the model stated the work in).
pub(crate) fn break_cycles(
    nodes: &mut [(String, &mut Vec<String>)],
    what: &str,
    notes: &mut Vec<String>,
) {
    let position: HashMap<String, usize> = nodes
        .iter()
        .enumerate()
        .map(|(i, (id, _))| (id.clone(), i))
        .collect();
    loop {
        let graph: Vec<(&str, Vec<&str>)> = nodes
            .iter()
            .map(|(id, deps)| (id.as_str(), deps.iter().map(String::as_str).collect()))
            .collect();
        let Some(cycle) = pass_contracts::semantic::find_cycle(&graph) else {
            return;
        };
        let at = |id: &str| position.get(id).copied().unwrap_or(0);
        let Some((from, to)) = cycle
            .windows(2)
            .map(|w| (w[0].to_owned(), w[1].to_owned()))
            .max_by_key(|(from, to)| at(to) as i64 - at(from) as i64)
        else {
            return;
        };
        notes.push(format!(
            "{what} dependencies formed a cycle {}; {from} no longer depends on {to}.",
            cycle.join(" -> ")
        ));
        for (id, deps) in nodes.iter_mut() {
            if *id == from {
                deps.retain(|d| *d != to);
            }
        }
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn ids_match_across_punctuation_and_zeros_but_not_numbers() {
        let ids = Matcher::new(["FR-001".to_owned(), "FR-010".to_owned()], Kind::Id);
        assert_eq!(ids.closest("fr1"), Some("FR-001"));
        assert_eq!(ids.closest("FR 10"), Some("FR-010"));
        assert_eq!(ids.closest("FR-100"), None);
        assert_eq!(ids.canonical("fr-001"), Some("FR-001"));
    }

    #[test]
    fn names_match_by_case_containment_or_a_small_typo() {
        let names = Matcher::new(
            [
                "Web app".to_owned(),
                "API (Fastify)".to_owned(),
                "Postgres".to_owned(),
            ],
            Kind::Name,
        );
        assert_eq!(names.closest("web APP"), Some("Web app"));
        assert_eq!(names.closest("API"), Some("API (Fastify)"));
        assert_eq!(names.closest("Postgress"), Some("Postgres"));
        assert_eq!(names.closest("Generated from 11"), None);
    }
}
