//! Stand-in for GitHub Actions workflow dispatch and workflow runs, on
//! 127.0.0.1:0. It follows GitHub's documented REST behaviour closely enough
//! to exercise a real client: bearer/token auth with 401 "Bad credentials",
//! `{message, documentation_url}` error bodies, 422 for missing or unknown
//! keys, 404 for unknown workflows and runs, and the dispatch answer with
//! `return_run_details` (200 with the run's ids, or 204 without).
//! Every request is recorded for assertions.

use std::collections::{BTreeMap, HashSet};
use std::net::SocketAddr;
use std::sync::{Arc, Mutex};

use axum::Router;
use axum::body::Bytes;
use axum::extract::{Path, State};
use axum::http::{HeaderMap, Method, StatusCode, Uri};
use axum::response::{IntoResponse, Response};
use axum::routing::{get, post};
use serde_json::{Value, json};
use tokio::task::JoinHandle;

const DOCS: &str =
    "https://docs.github.com/rest/actions/workflows#create-a-workflow-dispatch-event";

/// How the stand-in answers workflow dispatches.
#[derive(Debug, Clone, PartialEq, Eq)]
pub enum DispatchMode {
    /// Current GitHub: 200 with `{workflow_run_id, run_url, html_url}` when
    /// `return_run_details` is true, else 204.
    ReturnRunDetails,
    /// Older servers: always 204, no details.
    NoContent,
    /// Servers that do not know the field: 422 naming it, 204 without it.
    RejectReturnRunDetails,
    /// Every dispatch fails with this status and message.
    Fail { status: u16, message: String },
    /// A GitHub that accepts the connection and never answers a dispatch.
    Hang,
}

/// One request as the stand-in received it.
#[derive(Debug, Clone)]
pub struct RecordedRequest {
    pub method: String,
    pub path: String,
    pub authorization: Option<String>,
    pub body: Option<Value>,
}

#[derive(Debug)]
struct WorkflowRunState {
    owner: String,
    repo: String,
    status: String,
    conclusion: Option<String>,
}

#[derive(Debug)]
struct Inner {
    token: String,
    workflows: HashSet<String>,
    mode: DispatchMode,
    next_run_id: u64,
    runs: BTreeMap<u64, WorkflowRunState>,
    requests: Vec<RecordedRequest>,
    base_url: String,
}

type Shared = Arc<Mutex<Inner>>;

/// A running stand-in; dropped, it stops serving.
#[derive(Debug)]
pub struct GithubActionsStandIn {
    pub addr: SocketAddr,
    /// `http://127.0.0.1:<port>`, to use as `GITHUB_API_URL`.
    pub base_url: String,
    inner: Shared,
    task: JoinHandle<()>,
}

impl Drop for GithubActionsStandIn {
    fn drop(&mut self) {
        self.task.abort();
    }
}

impl GithubActionsStandIn {
    /// Starts a stand-in that accepts `token` and knows the given workflow files.
    pub async fn start(token: &str, workflows: &[&str]) -> anyhow::Result<Self> {
        let listener = tokio::net::TcpListener::bind("127.0.0.1:0").await?;
        let addr = listener.local_addr()?;
        let base_url = format!("http://{addr}");
        let inner = Arc::new(Mutex::new(Inner {
            token: token.to_owned(),
            workflows: workflows.iter().map(|w| (*w).to_owned()).collect(),
            mode: DispatchMode::ReturnRunDetails,
            next_run_id: 7_000_000_001,
            runs: BTreeMap::new(),
            requests: Vec::new(),
            base_url: base_url.clone(),
        }));
        let app = Router::new()
            .route(
                "/repos/{owner}/{repo}/actions/workflows/{workflow}/dispatches",
                post(dispatch),
            )
            .route("/repos/{owner}/{repo}/actions/runs/{run_id}", get(get_run))
            .fallback(fallback)
            .with_state(inner.clone());
        let task = tokio::spawn(async move {
            let _ = axum::serve(listener, app).await;
        });
        Ok(Self {
            addr,
            base_url,
            inner,
            task,
        })
    }

    fn lock(&self) -> std::sync::MutexGuard<'_, Inner> {
        self.inner.lock().unwrap_or_else(|p| p.into_inner())
    }

    pub fn set_mode(&self, mode: DispatchMode) {
        self.lock().mode = mode;
    }

    /// Every request received so far.
    pub fn requests(&self) -> Vec<RecordedRequest> {
        self.lock().requests.clone()
    }

    /// The workflow dispatch requests received so far.
    pub fn dispatches(&self) -> Vec<RecordedRequest> {
        self.requests()
            .into_iter()
            .filter(|r| r.path.ends_with("/dispatches"))
            .collect()
    }

    /// The ids of the workflow runs created so far, oldest first.
    pub fn run_ids(&self) -> Vec<u64> {
        self.lock().runs.keys().copied().collect()
    }

    /// Moves a workflow run to `in_progress`.
    pub fn start_run(&self, id: u64) {
        if let Some(run) = self.lock().runs.get_mut(&id) {
            run.status = "in_progress".to_owned();
        }
    }

    /// Ends a workflow run with `conclusion` (`success`, `failure`, `cancelled`...).
    pub fn complete_run(&self, id: u64, conclusion: &str) {
        if let Some(run) = self.lock().runs.get_mut(&id) {
            run.status = "completed".to_owned();
            run.conclusion = Some(conclusion.to_owned());
        }
    }
}

