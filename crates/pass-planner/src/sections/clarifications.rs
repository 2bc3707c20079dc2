//! The `clarifications` section: the clarifying questions whose answers change
//! the plan, each with the answer assumed. It depends on `core`.

use schemars::JsonSchema;
use serde::{Deserialize, Serialize};

use super::{blank, unique_ids};

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
