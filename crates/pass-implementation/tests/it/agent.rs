//! The agent's conversation with the PASS API, against a small fake of the
//! routes it uses (the real server is exercised by the lead's end-to-end test).

use std::collections::HashMap;
use std::sync::{Arc, Mutex};

use axum::Router;
use axum::body::Bytes;
use axum::extract::State;
use axum::http::{HeaderMap, Method, StatusCode, Uri};
use axum::response::{IntoResponse, Response};
use pass_contracts::api::{ArtifactUpload, ExecutionUpdate};
use pass_contracts::runs::{Execution, ExecutionBackend, SyncStatus, WorkflowName};
use pass_contracts::{
    ArtifactMetadata, ExecutionStatus, ImplementationState, RunDetail, RunInput, Text, Timestamp,
};
use pass_implementation::{
    AgentOptions, ImplementationConfig, ImplementationError, SyncReport, run_agent,
};
use serde_json::{Value, json};

use crate::support::{items, pack_json, run_id, stand_in, temp_dir};

const API_TOKEN: &str = "pass-api-token";

#[derive(Default)]
struct Fake {
    run: Option<RunDetail>,
    artifacts: HashMap<String, (ArtifactMetadata, Value)>,
    log: Vec<(String, String)>,
    executions: Vec<ExecutionStatus>,
    error_messages: Vec<String>,
    /// Requests answered 500: (method, path under the run, matches let through first).
    failing: Vec<(&'static str, &'static str, usize)>,
}

type Shared = Arc<Mutex<Fake>>;

struct FakeApi {
    base: String,
    shared: Shared,
}

impl FakeApi {
    async fn start(pack: Option<Value>) -> Self {
        let mut run = RunDetail::new(
            run_id(),
            RunInput {
                prd_text: Text::new("A shop.").unwrap(),
                org_constraints_yaml: None,
                requested_by: None,
                source: None,
                project_id: None,
                refinement: None,
            },
            Timestamp::now(),
        );
        run.execution = Some(Execution {
            execution_id: None,
            backend: ExecutionBackend::Local,
            workflow_name: WorkflowName::Implementation,
            status: ExecutionStatus::Dispatched,
            github_run_id: None,
            github_run_url: None,
            requested_at: Timestamp::now(),
            started_at: None,
            completed_at: None,
            error_message: None,
            pause_reason: None,
        });
        let mut fake = Fake {
            run: Some(run),
            ..Fake::default()
        };
        if let Some(pack) = pack {
            fake.artifacts.insert(
                "architecture_pack".to_owned(),
                (metadata("architecture_pack", "json"), pack),
            );
        }
        let shared = Arc::new(Mutex::new(fake));
        let listener = tokio::net::TcpListener::bind("127.0.0.1:0").await.unwrap();
        let base = format!("http://{}", listener.local_addr().unwrap());
        let app = Router::new().fallback(handle).with_state(shared.clone());
        tokio::spawn(async move { axum::serve(listener, app).await.unwrap() });
        Self { base, shared }
    }

    fn fail(&self, method: &'static str, path: &'static str, skip: usize) {
        self.shared
            .lock()
            .unwrap()
            .failing
            .push((method, path, skip));
    }

    fn set_execution(&self, workflow_name: WorkflowName, status: ExecutionStatus) {
        let mut fake = self.shared.lock().unwrap();
        let execution = fake.run.as_mut().unwrap().execution.as_mut().unwrap();
        execution.workflow_name = workflow_name;
        execution.status = status;
    }

    fn log(&self) -> Vec<(String, String)> {
        self.shared.lock().unwrap().log.clone()
    }
}

fn metadata(name: &str, extension: &str) -> ArtifactMetadata {
    serde_json::from_value(json!({
        "name": name,
        "filename": format!("{name}.{extension}"),
        "content_type": if extension == "json" { "application/json" } else { "text/markdown" },
        "created_at": Timestamp::now(),
    }))
    .unwrap()
}

fn error(status: StatusCode, code: &str) -> Response {
    (
        status,
        axum::Json(json!({ "error": code, "message": code })),
    )
        .into_response()
}

