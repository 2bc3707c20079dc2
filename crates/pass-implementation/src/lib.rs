//! The implementation agent: turns an architecture pack's
//! `implementation.github_issue_plan` into issues people and coding agents
//! work from, on GitHub or as local Markdown files.
//!
//! Users re-run it after every change to the plan, so a sync never duplicates
//! an issue (issues are found again by the contract's marker block), never
//! writes what did not change, keeps people's edits, survives rate limits
//! and crashes, and reports exactly what it did.

pub mod agent;
pub mod apply;
pub mod config;
pub mod decide;
pub mod error;
pub mod lease;
pub mod marker;
pub mod render;
pub mod report;
pub mod sync;
pub mod tracker;

pub use agent::{AgentOptions, fetch_pack, run_agent, run_agent_with_client};
pub use apply::{Checkpoint, NeverPause};
pub use config::{GithubSettings, ImplementationConfig, LocalSettings, TargetConfig};
pub use decide::{Action, Decision, EarlierPlans, Field, SyncScope};
pub use error::{ConfigError, ImplementationError, SyncError, TrackerError};
pub use report::{ItemReport, SyncCounts, SyncReport};
pub use sync::{
    SyncContext, SyncOptions, sync_items, sync_listed, sync_listed_pausable, sync_pack,
};
pub use tracker::{
    GithubTracker, IssueTracker, LocalTracker, RequestCounts, RetryPolicy, TrackedComment,
    TrackedIssue,
};

/// The name the lead asked for: the one configuration struct, under its sync name.
pub type SyncConfig = ImplementationConfig;
