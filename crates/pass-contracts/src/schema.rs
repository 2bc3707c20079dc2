//! JSON Schemas generated from the Rust types; `schemas/*.schema.json` are
//! these, written by `pass schema --write`.

use schemars::JsonSchema;
use serde_json::Value;

use crate::api::{ArtifactUpload, ErrorBody, ExecutionUpdate, RunPatch};
use crate::artifacts::{ArtifactIndex, ArtifactMetadata};
use crate::coordination::{Clarification, ClarificationList};
use crate::org::OrgConstraints;
use crate::pack::ArchitecturePack;
use crate::plan_diff::PlanDiff;
use crate::projects::{Project, ProjectInput, SyncLease, SyncLeaseRequest};
use crate::runs::{Execution, ImplementationState, RunDetail, RunInput, RunsIndex};

/// The schemas PASS publishes, by name (the file is `<name>.schema.json`).
pub const SCHEMA_NAMES: &[&str] = &[
    "architecture_pack",
    "run_input",
    "org_constraints",
    "run_detail",
    "runs_index",
    "execution",
    "execution_update",
    "run_patch",
    "implementation_state",
    "artifact_metadata",
    "artifact_index",
    "artifact_upload",
    "error",
    "plan_diff",
    "project",
    "project_input",
    "sync_lease",
    "sync_lease_request",
    "clarification",
    "clarification_list",
];

/// The JSON Schema (draft 2020-12) called `name`, or `None` for an unknown name.
pub fn schema_json(name: &str) -> Option<Value> {
    let schema = match name {
        "architecture_pack" => root::<ArchitecturePack>(),
        "run_input" => root::<RunInput>(),
        "org_constraints" => root::<OrgConstraints>(),
        "run_detail" => root::<RunDetail>(),
        "runs_index" => root::<RunsIndex>(),
        "execution" => root::<Execution>(),
        "execution_update" => root::<ExecutionUpdate>(),
        "run_patch" => root::<RunPatch>(),
        "implementation_state" => root::<ImplementationState>(),
        "artifact_metadata" => root::<ArtifactMetadata>(),
        "artifact_index" => root::<ArtifactIndex>(),
        "artifact_upload" => root::<ArtifactUpload>(),
        "error" => root::<ErrorBody>(),
        "plan_diff" => root::<PlanDiff>(),
        "project" => root::<Project>(),
        "project_input" => root::<ProjectInput>(),
        "sync_lease" => root::<SyncLease>(),
        "sync_lease_request" => root::<SyncLeaseRequest>(),
        "clarification" => root::<Clarification>(),
        "clarification_list" => root::<ClarificationList>(),
        _ => return None,
    };
    Some(schema)
}

/// The file name a schema is checked in under.
pub fn schema_file_name(name: &str) -> String {
    format!("{name}.schema.json")
}

/// The text written to disk: pretty JSON with a trailing newline.
pub fn schema_file_text(name: &str) -> Option<String> {
    let value = schema_json(name)?;
    let mut text = serde_json::to_string_pretty(&value).ok()?;
    text.push('\n');
    Some(text)
}

fn root<T: JsonSchema>() -> Value {
    schemars::schema_for!(T).to_value()
}
