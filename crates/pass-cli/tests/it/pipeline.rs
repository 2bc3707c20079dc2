//! The whole pipeline as users run it: `pass demo`, then `pass serve` with
//! `pass run`, `pass runs` and `pass plan` — offline model, local issues.

use std::collections::BTreeMap;
use std::path::{Path, PathBuf};

use pass_contracts::artifacts::names;
use pass_contracts::runs::SyncStatus;
use pass_contracts::{ExecutionStatus, RunDetail, RunStatus, WorkflowName, parse_pack};
use uuid::Uuid;

use crate::{assert_success, pass_command, repo_file, spawn_serve, stderr, stdout};

/// The run folders of a runs folder (its `projects/` folder is not one).
fn run_dirs(runs_dir: &Path) -> Vec<PathBuf> {
    let mut dirs: Vec<PathBuf> = fs_err::read_dir(runs_dir)
        .unwrap()
        .map(|e| e.unwrap().path())
        .filter(|p| p.is_dir() && p.join("run.json").is_file())
        .collect();
    dirs.sort();
    dirs
}

fn read_run(dir: &Path) -> RunDetail {
    serde_json::from_str(&fs_err::read_to_string(dir.join("run.json")).unwrap()).unwrap()
}

fn issue_files(dir: &Path) -> BTreeMap<String, String> {
    fs_err::read_dir(dir)
        .unwrap()
        .map(|e| e.unwrap().path())
        .filter(|p| p.extension().is_some_and(|x| x == "md"))
        .map(|p| {
            (
                p.file_name().unwrap().to_string_lossy().into_owned(),
                fs_err::read_to_string(&p).unwrap(),
            )
        })
        .collect()
}

