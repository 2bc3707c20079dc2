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
    /// After planning, also sync the issue plan (phase2-implementation).
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
        follow::run_phase(&client, run.run_id, WorkflowName::Implementation).await?;
    }
    let summary = follow::summarize(&client, run.run_id).await?;
    print!("{}", summary.render());
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
