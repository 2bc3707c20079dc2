//! `implementation --run-id`: the agent's conversation with the PASS API
//! around a sync — claim the execution, fetch and check the pack, sync, then
//! record the state and the summary and say how it ended.

use pass_client::{ClientError, PassClient};
use pass_contracts::api::{ArtifactUpload, ExecutionUpdate, ReportedExecutionStatus};
use pass_contracts::artifacts::names;
use pass_contracts::runs::WorkflowName;
use pass_contracts::{
    ArchitecturePack, ContentType, ExecutionStatus, Text, Timestamp, validate_pack_value,
};
use uuid::Uuid;

use crate::config::{ImplementationConfig, TargetConfig};
use crate::error::{ConfigError, ImplementationError};
use crate::report::SyncReport;
use crate::sync::{SyncOptions, sync_pack};
use crate::tracker::{GithubTracker, LocalTracker};

/// The agent's command-line switches.
#[derive(Debug, Clone, Copy, Default, PartialEq, Eq)]
pub struct AgentOptions {
    /// Print the plan; write nothing to the tracker or the PASS API.
    pub dry_run: bool,
    /// The caller wants JSON output (the library only carries the wish).
    pub json: bool,
    /// Overwrite issues people edited since PASS last wrote them.
    pub force: bool,
}

/// Runs the implementation agent for `run_id` against the PASS API at
/// `PASS_API_BASE_URL`. An item that failed to sync does not make this an
/// `Err`: the report says so and the execution is reported failed.
pub async fn run_agent(
    run_id: Uuid,
    options: AgentOptions,
    config: &ImplementationConfig,
) -> Result<SyncReport, ImplementationError> {
    let base = config
        .api_base_url
        .as_deref()
        .ok_or(ConfigError::MissingApiBaseUrl)?;
    let client =
        PassClient::new(base, config.api_token.clone()).map_err(api("connecting", run_id))?;
    run_agent_with_client(&client, run_id, options, config).await
}

/// [`run_agent`] with a client the caller made (the `pass` command has one).
///
/// Once the agent has claimed the run's execution (moved it to running),
/// every way this can end is reported on it: succeeded, or failed with a
/// message naming what went wrong, so no run is left "running" forever.
pub async fn run_agent_with_client(
    client: &PassClient,
    run_id: Uuid,
    options: AgentOptions,
    config: &ImplementationConfig,
) -> Result<SyncReport, ImplementationError> {
    let run = client
        .get_run(run_id)
        .await
        .map_err(api("reading the run", run_id))?;
    let mut notices = Vec::new();
    let mut reporting = false;
    if !options.dry_run {
        match run.run.execution.as_ref() {
            Some(execution) if execution.workflow_name != WorkflowName::Implementation => {
                let notice = format!(
                    "the run's execution belongs to workflow {}, not {}; synced without reporting on it",
                    execution.workflow_name.as_str(),
                    WorkflowName::Implementation.as_str()
                );
                tracing::info!(%run_id, "{notice}");
                notices.push(notice);
            }
            Some(execution) if execution.status == ExecutionStatus::Running => reporting = true,
            Some(execution) if execution.status.can_move_to(ExecutionStatus::Running) => {
                client
                    .update_execution(
                        run_id,
                        &execution_update(ReportedExecutionStatus::Running, None, config),
                    )
                    .await
                    .map_err(api("reporting the execution running", run_id))?;
                reporting = true;
            }
            _ => tracing::info!(
                %run_id,
                "the run has no execution this agent could move to running; syncing without reporting one"
            ),
        }
    }

    let outcome = sync_and_record(client, run_id, options, config, notices).await;
    if options.dry_run {
        return outcome;
    }
    let report = match outcome {
        Ok(report) => report,
        Err(error) => {
            if reporting {
                report_failed(client, run_id, error.to_string(), config).await;
            }
            return Err(error);
        }
    };
    if reporting {
        let update = if report.has_failures() {
            let mut message = format!("{} plan item(s) failed to sync", report.counts.failed);
            if let Some(first) = report.items.iter().find_map(|i| i.error.as_ref()) {
                message.push_str(&format!("; first error: {first}"));
            }
            execution_update(ReportedExecutionStatus::Failed, Some(message), config)
        } else {
            execution_update(ReportedExecutionStatus::Succeeded, None, config)
        };
        if let Err(source) = client.update_execution(run_id, &update).await {
            let error = api("reporting the execution's end", run_id)(source);
            report_failed(client, run_id, error.to_string(), config).await;
            return Err(error);
        }
    }
    Ok(report)
}

/// Reports the claimed execution failed with `message`. A failure to do so
/// is only logged: the caller returns the original error, which says more.
async fn report_failed(
    client: &PassClient,
    run_id: Uuid,
    message: String,
    config: &ImplementationConfig,
) {
    let update = execution_update(ReportedExecutionStatus::Failed, Some(message), config);
    if let Err(report_error) = client.update_execution(run_id, &update).await {
        tracing::error!(%run_id, error = %report_error, "could not report the execution failed");
    }
}

