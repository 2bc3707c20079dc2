//! The `architecture` section: the design's style, components and data flows,
//! with its trade-offs. It depends on `core`, `requirements`,
//! `clarifications`, `workflows` and `domain`.

use std::collections::{HashMap, HashSet};

use pass_contracts::pack::ComponentType;
use schemars::JsonSchema;
use serde::{Deserialize, Serialize};

use crate::repair::{Kind, Matcher, changed};

use crate::assemble::{text, texts};
use crate::error::PlannerError;
use pass_contracts::NonEmpty;
use pass_contracts::Text;
use pass_contracts::pack::{Architecture, Component, Tradeoffs};

use super::blank;

/// What the model is asked to do for this section, on top of the shared
/// system instructions.
pub(super) const INSTRUCTIONS: &str = "First write approach: how the product kind, deployment, named stack, the PRD's constraints, the workflows and the clarification answers shape the design, in a few sentences. Then design the architecture. The stack the PRD names (core.named_stack) is kept; the org constraints fill only what the PRD leaves open, unless they were given with strictness strict, in which case they win and each conflict with the PRD is stated in risks. A local-first or offline product gets no cloud components. Every core integration becomes an external_integration component or an adapter inside one. Give every component a unique name, its type, its technology in lower case (e.g. fastapi, tauri, postgres), the cloud service it runs on (one of the allowed services when the product is cloud-hosted, else empty) and whether it is reachable from the internet. Every data flow names two components by their exact names. Pros, cons and risks each name the PRD constraint or requirement they answer; no generic trade-offs.";

/// What this section holds, for the question of which sections a change alters.
pub(super) const ROLE: &str =
    "components and their technologies, data stores, data flows, API surface, trade-offs";

/// The contract's `ANTHROPIC_*_MAX_TOKENS` name for this section's output budget.
pub(super) const BUDGET_ENV: &str = "ANTHROPIC_ARCHITECTURE_MAX_TOKENS";

/// Default output budget: room for a long tool call of this section.
pub(super) const DEFAULT_MAX_TOKENS: u32 = 8_192;

/// The shape of the system, checked against `architecture_preference`.
#[derive(Debug, Clone, Copy, PartialEq, Eq, Serialize, Deserialize, JsonSchema)]
#[serde(rename_all = "snake_case")]
pub enum ArchitectureStyle {
    Monolith,
    ApiWorker,
    Microservices,
}

impl ArchitectureStyle {
    pub fn as_str(self) -> &'static str {
        match self {
            ArchitectureStyle::Monolith => "monolith",
            ArchitectureStyle::ApiWorker => "api_worker",
            ArchitectureStyle::Microservices => "microservices",
        }
    }
}

#[derive(Debug, Clone, PartialEq, Serialize, Deserialize, JsonSchema)]
#[serde(deny_unknown_fields)]
pub struct ArchitectureDraft {
    /// Written first: how the product kind, deployment, named stack,
    /// constraints, workflows and clarification answers shape the design.
    pub approach: String,
    /// A short name for the design.
    pub name: String,
    /// Two or three sentences on how the parts fit together.
    pub description: String,
    pub style: ArchitectureStyle,
    /// At least one component; names unique.
    #[schemars(length(min = 1))]
    pub components: Vec<ComponentDraft>,
    pub data_flows: Vec<DataFlowDraft>,
    pub async_patterns: Vec<String>,
    pub api_surface: Vec<String>,
    pub pros: Vec<String>,
    pub cons: Vec<String>,
    pub risks: Vec<String>,
    /// Why this design fits the PRD and the org constraints.
    pub rationale: String,
}

#[derive(Debug, Clone, PartialEq, Serialize, Deserialize, JsonSchema)]
#[serde(deny_unknown_fields)]
pub struct ComponentDraft {
    /// Unique name, used verbatim everywhere else in the pack.
    pub name: String,
    #[serde(rename = "type")]
    pub kind: ComponentType,
    /// Framework or engine in lower case: nextjs, react, fastify, express, nestjs, postgres, mysql, sqlite, dynamodb, redis ...
    pub technology: String,
    /// The managed cloud service it runs on, one of the allowed services; empty string for none.
    pub cloud_service: String,
    /// Whether it is reachable from the public internet.
    pub publicly_accessible: bool,
    pub responsibility: String,
}

#[derive(Debug, Clone, PartialEq, Serialize, Deserialize, JsonSchema)]
#[serde(deny_unknown_fields)]
pub struct DataFlowDraft {
    /// Exact name of the sending component.
    pub from: String,
    /// Exact name of the receiving component.
    pub to: String,
    pub description: String,
}

