//! One living backlog per project, as users drive it: `pass serve` with its
//! agents syncing into the GitHub stand-in, `pass run` for each revision of a
//! PRD, `pass sync` beside the server, people editing issues in between, two
//! syncs at once, and a server killed in the middle of a sync.

use std::collections::BTreeMap;
use std::path::Path;
use std::process::Stdio;
use std::time::{Duration, Instant};

use pass_client::PassClient;
use pass_contracts::artifacts::names;
use pass_contracts::{ArchitecturePack, ExecutionStatus, PlanDiff, RunDetail, WorkflowName};
use pass_implementation::marker::parse_body;
use pass_testkit::github::{GithubStandIn, StoredIssue};
use secrecy::SecretString;
use uuid::Uuid;

use crate::{assert_success, pass_command, spawn_serve, spawn_serve_on, stderr, stdout};

const TOKEN: &str = "projects-test-token";
const GITHUB_TOKEN: &str = "ghp_projects_test";

/// The first version of a PRD written for these tests.
const PANTRY_V1: &str = "# Pantry Pal

A small web app that helps a household track what is in the pantry.

## Requirements

- Members sign in with an email link.
- Members add an item with a name, quantity and expiry date.
- Members see items that expire within three days on the home page.
- Members share the pantry with the rest of the household.
- The app sends a weekly email digest of expiring items.
";

/// The revised PRD: one requirement inserted in the middle, one dropped.
fn pantry_v2() -> String {
    PANTRY_V1
        .replace(
            "- Members see items",
            "- Members scan a product barcode to add an item.\n- Members see items",
        )
        .replace(
            "- The app sends a weekly email digest of expiring items.\n",
            "",
        )
}

/// What `pass serve` needs to let its agents write to the stand-in.
fn github_env(github: &GithubStandIn) -> Vec<(&'static str, String)> {
    vec![
        ("PASS_ISSUE_TARGET", "github".to_owned()),
        ("GITHUB_API_URL", github.base_url()),
        ("GITHUB_ISSUES_REPOSITORY", "acme/pantry".to_owned()),
        ("GITHUB_ISSUES_TOKEN", GITHUB_TOKEN.to_owned()),
        ("PASS_GITHUB_WRITE_INTERVAL_MS", "0".to_owned()),
    ]
}

fn client(base_url: &str) -> PassClient {
    PassClient::new(base_url, Some(SecretString::from(TOKEN))).unwrap()
}

/// `pass run PRD --sync-issues [--project NAME]` against `api`.
fn pass_run(api: &str, prd: &Path, project: Option<&str>) -> std::process::Output {
    let mut args = vec!["run", prd.to_str().unwrap(), "--api", api, "--sync-issues"];
    if let Some(project) = project {
        args.extend(["--project", project]);
    }
    let output = pass_command(&args)
        .env("PASS_API_TOKEN", TOKEN)
        .output()
        .unwrap();
    assert_success(&output);
    output
}

/// The run id `pass run` printed on its summary's first line.
fn printed_run_id(output: &std::process::Output) -> Uuid {
    let out = stdout(output);
    let id = out.split_whitespace().nth(1).unwrap().trim_end_matches(':');
    Uuid::parse_str(id).unwrap()
}

async fn pack_of(client: &PassClient, run_id: Uuid) -> ArchitecturePack {
    let artifact = client
        .get_artifact(run_id, names::ARCHITECTURE_PACK)
        .await
        .unwrap();
    serde_json::from_value(artifact.payload).unwrap()
}

/// The project's issues by plan item id; fails on a second issue for one item.
fn backlog(github: &GithubStandIn) -> BTreeMap<String, StoredIssue> {
    let mut found = BTreeMap::new();
    for issue in github.issues() {
        let Some(marked) = issue.body.as_deref().and_then(parse_body) else {
            continue;
        };
        let item = marked.marker.plan_item_id.clone();
        assert!(
            found.insert(item.clone(), issue).is_none(),
            "two issues for plan item {item}"
        );
    }
    found
}

