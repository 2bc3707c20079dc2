//! The GitHub Actions backend against the loopback stand-in: the dispatch
//! request, run details, fallbacks, GitHub's errors, and the watchdog.

use std::time::Duration;

use pass_contracts::api::{ExecutionUpdate, ReportedExecutionStatus};
use pass_contracts::{ExecutionBackend, ExecutionStatus, WorkflowName};
use pass_server::dispatch::github_actions::PASS_VERSION_INPUT;
use pass_testkit::github_actions::{DispatchMode, GithubActionsStandIn};
use reqwest::Method;
use serde_json::json;

use crate::support::{
    TempDir, TestApp, assert_message_contains, expect_error, spawn_app, spawn_app_in,
};

const GH_TOKEN: &str = "gh-token-91c";

/// The env of the GitHub Actions backend pointed at the stand-in.
fn workflow_vars(standin: &GithubActionsStandIn) -> Vec<(&'static str, &str)> {
    vec![
        ("GITHUB_WORKFLOW_REPOSITORY", "acme/flows"),
        ("PASS_GITHUB_WORKFLOW_TOKEN", GH_TOKEN),
        ("GITHUB_API_URL", standin.base_url.as_str()),
        ("PASS_WATCHDOG_INTERVAL_MS", "40"),
    ]
}

async fn github_app(standin: &GithubActionsStandIn, extra: &[(&str, &str)]) -> TestApp {
    let mut vars = workflow_vars(standin);
    vars.push(("GITHUB_WORKFLOW_REF", "release"));
    vars.extend_from_slice(extra);
    spawn_app(&vars).await
}

async fn standin() -> GithubActionsStandIn {
    GithubActionsStandIn::start(
        GH_TOKEN,
        &["phase1-planner.yml", "phase2-implementation.yml"],
    )
    .await
    .unwrap()
}

fn report(status: ReportedExecutionStatus) -> ExecutionUpdate {
    ExecutionUpdate {
        execution_id: None,
        status,
        github_run_id: None,
        github_run_url: None,
        error_message: None,
    }
}

#[tokio::test]
async fn dispatch_records_the_request_and_run_details_and_the_agent_reports_back() {
    let gh = standin().await;
    let app = github_app(&gh, &[]).await;
    let health = app.get_public_json("/healthz").await;
    assert_eq!(health["execution_backend"], "github_actions");

    let id = app.new_run().await;
    let dispatched = app.dispatch(id, WorkflowName::Planner).await;
    let execution = dispatched.execution;
    assert_eq!(execution.backend, ExecutionBackend::GithubActions);
    assert_eq!(execution.status, ExecutionStatus::Dispatched);
    let run_id = gh.run_ids()[0];
    assert_eq!(execution.github_run_id.map(|n| n.get()), Some(run_id));
    assert_eq!(
        execution.github_run_url.unwrap().as_str(),
        format!("{}/acme/flows/actions/runs/{run_id}", gh.base_url)
    );

    let requests = gh.dispatches();
    assert_eq!(requests.len(), 1);
    let request = &requests[0];
    assert_eq!(
        request.path,
        "/repos/acme/flows/actions/workflows/phase1-planner.yml/dispatches"
    );
    assert_eq!(
        request.authorization.as_deref(),
        Some(format!("Bearer {GH_TOKEN}").as_str())
    );
    let body = request.body.as_ref().unwrap();
    assert_eq!(body["ref"], "release");
    assert_eq!(body["return_run_details"], true);
    assert_eq!(body["inputs"]["run_id"], id.to_string());
    assert_eq!(body["inputs"]["api_base_url"], app.base);

    // The agent's callbacks, with the contract's moves.
    let run = app
        .client
        .update_execution(id, &report(ReportedExecutionStatus::Running))
        .await
        .unwrap();
    let started = run.execution.unwrap().started_at.unwrap();
    let run = app
        .client
        .update_execution(id, &report(ReportedExecutionStatus::Running))
        .await
        .unwrap();
    assert_eq!(
        run.execution.unwrap().started_at,
        Some(started),
        "a repeated report changes nothing"
    );
    let run = app
        .client
        .update_execution(id, &report(ReportedExecutionStatus::Succeeded))
        .await
        .unwrap();
    let execution = run.execution.unwrap();
    assert_eq!(execution.status, ExecutionStatus::Succeeded);
    assert!(execution.completed_at.is_some());
    let response = app
        .send(
            Method::PATCH,
            &format!("/runs/{id}/execution"),
            Some(json!({"status": "failed", "error_message": "late"})),
        )
        .await;
    expect_error(response, 400, "bad_transition").await;

    // The watchdog: the workflow ends without the agent reporting.
    let second = app.dispatch(id, WorkflowName::Planner).await;
    let workflow_run = second.execution.github_run_id.unwrap().get();
    gh.start_run(workflow_run);
    tokio::time::sleep(Duration::from_millis(150)).await;
    assert_eq!(app.execution(id).await.status, ExecutionStatus::Dispatched);
    gh.complete_run(workflow_run, "failure");
    let execution = app
        .wait_for_execution(id, "the watchdog failing the execution", |e| {
            e.status == ExecutionStatus::Failed
        })
        .await;
    let message = execution.error_message.unwrap();
    assert!(
        message.contains("failure") && message.contains(&workflow_run.to_string()),
        "{message}"
    );
    assert!(
        gh.requests()
            .iter()
            .any(|r| r.path.ends_with(&format!("/actions/runs/{workflow_run}")))
    );
    app.stop().await;
}

