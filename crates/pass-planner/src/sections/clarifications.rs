//! The `clarifications` section: the clarifying questions whose answers change
//! the plan, each with the answer assumed. It depends on `core`.

use schemars::JsonSchema;
use serde::{Deserialize, Serialize};

use crate::assemble::text;
use pass_contracts::pack::Clarification;

use crate::repair::renumber;

use super::{blank, unique_ids};

/// What the model is asked to do for this section, on top of the shared
/// system instructions.
pub(super) const INSTRUCTIONS: &str = "List the clarifying questions whose answers change the plan (at most eight). For each, give the answer the PRD implies, or a sensible default with default_used true, and say why it matters; the architecture and the issue plan are made with these answers. Ids CQ-1, CQ-2 ...";

/// What this section holds, for the question of which sections a change alters.
pub(super) const ROLE: &str = "clarifying questions and the answers the plan assumed";

/// The contract's `ANTHROPIC_*_MAX_TOKENS` name for this section's output budget.
pub(super) const BUDGET_ENV: &str = "ANTHROPIC_CLARIFICATIONS_MAX_TOKENS";

/// Default output budget: room for a long tool call of this section.
pub(super) const DEFAULT_MAX_TOKENS: u32 = 6_144;

#[derive(Debug, Clone, PartialEq, Serialize, Deserialize, JsonSchema)]
#[serde(deny_unknown_fields)]
pub struct ClarificationsDraft {
    pub clarifications: Vec<ClarificationDraft>,
}

#[derive(Debug, Clone, PartialEq, Serialize, Deserialize, JsonSchema)]
#[serde(deny_unknown_fields)]
pub struct ClarificationDraft {
    /// CQ-1, CQ-2 ...; unique.
    pub id: String,
    pub question: String,
    pub answer: String,
    /// True when the answer is a default rather than something the PRD says.
    pub default_used: bool,
    pub why_it_matters: String,
}

pub(super) fn check_clarifications(d: &ClarificationsDraft) -> Vec<String> {
    let mut problems = Vec::new();
    unique_ids(
        &mut problems,
        "clarifications",
        d.clarifications.iter().map(|c| c.id.as_str()),
    );
    for (i, c) in d.clarifications.iter().enumerate() {
        blank(
            &mut problems,
            &format!("clarifications[{i}].question"),
            &c.question,
        );
        blank(
            &mut problems,
            &format!("clarifications[{i}].answer"),
            &c.answer,
        );
        blank(
            &mut problems,
            &format!("clarifications[{i}].why_it_matters"),
            &c.why_it_matters,
        );
    }
    problems
}

impl ClarificationsDraft {
    /// The pack's `clarifications`.
    pub(crate) fn to_pack(&self) -> Vec<Clarification> {
        self.clarifications
            .iter()
            .map(|c| Clarification {
                id: text(&c.id, "CQ"),
                question: text(&c.question, "-"),
                answer: text(&c.answer, "-"),
                default_used: c.default_used,
                why_it_matters: text(&c.why_it_matters, "-"),
            })
            .collect()
    }
}

/// The deterministic repair of this section (see [`crate::repair::repair`]).
/// Drops clarifications without a question, fills empty answers and reasons,
/// and renumbers duplicate ids.
pub(crate) fn repair_clarifications(d: &mut ClarificationsDraft, notes: &mut Vec<String>) {
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
        notes,
    );
}
