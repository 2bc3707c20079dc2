//! `pass validate FILE`: exit 0 when valid, 1 with every problem, 2 when the
//! file cannot be read or is not JSON.

use std::path::PathBuf;
use std::process::ExitCode;

use pass_contracts::{PackError, parse_pack};

#[derive(Debug, clap::Args)]
pub struct Args {
    /// The architecture pack JSON file to check.
    pub file: PathBuf,
}

pub fn run(args: Args) -> ExitCode {
    let text = match fs_err::read_to_string(&args.file) {
        Ok(text) => text,
        Err(error) => {
            eprintln!("error: {error}");
            return ExitCode::from(2);
        }
    };
    let shown = args.file.display();
    match parse_pack(&text) {
        Ok(pack) => {
            println!(
                "{shown}: valid architecture pack \"{}\": {} requirements, {} components, {} planned issues",
                pack.architecture.name,
                pack.requirements.len(),
                pack.architecture.components.len(),
                pack.implementation.github_issue_plan.len()
            );
            ExitCode::SUCCESS
        }
        Err(PackError::Syntax {
            line,
            column,
            message,
        }) => {
            eprintln!("{shown}:{line}:{column}: not valid JSON: {message}");
            ExitCode::from(2)
        }
        Err(PackError::Invalid(problems)) => {
            for problem in &problems {
                let path = if problem.path.is_empty() {
                    "(document)"
                } else {
                    &problem.path
                };
                println!("{shown}: {path}: {}", problem.message);
            }
            eprintln!(
                "{shown}: invalid architecture pack: {} problem(s)",
                problems.len()
            );
            ExitCode::from(1)
        }
    }
}
