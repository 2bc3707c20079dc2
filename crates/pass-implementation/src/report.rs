//! What a sync did (or, with `--dry-run`, would do), in the three forms people
//! and machines read: counts and lines for the terminal, JSON for `--json`,
//! and the Markdown table uploaded as `implementation_issue_state_summary`.

use std::fmt::Write as _;
use std::num::NonZeroU64;

use pass_contracts::pack::IssuePlanItem;
use pass_contracts::runs::{GithubState, IssueOutcome, IssueState};
use pass_contracts::{ImplementationState, Text, Timestamp};
use serde::{Deserialize, Serialize};
use url::Url;
use uuid::Uuid;

use crate::decide::{Action, Decision, Field};
use crate::tracker::{RequestCounts, TrackedIssue};

/// One plan item's issue (or an issue whose item left the plan, or a duplicate).
#[derive(Debug, Clone, PartialEq, Eq, Serialize, Deserialize)]
pub struct ItemReport {
    pub plan_item_id: String,
    pub title: String,
    /// What the sync decided.
    pub action: Action,
    pub reason: String,
    /// Fields written.
    #[serde(default, skip_serializing_if = "Vec::is_empty")]
    pub changes: Vec<Field>,
    /// Fields a person changed that were left as they are.
    #[serde(default, skip_serializing_if = "Vec::is_empty")]
    pub kept: Vec<Field>,
    /// Fields a person and the plan both changed.
    #[serde(default, skip_serializing_if = "Vec::is_empty")]
    pub conflicts: Vec<Field>,
    /// The comment posted (or, in a dry run, to be posted).
    #[serde(skip_serializing_if = "Option::is_none")]
    pub comment: Option<String>,
    /// What happened; absent in a dry run, where nothing happens.
    #[serde(skip_serializing_if = "Option::is_none")]
    pub outcome: Option<IssueOutcome>,
    #[serde(skip_serializing_if = "Option::is_none")]
    pub issue_number: Option<u64>,
    #[serde(skip_serializing_if = "Option::is_none")]
    pub issue_url: Option<Url>,
    #[serde(skip_serializing_if = "Option::is_none")]
    pub state: Option<GithubState>,
    pub labels: Vec<String>,
    #[serde(skip_serializing_if = "Option::is_none")]
    pub error: Option<String>,
    /// False for issues whose plan item is gone and for duplicates.
    pub in_plan: bool,
    /// True for a second issue carrying the same plan item.
    #[serde(default, skip_serializing_if = "std::ops::Not::not")]
    pub duplicate: bool,
}

impl ItemReport {
    /// The report of `decision`, after it was carried out with `outcome`
    /// (`None` in a dry run) on `issue` (the issue as it is now, if known).
    pub fn from_decision(
        decision: &Decision,
        items: &[IssuePlanItem],
        outcome: Option<IssueOutcome>,
        issue: Option<&TrackedIssue>,
    ) -> Self {
        let item = decision.item_index.and_then(|i| items.get(i));
        ItemReport {
            plan_item_id: decision.plan_item_id.clone(),
            title: decision.title.clone(),
            action: decision.action,
            reason: decision.reason.clone(),
            changes: decision.changes.clone(),
            kept: decision.kept.clone(),
            conflicts: decision.conflicts.clone(),
            comment: decision.comment.clone(),
            outcome,
            issue_number: issue.map(|i| i.number).or(decision.issue_number),
            issue_url: issue.map(|i| i.url.clone()),
            state: issue.map(|i| i.state).or(decision.state),
            // What the issue carries (people's labels included), else what the plan asks.
            labels: match (issue, item) {
                (Some(issue), _) => issue.labels.clone(),
                (None, Some(_)) => decision.target_labels.clone(),
                (None, None) => Vec::new(),
            },
            error: None,
            in_plan: decision.in_plan,
            duplicate: decision.duplicate,
        }
    }

