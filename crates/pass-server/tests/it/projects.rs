//! Projects over real HTTP: creation and uniqueness, revisions numbered under
//! concurrency, old runs folders adopted without a byte changed, durability
//! and rebuild across restarts, sync leases, execution ids, dispatch options
//! and the backlog summary.

use std::collections::BTreeSet;
use std::os::unix::fs::PermissionsExt;
use std::path::{Path, PathBuf};
use std::time::Duration;

use pass_contracts::Timestamp;
use reqwest::Method;
use serde_json::{Value, json};
use uuid::Uuid;

use crate::support::{
    TOKEN, TempDir, TestApp, assert_message_contains, expect_error, spawn_app, spawn_app_in,
};

/// Asserts `response` answered `status` and returns its JSON body.
async fn json_answer(response: reqwest::Response, status: u16) -> Value {
    let got = response.status().as_u16();
    let text = response.text().await.unwrap();
    assert_eq!(got, status, "body: {text}");
    serde_json::from_str(&text).unwrap_or_else(|e| panic!("not JSON ({e}): {text}"))
}

async fn get_json(app: &TestApp, path: &str) -> Value {
    json_answer(app.send(Method::GET, path, None).await, 200).await
}

/// Creates a project, which must be accepted; answers its record.
async fn new_project(app: &TestApp, body: Value) -> Value {
    let response = app.send(Method::POST, "/projects", Some(body)).await;
    json_answer(response, 201).await["project"].clone()
}

/// Creates a run, in `project` when given; answers the run.
async fn new_run(app: &TestApp, prd: &str, project: Option<Uuid>) -> Value {
    let mut body = json!({"prd_text": prd});
    if let Some(project) = project {
        body["project_id"] = json!(project);
    }
    let response = app.send(Method::POST, "/runs", Some(body)).await;
    json_answer(response, 201).await["run"].clone()
}

fn id_of(value: &Value, field: &str) -> Uuid {
    Uuid::parse_str(
        value[field]
            .as_str()
            .unwrap_or_else(|| panic!("{field} in {value}")),
    )
    .unwrap()
}

fn time_of(value: &Value, field: &str) -> Timestamp {
    Timestamp::parse(
        value[field]
            .as_str()
            .unwrap_or_else(|| panic!("{field} in {value}")),
    )
    .unwrap()
}

/// The first 12 hex digits of an id, as implied project names show them.
fn short(id: Uuid) -> String {
    id.simple().to_string()[..12].to_owned()
}

/// The names of a `GET /projects` page, in its order.
fn project_names(list: &Value) -> Vec<String> {
    list["projects"]
        .as_array()
        .unwrap()
        .iter()
        .map(|row| row["project"]["name"].as_str().unwrap().to_owned())
        .collect()
}

/// The (revision, run id) pairs `GET /projects/{id}` lists, in its order.
fn revisions(detail: &Value) -> Vec<(u64, Uuid)> {
    detail["revisions"]
        .as_array()
        .unwrap()
        .iter()
        .map(|r| (r["revision"].as_u64().unwrap(), id_of(r, "run_id")))
        .collect()
}

/// Lets the millisecond clock move on, so creation times differ.
async fn tick() {
    tokio::time::sleep(Duration::from_millis(5)).await;
}

#[tokio::test]
async fn projects_are_created_with_unique_names_whatever_their_case() {
    let app = spawn_app(&[]).await;
    let project = new_project(
        &app,
        json!({"name": "Kanban Board", "description": "One board for the team"}),
    )
    .await;
    let id = id_of(&project, "project_id");
    assert_eq!(project["name"], "Kanban Board");
    assert_eq!(project["description"], "One board for the team");
    assert_eq!(project["created_at"], project["last_updated_at"]);
    assert!(project.get("issue_target").is_none(), "{project}");
    // The record is on disk before the answer, exactly as answered.
    let stored: Value = crate::support::read_json_file(
        &app.runs_dir
            .join("projects")
            .join(id.to_string())
            .join("project.json"),
    );
    assert_eq!(stored, project);

    // Another case, or surrounding spaces: the same name.
    for taken in ["kanban board", "  KANBAN BOARD  ", "Kanban Board "] {
        let response = app
            .send(Method::POST, "/projects", Some(json!({"name": taken})))
            .await;
        let body = expect_error(response, 409, "project_conflict").await;
        assert_message_contains(&body, &id.to_string());
    }
    // Names are stored trimmed, and the trimmed name is what is unique.
    let padded = new_project(&app, json!({"name": "  Tide Tables  "})).await;
    assert_eq!(padded["name"], "Tide Tables");
    let response = app
        .send(
            Method::POST,
            "/projects",
            Some(json!({"name": "tide tables"})),
        )
        .await;
    let body = expect_error(response, 409, "project_conflict").await;
    assert_message_contains(&body, padded["project_id"].as_str().unwrap());
    // 100 characters is the longest name.
    let longest = "n".repeat(100);
    assert_eq!(
        new_project(&app, json!({"name": longest})).await["name"],
        longest.as_str()
    );

    let listed = get_json(&app, "/projects").await;
    assert_eq!(listed["total"], 3);
    app.stop().await;
}

/// Ten requests for one name, spelt ten ways, at once: one project.
#[tokio::test]
async fn concurrent_creations_of_one_name_make_one_project() {
    let app = spawn_app(&[]).await;
    let spellings = [
        "Race", "race", "RACE", " Race", "Race ", "rAce", "raCe", "racE", "RaCe", "rAcE",
    ];
    let attempts = spellings.map(|name| {
        let app = &app;
        async move {
            let response = app
                .send(Method::POST, "/projects", Some(json!({"name": name})))
                .await;
            let status = response.status().as_u16();
            (status, response.json::<Value>().await.unwrap())
        }
    });
    let answers = futures::future::join_all(attempts).await;
    let created: Vec<&Value> = answers
        .iter()
        .filter(|(status, _)| *status == 201)
        .map(|(_, body)| body)
        .collect();
    assert_eq!(created.len(), 1, "{answers:?}");
    let winner = created[0]["project"]["project_id"].as_str().unwrap();
    for (status, body) in answers.iter().filter(|(status, _)| *status != 201) {
        assert_eq!(*status, 409, "{body}");
        assert_eq!(body["error"], "project_conflict");
        assert_message_contains(body, winner);
    }
    assert_eq!(get_json(&app, "/projects").await["total"], 1);
    let records = fs_err::read_dir(app.runs_dir.join("projects"))
        .unwrap()
        .count();
    assert_eq!(records, 1);
    app.stop().await;
}

