//! GitHub issues through octocrab's raw requests, so every answer's
//! `x-ratelimit-*`, `retry-after` and `Link` headers can be read and obeyed.

use std::collections::HashSet;
use std::sync::atomic::{AtomicU64, Ordering};
use std::time::{Duration, SystemTime, UNIX_EPOCH};

use http::{HeaderMap, Method};
use octocrab::Octocrab;
use pass_contracts::runs::GithubState;
use secrecy::{ExposeSecret, SecretString};
use serde::Deserialize;
use serde_json::{Value, json};
use tokio::sync::Mutex;
use tokio::time::Instant;
use url::Url;
use uuid::Uuid;

use crate::config::GithubSettings;
use crate::error::TrackerError;
use crate::marker::{Marker, parse_body};
use crate::tracker::{
    IssueEdit, IssueTracker, NewIssue, RequestCounts, TrackedComment, TrackedIssue, label_colour,
};

/// How hard to try before giving up on a request. Defaults follow GitHub's
/// guidance: a minute's pause on a secondary limit that names no wait.
#[derive(Debug, Clone)]
pub struct RetryPolicy {
    /// Attempts per request after a 5xx or a transport error, the first included.
    pub max_attempts: u32,
    /// First backoff after a 5xx or a transport error; doubles each time.
    pub base_delay: Duration,
    /// First wait after a secondary rate limit without `retry-after`; doubles each time.
    pub secondary_wait: Duration,
    /// How long the whole sync may spend waiting out rate limits. Within it
    /// the agent waits as long and as often as GitHub asks; a wait that would
    /// end past it fails the request instead.
    pub time_budget: Duration,
}

impl Default for RetryPolicy {
    fn default() -> Self {
        Self {
            max_attempts: 5,
            base_delay: Duration::from_secs(1),
            secondary_wait: Duration::from_secs(60),
            time_budget: Duration::from_secs(30 * 60),
        }
    }
}

#[derive(Debug, Default)]
struct Pacing {
    last_write: Option<Instant>,
    blocked_until: Option<Instant>,
}

/// The issues of one GitHub repository.
pub struct GithubTracker {
    client: Octocrab,
    owner: String,
    repo: String,
    api_url: Url,
    write_interval: Duration,
    retry: RetryPolicy,
    /// When the tracker was made: the time budget counts from here.
    started: Instant,
    pacing: Mutex<Pacing>,
    reads: AtomicU64,
    writes: AtomicU64,
}

impl std::fmt::Debug for GithubTracker {
    fn fmt(&self, f: &mut std::fmt::Formatter<'_>) -> std::fmt::Result {
        f.debug_struct("GithubTracker")
            .field("repository", &format!("{}/{}", self.owner, self.repo))
            .field("api_url", &self.api_url.as_str())
            .field("write_interval", &self.write_interval)
            .finish_non_exhaustive()
    }
}

struct Reply {
    headers: HeaderMap,
    body: String,
}

impl GithubTracker {
    pub fn new(settings: &GithubSettings) -> Result<Self, TrackerError> {
        let setup_error = |reason: String| TrackerError::Setup {
            url: settings.api_url.to_string(),
            reason,
        };
        let client = Octocrab::builder()
            .base_uri(settings.api_url.as_str())
            .map_err(|e| setup_error(e.to_string()))?
            .personal_token(SecretString::from(
                settings.token.expose_secret().to_owned(),
            ))
            .set_connect_timeout(Some(Duration::from_secs(10)))
            .set_read_timeout(Some(Duration::from_secs(60)))
            .build()
            .map_err(|e| setup_error(e.to_string()))?;
        Ok(Self {
            client,
            owner: settings.owner.clone(),
            repo: settings.repo.clone(),
            api_url: settings.api_url.clone(),
            write_interval: settings.write_interval,
            retry: RetryPolicy::default(),
            started: Instant::now(),
            pacing: Mutex::new(Pacing::default()),
            reads: AtomicU64::new(0),
            writes: AtomicU64::new(0),
        })
    }

    /// Replaces the retry policy (tests and benchmarks use short waits).
    pub fn with_retry_policy(mut self, retry: RetryPolicy) -> Self {
        self.retry = retry;
        self
    }

    /// How much of the time budget is left.
    fn budget_left(&self) -> Duration {
        (self.started + self.retry.time_budget).saturating_duration_since(Instant::now())
    }

    fn repo_path(&self) -> String {
        format!("/repos/{}/{}", self.owner, self.repo)
    }

