//! The seed's clients and data against PASS: the seed's documented requests
//! replayed with the seed's auth policy (`PASS_API_AUTH=agents`), answers
//! compared with the contract's status codes and body shapes, and a runs
//! folder with what the seed could write served whole.
//!
//! PASS answers more than the seed did; every such key is listed in
//! `INTENDED_EXTRA_*` with its reason, so an unplanned change of shape fails.

use std::collections::BTreeSet;

use reqwest::Method;
use serde_json::{Value, json};
use uuid::Uuid;

use crate::support::*;

/// The keys of a run record (list rows) in the contract.
const RECORD_KEYS: &[&str] = &[
    "run_id",
    "created_at",
    "status",
    "current_step",
    "last_updated_at",
];
/// The optional keys of a run detail in the contract, beyond the record.
const DETAIL_KEYS: &[&str] = &[
    "step_timestamps",
    "input",
    "execution",
    "implementation_state",
];
/// Keys PASS adds to a run detail: the project the run is a revision of
/// (every run is revision 1 of a project of its own unless posted into one).
const INTENDED_EXTRA_DETAIL_KEYS: &[&str] = &["project_id", "revision"];
const ARTIFACT_KEYS: &[&str] = &["name", "filename", "content_type", "sha256", "created_at"];
const ERROR_KEYS: &[&str] = &["error", "message", "issues"];

fn keys(value: &Value) -> BTreeSet<String> {
    value
        .as_object()
        .unwrap_or_else(|| panic!("not an object: {value}"))
        .keys()
        .cloned()
        .collect()
}

/// Asserts `value` has every key in `required`, and no key outside
/// `required`, `optional` and `extra`.
fn assert_shape(value: &Value, required: &[&str], optional: &[&str], extra: &[&str]) {
    let got = keys(value);
    for key in required {
        assert!(got.contains(*key), "{key:?} missing from {value}");
    }
    let known: BTreeSet<&str> = required
        .iter()
        .chain(optional)
        .chain(extra)
        .copied()
        .collect();
    let unknown: Vec<_> = got.iter().filter(|k| !known.contains(k.as_str())).collect();
    assert!(
        unknown.is_empty(),
        "keys the contract does not name: {unknown:?} in {value}"
    );
}

fn assert_run_detail(run: &Value) {
    assert_shape(run, RECORD_KEYS, DETAIL_KEYS, INTENDED_EXTRA_DETAIL_KEYS);
}

/// A request as the seed's clients send it: never with a token for the
/// routes the seed leaves open, with one for those it protects.
async fn seed_request(
    app: &TestApp,
    method: Method,
    path: &str,
    body: Option<Value>,
    token: bool,
) -> reqwest::Response {
    let mut request = app.http.request(method, app.url(path));
    if token {
        request = request.bearer_auth(TOKEN);
    }
    if let Some(body) = body {
        request = request.json(&body);
    }
    request.send().await.unwrap()
}

async fn json_of(response: reqwest::Response, status: u16) -> Value {
    let got = response.status().as_u16();
    let text = response.text().await.unwrap();
    assert_eq!(got, status, "{text}");
    serde_json::from_str(&text).unwrap()
}