fn open_items(github: &GithubStandIn) -> Vec<String> {
    backlog(github)
        .into_iter()
        .filter(|(_, issue)| issue.state == "open")
        .map(|(id, _)| id)
        .collect()
}

fn plan_ids(pack: &ArchitecturePack) -> Vec<String> {
    let mut ids: Vec<String> = pack
        .implementation
        .github_issue_plan
        .iter()
        .map(|i| i.id.to_string())
        .collect();
    ids.sort();
    ids
}

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn three_revisions_keep_one_backlog_and_create_only_what_was_added() {
    let dir = tempfile::tempdir().unwrap();
    let github = GithubStandIn::start("acme", "pantry", GITHUB_TOKEN)
        .await
        .unwrap();
    let serve = spawn_serve(&dir.path().join("runs"), TOKEN, &github_env(&github)).await;
    let api = client(&serve.base_url);
    let prd = dir.path().join("pantry.md");

    fs_err::write(&prd, PANTRY_V1).unwrap();
    let first = pass_run(&serve.base_url, &prd, Some("Pantry Pal"));
    assert!(
        stderr(&first).contains("revision 1 of project \"Pantry Pal\" (new project)"),
        "{}",
        stderr(&first)
    );
    let first_pack = pack_of(&api, printed_run_id(&first)).await;
    assert_eq!(open_items(&github), plan_ids(&first_pack));
    let created_first = github.issues().len();

    // The same PRD again, without --project: the project named after its title.
    github.clear_requests();
    let second = pass_run(&serve.base_url, &prd, None);
    assert!(
        stderr(&second).contains("revision 2 of project \"Pantry Pal\""),
        "{}",
        stderr(&second)
    );
    assert_eq!(
        github.writes(),
        vec![],
        "an unchanged revision writes nothing"
    );

    // A revised PRD: only the added items are created, the dropped one closed.
    fs_err::write(&prd, pantry_v2()).unwrap();
    github.clear_requests();
    let third = pass_run(&serve.base_url, &prd, None);
    let third_run = printed_run_id(&third);
    let third_pack = pack_of(&api, third_run).await;
    let diff: PlanDiff = serde_json::from_value(
        api.get_artifact(third_run, names::PLAN_DIFF)
            .await
            .unwrap()
            .payload,
    )
    .unwrap();
    assert_eq!(diff.previous_revision.get(), 2);
    assert!(!diff.requirements.added.is_empty() && !diff.requirements.removed.is_empty());
    let creates = github
        .writes()
        .iter()
        .filter(|w| w.method == "POST" && w.path == "/repos/acme/pantry/issues")
        .count();
    assert_eq!(creates, diff.plan_items.added.len());
    assert_eq!(
        github.issues().len(),
        created_first + diff.plan_items.added.len(),
        "creates = the first plan + the added items"
    );
    assert_eq!(
        open_items(&github),
        plan_ids(&third_pack),
        "open issues are exactly the latest plan's items"
    );
    for removed in &diff.plan_items.removed {
        let issue = &backlog(&github)[removed.id.as_str()];
        assert_eq!(
            (issue.state.as_str(), issue.state_reason.as_deref()),
            ("closed", Some("not_planned"))
        );
    }

    let shown = pass_command(&["projects", "show", "pantry pal", "--api", &serve.base_url])
        .env("PASS_API_TOKEN", TOKEN)
        .output()
        .unwrap();
    assert_success(&shown);
    let text = stdout(&shown);
    assert!(text.contains("issues to  github:acme/pantry"), "{text}");
    assert!(
        text.contains(&format!(
            "backlog    {} open, {} closed",
            plan_ids(&third_pack).len(),
            diff.plan_items.removed.len()
        )),
        "{text}"
    );
    assert_eq!(text.matches("exported").count(), 3, "{text}");
    let listed = pass_command(&["projects", "list", "--api", &serve.base_url])
        .env("PASS_API_TOKEN", TOKEN)
        .output()
        .unwrap();
    assert_success(&listed);
    assert!(
        stdout(&listed).contains("Pantry Pal"),
        "{}",
        stdout(&listed)
    );
}

