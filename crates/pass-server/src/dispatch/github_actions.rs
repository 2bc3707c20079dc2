//! The GitHub Actions backend: a workflow dispatch per agent run, and a
//! watchdog that fails the execution when the workflow run ends without the
//! agent having reported (e.g. the workflow broke before the agent started).

use std::num::NonZeroU64;
use std::sync::Arc;
use std::time::Duration;

use octocrab::Octocrab;
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

/// Dispatches the planner and implementation workflows of one repository.
#[derive(Debug, Clone)]
pub struct GithubActionsBackend {
    client: Octocrab,
    config: GithubWorkflowConfig,
    public_base_url: Option<Url>,
    /// Turns true when the server shuts down, ending the watchdogs.
    stop: watch::Receiver<bool>,
}

impl GithubActionsBackend {
    pub fn new(
        config: &GithubWorkflowConfig,
        public_base_url: Option<Url>,
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
            stop,
        })
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
        let outcome = self
            .dispatch_workflow(self.workflow_file(workflow), run_id, &api_base)
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
        detail.last_updated_at = crate::store::now();
        guard.save(&detail).await?;
        drop(guard);
        if let (Ok(_), Some(id)) = (&result, execution.github_run_id) {
            tracing::info!(%run_id, workflow_run_id = id, "workflow dispatched");
            self.watch(store.clone(), run_id, execution.requested_at, id);
        }
        result
    }

    /// Sends the workflow dispatch, asking for the new run's details and
    /// falling back to a plain dispatch when GitHub rejects that field.
    async fn dispatch_workflow(
        &self,
        workflow_file: &str,
        run_id: Uuid,
        api_base: &str,
    ) -> Result<Option<RunDetails>, GithubDispatchError> {
        let route = format!(
            "/repos/{}/{}/actions/workflows/{}/dispatches",
            self.config.owner, self.config.repo, workflow_file
        );
        let mut body = json!({
            "ref": self.config.git_ref,
            "inputs": { "run_id": run_id.to_string(), "api_base_url": api_base },
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

fn api_error(error: octocrab::Error) -> GithubDispatchError {
    match error {
        octocrab::Error::GitHub { source, .. } => GithubDispatchError::Api {
            status: source.status_code.as_u16(),
            message: source.message,
        },
        other => GithubDispatchError::Transport(other.to_string()),
    }
}
