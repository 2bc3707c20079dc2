//! Packs, plans and trackers shared by the tests.

use std::path::PathBuf;
use std::time::Duration;

use pass_contracts::{ArchitecturePack, validate_pack_value};
use pass_implementation::config::GithubSettings;
use pass_implementation::{GithubTracker, RetryPolicy, SyncContext};
use pass_testkit::github::GithubStandIn;
use secrecy::SecretString;
use serde_json::{Value, json};
use uuid::Uuid;

pub const OWNER: &str = "acme";
pub const REPO: &str = "shop";
pub const TOKEN: &str = "ghp_test_token_never_logged";

pub fn run_id() -> Uuid {
    Uuid::parse_str("6f1c2c8e-6a4e-4a57-9d57-3f3b8f2f4a10").unwrap()
}

/// The run as its own project, the seed's way of working.
pub fn context() -> SyncContext {
    SyncContext::single_run(run_id())
}

/// A plan item as JSON; `depends_on` names other items.
pub fn item(id: &str, depends_on: &[&str]) -> Value {
    json!({
        "id": id,
        "title": format!("Build {id}"),
        "summary": format!("Summary of {id}."),
        "body": format!("What {id} is about."),
        "labels": ["pass", format!("area-{}", id.len() % 3)],
        "depends_on": depends_on,
        "acceptance_criteria": [format!("{id} works")],
    })
}

/// `n` items; every third one depends on the two before it.
pub fn items(n: usize) -> Vec<Value> {
    (1..=n)
        .map(|i| {
            let id = format!("item-{i}");
            if i % 3 == 0 {
                item(
                    &id,
                    &[&format!("item-{}", i - 1), &format!("item-{}", i - 2)],
                )
            } else {
                item(&id, &[])
            }
        })
        .collect()
}

pub fn pack_json(plan: Vec<Value>) -> Value {
    json!({
        "pack_version": "0.1",
        "run_id": run_id(),
        "created_at": "2026-02-26T00:00:00.000Z",
        "tool": { "name": "PASS-2A", "version": "0.1.0" },
        "prd": { "raw_text": "A shop.", "summary": "A shop." },
        "architecture": {
            "name": "Shop",
            "description": "A web shop.",
            "components": [{ "name": "api", "type": "api" }],
            "rationale": "Small."
        },
        "implementation": {
            "summary": "Build it.",
            "iac_handoff": { "summary": "None." },
            "github_issue_plan": plan
        }
    })
}

/// A validated pack around `plan`.
pub fn pack(plan: Vec<Value>) -> ArchitecturePack {
    match validate_pack_value(&pack_json(plan)) {
        Ok(pack) => pack,
        Err(problems) => panic!("test pack invalid: {problems:?}"),
    }
}

pub async fn stand_in() -> GithubStandIn {
    GithubStandIn::start(OWNER, REPO, TOKEN).await.unwrap()
}

pub fn settings(stand_in: &GithubStandIn) -> GithubSettings {
    GithubSettings {
        api_url: stand_in.base_url().parse().unwrap(),
        owner: OWNER.to_owned(),
        repo: REPO.to_owned(),
        token: SecretString::from(TOKEN),
        write_interval: Duration::ZERO,
    }
}

/// A tracker with short waits, so retry tests take milliseconds.
pub fn tracker(stand_in: &GithubStandIn) -> GithubTracker {
    GithubTracker::new(&settings(stand_in))
        .unwrap()
        .with_retry_policy(RetryPolicy {
            max_attempts: 4,
            base_delay: Duration::from_millis(10),
            secondary_wait: Duration::from_millis(50),
            time_budget: Duration::from_secs(5),
        })
}

pub fn temp_dir(tag: &str) -> PathBuf {
    let dir = std::env::temp_dir().join(format!("pass-implementation-{tag}-{}", Uuid::new_v4()));
    fs_err::create_dir_all(&dir).unwrap();
    dir
}
