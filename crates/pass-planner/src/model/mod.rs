//! Language models behind one trait: given a section's name, strict schema,
//! the PRD context and repair notes, produce the section as JSON.
//!
//! The pipeline owns everything that is the same for every provider (checks,
//! repairs, budgets, checkpoints); a model only turns one request into one
//! schema-shaped value and reports what it cost.

pub mod anthropic;
mod http;
pub mod offline;
pub mod openai;
mod retry;

use std::collections::BTreeMap;
use std::sync::Arc;

use futures::future::BoxFuture;
use schemars::JsonSchema;
use serde::{Deserialize, Serialize};
use serde_json::{Map, Value};

use pass_contracts::org::Strictness;

use crate::config::Provider;
use crate::prompt::fenced;
pub use crate::prompt::{AnswerMode, system_instructions};
use crate::sections::SectionName;

pub use retry::RetryPolicy;

/// What stays the same for every section of one run: sent once, cached.
#[derive(Debug, Clone)]
pub struct PromptContext {
    /// The PRD as sent to the model (possibly shortened; see `truncated_from`).
    pub prd_text: String,
    /// The org constraints with defaults applied, as pretty JSON.
    pub org_constraints_json: String,
    /// Whether the run carried org constraints (otherwise they are defaults).
    pub org_given: bool,
    pub strictness: Strictness,
    /// The PRD's full length in characters when only a prefix is sent.
    pub truncated_from: Option<usize>,
}

impl PromptContext {
    /// The cached block: the PRD (for sections that read it) and the org
    /// constraints, fenced as data and saying whether the org gave them.
    pub fn data_block(&self, with_prd: bool) -> String {
        let mut text = String::with_capacity(self.prd_text.len() + 1024);
        if with_prd {
            text.push_str("<prd>\n");
            text.push_str(&fenced("prd", &self.prd_text));
            text.push_str("\n</prd>\n");
            if let Some(full) = self.truncated_from {
                text.push_str(&format!(
                    "<note>The PRD above is the first {} of {} characters.</note>\n",
                    self.prd_text.chars().count(),
                    full
                ));
            }
        }
        let (given, meaning) = if self.org_given {
            match self.strictness {
                Strictness::Strict => (
                    "true",
                    "Given by the organisation with strictness strict: rules that win over the PRD.",
                ),
                Strictness::Prefer => (
                    "true",
                    "Given by the organisation with strictness prefer: preferences; the stack the PRD names wins.",
                ),
            }
        } else {
            (
                "false",
                "Not given: PASS defaults that only fill what the PRD leaves open.",
            )
        };
        text.push_str(&format!(
            "<org_constraints given=\"{given}\" strictness=\"{}\">\n{meaning}\n",
            match self.strictness {
                Strictness::Strict => "strict",
                Strictness::Prefer => "prefer",
            }
        ));
        text.push_str(&fenced("org_constraints", &self.org_constraints_json));
        text.push_str("\n</org_constraints>");
        text
    }
}

/// One request for one section.
#[derive(Debug, Clone)]
pub struct SectionRequest {
    pub section: SectionName,
    /// The section's JSON Schema in strict form, with this run's enums of
    /// valid references.
    pub schema: Value,
    pub context: Arc<PromptContext>,
    /// What code computed for this section (issue count target, the
    /// previous revision's ids); empty for most.
    pub briefing: String,
    /// Outputs of the sections this one depends on.
    pub earlier: BTreeMap<SectionName, Value>,
    /// Problems of the previous attempt, quoted exactly; empty on a first try.
    pub repair_notes: Vec<String>,
    /// The previous attempt's output when repairing.
    pub previous: Option<Value>,
    /// Output token budget for this call.
    pub max_tokens: u32,
    /// Set for a request that is not a section of the pack (which sections
    /// a refinement changes); `section` then only labels the call.
    pub side_task: Option<SideTask>,
}

/// A short question outside the pack's sections, with its own answer name
/// and schema, sent without the PRD.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct SideTask {
    /// The tool (Anthropic) or response schema (OpenAI) name.
    pub name: &'static str,
    /// What the model is asked, its data fenced.
    pub text: String,
}

impl SectionRequest {
    /// The forced tool's name (Anthropic) or the response schema's name
    /// (OpenAI-compatible): `emit_<section>`, or the side task's name.
    pub fn answer_name(&self) -> String {
        match &self.side_task {
            Some(task) => task.name.to_owned(),
            None => self.section.tool_name(),
        }
    }

