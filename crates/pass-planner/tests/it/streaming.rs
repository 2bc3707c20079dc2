//! Streamed answers: `ANTHROPIC_TIMEOUT_MS` bounds silence, not a whole
//! answer; a timeout is reported, not retried blindly; overloads inside a
//! stream and gateway timeouts are retried like other 5xx.

use std::time::{Duration, Instant};

use pass_planner::sections::SectionName;
use pass_testkit::anthropic::{AnthropicStandIn, Behaviour, Options};

use crate::anthropic::{for_tool, plan_on, stand_in_for};
use crate::support::{offline_answers, prd};

fn section_usage(planned: &pass_planner::Planned, section: SectionName) -> (u32, u64) {
    let usage = planned
        .usage
        .sections
        .iter()
        .find(|s| s.section == section)
        .unwrap();
    (usage.calls, usage.latency_ms)
}

#[tokio::test]
async fn a_stream_that_goes_silent_fails_once_naming_the_setting() {
    let text = prd("grocery-tiny.txt");
    let server = stand_in_for(&text, None).await;
    server.push_for(
        "emit_core",
        Behaviour::Stall {
            after_events: 3,
            silence: Duration::from_secs(3),
        },
    );
    let started = Instant::now();
    let err = plan_on(&server, &text, None, &[("ANTHROPIC_TIMEOUT_MS", "300")])
        .await
        .unwrap_err();
    let message = err.to_string();
    assert!(
        message.contains(
            "Anthropic sent nothing for 300 ms while the answer was arriving (ANTHROPIC_TIMEOUT_MS)"
        ),
        "{message}"
    );
    assert!(message.contains("not retried"), "{message}");
    assert_eq!(for_tool(&server, "emit_core").count(), 1, "no blind retry");
    assert!(
        started.elapsed() < Duration::from_secs(3),
        "{:?}",
        started.elapsed()
    );
}

#[tokio::test]
async fn an_answer_that_does_not_start_in_time_is_not_retried_either() {
    let text = prd("grocery-tiny.txt");
    let server = AnthropicStandIn::start_with(Options {
        latency: Duration::from_millis(1_500),
        ..Options::default()
    })
    .await
    .unwrap();
    server.set_responder(offline_answers(
        &text,
        &pass_contracts::OrgConstraints::default(),
        false,
    ));
    let err = plan_on(&server, &text, None, &[("ANTHROPIC_TIMEOUT_MS", "200")])
        .await
        .unwrap_err();
    assert!(
        err.to_string()
            .contains("sent nothing for 200 ms while waiting for the answer to start"),
        "{err}"
    );
    assert_eq!(server.received(), 1, "no blind retry");
    assert!(server.requests().is_empty(), "the caller hung up first");
}

#[tokio::test]
async fn a_long_answer_that_keeps_arriving_is_not_cut_off() {
    let text = prd("grocery-tiny.txt");
    let server = stand_in_for(&text, None).await;
    server.push_for(
        "emit_requirements",
        Behaviour::Paced {
            interval: Duration::from_millis(80),
        },
    );
    let planned = plan_on(&server, &text, None, &[("ANTHROPIC_TIMEOUT_MS", "400")])
        .await
        .unwrap();
    let (calls, latency_ms) = section_usage(&planned, SectionName::Requirements);
    assert_eq!(calls, 1);
    assert!(
        latency_ms > 800,
        "the answer took {latency_ms} ms in all, twice the silence bound"
    );
    assert_eq!(planned.pack.requirements.len(), 3);
}

#[tokio::test]
async fn an_overload_inside_the_stream_is_retried() {
    let text = prd("grocery-tiny.txt");
    let server = stand_in_for(&text, None).await;
    server.push_for(
        "emit_domain",
        Behaviour::StreamError {
            kind: "overloaded_error".to_owned(),
            message: "Overloaded".to_owned(),
        },
    );
    let planned = plan_on(&server, &text, None, &[]).await.unwrap();
    assert_eq!(for_tool(&server, "emit_domain").count(), 2);
    assert_eq!(section_usage(&planned, SectionName::Domain).0, 2);
}

#[tokio::test]
async fn a_gateway_timeout_is_retried_like_other_5xx() {
    let text = prd("grocery-tiny.txt");
    let server = stand_in_for(&text, None).await;
    server.push_for("emit_core", Behaviour::gateway_timeout());
    server.push_for("emit_core", Behaviour::gateway_timeout());
    let planned = plan_on(&server, &text, None, &[]).await.unwrap();
    let statuses: Vec<u16> = for_tool(&server, "emit_core").map(|r| r.status).collect();
    assert_eq!(statuses, [504, 504, 200]);
    assert_eq!(section_usage(&planned, SectionName::Core).0, 3);
}
