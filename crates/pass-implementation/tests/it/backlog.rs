//! The living backlog's rules against the GitHub stand-in: issues of every
//! revision of a project, people's work kept, closed issues left closed,
//! items that left the plan closed or commented once, seed-era issues, and
//! rate limits waited out within the sync's time budget.

use std::collections::{BTreeMap, HashSet};
use std::time::Duration;

use axum::http::Method;
use pass_contracts::runs::IssueOutcome;
use pass_implementation::marker::parse_body;
use pass_implementation::render::render_seed_content;
use pass_implementation::{
    Action, EarlierPlans, GithubTracker, RetryPolicy, SyncContext, SyncOptions, SyncReport,
    SyncScope, sync_pack,
};
use pass_testkit::github::{Fault, FaultKind, GithubStandIn, StoredIssue};
use serde_json::Value;
use uuid::Uuid;

use crate::support::{item, items, pack, settings, stand_in, tracker};

/// A project with `revisions` runs; the last one is synced.
fn project(revisions: usize) -> (Uuid, Vec<Uuid>) {
    (
        Uuid::new_v4(),
        (0..revisions).map(|_| Uuid::new_v4()).collect(),
    )
}

fn context(project_id: Uuid, runs: &[Uuid], revision: usize) -> SyncContext {
    SyncContext {
        scope: SyncScope {
            project_id,
            run_id: runs[revision - 1],
            revision: revision as u32,
            project_runs: runs.iter().copied().collect::<HashSet<_>>(),
        },
        earlier: EarlierPlans::new(),
        reasons: Default::default(),
    }
}

async fn sync_with(
    stand_in: &GithubStandIn,
    plan: Vec<Value>,
    context: &SyncContext,
    force: bool,
) -> SyncReport {
    sync_pack(
        &pack(plan),
        context,
        &tracker(stand_in),
        &SyncOptions {
            dry_run: false,
            force,
        },
    )
    .await
    .unwrap()
}

/// Issues by plan item id (any marker).
fn by_item(stand_in: &GithubStandIn) -> BTreeMap<String, StoredIssue> {
    stand_in
        .issues()
        .into_iter()
        .filter_map(|issue| {
            let marked = parse_body(issue.body.as_deref()?)?;
            Some((marked.marker.plan_item_id, issue))
        })
        .collect()
}

fn action_of(report: &SyncReport, id: &str) -> Action {
    report
        .items
        .iter()
        .find(|i| i.plan_item_id == id)
        .unwrap_or_else(|| panic!("no report for {id}: {report:?}"))
        .action
}

#[tokio::test]
async fn issues_of_every_revision_are_one_backlog_and_other_projects_are_left_alone() {
    let stand_in = stand_in().await;
    let (project_id, runs) = project(3);
    sync_with(&stand_in, items(4), &context(project_id, &runs, 1), false).await;
    // Another project's issues in the same repository.
    let (other, other_runs) = project(1);
    sync_with(&stand_in, items(2), &context(other, &other_runs, 1), false).await;
    assert_eq!(stand_in.issues().len(), 6);
    stand_in.clear_requests();

    let report = sync_with(&stand_in, items(4), &context(project_id, &runs, 2), false).await;
    assert_eq!(
        stand_in.writes(),
        vec![],
        "revision 2 of the same plan writes nothing"
    );
    assert_eq!(report.counts.unchanged, 4);

    let mut plan = items(5);
    plan[1]["body"] = "Rewritten by revision 3.".into();
    let report = sync_with(&stand_in, plan, &context(project_id, &runs, 3), false).await;
    assert_eq!((report.counts.created, report.counts.updated), (1, 1));
    assert_eq!(
        stand_in.issues().len(),
        7,
        "the other project's issues untouched"
    );
    let rewritten = parse_body(
        stand_in
            .issues()
            .iter()
            .find(|i| {
                i.body
                    .as_deref()
                    .unwrap()
                    .contains("Rewritten by revision 3.")
            })
            .unwrap()
            .body
            .as_deref()
            .unwrap(),
    )
    .unwrap();
    assert!(
        rewritten.marker.is_for_run(runs[2]),
        "the block names the revision that wrote it last"
    );
    assert_eq!(rewritten.marker.project_uuid(), Some(project_id));
}

