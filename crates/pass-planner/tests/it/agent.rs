//! `run_agent` against a small recording fake of the PASS API (the real
//! server's end-to-end test belongs to the `pass` crate): the callback
//! sequence, failure reporting, and keeping the original error when the
//! failure report itself fails.

use std::net::SocketAddr;
use std::sync::{Arc, Mutex};

use axum::Router;
use axum::extract::{Path, State};
use axum::http::{HeaderMap, StatusCode};
use axum::response::{IntoResponse, Response};
use axum::routing::{get, patch, post};
use pass_contracts::{RunDetail, RunInput, Text, Timestamp};
use pass_planner::{PlannerError, run_agent};
use serde_json::{Value, json};
use uuid::Uuid;

use crate::anthropic::stand_in_for;
use crate::support::{config, prd};

#[derive(Clone)]
struct Fake {
    run: Arc<Mutex<RunDetail>>,
    calls: Arc<Mutex<Vec<(String, Value)>>>,
    fail_reports: bool,
}

impl Fake {
    fn record(&self, what: String, body: Value) {
        self.calls.lock().unwrap().push((what, body));
    }
}

fn authorized(headers: &HeaderMap) -> bool {
    headers.get("authorization").and_then(|v| v.to_str().ok()) == Some("Bearer agent-token")
}

fn unauthorized() -> Response {
    (
        StatusCode::UNAUTHORIZED,
        axum::Json(json!({"error": "unauthorized", "message": "bad token"})),
    )
        .into_response()
}

async fn get_run(State(fake): State<Fake>, headers: HeaderMap, Path(_id): Path<Uuid>) -> Response {
    if !authorized(&headers) {
        return unauthorized();
    }
    fake.record("GET run".to_owned(), Value::Null);
    let run = fake.run.lock().unwrap().clone();
    axum::Json(json!({"run": run, "artifacts": []})).into_response()
}

async fn patch_run(
    State(fake): State<Fake>,
    headers: HeaderMap,
    Path(_id): Path<Uuid>,
    axum::Json(body): axum::Json<Value>,
) -> Response {
    record_patch(&fake, &headers, "PATCH run", body)
}

async fn patch_execution(
    State(fake): State<Fake>,
    headers: HeaderMap,
    Path(_id): Path<Uuid>,
    axum::Json(body): axum::Json<Value>,
) -> Response {
    record_patch(&fake, &headers, "PATCH execution", body)
}

/// Both PATCH routes record the body, fail a "failed" report when told to,
/// and answer with the run.
fn record_patch(fake: &Fake, headers: &HeaderMap, what: &str, body: Value) -> Response {
    if !authorized(headers) {
        return unauthorized();
    }
    fake.record(what.to_owned(), body.clone());
    if fake.fail_reports && body["status"] == "failed" {
        return (
            StatusCode::INTERNAL_SERVER_ERROR,
            axum::Json(json!({"error": "internal_error", "message": "disk full"})),
        )
            .into_response();
    }
    let run = fake.run.lock().unwrap().clone();
    axum::Json(json!({"run": run})).into_response()
}

async fn post_artifact(
    State(fake): State<Fake>,
    headers: HeaderMap,
    Path(_id): Path<Uuid>,
    axum::Json(body): axum::Json<Value>,
) -> Response {
    if !authorized(&headers) {
        return unauthorized();
    }
    fake.record("POST artifact".to_owned(), body.clone());
    let name = body["name"].as_str().unwrap_or_default().to_owned();
    let extension = match body["content_type"].as_str() {
        Some("application/json") => "json",
        Some("text/markdown") => "md",
        _ => "txt",
    };
    let artifact = json!({
        "name": name, "filename": format!("{name}.{extension}"),
        "content_type": body["content_type"], "created_at": Timestamp::now()
    });
    (
        StatusCode::CREATED,
        axum::Json(json!({"artifact": artifact})),
    )
        .into_response()
}

async fn start_fake(
    prd_text: &str,
    org: Option<&str>,
    fail_reports: bool,
) -> (SocketAddr, Fake, Uuid) {
    let run_id = Uuid::new_v4();
    let input = RunInput {
        project_id: None,
        refinement: None,
        prd_text: Text::new(prd_text).unwrap(),
        org_constraints_yaml: org.map(|o| Text::new(o).unwrap()),
        requested_by: None,
        source: None,
    };
    let fake = Fake {
        run: Arc::new(Mutex::new(RunDetail::new(run_id, input, Timestamp::now()))),
        calls: Arc::new(Mutex::new(Vec::new())),
        fail_reports,
    };
    let app = Router::new()
        .route("/runs/{id}", get(get_run).patch(patch_run))
        .route("/runs/{id}/execution", patch(patch_execution))
        .route("/runs/{id}/artifacts", post(post_artifact))
        .with_state(fake.clone());
    let listener = tokio::net::TcpListener::bind("127.0.0.1:0").await.unwrap();
    let addr = listener.local_addr().unwrap();
    tokio::spawn(async move { axum::serve(listener, app).await.unwrap() });
    (addr, fake, run_id)
}

fn sequence(fake: &Fake) -> Vec<String> {
    fake.calls
        .lock()
        .unwrap()
        .iter()
        .map(|(what, body)| match what.as_str() {
            "PATCH run" => format!(
                "run {} {}",
                body["status"].as_str().unwrap_or("-"),
                body["current_step"].as_str().unwrap_or("-")
            ),
            "PATCH execution" => format!("execution {}", body["status"].as_str().unwrap_or("-")),
            "POST artifact" => format!(
                "artifact {} {}",
                body["name"].as_str().unwrap_or("-"),
                body["content_type"].as_str().unwrap_or("-")
            ),
            other => other.to_owned(),
        })
        .collect()
}

