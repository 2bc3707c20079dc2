//! The `implementation` section: the implementation overview (infrastructure
//! handoff, logic requirements, observability). It depends on `core`,
//! `requirements` and `architecture`.

use std::collections::HashSet;

use pass_contracts::pack::Priority;
use schemars::JsonSchema;
use serde::{Deserialize, Serialize};

use crate::repair::{
    Kind, Matcher, break_cycles, changed, components, first_words, fix_case, renumber, resolve_list,
};

use crate::assemble::{text, texts};
use pass_contracts::pack::{
    Coordination, IacHandoff, Implementation, LogicRequirement, Observability,
};

use super::{CheckContext, IssueDraft, blank, unique_ids};

/// What the model is asked to do for this section, on top of the shared
/// system instructions.
pub(super) const INSTRUCTIONS: &str = "Write the implementation overview: a summary, the infrastructure-as-code handoff (summary and module names; none for a product that runs only on users' machines), logic requirements (ids LR-1, LR-2 ...; affected_components are exact component names; dependencies are logic requirement ids without cycles), coordination views, question sources, required observability signals and dashboard panels.";

/// What this section holds, for the question of which sections a change alters.
pub(super) const ROLE: &str = "implementation overview: infrastructure-as-code handoff, logic requirements, coordination, observability";

/// The contract's `ANTHROPIC_*_MAX_TOKENS` name for this section's output budget.
pub(super) const BUDGET_ENV: &str = "ANTHROPIC_IMPLEMENTATION_OVERVIEW_MAX_TOKENS";

/// Default output budget: room for a long tool call of this section.
pub(super) const DEFAULT_MAX_TOKENS: u32 = 8_192;

#[derive(Debug, Clone, PartialEq, Serialize, Deserialize, JsonSchema)]
#[serde(deny_unknown_fields)]
pub struct ImplementationDraft {
    pub summary: String,
    pub iac_summary: String,
    pub iac_modules: Vec<String>,
    pub logic_requirements: Vec<LogicRequirementDraft>,
    pub coordination_views: Vec<String>,
    pub question_sources: Vec<String>,
    pub required_signals: Vec<String>,
    pub dashboard_panels: Vec<String>,
}

#[derive(Debug, Clone, PartialEq, Serialize, Deserialize, JsonSchema)]
#[serde(deny_unknown_fields)]
pub struct LogicRequirementDraft {
    /// LR-1, LR-2 ...; unique.
    pub id: String,
    pub title: String,
    pub summary: String,
    pub priority: Priority,
    pub acceptance_criteria: Vec<String>,
    /// Exact component names.
    pub affected_components: Vec<String>,
    /// Ids of other logic requirements; no cycles.
    pub dependencies: Vec<String>,
}

pub(super) fn check_implementation(d: &ImplementationDraft, ctx: &CheckContext<'_>) -> Vec<String> {
    let mut problems = Vec::new();
    blank(&mut problems, "summary", &d.summary);
    blank(&mut problems, "iac_summary", &d.iac_summary);
    unique_ids(
        &mut problems,
        "logic_requirements",
        d.logic_requirements.iter().map(|l| l.id.as_str()),
    );
    let names = ctx.component_names();
    let ids: HashSet<&str> = d.logic_requirements.iter().map(|l| l.id.as_str()).collect();
    for (i, l) in d.logic_requirements.iter().enumerate() {
        blank(
            &mut problems,
            &format!("logic_requirements[{i}].title"),
            &l.title,
        );
        blank(
            &mut problems,
            &format!("logic_requirements[{i}].summary"),
            &l.summary,
        );
        for (j, c) in l.affected_components.iter().enumerate() {
            if !names.contains(c) {
                problems.push(format!(
                    "logic_requirements[{i}].affected_components[{j}]: {c:?} is not the exact name of an architecture component"
                ));
            }
        }
        for (j, dep) in l.dependencies.iter().enumerate() {
            if !ids.contains(dep.as_str()) {
                problems.push(format!(
                    "logic_requirements[{i}].dependencies[{j}]: {dep:?} is not a logic requirement id"
                ));
            }
        }
    }
    let graph: Vec<(&str, Vec<&str>)> = d
        .logic_requirements
        .iter()
        .map(|l| {
            (
                l.id.as_str(),
                l.dependencies.iter().map(String::as_str).collect(),
            )
        })
        .collect();
    if let Some(cycle) = pass_contracts::semantic::find_cycle(&graph) {
        problems.push(format!(
            "logic_requirements: dependencies form a cycle {}",
            cycle.join(" -> ")
        ));
    }
    problems
}