    /// Whether the call carries the shared list of fixed-schema tools (so
    /// its prompt prefix is the cached one) rather than its own tool only.
    pub fn uses_fixed_tools(&self) -> bool {
        self.side_task.is_none() && self.section.has_fixed_schema()
    }

    /// The per-section user message: task, briefing, earlier sections, repair notes.
    pub fn task_text(&self, mode: AnswerMode) -> String {
        if let Some(task) = &self.side_task {
            let how = match mode {
                AnswerMode::Tool => format!("Call the tool `{}`.", task.name),
                AnswerMode::Json => "Answer with the JSON object the schema describes.".to_owned(),
            };
            return format!("{how}\n{}", task.text);
        }
        crate::prompt::task_text(
            self.section,
            mode,
            &self.briefing,
            &self.earlier,
            &self.repair_notes,
            self.previous.as_ref(),
        )
    }

    /// The data block this section is sent (a side task gets no PRD).
    pub fn data_block(&self) -> String {
        self.context
            .data_block(self.side_task.is_none() && self.section.reads_prd())
    }

    /// A rough input size in tokens (4 characters a token), for budgeting.
    pub fn estimated_input_tokens(&self) -> u64 {
        let chars = system_instructions(AnswerMode::Tool).len()
            + self.data_block().len()
            + self.task_text(AnswerMode::Tool).len()
            + self.schema.to_string().len();
        (chars as u64).div_ceil(4)
    }
}

/// Tokens one call (or one section) used.
#[derive(Debug, Clone, Copy, Default, PartialEq, Eq, Serialize, Deserialize)]
pub struct TokenUsage {
    pub input_tokens: u64,
    pub output_tokens: u64,
    pub cache_creation_input_tokens: u64,
    pub cache_read_input_tokens: u64,
}

impl TokenUsage {
    /// Every token billed: uncached input, cache writes and reads, output.
    pub fn total(&self) -> u64 {
        self.input_tokens
            + self.output_tokens
            + self.cache_creation_input_tokens
            + self.cache_read_input_tokens
    }

    pub fn add(&mut self, other: &TokenUsage) {
        self.input_tokens += other.input_tokens;
        self.output_tokens += other.output_tokens;
        self.cache_creation_input_tokens += other.cache_creation_input_tokens;
        self.cache_read_input_tokens += other.cache_read_input_tokens;
    }
}

/// A model's answer to one request.
#[derive(Debug, Clone)]
pub struct SectionReply {
    pub value: Value,
    pub usage: TokenUsage,
    /// HTTP calls made for this reply, retries included.
    pub calls: u32,
}

/// Why a model could not answer. Messages name the provider and the HTTP
/// status; they never contain keys.
#[derive(Debug, thiserror::Error)]
pub enum ModelError {
    #[error("{provider} rejected {key_name} ({status}): {message}")]
    Unauthorized {
        provider: &'static str,
        key_name: &'static str,
        status: u16,
        message: String,
    },
    #[error("{provider} refused the request ({status} {kind}): {message}")]
    Rejected {
        provider: &'static str,
        status: u16,
        kind: String,
        message: String,
    },
    #[error("{provider} kept failing ({status} {kind}) after {calls} calls: {message}")]
    Unavailable {
        provider: &'static str,
        status: u16,
        kind: String,
        message: String,
        calls: u32,
    },
    #[error("{provider} could not be reached after {calls} calls: {reason}")]
    Transport {
        provider: &'static str,
        reason: String,
        calls: u32,
    },
    #[error(
        "{provider} sent nothing for {after_ms} ms while {waiting_for} ({setting}); an identical call would likely stall the same way, so it is not retried: raise {setting} or run again (validated sections are kept)"
    )]
    Timeout {
        provider: &'static str,
        setting: &'static str,
        after_ms: u64,
        waiting_for: &'static str,
    },
    #[error("{provider} stopped at the output limit of {max_tokens} tokens")]
    MaxTokens {
        provider: &'static str,
        max_tokens: u32,
        usage: TokenUsage,
    },
    #[error("{provider} answered without a usable section: {reason}")]
    BadReply {
        provider: &'static str,
        reason: String,
        usage: TokenUsage,
    },
}

impl ModelError {
    /// Tokens spent on the failed call, which still count against the budget.
    pub fn usage(&self) -> TokenUsage {
        match self {
            ModelError::MaxTokens { usage, .. } | ModelError::BadReply { usage, .. } => *usage,
            _ => TokenUsage::default(),
        }
    }
}