async fn handle(
    State(shared): State<Shared>,
    method: Method,
    uri: Uri,
    headers: HeaderMap,
    body: Bytes,
) -> Response {
    let mut fake = shared.lock().unwrap();
    fake.log.push((method.to_string(), uri.path().to_owned()));
    if headers.get("authorization").and_then(|h| h.to_str().ok())
        != Some(&format!("Bearer {API_TOKEN}"))
    {
        return error(StatusCode::UNAUTHORIZED, "unauthorized");
    }
    let run_path = format!("/runs/{}", run_id());
    let suffix = uri
        .path()
        .strip_prefix(&run_path)
        .unwrap_or_default()
        .to_owned();
    let failing = fake
        .failing
        .iter_mut()
        .find(|(m, p, _)| *m == method.as_str() && *p == suffix);
    if let Some((_, _, skip)) = failing {
        if *skip == 0 {
            return error(StatusCode::INTERNAL_SERVER_ERROR, "internal");
        }
        *skip -= 1;
    }
    let rest = match uri.path().strip_prefix(&run_path) {
        Some(rest) => rest.to_owned(),
        None => return error(StatusCode::NOT_FOUND, "run_not_found"),
    };
    let Some(mut run) = fake.run.clone() else {
        return error(StatusCode::NOT_FOUND, "run_not_found");
    };
    let response = match (method.as_str(), rest.as_str()) {
        ("GET", "") => {
            let artifacts: Vec<&ArtifactMetadata> =
                fake.artifacts.values().map(|(m, _)| m).collect();
            axum::Json(json!({ "run": run, "artifacts": artifacts })).into_response()
        }
        ("PATCH", "/execution") => {
            let update: ExecutionUpdate = serde_json::from_slice(&body).unwrap();
            let execution = run.execution.as_mut().unwrap();
            let next: ExecutionStatus = update.status.into();
            if !execution.status.can_move_to(next) {
                return error(StatusCode::BAD_REQUEST, "bad_transition");
            }
            execution.status = next;
            fake.executions.push(next);
            if let Some(message) = update.error_message {
                fake.error_messages.push(message.to_string());
            }
            axum::Json(json!({ "run": run })).into_response()
        }
        ("PATCH", "/implementation-state") => {
            let state: ImplementationState = serde_json::from_slice(&body).unwrap();
            run.implementation_state = Some(state);
            axum::Json(json!({ "run": run })).into_response()
        }
        ("POST", "/artifacts") => {
            let upload: ArtifactUpload = serde_json::from_slice(&body).unwrap();
            let extension = if upload.content_type.as_str() == "application/json" {
                "json"
            } else {
                "md"
            };
            let meta = metadata(upload.name.as_str(), extension);
            fake.artifacts
                .insert(upload.name.to_string(), (meta.clone(), upload.payload));
            (StatusCode::CREATED, axum::Json(json!({ "artifact": meta }))).into_response()
        }
        ("GET", name) if name.starts_with("/artifacts/") => {
            match fake.artifacts.get(&name["/artifacts/".len()..]) {
                Some((meta, payload)) => {
                    axum::Json(json!({ "artifact": meta, "payload": payload })).into_response()
                }
                None => error(StatusCode::NOT_FOUND, "artifact_not_found"),
            }
        }
        _ => error(StatusCode::NOT_FOUND, "not_found"),
    };
    fake.run = Some(run);
    response
}

fn config(api: &FakeApi, extra: &[(&str, String)]) -> ImplementationConfig {
    let mut map: HashMap<String, String> = HashMap::from([
        ("PASS_API_BASE_URL".to_owned(), api.base.clone()),
        ("PASS_API_TOKEN".to_owned(), API_TOKEN.to_owned()),
    ]);
    for (k, v) in extra {
        map.insert((*k).to_owned(), v.clone());
    }
    ImplementationConfig::from_lookup(|name| map.get(name).cloned()).unwrap()
}

#[tokio::test]
async fn the_agent_syncs_records_the_state_and_reports_success() {
    let api = FakeApi::start(Some(pack_json(items(3)))).await;
    let dir = temp_dir("agent");
    let config = config(
        &api,
        &[
            ("PASS_ISSUE_TARGET", "local".to_owned()),
            ("PASS_LOCAL_ISSUES_DIR", dir.display().to_string()),
        ],
    );
    assert!(
        config
            .describe_target()
            .contains(&dir.display().to_string())
    );

    let report = run_agent(run_id(), AgentOptions::default(), &config)
        .await
        .unwrap();

    assert_eq!(report.counts.created, 3);
    let fake = api.shared.lock().unwrap();
    assert_eq!(
        fake.executions,
        vec![ExecutionStatus::Running, ExecutionStatus::Succeeded]
    );
    let state = fake
        .run
        .as_ref()
        .unwrap()
        .implementation_state
        .clone()
        .unwrap();
    assert_eq!(state.issues.len(), 3);
    assert!(
        state
            .issues
            .iter()
            .all(|i| i.sync_status == SyncStatus::Created)
    );
    assert_eq!(state.issues[0].issue_url.as_ref().unwrap().scheme(), "file");
    let (_, saved) = &fake.artifacts["implementation_issue_state"];
    assert_eq!(saved["issues"].as_array().unwrap().len(), 3);
    let (_, summary) = &fake.artifacts["implementation_issue_state_summary"];
    let summary = summary.as_str().unwrap();
    assert!(
        summary.contains("| Plan item | Title | Outcome | Issue | State | Note |"),
        "{summary}"
    );
    assert!(
        summary.contains("| item-1 | Build item-1 | created | [#1](file://"),
        "{summary}"
    );
    drop(fake);
    fs_err::remove_dir_all(dir).unwrap();
}

