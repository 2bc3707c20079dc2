//! Runs: what a user asks for, and what the server records about it.

use std::collections::BTreeMap;
use std::num::{NonZeroU32, NonZeroU64};

use schemars::JsonSchema;
use serde::{Deserialize, Serialize};
use url::Url;
use uuid::Uuid;

use crate::text::{Text, Timestamp};

/// Where a run is in its life.
#[derive(Debug, Clone, Copy, PartialEq, Eq, Hash, Serialize, Deserialize, JsonSchema)]
#[serde(rename_all = "snake_case")]
pub enum RunStatus {
    Created,
    Parsed,
    Clarified,
    PlanGenerated,
    Exported,
    Failed,
}

impl RunStatus {
    pub fn as_str(self) -> &'static str {
        match self {
            RunStatus::Created => "created",
            RunStatus::Parsed => "parsed",
            RunStatus::Clarified => "clarified",
            RunStatus::PlanGenerated => "plan_generated",
            RunStatus::Exported => "exported",
            RunStatus::Failed => "failed",
        }
    }
}

/// The pipeline step a run is at; keys of `step_timestamps`.
#[derive(
    Debug, Clone, Copy, PartialEq, Eq, PartialOrd, Ord, Hash, Serialize, Deserialize, JsonSchema,
)]
#[serde(rename_all = "snake_case")]
pub enum RunStep {
    Created,
    Parse,
    Clarify,
    Plan,
    Export,
}

impl RunStep {
    pub fn as_str(self) -> &'static str {
        match self {
            RunStep::Created => "created",
            RunStep::Parse => "parse",
            RunStep::Clarify => "clarify",
            RunStep::Plan => "plan",
            RunStep::Export => "export",
        }
    }
}

/// `source.trigger`: only `"api"` exists in v0.1.
#[derive(Debug, Clone, Copy, Default, PartialEq, Eq, Serialize, Deserialize, JsonSchema)]
#[serde(rename_all = "snake_case")]
pub enum Trigger {
    #[default]
    Api,
}

#[derive(Debug, Clone, Default, PartialEq, Eq, Serialize, Deserialize, JsonSchema)]
#[serde(deny_unknown_fields)]
pub struct RunSource {
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub repository: Option<Text>,
    #[serde(default, rename = "ref", skip_serializing_if = "Option::is_none")]
    pub git_ref: Option<Text>,
    #[serde(default)]
    pub trigger: Trigger,
}

/// The body of `POST /runs`: a PRD and its optional org constraints.
#[derive(Debug, Clone, PartialEq, Eq, Serialize, Deserialize, JsonSchema)]
#[serde(deny_unknown_fields)]
pub struct RunInput {
    pub prd_text: Text,
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub org_constraints_yaml: Option<Text>,
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub requested_by: Option<Text>,
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub source: Option<RunSource>,
    /// The project this run is a revision of (PASS's addition); without one
    /// the run gets a project of its own.
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub project_id: Option<Uuid>,
    /// What this revision re-plans (PASS's addition): answers and change
    /// requests applied to an earlier revision's plan.
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub refinement: Option<crate::coordination::Refinement>,
}

/// A row of `GET /runs` and of `runs/index.json`.
#[derive(Debug, Clone, PartialEq, Eq, Serialize, Deserialize, JsonSchema)]
#[serde(deny_unknown_fields)]
pub struct RunRecord {
    pub run_id: Uuid,
    pub created_at: Timestamp,
    pub status: RunStatus,
    pub current_step: RunStep,
    pub last_updated_at: Timestamp,
}

#[derive(Debug, Clone, Copy, PartialEq, Eq, Hash, Serialize, Deserialize, JsonSchema)]
#[serde(rename_all = "snake_case")]
pub enum ExecutionBackend {
    GithubActions,
    Local,
}

impl ExecutionBackend {
    pub fn as_str(self) -> &'static str {
        match self {
            ExecutionBackend::GithubActions => "github_actions",
            ExecutionBackend::Local => "local",
        }
    }
}

/// The agent a dispatch starts.
#[derive(Debug, Clone, Copy, PartialEq, Eq, Hash, Serialize, Deserialize, JsonSchema)]
pub enum WorkflowName {
    #[serde(rename = "phase1-planner")]
    Planner,
    #[serde(rename = "phase2-implementation")]
    Implementation,
}

