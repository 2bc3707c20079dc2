//! `implementation --run-id`: the agent's conversation with the PASS API
//! around a sync — claim the execution, fetch and check the pack, find the
//! project's backlog, take the project's sync lease, sync, then record the
//! state and the summary and say how it ended.

use std::collections::{BTreeSet, HashMap};

use pass_client::{ClientError, PassClient};
use pass_contracts::api::{ArtifactUpload, ExecutionUpdate, ReportedExecutionStatus};
use pass_contracts::artifacts::names;
use pass_contracts::runs::WorkflowName;
use pass_contracts::{
    ArchitecturePack, ContentType, ExecutionStatus, PlanDiff, RunDetail, Text, Timestamp,
    validate_pack_value,
};
use uuid::Uuid;

use crate::apply::{Checkpoint, NeverPause};
use crate::config::{ImplementationConfig, TargetConfig};
use crate::decide::{EarlierPlans, SyncScope};
use crate::error::{ConfigError, ImplementationError};
use crate::lease::{LeaseError, LeaseKeeper, LeasedTracker, holder_description, lease_request};
use crate::marker::parse_body;
use crate::report::SyncReport;
use crate::sync::{SyncContext, SyncOptions, sync_listed_pausable};
use crate::tracker::{GithubTracker, IssueTracker, LocalTracker, RetryPolicy};

/// The agent's command-line switches.
#[derive(Debug, Clone, Copy, Default, PartialEq, Eq)]
pub struct AgentOptions {
    /// Print the decisions; write nothing to the tracker or the PASS API.
    pub dry_run: bool,
    /// The caller wants JSON output (the library only carries the wish).
    pub json: bool,
    /// Overwrite what people changed since PASS last wrote an issue.
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

/// How the agent reports on its execution.
struct Reporter<'a> {
    client: &'a PassClient,
    run_id: Uuid,
    config: &'a ImplementationConfig,
    /// The execution this agent belongs to; the server refuses updates for
    /// any other, so a left-over agent cannot end a newer execution.
    execution_id: Option<Uuid>,
}