#[tokio::test]
async fn servers_without_run_details_are_handled_and_the_public_url_is_sent() {
    let gh = standin().await;
    gh.set_mode(DispatchMode::RejectReturnRunDetails);
    let app = github_app(
        &gh,
        &[("PASS_API_PUBLIC_BASE_URL", "https://pass.example.test")],
    )
    .await;
    let id = app.new_run().await;
    let dispatched = app.dispatch(id, WorkflowName::Planner).await;
    assert_eq!(dispatched.execution.status, ExecutionStatus::Dispatched);
    assert!(dispatched.execution.github_run_id.is_none());
    let requests = gh.dispatches();
    assert_eq!(requests.len(), 2, "one rejected try, one plain retry");
    assert_eq!(
        requests[0].body.as_ref().unwrap()["return_run_details"],
        true
    );
    assert!(
        requests[1]
            .body
            .as_ref()
            .unwrap()
            .get("return_run_details")
            .is_none()
    );
    assert_eq!(
        requests[1].body.as_ref().unwrap()["inputs"]["api_base_url"],
        "https://pass.example.test"
    );

    // 204 servers: accepted once, no details.
    app.client
        .update_execution(id, &report(ReportedExecutionStatus::Failed))
        .await
        .unwrap();
    gh.set_mode(DispatchMode::NoContent);
    let again = app.dispatch(id, WorkflowName::Planner).await;
    assert_eq!(again.execution.status, ExecutionStatus::Dispatched);
    assert!(again.execution.github_run_id.is_none());
    assert_eq!(gh.dispatches().len(), 3);
    app.stop().await;
}

#[tokio::test]
async fn github_errors_come_back_in_the_502_and_the_execution() {
    let gh = standin().await;
    gh.set_mode(DispatchMode::Fail {
        status: 422,
        message: "No ref found for: release".to_owned(),
    });
    let app = github_app(&gh, &[]).await;
    let id = app.new_run().await;
    let body = app.dispatch_error(id, 502, "dispatch_failed").await;
    let message = body["message"].as_str().unwrap();
    assert!(message.contains("No ref found for: release"), "{message}");
    assert!(!message.contains(GH_TOKEN));
    let execution = app.execution(id).await;
    assert_eq!(execution.status, ExecutionStatus::Failed);
    assert!(execution.error_message.unwrap().contains("No ref found"));

    // Bad credentials and unknown workflow files, as GitHub words them.
    gh.set_mode(DispatchMode::ReturnRunDetails);
    app.stop().await;
    let app = github_app(
        &gh,
        &[
            ("PASS_GITHUB_WORKFLOW_TOKEN", "wrong"),
            ("GITHUB_PLANNER_WORKFLOW_FILE", "nope.yml"),
        ],
    )
    .await;
    let id = app.new_run().await;
    let body = app.dispatch_error(id, 502, "dispatch_failed").await;
    assert_message_contains(&body, "Bad credentials");
    assert!(!body.to_string().contains("wrong"));
    app.stop().await;
}