#[tokio::test]
async fn bad_project_bodies_are_refused_with_the_field_path_and_create_nothing() {
    let app = spawn_app(&[]).await;
    let cases = [
        (json!({"name": "   "}), "name"),
        (json!({"name": ""}), "name"),
        (json!({"name": "x".repeat(101)}), "name"),
        (json!({"name": "first\nsecond"}), "name"),
        (json!({"name": "tab\there"}), "name"),
        (json!({"name": 42}), "name"),
        (json!({"name": "ok", "description": " "}), "description"),
        (json!({"name": "ok", "owner": "me"}), "owner"),
    ];
    for (body, path) in cases {
        let response = app
            .send(Method::POST, "/projects", Some(body.clone()))
            .await;
        let answer = expect_error(response, 400, "bad_request").await;
        assert_eq!(answer["issues"][0]["path"], path, "{body} -> {answer}");
    }
    let too_long = app
        .send(
            Method::POST,
            "/projects",
            Some(json!({"name": "x".repeat(101)})),
        )
        .await;
    let answer = expect_error(too_long, 400, "bad_request").await;
    assert_message_contains(&answer, "100");

    let response = app
        .authed(Method::POST, "/projects")
        .header("content-type", "text/plain")
        .body(r#"{"name": "Plain"}"#)
        .send()
        .await
        .unwrap();
    let answer = expect_error(response, 415, "unsupported_media_type").await;
    assert_message_contains(&answer, "application/json");
    let response = app
        .authed(Method::POST, "/projects")
        .header("content-type", "application/json")
        .body("{\"name\": ")
        .send()
        .await
        .unwrap();
    expect_error(response, 400, "bad_request").await;

    let listed = get_json(&app, "/projects").await;
    assert_eq!(listed["total"], 0, "{listed}");
    assert!(!app.runs_dir.join("projects").exists());
    app.stop().await;
}

#[tokio::test]
async fn projects_are_listed_most_recently_active_first_paged_and_found_by_name() {
    let app = spawn_app(&[]).await;
    let mut ids = Vec::new();
    for name in ["Alpha", "Bravo", "Charlie"] {
        ids.push(id_of(
            &new_project(&app, json!({"name": name})).await,
            "project_id",
        ));
        tick().await;
    }
    let listed = get_json(&app, "/projects").await;
    assert_eq!(listed["total"], 3);
    assert_eq!(project_names(&listed), ["Charlie", "Bravo", "Alpha"]);
    assert_eq!(listed["projects"][0]["revisions"], 0);
    assert!(listed["projects"][0].get("latest").is_none());

    // A new revision makes its project the most recently active.
    let run = new_run(&app, "# Alpha\n\nv1", Some(ids[0])).await;
    let listed = get_json(&app, "/projects").await;
    assert_eq!(project_names(&listed), ["Alpha", "Charlie", "Bravo"]);
    let alpha = &listed["projects"][0];
    assert_eq!(alpha["revisions"], 1);
    assert_eq!(alpha["latest"]["run_id"], run["run_id"]);
    assert_eq!(alpha["latest"]["revision"], 1);

    let page = get_json(&app, "/projects?limit=2&offset=1").await;
    assert_eq!(page["total"], 3);
    assert_eq!(project_names(&page), ["Charlie", "Bravo"]);
    let page = get_json(&app, "/projects?limit=0").await;
    assert_eq!(
        (
            page["total"].as_u64(),
            page["projects"].as_array().unwrap().len()
        ),
        (Some(3), 0)
    );
    let page = get_json(&app, "/projects?offset=7").await;
    assert_eq!(
        (
            page["total"].as_u64(),
            page["projects"].as_array().unwrap().len()
        ),
        (Some(3), 0)
    );

    for query in ["bravo", "BRAVO", "Bravo"] {
        let found = get_json(&app, &format!("/projects?name={query}")).await;
        assert_eq!(found["total"], 1, "{query}: {found}");
        assert_eq!(found["projects"][0]["project"]["project_id"], json!(ids[1]));
    }
    let found = get_json(&app, "/projects?name=Delta").await;
    assert_eq!(
        (
            found["total"].as_u64(),
            found["projects"].as_array().unwrap().len()
        ),
        (Some(0), 0)
    );

    for bad in ["/projects?limit=many", "/projects?offset=-1"] {
        let body = expect_error(app.send(Method::GET, bad, None).await, 400, "bad_request").await;
        assert_message_contains(&body, "query");
    }
    app.stop().await;
}

#[tokio::test]
async fn a_project_is_read_with_its_revisions_and_unknown_ids_are_404() {
    let app = spawn_app(&[]).await;
    let project = new_project(&app, json!({"name": "Reader"})).await;
    let id = id_of(&project, "project_id");
    let detail = get_json(&app, &format!("/projects/{id}")).await;
    assert_eq!(detail["project"], project);
    assert_eq!(detail["revisions"], json!([]));
    assert!(detail.get("backlog").is_none(), "{detail}");

    for unknown in [Uuid::new_v4().to_string(), "not-a-uuid".to_owned()] {
        let response = app
            .send(Method::GET, &format!("/projects/{unknown}"), None)
            .await;
        let body = expect_error(response, 404, "project_not_found").await;
        assert_message_contains(&body, &unknown);
    }
    app.stop().await;
}

#[tokio::test]
async fn runs_of_a_project_are_its_revisions_in_order() {
    let app = spawn_app(&[]).await;
    let project = id_of(
        &new_project(&app, json!({"name": "Shelf"})).await,
        "project_id",
    );
    let mut runs = Vec::new();
    for n in 1..=3u64 {
        let run = new_run(&app, &format!("# Shelf\n\nversion {n}"), Some(project)).await;
        assert_eq!(run["project_id"], json!(project));
        assert_eq!(run["revision"], n);
        runs.push(run);
        tick().await;
    }
    for (n, run) in runs.iter().enumerate() {
        let id = id_of(run, "run_id");
        let read = get_json(&app, &format!("/runs/{id}")).await;
        assert_eq!(read["run"]["project_id"], json!(project));
        assert_eq!(read["run"]["revision"], n as u64 + 1);
    }
    // A revision's status is its run's, as it is now.
    let second = id_of(&runs[1], "run_id");
    let response = app
        .send(
            Method::PATCH,
            &format!("/runs/{second}"),
            Some(json!({"status": "plan_generated"})),
        )
        .await;
    json_answer(response, 200).await;

    let detail = get_json(&app, &format!("/projects/{project}")).await;
    let listed = detail["revisions"].as_array().unwrap();
    assert_eq!(listed.len(), 3);
    for (n, (row, run)) in listed.iter().zip(&runs).enumerate() {
        assert_eq!(row["run_id"], run["run_id"]);
        assert_eq!(row["revision"], n as u64 + 1);
        assert_eq!(row["created_at"], run["created_at"]);
        let status = if n == 1 { "plan_generated" } else { "created" };
        assert_eq!(row["status"], status);
    }
    let row = get_json(&app, "/projects?name=shelf").await["projects"][0].clone();
    assert_eq!(row["revisions"], 3);
    assert_eq!(row["latest"]["run_id"], runs[2]["run_id"]);
    app.stop().await;
}

#[tokio::test]
async fn twenty_runs_created_at_once_get_twenty_consecutive_revisions() {
    let app = spawn_app(&[]).await;
    let project = id_of(
        &new_project(&app, json!({"name": "Busy"})).await,
        "project_id",
    );
    let creations = (0..20).map(|n| {
        let app = &app;
        async move { new_run(app, &format!("# Busy\n\ndraft {n}"), Some(project)).await }
    });
    let runs = futures::future::join_all(creations).await;
    let mut numbers: Vec<u64> = runs
        .iter()
        .map(|r| r["revision"].as_u64().unwrap())
        .collect();
    numbers.sort_unstable();
    assert_eq!(numbers, (1..=20).collect::<Vec<u64>>());

    let detail = get_json(&app, &format!("/projects/{project}")).await;
    let listed = revisions(&detail);
    assert_eq!(
        listed.iter().map(|(n, _)| *n).collect::<Vec<_>>(),
        (1..=20).collect::<Vec<u64>>()
    );
    let answered: BTreeSet<(u64, Uuid)> = runs
        .iter()
        .map(|r| (r["revision"].as_u64().unwrap(), id_of(r, "run_id")))
        .collect();
    assert_eq!(listed.into_iter().collect::<BTreeSet<_>>(), answered);
    // Each run.json holds the number it was answered with.
    for (revision, run_id) in &answered {
        let stored: Value =
            crate::support::read_json_file(&app.runs_dir.join(run_id.to_string()).join("run.json"));
        assert_eq!(stored["revision"], *revision);
        assert_eq!(stored["project_id"], json!(project));
    }
    app.stop().await;
}

#[tokio::test]
async fn a_run_naming_an_unknown_project_is_refused_and_leaves_nothing() {
    let app = spawn_app(&[]).await;
    let unknown = Uuid::new_v4();
    let response = app
        .send(
            Method::POST,
            "/runs",
            Some(json!({"prd_text": "# Lost", "project_id": unknown})),
        )
        .await;
    let body = expect_error(response, 404, "project_not_found").await;
    assert_eq!(body["issues"][0]["path"], "project_id", "{body}");
    assert_message_contains(&body, &unknown.to_string());
    let response = app
        .send(
            Method::POST,
            "/runs",
            Some(json!({"prd_text": "# Lost", "project_id": "kanban"})),
        )
        .await;
    let body = expect_error(response, 400, "bad_request").await;
    assert_eq!(body["issues"][0]["path"], "project_id", "{body}");

    assert_eq!(get_json(&app, "/runs").await["total"], 0);
    assert_eq!(get_json(&app, "/projects").await["total"], 0);
    let folders: Vec<_> = fs_err::read_dir(&app.runs_dir)
        .unwrap()
        .map(|e| e.unwrap().file_name())
        .filter(|name| Uuid::parse_str(&name.to_string_lossy()).is_ok())
        .collect();
    assert!(folders.is_empty(), "{folders:?}");
    app.stop().await;
}

#[tokio::test]
async fn a_run_without_a_project_is_revision_one_of_its_own_project() {
    let app = spawn_app(&[]).await;
    let run = new_run(
        &app,
        "\n# Tide Tables – harbour app\n\nShow the tides.",
        None,
    )
    .await;
    let run_id = id_of(&run, "run_id");
    assert_eq!(run["project_id"], json!(run_id));
    assert_eq!(run["revision"], 1);
    let name = format!("Tide Tables – harbour app ({})", short(run_id));

    let listed = get_json(&app, "/projects").await;
    assert_eq!(listed["total"], 1);
    assert_eq!(project_names(&listed), std::slice::from_ref(&name));
    let found = get_json(&app, &format!("/projects?name={}", name.to_uppercase())).await;
    assert_eq!(found["total"], 1, "{found}");
    let detail = get_json(&app, &format!("/projects/{run_id}")).await;
    assert_eq!(detail["project"]["project_id"], json!(run_id));
    assert_eq!(detail["project"]["created_at"], run["created_at"]);
    assert_eq!(revisions(&detail), [(1, run_id)]);
    // Its name is taken like any other.
    let response = app
        .send(Method::POST, "/projects", Some(json!({"name": name})))
        .await;
    let body = expect_error(response, 409, "project_conflict").await;
    assert_message_contains(&body, &run_id.to_string());

    // A later run can join it as revision 2.
    let next = new_run(&app, "# Tide Tables – harbour app\n\nv2", Some(run_id)).await;
    assert_eq!(next["revision"], 2);
    let detail = get_json(&app, &format!("/projects/{run_id}")).await;
    assert_eq!(
        revisions(&detail),
        [(1, run_id), (2, id_of(&next, "run_id"))]
    );
    app.stop().await;
}

/// Writes `value` as a seed-era `run.json` in the seed's own key order and
/// spacing (not the server's), so a rewrite would show as changed bytes.
fn write_seed_run(root: &Path, run_id: Uuid, text: &str) -> PathBuf {
    let dir = root.join(run_id.to_string());
    fs_err::create_dir_all(&dir).unwrap();
    let path = dir.join("run.json");
    fs_err::write(&path, text).unwrap();
    path
}

fn all_bytes(paths: &[PathBuf]) -> Vec<Vec<u8>> {
    paths.iter().map(|p| fs_err::read(p).unwrap()).collect()
}

#[tokio::test]
async fn a_runs_folder_from_before_projects_loads_unchanged() {
    let dir = TempDir::new("seed-projects");
    let (full, bare, plain) = (Uuid::new_v4(), Uuid::new_v4(), Uuid::new_v4());
    let paths = [
        write_seed_run(
            dir.path(),
            full,
            &format!(
                r##"{{
    "status": "exported",
    "run_id": "{full}",
    "current_step": "export",
    "last_updated_at": "2026-01-10T09:05:00.000Z",
    "created_at": "2026-01-10T09:00:00.000Z",
    "step_timestamps": {{"created": "2026-01-10T09:00:00.000Z", "export": "2026-01-10T09:05:00.000Z"}},
    "input": {{"prd_text": "# Harbour Ledger\n\nTrack moorings.", "requested_by": "seed", "source": {{"trigger": "api"}}}},
    "execution": {{"backend": "local", "workflow_name": "phase2-implementation", "status": "succeeded",
        "requested_at": "2026-01-10T09:01:00.000Z", "started_at": "2026-01-10T09:01:01.000Z", "completed_at": "2026-01-10T09:04:00.000Z"}},
    "implementation_state": {{"synced_at": "2026-01-10T09:04:00.000Z", "issues": [
        {{"plan_item_id": "ISSUE-001", "title": "Moorings", "issue_number": 1, "github_state": "open",
          "sync_status": "created", "labels": [], "last_synced_at": "2026-01-10T09:04:00.000Z"}}]}}
}}"##
            ),
        ),
        write_seed_run(
            dir.path(),
            bare,
            &format!(
                r#"{{"run_id":"{bare}","created_at":"2026-01-11T00:00:00.000Z","status":"created","current_step":"created","last_updated_at":"2026-01-11T00:00:00.000Z"}}"#
            ),
        ),
        write_seed_run(
            dir.path(),
            plain,
            &format!(
                "{{ \"run_id\": \"{plain}\", \"created_at\": \"2026-01-12T00:00:00.000Z\", \"status\": \"failed\",\n  \"current_step\": \"parse\", \"last_updated_at\": \"2026-01-12T00:01:00.000Z\",\n  \"input\": {{ \"prd_text\": \"A tool to split bills among friends\\nwith no heading at all\" }} }}\n"
            ),
        ),
    ];
    let before = all_bytes(&paths);

    let app = spawn_app_in(dir.path(), &[]).await;
    assert_eq!(all_bytes(&paths), before, "start-up rewrote a run.json");
    for (id, status) in [(full, "exported"), (bare, "created"), (plain, "failed")] {
        let read = get_json(&app, &format!("/runs/{id}")).await;
        assert_eq!(read["run"]["project_id"], json!(id));
        assert_eq!(read["run"]["revision"], 1);
        assert_eq!(read["run"]["status"], status);
        let detail = get_json(&app, &format!("/projects/{id}")).await;
        assert_eq!(revisions(&detail), [(1, id)]);
        assert_eq!(detail["revisions"][0]["status"], status);
        assert_eq!(
            detail["revisions"][0]["created_at"],
            read["run"]["created_at"]
        );
    }
    let listed = get_json(&app, "/projects").await;
    assert_eq!(listed["total"], 3);
    // Newest first, each named after its PRD (or its run when it has none).
    assert_eq!(
        project_names(&listed),
        [
            format!("A tool to split bills among friends ({})", short(plain)),
            format!("Run {}", short(bare)),
            format!("Harbour Ledger ({})", short(full)),
        ]
    );
    // The seed's sync shows as the backlog of its project.
    let detail = get_json(&app, &format!("/projects/{full}")).await;
    assert_eq!(detail["backlog"]["open"], 1);
    assert_eq!(detail["backlog"]["outcomes"], json!({"created": 1}));
    assert_eq!(all_bytes(&paths), before, "a read rewrote a run.json");
    assert!(
        !dir.path().join("projects").exists(),
        "reads created project records"
    );

    // A new revision of an adopted project leaves revision 1 as it was.
    let next = new_run(&app, "# Harbour Ledger\n\nv2", Some(full)).await;
    assert_eq!(next["revision"], 2);
    app.stop().await;
    assert_eq!(all_bytes(&paths), before);

    let app = spawn_app_in(dir.path(), &[]).await;
    let detail = get_json(&app, &format!("/projects/{full}")).await;
    assert_eq!(revisions(&detail), [(1, full), (2, id_of(&next, "run_id"))]);
    assert_eq!(get_json(&app, "/projects").await["total"], 3);
    app.stop().await;
    assert_eq!(all_bytes(&paths), before);
}

