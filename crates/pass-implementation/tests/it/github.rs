//! The sync against the GitHub stand-in, asserting on the requests it recorded.

use std::collections::BTreeMap;
use std::time::{Duration, Instant};

use axum::http::Method;
use pass_contracts::runs::{GithubState, IssueOutcome};
use pass_implementation::marker::{MarkerFields, parse_body, render_body, title_sha256};
use pass_implementation::render::render_seed_content;
use pass_implementation::tracker::label_colour;
use pass_implementation::{Action, EarlierPlans, SyncOptions, SyncReport, sync_pack};
use pass_testkit::github::{Fault, FaultKind, GithubStandIn, StoredIssue};
use serde_json::Value;

use crate::support::{context, item, items, pack, run_id, stand_in, tracker};

async fn sync(stand_in: &GithubStandIn, plan: Vec<Value>) -> SyncReport {
    sync_pack(
        &pack(plan),
        &context(),
        &tracker(stand_in),
        &SyncOptions::default(),
    )
    .await
    .unwrap()
}

/// This run's issues by plan item id; panics on a duplicate.
fn ours(stand_in: &GithubStandIn) -> BTreeMap<String, StoredIssue> {
    let mut found = BTreeMap::new();
    for issue in stand_in.issues() {
        let Some(marked) = issue.body.as_deref().and_then(parse_body) else {
            continue;
        };
        if !marked.marker.is_for_run(run_id()) {
            continue;
        }
        let previous = found.insert(marked.marker.plan_item_id.clone(), issue);
        assert!(
            previous.is_none(),
            "two issues for {}",
            marked.marker.plan_item_id
        );
    }
    found
}

fn list_pages(stand_in: &GithubStandIn) -> usize {
    stand_in
        .requests()
        .iter()
        .filter(|r| r.method == "GET" && r.path == "/repos/acme/shop/issues")
        .count()
}

#[tokio::test]
async fn the_first_sync_reads_every_page_skips_pull_requests_and_adopts_marked_issues() {
    let stand_in = stand_in().await;
    // 130 unrelated issues and 20 pull requests, interleaved.
    for i in 0..150 {
        if i % 7 == 3 && i < 143 {
            stand_in.seed_pull_request(&format!("PR {i}"), "Fixes things");
        } else {
            stand_in.seed_issue(
                &format!("Someone's issue {i}"),
                "Unrelated.",
                &["bug"],
                i % 2 == 0,
            );
        }
    }
    // An issue written earlier by the seed's tool exactly as it wrote item-2
    // (its marker, no hash), and one written by PASS for another project.
    let plan = items(4);
    let seed_pack = pack(plan.clone());
    let seed_item = &seed_pack.implementation.github_issue_plan[1];
    let adopted = stand_in.seed_issue(
        "Build item-2",
        &format!(
            "{}\n\n---\nPASS-Run-Id: {}\nPASS-Plan-Item-Id: item-2",
            render_seed_content(seed_item),
            run_id()
        ),
        &["pass", "area-0"],
        false,
    );
    let elsewhere = uuid::Uuid::from_u128(99);
    let other_body = render_body(
        "x",
        MarkerFields {
            run_id: elsewhere,
            project_id: elsewhere,
            plan_item_id: "item-1",
            title_sha256: &title_sha256("Build item-1"),
            labels: &[],
        },
    );
    let other_run = stand_in.seed_issue("Build item-1", &other_body, &[], false);
    stand_in.clear_requests();

    let mut with_seed_plan = context();
    with_seed_plan.earlier =
        EarlierPlans::from([(run_id(), seed_pack.implementation.github_issue_plan.clone())]);
    let report = sync_pack(
        &pack(plan),
        &with_seed_plan,
        &tracker(&stand_in),
        &SyncOptions::default(),
    )
    .await
    .unwrap();

    assert_eq!(list_pages(&stand_in), 2, "152 issues are two pages of 100");
    let found = ours(&stand_in);
    assert_eq!(found.len(), 4);
    assert_eq!(found["item-2"].number, adopted, "adopted, not duplicated");
    assert_eq!(found["item-2"].title, "Build item-2");
    let rewritten = parse_body(found["item-2"].body.as_deref().unwrap()).unwrap();
    assert!(
        rewritten.marker.body_sha256.is_some(),
        "an unedited seed issue is rewritten in PASS's form"
    );
    assert_eq!(
        stand_in.issue(other_run).unwrap().body.unwrap(),
        other_body,
        "another project's issue is left alone"
    );
    assert_ne!(
        found["item-1"].number, other_run,
        "another project's issue is not adopted"
    );
    assert_eq!(report.counts.created, 3);
    assert_eq!(report.counts.updated, 1);
    assert_eq!(report.counts.failed, 0);
    // No request touched a pull request or someone else's issue.
    for request in stand_in.writes() {
        let touches = request
            .path
            .strip_prefix("/repos/acme/shop/issues/")
            .and_then(|rest| rest.split('/').next())
            .and_then(|n| n.parse::<u64>().ok());
        if let Some(number) = touches {
            assert!(
                found.values().any(|i| i.number == number),
                "wrote to #{number}: {request:?}"
            );
        }
    }
    assert_eq!(
        report.requests.reads + report.requests.writes,
        stand_in.requests().len() as u64
    );
}

