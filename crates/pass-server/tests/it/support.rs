//! `spawn_app`: a server on 127.0.0.1:0 with its own runs folder and a typed client.

use std::collections::HashMap;
use std::path::{Path, PathBuf};
use std::time::Duration;

use pass_client::PassClient;
use pass_contracts::api::DispatchResponse;
use pass_contracts::{Execution, RunInput, WorkflowName};
use pass_server::{RunningServer, ServerConfig};
use secrecy::SecretString;
use serde::de::DeserializeOwned;
use serde_json::Value;
use uuid::Uuid;

pub const TOKEN: &str = "test-token-4f1b";

/// A folder under the system temp dir, removed when dropped.
pub struct TempDir(pub PathBuf);

impl TempDir {
    pub fn new(label: &str) -> Self {
        let path =
            std::env::temp_dir().join(format!("pass-server-it-{label}-{}", uuid::Uuid::new_v4()));
        fs_err::create_dir_all(&path).unwrap();
        Self(path)
    }

    pub fn path(&self) -> &Path {
        &self.0
    }
}

impl Drop for TempDir {
    fn drop(&mut self) {
        let _ = fs_err::remove_dir_all(&self.0);
    }
}

pub struct TestApp {
    pub server: Option<RunningServer>,
    pub client: PassClient,
    pub http: reqwest::Client,
    pub base: String,
    pub runs_dir: PathBuf,
    _dir: Option<TempDir>,
}

impl TestApp {
    pub fn url(&self, path: &str) -> String {
        format!("{}{}", self.base, path)
    }

    /// A request with the bearer token.
    pub fn authed(&self, method: reqwest::Method, path: &str) -> reqwest::RequestBuilder {
        self.http.request(method, self.url(path)).bearer_auth(TOKEN)
    }

    /// Sends an authed request, with `body` as its JSON when there is one.
    pub async fn send(
        &self,
        method: reqwest::Method,
        path: &str,
        body: Option<Value>,
    ) -> reqwest::Response {
        let mut request = self.authed(method, path);
        if let Some(body) = body {
            request = request.json(&body);
        }
        request.send().await.unwrap()
    }

    /// Uploads an artifact to run `id` as the agents do.
    pub async fn upload(
        &self,
        id: Uuid,
        name: &str,
        content_type: &str,
        payload: Value,
    ) -> reqwest::Response {
        let body =
            serde_json::json!({"name": name, "content_type": content_type, "payload": payload});
        self.send(
            reqwest::Method::POST,
            &format!("/runs/{id}/artifacts"),
            Some(body),
        )
        .await
    }

    /// A GET without the token.
    pub async fn get_public(&self, path: &str) -> reqwest::Response {
        self.http.get(self.url(path)).send().await.unwrap()
    }

    /// The JSON answer of a GET without the token (probes are public).
    pub async fn get_public_json(&self, path: &str) -> Value {
        self.get_public(path).await.json().await.unwrap()
    }

    /// Creates a run from the sample PRD and answers its id.
    pub async fn new_run(&self) -> Uuid {
        self.client
            .create_run(&run_input(None))
            .await
            .unwrap()
            .run_id
    }

    /// Dispatches the planner for run `id`, which must be refused with
    /// `status` and `code`; answers the error body.
    pub async fn dispatch_error(&self, id: Uuid, status: u16, code: &str) -> Value {
        let response = self
            .send(reqwest::Method::POST, &format!("/runs/{id}/dispatch"), None)
            .await;
        expect_error(response, status, code).await
    }

    /// Dispatches `workflow` for run `id`, which must be accepted.
    pub async fn dispatch(&self, id: Uuid, workflow: WorkflowName) -> DispatchResponse {
        self.client.dispatch(id, workflow).await.unwrap()
    }

    /// The run's execution, which must exist.
    pub async fn execution(&self, id: Uuid) -> Execution {
        self.client
            .get_run(id)
            .await
            .unwrap()
            .run
            .execution
            .unwrap()
    }

