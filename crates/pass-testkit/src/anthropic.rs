//! Stand-in for the Anthropic Messages API (`POST /v1/messages`) on
//! `127.0.0.1:0`.
//!
//! It checks what the real API checks and PASS depends on (`x-api-key`,
//! `anthropic-version`, a JSON body with `model`, `max_tokens`, `messages`,
//! and a forced `tool_choice` naming a declared tool), answers with
//! `tool_use` blocks and a `usage` object that includes
//! `cache_creation_input_tokens` / `cache_read_input_tokens` (a prefix up to
//! a `cache_control` breakpoint is "cached" the first time it is seen, as the
//! real cache is, if it is at least 1024 tokens), and fails the documented
//! ways: `{"type":"error","error":{"type","message"}}` bodies, 429 with
//! `retry-after`, 529 `overloaded_error`, `stop_reason: "max_tokens"`.
//!
//! Tests script it with a queue of behaviours (global, or per tool name);
//! when the queue is empty a responder builds the tool input — by default a
//! schema-shaped example, or whatever a test installs. Every request is
//! recorded.

use std::collections::hash_map::DefaultHasher;
use std::collections::{BTreeMap, HashSet};
use std::hash::{Hash, Hasher};
use std::sync::{Arc, Mutex};
use std::time::Duration;

use axum::Router;
use axum::body::Bytes;
use axum::extract::State;
use axum::http::{HeaderMap, HeaderValue, StatusCode};
use axum::response::{IntoResponse, Response};
use axum::routing::post;
use serde_json::{Map, Value, json};

use crate::scripted::{Loopback, Script, header_map, model_stand_in, set_retry_after};

/// The smallest prefix the real API caches (Sonnet-class models).
pub const MIN_CACHEABLE_TOKENS: u64 = 1024;

/// Builds a tool input from `(tool name, the tool's input_schema, the whole request body)`.
pub type Responder = crate::scripted::Responder;

/// What the stand-in does with one request.
#[derive(Debug, Clone)]
pub enum Behaviour {
    /// An error answer with Anthropic's body; `retry_after` in seconds.
    Error {
        status: u16,
        kind: String,
        message: String,
        retry_after: Option<u64>,
    },
    /// A `tool_use` answer with exactly this input.
    ToolInput(Value),
    /// `stop_reason: "max_tokens"` with a cut-off text block.
    MaxTokens,
    /// The responder's answer (what an empty queue does).
    Respond,
}

impl Behaviour {
    pub fn overloaded() -> Self {
        Behaviour::Error {
            status: 529,
            kind: "overloaded_error".to_owned(),
            message: "Overloaded".to_owned(),
            retry_after: None,
        }
    }

    pub fn rate_limited(retry_after_secs: u64) -> Self {
        Behaviour::Error {
            status: 429,
            kind: "rate_limit_error".to_owned(),
            message: "Number of request tokens has exceeded your per-minute rate limit".to_owned(),
            retry_after: Some(retry_after_secs),
        }
    }

    pub fn server_error() -> Self {
        Behaviour::Error {
            status: 500,
            kind: "api_error".to_owned(),
            message: "Internal server error".to_owned(),
            retry_after: None,
        }
    }

    pub fn invalid_request(message: &str) -> Self {
        Behaviour::Error {
            status: 400,
            kind: "invalid_request_error".to_owned(),
            message: message.to_owned(),
            retry_after: None,
        }
    }
}

/// One request as received.
#[derive(Debug, Clone, PartialEq)]
pub struct RecordedRequest {
    pub path: String,
    /// Header names in lower case.
    pub headers: BTreeMap<String, String>,
    pub body: Value,
    /// The forced tool's name, when the body had one.
    pub tool: Option<String>,
    pub status: u16,
}

#[derive(Debug, Clone)]
pub struct Options {
    pub api_key: String,
    /// Time taken before each answer (benchmarks use 300 ms).
    pub latency: Duration,
}

