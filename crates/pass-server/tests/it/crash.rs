//! `kill -9` of a server process in the middle of a stream of writes: every
//! acknowledged write is there after restart and every JSON file parses.

use std::path::Path;
use std::process::Stdio;
use std::sync::{Arc, Mutex};
use std::time::Duration;

use pass_contracts::api::{ArtifactUpload, RunPatch};
use pass_contracts::{ContentType, RunStatus, RunStep, RunsIndex, Text};
use sha2::{Digest, Sha256};
use tokio::io::{AsyncBufReadExt, BufReader};
use tokio::process::{Child, Command};
use uuid::Uuid;

use crate::support::{TOKEN, TempDir, client_for, read_json_file, run_input};

async fn spawn_server(runs_dir: &Path) -> (Child, String) {
    let mut child = Command::new(env!("CARGO_BIN_EXE_pass-server"))
        .current_dir(runs_dir.parent().unwrap())
        .env("PASS_API_TOKEN", TOKEN)
        .env("RUNS_DIR", runs_dir)
        .env("PASS_BIND", "127.0.0.1:0")
        .env("PASS_EXECUTION_BACKEND", "local")
        .env("PASS_AGENT_BIN_DIR", "/nonexistent-pass-agents")
        .env("RUST_LOG", "warn")
        .stdout(Stdio::piped())
        .stderr(Stdio::inherit())
        .kill_on_drop(true)
        .spawn()
        .unwrap();
    let stdout = child.stdout.take().unwrap();
    let mut lines = BufReader::new(stdout).lines();
    let line = tokio::time::timeout(Duration::from_secs(30), lines.next_line())
        .await
        .unwrap()
        .unwrap()
        .unwrap();
    let addr = line.strip_prefix("listening on ").unwrap().to_owned();
    (child, format!("http://{addr}"))
}

fn sigterm(child: &Child) {
    let status = std::process::Command::new("kill")
        .arg("-TERM")
        .arg(child.id().unwrap().to_string())
        .status()
        .unwrap();
    assert!(status.success());
}

/// Waits (20 s at most) for the server to exit, with success.
async fn exits_cleanly(child: &mut Child) {
    let exit = tokio::time::timeout(Duration::from_secs(20), child.wait())
        .await
        .unwrap()
        .unwrap();
    assert!(exit.success(), "{exit}");
}

#[derive(Default)]
struct Acked {
    runs: Vec<Uuid>,
    steps: Vec<(Uuid, RunStep)>,
    artifacts: Vec<(Uuid, String, String)>,
}

fn all_json_files(dir: &Path, out: &mut Vec<std::path::PathBuf>) {
    for entry in fs_err::read_dir(dir).unwrap() {
        let path = entry.unwrap().path();
        if path.is_dir() {
            all_json_files(&path, out);
        } else if path.extension().is_some_and(|e| e == "json") {
            out.push(path);
        }
    }
}

