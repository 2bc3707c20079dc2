//! HTTP request and response bodies of the PASS API, shared by the server and its clients.

use std::num::NonZeroU64;

use schemars::JsonSchema;
use serde::{Deserialize, Serialize};
use url::Url;
use uuid::Uuid;

use crate::artifacts::{ArtifactMetadata, ContentType};
use crate::runs::{Execution, ExecutionStatus, RunDetail, RunRecord, RunStatus, RunStep};
use crate::text::Text;

/// `201` answer of `POST /runs`, `200` of the PATCH routes.
#[derive(Debug, Clone, PartialEq, Eq, Serialize, Deserialize, JsonSchema)]
#[serde(deny_unknown_fields)]
pub struct RunEnvelope {
    pub run: RunDetail,
}

/// `GET /runs`.
#[derive(Debug, Clone, PartialEq, Eq, Serialize, Deserialize, JsonSchema)]
#[serde(deny_unknown_fields)]
pub struct RunList {
    /// How many runs exist in all, whatever the page asked for.
    pub total: u64,
    pub runs: Vec<RunRecord>,
}

/// `GET /runs/{runId}`.
#[derive(Debug, Clone, PartialEq, Eq, Serialize, Deserialize, JsonSchema)]
#[serde(deny_unknown_fields)]
pub struct RunWithArtifacts {
    pub run: RunDetail,
    pub artifacts: Vec<ArtifactMetadata>,
}

/// `PATCH /runs/{runId}`: at least one of the two fields.
#[derive(Debug, Clone, Default, PartialEq, Eq, Serialize, Deserialize, JsonSchema)]
#[serde(deny_unknown_fields)]
pub struct RunPatch {
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub status: Option<RunStatus>,
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub current_step: Option<RunStep>,
}

/// The optional body of `POST /runs/{runId}/dispatch/phase2-implementation`
/// (PASS's addition; no body means both false).
#[derive(Debug, Clone, Copy, Default, PartialEq, Eq, Serialize, Deserialize, JsonSchema)]
#[serde(deny_unknown_fields)]
pub struct DispatchOptions {
    /// Decide and report, write no issue: the agent uploads its decisions as
    /// the `implementation_sync_report` artifact.
    #[serde(default, skip_serializing_if = "std::ops::Not::not")]
    pub dry_run: bool,
    /// Overwrite what people changed in issues since PASS last wrote them.
    #[serde(default, skip_serializing_if = "std::ops::Not::not")]
    pub force: bool,
}

impl DispatchOptions {
    pub fn is_default(&self) -> bool {
        !self.dry_run && !self.force
    }
}

/// `POST /runs/{runId}/dispatch[/{workflowName}]`.
#[derive(Debug, Clone, PartialEq, Eq, Serialize, Deserialize, JsonSchema)]
#[serde(deny_unknown_fields)]
pub struct DispatchResponse {
    pub run_id: Uuid,
    pub execution: Execution,
}

/// The statuses an agent may report through `PATCH /runs/{runId}/execution`.
#[derive(Debug, Clone, Copy, PartialEq, Eq, Serialize, Deserialize, JsonSchema)]
#[serde(rename_all = "snake_case")]
pub enum ReportedExecutionStatus {
    Running,
    Succeeded,
    Failed,
    /// PASS's addition: the sync stopped for a blocking question.
    Paused,
}

impl From<ReportedExecutionStatus> for ExecutionStatus {
    fn from(value: ReportedExecutionStatus) -> Self {
        match value {
            ReportedExecutionStatus::Running => ExecutionStatus::Running,
            ReportedExecutionStatus::Succeeded => ExecutionStatus::Succeeded,
            ReportedExecutionStatus::Failed => ExecutionStatus::Failed,
            ReportedExecutionStatus::Paused => ExecutionStatus::Paused,
        }
    }
}

/// `PATCH /runs/{runId}/execution`: an agent reporting on itself.
#[derive(Debug, Clone, PartialEq, Eq, Serialize, Deserialize, JsonSchema)]
#[serde(deny_unknown_fields)]
pub struct ExecutionUpdate {
    /// The execution the agent belongs to (PASS's addition): an update naming
    /// an execution that is no longer the run's current one is refused.
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub execution_id: Option<Uuid>,
    pub status: ReportedExecutionStatus,
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub github_run_id: Option<NonZeroU64>,
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub github_run_url: Option<Url>,
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub error_message: Option<Text>,
}

/// `POST /runs/{runId}/artifacts`: a JSON payload for `application/json`, a string otherwise.
#[derive(Debug, Clone, PartialEq, Serialize, Deserialize, JsonSchema)]
#[serde(deny_unknown_fields)]
pub struct ArtifactUpload {
    pub name: Text,
    pub content_type: ContentType,
    pub payload: serde_json::Value,
}

/// `201` answer of `POST /runs/{runId}/artifacts`.
#[derive(Debug, Clone, PartialEq, Eq, Serialize, Deserialize, JsonSchema)]
#[serde(deny_unknown_fields)]
pub struct ArtifactEnvelope {
    pub artifact: ArtifactMetadata,
}

/// `GET /runs/{runId}/artifacts/{name}`.
#[derive(Debug, Clone, PartialEq, Serialize, Deserialize, JsonSchema)]
#[serde(deny_unknown_fields)]
pub struct ArtifactWithPayload {
    pub artifact: ArtifactMetadata,
    pub payload: serde_json::Value,
}

