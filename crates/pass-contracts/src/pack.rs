//! The architecture pack: the planner's output and the implementation agent's input.

use schemars::JsonSchema;
use serde::{Deserialize, Serialize};
use uuid::Uuid;

use crate::org::OrgConstraints;
use crate::text::{NonEmpty, Text, Timestamp};

/// `pack_version`: only `"0.1"` exists.
#[derive(Debug, Clone, Copy, Default, PartialEq, Eq, Serialize, Deserialize, JsonSchema)]
pub enum PackVersion {
    #[default]
    #[serde(rename = "0.1")]
    V0_1,
}

/// `tool.name`: always `"PASS-2A"`.
#[derive(Debug, Clone, Copy, Default, PartialEq, Eq, Serialize, Deserialize, JsonSchema)]
pub enum ToolName {
    #[default]
    #[serde(rename = "PASS-2A")]
    Pass2A,
}

#[derive(Debug, Clone, PartialEq, Eq, Serialize, Deserialize, JsonSchema)]
#[serde(deny_unknown_fields)]
pub struct ToolInfo {
    pub name: ToolName,
    pub version: Text,
}

#[derive(Debug, Clone, PartialEq, Eq, Serialize, Deserialize, JsonSchema)]
#[serde(deny_unknown_fields)]
pub struct PrdInfo {
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub title: Option<String>,
    pub raw_text: Text,
    pub summary: Text,
}

#[derive(Debug, Clone, PartialEq, Eq, Serialize, Deserialize, JsonSchema)]
#[serde(deny_unknown_fields)]
pub struct Clarification {
    pub id: Text,
    pub question: Text,
    pub answer: Text,
    #[serde(default)]
    pub default_used: bool,
    pub why_it_matters: Text,
}

#[derive(Debug, Clone, PartialEq, Eq, Serialize, Deserialize, JsonSchema)]
#[serde(deny_unknown_fields)]
pub struct Workflow {
    pub id: Text,
    pub name: Text,
    pub steps: NonEmpty<Text>,
}

#[derive(
    Debug,
    Clone,
    Copy,
    Default,
    PartialEq,
    Eq,
    PartialOrd,
    Ord,
    Hash,
    Serialize,
    Deserialize,
    JsonSchema,
)]
#[serde(rename_all = "snake_case")]
pub enum Priority {
    #[default]
    Must,
    Should,
    Could,
}

impl Priority {
    pub fn as_str(self) -> &'static str {
        match self {
            Priority::Must => "must",
            Priority::Should => "should",
            Priority::Could => "could",
        }
    }
}

#[derive(Debug, Clone, PartialEq, Eq, Serialize, Deserialize, JsonSchema)]
#[serde(deny_unknown_fields)]
pub struct Requirement {
    pub id: Text,
    pub text: Text,
    #[serde(default)]
    pub priority: Priority,
    #[serde(default)]
    pub acceptance_criteria: Vec<Text>,
}

#[derive(Debug, Clone, PartialEq, Eq, Serialize, Deserialize, JsonSchema)]
#[serde(deny_unknown_fields)]
pub struct Entity {
    pub name: Text,
    #[serde(default)]
    pub fields: Vec<Text>,
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub notes: Option<String>,
}

#[derive(Debug, Clone, Copy, Default, PartialEq, Eq, Serialize, Deserialize, JsonSchema)]
#[serde(rename_all = "snake_case")]
pub enum Direction {
    Inbound,
    #[default]
    Outbound,
    Both,
}

#[derive(Debug, Clone, Copy, Default, PartialEq, Eq, Serialize, Deserialize, JsonSchema)]
#[serde(rename_all = "snake_case")]
pub enum Criticality {
    Low,
    #[default]
    Medium,
    High,
}

#[derive(Debug, Clone, PartialEq, Eq, Serialize, Deserialize, JsonSchema)]
#[serde(deny_unknown_fields)]
pub struct Integration {
    pub name: Text,
    pub purpose: Text,
    #[serde(default)]
    pub direction: Direction,
    #[serde(default)]
    pub criticality: Criticality,
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub contract_stub: Option<String>,
}

#[derive(Debug, Clone, Copy, Default, PartialEq, Eq, Serialize, Deserialize, JsonSchema)]
#[serde(rename_all = "snake_case")]
pub enum Scale {
    #[default]
    Small,
    Medium,
    Large,
}

#[derive(Debug, Clone, Copy, Default, PartialEq, Eq, Serialize, Deserialize, JsonSchema)]
#[serde(rename_all = "snake_case")]
pub enum Availability {
    BestEffort,
    #[default]
    Standard,
    High,
}

#[derive(Debug, Clone, Copy, Default, PartialEq, Eq, Serialize, Deserialize, JsonSchema)]
#[serde(rename_all = "snake_case")]
pub enum Latency {
    Relaxed,
    #[default]
    Standard,
    Low,
}

