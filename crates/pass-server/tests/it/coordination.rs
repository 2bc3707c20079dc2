//! The coordination rail over HTTP: a plan's questions as records, the
//! approval gate, answers and refinements that plan the next revision, and
//! a blocking question pausing a sync.

use std::path::Path;

use reqwest::Method;
use serde_json::{Value, json};
use uuid::Uuid;

use crate::support::{
    TestApp, assert_message_contains, expect_error, read_json_file, spawn_app, spawn_app_in,
};

/// The sample pack for `run_id`, with two questions the plan assumed a
/// default for (one about the database: blocking), one the PRD answered,
/// and an open question.
fn pack(run_id: Uuid) -> Value {
    let path =
        Path::new(env!("CARGO_MANIFEST_DIR")).join("../../samples/architecture_pack.sample.json");
    let mut pack: Value = read_json_file(&path);
    pack["run_id"] = json!(run_id);
    pack["clarifications"] = json!([
        {"id": "CL-1", "question": "Which database holds the appointments?",
         "answer": "PostgreSQL on the managed service.", "default_used": true,
         "why_it_matters": "It decides the data store."},
        {"id": "CL-2", "question": "How long is a standard appointment slot?",
         "answer": "30 minutes.", "default_used": true,
         "why_it_matters": "It drives the calendar."},
        {"id": "CL-3", "question": "Which languages does the UI speak?",
         "answer": "English only, as the PRD says.", "default_used": false,
         "why_it_matters": "Translations cost time."}
    ]);
    pack["open_questions"] = json!(["Do we take deposits for no-show prone services?"]);
    pack
}

async fn json_of(response: reqwest::Response, status: u16) -> Value {
    let got = response.status().as_u16();
    let text = response.text().await.unwrap();
    assert_eq!(got, status, "{text}");
    serde_json::from_str(&text).unwrap()
}

async fn new_project(app: &TestApp, name: &str, require_approval: bool) -> Uuid {
    let response = app
        .send(
            Method::POST,
            "/projects",
            Some(json!({"name": name, "require_approval": require_approval})),
        )
        .await;
    let body = json_of(response, 201).await;
    Uuid::parse_str(body["project"]["project_id"].as_str().unwrap()).unwrap()
}

/// A run in `project` whose planner "uploaded" the pack.
async fn planned_run(app: &TestApp, project: Option<Uuid>) -> Uuid {
    let mut body = json!({"prd_text": "# Clinic booking\n\nPatients book appointments."});
    if let Some(project) = project {
        body["project_id"] = json!(project);
    }
    let run = json_of(app.send(Method::POST, "/runs", Some(body)).await, 201).await;
    let run_id = Uuid::parse_str(run["run"]["run_id"].as_str().unwrap()).unwrap();
    let response = app
        .upload(
            run_id,
            "architecture_pack",
            "application/json",
            pack(run_id),
        )
        .await;
    assert_eq!(response.status(), 201);
    run_id
}

async fn questions(app: &TestApp, run_id: Uuid) -> Vec<Value> {
    let body = json_of(
        app.send(Method::GET, &format!("/runs/{run_id}/clarifications"), None)
            .await,
        200,
    )
    .await;
    body["clarifications"].as_array().unwrap().clone()
}

fn find<'a>(questions: &'a [Value], id: &str) -> &'a Value {
    questions
        .iter()
        .find(|q| q["id"] == id)
        .unwrap_or_else(|| panic!("no {id} in {questions:?}"))
}

async fn run_of(app: &TestApp, run_id: Uuid) -> Value {
    json_of(
        app.send(Method::GET, &format!("/runs/{run_id}"), None)
            .await,
        200,
    )
    .await["run"]
        .clone()
}

#[tokio::test]
async fn an_exported_plan_s_questions_become_records_and_the_plan_a_draft() {
    let app = spawn_app(&[]).await;
    let run_id = planned_run(&app, None).await;
    let records = questions(&app, run_id).await;
    assert_eq!(records.len(), 4, "{records:?}");
    let database = find(&records, "CL-1");
    assert_eq!(database["status"], "open");
    assert_eq!(
        database["blocking"], true,
        "the answer changes the data store"
    );
    assert_eq!(
        database["default_assumption"],
        "PostgreSQL on the managed service."
    );
    assert_eq!(database["asked_by"], "plan");
    let slot = find(&records, "CL-2");
    assert_eq!(
        (slot["status"].as_str(), slot["blocking"].as_bool()),
        (Some("open"), Some(false))
    );
    let answered = find(&records, "CL-3");
    assert_eq!(answered["status"], "answered");
    assert_eq!(answered["answer"], "English only, as the PRD says.");
    let open = records
        .iter()
        .find(|q| q["question"] == "Do we take deposits for no-show prone services?")
        .unwrap();
    assert_eq!(open["status"], "open");
    assert!(open.get("default_assumption").is_none());
    assert_eq!(run_of(&app, run_id).await["plan_state"], "draft");
    // The records are in the run's folder.
    let path = app
        .runs_dir
        .join(run_id.to_string())
        .join("clarifications.json");
    let on_disk: Value = read_json_file(&path);
    assert_eq!(on_disk["clarifications"].as_array().unwrap().len(), 4);
    app.stop().await;
}

