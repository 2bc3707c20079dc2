//! `pass`: the user-facing command. Parses arguments and hands each
//! subcommand to the library that does the work.

mod commands;
mod origins;

use std::process::ExitCode;

use clap::{CommandFactory, Parser, Subcommand};

#[derive(Debug, Parser)]
#[command(
    name = "pass",
    version,
    about = "PASS: from a PRD to a validated architecture pack and tracked issues",
    after_help = "Examples:
  pass demo                              plan the bundled PRD offline and sync its issues locally
  pass plan prd.md --out plan/           plan a PRD without a server
  cat prd.md | pass run - --sync-issues  plan and sync on the server in PASS_API_BASE_URL
  pass runs get 3f2a architecture_pack_summary.md -o summary.md
  pass doctor                            what is configured, and where it came from

Configuration: the environment, then the nearest .env file (the working
directory or a parent); flags win over both."
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
    /// List runs on a PASS server, show one, or fetch its artifacts.
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
    /// Validate an architecture pack and/or an org constraints file.
    Validate(commands::validate::Args),
    /// Print a JSON Schema of the contract, list them, or write/check the schema files.
    Schema(commands::schema::Args),
    /// Show the resolved configuration and check what it reaches: the API, the model, GitHub.
    Doctor(commands::doctor::Args),
    /// Serve the Model Context Protocol over stdio, for editors and agents.
    Mcp(commands::mcp::Args),
    /// Print a shell completion script.
    #[command(after_help = "Examples:
  pass completions bash > ~/.local/share/bash-completion/completions/pass
  pass completions zsh > \"${fpath[1]}/_pass\"
  pass completions fish > ~/.config/fish/completions/pass.fish")]
    Completions {
        /// The shell to complete for.
        shell: clap_complete::Shell,
    },
    /// Run an agent (the local backend of `pass demo` starts these).
    #[command(hide = true)]
    Agent(commands::agent::Args),
}

fn main() -> ExitCode {
    // The environment wins; the nearest .env fills in what it lacks, and
    // `pass doctor` reports which of the two each value came from.
    let origins = origins::Origins::load();
    let cli = Cli::parse();
    match cli.command {
        Command::Validate(args) => commands::validate::run(args),
        Command::Schema(args) => commands::schema::run(args),
        Command::Completions { shell } => {
            clap_complete::generate(shell, &mut Cli::command(), "pass", &mut std::io::stdout());
            ExitCode::SUCCESS
        }
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
        Command::Doctor(args) => block_on(commands::doctor::run(args, &origins)),
        Command::Mcp(args) => block_on(commands::mcp::run(args)),
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
            eprint!("{}", error_lines(&error));
            ExitCode::FAILURE
        }
    }
}

/// An error as one line per cause, outermost first; a cause whose text an
/// earlier line already contains is not printed again.
fn error_lines(error: &anyhow::Error) -> String {
    let mut shown: Vec<String> = Vec::new();
    for cause in error.chain() {
        let text = cause.to_string();
        let text = text.trim();
        if text.is_empty() || shown.iter().any(|line| line.contains(text)) {
            continue;
        }
        shown.push(text.to_owned());
    }
    let mut out = String::new();
    for (i, line) in shown.iter().enumerate() {
        let prefix = if i == 0 { "error: " } else { "  caused by: " };
        out.push_str(prefix);
        out.push_str(line);
        out.push('\n');
    }
    out
}

#[cfg(test)]
mod tests {
    use super::*;

    fn all_args(command: &clap::Command) -> Vec<(String, clap::Arg)> {
        let mut out: Vec<(String, clap::Arg)> = command
            .get_arguments()
            .map(|a| (command.get_name().to_owned(), a.clone()))
            .collect();
        for sub in command.get_subcommands() {
            out.extend(all_args(sub));
        }
        out
    }

    #[test]
    fn every_environment_variable_a_flag_reads_is_documented() {
        let root = std::path::Path::new(env!("CARGO_MANIFEST_DIR")).join("../..");
        let readme = fs_err::read_to_string(root.join("README.md")).unwrap();
        let example = fs_err::read_to_string(root.join(".env.example")).unwrap();
        let mut names: Vec<String> = all_args(&Cli::command())
            .iter()
            .filter_map(|(_, arg)| arg.get_env().map(|e| e.to_string_lossy().into_owned()))
            .collect();
        names.sort();
        names.dedup();
        assert!(names.len() > 10, "{names:?}");
        for name in names {
            assert!(
                readme.contains(&format!("`{name}`")),
                "{name} not in README.md"
            );
            assert!(
                example.contains(&format!("{name}=")),
                "{name} not in .env.example"
            );
        }
    }

    #[test]
    fn force_is_never_read_from_the_environment() {
        for (command, arg) in all_args(&Cli::command()) {
            if arg.get_id() == "force" {
                assert!(arg.get_env().is_none(), "pass {command} --force");
            }
        }
    }

    #[test]
    fn each_cause_is_printed_once_on_its_own_line() {
        let error = anyhow::anyhow!("connection refused")
            .context("PASS API GET /runs could not be reached: connection refused")
            .context("could not list runs");
        assert_eq!(
            error_lines(&error),
            "error: could not list runs\n  caused by: PASS API GET /runs could not be reached: connection refused\n"
        );
    }
}
