//! The OpenAPI 3.1 document of the API, generated from the same schemars
//! schemas as the contract types so it cannot drift from what the server
//! accepts; the route table below mirrors the router.

use pass_contracts::api::{
    ArtifactEnvelope, ArtifactUpload, ArtifactWithPayload, DispatchResponse, ExecutionUpdate,
    RunEnvelope, RunList, RunPatch, RunWithArtifacts,
};
use pass_contracts::{ErrorBody, ImplementationState, RunInput};
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
    /// (status, description, schema) of the success answer.
    success: (u16, &'static str, Value),
    /// Error statuses this operation can answer beyond 400/401/413/415/500.
    errors: &'static [u16],
}

#[derive(Clone, Copy)]
enum Param {
    RunId,
    WorkflowName,
    ArtifactName,
    Limit,
    Offset,
    Raw,
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
                "status": {"type": "string"}, "runs": {"type": "integer"}, "corrupt_runs": {"type": "integer"}}},
            "execution_backend": {"type": "string", "enum": ["local", "github_actions"]}
        }
    });
    let operations = vec![
        Operation {
            method: "get",
            path: "/healthz",
            id: "healthz",
            summary: "Liveness, version, store status and execution backend",
            public: true,
            params: &[],
            request: None,
            success: (200, "The server is up", health),
            errors: &[],
        },
        Operation {
            method: "get",
            path: "/openapi.json",
            id: "openapi",
            summary: "This document",
            public: true,
            params: &[],
            request: None,
            success: (200, "OpenAPI 3.1 document", json!({"type": "object"})),
            errors: &[],
        },
        Operation {
            method: "post",
            path: "/runs",
            id: "createRun",
            summary: "Create a run from a PRD",
            public: false,
            params: &[],
            request: Some(schema::<RunInput>(&mut generator)),
            success: (201, "The new run", schema::<RunEnvelope>(&mut generator)),
            errors: &[],
        },
        Operation {
            method: "get",
            path: "/runs",
            id: "listRuns",
            summary: "List runs, newest first",
            public: false,
            params: &[Param::Limit, Param::Offset],
            request: None,
            success: (
                200,
                "A page of runs and the total",
                schema::<RunList>(&mut generator),
            ),
            errors: &[],
        },
        Operation {
            method: "get",
            path: "/runs/{run_id}",
            id: "getRun",
            summary: "A run and its artifact list",
            public: false,
            params: &[Param::RunId],
            request: None,
            success: (200, "The run", schema::<RunWithArtifacts>(&mut generator)),
            errors: &[404],
        },
        Operation {
            method: "patch",
            path: "/runs/{run_id}",
            id: "patchRun",
            summary: "Update a run's status or step",
            public: false,
            params: &[Param::RunId],
            request: Some(schema::<RunPatch>(&mut generator)),
            success: (
                200,
                "The updated run",
                schema::<RunEnvelope>(&mut generator),
            ),
            errors: &[404],
        },
        Operation {
            method: "post",
            path: "/runs/{run_id}/dispatch",
            id: "dispatchPlanner",
            summary: "Start the planner agent for a run",
            public: false,
            params: &[Param::RunId],
            request: None,
            success: (
                200,
                "The new execution",
                schema::<DispatchResponse>(&mut generator),
            ),
            errors: &[404, 409, 502],
        },
        Operation {
            method: "post",
            path: "/runs/{run_id}/dispatch/{workflow_name}",
            id: "dispatchWorkflow",
            summary: "Start the named agent for a run",
            public: false,
            params: &[Param::RunId, Param::WorkflowName],
            request: None,
            success: (
                200,
                "The new execution",
                schema::<DispatchResponse>(&mut generator),
            ),
            errors: &[404, 409, 502],
        },
        Operation {
            method: "patch",
            path: "/runs/{run_id}/execution",
            id: "updateExecution",
            summary: "An agent reports its execution status",
            public: false,
            params: &[Param::RunId],
            request: Some(schema::<ExecutionUpdate>(&mut generator)),
            success: (
                200,
                "The updated run",
                schema::<RunEnvelope>(&mut generator),
            ),
            errors: &[404, 409],
        },
        Operation {
            method: "post",
            path: "/runs/{run_id}/artifacts",
            id: "uploadArtifact",
            summary: "Store (or replace) an artifact",
            public: false,
            params: &[Param::RunId],
            request: Some(schema::<ArtifactUpload>(&mut generator)),
            success: (
                201,
                "The artifact's metadata",
                schema::<ArtifactEnvelope>(&mut generator),
            ),
            errors: &[404],
        },
        Operation {
            method: "get",
            path: "/runs/{run_id}/artifacts/{name}",
            id: "getArtifact",
            summary: "An artifact with its payload, or the stored file with raw=true",
            public: false,
            params: &[Param::RunId, Param::ArtifactName, Param::Raw],
            request: None,
            success: (
                200,
                "The artifact",
                schema::<ArtifactWithPayload>(&mut generator),
            ),
            errors: &[404],
        },
        Operation {
            method: "patch",
            path: "/runs/{run_id}/implementation-state",
            id: "putImplementationState",
            summary: "The implementation agent records its issue sync",
            public: false,
            params: &[Param::RunId],
            request: Some(schema::<ImplementationState>(&mut generator)),
            success: (
                200,
                "The updated run",
                schema::<RunEnvelope>(&mut generator),
            ),
            errors: &[404],
        },
    ];

    let mut paths = Map::new();
    for op in operations {
        let mut responses = Map::new();
        let mut success_content = Map::new();
        success_content.insert(
            "application/json".to_owned(),
            json!({"schema": op.success.2}),
        );
        if op.id == "getArtifact" {
            for text in ["text/plain", "text/markdown"] {
                success_content.insert(text.to_owned(), json!({"schema": {"type": "string"}}));
            }
        }
        responses.insert(
            op.success.0.to_string(),
            json!({"description": op.success.1, "content": success_content}),
        );
        let mut statuses: Vec<u16> = vec![400, 404, 405, 500];
        if !op.public {
            statuses.push(401);
        }
        if op.request.is_some() {
            statuses.extend([413, 415]);
        }
        statuses.extend(op.errors);
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
            "operationId": op.id,
            "summary": op.summary,
            "parameters": op.params.iter().map(|p| p.render()).collect::<Vec<_>>(),
            "responses": responses,
        });
        if let Some(request) = op.request {
            operation["requestBody"] = json!({
                "required": true,
                "content": {"application/json": {"schema": request}}
            });
        }
        operation["security"] = if op.public {
            json!([])
        } else {
            json!([{"bearerAuth": []}])
        };
        let entry = paths.entry(op.path.to_owned()).or_insert_with(|| json!({}));
        entry[op.method] = operation;
    }

    let schemas = generator.take_definitions(true);
    json!({
        "openapi": "3.1.0",
        "jsonSchemaDialect": "https://json-schema.org/draft/2020-12/schema",
        "info": {
            "title": "PASS API",
            "version": env!("CARGO_PKG_VERSION"),
            "description": "Runs, artifacts, executions and agent dispatch (PASS contract v0.1). With PASS_API_AUTH=agents only dispatch and the agent callback routes need the token."
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
        404 => "run_not_found, artifact_not_found or not_found",
        405 => "method_not_allowed",
        409 => "run_conflict",
        413 => "payload_too_large",
        415 => "unsupported_media_type",
        502 => "dispatch_failed",
        _ => "server_misconfigured or internal_error",
    }
}