/// A language model that can produce any section.
pub trait Model: Send + Sync {
    fn provider(&self) -> Provider;
    /// The model's name as reported in `planner_usage`.
    fn model_name(&self) -> &str;
    fn generate<'a>(
        &'a self,
        request: &'a SectionRequest,
    ) -> BoxFuture<'a, Result<SectionReply, ModelError>>;
}

/// The JSON Schema of `T` in the form strict structured output accepts: every
/// `$ref` inlined, every object closed with all its properties required, and
/// no keyword the APIs refuse (`minLength`, `pattern`, `format`, `minItems`
/// above 1, ...). The limits those keywords expressed are checked after
/// parsing instead.
pub fn strict_schema<T: JsonSchema>() -> Value {
    let root = schemars::schema_for!(T).to_value();
    let defs = root
        .get("$defs")
        .and_then(Value::as_object)
        .cloned()
        .unwrap_or_default();
    strictify(&root, &defs, 0)
}

const DROPPED_KEYWORDS: &[&str] = &[
    "$schema",
    "$defs",
    "$id",
    "title",
    "default",
    "examples",
    "format",
    "pattern",
    "minLength",
    "maxLength",
    "minimum",
    "maximum",
    "exclusiveMinimum",
    "exclusiveMaximum",
    "multipleOf",
    "maxItems",
    "uniqueItems",
    "minProperties",
    "maxProperties",
];

fn strictify(schema: &Value, defs: &Map<String, Value>, depth: usize) -> Value {
    let Some(object) = schema.as_object() else {
        return schema.clone();
    };
    if depth > 64 {
        return Value::Object(Map::new());
    }
    if let Some(Value::String(reference)) = object.get("$ref") {
        let name = reference.trim_start_matches("#/$defs/");
        let mut resolved = defs
            .get(name)
            .map(|d| strictify(d, defs, depth + 1))
            .unwrap_or_else(|| Value::Object(Map::new()));
        if let (Some(description), Value::Object(target)) =
            (object.get("description"), &mut resolved)
        {
            target.insert("description".to_owned(), description.clone());
        }
        return resolved;
    }
    // A oneOf of documented constants is an enum of strings to the APIs.
    if let Some(Value::Array(variants)) = object.get("oneOf") {
        // A documented variant is a `const`; undocumented ones come grouped
        // in one `enum`: every value of every group is kept.
        let constants: Option<Vec<Value>> = variants
            .iter()
            .map(|v| match (v.get("const"), v.get("enum")) {
                (Some(value), _) => Some(vec![value.clone()]),
                (None, Some(Value::Array(values))) => Some(values.clone()),
                _ => None,
            })
            .collect::<Option<Vec<Vec<Value>>>>()
            .map(|groups| groups.into_iter().flatten().collect());
        if let Some(constants) = constants {
            let mut out = Map::new();
            out.insert("type".to_owned(), Value::String("string".to_owned()));
            out.insert("enum".to_owned(), Value::Array(constants));
            if let Some(description) = object.get("description") {
                out.insert("description".to_owned(), description.clone());
            }
            return Value::Object(out);
        }
    }
    let mut out = Map::new();
    for (key, value) in object {
        if DROPPED_KEYWORDS.contains(&key.as_str()) {
            continue;
        }
        match key.as_str() {
            "properties" => {
                let properties = value
                    .as_object()
                    .map(|props| {
                        props
                            .iter()
                            .map(|(k, v)| (k.clone(), strictify(v, defs, depth + 1)))
                            .collect::<Map<_, _>>()
                    })
                    .unwrap_or_default();
                out.insert(key.clone(), Value::Object(properties));
            }
            "items" | "additionalProperties" if value.is_object() => {
                out.insert(key.clone(), strictify(value, defs, depth + 1));
            }
            "anyOf" | "oneOf" | "allOf" => {
                let list = value
                    .as_array()
                    .map(|l| l.iter().map(|v| strictify(v, defs, depth + 1)).collect())
                    .unwrap_or_default();
                out.insert("anyOf".to_owned(), Value::Array(list));
            }
            "minItems" => {
                let n = value.as_u64().unwrap_or(0);
                out.insert(key.clone(), Value::from(n.min(1)));
            }
            _ => {
                out.insert(key.clone(), value.clone());
            }
        }
    }
    let is_object =
        out.get("type").and_then(Value::as_str) == Some("object") || out.contains_key("properties");
    if is_object {
        let keys: Vec<Value> = out
            .get("properties")
            .and_then(Value::as_object)
            .map(|p| p.keys().cloned().map(Value::String).collect())
            .unwrap_or_default();
        out.insert("required".to_owned(), Value::Array(keys));
        out.insert("additionalProperties".to_owned(), Value::Bool(false));
        out.entry("type".to_owned())
            .or_insert_with(|| Value::String("object".to_owned()));
    }
    Value::Object(out)
}

