//! The `requirements` section: every functional requirement the PRD asks to
//! build, with its id, priority, acceptance criteria and a verbatim PRD
//! excerpt. It depends on `core`.

use pass_contracts::pack::Priority;
use schemars::JsonSchema;
use serde::{Deserialize, Serialize};

use super::{CheckContext, ExcerptIndex, blank, unique_ids};

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
