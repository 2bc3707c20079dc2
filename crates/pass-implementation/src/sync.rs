//! Applying the plan to a tracker: create, update only on a real difference,
//! set "blocked by" relations, close what left the plan, and keep going past
//! an item the tracker refuses. Re-running after a crash converges, because
//! every issue is found again by its marker.

use std::collections::{BTreeSet, HashMap, HashSet};

use pass_contracts::ArchitecturePack;
use pass_contracts::pack::IssuePlanItem;
use pass_contracts::runs::{GithubState, SyncStatus};
use uuid::Uuid;

use crate::error::{SyncError, TrackerError};
use crate::plan::{
    Action, Change, Desired, PlannedItem, adopt, dependency_order, describe_changes, desired, diff,
    id_problems, item_key, managed_labels, plan_sync, target_labels,
};
use crate::report::{ItemReport, SyncReport};
use crate::tracker::{IssueEdit, IssueTracker, NewIssue, TrackedIssue};

/// How a sync behaves.
#[derive(Debug, Clone, Copy, Default, PartialEq, Eq)]
pub struct SyncOptions {
    /// Plan only: read, never write.
    pub dry_run: bool,
    /// Overwrite issues people edited since PASS last wrote them.
    pub force: bool,
}

/// Syncs the pack's `implementation.github_issue_plan` into `tracker`.
pub async fn sync_pack<T: IssueTracker>(
    pack: &ArchitecturePack,
    run_id: Uuid,
    tracker: &T,
    options: &SyncOptions,
) -> Result<SyncReport, SyncError> {
    sync_items(
        &pack.implementation.github_issue_plan,
        run_id,
        tracker,
        options,
    )
    .await
}

/// Syncs a list of plan items; [`sync_pack`] without the rest of the pack.
pub async fn sync_items<T: IssueTracker>(
    items: &[IssuePlanItem],
    run_id: Uuid,
    tracker: &T,
    options: &SyncOptions,
) -> Result<SyncReport, SyncError> {
    let start = tracker.requests();
    let issues = tracker
        .list_issues()
        .await
        .map_err(|source| SyncError::List {
            target: tracker.describe(),
            source,
        })?;
    let plan = plan_sync(run_id, items, &issues, options.force);
    let mut report = SyncReport {
        run_id,
        target: tracker.describe(),
        dry_run: options.dry_run,
        items: Vec::new(),
        counts: Default::default(),
        requests: Default::default(),
        notices: Vec::new(),
        stopped: None,
    };
    if options.dry_run {
        report.items = plan
            .iter()
            .map(|p| planned_report(p, items, &issues))
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

    let mut sync = Applier::new(run_id, items, &issues, &plan, tracker, options);
    sync.ensure_labels(&issues).await;
    sync.write_items().await;
    sync.close_removed().await;
    report.notices = std::mem::take(&mut sync.notices);
    report.stopped = sync.stopped.take();
    report.items = sync.reports.into_iter().flatten().collect();
    report.requests = tracker.requests().since(start);
    report.tally();
    Ok(report)
}

fn planned_report(
    planned: &PlannedItem,
    items: &[IssuePlanItem],
    issues: &[TrackedIssue],
) -> ItemReport {
    let item = items
        .iter()
        .find(|i| item_key(&i.id) == item_key(&planned.plan_item_id));
    let issue = planned
        .issue_number
        .and_then(|n| issues.iter().find(|i| i.number == n));
    ItemReport {
        plan_item_id: planned.plan_item_id.clone(),
        title: planned.title.clone(),
        action: planned.action.clone(),
        reason: planned.reason.clone(),
        changes: planned.changes.clone(),
        status: None,
        issue_number: planned.issue_number,
        issue_url: issue.map(|i| i.url.clone()),
        state: planned.state,
        labels: match (item, issue) {
            (Some(item), _) => item.labels.iter().map(|l| l.to_string()).collect(),
            (None, Some(issue)) => issue.labels.clone(),
            (None, None) => Vec::new(),
        },
        error: None,
        in_plan: item.is_some() && !planned.duplicate,
        duplicate: planned.duplicate,
    }
}

struct Applier<'a, T> {
    run_id: Uuid,
    items: &'a [IssuePlanItem],
    plan: &'a [PlannedItem],
    tracker: &'a T,
    options: &'a SyncOptions,
    /// The issue each plan item id is synced into, kept current after writes.
    current: HashMap<String, TrackedIssue>,
    /// Every listed issue, for reports on issues outside the plan.
    listed: HashMap<u64, TrackedIssue>,
    edited: HashSet<String>,
    /// Labels the plan uses; others on an issue are people's and are kept.
    managed: BTreeSet<String>,
    /// Cleared when the tracker turns out to lack the dependencies endpoints.
    relations_supported: bool,
    created: HashSet<String>,
    /// Why an item cannot be synced (same index as `items`).
    problems: Vec<Option<String>>,
    /// One report per plan entry, same index as `plan`.
    reports: Vec<Option<ItemReport>>,
    notices: Vec<String>,
    stopped: Option<String>,
}