/// `pass sync` run here (not on the server) with the GitHub target.
fn pass_sync(
    api: &str,
    github: &GithubStandIn,
    run_id: Uuid,
    extra: &[&str],
) -> std::process::Output {
    let run_id = run_id.to_string();
    let mut args = vec!["sync", "--run-id", run_id.as_str(), "--api", api];
    args.extend(extra);
    let mut command = pass_command(&args);
    command.env("PASS_API_TOKEN", TOKEN);
    for (name, value) in github_env(github) {
        command.env(name, value);
    }
    command.output().unwrap()
}

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn people_s_edits_are_kept_and_the_sync_stays_green() {
    let dir = tempfile::tempdir().unwrap();
    let github = GithubStandIn::start("acme", "pantry", GITHUB_TOKEN)
        .await
        .unwrap();
    let serve = spawn_serve(&dir.path().join("runs"), TOKEN, &github_env(&github)).await;
    let prd = dir.path().join("pantry.md");
    fs_err::write(&prd, PANTRY_V1).unwrap();
    let run_id = printed_run_id(&pass_run(&serve.base_url, &prd, None));

    // A person ticks a box, retitles an issue and removes a label of a third.
    let issues: Vec<StoredIssue> = backlog(&github).into_values().collect();
    let ticked = issues
        .iter()
        .find(|i| i.body.as_deref().unwrap_or_default().contains("- [ ]"))
        .unwrap()
        .clone();
    github.edit(ticked.number, |issue| {
        issue.body = issue.body.as_ref().map(|b| b.replacen("- [ ]", "- [x]", 1));
    });
    let retitled = issues
        .iter()
        .find(|i| i.number != ticked.number)
        .unwrap()
        .clone();
    github.edit(retitled.number, |issue| {
        issue.title = "Our own title".to_owned()
    });
    let relabelled = issues
        .iter()
        .find(|i| i.number != ticked.number && i.number != retitled.number && i.labels.len() > 1)
        .unwrap()
        .clone();
    let dropped_label = relabelled.labels[0].clone();
    github.edit(relabelled.number, |issue| {
        issue.labels.retain(|l| *l != dropped_label)
    });
    github.clear_requests();

    let dry = pass_sync(&serve.base_url, &github, run_id, &["--dry-run", "--json"]);
    assert_success(&dry);
    let decisions: serde_json::Value = serde_json::from_str(&stdout(&dry)).unwrap();
    let kept: Vec<u64> = decisions["items"]
        .as_array()
        .unwrap()
        .iter()
        .filter(|i| i["action"] == "kept")
        .map(|i| i["issue_number"].as_u64().unwrap())
        .collect();
    assert_eq!(kept.len(), 3, "{decisions:#}");
    for number in [ticked.number, retitled.number, relabelled.number] {
        assert!(kept.contains(&number), "#{number} not kept: {decisions:#}");
    }

    let synced = pass_sync(&serve.base_url, &github, run_id, &[]);
    assert_success(&synced);
    assert_eq!(
        github.writes(),
        vec![],
        "nothing of people's work is rewritten"
    );
    assert!(stdout(&synced).contains("kept 3"), "{}", stdout(&synced));
    let now = github.issue(ticked.number).unwrap();
    assert!(now.body.unwrap().contains("- [x]"));
    assert_eq!(
        github.issue(retitled.number).unwrap().title,
        "Our own title"
    );
    assert!(
        !github
            .issue(relabelled.number)
            .unwrap()
            .labels
            .contains(&dropped_label)
    );
    let run = client(&serve.base_url).get_run(run_id).await.unwrap().run;
    let state = run.implementation_state.unwrap();
    assert_eq!(
        state
            .issues
            .iter()
            .filter(|i| i.outcome == Some(pass_contracts::IssueOutcome::Kept))
            .count(),
        3
    );
}

