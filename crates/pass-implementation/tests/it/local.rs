//! The local Markdown target: same idempotency as GitHub, on files.

use std::time::SystemTime;

use pass_contracts::runs::{GithubState, IssueOutcome};
use pass_implementation::{IssueTracker, LocalTracker, SyncOptions, SyncReport, sync_pack};
use serde_json::Value;

use crate::support::{context, item, items, pack, run_id, temp_dir};

async fn sync(tracker: &LocalTracker, plan: Vec<Value>) -> SyncReport {
    sync_pack(&pack(plan), &context(), tracker, &SyncOptions::default())
        .await
        .unwrap()
}

fn files(dir: &std::path::Path) -> Vec<(String, String, SystemTime)> {
    let mut out: Vec<_> = fs_err::read_dir(dir)
        .unwrap()
        .map(|e| e.unwrap())
        .map(|e| {
            (
                e.file_name().to_string_lossy().into_owned(),
                fs_err::read_to_string(e.path()).unwrap(),
                e.metadata().unwrap().modified().unwrap(),
            )
        })
        .collect();
    out.sort();
    out
}

#[tokio::test]
async fn local_issues_are_front_matter_files_and_resyncs_are_idempotent() {
    let dir = temp_dir("local");
    let tracker = LocalTracker::new(dir.join("issues")).unwrap();
    let report = sync(&tracker, items(3)).await;
    assert_eq!(report.counts.created, 3);
    let written = files(&dir.join("issues"));
    let names: Vec<&str> = written.iter().map(|(n, _, _)| n.as_str()).collect();
    assert_eq!(names, vec!["issue-1.md", "issue-2.md", "issue-3.md"]);
    let third = &written[2].1;
    assert!(
        third.starts_with("---\nnumber: 3\ntitle: Build item-3\n"),
        "{third}"
    );
    assert!(third.contains("depends_on:\n- 1\n- 2\n"), "{third}");
    assert!(third.contains("plan_item: item-3\n"), "{third}");
    assert!(third.contains(&format!("run: {}\n", run_id())), "{third}");
    assert!(third.contains("state: open\n"), "{third}");
    assert!(third.contains("Depends on #2, #1"), "{third}");
    let url = report.items[2].issue_url.clone().unwrap();
    assert_eq!(url.scheme(), "file");
    assert!(url.path().ends_with("/issues/issue-3.md"), "{url}");

    // Re-sync: nothing written, files untouched.
    let again = sync(&tracker, items(3)).await;
    assert_eq!(again.counts.unchanged, 3);
    assert_eq!(again.requests.writes, 0);
    assert_eq!(files(&dir.join("issues")), written);

    // A fresh tracker (a new process) adopts the files rather than duplicating them.
    let fresh = LocalTracker::new(dir.join("issues")).unwrap();
    let mut plan = items(4);
    plan[0]["title"] = "Build item-1 first".into();
    let report = sync(&fresh, plan).await;
    assert_eq!(
        (
            report.counts.created,
            report.counts.updated,
            report.counts.unchanged
        ),
        (1, 1, 2)
    );
    assert_eq!(files(&dir.join("issues")).len(), 4);
    assert_eq!(
        fresh.list_issues().await.unwrap()[0].title,
        "Build item-1 first"
    );

    // An item leaving the plan is closed, with the comment, never deleted.
    let report = sync(&fresh, vec![item("item-1", &[]), item("item-2", &[])]).await;
    assert_eq!(report.counts.closed, 2);
    let listed = fresh.list_issues().await.unwrap();
    assert_eq!(listed.len(), 4);
    assert_eq!(listed[2].state, GithubState::Closed);
    let text = fs_err::read_to_string(dir.join("issues/issue-3.md")).unwrap();
    assert!(text.contains("state_reason: not_planned"), "{text}");
    assert!(text.contains("is no longer in revision 1"), "{text}");
    assert!(
        report
            .items
            .iter()
            .filter(|i| !i.in_plan)
            .all(|i| i.outcome == Some(IssueOutcome::Closed))
    );
    fs_err::remove_dir_all(dir).unwrap();
}

#[tokio::test]
async fn a_local_dry_run_writes_nothing() {
    let dir = temp_dir("local-dry");
    let tracker = LocalTracker::new(dir.join("issues")).unwrap();
    let report = sync_pack(
        &pack(items(2)),
        &context(),
        &tracker,
        &SyncOptions {
            dry_run: true,
            force: false,
        },
    )
    .await
    .unwrap();
    assert_eq!(report.counts.created, 2, "counts what it would do");
    assert!(report.items.iter().all(|i| i.outcome.is_none()));
    assert!(!dir.join("issues").exists(), "nothing was written");
    fs_err::remove_dir_all(dir).unwrap();
}

#[tokio::test]
async fn a_broken_issue_file_is_named_in_the_error() {
    let dir = temp_dir("local-broken");
    fs_err::write(dir.join("issue-1.md"), "no front matter here").unwrap();
    let tracker = LocalTracker::new(&dir).unwrap();
    let error = sync_pack(
        &pack(items(1)),
        &context(),
        &tracker,
        &SyncOptions::default(),
    )
    .await
    .unwrap_err()
    .to_string();
    assert!(
        error.contains("issue-1.md") && error.contains("front matter"),
        "{error}"
    );
    fs_err::remove_dir_all(dir).unwrap();
}

#[tokio::test(flavor = "multi_thread", worker_threads = 4)]
async fn two_trackers_creating_in_one_folder_never_overwrite_each_other() {
    use pass_implementation::tracker::NewIssue;
    use std::collections::BTreeSet;

    let dir = temp_dir("local-concurrent");
    let per_writer = 25;
    let mut writers = Vec::new();
    for writer in 0..2 {
        // Separate trackers, as the agent and `pass sync` in two processes are.
        let tracker = LocalTracker::new(&dir).unwrap();
        writers.push(tokio::spawn(async move {
            let mut numbers = Vec::new();
            for i in 0..per_writer {
                let issue = NewIssue {
                    title: format!("writer {writer} issue {i}"),
                    body: format!("Body of writer {writer} issue {i}."),
                    labels: Vec::new(),
                };
                let created = tracker.create_issue(&issue).await.unwrap();
                numbers.push((created.number, issue.title));
            }
            numbers
        }));
    }
    let mut created = Vec::new();
    for writer in writers {
        created.extend(writer.await.unwrap());
    }

    let numbers: BTreeSet<u64> = created.iter().map(|(n, _)| *n).collect();
    assert_eq!(
        numbers.len(),
        2 * per_writer,
        "every create got its own number"
    );
    let listed = LocalTracker::new(&dir)
        .unwrap()
        .list_issues()
        .await
        .unwrap();
    assert_eq!(listed.len(), 2 * per_writer, "no file was overwritten");
    for (number, title) in &created {
        let issue = listed.iter().find(|i| i.number == *number).unwrap();
        assert_eq!(&issue.title, title);
    }
    let leftovers: Vec<String> = fs_err::read_dir(&dir)
        .unwrap()
        .map(|e| e.unwrap().file_name().to_string_lossy().into_owned())
        .filter(|name| name.ends_with(".tmp"))
        .collect();
    assert_eq!(leftovers, Vec::<String>::new());
    fs_err::remove_dir_all(dir).unwrap();
}
