//! Stand-in for the GitHub REST API's issues, labels, comments and issue
//! dependencies, on `127.0.0.1:0`.
//!
//! It follows GitHub's documented behaviour where PASS depends on it: issues
//! and pull requests share one list (`pull_request` key) and one number
//! sequence; lists page with `per_page`/`page` and an RFC 5988 `Link` header
//! (`rel="next"`, `"last"`, `"first"`, `"prev"`); every answer carries
//! `x-ratelimit-*` headers; errors are `{message, errors?, documentation_url}`;
//! label creation answers 422 `already_exists`; `blocked_by` relations take the
//! blocking issue's numeric id (not its number). Faults can be injected per
//! request, and every request is recorded for assertions.

use std::collections::BTreeMap;
use std::net::SocketAddr;
use std::sync::{Arc, Mutex, MutexGuard};
use std::time::{Duration, SystemTime, UNIX_EPOCH};

use axum::Router;
use axum::body::Bytes;
use axum::extract::State;
use axum::http::{HeaderMap, HeaderValue, Method, StatusCode, Uri};
use axum::response::{IntoResponse, Response};
use serde_json::{Value, json};
use tokio::task::JoinHandle;

const SECONDARY_LIMIT_MESSAGE: &str = "You have exceeded a secondary rate limit. Please wait a few minutes before you try again. If you reach out to GitHub Support for help, please include the request ID 0000:0000:0000000:0000000:00000000.";
const SECONDARY_LIMIT_DOCS: &str = "https://docs.github.com/rest/overview/rate-limits-for-the-rest-api#about-secondary-rate-limits";
const RATE_LIMIT: u64 = 5000;

/// One request as the stand-in received it.
#[derive(Debug, Clone, PartialEq)]
pub struct RecordedRequest {
    pub method: String,
    pub path: String,
    pub query: Option<String>,
    pub body: Option<Value>,
    /// The status answered (for a hung request, the one it would have had).
    pub status: u16,
}

impl RecordedRequest {
    pub fn is_write(&self) -> bool {
        self.method != "GET"
    }
}

/// What an injected fault answers instead of (or on top of) the real handling.
#[derive(Debug, Clone, PartialEq, Eq)]
pub enum FaultKind {
    /// 403 with GitHub's documented secondary-limit message, and `retry-after`
    /// when given (GitHub sometimes omits it; clients should then wait a minute).
    SecondaryRateLimit { retry_after_secs: Option<u64> },
    /// 429 with `retry-after`.
    TooManyRequests { retry_after_secs: u64 },
    /// 502 Bad Gateway, without touching any state.
    BadGateway,
    /// 422 Validation Failed with `message` as the error's message.
    Validation { message: String },
    /// Handles the request (the write happens) and then never answers, as
    /// when a client is killed after GitHub acted but before it heard back.
    ApplyThenHang,
    /// Handles the request (the write happens) and then answers 502, as when
    /// GitHub acted but a proxy in front of it lost the answer.
    ApplyThenBadGateway,
}

/// A fault for the requests matching `method` and `path_contains`: the first
/// `skip` matches pass, the next `times` get `kind`.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct Fault {
    pub method: Option<Method>,
    pub path_contains: String,
    pub skip: usize,
    pub times: usize,
    pub kind: FaultKind,
}

impl Fault {
    /// `kind` once, for the first request matching `method` and `path_contains`.
    pub fn once(method: Method, path_contains: &str, kind: FaultKind) -> Self {
        Self {
            method: Some(method),
            path_contains: path_contains.to_owned(),
            skip: 0,
            times: 1,
            kind,
        }
    }

    /// Lets `skip` matching requests through first.
    pub fn after(mut self, skip: usize) -> Self {
        self.skip = skip;
        self
    }
}

/// An issue or pull request held by the stand-in.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct StoredIssue {
    pub id: u64,
    pub number: u64,
    pub title: String,
    pub body: Option<String>,
    pub state: String,
    pub state_reason: Option<String>,
    pub labels: Vec<String>,
    pub is_pull_request: bool,
    pub comments: Vec<StoredComment>,
    /// Logins of the people assigned.
    pub assignees: Vec<String>,
    /// Ids of the issues blocking this one.
    pub blocked_by: Vec<u64>,
}