    /// Waits out a known rate-limit reset, and spaces writes by the interval.
    async fn pace(&self, is_write: bool) {
        let mut pacing = self.pacing.lock().await;
        if let Some(until) = pacing.blocked_until.take() {
            let now = Instant::now();
            if until > now {
                let wait = (until - now).min(self.budget_left());
                tracing::warn!(
                    wait_ms = wait.as_millis() as u64,
                    "GitHub rate limit exhausted; waiting for x-ratelimit-reset"
                );
                tokio::time::sleep(wait).await;
            }
        }
        if is_write {
            if let Some(last) = pacing.last_write {
                tokio::time::sleep_until(last + self.write_interval).await;
            }
            pacing.last_write = Some(Instant::now());
        }
    }

    async fn note_rate_limit(&self, headers: &HeaderMap) {
        if header_u64(headers, "x-ratelimit-remaining") == Some(0) {
            if let Some(reset) = header_u64(headers, "x-ratelimit-reset") {
                self.pacing.lock().await.blocked_until = Some(Instant::now() + until_epoch(reset));
            }
        }
    }

    /// How long to wait before retrying a 403/429, or `None` when the answer
    /// is a plain refusal rather than a rate limit.
    fn rate_limit_wait(
        &self,
        status: u16,
        headers: &HeaderMap,
        message: &str,
        attempt: u32,
    ) -> Option<Duration> {
        if status != 403 && status != 429 {
            return None;
        }
        let retry_after = header_u64(headers, "retry-after");
        let exhausted = header_u64(headers, "x-ratelimit-remaining") == Some(0);
        let says_so = message.to_ascii_lowercase().contains("rate limit");
        if !(status == 429 || retry_after.is_some() || exhausted || says_so) {
            return None;
        }
        if let Some(seconds) = retry_after {
            return Some(Duration::from_secs(seconds));
        }
        if exhausted {
            if let Some(reset) = header_u64(headers, "x-ratelimit-reset") {
                return Some(until_epoch(reset));
            }
        }
        Some(self.retry.secondary_wait * 2u32.saturating_pow(attempt.saturating_sub(1)))
    }

    async fn send(
        &self,
        method: Method,
        path: &str,
        body: Option<&Value>,
    ) -> Result<Reply, TrackerError> {
        self.send_with(method, path, body, true).await
    }

    /// Sends a request, waiting out rate limits (GitHub refused it, so it did
    /// nothing). After a 5xx or a transport error the request may or may not
    /// have acted; it is retried only when `retry_unknown` is set, i.e. when
    /// acting twice is harmless.
    async fn send_with(
        &self,
        method: Method,
        path: &str,
        body: Option<&Value>,
        retry_unknown: bool,
    ) -> Result<Reply, TrackerError> {
        let shown = path.split('?').next().unwrap_or(path).to_owned();
        let is_write = method != Method::GET;
        let max_attempts = self.retry.max_attempts.max(1);
        let mut attempt = 0;
        loop {
            attempt += 1;
            self.pace(is_write).await;
            if is_write {
                self.writes.fetch_add(1, Ordering::Relaxed);
            } else {
                self.reads.fetch_add(1, Ordering::Relaxed);
            }
            let outcome = match method {
                Method::GET => self.client._get(path).await,
                Method::POST => self.client._post(path, body).await,
                Method::PATCH => self.client._patch(path, body).await,
                Method::DELETE => self.client._delete(path, body).await,
                _ => {
                    return Err(TrackerError::Transport {
                        method: method.to_string(),
                        path: shown,
                        reason: "unsupported method".to_owned(),
                    });
                }
            };
            let response = match outcome {
                Ok(response) => response,
                Err(error) => {
                    if retry_unknown && attempt < max_attempts {
                        let wait = self.backoff(attempt);
                        tracing::warn!(%method, path = %shown, attempt, error = %error, "GitHub unreachable; retrying");
                        tokio::time::sleep(wait).await;
                        continue;
                    }
                    return Err(TrackerError::Transport {
                        method: method.to_string(),
                        path: shown,
                        reason: error.to_string(),
                    });
                }
            };
            let status = response.status().as_u16();
            let headers = response.headers().clone();
            let text = self.client.body_to_string(response).await.map_err(|e| {
                TrackerError::Transport {
                    method: method.to_string(),
                    path: shown.clone(),
                    reason: e.to_string(),
                }
            })?;
            self.note_rate_limit(&headers).await;
            if (200..300).contains(&status) {
                return Ok(Reply {
                    headers,
                    body: text,
                });
            }
            let message = github_message(&text);
            if let Some(wait) = self.rate_limit_wait(status, &headers, &message, attempt) {
                let left = self.budget_left();
                if wait > left {
                    return Err(TrackerError::RateLimited {
                        method: method.to_string(),
                        path: shown,
                        attempts: attempt,
                        wait_seconds: wait.as_secs(),
                        budget_left_seconds: left.as_secs(),
                        message,
                    });
                }
                tracing::warn!(%method, path = %shown, status, attempt, wait_ms = wait.as_millis() as u64, "GitHub rate limit; waiting before retrying");
                tokio::time::sleep(wait).await;
                continue;
            }
            if retry_unknown && status >= 500 && attempt < max_attempts {
                let wait = self.backoff(attempt);
                tracing::warn!(%method, path = %shown, status, attempt, "GitHub server error; retrying");
                tokio::time::sleep(wait).await;
                continue;
            }
            return Err(TrackerError::Api {
                method: method.to_string(),
                path: shown,
                status,
                message,
            });
        }
    }