#[tokio::test]
async fn the_seeds_documented_requests_answer_as_the_contract_says() {
    let app = spawn_app(&[("PASS_API_AUTH", "agents")]).await;

    // The seed's probe.
    let health = json_of(
        seed_request(&app, Method::GET, "/health", None, false).await,
        200,
    )
    .await;
    assert_eq!(health, json!({ "ok": true }));

    // The seed's local test script: create, list, read, move to parse.
    let body = json!({ "prd_text": "# Harbour Ledger\n\nTrack moorings and fees.", "requested_by": "test-runs.ps1" });
    let created = json_of(
        seed_request(&app, Method::POST, "/runs", Some(body), false).await,
        201,
    )
    .await;
    assert_shape(&created, &["run"], &[], &[]);
    assert_run_detail(&created["run"]);
    assert_eq!(created["run"]["status"], "created");
    let id = created["run"]["run_id"].as_str().unwrap().to_owned();

    let list = json_of(
        seed_request(&app, Method::GET, "/runs", None, false).await,
        200,
    )
    .await;
    assert_shape(&list, &["total", "runs"], &[], &[]);
    assert_eq!(list["total"], 1);
    assert_shape(&list["runs"][0], RECORD_KEYS, &[], &[]);
    assert_eq!(list["runs"][0]["run_id"], id.as_str());

    let read = json_of(
        seed_request(&app, Method::GET, &format!("/runs/{id}"), None, false).await,
        200,
    )
    .await;
    assert_shape(&read, &["run", "artifacts"], &[], &[]);
    assert_run_detail(&read["run"]);
    assert_eq!(read["artifacts"], json!([]));

    let patch = json!({ "current_step": "parse", "status": "parsed" });
    let patched = json_of(
        seed_request(
            &app,
            Method::PATCH,
            &format!("/runs/{id}"),
            Some(patch),
            false,
        )
        .await,
        200,
    )
    .await;
    assert_shape(&patched, &["run"], &[], &[]);
    assert_eq!(patched["run"]["status"], "parsed");
    assert_eq!(patched["run"]["current_step"], "parse");
    assert!(patched["run"]["step_timestamps"]["parse"].is_string());

    // The routes the seed protects refuse a client without the token…
    let protected = [
        (Method::POST, format!("/runs/{id}/dispatch"), None),
        (
            Method::POST,
            format!("/runs/{id}/dispatch/phase2-implementation"),
            None,
        ),
        (
            Method::PATCH,
            format!("/runs/{id}/execution"),
            Some(json!({ "status": "running" })),
        ),
        (
            Method::POST,
            format!("/runs/{id}/artifacts"),
            Some(json!({ "name": "notes", "content_type": "text/plain", "payload": "x" })),
        ),
        (
            Method::PATCH,
            format!("/runs/{id}/implementation-state"),
            Some(json!({ "synced_at": "2026-01-01T00:00:00Z", "issues": [] })),
        ),
    ];
    for (method, path, body) in protected {
        let response = seed_request(&app, method.clone(), &path, body, false).await;
        let error = expect_error(response, 401, "unauthorized").await;
        assert_shape(&error, &["error", "message"], ERROR_KEYS, &[]);
    }

    // …and take an upload from one that has it, which any client then reads.
    let upload =
        json!({ "name": "summary", "content_type": "text/markdown", "payload": "# Summary\n" });
    let stored = json_of(
        seed_request(
            &app,
            Method::POST,
            &format!("/runs/{id}/artifacts"),
            Some(upload),
            true,
        )
        .await,
        201,
    )
    .await;
    assert_shape(&stored, &["artifact"], &[], &[]);
    assert_shape(
        &stored["artifact"],
        &["name", "filename", "content_type", "created_at"],
        ARTIFACT_KEYS,
        &[],
    );
    assert_eq!(stored["artifact"]["filename"], "summary.md");
    let artifact = json_of(
        seed_request(
            &app,
            Method::GET,
            &format!("/runs/{id}/artifacts/summary"),
            None,
            false,
        )
        .await,
        200,
    )
    .await;
    assert_shape(&artifact, &["artifact", "payload"], &[], &[]);
    assert_eq!(artifact["payload"], "# Summary\n");

    // Errors: the seed's codes and statuses, in the contract's body.
    let cases = [
        (
            Method::GET,
            "/runs/not-a-uuid".to_owned(),
            None,
            400,
            "bad_request",
        ),
        (
            Method::PATCH,
            "/runs/not-a-uuid".to_owned(),
            Some(json!({ "status": "parsed" })),
            400,
            "bad_request",
        ),
        (
            Method::GET,
            format!("/runs/{}", Uuid::new_v4()),
            None,
            404,
            "run_not_found",
        ),
        (
            Method::GET,
            format!("/runs/{id}/artifacts/missing"),
            None,
            404,
            "artifact_not_found",
        ),
        (
            Method::POST,
            "/runs".to_owned(),
            Some(json!({ "requested_by": "x" })),
            400,
            "bad_request",
        ),
        (
            Method::PATCH,
            format!("/runs/{id}"),
            Some(json!({})),
            400,
            "bad_request",
        ),
        (
            Method::PATCH,
            format!("/runs/{id}"),
            Some(json!({ "status": "created" })),
            400,
            "bad_transition",
        ),
    ];
    for (method, path, body, status, code) in cases {
        let response = seed_request(&app, method, &path, body, false).await;
        let error = expect_error(response, status, code).await;
        assert_shape(&error, &["error", "message"], ERROR_KEYS, &[]);
    }
    app.stop().await;
}

/// A `run.json` in the seed's spelling with `prd_text` as given.
fn seed_run_json(run_id: Uuid, prd_text: &str) -> String {
    let input = json!({ "prd_text": prd_text, "requested_by": "seed" });
    format!(
        r#"{{"run_id":"{run_id}","created_at":"2026-02-01T10:00:00.000Z","status":"parsed","current_step":"parse","last_updated_at":"2026-02-01T10:01:00.000Z","step_timestamps":{{"created":"2026-02-01T10:00:00.000Z","parse":"2026-02-01T10:01:00.000Z"}},"input":{input}}}"#
    )
}

fn write(path: &std::path::Path, text: &str) {
    fs_err::create_dir_all(path.parent().unwrap()).unwrap();
    fs_err::write(path, text).unwrap();
}

