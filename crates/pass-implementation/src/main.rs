//! `implementation --run-id <uuid> [--dry-run] [--json] [--force]`.

use std::process::ExitCode;

use clap::Parser;
use pass_implementation::{AgentOptions, ImplementationConfig, run_agent};
use uuid::Uuid;

#[derive(Debug, Parser)]
#[command(
    name = "implementation",
    version,
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
    /// Overwrite issues people edited since the last sync. A flag only (no
    /// environment variable), so a forgotten shell variable never overwrites
    /// people's work.
    #[arg(long)]
    force: bool,
}

#[tokio::main]
async fn main() -> ExitCode {
    // The nearest .env (this folder or a parent) fills in what the
    // environment lacks, as for `pass` and `planner`.
    let _ = dotenvy::dotenv();
    init_logging();
    let args = Args::parse();
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

/// Logs on stderr: `PASS_LOG_FORMAT=json` for one JSON object per line (as
/// `pass serve` writes them), otherwise text, coloured only on a terminal;
/// verbosity from `RUST_LOG` (default `info`).
fn init_logging() {
    let filter = tracing_subscriber::EnvFilter::try_from_default_env()
        .unwrap_or_else(|_| tracing_subscriber::EnvFilter::new("info"));
    let builder = tracing_subscriber::fmt()
        .with_env_filter(filter)
        .with_ansi(std::io::IsTerminal::is_terminal(&std::io::stderr()))
        .with_writer(std::io::stderr);
    let json = pass_contracts::env::setting(&|name| std::env::var(name).ok(), "PASS_LOG_FORMAT")
        .is_some_and(|format| format.eq_ignore_ascii_case("json"));
    if json {
        builder.json().flatten_event(true).init();
    } else {
        builder.init();
    }
}

#[cfg(test)]
mod tests {
    use super::*;
    use clap::CommandFactory;

    #[test]
    fn version_is_printed_and_force_is_a_flag_only() {
        let error = Args::try_parse_from(["implementation", "--version"]).unwrap_err();
        assert_eq!(error.kind(), clap::error::ErrorKind::DisplayVersion);
        assert!(error.to_string().contains(env!("CARGO_PKG_VERSION")));
        let command = Args::command();
        let force = command
            .get_arguments()
            .find(|a| a.get_id() == "force")
            .unwrap();
        assert!(force.get_env().is_none());
    }
}
