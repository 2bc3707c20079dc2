//! The OpenAPI 3.1 document of the API, rendered from the route table
//! (`routes::table`) with the same schemars schemas as the contract types,
//! so it cannot drift from what the router serves and accepts.

use schemars::generate::SchemaSettings;
use schemars::{JsonSchema, SchemaGenerator};
use serde_json::{Map, Value, json};

use crate::auth::Access;
use crate::config::AuthMode;
use crate::routes;

/// How one route is documented, and who may call it.
#[derive(Debug)]
pub struct Operation {
    pub method: &'static str,
    pub path: &'static str,
    id: &'static str,
    summary: &'static str,
    tag: Tag,
    pub access: Access,
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
    /// A route with no parameters, no body and no errors of its own until a
    /// setter adds them.
    pub fn new(
        method: &'static str,
        path: &'static str,
        id: &'static str,
        summary: &'static str,
        tag: Tag,
        access: Access,
    ) -> Self {
        Self {
            method,
            path,
            id,
            summary,
            tag,
            access,
            params: &[],
            request: None,
            request_optional: false,
            success: (200, "", Value::Null),
            errors: &[],
        }
    }

    pub fn params(mut self, params: &'static [Param]) -> Self {
        self.params = params;
        self
    }

    pub fn request(mut self, schema: Value) -> Self {
        self.request = Some(schema);
        self
    }

    /// A body the caller may leave out; when sent it must be JSON.
    pub fn optional_request(mut self, schema: Value) -> Self {
        self.request = Some(schema);
        self.request_optional = true;
        self
    }

    pub fn success(mut self, status: u16, description: &'static str, schema: Value) -> Self {
        self.success = (status, description, schema);
        self
    }

    pub fn errors(mut self, errors: &'static [u16]) -> Self {
        self.errors = errors;
        self
    }

    /// The operation object: its success answer, every error it can answer
    /// in the contract's error shape, its body and its security under `mode`.
    fn render(&self, error: &Value, mode: AuthMode) -> Value {
        let needs_token = self.access.needs_token(mode);
        let mut responses = Map::new();
        let mut success_content = Map::new();
        success_content.insert(
            "application/json".to_owned(),
            json!({"schema": self.success.2.clone()}),
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
        // Every request can be refused for its target or head size.
        let mut statuses: Vec<u16> = vec![400, 404, 405, 414, 431, 500];
        if needs_token {
            statuses.push(401);
        }
        if self.request.is_some() {
            statuses.extend([408, 413, 415]);
        }
        statuses.extend(self.errors.iter().copied());
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
            "tags": [self.tag.name()],
            "parameters": self.params.iter().map(|p| p.render()).collect::<Vec<_>>(),
            "responses": responses,
        });
        if let Some(request) = &self.request {
            operation["requestBody"] = json!({
                "required": !self.request_optional,
                "content": {"application/json": {"schema": request}}
            });
        }
        operation["security"] = if needs_token {
            json!([{"bearerAuth": []}])
        } else {
            json!([])
        };
        operation["x-pass-token"] = json!({
            "all": self.access.needs_token(AuthMode::All),
            "agents": self.access.needs_token(AuthMode::Agents),
        });
        operation
    }
}

/// The groups operations are listed under.
#[derive(Debug, Clone, Copy)]
pub enum Tag {
    Server,
    Runs,
    Agents,
    Coordination,
    Projects,
    Console,
}

impl Tag {
    const ALL: [Tag; 5] = [
        Tag::Server,
        Tag::Runs,
        Tag::Agents,
        Tag::Coordination,
        Tag::Projects,
    ];

    fn name(self) -> &'static str {
        match self {
            Tag::Server => "server",
            Tag::Runs => "runs",
            Tag::Agents => "agents",
            Tag::Coordination => "coordination",
            Tag::Projects => "projects",
            Tag::Console => "console",
        }
    }

    fn description(self) -> &'static str {
        match self {
            Tag::Server => "Probes and this document",
            Tag::Runs => "Runs and their artifacts, as people and tools read and create them",
            Tag::Agents => "Dispatch and the callbacks agents make while they work",
            Tag::Coordination => "Questions, approval and refinement of a plan",
            Tag::Projects => "Projects: one product, its revisions and its backlog",
            Tag::Console => {
                "What the web console at /ui/ reads: runs as rows and as rendered sections"
            }
        }
    }
}

#[derive(Debug, Clone, Copy)]
pub enum Param {
    RunId,
    WorkflowName,
    ArtifactName,
    Limit,
    Offset,
    Raw,
    ProjectId,
    LeaseId,
    ProjectName,
    ClarificationId,
}

impl Param {
    fn render(self) -> Value {
        match self {
            Param::RunId => json!({"name": "run_id", "in": "path", "required": true,
                "schema": {"type": "string", "format": "uuid"}}),
            Param::WorkflowName => json!({"name": "workflow_name", "in": "path", "required": true,
                "schema": {"type": "string", "enum": ["phase1-planner", "phase2-implementation"]}}),
            Param::ArtifactName => json!({"name": "name", "in": "path", "required": true,
                "description": "Names PASS stores match ^[a-z0-9][a-z0-9_.-]{0,63}$; reads also find names an earlier tool stored.",
                "schema": {"type": "string", "minLength": 1}}),
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
            Param::ClarificationId => {
                json!({"name": "clarification_id", "in": "path", "required": true,
                "schema": {"type": "string"}})
            }
            Param::ProjectName => json!({"name": "name", "in": "query", "required": false,
                "description": "Only the project with this name, compared without regard to case.",
                "schema": {"type": "string"}}),
        }
    }
}

