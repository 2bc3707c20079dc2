//! The run routes: create, list, read, patch, dispatch, and the agents'
//! execution and implementation-state callbacks.

use axum::Json;
use axum::extract::rejection::{PathRejection, QueryRejection};
use axum::extract::{Path, Query, State};
use axum::http::{HeaderMap, StatusCode, header};
use axum::response::{IntoResponse, Response};
use pass_contracts::api::{
    DispatchOptions, DispatchResponse, ExecutionUpdate, RunEnvelope, RunList, RunPatch,
    RunWithArtifacts,
};
use pass_contracts::{
    ErrorCode, ExecutionStatus, ImplementationState, OrgConstraints, OrgConstraintsError, Problem,
    RunDetail, RunInput, RunStatus, WorkflowName,
};
use serde::Deserialize;
use url::Url;
use uuid::Uuid;

use crate::app::AppState;
use crate::body::{JsonBody, OptionalJsonBody};
use crate::dispatch::DispatchError;
use crate::error::ApiError;
use crate::store::StoredRun;

/// Parses a run id from the path. A string that is not a UUID is a bad
/// request (400 `bad_request`, as the seed answered), with the path named.
pub fn parse_run_id(raw: &str) -> Result<Uuid, ApiError> {
    Uuid::parse_str(raw).map_err(|_| ApiError {
        code: ErrorCode::BadRequest,
        message: format!("invalid run id {raw:?}: run ids are UUIDs"),
        issues: vec![Problem {
            path: "runId".to_owned(),
            message: "must be a UUID".to_owned(),
        }],
    })
}

/// `POST /runs`. Org constraints are checked now, so a bad key fails the
/// request instead of the planner run much later.
pub async fn create_run(
    State(state): State<AppState>,
    JsonBody(input): JsonBody<RunInput>,
) -> Result<(StatusCode, Json<RunEnvelope>), ApiError> {
    if let Some(yaml) = &input.org_constraints_yaml {
        OrgConstraints::from_yaml(yaml).map_err(org_constraints_error)?;
    }
    let detail = RunDetail::new(Uuid::new_v4(), input, pass_contracts::Timestamp::now());
    let run = state.store.create_run(detail).await.map_err(|error| {
        let mut error = ApiError::from(error);
        if error.code == ErrorCode::ProjectNotFound {
            error.issues.push(Problem {
                path: "project_id".to_owned(),
                message: error.message.clone(),
            });
        }
        error
    })?;
    tracing::info!(run_id = %run.run_id, project_id = %run.project(), revision = run.revision_number(), "run created");
    Ok((StatusCode::CREATED, Json(RunEnvelope { run })))
}

fn org_constraints_error(error: OrgConstraintsError) -> ApiError {
    let path = match &error {
        OrgConstraintsError::Invalid { path, .. } if !path.is_empty() => {
            format!("org_constraints_yaml.{path}")
        }
        _ => "org_constraints_yaml".to_owned(),
    };
    ApiError {
        code: ErrorCode::BadRequest,
        message: error.to_string(),
        issues: vec![Problem {
            path,
            message: error.to_string(),
        }],
    }
}

/// Paging of `GET /runs`; without `limit` every run is listed, as the seed did.
#[derive(Debug, Deserialize)]
pub struct ListQuery {
    pub limit: Option<u64>,
    pub offset: Option<u64>,
}

/// `GET /runs`.
pub async fn list_runs(
    State(state): State<AppState>,
    query: Result<Query<ListQuery>, QueryRejection>,
) -> Result<Json<RunList>, ApiError> {
    let Query(query) = query?;
    let clamp = |v: u64| usize::try_from(v).unwrap_or(usize::MAX);
    let (total, runs) = state.store.list(
        query.limit.map_or(usize::MAX, clamp),
        query.offset.map_or(0, clamp),
    );
    Ok(Json(RunList { total, runs }))
}

