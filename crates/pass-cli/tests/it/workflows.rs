//! The GitHub Actions workflows the server dispatches must take the inputs it
//! sends, hand the agents the secrets they read, and run the released agent
//! only when its checksum matches. The `run:` scripts that decide are taken
//! from the YAML and run here with bash, against a stand-in `gh` that serves
//! a release made by the release workflow's own packaging scripts.

use std::collections::BTreeMap;
use std::path::{Path, PathBuf};
use std::process::{Command, Output};

use pass_server::dispatch::github_actions::PASS_VERSION_INPUT;
use serde_yaml_ng::Value;

use crate::repo_file;

const AGENT_WORKFLOWS: [(&str, &str); 2] = [
    ("phase1-planner.yml", "planner"),
    ("phase2-implementation.yml", "implementation"),
];

fn workflow(name: &str) -> Value {
    let text = fs_err::read_to_string(repo_file(&format!(".github/workflows/{name}"))).unwrap();
    serde_yaml_ng::from_str(&text).unwrap()
}

fn steps(workflow: &Value) -> Vec<&Value> {
    let jobs = workflow["jobs"].as_mapping().unwrap();
    jobs.values()
        .flat_map(|job| job["steps"].as_sequence().unwrap().iter())
        .collect()
}

fn run_steps(workflow: &Value) -> Vec<&Value> {
    steps(workflow)
        .into_iter()
        .filter(|step| step.get("run").is_some())
        .collect()
}

/// The step whose name starts with `prefix`.
fn named<'a>(workflow: &'a Value, prefix: &str) -> &'a Value {
    steps(workflow)
        .into_iter()
        .find(|s| s["name"].as_str().is_some_and(|n| n.starts_with(prefix)))
        .unwrap_or_else(|| panic!("no step named {prefix:?}"))
}

fn script(step: &Value) -> &str {
    step["run"].as_str().unwrap()
}

fn env_text<'a>(step: &'a Value, name: &str) -> &'a str {
    step["env"][name]
        .as_str()
        .unwrap_or_else(|| panic!("step {:?} has no env {name}", step["name"]))
}

/// Runs a workflow script with bash as the runner does (`bash -e`), in `dir`
/// with `env`; the GitHub output file's lines come back with the result.
fn run_script(
    script: &str,
    dir: &Path,
    env: &[(&str, &str)],
) -> (Output, BTreeMap<String, String>) {
    let outputs_dir = tempfile::tempdir().unwrap();
    let output_file = outputs_dir.path().join("github-output");
    fs_err::write(&output_file, "").unwrap();
    let mut command = Command::new("bash");
    command
        .args([
            "--noprofile",
            "--norc",
            "-e",
            "-o",
            "pipefail",
            "-c",
            script,
        ])
        .current_dir(dir)
        .env("GITHUB_OUTPUT", &output_file);
    for (name, value) in env {
        command.env(name, value);
    }
    let output = command.output().unwrap();
    let outputs = fs_err::read_to_string(&output_file)
        .unwrap()
        .lines()
        .filter_map(|line| line.split_once('='))
        .map(|(k, v)| (k.to_owned(), v.to_owned()))
        .collect();
    (output, outputs)
}

fn text(bytes: &[u8]) -> String {
    String::from_utf8_lossy(bytes).into_owned()
}