#[tokio::test]
async fn acknowledged_writes_survive_kill_9() {
    let root = TempDir::new("crash");
    let runs_dir = root.path().join("runs");
    let (mut child, base) = spawn_server(&runs_dir).await;
    let client = client_for(&base).with_retries(0);
    let acked = Arc::new(Mutex::new(Acked::default()));

    let steps = [
        RunStep::Parse,
        RunStep::Clarify,
        RunStep::Plan,
        RunStep::Export,
    ];
    let writers: Vec<_> = (0..4)
        .map(|w| {
            let client = client.clone();
            let acked = acked.clone();
            tokio::spawn(async move {
                for n in 0.. {
                    let Ok(run) = client.create_run(&run_input(None)).await else {
                        return;
                    };
                    acked.lock().unwrap().runs.push(run.run_id);
                    for step in steps {
                        let patch = RunPatch {
                            status: Some(RunStatus::Parsed),
                            current_step: Some(step),
                        };
                        if client.patch_run(run.run_id, &patch).await.is_err() {
                            return;
                        }
                        acked.lock().unwrap().steps.push((run.run_id, step));
                        let name = format!("w{w}-n{n}-{}", step.as_str());
                        let upload = ArtifactUpload {
                            name: Text::new(name.clone()).unwrap(),
                            content_type: ContentType::Markdown,
                            payload: serde_json::Value::String(format!("# {name}\n")),
                        };
                        if client.upload_artifact(run.run_id, &upload).await.is_err() {
                            return;
                        }
                        acked.lock().unwrap().artifacts.push((
                            run.run_id,
                            name.clone(),
                            format!("# {name}\n"),
                        ));
                        // Replacements too: a kill between the file and the
                        // index must not pair new bytes with the old sha256.
                        let latest = ArtifactUpload {
                            name: Text::new("latest").unwrap(),
                            ..upload
                        };
                        if client.upload_artifact(run.run_id, &latest).await.is_err() {
                            return;
                        }
                    }
                }
            })
        })
        .collect();

    // Let writes flow, then kill -9 while they are in flight.
    for _ in 0..200 {
        if acked.lock().unwrap().artifacts.len() >= 40 {
            break;
        }
        tokio::time::sleep(Duration::from_millis(25)).await;
    }
    child.start_kill().unwrap();
    child.wait().await.unwrap();
    for writer in writers {
        writer.await.unwrap();
    }
    let acked = std::mem::take(&mut *acked.lock().unwrap());
    assert!(
        acked.artifacts.len() >= 20,
        "too few writes before the kill: {}",
        acked.artifacts.len()
    );

    let mut files = Vec::new();
    all_json_files(&runs_dir, &mut files);
    for file in &files {
        let text = fs_err::read_to_string(file).unwrap();
        serde_json::from_str::<serde_json::Value>(&text)
            .unwrap_or_else(|e| panic!("{}: {e}", file.display()));
    }

    let (mut child, base) = spawn_server(&runs_dir).await;
    let client = client_for(&base);
    let listed = client.list_runs(None, None).await.unwrap();
    for id in &acked.runs {
        assert!(
            listed.runs.iter().any(|r| r.run_id == *id),
            "acknowledged run {id} lost"
        );
    }
    for (id, step) in &acked.steps {
        let run = client.get_run(*id).await.unwrap().run;
        assert!(
            run.step_timestamps.contains_key(step),
            "acknowledged step {step:?} of {id} lost"
        );
    }
    for (id, name, payload) in &acked.artifacts {
        let got = client.get_artifact(*id, name).await.unwrap();
        assert_eq!(
            got.payload,
            serde_json::Value::String(payload.clone()),
            "{id}/{name}"
        );
    }
    // Every artifact served is whole: its sha256 is that of its bytes.
    for id in &acked.runs {
        for meta in client.get_run(*id).await.unwrap().artifacts {
            let got = client.get_artifact(*id, meta.name.as_str()).await.unwrap();
            let serde_json::Value::String(text) = got.payload else {
                panic!("{id}/{} is not text", meta.name.as_str());
            };
            assert_eq!(
                got.artifact.sha256,
                Some(hex::encode(Sha256::digest(text.as_bytes()))),
                "{id}/{} pairs bytes with another upload's sha256",
                meta.name.as_str()
            );
        }
    }
    // The index was rebuilt to match the runs that exist.
    let index: RunsIndex = read_json_file(&runs_dir.join("index.json"));
    assert_eq!(index.runs.len() as u64, listed.total);
    child.start_kill().unwrap();
    child.wait().await.unwrap();
}

#[tokio::test]
async fn sigterm_shuts_down_gracefully_and_writes_the_index() {
    let root = TempDir::new("sigterm");
    let runs_dir = root.path().join("runs");
    fs_err::create_dir_all(&runs_dir).unwrap();
    // A flush interval no test waits for: only the shutdown writes the index.
    fs_err::write(root.path().join(".env"), "PASS_INDEX_FLUSH_MS=600000\n").unwrap();
    let (mut child, base) = spawn_server(&runs_dir).await;
    let client = client_for(&base);
    let mut ids = Vec::new();
    for _ in 0..3 {
        ids.push(client.create_run(&run_input(None)).await.unwrap().run_id);
    }
    let index: RunsIndex = read_json_file(&runs_dir.join("index.json"));
    assert!(
        index.runs.is_empty(),
        "the index is written lazily, not per request"
    );

    sigterm(&child);
    exits_cleanly(&mut child).await;
    let index: RunsIndex = read_json_file(&runs_dir.join("index.json"));
    let mut listed: Vec<_> = index.runs.iter().map(|r| r.run_id).collect();
    listed.sort();
    ids.sort();
    assert_eq!(listed, ids);
}