#[tokio::test]
async fn projects_and_revisions_survive_a_restart() {
    let dir = TempDir::new("projects-restart");
    let app = spawn_app_in(dir.path(), &[]).await;
    let project = new_project(&app, json!({"name": "Durable", "description": "kept"})).await;
    let id = id_of(&project, "project_id");
    let first = new_run(&app, "# Durable", Some(id)).await;
    let second = new_run(&app, "# Durable\n\nv2", Some(id)).await;
    let empty = new_project(&app, json!({"name": "Empty"})).await;
    let before = get_json(&app, &format!("/projects/{id}")).await;
    app.stop().await;

    let app = spawn_app_in(dir.path(), &[]).await;
    let after = get_json(&app, &format!("/projects/{id}")).await;
    assert_eq!(after, before);
    assert_eq!(
        revisions(&after),
        [(1, id_of(&first, "run_id")), (2, id_of(&second, "run_id"))]
    );
    let empty_after = get_json(
        &app,
        &format!("/projects/{}", empty["project_id"].as_str().unwrap()),
    )
    .await;
    assert_eq!(empty_after["project"], empty);
    assert_eq!(get_json(&app, "/projects").await["total"], 2);
    // Names stay taken, and numbering carries on.
    let response = app
        .send(Method::POST, "/projects", Some(json!({"name": "DURABLE"})))
        .await;
    expect_error(response, 409, "project_conflict").await;
    let third = new_run(&app, "# Durable\n\nv3", Some(id)).await;
    assert_eq!(third["revision"], 3);
    app.stop().await;
}