#[tokio::test]
async fn a_run_is_planned_and_reported_step_by_step() {
    let (addr, fake, run_id) = start_fake(
        &prd("shelf-board-tagged.txt"),
        Some("strictness: prefer\n"),
        false,
    )
    .await;
    let base = format!("http://{addr}");
    let config = config(&[
        ("PASS_API_BASE_URL", base.as_str()),
        ("PASS_API_TOKEN", "agent-token"),
        ("GITHUB_RUN_ID", "4242"),
        ("GITHUB_SERVER_URL", "https://github.com"),
        ("GITHUB_REPOSITORY", "acme/pass"),
    ]);
    run_agent(run_id, &config).await.unwrap();
    assert_eq!(
        sequence(&fake),
        [
            "GET run",
            "execution running",
            "run parsed parse",
            "run plan_generated plan",
            "artifact architecture_pack application/json",
            "artifact architecture_pack_summary text/markdown",
            "artifact architecture_pack_diagram text/plain",
            "artifact architecture_pack_diagram.mmd text/plain",
            "artifact planner_usage application/json",
            "run exported export",
            "execution succeeded",
        ]
    );
    let calls = fake.calls.lock().unwrap().clone();
    assert_eq!(calls[1].1["github_run_id"], 4242);
    assert_eq!(
        calls[1].1["github_run_url"],
        "https://github.com/acme/pass/actions/runs/4242"
    );
    let pack = pass_contracts::validate_pack_value(&calls[4].1["payload"]).unwrap();
    assert_eq!(pack.run_id, run_id);
    assert!(
        calls[6].1["payload"]
            .as_str()
            .unwrap()
            .starts_with("flowchart LR")
    );
}

#[tokio::test]
async fn a_failure_is_reported_with_what_and_where() {
    let text = prd("grocery-tiny.txt");
    let (addr, fake, run_id) = start_fake(&text, None, false).await;
    let model = stand_in_for(&text, None).await;
    let base = format!("http://{addr}");
    let model_base = model.base_url();
    let config = config(&[
        ("PASS_API_BASE_URL", base.as_str()),
        ("PASS_API_TOKEN", "agent-token"),
        ("ANTHROPIC_API_KEY", "sk-ant-revoked"),
        ("ANTHROPIC_BASE_URL", model_base.as_str()),
    ]);
    let err = run_agent(run_id, &config).await.unwrap_err();
    assert!(matches!(err, PlannerError::Model { .. }), "{err}");
    assert_eq!(
        sequence(&fake),
        [
            "GET run",
            "execution running",
            "run parsed parse",
            "run failed -",
            "execution failed"
        ]
    );
    let calls = fake.calls.lock().unwrap().clone();
    let message = calls[4].1["error_message"].as_str().unwrap();
    assert!(
        message.contains("section `core` (anthropic): Anthropic rejected ANTHROPIC_API_KEY (401)"),
        "{message}"
    );
    assert!(!message.contains("sk-ant-revoked"));
}

#[tokio::test]
async fn bad_org_constraints_fail_the_run_and_reporting_errors_keep_the_original() {
    let (addr, fake, run_id) = start_fake(
        &prd("grocery-tiny.txt"),
        Some("stack:\n  language: cobol\n"),
        true,
    )
    .await;
    let base = format!("http://{addr}");
    let cfg = config(&[
        ("PASS_API_BASE_URL", base.as_str()),
        ("PASS_API_TOKEN", "agent-token"),
    ]);
    let err = run_agent(run_id, &cfg).await.unwrap_err();
    assert!(matches!(err, PlannerError::OrgConstraints(_)), "{err}");
    assert!(err.to_string().contains("stack.language"), "{err}");
    let seq = sequence(&fake);
    assert_eq!(seq[0], "GET run");
    assert!(seq.contains(&"run failed -".to_owned()), "{seq:?}");
    assert!(seq.iter().any(|s| s == "execution failed"), "{seq:?}");
    assert!(!seq.iter().any(|s| s == "execution running"), "{seq:?}");

    let cfg = config(&[
        ("PASS_API_BASE_URL", base.as_str()),
        ("PASS_API_TOKEN", "wrong"),
    ]);
    let err = run_agent(run_id, &cfg).await.unwrap_err();
    assert!(err.to_string().contains("reading the run"), "{err}");
    assert!(err.to_string().contains("401"), "{err}");
}

#[tokio::test]
async fn an_agent_that_cannot_start_still_fails_its_run() {
    let (addr, fake, run_id) = start_fake(&prd("grocery-tiny.txt"), None, false).await;
    let base = format!("http://{addr}");
    let env = [
        ("PASS_API_BASE_URL", base.as_str()),
        ("PASS_API_TOKEN", "agent-token"),
        ("PASS_LLM_PROVIDER", "anthropic"),
    ];
    let lookup = |name: &str| {
        env.iter()
            .find(|(k, _)| *k == name)
            .map(|(_, v)| (*v).to_owned())
    };
    let error = pass_planner::PlannerConfig::from_lookup(lookup).unwrap_err();
    let endpoint = pass_planner::agent::ApiEndpoint::from_lookup(lookup);
    pass_planner::agent::report_startup_failure(run_id, &endpoint, &error)
        .await
        .unwrap();
    assert_eq!(sequence(&fake), ["run failed -", "execution failed"]);
    let calls = fake.calls.lock().unwrap().clone();
    let message = calls[1].1["error_message"].as_str().unwrap();
    assert!(
        message.contains("configuration ANTHROPIC_API_KEY"),
        "{message}"
    );
}
