//! The `refinement` section: which components a wireframe may edit and what a
//! chat assistant suggests and may change. It depends on `core` and
//! `architecture`.

use schemars::JsonSchema;
use serde::{Deserialize, Serialize};

use crate::assemble::texts;
use pass_contracts::pack::{Chat, Refinement, Wireframe};

use crate::repair::{changed, components, fix_case, resolve_list};

use super::CheckContext;

/// What the model is asked to do for this section, on top of the shared
/// system instructions.
pub(super) const INSTRUCTIONS: &str = "Say which components a user may edit in a wireframe (exact component names), which questions a chat assistant should suggest, and which topics it may edit.";

/// What this section holds, for the question of which sections a change alters.
pub(super) const ROLE: &str =
    "which components a wireframe may edit; the chat assistant's suggested questions and topics";

/// The contract's `ANTHROPIC_*_MAX_TOKENS` name for this section's output budget.
pub(super) const BUDGET_ENV: &str = "ANTHROPIC_REFINEMENT_MAX_TOKENS";

/// Default output budget: room for a long tool call of this section.
pub(super) const DEFAULT_MAX_TOKENS: u32 = 4_096;

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

impl RefinementDraft {
    /// The pack's `refinement`: wireframe and chat are always enabled.
    pub(crate) fn to_pack(&self) -> Refinement {
        Refinement {
            wireframe: Wireframe {
                enabled: true,
                editable_components: texts(&self.editable_components),
            },
            chat: Chat {
                enabled: true,
                suggested_questions: texts(&self.suggested_questions),
                editable_topics: texts(&self.editable_topics),
            },
        }
    }
}

/// The deterministic repair of this section (see [`crate::repair::repair`]).
/// Resolves editable components to the closest architecture component, or
/// drops them.
pub(crate) fn repair_refinement(
    d: &mut RefinementDraft,
    ctx: &CheckContext<'_>,
    notes: &mut Vec<String>,
) {
    let names = components(ctx);
    resolve_list(
        &mut d.editable_components,
        |c| names.closest(c).map(str::to_owned),
        |given, found| notes.push(changed("Editable component", given, found, "a component")),
    );
}

/// Letter-case canonicalisation of this section's references (see
/// [`crate::repair::canonicalise`]).
pub(crate) fn canonicalise_refinement(d: &mut RefinementDraft, ctx: &CheckContext<'_>) {
    fix_case(&mut d.editable_components, &components(ctx));
}