#[tokio::test]
async fn a_corrupt_run_keeps_its_revision_number_taken() {
    let dir = TempDir::new("projects-corrupt-run");
    let app = spawn_app_in(dir.path(), &[]).await;
    let id = id_of(
        &new_project(&app, json!({"name": "Numbered"})).await,
        "project_id",
    );
    new_run(&app, "# Numbered", Some(id)).await;
    let second = id_of(&new_run(&app, "# Numbered\n\nv2", Some(id)).await, "run_id");
    app.stop().await;
    // Broken against the contract, still readable as JSON.
    let path = dir.path().join(second.to_string()).join("run.json");
    let mut run: Value = serde_json::from_str(&fs_err::read_to_string(&path).unwrap()).unwrap();
    run["status"] = json!("exploded");
    fs_err::write(&path, serde_json::to_vec(&run).unwrap()).unwrap();

    let app = spawn_app_in(dir.path(), &[]).await;
    let third = new_run(&app, "# Numbered\n\nv3", Some(id)).await;
    assert_eq!(
        third["revision"], 3,
        "revision 2 stays taken by the corrupt run"
    );
    let health = app.get_public_json("/healthz").await;
    assert_eq!(health["store"]["corrupt_runs"], 1, "{health}");
    app.stop().await;
}

#[tokio::test]
async fn a_body_that_is_not_an_object_is_refused() {
    let app = spawn_app(&[]).await;
    let id = id_of(
        &new_project(&app, json!({"name": "Shapes"})).await,
        "project_id",
    );
    let response = app
        .send(
            Method::POST,
            &format!("/projects/{id}/sync-leases"),
            Some(json!(["local", "me"])),
        )
        .await;
    let body = expect_error(response, 400, "bad_request").await;
    assert_message_contains(&body, "must be a JSON object");
    app.stop().await;
}

#[tokio::test]
async fn a_lost_project_record_is_rebuilt_from_its_runs() {
    let dir = TempDir::new("projects-lost");
    let app = spawn_app_in(dir.path(), &[]).await;
    let id = id_of(
        &new_project(&app, json!({"name": "Fragile"})).await,
        "project_id",
    );
    let runs: Vec<Uuid> = [
        new_run(&app, "# Fragile", Some(id)).await,
        new_run(&app, "# Fragile\n\nv2", Some(id)).await,
    ]
    .iter()
    .map(|r| id_of(r, "run_id"))
    .collect();
    app.stop().await;
    fs_err::remove_file(
        dir.path()
            .join("projects")
            .join(id.to_string())
            .join("project.json"),
    )
    .unwrap();

    let app = spawn_app_in(dir.path(), &[]).await;
    let detail = get_json(&app, &format!("/projects/{id}")).await;
    let name = format!("Project {}", short(id));
    assert_eq!(detail["project"]["name"], name.as_str());
    assert_eq!(revisions(&detail), [(1, runs[0]), (2, runs[1])]);
    let found = get_json(&app, &format!("/projects?name={name}")).await;
    assert_eq!(found["projects"][0]["project"]["project_id"], json!(id));
    assert_eq!(
        new_run(&app, "# Fragile\n\nv3", Some(id)).await["revision"],
        3
    );
    for run in &runs {
        assert_eq!(
            get_json(&app, &format!("/runs/{run}")).await["run"]["project_id"],
            json!(id)
        );
    }
    app.stop().await;
}

#[tokio::test]
async fn a_corrupt_project_record_is_reported_and_never_rewritten() {
    let dir = TempDir::new("projects-corrupt");
    let app = spawn_app_in(dir.path(), &[]).await;
    let with_runs = id_of(
        &new_project(&app, json!({"name": "Has runs"})).await,
        "project_id",
    );
    let run = id_of(
        &new_run(&app, "# Has runs", Some(with_runs)).await,
        "run_id",
    );
    let without_runs = id_of(
        &new_project(&app, json!({"name": "No runs"})).await,
        "project_id",
    );
    let healthy = id_of(
        &new_project(&app, json!({"name": "Healthy"})).await,
        "project_id",
    );
    app.stop().await;

    let garbage: &[u8] = b"{\"project_id\": \"trunc";
    let record = |id: Uuid| {
        dir.path()
            .join("projects")
            .join(id.to_string())
            .join("project.json")
    };
    for id in [with_runs, without_runs] {
        fs_err::write(record(id), garbage).unwrap();
    }

    let app = spawn_app_in(dir.path(), &[]).await;
    for id in [with_runs, without_runs] {
        let response = app
            .send(Method::GET, &format!("/projects/{id}"), None)
            .await;
        let body = expect_error(response, 500, "internal_error").await;
        assert_message_contains(&body, "project.json");
        assert_message_contains(&body, "corrupt");
        // Nothing is written into a project whose record cannot be read:
        // no revision, no lease.
        let response = app
            .send(
                Method::POST,
                "/runs",
                Some(json!({"prd_text": "# More", "project_id": id})),
            )
            .await;
        let body = expect_error(response, 500, "internal_error").await;
        assert_message_contains(&body, "project.json");
        let response = app
            .send(
                Method::POST,
                &format!("/projects/{id}/sync-leases"),
                Some(json!({"target": "local", "holder": "it"})),
            )
            .await;
        expect_error(response, 500, "internal_error").await;
    }
    assert_eq!(get_json(&app, "/runs").await["total"], 1);
    let listed = get_json(&app, "/projects").await;
    assert_eq!(project_names(&listed), ["Healthy"]);
    assert_eq!(
        get_json(&app, &format!("/projects/{healthy}")).await["project"]["name"],
        "Healthy"
    );
    assert_eq!(
        get_json(&app, &format!("/runs/{run}")).await["run"]["project_id"],
        json!(with_runs)
    );
    app.stop().await;
    for id in [with_runs, without_runs] {
        assert_eq!(fs_err::read(record(id)).unwrap(), garbage);
    }
}