#[tokio::test]
async fn an_unchanged_resync_makes_zero_writes_and_reads_only_the_list() {
    let stand_in = stand_in().await;
    let first = sync(&stand_in, items(7)).await;
    assert_eq!(first.counts.created, 7);
    stand_in.clear_requests();

    let again = sync(&stand_in, items(7)).await;

    assert_eq!(
        stand_in.writes(),
        vec![],
        "an unchanged re-sync writes nothing"
    );
    assert_eq!(
        list_pages(&stand_in),
        stand_in.requests().len(),
        "only list pages are read"
    );
    assert_eq!(again.counts.unchanged, 7);
    assert_eq!(again.requests.writes, 0);
    assert_eq!(again.requests.reads, 1);
    assert!(
        again
            .items
            .iter()
            .all(|i| i.outcome == Some(IssueOutcome::Unchanged))
    );
}

#[tokio::test]
async fn a_changed_plan_updates_only_the_changed_issues() {
    let stand_in = stand_in().await;
    sync(&stand_in, items(6)).await;
    let before = ours(&stand_in);
    stand_in.clear_requests();

    let mut plan = items(6);
    plan[1]["title"] = "Build item-2, renamed".into();
    plan[4]["labels"] = serde_json::json!(["pass", "urgent"]);
    let report = sync(&stand_in, plan).await;

    let writes = stand_in.writes();
    let touched: Vec<(String, String)> = writes
        .iter()
        .map(|w| (w.method.clone(), w.path.clone()))
        .collect();
    assert!(touched.contains(&(
        "PATCH".to_owned(),
        format!("/repos/acme/shop/issues/{}", before["item-2"].number)
    )));
    assert!(touched.contains(&(
        "PATCH".to_owned(),
        format!("/repos/acme/shop/issues/{}", before["item-5"].number)
    )));
    // The new label is made to exist first, with the stable colour.
    assert!(touched.contains(&("POST".to_owned(), "/repos/acme/shop/labels".to_owned())));
    assert_eq!(stand_in.labels()["urgent"], label_colour("urgent"));
    assert_eq!(writes.len(), 3, "{touched:?}");
    let title_patch = writes
        .iter()
        .find(|w| w.path.ends_with(&format!("/{}", before["item-2"].number)))
        .unwrap();
    let sent = title_patch.body.as_ref().unwrap().as_object().unwrap();
    let mut fields: Vec<&String> = sent.keys().collect();
    fields.sort();
    assert_eq!(
        fields,
        vec!["body", "title"],
        "the title, and the body so its block records the new title"
    );
    let old = parse_body(before["item-2"].body.as_deref().unwrap()).unwrap();
    let new = parse_body(sent["body"].as_str().unwrap()).unwrap();
    assert_eq!(new.content, old.content, "the body's text is unchanged");
    assert_eq!(
        new.marker.title_sha256.as_deref(),
        Some(title_sha256("Build item-2, renamed").as_str())
    );
    assert_eq!(report.counts.updated, 2);
    assert_eq!(report.counts.unchanged, 4);
}

