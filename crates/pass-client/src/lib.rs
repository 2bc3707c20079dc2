//! A typed client for the PASS API: one method per route of the contract.
//!
//! The agents call back into the server with it, and the `pass` command drives
//! a server with it. Requests that are safe to repeat are retried on
//! connection errors and 502/503/504 so a restarting server does not fail a run.

use std::time::Duration;

use pass_contracts::api::{
    ArtifactEnvelope, ArtifactUpload, ArtifactWithPayload, DispatchOptions, DispatchResponse,
    ExecutionUpdate, RunEnvelope, RunList, RunPatch, RunWithArtifacts,
};
use pass_contracts::coordination::{
    AcceptDefault, ApproveRequest, Clarification, ClarificationAnswer, ClarificationList,
    ClarificationOutcome, NewClarification, RefinementRequest,
};
use pass_contracts::projects::{ProjectEnvelope, ProjectList, SyncLeaseEnvelope, SyncLeaseRequest};
use pass_contracts::{
    ArtifactMetadata, ErrorBody, ImplementationState, Project, ProjectDetail, ProjectInput,
    RunDetail, RunInput, SyncLease, WorkflowName,
};
use pass_retry::Backoff;
use reqwest::{Method, StatusCode};
use secrecy::{ExposeSecret, SecretString};
use serde::Serialize;
use serde::de::DeserializeOwned;
use url::Url;
use uuid::Uuid;

/// What went wrong talking to the PASS API. Never contains the token.
#[derive(Debug, thiserror::Error)]
pub enum ClientError {
    #[error("invalid PASS API base URL {url:?}: {reason}")]
    BadBaseUrl { url: String, reason: String },
    #[error("PASS API {method} {path} answered {status} {code}: {message}")]
    Api {
        method: String,
        path: String,
        status: u16,
        code: String,
        message: String,
    },
    #[error("PASS API {method} {path} could not be reached: {reason}")]
    Transport {
        method: String,
        path: String,
        reason: String,
    },
    #[error("PASS API {method} {path} answered {status} with an unreadable body: {reason}")]
    Decode {
        method: String,
        path: String,
        status: u16,
        reason: String,
    },
}

impl ClientError {
    /// The HTTP status of an API error answer, if the server answered.
    pub fn status(&self) -> Option<u16> {
        match self {
            ClientError::Api { status, .. } | ClientError::Decode { status, .. } => Some(*status),
            _ => None,
        }
    }

    /// The contract error code of an API error answer (`run_conflict`, ...).
    pub fn code(&self) -> Option<&str> {
        match self {
            ClientError::Api { code, .. } => Some(code),
            _ => None,
        }
    }
}

/// A handle on one PASS server; cheap to clone.
#[derive(Clone)]
pub struct PassClient {
    http: reqwest::Client,
    base: Url,
    token: Option<SecretString>,
    backoff: Backoff,
}

impl std::fmt::Debug for PassClient {
    fn fmt(&self, f: &mut std::fmt::Formatter<'_>) -> std::fmt::Result {
        f.debug_struct("PassClient")
            .field("base", &self.base.as_str())
            .field("token", &self.token.as_ref().map(|_| "[redacted]"))
            .finish()
    }
}

impl PassClient {
    /// A client for the server at `base_url` (e.g. `http://127.0.0.1:3001`).
    pub fn new(base_url: &str, token: Option<SecretString>) -> Result<Self, ClientError> {
        let mut base = Url::parse(base_url.trim()).map_err(|e| ClientError::BadBaseUrl {
            url: base_url.to_owned(),
            reason: e.to_string(),
        })?;
        if !matches!(base.scheme(), "http" | "https") {
            return Err(ClientError::BadBaseUrl {
                url: base_url.to_owned(),
                reason: "the scheme must be http or https".to_owned(),
            });
        }
        if !base.path().ends_with('/') {
            let path = format!("{}/", base.path());
            base.set_path(&path);
        }
        let http = reqwest::Client::builder()
            .timeout(Duration::from_secs(60))
            .connect_timeout(Duration::from_secs(10))
            .user_agent(concat!("pass-client/", env!("CARGO_PKG_VERSION")))
            .build()
            .map_err(|e| ClientError::BadBaseUrl {
                url: base_url.to_owned(),
                reason: e.to_string(),
            })?;
        Ok(Self {
            http,
            base,
            token,
            backoff: DEFAULT_BACKOFF,
        })
    }

