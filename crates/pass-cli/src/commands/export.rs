//! `pass export RUN --html FILE`: one self-contained HTML file of a run (the
//! console's sections without its controls, diagrams as inline SVG, styles
//! inline, no script) to attach to a review or a pull request. Reads the run
//! through the API like every other server command.

use std::path::PathBuf;

use anyhow::Context;
use pass_client::PassClient;
use pass_console::RunBundle;
use pass_contracts::artifacts::names;
use pass_contracts::{ArchitecturePack, PlanDiff};
use uuid::Uuid;

use super::api::ApiArgs;

#[derive(Debug, clap::Args)]
pub struct Args {
    /// The run's id.
    pub run_id: Uuid,
    /// Where to write the HTML file.
    #[arg(long, value_name = "FILE")]
    pub html: PathBuf,
    #[command(flatten)]
    pub api: ApiArgs,
}

pub async fn run(args: Args) -> anyhow::Result<()> {
    let client = args.api.client()?;
    let bundle = gather(&client, args.run_id).await?;
    let html = tokio::task::spawn_blocking(move || pass_console::export_html(&bundle))
        .await
        .context("rendering the export failed")?;
    fs_err::write(&args.html, &html)?;
    println!(
        "wrote {} ({} KiB, no script, diagrams inline)",
        args.html.display(),
        html.len().div_ceil(1024)
    );
    Ok(())
}

/// The payload of an artifact the run may not have.
async fn optional_artifact(
    client: &PassClient,
    run_id: Uuid,
    name: &str,
    listed: bool,
) -> anyhow::Result<Option<serde_json::Value>> {
    if !listed {
        return Ok(None);
    }
    let artifact = client
        .get_artifact(run_id, name)
        .await
        .with_context(|| format!("reading artifact {name} of run {run_id}"))?;
    Ok(Some(artifact.payload))
}

async fn gather(client: &PassClient, run_id: Uuid) -> anyhow::Result<RunBundle> {
    let detail = client
        .get_run(run_id)
        .await
        .with_context(|| format!("reading run {run_id}"))?;
    let has = |name: &str| detail.artifacts.iter().any(|a| a.name.as_str() == name);
    let pack = optional_artifact(
        client,
        run_id,
        names::ARCHITECTURE_PACK,
        has(names::ARCHITECTURE_PACK),
    )
    .await?
    .map(serde_json::from_value::<ArchitecturePack>)
    .transpose()
    .context("the run's architecture_pack is not a pack")?;
    let diagram_source = optional_artifact(
        client,
        run_id,
        names::ARCHITECTURE_PACK_DIAGRAM,
        has(names::ARCHITECTURE_PACK_DIAGRAM),
    )
    .await?
    .and_then(|v| v.as_str().map(str::to_owned));
    let plan_diff = optional_artifact(client, run_id, names::PLAN_DIFF, has(names::PLAN_DIFF))
        .await?
        .map(serde_json::from_value::<PlanDiff>)
        .transpose()
        .context("the run's plan_diff is not a plan diff")?;
    let clarifications = client.clarifications(run_id).await?;
    let project = client
        .get_project(detail.run.project())
        .await
        .ok()
        .map(|p| p.project);
    Ok(RunBundle {
        run: detail.run,
        artifacts: detail.artifacts,
        project,
        pack,
        diagram_source,
        plan_diff,
        clarifications,
        log_tail: None,
    })
}
