//! Which sections a refinement re-plans on a model.
//!
//! Each answer and request is placed by code where code can read it, so the
//! common changes cost no call of their own:
//!
//! - a technology swapped or put in a slot ("use SQLite instead of
//!   PostgreSQL", "Redis for the cache") lands in `architecture`, and in any
//!   of requirements, clarifications, workflows and domain whose text names
//!   the technology being replaced (the core's reading of the PRD's named
//!   stack is not re-planned for it: the architecture follows the request);
//! - a requirement, component, workflow, entity, integration, question,
//!   logic requirement or plan item dropped or kept out of the MVP by name or
//!   id lands in the section that holds it; an added requirement in
//!   `requirements`;
//! - any other sentence that names entries by id ("split ISSUE-004 in two")
//!   lands in the sections holding those ids;
//! - an answer lands where its question record's `affects` says (section
//!   names, plan item and requirement ids); without a usable `affects`, an
//!   answer naming a technology for a question about a stack slot lands in
//!   `architecture`, and one naming ids where they are held.
//!
//! What is left — sentences that name nothing code can find — is asked of
//! the model in one small call for the whole refinement (see
//! [`TRIAGE_TASK`]): the changes, the list of sections with what each holds
//! and a short outline of the plan, no PRD, answered under a strict schema
//! whose only list is an `enum` of section names. Its answer costs a few
//! hundred output tokens at most, against the full plan's calls a "re-plan
//! everything" fallback would spend on every such request. An answer that
//! cannot be read (not the schema's shape, or cut off) falls back to
//! re-planning every section, which is always correct, only dearer.
//!
//! Every section that builds on a re-planned one is re-planned too
//! ([`closure`], from [`SectionName::depends_on`]).

use std::collections::BTreeSet;

use pass_contracts::ArchitecturePack;
use pass_contracts::coordination::{Clarification, Refinement};
use serde_json::{Value, json};

use crate::prompt::ChangeNote;
use crate::refine::requests::{Edit, Slot, read_sentences};
use crate::refine::{aliases, find_word, first_tech, matches_name};
use crate::revision::ids::mentions;
use crate::sections::{ALL_SECTIONS, SectionName};

/// The side task's name: the tool (Anthropic) or response schema (OpenAI).
pub const TRIAGE_TASK: &str = "classify_change";

/// One answer or request and where it lands.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct ChangeScope {
    /// As the diff's `reasons` give it: the request, or "CQ-2 answered: …".
    pub reason: String,
    /// As prompts show it.
    pub note: ChangeNote,
    /// The sections it alters directly, as far as code read it.
    pub seeds: BTreeSet<SectionName>,
    /// What code could not place, to ask the model about.
    pub unread: Vec<String>,
}

/// Where each answer and request of `refinement` lands in `pack`;
/// `records` are the refined run's question records (for `affects`).
pub fn scope_changes(
    refinement: &Refinement,
    records: &[Clarification],
    pack: &ArchitecturePack,
) -> Vec<ChangeScope> {
    let mut scopes = Vec::new();
    for answer in &refinement.answers {
        let record = records.iter().find(|r| r.id == answer.id);
        let mut seeds: BTreeSet<SectionName> = record
            .map(|r| {
                r.affects
                    .iter()
                    .flat_map(|a| named_sections(a, pack))
                    .collect()
            })
            .unwrap_or_default();
        let text = format!("{} {}", answer.question, answer.answer);
        if seeds.is_empty() {
            if Slot::from_phrase(&answer.question).is_some() && first_tech(&answer.answer).is_some()
            {
                seeds.insert(SectionName::Architecture);
            }
            seeds.extend(id_sections(&text, pack));
        }
        let unread = if seeds.is_empty() {
            vec![format!(
                "Question {}: {}\nAnswer: {}",
                answer.id, answer.question, answer.answer
            )]
        } else {
            Vec::new()
        };
        scopes.push(ChangeScope {
            reason: format!("{} answered: {}", answer.id, answer.answer),
            note: ChangeNote::Answer {
                id: answer.id.to_string(),
                question: answer.question.to_string(),
                answer: answer.answer.to_string(),
            },
            seeds,
            unread,
        });
    }
    for request in &refinement.requests {
        let mut seeds = BTreeSet::new();
        let mut unread = Vec::new();
        for (sentence, edit) in read_sentences(request) {
            let placed = match &edit {
                Some(edit) => edit_sections(edit, pack),
                None => id_sections(sentence, pack),
            };
            if placed.is_empty() {
                unread.push(sentence.to_owned());
            }
            seeds.extend(placed);
        }
        scopes.push(ChangeScope {
            reason: request.to_string(),
            note: ChangeNote::Request(request.to_string()),
            seeds,
            unread,
        });
    }
    scopes
}