/// `GET /runs/{runId}`.
pub async fn get_run(
    State(state): State<AppState>,
    path: Result<Path<String>, PathRejection>,
) -> Result<Response, ApiError> {
    let Path(raw) = path?;
    let run_id = parse_run_id(&raw)?;
    let (run, artifacts) = state.store.get_stored_run(run_id)?;
    Ok(match run {
        StoredRun::Typed(run) => Json(RunWithArtifacts {
            run: *run,
            artifacts,
        })
        .into_response(),
        StoredRun::ReadOnly(run) => {
            Json(serde_json::json!({ "run": run, "artifacts": artifacts })).into_response()
        }
    })
}

/// `PATCH /runs/{runId}`: the planner reporting progress.
pub async fn patch_run(
    State(state): State<AppState>,
    path: Result<Path<String>, PathRejection>,
    JsonBody(patch): JsonBody<RunPatch>,
) -> Result<Json<RunEnvelope>, ApiError> {
    let Path(raw) = path?;
    let run_id = parse_run_id(&raw)?;
    if patch.status.is_none() && patch.current_step.is_none() {
        return Err(ApiError::bad_request(
            "a run patch needs at least one of status, current_step",
        ));
    }
    let (run, ()) = state
        .store
        .update_run(run_id, move |detail: &mut RunDetail| {
            check_run_moves(detail, &patch)?;
            let now = pass_contracts::Timestamp::now();
            if let Some(status) = patch.status {
                detail.status = status;
            }
            if let Some(step) = patch.current_step {
                detail.enter_step(step, now);
            }
            detail.last_updated_at = now;
            Ok::<_, ApiError>(())
        })
        .await?;
    Ok(Json(RunEnvelope { run }))
}

/// Where a status stands in the pipeline; `failed` stands apart.
fn status_rank(status: RunStatus) -> Option<u8> {
    match status {
        RunStatus::Created => Some(0),
        RunStatus::Parsed => Some(1),
        RunStatus::Clarified => Some(2),
        RunStatus::PlanGenerated => Some(3),
        RunStatus::Exported => Some(4),
        RunStatus::Failed => None,
    }
}

/// A run moves forward through the pipeline, or fails. It may start over
/// (move back) only while a planner execution requested after every step
/// it reached is under way — a new planning attempt, not a stale report.
fn check_run_moves(detail: &RunDetail, patch: &RunPatch) -> Result<(), ApiError> {
    let last_step = detail.step_timestamps.values().max().copied();
    let restarting = detail.execution.as_ref().is_some_and(|e| {
        e.workflow_name == WorkflowName::Planner
            && !e.status.is_final()
            && last_step.is_none_or(|last| e.requested_at > last)
    });
    if let Some(next) = patch.status {
        if let (Some(from), Some(to)) = (status_rank(detail.status), status_rank(next)) {
            if to < from && !restarting {
                return Err(ApiError::new(
                    ErrorCode::BadTransition,
                    format!(
                        "run {} cannot move back from {} to {}; only a new planner execution starts a run over",
                        detail.run_id,
                        detail.status.as_str(),
                        next.as_str()
                    ),
                ));
            }
        }
    }
    if let Some(step) = patch.current_step {
        let later_reached = detail.step_timestamps.keys().any(|reached| *reached > step);
        if step < detail.current_step && later_reached && !restarting {
            return Err(ApiError::new(
                ErrorCode::BadTransition,
                format!(
                    "run {} cannot move back from step {} to {}; only a new planner execution starts a run over",
                    detail.run_id,
                    detail.current_step.as_str(),
                    step.as_str()
                ),
            ));
        }
    }
    Ok(())
}

/// Only web links (and, for local issues, files) are stored as URLs: a
/// `javascript:` or `data:` URL in a run would run in whatever shows it.
pub fn check_url(url: &Url, allow_file: bool, path: &str) -> Result<(), ApiError> {
    match url.scheme() {
        "http" | "https" => Ok(()),
        "file" if allow_file => Ok(()),
        other => Err(ApiError::invalid_body(
            "request body",
            Problem {
                path: path.to_owned(),
                message: format!(
                    "a URL with scheme {other:?} is not accepted; use http or https{}",
                    if allow_file {
                        " (or file for local issues)"
                    } else {
                        ""
                    }
                ),
            },
        )),
    }
}

