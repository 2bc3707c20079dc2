//! Black-box tests of the `pass` binary.

#![allow(clippy::unwrap_used, clippy::expect_used)]

mod pipeline;
mod validate;
mod workflows;

use std::path::PathBuf;
use std::process::{Command, Output};

pub fn repo_file(relative: &str) -> PathBuf {
    PathBuf::from(env!("CARGO_MANIFEST_DIR"))
        .join("../..")
        .join(relative)
}

/// `pass` with `args`, without inherited PASS_/ANTHROPIC_/GITHUB_/OPENAI_/RUNS_DIR
/// settings, so the embedded defaults (offline model, local issues) apply.
pub fn pass_command(args: &[&str]) -> Command {
    let mut command = Command::new(env!("CARGO_BIN_EXE_pass"));
    command.args(args);
    for (name, _) in std::env::vars() {
        if ["PASS_", "ANTHROPIC_", "GITHUB_", "OPENAI_", "RUNS_DIR"]
            .iter()
            .any(|prefix| name.starts_with(prefix))
        {
            command.env_remove(name);
        }
    }
    command
}

/// Runs `pass` with `args` (see [`pass_command`]).
pub fn pass(args: &[&str]) -> Output {
    pass_command(args).output().unwrap()
}

pub fn stdout(output: &Output) -> String {
    String::from_utf8_lossy(&output.stdout).into_owned()
}

pub fn stderr(output: &Output) -> String {
    String::from_utf8_lossy(&output.stderr).into_owned()
}

/// Fails with both output streams when `pass` did not exit 0.
pub fn assert_success(output: &Output) {
    assert_eq!(
        output.status.code(),
        Some(0),
        "stdout:\n{}\nstderr:\n{}",
        stdout(output),
        stderr(output)
    );
}
