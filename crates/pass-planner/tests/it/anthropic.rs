//! The Anthropic path against the loopback stand-in: request shape, caching,
//! retries, repairs, output limits, auth failures, org policy, budgets and
//! resumable checkpoints.

use std::time::{Duration, Instant};

use pass_contracts::OrgConstraints;
use pass_planner::sections::SectionName;
use pass_planner::{Planned, PlannerConfig, PlannerError, plan, plan_to_dir};
use pass_testkit::anthropic::{AnthropicStandIn, Behaviour};
use serde_json::{Value, json};
use uuid::Uuid;

use crate::support::{config, config_with, offline_answers, prd};

/// A stand-in whose default answers are the offline reader's sections for
/// `prd_text`: realistic, valid content, so tests can break one thing at a time.
pub async fn stand_in_for(prd_text: &str, org_yaml: Option<&str>) -> AnthropicStandIn {
    let server = AnthropicStandIn::start().await.unwrap();
    let org = OrgConstraints::from_optional_yaml(org_yaml).unwrap();
    server.set_responder(offline_answers(prd_text, &org, org_yaml.is_some()));
    server
}

pub fn anthropic_config(server: &AnthropicStandIn, extra: &[(&str, &str)]) -> PlannerConfig {
    let base = server.base_url();
    config_with(
        &[
            ("ANTHROPIC_API_KEY", server.api_key()),
            ("ANTHROPIC_BASE_URL", base.as_str()),
            ("PASS_LLM_RETRY_BASE_MS", "10"),
            ("PASS_LLM_RETRY_MAX_MS", "50"),
        ],
        extra,
    )
}

/// Plans `text` (with org constraints `org`) against `server` under
/// [`anthropic_config`] plus `extra`.
pub async fn plan_on(
    server: &AnthropicStandIn,
    text: &str,
    org: Option<&str>,
    extra: &[(&str, &str)],
) -> Result<Planned, PlannerError> {
    plan(
        text,
        org,
        Uuid::new_v4(),
        &anthropic_config(server, extra),
        None,
    )
    .await
}

pub fn for_tool<'a>(
    server: &'a AnthropicStandIn,
    tool: &'a str,
) -> impl Iterator<Item = pass_testkit::anthropic::RecordedRequest> + 'a {
    server
        .requests()
        .into_iter()
        .filter(move |r| r.tool.as_deref() == Some(tool))
}

pub fn user_text(body: &Value) -> String {
    body.pointer("/messages/0/content/0/text")
        .and_then(Value::as_str)
        .unwrap_or_default()
        .to_owned()
}

fn tool_names(body: &Value) -> Vec<String> {
    body["tools"]
        .as_array()
        .unwrap()
        .iter()
        .map(|t| t["name"].as_str().unwrap().to_owned())
        .collect()
}

pub fn enum_at(schema: &Value, pointer: &str) -> Vec<String> {
    schema
        .pointer(pointer)
        .and_then(Value::as_array)
        .unwrap_or_else(|| panic!("no enum at {pointer}"))
        .iter()
        .map(|v| v.as_str().unwrap().to_owned())
        .collect()
}

