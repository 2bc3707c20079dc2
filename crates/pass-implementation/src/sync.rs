//! A sync: list the backlog's issues, decide every action, then (unless a
//! dry run) carry the decisions out. Re-running after a crash converges,
//! because every issue is found again by its marker.

use std::collections::HashMap;

use pass_contracts::ArchitecturePack;
use pass_contracts::pack::IssuePlanItem;

use crate::apply::{Applier, ApplyContext, Checkpoint, NeverPause};
use crate::decide::{DecideInput, DecideOptions, EarlierPlans, SyncScope, decide, needs_comments};
use crate::error::SyncError;
use crate::report::{ItemReport, SyncReport};
use crate::tracker::{IssueTracker, RequestCounts, TrackedIssue};

/// How a sync behaves.
#[derive(Debug, Clone, Copy, Default, PartialEq, Eq)]
pub struct SyncOptions {
    /// Decide only: read, never write.
    pub dry_run: bool,
    /// Overwrite what people changed since PASS last wrote an issue.
    pub force: bool,
}

/// Which backlog a sync writes, and what earlier revisions planned.
#[derive(Debug, Clone)]
pub struct SyncContext {
    pub scope: SyncScope,
    /// Plan items of earlier revisions whose issues predate PASS's record of
    /// titles and labels, by run.
    pub earlier: EarlierPlans,
    /// Why each plan item changed in a refinement revision (the answer or
    /// request): an updated issue gets one comment saying so.
    pub reasons: HashMap<String, String>,
}

impl SyncContext {
    /// A run that is its own project, with no earlier revisions.
    pub fn single_run(run_id: uuid::Uuid) -> Self {
        Self {
            scope: SyncScope::single_run(run_id),
            earlier: EarlierPlans::new(),
            reasons: HashMap::new(),
        }
    }
}

/// Syncs the pack's `implementation.github_issue_plan` into `tracker`.
pub async fn sync_pack<T: IssueTracker>(
    pack: &ArchitecturePack,
    context: &SyncContext,
    tracker: &T,
    options: &SyncOptions,
) -> Result<SyncReport, SyncError> {
    sync_items(
        &pack.implementation.github_issue_plan,
        context,
        tracker,
        options,
    )
    .await
}

/// Syncs a list of plan items; [`sync_pack`] without the rest of the pack.
pub async fn sync_items<T: IssueTracker>(
    items: &[IssuePlanItem],
    context: &SyncContext,
    tracker: &T,
    options: &SyncOptions,
) -> Result<SyncReport, SyncError> {
    let before_listing = tracker.requests();
    let issues = tracker
        .list_issues()
        .await
        .map_err(|source| SyncError::List {
            target: tracker.describe(),
            source,
        })?;
    sync_listed(items, context, tracker, issues, before_listing, options).await
}

/// [`sync_items`] for a caller that listed the issues already (the agent
/// reads the revisions named by older issues before deciding).
pub async fn sync_listed<T: IssueTracker>(
    items: &[IssuePlanItem],
    context: &SyncContext,
    tracker: &T,
    issues: Vec<TrackedIssue>,
    before_listing: RequestCounts,
    options: &SyncOptions,
) -> Result<SyncReport, SyncError> {
    sync_listed_pausable(
        items,
        context,
        tracker,
        issues,
        before_listing,
        options,
        &NeverPause,
    )
    .await
}

/// [`sync_listed`] that asks `checkpoint` before each item it writes, and
/// pauses (leaving the rest pending) when told to.
pub async fn sync_listed_pausable<T: IssueTracker, C: Checkpoint>(
    items: &[IssuePlanItem],
    context: &SyncContext,
    tracker: &T,
    issues: Vec<TrackedIssue>,
    before_listing: RequestCounts,
    options: &SyncOptions,
    checkpoint: &C,
) -> Result<SyncReport, SyncError> {
    // The listing is counted with the sync it belongs to.
    let start = before_listing;
    let target = tracker.describe();
    let mut comments = HashMap::new();
    let decide_with = |comments: &HashMap<_, _>| {
        decide(DecideInput {
            scope: &context.scope,
            items,
            issues: &issues,
            earlier: &context.earlier,
            comments,
            options: DecideOptions {
                force: options.force,
            },
        })
    };
    let mut decisions = decide_with(&comments);
    let wanted = needs_comments(&decisions, &issues);
    if !wanted.is_empty() {
        for number in wanted {
            let list =
                tracker
                    .list_comments(number)
                    .await
                    .map_err(|source| SyncError::Comments {
                        target: target.clone(),
                        number,
                        source,
                    })?;
            comments.insert(number, list);
        }
        decisions = decide_with(&comments);
    }

    let mut report = SyncReport {
        run_id: context.scope.run_id,
        project_id: context.scope.project_id,
        target,
        dry_run: options.dry_run,
        items: Vec::new(),
        counts: Default::default(),
        requests: Default::default(),
        notices: Vec::new(),
        stopped: None,
        paused: None,
    };
    if options.dry_run {
        let by_number: HashMap<u64, _> = issues.iter().map(|i| (i.number, i)).collect();
        report.items = decisions
            .iter()
            .map(|decision| {
                let issue = decision
                    .issue_number
                    .and_then(|n| by_number.get(&n).copied());
                ItemReport::from_decision(decision, items, None, issue)
            })
            .collect();
        if tracker.supports_dependencies() {
            report.notices.push(
                "blocked-by relations are compared and written during a real sync only".to_owned(),
            );
        }
        report.requests = tracker.requests().since(start);
        report.tally();
        return Ok(report);
    }

    let mut applier = Applier::new(
        ApplyContext {
            scope: &context.scope,
            items,
            issues: &issues,
            tracker,
            checkpoint,
            reasons: &context.reasons,
        },
        &decisions,
    );
    applier.run(&issues).await;
    report.notices = std::mem::take(&mut applier.notices);
    report.stopped = applier.stopped.take();
    report.paused = applier.paused.take();
    report.items = applier.reports.into_iter().flatten().collect();
    report.requests = tracker.requests().since(start);
    report.tally();
    Ok(report)
}