#[tokio::test]
async fn approval_is_refused_while_a_blocking_question_is_open_and_allowed_after_an_answer() {
    let app = spawn_app(&[]).await;
    let project = new_project(&app, "Gated", true).await;
    let run_id = planned_run(&app, Some(project)).await;

    // Implementation waits for an approved plan.
    let response = app
        .send(
            Method::POST,
            &format!("/runs/{run_id}/dispatch/phase2-implementation"),
            None,
        )
        .await;
    let body = expect_error(response, 409, "approval_required").await;
    assert_message_contains(&body, "not approved");

    let response = app
        .send(Method::POST, &format!("/runs/{run_id}/approve"), None)
        .await;
    let body = expect_error(response, 409, "blocking_clarifications").await;
    assert_message_contains(&body, "CL-1");
    assert_eq!(run_of(&app, run_id).await["plan_state"], "draft");

    let response = app
        .send(
            Method::POST,
            &format!("/runs/{run_id}/clarifications/CL-1/answer"),
            Some(
                json!({"answer": "SQLite for the database", "answered_by": "ana", "replan": false}),
            ),
        )
        .await;
    let outcome = json_of(response, 200).await;
    assert_eq!(outcome["clarification"]["status"], "answered");
    assert_eq!(outcome["clarification"]["answered_by"], "ana");
    assert!(outcome.get("revision_run_id").is_none(), "replan was off");

    let approved = json_of(
        app.send(
            Method::POST,
            &format!("/runs/{run_id}/approve"),
            Some(json!({"approved_by": "lead"})),
        )
        .await,
        200,
    )
    .await;
    assert_eq!(approved["run"]["plan_state"], "approved");
    assert_eq!(approved["run"]["approved_by"], "lead");
    app.stop().await;
}

#[tokio::test]
async fn approval_can_accept_the_defaults_and_seed_runs_need_no_approval() {
    let app = spawn_app(&[]).await;
    let project = new_project(&app, "Defaults", true).await;
    let run_id = planned_run(&app, Some(project)).await;
    let approved = json_of(
        app.send(
            Method::POST,
            &format!("/runs/{run_id}/approve"),
            Some(json!({"accept_defaults": true})),
        )
        .await,
        200,
    )
    .await;
    assert_eq!(approved["run"]["plan_state"], "approved");
    let records = questions(&app, run_id).await;
    let database = find(&records, "CL-1");
    assert_eq!(database["status"], "defaulted");
    assert_eq!(database["answer"], "PostgreSQL on the managed service.");
    assert_eq!(
        find(&records, "CL-2")["status"],
        "open",
        "only blocking ones are settled"
    );

    // A blocking question without a default cannot be accepted.
    let asked = json_of(
        app.send(
            Method::POST,
            &format!("/runs/{run_id}/clarifications"),
            Some(json!({"question": "Which cloud?", "blocking": true})),
        )
        .await,
        201,
    )
    .await;
    let id = asked["id"].as_str().unwrap().to_owned();
    let response = app
        .send(
            Method::POST,
            &format!("/runs/{run_id}/approve"),
            Some(json!({"accept_defaults": true})),
        )
        .await;
    let body = expect_error(response, 409, "blocking_clarifications").await;
    assert_message_contains(&body, &format!("{id} has no default"));
    let response = app
        .send(
            Method::POST,
            &format!("/runs/{run_id}/clarifications/{id}/accept-default"),
            None,
        )
        .await;
    expect_error(response, 409, "run_conflict").await;
    let response = app
        .send(
            Method::POST,
            &format!("/runs/{run_id}/clarifications/NOPE/answer"),
            Some(json!({"answer": "x"})),
        )
        .await;
    expect_error(response, 404, "clarification_not_found").await;

    // A run made the seed's way is its own project, which needs no approval.
    let seed_run = planned_run(&app, None).await;
    let project: Value = json_of(
        app.send(Method::GET, &format!("/projects/{seed_run}"), None)
            .await,
        200,
    )
    .await;
    assert_eq!(project["project"]["require_approval"], false);
    app.stop().await;
}