pub fn schema<T: JsonSchema>(generator: &mut SchemaGenerator) -> Value {
    generator.subschema_for::<T>().to_value()
}

/// The generator every rendering of the route table uses.
pub fn generator() -> SchemaGenerator {
    SchemaSettings::draft2020_12()
        .with(|s| s.definitions_path = "/components/schemas".into())
        .into_generator()
}

/// Renders the whole document as a server in `mode` answers it: each
/// operation's `security` says whether it needs the token in that mode, and
/// `x-pass-token` says so for both modes.
pub fn document(mode: AuthMode) -> Value {
    let mut generator = generator();
    let error = schema::<pass_contracts::ErrorBody>(&mut generator);
    let mut paths = Map::new();
    for route in routes::table(&mut generator) {
        let op = route.doc;
        let entry = paths.entry(op.path.to_owned()).or_insert_with(|| json!({}));
        entry[op.method] = op.render(&error, mode);
    }
    let mut schemas = generator.take_definitions(true);
    for schema in schemas.values_mut() {
        open_schemas_as_objects(schema);
    }
    let tags: Vec<Value> = Tag::ALL
        .iter()
        .map(|t| json!({"name": t.name(), "description": t.description()}))
        .collect();
    let mode_note = match mode {
        AuthMode::All => {
            "This server runs with PASS_API_AUTH=all: every route but the probes and this document needs the token."
        }
        AuthMode::Agents => {
            "This server runs with PASS_API_AUTH=agents (the seed's policy): only dispatch, the agent callbacks, approval and sync leases need the token."
        }
    };
    json!({
        "openapi": "3.1.0",
        "jsonSchemaDialect": "https://json-schema.org/draft/2020-12/schema",
        "info": {
            "title": "PASS API",
            "version": env!("CARGO_PKG_VERSION"),
            "description": format!("Runs, artifacts, executions, agent dispatch, projects and plan coordination (PASS contract v0.1). {mode_note} Each operation's x-pass-token names the modes in which it needs the token.")
        },
        "tags": tags,
        "paths": paths,
        "components": {
            "schemas": schemas,
            "securitySchemes": {"bearerAuth": {"type": "http", "scheme": "bearer"}}
        }
    })
}

/// Replaces the schema `true` ("any value", what schemars writes for a
/// `serde_json::Value` field such as an artifact's `payload`) with the
/// equivalent `{}`: some client generators reject boolean schemas.
fn open_schemas_as_objects(schema: &mut Value) {
    match schema {
        Value::Object(map) => {
            for (key, value) in map.iter_mut() {
                let holds_schemas = matches!(
                    key.as_str(),
                    "properties" | "$defs" | "definitions" | "patternProperties"
                );
                if holds_schemas {
                    if let Value::Object(children) = value {
                        for child in children.values_mut() {
                            if *child == Value::Bool(true) {
                                *child = json!({});
                            } else {
                                open_schemas_as_objects(child);
                            }
                        }
                    }
                } else if matches!(value, Value::Bool(true))
                    && matches!(key.as_str(), "items" | "additionalProperties")
                {
                    // `additionalProperties: true` and `items: true` are fine as they are.
                } else {
                    open_schemas_as_objects(value);
                }
            }
        }
        Value::Array(items) => items.iter_mut().for_each(open_schemas_as_objects),
        _ => {}
    }
}

/// The answers of the console's two read routes (`pass-console`'s row and
/// view types, which are answers only and have no contract schema).
pub fn console_views(run_status: Value, plan_state: Value) -> (Value, Value) {
    let text = json!({"type": "string"});
    let rows = json!({
        "type": "object",
        "required": ["total", "runs"],
        "properties": {
            "total": {"type": "integer", "minimum": 0},
            "runs": {"type": "array", "items": {
                "type": "object",
                "required": ["run_id", "short_id", "title", "project_id", "project", "revision",
                    "status", "plan_state", "created_at", "last_updated_at"],
                "properties": {
                    "run_id": {"type": "string", "format": "uuid"},
                    "short_id": text, "title": text,
                    "project_id": {"type": "string", "format": "uuid"},
                    "project": text,
                    "revision": {"type": "integer", "minimum": 1},
                    "status": run_status,
                    "plan_state": {"oneOf": [plan_state, {"type": "null"}]},
                    "created_at": text, "last_updated_at": text
                }
            }}
        }
    });
    let view = json!({
        "type": "object",
        "required": ["run_id", "title", "status", "live", "sections"],
        "properties": {
            "run_id": {"type": "string", "format": "uuid"},
            "title": text,
            "status": run_status,
            "live": {"type": "boolean", "description": "true while agents are moving; the console keeps polling"},
            "sections": {"type": "array", "items": {
                "type": "object",
                "required": ["id", "title", "html"],
                "properties": {"id": text, "title": text,
                    "html": {"type": "string", "description": "HTML with every text from a PRD or a model escaped"}}
            }}
        }
    });
    (rows, view)
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
        408 => "request_timeout: the body did not arrive in time",
        413 => "payload_too_large",
        414 => "uri_too_long",
        431 => "headers_too_large",
        415 => "unsupported_media_type",
        502 => "dispatch_failed",
        _ => "server_misconfigured or internal_error",
    }
}
