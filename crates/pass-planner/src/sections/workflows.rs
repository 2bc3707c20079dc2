//! The `workflows` section: the user and system workflows the PRD describes,
//! each with ordered steps. It depends on `core`.

use schemars::JsonSchema;
use serde::{Deserialize, Serialize};

use crate::assemble::{text, texts};
use pass_contracts::NonEmpty;
use pass_contracts::pack::Workflow;

use crate::repair::renumber;

use super::{blank, unique_ids};

/// What the model is asked to do for this section, on top of the shared
/// system instructions.
pub(super) const INSTRUCTIONS: &str = "List the user or system workflows the PRD describes (numbered flows, journeys, execution sequences), each with ordered, non-empty steps; the issue plan's feature slices follow them. Ids WF-1, WF-2 ... An empty list is right when the PRD describes none.";

/// What this section holds, for the question of which sections a change alters.
pub(super) const ROLE: &str = "user and system workflows and their steps";

/// The contract's `ANTHROPIC_*_MAX_TOKENS` name for this section's output budget.
pub(super) const BUDGET_ENV: &str = "ANTHROPIC_WORKFLOWS_MAX_TOKENS";

/// Default output budget: room for a long tool call of this section.
pub(super) const DEFAULT_MAX_TOKENS: u32 = 6_144;

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

impl WorkflowsDraft {
    /// The pack's `workflows`; a workflow without steps is left out.
    pub(crate) fn to_pack(&self) -> Vec<Workflow> {
        self.workflows
            .iter()
            .filter_map(|w| {
                Some(Workflow {
                    id: text(&w.id, "WF"),
                    name: text(&w.name, "Workflow"),
                    steps: NonEmpty::new(texts(&w.steps)).ok()?,
                })
            })
            .collect()
    }
}

/// The deterministic repair of this section (see [`crate::repair::repair`]).
/// Drops workflows without steps, names unnamed ones and renumbers duplicate
/// ids.
pub(crate) fn repair_workflows(d: &mut WorkflowsDraft, notes: &mut Vec<String>) {
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
        notes,
    );
}