#[tokio::test]
async fn a_restarted_server_resumes_watching_open_workflow_runs() {
    let gh = standin().await;
    let dir = TempDir::new("resume");
    let vars = workflow_vars(&gh);
    let app = spawn_app_in(dir.path(), &vars).await;
    let id = app.new_run().await;
    let dispatched = app.dispatch(id, WorkflowName::Planner).await;
    let workflow_run = dispatched.execution.github_run_id.unwrap().get();
    app.stop().await;

    let app = spawn_app_in(dir.path(), &vars).await;
    let execution = app.execution(id).await;
    assert_eq!(
        execution.status,
        ExecutionStatus::Dispatched,
        "a workflow run may outlive the server"
    );
    gh.complete_run(workflow_run, "cancelled");
    let execution = app
        .wait_for_execution(id, "the resumed watchdog failing the execution", |e| {
            e.status == ExecutionStatus::Failed
        })
        .await;
    assert!(execution.error_message.unwrap().contains("cancelled"));
    app.stop().await;
}

#[tokio::test]
async fn a_github_that_never_answers_cannot_hold_the_run_lock() {
    let gh = standin().await;
    gh.set_mode(DispatchMode::Hang);
    let app = github_app(
        &gh,
        &[
            ("PASS_GITHUB_CONNECT_TIMEOUT_MS", "200"),
            ("PASS_GITHUB_READ_TIMEOUT_MS", "300"),
        ],
    )
    .await;
    let id = app.new_run().await;
    let dispatch = app
        .authed(Method::POST, &format!("/runs/{id}/dispatch"))
        .send();
    // A PATCH of the same run needs the lock the dispatch holds.
    let patch = async {
        tokio::time::sleep(Duration::from_millis(100)).await;
        app.authed(Method::PATCH, &format!("/runs/{id}"))
            .json(&json!({"current_step": "parse"}))
            .send()
            .await
            .unwrap()
            .status()
            .as_u16()
    };
    let (dispatched, patched) = tokio::time::timeout(Duration::from_secs(30), async {
        futures::join!(dispatch, patch)
    })
    .await
    .expect("a hung GitHub kept the run locked");
    let body = expect_error(dispatched.unwrap(), 502, "dispatch_failed").await;
    let message = body["message"].as_str().unwrap();
    // The client's read timeout or the whole-request bound, whichever fires first.
    assert!(
        message.contains("could not be reached") || message.contains("did not answer"),
        "{message}"
    );
    assert_eq!(patched, 200);
    assert_eq!(gh.dispatches().len(), 1);
    let execution = app.execution(id).await;
    assert_eq!(execution.status, ExecutionStatus::Failed);
    app.stop().await;
}

