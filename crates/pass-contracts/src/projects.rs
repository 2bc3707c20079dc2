//! Projects: one product with one backlog. Every run is a revision of exactly
//! one project, and every sync of any revision updates the same issues.
//!
//! Not part of contract v0.1; added by PASS on top of it. Runs written without
//! a project (by the seed, or by PASS before projects existed) belong to a
//! project of their own whose id is the run's id, so no file has to change
//! for an old runs folder to load.

use std::collections::BTreeMap;
use std::num::NonZeroU32;

use schemars::JsonSchema;
use serde::{Deserialize, Serialize};
use uuid::Uuid;

use crate::runs::RunStatus;
use crate::text::{Text, Timestamp};

/// Longest project name, in characters.
pub const MAX_PROJECT_NAME_CHARS: usize = 100;

/// The body of `POST /projects`.
#[derive(Debug, Clone, PartialEq, Eq, Serialize, Deserialize, JsonSchema)]
#[serde(deny_unknown_fields)]
pub struct ProjectInput {
    /// Unique among projects, compared without regard to case; at most 100 characters.
    pub name: Text,
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub description: Option<Text>,
    /// Whether a revision's plan must be approved before its issues are
    /// synced (default true for projects made this way).
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub require_approval: Option<bool>,
}

/// `runs/projects/<projectId>/project.json`, and the `project` of the API's answers.
#[derive(Debug, Clone, PartialEq, Eq, Serialize, Deserialize, JsonSchema)]
#[serde(deny_unknown_fields)]
pub struct Project {
    pub project_id: Uuid,
    pub name: Text,
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub description: Option<Text>,
    pub created_at: Timestamp,
    pub last_updated_at: Timestamp,
    /// Where the project's backlog lives (`github:owner/repo` or `local`),
    /// set by the first sync; `None` until a sync ran.
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub issue_target: Option<Text>,
    /// Whether implementation waits for an approved plan. False for projects
    /// made the seed's way (a run without a project), so seed clients work unchanged.
    #[serde(default)]
    pub require_approval: bool,
}

impl Project {
    /// Whether `name` is this project's name, as uniqueness compares names.
    pub fn is_named(&self, name: &str) -> bool {
        name_key(self.name.as_str()) == name_key(name)
    }
}

/// How names are compared for uniqueness: trimmed, case-folded.
pub fn name_key(name: &str) -> String {
    name.trim().to_lowercase()
}

/// Why a project name was refused.
#[derive(Debug, Clone, PartialEq, Eq, thiserror::Error)]
pub enum ProjectNameError {
    #[error("a project name must be at most {MAX_PROJECT_NAME_CHARS} characters, got {0}")]
    TooLong(usize),
    #[error("a project name must not contain line breaks or control characters")]
    ControlCharacter,
}

/// Checks a name beyond being non-empty text.
pub fn check_project_name(name: &str) -> Result<(), ProjectNameError> {
    let chars = name.trim().chars().count();
    if chars > MAX_PROJECT_NAME_CHARS {
        return Err(ProjectNameError::TooLong(chars));
    }
    if name.chars().any(char::is_control) {
        return Err(ProjectNameError::ControlCharacter);
    }
    Ok(())
}

/// One plan revision of a project: a run.
#[derive(Debug, Clone, PartialEq, Eq, Serialize, Deserialize, JsonSchema)]
#[serde(deny_unknown_fields)]
pub struct ProjectRevision {
    pub run_id: Uuid,
    pub revision: NonZeroU32,
    pub status: RunStatus,
    pub created_at: Timestamp,
}

/// A row of `GET /projects`.
#[derive(Debug, Clone, PartialEq, Eq, Serialize, Deserialize, JsonSchema)]
#[serde(deny_unknown_fields)]
pub struct ProjectSummary {
    pub project: Project,
    /// How many revisions (runs) the project has.
    pub revisions: u32,
    /// The newest revision, if any.
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub latest: Option<ProjectRevision>,
}

/// `GET /projects`: a page, newest activity first, and the total.
#[derive(Debug, Clone, PartialEq, Eq, Serialize, Deserialize, JsonSchema)]
#[serde(deny_unknown_fields)]
pub struct ProjectList {
    pub total: u64,
    pub projects: Vec<ProjectSummary>,
}

/// `201` of `POST /projects`.
#[derive(Debug, Clone, PartialEq, Eq, Serialize, Deserialize, JsonSchema)]
#[serde(deny_unknown_fields)]
pub struct ProjectEnvelope {
    pub project: Project,
}

/// What the latest sync of a project left, counted from its implementation state.
#[derive(Debug, Clone, PartialEq, Eq, Serialize, Deserialize, JsonSchema)]
#[serde(deny_unknown_fields)]
pub struct BacklogSummary {
    /// The revision whose sync this is.
    pub run_id: Uuid,
    pub revision: NonZeroU32,
    pub synced_at: Timestamp,
    pub open: u64,
    pub closed: u64,
    /// Issues by what the sync did with them (`created`, `updated`, `kept`, …).
    pub outcomes: BTreeMap<String, u64>,
}

/// `GET /projects/{projectId}`.
#[derive(Debug, Clone, PartialEq, Eq, Serialize, Deserialize, JsonSchema)]
#[serde(deny_unknown_fields)]
pub struct ProjectDetail {
    pub project: Project,
    /// Oldest first.
    pub revisions: Vec<ProjectRevision>,
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub backlog: Option<BacklogSummary>,
}