#[tokio::test]
async fn dependencies_become_issue_references_and_blocked_by_relations() {
    let stand_in = stand_in().await;
    // item-1 is listed after item-3 in the plan, so ordering matters.
    let plan = vec![
        item("item-3", &["item-1", "item-2"]),
        item("item-2", &[]),
        item("item-1", &[]),
    ];
    let report = sync(&stand_in, plan).await;
    assert_eq!(report.counts.created, 3);
    let found = ours(&stand_in);
    let (one, two, three) = (&found["item-1"], &found["item-2"], &found["item-3"]);
    let body = three.body.clone().unwrap();
    assert!(
        body.contains(&format!("Depends on #{}, #{}", one.number, two.number)),
        "{body}"
    );
    let mut blocked_by = three.blocked_by.clone();
    blocked_by.sort();
    assert_eq!(
        blocked_by,
        vec![one.id, two.id],
        "relations take ids, not numbers"
    );
    assert!(one.blocked_by.is_empty());
    // Created in dependency order, so no body needed a second write.
    assert_eq!(
        stand_in
            .writes()
            .iter()
            .filter(|w| w.method == "PATCH")
            .count(),
        0
    );

    // item-3 now depends on item-1 only: the stale relation goes, the other stays.
    stand_in.clear_requests();
    let plan = vec![
        item("item-3", &["item-1"]),
        item("item-2", &[]),
        item("item-1", &[]),
    ];
    let report = sync(&stand_in, plan).await;
    let writes: Vec<(String, String)> = stand_in
        .writes()
        .iter()
        .map(|w| (w.method.clone(), w.path.clone()))
        .collect();
    // Relations first, then the body: a crash in between leaves a body
    // difference that makes the next run re-read the relations.
    assert_eq!(
        writes,
        vec![
            (
                "DELETE".to_owned(),
                format!(
                    "/repos/acme/shop/issues/{}/dependencies/blocked_by/{}",
                    three.number, two.id
                )
            ),
            (
                "PATCH".to_owned(),
                format!("/repos/acme/shop/issues/{}", three.number)
            ),
        ]
    );
    assert_eq!(
        stand_in.issue(three.number).unwrap().blocked_by,
        vec![one.id]
    );
    assert_eq!(report.counts.updated, 1);

    // A second pass writes nothing.
    stand_in.clear_requests();
    sync(
        &stand_in,
        vec![
            item("item-3", &["item-1"]),
            item("item-2", &[]),
            item("item-1", &[]),
        ],
    )
    .await;
    assert_eq!(stand_in.writes(), vec![]);
}

#[tokio::test]
async fn a_github_without_dependency_endpoints_falls_back_to_body_references() {
    let stand_in = stand_in().await;
    stand_in.set_dependencies_enabled(false);
    let report = sync(&stand_in, items(3)).await;
    assert_eq!(report.counts.created, 3);
    assert_eq!(report.counts.failed, 0);
    assert!(
        report
            .notices
            .iter()
            .any(|n| n.contains("body references only")),
        "{:?}",
        report.notices
    );
    let found = ours(&stand_in);
    assert!(found["item-3"].body.clone().unwrap().contains(&format!(
        "Depends on #{}, #{}",
        found["item-2"].number, found["item-1"].number
    )));
}

#[tokio::test]
async fn a_422_fails_that_item_and_the_sync_goes_on() {
    let stand_in = stand_in().await;
    stand_in.push_fault(
        Fault::once(
            Method::POST,
            "/repos/acme/shop/issues",
            FaultKind::Validation {
                message: "body is too long (maximum is 65536 characters)".to_owned(),
            },
        )
        .after(1),
    );
    let report = sync(&stand_in, items(4)).await;
    assert_eq!(report.counts.failed, 1);
    assert_eq!(report.counts.created, 3);
    assert!(report.has_failures());
    let failed = report
        .items
        .iter()
        .find(|i| i.outcome == Some(IssueOutcome::Failed))
        .unwrap();
    assert_eq!(failed.plan_item_id, "item-2");
    let error = failed.error.as_deref().unwrap();
    assert!(
        error.contains("422") && error.contains("body is too long"),
        "{error}"
    );
    assert!(!error.contains(crate::support::TOKEN));
    // item-3 depends on item-2, which has no issue yet: it says so and is created anyway.
    let found = ours(&stand_in);
    assert!(
        found["item-3"]
            .body
            .clone()
            .unwrap()
            .contains("plan item `item-2` (no issue yet)")
    );

    // The next sync creates item-2 and fixes item-3's references.
    let report = sync(&stand_in, items(4)).await;
    assert_eq!(
        (
            report.counts.created,
            report.counts.updated,
            report.counts.failed
        ),
        (1, 1, 0)
    );
    let found = ours(&stand_in);
    assert!(
        found["item-3"]
            .body
            .clone()
            .unwrap()
            .contains(&format!("#{}", found["item-2"].number))
    );
}