#[tokio::test]
async fn a_dispatch_answered_without_its_run_id_finds_and_watches_its_workflow_run() {
    let gh = standin().await;
    gh.set_mode(DispatchMode::NoContent);
    // Runs that are not this dispatch's: an hour old, and of the other workflow.
    let old = gh.add_run("acme", "flows", "phase1-planner.yml", 3600);
    let other_workflow = gh.add_run("acme", "flows", "phase2-implementation.yml", 0);
    let app = github_app(&gh, &[]).await;
    let id = app.new_run().await;
    let dispatched = app.dispatch(id, WorkflowName::Planner).await;
    assert!(dispatched.execution.github_run_id.is_none());
    let ours = *gh.run_ids().last().unwrap();
    assert!(ours != old && ours != other_workflow);

    let execution = app
        .wait_for_execution(id, "finding the workflow run", |e| {
            e.github_run_id.is_some()
        })
        .await;
    assert_eq!(execution.github_run_id.map(|n| n.get()), Some(ours));
    assert_eq!(execution.status, ExecutionStatus::Dispatched);
    assert_eq!(
        execution.github_run_url.unwrap().as_str(),
        format!("{}/acme/flows/actions/runs/{ours}", gh.base_url)
    );
    let listing = &gh.run_listings()[0];
    assert_eq!(
        listing.path,
        "/repos/acme/flows/actions/workflows/phase1-planner.yml/runs"
    );
    let query = listing.query.as_deref().unwrap();
    assert!(
        query.contains("event=workflow_dispatch") && query.contains("created=%3E%3D"),
        "{query}"
    );

    // Found, the run is watched: its end without a report fails the execution.
    gh.complete_run(ours, "startup_failure");
    let execution = app
        .wait_for_execution(id, "the watchdog", |e| e.status == ExecutionStatus::Failed)
        .await;
    let message = execution.error_message.unwrap();
    assert!(
        message.contains("startup_failure") && message.contains(&ours.to_string()),
        "{message}"
    );
    // And the run takes a new dispatch instead of answering 409 forever.
    gh.set_mode(DispatchMode::ReturnRunDetails);
    app.dispatch(id, WorkflowName::Planner).await;
    app.stop().await;
}

#[tokio::test]
async fn the_run_finder_never_takes_a_workflow_run_another_execution_claimed() {
    let gh = standin().await;
    let app = github_app(&gh, &[]).await;
    let first = app.new_run().await;
    let second = app.new_run().await;
    // The second run's dispatch is answered without an id and its finder
    // cannot list runs yet.
    gh.set_list_runs_error(Some((503, "Service Unavailable".to_owned())));
    gh.set_mode(DispatchMode::NoContentWithoutRun);
    app.dispatch(second, WorkflowName::Planner).await;
    let its_run = gh.add_run("acme", "flows", "phase1-planner.yml", 0);
    // Then the first run's dispatch creates a newer run and records its id.
    gh.set_mode(DispatchMode::ReturnRunDetails);
    let claimed = app
        .dispatch(first, WorkflowName::Planner)
        .await
        .execution
        .github_run_id
        .unwrap()
        .get();
    assert!(claimed > its_run);
    gh.set_list_runs_error(None);

    let execution = app
        .wait_for_execution(second, "finding the workflow run", |e| {
            e.github_run_id.is_some()
        })
        .await;
    assert_eq!(
        execution.github_run_id.map(|n| n.get()),
        Some(its_run),
        "the newest run belongs to the other execution"
    );
    let first_execution = app.execution(first).await;
    assert_eq!(
        first_execution.github_run_id.map(|n| n.get()),
        Some(claimed)
    );
    app.stop().await;
}

#[tokio::test]
async fn a_dispatch_whose_workflow_run_never_appears_is_failed_after_the_bound() {
    let gh = standin().await;
    gh.set_mode(DispatchMode::NoContentWithoutRun);
    gh.add_run("acme", "flows", "phase1-planner.yml", 3600);
    let app = github_app(&gh, &[("PASS_DISPATCH_FIND_TIMEOUT_MS", "500")]).await;
    let id = app.new_run().await;
    app.dispatch(id, WorkflowName::Planner).await;
    let execution = app
        .wait_for_execution(id, "the finder giving up", |e| {
            e.status == ExecutionStatus::Failed
        })
        .await;
    let message = execution.error_message.unwrap();
    assert!(
        message.contains("no workflow run of phase1-planner.yml in acme/flows"),
        "{message}"
    );
    assert!(execution.github_run_id.is_none());
    assert!(gh.run_listings().len() >= 2, "it looked more than once");
    gh.set_mode(DispatchMode::ReturnRunDetails);
    app.dispatch(id, WorkflowName::Planner).await;
    app.stop().await;
}

