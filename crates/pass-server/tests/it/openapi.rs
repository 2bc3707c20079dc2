//! The OpenAPI document covers every route and resolves every reference.

use reqwest::Method;
use serde_json::{Value, json};

use crate::support::spawn_app;

fn collect_refs(value: &Value, out: &mut Vec<String>) {
    match value {
        Value::Object(map) => {
            if let Some(Value::String(r)) = map.get("$ref") {
                out.push(r.clone());
            }
            map.values().for_each(|v| collect_refs(v, out));
        }
        Value::Array(items) => items.iter().for_each(|v| collect_refs(v, out)),
        _ => {}
    }
}

#[tokio::test]
async fn openapi_lists_every_route_with_resolvable_schemas() {
    let app = spawn_app(&[]).await;
    let response = app.http.get(app.url("/openapi.json")).send().await.unwrap();
    assert_eq!(response.status(), 200);
    let doc: Value = response.json().await.unwrap();
    assert_eq!(doc["openapi"], "3.1.0");
    let expected = [
        ("/healthz", "get"),
        ("/health", "get"),
        ("/openapi.json", "get"),
        ("/runs", "get"),
        ("/runs", "post"),
        ("/runs/{run_id}", "get"),
        ("/runs/{run_id}", "patch"),
        ("/runs/{run_id}/dispatch", "post"),
        ("/runs/{run_id}/dispatch/{workflow_name}", "post"),
        ("/runs/{run_id}/execution", "patch"),
        ("/runs/{run_id}/artifacts", "post"),
        ("/runs/{run_id}/artifacts/{name}", "get"),
        ("/runs/{run_id}/implementation-state", "patch"),
        ("/runs/{run_id}/clarifications", "get"),
        ("/runs/{run_id}/clarifications", "post"),
        (
            "/runs/{run_id}/clarifications/{clarification_id}/answer",
            "post",
        ),
        (
            "/runs/{run_id}/clarifications/{clarification_id}/accept-default",
            "post",
        ),
        ("/runs/{run_id}/approve", "post"),
        ("/projects", "get"),
        ("/projects", "post"),
        ("/projects/{project_id}", "get"),
        ("/projects/{project_id}/refinements", "post"),
        ("/projects/{project_id}/sync-leases", "post"),
        ("/projects/{project_id}/sync-leases/{lease_id}", "put"),
        ("/projects/{project_id}/sync-leases/{lease_id}", "delete"),
        ("/views/runs", "get"),
        ("/views/runs/{run_id}", "get"),
    ];
    let mut count = 0;
    for (path, ops) in doc["paths"].as_object().unwrap() {
        count += ops.as_object().unwrap().len();
        for op in ops.as_object().unwrap().values() {
            assert!(op["responses"].as_object().unwrap().len() >= 2, "{path}");
        }
    }
    assert_eq!(count, expected.len());
    for (path, method) in expected {
        assert!(
            doc["paths"][path][method].is_object(),
            "{method} {path} missing"
        );
    }
    assert!(doc["paths"]["/runs"]["post"]["requestBody"]["content"]["application/json"]["schema"]["$ref"]
        .as_str()
        .unwrap()
        .starts_with("#/components/schemas/"));
    let mut refs = Vec::new();
    collect_refs(&doc, &mut refs);
    assert!(refs.len() > 10);
    for r in refs {
        let name = r
            .strip_prefix("#/components/schemas/")
            .unwrap_or_else(|| panic!("{r}"));
        assert!(
            doc["components"]["schemas"][name].is_object(),
            "{r} does not resolve"
        );
    }
    // The published run input schema matches the contract crate's own.
    let run_input = &doc["components"]["schemas"]["RunInput"];
    assert_eq!(run_input["required"], json!(["prd_text"]));
    assert_eq!(run_input["additionalProperties"], false);
    app.stop().await;
}

/// Validates `instance` against `#/components/schemas/<name>` of `doc`.
fn check_against(doc: &Value, name: &str, instance: &Value) {
    let schema = json!({
        "$schema": "https://json-schema.org/draft/2020-12/schema",
        "$ref": format!("#/components/schemas/{name}"),
        "components": doc["components"].clone(),
    });
    let validator = jsonschema::validator_for(&schema).unwrap();
    let errors: Vec<String> = validator
        .iter_errors(instance)
        .map(|e| e.to_string())
        .collect();
    assert!(errors.is_empty(), "{name}: {errors:?}\n{instance}");
}