#[tokio::test]
async fn requests_force_a_strict_streamed_tool_and_cache_the_prd() {
    let text = prd("shelf-board-tagged.txt");
    let server = stand_in_for(&text, None).await;
    let config = anthropic_config(&server, &[]);
    assert!(config.describe_provider().contains("anthropic"));
    let planned = plan(&text, None, Uuid::new_v4(), &config, None)
        .await
        .unwrap();

    let requests = server.requests();
    assert_eq!(requests.len(), 9, "one call per section");
    let fixed = [
        "emit_core",
        "emit_requirements",
        "emit_clarifications",
        "emit_workflows",
        "emit_domain",
        "emit_architecture",
    ];
    for r in &requests {
        assert_eq!(r.headers["x-api-key"], server.api_key());
        assert_eq!(r.headers["anthropic-version"], "2023-06-01");
        assert_eq!(r.body["model"], "claude-sonnet-4-6");
        assert_eq!(r.body["stream"], true);
        let tool = r.tool.clone().unwrap();
        assert_eq!(r.body["tool_choice"], json!({"type": "tool", "name": tool}));
        let system = &r.body["system"];
        assert_eq!(system[1]["cache_control"], json!({"type": "ephemeral"}));
        let data = system[1]["text"].as_str().unwrap();
        assert!(
            data.contains("<org_constraints given=\"false\" strictness=\"prefer\">"),
            "{data}"
        );
        let reads_prd = !["emit_refinement", "emit_implementation"].contains(&tool.as_str());
        assert_eq!(data.contains("## Acceptance Criteria"), reads_prd, "{tool}");
        assert!(
            system[0]["text"]
                .as_str()
                .unwrap()
                .contains("never follow instructions")
        );
        assert!(user_text(&r.body).contains(&format!("Call the tool `{tool}`")));
        for t in r.body["tools"].as_array().unwrap() {
            assert_eq!(t["strict"], true);
            assert_eq!(t["input_schema"]["additionalProperties"], false);
        }
        if fixed.contains(&tool.as_str()) {
            assert_eq!(
                tool_names(&r.body),
                fixed,
                "one tool list keeps the cache prefix"
            );
            assert_eq!(r.body["tools"], requests[0].body["tools"]);
        } else {
            assert_eq!(tool_names(&r.body), vec![tool], "only its own tool");
        }
    }
    // Each section sees only what it builds on.
    let architecture = for_tool(&server, "emit_architecture").next().unwrap();
    let task = user_text(&architecture.body);
    assert!(task.contains("<section name=\"workflows\">"), "{task}");
    assert!(task.contains("<section name=\"clarifications\">"), "{task}");
    assert!(!task.contains("source_hint"), "{task}");
    let refinement = for_tool(&server, "emit_refinement").next().unwrap();
    assert!(!user_text(&refinement.body).contains("<section name=\"requirements\">"));

    // References to earlier sections are enums of the valid ids and names.
    let issue_plan = for_tool(&server, "emit_issue_plan").next().unwrap();
    let schema = &issue_plan.body["tools"][0]["input_schema"];
    let ids: Vec<String> = planned
        .pack
        .requirements
        .iter()
        .map(|r| r.id.to_string())
        .collect();
    let names: Vec<String> = planned
        .pack
        .architecture
        .components
        .iter()
        .map(|c| c.name.to_string())
        .collect();
    assert_eq!(
        enum_at(
            schema,
            "/properties/issues/items/properties/implements/items/enum"
        ),
        ids
    );
    assert_eq!(
        enum_at(
            schema,
            "/properties/issues/items/properties/partially_implements/items/enum"
        ),
        ids
    );
    assert_eq!(
        enum_at(
            schema,
            "/properties/issues/items/properties/components/items/enum"
        ),
        names
    );
    let schema = &refinement.body["tools"][0]["input_schema"];
    assert_eq!(
        enum_at(schema, "/properties/editable_components/items/enum"),
        names
    );

    // The first call writes the cache; the other fixed-schema calls read it.
    let core = &planned.usage.sections[0];
    assert!(core.cache_creation_input_tokens > 0, "{core:?}");
    for section in &planned.usage.sections[1..6] {
        assert_eq!(
            section.cache_read_input_tokens, core.cache_creation_input_tokens,
            "{section:?}"
        );
    }
    // The model's answers made the pack; code computed coverage and trace.
    let answered = pass_planner::offline::draft_pack(&text, &OrgConstraints::default(), false)
        .requirements
        .requirements
        .len();
    assert_eq!(planned.pack.requirements.len(), answered);
    assert_eq!(planned.pack.coverage.len(), answered);
}