#[tokio::test]
async fn a_restarted_server_finds_the_workflow_run_of_an_open_dispatch_without_one() {
    let gh = standin().await;
    let dir = TempDir::new("resume-find");
    let vars = workflow_vars(&gh);
    let app = spawn_app_in(dir.path(), &vars).await;
    let id = app.new_run().await;
    gh.set_mode(DispatchMode::NoContent);
    gh.set_list_runs_error(Some((502, "Bad Gateway".to_owned())));
    app.dispatch(id, WorkflowName::Planner).await;
    let workflow_run = *gh.run_ids().last().unwrap();
    app.stop().await;
    gh.set_list_runs_error(None);

    let app = spawn_app_in(dir.path(), &vars).await;
    let execution = app
        .wait_for_execution(id, "finding the workflow run", |e| {
            e.github_run_id.is_some() || e.status.is_final()
        })
        .await;
    assert_eq!(
        execution.status,
        ExecutionStatus::Dispatched,
        "not failed as interrupted: {:?}",
        execution.error_message
    );
    assert_eq!(execution.github_run_id.map(|n| n.get()), Some(workflow_run));
    gh.complete_run(workflow_run, "cancelled");
    let execution = app
        .wait_for_execution(id, "the watchdog", |e| e.status == ExecutionStatus::Failed)
        .await;
    assert!(execution.error_message.unwrap().contains("cancelled"));
    app.stop().await;
}

#[tokio::test]
async fn the_server_version_goes_along_only_when_configured() {
    // Off by default: the seed's workflows declare two inputs and GitHub
    // refuses a dispatch with any other.
    let gh = standin().await;
    let app = github_app(&gh, &[]).await;
    let id = app.new_run().await;
    app.dispatch(id, WorkflowName::Planner).await;
    let inputs = gh.dispatches()[0].body.as_ref().unwrap()["inputs"].clone();
    assert!(inputs.get(PASS_VERSION_INPUT).is_none(), "{inputs}");
    app.stop().await;

    let gh = standin().await;
    let app = github_app(&gh, &[("GITHUB_WORKFLOW_SEND_VERSION", "true")]).await;
    let id = app.new_run().await;
    app.dispatch(id, WorkflowName::Planner).await;
    for status in [
        ReportedExecutionStatus::Running,
        ReportedExecutionStatus::Succeeded,
    ] {
        app.client
            .update_execution(id, &report(status))
            .await
            .unwrap();
    }
    let uploaded = app
        .upload(
            id,
            "architecture_pack",
            "application/json",
            json!({"ok": true}),
        )
        .await;
    assert_eq!(uploaded.status(), 201);
    app.dispatch(id, WorkflowName::Implementation).await;
    let requests = gh.dispatches();
    assert_eq!(requests.len(), 2);
    for request in &requests {
        let inputs = &request.body.as_ref().unwrap()["inputs"];
        assert_eq!(
            inputs[PASS_VERSION_INPUT],
            env!("CARGO_PKG_VERSION"),
            "{}: {inputs}",
            request.path
        );
        assert_eq!(inputs["run_id"], id.to_string());
    }
    app.stop().await;

    let error = pass_server::ServerConfig::from_lookup(|name| {
        [
            ("GITHUB_WORKFLOW_REPOSITORY", "acme/flows"),
            ("PASS_GITHUB_WORKFLOW_TOKEN", GH_TOKEN),
            ("GITHUB_WORKFLOW_SEND_VERSION", "maybe"),
        ]
        .iter()
        .find(|(n, _)| *n == name)
        .map(|(_, v)| (*v).to_owned())
    })
    .unwrap_err();
    assert!(
        error.to_string().contains("GITHUB_WORKFLOW_SEND_VERSION"),
        "{error}"
    );
}