/// The sections one edit code read lands in.
fn edit_sections(edit: &Edit, pack: &ArchitecturePack) -> BTreeSet<SectionName> {
    match edit {
        Edit::Swap { from, .. } => {
            let mut sections = BTreeSet::from([SectionName::Architecture]);
            let names: Vec<String> = aliases(from).iter().map(|n| n.to_lowercase()).collect();
            let parts = [
                (SectionName::Requirements, lower_json(&pack.requirements)),
                (
                    SectionName::Clarifications,
                    lower_json(&pack.clarifications),
                ),
                (SectionName::Workflows, lower_json(&pack.workflows)),
                (
                    SectionName::Domain,
                    lower_json(&(&pack.entities, &pack.integrations)),
                ),
            ];
            for (section, text) in parts {
                if names.iter().any(|n| find_word(&text, n).is_some()) {
                    sections.insert(section);
                }
            }
            sections
        }
        Edit::Slot { .. } => BTreeSet::from([SectionName::Architecture]),
        Edit::Add { .. } => BTreeSet::from([SectionName::Requirements]),
        Edit::Drop { what } | Edit::Defer { what } => entry_sections(what, pack),
    }
}

/// A part of the pack as lower-case JSON, for a word search.
fn lower_json<T: serde::Serialize>(value: &T) -> String {
    serde_json::to_string(value)
        .unwrap_or_default()
        .to_lowercase()
}

/// The sections holding an entry `what` names: by id, or by its name or
/// text containing `what` as words.
pub fn entry_sections(what: &str, pack: &ArchitecturePack) -> BTreeSet<SectionName> {
    let what = what.trim();
    let mut sections = BTreeSet::new();
    if what.is_empty() {
        return sections;
    }
    let is = |id: &str| id.eq_ignore_ascii_case(what);
    let names = |text: &str| matches_name(text, what);
    if pack
        .requirements
        .iter()
        .any(|r| is(&r.id) || names(&r.text))
    {
        sections.insert(SectionName::Requirements);
    }
    if pack
        .clarifications
        .iter()
        .any(|c| is(&c.id) || names(&c.question))
    {
        sections.insert(SectionName::Clarifications);
    }
    if pack.workflows.iter().any(|w| is(&w.id) || names(&w.name)) {
        sections.insert(SectionName::Workflows);
    }
    if pack.entities.iter().any(|e| names(&e.name))
        || pack.integrations.iter().any(|i| names(&i.name))
    {
        sections.insert(SectionName::Domain);
    }
    if pack.architecture.components.iter().any(|c| names(&c.name)) {
        sections.insert(SectionName::Architecture);
    }
    if pack
        .implementation
        .logic_requirements
        .iter()
        .any(|l| is(&l.id) || names(&l.title))
    {
        sections.insert(SectionName::Implementation);
    }
    if pack
        .implementation
        .github_issue_plan
        .iter()
        .any(|i| is(&i.id) || names(&i.title))
    {
        sections.insert(SectionName::IssuePlan);
    }
    sections
}

/// The sections holding the entries whose ids `text` mentions.
pub fn id_sections(text: &str, pack: &ArchitecturePack) -> BTreeSet<SectionName> {
    let mut sections = BTreeSet::new();
    let mut check = |section: SectionName, mut ids: Box<dyn Iterator<Item = &str> + '_>| {
        if ids.any(|id| mentions(text, id)) {
            sections.insert(section);
        }
    };
    check(
        SectionName::Requirements,
        Box::new(pack.requirements.iter().map(|r| r.id.as_str())),
    );
    check(
        SectionName::Clarifications,
        Box::new(pack.clarifications.iter().map(|c| c.id.as_str())),
    );
    check(
        SectionName::Workflows,
        Box::new(pack.workflows.iter().map(|w| w.id.as_str())),
    );
    check(
        SectionName::Implementation,
        Box::new(
            pack.implementation
                .logic_requirements
                .iter()
                .map(|l| l.id.as_str()),
        ),
    );
    check(
        SectionName::IssuePlan,
        Box::new(
            pack.implementation
                .github_issue_plan
                .iter()
                .map(|i| i.id.as_str()),
        ),
    );
    sections
}

