//! Drafts → the contract's pack. Code, not the model, fills the run id,
//! timestamps, tool, raw PRD, org constraints, labels, issue bodies, coverage
//! (from the issue plan's links) and trace (from the checked source hints).

use std::collections::BTreeMap;

use pass_contracts::pack::ComponentType;
use pass_contracts::pack::{
    Architecture, ArchitecturePack, Chat, Clarification, Component, Coordination, Coverage,
    CoverageStatus, Entity, IacHandoff, Implementation, Integration, IssuePlanItem,
    LogicRequirement, Nfrs, Observability, PackVersion, PrdInfo, Refinement, Requirement, ToolInfo,
    ToolName, TraceEntry, Tradeoffs, Wireframe, Workflow,
};
use pass_contracts::{NonEmpty, OrgConstraints, Text, Timestamp};
use serde_json::Value;
use uuid::Uuid;

use crate::error::PlannerError;
use crate::sections::{Drafts, IssueDraft, SectionName};

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

fn text(value: &str, fallback: &str) -> Text {
    Text::new(value.trim())
        .or_else(|_| Text::new(fallback))
        .unwrap_or_else(|_| Text::new("-").expect("literal is non-empty"))
}

fn texts(values: &[String]) -> Vec<Text> {
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
    let components: Vec<Component> = d
        .architecture
        .components
        .iter()
        .map(|c| Component {
            name: text(&c.name, "component"),
            kind: c.kind,
        })
        .collect();
    let components = NonEmpty::new(components).map_err(|_| {
        PlannerError::PackInvalid(vec![pass_contracts::Problem {
            path: "architecture.components".to_owned(),
            message: "no components".to_owned(),
        }])
    })?;
    let data_stores = d
        .architecture
        .components
        .iter()
        .filter(|c| {
            matches!(
                c.kind,
                ComponentType::Db | ComponentType::ObjectStorage | ComponentType::Cache
            )
        })
        .map(|c| {
            let mut s = format!("{}: {}", c.name, c.technology);
            if !c.cloud_service.is_empty() {
                s.push_str(&format!(" on {}", c.cloud_service));
            }
            s
        })
        .collect::<Vec<_>>();
    let architecture = Architecture {
        name: text(&d.architecture.name, "Architecture"),
        description: text(&d.architecture.description, "-"),
        components,
        data_flows: d
            .architecture
            .data_flows
            .iter()
            .filter_map(|f| Text::new(format!("{} -> {}: {}", f.from, f.to, f.description)).ok())
            .collect(),
        data_stores: texts(&data_stores),
        async_patterns: texts(&d.architecture.async_patterns),
        api_surface: texts(&d.architecture.api_surface),
        tradeoffs: Tradeoffs {
            pros: texts(&d.architecture.pros),
            cons: texts(&d.architecture.cons),
            risks: texts(&d.architecture.risks),
        },
        rationale: text(&d.architecture.rationale, "-"),
    };

    let requirements: Vec<Requirement> = d
        .requirements
        .requirements
        .iter()
        .map(|r| Requirement {
            id: text(&r.id, "REQ"),
            text: text(&r.text, "-"),
            priority: r.priority,
            acceptance_criteria: texts(&r.acceptance_criteria),
        })
        .collect();
    let issues = &d.issue_plan.issues;
    // Requirement id → the issues implementing it, fully and in part, built
    // once: a plan of thousands of requirements is not scanned per requirement.
    let mut full_by: BTreeMap<&str, Vec<&str>> = BTreeMap::new();
    let mut part_by: BTreeMap<&str, Vec<&str>> = BTreeMap::new();
    for issue in issues {
        for (links, by) in [
            (&issue.implements, &mut full_by),
            (&issue.partially_implements, &mut part_by),
        ] {
            for r in links {
                let list = by.entry(r.as_str()).or_default();
                if !list.contains(&issue.id.as_str()) {
                    list.push(issue.id.as_str());
                }
            }
        }
    }
    let coverage = requirements
        .iter()
        .map(|r| {
            let full = full_by.get(r.id.as_str()).cloned().unwrap_or_default();
            let part = part_by.get(r.id.as_str()).cloned().unwrap_or_default();
            let (status, notes) = if !full.is_empty() {
                let mut note = format!("covered by {}", full.join(", "));
                if !part.is_empty() {
                    note.push_str(&format!("; also {}", part.join(", ")));
                }
                (CoverageStatus::Covered, note)
            } else if !part.is_empty() {
                (
                    CoverageStatus::Partial,
                    format!("partly covered by {}", part.join(", ")),
                )
            } else {
                (
                    CoverageStatus::Missing,
                    "no issue in the plan implements it".to_owned(),
                )
            };
            Coverage {
                requirement_id: r.id.clone(),
                status,
                notes: Some(notes),
            }
        })
        .collect();
    let trace = d
        .requirements
        .requirements
        .iter()
        .filter_map(|r| {
            Some(TraceEntry {
                requirement_id: Text::new(r.id.trim()).ok()?,
                source_hint: Text::new(r.source_hint.trim()).ok()?,
            })
        })
        .collect();

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
        clarifications: d
            .clarifications
            .clarifications
            .iter()
            .map(|c| Clarification {
                id: text(&c.id, "CQ"),
                question: text(&c.question, "-"),
                answer: text(&c.answer, "-"),
                default_used: c.default_used,
                why_it_matters: text(&c.why_it_matters, "-"),
            })
            .collect(),
        actors: texts(&d.core.actors),
        workflows: d
            .workflows
            .workflows
            .iter()
            .filter_map(|w| {
                Some(Workflow {
                    id: text(&w.id, "WF"),
                    name: text(&w.name, "Workflow"),
                    steps: NonEmpty::new(texts(&w.steps)).ok()?,
                })
            })
            .collect(),
        requirements,
        entities: d
            .domain
            .entities
            .iter()
            .map(|e| Entity {
                name: text(&e.name, "Entity"),
                fields: texts(&e.fields),
                notes: Some(e.notes.clone()).filter(|n| !n.trim().is_empty()),
            })
            .collect(),
        integrations: d
            .domain
            .integrations
            .iter()
            .map(|i| Integration {
                name: text(&i.name, "Integration"),
                purpose: text(&i.purpose, "-"),
                direction: i.direction,
                criticality: i.criticality,
                contract_stub: Some(i.contract_stub.clone()).filter(|n| !n.trim().is_empty()),
            })
            .collect(),
        nfrs: Nfrs {
            scale: d.domain.nfrs.scale,
            availability: d.domain.nfrs.availability,
            latency: d.domain.nfrs.latency,
            data_sensitivity: d.domain.nfrs.data_sensitivity,
            auditability: d.domain.nfrs.auditability,
        },
        architecture,
        refinement: Refinement {
            wireframe: Wireframe {
                enabled: true,
                editable_components: texts(&d.refinement.editable_components),
            },
            chat: Chat {
                enabled: true,
                suggested_questions: texts(&d.refinement.suggested_questions),
                editable_topics: texts(&d.refinement.editable_topics),
            },
        },
        implementation: Implementation {
            summary: text(&d.implementation.summary, "-"),
            iac_handoff: IacHandoff {
                summary: text(&d.implementation.iac_summary, "-"),
                modules: texts(&d.implementation.iac_modules),
            },
            logic_requirements: d
                .implementation
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
            github_issue_plan: issues.iter().map(issue_item).collect(),
            coordination: Coordination {
                pause_on_pending_questions: true,
                live_issue_updates: true,
                coordination_views: texts(&d.implementation.coordination_views),
                question_sources: texts(&d.implementation.question_sources),
            },
            observability: Observability {
                log_traces_enabled: true,
                coordination_panel_enabled: true,
                required_signals: texts(&d.implementation.required_signals),
                dashboard_panels: texts(&d.implementation.dashboard_panels),
            },
        },
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

fn issue_item(issue: &IssueDraft) -> IssuePlanItem {
    let mut labels = vec![
        format!("priority:{}", issue.priority.as_str()),
        format!("size:{}", issue.size.as_str()),
    ];
    for c in &issue.components {
        let slug = label_slug(c);
        if !slug.is_empty() {
            labels.push(format!("component:{slug}"));
        }
    }
    let mut body = String::new();
    body.push_str(issue.summary.trim());
    body.push_str("\n\n");
    if !issue.details.trim().is_empty() {
        body.push_str(issue.details.trim());
        body.push_str("\n\n");
    }
    if !issue.test_strategy.trim().is_empty() {
        body.push_str("**Test strategy:** ");
        body.push_str(issue.test_strategy.trim());
        body.push_str("\n\n");
    }
    let line = |label: &str, items: &[String]| {
        if items.is_empty() {
            String::new()
        } else {
            format!("**{label}:** {}\n", items.join(", "))
        }
    };
    body.push_str(&line("Implements", &issue.implements));
    body.push_str(&line("Partly implements", &issue.partially_implements));
    body.push_str(&line("Components", &issue.components));
    body.push_str(&line("Depends on", &issue.depends_on));
    body.push_str(&format!(
        "**Size:** {} · **Priority:** {}\n\n### Acceptance criteria\n",
        issue.size.as_str(),
        issue.priority.as_str()
    ));
    for a in &issue.acceptance_criteria {
        body.push_str(&format!("- [ ] {a}\n"));
    }
    IssuePlanItem {
        id: text(&issue.id, "ISSUE"),
        title: text(&issue.title, "Issue"),
        summary: text(&issue.summary, "-"),
        body: text(&body, "-"),
        labels: texts(&labels),
        depends_on: texts(&issue.depends_on),
        acceptance_criteria: texts(&issue.acceptance_criteria),
    }
}