fn lease_body(target: &str, holder: &str) -> Value {
    json!({"target": target, "holder": holder})
}

async fn acquire(app: &TestApp, project: Uuid, body: Value) -> reqwest::Response {
    app.send(
        Method::POST,
        &format!("/projects/{project}/sync-leases"),
        Some(body),
    )
    .await
}

async fn renew(app: &TestApp, project: Uuid, lease: Uuid) -> reqwest::Response {
    app.send(
        Method::PUT,
        &format!("/projects/{project}/sync-leases/{lease}"),
        None,
    )
    .await
}

async fn release(app: &TestApp, project: Uuid, lease: Uuid) -> reqwest::Response {
    app.send(
        Method::DELETE,
        &format!("/projects/{project}/sync-leases/{lease}"),
        None,
    )
    .await
}

fn seconds_between(lease: &Value, from: &str, to: &str) -> i64 {
    (time_of(lease, to).as_datetime() - time_of(lease, from).as_datetime()).num_seconds()
}

#[tokio::test]
async fn one_sync_lease_per_project_and_target_until_released() {
    let app = spawn_app(&[]).await;
    let project = id_of(
        &new_project(&app, json!({"name": "Leased"})).await,
        "project_id",
    );
    let run = id_of(&new_run(&app, "# Leased", Some(project)).await, "run_id");
    let execution = Uuid::new_v4();
    let response = acquire(
        &app,
        project,
        json!({"target": "github:acme/shop", "holder": "agent pid 41 on build-1",
               "run_id": run, "execution_id": execution, "ttl_seconds": 60}),
    )
    .await;
    let lease = json_answer(response, 201).await["lease"].clone();
    let lease_id = id_of(&lease, "lease_id");
    assert_eq!(lease["project_id"], json!(project));
    assert_eq!(lease["target"], "github:acme/shop");
    assert_eq!(lease["holder"], "agent pid 41 on build-1");
    assert_eq!(lease["run_id"], json!(run));
    assert_eq!(lease["execution_id"], json!(execution));
    assert_eq!(lease["ttl_seconds"], 60);
    assert_eq!(lease["acquired_at"], lease["renewed_at"]);
    assert_eq!(seconds_between(&lease, "acquired_at", "expires_at"), 60);
    // The project now says where its backlog lives.
    let detail = get_json(&app, &format!("/projects/{project}")).await;
    assert_eq!(detail["project"]["issue_target"], "github:acme/shop");

    // Same target, however it is spelt: refused, naming who holds it.
    for target in [
        "github:acme/shop",
        "  github:acme/shop ",
        "github:Acme/Shop",
    ] {
        let response = acquire(&app, project, lease_body(target, "pass sync on laptop")).await;
        let body = expect_error(response, 409, "sync_in_progress").await;
        assert_message_contains(&body, "agent pid 41 on build-1");
        assert_message_contains(&body, &lease_id.to_string());
    }
    // Another target of the same project is free.
    let local = json_answer(
        acquire(&app, project, lease_body("local", "local sync")).await,
        201,
    )
    .await["lease"]
        .clone();
    assert_ne!(local["lease_id"], lease["lease_id"]);

    tokio::time::sleep(Duration::from_millis(20)).await;
    let renewed = json_answer(renew(&app, project, lease_id).await, 200).await["lease"].clone();
    assert_eq!(renewed["lease_id"], lease["lease_id"]);
    assert_eq!(renewed["acquired_at"], lease["acquired_at"]);
    assert!(time_of(&renewed, "expires_at") > time_of(&lease, "expires_at"));
    assert!(time_of(&renewed, "renewed_at") > time_of(&lease, "renewed_at"));
    assert_eq!(seconds_between(&renewed, "renewed_at", "expires_at"), 60);

    assert_eq!(release(&app, project, lease_id).await.status(), 204);
    let body = expect_error(renew(&app, project, lease_id).await, 409, "sync_lease_lost").await;
    assert_message_contains(&body, &lease_id.to_string());
    // Releasing again is harmless; the target is free for the next sync.
    assert_eq!(release(&app, project, lease_id).await.status(), 204);
    let next = json_answer(
        acquire(
            &app,
            project,
            lease_body("github:acme/shop", "pass sync on laptop"),
        )
        .await,
        201,
    )
    .await["lease"]
        .clone();
    assert_ne!(next["lease_id"], lease["lease_id"]);
    // The other target's lease was untouched by all this.
    let local_id = id_of(&local, "lease_id");
    json_answer(renew(&app, project, local_id).await, 200).await;
    // A lease is only ever found in its own project.
    let other = id_of(
        &new_project(&app, json!({"name": "Other"})).await,
        "project_id",
    );
    expect_error(renew(&app, other, local_id).await, 409, "sync_lease_lost").await;
    expect_error(
        renew(&app, project, Uuid::new_v4()).await,
        409,
        "sync_lease_lost",
    )
    .await;
    // An id that is not a UUID names no lease, whatever is asked of it.
    for method in [Method::PUT, Method::DELETE] {
        let response = app
            .send(
                method,
                &format!("/projects/{project}/sync-leases/nope"),
                None,
            )
            .await;
        expect_error(response, 409, "sync_lease_lost").await;
    }
    app.stop().await;
}

#[tokio::test]
async fn concurrent_lease_requests_grant_exactly_one() {
    let app = spawn_app(&[]).await;
    let project = id_of(
        &new_project(&app, json!({"name": "Contended"})).await,
        "project_id",
    );
    let attempts = (0..10).map(|n| {
        let app = &app;
        async move {
            let response = acquire(
                app,
                project,
                lease_body("github:acme/race", &format!("holder {n}")),
            )
            .await;
            let status = response.status().as_u16();
            (status, response.json::<Value>().await.unwrap())
        }
    });
    let answers = futures::future::join_all(attempts).await;
    let granted: Vec<&Value> = answers
        .iter()
        .filter(|(status, _)| *status == 201)
        .map(|(_, body)| body)
        .collect();
    assert_eq!(granted.len(), 1, "{answers:?}");
    let holder = granted[0]["lease"]["holder"].as_str().unwrap();
    for (status, body) in answers.iter().filter(|(status, _)| *status != 201) {
        assert_eq!(*status, 409, "{body}");
        assert_eq!(body["error"], "sync_in_progress");
        assert_message_contains(body, holder);
    }
    let leases: Value = crate::support::read_json_file(
        &app.runs_dir
            .join("projects")
            .join(project.to_string())
            .join("sync-leases.json"),
    );
    assert_eq!(leases["leases"].as_array().unwrap().len(), 1, "{leases}");
    assert_eq!(leases["leases"][0], granted[0]["lease"]);
    app.stop().await;
}

