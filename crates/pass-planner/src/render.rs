//! Human views of a pack: a Markdown summary (with a Mermaid block GitHub
//! renders) and the Mermaid flowchart on its own.

use std::collections::BTreeMap;

use pass_contracts::ArchitecturePack;
use pass_contracts::pack::{ComponentType, CoverageStatus};

/// Escapes a label so any component name renders inside `"..."`.
pub fn mermaid_label(text: &str) -> String {
    let mut out = String::with_capacity(text.len());
    for c in text.chars() {
        match c {
            '#' => out.push_str("#35;"),
            '"' => out.push_str("#quot;"),
            '<' => out.push_str("#lt;"),
            '>' => out.push_str("#gt;"),
            '&' => out.push_str("#amp;"),
            '`' => out.push_str("#96;"),
            '|' => out.push_str("#124;"),
            '\n' | '\r' | '\t' => out.push(' '),
            c => out.push(c),
        }
    }
    out
}

fn node(id: &str, label: &str, kind: ComponentType) -> String {
    let l = mermaid_label(label);
    match kind {
        ComponentType::Web => format!("{id}[/\"{l}\"/]"),
        ComponentType::Api => format!("{id}[\"{l}\"]"),
        ComponentType::Worker => format!("{id}[[\"{l}\"]]"),
        ComponentType::Db => format!("{id}[(\"{l}\")]"),
        ComponentType::Queue => format!("{id}>\"{l}\"]"),
        ComponentType::Cache => format!("{id}{{{{\"{l}\"}}}}"),
        ComponentType::ObjectStorage => format!("{id}[\\\"{l}\"\\]"),
        ComponentType::AuthProvider => format!("{id}([\"{l}\"])"),
        ComponentType::ExternalIntegration => format!("{id}((\"{l}\"))"),
    }
}

/// The flowchart: one node per component shaped by its type, and an edge
/// only where a data flow names two components (the first named → the next).
pub fn mermaid_diagram(pack: &ArchitecturePack) -> String {
    let components = &pack.architecture.components;
    let ids: BTreeMap<&str, String> = components
        .iter()
        .enumerate()
        .map(|(i, c)| (c.name.as_str(), format!("c{i}")))
        .collect();
    let mut out = String::from("flowchart LR\n");
    for (i, c) in components.iter().enumerate() {
        out.push_str("    ");
        out.push_str(&node(&format!("c{i}"), &c.name, c.kind));
        out.push('\n');
    }
    // Longest names first, so "API gateway" is not read as "API".
    let mut names: Vec<&str> = components.iter().map(|c| c.name.as_str()).collect();
    names.sort_by_key(|n| std::cmp::Reverse(n.len()));
    for flow in &pack.architecture.data_flows {
        let flow = flow.as_str();
        let mut found: Vec<(usize, &str)> = Vec::new();
        let mut taken: Vec<(usize, usize)> = Vec::new();
        for name in &names {
            let mut from = 0;
            while let Some(pos) = flow[from..].find(name) {
                let start = from + pos;
                let end = start + name.len();
                if !taken.iter().any(|(s, e)| start < *e && end > *s) {
                    taken.push((start, end));
                    found.push((start, name));
                    break;
                }
                from = end;
            }
        }
        found.sort();
        if found.len() < 2 || found[0].1 == found[1].1 {
            continue;
        }
        let label = flow
            .rsplit_once(": ")
            .map(|(_, l)| l)
            .filter(|l| !l.is_empty() && !names.iter().any(|n| l.contains(n)));
        let (Some(a), Some(b)) = (ids.get(found[0].1), ids.get(found[1].1)) else {
            continue;
        };
        match label {
            Some(l) => out.push_str(&format!("    {a} -->|\"{}\"| {b}\n", mermaid_label(l))),
            None => out.push_str(&format!("    {a} --> {b}\n")),
        }
    }
    out
}

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
    md.push_str(&mermaid_diagram(pack));
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

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn labels_escape_what_breaks_mermaid() {
        assert_eq!(
            mermaid_label("A \"quoted\" <b>#1</b> | `x`"),
            "A #quot;quoted#quot; #lt;b#gt;#35;1#lt;/b#gt; #124; #96;x#96;"
        );
    }
}