impl Default for Options {
    fn default() -> Self {
        Self {
            api_key: "sk-ant-test-key".to_owned(),
            latency: Duration::ZERO,
        }
    }
}

#[derive(Clone)]
struct Shared {
    options: Options,
    script: Script<Behaviour, RecordedRequest>,
    cached_prefixes: Arc<Mutex<HashSet<u64>>>,
}

/// A running stand-in; stops when dropped.
pub struct AnthropicStandIn {
    server: Loopback,
    shared: Shared,
}

impl AnthropicStandIn {
    pub async fn start() -> anyhow::Result<Self> {
        Self::start_with(Options::default()).await
    }

    pub async fn start_with(options: Options) -> anyhow::Result<Self> {
        let shared = Shared {
            options,
            script: Script::new(),
            cached_prefixes: Arc::default(),
        };
        let app = Router::new()
            .route("/v1/messages", post(messages))
            .route("/v1/models", axum::routing::get(models))
            .fallback(not_found)
            .with_state(shared.clone());
        let server = Loopback::serve(app, "anthropic").await?;
        Ok(Self { server, shared })
    }

    /// What to set `ANTHROPIC_BASE_URL` to.
    pub fn base_url(&self) -> String {
        self.server.base_url()
    }

    pub fn api_key(&self) -> &str {
        &self.shared.options.api_key
    }
}

model_stand_in!(AnthropicStandIn, Behaviour, RecordedRequest);

/// `GET /v1/models`: the models a key may use (checked like `/v1/messages`).
async fn models(State(shared): State<Shared>, headers: axum::http::HeaderMap) -> Response {
    let key = headers.get("x-api-key").and_then(|v| v.to_str().ok());
    if key != Some(shared.options.api_key.as_str()) {
        return error(401, "authentication_error", "invalid x-api-key", None);
    }
    let data: Vec<serde_json::Value> = ["claude-sonnet-4-6", "claude-haiku-4-5"]
        .iter()
        .map(|id| serde_json::json!({"type": "model", "id": id, "display_name": id}))
        .collect();
    axum::Json(serde_json::json!({"data": data, "has_more": false})).into_response()
}

async fn not_found() -> Response {
    error(404, "not_found_error", "Not found", None)
}

fn error(status: u16, kind: &str, message: &str, retry_after: Option<u64>) -> Response {
    let status = StatusCode::from_u16(status).unwrap_or(StatusCode::INTERNAL_SERVER_ERROR);
    let mut response = (
        status,
        axum::Json(json!({"type": "error", "error": {"type": kind, "message": message}})),
    )
        .into_response();
    response
        .headers_mut()
        .insert("request-id", HeaderValue::from_static("req_standin"));
    set_retry_after(&mut response, retry_after);
    response
}

/// A 400 `invalid_request_error`, the answer to every malformed request.
fn invalid(message: &str) -> Box<Response> {
    Box::new(error(400, "invalid_request_error", message, None))
}

fn tokens_of(text: &str) -> u64 {
    (text.len() as u64).div_ceil(4)
}

/// (cacheable prefix tokens and its hash, tokens after it) for a request body:
/// tools, then system blocks, then messages, with the prefix ending at the
/// last `cache_control` breakpoint.
fn prompt_tokens(body: &Value) -> (Option<(u64, u64)>, u64) {
    let mut parts: Vec<(String, bool)> = Vec::new();
    if let Some(tools) = body.get("tools").and_then(Value::as_array) {
        for tool in tools {
            parts.push((tool.to_string(), tool.get("cache_control").is_some()));
        }
    }
    push_text_parts(&mut parts, body.get("system"));
    if let Some(messages) = body.get("messages").and_then(Value::as_array) {
        for message in messages {
            push_text_parts(&mut parts, message.get("content"));
        }
    }
    let breakpoint = parts.iter().rposition(|(_, marked)| *marked);
    let total: u64 = parts.iter().map(|(t, _)| tokens_of(t)).sum();
    match breakpoint {
        Some(end) => {
            let mut hasher = DefaultHasher::new();
            body.get("model").map(Value::to_string).hash(&mut hasher);
            let mut prefix = 0;
            for (text, _) in &parts[..=end] {
                text.hash(&mut hasher);
                prefix += tokens_of(text);
            }
            (Some((prefix, hasher.finish())), total - prefix)
        }
        None => (None, total),
    }
}

