//! The coordination rail as users drive it: questions, answers, approval,
//! a refinement that re-plans only what it touches and syncs only what
//! changed, and a sync that pauses for a blocking question and resumes.

use std::collections::BTreeMap;
use std::time::{Duration, Instant};

use pass_client::PassClient;
use pass_contracts::artifacts::names;
use pass_contracts::coordination::{AcceptDefault, NewClarification};
use pass_contracts::{ArchitecturePack, ExecutionStatus, PlanDiff, Text, WorkflowName};
use pass_implementation::marker::parse_body;
use pass_testkit::github::{GithubStandIn, StoredIssue};
use secrecy::SecretString;
use uuid::Uuid;

use crate::{assert_success, pass_command, spawn_serve, stderr, stdout};

const TOKEN: &str = "coordination-test-token";
const GITHUB_TOKEN: &str = "ghp_coordination_test";

const PANTRY: &str = "# Pantry Pal

A small web app that helps a household track what is in the pantry.

## Requirements

- Members sign in with an email link.
- Members add an item with a name, quantity and expiry date.
- Members see items that expire within three days on the home page.
- Members share the pantry with the rest of the household.
- The app sends a weekly email digest of expiring items.
";

fn github_env(github: &GithubStandIn) -> Vec<(&'static str, String)> {
    vec![
        ("PASS_ISSUE_TARGET", "github".to_owned()),
        ("GITHUB_API_URL", github.base_url()),
        ("GITHUB_ISSUES_REPOSITORY", "acme/pantry".to_owned()),
        ("GITHUB_ISSUES_TOKEN", GITHUB_TOKEN.to_owned()),
        ("PASS_GITHUB_WRITE_INTERVAL_MS", "0".to_owned()),
    ]
}

/// `pass ARGS --api API` with the token (and the GitHub target, for `sync`).
fn pass_api(api: &str, github: &GithubStandIn, args: &[&str]) -> std::process::Output {
    let mut all = args.to_vec();
    all.extend(["--api", api]);
    let mut command = pass_command(&all);
    command.env("PASS_API_TOKEN", TOKEN);
    for (name, value) in github_env(github) {
        command.env(name, value);
    }
    command.output().unwrap()
}

fn run_id_of(output: &std::process::Output) -> Uuid {
    let out = stdout(output);
    let id = out.split_whitespace().nth(1).unwrap().trim_end_matches(':');
    Uuid::parse_str(id).unwrap()
}

async fn pack_of(client: &PassClient, run_id: Uuid) -> ArchitecturePack {
    serde_json::from_value(
        client
            .get_artifact(run_id, names::ARCHITECTURE_PACK)
            .await
            .unwrap()
            .payload,
    )
    .unwrap()
}

fn json<T: serde::Serialize>(value: &T) -> String {
    serde_json::to_string(value).unwrap()
}