    /// Sets how many times a repeatable request is retried (default 3).
    pub fn with_retries(mut self, retries: u32) -> Self {
        self.backoff.max_retries = retries;
        self
    }

    pub fn base_url(&self) -> &Url {
        &self.base
    }

    /// `POST /runs`. Not retried: a repeat could create a second run.
    pub async fn create_run(&self, input: &RunInput) -> Result<RunDetail, ClientError> {
        let envelope: RunEnvelope = self.send(Method::POST, "runs", Some(input), false).await?;
        Ok(envelope.run)
    }

    /// `GET /runs`, optionally one page of it.
    pub async fn list_runs(
        &self,
        limit: Option<u64>,
        offset: Option<u64>,
    ) -> Result<RunList, ClientError> {
        let mut query = Vec::new();
        if let Some(limit) = limit {
            query.push(format!("limit={limit}"));
        }
        if let Some(offset) = offset {
            query.push(format!("offset={offset}"));
        }
        let path = if query.is_empty() {
            "runs".to_owned()
        } else {
            format!("runs?{}", query.join("&"))
        };
        self.send::<(), _>(Method::GET, &path, None, true).await
    }

    /// `GET /runs/{runId}`.
    pub async fn get_run(&self, run_id: Uuid) -> Result<RunWithArtifacts, ClientError> {
        self.send::<(), _>(Method::GET, &format!("runs/{run_id}"), None, true)
            .await
    }

    /// `PATCH /runs/{runId}`.
    pub async fn patch_run(
        &self,
        run_id: Uuid,
        patch: &RunPatch,
    ) -> Result<RunDetail, ClientError> {
        let envelope: RunEnvelope = self
            .send(Method::PATCH, &format!("runs/{run_id}"), Some(patch), true)
            .await?;
        Ok(envelope.run)
    }

    /// `POST /runs/{runId}/dispatch/{workflowName}`. Not retried: the server
    /// answers 409 to a second dispatch anyway.
    pub async fn dispatch(
        &self,
        run_id: Uuid,
        workflow: WorkflowName,
    ) -> Result<DispatchResponse, ClientError> {
        let path = format!("runs/{run_id}/dispatch/{}", workflow.as_str());
        self.send::<(), _>(Method::POST, &path, None, false).await
    }

    /// [`Self::dispatch`] with options (`dry_run`, `force`) for
    /// `phase2-implementation`; default options send no body, as the seed did.
    pub async fn dispatch_with(
        &self,
        run_id: Uuid,
        workflow: WorkflowName,
        options: &DispatchOptions,
    ) -> Result<DispatchResponse, ClientError> {
        if options.is_default() {
            return self.dispatch(run_id, workflow).await;
        }
        let path = format!("runs/{run_id}/dispatch/{}", workflow.as_str());
        self.send(Method::POST, &path, Some(options), false).await
    }

    /// `PATCH /runs/{runId}/execution`: an agent reporting its own status.
    pub async fn update_execution(
        &self,
        run_id: Uuid,
        update: &ExecutionUpdate,
    ) -> Result<RunDetail, ClientError> {
        let path = format!("runs/{run_id}/execution");
        let envelope: RunEnvelope = self.send(Method::PATCH, &path, Some(update), true).await?;
        Ok(envelope.run)
    }