#[tokio::test]
async fn what_the_seed_could_write_is_read_and_served_unchanged() {
    let dir = TempDir::new("seed-folder");
    let (sound, blank, notes) = (Uuid::new_v4(), Uuid::new_v4(), Uuid::new_v4());
    let root = dir.path();
    write(
        &root.join(format!("{sound}/run.json")),
        &seed_run_json(sound, "# Harbour Ledger\n\nTrack moorings."),
    );
    // The seed took any non-empty PRD, whitespace included.
    write(
        &root.join(format!("{blank}/run.json")),
        &seed_run_json(blank, "   \n\t "),
    );
    // The seed stored an artifact named `My Notes!` as `my_notes_.md`.
    write(
        &root.join(format!("{notes}/run.json")),
        &seed_run_json(notes, "# Tide Tables\n\nHarbour app."),
    );
    write(
        &root.join(format!("{notes}/artifacts/my_notes_.md")),
        "Call the harbour master.\n",
    );
    write(
        &root.join(format!("{notes}/artifacts/index.json")),
        r#"{"version":1,"artifacts":[{"name":"My Notes!","filename":"my_notes_.md","content_type":"text/markdown","created_at":"2026-02-01T10:02:00.000Z"}]}"#,
    );
    let files: Vec<_> = [sound, blank, notes]
        .iter()
        .map(|id| root.join(format!("{id}/run.json")))
        .chain([root.join(format!("{notes}/artifacts/index.json"))])
        .collect();
    let before: Vec<_> = files.iter().map(|p| fs_err::read(p).unwrap()).collect();

    let app = spawn_app_in(root, &[("PASS_API_AUTH", "agents")]).await;
    let list = json_of(
        seed_request(&app, Method::GET, "/runs", None, false).await,
        200,
    )
    .await;
    assert_eq!(list["total"], 3, "{list}");
    for id in [sound, blank, notes] {
        let read = json_of(
            seed_request(&app, Method::GET, &format!("/runs/{id}"), None, false).await,
            200,
        )
        .await;
        assert_run_detail(&read["run"]);
        assert_eq!(read["run"]["status"], "parsed");
        assert_eq!(read["run"]["project_id"], id.to_string());
    }
    let blank_run = json_of(
        seed_request(&app, Method::GET, &format!("/runs/{blank}"), None, false).await,
        200,
    )
    .await;
    assert_eq!(blank_run["run"]["input"]["prd_text"], "   \n\t ");

    let notes_run = json_of(
        seed_request(&app, Method::GET, &format!("/runs/{notes}"), None, false).await,
        200,
    )
    .await;
    assert_eq!(notes_run["artifacts"][0]["name"], "My Notes!");
    let artifact = json_of(
        seed_request(
            &app,
            Method::GET,
            &format!("/runs/{notes}/artifacts/My%20Notes!"),
            None,
            false,
        )
        .await,
        200,
    )
    .await;
    assert_eq!(artifact["payload"], "Call the harbour master.\n");
    assert_eq!(artifact["artifact"]["filename"], "my_notes_.md");

    // New writes follow today's rules: the run with a blank PRD is read-only,
    // and says why; the others take writes as before.
    let refused = seed_request(
        &app,
        Method::PATCH,
        &format!("/runs/{blank}"),
        Some(json!({ "status": "failed" })),
        false,
    )
    .await;
    let error = expect_error(refused, 409, "run_conflict").await;
    assert_message_contains(&error, "read-only");
    let upload = json!({ "name": "my notes", "content_type": "text/markdown", "payload": "x" });
    let refused = seed_request(
        &app,
        Method::POST,
        &format!("/runs/{notes}/artifacts"),
        Some(upload),
        true,
    )
    .await;
    expect_error(refused, 400, "bad_request").await;

    let health = app.get_public_json("/healthz").await;
    assert_eq!(health["store"]["read_only_runs"], 1, "{health}");
    assert_eq!(health["store"]["corrupt_runs"], 0, "{health}");
    let after: Vec<_> = files.iter().map(|p| fs_err::read(p).unwrap()).collect();
    assert!(after == before, "a seed file was rewritten");

    // A write to a sound seed run keeps the seed's artifact entry readable.
    let upload = json!({ "name": "summary", "content_type": "text/markdown", "payload": "# S\n" });
    json_of(
        seed_request(
            &app,
            Method::POST,
            &format!("/runs/{notes}/artifacts"),
            Some(upload),
            true,
        )
        .await,
        201,
    )
    .await;
    app.stop().await;

    let app = spawn_app_in(root, &[]).await;
    let names: Vec<_> = app
        .client
        .get_run(notes)
        .await
        .unwrap()
        .artifacts
        .into_iter()
        .map(|a| a.name.into_string())
        .collect();
    assert_eq!(names, ["My Notes!", "summary"]);
    app.stop().await;
}