#[tokio::test]
async fn a_request_in_flight_at_sigterm_is_finished() {
    use tokio::io::{AsyncReadExt, AsyncWriteExt};
    let root = TempDir::new("inflight");
    let runs_dir = root.path().join("runs");
    let (mut child, base) = spawn_server(&runs_dir).await;
    let addr = base.strip_prefix("http://").unwrap().to_owned();
    let body = serde_json::json!({"prd_text": "Build a todo app"}).to_string();
    let (head, tail) = body.split_at(10);
    let mut stream = tokio::net::TcpStream::connect(&addr).await.unwrap();
    let request = format!(
        "POST /runs HTTP/1.1\r\nHost: {addr}\r\nAuthorization: Bearer {TOKEN}\r\nContent-Type: application/json\r\nContent-Length: {}\r\n\r\n{head}",
        body.len()
    );
    stream.write_all(request.as_bytes()).await.unwrap();
    stream.flush().await.unwrap();
    tokio::time::sleep(Duration::from_millis(200)).await;

    sigterm(&child);
    tokio::time::sleep(Duration::from_millis(200)).await;
    stream.write_all(tail.as_bytes()).await.unwrap();
    let mut answer = String::new();
    tokio::time::timeout(Duration::from_secs(10), stream.read_to_string(&mut answer))
        .await
        .unwrap()
        .unwrap();
    assert!(answer.starts_with("HTTP/1.1 201"), "{answer}");
    exits_cleanly(&mut child).await;
    // The run it created is on disk and in the index written at shutdown.
    let index: RunsIndex = read_json_file(&runs_dir.join("index.json"));
    assert_eq!(index.runs.len(), 1);
}

/// What a writer had acknowledged in the projects test.
#[derive(Default)]
struct AckedProjects {
    projects: Vec<(Uuid, String)>,
    /// (project, run, revision answered)
    runs: Vec<(Uuid, Uuid, u64)>,
    /// (project, holder)
    leases: Vec<(Uuid, String)>,
}

/// POSTs `body` to `path` on the server at `base`; the JSON answer when it
/// has `status`, `None` when the server is gone or answered otherwise.
async fn post_json(
    http: &reqwest::Client,
    base: &str,
    path: &str,
    body: serde_json::Value,
    status: u16,
) -> Option<serde_json::Value> {
    let response = http
        .post(format!("{base}{path}"))
        .bearer_auth(TOKEN)
        .json(&body)
        .send()
        .await
        .ok()?;
    if response.status().as_u16() != status {
        return None;
    }
    response.json().await.ok()
}

fn uuid_at(value: &serde_json::Value, pointer: &str) -> Uuid {
    Uuid::parse_str(value.pointer(pointer).and_then(|v| v.as_str()).unwrap()).unwrap()
}

/// Projects, revisions and leases are written as durably as runs: after
/// `kill -9` in the middle of creating them, every acknowledged one is there,
/// a project's revisions have no gap and numbering carries on after the last.
#[tokio::test]
async fn acknowledged_projects_revisions_and_leases_survive_kill_9() {
    let root = TempDir::new("crash-projects");
    let runs_dir = root.path().join("runs");
    let (mut child, base) = spawn_server(&runs_dir).await;
    let http = reqwest::Client::new();
    let shared = post_json(
        &http,
        &base,
        "/projects",
        serde_json::json!({"name": "Shared"}),
        201,
    )
    .await
    .unwrap();
    let shared = uuid_at(&shared, "/project/project_id");
    let acked = Arc::new(Mutex::new(AckedProjects::default()));

    let writers: Vec<_> = (0..4)
        .map(|w| {
            let (http, base, acked) = (http.clone(), base.clone(), acked.clone());
            tokio::spawn(async move {
                for n in 0.. {
                    let name = format!("writer {w} project {n}");
                    let body = serde_json::json!({"name": name});
                    let Some(answer) = post_json(&http, &base, "/projects", body, 201).await else {
                        return;
                    };
                    let project = uuid_at(&answer, "/project/project_id");
                    acked.lock().unwrap().projects.push((project, name.clone()));
                    for target in [project, project, shared] {
                        let body = serde_json::json!({"prd_text": "# Crash", "project_id": target});
                        let Some(answer) = post_json(&http, &base, "/runs", body, 201).await else {
                            return;
                        };
                        let run = uuid_at(&answer, "/run/run_id");
                        let revision = answer["run"]["revision"].as_u64().unwrap();
                        acked.lock().unwrap().runs.push((target, run, revision));
                    }
                    let body =
                        serde_json::json!({"target": "local", "holder": name, "ttl_seconds": 3600});
                    let path = format!("/projects/{project}/sync-leases");
                    if post_json(&http, &base, &path, body, 201).await.is_none() {
                        return;
                    }
                    acked.lock().unwrap().leases.push((project, name));
                }
            })
        })
        .collect();

    for _ in 0..200 {
        if acked.lock().unwrap().leases.len() >= 12 {
            break;
        }
        tokio::time::sleep(Duration::from_millis(25)).await;
    }
    child.start_kill().unwrap();
    child.wait().await.unwrap();
    for writer in writers {
        writer.await.unwrap();
    }
    let acked = std::mem::take(&mut *acked.lock().unwrap());
    assert!(acked.leases.len() >= 4, "too few writes before the kill");
    let mut files = Vec::new();
    all_json_files(&runs_dir, &mut files);
    for file in &files {
        let text = fs_err::read_to_string(file).unwrap();
        serde_json::from_str::<serde_json::Value>(&text)
            .unwrap_or_else(|e| panic!("{}: {e}", file.display()));
    }

    let (mut child, base) = spawn_server(&runs_dir).await;
    let get = |path: String| {
        let (http, base) = (http.clone(), base.clone());
        async move {
            let response = http
                .get(format!("{base}{path}"))
                .bearer_auth(TOKEN)
                .send()
                .await
                .unwrap();
            assert_eq!(response.status(), 200, "{path}");
            response.json::<serde_json::Value>().await.unwrap()
        }
    };
    for (project, name) in &acked.projects {
        let detail = get(format!("/projects/{project}")).await;
        assert_eq!(
            detail["project"]["name"],
            name.as_str(),
            "project {project}"
        );
    }
    let mut last_shared = 0;
    for (project, run, revision) in &acked.runs {
        let read = get(format!("/runs/{run}")).await;
        assert_eq!(read["run"]["project_id"], serde_json::json!(project));
        assert_eq!(read["run"]["revision"], *revision, "run {run}");
        if *project == shared {
            last_shared = last_shared.max(*revision);
        }
    }
    for project in acked.projects.iter().map(|(id, _)| *id).chain([shared]) {
        let detail = get(format!("/projects/{project}")).await;
        let numbers: Vec<u64> = detail["revisions"]
            .as_array()
            .unwrap()
            .iter()
            .map(|r| r["revision"].as_u64().unwrap())
            .collect();
        let expected: Vec<u64> = (1..=numbers.len() as u64).collect();
        assert_eq!(numbers, expected, "revisions of {project}");
        for (_, run, revision) in acked.runs.iter().filter(|(p, _, _)| *p == project) {
            let listed = &detail["revisions"][(*revision - 1) as usize];
            assert_eq!(listed["run_id"], serde_json::json!(run), "{project}");
        }
    }
    let body = serde_json::json!({"prd_text": "# After", "project_id": shared});
    let next = post_json(&http, &base, "/runs", body, 201).await.unwrap();
    let next = next["run"]["revision"].as_u64().unwrap();
    assert!(
        next > last_shared,
        "revision {next} reuses a number up to {last_shared}"
    );
    for (project, holder) in &acked.leases {
        let response = http
            .post(format!("{base}/projects/{project}/sync-leases"))
            .bearer_auth(TOKEN)
            .json(&serde_json::json!({"target": "local", "holder": "after the crash"}))
            .send()
            .await
            .unwrap();
        assert_eq!(response.status(), 409, "the lease of {project} was lost");
        let body: serde_json::Value = response.json().await.unwrap();
        assert!(
            body["message"].as_str().unwrap().contains(holder.as_str()),
            "{body}"
        );
    }
    child.start_kill().unwrap();
    child.wait().await.unwrap();
}