fn backlog(github: &GithubStandIn) -> BTreeMap<String, StoredIssue> {
    let mut found = BTreeMap::new();
    for issue in github.issues() {
        let Some(marked) = issue.body.as_deref().and_then(parse_body) else {
            continue;
        };
        assert!(
            found
                .insert(marked.marker.plan_item_id.clone(), issue)
                .is_none(),
            "two issues for {}",
            marked.marker.plan_item_id
        );
    }
    found
}

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn sqlite_instead_of_postgresql_re_plans_the_data_store_and_syncs_only_what_changed() {
    let dir = tempfile::tempdir().unwrap();
    let github = GithubStandIn::start("acme", "pantry", GITHUB_TOKEN)
        .await
        .unwrap();
    let serve = spawn_serve(&dir.path().join("runs"), TOKEN, &github_env(&github)).await;
    let api = PassClient::new(&serve.base_url, Some(SecretString::from(TOKEN))).unwrap();
    let prd = dir.path().join("pantry.md");
    fs_err::write(&prd, PANTRY).unwrap();
    let first = pass_api(
        &serve.base_url,
        &github,
        &["run", prd.to_str().unwrap(), "--sync-issues"],
    );
    assert_success(&first);
    assert!(
        stderr(&first).contains("accepted the plan's default"),
        "the defaults the sync relies on are shown: {}",
        stderr(&first)
    );
    let first_run = run_id_of(&first);
    let first_run_text = first_run.to_string();
    let before = pack_of(&api, first_run).await;
    assert!(json(&before.architecture).contains("PostgreSQL"));
    let issues_before = backlog(&github);

    let questions = pass_api(
        &serve.base_url,
        &github,
        &["questions", &first_run.to_string()],
    );
    assert_success(&questions);
    assert!(
        stdout(&questions).contains("defaulted"),
        "{}",
        stdout(&questions)
    );
    // PASS_JSON=true asks for JSON as --json does, as for every command that has it.
    let as_json = pass_command(&["questions", &first_run_text, "--api", &serve.base_url])
        .env("PASS_API_TOKEN", TOKEN)
        .env("PASS_JSON", "true")
        .output()
        .unwrap();
    assert_success(&as_json);
    let listed: serde_json::Value = serde_json::from_str(&stdout(&as_json)).unwrap();
    assert!(listed.to_string().contains("defaulted"), "{listed}");

    let refined = pass_api(
        &serve.base_url,
        &github,
        &["refine", "pantry pal", "Use SQLite instead of PostgreSQL"],
    );
    assert_success(&refined);
    let out = stdout(&refined);
    assert!(out.contains("revision 2"), "{out}");
    assert!(
        out.contains("for: Use SQLite instead of PostgreSQL"),
        "{out}"
    );
    assert!(out.contains("Database (SQLite)"), "{out}");
    let project = api.get_run(first_run).await.unwrap().run.project();
    let detail = api.get_project(project).await.unwrap();
    let second_run = detail.revisions[1].run_id;
    let after = pack_of(&api, second_run).await;
    assert!(json(&after.architecture.data_stores).contains("SQLite"));
    assert!(
        !json(&after.architecture)
            .to_lowercase()
            .contains("postgres")
    );
    for (name, then, now) in [
        (
            "requirements",
            json(&before.requirements),
            json(&after.requirements),
        ),
        (
            "clarifications",
            json(&before.clarifications),
            json(&after.clarifications),
        ),
        ("workflows", json(&before.workflows), json(&after.workflows)),
        ("entities", json(&before.entities), json(&after.entities)),
        ("nfrs", json(&before.nfrs), json(&after.nfrs)),
        ("trace", json(&before.trace), json(&after.trace)),
    ] {
        assert_eq!(then, now, "{name} must be carried over unchanged");
    }
    let diff: PlanDiff = serde_json::from_value(
        api.get_artifact(second_run, names::PLAN_DIFF)
            .await
            .unwrap()
            .payload,
    )
    .unwrap();
    assert!(
        diff.components
            .changed
            .iter()
            .any(|c| c.id.as_str() == "Database (SQLite)")
    );
    assert!(diff.requirements.is_empty());
    let changed: Vec<String> = diff
        .plan_items
        .changed
        .iter()
        .map(|c| c.id.to_string())
        .collect();
    assert!(!changed.is_empty());
    assert!(
        diff.plan_items
            .changed
            .iter()
            .all(|c| c.because.as_deref() == Some("Use SQLite instead of PostgreSQL"))
    );
    assert!(diff.plan_items.added.is_empty() && diff.plan_items.removed.is_empty());

    // The revision waits for its approval; then only the changed issues are
    // written, each with one comment saying why.
    let refused = pass_api(
        &serve.base_url,
        &github,
        &["sync", "--run-id", &second_run.to_string()],
    );
    assert!(!refused.status.success());
    assert!(
        stderr(&refused).contains("pass approve"),
        "{}",
        stderr(&refused)
    );
    assert_success(&pass_api(
        &serve.base_url,
        &github,
        &["approve", &second_run.to_string()],
    ));
    github.clear_requests();
    let synced = pass_api(
        &serve.base_url,
        &github,
        &["sync", "--run-id", &second_run.to_string()],
    );
    assert_success(&synced);
    let writes = github.writes();
    let patched: Vec<u64> = writes
        .iter()
        .filter(|w| w.method == "PATCH")
        .map(|w| w.path.rsplit('/').next().unwrap().parse().unwrap())
        .collect();
    let commented: Vec<u64> = writes
        .iter()
        .filter(|w| w.method == "POST" && w.path.ends_with("/comments"))
        .map(|w| w.path.split('/').nth(5).unwrap().parse().unwrap())
        .collect();
    let mut expected: Vec<u64> = changed.iter().map(|id| issues_before[id].number).collect();
    expected.sort_unstable();
    let mut patched_sorted = patched.clone();
    patched_sorted.sort_unstable();
    assert_eq!(
        patched_sorted, expected,
        "exactly the changed items' issues are updated"
    );
    let mut commented_sorted = commented.clone();
    commented_sorted.sort_unstable();
    assert_eq!(commented_sorted, expected, "one comment on each");
    let labels: Vec<&str> = writes
        .iter()
        .filter(|w| w.path.ends_with("/labels"))
        .map(|w| w.body.as_ref().unwrap()["name"].as_str().unwrap())
        .collect();
    assert_eq!(
        labels,
        vec!["component:database-sqlite"],
        "the renamed component's label is made"
    );
    assert_eq!(writes.len(), expected.len() * 2 + 1, "{writes:?}");
    for number in expected {
        let issue = github.issue(number).unwrap();
        assert!(issue.body.unwrap().contains("SQLite"));
        assert!(
            issue
                .comments
                .last()
                .unwrap()
                .body
                .contains("Use SQLite instead of PostgreSQL")
        );
    }
}

