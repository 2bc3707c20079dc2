//! `pass validate [FILE] [--org FILE]`: exit 0 when valid, 1 with every
//! problem, 2 when a file cannot be read or is not JSON / YAML at all.

use std::path::{Path, PathBuf};
use std::process::ExitCode;

use pass_contracts::{OrgConstraints, OrgConstraintsError, PackError, parse_pack};
use serde_json::{Value, json};

#[derive(Debug, clap::Args)]
#[command(after_help = "Examples:
  pass validate pass-out/architecture_pack.json
  pass validate --org org_constraints.yml
  pass validate pack.json --org org.yml --json")]
#[command(group(clap::ArgGroup::new("input").required(true).multiple(true).args(["file", "org"])))]
pub struct Args {
    /// The architecture pack JSON file to check.
    pub file: Option<PathBuf>,
    /// An org constraints YAML file to check (alone or with a pack).
    #[arg(long, value_name = "FILE")]
    pub org: Option<PathBuf>,
    /// Print one JSON document with every file's verdict and problems.
    #[arg(long, env = "PASS_JSON")]
    pub json: bool,
}

/// One file's verdict: the exit code it calls for, and what to print.
struct Verdict {
    code: u8,
    /// Lines for stdout (the verdict or each problem).
    lines: Vec<String>,
    /// Lines for stderr (a closing count, or why the file is unreadable).
    notes: Vec<String>,
    json: Value,
}

pub fn run(args: Args) -> ExitCode {
    let mut verdicts = Vec::new();
    if let Some(file) = &args.file {
        verdicts.push(check_pack(file));
    }
    if let Some(org) = &args.org {
        verdicts.push(check_org(org));
    }
    let code = verdicts.iter().map(|v| v.code).max().unwrap_or(0);
    if args.json {
        let files: Vec<&Value> = verdicts.iter().map(|v| &v.json).collect();
        match serde_json::to_string_pretty(&json!({"valid": code == 0, "files": files})) {
            Ok(text) => println!("{text}"),
            Err(error) => {
                eprintln!("error: {error}");
                return ExitCode::from(2);
            }
        }
    } else {
        for verdict in &verdicts {
            for line in &verdict.lines {
                println!("{line}");
            }
            for note in &verdict.notes {
                eprintln!("{note}");
            }
        }
    }
    ExitCode::from(code)
}

fn problem_json(path: &str, message: &str) -> Value {
    json!({"path": path, "message": message})
}

fn unreadable(kind: &str, path: &Path, message: String) -> Verdict {
    Verdict {
        code: 2,
        lines: Vec::new(),
        json: json!({"file": path.display().to_string(), "kind": kind, "valid": false,
                     "problems": [problem_json("", &message)]}),
        notes: vec![format!("error: {message}")],
    }
}

fn check_pack(file: &Path) -> Verdict {
    let text = match fs_err::read_to_string(file) {
        Ok(text) => text,
        Err(error) => return unreadable("architecture_pack", file, error.to_string()),
    };
    let shown = file.display();
    let base = |valid: bool, problems: Vec<Value>| {
        json!({"file": shown.to_string(), "kind": "architecture_pack", "valid": valid,
               "problems": problems})
    };
    match parse_pack(&text) {
        Ok(pack) => {
            let mut value = base(true, Vec::new());
            value["summary"] = json!({
                "architecture": pack.architecture.name.as_str(),
                "requirements": pack.requirements.len(),
                "components": pack.architecture.components.len(),
                "planned_issues": pack.implementation.github_issue_plan.len(),
            });
            Verdict {
                code: 0,
                lines: vec![format!(
                    "{shown}: valid architecture pack \"{}\": {} requirements, {} components, {} planned issues",
                    pack.architecture.name,
                    pack.requirements.len(),
                    pack.architecture.components.len(),
                    pack.implementation.github_issue_plan.len()
                )],
                notes: Vec::new(),
                json: value,
            }
        }
        Err(PackError::Syntax {
            line,
            column,
            message,
        }) => {
            let message = format!("{shown}:{line}:{column}: not valid JSON: {message}");
            Verdict {
                code: 2,
                lines: Vec::new(),
                json: base(false, vec![problem_json("", &message)]),
                notes: vec![message],
            }
        }
        Err(PackError::Invalid(problems)) => Verdict {
            code: 1,
            lines: problems
                .iter()
                .map(|p| {
                    let path = if p.path.is_empty() {
                        "(document)"
                    } else {
                        &p.path
                    };
                    format!("{shown}: {path}: {}", p.message)
                })
                .collect(),
            notes: vec![format!(
                "{shown}: invalid architecture pack: {} problem(s)",
                problems.len()
            )],
            json: base(
                false,
                problems
                    .iter()
                    .map(|p| problem_json(&p.path, &p.message))
                    .collect(),
            ),
        },
    }
}

fn check_org(file: &Path) -> Verdict {
    let text = match fs_err::read_to_string(file) {
        Ok(text) => text,
        Err(error) => return unreadable("org_constraints", file, error.to_string()),
    };
    let shown = file.display();
    let base = |valid: bool, problems: Vec<Value>| {
        json!({"file": shown.to_string(), "kind": "org_constraints", "valid": valid,
               "problems": problems})
    };
    match OrgConstraints::from_yaml(&text) {
        Ok(org) => {
            let mut value = base(true, Vec::new());
            value["constraints"] = serde_json::to_value(&org).unwrap_or(Value::Null);
            Verdict {
                code: 0,
                lines: vec![format!(
                    "{shown}: valid org constraints: strictness {}, stack {}/{}/{}/{}, cloud {}",
                    json_word(&org.strictness),
                    json_word(&org.stack.language),
                    json_word(&org.stack.web),
                    json_word(&org.stack.api),
                    json_word(&org.stack.primary_db),
                    json_word(&org.cloud.provider),
                )],
                notes: Vec::new(),
                json: value,
            }
        }
        Err(OrgConstraintsError::Invalid { path, message }) => Verdict {
            code: 1,
            lines: vec![format!("{shown}: {path}: {message}")],
            notes: vec![format!("{shown}: invalid org constraints")],
            json: base(false, vec![problem_json(&path, &message)]),
        },
        Err(error) => {
            let message = format!("{shown}: {error}");
            Verdict {
                code: 2,
                lines: Vec::new(),
                json: base(false, vec![problem_json("", &message)]),
                notes: vec![message],
            }
        }
    }
}

/// An enum value as the YAML file spells it.
fn json_word(value: &impl serde::Serialize) -> String {
    match serde_json::to_value(value) {
        Ok(Value::String(word)) => word,
        _ => "?".to_owned(),
    }
}