#[tokio::test]
async fn the_agent_reports_failure_when_an_item_fails_and_still_saves_the_state() {
    let github = stand_in().await;
    github.push_fault(pass_testkit::github::Fault::once(
        Method::POST,
        "/repos/acme/shop/issues",
        pass_testkit::github::FaultKind::Validation {
            message: "title is too long".to_owned(),
        },
    ));
    let api = FakeApi::start(Some(pack_json(items(2)))).await;
    let config = config(
        &api,
        &[
            ("GITHUB_API_URL", github.base_url()),
            ("GITHUB_ISSUES_REPOSITORY", "acme/shop".to_owned()),
            ("GITHUB_ISSUES_TOKEN", crate::support::TOKEN.to_owned()),
            ("PASS_GITHUB_WRITE_INTERVAL_MS", "0".to_owned()),
        ],
    );
    assert!(
        config
            .describe_target()
            .contains("github, repository acme/shop")
    );

    let report = run_agent(run_id(), AgentOptions::default(), &config)
        .await
        .unwrap();

    assert!(report.has_failures());
    assert_eq!((report.counts.created, report.counts.failed), (1, 1));
    let fake = api.shared.lock().unwrap();
    assert_eq!(
        fake.executions,
        vec![ExecutionStatus::Running, ExecutionStatus::Failed]
    );
    assert!(
        fake.error_messages[0].contains("1 issue(s) failed"),
        "{:?}",
        fake.error_messages
    );
    assert!(fake.error_messages[0].contains("title is too long"));
    let state = fake
        .run
        .as_ref()
        .unwrap()
        .implementation_state
        .clone()
        .unwrap();
    assert_eq!(state.issues[0].sync_status, SyncStatus::Failed);
    assert!(
        state.issues[0]
            .last_error
            .as_ref()
            .unwrap()
            .contains("title is too long")
    );
    assert_eq!(state.issues[1].sync_status, SyncStatus::Created);
}

#[tokio::test]
async fn a_run_without_a_pack_fails_clearly() {
    let api = FakeApi::start(None).await;
    let dir = temp_dir("agent-nopack");
    let config = config(
        &api,
        &[("PASS_LOCAL_ISSUES_DIR", dir.display().to_string())],
    );
    let error = run_agent(run_id(), AgentOptions::default(), &config)
        .await
        .unwrap_err();
    assert!(
        matches!(error, ImplementationError::MissingPack(_)),
        "{error}"
    );
    assert!(error.to_string().contains("no architecture_pack artifact"));
    let fake = api.shared.lock().unwrap();
    assert_eq!(
        fake.executions,
        vec![ExecutionStatus::Running, ExecutionStatus::Failed]
    );
    fs_err::remove_dir_all(dir).unwrap();
}

#[tokio::test]
async fn an_invalid_pack_is_refused_with_its_problems() {
    let mut pack = pack_json(items(2));
    pack["implementation"]["github_issue_plan"][0]["depends_on"] = json!(["nowhere"]);
    let api = FakeApi::start(Some(pack)).await;
    let dir = temp_dir("agent-invalid");
    let config = config(
        &api,
        &[("PASS_LOCAL_ISSUES_DIR", dir.display().to_string())],
    );
    let error = run_agent(run_id(), AgentOptions::default(), &config)
        .await
        .unwrap_err();
    let text = error.to_string();
    assert!(
        text.contains("implementation.github_issue_plan[0].depends_on[0]"),
        "{text}"
    );
    assert!(!dir.join("issue-1.md").exists());
    fs_err::remove_dir_all(dir).unwrap();
}

