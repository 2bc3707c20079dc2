//! The `workflows` section: the user and system workflows the PRD describes,
//! each with ordered steps. It depends on `core`.

use schemars::JsonSchema;
use serde::{Deserialize, Serialize};

use super::{blank, unique_ids};

#[derive(Debug, Clone, PartialEq, Serialize, Deserialize, JsonSchema)]
#[serde(deny_unknown_fields)]
pub struct WorkflowsDraft {
    pub workflows: Vec<WorkflowDraft>,
}

#[derive(Debug, Clone, PartialEq, Serialize, Deserialize, JsonSchema)]
#[serde(deny_unknown_fields)]
pub struct WorkflowDraft {
    /// WF-1, WF-2 ...; unique.
    pub id: String,
    /// What the flow achieves, e.g. "Book an appointment".
    pub name: String,
    /// Ordered steps; at least one.
    #[schemars(length(min = 1))]
    pub steps: Vec<String>,
}

pub(super) fn check_workflows(d: &WorkflowsDraft) -> Vec<String> {
    let mut problems = Vec::new();
    unique_ids(
        &mut problems,
        "workflows",
        d.workflows.iter().map(|w| w.id.as_str()),
    );
    for (i, w) in d.workflows.iter().enumerate() {
        blank(&mut problems, &format!("workflows[{i}].name"), &w.name);
        if w.steps.is_empty() {
            problems.push(format!("workflows[{i}].steps: needs at least one step"));
        }
        for (j, s) in w.steps.iter().enumerate() {
            blank(&mut problems, &format!("workflows[{i}].steps[{j}]"), s);
        }
    }
    problems
}