    /// Creates an issue without ever making two. A create that GitHub may
    /// have carried out although the answer was lost (5xx, transport error)
    /// is not simply sent again: the newest issues are searched for the
    /// body's marker first, and an issue found there is the one created.
    async fn create_once(
        &self,
        path: &str,
        body: &Value,
        marker: &Marker,
    ) -> Result<Reply, TrackerError> {
        let max_attempts = self.retry.max_attempts.max(1);
        let mut attempt = 0;
        loop {
            attempt += 1;
            let error = match self.send_with(Method::POST, path, Some(body), false).await {
                Ok(reply) => return Ok(reply),
                Err(error) if outcome_unknown(&error) => error,
                Err(error) => return Err(error),
            };
            match self.find_created(marker).await {
                Ok(Some(reply)) => {
                    tracing::warn!(path, attempt, %error, "GitHub created the issue although the answer was lost; adopting it");
                    return Ok(reply);
                }
                Ok(None) => {}
                Err(lookup) => {
                    // Without the lookup a retry could duplicate the issue;
                    // the next sync adopts it by its marker if it exists.
                    tracing::warn!(path, %error, %lookup, "could not check whether GitHub created the issue; not retrying");
                    return Err(error);
                }
            }
            if attempt >= max_attempts {
                return Err(error);
            }
            tracing::warn!(path, attempt, %error, "GitHub did not create the issue; retrying");
            tokio::time::sleep(self.backoff(attempt)).await;
        }
    }

    /// The newest issue carrying `marker`, answered as if it were the create's reply.
    async fn find_created(&self, marker: &Marker) -> Result<Option<Reply>, TrackerError> {
        let path = format!(
            "{}/issues?state=all&sort=created&direction=desc&per_page={RECENT_ISSUES}",
            self.repo_path()
        );
        let reply = self.send(Method::GET, &path, None).await?;
        let recent: Vec<Value> = decode(&reply, "GET", &path)?;
        let found = recent.into_iter().find(|issue| {
            issue.get("pull_request").is_none()
                && issue
                    .get("body")
                    .and_then(Value::as_str)
                    .and_then(parse_body)
                    .is_some_and(|marked| same_marker(&marked.marker, marker))
        });
        Ok(found.map(|issue| Reply {
            headers: reply.headers.clone(),
            body: issue.to_string(),
        }))
    }

    /// The wait after failed attempt `attempt` (1-based), on PASS's one
    /// retry schedule; callers stop at `max_attempts` themselves.
    fn backoff(&self, attempt: u32) -> Duration {
        let schedule = pass_retry::Backoff::new(
            self.retry.max_attempts.saturating_sub(1).max(attempt),
            self.retry.base_delay,
            self.retry.secondary_wait.max(self.retry.base_delay),
        );
        schedule.delay(attempt, None).unwrap_or(schedule.max_delay)
    }

    /// Every page of a list, following `Link: <…>; rel="next"`.
    async fn get_all<T: for<'de> Deserialize<'de>>(
        &self,
        path: &str,
    ) -> Result<Vec<T>, TrackerError> {
        let mut items = Vec::new();
        let mut query = "per_page=100&page=1".to_owned();
        let mut seen = HashSet::new();
        loop {
            let separator = if path.contains('?') { '&' } else { '?' };
            let full = format!("{path}{separator}{query}");
            let reply = self.send(Method::GET, &full, None).await?;
            let page: Vec<T> = decode(&reply, "GET", path)?;
            items.extend(page);
            seen.insert(query.clone());
            match next_page_query(&reply.headers) {
                Some(next) if !seen.contains(&next) => {
                    query = strip_known(&next, path);
                }
                _ => break,
            }
        }
        Ok(items)
    }
}

