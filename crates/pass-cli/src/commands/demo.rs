//! `pass demo [PRD]`: zero configuration, from a PRD to planned, tracked work.
//! Starts the API in-process on a loopback port with a fresh token, runs both
//! agents on the local backend (as `pass agent …` child processes, so this one
//! binary is all it needs) and prints where everything landed.

use std::path::{Path, PathBuf};
use std::time::Instant;

use anyhow::Context;
use pass_client::PassClient;
use pass_contracts::{ExecutionBackend, RunInput, Text, WorkflowName};
use pass_server::{AuthMode, LogFormat, ServerConfig};
use secrecy::SecretString;
use uuid::Uuid;

use super::follow;

/// The PRD used when none is given: a real feature PRD with user stories and
/// MoSCoW checklists (samples/prds/shelf-board-tagged.txt).
const BUNDLED_PRD: &str = include_str!("../../../../samples/prds/shelf-board-tagged.txt");

#[derive(Debug, clap::Args)]
pub struct Args {
    /// The PRD file; a bundled sample PRD when omitted.
    pub prd: Option<PathBuf>,
    /// Org constraints YAML.
    #[arg(long, value_name = "FILE", env = "PASS_ORG_FILE")]
    pub org: Option<PathBuf>,
    /// Where runs are stored.
    #[arg(long, env = "RUNS_DIR", default_value = "runs")]
    pub runs_dir: PathBuf,
    /// Keep the API running and open the run in the web console (prints the
    /// link when no browser can be started); Ctrl-C stops it.
    #[arg(long)]
    pub open: bool,
}

pub async fn run(args: Args) -> anyhow::Result<()> {
    let started = Instant::now();
    let lookup = |name: &str| std::env::var(name).ok();
    // The in-process server logs only warnings, so progress stays readable.
    pass_server::init_tracing(
        LogFormat::from_lookup(lookup),
        Some(lookup("RUST_LOG").as_deref().unwrap_or("warn")),
    );

    let input = match &args.prd {
        Some(path) => super::run::read_input(path, args.org.as_deref())?,
        None => RunInput {
            prd_text: Text::new(BUNDLED_PRD).context("the bundled PRD is empty")?,
            org_constraints_yaml: super::run::read_org(args.org.as_deref())?,
            requested_by: None,
            source: None,
            project_id: None,
            refinement: None,
        },
    };
    let fallback = args.prd.as_ref().and_then(|p| p.file_stem()).map_or_else(
        || "PASS demo".to_owned(),
        |s| s.to_string_lossy().into_owned(),
    );

    let runs_dir = std::path::absolute(&args.runs_dir)
        .with_context(|| format!("cannot resolve the runs folder {}", args.runs_dir.display()))?;
    let token = format!("{}{}", Uuid::new_v4().simple(), Uuid::new_v4().simple());
    let mut config = ServerConfig::from_lookup(lookup)?;
    config.bind = ([127, 0, 0, 1], 0).into();
    config.runs_dir = runs_dir.clone();
    config.api_token = Some(SecretString::from(token.clone()));
    config.auth_mode = AuthMode::All;
    config.backend = ExecutionBackend::Local;
    config.agent_command = Some(super::serve::built_in_agents()?);
    let shared_issues_dir = config.local_issues_dir.clone();
    let server = pass_server::start(config)
        .await
        .context("could not start the in-process API")?;
    let client = PassClient::new(
        server.base_url.as_str(),
        Some(SecretString::from(token.clone())),
    )?;

    let store = server.store().clone();
    let issues_dir = move |project_id| {
        shared_issues_dir
            .clone()
            .unwrap_or_else(|| store.local_issues_dir(project_id))
    };
    let outcome = drive(&client, input, &fallback, &runs_dir, issues_dir).await;
    if let (Ok(run_id), true) = (&outcome, args.open) {
        let link = pass_console::console_link(&server.base_url, &token, Some(*run_id));
        if !pass_console::open_in_browser(&link) {
            println!("no browser could be started; open this link:");
        }
        println!("console: {link}\nthe API keeps running for the console; Ctrl-C stops it");
        pass_server::shutdown_signal().await?;
    }
    let shutdown = server.shutdown().await;
    outcome?;
    shutdown.context("the in-process API did not shut down cleanly")?;
    eprintln!("done in {:.1}s", started.elapsed().as_secs_f64());
    Ok(())
}

/// Creates the run in the PRD's project (so a second demo of one PRD updates
/// the same backlog), runs both phases and prints the summary with file paths.
async fn drive(
    client: &PassClient,
    mut input: RunInput,
    fallback_name: &str,
    runs_dir: &Path,
    issues_dir: impl Fn(Uuid) -> PathBuf,
) -> anyhow::Result<Uuid> {
    let run = super::run::create_revision(client, &mut input, None, fallback_name).await?;
    let run_id = run.run_id;
    for workflow in [WorkflowName::Planner, WorkflowName::Implementation] {
        if workflow == WorkflowName::Implementation {
            // The demo runs end to end: the plan's defaults settle its questions.
            super::run::approve_for_sync(client, run_id).await?;
        }
        if let Err(error) = follow::run_phase(client, run_id, workflow).await {
            let log = latest_log(&runs_dir.join(run_id.to_string()).join("logs"));
            let hint = log
                .map(|p| format!("\nagent log: {}", p.display()))
                .unwrap_or_default();
            anyhow::bail!("{error:#}{hint}");
        }
    }
    let summary = follow::summarize(client, run_id).await?;
    print!("{}", summary.render());
    let run_dir = runs_dir.join(run_id.to_string());
    println!("files:");
    for artifact in &summary.detail.artifacts {
        println!(
            "  {}",
            run_dir
                .join("artifacts")
                .join(artifact.filename.as_str())
                .display()
        );
    }
    let issues_dir = issues_dir(run.project());
    if issues_dir.is_dir() {
        println!("  {}/ (one Markdown file per issue)", issues_dir.display());
    }
    println!(
        "open the summary: less {}",
        run_dir
            .join("artifacts")
            .join("architecture_pack_summary.md")
            .display()
    );
    Ok(run_id)
}

/// The most recently modified log file in `dir`, if any.
fn latest_log(dir: &Path) -> Option<PathBuf> {
    std::fs::read_dir(dir)
        .ok()?
        .filter_map(Result::ok)
        .filter_map(|entry| Some((entry.metadata().ok()?.modified().ok()?, entry.path())))
        .max_by_key(|(modified, _)| *modified)
        .map(|(_, path)| path)
}