/// A client that sends a write and hangs up at once: the write happens
/// whole or not at all, so the run list always agrees with `run.json`.
#[tokio::test]
async fn a_write_whose_client_hangs_up_is_finished_whole() {
    use tokio::io::AsyncWriteExt;

    let app = crate::support::spawn_app(&[]).await;
    let addr = app.server.as_ref().unwrap().local_addr;
    let mut ids = Vec::new();
    for _ in 0..60 {
        ids.push(app.new_run().await);
    }
    let hang_ups = ids.iter().map(|id| {
        let body = r#"{"status":"parsed","current_step":"parse"}"#;
        let request = format!(
            "PATCH /runs/{id} HTTP/1.1\r\nhost: {addr}\r\nauthorization: Bearer {TOKEN}\r\ncontent-type: application/json\r\ncontent-length: {}\r\n\r\n{body}",
            body.len()
        );
        async move {
            let mut socket = tokio::net::TcpStream::connect(addr).await.unwrap();
            socket.write_all(request.as_bytes()).await.unwrap();
            // Gone before the answer: hyper drops the request's future.
            drop(socket);
        }
    });
    futures::future::join_all(hang_ups).await;

    // Whatever was written is in the list too, once the writes settle.
    let mut settled = false;
    for _ in 0..100 {
        tokio::time::sleep(Duration::from_millis(50)).await;
        let listed = app.client.list_runs(None, None).await.unwrap();
        let mut disagree = 0;
        let mut parsed = 0;
        for id in &ids {
            let detail = app.client.get_run(*id).await.unwrap().run;
            let row = listed.runs.iter().find(|r| r.run_id == *id).unwrap();
            parsed += usize::from(detail.status == RunStatus::Parsed);
            disagree += usize::from(row.status != detail.status);
        }
        if disagree == 0 && parsed > 0 {
            settled = true;
            break;
        }
    }
    assert!(
        settled,
        "the run list disagrees with run.json after hang-ups"
    );
    app.stop().await;
}