/// A comment on an issue, with its author's login.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct StoredComment {
    pub id: u64,
    pub author: String,
    pub body: String,
}

/// The login the stand-in gives the token's owner (the writer of PASS's comments).
pub const TOKEN_OWNER: &str = "pass-bot";

#[derive(Debug)]
struct Repo {
    owner: String,
    name: String,
    token: String,
    issues: BTreeMap<u64, StoredIssue>,
    labels: BTreeMap<String, String>,
    next_number: u64,
    dependencies_enabled: bool,
    faults: Vec<Fault>,
    log: Vec<RecordedRequest>,
    rate_remaining: u64,
    rate_reset: u64,
    next_comment_id: u64,
    /// Added to every write's answer, so a test can catch a sync in the middle.
    write_delay: Duration,
}

type Shared = Arc<Mutex<Repo>>;

fn lock(shared: &Shared) -> MutexGuard<'_, Repo> {
    shared
        .lock()
        .unwrap_or_else(|poisoned| poisoned.into_inner())
}

/// A running stand-in for one repository; stops when dropped.
#[derive(Debug)]
pub struct GithubStandIn {
    addr: SocketAddr,
    shared: Shared,
    task: JoinHandle<()>,
}

impl Drop for GithubStandIn {
    fn drop(&mut self) {
        self.task.abort();
    }
}

impl GithubStandIn {
    /// Serves `owner/repo`, accepting only `Authorization: Bearer <token>`.
    pub async fn start(owner: &str, repo: &str, token: &str) -> anyhow::Result<Self> {
        let shared: Shared = Arc::new(Mutex::new(Repo {
            owner: owner.to_owned(),
            name: repo.to_owned(),
            token: token.to_owned(),
            issues: BTreeMap::new(),
            labels: BTreeMap::new(),
            next_number: 1,
            dependencies_enabled: true,
            faults: Vec::new(),
            log: Vec::new(),
            rate_remaining: RATE_LIMIT,
            rate_reset: epoch_now() + 3600,
            next_comment_id: 0,
            write_delay: Duration::ZERO,
        }));
        let listener = tokio::net::TcpListener::bind("127.0.0.1:0").await?;
        let addr = listener.local_addr()?;
        let app = Router::new().fallback(handle).with_state(shared.clone());
        let task = tokio::spawn(async move {
            if let Err(error) = axum::serve(listener, app).await {
                tracing::error!(%error, "GitHub stand-in stopped");
            }
        });
        Ok(Self { addr, shared, task })
    }

    /// `http://127.0.0.1:<port>`, for `GITHUB_API_URL`.
    pub fn base_url(&self) -> String {
        format!("http://{}", self.addr)
    }

    /// Every request so far, in order.
    pub fn requests(&self) -> Vec<RecordedRequest> {
        lock(&self.shared).log.clone()
    }

    /// Every request other than GET so far.
    pub fn writes(&self) -> Vec<RecordedRequest> {
        self.requests()
            .into_iter()
            .filter(|r| r.is_write())
            .collect()
    }

    pub fn clear_requests(&self) {
        lock(&self.shared).log.clear();
    }

    /// Adds an issue as if someone had opened it; returns its number.
    pub fn seed_issue(&self, title: &str, body: &str, labels: &[&str], closed: bool) -> u64 {
        let mut repo = lock(&self.shared);
        let labels: Vec<String> = labels.iter().map(|l| (*l).to_owned()).collect();
        for label in &labels {
            repo.labels
                .entry(label.clone())
                .or_insert_with(|| "ededed".to_owned());
        }
        let number = repo.insert(title, Some(body.to_owned()), labels, false);
        if closed {
            if let Some(issue) = repo.issues.get_mut(&number) {
                issue.state = "closed".to_owned();
                issue.state_reason = Some("completed".to_owned());
            }
        }
        number
    }

