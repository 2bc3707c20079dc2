//! The OpenAPI document covers every route and resolves every reference.

use serde_json::Value;

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
    assert_eq!(run_input["required"], serde_json::json!(["prd_text"]));
    assert_eq!(run_input["additionalProperties"], false);
    app.stop().await;
}
