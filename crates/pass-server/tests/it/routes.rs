//! Every route's success path and its error paths, with the contract's shapes.

use pass_contracts::api::RunPatch;
use pass_contracts::{ContentType, RunStatus, RunStep};
use reqwest::Method;
use serde_json::{Value, json};

use crate::support::{
    TOKEN, assert_message_contains, expect_error, read_json_file, run_input, spawn_app,
};

#[tokio::test]
async fn runs_are_created_read_listed_newest_first_and_paged() {
    let app = spawn_app(&[]).await;
    let mut ids = Vec::new();
    for _ in 0..3 {
        let run = app.client.create_run(&run_input(None)).await.unwrap();
        assert_eq!(run.status, RunStatus::Created);
        assert!(run.step_timestamps.contains_key(&RunStep::Created));
        ids.push(run.run_id);
        tokio::time::sleep(std::time::Duration::from_millis(3)).await;
    }
    let detail = app.client.get_run(ids[1]).await.unwrap();
    assert_eq!(detail.run.run_id, ids[1]);
    assert!(detail.artifacts.is_empty());
    assert_eq!(
        detail.run.input.unwrap().prd_text.as_str(),
        crate::support::prd()
    );

    let all = app.client.list_runs(None, None).await.unwrap();
    assert_eq!(all.total, 3);
    let listed: Vec<_> = all.runs.iter().map(|r| r.run_id).collect();
    assert_eq!(listed, vec![ids[2], ids[1], ids[0]]);
    let page = app.client.list_runs(Some(1), Some(1)).await.unwrap();
    assert_eq!(page.total, 3);
    assert_eq!(page.runs.len(), 1);
    assert_eq!(page.runs[0].run_id, ids[1]);

    // The raw 201 answer is `{ run }`.
    let response = app
        .send(
            Method::POST,
            "/runs",
            Some(json!({"prd_text": "Build a todo app"})),
        )
        .await;
    assert_eq!(response.status(), 201);
    let body: Value = response.json().await.unwrap();
    assert_eq!(body["run"]["status"], "created");
    app.stop().await;
}

#[tokio::test]
async fn patch_moves_status_and_step_and_needs_one_field() {
    let app = spawn_app(&[]).await;
    let run = app.client.create_run(&run_input(None)).await.unwrap();
    let patched = app
        .client
        .patch_run(
            run.run_id,
            &RunPatch {
                status: Some(RunStatus::Parsed),
                current_step: Some(RunStep::Parse),
            },
        )
        .await
        .unwrap();
    assert_eq!(patched.status, RunStatus::Parsed);
    assert_eq!(patched.current_step, RunStep::Parse);
    assert!(patched.step_timestamps.contains_key(&RunStep::Parse));
    assert!(patched.last_updated_at >= run.last_updated_at);
    let listed = app.client.list_runs(None, None).await.unwrap();
    assert_eq!(listed.runs[0].status, RunStatus::Parsed);

    let response = app
        .send(
            Method::PATCH,
            &format!("/runs/{}", run.run_id),
            Some(json!({})),
        )
        .await;
    expect_error(response, 400, "bad_request").await;
    let response = app
        .send(
            Method::PATCH,
            &format!("/runs/{}", run.run_id),
            Some(json!({"status": "flying"})),
        )
        .await;
    let body = expect_error(response, 400, "bad_request").await;
    assert_eq!(body["issues"][0]["path"], "status", "{body}");
    app.stop().await;
}

