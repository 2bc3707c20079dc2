//! The local backend with small stand-in agents: shell scripts that call back
//! with curl, as the real agents do with pass-client.

use std::os::unix::fs::PermissionsExt;
use std::path::Path;
use std::time::Duration;

use pass_contracts::{Execution, ExecutionBackend, ExecutionStatus, WorkflowName};
use reqwest::Method;
use uuid::Uuid;

use crate::support::{
    TempDir, TestApp, assert_message_contains, expect_error, spawn_app, spawn_app_in,
};

const CALLBACK: &str = r#"
call() { curl -sS -f -X "$1" -H "Authorization: Bearer $PASS_API_TOKEN" -H 'Content-Type: application/json' -d "$3" "$PASS_API_BASE_URL/runs/$RUN_ID$2" > /dev/null || exit 9; }
"#;

fn write_agent(dir: &Path, name: &str, body: &str) {
    let path = dir.join(name);
    fs_err::write(
        &path,
        format!("#!/bin/sh\nset -u\nRUN_ID=\"$2\"\n{CALLBACK}\n{body}\n"),
    )
    .unwrap();
    fs_err::set_permissions(&path, std::fs::Permissions::from_mode(0o755)).unwrap();
}

fn agents(delay: &str) -> TempDir {
    let dir = TempDir::new("agents");
    write_agent(
        dir.path(),
        "planner",
        &format!(
            r#"echo "planner starting for $RUN_ID with $1"
call PATCH /execution '{{"status":"running"}}'
sleep {delay}
call POST /artifacts '{{"name":"architecture_pack","content_type":"application/json","payload":{{"ok":true}}}}'
call PATCH /execution '{{"status":"succeeded"}}'
echo "planner done""#
        ),
    );
    write_agent(
        dir.path(),
        "implementation",
        r#"call PATCH /execution '{"status":"running"}'
echo "implementation crashed: boom" >&2
exit 3"#,
    );
    std::thread::sleep(Duration::from_millis(50));
    dir
}

async fn wait_for(app: &TestApp, id: Uuid, status: ExecutionStatus) -> Execution {
    app.wait_for_execution(id, &format!("reaching {status:?}"), |e| e.status == status)
        .await
}

#[tokio::test]
async fn planner_runs_as_a_child_and_a_silent_exit_fails_the_execution() {
    let bin = agents("0");
    let app = spawn_app(&[("PASS_AGENT_BIN_DIR", bin.path().to_str().unwrap())]).await;
    let id = app.new_run().await;

    let response = app
        .send(
            Method::POST,
            &format!("/runs/{id}/dispatch/phase2-implementation"),
            None,
        )
        .await;
    let body = expect_error(response, 409, "run_conflict").await;
    assert_message_contains(&body, "architecture_pack");

    let response = app
        .send(Method::POST, &format!("/runs/{id}/dispatch"), None)
        .await;
    assert_eq!(response.status(), 200);
    let body: serde_json::Value = response.json().await.unwrap();
    assert_eq!(body["run_id"], id.to_string());
    assert_eq!(body["execution"]["backend"], "local");
    assert_eq!(body["execution"]["workflow_name"], "phase1-planner");
    assert_eq!(body["execution"]["status"], "dispatched");

    let execution = wait_for(&app, id, ExecutionStatus::Succeeded).await;
    assert!(execution.started_at.is_some() && execution.completed_at.is_some());
    assert!(execution.error_message.is_none());
    let logs: Vec<_> = fs_err::read_dir(app.runs_dir.join(id.to_string()).join("logs"))
        .unwrap()
        .map(|e| e.unwrap().path())
        .collect();
    assert_eq!(logs.len(), 1);
    let log = fs_err::read_to_string(&logs[0]).unwrap();
    assert!(
        log.contains(&format!("planner starting for {id} with --run-id")),
        "{log}"
    );
    assert!(!log.contains(crate::support::TOKEN));

    // Now the pack exists: the implementation agent dies without reporting.
    let dispatched = app.dispatch(id, WorkflowName::Implementation).await;
    assert_eq!(
        dispatched.execution.workflow_name,
        WorkflowName::Implementation
    );
    let message = wait_for(&app, id, ExecutionStatus::Failed)
        .await
        .error_message
        .unwrap();
    assert!(message.contains("exit status: 3"), "{message}");
    assert!(message.contains("boom"), "{message}");
    app.stop().await;
}