    /// `POST /runs/{runId}/artifacts`. Retried: a second upload of the same
    /// name replaces the first.
    pub async fn upload_artifact(
        &self,
        run_id: Uuid,
        upload: &ArtifactUpload,
    ) -> Result<ArtifactMetadata, ClientError> {
        let path = format!("runs/{run_id}/artifacts");
        let envelope: ArtifactEnvelope = self.send(Method::POST, &path, Some(upload), true).await?;
        Ok(envelope.artifact)
    }

    /// `GET /runs/{runId}/artifacts/{name}`.
    pub async fn get_artifact(
        &self,
        run_id: Uuid,
        name: &str,
    ) -> Result<ArtifactWithPayload, ClientError> {
        let path = format!("runs/{run_id}/artifacts/{name}");
        self.send::<(), _>(Method::GET, &path, None, true).await
    }

    /// `GET /runs/{runId}/artifacts/{name}?raw=true`: the stored file itself
    /// (Markdown, text or JSON) and its content type, for saving as it is.
    pub async fn get_artifact_raw(
        &self,
        run_id: Uuid,
        name: &str,
    ) -> Result<(String, Vec<u8>), ClientError> {
        let path = format!("runs/{run_id}/artifacts/{name}?raw=true");
        let shown_path = format!("/runs/{run_id}/artifacts/{name}");
        let url = self.base.join(&path).map_err(|e| ClientError::BadBaseUrl {
            url: format!("{}{path}", self.base),
            reason: e.to_string(),
        })?;
        let mut request = self.http.get(url);
        if let Some(token) = &self.token {
            request = request.bearer_auth(token.expose_secret());
        }
        let transport = |e: reqwest::Error| ClientError::Transport {
            method: "GET".to_owned(),
            path: shown_path.clone(),
            reason: error_chain(&e),
        };
        let response = request.send().await.map_err(transport)?;
        if !response.status().is_success() {
            return decode::<()>(&Method::GET, &shown_path, response)
                .await
                .map(|()| (String::new(), Vec::new()));
        }
        let content_type = response
            .headers()
            .get(reqwest::header::CONTENT_TYPE)
            .and_then(|v| v.to_str().ok())
            .unwrap_or("application/octet-stream")
            .to_owned();
        let bytes = response.bytes().await.map_err(transport)?;
        Ok((content_type, bytes.to_vec()))
    }

    /// `PATCH /runs/{runId}/implementation-state`.
    pub async fn put_implementation_state(
        &self,
        run_id: Uuid,
        state: &ImplementationState,
    ) -> Result<RunDetail, ClientError> {
        let path = format!("runs/{run_id}/implementation-state");
        let envelope: RunEnvelope = self.send(Method::PATCH, &path, Some(state), true).await?;
        Ok(envelope.run)
    }

    /// `POST /projects`. Not retried: a second attempt would answer 409.
    pub async fn create_project(&self, input: &ProjectInput) -> Result<Project, ClientError> {
        let envelope: ProjectEnvelope = self
            .send(Method::POST, "projects", Some(input), false)
            .await?;
        Ok(envelope.project)
    }

    /// `GET /projects`, optionally only the one called `name`.
    pub async fn list_projects(&self, name: Option<&str>) -> Result<ProjectList, ClientError> {
        let path = match name {
            Some(name) => {
                let mut url =
                    Url::parse("http://x/projects").map_err(|e| ClientError::BadBaseUrl {
                        url: "projects".to_owned(),
                        reason: e.to_string(),
                    })?;
                url.query_pairs_mut().append_pair("name", name);
                format!("projects?{}", url.query().unwrap_or_default())
            }
            None => "projects".to_owned(),
        };
        self.send::<(), _>(Method::GET, &path, None, true).await
    }

    /// The project called `name` (compared without regard to case), if any.
    pub async fn find_project(&self, name: &str) -> Result<Option<Project>, ClientError> {
        let list = self.list_projects(Some(name)).await?;
        Ok(list.projects.into_iter().next().map(|row| row.project))
    }

