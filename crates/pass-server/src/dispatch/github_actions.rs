//! The GitHub Actions backend: a workflow dispatch per agent run, and a
//! watchdog that fails the execution when the workflow run ends without the
//! agent having reported (e.g. the workflow broke before the agent started).

use std::collections::HashSet;
use std::num::NonZeroU64;
use std::sync::{Arc, Mutex};
use std::time::Duration;

use chrono::{DateTime, SecondsFormat, TimeDelta, Utc};

use octocrab::Octocrab;
use pass_contracts::api::DispatchOptions;
use pass_contracts::{
    Execution, ExecutionBackend, ExecutionStatus, RunDetail, Timestamp, WorkflowName,
};
use serde::Deserialize;
use serde_json::json;
use tokio::sync::watch;
use url::Url;
use uuid::Uuid;

use super::{DispatchError, fail_if_open, mark_failed, new_execution};
use crate::config::GithubWorkflowConfig;
use crate::store::{RunGuard, Store};

/// Why GitHub refused or could not be asked; the message is GitHub's own.
#[derive(Debug, thiserror::Error)]
pub enum GithubDispatchError {
    #[error("GitHub answered {status}: {message}")]
    Api { status: u16, message: String },
    #[error("GitHub could not be reached: {0}")]
    Transport(String),
    #[error("GitHub did not answer {route} within {waited:?}")]
    TimedOut { route: String, waited: Duration },
}

/// The answer to a dispatch with `return_run_details: true`.
#[derive(Debug, Deserialize)]
struct RunDetails {
    workflow_run_id: NonZeroU64,
    #[serde(default)]
    html_url: Option<Url>,
    #[serde(default)]
    run_url: Option<Url>,
}

#[derive(Debug, Deserialize)]
struct WorkflowRun {
    status: Option<String>,
    conclusion: Option<String>,
}

/// One entry of GitHub's list of a workflow's runs.
#[derive(Debug, Deserialize)]
struct ListedRun {
    id: NonZeroU64,
    #[serde(default)]
    html_url: Option<String>,
    created_at: DateTime<Utc>,
}

/// `GET /repos/{owner}/{repo}/actions/workflows/{file}/runs`.
#[derive(Debug, Deserialize)]
struct WorkflowRuns {
    #[serde(default)]
    workflow_runs: Vec<ListedRun>,
}

/// How far before the dispatch a workflow run may seem to have been created
/// and still be ours: GitHub writes `created_at` to the second, and its clock
/// and this server's differ a little.
const CLOCK_SKEW: TimeDelta = TimeDelta::seconds(5);

/// The longest pause between two looks for a dispatched workflow run:
/// GitHub usually creates it within seconds.
const MAX_FIND_INTERVAL: Duration = Duration::from_secs(5);

/// The dispatch input carrying this server's version when
/// `GITHUB_WORKFLOW_SEND_VERSION` is on; the workflows download the released
/// agent of that version.
pub const PASS_VERSION_INPUT: &str = "pass_version";

/// Dispatches the planner and implementation workflows of one repository.
#[derive(Debug, Clone)]
pub struct GithubActionsBackend {
    client: Octocrab,
    config: GithubWorkflowConfig,
    public_base_url: Option<Url>,
    /// How long to look for the workflow run of a dispatch answered without its id.
    find_timeout: Duration,
    /// Workflow runs that belong to an execution of this server, so that the
    /// run finder never gives one workflow run to two executions.
    claimed: Arc<Mutex<HashSet<NonZeroU64>>>,
    /// Turns true when the server shuts down, ending the watchdogs.
    stop: watch::Receiver<bool>,
}

