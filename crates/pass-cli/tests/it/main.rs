//! Black-box tests of the `pass` binary.

#![allow(clippy::unwrap_used, clippy::expect_used)]

mod validate;
mod workflows;

use std::path::PathBuf;
use std::process::{Command, Output};

pub fn repo_file(relative: &str) -> PathBuf {
    PathBuf::from(env!("CARGO_MANIFEST_DIR"))
        .join("../..")
        .join(relative)
}

/// Runs `pass` with `args` and no inherited PASS_/ANTHROPIC_/GITHUB_ settings.
pub fn pass(args: &[&str]) -> Output {
    let mut command = Command::new(env!("CARGO_BIN_EXE_pass"));
    command.args(args);
    for (name, _) in std::env::vars() {
        if name.starts_with("PASS_")
            || name.starts_with("ANTHROPIC_")
            || name.starts_with("GITHUB_")
            || name.starts_with("OPENAI_")
        {
            command.env_remove(name);
        }
    }
    command.output().unwrap()
}

pub fn stdout(output: &Output) -> String {
    String::from_utf8_lossy(&output.stdout).into_owned()
}

pub fn stderr(output: &Output) -> String {
    String::from_utf8_lossy(&output.stderr).into_owned()
}