    /// Polls the run's execution until `done` holds (30 s at most).
    pub async fn wait_for_execution(
        &self,
        id: Uuid,
        what: &str,
        done: impl Fn(&Execution) -> bool,
    ) -> Execution {
        for _ in 0..1500 {
            let execution = self.client.get_run(id).await.unwrap().run.execution;
            if let Some(execution) = execution.filter(&done) {
                return execution;
            }
            tokio::time::sleep(Duration::from_millis(20)).await;
        }
        let execution = self.client.get_run(id).await.unwrap().run.execution;
        panic!("{what} never happened for {id}: {execution:?}");
    }

    pub async fn stop(mut self) {
        if let Some(server) = self.server.take() {
            server.shutdown().await.unwrap();
        }
    }
}

pub fn env(pairs: &[(&str, &str)]) -> HashMap<String, String> {
    pairs
        .iter()
        .map(|(k, v)| (k.to_string(), v.to_string()))
        .collect()
}

/// Starts a server with the token set, on a fresh runs folder, plus `extra` env.
pub async fn spawn_app(extra: &[(&str, &str)]) -> TestApp {
    let dir = TempDir::new("runs");
    let runs_dir = dir.path().to_path_buf();
    let mut app = spawn_app_in(&runs_dir, extra).await;
    app._dir = Some(dir);
    app
}

/// Starts a server on an existing runs folder (kept after the test app ends).
pub async fn spawn_app_in(runs_dir: &Path, extra: &[(&str, &str)]) -> TestApp {
    let mut vars = env(&[
        ("PASS_API_TOKEN", TOKEN),
        ("PASS_BIND", "127.0.0.1:0"),
        ("PASS_AGENT_BIN_DIR", "/nonexistent-pass-agents"),
    ]);
    vars.insert("RUNS_DIR".into(), runs_dir.display().to_string());
    for (k, v) in extra {
        if v.is_empty() {
            vars.remove(*k);
        } else {
            vars.insert(k.to_string(), v.to_string());
        }
    }
    let config = ServerConfig::from_lookup(|name| vars.get(name).cloned()).unwrap();
    let server = pass_server::start(config).await.unwrap();
    let base = format!("http://{}", server.local_addr);
    let client = client_for(&base).with_retries(0);
    TestApp {
        server: Some(server),
        client,
        http: reqwest::Client::new(),
        base,
        runs_dir: runs_dir.to_path_buf(),
        _dir: None,
    }
}

/// A client of the server at `base` with the test token.
pub fn client_for(base: &str) -> PassClient {
    PassClient::new(base, Some(SecretString::from(TOKEN.to_owned()))).unwrap()
}

/// Parses a JSON file the server wrote.
pub fn read_json_file<T: DeserializeOwned>(path: &Path) -> T {
    serde_json::from_str(&fs_err::read_to_string(path).unwrap()).unwrap()
}

/// A real PRD from the samples (13 KB, so bodies have a realistic size).
pub fn prd() -> String {
    let path =
        Path::new(env!("CARGO_MANIFEST_DIR")).join("../../samples/prds/shelf-board-tagged.txt");
    fs_err::read_to_string(path).unwrap()
}

pub fn run_input(yaml: Option<&str>) -> RunInput {
    serde_json::from_value(serde_json::json!({
        "prd_text": prd(),
        "org_constraints_yaml": yaml,
        "requested_by": "it",
        "source": {"trigger": "api"}
    }))
    .unwrap()
}

/// Asserts an error body's message names `needle`.
pub fn assert_message_contains(body: &Value, needle: &str) {
    let message = body["message"].as_str().unwrap();
    assert!(message.contains(needle), "{needle:?} not in {body}");
}

/// Asserts an error answer has the contract's shape and code.
pub async fn expect_error(
    response: reqwest::Response,
    status: u16,
    code: &str,
) -> serde_json::Value {
    let got = response.status().as_u16();
    let content_type = response
        .headers()
        .get("content-type")
        .map(|v| v.to_str().unwrap().to_owned())
        .unwrap_or_default();
    let text = response.text().await.unwrap();
    assert_eq!(got, status, "body: {text}");
    assert!(
        content_type.starts_with("application/json"),
        "{content_type}: {text}"
    );
    let body: serde_json::Value = serde_json::from_str(&text).unwrap();
    assert_eq!(body["error"], code, "{body}");
    assert!(
        body["message"]
            .as_str()
            .is_some_and(|m| !m.trim().is_empty()),
        "{body}"
    );
    body
}
