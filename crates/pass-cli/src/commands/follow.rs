//! Driving one run through its phases on a server and reporting what it made;
//! shared by `pass run` and `pass demo`.

use std::time::{Duration, Instant};

use anyhow::{Context, bail};
use indicatif::{ProgressBar, ProgressStyle};
use pass_client::PassClient;
use pass_contracts::api::{DispatchOptions, RunWithArtifacts};
use pass_contracts::artifacts::names;
use pass_contracts::pack::{ArchitecturePack, CoverageStatus};
use pass_contracts::{ExecutionStatus, RunDetail, WorkflowName, from_value};
use uuid::Uuid;

/// How long to wait for one phase before giving up.
const PHASE_TIMEOUT: Duration = Duration::from_secs(30 * 60);
const POLL_INTERVAL: Duration = Duration::from_millis(200);

/// Dispatches `workflow` for `run_id` and waits until its execution is final,
/// showing a spinner with the run's step and elapsed time on a terminal.
pub async fn run_phase(
    client: &PassClient,
    run_id: Uuid,
    workflow: WorkflowName,
) -> anyhow::Result<RunDetail> {
    run_phase_with(client, run_id, workflow, &DispatchOptions::default()).await
}

/// [`run_phase`] with dispatch options (`phase2-implementation` only).
pub async fn run_phase_with(
    client: &PassClient,
    run_id: Uuid,
    workflow: WorkflowName,
    options: &DispatchOptions,
) -> anyhow::Result<RunDetail> {
    let label = match workflow {
        WorkflowName::Planner => "planning",
        WorkflowName::Implementation => "syncing issues",
    };
    let spinner = ProgressBar::new_spinner();
    spinner.set_style(
        ProgressStyle::with_template("{spinner} {msg} [{elapsed}]")
            .unwrap_or_else(|_| ProgressStyle::default_spinner()),
    );
    spinner.enable_steady_tick(Duration::from_millis(120));
    spinner.set_message(format!("{label}: dispatching {}", workflow.as_str()));

    client
        .dispatch_with(run_id, workflow, options)
        .await
        .with_context(|| format!("could not dispatch {} for run {run_id}", workflow.as_str()))?;
    let started = Instant::now();
    loop {
        let detail = client
            .get_run(run_id)
            .await
            .with_context(|| format!("could not read run {run_id}"))?;
        let run = detail.run;
        if let Some(execution) = &run.execution {
            spinner.set_message(format!(
                "{label}: execution {}, run {} at step {}",
                execution.status.as_str(),
                run.status.as_str(),
                run.current_step.as_str()
            ));
            if execution.workflow_name == workflow && execution.status.is_final() {
                let elapsed = started.elapsed();
                spinner.finish_and_clear();
                // A terminal keeps one line per finished step; pipes stay quiet.
                if !spinner.is_hidden() {
                    let mark = if execution.status == ExecutionStatus::Failed {
                        "✗"
                    } else {
                        "✓"
                    };
                    eprintln!("{mark} {label} ({:.1}s)", elapsed.as_secs_f64());
                }
                if execution.status == ExecutionStatus::Failed {
                    let message = execution
                        .error_message
                        .as_ref()
                        .map_or("no error message", |m| m.as_str());
                    bail!(
                        "{} failed after {:.1}s: {message}",
                        workflow.as_str(),
                        elapsed.as_secs_f64()
                    );
                }
                return Ok(run);
            }
        }
        if started.elapsed() > PHASE_TIMEOUT {
            spinner.finish_and_clear();
            bail!(
                "{} did not finish within {} minutes",
                workflow.as_str(),
                PHASE_TIMEOUT.as_secs() / 60
            );
        }
        tokio::time::sleep(POLL_INTERVAL).await;
    }
}

/// What a finished run produced, for the closing summary.
#[derive(Debug)]
pub struct RunSummary {
    pub detail: RunWithArtifacts,
    pub pack: Option<ArchitecturePack>,
    /// The provider and model that wrote the pack, from its `planner_usage`.
    pub model: Option<ModelUsed>,
}

/// Which model planned a run, as its `planner_usage` artifact records it.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct ModelUsed {
    pub provider: String,
    pub model: String,
}

/// Fetches the run and its architecture pack (when it has one).
pub async fn summarize(client: &PassClient, run_id: Uuid) -> anyhow::Result<RunSummary> {
    let detail = client
        .get_run(run_id)
        .await
        .with_context(|| format!("could not read run {run_id}"))?;
    let has_pack = detail
        .artifacts
        .iter()
        .any(|a| a.name.as_str() == names::ARCHITECTURE_PACK);
    let pack = if has_pack {
        let artifact = client
            .get_artifact(run_id, names::ARCHITECTURE_PACK)
            .await?;
        Some(
            from_value::<ArchitecturePack>(&artifact.payload)
                .map_err(|p| anyhow::anyhow!("stored pack is invalid: {p}"))?,
        )
    } else {
        None
    };
    let has_usage = detail
        .artifacts
        .iter()
        .any(|a| a.name.as_str() == names::PLANNER_USAGE);
    let model = if has_usage {
        let usage = client.get_artifact(run_id, names::PLANNER_USAGE).await?;
        let field = |name: &str| usage.payload[name].as_str().map(str::to_owned);
        field("provider")
            .zip(field("model"))
            .map(|(provider, model)| ModelUsed { provider, model })
    } else {
        None
    };
    Ok(RunSummary {
        detail,
        pack,
        model,
    })
}