/// A system prompt or message content, either plain text or text blocks
/// (a block may end a cacheable prefix), as `(text, marked)` parts.
fn push_text_parts(parts: &mut Vec<(String, bool)>, content: Option<&Value>) {
    match content {
        Some(Value::String(text)) => parts.push((text.clone(), false)),
        Some(Value::Array(blocks)) => {
            for block in blocks {
                let text = block
                    .get("text")
                    .and_then(Value::as_str)
                    .unwrap_or_default();
                parts.push((text.to_owned(), block.get("cache_control").is_some()));
            }
        }
        _ => {}
    }
}

fn check_request(headers: &HeaderMap, body: &Value, key: &str) -> Result<String, Box<Response>> {
    match headers.get("x-api-key").and_then(|v| v.to_str().ok()) {
        Some(given) if given == key => {}
        _ => {
            return Err(Box::new(error(
                401,
                "authentication_error",
                "invalid x-api-key",
                None,
            )));
        }
    }
    if headers.get("anthropic-version").is_none() {
        return Err(invalid("anthropic-version: header is required"));
    }
    if !body.get("model").is_some_and(Value::is_string) {
        return Err(invalid("model: Field required"));
    }
    if !body.get("max_tokens").is_some_and(Value::is_u64) {
        return Err(invalid("max_tokens: Field required"));
    }
    if body
        .get("messages")
        .and_then(Value::as_array)
        .is_none_or(Vec::is_empty)
    {
        return Err(invalid("messages: at least one message is required"));
    }
    let tool = body
        .pointer("/tool_choice/name")
        .and_then(Value::as_str)
        .filter(|_| body.pointer("/tool_choice/type").and_then(Value::as_str) == Some("tool"))
        .ok_or_else(|| invalid("tool_choice: expected {type: \"tool\", name}"))?;
    let declared = body
        .get("tools")
        .and_then(Value::as_array)
        .is_some_and(|tools| {
            tools.iter().any(|t| {
                t.get("name").and_then(Value::as_str) == Some(tool)
                    && t.get("input_schema").is_some_and(Value::is_object)
            })
        });
    if !declared {
        return Err(invalid(&format!(
            "tool_choice.name: tool `{tool}` is not in tools"
        )));
    }
    Ok(tool.to_owned())
}