#[tokio::test]
async fn a_killed_planner_leaves_its_run_failed() {
    let bin = TempDir::new("agents");
    write_agent(
        bin.path(),
        "planner",
        r#"call PATCH '' '{"status":"parsed","current_step":"parse"}'
call PATCH /execution '{"status":"running"}'
kill -9 $$"#,
    );
    let app = spawn_app(&[("PASS_AGENT_BIN_DIR", bin.path().to_str().unwrap())]).await;
    let id = app.new_run().await;
    app.dispatch(id, WorkflowName::Planner).await;
    let execution = wait_for(&app, id, ExecutionStatus::Failed).await;
    let message = execution.error_message.unwrap();
    assert!(message.contains("signal: 9"), "{message}");
    let run = app.client.get_run(id).await.unwrap().run;
    assert_eq!(run.status, pass_contracts::RunStatus::Failed);
    assert_eq!(run.current_step, pass_contracts::RunStep::Parse);
    let listed = app.client.list_runs(None, None).await.unwrap();
    assert_eq!(listed.runs[0].status, pass_contracts::RunStatus::Failed);
    app.stop().await;
}

#[tokio::test]
async fn dispatches_beyond_the_concurrency_limit_queue_and_run_later() {
    let bin = agents("0.6");
    let app = spawn_app(&[
        ("PASS_AGENT_BIN_DIR", bin.path().to_str().unwrap()),
        ("PASS_LOCAL_MAX_CONCURRENCY", "1"),
    ])
    .await;
    let first = app.new_run().await;
    let second = app.new_run().await;
    let a = app.dispatch(first, WorkflowName::Planner).await;
    let b = app.dispatch(second, WorkflowName::Planner).await;
    assert_eq!(a.execution.status, ExecutionStatus::Dispatched);
    assert_eq!(b.execution.status, ExecutionStatus::Queued);
    assert_eq!(b.execution.backend, ExecutionBackend::Local);
    // An open execution refuses another dispatch.
    app.dispatch_error(second, 409, "run_conflict").await;

    let done_first = wait_for(&app, first, ExecutionStatus::Succeeded).await;
    let done_second = wait_for(&app, second, ExecutionStatus::Succeeded).await;
    assert_eq!(
        done_second.execution_id, b.execution.execution_id,
        "a queued execution keeps the id its dispatch answered when it starts"
    );
    assert!(b.execution.execution_id.is_some());
    let first_end = done_first.completed_at.unwrap();
    let second_start = done_second.started_at.unwrap();
    assert!(
        second_start >= first_end,
        "queued agent started before a slot was free"
    );
    // A final execution allows a new dispatch. The second agent may still be
    // exiting after its last report and hold the only slot, so the new one
    // may wait in the queue for a moment.
    let again = app.dispatch(first, WorkflowName::Planner).await;
    assert!(
        matches!(
            again.execution.status,
            ExecutionStatus::Dispatched | ExecutionStatus::Queued
        ),
        "{again:?}"
    );
    app.wait_for_execution(first, "the new execution succeeding", |e| {
        e.requested_at == again.execution.requested_at && e.status == ExecutionStatus::Succeeded
    })
    .await;
    app.stop().await;
}

#[tokio::test]
async fn a_missing_agent_binary_is_a_502_and_a_failed_execution() {
    let app = spawn_app(&[]).await;
    let id = app.new_run().await;
    let body = app.dispatch_error(id, 502, "dispatch_failed").await;
    assert_message_contains(&body, "planner");
    let execution = app.execution(id).await;
    assert_eq!(execution.status, ExecutionStatus::Failed);
    assert!(execution.error_message.is_some());
    let response = app
        .send(Method::POST, &format!("/runs/{id}/dispatch/phase3"), None)
        .await;
    expect_error(response, 400, "bad_request").await;
    app.stop().await;
}

#[tokio::test]
async fn a_run_without_input_cannot_be_dispatched() {
    let dir = TempDir::new("no-input");
    let id = Uuid::new_v4();
    fs_err::create_dir_all(dir.path().join(id.to_string())).unwrap();
    fs_err::write(
        dir.path().join(id.to_string()).join("run.json"),
        serde_json::json!({
            "run_id": id, "created_at": "2026-02-26T00:00:00.000Z", "status": "created",
            "current_step": "created", "last_updated_at": "2026-02-26T00:00:00.000Z"
        })
        .to_string(),
    )
    .unwrap();
    let app = spawn_app_in(dir.path(), &[]).await;
    app.dispatch_error(id, 409, "run_conflict").await;
    app.stop().await;
}