pub(super) fn check_architecture(d: &ArchitectureDraft) -> Vec<String> {
    let mut problems = Vec::new();
    blank(&mut problems, "name", &d.name);
    blank(&mut problems, "description", &d.description);
    blank(&mut problems, "rationale", &d.rationale);
    if d.components.is_empty() {
        problems.push("components: needs at least one component".to_owned());
    }
    let mut names = HashSet::new();
    for (i, c) in d.components.iter().enumerate() {
        blank(&mut problems, &format!("components[{i}].name"), &c.name);
        if !names.insert(c.name.as_str()) {
            problems.push(format!("components[{i}].name: duplicate name {:?}", c.name));
        }
    }
    for (i, f) in d.data_flows.iter().enumerate() {
        for (field, name) in [("from", &f.from), ("to", &f.to)] {
            if !names.contains(name.as_str()) {
                problems.push(format!(
                    "data_flows[{i}].{field}: {name:?} is not the exact name of a component"
                ));
            }
        }
        blank(
            &mut problems,
            &format!("data_flows[{i}].description"),
            &f.description,
        );
    }
    problems
}

/// The deterministic repair of this section (see [`crate::repair::repair`]):
/// every change is described in `notes`.
pub(crate) fn repair_architecture(d: &mut ArchitectureDraft, notes: &mut Vec<String>) {
    d.components.retain(|c| !c.name.trim().is_empty());
    let mut seen: HashMap<String, usize> = HashMap::new();
    for c in &mut d.components {
        let count = seen.entry(c.name.clone()).or_insert(0);
        *count += 1;
        if *count > 1 {
            let fresh = format!("{} ({})", c.name, count);
            notes.push(format!(
                "A second component named {:?} was renamed {fresh:?}.",
                c.name
            ));
            c.name = fresh;
        }
    }
    let names = Matcher::new(d.components.iter().map(|c| c.name.clone()), Kind::Name);
    d.data_flows.retain_mut(|f| {
        for end in [&mut f.from, &mut f.to] {
            match names.closest(end) {
                Some(found) => {
                    if found != end {
                        notes.push(changed("Data flow end", end, Some(found), "a component"));
                        *end = found.to_owned();
                    }
                }
                None => {
                    notes.push(format!(
                        "A data flow names {end:?}, which is not a component, and was dropped."
                    ));
                    return false;
                }
            }
        }
        if f.description.trim().is_empty() {
            f.description = format!("{} to {}", f.from, f.to);
        }
        true
    });
    if d.name.trim().is_empty() {
        d.name = "Architecture".to_owned();
    }
    if d.description.trim().is_empty() {
        let parts: Vec<&str> = d.components.iter().map(|c| c.name.as_str()).collect();
        d.description = format!("Components: {}.", parts.join(", "));
    }
    if d.rationale.trim().is_empty() && !d.approach.trim().is_empty() {
        d.rationale = d.approach.clone();
    }
}

impl ArchitectureDraft {
    /// The pack's `architecture`: data stores are the database, object
    /// storage and cache components.
    pub(crate) fn to_pack(&self) -> Result<Architecture, PlannerError> {
        let components: Vec<Component> = self
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
        let data_stores = self
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
        Ok(Architecture {
            name: text(&self.name, "Architecture"),
            description: text(&self.description, "-"),
            components,
            data_flows: self
                .data_flows
                .iter()
                .filter_map(|f| {
                    Text::new(format!("{} -> {}: {}", f.from, f.to, f.description)).ok()
                })
                .collect(),
            data_stores: texts(&data_stores),
            async_patterns: texts(&self.async_patterns),
            api_surface: texts(&self.api_surface),
            tradeoffs: Tradeoffs {
                pros: texts(&self.pros),
                cons: texts(&self.cons),
                risks: texts(&self.risks),
            },
            rationale: text(&self.rationale, "-"),
        })
    }
}

/// Letter-case canonicalisation of this section's references (see
/// [`crate::repair::canonicalise`]).
pub(crate) fn canonicalise_architecture(d: &mut ArchitectureDraft) {
    let names = Matcher::new(d.components.iter().map(|c| c.name.clone()), Kind::Name);
    for flow in &mut d.data_flows {
        for end in [&mut flow.from, &mut flow.to] {
            if let Some(found) = names.canonical(end) {
                *end = found.to_owned();
            }
        }
    }
}
