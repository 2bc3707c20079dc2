//! `pass run PRD`: the whole pipeline against a running PASS server.

use std::path::PathBuf;

use anyhow::Context;
use pass_client::PassClient;
use pass_contracts::{OrgConstraints, RunDetail, RunInput, Text, WorkflowName};

use super::api::ApiArgs;
use super::{follow, projects};

#[derive(Debug, clap::Args)]
#[command(after_help = "Examples:
  pass run prd.md --sync-issues
  pass run prd.md --project \"Shelf board\" --org org.yml --api https://pass.example.com
  cat prd.md | pass run - --json > run.json")]
pub struct Args {
    /// The PRD file (Markdown or plain text); `-` reads standard input.
    pub prd: PathBuf,
    /// Org constraints YAML for this run.
    #[arg(long, value_name = "FILE", env = "PASS_ORG_FILE")]
    pub org: Option<PathBuf>,
    #[command(flatten)]
    pub api: ApiArgs,
    /// The project (one product, one backlog) this run is a revision of,
    /// created on first use; by default the project named after the PRD's title.
    #[arg(long, value_name = "NAME", env = "PASS_PROJECT")]
    pub project: Option<String>,
    /// After planning, approve the plan and sync its issue plan
    /// (phase2-implementation). Blocking questions the plan has a default
    /// for are settled with it (and listed); one without a default stops it.
    #[arg(long, env = "PASS_SYNC_ISSUES")]
    pub sync_issues: bool,
    /// Print one JSON document (run, artifacts, pack figures, model) instead of the summary.
    #[arg(long, env = "PASS_JSON")]
    pub json: bool,
    /// Fail (exit 1) when the PRD yields no requirements, instead of warning.
    #[arg(long)]
    pub strict: bool,
}

/// Reads the PRD (`-` for standard input) and org constraints, checking the
/// YAML locally so a typo fails before a run is created.
pub fn read_input(
    prd: &std::path::Path,
    org: Option<&std::path::Path>,
) -> anyhow::Result<RunInput> {
    let prd_text = if prd == std::path::Path::new("-") {
        let mut text = String::new();
        std::io::Read::read_to_string(&mut std::io::stdin(), &mut text)
            .context("could not read the PRD from standard input")?;
        text
    } else {
        fs_err::read_to_string(prd)?
    };
    let shown = if prd == std::path::Path::new("-") {
        "standard input".to_owned()
    } else {
        prd.display().to_string()
    };
    let prd_text = Text::new(prd_text)
        .map_err(|_| anyhow::anyhow!("{shown} is empty: a PRD needs some text"))?;
    let org_constraints_yaml = read_org(org)?;
    Ok(RunInput {
        prd_text,
        org_constraints_yaml,
        requested_by: None,
        source: None,
        project_id: None,
        refinement: None,
    })
}

/// The name of a project when the PRD has no title: its file's name, or
/// `fallback` for standard input.
pub fn prd_name(prd: &std::path::Path, fallback: &str) -> String {
    match prd.file_stem() {
        Some(stem) if prd != std::path::Path::new("-") => stem.to_string_lossy().into_owned(),
        _ => fallback.to_owned(),
    }
}

/// Reads and checks an org constraints file; a blank file means all defaults.
pub fn read_org(org: Option<&std::path::Path>) -> anyhow::Result<Option<Text>> {
    let Some(path) = org else { return Ok(None) };
    let yaml = fs_err::read_to_string(path)?;
    OrgConstraints::from_yaml(&yaml).with_context(|| format!("in {}", path.display()))?;
    Ok(Text::new(yaml).ok())
}

