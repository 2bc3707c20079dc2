//! Refinement without a model: the previous revision's pack with the changes
//! a person's answers and requests spell out applied to it, and nothing
//! else. Sections no change touches are carried over exactly as they were.
//!
//! What the offline planner can read (a technology swapped or put in a slot,
//! a requirement or component dropped or kept out of the MVP, a requirement
//! added) it applies; every other sentence is recorded in the pack's
//! assumptions and reported as not applied, never guessed at.

pub mod drafts;
pub mod model;
pub mod requests;
pub mod scope;

use std::collections::BTreeMap;

use pass_contracts::coordination::Refinement;
use pass_contracts::pack::{
    ComponentType, Coverage, CoverageStatus, IssuePlanItem, Priority, Requirement,
};
use pass_contracts::{ArchitecturePack, Text};

use crate::assemble::label_slug;
use crate::refine::requests::{Edit, Slot, read_request};
use crate::revision::ids::{Minter, mentions};

/// What a refinement did, for the diff and the person who asked.
#[derive(Debug, Clone, Default, PartialEq, Eq)]
pub struct RefineNotes {
    /// Each answer and request, as the diff's reasons.
    pub reasons: Vec<String>,
    /// Sentences read but not applied, with the reason.
    pub not_applied: Vec<String>,
    /// Which reason changed which entry (requirement id, component name or
    /// plan item id).
    pub because: BTreeMap<String, String>,
    /// For entries `because` does not name: the reason(s) behind any change
    /// in a list of the diff (`requirements`, `components`, `plan_items`).
    /// A refinement on a model knows which sections each change re-planned,
    /// not which entries.
    pub list_reasons: BTreeMap<String, String>,
}

/// Applies `refinement` to `base` (the refined revision's pack).
pub fn refine(base: &ArchitecturePack, refinement: &Refinement) -> (ArchitecturePack, RefineNotes) {
    let mut pack = base.clone();
    let mut notes = RefineNotes::default();
    for answer in &refinement.answers {
        let reason = format!("{} answered: {}", answer.id, answer.answer);
        notes.reasons.push(reason.clone());
        let mut applied = false;
        for clarification in &mut pack.clarifications {
            if clarification.id == answer.id || clarification.question == answer.question {
                clarification.answer = answer.answer.clone();
                clarification.default_used = false;
                applied = true;
            }
        }
        let before = pack.open_questions.len();
        pack.open_questions
            .retain(|q| q.trim() != answer.question.trim());
        applied |= pack.open_questions.len() != before;
        // An answer naming a technology for a slot the question is about.
        let slot = Slot::from_phrase(answer.question.as_str());
        let structural = match (slot, first_tech(&answer.answer)) {
            (Some(slot), Some(tech)) => {
                apply(&mut pack, &Edit::Slot { slot, tech }, &reason, &mut notes)
            }
            _ => false,
        };
        if !structural {
            let line = format!(
                "{}: \"{}\" is answered \"{}\"; the offline planner recorded it without changing the plan.",
                answer.id, answer.question, answer.answer
            );
            push_assumption(&mut pack, &line);
            if !applied {
                notes.not_applied.push(line);
            }
        }
    }
    for request in &refinement.requests {
        notes.reasons.push(request.to_string());
        let (edits, unread) = read_request(request);
        for edit in &edits {
            if !apply(&mut pack, edit, request, &mut notes) {
                let line = format!(
                    "\"{request}\": {} (nothing in the plan matches it)",
                    describe(edit)
                );
                push_assumption(&mut pack, &format!("Not applied: {line}"));
                notes.not_applied.push(line);
            }
        }
        for sentence in unread {
            let line = format!(
                "\"{sentence}\" (from \"{request}\") is not a change the offline planner can read: a swap (\"use X instead of Y\"), a slot (\"X for the database\"), \"drop X\", \"drop X from the MVP\" or \"add a requirement: …\""
            );
            push_assumption(
                &mut pack,
                &format!("Refinement not applied: \"{sentence}\""),
            );
            notes.not_applied.push(line);
        }
    }
    (pack, notes)
}

fn describe(edit: &Edit) -> String {
    match edit {
        Edit::Swap { from, to } => format!("swap {from} for {to}"),
        Edit::Slot { slot, tech } => format!("use {tech} for the {slot:?}").to_lowercase(),
        Edit::Drop { what } => format!("drop {what}"),
        Edit::Defer { what } => format!("keep {what} out of the MVP"),
        Edit::Add { requirement } => format!("add \"{requirement}\""),
    }
}