impl<'a, T: IssueTracker> Applier<'a, T> {
    fn new(
        run_id: Uuid,
        items: &'a [IssuePlanItem],
        issues: &[TrackedIssue],
        plan: &'a [PlannedItem],
        tracker: &'a T,
        options: &'a SyncOptions,
    ) -> Self {
        let adopted = adopt(run_id, issues);
        let edited = adopted
            .primary
            .iter()
            .filter(|(_, (_, marked))| marked.edited_since_written())
            .map(|(id, _)| id.clone())
            .collect();
        let current = adopted
            .primary
            .into_iter()
            .map(|(id, (issue, _))| (id, issue))
            .collect();
        Self {
            run_id,
            items,
            plan,
            tracker,
            options,
            current,
            listed: issues.iter().map(|i| (i.number, i.clone())).collect(),
            edited,
            managed: managed_labels(items),
            relations_supported: tracker.supports_dependencies(),
            created: HashSet::new(),
            problems: id_problems(items),
            reports: vec![None; plan.len()],
            notices: Vec::new(),
            stopped: None,
        }
    }

    fn numbers(&self) -> HashMap<String, u64> {
        self.current
            .iter()
            .map(|(id, issue)| (id.clone(), issue.number))
            .collect()
    }

    /// Records an error: item-level ones fail the item only; anything else
    /// (authentication, exhausted rate limits, an unreachable GitHub) stops
    /// all further writes, because every following request would fail too.
    fn note_error(&mut self, error: &TrackerError) -> String {
        if !error.is_item_level() && self.stopped.is_none() {
            self.stopped = Some(error.to_string());
        }
        error.to_string()
    }

    fn report(&self, index: usize, status: SyncStatus, issue: Option<&TrackedIssue>) -> ItemReport {
        let planned = &self.plan[index];
        let in_plan = index < self.items.len() && !planned.duplicate;
        ItemReport {
            plan_item_id: planned.plan_item_id.clone(),
            title: planned.title.clone(),
            action: planned.action.clone(),
            reason: planned.reason.clone(),
            changes: planned.changes.clone(),
            status: Some(status),
            issue_number: issue.map(|i| i.number).or(planned.issue_number),
            issue_url: issue.map(|i| i.url.clone()),
            state: issue.map(|i| i.state).or(planned.state),
            // What the issue carries (people's labels included), else what the plan asks.
            labels: match issue {
                Some(issue) => issue.labels.clone(),
                None if in_plan => self.items[index]
                    .labels
                    .iter()
                    .map(|l| l.to_string())
                    .collect(),
                None => Vec::new(),
            },
            error: None,
            in_plan,
            duplicate: planned.duplicate,
        }
    }

    /// Labels must exist before an issue uses them. Labels already on some
    /// listed issue evidently exist, so an unchanged re-sync asks nothing.
    async fn ensure_labels(&mut self, issues: &[TrackedIssue]) {
        let seen: HashSet<String> = issues
            .iter()
            .flat_map(|i| i.labels.iter().map(|l| l.to_lowercase()))
            .collect();
        let needed: BTreeSet<String> = self
            .items
            .iter()
            .zip(self.plan)
            .filter(|(_, planned)| {
                planned.action == Action::Create
                    || (planned.action == Action::Update
                        && planned.changes.contains(&Change::Labels))
            })
            .flat_map(|(item, _)| item.labels.iter().map(|l| l.trim().to_owned()))
            .filter(|l| !l.is_empty() && !seen.contains(&l.to_lowercase()))
            .collect();
        if needed.is_empty() {
            return;
        }
        let needed: Vec<String> = needed.into_iter().collect();
        if let Err(error) = self.tracker.ensure_labels(&needed).await {
            let message = self.note_error(&error);
            self.notices
                .push(format!("labels could not be made to exist: {message}"));
        }
    }

