//! The GitHub Actions workflows the server dispatches must take the inputs it
//! sends and hand the agents the secrets they read.

use serde_yaml_ng::Value;

use crate::repo_file;

fn workflow(name: &str) -> Value {
    let text = std::fs::read_to_string(repo_file(&format!(".github/workflows/{name}"))).unwrap();
    serde_yaml_ng::from_str(&text).unwrap()
}

fn run_steps(workflow: &Value) -> Vec<&Value> {
    let jobs = workflow["jobs"].as_mapping().unwrap();
    jobs.values()
        .flat_map(|job| job["steps"].as_sequence().unwrap().iter())
        .filter(|step| step.get("run").is_some())
        .collect()
}

fn check_agent_workflow(file: &str, binary: &str, issues_permission: Option<&str>) {
    let wf = workflow(file);
    let inputs = &wf["on"]["workflow_dispatch"]["inputs"];
    for input in ["run_id", "api_base_url"] {
        assert_eq!(
            inputs[input]["required"],
            Value::Bool(true),
            "{file}: input {input}"
        );
    }
    assert_eq!(
        wf["permissions"]["contents"].as_str(),
        Some("read"),
        "{file}"
    );
    assert_eq!(
        wf["permissions"]["issues"].as_str(),
        issues_permission,
        "{file}"
    );

    let steps = run_steps(&wf);
    let agent = steps
        .iter()
        .find(|s| {
            s["run"]
                .as_str()
                .is_some_and(|r| r.contains(&format!("target/release/{binary}")))
        })
        .unwrap_or_else(|| panic!("{file}: no step runs the {binary} binary"));
    let env = &agent["env"];
    assert!(
        env["PASS_API_TOKEN"]
            .as_str()
            .unwrap()
            .contains("secrets.PASS_API_TOKEN"),
        "{file}"
    );
    assert!(
        env["PASS_API_BASE_URL"]
            .as_str()
            .unwrap()
            .contains("inputs.api_base_url"),
        "{file}"
    );
    assert!(
        env["RUN_ID"].as_str().unwrap().contains("inputs.run_id"),
        "{file}"
    );
    assert!(
        agent["run"]
            .as_str()
            .unwrap()
            .contains("--run-id \"$RUN_ID\""),
        "{file}"
    );
    assert!(
        steps.iter().any(|s| s["run"]
            .as_str()
            .is_some_and(|r| r.contains("cargo build --release"))),
        "{file}: the agent is built in release mode"
    );
}

#[test]
fn the_planner_workflow_takes_the_dispatch_inputs_and_secrets() {
    check_agent_workflow("phase1-planner.yml", "planner", None);
    let wf = workflow("phase1-planner.yml");
    let text = serde_yaml_ng::to_string(&wf).unwrap();
    assert!(text.contains("secrets.ANTHROPIC_API_KEY"));
    assert!(text.contains("vars.ANTHROPIC_MODEL"));
}

#[test]
fn the_implementation_workflow_may_write_issues_and_nothing_else() {
    check_agent_workflow("phase2-implementation.yml", "implementation", Some("write"));
}

#[test]
fn the_implementation_workflow_takes_the_dispatch_options_the_server_may_send() {
    let wf = workflow("phase2-implementation.yml");
    let inputs = &wf["on"]["workflow_dispatch"]["inputs"];
    // The server sends these only when a dispatch asks for them: optional.
    for input in ["dry_run", "force", "execution_id"] {
        assert_eq!(inputs[input]["required"], Value::Bool(false), "{input}");
    }
    let steps = run_steps(&wf);
    let agent = steps
        .iter()
        .find(|s| {
            s["run"]
                .as_str()
                .is_some_and(|r| r.contains("target/release/implementation"))
        })
        .unwrap();
    assert!(
        agent["env"]["PASS_EXECUTION_ID"]
            .as_str()
            .unwrap()
            .contains("inputs.execution_id")
    );
    let script = agent["run"].as_str().unwrap();
    assert!(
        script.contains("--dry-run") && script.contains("--force"),
        "{script}"
    );
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