#[test]
fn demo_plans_syncs_and_a_second_demo_updates_the_same_backlog_writing_nothing() {
    let dir = tempfile::tempdir().unwrap();
    let runs_dir = dir.path().join("runs");
    let demo = || {
        let output = pass_command(&["demo", "--runs-dir", runs_dir.to_str().unwrap()])
            .current_dir(dir.path())
            .env("PASS_ISSUE_TARGET", "local")
            .env_remove("PASS_LOCAL_ISSUES_DIR")
            .output()
            .unwrap();
        assert_success(&output);
        output
    };
    let output = demo();
    let out = stdout(&output);

    let dirs = run_dirs(&runs_dir);
    assert_eq!(dirs.len(), 1, "{dirs:?}");
    let run = read_run(&dirs[0]);
    assert!(out.contains(&run.run_id.to_string()), "{out}");
    assert_eq!(run.status, RunStatus::Exported);
    assert_eq!(run.revision_number().get(), 1);
    let execution = run.execution.as_ref().unwrap();
    assert_eq!(execution.workflow_name, WorkflowName::Implementation);
    assert_eq!(execution.status, ExecutionStatus::Succeeded);

    let artifacts = dirs[0].join("artifacts");
    let pack =
        parse_pack(&fs_err::read_to_string(artifacts.join("architecture_pack.json")).unwrap())
            .unwrap();
    assert_eq!(pack.run_id, run.run_id);
    let summary = fs_err::read_to_string(artifacts.join("architecture_pack_summary.md")).unwrap();
    assert!(summary.contains("```mermaid"), "{summary}");
    let diagram = fs_err::read_to_string(artifacts.join("architecture_pack_diagram.txt")).unwrap();
    assert!(diagram.starts_with("flowchart"), "{diagram}");
    let usage: serde_json::Value = serde_json::from_str(
        &fs_err::read_to_string(artifacts.join("planner_usage.json")).unwrap(),
    )
    .unwrap();
    assert!(usage.is_object());
    assert!(
        artifacts
            .join("implementation_issue_state_summary.md")
            .is_file()
    );

    // One issue file per plan item, each carrying its marker, in the
    // project's folder of the runs folder.
    let plan = &pack.implementation.github_issue_plan;
    assert!(!plan.is_empty());
    let project = run.project_id.unwrap();
    let issues_dir = runs_dir
        .join("projects")
        .join(project.to_string())
        .join("issues");
    let files = issue_files(&issues_dir);
    assert_eq!(files.len(), plan.len(), "{:?}", files.keys());
    for item in plan {
        let marker = format!("PASS-Plan-Item-Id: {}", item.id);
        assert_eq!(
            files.values().filter(|body| body.contains(&marker)).count(),
            1,
            "{marker}"
        );
    }
    let state = run.implementation_state.as_ref().unwrap();
    assert!(
        state
            .issues
            .iter()
            .all(|i| i.sync_status == SyncStatus::Created)
    );
    assert!(
        out.contains(&format!("planned issues: {}", plan.len())),
        "{out}"
    );
    assert!(out.contains("architecture_pack_summary.md"), "{out}");
    assert!(out.contains(&issues_dir.display().to_string()), "{out}");
    assert!(
        !dir.path()
            .join("runs")
            .join(run.run_id.to_string())
            .join("issues")
            .exists(),
        "no issue files outside the project's folder"
    );

    // The same PRD again: revision 2 of the same project, and its sync
    // writes nothing.
    let output = demo();
    assert!(
        stderr(&output).contains("revision 2 of project"),
        "{}",
        stderr(&output)
    );
    let dirs = run_dirs(&runs_dir);
    assert_eq!(dirs.len(), 2, "{dirs:?}");
    let second = dirs
        .iter()
        .map(|d| read_run(d))
        .find(|r| r.run_id != run.run_id)
        .unwrap();
    assert_eq!(second.project_id, Some(project));
    assert_eq!(second.revision_number().get(), 2);
    assert_eq!(
        second.execution.as_ref().unwrap().status,
        ExecutionStatus::Succeeded
    );
    let state = second.implementation_state.unwrap();
    assert_eq!(state.issues.len(), plan.len());
    assert!(
        state
            .issues
            .iter()
            .all(|i| i.sync_status == SyncStatus::Unchanged),
        "{state:?}"
    );
    assert_eq!(
        issue_files(&issues_dir),
        files,
        "issue files changed on an unchanged second revision"
    );
}

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn run_and_runs_drive_a_served_api() {
    let dir = tempfile::tempdir().unwrap();
    let token = "serve-token-for-tests";
    let serve = spawn_serve(&dir.path().join("runs"), token, &[]).await;
    let prd = repo_file("samples/prds/grocery-tiny.txt");
    let org = repo_file("samples/org_constraints.sample.yml");

    let output = pass_command(&[
        "run",
        prd.to_str().unwrap(),
        "--org",
        org.to_str().unwrap(),
        "--api",
        &serve.base_url,
        "--sync-issues",
    ])
    .env("PASS_API_TOKEN", token)
    .output()
    .unwrap();
    assert_success(&output);
    let out = stdout(&output);
    assert!(out.contains(": exported"), "{out}");
    assert!(out.contains("created)"), "{out}");
    let run_id = out
        .split_whitespace()
        .nth(1)
        .unwrap()
        .trim_end_matches(':')
        .to_owned();
    Uuid::parse_str(&run_id).unwrap();

    let output = pass_command(&["runs", "list", "--api", &serve.base_url])
        .env("PASS_API_TOKEN", token)
        .output()
        .unwrap();
    assert_eq!(output.status.code(), Some(0), "{}", stderr(&output));
    assert!(stdout(&output).contains(&run_id), "{}", stdout(&output));
    assert!(
        stdout(&output).contains("1 of 1 run(s)"),
        "{}",
        stdout(&output)
    );

    let output = pass_command(&["runs", "show", &run_id, "--api", &serve.base_url])
        .env("PASS_API_TOKEN", token)
        .output()
        .unwrap();
    assert_eq!(output.status.code(), Some(0), "{}", stderr(&output));
    let shown = stdout(&output);
    for expected in [
        names::ARCHITECTURE_PACK,
        "phase2-implementation succeeded on local",
        "ISSUE-",
    ] {
        assert!(shown.contains(expected), "{expected} not in:\n{shown}");
    }

    // Without the token the server refuses, and the command says why.
    let output = pass_command(&["runs", "list", "--api", &serve.base_url])
        .output()
        .unwrap();
    assert_eq!(output.status.code(), Some(1));
    assert!(
        stderr(&output).contains("401 unauthorized"),
        "{}",
        stderr(&output)
    );

    // An org constraints typo fails before any run is created.
    let bad_org = dir.path().join("bad.yml");
    fs_err::write(&bad_org, "stack:\n  language: cobol\n").unwrap();
    let output = pass_command(&[
        "run",
        prd.to_str().unwrap(),
        "--org",
        bad_org.to_str().unwrap(),
        "--api",
        &serve.base_url,
    ])
    .env("PASS_API_TOKEN", token)
    .output()
    .unwrap();
    assert_eq!(output.status.code(), Some(1));
    assert!(
        stderr(&output).contains("stack.language"),
        "{}",
        stderr(&output)
    );
}

