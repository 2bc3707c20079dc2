//! A pack read back into the section drafts it was assembled from, so a
//! refinement on a model can hand the sections it carries over to the ones it
//! re-plans (as "sections already decided") and show a re-planned section
//! its previous version.
//!
//! The pack keeps almost everything a draft holds; what it drops is filled
//! as well as the pack allows, and never reaches the final pack for a
//! carried-over section (those are copied from the previous pack, see
//! [`super::model::splice`]):
//!
//! - core: the product kind, deployment and named stack come from the
//!   "The PRD is read as …" line the planner writes into the assumptions
//!   (a web application, nothing named, when it is missing);
//! - requirements: the source hint is the trace entry's;
//! - architecture: `approach` and `responsibility` are empty, the
//!   technology and cloud service of data stores come from `data_stores`
//!   (other components' from a parenthesis in their name), web and API
//!   components are public, and the style is read from the component types;
//! - issue plan: details, test strategy, links, size and priority are read
//!   back from the issue body and labels PASS wrote; `approach` and
//!   `left_out` (which the pack folds into the assumptions) are empty.

use pass_contracts::ArchitecturePack;
use pass_contracts::pack::{ComponentType, IssuePlanItem, Priority};
use serde_json::Value;

use crate::sections::{
    ArchitectureDraft, ArchitectureStyle, ClarificationDraft, ClarificationsDraft, ComponentDraft,
    CoreDraft, DataFlowDraft, DomainDraft, Drafts, EntityDraft, ImplementationDraft,
    IntegrationDraft, IssueDraft, IssuePlanDraft, IssueSize, LogicRequirementDraft, NfrsDraft,
    ProductKind, RefinementDraft, RequirementDraft, RequirementsDraft, WorkflowDraft,
    WorkflowsDraft,
};

/// Every product kind, for reading the product line back.
const PRODUCT_KINDS: [ProductKind; 9] = [
    ProductKind::WebSaas,
    ProductKind::ApiService,
    ProductKind::DesktopOrLocalApp,
    ProductKind::CliOrLibrary,
    ProductKind::MobileApp,
    ProductKind::ChatOrVoiceBot,
    ProductKind::DataOrMlPipeline,
    ProductKind::Game,
    ProductKind::EmbeddedOrIot,
];

/// How the planner's product line starts (`product_line` in `lib.rs`).
pub(crate) const PRODUCT_LINE_START: &str = "The PRD is read as ";
/// How the planner's note about absent org constraints starts.
pub(crate) const NO_ORG_LINE_START: &str = "No org constraints were given:";

/// The drafts `pack` was assembled from, as far as the pack keeps them.
pub fn drafts_from_pack(pack: &ArchitecturePack) -> Drafts {
    Drafts {
        core: core(pack),
        requirements: RequirementsDraft {
            requirements: pack
                .requirements
                .iter()
                .map(|r| RequirementDraft {
                    id: r.id.to_string(),
                    text: r.text.to_string(),
                    priority: r.priority,
                    acceptance_criteria: strings(&r.acceptance_criteria),
                    source_hint: pack
                        .trace
                        .iter()
                        .find(|t| t.requirement_id == r.id)
                        .map(|t| t.source_hint.to_string())
                        .unwrap_or_default(),
                })
                .collect(),
        },
        clarifications: ClarificationsDraft {
            clarifications: pack
                .clarifications
                .iter()
                .map(|c| ClarificationDraft {
                    id: c.id.to_string(),
                    question: c.question.to_string(),
                    answer: c.answer.to_string(),
                    default_used: c.default_used,
                    why_it_matters: c.why_it_matters.to_string(),
                })
                .collect(),
        },
        workflows: WorkflowsDraft {
            workflows: pack
                .workflows
                .iter()
                .map(|w| WorkflowDraft {
                    id: w.id.to_string(),
                    name: w.name.to_string(),
                    steps: w.steps.iter().map(ToString::to_string).collect(),
                })
                .collect(),
        },
        domain: DomainDraft {
            entities: pack
                .entities
                .iter()
                .map(|e| EntityDraft {
                    name: e.name.to_string(),
                    fields: strings(&e.fields),
                    notes: e.notes.clone().unwrap_or_default(),
                })
                .collect(),
            integrations: pack
                .integrations
                .iter()
                .map(|i| IntegrationDraft {
                    name: i.name.to_string(),
                    purpose: i.purpose.to_string(),
                    direction: i.direction,
                    criticality: i.criticality,
                    contract_stub: i.contract_stub.clone().unwrap_or_default(),
                })
                .collect(),
            nfrs: NfrsDraft {
                scale: pack.nfrs.scale,
                availability: pack.nfrs.availability,
                latency: pack.nfrs.latency,
                data_sensitivity: pack.nfrs.data_sensitivity,
                auditability: pack.nfrs.auditability,
            },
        },
        architecture: architecture(pack),
        refinement: RefinementDraft {
            editable_components: strings(&pack.refinement.wireframe.editable_components),
            suggested_questions: strings(&pack.refinement.chat.suggested_questions),
            editable_topics: strings(&pack.refinement.chat.editable_topics),
        },
        implementation: ImplementationDraft {
            summary: pack.implementation.summary.to_string(),
            iac_summary: pack.implementation.iac_handoff.summary.to_string(),
            iac_modules: strings(&pack.implementation.iac_handoff.modules),
            logic_requirements: pack
                .implementation
                .logic_requirements
                .iter()
                .map(|l| LogicRequirementDraft {
                    id: l.id.to_string(),
                    title: l.title.to_string(),
                    summary: l.summary.to_string(),
                    priority: l.priority,
                    acceptance_criteria: strings(&l.acceptance_criteria),
                    affected_components: strings(&l.affected_components),
                    dependencies: strings(&l.dependencies),
                })
                .collect(),
            coordination_views: strings(&pack.implementation.coordination.coordination_views),
            question_sources: strings(&pack.implementation.coordination.question_sources),
            required_signals: strings(&pack.implementation.observability.required_signals),
            dashboard_panels: strings(&pack.implementation.observability.dashboard_panels),
        },
        issue_plan: IssuePlanDraft {
            approach: String::new(),
            issues: pack
                .implementation
                .github_issue_plan
                .iter()
                .map(|item| issue(item, pack))
                .collect(),
            left_out: Vec::new(),
        },
    }
}

