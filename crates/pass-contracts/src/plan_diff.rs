//! `plan_diff`: what one plan revision changed against the one before it,
//! uploaded as an artifact by every revision after a project's first.

use std::num::NonZeroU32;

use schemars::JsonSchema;
use serde::{Deserialize, Serialize};
use uuid::Uuid;

use crate::text::Text;

/// The `plan_diff` artifact.
#[derive(Debug, Clone, PartialEq, Eq, Serialize, Deserialize, JsonSchema)]
#[serde(deny_unknown_fields)]
pub struct PlanDiff {
    pub project_id: Uuid,
    pub run_id: Uuid,
    pub revision: NonZeroU32,
    /// The revision compared against: the newest earlier one with a plan.
    pub previous_run_id: Uuid,
    pub previous_revision: NonZeroU32,
    pub requirements: ListDiff,
    /// Architecture components, known by name.
    pub components: ListDiff,
    /// Items of `implementation.github_issue_plan`.
    pub plan_items: ListDiff,
    /// The answers and change requests this revision re-planned, if it refines
    /// the previous one.
    #[serde(default, skip_serializing_if = "Vec::is_empty")]
    pub reasons: Vec<Text>,
    /// What the planner read in them and could not apply (offline planning
    /// applies only what it can read; the rest is recorded, not guessed).
    #[serde(default, skip_serializing_if = "Vec::is_empty")]
    pub not_applied: Vec<Text>,
}

impl PlanDiff {
    /// True when nothing was added, changed or removed anywhere.
    pub fn is_empty(&self) -> bool {
        [&self.requirements, &self.components, &self.plan_items]
            .iter()
            .all(|list| list.is_empty())
    }
}

/// Added, changed and removed entries of one list, and how many stayed the same.
#[derive(Debug, Clone, Default, PartialEq, Eq, Serialize, Deserialize, JsonSchema)]
#[serde(deny_unknown_fields)]
pub struct ListDiff {
    #[serde(default)]
    pub added: Vec<DiffEntry>,
    #[serde(default)]
    pub changed: Vec<ChangedEntry>,
    #[serde(default)]
    pub removed: Vec<DiffEntry>,
    #[serde(default)]
    pub unchanged: u32,
}

impl ListDiff {
    pub fn is_empty(&self) -> bool {
        self.added.is_empty() && self.changed.is_empty() && self.removed.is_empty()
    }
}

/// An entry that appeared or disappeared.
#[derive(Debug, Clone, PartialEq, Eq, Serialize, Deserialize, JsonSchema)]
#[serde(deny_unknown_fields)]
pub struct DiffEntry {
    pub id: Text,
    pub title: Text,
    /// The answer or request that caused it, when known.
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub because: Option<Text>,
}

/// An entry present in both revisions whose content differs.
#[derive(Debug, Clone, PartialEq, Eq, Serialize, Deserialize, JsonSchema)]
#[serde(deny_unknown_fields)]
pub struct ChangedEntry {
    pub id: Text,
    pub title: Text,
    /// The fields that differ (`text`, `priority`, `title`, `depends_on`, …).
    pub fields: Vec<Text>,
    /// The answer or request that caused it, when known.
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub because: Option<Text>,
}
