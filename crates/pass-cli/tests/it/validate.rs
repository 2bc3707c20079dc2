use serde_json::{Value, json};

use crate::{pass, repo_file, stderr, stdout};

fn sample() -> Value {
    serde_json::from_str(
        &fs_err::read_to_string(repo_file("samples/architecture_pack.sample.json")).unwrap(),
    )
    .unwrap()
}

fn write(dir: &tempfile::TempDir, name: &str, text: &str) -> String {
    let path = dir.path().join(name);
    fs_err::write(&path, text).unwrap();
    path.display().to_string()
}

#[test]
fn the_sample_is_valid() {
    let file = repo_file("samples/architecture_pack.sample.json");
    let output = pass(&["validate", file.to_str().unwrap()]);
    assert_eq!(output.status.code(), Some(0), "{}", stderr(&output));
    let out = stdout(&output);
    assert_eq!(out.lines().count(), 1, "{out}");
    assert!(
        out.contains("5 requirements, 7 components, 4 planned issues"),
        "{out}"
    );
}

#[test]
fn every_problem_is_listed_with_its_path() {
    let dir = tempfile::tempdir().unwrap();
    type Edit = Box<dyn Fn(&mut Value)>;
    let cases: Vec<(&str, Edit, &str)> = vec![
        (
            "dangling",
            Box::new(|v| {
                v["implementation"]["github_issue_plan"][3]["depends_on"] = json!(["NOPE"])
            }),
            "implementation.github_issue_plan[3].depends_on[0]",
        ),
        (
            "cycle",
            Box::new(|v| {
                v["implementation"]["github_issue_plan"][0]["depends_on"] = json!(["ISSUE-4"])
            }),
            "depends_on forms a cycle: ISSUE-1 -> ISSUE-4 -> ISSUE-2 -> ISSUE-1",
        ),
        (
            "duplicate",
            Box::new(|v| v["requirements"][4]["id"] = json!("FR-4")),
            "requirements[4].id: duplicate id \"FR-4\"",
        ),
        (
            "unknown field",
            Box::new(|v| v["architecture"]["colour"] = json!("red")),
            "architecture.colour: unknown field",
        ),
        (
            "bad enum",
            Box::new(|v| v["architecture"]["components"][2]["type"] = json!("lambda")),
            "architecture.components[2].type: unknown variant \"lambda\"",
        ),
    ];
    for (name, edit, expected) in cases {
        let mut value = sample();
        edit(&mut value);
        let file = write(&dir, &format!("{name}.json"), &value.to_string());
        let output = pass(&["validate", &file]);
        assert_eq!(output.status.code(), Some(1), "{name}: {}", stdout(&output));
        assert!(
            stdout(&output).contains(expected),
            "{name}: {}",
            stdout(&output)
        );
    }
}

#[test]
fn unreadable_or_malformed_files_exit_2() {
    let dir = tempfile::tempdir().unwrap();
    let missing = dir.path().join("missing.json");
    let output = pass(&["validate", missing.to_str().unwrap()]);
    assert_eq!(output.status.code(), Some(2));
    assert!(
        stderr(&output).contains("missing.json"),
        "{}",
        stderr(&output)
    );

    let file = write(
        &dir,
        "broken.json",
        "{\n  \"pack_version\": \"0.1\",\n  oops\n}",
    );
    let output = pass(&["validate", &file]);
    assert_eq!(output.status.code(), Some(2));
    assert!(
        stderr(&output).contains("broken.json:3:"),
        "{}",
        stderr(&output)
    );
}

#[test]
fn schema_lists_prints_and_checks() {
    let output = pass(&["schema"]);
    assert!(stdout(&output).lines().any(|l| l == "architecture_pack"));
    let output = pass(&["schema", "run_input"]);
    let schema: Value = serde_json::from_str(&stdout(&output)).unwrap();
    assert_eq!(schema["properties"]["prd_text"]["type"], "string");
    let output = pass(&["schema", "nope"]);
    assert_eq!(output.status.code(), Some(2));

    let checked_in = repo_file("schemas");
    assert_eq!(
        pass(&["schema", "--check", checked_in.to_str().unwrap()])
            .status
            .code(),
        Some(0)
    );
    let dir = tempfile::tempdir().unwrap();
    let output = pass(&["schema", "--check", dir.path().to_str().unwrap()]);
    assert_eq!(output.status.code(), Some(1));
    assert!(
        stderr(&output).contains("schema --write"),
        "{}",
        stderr(&output)
    );
}