fn strings(list: &[pass_contracts::Text]) -> Vec<String> {
    list.iter().map(ToString::to_string).collect()
}

/// The core draft: the product line read back, the other assumptions kept.
fn core(pack: &ArchitecturePack) -> CoreDraft {
    let (product_kind, named_stack, deployment) = pack
        .assumptions
        .iter()
        .find_map(|a| read_product_line(a))
        .unwrap_or((ProductKind::WebSaas, Vec::new(), String::new()));
    CoreDraft {
        title: pack.prd.title.clone().unwrap_or_default(),
        summary: pack.prd.summary.to_string(),
        actors: strings(&pack.actors),
        product_kind,
        deployment,
        named_stack,
        assumptions: pack
            .assumptions
            .iter()
            .filter(|a| !a.starts_with(PRODUCT_LINE_START) && !a.starts_with(NO_ORG_LINE_START))
            .map(ToString::to_string)
            .collect(),
        open_questions: strings(&pack.open_questions),
    }
}

/// (kind, named stack, deployment) from "The PRD is read as a web
/// application built with Next.js, PostgreSQL; it runs hosted SaaS."
fn read_product_line(line: &str) -> Option<(ProductKind, Vec<String>, String)> {
    let rest = line.strip_prefix(PRODUCT_LINE_START)?;
    let kind = PRODUCT_KINDS
        .iter()
        .filter(|k| rest.starts_with(k.describe()))
        .max_by_key(|k| k.describe().len())?;
    let rest = &rest[kind.describe().len()..];
    let (stack, deployment) = match rest.split_once("; it runs ") {
        Some((stack, deployment)) => (stack, deployment.trim_end_matches('.').trim()),
        None => (rest, ""),
    };
    let named_stack = stack
        .trim_end_matches('.')
        .strip_prefix(" built with ")
        .map(|list| {
            list.split(", ")
                .map(str::trim)
                .filter(|s| !s.is_empty())
                .map(str::to_owned)
                .collect()
        })
        .unwrap_or_default();
    Some((*kind, named_stack, deployment.to_owned()))
}

