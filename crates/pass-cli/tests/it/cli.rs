//! The command's conventions: JSON on stdout with progress on stderr, run id
//! prefixes, fetching artifacts, honest warnings, one line per error cause,
//! completions, help examples, `--bind` names and plain log files.

use std::io::{Read, Write};
use std::path::Path;
use std::process::Output;

use pass_client::PassClient;
use pass_contracts::{RunInput, Text};
use secrecy::SecretString;
use serde_json::Value;
use uuid::Uuid;

use crate::{
    assert_success, free_bind, pass, pass_command, repo_file, spawn_serve, stderr, stdout,
};

const TOKEN: &str = "cli-conventions-token";

fn json_of(output: &Output) -> Value {
    serde_json::from_slice(&output.stdout).unwrap_or_else(|e| {
        panic!(
            "stdout is not one JSON document ({e}):\n{}\nstderr:\n{}",
            stdout(output),
            stderr(output)
        )
    })
}

fn served(args: &[&str], base_url: &str) -> Output {
    let mut all = args.to_vec();
    all.extend(["--api", base_url]);
    pass_command(&all)
        .env("PASS_API_TOKEN", TOKEN)
        .output()
        .unwrap()
}

/// `pass demo` in `dir` with `extra` environment.
fn demo(dir: &Path, args: &[&str], extra: &[(&str, &str)]) -> Output {
    let runs = dir.join("runs");
    let mut all = vec!["demo", "--runs-dir", runs.to_str().unwrap()];
    all.extend_from_slice(args);
    let mut command = pass_command(&all);
    command.current_dir(dir);
    for (name, value) in extra {
        command.env(name, value);
    }
    command.output().unwrap()
}

#[test]
fn demo_plans_offline_even_with_a_key_and_says_which_model_planned() {
    let dir = tempfile::tempdir().unwrap();
    // A key and a model server that refuses connections: used, they would fail the demo.
    let closed = free_bind();
    let output = demo(
        dir.path(),
        &[],
        &[
            ("ANTHROPIC_API_KEY", "sk-ant-never-used"),
            ("ANTHROPIC_BASE_URL", &format!("http://{closed}/v1")),
            ("PASS_LLM_PROVIDER", "anthropic"),
        ],
    );
    assert_success(&output);
    let out = stdout(&output);
    assert!(
        out.contains("planned by: offline (model pass-offline-reader-1)"),
        "{out}"
    );
    assert!(
        stderr(&output).contains("pass demo plans offline unless --provider"),
        "{}",
        stderr(&output)
    );
    // What the bundled PRD leaves out is said, not buried in the pack.
    assert!(out.contains("left out of the plan"), "{out}");
    assert!(out.contains("Out of scope per the PRD"), "{out}");
    assert!(!out.contains("sk-ant-never-used") && !stderr(&output).contains("sk-ant-never-used"));
}

#[test]
fn json_output_is_one_document_on_stdout_with_progress_on_stderr() {
    let dir = tempfile::tempdir().unwrap();
    let output = demo(dir.path(), &["--json"], &[]);
    assert_success(&output);
    let doc = json_of(&output);
    let run_id = doc["run"]["run_id"].as_str().unwrap();
    Uuid::parse_str(run_id).unwrap();
    assert_eq!(doc["run"]["status"], "exported");
    assert_eq!(doc["model"]["provider"], "offline");
    assert!(doc["pack"]["requirements"].as_u64().unwrap() > 0);
    assert!(!doc["pack"]["dropped"].as_array().unwrap().is_empty());
    assert!(doc["issues"]["created"].as_u64().unwrap() > 0);
    let files = doc["files"].as_array().unwrap();
    assert!(
        files
            .iter()
            .any(|f| f.as_str().unwrap().ends_with("architecture_pack.json"))
    );
    assert!(stderr(&output).contains(&format!("run {run_id}: revision 1")));

    let out = dir.path().join("out");
    let output = pass(&[
        "plan",
        repo_file("samples/prds/grocery-tiny.txt").to_str().unwrap(),
        "--out",
        out.to_str().unwrap(),
        "--json",
    ]);
    assert_success(&output);
    let doc = json_of(&output);
    assert_eq!(doc["model"]["model"], "pass-offline-reader-1");
    assert_eq!(doc["files"].as_array().unwrap().len(), 4);
    assert!(stderr(&output).contains("planner provider: offline"));

    let pack = out.join("architecture_pack.json");
    let org = repo_file("samples/org_constraints.sample.yml");
    let output = pass(&[
        "validate",
        pack.to_str().unwrap(),
        "--org",
        org.to_str().unwrap(),
        "--json",
    ]);
    assert_success(&output);
    let doc = json_of(&output);
    assert_eq!(doc["valid"], true);
    assert_eq!(doc["files"][0]["kind"], "architecture_pack");
    assert_eq!(doc["files"][1]["kind"], "org_constraints");
    assert!(doc["files"][1]["constraints"]["stack"].is_object());
}

