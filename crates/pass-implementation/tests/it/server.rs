//! `implementation --run-id` (the real binary) dispatched by the real PASS
//! server on loopback through its local backend, with local issue files.

use std::path::Path;
use std::time::{Duration, Instant};

use pass_client::PassClient;
use pass_contracts::api::ArtifactUpload;
use pass_contracts::artifacts::names;
use pass_contracts::runs::SyncStatus;
use pass_contracts::{ContentType, ExecutionStatus, RunDetail, RunInput, Text, WorkflowName};
use pass_server::ServerConfig;
use secrecy::SecretString;
use serde_json::Value;

const TOKEN: &str = "implementation-server-test-token";

async fn sync_on_server(client: &PassClient, run_id: uuid::Uuid) -> RunDetail {
    client
        .dispatch(run_id, WorkflowName::Implementation)
        .await
        .unwrap();
    let deadline = Instant::now() + Duration::from_secs(120);
    loop {
        let run = client.get_run(run_id).await.unwrap().run;
        if run.execution.as_ref().is_some_and(|e| e.status.is_final()) {
            return run;
        }
        assert!(
            Instant::now() < deadline,
            "the sync did not finish: {run:?}"
        );
        tokio::time::sleep(Duration::from_millis(100)).await;
    }
}

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn the_implementation_binary_syncs_a_run_on_the_server_idempotently() {
    let dir = tempfile::tempdir().unwrap();
    let mut config = ServerConfig::from_lookup(|_| None).unwrap();
    config.bind = ([127, 0, 0, 1], 0).into();
    config.runs_dir = dir.path().to_path_buf();
    config.api_token = Some(SecretString::from(TOKEN));
    config.agent_bin_dir = Some(
        Path::new(env!("CARGO_BIN_EXE_implementation"))
            .parent()
            .unwrap()
            .to_path_buf(),
    );
    config.agent_env = vec![("PASS_ISSUE_TARGET".into(), "local".into())];
    let server = pass_server::start(config).await.unwrap();
    let client =
        PassClient::new(server.base_url.as_str(), Some(SecretString::from(TOKEN))).unwrap();

    // Without a pack, dispatch is refused with the contract's 409.
    let input = RunInput {
        project_id: None,
        refinement: None,
        prd_text: Text::new("A clinic booking app").unwrap(),
        org_constraints_yaml: None,
        requested_by: None,
        source: None,
    };
    let run = client.create_run(&input).await.unwrap();
    let refused = client
        .dispatch(run.run_id, WorkflowName::Implementation)
        .await
        .unwrap_err();
    assert_eq!(refused.status(), Some(409), "{refused}");

    let sample = fs_err::read_to_string(
        std::path::Path::new(env!("CARGO_MANIFEST_DIR"))
            .join("../../samples/architecture_pack.sample.json"),
    )
    .unwrap();
    let mut pack: Value = serde_json::from_str(&sample).unwrap();
    pack["run_id"] = Value::String(run.run_id.to_string());
    let plan_len = pack["implementation"]["github_issue_plan"]
        .as_array()
        .unwrap()
        .len();
    client
        .upload_artifact(
            run.run_id,
            &ArtifactUpload {
                name: Text::new(names::ARCHITECTURE_PACK).unwrap(),
                content_type: ContentType::Json,
                payload: pack,
            },
        )
        .await
        .unwrap();

    let first = sync_on_server(&client, run.run_id).await;
    assert_eq!(
        first.execution.as_ref().unwrap().status,
        ExecutionStatus::Succeeded,
        "{first:?}"
    );
    let state = first.implementation_state.unwrap();
    assert_eq!(state.issues.len(), plan_len);
    assert!(
        state
            .issues
            .iter()
            .all(|i| i.sync_status == SyncStatus::Created),
        "{state:?}"
    );
    // Local issue files live in the project's folder of the server's storage.
    let issues_dir = server.store().local_issues_dir(run.run_id);
    assert!(
        issues_dir.starts_with(dir.path()),
        "{}",
        issues_dir.display()
    );
    let files = fs_err::read_dir(&issues_dir).unwrap().count();
    assert_eq!(files, plan_len);
    for issue in &state.issues {
        let url = issue.issue_url.as_ref().unwrap();
        assert_eq!(url.scheme(), "file");
        assert!(url.to_file_path().unwrap().is_file(), "{url}");
    }
    let detail = client.get_run(run.run_id).await.unwrap();
    for name in [
        names::IMPLEMENTATION_ISSUE_STATE,
        names::IMPLEMENTATION_ISSUE_STATE_SUMMARY,
    ] {
        assert!(
            detail.artifacts.iter().any(|a| a.name.as_str() == name),
            "{name}"
        );
    }

    let second = sync_on_server(&client, run.run_id).await;
    assert_eq!(
        second.execution.as_ref().unwrap().status,
        ExecutionStatus::Succeeded
    );
    let state = second.implementation_state.unwrap();
    assert!(
        state
            .issues
            .iter()
            .all(|i| i.sync_status == SyncStatus::Unchanged),
        "{state:?}"
    );
    assert_eq!(fs_err::read_dir(&issues_dir).unwrap().count(), plan_len);
    server.shutdown().await.unwrap();
}

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn a_sync_whose_lease_was_taken_over_writes_nothing_more() {
    use pass_implementation::IssueTracker;
    use pass_implementation::lease::{LeaseKeeper, LeasedTracker, lease_request};
    use pass_implementation::tracker::NewIssue;

    let dir = tempfile::tempdir().unwrap();
    let mut config = ServerConfig::from_lookup(|_| None).unwrap();
    config.bind = ([127, 0, 0, 1], 0).into();
    config.runs_dir = dir.path().to_path_buf();
    config.api_token = Some(SecretString::from(TOKEN));
    let server = pass_server::start(config).await.unwrap();
    let client =
        PassClient::new(server.base_url.as_str(), Some(SecretString::from(TOKEN))).unwrap();
    let run = client
        .create_run(&RunInput {
            project_id: None,
            refinement: None,
            prd_text: Text::new("# Lease test").unwrap(),
            org_constraints_yaml: None,
            requested_by: None,
            source: None,
        })
        .await
        .unwrap();
    let project = run.project();
    let request = |who: &str| {
        lease_request(
            "local:/tmp/x",
            Text::new(who).unwrap(),
            run.run_id,
            None,
            10,
        )
        .unwrap()
    };
    let stalled = LeaseKeeper::acquire(&client, project, &request("the stalled sync"))
        .await
        .unwrap();
    // Someone releases it (an operator, or the lease expired) and another
    // sync takes it.
    client
        .release_sync_lease(project, stalled.lease_id())
        .await
        .unwrap();
    let _successor = LeaseKeeper::acquire(&client, project, &request("the successor"))
        .await
        .unwrap();

    let issues = tempfile::tempdir().unwrap();
    let tracker = pass_implementation::LocalTracker::new(issues.path()).unwrap();
    let leased = LeasedTracker::new(&tracker, &stalled);
    // Within the first half of the lease no request is made: the write goes.
    let new = NewIssue {
        title: "One".to_owned(),
        body: "Body".to_owned(),
        labels: Vec::new(),
    };
    leased.create_issue(&new).await.unwrap();
    // Past half of it the lease is renewed first, which fails: nothing is written.
    tokio::time::sleep(Duration::from_millis(5_100)).await;
    let error = leased.create_issue(&new).await.unwrap_err();
    assert!(error.to_string().contains("lease was lost"), "{error}");
    assert!(!error.is_item_level(), "a lost lease stops the whole sync");
    assert_eq!(tracker.list_issues().await.unwrap().len(), 1);
    server.shutdown().await.unwrap();
}
