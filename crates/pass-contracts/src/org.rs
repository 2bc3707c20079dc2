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
                serde_path_to_error::deserialize(value).map_err(|e| {
                    let message = explain_type_error(e.path(), e.inner().to_string());
                    OrgConstraintsError::Invalid {
                        path: crate::paths::render_serde_path(e.path()),
                        message,
                    }
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

/// serde words a wrong type after its own types ("expected struct Stack",
/// "expected a Value::Tagged enum"); the schema says what the key accepts, in
/// the words of the YAML file.
fn explain_type_error(path: &serde_path_to_error::Path, message: String) -> String {
    let Some(rest) = message.strip_prefix("invalid type: ") else {
        return message;
    };
    let found = rest.split(", expected").next().unwrap_or(rest);
    let root = schemars::schema_for!(OrgConstraints).to_value();
    let mut node = &root;
    for segment in path.iter() {
        node = resolve(&root, node);
        node = match segment {
            serde_path_to_error::Segment::Map { key } => &node["properties"][key.as_str()],
            serde_path_to_error::Segment::Seq { .. } => &node["items"],
            _ => return message,
        };
    }
    match allowed(&root, resolve(&root, node)) {
        Some(allowed) => format!("found {found}; allowed: {allowed}"),
        None => message,
    }
}

/// Follows a local `$ref` (`#/$defs/Name`) to its definition.
fn resolve<'a>(root: &'a serde_json::Value, node: &'a serde_json::Value) -> &'a serde_json::Value {
    match node["$ref"]
        .as_str()
        .and_then(|r| r.strip_prefix("#/$defs/"))
    {
        Some(name) => &root["$defs"][name],
        None => node,
    }
}

/// What a schema node accepts, as a YAML author would write it.
fn allowed(root: &serde_json::Value, node: &serde_json::Value) -> Option<String> {
    let mut values: Vec<String> = Vec::new();
    if let Some(list) = node["enum"].as_array() {
        values.extend(list.iter().filter_map(|v| v.as_str().map(str::to_owned)));
    }
    for variant in node["oneOf"].as_array().into_iter().flatten() {
        if let Some(value) = variant["const"].as_str() {
            values.push(value.to_owned());
        }
    }
    if !values.is_empty() {
        return Some(format!("one of {}", values.join(", ")));
    }
    match node["type"].as_str()? {
        "boolean" => Some("true or false".to_owned()),
        "string" => Some("text".to_owned()),
        "integer" | "number" => Some("a number".to_owned()),
        "array" => {
            let items = allowed(root, resolve(root, &node["items"]))
                .map_or(String::new(), |items| format!(" of {items}"));
            Some(format!("a list{items}"))
        }
        "object" => {
            let keys: Vec<&str> = node["properties"]
                .as_object()?
                .keys()
                .map(String::as_str)
                .collect();
            Some(format!("a mapping with the keys {}", keys.join(", ")))
        }
        _ => None,
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

        // Wrong types name what the key accepts, not serde's own types.
        let err = OrgConstraints::from_yaml("stack:\n  language: 5\n").unwrap_err();
        assert_eq!(
            err.to_string(),
            "org constraints YAML: stack.language: found integer `5`; allowed: one of typescript, python, java, go"
        );
        let err = OrgConstraints::from_yaml("stack: 5\n").unwrap_err();
        assert_eq!(
            err.to_string(),
            "org constraints YAML: stack: found integer `5`; allowed: a mapping with the keys language, web, api, primary_db"
        );
        let err = OrgConstraints::from_yaml("strictness: [1]\n").unwrap_err();
        assert!(
            err.to_string().ends_with("allowed: one of strict, prefer"),
            "{err}"
        );
        let err = OrgConstraints::from_yaml("security:\n  allow_public_db: maybe\n").unwrap_err();
        assert!(err.to_string().ends_with("allowed: true or false"), "{err}");
        let err = OrgConstraints::from_yaml("cloud:\n  allowed_services: s3\n").unwrap_err();
        assert!(
            err.to_string().ends_with("allowed: a list of text"),
            "{err}"
        );
        for text in ["stack: 5\n", "stack:\n  language: 5\n"] {
            let err = OrgConstraints::from_yaml(text).unwrap_err().to_string();
            assert!(!err.contains("struct") && !err.contains("Value::"), "{err}");
        }

        let err = OrgConstraints::from_yaml("- a\n- b\n").unwrap_err();
        assert_eq!(err, OrgConstraintsError::NotAMapping("a list"));

        assert!(matches!(
            OrgConstraints::from_yaml("stack: [").unwrap_err(),
            OrgConstraintsError::Syntax(_)
        ));
    }
}
