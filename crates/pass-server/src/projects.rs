//! The project routes: create, list and read projects, and the sync lease
//! that lets exactly one sync at a time write a project's backlog.

use axum::Json;
use axum::extract::rejection::{PathRejection, QueryRejection};
use axum::extract::{Path, Query, State};
use axum::http::StatusCode;
use pass_contracts::projects::{
    ProjectEnvelope, ProjectList, SyncLeaseEnvelope, SyncLeaseRequest, check_project_name,
};
use pass_contracts::{ErrorCode, Problem, ProjectDetail, ProjectInput};
use serde::Deserialize;
use uuid::Uuid;

use crate::app::AppState;
use crate::body::JsonBody;
use crate::error::ApiError;
use crate::store::{ProjectFilter, StoreError};

/// Parses a project id from the path; a string that is not a UUID names no project.
pub fn parse_project_id(raw: &str) -> Result<Uuid, ApiError> {
    Uuid::parse_str(raw).map_err(|_| {
        ApiError::new(
            ErrorCode::ProjectNotFound,
            format!("project {raw:?} not found: project ids are UUIDs"),
        )
    })
}

fn parse_lease_id(raw: &str) -> Result<Uuid, ApiError> {
    Uuid::parse_str(raw).map_err(|_| {
        ApiError::new(
            ErrorCode::SyncLeaseLost,
            format!("sync lease {raw:?} is not held: lease ids are UUIDs"),
        )
    })
}

/// `POST /projects`.
pub async fn create_project(
    State(state): State<AppState>,
    JsonBody(input): JsonBody<ProjectInput>,
) -> Result<(StatusCode, Json<ProjectEnvelope>), ApiError> {
    check_project_name(&input.name).map_err(|e| ApiError {
        code: ErrorCode::BadRequest,
        message: format!("invalid project input: name: {e}"),
        issues: vec![Problem {
            path: "name".to_owned(),
            message: e.to_string(),
        }],
    })?;
    let project = state.store.create_project(input).await?;
    tracing::info!(project_id = %project.project_id, name = %project.name, "project created");
    Ok((StatusCode::CREATED, Json(ProjectEnvelope { project })))
}

/// Paging and filtering of `GET /projects`.
#[derive(Debug, Deserialize)]
pub struct ProjectQuery {
    pub limit: Option<u64>,
    pub offset: Option<u64>,
    /// Only the project with this name (compared without regard to case).
    pub name: Option<String>,
}

/// `GET /projects`.
pub async fn list_projects(
    State(state): State<AppState>,
    query: Result<Query<ProjectQuery>, QueryRejection>,
) -> Result<Json<ProjectList>, ApiError> {
    let Query(query) = query?;
    let clamp = |v: u64| usize::try_from(v).unwrap_or(usize::MAX);
    let filter = ProjectFilter { name: query.name };
    let (total, projects) = state.store.list_projects(
        &filter,
        query.limit.map_or(usize::MAX, clamp),
        query.offset.map_or(0, clamp),
    );
    Ok(Json(ProjectList { total, projects }))
}

/// `GET /projects/{projectId}`.
pub async fn get_project(
    State(state): State<AppState>,
    path: Result<Path<String>, PathRejection>,
) -> Result<Json<ProjectDetail>, ApiError> {
    let Path(raw) = path?;
    let project_id = parse_project_id(&raw)?;
    Ok(Json(state.store.get_project(project_id).await?))
}

/// `POST /projects/{projectId}/sync-leases`: 201 with the lease, or 409
/// `sync_in_progress` naming the live holder.
pub async fn acquire_sync_lease(
    State(state): State<AppState>,
    path: Result<Path<String>, PathRejection>,
    JsonBody(request): JsonBody<SyncLeaseRequest>,
) -> Result<(StatusCode, Json<SyncLeaseEnvelope>), ApiError> {
    let Path(raw) = path?;
    let project_id = parse_project_id(&raw)?;
    // An unknown project is answered 404 by the store, whatever the run.
    if let Some(run_id) = request.run_id
        && state.store.has_project(project_id)
    {
        check_lease_run(&state, project_id, run_id)?;
    }
    let lease = state.store.acquire_sync_lease(project_id, request).await?;
    tracing::info!(%project_id, lease_id = %lease.lease_id, target = %lease.target, holder = %lease.holder, "sync lease granted");
    Ok((StatusCode::CREATED, Json(SyncLeaseEnvelope { lease })))
}

/// Refuses a lease asked for a run that is not a revision of the project: a
/// client that mixed up the project would otherwise hold the wrong project's
/// lease and sync its run's backlog beside another sync. 400, not 404, so a
/// client cannot mistake it for a server without lease routes.
fn check_lease_run(state: &AppState, project_id: Uuid, run_id: Uuid) -> Result<(), ApiError> {
    let refuse = |message: String| ApiError {
        code: ErrorCode::BadRequest,
        message: format!("invalid sync lease request: run_id: {message}"),
        issues: vec![Problem {
            path: "run_id".to_owned(),
            message,
        }],
    };
    match state.store.get_run(run_id) {
        Ok((run, _)) if run.project() == project_id => Ok(()),
        Ok((run, _)) => Err(refuse(format!(
            "run {run_id} is a revision of project {}, not of project {project_id}",
            run.project()
        ))),
        Err(StoreError::RunNotFound(_)) => Err(refuse(format!("run {run_id} does not exist"))),
        Err(error) => Err(error.into()),
    }
}

/// `PUT /projects/{projectId}/sync-leases/{leaseId}`: renew.
pub async fn renew_sync_lease(
    State(state): State<AppState>,
    path: Result<Path<(String, String)>, PathRejection>,
) -> Result<Json<SyncLeaseEnvelope>, ApiError> {
    let Path((raw_project, raw_lease)) = path?;
    let project_id = parse_project_id(&raw_project)?;
    let lease_id = parse_lease_id(&raw_lease)?;
    let lease = state.store.renew_sync_lease(project_id, lease_id).await?;
    Ok(Json(SyncLeaseEnvelope { lease }))
}

/// `DELETE /projects/{projectId}/sync-leases/{leaseId}`: release.
pub async fn release_sync_lease(
    State(state): State<AppState>,
    path: Result<Path<(String, String)>, PathRejection>,
) -> Result<StatusCode, ApiError> {
    let Path((raw_project, raw_lease)) = path?;
    let project_id = parse_project_id(&raw_project)?;
    let lease_id = parse_lease_id(&raw_lease)?;
    state.store.release_sync_lease(project_id, lease_id).await?;
    tracing::info!(%project_id, %lease_id, "sync lease released");
    Ok(StatusCode::NO_CONTENT)
}
