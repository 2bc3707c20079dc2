//! `pass mcp` in a real MCP client session over stdio (the official Rust
//! SDK's client starting the binary): initialize, list the tools, call each,
//! and check every answer against the output schema the tool announced.

use std::collections::BTreeMap;
use std::path::Path;

use rmcp::model::{CallToolRequestParams, CallToolResult, Tool};
use rmcp::service::RunningService;
use rmcp::transport::TokioChildProcess;
use rmcp::{RoleClient, ServiceExt};
use serde_json::{Value, json};

use crate::{pass_command, repo_file, spawn_serve};

type Session = RunningService<RoleClient, ()>;

async fn connect(args: &[&str], env: &[(&str, &str)]) -> Session {
    let mut all = vec!["mcp"];
    all.extend_from_slice(args);
    let mut command = pass_command(&all);
    command.env("RUST_LOG", "warn");
    for (name, value) in env {
        command.env(name, value);
    }
    let transport = TokioChildProcess::new(tokio::process::Command::from(command)).unwrap();
    ().serve(transport).await.unwrap()
}

async fn call(session: &Session, tool: &str, arguments: Value) -> CallToolResult {
    let Value::Object(arguments) = arguments else {
        panic!("arguments must be an object")
    };
    session
        .call_tool(CallToolRequestParams::new(tool.to_owned()).with_arguments(arguments))
        .await
        .unwrap()
}

/// The structured answer of a successful call, checked against the tool's
/// output schema.
fn answer(tools: &BTreeMap<String, Tool>, tool: &str, result: &CallToolResult) -> Value {
    assert_ne!(result.is_error, Some(true), "{tool}: {result:?}");
    let value = result.structured_content.clone().unwrap();
    let schema = Value::Object((*tools[tool].output_schema.clone().unwrap()).clone());
    let validator = jsonschema::validator_for(&schema).unwrap();
    let errors: Vec<String> = validator
        .iter_errors(&value)
        .map(|e| e.to_string())
        .collect();
    assert!(errors.is_empty(), "{tool}: {errors:?}");
    value
}

fn error_text(result: &CallToolResult) -> String {
    assert_eq!(result.is_error, Some(true), "{result:?}");
    serde_json::to_value(&result.content).unwrap().to_string()
}