/// The architecture draft: data stores read back for their technology and
/// cloud service, data flows split at their component names.
fn architecture(pack: &ArchitecturePack) -> ArchitectureDraft {
    let a = &pack.architecture;
    let mut names: Vec<&str> = a.components.iter().map(|c| c.name.as_str()).collect();
    // Longest first, so "API Gateway" is not read as "API".
    names.sort_by_key(|n| std::cmp::Reverse(n.len()));
    let components: Vec<ComponentDraft> = a
        .components
        .iter()
        .map(|c| {
            let name = c.name.as_str();
            let stored = a
                .data_stores
                .iter()
                .find_map(|s| s.as_str().strip_prefix(name)?.strip_prefix(": "));
            let (technology, cloud_service) = match stored {
                Some(rest) => match rest.rsplit_once(" on ") {
                    Some((technology, service)) => (technology.to_owned(), service.to_owned()),
                    None => (rest.to_owned(), String::new()),
                },
                None => (
                    name.split_once('(')
                        .and_then(|(_, rest)| rest.split_once(')'))
                        .map(|(tech, _)| tech.trim().to_lowercase())
                        .unwrap_or_default(),
                    String::new(),
                ),
            };
            ComponentDraft {
                name: name.to_owned(),
                kind: c.kind,
                technology,
                cloud_service,
                publicly_accessible: matches!(c.kind, ComponentType::Web | ComponentType::Api),
                responsibility: String::new(),
            }
        })
        .collect();
    let data_flows = a
        .data_flows
        .iter()
        .map(|flow| read_flow(flow, &names))
        .collect();
    let kinds: Vec<ComponentType> = a.components.iter().map(|c| c.kind).collect();
    let apis = kinds.iter().filter(|k| **k == ComponentType::Api).count();
    let style = if apis >= 3 {
        ArchitectureStyle::Microservices
    } else if kinds
        .iter()
        .any(|k| matches!(k, ComponentType::Worker | ComponentType::Queue))
    {
        ArchitectureStyle::ApiWorker
    } else {
        ArchitectureStyle::Monolith
    };
    ArchitectureDraft {
        approach: String::new(),
        name: a.name.to_string(),
        description: a.description.to_string(),
        style,
        components,
        data_flows,
        async_patterns: strings(&a.async_patterns),
        api_surface: strings(&a.api_surface),
        pros: strings(&a.tradeoffs.pros),
        cons: strings(&a.tradeoffs.cons),
        risks: strings(&a.tradeoffs.risks),
        rationale: a.rationale.to_string(),
    }
}

/// "from -> to: description", the component names matched first.
fn read_flow(flow: &str, names: &[&str]) -> DataFlowDraft {
    let known = names.iter().find_map(|from| {
        let rest = flow.strip_prefix(from)?.strip_prefix(" -> ")?;
        names.iter().find_map(|to| {
            let description = rest.strip_prefix(to)?.strip_prefix(": ")?;
            Some(((*from).to_owned(), (*to).to_owned(), description.to_owned()))
        })
    });
    let (from, to, description) = known.unwrap_or_else(|| {
        let (from, rest) = flow.split_once(" -> ").unwrap_or(("", flow));
        let (to, description) = rest.split_once(": ").unwrap_or((rest, ""));
        (from.to_owned(), to.to_owned(), description.to_owned())
    });
    DataFlowDraft {
        from,
        to,
        description,
    }
}

/// The lines PASS writes between an issue's text and its size line.
const LINK_LINES: [&str; 4] = [
    "**Implements:** ",
    "**Partly implements:** ",
    "**Components:** ",
    "**Depends on:** ",
];
const SIZE_LINE: &str = "**Size:** ";
const TEST_STRATEGY: &str = "**Test strategy:** ";

