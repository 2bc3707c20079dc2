//! `pass run PRD`: the whole pipeline against a running PASS server.

use std::path::PathBuf;

use anyhow::Context;
use pass_client::PassClient;
use pass_contracts::{OrgConstraints, RunInput, Text, WorkflowName};
use secrecy::SecretString;

use super::follow;

#[derive(Debug, clap::Args)]
pub struct Args {
    /// The PRD file (Markdown or plain text).
    pub prd: PathBuf,
    /// Org constraints YAML for this run.
    #[arg(long, value_name = "FILE", env = "PASS_ORG_FILE")]
    pub org: Option<PathBuf>,
    /// Base URL of the PASS API.
    #[arg(
        long = "api",
        env = "PASS_API_BASE_URL",
        default_value = "http://127.0.0.1:3001"
    )]
    pub api: String,
    /// Bearer token for the API.
    #[arg(long, env = "PASS_API_TOKEN", hide_env_values = true)]
    pub token: Option<String>,
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
    let input = read_input(&args.prd, args.org.as_deref())?;
    let client = PassClient::new(&args.api, args.token.map(SecretString::from))?;
    let run = client
        .create_run(&input)
        .await
        .context("could not create the run")?;
    eprintln!("created run {}", run.run_id);
    follow::run_phase(&client, run.run_id, WorkflowName::Planner).await?;
    if args.sync_issues {
        follow::run_phase(&client, run.run_id, WorkflowName::Implementation).await?;
    }
    let summary = follow::summarize(&client, run.run_id).await?;
    print!("{}", summary.render());
    Ok(())
}