    /// `GET /projects/{projectId}`.
    pub async fn get_project(&self, project_id: Uuid) -> Result<ProjectDetail, ClientError> {
        self.send::<(), _>(Method::GET, &format!("projects/{project_id}"), None, true)
            .await
    }

    /// `POST /projects/{projectId}/sync-leases`. Not retried: a lost answer
    /// would leave a lease nobody knows it holds, refusing the retry with 409.
    pub async fn acquire_sync_lease(
        &self,
        project_id: Uuid,
        request: &SyncLeaseRequest,
    ) -> Result<SyncLease, ClientError> {
        let path = format!("projects/{project_id}/sync-leases");
        let envelope: SyncLeaseEnvelope =
            self.send(Method::POST, &path, Some(request), false).await?;
        Ok(envelope.lease)
    }

    /// `PUT /projects/{projectId}/sync-leases/{leaseId}`.
    pub async fn renew_sync_lease(
        &self,
        project_id: Uuid,
        lease_id: Uuid,
    ) -> Result<SyncLease, ClientError> {
        let path = format!("projects/{project_id}/sync-leases/{lease_id}");
        let envelope: SyncLeaseEnvelope =
            self.send::<(), _>(Method::PUT, &path, None, true).await?;
        Ok(envelope.lease)
    }

    /// `DELETE /projects/{projectId}/sync-leases/{leaseId}`.
    pub async fn release_sync_lease(
        &self,
        project_id: Uuid,
        lease_id: Uuid,
    ) -> Result<(), ClientError> {
        let path = format!("projects/{project_id}/sync-leases/{lease_id}");
        self.send::<(), ()>(Method::DELETE, &path, None, true).await
    }

    /// `GET /runs/{runId}/clarifications`.
    pub async fn clarifications(&self, run_id: Uuid) -> Result<Vec<Clarification>, ClientError> {
        let list: ClarificationList = self
            .send::<(), _>(
                Method::GET,
                &format!("runs/{run_id}/clarifications"),
                None,
                true,
            )
            .await?;
        Ok(list.clarifications)
    }

    /// `POST /runs/{runId}/clarifications`. Not retried: a second attempt
    /// would ask twice.
    pub async fn add_clarification(
        &self,
        run_id: Uuid,
        question: &NewClarification,
    ) -> Result<Clarification, ClientError> {
        let path = format!("runs/{run_id}/clarifications");
        self.send(Method::POST, &path, Some(question), false).await
    }

    /// `POST /runs/{runId}/clarifications/{id}/answer`. Not retried: an
    /// answer plans a revision.
    pub async fn answer_clarification(
        &self,
        run_id: Uuid,
        clarification_id: &str,
        answer: &ClarificationAnswer,
    ) -> Result<ClarificationOutcome, ClientError> {
        let path = format!(
            "runs/{run_id}/clarifications/{}/answer",
            path_segment(clarification_id)
        );
        self.send(Method::POST, &path, Some(answer), false).await
    }

    /// `POST /runs/{runId}/clarifications/{id}/accept-default`.
    pub async fn accept_default(
        &self,
        run_id: Uuid,
        clarification_id: &str,
        accept: &AcceptDefault,
    ) -> Result<ClarificationOutcome, ClientError> {
        let path = format!(
            "runs/{run_id}/clarifications/{}/accept-default",
            path_segment(clarification_id)
        );
        self.send(Method::POST, &path, Some(accept), true).await
    }

    /// `POST /runs/{runId}/approve`.
    pub async fn approve(
        &self,
        run_id: Uuid,
        request: &ApproveRequest,
    ) -> Result<RunDetail, ClientError> {
        let envelope: RunEnvelope = self
            .send(
                Method::POST,
                &format!("runs/{run_id}/approve"),
                Some(request),
                true,
            )
            .await?;
        Ok(envelope.run)
    }