fn push_assumption(pack: &mut ArchitecturePack, line: &str) {
    if let Ok(text) = Text::new(line) {
        if !pack.assumptions.contains(&text) {
            pack.assumptions.push(text);
        }
    }
}

/// Known names of technologies, with the other names they go by.
const TECHNOLOGIES: &[&[&str]] = &[
    &["PostgreSQL", "Postgres", "postgresql", "postgres"],
    &["MySQL", "mysql", "MariaDB"],
    &["SQLite", "sqlite"],
    &["MongoDB", "Mongo", "mongodb"],
    &["DynamoDB", "dynamodb"],
    &["Redis", "redis"],
    &["SQL Server", "MSSQL"],
    &["Supabase", "supabase"],
    &["Firebase", "Firestore"],
    &["DuckDB", "duckdb"],
    &["RabbitMQ", "rabbitmq"],
    &["Kafka", "kafka"],
    &["SQS", "sqs"],
    &["Next.js", "NextJS", "nextjs"],
    &["React", "react"],
    &["Vue", "Vue.js"],
    &["Svelte", "SvelteKit"],
    &["Fastify", "fastify"],
    &["Express", "express"],
    &["NestJS", "nestjs"],
    &["FastAPI", "fastapi"],
    &["Django", "django"],
    &["Flask", "flask"],
    &["Rails", "Ruby on Rails"],
    &["Auth0", "auth0"],
    &["Clerk", "clerk"],
    &["Cognito", "cognito"],
];

/// Every name `tech` goes by (itself first).
pub(crate) fn aliases(tech: &str) -> Vec<String> {
    let mut names = vec![tech.to_owned()];
    if let Some(group) = TECHNOLOGIES
        .iter()
        .find(|group| group.iter().any(|n| n.eq_ignore_ascii_case(tech)))
    {
        names.extend(group.iter().map(|n| (*n).to_owned()));
    }
    names.sort_by_key(|n| std::cmp::Reverse(n.len()));
    names.dedup_by(|a, b| a.eq_ignore_ascii_case(b));
    names
}

/// The first known technology an answer names.
pub(crate) fn first_tech(answer: &str) -> Option<String> {
    let lower = answer.to_lowercase();
    TECHNOLOGIES
        .iter()
        .filter_map(|group| {
            group
                .iter()
                .filter_map(|n| find_word(&lower, &n.to_lowercase()))
                .min()
                .map(|at| (at, group[0]))
        })
        .min()
        .map(|(_, name)| name.to_owned())
}

/// Where `word` starts in `text` as a whole word.
pub(crate) fn find_word(text: &str, word: &str) -> Option<usize> {
    text.match_indices(word).map(|(i, _)| i).find(|&start| {
        let before = text[..start].chars().next_back();
        let after = text[start + word.len()..].chars().next();
        before.is_none_or(|c| !c.is_alphanumeric()) && after.is_none_or(|c| !c.is_alphanumeric())
    })
}

/// Replaces every whole-word `from` (any case) in `text` by `to`.
fn replace_word(text: &str, from: &str, to: &str) -> String {
    let lower = text.to_lowercase();
    let from_lower = from.to_lowercase();
    let mut out = String::with_capacity(text.len());
    let mut at = 0;
    while let Some(found) = find_word(&lower[at..], &from_lower) {
        let start = at + found;
        out.push_str(&text[at..start]);
        out.push_str(to);
        at = start + from.len();
    }
    out.push_str(&text[at..]);
    out
}

/// Replaces every name of `from` by `to` in `text`; `None` when none occurs.
fn swap_in(text: &str, from: &[String], to: &str) -> Option<String> {
    let mut out = text.to_owned();
    for alias in from {
        out = replace_word(&out, alias, to);
    }
    (out != text).then_some(out)
}

fn swap_text(text: &mut Text, from: &[String], to: &str) -> bool {
    match swap_in(text, from, to).and_then(|s| Text::new(s).ok()) {
        Some(new) => {
            *text = new;
            true
        }
        None => false,
    }
}

fn swap_list(list: &mut [Text], from: &[String], to: &str) -> bool {
    let mut changed = false;
    for text in list {
        changed |= swap_text(text, from, to);
    }
    changed
}

/// Applies one edit; false when nothing in the plan matched it.
fn apply(pack: &mut ArchitecturePack, edit: &Edit, reason: &str, notes: &mut RefineNotes) -> bool {
    match edit {
        Edit::Swap { from, to } => swap(pack, from, to, reason, notes),
        Edit::Slot { slot, tech } => put_in_slot(pack, *slot, tech, reason, notes),
        Edit::Drop { what } => drop_entry(pack, what, reason, notes),
        Edit::Defer { what } => defer(pack, what, reason, notes),
        Edit::Add { requirement } => add_requirement(pack, requirement, reason, notes),
    }
}