    /// Items in dependency order, so every issue's dependencies already have
    /// numbers (and ids) when its body and relations are written.
    async fn write_items(&mut self) {
        for index in dependency_order(self.items) {
            let item = &self.items[index];
            let id = item_key(&item.id).to_owned();
            if let Some(problem) = &self.problems[index] {
                let mut report = self.report(index, SyncStatus::Failed, None);
                report.action = Action::Skip;
                report.error = Some(problem.clone());
                self.reports[index] = Some(report);
                continue;
            }
            if let Some(stopped) = &self.stopped {
                let mut report = self.report(index, SyncStatus::Failed, self.current.get(&id));
                report.error = Some(format!(
                    "not synced: the sync stopped after an error: {stopped}"
                ));
                self.reports[index] = Some(report);
                continue;
            }
            let want = desired(item, self.run_id, &self.numbers());
            let existing = self.current.get(&id).cloned();
            let report = match existing {
                None => self.create(index, &want).await,
                Some(issue) => {
                    let changes = diff(&want, &issue, &self.managed);
                    if !changes.is_empty() && self.edited.contains(&id) && !self.options.force {
                        let mut report = self.report(index, SyncStatus::Failed, Some(&issue));
                        report.action = Action::Skip;
                        report.error = Some(
                            "edited since last sync; not overwritten (run with --force to overwrite)"
                                .to_owned(),
                        );
                        report
                    } else {
                        self.update(index, &want, issue, changes).await
                    }
                }
            };
            self.reports[index] = Some(report);
        }
    }

    async fn create(&mut self, index: usize, want: &Desired) -> ItemReport {
        let new = NewIssue {
            title: want.title.clone(),
            body: want.body.clone(),
            labels: want.labels.clone(),
        };
        match self.tracker.create_issue(&new).await {
            Ok(mut issue) => {
                issue.blocked_by_count = Some(0);
                let id = item_key(&self.items[index].id).to_owned();
                self.created.insert(id.clone());
                self.current.insert(id, issue.clone());
                let mut report = self.report(index, SyncStatus::Created, Some(&issue));
                if let Err(error) = self.write_relations(index, &issue, false).await {
                    report.status = Some(SyncStatus::Failed);
                    report.error = Some(error);
                }
                report
            }
            Err(error) => {
                let mut report = self.report(index, SyncStatus::Failed, None);
                report.error = Some(self.note_error(&error));
                report
            }
        }
    }

    /// Relations first, then the fields: if the agent dies in between, the
    /// body still differs and the next run re-reads the relations.
    async fn update(
        &mut self,
        index: usize,
        want: &Desired,
        issue: TrackedIssue,
        changes: Vec<Change>,
    ) -> ItemReport {
        let body_changes = changes.contains(&Change::Body);
        let relations = self.write_relations(index, &issue, body_changes).await;
        let wrote_relations = match relations {
            Ok(wrote) => wrote,
            Err(error) => {
                let mut report = self.report(index, SyncStatus::Failed, Some(&issue));
                report.error = Some(error);
                return report;
            }
        };
        if changes.is_empty() {
            let mut report = self.report(index, SyncStatus::Unchanged, Some(&issue));
            report.action = Action::Unchanged;
            report.reason = "title, body and labels match".to_owned();
            report.changes.clear();
            if wrote_relations {
                report.status = Some(SyncStatus::Updated);
                report.action = Action::Update;
                report.reason = "blocked-by relations differ".to_owned();
            }
            return report;
        }
        let edit = IssueEdit {
            title: changes.contains(&Change::Title).then(|| want.title.clone()),
            body: body_changes.then(|| want.body.clone()),
            labels: changes
                .contains(&Change::Labels)
                .then(|| target_labels(want, &issue, &self.managed)),
        };
        match self.tracker.update_issue(issue.number, &edit).await {
            Ok(mut updated) => {
                if updated.blocked_by_count.is_none() {
                    updated.blocked_by_count = issue.blocked_by_count;
                }
                let mut report = self.report(index, SyncStatus::Updated, Some(&updated));
                report.action = Action::Update;
                report.reason = describe_changes(&changes);
                report.changes = changes;
                self.current
                    .insert(item_key(&self.items[index].id).to_owned(), updated);
                report
            }
            Err(error) => {
                let mut report = self.report(index, SyncStatus::Failed, Some(&issue));
                report.error = Some(self.note_error(&error));
                report
            }
        }
    }

