//! The human view of a pack: a Markdown summary whose Mermaid blocks (the
//! component diagram and the issue graph, from `pass-diagrams`) GitHub renders.

use pass_contracts::ArchitecturePack;
use pass_contracts::pack::CoverageStatus;

fn snake<T: serde::Serialize>(value: &T) -> String {
    serde_json::to_value(value)
        .ok()
        .and_then(|v| v.as_str().map(str::to_owned))
        .unwrap_or_default()
}

fn cell(text: &str) -> String {
    text.replace('|', "\\|").replace('\n', " ")
}

/// The readable summary: product, diagram, requirements with priority and
/// coverage, issue plan with dependencies, open questions.
pub fn summary_markdown(pack: &ArchitecturePack) -> String {
    let mut md = String::new();
    let title = pack.prd.title.as_deref().unwrap_or("Architecture pack");
    md.push_str(&format!("# {title}\n\n"));
    md.push_str(&format!(
        "Run `{}` · pack {} · {} {}\n\n",
        pack.run_id, "0.1", "PASS-2A", pack.tool.version
    ));
    md.push_str("## Summary\n\n");
    md.push_str(pack.prd.summary.as_str());
    md.push_str("\n\n");
    if !pack.actors.is_empty() {
        md.push_str(&format!(
            "**Actors:** {}\n\n",
            pack.actors
                .iter()
                .map(|a| a.as_str())
                .collect::<Vec<_>>()
                .join(", ")
        ));
    }

    md.push_str(&format!("## Architecture: {}\n\n", pack.architecture.name));
    md.push_str(pack.architecture.description.as_str());
    md.push_str("\n\n```mermaid\n");
    md.push_str(&pass_diagrams::component_diagram(pack));
    md.push_str("```\n\n");
    md.push_str(&format!("{}\n\n", pack.architecture.rationale));
    let n = &pack.nfrs;
    md.push_str(&format!(
        "NFRs: scale {}, availability {}, latency {}, data sensitivity {}, auditability {}.\n\n",
        snake(&n.scale),
        snake(&n.availability),
        snake(&n.latency),
        snake(&n.data_sensitivity),
        snake(&n.auditability)
    ));

    md.push_str("## Requirements\n\n");
    if pack.requirements.is_empty() {
        md.push_str("The PRD states no requirements yet.\n\n");
    } else {
        md.push_str("| id | requirement | priority | coverage |\n|---|---|---|---|\n");
        for r in &pack.requirements {
            let coverage = pack
                .coverage
                .iter()
                .find(|c| c.requirement_id == r.id)
                .map(|c| {
                    let status = match c.status {
                        CoverageStatus::Covered => "covered",
                        CoverageStatus::Partial => "partial",
                        CoverageStatus::Missing => "missing",
                    };
                    match &c.notes {
                        Some(n) => format!("{status} ({n})"),
                        None => status.to_owned(),
                    }
                })
                .unwrap_or_else(|| "missing".to_owned());
            md.push_str(&format!(
                "| {} | {} | {} | {} |\n",
                cell(&r.id),
                cell(&r.text),
                r.priority.as_str(),
                cell(&coverage)
            ));
        }
        md.push('\n');
    }

    if !pack.workflows.is_empty() {
        md.push_str("## Workflows\n\n");
        for w in &pack.workflows {
            md.push_str(&format!("**{}** ({}): ", w.name, w.id));
            md.push_str(
                &w.steps
                    .iter()
                    .map(|s| s.as_str())
                    .collect::<Vec<_>>()
                    .join(" → "),
            );
            md.push_str("\n\n");
        }
    }
    if !pack.integrations.is_empty() {
        md.push_str("## Integrations\n\n");
        for i in &pack.integrations {
            md.push_str(&format!(
                "- **{}**: {} ({}, criticality {})\n",
                i.name,
                i.purpose,
                snake(&i.direction),
                snake(&i.criticality)
            ));
        }
        md.push('\n');
    }

    md.push_str("## Issue plan\n\n");
    let plan = &pack.implementation.github_issue_plan;
    if plan.is_empty() {
        md.push_str("No issues planned.\n\n");
    } else {
        md.push_str("```mermaid\n");
        md.push_str(&pass_diagrams::issue_graph(pack));
        md.push_str("```\n\n");
        md.push_str("| id | title | labels | depends on |\n|---|---|---|---|\n");
        for i in plan {
            md.push_str(&format!(
                "| {} | {} | {} | {} |\n",
                cell(&i.id),
                cell(&i.title),
                cell(
                    &i.labels
                        .iter()
                        .map(|l| l.as_str())
                        .collect::<Vec<_>>()
                        .join(", ")
                ),
                if i.depends_on.is_empty() {
                    "-".to_owned()
                } else {
                    cell(
                        &i.depends_on
                            .iter()
                            .map(|d| d.as_str())
                            .collect::<Vec<_>>()
                            .join(", "),
                    )
                }
            ));
        }
        md.push('\n');
    }

    md.push_str("## Open questions\n\n");
    if pack.open_questions.is_empty() {
        md.push_str("None.\n");
    } else {
        for q in &pack.open_questions {
            md.push_str(&format!("- {q}\n"));
        }
    }
    if !pack.assumptions.is_empty() {
        md.push_str("\n## Assumptions\n\n");
        for a in &pack.assumptions {
            md.push_str(&format!("- {a}\n"));
        }
    }
    md
}