    /// Adds a pull request, which GitHub lists among the issues.
    pub fn seed_pull_request(&self, title: &str, body: &str) -> u64 {
        lock(&self.shared).insert(title, Some(body.to_owned()), Vec::new(), true)
    }

    /// Issues (not pull requests), by number.
    pub fn issues(&self) -> Vec<StoredIssue> {
        lock(&self.shared)
            .issues
            .values()
            .filter(|i| !i.is_pull_request)
            .cloned()
            .collect()
    }

    pub fn issue(&self, number: u64) -> Option<StoredIssue> {
        lock(&self.shared).issues.get(&number).cloned()
    }

    /// Changes an issue's body as a person would in the web editor.
    pub fn edit_body(&self, number: u64, body: &str) {
        self.edit(number, |issue| issue.body = Some(body.to_owned()));
    }

    /// Changes an issue as a person would in the web interface.
    pub fn edit(&self, number: u64, change: impl FnOnce(&mut StoredIssue)) {
        if let Some(issue) = lock(&self.shared).issues.get_mut(&number) {
            change(issue);
        }
    }

    /// Comments on an issue as the person `author`.
    pub fn comment_as(&self, number: u64, author: &str, body: &str) {
        let mut repo = lock(&self.shared);
        repo.next_comment_id += 1;
        let id = repo.next_comment_id;
        if let Some(issue) = repo.issues.get_mut(&number) {
            issue.comments.push(StoredComment {
                id,
                author: author.to_owned(),
                body: body.to_owned(),
            });
        }
    }

    /// Every write is answered `delay` late (the write itself happens at once).
    pub fn set_write_delay(&self, delay: Duration) {
        lock(&self.shared).write_delay = delay;
    }

    /// Labels of the repository with their colours.
    pub fn labels(&self) -> BTreeMap<String, String> {
        lock(&self.shared).labels.clone()
    }

    /// With `false`, every issue-dependencies endpoint answers 404, as on a
    /// GitHub Enterprise Server that predates them.
    pub fn set_dependencies_enabled(&self, enabled: bool) {
        lock(&self.shared).dependencies_enabled = enabled;
    }

    pub fn push_fault(&self, fault: Fault) {
        lock(&self.shared).faults.push(fault);
    }

    /// Sets the primary rate limit: `remaining` requests until `reset_in` from
    /// now; once spent, requests answer 403 "API rate limit exceeded" until then.
    pub fn set_rate_limit(&self, remaining: u64, reset_in: Duration) {
        let mut repo = lock(&self.shared);
        repo.rate_remaining = remaining;
        repo.rate_reset = epoch_now() + reset_in.as_secs();
    }
}

impl Repo {
    fn insert(&mut self, title: &str, body: Option<String>, labels: Vec<String>, pr: bool) -> u64 {
        let number = self.next_number;
        self.next_number += 1;
        self.issues.insert(
            number,
            StoredIssue {
                id: issue_id(number),
                number,
                title: title.to_owned(),
                body,
                state: "open".to_owned(),
                state_reason: None,
                labels,
                is_pull_request: pr,
                comments: Vec::new(),
                assignees: Vec::new(),
                blocked_by: Vec::new(),
            },
        );
        number
    }

    fn issue_json(&self, issue: &StoredIssue, host: &str) -> Value {
        let kind = if issue.is_pull_request {
            "pull"
        } else {
            "issues"
        };
        let api = format!(
            "http://{host}/repos/{}/{}/issues/{}",
            self.owner, self.name, issue.number
        );
        let open_blockers = issue
            .blocked_by
            .iter()
            .filter(|id| {
                self.issues
                    .values()
                    .any(|i| i.id == **id && i.state == "open")
            })
            .count();
        let blocking: Vec<&StoredIssue> = self
            .issues
            .values()
            .filter(|i| i.blocked_by.contains(&issue.id))
            .collect();
        let mut value = json!({
            "id": issue.id,
            "node_id": format!("I_{}", issue.id),
            "url": api,
            "html_url": format!("http://{host}/{}/{}/{kind}/{}", self.owner, self.name, issue.number),
            "number": issue.number,
            "state": issue.state,
            "state_reason": issue.state_reason,
            "title": issue.title,
            "body": issue.body,
            "labels": issue.labels.iter().map(|name| json!({
                "id": label_id(name),
                "name": name,
                "color": self.labels.get(name).cloned().unwrap_or_else(|| "ededed".to_owned()),
                "default": false,
            })).collect::<Vec<_>>(),
            "comments": issue.comments.len(),
            "assignees": issue.assignees.iter().map(|login| user_json(login)).collect::<Vec<_>>(),
            "issue_dependencies_summary": {
                "blocked_by": open_blockers,
                "blocking": blocking.iter().filter(|i| i.state == "open").count(),
                "total_blocked_by": issue.blocked_by.len(),
                "total_blocking": blocking.len(),
            },
        });
        if issue.is_pull_request {
            value["pull_request"] = json!({
                "url": format!("http://{host}/repos/{}/{}/pulls/{}", self.owner, self.name, issue.number),
            });
        }
        value
    }
}

