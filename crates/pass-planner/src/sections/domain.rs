//! The `domain` section: data entities, external integrations and the
//! non-functional requirements. It depends on `core`.

use std::collections::HashSet;

use pass_contracts::pack::{
    Auditability, Availability, Criticality, DataSensitivity, Direction, Latency, Scale,
};
use schemars::JsonSchema;
use serde::{Deserialize, Serialize};

use crate::assemble::{text, texts};
use pass_contracts::pack::{Entity, Integration, Nfrs};

use super::blank;

/// What the model is asked to do for this section, on top of the shared
/// system instructions.
pub(super) const INSTRUCTIONS: &str = "Describe the data entities (with their fields), the external integrations and the non-functional requirements. An integration is a service the product itself calls or is called by (payments, messaging channels such as WhatsApp, speech, email, calendars, storage, LLM vendors, source hosting); the team's own tools and services named only in non-goals or as alternatives (\"instead of X\") are not integrations. NFRs: health or personal data means pii, payments mean financial_like, 99.9% or better means high availability.";

/// What this section holds, for the question of which sections a change alters.
pub(super) const ROLE: &str =
    "data entities and their fields, external integrations, non-functional requirements";

/// The contract's `ANTHROPIC_*_MAX_TOKENS` name for this section's output budget.
pub(super) const BUDGET_ENV: &str = "ANTHROPIC_DOMAIN_MAX_TOKENS";

/// Default output budget: room for a long tool call of this section.
pub(super) const DEFAULT_MAX_TOKENS: u32 = 6_144;

#[derive(Debug, Clone, PartialEq, Serialize, Deserialize, JsonSchema)]
#[serde(deny_unknown_fields)]
pub struct DomainDraft {
    pub entities: Vec<EntityDraft>,
    pub integrations: Vec<IntegrationDraft>,
    pub nfrs: NfrsDraft,
}

#[derive(Debug, Clone, PartialEq, Serialize, Deserialize, JsonSchema)]
#[serde(deny_unknown_fields)]
pub struct EntityDraft {
    /// Unique entity name, singular (e.g. Appointment).
    pub name: String,
    pub fields: Vec<String>,
    /// Anything worth knowing; empty string for nothing.
    pub notes: String,
}

#[derive(Debug, Clone, PartialEq, Serialize, Deserialize, JsonSchema)]
#[serde(deny_unknown_fields)]
pub struct IntegrationDraft {
    /// The service's name (e.g. Stripe).
    pub name: String,
    pub purpose: String,
    pub direction: Direction,
    pub criticality: Criticality,
    /// A sketch of the calls made or received; empty string for none.
    pub contract_stub: String,
}

#[derive(Debug, Clone, Copy, PartialEq, Serialize, Deserialize, JsonSchema)]
#[serde(deny_unknown_fields)]
pub struct NfrsDraft {
    pub scale: Scale,
    pub availability: Availability,
    pub latency: Latency,
    pub data_sensitivity: DataSensitivity,
    pub auditability: Auditability,
}

pub(super) fn check_domain(d: &DomainDraft) -> Vec<String> {
    let mut problems = Vec::new();
    let mut seen = HashSet::new();
    for (i, e) in d.entities.iter().enumerate() {
        blank(&mut problems, &format!("entities[{i}].name"), &e.name);
        if !seen.insert(e.name.to_lowercase()) {
            problems.push(format!("entities[{i}].name: duplicate entity {:?}", e.name));
        }
    }
    for (i, g) in d.integrations.iter().enumerate() {
        blank(&mut problems, &format!("integrations[{i}].name"), &g.name);
        blank(
            &mut problems,
            &format!("integrations[{i}].purpose"),
            &g.purpose,
        );
    }
    problems
}

impl DomainDraft {
    /// The pack's `entities`.
    pub(crate) fn entities(&self) -> Vec<Entity> {
        self.entities
            .iter()
            .map(|e| Entity {
                name: text(&e.name, "Entity"),
                fields: texts(&e.fields),
                notes: Some(e.notes.clone()).filter(|n| !n.trim().is_empty()),
            })
            .collect()
    }

    /// The pack's `integrations`.
    pub(crate) fn integrations(&self) -> Vec<Integration> {
        self.integrations
            .iter()
            .map(|i| Integration {
                name: text(&i.name, "Integration"),
                purpose: text(&i.purpose, "-"),
                direction: i.direction,
                criticality: i.criticality,
                contract_stub: Some(i.contract_stub.clone()).filter(|n| !n.trim().is_empty()),
            })
            .collect()
    }

    /// The pack's `nfrs`.
    pub(crate) fn nfrs(&self) -> Nfrs {
        Nfrs {
            scale: self.nfrs.scale,
            availability: self.nfrs.availability,
            latency: self.nfrs.latency,
            data_sensitivity: self.nfrs.data_sensitivity,
            auditability: self.nfrs.auditability,
        }
    }
}

/// The deterministic repair of this section (see [`crate::repair::repair`]).
/// Drops unnamed and repeated entities and unnamed integrations, and fills
/// empty integration purposes.
pub(crate) fn repair_domain(d: &mut DomainDraft, notes: &mut Vec<String>) {
    let mut seen = HashSet::new();
    d.entities.retain(|e| {
        let keep = !e.name.trim().is_empty() && seen.insert(e.name.to_lowercase());
        if !keep && !e.name.trim().is_empty() {
            notes.push(format!(
                "Entity {:?} was listed twice; the first is kept.",
                e.name
            ));
        }
        keep
    });
    d.integrations.retain(|g| !g.name.trim().is_empty());
    for g in &mut d.integrations {
        if g.purpose.trim().is_empty() {
            g.purpose = format!("{} as the PRD names it.", g.name);
        }
    }
}