#[tokio::test]
async fn issues_older_pass_wrote_for_a_revision_are_adopted_into_its_project() {
    let stand_in = stand_in().await;
    let (project_id, runs) = project(2);
    // Older PASS: the run's marker with a body hash, no project line.
    let old = render_older_pass(&items(1)[0], runs[0]);
    let number = stand_in.seed_issue("Build item-1", &old, &["pass", "area-0"], false);
    let mut with_plan = context(project_id, &runs, 2);
    with_plan.earlier =
        EarlierPlans::from([(runs[0], pack(items(1)).implementation.github_issue_plan)]);
    let report = sync_pack(
        &pack(items(1)),
        &with_plan,
        &tracker(&stand_in),
        &SyncOptions::default(),
    )
    .await
    .unwrap();
    assert_eq!(report.counts.created, 0, "adopted: {report:?}");
    assert_eq!(report.items[0].issue_number, Some(number));
    assert_eq!(stand_in.issues().len(), 1);
}

/// A body as PASS wrote it before projects: content, run and item, body hash.
fn render_older_pass(item: &Value, run_id: Uuid) -> String {
    let plan = pack(vec![item.clone()]).implementation.github_issue_plan;
    let want = pass_implementation::render::desired(&plan[0], &Default::default());
    format!(
        "{}\n\n---\nPASS-Run-Id: {run_id}\nPASS-Plan-Item-Id: {}\nPASS-Body-Sha256: {}",
        want.content,
        plan[0].id,
        pass_implementation::marker::content_sha256(&want.content)
    )
}

#[tokio::test]
async fn a_seed_era_issue_a_person_edited_is_left_alone_and_the_dry_run_says_so() {
    let stand_in = stand_in().await;
    let (project_id, runs) = project(1);
    let plan = items(2);
    let seed_items = pack(plan.clone()).implementation.github_issue_plan;
    let seed_body = |i: usize| {
        format!(
            "{}\n\n---\nPASS-Run-Id: {}\nPASS-Plan-Item-Id: {}",
            render_seed_content(&seed_items[i]),
            runs[0],
            seed_items[i].id
        )
    };
    // Item 1: a person ticked nothing but added a note; item 2: untouched.
    let noted = seed_body(0).replace("## Summary", "Note from Ana: use the v2 API.\n\n## Summary");
    let edited = stand_in.seed_issue("Build item-1", &noted, &["pass", "area-0"], false);
    let untouched = stand_in.seed_issue("Build item-2", &seed_body(1), &["pass", "area-0"], false);
    let mut seed_context = context(project_id, &runs, 1);
    seed_context.earlier = EarlierPlans::from([(runs[0], seed_items.clone())]);

    let dry = sync_pack(
        &pack(plan.clone()),
        &seed_context,
        &tracker(&stand_in),
        &SyncOptions {
            dry_run: true,
            force: false,
        },
    )
    .await
    .unwrap();
    assert_eq!(action_of(&dry, "item-1"), Action::Kept, "{dry:?}");
    assert_eq!(action_of(&dry, "item-2"), Action::Update);
    assert!(dry.text().contains("kept"), "{}", dry.text());
    assert_eq!(stand_in.writes(), vec![]);

    let report = sync_pack(
        &pack(plan),
        &seed_context,
        &tracker(&stand_in),
        &SyncOptions::default(),
    )
    .await
    .unwrap();
    assert!(!report.has_failures());
    assert_eq!(
        stand_in.issue(edited).unwrap().body.unwrap(),
        noted,
        "the note survives"
    );
    let rewritten = stand_in.issue(untouched).unwrap().body.unwrap();
    assert!(parse_body(&rewritten).unwrap().marker.body_sha256.is_some());
}

