//! Starting agents for a run, on the backend the configuration chose, and
//! making sure an execution whose agent vanished does not stay open forever
//! (an open execution refuses every new dispatch with 409).

pub mod github_actions;
pub mod local;

use std::sync::Arc;

use pass_contracts::api::DispatchOptions;
use pass_contracts::artifacts::names::ARCHITECTURE_PACK;
use pass_contracts::{
    Execution, ExecutionBackend, ExecutionStatus, RunDetail, RunStatus, Text, Timestamp,
    WorkflowName,
};
use tokio::sync::watch;
use url::Url;
use uuid::Uuid;

use crate::config::ServerConfig;
use crate::store::{RunGuard, Store, StoreError};

pub use github_actions::{GithubActionsBackend, GithubDispatchError};
pub use local::LocalBackend;

/// Why a dispatch was refused or failed.
#[derive(Debug, thiserror::Error)]
pub enum DispatchError {
    /// The run is not in a state that allows this dispatch (409).
    #[error("{0}")]
    Conflict(String),
    /// The backend could not start the agent (502).
    #[error("{0}")]
    Failed(String),
    #[error(transparent)]
    Store(#[from] StoreError),
    /// The backend in use cannot be built from the configuration (500).
    #[error("{0}")]
    Misconfigured(String),
    /// The project wants the plan approved before its issues are synced (409).
    #[error("{0}")]
    ApprovalRequired(String),
}

/// The execution backend in use, chosen once at start-up.
#[derive(Debug)]
pub enum Dispatcher {
    Local(Box<LocalBackend>),
    GithubActions(Box<GithubActionsBackend>),
}

impl Dispatcher {
    /// Builds the backend the configuration chose; `server_base` is how local
    /// agents reach this server (its bound address); `stop` turning true ends
    /// the background watchers when the server shuts down.
    pub fn new(
        config: &ServerConfig,
        server_base: Url,
        stop: watch::Receiver<bool>,
    ) -> Result<Self, DispatchError> {
        match config.backend {
            ExecutionBackend::Local => Ok(Dispatcher::Local(Box::new(LocalBackend::new(
                config,
                server_base,
            )?))),
            ExecutionBackend::GithubActions => {
                let github = config.github.as_ref().ok_or_else(|| {
                    DispatchError::Misconfigured(
                        "the github_actions backend needs a workflow repository and token"
                            .to_owned(),
                    )
                })?;
                Ok(Dispatcher::GithubActions(Box::new(
                    GithubActionsBackend::new(
                        github,
                        config.public_base_url.clone(),
                        config.dispatch_find_timeout,
                        stop,
                    )?,
                )))
            }
        }
    }

    pub fn backend(&self) -> ExecutionBackend {
        match self {
            Dispatcher::Local(_) => ExecutionBackend::Local,
            Dispatcher::GithubActions(_) => ExecutionBackend::GithubActions,
        }
    }

    /// Starts `workflow` for the run. The run stays locked until the execution
    /// is recorded, so the agent's first callback always finds it.
    pub async fn dispatch(
        &self,
        store: &Arc<Store>,
        run_id: Uuid,
        workflow: WorkflowName,
        request_base: Url,
        options: DispatchOptions,
    ) -> Result<Execution, DispatchError> {
        let guard = store.lock_run(run_id).await?;
        let detail = guard.load().await?;
        check_dispatchable(store, &guard, &detail, workflow).await?;
        match self {
            Dispatcher::Local(local) => local.start(store, guard, detail, workflow, options).await,
            Dispatcher::GithubActions(github) => {
                github
                    .start(store, guard, detail, workflow, request_base, options)
                    .await
            }
        }
    }