#[tokio::test]
async fn org_constraints_are_validated_at_creation_naming_the_key() {
    let app = spawn_app(&[]).await;
    let response = app
        .send(
            Method::POST,
            "/runs",
            Some(json!({"prd_text": "x", "org_constraints_yaml": "stack:\n  language: cobol\n"})),
        )
        .await;
    let body = expect_error(response, 400, "bad_request").await;
    assert_message_contains(&body, "stack.language");
    assert_eq!(
        body["issues"][0]["path"],
        "org_constraints_yaml.stack.language"
    );

    let response = app
        .send(
            Method::POST,
            "/runs",
            Some(json!({"prd_text": "x", "org_constraints_yaml": "colour: red\n"})),
        )
        .await;
    let body = expect_error(response, 400, "bad_request").await;
    assert_message_contains(&body, "colour");

    let ok = app
        .client
        .create_run(&run_input(Some(
            "strictness: strict\nstack:\n  language: go\n",
        )))
        .await
        .unwrap();
    assert!(ok.input.unwrap().org_constraints_yaml.is_some());
    assert_eq!(app.client.list_runs(None, None).await.unwrap().total, 1);
    app.stop().await;
}

#[tokio::test]
async fn every_rejection_is_the_contract_error_shape() {
    let app = spawn_app(&[("PASS_MAX_RUN_BODY_BYTES", "2048")]).await;
    // Malformed JSON, and the wrong content type.
    for (content_type, body, status, code) in [
        ("application/json", "{\"prd_text\": ", 400, "bad_request"),
        (
            "text/plain",
            "{\"prd_text\": \"x\"}",
            415,
            "unsupported_media_type",
        ),
    ] {
        let response = app
            .authed(Method::POST, "/runs")
            .header("content-type", content_type)
            .body(body)
            .send()
            .await
            .unwrap();
        expect_error(response, status, code).await;
    }
    // Unknown field, named with its path.
    let response = app
        .send(
            Method::POST,
            "/runs",
            Some(json!({"prd_text": "x", "source": {"trigger": "api", "colour": 1}})),
        )
        .await;
    let body = expect_error(response, 400, "bad_request").await;
    assert_message_contains(&body, "colour");
    // Blank text.
    let response = app
        .send(Method::POST, "/runs", Some(json!({"prd_text": "   "})))
        .await;
    let body = expect_error(response, 400, "bad_request").await;
    assert_eq!(body["issues"][0]["path"], "prd_text");
    // Oversized body.
    let response = app
        .send(
            Method::POST,
            "/runs",
            Some(json!({"prd_text": "x".repeat(4096)})),
        )
        .await;
    expect_error(response, 413, "payload_too_large").await;
    // Unknown route and wrong method.
    let response = app.send(Method::GET, "/nope", None).await;
    expect_error(response, 404, "not_found").await;
    let response = app.send(Method::DELETE, "/runs", None).await;
    expect_error(response, 405, "method_not_allowed").await;
    // Run ids.
    let response = app.send(Method::GET, "/runs/not-a-uuid", None).await;
    let body = expect_error(response, 400, "bad_request").await;
    assert_eq!(body["issues"][0]["path"], "runId");
    let missing = uuid::Uuid::new_v4();
    let response = app
        .send(Method::GET, &format!("/runs/{missing}"), None)
        .await;
    let body = expect_error(response, 404, "run_not_found").await;
    assert_message_contains(&body, &missing.to_string());
    let response = app
        .send(
            Method::PATCH,
            &format!("/runs/{missing}"),
            Some(json!({"status": "parsed"})),
        )
        .await;
    expect_error(response, 404, "run_not_found").await;
    // Query strings.
    let response = app.send(Method::GET, "/runs?limit=lots", None).await;
    expect_error(response, 400, "bad_request").await;
    app.stop().await;
}