/// An issue draft read back from the body PASS assembled (`IssueDraft::to_pack`
/// in `sections/issue_plan.rs`): summary, details, test strategy, link lines,
/// size and priority line, acceptance criteria.
fn issue(item: &IssuePlanItem, pack: &ArchitecturePack) -> IssueDraft {
    let body = item.body.as_str();
    let lines: Vec<&str> = body.split('\n').collect();
    let size_at = lines.iter().rposition(|l| l.starts_with(SIZE_LINE));
    let links_at = size_at.map(|size_at| {
        let mut start = size_at;
        while start > 0 && LINK_LINES.iter().any(|m| lines[start - 1].starts_with(m)) {
            start -= 1;
        }
        start
    });
    let link = |marker: &str| -> Vec<String> {
        let (Some(start), Some(end)) = (links_at, size_at) else {
            return Vec::new();
        };
        lines[start..end]
            .iter()
            .find_map(|l| l.strip_prefix(marker))
            .map(|list| {
                list.split(", ")
                    .map(str::trim)
                    .filter(|s| !s.is_empty())
                    .map(str::to_owned)
                    .collect()
            })
            .unwrap_or_default()
    };
    let head = links_at
        .map(|start| lines[..start].join("\n"))
        .unwrap_or_else(|| body.to_owned());
    let summary = item.summary.as_str().trim();
    let after_summary = head.strip_prefix(summary).unwrap_or(&head).trim();
    let (details, test_strategy) = if let Some(rest) = after_summary.strip_prefix(TEST_STRATEGY) {
        ("", rest)
    } else {
        match after_summary.rsplit_once(&format!("\n\n{TEST_STRATEGY}")) {
            Some((details, strategy)) => (details, strategy),
            None => (after_summary, ""),
        }
    };
    let size_line = size_at.map(|i| lines[i]).unwrap_or_default();
    let label = |prefix: &str| {
        item.labels
            .iter()
            .find_map(|l| l.as_str().strip_prefix(prefix).map(str::to_owned))
    };
    let size = read_size_line(size_line, "**Size:** ", " ·")
        .or_else(|| label("size:"))
        .and_then(|s| enum_value::<IssueSize>(&s))
        .unwrap_or(IssueSize::M);
    let priority = read_size_line(size_line, "**Priority:** ", "")
        .or_else(|| label("priority:"))
        .and_then(|s| enum_value::<Priority>(&s))
        .unwrap_or(Priority::Must);
    let mut components = link("**Components:** ");
    if components.is_empty() {
        components = pack
            .architecture
            .components
            .iter()
            .map(|c| c.name.to_string())
            .filter(|name| {
                let slug = format!("component:{}", crate::assemble::label_slug(name));
                item.labels.iter().any(|l| l.as_str() == slug)
            })
            .collect();
    }
    IssueDraft {
        id: item.id.to_string(),
        title: item.title.to_string(),
        summary: summary.to_owned(),
        details: details.trim().to_owned(),
        test_strategy: test_strategy.trim().to_owned(),
        implements: link("**Implements:** "),
        partially_implements: link("**Partly implements:** "),
        components,
        depends_on: strings(&item.depends_on),
        size,
        priority,
        acceptance_criteria: strings(&item.acceptance_criteria),
    }
}

/// The word after `marker` in the size line, up to `end` (or the line's end).
fn read_size_line(line: &str, marker: &str, end: &str) -> Option<String> {
    let (_, rest) = line.split_once(marker)?;
    let value = if end.is_empty() {
        rest
    } else {
        rest.split_once(end).map_or(rest, |(value, _)| value)
    };
    Some(value.trim().to_owned()).filter(|v| !v.is_empty())
}

fn enum_value<T: serde::de::DeserializeOwned>(text: &str) -> Option<T> {
    serde_json::from_value(Value::String(text.to_lowercase())).ok()
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn the_product_line_is_read_back_for_every_kind() {
        for kind in PRODUCT_KINDS {
            let line = format!(
                "{PRODUCT_LINE_START}{} built with Next.js, PostgreSQL; it runs hosted SaaS.",
                kind.describe()
            );
            let (read, stack, deployment) = read_product_line(&line).unwrap();
            assert_eq!(read, kind);
            assert_eq!(stack, ["Next.js", "PostgreSQL"]);
            assert_eq!(deployment, "hosted SaaS");
        }
        let plain = format!("{PRODUCT_LINE_START}a game.");
        assert_eq!(
            read_product_line(&plain).unwrap(),
            (ProductKind::Game, Vec::new(), String::new())
        );
    }

    #[test]
    fn the_planner_s_own_product_line_reads_back() {
        let core = CoreDraft {
            title: String::new(),
            summary: "s".to_owned(),
            actors: Vec::new(),
            product_kind: ProductKind::ChatOrVoiceBot,
            deployment: "Hosted by the clinic".to_owned(),
            named_stack: vec!["Twilio".to_owned(), "FastAPI".to_owned()],
            assumptions: Vec::new(),
            open_questions: Vec::new(),
        };
        let line = crate::product_line(&core);
        assert_eq!(
            read_product_line(&line),
            Some((
                ProductKind::ChatOrVoiceBot,
                core.named_stack.clone(),
                "hosted by the clinic".to_owned()
            ))
        );
    }

    #[test]
    fn data_flows_split_at_component_names_even_with_colons_and_arrows() {
        let names = ["API (Fastify) -> v2", "Database"];
        let flow = read_flow("API (Fastify) -> v2 -> Database: writes: rows", &names);
        assert_eq!(flow.from, "API (Fastify) -> v2");
        assert_eq!(flow.to, "Database");
        assert_eq!(flow.description, "writes: rows");
    }
}
