use pass_contracts::{Problem, validate_pack_value};
use serde_json::{Value, json};

use crate::sample_pack_value;

fn problems_of(edit: impl FnOnce(&mut Value)) -> Vec<Problem> {
    let mut value = sample_pack_value();
    edit(&mut value);
    validate_pack_value(&value).expect_err("the pack should be invalid")
}

fn paths(problems: &[Problem]) -> Vec<&str> {
    problems.iter().map(|p| p.path.as_str()).collect()
}

#[test]
fn dangling_depends_on_is_reported_at_its_path() {
    let problems = problems_of(|v| {
        v["implementation"]["github_issue_plan"][1]["depends_on"] = json!(["ISSUE-1", "ISSUE-9"])
    });
    assert_eq!(
        paths(&problems),
        ["implementation.github_issue_plan[1].depends_on[1]"]
    );
    assert!(problems[0].message.contains("ISSUE-9"));
}

#[test]
fn cycles_are_named() {
    let problems = problems_of(|v| {
        v["implementation"]["github_issue_plan"][0]["depends_on"] = json!(["ISSUE-3"])
    });
    assert_eq!(paths(&problems), ["implementation.github_issue_plan"]);
    assert!(
        problems[0]
            .message
            .contains("ISSUE-1 -> ISSUE-3 -> ISSUE-2 -> ISSUE-1"),
        "{}",
        problems[0].message
    );
    let problems = problems_of(|v| {
        v["implementation"]["logic_requirements"][0]["dependencies"] = json!(["LR-2"])
    });
    assert_eq!(paths(&problems), ["implementation.logic_requirements"]);
    assert!(
        problems[0].message.contains("LR-1 -> LR-2 -> LR-1"),
        "{}",
        problems[0].message
    );
}

#[test]
fn duplicate_ids_are_reported_in_every_list() {
    let problems = problems_of(|v| {
        v["clarifications"][1]["id"] = json!("CL-1");
        v["workflows"][1]["id"] = json!("WF-1");
        v["implementation"]["logic_requirements"][2]["id"] = json!("LR-2");
        v["implementation"]["github_issue_plan"][3]["id"] = json!("ISSUE-1");
        v["architecture"]["components"][1]["name"] = json!("clinic-web");
    });
    let found = paths(&problems);
    for expected in [
        "clarifications[1].id",
        "workflows[1].id",
        "implementation.logic_requirements[2].id",
        "implementation.github_issue_plan[3].id",
        "architecture.components[1].name",
    ] {
        assert!(found.contains(&expected), "{expected} not in {found:?}");
    }
}

#[test]
fn references_to_unknown_things_are_reported() {
    let problems = problems_of(|v| {
        v["implementation"]["logic_requirements"][0]["affected_components"] =
            json!(["clinic-api", "mainframe"]);
        v["implementation"]["logic_requirements"][1]["dependencies"] = json!(["LR-7"]);
        v["coverage"][0]["requirement_id"] = json!("FR-77");
        v["trace"][4]["requirement_id"] = json!("NFR-9");
    });
    let found = paths(&problems);
    for expected in [
        "implementation.logic_requirements[0].affected_components[1]",
        "implementation.logic_requirements[1].dependencies[0]",
        "coverage[0].requirement_id",
        "trace[4].requirement_id",
        // FR-1 lost its coverage entry when it was renamed to FR-77.
        "requirements[0].id",
    ] {
        assert!(found.contains(&expected), "{expected} not in {found:?}");
    }
    assert_eq!(found.len(), 5, "{problems:?}");
}

#[test]
fn every_requirement_needs_coverage() {
    let problems = problems_of(|v| {
        v["coverage"].as_array_mut().unwrap().remove(2);
    });
    assert_eq!(paths(&problems), ["requirements[2].id"]);
    assert!(problems[0].message.contains("FR-3"));
}

#[test]
fn schema_problems_are_all_reported_with_paths() {
    let problems = problems_of(|v| {
        v["architecture"]["components"][2]["type"] = json!("lambda");
        v["nfrs"]["scale"] = json!("huge");
        v["extra"] = json!(1);
    });
    let found = paths(&problems);
    assert!(
        found.contains(&"architecture.components[2].type"),
        "{found:?}"
    );
    assert!(found.contains(&"nfrs.scale"), "{found:?}");
    assert!(found.contains(&"extra"), "{found:?}");
    let lambda = problems
        .iter()
        .find(|p| p.path == "architecture.components[2].type")
        .unwrap();
    assert!(
        lambda.message.contains("\"lambda\"")
            && lambda.message.contains("\"external_integration\"")
    );
}
