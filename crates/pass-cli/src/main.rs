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
    /// Zero configuration: plan a PRD and sync its issues locally, with an in-process API.
    Demo(commands::demo::Args),
    /// Serve the PASS API.
    Serve(commands::serve::Args),
    /// Create a run on a PASS server, plan it (and sync issues), and print the result.
    Run(commands::run::Args),
    /// List runs on a PASS server, or show one.
    Runs(commands::runs::Args),
    /// List projects (one backlog each) on a PASS server, or show one.
    Projects(commands::projects::Args),
    /// List a revision's questions (clarifications and open questions).
    Questions(commands::coordination::QuestionsArgs),
    /// Answer a question; the next revision is planned with the answer.
    Answer(commands::coordination::AnswerArgs),
    /// Approve a revision's plan so its issues may be synced.
    Approve(commands::coordination::ApproveArgs),
    /// Ask for a change to a project's plan; the next revision re-plans what it affects.
    Refine(commands::coordination::RefineArgs),
    /// Write a run as one self-contained HTML file (diagrams inline, no script).
    Export(commands::export::Args),
    /// Plan a PRD without a server, writing the artifacts into a folder.
    Plan(commands::plan::Args),
    /// Sync a run's issue plan into issues (what phase2-implementation does).
    Sync(commands::sync::Args),
    /// Validate an architecture pack: contract schema and semantic checks.
    Validate(commands::validate::Args),
    /// Print a JSON Schema of the contract, list them, or write/check the schema files.
    Schema(commands::schema::Args),
    /// Run an agent (the local backend of `pass demo` starts these).
    #[command(hide = true)]
    Agent(commands::agent::Args),
}

fn main() -> ExitCode {
    // A .env in the working directory fills in what the environment lacks;
    // flags win over both.
    let _ = dotenvy::dotenv();
    let cli = Cli::parse();
    match cli.command {
        Command::Validate(args) => commands::validate::run(args),
        Command::Schema(args) => commands::schema::run(args),
        Command::Demo(args) => block_on(commands::demo::run(args)),
        Command::Serve(args) => block_on(commands::serve::run(args)),
        Command::Run(args) => block_on(commands::run::run(args)),
        Command::Plan(args) => block_on(commands::plan::run(args)),
        Command::Export(args) => block_on(commands::export::run(args)),
        Command::Sync(args) => block_on(commands::sync::run(args)),
        Command::Agent(args) => block_on(commands::agent::run(args)),
        Command::Runs(args) => block_on(commands::runs::run(args)),
        Command::Projects(args) => block_on(commands::projects::run(args)),
        Command::Questions(args) => block_on(commands::coordination::questions(args)),
        Command::Answer(args) => block_on(commands::coordination::answer(args)),
        Command::Approve(args) => block_on(commands::coordination::approve(args)),
        Command::Refine(args) => block_on(commands::coordination::refine(args)),
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