impl WorkflowName {
    pub fn as_str(self) -> &'static str {
        match self {
            WorkflowName::Planner => "phase1-planner",
            WorkflowName::Implementation => "phase2-implementation",
        }
    }

    /// Parses the path segment of `POST /runs/{runId}/dispatch/{workflowName}`.
    pub fn parse(value: &str) -> Option<Self> {
        match value {
            "phase1-planner" => Some(WorkflowName::Planner),
            "phase2-implementation" => Some(WorkflowName::Implementation),
            _ => None,
        }
    }
}

#[derive(Debug, Clone, Copy, PartialEq, Eq, Hash, Serialize, Deserialize, JsonSchema)]
#[serde(rename_all = "snake_case")]
pub enum ExecutionStatus {
    Queued,
    Dispatched,
    Running,
    Succeeded,
    Failed,
    /// PASS's addition: a sync stopped for a blocking question; answering it
    /// starts a new execution. Nothing moves out of it.
    Paused,
}

impl ExecutionStatus {
    pub fn as_str(self) -> &'static str {
        match self {
            ExecutionStatus::Queued => "queued",
            ExecutionStatus::Dispatched => "dispatched",
            ExecutionStatus::Running => "running",
            ExecutionStatus::Succeeded => "succeeded",
            ExecutionStatus::Failed => "failed",
            ExecutionStatus::Paused => "paused",
        }
    }

    /// Succeeded, failed and paused are final: nothing moves out of them.
    pub fn is_final(self) -> bool {
        matches!(
            self,
            ExecutionStatus::Succeeded | ExecutionStatus::Failed | ExecutionStatus::Paused
        )
    }

    /// The contract's allowed moves: queued → dispatched | failed;
    /// dispatched → running | failed; running → succeeded | failed; and
    /// PASS's running → paused.
    pub fn can_move_to(self, next: ExecutionStatus) -> bool {
        use ExecutionStatus::*;
        matches!(
            (self, next),
            (Queued, Dispatched | Failed)
                | (Dispatched, Running | Failed)
                | (Running, Succeeded | Failed | Paused)
        )
    }
}

/// One dispatch of an agent for a run.
#[derive(Debug, Clone, PartialEq, Eq, Serialize, Deserialize, JsonSchema)]
#[serde(deny_unknown_fields)]
pub struct Execution {
    /// Names this dispatch (PASS's addition), so an agent's report can say
    /// which execution it belongs to and a superseded agent is refused.
    /// Absent on executions written before it existed.
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub execution_id: Option<Uuid>,
    pub backend: ExecutionBackend,
    pub workflow_name: WorkflowName,
    pub status: ExecutionStatus,
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub github_run_id: Option<NonZeroU64>,
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub github_run_url: Option<Url>,
    pub requested_at: Timestamp,
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub started_at: Option<Timestamp>,
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub completed_at: Option<Timestamp>,
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub error_message: Option<Text>,
    /// Set by the server when a blocking question was asked while the sync
    /// runs: the agent finishes the item it is writing and pauses.
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub pause_reason: Option<Text>,
}

#[derive(Debug, Clone, Copy, PartialEq, Eq, Hash, Serialize, Deserialize, JsonSchema)]
#[serde(rename_all = "snake_case")]
pub enum GithubState {
    Open,
    Closed,
}

#[derive(Debug, Clone, Copy, PartialEq, Eq, Hash, Serialize, Deserialize, JsonSchema)]
#[serde(rename_all = "snake_case")]
pub enum SyncStatus {
    Created,
    Updated,
    Unchanged,
    Failed,
}

/// What a sync did with one issue, in more detail than [`SyncStatus`]
/// (PASS's addition; `sync_status` keeps the contract's four values).
#[derive(Debug, Clone, Copy, PartialEq, Eq, Hash, Serialize, Deserialize, JsonSchema)]
#[serde(rename_all = "snake_case")]
pub enum IssueOutcome {
    Created,
    Updated,
    Unchanged,
    /// A person changed the issue and the plan did not: left as they made it.
    Kept,
    /// A person and the plan both changed it: left alone, a comment says what the plan wants.
    Conflict,
    /// Closed as not planned (its item left the plan, or a duplicate).
    Closed,
    /// Its item left the plan but a person worked on it: commented, left open.
    Commented,
    /// Not written yet: the sync paused for a blocking question first.
    Pending,
    Failed,
}

