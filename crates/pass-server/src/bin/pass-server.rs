//! A standalone server process for tests that must kill it (`kill -9`) and for
//! benchmarks; `pass serve` is the user-facing entry point. Reads the same
//! environment and `.env` as `pass serve`; `--bind` and `--runs-dir` win.
//! Prints `listening on <addr>` on stdout once it accepts connections.

use std::io::Write;
use std::net::SocketAddr;
use std::path::PathBuf;
use std::process::ExitCode;

use clap::Parser;
use pass_server::{
    LogFormat, ServerConfig, env_lookup_with_dotenv, init_tracing, shutdown_signal, start,
};

/// The PASS API server alone (for tests and benchmarks; people use `pass serve`).
#[derive(Debug, Parser)]
#[command(version)]
struct Args {
    /// Address to listen on (overrides PASS_BIND).
    #[arg(long)]
    bind: Option<SocketAddr>,
    /// Runs folder (overrides RUNS_DIR).
    #[arg(long)]
    runs_dir: Option<PathBuf>,
}

#[tokio::main]
async fn main() -> ExitCode {
    let args = Args::parse();
    match run(args).await {
        Ok(()) => ExitCode::SUCCESS,
        Err(error) => {
            eprintln!("pass-server: {error}");
            ExitCode::FAILURE
        }
    }
}

async fn run(args: Args) -> Result<(), Box<dyn std::error::Error>> {
    let lookup = env_lookup_with_dotenv(&std::env::current_dir()?)?;
    init_tracing(
        LogFormat::from_lookup(&lookup),
        lookup("RUST_LOG").as_deref(),
    );
    let mut config = ServerConfig::from_lookup(&lookup)?;
    if let Some(bind) = args.bind {
        config.bind = bind;
    }
    if let Some(runs_dir) = args.runs_dir {
        config.runs_dir = runs_dir;
    }
    let server = start(config).await?;
    println!("listening on {}", server.local_addr);
    std::io::stdout().flush()?;
    shutdown_signal().await?;
    server.shutdown().await?;
    Ok(())
}