/// The title a PRD gives itself: its first Markdown heading, else its first
/// line of text, cut at 80 characters. Projects are named after it when the
/// user names none, so a revised PRD lands in the same project.
pub fn prd_title(prd_text: &str) -> Option<String> {
    let text = prd_text.trim_start_matches('\u{feff}');
    let heading = text.lines().find_map(|line| {
        let line = line.trim();
        let rest = line.strip_prefix('#')?;
        let title = rest.trim_start_matches('#').trim();
        (!title.is_empty()).then_some(title)
    });
    let first_line = || {
        text.lines()
            .map(str::trim)
            .find(|line| !line.is_empty() && !line.starts_with("---") && !line.starts_with('<'))
    };
    let raw = heading.or_else(first_line)?;
    let cleaned: String = raw
        .trim_matches(|c: char| c == '*' || c == '_' || c == '`' || c.is_whitespace())
        .trim_start_matches(|c: char| c.is_ascii_digit() || c == '.')
        .trim()
        .chars()
        .filter(|c| !c.is_control())
        .take(80)
        .collect();
    let cleaned = cleaned.trim().to_owned();
    (!cleaned.is_empty()).then_some(cleaned)
}

/// The name of the project a run without one belongs to: its PRD's title and
/// the start of the run's id (48 bits, so two runs practically never share a name).
pub fn own_project_name(run_id: Uuid, prd_text: Option<&str>) -> String {
    let short = &run_id.simple().to_string()[..12];
    match prd_text.and_then(prd_title) {
        Some(title) => {
            let title: String = title.chars().take(MAX_PROJECT_NAME_CHARS - 15).collect();
            format!("{} ({short})", title.trim())
        }
        None => format!("Run {short}"),
    }
}

/// The body of `POST /projects/{projectId}/sync-leases`: a sync asking to be
/// the only one writing the project's issues on `target`.
#[derive(Debug, Clone, PartialEq, Eq, Serialize, Deserialize, JsonSchema)]
#[serde(deny_unknown_fields)]
pub struct SyncLeaseRequest {
    /// The issue target (`github:owner/repo`, `local`).
    pub target: Text,
    /// Who asks, for the message a refused sync shows (`implementation pid 42 on host`).
    pub holder: Text,
    /// The revision being synced.
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub run_id: Option<Uuid>,
    /// The execution the sync belongs to, when it was dispatched.
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub execution_id: Option<Uuid>,
    /// How long the lease lasts unless renewed (default 120, 10–3600).
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub ttl_seconds: Option<u32>,
}

/// Default and bounds of a lease's time to live.
pub const DEFAULT_LEASE_TTL_SECONDS: u32 = 120;
pub const MIN_LEASE_TTL_SECONDS: u32 = 10;
pub const MAX_LEASE_TTL_SECONDS: u32 = 3600;

/// A granted sync lease. Only its holder may write the project's issues on
/// `target` until `expires_at`; renewing moves `expires_at` on.
#[derive(Debug, Clone, PartialEq, Eq, Serialize, Deserialize, JsonSchema)]
#[serde(deny_unknown_fields)]
pub struct SyncLease {
    pub lease_id: Uuid,
    pub project_id: Uuid,
    pub target: Text,
    pub holder: Text,
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub run_id: Option<Uuid>,
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub execution_id: Option<Uuid>,
    pub ttl_seconds: u32,
    pub acquired_at: Timestamp,
    pub renewed_at: Timestamp,
    pub expires_at: Timestamp,
}

impl SyncLease {
    pub fn is_expired(&self, now: Timestamp) -> bool {
        self.expires_at <= now
    }
}

/// The answer of the lease routes.
#[derive(Debug, Clone, PartialEq, Eq, Serialize, Deserialize, JsonSchema)]
#[serde(deny_unknown_fields)]
pub struct SyncLeaseEnvelope {
    pub lease: SyncLease,
}

/// `runs/projects/<projectId>/sync-leases.json`: the live lease of each target.
#[derive(Debug, Clone, Default, PartialEq, Eq, Serialize, Deserialize, JsonSchema)]
#[serde(deny_unknown_fields)]
pub struct SyncLeases {
    pub leases: Vec<SyncLease>,
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn titles_come_from_the_first_heading_or_line() {
        assert_eq!(
            prd_title("\u{feff}\n# CareSlot – Booking\n\nText").as_deref(),
            Some("CareSlot – Booking")
        );
        assert_eq!(
            prd_title("Intro line\n## Later heading").as_deref(),
            Some("Later heading")
        );
        assert_eq!(
            prd_title("Plain first line\nmore").as_deref(),
            Some("Plain first line")
        );
        assert_eq!(prd_title("   \n\n"), None);
        let long = format!("# {}", "x".repeat(200));
        assert_eq!(prd_title(&long).unwrap().chars().count(), 80);
    }

    #[test]
    fn own_project_names_are_unique_per_run() {
        let a = Uuid::from_u128(1 << 100);
        let b = Uuid::from_u128(2 << 100);
        assert_ne!(
            own_project_name(a, Some("# Todo")),
            own_project_name(b, Some("# Todo"))
        );
        assert!(own_project_name(a, None).starts_with("Run "));
        let long = format!("# {}", "y".repeat(300));
        assert!(own_project_name(a, Some(&long)).chars().count() <= MAX_PROJECT_NAME_CHARS);
    }

    #[test]
    fn names_compare_without_case_and_are_checked() {
        assert_eq!(name_key("  Kanban Board "), name_key("kanban board"));
        assert!(check_project_name("ok name").is_ok());
        assert_eq!(
            check_project_name("a\nb"),
            Err(ProjectNameError::ControlCharacter)
        );
        assert!(matches!(
            check_project_name(&"n".repeat(101)),
            Err(ProjectNameError::TooLong(101))
        ));
    }
}
