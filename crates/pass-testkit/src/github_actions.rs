//! Stand-in for GitHub Actions workflow dispatch and workflow runs, on
//! 127.0.0.1:0. It follows GitHub's documented REST behaviour closely enough
//! to exercise a real client: bearer/token auth with 401 "Bad credentials",
//! `{message, documentation_url}` error bodies, 422 for missing or unknown
//! keys, 404 for unknown workflows and runs, and the dispatch answer with
//! `return_run_details` (200 with the run's ids, or 204 without), and the
//! list of a workflow's runs filtered by `event` and `created` (`>=T`, `>T`,
//! `<=T`, `<T`), newest first, with GitHub's second-precision `created_at`.
//! Every request is recorded for assertions.

use std::collections::{BTreeMap, HashSet};
use std::net::SocketAddr;
use std::sync::{Arc, Mutex};
use std::time::{SystemTime, UNIX_EPOCH};

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
    /// 204 without details, and no workflow run ever appears (as when the
    /// workflow is disabled or its file does not run on the ref).
    NoContentWithoutRun,
}

/// One request as the stand-in received it.
#[derive(Debug, Clone)]
pub struct RecordedRequest {
    pub method: String,
    pub path: String,
    pub authorization: Option<String>,
    pub body: Option<Value>,
    /// The raw query string, if the request had one.
    pub query: Option<String>,
}

