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
    /// Validate an architecture pack: contract schema and semantic checks.
    Validate(commands::validate::Args),
    /// Print a JSON Schema of the contract, list them, or write/check the schema files.
    Schema(commands::schema::Args),
}

fn main() -> ExitCode {
    let cli = Cli::parse();
    match cli.command {
        Command::Validate(args) => commands::validate::run(args),
        Command::Schema(args) => commands::schema::run(args),
    }
}
