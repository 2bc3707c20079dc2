//! `implementation --run-id <uuid> [--dry-run] [--json] [--force]`.

use std::process::ExitCode;

use clap::Parser;
use pass_implementation::{AgentOptions, ImplementationConfig, run_agent};
use uuid::Uuid;

#[derive(Debug, Parser)]
#[command(
    name = "implementation",
    about = "Sync a run's issue plan into GitHub issues or local Markdown issues"
)]
struct Args {
    /// The run whose architecture_pack to sync.
    #[arg(long)]
    run_id: Uuid,
    /// Print the create / update / unchanged / close plan and write nothing.
    #[arg(long)]
    dry_run: bool,
    /// Print the report (or the dry-run diff) as JSON.
    #[arg(long)]
    json: bool,
    /// Overwrite issues people edited since the last sync.
    #[arg(long)]
    force: bool,
}

#[tokio::main]
async fn main() -> ExitCode {
    let args = Args::parse();
    let _ = dotenvy::dotenv();
    tracing_subscriber::fmt()
        .with_writer(std::io::stderr)
        .with_env_filter(
            tracing_subscriber::EnvFilter::try_from_default_env()
                .unwrap_or_else(|_| tracing_subscriber::EnvFilter::new("info")),
        )
        .init();
    match run(args).await {
        Ok(code) => code,
        Err(error) => {
            eprintln!("implementation: {error:#}");
            ExitCode::FAILURE
        }
    }
}

async fn run(args: Args) -> anyhow::Result<ExitCode> {
    let config = ImplementationConfig::from_env()?;
    eprintln!("{}", config.describe_target());
    let options = AgentOptions {
        dry_run: args.dry_run,
        json: args.json,
        force: args.force,
    };
    let report = run_agent(args.run_id, options, &config).await?;
    if args.json {
        println!("{}", serde_json::to_string_pretty(&report)?);
    } else {
        print!("{}", report.text());
    }
    Ok(if report.has_failures() {
        ExitCode::FAILURE
    } else {
        ExitCode::SUCCESS
    })
}
