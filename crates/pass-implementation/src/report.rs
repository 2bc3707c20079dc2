//! What a sync did (or, with `--dry-run`, would do), in the three forms people
//! and machines read: counts and lines for the terminal, JSON for `--json`,
//! and the Markdown table uploaded as `implementation_issue_state_summary`.

use std::fmt::Write as _;
use std::num::NonZeroU64;

use pass_contracts::runs::{GithubState, IssueState, SyncStatus};
use pass_contracts::{ImplementationState, Text, Timestamp};
use serde::Serialize;
use url::Url;
use uuid::Uuid;

use crate::plan::{Action, Change};
use crate::tracker::RequestCounts;

/// One plan item's issue (or an issue closed because its item left the plan).
#[derive(Debug, Clone, PartialEq, Eq, Serialize)]
pub struct ItemReport {
    pub plan_item_id: String,
    pub title: String,
    pub action: Action,
    pub reason: String,
    #[serde(skip_serializing_if = "Vec::is_empty")]
    pub changes: Vec<Change>,
    /// What happened; absent in a dry run, where nothing happens.
    #[serde(skip_serializing_if = "Option::is_none")]
    pub status: Option<SyncStatus>,
    #[serde(skip_serializing_if = "Option::is_none")]
    pub issue_number: Option<u64>,
    #[serde(skip_serializing_if = "Option::is_none")]
    pub issue_url: Option<Url>,
    #[serde(skip_serializing_if = "Option::is_none")]
    pub state: Option<GithubState>,
    pub labels: Vec<String>,
    #[serde(skip_serializing_if = "Option::is_none")]
    pub error: Option<String>,
    /// False for issues whose plan item is gone (closed) and for duplicates.
    pub in_plan: bool,
    /// True for a second issue carrying the same marker, closed as a duplicate.
    #[serde(skip_serializing_if = "std::ops::Not::not")]
    pub duplicate: bool,
}

/// The end-of-sync counts the issue asks for.
#[derive(Debug, Clone, Copy, Default, PartialEq, Eq, Serialize)]
pub struct SyncCounts {
    pub created: u64,
    pub updated: u64,
    pub unchanged: u64,
    pub closed: u64,
    pub failed: u64,
}

/// Everything one sync did.
#[derive(Debug, Clone, PartialEq, Eq, Serialize)]
pub struct SyncReport {
    pub run_id: Uuid,
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
}

impl SyncReport {
    /// Fills in the counts from the items (a dry run counts what it would do).
    pub(crate) fn tally(&mut self) {
        let mut counts = SyncCounts::default();
        for item in &self.items {
            // A dry run counts what it would do.
            let status = item.status.unwrap_or(match item.action {
                Action::Create => SyncStatus::Created,
                Action::Update | Action::Close => SyncStatus::Updated,
                Action::Unchanged => SyncStatus::Unchanged,
                Action::Skip => SyncStatus::Failed,
            });
            match (status, &item.action) {
                (SyncStatus::Failed, _) => counts.failed += 1,
                (SyncStatus::Updated, Action::Close) => counts.closed += 1,
                (SyncStatus::Created, _) => counts.created += 1,
                (SyncStatus::Updated, _) => counts.updated += 1,
                (SyncStatus::Unchanged, _) => counts.unchanged += 1,
            }
        }
        self.counts = counts;
    }