/// The deterministic repair of this section (see [`crate::repair::repair`]):
/// every change is described in `notes`.
pub(crate) fn repair_implementation(
    d: &mut ImplementationDraft,
    ctx: &CheckContext<'_>,
    notes: &mut Vec<String>,
) {
    d.logic_requirements
        .retain(|l| !l.title.trim().is_empty() || !l.summary.trim().is_empty());
    for l in &mut d.logic_requirements {
        if l.title.trim().is_empty() {
            l.title = first_words(&l.summary, 10);
        }
        if l.summary.trim().is_empty() {
            l.summary = l.title.clone();
        }
    }
    renumber(
        d.logic_requirements.iter_mut().map(|l| &mut l.id),
        "LR-",
        "logic requirement",
        notes,
    );
    let names = components(ctx);
    let ids = Matcher::new(d.logic_requirements.iter().map(|l| l.id.clone()), Kind::Id);
    for l in &mut d.logic_requirements {
        let own = l.id.clone();
        resolve_list(
            &mut l.affected_components,
            |c| names.closest(c).map(str::to_owned),
            |given, found| {
                notes.push(changed(
                    &format!("{own}: component"),
                    given,
                    found,
                    "a component",
                ))
            },
        );
        resolve_list(
            &mut l.dependencies,
            |dep| ids.closest(dep).filter(|f| *f != own).map(str::to_owned),
            |given, found| {
                notes.push(changed(
                    &format!("{own}: dependency"),
                    given,
                    found,
                    "another logic requirement",
                ))
            },
        );
    }
    let mut nodes: Vec<(String, &mut Vec<String>)> = d
        .logic_requirements
        .iter_mut()
        .map(|l| (l.id.clone(), &mut l.dependencies))
        .collect();
    break_cycles(&mut nodes, "Logic requirement", notes);
    if d.summary.trim().is_empty() {
        d.summary = format!("{} logic requirements.", d.logic_requirements.len());
    }
    if d.iac_summary.trim().is_empty() {
        d.iac_summary = "No infrastructure-as-code handoff was written.".to_owned();
    }
}

impl ImplementationDraft {
    /// The pack's `implementation`, with the issue plan's `issues` as its
    /// GitHub issue plan.
    pub(crate) fn to_pack(&self, issues: &[IssueDraft]) -> Implementation {
        Implementation {
            summary: text(&self.summary, "-"),
            iac_handoff: IacHandoff {
                summary: text(&self.iac_summary, "-"),
                modules: texts(&self.iac_modules),
            },
            logic_requirements: self
                .logic_requirements
                .iter()
                .map(|l| LogicRequirement {
                    id: text(&l.id, "LR"),
                    title: text(&l.title, "-"),
                    summary: text(&l.summary, "-"),
                    priority: l.priority,
                    acceptance_criteria: texts(&l.acceptance_criteria),
                    affected_components: texts(&l.affected_components),
                    dependencies: texts(&l.dependencies),
                })
                .collect(),
            github_issue_plan: issues.iter().map(IssueDraft::to_pack).collect(),
            coordination: Coordination {
                pause_on_pending_questions: true,
                live_issue_updates: true,
                coordination_views: texts(&self.coordination_views),
                question_sources: texts(&self.question_sources),
            },
            observability: Observability {
                log_traces_enabled: true,
                coordination_panel_enabled: true,
                required_signals: texts(&self.required_signals),
                dashboard_panels: texts(&self.dashboard_panels),
            },
        }
    }
}

/// Letter-case canonicalisation of this section's references (see
/// [`crate::repair::canonicalise`]).
pub(crate) fn canonicalise_implementation(d: &mut ImplementationDraft, ctx: &CheckContext<'_>) {
    let names = components(ctx);
    let ids = Matcher::new(d.logic_requirements.iter().map(|l| l.id.clone()), Kind::Id);
    for l in &mut d.logic_requirements {
        fix_case(&mut l.affected_components, &names);
        fix_case(&mut l.dependencies, &ids);
    }
}
