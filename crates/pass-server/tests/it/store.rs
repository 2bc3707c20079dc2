//! The store: no lost updates, index rebuild, corrupt runs, interrupted executions.

use std::collections::BTreeSet;
use std::time::Duration;

use pass_contracts::api::RunPatch;
use pass_contracts::{ExecutionStatus, RunDetail, RunRecord, RunStatus, RunStep, RunsIndex};
use reqwest::Method;
use serde_json::json;

use crate::support::{TempDir, expect_error, read_json_file, run_input, spawn_app, spawn_app_in};

/// One run, 100 concurrent writes: 50 artifact uploads with distinct names
/// (read-modify-writes of `artifacts/index.json`) interleaved with 50 PATCHes
/// of `run.json` (4 that each stamp a step once, 46 that only set the status).
/// Every write must leave its own mark: all 50 names listed, each step stamped
/// with the time its own PATCH answered, and no answer missing a stamp that an
/// earlier-answered write had made. Without the per-run lock these break.
#[tokio::test]
async fn fifty_parallel_writes_to_one_run_all_leave_their_mark() {
    const STEPPED: [RunStep; 4] = [
        RunStep::Parse,
        RunStep::Clarify,
        RunStep::Plan,
        RunStep::Export,
    ];
    const STATUSES: [RunStatus; 5] = [
        RunStatus::Parsed,
        RunStatus::Clarified,
        RunStatus::PlanGenerated,
        RunStatus::Exported,
        RunStatus::Failed,
    ];
    let app = spawn_app(&[]).await;
    let run = app.client.create_run(&run_input(None)).await.unwrap();
    let id = run.run_id;

    let patches = (0..50usize).map(|i| {
        let client = app.client.clone();
        // Steps go to writes spread over the batch, not the first four.
        let step = (i % 12 == 5).then(|| STEPPED[i / 12]);
        let patch = RunPatch {
            status: Some(STATUSES[i % STATUSES.len()]),
            current_step: step,
        };
        async move { (step, client.patch_run(id, &patch).await.unwrap()) }
    });
    let uploads = (0..50).map(|i| {
        let app = &app;
        async move {
            let name = format!("part-{i:02}");
            app.upload(id, &name, "text/plain", json!(format!("part {i}")))
                .await
                .status()
                .as_u16()
        }
    });
    let (answers, statuses) = futures::future::join(
        futures::future::join_all(patches),
        futures::future::join_all(uploads),
    )
    .await;

    let detail = app.client.get_run(id).await.unwrap();
    // run.json: every step PATCH's stamp is the one it answered with.
    let final_run = detail.run.clone();
    let stepped: Vec<_> = answers.iter().filter(|(s, _)| s.is_some()).collect();
    assert_eq!(stepped.len(), STEPPED.len());
    for (step, answer) in &stepped {
        let step = step.unwrap();
        assert_eq!(
            final_run.step_timestamps.get(&step),
            answer.step_timestamps.get(&step),
            "the stamp of {step:?} was lost or rewritten"
        );
    }
    assert_eq!(final_run.step_timestamps.len(), 5);
    // Serialised read-modify-writes: a write answered later (its
    // last_updated_at is taken under the lock) sees every stamp an earlier
    // one made; a lost update drops one.
    for (_, earlier) in &answers {
        for (_, later) in &answers {
            if earlier.last_updated_at < later.last_updated_at {
                for step in earlier.step_timestamps.keys() {
                    assert_eq!(
                        later.step_timestamps.get(step),
                        earlier.step_timestamps.get(step),
                        "a write at {} lost the {step:?} stamp seen at {}",
                        later.last_updated_at,
                        earlier.last_updated_at
                    );
                }
            }
        }
    }
    let last = answers
        .iter()
        .map(|(_, r)| r.last_updated_at)
        .max()
        .unwrap();
    assert_eq!(final_run.last_updated_at, last);
    let newest: Vec<_> = answers
        .iter()
        .filter(|(_, r)| r.last_updated_at == last)
        .map(|(_, r)| r.status)
        .collect();
    assert!(newest.contains(&final_run.status), "{newest:?}");

    // The artifact index: each upload's own name is there.
    assert!(statuses.iter().all(|s| *s == 201), "{statuses:?}");
    let names: BTreeSet<String> = detail
        .artifacts
        .iter()
        .map(|a| a.name.as_str().to_owned())
        .collect();
    let expected: BTreeSet<String> = (0..50).map(|i| format!("part-{i:02}")).collect();
    assert_eq!(names, expected, "an upload's entry was lost");
    assert_eq!(detail.artifacts.len(), 50);

    app.stop().await;
}

async fn read_index(dir: &std::path::Path) -> RunsIndex {
    read_json_file(&dir.join("index.json"))
}