#[tokio::test]
async fn a_secondary_rate_limit_is_waited_out_and_retried() {
    let stand_in = stand_in().await;
    stand_in.push_fault(
        Fault::once(
            Method::POST,
            "/repos/acme/shop/issues",
            FaultKind::SecondaryRateLimit {
                retry_after_secs: Some(1),
            },
        )
        .after(1),
    );
    stand_in.push_fault(Fault::once(
        Method::PATCH,
        "/repos/acme/shop/issues",
        FaultKind::TooManyRequests {
            retry_after_secs: 0,
        },
    ));
    let started = Instant::now();
    let report = sync(&stand_in, items(2)).await;
    assert!(
        started.elapsed() >= Duration::from_secs(1),
        "retry-after was not honoured"
    );
    assert_eq!(report.counts.created, 2);
    let statuses: Vec<u16> = stand_in
        .requests()
        .iter()
        .filter(|r| r.method == "POST" && r.path == "/repos/acme/shop/issues")
        .map(|r| r.status)
        .collect();
    assert_eq!(statuses, vec![201, 403, 201]);
    assert_eq!(ours(&stand_in).len(), 2);
}

#[tokio::test]
async fn a_502_is_retried() {
    let stand_in = stand_in().await;
    stand_in.push_fault(Fault::once(
        Method::GET,
        "/repos/acme/shop/issues",
        FaultKind::BadGateway,
    ));
    stand_in.push_fault(Fault::once(
        Method::POST,
        "/repos/acme/shop/issues",
        FaultKind::BadGateway,
    ));
    let report = sync(&stand_in, items(2)).await;
    assert_eq!(report.counts.created, 2);
    let statuses: Vec<(String, u16)> = stand_in
        .requests()
        .iter()
        .filter(|r| r.path == "/repos/acme/shop/issues")
        .map(|r| (r.method.clone(), r.status))
        .collect();
    assert_eq!(
        statuses,
        vec![
            ("GET".to_owned(), 502),
            ("GET".to_owned(), 200),
            ("POST".to_owned(), 502),
            // Did that create happen after all? No: so it is sent again.
            ("GET".to_owned(), 200),
            ("POST".to_owned(), 201),
            ("POST".to_owned(), 201),
        ]
    );
    // Retries count: two list reads, the lookup and the labels list; three issue writes plus two labels.
    assert_eq!(report.requests.reads, 4);
    assert_eq!(report.requests.writes, 5);
}

#[tokio::test]
async fn a_create_github_carried_out_but_answered_502_is_adopted_not_repeated() {
    let stand_in = stand_in().await;
    stand_in.push_fault(
        Fault::once(
            Method::POST,
            "/repos/acme/shop/issues",
            FaultKind::ApplyThenBadGateway,
        )
        .after(1),
    );
    let report = sync(&stand_in, items(3)).await;
    assert_eq!(
        stand_in.issues().len(),
        3,
        "exactly one issue per plan item"
    );
    let found = ours(&stand_in);
    assert_eq!(found.len(), 3);
    assert_eq!(report.counts.created, 3);
    assert_eq!(report.counts.failed, 0);
    let item_2 = report
        .items
        .iter()
        .find(|i| i.plan_item_id == "item-2")
        .unwrap();
    assert_eq!(item_2.issue_number, Some(found["item-2"].number));
    let creates: Vec<u16> = stand_in
        .requests()
        .iter()
        .filter(|r| r.method == "POST" && r.path == "/repos/acme/shop/issues")
        .map(|r| r.status)
        .collect();
    assert_eq!(
        creates,
        vec![201, 502, 201],
        "the lost create is not sent again"
    );
    let lookup = stand_in
        .requests()
        .into_iter()
        .find(|r| {
            r.method == "GET"
                && r.query
                    .as_deref()
                    .is_some_and(|q| q.contains("sort=created") && q.contains("direction=desc"))
        })
        .unwrap();
    assert_eq!(lookup.status, 200);
    // item-3 depends on item-2: the adopted issue's number is in its body.
    assert!(
        found["item-3"]
            .body
            .as_deref()
            .unwrap()
            .contains(&format!("#{}", found["item-2"].number))
    );

    stand_in.clear_requests();
    sync(&stand_in, items(3)).await;
    assert_eq!(stand_in.writes(), vec![], "converged");
}