#[cfg(test)]
mod tests {
    use super::*;
    use crate::sections::ALL_SECTIONS;

    /// Builds a schema-shaped placeholder value: what a stand-in model answers when
    /// no test scripted otherwise. Strings become `fallback`, lists one element.
    fn example_for_schema(schema: &Value, fallback: &str) -> Value {
        match schema.get("type").and_then(Value::as_str) {
            Some("object") => {
                let mut map = Map::new();
                if let Some(props) = schema.get("properties").and_then(Value::as_object) {
                    for (k, v) in props {
                        map.insert(k.clone(), example_for_schema(v, fallback));
                    }
                }
                Value::Object(map)
            }
            Some("array") => {
                let item = schema.get("items").cloned().unwrap_or(Value::Null);
                Value::Array(vec![example_for_schema(&item, fallback)])
            }
            Some("string") => schema
                .get("enum")
                .and_then(|e| e.get(0))
                .cloned()
                .unwrap_or_else(|| Value::String(fallback.to_owned())),
            Some("boolean") => Value::Bool(false),
            Some("integer") | Some("number") => Value::from(0),
            _ => schema
                .get("enum")
                .and_then(|e| e.get(0))
                .cloned()
                .unwrap_or(Value::Null),
        }
    }

    fn walk(value: &Value, path: &str, problems: &mut Vec<String>) {
        match value {
            Value::Object(map) => {
                for banned in ["$ref", "minLength", "pattern", "format", "oneOf", "$defs"] {
                    if map.contains_key(banned) {
                        problems.push(format!("{path}: has {banned}"));
                    }
                }
                if let Some(n) = map.get("minItems").and_then(Value::as_u64) {
                    if n > 1 {
                        problems.push(format!("{path}: minItems {n}"));
                    }
                }
                if map.get("type").and_then(Value::as_str) == Some("object") {
                    if map.get("additionalProperties") != Some(&Value::Bool(false)) {
                        problems.push(format!("{path}: object not closed"));
                    }
                    let props: Vec<&String> = map
                        .get("properties")
                        .and_then(Value::as_object)
                        .map(|p| p.keys().collect())
                        .unwrap_or_default();
                    let required: Vec<&str> = map
                        .get("required")
                        .and_then(Value::as_array)
                        .map(|r| r.iter().filter_map(Value::as_str).collect())
                        .unwrap_or_default();
                    for p in props {
                        if !required.contains(&p.as_str()) {
                            problems.push(format!("{path}: {p} not required"));
                        }
                    }
                }
                for (k, v) in map {
                    walk(v, &format!("{path}/{k}"), problems);
                }
            }
            Value::Array(items) => {
                for (i, v) in items.iter().enumerate() {
                    walk(v, &format!("{path}/{i}"), problems);
                }
            }
            _ => {}
        }
    }

    #[test]
    fn every_section_schema_is_strict_mode_compatible() {
        for section in ALL_SECTIONS {
            let schema = section.schema();
            let mut problems = Vec::new();
            walk(&schema, section.as_str(), &mut problems);
            assert!(problems.is_empty(), "{section}: {problems:#?}");
            assert_eq!(schema["type"], "object", "{section}");
        }
        let architecture = SectionName::Architecture.schema();
        let kind = &architecture["properties"]["components"]["items"]["properties"]["type"];
        assert_eq!(kind["enum"].as_array().map(Vec::len), Some(9), "{kind}");
        // Documented and undocumented variants alike.
        let product = &SectionName::Core.schema()["properties"]["product_kind"];
        assert_eq!(
            product["enum"].as_array().map(Vec::len),
            Some(9),
            "{product}"
        );
        assert_eq!(architecture["properties"]["components"]["minItems"], 1);
    }

    #[test]
    fn schema_examples_deserialize_into_the_drafts() {
        for section in ALL_SECTIONS {
            let example = example_for_schema(&section.schema(), "x");
            let ctx_earlier = BTreeMap::new();
            let ctx = crate::sections::CheckContext::new("x", &ctx_earlier);
            let problems = crate::sections::check_section(section, &example, &ctx);
            assert!(
                problems
                    .iter()
                    .all(|p| !p.contains("unknown field") && !p.contains("missing field")),
                "{section}: {problems:?}"
            );
        }
    }
}