/// Every mention of `from` (by any of its names) becomes `to`: components,
/// data stores and flows, rationale and trade-offs, requirements, logic
/// requirements and plan items; component labels follow renamed components.
fn swap(
    pack: &mut ArchitecturePack,
    from: &str,
    to: &str,
    reason: &str,
    notes: &mut RefineNotes,
) -> bool {
    let names = aliases(from);
    let mut changed = false;
    let mut renamed: Vec<(String, String)> = Vec::new();
    let architecture = &mut pack.architecture;
    let mut components = architecture.components.clone().into_vec();
    for component in &mut components {
        let old = component.name.to_string();
        if swap_text(&mut component.name, &names, to) {
            notes
                .because
                .insert(component.name.to_string(), reason.to_owned());
            renamed.push((old, component.name.to_string()));
            changed = true;
        }
    }
    if let Ok(list) = pass_contracts::text::NonEmpty::new(components) {
        architecture.components = list;
    }
    for list in [
        &mut architecture.data_flows,
        &mut architecture.data_stores,
        &mut architecture.async_patterns,
        &mut architecture.api_surface,
        &mut architecture.tradeoffs.pros,
        &mut architecture.tradeoffs.cons,
        &mut architecture.tradeoffs.risks,
    ] {
        changed |= swap_list(list, &names, to);
    }
    for text in [
        &mut architecture.name,
        &mut architecture.description,
        &mut architecture.rationale,
    ] {
        changed |= swap_text(text, &names, to);
    }
    for requirement in &mut pack.requirements {
        let mut touched = swap_text(&mut requirement.text, &names, to);
        touched |= swap_list(&mut requirement.acceptance_criteria, &names, to);
        if touched {
            notes
                .because
                .insert(requirement.id.to_string(), reason.to_owned());
            changed = true;
        }
    }
    for logic in &mut pack.implementation.logic_requirements {
        swap_text(&mut logic.title, &names, to);
        swap_text(&mut logic.summary, &names, to);
        swap_list(&mut logic.acceptance_criteria, &names, to);
        changed |= swap_list(&mut logic.affected_components, &names, to);
    }
    for item in &mut pack.implementation.github_issue_plan {
        let mut touched = swap_text(&mut item.title, &names, to);
        touched |= swap_text(&mut item.summary, &names, to);
        touched |= swap_text(&mut item.body, &names, to);
        touched |= swap_list(&mut item.acceptance_criteria, &names, to);
        for (old, new) in &renamed {
            let (old_label, new_label) = (
                format!("component:{}", label_slug(old)),
                format!("component:{}", label_slug(new)),
            );
            for label in &mut item.labels {
                if label.as_str() == old_label {
                    if let Ok(text) = Text::new(new_label.clone()) {
                        *label = text;
                        touched = true;
                    }
                }
            }
        }
        if touched {
            notes.because.insert(item.id.to_string(), reason.to_owned());
            changed = true;
        }
    }
    changed
}

fn slot_type(slot: Slot) -> ComponentType {
    match slot {
        Slot::Database => ComponentType::Db,
        Slot::Queue => ComponentType::Queue,
        Slot::Cache => ComponentType::Cache,
        Slot::Web => ComponentType::Web,
        Slot::Api => ComponentType::Api,
        Slot::Auth => ComponentType::AuthProvider,
    }
}

/// `tech` in the component of `slot`'s type: a swap of the technology its
/// name carries (`Database (PostgreSQL)`), or the name gains it.
fn put_in_slot(
    pack: &mut ArchitecturePack,
    slot: Slot,
    tech: &str,
    reason: &str,
    notes: &mut RefineNotes,
) -> bool {
    let kind = slot_type(slot);
    let Some(component) = pack
        .architecture
        .components
        .iter()
        .find(|c| c.kind == kind)
        .map(|c| c.name.to_string())
    else {
        return false;
    };
    let current = component
        .split_once('(')
        .and_then(|(_, rest)| rest.split_once(')'))
        .map(|(tech, _)| tech.trim().to_owned())
        .or_else(|| {
            TECHNOLOGIES
                .iter()
                .flat_map(|group| group.iter())
                .find(|name| find_word(&component.to_lowercase(), &name.to_lowercase()).is_some())
                .map(|name| (*name).to_owned())
        });
    match current {
        Some(current) if current.eq_ignore_ascii_case(tech) => true,
        Some(current) => swap(pack, &current, tech, reason, notes),
        None => swap(
            pack,
            &component,
            &format!("{component} ({tech})"),
            reason,
            notes,
        ),
    }
}

