//! Org constraints: the optional YAML policy a run carries.

use std::borrow::Cow;

use schemars::{JsonSchema, Schema, SchemaGenerator, json_schema};
use serde::{Deserialize, Deserializer, Serialize, de};

use crate::text::Text;

/// How firmly the planner must follow the constraints.
#[derive(Debug, Clone, Copy, Default, PartialEq, Eq, Serialize, Deserialize, JsonSchema)]
#[serde(rename_all = "snake_case")]
pub enum Strictness {
    /// A violation is repaired or fails the run.
    Strict,
    /// A violation is recorded in the pack's assumptions.
    #[default]
    Prefer,
}

#[derive(Debug, Clone, Copy, Default, PartialEq, Eq, Serialize, Deserialize, JsonSchema)]
#[serde(rename_all = "snake_case")]
pub enum Language {
    #[default]
    Typescript,
    Python,
    Java,
    Go,
}

#[derive(Debug, Clone, Copy, Default, PartialEq, Eq, Serialize, Deserialize, JsonSchema)]
#[serde(rename_all = "snake_case")]
pub enum WebFramework {
    #[default]
    Nextjs,
    React,
    None,
}

#[derive(Debug, Clone, Copy, Default, PartialEq, Eq, Serialize, Deserialize, JsonSchema)]
#[serde(rename_all = "snake_case")]
pub enum ApiFramework {
    #[default]
    Fastify,
    Express,
    Nestjs,
}

#[derive(Debug, Clone, Copy, Default, PartialEq, Eq, Serialize, Deserialize, JsonSchema)]
#[serde(rename_all = "snake_case")]
pub enum PrimaryDb {
    #[default]
    Postgres,
    Mysql,
    Sqlite,
    Dynamodb,
}

#[derive(Debug, Clone, Copy, Default, PartialEq, Eq, Serialize, Deserialize, JsonSchema)]
#[serde(rename_all = "snake_case")]
pub enum CloudProvider {
    #[default]
    Aws,
    Gcp,
    Azure,
    None,
}

#[derive(Debug, Clone, Copy, Default, PartialEq, Eq, Serialize, Deserialize, JsonSchema)]
#[serde(rename_all = "snake_case")]
pub enum ArchitecturePreference {
    Monolith,
    ApiWorker,
    Microservices,
    #[default]
    NoPreference,
}

#[derive(Debug, Clone, Default, PartialEq, Eq, Serialize, Deserialize, JsonSchema)]
#[serde(deny_unknown_fields, default)]
pub struct Stack {
    pub language: Language,
    pub web: WebFramework,
    pub api: ApiFramework,
    pub primary_db: PrimaryDb,
}

#[derive(Debug, Clone, PartialEq, Eq, Serialize, Deserialize, JsonSchema)]
#[serde(deny_unknown_fields, default)]
pub struct Cloud {
    pub provider: CloudProvider,
    pub allowed_services: Vec<Text>,
}

impl Default for Cloud {
    fn default() -> Self {
        Self {
            provider: CloudProvider::default(),
            allowed_services: ["rds", "s3", "sqs"]
                .into_iter()
                .map(|s| Text::new(s).expect("literal is non-empty"))
                .collect(),
        }
    }
}

/// `naming.service_prefix`: 1–32 characters matching `^[a-z][a-z0-9-]*$`.
#[derive(Debug, Clone, PartialEq, Eq, Serialize)]
#[serde(transparent)]
pub struct ServicePrefix(String);

impl ServicePrefix {
    pub fn new(value: impl Into<String>) -> Result<Self, String> {
        let value = value.into();
        let mut chars = value.chars();
        let first_ok = chars.next().is_some_and(|c| c.is_ascii_lowercase());
        let rest_ok = chars.all(|c| c.is_ascii_lowercase() || c.is_ascii_digit() || c == '-');
        if first_ok && rest_ok && value.len() <= 32 {
            Ok(Self(value))
        } else {
            Err(format!(
                "invalid service prefix {value:?}: expected 1-32 characters matching ^[a-z][a-z0-9-]*$"
            ))
        }
    }

    pub fn as_str(&self) -> &str {
        &self.0
    }
}

impl Default for ServicePrefix {
    fn default() -> Self {
        Self("pass".to_owned())
    }
}

impl<'de> Deserialize<'de> for ServicePrefix {
    fn deserialize<D: Deserializer<'de>>(deserializer: D) -> Result<Self, D::Error> {
        ServicePrefix::new(String::deserialize(deserializer)?).map_err(de::Error::custom)
    }
}

impl JsonSchema for ServicePrefix {
    fn schema_name() -> Cow<'static, str> {
        "ServicePrefix".into()
    }

    fn inline_schema() -> bool {
        true
    }

    fn json_schema(_: &mut SchemaGenerator) -> Schema {
        json_schema!({
            "type": "string",
            "minLength": 1,
            "maxLength": 32,
            "pattern": "^[a-z][a-z0-9-]*$",
            "default": "pass"
        })
    }
}