impl IssueOutcome {
    pub fn as_str(self) -> &'static str {
        match self {
            IssueOutcome::Created => "created",
            IssueOutcome::Updated => "updated",
            IssueOutcome::Unchanged => "unchanged",
            IssueOutcome::Kept => "kept",
            IssueOutcome::Conflict => "conflict",
            IssueOutcome::Closed => "closed",
            IssueOutcome::Commented => "commented",
            IssueOutcome::Pending => "pending",
            IssueOutcome::Failed => "failed",
        }
    }

    /// The contract's coarser status for this outcome.
    pub fn sync_status(self) -> SyncStatus {
        match self {
            IssueOutcome::Created => SyncStatus::Created,
            IssueOutcome::Updated | IssueOutcome::Closed | IssueOutcome::Commented => {
                SyncStatus::Updated
            }
            IssueOutcome::Unchanged
            | IssueOutcome::Kept
            | IssueOutcome::Conflict
            | IssueOutcome::Pending => SyncStatus::Unchanged,
            IssueOutcome::Failed => SyncStatus::Failed,
        }
    }
}

impl SyncStatus {
    pub fn as_str(self) -> &'static str {
        match self {
            SyncStatus::Created => "created",
            SyncStatus::Updated => "updated",
            SyncStatus::Unchanged => "unchanged",
            SyncStatus::Failed => "failed",
        }
    }
}

/// What the implementation agent did with one issue-plan item.
#[derive(Debug, Clone, PartialEq, Eq, Serialize, Deserialize, JsonSchema)]
#[serde(deny_unknown_fields)]
pub struct IssueState {
    pub plan_item_id: Text,
    pub title: Text,
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub issue_number: Option<NonZeroU64>,
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub issue_url: Option<Url>,
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub github_state: Option<GithubState>,
    pub sync_status: SyncStatus,
    #[serde(default)]
    pub labels: Vec<Text>,
    pub last_synced_at: Timestamp,
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub last_error: Option<Text>,
    /// What the sync did, in PASS's finer terms.
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub outcome: Option<IssueOutcome>,
}

/// The body of `PATCH /runs/{runId}/implementation-state`, also kept in `run.json`.
#[derive(Debug, Clone, PartialEq, Eq, Serialize, Deserialize, JsonSchema)]
#[serde(deny_unknown_fields)]
pub struct ImplementationState {
    pub synced_at: Timestamp,
    pub issues: Vec<IssueState>,
}

/// `runs/<runId>/run.json`: the source of truth for a run.
#[derive(Debug, Clone, PartialEq, Eq, Serialize, Deserialize, JsonSchema)]
#[serde(deny_unknown_fields)]
pub struct RunDetail {
    pub run_id: Uuid,
    pub created_at: Timestamp,
    pub status: RunStatus,
    pub current_step: RunStep,
    pub last_updated_at: Timestamp,
    #[serde(default)]
    pub step_timestamps: BTreeMap<RunStep, Timestamp>,
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub input: Option<RunInput>,
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub execution: Option<Execution>,
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub implementation_state: Option<ImplementationState>,
    /// The project this run is a revision of (PASS's addition). Runs written
    /// without one are revision 1 of a project whose id is their own.
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub project_id: Option<Uuid>,
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub revision: Option<NonZeroU32>,
    /// Where the plan stands (PASS's addition): draft once exported,
    /// approved, synced.
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub plan_state: Option<crate::coordination::PlanState>,
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub approved_at: Option<Timestamp>,
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub approved_by: Option<Text>,
}

