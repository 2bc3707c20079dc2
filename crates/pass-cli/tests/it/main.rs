//! Black-box tests of the `pass` binary.

#![allow(clippy::unwrap_used, clippy::expect_used)]

mod cli;
mod console;
mod coordination;
mod doctor;
mod mcp;
mod pipeline;
mod projects;
mod validate;
mod workflows;

use std::path::{Path, PathBuf};
use std::process::{Child, Command, Output, Stdio};
use std::time::{Duration, Instant};

use pass_client::PassClient;

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

/// A `pass serve` process on a loopback port, killed on drop.
#[derive(Debug)]
pub struct ServeProcess {
    pub child: Child,
    pub base_url: String,
    pub bind: String,
}

impl Drop for ServeProcess {
    fn drop(&mut self) {
        let _ = self.child.kill();
        let _ = self.child.wait();
    }
}

/// A free loopback port.
pub fn free_bind() -> String {
    let port = std::net::TcpListener::bind("127.0.0.1:0")
        .unwrap()
        .local_addr()
        .unwrap()
        .port();
    format!("127.0.0.1:{port}")
}

/// Starts `pass serve` on a free port with `env` added, and waits until it answers.
pub async fn spawn_serve(runs_dir: &Path, token: &str, env: &[(&str, String)]) -> ServeProcess {
    spawn_serve_on(&free_bind(), runs_dir, token, env).await
}

/// [`spawn_serve`] on `bind` (to restart a server where its agents expect it).
pub async fn spawn_serve_on(
    bind: &str,
    runs_dir: &Path,
    token: &str,
    env: &[(&str, String)],
) -> ServeProcess {
    let mut command = pass_command(&[
        "serve",
        "--bind",
        bind,
        "--runs-dir",
        runs_dir.to_str().unwrap(),
    ]);
    command
        .env("PASS_API_TOKEN", token)
        .env("RUST_LOG", "warn")
        .stdout(Stdio::null())
        .stderr(Stdio::null());
    for (name, value) in env {
        command.env(name, value);
    }
    let serve = ServeProcess {
        child: command.spawn().unwrap(),
        base_url: format!("http://{bind}"),
        bind: bind.to_owned(),
    };
    let client = PassClient::new(&serve.base_url, None)
        .unwrap()
        .with_retries(0);
    let deadline = Instant::now() + Duration::from_secs(30);
    while client.health().await.is_err() {
        assert!(
            Instant::now() < deadline,
            "pass serve did not come up on {bind}"
        );
        tokio::time::sleep(Duration::from_millis(50)).await;
    }
    serve
}