/// How many of the newest issues are searched for a create's marker; other
/// writers would have to create this many issues in the moment between the
/// lost answer and the lookup to hide it.
const RECENT_ISSUES: u32 = 50;

/// A 5xx or a transport failure: the request may have been carried out.
fn outcome_unknown(error: &TrackerError) -> bool {
    match error {
        TrackerError::Transport { .. } => true,
        TrackerError::Api { status, .. } => *status >= 500,
        _ => false,
    }
}

fn same_marker(found: &Marker, wanted: &Marker) -> bool {
    found.plan_item_id.trim() == wanted.plan_item_id.trim()
        && match (
            Uuid::parse_str(&found.run_id),
            Uuid::parse_str(&wanted.run_id),
        ) {
            (Ok(a), Ok(b)) => a == b,
            _ => found.run_id.eq_ignore_ascii_case(&wanted.run_id),
        }
}

/// The `next` link carries the whole query (`state=all&per_page=100&page=2`);
/// drop the parts already in `path` so they are not sent twice.
fn strip_known(next_query: &str, path: &str) -> String {
    let known: HashSet<&str> = path
        .split_once('?')
        .map(|(_, q)| q.split('&').filter_map(|p| p.split('=').next()).collect())
        .unwrap_or_default();
    next_query
        .split('&')
        .filter(|pair| !known.contains(pair.split('=').next().unwrap_or(pair)))
        .collect::<Vec<_>>()
        .join("&")
}

fn decode<T: for<'de> Deserialize<'de>>(
    reply: &Reply,
    method: &str,
    path: &str,
) -> Result<T, TrackerError> {
    serde_json::from_str(&reply.body).map_err(|e| TrackerError::Decode {
        method: method.to_owned(),
        path: path.split('?').next().unwrap_or(path).to_owned(),
        status: 200,
        reason: e.to_string(),
    })
}

/// The query of the `rel="next"` link of an RFC 5988 `Link` header.
pub(crate) fn next_page_query(headers: &HeaderMap) -> Option<String> {
    let link = headers.get(http::header::LINK)?.to_str().ok()?;
    link.split(',').find_map(|part| {
        let (target, params) = part.split_once(';')?;
        let is_next = params.split(';').any(|param| {
            param
                .trim()
                .strip_prefix("rel=")
                .is_some_and(|rel| rel.trim_matches('"').split(' ').any(|r| r == "next"))
        });
        if !is_next {
            return None;
        }
        let target = target.trim().strip_prefix('<')?.strip_suffix('>')?;
        Url::parse(target).ok()?.query().map(str::to_owned)
    })
}

fn header_u64(headers: &HeaderMap, name: &str) -> Option<u64> {
    headers.get(name)?.to_str().ok()?.trim().parse().ok()
}

fn until_epoch(epoch_seconds: u64) -> Duration {
    let now = SystemTime::now()
        .duration_since(UNIX_EPOCH)
        .unwrap_or_default()
        .as_secs();
    Duration::from_secs(epoch_seconds.saturating_sub(now) + 1)
}

/// GitHub's `{message, errors}` answer as one line, e.g.
/// `Validation Failed: body is too long (maximum is 65536 characters)`.
fn github_message(text: &str) -> String {
    #[derive(Deserialize)]
    struct ErrorAnswer {
        message: Option<String>,
        #[serde(default)]
        errors: Vec<Value>,
    }
    match serde_json::from_str::<ErrorAnswer>(text) {
        Ok(answer) => {
            let message = answer
                .message
                .unwrap_or_else(|| "no message given".to_owned());
            let details: Vec<String> = answer
                .errors
                .iter()
                .map(|error| match error {
                    Value::String(text) => text.clone(),
                    Value::Object(fields) => match fields.get("message").and_then(Value::as_str) {
                        Some(text) => text.to_owned(),
                        None => [
                            fields.get("resource").and_then(Value::as_str),
                            fields.get("field").and_then(Value::as_str),
                            fields.get("code").and_then(Value::as_str),
                        ]
                        .into_iter()
                        .flatten()
                        .collect::<Vec<_>>()
                        .join(" "),
                    },
                    other => other.to_string(),
                })
                .collect();
            if details.is_empty() {
                message
            } else {
                format!("{message}: {}", details.join("; "))
            }
        }
        Err(_) => {
            let snippet: String = text.chars().take(200).collect();
            if snippet.trim().is_empty() {
                "empty answer".to_owned()
            } else {
                snippet
            }
        }
    }
}