    /// What happened, or in a dry run what would.
    pub fn effective_outcome(&self) -> IssueOutcome {
        self.outcome.unwrap_or(match self.action {
            Action::Create => IssueOutcome::Created,
            Action::Update => IssueOutcome::Updated,
            Action::Unchanged => IssueOutcome::Unchanged,
            Action::Kept => IssueOutcome::Kept,
            Action::Conflict => IssueOutcome::Conflict,
            Action::Close => IssueOutcome::Closed,
            Action::Comment => IssueOutcome::Commented,
            Action::Skip => IssueOutcome::Failed,
        })
    }
}

/// How many issues ended each way.
#[derive(Debug, Clone, Copy, Default, PartialEq, Eq, Serialize, Deserialize)]
pub struct SyncCounts {
    pub created: u64,
    pub updated: u64,
    pub unchanged: u64,
    pub kept: u64,
    pub conflict: u64,
    pub closed: u64,
    pub commented: u64,
    /// Not written because the sync paused first.
    pub pending: u64,
    pub failed: u64,
}

/// Everything one sync did.
#[derive(Debug, Clone, PartialEq, Eq, Serialize, Deserialize)]
pub struct SyncReport {
    pub run_id: Uuid,
    pub project_id: Uuid,
    pub target: String,
    pub dry_run: bool,
    pub items: Vec<ItemReport>,
    pub counts: SyncCounts,
    /// Requests made by this sync, reads and writes apart.
    pub requests: RequestCounts,
    pub notices: Vec<String>,
    /// Set when an error made the sync stop writing before the end.
    #[serde(skip_serializing_if = "Option::is_none")]
    pub stopped: Option<String>,
    /// Set when the sync paused for a blocking question; the rest is pending.
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub paused: Option<String>,
}

impl SyncReport {
    /// Fills in the counts from the items (a dry run counts what it would do).
    pub(crate) fn tally(&mut self) {
        let mut counts = SyncCounts::default();
        for item in &self.items {
            let slot = match item.effective_outcome() {
                IssueOutcome::Created => &mut counts.created,
                IssueOutcome::Updated => &mut counts.updated,
                IssueOutcome::Unchanged => &mut counts.unchanged,
                IssueOutcome::Kept => &mut counts.kept,
                IssueOutcome::Conflict => &mut counts.conflict,
                IssueOutcome::Closed => &mut counts.closed,
                IssueOutcome::Commented => &mut counts.commented,
                IssueOutcome::Pending => &mut counts.pending,
                IssueOutcome::Failed => &mut counts.failed,
            };
            *slot += 1;
        }
        self.counts = counts;
    }

    /// Whether the sync failed: an item could not be written, or it stopped.
    /// Issues kept or in conflict are not failures: they are people's work.
    pub fn has_failures(&self) -> bool {
        self.counts.failed > 0 || self.stopped.is_some()
    }

    /// The body of `PATCH /runs/{id}/implementation-state`. Duplicates are
    /// left out so each plan item appears once.
    pub fn implementation_state(&self, now: Timestamp) -> ImplementationState {
        let issues = self
            .items
            .iter()
            .filter(|item| !item.duplicate)
            .filter_map(|item| {
                let plan_item_id = Text::new(item.plan_item_id.clone()).ok()?;
                let title = Text::new(item.title.clone()).unwrap_or_else(|_| plan_item_id.clone());
                let outcome = item.effective_outcome();
                Some(IssueState {
                    plan_item_id,
                    title,
                    issue_number: item.issue_number.and_then(NonZeroU64::new),
                    issue_url: item.issue_url.clone(),
                    github_state: item.state,
                    sync_status: outcome.sync_status(),
                    labels: item
                        .labels
                        .iter()
                        .filter_map(|l| Text::new(l.clone()).ok())
                        .collect(),
                    last_synced_at: now,
                    last_error: item.error.clone().and_then(|e| Text::new(e).ok()),
                    outcome: Some(outcome),
                })
            })
            .collect();
        ImplementationState {
            synced_at: now,
            issues,
        }
    }

