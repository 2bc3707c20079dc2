//! `pass run PRD`: the whole pipeline against a running PASS server.

use std::path::PathBuf;

use anyhow::Context;
use pass_client::PassClient;
use pass_contracts::{OrgConstraints, RunDetail, RunInput, Text, WorkflowName};

use super::api::ApiArgs;
use super::{follow, projects};

#[derive(Debug, clap::Args)]
pub struct Args {
    /// The PRD file (Markdown or plain text).
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
}

/// Reads the PRD and org constraints, checking the YAML locally so a typo fails
/// before a run is created.
pub fn read_input(
    prd: &std::path::Path,
    org: Option<&std::path::Path>,
) -> anyhow::Result<RunInput> {
    let prd_text = fs_err::read_to_string(prd)?;
    let prd_text = Text::new(prd_text)
        .map_err(|_| anyhow::anyhow!("{} is empty: a PRD needs some text", prd.display()))?;
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
    let fallback = args
        .prd
        .file_stem()
        .map(|s| s.to_string_lossy().into_owned())
        .unwrap_or_else(|| "PRD".to_owned());
    let run = create_revision(&client, &mut input, args.project.as_deref(), &fallback).await?;
    follow::run_phase(&client, run.run_id, WorkflowName::Planner).await?;
    if args.sync_issues {
        approve_for_sync(&client, run.run_id).await?;
        follow::run_phase(&client, run.run_id, WorkflowName::Implementation).await?;
    }
    let summary = follow::summarize(&client, run.run_id).await?;
    print!("{}", summary.render());
    Ok(())
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