/// Ids differ from numbers on purpose, so a client mixing them up fails.
fn comment_json(comment: &StoredComment) -> Value {
    json!({ "id": comment.id, "body": comment.body, "user": user_json(&comment.author) })
}

fn user_json(login: &str) -> Value {
    json!({ "login": login, "id": label_id(login), "type": "User" })
}

fn issue_id(number: u64) -> u64 {
    4_000_000_000 + number * 17
}

fn label_id(name: &str) -> u64 {
    name.bytes().fold(1469598103934665603u64, |h, b| {
        (h ^ u64::from(b)).wrapping_mul(1099511628211)
    }) >> 12
}

fn epoch_now() -> u64 {
    SystemTime::now()
        .duration_since(UNIX_EPOCH)
        .map(|d| d.as_secs())
        .unwrap_or_default()
}

fn github_error(status: StatusCode, message: &str, errors: Option<Value>) -> (StatusCode, Value) {
    let mut body = json!({
        "message": message,
        "documentation_url": "https://docs.github.com/rest",
        "status": status.as_str(),
    });
    if let Some(errors) = errors {
        body["errors"] = errors;
    }
    (status, body)
}

async fn handle(
    State(shared): State<Shared>,
    method: Method,
    uri: Uri,
    headers: HeaderMap,
    body: Bytes,
) -> Response {
    let path = uri.path().to_owned();
    let query = uri.query().map(str::to_owned);
    let parsed_body: Option<Value> = if body.is_empty() {
        None
    } else {
        serde_json::from_slice(&body).ok()
    };
    let host = headers
        .get("host")
        .and_then(|h| h.to_str().ok())
        .unwrap_or("127.0.0.1")
        .to_owned();

    let (fault, status, value, extra, rate) = {
        let mut repo = lock(&shared);
        let fault = take_fault(&mut repo, &method, &path);
        let (status, value, extra) = match &fault {
            Some(FaultKind::SecondaryRateLimit { retry_after_secs }) => {
                let (status, mut value) =
                    github_error(StatusCode::FORBIDDEN, SECONDARY_LIMIT_MESSAGE, None);
                value["documentation_url"] = json!(SECONDARY_LIMIT_DOCS);
                (
                    status,
                    value,
                    retry_after_secs
                        .map(|secs| vec![("retry-after", secs.to_string())])
                        .unwrap_or_default(),
                )
            }
            Some(FaultKind::TooManyRequests { retry_after_secs }) => {
                let (status, mut value) =
                    github_error(StatusCode::TOO_MANY_REQUESTS, SECONDARY_LIMIT_MESSAGE, None);
                value["documentation_url"] = json!(SECONDARY_LIMIT_DOCS);
                (
                    status,
                    value,
                    vec![("retry-after", retry_after_secs.to_string())],
                )
            }
            Some(FaultKind::BadGateway) => {
                let (status, value) = github_error(StatusCode::BAD_GATEWAY, "Server Error", None);
                (status, value, Vec::new())
            }
            Some(FaultKind::Validation { message }) => {
                let (status, value) = github_error(
                    StatusCode::UNPROCESSABLE_ENTITY,
                    "Validation Failed",
                    Some(
                        json!([{ "resource": "Issue", "code": "custom", "field": "body", "message": message }]),
                    ),
                );
                (status, value, Vec::new())
            }
            Some(FaultKind::ApplyThenHang | FaultKind::ApplyThenBadGateway) | None => {
                let authorised = headers
                    .get("authorization")
                    .and_then(|h| h.to_str().ok())
                    .is_some_and(|h| h == format!("Bearer {}", repo.token));
                let exhausted = repo.rate_remaining == 0 && repo.rate_reset > epoch_now();
                if exhausted {
                    let (status, mut value) = github_error(
                        StatusCode::FORBIDDEN,
                        "API rate limit exceeded for user ID 1. If you reach out to GitHub Support for help, please include the request ID 0000.",
                        None,
                    );
                    value["documentation_url"] = json!(
                        "https://docs.github.com/rest/overview/rate-limits-for-the-rest-api#about-the-primary-rate-limit"
                    );
                    (status, value, Vec::new())
                } else if authorised {
                    let (status, value, extra) = route(
                        &mut repo,
                        &method,
                        &path,
                        query.as_deref(),
                        parsed_body.as_ref(),
                        &host,
                    );
                    (status, value, extra)
                } else {
                    let (status, value) =
                        github_error(StatusCode::UNAUTHORIZED, "Bad credentials", None);
                    (status, value, Vec::new())
                }
            }
        };

        let (status, value, extra) = if fault == Some(FaultKind::ApplyThenBadGateway) {
            let (status, value) = github_error(StatusCode::BAD_GATEWAY, "Server Error", None);
            (status, value, Vec::new())
        } else {
            (status, value, extra)
        };

        if repo.rate_reset <= epoch_now() {
            repo.rate_remaining = RATE_LIMIT;
            repo.rate_reset = epoch_now() + 3600;
        }
        repo.rate_remaining = repo.rate_remaining.saturating_sub(1);
        let rate = [
            ("x-ratelimit-limit", RATE_LIMIT.to_string()),
            ("x-ratelimit-remaining", repo.rate_remaining.to_string()),
            (
                "x-ratelimit-used",
                (RATE_LIMIT - repo.rate_remaining.min(RATE_LIMIT)).to_string(),
            ),
            ("x-ratelimit-reset", repo.rate_reset.to_string()),
            ("x-ratelimit-resource", "core".to_owned()),
        ];
        repo.log.push(RecordedRequest {
            method: method.to_string(),
            path,
            query,
            body: parsed_body,
            status: status.as_u16(),
        });
        (fault, status, value, extra, rate)
    };

    if fault == Some(FaultKind::ApplyThenHang) {
        tokio::time::sleep(Duration::from_secs(3600)).await;
    }
    let delay = lock(&shared).write_delay;
    if method != Method::GET && !delay.is_zero() {
        tokio::time::sleep(delay).await;
    }
    let mut response = if status == StatusCode::NO_CONTENT {
        status.into_response()
    } else {
        (status, axum::Json(value)).into_response()
    };
    for (name, value) in rate.iter().chain(extra.iter()) {
        if let Ok(value) = HeaderValue::from_str(value) {
            response.headers_mut().insert(*name, value);
        }
    }
    response
}