#[tokio::test]
async fn an_answer_plans_the_next_revision_and_its_questions_keep_their_ids() {
    let dir = crate::support::TempDir::new("coordination-runs");
    let app = spawn_app_in(dir.path(), &[]).await;
    let project = new_project(&app, "Refined", true).await;
    let run_id = planned_run(&app, Some(project)).await;
    let response = app
        .send(
            Method::POST,
            &format!("/runs/{run_id}/clarifications/CL-2/answer"),
            Some(json!({"answer": "45 minutes"})),
        )
        .await;
    // The answer is taken and the revision made; without a planner binary
    // here, its dispatch fails on its own execution.
    let outcome = json_of(response, 200).await;
    let next = Uuid::parse_str(outcome["revision_run_id"].as_str().unwrap()).unwrap();
    let detail: Value = json_of(
        app.send(Method::GET, &format!("/projects/{project}"), None)
            .await,
        200,
    )
    .await;
    let revisions = detail["revisions"].as_array().unwrap();
    assert_eq!(revisions.len(), 2, "{detail}");
    assert_eq!(revisions[1]["run_id"], json!(next));
    let revision = run_of(&app, next).await;
    assert_eq!(revision["revision"], 2);
    assert_eq!(revision["execution"]["status"], "failed");
    assert_eq!(revision["execution"]["workflow_name"], "phase1-planner");
    let input = &revision["input"];
    assert_eq!(input["refinement"]["base_run_id"], json!(run_id));
    assert_eq!(input["refinement"]["answers"][0]["id"], "CL-2");
    assert_eq!(input["refinement"]["answers"][0]["answer"], "45 minutes");

    // Its planner's pack asks the same questions: same ids, the answer kept.
    let response = app
        .upload(next, "architecture_pack", "application/json", pack(next))
        .await;
    assert_eq!(response.status(), 201);
    let records = questions(&app, next).await;
    let slot = find(&records, "CL-2");
    assert_eq!(slot["status"], "answered");
    assert_eq!(slot["answer"], "45 minutes");
    assert_eq!(find(&records, "CL-1")["status"], "open");

    // A change request plans a revision too.
    let response = app
        .send(
            Method::POST,
            &format!("/projects/{project}/refinements"),
            Some(json!({"request": "Use SQLite instead of PostgreSQL", "requested_by": "lead"})),
        )
        .await;
    let created = json_of(response, 201).await;
    assert_eq!(created["run"]["revision"], 3);
    assert_eq!(created["run"]["input"]["requested_by"], "lead");
    let detail: Value = json_of(
        app.send(Method::GET, &format!("/projects/{project}"), None)
            .await,
        200,
    )
    .await;
    assert_eq!(detail["revisions"].as_array().unwrap().len(), 3);
    app.stop().await;
}

#[tokio::test]
async fn a_blocking_question_asked_during_a_sync_asks_it_to_pause() {
    let app = spawn_app(&[]).await;
    let run_id = planned_run(&app, None).await;
    // An implementation execution is under way (queued by hand through the store).
    let guard = app
        .server
        .as_ref()
        .unwrap()
        .store()
        .lock_run(run_id)
        .await
        .unwrap();
    let mut detail = guard.load().await.unwrap();
    detail.execution = Some(pass_contracts::Execution {
        execution_id: Some(Uuid::new_v4()),
        backend: pass_contracts::ExecutionBackend::Local,
        workflow_name: pass_contracts::WorkflowName::Implementation,
        status: pass_contracts::ExecutionStatus::Running,
        github_run_id: None,
        github_run_url: None,
        requested_at: pass_contracts::Timestamp::now(),
        started_at: Some(pass_contracts::Timestamp::now()),
        completed_at: None,
        error_message: None,
        pause_reason: None,
    });
    guard.save(&detail).await.unwrap();
    drop(guard);

    let non_blocking = json_of(
        app.send(
            Method::POST,
            &format!("/runs/{run_id}/clarifications"),
            Some(json!({"question": "Should the button be green?"})),
        )
        .await,
        201,
    )
    .await;
    assert_eq!(non_blocking["blocking"], false);
    assert!(
        run_of(&app, run_id).await["execution"]
            .get("pause_reason")
            .is_none()
    );

    let blocking = json_of(
        app.send(
            Method::POST,
            &format!("/runs/{run_id}/clarifications"),
            Some(
                json!({"question": "Must data stay in the EU?", "blocking": true,
                        "default_assumption": "Yes", "asked_by": "compliance-bot"}),
            ),
        )
        .await,
        201,
    )
    .await;
    let id = blocking["id"].as_str().unwrap();
    let reason = run_of(&app, run_id).await["execution"]["pause_reason"].clone();
    assert!(reason.as_str().unwrap().contains(id), "{reason}");

    // The agent reports it paused: a final state; a new dispatch is allowed.
    let response = app
        .send(
            Method::PATCH,
            &format!("/runs/{run_id}/execution"),
            Some(json!({"status": "paused"})),
        )
        .await;
    let run = json_of(response, 200).await;
    assert_eq!(run["run"]["execution"]["status"], "paused");
    let response = app
        .send(
            Method::PATCH,
            &format!("/runs/{run_id}/execution"),
            Some(json!({"status": "succeeded"})),
        )
        .await;
    expect_error(response, 400, "bad_transition").await;
    app.stop().await;
}