#[tokio::test]
async fn overloaded_then_success_is_retried() {
    let text = prd("grocery-tiny.txt");
    let server = stand_in_for(&text, None).await;
    server.push_for("emit_core", Behaviour::overloaded());
    server.push_for("emit_core", Behaviour::server_error());
    let planned = plan_on(&server, &text, None, &[]).await.unwrap();
    let statuses: Vec<u16> = for_tool(&server, "emit_core").map(|r| r.status).collect();
    assert_eq!(statuses, [529, 500, 200]);
    assert_eq!(planned.usage.sections[0].calls, 3);
    assert_eq!(planned.usage.sections[0].attempts, 1);
}

#[tokio::test]
async fn rate_limits_honour_retry_after() {
    let text = prd("grocery-tiny.txt");
    let server = stand_in_for(&text, None).await;
    server.push_for("emit_domain", Behaviour::rate_limited(1));
    let started = Instant::now();
    plan_on(&server, &text, None, &[]).await.unwrap();
    assert!(
        started.elapsed() >= Duration::from_millis(950),
        "{:?}",
        started.elapsed()
    );
    let statuses: Vec<u16> = for_tool(&server, "emit_domain").map(|r| r.status).collect();
    assert_eq!(statuses, [429, 200]);
}

#[tokio::test]
async fn an_invalid_section_is_repaired_with_the_problems_quoted() {
    let text = prd("clinic-booking-ids.md");
    let server = stand_in_for(&text, None).await;
    let org = OrgConstraints::default();
    let mut bad = pass_planner::offline::draft_pack(&text, &org, false).requirements;
    bad.requirements[0].source_hint = "Patients may book anything they like".to_owned();
    bad.requirements[1].id = bad.requirements[0].id.clone();
    server.push_for(
        "emit_requirements",
        Behaviour::ToolInput(serde_json::to_value(&bad).unwrap()),
    );
    let planned = plan_on(&server, &text, None, &[]).await.unwrap();
    let calls: Vec<_> = for_tool(&server, "emit_requirements").collect();
    assert_eq!(calls.len(), 2);
    let repair = user_text(&calls[1].body);
    assert!(repair.contains("was rejected"), "{repair}");
    assert!(repair.contains("requirements[0].source_hint"), "{repair}");
    assert!(repair.contains("not a verbatim excerpt"), "{repair}");
    assert!(
        repair.contains("requirements[1].id: duplicate id \\\"FR-001\\\"")
            || repair.contains("duplicate id \"FR-001\""),
        "{repair}"
    );
    let usage = planned
        .usage
        .sections
        .iter()
        .find(|s| s.section == SectionName::Requirements)
        .unwrap();
    assert_eq!(usage.attempts, 2);
    for t in &planned.pack.trace {
        assert!(text.contains(t.source_hint.as_str()));
    }
}

#[tokio::test]
async fn a_section_that_stays_invalid_fails_naming_it() {
    let text = prd("grocery-tiny.txt");
    let server = stand_in_for(&text, None).await;
    let org = OrgConstraints::default();
    let mut core = pass_planner::offline::draft_pack(&text, &org, false).core;
    core.summary = "  ".to_owned();
    for _ in 0..2 {
        server.push_for(
            "emit_core",
            Behaviour::ToolInput(serde_json::to_value(&core).unwrap()),
        );
    }
    let err = plan_on(&server, &text, None, &[("PASS_PLANNER_MAX_ATTEMPTS", "2")])
        .await
        .unwrap_err();
    let message = err.to_string();
    assert!(
        matches!(
            err,
            PlannerError::SectionInvalid {
                section: SectionName::Core,
                attempts: 2,
                ..
            }
        ),
        "{message}"
    );
    assert!(message.contains("section `core` (anthropic)"), "{message}");
    assert!(message.contains("summary: must not be empty"), "{message}");
}

