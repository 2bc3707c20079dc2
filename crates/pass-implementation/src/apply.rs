//! The writing half of a sync: carries out the decisions `decide` took, in
//! dependency order so every new issue can name its dependencies' numbers,
//! sets "blocked by" relations, and keeps going past an item the tracker
//! refuses. Nothing is decided here except the issue numbers of issues
//! created on the way, which nothing could know before.

use std::collections::{BTreeSet, HashMap, HashSet};
use std::future::Future;

use pass_contracts::pack::IssuePlanItem;
use pass_contracts::runs::{GithubState, IssueOutcome};

use crate::decide::{Action, Decision, Field, SyncScope};
use crate::error::TrackerError;
use crate::marker::{CommentKind, MarkerFields, comment_tag, render_body};
use crate::render::{Numbers, desired, item_key};
use crate::report::ItemReport;
use crate::tracker::{IssueEdit, IssueTracker, NewIssue, TrackedIssue};

/// Plan items in an order where every item comes after the items it depends
/// on (plan order otherwise), so each new issue can name its dependencies'
/// numbers the moment it is created. Items caught in a cycle keep plan order.
pub fn dependency_order(items: &[IssuePlanItem]) -> Vec<usize> {
    let index: HashMap<&str, usize> = items
        .iter()
        .enumerate()
        .map(|(i, item)| (item_key(&item.id), i))
        .collect();
    let mut order = Vec::with_capacity(items.len());
    let mut state = vec![0u8; items.len()];
    fn visit(
        i: usize,
        items: &[IssuePlanItem],
        index: &HashMap<&str, usize>,
        state: &mut [u8],
        order: &mut Vec<usize>,
    ) {
        if state[i] != 0 {
            return;
        }
        state[i] = 1;
        for dependency in &items[i].depends_on {
            if let Some(&j) = index.get(item_key(dependency)) {
                if state[j] == 0 {
                    visit(j, items, index, state, order);
                }
            }
        }
        state[i] = 2;
        order.push(i);
    }
    for i in 0..items.len() {
        visit(i, items, &index, &mut state, &mut order);
    }
    order
}

/// Asked before each item a sync writes: whether to pause first.
pub trait Checkpoint: Sync {
    /// Why the sync must pause before its next item, if it must.
    fn pause_reason(&self) -> impl Future<Output = Option<String>> + Send;
}

/// A sync nothing pauses (tests, `pass sync` by hand without an execution).
#[derive(Debug, Clone, Copy, Default)]
pub struct NeverPause;

impl Checkpoint for NeverPause {
    async fn pause_reason(&self) -> Option<String> {
        None
    }
}

/// Carries out `decisions` on `tracker`; one report per decision, same order.
pub(crate) struct Applier<'a, T, C> {
    scope: &'a SyncScope,
    checkpoint: &'a C,
    /// Why each plan item changed in this revision, for a comment on its issue.
    reasons: &'a HashMap<String, String>,
    items: &'a [IssuePlanItem],
    decisions: &'a [Decision],
    tracker: &'a T,
    /// The issue each plan item id is synced into, kept current after writes.
    current: HashMap<String, TrackedIssue>,
    /// Cleared when the tracker turns out to lack the dependencies endpoints.
    relations_supported: bool,
    created: HashSet<String>,
    pub(crate) reports: Vec<Option<ItemReport>>,
    pub(crate) notices: Vec<String>,
    pub(crate) stopped: Option<String>,
    pub(crate) paused: Option<String>,
}

/// What the applier works with besides the decisions.
pub(crate) struct ApplyContext<'a, T, C> {
    pub scope: &'a SyncScope,
    pub items: &'a [IssuePlanItem],
    pub issues: &'a [TrackedIssue],
    pub tracker: &'a T,
    pub checkpoint: &'a C,
    pub reasons: &'a HashMap<String, String>,
}

impl<'a, T: IssueTracker, C: Checkpoint> Applier<'a, T, C> {
    pub(crate) fn new(context: ApplyContext<'a, T, C>, decisions: &'a [Decision]) -> Self {
        let ApplyContext {
            scope,
            items,
            issues,
            tracker,
            checkpoint,
            reasons,
        } = context;
        let by_number: HashMap<u64, &TrackedIssue> = issues.iter().map(|i| (i.number, i)).collect();
        let current = decisions
            .iter()
            .filter(|d| d.in_plan)
            .filter_map(|d| {
                let issue = by_number.get(&d.issue_number?)?;
                Some((d.plan_item_id.clone(), (*issue).clone()))
            })
            .collect();
        Self {
            scope,
            checkpoint,
            reasons,
            items,
            decisions,
            tracker,
            current,
            relations_supported: tracker.supports_dependencies(),
            created: HashSet::new(),
            reports: vec![None; decisions.len()],
            notices: Vec::new(),
            stopped: None,
            paused: None,
        }
    }

