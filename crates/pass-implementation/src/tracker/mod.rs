//! Issue trackers the plan is synced into: GitHub through its REST API, and
//! Markdown files for runs without a repository. The sync only talks to the
//! [`IssueTracker`] trait, so both targets get the same idempotency rules.

use std::future::Future;

use pass_contracts::runs::GithubState;
use serde::{Deserialize, Serialize};
use url::Url;

use crate::error::TrackerError;

pub mod github;
pub mod local;

pub use github::{GithubTracker, RetryPolicy};
pub use local::LocalTracker;

/// One issue as the tracker reports it.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct TrackedIssue {
    /// What people see (`#12`).
    pub number: u64,
    /// GitHub's numeric id, which the issue-dependencies endpoints take.
    pub id: u64,
    pub title: String,
    pub body: String,
    pub labels: Vec<String>,
    pub state: GithubState,
    pub url: Url,
    /// How many issues block this one, when the listing says so; lets an
    /// unchanged re-sync skip reading every issue's relations.
    pub blocked_by_count: Option<u64>,
    /// Logins of the people assigned.
    pub assignees: Vec<String>,
    /// How many comments the issue has (PASS's own included).
    pub comments: u64,
}

/// One comment on an issue.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct TrackedComment {
    pub body: String,
}

/// A new issue to create.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct NewIssue {
    pub title: String,
    pub body: String,
    pub labels: Vec<String>,
}

/// The fields of an existing issue to change; `None` leaves a field alone.
#[derive(Debug, Clone, Default, PartialEq, Eq, Serialize)]
pub struct IssueEdit {
    #[serde(skip_serializing_if = "Option::is_none")]
    pub title: Option<String>,
    #[serde(skip_serializing_if = "Option::is_none")]
    pub body: Option<String>,
    #[serde(skip_serializing_if = "Option::is_none")]
    pub labels: Option<Vec<String>>,
}

/// Requests (or file operations) made so far, reads and writes apart, so a
/// report can show that an unchanged re-sync wrote nothing.
#[derive(Debug, Clone, Copy, Default, PartialEq, Eq, Serialize, Deserialize)]
pub struct RequestCounts {
    pub reads: u64,
    pub writes: u64,
}

impl RequestCounts {
    /// Requests made since `earlier` was taken.
    pub fn since(self, earlier: RequestCounts) -> RequestCounts {
        RequestCounts {
            reads: self.reads.saturating_sub(earlier.reads),
            writes: self.writes.saturating_sub(earlier.writes),
        }
    }
}

/// What the sync needs from an issue tracker.
pub trait IssueTracker: Sync {
    /// Names the target for reports (`github:owner/repo`, `local:/path`).
    fn describe(&self) -> String;

    /// Requests made by this tracker so far.
    fn requests(&self) -> RequestCounts;

    /// Whether native "blocked by" relations exist besides body references.
    fn supports_dependencies(&self) -> bool;

    /// Every issue, open and closed, on every page; pull requests left out.
    fn list_issues(&self) -> impl Future<Output = Result<Vec<TrackedIssue>, TrackerError>> + Send;

    /// Makes each label exist, creating missing ones with a stable colour.
    fn ensure_labels(
        &self,
        names: &[String],
    ) -> impl Future<Output = Result<(), TrackerError>> + Send;

    fn create_issue(
        &self,
        issue: &NewIssue,
    ) -> impl Future<Output = Result<TrackedIssue, TrackerError>> + Send;

    fn update_issue(
        &self,
        number: u64,
        edit: &IssueEdit,
    ) -> impl Future<Output = Result<TrackedIssue, TrackerError>> + Send;

    /// Every comment of an issue, oldest first.
    fn list_comments(
        &self,
        number: u64,
    ) -> impl Future<Output = Result<Vec<TrackedComment>, TrackerError>> + Send;

    fn add_comment(
        &self,
        number: u64,
        body: &str,
    ) -> impl Future<Output = Result<(), TrackerError>> + Send;

    /// Comments `comment`, then closes the issue as not planned. Never deletes.
    fn close_issue(
        &self,
        number: u64,
        comment: &str,
    ) -> impl Future<Output = Result<TrackedIssue, TrackerError>> + Send;

    /// Ids of the issues blocking `number`.
    fn list_blocked_by(
        &self,
        number: u64,
    ) -> impl Future<Output = Result<Vec<u64>, TrackerError>> + Send;

    fn add_blocked_by(
        &self,
        number: u64,
        blocking_id: u64,
    ) -> impl Future<Output = Result<(), TrackerError>> + Send;

    fn remove_blocked_by(
        &self,
        number: u64,
        blocking_id: u64,
    ) -> impl Future<Output = Result<(), TrackerError>> + Send;
}

/// A label colour that depends only on the name, so every repository and
/// every re-run agrees on it.
pub fn label_colour(name: &str) -> String {
    use sha2::{Digest, Sha256};
    hex::encode(&Sha256::digest(name.as_bytes())[..3])
}
