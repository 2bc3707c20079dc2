//! `pass plan PRD`: the planner pipeline without a server, into a folder.

use std::path::PathBuf;

use anyhow::Context;
use pass_planner::{PlannerConfig, Provider};
use serde_json::json;

use super::report;

#[derive(Debug, clap::Args)]
#[command(after_help = "Examples:
  pass plan prd.md                         offline (or Anthropic when ANTHROPIC_API_KEY is set)
  pass plan prd.md --provider openai --out plan/
  cat prd.md | pass plan - --json")]
pub struct Args {
    /// The PRD file (Markdown or plain text); `-` reads standard input.
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
    /// Print one JSON document (pack figures, model, files) instead of lines.
    #[arg(long, env = "PASS_JSON")]
    pub json: bool,
    /// Fail (exit 1) when the PRD yields no requirements, instead of warning.
    #[arg(long)]
    pub strict: bool,
}

pub async fn run(args: Args) -> anyhow::Result<()> {
    let input = super::run::read_input(&args.prd, args.org.as_deref())?;
    let mut config = PlannerConfig::from_lookup(|name| std::env::var(name).ok())?;
    if let Some(provider) = args.provider.as_deref().and_then(Provider::parse) {
        config = config.with_provider(provider)?;
    }
    eprintln!("{}", config.describe_provider());
    let shown = if args.prd == std::path::Path::new("-") {
        "the PRD from standard input".to_owned()
    } else {
        args.prd.display().to_string()
    };
    let outcome = pass_planner::plan_to_dir(
        input.prd_text.as_str(),
        input.org_constraints_yaml.as_ref().map(|t| t.as_str()),
        &args.out,
        &config,
    )
    .await
    .with_context(|| format!("planning {shown} failed"))?;
    let pack = &outcome.pack;
    let files = [
        &outcome.pack_path,
        &outcome.summary_path,
        &outcome.diagram_path,
        &outcome.usage_path,
    ];
    if args.json {
        report::print_json(&json!({
            "model": {"provider": config.provider.as_str(), "model": config.model_name()},
            "pack": report::pack_json(pack),
            "files": files.iter().map(|p| p.display().to_string()).collect::<Vec<_>>(),
        }))?;
    } else {
        println!(
            "planned by: {} (model {})",
            config.provider,
            config.model_name()
        );
        println!("architecture: {}", pack.architecture.name);
        println!(
            "requirements: {}  components: {}  planned issues: {}",
            pack.requirements.len(),
            pack.architecture.components.len(),
            pack.implementation.github_issue_plan.len()
        );
        print!("{}", report::pack_lines(pack));
        for path in files {
            println!("wrote {}", path.display());
        }
    }
    report::check_requirements(pack, args.strict)
}