#[tokio::test]
async fn a_crash_between_two_creates_then_a_rerun_leaves_no_duplicate() {
    let stand_in = stand_in().await;
    // The second create happens on GitHub, but the agent dies before hearing back.
    stand_in.push_fault(
        Fault::once(
            Method::POST,
            "/repos/acme/shop/issues",
            FaultKind::ApplyThenHang,
        )
        .after(1),
    );
    let crashed = tokio::time::timeout(
        Duration::from_secs(3),
        sync_pack(
            &pack(items(5)),
            &context(),
            &tracker(&stand_in),
            &SyncOptions::default(),
        ),
    )
    .await;
    assert!(crashed.is_err(), "the sync should have been cut off");
    assert_eq!(ours(&stand_in).len(), 2, "two creates reached GitHub");

    let report = sync(&stand_in, items(5)).await;
    let found = ours(&stand_in);
    assert_eq!(found.len(), 5, "exactly one issue per plan item");
    assert_eq!(report.counts.created, 3);
    assert_eq!(report.counts.failed, 0);

    stand_in.clear_requests();
    sync(&stand_in, items(5)).await;
    assert_eq!(stand_in.writes(), vec![], "converged");
}

#[tokio::test]
async fn duplicates_left_by_an_earlier_crash_are_closed() {
    let stand_in = stand_in().await;
    sync(&stand_in, items(2)).await;
    let keep = ours(&stand_in)["item-1"].clone();
    let labels: Vec<&str> = keep.labels.iter().map(String::as_str).collect();
    let duplicate = stand_in.seed_issue(&keep.title, keep.body.as_deref().unwrap(), &labels, false);
    let report = sync(&stand_in, items(2)).await;
    assert_eq!(report.counts.closed, 1);
    let closed = stand_in.issue(duplicate).unwrap();
    assert_eq!(closed.state, "closed");
    assert_eq!(closed.state_reason.as_deref(), Some("not_planned"));
    assert!(
        closed.comments[0]
            .body
            .contains(&format!("duplicates #{}", keep.number))
    );
    assert_eq!(stand_in.issue(keep.number).unwrap().state, "open");
    let state = report.implementation_state(pass_contracts::Timestamp::now());
    assert_eq!(
        state.issues.len(),
        2,
        "each plan item appears once in the state"
    );
}

#[tokio::test]
async fn a_body_both_a_person_and_the_plan_changed_is_a_conflict_commented_once_unless_forced() {
    let stand_in = stand_in().await;
    sync(&stand_in, items(2)).await;
    let issue = ours(&stand_in)["item-1"].clone();
    let edited = issue
        .body
        .clone()
        .unwrap()
        .replace("Summary of item-1.", "Summary, clarified by Ana.");
    stand_in.edit_body(issue.number, &edited);
    stand_in.clear_requests();

    let mut plan = items(2);
    plan[0]["body"] = "A new plan text.".into();
    let report = sync(&stand_in, plan.clone()).await;
    let writes = stand_in.writes();
    assert_eq!(writes.len(), 1, "{writes:?}");
    assert_eq!(
        (writes[0].method.as_str(), writes[0].path.clone()),
        (
            "POST",
            format!("/repos/acme/shop/issues/{}/comments", issue.number)
        ),
        "only a comment: the edited issue is not overwritten"
    );
    let item = &report.items[0];
    assert_eq!(item.action, Action::Conflict);
    assert_eq!(item.outcome, Some(IssueOutcome::Conflict));
    assert!(!report.has_failures(), "a conflict is not a failure");
    let comment = &stand_in.issue(issue.number).unwrap().comments[0].body;
    assert!(comment.contains("A new plan text."), "{comment}");
    assert!(comment.contains("--force"), "{comment}");
    assert_eq!(stand_in.issue(issue.number).unwrap().body.unwrap(), edited);

    stand_in.clear_requests();
    let again = sync(&stand_in, plan.clone()).await;
    assert_eq!(
        stand_in.writes(),
        vec![],
        "the same plan change is commented once"
    );
    assert_eq!(again.items[0].action, Action::Conflict);

    let forced = sync_pack(
        &pack(plan),
        &context(),
        &tracker(&stand_in),
        &SyncOptions {
            dry_run: false,
            force: true,
        },
    )
    .await
    .unwrap();
    assert_eq!(forced.counts.updated, 1);
    assert!(
        stand_in
            .issue(issue.number)
            .unwrap()
            .body
            .unwrap()
            .contains("A new plan text.")
    );
}