#[test]
fn a_prd_without_requirements_warns_and_fails_under_strict() {
    let dir = tempfile::tempdir().unwrap();
    let prd = fs_err::read_to_string(repo_file("samples/prds/template-empty.md")).unwrap();
    let plan = |strict: bool| {
        let out = dir.path().join("out");
        let mut args = vec!["plan", "-", "--out", out.to_str().unwrap()];
        if strict {
            args.push("--strict");
        }
        let mut child = pass_command(&args)
            .stdin(std::process::Stdio::piped())
            .stdout(std::process::Stdio::piped())
            .stderr(std::process::Stdio::piped())
            .spawn()
            .unwrap();
        child
            .stdin
            .take()
            .unwrap()
            .write_all(prd.as_bytes())
            .unwrap();
        child.wait_with_output().unwrap()
    };
    let output = plan(false);
    assert_success(&output);
    assert!(
        stdout(&output).contains("requirements: 0"),
        "{}",
        stdout(&output)
    );
    assert!(
        stderr(&output).contains("warning: the PRD yielded no requirements"),
        "{}",
        stderr(&output)
    );
    let output = plan(true);
    assert_eq!(output.status.code(), Some(1));
    assert!(stderr(&output).contains("error: the PRD yielded no requirements"));
    assert!(stderr(&output).contains("(--strict)"));
}

#[test]
fn validate_checks_an_org_file_alone_and_names_the_allowed_values() {
    let org = repo_file("samples/org_constraints.sample.yml");
    let output = pass(&["validate", "--org", org.to_str().unwrap()]);
    assert_success(&output);
    assert!(
        stdout(&output).contains("valid org constraints"),
        "{}",
        stdout(&output)
    );

    let dir = tempfile::tempdir().unwrap();
    let bad = dir.path().join("org.yml");
    fs_err::write(&bad, "stack:\n  primary_db: 5\n").unwrap();
    let output = pass(&["validate", "--org", bad.to_str().unwrap()]);
    assert_eq!(output.status.code(), Some(1));
    assert!(
        stdout(&output).contains(
            "stack.primary_db: found integer `5`; allowed: one of postgres, mysql, sqlite, dynamodb"
        ),
        "{}",
        stdout(&output)
    );
    fs_err::write(&bad, "stack: [").unwrap();
    assert_eq!(
        pass(&["validate", "--org", bad.to_str().unwrap()])
            .status
            .code(),
        Some(2)
    );
    // Nothing to check is a usage error.
    assert_eq!(pass(&["validate"]).status.code(), Some(2));
}

