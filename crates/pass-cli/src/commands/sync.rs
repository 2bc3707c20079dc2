//! `pass sync --run-id ID`: the implementation agent's sync, started by a
//! user. With GitHub (or an explicit `PASS_LOCAL_ISSUES_DIR`) it runs here,
//! under the project's sync lease; the local issue target lives in the
//! server's storage, so for it the sync is dispatched to the server and its
//! report read back.

use anyhow::Context;
use pass_client::PassClient;
use pass_contracts::WorkflowName;
use pass_contracts::api::DispatchOptions;
use pass_contracts::artifacts::names;
use pass_implementation::{AgentOptions, ImplementationConfig, SyncReport, TargetConfig};
use uuid::Uuid;

use super::api::ApiArgs;
use super::follow;

#[derive(Debug, clap::Args)]
pub struct Args {
    /// The run whose issue plan to sync: its id, or a start of it that only this run has.
    #[arg(long = "run-id", env = "PASS_RUN_ID")]
    pub run_id: String,
    /// Print every decision (create, update, kept, conflict, close, comment) and write nothing.
    #[arg(long, env = "PASS_DRY_RUN")]
    pub dry_run: bool,
    /// Print the report (or the dry run's decisions) as JSON.
    #[arg(long, env = "PASS_JSON")]
    pub json: bool,
    /// Overwrite what people changed in issues since PASS last wrote them.
    /// A flag only, so a forgotten shell variable can never overwrite people's work.
    #[arg(long)]
    pub force: bool,
    #[command(flatten)]
    pub api: ApiArgs,
}

pub async fn run(args: Args) -> anyhow::Result<()> {
    let config = ImplementationConfig::from_lookup(|name| std::env::var(name).ok())?;
    let client = args.api.client()?;
    let run_id = super::resolve::run_id(&client, &args.run_id).await?;
    let options = AgentOptions {
        dry_run: args.dry_run,
        json: args.json,
        force: args.force,
    };
    let report = match &config.target {
        TargetConfig::Local(local) if local.dir.is_none() => {
            eprintln!(
                "issue target: local, the project's folder on the PASS server; dispatching phase2-implementation there"
            );
            sync_on_server(&client, run_id, options).await?
        }
        _ => {
            eprintln!("{}", config.describe_target());
            pass_implementation::run_agent_with_client(&client, run_id, options, &config)
                .await
                .with_context(|| format!("syncing issues of run {run_id} failed"))?
        }
    };
    print_report(&report, options)
}

/// Dispatches the sync to the server and reads its report back (also the
/// sync of `pass mcp`).
pub async fn sync_on_server(
    client: &PassClient,
    run_id: Uuid,
    options: AgentOptions,
) -> anyhow::Result<SyncReport> {
    let dispatch = DispatchOptions {
        dry_run: options.dry_run,
        force: options.force,
    };
    let outcome =
        follow::run_phase_with(client, run_id, WorkflowName::Implementation, &dispatch).await;
    // A sync that failed on some issues still reported them.
    let requested_at = client
        .get_run(run_id)
        .await?
        .run
        .execution
        .map(|e| e.requested_at);
    let report = match client
        .get_artifact(run_id, names::IMPLEMENTATION_SYNC_REPORT)
        .await
    {
        Ok(artifact) if requested_at.is_some_and(|at| artifact.artifact.created_at >= at) => Some(
            serde_json::from_value::<SyncReport>(artifact.payload)
                .context("the server's implementation_sync_report artifact is not a sync report")?,
        ),
        _ => None,
    };
    match (outcome, report) {
        (_, Some(report)) => Ok(report),
        (Err(error), None) => Err(error),
        (Ok(_), None) => anyhow::bail!(
            "the sync on the server ended without an implementation_sync_report artifact (is its implementation agent older than this pass?)"
        ),
    }
}

/// Prints the report as text or JSON; an item that failed makes the command fail.
pub fn print_report(report: &SyncReport, options: AgentOptions) -> anyhow::Result<()> {
    if options.json {
        println!("{}", serde_json::to_string_pretty(report)?);
    } else {
        print!("{}", report.text());
    }
    if report.has_failures() {
        anyhow::bail!("some issues did not sync; see the report above");
    }
    Ok(())
}