impl Reporter<'_> {
    fn update(
        &self,
        status: ReportedExecutionStatus,
        error_message: Option<String>,
    ) -> ExecutionUpdate {
        ExecutionUpdate {
            execution_id: self.execution_id,
            status,
            github_run_id: self
                .config
                .github_run_id
                .and_then(std::num::NonZeroU64::new),
            github_run_url: self.config.github_run_url.clone(),
            error_message: error_message.and_then(|m| Text::new(m).ok()),
        }
    }

    async fn send(
        &self,
        update: &ExecutionUpdate,
        action: &'static str,
    ) -> Result<(), ImplementationError> {
        self.client
            .update_execution(self.run_id, update)
            .await
            .map(|_| ())
            .map_err(api(action, self.run_id))
    }

    /// Reports the execution failed with `message`. A failure to do so is
    /// only logged: the caller returns the original error, which says more.
    async fn failed(&self, message: String) {
        let update = self.update(ReportedExecutionStatus::Failed, Some(message));
        if let Err(error) = self.client.update_execution(self.run_id, &update).await {
            tracing::error!(run_id = %self.run_id, %error, "could not report the execution failed");
        }
    }
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
        .map_err(api("reading the run", run_id))?
        .run;
    let mut notices = Vec::new();
    let mut reporting = false;
    let mut reporter = Reporter {
        client,
        run_id,
        config,
        execution_id: config.execution_id,
    };
    match run.execution.as_ref() {
        Some(execution) if execution.status.is_final() => {}
        Some(execution)
            if execution.workflow_name != WorkflowName::Implementation && !options.dry_run =>
        {
            let notice = format!(
                "the run's execution belongs to workflow {}, not {}; synced without reporting on it",
                execution.workflow_name.as_str(),
                WorkflowName::Implementation.as_str()
            );
            tracing::info!(%run_id, "{notice}");
            notices.push(notice);
        }
        Some(execution) if execution.workflow_name != WorkflowName::Implementation => {}
        // A dry run reports only on the execution it was dispatched for, so
        // one started by hand never ends a real sync's execution.
        Some(execution)
            if !options.dry_run
                || (config.execution_id.is_some()
                    && config.execution_id == execution.execution_id) =>
        {
            reporter.execution_id = reporter.execution_id.or(execution.execution_id);
            if execution.status != ExecutionStatus::Running {
                reporter
                    .send(
                        &reporter.update(ReportedExecutionStatus::Running, None),
                        "reporting the execution running",
                    )
                    .await?;
            }
            reporting = true;
        }
        _ => {}
    }
    if !reporting && !options.dry_run {
        tracing::info!(%run_id, "the run has no open execution this agent could report on; syncing without reporting one");
    }

    let outcome =
        sync_and_record(client, &run, options, config, &reporter, reporting, notices).await;
    let report = match outcome {
        Ok(report) => report,
        Err(error) => {
            if reporting {
                reporter.failed(error.to_string()).await;
            }
            return Err(error);
        }
    };
    if reporting {
        let uploaded = match serde_json::to_value(&report) {
            Ok(json) => {
                upload(
                    client,
                    run_id,
                    names::IMPLEMENTATION_SYNC_REPORT,
                    ContentType::Json,
                    json,
                )
                .await
            }
            Err(e) => Err(ImplementationError::Encode {
                what: "the sync report",
                reason: e.to_string(),
            }),
        };
        if let Err(error) = uploaded {
            reporter.failed(error.to_string()).await;
            return Err(error);
        }
        let update = if let Some(reason) = &report.paused {
            reporter.update(ReportedExecutionStatus::Paused, Some(reason.clone()))
        } else if report.has_failures() {
            let mut message = format!("{} issue(s) failed to sync", report.counts.failed);
            if let Some(stopped) = &report.stopped {
                message = format!("the sync stopped: {stopped}");
            } else if let Some(first) = report.items.iter().find_map(|i| i.error.as_ref()) {
                message.push_str(&format!("; first error: {first}"));
            }
            reporter.update(ReportedExecutionStatus::Failed, Some(message))
        } else {
            reporter.update(ReportedExecutionStatus::Succeeded, None)
        };
        if let Err(error) = reporter
            .send(&update, "reporting the execution's end")
            .await
        {
            reporter.failed(error.to_string()).await;
            return Err(error);
        }
    }
    Ok(report)
}