impl RunSummary {
    /// The human summary printed at the end of `pass run` and `pass demo`.
    pub fn render(&self) -> String {
        let run = &self.detail.run;
        let mut out = String::new();
        out.push_str(&format!(
            "run {}: {} (step {}), revision {} of project {}\n",
            run.run_id,
            run.status.as_str(),
            run.current_step.as_str(),
            run.revision_number(),
            run.project()
        ));
        if let Some(model) = &self.model {
            out.push_str(&format!(
                "planned by: {} (model {})\n",
                model.provider, model.model
            ));
        }
        if let Some(pack) = &self.pack {
            let count = |status: CoverageStatus| {
                pack.coverage.iter().filter(|c| c.status == status).count()
            };
            out.push_str(&format!("architecture: {}\n", pack.architecture.name));
            out.push_str(&format!(
                "requirements: {}  components: {}  planned issues: {}\n",
                pack.requirements.len(),
                pack.architecture.components.len(),
                pack.implementation.github_issue_plan.len()
            ));
            out.push_str(&format!(
                "coverage: {} covered, {} partial, {} missing\n",
                count(CoverageStatus::Covered),
                count(CoverageStatus::Partial),
                count(CoverageStatus::Missing)
            ));
            if !pack.open_questions.is_empty() {
                out.push_str(&format!("open questions: {}\n", pack.open_questions.len()));
            }
            out.push_str(&super::report::pack_lines(pack));
        }
        if let Some(state) = run.plan_state {
            out.push_str(&format!("plan: {}\n", state.as_str()));
        }
        if let Some(state) = &run.implementation_state {
            let mut counts = std::collections::BTreeMap::new();
            for issue in &state.issues {
                let outcome = issue
                    .outcome
                    .map_or(issue.sync_status.as_str(), |o| o.as_str());
                *counts.entry(outcome).or_insert(0) += 1;
            }
            let counts: Vec<String> = counts.iter().map(|(k, v)| format!("{v} {k}")).collect();
            out.push_str(&format!(
                "issues: {} ({})\n",
                state.issues.len(),
                counts.join(", ")
            ));
        }
        if !self.detail.artifacts.is_empty() {
            let names: Vec<&str> = self
                .detail
                .artifacts
                .iter()
                .map(|a| a.name.as_str())
                .collect();
            out.push_str(&format!("artifacts: {}\n", names.join(", ")));
        }
        out
    }

    /// The summary as one JSON document (`--json`): the run, its artifacts,
    /// the pack's figures and the model that planned it.
    pub fn json(&self) -> serde_json::Value {
        let mut issues = std::collections::BTreeMap::new();
        if let Some(state) = &self.detail.run.implementation_state {
            for issue in &state.issues {
                let outcome = issue
                    .outcome
                    .map_or(issue.sync_status.as_str(), |o| o.as_str());
                *issues.entry(outcome).or_insert(0) += 1;
            }
        }
        serde_json::json!({
            "run": self.detail.run,
            "artifacts": self.detail.artifacts,
            "pack": self.pack.as_ref().map(super::report::pack_json),
            "model": self.model.as_ref().map(|m| serde_json::json!({
                "provider": m.provider,
                "model": m.model,
            })),
            "issues": issues,
        })
    }
}

/// A plan diff for the terminal: reasons, what was not applied, and each list's changes.
pub fn render_diff(diff: &pass_contracts::PlanDiff) -> String {
    let mut out = String::new();
    for reason in &diff.reasons {
        out.push_str(&format!("for: {reason}\n"));
    }
    for line in &diff.not_applied {
        out.push_str(&format!("not applied: {line}\n"));
    }
    for (name, list) in [
        ("requirements", &diff.requirements),
        ("components", &diff.components),
        ("plan items", &diff.plan_items),
    ] {
        out.push_str(&format!(
            "{name}: {} added, {} changed, {} removed, {} unchanged\n",
            list.added.len(),
            list.changed.len(),
            list.removed.len(),
            list.unchanged
        ));
        for entry in &list.added {
            out.push_str(&format!("  + {} {}\n", entry.id, entry.title));
        }
        for entry in &list.changed {
            let fields: Vec<&str> = entry.fields.iter().map(|f| f.as_str()).collect();
            out.push_str(&format!(
                "  ~ {} {} ({})\n",
                entry.id,
                entry.title,
                fields.join(", ")
            ));
        }
        for entry in &list.removed {
            out.push_str(&format!("  - {} {}\n", entry.id, entry.title));
        }
    }
    out
}