fn take_fault(repo: &mut Repo, method: &Method, path: &str) -> Option<FaultKind> {
    let position = repo.faults.iter().position(|fault| {
        fault.method.as_ref().is_none_or(|m| m == method) && path.contains(&fault.path_contains)
    })?;
    let fault = &mut repo.faults[position];
    if fault.skip > 0 {
        fault.skip -= 1;
        return None;
    }
    let kind = fault.kind.clone();
    fault.times = fault.times.saturating_sub(1);
    if fault.times == 0 {
        repo.faults.remove(position);
    }
    Some(kind)
}

type Routed = (StatusCode, Value, Vec<(&'static str, String)>);

fn route(
    repo: &mut Repo,
    method: &Method,
    path: &str,
    query: Option<&str>,
    body: Option<&Value>,
    host: &str,
) -> Routed {
    let not_found = || {
        let (s, v) = github_error(StatusCode::NOT_FOUND, "Not Found", None);
        (s, v, Vec::new())
    };
    // GitHub Enterprise Server serves the same API under /api/v3.
    let routed = path.strip_prefix("/api/v3").unwrap_or(path);
    let segments: Vec<&str> = routed.trim_matches('/').split('/').collect();
    let ["repos", owner, name, rest @ ..] = segments.as_slice() else {
        return not_found();
    };
    if *owner != repo.owner || *name != repo.name {
        return not_found();
    }
    let params = Query::parse(query);
    match (method.as_str(), rest) {
        // The repository, as a classic token with the `repo` scope sees it.
        ("GET", []) => (
            StatusCode::OK,
            json!({
                "full_name": format!("{}/{}", repo.owner, repo.name),
                "private": true,
                "has_issues": true,
                "permissions": {"admin": false, "maintain": false, "push": true, "triage": true, "pull": true},
            }),
            vec![
                ("x-oauth-scopes", "repo, workflow".to_owned()),
                ("x-accepted-oauth-scopes", "repo".to_owned()),
            ],
        ),
        ("GET", ["issues"]) => {
            let state = params.get("state").unwrap_or("open");
            let mut all: Vec<&StoredIssue> = repo
                .issues
                .values()
                .filter(|i| state == "all" || i.state == state)
                .collect();
            all.reverse(); // newest first, GitHub's default sort
            let values: Vec<Value> = all.iter().map(|i| repo.issue_json(i, host)).collect();
            page(values, &params, host, path)
        }
        ("POST", ["issues"]) => {
            let title = body
                .and_then(|b| b.get("title"))
                .and_then(Value::as_str)
                .unwrap_or("");
            if title.trim().is_empty() {
                let (s, v) = github_error(
                    StatusCode::UNPROCESSABLE_ENTITY,
                    "Validation Failed",
                    Some(
                        json!([{ "resource": "Issue", "code": "missing_field", "field": "title" }]),
                    ),
                );
                return (s, v, Vec::new());
            }
            let text = body.and_then(|b| b.get("body")).and_then(Value::as_str);
            if text.is_some_and(|t| t.chars().count() > 65536) {
                let (s, v) = github_error(
                    StatusCode::UNPROCESSABLE_ENTITY,
                    "Validation Failed",
                    Some(
                        json!([{ "resource": "Issue", "code": "custom", "field": "body", "message": "body is too long (maximum is 65536 characters)" }]),
                    ),
                );
                return (s, v, Vec::new());
            }
            let labels = string_list(body.and_then(|b| b.get("labels")));
            for label in &labels {
                repo.labels
                    .entry(label.clone())
                    .or_insert_with(|| "ededed".to_owned());
            }
            let number = repo.insert(title, text.map(str::to_owned), labels, false);
            match repo.issues.get(&number) {
                Some(issue) => (
                    StatusCode::CREATED,
                    repo.issue_json(issue, host),
                    Vec::new(),
                ),
                None => not_found(),
            }
        }
        ("GET", ["issues", number]) => match find(repo, number) {
            Some(issue) => (StatusCode::OK, repo.issue_json(&issue, host), Vec::new()),
            None => not_found(),
        },
        ("PATCH", ["issues", number]) => {
            let Some(mut issue) = find(repo, number) else {
                return not_found();
            };
            let body = body.cloned().unwrap_or(Value::Null);
            if let Some(title) = body.get("title").and_then(Value::as_str) {
                issue.title = title.to_owned();
            }
            if let Some(text) = body.get("body") {
                issue.body = text.as_str().map(str::to_owned);
            }
            if body.get("labels").is_some() {
                issue.labels = string_list(body.get("labels"));
                for label in &issue.labels {
                    repo.labels
                        .entry(label.clone())
                        .or_insert_with(|| "ededed".to_owned());
                }
            }
            if body.get("assignees").is_some() {
                issue.assignees = string_list(body.get("assignees"));
            }
            if let Some(state) = body.get("state").and_then(Value::as_str) {
                if state != "open" && state != "closed" {
                    let (s, v) = github_error(
                        StatusCode::UNPROCESSABLE_ENTITY,
                        "Validation Failed",
                        Some(json!([{ "resource": "Issue", "code": "invalid", "field": "state" }])),
                    );
                    return (s, v, Vec::new());
                }
                issue.state = state.to_owned();
                issue.state_reason = body
                    .get("state_reason")
                    .and_then(Value::as_str)
                    .map(str::to_owned)
                    .or_else(|| (state == "closed").then(|| "completed".to_owned()));
            }
            let value = repo.issue_json(&issue, host);
            repo.issues.insert(issue.number, issue);
            (StatusCode::OK, value, Vec::new())
        }
        ("POST", ["issues", number, "comments"]) => {
            let Some(mut issue) = find(repo, number) else {
                return not_found();
            };
            let text = body
                .and_then(|b| b.get("body"))
                .and_then(Value::as_str)
                .unwrap_or("")
                .to_owned();
            repo.next_comment_id += 1;
            let comment = StoredComment {
                id: repo.next_comment_id,
                author: TOKEN_OWNER.to_owned(),
                body: text,
            };
            let value = comment_json(&comment);
            issue.comments.push(comment);
            repo.issues.insert(issue.number, issue);
            (StatusCode::CREATED, value, Vec::new())
        }
        ("GET", ["issues", number, "comments"]) => {
            let Some(issue) = find(repo, number) else {
                return not_found();
            };
            let values: Vec<Value> = issue.comments.iter().map(comment_json).collect();
            page(values, &params, host, path)
        }
        (_, ["issues", _, "dependencies", ..]) if !repo.dependencies_enabled => not_found(),
        ("GET", ["issues", number, "dependencies", "blocked_by"]) => {
            let Some(issue) = find(repo, number) else {
                return not_found();
            };
            let values: Vec<Value> = issue
                .blocked_by
                .iter()
                .filter_map(|id| repo.issues.values().find(|i| i.id == *id))
                .map(|i| repo.issue_json(i, host))
                .collect();
            page(values, &params, host, path)
        }
        ("POST", ["issues", number, "dependencies", "blocked_by"]) => {
            let Some(mut issue) = find(repo, number) else {
                return not_found();
            };
            let blocking_id = body.and_then(|b| b.get("issue_id")).and_then(Value::as_u64);
            let Some(blocking) =
                blocking_id.and_then(|id| repo.issues.values().find(|i| i.id == id).cloned())
            else {
                return not_found();
            };
            if issue.blocked_by.contains(&blocking.id) || blocking.id == issue.id {
                let (s, v) = github_error(
                    StatusCode::UNPROCESSABLE_ENTITY,
                    "Validation Failed",
                    Some(
                        json!([{ "resource": "IssueDependency", "code": "already_exists", "field": "issue_id" }]),
                    ),
                );
                return (s, v, Vec::new());
            }
            issue.blocked_by.push(blocking.id);
            repo.issues.insert(issue.number, issue);
            (
                StatusCode::CREATED,
                repo.issue_json(&blocking, host),
                Vec::new(),
            )
        }
        ("DELETE", ["issues", number, "dependencies", "blocked_by", blocking]) => {
            let Some(mut issue) = find(repo, number) else {
                return not_found();
            };
            let Some(blocking_id) = blocking.parse::<u64>().ok() else {
                return not_found();
            };
            let before = issue.blocked_by.len();
            issue.blocked_by.retain(|id| *id != blocking_id);
            if issue.blocked_by.len() == before {
                return not_found();
            }
            let value = repo
                .issues
                .values()
                .find(|i| i.id == blocking_id)
                .map(|i| repo.issue_json(i, host))
                .unwrap_or(Value::Null);
            repo.issues.insert(issue.number, issue);
            (StatusCode::OK, value, Vec::new())
        }
        ("GET", ["labels"]) => {
            let values: Vec<Value> = repo
                .labels
                .iter()
                .map(|(name, color)| json!({ "id": label_id(name), "name": name, "color": color, "default": false }))
                .collect();
            page(values, &params, host, path)
        }
        ("POST", ["labels"]) => {
            let name = body
                .and_then(|b| b.get("name"))
                .and_then(Value::as_str)
                .unwrap_or("")
                .to_owned();
            let color = body
                .and_then(|b| b.get("color"))
                .and_then(Value::as_str)
                .unwrap_or("ededed")
                .to_owned();
            if name.trim().is_empty() {
                let (s, v) = github_error(
                    StatusCode::UNPROCESSABLE_ENTITY,
                    "Validation Failed",
                    Some(
                        json!([{ "resource": "Label", "code": "missing_field", "field": "name" }]),
                    ),
                );
                return (s, v, Vec::new());
            }
            if repo.labels.keys().any(|l| l.eq_ignore_ascii_case(&name)) {
                let (s, v) = github_error(
                    StatusCode::UNPROCESSABLE_ENTITY,
                    "Validation Failed",
                    Some(
                        json!([{ "resource": "Label", "code": "already_exists", "field": "name" }]),
                    ),
                );
                return (s, v, Vec::new());
            }
            repo.labels.insert(name.clone(), color.clone());
            (
                StatusCode::CREATED,
                json!({ "id": label_id(&name), "name": name, "color": color, "default": false }),
                Vec::new(),
            )
        }
        _ => not_found(),
    }
}

fn find(repo: &Repo, number: &str) -> Option<StoredIssue> {
    repo.issues.get(&number.parse::<u64>().ok()?).cloned()
}

fn string_list(value: Option<&Value>) -> Vec<String> {
    value
        .and_then(Value::as_array)
        .map(|items| {
            items
                .iter()
                .filter_map(|item| match item {
                    Value::String(name) => Some(name.clone()),
                    Value::Object(fields) => fields
                        .get("name")
                        .and_then(Value::as_str)
                        .map(str::to_owned),
                    _ => None,
                })
                .collect()
        })
        .unwrap_or_default()
}

struct Query(Vec<(String, String)>);

impl Query {
    fn parse(query: Option<&str>) -> Self {
        Self(
            query
                .unwrap_or("")
                .split('&')
                .filter(|p| !p.is_empty())
                .map(|pair| match pair.split_once('=') {
                    Some((k, v)) => (k.to_owned(), v.to_owned()),
                    None => (pair.to_owned(), String::new()),
                })
                .collect(),
        )
    }

    fn get(&self, key: &str) -> Option<&str> {
        self.0
            .iter()
            .find(|(k, _)| k == key)
            .map(|(_, v)| v.as_str())
    }

    fn with_page(&self, page: usize) -> String {
        let mut pairs: Vec<String> = self
            .0
            .iter()
            .filter(|(k, _)| k != "page")
            .map(|(k, v)| format!("{k}={v}"))
            .collect();
        pairs.push(format!("page={page}"));
        pairs.join("&")
    }
}

/// One page of `values` with GitHub's `Link` header (default 30 per page, at most 100).
fn page(values: Vec<Value>, params: &Query, host: &str, path: &str) -> Routed {
    let per_page = params
        .get("per_page")
        .and_then(|v| v.parse::<usize>().ok())
        .unwrap_or(30)
        .clamp(1, 100);
    let page = params
        .get("page")
        .and_then(|v| v.parse::<usize>().ok())
        .unwrap_or(1)
        .max(1);
    let last = values.len().div_ceil(per_page).max(1);
    let items: Vec<Value> = values
        .into_iter()
        .skip((page - 1) * per_page)
        .take(per_page)
        .collect();
    let link = |n: usize, rel: &str| {
        format!(
            "<http://{host}{path}?{}>; rel=\"{rel}\"",
            params.with_page(n)
        )
    };
    let mut links = Vec::new();
    if page > 1 {
        links.push(link(page - 1, "prev"));
    }
    if page < last {
        links.push(link(page + 1, "next"));
        links.push(link(last, "last"));
    }
    if page > 1 {
        links.push(link(1, "first"));
    }
    let extra = if links.is_empty() {
        Vec::new()
    } else {
        vec![("link", links.join(", "))]
    };
    (StatusCode::OK, Value::Array(items), extra)
}
