//! The `refinement` section: which components a wireframe may edit and what a
//! chat assistant suggests and may change. It depends on `core` and
//! `architecture`.

use schemars::JsonSchema;
use serde::{Deserialize, Serialize};

use super::CheckContext;

#[derive(Debug, Clone, PartialEq, Serialize, Deserialize, JsonSchema)]
#[serde(deny_unknown_fields)]
pub struct RefinementDraft {
    /// Exact component names.
    pub editable_components: Vec<String>,
    pub suggested_questions: Vec<String>,
    pub editable_topics: Vec<String>,
}

pub(super) fn check_refinement(d: &RefinementDraft, ctx: &CheckContext<'_>) -> Vec<String> {
    let names = ctx.component_names();
    let mut problems = Vec::new();
    for (i, c) in d.editable_components.iter().enumerate() {
        if !names.contains(c) {
            problems.push(format!(
                "editable_components[{i}]: {c:?} is not the exact name of an architecture component"
            ));
        }
    }
    problems
}