    /// One line of counts, the same in every form of the report.
    pub fn counts_line(&self) -> String {
        let c = &self.counts;
        format!(
            "created {}, updated {}, unchanged {}, kept {}, conflict {}, closed {}, commented {}, pending {}, failed {}",
            c.created,
            c.updated,
            c.unchanged,
            c.kept,
            c.conflict,
            c.closed,
            c.commented,
            c.pending,
            c.failed
        )
    }

    /// The `implementation_issue_state_summary` artifact: one table row per
    /// issue (plan item, title, outcome, issue link, state, note).
    pub fn summary_markdown(&self) -> String {
        let mut out = String::new();
        let _ = writeln!(out, "# Issue sync for run {}\n", self.run_id);
        let _ = writeln!(
            out,
            "Project: {}  \nTarget: {}\n",
            self.project_id,
            cell(&self.target)
        );
        out.push_str("| Plan item | Title | Outcome | Issue | State | Note |\n");
        out.push_str("|---|---|---|---|---|---|\n");
        for item in self.items.iter().filter(|item| !item.duplicate) {
            let outcome = match item.outcome {
                Some(outcome) => outcome.as_str().to_owned(),
                None => format!("would {}", item.action.as_str()),
            };
            let link = match (item.issue_number, &item.issue_url) {
                (Some(number), Some(url)) => format!("[#{number}]({url})"),
                (Some(number), None) => format!("#{number}"),
                _ => String::new(),
            };
            let state = match item.state {
                Some(GithubState::Open) => "open",
                Some(GithubState::Closed) => "closed",
                None => "",
            };
            let note = match (&item.error, item.action) {
                (Some(error), _) => error.clone(),
                (None, Action::Kept | Action::Conflict | Action::Comment) => item.reason.clone(),
                (None, _) => String::new(),
            };
            let _ = writeln!(
                out,
                "| {} | {} | {} | {} | {} | {} |",
                cell(&item.plan_item_id),
                cell(&item.title),
                outcome,
                link,
                state,
                cell(&note)
            );
        }
        let _ = writeln!(
            out,
            "\n{}. Requests: {} reads, {} writes.",
            capitalise(&self.counts_line()),
            self.requests.reads,
            self.requests.writes
        );
        for notice in &self.notices {
            let _ = writeln!(out, "\nNote: {}", cell(notice));
        }
        if let Some(stopped) = &self.stopped {
            let _ = writeln!(out, "\nThe sync stopped early: {}", cell(stopped));
        }
        if let Some(paused) = &self.paused {
            let _ = writeln!(out, "\nThe sync paused: {}", cell(paused));
        }
        out
    }

    /// Lines for the terminal: one per issue, then the counts.
    pub fn text(&self) -> String {
        let mut out = String::new();
        for item in &self.items {
            let number = item
                .issue_number
                .map(|n| format!("#{n}"))
                .unwrap_or_else(|| "-".to_owned());
            let outcome = match item.outcome {
                Some(outcome) => outcome.as_str(),
                None => "planned",
            };
            let _ = write!(
                out,
                "{:<9} {:<9} {:<6} {}  {}: {}",
                item.action.as_str(),
                outcome,
                number,
                item.plan_item_id,
                item.title,
                item.reason
            );
            if let Some(error) = &item.error {
                let _ = write!(out, " [error: {error}]");
            }
            out.push('\n');
        }
        for notice in &self.notices {
            let _ = writeln!(out, "note: {notice}");
        }
        if let Some(stopped) = &self.stopped {
            let _ = writeln!(out, "stopped: {stopped}");
        }
        if let Some(paused) = &self.paused {
            let _ = writeln!(out, "paused: {paused}");
        }
        let _ = writeln!(
            out,
            "{}{}; requests: {} reads, {} writes",
            if self.dry_run {
                "dry run, nothing written; "
            } else {
                ""
            },
            self.counts_line(),
            self.requests.reads,
            self.requests.writes
        );
        out
    }
}

fn capitalise(text: &str) -> String {
    let mut chars = text.chars();
    match chars.next() {
        Some(first) => first.to_uppercase().chain(chars).collect(),
        None => String::new(),
    }
}