#[tokio::test]
async fn documented_operations_fed_garbage_answer_the_error_shape_and_successes_match_the_schemas()
{
    let app = spawn_app(&[]).await;
    let doc = app.get_public_json("/openapi.json").await;
    let run = app
        .client
        .create_run(&crate::support::run_input(None))
        .await
        .unwrap();
    let response = app
        .upload(run.run_id, "notes", "text/markdown", json!("# n"))
        .await;
    assert_eq!(response.status(), 201);
    let created: Value = response.json().await.unwrap();
    check_against(&doc, "ArtifactEnvelope", &created);

    let ids = [
        run.run_id.to_string(),
        uuid::Uuid::new_v4().to_string(),
        "not-a-uuid".to_owned(),
        "%2E%2E".to_owned(),
    ];
    let bodies: [Option<&str>; 5] = [
        None,
        Some("{"),
        Some("[]"),
        Some("{\"unexpected\": 1}"),
        Some("\"text\""),
    ];
    let mut checked = 0;
    for (path, ops) in doc["paths"].as_object().unwrap() {
        for (method, operation) in ops.as_object().unwrap() {
            for id in &ids {
                // A run's id is also its own project's id, so the project
                // routes are fed a real project as well as unknown ones.
                let concrete = path
                    .replace("{run_id}", id)
                    .replace("{project_id}", id)
                    .replace("{lease_id}", id)
                    .replace("{workflow_name}", "phase9")
                    .replace("{clarification_id}", "Q-1")
                    .replace("{name}", "notes");
                for body in bodies {
                    let method = Method::from_bytes(method.to_uppercase().as_bytes()).unwrap();
                    let mut request = app.authed(method.clone(), &concrete);
                    if let Some(body) = body {
                        request = request
                            .header("content-type", "application/json")
                            .body(body);
                    }
                    let response = request.send().await.unwrap();
                    let status = response.status().as_u16();
                    let text = response.text().await.unwrap();
                    assert!(
                        status != 500 && operation["responses"].get(status.to_string()).is_some(),
                        "{method} {concrete} {body:?} -> undocumented or internal {status}: {text}"
                    );
                    if status == 204 {
                        // No content: a release, which has nothing to say.
                        assert!(text.is_empty(), "{method} {concrete} -> 204 with {text}");
                        checked += 1;
                        continue;
                    }
                    let value: Value = serde_json::from_str(&text).unwrap_or_else(|e| {
                        panic!("{method} {concrete} -> {status} not JSON ({e}): {text}")
                    });
                    if status >= 400 {
                        check_against(&doc, "ErrorBody", &value);
                    }
                    checked += 1;
                }
            }
        }
    }
    assert!(checked >= 25 * 4 * 5);

    // Successful answers match the published schemas.
    let id = run.run_id;
    let successes = [
        (Method::GET, format!("/runs/{id}"), None, "RunWithArtifacts"),
        (Method::GET, "/runs?limit=5".to_owned(), None, "RunList"),
        (
            Method::PATCH,
            format!("/runs/{id}"),
            Some(json!({"current_step": "parse"})),
            "RunEnvelope",
        ),
        (
            Method::GET,
            format!("/runs/{id}/artifacts/notes"),
            None,
            "ArtifactWithPayload",
        ),
    ];
    for (method, path, body, schema) in successes {
        let answer: Value = app.send(method, &path, body).await.json().await.unwrap();
        check_against(&doc, schema, &answer);
    }

    // The project routes' answers match theirs too.
    let response = app
        .send(
            Method::POST,
            "/projects",
            Some(json!({"name": "Schema", "description": "checked"})),
        )
        .await;
    assert_eq!(response.status(), 201);
    let created: Value = response.json().await.unwrap();
    check_against(&doc, "ProjectEnvelope", &created);
    let project = created["project"]["project_id"]
        .as_str()
        .unwrap()
        .to_owned();
    let run = app
        .send(
            Method::POST,
            "/runs",
            Some(json!({"prd_text": "# Schema", "project_id": project})),
        )
        .await;
    assert_eq!(run.status(), 201);
    let run: Value = run.json().await.unwrap();
    let run_id = run["run"]["run_id"].as_str().unwrap();
    let state = json!({"synced_at": "2026-03-01T00:00:00.000Z", "issues": [
        {"plan_item_id": "A", "title": "A", "github_state": "open", "sync_status": "created",
         "labels": [], "last_synced_at": "2026-03-01T00:00:00.000Z", "outcome": "kept"}]});
    let response = app
        .send(
            Method::PATCH,
            &format!("/runs/{run_id}/implementation-state"),
            Some(state),
        )
        .await;
    assert_eq!(response.status(), 200);
    let response = app
        .send(
            Method::POST,
            &format!("/projects/{project}/sync-leases"),
            Some(json!({"target": "local", "holder": "it", "run_id": run_id})),
        )
        .await;
    assert_eq!(response.status(), 201);
    let lease: Value = response.json().await.unwrap();
    check_against(&doc, "SyncLeaseEnvelope", &lease);
    let lease_id = lease["lease"]["lease_id"].as_str().unwrap();
    let project_successes = [
        (Method::GET, "/projects?limit=5".to_owned(), "ProjectList"),
        (Method::GET, format!("/projects/{project}"), "ProjectDetail"),
        (
            Method::PUT,
            format!("/projects/{project}/sync-leases/{lease_id}"),
            "SyncLeaseEnvelope",
        ),
        (Method::GET, format!("/runs/{run_id}"), "RunWithArtifacts"),
    ];
    for (method, path, schema) in project_successes {
        let answer: Value = app.send(method, &path, None).await.json().await.unwrap();
        check_against(&doc, schema, &answer);
    }
    let detail: Value = app
        .send(Method::GET, &format!("/projects/{project}"), None)
        .await
        .json()
        .await
        .unwrap();
    assert!(detail["backlog"].is_object() && detail["revisions"][0].is_object());
    app.stop().await;
}