#[derive(Deserialize)]
struct GhIssue {
    id: u64,
    number: u64,
    #[serde(default)]
    title: String,
    #[serde(default)]
    body: Option<String>,
    state: String,
    #[serde(default)]
    labels: Vec<GhLabel>,
    html_url: Url,
    #[serde(default)]
    pull_request: Option<Value>,
    #[serde(default)]
    issue_dependencies_summary: Option<GhDependencySummary>,
    #[serde(default)]
    assignees: Vec<GhUser>,
    #[serde(default)]
    comments: u64,
}

#[derive(Deserialize)]
struct GhUser {
    login: String,
}

#[derive(Deserialize)]
struct GhComment {
    #[serde(default)]
    body: Option<String>,
}

#[derive(Deserialize)]
#[serde(untagged)]
enum GhLabel {
    Name(String),
    Object { name: String },
}

#[derive(Deserialize)]
struct GhDependencySummary {
    #[serde(default)]
    blocked_by: Option<u64>,
    #[serde(default)]
    total_blocked_by: Option<u64>,
}

#[derive(Deserialize)]
struct GhId {
    id: u64,
}

#[derive(Deserialize)]
struct GhLabelName {
    name: String,
}

impl From<GhIssue> for TrackedIssue {
    fn from(issue: GhIssue) -> Self {
        TrackedIssue {
            number: issue.number,
            id: issue.id,
            title: issue.title,
            body: issue.body.unwrap_or_default(),
            labels: issue
                .labels
                .into_iter()
                .map(|label| match label {
                    GhLabel::Name(name) | GhLabel::Object { name } => name,
                })
                .collect(),
            state: if issue.state.eq_ignore_ascii_case("closed") {
                GithubState::Closed
            } else {
                GithubState::Open
            },
            url: issue.html_url,
            blocked_by_count: issue
                .issue_dependencies_summary
                .and_then(|s| s.total_blocked_by.or(s.blocked_by)),
            assignees: issue.assignees.into_iter().map(|u| u.login).collect(),
            comments: issue.comments,
        }
    }
}

impl IssueTracker for GithubTracker {
    fn describe(&self) -> String {
        format!("github:{}/{}", self.owner, self.repo)
    }

    fn requests(&self) -> RequestCounts {
        RequestCounts {
            reads: self.reads.load(Ordering::Relaxed),
            writes: self.writes.load(Ordering::Relaxed),
        }
    }

    fn supports_dependencies(&self) -> bool {
        true
    }

    async fn list_issues(&self) -> Result<Vec<TrackedIssue>, TrackerError> {
        let issues: Vec<GhIssue> = self
            .get_all(&format!("{}/issues?state=all", self.repo_path()))
            .await?;
        Ok(issues
            .into_iter()
            .filter(|issue| issue.pull_request.is_none())
            .map(TrackedIssue::from)
            .collect())
    }

    async fn ensure_labels(&self, names: &[String]) -> Result<(), TrackerError> {
        if names.is_empty() {
            return Ok(());
        }
        let existing: Vec<GhLabelName> = self
            .get_all(&format!("{}/labels", self.repo_path()))
            .await?;
        let existing: HashSet<String> = existing
            .into_iter()
            .map(|l| l.name.to_lowercase())
            .collect();
        for name in names {
            if existing.contains(&name.to_lowercase()) {
                continue;
            }
            let body = json!({ "name": name, "color": label_colour(name) });
            match self
                .send(
                    Method::POST,
                    &format!("{}/labels", self.repo_path()),
                    Some(&body),
                )
                .await
            {
                Ok(_) => {}
                Err(TrackerError::Api {
                    status: 422,
                    message,
                    ..
                }) if message.contains("already_exists") => {}
                Err(error) => return Err(error),
            }
        }
        Ok(())
    }

    async fn create_issue(&self, issue: &NewIssue) -> Result<TrackedIssue, TrackerError> {
        let body = json!({ "title": issue.title, "body": issue.body, "labels": issue.labels });
        let path = format!("{}/issues", self.repo_path());
        let reply = match parse_body(&issue.body) {
            Some(marked) => self.create_once(&path, &body, &marked.marker).await?,
            // Nothing to recognise it by: never risk a second one.
            None => {
                self.send_with(Method::POST, &path, Some(&body), false)
                    .await?
            }
        };
        let created: GhIssue = decode(&reply, "POST", &path)?;
        Ok(created.into())
    }