    /// Asks the checkpoint before an item that writes; once paused, stays paused.
    async fn should_pause(&mut self) -> bool {
        if self.paused.is_none() {
            self.paused = self.checkpoint.pause_reason().await;
        }
        self.paused.is_some()
    }

    fn pending(&self, index: usize, issue: Option<&TrackedIssue>) -> ItemReport {
        let mut report = self.report(index, IssueOutcome::Pending, issue);
        report.reason = format!(
            "not written yet: the sync paused ({}); it resumes once the question is settled",
            self.paused.as_deref().unwrap_or("paused")
        );
        report
    }

    fn numbers(&self) -> Numbers {
        Numbers {
            known: self
                .current
                .iter()
                .map(|(id, issue)| (id.clone(), issue.number))
                .collect(),
            to_create: HashSet::new(),
        }
    }

    /// Records an error: item-level ones fail the item only; anything else
    /// (authentication, exhausted rate limits, an unreachable GitHub, a lost
    /// lease) stops all further writes, because every following request would
    /// fail too or must not be made.
    fn note_error(&mut self, error: &TrackerError) -> String {
        if !error.is_item_level() && self.stopped.is_none() {
            self.stopped = Some(error.to_string());
        }
        error.to_string()
    }

    fn report(
        &self,
        index: usize,
        outcome: IssueOutcome,
        issue: Option<&TrackedIssue>,
    ) -> ItemReport {
        let decision = &self.decisions[index];
        ItemReport::from_decision(decision, self.items, Some(outcome), issue)
    }

    fn failed(&mut self, index: usize, issue: Option<&TrackedIssue>, error: String) -> ItemReport {
        let mut report = self.report(index, IssueOutcome::Failed, issue);
        report.error = Some(error);
        report
    }

    /// Everything, in order: labels, the plan's items, then the issues of items
    /// that left the plan.
    pub(crate) async fn run(&mut self, issues: &[TrackedIssue]) {
        self.ensure_labels(issues).await;
        self.write_items().await;
        self.write_leftovers().await;
    }