#[tokio::test]
async fn an_agent_dry_run_only_reads() {
    let api = FakeApi::start(Some(pack_json(items(2)))).await;
    let dir = temp_dir("agent-dry");
    let config = config(
        &api,
        &[(
            "PASS_LOCAL_ISSUES_DIR",
            dir.join("issues").display().to_string(),
        )],
    );
    let options = AgentOptions {
        dry_run: true,
        json: true,
        force: false,
    };
    let report = run_agent(run_id(), options, &config).await.unwrap();
    assert!(report.dry_run);
    assert_eq!(report.counts.created, 2);
    assert!(
        api.log().iter().all(|(method, _)| method == "GET"),
        "{:?}",
        api.log()
    );
    assert!(!dir.join("issues").exists());
    fs_err::remove_dir_all(dir).unwrap();
}

#[tokio::test]
async fn a_missing_api_base_url_is_named() {
    let config = ImplementationConfig::from_lookup(|_| None).unwrap();
    let error = run_agent(run_id(), AgentOptions::default(), &config)
        .await
        .unwrap_err();
    assert!(error.to_string().contains("PASS_API_BASE_URL"), "{error}");
}

#[tokio::test]
async fn the_binary_prints_the_target_and_the_dry_run_diff_as_json() {
    let api = FakeApi::start(Some(pack_json(items(2)))).await;
    let dir = temp_dir("binary");
    let output = tokio::process::Command::new(env!("CARGO_BIN_EXE_implementation"))
        .arg(format!("--run-id={}", run_id()))
        .args(["--dry-run", "--json"])
        .env_clear()
        .env("PASS_API_BASE_URL", &api.base)
        .env("PASS_API_TOKEN", API_TOKEN)
        .env("PASS_LOCAL_ISSUES_DIR", &dir)
        .current_dir(&dir)
        .output()
        .await
        .unwrap();
    let stderr = String::from_utf8_lossy(&output.stderr);
    assert!(output.status.success(), "{stderr}");
    assert!(stderr.contains("issue target: local"), "{stderr}");
    let json: Value = serde_json::from_slice(&output.stdout).unwrap();
    assert_eq!(json["dry_run"], true);
    assert_eq!(json["items"][0]["action"], "create");
    assert_eq!(json["counts"]["created"], 2);
    assert!(api.log().iter().all(|(method, _)| method == "GET"));

    let output = tokio::process::Command::new(env!("CARGO_BIN_EXE_implementation"))
        .args(["--run-id", &run_id().to_string()])
        .env_clear()
        .env("PASS_API_BASE_URL", &api.base)
        .env("PASS_API_TOKEN", API_TOKEN)
        .env("PASS_LOCAL_ISSUES_DIR", &dir)
        .current_dir(&dir)
        .output()
        .await
        .unwrap();
    assert!(
        output.status.success(),
        "{}",
        String::from_utf8_lossy(&output.stderr)
    );
    let stdout = String::from_utf8_lossy(&output.stdout);
    assert!(stdout.contains("created 2, updated 0"), "{stdout}");
    assert!(dir.join("issue-2.md").exists());
    fs_err::remove_dir_all(dir).unwrap();
}

#[tokio::test]
async fn the_binary_reads_dotenv_and_logs_json_lines_when_asked() {
    let api = FakeApi::start(Some(pack_json(items(1)))).await;
    let dir = temp_dir("binary-env");
    // The token comes from .env only, as for pass and planner.
    fs_err::write(dir.join(".env"), format!("PASS_API_TOKEN={API_TOKEN}\n")).unwrap();
    let output = tokio::process::Command::new(env!("CARGO_BIN_EXE_implementation"))
        .args(["--run-id", &run_id().to_string(), "--dry-run"])
        .env_clear()
        .env("PASS_API_BASE_URL", &api.base)
        .env("PASS_LOCAL_ISSUES_DIR", &dir)
        .env("PASS_LOG_FORMAT", "json")
        .env("RUST_LOG", "debug")
        .current_dir(&dir)
        .output()
        .await
        .unwrap();
    let stderr = String::from_utf8_lossy(&output.stderr);
    assert!(output.status.success(), "{stderr}");
    assert!(
        !stderr.contains('\u{1b}'),
        "no colour off a terminal: {stderr}"
    );
    let logs: Vec<Value> = stderr
        .lines()
        .filter(|line| line.starts_with('{'))
        .map(|line| serde_json::from_str(line).unwrap())
        .collect();
    assert!(!logs.is_empty(), "no JSON log line in:\n{stderr}");
    assert!(logs.iter().all(|l| l["level"].is_string()), "{logs:?}");
    fs_err::remove_dir_all(dir).unwrap();
}

