//! The OpenAPI 3.1 document of the API, generated from the same schemars
//! schemas as the contract types so it cannot drift from what the server
//! accepts; the route table below mirrors the router.

use pass_contracts::api::{
    ArtifactEnvelope, ArtifactUpload, ArtifactWithPayload, DispatchOptions, DispatchResponse,
    ExecutionUpdate, RunEnvelope, RunList, RunPatch, RunWithArtifacts,
};
use pass_contracts::projects::{ProjectEnvelope, ProjectList, SyncLeaseEnvelope, SyncLeaseRequest};
use pass_contracts::{ErrorBody, ImplementationState, ProjectDetail, ProjectInput, RunInput};
use schemars::generate::SchemaSettings;
use schemars::{JsonSchema, SchemaGenerator};
use serde_json::{Map, Value, json};

/// One operation of the route table.
struct Operation {
    method: &'static str,
    path: &'static str,
    id: &'static str,
    summary: &'static str,
    public: bool,
    params: &'static [Param],
    request: Option<Value>,
    /// Whether the body may be left out (dispatch options).
    request_optional: bool,
    /// (status, description, schema) of the success answer.
    success: (u16, &'static str, Value),
    /// Error statuses this operation can answer beyond 400/401/413/415/500.
    errors: &'static [u16],
}

impl Operation {
    /// A route behind the bearer token, with no parameters, no body and no
    /// errors of its own until a setter adds them.
    fn new(
        method: &'static str,
        path: &'static str,
        id: &'static str,
        summary: &'static str,
    ) -> Self {
        Self {
            method,
            path,
            id,
            summary,
            public: false,
            params: &[],
            request: None,
            request_optional: false,
            success: (200, "", Value::Null),
            errors: &[],
        }
    }

    /// Open to callers without the token (probes).
    fn public(mut self) -> Self {
        self.public = true;
        self
    }

    fn params(mut self, params: &'static [Param]) -> Self {
        self.params = params;
        self
    }

    fn request(mut self, schema: Value) -> Self {
        self.request = Some(schema);
        self
    }

    /// A body the caller may leave out; when sent it must be JSON.
    fn optional_request(mut self, schema: Value) -> Self {
        self.request = Some(schema);
        self.request_optional = true;
        self
    }

    fn success(mut self, status: u16, description: &'static str, schema: Value) -> Self {
        self.success = (status, description, schema);
        self
    }

    fn errors(mut self, errors: &'static [u16]) -> Self {
        self.errors = errors;
        self
    }

