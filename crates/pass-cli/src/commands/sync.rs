//! `pass sync --run-id ID`: the implementation agent's sync, run by a user
//! against a server (no dispatch needed).

use anyhow::Context;
use pass_client::PassClient;
use pass_implementation::{AgentOptions, ImplementationConfig, SyncReport};
use secrecy::SecretString;
use uuid::Uuid;

#[derive(Debug, clap::Args)]
pub struct Args {
    /// The run whose issue plan to sync.
    #[arg(long = "run-id", env = "PASS_RUN_ID")]
    pub run_id: Uuid,
    /// Print the create / update / unchanged / close plan and write nothing.
    #[arg(long, env = "PASS_DRY_RUN")]
    pub dry_run: bool,
    /// Print the report (or the dry-run diff) as JSON.
    #[arg(long, env = "PASS_JSON")]
    pub json: bool,
    /// Overwrite issues people edited since the last sync.
    #[arg(long, env = "PASS_FORCE")]
    pub force: bool,
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
}

pub async fn run(args: Args) -> anyhow::Result<()> {
    let config = ImplementationConfig::from_lookup(|name| std::env::var(name).ok())?;
    eprintln!("{}", config.describe_target(args.run_id));
    let client = PassClient::new(&args.api, args.token.map(SecretString::from))?;
    let options = AgentOptions {
        dry_run: args.dry_run,
        json: args.json,
        force: args.force,
    };
    let report = pass_implementation::run_agent_with_client(&client, args.run_id, options, &config)
        .await
        .with_context(|| format!("syncing issues of run {} failed", args.run_id))?;
    print_report(&report, options)
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
