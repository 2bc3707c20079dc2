//! `pass doctor` against a real `pass serve` and the loopback stand-ins of
//! Anthropic and GitHub: where each value came from, secrets redacted, and
//! a failing check failing the command.

use std::process::Output;

use pass_testkit::anthropic::AnthropicStandIn;
use pass_testkit::github::GithubStandIn;
use serde_json::Value;

use crate::{assert_success, free_bind, pass_command, spawn_serve, stderr, stdout};

const API_TOKEN: &str = "doctor-api-token-5d1";
const GH_TOKEN: &str = "ghp-doctor-token-77a";

fn doctor(dir: &std::path::Path, env: &[(&str, String)], args: &[&str]) -> Output {
    let mut all = vec!["doctor"];
    all.extend_from_slice(args);
    let mut command = pass_command(&all);
    command.current_dir(dir);
    for (name, value) in env {
        command.env(name, value);
    }
    command.output().unwrap()
}

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn doctor_shows_where_settings_come_from_and_reaches_the_api_the_model_and_github() {
    let dir = tempfile::tempdir().unwrap();
    let serve = spawn_serve(&dir.path().join("runs"), API_TOKEN, &[]).await;
    let model = AnthropicStandIn::start().await.unwrap();
    let github = GithubStandIn::start("acme", "app", GH_TOKEN).await.unwrap();
    let key = model.api_key().to_owned();
    // The model comes from .env; everything else from the environment.
    fs_err::write(
        dir.path().join(".env"),
        "ANTHROPIC_MODEL=claude-haiku-4-5\nPASS_API_TOKEN=from-dotenv-but-env-wins\n",
    )
    .unwrap();
    let env = vec![
        ("PASS_API_BASE_URL", serve.base_url.clone()),
        ("PASS_API_TOKEN", API_TOKEN.to_owned()),
        ("PASS_LLM_PROVIDER", "anthropic".to_owned()),
        ("ANTHROPIC_API_KEY", key.clone()),
        ("ANTHROPIC_BASE_URL", model.base_url()),
        ("GITHUB_API_URL", github.base_url()),
        ("GITHUB_ISSUES_REPOSITORY", "acme/app".to_owned()),
        ("PASS_GITHUB_ISSUES_TOKEN", GH_TOKEN.to_owned()),
    ];
    let output = doctor(dir.path(), &env, &[]);
    assert_success(&output);
    let out = stdout(&output);
    for secret in [
        API_TOKEN,
        GH_TOKEN,
        key.as_str(),
        "from-dotenv-but-env-wins",
    ] {
        assert!(
            !out.contains(secret) && !stderr(&output).contains(secret),
            "{secret} shown"
        );
    }
    let row = |name: &str| {
        out.lines()
            .find(|l| l.starts_with(&format!("{name} ")))
            .unwrap_or_else(|| panic!("no {name} row in:\n{out}"))
            .to_owned()
    };
    assert!(row("ANTHROPIC_MODEL").contains("claude-haiku-4-5"));
    assert!(
        row("ANTHROPIC_MODEL").contains(".env ("),
        "{}",
        row("ANTHROPIC_MODEL")
    );
    assert!(row("PASS_API_TOKEN").contains("(set, redacted)"));
    assert!(row("PASS_API_TOKEN").ends_with("environment"));
    assert!(row("OPENAI_MODEL").contains("gpt-4.1-mini (built in)"));
    assert!(row("OPENAI_MODEL").ends_with("default"));
    for expected in [
        "ok   pass api ",
        "ok   pass api token   accepted",
        "ok   model            anthropic at",
        "model claude-haiku-4-5 listed",
        "ok   github issues    acme/app: the token may write; token scopes: repo, workflow",
        "--   github actions",
    ] {
        assert!(out.contains(expected), "{expected:?} not in:\n{out}");
    }

    let output = doctor(dir.path(), &env, &["--json"]);
    assert_success(&output);
    let doc: Value = serde_json::from_slice(&output.stdout).unwrap();
    let checks = doc["checks"].as_array().unwrap();
    assert!(
        checks.iter().all(|c| c["ok"] != Value::Bool(false)),
        "{doc}"
    );
    assert!(doc["dotenv"].as_str().unwrap().ends_with(".env"));

    // A wrong API token and a model the key cannot use: the checks say so
    // and the command fails.
    let mut wrong = env.clone();
    wrong[1].1 = "not-the-token".to_owned();
    wrong.push(("ANTHROPIC_MODEL", "claude-unknown-9".to_owned()));
    let output = doctor(dir.path(), &wrong, &[]);
    assert_eq!(output.status.code(), Some(1), "{}", stdout(&output));
    let out = stdout(&output);
    assert!(out.contains("FAIL pass api token   refused (401)"), "{out}");
    assert!(
        out.contains("model claude-unknown-9 is not in its list"),
        "{out}"
    );
    assert!(stderr(&output).contains("error: 2 check(s) failed"));

    // Nothing listens: the API check fails; --no-network reaches nothing.
    let mut down = env.clone();
    down[0].1 = format!("http://{}", free_bind());
    let output = doctor(dir.path(), &down, &[]);
    assert_eq!(output.status.code(), Some(1));
    assert!(
        stdout(&output).contains("FAIL pass api "),
        "{}",
        stdout(&output)
    );
    let output = doctor(dir.path(), &down, &["--no-network"]);
    assert_success(&output);
    assert!(stdout(&output).contains("--no-network: nothing reached"));
}
