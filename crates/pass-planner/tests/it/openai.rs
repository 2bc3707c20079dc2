//! The OpenAI-compatible path against its own stand-in.

use pass_contracts::OrgConstraints;
use pass_planner::{Planned, PlannerConfig, PlannerError, plan};
use pass_testkit::openai::{Behaviour, OpenAiStandIn};
use uuid::Uuid;

use crate::support::{config_with, offline_answers, prd};

async fn stand_in(prd_text: &str, key: Option<&str>) -> OpenAiStandIn {
    let server = OpenAiStandIn::start(key).await.unwrap();
    server.set_responder(offline_answers(prd_text, &OrgConstraints::default(), false));
    server
}

/// The OpenAI-compatible provider pointed at `server`, plus `extra`.
fn openai_config(server: &OpenAiStandIn, extra: &[(&str, &str)]) -> PlannerConfig {
    let base = server.base_url();
    config_with(
        &[
            ("PASS_LLM_PROVIDER", "openai"),
            ("OPENAI_BASE_URL", base.as_str()),
        ],
        extra,
    )
}

/// Plans `text` against `server` under [`openai_config`] plus `extra`.
async fn plan_on(
    server: &OpenAiStandIn,
    text: &str,
    extra: &[(&str, &str)],
) -> Result<Planned, PlannerError> {
    plan(
        text,
        None,
        Uuid::new_v4(),
        &openai_config(server, extra),
        None,
    )
    .await
}

#[tokio::test]
async fn structured_output_through_chat_completions() {
    let text = prd("shelf-board-tagged.txt");
    let server = stand_in(&text, Some("sk-openai-test")).await;
    let config = openai_config(
        &server,
        &[
            ("OPENAI_API_KEY", "sk-openai-test"),
            ("OPENAI_MODEL", "llama3.1"),
            ("PASS_LLM_RETRY_BASE_MS", "10"),
        ],
    );
    server.push_for("emit_domain", Behaviour::rate_limited(0));
    let planned = plan(&text, None, Uuid::new_v4(), &config, None)
        .await
        .unwrap();
    let requests = server.requests();
    assert_eq!(requests.len(), 10);
    for r in &requests {
        assert_eq!(r.headers["authorization"], "Bearer sk-openai-test");
        assert_eq!(r.body["model"], "llama3.1");
        let format = &r.body["response_format"];
        assert_eq!(format["type"], "json_schema");
        assert_eq!(format["json_schema"]["strict"], true);
        assert_eq!(
            format["json_schema"]["schema"]["additionalProperties"],
            false
        );
        let data = r.body["messages"][1]["content"].as_str().unwrap();
        let reads_prd = !["emit_refinement", "emit_implementation"]
            .contains(&r.schema_name.as_deref().unwrap());
        assert_eq!(data.starts_with("<prd>"), reads_prd, "{data}");
        assert!(
            r.body["max_completion_tokens"].as_u64().is_some(),
            "{}",
            r.body
        );
        assert!(r.body.get("max_tokens").is_none(), "{}", r.body);
        assert!(r.body.get("tools").is_none());
        for message in r.body["messages"].as_array().unwrap() {
            let content = message["content"].as_str().unwrap().to_lowercase();
            for phrase in ["call the tool", "calling the tool", "tool call"] {
                assert!(!content.contains(phrase), "{content}");
            }
        }
        let system = r.body["messages"][0]["content"].as_str().unwrap();
        assert!(system.contains("one JSON object"), "{system}");
    }
    assert_eq!(planned.usage.provider.as_str(), "openai");
    assert_eq!(planned.usage.model, "llama3.1");
    let answered = pass_planner::offline::draft_pack(&text, &OrgConstraints::default(), false)
        .requirements
        .requirements
        .len();
    assert_eq!(planned.pack.requirements.len(), answered);
}

#[tokio::test]
async fn a_wrong_key_names_the_variable_and_a_local_server_needs_none() {
    let text = prd("grocery-tiny.txt");
    let server = stand_in(&text, Some("right")).await;
    let err = plan_on(&server, &text, &[("OPENAI_API_KEY", "wrong")])
        .await
        .unwrap_err();
    assert!(
        err.to_string()
            .contains("rejected OPENAI_API_KEY (401): Incorrect API key provided"),
        "{err}"
    );

    let local = stand_in(&text, None).await;
    let planned = plan_on(&local, &text, &[]).await.unwrap();
    assert!(
        local
            .requests()
            .iter()
            .all(|r| !r.headers.contains_key("authorization"))
    );
    assert_eq!(planned.pack.requirements.len(), 3);
}

#[tokio::test]
async fn an_unreadable_answer_is_asked_again() {
    let text = prd("grocery-tiny.txt");
    let server = stand_in(&text, None).await;
    server.push_for(
        "emit_core",
        Behaviour::RawContent("Sure! Here is the core section: {".to_owned()),
    );
    let planned = plan_on(&server, &text, &[]).await.unwrap();
    let core: Vec<_> = server
        .requests()
        .into_iter()
        .filter(|r| r.schema_name.as_deref() == Some("emit_core"))
        .collect();
    assert_eq!(core.len(), 2);
    let retry = core[1].body["messages"][2]["content"].as_str().unwrap();
    assert!(
        retry.contains("could not be read (choices[0].message.content is not JSON"),
        "{retry}"
    );
    assert_eq!(planned.usage.sections[0].attempts, 2);
}

#[tokio::test]
async fn a_reasoning_model_gets_its_budget_as_max_completion_tokens() {
    let text = prd("grocery-tiny.txt");
    let server = stand_in(&text, None).await;
    let planned = plan_on(
        &server,
        &text,
        &[
            ("OPENAI_MODEL", "o4-mini"),
            ("ANTHROPIC_CORE_MAX_TOKENS", "5000"),
        ],
    )
    .await
    .unwrap();
    assert_eq!(planned.usage.model, "o4-mini");
    let core = server
        .requests()
        .into_iter()
        .find(|r| r.schema_name.as_deref() == Some("emit_core"))
        .unwrap();
    assert_eq!(core.status, 200);
    assert_eq!(core.body["max_completion_tokens"], 5000);
}
