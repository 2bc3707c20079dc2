//! The `requirements` section: every functional requirement the PRD asks to
//! build, with its id, priority, acceptance criteria and a verbatim PRD
//! excerpt. It depends on `core`.

use std::collections::{HashMap, HashSet};

use pass_contracts::ArchitecturePack;
use pass_contracts::pack::Priority;
use schemars::JsonSchema;
use serde::{Deserialize, Serialize};

use crate::prompt::fenced;
use crate::repair::closest_line;

use crate::assemble::{text, texts};
use pass_contracts::Text;
use pass_contracts::pack::{Requirement, TraceEntry};

use super::{CheckContext, ExcerptIndex, blank, unique_ids};

/// What the model is asked to do for this section, on top of the shared
/// system instructions.
pub(super) const INSTRUCTIONS: &str = "List every functional requirement the PRD asks to build: rows of requirement tables, numbered or bulleted feature lists, user stories, checklists under phases. Keep every id the PRD gives exactly as written, in any scheme or language (FR1.2, REQ-012, US-O01, A1, R-001); an item without an id gets the next free REQ-001, REQ-002 ... text: the requirement in one sentence, with the row's description folded in. priority: P0/P1 or Critical/High or Must (Have) mean must; P2, Medium or Should mean should; P3, Low or Could mean could; must when the PRD gives none. acceptance_criteria: copied from the PRD (Given/When/Then blocks, 'Acceptance:' lines, criteria columns, checklists), never the requirement restated; empty when the PRD gives none. Assumptions, constraints, dependencies, risks, non-goals, out-of-scope, won't-have, future and already-done items are not requirements: leave them out. source_hint: an exact, verbatim excerpt of the PRD (one line or part of one) that states the requirement.";

/// What this section holds, for the question of which sections a change alters.
pub(super) const ROLE: &str =
    "the functional requirements: ids, text, priority (MoSCoW), acceptance criteria";

/// The contract's `ANTHROPIC_*_MAX_TOKENS` name for this section's output budget.
pub(super) const BUDGET_ENV: &str = "ANTHROPIC_REQUIREMENTS_MAX_TOKENS";

/// Default output budget: room for a long tool call of this section.
pub(super) const DEFAULT_MAX_TOKENS: u32 = 16_000;

#[derive(Debug, Clone, PartialEq, Serialize, Deserialize, JsonSchema)]
#[serde(deny_unknown_fields)]
pub struct RequirementsDraft {
    pub requirements: Vec<RequirementDraft>,
}

#[derive(Debug, Clone, PartialEq, Serialize, Deserialize, JsonSchema)]
#[serde(deny_unknown_fields)]
pub struct RequirementDraft {
    /// The PRD's own id when it has one, else REQ-001, REQ-002 ...; unique.
    pub id: String,
    /// The requirement in one sentence. Must not be empty.
    pub text: String,
    pub priority: Priority,
    pub acceptance_criteria: Vec<String>,
    /// A verbatim excerpt of the PRD stating this requirement (copied exactly).
    pub source_hint: String,
}

pub(super) fn check_requirements(d: &RequirementsDraft, ctx: &CheckContext<'_>) -> Vec<String> {
    let mut problems = Vec::new();
    let excerpts = ExcerptIndex::new(ctx.prd_text);
    unique_ids(
        &mut problems,
        "requirements",
        d.requirements.iter().map(|r| r.id.as_str()),
    );
    for (i, r) in d.requirements.iter().enumerate() {
        blank(&mut problems, &format!("requirements[{i}].text"), &r.text);
        if !excerpts.contains(&r.source_hint) {
            problems.push(format!(
                "requirements[{i}].source_hint: {:?} is not a verbatim excerpt of the PRD; copy the exact PRD text that states requirement {}",
                r.source_hint, r.id
            ));
        }
        for (j, a) in r.acceptance_criteria.iter().enumerate() {
            blank(
                &mut problems,
                &format!("requirements[{i}].acceptance_criteria[{j}]"),
                a,
            );
        }
    }
    problems
}

/// The requirements briefing: the ids the previous revision minted for
/// requirements the PRD gave no id (an id its PRD does not contain), with
/// their text, so the same requirement keeps its id.
pub fn requirements_briefing(previous: Option<&ArchitecturePack>) -> String {
    let Some(pack) = previous else {
        return String::new();
    };
    let minted: Vec<(&str, &str)> = pack
        .requirements
        .iter()
        .filter(|r| !crate::offline::has_word(pack.prd.raw_text.as_str(), r.id.as_str()))
        .map(|r| (r.id.as_str(), r.text.as_str()))
        .collect();
    if minted.is_empty() {
        return String::new();
    }
    let mut text = "The previous revision of this plan numbered these requirements, which the PRD gave no id. When the PRD still states one of them, keep its id; a new requirement without a PRD id gets an id that is not in this list.\n<previous_revision>\n".to_owned();
    for (id, requirement) in minted {
        text.push_str(&fenced(
            "previous_revision",
            &format!("- {id}: {requirement}\n"),
        ));
    }
    text.push_str("</previous_revision>");
    text
}

/// The deterministic repair of this section (see [`crate::repair::repair`]):
/// every change is described in `notes`.
pub(crate) fn repair_requirements(
    d: &mut RequirementsDraft,
    ctx: &CheckContext<'_>,
    notes: &mut Vec<String>,
) {
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

impl RequirementsDraft {
    /// The pack's `requirements`.
    pub(crate) fn to_pack(&self) -> Vec<Requirement> {
        self.requirements
            .iter()
            .map(|r| Requirement {
                id: text(&r.id, "REQ"),
                text: text(&r.text, "-"),
                priority: r.priority,
                acceptance_criteria: texts(&r.acceptance_criteria),
            })
            .collect()
    }

    /// The pack's `trace`: each requirement's checked source hint.
    pub(crate) fn trace(&self) -> Vec<TraceEntry> {
        self.requirements
            .iter()
            .filter_map(|r| {
                Some(TraceEntry {
                    requirement_id: Text::new(r.id.trim()).ok()?,
                    source_hint: Text::new(r.source_hint.trim()).ok()?,
                })
            })
            .collect()
    }
}