impl GithubActionsBackend {
    pub fn new(
        config: &GithubWorkflowConfig,
        public_base_url: Option<Url>,
        find_timeout: Duration,
        stop: watch::Receiver<bool>,
    ) -> Result<Self, DispatchError> {
        let misconfigured = |e: octocrab::Error| {
            DispatchError::Misconfigured(format!(
                "cannot build the GitHub client for {}: {e}",
                config.api_url
            ))
        };
        let client = Octocrab::builder()
            .base_uri(config.api_url.as_str())
            .map_err(misconfigured)?
            .personal_token(config.token.clone())
            .set_connect_timeout(Some(config.connect_timeout))
            .set_read_timeout(Some(config.read_timeout))
            .set_write_timeout(Some(config.read_timeout))
            .build()
            .map_err(misconfigured)?;
        Ok(Self {
            client,
            config: config.clone(),
            public_base_url,
            find_timeout,
            claimed: Arc::new(Mutex::new(HashSet::new())),
            stop,
        })
    }

    fn claims(&self) -> std::sync::MutexGuard<'_, HashSet<NonZeroU64>> {
        self.claimed.lock().unwrap_or_else(|p| p.into_inner())
    }

    /// Records that workflow run `id` belongs to an execution of this server.
    pub fn claim(&self, id: NonZeroU64) {
        self.claims().insert(id);
    }

    fn workflow_file(&self, workflow: WorkflowName) -> &str {
        match workflow {
            WorkflowName::Planner => &self.config.planner_workflow_file,
            WorkflowName::Implementation => &self.config.implementation_workflow_file,
        }
    }

    pub(super) async fn start(
        &self,
        store: &Arc<Store>,
        guard: RunGuard,
        mut detail: RunDetail,
        workflow: WorkflowName,
        request_base: Url,
        options: DispatchOptions,
    ) -> Result<Execution, DispatchError> {
        let run_id = detail.run_id;
        let api_base = self
            .public_base_url
            .clone()
            .unwrap_or(request_base)
            .as_str()
            .trim_end_matches('/')
            .to_owned();
        let mut execution = new_execution(
            ExecutionBackend::GithubActions,
            workflow,
            ExecutionStatus::Dispatched,
        );
        // The seed's workflows declare two inputs, and GitHub refuses a
        // dispatch with any other: the options go along only when asked for.
        let mut inputs = json!({ "run_id": run_id.to_string(), "api_base_url": api_base });
        if !options.is_default() {
            inputs["dry_run"] = json!(options.dry_run.to_string());
            inputs["force"] = json!(options.force.to_string());
            if let Some(id) = execution.execution_id {
                inputs["execution_id"] = json!(id.to_string());
            }
        }
        if self.config.send_version {
            inputs[PASS_VERSION_INPUT] = json!(env!("CARGO_PKG_VERSION"));
        }
        let outcome = self
            .dispatch_workflow(self.workflow_file(workflow), inputs)
            .await;
        let result = match outcome {
            Ok(details) => {
                if let Some(details) = details {
                    execution.github_run_id = Some(details.workflow_run_id);
                    execution.github_run_url = details.html_url.or(details.run_url);
                }
                Ok(execution.clone())
            }
            Err(error) => {
                let message = format!(
                    "dispatch of {} in {}/{} failed: {error}",
                    self.workflow_file(workflow),
                    self.config.owner,
                    self.config.repo
                );
                mark_failed(&mut execution, message.clone());
                Err(DispatchError::Failed(message))
            }
        };
        detail.execution = Some(execution.clone());
        detail.last_updated_at = pass_contracts::Timestamp::now();
        guard.save(&detail).await?;
        drop(guard);
        if result.is_ok() {
            match execution.github_run_id {
                Some(id) => {
                    tracing::info!(%run_id, workflow_run_id = id, "workflow dispatched");
                    self.claim(id);
                    self.watch(store.clone(), run_id, execution.requested_at, id);
                }
                None => {
                    tracing::info!(%run_id, "workflow dispatched without its run id; looking for the run");
                    self.find_and_watch(store.clone(), run_id, execution.requested_at, workflow);
                }
            }
        }
        result
    }

    /// Sends the workflow dispatch, asking for the new run's details and
    /// falling back to a plain dispatch when GitHub rejects that field.
    async fn dispatch_workflow(
        &self,
        workflow_file: &str,
        inputs: serde_json::Value,
    ) -> Result<Option<RunDetails>, GithubDispatchError> {
        let route = format!(
            "/repos/{}/{}/actions/workflows/{}/dispatches",
            self.config.owner, self.config.repo, workflow_file
        );
        let mut body = json!({
            "ref": self.config.git_ref,
            "inputs": inputs,
            "return_run_details": true,
        });
        match self.post(&route, &body).await {
            Ok((200, text)) => match serde_json::from_str::<RunDetails>(&text) {
                Ok(details) => Ok(Some(details)),
                Err(e) => {
                    tracing::warn!(error = %e, "GitHub's dispatch answer had no readable run details");
                    Ok(None)
                }
            },
            Ok(_) => Ok(None),
            Err(GithubDispatchError::Api { status, message })
                if (status == 422 || status == 400) && message.contains("return_run_details") =>
            {
                tracing::info!("GitHub rejects return_run_details; dispatching without it");
                if let Some(map) = body.as_object_mut() {
                    map.remove("return_run_details");
                }
                self.post(&route, &body).await.map(|_| None)
            }
            Err(error) => Err(error),
        }
    }

    /// Bounds a whole GitHub request: the client's timeouts cover connecting
    /// and each silence, this also covers an answer that trickles forever.
    async fn bounded<T>(
        &self,
        route: &str,
        request: impl std::future::Future<Output = Result<T, GithubDispatchError>>,
    ) -> Result<T, GithubDispatchError> {
        let waited = self.config.connect_timeout + self.config.read_timeout;
        tokio::time::timeout(waited, request)
            .await
            .unwrap_or_else(|_| {
                Err(GithubDispatchError::TimedOut {
                    route: route.to_owned(),
                    waited,
                })
            })
    }

    async fn post(
        &self,
        route: &str,
        body: &serde_json::Value,
    ) -> Result<(u16, String), GithubDispatchError> {
        self.bounded(route, async {
            let response = self
                .client
                ._post(route, Some(body))
                .await
                .map_err(|e| GithubDispatchError::Transport(e.to_string()))?;
            let response = octocrab::map_github_error(response)
                .await
                .map_err(api_error)?;
            let status = response.status().as_u16();
            let text = self
                .client
                .body_to_string(response)
                .await
                .map_err(|e| GithubDispatchError::Transport(e.to_string()))?;
            Ok((status, text))
        })
        .await
    }

    /// `GET route`, decoded as `T`.
    async fn get_json<T: serde::de::DeserializeOwned>(
        &self,
        route: &str,
    ) -> Result<T, GithubDispatchError> {
        self.bounded(route, async {
            let response = self
                .client
                ._get(route)
                .await
                .map_err(|e| GithubDispatchError::Transport(e.to_string()))?;
            let response = octocrab::map_github_error(response)
                .await
                .map_err(api_error)?;
            let text = self
                .client
                .body_to_string(response)
                .await
                .map_err(|e| GithubDispatchError::Transport(e.to_string()))?;
            serde_json::from_str(&text).map_err(|e| {
                GithubDispatchError::Transport(format!("unreadable answer to {route}: {e}"))
            })
        })
        .await
    }

    async fn workflow_run(&self, id: NonZeroU64) -> Result<WorkflowRun, GithubDispatchError> {
        let route = format!(
            "/repos/{}/{}/actions/runs/{id}",
            self.config.owner, self.config.repo
        );
        self.get_json(&route).await
    }

    /// Finds the workflow run of a dispatch GitHub answered without its id,
    /// records it in the execution and watches it; fails the execution when
    /// no run appears within the configured bound.
    pub fn find_and_watch(
        &self,
        store: Arc<Store>,
        run_id: Uuid,
        requested_at: Timestamp,
        workflow: WorkflowName,
    ) {
        let backend = self.clone();
        tokio::spawn(async move {
            if let Some(id) = backend
                .find_run(&store, run_id, requested_at, workflow)
                .await
            {
                backend.watchdog(store, run_id, requested_at, id).await;
            }
        });
    }

    /// The workflow run of the open execution requested at `requested_at`:
    /// the one the agent reported, else the newest run of the workflow
    /// created at or after the dispatch that no other execution claimed.
    /// `None` when the execution closed, the server stops, or none appeared
    /// in time (then the execution is failed).
    async fn find_run(
        &self,
        store: &Arc<Store>,
        run_id: Uuid,
        requested_at: Timestamp,
        workflow: WorkflowName,
    ) -> Option<NonZeroU64> {
        let file = self.workflow_file(workflow).to_owned();
        let since = requested_at.as_datetime() - CLOCK_SKEW;
        let route = format!(
            "/repos/{}/{}/actions/workflows/{file}/runs?event=workflow_dispatch&created=%3E%3D{}&per_page=100",
            self.config.owner,
            self.config.repo,
            since.to_rfc3339_opts(SecondsFormat::Secs, true)
        );
        // Measured from the request, so a restart does not extend the bound.
        let elapsed = (Utc::now() - requested_at.as_datetime())
            .to_std()
            .unwrap_or_default();
        let deadline = tokio::time::Instant::now() + self.find_timeout.saturating_sub(elapsed);
        let interval = self
            .config
            .watchdog_interval
            .clamp(Duration::from_millis(10), MAX_FIND_INTERVAL);
        let mut stop = self.stop.clone();
        let mut last_error = None;
        loop {
            match open_execution_run(store, run_id, requested_at) {
                Ok(Some(Some(id))) => {
                    // The agent reported its workflow run itself.
                    self.claim(id);
                    return Some(id);
                }
                Ok(Some(None)) => {}
                Ok(None) => return None,
                Err(error) => {
                    tracing::warn!(%run_id, %error, "run finder stops: the run cannot be read");
                    return None;
                }
            }
            match self.get_json::<WorkflowRuns>(&route).await {
                Ok(listed) => {
                    if let Some(run) = self.pick_and_claim(listed.workflow_runs, since) {
                        return self.record_run(store, run_id, requested_at, run).await;
                    }
                }
                Err(error) => {
                    tracing::warn!(%run_id, %error, "could not list the workflow's runs; will retry");
                    last_error = Some(error.to_string());
                }
            }
            let now = tokio::time::Instant::now();
            if now >= deadline {
                break;
            }
            tokio::select! {
                _ = tokio::time::sleep(interval.min(deadline - now)) => {}
                _ = stop.wait_for(|stopped| *stopped) => return None,
            }
        }
        let message = format!(
            "no workflow run of {file} in {}/{} appeared within {} s of the dispatch at {requested_at}, so the workflow cannot be watched{}",
            self.config.owner,
            self.config.repo,
            self.find_timeout.as_secs_f64(),
            last_error
                .map(|e| format!(" (last error listing its runs: {e})"))
                .unwrap_or_default()
        );
        match fail_if_open(store, run_id, requested_at, message).await {
            Ok(true) => {
                tracing::warn!(%run_id, "no workflow run found for the dispatch; execution failed")
            }
            Ok(false) => {}
            Err(error) => {
                tracing::error!(%run_id, %error, "run finder could not record the failure")
            }
        }
        None
    }

    /// The newest unclaimed run created at or after `since`, claimed at once
    /// so that a finder running for another execution cannot take it too.
    fn pick_and_claim(&self, runs: Vec<ListedRun>, since: DateTime<Utc>) -> Option<ListedRun> {
        let mut claimed = self.claims();
        let run = runs
            .into_iter()
            .filter(|r| r.created_at >= since && !claimed.contains(&r.id))
            .max_by_key(|r| (r.created_at, r.id))?;
        claimed.insert(run.id);
        Some(run)
    }

    /// Writes the found run into the execution if it is still open and has
    /// none; returns the run to watch (the agent's own if it reported one).
    async fn record_run(
        &self,
        store: &Arc<Store>,
        run_id: Uuid,
        requested_at: Timestamp,
        run: ListedRun,
    ) -> Option<NonZeroU64> {
        let found = run.id;
        let url = run.html_url.and_then(|u| Url::parse(&u).ok());
        let outcome = store
            .update_run(run_id, move |detail: &mut RunDetail| {
                let Some(execution) = detail
                    .execution
                    .as_mut()
                    .filter(|e| e.requested_at == requested_at && !e.status.is_final())
                else {
                    return Ok::<_, crate::store::StoreError>(None);
                };
                if let Some(id) = execution.github_run_id {
                    return Ok(Some(id));
                }
                execution.github_run_id = Some(found);
                execution.github_run_url = url;
                detail.last_updated_at = pass_contracts::Timestamp::now();
                Ok(Some(found))
            })
            .await;
        let chosen = match outcome {
            Ok((_, chosen)) => chosen,
            Err(error) => {
                tracing::error!(%run_id, %error, "could not record the found workflow run");
                None
            }
        };
        if chosen != Some(found) {
            self.claims().remove(&found);
        }
        match chosen {
            Some(id) if id == found => {
                tracing::info!(%run_id, workflow_run_id = id, "workflow run found for the dispatch")
            }
            Some(id) => self.claim(id),
            None => {}
        }
        chosen
    }

    /// Polls the workflow run until it completes; if the agent never reported
    /// a final status by then, the execution is failed.
    pub fn watch(&self, store: Arc<Store>, run_id: Uuid, requested_at: Timestamp, id: NonZeroU64) {
        let backend = self.clone();
        tokio::spawn(async move { backend.watchdog(store, run_id, requested_at, id).await });
    }

    async fn watchdog(
        &self,
        store: Arc<Store>,
        run_id: Uuid,
        requested_at: Timestamp,
        id: NonZeroU64,
    ) {
        let interval = self.config.watchdog_interval.max(Duration::from_millis(10));
        let mut stop = self.stop.clone();
        loop {
            tokio::select! {
                _ = tokio::time::sleep(interval) => {}
                _ = stop.wait_for(|stopped| *stopped) => return,
            }
            match store.get_run(run_id) {
                Ok((detail, _)) => {
                    let open = detail
                        .execution
                        .is_some_and(|e| e.requested_at == requested_at && !e.status.is_final());
                    if !open {
                        return;
                    }
                }
                Err(error) => {
                    tracing::warn!(%run_id, %error, "watchdog stops: the run cannot be read");
                    return;
                }
            }
            let message = match self.workflow_run(id).await {
                Ok(run) if run.status.as_deref() == Some("completed") => format!(
                    "workflow run {id} completed ({}) before the agent reported a final status",
                    run.conclusion.as_deref().unwrap_or("no conclusion")
                ),
                Ok(_) => continue,
                Err(GithubDispatchError::Api {
                    status: 404,
                    message,
                }) => {
                    format!("workflow run {id} no longer exists ({message})")
                }
                Err(error) => {
                    tracing::warn!(%run_id, workflow_run_id = id, %error, "watchdog could not read the workflow run; will retry");
                    continue;
                }
            };
            match fail_if_open(&store, run_id, requested_at, message).await {
                Ok(true) => {
                    tracing::warn!(%run_id, workflow_run_id = id, "workflow ended without a final status; execution failed")
                }
                Ok(false) => {}
                Err(error) => {
                    tracing::error!(%run_id, %error, "watchdog could not record the failure")
                }
            }
            return;
        }
    }
}

/// Whether the execution requested at `requested_at` is still open (`Some`),
/// and with which workflow run, if one is known.
fn open_execution_run(
    store: &Store,
    run_id: Uuid,
    requested_at: Timestamp,
) -> Result<Option<Option<NonZeroU64>>, crate::store::StoreError> {
    let (detail, _) = store.get_run(run_id)?;
    Ok(detail
        .execution
        .filter(|e| e.requested_at == requested_at && !e.status.is_final())
        .map(|e| e.github_run_id))
}

fn api_error(error: octocrab::Error) -> GithubDispatchError {
    match error {
        octocrab::Error::GitHub { source, .. } => GithubDispatchError::Api {
            status: source.status_code.as_u16(),
            message: source.message,
        },
        other => GithubDispatchError::Transport(other.to_string()),
    }
}