#[tokio::test]
async fn a_closed_issue_is_never_reopened_or_edited_and_a_reopened_one_is_left_open() {
    let stand_in = stand_in().await;
    let (project_id, runs) = project(3);
    sync_with(&stand_in, items(3), &context(project_id, &runs, 1), false).await;
    let issues = by_item(&stand_in);

    // A person closes item-1 as done; the plan then changes it.
    stand_in.edit(issues["item-1"].number, |i| {
        i.state = "closed".to_owned();
        i.state_reason = Some("completed".to_owned());
    });
    let mut plan = items(3);
    plan[0]["title"] = "Build item-1 differently".into();
    // item-3 leaves the plan: PASS closes it.
    plan.pop();
    stand_in.clear_requests();
    let report = sync_with(
        &stand_in,
        plan.clone(),
        &context(project_id, &runs, 2),
        false,
    )
    .await;
    assert_eq!(action_of(&report, "item-1"), Action::Kept);
    assert_eq!(
        stand_in.issue(issues["item-1"].number).unwrap().state,
        "closed"
    );
    assert_eq!(
        stand_in.issue(issues["item-1"].number).unwrap().title,
        "Build item-1"
    );
    assert_eq!(action_of(&report, "item-3"), Action::Close);
    assert_eq!(
        stand_in
            .issue(issues["item-3"].number)
            .unwrap()
            .comments
            .len(),
        1
    );

    // A person reopens item-3: it stays open and PASS says nothing more.
    stand_in.edit(issues["item-3"].number, |i| i.state = "open".to_owned());
    stand_in.clear_requests();
    let report = sync_with(&stand_in, plan, &context(project_id, &runs, 3), false).await;
    assert_eq!(stand_in.writes(), vec![], "{report:?}");
    assert_eq!(action_of(&report, "item-3"), Action::Kept);
    let reopened = stand_in.issue(issues["item-3"].number).unwrap();
    assert_eq!(
        (reopened.state.as_str(), reopened.comments.len()),
        ("open", 1)
    );
}

#[tokio::test]
async fn an_item_that_left_the_plan_is_commented_once_and_left_open_when_people_worked_on_it() {
    let stand_in = stand_in().await;
    let (project_id, runs) = project(3);
    sync_with(&stand_in, items(5), &context(project_id, &runs, 1), false).await;
    let issues = by_item(&stand_in);
    // Worked on: assigned, commented, edited, relabelled; untouched: item-5.
    stand_in.edit(issues["item-1"].number, |i| {
        i.assignees = vec!["ana".to_owned()]
    });
    stand_in.comment_as(issues["item-2"].number, "ana", "Started on this.");
    stand_in.edit(issues["item-3"].number, |i| {
        i.body = i
            .body
            .as_ref()
            .map(|b| b.replacen("What item-3", "What item-3 (see the spike)", 1))
    });
    stand_in.edit(issues["item-4"].number, |i| {
        i.labels.push("in progress".to_owned())
    });

    let keep = vec![item("item-6", &[])];
    let report = sync_with(
        &stand_in,
        keep.clone(),
        &context(project_id, &runs, 2),
        false,
    )
    .await;
    for (id, touch) in [
        ("item-1", "assigned"),
        ("item-2", "commented on"),
        ("item-3", "edited"),
        ("item-4", "relabelled"),
    ] {
        let issue = stand_in.issue(issues[id].number).unwrap();
        assert_eq!(issue.state, "open", "{id}");
        let said = issue.comments.last().unwrap();
        assert!(said.body.contains(touch), "{id}: {}", said.body);
        assert_eq!(action_of(&report, id), Action::Comment);
    }
    let closed = stand_in.issue(issues["item-5"].number).unwrap();
    assert_eq!(closed.state_reason.as_deref(), Some("not_planned"));
    assert!(!report.has_failures());

    stand_in.clear_requests();
    let again = sync_with(&stand_in, keep, &context(project_id, &runs, 3), false).await;
    assert_eq!(stand_in.writes(), vec![], "commented once: {again:?}");
}

