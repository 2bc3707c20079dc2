//! What the model is asked: org constraints explained, a tech lead's issue
//! plan with a size target computed by code, reasoning before the lists, and
//! a previous revision's ids offered for reuse.

use pass_contracts::OrgConstraints;
use pass_planner::model::anthropic::AnthropicModel;
use pass_planner::pipeline::{self, PipelineInput};
use pass_planner::sections::SectionName;
use pass_testkit::anthropic::Behaviour;
use serde_json::Value;
use uuid::Uuid;

use crate::anthropic::{anthropic_config, for_tool, plan_on, stand_in_for, user_text};
use crate::support::prd;

fn data_block(body: &Value) -> String {
    body["system"][1]["text"].as_str().unwrap().to_owned()
}

#[tokio::test]
async fn the_model_is_told_whether_org_constraints_were_given_and_what_they_mean() {
    let text = prd("export-command-feature.txt");
    let server = stand_in_for(&text, None).await;
    plan_on(&server, &text, None, &[]).await.unwrap();
    let first = &server.requests()[0].body;
    let system = first["system"][0]["text"].as_str().unwrap();
    for meaning in [
        "When it did not, they are PASS's defaults and only fill what the PRD leaves open",
        "Under strictness prefer they are preferences: the stack the PRD names wins",
        "Under strictness strict they are rules",
    ] {
        assert!(system.contains(meaning), "{system}");
    }
    assert!(
        data_block(first)
            .contains("<org_constraints given=\"false\" strictness=\"prefer\">\nNot given")
    );

    let org = "strictness: strict\nstack:\n  language: python\n";
    let server = stand_in_for(&text, Some(org)).await;
    let _ = plan_on(&server, &text, Some(org), &[]).await;
    let block = data_block(&server.requests()[0].body);
    assert!(
        block.contains("<org_constraints given=\"true\" strictness=\"strict\">\nGiven by the organisation with strictness strict: rules that win over the PRD."),
        "{block}"
    );
    assert!(block.contains("\"language\": \"python\""), "{block}");
}

#[tokio::test]
async fn the_issue_plan_prompt_asks_for_a_tech_leads_plan() {
    let text = prd("clinic-booking-ids.md");
    let server = stand_in_for(&text, None).await;
    let planned = plan_on(&server, &text, None, &[]).await.unwrap();
    let call = for_tool(&server, "emit_issue_plan").next().unwrap();
    let task = user_text(&call.body);
    let target = pass_planner::prompt::issue_count_target(
        planned.pack.requirements.len(),
        !planned.pack.entities.is_empty(),
        planned.pack.integrations.len(),
    );
    for asked in [
        "Foundation first".to_owned(),
        "in the order of the workflows and the PRD's phases".to_owned(),
        "depends_on names only issues listed earlier".to_owned(),
        "copy the PRD's criteria".to_owned(),
        "test_strategy".to_owned(),
        "list each in left_out with the reason".to_owned(),
        format!("Issue count: about {target} issues in all"),
    ] {
        assert!(task.contains(&asked), "{asked} not in {task}");
    }
    // The plan sees the workflows and the clarifications' defaults.
    assert!(task.contains("<section name=\"workflows\">"), "{task}");
    assert!(task.contains("<section name=\"clarifications\">"), "{task}");
    assert!(task.contains("\"default_used\""), "{task}");

    // The hard sections reason first: `approach` leads their schemas.
    let schema = &call.body["tools"][0]["input_schema"];
    let first_key = |schema: &Value| {
        schema["properties"]
            .as_object()
            .unwrap()
            .keys()
            .next()
            .cloned()
            .unwrap()
    };
    assert_eq!(first_key(schema), "approach");
    assert!(schema["properties"]["left_out"].is_object());
    assert!(
        schema
            .pointer("/properties/issues/items/properties/test_strategy")
            .is_some()
    );
    let architecture = for_tool(&server, "emit_architecture").next().unwrap();
    let tools = architecture.body["tools"].as_array().unwrap();
    let arch_tool = tools
        .iter()
        .find(|t| t["name"] == "emit_architecture")
        .unwrap();
    assert_eq!(first_key(&arch_tool["input_schema"]), "approach");
    let core_tool = tools.iter().find(|t| t["name"] == "emit_core").unwrap();
    for field in ["product_kind", "deployment", "named_stack"] {
        assert!(
            core_tool["input_schema"]["properties"][field].is_object(),
            "{field}"
        );
    }
    assert!(user_text(&architecture.body).contains("\"product_kind\""));
}

