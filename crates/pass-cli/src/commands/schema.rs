//! `pass schema [NAME]`, `pass schema --write DIR`, `pass schema --check DIR`.

use std::path::PathBuf;
use std::process::ExitCode;

use pass_contracts::schema::{SCHEMA_NAMES, schema_file_name, schema_file_text};

#[derive(Debug, clap::Args)]
pub struct Args {
    /// The schema to print; without it, the names are listed.
    pub name: Option<String>,
    /// Write every schema file into this folder (the repository keeps them in `schemas/`).
    #[arg(long, value_name = "DIR", conflicts_with_all = ["name", "check"])]
    pub write: Option<PathBuf>,
    /// Exit 1 when a schema file in this folder differs from the types.
    #[arg(long, value_name = "DIR", conflicts_with = "name")]
    pub check: Option<PathBuf>,
}

pub fn run(args: Args) -> ExitCode {
    if let Some(dir) = args.write {
        return write_all(&dir);
    }
    if let Some(dir) = args.check {
        return check_all(&dir);
    }
    match args.name {
        None => {
            for name in SCHEMA_NAMES {
                println!("{name}");
            }
            ExitCode::SUCCESS
        }
        Some(name) => match schema_file_text(&name) {
            Some(text) => {
                print!("{text}");
                ExitCode::SUCCESS
            }
            None => {
                eprintln!(
                    "error: no schema named {name:?}; known: {}",
                    SCHEMA_NAMES.join(", ")
                );
                ExitCode::from(2)
            }
        },
    }
}

fn write_all(dir: &std::path::Path) -> ExitCode {
    if let Err(error) = fs_err::create_dir_all(dir) {
        eprintln!("error: {error}");
        return ExitCode::from(2);
    }
    for name in SCHEMA_NAMES {
        let Some(text) = schema_file_text(name) else {
            continue;
        };
        let path = dir.join(schema_file_name(name));
        if let Err(error) = fs_err::write(&path, text) {
            eprintln!("error: {error}");
            return ExitCode::from(2);
        }
        println!("wrote {}", path.display());
    }
    ExitCode::SUCCESS
}

fn check_all(dir: &std::path::Path) -> ExitCode {
    let mut stale = 0;
    for name in SCHEMA_NAMES {
        let Some(expected) = schema_file_text(name) else {
            continue;
        };
        let path = dir.join(schema_file_name(name));
        match fs_err::read_to_string(&path) {
            Ok(found) if found == expected => {}
            Ok(_) => {
                stale += 1;
                eprintln!("stale: {}", path.display());
            }
            Err(error) => {
                stale += 1;
                eprintln!("missing: {error}");
            }
        }
    }
    if stale == 0 {
        println!("{} schema files are current", SCHEMA_NAMES.len());
        ExitCode::SUCCESS
    } else {
        eprintln!(
            "{stale} schema file(s) out of date; regenerate with: cargo run -p pass-cli -- schema --write {}",
            dir.display()
        );
        ExitCode::from(1)
    }
}
