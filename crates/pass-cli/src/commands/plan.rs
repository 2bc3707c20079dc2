//! `pass plan PRD`: the planner pipeline without a server, into a folder.

use std::path::PathBuf;

use anyhow::Context;
use pass_planner::{PlannerConfig, Provider};

#[derive(Debug, clap::Args)]
pub struct Args {
    /// The PRD file (Markdown or plain text).
    pub prd: PathBuf,
    /// Org constraints YAML.
    #[arg(long, value_name = "FILE", env = "PASS_ORG_FILE")]
    pub org: Option<PathBuf>,
    /// Where the artifacts go.
    #[arg(
        long,
        value_name = "DIR",
        env = "PASS_OUT_DIR",
        default_value = "pass-out"
    )]
    pub out: PathBuf,
    /// The model provider (default: PASS_LLM_PROVIDER, else anthropic with a key, else offline).
    #[arg(long, env = "PASS_LLM_PROVIDER", value_parser = ["anthropic", "openai", "offline"])]
    pub provider: Option<String>,
}

pub async fn run(args: Args) -> anyhow::Result<()> {
    let input = super::run::read_input(&args.prd, args.org.as_deref())?;
    let mut config = PlannerConfig::from_lookup(|name| std::env::var(name).ok())?;
    if let Some(provider) = args.provider.as_deref().and_then(Provider::parse) {
        config = config.with_provider(provider)?;
    }
    eprintln!("{}", config.describe_provider());
    let outcome = pass_planner::plan_to_dir(
        input.prd_text.as_str(),
        input.org_constraints_yaml.as_ref().map(|t| t.as_str()),
        &args.out,
        &config,
    )
    .await
    .with_context(|| format!("planning {} failed", args.prd.display()))?;
    let pack = &outcome.pack;
    println!("architecture: {}", pack.architecture.name);
    println!(
        "requirements: {}  components: {}  planned issues: {}",
        pack.requirements.len(),
        pack.architecture.components.len(),
        pack.implementation.github_issue_plan.len()
    );
    for path in [
        &outcome.pack_path,
        &outcome.summary_path,
        &outcome.diagram_path,
        &outcome.usage_path,
    ] {
        println!("wrote {}", path.display());
    }
    Ok(())
}