async fn messages(State(shared): State<Shared>, headers: HeaderMap, body: Bytes) -> Response {
    if !shared.options.latency.is_zero() {
        tokio::time::sleep(shared.options.latency).await;
    }
    let header_map = header_map(&headers);
    let parsed: Value = serde_json::from_slice(&body).unwrap_or(Value::Null);
    let record = |status: u16, tool: Option<String>| RecordedRequest {
        path: "/v1/messages".to_owned(),
        headers: header_map.clone(),
        body: parsed.clone(),
        tool,
        status,
    };
    let tool = match check_request(&headers, &parsed, &shared.options.api_key) {
        Ok(tool) => tool,
        Err(response) => {
            shared
                .script
                .record(record(response.status().as_u16(), None));
            return *response;
        }
    };
    let (behaviour, responder) = shared.script.next(&tool);
    let behaviour = behaviour.unwrap_or(Behaviour::Respond);
    let max_tokens = parsed
        .get("max_tokens")
        .and_then(Value::as_u64)
        .unwrap_or(0);
    let (content, stop_reason, output_tokens) = match behaviour {
        Behaviour::Error {
            status,
            kind,
            message,
            retry_after,
        } => {
            shared.script.record(record(status, Some(tool)));
            return error(status, &kind, &message, retry_after);
        }
        Behaviour::MaxTokens => (
            json!([{"type": "text", "text": "{\"partial\": "}]),
            "max_tokens",
            max_tokens,
        ),
        Behaviour::ToolInput(input) => tool_use(&tool, input),
        Behaviour::Respond => {
            let schema = parsed
                .get("tools")
                .and_then(Value::as_array)
                .and_then(|tools| {
                    tools
                        .iter()
                        .find(|t| t.get("name").and_then(Value::as_str) == Some(tool.as_str()))
                })
                .and_then(|t| t.get("input_schema"))
                .cloned()
                .unwrap_or(Value::Null);
            tool_use(&tool, responder(&tool, &schema, &parsed))
        }
    };
    let (prefix, rest) = prompt_tokens(&parsed);
    let (mut creation, mut read, mut input) = (0u64, 0u64, rest);
    if let Some((tokens, hash)) = prefix {
        if tokens >= MIN_CACHEABLE_TOKENS {
            let mut cached = shared
                .cached_prefixes
                .lock()
                .unwrap_or_else(|p| p.into_inner());
            if cached.insert(hash) {
                creation = tokens;
            } else {
                read = tokens;
            }
        } else {
            input += tokens;
        }
    }
    shared.script.record(record(200, Some(tool.clone())));
    let body = json!({
        "id": "msg_standin",
        "type": "message",
        "role": "assistant",
        "model": parsed.get("model").cloned().unwrap_or(Value::Null),
        "content": content,
        "stop_reason": stop_reason,
        "stop_sequence": null,
        "usage": {
            "input_tokens": input,
            "output_tokens": output_tokens,
            "cache_creation_input_tokens": creation,
            "cache_read_input_tokens": read
        }
    });
    (StatusCode::OK, axum::Json(body)).into_response()
}

fn tool_use(tool: &str, input: Value) -> (Value, &'static str, u64) {
    let output = tokens_of(&input.to_string());
    (
        json!([{"type": "tool_use", "id": "toolu_standin", "name": tool, "input": input}]),
        "tool_use",
        output,
    )
}

/// A value that fits `schema`: objects with every property, one-element
/// arrays, the first enum value, "example" strings.
pub fn example_for_schema(schema: &Value) -> Value {
    match schema.get("type").and_then(Value::as_str) {
        Some("object") => {
            let mut map = Map::new();
            if let Some(props) = schema.get("properties").and_then(Value::as_object) {
                for (k, v) in props {
                    map.insert(k.clone(), example_for_schema(v));
                }
            }
            Value::Object(map)
        }
        Some("array") => Value::Array(vec![example_for_schema(
            schema.get("items").unwrap_or(&Value::Null),
        )]),
        Some("string") => schema
            .get("enum")
            .and_then(|e| e.get(0))
            .cloned()
            .unwrap_or_else(|| Value::String("example".to_owned())),
        Some("boolean") => Value::Bool(false),
        Some("integer") | Some("number") => Value::from(0),
        _ => schema
            .get("enum")
            .and_then(|e| e.get(0))
            .cloned()
            .unwrap_or(Value::Null),
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn prefixes_end_at_the_last_breakpoint() {
        let body = json!({
            "model": "m",
            "tools": [{"name": "t", "input_schema": {}}],
            "system": [{"type": "text", "text": "aaaa"}, {"type": "text", "text": "bbbbbbbb", "cache_control": {"type": "ephemeral"}}],
            "messages": [{"role": "user", "content": [{"type": "text", "text": "cccc"}]}]
        });
        let (prefix, rest) = prompt_tokens(&body);
        let (tokens, _) = prefix.unwrap();
        assert_eq!(rest, 1);
        assert!(tokens > 3);
    }
}
