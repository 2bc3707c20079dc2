//! The model path does not fail on what code can fix: references the
//! schema cannot pin down are normalised, repaired or dropped after the last
//! attempt, and the pack says what was changed.

use std::collections::HashMap;

use pass_contracts::OrgConstraints;
use pass_planner::sections::SectionName;
use pass_testkit::anthropic::{AnthropicStandIn, Behaviour, generated_responder};
use serde_json::{Value, json};

use crate::anthropic::{for_tool, plan_on, stand_in_for, user_text};
use crate::support::{all_prds, prd};

fn repaired_notes(pack: &pass_contracts::ArchitecturePack) -> Vec<String> {
    pack.assumptions
        .iter()
        .map(|a| a.to_string())
        .filter(|a| a.contains("repaired by code"))
        .collect()
}

#[tokio::test]
async fn schema_valid_nonsense_from_an_independent_model_still_makes_a_valid_pack() {
    // Every answer fits its schema but names things that do not exist: data
    // flows "from" components never declared, source hints the PRD does not
    // contain, dependencies on issues that are not there.
    for (name, text) in all_prds() {
        if name.ends_with("template-empty.md") {
            continue;
        }
        let server = AnthropicStandIn::start().await.unwrap();
        server.set_responder(generated_responder());
        let planned = plan_on(&server, &text, None, &[])
            .await
            .unwrap_or_else(|e| panic!("{name}: {e}"));
        let pack = &planned.pack;
        let names: Vec<&str> = pack
            .architecture
            .components
            .iter()
            .map(|c| c.name.as_str())
            .collect();
        for flow in &pack.architecture.data_flows {
            let (ends, _) = flow.as_str().split_once(": ").unwrap();
            let (from, to) = ends.split_once(" -> ").unwrap();
            assert!(
                names.contains(&from) && names.contains(&to),
                "{name}: {flow}"
            );
        }
        for t in &pack.trace {
            assert!(text.contains(t.source_hint.as_str()), "{name}: {t:?}");
        }
        let notes = repaired_notes(pack);
        assert!(
            notes.iter().any(|n| n.contains("source hint")),
            "{name}: {notes:#?}"
        );
        let usage = |section: SectionName| {
            planned
                .usage
                .sections
                .iter()
                .find(|s| s.section == section)
                .unwrap()
                .attempts
        };
        assert_eq!(usage(SectionName::Requirements), 3, "{name}");
    }
}

#[tokio::test]
async fn a_reference_that_differs_only_in_case_is_accepted_at_once() {
    let text = prd("grocery-tiny.txt");
    let server = stand_in_for(&text, None).await;
    let drafts = pass_planner::offline::draft_pack(&text, &OrgConstraints::default(), false);
    let component = drafts.architecture.components[0].name.clone();
    server.push_for(
        "emit_refinement",
        Behaviour::ToolInput(json!({
            "editable_components": [component.to_uppercase()],
            "suggested_questions": [],
            "editable_topics": []
        })),
    );
    let planned = plan_on(&server, &text, None, &[]).await.unwrap();
    assert_eq!(for_tool(&server, "emit_refinement").count(), 1);
    assert_eq!(
        planned.pack.refinement.wireframe.editable_components[0].as_str(),
        component
    );
    assert!(repaired_notes(&planned.pack).is_empty());
}

#[tokio::test]
async fn a_dangling_data_flow_is_dropped_after_the_last_attempt_and_said_so() {
    let text = prd("clinic-booking-ids.md");
    let server = stand_in_for(&text, None).await;
    let drafts = pass_planner::offline::draft_pack(&text, &OrgConstraints::default(), false);
    let mut architecture = serde_json::to_value(&drafts.architecture).unwrap();
    let first = drafts.architecture.components[0].name.clone();
    let flows = architecture["data_flows"].as_array_mut().unwrap();
    let kept = flows.len();
    flows.push(json!({"from": "Generated from 11", "to": first, "description": "d"}));
    // A near miss is read as the component it plainly means.
    flows.push(json!({"from": format!("{first}."), "to": first, "description": "self"}));
    for _ in 0..3 {
        server.push_for(
            "emit_architecture",
            Behaviour::ToolInput(architecture.clone()),
        );
    }
    let planned = plan_on(&server, &text, None, &[]).await.unwrap();
    let calls: Vec<_> = for_tool(&server, "emit_architecture").collect();
    assert_eq!(calls.len(), 3, "the model is asked twice to fix it first");
    assert!(
        user_text(&calls[1].body)
            .contains("\"Generated from 11\" is not the exact name of a component")
    );
    let flows = &planned.pack.architecture.data_flows;
    assert_eq!(flows.len(), kept + 1, "{flows:?}");
    assert!(flows.iter().all(|f| !f.as_str().contains("Generated from")));
    assert!(
        flows
            .iter()
            .any(|f| f.as_str() == format!("{first} -> {first}: self"))
    );
    let notes = repaired_notes(&planned.pack);
    assert!(
        notes.iter().any(|n| n.contains("\"Generated from 11\", which is not a component, and was dropped")),
        "{notes:#?}"
    );
}