/// `PATCH /runs/{runId}/execution`: an agent reporting on itself. Repeating
/// the current status is accepted (clients retry), any other move must be one
/// the contract allows. An update naming an execution that is not the run's
/// current one (an agent left over from an earlier dispatch) is refused, so
/// it can never decide how a newer execution ends.
pub async fn patch_execution(
    State(state): State<AppState>,
    path: Result<Path<String>, PathRejection>,
    JsonBody(update): JsonBody<ExecutionUpdate>,
) -> Result<Json<RunEnvelope>, ApiError> {
    let Path(raw) = path?;
    let run_id = parse_run_id(&raw)?;
    if let Some(url) = &update.github_run_url {
        check_url(url, false, "github_run_url")?;
    }
    let (run, ()) = state
        .store
        .update_run(run_id, move |detail: &mut RunDetail| {
            let execution = detail.execution.as_mut().ok_or_else(|| {
                ApiError::new(
                    ErrorCode::RunConflict,
                    format!("run {run_id} has no execution to update; dispatch it first"),
                )
            })?;
            if let (Some(claimed), Some(current)) = (update.execution_id, execution.execution_id) {
                if claimed != current {
                    return Err(ApiError::new(
                        ErrorCode::ExecutionSuperseded,
                        format!(
                            "execution {claimed} of run {run_id} has been superseded by execution {current} ({} of {}); this update is not applied",
                            execution.status.as_str(),
                            execution.workflow_name.as_str()
                        ),
                    ));
                }
            }
            let next: ExecutionStatus = update.status.into();
            let now = pass_contracts::Timestamp::now();
            if execution.status.is_final() {
                // A final execution is final: a repeated report (a client
                // retrying a lost answer) changes nothing; anything else is refused.
                let repeat = execution.status == next
                    && update.error_message.as_ref().is_none_or(|m| execution.error_message.as_ref() == Some(m))
                    && update.github_run_url.as_ref().is_none_or(|u| execution.github_run_url.as_ref() == Some(u))
                    && update.github_run_id.is_none_or(|id| execution.github_run_id == Some(id));
                if repeat {
                    return Ok(());
                }
                return Err(ApiError::new(
                    ErrorCode::BadTransition,
                    format!(
                        "execution of run {run_id} is {} and final; it cannot change any more",
                        execution.status.as_str()
                    ),
                ));
            }
            if execution.status != next {
                if !execution.status.can_move_to(next) {
                    return Err(ApiError::new(
                        ErrorCode::BadTransition,
                        format!(
                            "execution of run {run_id} cannot move from {} to {}",
                            execution.status.as_str(),
                            next.as_str()
                        ),
                    ));
                }
                execution.status = next;
                if next == ExecutionStatus::Running && execution.started_at.is_none() {
                    execution.started_at = Some(now);
                }
                if next.is_final() {
                    execution.completed_at = Some(now);
                }
            }
            if let Some(id) = update.github_run_id {
                execution.github_run_id = Some(id);
            }
            if let Some(url) = update.github_run_url {
                execution.github_run_url = Some(url);
            }
            if next == ExecutionStatus::Failed {
                if update.error_message.is_some() {
                    execution.error_message = update.error_message;
                }
            } else {
                execution.error_message = None;
            }
            detail.last_updated_at = now;
            Ok(())
        })
        .await?;
    Ok(Json(RunEnvelope { run }))
}