fn input(text: &str) -> RunInput {
    RunInput {
        prd_text: Text::new(text).unwrap(),
        org_constraints_yaml: None,
        requested_by: None,
        source: None,
        project_id: None,
        refinement: None,
    }
}

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn run_ids_may_be_shortened_to_a_unique_start() {
    let dir = tempfile::tempdir().unwrap();
    let serve = spawn_serve(&dir.path().join("runs"), TOKEN, &[]).await;
    let client = PassClient::new(&serve.base_url, Some(SecretString::from(TOKEN))).unwrap();
    // 17 runs: at least two share a first hex digit.
    let mut ids = Vec::new();
    for n in 0..17 {
        let run = client
            .create_run(&input(&format!(
                "# Product {n}\n\n- The user must do thing {n}.\n"
            )))
            .await
            .unwrap();
        ids.push(run.run_id.to_string());
    }
    let unique = &ids[0];
    let prefix = (4..36)
        .map(|len| &unique[..len])
        .find(|p| ids.iter().filter(|id| id.starts_with(p)).count() == 1)
        .unwrap();
    let output = served(&["runs", "show", prefix, "--json"], &serve.base_url);
    assert_success(&output);
    assert_eq!(json_of(&output)["run"]["run_id"], unique.as_str());
    // Upper case and the id without its dashes work too.
    let bare = unique.replace('-', "").to_uppercase();
    let output = served(&["runs", "show", &bare[..20]], &serve.base_url);
    assert_success(&output);
    assert!(stdout(&output).contains(unique.as_str()));

    let shared = ids
        .iter()
        .map(|id| &id[..1])
        .find(|p| ids.iter().filter(|id| id.starts_with(p)).count() >= 2)
        .unwrap();
    let output = served(&["runs", "show", shared], &serve.base_url);
    assert_eq!(output.status.code(), Some(1));
    assert!(
        stderr(&output).contains(&format!("{shared} is the start of")),
        "{}",
        stderr(&output)
    );
    let last = unique.as_bytes()[34];
    let other = if last == b'0' { '1' } else { '0' };
    let missing = format!("{}{other}", &unique[..34]);
    let output = served(&["runs", "show", &missing], &serve.base_url);
    assert!(
        stderr(&output).contains(&format!("no run id starts with {missing}")),
        "{}",
        stderr(&output)
    );
    let output = served(&["runs", "show", "zz"], &serve.base_url);
    assert!(stderr(&output).contains("is not a run id nor the start of one"));

    // `pass sync` takes a prefix as well: the dry run of a run without a
    // pack is refused by the server, not by the id.
    let output = served(&["sync", "--run-id", prefix, "--dry-run"], &serve.base_url);
    assert!(
        !stderr(&output).contains("invalid value"),
        "{}",
        stderr(&output)
    );
    assert!(!stderr(&output).contains("no run id starts with"));

    let output = served(&["runs", "list", "--limit", "3", "--json"], &serve.base_url);
    assert_success(&output);
    let doc = json_of(&output);
    assert_eq!(doc["total"], 17);
    let rows = doc["runs"].as_array().unwrap();
    assert_eq!(rows.len(), 3);
    for row in rows {
        let title = row["title"].as_str().unwrap();
        assert!(title.starts_with("Product "), "{row}");
        assert_eq!(row["project_id"], row["run_id"], "a run of its own project");
        assert_eq!(row["revision"], 1);
    }
}

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn runs_list_shows_titles_and_projects_and_runs_get_fetches_artifacts() {
    let dir = tempfile::tempdir().unwrap();
    let serve = spawn_serve(&dir.path().join("runs"), TOKEN, &[]).await;
    let prd = repo_file("samples/prds/grocery-tiny.txt");
    let output = served(
        &[
            "run",
            prd.to_str().unwrap(),
            "--project",
            "Groceries",
            "--json",
        ],
        &serve.base_url,
    );
    assert_success(&output);
    let doc = json_of(&output);
    let run_id = doc["run"]["run_id"].as_str().unwrap().to_owned();
    assert_eq!(doc["model"]["provider"], "offline");
    assert!(doc["pack"]["requirements"].as_u64().unwrap() > 0, "{doc}");

    let output = served(&["runs", "list"], &serve.base_url);
    assert_success(&output);
    let table = stdout(&output);
    let header = table.lines().next().unwrap();
    assert!(
        header.contains("PROJECT") && header.contains("PRD TITLE"),
        "{header}"
    );
    let row = table.lines().find(|l| l.starts_with(&run_id)).unwrap();
    assert!(row.contains("Groceries"), "{row}");
    let title = pass_contracts::projects::prd_title(&fs_err::read_to_string(&prd).unwrap());
    if let Some(title) = title {
        let shown: String = title.chars().take(20).collect();
        assert!(row.contains(&shown), "{row}");
    }

    let short = &run_id[..8];
    let target = dir.path().join("summary.md");
    let output = served(
        &[
            "runs",
            "get",
            short,
            "architecture_pack_summary",
            "-o",
            target.to_str().unwrap(),
        ],
        &serve.base_url,
    );
    assert_success(&output);
    let stored = dir
        .path()
        .join("runs")
        .join(&run_id)
        .join("artifacts")
        .join("architecture_pack_summary.md");
    assert_eq!(
        fs_err::read(&target).unwrap(),
        fs_err::read(&stored).unwrap()
    );
    assert!(stderr(&output).contains("wrote"), "{}", stderr(&output));

    // To stdout, byte for byte; by file name too.
    let output = served(
        &["runs", "get", short, "architecture_pack.json"],
        &serve.base_url,
    );
    assert_success(&output);
    let pack: Value = serde_json::from_slice(&output.stdout).unwrap();
    assert_eq!(pack["run_id"], run_id.as_str());

    let output = served(&["runs", "get", short], &serve.base_url);
    assert_success(&output);
    assert!(stdout(&output).contains("planner_usage"));
    let output = served(&["runs", "get", short, "nope"], &serve.base_url);
    assert_eq!(output.status.code(), Some(1));
    assert!(
        stderr(&output).contains("has no artifact \"nope\"; it has: architecture_pack"),
        "{}",
        stderr(&output)
    );
}

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn a_prd_over_the_body_limit_is_refused_with_its_size_the_limit_and_the_variable() {
    let dir = tempfile::tempdir().unwrap();
    let serve = spawn_serve(
        &dir.path().join("runs"),
        TOKEN,
        &[("PASS_MAX_RUN_BODY_BYTES", "4096".to_owned())],
    )
    .await;
    let prd = dir.path().join("big.md");
    let mut text = String::from("# Big product\n\n");
    while text.len() < 20_000 {
        text.push_str("- The user must be able to do one more thing.\n");
    }
    fs_err::write(&prd, &text).unwrap();
    let output = served(
        &["run", prd.to_str().unwrap(), "--project", "Big"],
        &serve.base_url,
    );
    assert_eq!(output.status.code(), Some(1));
    let err = stderr(&output);
    assert!(err.contains("its limit of 4.0 KiB (4096 bytes)"), "{err}");
    assert!(err.contains("PASS_MAX_RUN_BODY_BYTES"), "{err}");
    assert!(err.contains(" KiB ("), "{err}");
    let size: u64 = err
        .split("a request of ")
        .nth(1)
        .and_then(|rest| rest.split(" bytes)").next())
        .and_then(|s| s.split('(').nth(1))
        .and_then(|n| n.parse().ok())
        .unwrap_or_else(|| panic!("no size in {err}"));
    assert!(size > 20_000, "{err}");
}