#[tokio::test]
async fn the_new_operations_document_their_own_errors_and_bodies() {
    let app = spawn_app(&[]).await;
    let doc = app.get_public_json("/openapi.json").await;
    // Beyond the statuses every operation has: the errors each can answer.
    let expected: [(&str, &str, &[u16]); 8] = [
        ("/projects", "post", &[409, 415]),
        ("/projects", "get", &[]),
        ("/projects/{project_id}", "get", &[404]),
        (
            "/projects/{project_id}/sync-leases",
            "post",
            &[404, 409, 415],
        ),
        (
            "/projects/{project_id}/sync-leases/{lease_id}",
            "put",
            &[404, 409],
        ),
        (
            "/projects/{project_id}/sync-leases/{lease_id}",
            "delete",
            &[404, 409],
        ),
        ("/runs", "post", &[404]),
        ("/runs/{run_id}/execution", "patch", &[404, 409]),
    ];
    for (path, method, statuses) in expected {
        let responses = &doc["paths"][path][method]["responses"];
        for status in statuses.iter().chain(&[400, 401, 500]) {
            assert!(
                responses[status.to_string()]["content"]["application/json"]["schema"].is_object(),
                "{method} {path} does not document {status}: {responses}"
            );
        }
    }
    let description =
        doc["paths"]["/runs/{run_id}/execution"]["patch"]["responses"]["409"]["description"]
            .as_str()
            .unwrap();
    assert!(
        description.contains("execution_superseded"),
        "{description}"
    );
    let description = doc["paths"]["/projects/{project_id}/sync-leases"]["post"]["responses"]
        ["409"]["description"]
        .as_str()
        .unwrap();
    assert!(description.contains("sync_in_progress"), "{description}");
    // The execution update names its execution; runs name their project.
    let update = &doc["components"]["schemas"]["ExecutionUpdate"]["properties"];
    assert!(update["execution_id"].is_object(), "{update}");
    let input = &doc["components"]["schemas"]["RunInput"]["properties"];
    assert!(input["project_id"].is_object(), "{input}");
    // Phase 2's dispatch takes optional options, and says so.
    let dispatch = &doc["paths"]["/runs/{run_id}/dispatch/{workflow_name}"]["post"];
    assert_eq!(dispatch["requestBody"]["required"], false, "{dispatch}");
    let options = dispatch["requestBody"]["content"]["application/json"]["schema"]["$ref"]
        .as_str()
        .unwrap();
    let name = options.strip_prefix("#/components/schemas/").unwrap();
    let properties = &doc["components"]["schemas"][name]["properties"];
    assert!(properties["dry_run"].is_object() && properties["force"].is_object());
    assert!(dispatch["responses"]["415"].is_object(), "{dispatch}");
    app.stop().await;
}

