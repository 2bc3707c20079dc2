//! The embedded backend: agents run as child processes of the server, so PASS
//! works without any account. At most `PASS_LOCAL_MAX_CONCURRENCY` run at once;
//! the rest wait in `queued`.

#![allow(
    clippy::disallowed_methods,
    reason = "the log helpers name their paths in their own messages"
)]

use std::fs::File;
use std::io::{Read, Seek, SeekFrom};
use std::path::{Path, PathBuf};
use std::process::Stdio;
use std::sync::Arc;

use pass_contracts::api::DispatchOptions;
use pass_contracts::{
    Execution, ExecutionBackend, ExecutionStatus, RunDetail, Timestamp, WorkflowName,
};
use secrecy::{ExposeSecret, SecretString};
use tokio::process::{Child, Command};
use tokio::sync::{OwnedSemaphorePermit, Semaphore};
use url::Url;
use uuid::Uuid;

use super::{DispatchError, fail_if_open, mark_failed, new_execution};
use crate::config::{AgentCommand, ServerConfig};
use crate::store::{RunGuard, Store, StoreError};

/// How much of an agent's log goes into `error_message` when it dies silently.
const LOG_TAIL_BYTES: u64 = 1500;

/// Spawns `planner` / `implementation` binaries with `--run-id`.
#[derive(Debug, Clone)]
pub struct LocalBackend {
    bin_dir: PathBuf,
    agent_command: Option<AgentCommand>,
    agent_env: Vec<(String, String)>,
    runs_dir: PathBuf,
    /// `PASS_LOCAL_ISSUES_DIR` of the server: one folder for every project's
    /// local issues; `None` gives each project its own folder in the runs folder.
    local_issues_dir: Option<PathBuf>,
    server_base: Url,
    token: Option<SecretString>,
    slots: Arc<Semaphore>,
}

impl LocalBackend {
    pub fn new(config: &ServerConfig, server_base: Url) -> Result<Self, DispatchError> {
        let bin_dir = match &config.agent_bin_dir {
            Some(dir) => dir.clone(),
            None => std::env::current_exe()
                .ok()
                .and_then(|exe| exe.parent().map(Path::to_path_buf))
                .ok_or_else(|| {
                    DispatchError::Misconfigured(
                        "cannot tell where the running executable is; set PASS_AGENT_BIN_DIR"
                            .to_owned(),
                    )
                })?,
        };
        Ok(Self {
            bin_dir,
            agent_command: config.agent_command.clone(),
            agent_env: config.agent_env.clone(),
            runs_dir: config.runs_dir.clone(),
            local_issues_dir: config.local_issues_dir.clone(),
            server_base,
            token: config.api_token.clone(),
            slots: Arc::new(Semaphore::new(config.local_max_concurrency)),
        })
    }

    /// The folder the agent binaries are taken from.
    pub fn bin_dir(&self) -> &Path {
        &self.bin_dir
    }

    /// How the planner agent is started, for the start-up log line.
    pub fn describe_agents(&self) -> String {
        let (program, args) = self.agent_invocation(WorkflowName::Planner);
        let mut words = vec![program.display().to_string()];
        words.extend(args);
        words.push("--run-id …".to_owned());
        words.join(" ")
    }

    /// The program that runs `workflow`'s agent, with the arguments that come
    /// before `--run-id`.
    fn agent_invocation(&self, workflow: WorkflowName) -> (PathBuf, Vec<String>) {
        let name = match workflow {
            WorkflowName::Planner => "planner",
            WorkflowName::Implementation => "implementation",
        };
        match &self.agent_command {
            Some(command) => {
                let mut args = command.args.clone();
                args.push(name.to_owned());
                (command.program.clone(), args)
            }
            None => (
                self.bin_dir
                    .join(format!("{name}{}", std::env::consts::EXE_SUFFIX)),
                Vec::new(),
            ),
        }
    }