    /// GitHub's native "blocked by" relations of one issue: missing ones
    /// added, stale ones (to this run's other issues) removed, others left
    /// alone. The listing's count is trusted when the body (which names the
    /// dependencies) is not changing and no dependency is new, so an
    /// unchanged re-sync reads no relations at all. Returns whether it wrote.
    async fn write_relations(
        &mut self,
        index: usize,
        issue: &TrackedIssue,
        body_changes: bool,
    ) -> Result<bool, String> {
        if !self.relations_supported {
            return Ok(false);
        }
        let item = &self.items[index];
        let wanted: BTreeSet<u64> = item
            .depends_on
            .iter()
            .filter_map(|dependency| self.current.get(item_key(dependency)).map(|i| i.id))
            .collect();
        let dependency_is_new = item
            .depends_on
            .iter()
            .any(|dependency| self.created.contains(item_key(dependency)));
        let present: BTreeSet<u64> = match issue.blocked_by_count {
            Some(0) => BTreeSet::new(),
            Some(count) if count == wanted.len() as u64 && !body_changes && !dependency_is_new => {
                return Ok(false);
            }
            _ => match self.tracker.list_blocked_by(issue.number).await {
                Ok(present) => present.into_iter().collect(),
                Err(error) if error.is_not_found() => {
                    self.dependencies_unsupported(&error);
                    return Ok(false);
                }
                Err(error) => return Err(self.relation_error(&error)),
            },
        };
        let ours: HashSet<u64> = self.current.values().map(|i| i.id).collect();
        let mut wrote = false;
        for blocking in wanted.difference(&present) {
            match self.tracker.add_blocked_by(issue.number, *blocking).await {
                Ok(()) => wrote = true,
                Err(error) if error.is_not_found() && !wrote => {
                    self.dependencies_unsupported(&error);
                    return Ok(false);
                }
                Err(error) => return Err(self.relation_error(&error)),
            }
        }
        let stale: Vec<u64> = present
            .iter()
            .filter(|blocking| ours.contains(blocking) && !wanted.contains(blocking))
            .copied()
            .collect();
        for blocking in stale {
            match self.tracker.remove_blocked_by(issue.number, blocking).await {
                Ok(()) => wrote = true,
                Err(error) => return Err(self.relation_error(&error)),
            }
        }
        Ok(wrote)
    }

    fn relation_error(&mut self, error: &TrackerError) -> String {
        format!("blocked-by relations: {}", self.note_error(error))
    }

    fn dependencies_unsupported(&mut self, error: &TrackerError) {
        self.relations_supported = false;
        tracing::warn!(%error, "issue dependencies endpoints unavailable; using body references only");
        self.notices.push(format!(
            "{} has no issue-dependencies endpoints ({error}); dependencies are written as body references only",
            self.tracker.describe()
        ));
    }

    /// Closes, as not planned and with a comment, the issues whose plan item
    /// left the pack and the duplicates a crash may have left; never deletes.
    async fn close_removed(&mut self) {
        for index in self.items.len()..self.plan.len() {
            let planned = &self.plan[index];
            let Some(number) = planned.issue_number else {
                continue;
            };
            if planned.action != Action::Close {
                let listed = self.listed.get(&number).cloned();
                let report = self.report(index, SyncStatus::Unchanged, listed.as_ref());
                self.reports[index] = Some(report);
                continue;
            }
            if let Some(stopped) = &self.stopped {
                let mut report = self.report(index, SyncStatus::Failed, None);
                report.error = Some(format!(
                    "not closed: the sync stopped after an error: {stopped}"
                ));
                self.reports[index] = Some(report);
                continue;
            }
            let comment = if planned.duplicate {
                let keep = self
                    .current
                    .get(&planned.plan_item_id)
                    .map(|i| format!("#{}", i.number))
                    .unwrap_or_else(|| "another issue".to_owned());
                format!(
                    "PASS closed this issue as not planned: it duplicates {keep}, the issue for plan item `{}` of run {}.",
                    planned.plan_item_id, self.run_id
                )
            } else {
                format!(
                    "PASS closed this issue as not planned: plan item `{}` is no longer in the architecture pack of run {}.",
                    planned.plan_item_id, self.run_id
                )
            };
            let report = match self.tracker.close_issue(number, &comment).await {
                Ok(issue) => {
                    let mut report = self.report(index, SyncStatus::Updated, Some(&issue));
                    report.state = Some(GithubState::Closed);
                    report
                }
                Err(error) => {
                    let listed = self.listed.get(&number).cloned();
                    let mut report = self.report(index, SyncStatus::Failed, listed.as_ref());
                    report.error = Some(self.note_error(&error));
                    report
                }
            };
            self.reports[index] = Some(report);
        }
    }
}