/// The sync, then (unless a dry run) the implementation state and the two
/// artifacts that record it.
async fn sync_and_record(
    client: &PassClient,
    run_id: Uuid,
    options: AgentOptions,
    config: &ImplementationConfig,
    notices: Vec<String>,
) -> Result<SyncReport, ImplementationError> {
    let mut report = fetch_and_sync(client, run_id, options, config).await?;
    report.notices.extend(notices);
    if options.dry_run {
        return Ok(report);
    }
    let state = report.implementation_state(Timestamp::now());
    client
        .put_implementation_state(run_id, &state)
        .await
        .map_err(api("saving the implementation state", run_id))?;
    let state_json = serde_json::to_value(&state).map_err(|e| ImplementationError::Encode {
        what: "the implementation state",
        reason: e.to_string(),
    })?;
    upload(
        client,
        run_id,
        names::IMPLEMENTATION_ISSUE_STATE,
        ContentType::Json,
        state_json,
    )
    .await?;
    upload(
        client,
        run_id,
        names::IMPLEMENTATION_ISSUE_STATE_SUMMARY,
        ContentType::Markdown,
        serde_json::Value::String(report.summary_markdown()),
    )
    .await?;
    Ok(report)
}

async fn fetch_and_sync(
    client: &PassClient,
    run_id: Uuid,
    options: AgentOptions,
    config: &ImplementationConfig,
) -> Result<SyncReport, ImplementationError> {
    let artifact = match client.get_artifact(run_id, names::ARCHITECTURE_PACK).await {
        Ok(artifact) => artifact,
        Err(error) if error.code() == Some("artifact_not_found") => {
            return Err(ImplementationError::MissingPack(run_id));
        }
        Err(error) => return Err(api("reading the architecture_pack artifact", run_id)(error)),
    };
    let pack = validate_pack_value(&artifact.payload).map_err(|problems| {
        ImplementationError::InvalidPack {
            run_id,
            problems: problems
                .iter()
                .map(ToString::to_string)
                .collect::<Vec<_>>()
                .join("; "),
        }
    })?;
    if pack.run_id != run_id {
        tracing::warn!(%run_id, pack_run_id = %pack.run_id, "the pack names another run; issues are marked with the run being synced");
    }
    let sync_options = SyncOptions {
        dry_run: options.dry_run,
        force: options.force,
    };
    sync_to_target(&pack, run_id, &config.target, &sync_options).await
}

/// Syncs `pack` into the configured target, building the tracker for it:
/// what `pass sync` and the agent share once they hold a validated pack.
pub async fn sync_to_target(
    pack: &ArchitecturePack,
    run_id: Uuid,
    target: &TargetConfig,
    options: &SyncOptions,
) -> Result<SyncReport, ImplementationError> {
    let report = match target {
        TargetConfig::Github(settings) => {
            let tracker = GithubTracker::new(settings)?;
            sync_pack(pack, run_id, &tracker, options).await?
        }
        TargetConfig::Local(settings) => {
            let tracker = LocalTracker::new(settings.dir_for(run_id))?;
            sync_pack(pack, run_id, &tracker, options).await?
        }
    };
    Ok(report)
}

async fn upload(
    client: &PassClient,
    run_id: Uuid,
    name: &'static str,
    content_type: ContentType,
    payload: serde_json::Value,
) -> Result<(), ImplementationError> {
    let upload = ArtifactUpload {
        name: Text::new(name).map_err(|_| ImplementationError::Encode {
            what: "the artifact name",
            reason: "it is empty".to_owned(),
        })?,
        content_type,
        payload,
    };
    client
        .upload_artifact(run_id, &upload)
        .await
        .map_err(api(upload_action(name), run_id))?;
    Ok(())
}

fn upload_action(name: &str) -> &'static str {
    match name {
        names::IMPLEMENTATION_ISSUE_STATE => "uploading the implementation_issue_state artifact",
        names::IMPLEMENTATION_ISSUE_STATE_SUMMARY => {
            "uploading the implementation_issue_state_summary artifact"
        }
        _ => "uploading an artifact",
    }
}

fn execution_update(
    status: ReportedExecutionStatus,
    error_message: Option<String>,
    config: &ImplementationConfig,
) -> ExecutionUpdate {
    ExecutionUpdate {
        status,
        github_run_id: config.github_run_id.and_then(std::num::NonZeroU64::new),
        github_run_url: config.github_run_url.clone(),
        error_message: error_message.and_then(|m| Text::new(m).ok()),
    }
}

fn api(action: &'static str, run_id: Uuid) -> impl Fn(ClientError) -> ImplementationError {
    move |source| ImplementationError::Api {
        action,
        run_id,
        source,
    }
}