    async fn update_issue(
        &self,
        number: u64,
        edit: &IssueEdit,
    ) -> Result<TrackedIssue, TrackerError> {
        let body = json!(edit);
        let path = format!("{}/issues/{number}", self.repo_path());
        let reply = self.send(Method::PATCH, &path, Some(&body)).await?;
        let updated: GhIssue = decode(&reply, "PATCH", &path)?;
        Ok(updated.into())
    }

    async fn list_comments(&self, number: u64) -> Result<Vec<TrackedComment>, TrackerError> {
        let comments: Vec<GhComment> = self
            .get_all(&format!("{}/issues/{number}/comments", self.repo_path()))
            .await?;
        Ok(comments
            .into_iter()
            .map(|c| TrackedComment {
                body: c.body.unwrap_or_default(),
            })
            .collect())
    }

    async fn add_comment(&self, number: u64, body: &str) -> Result<(), TrackerError> {
        self.send(
            Method::POST,
            &format!("{}/issues/{number}/comments", self.repo_path()),
            Some(&json!({ "body": body })),
        )
        .await
        .map(|_| ())
    }

    async fn close_issue(&self, number: u64, comment: &str) -> Result<TrackedIssue, TrackerError> {
        let path = format!("{}/issues/{number}", self.repo_path());
        self.add_comment(number, comment).await?;
        let reply = self
            .send(
                Method::PATCH,
                &path,
                Some(&json!({ "state": "closed", "state_reason": "not_planned" })),
            )
            .await?;
        let closed: GhIssue = decode(&reply, "PATCH", &path)?;
        Ok(closed.into())
    }

    async fn list_blocked_by(&self, number: u64) -> Result<Vec<u64>, TrackerError> {
        let blocking: Vec<GhId> = self
            .get_all(&format!(
                "{}/issues/{number}/dependencies/blocked_by",
                self.repo_path()
            ))
            .await?;
        Ok(blocking.into_iter().map(|issue| issue.id).collect())
    }

    async fn add_blocked_by(&self, number: u64, blocking_id: u64) -> Result<(), TrackerError> {
        self.send(
            Method::POST,
            &format!(
                "{}/issues/{number}/dependencies/blocked_by",
                self.repo_path()
            ),
            Some(&json!({ "issue_id": blocking_id })),
        )
        .await
        .map(|_| ())
    }

    async fn remove_blocked_by(&self, number: u64, blocking_id: u64) -> Result<(), TrackerError> {
        self.send(
            Method::DELETE,
            &format!(
                "{}/issues/{number}/dependencies/blocked_by/{blocking_id}",
                self.repo_path()
            ),
            None,
        )
        .await
        .map(|_| ())
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn the_next_link_is_found_among_others() {
        let mut headers = HeaderMap::new();
        headers.insert(
            http::header::LINK,
            "<https://api.github.com/repositories/1/issues?state=all&per_page=100&page=1>; rel=\"prev\", <https://api.github.com/repositories/1/issues?state=all&per_page=100&page=3>; rel=\"next\", <https://api.github.com/repositories/1/issues?state=all&per_page=100&page=5>; rel=\"last\""
                .parse()
                .unwrap(),
        );
        assert_eq!(
            next_page_query(&headers).as_deref(),
            Some("state=all&per_page=100&page=3")
        );
        assert_eq!(
            strip_known(
                "state=all&per_page=100&page=3",
                "/repos/o/r/issues?state=all"
            ),
            "per_page=100&page=3"
        );
        headers.insert(
            http::header::LINK,
            "<https://x/y?page=1>; rel=\"first\"".parse().unwrap(),
        );
        assert_eq!(next_page_query(&headers), None);
    }

    #[test]
    fn github_errors_become_one_line() {
        let text = r#"{"message":"Validation Failed","errors":[{"resource":"Issue","code":"custom","field":"body","message":"body is too long (maximum is 65536 characters)"},{"resource":"Label","code":"already_exists","field":"name"}],"documentation_url":"https://docs.github.com/rest"}"#;
        assert_eq!(
            github_message(text),
            "Validation Failed: body is too long (maximum is 65536 characters); Label name already_exists"
        );
        assert_eq!(
            github_message("<html>bad gateway</html>"),
            "<html>bad gateway</html>"
        );
        assert_eq!(github_message(""), "empty answer");
    }
}
