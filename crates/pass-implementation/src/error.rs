//! What can go wrong, by layer: configuration, the issue tracker, the sync as
//! a whole, and the agent's conversation with the PASS API.

use uuid::Uuid;

/// A setting that is missing or malformed; always names the variable.
#[derive(Debug, thiserror::Error)]
pub enum ConfigError {
    #[error("PASS_ISSUE_TARGET is {0:?}; expected github or local")]
    BadTarget(String),
    #[error(
        "the github issue target needs a repository: set GITHUB_ISSUES_REPOSITORY (owner/repo) or GITHUB_ISSUES_OWNER and GITHUB_ISSUES_REPO (older fallbacks: GITHUB_REPOSITORY, or GITHUB_OWNER and GITHUB_REPO)"
    )]
    MissingRepository,
    #[error(
        "the github issue target needs a token: set PASS_GITHUB_ISSUES_TOKEN or GITHUB_ISSUES_TOKEN (older fallbacks: PASS_GITHUB_TOKEN, GITHUB_TOKEN)"
    )]
    MissingToken,
    #[error("{name} is {value:?}; expected owner/repo made of letters, digits, '-', '_' and '.'")]
    BadRepository { name: &'static str, value: String },
    #[error("{name} is {value:?}: {reason}")]
    BadValue {
        name: &'static str,
        value: String,
        reason: String,
    },
    #[error(
        "PASS_API_BASE_URL is not set; the implementation agent needs it to reach the PASS API"
    )]
    MissingApiBaseUrl,
    #[error(
        "the local issue target keeps a project's issue files on the PASS server: dispatch phase2-implementation there (`pass sync` does), or set PASS_LOCAL_ISSUES_DIR to the folder to write"
    )]
    LocalIssuesDirUnset,
}

/// A failed conversation with the issue tracker. Never contains the token.
#[derive(Debug, Clone, thiserror::Error)]
pub enum TrackerError {
    /// The tracker answered, and said no.
    #[error("{method} {path} answered {status}: {message}")]
    Api {
        method: String,
        path: String,
        status: u16,
        message: String,
    },
    /// Rate limited for longer than the sync's time budget leaves.
    #[error(
        "{method} {path} is rate limited after {attempts} attempt(s) and GitHub asks to wait {wait_seconds} s, more than the {budget_left_seconds} s left of the sync's time budget (PASS_SYNC_TIME_BUDGET_MS): {message}"
    )]
    RateLimited {
        method: String,
        path: String,
        attempts: u32,
        wait_seconds: u64,
        budget_left_seconds: u64,
        message: String,
    },
    #[error("{method} {path} could not be completed: {reason}")]
    Transport {
        method: String,
        path: String,
        reason: String,
    },
    #[error("{method} {path} answered {status} with a body that could not be read: {reason}")]
    Decode {
        method: String,
        path: String,
        status: u16,
        reason: String,
    },
    #[error("local issue file {path}: {reason}")]
    Local { path: String, reason: String },
    #[error("could not set up the GitHub client for {url}: {reason}")]
    Setup { url: String, reason: String },
    /// The sync no longer holds the project's lease: another sync may be
    /// writing, so this one must not.
    #[error("the sync lease was lost: {0}")]
    LeaseLost(String),
}

impl TrackerError {
    /// Errors about one issue (validation, a vanished issue) rather than the
    /// tracker as a whole: the sync records them on the item and goes on.
    pub fn is_item_level(&self) -> bool {
        matches!(self, TrackerError::Api { status, .. } if matches!(status, 404 | 410 | 422))
    }

    pub fn is_not_found(&self) -> bool {
        matches!(self, TrackerError::Api { status: 404, .. })
    }

    /// 422: GitHub's answer to a request it understood but will not carry
    /// out, such as a relation that exists already.
    pub fn is_unprocessable(&self) -> bool {
        matches!(self, TrackerError::Api { status: 422, .. })
    }
}

/// The sync could not even start (listing failed) or could not be planned.
#[derive(Debug, thiserror::Error)]
pub enum SyncError {
    #[error("could not list the existing issues of {target}: {source}")]
    List {
        target: String,
        #[source]
        source: TrackerError,
    },
    #[error("could not read the comments of issue #{number} on {target}: {source}")]
    Comments {
        target: String,
        number: u64,
        #[source]
        source: TrackerError,
    },
}

/// Why `implementation --run-id` stopped.
#[derive(Debug, thiserror::Error)]
pub enum ImplementationError {
    #[error(transparent)]
    Config(#[from] ConfigError),
    #[error("{action} for run {run_id}: {source}")]
    Api {
        action: &'static str,
        run_id: Uuid,
        #[source]
        source: pass_client::ClientError,
    },
    #[error(
        "the plan of run {0} is a draft and its project wants plans approved before issues are synced: approve it (`pass approve {0}`), or look first with --dry-run"
    )]
    NotApproved(Uuid),
    /// Another sync of the project is running; the message names it.
    #[error("{0}; try again when it has finished (or its lease has expired)")]
    SyncBusy(String),
    #[error("run {0} has no architecture_pack artifact; run the planner first")]
    MissingPack(Uuid),
    #[error("the architecture_pack artifact of run {run_id} is invalid: {problems}")]
    InvalidPack { run_id: Uuid, problems: String },
    #[error(transparent)]
    Tracker(#[from] TrackerError),
    #[error(transparent)]
    Sync(#[from] SyncError),
    #[error("could not encode {what}: {reason}")]
    Encode { what: &'static str, reason: String },
}
