//! `planner --run-id`: plan one run of a PASS server and report every step
//! back through its API, so the run's status is always where the work is.

use std::num::NonZeroU64;

use pass_client::{ClientError, PassClient};
use pass_contracts::api::{ArtifactUpload, ExecutionUpdate, ReportedExecutionStatus, RunPatch};
use pass_contracts::artifacts::names;
use pass_contracts::{RunDetail, RunStatus, RunStep, Text, validate_pack_value};
use uuid::Uuid;

use crate::config::{PlannerConfig, Provider};
use crate::error::PlannerError;
use crate::revision::PlanHistory;
use crate::{
    ModelRefinement, build_model, plan_offline, plan_refinement, plan_refinement_with_model,
    plan_with_model, prepare_inputs,
};

/// Longest `error_message` sent to the server.
const MAX_ERROR_MESSAGE: usize = 4000;

fn api(step: &'static str) -> impl FnOnce(ClientError) -> PlannerError {
    move |source| PlannerError::Api { step, source }
}

/// Plans run `run_id`: get the run, parse its org constraints, execution →
/// running, `parsed`, generate, `plan_generated`, upload the artifacts,
/// `exported`, execution → succeeded. On any failure the run is marked
/// `failed` and the execution failed with the error's message; a failure
/// while reporting that is logged and the original error returned.
pub async fn run_agent(run_id: Uuid, config: &PlannerConfig) -> Result<(), PlannerError> {
    let base = config
        .api_base_url
        .as_deref()
        .ok_or(PlannerError::MissingSetting("PASS_API_BASE_URL"))?;
    let client = PassClient::new(base, config.api_token.clone()).map_err(api("connecting"))?;
    let mut execution_id = config.execution_id;
    let result = drive(&client, run_id, config, &mut execution_id).await;
    if let Err(error) = &result {
        report_failure(&client, run_id, execution_id, &error.to_string()).await;
    }
    result
}

async fn drive(
    client: &PassClient,
    run_id: Uuid,
    config: &PlannerConfig,
    execution_id: &mut Option<Uuid>,
) -> Result<(), PlannerError> {
    let run = client
        .get_run(run_id)
        .await
        .map_err(api("reading the run"))?
        .run;
    // The execution this agent belongs to: updates name it, so the server
    // refuses them if a newer dispatch replaced it.
    if execution_id.is_none() {
        *execution_id = run
            .execution
            .as_ref()
            .filter(|e| !e.status.is_final())
            .and_then(|e| e.execution_id);
    }
    let execution_id = *execution_id;
    let input = run.input.clone().ok_or(PlannerError::NoInput { run_id })?;
    let prd_text = input.prd_text.as_str();
    let org_yaml = input.org_constraints_yaml.as_ref().map(Text::as_str);
    let (org, org_given) = prepare_inputs(prd_text, org_yaml)?;

    let github_run_url = config
        .github_run_url
        .as_deref()
        .and_then(|u| match url::Url::parse(u) {
            Ok(url) => Some(url),
            Err(error) => {
                tracing::warn!(%error, "GITHUB_RUN_URL is not a URL; not reported");
                None
            }
        });
    client
        .update_execution(
            run_id,
            &ExecutionUpdate {
                execution_id,
                status: ReportedExecutionStatus::Running,
                github_run_id: config.github_run_id.and_then(NonZeroU64::new),
                github_run_url,
                error_message: None,
            },
        )
        .await
        .map_err(api("reporting the execution as running"))?;
    patch(
        client,
        run_id,
        RunStatus::Parsed,
        RunStep::Parse,
        "marking the run parsed",
    )
    .await?;

    tracing::info!("{}", config.describe_provider());
    let history = plan_history(client, &run).await?;
    let checkpoints = config
        .runs_dir
        .join(run_id.to_string())
        .join("planner-checkpoints");
    let planned = if let Some(refinement) = &input.refinement {
        // A refinement re-plans what its answers and requests change, from
        // the refined revision's pack.
        let base = client
            .get_artifact(refinement.base_run_id, names::ARCHITECTURE_PACK)
            .await
            .map_err(api("reading the refined revision's pack"))?;
        let base = validate_pack_value(&base.payload).map_err(PlannerError::PackInvalid)?;
        if config.provider == Provider::Offline {
            plan_refinement(
                &base,
                refinement,
                prd_text,
                &org,
                run_id,
                config,
                history.as_ref(),
            )?
        } else {
            // A model gets the changes in full and re-plans only the
            // sections they touch; an answer's question record says which.
            let clarifications = if refinement.answers.is_empty() {
                Vec::new()
            } else {
                match client.clarifications(refinement.base_run_id).await {
                    Ok(list) => list,
                    Err(error) => {
                        tracing::warn!(%error, "the refined run's questions could not be read; where the answers land is read from the plan");
                        Vec::new()
                    }
                }
            };
            let model = build_model(config, prd_text, &org, org_given)?;
            plan_refinement_with_model(
                model.as_ref(),
                ModelRefinement {
                    base: &base,
                    refinement,
                    clarifications: &clarifications,
                    prd_text,
                    org: &org,
                    org_given,
                    run_id,
                    checkpoint_dir: Some(checkpoints),
                    history: history.as_ref(),
                },
                config,
            )
            .await?
        }
    } else if config.provider == Provider::Offline {
        plan_offline(prd_text, &org, org_given, run_id, config, history.as_ref())?
    } else {
        let model = build_model(config, prd_text, &org, org_given)?;
        plan_with_model(
            model.as_ref(),
            prd_text,
            &org,
            org_given,
            run_id,
            config,
            Some(checkpoints),
            history.as_ref(),
        )
        .await?
    };
    patch(
        client,
        run_id,
        RunStatus::PlanGenerated,
        RunStep::Plan,
        "marking the plan generated",
    )
    .await?;

    for artifact in &planned.artifacts {
        let name = Text::new(artifact.name).expect("artifact names are non-empty literals");
        client
            .upload_artifact(
                run_id,
                &ArtifactUpload {
                    name,
                    content_type: artifact.content_type,
                    payload: artifact.payload.clone(),
                },
            )
            .await
            .map_err(api("uploading an artifact"))?;
    }
    patch(
        client,
        run_id,
        RunStatus::Exported,
        RunStep::Export,
        "marking the run exported",
    )
    .await?;
    client
        .update_execution(
            run_id,
            &ExecutionUpdate {
                execution_id,
                status: ReportedExecutionStatus::Succeeded,
                github_run_id: None,
                github_run_url: None,
                error_message: None,
            },
        )
        .await
        .map_err(api("reporting the execution as succeeded"))?;
    tracing::info!(
        requirements = planned.pack.requirements.len(),
        issues = planned.pack.implementation.github_issue_plan.len(),
        tokens = planned.usage.totals.total_tokens,
        "run planned"
    );
    Ok(())
}