#[tokio::test]
async fn index_is_written_in_the_background_and_rebuilt_when_missing_corrupt_or_stale() {
    let dir = TempDir::new("index");
    let app = spawn_app_in(dir.path(), &[("PASS_INDEX_FLUSH_MS", "50")]).await;
    let mut ids = Vec::new();
    for _ in 0..3 {
        ids.push(app.new_run().await);
    }
    app.client
        .patch_run(
            ids[0],
            &RunPatch {
                status: Some(RunStatus::Clarified),
                current_step: None,
            },
        )
        .await
        .unwrap();
    // Lazily, but soon.
    let mut index = read_index(dir.path()).await;
    for _ in 0..100 {
        if index.runs.len() == 3 && index.runs.iter().any(|r| r.status == RunStatus::Clarified) {
            break;
        }
        tokio::time::sleep(Duration::from_millis(20)).await;
        index = read_index(dir.path()).await;
    }
    assert_eq!(index.runs.len(), 3);
    assert_eq!(index.runs[2].run_id, ids[0]);
    assert_eq!(index.runs[2].status, RunStatus::Clarified);
    app.stop().await;

    // Missing, then corrupt.
    let index_path = dir.path().join("index.json");
    for corrupt in [false, true] {
        if corrupt {
            fs_err::write(&index_path, "{ not json").unwrap();
        } else {
            fs_err::remove_file(&index_path).unwrap();
        }
        let app = spawn_app_in(dir.path(), &[]).await;
        assert_eq!(
            read_index(dir.path()).await.runs.len(),
            3,
            "corrupt: {corrupt}"
        );
        app.stop().await;
    }

    // Stale: run.json wins.
    let run_path = dir.path().join(ids[1].to_string()).join("run.json");
    let mut detail: RunDetail = read_json_file(&run_path);
    detail.status = RunStatus::Failed;
    fs_err::write(&run_path, serde_json::to_string_pretty(&detail).unwrap()).unwrap();
    let app = spawn_app_in(dir.path(), &[]).await;
    let status_of = |runs: &[RunRecord]| runs.iter().find(|r| r.run_id == ids[1]).unwrap().status;
    let listed = app.client.list_runs(None, None).await.unwrap();
    assert_eq!(status_of(&listed.runs), RunStatus::Failed);
    let index = read_index(dir.path()).await;
    assert_eq!(status_of(&index.runs), RunStatus::Failed);
    assert_eq!(index.runs, listed.runs);
    app.stop().await;
}

#[tokio::test]
async fn a_corrupt_run_is_reported_never_overwritten_and_the_rest_is_served() {
    let dir = TempDir::new("corrupt");
    let app = spawn_app_in(dir.path(), &[]).await;
    let good = app.new_run().await;
    let bad = app.new_run().await;
    app.stop().await;
    let bad_path = dir.path().join(bad.to_string()).join("run.json");
    let garbage = b"{\"run_id\": \"truncated";
    fs_err::write(&bad_path, garbage).unwrap();
    // Half-written temp files of a killed server are cleared at start-up.
    let temp = dir
        .path()
        .join(good.to_string())
        .join(".run.json.0123abcd.tmp");
    fs_err::write(&temp, b"{\"half").unwrap();

    let app = spawn_app_in(dir.path(), &[]).await;
    let response = app.send(Method::GET, &format!("/runs/{bad}"), None).await;
    let body = expect_error(response, 500, "internal_error").await;
    let message = body["message"].as_str().unwrap();
    assert!(
        message.contains("corrupt") && message.contains("run.json"),
        "{message}"
    );
    let response = app
        .send(
            Method::PATCH,
            &format!("/runs/{bad}"),
            Some(json!({"status": "parsed"})),
        )
        .await;
    expect_error(response, 500, "internal_error").await;
    assert_eq!(fs_err::read(&bad_path).unwrap(), garbage);

    assert_eq!(app.client.get_run(good).await.unwrap().run.run_id, good);
    let listed = app.client.list_runs(None, None).await.unwrap();
    assert_eq!(listed.total, 1);
    let health = app.get_public_json("/healthz").await;
    assert_eq!(health["store"]["status"], "degraded");
    assert_eq!(health["store"]["corrupt_runs"], 1);
    app.stop().await;
    assert_eq!(fs_err::read(&bad_path).unwrap(), garbage);
}

#[tokio::test]
async fn executions_left_open_by_a_previous_server_are_failed_at_start_up() {
    let dir = TempDir::new("interrupted");
    let app = spawn_app_in(dir.path(), &[]).await;
    let id = app.new_run().await;
    app.stop().await;
    let path = dir.path().join(id.to_string()).join("run.json");
    let mut detail: serde_json::Value = read_json_file(&path);
    detail["execution"] = json!({
        "backend": "local", "workflow_name": "phase1-planner", "status": "running",
        "requested_at": "2026-02-26T00:00:00.000Z", "started_at": "2026-02-26T00:00:01.000Z"
    });
    fs_err::write(&path, serde_json::to_string_pretty(&detail).unwrap()).unwrap();

    let app = spawn_app_in(dir.path(), &[]).await;
    let execution = app.execution(id).await;
    assert_eq!(execution.status, ExecutionStatus::Failed);
    assert!(execution.completed_at.is_some());
    assert!(execution.error_message.unwrap().contains("interrupted"));
    app.stop().await;
}