/// The path of `template` with every parameter filled with something.
fn concrete(template: &str, id: &str) -> String {
    template
        .replace("{run_id}", id)
        .replace("{project_id}", id)
        .replace("{lease_id}", id)
        .replace("{workflow_name}", "phase1-planner")
        .replace("{clarification_id}", "Q-1")
        .replace("{name}", "notes")
}

#[tokio::test]
async fn each_mode_protects_exactly_the_routes_its_document_says() {
    for mode in ["all", "agents"] {
        let app = spawn_app(&[("PASS_API_AUTH", mode)]).await;
        let doc = app.get_public_json("/openapi.json").await;
        let id = uuid::Uuid::new_v4().to_string();
        let mut protected = Vec::new();
        for (path, ops) in doc["paths"].as_object().unwrap() {
            for (method, operation) in ops.as_object().unwrap() {
                let needs_token = operation["x-pass-token"][mode].as_bool().unwrap();
                let secured = operation["security"] != json!([]);
                assert_eq!(needs_token, secured, "{method} {path} in {mode}");
                assert_eq!(
                    operation["responses"].get("401").is_some(),
                    needs_token,
                    "{method} {path} in {mode}"
                );
                let method = Method::from_bytes(method.to_uppercase().as_bytes()).unwrap();
                let response = app
                    .http
                    .request(method.clone(), app.url(&concrete(path, &id)))
                    .header("content-type", "application/json")
                    .body("{}")
                    .send()
                    .await
                    .unwrap();
                let status = response.status().as_u16();
                // Every documented route is routed: never the router's own 404 or 405.
                let body: Value = response.json().await.unwrap();
                assert_ne!(body["error"], "not_found", "{method} {path} is not routed");
                assert_ne!(status, 405, "{method} {path} is not routed");
                assert_eq!(
                    status == 401,
                    needs_token,
                    "{method} {path} in {mode}: {body}"
                );
                if needs_token {
                    protected.push(format!("{method} {path}"));
                }
            }
        }
        protected.sort();
        if mode == "agents" {
            assert_eq!(
                protected,
                [
                    "DELETE /projects/{project_id}/sync-leases/{lease_id}",
                    "PATCH /runs/{run_id}/execution",
                    "PATCH /runs/{run_id}/implementation-state",
                    "POST /projects/{project_id}/sync-leases",
                    "POST /runs/{run_id}/approve",
                    "POST /runs/{run_id}/artifacts",
                    "POST /runs/{run_id}/dispatch",
                    "POST /runs/{run_id}/dispatch/{workflow_name}",
                    "PUT /projects/{project_id}/sync-leases/{lease_id}",
                ]
            );
        } else {
            assert_eq!(protected.len(), 24, "{protected:?}");
        }
        app.stop().await;
    }
}

#[test]
fn the_document_is_what_the_snapshot_shows() {
    // Reviewed on change: `cargo insta review` (or INSTA_UPDATE=always).
    insta::assert_json_snapshot!(
        "openapi_all_mode",
        pass_server::openapi::document(pass_server::AuthMode::All)
    );
}

#[test]
fn payloads_are_open_schemas_not_booleans() {
    let doc = pass_server::openapi::document(pass_server::AuthMode::All);
    let mut booleans = Vec::new();
    find_boolean_property_schemas(&doc["components"]["schemas"], "", &mut booleans);
    assert!(booleans.is_empty(), "boolean schemas at {booleans:?}");
    assert_eq!(
        doc["components"]["schemas"]["ArtifactUpload"]["properties"]["payload"],
        json!({})
    );
}

fn find_boolean_property_schemas(value: &Value, at: &str, out: &mut Vec<String>) {
    if let Value::Object(map) = value {
        for (key, child) in map {
            let here = format!("{at}/{key}");
            if key == "properties" {
                for (name, schema) in child.as_object().into_iter().flatten() {
                    if schema.is_boolean() {
                        out.push(format!("{here}/{name}"));
                    }
                }
            }
            find_boolean_property_schemas(child, &here, out);
        }
    }
}