#[tokio::test]
async fn artifacts_round_trip_as_json_and_raw_files() {
    let app = spawn_app(&[
        ("PASS_MAX_RUN_BODY_BYTES", "65536"),
        ("PASS_MAX_ARTIFACT_BODY_BYTES", "262144"),
    ])
    .await;
    let id = app.new_run().await;

    let pack = json!({"hello": ["world", 1, true]});
    let response = app
        .upload(id, "planner_usage", "application/json", pack.clone())
        .await;
    assert_eq!(response.status(), 201);
    let meta: Value = response.json().await.unwrap();
    assert_eq!(meta["artifact"]["filename"], "planner_usage.json");
    assert_eq!(meta["artifact"]["sha256"].as_str().unwrap().len(), 64);

    let md = "# Summary\n\nAll good.\n";
    let response = app.upload(id, "summary", "text/markdown", json!(md)).await;
    assert_eq!(response.status(), 201);
    // Bigger than the run limit, within the artifact limit.
    let big = "x".repeat(100_000);
    let response = app.upload(id, "notes", "text/plain", json!(big)).await;
    assert_eq!(response.status(), 201);
    let response = app
        .upload(id, "huge", "text/plain", json!("y".repeat(300_000)))
        .await;
    expect_error(response, 413, "payload_too_large").await;

    // On disk: pretty JSON with a trailing newline, text as is.
    let dir = app.runs_dir.join(id.to_string()).join("artifacts");
    let on_disk = fs_err::read_to_string(dir.join("planner_usage.json")).unwrap();
    assert!(
        on_disk.ends_with("}\n") && on_disk.contains("\n  \"hello\""),
        "{on_disk}"
    );
    assert_eq!(fs_err::read_to_string(dir.join("summary.md")).unwrap(), md);
    let index: pass_contracts::ArtifactIndex = read_json_file(&dir.join("index.json"));
    assert_eq!(index.artifacts.len(), 3);

    let got = app.client.get_artifact(id, "planner_usage").await.unwrap();
    assert_eq!(got.payload, pack);
    assert_eq!(got.artifact.content_type, ContentType::Json);
    let got = app.client.get_artifact(id, "summary").await.unwrap();
    assert_eq!(got.payload, json!(md));

    let raw = app
        .send(
            Method::GET,
            &format!("/runs/{id}/artifacts/summary?raw=true"),
            None,
        )
        .await;
    assert_eq!(raw.status(), 200);
    assert!(
        raw.headers()["content-type"]
            .to_str()
            .unwrap()
            .starts_with("text/markdown")
    );
    assert_eq!(raw.text().await.unwrap(), md);
    let raw = app
        .send(
            Method::GET,
            &format!("/runs/{id}/artifacts/planner_usage?raw=true"),
            None,
        )
        .await;
    assert_eq!(raw.headers()["content-type"], "application/json");
    assert_eq!(raw.text().await.unwrap(), on_disk);

    // Replacing keeps one entry.
    let response = app
        .upload(id, "summary", "text/markdown", json!("v2"))
        .await;
    assert_eq!(response.status(), 201);
    let detail = app.client.get_run(id).await.unwrap();
    assert_eq!(detail.artifacts.len(), 3);
    assert_eq!(
        app.client
            .get_artifact(id, "summary")
            .await
            .unwrap()
            .payload,
        json!("v2")
    );

    // Errors.
    for bad in ["Bad", "..", "a..b", "_x", "a/b", "../../etc/passwd"] {
        let response = app.upload(id, bad, "text/plain", json!("x")).await;
        expect_error(response, 400, "bad_request").await;
    }
    let response = app
        .upload(id, "n", "text/plain", json!({"not": "text"}))
        .await;
    let body = expect_error(response, 400, "bad_request").await;
    assert_eq!(body["issues"][0]["path"], "payload");
    let response = app.upload(id, "n", "image/png", json!("x")).await;
    expect_error(response, 400, "bad_request").await;
    // Reads accept any name an earlier tool could have stored, and only
    // compare it with the index: a path-like name finds nothing.
    for path in [
        "/artifacts/..%2F..%2Frun.json",
        "/artifacts/a..b",
        "/artifacts/UPPER",
        "/artifacts/index",
    ] {
        let response = app
            .send(Method::GET, &format!("/runs/{id}{path}"), None)
            .await;
        expect_error(response, 404, "artifact_not_found").await;
    }
    for path in ["/artifacts/%20", "/artifacts/a%01b"] {
        let response = app
            .send(Method::GET, &format!("/runs/{id}{path}"), None)
            .await;
        let body = expect_error(response, 400, "bad_request").await;
        assert_eq!(body["issues"][0]["path"], "name");
    }
    let response = app
        .send(Method::GET, &format!("/runs/{id}/artifacts/missing"), None)
        .await;
    expect_error(response, 404, "artifact_not_found").await;
    let other = uuid::Uuid::new_v4();
    let response = app
        .send(
            Method::POST,
            &format!("/runs/{other}/artifacts"),
            Some(json!({"name": "x", "content_type": "text/plain", "payload": "x"})),
        )
        .await;
    expect_error(response, 404, "run_not_found").await;
    app.stop().await;
}