/// The sections one `affects` entry of a question record names: a section
/// (by its name or a plain word for it), or entries by id or name.
pub fn named_sections(affects: &str, pack: &ArchitecturePack) -> BTreeSet<SectionName> {
    let key = affects.trim().to_lowercase().replace([' ', '-'], "_");
    if let Some(section) = ALL_SECTIONS.iter().find(|s| s.as_str() == key) {
        return BTreeSet::from([*section]);
    }
    let section = match key.as_str() {
        "issues" | "issue" | "plan" | "plan_items" | "github_issue_plan" | "backlog" => {
            Some(SectionName::IssuePlan)
        }
        "data_model" | "entities" | "integrations" | "nfrs" => Some(SectionName::Domain),
        "components" | "stack" | "data_store" | "database" | "hosting" | "deployment" => {
            Some(SectionName::Architecture)
        }
        "questions" => Some(SectionName::Clarifications),
        _ => None,
    };
    if let Some(section) = section {
        return BTreeSet::from([section]);
    }
    let mut sections = id_sections(affects, pack);
    if sections.is_empty() {
        sections = entry_sections(affects, pack);
    }
    sections
}

/// `seeds` and every section that builds on one of them, directly or not.
pub fn closure(seeds: &BTreeSet<SectionName>) -> BTreeSet<SectionName> {
    let mut out = seeds.clone();
    loop {
        let before = out.len();
        for section in ALL_SECTIONS {
            if section.depends_on().iter().any(|d| out.contains(d)) {
                out.insert(section);
            }
        }
        if out.len() == before {
            return out;
        }
    }
}

/// The side task's strict schema: why, then the sections as an `enum` list.
pub fn triage_schema() -> Value {
    let names: Vec<&str> = ALL_SECTIONS.iter().map(|s| s.as_str()).collect();
    json!({
        "type": "object",
        "properties": {
            "reason": {
                "type": "string",
                "description": "One sentence: where the changes land in the plan and why."
            },
            "sections": {
                "type": "array",
                "description": "The sections the changes alter directly; empty when they alter nothing.",
                "items": { "type": "string", "enum": names }
            }
        },
        "required": ["reason", "sections"],
        "additionalProperties": false
    })
}

/// The sections a side-task answer names; `None` when it is not the
/// schema's shape.
pub fn read_triage(value: &Value) -> Option<BTreeSet<SectionName>> {
    value
        .get("sections")?
        .as_array()?
        .iter()
        .map(|v| {
            let name = v.as_str()?.trim().to_lowercase();
            ALL_SECTIONS.iter().copied().find(|s| s.as_str() == name)
        })
        .collect()
}

/// Entries of one list shown in the outline; the rest are counted.
const OUTLINE_ENTRIES: usize = 40;
/// Characters of one entry's text shown in the outline.
const OUTLINE_CHARS: usize = 80;

/// A short view of the plan for the side task: ids, names and titles.
pub fn outline(pack: &ArchitecturePack) -> String {
    fn line<'a>(label: &str, entries: impl ExactSizeIterator<Item = String> + 'a) -> String {
        let total = entries.len();
        if total == 0 {
            return String::new();
        }
        let mut shown: Vec<String> = entries
            .take(OUTLINE_ENTRIES)
            .map(|e| {
                let flat = e.split_whitespace().collect::<Vec<_>>().join(" ");
                if flat.chars().count() > OUTLINE_CHARS {
                    let cut: String = flat.chars().take(OUTLINE_CHARS - 1).collect();
                    format!("{cut}…")
                } else {
                    flat
                }
            })
            .collect();
        if total > OUTLINE_ENTRIES {
            shown.push(format!("… and {} more", total - OUTLINE_ENTRIES));
        }
        format!("{label}: {}\n", shown.join("; "))
    }
    let mut text = format!("product: {}\n", pack.prd.summary);
    text.push_str(&line(
        "requirements",
        pack.requirements
            .iter()
            .map(|r| format!("{} {}", r.id, r.text)),
    ));
    text.push_str(&line(
        "clarifications",
        pack.clarifications
            .iter()
            .map(|c| format!("{} {}", c.id, c.question)),
    ));
    text.push_str(&line(
        "workflows",
        pack.workflows
            .iter()
            .map(|w| format!("{} {}", w.id, w.name)),
    ));
    text.push_str(&line(
        "entities",
        pack.entities.iter().map(|e| e.name.to_string()),
    ));
    text.push_str(&line(
        "integrations",
        pack.integrations.iter().map(|i| i.name.to_string()),
    ));
    text.push_str(&line(
        "components",
        pack.architecture
            .components
            .iter()
            .map(|c| format!("{} ({})", c.name, format!("{:?}", c.kind).to_lowercase())),
    ));
    text.push_str(&line(
        "logic requirements",
        pack.implementation
            .logic_requirements
            .iter()
            .map(|l| format!("{} {}", l.id, l.title)),
    ));
    text.push_str(&line(
        "issues",
        pack.implementation
            .github_issue_plan
            .iter()
            .map(|i| format!("{} {}", i.id, i.title)),
    ));
    text
}