#[tokio::test]
async fn lease_requests_are_validated_and_ttls_clamped() {
    let app = spawn_app(&[]).await;
    let project = id_of(
        &new_project(&app, json!({"name": "Timed"})).await,
        "project_id",
    );
    for (n, (asked, granted)) in [
        (Some(1), 10),
        (Some(0), 10),
        (Some(99_999), 3600),
        (None, 120),
        (Some(10), 10),
        (Some(3600), 3600),
    ]
    .into_iter()
    .enumerate()
    {
        let mut body = lease_body(&format!("github:acme/t{n}"), "it");
        if let Some(ttl) = asked {
            body["ttl_seconds"] = json!(ttl);
        }
        let lease = json_answer(acquire(&app, project, body).await, 201).await["lease"].clone();
        assert_eq!(lease["ttl_seconds"], granted, "{asked:?}");
        assert_eq!(
            seconds_between(&lease, "acquired_at", "expires_at"),
            granted,
            "{asked:?}"
        );
    }
    let cases = [
        (json!({"holder": "it"}), ""),
        (json!({"target": " ", "holder": "it"}), "target"),
        (json!({"target": "local", "holder": ""}), "holder"),
        (
            json!({"target": "local", "holder": "it", "ttl_seconds": "soon"}),
            "ttl_seconds",
        ),
        (
            json!({"target": "local", "holder": "it", "ttl_seconds": -5}),
            "ttl_seconds",
        ),
        (
            json!({"target": "local", "holder": "it", "run_id": "r1"}),
            "run_id",
        ),
        (
            json!({"target": "local", "holder": "it", "shared": true}),
            "shared",
        ),
    ];
    for (body, path) in cases {
        let answer = expect_error(
            acquire(&app, project, body.clone()).await,
            400,
            "bad_request",
        )
        .await;
        if !path.is_empty() {
            assert_eq!(answer["issues"][0]["path"], path, "{body} -> {answer}");
        }
    }
    // The run a lease is for must be a revision of its project.
    let own = id_of(&new_run(&app, "# Timed", Some(project)).await, "run_id");
    let elsewhere = id_of(&new_run(&app, "# Elsewhere", None).await, "run_id");
    let missing = Uuid::new_v4();
    for (run, says) in [
        (elsewhere, format!("revision of project {elsewhere}")),
        (missing, format!("run {missing} does not exist")),
    ] {
        let mut body = lease_body("github:acme/runs", "it");
        body["run_id"] = json!(run);
        let answer = expect_error(acquire(&app, project, body).await, 400, "bad_request").await;
        assert_eq!(answer["issues"][0]["path"], "run_id", "{answer}");
        assert_message_contains(&answer, &says);
    }
    let mut body = lease_body("github:acme/runs", "it");
    body["run_id"] = json!(own);
    let lease = json_answer(acquire(&app, project, body).await, 201).await;
    assert_eq!(lease["lease"]["run_id"], json!(own));

    for unknown in [Uuid::new_v4().to_string(), "nope".to_owned()] {
        let mut body = lease_body("local", "it");
        body["run_id"] = json!(own);
        let response = app
            .send(
                Method::POST,
                &format!("/projects/{unknown}/sync-leases"),
                Some(body),
            )
            .await;
        expect_error(response, 404, "project_not_found").await;
    }
    app.stop().await;
}

#[tokio::test]
async fn an_expired_lease_can_be_taken_over_and_its_holder_is_refused() {
    let dir = TempDir::new("leases-expired");
    let app = spawn_app_in(dir.path(), &[]).await;
    let project = id_of(
        &new_project(&app, json!({"name": "Crashed"})).await,
        "project_id",
    );
    app.stop().await;
    // A crashed agent's leases, written as the server writes them, long expired.
    let (taken, stale) = (Uuid::new_v4(), Uuid::new_v4());
    let lease = |id: Uuid, target: &str| {
        json!({"lease_id": id, "project_id": project, "target": target, "holder": "crashed agent",
               "ttl_seconds": 10, "acquired_at": "2026-01-01T00:00:00.000Z",
               "renewed_at": "2026-01-01T00:00:00.000Z", "expires_at": "2026-01-01T00:00:10.000Z"})
    };
    fs_err::write(
        dir.path()
            .join("projects")
            .join(project.to_string())
            .join("sync-leases.json"),
        serde_json::to_vec_pretty(
            &json!({"leases": [lease(taken, "github:acme/shop"), lease(stale, "local")]}),
        )
        .unwrap(),
    )
    .unwrap();

    let app = spawn_app_in(dir.path(), &[]).await;
    let response = acquire(
        &app,
        project,
        lease_body("github:acme/shop", "re-dispatched agent"),
    )
    .await;
    let new = json_answer(response, 201).await["lease"].clone();
    assert_ne!(id_of(&new, "lease_id"), taken);
    assert!(time_of(&new, "expires_at") > Timestamp::now());
    let body = expect_error(renew(&app, project, taken).await, 409, "sync_lease_lost").await;
    assert_message_contains(&body, &taken.to_string());
    // The old holder cannot end its successor's lease either.
    assert_eq!(release(&app, project, taken).await.status(), 204);
    let response = acquire(&app, project, lease_body("github:acme/shop", "third")).await;
    let body = expect_error(response, 409, "sync_in_progress").await;
    assert_message_contains(&body, "re-dispatched agent");
    // An expired lease nobody took over is still its holder's to renew.
    let renewed = json_answer(renew(&app, project, stale).await, 200).await["lease"].clone();
    assert!(time_of(&renewed, "expires_at") > Timestamp::now());
    app.stop().await;
}

#[tokio::test]
async fn a_lease_survives_a_server_restart() {
    let dir = TempDir::new("leases-restart");
    let app = spawn_app_in(dir.path(), &[]).await;
    let project = id_of(
        &new_project(&app, json!({"name": "Restarted"})).await,
        "project_id",
    );
    let lease = json_answer(
        acquire(&app, project, lease_body("github:acme/shop", "first agent")).await,
        201,
    )
    .await["lease"]
        .clone();
    app.stop().await;

    let app = spawn_app_in(dir.path(), &[]).await;
    let response = acquire(
        &app,
        project,
        lease_body("github:acme/shop", "second agent"),
    )
    .await;
    let body = expect_error(response, 409, "sync_in_progress").await;
    assert_message_contains(&body, "first agent");
    let renewed = json_answer(renew(&app, project, id_of(&lease, "lease_id")).await, 200).await;
    assert_eq!(renewed["lease"]["lease_id"], lease["lease_id"]);
    let detail = get_json(&app, &format!("/projects/{project}")).await;
    assert_eq!(detail["project"]["issue_target"], "github:acme/shop");
    app.stop().await;
}

#[tokio::test]
async fn in_agents_mode_lease_routes_need_the_token_and_project_reads_do_not() {
    let app = spawn_app(&[("PASS_API_AUTH", "agents")]).await;
    let response = app
        .http
        .post(app.url("/projects"))
        .json(&json!({"name": "Open"}))
        .send()
        .await
        .unwrap();
    let project = id_of(&json_answer(response, 201).await["project"], "project_id");
    for path in ["/projects".to_owned(), format!("/projects/{project}")] {
        assert_eq!(app.get_public(&path).await.status(), 200, "{path}");
    }

    let leases = format!("/projects/{project}/sync-leases");
    let response = app
        .http
        .post(app.url(&leases))
        .json(&lease_body("local", "anonymous"))
        .send()
        .await
        .unwrap();
    expect_error(response, 401, "unauthorized").await;
    let lease = json_answer(
        acquire(&app, project, lease_body("local", "agent")).await,
        201,
    )
    .await;
    let lease_id = id_of(&lease["lease"], "lease_id");
    let one = format!("{leases}/{lease_id}");
    for method in [Method::PUT, Method::DELETE] {
        let response = app
            .http
            .request(method.clone(), app.url(&one))
            .send()
            .await
            .unwrap();
        expect_error(response, 401, "unauthorized").await;
    }
    // Refused requests changed nothing: the lease is still held and renewable.
    json_answer(renew(&app, project, lease_id).await, 200).await;
    assert_eq!(release(&app, project, lease_id).await.status(), 204);
    app.stop().await;

    // By default every project route needs the token.
    let app = spawn_app(&[]).await;
    for path in ["/projects".to_owned(), format!("/projects/{project}")] {
        expect_error(app.get_public(&path).await, 401, "unauthorized").await;
    }
    let response = app
        .http
        .post(app.url("/projects"))
        .bearer_auth(format!("{TOKEN}x"))
        .json(&json!({"name": "Closed"}))
        .send()
        .await
        .unwrap();
    expect_error(response, 401, "unauthorized").await;
    app.stop().await;
}

