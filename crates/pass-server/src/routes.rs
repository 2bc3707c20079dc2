//! The one route table: every API route with its handler, who may call it
//! and how OpenAPI describes it. The router, the token policy and
//! `/openapi.json` are all built from [`table`], so none can drift from the
//! others.

use axum::routing::{MethodFilter, MethodRouter, on};
use pass_contracts::api::{
    ArtifactEnvelope, ArtifactUpload, ArtifactWithPayload, DispatchOptions, DispatchResponse,
    ExecutionUpdate, RunEnvelope, RunList, RunPatch, RunWithArtifacts,
};
use pass_contracts::coordination::{
    AcceptDefault, ApproveRequest, ClarificationAnswer, ClarificationList, ClarificationOutcome,
    NewClarification, RefinementRequest,
};
use pass_contracts::projects::{ProjectEnvelope, ProjectList, SyncLeaseEnvelope, SyncLeaseRequest};
use pass_contracts::{Clarification, ImplementationState, ProjectDetail, ProjectInput, RunInput};
use schemars::SchemaGenerator;
use serde_json::{Value, json};

use crate::app::{self, AppState};
use crate::auth::Access;
use crate::openapi::{Operation, Param, Tag, console_views, schema};
use crate::{artifacts, coordination, projects, runs, views};

/// Which body limit a route's request is held to.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub enum BodyLimit {
    /// `PASS_RUN_BODY_LIMIT`: PRDs, patches, answers.
    Run,
    /// `PASS_ARTIFACT_BODY_LIMIT`: uploaded artifacts.
    Artifact,
}

/// One route: its documentation (method, path, access) and its handler.
#[derive(Debug)]
pub struct Route {
    pub doc: Operation,
    pub handler: MethodRouter<AppState>,
    pub body_limit: BodyLimit,
}

fn route<H, T>(doc: Operation, handler: H) -> Route
where
    H: axum::handler::Handler<T, AppState>,
    T: 'static,
{
    let filter = match doc.method {
        "get" => MethodFilter::GET,
        "post" => MethodFilter::POST,
        "patch" => MethodFilter::PATCH,
        "put" => MethodFilter::PUT,
        _ => MethodFilter::DELETE,
    };
    Route {
        doc,
        handler: on(filter, handler),
        body_limit: BodyLimit::Run,
    }
}