#[tokio::test]
async fn an_issue_plan_with_bad_links_is_reordered_and_cleaned() {
    let text = prd("clinic-booking-ids.md");
    let server = stand_in_for(&text, None).await;
    let drafts = pass_planner::offline::draft_pack(&text, &OrgConstraints::default(), false);
    let mut plan = drafts.issue_plan.clone();
    let (first, last) = (
        plan.issues[0].id.clone(),
        plan.issues.last().unwrap().id.clone(),
    );
    // The foundation depends on the last issue (forward and, since the last
    // builds on the foundation, a cycle), one issue implements an unknown
    // requirement and depends on an unknown issue.
    plan.issues[0].depends_on = vec![last.clone()];
    plan.issues[1].implements.push("FR-999".to_owned());
    plan.issues[1].depends_on.push("ISSUE-404".to_owned());
    let value = serde_json::to_value(&plan).unwrap();
    for _ in 0..3 {
        server.push_for("emit_issue_plan", Behaviour::ToolInput(value.clone()));
    }
    let planned = plan_on(&server, &text, None, &[]).await.unwrap();
    let items = &planned.pack.implementation.github_issue_plan;
    let position: HashMap<&str, usize> = items
        .iter()
        .enumerate()
        .map(|(i, item)| (item.id.as_str(), i))
        .collect();
    for (i, item) in items.iter().enumerate() {
        for dep in &item.depends_on {
            assert!(
                position[dep.as_str()] < i,
                "{} depends on later {dep}",
                item.id
            );
        }
    }
    assert_eq!(items[0].id.as_str(), first);
    let pack_json = serde_json::to_string(&planned.pack.implementation).unwrap();
    assert!(!pack_json.contains("FR-999") && !pack_json.contains("ISSUE-404"));
    let notes = repaired_notes(&planned.pack);
    for expected in ["cycle", "FR-999", "ISSUE-404"] {
        assert!(
            notes.iter().any(|n| n.contains(expected)),
            "{expected}: {notes:#?}"
        );
    }
}

#[tokio::test]
async fn an_unimplemented_must_requirement_is_a_coverage_gap_not_a_failure() {
    let text = prd("clinic-booking-ids.md");
    let server = stand_in_for(&text, None).await;
    let drafts = pass_planner::offline::draft_pack(&text, &OrgConstraints::default(), false);
    let mut plan = drafts.issue_plan.clone();
    let dropped = drafts
        .requirements
        .requirements
        .iter()
        .find(|r| r.priority == pass_contracts::pack::Priority::Must)
        .map(|r| r.id.clone())
        .unwrap();
    for issue in &mut plan.issues {
        issue.implements.retain(|r| *r != dropped);
    }
    for _ in 0..3 {
        server.push_for(
            "emit_issue_plan",
            Behaviour::ToolInput(serde_json::to_value(&plan).unwrap()),
        );
    }
    let planned = plan_on(&server, &text, None, &[]).await.unwrap();
    let coverage = planned
        .pack
        .coverage
        .iter()
        .find(|c| c.requirement_id.as_str() == dropped)
        .unwrap();
    assert_eq!(
        serde_json::to_value(coverage.status).unwrap(),
        Value::from("missing")
    );
    assert!(
        repaired_notes(&planned.pack)
            .iter()
            .any(|n| n.contains(&format!(
                "Must requirement {dropped} is implemented by no issue"
            )))
    );
}