#[tokio::test]
async fn labels_merge_three_ways_and_a_new_plan_change_is_commented_again() {
    let stand_in = stand_in().await;
    let (project_id, runs) = project(4);
    sync_with(&stand_in, items(1), &context(project_id, &runs, 1), false).await;
    let number = by_item(&stand_in)["item-1"].number;
    // A person drops the plan's `pass` label and adds their own.
    stand_in.edit(number, |i| {
        i.labels.retain(|l| l != "pass");
        i.labels.push("team-a".to_owned());
    });
    let mut plan = items(1);
    plan[0]["labels"] = serde_json::json!(["pass", "area-0", "mvp"]);
    let report = sync_with(
        &stand_in,
        plan.clone(),
        &context(project_id, &runs, 2),
        false,
    )
    .await;
    assert_eq!(action_of(&report, "item-1"), Action::Update);
    let mut labels = stand_in.issue(number).unwrap().labels;
    labels.sort();
    assert_eq!(
        labels,
        vec!["area-0", "mvp", "team-a"],
        "the plan's addition, the person's changes"
    );

    // The body: a person and the plan both change it, twice.
    stand_in.edit(number, |i| {
        i.body = i
            .body
            .as_ref()
            .map(|b| b.replacen("What item-1", "What item-1, said Ana,", 1))
    });
    plan[0]["body"] = "Plan change one.".into();
    sync_with(
        &stand_in,
        plan.clone(),
        &context(project_id, &runs, 3),
        false,
    )
    .await;
    plan[0]["body"] = "Plan change two.".into();
    sync_with(
        &stand_in,
        plan.clone(),
        &context(project_id, &runs, 4),
        false,
    )
    .await;
    sync_with(&stand_in, plan, &context(project_id, &runs, 4), false).await;
    let comments: Vec<String> = stand_in
        .issue(number)
        .unwrap()
        .comments
        .into_iter()
        .map(|c| c.body)
        .collect();
    assert_eq!(
        comments.len(),
        2,
        "one comment per plan change: {comments:?}"
    );
    assert!(comments[0].contains("Plan change one.") && comments[1].contains("Plan change two."));
}

#[tokio::test]
async fn a_relation_whose_first_answer_was_lost_is_success() {
    let stand_in = stand_in().await;
    stand_in.push_fault(Fault::once(
        Method::POST,
        "/dependencies/blocked_by",
        FaultKind::ApplyThenBadGateway,
    ));
    let (project_id, runs) = project(1);
    let report = sync_with(&stand_in, items(3), &context(project_id, &runs, 1), false).await;
    assert!(!report.has_failures(), "{report:?}");
    let statuses: Vec<u16> = stand_in
        .requests()
        .iter()
        .filter(|r| r.method == "POST" && r.path.ends_with("/dependencies/blocked_by"))
        .map(|r| r.status)
        .collect();
    assert!(
        statuses.contains(&422),
        "the retry met the existing relation: {statuses:?}"
    );
    let third = &by_item(&stand_in)["item-3"];
    assert_eq!(third.blocked_by.len(), 2);
}

fn budget_tracker(stand_in: &GithubStandIn, budget: Duration) -> GithubTracker {
    GithubTracker::new(&settings(stand_in))
        .unwrap()
        .with_retry_policy(RetryPolicy {
            max_attempts: 2,
            base_delay: Duration::from_millis(10),
            secondary_wait: Duration::from_millis(20),
            time_budget: budget,
        })
}

#[tokio::test]
async fn secondary_rate_limits_are_waited_out_as_often_as_github_asks_within_the_budget() {
    let stand_in = stand_in().await;
    // Seven refusals in a row: more than any fixed number of attempts.
    stand_in.push_fault(Fault {
        method: Some(Method::POST),
        path_contains: "/repos/acme/shop/issues".to_owned(),
        skip: 0,
        times: 7,
        kind: FaultKind::SecondaryRateLimit {
            retry_after_secs: Some(0),
        },
    });
    let (project_id, runs) = project(1);
    let report = sync_pack(
        &pack(items(1)),
        &context(project_id, &runs, 1),
        &budget_tracker(&stand_in, Duration::from_secs(30)),
        &SyncOptions::default(),
    )
    .await
    .unwrap();
    assert_eq!(report.counts.created, 1, "{report:?}");

    // A wait longer than what is left of the budget fails, saying why.
    let stand_in = crate::support::stand_in().await;
    stand_in.push_fault(Fault::once(
        Method::POST,
        "/repos/acme/shop/issues",
        FaultKind::SecondaryRateLimit {
            retry_after_secs: Some(120),
        },
    ));
    let report = sync_pack(
        &pack(items(1)),
        &context(project_id, &runs, 1),
        &budget_tracker(&stand_in, Duration::from_secs(5)),
        &SyncOptions::default(),
    )
    .await
    .unwrap();
    assert!(report.has_failures());
    let error = report.items[0].error.clone().unwrap();
    assert!(error.contains("PASS_SYNC_TIME_BUDGET_MS"), "{error}");
    assert!(error.contains("120 s"), "{error}");
    assert_eq!(report.items[0].outcome, Some(IssueOutcome::Failed));
}