#[test]
fn the_agent_workflows_take_the_dispatch_inputs_and_secrets() {
    for (file, binary) in AGENT_WORKFLOWS {
        let wf = workflow(file);
        let inputs = &wf["on"]["workflow_dispatch"]["inputs"];
        for input in ["run_id", "api_base_url"] {
            assert_eq!(
                inputs[input]["required"],
                Value::Bool(true),
                "{file}: input {input}"
            );
        }
        // Sent only when the server is configured to: optional.
        assert_eq!(
            inputs[PASS_VERSION_INPUT]["required"],
            Value::Bool(false),
            "{file}"
        );
        assert_eq!(
            wf["permissions"]["contents"].as_str(),
            Some("read"),
            "{file}"
        );

        let agent = run_steps(&wf)
            .into_iter()
            .find(|s| script(s).contains("\"$AGENT_BIN\" --run-id \"$RUN_ID\""))
            .unwrap_or_else(|| panic!("{file}: no step runs the agent"));
        assert!(env_text(agent, "PASS_API_TOKEN").contains("secrets.PASS_API_TOKEN"));
        assert!(env_text(agent, "PASS_API_BASE_URL").contains("inputs.api_base_url"));
        assert!(env_text(agent, "RUN_ID").contains("inputs.run_id"));
        assert_eq!(
            env_text(agent, "AGENT_BIN"),
            "${{ steps.release.outputs.bin || steps.build.outputs.bin }}",
            "{file}: the released binary, else the one just built"
        );

        let build = named(&wf, "Build the");
        assert_eq!(build["id"].as_str(), Some("build"));
        assert!(
            script(build).contains(&format!(
                "cargo build --release --locked -p pass-{binary} --bin {binary}"
            )),
            "{file}"
        );
        assert!(
            script(build).contains(&format!("echo \"bin=$PWD/target/release/{binary}\"")),
            "{file}"
        );
    }
    let planner = workflow("phase1-planner.yml");
    let text = serde_yaml_ng::to_string(&planner).unwrap();
    assert!(text.contains("secrets.ANTHROPIC_API_KEY"));
    assert!(text.contains("vars.ANTHROPIC_MODEL"));
    assert_eq!(planner["permissions"]["issues"].as_str(), None);
    let implementation = workflow("phase2-implementation.yml");
    assert_eq!(
        implementation["permissions"]["issues"].as_str(),
        Some("write")
    );
}

#[test]
fn the_source_build_runs_only_without_a_verified_release_and_caches_per_workflow() {
    let mut keys = Vec::new();
    for (file, _) in AGENT_WORKFLOWS {
        let wf = workflow(file);
        let all = steps(&wf);
        let release = all
            .iter()
            .position(|s| s["id"].as_str() == Some("release"))
            .unwrap();
        let agent = all
            .iter()
            .position(|s| {
                s["run"]
                    .as_str()
                    .is_some_and(|r| r.contains("\"$AGENT_BIN\""))
            })
            .unwrap();
        let between = &all[release + 1..agent];
        assert!(
            between.len() >= 4,
            "{file}: checkout, toolchain, cache, build"
        );
        for step in between {
            assert_eq!(
                step["if"].as_str(),
                Some("steps.release.outputs.bin == ''"),
                "{file}: {:?} must be skipped when the release was downloaded",
                step["name"].as_str().or(step["uses"].as_str())
            );
        }
        let cache = between
            .iter()
            .find(|s| {
                s["uses"]
                    .as_str()
                    .is_some_and(|u| u.starts_with("Swatinem/rust-cache@"))
            })
            .unwrap_or_else(|| panic!("{file}: no rust-cache step"));
        keys.push(cache["with"]["shared-key"].as_str().unwrap().to_owned());
        assert!(
            between
                .iter()
                .any(|s| s["run"].as_str() == Some("rustup toolchain install\n")
                    || s["run"].as_str() == Some("rustup toolchain install")),
            "{file}: the toolchain comes from rust-toolchain.toml"
        );
    }
    assert_ne!(keys[0], keys[1], "one cache per workflow");
}

#[test]
fn the_callback_guard_fails_closed() {
    let dir = tempfile::tempdir().unwrap();
    for (file, _) in AGENT_WORKFLOWS {
        let wf = workflow(file);
        let guard = named(&wf, "Check the callback URL");
        assert!(env_text(guard, "TRUSTED_API").contains("vars.PASS_API_BASE_URL"));
        assert!(env_text(guard, "REQUESTED_API").contains("inputs.api_base_url"));
        let first = all_steps_index(&wf, guard);
        assert_eq!(first, 0, "{file}: the guard runs before anything else");
        let api = "https://pass.example.test";
        let cases: [(&[(&str, &str)], bool); 5] = [
            (&[("REQUESTED_API", api)], false),
            (&[("REQUESTED_API", api), ("TRUSTED_API", "")], false),
            (
                &[
                    ("REQUESTED_API", "https://evil.example.test"),
                    ("TRUSTED_API", api),
                ],
                false,
            ),
            (&[("REQUESTED_API", api), ("TRUSTED_API", api)], true),
            (
                &[
                    ("REQUESTED_API", "https://pass.example.test/"),
                    ("TRUSTED_API", api),
                ],
                true,
            ),
        ];
        for (env, passes) in cases {
            let (output, _) = run_script(script(guard), dir.path(), env);
            assert_eq!(
                output.status.success(),
                passes,
                "{file} with {env:?}: {}",
                text(&output.stdout)
            );
            if !passes {
                assert!(text(&output.stdout).starts_with("::error::"), "{env:?}");
            }
        }
        let (output, _) = run_script(script(guard), dir.path(), &[("REQUESTED_API", api)]);
        assert!(
            text(&output.stdout).contains("PASS_API_BASE_URL is not set"),
            "{}",
            text(&output.stdout)
        );
    }
}