async fn wait_until(what: &str, mut check: impl AsyncFnMut() -> bool) {
    let deadline = Instant::now() + Duration::from_secs(60);
    while !check().await {
        assert!(Instant::now() < deadline, "{what} did not happen");
        tokio::time::sleep(Duration::from_millis(50)).await;
    }
}

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn a_blocking_question_pauses_a_sync_and_settling_it_resumes_with_nothing_skipped_or_doubled()
{
    let dir = tempfile::tempdir().unwrap();
    let github = GithubStandIn::start("acme", "pantry", GITHUB_TOKEN)
        .await
        .unwrap();
    let serve = spawn_serve(&dir.path().join("runs"), TOKEN, &github_env(&github)).await;
    let api = PassClient::new(&serve.base_url, Some(SecretString::from(TOKEN))).unwrap();
    let prd = dir.path().join("pantry.md");
    fs_err::write(&prd, PANTRY).unwrap();
    let planned = pass_api(&serve.base_url, &github, &["run", prd.to_str().unwrap()]);
    assert_success(&planned);
    let run_id = run_id_of(&planned);
    assert_success(&pass_api(
        &serve.base_url,
        &github,
        &["approve", &run_id.to_string(), "--accept-defaults"],
    ));
    let items: Vec<String> = pack_of(&api, run_id)
        .await
        .implementation
        .github_issue_plan
        .iter()
        .map(|i| i.id.to_string())
        .collect();

    github.set_write_delay(Duration::from_millis(300));
    let first = api
        .dispatch(run_id, WorkflowName::Implementation)
        .await
        .unwrap()
        .execution;
    wait_until("the first issue", async || !github.issues().is_empty()).await;
    let asked = api
        .add_clarification(
            run_id,
            &NewClarification {
                question: Text::new("Must the data stay in the EU?").unwrap(),
                why: None,
                default_assumption: Some(Text::new("Yes, EU regions only").unwrap()),
                blocking: true,
                affects: Vec::new(),
                asked_by: Some(Text::new("compliance").unwrap()),
            },
        )
        .await
        .unwrap();
    wait_until("the pause", async || {
        api.get_run(run_id)
            .await
            .unwrap()
            .run
            .execution
            .is_some_and(|e| {
                e.execution_id == first.execution_id && e.status == ExecutionStatus::Paused
            })
    })
    .await;
    let paused_with = backlog(&github).len();
    assert!(
        paused_with < items.len(),
        "paused before the end: {paused_with} of {}",
        items.len()
    );
    let run = api.get_run(run_id).await.unwrap().run;
    let state = run.implementation_state.unwrap();
    assert!(
        state
            .issues
            .iter()
            .any(|i| i.outcome == Some(pass_contracts::IssueOutcome::Pending))
    );
    tokio::time::sleep(Duration::from_millis(800)).await;
    assert_eq!(
        backlog(&github).len(),
        paused_with,
        "nothing is written while paused"
    );

    github.set_write_delay(Duration::ZERO);
    let outcome = api
        .accept_default(run_id, asked.id.as_str(), &AcceptDefault::default())
        .await
        .unwrap();
    assert!(
        outcome.resumed,
        "settling the question starts the sync again"
    );
    wait_until("the resumed sync's success", async || {
        api.get_run(run_id)
            .await
            .unwrap()
            .run
            .execution
            .is_some_and(|e| {
                e.execution_id != first.execution_id && e.status == ExecutionStatus::Succeeded
            })
    })
    .await;
    let found: Vec<String> = backlog(&github).into_keys().collect();
    let mut expected = items.clone();
    expected.sort();
    assert_eq!(found, expected, "every item once, none skipped");
}
