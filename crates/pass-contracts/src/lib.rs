//! The PASS contract v0.1 in Rust: every wire and disk type, the JSON Schemas
//! generated from them, and the semantic checks the schemas cannot express.
//!
//! Field names, enum spellings and defaults follow `docs/contract-v0.1.md` to the
//! letter so that clients and `runs/` folders made for the seed keep working.
//! Every object is closed (unknown fields are errors) and every error names the
//! JSON path of the bad value.

pub mod api;
pub mod artifacts;
pub mod coordination;
pub mod layout;
pub mod org;
pub mod pack;
pub mod paths;
pub mod plan_diff;
pub mod projects;
pub mod runs;
pub mod schema;
pub mod semantic;
pub mod text;
pub mod validate;

pub use api::{ErrorBody, ErrorCode, Problem};
pub use artifacts::{ArtifactIndex, ArtifactMetadata, ContentType, check_artifact_name};
pub use coordination::{Clarification, ClarificationStatus, PlanState, Refinement};
pub use org::{OrgConstraints, OrgConstraintsError};
pub use pack::ArchitecturePack;
pub use plan_diff::PlanDiff;
pub use projects::{Project, ProjectDetail, ProjectInput, ProjectRevision, SyncLease};
pub use runs::{
    Execution, ExecutionBackend, ExecutionStatus, ImplementationState, IssueOutcome, IssueState,
    RunDetail, RunInput, RunRecord, RunStatus, RunStep, RunsIndex, WorkflowName,
};
pub use semantic::check_pack;
pub use text::{NonEmpty, Text, Timestamp};
pub use validate::{PackError, from_json_str, from_value, parse_pack, validate_pack_value};