/// The sync, then (unless a dry run) the implementation state and the two
/// artifacts that record it.
async fn sync_and_record(
    client: &PassClient,
    run: &RunDetail,
    options: AgentOptions,
    config: &ImplementationConfig,
    reporter: &Reporter<'_>,
    reporting: bool,
    notices: Vec<String>,
) -> Result<SyncReport, ImplementationError> {
    let run_id = run.run_id;
    let pack = fetch_pack(client, run_id).await?;
    let scope = project_scope(client, run).await?;
    if !options.dry_run {
        check_approved(client, run).await?;
    }
    let sync_options = SyncOptions {
        dry_run: options.dry_run,
        force: options.force,
    };
    let session = SyncSession {
        client,
        scope,
        config,
        execution_id: reporter.execution_id,
        pausable: reporting,
        reasons: refinement_reasons(client, run).await?,
    };
    let mut report = match &config.target {
        TargetConfig::Github(settings) => {
            let tracker = GithubTracker::new(settings)?.with_retry_policy(RetryPolicy {
                time_budget: config.time_budget,
                ..RetryPolicy::default()
            });
            session.sync(&pack, &tracker, &sync_options).await?
        }
        TargetConfig::Local(settings) => {
            let tracker = LocalTracker::new(settings.dir()?)?;
            session.sync(&pack, &tracker, &sync_options).await?
        }
    };
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

/// Reads and checks the run's architecture pack.
pub async fn fetch_pack(
    client: &PassClient,
    run_id: Uuid,
) -> Result<ArchitecturePack, ImplementationError> {
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
    Ok(pack)
}

/// A project that wants plans approved gets no issues from a draft, however
/// the sync was started (the server refuses such a dispatch too).
async fn check_approved(client: &PassClient, run: &RunDetail) -> Result<(), ImplementationError> {
    use pass_contracts::PlanState;
    if matches!(
        run.plan_state,
        None | Some(PlanState::Approved | PlanState::Synced)
    ) {
        return Ok(());
    }
    match client.get_project(run.project()).await {
        Ok(project) if project.project.require_approval => {
            Err(ImplementationError::NotApproved(run.run_id))
        }
        Ok(_) => Ok(()),
        Err(error) if error.status() == Some(404) => Ok(()),
        Err(error) => Err(api("reading the run's project", run.run_id)(error)),
    }
}

/// The backlog the run belongs to: its project and every revision of it.
async fn project_scope(
    client: &PassClient,
    run: &RunDetail,
) -> Result<SyncScope, ImplementationError> {
    let project_id = run.project();
    let project = match client.get_project(project_id).await {
        Ok(project) => Some(project),
        // A server from before projects: the run is its own backlog.
        Err(error) if error.status() == Some(404) && project_id == run.run_id => None,
        Err(error) => return Err(api("reading the run's project", run.run_id)(error)),
    };
    let mut project_runs: std::collections::HashSet<Uuid> = project
        .map(|p| p.revisions.iter().map(|r| r.run_id).collect())
        .unwrap_or_default();
    project_runs.insert(run.run_id);
    Ok(SyncScope {
        project_id,
        run_id: run.run_id,
        revision: run.revision_number().get(),
        project_runs,
    })
}

/// Why each plan item changed, for a refinement revision: read from its
/// `plan_diff` artifact, so each updated issue can say which answer or
/// request changed it.
async fn refinement_reasons(
    client: &PassClient,
    run: &RunDetail,
) -> Result<HashMap<String, String>, ImplementationError> {
    let refined = run
        .input
        .as_ref()
        .is_some_and(|input| input.refinement.is_some());
    if !refined {
        return Ok(HashMap::new());
    }
    let diff: PlanDiff = match client.get_artifact(run.run_id, names::PLAN_DIFF).await {
        Ok(artifact) => {
            serde_json::from_value(artifact.payload).map_err(|e| ImplementationError::Encode {
                what: "the plan_diff artifact",
                reason: e.to_string(),
            })?
        }
        Err(error) if error.code() == Some("artifact_not_found") => return Ok(HashMap::new()),
        Err(error) => return Err(api("reading the plan_diff artifact", run.run_id)(error)),
    };
    Ok(diff
        .plan_items
        .changed
        .iter()
        .filter_map(|entry| Some((entry.id.to_string(), entry.because.as_ref()?.to_string())))
        .collect())
}

/// Asks the PASS API before each item whether the execution should pause
/// (a blocking question was asked while it ran).
struct PauseCheck<'a> {
    client: &'a PassClient,
    run_id: Uuid,
    execution_id: Option<Uuid>,
}

impl Checkpoint for PauseCheck<'_> {
    async fn pause_reason(&self) -> Option<String> {
        match self.client.get_run(self.run_id).await {
            Ok(run) => run.run.execution.and_then(|execution| {
                let ours =
                    self.execution_id.is_none() || execution.execution_id == self.execution_id;
                ours.then_some(execution.pause_reason)
                    .flatten()
                    .map(|reason| reason.to_string())
            }),
            Err(error) => {
                tracing::warn!(%error, "could not ask whether to pause; going on");
                None
            }
        }
    }
}

/// One sync of one run, with what it needs from the API around it.
struct SyncSession<'a> {
    client: &'a PassClient,
    scope: SyncScope,
    config: &'a ImplementationConfig,
    execution_id: Option<Uuid>,
    /// Whether the sync reports on an execution, which a blocking question pauses.
    pausable: bool,
    reasons: HashMap<String, String>,
}