#[tokio::test]
async fn left_out_items_test_strategies_and_the_product_reading_reach_the_pack() {
    let text = prd("grocery-tiny.txt");
    let server = stand_in_for(&text, None).await;
    let drafts = pass_planner::offline::draft_pack(&text, &OrgConstraints::default(), false);
    let mut plan = drafts.issue_plan.clone();
    plan.left_out = vec!["Recipe suggestions: listed as won't have in the PRD.".to_owned()];
    plan.issues[0].test_strategy = "A smoke test starts the app on a clean machine.".to_owned();
    server.push_for(
        "emit_issue_plan",
        Behaviour::ToolInput(serde_json::to_value(&plan).unwrap()),
    );
    let mut core = drafts.core.clone();
    core.named_stack = vec!["Flutter".to_owned(), "SQLite".to_owned()];
    core.deployment = "On users' phones, offline first.".to_owned();
    server.push_for(
        "emit_core",
        Behaviour::ToolInput(serde_json::to_value(&core).unwrap()),
    );
    let planned = plan_on(&server, &text, None, &[]).await.unwrap();
    let assumptions: Vec<&str> = planned
        .pack
        .assumptions
        .iter()
        .map(|a| a.as_str())
        .collect();
    assert!(assumptions.contains(&"Recipe suggestions: listed as won't have in the PRD."));
    assert!(
        assumptions
            .iter()
            .any(|a| a
                .contains("built with Flutter, SQLite; it runs on users' phones, offline first.")),
        "{assumptions:#?}"
    );
    let body = planned.pack.implementation.github_issue_plan[0]
        .body
        .as_str();
    assert!(
        body.contains("**Test strategy:** A smoke test starts the app on a clean machine."),
        "{body}"
    );
}

/// Runs the pipeline with `previous` against a stand-in answering with the
/// offline reading of `text`, and returns the stand-in.
async fn plan_with_previous(
    text: &str,
    previous: &pass_contracts::ArchitecturePack,
) -> pass_testkit::anthropic::AnthropicStandIn {
    let server = stand_in_for(text, None).await;
    let config = anthropic_config(&server, &[]);
    let model = AnthropicModel::new(&config.anthropic, config.retry).unwrap();
    let org = OrgConstraints::default();
    pipeline::run(
        PipelineInput {
            prd_text: text,
            org: &org,
            org_given: false,
            checkpoint_dir: None,
            previous_pack: Some(previous),
        },
        &model,
        &config,
    )
    .await
    .unwrap();
    server
}

#[tokio::test]
async fn a_previous_revision_s_ids_are_offered_to_the_model() {
    // A PRD without ids: PASS minted REQ-001 ... last time.
    let text = prd("grocery-tiny.txt");
    let offline = crate::support::config(&[("PASS_LLM_PROVIDER", "offline")]);
    let previous = pass_planner::plan(&text, None, Uuid::new_v4(), &offline, None)
        .await
        .unwrap()
        .pack;
    let server = plan_with_previous(&text, &previous).await;

    let requirements = user_text(&for_tool(&server, "emit_requirements").next().unwrap().body);
    assert!(
        requirements.contains("<previous_revision>"),
        "{requirements}"
    );
    for r in &previous.requirements {
        let line = format!("- {}: {}", r.id, r.text);
        assert!(requirements.contains(&line), "{line} not in {requirements}");
    }
    assert!(requirements.contains("keep its id"), "{requirements}");

    let issues = user_text(&for_tool(&server, "emit_issue_plan").next().unwrap().body);
    assert!(
        issues
            .contains("Keep an issue's id when your issue still implements the same requirements"),
        "{issues}"
    );
    for item in &previous.implementation.github_issue_plan {
        assert!(
            issues.contains(&format!("- {}: {} (implements: ", item.id, item.title)),
            "{} not in {issues}",
            item.id
        );
    }
    let implementing = previous
        .coverage
        .iter()
        .find_map(|c| c.notes.as_deref()?.strip_prefix("covered by "))
        .unwrap();
    let first = previous
        .implementation
        .github_issue_plan
        .iter()
        .find(|i| i.id.as_str() == implementing.split(',').next().unwrap())
        .unwrap();
    assert!(
        issues
            .lines()
            .any(|l| l.starts_with(&format!("- {}:", first.id))
                && l.contains(previous.coverage[0].requirement_id.as_str())),
        "{issues}"
    );
    // Other sections are not told about the previous revision.
    let core = user_text(&for_tool(&server, "emit_core").next().unwrap().body);
    assert!(!core.contains("previous_revision"), "{core}");
}

#[tokio::test]
async fn ids_the_prd_gives_are_not_listed_as_minted() {
    let text = prd("clinic-booking-ids.md");
    let offline = crate::support::config(&[("PASS_LLM_PROVIDER", "offline")]);
    let previous = pass_planner::plan(&text, None, Uuid::new_v4(), &offline, None)
        .await
        .unwrap()
        .pack;
    let server = plan_with_previous(&text, &previous).await;
    let requirements = user_text(&for_tool(&server, "emit_requirements").next().unwrap().body);
    assert!(
        !requirements.contains("<previous_revision>"),
        "{requirements}"
    );
    let usage = SectionName::IssuePlan;
    let issues = user_text(&for_tool(&server, &usage.tool_name()).next().unwrap().body);
    assert!(issues.contains("<previous_revision>"), "{issues}");
}
