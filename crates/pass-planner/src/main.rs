//! `planner --run-id <uuid>`: the planner agent GitHub Actions and the local
//! backend run. Thin: parse arguments, load configuration, call the library.

use clap::Parser;
use uuid::Uuid;

#[derive(Debug, Parser)]
#[command(
    name = "planner",
    version,
    about = "PASS planner agent: plans one run and reports to the PASS API"
)]
struct Args {
    /// The run to plan (also accepted as --run-id=<uuid>).
    #[arg(long = "run-id")]
    run_id: Uuid,
}

#[tokio::main]
async fn main() -> std::process::ExitCode {
    // The nearest .env (this folder or a parent) fills in what the
    // environment lacks, as for `pass` and `implementation`.
    let _ = dotenvy::dotenv();
    init_logging();
    let args = Args::parse();
    // The environment is read once, here; everything below gets typed values.
    let env: std::collections::BTreeMap<String, String> = std::env::vars().collect();
    let lookup = |name: &str| env.get(name).cloned();
    let config = match pass_planner::PlannerConfig::from_lookup(lookup) {
        Ok(config) => config,
        Err(error) => {
            eprintln!("planner: {error}");
            let endpoint = pass_planner::agent::ApiEndpoint::from_lookup(lookup);
            if let Err(report) =
                pass_planner::agent::report_startup_failure(args.run_id, &endpoint, &error).await
            {
                eprintln!(
                    "planner: could not mark run {} failed: {report}",
                    args.run_id
                );
            }
            return std::process::ExitCode::from(2);
        }
    };
    eprintln!("{}", config.describe_provider());
    match pass_planner::run_agent(args.run_id, &config).await {
        Ok(()) => std::process::ExitCode::SUCCESS,
        Err(error) => {
            eprintln!("planner: run {} failed: {error}", args.run_id);
            std::process::ExitCode::FAILURE
        }
    }
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

    #[test]
    fn run_id_is_accepted_in_both_spellings() {
        let id = "7f1d2c3e-1111-4222-8333-944455556666";
        for argv in [
            vec!["planner", "--run-id", id],
            vec!["planner", &format!("--run-id={id}")],
        ] {
            let args = Args::try_parse_from(argv).unwrap();
            assert_eq!(args.run_id.to_string(), id);
        }
        assert!(Args::try_parse_from(["planner", "--run-id", "nope"]).is_err());
        assert!(Args::try_parse_from(["planner"]).is_err());
    }

    #[test]
    fn version_is_printed() {
        let error = Args::try_parse_from(["planner", "--version"]).unwrap_err();
        assert_eq!(error.kind(), clap::error::ErrorKind::DisplayVersion);
        assert!(
            error.to_string().contains(env!("CARGO_PKG_VERSION")),
            "{error}"
        );
    }
}