pub async fn run(args: Args) -> anyhow::Result<()> {
    let mut input = read_input(&args.prd, args.org.as_deref())?;
    let client = args.api.client()?;
    let fallback = prd_name(&args.prd, "PRD");
    let run = match create_revision(&client, &mut input, args.project.as_deref(), &fallback).await {
        Ok(run) => run,
        Err(error) => return Err(explain_too_large(&client, &input, error).await),
    };
    follow::run_phase(&client, run.run_id, WorkflowName::Planner).await?;
    if args.sync_issues {
        approve_for_sync(&client, run.run_id).await?;
        follow::run_phase(&client, run.run_id, WorkflowName::Implementation).await?;
    }
    let summary = follow::summarize(&client, run.run_id).await?;
    if args.json {
        super::report::print_json(&summary.json())?;
    } else {
        print!("{}", summary.render());
    }
    if let Some(pack) = &summary.pack {
        super::report::check_requirements(pack, args.strict)?;
    }
    Ok(())
}

/// A run refused with 413 says how large it was, what the server accepts
/// (its `/healthz` publishes the limit) and which variable raises it.
pub async fn explain_too_large(
    client: &PassClient,
    input: &RunInput,
    error: anyhow::Error,
) -> anyhow::Error {
    let too_large = error
        .chain()
        .filter_map(|e| e.downcast_ref::<pass_client::ClientError>())
        .any(|e| e.status() == Some(413));
    if !too_large {
        return error;
    }
    let size = serde_json::to_vec(input).map_or(0, |body| body.len());
    let limit = match client.health().await {
        Ok(health) => health["limits"]["run_body_bytes"].as_u64(),
        Err(_) => None,
    };
    let limit = limit.map_or_else(
        || "its limit".to_owned(),
        |limit| format!("its limit of {}", bytes(limit)),
    );
    anyhow::anyhow!(
        "the run is too large for the server: the PRD and org constraints make a request of {}, over {limit}; raise PASS_MAX_RUN_BODY_BYTES where the server runs, or shorten the PRD",
        bytes(size as u64)
    )
}

/// A byte count for people: `1.5 MiB (1572864 bytes)`.
pub fn bytes(count: u64) -> String {
    const KIB: f64 = 1024.0;
    let value = count as f64;
    if value >= KIB * KIB {
        format!("{:.1} MiB ({count} bytes)", value / (KIB * KIB))
    } else if value >= KIB {
        format!("{:.1} KiB ({count} bytes)", value / KIB)
    } else {
        format!("{count} bytes")
    }
}

/// Approves a plan the user asked to sync. Open blocking questions the plan
/// has a default for are settled with it, and listed so the user sees what
/// was assumed; a blocking question without a default stops the sync.
pub async fn approve_for_sync(client: &PassClient, run_id: uuid::Uuid) -> anyhow::Result<()> {
    let questions = client.clarifications(run_id).await?;
    let blocking: Vec<_> = questions
        .iter()
        .filter(|q| q.is_open_and_blocking())
        .collect();
    if blocking.iter().any(|q| q.default_assumption.is_none()) {
        super::coordination::print_questions(&questions);
        anyhow::bail!(
            "the plan has open blocking questions without a default, so its issues were not synced: answer them (`pass answer {run_id} ID TEXT`), then sync"
        );
    }
    for question in &blocking {
        eprintln!(
            "{}: accepted the plan's default: {}",
            question.id,
            question.default_assumption.as_deref().unwrap_or_default()
        );
    }
    let request = pass_contracts::coordination::ApproveRequest {
        accept_defaults: !blocking.is_empty(),
        approved_by: None,
    };
    let run = client
        .approve(run_id, &request)
        .await
        .context("could not approve the plan")?;
    eprintln!("revision {} approved", run.revision_number());
    Ok(())
}

/// Creates the run as the next revision of its project (see
/// [`projects::project_for_run`]) and says which.
pub async fn create_revision(
    client: &PassClient,
    input: &mut RunInput,
    project: Option<&str>,
    fallback_name: &str,
) -> anyhow::Result<RunDetail> {
    let (project, created) =
        projects::project_for_run(client, project, &input.prd_text, fallback_name).await?;
    input.project_id = Some(project.project_id);
    let run = client
        .create_run(input)
        .await
        .context("could not create the run")?;
    eprintln!(
        "run {}: revision {} of project {:?}{}",
        run.run_id,
        run.revision_number(),
        project.name.as_str(),
        if created { " (new project)" } else { "" }
    );
    Ok(run)
}