    /// Whether any item failed (the agent then reports its execution failed).
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
                Some(IssueState {
                    plan_item_id,
                    title,
                    issue_number: item.issue_number.and_then(NonZeroU64::new),
                    issue_url: item.issue_url.clone(),
                    github_state: item.state,
                    sync_status: item.status.unwrap_or(SyncStatus::Unchanged),
                    labels: item
                        .labels
                        .iter()
                        .filter_map(|l| Text::new(l.clone()).ok())
                        .collect(),
                    last_synced_at: now,
                    last_error: item.error.clone().and_then(|e| Text::new(e).ok()),
                })
            })
            .collect();
        ImplementationState {
            synced_at: now,
            issues,
        }
    }

    /// The `implementation_issue_state_summary` artifact: one table row per
    /// plan item (plan item, title, status, issue link, state, error).
    pub fn summary_markdown(&self) -> String {
        let mut out = String::new();
        let _ = writeln!(out, "# Issue sync for run {}\n", self.run_id);
        let _ = writeln!(out, "Target: {}\n", cell(&self.target));
        out.push_str("| Plan item | Title | Status | Issue | State | Error |\n");
        out.push_str("|---|---|---|---|---|---|\n");
        for item in self.items.iter().filter(|item| !item.duplicate) {
            let status = match (&item.status, &item.action) {
                (Some(SyncStatus::Updated), Action::Close) => "closed".to_owned(),
                (Some(status), _) => status.as_str().to_owned(),
                (None, action) => format!("would {}", action.as_str()),
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
            let _ = writeln!(
                out,
                "| {} | {} | {} | {} | {} | {} |",
                cell(&item.plan_item_id),
                cell(&item.title),
                status,
                link,
                state,
                cell(item.error.as_deref().unwrap_or(""))
            );
        }
        let c = &self.counts;
        let _ = writeln!(
            out,
            "\nCreated {}, updated {}, unchanged {}, closed {}, failed {}. Requests: {} reads, {} writes.",
            c.created,
            c.updated,
            c.unchanged,
            c.closed,
            c.failed,
            self.requests.reads,
            self.requests.writes
        );
        for notice in &self.notices {
            let _ = writeln!(out, "\nNote: {}", cell(notice));
        }
        if let Some(stopped) = &self.stopped {
            let _ = writeln!(out, "\nThe sync stopped early: {}", cell(stopped));
        }
        out
    }

    /// Lines for the terminal: one per item, then the counts.
    pub fn text(&self) -> String {
        let mut out = String::new();
        for item in &self.items {
            let number = item
                .issue_number
                .map(|n| format!("#{n}"))
                .unwrap_or_else(|| "-".to_owned());
            let outcome = match item.status {
                Some(status) => status.as_str(),
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
        let c = &self.counts;
        let _ = writeln!(
            out,
            "{}created {}, updated {}, unchanged {}, closed {}, failed {}; requests: {} reads, {} writes",
            if self.dry_run {
                "dry run, nothing written; "
            } else {
                ""
            },
            c.created,
            c.updated,
            c.unchanged,
            c.closed,
            c.failed,
            self.requests.reads,
            self.requests.writes
        );
        out
    }
}

/// A Markdown table cell: pipes escaped, line breaks flattened.
fn cell(text: &str) -> String {
    text.replace('|', "\\|").replace(['\r', '\n'], " ")
}

#[cfg(test)]
mod tests {
    use super::*;

    fn item(id: &str, status: Option<SyncStatus>, action: Action) -> ItemReport {
        ItemReport {
            plan_item_id: id.to_owned(),
            title: format!("Title | {id}"),
            action,
            reason: "because".to_owned(),
            changes: Vec::new(),
            status,
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
        };
        report.tally();
        report
    }

    #[test]
    fn counts_tally_outcomes_and_a_dry_run_counts_intentions() {
        let mut failed = item("c", Some(SyncStatus::Failed), Action::Update);
        failed.error = Some("422 | bad\nbody".to_owned());
        let done = report(
            vec![
                item("a", Some(SyncStatus::Created), Action::Create),
                item("b", Some(SyncStatus::Updated), Action::Close),
                failed,
            ],
            false,
        );
        assert_eq!(
            done.counts,
            SyncCounts {
                created: 1,
                updated: 0,
                unchanged: 0,
                closed: 1,
                failed: 1
            }
        );
        assert!(done.has_failures());
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
    fn the_summary_table_escapes_cells_and_the_state_skips_blank_labels() {
        let mut failed = item("c", Some(SyncStatus::Failed), Action::Update);
        failed.error = Some("422 | bad\nbody".to_owned());
        let done = report(vec![failed], false);
        let table = done.summary_markdown();
        assert!(
            table.contains(
                "| c | Title \\| c | failed | [#4](https://github.com/o/r/issues/4) | open | 422 \\| bad body |"
            ),
            "{table}"
        );
        assert!(table.contains("Requests: 2 reads, 1 writes."));
        let state = done.implementation_state(Timestamp::now());
        assert_eq!(state.issues[0].labels.len(), 1);
        assert_eq!(
            state.issues[0].last_error.as_ref().map(|e| e.as_str()),
            Some("422 | bad\nbody")
        );
        assert_eq!(state.issues[0].sync_status, SyncStatus::Failed);
    }
}
