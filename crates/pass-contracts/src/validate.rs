//! Whole-document validation: every schema problem, then every semantic
//! problem, each with its JSON path.

use std::sync::LazyLock;

use serde::de::DeserializeOwned;
use serde_json::Value;

use crate::api::Problem;
use crate::pack::ArchitecturePack;
use crate::paths::{render_json_pointer, render_serde_path};
use crate::schema::schema_json;
use crate::semantic::check_pack;

/// Why a document could not be read as an architecture pack.
#[derive(Debug, Clone, PartialEq, Eq, thiserror::Error)]
pub enum PackError {
    /// Not JSON at all.
    #[error("invalid JSON at line {line}, column {column}: {message}")]
    Syntax {
        line: usize,
        column: usize,
        message: String,
    },
    /// JSON, but not a valid pack: every problem found.
    #[error("{} problem(s) in the architecture pack", .0.len())]
    Invalid(Vec<Problem>),
}

static PACK_VALIDATOR: LazyLock<Result<jsonschema::Validator, String>> = LazyLock::new(|| {
    let schema = schema_json("architecture_pack").ok_or("architecture_pack schema missing")?;
    jsonschema::options()
        .should_validate_formats(true)
        .build(&schema)
        .map_err(|e| e.to_string())
});

/// Parses and fully validates an architecture pack from JSON text.
pub fn parse_pack(text: &str) -> Result<ArchitecturePack, PackError> {
    let value: Value = serde_json::from_str(text).map_err(|e| PackError::Syntax {
        line: e.line(),
        column: e.column(),
        message: e.to_string(),
    })?;
    validate_pack_value(&value).map_err(PackError::Invalid)
}

/// Validates a JSON value as an architecture pack against the schema and the
/// semantic rules; returns the typed pack or every problem found.
pub fn validate_pack_value(value: &Value) -> Result<ArchitecturePack, Vec<Problem>> {
    let mut problems = match &*PACK_VALIDATOR {
        Ok(validator) => validator
            .iter_errors(value)
            .flat_map(|error| schema_problems(&error))
            .collect(),
        Err(message) => vec![Problem {
            path: String::new(),
            message: format!("schema unusable: {message}"),
        }],
    };
    match from_value::<ArchitecturePack>(value) {
        Ok(pack) if problems.is_empty() => {
            let semantic = check_pack(&pack);
            if semantic.is_empty() {
                Ok(pack)
            } else {
                Err(semantic)
            }
        }
        Ok(_) => Err(problems),
        Err(problem) => {
            // The schema normally reports the same fault with more detail; keep
            // serde's word only when the schema saw nothing at that path.
            if !problems.iter().any(|p| p.path == problem.path) {
                problems.push(problem);
            }
            Err(problems)
        }
    }
}

/// Turns one schema error into problems worded for people: an unknown field is
/// reported at its own path, an enum lists every allowed value.
fn schema_problems(error: &jsonschema::ValidationError<'_>) -> Vec<Problem> {
    let path = render_json_pointer(&error.instance_path().to_string());
    match error.kind() {
        jsonschema::error::ValidationErrorKind::AdditionalProperties { unexpected } => unexpected
            .iter()
            .map(|field| Problem {
                path: if path.is_empty() {
                    field.clone()
                } else {
                    format!("{path}.{field}")
                },
                message: "unknown field".to_owned(),
            })
            .collect(),
        jsonschema::error::ValidationErrorKind::Enum { options } => {
            let allowed = match options.as_array() {
                Some(values) => values
                    .iter()
                    .map(Value::to_string)
                    .collect::<Vec<_>>()
                    .join(", "),
                None => options.to_string(),
            };
            vec![Problem {
                path,
                message: format!(
                    "unknown variant {}, expected one of {allowed}",
                    error.instance()
                ),
            }]
        }
        _ => vec![Problem {
            path,
            message: error.to_string(),
        }],
    }
}

/// Deserializes any contract type from a JSON value, naming the path of the
/// first bad field (`architecture.components[2].type: unknown variant ...`).
pub fn from_value<T: DeserializeOwned>(value: &Value) -> Result<T, Problem> {
    serde_path_to_error::deserialize(value).map_err(|e| Problem {
        path: render_serde_path(e.path()),
        message: e.into_inner().to_string(),
    })
}

/// Deserializes any contract type from JSON text, naming the bad field's path
/// (or the line and column of a syntax error).
pub fn from_json_str<T: DeserializeOwned>(text: &str) -> Result<T, Problem> {
    let mut deserializer = serde_json::Deserializer::from_str(text);
    let value = serde_path_to_error::deserialize(&mut deserializer).map_err(|e| {
        let path = render_serde_path(e.path());
        let inner = e.into_inner();
        Problem {
            path,
            message: inner.to_string(),
        }
    })?;
    deserializer.end().map_err(|e| Problem {
        path: String::new(),
        message: e.to_string(),
    })?;
    Ok(value)
}