#[tokio::test]
async fn a_line_appended_below_the_marker_is_kept_not_a_new_issue() {
    let stand_in = stand_in().await;
    sync(&stand_in, items(2)).await;
    let issue = ours(&stand_in)["item-1"].clone();
    let appended = format!(
        "{}\n\n<!-- triage-bot -->\nPriority: high",
        issue.body.clone().unwrap()
    );
    stand_in.edit_body(issue.number, &appended);
    stand_in.clear_requests();

    let report = sync(&stand_in, items(2)).await;
    assert_eq!(stand_in.writes(), vec![], "no duplicate, no overwrite");
    assert_eq!(stand_in.issues().len(), 2);
    let item = &report.items[0];
    assert_eq!(item.issue_number, Some(issue.number));
    assert_eq!(item.outcome, Some(IssueOutcome::Kept));
    assert_eq!(item.action, Action::Kept);
    assert!(!report.has_failures());

    let forced = sync_pack(
        &pack(items(2)),
        &context(),
        &tracker(&stand_in),
        &SyncOptions {
            dry_run: false,
            force: true,
        },
    )
    .await
    .unwrap();
    assert_eq!(forced.counts.created, 0);
    assert_eq!(forced.counts.updated, 1);
    assert_eq!(stand_in.issues().len(), 2);
    assert_eq!(stand_in.issue(issue.number).unwrap().body, issue.body);
}

#[tokio::test]
async fn an_id_with_surrounding_space_is_adopted_on_resync_and_a_multi_line_id_is_refused() {
    let stand_in = stand_in().await;
    let plan = vec![
        item(" I-1", &[]),
        item("I-2 ", &[" I-1"]),
        item("bad\nid", &[]),
    ];
    let first = sync(&stand_in, plan.clone()).await;
    assert_eq!(first.counts.created, 2);
    assert_eq!(first.counts.failed, 1);
    let refused = &first.items[2];
    assert_eq!(refused.outcome, Some(IssueOutcome::Failed));
    assert!(
        refused.error.as_deref().unwrap().contains("line break"),
        "{refused:?}"
    );
    assert_eq!(refused.issue_number, None);
    let found = ours(&stand_in);
    assert_eq!(
        found.keys().cloned().collect::<Vec<_>>(),
        vec!["I-1".to_owned(), "I-2".to_owned()]
    );
    assert!(
        found["I-2"]
            .body
            .as_deref()
            .unwrap()
            .contains(&format!("Depends on #{}", found["I-1"].number))
    );

    stand_in.clear_requests();
    let again = sync(&stand_in, plan).await;
    assert_eq!(
        stand_in.writes(),
        vec![],
        "no second issue, nothing rewritten"
    );
    assert_eq!(again.counts.unchanged, 2);
    assert_eq!(stand_in.issues().len(), 2);
}

#[tokio::test]
async fn an_item_gone_from_the_plan_is_closed_as_not_planned_once() {
    let stand_in = stand_in().await;
    sync(&stand_in, items(3)).await;
    let gone = ours(&stand_in)["item-2"].clone();
    let plan: Vec<Value> = vec![item("item-1", &[]), item("item-3", &["item-1"])];
    let report = sync(&stand_in, plan.clone()).await;
    assert_eq!(report.counts.closed, 1);
    let closed = stand_in.issue(gone.number).unwrap();
    assert_eq!(
        (closed.state.as_str(), closed.state_reason.as_deref()),
        ("closed", Some("not_planned"))
    );
    assert!(
        closed.comments[0].body.contains(&run_id().to_string()),
        "{:?}",
        closed.comments
    );
    assert!(
        stand_in.issues().iter().any(|i| i.number == gone.number),
        "never deleted"
    );
    let entry = report
        .items
        .iter()
        .find(|i| i.plan_item_id == "item-2")
        .unwrap();
    assert_eq!(entry.state, Some(GithubState::Closed));
    assert!(!entry.in_plan);

    stand_in.clear_requests();
    let report = sync(&stand_in, plan).await;
    assert_eq!(stand_in.writes(), vec![]);
    assert_eq!(report.counts.closed, 0);
}