/// A loopback server that answers every request with `response`, as a
/// proxy or another web server on the configured port would.
fn foreign_server(response: &'static str) -> String {
    let listener = std::net::TcpListener::bind("127.0.0.1:0").unwrap();
    let addr = listener.local_addr().unwrap();
    std::thread::spawn(move || {
        for stream in listener.incoming().take(8) {
            let Ok(mut stream) = stream else { continue };
            let mut buffer = [0u8; 4096];
            let _ = stream.read(&mut buffer);
            let _ = stream.write_all(response.as_bytes());
        }
    });
    format!("http://{addr}")
}

#[test]
fn errors_print_one_line_per_cause_and_summarise_foreign_pages() {
    let page = "HTTP/1.1 502 Bad Gateway\r\ncontent-type: text/html\r\nconnection: close\r\n\r\n<!DOCTYPE html>\n<html>\n<head><title>502 Bad Gateway</title></head>\n<body>\n<center><h1>502 Bad Gateway</h1></center>\n<hr><center>nginx</center>\n</body>\n</html>\n";
    let base = foreign_server(page);
    let output = pass(&["runs", "list", "--api", &base]);
    assert_eq!(output.status.code(), Some(1));
    let err = stderr(&output);
    assert_eq!(err.lines().count(), 1, "{err}");
    assert!(
        err.contains("an HTML page, not PASS's JSON: \"502 Bad Gateway\""),
        "{err}"
    );
    assert!(!err.contains("<html") && !err.contains("<center>"), "{err}");

    let closed = free_bind();
    let output = pass(&["runs", "show", "abc", "--api", &format!("http://{closed}")]);
    assert_eq!(output.status.code(), Some(1));
    let err = stderr(&output);
    let lines: Vec<&str> = err.lines().collect();
    assert_eq!(
        lines.iter().filter(|l| l.starts_with("error: ")).count(),
        1,
        "{err}"
    );
    for (i, line) in lines.iter().enumerate() {
        let text = line
            .trim_start_matches("error: ")
            .trim_start_matches("  caused by: ");
        for later in &lines[i + 1..] {
            assert!(!later.contains(text), "repeated cause in:\n{err}");
        }
    }
    assert!(err.contains("could not be reached"), "{err}");
}