/// A stand-in agent: records its arguments and the project variables the
/// server gave it in `<out>/<execution id>.env`, then waits until the test
/// writes `<out>/<execution id>.go` (30 s at most) and exits without
/// reporting, so the test decides what the execution reports.
fn recording_agents(out: &Path) -> TempDir {
    let bin = TempDir::new("recording-agents");
    let script = format!(
        r#"#!/bin/sh
set -u
OUT='{out}'
id="${{PASS_EXECUTION_ID:-none}}"
{{
  echo "agent=$(basename "$0")"
  echo "args=$*"
  echo "execution=${{PASS_EXECUTION_ID:-}}"
  echo "issues_dir=${{PASS_LOCAL_ISSUES_DIR:-}}"
}} > "$OUT/.$id.tmp" && mv "$OUT/.$id.tmp" "$OUT/$id.env"
i=0
while [ ! -f "$OUT/$id.go" ] && [ $i -lt 600 ]; do sleep 0.05; i=$((i+1)); done
"#,
        out = out.display()
    );
    for name in ["planner", "implementation"] {
        let path = bin.path().join(name);
        fs_err::write(&path, &script).unwrap();
        fs_err::set_permissions(&path, std::fs::Permissions::from_mode(0o755)).unwrap();
    }
    // A script just written may still be open for writing ("text file busy").
    std::thread::sleep(Duration::from_millis(50));
    bin
}

/// What the stand-in agent of `execution` recorded, once it has.
async fn recorded(out: &Path, execution: Uuid) -> std::collections::BTreeMap<String, String> {
    let path = out.join(format!("{execution}.env"));
    for _ in 0..1500 {
        if let Ok(text) = fs_err::read_to_string(&path) {
            return text
                .lines()
                .filter_map(|line| line.split_once('='))
                .map(|(k, v)| (k.to_owned(), v.to_owned()))
                .collect();
        }
        tokio::time::sleep(Duration::from_millis(20)).await;
    }
    panic!("the agent of execution {execution} never started");
}

fn let_go(out: &Path, execution: Uuid) {
    fs_err::write(out.join(format!("{execution}.go")), b"").unwrap();
}

async fn dispatch_with(
    app: &TestApp,
    run: Uuid,
    workflow: &str,
    body: Option<Value>,
) -> reqwest::Response {
    app.send(
        Method::POST,
        &format!("/runs/{run}/dispatch/{workflow}"),
        body,
    )
    .await
}

async fn report(app: &TestApp, run: Uuid, body: Value) -> reqwest::Response {
    app.send(Method::PATCH, &format!("/runs/{run}/execution"), Some(body))
        .await
}

async fn current_execution(app: &TestApp, run: Uuid) -> Value {
    get_json(app, &format!("/runs/{run}")).await["run"]["execution"].clone()
}

#[tokio::test]
async fn updates_naming_a_superseded_execution_are_refused() {
    let out = TempDir::new("agent-records");
    let bin = recording_agents(out.path());
    let app = spawn_app(&[("PASS_AGENT_BIN_DIR", bin.path().to_str().unwrap())]).await;
    let project = id_of(
        &new_project(&app, json!({"name": "Executed", "require_approval": false})).await,
        "project_id",
    );
    let run = id_of(&new_run(&app, "# Executed", Some(project)).await, "run_id");

    let first = json_answer(dispatch_with(&app, run, "phase1-planner", None).await, 200).await;
    let first_id = id_of(&first["execution"], "execution_id");
    let seen = recorded(out.path(), first_id).await;
    assert_eq!(seen["agent"], "planner");
    assert_eq!(seen["execution"], first_id.to_string());
    assert_eq!(seen["args"], format!("--run-id {run}"));
    assert_eq!(seen["issues_dir"], "", "the planner writes no issues");

    let before = current_execution(&app, run).await;
    let stranger = Uuid::new_v4();
    let body = expect_error(
        report(
            &app,
            run,
            json!({"execution_id": stranger, "status": "running"}),
        )
        .await,
        409,
        "execution_superseded",
    )
    .await;
    assert_message_contains(&body, &first_id.to_string());
    assert_eq!(current_execution(&app, run).await, before);

    let running = json_answer(
        report(
            &app,
            run,
            json!({"execution_id": first_id, "status": "running"}),
        )
        .await,
        200,
    )
    .await;
    assert_eq!(running["run"]["execution"]["status"], "running");
    assert_eq!(running["run"]["execution"]["execution_id"], json!(first_id));
    let done = json_answer(report(&app, run, json!({"status": "succeeded"})).await, 200).await;
    assert_eq!(done["run"]["execution"]["status"], "succeeded");
    let_go(out.path(), first_id);

    // A new dispatch supersedes the first: its agent can no longer report.
    let response = app
        .upload(
            run,
            "architecture_pack",
            "application/json",
            json!({"ok": true}),
        )
        .await;
    assert_eq!(response.status(), 201);
    let second = json_answer(
        dispatch_with(&app, run, "phase2-implementation", None).await,
        200,
    )
    .await;
    let second_id = id_of(&second["execution"], "execution_id");
    assert_ne!(second_id, first_id);
    recorded(out.path(), second_id).await;
    let before = current_execution(&app, run).await;
    for status in ["running", "failed", "succeeded"] {
        let body = expect_error(
            report(
                &app,
                run,
                json!({"execution_id": first_id, "status": status, "error_message": "late"}),
            )
            .await,
            409,
            "execution_superseded",
        )
        .await;
        assert_message_contains(&body, &second_id.to_string());
    }
    assert_eq!(current_execution(&app, run).await, before);
    let failed = json_answer(
        report(
            &app,
            run,
            json!({"execution_id": second_id, "status": "failed", "error_message": "gave up"}),
        )
        .await,
        200,
    )
    .await;
    assert_eq!(failed["run"]["execution"]["status"], "failed");
    assert_eq!(failed["run"]["execution"]["error_message"], "gave up");
    let_go(out.path(), second_id);
    app.stop().await;
}