#[tokio::test]
async fn implementation_state_is_stored_on_the_run() {
    let app = spawn_app(&[]).await;
    let id = app.new_run().await;
    let state: pass_contracts::ImplementationState = serde_json::from_value(json!({
        "synced_at": "2026-02-26T00:00:00.000Z",
        "issues": [{"plan_item_id": "ISSUE-1", "title": "Do it", "issue_number": 12,
                    "issue_url": "https://github.example/acme/app/issues/12", "github_state": "open",
                    "sync_status": "created", "labels": ["pass"], "last_synced_at": "2026-02-26T00:00:00.000Z"}]
    }))
    .unwrap();
    let updated = app
        .client
        .put_implementation_state(id, &state)
        .await
        .unwrap();
    assert_eq!(updated.implementation_state.as_ref(), Some(&state));
    let on_disk: pass_contracts::RunDetail =
        read_json_file(&app.runs_dir.join(id.to_string()).join("run.json"));
    assert_eq!(on_disk.implementation_state, Some(state));
    let response = app
        .send(
            Method::PATCH,
            &format!("/runs/{id}/implementation-state"),
            Some(json!({"issues": []})),
        )
        .await;
    let body = expect_error(response, 400, "bad_request").await;
    assert_message_contains(&body, "synced_at");
    app.stop().await;
}

#[tokio::test]
async fn execution_updates_need_an_execution() {
    let app = spawn_app(&[]).await;
    let id = app.new_run().await;
    let response = app
        .send(
            Method::PATCH,
            &format!("/runs/{id}/execution"),
            Some(json!({"status": "running"})),
        )
        .await;
    expect_error(response, 409, "run_conflict").await;
    let response = app
        .send(
            Method::PATCH,
            &format!("/runs/{id}/execution"),
            Some(json!({"status": "queued"})),
        )
        .await;
    expect_error(response, 400, "bad_request").await;
    app.stop().await;
}

#[tokio::test]
async fn healthz_reports_version_store_and_backend_and_echoes_request_ids() {
    let app = spawn_app(&[]).await;
    app.client.create_run(&run_input(None)).await.unwrap();
    let response = app
        .http
        .get(app.url("/healthz"))
        .header("x-request-id", "req-123")
        .send()
        .await
        .unwrap();
    assert_eq!(response.status(), 200);
    assert_eq!(response.headers()["x-request-id"], "req-123");
    let body: Value = response.json().await.unwrap();
    assert_eq!(body["status"], "ok");
    assert_eq!(body["version"], env!("CARGO_PKG_VERSION"));
    assert_eq!(body["store"]["status"], "ok");
    assert_eq!(body["store"]["runs"], 1);
    assert_eq!(body["execution_backend"], "local");
    assert_eq!(body["limits"]["run_body_bytes"], 1024 * 1024);
    assert_eq!(body["limits"]["artifact_body_bytes"], 10 * 1024 * 1024);
    // A generated id when none is sent.
    let response = app.get_public("/healthz").await;
    assert!(!response.headers()["x-request-id"].is_empty());
    let _ = TOKEN;
    app.stop().await;
}