impl SyncSession<'_> {
    /// Takes the lease (unless a dry run), lists the backlog, fetches the
    /// plans of revisions that wrote older issues, then syncs.
    async fn sync<T: IssueTracker>(
        &self,
        pack: &ArchitecturePack,
        tracker: &T,
        options: &SyncOptions,
    ) -> Result<SyncReport, ImplementationError> {
        let run_id = self.scope.run_id;
        let lease = if options.dry_run {
            None
        } else {
            let request = lease_request(
                &tracker.describe(),
                holder_description(&format!("implementation agent for run {run_id}")),
                run_id,
                self.execution_id,
                self.config.lease_ttl_seconds,
            )
            .ok_or_else(|| ImplementationError::Encode {
                what: "the sync lease request",
                reason: "the issue target has no name".to_owned(),
            })?;
            match LeaseKeeper::acquire(self.client, self.scope.project_id, &request).await {
                Ok(lease) => Some(lease),
                Err(LeaseError::Unsupported) => {
                    tracing::warn!(
                        "the PASS API grants no sync leases (it predates projects); syncing without one"
                    );
                    None
                }
                Err(LeaseError::Busy(message)) => {
                    return Err(ImplementationError::SyncBusy(message));
                }
                Err(LeaseError::Api(source)) => {
                    return Err(api("taking the project's sync lease", run_id)(source));
                }
            }
        };
        let result = match &lease {
            Some(lease) => {
                let leased = LeasedTracker::new(tracker, lease);
                self.sync_with(pack, &leased, options).await
            }
            None => self.sync_with(pack, tracker, options).await,
        };
        if let Some(lease) = lease {
            lease.release().await;
        }
        result
    }

    async fn sync_with<T: IssueTracker>(
        &self,
        pack: &ArchitecturePack,
        tracker: &T,
        options: &SyncOptions,
    ) -> Result<SyncReport, ImplementationError> {
        let before_listing = tracker.requests();
        let issues =
            tracker
                .list_issues()
                .await
                .map_err(|source| crate::error::SyncError::List {
                    target: tracker.describe(),
                    source,
                })?;
        let context = SyncContext {
            earlier: self.earlier_plans(&issues).await,
            scope: self.scope.clone(),
            reasons: self.reasons.clone(),
        };
        let items = &pack.implementation.github_issue_plan;
        let report = if self.pausable {
            let check = PauseCheck {
                client: self.client,
                run_id: self.scope.run_id,
                execution_id: self.execution_id,
            };
            sync_listed_pausable(
                items,
                &context,
                tracker,
                issues,
                before_listing,
                options,
                &check,
            )
            .await?
        } else {
            sync_listed_pausable(
                items,
                &context,
                tracker,
                issues,
                before_listing,
                options,
                &NeverPause,
            )
            .await?
        };
        Ok(report)
    }

    /// The plans of the revisions named by this backlog's issues whose block
    /// lacks PASS's record of what it wrote (the seed's, older PASS's). A
    /// revision whose pack cannot be read is left out: its issues then count
    /// as changed by people, which only ever keeps more.
    async fn earlier_plans(&self, issues: &[crate::tracker::TrackedIssue]) -> EarlierPlans {
        let runs: BTreeSet<Uuid> = issues
            .iter()
            .filter_map(|issue| parse_body(&issue.body))
            .filter(|marked| self.scope.owns(&marked.marker))
            .filter(|marked| {
                let m = &marked.marker;
                m.title_sha256.is_none() || m.body_sha256.is_none() || m.labels.is_none()
            })
            .filter_map(|marked| marked.marker.run_uuid())
            .collect();
        let mut plans = EarlierPlans::new();
        for run_id in runs {
            match fetch_pack(self.client, run_id).await {
                Ok(pack) => {
                    plans.insert(run_id, pack.implementation.github_issue_plan);
                }
                Err(error) => {
                    tracing::warn!(%run_id, %error, "the plan that wrote some issues cannot be read; they are treated as edited by people");
                }
            }
        }
        plans
    }
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
        names::IMPLEMENTATION_SYNC_REPORT => "uploading the implementation_sync_report artifact",
        _ => "uploading an artifact",
    }
}

fn api(action: &'static str, run_id: Uuid) -> impl Fn(ClientError) -> ImplementationError {
    move |source| ImplementationError::Api {
        action,
        run_id,
        source,
    }
}