    /// Deals with executions a previous server process left open: local agents
    /// died with it, so those are failed; GitHub workflow runs may still be
    /// going, so their watchdog is restarted, after finding the workflow run
    /// first when its id was never learnt.
    pub async fn recover(&self, store: &Arc<Store>, unfinished: Vec<(Uuid, Execution)>) {
        let (github_runs, others): (Vec<_>, Vec<_>) =
            unfinished.into_iter().partition(|(_, execution)| {
                matches!(self, Dispatcher::GithubActions(_))
                    && execution.backend == ExecutionBackend::GithubActions
            });
        if let Dispatcher::GithubActions(github) = self {
            // Every known workflow run is claimed before any finder picks one.
            for (_, execution) in &github_runs {
                if let Some(id) = execution.github_run_id {
                    github.claim(id);
                }
            }
            for (run_id, execution) in github_runs {
                match execution.github_run_id {
                    Some(id) => github.watch(store.clone(), run_id, execution.requested_at, id),
                    None => github.find_and_watch(
                        store.clone(),
                        run_id,
                        execution.requested_at,
                        execution.workflow_name,
                    ),
                }
            }
        }
        for (run_id, execution) in others {
            let message =
                "interrupted: the server stopped before the agent reported a final status";
            if let Err(error) =
                fail_if_open(store, run_id, execution.requested_at, message.to_owned()).await
            {
                tracing::error!(%run_id, %error, "could not mark an interrupted execution failed");
            } else {
                tracing::warn!(%run_id, "execution left open by a previous server marked failed");
            }
        }
    }
}

async fn check_dispatchable(
    store: &Store,
    guard: &RunGuard,
    detail: &RunDetail,
    workflow: WorkflowName,
) -> Result<(), DispatchError> {
    let run_id = detail.run_id;
    if detail.input.is_none() {
        return Err(DispatchError::Conflict(format!(
            "run {run_id} has no input to work on"
        )));
    }
    if let Some(execution) = &detail.execution {
        if !execution.status.is_final() {
            return Err(DispatchError::Conflict(format!(
                "run {run_id} already has a {} execution of {} that is {}",
                execution.backend.as_str(),
                execution.workflow_name.as_str(),
                execution.status.as_str()
            )));
        }
    }
    if workflow == WorkflowName::Implementation {
        let artifacts = guard.artifacts().await?;
        if !artifacts.iter().any(|a| a.name == ARCHITECTURE_PACK) {
            return Err(DispatchError::Conflict(format!(
                "run {run_id} has no {ARCHITECTURE_PACK} artifact yet; dispatch phase1-planner first"
            )));
        }
        crate::coordination::check_approved(store, detail)
            .map_err(DispatchError::ApprovalRequired)?;
    }
    Ok(())
}

/// A fresh execution record for a dispatch that is about to happen.
fn new_execution(
    backend: ExecutionBackend,
    workflow: WorkflowName,
    status: ExecutionStatus,
) -> Execution {
    Execution {
        execution_id: Some(Uuid::new_v4()),
        backend,
        workflow_name: workflow,
        status,
        github_run_id: None,
        github_run_url: None,
        requested_at: pass_contracts::Timestamp::now(),
        started_at: None,
        completed_at: None,
        error_message: None,
        pause_reason: None,
    }
}

/// Marks `execution` failed with `message` (never empty).
fn mark_failed(execution: &mut Execution, message: String) {
    execution.status = ExecutionStatus::Failed;
    execution.completed_at = Some(pass_contracts::Timestamp::now());
    execution.error_message = Text::new(message).ok().or_else(|| Text::new("failed").ok());
}

/// Fails the run's execution requested at `requested_at` if it is still open;
/// an execution the agent already closed, or a newer one, is left alone.
pub(crate) async fn fail_if_open(
    store: &Arc<Store>,
    run_id: Uuid,
    requested_at: Timestamp,
    message: String,
) -> Result<bool, StoreError> {
    let is_open = |detail: &RunDetail| {
        detail
            .execution
            .as_ref()
            .is_some_and(|e| e.requested_at == requested_at && !e.status.is_final())
    };
    // Most agents report their own end: then there is nothing to write.
    let (current, _) = store.get_run(run_id)?;
    if !is_open(&current) {
        return Ok(false);
    }
    let (_, changed) = store
        .update_run(run_id, move |detail: &mut RunDetail| {
            match detail.execution.as_mut() {
                Some(execution)
                    if execution.requested_at == requested_at && !execution.status.is_final() =>
                {
                    // A planner that died left no plan: the run says so too.
                    // A dead sync leaves the run's plan as it was.
                    if execution.workflow_name == WorkflowName::Planner
                        && detail.status != RunStatus::Exported
                    {
                        detail.status = RunStatus::Failed;
                    }
                    mark_failed(execution, message);
                    detail.last_updated_at = pass_contracts::Timestamp::now();
                    Ok::<_, StoreError>(true)
                }
                _ => Ok(false),
            }
        })
        .await?;
    Ok(changed)
}

#[cfg(test)]
mod tests {
    use super::*;

    #[tokio::test]
    async fn the_github_backend_builds_for_an_https_api() {
        let vars = [
            ("GITHUB_WORKFLOW_REPOSITORY", "acme/flows"),
            ("GITHUB_WORKFLOW_TOKEN", "t"),
            ("GITHUB_API_URL", "https://ghe.example.test/api/v3"),
        ];
        let config = ServerConfig::from_lookup(|name| {
            vars.iter()
                .find(|(k, _)| *k == name)
                .map(|(_, v)| v.to_string())
        })
        .unwrap();
        let (_stop, stop_rx) = watch::channel(false);
        let base = Url::parse("http://127.0.0.1:3001/").unwrap();
        let dispatcher = Dispatcher::new(&config, base, stop_rx).unwrap();
        assert_eq!(dispatcher.backend(), ExecutionBackend::GithubActions);
    }
}