fn all_steps_index(workflow: &Value, step: &Value) -> usize {
    steps(workflow)
        .iter()
        .position(|s| std::ptr::eq(*s, step))
        .unwrap()
}

#[test]
fn every_workflow_script_takes_expressions_through_env_only() {
    // `${{ }}` inside a script is pasted in before bash reads it: a dispatch
    // input could then inject commands. Through `env:` it stays data.
    for file in [
        "ci.yml",
        "release.yml",
        "phase1-planner.yml",
        "phase2-implementation.yml",
    ] {
        for step in run_steps(&workflow(file)) {
            assert!(
                !script(step).contains("${{"),
                "{file}: {:?} has an expression in its script",
                step["name"]
            );
        }
    }
}

/// A stand-in for `gh release download TAG --repo R --dir D --pattern P… --clobber`
/// serving `$FAKE_RELEASES/<owner>/<repo>/<tag>/`; records each call.
const FAKE_GH: &str = r#"#!/usr/bin/env bash
set -euo pipefail
echo "$*" >> "$FAKE_RELEASES/calls"
[ -n "${GH_TOKEN:-}" ] || { echo "gh: no GH_TOKEN" >&2; exit 4; }
[ "$1 $2" = "release download" ] || { echo "gh: unexpected call $*" >&2; exit 2; }
tag=$3
shift 3
repo=""
dir="."
patterns=()
while [ $# -gt 0 ]; do
  case "$1" in
    --repo) repo=$2; shift 2 ;;
    --dir) dir=$2; shift 2 ;;
    --pattern) patterns+=("$2"); shift 2 ;;
    --clobber) shift ;;
    *) echo "gh: unexpected argument $1" >&2; exit 2 ;;
  esac
done
source="$FAKE_RELEASES/$repo/$tag"
[ -d "$source" ] || { echo "release not found" >&2; exit 1; }
found=0
for pattern in "${patterns[@]}"; do
  for file in "$source"/$pattern; do
    if [ -e "$file" ]; then cp "$file" "$dir/"; found=1; fi
  done
done
[ "$found" = 1 ] || { echo "no assets match the file pattern" >&2; exit 1; }
"#;

/// Builds a release folder for `tag` with the release workflow's own
/// packaging and checksum scripts, from stand-in binaries that print their
/// name.
fn make_release(root: &Path, repo: &str, tag: &str, target: &str) -> PathBuf {
    let release = workflow("release.yml");
    let work = root.join(format!("build-{tag}"));
    let bin_dir = work.join("target").join(target).join("release");
    fs_err::create_dir_all(&bin_dir).unwrap();
    for binary in ["pass", "planner", "implementation"] {
        let path = bin_dir.join(binary);
        fs_err::write(&path, format!("#!/bin/sh\necho \"{binary} ran $*\"\n")).unwrap();
    }
    let package = named(&release, "Package the binaries");
    assert_eq!(env_text(package, "TARGET"), "${{ matrix.target }}");
    let (output, _) = run_script(
        script(package),
        &work,
        &[("TARGET", target), ("OUT_DIR", "dist")],
    );
    assert!(output.status.success(), "{}", text(&output.stderr));
    let sums = named(&release, "Write SHA256SUMS");
    let (output, _) = run_script(script(sums), &work.join("dist"), &[]);
    assert!(output.status.success(), "{}", text(&output.stderr));

    let published = root.join("releases").join(repo).join(tag);
    fs_err::create_dir_all(&published).unwrap();
    for entry in fs_err::read_dir(work.join("dist")).unwrap() {
        let path = entry.unwrap().path();
        fs_err::copy(&path, published.join(path.file_name().unwrap())).unwrap();
    }
    published
}

/// The download step of one agent workflow, run on a stand-in runner.
struct Runner {
    dir: tempfile::TempDir,
    path: String,
}

impl Runner {
    fn new() -> Self {
        let dir = tempfile::tempdir().unwrap();
        let bin = dir.path().join("bin");
        fs_err::create_dir_all(&bin).unwrap();
        fs_err::create_dir_all(dir.path().join("releases")).unwrap();
        let gh = bin.join("gh");
        fs_err::write(&gh, FAKE_GH).unwrap();
        chmod_x(&gh);
        let path = format!(
            "{}:{}",
            bin.display(),
            std::env::var("PATH").unwrap_or_default()
        );
        Self { dir, path }
    }