    /// `POST /projects/{projectId}/refinements`. Not retried: each call plans a revision.
    pub async fn refine(
        &self,
        project_id: Uuid,
        request: &RefinementRequest,
    ) -> Result<RunDetail, ClientError> {
        let envelope: RunEnvelope = self
            .send(
                Method::POST,
                &format!("projects/{project_id}/refinements"),
                Some(request),
                false,
            )
            .await?;
        Ok(envelope.run)
    }

    /// `GET /healthz`.
    pub async fn health(&self) -> Result<serde_json::Value, ClientError> {
        self.send::<(), _>(Method::GET, "healthz", None, true).await
    }

    async fn send<B: Serialize, T: DeserializeOwned>(
        &self,
        method: Method,
        path: &str,
        body: Option<&B>,
        repeatable: bool,
    ) -> Result<T, ClientError> {
        let url = self.base.join(path).map_err(|e| ClientError::BadBaseUrl {
            url: format!("{}{path}", self.base),
            reason: e.to_string(),
        })?;
        let shown_path = format!("/{}", path.split('?').next().unwrap_or(path));
        let retries = if repeatable {
            self.backoff.max_retries
        } else {
            0
        };
        let mut delays = self.backoff.delays().take(retries as usize);
        let mut attempt = 0;
        loop {
            attempt += 1;
            let mut request = self.http.request(method.clone(), url.clone());
            if let Some(token) = &self.token {
                request = request.bearer_auth(token.expose_secret());
            }
            if let Some(body) = body {
                request = request.json(body);
            }
            let outcome = request.send().await;
            let retry_after = match outcome {
                Ok(response) => {
                    let status = response.status();
                    let transient = matches!(
                        status,
                        StatusCode::BAD_GATEWAY
                            | StatusCode::SERVICE_UNAVAILABLE
                            | StatusCode::GATEWAY_TIMEOUT
                    );
                    let retry_after = response
                        .headers()
                        .get(reqwest::header::RETRY_AFTER)
                        .and_then(|v| v.to_str().ok())
                        .and_then(pass_retry::parse_retry_after);
                    match delays.next().filter(|_| transient) {
                        Some(delay) => {
                            tracing::warn!(%method, path = %shown_path, %status, attempt, "PASS API unavailable; retrying");
                            retry_after.map_or(delay, |wait| wait.min(MAX_RETRY_AFTER))
                        }
                        None => return decode(&method, &shown_path, response).await,
                    }
                }
                Err(error) => {
                    let retryable = error.is_connect() || error.is_timeout();
                    match delays.next().filter(|_| retryable) {
                        Some(delay) => {
                            tracing::warn!(%method, path = %shown_path, attempt, "PASS API unreachable; retrying");
                            delay
                        }
                        None => {
                            return Err(ClientError::Transport {
                                method: method.to_string(),
                                path: shown_path,
                                reason: error_chain(&error),
                            });
                        }
                    }
                }
            };
            tokio::time::sleep(retry_after).await;
        }
    }
}

/// Retries of repeatable requests: 3, from a quarter second on.
const DEFAULT_BACKOFF: Backoff =
    Backoff::new(3, Duration::from_millis(250), Duration::from_secs(4));
/// The longest `retry-after` the client waits out before retrying.
const MAX_RETRY_AFTER: Duration = Duration::from_secs(30);

/// A value as one path segment: everything but unreserved characters escaped.
fn path_segment(value: &str) -> String {
    value
        .bytes()
        .map(|b| match b {
            b'A'..=b'Z' | b'a'..=b'z' | b'0'..=b'9' | b'-' | b'_' | b'.' | b'~' => {
                (b as char).to_string()
            }
            other => format!("%{other:02X}"),
        })
        .collect()
}