#[tokio::test]
async fn a_closed_issue_stays_closed_and_is_reported_closed() {
    let stand_in = stand_in().await;
    sync(&stand_in, items(2)).await;
    let done = ours(&stand_in)["item-1"].clone();
    let client = tracker(&stand_in);
    use pass_implementation::IssueTracker;
    client.close_issue(done.number, "done").await.unwrap();
    let report = sync(&stand_in, items(2)).await;
    assert_eq!(report.items[0].state, Some(GithubState::Closed));
    assert_eq!(stand_in.issue(done.number).unwrap().state, "closed");
}

#[tokio::test]
async fn a_dry_run_writes_nothing_and_prints_the_whole_diff() {
    let stand_in = stand_in().await;
    sync(&stand_in, items(3)).await;
    stand_in.clear_requests();
    let mut plan = vec![
        item("item-1", &[]),
        item("item-3", &["item-1"]),
        item("item-9", &[]),
    ];
    plan[0]["title"] = "Renamed".into();
    let report = sync_pack(
        &pack(plan),
        &context(),
        &tracker(&stand_in),
        &SyncOptions {
            dry_run: true,
            force: false,
        },
    )
    .await
    .unwrap();
    assert_eq!(stand_in.writes(), vec![]);
    let json = serde_json::to_value(&report).unwrap();
    let actions: Vec<(String, String)> = json["items"]
        .as_array()
        .unwrap()
        .iter()
        .map(|i| {
            (
                i["plan_item_id"].as_str().unwrap().to_owned(),
                i["action"].as_str().unwrap().to_owned(),
            )
        })
        .collect();
    assert_eq!(
        actions,
        vec![
            ("item-1".to_owned(), "update".to_owned()),
            ("item-3".to_owned(), "update".to_owned()),
            ("item-9".to_owned(), "create".to_owned()),
            ("item-2".to_owned(), "close".to_owned()),
        ]
    );
    assert!(
        json["items"][0]["reason"]
            .as_str()
            .unwrap()
            .contains("title")
    );
    assert_eq!(json["dry_run"], true);
    assert_eq!(report.counts.created, 1);
    assert!(report.text().contains("dry run, nothing written"));
}

#[tokio::test]
async fn a_wrong_token_stops_the_sync_with_a_clear_error_that_hides_the_token() {
    let stand_in = GithubStandIn::start("acme", "shop", "another-token")
        .await
        .unwrap();
    let error = sync_pack(
        &pack(items(1)),
        &context(),
        &tracker(&stand_in),
        &SyncOptions::default(),
    )
    .await
    .unwrap_err();
    let text = error.to_string();
    assert!(
        text.contains("401") && text.contains("Bad credentials"),
        "{text}"
    );
    assert!(!text.contains(crate::support::TOKEN));
}

#[tokio::test]
async fn an_exhausted_primary_rate_limit_is_waited_out_before_the_next_request() {
    let stand_in = stand_in().await;
    stand_in.set_rate_limit(1, Duration::from_secs(1));
    let started = Instant::now();
    let report = sync(&stand_in, items(1)).await;
    assert!(
        started.elapsed() >= Duration::from_secs(1),
        "did not wait for x-ratelimit-reset"
    );
    assert_eq!(report.counts.created, 1);
    let refused: Vec<_> = stand_in
        .requests()
        .into_iter()
        .filter(|r| r.status == 403)
        .collect();
    assert_eq!(
        refused,
        vec![],
        "the agent waited instead of hitting the limit"
    );
}

#[tokio::test]
async fn writes_are_spaced_by_the_write_interval() {
    let stand_in = stand_in().await;
    let mut settings = crate::support::settings(&stand_in);
    settings.write_interval = Duration::from_millis(150);
    let tracker = pass_implementation::GithubTracker::new(&settings).unwrap();
    let started = Instant::now();
    let report = sync_pack(
        &pack(items(3)),
        &context(),
        &tracker,
        &SyncOptions::default(),
    )
    .await
    .unwrap();
    let writes = report.requests.writes;
    assert!(writes >= 5, "3 issues, 2 labels, 2 relations: {writes}");
    assert!(
        started.elapsed() >= Duration::from_millis(150) * (writes as u32 - 1),
        "{writes} writes in {:?}",
        started.elapsed()
    );
}