    fn download(&self, file: &str, version: &str) -> (Output, BTreeMap<String, String>) {
        let wf = workflow(file);
        let step = named(&wf, "Download the released");
        assert_eq!(step["id"].as_str(), Some("release"));
        assert_eq!(
            env_text(step, "PASS_VERSION"),
            format!("${{{{ inputs.{PASS_VERSION_INPUT} }}}}")
        );
        assert!(env_text(step, "RELEASE_REPOSITORY").contains("github.repository"));
        assert_eq!(env_text(step, "GH_TOKEN"), "${{ github.token }}");
        let temp = self.dir.path().join(format!("runner-temp-{file}"));
        fs_err::create_dir_all(&temp).unwrap();
        let releases = self.dir.path().join("releases");
        run_script(
            script(step),
            self.dir.path(),
            &[
                ("AGENT", env_text(step, "AGENT")),
                ("PASS_VERSION", version),
                ("RELEASE_REPOSITORY", "acme/pass"),
                ("GH_TOKEN", "gh-test-token"),
                ("RUNNER_OS", "Linux"),
                ("RUNNER_ARCH", "X64"),
                ("RUNNER_TEMP", temp.to_str().unwrap()),
                ("FAKE_RELEASES", releases.to_str().unwrap()),
                ("PATH", &self.path),
            ],
        )
    }
}

fn chmod_x(path: &Path) {
    use std::os::unix::fs::PermissionsExt;
    let mut permissions = fs_err::metadata(path).unwrap().permissions();
    permissions.set_mode(0o755);
    fs_err::set_permissions(path, permissions).unwrap();
}

#[test]
fn both_agent_workflows_download_and_verify_in_the_same_script() {
    let scripts: Vec<String> = AGENT_WORKFLOWS
        .iter()
        .map(|(file, _)| script(named(&workflow(file), "Download the released")).to_owned())
        .collect();
    assert_eq!(
        scripts[0], scripts[1],
        "one script, two copies: keep them equal"
    );
    for (file, binary) in AGENT_WORKFLOWS {
        let wf = workflow(file);
        assert_eq!(
            env_text(named(&wf, "Download the released"), "AGENT"),
            binary
        );
    }
}

#[test]
fn a_release_of_the_servers_version_is_downloaded_verified_and_runnable() {
    let runner = Runner::new();
    let target = "x86_64-unknown-linux-gnu";
    make_release(runner.dir.path(), "acme/pass", "v0.4.2", target);
    for (file, binary) in AGENT_WORKFLOWS {
        let (output, outputs) = runner.download(file, "0.4.2");
        assert!(
            output.status.success(),
            "{file}: {}{}",
            text(&output.stdout),
            text(&output.stderr)
        );
        let bin = PathBuf::from(&outputs["bin"]);
        assert_eq!(
            bin.file_name().unwrap().to_str(),
            Some(format!("{binary}-{target}").as_str())
        );
        assert!(
            text(&output.stdout).contains(": OK"),
            "sha256sum checked it"
        );
        let ran = Command::new(&bin)
            .arg("--run-id")
            .arg("r1")
            .output()
            .unwrap();
        assert_eq!(
            text(&ran.stdout).trim(),
            format!("{binary} ran --run-id r1")
        );
    }
    let calls = fs_err::read_to_string(runner.dir.path().join("releases/calls")).unwrap();
    assert!(
        calls.contains("release download v0.4.2 --repo acme/pass"),
        "{calls}"
    );

    // A leading v is accepted as well.
    let (output, outputs) = runner.download("phase1-planner.yml", "v0.4.2");
    assert!(output.status.success());
    assert!(outputs.contains_key("bin"));
}

#[test]
fn a_binary_that_does_not_match_its_checksum_stops_the_run() {
    let runner = Runner::new();
    let published = make_release(
        runner.dir.path(),
        "acme/pass",
        "v0.4.2",
        "x86_64-unknown-linux-gnu",
    );
    fs_err::write(
        published.join("planner-x86_64-unknown-linux-gnu"),
        "#!/bin/sh\necho tampered\n",
    )
    .unwrap();
    let (output, outputs) = runner.download("phase1-planner.yml", "0.4.2");
    assert!(!output.status.success());
    assert!(!outputs.contains_key("bin"), "{outputs:?}");
    assert!(
        text(&output.stdout).contains("does not match its SHA-256 checksum"),
        "{}",
        text(&output.stdout)
    );

    // A release without a checksum list is not trusted either.
    fs_err::remove_file(published.join("SHA256SUMS")).unwrap();
    let (output, outputs) = runner.download("phase2-implementation.yml", "0.4.2");
    assert!(!output.status.success());
    assert!(!outputs.contains_key("bin"));
    assert!(text(&output.stdout).contains("lists no SHA-256 checksum"));
}