async fn wait_for_final(client: &PassClient, run_id: Uuid) -> RunDetail {
    let deadline = Instant::now() + Duration::from_secs(120);
    loop {
        let run = client.get_run(run_id).await.unwrap().run;
        if run
            .execution
            .as_ref()
            .is_some_and(|e| e.workflow_name == WorkflowName::Implementation && e.status.is_final())
        {
            return run;
        }
        assert!(Instant::now() < deadline, "the sync did not end: {run:?}");
        tokio::time::sleep(Duration::from_millis(100)).await;
    }
}

/// `pass run` without syncing, then `pass approve --accept-defaults`: the
/// run id of a planned, approved revision.
fn plan_only(api: &str, prd: &Path) -> Uuid {
    let output = pass_command(&["run", prd.to_str().unwrap(), "--api", api])
        .env("PASS_API_TOKEN", TOKEN)
        .output()
        .unwrap();
    assert_success(&output);
    let run_id = printed_run_id(&output);
    let approved = pass_command(&[
        "approve",
        &run_id.to_string(),
        "--accept-defaults",
        "--api",
        api,
    ])
    .env("PASS_API_TOKEN", TOKEN)
    .output()
    .unwrap();
    assert_success(&approved);
    run_id
}

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn two_syncs_started_together_one_is_refused_and_nothing_is_duplicated() {
    let dir = tempfile::tempdir().unwrap();
    let github = GithubStandIn::start("acme", "pantry", GITHUB_TOKEN)
        .await
        .unwrap();
    github.set_write_delay(Duration::from_millis(100));
    let serve = spawn_serve(&dir.path().join("runs"), TOKEN, &github_env(&github)).await;
    let prd = dir.path().join("pantry.md");
    fs_err::write(&prd, PANTRY_V1).unwrap();
    let run_id = plan_only(&serve.base_url, &prd);
    let items = plan_ids(&pack_of(&client(&serve.base_url), run_id).await);

    let spawn = || {
        let run = run_id.to_string();
        let mut command = pass_command(&["sync", "--run-id", &run, "--api", &serve.base_url]);
        command
            .env("PASS_API_TOKEN", TOKEN)
            .stdout(Stdio::piped())
            .stderr(Stdio::piped());
        for (name, value) in github_env(&github) {
            command.env(name, value);
        }
        command.spawn().unwrap()
    };
    let (first, second) = (spawn(), spawn());
    let outputs = [
        first.wait_with_output().unwrap(),
        second.wait_with_output().unwrap(),
    ];
    let refused: Vec<&std::process::Output> =
        outputs.iter().filter(|o| !o.status.success()).collect();
    assert_eq!(refused.len(), 1, "exactly one sync is refused");
    let message = stderr(refused[0]);
    assert!(message.contains("another sync of project"), "{message}");
    assert_eq!(
        backlog(&github).keys().cloned().collect::<Vec<_>>(),
        items,
        "one issue per plan item"
    );
}

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn a_server_killed_mid_sync_and_a_redispatch_duplicate_nothing_and_mark_the_right_execution()
{
    let dir = tempfile::tempdir().unwrap();
    let runs = dir.path().join("runs");
    let github = GithubStandIn::start("acme", "pantry", GITHUB_TOKEN)
        .await
        .unwrap();
    let env = github_env(&github);
    let mut serve = spawn_serve(&runs, TOKEN, &env).await;
    let prd = dir.path().join("pantry.md");
    fs_err::write(&prd, PANTRY_V1).unwrap();
    let run_id = plan_only(&serve.base_url, &prd);
    let api = client(&serve.base_url);
    let items = plan_ids(&pack_of(&api, run_id).await);

    // The agent writes slowly; the server dies under it.
    github.set_write_delay(Duration::from_millis(250));
    let first = api
        .dispatch(run_id, WorkflowName::Implementation)
        .await
        .unwrap()
        .execution;
    let deadline = Instant::now() + Duration::from_secs(60);
    while github.issues().is_empty() {
        assert!(Instant::now() < deadline, "the first agent never wrote");
        tokio::time::sleep(Duration::from_millis(50)).await;
    }
    serve.child.kill().unwrap();
    serve.child.wait().unwrap();
    let bind = serve.bind.clone();
    drop(serve);
    let serve = spawn_serve_on(&bind, &runs, TOKEN, &env).await;

    // The restarted server failed the interrupted execution; a re-dispatch
    // starts a second agent while the first still writes.
    let second = api
        .dispatch(run_id, WorkflowName::Implementation)
        .await
        .unwrap()
        .execution;
    assert_ne!(first.execution_id, second.execution_id);
    let run = wait_for_final(&api, run_id).await;
    let execution = run.execution.unwrap();
    assert_eq!(execution.execution_id, second.execution_id);
    assert_eq!(execution.status, ExecutionStatus::Failed);
    let message = execution.error_message.unwrap();
    assert!(message.contains("another sync of project"), "{message}");

    // The first agent finishes its sync; its report on its own, superseded
    // execution is refused, so the second execution stays as it ended.
    let deadline = Instant::now() + Duration::from_secs(60);
    while backlog(&github).len() < items.len() {
        assert!(Instant::now() < deadline, "the first agent did not finish");
        tokio::time::sleep(Duration::from_millis(100)).await;
    }
    tokio::time::sleep(Duration::from_secs(2)).await;
    let run = api.get_run(run_id).await.unwrap().run;
    let execution = run.execution.unwrap();
    assert_eq!(execution.execution_id, second.execution_id);
    assert_eq!(execution.status, ExecutionStatus::Failed);
    assert_eq!(backlog(&github).keys().cloned().collect::<Vec<_>>(), items);

    // A third dispatch finds everything in place.
    github.set_write_delay(Duration::ZERO);
    github.clear_requests();
    api.dispatch(run_id, WorkflowName::Implementation)
        .await
        .unwrap();
    let run = wait_for_final(&api, run_id).await;
    assert_eq!(run.execution.unwrap().status, ExecutionStatus::Succeeded);
    assert_eq!(github.writes(), vec![]);
    drop(serve);
}

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn pass_sync_with_the_local_target_writes_into_the_server_s_project_folder_wherever_it_runs()
{
    let dir = tempfile::tempdir().unwrap();
    let runs = dir.path().join("runs");
    let serve = spawn_serve(&runs, TOKEN, &[]).await;
    let prd = dir.path().join("pantry.md");
    fs_err::write(&prd, PANTRY_V1).unwrap();
    let run_id = plan_only(&serve.base_url, &prd);
    let api = client(&serve.base_url);
    let items = plan_ids(&pack_of(&api, run_id).await);
    let project = api.get_run(run_id).await.unwrap().run.project();
    let issues_dir = runs
        .join("projects")
        .join(project.to_string())
        .join("issues");

    let elsewhere = tempfile::tempdir().unwrap();
    let sync = |extra: &[&str]| {
        let run = run_id.to_string();
        let mut args = vec!["sync", "--run-id", run.as_str(), "--api", &serve.base_url];
        args.extend(extra);
        pass_command(&args)
            .current_dir(elsewhere.path())
            .env("PASS_API_TOKEN", TOKEN)
            .output()
            .unwrap()
    };
    let dry = sync(&["--dry-run", "--json"]);
    assert_success(&dry);
    assert!(
        stderr(&dry).contains("dispatching phase2-implementation"),
        "{}",
        stderr(&dry)
    );
    let report: serde_json::Value = serde_json::from_str(&stdout(&dry)).unwrap();
    assert_eq!(report["dry_run"], true);
    let actions: Vec<&str> = report["items"]
        .as_array()
        .unwrap()
        .iter()
        .map(|i| i["action"].as_str().unwrap())
        .collect();
    assert_eq!(actions, vec!["create"; items.len()]);
    assert!(!issues_dir.exists(), "a dry run writes no issue file");

    let real = sync(&[]);
    assert_success(&real);
    assert!(
        stdout(&real).contains(&format!("created {}", items.len())),
        "{}",
        stdout(&real)
    );
    assert_eq!(fs_err::read_dir(&issues_dir).unwrap().count(), items.len());
    assert_eq!(
        fs_err::read_dir(elsewhere.path()).unwrap().count(),
        0,
        "nothing is written where the command ran"
    );
}