#[tokio::test]
async fn a_github_enterprise_url_with_a_path_prefix_is_kept_on_every_page() {
    let stand_in = stand_in().await;
    for i in 0..120 {
        stand_in.seed_issue(&format!("Issue {i}"), "Unrelated.", &[], false);
    }
    let mut settings = crate::support::settings(&stand_in);
    settings.api_url = format!("{}/api/v3", stand_in.base_url()).parse().unwrap();
    let tracker = pass_implementation::GithubTracker::new(&settings).unwrap();
    let report = sync_pack(
        &pack(items(2)),
        &context(),
        &tracker,
        &SyncOptions::default(),
    )
    .await
    .unwrap();
    assert_eq!(report.counts.created, 2);
    let requests = stand_in.requests();
    assert!(
        requests
            .iter()
            .all(|r| r.path.starts_with("/api/v3/repos/acme/shop/")),
        "{requests:?}"
    );
    let pages: Vec<Option<String>> = requests
        .iter()
        .filter(|r| r.method == "GET" && r.path.ends_with("/issues"))
        .map(|r| r.query.clone())
        .collect();
    assert_eq!(
        pages,
        vec![
            Some("state=all&per_page=100&page=1".to_owned()),
            Some("state=all&per_page=100&page=2".to_owned()),
        ]
    );
}

#[tokio::test]
async fn labels_people_add_survive_resyncs() {
    let stand_in = stand_in().await;
    sync(&stand_in, items(2)).await;
    let issue = ours(&stand_in)["item-1"].clone();
    let mut labels = issue.labels.clone();
    labels.push("in progress".to_owned());
    use pass_implementation::IssueTracker;
    tracker(&stand_in)
        .update_issue(
            issue.number,
            &pass_implementation::tracker::IssueEdit {
                labels: Some(labels),
                ..Default::default()
            },
        )
        .await
        .unwrap();
    stand_in.clear_requests();
    sync(&stand_in, items(2)).await;
    assert_eq!(
        stand_in.writes(),
        vec![],
        "a person's label is not a difference"
    );

    let mut plan = items(2);
    plan[0]["labels"] = serde_json::json!(["pass", "backend"]);
    sync(&stand_in, plan).await;
    let mut now = stand_in.issue(issue.number).unwrap().labels;
    now.sort();
    assert_eq!(now, vec!["backend", "in progress", "pass"]);
}

#[tokio::test]
async fn swapping_a_dependency_keeps_the_count_but_still_moves_the_relation() {
    let stand_in = stand_in().await;
    let plan = |dependency: &str| {
        vec![
            item("item-1", &[]),
            item("item-2", &[]),
            item("item-3", &[dependency]),
        ]
    };
    sync(&stand_in, plan("item-1")).await;
    let found = ours(&stand_in);
    assert_eq!(found["item-3"].blocked_by, vec![found["item-1"].id]);
    stand_in.clear_requests();

    let report = sync(&stand_in, plan("item-2")).await;

    assert_eq!(report.counts.updated, 1);
    let three = stand_in.issue(found["item-3"].number).unwrap();
    assert_eq!(three.blocked_by, vec![found["item-2"].id]);
    assert!(
        three
            .body
            .unwrap()
            .contains(&format!("Depends on #{}", found["item-2"].number))
    );
    let methods: Vec<String> = stand_in.writes().iter().map(|w| w.method.clone()).collect();
    assert_eq!(methods, vec!["POST", "DELETE", "PATCH"]);
}

#[tokio::test]
async fn a_secondary_rate_limit_without_retry_after_backs_off_by_the_policy() {
    let stand_in = stand_in().await;
    stand_in.push_fault(Fault {
        method: Some(Method::POST),
        path_contains: "/repos/acme/shop/issues".to_owned(),
        skip: 0,
        times: 2,
        kind: FaultKind::SecondaryRateLimit {
            retry_after_secs: None,
        },
    });
    let started = Instant::now();
    let report = sync(&stand_in, items(1)).await;
    // The test policy waits 50 ms, then 100 ms.
    assert!(started.elapsed() >= Duration::from_millis(150));
    assert_eq!(report.counts.created, 1);
    let statuses: Vec<u16> = stand_in
        .requests()
        .iter()
        .filter(|r| r.method == "POST" && r.path == "/repos/acme/shop/issues")
        .map(|r| r.status)
        .collect();
    assert_eq!(statuses, vec![403, 403, 201]);
}