#[test]
fn without_a_version_or_a_release_the_agent_is_built_instead() {
    let runner = Runner::new();
    make_release(
        runner.dir.path(),
        "acme/pass",
        "v0.4.2",
        "x86_64-unknown-linux-gnu",
    );
    for version in ["", "0.9.0"] {
        let (output, outputs) = runner.download("phase1-planner.yml", version);
        assert!(
            output.status.success(),
            "{version:?}: {}",
            text(&output.stderr)
        );
        assert!(!outputs.contains_key("bin"), "{version:?}: {outputs:?}");
        assert!(text(&output.stdout).contains("from source"), "{version:?}");
    }
    // Not a version number: refused before anything is asked of GitHub.
    let (output, outputs) = runner.download("phase1-planner.yml", "1.0; touch pwned");
    assert!(!output.status.success());
    assert!(!outputs.contains_key("bin"));
    assert!(!runner.dir.path().join("pwned").exists());
    let calls = fs_err::read_to_string(runner.dir.path().join("releases/calls")).unwrap();
    assert_eq!(
        calls.lines().count(),
        1,
        "only 0.9.0 was looked up: {calls}"
    );
}

#[test]
fn the_release_workflow_builds_every_binary_for_linux_and_publishes_checksums() {
    let wf = workflow("release.yml");
    let tags = &wf["on"]["push"]["tags"];
    assert_eq!(tags[0].as_str(), Some("v*"));
    let targets: Vec<&str> = wf["jobs"]["build"]["strategy"]["matrix"]["include"]
        .as_sequence()
        .unwrap()
        .iter()
        .map(|entry| entry["target"].as_str().unwrap())
        .collect();
    assert_eq!(
        targets,
        ["x86_64-unknown-linux-gnu", "aarch64-unknown-linux-gnu"]
    );
    let build = named(&wf, "Build the binaries");
    for package in ["pass-cli", "pass-planner", "pass-implementation"] {
        assert!(
            script(build).contains(&format!("-p {package}")),
            "{package}"
        );
    }
    assert!(script(build).contains("--locked"));
    assert_eq!(wf["permissions"]["contents"].as_str(), Some("read"));
    assert_eq!(
        wf["jobs"]["publish"]["permissions"]["contents"].as_str(),
        Some("write"),
        "only the publishing job may write"
    );
    assert!(script(named(&wf, "Attach the binaries")).contains("gh release upload"));

    // The tag must be the workspace version: the server sends that version.
    let check = named(&wf, "Check that the tag is the workspace version");
    let root = repo_file("");
    let version = env!("CARGO_PKG_VERSION");
    let (output, _) = run_script(script(check), &root, &[("TAG", &format!("v{version}"))]);
    assert!(output.status.success(), "{}", text(&output.stdout));
    let (output, _) = run_script(script(check), &root, &[("TAG", "v99.0.0")]);
    assert!(!output.status.success());
    assert!(text(&output.stdout).contains("does not match the workspace version"));
}

#[test]
fn ci_runs_the_project_checks() {
    let wf = workflow("ci.yml");
    assert!(
        run_steps(&wf)
            .iter()
            .any(|s| s["run"].as_str() == Some("bash .ci/run"))
    );
}

#[test]
fn rust_version_is_the_pinned_toolchain() {
    let toolchain = fs_err::read_to_string(repo_file("rust-toolchain.toml")).unwrap();
    let channel = toolchain
        .lines()
        .find_map(|l| l.strip_prefix("channel = \""))
        .and_then(|l| l.strip_suffix('"'))
        .unwrap();
    let manifest = fs_err::read_to_string(repo_file("Cargo.toml")).unwrap();
    let rust_version = manifest
        .lines()
        .find_map(|l| l.strip_prefix("rust-version = \""))
        .and_then(|l| l.strip_suffix('"'))
        .unwrap();
    assert!(
        channel == rust_version || channel.starts_with(&format!("{rust_version}.")),
        "rust-version {rust_version} vs toolchain {channel}"
    );
}