fn error(status: StatusCode, message: &str) -> Response {
    (
        status,
        axum::Json(json!({"message": message, "documentation_url": DOCS})),
    )
        .into_response()
}

fn record(inner: &mut Inner, method: &Method, uri: &Uri, headers: &HeaderMap, body: &[u8]) {
    inner.requests.push(RecordedRequest {
        method: method.to_string(),
        path: uri.path().to_owned(),
        authorization: headers
            .get("authorization")
            .and_then(|v| v.to_str().ok())
            .map(str::to_owned),
        body: serde_json::from_slice(body).ok(),
    });
}

/// The 401 answer for a request without the stand-in's token, if it lacks it.
fn unauthorised(inner: &Inner, headers: &HeaderMap) -> Option<Response> {
    let Some(value) = headers.get("authorization").and_then(|v| v.to_str().ok()) else {
        return Some(error(StatusCode::UNAUTHORIZED, "Requires authentication"));
    };
    let token = value
        .strip_prefix("Bearer ")
        .or_else(|| value.strip_prefix("token "))
        .unwrap_or("");
    (token != inner.token).then(|| error(StatusCode::UNAUTHORIZED, "Bad credentials"))
}

async fn dispatch(
    State(inner): State<Shared>,
    Path((owner, repo, workflow)): Path<(String, String, String)>,
    method: Method,
    uri: Uri,
    headers: HeaderMap,
    body: Bytes,
) -> Response {
    let hang = {
        let mut inner = inner.lock().unwrap_or_else(|p| p.into_inner());
        record(&mut inner, &method, &uri, &headers, &body);
        inner.mode == DispatchMode::Hang
    };
    if hang {
        return std::future::pending().await;
    }
    let mut inner = inner.lock().unwrap_or_else(|p| p.into_inner());
    if let Some(response) = unauthorised(&inner, &headers) {
        return response;
    }
    if !inner.workflows.contains(&workflow) {
        return error(StatusCode::NOT_FOUND, "Not Found");
    }
    let Ok(Value::Object(fields)) = serde_json::from_slice::<Value>(&body) else {
        return error(StatusCode::BAD_REQUEST, "Problems parsing JSON");
    };
    if let DispatchMode::Fail { status, message } = &inner.mode {
        let status = StatusCode::from_u16(*status).unwrap_or(StatusCode::INTERNAL_SERVER_ERROR);
        return error(status, message);
    }
    for key in fields.keys() {
        let permitted = matches!(key.as_str(), "ref" | "inputs")
            || (key == "return_run_details" && inner.mode != DispatchMode::RejectReturnRunDetails);
        if !permitted {
            return error(
                StatusCode::UNPROCESSABLE_ENTITY,
                &format!("Invalid request.\n\n\"{key}\" is not a permitted key."),
            );
        }
    }
    if !fields.get("ref").is_some_and(Value::is_string) {
        return error(
            StatusCode::UNPROCESSABLE_ENTITY,
            "Invalid request.\n\n\"ref\" wasn't supplied.",
        );
    }
    if let Some(inputs) = fields.get("inputs") {
        let all_strings = inputs
            .as_object()
            .is_some_and(|m| m.values().all(Value::is_string));
        if !all_strings {
            return error(
                StatusCode::UNPROCESSABLE_ENTITY,
                "Invalid request.\n\nFor 'properties/inputs', values must be strings.",
            );
        }
    }
    let id = inner.next_run_id;
    inner.next_run_id += 1;
    inner.runs.insert(
        id,
        WorkflowRunState {
            owner: owner.clone(),
            repo: repo.clone(),
            status: "queued".to_owned(),
            conclusion: None,
        },
    );
    let wants_details = fields.get("return_run_details") == Some(&Value::Bool(true));
    if inner.mode == DispatchMode::ReturnRunDetails && wants_details {
        let base = &inner.base_url;
        return (
            StatusCode::OK,
            axum::Json(json!({
                "workflow_run_id": id,
                "run_url": format!("{base}/repos/{owner}/{repo}/actions/runs/{id}"),
                "html_url": format!("{base}/{owner}/{repo}/actions/runs/{id}"),
            })),
        )
            .into_response();
    }
    StatusCode::NO_CONTENT.into_response()
}

async fn get_run(
    State(inner): State<Shared>,
    Path((owner, repo, run_id)): Path<(String, String, String)>,
    method: Method,
    uri: Uri,
    headers: HeaderMap,
) -> Response {
    let mut inner = inner.lock().unwrap_or_else(|p| p.into_inner());
    record(&mut inner, &method, &uri, &headers, &[]);
    if let Some(response) = unauthorised(&inner, &headers) {
        return response;
    }
    let found = run_id
        .parse::<u64>()
        .ok()
        .and_then(|id| inner.runs.get(&id).map(|run| (id, run)))
        .filter(|(_, run)| run.owner == owner && run.repo == repo);
    match found {
        Some((id, run)) => axum::Json(json!({
            "id": id,
            "status": run.status,
            "conclusion": run.conclusion,
            "html_url": format!("{}/{owner}/{repo}/actions/runs/{id}", inner.base_url),
        }))
        .into_response(),
        None => error(StatusCode::NOT_FOUND, "Not Found"),
    }
}

async fn fallback(
    State(inner): State<Shared>,
    method: Method,
    uri: Uri,
    headers: HeaderMap,
    body: Bytes,
) -> Response {
    let mut inner = inner.lock().unwrap_or_else(|p| p.into_inner());
    record(&mut inner, &method, &uri, &headers, &body);
    error(StatusCode::NOT_FOUND, "Not Found")
}
