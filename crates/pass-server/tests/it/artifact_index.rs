//! The artifact list `artifacts/index.json` cannot be overwritten through the
//! API, and an index edited by hand cannot make the server read or delete a
//! file outside the run's artifacts folder.

use reqwest::Method;
use serde_json::json;

use crate::support::{assert_message_contains, expect_error, spawn_app};

#[tokio::test]
async fn an_artifact_named_index_is_refused_and_the_index_stays_intact() {
    let app = spawn_app(&[]).await;
    let id = app.new_run().await;
    let response = app
        .upload(id, "summary", "text/markdown", json!("# ok\n"))
        .await;
    assert_eq!(response.status(), 201);
    let index_path = app
        .runs_dir
        .join(id.to_string())
        .join("artifacts")
        .join("index.json");
    let before = fs_err::read(&index_path).unwrap();

    // A payload shaped like an index that points an entry at /etc/passwd.
    let forged = json!({"version": 1, "artifacts": [{
        "name": "summary", "filename": "/etc/passwd", "content_type": "text/markdown",
        "created_at": "2026-01-01T00:00:00.000Z"
    }]});
    for content_type in ["application/json", "text/plain"] {
        let payload = if content_type == "application/json" {
            forged.clone()
        } else {
            json!(forged.to_string())
        };
        let response = app.upload(id, "index", content_type, payload).await;
        let body = expect_error(response, 400, "bad_request").await;
        assert_message_contains(&body, "reserved");
    }
    assert_eq!(
        fs_err::read(&index_path).unwrap(),
        before,
        "index.json was changed"
    );
    let detail = app.client.get_run(id).await.unwrap();
    assert_eq!(detail.artifacts.len(), 1);
    assert_eq!(detail.artifacts[0].filename.as_str(), "summary.md");
    let got = app.client.get_artifact(id, "summary").await.unwrap();
    assert_eq!(got.payload, json!("# ok\n"));
    app.stop().await;
}

#[tokio::test]
async fn a_hand_written_index_with_a_traversal_filename_serves_and_deletes_nothing_outside() {
    let app = spawn_app(&[]).await;
    let id = app.new_run().await;
    let response = app.upload(id, "notes", "text/plain", json!("mine")).await;
    assert_eq!(response.status(), 201);

    // A file outside the run's artifacts folder, reachable by ../../.. paths
    // and by its absolute path.
    let secret = app.runs_dir.join("secret.txt");
    fs_err::write(&secret, "TOP-SECRET-CONTENT").unwrap();
    let artifacts = app.runs_dir.join(id.to_string()).join("artifacts");
    let index_path = artifacts.join("index.json");
    for filename in [
        "../../secret.txt".to_owned(),
        secret.display().to_string(),
        "index.json".to_owned(),
    ] {
        let index = json!({"version": 1, "artifacts": [{
            "name": "notes", "filename": filename, "content_type": "text/plain",
            "created_at": "2026-01-01T00:00:00.000Z"
        }]});
        fs_err::write(&index_path, serde_json::to_vec_pretty(&index).unwrap()).unwrap();

        for query in ["", "?raw=true"] {
            let response = app
                .send(
                    Method::GET,
                    &format!("/runs/{id}/artifacts/notes{query}"),
                    None,
                )
                .await;
            let body = expect_error(response, 500, "internal_error").await;
            let message = body["message"].as_str().unwrap();
            assert!(!body.to_string().contains("TOP-SECRET"), "{body}");
            assert!(
                message.contains(&format!("runs/{id}/artifacts/index.json")),
                "{message}"
            );
            assert!(message.contains("corrupt"), "{message}");
            // Paths are relative to the runs folder: where it is stays private.
            let root = app.runs_dir.display().to_string();
            assert!(!body.to_string().contains(&root), "{body}");
        }

        // Re-uploading the name would delete the old entry's file: refused too.
        let response = app
            .upload(id, "notes", "application/json", json!({"a": 1}))
            .await;
        expect_error(response, 500, "internal_error").await;
        assert_eq!(
            fs_err::read_to_string(&secret).unwrap(),
            "TOP-SECRET-CONTENT",
            "{filename}"
        );
    }
    // An entry whose name itself is not a valid artifact name is not trusted either.
    let index = json!({"version": 1, "artifacts": [{
        "name": "../x", "filename": "../x.txt", "content_type": "text/plain",
        "created_at": "2026-01-01T00:00:00.000Z"
    }]});
    fs_err::write(&index_path, serde_json::to_vec_pretty(&index).unwrap()).unwrap();
    let response = app.send(Method::GET, &format!("/runs/{id}"), None).await;
    expect_error(response, 500, "internal_error").await;
    app.stop().await;
}