fn issue_files(dir: &Path) -> usize {
    fs_err::read_dir(dir).map_or(0, |entries| {
        entries
            .filter_map(Result::ok)
            .filter(|e| e.path().extension().is_some_and(|x| x == "md"))
            .count()
    })
}

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn an_mcp_client_plans_creates_reads_and_syncs_with_a_dry_run_first() {
    let dir = tempfile::tempdir().unwrap();
    let runs = dir.path().join("runs");
    let session = connect(&["--in-process", "--runs-dir", runs.to_str().unwrap()], &[]).await;

    let info = session.peer_info().unwrap();
    assert_eq!(info.server_info.as_ref().unwrap().name, "pass");
    assert!(info.capabilities.tools.is_some());

    let tools: BTreeMap<String, Tool> = session
        .list_all_tools()
        .await
        .unwrap()
        .into_iter()
        .map(|t| (t.name.to_string(), t))
        .collect();
    assert_eq!(
        tools.keys().map(String::as_str).collect::<Vec<_>>(),
        [
            "answer_question",
            "approve_plan",
            "create_run",
            "list_questions",
            "plan_prd",
            "refine_plan",
            "show_project",
            "show_run",
            "sync_issues"
        ]
    );
    for tool in tools.values() {
        assert_eq!(tool.input_schema["type"], "object", "{}", tool.name);
        assert!(tool.output_schema.is_some(), "{}", tool.name);
    }
    // The schemas come from the contract types.
    let show_run = Value::Object((*tools["show_run"].output_schema.clone().unwrap()).clone());
    assert_eq!(show_run["title"], "RunWithArtifacts");
    let show_project =
        Value::Object((*tools["show_project"].output_schema.clone().unwrap()).clone());
    assert_eq!(show_project["title"], "ProjectDetail");
    let plan_schema =
        serde_json::to_string(&*tools["plan_prd"].output_schema.clone().unwrap()).unwrap();
    assert!(plan_schema.contains("ArchitecturePack"), "{plan_schema}");
    assert_eq!(
        tools["sync_issues"].input_schema["properties"]["dry_run"]["default"],
        true
    );

    let prd = fs_err::read_to_string(repo_file("samples/prds/grocery-tiny.txt")).unwrap();
    let planned = answer(
        &tools,
        "plan_prd",
        &call(&session, "plan_prd", json!({"prd_text": prd})).await,
    );
    assert_eq!(planned["model"]["provider"], "offline");
    assert!(planned["figures"]["requirements"].as_u64().unwrap() > 0);
    assert_eq!(
        planned["pack"]["requirements"].as_array().unwrap().len() as u64,
        planned["figures"]["requirements"].as_u64().unwrap()
    );
    assert!(
        planned["summary_markdown"]
            .as_str()
            .unwrap()
            .contains("```mermaid")
    );
    let run_folders = || {
        fs_err::read_dir(&runs).map_or(0, |entries| {
            entries
                .filter_map(Result::ok)
                .filter(|e| e.path().join("run.json").is_file())
                .count()
        })
    };
    assert_eq!(run_folders(), 0, "plan_prd creates no run");

    let created = answer(
        &tools,
        "create_run",
        &call(
            &session,
            "create_run",
            json!({"prd_text": prd, "project": "Groceries"}),
        )
        .await,
    );
    let run_id = created["run"]["run_id"].as_str().unwrap().to_owned();
    assert_eq!(run_folders(), 1);
    assert_eq!(created["model"]["provider"], "offline");
    assert_eq!(created["run"]["revision"], 1);
    assert!(created["figures"]["planned_issues"].as_u64().unwrap() > 0);
    let planned_issues = created["figures"]["planned_issues"].as_u64().unwrap();

    let shown = answer(
        &tools,
        "show_run",
        &call(&session, "show_run", json!({"run": &run_id[..8]})).await,
    );
    assert_eq!(shown["run"]["run_id"], run_id.as_str());
    assert!(
        shown["artifacts"]
            .as_array()
            .unwrap()
            .iter()
            .any(|a| a["name"] == "architecture_pack")
    );

    let project = answer(
        &tools,
        "show_project",
        &call(&session, "show_project", json!({"project": "groceries"})).await,
    );
    assert_eq!(project["project"]["name"], "Groceries");
    assert_eq!(project["revisions"].as_array().unwrap().len(), 1);
    let project_id = project["project"]["project_id"]
        .as_str()
        .unwrap()
        .to_owned();
    let issues_dir = runs.join("projects").join(&project_id).join("issues");

    // The plan's questions, and an approval that settles the blocking ones
    // with their defaults: the sync needs an approved plan.
    let questions = answer(
        &tools,
        "list_questions",
        &call(&session, "list_questions", json!({"run": &run_id[..8]})).await,
    );
    let listed = questions["clarifications"].as_array().unwrap();
    assert!(!listed.is_empty(), "{questions}");
    let text = error_text(&call(&session, "sync_issues", json!({"run": run_id})).await);
    assert!(text.contains("approval_required"), "{text}");
    let approved = answer(
        &tools,
        "approve_plan",
        &call(
            &session,
            "approve_plan",
            json!({"run": run_id, "accept_defaults": true}),
        )
        .await,
    );
    assert_eq!(approved["run_id"], run_id.as_str());
    assert_eq!(approved["plan_state"], "approved", "{approved}");

    // A dry run unless asked: decisions, and no issue written.
    let dry = answer(
        &tools,
        "sync_issues",
        &call(&session, "sync_issues", json!({"run": run_id})).await,
    );
    assert_eq!(dry["dry_run"], true);
    let decisions = serde_json::to_string(&dry["report"]).unwrap();
    assert!(decisions.contains("create"), "{decisions}");
    assert_eq!(issue_files(&issues_dir), 0);

    let synced = answer(
        &tools,
        "sync_issues",
        &call(
            &session,
            "sync_issues",
            json!({"run": run_id, "dry_run": false}),
        )
        .await,
    );
    assert_eq!(synced["dry_run"], false);
    assert_eq!(
        synced["run"]["implementation_state"]["issues"]
            .as_array()
            .unwrap()
            .len() as u64,
        planned_issues
    );
    assert_eq!(issue_files(&issues_dir) as u64, planned_issues);

    // Steering the plan: a refinement and an answer each plan the next
    // revision and say what changed.
    let refined = answer(
        &tools,
        "refine_plan",
        &call(
            &session,
            "refine_plan",
            json!({"project": "Groceries", "request": "Use SQLite instead of PostgreSQL"}),
        )
        .await,
    );
    assert_eq!(refined["run"]["revision"], 2, "{refined}");
    assert!(refined["plan_diff"].is_object(), "{refined}");
    let revision_2 = refined["run"]["run_id"].as_str().unwrap().to_owned();
    let questions = answer(
        &tools,
        "list_questions",
        &call(&session, "list_questions", json!({"run": revision_2})).await,
    );
    let open = questions["clarifications"]
        .as_array()
        .unwrap()
        .iter()
        .find(|q| q["status"] == "open")
        .unwrap_or_else(|| panic!("no open question in {questions}"))
        .clone();
    let answered = answer(
        &tools,
        "answer_question",
        &call(
            &session,
            "answer_question",
            json!({"run": revision_2, "question_id": open["id"], "answer": "Up to fifty households."}),
        )
        .await,
    );
    assert_eq!(answered["outcome"]["clarification"]["id"], open["id"]);
    assert_eq!(answered["outcome"]["clarification"]["status"], "answered");
    assert_eq!(answered["revision"]["run"]["revision"], 3, "{answered}");

    // Mistakes come back as tool errors that say what is wrong.
    let text = error_text(&call(&session, "show_run", json!({"run": "zz"})).await);
    assert!(
        text.contains("is not a run id nor the start of one"),
        "{text}"
    );
    let text = error_text(&call(&session, "plan_prd", json!({"prd_text": "x", "colour": 1})).await);
    assert!(
        text.contains("invalid arguments") && text.contains("colour"),
        "{text}"
    );
    let text = error_text(
        &call(
            &session,
            "create_run",
            json!({"prd_text": prd, "org_constraints_yaml": "stack:\n  language: 5\n"}),
        )
        .await,
    );
    assert!(text.contains("allowed: one of typescript"), "{text}");
    let text = error_text(&call(&session, "show_project", json!({"project": "nope"})).await);
    assert!(text.contains("no project is called"), "{text}");
    assert!(
        session
            .call_tool(CallToolRequestParams::new("no_such_tool"))
            .await
            .is_err()
    );

    session.cancel().await.unwrap();
}

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn an_mcp_client_reads_the_configured_api() {
    let dir = tempfile::tempdir().unwrap();
    let token = "mcp-configured-api-token";
    let serve = spawn_serve(&dir.path().join("runs"), token, &[]).await;
    let session = connect(
        &[],
        &[
            ("PASS_API_BASE_URL", serve.base_url.as_str()),
            ("PASS_API_TOKEN", token),
        ],
    )
    .await;
    let tools: BTreeMap<String, Tool> = session
        .list_all_tools()
        .await
        .unwrap()
        .into_iter()
        .map(|t| (t.name.to_string(), t))
        .collect();
    let prd = fs_err::read_to_string(repo_file("samples/prds/grocery-tiny.txt")).unwrap();
    let created = answer(
        &tools,
        "create_run",
        &call(&session, "create_run", json!({"prd_text": prd})).await,
    );
    let run_id = created["run"]["run_id"].as_str().unwrap();
    // The run is on the served API, in its runs folder.
    assert!(
        dir.path()
            .join("runs")
            .join(run_id)
            .join("run.json")
            .is_file()
    );
    let shown = answer(
        &tools,
        "show_run",
        &call(&session, "show_run", json!({"run": run_id})).await,
    );
    assert_eq!(shown["run"]["status"], created["run"]["status"]);
    session.cancel().await.unwrap();
}