/// A Markdown table cell: pipes escaped, line breaks flattened.
fn cell(text: &str) -> String {
    text.replace('|', "\\|").replace(['\r', '\n'], " ")
}

#[cfg(test)]
mod tests {
    use pass_contracts::runs::SyncStatus;

    use super::*;

    fn item(id: &str, outcome: Option<IssueOutcome>, action: Action) -> ItemReport {
        ItemReport {
            plan_item_id: id.to_owned(),
            title: format!("Title | {id}"),
            action,
            reason: "because".to_owned(),
            changes: Vec::new(),
            kept: Vec::new(),
            conflicts: Vec::new(),
            comment: None,
            outcome,
            issue_number: Some(4),
            issue_url: Some(Url::parse("https://github.com/o/r/issues/4").unwrap()),
            state: Some(GithubState::Open),
            labels: vec!["pass".to_owned(), " ".to_owned()],
            error: None,
            in_plan: true,
            duplicate: false,
        }
    }

    fn report(items: Vec<ItemReport>, dry_run: bool) -> SyncReport {
        let mut report = SyncReport {
            run_id: Uuid::nil(),
            project_id: Uuid::nil(),
            target: "github:o/r".to_owned(),
            dry_run,
            items,
            counts: SyncCounts::default(),
            requests: RequestCounts {
                reads: 2,
                writes: 1,
            },
            notices: Vec::new(),
            stopped: None,
            paused: None,
        };
        report.tally();
        report
    }

    #[test]
    fn counts_tally_outcomes_and_kept_or_conflict_are_not_failures() {
        let mut failed = item("c", Some(IssueOutcome::Failed), Action::Update);
        failed.error = Some("422 | bad\nbody".to_owned());
        let done = report(
            vec![
                item("a", Some(IssueOutcome::Created), Action::Create),
                item("b", Some(IssueOutcome::Closed), Action::Close),
                item("k", Some(IssueOutcome::Kept), Action::Kept),
                item("x", Some(IssueOutcome::Conflict), Action::Conflict),
                failed,
            ],
            false,
        );
        assert_eq!(
            (
                done.counts.created,
                done.counts.closed,
                done.counts.kept,
                done.counts.conflict,
                done.counts.failed
            ),
            (1, 1, 1, 1, 1)
        );
        assert!(done.has_failures());
        let people = report(
            vec![
                item("k", Some(IssueOutcome::Kept), Action::Kept),
                item("x", Some(IssueOutcome::Conflict), Action::Conflict),
            ],
            false,
        );
        assert!(!people.has_failures());
        let planned = report(
            vec![
                item("a", None, Action::Create),
                item("b", None, Action::Skip),
            ],
            true,
        );
        assert_eq!((planned.counts.created, planned.counts.failed), (1, 1));
        assert!(planned.text().starts_with("create    planned"));
    }

    #[test]
    fn the_summary_table_escapes_cells_and_the_state_keeps_the_outcome() {
        let mut failed = item("c", Some(IssueOutcome::Failed), Action::Update);
        failed.error = Some("422 | bad\nbody".to_owned());
        let kept = item("k", Some(IssueOutcome::Kept), Action::Kept);
        let done = report(vec![failed, kept], false);
        let table = done.summary_markdown();
        assert!(
            table.contains(
                "| c | Title \\| c | failed | [#4](https://github.com/o/r/issues/4) | open | 422 \\| bad body |"
            ),
            "{table}"
        );
        assert!(table.contains("| k | Title \\| k | kept |"), "{table}");
        assert!(table.contains("Requests: 2 reads, 1 writes."));
        let state = done.implementation_state(Timestamp::now());
        assert_eq!(state.issues[0].labels.len(), 1);
        assert_eq!(state.issues[0].sync_status, SyncStatus::Failed);
        assert_eq!(state.issues[1].sync_status, SyncStatus::Unchanged);
        assert_eq!(state.issues[1].outcome, Some(IssueOutcome::Kept));
    }
}