/// Lower-cased, for matching names and texts.
pub(crate) fn matches_name(text: &str, what: &str) -> bool {
    find_word(&text.to_lowercase(), &what.to_lowercase()).is_some()
}

/// Removes a requirement (by id, or whose text names `what`) or a component
/// named `what`, with everything that refers to it.
fn drop_entry(
    pack: &mut ArchitecturePack,
    what: &str,
    reason: &str,
    notes: &mut RefineNotes,
) -> bool {
    let requirement_ids: Vec<String> = pack
        .requirements
        .iter()
        .filter(|r| r.id.as_str().eq_ignore_ascii_case(what) || matches_name(&r.text, what))
        .map(|r| r.id.to_string())
        .collect();
    let components: Vec<String> = pack
        .architecture
        .components
        .iter()
        .filter(|c| matches_name(&c.name, what))
        .map(|c| c.name.to_string())
        .collect();
    if requirement_ids.is_empty() && components.is_empty() {
        return false;
    }
    for id in &requirement_ids {
        notes.because.insert(id.clone(), reason.to_owned());
    }
    pack.requirements
        .retain(|r| !requirement_ids.contains(&r.id.to_string()));
    pack.coverage
        .retain(|c| !requirement_ids.contains(&c.requirement_id.to_string()));
    pack.trace
        .retain(|t| !requirement_ids.contains(&t.requirement_id.to_string()));
    // Plan items that implemented only dropped requirements, or are about a
    // dropped component, go too.
    let remaining: Vec<String> = pack.requirements.iter().map(|r| r.id.to_string()).collect();
    let dropped_items: Vec<String> = pack
        .implementation
        .github_issue_plan
        .iter()
        .filter(|item| {
            let text = format!("{} {} {}", item.title, item.summary, item.body);
            let implemented: Vec<&String> = requirement_ids
                .iter()
                .chain(remaining.iter())
                .filter(|id| mentions(&text, id))
                .collect();
            let only_dropped = !implemented.is_empty()
                && implemented.iter().all(|id| requirement_ids.contains(id));
            only_dropped || components.iter().any(|c| matches_name(&item.title, c))
        })
        .map(|item| item.id.to_string())
        .collect();
    if !components.is_empty() {
        let kept: Vec<_> = pack
            .architecture
            .components
            .iter()
            .filter(|c| !components.contains(&c.name.to_string()))
            .cloned()
            .collect();
        // An architecture keeps at least one component.
        if let Ok(list) = pass_contracts::text::NonEmpty::new(kept) {
            pack.architecture.components = list;
            for name in &components {
                notes.because.insert(name.clone(), reason.to_owned());
            }
            let mentions_dropped = |text: &Text| {
                components
                    .iter()
                    .any(|c| text.as_str().contains(c.as_str()))
            };
            pack.architecture
                .data_flows
                .retain(|f| !mentions_dropped(f));
            pack.architecture
                .data_stores
                .retain(|f| !mentions_dropped(f));
            for logic in &mut pack.implementation.logic_requirements {
                logic
                    .affected_components
                    .retain(|c| !components.contains(&c.to_string()));
            }
            let labels: Vec<String> = components
                .iter()
                .map(|c| format!("component:{}", label_slug(c)))
                .collect();
            for item in &mut pack.implementation.github_issue_plan {
                let before = item.labels.len();
                item.labels.retain(|l| !labels.contains(&l.to_string()));
                if item.labels.len() != before {
                    notes.because.insert(item.id.to_string(), reason.to_owned());
                }
            }
        }
    }
    remove_items(pack, &dropped_items, reason, notes);
    true
}

/// Removes plan items and every `depends_on` that names them.
fn remove_items(
    pack: &mut ArchitecturePack,
    ids: &[String],
    reason: &str,
    notes: &mut RefineNotes,
) {
    if ids.is_empty() {
        return;
    }
    for id in ids {
        notes.because.insert(id.clone(), reason.to_owned());
    }
    let plan = &mut pack.implementation.github_issue_plan;
    plan.retain(|item| !ids.contains(&item.id.to_string()));
    for item in plan.iter_mut() {
        let before = item.depends_on.len();
        item.depends_on.retain(|d| !ids.contains(&d.to_string()));
        if item.depends_on.len() != before {
            notes.because.insert(item.id.to_string(), reason.to_owned());
        }
    }
    for coverage in &mut pack.coverage {
        if let Some(text) = &coverage.notes {
            if ids.iter().any(|id| mentions(text, id)) {
                coverage.status = CoverageStatus::Partial;
                coverage.notes = Some(format!("{text} (its issue left the plan: {reason})"));
            }
        }
    }
}