    /// Labels must exist before an issue uses them. Labels already on some
    /// listed issue evidently exist, so an unchanged re-sync asks nothing.
    async fn ensure_labels(&mut self, issues: &[TrackedIssue]) {
        let seen: HashSet<String> = issues
            .iter()
            .flat_map(|i| i.labels.iter().map(|l| l.to_lowercase()))
            .collect();
        let needed: BTreeSet<String> = self
            .decisions
            .iter()
            .filter(|d| {
                d.action == Action::Create
                    || (d.action == Action::Update && d.changes.contains(&Field::Labels))
            })
            .flat_map(|d| d.target_labels.iter().map(|l| l.trim().to_owned()))
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

    /// The decision index of each plan item.
    fn decision_of(&self, item_index: usize) -> Option<usize> {
        self.decisions
            .iter()
            .position(|d| d.item_index == Some(item_index))
    }

    async fn write_items(&mut self) {
        for item_index in dependency_order(self.items) {
            let Some(index) = self.decision_of(item_index) else {
                continue;
            };
            let decision = &self.decisions[index];
            let id = decision.plan_item_id.clone();
            let existing = self.current.get(&id).cloned();
            if decision.action == Action::Skip {
                let report = self.failed(index, None, decision.reason.clone());
                self.reports[index] = Some(report);
                continue;
            }
            let writes = matches!(decision.action, Action::Create | Action::Update)
                || decision.comment.is_some();
            if writes && self.should_pause().await {
                let report = self.pending(index, existing.as_ref());
                self.reports[index] = Some(report);
                continue;
            }
            if writes {
                if let Some(stopped) = self.stopped.clone() {
                    let report = self.failed(
                        index,
                        existing.as_ref(),
                        format!("not synced: the sync stopped after an error: {stopped}"),
                    );
                    self.reports[index] = Some(report);
                    continue;
                }
            }
            let report = match (decision.action, existing) {
                (Action::Create, _) => self.create(index, item_index).await,
                (Action::Update, Some(issue)) => self.update(index, item_index, issue).await,
                (Action::Unchanged, Some(issue)) => self.unchanged(index, item_index, issue).await,
                (Action::Conflict, Some(issue)) => {
                    self.comment_only(index, issue, IssueOutcome::Conflict)
                        .await
                }
                (_, issue) => self.report(index, IssueOutcome::Kept, issue.as_ref()),
            };
            self.reports[index] = Some(report);
        }
    }

    fn marker_fields<'b>(
        &self,
        item: &'b IssuePlanItem,
        title_sha: &'b str,
        labels: &'b [String],
    ) -> MarkerFields<'b> {
        MarkerFields {
            run_id: self.scope.run_id,
            project_id: self.scope.project_id,
            plan_item_id: item_key(&item.id),
            title_sha256: title_sha,
            labels,
        }
    }

    async fn create(&mut self, index: usize, item_index: usize) -> ItemReport {
        let item = &self.items[item_index];
        let want = desired(item, &self.numbers());
        let title_sha = crate::marker::title_sha256(&want.title);
        let body = render_body(
            &want.content,
            self.marker_fields(item, &title_sha, &want.labels),
        );
        let new = NewIssue {
            title: want.title.clone(),
            body,
            labels: want.labels.clone(),
        };
        match self.tracker.create_issue(&new).await {
            Ok(mut issue) => {
                issue.blocked_by_count = Some(0);
                let id = item_key(&item.id).to_owned();
                self.created.insert(id.clone());
                self.current.insert(id, issue.clone());
                let mut report = self.report(index, IssueOutcome::Created, Some(&issue));
                if let Err(error) = self.write_relations(item_index, &issue, false).await {
                    report.outcome = Some(IssueOutcome::Failed);
                    report.error = Some(error);
                }
                report
            }
            Err(error) => {
                let message = self.note_error(&error);
                self.failed(index, None, message)
            }
        }
    }

    /// Relations first, then the fields: if the agent dies in between, the
    /// body still differs and the next run re-reads the relations.
    async fn update(&mut self, index: usize, item_index: usize, issue: TrackedIssue) -> ItemReport {
        let decision = &self.decisions[index];
        let writes_body = decision.changes.contains(&Field::Body) || decision.refresh_record;
        if let Err(error) = self
            .write_relations(item_index, &issue, decision.changes.contains(&Field::Body))
            .await
        {
            return self.failed(index, Some(&issue), error);
        }
        let decision = &self.decisions[index];
        let item = &self.items[item_index];
        // Rendered now: dependencies created by this sync have numbers.
        let want = desired(item, &self.numbers());
        let title_sha = decision
            .recorded_title_sha
            .clone()
            .unwrap_or_else(|| crate::marker::title_sha256(&want.title));
        let edit = IssueEdit {
            title: decision
                .changes
                .contains(&Field::Title)
                .then(|| want.title.clone()),
            body: writes_body.then(|| {
                render_body(
                    &want.content,
                    self.marker_fields(item, &title_sha, &want.labels),
                )
            }),
            labels: decision
                .changes
                .contains(&Field::Labels)
                .then(|| decision.target_labels.clone()),
        };
        match self.tracker.update_issue(issue.number, &edit).await {
            Ok(mut updated) => {
                if updated.blocked_by_count.is_none() {
                    updated.blocked_by_count = issue.blocked_by_count;
                }
                let mut report = self.report(index, IssueOutcome::Updated, Some(&updated));
                let id = item_key(&item.id).to_owned();
                self.current.insert(id.clone(), updated);
                if let Some(reason) = self.reasons.get(&id) {
                    let comment = format!(
                        "Revision {} of the plan changed this issue, for: {reason}\n\n{}",
                        self.scope.revision,
                        comment_tag(
                            CommentKind::PlanChange,
                            &format!("refined-{}", self.scope.run_id)
                        )
                    );
                    if let Err(error) = self.tracker.add_comment(issue.number, &comment).await {
                        report.outcome = Some(IssueOutcome::Failed);
                        report.error = Some(self.note_error(&error));
                    } else {
                        report.comment = Some(comment);
                    }
                }
                report
            }
            Err(error) => {
                let message = self.note_error(&error);
                self.failed(index, Some(&issue), message)
            }
        }
    }

    /// An unchanged issue still gets its relations checked, cheaply: the
    /// listing's count is trusted unless a dependency is new.
    async fn unchanged(
        &mut self,
        index: usize,
        item_index: usize,
        issue: TrackedIssue,
    ) -> ItemReport {
        match self.write_relations(item_index, &issue, false).await {
            Ok(true) => {
                let mut report = self.report(index, IssueOutcome::Updated, Some(&issue));
                report.reason = "blocked-by relations differ".to_owned();
                report
            }
            Ok(false) => self.report(index, IssueOutcome::Unchanged, Some(&issue)),
            Err(error) => self.failed(index, Some(&issue), error),
        }
    }

    /// Posts the decision's comment, if it has one, and reports `outcome`.
    async fn comment_only(
        &mut self,
        index: usize,
        issue: TrackedIssue,
        outcome: IssueOutcome,
    ) -> ItemReport {
        if let Some(comment) = self.decisions[index].comment.clone() {
            if let Err(error) = self.tracker.add_comment(issue.number, &comment).await {
                let message = self.note_error(&error);
                return self.failed(index, Some(&issue), message);
            }
        }
        self.report(index, outcome, Some(&issue))
    }

    /// GitHub's native "blocked by" relations of one issue: missing ones
    /// added, stale ones (to this backlog's other issues) removed, others left
    /// alone. The listing's count is trusted when the body (which names the
    /// dependencies) is not changing and no dependency is new, so an
    /// unchanged re-sync reads no relations at all. Returns whether it wrote.
    async fn write_relations(
        &mut self,
        item_index: usize,
        issue: &TrackedIssue,
        body_changes: bool,
    ) -> Result<bool, String> {
        if !self.relations_supported {
            return Ok(false);
        }
        let item = &self.items[item_index];
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
                // A relation that exists already (its first answer was lost)
                // is what was wanted.
                Err(error) if error.is_unprocessable() => {
                    match self.tracker.list_blocked_by(issue.number).await {
                        Ok(now) if now.contains(blocking) => wrote = true,
                        _ => return Err(self.relation_error(&error)),
                    }
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

    /// Issues whose item left the plan, and duplicates: closed as not planned
    /// with a comment, or only commented; never deleted.
    async fn write_leftovers(&mut self) {
        for index in 0..self.decisions.len() {
            let decision = &self.decisions[index];
            if decision.in_plan {
                continue;
            }
            let Some(number) = decision.issue_number else {
                continue;
            };
            let action = decision.action;
            let comment = decision.comment.clone();
            if !matches!(action, Action::Close | Action::Comment) {
                let outcome = if action == Action::Kept {
                    IssueOutcome::Kept
                } else {
                    IssueOutcome::Unchanged
                };
                self.reports[index] = Some(self.report(index, outcome, None));
                continue;
            }
            if self.should_pause().await {
                let report = self.pending(index, None);
                self.reports[index] = Some(report);
                continue;
            }
            if let Some(stopped) = self.stopped.clone() {
                let report = self.failed(
                    index,
                    None,
                    format!("not written: the sync stopped after an error: {stopped}"),
                );
                self.reports[index] = Some(report);
                continue;
            }
            let comment = comment.unwrap_or_default();
            let result = if action == Action::Close {
                self.tracker.close_issue(number, &comment).await.map(Some)
            } else {
                self.tracker
                    .add_comment(number, &comment)
                    .await
                    .map(|()| None)
            };
            let report = match result {
                Ok(closed) => {
                    let mut report = self.report(
                        index,
                        if action == Action::Close {
                            IssueOutcome::Closed
                        } else {
                            IssueOutcome::Commented
                        },
                        closed.as_ref(),
                    );
                    if action == Action::Close {
                        report.state = Some(GithubState::Closed);
                    }
                    report
                }
                Err(error) => {
                    let message = self.note_error(&error);
                    self.failed(index, None, message)
                }
            };
            self.reports[index] = Some(report);
        }
    }
}

#[cfg(test)]
mod tests {
    use pass_contracts::Text;

    use super::*;

    fn item(id: &str, depends_on: &[&str]) -> IssuePlanItem {
        IssuePlanItem {
            id: Text::new(id).unwrap(),
            title: Text::new(format!("Title {id}")).unwrap(),
            summary: Text::new("Summary").unwrap(),
            body: Text::new("Body").unwrap(),
            labels: Vec::new(),
            depends_on: depends_on.iter().map(|d| Text::new(*d).unwrap()).collect(),
            acceptance_criteria: Vec::new(),
        }
    }

    #[test]
    fn dependencies_come_first_and_cycles_keep_plan_order() {
        let items = [item("c", &["b"]), item("b", &["a"]), item("a", &[])];
        assert_eq!(dependency_order(&items), vec![2, 1, 0]);
        let spaced = [item(" I-1 ", &[]), item("I-2", &[" I-1"])];
        assert_eq!(dependency_order(&spaced), vec![0, 1]);
        let cyclic = [item("x", &["y"]), item("y", &["x"])];
        let mut order = dependency_order(&cyclic);
        order.sort();
        assert_eq!(order, vec![0, 1]);
    }
}