    pub(super) async fn start(
        &self,
        store: &Arc<Store>,
        guard: RunGuard,
        mut detail: RunDetail,
        workflow: WorkflowName,
        options: DispatchOptions,
    ) -> Result<Execution, DispatchError> {
        match self.slots.clone().try_acquire_owned() {
            Ok(permit) => {
                let launch = Launch {
                    workflow,
                    options,
                    queued_at: None,
                };
                self.launch(store, &guard, &mut detail, launch, permit)
                    .await
            }
            Err(_) => {
                let execution =
                    new_execution(ExecutionBackend::Local, workflow, ExecutionStatus::Queued);
                detail.execution = Some(execution.clone());
                detail.last_updated_at = pass_contracts::Timestamp::now();
                guard.save(&detail).await?;
                drop(guard);
                let backend = self.clone();
                let store = store.clone();
                let run_id = detail.run_id;
                let requested_at = execution.requested_at;
                tokio::spawn(async move {
                    backend
                        .launch_when_free(store, run_id, workflow, requested_at, options)
                        .await;
                });
                Ok(execution)
            }
        }
    }

    async fn launch_when_free(
        &self,
        store: Arc<Store>,
        run_id: Uuid,
        workflow: WorkflowName,
        requested_at: Timestamp,
        options: DispatchOptions,
    ) {
        let Ok(permit) = self.slots.clone().acquire_owned().await else {
            return;
        };
        let outcome = async {
            let guard = store.lock_run(run_id).await?;
            let mut detail = guard.load().await?;
            let still_queued = detail.execution.as_ref().is_some_and(|e| {
                e.requested_at == requested_at && e.status == ExecutionStatus::Queued
            });
            if still_queued {
                let launch = Launch {
                    workflow,
                    options,
                    queued_at: Some(requested_at),
                };
                self.launch(&store, &guard, &mut detail, launch, permit)
                    .await?;
            }
            Ok::<_, DispatchError>(())
        }
        .await;
        if let Err(error) = outcome {
            tracing::error!(%run_id, %error, "queued local agent could not be started");
        }
    }

    /// Records the execution as dispatched, then spawns the agent, all under
    /// the run's lock; a spawn failure is recorded as a failed execution.
    async fn launch(
        &self,
        store: &Arc<Store>,
        guard: &RunGuard,
        detail: &mut RunDetail,
        launch: Launch,
        permit: OwnedSemaphorePermit,
    ) -> Result<Execution, DispatchError> {
        let Launch {
            workflow,
            options,
            queued_at,
        } = launch;
        let mut execution = new_execution(
            ExecutionBackend::Local,
            workflow,
            ExecutionStatus::Dispatched,
        );
        if let Some(requested_at) = queued_at {
            // The execution the dispatch answered: same time, same id.
            execution.requested_at = requested_at;
            if let Some(queued) = &detail.execution {
                execution.execution_id = queued.execution_id;
            }
        }
        detail.execution = Some(execution.clone());
        detail.last_updated_at = pass_contracts::Timestamp::now();
        guard.save(detail).await?;

        let run_id = detail.run_id;
        let (agent, mut agent_args) = self.agent_invocation(workflow);
        if options.dry_run {
            agent_args.push("--dry-run".to_owned());
        }
        if options.force {
            agent_args.push("--force".to_owned());
        }
        let mut env = Vec::new();
        if let Some(id) = execution.execution_id {
            env.push(("PASS_EXECUTION_ID".to_owned(), id.to_string()));
        }
        if workflow == WorkflowName::Implementation {
            // Local issue files belong to the server's storage, whatever
            // folder anyone runs a command in.
            let dir = self
                .local_issues_dir
                .clone()
                .unwrap_or_else(|| store.local_issues_dir(detail.project()));
            env.push((
                "PASS_LOCAL_ISSUES_DIR".to_owned(),
                dir.display().to_string(),
            ));
        }
        let log = open_log(guard.run_dir(), workflow).await;
        match log.and_then(|log| self.spawn(log, run_id, &agent, &agent_args, &env)) {
            Ok((child, log_path)) => {
                tracing::info!(%run_id, workflow = workflow.as_str(), agent = %agent.display(), log = %log_path.display(), "local agent started");
                let store = store.clone();
                let requested_at = execution.requested_at;
                tokio::spawn(watch_child(
                    store,
                    run_id,
                    requested_at,
                    child,
                    log_path,
                    permit,
                ));
                Ok(execution)
            }
            Err(reason) => {
                let message = format!("could not start local agent {}: {reason}", agent.display());
                mark_failed(&mut execution, message.clone());
                detail.execution = Some(execution);
                detail.last_updated_at = pass_contracts::Timestamp::now();
                guard.save(detail).await?;
                Err(DispatchError::Failed(message))
            }
        }
    }