    /// The operation object: its success answer, every error it can answer
    /// in the contract's error shape, its body and its security.
    fn render(self, error: &Value) -> Value {
        let mut responses = Map::new();
        let mut success_content = Map::new();
        success_content.insert(
            "application/json".to_owned(),
            json!({"schema": self.success.2}),
        );
        if self.id == "getArtifact" {
            for text in ["text/plain", "text/markdown"] {
                success_content.insert(text.to_owned(), json!({"schema": {"type": "string"}}));
            }
        }
        let success = if self.success.2.is_null() {
            json!({"description": self.success.1})
        } else {
            json!({"description": self.success.1, "content": success_content})
        };
        responses.insert(self.success.0.to_string(), success);
        let mut statuses: Vec<u16> = vec![400, 404, 405, 500];
        if !self.public {
            statuses.push(401);
        }
        if self.request.is_some() {
            statuses.extend([413, 415]);
        }
        statuses.extend(self.errors);
        statuses.sort_unstable();
        statuses.dedup();
        for status in statuses {
            responses.insert(
                status.to_string(),
                json!({
                    "description": error_description(status),
                    "content": {"application/json": {"schema": error.clone()}}
                }),
            );
        }
        let mut operation = json!({
            "operationId": self.id,
            "summary": self.summary,
            "parameters": self.params.iter().map(|p| p.render()).collect::<Vec<_>>(),
            "responses": responses,
        });
        if let Some(request) = self.request {
            operation["requestBody"] = json!({
                "required": !self.request_optional,
                "content": {"application/json": {"schema": request}}
            });
        }
        operation["security"] = if self.public {
            json!([])
        } else {
            json!([{"bearerAuth": []}])
        };
        operation
    }
}

#[derive(Clone, Copy)]
enum Param {
    RunId,
    WorkflowName,
    ArtifactName,
    Limit,
    Offset,
    Raw,
    ProjectId,
    LeaseId,
    ProjectName,
}

impl Param {
    fn render(self) -> Value {
        match self {
            Param::RunId => json!({"name": "run_id", "in": "path", "required": true,
                "schema": {"type": "string", "format": "uuid"}}),
            Param::WorkflowName => json!({"name": "workflow_name", "in": "path", "required": true,
                "schema": {"type": "string", "enum": ["phase1-planner", "phase2-implementation"]}}),
            Param::ArtifactName => json!({"name": "name", "in": "path", "required": true,
                "schema": {"type": "string", "pattern": "^[a-z0-9][a-z0-9_.-]{0,63}$"}}),
            Param::Limit => json!({"name": "limit", "in": "query", "required": false,
                "description": "Page size; every run when absent.",
                "schema": {"type": "integer", "minimum": 0}}),
            Param::Offset => json!({"name": "offset", "in": "query", "required": false,
                "schema": {"type": "integer", "minimum": 0, "default": 0}}),
            Param::Raw => json!({"name": "raw", "in": "query", "required": false,
                "description": "true answers the stored file itself with its content type.",
                "schema": {"type": "boolean", "default": false}}),
            Param::ProjectId => json!({"name": "project_id", "in": "path", "required": true,
                "schema": {"type": "string", "format": "uuid"}}),
            Param::LeaseId => json!({"name": "lease_id", "in": "path", "required": true,
                "schema": {"type": "string", "format": "uuid"}}),
            Param::ProjectName => json!({"name": "name", "in": "query", "required": false,
                "description": "Only the project with this name, compared without regard to case.",
                "schema": {"type": "string"}}),
        }
    }
}

fn schema<T: JsonSchema>(generator: &mut SchemaGenerator) -> Value {
    generator.subschema_for::<T>().to_value()
}

/// Renders the whole document.
pub fn document() -> Value {
    let mut generator = SchemaSettings::draft2020_12()
        .with(|s| s.definitions_path = "/components/schemas".into())
        .into_generator();
    let error = schema::<ErrorBody>(&mut generator);
    let health = json!({
        "type": "object",
        "required": ["status", "version", "store", "execution_backend"],
        "properties": {
            "status": {"type": "string", "enum": ["ok", "degraded"]},
            "version": {"type": "string"},
            "store": {"type": "object", "properties": {
                "status": {"type": "string"}, "runs": {"type": "integer"}, "projects": {"type": "integer"},
                "corrupt_runs": {"type": "integer"}}},
            "execution_backend": {"type": "string", "enum": ["local", "github_actions"]},
            "limits": {"type": "object", "properties": {
                "run_body_bytes": {"type": "integer"}, "artifact_body_bytes": {"type": "integer"}}}
        }
    });
    // Generated in the order the routes below first name them, which is the
    // order of `components.schemas`.
    let run_input = schema::<RunInput>(&mut generator);
    let run_envelope = schema::<RunEnvelope>(&mut generator);
    let run_list = schema::<RunList>(&mut generator);
    let run_with_artifacts = schema::<RunWithArtifacts>(&mut generator);
    let run_patch = schema::<RunPatch>(&mut generator);
    let dispatch_response = schema::<DispatchResponse>(&mut generator);
    let dispatch_options = schema::<DispatchOptions>(&mut generator);
    let execution_update = schema::<ExecutionUpdate>(&mut generator);
    let artifact_upload = schema::<ArtifactUpload>(&mut generator);
    let artifact_envelope = schema::<ArtifactEnvelope>(&mut generator);
    let artifact_with_payload = schema::<ArtifactWithPayload>(&mut generator);
    let implementation_state = schema::<ImplementationState>(&mut generator);
    let project_input = schema::<ProjectInput>(&mut generator);
    let project_envelope = schema::<ProjectEnvelope>(&mut generator);
    let project_list = schema::<ProjectList>(&mut generator);
    let project_detail = schema::<ProjectDetail>(&mut generator);
    let lease_request = schema::<SyncLeaseRequest>(&mut generator);
    let lease_envelope = schema::<SyncLeaseEnvelope>(&mut generator);

    // Both dispatch routes answer the new execution and fail alike.
    let dispatch = |path, id, summary, params| {
        Operation::new("post", path, id, summary)
            .params(params)
            .success(200, "The new execution", dispatch_response.clone())
            .errors(&[404, 409, 502])
    };
    // Every write to a run by its id answers the updated run.
    let run_update = |method, path, id, summary, request, errors| {
        Operation::new(method, path, id, summary)
            .params(&[Param::RunId])
            .request(request)
            .success(200, "The updated run", run_envelope.clone())
            .errors(errors)
    };
    let operations = vec![
        Operation::new(
            "get",
            "/healthz",
            "healthz",
            "Liveness, version, store status and execution backend",
        )
        .public()
        .success(200, "The server is up", health),
        Operation::new("get", "/openapi.json", "openapi", "This document")
            .public()
            .success(200, "OpenAPI 3.1 document", json!({"type": "object"})),
        Operation::new("post", "/runs", "createRun", "Create a run from a PRD")
            .request(run_input)
            .success(201, "The new run", run_envelope.clone()),
        Operation::new("get", "/runs", "listRuns", "List runs, newest first")
            .params(&[Param::Limit, Param::Offset])
            .success(200, "A page of runs and the total", run_list),
        Operation::new(
            "get",
            "/runs/{run_id}",
            "getRun",
            "A run and its artifact list",
        )
        .params(&[Param::RunId])
        .success(200, "The run", run_with_artifacts)
        .errors(&[404]),
        run_update(
            "patch",
            "/runs/{run_id}",
            "patchRun",
            "Update a run's status or step",
            run_patch,
            &[404],
        ),
        dispatch(
            "/runs/{run_id}/dispatch",
            "dispatchPlanner",
            "Start the planner agent for a run",
            &[Param::RunId],
        ),
        dispatch(
            "/runs/{run_id}/dispatch/{workflow_name}",
            "dispatchWorkflow",
            "Start the named agent for a run; phase2-implementation takes optional dry_run and force",
            &[Param::RunId, Param::WorkflowName],
        )
        .optional_request(dispatch_options),
        run_update(
            "patch",
            "/runs/{run_id}/execution",
            "updateExecution",
            "An agent reports its execution status",
            execution_update,
            &[404, 409],
        ),
        Operation::new(
            "post",
            "/runs/{run_id}/artifacts",
            "uploadArtifact",
            "Store (or replace) an artifact",
        )
        .params(&[Param::RunId])
        .request(artifact_upload)
        .success(201, "The artifact's metadata", artifact_envelope)
        .errors(&[404]),
        Operation::new(
            "get",
            "/runs/{run_id}/artifacts/{name}",
            "getArtifact",
            "An artifact with its payload, or the stored file with raw=true",
        )
        .params(&[Param::RunId, Param::ArtifactName, Param::Raw])
        .success(200, "The artifact", artifact_with_payload)
        .errors(&[404]),
        run_update(
            "patch",
            "/runs/{run_id}/implementation-state",
            "putImplementationState",
            "The implementation agent records its issue sync",
            implementation_state,
            &[404],
        ),
        Operation::new(
            "post",
            "/projects",
            "createProject",
            "Create a project (one product, one backlog)",
        )
        .request(project_input)
        .success(201, "The new project", project_envelope)
        .errors(&[409]),
        Operation::new(
            "get",
            "/projects",
            "listProjects",
            "List projects, most recently active first",
        )
        .params(&[Param::Limit, Param::Offset, Param::ProjectName])
        .success(200, "A page of projects and the total", project_list),
        Operation::new(
            "get",
            "/projects/{project_id}",
            "getProject",
            "A project, its revisions in order, and what its latest sync left",
        )
        .params(&[Param::ProjectId])
        .success(200, "The project", project_detail)
        .errors(&[404]),
        Operation::new(
            "post",
            "/projects/{project_id}/sync-leases",
            "acquireSyncLease",
            "Become the only sync writing the project's issues on a target",
        )
        .params(&[Param::ProjectId])
        .request(lease_request)
        .success(201, "The granted lease", lease_envelope.clone())
        .errors(&[404, 409]),
        Operation::new(
            "put",
            "/projects/{project_id}/sync-leases/{lease_id}",
            "renewSyncLease",
            "Move a held lease's expiry on",
        )
        .params(&[Param::ProjectId, Param::LeaseId])
        .success(200, "The renewed lease", lease_envelope)
        .errors(&[404, 409]),
        Operation::new(
            "delete",
            "/projects/{project_id}/sync-leases/{lease_id}",
            "releaseSyncLease",
            "End a lease",
        )
        .params(&[Param::ProjectId, Param::LeaseId])
        .success(204, "Released, or already gone", Value::Null)
        // 409 sync_lease_lost for a lease id that is not a UUID, as renewing answers.
        .errors(&[404, 409]),
    ];

    let mut paths = Map::new();
    for op in operations {
        let (path, method) = (op.path, op.method);
        let entry = paths.entry(path.to_owned()).or_insert_with(|| json!({}));
        entry[method] = op.render(&error);
    }

    let schemas = generator.take_definitions(true);
    json!({
        "openapi": "3.1.0",
        "jsonSchemaDialect": "https://json-schema.org/draft/2020-12/schema",
        "info": {
            "title": "PASS API",
            "version": env!("CARGO_PKG_VERSION"),
            "description": "Runs, artifacts, executions and agent dispatch (PASS contract v0.1). With PASS_API_AUTH=agents only dispatch, the agent callback routes and the sync-lease routes need the token."
        },
        "paths": paths,
        "components": {
            "schemas": schemas,
            "securitySchemes": {"bearerAuth": {"type": "http", "scheme": "bearer"}}
        }
    })
}

fn error_description(status: u16) -> &'static str {
    match status {
        400 => "bad_request or bad_transition",
        401 => "unauthorized",
        404 => "run_not_found, artifact_not_found, project_not_found or not_found",
        405 => "method_not_allowed",
        409 => {
            "run_conflict, project_conflict, sync_in_progress, sync_lease_lost or execution_superseded"
        }
        413 => "payload_too_large",
        415 => "unsupported_media_type",
        502 => "dispatch_failed",
        _ => "server_misconfigured or internal_error",
    }
}