/// The project's earlier revisions that have a plan, for ids that stay put
/// across revisions; `None` for a project's first revision.
async fn plan_history(
    client: &PassClient,
    run: &RunDetail,
) -> Result<Option<PlanHistory>, PlannerError> {
    let revision = run.revision_number();
    if revision.get() == 1 {
        return Ok(None);
    }
    let project = client
        .get_project(run.project())
        .await
        .map_err(api("reading the run's project"))?;
    let mut earlier = Vec::new();
    for older in project.revisions.iter().filter(|r| r.revision < revision) {
        match client
            .get_artifact(older.run_id, names::ARCHITECTURE_PACK)
            .await
        {
            Ok(artifact) => match validate_pack_value(&artifact.payload) {
                Ok(pack) => earlier.push((older.run_id, older.revision, pack)),
                Err(problems) => tracing::warn!(
                    run_id = %older.run_id,
                    problems = problems.len(),
                    "an earlier revision's pack is invalid; its ids are not carried over"
                ),
            },
            Err(error) if error.code() == Some("artifact_not_found") => {}
            Err(error) => return Err(api("reading an earlier revision's pack")(error)),
        }
    }
    tracing::info!(
        revision = revision.get(),
        earlier_plans = earlier.len(),
        "planning a revision of the project"
    );
    Ok(Some(PlanHistory::from_earlier(
        run.project(),
        revision,
        earlier,
    )))
}

async fn patch(
    client: &PassClient,
    run_id: Uuid,
    status: RunStatus,
    step: RunStep,
    what: &'static str,
) -> Result<(), PlannerError> {
    client
        .patch_run(
            run_id,
            &RunPatch {
                status: Some(status),
                current_step: Some(step),
            },
        )
        .await
        .map(|_| ())
        .map_err(api(what))
}

/// Where the agent reports to, readable even when the rest of the
/// configuration is not, so a misconfigured agent can still fail its run.
#[derive(Debug, Clone)]
pub struct ApiEndpoint {
    /// `PASS_API_BASE_URL`.
    pub base_url: Option<String>,
    /// `PASS_API_TOKEN`.
    pub token: Option<secrecy::SecretString>,
}

impl ApiEndpoint {
    pub fn from_lookup(lookup: impl Fn(&str) -> Option<String>) -> Self {
        let get = |name: &str| lookup(name).filter(|v| !v.trim().is_empty());
        Self {
            base_url: get("PASS_API_BASE_URL"),
            token: get("PASS_API_TOKEN").map(|t| secrecy::SecretString::from(t.trim().to_owned())),
        }
    }
}

/// Marks run `run_id` failed when the agent cannot even start (for example
/// its configuration is invalid): run `failed`, execution `failed` with `error`.
pub async fn report_startup_failure(
    run_id: Uuid,
    endpoint: &ApiEndpoint,
    error: &dyn std::error::Error,
) -> Result<(), PlannerError> {
    let base = endpoint
        .base_url
        .as_deref()
        .ok_or(PlannerError::MissingSetting("PASS_API_BASE_URL"))?;
    let client = PassClient::new(base, endpoint.token.clone()).map_err(api("connecting"))?;
    report_failure(&client, run_id, None, &error.to_string()).await;
    Ok(())
}

async fn report_failure(
    client: &PassClient,
    run_id: Uuid,
    execution_id: Option<Uuid>,
    message: &str,
) {
    let mut message = message.to_owned();
    if message.len() > MAX_ERROR_MESSAGE {
        let mut cut = MAX_ERROR_MESSAGE;
        while !message.is_char_boundary(cut) {
            cut -= 1;
        }
        message.truncate(cut);
        message.push('…');
    }
    let patch = RunPatch {
        status: Some(RunStatus::Failed),
        current_step: None,
    };
    if let Err(report) = client.patch_run(run_id, &patch).await {
        tracing::error!(error = %report, "could not mark the run failed");
    }
    let update = ExecutionUpdate {
        execution_id,
        status: ReportedExecutionStatus::Failed,
        github_run_id: None,
        github_run_url: None,
        error_message: Text::new(message).ok(),
    };
    if let Err(report) = client.update_execution(run_id, &update).await {
        tracing::error!(error = %report, "could not report the execution as failed");
    }
}