#[derive(Debug, Clone, Default, PartialEq, Eq, Serialize, Deserialize, JsonSchema)]
#[serde(deny_unknown_fields, default)]
pub struct Naming {
    pub service_prefix: ServicePrefix,
}

#[derive(Debug, Clone, Default, PartialEq, Eq, Serialize, Deserialize, JsonSchema)]
#[serde(deny_unknown_fields, default)]
pub struct Security {
    pub allow_public_db: bool,
}

/// The organisation's policy for a run; every field has the contract's default.
#[derive(Debug, Clone, Default, PartialEq, Eq, Serialize, Deserialize, JsonSchema)]
#[serde(deny_unknown_fields, default)]
pub struct OrgConstraints {
    pub strictness: Strictness,
    pub stack: Stack,
    pub cloud: Cloud,
    pub architecture_preference: ArchitecturePreference,
    pub naming: Naming,
    pub security: Security,
}

/// Why an org constraints YAML document was refused; the message names the key.
#[derive(Debug, Clone, PartialEq, Eq, thiserror::Error)]
pub enum OrgConstraintsError {
    #[error("org constraints YAML is not valid YAML: {0}")]
    Syntax(String),
    #[error("org constraints YAML must be a mapping of keys to values, found {0}")]
    NotAMapping(&'static str),
    #[error("org constraints YAML: {path}: {message}")]
    Invalid { path: String, message: String },
}

impl OrgConstraints {
    /// Parses the run's `org_constraints_yaml`; an empty document means all defaults.
    pub fn from_yaml(source: &str) -> Result<Self, OrgConstraintsError> {
        let value: serde_yaml_ng::Value = serde_yaml_ng::from_str(source)
            .map_err(|e| OrgConstraintsError::Syntax(e.to_string()))?;
        match value {
            serde_yaml_ng::Value::Null => Ok(Self::default()),
            serde_yaml_ng::Value::Mapping(_) => {
                serde_path_to_error::deserialize(value).map_err(|e| OrgConstraintsError::Invalid {
                    path: crate::paths::render_serde_path(e.path()),
                    message: e.into_inner().to_string(),
                })
            }
            other => Err(OrgConstraintsError::NotAMapping(yaml_kind(&other))),
        }
    }

    /// Parses an optional YAML document, treating `None` as all defaults.
    pub fn from_optional_yaml(source: Option<&str>) -> Result<Self, OrgConstraintsError> {
        source.map_or_else(|| Ok(Self::default()), Self::from_yaml)
    }
}

fn yaml_kind(value: &serde_yaml_ng::Value) -> &'static str {
    match value {
        serde_yaml_ng::Value::Null => "nothing",
        serde_yaml_ng::Value::Bool(_) => "a boolean",
        serde_yaml_ng::Value::Number(_) => "a number",
        serde_yaml_ng::Value::String(_) => "a string",
        serde_yaml_ng::Value::Sequence(_) => "a list",
        serde_yaml_ng::Value::Mapping(_) => "a mapping",
        serde_yaml_ng::Value::Tagged(_) => "a tagged value",
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn empty_documents_mean_defaults() {
        for doc in ["", "   \n", "# only a comment\n", "---\n"] {
            assert_eq!(
                OrgConstraints::from_yaml(doc).unwrap(),
                OrgConstraints::default()
            );
        }
        let defaults = OrgConstraints::default();
        assert_eq!(defaults.naming.service_prefix.as_str(), "pass");
        assert_eq!(defaults.cloud.allowed_services.len(), 3);
    }

    #[test]
    fn partial_documents_keep_other_defaults() {
        let parsed =
            OrgConstraints::from_yaml("strictness: strict\nstack:\n  language: go\n").unwrap();
        assert_eq!(parsed.strictness, Strictness::Strict);
        assert_eq!(parsed.stack.language, Language::Go);
        assert_eq!(parsed.stack.primary_db, PrimaryDb::Postgres);
    }

    #[test]
    fn errors_name_the_key() {
        let err = OrgConstraints::from_yaml("stack:\n  language: cobol\n").unwrap_err();
        assert!(err.to_string().contains("stack.language"), "{err}");
        assert!(err.to_string().contains("cobol"), "{err}");

        let err = OrgConstraints::from_yaml("stack:\n  colour: red\n").unwrap_err();
        assert!(err.to_string().contains("colour"), "{err}");

        let err = OrgConstraints::from_yaml("naming:\n  service_prefix: Bad_Prefix\n").unwrap_err();
        assert!(err.to_string().contains("naming.service_prefix"), "{err}");

        let err = OrgConstraints::from_yaml("- a\n- b\n").unwrap_err();
        assert_eq!(err, OrgConstraintsError::NotAMapping("a list"));

        assert!(matches!(
            OrgConstraints::from_yaml("stack: [").unwrap_err(),
            OrgConstraintsError::Syntax(_)
        ));
    }
}
