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

use std::collections::{BTreeMap, BTreeSet, HashMap, HashSet};

use pass_contracts::pack::Priority;
use serde::Serialize;
use serde::de::DeserializeOwned;
use serde_json::Value;

use crate::sections::{
    ArchitectureDraft, CheckContext, ClarificationsDraft, DomainDraft, ExcerptIndex,
    ImplementationDraft, IssuePlanDraft, RefinementDraft, RequirementsDraft, SectionName,
    WorkflowsDraft,
};

/// How references are compared once letter case alone does not match.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
enum Kind {
    /// Component names: punctuation and spacing may differ, one may contain
    /// the other, a small typo is forgiven.
    Name,
    /// Ids: punctuation and leading zeros may differ (`FR-001` ~ `fr1`),
    /// nothing else, since `FR-1` and `FR-10` are different requirements.
    Id,
}

/// The valid values of one kind of reference.
#[derive(Debug)]
struct Matcher {
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
    fn new<I: IntoIterator<Item = String>>(values: I, kind: Kind) -> Self {
        Self {
            values: values.into_iter().collect(),
            kind,
        }
    }

    /// The one value equal to `given` ignoring letter case.
    fn canonical(&self, given: &str) -> Option<&str> {
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
    fn closest(&self, given: &str) -> Option<&str> {
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
fn resolve_list(
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
fn first_words(text: &str, n: usize) -> String {
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

fn components(ctx: &CheckContext<'_>) -> Matcher {
    Matcher::new(ctx.component_names(), Kind::Name)
}

fn requirement_ids(ctx: &CheckContext<'_>) -> Matcher {
    Matcher::new(ctx.requirements().into_iter().map(|r| r.id), Kind::Id)
}

/// Case-only differences in references become the exact valid value, on
/// every answer and without a note: that is how strict decoding may return
/// an `enum` value, not a mistake.
pub fn canonicalise(section: SectionName, value: Value, ctx: &CheckContext<'_>) -> Value {
    let fix = |list: &mut Vec<String>, matcher: &Matcher| {
        for item in list.iter_mut() {
            if let Some(found) = matcher.canonical(item) {
                if found != item {
                    *item = found.to_owned();
                }
            }
        }
    };
    match section {
        SectionName::Architecture => {
            let Some(mut d) = parse::<ArchitectureDraft>(&value) else {
                return value;
            };
            let names = Matcher::new(d.components.iter().map(|c| c.name.clone()), Kind::Name);
            for flow in &mut d.data_flows {
                for end in [&mut flow.from, &mut flow.to] {
                    if let Some(found) = names.canonical(end) {
                        *end = found.to_owned();
                    }
                }
            }
            back(&d, value)
        }
        SectionName::Refinement => {
            let Some(mut d) = parse::<RefinementDraft>(&value) else {
                return value;
            };
            fix(&mut d.editable_components, &components(ctx));
            back(&d, value)
        }
        SectionName::Implementation => {
            let Some(mut d) = parse::<ImplementationDraft>(&value) else {
                return value;
            };
            let names = components(ctx);
            let ids = Matcher::new(d.logic_requirements.iter().map(|l| l.id.clone()), Kind::Id);
            for l in &mut d.logic_requirements {
                fix(&mut l.affected_components, &names);
                fix(&mut l.dependencies, &ids);
            }
            back(&d, value)
        }
        SectionName::IssuePlan => {
            let Some(mut d) = parse::<IssuePlanDraft>(&value) else {
                return value;
            };
            let names = components(ctx);
            let requirements = requirement_ids(ctx);
            let ids = Matcher::new(d.issues.iter().map(|i| i.id.clone()), Kind::Id);
            for issue in &mut d.issues {
                fix(&mut issue.implements, &requirements);
                fix(&mut issue.partially_implements, &requirements);
                fix(&mut issue.components, &names);
                fix(&mut issue.depends_on, &ids);
            }
            back(&d, value)
        }
        _ => value,
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
            d.clarifications.retain(|c| {
                let keep = !c.question.trim().is_empty();
                if !keep {
                    notes.push(format!(
                        "Clarification {} had no question and was dropped.",
                        c.id
                    ));
                }
                keep
            });
            for c in &mut d.clarifications {
                if c.answer.trim().is_empty() {
                    c.answer = "Not answered by the PRD.".to_owned();
                    c.default_used = true;
                }
                if c.why_it_matters.trim().is_empty() {
                    c.why_it_matters = "The answer can change the plan.".to_owned();
                }
            }
            renumber(
                d.clarifications.iter_mut().map(|c| &mut c.id),
                "CQ-",
                "clarification",
                &mut notes,
            );
            back(&d, value.clone())
        }),
        SectionName::Workflows => parse::<WorkflowsDraft>(&value).map(|mut d| {
            d.workflows.retain(|w| {
                let keep = !w.steps.iter().all(|s| s.trim().is_empty());
                if !keep {
                    notes.push(format!("Workflow {} had no steps and was dropped.", w.id));
                }
                keep
            });
            for (i, w) in d.workflows.iter_mut().enumerate() {
                if w.name.trim().is_empty() {
                    w.name = format!("Workflow {}", i + 1);
                }
            }
            renumber(
                d.workflows.iter_mut().map(|w| &mut w.id),
                "WF-",
                "workflow",
                &mut notes,
            );
            back(&d, value.clone())
        }),
        SectionName::Domain => parse::<DomainDraft>(&value).map(|mut d| {
            let mut seen = HashSet::new();
            d.entities.retain(|e| {
                let keep = !e.name.trim().is_empty() && seen.insert(e.name.to_lowercase());
                if !keep && !e.name.trim().is_empty() {
                    notes.push(format!(
                        "Entity {:?} was listed twice; the first is kept.",
                        e.name
                    ));
                }
                keep
            });
            d.integrations.retain(|g| !g.name.trim().is_empty());
            for g in &mut d.integrations {
                if g.purpose.trim().is_empty() {
                    g.purpose = format!("{} as the PRD names it.", g.name);
                }
            }
            back(&d, value.clone())
        }),
        SectionName::Architecture => parse::<ArchitectureDraft>(&value).map(|mut d| {
            repair_architecture(&mut d, &mut notes);
            back(&d, value.clone())
        }),
        SectionName::Refinement => parse::<RefinementDraft>(&value).map(|mut d| {
            let names = components(ctx);
            resolve_list(
                &mut d.editable_components,
                |c| names.closest(c).map(str::to_owned),
                |given, found| {
                    notes.push(changed("Editable component", given, found, "a component"))
                },
            );
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
fn changed(what: &str, given: &str, found: Option<&str>, valid: &str) -> String {
    match found {
        Some(found) => format!("{what} {given:?} is not {valid}; read as {found:?}."),
        None => format!("{what} {given:?} is not {valid} and was dropped."),
    }
}

/// Gives every blank or repeated id in `ids` the next free `<prefix><n>`.
fn renumber<'a>(
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
fn closest_line(prd: &str, hint: &str, text: &str) -> Option<String> {
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

fn repair_requirements(d: &mut RequirementsDraft, ctx: &CheckContext<'_>, notes: &mut Vec<String>) {
    d.requirements.retain_mut(|r| {
        if r.text.trim().is_empty() {
            if r.source_hint.trim().is_empty() {
                notes.push(format!(
                    "Requirement {:?} had no text and was dropped.",
                    r.id
                ));
                return false;
            }
            r.text = r.source_hint.trim().to_owned();
        }
        true
    });
    let mut seen: HashMap<String, usize> = HashMap::new();
    let taken: HashSet<String> = d.requirements.iter().map(|r| r.id.clone()).collect();
    let mut next = 0;
    for r in &mut d.requirements {
        if r.id.trim().is_empty() {
            let fresh = loop {
                next += 1;
                let candidate = format!("REQ-{next:03}");
                if !taken.contains(&candidate) && !seen.contains_key(&candidate) {
                    break candidate;
                }
            };
            notes.push(format!("A requirement without an id was given {fresh}."));
            r.id = fresh;
        }
        let count = seen.entry(r.id.clone()).or_insert(0);
        *count += 1;
        if *count > 1 {
            let fresh = format!("{}-{}", r.id, count);
            notes.push(format!(
                "A second requirement with id {:?} was given {fresh}.",
                r.id
            ));
            r.id = fresh;
        }
    }
    let excerpts = ExcerptIndex::new(ctx.prd_text);
    for r in &mut d.requirements {
        if excerpts.contains(&r.source_hint) {
            continue;
        }
        match closest_line(ctx.prd_text, &r.source_hint, &r.text) {
            Some(line) => {
                notes.push(format!(
                    "The model's source hint for {} is not in the PRD; the trace points to the closest PRD line instead.",
                    r.id
                ));
                r.source_hint = line;
            }
            None => {
                notes.push(format!(
                    "The model's source hint for {} is not in the PRD and no PRD line resembles it; the trace points to the PRD's first line.",
                    r.id
                ));
                r.source_hint = ctx
                    .prd_text
                    .lines()
                    .map(str::trim)
                    .find(|l| !l.is_empty())
                    .unwrap_or_default()
                    .to_owned();
            }
        }
    }
}

fn repair_architecture(d: &mut ArchitectureDraft, notes: &mut Vec<String>) {
    d.components.retain(|c| !c.name.trim().is_empty());
    let mut seen: HashMap<String, usize> = HashMap::new();
    for c in &mut d.components {
        let count = seen.entry(c.name.clone()).or_insert(0);
        *count += 1;
        if *count > 1 {
            let fresh = format!("{} ({})", c.name, count);
            notes.push(format!(
                "A second component named {:?} was renamed {fresh:?}.",
                c.name
            ));
            c.name = fresh;
        }
    }
    let names = Matcher::new(d.components.iter().map(|c| c.name.clone()), Kind::Name);
    d.data_flows.retain_mut(|f| {
        for end in [&mut f.from, &mut f.to] {
            match names.closest(end) {
                Some(found) => {
                    if found != end {
                        notes.push(changed("Data flow end", end, Some(found), "a component"));
                        *end = found.to_owned();
                    }
                }
                None => {
                    notes.push(format!(
                        "A data flow names {end:?}, which is not a component, and was dropped."
                    ));
                    return false;
                }
            }
        }
        if f.description.trim().is_empty() {
            f.description = format!("{} to {}", f.from, f.to);
        }
        true
    });
    if d.name.trim().is_empty() {
        d.name = "Architecture".to_owned();
    }
    if d.description.trim().is_empty() {
        let parts: Vec<&str> = d.components.iter().map(|c| c.name.as_str()).collect();
        d.description = format!("Components: {}.", parts.join(", "));
    }
    if d.rationale.trim().is_empty() && !d.approach.trim().is_empty() {
        d.rationale = d.approach.clone();
    }
}

/// Breaks every dependency cycle by dropping one of its edges: the one that
/// points furthest forward in the list (every cycle has a forward edge, and
/// the list order is the order the model stated the work in).
fn break_cycles(nodes: &mut [(String, &mut Vec<String>)], what: &str, notes: &mut Vec<String>) {
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

fn repair_implementation(
    d: &mut ImplementationDraft,
    ctx: &CheckContext<'_>,
    notes: &mut Vec<String>,
) {
    d.logic_requirements
        .retain(|l| !l.title.trim().is_empty() || !l.summary.trim().is_empty());
    for l in &mut d.logic_requirements {
        if l.title.trim().is_empty() {
            l.title = first_words(&l.summary, 10);
        }
        if l.summary.trim().is_empty() {
            l.summary = l.title.clone();
        }
    }
    renumber(
        d.logic_requirements.iter_mut().map(|l| &mut l.id),
        "LR-",
        "logic requirement",
        notes,
    );
    let names = components(ctx);
    let ids = Matcher::new(d.logic_requirements.iter().map(|l| l.id.clone()), Kind::Id);
    for l in &mut d.logic_requirements {
        let own = l.id.clone();
        resolve_list(
            &mut l.affected_components,
            |c| names.closest(c).map(str::to_owned),
            |given, found| {
                notes.push(changed(
                    &format!("{own}: component"),
                    given,
                    found,
                    "a component",
                ))
            },
        );
        resolve_list(
            &mut l.dependencies,
            |dep| ids.closest(dep).filter(|f| *f != own).map(str::to_owned),
            |given, found| {
                notes.push(changed(
                    &format!("{own}: dependency"),
                    given,
                    found,
                    "another logic requirement",
                ))
            },
        );
    }
    let mut nodes: Vec<(String, &mut Vec<String>)> = d
        .logic_requirements
        .iter_mut()
        .map(|l| (l.id.clone(), &mut l.dependencies))
        .collect();
    break_cycles(&mut nodes, "Logic requirement", notes);
    if d.summary.trim().is_empty() {
        d.summary = format!("{} logic requirements.", d.logic_requirements.len());
    }
    if d.iac_summary.trim().is_empty() {
        d.iac_summary = "No infrastructure-as-code handoff was written.".to_owned();
    }
}

fn repair_issue_plan(d: &mut IssuePlanDraft, ctx: &CheckContext<'_>, notes: &mut Vec<String>) {
    d.issues.retain(|i| {
        let keep = !i.title.trim().is_empty() || !i.summary.trim().is_empty();
        if !keep {
            notes.push(format!(
                "Issue {} had neither title nor summary and was dropped.",
                i.id
            ));
        }
        keep
    });
    for i in &mut d.issues {
        if i.title.trim().is_empty() {
            i.title = first_words(&i.summary, 12);
        }
        if i.summary.trim().is_empty() {
            i.summary = i.title.clone();
        }
    }
    renumber(
        d.issues.iter_mut().map(|i| &mut i.id),
        "ISSUE-",
        "issue",
        notes,
    );
    let names = components(ctx);
    let requirement_matcher = requirement_ids(ctx);
    let requirements: BTreeMap<String, (String, Vec<String>)> = ctx
        .requirements()
        .into_iter()
        .map(|r| (r.id, (r.text, r.acceptance_criteria)))
        .collect();
    let ids = Matcher::new(d.issues.iter().map(|i| i.id.clone()), Kind::Id);
    for issue in &mut d.issues {
        let own = issue.id.clone();
        for (field, list) in [
            ("implements", &mut issue.implements),
            ("partly implements", &mut issue.partially_implements),
        ] {
            resolve_list(
                list,
                |r| requirement_matcher.closest(r).map(str::to_owned),
                |given, found| {
                    notes.push(changed(
                        &format!("{own} {field}"),
                        given,
                        found,
                        "a requirement id",
                    ))
                },
            );
        }
        let full = issue.implements.clone();
        issue.partially_implements.retain(|r| !full.contains(r));
        resolve_list(
            &mut issue.components,
            |c| names.closest(c).map(str::to_owned),
            |given, found| {
                notes.push(changed(
                    &format!("{own}: component"),
                    given,
                    found,
                    "a component",
                ))
            },
        );
        resolve_list(
            &mut issue.depends_on,
            |dep| ids.closest(dep).filter(|f| *f != own).map(str::to_owned),
            |given, found| {
                notes.push(changed(
                    &format!("{own} depends on"),
                    given,
                    found,
                    "another issue",
                ))
            },
        );
        if issue
            .acceptance_criteria
            .iter()
            .all(|a| a.trim().is_empty())
        {
            let mut criteria: Vec<String> = issue
                .implements
                .iter()
                .chain(&issue.partially_implements)
                .filter_map(|r| requirements.get(r).map(|(text, ac)| (r, text, ac)))
                .flat_map(|(r, text, ac)| {
                    if ac.is_empty() {
                        crate::offline::derived_checks(r, text)
                    } else {
                        ac.clone()
                    }
                })
                .collect();
            if criteria.is_empty() {
                criteria = crate::offline::derived_checks(&own, &issue.title);
            }
            notes.push(format!(
                "{own} had no acceptance criteria; they were taken from its requirements."
            ));
            issue.acceptance_criteria = criteria;
        }
    }
    let mut nodes: Vec<(String, &mut Vec<String>)> = d
        .issues
        .iter_mut()
        .map(|i| (i.id.clone(), &mut i.depends_on))
        .collect();
    break_cycles(&mut nodes, "Issue", notes);
    if order_by_dependencies(&mut d.issues) {
        notes.push(
            "Issues were reordered so that each comes after the issues it depends on.".to_owned(),
        );
    }
    let implemented: HashSet<&str> = d
        .issues
        .iter()
        .flat_map(|i| i.implements.iter().map(String::as_str))
        .collect();
    for r in ctx.requirements() {
        if r.priority == Priority::Must && !implemented.contains(r.id.as_str()) {
            notes.push(format!(
                "Must requirement {} is implemented by no issue; its coverage is missing.",
                r.id
            ));
        }
    }
}

/// Puts issues after the issues they depend on, otherwise keeping their
/// order (Kahn's algorithm, always taking the earliest ready issue).
/// Returns whether anything moved. Dependencies must be acyclic.
fn order_by_dependencies(issues: &mut Vec<crate::sections::IssueDraft>) -> bool {
    let position: HashMap<String, usize> = issues
        .iter()
        .enumerate()
        .map(|(i, issue)| (issue.id.clone(), i))
        .collect();
    let mut waiting: Vec<usize> = issues
        .iter()
        .map(|i| {
            i.depends_on
                .iter()
                .filter(|d| position.contains_key(d.as_str()))
                .count()
        })
        .collect();
    let mut placed = vec![false; issues.len()];
    let mut order = Vec::with_capacity(issues.len());
    while order.len() < issues.len() {
        let Some(next) = (0..issues.len()).find(|i| !placed[*i] && waiting[*i] == 0) else {
            return false;
        };
        placed[next] = true;
        order.push(next);
        for (j, issue) in issues.iter().enumerate() {
            if issue.depends_on.iter().any(|d| *d == issues[next].id) {
                waiting[j] = waiting[j].saturating_sub(1);
            }
        }
    }
    if order.iter().enumerate().all(|(i, o)| i == *o) {
        return false;
    }
    let mut slots: Vec<Option<crate::sections::IssueDraft>> = issues.drain(..).map(Some).collect();
    issues.extend(order.into_iter().filter_map(|i| slots[i].take()));
    true
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
