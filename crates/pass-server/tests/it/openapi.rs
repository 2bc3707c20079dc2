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
        ("/projects", "get"),
        ("/projects", "post"),
        ("/projects/{project_id}", "get"),
        ("/projects/{project_id}/sync-leases", "post"),
        ("/projects/{project_id}/sync-leases/{lease_id}", "put"),
        ("/projects/{project_id}/sync-leases/{lease_id}", "delete"),
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
                let concrete = path
                    .replace("{run_id}", id)
                    .replace("{workflow_name}", "phase9")
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
    assert!(checked >= 12 * 4 * 5);

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
    app.stop().await;
}