async fn local_agent(
    api: &FakeApi,
    tag: &str,
) -> (Result<SyncReport, ImplementationError>, std::path::PathBuf) {
    let dir = temp_dir(tag);
    let config = config(
        api,
        &[
            ("PASS_ISSUE_TARGET", "local".to_owned()),
            ("PASS_LOCAL_ISSUES_DIR", dir.display().to_string()),
        ],
    );
    (
        run_agent(run_id(), AgentOptions::default(), &config).await,
        dir,
    )
}

#[tokio::test]
async fn a_failed_state_save_after_the_sync_is_reported_on_the_execution() {
    let api = FakeApi::start(Some(pack_json(items(2)))).await;
    api.fail("PATCH", "/implementation-state", 0);
    let (outcome, dir) = local_agent(&api, "agent-state-fails").await;
    let error = outcome.unwrap_err();
    assert!(
        error
            .to_string()
            .contains("saving the implementation state"),
        "{error}"
    );
    let fake = api.shared.lock().unwrap();
    assert_eq!(
        fake.executions,
        vec![ExecutionStatus::Running, ExecutionStatus::Failed]
    );
    assert!(
        fake.error_messages[0].contains("saving the implementation state"),
        "{:?}",
        fake.error_messages
    );
    drop(fake);
    fs_err::remove_dir_all(dir).unwrap();
}

#[tokio::test]
async fn a_failed_artifact_upload_is_reported_naming_the_artifact() {
    let api = FakeApi::start(Some(pack_json(items(2)))).await;
    // The first upload (the state) goes through, the summary fails.
    api.fail("POST", "/artifacts", 1);
    let (outcome, dir) = local_agent(&api, "agent-upload-fails").await;
    let error = outcome.unwrap_err();
    let fake = api.shared.lock().unwrap();
    assert_eq!(
        fake.executions,
        vec![ExecutionStatus::Running, ExecutionStatus::Failed]
    );
    assert!(
        fake.error_messages[0].contains("implementation_issue_state_summary"),
        "{:?}",
        fake.error_messages
    );
    assert_eq!(fake.error_messages[0], error.to_string());
    drop(fake);
    fs_err::remove_dir_all(dir).unwrap();
}

#[tokio::test]
async fn when_reporting_the_failure_fails_too_the_original_error_is_returned() {
    let api = FakeApi::start(Some(pack_json(items(2)))).await;
    api.fail("PATCH", "/implementation-state", 0);
    api.fail("PATCH", "/execution", 1);
    let (outcome, dir) = local_agent(&api, "agent-report-fails").await;
    let error = outcome.unwrap_err();
    assert!(
        error
            .to_string()
            .contains("saving the implementation state"),
        "{error}"
    );
    let fake = api.shared.lock().unwrap();
    assert_eq!(fake.executions, vec![ExecutionStatus::Running]);
    let patches = fake
        .log
        .iter()
        .filter(|(m, p)| m == "PATCH" && p.ends_with("/execution"))
        .count();
    assert_eq!(patches, 2, "running, then the failed report that failed");
    drop(fake);
    fs_err::remove_dir_all(dir).unwrap();
}

#[tokio::test]
async fn another_workflow_s_execution_is_not_claimed() {
    for status in [ExecutionStatus::Dispatched, ExecutionStatus::Running] {
        let api = FakeApi::start(Some(pack_json(items(2)))).await;
        api.set_execution(WorkflowName::Planner, status);
        let (outcome, dir) = local_agent(&api, "agent-other-workflow").await;
        let report = outcome.unwrap();
        assert_eq!(report.counts.created, 2);
        assert!(
            report
                .notices
                .iter()
                .any(|n| n.contains("phase1-planner") && n.contains("without reporting")),
            "{:?}",
            report.notices
        );
        let fake = api.shared.lock().unwrap();
        assert_eq!(
            fake.executions,
            vec![],
            "the planner's execution is untouched"
        );
        assert_eq!(
            fake.run
                .as_ref()
                .unwrap()
                .execution
                .as_ref()
                .unwrap()
                .status,
            status
        );
        assert!(fake.run.as_ref().unwrap().implementation_state.is_some());
        drop(fake);
        fs_err::remove_dir_all(dir).unwrap();
    }
}