/// `PATCH /runs/{runId}/implementation-state`.
pub async fn put_implementation_state(
    State(state): State<AppState>,
    path: Result<Path<String>, PathRejection>,
    JsonBody(implementation): JsonBody<ImplementationState>,
) -> Result<Json<RunEnvelope>, ApiError> {
    let Path(raw) = path?;
    let run_id = parse_run_id(&raw)?;
    for (index, issue) in implementation.issues.iter().enumerate() {
        if let Some(url) = &issue.issue_url {
            check_url(url, true, &format!("issues[{index}].issue_url"))?;
        }
    }
    let (run, ()) = state
        .store
        .update_run(run_id, move |detail: &mut RunDetail| {
            detail.implementation_state = Some(implementation);
            crate::coordination::mark_synced(detail);
            detail.last_updated_at = pass_contracts::Timestamp::now();
            Ok::<_, ApiError>(())
        })
        .await?;
    Ok(Json(RunEnvelope { run }))
}

/// `POST /runs/{runId}/dispatch`: the planner.
pub async fn dispatch_planner(
    State(state): State<AppState>,
    headers: HeaderMap,
    path: Result<Path<String>, PathRejection>,
) -> Result<Json<DispatchResponse>, ApiError> {
    let Path(raw) = path?;
    dispatch(
        state,
        &headers,
        &raw,
        WorkflowName::Planner,
        DispatchOptions::default(),
    )
    .await
}

/// `POST /runs/{runId}/dispatch/{workflowName}`.
pub async fn dispatch_workflow(
    State(state): State<AppState>,
    headers: HeaderMap,
    path: Result<Path<(String, String)>, PathRejection>,
    OptionalJsonBody(options): OptionalJsonBody<DispatchOptions>,
) -> Result<Json<DispatchResponse>, ApiError> {
    let Path((raw, workflow)) = path?;
    let workflow = WorkflowName::parse(&workflow).ok_or_else(|| {
        ApiError::bad_request(format!(
            "unknown workflow {workflow:?}: expected phase1-planner or phase2-implementation"
        ))
    })?;
    if workflow != WorkflowName::Implementation && !options.is_default() {
        return Err(ApiError::invalid_body(
            "dispatch options",
            Problem {
                path: String::new(),
                message: "dry_run and force apply to phase2-implementation only".to_owned(),
            },
        ));
    }
    dispatch(state, &headers, &raw, workflow, options).await
}

async fn dispatch(
    state: AppState,
    headers: &HeaderMap,
    raw: &str,
    workflow: WorkflowName,
    options: DispatchOptions,
) -> Result<Json<DispatchResponse>, ApiError> {
    let run_id = parse_run_id(raw)?;
    let base = request_base(headers).unwrap_or_else(|| state.server_base.clone());
    let execution = state
        .dispatcher
        .dispatch(&state.store, run_id, workflow, base, options)
        .await
        .map_err(dispatch_error)?;
    tracing::info!(%run_id, workflow = workflow.as_str(), status = execution.status.as_str(), "dispatched");
    Ok(Json(DispatchResponse { run_id, execution }))
}

/// The API's answer for a dispatch that was refused or failed.
pub fn dispatch_error(error: DispatchError) -> ApiError {
    match error {
        DispatchError::Conflict(message) => ApiError::new(ErrorCode::RunConflict, message),
        DispatchError::ApprovalRequired(message) => {
            ApiError::new(ErrorCode::ApprovalRequired, message)
        }
        DispatchError::Failed(message) => ApiError::new(ErrorCode::DispatchFailed, message),
        DispatchError::Misconfigured(message) => {
            ApiError::new(ErrorCode::ServerMisconfigured, message)
        }
        DispatchError::Store(error) => ApiError::from(error),
    }
}

/// This server as the caller addressed it, for agents that call back.
fn request_base(headers: &HeaderMap) -> Option<Url> {
    let host = headers.get(header::HOST)?.to_str().ok()?;
    let scheme = headers
        .get("x-forwarded-proto")
        .and_then(|v| v.to_str().ok())
        .filter(|v| *v == "https" || *v == "http")
        .unwrap_or("http");
    Url::parse(&format!("{scheme}://{host}/")).ok()
}