#[derive(Debug, Clone, Copy, Default, PartialEq, Eq, Serialize, Deserialize, JsonSchema)]
#[serde(rename_all = "snake_case")]
pub enum DataSensitivity {
    #[default]
    None,
    Pii,
    FinancialLike,
}

#[derive(Debug, Clone, Copy, Default, PartialEq, Eq, Serialize, Deserialize, JsonSchema)]
#[serde(rename_all = "snake_case")]
pub enum Auditability {
    None,
    #[default]
    Basic,
    Strong,
}

#[derive(Debug, Clone, Copy, Default, PartialEq, Eq, Serialize, Deserialize, JsonSchema)]
#[serde(deny_unknown_fields, default)]
pub struct Nfrs {
    pub scale: Scale,
    pub availability: Availability,
    pub latency: Latency,
    pub data_sensitivity: DataSensitivity,
    pub auditability: Auditability,
}

#[derive(Debug, Clone, Copy, PartialEq, Eq, Hash, Serialize, Deserialize, JsonSchema)]
#[serde(rename_all = "snake_case")]
pub enum ComponentType {
    Web,
    Api,
    Worker,
    Db,
    Queue,
    Cache,
    ObjectStorage,
    AuthProvider,
    ExternalIntegration,
}

impl ComponentType {
    pub const ALL: [ComponentType; 9] = [
        ComponentType::Web,
        ComponentType::Api,
        ComponentType::Worker,
        ComponentType::Db,
        ComponentType::Queue,
        ComponentType::Cache,
        ComponentType::ObjectStorage,
        ComponentType::AuthProvider,
        ComponentType::ExternalIntegration,
    ];

    pub fn as_str(self) -> &'static str {
        match self {
            ComponentType::Web => "web",
            ComponentType::Api => "api",
            ComponentType::Worker => "worker",
            ComponentType::Db => "db",
            ComponentType::Queue => "queue",
            ComponentType::Cache => "cache",
            ComponentType::ObjectStorage => "object_storage",
            ComponentType::AuthProvider => "auth_provider",
            ComponentType::ExternalIntegration => "external_integration",
        }
    }
}

#[derive(Debug, Clone, PartialEq, Eq, Serialize, Deserialize, JsonSchema)]
#[serde(deny_unknown_fields)]
pub struct Component {
    pub name: Text,
    #[serde(rename = "type")]
    pub kind: ComponentType,
}

#[derive(Debug, Clone, Default, PartialEq, Eq, Serialize, Deserialize, JsonSchema)]
#[serde(deny_unknown_fields, default)]
pub struct Tradeoffs {
    pub pros: Vec<Text>,
    pub cons: Vec<Text>,
    pub risks: Vec<Text>,
}

#[derive(Debug, Clone, PartialEq, Eq, Serialize, Deserialize, JsonSchema)]
#[serde(deny_unknown_fields)]
pub struct Architecture {
    pub name: Text,
    pub description: Text,
    pub components: NonEmpty<Component>,
    #[serde(default)]
    pub data_flows: Vec<Text>,
    #[serde(default)]
    pub data_stores: Vec<Text>,
    #[serde(default)]
    pub async_patterns: Vec<Text>,
    #[serde(default)]
    pub api_surface: Vec<Text>,
    #[serde(default)]
    pub tradeoffs: Tradeoffs,
    pub rationale: Text,
}

#[derive(Debug, Clone, PartialEq, Eq, Serialize, Deserialize, JsonSchema)]
#[serde(deny_unknown_fields, default)]
pub struct Wireframe {
    pub enabled: bool,
    pub editable_components: Vec<Text>,
}

impl Default for Wireframe {
    fn default() -> Self {
        Self {
            enabled: true,
            editable_components: Vec::new(),
        }
    }
}

#[derive(Debug, Clone, PartialEq, Eq, Serialize, Deserialize, JsonSchema)]
#[serde(deny_unknown_fields, default)]
pub struct Chat {
    pub enabled: bool,
    pub suggested_questions: Vec<Text>,
    pub editable_topics: Vec<Text>,
}

impl Default for Chat {
    fn default() -> Self {
        Self {
            enabled: true,
            suggested_questions: Vec::new(),
            editable_topics: Vec::new(),
        }
    }
}

#[derive(Debug, Clone, Default, PartialEq, Eq, Serialize, Deserialize, JsonSchema)]
#[serde(deny_unknown_fields, default)]
pub struct Refinement {
    pub wireframe: Wireframe,
    pub chat: Chat,
}

#[derive(Debug, Clone, PartialEq, Eq, Serialize, Deserialize, JsonSchema)]
#[serde(deny_unknown_fields)]
pub struct IacHandoff {
    pub summary: Text,
    #[serde(default)]
    pub modules: Vec<Text>,
}