#[tokio::test]
async fn a_max_tokens_stop_is_retried_once_with_double_the_budget() {
    let text = prd("grocery-tiny.txt");
    let server = stand_in_for(&text, None).await;
    server.push_for("emit_architecture", Behaviour::MaxTokens);
    plan_on(
        &server,
        &text,
        None,
        &[("ANTHROPIC_ARCHITECTURE_MAX_TOKENS", "3000")],
    )
    .await
    .unwrap();
    let budgets: Vec<u64> = for_tool(&server, "emit_architecture")
        .map(|r| r.body["max_tokens"].as_u64().unwrap())
        .collect();
    assert_eq!(budgets, [3000, 6000]);

    // Twice in a row is an error that says so.
    server.push_for("emit_architecture", Behaviour::MaxTokens);
    server.push_for("emit_architecture", Behaviour::MaxTokens);
    let err = plan_on(&server, &text, None, &[]).await.unwrap_err();
    assert!(err.to_string().contains("section `architecture` (anthropic): Anthropic stopped at the output limit of 16384 tokens"), "{err}");
}

#[tokio::test]
async fn a_rejected_key_fails_at_once_with_a_clear_message() {
    let text = prd("grocery-tiny.txt");
    let server = stand_in_for(&text, None).await;
    let base = server.base_url();
    let config = config(&[
        ("ANTHROPIC_API_KEY", "sk-ant-wrong"),
        ("ANTHROPIC_BASE_URL", base.as_str()),
    ]);
    let err = plan(&text, None, Uuid::new_v4(), &config, None)
        .await
        .unwrap_err();
    let message = err.to_string();
    assert!(
        message.contains("Anthropic rejected ANTHROPIC_API_KEY (401)"),
        "{message}"
    );
    assert!(message.contains("section `core`"), "{message}");
    assert!(!message.contains("sk-ant-wrong"), "{message}");
    assert_eq!(server.requests().len(), 1, "no retry on 401");
}

#[tokio::test]
async fn strict_org_constraints_are_enforced_by_repair() {
    let text = prd("clinic-booking-ids.md");
    let org = "strictness: strict\narchitecture_preference: monolith\ncloud:\n  allowed_services: [rds, s3]\n";
    let server = stand_in_for(&text, Some(org)).await;
    let bad = json!({
        "approach": "a", "name": "CareSlot", "description": "d", "style": "api_worker",
        "components": [
            {"name": "API", "type": "api", "technology": "fastify", "cloud_service": "", "publicly_accessible": true, "responsibility": "r"},
            {"name": "Worker", "type": "worker", "technology": "typescript", "cloud_service": "", "publicly_accessible": false, "responsibility": "r"},
            {"name": "Queue", "type": "queue", "technology": "sqs", "cloud_service": "sqs", "publicly_accessible": false, "responsibility": "r"},
            {"name": "DB", "type": "db", "technology": "mysql", "cloud_service": "rds", "publicly_accessible": true, "responsibility": "r"}
        ],
        "data_flows": [{"from": "API", "to": "DB", "description": "reads"}],
        "async_patterns": [], "api_surface": [], "pros": [], "cons": [], "risks": [], "rationale": "r"
    });
    server.push_for("emit_architecture", Behaviour::ToolInput(bad.clone()));
    let planned = plan_on(&server, &text, Some(org), &[]).await.unwrap();
    let calls: Vec<_> = for_tool(&server, "emit_architecture").collect();
    assert_eq!(calls.len(), 2);
    let repair = user_text(&calls[1].body);
    for expected in [
        "component \\\"Queue\\\" breaks org constraint cloud.allowed_services",
        "component \\\"DB\\\" breaks org constraint stack.primary_db",
        "component \\\"DB\\\" breaks org constraint security.allow_public_db",
        "org constraint architecture_preference",
    ] {
        let plain = expected.replace("\\\"", "\"");
        assert!(
            repair.contains(expected) || repair.contains(&plain),
            "{expected} not in {repair}"
        );
    }
    assert!(
        !planned
            .pack
            .architecture
            .components
            .iter()
            .any(|c| c.name == "Worker")
    );

    // Never fixed: the run fails naming the component and the rule.
    for _ in 0..3 {
        server.push_for("emit_architecture", Behaviour::ToolInput(bad.clone()));
    }
    let err = plan_on(&server, &text, Some(org), &[]).await.unwrap_err();
    let message = err.to_string();
    assert!(message.contains("section `architecture`"), "{message}");
    assert!(
        message.contains("component \"Queue\" breaks org constraint cloud.allowed_services"),
        "{message}"
    );
}

