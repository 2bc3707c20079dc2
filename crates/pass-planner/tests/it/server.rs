//! `planner --run-id` (the real binary) dispatched by the real PASS server on
//! loopback through its local backend.

use std::path::Path;
use std::time::{Duration, Instant};

use pass_client::PassClient;
use pass_contracts::artifacts::names;
use pass_contracts::{
    ExecutionStatus, RunDetail, RunInput, RunStatus, RunStep, Text, WorkflowName,
    validate_pack_value,
};
use pass_server::{RunningServer, ServerConfig};
use pass_testkit::anthropic::AnthropicStandIn;
use secrecy::SecretString;

const TOKEN: &str = "planner-server-test-token";

pub async fn server(
    runs_dir: &Path,
    agent_env: Vec<(String, String)>,
) -> (RunningServer, PassClient) {
    let mut config = ServerConfig::from_lookup(|_| None).unwrap();
    config.bind = ([127, 0, 0, 1], 0).into();
    config.runs_dir = runs_dir.to_path_buf();
    config.api_token = Some(SecretString::from(TOKEN));
    config.agent_bin_dir = Some(
        Path::new(env!("CARGO_BIN_EXE_planner"))
            .parent()
            .unwrap()
            .to_path_buf(),
    );
    config.agent_env = agent_env;
    let server = pass_server::start(config).await.unwrap();
    let client =
        PassClient::new(server.base_url.as_str(), Some(SecretString::from(TOKEN))).unwrap();
    (server, client)
}

pub async fn plan_on_server(client: &PassClient, prd: &str) -> RunDetail {
    let input = RunInput {
        project_id: None,
        refinement: None,
        prd_text: Text::new(prd).unwrap(),
        org_constraints_yaml: None,
        requested_by: None,
        source: None,
    };
    let run = client.create_run(&input).await.unwrap();
    client
        .dispatch(run.run_id, WorkflowName::Planner)
        .await
        .unwrap();
    wait_until_final(client, run.run_id).await
}

/// Run `run_id` once its planner's execution has ended.
pub async fn wait_until_final(client: &PassClient, run_id: uuid::Uuid) -> RunDetail {
    let deadline = Instant::now() + Duration::from_secs(120);
    loop {
        let run = client.get_run(run_id).await.unwrap().run;
        if run.execution.as_ref().is_some_and(|e| e.status.is_final()) {
            return run;
        }
        assert!(
            Instant::now() < deadline,
            "the planner did not finish: {run:?}"
        );
        tokio::time::sleep(Duration::from_millis(100)).await;
    }
}

fn offline() -> Vec<(String, String)> {
    vec![("PASS_LLM_PROVIDER".into(), "offline".into())]
}

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn the_planner_binary_plans_a_run_on_the_server() {
    let dir = tempfile::tempdir().unwrap();
    let (server, client) = server(dir.path(), offline()).await;
    let prd = crate::support::prd("shelf-board-tagged.txt");
    let run = plan_on_server(&client, &prd).await;

    let execution = run.execution.as_ref().unwrap();
    assert_eq!(
        execution.status,
        ExecutionStatus::Succeeded,
        "{execution:?}"
    );
    assert!(execution.started_at.is_some() && execution.completed_at.is_some());
    assert_eq!(run.status, RunStatus::Exported);
    assert_eq!(run.current_step, RunStep::Export);
    for step in [RunStep::Parse, RunStep::Plan, RunStep::Export] {
        assert!(
            run.step_timestamps.contains_key(&step),
            "{step:?} never reached"
        );
    }

    let detail = client.get_run(run.run_id).await.unwrap();
    let mut artifact_names: Vec<&str> = detail.artifacts.iter().map(|a| a.name.as_str()).collect();
    artifact_names.sort_unstable();
    assert_eq!(
        artifact_names,
        [
            names::ARCHITECTURE_PACK,
            names::ARCHITECTURE_PACK_DIAGRAM,
            names::ARCHITECTURE_PACK_DIAGRAM_MMD,
            names::ARCHITECTURE_PACK_SUMMARY,
            names::PLANNER_USAGE
        ]
    );
    let pack = client
        .get_artifact(run.run_id, names::ARCHITECTURE_PACK)
        .await
        .unwrap();
    let pack = validate_pack_value(&pack.payload).unwrap();
    assert_eq!(pack.run_id, run.run_id);
    assert!(!pack.implementation.github_issue_plan.is_empty());
    server.shutdown().await.unwrap();
}

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn the_planner_binary_logs_json_lines_when_asked() {
    let dir = tempfile::tempdir().unwrap();
    let mut env = offline();
    env.push(("PASS_LOG_FORMAT".into(), " JSON ".into()));
    env.push(("RUST_LOG".into(), "debug".into()));
    let (server, client) = server(dir.path(), env).await;
    let run = plan_on_server(&client, &crate::support::prd("shelf-board-tagged.txt")).await;
    assert_eq!(run.status, RunStatus::Exported);
    server.shutdown().await.unwrap();

    // The local backend writes the agent's stderr to runs/<id>/logs/.
    let logs = pass_contracts::layout::logs_dir(dir.path(), run.run_id);
    let log = fs_err::read_dir(&logs)
        .unwrap()
        .map(|entry| entry.unwrap().path())
        .find(|path| path.to_string_lossy().contains("planner"))
        .expect("a planner log file");
    let text = fs_err::read_to_string(log).unwrap();
    let events: Vec<serde_json::Value> = text
        .lines()
        .filter(|line| line.starts_with('{'))
        .map(|line| serde_json::from_str(line).unwrap())
        .collect();
    assert!(!events.is_empty(), "no JSON log line in:\n{text}");
    assert!(
        events
            .iter()
            .all(|e| e["level"].is_string() && e["timestamp"].is_string()),
        "{events:?}"
    );
    assert!(!text.contains('\u{1b}'), "no colour in a log file: {text}");
}

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn a_rejected_model_key_fails_the_run_with_a_clear_message() {
    let anthropic = AnthropicStandIn::start().await.unwrap();
    let dir = tempfile::tempdir().unwrap();
    let env = vec![
        ("PASS_LLM_PROVIDER".into(), "anthropic".into()),
        (
            "ANTHROPIC_API_KEY".into(),
            "sk-ant-not-the-right-key".into(),
        ),
        ("ANTHROPIC_BASE_URL".into(), anthropic.base_url()),
    ];
    let (server, client) = server(dir.path(), env).await;
    let run = plan_on_server(&client, "# Notes app\n\n- Users can write notes.\n").await;

    assert_eq!(run.status, RunStatus::Failed);
    let execution = run.execution.unwrap();
    assert_eq!(execution.status, ExecutionStatus::Failed);
    let message = execution.error_message.unwrap().into_string();
    assert!(message.contains("401"), "{message}");
    assert!(message.contains("ANTHROPIC_API_KEY"), "{message}");
    assert!(!message.contains("sk-ant-not-the-right-key"), "{message}");
    let detail = client.get_run(run.run_id).await.unwrap();
    assert!(
        detail.artifacts.is_empty(),
        "nothing is published from a failed plan"
    );
    server.shutdown().await.unwrap();
}