#[tokio::test]
async fn phase2_dispatch_options_reach_the_agent_with_the_projects_issue_folder() {
    let out = TempDir::new("agent-records");
    let bin = recording_agents(out.path());
    let app = spawn_app(&[("PASS_AGENT_BIN_DIR", bin.path().to_str().unwrap())]).await;
    let project = id_of(
        &new_project(&app, json!({"name": "Options", "require_approval": false})).await,
        "project_id",
    );
    let in_project = id_of(&new_run(&app, "# Options", Some(project)).await, "run_id");
    let on_its_own = id_of(&new_run(&app, "# Alone", None).await, "run_id");
    let issues_dir = |project: Uuid| {
        app.runs_dir
            .join("projects")
            .join(project.to_string())
            .join("issues")
            .display()
            .to_string()
    };

    let cases = [
        (
            in_project,
            Some(json!({"dry_run": true})),
            "--dry-run ",
            project,
        ),
        (
            in_project,
            Some(json!({"force": true})),
            "--force ",
            project,
        ),
        (
            in_project,
            Some(json!({"dry_run": true, "force": true})),
            "--dry-run --force ",
            project,
        ),
        (in_project, Some(json!({})), "", project),
        (on_its_own, None, "", on_its_own),
    ];
    for run in [in_project, on_its_own] {
        let response = app
            .upload(
                run,
                "architecture_pack",
                "application/json",
                json!({"ok": true}),
            )
            .await;
        assert_eq!(response.status(), 201);
    }
    for (run, body, flags, owner) in cases {
        let answer = json_answer(
            dispatch_with(&app, run, "phase2-implementation", body.clone()).await,
            200,
        )
        .await;
        let execution = id_of(&answer["execution"], "execution_id");
        let seen = recorded(out.path(), execution).await;
        assert_eq!(seen["agent"], "implementation", "{body:?}");
        assert_eq!(seen["args"], format!("{flags}--run-id {run}"), "{body:?}");
        assert_eq!(seen["execution"], execution.to_string());
        assert_eq!(seen["issues_dir"], issues_dir(owner), "{body:?}");
        // The agent ends without reporting: the server fails the execution.
        let_go(out.path(), execution);
        app.wait_for_execution(run, "the end of the agent", |e| {
            e.execution_id == Some(execution) && e.status.is_final()
        })
        .await;
    }

    // Options belong to phase 2; bad options are refused before anything starts.
    let before = current_execution(&app, in_project).await;
    let refused = [
        (
            "phase1-planner",
            r#"{"dry_run": true}"#,
            None,
            "phase2-implementation only",
        ),
        (
            "phase1-planner",
            r#"{"force": true}"#,
            None,
            "phase2-implementation only",
        ),
        (
            "phase2-implementation",
            r#"{"dry_run": "yes"}"#,
            Some("dry_run"),
            "dry_run",
        ),
        (
            "phase2-implementation",
            r#"{"dry_run": null}"#,
            Some("dry_run"),
            "dry_run",
        ),
        (
            "phase2-implementation",
            r#"{"dryrun": true}"#,
            Some("dryrun"),
            "dryrun",
        ),
        (
            "phase2-implementation",
            r#"{"dry_run": true"#,
            None,
            "dispatch options",
        ),
        (
            "phase2-implementation",
            r#""dry_run""#,
            None,
            "dispatch options",
        ),
    ];
    for (workflow, body, path, says) in refused {
        let response = app
            .authed(
                Method::POST,
                &format!("/runs/{in_project}/dispatch/{workflow}"),
            )
            .header("content-type", "application/json")
            .body(body)
            .send()
            .await
            .unwrap();
        let answer = expect_error(response, 400, "bad_request").await;
        if let Some(path) = path {
            assert_eq!(answer["issues"][0]["path"], path, "{body} -> {answer}");
        }
        assert_message_contains(&answer, says);
    }
    let response = app
        .authed(
            Method::POST,
            &format!("/runs/{in_project}/dispatch/phase2-implementation"),
        )
        .header("content-type", "text/plain")
        .body("dry_run")
        .send()
        .await
        .unwrap();
    expect_error(response, 415, "unsupported_media_type").await;
    assert_eq!(current_execution(&app, in_project).await, before);
    app.stop().await;
}

fn issue(item: &str, state: Option<&str>, sync_status: &str, outcome: Option<&str>) -> Value {
    let mut issue = json!({"plan_item_id": item, "title": format!("Item {item}"),
        "sync_status": sync_status, "labels": ["pass"], "last_synced_at": "2026-03-01T10:00:00.000Z"});
    if let Some(state) = state {
        issue["github_state"] = json!(state);
    }
    if let Some(outcome) = outcome {
        issue["outcome"] = json!(outcome);
    }
    issue
}

async fn record_sync(app: &TestApp, run: Uuid, synced_at: &str, issues: Vec<Value>) {
    let response = app
        .send(
            Method::PATCH,
            &format!("/runs/{run}/implementation-state"),
            Some(json!({"synced_at": synced_at, "issues": issues})),
        )
        .await;
    json_answer(response, 200).await;
}

#[tokio::test]
async fn the_backlog_counts_the_newest_synced_revision() {
    let app = spawn_app(&[]).await;
    let project = id_of(
        &new_project(&app, json!({"name": "Counted"})).await,
        "project_id",
    );
    let mut runs = Vec::new();
    for n in 1..=3 {
        runs.push(id_of(
            &new_run(&app, &format!("# Counted\n\nv{n}"), Some(project)).await,
            "run_id",
        ));
    }
    let detail = get_json(&app, &format!("/projects/{project}")).await;
    assert!(detail.get("backlog").is_none(), "no sync yet: {detail}");

    record_sync(
        &app,
        runs[0],
        "2026-03-01T10:00:00.000Z",
        vec![
            issue("A", Some("open"), "created", None),
            issue("B", Some("open"), "created", None),
        ],
    )
    .await;
    let backlog = get_json(&app, &format!("/projects/{project}")).await["backlog"].clone();
    assert_eq!(backlog["run_id"], json!(runs[0]));
    assert_eq!(backlog["revision"], 1);
    assert_eq!(
        (backlog["open"].as_u64(), backlog["closed"].as_u64()),
        (Some(2), Some(0))
    );
    assert_eq!(backlog["outcomes"], json!({"created": 2}));

    // Revision 2 syncs; revision 3 has not: the backlog is revision 2's.
    record_sync(
        &app,
        runs[1],
        "2026-03-02T10:00:00.000Z",
        vec![
            issue("A", Some("open"), "unchanged", Some("kept")),
            issue("B", Some("closed"), "updated", Some("closed")),
            issue("C", Some("open"), "created", Some("created")),
            issue("D", Some("open"), "unchanged", Some("conflict")),
            issue("E", Some("open"), "unchanged", Some("kept")),
            issue("F", None, "failed", None),
        ],
    )
    .await;
    let backlog = get_json(&app, &format!("/projects/{project}")).await["backlog"].clone();
    assert_eq!(backlog["run_id"], json!(runs[1]));
    assert_eq!(backlog["revision"], 2);
    assert_eq!(backlog["synced_at"], "2026-03-02T10:00:00.000Z");
    assert_eq!(
        (backlog["open"].as_u64(), backlog["closed"].as_u64()),
        (Some(4), Some(1))
    );
    assert_eq!(
        backlog["outcomes"],
        json!({"kept": 2, "closed": 1, "created": 1, "conflict": 1, "failed": 1})
    );

    record_sync(
        &app,
        runs[2],
        "2026-03-03T10:00:00.000Z",
        vec![issue("A", Some("closed"), "updated", Some("closed"))],
    )
    .await;
    let backlog = get_json(&app, &format!("/projects/{project}")).await["backlog"].clone();
    assert_eq!(backlog["revision"], 3);
    assert_eq!(
        (backlog["open"].as_u64(), backlog["closed"].as_u64()),
        (Some(0), Some(1))
    );
    assert_eq!(backlog["outcomes"], json!({"closed": 1}));

    // An outcome outside the known ones is refused with its path.
    let response = app
        .send(
            Method::PATCH,
            &format!("/runs/{}/implementation-state", runs[2]),
            Some(json!({"synced_at": "2026-03-04T10:00:00.000Z",
                        "issues": [issue("A", Some("open"), "updated", Some("merged"))]})),
        )
        .await;
    let body = expect_error(response, 400, "bad_request").await;
    assert_eq!(body["issues"][0]["path"], "issues[0].outcome", "{body}");
    app.stop().await;
}