async fn decode<T: DeserializeOwned>(
    method: &Method,
    path: &str,
    response: reqwest::Response,
) -> Result<T, ClientError> {
    let status = response.status();
    let bytes = response.bytes().await.map_err(|e| ClientError::Transport {
        method: method.to_string(),
        path: path.to_owned(),
        reason: error_chain(&e),
    })?;
    if status.is_success() {
        // 204 has no body: read as JSON null, which `()` accepts.
        let bytes: &[u8] = if bytes.is_empty() { b"null" } else { &bytes };
        return serde_json::from_slice(bytes).map_err(|e| ClientError::Decode {
            method: method.to_string(),
            path: path.to_owned(),
            status: status.as_u16(),
            reason: e.to_string(),
        });
    }
    let (code, message) = match serde_json::from_slice::<ErrorBody>(&bytes) {
        Ok(body) => {
            let mut message = body.message;
            for issue in body.issues {
                message.push_str(&format!("; {issue}"));
            }
            (body.error.as_str().to_owned(), message)
        }
        Err(_) => ("unknown".to_owned(), summarize_foreign_body(&bytes)),
    };
    Err(ClientError::Api {
        method: method.to_string(),
        path: path.to_owned(),
        status: status.as_u16(),
        code,
        message,
    })
}

/// One line for an error answer that is not PASS's JSON: a proxy's or
/// another server's HTML page becomes its title (or first heading), other
/// text its first 200 characters with the whitespace folded, so a wrong
/// `--api` shows as one readable line instead of a page of markup.
fn summarize_foreign_body(bytes: &[u8]) -> String {
    let text = String::from_utf8_lossy(bytes);
    let folded = |s: &str| s.split_whitespace().collect::<Vec<_>>().join(" ");
    let lower = text.to_ascii_lowercase();
    let element = |tag: &str| {
        let open = lower.find(&format!("<{tag}"))?;
        let start = open + lower[open..].find('>')? + 1;
        let end = start + lower[start..].find(&format!("</{tag}"))?;
        let inner = folded(&strip_tags(&text[start..end]));
        (!inner.is_empty()).then_some(inner)
    };
    let summary = if lower.contains("<html") || lower.trim_start().starts_with("<!doctype") {
        let title = element("title")
            .or_else(|| element("h1"))
            .unwrap_or_else(|| "untitled".to_owned());
        format!("an HTML page, not PASS's JSON: \"{title}\" (is this the PASS API?)")
    } else if text.trim().is_empty() {
        "an empty body, not PASS's JSON (is this the PASS API?)".to_owned()
    } else {
        folded(&text)
    };
    summary.chars().take(200).collect()
}

/// The text of an HTML fragment without its tags.
fn strip_tags(html: &str) -> String {
    let mut out = String::new();
    let mut in_tag = false;
    for c in html.chars() {
        match c {
            '<' => in_tag = true,
            '>' => in_tag = false,
            _ if !in_tag => out.push(c),
            _ => {}
        }
    }
    out
}

fn error_chain(error: &dyn std::error::Error) -> String {
    let mut text = error.to_string();
    let mut source = error.source();
    while let Some(inner) = source {
        text.push_str(": ");
        text.push_str(&inner.to_string());
        source = inner.source();
    }
    text
}

#[cfg(test)]
mod tests {
    use super::summarize_foreign_body;

    #[test]
    fn foreign_error_pages_become_one_line() {
        let page = b"<!DOCTYPE html>\n<html><head>\n<title>502 Bad\n Gateway</title></head>\n<body><h1>Bad Gateway</h1><p>nginx</p></body></html>";
        assert_eq!(
            summarize_foreign_body(page),
            "an HTML page, not PASS's JSON: \"502 Bad Gateway\" (is this the PASS API?)"
        );
        let untitled = b"<html><body><h1>Not <b>Found</b></h1></body></html>";
        assert!(summarize_foreign_body(untitled).contains("\"Not Found\""));
        let text = "line one\n\n   line two\t".repeat(40);
        let summary = summarize_foreign_body(text.as_bytes());
        assert!(!summary.contains('\n') && summary.chars().count() <= 200);
        assert!(summary.starts_with("line one line two"));
        assert!(summarize_foreign_body(b"").contains("empty body"));
    }
}