/// The contract's error codes, each with its HTTP status.
#[derive(Debug, Clone, Copy, PartialEq, Eq, Hash, Serialize, Deserialize, JsonSchema)]
#[serde(rename_all = "snake_case")]
pub enum ErrorCode {
    BadRequest,
    Unauthorized,
    RunNotFound,
    ArtifactNotFound,
    /// Not in the seed's list; used for unknown routes.
    NotFound,
    /// Not in the seed's list; used for wrong HTTP methods.
    MethodNotAllowed,
    RunConflict,
    /// Not in the seed's list; a project id that names no project.
    ProjectNotFound,
    /// Not in the seed's list; a project name already taken.
    ProjectConflict,
    /// Not in the seed's list; another sync holds the project's lease.
    SyncInProgress,
    /// Not in the seed's list; a sync lease that expired and was taken, or was released.
    SyncLeaseLost,
    /// Not in the seed's list; an agent reporting on an execution that is no longer the run's.
    ExecutionSuperseded,
    /// Not in the seed's list; a clarification id that names none of the run's.
    ClarificationNotFound,
    /// Not in the seed's list; implementation dispatched for a plan that needs approval first.
    ApprovalRequired,
    /// Not in the seed's list; approval refused while blocking questions are open.
    BlockingClarifications,
    BadTransition,
    /// Not in the seed's list; a request body over the configured limit.
    PayloadTooLarge,
    /// Not in the seed's list; a body that is not `application/json`.
    UnsupportedMediaType,
    /// Not in the seed's list; a request body that did not arrive in time.
    RequestTimeout,
    /// Not in the seed's list; a request target longer than the server reads.
    UriTooLong,
    /// Not in the seed's list; request headers larger or more numerous than the server reads.
    HeadersTooLarge,
    DispatchFailed,
    ServerMisconfigured,
    /// Not in the seed's list; a stored file that cannot be read.
    InternalError,
}

impl ErrorCode {
    pub fn http_status(self) -> u16 {
        match self {
            ErrorCode::BadRequest | ErrorCode::BadTransition => 400,
            ErrorCode::Unauthorized => 401,
            ErrorCode::RunNotFound
            | ErrorCode::ArtifactNotFound
            | ErrorCode::ProjectNotFound
            | ErrorCode::ClarificationNotFound
            | ErrorCode::NotFound => 404,
            ErrorCode::MethodNotAllowed => 405,
            ErrorCode::RequestTimeout => 408,
            ErrorCode::RunConflict
            | ErrorCode::ProjectConflict
            | ErrorCode::SyncInProgress
            | ErrorCode::SyncLeaseLost
            | ErrorCode::ExecutionSuperseded
            | ErrorCode::ApprovalRequired
            | ErrorCode::BlockingClarifications => 409,
            ErrorCode::PayloadTooLarge => 413,
            ErrorCode::UriTooLong => 414,
            ErrorCode::UnsupportedMediaType => 415,
            ErrorCode::HeadersTooLarge => 431,
            ErrorCode::DispatchFailed => 502,
            ErrorCode::ServerMisconfigured | ErrorCode::InternalError => 500,
        }
    }

    pub fn as_str(self) -> &'static str {
        match self {
            ErrorCode::BadRequest => "bad_request",
            ErrorCode::Unauthorized => "unauthorized",
            ErrorCode::RunNotFound => "run_not_found",
            ErrorCode::ArtifactNotFound => "artifact_not_found",
            ErrorCode::NotFound => "not_found",
            ErrorCode::MethodNotAllowed => "method_not_allowed",
            ErrorCode::RunConflict => "run_conflict",
            ErrorCode::ProjectNotFound => "project_not_found",
            ErrorCode::ProjectConflict => "project_conflict",
            ErrorCode::SyncInProgress => "sync_in_progress",
            ErrorCode::SyncLeaseLost => "sync_lease_lost",
            ErrorCode::ExecutionSuperseded => "execution_superseded",
            ErrorCode::ClarificationNotFound => "clarification_not_found",
            ErrorCode::ApprovalRequired => "approval_required",
            ErrorCode::BlockingClarifications => "blocking_clarifications",
            ErrorCode::BadTransition => "bad_transition",
            ErrorCode::PayloadTooLarge => "payload_too_large",
            ErrorCode::UnsupportedMediaType => "unsupported_media_type",
            ErrorCode::RequestTimeout => "request_timeout",
            ErrorCode::UriTooLong => "uri_too_long",
            ErrorCode::HeadersTooLarge => "headers_too_large",
            ErrorCode::DispatchFailed => "dispatch_failed",
            ErrorCode::ServerMisconfigured => "server_misconfigured",
            ErrorCode::InternalError => "internal_error",
        }
    }
}

/// One problem found in a request body, with the JSON path of the bad value.
#[derive(Debug, Clone, PartialEq, Eq, Serialize, Deserialize, JsonSchema)]
#[serde(deny_unknown_fields)]
pub struct Problem {
    /// Dotted JSON path such as `architecture.components[2].type`; empty for the document itself.
    pub path: String,
    pub message: String,
}

impl std::fmt::Display for Problem {
    fn fmt(&self, f: &mut std::fmt::Formatter<'_>) -> std::fmt::Result {
        if self.path.is_empty() {
            f.write_str(&self.message)
        } else {
            write!(f, "{}: {}", self.path, self.message)
        }
    }
}

/// Every error answer: `{ "error": code, "message": text, "issues"?: [...] }`.
#[derive(Debug, Clone, PartialEq, Eq, Serialize, Deserialize, JsonSchema)]
pub struct ErrorBody {
    pub error: ErrorCode,
    pub message: String,
    #[serde(default, skip_serializing_if = "Vec::is_empty")]
    pub issues: Vec<Problem>,
}