    fn spawn(
        &self,
        (log, log_path): (File, PathBuf),
        run_id: Uuid,
        agent: &Path,
        agent_args: &[String],
        env: &[(String, String)],
    ) -> Result<(Child, PathBuf), String> {
        let log_err = log
            .try_clone()
            .map_err(|e| format!("cannot share {}: {e}", log_path.display()))?;
        let base = self.server_base.as_str().trim_end_matches('/').to_owned();
        let mut command = Command::new(agent);
        command
            .args(agent_args)
            .arg("--run-id")
            .arg(run_id.to_string())
            .env("PASS_API_BASE_URL", base)
            // Local agents share the server's runs folder (local issue files go there).
            .env("RUNS_DIR", &self.runs_dir)
            .envs(env.iter().map(|(k, v)| (k, v)))
            .envs(self.agent_env.iter().map(|(k, v)| (k, v)))
            .stdin(Stdio::null())
            .stdout(log)
            .stderr(log_err);
        match &self.token {
            Some(token) => command.env("PASS_API_TOKEN", token.expose_secret()),
            None => command.env_remove("PASS_API_TOKEN"),
        };
        let child = command.spawn().map_err(|e| e.to_string())?;
        Ok((child, log_path))
    }
}

/// Creates the agent's log file under `runs/<id>/logs/`, on a blocking
/// thread: the caller holds the run's lock on the async request path.
async fn open_log(run_dir: PathBuf, workflow: WorkflowName) -> Result<(File, PathBuf), String> {
    let create = move || {
        let logs = run_dir.join(pass_contracts::layout::LOGS_DIR);
        std::fs::create_dir_all(&logs)
            .map_err(|e| format!("cannot create {}: {e}", logs.display()))?;
        let stamp = chrono::Utc::now().format("%Y%m%dT%H%M%S%.3fZ");
        let log_path = logs.join(format!("{}-{stamp}.log", workflow.as_str()));
        let log = File::create(&log_path)
            .map_err(|e| format!("cannot create {}: {e}", log_path.display()))?;
        Ok((log, log_path))
    };
    tokio::task::spawn_blocking(create)
        .await
        .map_err(|e| format!("the log file task failed: {e}"))?
}

/// What one agent start is for.
#[derive(Debug, Clone, Copy)]
struct Launch {
    workflow: WorkflowName,
    options: DispatchOptions,
    /// When the dispatch was asked for, if it waited in the queue.
    queued_at: Option<Timestamp>,
}

async fn watch_child(
    store: Arc<Store>,
    run_id: Uuid,
    requested_at: Timestamp,
    mut child: Child,
    log_path: PathBuf,
    permit: OwnedSemaphorePermit,
) {
    let status = child.wait().await;
    drop(permit);
    let status_text = match &status {
        Ok(status) => status.to_string(),
        Err(e) => format!("unknown status ({e})"),
    };
    let tail = tokio::task::spawn_blocking(move || log_tail(&log_path))
        .await
        .unwrap_or_default();
    let message = if tail.is_empty() {
        format!("agent {status_text} without reporting a final status")
    } else {
        format!("agent {status_text} without reporting a final status; end of its log:\n{tail}")
    };
    match fail_if_open(&store, run_id, requested_at, message).await {
        Ok(true) => {
            tracing::warn!(%run_id, status = %status_text, "local agent ended without a final status; execution failed")
        }
        Ok(false) => tracing::info!(%run_id, status = %status_text, "local agent ended"),
        Err(StoreError::RunNotFound(_)) => {}
        Err(error) => tracing::error!(%run_id, %error, "could not record the end of a local agent"),
    }
}

fn log_tail(path: &Path) -> String {
    let Ok(mut file) = File::open(path) else {
        return String::new();
    };
    let len = file.metadata().map(|m| m.len()).unwrap_or(0);
    let start = len.saturating_sub(LOG_TAIL_BYTES);
    if file.seek(SeekFrom::Start(start)).is_err() {
        return String::new();
    }
    let mut bytes = Vec::new();
    if file.read_to_end(&mut bytes).is_err() {
        return String::new();
    }
    let text = String::from_utf8_lossy(&bytes);
    let text = if start > 0 {
        text.split_once('\n').map(|(_, rest)| rest).unwrap_or(&text)
    } else {
        &text
    };
    text.trim().to_owned()
}