impl RunDetail {
    /// A fresh run at `created`, holding `input`, as revision 1 of a project
    /// of its own until the store places it.
    pub fn new(run_id: Uuid, input: RunInput, now: Timestamp) -> Self {
        Self {
            project_id: Some(input.project_id.unwrap_or(run_id)),
            revision: Some(NonZeroU32::MIN),
            plan_state: None,
            approved_at: None,
            approved_by: None,
            run_id,
            created_at: now,
            status: RunStatus::Created,
            current_step: RunStep::Created,
            last_updated_at: now,
            step_timestamps: BTreeMap::from([(RunStep::Created, now)]),
            input: Some(input),
            execution: None,
            implementation_state: None,
        }
    }

    /// The project this run belongs to: its own id for runs written without one.
    pub fn project(&self) -> Uuid {
        self.project_id.unwrap_or(self.run_id)
    }

    /// Its revision number within the project: 1 for runs written without one.
    pub fn revision_number(&self) -> NonZeroU32 {
        self.revision.unwrap_or(NonZeroU32::MIN)
    }

    /// Fills in the project and revision of a run written without them, so
    /// every answer names them.
    pub fn with_project_defaults(mut self) -> Self {
        self.project_id = Some(self.project());
        self.revision = Some(self.revision_number());
        self
    }

    /// The row this run contributes to `GET /runs` and `runs/index.json`.
    pub fn record(&self) -> RunRecord {
        RunRecord {
            run_id: self.run_id,
            created_at: self.created_at,
            status: self.status,
            current_step: self.current_step,
            last_updated_at: self.last_updated_at,
        }
    }

    /// Moves the run to `step`, stamping it the first time it is reached.
    pub fn enter_step(&mut self, step: RunStep, now: Timestamp) {
        self.current_step = step;
        self.step_timestamps.entry(step).or_insert(now);
    }
}

/// Only version 1 of the index files exists.
#[derive(Debug, Clone, Copy, Default, PartialEq, Eq, Serialize, Deserialize, JsonSchema)]
#[serde(try_from = "u64", into = "u64")]
pub struct IndexVersion;

impl TryFrom<u64> for IndexVersion {
    type Error = String;
    fn try_from(value: u64) -> Result<Self, String> {
        if value == 1 {
            Ok(IndexVersion)
        } else {
            Err(format!("unsupported index version {value}, expected 1"))
        }
    }
}

impl From<IndexVersion> for u64 {
    fn from(_: IndexVersion) -> u64 {
        1
    }
}

/// `runs/index.json`: every run's record, newest first. Derived from the
/// `run.json` files, which win when the two disagree.
#[derive(Debug, Clone, Default, PartialEq, Eq, Serialize, Deserialize, JsonSchema)]
#[serde(deny_unknown_fields)]
pub struct RunsIndex {
    pub version: IndexVersion,
    pub runs: Vec<RunRecord>,
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn execution_moves_follow_the_contract() {
        use ExecutionStatus::*;
        assert!(Queued.can_move_to(Dispatched));
        assert!(Dispatched.can_move_to(Running));
        assert!(Running.can_move_to(Succeeded));
        assert!(Running.can_move_to(Failed));
        assert!(!Queued.can_move_to(Running));
        assert!(!Succeeded.can_move_to(Failed));
        assert!(!Failed.can_move_to(Running));
        assert!(!Running.can_move_to(Running));
    }

    #[test]
    fn index_version_must_be_one() {
        assert!(serde_json::from_str::<RunsIndex>(r#"{"version":1,"runs":[]}"#).is_ok());
        let err = serde_json::from_str::<RunsIndex>(r#"{"version":2,"runs":[]}"#).unwrap_err();
        assert!(
            err.to_string().contains("unsupported index version 2"),
            "{err}"
        );
    }

    #[test]
    fn run_detail_reads_the_seed_layout() {
        let json = r#"{
          "run_id": "6f1c2c8e-6a4e-4a57-9d57-3f3b8f2f4a10",
          "created_at": "2026-02-26T00:00:00.000Z",
          "status": "created",
          "current_step": "created",
          "last_updated_at": "2026-02-26T00:00:00.000Z",
          "input": {"prd_text": "Build a todo app", "source": {"trigger": "api"}}
        }"#;
        let run: RunDetail = serde_json::from_str(json).unwrap();
        assert!(run.step_timestamps.is_empty());
        assert_eq!(run.record().status, RunStatus::Created);
    }
}
