//! `pass`: the user-facing command. Parses arguments and hands each
//! subcommand to the library that does the work.

mod commands;

use std::process::ExitCode;

use clap::{Parser, Subcommand};

#[derive(Debug, Parser)]
#[command(
    name = "pass",
    version,
    about = "PASS: from a PRD to a validated architecture pack and tracked issues"
)]
struct Cli {
    #[command(subcommand)]
    command: Command,
}

#[derive(Debug, Subcommand)]
enum Command {
    /// Create a run on a PASS server, plan it (and sync issues), and print the result.
    Run(commands::run::Args),
    /// List runs on a PASS server, or show one.
    Runs(commands::runs::Args),
    /// Validate an architecture pack: contract schema and semantic checks.
    Validate(commands::validate::Args),
    /// Print a JSON Schema of the contract, list them, or write/check the schema files.
    Schema(commands::schema::Args),
}

fn main() -> ExitCode {
    // A .env in the working directory fills in what the environment lacks;
    // flags win over both.
    let _ = dotenvy::dotenv();
    let cli = Cli::parse();
    match cli.command {
        Command::Validate(args) => commands::validate::run(args),
        Command::Schema(args) => commands::schema::run(args),
        Command::Run(args) => block_on(commands::run::run(args)),
        Command::Runs(args) => block_on(commands::runs::run(args)),
    }
}

/// Runs an async command on a fresh runtime and turns its error into exit 1.
fn block_on(future: impl std::future::Future<Output = anyhow::Result<()>>) -> ExitCode {
    let runtime = match tokio::runtime::Builder::new_multi_thread()
        .enable_all()
        .build()
    {
        Ok(runtime) => runtime,
        Err(error) => {
            eprintln!("error: could not start the async runtime: {error}");
            return ExitCode::FAILURE;
        }
    };
    match runtime.block_on(future) {
        Ok(()) => ExitCode::SUCCESS,
        Err(error) => {
            eprintln!("error: {error:#}");
            ExitCode::FAILURE
        }
    }
}