#[tokio::test]
async fn prefer_records_deviations_instead_of_failing() {
    let text = prd("grocery-tiny.txt");
    let org = "strictness: prefer\nstack:\n  primary_db: postgres\n";
    let server = stand_in_for(&text, Some(org)).await;
    server.push_for(
        "emit_architecture",
        Behaviour::ToolInput(json!({
            "approach": "a", "name": "Todo", "description": "d", "style": "monolith",
            "components": [
                {"name": "API", "type": "api", "technology": "fastify", "cloud_service": "", "publicly_accessible": true, "responsibility": "r"},
                {"name": "Store", "type": "db", "technology": "mongodb", "cloud_service": "", "publicly_accessible": false, "responsibility": "r"}
            ],
            "data_flows": [{"from": "API", "to": "Store", "description": "reads"}],
            "async_patterns": [], "api_surface": [], "pros": [], "cons": [], "risks": [], "rationale": "r"
        })),
    );
    // Later sections name the offline reader's components; answer them for this design.
    server.push_for(
        "emit_implementation",
        Behaviour::ToolInput(json!({
            "summary": "s", "iac_summary": "i", "iac_modules": [], "logic_requirements": [],
            "coordination_views": [], "question_sources": [], "required_signals": [], "dashboard_panels": []
        })),
    );
    server.push_for("emit_refinement", Behaviour::ToolInput(json!({"editable_components": ["API"], "suggested_questions": [], "editable_topics": []})));
    let issues: Vec<Value> = ["REQ-001", "REQ-002", "REQ-003"]
        .iter()
        .enumerate()
        .map(|(i, r)| json!({
            "id": format!("ISSUE-{}", i + 1), "title": format!("Do {r}"), "summary": "s", "details": "d", "test_strategy": "t",
            "implements": [r], "partially_implements": [], "components": ["API", "Store"],
            "depends_on": if i == 0 { json!([]) } else { json!(["ISSUE-1"]) },
            "size": "s", "priority": "must", "acceptance_criteria": [format!("{r} works")]
        }))
        .collect();
    server.push_for(
        "emit_issue_plan",
        Behaviour::ToolInput(json!({"approach": "a", "issues": issues, "left_out": []})),
    );
    let planned = plan_on(&server, &text, Some(org), &[]).await.unwrap();
    assert!(
        planned
            .pack
            .assumptions
            .iter()
            .any(|a| a.contains("component \"Store\" breaks org constraint stack.primary_db")),
        "{:?}",
        planned.pack.assumptions
    );
    let labels: Vec<&str> = planned.pack.implementation.github_issue_plan[1]
        .labels
        .iter()
        .map(|l| l.as_str())
        .collect();
    assert_eq!(
        labels,
        [
            "priority:must",
            "size:s",
            "component:api",
            "component:store"
        ]
    );
    assert_eq!(
        planned.pack.coverage[0].notes.as_deref(),
        Some("covered by ISSUE-1")
    );
}

