//! Drafts → the contract's pack. Code, not the model, fills the run id,
//! timestamps, tool, raw PRD, org constraints, labels, issue bodies, coverage
//! (from the issue plan's links) and trace (from the checked source hints).
//! Each section's part of the pack is built in its file under `sections/`
//! (`to_pack` and friends); this module puts the parts together.

use std::collections::BTreeMap;

use pass_contracts::pack::{ArchitecturePack, PackVersion, PrdInfo, ToolInfo, ToolName};
use pass_contracts::{OrgConstraints, Text, Timestamp};
use serde_json::Value;
use uuid::Uuid;

use crate::error::PlannerError;
use crate::sections::{Drafts, SectionName};

/// Reads the validated section values back into drafts.
pub fn drafts_from_sections(
    sections: &BTreeMap<SectionName, Value>,
) -> Result<Drafts, PlannerError> {
    let get = |s: SectionName| sections.get(&s).cloned().unwrap_or(Value::Null);
    let value = serde_json::json!({
        "core": get(SectionName::Core),
        "requirements": get(SectionName::Requirements),
        "clarifications": get(SectionName::Clarifications),
        "workflows": get(SectionName::Workflows),
        "domain": get(SectionName::Domain),
        "architecture": get(SectionName::Architecture),
        "refinement": get(SectionName::Refinement),
        "implementation": get(SectionName::Implementation),
        "issue_plan": get(SectionName::IssuePlan),
    });
    pass_contracts::from_value::<Drafts>(&value).map_err(|p| PlannerError::PackInvalid(vec![p]))
}

pub(crate) fn text(value: &str, fallback: &str) -> Text {
    Text::new(value.trim())
        .or_else(|_| Text::new(fallback))
        .unwrap_or_else(|_| Text::new("-").expect("literal is non-empty"))
}

pub(crate) fn texts(values: &[String]) -> Vec<Text> {
    values
        .iter()
        .filter_map(|v| Text::new(v.trim()).ok())
        .collect()
}

/// The inputs code owns.
#[derive(Debug)]
pub struct PackMeta<'a> {
    pub run_id: Uuid,
    pub created_at: Timestamp,
    pub tool_version: &'a str,
    pub prd_text: &'a str,
    pub org: &'a OrgConstraints,
    pub extra_assumptions: Vec<String>,
}

pub fn assemble(d: &Drafts, meta: PackMeta<'_>) -> Result<ArchitecturePack, PlannerError> {
    let raw_text = Text::new(meta.prd_text).map_err(|_| PlannerError::EmptyPrd)?;
    let architecture = d.architecture.to_pack()?;
    let requirements = d.requirements.to_pack();
    let issues = &d.issue_plan.issues;
    let coverage = d.issue_plan.coverage(&requirements);
    let trace = d.requirements.trace();

    let mut assumptions = texts(&d.core.assumptions);
    // What the issue plan deliberately leaves out is said in the pack.
    for extra in d
        .issue_plan
        .left_out
        .iter()
        .cloned()
        .chain(meta.extra_assumptions)
    {
        if let Ok(t) = Text::new(extra) {
            if !assumptions.contains(&t) {
                assumptions.push(t);
            }
        }
    }

    Ok(ArchitecturePack {
        pack_version: PackVersion::V0_1,
        run_id: meta.run_id,
        created_at: meta.created_at,
        tool: ToolInfo {
            name: ToolName::Pass2A,
            version: text(meta.tool_version, "0.1.0"),
        },
        prd: PrdInfo {
            title: Some(d.core.title.trim().to_owned()).filter(|t| !t.is_empty()),
            raw_text,
            summary: text(&d.core.summary, "No summary."),
        },
        org_constraints: meta.org.clone(),
        clarifications: d.clarifications.to_pack(),
        actors: texts(&d.core.actors),
        workflows: d.workflows.to_pack(),
        requirements,
        entities: d.domain.entities(),
        integrations: d.domain.integrations(),
        nfrs: d.domain.nfrs(),
        architecture,
        refinement: d.refinement.to_pack(),
        implementation: d.implementation.to_pack(issues),
        assumptions,
        open_questions: texts(&d.core.open_questions),
        coverage,
        trace,
    })
}

/// A label-safe slug of a component name (`API (Fastify)` → `api-fastify`).
pub fn label_slug(name: &str) -> String {
    let mut out = String::new();
    for c in name.to_lowercase().chars() {
        if c.is_alphanumeric() {
            out.push(c);
        } else if !out.is_empty() && !out.ends_with('-') {
            out.push('-');
        }
    }
    let out = out.trim_end_matches('-');
    out.chars().take(40).collect()
}
