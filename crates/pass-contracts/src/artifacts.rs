//! Artifacts: named files a run produces, with their metadata.

use schemars::JsonSchema;
use serde::{Deserialize, Serialize};

use crate::runs::IndexVersion;
use crate::text::{Text, Timestamp};

#[derive(Debug, Clone, Copy, PartialEq, Eq, Hash, Serialize, Deserialize, JsonSchema)]
pub enum ContentType {
    #[serde(rename = "application/json")]
    Json,
    #[serde(rename = "text/plain")]
    Plain,
    #[serde(rename = "text/markdown")]
    Markdown,
}

impl ContentType {
    pub fn as_str(self) -> &'static str {
        match self {
            ContentType::Json => "application/json",
            ContentType::Plain => "text/plain",
            ContentType::Markdown => "text/markdown",
        }
    }

    /// The file extension the disk layout uses for this type.
    pub fn extension(self) -> &'static str {
        match self {
            ContentType::Json => "json",
            ContentType::Plain => "txt",
            ContentType::Markdown => "md",
        }
    }
}

/// Artifact names the PASS agents publish.
pub mod names {
    pub const ARCHITECTURE_PACK: &str = "architecture_pack";
    pub const ARCHITECTURE_PACK_SUMMARY: &str = "architecture_pack_summary";
    pub const ARCHITECTURE_PACK_DIAGRAM: &str = "architecture_pack_diagram";
    /// The same component diagram as a Mermaid file (`.mmd`), so tools and
    /// people see what it is; the seed's name above (a `.txt` file) stays
    /// for old clients.
    pub const ARCHITECTURE_PACK_DIAGRAM_MMD: &str = "architecture_pack_diagram.mmd";
    pub const PLANNER_USAGE: &str = "planner_usage";
    /// What a revision changed against the previous one (revisions after the first).
    pub const PLAN_DIFF: &str = "plan_diff";
    /// Every decision of a dispatched sync (a dry run's included), as JSON.
    pub const IMPLEMENTATION_SYNC_REPORT: &str = "implementation_sync_report";
    pub const IMPLEMENTATION_ISSUE_STATE: &str = "implementation_issue_state";
    pub const IMPLEMENTATION_ISSUE_STATE_SUMMARY: &str = "implementation_issue_state_summary";
}

/// Why an artifact name was refused.
#[derive(Debug, Clone, PartialEq, Eq, thiserror::Error)]
#[error(
    "invalid artifact name {0:?}: expected 1-64 characters of a-z, 0-9, '_', '.', '-', starting with a letter or digit, without '..', and not the reserved name 'index'"
)]
pub struct InvalidArtifactName(pub String);

/// The one name refused although it matches the pattern: stored as JSON it
/// would become `artifacts/index.json` and overwrite the artifact list itself.
pub const RESERVED_ARTIFACT_NAME: &str = "index";

/// Checks a name against `^[a-z0-9][a-z0-9_.-]{0,63}$` without `..`, so it can
/// never name a path outside the run's folder, and refuses
/// [`RESERVED_ARTIFACT_NAME`], so it can never name the artifact list.
pub fn check_artifact_name(name: &str) -> Result<(), InvalidArtifactName> {
    let bytes = name.as_bytes();
    let first_ok = bytes
        .first()
        .is_some_and(|b| b.is_ascii_lowercase() || b.is_ascii_digit());
    let rest_ok = bytes
        .iter()
        .all(|b| b.is_ascii_lowercase() || b.is_ascii_digit() || matches!(b, b'_' | b'.' | b'-'));
    if first_ok
        && rest_ok
        && bytes.len() <= 64
        && !name.contains("..")
        && name != RESERVED_ARTIFACT_NAME
    {
        Ok(())
    } else {
        Err(InvalidArtifactName(name.to_owned()))
    }
}

#[derive(Debug, Clone, PartialEq, Eq, Serialize, Deserialize, JsonSchema)]
#[serde(deny_unknown_fields)]
pub struct ArtifactMetadata {
    pub name: Text,
    pub filename: Text,
    pub content_type: ContentType,
    #[serde(default, skip_serializing_if = "Option::is_none")]
    #[serde(deserialize_with = "deserialize_sha256")]
    #[schemars(regex(pattern = "^[0-9a-f]{64}$"))]
    pub sha256: Option<String>,
    pub created_at: Timestamp,
}

/// `runs/<runId>/artifacts/index.json`.
#[derive(Debug, Clone, Default, PartialEq, Eq, Serialize, Deserialize, JsonSchema)]
#[serde(deny_unknown_fields)]
pub struct ArtifactIndex {
    pub version: IndexVersion,
    pub artifacts: Vec<ArtifactMetadata>,
}

fn deserialize_sha256<'de, D: serde::Deserializer<'de>>(
    deserializer: D,
) -> Result<Option<String>, D::Error> {
    let value = Option::<String>::deserialize(deserializer)?;
    match value {
        Some(hex)
            if hex.len() != 64
                || !hex
                    .bytes()
                    .all(|b| b.is_ascii_digit() || (b'a'..=b'f').contains(&b)) =>
        {
            Err(serde::de::Error::custom(
                "must be 64 lowercase hexadecimal characters",
            ))
        }
        other => Ok(other),
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn artifact_names_cannot_escape_the_run_folder() {
        for good in [
            "architecture_pack",
            "a",
            "x.y-z_1",
            &"a".repeat(64),
            "index.json",
            "indexes",
            "run-index",
        ] {
            assert!(check_artifact_name(good).is_ok(), "{good}");
        }
        for bad in [
            "",
            "..",
            "a..b",
            "../etc",
            "A",
            "_x",
            "a/b",
            "a\\b",
            &"a".repeat(65),
            "é",
            "index",
        ] {
            assert!(check_artifact_name(bad).is_err(), "{bad}");
        }
    }
}