/// Every API route. Schemas are generated into `generator` in the order the
/// routes first name them, which is the order of `components.schemas`.
pub fn table(generator: &mut SchemaGenerator) -> Vec<Route> {
    let health = json!({
        "type": "object",
        "required": ["status", "version", "store", "execution_backend"],
        "properties": {
            "status": {"type": "string", "enum": ["ok", "degraded"]},
            "reasons": {"type": "array", "items": {"type": "string"},
                "description": "Why the status is degraded: no token, runs folder not writable, disk short of space"},
            "auth": {"type": "object"},
            "disk": {"type": "object"},
            "version": {"type": "string"},
            "store": {"type": "object", "properties": {
                "status": {"type": "string"}, "runs": {"type": "integer"}, "projects": {"type": "integer"},
                "corrupt_runs": {"type": "integer"}, "read_only_runs": {"type": "integer"}}},
            "execution_backend": {"type": "string", "enum": ["local", "github_actions"]},
            "limits": {"type": "object", "properties": {
                "run_body_bytes": {"type": "integer"}, "artifact_body_bytes": {"type": "integer"}}}
        }
    });
    let run_input = schema::<RunInput>(generator);
    let run_envelope = schema::<RunEnvelope>(generator);
    let run_list = schema::<RunList>(generator);
    let run_with_artifacts = schema::<RunWithArtifacts>(generator);
    let run_patch = schema::<RunPatch>(generator);
    let dispatch_response = schema::<DispatchResponse>(generator);
    let dispatch_options = schema::<DispatchOptions>(generator);
    let execution_update = schema::<ExecutionUpdate>(generator);
    let artifact_upload = schema::<ArtifactUpload>(generator);
    let artifact_envelope = schema::<ArtifactEnvelope>(generator);
    let artifact_with_payload = schema::<ArtifactWithPayload>(generator);
    let implementation_state = schema::<ImplementationState>(generator);
    let clarification_list = schema::<ClarificationList>(generator);
    let new_clarification = schema::<NewClarification>(generator);
    let clarification = schema::<Clarification>(generator);
    let clarification_answer = schema::<ClarificationAnswer>(generator);
    let accept_default = schema::<AcceptDefault>(generator);
    let clarification_outcome = schema::<ClarificationOutcome>(generator);
    let approve_request = schema::<ApproveRequest>(generator);
    let project_input = schema::<ProjectInput>(generator);
    let project_envelope = schema::<ProjectEnvelope>(generator);
    let project_list = schema::<ProjectList>(generator);
    let project_detail = schema::<ProjectDetail>(generator);
    let refinement_request = schema::<RefinementRequest>(generator);
    let lease_request = schema::<SyncLeaseRequest>(generator);
    let lease_envelope = schema::<SyncLeaseEnvelope>(generator);
    let run_status = schema::<pass_contracts::RunStatus>(generator);
    let plan_state = schema::<pass_contracts::PlanState>(generator);
    let (run_rows, run_view) = console_views(run_status, plan_state);

    // Both dispatch routes answer the new execution and fail alike.
    let dispatch = |path, id, summary, params| {
        Operation::new("post", path, id, summary, Tag::Agents, Access::Agent)
            .params(params)
            .success(200, "The new execution", dispatch_response.clone())
            .errors(&[404, 409, 502])
    };
    // Every write to a run by its id answers the updated run.
    let run_update = |method, path, id, summary, tag, access, request, errors| {
        Operation::new(method, path, id, summary, tag, access)
            .params(&[Param::RunId])
            .request(request)
            .success(200, "The updated run", run_envelope.clone())
            .errors(errors)
    };
    let answer = |path, id, summary, request: Value, optional: bool| {
        let doc = Operation::new("post", path, id, summary, Tag::Coordination, Access::Client)
            .params(&[Param::RunId, Param::ClarificationId]);
        let doc = if optional {
            doc.optional_request(request)
        } else {
            doc.request(request)
        };
        doc.success(
            200,
            "The question as it now stands",
            clarification_outcome.clone(),
        )
        .errors(&[404, 409])
    };

    vec![
        route(
            Operation::new(
                "get",
                "/healthz",
                "healthz",
                "Liveness, version, store status and execution backend",
                Tag::Server,
                Access::Public,
            )
            .success(200, "The server is up", health),
            app::healthz,
        ),
        route(
            Operation::new(
                "get",
                "/health",
                "health",
                "The seed's probe: always { \"ok\": true }",
                Tag::Server,
                Access::Public,
            )
            .success(
                200,
                "The server is up",
                json!({"type": "object", "required": ["ok"], "properties": {"ok": {"const": true}}}),
            ),
            app::health,
        ),
        route(
            Operation::new(
                "get",
                "/openapi.json",
                "openapi",
                "This document",
                Tag::Server,
                Access::Public,
            )
            .success(200, "OpenAPI 3.1 document", json!({"type": "object"})),
            app::openapi_json,
        ),
        route(
            Operation::new(
                "post",
                "/runs",
                "createRun",
                "Create a run from a PRD, alone or as the next revision of a project",
                Tag::Runs,
                Access::Client,
            )
            .request(run_input)
            .success(201, "The new run", run_envelope.clone())
            .errors(&[404]),
            runs::create_run,
        ),
        route(
            Operation::new(
                "get",
                "/runs",
                "listRuns",
                "List runs, newest first",
                Tag::Runs,
                Access::Client,
            )
            .params(&[Param::Limit, Param::Offset])
            .success(200, "A page of runs and the total", run_list),
            runs::list_runs,
        ),
        route(
            Operation::new(
                "get",
                "/runs/{run_id}",
                "getRun",
                "A run and its artifact list",
                Tag::Runs,
                Access::Client,
            )
            .params(&[Param::RunId])
            .success(200, "The run", run_with_artifacts)
            .errors(&[404]),
            runs::get_run,
        ),
        route(
            run_update(
                "patch",
                "/runs/{run_id}",
                "patchRun",
                "Update a run's status or step",
                Tag::Runs,
                Access::Client,
                run_patch,
                &[404, 409],
            ),
            runs::patch_run,
        ),
        route(
            dispatch(
                "/runs/{run_id}/dispatch",
                "dispatchPlanner",
                "Start the planner agent for a run",
                &[Param::RunId],
            ),
            runs::dispatch_planner,
        ),
        route(
            dispatch(
                "/runs/{run_id}/dispatch/{workflow_name}",
                "dispatchWorkflow",
                "Start the named agent for a run; phase2-implementation takes optional dry_run and force",
                &[Param::RunId, Param::WorkflowName],
            )
            .optional_request(dispatch_options),
            runs::dispatch_workflow,
        ),
        route(
            run_update(
                "patch",
                "/runs/{run_id}/execution",
                "updateExecution",
                "An agent reports its execution status",
                Tag::Agents,
                Access::Agent,
                execution_update,
                &[404, 409],
            ),
            runs::patch_execution,
        ),
        Route {
            body_limit: BodyLimit::Artifact,
            ..route(
                Operation::new(
                    "post",
                    "/runs/{run_id}/artifacts",
                    "uploadArtifact",
                    "Store (or replace) an artifact",
                    Tag::Agents,
                    Access::Agent,
                )
                .params(&[Param::RunId])
                .request(artifact_upload)
                .success(201, "The artifact's metadata", artifact_envelope)
                .errors(&[404, 409]),
                artifacts::upload_artifact,
            )
        },
        route(
            Operation::new(
                "get",
                "/runs/{run_id}/artifacts/{name}",
                "getArtifact",
                "An artifact with its payload, or the stored file with raw=true",
                Tag::Runs,
                Access::Client,
            )
            .params(&[Param::RunId, Param::ArtifactName, Param::Raw])
            .success(200, "The artifact", artifact_with_payload)
            .errors(&[404]),
            artifacts::get_artifact,
        ),
        route(
            run_update(
                "patch",
                "/runs/{run_id}/implementation-state",
                "patchImplementationState",
                "The implementation agent records its issue sync",
                Tag::Agents,
                Access::Agent,
                implementation_state,
                &[404, 409],
            ),
            runs::put_implementation_state,
        ),
        route(
            Operation::new(
                "get",
                "/runs/{run_id}/clarifications",
                "listClarifications",
                "The run's open and settled questions",
                Tag::Coordination,
                Access::Client,
            )
            .params(&[Param::RunId])
            .success(200, "The questions", clarification_list)
            .errors(&[404]),
            coordination::list_clarifications,
        ),
        route(
            Operation::new(
                "post",
                "/runs/{run_id}/clarifications",
                "addClarification",
                "Ask a question about the run's plan",
                Tag::Coordination,
                Access::Client,
            )
            .params(&[Param::RunId])
            .request(new_clarification)
            .success(201, "The new question", clarification)
            .errors(&[404, 409]),
            coordination::add_clarification,
        ),
        route(
            answer(
                "/runs/{run_id}/clarifications/{clarification_id}/answer",
                "answerClarification",
                "Answer a question; replan=true starts the next revision with the answer",
                clarification_answer,
                false,
            ),
            coordination::answer_clarification,
        ),
        route(
            answer(
                "/runs/{run_id}/clarifications/{clarification_id}/accept-default",
                "acceptDefault",
                "Settle a question with the default the plan assumed",
                accept_default,
                true,
            ),
            coordination::accept_default,
        ),
        route(
            Operation::new(
                "post",
                "/runs/{run_id}/approve",
                "approvePlan",
                "Approve the run's plan for syncing to issues",
                Tag::Coordination,
                Access::Agent,
            )
            .params(&[Param::RunId])
            .optional_request(approve_request)
            .success(200, "The approved run", run_envelope.clone())
            .errors(&[404, 409]),
            coordination::approve,
        ),
        route(
            Operation::new(
                "post",
                "/projects",
                "createProject",
                "Create a project (one product, one backlog)",
                Tag::Projects,
                Access::Client,
            )
            .request(project_input)
            .success(201, "The new project", project_envelope)
            .errors(&[409]),
            projects::create_project,
        ),
        route(
            Operation::new(
                "get",
                "/projects",
                "listProjects",
                "List projects, most recently active first",
                Tag::Projects,
                Access::Client,
            )
            .params(&[Param::Limit, Param::Offset, Param::ProjectName])
            .success(200, "A page of projects and the total", project_list),
            projects::list_projects,
        ),
        route(
            Operation::new(
                "get",
                "/projects/{project_id}",
                "getProject",
                "A project, its revisions in order, and what its latest sync left",
                Tag::Projects,
                Access::Client,
            )
            .params(&[Param::ProjectId])
            .success(200, "The project", project_detail)
            .errors(&[404]),
            projects::get_project,
        ),
        route(
            Operation::new(
                "post",
                "/projects/{project_id}/refinements",
                "refineProject",
                "Ask for a change to the latest plan: starts the next revision",
                Tag::Coordination,
                Access::Client,
            )
            .params(&[Param::ProjectId])
            .request(refinement_request)
            .success(201, "The new revision's run", run_envelope)
            .errors(&[404, 409]),
            coordination::refine_project,
        ),
        route(
            Operation::new(
                "post",
                "/projects/{project_id}/sync-leases",
                "acquireSyncLease",
                "Become the only sync writing the project's issues on a target",
                Tag::Agents,
                Access::Agent,
            )
            .params(&[Param::ProjectId])
            .request(lease_request)
            .success(201, "The granted lease", lease_envelope.clone())
            .errors(&[404, 409]),
            projects::acquire_sync_lease,
        ),
        route(
            Operation::new(
                "put",
                "/projects/{project_id}/sync-leases/{lease_id}",
                "renewSyncLease",
                "Move a held lease's expiry on",
                Tag::Agents,
                Access::Agent,
            )
            .params(&[Param::ProjectId, Param::LeaseId])
            .success(200, "The renewed lease", lease_envelope)
            .errors(&[404, 409]),
            projects::renew_sync_lease,
        ),
        route(
            Operation::new(
                "delete",
                "/projects/{project_id}/sync-leases/{lease_id}",
                "releaseSyncLease",
                "End a lease",
                Tag::Agents,
                Access::Agent,
            )
            .params(&[Param::ProjectId, Param::LeaseId])
            .success(204, "Released, or already gone", Value::Null)
            // 409 sync_lease_lost for a lease id that is not a UUID, as renewing answers.
            .errors(&[404, 409]),
            projects::release_sync_lease,
        ),
        route(
            Operation::new(
                "get",
                "/views/runs",
                "listRunViews",
                "The web console's list: runs with their title, project, revision and plan state",
                Tag::Console,
                Access::Client,
            )
            .success(200, "The newest runs (up to 1000) and the total", run_rows),
            views::list_run_views,
        ),
        route(
            Operation::new(
                "get",
                "/views/runs/{run_id}",
                "getRunView",
                "The web console's page of a run: escaped HTML sections with the diagrams as SVG",
                Tag::Console,
                Access::Client,
            )
            .params(&[Param::RunId])
            .success(200, "The run's sections", run_view)
            .errors(&[404]),
            views::get_run_view,
        ),
    ]
}