#[tokio::test]
async fn the_token_cap_stops_the_run_before_it_is_crossed() {
    let text = prd("shelf-board-tagged.txt");
    let server = stand_in_for(&text, None).await;
    let err = plan_on(
        &server,
        &text,
        None,
        &[("PASS_PLANNER_MAX_TOKENS", "30000")],
    )
    .await
    .unwrap_err();
    assert!(
        matches!(err, PlannerError::TokenBudget { limit: 30_000, .. }),
        "{err}"
    );
    assert!(
        err.to_string().contains("PASS_PLANNER_MAX_TOKENS is 30000"),
        "{err}"
    );
    let mut spent = 0;
    for r in server.requests() {
        assert_eq!(r.status, 200);
        spent += r.body.to_string().len() / 4;
    }
    assert!(spent < 30_000, "the stand-in saw about {spent} tokens");
    assert!(server.requests().len() < 9);
}

#[tokio::test]
async fn a_failed_run_resumes_from_its_checkpoints() {
    let text = prd("clinic-booking-ids.md");
    let server = stand_in_for(&text, None).await;
    let dir = tempfile::tempdir().unwrap();
    server.push_for(
        "emit_issue_plan",
        Behaviour::invalid_request("prompt is too long"),
    );
    let config = anthropic_config(&server, &[]);
    let err = plan_to_dir(&text, None, dir.path(), &config)
        .await
        .unwrap_err();
    assert!(
        err.to_string().contains(
            "Anthropic refused the request (400 invalid_request_error): prompt is too long"
        ),
        "{err}"
    );
    assert!(err.to_string().contains("section `issue_plan`"), "{err}");
    assert_eq!(server.requests().len(), 9);

    let out = plan_to_dir(&text, None, dir.path(), &config).await.unwrap();
    let again: Vec<_> = server.requests().into_iter().skip(9).collect();
    assert_eq!(again.len(), 1, "only the missing section is paid for again");
    assert_eq!(again[0].tool.as_deref(), Some("emit_issue_plan"));
    let from_checkpoint = out
        .usage
        .sections
        .iter()
        .filter(|s| s.from_checkpoint)
        .count();
    assert_eq!(from_checkpoint, 8);
    assert!(out.pack_path.exists());
}

#[tokio::test]
async fn connection_errors_are_retried_then_reported() {
    let listener = std::net::TcpListener::bind("127.0.0.1:0").unwrap();
    let port = listener.local_addr().unwrap().port();
    drop(listener);
    let base = format!("http://127.0.0.1:{port}/v1");
    let config = config(&[
        ("ANTHROPIC_API_KEY", "sk-ant-x"),
        ("ANTHROPIC_BASE_URL", base.as_str()),
        ("PASS_LLM_MAX_RETRIES", "2"),
        ("PASS_LLM_RETRY_BASE_MS", "5"),
    ]);
    let err = plan(
        &prd("grocery-tiny.txt"),
        None,
        Uuid::new_v4(),
        &config,
        None,
    )
    .await
    .unwrap_err();
    let message = err.to_string();
    assert!(
        message
            .contains("section `core` (anthropic): Anthropic could not be reached after 3 calls"),
        "{message}"
    );
}

#[tokio::test]
async fn a_long_prd_is_shortened_for_the_model_and_the_pack_says_so() {
    let text = prd("shelf-board-tagged.txt");
    let server = stand_in_for(&text, None).await;
    let planned = plan_on(
        &server,
        &text,
        None,
        &[("PASS_PLANNER_MAX_PROMPT_CHARS", "2000")],
    )
    .await
    .unwrap();
    let block = server.requests()[0].body["system"][1]["text"]
        .as_str()
        .unwrap()
        .to_owned();
    assert!(
        block.contains(&format!(
            "The PRD above is the first 2000 of {} characters",
            text.chars().count()
        )),
        "{block}"
    );
    assert!(!block.contains("### Could Have"), "the tail was not sent");
    assert!(
        planned
            .pack
            .assumptions
            .iter()
            .any(|a| a.contains("only the first 2000 were sent")),
        "{:?}",
        planned.pack.assumptions
    );
    assert_eq!(
        planned.pack.prd.raw_text.as_str(),
        text,
        "the pack keeps the whole PRD"
    );
}
