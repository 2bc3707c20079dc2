//! The bearer token in both policies, and failing closed without one.

use reqwest::Method;
use serde_json::json;

use crate::support::{TOKEN, assert_message_contains, expect_error, spawn_app};

#[tokio::test]
async fn default_policy_protects_everything_but_probes() {
    let app = spawn_app(&[]).await;
    // No token, a wrong one, a body without one, and the token in the wrong scheme.
    let refused = [
        app.http.get(app.url("/runs")),
        app.http.get(app.url("/runs")).bearer_auth("wrong-token"),
        app.http
            .post(app.url("/runs"))
            .json(&json!({"prd_text": "secret PRD"})),
        app.http
            .get(app.url("/runs"))
            .header("authorization", format!("Basic {TOKEN}")),
    ];
    for request in refused {
        let body = expect_error(request.send().await.unwrap(), 401, "unauthorized").await;
        assert!(!body.to_string().contains(TOKEN), "{body}");
    }
    assert_eq!(app.send(Method::GET, "/runs", None).await.status(), 200);
    for open in ["/healthz", "/openapi.json"] {
        assert_eq!(app.get_public(open).await.status(), 200, "{open}");
    }
    app.stop().await;
}

#[tokio::test]
async fn agents_policy_protects_only_dispatch_and_callbacks() {
    let app = spawn_app(&[("PASS_API_AUTH", "agents")]).await;
    let response = app
        .http
        .post(app.url("/runs"))
        .json(&json!({"prd_text": "Build a todo app"}))
        .send()
        .await
        .unwrap();
    assert_eq!(response.status(), 201);
    let body: serde_json::Value = response.json().await.unwrap();
    let id = body["run"]["run_id"].as_str().unwrap().to_owned();
    assert_eq!(app.get_public("/runs").await.status(), 200);
    assert_eq!(app.get_public(&format!("/runs/{id}")).await.status(), 200);
    // The seed's planner reports progress without a token.
    let response = app
        .http
        .patch(app.url(&format!("/runs/{id}")))
        .json(&json!({"status": "parsed", "current_step": "parse"}))
        .send()
        .await
        .unwrap();
    assert_eq!(response.status(), 200);

    let protected = [
        (Method::POST, format!("/runs/{id}/dispatch"), None),
        (
            Method::POST,
            format!("/runs/{id}/dispatch/phase1-planner"),
            None,
        ),
        (
            Method::PATCH,
            format!("/runs/{id}/execution"),
            Some(json!({"status": "running"})),
        ),
        (
            Method::POST,
            format!("/runs/{id}/artifacts"),
            Some(json!({"name": "x", "content_type": "text/plain", "payload": "x"})),
        ),
        (
            Method::PATCH,
            format!("/runs/{id}/implementation-state"),
            Some(json!({"synced_at": "2026-02-26T00:00:00.000Z", "issues": []})),
        ),
    ];
    for (method, path, body) in protected {
        let mut request = app.http.request(method.clone(), app.url(&path));
        if let Some(body) = &body {
            request = request.json(body);
        }
        let response = request.send().await.unwrap();
        expect_error(response, 401, "unauthorized").await;
        let status = app
            .send(method.clone(), &path, body)
            .await
            .status()
            .as_u16();
        assert_ne!(status, 401, "{method} {path}");
    }
    app.stop().await;
}

#[tokio::test]
async fn without_a_token_protected_routes_fail_closed() {
    let app = spawn_app(&[("PASS_API_TOKEN", "")]).await;
    let response = app.send(Method::GET, "/runs", None).await;
    let body = expect_error(response, 500, "server_misconfigured").await;
    assert_message_contains(&body, "PASS_API_TOKEN");
    assert_eq!(app.get_public("/healthz").await.status(), 200);
    app.stop().await;
}