#[test]
fn plan_writes_a_valid_pack_without_a_server() {
    let dir = tempfile::tempdir().unwrap();
    let out_dir = dir.path().join("out");
    let prd = repo_file("samples/prds/shelf-board-tagged.txt");
    let output = pass_command(&[
        "plan",
        prd.to_str().unwrap(),
        "--out",
        out_dir.to_str().unwrap(),
        "--provider",
        "offline",
    ])
    .output()
    .unwrap();
    assert_eq!(output.status.code(), Some(0), "{}", stderr(&output));
    assert!(stderr(&output).contains("offline"), "{}", stderr(&output));
    let pack_path = out_dir.join("architecture_pack.json");
    let output = crate::pass(&["validate", pack_path.to_str().unwrap()]);
    assert_eq!(output.status.code(), Some(0), "{}", stdout(&output));
    for file in [
        "architecture_pack_summary.md",
        "architecture_pack_diagram.txt",
        "architecture_pack_diagram.mmd",
        "planner_usage.json",
    ] {
        assert!(out_dir.join(file).is_file(), "{file}");
    }
}

#[test]
fn a_failing_agent_fails_the_demo_and_names_its_log() {
    let dir = tempfile::tempdir().unwrap();
    let runs_dir = dir.path().join("runs");
    // A model server that refuses connections (a closed loopback port).
    let closed = std::net::TcpListener::bind("127.0.0.1:0")
        .unwrap()
        .local_addr()
        .unwrap();
    let output = pass_command(&[
        "demo",
        "--runs-dir",
        runs_dir.to_str().unwrap(),
        "--provider",
        "anthropic",
    ])
    .env("ANTHROPIC_API_KEY", "sk-ant-demo-test")
    .env("ANTHROPIC_BASE_URL", format!("http://{closed}/v1"))
    .env("PASS_LLM_MAX_RETRIES", "0")
    .current_dir(dir.path())
    .output()
    .unwrap();
    assert_eq!(output.status.code(), Some(1), "{}", stdout(&output));
    let err = stderr(&output);
    assert!(err.contains("phase1-planner failed"), "{err}");
    let log = err
        .lines()
        .find_map(|line| line.strip_prefix("agent log: "))
        .unwrap_or_else(|| panic!("no agent log path in:\n{err}"));
    let log_text = fs_err::read_to_string(log).unwrap();
    assert!(log_text.contains("anthropic"), "{log_text}");
    assert!(
        !log_text.contains('\u{1b}'),
        "ANSI escapes in an agent log file"
    );
    assert!(!err.contains("sk-ant-demo-test") && !log_text.contains("sk-ant-demo-test"));
}