#[derive(Debug)]
struct WorkflowRunState {
    owner: String,
    repo: String,
    workflow: String,
    event: String,
    /// Seconds since the Unix epoch: GitHub's `created_at` has no fraction.
    created_at: i64,
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
    /// When set, listing a workflow's runs fails with this status and message.
    list_runs_error: Option<(u16, String)>,
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
            list_runs_error: None,
        }));
        let app = Router::new()
            .route(
                "/repos/{owner}/{repo}/actions/workflows/{workflow}/dispatches",
                post(dispatch),
            )
            .route("/repos/{owner}/{repo}/actions/runs/{run_id}", get(get_run))
            .route(
                "/repos/{owner}/{repo}/actions/workflows/{workflow}/runs",
                get(list_runs),
            )
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

    /// The requests that listed a workflow's runs.
    pub fn run_listings(&self) -> Vec<RecordedRequest> {
        self.requests()
            .into_iter()
            .filter(|r| r.path.ends_with("/runs") && r.method == "GET")
            .collect()
    }

    /// Makes listing a workflow's runs fail with `status` and `message`
    /// (`None`: answer normally again).
    pub fn set_list_runs_error(&self, error: Option<(u16, String)>) {
        self.lock().list_runs_error = error;
    }

    /// Adds a workflow run nobody dispatched through this stand-in (a human,
    /// another server), created `age_secs` seconds ago; returns its id.
    pub fn add_run(&self, owner: &str, repo: &str, workflow: &str, age_secs: i64) -> u64 {
        let mut inner = self.lock();
        let id = inner.next_run_id;
        inner.next_run_id += 1;
        inner.runs.insert(
            id,
            WorkflowRunState {
                owner: owner.to_owned(),
                repo: repo.to_owned(),
                workflow: workflow.to_owned(),
                event: "workflow_dispatch".to_owned(),
                created_at: unix_now() - age_secs,
                status: "queued".to_owned(),
                conclusion: None,
            },
        );
        id
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
        query: uri.query().map(str::to_owned),
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
    if inner.mode == DispatchMode::NoContentWithoutRun {
        return StatusCode::NO_CONTENT.into_response();
    }
    let id = inner.next_run_id;
    inner.next_run_id += 1;
    inner.runs.insert(
        id,
        WorkflowRunState {
            owner: owner.clone(),
            repo: repo.clone(),
            workflow: workflow.clone(),
            event: "workflow_dispatch".to_owned(),
            created_at: unix_now(),
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

/// `GET /repos/{owner}/{repo}/actions/workflows/{workflow}/runs`.
async fn list_runs(
    State(inner): State<Shared>,
    Path((owner, repo, workflow)): Path<(String, String, String)>,
    method: Method,
    uri: Uri,
    headers: HeaderMap,
) -> Response {
    let mut inner = inner.lock().unwrap_or_else(|p| p.into_inner());
    record(&mut inner, &method, &uri, &headers, &[]);
    if let Some(response) = unauthorised(&inner, &headers) {
        return response;
    }
    if !inner.workflows.contains(&workflow) {
        return error(StatusCode::NOT_FOUND, "Not Found");
    }
    if let Some((status, message)) = &inner.list_runs_error {
        let status = StatusCode::from_u16(*status).unwrap_or(StatusCode::INTERNAL_SERVER_ERROR);
        return error(status, message);
    }
    let mut event = None;
    let mut created = None;
    let mut per_page = 30usize;
    for pair in uri
        .query()
        .unwrap_or("")
        .split('&')
        .filter(|p| !p.is_empty())
    {
        let (key, value) = pair.split_once('=').unwrap_or((pair, ""));
        let Some(value) = percent_decode(value) else {
            return error(StatusCode::BAD_REQUEST, "Invalid query string");
        };
        match key {
            "event" => event = Some(value),
            "created" => match CreatedFilter::parse(&value) {
                Some(filter) => created = Some(filter),
                None => {
                    return error(
                        StatusCode::UNPROCESSABLE_ENTITY,
                        &format!("Invalid created filter: {value:?}"),
                    );
                }
            },
            "per_page" => per_page = value.parse::<usize>().unwrap_or(30).clamp(1, 100),
            _ => {}
        }
    }
    let mut runs: Vec<(u64, &WorkflowRunState)> = inner
        .runs
        .iter()
        .filter(|(_, r)| r.owner == owner && r.repo == repo && r.workflow == workflow)
        .filter(|(_, r)| event.as_deref().is_none_or(|e| e == r.event))
        .filter(|(_, r)| created.as_ref().is_none_or(|f| f.matches(r.created_at)))
        .map(|(id, r)| (*id, r))
        .collect();
    runs.sort_by_key(|(id, r)| std::cmp::Reverse((r.created_at, *id)));
    let total = runs.len();
    let base = &inner.base_url;
    let listed: Vec<Value> = runs
        .into_iter()
        .take(per_page)
        .map(|(id, run)| {
            json!({
                "id": id,
                "name": workflow,
                "event": run.event,
                "status": run.status,
                "conclusion": run.conclusion,
                "created_at": format_unix(run.created_at),
                "html_url": format!("{base}/{owner}/{repo}/actions/runs/{id}"),
            })
        })
        .collect();
    axum::Json(json!({"total_count": total, "workflow_runs": listed})).into_response()
}

/// GitHub's `created` search qualifier, to the second.
#[derive(Debug)]
enum CreatedFilter {
    AtOrAfter(i64),
    After(i64),
    AtOrBefore(i64),
    Before(i64),
}

impl CreatedFilter {
    fn parse(text: &str) -> Option<Self> {
        if let Some(t) = text.strip_prefix(">=") {
            parse_instant(t).map(Self::AtOrAfter)
        } else if let Some(t) = text.strip_prefix("<=") {
            parse_instant(t).map(Self::AtOrBefore)
        } else if let Some(t) = text.strip_prefix('>') {
            parse_instant(t).map(Self::After)
        } else if let Some(t) = text.strip_prefix('<') {
            parse_instant(t).map(Self::Before)
        } else {
            None
        }
    }

    fn matches(&self, at: i64) -> bool {
        match *self {
            Self::AtOrAfter(t) => at >= t,
            Self::After(t) => at > t,
            Self::AtOrBefore(t) => at <= t,
            Self::Before(t) => at < t,
        }
    }
}

fn unix_now() -> i64 {
    SystemTime::now()
        .duration_since(UNIX_EPOCH)
        .map(|d| d.as_secs() as i64)
        .unwrap_or(0)
}

/// Days since 1970-01-01 of a proleptic Gregorian date.
fn days_from_civil(y: i64, m: i64, d: i64) -> i64 {
    let y = if m <= 2 { y - 1 } else { y };
    let era = y.div_euclid(400);
    let yoe = y - era * 400;
    let mp = (m + 9) % 12;
    let doy = (153 * mp + 2) / 5 + d - 1;
    let doe = yoe * 365 + yoe / 4 - yoe / 100 + doy;
    era * 146_097 + doe - 719_468
}

fn civil_from_days(z: i64) -> (i64, i64, i64) {
    let z = z + 719_468;
    let era = z.div_euclid(146_097);
    let doe = z - era * 146_097;
    let yoe = (doe - doe / 1460 + doe / 36_524 - doe / 146_096) / 365;
    let doy = doe - (365 * yoe + yoe / 4 - yoe / 100);
    let mp = (5 * doy + 2) / 153;
    let d = doy - (153 * mp + 2) / 5 + 1;
    let m = if mp < 10 { mp + 3 } else { mp - 9 };
    (
        if m <= 2 {
            yoe + era * 400 + 1
        } else {
            yoe + era * 400
        },
        m,
        d,
    )
}

/// `YYYY-MM-DDTHH:MM:SSZ`, as GitHub writes `created_at`.
fn format_unix(secs: i64) -> String {
    let (y, m, d) = civil_from_days(secs.div_euclid(86_400));
    let rest = secs.rem_euclid(86_400);
    format!(
        "{y:04}-{m:02}-{d:02}T{:02}:{:02}:{:02}Z",
        rest / 3600,
        rest % 3600 / 60,
        rest % 60
    )
}

/// `YYYY-MM-DD` or `YYYY-MM-DDTHH:MM:SS[.fff](Z|+00:00)`, in whole seconds
/// (a fraction is dropped, as GitHub compares at second precision).
fn parse_instant(text: &str) -> Option<i64> {
    let number = |s: &str| s.parse::<i64>().ok();
    let (date, time) = text.split_once('T').unwrap_or((text, "00:00:00Z"));
    let mut parts = date.split('-');
    let (y, m, d) = (
        number(parts.next()?)?,
        number(parts.next()?)?,
        number(parts.next()?)?,
    );
    let time = time
        .strip_suffix('Z')
        .or_else(|| time.strip_suffix("+00:00"))?;
    let time = time.split_once('.').map_or(time, |(whole, _)| whole);
    let mut parts = time.split(':');
    let (hh, mm, ss) = (
        number(parts.next()?)?,
        number(parts.next()?)?,
        number(parts.next()?)?,
    );
    if !(1..=12).contains(&m) || !(1..=31).contains(&d) || hh > 23 || mm > 59 || ss > 60 {
        return None;
    }
    Some(days_from_civil(y, m, d) * 86_400 + hh * 3600 + mm * 60 + ss)
}

fn percent_decode(text: &str) -> Option<String> {
    let bytes = text.as_bytes();
    let mut out = Vec::with_capacity(bytes.len());
    let mut i = 0;
    while i < bytes.len() {
        match bytes[i] {
            b'%' => {
                let hex = std::str::from_utf8(bytes.get(i + 1..i + 3)?).ok()?;
                out.push(u8::from_str_radix(hex, 16).ok()?);
                i += 3;
            }
            b'+' => {
                out.push(b' ');
                i += 1;
            }
            other => {
                out.push(other);
                i += 1;
            }
        }
    }
    String::from_utf8(out).ok()
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

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn timestamps_round_trip_at_second_precision() {
        assert_eq!(format_unix(0), "1970-01-01T00:00:00Z");
        assert_eq!(
            parse_instant("2026-02-26T10:20:30.999Z"),
            parse_instant("2026-02-26T10:20:30Z")
        );
        assert_eq!(parse_instant("2026-02-26T10:20:30Z"), Some(1_772_101_230));
        let t = parse_instant("2024-02-29T23:59:59Z").unwrap_or(0);
        assert_eq!(format_unix(t), "2024-02-29T23:59:59Z");
        assert_eq!(
            parse_instant("2026-02-26"),
            parse_instant("2026-02-26T00:00:00+00:00")
        );
        assert_eq!(percent_decode("%3E%3D2026").as_deref(), Some(">=2026"));
    }
}