#[derive(Debug, Clone, PartialEq, Eq, Serialize, Deserialize, JsonSchema)]
#[serde(deny_unknown_fields)]
pub struct LogicRequirement {
    pub id: Text,
    pub title: Text,
    pub summary: Text,
    #[serde(default)]
    pub priority: Priority,
    #[serde(default)]
    pub acceptance_criteria: Vec<Text>,
    #[serde(default)]
    pub affected_components: Vec<Text>,
    #[serde(default)]
    pub dependencies: Vec<Text>,
}

#[derive(Debug, Clone, PartialEq, Eq, Serialize, Deserialize, JsonSchema)]
#[serde(deny_unknown_fields)]
pub struct IssuePlanItem {
    pub id: Text,
    pub title: Text,
    pub summary: Text,
    pub body: Text,
    #[serde(default)]
    pub labels: Vec<Text>,
    #[serde(default)]
    pub depends_on: Vec<Text>,
    #[serde(default)]
    pub acceptance_criteria: Vec<Text>,
}

#[derive(Debug, Clone, PartialEq, Eq, Serialize, Deserialize, JsonSchema)]
#[serde(deny_unknown_fields, default)]
pub struct Coordination {
    pub pause_on_pending_questions: bool,
    pub live_issue_updates: bool,
    pub coordination_views: Vec<Text>,
    pub question_sources: Vec<Text>,
}

impl Default for Coordination {
    fn default() -> Self {
        Self {
            pause_on_pending_questions: true,
            live_issue_updates: true,
            coordination_views: Vec::new(),
            question_sources: Vec::new(),
        }
    }
}

#[derive(Debug, Clone, PartialEq, Eq, Serialize, Deserialize, JsonSchema)]
#[serde(deny_unknown_fields, default)]
pub struct Observability {
    pub log_traces_enabled: bool,
    pub coordination_panel_enabled: bool,
    pub required_signals: Vec<Text>,
    pub dashboard_panels: Vec<Text>,
}

impl Default for Observability {
    fn default() -> Self {
        Self {
            log_traces_enabled: true,
            coordination_panel_enabled: true,
            required_signals: Vec::new(),
            dashboard_panels: Vec::new(),
        }
    }
}

#[derive(Debug, Clone, PartialEq, Eq, Serialize, Deserialize, JsonSchema)]
#[serde(deny_unknown_fields)]
pub struct Implementation {
    pub summary: Text,
    pub iac_handoff: IacHandoff,
    #[serde(default)]
    pub logic_requirements: Vec<LogicRequirement>,
    #[serde(default)]
    pub github_issue_plan: Vec<IssuePlanItem>,
    #[serde(default)]
    pub coordination: Coordination,
    #[serde(default)]
    pub observability: Observability,
}

#[derive(Debug, Clone, Copy, PartialEq, Eq, Serialize, Deserialize, JsonSchema)]
#[serde(rename_all = "snake_case")]
pub enum CoverageStatus {
    Covered,
    Partial,
    Missing,
}

#[derive(Debug, Clone, PartialEq, Eq, Serialize, Deserialize, JsonSchema)]
#[serde(deny_unknown_fields)]
pub struct Coverage {
    pub requirement_id: Text,
    pub status: CoverageStatus,
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub notes: Option<String>,
}

#[derive(Debug, Clone, PartialEq, Eq, Serialize, Deserialize, JsonSchema)]
#[serde(deny_unknown_fields)]
pub struct TraceEntry {
    pub requirement_id: Text,
    pub source_hint: Text,
}

/// One validated plan for a PRD: what to build, how, and the issues to build it with.
#[derive(Debug, Clone, PartialEq, Eq, Serialize, Deserialize, JsonSchema)]
#[serde(deny_unknown_fields)]
pub struct ArchitecturePack {
    pub pack_version: PackVersion,
    pub run_id: Uuid,
    pub created_at: Timestamp,
    pub tool: ToolInfo,
    pub prd: PrdInfo,
    #[serde(default)]
    pub org_constraints: OrgConstraints,
    #[serde(default)]
    pub clarifications: Vec<Clarification>,
    #[serde(default)]
    pub actors: Vec<Text>,
    #[serde(default)]
    pub workflows: Vec<Workflow>,
    #[serde(default)]
    pub requirements: Vec<Requirement>,
    #[serde(default)]
    pub entities: Vec<Entity>,
    #[serde(default)]
    pub integrations: Vec<Integration>,
    #[serde(default)]
    pub nfrs: Nfrs,
    pub architecture: Architecture,
    #[serde(default)]
    pub refinement: Refinement,
    pub implementation: Implementation,
    #[serde(default)]
    pub assumptions: Vec<Text>,
    #[serde(default)]
    pub open_questions: Vec<Text>,
    #[serde(default)]
    pub coverage: Vec<Coverage>,
    #[serde(default)]
    pub trace: Vec<TraceEntry>,
}