/// Keeps requirements and items that name `what` out of the first release:
/// their priority becomes `could`.
fn defer(pack: &mut ArchitecturePack, what: &str, reason: &str, notes: &mut RefineNotes) -> bool {
    let mut changed = false;
    let mut deferred: Vec<String> = Vec::new();
    for requirement in &mut pack.requirements {
        if matches_name(&requirement.text, what) && requirement.priority != Priority::Could {
            requirement.priority = Priority::Could;
            notes
                .because
                .insert(requirement.id.to_string(), reason.to_owned());
            deferred.push(requirement.id.to_string());
            changed = true;
        }
    }
    for item in &mut pack.implementation.github_issue_plan {
        let text = format!("{} {}", item.title, item.summary);
        let about = matches_name(&text, what) || deferred.iter().any(|id| mentions(&text, id));
        if !about {
            continue;
        }
        let mut touched = false;
        for label in &mut item.labels {
            if label.starts_with("priority:") && label.as_str() != "priority:could" {
                if let Ok(text) = Text::new("priority:could") {
                    *label = text;
                    touched = true;
                }
            }
        }
        if touched {
            notes.because.insert(item.id.to_string(), reason.to_owned());
            changed = true;
        }
    }
    let components: Vec<String> = pack
        .architecture
        .components
        .iter()
        .filter(|c| matches_name(&c.name, what))
        .map(|c| c.name.to_string())
        .collect();
    if !components.is_empty() {
        let line = format!(
            "{} stays in the architecture but is out of the MVP ({reason}).",
            components.join(", ")
        );
        push_assumption(pack, &line);
        changed = true;
    }
    changed
}

/// A new must-have requirement and a plan item for it, with ids the
/// project never used.
fn add_requirement(
    pack: &mut ArchitecturePack,
    text: &str,
    reason: &str,
    notes: &mut RefineNotes,
) -> bool {
    let Ok(requirement_text) = Text::new(text.trim()) else {
        return false;
    };
    let mut minter = Minter::new(
        pack.requirements.iter().map(|r| r.id.as_str()).chain(
            pack.implementation
                .github_issue_plan
                .iter()
                .map(|i| i.id.as_str()),
        ),
    );
    let like_requirement = pack
        .requirements
        .first()
        .map_or("REQ-001".to_owned(), |r| r.id.to_string());
    let requirement_id = minter.mint(if like_requirement.chars().any(|c| c.is_ascii_digit()) {
        &like_requirement
    } else {
        "REQ-001"
    });
    let like_item = pack
        .implementation
        .github_issue_plan
        .first()
        .map_or("ISSUE-001".to_owned(), |i| i.id.to_string());
    let item_id = minter.mint(&like_item);
    let title: String = requirement_text.chars().take(80).collect();
    let foundation = pack
        .implementation
        .github_issue_plan
        .first()
        .map(|i| i.id.clone());
    let texts = |list: &[String]| -> Vec<Text> {
        list.iter()
            .filter_map(|s| Text::new(s.clone()).ok())
            .collect()
    };
    let (Ok(id), Ok(plan_id), Ok(title), Ok(summary), Ok(body)) = (
        Text::new(requirement_id.clone()),
        Text::new(item_id.clone()),
        Text::new(title.trim().to_owned()),
        Text::new(format!("Implements {requirement_id}: {requirement_text}")),
        Text::new(format!(
            "Implements {requirement_id}: {requirement_text}\n\nAsked for in a refinement: {reason}\n\n**Implements:** {requirement_id}"
        )),
    ) else {
        return false;
    };
    pack.requirements.push(Requirement {
        id,
        text: requirement_text,
        priority: Priority::Must,
        acceptance_criteria: Vec::new(),
    });
    pack.coverage.push(Coverage {
        requirement_id: Text::new(requirement_id.clone()).unwrap_or_else(|_| plan_id.clone()),
        status: CoverageStatus::Covered,
        notes: Some(format!("covered by {item_id}")),
    });
    pack.implementation.github_issue_plan.push(IssuePlanItem {
        id: plan_id,
        title,
        summary,
        body,
        labels: texts(&["priority:must".to_owned()]),
        depends_on: foundation.into_iter().collect(),
        acceptance_criteria: texts(&[
            "The new behaviour is reachable from the product's main entry point".to_owned(),
            "An automated test covers its main path and one invalid input".to_owned(),
        ]),
    });
    notes.because.insert(requirement_id, reason.to_owned());
    notes.because.insert(item_id, reason.to_owned());
    true
}

#[cfg(test)]
mod tests;