#[test]
fn completions_help_examples_and_versions() {
    let output = pass(&["completions", "bash"]);
    assert_success(&output);
    let script = stdout(&output);
    assert!(
        script.contains("_pass()") || script.contains("_pass "),
        "{script}"
    );
    for word in ["demo", "runs", "doctor", "completions"] {
        assert!(script.contains(word), "{word}");
    }
    let output = pass(&["completions", "zsh"]);
    assert!(stdout(&output).starts_with("#compdef pass"));
    assert_eq!(pass(&["completions", "tcsh"]).status.code(), Some(2));

    for command in [
        vec!["--help"],
        vec!["demo", "--help"],
        vec!["run", "--help"],
        vec!["plan", "--help"],
        vec!["runs", "--help"],
        vec!["validate", "--help"],
        vec!["serve", "--help"],
        vec!["doctor", "--help"],
    ] {
        let output = pass(&command);
        assert_success(&output);
        assert!(stdout(&output).contains("Examples:"), "{command:?}");
    }
    let output = pass(&["--version"]);
    assert_eq!(
        stdout(&output).trim(),
        format!("pass {}", env!("CARGO_PKG_VERSION"))
    );
}

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn serve_binds_a_host_name_and_writes_plain_logs_to_a_file() {
    let dir = tempfile::tempdir().unwrap();
    let port = free_bind().rsplit(':').next().unwrap().to_owned();
    let log = dir.path().join("serve.log");
    let mut child = pass_command(&[
        "serve",
        "--bind",
        &format!("localhost:{port}"),
        "--runs-dir",
        dir.path().join("runs").to_str().unwrap(),
    ])
    .env("PASS_API_TOKEN", TOKEN)
    .env("RUST_LOG", "info")
    .stdout(std::process::Stdio::null())
    .stderr(fs_err::File::create(&log).unwrap().into_file())
    .spawn()
    .unwrap();
    let client = PassClient::new(&format!("http://127.0.0.1:{port}"), None)
        .unwrap()
        .with_retries(0);
    let deadline = std::time::Instant::now() + std::time::Duration::from_secs(30);
    let health = loop {
        match client.health().await {
            Ok(health) => break health,
            Err(error) => {
                assert!(std::time::Instant::now() < deadline, "{error}");
                tokio::time::sleep(std::time::Duration::from_millis(50)).await;
            }
        }
    };
    assert_eq!(health["status"], "ok");
    let _ = child.kill();
    let _ = child.wait();
    let text = fs_err::read_to_string(&log).unwrap();
    assert!(text.contains("answered"), "{text}");
    assert!(
        !text.contains('\u{1b}'),
        "ANSI escapes in a log file:\n{text}"
    );
}
